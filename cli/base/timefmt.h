/*
 * timefmt: the CLI's times and durations: "24h", "30m", "7d", "1d12h" and
 * RFC 3339 times ("2026-11-22T10:00:00Z") in, RFC 3339 UTC and "1d2h3m4s"
 * out. No locale, no timezone database.
 */
#ifndef NPR_CLI_BASE_TIMEFMT_H
#define NPR_CLI_BASE_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parse "24h", "30m", "7d", "90s", "2w", "1d12h" into seconds. 0 or
 * -EINVAL.
 */
int timefmt_parse_duration(const char *s, int64_t *secs);

/*
 * Parse a point in time: a duration back from now, or RFC 3339
 * ("2026-11-22T10:00:00Z", "2026-11-22T10:00:00.5+01:00",
 * "2026-11-22 10:00:00Z"), or "@UNIXSECONDS". 0 or -EINVAL.
 */
int timefmt_parse_time(const char *s, int64_t now, int64_t *out);

/* Format t as RFC 3339 UTC ("2026-11-22T10:00:00Z") into buf (>= 21). */
char *timefmt_format_time(int64_t t, char *buf, size_t len);

/* Format a duration as "1d2h3m4s" (zero units left out; "0s"). */
char *timefmt_format_duration(int64_t secs, char *buf, size_t len);

#endif
