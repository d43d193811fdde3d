/*
 * store_flow: aggregated flows: the upsert (its merge rule is lib/flow's)
 * and pruning old rows.
 */
#include "lib/store_int.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define FLOW_COLUMNS "workload_id, direction, peer_kind, peer_workload_id," \
	" peer_addr, protocol, port, orig_addr, orig_port, dns_name," \
	" first_seen, last_seen, count, bytes, packets"
#define FLOW_KEY "workload_id, direction, peer_kind, peer_workload_id," \
	" peer_addr, protocol, port, orig_addr, orig_port"

int
store_flow_upsert_sql(char *buf, size_t len, const char *source)
{
	char merge[1024];
	int n;

	if ((size_t)flow_merge_sql(merge, sizeof(merge), "flows") >=
	    sizeof(merge))
		return -ENOSPC;
	n = snprintf(buf, len, "INSERT INTO flows (" FLOW_COLUMNS ") %s"
	    " ON CONFLICT (" FLOW_KEY ") DO UPDATE SET %s", source, merge);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

static sqlite3_stmt *
upsert_stmt(struct store *st)
{
	char sql[2048];

	/* The text is built only for the first use on this connection. */
	if (st->stmts[S_FLOW_UPSERT] == NULL && store_flow_upsert_sql(sql,
	    sizeof(sql), "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,"
	    "?13,?14,?15)") < 0)
		return NULL;
	return store_stmt_sql(st, S_FLOW_UPSERT, sql);
}

static int
flow_upsert(struct store *st, const struct flow *f)
{
	sqlite3_stmt *s = upsert_stmt(st);
	char peer[ADDR_STRLEN] = "", orig[ADDR_STRLEN] = "";

	if (s == NULL)
		return -EIO;
	if (f->key.peer.family != 0)
		addr_format(&f->key.peer, peer, sizeof(peer));
	if (f->key.orig.family != 0)
		addr_format(&f->key.orig, orig, sizeof(orig));
	sqlite3_bind_int64(s, 1, f->key.subject);
	sqlite3_bind_int(s, 2, f->key.direction);
	sqlite3_bind_int(s, 3, f->key.peer_kind);
	sqlite3_bind_int64(s, 4, f->key.peer_wl);
	bind_text(s, 5, peer);
	sqlite3_bind_int(s, 6, f->key.protocol);
	sqlite3_bind_int(s, 7, f->key.port);
	bind_text(s, 8, orig);
	sqlite3_bind_int(s, 9, f->key.orig_port);
	bind_text(s, 10, f->dns_name);
	sqlite3_bind_int64(s, 11, f->first_seen);
	sqlite3_bind_int64(s, 12, f->last_seen);
	sqlite3_bind_int64(s, 13, (int64_t)f->count);
	sqlite3_bind_int64(s, 14, (int64_t)f->bytes);
	sqlite3_bind_int64(s, 15, (int64_t)f->packets);
	return step_done(s);
}

static int
flow_item(struct store *st, const void *items, size_t i)
{
	return flow_upsert(st, &((const struct flow *)items)[i]);
}

int
store_flows_write(struct store *st, const struct flow *flows, size_t n)
{
	if (n == 0)
		return 0;
	return store_each_in_transaction(st, n, flow_item, flows);
}

struct mapped {
	const struct flow *flows;
	int64_t (*map)(void *, int64_t);
	void *arg;
	size_t skipped;
};

static int
mapped_item(struct store *st, const void *items, size_t i)
{
	struct mapped *m = (struct mapped *)(uintptr_t)items;
	struct flow f = m->flows[i];

	f.key.subject = m->map(m->arg, f.key.subject);
	if (f.key.peer_wl != 0)
		f.key.peer_wl = m->map(m->arg, f.key.peer_wl);
	if (f.key.subject == 0 || (m->flows[i].key.peer_wl != 0 &&
	    f.key.peer_wl == 0)) {
		m->skipped++;
		return 0;
	}
	return flow_upsert(st, &f);
}

int
store_flows_write_mapped(struct store *st, const struct flow *flows,
    size_t n, int64_t (*map)(void *arg, int64_t handle), void *arg,
    size_t *skipped)
{
	struct mapped m = { flows, map, arg, 0 };
	int ret = 0;

	if (n > 0)
		ret = store_each_in_transaction(st, n, mapped_item, &m);
	if (skipped != NULL)
		*skipped = ret == 0 ? m.skipped : 0;
	return ret;
}

int
store_flows_prune(struct store *st, int64_t cutoff, int64_t *deleted)
{
	sqlite3_stmt *s = NULL;
	int rc;

	rc = sqlite3_prepare_v2(st->db, "DELETE FROM flows WHERE last_seen<?1",
	    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return sqlite_errno(rc);
	sqlite3_bind_int64(s, 1, cutoff);
	rc = step_done(s);
	if (rc == 0 && deleted != NULL)
		*deleted = sqlite3_changes(st->db);
	sqlite3_finalize(s);
	return rc;
}
