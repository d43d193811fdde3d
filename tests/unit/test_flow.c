/* flow: the one flow record, its key order and its merge rule, in C and as
 * the store's SQL (the two must agree). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <netinet/in.h>

#include <sqlite3.h>

#include "lib/flow.h"
#include "lib/store.h"
#include "tests/unit/ut_store.h"

static void
key(struct flow_key *k, int64_t subject, const char *peer, uint16_t port)
{
	flow_key_init(k);
	k->subject = subject;
	k->peer_kind = FLOW_PEER_ADDRESS;
	assert_int_equal(addr_parse(peer, &k->peer), 0);
	k->protocol = IPPROTO_TCP;
	k->port = port;
}

static void
test_key(void **state)
{
	struct flow_key a, b;

	(void)state;
	key(&a, 1, "203.0.113.10", 443);
	key(&b, 1, "203.0.113.10", 443);
	assert_true(flow_key_equal(&a, &b));
	assert_int_equal(flow_key_hash(&a), flow_key_hash(&b));
	assert_int_equal(flow_key_cmp(&a, &b), 0);
	/* The listing order: subject first, then direction, ... port. */
	b.port = 80;
	assert_false(flow_key_equal(&a, &b));
	assert_true(flow_key_cmp(&b, &a) < 0);
	b.subject = 2;
	assert_true(flow_key_cmp(&a, &b) < 0);
	key(&b, 1, "203.0.113.10", 443);
	b.direction = FLOW_INGRESS;
	assert_true(flow_key_cmp(&a, &b) < 0);
	key(&b, 1, "203.0.113.9", 9999);
	assert_true(flow_key_cmp(&b, &a) < 0);	/* peer before port */
	key(&b, 1, "2001:db8::1", 1);
	assert_true(flow_key_cmp(&a, &b) < 0);	/* IPv4 before IPv6 */
	key(&b, 1, "203.0.113.10", 443);
	assert_int_equal(addr_parse("198.18.100.10", &b.orig), 0);
	assert_true(flow_key_cmp(&b, &a) < 0);	/* no DNAT last */
}

static void
test_merge(void **state)
{
	struct flow_key k;
	struct flow a, b;

	(void)state;
	key(&k, 1, "203.0.113.10", 443);
	flow_init(&a, &k, 100, 2);
	assert_string_equal(a.dns_name, "");
	flow_init(&b, &k, 90, 3);
	b.last_seen = 95;
	b.bytes = 10;
	b.packets = 2;
	b.dns_name = "old.example.test";
	flow_merge(&a, &b);
	assert_int_equal(a.count, 5);
	assert_int_equal(a.bytes, 10);
	assert_int_equal(a.packets, 2);
	assert_int_equal(a.first_seen, 90);
	assert_int_equal(a.last_seen, 100);
	/* a had no name: any name beats none. */
	assert_string_equal(a.dns_name, "old.example.test");
	/* An older name does not replace a newer one... */
	b.dns_name = "older.example.test";
	b.first_seen = b.last_seen = 50;
	flow_merge(&a, &b);
	assert_string_equal(a.dns_name, "old.example.test");
	/* ...a newer one, or one seen at the same second, does. */
	b.dns_name = "new.example.test";
	b.last_seen = 100;
	flow_merge(&a, &b);
	assert_string_equal(a.dns_name, "new.example.test");
	/* No name never erases one. */
	b.dns_name = "";
	b.last_seen = 200;
	flow_merge(&a, &b);
	assert_string_equal(a.dns_name, "new.example.test");
	assert_int_equal(a.last_seen, 200);
	assert_int_equal(a.first_seen, 50);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(flow_direction_name(FLOW_EGRESS), "egress");
	assert_string_equal(flow_direction_name(FLOW_INGRESS), "ingress");
	assert_string_equal(flow_direction_name(7), "?");
	assert_string_equal(flow_peer_kind_name(FLOW_PEER_NODE), "node");
	assert_string_equal(flow_peer_kind_name(-1), "?");
	assert_string_equal(flow_protocol_name(IPPROTO_ICMPV6), "ICMPv6");
	assert_null(flow_protocol_name(IPPROTO_GRE));
	assert_int_equal(flow_protocol_parse("sctp"), IPPROTO_SCTP);
	assert_int_equal(flow_protocol_parse("gre"), -EINVAL);
}

struct stored {
	int64_t first, last, count, bytes, packets;
	char dns[FLOW_NAME_LEN];
};

static void
read_back(const char *path, struct stored *out)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT first_seen, last_seen,"
	    " count, bytes, packets, dns_name FROM flows", -1, &s, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	out->first = sqlite3_column_int64(s, 0);
	out->last = sqlite3_column_int64(s, 1);
	out->count = sqlite3_column_int64(s, 2);
	out->bytes = sqlite3_column_int64(s, 3);
	out->packets = sqlite3_column_int64(s, 4);
	snprintf(out->dns, sizeof(out->dns), "%s",
	    (const char *)sqlite3_column_text(s, 5));
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

/*
 * The store's upsert and flow_merge() are one rule: write random
 * sequences of observations of one flow to a store, merge the same in C,
 * and compare every field.
 */
static void
test_sql_agrees(void **state)
{
	static const char *const names[] = { "", "", "a.example.test",
	    "b.example.test" };
	char dir[128], path[192];
	struct store *st;
	struct flow_key k;
	struct flow in, acc;
	struct stored got;

	(void)state;
	assert_int_equal(ut_store_mkdtemp(dir, sizeof(dir), "test_flow"), 0);
	srand(7301);
	for (int round = 0; round < 40; round++) {
		snprintf(path, sizeof(path), "%s/r%d.db", dir, round);
		assert_int_equal(store_open(path, 0, &st), 0);
		key(&k, 1, "203.0.113.10", 443);
		for (int i = 0; i < 6; i++) {
			int64_t t = 1000 + rand() % 20;

			flow_init(&in, &k, t, (uint64_t)(rand() % 5));
			in.last_seen = t + rand() % 3;
			in.bytes = (uint64_t)(rand() % 1000);
			in.packets = (uint64_t)(rand() % 10);
			in.dns_name = names[rand() % 4];
			if (i == 0)
				acc = in;
			else
				flow_merge(&acc, &in);
			assert_int_equal(store_flows_write(st, &in, 1), 0);
		}
		store_close(st);
		read_back(path, &got);
		assert_int_equal(got.first, acc.first_seen);
		assert_int_equal(got.last, acc.last_seen);
		assert_int_equal(got.count, (int64_t)acc.count);
		assert_int_equal(got.bytes, (int64_t)acc.bytes);
		assert_int_equal(got.packets, (int64_t)acc.packets);
		assert_string_equal(got.dns, acc.dns_name);
	}
	assert_int_equal(ut_store_rmtree(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_sql_agrees),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
