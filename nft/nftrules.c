/*
 * nftrules: building the table's messages (pure: nothing here opens a
 * socket) and parsing element messages back. The netlink side is in
 * nftrules_nl.c. Why each hook, priority and rule: nft/README.md.
 */
#include "nft/nftrules.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

/* nftables' datatype numbers (src/datatype.h), so that `nft list` prints
 * the keys as addresses and interface names. */
#define NFT_TYPE_IPADDR		7
#define NFT_TYPE_IP6ADDR	8
#define NFT_TYPE_IFNAME		41

/* nftables' byte orders (src/expression.h) for the set's userdata. */
#define NFT_BYTEORDER_HOST	1
#define NFT_BYTEORDER_BIG	2

struct set_desc {
	const char *name;
	uint32_t key_type;
	uint32_t key_len;
	uint32_t id;		/* NFTA_SET_ID within the create batch */
	uint32_t byteorder;	/* how `nft list` should print keys */
};

/* Indexed by enum nftrules_kind. */
static const struct set_desc sets[] = {
	[NFTRULES_KEY_IFNAME] = { NFTRULES_SET_IFS, NFT_TYPE_IFNAME, IFNAMSIZ,
	    3, NFT_BYTEORDER_HOST },
	[NFTRULES_KEY_V4] = { NFTRULES_SET_V4, NFT_TYPE_IPADDR, 4, 1,
	    NFT_BYTEORDER_BIG },
	[NFTRULES_KEY_V6] = { NFTRULES_SET_V6, NFT_TYPE_IP6ADDR, 16, 2,
	    NFT_BYTEORDER_BIG },
};
#define NSETS ((int)(sizeof(sets) / sizeof(sets[0])))

void
nftrules_conf_init(struct nftrules_conf *c)
{
	c->mark_bit = NFTRULES_DEFAULT_MARK_BIT;
	c->nflog_group = NFTRULES_DEFAULT_NFLOG_GROUP;
	c->snaplen = NFTRULES_DEFAULT_SNAPLEN;
}

int
nftrules_conf_check(const struct nftrules_conf *c)
{
	if (c->mark_bit == 0 || (c->mark_bit & (c->mark_bit - 1)) != 0)
		return -EINVAL;
	if (c->snaplen == 0)
		return -EINVAL;
	return 0;
}

void
nftrules_owner_format(char *buf, const char *container_id, const char *ifname)
{
	/* snprintf truncates safely; the same truncation on every side
	 * keeps owners comparable. */
	snprintf(buf, NFTRULES_OWNER_LEN, "%s/%s",
	    container_id ? container_id : "", ifname ? ifname : "");
}

static bool
key_equal(const struct nftrules_key *a, const struct nftrules_key *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == NFTRULES_KEY_IFNAME)
		return strncmp(a->ifname, b->ifname, IFNAMSIZ) == 0;
	return addr_equal(&a->addr, &b->addr);
}

static int
elems_push(struct nftrules_elems *e, const struct nftrules_key *k)
{
	int i;

	for (i = 0; i < e->nkeys; i++)
		if (key_equal(&e->keys[i], k))
			return 0;
	if (e->nkeys >= NFTRULES_MAX_KEYS)
		return -E2BIG;
	e->keys[e->nkeys++] = *k;
	return 0;
}

int
nftrules_elems_init(struct nftrules_elems *e, const char *container_id,
    const char *ifname, const char *host_ifname, const struct addr *addrs,
    int n)
{
	struct nftrules_key k;
	int i, ret;

	memset(e, 0, sizeof(*e));
	nftrules_owner_format(e->owner, container_id, ifname);
	if (host_ifname != NULL && host_ifname[0] != '\0') {
		if (strlen(host_ifname) >= IFNAMSIZ)
			return -EINVAL;
		memset(&k, 0, sizeof(k));
		k.kind = NFTRULES_KEY_IFNAME;
		strncpy(k.ifname, host_ifname, IFNAMSIZ - 1);
		if ((ret = elems_push(e, &k)) != 0)
			return ret;
	}
	for (i = 0; i < n; i++) {
		if (addrs[i].family != AF_INET && addrs[i].family != AF_INET6)
			continue;
		if (addr_is_loopback(&addrs[i]))
			continue;
		memset(&k, 0, sizeof(k));
		k.kind = addrs[i].family == AF_INET ? NFTRULES_KEY_V4 :
		    NFTRULES_KEY_V6;
		k.addr = addrs[i];
		if ((ret = elems_push(e, &k)) != 0)
			return ret;
	}
	return 0;
}

