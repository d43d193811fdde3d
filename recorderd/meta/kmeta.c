/*
 * kmeta: the Kubernetes metadata cache and the owner rules.
 *
 * Memory: 100,000 pods must fit in well under 100 MB, so a pod keeps only
 * pointers to shared, reference-counted strings (kmeta_tab.c): the pods of
 * one ReplicaSet share their namespace, node, label set, owner and ports
 * strings; only name and uid are per pod. Indexes are chained hash tables
 * with the links inside the objects (no allocation per lookup).
 */
#include "recorderd/meta/kmeta.h"

#include "recorderd/meta/kmeta_obj.h"

#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>


#define KM_MAX_CHAIN 8		/* owner chain depth bound */

/* ---- the public API ----------------------------------------------------- */

int
kmeta_new(struct kmeta **out)
{
	struct kmeta *km;

	*out = NULL;
	if ((km = calloc(1, sizeof(*km))) == NULL)
		return -ENOMEM;
	km->mem.bytes = malloc_usable_size(km);
	*out = km;
	return 0;
}

/* Free every object (the tables' buckets too); km itself stays. */
static void
kmeta_clear(struct kmeta *km)
{
	struct ktab *all[] = { &km->pods_name, &km->owners, &km->namespaces,
	    &km->nodes };
	struct klink *l;
	size_t t, i;

	for (t = 0; t < sizeof(all) / sizeof(all[0]); t++) {
		for (i = 0; i < all[t]->nb; i++) {
			while ((l = all[t]->b[i]) != NULL) {
				if (all[t] == &km->pods_name)
					kmeta_pod_destroy(km, container_of(l,
					    struct kpod, by_name));
				else if (all[t] == &km->owners)
					kmeta_owner_destroy(km, container_of(l,
					    struct kowner, link));
				else if (all[t] == &km->namespaces)
					kmeta_ns_destroy(km, container_of(l,
					    struct kns, link));
				else
					kmeta_node_destroy(km, container_of(l,
					    struct knode, link));
			}
		}
	}
	kmeta_tab_free(&km->mem, &km->mem.strs);
	kmeta_tab_free(&km->mem, &km->pods_name);
	kmeta_tab_free(&km->mem, &km->pods_uid);
	kmeta_tab_free(&km->mem, &km->pod_ips);
	kmeta_tab_free(&km->mem, &km->owners);
	kmeta_tab_free(&km->mem, &km->namespaces);
	kmeta_tab_free(&km->mem, &km->nodes);
	kmeta_tab_free(&km->mem, &km->node_ips);
}

static void
gone_free(struct kmeta *km)
{
	for (size_t i = 0; i < km->ngone; i++) {
		free(km->gone[i].kind);
		free(km->gone[i].ns);
		free(km->gone[i].name);
		free(km->gone[i].uid);
	}
	free(km->gone);
	km->gone = NULL;
	km->ngone = km->gone_cap = 0;
}

void
kmeta_free(struct kmeta *km)
{
	if (km == NULL)
		return;
	kmeta_clear(km);
	gone_free(km);
	free(km);
}

void
kmeta_replace(struct kmeta *km, struct kmeta *with)
{
	struct kmeta swap;

	with->generation = km->generation + 1;
	swap = *km;
	*km = *with;
	*with = swap;
	/* What went is the caller's news, whichever content it belongs
	 * to: keep km's list (a whole content replaced tells nothing of
	 * deletions). */
	km->gone = with->gone;
	km->ngone = with->ngone;
	km->gone_cap = with->gone_cap;
	km->gone_dropped = with->gone_dropped;
	with->gone = NULL;
	with->ngone = with->gone_cap = with->gone_dropped = 0;
}

int
kmeta_apply(struct kmeta *km, int kind, bool deleted, struct json_object *obj,
    char *err, size_t errlen)
{
	struct kmeta_err e = { err, errlen };
	int r;

	switch (kind) {
	case KMETA_POD:
		r = kmeta_pod_apply(km, obj, deleted, &e);
		break;
	case KMETA_NAMESPACE:
		r = kmeta_ns_apply(km, obj, deleted, &e);
		break;
	case KMETA_NODE:
		r = kmeta_node_apply(km, obj, deleted, &e);
		break;
	default:
		if (kind < 0 || kind >= KMETA_NKINDS)
			return kmeta_err_set(&e, "unknown kind %d", kind);
		r = kmeta_owner_apply(km, kind, obj, deleted, &e);
		break;
	}
	if (r == -ENOMEM && err != NULL && errlen > 0)
		snprintf(err, errlen, "out of memory");
	if (r == 0)
		km->generation++;
	return r;
}

