/*
 * index: the in-memory index over what the sources fed (see index.h).
 *
 * Building: index_load() hands each source the builder; workloads are
 * merged by (namespace, kind, name) as they come (a hash map of their
 * names), flows by key (a hash map of flow_key_hash), both with the
 * builder's own handles, which are the order workloads first came in.
 * Finishing: the workloads nobody needs are dropped, the rest sorted and
 * numbered; flows get those numbers as handles and are sorted; then the
 * window and each workload's flows, times and observation.
 */
#include "cli/source/index.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/base/suggest.h"
#include "cli/source/knownservers.h"
#include "lib/sort.h"

/* ---- strings ------------------------------------------------------------- */

/* Copies of strings, freed all at once: DNS names and workload names. */
struct arena {
	struct chunk {
		struct chunk *next;
		size_t used, cap;
		char data[];
	} *head;
};

#define ARENA_CHUNK 65536

static const char *
arena_strdup(struct arena *a, const char *s)
{
	size_t n = strlen(s) + 1, cap;
	struct chunk *c = a->head;

	if (n == 1)
		return "";
	if (c == NULL || c->cap - c->used < n) {
		cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		if ((c = malloc(sizeof(*c) + cap)) == NULL)
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->next = a->head;
		a->head = c;
	}
	memcpy(c->data + c->used, s, n);
	c->used += n;
	return c->data + c->used - n;
}

static void
arena_free(struct arena *a)
{
	struct chunk *c, *n;

	for (c = a->head; c != NULL; c = n) {
		n = c->next;
		free(c);
	}
	a->head = NULL;
}

/* ---- the index and its builder ------------------------------------------- */

struct counter {
	const char *name;	/* in the arena */
	int64_t value;
};

/* A DNS name the pods of a subject were answered with for an address. */
struct dnsname {
	size_t wl;		/* builder handle, its position once sorted */
	struct addr addr;
	const char *name;	/* in the arena */
};

/* A workload while building: its builder handle is its position. */
struct bwl {
	struct index_workload w;
	int64_t first_attached;	/* 0 unknown */
	bool first_adopted;	/* that first attachment was an adoption */
	bool needed;		/* a subject, or the peer of a flow kept */
	bool peer;		/* the peer of a flow kept */
	size_t pos;		/* its position once sorted */
};

struct index {
	struct arena strings;
	struct index_workload **wls;	/* sorted; point into bwls */
	size_t nwls;
	struct flow *flows;
	size_t nflows, capflows;
	size_t *wl_first, *wl_count;	/* by position */
	struct counter *counters;
	size_t ncounters;
	struct addr *nodes;
	size_t nnodes;
	const char **namespaces;
	size_t nnamespaces;
	struct index_note *notes;	/* strings in the arena */
	size_t nnotes;
	struct ks_set *ks;
	struct dnsname *dns;		/* sorted by (wl, addr, name) */
	size_t ndns, capdns;
	int64_t recording_started, data_begin, data_end, since, until;

	/* The builder's state, freed by index_free too. */
	struct bwl *bwls;		/* in the order they came */
	size_t nbwls, capbwls;
	size_t *wlmap;			/* name hash -> bwl + 1, 0 empty */
	size_t capwlmap;
	uint32_t *flowmap;		/* key hash -> flow + 1, 0 empty */
	size_t capflowmap;
};

/* What index_load hands a source: the index being built, and the query. */
struct index_builder {
	struct index *idx;
	const struct source_query *q;
};

void
index_free(struct index *idx)
{
	size_t i;

	if (idx == NULL)
		return;
	for (i = 0; i < idx->nbwls; i++) {
		json_object_put(idx->bwls[i].w.selector);
		json_object_put(idx->bwls[i].w.labels);
		json_object_put(idx->bwls[i].w.ports);
	}
	free(idx->bwls);
	free(idx->wls);
	free(idx->wlmap);
	free(idx->flowmap);
	free(idx->flows);
	free(idx->wl_first);
	free(idx->wl_count);
	free(idx->counters);
	free(idx->nodes);
	free(idx->namespaces);
	free(idx->notes);
	free(idx->dns);
	ks_set_free(idx->ks);
	arena_free(&idx->strings);
	free(idx);
}

static int
grow(void **v, size_t *cap, size_t n, size_t size, size_t first)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : first;
	if ((nv = realloc(*v, ncap * size)) == NULL)
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

/* ---- workloads ----------------------------------------------------------- */

