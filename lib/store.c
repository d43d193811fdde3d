/*
 * store: the connection: open (directory, WAL, busy timeout, migrations),
 * close, transactions, the prepared-statement cache, errors, the data
 * version and the integrity check. The tables' rows are in store_*.c.
 */
#include "lib/store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/store_int.h"
#include "lib/store_schema.h"

/*
 * Statements are prepared once per connection, on first use, and kept in
 * this table: the plugin runs a handful of them per process, the daemon
 * runs the flow upsert hundreds of thousands of times.
 */
static const char *const stmt_sql[S_NSTMTS] = {
	[S_ATT_UPSERT] =
	    "INSERT INTO attachments (container_id, ifname, pod_namespace,"
	    " pod_name, pod_uid, netns, host_veth, host_ifindex, workload_id,"
	    " attached_at, detached_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,0)"
	    " ON CONFLICT (container_id, ifname) DO UPDATE SET"
	    " pod_namespace=excluded.pod_namespace, pod_name=excluded.pod_name,"
	    " pod_uid=excluded.pod_uid, netns=excluded.netns,"
	    " host_veth=excluded.host_veth, host_ifindex=excluded.host_ifindex,"
	    " workload_id=CASE WHEN excluded.workload_id != 0"
	    "  THEN excluded.workload_id ELSE attachments.workload_id END,"
	    " attached_at=CASE WHEN attachments.detached_at != 0"
	    "  THEN excluded.attached_at ELSE attachments.attached_at END,"
	    " detached_at=0 RETURNING id",
	[S_ATT_GET] =
	    "SELECT id, container_id, ifname, pod_namespace, pod_name, pod_uid,"
	    " netns, host_veth, host_ifindex, workload_id, attached_at,"
	    " detached_at FROM attachments WHERE container_id=?1 AND ifname=?2",
	[S_ATT_BY_ID] =
	    "SELECT id, container_id, ifname, pod_namespace, pod_name, pod_uid,"
	    " netns, host_veth, host_ifindex, workload_id, attached_at,"
	    " detached_at FROM attachments WHERE id=?1",
	[S_ATT_DETACH] =
	    "UPDATE attachments SET detached_at=?3"
	    " WHERE container_id=?1 AND ifname=?2 AND detached_at=0",
	[S_ATT_SET_WL] = "UPDATE attachments SET workload_id=?2 WHERE id=?1",
	[S_ADDR_OF_ATT] =
	    "SELECT addr, prefix FROM addresses"
	    " WHERE attachment_id=?1 AND valid_to=0 ORDER BY id",
	[S_ADDR_CLOSE] =
	    "UPDATE addresses SET valid_to=?3"
	    " WHERE attachment_id=?1 AND addr=?2 AND valid_to=0",
	[S_ADDR_OPEN] =
	    "INSERT INTO addresses (attachment_id, addr, prefix, valid_from)"
	    " VALUES (?1, ?2, ?3, ?4)",
	[S_ADDR_CLOSE_ALL] =
	    "UPDATE addresses SET valid_to=?2"
	    " WHERE attachment_id=?1 AND valid_to=0",
	[S_ADDR_LOOKUP] =
	    "SELECT attachment_id FROM addresses WHERE addr=?1"
	    " AND valid_from<=?2 AND (valid_to=0 OR valid_to>=?2)"
	    " ORDER BY valid_from DESC, id DESC LIMIT 1",
	[S_WL_UPSERT] =
	    "INSERT INTO workloads (namespace, kind, name, selector, labels,"
	    " ports, host_network, started_at, uid, deleted_at)"
	    " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)"
	    " ON CONFLICT (namespace, kind, name) DO UPDATE SET"
	    " selector=coalesce(excluded.selector, workloads.selector),"
	    " labels=coalesce(excluded.labels, workloads.labels),"
	    " ports=coalesce(excluded.ports, workloads.ports),"
	    " host_network=excluded.host_network,"
	    " started_at=CASE WHEN workloads.started_at = 0"
	    "  OR (excluded.started_at != 0"
	    "      AND excluded.started_at < workloads.started_at)"
	    "  THEN excluded.started_at ELSE workloads.started_at END,"
	    " uid=CASE WHEN excluded.uid != '' THEN excluded.uid"
	    "  ELSE workloads.uid END,"
	    " deleted_at=excluded.deleted_at"
	    " RETURNING id",
	[S_WL_GET] =
	    "SELECT id, namespace, kind, name, selector, labels, ports,"
	    " host_network, started_at, uid, deleted_at FROM workloads"
	    " WHERE id=?1",
	[S_WL_FIND] =
	    "SELECT id, namespace, kind, name, selector, labels, ports,"
	    " host_network, started_at, uid, deleted_at FROM workloads"
	    " WHERE namespace=?1 AND kind=?2 AND name=?3",
	/* [S_FLOW_UPSERT]: built from flow_merge_sql() (store_flow.c). */
	[S_DNS_UPSERT] =
	    "INSERT INTO dns_answers (attachment_id, name, addr, ttl,"
	    " first_seen, last_seen) VALUES (?1,?2,?3,?4,?5,?5)"
	    " ON CONFLICT (attachment_id, name, addr) DO UPDATE SET"
	    " ttl=excluded.ttl,"
	    " last_seen=max(dns_answers.last_seen, excluded.last_seen)",
	[S_NODE_PUT] =
	    "INSERT OR IGNORE INTO nodes (name, addr) VALUES (?1, ?2)",
	[S_KS_DELETE] = "DELETE FROM known_servers WHERE source=?1",
	[S_KS_INSERT] =
	    "INSERT INTO known_servers (source, cidr, server, name)"
	    " VALUES (?1, ?2, ?3, ?4)",
	[S_CNT_ADD] =
	    "INSERT INTO counters (name, value, updated_at) VALUES (?1, ?2, ?3)"
	    " ON CONFLICT (name) DO UPDATE SET value=counters.value+excluded.value,"
	    " updated_at=excluded.updated_at",
	[S_CNT_GET] = "SELECT value FROM counters WHERE name=?1",
	[S_META_SET] =
	    "INSERT INTO meta (key, value) VALUES (?1, ?2)"
	    " ON CONFLICT (key) DO UPDATE SET value=excluded.value",
	[S_META_GET] = "SELECT value FROM meta WHERE key=?1",
};

