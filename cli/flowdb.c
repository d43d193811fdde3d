/*
 * flowdb: what was recorded, read back from one or more stores and merged.
 *
 * Reading is restricted to the scope with indexed SQL: the subjects come
 * from workloads' (namespace, kind, name) index, their flows from a join
 * on the flows' (workload_id, ...) unique index, and peers one by one by
 * primary key. A namespace of a store with a million flows elsewhere costs
 * only its own rows.
 */
#include "cli/flowdb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cliopt.h"
#include "cli/knownservers.h"

/* qsort that accepts an empty (possibly NULL) array. */
static void
sort_n(void *base, size_t n, size_t size,
    int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

static char empty_str[] = "";

/* int64 id -> workload, open addressing (ids are >= 1; 0 marks empty). */
struct idmap {
	int64_t *keys;
	struct flowdb_workload **vals;
	size_t cap, n;
};

/* (namespace, kind, name) -> workload, open addressing. */
struct namemap {
	struct flowdb_workload **slots;
	size_t cap, n;
};

struct counter {
	char *name;
	int64_t value;
};

struct flowdb {
	struct flowdb_workload **wls;
	size_t nwls, capwls;
	struct namemap names;
	struct flowdb_flow *flows;
	size_t nflows, capflows;
	size_t *wl_first, *wl_count;	/* by workload index */
	struct counter *counters;
	size_t ncounters;
	struct addr *nodes;
	size_t nnodes;
	char **namespaces;
	size_t nnamespaces;
	struct ks_set *ks;
	int64_t recording_started;
	int64_t data_begin, data_end;
	int64_t since, until;
};

/* Per store while loading. */
struct loadctx {
	struct flowdb *fdb;
	struct store *st;
	sqlite3 *db;
	const char *path;
	const struct flowdb_query *q;
	struct idmap ids;
	sqlite3_stmt *by_id;
	json_tokener *tok;	/* reused: one allocation, not one per value */
	char *err;
	size_t errlen;
};

static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t
str_hash(uint64_t h, const char *s)
{
	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return (h ^ 0xff) * 0x100000001b3ULL;
}

static int
idmap_put(struct idmap *m, int64_t id, struct flowdb_workload *w)
{
	size_t i, ncap;
	struct idmap nm;

	if ((m->n + 1) * 2 > m->cap) {
		ncap = m->cap ? m->cap * 2 : 64;
		nm.keys = calloc(ncap, sizeof(*nm.keys));
		nm.vals = calloc(ncap, sizeof(*nm.vals));
		if (nm.keys == NULL || nm.vals == NULL) {
			free(nm.keys);
			free(nm.vals);
			return -ENOMEM;
		}
		nm.cap = ncap;
		nm.n = 0;
		for (i = 0; i < m->cap; i++)
			if (m->keys[i] != 0)
				idmap_put(&nm, m->keys[i], m->vals[i]);
		free(m->keys);
		free(m->vals);
		*m = nm;
	}
	for (i = mix64((uint64_t)id) & (m->cap - 1); m->keys[i] != 0;
	    i = (i + 1) & (m->cap - 1))
		if (m->keys[i] == id) {
			m->vals[i] = w;
			return 0;
		}
	m->keys[i] = id;
	m->vals[i] = w;
	m->n++;
	return 0;
}

static struct flowdb_workload *
idmap_get(const struct idmap *m, int64_t id)
{
	size_t i;

	if (m->cap == 0)
		return NULL;
	for (i = mix64((uint64_t)id) & (m->cap - 1); m->keys[i] != 0;
	    i = (i + 1) & (m->cap - 1))
		if (m->keys[i] == id)
			return m->vals[i];
	return NULL;
}

static void
idmap_free(struct idmap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

static uint64_t
wl_hash(const char *ns, const char *kind, const char *name)
{
	return str_hash(str_hash(str_hash(0xcbf29ce484222325ULL, ns), kind),
	    name);
}

static struct flowdb_workload **
namemap_slot(const struct namemap *m, const char *ns, const char *kind,
    const char *name)
{
	struct flowdb_workload *w;
	size_t i;

	for (i = wl_hash(ns, kind, name) & (m->cap - 1);
	    (w = m->slots[i]) != NULL; i = (i + 1) & (m->cap - 1))
		if (strcmp(w->name, name) == 0 &&
		    strcmp(w->namespace_, ns) == 0 &&
		    strcmp(w->kind, kind) == 0)
			break;
	return &m->slots[i];
}

static int
namemap_put(struct namemap *m, struct flowdb_workload *w)
{
	struct namemap nm;
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		nm.cap = m->cap ? m->cap * 2 : 64;
		nm.n = 0;
		if ((nm.slots = calloc(nm.cap, sizeof(*nm.slots))) == NULL)
			return -ENOMEM;
		for (i = 0; i < m->cap; i++)
			if (m->slots[i] != NULL)
				namemap_put(&nm, m->slots[i]);
		free(m->slots);
		*m = nm;
	}
	*namemap_slot(m, w->namespace_, w->kind, w->name) = w;
	m->n++;
	return 0;
}

static void
wl_free(struct flowdb_workload *w)
{
	if (w == NULL)
		return;
	free(w->namespace_);
	free(w->kind);
	free(w->name);
	json_object_put(w->selector);
	json_object_put(w->labels);
	json_object_put(w->ports);
	free(w);
}

void
flowdb_free(struct flowdb *fdb)
{
	size_t i;

	if (fdb == NULL)
		return;
	for (i = 0; i < fdb->nwls; i++)
		wl_free(fdb->wls[i]);
	free(fdb->wls);
	free(fdb->names.slots);
	for (i = 0; i < fdb->nflows; i++)
		if (fdb->flows[i].dns_name != empty_str)
			free((char *)(uintptr_t)fdb->flows[i].dns_name);
	free(fdb->flows);
	free(fdb->wl_first);
	free(fdb->wl_count);
	for (i = 0; i < fdb->ncounters; i++)
		free(fdb->counters[i].name);
	free(fdb->counters);
	free(fdb->nodes);
	for (i = 0; i < fdb->nnamespaces; i++)
		free(fdb->namespaces[i]);
	free(fdb->namespaces);
	ks_set_free(fdb->ks);
	free(fdb);
}

static int
fail(struct loadctx *c, int rc, const char *what)
{
	snprintf(c->err, c->errlen, "%s: %s: %s", c->path, what,
	    rc == -ENOMEM ? "out of memory" : sqlite3_errmsg(c->db));
	return rc;
}

static int
prepare(struct loadctx *c, const char *sql, sqlite3_stmt **out)
{
	if (sqlite3_prepare_v2(c->db, sql, -1, out, NULL) != SQLITE_OK)
		return fail(c, -EIO, "query");
	return 0;
}

static const char *
col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? (const char *)t : "";
}

