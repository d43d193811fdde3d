/*
 * store_workload: workloads (namespace, kind, name with their selector,
 * labels and named ports) and merging one workload's records into another.
 */
#include "lib/store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static char *
dup_col(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	return t != NULL ? strdup((const char *)t) : NULL;
}

static void
bind_opt_text(sqlite3_stmt *s, int i, const char *t)
{
	if (t != NULL)
		sqlite3_bind_text(s, i, t, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

int
store_workload_put(struct store *st, struct store_workload *w)
{
	sqlite3_stmt *s = store_stmt(st, S_WL_UPSERT);
	int rc;

	if (s == NULL)
		return -EIO;
	if (w->namespace_[0] == '\0' || w->kind[0] == '\0' ||
	    w->name[0] == '\0')
		return -EINVAL;
	bind_text(s, 1, w->namespace_);
	bind_text(s, 2, w->kind);
	bind_text(s, 3, w->name);
	bind_opt_text(s, 4, w->selector_json);
	bind_opt_text(s, 5, w->labels_json);
	bind_opt_text(s, 6, w->ports_json);
	sqlite3_bind_int(s, 7, w->host_network);
	sqlite3_bind_int64(s, 8, w->started_at);
	bind_text(s, 9, w->uid);
	sqlite3_bind_int64(s, 10, w->deleted_at);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		w->id = sqlite3_column_int64(s, 0);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? -EIO : sqlite_errno(rc);
	}
	sqlite3_reset(s);
	return rc;
}

static int
read_workload(sqlite3_stmt *s, struct store_workload *w)
{
	memset(w, 0, sizeof(*w));
	w->id = sqlite3_column_int64(s, 0);
	copy_col(w->namespace_, sizeof(w->namespace_), s, 1);
	copy_col(w->kind, sizeof(w->kind), s, 2);
	copy_col(w->name, sizeof(w->name), s, 3);
	w->selector_json = dup_col(s, 4);
	w->labels_json = dup_col(s, 5);
	w->ports_json = dup_col(s, 6);
	w->host_network = sqlite3_column_int(s, 7) != 0;
	w->started_at = sqlite3_column_int64(s, 8);
	copy_col(w->uid, sizeof(w->uid), s, 9);
	w->deleted_at = sqlite3_column_int64(s, 10);
	if ((sqlite3_column_type(s, 4) != SQLITE_NULL && !w->selector_json) ||
	    (sqlite3_column_type(s, 5) != SQLITE_NULL && !w->labels_json) ||
	    (sqlite3_column_type(s, 6) != SQLITE_NULL && !w->ports_json)) {
		store_workload_clear(w);
		return -ENOMEM;
	}
	return 0;
}

static int
workload_query(sqlite3_stmt *s, struct store_workload *out)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		rc = read_workload(s, out);
	else
		rc = rc == SQLITE_DONE ? -ENOENT : sqlite_errno(rc);
	sqlite3_reset(s);
	return rc;
}

int
store_workload_get(struct store *st, int64_t id, struct store_workload *out)
{
	sqlite3_stmt *s = store_stmt(st, S_WL_GET);

	if (s == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	return workload_query(s, out);
}

int
store_workload_find(struct store *st, const char *ns, const char *kind,
    const char *name, struct store_workload *out)
{
	sqlite3_stmt *s = store_stmt(st, S_WL_FIND);

	if (s == NULL)
		return -EIO;
	bind_text(s, 1, ns);
	bind_text(s, 2, kind);
	bind_text(s, 3, name);
	return workload_query(s, out);
}

void
store_workload_clear(struct store_workload *w)
{
	if (w == NULL)
		return;
	free(w->selector_json);
	free(w->labels_json);
	free(w->ports_json);
	w->selector_json = w->labels_json = w->ports_json = NULL;
}

/*
 * Re-key every flow of workload from (as subject, then as peer) onto to.
 * Rows that meet an existing row of to are folded into it by the same
 * upsert the daemon uses, then deleted. NULL entries are the upserts,
 * built from the SELECT beside them.
 */
static const struct {
	const char *sql;		/* a plain statement, or */
	const char *upsert_from;	/* the rows to upsert */
} merge_steps[] = {
	{ .upsert_from = "SELECT ?2, direction, peer_kind,"
	    " CASE WHEN peer_workload_id=?1 THEN ?2 ELSE peer_workload_id END,"
	    " peer_addr, protocol, port, orig_addr, orig_port, dns_name,"
	    " first_seen, last_seen, count, bytes, packets FROM flows"
	    " WHERE workload_id=?1 AND true" },
	{ .sql = "DELETE FROM flows WHERE workload_id=?1" },
	{ .upsert_from = "SELECT workload_id, direction, peer_kind, ?2,"
	    " peer_addr, protocol, port, orig_addr, orig_port, dns_name,"
	    " first_seen, last_seen, count, bytes, packets FROM flows"
	    " WHERE peer_workload_id=?1 AND true" },
	{ .sql = "DELETE FROM flows WHERE peer_workload_id=?1" },
	{ .sql = "UPDATE attachments SET workload_id=?2 WHERE workload_id=?1" },
	{ .sql = "DELETE FROM workloads WHERE id=?1" },
};

static int
merge_item(struct store *st, const void *items, size_t i)
{
	const int64_t *ids = items;	/* from, to */
	sqlite3_stmt *s = NULL;
	char sql[2048];
	const char *text = merge_steps[i].sql;
	int rc;

	/* "AND true" in the SELECTs: SQLite's upsert needs a WHERE to tell
	 * its ON CONFLICT from a join's ON. */
	if (text == NULL) {
		if ((rc = store_flow_upsert_sql(sql, sizeof(sql),
		    merge_steps[i].upsert_from)) < 0)
			return rc;
		text = sql;
	}
	rc = sqlite3_prepare_v2(st->db, text, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return sqlite_errno(rc);
	sqlite3_bind_int64(s, 1, ids[0]);
	sqlite3_bind_int64(s, 2, ids[1]);
	rc = step_done(s);
	sqlite3_finalize(s);
	return rc;
}

int
store_workload_merge(struct store *st, int64_t from, int64_t to)
{
	const int64_t ids[2] = { from, to };

	if (from == to || from <= 0 || to <= 0)
		return -EINVAL;
	return store_each_in_transaction(st,
	    sizeof(merge_steps) / sizeof(merge_steps[0]),
	    merge_item, ids);
}