/* ---- batch ---------------------------------------------------------- */

struct mnl_nlmsg_batch *
nftrules_batch_start(void *buf, uint32_t *seq)
{
	return nftrules_batch_start_size(buf, NFTRULES_BATCH_LIMIT, seq);
}

struct mnl_nlmsg_batch *
nftrules_batch_start_size(void *buf, size_t limit, uint32_t *seq)
{
	struct mnl_nlmsg_batch *b;

	b = mnl_nlmsg_batch_start(buf, limit);
	if (b == NULL)
		return NULL;
	nftnl_batch_begin(mnl_nlmsg_batch_current(b), (*seq)++);
	mnl_nlmsg_batch_next(b);
	return b;
}

int
nftrules_batch_finish(struct mnl_nlmsg_batch *b, uint32_t *seq)
{
	nftnl_batch_end(mnl_nlmsg_batch_current(b), (*seq)++);
	if (!mnl_nlmsg_batch_next(b))
		return -ENOSPC;
	return 0;
}

static struct nlmsghdr *
msg_hdr(struct mnl_nlmsg_batch *b, uint32_t *seq, uint16_t type,
    uint16_t flags)
{
	return nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), type,
	    NFPROTO_INET, flags, (*seq)++);
}

static int
msg_next(struct mnl_nlmsg_batch *b)
{
	return mnl_nlmsg_batch_next(b) ? 0 : -ENOSPC;
}

/* ---- expressions ------------------------------------------------------ */

static int
add_expr(struct nftnl_rule *r, struct nftnl_expr *e)
{
	if (e == NULL)
		return -ENOMEM;
	nftnl_rule_add_expr(r, e);
	return 0;
}

static int
e_meta(struct nftnl_rule *r, uint32_t key)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	if (e == NULL)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	return add_expr(r, e);
}

static int
e_cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	if (e == NULL)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	return add_expr(r, e);
}

static int
e_payload(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	if (e == NULL)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	return add_expr(r, e);
}

static int
e_lookup(struct nftnl_rule *r, int kind)
{
	struct nftnl_expr *e = nftnl_expr_alloc("lookup");

	if (e == NULL)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, sets[kind].name);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, sets[kind].id);
	return add_expr(r, e);
}

/* reg1 = (ct KEY & mask) ^ xor: the load both ct rules start with. */
static int
e_ct_load_bitwise(struct nftnl_rule *r, uint32_t key, uint32_t mask,
    uint32_t xor)
{
	struct nftnl_expr *e;
	int ret;

	if ((e = nftnl_expr_alloc("ct")) == NULL)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	if ((ret = add_expr(r, e)) != 0)
		return ret;
	if ((e = nftnl_expr_alloc("bitwise")) == NULL)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, sizeof(uint32_t));
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, sizeof(mask));
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &xor, sizeof(xor));
	return add_expr(r, e);
}

/* ct state new: (state & NEW) != 0 */
static int
e_ct_new(struct nftnl_rule *r)
{
	uint32_t zero = 0;
	int ret;

	if ((ret = e_ct_load_bitwise(r, NFT_CT_STATE,
	    NF_CT_STATE_BIT(IP_CT_NEW), 0)) != 0)
		return ret;
	return e_cmp(r, NFT_CMP_NEQ, &zero, sizeof(zero));
}

/* ct mark set ct mark | bit: load, (mark & ~bit) ^ bit, store. Every other
 * mark bit is kept, so kube-proxy's and other CNIs' marks survive. */
static int
e_ct_mark_or(struct nftnl_rule *r, uint32_t bit)
{
	struct nftnl_expr *e;
	int ret;

	if ((ret = e_ct_load_bitwise(r, NFT_CT_MARK, ~bit, bit)) != 0)
		return ret;
	if ((e = nftnl_expr_alloc("ct")) == NULL)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_MARK);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_SREG, NFT_REG_1);
	return add_expr(r, e);
}

