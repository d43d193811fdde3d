/*
 * flowdb_merge: sort, merge the flows seen by several stores, index,
 * compute windows (see flowdb_merge.h).
 */
#include "cli/flowdb_merge.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* qsort that accepts an empty (possibly NULL) array. */
static void
sort_n(void *base, size_t n, size_t size,
    int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
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
fdb_key_cmp(const struct flowdb_flow *x, const struct flowdb_flow *y)
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
	return fdb_key_cmp(a, b);
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
counter_cmp(const void *a, const void *b)
{
	return strcmp(((const struct flowdb_counter_sum *)a)->name,
	    ((const struct flowdb_counter_sum *)b)->name);
}

/* Sort the workloads, number them, default their labels and selector. */
static int
order_workloads(struct flowdb *fdb)
{
	struct flowdb_workload *w;
	size_t i;

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
	return 0;
}

/* Sort the flows and add up those with the same key (several stores). */
static void
merge_flows(struct flowdb *fdb)
{
	struct flowdb_flow *f, *prev;
	size_t i, out;

	sort_n(fdb->flows, fdb->nflows, sizeof(*fdb->flows), flow_cmp);
	for (i = 0, out = 0; i < fdb->nflows; i++) {
		f = &fdb->flows[i];
		prev = out > 0 ? &fdb->flows[out - 1] : NULL;
		if (prev == NULL || fdb_key_cmp(prev, f) != 0) {
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
			if (prev->dns_name != flowdb_empty_str)
				free((char *)(uintptr_t)prev->dns_name);
			prev->dns_name = f->dns_name;
		} else if (f->dns_name != flowdb_empty_str) {
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
}

/* Each workload's range of flows, first/last seen and observation. */
static int
index_workloads(struct flowdb *fdb)
{
	struct flowdb_flow *f;
	struct flowdb_workload *w;
	size_t i;

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

/* Sort, merge flows seen by several stores, index, compute windows. */
int
flowdb_merge(struct flowdb *fdb, const struct flowdb_query *q)
{
	int rc;

	if ((rc = order_workloads(fdb)) < 0)
		return rc;
	merge_flows(fdb);
	sort_n(fdb->namespaces, fdb->nnamespaces, sizeof(char *), str_cmp);
	sort_n(fdb->counters, fdb->ncounters, sizeof(*fdb->counters),
	    counter_cmp);

	fdb->since = q->since ? q->since : fdb->recording_started ?
	    fdb->recording_started : fdb->data_begin;
	fdb->until = q->until ? q->until : fdb->data_end;
	return index_workloads(fdb);
}
