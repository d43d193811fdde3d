/*
 * sort: qsort() and bsearch() for arrays that may be empty. Their base is
 * declared nonnull, and an empty vector's is often NULL: passing it is
 * undefined behaviour (UBSan stops the program on it), so sort_n skips
 * arrays of fewer than two elements and search_n finds nothing in an
 * empty one.
 */
#ifndef NPR_SORT_H
#define NPR_SORT_H

#include <stddef.h>
#include <stdlib.h>

static inline void
sort_n(void *base, size_t n, size_t size,
    int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

static inline void *
search_n(const void *key, const void *base, size_t n, size_t size,
    int (*cmp)(const void *, const void *))
{
	return n > 0 ? bsearch(key, base, n, size, cmp) : NULL;
}

#endif
