/*
 * ut_world: an in-memory source for unit tests (see ut_world.h).
 */
#include "tests/unit/ut_world.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli/source/store_source.h"
#include "lib/store.h"

#define UT_MAX 256

struct ut_wl {
	const char *ns, *kind, *name, *labels, *ports, *selector;
	bool host_network;
	bool reference_only;
	int64_t started_at;
};

struct ut_world {
	struct source src;	/* first: the world is its own source */
	struct ut_wl wl[UT_MAX];
	int nwl;
	struct flow fl[UT_MAX];
	int nfl;
	struct {
		int wl;
		struct addr a;
		const char *name;
	} dns[UT_MAX];
	int ndns;
	int64_t recording_started;
	const char *cname[8];
	int64_t cval[8];
	int nc;
};

static int
world_load(struct source *src, const struct source_query *q,
    struct index_builder *b, char *err, size_t errlen)
{
	struct ut_world *w = (struct ut_world *)(void *)src;
	struct index_source_workload sw;
	int64_t h[UT_MAX];
	struct flow f;
	int i, rc = 0;

	(void)q;
	index_add_recording_started(b, w->recording_started);
	for (i = 0; i < w->nc && rc == 0; i++)
		rc = index_add_counter(b, w->cname[i], w->cval[i], 0);
	for (i = 0; i < w->nwl && rc == 0; i++) {
		memset(&sw, 0, sizeof(sw));
		sw.namespace_ = w->wl[i].ns;
		sw.kind = w->wl[i].kind;
		sw.name = w->wl[i].name;
		sw.labels = w->wl[i].labels ?
		    json_tokener_parse(w->wl[i].labels) : NULL;
		sw.ports = w->wl[i].ports ?
		    json_tokener_parse(w->wl[i].ports) : NULL;
		sw.selector = w->wl[i].selector ?
		    json_tokener_parse(w->wl[i].selector) :
		    json_object_new_object();
		sw.host_network = w->wl[i].host_network;
		sw.started_at = w->wl[i].started_at;
		sw.reference_only = w->wl[i].reference_only;
		if ((rc = index_add_namespace(b, sw.namespace_)) == 0)
			rc = index_add_workload(b, &sw, &h[i]);
		json_object_put(sw.labels);
		json_object_put(sw.ports);
		json_object_put(sw.selector);
	}
	for (i = 0; i < w->nfl && rc == 0; i++) {
		f = w->fl[i];
		f.key.subject = h[f.key.subject];
		if (f.key.peer_kind == FLOW_PEER_WORKLOAD)
			f.key.peer_wl = h[f.key.peer_wl];
		rc = index_add_flow(b, &f);
	}
	for (i = 0; i < w->ndns && rc == 0; i++)
		rc = index_add_dns_name(b, h[w->dns[i].wl], &w->dns[i].a,
		    w->dns[i].name);
	if (rc != 0)
		snprintf(err, errlen, "world: %s", strerror(-rc));
	return rc;
}

static void
world_free(struct source *src)
{
	free(src);
}

static const struct source_ops world_ops = {
	.load = world_load,
	.free = world_free,
};

struct ut_world *
ut_world_new(void)
{
	struct ut_world *w = calloc(1, sizeof(*w));

	if (w != NULL)
		w->src.ops = &world_ops;
	return w;
}

void
ut_world_free(struct ut_world *w)
{
	free(w);
}

int
ut_world_workload(struct ut_world *w, const char *ns, const char *kind,
    const char *name, const char *labels, const char *ports)
{
	struct ut_wl *x = &w->wl[w->nwl];

	if (w->nwl == UT_MAX)
		abort();
	memset(x, 0, sizeof(*x));
	x->ns = ns;
	x->kind = kind;
	x->name = name;
	x->labels = labels;
	x->ports = ports;
	return w->nwl++;
}

void
ut_world_selector(struct ut_world *w, int wl, const char *selector)
{
	w->wl[wl].selector = selector;
}

void
ut_world_reference(struct ut_world *w, int wl)
{
	w->wl[wl].reference_only = true;
}

void
ut_world_workload_set(struct ut_world *w, int wl, bool host_network,
    int64_t started_at)
{
	w->wl[wl].host_network = host_network;
	w->wl[wl].started_at = started_at;
}

