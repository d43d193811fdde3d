/*
 * kname: published objects' names and label values (see kname.h).
 */
#include "lib/kname.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *
kname_shorten(const char *s, size_t limit, char *buf, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t n = strlen(s), keep;
	const char *p;

	if (n <= limit) {
		snprintf(buf, len, "%s", s);
		return buf;
	}
	for (p = s; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	keep = limit - 17;
	while (keep > 0 && (s[keep - 1] == '-' || s[keep - 1] == '.' ||
	    s[keep - 1] == '_'))
		keep--;
	snprintf(buf, len, "%.*s-%016" PRIx64, (int)keep, s, h);
	return buf;
}

char *
kname_profile(const char *kind, const char *name, const char *node,
    char *buf, size_t len)
{
	char *full;
	size_t i;

	if (asprintf(&full, "%s-%s-%s", kind, name, node) < 0) {
		snprintf(buf, len, "%s", "");
		return buf;
	}
	for (i = 0; i < strlen(kind); i++)
		full[i] = (char)tolower((unsigned char)full[i]);
	kname_shorten(full, KNAME_OBJECT_LEN - 1, buf, len);
	free(full);
	return buf;
}

char *
kname_label(const char *value, char *buf, size_t len)
{
	return kname_shorten(value, KNAME_LABEL_LEN - 1, buf, len);
}
