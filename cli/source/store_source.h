/*
 * store_source: a store file (lib/store.h) as a source of the index
 * (cli/source/source.h). Opened read-only when loaded, closed after; reads
 * only the query's scope with the store's indexed queries.
 */
#ifndef NPR_CLI_SOURCE_STORE_SOURCE_H
#define NPR_CLI_SOURCE_STORE_SOURCE_H

#include <stddef.h>

#include "cli/source/source.h"

/*
 * A source reading the store at path (copied). 0 or -ENOMEM; free with
 * source_free().
 */
int store_source_new(const char *path, struct source **out);

/*
 * Why the store at path cannot be opened (rc from store_open()), and what
 * to do about it, as one sentence into err ("PATH: ..."). For the
 * commands that open a store themselves (status, known-servers).
 */
void store_source_explain(const char *path, int rc, char *err,
    size_t errlen);

#endif
