#include "recorderd/ct.h"

#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

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
}

/*
 * Walk the top-level attributes ourselves before handing the message to
 * the library: every attribute header must lie inside the message. The
 * library's own walk stops quietly at a bad length, which would turn a
 * corrupt message into a half-filled event.
 */
static int
check_attrs(const struct nlmsghdr *nlh)
{
	const struct nlattr *attr;
	size_t off = MNL_ALIGN(sizeof(struct nfgenmsg));
	size_t plen = mnl_nlmsg_get_payload_len(nlh);
	const char *base = mnl_nlmsg_get_payload(nlh);

	while (off < plen) {
		if (plen - off < sizeof(struct nlattr))
			return -EINVAL;
		attr = (const struct nlattr *)(base + off);
		if (attr->nla_len < sizeof(struct nlattr) ||
		    attr->nla_len > plen - off)
			return -EINVAL;
		off += MNL_ALIGN(attr->nla_len);
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
	if ((ret = check_attrs(nlh)) < 0)
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
	return 0;
}