sqlite3_stmt *
store_stmt_sql(struct store *st, enum stmt_id id, const char *sql)
{
	if (st->stmts[id] == NULL && (sql == NULL ||
	    sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &st->stmts[id], NULL) != SQLITE_OK))
		return NULL;
	sqlite3_reset(st->stmts[id]);
	sqlite3_clear_bindings(st->stmts[id]);
	return st->stmts[id];
}

sqlite3_stmt *
store_stmt(struct store *st, enum stmt_id id)
{
	return store_stmt_sql(st, id, stmt_sql[id]);
}

int
store_each_in_transaction(struct store *st, size_t n,
    int (*fn)(struct store *, const void *, size_t), const void *items)
{
	/* Inside the caller's transaction (store_begin), the items are
	 * part of it: the caller commits or rolls back. */
	bool outer = !sqlite3_get_autocommit(st->db);
	size_t i;
	int rc;

	if (!outer && (rc = store_begin(st)) < 0)
		return rc;
	for (i = 0; i < n; i++)
		if ((rc = fn(st, items, i)) < 0)
			goto out;
	rc = outer ? 0 : store_commit(st);
out:
	if (rc < 0 && !outer)
		store_rollback(st);
	return rc;
}

static int
exec_sql(struct store *st, const char *sql)
{
	return sqlite_errno(sqlite3_exec(st->db, sql, NULL, NULL, NULL));
}

int
store_begin(struct store *st)
{
	return exec_sql(st, "BEGIN IMMEDIATE");
}

int
store_commit(struct store *st)
{
	return exec_sql(st, "COMMIT");
}

int
store_rollback(struct store *st)
{
	/* Harmless when no transaction is open (SQLite already rolled back
	 * after some errors). */
	if (sqlite3_get_autocommit(st->db))
		return 0;
	return exec_sql(st, "ROLLBACK");
}

/* mkdir -p of the directory holding path. */
static int
make_parent_dir(const char *path)
{
	char buf[PATH_MAX];
	char *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	p = strrchr(buf, '/');
	if (p == NULL || p == buf)
		return 0;
	*p = '\0';
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * Switch to WAL once per file. The mode is persistent, so only the first
 * opener changes it; the check avoids taking a lock on every open, which
 * matters when 50 plugins start at once.
 */
static int
enable_wal(struct store *st)
{
	sqlite3_stmt *s = NULL;
	int rc, tries;

	for (tries = 0; tries < 50; tries++) {
		rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode", -1, &s,
		    NULL);
		if (rc == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW &&
		    strcasecmp((const char *)sqlite3_column_text(s, 0),
		    "wal") == 0) {
			sqlite3_finalize(s);
			return 0;
		}
		sqlite3_finalize(s);
		s = NULL;
		rc = sqlite3_exec(st->db, "PRAGMA journal_mode=WAL", NULL, NULL,
		    NULL);
		if (rc == SQLITE_OK)
			continue;	/* verify on the next round */
		if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
			return sqlite_errno(rc);
		usleep(20000);
	}
	return -EBUSY;
}

static int
user_version(struct store *st, int *out)
{
	sqlite3_stmt *s = NULL;
	int rc;

	*out = 0;
	rc = sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int(s, 0);
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(s);
	return sqlite_errno(rc);
}

