/*
 * nftrules: build batches, parse them back with libnftnl, check what the
 * kernel would get. No socket, no root.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "nft/nftrules.h"

struct seen {
	int tables, sets, chains, rules_pre, rules_out, elems_msgs;
	int begin, end, other;
	uint16_t table_flags;
	int verdicts;		/* immediate/verdict expressions: must be 0 */
	int marks, logs;
	uint32_t mark_mask, mark_xor;
	uint16_t log_group;
	uint32_t log_snaplen;
	int hooks[8];
	int32_t prios[2];
	uint32_t set_keytype[3], set_keylen[3];
	int msgs_new_elem, msgs_destroy_elem;
	int flushes;		/* DELRULE of a whole chain */
	int excl;		/* messages with NLM_F_EXCL */
	int info_marks, info_logs;	/* nftrules_parse_rule says */
	uint32_t info_bit;
	uint16_t info_group;
};

static int
expr_cb(struct nftnl_expr *e, void *data)
{
	struct seen *s = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	uint32_t len;

	if (strcmp(name, "immediate") == 0)
		s->verdicts++;
	if (strcmp(name, "ct") == 0 &&
	    nftnl_expr_is_set(e, NFTNL_EXPR_CT_SREG))
		s->marks++;
	if (strcmp(name, "bitwise") == 0 &&
	    *(const uint32_t *)nftnl_expr_get(e, NFTNL_EXPR_BITWISE_XOR,
	    &len) != 0) {
		s->mark_mask = *(const uint32_t *)nftnl_expr_get(e,
		    NFTNL_EXPR_BITWISE_MASK, &len);
		s->mark_xor = *(const uint32_t *)nftnl_expr_get(e,
		    NFTNL_EXPR_BITWISE_XOR, &len);
	}
	if (strcmp(name, "log") == 0) {
		s->logs++;
		s->log_group = nftnl_expr_get_u16(e, NFTNL_EXPR_LOG_GROUP);
		s->log_snaplen = nftnl_expr_get_u32(e, NFTNL_EXPR_LOG_SNAPLEN);
	}
	return 0;
}

static void
walk(const void *buf, size_t len, struct seen *s)
{
	const struct nlmsghdr *nlh = buf;
	int n = (int)len;

	memset(s, 0, sizeof(*s));
	for (; mnl_nlmsg_ok(nlh, n); nlh = mnl_nlmsg_next(nlh, &n)) {
		int type = nlh->nlmsg_type & 0xff;

		if (nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN) {
			s->begin++;
			continue;
		}
		if (nlh->nlmsg_type == NFNL_MSG_BATCH_END) {
			s->end++;
			continue;
		}
		assert_int_equal(nlh->nlmsg_type >> 8, NFNL_SUBSYS_NFTABLES);
		/* Every message wants an ack, so errors are never lost. */
		assert_true(nlh->nlmsg_flags & NLM_F_ACK);
		if (nlh->nlmsg_flags & NLM_F_EXCL)
			s->excl++;
		if (type == NFT_MSG_NEWTABLE) {
			struct nftnl_table *t = nftnl_table_alloc();

			assert_int_equal(nftnl_table_nlmsg_parse(nlh, t), 0);
			assert_string_equal(nftnl_table_get_str(t,
			    NFTNL_TABLE_NAME), NFTRULES_TABLE);
			assert_int_equal(nftnl_table_get_u32(t,
			    NFTNL_TABLE_FAMILY), NFPROTO_INET);
			s->table_flags = nlh->nlmsg_flags;
			nftnl_table_free(t);
			s->tables++;
		} else if (type == NFT_MSG_NEWSET) {
			struct nftnl_set *st = nftnl_set_alloc();
			const char *name;
			int k;

			assert_int_equal(nftnl_set_nlmsg_parse(nlh, st), 0);
			name = nftnl_set_get_str(st, NFTNL_SET_NAME);
			k = strcmp(name, NFTRULES_SET_V4) == 0 ? 0 :
			    strcmp(name, NFTRULES_SET_V6) == 0 ? 1 : 2;
			s->set_keytype[k] = nftnl_set_get_u32(st,
			    NFTNL_SET_KEY_TYPE);
			s->set_keylen[k] = nftnl_set_get_u32(st,
			    NFTNL_SET_KEY_LEN);
			nftnl_set_free(st);
			s->sets++;
		} else if (type == NFT_MSG_NEWCHAIN) {
			struct nftnl_chain *c = nftnl_chain_alloc();

			assert_int_equal(nftnl_chain_nlmsg_parse(nlh, c), 0);
			assert_string_equal(nftnl_chain_get_str(c,
			    NFTNL_CHAIN_TYPE), "filter");
			assert_int_equal(nftnl_chain_get_u32(c,
			    NFTNL_CHAIN_POLICY), NF_ACCEPT);
			s->hooks[s->chains] = (int)nftnl_chain_get_u32(c,
			    NFTNL_CHAIN_HOOKNUM);
			s->prios[s->chains] = nftnl_chain_get_s32(c,
			    NFTNL_CHAIN_PRIO);
			nftnl_chain_free(c);
			s->chains++;
		} else if (type == NFT_MSG_NEWRULE) {
			struct nftnl_rule *r = nftnl_rule_alloc();
			struct nftrules_rule_info ri;
			const char *chain;

			/* What the daemon's table check reads back. */
			assert_int_equal(nftrules_parse_rule(nlh, &ri), 0);
			if (ri.marks) {
				s->info_marks++;
				s->info_bit = ri.mark_bit;
			}
			if (ri.logs) {
				s->info_logs++;
				s->info_group = ri.group;
			}
			assert_true(ri.marks != ri.logs);
			assert_int_equal(nftnl_rule_nlmsg_parse(nlh, r), 0);
			chain = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);
			if (strcmp(chain, NFTRULES_CHAIN_PRE) == 0)
				s->rules_pre++;
			else if (strcmp(chain, NFTRULES_CHAIN_OUT) == 0)
				s->rules_out++;
			nftnl_expr_foreach(r, expr_cb, s);
			nftnl_rule_free(r);
		} else if (type == NFT_MSG_DELRULE) {
			struct nftnl_rule *r = nftnl_rule_alloc();

			/* A whole chain: no rule handle. */
			assert_int_equal(nftnl_rule_nlmsg_parse(nlh, r), 0);
			assert_false(nftnl_rule_is_set(r, NFTNL_RULE_HANDLE));
			nftnl_rule_free(r);
			s->flushes++;
		} else if (type == NFT_MSG_NEWSETELEM) {
			s->msgs_new_elem++;
		} else if (type == NFT_MSG_DESTROYSETELEM) {
			s->msgs_destroy_elem++;
		} else {
			s->other++;
		}
	}
}