static int
e_log(struct nftnl_rule *r, const struct nftrules_conf *c)
{
	struct nftnl_expr *e = nftnl_expr_alloc("log");

	if (e == NULL)
		return -ENOMEM;
	nftnl_expr_set_u16(e, NFTNL_EXPR_LOG_GROUP, c->nflog_group);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOG_SNAPLEN, c->snaplen);
	return add_expr(r, e);
}

/* meta nfproto ipv4|ipv6 */
static int
e_nfproto(struct nftnl_rule *r, int kind)
{
	uint8_t p = kind == NFTRULES_KEY_V4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
	int ret;

	if ((ret = e_meta(r, NFT_META_NFPROTO)) != 0)
		return ret;
	return e_cmp(r, NFT_CMP_EQ, &p, sizeof(p));
}

/* ip saddr / ip daddr / ip6 saddr / ip6 daddr @pod_v4|6 */
static int
e_addr_in_set(struct nftnl_rule *r, int kind, bool dst)
{
	uint32_t off, len;
	int ret;

	if (kind == NFTRULES_KEY_V4) {
		off = dst ? 16 : 12;
		len = 4;
	} else {
		off = dst ? 24 : 8;
		len = 16;
	}
	if ((ret = e_nfproto(r, kind)) != 0)
		return ret;
	if ((ret = e_payload(r, NFT_PAYLOAD_NETWORK_HEADER, off, len)) != 0)
		return ret;
	return e_lookup(r, kind);
}

/* ---- rules ---------------------------------------------------------- */

enum rule_kind {
	RULE_MARK_ADDR,		/* ct state new <addr> @set: mark */
	RULE_MARK_IIF,		/* ct state new iifname @pod_ifs: mark */
	RULE_DNS,		/* <l4> sport 53 <daddr> @set: log group */
};

struct rule_desc {
	uint8_t what;		/* enum rule_kind */
	uint8_t kind;		/* enum nftrules_kind */
	uint8_t dst;		/* daddr rather than saddr */
	uint8_t l4proto;	/* RULE_DNS: IPPROTO_UDP or IPPROTO_TCP */
	uint8_t prerouting_only;
};

/* The whole rule set, in order, for both chains. */
static const struct rule_desc rules[] = {
	{ .what = RULE_MARK_ADDR, .kind = NFTRULES_KEY_V4, .dst = 0 },
	{ .what = RULE_MARK_ADDR, .kind = NFTRULES_KEY_V4, .dst = 1 },
	{ .what = RULE_MARK_ADDR, .kind = NFTRULES_KEY_V6, .dst = 0 },
	{ .what = RULE_MARK_ADDR, .kind = NFTRULES_KEY_V6, .dst = 1 },
	{ .what = RULE_MARK_IIF, .kind = NFTRULES_KEY_IFNAME,
	  .prerouting_only = 1 },
	{ .what = RULE_DNS, .kind = NFTRULES_KEY_V4, .l4proto = IPPROTO_UDP },
	{ .what = RULE_DNS, .kind = NFTRULES_KEY_V4, .l4proto = IPPROTO_TCP },
	{ .what = RULE_DNS, .kind = NFTRULES_KEY_V6, .l4proto = IPPROTO_UDP },
	{ .what = RULE_DNS, .kind = NFTRULES_KEY_V6, .l4proto = IPPROTO_TCP },
};
#define NRULES ((int)(sizeof(rules) / sizeof(rules[0])))

int
nftrules_expected_rules(const char *chain)
{
	int i, n = 0;

	for (i = 0; i < NRULES; i++)
		if (strcmp(chain, NFTRULES_CHAIN_PRE) == 0 ||
		    !rules[i].prerouting_only)
			n++;
	return n;
}

