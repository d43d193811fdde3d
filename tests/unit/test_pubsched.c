/*
 * pubsched: the publisher's decisions. When an object is written (new,
 * gained flows, workload changed: now; other changes: at most every
 * refresh; no change: never), deleted or left; what each answer means;
 * the API's state changes only with the kind of failure, and the
 * back-off doubles with jitter, honours Retry-After and is slow for what
 * waits on an administrator; which namespaces are published.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "recorderd/pubsched.h"

static const struct pubsched_conf conf = { .interval = 30, .refresh = 600 };

static void
test_decide(void **state)
{
	struct pubsched_obj o = { 0 };
	struct pubsched_now n = { .exists = true, .hash = 1, .meta_hash = 10,
	    .max_row = 5 };

	(void)state;
	/* Not in the API: written. */
	assert_int_equal(pubsched_decide(&o, &n, 1000, &conf), PUBSCHED_APPLY);
	assert_true(pubsched_pending(&o, &n));
	/* Written: nothing while nothing changes, however long. */
	o = (struct pubsched_obj){ .known = true, .hash = 1, .meta_hash = 10,
	    .written_at = 1000, .max_row = 5 };
	assert_false(pubsched_pending(&o, &n));
	assert_int_equal(pubsched_decide(&o, &n, 1001, &conf), PUBSCHED_NONE);
	assert_int_equal(pubsched_decide(&o, &n, 999999, &conf),
	    PUBSCHED_NONE);
	/* Counts moved: pending, written once refresh has passed. */
	n.hash = 2;
	assert_true(pubsched_pending(&o, &n));
	assert_int_equal(pubsched_decide(&o, &n, 1599, &conf), PUBSCHED_NONE);
	assert_int_equal(pubsched_decide(&o, &n, 1600, &conf), PUBSCHED_APPLY);
	/* A new flow (a higher row): now. */
	n.max_row = 6;
	assert_int_equal(pubsched_decide(&o, &n, 1001, &conf), PUBSCHED_APPLY);
	/* The workload or its owner changed: now. */
	n.max_row = 5;
	n.meta_hash = 11;
	assert_int_equal(pubsched_decide(&o, &n, 1001, &conf), PUBSCHED_APPLY);
	/* A row higher but the content the same (a flow pruned and seen
	 * again as it was): nothing to write. */
	n = (struct pubsched_now){ .exists = true, .hash = 1, .meta_hash = 10,
	    .max_row = 9 };
	assert_int_equal(pubsched_decide(&o, &n, 1001, &conf), PUBSCHED_NONE);
	/* This object failed alone (too large, invalid): it waits. */
	n.hash = 3;
	o.retry_at = 1100;
	assert_int_equal(pubsched_decide(&o, &n, 1050, &conf), PUBSCHED_NONE);
	assert_int_equal(pubsched_decide(&o, &n, 1100, &conf), PUBSCHED_APPLY);
	/* Should not exist: deleted when known, else nothing. */
	n.exists = false;
	assert_int_equal(pubsched_decide(&o, &n, 1100, &conf),
	    PUBSCHED_DELETE);
	assert_true(pubsched_pending(&o, &n));
	o.known = false;
	assert_int_equal(pubsched_decide(&o, &n, 1100, &conf), PUBSCHED_NONE);
	assert_false(pubsched_pending(&o, &n));
}

/* The node's budget of counts-only rewrites: a minute's worth at once,
 * then per_hour an hour, never more however long it waited. */
