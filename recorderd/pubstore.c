/*
 * pubstore: a read-only snapshot of the store for the publisher (see
 * pubstore.h). Workloads are read in id order into one array (found by
 * binary search); strings are copied, as the store's are borrowed for a
 * callback only.
 */
#include "recorderd/pubstore.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sort.h"
#include "recorderd/vec.h"

struct node_name {
	struct addr a;
	char *name;
};

struct pubstore {
	struct store *st;
	bool in_snapshot;
	struct vec wls;			/* struct pubstore_wl, id order */
	struct vec nodes;		/* struct node_name, address order */
	struct vec gained;		/* int64_t workload ids, id order */
	struct vec flows;		/* struct flow of pubstore_flows */
	struct vec names;		/* char *: their DNS names */
	struct vec dns;			/* struct profile_dns of pubstore_dns */
	struct vec dnames;		/* char *: their names */
	struct profile_lookup lookup;
};

static char *
dup(const char *s, bool *fail)
{
	char *c;

	if (s == NULL)
		return NULL;
	if ((c = strdup(s)) == NULL)
		*fail = true;
	return c;
}

static void
wl_free(struct pubstore_wl *w)
{
	free((char *)(uintptr_t)w->w.namespace_);
	free((char *)(uintptr_t)w->w.kind);
	free((char *)(uintptr_t)w->w.name);
	free((char *)(uintptr_t)w->w.selector_json);
	free((char *)(uintptr_t)w->w.labels_json);
	free((char *)(uintptr_t)w->w.ports_json);
	free((char *)(uintptr_t)w->w.uid);
}

/* Free the strings of a vec of char * and empty it. */
static void
free_strings(struct vec *v)
{
	char **n = v->v;

	for (size_t i = 0; i < v->n; i++)
		free(n[i]);
	v->n = 0;
}

static void
clear_flows(struct pubstore *ps)
{
	free_strings(&ps->names);
	ps->flows.n = 0;
}

static void
clear_dns(struct pubstore *ps)
{
	free_strings(&ps->dnames);
	ps->dns.n = 0;
}

static void
clear(struct pubstore *ps)
{
	struct pubstore_wl *w = ps->wls.v;
	struct node_name *nn = ps->nodes.v;

	for (size_t i = 0; i < ps->wls.n; i++)
		wl_free(&w[i]);
	for (size_t i = 0; i < ps->nodes.n; i++)
		free(nn[i].name);
	ps->wls.n = ps->nodes.n = ps->gained.n = 0;
	clear_flows(ps);
	clear_dns(ps);
}

/* ---- lookups ------------------------------------------------------------- */

static const struct store_workload_row *
lk_peer(void *arg, int64_t id)
{
	const struct pubstore_wl *w = pubstore_find(arg, id);

	return w != NULL ? &w->w : NULL;
}

static int
node_cmp(const void *a, const void *b)
{
	return addr_cmp(&((const struct node_name *)a)->a,
	    &((const struct node_name *)b)->a);
}

static const char *
lk_node(void *arg, const struct addr *a)
{
	struct pubstore *ps = arg;
	struct node_name key = { .a = *a }, *n;

	n = search_n(&key, ps->nodes.v, ps->nodes.n, sizeof(key), node_cmp);
	return n != NULL ? n->name : NULL;
}

int
pubstore_open(const char *path, struct pubstore **out)
{
	struct pubstore *ps;
	int ret;

	*out = NULL;
	if ((ps = calloc(1, sizeof(*ps))) == NULL)
		return -ENOMEM;
	if ((ret = store_open(path, STORE_OPEN_READONLY | STORE_OPEN_NOCREATE,
	    &ps->st)) < 0) {
		free(ps);
		return ret;
	}
	ps->lookup.peer = lk_peer;
	ps->lookup.node_name = lk_node;
	ps->lookup.arg = ps;
	*out = ps;
	return 0;
}

void
pubstore_close(struct pubstore *ps)
{
	if (ps == NULL)
		return;
	pubstore_end(ps);
	vec_free(&ps->wls);
	vec_free(&ps->nodes);
	vec_free(&ps->gained);
	vec_free(&ps->flows);
	vec_free(&ps->names);
	vec_free(&ps->dns);
	vec_free(&ps->dnames);
	store_close(ps->st);
	free(ps);
}