static uint64_t
str_hash(uint64_t h, const char *s)
{
	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return (h ^ 0xff) * 0x100000001b3ULL;
}

static uint64_t
wl_hash(const char *ns, const char *kind, const char *name)
{
	return str_hash(str_hash(str_hash(0xcbf29ce484222325ULL, ns), kind),
	    name);
}

/* The slot of (ns, kind, name) in the name map: holds its bwl + 1, or 0
 * where it would go. */
static size_t *
wl_slot(const struct index *idx, const char *ns, const char *kind,
    const char *name)
{
	const struct index_workload *w;
	size_t i, m = idx->capwlmap - 1;

	for (i = wl_hash(ns, kind, name) & m; idx->wlmap[i] != 0;
	    i = (i + 1) & m) {
		w = &idx->bwls[idx->wlmap[i] - 1].w;
		if (strcmp(w->name, name) == 0 &&
		    strcmp(w->namespace_, ns) == 0 &&
		    strcmp(w->kind, kind) == 0)
			break;
	}
	return &idx->wlmap[i];
}

/* Keep the name map at most half full. */
static int
wlmap_grow(struct index *idx)
{
	const struct index_workload *w;
	size_t i, *old = idx->wlmap, oldcap = idx->capwlmap;

	if ((idx->nbwls + 1) * 2 <= idx->capwlmap)
		return 0;
	idx->capwlmap = oldcap ? oldcap * 2 : 64;
	if ((idx->wlmap = calloc(idx->capwlmap, sizeof(size_t))) == NULL) {
		idx->wlmap = old;
		idx->capwlmap = oldcap;
		return -ENOMEM;
	}
	for (i = 0; i < oldcap; i++)
		if (old[i] != 0) {
			w = &idx->bwls[old[i] - 1].w;
			*wl_slot(idx, w->namespace_, w->kind, w->name) = old[i];
		}
	free(old);
	return 0;
}

/* The order of workloads: (namespace, kind, name). */
static int
wl_order(const struct index_workload *x, const struct index_workload *y)
{
	int c;

	if ((c = strcmp(x->namespace_, y->namespace_)) != 0)
		return c;
	if ((c = strcmp(x->kind, y->kind)) != 0)
		return c;
	return strcmp(x->name, y->name);
}

static bool
in_scope(const struct source_query *q, const struct index_workload *w)
{
	if (q->namespace_ != NULL && strcmp(q->namespace_, w->namespace_) != 0)
		return false;
	return q->kind == NULL || q->name == NULL ||
	    (strcasecmp(q->kind, w->kind) == 0 && strcmp(q->name, w->name) == 0);
}

int
index_add_workload(struct index_builder *b,
    const struct index_source_workload *sw, int64_t *handle)
{
	struct index *idx = b->idx;
	struct index_workload *w;
	struct bwl *n;
	size_t *slot;

	if (wlmap_grow(idx) < 0)
		return -ENOMEM;
	slot = wl_slot(idx, sw->namespace_, sw->kind, sw->name);
	if (*slot == 0) {
		if (grow((void **)&idx->bwls, &idx->capbwls, idx->nbwls,
		    sizeof(*idx->bwls), 64) < 0)
			return -ENOMEM;
		n = &idx->bwls[idx->nbwls];
		memset(n, 0, sizeof(*n));
		n->w.namespace_ = arena_strdup(&idx->strings, sw->namespace_);
		n->w.kind = arena_strdup(&idx->strings, sw->kind);
		n->w.name = arena_strdup(&idx->strings, sw->name);
		if (n->w.namespace_ == NULL || n->w.kind == NULL ||
		    n->w.name == NULL)
			return -ENOMEM;
		n->w.subject = in_scope(b->q, &n->w);
		n->needed = n->w.subject;
		*slot = ++idx->nbwls;
	}
	w = &idx->bwls[*slot - 1].w;
	*handle = (int64_t)(*slot - 1);
	if (sw->reference_only)
		return 0;
	w->described = true;
	/* The first source that knows a field wins. */
	if (w->selector == NULL && sw->selector != NULL)
		w->selector = json_object_get(sw->selector);
	if (w->labels == NULL && sw->labels != NULL)
		w->labels = json_object_get(sw->labels);
	if (w->ports == NULL && sw->ports != NULL)
		w->ports = json_object_get(sw->ports);
	w->host_network |= sw->host_network;
	if (sw->started_at > 0 && (w->started_at == 0 ||
	    sw->started_at < w->started_at))
		w->started_at = sw->started_at;
	return 0;
}