/*
 * Bring the schema to STORE_SCHEMA_VERSION. Runs under BEGIN IMMEDIATE and
 * re-reads the version inside the transaction, so concurrent openers of a
 * new file migrate it exactly once.
 */
static int
migrate(struct store *st)
{
	char sql[64];
	int v, rc;

	if ((rc = user_version(st, &v)) < 0)
		return rc;
	if (v == STORE_NMIGRATIONS)
		return 0;
	if (v > STORE_NMIGRATIONS)
		return -EPROTO;
	if (st->flags & STORE_OPEN_READONLY)
		return -EPROTO;
	if ((rc = store_begin(st)) < 0)
		return rc;
	if ((rc = user_version(st, &v)) < 0)
		goto out;
	for (; v < STORE_NMIGRATIONS; v++) {
		if ((rc = exec_sql(st, store_migrations[v])) < 0)
			goto out;
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", STORE_NMIGRATIONS);
	if ((rc = exec_sql(st, sql)) < 0)
		goto out;
	rc = store_commit(st);
out:
	if (rc < 0)
		store_rollback(st);
	return rc;
}

int
store_open(const char *path, int flags, struct store **out)
{
	struct store *st = NULL;
	int oflags, rc;

	*out = NULL;
	if (path == NULL || *path == '\0')
		return -EINVAL;
	if ((flags & (STORE_OPEN_READONLY | STORE_OPEN_NOCREATE)) &&
	    access(path, F_OK) < 0)
		return -errno;
	if (!(flags & (STORE_OPEN_READONLY | STORE_OPEN_NOCREATE)) &&
	    (rc = make_parent_dir(path)) < 0)
		return rc;
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return -ENOMEM;
	st->flags = flags;
	st->path = strdup(path);
	if (st->path == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	oflags = SQLITE_OPEN_NOMUTEX;
	if (flags & STORE_OPEN_READONLY)
		oflags |= SQLITE_OPEN_READONLY;
	else
		oflags |= SQLITE_OPEN_READWRITE |
		    (flags & STORE_OPEN_NOCREATE ? 0 : SQLITE_OPEN_CREATE);
	rc = sqlite3_open_v2(path, &st->db, oflags, NULL);
	if (rc != SQLITE_OK) {
		rc = sqlite_errno(rc);
		goto out;
	}
	sqlite3_extended_result_codes(st->db, 0);
	/* Writers queue behind each other for up to 10 s instead of failing:
	 * 50 plugins and the daemon's flush may all want the lock at once. */
	sqlite3_busy_timeout(st->db, 10000);
	if (!(flags & STORE_OPEN_READONLY)) {
		if ((rc = enable_wal(st)) < 0)
			goto out;
		/* NORMAL is durable across process crashes in WAL mode; only
		 * a power loss can lose the last commits. */
		if ((rc = exec_sql(st, "PRAGMA synchronous=NORMAL")) < 0)
			goto out;
	}
	if ((rc = migrate(st)) < 0)
		goto out;
	if (flags & STORE_OPEN_NO_CKPT_ON_CLOSE)
		sqlite3_db_config(st->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1,
		    NULL);
	*out = st;
	st = NULL;
	rc = 0;
out:
	store_close(st);
	return rc;
}

void
store_close(struct store *st)
{
	int i;

	if (st == NULL)
		return;
	for (i = 0; i < S_NSTMTS; i++)
		sqlite3_finalize(st->stmts[i]);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

const char *
store_errmsg(const struct store *st)
{
	return st != NULL && st->db != NULL ? sqlite3_errmsg(st->db) :
	    "no store";
}

int
store_set_busy_timeout(struct store *st, int ms)
{
	return sqlite_errno(sqlite3_busy_timeout(st->db, ms < 0 ? 0 : ms));
}

const char *
store_path(const struct store *st)
{
	return st->path;
}

int
store_check_integrity(struct store *st)
{
	sqlite3_stmt *s = NULL;
	int rc = -EIO;

	if (sqlite3_prepare_v2(st->db, "PRAGMA integrity_check", -1, &s,
	    NULL) != SQLITE_OK)
		return -EIO;
	if (sqlite3_step(s) == SQLITE_ROW &&
	    strcmp((const char *)sqlite3_column_text(s, 0), "ok") == 0)
		rc = 0;
	sqlite3_finalize(s);
	return rc;
}

int
store_data_version(struct store *st, int64_t *out)
{
	sqlite3_stmt *s = NULL;
	int rc;

	rc = sqlite3_prepare_v2(st->db, "PRAGMA data_version", -1, &s, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		/* data_version moves only for other connections' commits;
		 * add our own change count so our writes show too. */
		*out = sqlite3_column_int64(s, 0) +
		    sqlite3_total_changes64(st->db);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	return sqlite_errno(rc);
}