/* Call fn on every object of kind; fn may destroy the object. */
static void
kind_walk(struct kmeta *km, int kind, void (*fn)(struct kmeta *, int,
    struct klink *, bool *), bool *arg)
{
	struct ktab *t;
	struct klink *l, *n;
	size_t i;

	switch (kind) {
	case KMETA_POD: t = &km->pods_name; break;
	case KMETA_NAMESPACE: t = &km->namespaces; break;
	case KMETA_NODE: t = &km->nodes; break;
	default: t = &km->owners; break;
	}
	for (i = 0; i < t->nb; i++) {
		for (l = t->b[i]; l != NULL; l = n) {
			n = l->next;
			fn(km, kind, l, arg);
		}
	}
}

static bool *
stale_flag(int kind, struct klink *l, int *okind)
{
	struct kowner *o;

	*okind = kind;
	switch (kind) {
	case KMETA_POD:
		return &container_of(l, struct kpod, by_name)->stale;
	case KMETA_NAMESPACE:
		return &container_of(l, struct kns, link)->stale;
	case KMETA_NODE:
		return &container_of(l, struct knode, link)->stale;
	default:
		o = container_of(l, struct kowner, link);
		*okind = o->kind;
		return &o->stale;
	}
}

static void
mark_fn(struct kmeta *km, int kind, struct klink *l, bool *val)
{
	int okind;
	bool *f = stale_flag(kind, l, &okind);

	(void)km;
	if (okind == kind)
		*f = *val;
}

static void
sweep_fn(struct kmeta *km, int kind, struct klink *l, bool *removed)
{
	int okind;
	bool *f = stale_flag(kind, l, &okind);

	if (okind != kind || !*f)
		return;
	*removed = true;
	switch (kind) {
	case KMETA_POD:
		kmeta_note_pod_gone(km, container_of(l, struct kpod, by_name));
		kmeta_pod_destroy(km, container_of(l, struct kpod, by_name));
		break;
	case KMETA_NAMESPACE:
		kmeta_ns_destroy(km, container_of(l, struct kns, link));
		break;
	case KMETA_NODE:
		kmeta_node_destroy(km, container_of(l, struct knode, link));
		break;
	default:
		kmeta_note_owner_gone(km, container_of(l, struct kowner, link));
		kmeta_owner_destroy(km, container_of(l, struct kowner, link));
		break;
	}
}

void
kmeta_sync_begin(struct kmeta *km, int kind)
{
	bool v = true;

	if (kind >= 0 && kind < KMETA_NKINDS)
		kind_walk(km, kind, mark_fn, &v);
}

void
kmeta_sync_end(struct kmeta *km, int kind)
{
	bool removed = false;

	if (kind < 0 || kind >= KMETA_NKINDS)
		return;
	kind_walk(km, kind, sweep_fn, &removed);
	if (removed)
		km->generation++;
}

void
kmeta_sync_abort(struct kmeta *km, int kind)
{
	bool v = false;

	if (kind >= 0 && kind < KMETA_NKINDS)
		kind_walk(km, kind, mark_fn, &v);
}

const struct kmeta_pod *
kmeta_pod_by_ip(const struct kmeta *km, const struct addr *a)
{
	struct addr key;
	struct klink *l;
	struct kip *ki;
	const struct kmeta_pod *best = NULL, *p;
	int rank, best_rank = -1;
	uint32_t h;

	memset(&key, 0, sizeof(key));
	addr_from_bytes(&key, a->family, a->bytes);
	h = kmeta_hash(&key, sizeof(key), 2);
	for (l = kmeta_tab_first(&km->pod_ips, h); l != NULL; l = l->next) {
		ki = container_of(l, struct kip, link);
		if (l->hash != h || !addr_equal(&ki->a, &key))
			continue;
		p = ki->obj;
		/* Running pod networks first, then the newest start. */
		rank = (!p->terminated) * 2 + !p->host_network;
		if (rank > best_rank || (rank == best_rank &&
		    p->started_at > best->started_at)) {
			best = p;
			best_rank = rank;
		}
	}
	return best;
}