static void
test_budget(void **state)
{
	struct pubsched_budget b = { 0 };
	int64_t t = 5000000;
	int taken, i;

	(void)state;
	/* 90 an hour: starts with one token (a minute holds 1.5, at least
	 * one, whole tokens). */
	assert_true(pubsched_budget_take(&b, 90, t));
	assert_false(pubsched_budget_take(&b, 90, t));
	/* One token every 40 s. */
	assert_false(pubsched_budget_take(&b, 90, t + 39999));
	assert_true(pubsched_budget_take(&b, 90, t + 40000));
	assert_false(pubsched_budget_take(&b, 90, t + 40000));
	/* An hour of trying every second: 90 rewrites, not one more. */
	for (taken = 0, i = 1; i <= 3600; i++)
		taken += pubsched_budget_take(&b, 90, t + 40000 + i * 1000LL);
	assert_int_equal(taken, 90);
	/* A long quiet time fills a minute's worth only. */
	t += 40000 + 3600 * 1000LL + 86400 * 1000LL;
	assert_true(pubsched_budget_take(&b, 90, t));
	assert_false(pubsched_budget_take(&b, 90, t));
	/* 600 an hour holds 10 at once. */
	b = (struct pubsched_budget){ 0 };
	for (taken = 0, i = 0; i < 20; i++)
		taken += pubsched_budget_take(&b, 600, t);
	assert_int_equal(taken, 10);
	/* Lowered to 60 (SIGHUP): at most one at once from then on. */
	t += 3600 * 1000LL;
	for (taken = 0, i = 0; i < 5; i++)
		taken += pubsched_budget_take(&b, 60, t);
	assert_int_equal(taken, 1);
	/* A clock that does not move gives nothing back. */
	assert_false(pubsched_budget_take(&b, 60, t - 100000));
	assert_false(pubsched_budget_take(&b, 60, t));
}

