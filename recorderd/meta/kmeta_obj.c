/*
 * kmeta_obj: the cached objects (pods, owners, namespaces, nodes): built
 * from API objects, indexed, replaced and removed.
 */
#include "recorderd/meta/kmeta_obj.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- pods ------------------------------------------------------------- */

uint32_t
kmeta_hash_nsname(const char *ns, const char *name)
{
	return kmeta_hash_str(ns, 0) ^ (kmeta_hash_str(name, 1) * 2654435761u);
}

struct kpod *
kmeta_pod_find(const struct kmeta *km, const char *ns, const char *name)
{
	uint32_t h = kmeta_hash_nsname(ns, name);
	struct klink *l;
	struct kpod *kp;

	for (l = kmeta_tab_first(&km->pods_name, h); l != NULL; l = l->next) {
		kp = container_of(l, struct kpod, by_name);
		if (l->hash == h && strcmp(kp->p.name, name) == 0 &&
		    strcmp(kp->p.namespace_, ns) == 0)
			return kp;
	}
	return NULL;
}

void
kmeta_ip_remove(struct kmeta *km, struct ktab *t, const struct addr *a,
    void *obj)
{
	uint32_t h = kmeta_hash(a, sizeof(*a), 2);
	struct klink *l;
	struct kip *ki;

	for (l = kmeta_tab_first(t, h); l != NULL; l = l->next) {
		ki = container_of(l, struct kip, link);
		if (ki->obj == obj && addr_equal(&ki->a, a)) {
			kmeta_tab_remove(t, l);
			kmeta_mem_free(&km->mem, ki);
			return;
		}
	}
}

int
kmeta_ip_add(struct kmeta *km, struct ktab *t, const struct addr *a, void *obj)
{
	struct kip *ki;
	struct addr key;

	memset(&key, 0, sizeof(key));
	addr_from_bytes(&key, a->family, a->bytes);
	if ((ki = kmeta_mem_alloc(&km->mem, sizeof(*ki))) == NULL)
		return -ENOMEM;
	ki->a = key;
	ki->obj = obj;
	if (kmeta_tab_insert(&km->mem, t, &ki->link, kmeta_hash(&key, sizeof(key),
	    2)) != 0) {
		kmeta_mem_free(&km->mem, ki);
		return -ENOMEM;
	}
	return 0;
}

void
kmeta_pod_destroy(struct kmeta *km, struct kpod *kp)
{
	int i;

	/* Safe on a pod never (or only partly) indexed: removals look the
	 * link up first. */
	kmeta_tab_remove(&km->pods_name, &kp->by_name);
	kmeta_tab_remove(&km->pods_uid, &kp->by_uid);
	for (i = 0; i < kp->p.nips; i++)
		kmeta_ip_remove(km, &km->pod_ips, &kp->p.ips[i], kp);
	kmeta_str_put(&km->mem, kp->p.namespace_);
	kmeta_str_put(&km->mem, kp->p.name);
	kmeta_str_put(&km->mem, kp->p.uid);
	kmeta_str_put(&km->mem, kp->p.node);
	kmeta_str_put(&km->mem, kp->p.labels_json);
	kmeta_str_put(&km->mem, kp->p.owner_kind);
	kmeta_str_put(&km->mem, kp->p.owner_name);
	kmeta_str_put(&km->mem, kp->p.owner_uid);
	kmeta_str_put(&km->mem, kp->p.ports_json);
	kmeta_mem_free(&km->mem, kp);
}

/* Append a copy of (kind, ns, name, uid) to the list kmeta_take_gone
 * hands out; beyond KMETA_GONE_MAX (or out of memory) count it only. */
static void
note_gone(struct kmeta *km, const char *kind, const char *ns,
    const char *name, const char *uid)
{
	struct kgone *g, *ng;
	size_t cap;

	if (km->ngone == KMETA_GONE_MAX)
		goto drop;
	if (km->ngone == km->gone_cap) {
		cap = km->gone_cap ? km->gone_cap * 2 : 16;
		if ((ng = realloc(km->gone, cap * sizeof(*ng))) == NULL)
			goto drop;
		km->gone = ng;
		km->gone_cap = cap;
	}
	g = &km->gone[km->ngone];
	g->kind = strdup(kind);
	g->ns = strdup(ns);
	g->name = strdup(name);
	g->uid = strdup(uid);
	if (g->kind == NULL || g->ns == NULL || g->name == NULL ||
	    g->uid == NULL) {
		free(g->kind);
		free(g->ns);
		free(g->name);
		free(g->uid);
		goto drop;
	}
	km->ngone++;
	return;
drop:
	km->gone_dropped++;
}