const struct kmeta_pod *
kmeta_pod_by_name(const struct kmeta *km, const char *ns, const char *name)
{
	struct kpod *kp = kmeta_pod_find(km, ns, name);

	return kp != NULL ? &kp->p : NULL;
}

const struct kmeta_pod *
kmeta_pod_by_uid(const struct kmeta *km, const char *uid)
{
	uint32_t h = kmeta_hash_str(uid, 3);
	struct klink *l;
	struct kpod *kp;

	if (*uid == '\0')
		return NULL;
	for (l = kmeta_tab_first(&km->pods_uid, h); l != NULL; l = l->next) {
		kp = container_of(l, struct kpod, by_uid);
		if (l->hash == h && strcmp(kp->p.uid, uid) == 0)
			return &kp->p;
	}
	return NULL;
}

int
kmeta_pod_foreach(const struct kmeta *km, kmeta_pod_cb cb, void *arg)
{
	struct klink *l;
	size_t i;
	int r;

	for (i = 0; i < km->pods_name.nb; i++)
		for (l = km->pods_name.b[i]; l != NULL; l = l->next)
			if ((r = cb(&container_of(l, struct kpod,
			    by_name)->p, arg)) != 0)
				return r;
	return 0;
}

/* Is name "<prefix>-<suffix>" with a non-empty prefix? Copies prefix. */
static bool
split_suffix(const char *name, const char *suffix, char *prefix, size_t len)
{
	size_t n = strlen(name), s = strlen(suffix);

	if (s == 0 || n < s + 2 || name[n - s - 1] != '-' ||
	    strcmp(name + n - s, suffix) != 0 || n - s - 1 >= len)
		return false;
	memcpy(prefix, name, n - s - 1);
	prefix[n - s - 1] = '\0';
	return true;
}

/* The parent named by the pod's labels or the name's shape, when the
 * object itself is not cached (see enum infer). */
static bool
infer_parent(const struct kmeta *km, const struct kmeta_kind_rule *rule,
    const char *ns, const char *name, struct json_object *podlabels,
    const char **pkind, char *pname, size_t len)
{
	struct json_object *v;
	const char *dash;

	switch (rule->infer) {
	case INFER_TEMPLATE_HASH:
		if (podlabels == NULL || !json_object_object_get_ex(podlabels,
		    "pod-template-hash", &v) ||
		    !split_suffix(name, json_object_get_string(v), pname, len))
			return false;
		*pkind = rule->parent;
		return true;
	case INFER_CRONJOB_SUFFIX:
		dash = strrchr(name, '-');
		if (dash == NULL || dash[1] == '\0' ||
		    strspn(dash + 1, "0123456789") != strlen(dash + 1) ||
		    !split_suffix(name, dash + 1, pname, len) ||
		    kmeta_owner_find(km, KMETA_CRONJOB, ns, pname) == NULL)
			return false;
		*pkind = rule->parent;
		return true;
	default:
		return false;
	}
}

static char *
strdup_or_null(const char *s)
{
	return s != NULL && *s != '\0' ? strdup(s) : NULL;
}

int
kmeta_pod_workload(const struct kmeta *km, const struct kmeta_pod *p,
    struct store_workload *out)
{
	struct json_object *plabels = NULL, *clean = NULL, *ml = NULL;
	const struct kmeta_kind_rule *rule;
	const struct kowner *o;
	const char *kind = p->owner_kind, *sel = NULL, *pkind;
	const char *uid = p->owner_uid;
	char name[STORE_NAME_LEN], pname[STORE_NAME_LEN];
	struct kmeta_err e = { NULL, 0 };
	int depth, k, r = 0;

