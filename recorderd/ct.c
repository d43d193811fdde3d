#include "recorderd/ct.h"

#include <endian.h>
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

/*
 * CTA_TIMESTAMP_EVENT (Linux 6.14): a u64 at the top level of every event
 * when the timestamp extension is on. Older headers (and
 * libnetfilter_conntrack before 1.1.1) do not know it: it is read here.
 */
#define CT_TIMESTAMP_EVENT 27
#define CT_ATTR_MAX (CTA_MAX > CT_TIMESTAMP_EVENT ? CTA_MAX : \
	CT_TIMESTAMP_EVENT)

/*
 * One scratch nf_conntrack per thread, reused for every message: the hot
 * path allocates nothing. nfct_new() is a calloc, so zeroing the object
 * is the same reset, except for the few attributes that own memory
 * (security context, labels, helper info): when one of those was set we
 * destroy and recreate instead, which is rare.
 */
static __thread struct nf_conntrack *scratch;

static struct nf_conntrack *
scratch_get(void)
{
	if (scratch == NULL)
		scratch = nfct_new();
	return scratch;
}

static void
scratch_reset(void)
{
	if (scratch == NULL)
		return;
	if (nfct_attr_is_set(scratch, ATTR_SECCTX) > 0 ||
	    nfct_attr_is_set(scratch, ATTR_CONNLABELS) > 0 ||
	    nfct_attr_is_set(scratch, ATTR_CONNLABELS_MASK) > 0 ||
	    nfct_attr_is_set(scratch, ATTR_HELPER_INFO) > 0) {
		nfct_destroy(scratch);
		scratch = nfct_new();
		return;
	}
	/* nfct_sizeof() is marked deprecated but is the one exported way
	 * to know the object's size; it has not changed meaning since
	 * 1.0.0. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	memset(scratch, 0, nfct_sizeof(scratch));
#pragma GCC diagnostic pop
}

void
ct_parse_cleanup(void)
{
	if (scratch != NULL)
		nfct_destroy(scratch);
	scratch = NULL;
}

bool
ct_event_has_mark(const struct ct_event *ev, uint32_t mask)
{
	return ev->has_mark && (ev->mark & mask) == mask;
}

static bool
isset(const struct nf_conntrack *ct, enum nf_conntrack_attr a)
{
	return nfct_attr_is_set(ct, a) > 0;
}

static void
get_addr(const struct nf_conntrack *ct, int family,
    enum nf_conntrack_attr a4, enum nf_conntrack_attr a6, struct addr *out)
{
	const void *p;

	memset(out, 0, sizeof(*out));
	if (family == AF_INET && isset(ct, a4)) {
		p = nfct_get_attr(ct, a4);
		addr_from_bytes(out, AF_INET, p);
	} else if (family == AF_INET6 && isset(ct, a6)) {
		p = nfct_get_attr(ct, a6);
		addr_from_bytes(out, AF_INET6, p);
	}
}

static bool
is_icmp(uint8_t proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

static void
copy_tuples(const struct nf_conntrack *ct, struct ct_event *ev)
{
	get_addr(ct, ev->family, ATTR_ORIG_IPV4_SRC, ATTR_ORIG_IPV6_SRC,
	    &ev->orig.src);
	get_addr(ct, ev->family, ATTR_ORIG_IPV4_DST, ATTR_ORIG_IPV6_DST,
	    &ev->orig.dst);
	get_addr(ct, ev->family, ATTR_REPL_IPV4_SRC, ATTR_REPL_IPV6_SRC,
	    &ev->reply.src);
	get_addr(ct, ev->family, ATTR_REPL_IPV4_DST, ATTR_REPL_IPV6_DST,
	    &ev->reply.dst);
	ev->has_reply = ev->reply.src.family != 0 &&
	    ev->reply.dst.family != 0;

	if (is_icmp(ev->proto)) {
		if (isset(ct, ATTR_ICMP_TYPE))
			ev->orig.icmp_type = nfct_get_attr_u8(ct,
			    ATTR_ICMP_TYPE);
		if (isset(ct, ATTR_ICMP_CODE))
			ev->orig.icmp_code = nfct_get_attr_u8(ct,
			    ATTR_ICMP_CODE);
		if (isset(ct, ATTR_ICMP_ID))
			ev->orig.icmp_id = ntohs(nfct_get_attr_u16(ct,
			    ATTR_ICMP_ID));
		ev->reply.icmp_id = ev->orig.icmp_id;
		return;
	}
	if (isset(ct, ATTR_ORIG_PORT_SRC))
		ev->orig.sport = ntohs(nfct_get_attr_u16(ct,
		    ATTR_ORIG_PORT_SRC));
	if (isset(ct, ATTR_ORIG_PORT_DST))
		ev->orig.dport = ntohs(nfct_get_attr_u16(ct,
		    ATTR_ORIG_PORT_DST));
	if (isset(ct, ATTR_REPL_PORT_SRC))
		ev->reply.sport = ntohs(nfct_get_attr_u16(ct,
		    ATTR_REPL_PORT_SRC));
	if (isset(ct, ATTR_REPL_PORT_DST))
		ev->reply.dport = ntohs(nfct_get_attr_u16(ct,
		    ATTR_REPL_PORT_DST));
}

static void
copy_meta(const struct nf_conntrack *ct, struct ct_event *ev)
{
	if (isset(ct, ATTR_MARK)) {
		ev->has_mark = true;
		ev->mark = nfct_get_attr_u32(ct, ATTR_MARK);
	}
	if (isset(ct, ATTR_ID)) {
		ev->has_id = true;
		ev->id = nfct_get_attr_u32(ct, ATTR_ID);
	}
	if (isset(ct, ATTR_ORIG_COUNTER_PACKETS) ||
	    isset(ct, ATTR_ORIG_COUNTER_BYTES)) {
		ev->has_counters = true;
		ev->orig_packets = nfct_get_attr_u64(ct,
		    ATTR_ORIG_COUNTER_PACKETS);
		ev->orig_bytes = nfct_get_attr_u64(ct,
		    ATTR_ORIG_COUNTER_BYTES);
		ev->reply_packets = nfct_get_attr_u64(ct,
		    ATTR_REPL_COUNTER_PACKETS);
		ev->reply_bytes = nfct_get_attr_u64(ct,
		    ATTR_REPL_COUNTER_BYTES);
	}
	if (isset(ct, ATTR_TIMESTAMP_START)) {
		uint64_t v = nfct_get_attr_u64(ct, ATTR_TIMESTAMP_START);

		/* 0 is what an unset extension would say; past 2262 is not
		 * a time. */
		if (v != 0 && v <= INT64_MAX) {
			ev->has_start = true;
			ev->start_ns = (int64_t)v;
		}
	}
}

