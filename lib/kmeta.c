/*
 * kmeta: the Kubernetes metadata cache and the owner rules.
 *
 * Memory: 100,000 pods must fit in well under 100 MB, so a pod keeps only
 * pointers to shared, reference-counted strings (kstr below): the pods of
 * one ReplicaSet share their namespace, node, label set, owner and ports
 * strings; only name and uid are per pod. Indexes are chained hash tables
 * with the links inside the objects (no allocation per lookup).
 */
#include "lib/kmeta.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "lib/yamljson.h"

#define container_of(p, t, m) ((t *)((char *)(p) - offsetof(t, m)))
#define KM_MAX_CHAIN 8		/* owner chain depth bound */

/* ---- the owner rules ---------------------------------------------------- */

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

struct kind_rule {
	const char *kind;
	bool owner;		/* an owner kind (kept in the owner table) */
	enum sel_from sel;	/* its selector */
	enum sel_from sel_fallback;	/* when sel is absent */
	const char *parent;	/* the controller kind it may have */
	enum infer infer;
};

/* One table for every kind the cache knows; index = enum kmeta_kind. */
static const struct kind_rule kind_rules[KMETA_NKINDS] = {
	[KMETA_POD] = { .kind = "Pod" },
	[KMETA_NAMESPACE] = { .kind = "Namespace" },
	[KMETA_NODE] = { .kind = "Node" },
	[KMETA_REPLICASET] = { .kind = "ReplicaSet", .owner = true,
	    .sel = SEL_LABEL_SELECTOR, .sel_fallback = SEL_TEMPLATE,
	    .parent = "Deployment", .infer = INFER_TEMPLATE_HASH },
	[KMETA_DEPLOYMENT] = { .kind = "Deployment", .owner = true,
	    .sel = SEL_LABEL_SELECTOR, .sel_fallback = SEL_TEMPLATE },
	[KMETA_STATEFULSET] = { .kind = "StatefulSet", .owner = true,
	    .sel = SEL_LABEL_SELECTOR, .sel_fallback = SEL_TEMPLATE },
	[KMETA_DAEMONSET] = { .kind = "DaemonSet", .owner = true,
	    .sel = SEL_LABEL_SELECTOR, .sel_fallback = SEL_TEMPLATE },
	/* A Job's spec.selector names one run by its controller uid: the
	 * workload's selector is its pod template's labels instead. */
	[KMETA_JOB] = { .kind = "Job", .owner = true, .sel = SEL_TEMPLATE,
	    .parent = "CronJob", .infer = INFER_CRONJOB_SUFFIX },
	[KMETA_CRONJOB] = { .kind = "CronJob", .owner = true,
	    .sel = SEL_JOB_TEMPLATE },
	[KMETA_REPLICATIONCONTROLLER] = { .kind = "ReplicationController",
	    .owner = true, .sel = SEL_MAP, .sel_fallback = SEL_TEMPLATE },
};

/* Labels that differ from pod to pod of one workload. */
static const char *const per_pod_labels[] = {
	"pod-template-hash",
	"controller-revision-hash",
	"pod-template-generation",
	"statefulset.kubernetes.io/pod-name",
	"apps.kubernetes.io/pod-index",
	"batch.kubernetes.io/controller-uid",
	"controller-uid",
	"job-name",
	"batch.kubernetes.io/job-name",
	"batch.kubernetes.io/job-completion-index",
};

const char *
kmeta_kind_name(int kind)
{
	if (kind < 0 || kind >= KMETA_NKINDS)
		return NULL;
	return kind_rules[kind].kind;
}

int
kmeta_kind_parse(const char *name)
{
	int i;

	for (i = 0; i < KMETA_NKINDS; i++)
		if (strcmp(kind_rules[i].kind, name) == 0)
			return i;
	return -EINVAL;
}

bool
kmeta_label_is_per_pod(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(per_pod_labels) / sizeof(per_pod_labels[0]);
	    i++)
		if (strcmp(per_pod_labels[i], key) == 0)
			return true;
	return false;
}

/* ---- the cache's structures --------------------------------------------- */

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

static char km_empty[1];

/* ---- allocation with accounting ----------------------------------------- */

static void *
km_alloc(struct kmeta *km, size_t n)
{
	void *p = calloc(1, n);

	if (p != NULL)
		km->bytes += malloc_usable_size(p);
	return p;
}

static void
km_free(struct kmeta *km, void *p)
{
	if (p == NULL)
		return;
	km->bytes -= malloc_usable_size(p);
	free(p);
}

static uint32_t
km_hash(const void *data, size_t len, uint32_t seed)
{
	const unsigned char *p = data;
	uint64_t h = 1469598103934665603ULL ^ seed;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return (uint32_t)(h ^ (h >> 32));
}

static uint32_t
km_hash_str(const char *s, uint32_t seed)
{
	return km_hash(s, strlen(s), seed);
}

/* ---- hash tables -------------------------------------------------------- */

static int
ktab_grow(struct kmeta *km, struct ktab *t)
{
	size_t nb = t->nb == 0 ? 64 : t->nb * 2, i;
	struct klink **b, *l, *n;

	if ((b = km_alloc(km, nb * sizeof(*b))) == NULL)
		return -ENOMEM;
	for (i = 0; i < t->nb; i++) {
		for (l = t->b[i]; l != NULL; l = n) {
			n = l->next;
			l->next = b[l->hash & (nb - 1)];
			b[l->hash & (nb - 1)] = l;
		}
	}
	km_free(km, t->b);
	t->b = b;
	t->nb = nb;
	return 0;
}

