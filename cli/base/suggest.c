/*
 * suggest: "did you mean" (see suggest.h).
 */
#include "cli/base/suggest.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Levenshtein distance of a and b, case-insensitive, capped at 64. */
static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, prev, cur, tmp;
	size_t row[65];

	if (la > 64 || lb > 64)
		return 64;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			cur = prev + (strncasecmp(a + i - 1, b + j - 1, 1) != 0);
			if (row[j] + 1 < cur)
				cur = row[j] + 1;
			if (row[j - 1] + 1 < cur)
				cur = row[j - 1] + 1;
			tmp = row[j];
			row[j] = cur;
			prev = tmp;
		}
	}
	return row[lb];
}

/*
 * Append to err ("; did you mean X?" and the candidates) the one of the
 * n candidates closest to want, when it is close enough to be a typo.
 */
void
suggest_append(char *err, size_t errlen, const char *want,
    const char *const *cand, size_t n, const char *what)
{
	size_t i, d, best = (size_t)-1, bi = 0, off = strlen(err);

	for (i = 0; i < n; i++)
		if ((d = distance(want, cand[i])) < best) {
			best = d;
			bi = i;
		}
	if (n == 0) {
		snprintf(err + off, errlen - off, "; no %s was recorded at all",
		    what);
		return;
	}
	if (best <= 2 + strlen(want) / 4)
		off += (size_t)snprintf(err + off, errlen - off,
		    "; did you mean '%s'?", cand[bi]);
	if (off >= errlen)
		return;
	off += (size_t)snprintf(err + off, errlen - off, " Recorded %ss:",
	    what);
	for (i = 0; i < n && i < 8 && off < errlen; i++)
		off += (size_t)snprintf(err + off, errlen - off, "%s %s",
		    i ? "," : "", cand[i]);
	if (i < n && off < errlen)
		snprintf(err + off, errlen - off, " (and %zu more)", n - i);
}