static void
test_create_batch(void **state)
{
	static char buf[NFTRULES_BATCH_BUFSIZE];
	struct mnl_nlmsg_batch *b;
	struct nftrules_conf c;
	struct seen s;
	uint32_t seq = 1;

	(void)state;
	nftrules_conf_init(&c);
	b = nftrules_batch_start(buf, &seq);
	assert_non_null(b);
	assert_int_equal(nftrules_build_create(b, &seq, &c), 0);
	assert_int_equal(nftrules_batch_finish(b, &seq), 0);
	walk(mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b), &s);
	mnl_nlmsg_batch_stop(b);

	assert_int_equal(s.begin, 1);
	assert_int_equal(s.end, 1);
	assert_int_equal(s.tables, 1);
	/* Created only when missing: EXCL makes a concurrent creator lose
	 * with EEXIST instead of two tables' worth of rules. */
	assert_true(s.table_flags & NLM_F_CREATE);
	assert_true(s.table_flags & NLM_F_EXCL);
	assert_int_equal(s.sets, 3);
	assert_int_equal(s.set_keytype[0], 7);		/* ipv4_addr */
	assert_int_equal(s.set_keylen[0], 4);
	assert_int_equal(s.set_keytype[1], 8);		/* ipv6_addr */
	assert_int_equal(s.set_keylen[1], 16);
	assert_int_equal(s.set_keytype[2], 41);		/* ifname */
	assert_int_equal(s.set_keylen[2], IFNAMSIZ);
	assert_int_equal(s.chains, 2);
	assert_int_equal(s.hooks[0], NF_INET_PRE_ROUTING);
	assert_int_equal(s.hooks[1], NF_INET_LOCAL_OUT);
	assert_int_equal(s.prios[0], -90);
	assert_int_equal(s.prios[1], -90);
	/* A constant number of rules, whatever the number of pods. */
	assert_int_equal(s.rules_pre, 9);
	assert_int_equal(s.rules_out, 8);
	/* What CHECK compares the kernel's chains with. */
	assert_int_equal(nftrules_expected_rules(NFTRULES_CHAIN_PRE), 9);
	assert_int_equal(nftrules_expected_rules(NFTRULES_CHAIN_OUT), 8);
	/* Audit only: no verdict anywhere. */
	assert_int_equal(s.verdicts, 0);
	assert_int_equal(s.marks, 5 + 4);
	assert_int_equal(s.mark_mask, ~NFTRULES_DEFAULT_MARK_BIT);
	assert_int_equal(s.mark_xor, NFTRULES_DEFAULT_MARK_BIT);
	assert_int_equal(s.logs, 8);
	assert_int_equal(s.log_group, NFTRULES_DEFAULT_NFLOG_GROUP);
	assert_int_equal(s.log_snaplen, NFTRULES_DEFAULT_SNAPLEN);
	assert_int_equal(s.other, 0);
	assert_true(seq > 20);
}

