/*
 * timefmt: points in time and durations, parsed and formatted (see
 * timefmt.h).
 */
#include "cli/base/timefmt.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lib/rfc3339.h"

static const struct {
	char unit;
	int64_t secs;
} units[] = {
	{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
	{ 'w', 7 * 86400 },
};

int
timefmt_parse_duration(const char *s, int64_t *secs)
{
	int64_t total = 0, v;
	size_t i;
	bool any = false;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	while (*s != '\0') {
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		v = 0;
		while (isdigit((unsigned char)*s)) {
			if (v > (INT64_MAX / 10) - 10)
				return -EINVAL;
			v = v * 10 + (*s++ - '0');
		}
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (*s == units[i].unit)
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			return -EINVAL;
		s++;
		if (v > INT64_MAX / units[i].secs / 2)
			return -EINVAL;
		total += v * units[i].secs;
		if (total > INT64_MAX / 4)
			return -EINVAL;
		any = true;
	}
	if (!any)
		return -EINVAL;
	*secs = total;
	return 0;
}

int
timefmt_parse_time(const char *s, int64_t now, int64_t *out)
{
	int64_t v;
	char *end;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	if (*s == '@') {
		errno = 0;
		v = strtoll(s + 1, &end, 10);
		if (errno != 0 || end == s + 1 || *end != '\0' || v < 0)
			return -EINVAL;
		*out = v;
		return 0;
	}
	if (timefmt_parse_duration(s, &v) == 0) {
		*out = now - v;
		return 0;
	}
	return rfc3339_parse(s, out);
}

char *
timefmt_format_time(int64_t t, char *buf, size_t len)
{
	return rfc3339_format(t, buf, len);
}

char *
timefmt_format_duration(int64_t secs, char *buf, size_t len)
{
	static const struct {
		char unit;
		int64_t secs;
	} parts[] = { { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 } };
	size_t i, off = 0;
	int n;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (secs <= 0) {
		snprintf(buf, len, "0s");
		return buf;
	}
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		if (secs < parts[i].secs)
			continue;
		n = snprintf(buf + off, len - off, "%lld%c",
		    (long long)(secs / parts[i].secs), parts[i].unit);
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
		secs %= parts[i].secs;
	}
	return buf;
}