struct flow *
ut_world_flow(struct ut_world *w, int subj, int direction, int peer_kind,
    int peer, const char *peer_addr, int protocol, unsigned port,
    uint64_t count, int64_t first, int64_t last)
{
	struct flow_key k;
	struct flow *f = &w->fl[w->nfl];

	if (w->nfl == UT_MAX)
		abort();
	flow_key_init(&k);
	k.subject = subj;
	k.direction = (uint8_t)direction;
	k.peer_kind = (uint8_t)peer_kind;
	k.peer_wl = peer >= 0 ? peer : 0;
	if (peer_addr != NULL && addr_parse(peer_addr, &k.peer) < 0)
		abort();
	k.protocol = (uint8_t)protocol;
	k.port = (uint16_t)port;
	flow_init(f, &k, first, count);
	f->last_seen = last;
	w->nfl++;
	return f;
}

void
ut_world_dns(struct ut_world *w, int wl, const char *addr, const char *name)
{
	if (w->ndns == UT_MAX || addr_parse(addr, &w->dns[w->ndns].a) < 0)
		abort();
	w->dns[w->ndns].wl = wl;
	w->dns[w->ndns++].name = name;
}

void
ut_world_recording_started(struct ut_world *w, int64_t t)
{
	w->recording_started = t;
}

void
ut_world_counter(struct ut_world *w, const char *name, int64_t v)
{
	w->cname[w->nc] = name;
	w->cval[w->nc++] = v;
}

struct source *
ut_world_source(struct ut_world *w)
{
	return &w->src;
}

struct index *
ut_world_index(struct ut_world *w, const struct source_query *q)
{
	struct source_query all = { .direction = -1 };
	struct source *src = &w->src;
	struct index *idx = NULL;
	char err[512];

	if (index_load(&src, 1, q ? q : &all, &idx, err, sizeof(err)) < 0)
		fprintf(stderr, "ut_world_index: %s\n", err);
	return idx;
}

struct index *
ut_index_stores(const char *const *dbs, size_t n,
    const struct source_query *q, char *err, size_t errlen)
{
	struct source *srcs[8] = { 0 };
	struct index *idx = NULL;
	size_t i, k = 0;

	for (; k < n && k < 8; k++)
		if (store_source_new(dbs[k], &srcs[k]) < 0)
			break;
	if (k == n)
		index_load(srcs, n, q, &idx, err, errlen);
	else
		snprintf(err, errlen, "out of memory");
	for (i = 0; i < k; i++)
		source_free(srcs[i]);
	return idx;
}

const char *
ut_match_label(const struct index_workload *w, const char *key)
{
	json_object *ml, *v;

	if (!json_object_object_get_ex(w->selector, "matchLabels", &ml) ||
	    !json_object_object_get_ex(ml, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

size_t
ut_index_flow_pos(const struct index *idx, const char *ns, const char *name,
    int dir, int protocol, unsigned port)
{
	const struct index_workload *s;
	const struct flow *f;
	size_t i;

	for (i = 0; i < index_nflows(idx); i++) {
		f = index_flow(idx, i);
		s = index_subject(idx, f);
		if (strcmp(s->namespace_, ns) == 0 &&
		    strcmp(s->name, name) == 0 && f->key.direction == dir &&
		    f->key.protocol == protocol && f->key.port == port)
			return i;
	}
	return (size_t)-1;
}

int64_t
ut_store_workload(struct store *st, const char *ns, const char *kind,
    const char *name, const char *selector, const char *labels,
    bool host_network, int64_t started_at)
{
	struct store_workload w;

	memset(&w, 0, sizeof(w));
	snprintf(w.namespace_, sizeof(w.namespace_), "%s", ns);
	snprintf(w.kind, sizeof(w.kind), "%s", kind);
	snprintf(w.name, sizeof(w.name), "%s", name);
	w.selector_json = (char *)(uintptr_t)selector;
	w.labels_json = (char *)(uintptr_t)labels;
	w.host_network = host_network;
	w.started_at = started_at;
	return store_workload_put(st, &w) == 0 ? w.id : -1;
}