static int
rule_exprs(struct nftnl_rule *r, const struct rule_desc *d,
    const struct nftrules_conf *c)
{
	uint16_t port53 = htons(53);
	int ret;

	switch (d->what) {
	case RULE_MARK_ADDR:
		if ((ret = e_ct_new(r)) != 0)
			return ret;
		if ((ret = e_addr_in_set(r, d->kind, d->dst)) != 0)
			return ret;
		return e_ct_mark_or(r, c->mark_bit);
	case RULE_MARK_IIF:
		if ((ret = e_ct_new(r)) != 0)
			return ret;
		if ((ret = e_meta(r, NFT_META_IIFNAME)) != 0)
			return ret;
		if ((ret = e_lookup(r, NFTRULES_KEY_IFNAME)) != 0)
			return ret;
		return e_ct_mark_or(r, c->mark_bit);
	case RULE_DNS:
		if ((ret = e_meta(r, NFT_META_L4PROTO)) != 0)
			return ret;
		if ((ret = e_cmp(r, NFT_CMP_EQ, &d->l4proto, 1)) != 0)
			return ret;
		if ((ret = e_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0,
		    sizeof(port53))) != 0)
			return ret;
		if ((ret = e_cmp(r, NFT_CMP_EQ, &port53, sizeof(port53))) != 0)
			return ret;
		if ((ret = e_addr_in_set(r, d->kind, true)) != 0)
			return ret;
		return e_log(r, c);
	}
	return -EINVAL;
}

static int
build_rule(struct mnl_nlmsg_batch *b, uint32_t *seq, const char *chain,
    const struct rule_desc *d, const struct nftrules_conf *c)
{
	struct nftnl_rule *r;
	struct nlmsghdr *nlh;
	int ret;

	if ((r = nftnl_rule_alloc()) == NULL)
		return -ENOMEM;
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NFTRULES_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	if ((ret = rule_exprs(r, d, c)) != 0)
		goto out;
	nlh = msg_hdr(b, seq, NFT_MSG_NEWRULE,
	    NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	ret = msg_next(b);
out:
	nftnl_rule_free(r);
	return ret;
}

static int
build_chain(struct mnl_nlmsg_batch *b, uint32_t *seq, const char *name,
    uint32_t hook)
{
	struct nftnl_chain *ch;
	struct nlmsghdr *nlh;

	if ((ch = nftnl_chain_alloc()) == NULL)
		return -ENOMEM;
	nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, NFTRULES_TABLE);
	nftnl_chain_set_str(ch, NFTNL_CHAIN_NAME, name);
	nftnl_chain_set_u32(ch, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	nftnl_chain_set_str(ch, NFTNL_CHAIN_TYPE, "filter");
	nftnl_chain_set_u32(ch, NFTNL_CHAIN_HOOKNUM, hook);
	nftnl_chain_set_s32(ch, NFTNL_CHAIN_PRIO, NFTRULES_PRIORITY);
	/* The policy stays accept: this chain never decides anything. */
	nftnl_chain_set_u32(ch, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	nlh = msg_hdr(b, seq, NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_ACK);
	nftnl_chain_nlmsg_build_payload(nlh, ch);
	nftnl_chain_free(ch);
	return msg_next(b);
}

static int
build_set(struct mnl_nlmsg_batch *b, uint32_t *seq, const struct set_desc *d)
{
	struct nftnl_set *s;
	struct nftnl_udata_buf *ud;
	struct nlmsghdr *nlh;

	if ((s = nftnl_set_alloc()) == NULL)
		return -ENOMEM;
	if ((ud = nftnl_udata_buf_alloc(64)) == NULL) {
		nftnl_set_free(s);
		return -ENOMEM;
	}
	nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER, d->byteorder);
	nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud),
	    nftnl_udata_buf_len(ud));
	nftnl_udata_buf_free(ud);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, NFTRULES_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, d->name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, 0);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, d->key_type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, d->key_len);
	nftnl_set_set_u32(s, NFTNL_SET_ID, d->id);
	nlh = msg_hdr(b, seq, NFT_MSG_NEWSET, NLM_F_CREATE | NLM_F_ACK);
	nftnl_set_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	return msg_next(b);
}

/* The sets and the two base chains (NLM_F_CREATE, never EXCL: existing
 * ones are kept with their elements). The table must exist or be
 * created earlier in the same batch. */
static int
build_body_keep(struct mnl_nlmsg_batch *b, uint32_t *seq)
{
	int i, ret;

	for (i = 0; i < NSETS; i++)
		if ((ret = build_set(b, seq, &sets[i])) != 0)
			return ret;
	if ((ret = build_chain(b, seq, NFTRULES_CHAIN_PRE,
	    NF_INET_PRE_ROUTING)) != 0)
		return ret;
	return build_chain(b, seq, NFTRULES_CHAIN_OUT, NF_INET_LOCAL_OUT);
}