/* CTA_TIMESTAMP_EVENT, read from the message (its width was checked). */
static void
copy_event_ts(const struct nlmsghdr *nlh, struct ct_event *ev)
{
	const struct nlattr *a;
	uint64_t v;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) != CT_TIMESTAMP_EVENT)
			continue;
		v = be64toh(mnl_attr_get_u64(a));
		if (v != 0 && v <= INT64_MAX) {
			ev->has_event_ts = true;
			ev->event_ns = (int64_t)v;
		}
	}
}

/*
 * The attributes are checked here, against the same widths the library
 * expects, before the message is handed to nfct_nlmsg_parse(): Debian's
 * libnetfilter_conntrack answers a wrong width with abi_breakage(), which
 * prints and exits the process, and its walk stops quietly at a bad
 * length, which would turn a corrupt message into a half-filled event.
 * Unknown attributes are skipped, as a newer kernel may send some.
 */
enum pkind { P_SKIP = 0, P_FIXED, P_NESTED, P_NULSTR };

struct policy {
	uint8_t kind;
	uint8_t len;			/* P_FIXED: exact payload length */
	const struct policy *nest;	/* P_NESTED: policy inside, or NULL */
	uint16_t nest_max;		/* highest type in nest */
};

#define FIX(n) { .kind = P_FIXED, .len = (n) }
#define NEST(p) { .kind = P_NESTED, .nest = (p), \
	.nest_max = sizeof(p) / sizeof((p)[0]) - 1 }

