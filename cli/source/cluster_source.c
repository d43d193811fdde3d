/*
 * cluster_source: the API server fed into the index (see
 * cluster_source.h).
 *
 * A load reads, in order: the nodes' RecorderStatus objects; the
 * TrafficProfiles of the scope (tpread.c feeds them); when the scope
 * holds none, enough to say why (the namespaces that have profiles, the
 * recorders that publish); one profile of each peer the scope's name
 * without describing it, in the peer's namespace, for its details; the
 * KnownServers; then each node's facts: recording start, counters, end
 * of data, completeness notes.
 */
#include "cli/source/cluster_source.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/base/suggest.h"
#include "cli/base/timefmt.h"
#include "cli/source/index.h"
#include "cli/source/knownservers.h"
#include "cli/source/kube.h"
#include "cli/source/recstatus.h"
#include "cli/source/tpread.h"
#include "lib/kname.h"
#include "lib/sort.h"

#define API "/apis/netpol-record.io/v1alpha1"
#define KS_KUBESCAPE "/apis/spdx.softwarecomposition.kubescape.io/v1beta1"
/* Profiles read to name the namespaces that have some (an error path). */
#define SUGGEST_ITEMS 2000

struct cluster_source {
	struct source src;	/* first: what the index holds */
	struct kube *k;
	int64_t now;
	char summary[1024];
};

/* One load. */
struct load {
	struct cluster_source *cs;
	const struct source_query *q;
	struct index_builder *b;
	struct tp_reader *tp;
	char *err;
	size_t errlen;
	struct recstatus_set st;	/* the nodes' RecorderStatus */
	const char *st_problem;	/* why there are none, or NULL */
	/* Whose profiles were listed whole: every namespace's, or ns's. */
	bool whole_all;
	const char *whole_ns;
	size_t nks, bad_ks;
	const char *ks_problem;
};

/* ---- RecorderStatus ------------------------------------------------------- */

/* The RecorderStatus objects. Not being allowed to read them, or their
 * CRD missing, costs the completeness check only. */
static int
read_statuses(struct load *l)
{
	bool inc;
	int rc;

	rc = kube_list(l->cs->k, RECSTATUS_PATH, NULL, recstatus_set_add,
	    &l->st, &inc, l->err, l->errlen);
	if (rc == -ENOENT)
		l->st_problem = "the RecorderStatus CRD is not installed";
	else if (rc == -EPERM)
		l->st_problem = "reading RecorderStatus objects is forbidden";
	else
		return rc;
	l->err[0] = '\0';
	return 0;
}

/* ---- TrafficProfiles -------------------------------------------------------- */

static int
tp_item(json_object *item, void *arg)
{
	struct load *l = arg;

	return tp_reader_item(l->tp, item);
}

/* The label selector of a workload's profiles. */
static void
workload_selector(const char *kind, const char *name, char *sel, size_t len)
{
	char kv[KNAME_LABEL_LEN];

	snprintf(sel, len, "netpol-record.io/workload-kind=%s,"
	    "netpol-record.io/workload-name=%s", kind, kname_label(name, kv,
	    sizeof(kv)));
}

static bool
known_kind(const char *kind)
{
	static const char *const kinds[] = { "Deployment", "StatefulSet",
	    "DaemonSet", "Job", "CronJob", "ReplicaSet",
	    "ReplicationController", "Pod" };
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kind, kinds[i]) == 0)
			return true;
	return false;
}

static int
list_profiles(struct load *l, const char *ns, const char *selector)
{
	char path[512];
	bool inc = false;
	int rc;

	if (ns != NULL)
		snprintf(path, sizeof(path), API "/namespaces/%s/trafficprofiles",
		    ns);
	else
		snprintf(path, sizeof(path), API "/trafficprofiles");
	rc = kube_list(l->cs->k, path, selector, tp_item, l, &inc, l->err,
	    l->errlen);
	if (rc == -ENOENT)
		snprintf(l->err, l->errlen, "the cluster %s serves no "
		    "TrafficProfiles: their CRD is not installed. `kubectl "
		    "apply -f install/kubernetes/` installs it with the "
		    "recorders' DaemonSet; they publish within a minute",
		    kube_describe(l->cs->k));
	if (rc == 0 && inc)
		rc = index_add_note(l->b, ns, NULL, NULL, "the TrafficProfiles "
		    "changed while they were read page by page (the list "
		    "expired): run again for a consistent view");
	return rc;
}

