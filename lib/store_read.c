/*
 * store_read: the queries the CLI reads a store with (see "reading" in
 * store.h). Every query is restricted with the conditions asked for only,
 * as plain equalities, so that SQLite uses the (namespace, kind, name)
 * index of the workloads and the flows' unique (workload_id, ...) index
 * instead of scanning: an "?1 IS NULL OR" would keep it from doing so.
 */
#include "lib/store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/store_int.h"

/* Column i as text; NULL when SQL NULL (borrowed until the next step). */
static const char *
col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

/* Column i as text, "" for NULL. */
static const char *
col_str(sqlite3_stmt *s, int i)
{
	const char *t = col_text(s, i);

	return t != NULL ? t : "";
}

static int
prepare(struct store *st, const char *sql, sqlite3_stmt **out)
{
	return sqlite_errno(sqlite3_prepare_v2(st->db, sql, -1, out, NULL));
}

/* The caller's callback of a walk (one of them is set) and its argument. */
struct walk {
	store_workload_row_cb wl;
	store_flow_cb flow;
	store_node_cb node;
	store_name_cb name;
	store_first_attached_cb first;
	store_dns_name_cb dns;
	void *arg;
};

/* Step s to the end, calling row(s, w) on each row. */
static int
walk(sqlite3_stmt *s, int (*row)(sqlite3_stmt *, const struct walk *),
    const struct walk *w)
{
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if ((rc = row(s, w)) != 0)
			return rc;
	return sqlite_errno(rc);
}

/* ---- workloads ---------------------------------------------------------- */

#define WL_COLS "w.id, w.namespace, w.kind, w.name, w.selector, w.labels," \
	" w.ports, w.host_network, w.started_at, w.uid, w.deleted_at"

static int
workload_row(sqlite3_stmt *s, const struct walk *wk)
{
	struct store_workload_row w = {
		.id = sqlite3_column_int64(s, 0),
		.namespace_ = col_str(s, 1),
		.kind = col_str(s, 2),
		.name = col_str(s, 3),
		.selector_json = col_text(s, 4),
		.labels_json = col_text(s, 5),
		.ports_json = col_text(s, 6),
		.host_network = sqlite3_column_int(s, 7) != 0,
		.started_at = sqlite3_column_int64(s, 8),
		.uid = col_str(s, 9),
		.deleted_at = sqlite3_column_int64(s, 10),
	};

	return wk->wl(&w, wk->arg);
}

/* " AND w.namespace = ?1", " AND w.name = ?3 AND lower(w.kind) =
 * lower(?2)" as sc asks, and their bindings. */
static void
scope_sql(const struct store_scope *sc, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", sc->namespace_ ?
	    " AND w.namespace = ?1" : "", sc->kind && sc->name ?
	    " AND w.name = ?3 AND lower(w.kind) = lower(?2)" : "");
}

static void
scope_bind(const struct store_scope *sc, sqlite3_stmt *s)
{
	if (sc->namespace_ != NULL)
		sqlite3_bind_text(s, 1, sc->namespace_, -1, SQLITE_STATIC);
	if (sc->kind != NULL && sc->name != NULL) {
		sqlite3_bind_text(s, 2, sc->kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, sc->name, -1, SQLITE_STATIC);
	}
}

/* " AND t.last_seen >= ?4", " AND t.first_seen <= ?5": the rows of table
 * t (flows, answers) that overlap sc's window, as it asks. */
static void
window_sql(const struct store_scope *sc, const char *t, char *buf,
    size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s%s", sc->since ? " AND " : "",
	    sc->since ? t : "", sc->since ? ".last_seen >= ?4" : "",
	    sc->until ? " AND " : "", sc->until ? t : "",
	    sc->until ? ".first_seen <= ?5" : "");
}

/* The bindings of scope_sql and window_sql. */
static void
window_bind(const struct store_scope *sc, sqlite3_stmt *s)
{
	scope_bind(sc, s);
	if (sc->since)
		sqlite3_bind_int64(s, 4, sc->since);
	if (sc->until)
		sqlite3_bind_int64(s, 5, sc->until);
}