static void
test_create_custom_conf(void **state)
{
	static char buf[NFTRULES_BATCH_BUFSIZE];
	struct mnl_nlmsg_batch *b;
	struct nftrules_conf c = { .mark_bit = 0x4, .nflog_group = 42,
	    .snaplen = 512 };
	struct seen s;
	uint32_t seq = 1;

	(void)state;
	b = nftrules_batch_start(buf, &seq);
	assert_int_equal(nftrules_build_create(b, &seq, &c), 0);
	assert_int_equal(nftrules_batch_finish(b, &seq), 0);
	walk(mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b), &s);
	mnl_nlmsg_batch_stop(b);
	assert_int_equal(s.mark_mask, ~0x4u);
	assert_int_equal(s.mark_xor, 0x4);
	assert_int_equal(s.log_group, 42);
	assert_int_equal(s.log_snaplen, 512);

	/* Two bits or none: refused before anything is built. */
	c.mark_bit = 0x6;
	b = nftrules_batch_start(buf, &seq);
	assert_int_equal(nftrules_build_create(b, &seq, &c), -EINVAL);
	c.mark_bit = 0;
	assert_int_equal(nftrules_build_create(b, &seq, &c), -EINVAL);
	mnl_nlmsg_batch_stop(b);
}

/*
 * The rules rewritten for another configuration: no table message (the
 * table must exist), sets and chains created only when missing (never
 * EXCL: the ones there keep their elements), both chains flushed, then
 * every rule with the new bit and group; the daemon's check reads the
 * same back.
 */
static void
test_rewrite_batch(void **state)
{
	static char buf[NFTRULES_BATCH_BUFSIZE];
	struct mnl_nlmsg_batch *b;
	struct nftrules_conf c = { .mark_bit = 0x00200000, .nflog_group = 7302,
	    .snaplen = 1024 };
	struct seen s;
	uint32_t seq = 1;
	int m, l;

	(void)state;
	b = nftrules_batch_start(buf, &seq);
	assert_int_equal(nftrules_build_rewrite(b, &seq, &c), 0);
	assert_int_equal(nftrules_batch_finish(b, &seq), 0);
	walk(mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b), &s);
	mnl_nlmsg_batch_stop(b);
	assert_int_equal(s.tables, 0);
	assert_int_equal(s.sets, 3);
	assert_int_equal(s.chains, 2);
	assert_int_equal(s.excl, 0);
	assert_int_equal(s.flushes, 2);
	assert_int_equal(s.rules_pre, nftrules_expected_rules(
	    NFTRULES_CHAIN_PRE));
	assert_int_equal(s.rules_out, nftrules_expected_rules(
	    NFTRULES_CHAIN_OUT));
	assert_int_equal(s.mark_xor, 0x00200000);
	assert_int_equal(s.mark_mask, ~0x00200000u);
	assert_int_equal(s.log_group, 7302);
	assert_int_equal(s.log_snaplen, 1024);
	assert_int_equal(s.verdicts, 0);
	assert_int_equal(s.other, 0);
	/* nftrules_parse_rule reads each rule as the check will. */
	assert_int_equal(s.info_bit, 0x00200000);
	assert_int_equal(s.info_group, 7302);
	assert_int_equal(nftrules_expected_marks(NFTRULES_CHAIN_PRE, &m, &l),
	    9);
	assert_int_equal(m, 5);
	assert_int_equal(l, 4);
	assert_int_equal(nftrules_expected_marks(NFTRULES_CHAIN_OUT, &m, &l),
	    8);
	assert_int_equal(s.info_marks, 5 + 4);
	assert_int_equal(s.info_logs, 4 + 4);
	/* A bad configuration builds nothing. */
	c.mark_bit = 0x3;
	b = nftrules_batch_start(buf, &seq);
	assert_int_equal(nftrules_build_rewrite(b, &seq, &c), -EINVAL);
	mnl_nlmsg_batch_stop(b);
}

struct collected {
	int n;
	struct nftrules_elem el[16];
};

static int
collect_cb(const struct nftrules_elem *el, void *arg)
{
	struct collected *c = arg;

	if (c->n < 16)
		c->el[c->n++] = *el;
	return 0;
}

