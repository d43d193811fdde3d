/*
 * wltab: interned workloads, a dense array indexed by handle - 1 with an
 * open-addressing index on the identity, and the list of dirty handles.
 */
#include "recorderd/wltab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct wl {
	struct wltab_entry e;		/* strings owned (char * below) */
	char *strs[7];			/* ns, kind, name, selector, labels,
					 * ports, uid: what e points at */
	uint64_t hash;
	bool dirty;
	bool retired;			/* merged away: dirty on next put */
};

struct wltab {
	struct wl *wls;
	size_t n, cap;
	uint32_t *index;		/* handle, 0 empty */
	size_t mask;
	int64_t *dirty;
	size_t ndirty, dcap;
};

static uint64_t
str_hash(uint64_t h, const char *s)
{
	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (h ^ 0xff) * 1099511628211ULL;	/* the NUL separates */
}

static uint64_t
id_hash(const char *ns, const char *kind, const char *name)
{
	return str_hash(str_hash(str_hash(1469598103934665603ULL, ns), kind),
	    name);
}

int
wltab_new(struct wltab **out)
{
	struct wltab *t;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -ENOMEM;
	t->mask = 63;
	if ((t->index = calloc(t->mask + 1, sizeof(*t->index))) == NULL) {
		free(t);
		return -ENOMEM;
	}
	*out = t;
	return 0;
}

void
wltab_free(struct wltab *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++)
		for (int j = 0; j < 7; j++)
			free(t->wls[i].strs[j]);
	free(t->wls);
	free(t->index);
	free(t->dirty);
	free(t);
}

static bool
same_id(const struct wl *w, const char *ns, const char *kind,
    const char *name)
{
	return strcmp(w->e.namespace_, ns) == 0 &&
	    strcmp(w->e.kind, kind) == 0 && strcmp(w->e.name, name) == 0;
}

static int64_t
lookup(const struct wltab *t, uint64_t h, const char *ns, const char *kind,
    const char *name, size_t *slot)
{
	size_t i = h & t->mask;

	for (; t->index[i] != 0; i = (i + 1) & t->mask) {
		const struct wl *w = &t->wls[t->index[i] - 1];

		if (w->hash == h && same_id(w, ns, kind, name))
			return t->index[i];
	}
	*slot = i;
	return 0;
}

int64_t
wltab_find(const struct wltab *t, const char *ns, const char *kind,
    const char *name)
{
	size_t slot;

	return lookup(t, id_hash(ns, kind, name), ns, kind, name, &slot);
}

const struct wltab_entry *
wltab_get(const struct wltab *t, int64_t handle)
{
	if (handle <= 0 || (size_t)handle > t->n)
		return NULL;
	return &t->wls[handle - 1].e;
}

bool
wltab_is_pod(const struct wltab *t, int64_t handle)
{
	const struct wltab_entry *e = wltab_get(t, handle);

	return e != NULL && strcmp(e->kind, "Pod") == 0;
}

void
wltab_touch(struct wltab *t, int64_t handle)
{
	struct wl *w;
	int64_t *nd;
	size_t ncap;

	if (handle <= 0 || (size_t)handle > t->n)
		return;
	w = &t->wls[handle - 1];
	if (w->dirty)
		return;
	if (t->ndirty == t->dcap) {
		ncap = t->dcap ? t->dcap * 2 : 64;
		/* Out of memory: it stays clean and is written when it
		 * changes next; the flows naming it then wait for it. */
		if ((nd = realloc(t->dirty, ncap * sizeof(*nd))) == NULL)
			return;
		t->dirty = nd;
		t->dcap = ncap;
	}
	t->dirty[t->ndirty++] = handle;
	w->dirty = true;
}

void
wltab_set_deleted(struct wltab *t, int64_t handle, int64_t when)
{
	struct wl *w;

	if (handle <= 0 || (size_t)handle > t->n || when <= 0)
		return;
	w = &t->wls[handle - 1];
	if (w->e.deleted_at != 0)
		return;
	w->e.deleted_at = when;
	wltab_touch(t, handle);
}

void
wltab_retire(struct wltab *t, int64_t handle)
{
	if (handle > 0 && (size_t)handle <= t->n)
		t->wls[handle - 1].retired = true;
}

static int
grow_index(struct wltab *t)
{
	size_t slots = (t->mask + 1) * 2;
	uint32_t *idx;

	if ((idx = calloc(slots, sizeof(*idx))) == NULL)
		return -ENOMEM;
	for (size_t h = 0; h < t->n; h++) {
		size_t i = t->wls[h].hash & (slots - 1);

		while (idx[i] != 0)
			i = (i + 1) & (slots - 1);
		idx[i] = (uint32_t)(h + 1);
	}
	free(t->index);
	t->index = idx;
	t->mask = slots - 1;
	return 0;
}