/* Every rule of both chains for c, appended. */
static int
build_rules(struct mnl_nlmsg_batch *b, uint32_t *seq,
    const struct nftrules_conf *c)
{
	int i, ret;

	for (i = 0; i < NRULES; i++)
		if ((ret = build_rule(b, seq, NFTRULES_CHAIN_PRE, &rules[i],
		    c)) != 0)
			return ret;
	for (i = 0; i < NRULES; i++) {
		/* Locally generated packets have no input interface. */
		if (rules[i].prerouting_only)
			continue;
		if ((ret = build_rule(b, seq, NFTRULES_CHAIN_OUT, &rules[i],
		    c)) != 0)
			return ret;
	}
	return 0;
}

int
nftrules_build_create(struct mnl_nlmsg_batch *b, uint32_t *seq,
    const struct nftrules_conf *c)
{
	struct nftnl_table *t;
	struct nlmsghdr *nlh;
	int ret;

	if ((ret = nftrules_conf_check(c)) != 0)
		return ret;
	if ((t = nftnl_table_alloc()) == NULL)
		return -ENOMEM;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, NFTRULES_TABLE);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nlh = msg_hdr(b, seq, NFT_MSG_NEWTABLE,
	    NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	if ((ret = msg_next(b)) != 0 || (ret = build_body_keep(b, seq)) != 0)
		return ret;
	return build_rules(b, seq, c);
}

/* Flush one chain: DELRULE naming the chain and no rule handle. */
static int
build_flush_chain(struct mnl_nlmsg_batch *b, uint32_t *seq, const char *chain)
{
	struct nftnl_rule *r;
	struct nlmsghdr *nlh;

	if ((r = nftnl_rule_alloc()) == NULL)
		return -ENOMEM;
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NFTRULES_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nlh = msg_hdr(b, seq, NFT_MSG_DELRULE, NLM_F_ACK);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	return msg_next(b);
}

int
nftrules_build_rewrite(struct mnl_nlmsg_batch *b, uint32_t *seq,
    const struct nftrules_conf *c)
{
	int ret;

	if ((ret = nftrules_conf_check(c)) != 0)
		return ret;
	/* Sets and chains with NLM_F_CREATE but not EXCL: the ones there
	 * are kept as they are, elements included; missing ones come
	 * back. Then both chains are flushed and filled again. */
	if ((ret = build_body_keep(b, seq)) != 0 ||
	    (ret = build_flush_chain(b, seq, NFTRULES_CHAIN_PRE)) != 0 ||
	    (ret = build_flush_chain(b, seq, NFTRULES_CHAIN_OUT)) != 0)
		return ret;
	return build_rules(b, seq, c);
}

/* ---- reading rules back ------------------------------------------------- */

struct rule_read {
	struct nftrules_rule_info *out;
	uint32_t last_xor;		/* of the last bitwise seen */
};

static int
rule_expr_cb(struct nftnl_expr *e, void *data)
{
	struct rule_read *rr = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	uint32_t len = 0;
	const void *x;

	if (name == NULL)
		return MNL_CB_OK;
	if (strcmp(name, "bitwise") == 0) {
		x = nftnl_expr_get(e, NFTNL_EXPR_BITWISE_XOR, &len);
		rr->last_xor = 0;
		if (x != NULL && len == sizeof(uint32_t))
			memcpy(&rr->last_xor, x, sizeof(uint32_t));
	} else if (strcmp(name, "ct") == 0 &&
	    nftnl_expr_is_set(e, NFTNL_EXPR_CT_SREG) &&
	    nftnl_expr_get_u32(e, NFTNL_EXPR_CT_KEY) == NFT_CT_MARK) {
		/* ct mark set (mark & ~bit) ^ bit: the bit is the xor. */
		rr->out->marks = true;
		rr->out->mark_bit = rr->last_xor;
	} else if (strcmp(name, "log") == 0) {
		rr->out->logs = true;
		if (nftnl_expr_is_set(e, NFTNL_EXPR_LOG_GROUP))
			rr->out->group = nftnl_expr_get_u16(e,
			    NFTNL_EXPR_LOG_GROUP);
		if (nftnl_expr_is_set(e, NFTNL_EXPR_LOG_SNAPLEN))
			rr->out->snaplen = nftnl_expr_get_u32(e,
			    NFTNL_EXPR_LOG_SNAPLEN);
	}
	return MNL_CB_OK;
}

