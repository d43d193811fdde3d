/* timefmt: durations and RFC 3339 times, parsed and formatted. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli/base/timefmt.h"

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
		assert_int_equal(timefmt_parse_duration(ok[i].s, &v), 0);
		assert_int_equal(v, ok[i].secs);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(timefmt_parse_duration(bad[i], &v), -EINVAL);
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
		assert_int_equal(timefmt_parse_time(ok[i].s, 1795341600, &t), 0);
		assert_int_equal(t, ok[i].t);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(timefmt_parse_time(bad[i], 0, &t), -EINVAL);
	assert_string_equal(timefmt_format_time(1795341600, buf, sizeof(buf)),
	    "2026-11-22T10:00:00Z");
	assert_string_equal(timefmt_format_duration(0, buf, sizeof(buf)), "0s");
	assert_string_equal(timefmt_format_duration(90061, buf, sizeof(buf)),
	    "1d1h1m1s");
	assert_string_equal(timefmt_format_duration(7200, buf, sizeof(buf)),
	    "2h");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_times),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