/* The scope's profiles: one workload by its labels when the query names
 * one (and the whole namespace when none matches, so that the index can
 * name the closest). */
static int
read_profiles(struct load *l)
{
	const struct source_query *q = l->q;
	char sel[512];
	int rc;

	if (q->kind != NULL && q->name != NULL && known_kind(q->kind)) {
		workload_selector(q->kind, q->name, sel, sizeof(sel));
		if ((rc = list_profiles(l, q->namespace_, sel)) < 0)
			return rc;
		if (tp_reader_read(l->tp) + tp_reader_skipped(l->tp) > 0)
			return 0;
	}
	l->whole_all = q->namespace_ == NULL;
	l->whole_ns = q->namespace_;
	return list_profiles(l, q->namespace_, NULL);
}

/* ---- peers' details ------------------------------------------------------------ */

static int
first_item(json_object *item, void *arg)
{
	json_object **out = arg;

	if (*out == NULL && item != NULL)
		*out = json_object_get(item);
	return 0;
}

/*
 * One profile of workload (ns, kind, name) (tpread.h, tp_fetch_fn): a
 * list of one item by the workload's labels in its namespace. None when
 * that namespace was listed whole already, or reading it is forbidden.
 */
static int
fetch_peer(void *arg, const char *ns, const char *kind, const char *name,
    json_object **item, char *why, size_t whylen)
{
	struct load *l = arg;
	char path[1024], sel[512], e[3 * 63 + 1];
	int rc;

	*item = NULL;
	if (l->whole_all || (l->whole_ns != NULL &&
	    strcmp(l->whole_ns, ns) == 0)) {
		snprintf(why, whylen, "no TrafficProfile of it is among those "
		    "of namespace %s", ns);
		return 0;
	}
	snprintf(path, sizeof(path), API "/namespaces/%s/trafficprofiles",
	    kube_escape(ns, e, sizeof(e)));
	workload_selector(kind, name, sel, sizeof(sel));
	rc = kube_list_page(l->cs->k, path, sel, 1, first_item, item, l->err,
	    l->errlen);
	if (rc == -EPERM || rc == -ENOENT) {
		snprintf(why, whylen, rc == -EPERM ? "reading the "
		    "TrafficProfiles of namespace %s is forbidden (the reader "
		    "needs list on trafficprofiles in the namespaces of the "
		    "peers too)" : "namespace %s serves no TrafficProfiles",
		    ns);
		l->err[0] = '\0';
		return 0;
	}
	if (rc == 0 && *item == NULL)
		snprintf(why, whylen, "no recorder has published a "
		    "TrafficProfile of it (is netpol-recorderd running on the "
		    "nodes of its pods?)");
	return rc;
}

/* ---- an empty namespace: why ------------------------------------------------- */

struct nslist {
	const char **v;
	size_t n, items;
};