void
index_add_first_attached(struct index_builder *b, int64_t handle, int64_t t,
    bool adopted)
{
	struct bwl *w;

	if (handle < 0 || (size_t)handle >= b->idx->nbwls || t <= 0)
		return;
	w = &b->idx->bwls[handle];
	if (w->first_attached == 0 || t < w->first_attached) {
		w->first_attached = t;
		w->first_adopted = adopted;
	}
}

/* ---- flows ----------------------------------------------------------------- */

/* Keep the flow map at most half full. */
static int
flowmap_grow(struct index *idx)
{
	uint32_t *nm;
	size_t i, j, m, ncap;

	if ((idx->nflows + 1) * 2 <= idx->capflowmap)
		return 0;
	ncap = idx->capflowmap ? idx->capflowmap * 2 : 1024;
	if (ncap > (size_t)UINT32_MAX || (nm = calloc(ncap,
	    sizeof(*nm))) == NULL)
		return -ENOMEM;
	m = ncap - 1;
	for (i = 0; i < idx->nflows; i++) {
		for (j = flow_key_hash(&idx->flows[i].key) & m; nm[j] != 0;
		    j = (j + 1) & m)
			;
		nm[j] = (uint32_t)i + 1;
	}
	free(idx->flowmap);
	idx->flowmap = nm;
	idx->capflowmap = ncap;
	return 0;
}

static bool
in_window(const struct source_query *q, const struct flow *f)
{
	if (q->since != 0 && f->last_seen < q->since)
		return false;
	if (q->until != 0 && f->first_seen > q->until)
		return false;
	return q->direction < 0 || f->key.direction == q->direction;
}

const char *
index_kept_namespace(const struct index_builder *b, const struct flow *f)
{
	const struct index *idx = b->idx;

	if (f->key.subject < 0 || (size_t)f->key.subject >= idx->nbwls ||
	    !idx->bwls[f->key.subject].w.subject || !in_window(b->q, f))
		return NULL;
	return idx->bwls[f->key.subject].w.namespace_;
}

int
index_add_flow(struct index_builder *b, const struct flow *in)
{
	struct index *idx = b->idx;
	struct flow f = *in, *into;
	size_t j, m;

	if (f.key.subject < 0 || (size_t)f.key.subject >= idx->nbwls ||
	    !idx->bwls[f.key.subject].w.subject || !in_window(b->q, &f))
		return 0;
	if (f.key.peer_kind == FLOW_PEER_WORKLOAD && (f.key.peer_wl < 0 ||
	    (size_t)f.key.peer_wl >= idx->nbwls)) {
		f.key.peer_kind = FLOW_PEER_UNKNOWN;
		f.key.peer_wl = 0;
	}
	if (flowmap_grow(idx) < 0)
		return -ENOMEM;
	m = idx->capflowmap - 1;
	for (j = flow_key_hash(&f.key) & m; idx->flowmap[j] != 0;
	    j = (j + 1) & m)
		if (flow_key_equal(&idx->flows[idx->flowmap[j] - 1].key,
		    &f.key)) {
			/* The same flow from another source. Its DNS name is
			 * borrowed: copied only if the merge keeps it. */
			into = &idx->flows[idx->flowmap[j] - 1];
			flow_merge(into, &f);
			if (into->dns_name == in->dns_name &&
			    (into->dns_name = arena_strdup(&idx->strings,
			    in->dns_name)) == NULL)
				return -ENOMEM;
			return 0;
		}
	if (grow((void **)&idx->flows, &idx->capflows, idx->nflows,
	    sizeof(*idx->flows), 1024) < 0)
		return -ENOMEM;
	if ((f.dns_name = arena_strdup(&idx->strings, in->dns_name)) == NULL)
		return -ENOMEM;
	if (f.key.peer_kind == FLOW_PEER_WORKLOAD)
		idx->bwls[f.key.peer_wl].needed =
		    idx->bwls[f.key.peer_wl].peer = true;
	idx->flows[idx->nflows] = f;
	idx->flowmap[j] = (uint32_t)++idx->nflows;
	return 0;
}

/* ---- peers without details ----------------------------------------------- */

/* An undescribed peer and the namespace of a subject of a flow to it. */
struct upair {
	const struct index_workload *w;
	const char *ns;
};

static int
upair_cmp(const void *a, const void *b)
{
	const struct upair *x = a, *y = b;
	int c;

	if (x->w != y->w && (c = wl_order(x->w, y->w)) != 0)
		return c;
	return strcmp(x->ns, y->ns);
}