void
kmeta_note_pod_gone(struct kmeta *km, const struct kpod *kp)
{
	/* A pod with an owner is not a workload: its owner stays. Static
	 * pods name their Node and are their own workload. */
	if (*kp->p.owner_kind != '\0' && strcmp(kp->p.owner_kind, "Node") != 0)
		return;
	note_gone(km, "Pod", kp->p.namespace_, kp->p.name, kp->p.uid);
}

void
kmeta_note_owner_gone(struct kmeta *km, const struct kowner *o)
{
	note_gone(km, kmeta_kind_name(o->kind), o->ns, o->name, o->uid);
}

static int
pod_index(struct kmeta *km, struct kpod *kp)
{
	int i, r;

	if ((r = kmeta_tab_insert(&km->mem, &km->pods_name, &kp->by_name,
	    kmeta_hash_nsname(kp->p.namespace_, kp->p.name))) != 0) {
		kp->p.nips = 0;
		return r;
	}
	if (*kp->p.uid != '\0' && (r = kmeta_tab_insert(&km->mem, &km->pods_uid,
	    &kp->by_uid, kmeta_hash_str(kp->p.uid, 3))) != 0) {
		kp->p.nips = 0;
		return r;
	}
	for (i = 0; i < kp->p.nips; i++) {
		if ((r = kmeta_ip_add(km, &km->pod_ips, &kp->p.ips[i],
		    kp)) != 0) {
			kp->p.nips = i;
			return r;
		}
	}
	return 0;
}

int
kmeta_pod_apply(struct kmeta *km, struct json_object *obj, bool deleted,
    struct kmeta_err *e)
{
	struct kmeta_meta m;
	struct json_object *hn, *labels = NULL, *ports = NULL;
	struct kpod *kp = NULL, *old;
	const char *node, *phase, *start;
	int r;

	if ((r = kmeta_json_meta(obj, &m, true, e, "Pod")) != 0)
		return r;
	old = kmeta_pod_find(km, m.ns, m.name);
	if (deleted) {
		/* A late delete of a pod since recreated under the same name
		 * (StatefulSet) must not remove the new one. */
		if (old != NULL && (*m.uid == '\0' ||
		    strcmp(old->p.uid, m.uid) == 0)) {
			kmeta_note_pod_gone(km, old);
			kmeta_pod_destroy(km, old);
		}
		return 0;
	}
	if ((r = kmeta_json_str(obj, "spec.nodeName", &node, e, "Pod")) != 0 ||
	    (r = kmeta_json_str(obj, "status.phase", &phase, e, "Pod")) != 0 ||
	    (r = kmeta_json_str(obj, "status.startTime", &start, e,
	    "Pod")) != 0 ||
	    (r = kmeta_json_type(obj, "spec.hostNetwork", json_type_boolean,
	    &hn, e,
	    "Pod")) != 0)
		return r;
	if ((r = kmeta_json_labels(m.labels, false, &labels, e, "Pod")) != 0 ||
	    (r = kmeta_json_ports(obj, &ports, e, "Pod")) != 0)
		goto out;
	if ((kp = kmeta_mem_alloc(&km->mem, sizeof(*kp))) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	if ((r = kmeta_json_ips(obj, "status.podIPs", "ip", "status.podIP",
	    kp->p.ips, &kp->p.nips, e, "Pod")) != 0) {
		kmeta_mem_free(&km->mem, kp);
		kp = NULL;
		goto out;
	}
	kp->p.host_network = hn != NULL && json_object_get_boolean(hn);
	kp->p.terminated = phase != NULL && (strcmp(phase, "Succeeded") == 0 ||
	    strcmp(phase, "Failed") == 0);
	kp->p.started_at = kmeta_json_time(start);
	kp->p.namespace_ = kmeta_str_dup(&km->mem, m.ns);
	kp->p.name = kmeta_str_dup(&km->mem, m.name);
	kp->p.uid = kmeta_str_dup(&km->mem, m.uid);
	kp->p.node = kmeta_str_dup(&km->mem, node != NULL ? node : "");
	kp->p.labels_json = kmeta_str_dup(&km->mem, kmeta_json_text(labels));
	kp->p.owner_kind = kmeta_str_dup(&km->mem, m.owner_kind != NULL ?
	    m.owner_kind : "");
	kp->p.owner_name = kmeta_str_dup(&km->mem, m.owner_name != NULL ?
	    m.owner_name : "");
	kp->p.owner_uid = kmeta_str_dup(&km->mem, m.owner_uid);
	kp->p.ports_json = kmeta_str_dup(&km->mem,
	    json_object_array_length(ports) > 0 ?
	    kmeta_json_text(ports) : "");
	if (kp->p.namespace_ == NULL || kp->p.name == NULL ||
	    kp->p.uid == NULL || kp->p.node == NULL ||
	    kp->p.labels_json == NULL || kp->p.owner_kind == NULL ||
	    kp->p.owner_name == NULL || kp->p.owner_uid == NULL ||
	    kp->p.ports_json == NULL) {
		r = -ENOMEM;
		goto fail;
	}
	if (old != NULL)
		kmeta_pod_destroy(km, old);
	if ((r = pod_index(km, kp)) != 0)
		goto fail;
	kp = NULL;
out:
	json_object_put(labels);
	json_object_put(ports);
	return r;
fail:
	/* kmeta_str_put takes NULL,
	    so a half-filled pod unwinds the same way. */
	kmeta_pod_destroy(km, kp);
	goto out;
}

/* ---- owners, namespaces, nodes ----------------------------------------- */

static uint32_t
hash_owner(int kind, const char *ns, const char *name)
{
	return kmeta_hash_nsname(ns, name) ^ (uint32_t)kind * 0x9e3779b9u;
}

struct kowner *
kmeta_owner_find(const struct kmeta *km, int kind, const char *ns,
    const char *name)
{
	uint32_t h = hash_owner(kind, ns, name);
	struct klink *l;
	struct kowner *o;

	for (l = kmeta_tab_first(&km->owners, h); l != NULL; l = l->next) {
		o = container_of(l, struct kowner, link);
		if (l->hash == h && o->kind == kind &&
		    strcmp(o->name, name) == 0 && strcmp(o->ns, ns) == 0)
			return o;
	}
	return NULL;
}

void
kmeta_owner_destroy(struct kmeta *km, struct kowner *o)
{
	kmeta_tab_remove(&km->owners, &o->link);
	kmeta_str_put(&km->mem, o->ns);
	kmeta_str_put(&km->mem, o->name);
	kmeta_str_put(&km->mem, o->uid);
	kmeta_str_put(&km->mem, o->parent_kind);
	kmeta_str_put(&km->mem, o->parent_name);
	kmeta_str_put(&km->mem, o->parent_uid);
	kmeta_str_put(&km->mem, o->selector);
	kmeta_mem_free(&km->mem, o);
}

int
kmeta_owner_apply(struct kmeta *km, int kind, struct json_object *obj,
    bool deleted,
    struct kmeta_err *e)
{
	const struct kmeta_kind_rule *rule = &kmeta_kind_rules[kind];
	struct kowner *o, *old;
	struct kmeta_meta m;
	const char *sel = kmeta_str_empty;
	bool found;
	int r;