int
nftrules_parse_rule(const struct nlmsghdr *nlh, struct nftrules_rule_info *out)
{
	struct rule_read rr = { .out = out };
	struct nftnl_rule *r;
	const char *table, *chain;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if ((r = nftnl_rule_alloc()) == NULL)
		return -ENOMEM;
	if (nftnl_rule_nlmsg_parse(nlh, r) < 0 ||
	    (table = nftnl_rule_get_str(r, NFTNL_RULE_TABLE)) == NULL ||
	    (chain = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN)) == NULL) {
		ret = -EBADMSG;
		goto out;
	}
	if (strcmp(table, NFTRULES_TABLE) != 0) {
		ret = -ENOENT;		/* another table's */
		goto out;
	}
	snprintf(out->chain, sizeof(out->chain), "%s", chain);
	(void)nftnl_expr_foreach(r, rule_expr_cb, &rr);
out:
	nftnl_rule_free(r);
	return ret;
}

int
nftrules_expected_marks(const char *chain, int *marks, int *logs)
{
	int i;

	*marks = *logs = 0;
	for (i = 0; i < NRULES; i++) {
		if (strcmp(chain, NFTRULES_CHAIN_PRE) != 0 &&
		    rules[i].prerouting_only)
			continue;
		if (rules[i].what == RULE_DNS)
			(*logs)++;
		else
			(*marks)++;
	}
	return *marks + *logs;
}

/* ---- elements --------------------------------------------------------- */

static int
elem_set_key(struct nftnl_set_elem *se, const struct nftrules_key *k)
{
	if (k->kind == NFTRULES_KEY_IFNAME) {
		char name[IFNAMSIZ];

		memset(name, 0, sizeof(name));
		strncpy(name, k->ifname, IFNAMSIZ - 1);
		return nftnl_set_elem_set(se, NFTNL_SET_ELEM_KEY, name,
		    IFNAMSIZ);
	}
	return nftnl_set_elem_set(se, NFTNL_SET_ELEM_KEY, k->addr.bytes,
	    addr_len(&k->addr));
}

static int
elem_set_owner(struct nftnl_set_elem *se, const char *owner)
{
	struct nftnl_udata_buf *ud;
	int ret = 0;

	if (owner[0] == '\0')
		return 0;
	if ((ud = nftnl_udata_buf_alloc(NFTRULES_OWNER_LEN + 8)) == NULL)
		return -ENOMEM;
	if (!nftnl_udata_put_strz(ud, NFTNL_UDATA_SET_ELEM_COMMENT, owner))
		ret = -ENOSPC;
	else if (nftnl_set_elem_set(se, NFTNL_SET_ELEM_USERDATA,
	    nftnl_udata_buf_data(ud), nftnl_udata_buf_len(ud)) < 0)
		ret = -ENOMEM;
	nftnl_udata_buf_free(ud);
	return ret;
}

/* One message for the keys of e that belong to set kind. */
static int
build_set_elems(struct mnl_nlmsg_batch *b, uint32_t *seq, int msg_type,
    const struct nftrules_elems *e, int kind)
{
	struct nftnl_set *s;
	struct nftnl_set_elem *se;
	struct nlmsghdr *nlh;
	uint16_t flags;
	int i, n = 0, ret = 0;

	if ((s = nftnl_set_alloc()) == NULL)
		return -ENOMEM;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, NFTRULES_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, sets[kind].name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	for (i = 0; i < e->nkeys; i++) {
		if (e->keys[i].kind != kind)
			continue;
		if ((se = nftnl_set_elem_alloc()) == NULL) {
			ret = -ENOMEM;
			goto out;
		}
		nftnl_set_elem_add(s, se);	/* s owns se from here */
		if ((ret = elem_set_key(se, &e->keys[i])) < 0) {
			ret = -ENOMEM;
			goto out;
		}
		if (msg_type == NFT_MSG_NEWSETELEM &&
		    (ret = elem_set_owner(se, e->owner)) != 0)
			goto out;
		n++;
	}
	if (n == 0)
		goto out;
	flags = NLM_F_ACK;
	if (msg_type == NFT_MSG_NEWSETELEM)
		flags |= NLM_F_CREATE;
	nlh = msg_hdr(b, seq, msg_type, flags);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	ret = msg_next(b);
out:
	nftnl_set_free(s);
	return ret;
}