void
index_undescribed_free(struct index_undescribed *v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i].subject_ns);
	free(v);
}

/* The pairs of (peer, subject namespace), sorted, each once. */
static int
upairs(const struct index *idx, struct upair **out, size_t *n)
{
	const struct flow *f;
	struct upair *p = NULL;
	size_t i, cap = 0, m = 0;

	*n = 0;
	for (i = 0; i < idx->nflows; i++) {
		f = &idx->flows[i];
		if (f->key.peer_kind != FLOW_PEER_WORKLOAD ||
		    idx->bwls[f->key.peer_wl].w.described)
			continue;
		if (grow((void **)&p, &cap, m, sizeof(*p), 16) < 0) {
			free(p);
			return -ENOMEM;
		}
		p[m].w = &idx->bwls[f->key.peer_wl].w;
		p[m++].ns = idx->bwls[f->key.subject].w.namespace_;
	}
	sort_n(p, m, sizeof(*p), upair_cmp);
	for (i = 0; i < m; i++)
		if (*n == 0 || upair_cmp(&p[*n - 1], &p[i]) != 0)
			p[(*n)++] = p[i];
	*out = p;
	return 0;
}

int
index_undescribed(const struct index_builder *b,
    struct index_undescribed **out, size_t *n)
{
	struct index_undescribed *v = NULL, *u;
	struct upair *p;
	size_t np, i, j, k = 0;

	*out = NULL;
	*n = 0;
	if (upairs(b->idx, &p, &np) < 0)
		return -ENOMEM;
	for (i = 0; i < np; i = j) {
		for (j = i; j < np && p[j].w == p[i].w; j++)
			;
		if (v == NULL && (v = calloc(np, sizeof(*v))) == NULL)
			goto nomem;
		u = &v[k++];
		u->namespace_ = p[i].w->namespace_;
		u->kind = p[i].w->kind;
		u->name = p[i].w->name;
		if ((u->subject_ns = calloc(j - i, sizeof(*u->subject_ns))) ==
		    NULL)
			goto nomem;
		for (; u->nsubject_ns < j - i; u->nsubject_ns++)
			u->subject_ns[u->nsubject_ns] = p[i +
			    u->nsubject_ns].ns;
	}
	free(p);
	*out = v;
	*n = k;
	return 0;
nomem:
	free(p);
	index_undescribed_free(v, k);
	return -ENOMEM;
}

/* ---- DNS names ------------------------------------------------------------ */

static int
dns_push(struct index *idx, size_t wl, const struct addr *a,
    const char *name)
{
	struct dnsname *d;

	if (grow((void **)&idx->dns, &idx->capdns, idx->ndns,
	    sizeof(*idx->dns), 64) < 0)
		return -ENOMEM;
	d = &idx->dns[idx->ndns];
	d->wl = wl;
	d->addr = *a;
	if ((d->name = arena_strdup(&idx->strings, name)) == NULL)
		return -ENOMEM;
	idx->ndns++;
	return 0;
}

int
index_add_dns_name(struct index_builder *b, int64_t handle,
    const struct addr *a, const char *name)
{
	struct index *idx = b->idx;

	if (handle < 0 || (size_t)handle >= idx->nbwls ||
	    !idx->bwls[handle].w.subject || name[0] == '\0' ||
	    a->family == 0)
		return 0;
	return dns_push(idx, (size_t)handle, a, name);
}

static int
dns_cmp(const void *a, const void *b)
{
	const struct dnsname *x = a, *y = b;
	int c;

	if (x->wl != y->wl)
		return x->wl < y->wl ? -1 : 1;
	if ((c = addr_cmp(&x->addr, &y->addr)) != 0)
		return c;
	return strcmp(x->name, y->name);
}

/*
 * The names fed get positions for handles; the flows' own names are
 * added (a source without answers still has those); then sorted, each
 * once. After order_workloads.
 */
static int
finish_dns(struct index *idx)
{
	const struct flow *f;
	size_t i, out = 0;

	for (i = 0; i < idx->ndns; i++)
		idx->dns[i].wl = idx->bwls[idx->dns[i].wl].pos;
	for (i = 0; i < idx->nflows; i++) {
		f = &idx->flows[i];
		if (f->dns_name[0] != '\0' && f->key.peer.family != 0 &&
		    f->key.peer_kind != FLOW_PEER_WORKLOAD &&
		    dns_push(idx, (size_t)f->key.subject, &f->key.peer,
		    f->dns_name) < 0)
			return -ENOMEM;
	}
	sort_n(idx->dns, idx->ndns, sizeof(*idx->dns), dns_cmp);
	for (i = 0; i < idx->ndns; i++)
		if (out == 0 || dns_cmp(&idx->dns[out - 1], &idx->dns[i]) != 0)
			idx->dns[out++] = idx->dns[i];
	idx->ndns = out;
	return 0;
}

