/*
 * suggest: "did you mean" for a name that was not found, among the names
 * that were (namespaces, workloads), by edit distance.
 */
#ifndef NPR_CLI_BASE_SUGGEST_H
#define NPR_CLI_BASE_SUGGEST_H

#include <stddef.h>

/*
 * Append to err "; did you mean 'X'?" when one of the n candidates is
 * close enough to want to be a typo, then " Recorded WHATs: a, b, ..."
 * (at most 8, "(and N more)"); or "; no WHAT was recorded at all" when
 * there is none.
 */
void suggest_append(char *err, size_t errlen, const char *want,
    const char *const *cand, size_t n, const char *what);

#endif
