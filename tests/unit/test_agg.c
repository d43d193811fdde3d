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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_and_fields),
		cmocka_unit_test(test_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
