/* agg: aggregation of flow observations between flushes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <netinet/in.h>

#include <stdio.h>

#include "recorderd/agg.h"

static void
key(struct flow_key *k, int64_t wl, int dir, const char *peer, int port)
{
	flow_key_init(k);
	k->subject = wl;
	k->direction = (uint8_t)dir;
	k->peer_kind = FLOW_PEER_ADDRESS;
	assert_int_equal(addr_parse(peer, &k->peer), 0);
	k->protocol = IPPROTO_TCP;
	k->port = (uint16_t)port;
}

static void
test_merge_and_fields(void **state)
{
	struct agg *ag;
	struct flow_key k;
	const struct flow *f;
	char a[ADDR_STRLEN];
	size_t n;

	(void)state;
	assert_int_equal(agg_new(0, &ag), -EINVAL);
	assert_int_equal(agg_new(8, &ag), 0);
	key(&k, 1, FLOW_EGRESS, "203.0.113.10", 443);
	assert_int_equal(agg_add(ag, &k, NULL, 100, 1, 0, 0), 0);
	assert_int_equal(agg_add(ag, &k, "api.example.test", 90, 1, 0, 0), 0);
	assert_int_equal(agg_add(ag, &k, "", 120, 0, 500, 7), 0);
	k.orig_port = 80;
	assert_int_equal(addr_parse("198.18.100.10", &k.orig), 0);
	assert_int_equal(agg_add(ag, &k, NULL, 100, 1, 0, 0), 0);
	f = agg_flows(ag, &n);
	assert_int_equal(n, 2);
	assert_int_equal(f[0].key.subject, 1);
	assert_int_equal(f[0].key.direction, FLOW_EGRESS);
	assert_int_equal(f[0].key.peer_kind, FLOW_PEER_ADDRESS);
	assert_string_equal(addr_format(&f[0].key.peer, a, sizeof(a)),
	    "203.0.113.10");
	assert_int_equal(f[0].key.orig.family, 0);
	assert_int_equal(f[0].key.port, 443);
	assert_int_equal(f[0].count, 2);
	assert_int_equal(f[0].bytes, 500);
	assert_int_equal(f[0].packets, 7);
	assert_int_equal(f[0].first_seen, 90);
	assert_int_equal(f[0].last_seen, 120);
	assert_string_equal(f[0].dns_name, "api.example.test");
	assert_string_equal(addr_format(&f[1].key.orig, a, sizeof(a)),
	    "198.18.100.10");
	assert_int_equal(f[1].key.orig_port, 80);
	agg_reset(ag);
	f = agg_flows(ag, &n);
	assert_int_equal(n, 0);
	assert_int_equal(agg_add(ag, &k, NULL, 5, 1, 0, 0), 0);
	f = agg_flows(ag, &n);
	assert_int_equal(n, 1);
	assert_int_equal(f[0].count, 1);
	assert_int_equal(f[0].first_seen, 5);
	agg_free(ag);
}

static void
test_full(void **state)
{
	struct agg *ag;
	struct flow_key k;
	char ip[32];
	size_t n;

	(void)state;
	assert_int_equal(agg_new(100, &ag), 0);
	for (int i = 0; i < 100; i++) {
		snprintf(ip, sizeof(ip), "198.51.100.%d", i);
		key(&k, 7, FLOW_INGRESS, ip, 8080);
		assert_int_equal(agg_add(ag, &k, NULL, 1, 1, 0, 0), 0);
	}
	/* Full: a new key is refused, known keys still count. */
	key(&k, 7, FLOW_INGRESS, "198.51.100.200", 8080);
	assert_int_equal(agg_add(ag, &k, NULL, 1, 1, 0, 0), -ENOSPC);
	key(&k, 7, FLOW_INGRESS, "198.51.100.42", 8080);
	assert_int_equal(agg_add(ag, &k, NULL, 2, 1, 0, 0), 0);
	(void)agg_flows(ag, &n);
	assert_int_equal(n, 100);
	assert_int_equal(agg_count(ag), 100);
	assert_int_equal(agg_capacity(ag), 100);
	/* Many events on few keys: still 100 flows, counts add up. */
	for (int r = 0; r < 1000; r++) {
		snprintf(ip, sizeof(ip), "198.51.100.%d", r % 100);
		key(&k, 7, FLOW_INGRESS, ip, 8080);
		assert_int_equal(agg_add(ag, &k, NULL, 3, 1, 0, 0), 0);
	}
	{
		const struct flow *f = agg_flows(ag, &n);
		uint64_t total = 0;

		for (size_t i = 0; i < n; i++)
			total += f[i].count;
		assert_int_equal(total, 100 + 1 + 1000);
	}
	agg_free(ag);
	agg_free(NULL);
}