static int
ktab_insert(struct kmeta *km, struct ktab *t, struct klink *l, uint32_t hash)
{
	int r;

	if (t->count >= t->nb && (r = ktab_grow(km, t)) != 0)
		return r;
	l->hash = hash;
	l->next = t->b[hash & (t->nb - 1)];
	t->b[hash & (t->nb - 1)] = l;
	t->count++;
	return 0;
}

static void
ktab_remove(struct ktab *t, struct klink *l)
{
	struct klink **pp;

	if (t->nb == 0)
		return;
	for (pp = &t->b[l->hash & (t->nb - 1)]; *pp != NULL;
	    pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			t->count--;
			return;
		}
	}
}

static struct klink *
ktab_first(const struct ktab *t, uint32_t hash)
{
	return t->nb == 0 ? NULL : t->b[hash & (t->nb - 1)];
}

static void
ktab_free(struct kmeta *km, struct ktab *t)
{
	km_free(km, t->b);
	memset(t, 0, sizeof(*t));
}

/* ---- shared strings ------------------------------------------------------ */

static const char *
kstr_get(struct kmeta *km, const char *s, size_t len)
{
	uint32_t h;
	struct klink *l;
	struct kstr *k;

	if (len == 0)
		return km_empty;
	h = km_hash(s, len, 0);
	for (l = ktab_first(&km->strs, h); l != NULL; l = l->next) {
		k = container_of(l, struct kstr, link);
		if (l->hash == h && k->len == len && memcmp(k->s, s, len) == 0) {
			k->refs++;
			return k->s;
		}
	}
	if ((k = km_alloc(km, sizeof(*k) + len + 1)) == NULL)
		return NULL;
	k->refs = 1;
	k->len = (uint32_t)len;
	memcpy(k->s, s, len);
	if (ktab_insert(km, &km->strs, &k->link, h) != 0) {
		km_free(km, k);
		return NULL;
	}
	return k->s;
}

static const char *
kstr_dup(struct kmeta *km, const char *s)
{
	return kstr_get(km, s, strlen(s));
}

static void
kstr_put(struct kmeta *km, const char *s)
{
	struct kstr *k;

	if (s == NULL || s == km_empty)
		return;
	k = container_of(s, struct kstr, s);
	if (--k->refs > 0)
		return;
	ktab_remove(&km->strs, &k->link);
	km_free(km, k);
}

/* ---- JSON helpers ------------------------------------------------------- */

struct perr {
	char *buf;
	size_t len;
};