static void
test_classify(void **state)
{
	static const struct {
		int err;
		long status;
		const char *msg;
		bool del;
		enum pubsched_class want;
	} cases[] = {
		{ 0, 200, "", false, PUBSCHED_OK },
		{ 0, 201, "", false, PUBSCHED_OK },
		{ -ECONNREFUSED, 0, "", false, PUBSCHED_DOWN },
		{ -ETIMEDOUT, 0, "", true, PUBSCHED_DOWN },
		{ 0, 409, "the object has been modified", false,
		  PUBSCHED_RETRY },
		{ 0, 500, "an error on the server", false, PUBSCHED_RETRY },
		{ 0, 503, "", false, PUBSCHED_RETRY },
		{ 0, 504, "", false, PUBSCHED_RETRY },
		{ 0, 500, "etcdserver: request is too large", false,
		  PUBSCHED_TOO_LARGE },
		{ 0, 413, "Request entity too large: limit is 3145728", false,
		  PUBSCHED_TOO_LARGE },
		{ 0, 429, "Too many requests", false, PUBSCHED_THROTTLED },
		{ 0, 401, "Unauthorized", false, PUBSCHED_UNAUTHORIZED },
		{ 0, 403, "cannot patch resource", false, PUBSCHED_FORBIDDEN },
		{ 0, 404, "the server could not find the requested resource",
		  false, PUBSCHED_NO_CRD },
		{ 0, 404, "namespaces \"gone\" not found", false,
		  PUBSCHED_NO_NAMESPACE },
		{ 0, 404, "trafficprofiles.netpol-record.io \"x\" not found",
		  true, PUBSCHED_OK },
		{ 0, 422, "is invalid", false, PUBSCHED_INVALID },
		{ 0, 400, "field not declared in schema", false,
		  PUBSCHED_INVALID },
		{ 0, 415, "", false, PUBSCHED_INVALID },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (pubsched_classify(cases[i].err, cases[i].status,
		    cases[i].msg, cases[i].del) != cases[i].want)
			fail_msg("case %zu (%ld %s)", i, cases[i].status,
			    cases[i].msg);
	assert_true(pubsched_class_global(PUBSCHED_DOWN));
	assert_true(pubsched_class_global(PUBSCHED_NO_CRD));
	assert_false(pubsched_class_global(PUBSCHED_TOO_LARGE));
	assert_false(pubsched_class_global(PUBSCHED_INVALID));
	assert_false(pubsched_class_global(PUBSCHED_OK));
}

static void
test_health(void **state)
{
	struct pubsched_health h = { 0 };
	int64_t prev = 0, d;

	(void)state;
	assert_true(pubsched_health_ready(&h, 0));
	/* The API goes down: one state change, then only back-off. */
	assert_true(pubsched_health_update(&h, PUBSCHED_DOWN, -1, 0, 0));
	assert_string_equal(pubsched_state_name(h.state), "down");
	for (int i = 0; i < 12; i++) {
		int64_t now = 1000000 * i;

		assert_false(pubsched_health_update(&h, PUBSCHED_DOWN, -1, now,
		    0xffffffffu));
		d = h.next_ms - now;
		assert_false(pubsched_health_ready(&h, now));
		assert_true(pubsched_health_ready(&h, h.next_ms));
		/* Doubling, up to the maximum. */
		assert_true(d >= prev);
		assert_true(d <= PUBSCHED_BACKOFF_MAX_MS);
		prev = d;
	}
	assert_true(prev > PUBSCHED_BACKOFF_MAX_MS / 2);
	/* Another kind of failure is another state. */
	assert_true(pubsched_health_update(&h, PUBSCHED_RETRY, -1, 0, 0));
	assert_string_equal(pubsched_state_name(h.state), "failing");
	/* Back: the state changes once, the back-off is gone. */
	assert_true(pubsched_health_update(&h, PUBSCHED_OK, -1, 5, 0));
	assert_false(pubsched_health_update(&h, PUBSCHED_OK, -1, 6, 0));
	assert_int_equal(h.fails, 0);
	assert_true(pubsched_health_ready(&h, 6));
	/* An object's own failure: the API answered, it is fine. */
	assert_false(pubsched_health_update(&h, PUBSCHED_INVALID, -1, 7, 0));
	assert_int_equal(h.state, PUBSCHED_STATE_OK);
	/* 429: never before Retry-After, capped. */
	assert_true(pubsched_health_update(&h, PUBSCHED_THROTTLED, 7, 100, 0));
	assert_true(h.next_ms >= 100 + 7000);
	assert_false(pubsched_health_update(&h, PUBSCHED_THROTTLED, 99999,
	    100, 0));
	assert_true(h.next_ms <= 100 + PUBSCHED_RETRY_AFTER_MAX_S * 1000 +
	    PUBSCHED_BACKOFF_MAX_MS);
	/* What waits on an administrator is retried slowly. */
	assert_true(pubsched_health_update(&h, PUBSCHED_NO_CRD, -1, 0, 0));
	assert_true(h.next_ms >= PUBSCHED_SLOW_MIN_MS);
	assert_true(pubsched_health_update(&h, PUBSCHED_FORBIDDEN, -1, 0, 0));
	assert_string_equal(pubsched_state_name(h.state), "forbidden");
	/* Jitter: the upper half of the delay, spread by rnd. */
	assert_int_equal(pubsched_backoff_ms(1, false, 0), 500);
	assert_int_equal(pubsched_backoff_ms(1, false, 500), 1000);
	assert_int_equal(pubsched_backoff_ms(3, false, 0), 2000);
	assert_true(pubsched_backoff_ms(3, false, 7) !=
	    pubsched_backoff_ms(3, false, 8));
	assert_int_equal(pubsched_backoff_ms(40, false, 0),
	    PUBSCHED_BACKOFF_MAX_MS / 2);
	assert_int_equal(pubsched_backoff_ms(1, true, 0),
	    PUBSCHED_SLOW_MIN_MS / 2);
}

static void
test_namespaces(void **state)
{
	const char *why = NULL;

	(void)state;
	assert_true(pubsched_ns_selected("", "shop"));
	assert_true(pubsched_ns_selected(NULL, "shop"));
	assert_true(pubsched_ns_selected("shop, team-*", "team-a"));
	assert_false(pubsched_ns_selected("shop, team-*", "kube-system"));
	assert_true(pubsched_ns_selected("!kube-*", "shop"));
	assert_false(pubsched_ns_selected("!kube-*", "kube-system"));
	assert_false(pubsched_ns_selected("team-*,!team-secret",
	    "team-secret"));
	assert_true(pubsched_ns_selected("team-*,!team-secret", "team-b"));
	assert_true(pubsched_ns_valid("shop, team-*, !kube-system", &why));
	assert_true(pubsched_ns_valid("", &why));
	assert_false(pubsched_ns_valid("Shop", &why));
	assert_non_null(why);
	assert_false(pubsched_ns_valid("shop,!", &why));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_health),
		cmocka_unit_test(test_namespaces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
