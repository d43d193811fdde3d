/*
 * pubstatus: the RecorderStatus body. What tests/fixtures/k8s/
 * recorderstatus.yaml says, built from the counters, with its keys
 * sorted; absent fields (no error, no write yet, no node uid, no data)
 * are left out; lastError is cut to the CRD's bound.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "lib/yamljson.h"
#include "recorderd/pubstatus.h"
#include "tests/unit/ut_run.h"

static const struct pubstatus_counter store_counters[] = {
	{ "dns_answers", 532 },
	{ "events_seen", 918273 },
	{ "flows_written", 20211 },
};

static const struct pubstatus example = {
	.node = "node-a",
	.node_uid = "node-a-uid",
	.version = "0.2.0",
	.recording_started = 1714550400,
	.data_end = 1714561229,
	.published_at = 1714561230,
	.last_profile_write = 1714561230,
	.interval = 30,
	.refresh = 600,
	.max_entries = 1000,
	.events_seen = 918273,
	.events_lost = 0,
	.pods_attached = 31,
	.pods_adopted = 4,
	.objects_written = 1022,
	.publish_failed = 3,
	.publish_pending = 0,
	.last_error = NULL,
	.store_counters = store_counters,
	.nstore_counters = 3,
};

static void
test_example(void **state)
{
	json_object *want, *docs, *got;
	char *buf, *body, err[256];
	const char *prev = NULL;
	size_t len;

	(void)state;
	assert_int_equal(pubstatus_build(&example, &body), 0);
	got = json_tokener_parse(body);
	assert_non_null(got);
	buf = ut_slurp("tests/fixtures/k8s/recorderstatus.yaml", &len);
	assert_non_null(buf);
	assert_int_equal(yamljson_parse(buf, len, &docs, err, sizeof(err)), 0);
	free(buf);
	want = json_object_array_get_idx(docs, 0);
	if (!json_object_equal(want, got))
		fail_msg("built %s\nwant %s", body,
		    json_object_to_json_string(want));
	/* Sorted keys, as the API server stores them. */
	json_object_object_foreach(json_object_object_get(got, "spec"), k, v) {
		(void)v;
		if (prev != NULL)
			assert_true(strcmp(prev, k) < 0);
		prev = k;
	}
	json_object_put(docs);
	json_object_put(got);
	free(body);
}

static void
test_absent_and_bounds(void **state)
{
	struct pubstatus s = example;
	char big[3000], *body;
	json_object *o;

	(void)state;
	s.node_uid = "";
	s.data_end = 0;
	s.last_profile_write = 0;
	s.nstore_counters = 0;
	memset(big, 'e', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	s.last_error = big;
	assert_int_equal(pubstatus_build(&s, &body), 0);
	assert_null(strstr(body, "ownerReferences"));
	assert_null(strstr(body, "dataEnd"));
	assert_null(strstr(body, "lastProfileWrite"));
	assert_null(strstr(body, "storeCounters"));
	o = json_tokener_parse(body);
	assert_int_equal(json_object_get_string_len(json_object_object_get(
	    json_object_object_get(o, "spec"), "lastError")),
	    PUBSTATUS_LAST_ERROR_MAX);
	json_object_put(o);
	free(body);
	s.node = "";
	assert_int_equal(pubstatus_build(&s, &body), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_absent_and_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