/* Labels a bare pod carries that name the pod itself, not its kind. */
static const char *const per_pod_labels[] = {
	"pod-template-hash", "controller-revision-hash",
	"pod-template-generation", "statefulset.kubernetes.io/pod-name",
	"apps.kubernetes.io/pod-index", "controller-uid",
	"batch.kubernetes.io/controller-uid", "job-name",
	"batch.kubernetes.io/job-name",
	"batch.kubernetes.io/job-completion-index",
};

static json_object *
selector_from_labels(json_object *labels)
{
	json_object *sel, *ml;
	size_t i;
	bool skip;

	sel = json_object_new_object();
	ml = json_object_new_object();
	json_object_object_foreach(labels, k, v) {
		skip = false;
		for (i = 0; i < sizeof(per_pod_labels) /
		    sizeof(per_pod_labels[0]); i++)
			if (strcmp(k, per_pod_labels[i]) == 0)
				skip = true;
		if (!skip)
			json_object_object_add(ml, k, json_object_get(v));
	}
	json_object_object_add(sel, "matchLabels", ml);
	return sel;
}

static json_object *
parse_json_col(struct loadctx *c, sqlite3_stmt *s, int i, json_type want)
{
	json_object *o;

	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return NULL;
	json_tokener_reset(c->tok);
	o = json_tokener_parse_ex(c->tok, col_text(s, i),
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
take_workload(struct loadctx *c, sqlite3_stmt *s, bool subject,
    struct flowdb_workload **out)
{
	struct flowdb *fdb = c->fdb;
	struct flowdb_workload *w, **slot, **nw;
	const char *ns = col_text(s, 1), *kind = col_text(s, 2),
	    *name = col_text(s, 3);
	int64_t started = sqlite3_column_int64(s, 8);
	size_t ncap;

	w = NULL;
	if (fdb->names.cap > 0) {
		slot = namemap_slot(&fdb->names, ns, kind, name);
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
			wl_free(w);
			return -ENOMEM;
		}
		if (fdb->nwls == fdb->capwls) {
			ncap = fdb->capwls ? fdb->capwls * 2 : 64;
			if ((nw = realloc(fdb->wls, ncap * sizeof(*nw))) ==
			    NULL) {
				wl_free(w);
				return -ENOMEM;
			}
			fdb->wls = nw;
			fdb->capwls = ncap;
		}
		fdb->wls[fdb->nwls++] = w;
		if (namemap_put(&fdb->names, w) < 0)
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
	return idmap_put(&c->ids, sqlite3_column_int64(s, 0), w);
}

static int
load_subjects(struct loadctx *c, bool *found)
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
	if ((rc = prepare(c, sql, &s)) < 0)
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
		rc = fail(c, -EIO, "reading workloads");
out:
	if (rc == -ENOMEM)
		fail(c, rc, "workloads");
	free(kind);
	sqlite3_finalize(s);
	return rc;
}

/* The merged workload for this store's id, loading it as a peer. */
static int
peer_workload(struct loadctx *c, int64_t id, struct flowdb_workload **out)
{
	int rc, step;

	if ((*out = idmap_get(&c->ids, id)) != NULL)
		return 0;
	if (c->by_id == NULL && (rc = prepare(c, "SELECT " WL_COLS
	    " FROM workloads w WHERE w.id = ?", &c->by_id)) < 0)
		return rc;
	sqlite3_reset(c->by_id);
	sqlite3_bind_int64(c->by_id, 1, id);
	step = sqlite3_step(c->by_id);
	if (step == SQLITE_ROW)
		return take_workload(c, c->by_id, false, out);
	if (step != SQLITE_DONE)
		return fail(c, -EIO, "reading a peer workload");
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

static int
load_flows(struct loadctx *c)
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
	if ((rc = prepare(c, sql, &s)) < 0)
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
		f.wl = idmap_get(&c->ids, sqlite3_column_int64(s, 0));
		if (f.wl == NULL)
			continue;
		f.direction = sqlite3_column_int(s, 1);
		f.peer_kind = sqlite3_column_int(s, 2);
		if (f.peer_kind == STORE_PEER_WORKLOAD) {
			if ((rc = peer_workload(c, sqlite3_column_int64(s, 3),
			    &peer)) < 0)
				goto out;
			f.peer_wl = peer;
			if (peer == NULL)
				f.peer_kind = STORE_PEER_UNKNOWN;
		}
		if (f.peer_kind != STORE_PEER_WORKLOAD &&
		    addr_parse(col_text(s, 4), &f.peer_addr) < 0)
			memset(&f.peer_addr, 0, sizeof(f.peer_addr));
		f.protocol = (uint8_t)sqlite3_column_int(s, 5);
		f.port = (uint16_t)sqlite3_column_int(s, 6);
		if (addr_parse(col_text(s, 7), &f.orig_addr) < 0)
			memset(&f.orig_addr, 0, sizeof(f.orig_addr));
		f.orig_port = (uint16_t)sqlite3_column_int(s, 8);
		dns = col_text(s, 9);
		f.dns_name = empty_str;
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
			if (f.dns_name != empty_str)
				free((char *)(uintptr_t)f.dns_name);
			goto out;
		}
	}
	if (step != SQLITE_DONE)
		rc = fail(c, -EIO, "reading flows");