int
store_read_workloads(struct store *st, const struct store_scope *sc,
    store_workload_row_cb cb, void *arg)
{
	sqlite3_stmt *s = NULL;
	char cond[128], sql[384];
	int rc;

	scope_sql(sc, cond, sizeof(cond));
	snprintf(sql, sizeof(sql), "SELECT " WL_COLS " FROM workloads w"
	    " WHERE 1%s", cond);
	if ((rc = prepare(st, sql, &s)) < 0)
		return rc;
	scope_bind(sc, s);
	rc = walk(s, workload_row, &(struct walk){ .wl = cb, .arg = arg });
	sqlite3_finalize(s);
	return rc;
}

int
store_read_workload(struct store *st, int64_t id, store_workload_row_cb cb,
    void *arg)
{
	sqlite3_stmt *s = store_stmt(st, S_WL_GET);
	int rc;

	if (s == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		rc = workload_row(s, &(struct walk){ .wl = cb, .arg = arg });
	else
		rc = rc == SQLITE_DONE ? -ENOENT : sqlite_errno(rc);
	sqlite3_reset(s);
	return rc;
}

int
store_read_all_workloads(struct store *st, store_workload_row_cb cb,
    void *arg)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = prepare(st, "SELECT " WL_COLS " FROM workloads w"
	    " ORDER BY w.id", &s)) < 0)
		return rc;
	rc = walk(s, workload_row, &(struct walk){ .wl = cb, .arg = arg });
	sqlite3_finalize(s);
	return rc;
}

/* ---- flows -------------------------------------------------------------- */

#define FLOW_COLS "f.workload_id, f.direction, f.peer_kind," \
	" f.peer_workload_id, f.peer_addr, f.protocol, f.port, f.orig_addr," \
	" f.orig_port, f.dns_name, f.first_seen, f.last_seen, f.count," \
	" f.bytes, f.packets"

static int
flow_row(sqlite3_stmt *s, const struct walk *wk)
{
	struct flow f;

	flow_key_init(&f.key);
	f.key.subject = sqlite3_column_int64(s, 0);
	f.key.direction = (uint8_t)sqlite3_column_int(s, 1);
	f.key.peer_kind = (uint8_t)sqlite3_column_int(s, 2);
	if (f.key.peer_kind == FLOW_PEER_WORKLOAD)
		f.key.peer_wl = sqlite3_column_int64(s, 3);
	else if (addr_parse(col_str(s, 4), &f.key.peer) < 0)
		memset(&f.key.peer, 0, sizeof(f.key.peer));
	f.key.protocol = (uint8_t)sqlite3_column_int(s, 5);
	f.key.port = (uint16_t)sqlite3_column_int(s, 6);
	if (addr_parse(col_str(s, 7), &f.key.orig) < 0)
		memset(&f.key.orig, 0, sizeof(f.key.orig));
	f.key.orig_port = (uint16_t)sqlite3_column_int(s, 8);
	f.dns_name = col_str(s, 9);
	f.first_seen = sqlite3_column_int64(s, 10);
	f.last_seen = sqlite3_column_int64(s, 11);
	f.count = (uint64_t)sqlite3_column_int64(s, 12);
	f.bytes = (uint64_t)sqlite3_column_int64(s, 13);
	f.packets = (uint64_t)sqlite3_column_int64(s, 14);
	return wk->flow(&f, wk->arg);
}

int
store_read_flows(struct store *st, const struct store_scope *sc,
    store_flow_cb cb, void *arg)
{
	sqlite3_stmt *s = NULL;
	char cond[128], win[96], sql[768];
	int rc;

	/* The join walks workloads by (namespace, ...) and flows by their
	 * (workload_id, ...) unique index: no full scan. */
	scope_sql(sc, cond, sizeof(cond));
	window_sql(sc, "f", win, sizeof(win));
	snprintf(sql, sizeof(sql), "SELECT " FLOW_COLS
	    " FROM workloads w JOIN flows f ON f.workload_id = w.id"
	    " WHERE 1%s%s%s", cond, win,
	    sc->direction >= 0 ? " AND f.direction = ?6" : "");
	if ((rc = prepare(st, sql, &s)) < 0)
		return rc;
	window_bind(sc, s);
	if (sc->direction >= 0)
		sqlite3_bind_int(s, 6, sc->direction);
	rc = walk(s, flow_row, &(struct walk){ .flow = cb, .arg = arg });
	sqlite3_finalize(s);
	return rc;
}