/* Replace string slot j of w with s (NULL: keep). 1 when it changed. */
static int
set_str(struct wl *w, int j, const char *s, const char **view)
{
	char *c;

	if (s == NULL || (w->strs[j] != NULL && strcmp(w->strs[j], s) == 0))
		return 0;
	if ((c = strdup(s)) == NULL)
		return -ENOMEM;
	free(w->strs[j]);
	w->strs[j] = c;
	*view = c;
	return 1;
}

static int
add(struct wltab *t, const struct store_workload *w, uint64_t h, size_t slot,
    int64_t *handle)
{
	struct wl *nw, *e;
	size_t ncap;
	int ret;

	if (t->n == t->cap) {
		ncap = t->cap ? t->cap * 2 : 64;
		if ((nw = realloc(t->wls, ncap * sizeof(*nw))) == NULL)
			return -ENOMEM;
		t->wls = nw;
		t->cap = ncap;
	}
	e = &t->wls[t->n];
	memset(e, 0, sizeof(*e));
	if ((ret = set_str(e, 0, w->namespace_, &e->e.namespace_)) < 0 ||
	    (ret = set_str(e, 1, w->kind, &e->e.kind)) < 0 ||
	    (ret = set_str(e, 2, w->name, &e->e.name)) < 0)
		goto fail;
	e->e.uid = "";
	e->hash = h;
	t->n++;
	t->index[slot] = (uint32_t)t->n;
	*handle = (int64_t)t->n;
	/* At most half full: probe chains stay short. */
	if (t->n * 2 > t->mask + 1 && (ret = grow_index(t)) < 0) {
		/* Still indexed (the old index had room for it). */
		return ret;
	}
	return 0;
fail:
	for (int j = 0; j < 7; j++)
		free(e->strs[j]);
	return ret;
}

int
wltab_put(struct wltab *t, const struct store_workload *w, int64_t *handle)
{
	uint64_t h;
	size_t slot = 0;
	struct wl *e;
	int ret, changed = 0;
	int64_t hd;

	*handle = 0;
	if (w->namespace_[0] == '\0' || w->kind[0] == '\0' ||
	    w->name[0] == '\0')
		return -EINVAL;
	h = id_hash(w->namespace_, w->kind, w->name);
	if ((hd = lookup(t, h, w->namespace_, w->kind, w->name, &slot)) == 0) {
		if ((ret = add(t, w, h, slot, &hd)) < 0 && hd == 0)
			return ret;
		changed = 1;
	}
	e = &t->wls[hd - 1];
	if ((ret = set_str(e, 3, w->selector_json, &e->e.selector_json)) < 0 ||
	    (changed |= ret, ret = set_str(e, 4, w->labels_json,
	    &e->e.labels_json)) < 0 ||
	    (changed |= ret, ret = set_str(e, 5, w->ports_json,
	    &e->e.ports_json)) < 0)
		return ret;
	changed |= ret;
	if (w->uid[0] != '\0' && strcmp(e->e.uid, w->uid) != 0) {
		if ((ret = set_str(e, 6, w->uid, &e->e.uid)) < 0)
			return ret;
		/* Another object under the same name: it exists. */
		e->e.deleted_at = 0;
		changed = 1;
	}
	if (e->e.host_network != w->host_network) {
		e->e.host_network = w->host_network;
		changed = 1;
	}
	if (w->started_at != 0 && (e->e.started_at == 0 ||
	    w->started_at < e->e.started_at)) {
		e->e.started_at = w->started_at;
		changed = 1;
	}
	if (e->retired) {
		e->retired = false;
		changed = 1;
	}
	if (changed)
		wltab_touch(t, hd);
	*handle = hd;
	return 0;
}

int
wltab_take_dirty(struct wltab *t,
    int (*cb)(void *arg, int64_t handle, const struct wltab_entry *e),
    void *arg)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < t->ndirty; i++) {
		struct wl *w = &t->wls[t->dirty[i] - 1];

		if ((ret = cb(arg, t->dirty[i], &w->e)) != 0)
			break;
		w->dirty = false;
	}
	/* (No list yet before the first workload: NULL, nothing to move.) */
	if (t->ndirty > i)
		memmove(t->dirty, t->dirty + i, (t->ndirty - i) *
		    sizeof(*t->dirty));
	t->ndirty -= i;
	return ret;
}

size_t
wltab_count(const struct wltab *t)
{
	return t->n;
}

size_t
wltab_ndirty(const struct wltab *t)
{
	return t->ndirty;
}
