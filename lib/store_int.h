/*
 * store_int: what the files of the store module (lib/store*.c) share;
 * nothing outside lib/store*.c includes this.
 *
 *   store.c           open/close, WAL, migrations, transactions, the
 *                     prepared-statement cache, errors, integrity
 *   store_attach.c    attachments and their address history
 *   store_workload.c  workloads and merging one into another
 *   store_flow.c      flows (write, prune), their upsert built from
 *                     flow_merge_sql()
 *   store_dns.c       DNS answers and known servers
 *   store_meta.c      counters, meta settings, nodes
 *
 * The small helpers below stay static inline: they were static in the one
 * store.c and the compiler inlined them into the attachment functions and
 * the flow upsert, which the plugin's benchmark and the daemon time.
 */
#ifndef NPR_STORE_INT_H
#define NPR_STORE_INT_H

#include <errno.h>
#include <stddef.h>
#include <stdio.h>

#include <sqlite3.h>

#include "lib/store.h"

/* One prepared statement per entry of stmt_sql[] (store.c). */
enum stmt_id {
	S_ATT_UPSERT,
	S_ATT_GET,
	S_ATT_BY_ID,
	S_ATT_DETACH,
	S_ATT_SET_WL,
	S_ADDR_OF_ATT,
	S_ADDR_CLOSE,
	S_ADDR_OPEN,
	S_ADDR_CLOSE_ALL,
	S_ADDR_LOOKUP,
	S_WL_UPSERT,
	S_WL_GET,
	S_WL_FIND,
	S_FLOW_UPSERT,
	S_DNS_UPSERT,
	S_NODE_PUT,
	S_KS_DELETE,
	S_KS_INSERT,
	S_CNT_ADD,
	S_CNT_GET,
	S_META_SET,
	S_META_GET,
	S_NSTMTS
};

struct store {
	sqlite3 *db;
	char *path;
	int flags;
	sqlite3_stmt *stmts[S_NSTMTS];
};

/*
 * Statement id of this connection, prepared on first use (then kept until
 * store_close()), reset and with its bindings cleared. NULL when SQLite
 * cannot prepare it. Borrowed.
 */
sqlite3_stmt *store_stmt(struct store *st, enum stmt_id id);
/* The same for a statement whose text is built at run time: sql is read
 * only when id was not prepared yet (NULL then fails). */
sqlite3_stmt *store_stmt_sql(struct store *st, enum stmt_id id,
    const char *sql);

/* Map an SQLite result code to an errno. */
static inline int
sqlite_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
		return -EINVAL;
	default:
		return -EIO;
	}
}

/* Run a statement that returns no rows (or whose rows we ignore). */
static inline int
step_done(sqlite3_stmt *s)
{
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		;
	rc = sqlite_errno(rc);
	sqlite3_reset(s);
	return rc;
}

static inline void
copy_col(char *dst, size_t len, sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(dst, len, "%s", t != NULL ? (const char *)t : "");
}

static inline void
bind_text(sqlite3_stmt *s, int i, const char *t)
{
	sqlite3_bind_text(s, i, t != NULL ? t : "", -1, SQLITE_STATIC);
}

/*
 * Call fn for items 0..n-1 in one transaction: either every item is
 * written or none is. Inside a transaction the caller opened with
 * store_begin(), the items join it (the caller commits or rolls back).
 */
int store_each_in_transaction(struct store *st, size_t n,
    int (*fn)(struct store *, const void *, size_t), const void *items);

/*
 * "INSERT INTO flows (<every column>) <source> ON CONFLICT (<the flow
 * key>) DO UPDATE SET <flow_merge_sql>" into buf: the one upsert of
 * flows, for rows given as VALUES or by a SELECT. Returns 0, or -ENOSPC
 * when buf is too short. (store_flow.c)
 */
int store_flow_upsert_sql(char *buf, size_t len, const char *source);

#endif