int
nftrules_build_elems(struct mnl_nlmsg_batch *b, uint32_t *seq, int msg_type,
    const struct nftrules_elems *e)
{
	int kind, ret;

	if (msg_type != NFT_MSG_NEWSETELEM &&
	    msg_type != NFT_MSG_DESTROYSETELEM &&
	    msg_type != NFT_MSG_DELSETELEM)
		return -EINVAL;
	for (kind = 0; kind < NSETS; kind++)
		if ((ret = build_set_elems(b, seq, msg_type, e, kind)) != 0)
			return ret;
	return 0;
}

/* ---- parsing element messages ---------------------------------------- */

static int
udata_comment_cb(const struct nftnl_udata *attr, void *data)
{
	char *owner = data;
	const char *v;
	uint8_t len;

	if (nftnl_udata_type(attr) != NFTNL_UDATA_SET_ELEM_COMMENT)
		return 0;
	len = nftnl_udata_len(attr);
	v = nftnl_udata_get(attr);
	if (len == 0 || len > NFTRULES_OWNER_LEN)
		return 0;
	/* Comments are NUL-terminated (strz); be safe with ones that
	 * are not. */
	memcpy(owner, v, len);
	owner[len < NFTRULES_OWNER_LEN ? len : NFTRULES_OWNER_LEN - 1] = '\0';
	return 0;
}

static int
set_kind(const char *name)
{
	int i;

	for (i = 0; i < NSETS; i++)
		if (strcmp(sets[i].name, name) == 0)
			return i;
	return -1;
}

static int
elem_decode(struct nftnl_set_elem *se, int kind, struct nftrules_elem *out)
{
	const void *key, *ud;
	uint32_t klen = 0, ulen = 0;

	memset(out, 0, sizeof(*out));
	out->key.kind = kind;
	key = nftnl_set_elem_get(se, NFTNL_SET_ELEM_KEY, &klen);
	if (key == NULL)
		return -EBADMSG;
	if (kind == NFTRULES_KEY_IFNAME) {
		if (klen > IFNAMSIZ)
			return -EBADMSG;
		memcpy(out->key.ifname, key, klen);
		out->key.ifname[IFNAMSIZ - 1] = '\0';
	} else {
		if (klen != (kind == NFTRULES_KEY_V4 ? 4u : 16u))
			return -EBADMSG;
		addr_from_bytes(&out->key.addr,
		    kind == NFTRULES_KEY_V4 ? AF_INET : AF_INET6, key);
	}
	ud = nftnl_set_elem_get(se, NFTNL_SET_ELEM_USERDATA, &ulen);
	if (ud != NULL && ulen > 0)
		nftnl_udata_parse(ud, ulen, udata_comment_cb, out->owner);
	out->present = true;
	return 0;
}

int
nftrules_parse_elems(const struct nlmsghdr *nlh, nftrules_elem_cb cb,
    void *arg)
{
	struct nftnl_set *s;
	struct nftnl_set_elems_iter *it = NULL;
	struct nftnl_set_elem *se;
	struct nftrules_elem el;
	const char *name;
	int kind, ret = 0;

	if ((s = nftnl_set_alloc()) == NULL)
		return -ENOMEM;
	if (nftnl_set_elems_nlmsg_parse(nlh, s) < 0) {
		ret = -EBADMSG;
		goto out;
	}
	name = nftnl_set_get_str(s, NFTNL_SET_NAME);
	if (name == NULL) {
		ret = -EBADMSG;
		goto out;
	}
	/* Not one of ours (another table's dump): skip it. */
	if ((kind = set_kind(name)) < 0)
		goto out;
	if ((it = nftnl_set_elems_iter_create(s)) == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	/* iter_next returns the current element, then advances. */
	while ((se = nftnl_set_elems_iter_next(it)) != NULL) {
		if ((ret = elem_decode(se, kind, &el)) != 0)
			goto out;
		if ((ret = cb(&el, arg)) != 0)
			goto out;
	}
out:
	if (it != NULL)
		nftnl_set_elems_iter_destroy(it);
	nftnl_set_free(s);
	return ret;
}