/* flow_row, and the row's id (column 15) kept as the highest seen. */
struct flows_of {
	struct walk wk;
	int64_t max_row;
};

static int
flow_of_row(sqlite3_stmt *s, const struct walk *wk)
{
	struct flows_of *fo = (struct flows_of *)(void *)wk;
	int64_t id = sqlite3_column_int64(s, 15);

	if (id > fo->max_row)
		fo->max_row = id;
	return flow_row(s, wk);
}

int
store_read_flows_of(struct store *st, int64_t id, store_flow_cb cb,
    void *arg, int64_t *max_row)
{
	struct flows_of fo = { .wk = { .flow = cb, .arg = arg } };
	sqlite3_stmt *s = NULL;
	int rc;

	/* The flows' unique index starts with workload_id: no scan. */
	if ((rc = prepare(st, "SELECT " FLOW_COLS ", f.id FROM flows f"
	    " WHERE f.workload_id = ?1", &s)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	rc = walk(s, flow_of_row, &fo.wk);
	sqlite3_finalize(s);
	if (max_row != NULL)
		*max_row = fo.max_row;
	return rc;
}

int
store_read_dns_of(struct store *st, int64_t id, store_dns_of_cb cb,
    void *arg)
{
	sqlite3_stmt *s = NULL;
	struct addr a;
	int rc;

	/* The workload's attachments (a scan of attachments, as
	 * store_read_dns_names), then each one's answers by the
	 * (attachment_id, ...) unique index. */
	if ((rc = prepare(st, "SELECT d.addr, d.name, MIN(d.first_seen),"
	    " MAX(d.last_seen) FROM attachments a CROSS JOIN dns_answers d"
	    " ON d.attachment_id = a.id WHERE a.workload_id = ?1"
	    " GROUP BY d.addr, d.name", &s)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (addr_parse(col_str(s, 0), &a) < 0)
			continue;	/* not ours to repair: skip it */
		if ((rc = cb(&a, col_str(s, 1), sqlite3_column_int64(s, 2),
		    sqlite3_column_int64(s, 3), arg)) != 0)
			goto out;
	}
	rc = sqlite_errno(rc);
out:
	sqlite3_finalize(s);
	return rc;
}

int
store_read_gained(struct store *st, int64_t after, store_gained_cb cb,
    void *arg, int64_t *max_row)
{
	sqlite3_stmt *s = NULL;
	int64_t top = after;
	int rc;

	/* A range of the rowid: only the rows added since. */
	if ((rc = prepare(st, "SELECT workload_id, MAX(id) FROM flows"
	    " WHERE id > ?1 GROUP BY workload_id ORDER BY workload_id",
	    &s)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, after);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t m = sqlite3_column_int64(s, 1);

		if (m > top)
			top = m;
		if ((rc = cb(sqlite3_column_int64(s, 0), m, arg)) != 0)
			goto out;
	}
	rc = sqlite_errno(rc);
out:
	sqlite3_finalize(s);
	if (rc == 0 && max_row != NULL)
		*max_row = top;
	return rc;
}

/* ---- DNS answers ------------------------------------------------------- */

static int
dns_name_row(sqlite3_stmt *s, const struct walk *wk)
{
	struct addr a;

	if (addr_parse(col_str(s, 1), &a) < 0)
		return 0;	/* not ours to repair: skip it */
	return wk->dns(sqlite3_column_int64(s, 0), &a, col_str(s, 2),
	    wk->arg);
}

int
store_read_dns_names(struct store *st, const struct store_scope *sc,
    store_dns_name_cb cb, void *arg)
{
	sqlite3_stmt *s = NULL;
	char cond[128], win[96], sql[768];
	int rc;

	/* The attachments have no index on the workload: they are walked
	 * once (one row per pod ever attached), each workload found by its
	 * id and each pod's answers by the (attachment_id, ...) unique
	 * index. CROSS JOIN keeps SQLite to that order. */
	scope_sql(sc, cond, sizeof(cond));
	window_sql(sc, "d", win, sizeof(win));
	snprintf(sql, sizeof(sql), "SELECT DISTINCT a.workload_id, d.addr,"
	    " d.name FROM attachments a"
	    " CROSS JOIN workloads w ON w.id = a.workload_id"
	    " CROSS JOIN dns_answers d ON d.attachment_id = a.id"
	    " WHERE a.workload_id != 0%s%s", cond, win);
	if ((rc = prepare(st, sql, &s)) < 0)
		return rc;
	window_bind(sc, s);
	rc = walk(s, dns_name_row, &(struct walk){ .dns = cb, .arg = arg });
	sqlite3_finalize(s);
	return rc;
}

/* One integer of a query without parameters (0 when it gives none). */
static int
read_int(struct store *st, const char *sql, int64_t *out)
{
	sqlite3_stmt *s = NULL;
	int rc;

	*out = 0;
	if ((rc = prepare(st, sql, &s)) < 0)
		return rc;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(s, 0);
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(s);
	return sqlite_errno(rc);
}

int
store_read_adopted(struct store *st, int64_t *attached, int64_t *ever)
{
	int rc;

	/* The attachments: a node's pods and their history, never large. */
	if ((rc = read_int(st, "SELECT COUNT(*) FROM attachments WHERE "
	    "detached_at = 0 AND " STORE_ADOPTED_SQL("container_id"),
	    attached)) < 0)
		return rc;
	return read_int(st, "SELECT COUNT(*) FROM attachments WHERE "
	    STORE_ADOPTED_SQL("container_id"), ever);
}

int
store_read_last_seen(struct store *st, int64_t *out)
{
	/* MAX on the indexed last_seen: no scan. */
	return read_int(st, "SELECT MAX(last_seen) FROM flows", out);
}

int
store_read_data_end(struct store *st, int64_t *out)
{
	/* As the CLI's store source takes it: the newest flow, or the
	 * last counter update when that is later. */
	return read_int(st, "SELECT max(coalesce((SELECT MAX(last_seen)"
	    " FROM flows), 0), coalesce((SELECT MAX(updated_at) FROM"
	    " counters), 0))", out);
}

int
store_count_attached_before(struct store *st, int64_t t, int64_t *out)
{
	sqlite3_stmt *s = NULL;
	int rc;

	*out = 0;
	if ((rc = prepare(st, "SELECT COUNT(*) FROM attachments"
	    " WHERE detached_at = 0 AND attached_at < ?1", &s)) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, t);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*out = sqlite3_column_int64(s, 0);
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(s);
	return sqlite_errno(rc);
}

int
store_read_begin(struct store *st)
{
	return sqlite_errno(sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL));
}

int
store_read_end(struct store *st)
{
	if (sqlite3_get_autocommit(st->db))
		return 0;
	return sqlite_errno(sqlite3_exec(st->db, "COMMIT", NULL, NULL,
	    NULL));
}

/* ---- nodes, namespaces, attachments -------------------------------------- */

static int
node_row(sqlite3_stmt *s, const struct walk *wk)
{
	struct addr a;

	if (addr_parse(col_str(s, 1), &a) < 0)
		return 0;	/* not ours to repair: skip it */
	return wk->node(col_str(s, 0), &a, wk->arg);
}

int
store_read_nodes(struct store *st, store_node_cb cb, void *arg)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = prepare(st, "SELECT name, addr FROM nodes", &s)) < 0)
		return rc;
	rc = walk(s, node_row, &(struct walk){ .node = cb, .arg = arg });
	sqlite3_finalize(s);
	return rc;
}