/*
 * DNS names are held once per table and survive the caller's buffer;
 * a whole table merged into another keeps counts, times and names (the
 * daemon folds the table filled while the store was busy back into the
 * one that was written).
 */
static void
test_names_and_merge(void **state)
{
	struct agg *a, *b;
	struct flow_key k1, k2;
	const struct flow *f;
	char name[64], big[400];
	size_t n;

	(void)state;
	assert_int_equal(agg_new(8, &a), 0);
	assert_int_equal(agg_new(8, &b), 0);
	key(&k1, 1, FLOW_EGRESS, "203.0.113.10", 443);
	key(&k2, 1, FLOW_EGRESS, "203.0.113.10", 80);
	snprintf(name, sizeof(name), "api.example.test");
	assert_int_equal(agg_add(a, &k1, name, 100, 1, 0, 0), 0);
	assert_int_equal(agg_add(a, &k2, name, 101, 1, 0, 0), 0);
	memset(name, 'x', 8);		/* the caller's buffer changes */
	f = agg_flows(a, &n);
	assert_int_equal(n, 2);
	assert_string_equal(f[0].dns_name, "api.example.test");
	assert_ptr_equal(f[0].dns_name, f[1].dns_name);	/* held once */
	/* A name longer than FLOW_NAME_LEN is cut, never overflows. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(agg_add(a, &k1, big, 102, 0, 0, 0), 0);
	assert_int_equal(strlen(agg_flows(a, &n)[0].dns_name),
	    FLOW_NAME_LEN - 1);

	/* b: k1 seen earlier, and a flow a does not have. */
	assert_int_equal(agg_add(b, &k1, "old.example.test", 50, 2, 10, 1),
	    0);
	key(&k2, 2, FLOW_INGRESS, "198.51.100.1", 53);
	assert_int_equal(agg_add(b, &k2, NULL, 60, 1, 0, 0), 0);
	f = agg_flows(b, &n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(agg_merge(a, &f[i]), 0);
	agg_reset(b);			/* b's names go; a keeps its copies */
	assert_int_equal(agg_add(b, &k2, "reused.example.test", 70, 1, 0,
	    0), 0);
	f = agg_flows(a, &n);
	assert_int_equal(n, 3);
	assert_int_equal(f[0].count, 3);
	assert_int_equal(f[0].first_seen, 50);
	assert_int_equal(f[0].last_seen, 102);
	assert_int_equal(f[0].bytes, 10);
	/* The more recent name wins (flow_merge's rule). */
	assert_int_equal(f[0].dns_name[0], 'a');
	assert_int_equal(f[2].count, 1);
	assert_int_equal(f[2].first_seen, 60);
	assert_int_equal(f[2].last_seen, 60);
	assert_string_equal(f[2].dns_name, "");
	/* Full: a new key is refused. */
	agg_free(b);
	assert_int_equal(agg_new(1, &b), 0);
	assert_int_equal(agg_merge(b, &f[0]), 0);
	assert_int_equal(agg_merge(b, &f[2]), -ENOSPC);
	agg_free(a);
	agg_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_and_fields),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_names_and_merge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
