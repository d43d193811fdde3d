/*
 * tpname: names of published objects (see tpname.h).
 */
#include "lib/tpname.h"

#include <stdio.h>
#include <string.h>

uint64_t
tpname_fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

void
tpname_shorten(const char *s, size_t limit, char *out, size_t outlen)
{
	size_t n = strlen(s), keep;

	if (outlen == 0)
		return;
	if (n <= limit || limit < 18) {
		snprintf(out, outlen, "%.*s", (int)(n <= limit ? n : limit), s);
		return;
	}
	keep = limit - 17;
	while (keep > 0 && (s[keep - 1] == '-' || s[keep - 1] == '.' ||
	    s[keep - 1] == '_'))
		keep--;
	snprintf(out, outlen, "%.*s-%016llx", (int)keep, s,
	    (unsigned long long)tpname_fnv1a(s));
}

void
tpname_profile(const char *kind, const char *name, const char *node,
    char *out, size_t outlen)
{
	/* Kinds are short; names and nodes at most 253 bytes each. */
	char lkind[32], full[sizeof(lkind) + 2 * 254 + 2];
	size_t i;

	for (i = 0; kind[i] != '\0' && i + 1 < sizeof(lkind); i++)
		lkind[i] = kind[i] >= 'A' && kind[i] <= 'Z' ?
		    (char)(kind[i] - 'A' + 'a') : kind[i];
	lkind[i] = '\0';
	snprintf(full, sizeof(full), "%s-%s-%s", lkind, name, node);
	tpname_shorten(full, TPNAME_OBJECT_MAX, out, outlen);
}

void
tpname_label(const char *value, char *out, size_t outlen)
{
	tpname_shorten(value, TPNAME_LABEL_MAX, out, outlen);
}

bool
tpname_ref_part_ok(const char *s, size_t n, bool dots)
{
	bool alnum;

	if (n == 0 || n > (dots ? TPNAME_OBJECT_MAX : TPNAME_LABEL_MAX))
		return false;
	for (size_t i = 0; i < n; i++) {
		alnum = (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9');
		if (!alnum && (i == 0 || i == n - 1 ||
		    (s[i] != '-' && !(dots && s[i] == '.'))))
			return false;
	}
	return true;
}