out:
	if (rc == -ENOMEM)
		fail(c, rc, "flows");
	sqlite3_finalize(s);
	return rc;
}

static int
add_counter(struct flowdb *fdb, const char *name, int64_t v)
{
	struct counter *n;
	size_t i;

	for (i = 0; i < fdb->ncounters; i++)
		if (strcmp(fdb->counters[i].name, name) == 0) {
			fdb->counters[i].value += v;
			return 0;
		}
	n = realloc(fdb->counters, (fdb->ncounters + 1) * sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	fdb->counters = n;
	if ((n[fdb->ncounters].name = strdup(name)) == NULL)
		return -ENOMEM;
	n[fdb->ncounters++].value = v;
	return 0;
}

static int
add_namespace(struct flowdb *fdb, const char *ns)
{
	char **n;
	size_t i;

	for (i = 0; i < fdb->nnamespaces; i++)
		if (strcmp(fdb->namespaces[i], ns) == 0)
			return 0;
	n = realloc(fdb->namespaces, (fdb->nnamespaces + 1) * sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	fdb->namespaces = n;
	if ((n[fdb->nnamespaces] = strdup(ns)) == NULL)
		return -ENOMEM;
	fdb->nnamespaces++;
	return 0;
}

static bool
namespace_known(const struct flowdb *fdb, const char *ns)
{
	size_t i;

	for (i = 0; i < fdb->nnamespaces; i++)
		if (strcmp(fdb->namespaces[i], ns) == 0)
			return true;
	return false;
}

static int64_t
parse_meta_time(const char *v)
{
	int64_t t;
	char *end;

	t = strtoll(v, &end, 10);
	if (end != v && *end == '\0')
		return t;
	if (*v != '\0' && v[0] >= '0' && v[0] <= '9' && strchr(v, '-') &&
	    cliopt_parse_time(v, 0, &t) == 0)
		return t;
	return 0;
}

/* Counters, nodes, namespaces, recording_started, the data's extent. */
static int
load_store_info(struct loadctx *c)
{
	struct flowdb *fdb = c->fdb;
	sqlite3_stmt *s = NULL;
	struct addr a, *na;
	char buf[64];
	int64_t t;
	int rc = 0, step;

	if (store_meta_get(c->st, "recording_started", buf, sizeof(buf)) ==
	    0 && (t = parse_meta_time(buf)) > 0 &&
	    (fdb->recording_started == 0 || t < fdb->recording_started))
		fdb->recording_started = t;

	if ((rc = prepare(c, "SELECT name, value, updated_at FROM counters",
	    &s)) < 0)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if ((rc = add_counter(fdb, col_text(s, 0),
		    sqlite3_column_int64(s, 1))) < 0)
			goto out;
		t = sqlite3_column_int64(s, 2);
		if (t > fdb->data_end)
			fdb->data_end = t;
	}
	sqlite3_finalize(s);
	s = NULL;

	if ((rc = prepare(c, "SELECT addr FROM nodes", &s)) < 0)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (addr_parse(col_text(s, 0), &a) < 0)
			continue;
		na = realloc(fdb->nodes, (fdb->nnodes + 1) * sizeof(*na));
		if (na == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		fdb->nodes = na;
		fdb->nodes[fdb->nnodes++] = a;
	}
	sqlite3_finalize(s);
	s = NULL;

	/* Namespaces from the workloads' index (the daemon records every
	 * attached pod as a workload); the attachments, which have no index
	 * on the namespace, only for a namespace asked about and not found
	 * there. */
	if ((rc = prepare(c, "SELECT DISTINCT namespace FROM workloads",
	    &s)) < 0)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW)
		if ((rc = add_namespace(fdb, col_text(s, 0))) < 0)
			goto out;
	sqlite3_finalize(s);
	s = NULL;
	if (c->q->namespace_ != NULL &&
	    !namespace_known(fdb, c->q->namespace_)) {
		if ((rc = prepare(c, "SELECT 1 FROM attachments"
		    " WHERE pod_namespace = ? LIMIT 1", &s)) < 0)
			return rc;
		sqlite3_bind_text(s, 1, c->q->namespace_, -1, SQLITE_STATIC);
		if (sqlite3_step(s) == SQLITE_ROW &&
		    (rc = add_namespace(fdb, c->q->namespace_)) < 0)
			goto out;
		sqlite3_finalize(s);
		s = NULL;
	}

	/* MAX on the indexed last_seen: no scan. */
	if ((rc = prepare(c, "SELECT MAX(last_seen) FROM flows", &s)) < 0)
		return rc;
	if (sqlite3_step(s) == SQLITE_ROW &&
	    (t = sqlite3_column_int64(s, 0)) > fdb->data_end)
		fdb->data_end = t;
	if (ks_load_store(fdb->ks, c->st) < 0)
		rc = fail(c, -EIO, "reading known servers");
out:
	if (rc == -ENOMEM)
		fail(c, rc, "store info");
	sqlite3_finalize(s);
	return rc;
}