const char *
pubstore_errmsg(const struct pubstore *ps)
{
	return store_errmsg(ps->st);
}

/* ---- the snapshot ------------------------------------------------------- */

static uint64_t
fnv(uint64_t h, const char *s)
{
	for (s = s != NULL ? s : "\x01"; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return (h ^ 0xff) * 0x100000001b3ULL;
}

static int
wl_cb(const struct store_workload_row *r, void *arg)
{
	struct pubstore *ps = arg;
	struct pubstore_wl *w;
	bool fail = false;
	char num[64];

	if ((w = vec_push(&ps->wls, sizeof(*w))) == NULL)
		return -ENOMEM;
	memset(w, 0, sizeof(*w));
	w->w = *r;
	w->w.namespace_ = dup(r->namespace_, &fail);
	w->w.kind = dup(r->kind, &fail);
	w->w.name = dup(r->name, &fail);
	w->w.selector_json = dup(r->selector_json, &fail);
	w->w.labels_json = dup(r->labels_json, &fail);
	w->w.ports_json = dup(r->ports_json, &fail);
	w->w.uid = dup(r->uid, &fail);
	snprintf(num, sizeof(num), "%d %lld %lld", r->host_network,
	    (long long)r->started_at, (long long)r->deleted_at);
	w->fp = fnv(fnv(fnv(fnv(fnv(fnv(fnv(0xcbf29ce484222325ULL,
	    r->namespace_), r->kind), r->name), r->selector_json),
	    r->labels_json), r->ports_json), r->uid);
	w->fp = fnv(w->fp, num);
	if (fail) {
		wl_free(w);
		ps->wls.n--;
		return -ENOMEM;
	}
	return 0;
}

static int
node_cb(const char *name, const struct addr *a, void *arg)
{
	struct pubstore *ps = arg;
	struct node_name *n;

	if ((n = vec_push(&ps->nodes, sizeof(*n))) == NULL)
		return -ENOMEM;
	n->a = *a;
	if ((n->name = strdup(name)) == NULL) {
		ps->nodes.n--;
		return -ENOMEM;
	}
	return 0;
}

static int
gained_cb(int64_t id, int64_t max_row, void *arg)
{
	struct pubstore *ps = arg;
	int64_t *g;

	(void)max_row;
	if ((g = vec_push(&ps->gained, sizeof(*g))) == NULL)
		return -ENOMEM;
	*g = id;
	return 0;
}

static int64_t
meta_int(struct store *st, const char *key)
{
	char buf[64];

	return store_meta_get(st, key, buf, sizeof(buf)) == 0 ?
	    strtoll(buf, NULL, 10) : 0;
}

static int
counter_cb(const char *name, int64_t value, int64_t updated_at, void *arg)
{
	struct pubstore_facts *f = arg;
	struct pubstatus_counter *c;

	(void)updated_at;	/* the data's end is f->data_end */
	if (strcmp(name, "events_seen") == 0)
		f->events_seen = value;
	else if (strcmp(name, "events_lost") == 0)
		f->events_lost = value;
	if (f->ncounters >= PUBSTATUS_COUNTERS_MAX ||
	    strlen(name) >= sizeof(c->name))
		return 0;
	c = &f->counters[f->ncounters++];
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->value = value;
	return 0;
}

static int
facts(struct pubstore *ps, struct pubstore_facts *f)
{
	int64_t now = 0, ever = 0;
	int ret;

	memset(f, 0, sizeof(*f));
	f->recording_started = meta_int(ps->st, "recording_started");
	if (store_meta_get(ps->st, STORE_META_NODE_UID, f->node_uid,
	    sizeof(f->node_uid)) < 0)
		f->node_uid[0] = '\0';
	if ((ret = store_counter_foreach(ps->st, counter_cb, f)) < 0 ||
	    (ret = store_read_adopted(ps->st, &now, &ever)) < 0)
		return ret;
	if (ever > 0)
		(void)counter_cb("pods_adopted", now, 0, f);
	if ((ret = store_read_data_end(ps->st, &f->data_end)) < 0)
		return ret;
	if ((ret = store_count_attached_before(ps->st, INT64_MAX,
	    &f->attached)) < 0)
		return ret;
	return store_count_attached_before(ps->st, f->recording_started,
	    &f->adopted);
}

int
pubstore_counters(struct pubstore *ps, int64_t *written, int64_t *failed)
{
	*written = meta_int(ps->st, STORE_META_PUBLISH_WRITTEN);
	*failed = meta_int(ps->st, STORE_META_PUBLISH_FAILED);
	return 0;
}

int
pubstore_begin(struct pubstore *ps, int64_t *after, struct pubstore_facts *f)
{
	int ret;

	pubstore_end(ps);
	if ((ret = store_read_begin(ps->st)) < 0)
		return ret;
	ps->in_snapshot = true;
	if ((ret = facts(ps, f)) < 0 ||
	    (ret = store_read_all_workloads(ps->st, wl_cb, ps)) < 0 ||
	    (ret = store_read_nodes(ps->st, node_cb, ps)) < 0 ||
	    (ret = store_read_gained(ps->st, *after, gained_cb, ps,
	    after)) < 0) {
		pubstore_end(ps);
		return ret;
	}
	sort_n(ps->nodes.v, ps->nodes.n, sizeof(struct node_name), node_cmp);
	return 0;
}

void
pubstore_end(struct pubstore *ps)
{
	if (ps->in_snapshot)
		(void)store_read_end(ps->st);
	ps->in_snapshot = false;
	clear(ps);
}

size_t
pubstore_nworkloads(const struct pubstore *ps)
{
	return ps->wls.n;
}

const struct pubstore_wl *
pubstore_workload(const struct pubstore *ps, size_t i)
{
	return i < ps->wls.n ? &((const struct pubstore_wl *)ps->wls.v)[i] :
	    NULL;
}

const struct pubstore_wl *
pubstore_find(const struct pubstore *ps, int64_t id)
{
	const struct pubstore_wl *w = ps->wls.v;
	size_t lo = 0, hi = ps->wls.n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (w[mid].w.id == id)
			return &w[mid];
		if (w[mid].w.id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

bool
pubstore_gained(const struct pubstore *ps, int64_t id)
{
	const int64_t *g = ps->gained.v;
	size_t lo = 0, hi = ps->gained.n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (g[mid] == id)
			return true;
		if (g[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static int
flow_cb(const struct flow *f, void *arg)
{
	struct pubstore *ps = arg;
	struct flow *c;
	char **name;

	if ((c = vec_push(&ps->flows, sizeof(*c))) == NULL)
		return -ENOMEM;
	*c = *f;
	c->dns_name = "";
	if (f->dns_name != NULL && f->dns_name[0] != '\0') {
		if ((name = vec_push(&ps->names, sizeof(*name))) == NULL ||
		    (*name = strdup(f->dns_name)) == NULL) {
			if (name != NULL)
				ps->names.n--;
			ps->flows.n--;
			return -ENOMEM;
		}
		c->dns_name = *name;
	}
	return 0;
}

int
pubstore_flows(struct pubstore *ps, int64_t id, const struct flow **flows,
    size_t *n, int64_t *max_row)
{
	int ret;

	clear_flows(ps);
	ret = store_read_flows_of(ps->st, id, flow_cb, ps, max_row);
	*flows = ps->flows.v;
	*n = ps->flows.n;
	return ret;
}

static int
dns_cb(const struct addr *a, const char *name, int64_t first, int64_t last,
    void *arg)
{
	struct pubstore *ps = arg;
	struct profile_dns *d;
	char **nm;

	if ((nm = vec_push(&ps->dnames, sizeof(*nm))) == NULL)
		return -ENOMEM;
	if ((*nm = strdup(name)) == NULL) {
		ps->dnames.n--;
		return -ENOMEM;
	}
	if ((d = vec_push(&ps->dns, sizeof(*d))) == NULL)
		return -ENOMEM;
	d->addr = *a;
	d->name = *nm;
	d->first_seen = first;
	d->last_seen = last;
	return 0;
}

int
pubstore_dns(struct pubstore *ps, int64_t id, const struct profile_dns **dns,
    size_t *n)
{
	int ret;

	clear_dns(ps);
	ret = store_read_dns_of(ps->st, id, dns_cb, ps);
	*dns = ps->dns.v;
	*n = ps->dns.n;
	return ret;
}

const struct profile_lookup *
pubstore_lookup(struct pubstore *ps)
{
	return &ps->lookup;
}
