/*
 *kmeta_int: what the files of the kmeta module (lib/kmeta*.c) share;
 * nothing outside lib/kmeta*.c includes this.
 *
 *   kmeta.c       the public API: owner walk, loading, lookups, relists
 *   kmeta_obj.c   pods, owners, namespaces, nodes: parse, index, remove
 *   kmeta_json.c  reading API objects: typed fields, labels, selectors
 *   kmeta_tab.c   hash tables, shared strings, memory accounting
 */
#ifndef NPR_KMETA_INT_H
#define NPR_KMETA_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "lib/kmeta.h"

#define container_of(p, t, m) ((t *)((char *)(p) - offsetof(t, m)))

/* Where a kind's selector comes from. */
enum sel_from {
	SEL_NONE = 0,
	SEL_LABEL_SELECTOR,	/* spec.selector, a LabelSelector */
	SEL_MAP,		/* spec.selector, a plain map (RC) */
	SEL_TEMPLATE,		/* spec.template.metadata.labels */
	SEL_JOB_TEMPLATE,	/* spec.jobTemplate.spec.template.metadata.labels */
};

/* How to name the parent when the object itself is not cached. */
enum infer {
	INFER_NONE = 0,
	/* "<deployment>-<pod-template-hash>": a Deployment's ReplicaSet. */
	INFER_TEMPLATE_HASH,
	/* "<cronjob>-<digits>": a CronJob's Job, if that CronJob is known. */
	INFER_CRONJOB_SUFFIX,
};

struct kmeta_kind_rule {
	const char *kind;
	bool owner;		/* an owner kind (kept in the owner table) */
	enum sel_from sel;	/* its selector */
	enum sel_from sel_fallback;	/* when sel is absent */
	const char *parent;	/* the controller kind it may have */
	enum infer infer;
};

extern const struct kmeta_kind_rule kmeta_kind_rules[KMETA_NKINDS];

struct klink {
	struct klink *next;
	uint32_t hash;
};

struct ktab {
	struct klink **b;
	size_t nb;		/* power of two, or 0 */
	size_t count;
};

struct kstr {
	struct klink link;
	uint32_t refs;
	uint32_t len;
	char s[];
};

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
	int nips;
	struct addr ips[STORE_MAX_ADDRS];
};

struct kmeta {
	struct ktab strs;
	struct ktab pods_name, pods_uid, pod_ips;
	struct ktab owners, namespaces, nodes, node_ips;
	size_t bytes;
	uint64_t generation;
};

/* "" for every empty string: not counted, never freed. */
extern char kmeta_str_empty[1];

/* Where parse errors go (err may be NULL). */
struct kmeta_err {
	char *buf;
	size_t len;
};

/* The metadata fields every object has (borrowed from the JSON). */
struct kmeta_meta {
	const char *ns, *name, *uid;
	const char *owner_kind, *owner_name;
	struct json_object *labels;
};

/*kmeta_tab.c */
void *kmeta_mem_alloc(struct kmeta *km, size_t n);
void kmeta_mem_free(struct kmeta *km, void *p);
uint32_t kmeta_hash(const void *data, size_t len, uint32_t seed);
uint32_t kmeta_hash_str(const char *s, uint32_t seed);
int kmeta_tab_insert(struct kmeta *km, struct ktab *t, struct klink *l,
    uint32_t hash);
void kmeta_tab_remove(struct ktab *t, struct klink *l);
struct klink *kmeta_tab_first(const struct ktab *t, uint32_t hash);
void kmeta_tab_free(struct kmeta *km, struct ktab *t);
const char *kmeta_str_get(struct kmeta *km, const char *s, size_t len);
const char *kmeta_str_dup(struct kmeta *km, const char *s);
void kmeta_str_put(struct kmeta *km, const char *s);

/*kmeta_json.c. Errors: -EINVAL with the message in e. */
int kmeta_err_set(struct kmeta_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
struct json_object *kmeta_json_path(struct json_object *o, const char *path);
int kmeta_json_str(struct json_object *o, const char *path, const char **out,
    struct kmeta_err *e, const char *what);
int kmeta_json_type(struct json_object *o, const char *path, json_type t,
    struct json_object **out, struct kmeta_err *e, const char *what);
int kmeta_json_labels(struct json_object *src, bool clean,
    struct json_object **out, struct kmeta_err *e, const char *what);
const char *kmeta_json_text(struct json_object *o);
int kmeta_json_selector(struct kmeta *km, struct json_object *obj,
    enum sel_from how, const char **out, bool *found, struct kmeta_err *e,
    const char *what);
int64_t kmeta_json_time(const char *s);
int kmeta_json_meta(struct json_object *obj, struct kmeta_meta *m,
    bool namespaced, struct kmeta_err *e, const char *what);
int kmeta_json_ports(struct json_object *pod, struct json_object **out,
    struct kmeta_err *e, const char *what);
int kmeta_json_ips(struct json_object *obj, const char *arrpath,
    const char *key, const char *single, struct addr *ips, int *nips,
    struct kmeta_err *e, const char *what);

/*kmeta_obj.c */
uint32_t kmeta_hash_nsname(const char *ns, const char *name);
struct kpod *kmeta_pod_find(const struct kmeta *km, const char *ns,
    const char *name);
void kmeta_ip_remove(struct kmeta *km, struct ktab *t, const struct addr *a,
    void *obj);
int kmeta_ip_add(struct kmeta *km, struct ktab *t, const struct addr *a,
    void *obj);
void kmeta_pod_destroy(struct kmeta *km, struct kpod *kp);
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