	if ((r = kmeta_json_meta(obj, &m, true, e, rule->kind)) != 0)
		return r;
	old = kmeta_owner_find(km, kind, m.ns, m.name);
	if (deleted) {
		if (old != NULL && (*m.uid == '\0' ||
		    strcmp(old->uid, m.uid) == 0)) {
			kmeta_note_owner_gone(km, old);
			kmeta_owner_destroy(km, old);
		}
		return 0;
	}
	if ((r = kmeta_json_selector(&km->mem, obj, rule->sel, &sel, &found, e,
	    rule->kind)) != 0)
		return r;
	if (!found && (r = kmeta_json_selector(&km->mem, obj, rule->sel_fallback,
	    &sel,
	    &found, e, rule->kind)) != 0)
		return r;
	if ((o = kmeta_mem_alloc(&km->mem, sizeof(*o))) == NULL) {
		kmeta_str_put(&km->mem, sel);
		return -ENOMEM;
	}
	o->kind = (uint8_t)kind;
	o->selector = sel;
	o->ns = kmeta_str_dup(&km->mem, m.ns);
	o->name = kmeta_str_dup(&km->mem, m.name);
	o->uid = kmeta_str_dup(&km->mem, m.uid);
	o->parent_kind = kmeta_str_dup(&km->mem, m.owner_kind != NULL ? m.owner_kind :
	    "");
	o->parent_name = kmeta_str_dup(&km->mem, m.owner_name != NULL ? m.owner_name :
	    "");
	o->parent_uid = kmeta_str_dup(&km->mem, m.owner_uid);
	if (o->ns == NULL || o->name == NULL || o->uid == NULL ||
	    o->parent_kind == NULL || o->parent_name == NULL ||
	    o->parent_uid == NULL ||
	    kmeta_tab_insert(&km->mem, &km->owners, &o->link,
	    hash_owner(kind, o->ns, o->name)) != 0) {
		o->link.hash = 0;
		kmeta_owner_destroy(km, o);
		return -ENOMEM;
	}
	if (old != NULL)
		kmeta_owner_destroy(km, old);
	return 0;
}

struct kns *
kmeta_ns_find(const struct kmeta *km, const char *name)
{
	uint32_t h = kmeta_hash_str(name, 4);
	struct klink *l;
	struct kns *n;

	for (l = kmeta_tab_first(&km->namespaces, h); l != NULL; l = l->next) {
		n = container_of(l, struct kns, link);
		if (l->hash == h && strcmp(n->name, name) == 0)
			return n;
	}
	return NULL;
}

void
kmeta_ns_destroy(struct kmeta *km, struct kns *n)
{
	kmeta_tab_remove(&km->namespaces, &n->link);
	kmeta_str_put(&km->mem, n->name);
	kmeta_str_put(&km->mem, n->labels);
	kmeta_mem_free(&km->mem, n);
}

int
kmeta_ns_apply(struct kmeta *km, struct json_object *obj, bool deleted,
    struct kmeta_err *e)
{
	struct json_object *labels = NULL;
	struct kns *n, *old;
	struct kmeta_meta m;
	int r;

