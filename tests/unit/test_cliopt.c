/* cliopt: durations, RFC 3339 times, option handling. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli/cliopt.h"
#include "cli/flowdb.h"

static void
test_durations(void **state)
{
	static const struct {
		const char *s;
		int64_t secs;
	} ok[] = {
		{ "90s", 90 }, { "30m", 1800 }, { "24h", 86400 },
		{ "7d", 604800 }, { "2w", 1209600 }, { "1d12h", 129600 },
		{ "1h30m15s", 5415 }, { "0s", 0 },
	};
	static const char *const bad[] = { "", "24", "h", "1x", "-1h",
	    "1.5h", "1h ", "99999999999999999999d" };
	int64_t v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(cliopt_parse_duration(ok[i].s, &v), 0);
		assert_int_equal(v, ok[i].secs);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cliopt_parse_duration(bad[i], &v), -EINVAL);
}

static void
test_times(void **state)
{
	static const struct {
		const char *s;
		int64_t t;
	} ok[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2026-11-22T10:00:00Z", 1795341600 },
		{ "2026-11-22t10:00:00z", 1795341600 },
		{ "2026-11-22 10:00:00Z", 1795341600 },
		{ "2026-11-22T11:00:00+01:00", 1795341600 },
		{ "2026-11-22T09:30:00-00:30", 1795341600 },
		{ "2026-11-22T10:00:00.999Z", 1795341600 },
		{ "2024-02-29T00:00:00Z", 1709164800 },
		{ "@1795341600", 1795341600 },
		{ "24h", 1795341600 - 86400 },
	};
	static const char *const bad[] = { "2026-11-22", "2026-13-01T00:00:00Z",
	    "2026-11-22T10:00:00", "2026-11-22T25:00:00Z",
	    "2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z",
	    "yesterday", "@", "@x",
	    "2026-11-22T10:00:00+1:00" };
	int64_t t;
	size_t i;
	char buf[32];

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(cliopt_parse_time(ok[i].s, 1795341600, &t), 0);
		assert_int_equal(t, ok[i].t);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cliopt_parse_time(bad[i], 0, &t), -EINVAL);
	assert_string_equal(cliopt_format_time(1795341600, buf, sizeof(buf)),
	    "2026-11-22T10:00:00Z");
	assert_string_equal(cliopt_format_duration(0, buf, sizeof(buf)), "0s");
	assert_string_equal(cliopt_format_duration(90061, buf, sizeof(buf)),
	    "1d1h1m1s");
	assert_string_equal(cliopt_format_duration(7200, buf, sizeof(buf)),
	    "2h");
}

static void
test_handle_and_finish(void **state)
{
	struct cliopt o;
	struct flowdb_query q;
	char err[256];

	(void)state;
	cliopt_init(&o);
	o.now = 1795341600;
	assert_int_equal(cliopt_handle(&o, CLIOPT_DB, "a.db", err,
	    sizeof(err)), 1);
	assert_int_equal(cliopt_handle(&o, CLIOPT_DB, "b.db", err,
	    sizeof(err)), 1);
	assert_int_equal(cliopt_handle(&o, 'n', "shop", err, sizeof(err)), 1);
	assert_int_equal(cliopt_handle(&o, CLIOPT_SINCE, "2h", err,
	    sizeof(err)), 1);
	assert_int_equal(cliopt_handle(&o, CLIOPT_UNTIL, "1h", err,
	    sizeof(err)), 1);
	assert_int_equal(cliopt_handle(&o, 'w', "deployment/web", err,
	    sizeof(err)), 1);
	assert_int_equal(cliopt_handle(&o, 'z', NULL, err, sizeof(err)), 0);
	assert_int_equal(cliopt_handle(&o, 'w', "web", err, sizeof(err)),
	    -EINVAL);
	assert_non_null(strstr(err, "KIND/NAME"));
	assert_int_equal(cliopt_handle(&o, CLIOPT_SINCE, "soon", err,
	    sizeof(err)), -EINVAL);
	assert_int_equal(cliopt_finish(&o, true, err, sizeof(err)), 0);
	assert_int_equal(o.ndbs, 2);
	/* Kinds spelt out, whatever the case or kubectl short name. */
	assert_string_equal(o.workload, "Deployment/web");
	assert_int_equal(cliopt_handle(&o, 'w', "deploy/web", err,
	    sizeof(err)), 1);
	assert_string_equal(o.workload, "Deployment/web");
	assert_int_equal(cliopt_handle(&o, 'w', "STS/db-0", err,
	    sizeof(err)), 1);
	assert_string_equal(o.workload, "StatefulSet/db-0");
	assert_int_equal(cliopt_handle(&o, 'w', "cj/backup", err,
	    sizeof(err)), 1);
	assert_string_equal(o.workload, "CronJob/backup");
	assert_int_equal(cliopt_handle(&o, 'w', "Widget/x", err,
	    sizeof(err)), 1);
	assert_string_equal(o.workload, "Widget/x");
	assert_int_equal(cliopt_handle(&o, 'w', "deployment/web", err,
	    sizeof(err)), 1);
	assert_string_equal(o.dbs[1], "b.db");
	cliopt_query(&o, &q);
	assert_string_equal(q.namespace_, "shop");
	assert_string_equal(q.workload, "Deployment/web");
	assert_int_equal(q.since, 1795341600 - 7200);
	assert_int_equal(q.until, 1795341600 - 3600);
	assert_int_equal(q.direction, -1);
	/* Both scopes at once, since after until, no scope. */
	assert_int_equal(cliopt_handle(&o, 'A', NULL, err, sizeof(err)), 1);
	assert_int_equal(cliopt_finish(&o, true, err, sizeof(err)), -EINVAL);
	o.namespace_ = NULL;
	assert_int_equal(cliopt_finish(&o, true, err, sizeof(err)), 0);
	cliopt_query(&o, &q);
	assert_null(q.namespace_);
	o.all_namespaces = false;
	assert_int_equal(cliopt_finish(&o, true, err, sizeof(err)), -EINVAL);
	assert_int_equal(cliopt_finish(&o, false, err, sizeof(err)), 0);
	o.since = o.until + 1;
	assert_int_equal(cliopt_finish(&o, false, err, sizeof(err)), -EINVAL);
	cliopt_free(&o);

	/* The default store. */
	cliopt_init(&o);
	setenv("NETPOL_RECORD_DB", "/tmp/env.db", 1);
	assert_int_equal(cliopt_finish(&o, false, err, sizeof(err)), 0);
	assert_string_equal(o.dbs[0], "/tmp/env.db");
	cliopt_free(&o);
	unsetenv("NETPOL_RECORD_DB");
	cliopt_init(&o);
	assert_int_equal(cliopt_finish(&o, false, err, sizeof(err)), 0);
	assert_string_equal(o.dbs[0], STORE_DEFAULT_PATH);
	cliopt_free(&o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_handle_and_finish),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
