/*
 * rfc3339: points in time as the Kubernetes API and our outputs write
 * them ("2026-11-22T10:00:00Z"), to and from Unix seconds. No locale, no
 * timezone database.
 */
#ifndef NPR_RFC3339_H
#define NPR_RFC3339_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parse "2026-11-22T10:00:00Z", "2026-11-22T10:00:00.5+01:00" or
 * "2026-11-22 10:00:00Z" (date and time checked, fraction ignored) into
 * Unix seconds. 0 or -EINVAL.
 */
int rfc3339_parse(const char *s, int64_t *out);

/* t as RFC 3339 UTC ("2026-11-22T10:00:00Z") into buf (>= 21 bytes), or
 * "@SECONDS" when out of range; returns buf. */
char *rfc3339_format(int64_t t, char *buf, size_t len);

#endif