/*
 * For workloads whose start time is unknown, the first attachment of
 * their pods stands in (kept in observed_from until finish()). One
 * grouped scan of the attachments, and only when it can matter:
 * attachments have no index on workload_id.
 */
static int
load_first_attachments(struct loadctx *c)
{
	struct flowdb_workload *w;
	sqlite3_stmt *s = NULL;
	int64_t t;
	size_t i;
	bool need = false;
	int rc, step;

	for (i = 0; i < c->ids.cap && !need; i++)
		if (c->ids.keys[i] != 0 && c->ids.vals[i]->started_at == 0)
			need = true;
	if (!need || c->fdb->recording_started == 0)
		return 0;
	if ((rc = prepare(c, "SELECT workload_id, MIN(attached_at)"
	    " FROM attachments WHERE workload_id != 0 GROUP BY workload_id",
	    &s)) < 0)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		w = idmap_get(&c->ids, sqlite3_column_int64(s, 0));
		t = sqlite3_column_int64(s, 1);
		if (w != NULL && t > 0 && (w->observed_from == 0 ||
		    t < w->observed_from))
			w->observed_from = t;
	}
	if (step != SQLITE_DONE)
		rc = fail(c, -EIO, "reading attachments");
	sqlite3_finalize(s);
	return rc;
}