	if ((r = kmeta_json_meta(obj, &m, false, e, "Namespace")) != 0)
		return r;
	old = kmeta_ns_find(km, m.name);
	if (deleted) {
		if (old != NULL)
			kmeta_ns_destroy(km, old);
		return 0;
	}
	if ((r = kmeta_json_labels(m.labels, false, &labels, e,
	    "Namespace")) != 0)
		return r;
	if ((n = kmeta_mem_alloc(&km->mem, sizeof(*n))) == NULL) {
		json_object_put(labels);
		return -ENOMEM;
	}
	n->name = kmeta_str_dup(&km->mem, m.name);
	n->labels = kmeta_str_dup(&km->mem, kmeta_json_text(labels));
	json_object_put(labels);
	if (n->name == NULL || n->labels == NULL ||
	    kmeta_tab_insert(&km->mem, &km->namespaces, &n->link,
	    kmeta_hash_str(n->name, 4)) != 0) {
		n->link.hash = 0;
		kmeta_ns_destroy(km, n);
		return -ENOMEM;
	}
	if (old != NULL)
		kmeta_ns_destroy(km, old);
	return 0;
}

struct knode *
kmeta_node_find(const struct kmeta *km, const char *name)
{
	uint32_t h = kmeta_hash_str(name, 5);
	struct klink *l;
	struct knode *n;

	for (l = kmeta_tab_first(&km->nodes, h); l != NULL; l = l->next) {
		n = container_of(l, struct knode, link);
		if (l->hash == h && strcmp(n->name, name) == 0)
			return n;
	}
	return NULL;
}

void
kmeta_node_destroy(struct kmeta *km, struct knode *n)
{
	int i;

	kmeta_tab_remove(&km->nodes, &n->link);
	for (i = 0; i < n->nips; i++)
		kmeta_ip_remove(km, &km->node_ips, &n->ips[i], n);
	kmeta_str_put(&km->mem, n->name);
	kmeta_str_put(&km->mem, n->uid);
	kmeta_mem_free(&km->mem, n);
}

int
kmeta_node_apply(struct kmeta *km, struct json_object *obj, bool deleted,
    struct kmeta_err *e)
{
	struct knode *n, *old;
	struct kmeta_meta m;
	int r, i;

	if ((r = kmeta_json_meta(obj, &m, false, e, "Node")) != 0)
		return r;
	old = kmeta_node_find(km, m.name);
	if (deleted) {
		if (old != NULL)
			kmeta_node_destroy(km, old);
		return 0;
	}
	if ((n = kmeta_mem_alloc(&km->mem, sizeof(*n))) == NULL)
		return -ENOMEM;
	if ((r = kmeta_json_ips(obj, "status.addresses", "address", NULL,
	    n->ips,
	    &n->nips, e, "Node")) != 0) {
		kmeta_mem_free(&km->mem, n);
		return r;
	}
	if ((n->name = kmeta_str_dup(&km->mem, m.name)) == NULL ||
	    (n->uid = kmeta_str_dup(&km->mem, m.uid)) == NULL)
		goto nomem;
	if (kmeta_tab_insert(&km->mem, &km->nodes, &n->link, kmeta_hash_str(n->name,
	    5))
	    != 0) {
		n->link.hash = 0;
		goto nomem;
	}
	for (i = 0; i < n->nips; i++) {
		if (kmeta_ip_add(km, &km->node_ips, &n->ips[i], n) != 0) {
			n->nips = i;
			goto nomem;
		}
	}
	if (old != NULL)
		kmeta_node_destroy(km, old);
	return 0;
nomem:
	kmeta_node_destroy(km, n);
	return -ENOMEM;
}