static int
ns_item(json_object *item, void *arg)
{
	struct nslist *s = arg;
	json_object *meta, *ns;
	const char **nv, *name;
	size_t j;

	/* A few pages name the namespaces well enough. */
	if (++s->items > SUGGEST_ITEMS)
		return 1;
	if (!json_object_object_get_ex(item, "metadata", &meta) ||
	    !json_object_object_get_ex(meta, "namespace", &ns) ||
	    !json_object_is_type(ns, json_type_string))
		return 0;
	name = json_object_get_string(ns);
	for (j = 0; j < s->n && strcmp(s->v[j], name) != 0; j++)
		;
	if (j < s->n)
		return 0;
	if ((nv = realloc(s->v, (s->n + 1) * sizeof(*nv))) == NULL)
		return -ENOMEM;
	s->v = nv;
	if ((s->v[s->n] = strdup(name)) == NULL)
		return -ENOMEM;
	s->n++;
	return 0;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Append to err which recorders publish, and how recently. */
static void
say_recorders(const struct load *l, char *err, size_t errlen)
{
	size_t off = strlen(err), i, stale = 0;
	char t[32];

	/* A sentence of its own. */
	if (off > 0 && off + 1 < errlen && err[off - 1] != '?' &&
	    err[off - 1] != '.') {
		err[off++] = '.';
		err[off] = '\0';
	}
	if (l->st_problem != NULL) {
		snprintf(err + off, errlen - off, " Which recorders publish is "
		    "not known: %s", l->st_problem);
		return;
	}
	if (l->st.n == 0) {
		snprintf(err + off, errlen - off, " No recorder publishes to "
		    "this cluster (no RecorderStatus in namespace %s): is "
		    "netpol-recorderd running, with publishing on (kubectl -n "
		    "%s get daemonset,pods)?", RECSTATUS_NAMESPACE,
		    RECSTATUS_NAMESPACE);
		return;
	}
	off += (size_t)snprintf(err + off, errlen - off, " %zu recorder%s "
	    "publish%s:", l->st.n, l->st.n == 1 ? "" : "s", l->st.n == 1 ?
	    "es" : "");
	for (i = 0; i < l->st.n && off < errlen; i++) {
		if (recstatus_stale(&l->st.v[i], l->cs->now))
			stale++;
		off += (size_t)snprintf(err + off, errlen - off, "%s %s (last "
		    "%s)", i ? "," : "", l->st.v[i].node, timefmt_format_time(
		    l->st.v[i].published_at, t, sizeof(t)));
	}
	if (stale > 0 && off < errlen)
		snprintf(err + off, errlen - off, "; %zu of them stopped "
		    "publishing", stale);
}

/* No profile in the namespace: -ENOENT with why, what is close, and
 * whether anything publishes at all. */
static int
explain_empty(struct load *l)
{
	struct nslist s = { 0 };
	char sub[256];
	bool inc;
	size_t i;
	int rc;

	rc = kube_list(l->cs->k, API "/trafficprofiles", NULL, ns_item, &s,
	    &inc, sub, sizeof(sub));
	snprintf(l->err, l->errlen, "namespace '%s': no recorder has "
	    "published traffic of it (no TrafficProfile in it)",
	    l->q->namespace_);
	if (rc >= 0) {
		if (s.n > 1)
			sort_n(s.v, s.n, sizeof(*s.v), str_cmp);
		suggest_append(l->err, l->errlen, l->q->namespace_, s.v, s.n,
		    "namespace");
	}
	say_recorders(l, l->err, l->errlen);
	for (i = 0; i < s.n; i++)
		free((char *)(uintptr_t)s.v[i]);
	free(s.v);
	return -ENOENT;
}

/* ---- KnownServers --------------------------------------------------------------- */

static int
ks_item(json_object *item, void *arg)
{
	struct load *l = arg;
	struct ks_set *ks;
	const struct ks_entry *e;
	char err[512];
	size_t j;
	int rc = 0;

	if ((ks = ks_set_new()) == NULL)
		return -ENOMEM;
	if (item == NULL || ks_parse_object(ks, item, "the cluster's "
	    "KnownServers", err, sizeof(err)) < 0) {
		l->bad_ks++;
	} else {
		l->nks++;
		for (j = 0; j < ks_count(ks) && rc == 0; j++) {
			e = ks_get(ks, j);
			rc = index_add_known_server(l->b, e->source, &e->cidr,
			    e->server, e->name);
		}
	}
	ks_set_free(ks);
	return rc;
}

/* Kubescape's KnownServers, when discovery says the cluster serves them. */
static bool
kubescape_serves(struct load *l)
{
	json_object *o, *res, *r, *name;
	char err[256];
	bool yes = false;
	size_t i;

	if (kube_get_json(l->cs->k, KS_KUBESCAPE, &o, err, sizeof(err)) < 0)
		return false;
	if (json_object_object_get_ex(o, "resources", &res) &&
	    json_object_is_type(res, json_type_array))
		for (i = 0; i < json_object_array_length(res); i++) {
			r = json_object_array_get_idx(res, i);
			if (json_object_object_get_ex(r, "name", &name) &&
			    strcmp(json_object_get_string(name),
			    "knownservers") == 0)
				yes = true;
		}
	json_object_put(o);
	return yes;
}

/* Ours, then Kubescape's. A kind not served, or not readable, is said in
 * the summary and costs only the widening. */
static int
read_known_servers(struct load *l)
{
	char err[512];
	bool inc;
	int rc;

	rc = kube_list(l->cs->k, API "/knownservers", NULL, ks_item, l, &inc,
	    err, sizeof(err));
	if (rc == -ENOENT)
		l->ks_problem = "the KnownServer CRD is not installed";
	else if (rc == -EPERM)
		l->ks_problem = "reading KnownServers is forbidden";
	else if (rc < 0) {
		snprintf(l->err, l->errlen, "%s", err);
		return rc;
	}
	if (!kubescape_serves(l))
		return 0;
	rc = kube_list(l->cs->k, KS_KUBESCAPE "/knownservers", NULL, ks_item,
	    l, &inc, err, sizeof(err));
	if (rc == -ENOENT || rc == -EPERM)
		return 0;
	if (rc < 0)
		snprintf(l->err, l->errlen, "%s", err);
	return rc;
}

/* ---- each node ------------------------------------------------------------------- */

/* A node's counters and the end of its data: the store's own when its
 * recorder published them (the same as --db on its store gives), else
 * what the RecorderStatus or the profiles say. */
static int
node_counters(struct load *l, const struct tp_node *n,
    const struct recstatus *s, int64_t *lost)
{
	int rc = 0;

	*lost = n->events_lost;
	if (s != NULL && s->store_counters != NULL) {
		json_object_object_foreach(s->store_counters, name, val) {
			if (!json_object_is_type(val, json_type_int))
				continue;
			if (strcmp(name, "events_lost") == 0)
				*lost = json_object_get_int64(val);
			if ((rc = index_add_counter(l->b, name,
			    json_object_get_int64(val), 0)) < 0)
				return rc;
		}
	} else if (s != NULL) {
		/* As a store has them: a counter exists once it is not 0. */
		*lost = s->events_lost;
		if ((s->events_seen > 0 && (rc = index_add_counter(l->b,
		    "events_seen", s->events_seen, 0)) < 0) ||
		    (s->events_lost > 0 && (rc = index_add_counter(l->b,
		    "events_lost", s->events_lost, 0)) < 0))
			return rc;
	} else if (n->events_lost > 0 && (rc = index_add_counter(l->b,
	    "events_lost", n->events_lost, 0)) < 0) {
		return rc;
	}
	index_add_data_end(l->b, s != NULL && s->data_end > 0 ? s->data_end :
	    n->last_seen);
	return 0;
}

static int
node_facts(struct load *l)
{
	const struct recstatus *s;
	struct tp_node *n;
	size_t i;
	int rc = 0;

	/* Every publishing node, also one without profiles in the scope. */
	for (i = 0; i < l->st.n && rc == 0; i++)
		if (tp_reader_node_named(l->tp, l->st.v[i].node) == NULL)
			rc = -ENOMEM;
	for (i = 0; i < tp_reader_nnodes(l->tp) && rc == 0; i++) {
		n = tp_reader_node(l->tp, i);
		s = recstatus_set_find(&l->st, n->c.name);
		if (s != NULL)
			index_add_recording_started(l->b, s->recording_started);
		index_add_recording_started(l->b, n->recording_started);
		if ((rc = node_counters(l, n, s, &n->c.events_lost)) < 0)
			break;
		/* Whether it still publishes: its RecorderStatus says (it is
		 * rewritten at least every publish.refresh; a profile only
		 * when it changes, so an old one proves nothing). */
		if (s != NULL) {
			n->c.refresh = s->refresh;
			n->c.published_at = s->published_at;
			n->c.stale = recstatus_stale(s, l->cs->now);
		}
		rc = compl_notes(&n->c, l->b);
	}
	return rc;
}

/* ---- the source -------------------------------------------------------------------- */

static void
summarize(struct load *l)
{
	struct cluster_source *cs = l->cs;
	size_t off;

	off = (size_t)snprintf(cs->summary, sizeof(cs->summary), "%zu "
	    "TrafficProfile%s from %zu node%s", tp_reader_read(l->tp),
	    tp_reader_read(l->tp) == 1 ? "" : "s", tp_reader_nnodes(l->tp),
	    tp_reader_nnodes(l->tp) == 1 ? "" : "s");
	if (tp_reader_skipped(l->tp) > 0 && off < sizeof(cs->summary))
		off += (size_t)snprintf(cs->summary + off, sizeof(cs->summary) -
		    off, "; %zu malformed, skipped (%s)",
		    tp_reader_skipped(l->tp), tp_reader_first_skipped(l->tp));
	if (tp_reader_peers_described(l->tp) > 0 && off < sizeof(cs->summary))
		off += (size_t)snprintf(cs->summary + off, sizeof(cs->summary) -
		    off, "; %zu peer%s described by %s own profiles",
		    tp_reader_peers_described(l->tp),
		    tp_reader_peers_described(l->tp) == 1 ? "" : "s",
		    tp_reader_peers_described(l->tp) == 1 ? "its" : "their");
	if (tp_reader_peers_missing(l->tp) > 0 && off < sizeof(cs->summary))
		off += (size_t)snprintf(cs->summary + off, sizeof(cs->summary) -
		    off, "; %zu peer%s without details (see the warnings)",
		    tp_reader_peers_missing(l->tp),
		    tp_reader_peers_missing(l->tp) == 1 ? "" : "s");
	if (l->st_problem != NULL && off < sizeof(cs->summary))
		off += (size_t)snprintf(cs->summary + off, sizeof(cs->summary) -
		    off, "; no completeness check: %s", l->st_problem);
	if (l->st.bad > 0 && off < sizeof(cs->summary))
		off += (size_t)snprintf(cs->summary + off, sizeof(cs->summary) -
		    off, "; %zu malformed RecorderStatus skipped", l->st.bad);
	if (l->ks_problem != NULL && off < sizeof(cs->summary))
		off += (size_t)snprintf(cs->summary + off, sizeof(cs->summary) -
		    off, "; no KnownServers from the cluster: %s",
		    l->ks_problem);
	if (l->bad_ks > 0 && off < sizeof(cs->summary))
		snprintf(cs->summary + off, sizeof(cs->summary) - off,
		    "; %zu malformed KnownServer%s skipped", l->bad_ks,
		    l->bad_ks == 1 ? "" : "s");
}

static int
load(struct source *src, const struct source_query *q,
    struct index_builder *b, char *err, size_t errlen)
{
	struct cluster_source *cs = (struct cluster_source *)(void *)src;
	struct load l = { .cs = cs, .q = q, .b = b, .err = err,
	    .errlen = errlen };
	int rc;

	err[0] = '\0';
	cs->summary[0] = '\0';
	if ((rc = tp_reader_new(b, q, &l.tp)) < 0)
		goto out;
	if ((rc = read_statuses(&l)) < 0 || (rc = read_profiles(&l)) < 0)
		goto out;
	if (q->namespace_ != NULL && tp_reader_read(l.tp) +
	    tp_reader_skipped(l.tp) == 0) {
		rc = explain_empty(&l);
		goto out;
	}
	if ((rc = tp_reader_peers(l.tp, fetch_peer, &l)) < 0 ||
	    (rc = read_known_servers(&l)) < 0 || (rc = node_facts(&l)) < 0)
		goto out;
	summarize(&l);
out:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	tp_reader_free(l.tp);
	recstatus_set_clear(&l.st);
	return rc;
}

static void
cluster_source_free(struct source *src)
{
	free(src);
}

static const struct source_ops cluster_source_ops = {
	.load = load,
	.free = cluster_source_free,
};

int
cluster_source_new(struct kube *k, int64_t now, struct source **out)
{
	struct cluster_source *cs;

	*out = NULL;
	if ((cs = calloc(1, sizeof(*cs))) == NULL)
		return -ENOMEM;
	cs->src.ops = &cluster_source_ops;
	cs->k = k;
	cs->now = now;
	*out = &cs->src;
	return 0;
}

const char *
cluster_source_summary(const struct source *src)
{
	return ((const struct cluster_source *)(const void *)src)->summary;
}