static int
load_one(struct flowdb *fdb, const char *path, const struct flowdb_query *q,
    bool *found, char *err, size_t errlen)
{
	struct loadctx c = { .fdb = fdb, .path = path, .q = q, .err = err,
	    .errlen = errlen };
	int rc;

	rc = store_open(path, STORE_OPEN_READONLY | STORE_OPEN_NOCREATE,
	    &c.st);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", path, rc == -ENOENT ?
		    "no such store" : rc == -EPROTO ?
		    "written by a newer netpol-record" : strerror(-rc));
		return rc;
	}
	c.db = store_db(c.st);
	if ((c.tok = json_tokener_new()) == NULL) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if ((rc = load_store_info(&c)) < 0 ||
	    (rc = load_subjects(&c, found)) < 0 ||
	    (rc = load_flows(&c)) < 0 ||
	    (rc = load_first_attachments(&c)) < 0)
		goto out;
out:
	sqlite3_finalize(c.by_id);
	if (c.tok != NULL)
		json_tokener_free(c.tok);
	idmap_free(&c.ids);
	store_close(c.st);
	return rc;
}

static int
wl_cmp(const void *a, const void *b)
{
	const struct flowdb_workload *x = *(const struct flowdb_workload *
	    const *)a, *y = *(const struct flowdb_workload *const *)b;
	int c;

	if ((c = strcmp(x->namespace_, y->namespace_)) != 0)
		return c;
	if ((c = strcmp(x->kind, y->kind)) != 0)
		return c;
	return strcmp(x->name, y->name);
}

static int
flow_key_cmp(const struct flowdb_flow *x, const struct flowdb_flow *y)
{
	int c;

	if (x->wl != y->wl)
		return x->wl->index < y->wl->index ? -1 : 1;
	if (x->direction != y->direction)
		return x->direction < y->direction ? -1 : 1;
	if (x->peer_kind != y->peer_kind)
		return x->peer_kind < y->peer_kind ? -1 : 1;
	if (x->peer_wl != y->peer_wl)
		return x->peer_wl->index < y->peer_wl->index ? -1 : 1;
	if ((c = addr_cmp(&x->peer_addr, &y->peer_addr)) != 0)
		return c;
	if (x->protocol != y->protocol)
		return x->protocol < y->protocol ? -1 : 1;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	if ((c = addr_cmp(&x->orig_addr, &y->orig_addr)) != 0)
		return c;
	if (x->orig_port != y->orig_port)
		return x->orig_port < y->orig_port ? -1 : 1;
	return 0;
}