static int
perr_set(struct perr *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
perr_set(struct perr *e, const char *fmt, ...)
{
	va_list ap;

	if (e->buf != NULL && e->len > 0) {
		va_start(ap, fmt);
		vsnprintf(e->buf, e->len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Follow a dotted path of object keys; NULL when any step is missing or
 * null. */
static struct json_object *
jpath(struct json_object *o, const char *path)
{
	char key[64];
	const char *p = path, *dot;
	size_t n;

	while (o != NULL && *p != '\0') {
		if (!json_object_is_type(o, json_type_object))
			return NULL;
		dot = strchr(p, '.');
		n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		p += n + (dot != NULL);
	}
	return o;
}

/* A string at path: 0 with *out (borrowed) or NULL when absent, -EINVAL
 * when present with another type. */
static int
jstr(struct json_object *o, const char *path, const char **out,
    struct perr *e, const char *what)
{
	struct json_object *v = jpath(o, path);

	*out = NULL;
	if (v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return perr_set(e, "%s: %s: expected a string", what, path);
	*out = json_object_get_string(v);
	return 0;
}

static int
jtype(struct json_object *o, const char *path, json_type t,
    struct json_object **out, struct perr *e, const char *what)
{
	struct json_object *v = jpath(o, path);

	*out = NULL;
	if (v == NULL)
		return 0;
	if (!json_object_is_type(v, t))
		return perr_set(e, "%s: %s: expected %s", what, path,
		    t == json_type_object ? "an object" :
		    t == json_type_array ? "an array" :
		    t == json_type_boolean ? "a boolean" : "a number");
	*out = v;
	return 0;
}

static int
key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * A new JSON object with the string labels of src, keys sorted, per-pod
 * labels dropped when clean. -EINVAL when a value is not a string.
 */
static int
labels_copy(struct json_object *src, bool clean, struct json_object **out,
    struct perr *e, const char *what)
{
	struct json_object *dst = NULL;
	const char **keys = NULL;
	size_t n = 0, i;
	int r = 0;

	*out = NULL;
	if ((dst = json_object_new_object()) == NULL)
		return -ENOMEM;
	if (src == NULL)
		goto done;
	if (!json_object_is_type(src, json_type_object)) {
		r = perr_set(e, "%s: labels: expected an object", what);
		goto fail;
	}
	if ((keys = calloc(json_object_object_length(src) + 1,
	    sizeof(*keys))) == NULL) {
		r = -ENOMEM;
		goto fail;
	}
	json_object_object_foreach(src, k, v) {
		if (!json_object_is_type(v, json_type_string)) {
			r = perr_set(e, "%s: label %s: expected a string",
			    what, k);
			goto fail;
		}
		if (!clean || !kmeta_label_is_per_pod(k))
			keys[n++] = k;
	}
	qsort(keys, n, sizeof(*keys), key_cmp);
	for (i = 0; i < n; i++) {
		struct json_object *lv = json_object_object_get(src, keys[i]);

		if (json_object_object_add(dst, keys[i],
		    json_object_get(lv)) != 0) {
			r = -ENOMEM;
			goto fail;
		}
	}
done:
	free(keys);
	*out = dst;
	return 0;
fail:
	free(keys);
	json_object_put(dst);
	return r;
}

static const char *
jtext(struct json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
}

/*
 * The cleaned LabelSelector JSON from matchLabels (a map) and
 * matchExpressions (an array, may be NULL) into a shared string; "" when
 * nothing stable is left.
 */
static int
selector_make(struct kmeta *km, struct json_object *labels,
    struct json_object *exprs, const char **out, struct perr *e,
    const char *what)
{
	struct json_object *sel = NULL, *ml = NULL, *me = NULL, *x, *key;
	size_t i, n;
	int r;

	*out = km_empty;
	if ((r = labels_copy(labels, true, &ml, e, what)) != 0)
		return r;
	if ((me = json_object_new_array()) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	n = exprs != NULL ? json_object_array_length(exprs) : 0;
	for (i = 0; i < n; i++) {
		x = json_object_array_get_idx(exprs, i);
		if (!json_object_is_type(x, json_type_object) ||
		    !json_object_object_get_ex(x, "key", &key) ||
		    !json_object_is_type(key, json_type_string)) {
			r = perr_set(e, "%s: matchExpressions[%zu]: expected "
			    "an object with a string key", what, i);
			goto out;
		}
		if (kmeta_label_is_per_pod(json_object_get_string(key)))
			continue;
		if (json_object_array_add(me, json_object_get(x)) != 0) {
			r = -ENOMEM;
			goto out;
		}
	}
	if (json_object_object_length(ml) == 0 &&
	    json_object_array_length(me) == 0)
		goto out;
	if ((sel = json_object_new_object()) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	if (json_object_object_length(ml) > 0) {
		json_object_object_add(sel, "matchLabels", ml);
		ml = NULL;
	}
	if (json_object_array_length(me) > 0) {
		json_object_object_add(sel, "matchExpressions", me);
		me = NULL;
	}
	if ((*out = kstr_dup(km, jtext(sel))) == NULL) {
		*out = km_empty;
		r = -ENOMEM;
	}
out:
	json_object_put(sel);
	json_object_put(ml);
	json_object_put(me);
	return r;
}

static int
selector_from(struct kmeta *km, struct json_object *obj, enum sel_from how,
    const char **out, bool *found, struct perr *e, const char *what)
{
	struct json_object *sel = NULL, *ml = NULL, *me = NULL;
	int r;

	*found = false;
	*out = km_empty;
	switch (how) {
	case SEL_NONE:
		return 0;
	case SEL_LABEL_SELECTOR:
		if ((r = jtype(obj, "spec.selector", json_type_object, &sel, e,
		    what)) != 0)
			return r;
		if (sel == NULL)
			return 0;
		if ((r = jtype(sel, "matchLabels", json_type_object, &ml, e,
		    what)) != 0 ||
		    (r = jtype(sel, "matchExpressions", json_type_array, &me,
		    e, what)) != 0)
			return r;
		break;
	case SEL_MAP:
		if ((r = jtype(obj, "spec.selector", json_type_object, &ml, e,
		    what)) != 0)
			return r;
		if (ml == NULL)
			return 0;
		break;
	case SEL_TEMPLATE:
		if ((r = jtype(obj, "spec.template.metadata.labels",
		    json_type_object, &ml, e, what)) != 0)
			return r;
		break;
	case SEL_JOB_TEMPLATE:
		if ((r = jtype(obj,
		    "spec.jobTemplate.spec.template.metadata.labels",
		    json_type_object, &ml, e, what)) != 0)
			return r;
		break;
	}
	*found = true;
	return selector_make(km, ml, me, out, e, what);
}

/* ---- parsing objects ---------------------------------------------------- */

/* RFC 3339 "2024-05-01T10:00:00Z" (fraction and offset allowed). */
static int64_t
parse_time(const char *s)
{
	struct tm tm;
	const char *p;
	int64_t t;
	int sign, hh, mm;

	if (s == NULL)
		return 0;
	memset(&tm, 0, sizeof(tm));
	if ((p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return 0;
	t = (int64_t)timegm(&tm);
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (sscanf(p + 1, "%2d:%2d", &hh, &mm) == 2)
			t -= sign * (hh * 3600 + mm * 60);
	}
	return t;
}

struct meta {
	const char *ns, *name, *uid;
	const char *owner_kind, *owner_name;
	struct json_object *labels;
};

static int
parse_meta(struct json_object *obj, struct meta *m, bool namespaced,
    struct perr *e, const char *what)
{
	struct json_object *refs, *ref, *first = NULL, *v;
	const char *k, *n;
	size_t i, len;
	int r;

	memset(m, 0, sizeof(*m));
	if (!json_object_is_type(obj, json_type_object))
		return perr_set(e, "%s: expected an object", what);
	if ((r = jstr(obj, "metadata.name", &m->name, e, what)) != 0 ||
	    (r = jstr(obj, "metadata.namespace", &m->ns, e, what)) != 0 ||
	    (r = jstr(obj, "metadata.uid", &m->uid, e, what)) != 0 ||
	    (r = jtype(obj, "metadata.labels", json_type_object, &m->labels, e,
	    what)) != 0 ||
	    (r = jtype(obj, "metadata.ownerReferences", json_type_array, &refs,
	    e, what)) != 0)
		return r;
	if (m->name == NULL || *m->name == '\0')
		return perr_set(e, "%s: metadata.name is missing", what);
	if (m->ns == NULL)
		m->ns = namespaced ? "default" : "";
	if (m->uid == NULL)
		m->uid = "";
	len = refs != NULL ? json_object_array_length(refs) : 0;
	/* The controller reference; else the first reference of a kind we
	 * know as an owner (hand-written files often omit controller). */
	for (i = 0; i < len; i++) {
		ref = json_object_array_get_idx(refs, i);
		if ((r = jstr(ref, "kind", &k, e, what)) != 0 ||
		    (r = jstr(ref, "name", &n, e, what)) != 0)
			return r;
		if (k == NULL || n == NULL)
			return perr_set(e, "%s: ownerReferences[%zu]: kind and "
			    "name are required", what, i);
		if (json_object_object_get_ex(ref, "controller", &v) &&
		    json_object_get_boolean(v)) {
			first = ref;
			break;
		}
		if (first == NULL && kmeta_kind_parse(k) >= 0 &&
		    kind_rules[kmeta_kind_parse(k)].owner)
			first = ref;
	}
	if (first != NULL) {
		jstr(first, "kind", &m->owner_kind, e, what);
		jstr(first, "name", &m->owner_name, e, what);
	}
	return 0;
}

static int
parse_ports(struct json_object *pod, struct json_object **out,
    struct perr *e, const char *what)
{
	struct json_object *cs, *ports, *c, *p, *v, *arr, *o;
	const char *name, *proto;
	size_t i, j;
	int r;

	*out = NULL;
	if ((r = jtype(pod, "spec.containers", json_type_array, &cs, e,
	    what)) != 0)
		return r;
	if ((arr = json_object_new_array()) == NULL)
		return -ENOMEM;
	for (i = 0; cs != NULL && i < json_object_array_length(cs); i++) {
		c = json_object_array_get_idx(cs, i);
		if ((r = jtype(c, "ports", json_type_array, &ports, e,
		    what)) != 0)
			goto fail;
		for (j = 0; ports != NULL &&
		    j < json_object_array_length(ports); j++) {
			p = json_object_array_get_idx(ports, j);
			if ((r = jstr(p, "name", &name, e, what)) != 0 ||
			    (r = jstr(p, "protocol", &proto, e, what)) != 0 ||
			    (r = jtype(p, "containerPort", json_type_int, &v,
			    e, what)) != 0)
				goto fail;
			if (name == NULL || v == NULL)
				continue;
			if ((o = json_object_new_object()) == NULL) {
				r = -ENOMEM;
				goto fail;
			}
			json_object_object_add(o, "name",
			    json_object_new_string(name));
			json_object_object_add(o, "port",
			    json_object_new_int(json_object_get_int(v)));
			json_object_object_add(o, "protocol",
			    json_object_new_string(proto != NULL ? proto :
			    "TCP"));
			json_object_array_add(arr, o);
		}
	}
	*out = arr;
	return 0;
fail:
	json_object_put(arr);
	return r;
}

static int
parse_ips(struct json_object *obj, const char *arrpath, const char *key,
    const char *single, struct addr *ips, int *nips, struct perr *e,
    const char *what)
{
	struct json_object *arr, *x;
	const char *s, *type;
	struct addr a;
	size_t i;
	int r, j;

	*nips = 0;
	if ((r = jtype(obj, arrpath, json_type_array, &arr, e, what)) != 0)
		return r;
	for (i = 0; arr != NULL && i < json_object_array_length(arr); i++) {
		x = json_object_array_get_idx(arr, i);
		if ((r = jstr(x, key, &s, e, what)) != 0)
			return r;
		if (strcmp(key, "address") == 0) {
			/* Node addresses: IPs only, not Hostname. */
			if ((r = jstr(x, "type", &type, e, what)) != 0)
				return r;
			if (type != NULL && strcmp(type, "InternalIP") != 0 &&
			    strcmp(type, "ExternalIP") != 0)
				continue;
		}
		if (s == NULL || addr_parse(s, &a) != 0)
			continue;
		for (j = 0; j < *nips; j++)
			if (addr_equal(&ips[j], &a))
				break;
		if (j == *nips && *nips < STORE_MAX_ADDRS)
			ips[(*nips)++] = a;
	}
	if (*nips == 0 && single != NULL) {
		if ((r = jstr(obj, single, &s, e, what)) != 0)
			return r;
		if (s != NULL && addr_parse(s, &a) == 0)
			ips[(*nips)++] = a;
	}
	return 0;
}

/* ---- pods ------------------------------------------------------------- */

static uint32_t
hash_nsname(const char *ns, const char *name)
{
	return km_hash_str(ns, 0) ^ (km_hash_str(name, 1) * 2654435761u);
}

static struct kpod *
pod_find(const struct kmeta *km, const char *ns, const char *name)
{
	uint32_t h = hash_nsname(ns, name);
	struct klink *l;
	struct kpod *kp;

	for (l = ktab_first(&km->pods_name, h); l != NULL; l = l->next) {
		kp = container_of(l, struct kpod, by_name);
		if (l->hash == h && strcmp(kp->p.name, name) == 0 &&
		    strcmp(kp->p.namespace_, ns) == 0)
			return kp;
	}
	return NULL;
}

static void
ip_index_remove(struct kmeta *km, struct ktab *t, const struct addr *a,
    void *obj)
{
	uint32_t h = km_hash(a, sizeof(*a), 2);
	struct klink *l;
	struct kip *ki;

	for (l = ktab_first(t, h); l != NULL; l = l->next) {
		ki = container_of(l, struct kip, link);
		if (ki->obj == obj && addr_equal(&ki->a, a)) {
			ktab_remove(t, l);
			km_free(km, ki);
			return;
		}
	}
}

static int
ip_index_add(struct kmeta *km, struct ktab *t, const struct addr *a, void *obj)
{
	struct kip *ki;
	struct addr key;

	memset(&key, 0, sizeof(key));
	addr_from_bytes(&key, a->family, a->bytes);
	if ((ki = km_alloc(km, sizeof(*ki))) == NULL)
		return -ENOMEM;
	ki->a = key;
	ki->obj = obj;
	if (ktab_insert(km, t, &ki->link, km_hash(&key, sizeof(key), 2)) != 0) {
		km_free(km, ki);
		return -ENOMEM;
	}
	return 0;
}

static void
pod_destroy(struct kmeta *km, struct kpod *kp)
{
	int i;

	/* Safe on a pod never (or only partly) indexed: removals look the
	 * link up first. */
	ktab_remove(&km->pods_name, &kp->by_name);
	ktab_remove(&km->pods_uid, &kp->by_uid);
	for (i = 0; i < kp->p.nips; i++)
		ip_index_remove(km, &km->pod_ips, &kp->p.ips[i], kp);
	kstr_put(km, kp->p.namespace_);
	kstr_put(km, kp->p.name);
	kstr_put(km, kp->p.uid);
	kstr_put(km, kp->p.node);
	kstr_put(km, kp->p.labels_json);
	kstr_put(km, kp->p.owner_kind);
	kstr_put(km, kp->p.owner_name);
	kstr_put(km, kp->p.ports_json);
	km_free(km, kp);
}

static int
pod_index(struct kmeta *km, struct kpod *kp)
{
	int i, r;

	if ((r = ktab_insert(km, &km->pods_name, &kp->by_name,
	    hash_nsname(kp->p.namespace_, kp->p.name))) != 0) {
		kp->p.nips = 0;
		return r;
	}
	if (*kp->p.uid != '\0' && (r = ktab_insert(km, &km->pods_uid,
	    &kp->by_uid, km_hash_str(kp->p.uid, 3))) != 0) {
		kp->p.nips = 0;
		return r;
	}
	for (i = 0; i < kp->p.nips; i++) {
		if ((r = ip_index_add(km, &km->pod_ips, &kp->p.ips[i],
		    kp)) != 0) {
			kp->p.nips = i;
			return r;
		}
	}
	return 0;
}

static int
pod_apply(struct kmeta *km, struct json_object *obj, bool deleted,
    struct perr *e)
{
	struct meta m;
	struct json_object *hn, *labels = NULL, *ports = NULL;
	struct kpod *kp = NULL, *old;
	const char *node, *phase, *start;
	int r;

	if ((r = parse_meta(obj, &m, true, e, "Pod")) != 0)
		return r;
	old = pod_find(km, m.ns, m.name);
	if (deleted) {
		/* A late delete of a pod since recreated under the same name
		 * (StatefulSet) must not remove the new one. */
		if (old != NULL && (*m.uid == '\0' ||
		    strcmp(old->p.uid, m.uid) == 0))
			pod_destroy(km, old);
		return 0;
	}
	if ((r = jstr(obj, "spec.nodeName", &node, e, "Pod")) != 0 ||
	    (r = jstr(obj, "status.phase", &phase, e, "Pod")) != 0 ||
	    (r = jstr(obj, "status.startTime", &start, e, "Pod")) != 0 ||
	    (r = jtype(obj, "spec.hostNetwork", json_type_boolean, &hn, e,
	    "Pod")) != 0)
		return r;
	if ((r = labels_copy(m.labels, false, &labels, e, "Pod")) != 0 ||
	    (r = parse_ports(obj, &ports, e, "Pod")) != 0)
		goto out;
	if ((kp = km_alloc(km, sizeof(*kp))) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	if ((r = parse_ips(obj, "status.podIPs", "ip", "status.podIP",
	    kp->p.ips, &kp->p.nips, e, "Pod")) != 0) {
		km_free(km, kp);
		kp = NULL;
		goto out;
	}
	kp->p.host_network = hn != NULL && json_object_get_boolean(hn);
	kp->p.terminated = phase != NULL && (strcmp(phase, "Succeeded") == 0 ||
	    strcmp(phase, "Failed") == 0);
	kp->p.started_at = parse_time(start);
	kp->p.namespace_ = kstr_dup(km, m.ns);
	kp->p.name = kstr_dup(km, m.name);
	kp->p.uid = kstr_dup(km, m.uid);
	kp->p.node = kstr_dup(km, node != NULL ? node : "");
	kp->p.labels_json = kstr_dup(km, jtext(labels));
	kp->p.owner_kind = kstr_dup(km, m.owner_kind != NULL ?
	    m.owner_kind : "");
	kp->p.owner_name = kstr_dup(km, m.owner_name != NULL ?
	    m.owner_name : "");
	kp->p.ports_json = kstr_dup(km, json_object_array_length(ports) > 0 ?
	    jtext(ports) : "");
	if (kp->p.namespace_ == NULL || kp->p.name == NULL ||
	    kp->p.uid == NULL || kp->p.node == NULL ||
	    kp->p.labels_json == NULL || kp->p.owner_kind == NULL ||
	    kp->p.owner_name == NULL || kp->p.ports_json == NULL) {
		r = -ENOMEM;
		goto fail;
	}
	if (old != NULL)
		pod_destroy(km, old);
	if ((r = pod_index(km, kp)) != 0)
		goto fail;
	kp = NULL;
out:
	json_object_put(labels);
	json_object_put(ports);
	return r;
fail:
	/* kstr_put takes NULL, so a half-filled pod unwinds the same way. */
	pod_destroy(km, kp);
	goto out;
}

/* ---- owners, namespaces, nodes ----------------------------------------- */

static uint32_t
hash_owner(int kind, const char *ns, const char *name)
{
	return hash_nsname(ns, name) ^ (uint32_t)kind * 0x9e3779b9u;
}

static struct kowner *
owner_find(const struct kmeta *km, int kind, const char *ns, const char *name)
{
	uint32_t h = hash_owner(kind, ns, name);
	struct klink *l;
	struct kowner *o;

	for (l = ktab_first(&km->owners, h); l != NULL; l = l->next) {
		o = container_of(l, struct kowner, link);
		if (l->hash == h && o->kind == kind &&
		    strcmp(o->name, name) == 0 && strcmp(o->ns, ns) == 0)
			return o;
	}
	return NULL;
}

static void
owner_destroy(struct kmeta *km, struct kowner *o)
{
	ktab_remove(&km->owners, &o->link);
	kstr_put(km, o->ns);
	kstr_put(km, o->name);
	kstr_put(km, o->uid);
	kstr_put(km, o->parent_kind);
	kstr_put(km, o->parent_name);
	kstr_put(km, o->selector);
	km_free(km, o);
}

static int
owner_apply(struct kmeta *km, int kind, struct json_object *obj, bool deleted,
    struct perr *e)
{
	const struct kind_rule *rule = &kind_rules[kind];
	struct kowner *o, *old;
	struct meta m;
	const char *sel = km_empty;
	bool found;
	int r;

	if ((r = parse_meta(obj, &m, true, e, rule->kind)) != 0)
		return r;
	old = owner_find(km, kind, m.ns, m.name);
	if (deleted) {
		if (old != NULL)
			owner_destroy(km, old);
		return 0;
	}
	if ((r = selector_from(km, obj, rule->sel, &sel, &found, e,
	    rule->kind)) != 0)
		return r;
	if (!found && (r = selector_from(km, obj, rule->sel_fallback, &sel,
	    &found, e, rule->kind)) != 0)
		return r;
	if ((o = km_alloc(km, sizeof(*o))) == NULL) {
		kstr_put(km, sel);
		return -ENOMEM;
	}
	o->kind = (uint8_t)kind;
	o->selector = sel;
	o->ns = kstr_dup(km, m.ns);
	o->name = kstr_dup(km, m.name);
	o->uid = kstr_dup(km, m.uid);
	o->parent_kind = kstr_dup(km, m.owner_kind != NULL ? m.owner_kind :
	    "");
	o->parent_name = kstr_dup(km, m.owner_name != NULL ? m.owner_name :
	    "");
	if (o->ns == NULL || o->name == NULL || o->uid == NULL ||
	    o->parent_kind == NULL || o->parent_name == NULL ||
	    ktab_insert(km, &km->owners, &o->link,
	    hash_owner(kind, o->ns, o->name)) != 0) {
		o->link.hash = 0;
		owner_destroy(km, o);
		return -ENOMEM;
	}
	if (old != NULL)
		owner_destroy(km, old);
	return 0;
}

static struct kns *
ns_find(const struct kmeta *km, const char *name)
{
	uint32_t h = km_hash_str(name, 4);
	struct klink *l;
	struct kns *n;

	for (l = ktab_first(&km->namespaces, h); l != NULL; l = l->next) {
		n = container_of(l, struct kns, link);
		if (l->hash == h && strcmp(n->name, name) == 0)
			return n;
	}
	return NULL;
}

static void
ns_destroy(struct kmeta *km, struct kns *n)
{
	ktab_remove(&km->namespaces, &n->link);
	kstr_put(km, n->name);
	kstr_put(km, n->labels);
	km_free(km, n);
}

static int
ns_apply(struct kmeta *km, struct json_object *obj, bool deleted,
    struct perr *e)
{
	struct json_object *labels = NULL;
	struct kns *n, *old;
	struct meta m;
	int r;

	if ((r = parse_meta(obj, &m, false, e, "Namespace")) != 0)
		return r;
	old = ns_find(km, m.name);
	if (deleted) {
		if (old != NULL)
			ns_destroy(km, old);
		return 0;
	}
	if ((r = labels_copy(m.labels, false, &labels, e, "Namespace")) != 0)
		return r;
	if ((n = km_alloc(km, sizeof(*n))) == NULL) {
		json_object_put(labels);
		return -ENOMEM;
	}
	n->name = kstr_dup(km, m.name);
	n->labels = kstr_dup(km, jtext(labels));
	json_object_put(labels);
	if (n->name == NULL || n->labels == NULL ||
	    ktab_insert(km, &km->namespaces, &n->link,
	    km_hash_str(n->name, 4)) != 0) {
		n->link.hash = 0;
		ns_destroy(km, n);
		return -ENOMEM;
	}
	if (old != NULL)
		ns_destroy(km, old);
	return 0;
}

static struct knode *
node_find(const struct kmeta *km, const char *name)
{
	uint32_t h = km_hash_str(name, 5);
	struct klink *l;
	struct knode *n;

	for (l = ktab_first(&km->nodes, h); l != NULL; l = l->next) {
		n = container_of(l, struct knode, link);
		if (l->hash == h && strcmp(n->name, name) == 0)
			return n;
	}
	return NULL;
}

static void
node_destroy(struct kmeta *km, struct knode *n)
{
	int i;

	ktab_remove(&km->nodes, &n->link);
	for (i = 0; i < n->nips; i++)
		ip_index_remove(km, &km->node_ips, &n->ips[i], n);
	kstr_put(km, n->name);
	km_free(km, n);
}

static int
node_apply(struct kmeta *km, struct json_object *obj, bool deleted,
    struct perr *e)
{
	struct knode *n, *old;
	struct meta m;
	int r, i;

	if ((r = parse_meta(obj, &m, false, e, "Node")) != 0)
		return r;
	old = node_find(km, m.name);
	if (deleted) {
		if (old != NULL)
			node_destroy(km, old);
		return 0;
	}
	if ((n = km_alloc(km, sizeof(*n))) == NULL)
		return -ENOMEM;
	if ((r = parse_ips(obj, "status.addresses", "address", NULL, n->ips,
	    &n->nips, e, "Node")) != 0) {
		km_free(km, n);
		return r;
	}
	if ((n->name = kstr_dup(km, m.name)) == NULL)
		goto nomem;
	if (ktab_insert(km, &km->nodes, &n->link, km_hash_str(n->name, 5))
	    != 0) {
		n->link.hash = 0;
		goto nomem;
	}
	for (i = 0; i < n->nips; i++) {
		if (ip_index_add(km, &km->node_ips, &n->ips[i], n) != 0) {
			n->nips = i;
			goto nomem;
		}
	}
	if (old != NULL)
		node_destroy(km, old);
	return 0;
nomem:
	node_destroy(km, n);
	return -ENOMEM;
}

/* ---- the public API ----------------------------------------------------- */

int
kmeta_new(struct kmeta **out)
{
	struct kmeta *km;

	*out = NULL;
	if ((km = calloc(1, sizeof(*km))) == NULL)
		return -ENOMEM;
	km->bytes = malloc_usable_size(km);
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
					pod_destroy(km, container_of(l,
					    struct kpod, by_name));
				else if (all[t] == &km->owners)
					owner_destroy(km, container_of(l,
					    struct kowner, link));
				else if (all[t] == &km->namespaces)
					ns_destroy(km, container_of(l,
					    struct kns, link));
				else
					node_destroy(km, container_of(l,
					    struct knode, link));
			}
		}
	}
	ktab_free(km, &km->strs);
	ktab_free(km, &km->pods_name);
	ktab_free(km, &km->pods_uid);
	ktab_free(km, &km->pod_ips);
	ktab_free(km, &km->owners);
	ktab_free(km, &km->namespaces);
	ktab_free(km, &km->nodes);
	ktab_free(km, &km->node_ips);
}

void
kmeta_free(struct kmeta *km)
{
	if (km == NULL)
		return;
	kmeta_clear(km);
	free(km);
}

int
kmeta_apply(struct kmeta *km, int kind, bool deleted, struct json_object *obj,
    char *err, size_t errlen)
{
	struct perr e = { err, errlen };
	int r;

	switch (kind) {
	case KMETA_POD:
		r = pod_apply(km, obj, deleted, &e);
		break;
	case KMETA_NAMESPACE:
		r = ns_apply(km, obj, deleted, &e);
		break;
	case KMETA_NODE:
		r = node_apply(km, obj, deleted, &e);
		break;
	default:
		if (kind < 0 || kind >= KMETA_NKINDS)
			return perr_set(&e, "unknown kind %d", kind);
		r = owner_apply(km, kind, obj, deleted, &e);
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
		pod_destroy(km, container_of(l, struct kpod, by_name));
		break;
	case KMETA_NAMESPACE:
		ns_destroy(km, container_of(l, struct kns, link));
		break;
	case KMETA_NODE:
		node_destroy(km, container_of(l, struct knode, link));
		break;
	default:
		owner_destroy(km, container_of(l, struct kowner, link));
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

/* The kind of a List item: its own "kind", else the list's ("PodList"). */
static int
item_kind(struct json_object *item, const char *listkind, bool *skip,
    struct perr *e, size_t idx)
{
	const char *k = NULL;
	char buf[64];
	size_t n;
	int kind;

	*skip = false;
	if (!json_object_is_type(item, json_type_object))
		return perr_set(e, "items[%zu]: expected an object", idx);
	if (jstr(item, "kind", &k, e, "item") != 0)
		return perr_set(e, "items[%zu]: kind: expected a string", idx);
	if (k == NULL && listkind != NULL) {
		n = strlen(listkind);
		if (n > 4 && n < sizeof(buf) &&
		    strcmp(listkind + n - 4, "List") == 0) {
			memcpy(buf, listkind, n - 4);
			buf[n - 4] = '\0';
			k = buf;
		}
	}
	if (k == NULL)
		return perr_set(e, "items[%zu]: no kind", idx);
	if ((kind = kmeta_kind_parse(k)) < 0)
		*skip = true;
	return kind;
}

/* Apply one document: a List (items) or a single object. */
static int
load_doc(struct kmeta *km, struct json_object *doc, size_t docno,
    struct perr *e)
{
	struct json_object *items;
	const char *lk = NULL;
	char sub[512];
	size_t i, n;
	bool skip;
	int kind, r;

	if (doc == NULL)
		return 0;
	if (!json_object_is_type(doc, json_type_object))
		return perr_set(e, "document %zu: expected an object (a List)",
		    docno + 1);
	if (json_object_object_get_ex(doc, "items", &items)) {
		if (!json_object_is_type(items, json_type_array))
			return perr_set(e, "document %zu: items: expected an "
			    "array", docno + 1);
		jstr(doc, "kind", &lk, e, "List");
	} else
		items = NULL;
	n = items != NULL ? json_object_array_length(items) : 1;
	for (i = 0; i < n; i++) {
		struct json_object *it = items != NULL ?
		    json_object_array_get_idx(items, i) : doc;

		if ((kind = item_kind(it, lk, &skip, e, i)) < 0 && !skip)
			return kind;
		if (skip)
			continue;
		r = kmeta_apply(km, kind, false, it, sub, sizeof(sub));
		if (r != 0)
			return r == -ENOMEM ? r : perr_set(e, "items[%zu]: %s",
			    i, sub);
	}
	return 0;
}

int
kmeta_load_list(struct kmeta *km, const char *buf, size_t len, char *err,
    size_t errlen)
{
	struct perr e = { err, errlen };
	struct json_object *docs = NULL;
	struct kmeta *tmp = NULL, swap;
	size_t i;
	int r;

	if ((r = yamljson_parse_any(buf, len, &docs, err, errlen)) != 0)
		return r;
	if ((r = kmeta_new(&tmp)) != 0)
		goto out;
	for (i = 0; i < json_object_array_length(docs); i++)
		if ((r = load_doc(tmp, json_object_array_get_idx(docs, i), i,
		    &e)) != 0)
			goto out;
	/* Swap the contents: km keeps its address and bumps generation. */
	tmp->generation = km->generation + 1;
	swap = *km;
	*km = *tmp;
	*tmp = swap;
out:
	if (r == -ENOMEM && err != NULL && errlen > 0)
		snprintf(err, errlen, "out of memory");
	kmeta_free(tmp);
	json_object_put(docs);
	return r;
}

int
kmeta_load_list_file(struct kmeta *km, const char *path, char *err,
    size_t errlen)
{
	struct stat sb;
	char *buf = NULL, sub[512];
	size_t got = 0;
	ssize_t n;
	int fd, r = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	if (fstat(fd, &sb) != 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		goto out;
	}
	if ((size_t)sb.st_size > KMETA_MAX_FILE) {
		r = -EFBIG;
		snprintf(err, errlen, "%s: larger than %u MiB", path,
		    KMETA_MAX_FILE >> 20);
		goto out;
	}
	if ((buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		r = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while (got < (size_t)sb.st_size) {
		n = read(fd, buf + got, (size_t)sb.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			snprintf(err, errlen, "%s: %s", path, strerror(-r));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	if ((r = kmeta_load_list(km, buf, got, sub, sizeof(sub))) != 0)
		snprintf(err, errlen, "%s: %s", path, sub);
out:
	free(buf);
	close(fd);
	return r;
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
	h = km_hash(&key, sizeof(key), 2);
	for (l = ktab_first(&km->pod_ips, h); l != NULL; l = l->next) {
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
	struct kpod *kp = pod_find(km, ns, name);

	return kp != NULL ? &kp->p : NULL;
}

const struct kmeta_pod *
kmeta_pod_by_uid(const struct kmeta *km, const char *uid)
{
	uint32_t h = km_hash_str(uid, 3);
	struct klink *l;
	struct kpod *kp;

	if (*uid == '\0')
		return NULL;
	for (l = ktab_first(&km->pods_uid, h); l != NULL; l = l->next) {
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
infer_parent(const struct kmeta *km, const struct kind_rule *rule,
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
		    owner_find(km, KMETA_CRONJOB, ns, pname) == NULL)
			return false;
		*pkind = rule->parent;
		return true;
	default:
		return false;
	}
}

/* The same as store_workload_clear(), kept here so that lib/kmeta.o does
 * not pull in the whole store. */
static void
workload_clear(struct store_workload *w)
{
	free(w->selector_json);
	free(w->labels_json);
	free(w->ports_json);
	w->selector_json = w->labels_json = w->ports_json = NULL;
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
	const struct kind_rule *rule;
	const struct kowner *o;
	const char *kind = p->owner_kind, *sel = NULL, *pkind;
	char name[STORE_NAME_LEN], pname[STORE_NAME_LEN];
	struct perr e = { NULL, 0 };
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
	}
	for (depth = 0; depth < KM_MAX_CHAIN; depth++) {
		if ((k = kmeta_kind_parse(kind)) < 0 || !kind_rules[k].owner)
			break;
		rule = &kind_rules[k];
		if ((o = owner_find(km, k, p->namespace_, name)) != NULL) {
			if (*o->selector != '\0')
				sel = o->selector;
			if (*o->parent_kind == '\0' ||
			    strcmp(o->parent_kind, "Node") == 0)
				break;
			kind = o->parent_kind;
			snprintf(name, sizeof(name), "%s", o->parent_name);
			continue;
		}
		if (!infer_parent(km, rule, p->namespace_, name, plabels,
		    &pkind, pname, sizeof(pname)))
			break;
		kind = pkind;
		memcpy(name, pname, sizeof(name));
	}
	snprintf(out->kind, sizeof(out->kind), "%s", kind);
	snprintf(out->name, sizeof(out->name), "%s", name);
	if (labels_copy(plabels, true, &clean, &e, "Pod") != 0)
		clean = json_object_new_object();
	if (clean == NULL) {
		r = -ENOMEM;
		goto out;
	}
	if ((out->labels_json = strdup(jtext(clean))) == NULL) {
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
		json_object_object_add(ml, "matchLabels", json_object_get(clean));
		if ((out->selector_json = strdup(jtext(ml))) == NULL)
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
		workload_clear(out);
	return r;
}

const char *
kmeta_namespace_labels(const struct kmeta *km, const char *ns)
{
	struct kns *n = ns_find(km, ns);

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
	h = km_hash(&key, sizeof(key), 2);
	for (l = ktab_first(&km->node_ips, h); l != NULL; l = l->next) {
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
	out->strings = km->strs.count;
	out->bytes = km->bytes;
}
