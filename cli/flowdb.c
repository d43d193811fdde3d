/*
 * flowdb: what was recorded, read back from one or more stores and merged.
 *
 * flowdb_load reads each store in turn (flowdb_store.c: the store-wide
 * facts; flowdb_scope.c: the subjects, their flows and peers, by indexed
 * SQL), then merges and orders everything (flowdb_merge.c). This file
 * holds that sequence, the freeing and the accessors.
 */
#include "cli/flowdb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/flowdb_impl.h"
#include "cli/flowdb_merge.h"
#include "cli/flowdb_scope.h"
#include "cli/flowdb_store.h"
#include "cli/knownservers.h"

char flowdb_empty_str[] = "";

void
flowdb_wl_free(struct flowdb_workload *w)
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
		flowdb_wl_free(fdb->wls[i]);
	free(fdb->wls);
	free(fdb->names.slots);
	for (i = 0; i < fdb->nflows; i++)
		if (fdb->flows[i].dns_name != flowdb_empty_str)
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

bool
flowdb_namespace_known(const struct flowdb *fdb, const char *ns)
{
	size_t i;

	for (i = 0; i < fdb->nnamespaces; i++)
		if (strcmp(fdb->namespaces[i], ns) == 0)
			return true;
	return false;
}

/*
 * One store into fdb: its store-wide facts, then the scope's subjects,
 * their flows and peers, then the first attachments (which need the
 * workloads of the store mapped).
 */
static int
load_one(struct flowdb *fdb, const char *path, const struct flowdb_query *q,
    bool *found, char *err, size_t errlen)
{
	struct flowdb_loadctx c = { .fdb = fdb, .path = path, .q = q,
	    .err = err, .errlen = errlen };
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
	if ((rc = flowdb_store_info(&c)) < 0 ||
	    (rc = flowdb_scope_subjects(&c, found)) < 0 ||
	    (rc = flowdb_scope_flows(&c)) < 0 ||
	    (rc = flowdb_store_first_attachments(&c)) < 0)
		goto out;
out:
	sqlite3_finalize(c.by_id);
	if (c.tok != NULL)
		json_tokener_free(c.tok);
	flowdb_idmap_free(&c.ids);
	store_close(c.st);
	return rc;
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
	if (rc == 0 && (rc = flowdb_merge(fdb, q)) < 0)
		snprintf(err, errlen, "out of memory");
	if (rc == 0 && q->namespace_ != NULL &&
	    !flowdb_namespace_known(fdb, q->namespace_)) {
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
	return *flowdb_namemap_slot(&fdb->names, ns, kind, name);
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
