/*
 * flowdb_store: reading one store file for flowdb_load: the load context
 * and its SQL helpers, and what belongs to the store as a whole rather
 * than to the query's scope. Internal to flowdb: include only from
 * cli/flowdb*.c.
 */
#ifndef NPR_CLI_FLOWDB_STORE_H
#define NPR_CLI_FLOWDB_STORE_H

#include <stddef.h>

#include <json-c/json.h>

#include "cli/flowdb_impl.h"
#include "cli/flowdb_index.h"
#include "lib/store.h"

/* Per store while loading. */
struct flowdb_loadctx {
	struct flowdb *fdb;
	struct store *st;
	sqlite3 *db;
	const char *path;
	const struct flowdb_query *q;
	struct flowdb_idmap ids;	/* this store's workload ids */
	sqlite3_stmt *by_id;
	json_tokener *tok;	/* reused: one allocation, not one per value */
	char *err;
	size_t errlen;
};

/* Write "path: what: reason" into c->err; returns rc. */
int flowdb_store_fail(struct flowdb_loadctx *c, int rc, const char *what);
/* Prepare sql on c's store: 0, or -EIO with c->err set. */
int flowdb_store_prepare(struct flowdb_loadctx *c, const char *sql,
    sqlite3_stmt **out);
/* Column i of the current row as text; "" for NULL. Borrowed. */
const char *flowdb_store_text(sqlite3_stmt *s, int i);

/*
 * Counters, nodes, namespaces, recording_started, the data's extent and
 * the known servers of c's store, merged into c->fdb. 0 or -errno with
 * c->err set.
 */
int flowdb_store_info(struct flowdb_loadctx *c);

/*
 * For the workloads of c->ids whose start time is unknown, the first
 * attachment of their pods, kept in observed_from until flowdb_merge.
 * 0 or -errno with c->err set.
 */
int flowdb_store_first_attachments(struct flowdb_loadctx *c);

#endif