static int
name_row(sqlite3_stmt *s, const struct walk *wk)
{
	return wk->name(col_str(s, 0), wk->arg);
}

int
store_read_namespaces(struct store *st, store_name_cb cb, void *arg)
{
	sqlite3_stmt *s = NULL;
	int rc;

	/* From the workloads' (namespace, ...) index: no table scan. */
	if ((rc = prepare(st, "SELECT DISTINCT namespace FROM workloads"
	    " ORDER BY namespace", &s)) < 0)
		return rc;
	rc = walk(s, name_row, &(struct walk){ .name = cb, .arg = arg });
	sqlite3_finalize(s);
	return rc;
}

int
store_namespace_attached(struct store *st, const char *ns, bool *out)
{
	sqlite3_stmt *s = NULL;
	int rc;

	/* The attachments have no index on the namespace: asked only for a
	 * namespace no workload is in. */
	*out = false;
	if ((rc = prepare(st, "SELECT 1 FROM attachments"
	    " WHERE pod_namespace = ?1 LIMIT 1", &s)) < 0)
		return rc;
	sqlite3_bind_text(s, 1, ns, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out = true;
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(s);
	return sqlite_errno(rc);
}

static int
first_attached_row(sqlite3_stmt *s, const struct walk *wk)
{
	return wk->first(sqlite3_column_int64(s, 0),
	    sqlite3_column_int64(s, 1), sqlite3_column_int(s, 2) != 0,
	    wk->arg);
}

int
store_read_first_attachments(struct store *st, store_first_attached_cb cb,
    void *arg)
{
	sqlite3_stmt *s = NULL;
	int rc;

	/* With MIN(), SQLite takes the bare column (adopted or not) from
	 * the row that has the minimum. */
	if ((rc = prepare(st, "SELECT workload_id, MIN(attached_at), "
	    STORE_ADOPTED_SQL("container_id") " FROM attachments"
	    " WHERE workload_id != 0 GROUP BY workload_id",
	    &s)) < 0)
		return rc;
	rc = walk(s, first_attached_row,
	    &(struct walk){ .first = cb, .arg = arg });
	sqlite3_finalize(s);
	return rc;
}

int
store_read_totals(struct store *st, struct store_totals *out)
{
	static const struct {
		const char *sql;
		size_t off;
	} q[] = {
		{ "SELECT COUNT(*) FROM attachments WHERE detached_at = 0",
		  offsetof(struct store_totals, attached) },
		{ "SELECT COUNT(*) FROM attachments WHERE detached_at = 0"
		  " AND " STORE_ADOPTED_SQL("container_id"),
		  offsetof(struct store_totals, adopted) },
		{ "SELECT COUNT(*) FROM attachments WHERE detached_at != 0",
		  offsetof(struct store_totals, detached) },
		{ "SELECT COUNT(*) FROM workloads",
		  offsetof(struct store_totals, workloads) },
		{ "SELECT COUNT(DISTINCT namespace) FROM workloads",
		  offsetof(struct store_totals, namespaces) },
		{ "SELECT COUNT(*) FROM flows",
		  offsetof(struct store_totals, flows) },
		{ "SELECT COUNT(*) FROM known_servers",
		  offsetof(struct store_totals, known_servers) },
	};
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < sizeof(q) / sizeof(q[0]); i++)
		if ((rc = read_int(st, q[i].sql,
		    (int64_t *)(void *)((char *)out + q[i].off))) < 0)
			return rc;
	return 0;
}

