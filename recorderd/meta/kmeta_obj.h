/*
 * kmeta_obj: the objects of the metadata cache (pods, owners, namespaces,
 * nodes, their address index) and struct kmeta that holds them: parsing
 * an API object into one, indexing, finding and removing it.
 */
#ifndef NPR_KMETA_OBJ_H
#define NPR_KMETA_OBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "recorderd/meta/kmeta.h"
#include "recorderd/meta/kmeta_json.h"
#include "recorderd/meta/kmeta_tab.h"

struct kpod {
	struct kmeta_pod p;
	struct klink by_name;
	struct klink by_uid;
	bool stale;
};

/* An address index entry: a pod's or a node's. */
struct kip {
	struct klink link;
	struct addr a;
	void *obj;
};

struct kowner {
	struct klink link;
	uint8_t kind;
	bool stale;
	const char *ns, *name, *uid;
	const char *parent_kind, *parent_name;	/* controller reference */
	const char *parent_uid;			/* its uid, "" none */
	const char *selector;	/* cleaned LabelSelector JSON, "" none */
};

struct kns {
	struct klink link;
	bool stale;
	const char *name;
	const char *labels;
};

struct knode {
	struct klink link;
	bool stale;
	const char *name;
	const char *uid;
	int nips;
	struct addr ips[STORE_MAX_ADDRS];
};

/* A workload seen to go (kmeta_take_gone), strings owned. */
struct kgone {
	char *kind, *ns, *name, *uid;
};

struct kmeta {
	struct kmem mem;		/* shared strings, bytes held */
	struct ktab pods_name, pods_uid, pod_ips;
	struct ktab owners, namespaces, nodes, node_ips;
	uint64_t generation;
	struct kgone *gone;		/* since the last kmeta_take_gone */
	size_t ngone, gone_cap, gone_dropped;
};

uint32_t kmeta_hash_nsname(const char *ns, const char *name);
struct kpod *kmeta_pod_find(const struct kmeta *km, const char *ns,
    const char *name);
void kmeta_ip_remove(struct kmeta *km, struct ktab *t, const struct addr *a,
    void *obj);
int kmeta_ip_add(struct kmeta *km, struct ktab *t, const struct addr *a,
    void *obj);
void kmeta_pod_destroy(struct kmeta *km, struct kpod *kp);
/* Note that a workload went (kmeta_take_gone): a pod without an owner
 * (kind "Pod"), or an owner of kind (enum kmeta_kind). */
void kmeta_note_pod_gone(struct kmeta *km, const struct kpod *kp);
void kmeta_note_owner_gone(struct kmeta *km, const struct kowner *o);
int kmeta_pod_apply(struct kmeta *km, struct json_object *obj, bool deleted,
    struct kmeta_err *e);
struct kowner *kmeta_owner_find(const struct kmeta *km, int kind,
    const char *ns, const char *name);
void kmeta_owner_destroy(struct kmeta *km, struct kowner *o);
int kmeta_owner_apply(struct kmeta *km, int kind, struct json_object *obj,
    bool deleted, struct kmeta_err *e);
struct kns *kmeta_ns_find(const struct kmeta *km, const char *name);
void kmeta_ns_destroy(struct kmeta *km, struct kns *n);
int kmeta_ns_apply(struct kmeta *km, struct json_object *obj, bool deleted,
    struct kmeta_err *e);
struct knode *kmeta_node_find(const struct kmeta *km, const char *name);
void kmeta_node_destroy(struct kmeta *km, struct knode *n);
int kmeta_node_apply(struct kmeta *km, struct json_object *obj, bool deleted,
    struct kmeta_err *e);

#endif