static void
test_elems_roundtrip(void **state)
{
	static char buf[NFTRULES_BATCH_BUFSIZE];
	struct mnl_nlmsg_batch *b;
	struct nftrules_elems e;
	struct collected got = { 0 };
	struct addr addrs[4];
	const struct nlmsghdr *nlh;
	char text[ADDR_STRLEN];
	uint32_t seq = 1;
	int n, i, new_msgs = 0, destroy_msgs = 0;

	(void)state;
	assert_int_equal(addr_parse("198.18.1.5", &addrs[0]), 0);
	assert_int_equal(addr_parse("2001:db8:1::5", &addrs[1]), 0);
	assert_int_equal(addr_parse("198.18.1.5", &addrs[2]), 0); /* dup */
	assert_int_equal(addr_parse("127.0.0.1", &addrs[3]), 0); /* skip */
	assert_int_equal(nftrules_elems_init(&e, "c0ffee", "eth0",
	    "veth1234", addrs, 4), 0);
	assert_string_equal(e.owner, "c0ffee/eth0");
	assert_int_equal(e.nkeys, 3);

	b = nftrules_batch_start(buf, &seq);
	assert_int_equal(nftrules_build_elems(b, &seq, NFT_MSG_DESTROYSETELEM,
	    &e), 0);
	assert_int_equal(nftrules_build_elems(b, &seq, NFT_MSG_NEWSETELEM,
	    &e), 0);
	assert_int_equal(nftrules_build_elems(b, &seq, NFT_MSG_GETRULE, &e),
	    -EINVAL);
	assert_int_equal(nftrules_batch_finish(b, &seq), 0);

	nlh = mnl_nlmsg_batch_head(b);
	n = (int)mnl_nlmsg_batch_size(b);
	for (; mnl_nlmsg_ok(nlh, n); nlh = mnl_nlmsg_next(nlh, &n)) {
		int type = nlh->nlmsg_type & 0xff;

		if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES)
			continue;
		if (type == NFT_MSG_DESTROYSETELEM) {
			destroy_msgs++;
			assert_false(nlh->nlmsg_flags & NLM_F_CREATE);
		} else if (type == NFT_MSG_NEWSETELEM) {
			new_msgs++;
			assert_true(nlh->nlmsg_flags & NLM_F_CREATE);
			/* Not EXCL: a key already there is no error. */
			assert_false(nlh->nlmsg_flags & NLM_F_EXCL);
			assert_int_equal(nftrules_parse_elems(nlh, collect_cb,
			    &got), 0);
		}
	}
	mnl_nlmsg_batch_stop(b);
	/* One message per set that has keys. */
	assert_int_equal(destroy_msgs, 3);
	assert_int_equal(new_msgs, 3);
	assert_int_equal(got.n, 3);
	for (i = 0; i < got.n; i++) {
		assert_string_equal(got.el[i].owner, "c0ffee/eth0");
		switch (got.el[i].key.kind) {
		case NFTRULES_KEY_IFNAME:
			assert_string_equal(got.el[i].key.ifname, "veth1234");
			break;
		case NFTRULES_KEY_V4:
			assert_string_equal(addr_format(&got.el[i].key.addr,
			    text, sizeof(text)), "198.18.1.5");
			break;
		case NFTRULES_KEY_V6:
			assert_string_equal(addr_format(&got.el[i].key.addr,
			    text, sizeof(text)), "2001:db8:1::5");
			break;
		default:
			fail();
		}
	}
}

static void
test_elems_limits(void **state)
{
	struct nftrules_elems e;
	struct addr addrs[12];
	char cid[300];
	int i;

	(void)state;
	for (i = 0; i < 12; i++) {
		char s[32];

		snprintf(s, sizeof(s), "198.18.1.%d", i + 1);
		assert_int_equal(addr_parse(s, &addrs[i]), 0);
	}
	assert_int_equal(nftrules_elems_init(&e, "c", "eth0", "v", addrs, 12),
	    -E2BIG);
	/* macvlan: no host interface, addresses only. */
	assert_int_equal(nftrules_elems_init(&e, "c", "eth0", "", addrs, 2), 0);
	assert_int_equal(e.nkeys, 2);
	assert_int_equal(nftrules_elems_init(&e, "c", "eth0",
	    "a-name-far-too-long", addrs, 1), -EINVAL);
	/* Owners are truncated the same way everywhere. */
	memset(cid, 'f', sizeof(cid) - 1);
	cid[sizeof(cid) - 1] = '\0';
	assert_int_equal(nftrules_elems_init(&e, cid, "eth0", NULL, addrs, 1),
	    0);
	assert_int_equal(strlen(e.owner), NFTRULES_OWNER_LEN - 1);
}

static void
test_parse_elems_malformed(void **state)
{
	char buf[512];
	struct nlmsghdr *nlh;
	struct collected got = { 0 };

	(void)state;
	/* A NEWSETELEM with no attributes at all. */
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWSETELEM, NFPROTO_INET, 0,
	    1);
	assert_int_not_equal(nftrules_parse_elems(nlh, collect_cb, &got), 0);
	assert_int_equal(got.n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_batch),
		cmocka_unit_test(test_create_custom_conf),
		cmocka_unit_test(test_rewrite_batch),
		cmocka_unit_test(test_elems_roundtrip),
		cmocka_unit_test(test_elems_limits),
		cmocka_unit_test(test_parse_elems_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