	memset(out, 0, sizeof(*out));
	snprintf(out->namespace_, sizeof(out->namespace_), "%s", p->namespace_);
	snprintf(name, sizeof(name), "%s", p->owner_name);
	plabels = json_tokener_parse(p->labels_json);
	/* Static (mirror) pods name their Node as owner: each is its own
	 * workload. */
	if (*kind == '\0' || strcmp(kind, "Node") == 0) {
		kind = "Pod";
		snprintf(name, sizeof(name), "%s", p->name);
		uid = p->uid;
	}
	for (depth = 0; depth < KM_MAX_CHAIN; depth++) {
		if ((k = kmeta_kind_parse(kind)) < 0 || !kmeta_kind_rules[k].owner)
			break;
		rule = &kmeta_kind_rules[k];
		if ((o = kmeta_owner_find(km, k, p->namespace_,
		    name)) != NULL) {
			if (*o->selector != '\0')
				sel = o->selector;
			if (*o->uid != '\0')
				uid = o->uid;
			if (*o->parent_kind == '\0' ||
			    strcmp(o->parent_kind, "Node") == 0)
				break;
			kind = o->parent_kind;
			uid = o->parent_uid;
			snprintf(name, sizeof(name), "%s", o->parent_name);
			continue;
		}
		if (!infer_parent(km, rule, p->namespace_, name, plabels,
		    &pkind, pname, sizeof(pname)))
			break;
		kind = pkind;
		uid = "";	/* named by inference: its uid is not known */
		memcpy(name, pname, sizeof(name));
	}
	snprintf(out->kind, sizeof(out->kind), "%s", kind);
	snprintf(out->name, sizeof(out->name), "%s", name);
	snprintf(out->uid, sizeof(out->uid), "%s", uid);
	if (kmeta_json_labels(plabels, true, &clean, &e, "Pod") != 0)
		clean = json_object_new_object();
	if (clean == NULL) {
		r = -ENOMEM;
		goto out;
	}
	if ((out->labels_json = strdup(kmeta_json_text(clean))) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	if (sel != NULL) {
		if ((out->selector_json = strdup(sel)) == NULL)
			r = -ENOMEM;
	} else if (json_object_object_length(clean) > 0) {
		/* No owner object known: the pod's own stable labels. */
		if ((ml = json_object_new_object()) == NULL) {
			r = -ENOMEM;
			goto out;
		}
		json_object_object_add(ml, "matchLabels",
		    json_object_get(clean));
		if ((out->selector_json = strdup(kmeta_json_text(ml))) == NULL)
			r = -ENOMEM;
	}
	if (r == 0 && *p->ports_json != '\0' &&
	    (out->ports_json = strdup_or_null(p->ports_json)) == NULL)
		r = -ENOMEM;
	out->host_network = p->host_network;
	out->started_at = p->started_at;
out:
	json_object_put(plabels);
	json_object_put(clean);
	json_object_put(ml);
	if (r != 0)
		store_workload_clear(out);
	return r;
}

const char *
kmeta_namespace_labels(const struct kmeta *km, const char *ns)
{
	struct kns *n = kmeta_ns_find(km, ns);

	return n != NULL ? n->labels : NULL;
}

bool
kmeta_node_by_ip(const struct kmeta *km, const struct addr *a, char *name,
    size_t len)
{
	struct addr key;
	struct klink *l;
	struct kip *ki;
	uint32_t h;

	memset(&key, 0, sizeof(key));
	addr_from_bytes(&key, a->family, a->bytes);
	h = kmeta_hash(&key, sizeof(key), 2);
	for (l = kmeta_tab_first(&km->node_ips, h); l != NULL; l = l->next) {
		ki = container_of(l, struct kip, link);
		if (l->hash == h && addr_equal(&ki->a, &key)) {
			if (name != NULL && len > 0)
				snprintf(name, len, "%s",
				    ((struct knode *)ki->obj)->name);
			return true;
		}
	}
	return false;
}

const char *
kmeta_node_uid(const struct kmeta *km, const char *name)
{
	const struct knode *n = kmeta_node_find(km, name);

	return n != NULL ? n->uid : NULL;
}

size_t
kmeta_take_gone(struct kmeta *km,
    void (*cb)(void *arg, const struct kmeta_gone *g), void *arg)
{
	size_t dropped = km->gone_dropped;

	for (size_t i = 0; i < km->ngone; i++) {
		const struct kgone *g = &km->gone[i];
		struct kmeta_gone out = { g->kind, g->ns, g->name, g->uid };

		cb(arg, &out);
	}
	gone_free(km);
	km->gone_dropped = 0;
	return dropped;
}

uint64_t
kmeta_generation(const struct kmeta *km)
{
	return km->generation;
}

void
kmeta_get_stats(const struct kmeta *km, struct kmeta_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->pods = km->pods_name.count;
	out->namespaces = km->namespaces.count;
	out->nodes = km->nodes.count;
	out->owners = km->owners.count;
	out->strings = km->mem.strs.count;
	out->bytes = km->mem.bytes;
}