static int
flow_cmp(const void *a, const void *b)
{
	return flow_key_cmp(a, b);
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
counter_cmp(const void *a, const void *b)
{
	return strcmp(((const struct counter *)a)->name,
	    ((const struct counter *)b)->name);
}

/* Sort, merge flows seen by several stores, index, compute windows. */
static int
finish(struct flowdb *fdb, const struct flowdb_query *q)
{
	struct flowdb_flow *f, *prev;
	struct flowdb_workload *w;
	size_t i, out;

	sort_n(fdb->wls, fdb->nwls, sizeof(*fdb->wls), wl_cmp);
	for (i = 0; i < fdb->nwls; i++) {
		w = fdb->wls[i];
		w->index = i;
		if (w->labels == NULL)
			w->labels = json_object_new_object();
		if (w->selector == NULL)
			w->selector = selector_from_labels(w->labels);
		if (w->labels == NULL || w->selector == NULL)
			return -ENOMEM;
	}
	sort_n(fdb->flows, fdb->nflows, sizeof(*fdb->flows), flow_cmp);
	for (i = 0, out = 0; i < fdb->nflows; i++) {
		f = &fdb->flows[i];
		prev = out > 0 ? &fdb->flows[out - 1] : NULL;
		if (prev == NULL || flow_key_cmp(prev, f) != 0) {
			fdb->flows[out++] = *f;
			continue;
		}
		prev->count += f->count;
		prev->bytes += f->bytes;
		prev->packets += f->packets;
		if (f->first_seen < prev->first_seen)
			prev->first_seen = f->first_seen;
		if (*f->dns_name != '\0' && (*prev->dns_name == '\0' ||
		    f->last_seen > prev->last_seen)) {
			if (prev->dns_name != empty_str)
				free((char *)(uintptr_t)prev->dns_name);
			prev->dns_name = f->dns_name;
		} else if (f->dns_name != empty_str) {
			free((char *)(uintptr_t)f->dns_name);
		}
		if (f->last_seen > prev->last_seen)
			prev->last_seen = f->last_seen;
	}
	fdb->nflows = out;
	for (i = 0; i < fdb->nflows; i++)
		if (fdb->data_begin == 0 ||
		    fdb->flows[i].first_seen < fdb->data_begin)
			fdb->data_begin = fdb->flows[i].first_seen;
	sort_n(fdb->namespaces, fdb->nnamespaces, sizeof(char *), str_cmp);
	sort_n(fdb->counters, fdb->ncounters, sizeof(*fdb->counters),
	    counter_cmp);

	fdb->since = q->since ? q->since : fdb->recording_started ?
	    fdb->recording_started : fdb->data_begin;
	fdb->until = q->until ? q->until : fdb->data_end;

	fdb->wl_first = calloc(fdb->nwls + 1, sizeof(size_t));
	fdb->wl_count = calloc(fdb->nwls + 1, sizeof(size_t));
	if (fdb->wl_first == NULL || fdb->wl_count == NULL)
		return -ENOMEM;
	for (i = 0; i < fdb->nflows; i++) {
		f = &fdb->flows[i];
		w = fdb->wls[f->wl->index];
		if (fdb->wl_count[w->index]++ == 0)
			fdb->wl_first[w->index] = i;
		if (w->first_seen == 0 || f->first_seen < w->first_seen)
			w->first_seen = f->first_seen;
		if (f->last_seen > w->last_seen)
			w->last_seen = f->last_seen;
	}
	for (i = 0; i < fdb->nwls; i++) {
		w = fdb->wls[i];
		/* observed_from held the first attachment until now. */
		if (fdb->recording_started > 0 &&
		    ((w->started_at > 0 &&
		    w->started_at < fdb->recording_started) ||
		    (w->started_at == 0 && w->observed_from > 0 &&
		    w->observed_from < fdb->recording_started)))
			w->predates_recording = true;
		w->observed_from = fdb->since;
		if (w->started_at > w->observed_from)
			w->observed_from = w->started_at;
		w->observed_to = fdb->until;
		if (w->observed_to < w->observed_from)
			w->observed_to = w->observed_from;
	}
	return 0;
}

int
flowdb_load(const char *const *dbs, size_t ndbs,
    const struct flowdb_query *q, struct flowdb **out, char *err,
    size_t errlen)
{
	struct flowdb *fdb;
	const char *slash;
	bool found = false;
	size_t i;
	int rc = 0;

	*out = NULL;
	if (errlen > 0)
		err[0] = '\0';
	if (q->workload != NULL) {
		slash = strchr(q->workload, '/');
		if (slash == NULL || slash == q->workload || slash[1] == '\0') {
			snprintf(err, errlen, "workload '%s': want KIND/NAME",
			    q->workload);
			return -EINVAL;
		}
	}
	if ((fdb = calloc(1, sizeof(*fdb))) == NULL ||
	    (fdb->ks = ks_set_new()) == NULL) {
		flowdb_free(fdb);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < ndbs && rc == 0; i++)
		rc = load_one(fdb, dbs[i], q, &found, err, errlen);
	if (rc == 0 && (rc = finish(fdb, q)) < 0)
		snprintf(err, errlen, "out of memory");
	if (rc == 0 && q->namespace_ != NULL &&
	    !namespace_known(fdb, q->namespace_)) {
		snprintf(err, errlen, "namespace '%s': nothing was ever "
		    "recorded in it (no workload, no pod)", q->namespace_);
		rc = -ENOENT;
	}
	if (rc == 0 && q->workload != NULL && !found) {
		snprintf(err, errlen, "workload '%s'%s%s: not recorded",
		    q->workload, q->namespace_ ? " in namespace " : "",
		    q->namespace_ ? q->namespace_ : "");
		rc = -ENOENT;
	}
	if (rc < 0) {
		flowdb_free(fdb);
		return rc;
	}
	*out = fdb;
	return 0;
}

size_t
flowdb_nworkloads(const struct flowdb *fdb)
{
	return fdb->nwls;
}

const struct flowdb_workload *
flowdb_workload(const struct flowdb *fdb, size_t i)
{
	return i < fdb->nwls ? fdb->wls[i] : NULL;
}

const struct flowdb_workload *
flowdb_find_workload(const struct flowdb *fdb, const char *ns,
    const char *kind, const char *name)
{
	if (fdb->names.cap == 0)
		return NULL;
	return *namemap_slot(&fdb->names, ns, kind, name);
}

size_t
flowdb_nflows(const struct flowdb *fdb)
{
	return fdb->nflows;
}

const struct flowdb_flow *
flowdb_flow(const struct flowdb *fdb, size_t i)
{
	return i < fdb->nflows ? &fdb->flows[i] : NULL;
}

size_t
flowdb_flows_of(const struct flowdb *fdb, const struct flowdb_workload *wl,
    size_t *first)
{
	*first = 0;
	if (wl == NULL || wl->index >= fdb->nwls || fdb->wls[wl->index] != wl)
		return 0;
	*first = fdb->wl_first[wl->index];
	return fdb->wl_count[wl->index];
}

int64_t
flowdb_counter(const struct flowdb *fdb, const char *name)
{
	size_t i;

	for (i = 0; i < fdb->ncounters; i++)
		if (strcmp(fdb->counters[i].name, name) == 0)
			return fdb->counters[i].value;
	return 0;
}

int
flowdb_counter_foreach(const struct flowdb *fdb,
    int (*cb)(const char *name, int64_t value, void *arg), void *arg)
{
	size_t i;
	int rc;

	for (i = 0; i < fdb->ncounters; i++)
		if ((rc = cb(fdb->counters[i].name, fdb->counters[i].value,
		    arg)) != 0)
			return rc;
	return 0;
}

int64_t
flowdb_recording_started(const struct flowdb *fdb)
{
	return fdb->recording_started;
}

int64_t
flowdb_since(const struct flowdb *fdb)
{
	return fdb->since;
}

int64_t
flowdb_until(const struct flowdb *fdb)
{
	return fdb->until;
}

bool
flowdb_is_node_addr(const struct flowdb *fdb, const struct addr *a)
{
	size_t i;

	for (i = 0; i < fdb->nnodes; i++)
		if (addr_equal(&fdb->nodes[i], a))
			return true;
	return false;
}

struct ks_set *
flowdb_known_servers(struct flowdb *fdb)
{
	return fdb->ks;
}

size_t
flowdb_nnamespaces(const struct flowdb *fdb)
{
	return fdb->nnamespaces;
}

const char *
flowdb_namespace(const struct flowdb *fdb, size_t i)
{
	return i < fdb->nnamespaces ? fdb->namespaces[i] : NULL;
}
