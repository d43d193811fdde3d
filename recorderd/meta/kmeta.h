/*
 * kmeta: the Kubernetes metadata cache (pods, their owners, namespaces,
 * nodes) and the owner rules that turn a pod into its workload.
 *
 * Pure model: no I/O except kmeta_load_list_file(). Objects come in as
 * json-c objects shaped like the Kubernetes API (a List file, or list and
 * watch responses of the API client) and are kept in a compact form: only
 * the fields the recorder needs, strings shared between objects (a
 * namespace, a node name or a label set is stored once however many pods
 * use it). Lookups by IP, by namespace/name and by uid are hash tables.
 *
 * Not thread-safe: one thread owns a struct kmeta.
 */
#ifndef NPR_KMETA_H
#define NPR_KMETA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/store.h"
#include "recorderd/meta/kmeta_kind.h"

struct json_object;
struct kmeta;

/*
 * A pod as cached. All strings are borrowed from the cache and never NULL
 * ("" when unknown).
 *
 * NOTE on the interface: the strings are `const char *` rather than the
 * fixed char arrays first sketched in notes/kmeta_iface.md, because fixed
 * arrays alone (256 + 256 + 160 + 256 bytes) would put 100,000 pods over
 * the 100 MB budget. Reading them (printf "%s", strcmp, snprintf into a
 * store_attachment field) is written the same way; only sizeof(p->name)
 * differs, so copy with snprintf(dst, sizeof(dst), "%s", p->name).
 */
struct kmeta_pod {
	const char *namespace_;
	const char *name;
	const char *uid;
	const char *node;		/* spec.nodeName, "" unscheduled */
	int nips;
	struct addr ips[STORE_MAX_ADDRS];	/* status.podIPs */
	bool host_network;		/* spec.hostNetwork */
	bool terminated;		/* phase Succeeded or Failed */
	int64_t started_at;		/* status.startTime, Unix s, 0 unknown */
	const char *labels_json;	/* metadata.labels as a JSON object */
	const char *owner_kind;		/* controller ownerReference, "" none */
	const char *owner_name;
	const char *owner_uid;		/* its uid, "" when not given */
	const char *ports_json;		/* named container ports, "" none:
					 * [{"name":"http","port":8080,
					 *   "protocol":"TCP"}] */
};

/* A new, empty cache; the caller owns *out and frees it with kmeta_free().
 * Returns 0 or -ENOMEM. */
int kmeta_new(struct kmeta **out);
void kmeta_free(struct kmeta *km);

/*
 * km takes over the content of with (a cache built aside, e.g. from a
 * whole List), keeping its address, and its generation moves on; with
 * gets km's old content (free it with kmeta_free()).
 */
void kmeta_replace(struct kmeta *km, struct kmeta *with);

/*
 * Incremental updates, as the API client's list and watch deliver them.
 * obj is borrowed (an API object of kind; list items lack "kind", so the
 * caller says it). deleted removes the object (by uid, or namespace/name).
 * Returns 0, -EINVAL with err set when obj is malformed (nothing changed),
 * or -ENOMEM.
 */
int kmeta_apply(struct kmeta *km, int kind, bool deleted,
    struct json_object *obj, char *err, size_t errlen);
/*
 * A relist of one kind: sync_begin marks every object of kind stale,
 * kmeta_apply() of each listed object refreshes it, sync_end removes the
 * objects still stale (deleted while we were not watching). sync_abort
 * (the list failed halfway) keeps everything.
 */
void kmeta_sync_begin(struct kmeta *km, int kind);
void kmeta_sync_end(struct kmeta *km, int kind);
void kmeta_sync_abort(struct kmeta *km, int kind);

/* Lookups; returned pointers are borrowed, valid until the next change.
 * By IP: pods with hostNetwork (their IP is the node's) and terminated
 * pods are only returned when no running pod holds the address. */
const struct kmeta_pod *kmeta_pod_by_ip(const struct kmeta *km,
    const struct addr *a);
const struct kmeta_pod *kmeta_pod_by_name(const struct kmeta *km,
    const char *ns, const char *name);
const struct kmeta_pod *kmeta_pod_by_uid(const struct kmeta *km,
    const char *uid);

typedef int (*kmeta_pod_cb)(const struct kmeta_pod *p, void *arg);
/* Call cb for every pod (no particular order); a non-zero return stops
 * the walk and is returned. */
int kmeta_pod_foreach(const struct kmeta *km, kmeta_pod_cb cb, void *arg);

/*
 * The pod's workload after the owner chain (Pod -> ReplicaSet ->
 * Deployment, Pod -> Job -> CronJob, StatefulSet, DaemonSet,
 * ReplicationController, bare Pod): fills namespace_, kind, name,
 * selector_json (a LabelSelector, per-pod labels removed), labels_json
 * (the pod's labels without per-pod ones), ports_json, host_network,
 * started_at, and uid: the workload object's uid as the API gave it (the
 * cached object's, else the uid in the ownerReference that named it, the
 * pod's own for a bare pod; "" when it was named by inference, e.g. a
 * Deployment from its pods' pod-template-hash); id is 0. The chain
 * follows ownerReferences, so an owner whose object is not cached is
 * still named (a Deployment named by its ReplicaSet); selectors come from
 * the deepest object known. Caller frees with store_workload_clear().
 * Returns 0 or -ENOMEM (out is then clear).
 */
int kmeta_pod_workload(const struct kmeta *km, const struct kmeta_pod *p,
    struct store_workload *out);

/* The labels of a namespace as a JSON object (borrowed), NULL when the
 * namespace is not known. */
const char *kmeta_namespace_labels(const struct kmeta *km, const char *ns);

/* Is a an address of a node (status.addresses)? Copies the node name. */
bool kmeta_node_by_ip(const struct kmeta *km, const struct addr *a,
    char *name, size_t len);

/* The uid of node name (borrowed); NULL when the node is not cached. */
const char *kmeta_node_uid(const struct kmeta *km, const char *name);

/*
 * Workloads the cache saw go away: an owner object (ReplicaSet,
 * Deployment, ...) deleted or found gone at a relist (kmeta_sync_end),
 * and a pod without an owner, which is its own workload (kind "Pod").
 * Strings are borrowed for the call.
 */
struct kmeta_gone {
	const char *kind;		/* "Deployment", ..., "Pod" */
	const char *ns;
	const char *name;
	const char *uid;		/* "" when the object had none */
};

/* At most this many are kept between two kmeta_take_gone() calls; more
 * are counted and dropped (the caller then learns of them only by the
 * garbage collector's work or retention). */
#define KMETA_GONE_MAX 4096

/*
 * Hand every workload gone since the last call to cb, oldest first, and
 * forget them. Returns how many were dropped since the last call because
 * more than KMETA_GONE_MAX came.
 */
size_t kmeta_take_gone(struct kmeta *km,
    void (*cb)(void *arg, const struct kmeta_gone *g), void *arg);

/* Bumped on every change, so consumers know to re-attribute. */
uint64_t kmeta_generation(const struct kmeta *km);

struct kmeta_stats {
	size_t pods, namespaces, nodes, owners;
	size_t strings;		/* distinct shared strings */
	size_t bytes;		/* heap bytes held by the cache */
};
void kmeta_get_stats(const struct kmeta *km, struct kmeta_stats *out);

#endif
