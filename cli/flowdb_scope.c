/*
 * flowdb_scope: subjects, their flows and their peers from one store
 * (see flowdb_scope.h).
 */
#include "cli/flowdb_scope.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_object *
parse_json_col(struct flowdb_loadctx *c, sqlite3_stmt *s, int i,
    json_type want)
{
	json_object *o;

	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return NULL;
	json_tokener_reset(c->tok);
	o = json_tokener_parse_ex(c->tok, flowdb_store_text(s, i),
	    sqlite3_column_bytes(s, i));
	if (json_tokener_get_error(c->tok) != json_tokener_success) {
		json_object_put(o);
		return NULL;
	}
	if (o != NULL && !json_object_is_type(o, want)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

/*
 * Columns: id, namespace, kind, name, selector, labels, ports,
 * host_network, started_at. Finds or creates the merged workload and maps
 * this store's id to it.
 */
#define WL_COLS "w.id, w.namespace, w.kind, w.name, w.selector, w.labels," \
	" w.ports, w.host_network, w.started_at"

static int
take_workload(struct flowdb_loadctx *c, sqlite3_stmt *s, bool subject,
    struct flowdb_workload **out)
{
	struct flowdb *fdb = c->fdb;
	struct flowdb_workload *w, **slot, **nw;
	const char *ns = flowdb_store_text(s, 1),
	    *kind = flowdb_store_text(s, 2), *name = flowdb_store_text(s, 3);
	int64_t started = sqlite3_column_int64(s, 8);
	size_t ncap;

	w = NULL;
	if (fdb->names.cap > 0) {
		slot = flowdb_namemap_slot(&fdb->names, ns, kind, name);
		w = *slot;
	}
	if (w == NULL) {
		if ((w = calloc(1, sizeof(*w))) == NULL)
			return -ENOMEM;
		w->namespace_ = strdup(ns);
		w->kind = strdup(kind);
		w->name = strdup(name);
		if (w->namespace_ == NULL || w->kind == NULL ||
		    w->name == NULL) {
			flowdb_wl_free(w);
			return -ENOMEM;
		}
		if (fdb->nwls == fdb->capwls) {
			ncap = fdb->capwls ? fdb->capwls * 2 : 64;
			if ((nw = realloc(fdb->wls, ncap * sizeof(*nw))) ==
			    NULL) {
				flowdb_wl_free(w);
				return -ENOMEM;
			}
			fdb->wls = nw;
			fdb->capwls = ncap;
		}
		fdb->wls[fdb->nwls++] = w;
		if (flowdb_namemap_put(&fdb->names, w) < 0)
			return -ENOMEM;
	}
	/* The first store that knows a field wins. */
	if (w->selector == NULL)
		w->selector = parse_json_col(c, s, 4, json_type_object);
	if (w->labels == NULL)
		w->labels = parse_json_col(c, s, 5, json_type_object);
	if (w->ports == NULL)
		w->ports = parse_json_col(c, s, 6, json_type_array);
	w->host_network |= sqlite3_column_int(s, 7) != 0;
	if (started > 0 && (w->started_at == 0 || started < w->started_at))
		w->started_at = started;
	w->subject |= subject;
	*out = w;
	return flowdb_idmap_put(&c->ids, sqlite3_column_int64(s, 0), w);
}

int
flowdb_scope_subjects(struct flowdb_loadctx *c, bool *found)
{
	const struct flowdb_query *q = c->q;
	sqlite3_stmt *s = NULL;
	struct flowdb_workload *w;
	const char *slash = q->workload ? strchr(q->workload, '/') : NULL;
	char *kind = NULL, sql[512];
	int rc, step;

	/* Conditions only for what is asked: an "?1 IS NULL OR" would keep
	 * SQLite from using the (namespace, kind, name) index. */
	snprintf(sql, sizeof(sql), "SELECT " WL_COLS " FROM workloads w"
	    " WHERE 1%s%s", q->namespace_ ? " AND w.namespace = ?1" : "",
	    slash ? " AND w.name = ?3 AND lower(w.kind) = lower(?2)" : "");
	if ((rc = flowdb_store_prepare(c, sql, &s)) < 0)
		return rc;
	if (q->namespace_ != NULL)
		sqlite3_bind_text(s, 1, q->namespace_, -1, SQLITE_STATIC);
	if (slash != NULL) {
		if ((kind = strndup(q->workload, (size_t)(slash - q->workload)))
		    == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, slash + 1, -1, SQLITE_STATIC);
	}
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if ((rc = take_workload(c, s, true, &w)) < 0)
			goto out;
		*found = true;
	}
	if (step != SQLITE_DONE)
		rc = flowdb_store_fail(c, -EIO, "reading workloads");
out:
	if (rc == -ENOMEM)
		flowdb_store_fail(c, rc, "workloads");
	free(kind);
	sqlite3_finalize(s);
	return rc;
}

/* The merged workload for this store's id, loading it as a peer. */
static int
peer_workload(struct flowdb_loadctx *c, int64_t id,
    struct flowdb_workload **out)
{
	int rc, step;

	if ((*out = flowdb_idmap_get(&c->ids, id)) != NULL)
		return 0;
	if (c->by_id == NULL && (rc = flowdb_store_prepare(c, "SELECT "
	    WL_COLS " FROM workloads w WHERE w.id = ?", &c->by_id)) < 0)
		return rc;
	sqlite3_reset(c->by_id);
	sqlite3_bind_int64(c->by_id, 1, id);
	step = sqlite3_step(c->by_id);
	if (step == SQLITE_ROW)
		return take_workload(c, c->by_id, false, out);
	if (step != SQLITE_DONE)
		return flowdb_store_fail(c, -EIO, "reading a peer workload");
	*out = NULL;	/* a dangling id: the peer is unknown */
	return 0;
}

static int
add_flow(struct flowdb *fdb, const struct flowdb_flow *f)
{
	struct flowdb_flow *nf;
	size_t ncap;

	if (fdb->nflows == fdb->capflows) {
		ncap = fdb->capflows ? fdb->capflows * 2 : 1024;
		if ((nf = realloc(fdb->flows, ncap * sizeof(*nf))) == NULL)
			return -ENOMEM;
		fdb->flows = nf;
		fdb->capflows = ncap;
	}
	fdb->flows[fdb->nflows++] = *f;
	return 0;
}

int
flowdb_scope_flows(struct flowdb_loadctx *c)
{
	const struct flowdb_query *q = c->q;
	sqlite3_stmt *s = NULL;
	struct flowdb_flow f;
	struct flowdb_workload *peer;
	const char *dns, *slash;
	char sql[768];
	int rc, step;

	/* The join walks workloads by (namespace, ...) and flows by their
	 * (workload_id, ...) unique index: no full scan. Conditions are
	 * added only when asked for, so that the planner sees plain
	 * equalities it can use the indexes for. */
	slash = q->workload ? strchr(q->workload, '/') : NULL;
	snprintf(sql, sizeof(sql), "SELECT f.workload_id, f.direction,"
	    " f.peer_kind, f.peer_workload_id, f.peer_addr, f.protocol, f.port,"
	    " f.orig_addr, f.orig_port, f.dns_name, f.first_seen,"
	    " f.last_seen, f.count, f.bytes, f.packets"
	    " FROM workloads w JOIN flows f ON f.workload_id = w.id"
	    " WHERE 1%s%s%s%s%s",
	    q->namespace_ ? " AND w.namespace = ?1" : "",
	    slash ? " AND w.name = ?3 AND lower(w.kind) = lower(?2)" : "",
	    q->since ? " AND f.last_seen >= ?4" : "",
	    q->until ? " AND f.first_seen <= ?5" : "",
	    q->direction >= 0 ? " AND f.direction = ?6" : "");
	if ((rc = flowdb_store_prepare(c, sql, &s)) < 0)
		return rc;
	if (q->namespace_ != NULL)
		sqlite3_bind_text(s, 1, q->namespace_, -1, SQLITE_STATIC);
	if (slash != NULL) {
		sqlite3_bind_text(s, 2, q->workload,
		    (int)(slash - q->workload), SQLITE_STATIC);
		sqlite3_bind_text(s, 3, slash + 1, -1, SQLITE_STATIC);
	}
	if (q->since)
		sqlite3_bind_int64(s, 4, q->since);
	if (q->until)
		sqlite3_bind_int64(s, 5, q->until);
	if (q->direction >= 0)
		sqlite3_bind_int(s, 6, q->direction);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&f, 0, sizeof(f));
		f.wl = flowdb_idmap_get(&c->ids, sqlite3_column_int64(s, 0));
		if (f.wl == NULL)
			continue;
		f.direction = sqlite3_column_int(s, 1);
		f.peer_kind = sqlite3_column_int(s, 2);
		if (f.peer_kind == FLOW_PEER_WORKLOAD) {
			if ((rc = peer_workload(c, sqlite3_column_int64(s, 3),
			    &peer)) < 0)
				goto out;
			f.peer_wl = peer;
			if (peer == NULL)
				f.peer_kind = FLOW_PEER_UNKNOWN;
		}
		if (f.peer_kind != FLOW_PEER_WORKLOAD &&
		    addr_parse(flowdb_store_text(s, 4), &f.peer_addr) < 0)
			memset(&f.peer_addr, 0, sizeof(f.peer_addr));
		f.protocol = (uint8_t)sqlite3_column_int(s, 5);
		f.port = (uint16_t)sqlite3_column_int(s, 6);
		if (addr_parse(flowdb_store_text(s, 7), &f.orig_addr) < 0)
			memset(&f.orig_addr, 0, sizeof(f.orig_addr));
		f.orig_port = (uint16_t)sqlite3_column_int(s, 8);
		dns = flowdb_store_text(s, 9);
		f.dns_name = flowdb_empty_str;
		if (*dns != '\0' && (f.dns_name = strdup(dns)) == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		f.first_seen = sqlite3_column_int64(s, 10);
		f.last_seen = sqlite3_column_int64(s, 11);
		f.count = (uint64_t)sqlite3_column_int64(s, 12);
		f.bytes = (uint64_t)sqlite3_column_int64(s, 13);
		f.packets = (uint64_t)sqlite3_column_int64(s, 14);
		if ((rc = add_flow(c->fdb, &f)) < 0) {
			if (f.dns_name != flowdb_empty_str)
				free((char *)(uintptr_t)f.dns_name);
			goto out;
		}
	}
	if (step != SQLITE_DONE)
		rc = flowdb_store_fail(c, -EIO, "reading flows");
out:
	if (rc == -ENOMEM)
		flowdb_store_fail(c, rc, "flows");
	sqlite3_finalize(s);
	return rc;
}