static const struct policy pol_ip[CTA_IP_MAX + 1] = {
	[CTA_IP_V4_SRC] = FIX(4), [CTA_IP_V4_DST] = FIX(4),
	[CTA_IP_V6_SRC] = FIX(16), [CTA_IP_V6_DST] = FIX(16),
};
static const struct policy pol_proto[CTA_PROTO_MAX + 1] = {
	[CTA_PROTO_NUM] = FIX(1),
	[CTA_PROTO_SRC_PORT] = FIX(2), [CTA_PROTO_DST_PORT] = FIX(2),
	[CTA_PROTO_ICMP_ID] = FIX(2), [CTA_PROTO_ICMP_TYPE] = FIX(1),
	[CTA_PROTO_ICMP_CODE] = FIX(1), [CTA_PROTO_ICMPV6_ID] = FIX(2),
	[CTA_PROTO_ICMPV6_TYPE] = FIX(1), [CTA_PROTO_ICMPV6_CODE] = FIX(1),
};
static const struct policy pol_tuple[CTA_TUPLE_MAX + 1] = {
	[CTA_TUPLE_IP] = NEST(pol_ip), [CTA_TUPLE_PROTO] = NEST(pol_proto),
	[CTA_TUPLE_ZONE] = FIX(2),
};
static const struct policy pol_tcp[CTA_PROTOINFO_TCP_MAX + 1] = {
	[CTA_PROTOINFO_TCP_STATE] = FIX(1),
	[CTA_PROTOINFO_TCP_WSCALE_ORIGINAL] = FIX(1),
	[CTA_PROTOINFO_TCP_WSCALE_REPLY] = FIX(1),
	[CTA_PROTOINFO_TCP_FLAGS_ORIGINAL] = FIX(2),
	[CTA_PROTOINFO_TCP_FLAGS_REPLY] = FIX(2),
};
static const struct policy pol_sctp[CTA_PROTOINFO_SCTP_MAX + 1] = {
	[CTA_PROTOINFO_SCTP_STATE] = FIX(1),
	[CTA_PROTOINFO_SCTP_VTAG_ORIGINAL] = FIX(4),
	[CTA_PROTOINFO_SCTP_VTAG_REPLY] = FIX(4),
};
static const struct policy pol_dccp[CTA_PROTOINFO_DCCP_MAX + 1] = {
	[CTA_PROTOINFO_DCCP_STATE] = FIX(1),
	[CTA_PROTOINFO_DCCP_ROLE] = FIX(1),
	[CTA_PROTOINFO_DCCP_HANDSHAKE_SEQ] = FIX(8),
};
static const struct policy pol_pinfo[CTA_PROTOINFO_MAX + 1] = {
	[CTA_PROTOINFO_TCP] = NEST(pol_tcp),
	[CTA_PROTOINFO_SCTP] = NEST(pol_sctp),
	[CTA_PROTOINFO_DCCP] = NEST(pol_dccp),
};
static const struct policy pol_counters[CTA_COUNTERS_MAX + 1] = {
	[CTA_COUNTERS_PACKETS] = FIX(8), [CTA_COUNTERS_BYTES] = FIX(8),
	[CTA_COUNTERS32_PACKETS] = FIX(4), [CTA_COUNTERS32_BYTES] = FIX(4),
};
static const struct policy pol_natseq[CTA_NAT_SEQ_MAX + 1] = {
	[CTA_NAT_SEQ_CORRECTION_POS] = FIX(4),
	[CTA_NAT_SEQ_OFFSET_BEFORE] = FIX(4),
	[CTA_NAT_SEQ_OFFSET_AFTER] = FIX(4),
};
/* Names are copied with strdup/strncpy by the library: they must end in
 * a NUL inside the attribute. */
static const struct policy pol_help[CTA_HELP_MAX + 1] = {
	[CTA_HELP_NAME] = { .kind = P_NULSTR },
};
static const struct policy pol_secctx[CTA_SECCTX_MAX + 1] = {
	[CTA_SECCTX_NAME] = { .kind = P_NULSTR },
};
static const struct policy pol_tstamp[CTA_TIMESTAMP_MAX + 1] = {
	[CTA_TIMESTAMP_START] = FIX(8), [CTA_TIMESTAMP_STOP] = FIX(8),
};
static const struct policy pol_synproxy[CTA_SYNPROXY_MAX + 1] = {
	[CTA_SYNPROXY_ISN] = FIX(4), [CTA_SYNPROXY_ITS] = FIX(4),
	[CTA_SYNPROXY_TSOFF] = FIX(4),
};
static const struct policy pol_ct[CT_ATTR_MAX + 1] = {
	[CTA_TUPLE_ORIG] = NEST(pol_tuple), [CTA_TUPLE_REPLY] = NEST(pol_tuple),
	[CTA_TUPLE_MASTER] = NEST(pol_tuple),
	[CTA_NAT_SEQ_ADJ_ORIG] = NEST(pol_natseq),
	[CTA_NAT_SEQ_ADJ_REPLY] = NEST(pol_natseq),
	[CTA_PROTOINFO] = NEST(pol_pinfo),
	[CTA_COUNTERS_ORIG] = NEST(pol_counters),
	[CTA_COUNTERS_REPLY] = NEST(pol_counters),
	[CTA_HELP] = NEST(pol_help), [CTA_SECCTX] = NEST(pol_secctx),
	[CTA_TIMESTAMP] = NEST(pol_tstamp), [CTA_SYNPROXY] = NEST(pol_synproxy),
	[CTA_STATUS] = FIX(4), [CTA_TIMEOUT] = FIX(4), [CTA_MARK] = FIX(4),
	[CTA_SECMARK] = FIX(4), [CTA_USE] = FIX(4), [CTA_ID] = FIX(4),
	[CTA_ZONE] = FIX(2), [CT_TIMESTAMP_EVENT] = FIX(8),
};