/* ---- what the sources say of themselves ---------------------------------- */

int
index_add_counter(struct index_builder *b, const char *name, int64_t value,
    int64_t updated_at)
{
	struct index *idx = b->idx;
	struct counter *n;
	size_t i;

	index_add_data_end(b, updated_at);
	for (i = 0; i < idx->ncounters; i++)
		if (strcmp(idx->counters[i].name, name) == 0) {
			idx->counters[i].value += value;
			return 0;
		}
	n = realloc(idx->counters, (idx->ncounters + 1) * sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	idx->counters = n;
	if ((n[idx->ncounters].name = arena_strdup(&idx->strings, name)) ==
	    NULL)
		return -ENOMEM;
	n[idx->ncounters++].value = value;
	return 0;
}

void
index_add_data_end(struct index_builder *b, int64_t t)
{
	if (t > b->idx->data_end)
		b->idx->data_end = t;
}

void
index_add_recording_started(struct index_builder *b, int64_t t)
{
	if (t > 0 && (b->idx->recording_started == 0 ||
	    t < b->idx->recording_started))
		b->idx->recording_started = t;
}

int
index_add_node(struct index_builder *b, const struct addr *a)
{
	struct index *idx = b->idx;
	struct addr *n;

	n = realloc(idx->nodes, (idx->nnodes + 1) * sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	idx->nodes = n;
	idx->nodes[idx->nnodes++] = *a;
	return 0;
}

bool
index_has_namespace(const struct index_builder *b, const char *ns)
{
	size_t i;

	for (i = 0; i < b->idx->nnamespaces; i++)
		if (strcmp(b->idx->namespaces[i], ns) == 0)
			return true;
	return false;
}

int
index_add_namespace(struct index_builder *b, const char *ns)
{
	struct index *idx = b->idx;
	const char **n;

	if (index_has_namespace(b, ns))
		return 0;
	n = realloc(idx->namespaces, (idx->nnamespaces + 1) * sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	idx->namespaces = n;
	if ((n[idx->nnamespaces] = arena_strdup(&idx->strings, ns)) == NULL)
		return -ENOMEM;
	idx->nnamespaces++;
	return 0;
}

int
index_add_known_server(struct index_builder *b, const char *source,
    const struct addr_cidr *cidr, const char *server, const char *name)
{
	return ks_add(b->idx->ks, source, cidr, server, name);
}

static bool
note_in_scope(const struct source_query *q, const char *ns)
{
	return ns == NULL || q->namespace_ == NULL ||
	    strcmp(q->namespace_, ns) == 0;
}

int
index_add_note(struct index_builder *b, const char *ns, const char *kind,
    const char *name, const char *text)
{
	struct index *idx = b->idx;
	struct index_note *n;

	if (!note_in_scope(b->q, ns))
		return 0;
	if (kind == NULL || name == NULL)
		kind = name = NULL;
	n = realloc(idx->notes, (idx->nnotes + 1) * sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	idx->notes = n;
	n = &idx->notes[idx->nnotes];
	n->namespace_ = ns ? arena_strdup(&idx->strings, ns) : NULL;
	n->kind = kind ? arena_strdup(&idx->strings, kind) : NULL;
	n->name = name ? arena_strdup(&idx->strings, name) : NULL;
	n->text = arena_strdup(&idx->strings, text);
	if ((ns && !n->namespace_) || (kind && !n->kind) ||
	    (name && !n->name) || !n->text)
		return -ENOMEM;
	idx->nnotes++;
	return 0;
}

/* ---- finishing ------------------------------------------------------------- */

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
	return wl_order(*(const struct index_workload *const *)a,
	    *(const struct index_workload *const *)b);
}

static int
flow_cmp(const void *a, const void *b)
{
	return flow_key_cmp(&((const struct flow *)a)->key,
	    &((const struct flow *)b)->key);
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* NULL before any string. */
static int
nstrcmp(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int
note_cmp(const void *a, const void *b)
{
	const struct index_note *x = a, *y = b;
	int c;

	if ((c = nstrcmp(x->namespace_, y->namespace_)) != 0 ||
	    (c = nstrcmp(x->kind, y->kind)) != 0 ||
	    (c = nstrcmp(x->name, y->name)) != 0)
		return c;
	return strcmp(x->text, y->text);
}

/* Sort the notes and drop repeats. */
static void
order_notes(struct index *idx)
{
	size_t i, n = 0;

	sort_n(idx->notes, idx->nnotes, sizeof(*idx->notes), note_cmp);
	for (i = 0; i < idx->nnotes; i++)
		if (n == 0 || note_cmp(&idx->notes[n - 1], &idx->notes[i]) != 0)
			idx->notes[n++] = idx->notes[i];
	idx->nnotes = n;
}

static int
counter_cmp(const void *a, const void *b)
{
	return strcmp(((const struct counter *)a)->name,
	    ((const struct counter *)b)->name);
}

/*
 * Keep the workloads needed (subjects and peers of the flows kept), sort
 * them, number them, give those without labels or selector defaults, and
 * turn the flows' builder handles into those numbers.
 */
static int
order_workloads(struct index *idx)
{
	struct index_workload *w;
	struct flow *f;
	size_t i;

	if ((idx->wls = calloc(idx->nbwls + 1, sizeof(*idx->wls))) == NULL)
		return -ENOMEM;
	for (i = 0; i < idx->nbwls; i++)
		if (idx->bwls[i].needed)
			idx->wls[idx->nwls++] = &idx->bwls[i].w;
	sort_n(idx->wls, idx->nwls, sizeof(*idx->wls), wl_cmp);
	for (i = 0; i < idx->nwls; i++) {
		w = idx->wls[i];
		w->index = i;
		/* w is the first member of its bwl. */
		((struct bwl *)(void *)w)->pos = i;
		if (w->labels == NULL)
			w->labels = json_object_new_object();
		if (w->selector == NULL)
			w->selector = selector_from_labels(w->labels);
		if (w->labels == NULL || w->selector == NULL)
			return -ENOMEM;
	}
	for (i = 0; i < idx->nflows; i++) {
		f = &idx->flows[i];
		f->key.subject = (int64_t)idx->bwls[f->key.subject].pos;
		if (f->key.peer_kind == FLOW_PEER_WORKLOAD)
			f->key.peer_wl = (int64_t)idx->bwls[f->key.peer_wl].pos;
	}
	return 0;
}

/* Each workload's range of flows, first/last seen and observation. */
static int
index_workloads(struct index *idx)
{
	struct index_workload *w;
	const struct flow *f;
	const struct bwl *bw;
	size_t i;

	idx->wl_first = calloc(idx->nwls + 1, sizeof(size_t));
	idx->wl_count = calloc(idx->nwls + 1, sizeof(size_t));
	if (idx->wl_first == NULL || idx->wl_count == NULL)
		return -ENOMEM;
	for (i = 0; i < idx->nflows; i++) {
		f = &idx->flows[i];
		w = idx->wls[f->key.subject];
		if (idx->wl_count[w->index]++ == 0)
			idx->wl_first[w->index] = i;
		if (w->first_seen == 0 || f->first_seen < w->first_seen)
			w->first_seen = f->first_seen;
		if (f->last_seen > w->last_seen)
			w->last_seen = f->last_seen;
	}
	for (i = 0; i < idx->nwls; i++) {
		w = idx->wls[i];
		bw = (const struct bwl *)(const void *)w;
		if ((idx->recording_started > 0 &&
		    ((w->started_at > 0 &&
		    w->started_at < idx->recording_started) ||
		    (w->started_at == 0 && bw->first_attached > 0 &&
		    bw->first_attached < idx->recording_started))) ||
		    bw->first_adopted)
			w->predates_recording = true;
		w->observed_from = idx->since;
		if (w->started_at > w->observed_from)
			w->observed_from = w->started_at;
		/* An adopted pod is watched from its adoption on, whenever
		 * it started. */
		if (bw->first_adopted && bw->first_attached > w->observed_from)
			w->observed_from = bw->first_attached;
		w->observed_to = idx->until;
		if (w->observed_to < w->observed_from)
			w->observed_to = w->observed_from;
	}
	return 0;
}

static int
finish(struct index *idx, const struct source_query *q)
{
	size_t i;
	int rc;

	free(idx->flowmap);
	idx->flowmap = NULL;
	idx->capflowmap = 0;
	if ((rc = order_workloads(idx)) < 0)
		return rc;
	sort_n(idx->flows, idx->nflows, sizeof(*idx->flows), flow_cmp);
	if ((rc = finish_dns(idx)) < 0)
		return rc;
	for (i = 0; i < idx->nflows; i++)
		if (idx->data_begin == 0 ||
		    idx->flows[i].first_seen < idx->data_begin)
			idx->data_begin = idx->flows[i].first_seen;
	sort_n(idx->namespaces, idx->nnamespaces, sizeof(*idx->namespaces),
	    str_cmp);
	sort_n(idx->counters, idx->ncounters, sizeof(*idx->counters),
	    counter_cmp);
	order_notes(idx);
	idx->since = q->since ? q->since : idx->recording_started ?
	    idx->recording_started : idx->data_begin;
	idx->until = q->until ? q->until : idx->data_end;
	return index_workloads(idx);
}

/* ---- "did you mean" -------------------------------------------------------- */

/* The workloads of q's namespace as "kind/name", for suggestions. */
static void
suggest_workload(const struct index *idx, const struct source_query *q,
    char *err, size_t errlen)
{
	const char **cand;
	char want[600], *buf;
	size_t i, n = 0, len = 0;
	const struct index_workload *w;

	for (i = 0; i < idx->nbwls; i++)
		len += strlen(idx->bwls[i].w.kind) +
		    strlen(idx->bwls[i].w.name) + 2;
	cand = calloc(idx->nbwls + 1, sizeof(*cand));
	buf = malloc(len + 1);
	if (cand == NULL || buf == NULL)
		goto out;
	len = 0;
	for (i = 0; i < idx->nbwls; i++) {
		w = &idx->bwls[i].w;
		if (q->namespace_ != NULL &&
		    strcmp(w->namespace_, q->namespace_) != 0)
			continue;
		cand[n++] = buf + len;
		len += (size_t)sprintf(buf + len, "%s/%s", w->kind,
		    w->name) + 1;
	}
	sort_n(cand, n, sizeof(*cand), str_cmp);
	snprintf(want, sizeof(want), "%s/%s", q->kind, q->name);
	suggest_append(err, errlen, want, cand, n, "workload");
out:
	free(cand);
	free(buf);
}

/* ---- loading ----------------------------------------------------------------- */

/* A workload no source described is no subject: its pods are unknown
 * (a policy for it would select every pod of its namespace). It stays
 * as the peer of the flows that name it. */
static void
settle(struct bwl *w)
{
	if (w->w.described || !w->w.subject)
		return;
	w->w.subject = false;
	w->needed = w->peer;
}

int
index_load(struct source *const *srcs, size_t nsrcs,
    const struct source_query *q, struct index **out, char *err,
    size_t errlen)
{
	struct index_builder b = { .q = q };
	struct index *idx;
	bool found = false;
	size_t i;
	int rc = 0;

	*out = NULL;
	if (errlen > 0)
		err[0] = '\0';
	if ((idx = calloc(1, sizeof(*idx))) == NULL ||
	    (idx->ks = ks_set_new()) == NULL) {
		index_free(idx);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	b.idx = idx;
	for (i = 0; i < nsrcs && rc == 0; i++)
		rc = srcs[i]->ops->load(srcs[i], q, &b, err, errlen);
	for (i = 0; rc == 0 && i < idx->nbwls; i++) {
		settle(&idx->bwls[i]);
		found |= idx->bwls[i].w.subject;
	}
	if (rc == 0 && q->namespace_ != NULL &&
	    !index_has_namespace(&b, q->namespace_)) {
		sort_n(idx->namespaces, idx->nnamespaces,
		    sizeof(*idx->namespaces), str_cmp);
		snprintf(err, errlen, "namespace '%s': nothing was ever "
		    "recorded in it (no workload, no pod)", q->namespace_);
		suggest_append(err, errlen, q->namespace_, idx->namespaces,
		    idx->nnamespaces, "namespace");
		rc = -ENOENT;
	} else if (rc == 0 && q->kind != NULL && q->name != NULL && !found) {
		snprintf(err, errlen, "workload '%s/%s'%s%s: not recorded",
		    q->kind, q->name, q->namespace_ ? " in namespace " : "",
		    q->namespace_ ? q->namespace_ : "");
		suggest_workload(idx, q, err, errlen);
		rc = -ENOENT;
	}
	if (rc == 0 && (rc = finish(idx, q)) < 0)
		snprintf(err, errlen, "out of memory");
	if (rc < 0) {
		index_free(idx);
		return rc;
	}
	*out = idx;
	return 0;
}

/* ---- reading ------------------------------------------------------------------- */

size_t
index_nworkloads(const struct index *idx)
{
	return idx->nwls;
}

const struct index_workload *
index_workload(const struct index *idx, size_t i)
{
	return i < idx->nwls ? idx->wls[i] : NULL;
}

const struct index_workload *
index_find_workload(const struct index *idx, const char *ns,
    const char *kind, const char *name)
{
	size_t slot;
	struct bwl *w;

	if (idx->capwlmap == 0 || (slot = *wl_slot(idx, ns, kind, name)) == 0)
		return NULL;
	w = &idx->bwls[slot - 1];
	return w->needed ? &w->w : NULL;
}

size_t
index_nflows(const struct index *idx)
{
	return idx->nflows;
}

const struct flow *
index_flow(const struct index *idx, size_t i)
{
	return i < idx->nflows ? &idx->flows[i] : NULL;
}

size_t
index_flows_of(const struct index *idx, const struct index_workload *wl,
    size_t *first)
{
	*first = 0;
	if (wl == NULL || wl->index >= idx->nwls || idx->wls[wl->index] != wl)
		return 0;
	*first = idx->wl_first[wl->index];
	return idx->wl_count[wl->index];
}

const struct index_workload *
index_subject(const struct index *idx, const struct flow *f)
{
	return idx->wls[f->key.subject];
}

const struct index_workload *
index_peer(const struct index *idx, const struct flow *f)
{
	return f->key.peer_kind == FLOW_PEER_WORKLOAD ?
	    idx->wls[f->key.peer_wl] : NULL;
}

size_t
index_dns_names(const struct index *idx, const struct index_workload *wl,
    const struct addr *a, size_t *first)
{
	struct dnsname key = { .addr = *a, .name = "" };
	size_t lo = 0, hi = idx->ndns, mid, n;

	*first = 0;
	if (wl == NULL)
		return 0;
	key.wl = wl->index;
	/* The first entry not below (wl, a, ""): "" sorts before any name. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (dns_cmp(&idx->dns[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (n = 0; lo + n < idx->ndns && idx->dns[lo + n].wl == key.wl &&
	    addr_equal(&idx->dns[lo + n].addr, a); n++)
		;
	*first = lo;
	return n;
}

const char *
index_dns_name(const struct index *idx, size_t i)
{
	return i < idx->ndns ? idx->dns[i].name : NULL;
}

int64_t
index_counter(const struct index *idx, const char *name)
{
	size_t i;

	for (i = 0; i < idx->ncounters; i++)
		if (strcmp(idx->counters[i].name, name) == 0)
			return idx->counters[i].value;
	return 0;
}

size_t
index_ncounters(const struct index *idx)
{
	return idx->ncounters;
}

const char *
index_counter_name(const struct index *idx, size_t i)
{
	return i < idx->ncounters ? idx->counters[i].name : NULL;
}

int64_t
index_counter_value(const struct index *idx, size_t i)
{
	return i < idx->ncounters ? idx->counters[i].value : 0;
}

int64_t
index_recording_started(const struct index *idx)
{
	return idx->recording_started;
}

int64_t
index_since(const struct index *idx)
{
	return idx->since;
}

int64_t
index_until(const struct index *idx)
{
	return idx->until;
}

bool
index_is_node_addr(const struct index *idx, const struct addr *a)
{
	size_t i;

	for (i = 0; i < idx->nnodes; i++)
		if (addr_equal(&idx->nodes[i], a))
			return true;
	return false;
}

struct ks_set *
index_known_servers(struct index *idx)
{
	return idx->ks;
}

size_t
index_nnamespaces(const struct index *idx)
{
	return idx->nnamespaces;
}

const char *
index_namespace(const struct index *idx, size_t i)
{
	return i < idx->nnamespaces ? idx->namespaces[i] : NULL;
}

size_t
index_nnotes(const struct index *idx)
{
	return idx->nnotes;
}

const struct index_note *
index_note(const struct index *idx, size_t i)
{
	return i < idx->nnotes ? &idx->notes[i] : NULL;
}

bool
index_note_applies(const struct index_note *n, const struct index_workload *w)
{
	if (n->namespace_ != NULL && strcmp(n->namespace_, w->namespace_) != 0)
		return false;
	return n->kind == NULL || (strcmp(n->kind, w->kind) == 0 &&
	    strcmp(n->name, w->name) == 0);
}
