/*
 * flowdb_store: one store's SQL helpers and store-wide facts (see
 * flowdb_store.h).
 */
#include "cli/flowdb_store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cliopt.h"
#include "cli/knownservers.h"

int
flowdb_store_fail(struct flowdb_loadctx *c, int rc, const char *what)
{
	snprintf(c->err, c->errlen, "%s: %s: %s", c->path, what,
	    rc == -ENOMEM ? "out of memory" : sqlite3_errmsg(c->db));
	return rc;
}

int
flowdb_store_prepare(struct flowdb_loadctx *c, const char *sql,
    sqlite3_stmt **out)
{
	if (sqlite3_prepare_v2(c->db, sql, -1, out, NULL) != SQLITE_OK)
		return flowdb_store_fail(c, -EIO, "query");
	return 0;
}

const char *
flowdb_store_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? (const char *)t : "";
}

static int
add_counter(struct flowdb *fdb, const char *name, int64_t v)
{
	struct flowdb_counter_sum *n;
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
int
flowdb_store_info(struct flowdb_loadctx *c)
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

	if ((rc = flowdb_store_prepare(c, "SELECT name, value, updated_at"
	    " FROM counters", &s)) < 0)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if ((rc = add_counter(fdb, flowdb_store_text(s, 0),
		    sqlite3_column_int64(s, 1))) < 0)
			goto out;
		t = sqlite3_column_int64(s, 2);
		if (t > fdb->data_end)
			fdb->data_end = t;
	}
	sqlite3_finalize(s);
	s = NULL;

	if ((rc = flowdb_store_prepare(c, "SELECT addr FROM nodes", &s)) < 0)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (addr_parse(flowdb_store_text(s, 0), &a) < 0)
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
	if ((rc = flowdb_store_prepare(c, "SELECT DISTINCT namespace"
	    " FROM workloads", &s)) < 0)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW)
		if ((rc = add_namespace(fdb, flowdb_store_text(s, 0))) < 0)
			goto out;
	sqlite3_finalize(s);
	s = NULL;
	if (c->q->namespace_ != NULL &&
	    !flowdb_namespace_known(fdb, c->q->namespace_)) {
		if ((rc = flowdb_store_prepare(c, "SELECT 1 FROM attachments"
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
	if ((rc = flowdb_store_prepare(c, "SELECT MAX(last_seen) FROM flows",
	    &s)) < 0)
		return rc;
	if (sqlite3_step(s) == SQLITE_ROW &&
	    (t = sqlite3_column_int64(s, 0)) > fdb->data_end)
		fdb->data_end = t;
	if (ks_load_store(fdb->ks, c->st) < 0)
		rc = flowdb_store_fail(c, -EIO, "reading known servers");
out:
	if (rc == -ENOMEM)
		flowdb_store_fail(c, rc, "store info");
	sqlite3_finalize(s);
	return rc;
}

/*
 * For workloads whose start time is unknown, the first attachment of
 * their pods stands in (kept in observed_from until flowdb_merge()). One
 * grouped scan of the attachments, and only when it can matter:
 * attachments have no index on workload_id.
 */
int
flowdb_store_first_attachments(struct flowdb_loadctx *c)
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
	if ((rc = flowdb_store_prepare(c, "SELECT workload_id,"
	    " MIN(attached_at) FROM attachments WHERE workload_id != 0"
	    " GROUP BY workload_id", &s)) < 0)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		w = flowdb_idmap_get(&c->ids, sqlite3_column_int64(s, 0));
		t = sqlite3_column_int64(s, 1);
		if (w != NULL && t > 0 && (w->observed_from == 0 ||
		    t < w->observed_from))
			w->observed_from = t;
	}
	if (step != SQLITE_DONE)
		rc = flowdb_store_fail(c, -EIO, "reading attachments");
	sqlite3_finalize(s);
	return rc;
}