static int
check_attrs(const char *base, size_t len, const struct policy *pol,
    uint16_t max, int depth)
{
	size_t off = 0;

	if (depth > 4)
		return -EINVAL;
	while (off < len) {
		const struct nlattr *a = (const struct nlattr *)(base + off);
		const struct policy *p;
		uint16_t type;
		size_t plen;

		if (len - off < sizeof(*a) || a->nla_len < sizeof(*a) ||
		    a->nla_len > len - off)
			return -EINVAL;
		type = a->nla_type & NLA_TYPE_MASK;
		plen = a->nla_len - sizeof(*a);
		p = type <= max ? &pol[type] : NULL;
		if (p != NULL) {
			const char *pl = base + off + sizeof(*a);

			switch (p->kind) {
			case P_FIXED:
				if (plen != p->len)
					return -EINVAL;
				break;
			case P_NULSTR:
				/* libmnl's MNL_TYPE_NUL_STRING: the last
				 * byte, not just any, must be the NUL. */
				if (plen == 0 || pl[plen - 1] != '\0')
					return -EINVAL;
				break;
			case P_NESTED:
				if (plen != 0 && plen < sizeof(*a))
					return -EINVAL;
				if (check_attrs(pl, plen, p->nest, p->nest_max,
				    depth + 1) < 0)
					return -EINVAL;
				break;
			default:
				break;
			}
		}
		off += MNL_ALIGN(a->nla_len);
	}
	return 0;
}

int
ct_event_parse(const void *buf, size_t len, struct ct_event *ev)
{
	const struct nlmsghdr *nlh = buf;
	const struct nfgenmsg *nfg;
	struct nf_conntrack *ct;
	uint16_t type;
	int ret;

	memset(ev, 0, sizeof(*ev));
	if (len < sizeof(*nlh) || nlh->nlmsg_len < sizeof(*nlh) ||
	    nlh->nlmsg_len > len)
		return -EINVAL;
	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_CTNETLINK)
		return -ENOMSG;
	type = NFNL_MSG_TYPE(nlh->nlmsg_type);
	if (type == IPCTNL_MSG_CT_NEW)
		ev->type = (nlh->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL)) ?
		    CT_EV_NEW : CT_EV_UPDATE;
	else if (type == IPCTNL_MSG_CT_DELETE)
		ev->type = CT_EV_DESTROY;
	else
		return -ENOMSG;
	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*nfg)))
		return -EINVAL;
	if ((ret = check_attrs((const char *)mnl_nlmsg_get_payload(nlh) +
	    MNL_ALIGN(sizeof(*nfg)), nlh->nlmsg_len -
	    NLMSG_LENGTH(MNL_ALIGN(sizeof(*nfg))), pol_ct, CT_ATTR_MAX, 0)) < 0)
		return ret;
	nfg = mnl_nlmsg_get_payload(nlh);
	if (nfg->nfgen_family != AF_INET && nfg->nfgen_family != AF_INET6)
		return -EINVAL;

	if ((ct = scratch_get()) == NULL)
		return -ENOMEM;
	scratch_reset();
	if ((ct = scratch) == NULL)
		return -ENOMEM;
	if (nfct_nlmsg_parse(nlh, ct) < 0)
		return -EINVAL;

	if (!isset(ct, ATTR_ORIG_L3PROTO) || !isset(ct, ATTR_ORIG_L4PROTO))
		return -EINVAL;
	ev->family = nfct_get_attr_u8(ct, ATTR_ORIG_L3PROTO);
	if (ev->family != AF_INET && ev->family != AF_INET6)
		return -EINVAL;
	ev->proto = nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO);
	copy_tuples(ct, ev);
	if (ev->orig.src.family == 0 || ev->orig.dst.family == 0)
		return -EINVAL;
	copy_meta(ct, ev);
	copy_event_ts(nlh, ev);
	return 0;
}