/* ---- what a path holds --------------------------------------------------- */

void
store_probe(const char *path, enum store_probe_kind *kind, int *version)
{
	struct stat sb;
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int64_t v = 0;
	int rc;

	*version = 0;
	if (stat(path, &sb) < 0) {
		*kind = errno == ENOENT || errno == ENOTDIR ?
		    STORE_PROBE_MISSING : STORE_PROBE_UNREADABLE;
		return;
	}
	if (S_ISDIR(sb.st_mode)) {
		*kind = STORE_PROBE_DIRECTORY;
		return;
	}
	*kind = STORE_PROBE_UNREADABLE;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK)
		goto out;
	/* The first read of the header tells an SQLite file from others. */
	rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master"
	    " WHERE type = 'table' AND name IN ('workloads', 'flows')", -1,
	    &s, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	s = NULL;
	if ((rc & 0xff) == SQLITE_NOTADB) {
		*kind = STORE_PROBE_NOT_SQLITE;
		goto out;
	}
	if (rc != SQLITE_ROW)
		goto out;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) !=
	    SQLITE_OK || sqlite3_step(s) != SQLITE_ROW)
		goto out;
	*version = sqlite3_column_int(s, 0);
	if (v < 2 && *version == 0)
		*kind = STORE_PROBE_NOT_A_STORE;
	else if (*version < STORE_SCHEMA_VERSION)
		*kind = STORE_PROBE_OLDER;
	else if (*version > STORE_SCHEMA_VERSION)
		*kind = STORE_PROBE_NEWER;
	else
		*kind = STORE_PROBE_CURRENT;
out:
	sqlite3_finalize(s);
	sqlite3_close(db);
}
