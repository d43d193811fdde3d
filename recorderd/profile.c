/*
 * profile: flows -> the TrafficProfile apply body (see profile.h).
 *
 * Flows become peer items ("entries" here: direction, protocol, port,
 * peer, Service), sorted by that key and merged run by run (a DNS name's
 * addresses gather in its entry); the most recently seen max_entries are
 * kept and put back in key order, so that each (direction, protocol,
 * port) is one run: a group of spec.egress or spec.ingress. The JSON is
 * built with json-c, every object's keys added in sorted order, and
 * built again with fewer entries while it is over max_bytes.
 */
#include "recorderd/profile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>

#include <json-c/json.h>

#include "lib/sort.h"
#include "lib/tpname.h"
#include "recorderd/vec.h"

/* The peer kinds of an entry, in the order entries are listed. */
enum pk { P_WORKLOAD, P_NODE, P_ADDRESS, P_DNS, P_UNKNOWN };

struct dnsaddr {
	struct addr a;
	int64_t first, last;
	uint64_t count, bytes, packets;
};

struct entry {
	uint8_t direction, protocol;
	uint16_t port;
	bool has_svc;
	struct addr svc;
	uint16_t svc_port;
	int pk;				/* enum pk */
	const struct store_workload_row *wl;	/* P_WORKLOAD */
	struct addr addr;		/* P_NODE, P_ADDRESS */
	const char *node_name;		/* P_NODE: when known */
	const char *dns;		/* P_DNS: the name (the flow's) */
	struct vec addrs;		/* P_DNS: struct dnsaddr */
	int64_t first, last;
	uint64_t count, bytes, packets;
};

static const struct {
	const char *kind, *api_version;
} kinds[] = {
	{ "CronJob", "batch/v1" },
	{ "DaemonSet", "apps/v1" },
	{ "Deployment", "apps/v1" },
	{ "Job", "batch/v1" },
	{ "Pod", "v1" },
	{ "ReplicaSet", "apps/v1" },
	{ "ReplicationController", "v1" },
	{ "StatefulSet", "apps/v1" },
};

const char *
profile_owner_api_version(const char *kind)
{
	for (size_t i = 0; kind != NULL && i < sizeof(kinds) / sizeof(kinds[0]);
	    i++)
		if (strcmp(kinds[i].kind, kind) == 0)
			return kinds[i].api_version;
	return NULL;
}

bool
profile_kind_ok(const char *kind)
{
	return profile_owner_api_version(kind) != NULL;
}

char *
profile_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "1970-01-01T00:00:00Z");
	return buf;
}

/* ---- hashing ------------------------------------------------------------- */

static uint64_t
fnv(uint64_t h, const char *s)
{
	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return (h ^ 0xff) * 0x100000001b3ULL;
}

static const char *
text(json_object *o)
{
	return o != NULL ? json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE) : "null";
}

/*
 * The hashes of an object (ours or one the server returned): spec with
 * publishedAt blanked (in place: the caller's object, which keeps its
 * key order), spec.workload and metadata.ownerReferences. The value
 * blanked is put back.
 */
static void
hash_obj(json_object *obj, uint64_t *hash, uint64_t *meta_hash)
{
	json_object *spec = NULL, *meta = NULL, *refs = NULL, *wl = NULL;
	json_object *pub = NULL;
	uint64_t h = 0xcbf29ce484222325ULL, m = h;

	*hash = *meta_hash = 0;
	if (!json_object_object_get_ex(obj, "spec", &spec) ||
	    !json_object_is_type(spec, json_type_object))
		return;
	(void)json_object_object_get_ex(obj, "metadata", &meta);
	if (meta != NULL)
		(void)json_object_object_get_ex(meta, "ownerReferences", &refs);
	(void)json_object_object_get_ex(spec, "workload", &wl);
	if (json_object_object_get_ex(spec, "publishedAt", &pub)) {
		json_object_get(pub);
		/* Replacing a value keeps the key where it is. */
		json_object_object_add(spec, "publishedAt",
		    json_object_new_string(""));
	}
	h = fnv(fnv(h, text(spec)), text(refs));
	m = fnv(fnv(m, text(wl)), text(refs));
	if (pub != NULL)
		json_object_object_add(spec, "publishedAt", pub);
	*hash = h;
	*meta_hash = m;
}

void
profile_hash_object(json_object *obj, uint64_t *hash, uint64_t *meta_hash)
{
	hash_obj(obj, hash, meta_hash);
}

/* ---- JSON helpers -------------------------------------------------------- */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A copy of o with the keys of every object in sorted order (scalars
 * shared). NULL without memory. */
static json_object *
sorted_copy(json_object *o)
{
	json_object *out, *c;
	const char **keys;
	size_t n = 0, i;

	if (json_object_is_type(o, json_type_array)) {
		if ((out = json_object_new_array()) == NULL)
			return NULL;
		for (i = 0; i < json_object_array_length(o); i++) {
			if ((c = sorted_copy(json_object_array_get_idx(o,
			    i))) == NULL) {
				json_object_put(out);
				return NULL;
			}
			json_object_array_add(out, c);
		}
		return out;
	}
	if (!json_object_is_type(o, json_type_object))
		return json_object_get(o);
	if ((keys = calloc((size_t)json_object_object_length(o) + 1,
	    sizeof(*keys))) == NULL)
		return NULL;
	json_object_object_foreach(o, k, v) {
		(void)v;
		keys[n++] = k;
	}
	sort_n(keys, n, sizeof(*keys), cmp_str);
	if ((out = json_object_new_object()) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if ((c = sorted_copy(json_object_object_get(o,
		    keys[i]))) == NULL) {
			json_object_put(out);
			out = NULL;
			goto out;
		}
		json_object_object_add(out, keys[i], c);
	}
out:
	free(keys);
	return out;
}

/* text parsed, when it is JSON of type want; NULL otherwise. */
static json_object *
parse(const char *t, json_type want)
{
	json_object *o;

	if (t == NULL || (o = json_tokener_parse(t)) == NULL)
		return NULL;
	if (!json_object_is_type(o, want)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static bool
str_ok(json_object *v, size_t min, size_t max)
{
	size_t n;

	if (!json_object_is_type(v, json_type_string))
		return false;
	n = (size_t)json_object_get_string_len(v);
	return n >= min && n <= max;
}

/* A map of at most 64 string values of at most 63 bytes (labels,
 * matchLabels), as the CRD bounds them. */
static bool
label_map_ok(json_object *m)
{
	if (!json_object_is_type(m, json_type_object) ||
	    json_object_object_length(m) > 64)
		return false;
	json_object_object_foreach(m, k, v) {
		(void)k;
		if (!str_ok(v, 0, 63))
			return false;
	}
	return true;
}

static bool
expr_ok(json_object *e)
{
	json_object *key, *op, *vals = NULL;
	const char *o;
	size_t n = 0;

	if (!json_object_is_type(e, json_type_object) ||
	    !json_object_object_get_ex(e, "key", &key) ||
	    !str_ok(key, 1, 317) ||
	    !json_object_object_get_ex(e, "operator", &op) ||
	    !json_object_is_type(op, json_type_string))
		return false;
	if (json_object_object_get_ex(e, "values", &vals)) {
		if (!json_object_is_type(vals, json_type_array) ||
		    (n = json_object_array_length(vals)) > 64)
			return false;
		for (size_t i = 0; i < n; i++)
			if (!str_ok(json_object_array_get_idx(vals, i), 0, 63))
				return false;
	}
	o = json_object_get_string(op);
	if (strcmp(o, "In") == 0 || strcmp(o, "NotIn") == 0)
		return n > 0;
	return (strcmp(o, "Exists") == 0 || strcmp(o, "DoesNotExist") == 0) &&
	    n == 0;
}

/* The selector as the CRD takes it; {} when unknown or not valid (the
 * reader takes {} as unknown, never as "every pod"). */
static json_object *
selector(const char *t)
{
	json_object *s = parse(t, json_type_object), *ml, *me, *out;
	bool ok = s != NULL;

	if (ok && json_object_object_get_ex(s, "matchLabels", &ml))
		ok = label_map_ok(ml);
	if (ok && json_object_object_get_ex(s, "matchExpressions", &me)) {
		ok = json_object_is_type(me, json_type_array) &&
		    json_object_array_length(me) <= 32;
		for (size_t i = 0; ok && i < json_object_array_length(me); i++)
			ok = expr_ok(json_object_array_get_idx(me, i));
	}
	if (ok) {
		json_object_object_foreach(s, k, v) {
			(void)v;
			if (strcmp(k, "matchLabels") != 0 &&
			    strcmp(k, "matchExpressions") != 0)
				ok = false;
		}
	}
	out = ok ? sorted_copy(s) : json_object_new_object();
	json_object_put(s);
	return out;
}

/* Named ports as the CRD bounds them; items that do not fit are left
 * out. NULL when unknown. */
static json_object *
ports(const char *t)
{
	json_object *a = parse(t, json_type_array), *out, *p, *n, *pt, *pr;
	const char *proto;
	int port;

	if (a == NULL || (out = json_object_new_array()) == NULL) {
		json_object_put(a);
		return NULL;
	}
	for (size_t i = 0; i < json_object_array_length(a) &&
	    json_object_array_length(out) < 64; i++) {
		p = json_object_array_get_idx(a, i);
		if (!json_object_object_get_ex(p, "name", &n) ||
		    !str_ok(n, 1, 15) ||
		    !json_object_object_get_ex(p, "port", &pt) ||
		    !json_object_is_type(pt, json_type_int) ||
		    !json_object_object_get_ex(p, "protocol", &pr) ||
		    !json_object_is_type(pr, json_type_string))
			continue;
		port = json_object_get_int(pt);
		proto = json_object_get_string(pr);
		if (port < 1 || port > 65535 || (strcmp(proto, "TCP") != 0 &&
		    strcmp(proto, "UDP") != 0 && strcmp(proto, "SCTP") != 0))
			continue;
		if ((p = json_object_new_object()) == NULL)
			break;
		json_object_object_add(p, "name", json_object_get(n));
		json_object_object_add(p, "port", json_object_new_int(port));
		json_object_object_add(p, "protocol", json_object_get(pr));
		json_object_array_add(out, p);
	}
	json_object_put(a);
	return out;
}

/*
 * WorkloadInfo (ns NULL) or PeerWorkload (with its namespace), keys in
 * sorted order: hostNetwork, kind, labels, name, namespace, ports,
 * selector, startedAt.
 */
static json_object *
workload_json(const struct store_workload_row *w, bool with_ns)
{
	json_object *o = json_object_new_object(), *l = NULL, *p;

	if (o == NULL)
		return NULL;
	json_object_object_add(o, "hostNetwork",
	    json_object_new_boolean(w->host_network));
	json_object_object_add(o, "kind", json_object_new_string(w->kind));
	if ((l = parse(w->labels_json, json_type_object)) != NULL &&
	    label_map_ok(l))
		json_object_object_add(o, "labels", sorted_copy(l));
	json_object_put(l);
	json_object_object_add(o, "name", json_object_new_string(w->name));
	if (with_ns)
		json_object_object_add(o, "namespace",
		    json_object_new_string(w->namespace_));
	if ((p = ports(w->ports_json)) != NULL)
		json_object_object_add(o, "ports", p);
	json_object_object_add(o, "selector", selector(w->selector_json));
	json_object_object_add(o, "startedAt",
	    json_object_new_int64(w->started_at > 0 ? w->started_at : 0));
	return o;
}

/* ---- peer workload references -------------------------------------------- */

/* NAMESPACE/KIND/NAME at most (the CRD's maxLength). */
#define REF_MAX (63 + 1 + 21 + 1 + 253)

/* Does w's reference fit the CRD's pattern? A peer whose reference
 * would not is written as unknown: one odd name must not make the API
 * server refuse the whole object. */
static bool
ref_ok(const struct store_workload_row *w)
{
	return profile_kind_ok(w->kind) && tpname_ref_part_ok(w->namespace_,
	    strlen(w->namespace_), false) && tpname_ref_part_ok(w->name,
	    strlen(w->name), true);
}

/* The reference to peer w from an object in namespace ns: "KIND/NAME",
 * or "NAMESPACE/KIND/NAME" when w is in another namespace. */
static json_object *
workload_ref(const struct store_workload_row *w, const char *ns)
{
	char buf[REF_MAX + 1];

	if (strcmp(w->namespace_, ns) == 0)
		snprintf(buf, sizeof(buf), "%s/%s", w->kind, w->name);
	else
		snprintf(buf, sizeof(buf), "%s/%s/%s", w->namespace_, w->kind,
		    w->name);
	return json_object_new_string(buf);
}

/*
 * Is peer w described in spec.peerWorkloads? When it is in another
 * namespace than the object (ns): a reader of one namespace then needs
 * nothing of the others (no request, no RBAC there; and few peers are),
 * and a namespace that is not published is always another; and when no
 * profile of its own describes it: deleted (its profiles went with it)
 * or hostNetwork (never recorded as a subject). The others are described
 * by their own profiles, in the same namespace.
 */
static bool
described_inline(const struct store_workload_row *w, const char *ns)
{
	return strcmp(w->namespace_, ns) != 0 || w->deleted_at != 0 ||
	    w->host_network;
}

/* ---- entries ------------------------------------------------------------- */

static int
wl_cmp(const struct store_workload_row *a, const struct store_workload_row *b)
{
	int c;

	if ((c = strcmp(a->namespace_, b->namespace_)) != 0 ||
	    (c = strcmp(a->kind, b->kind)) != 0)
		return c;
	return strcmp(a->name, b->name);
}

/* The protocols in the order of the CRD's enum: the order of groups. */
static const uint8_t protocol_order[] = {
	IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, IPPROTO_ICMP, IPPROTO_ICMPV6,
};

static size_t
protocol_rank(uint8_t protocol)
{
	size_t i;

	for (i = 0; i < sizeof(protocol_order); i++)
		if (protocol_order[i] == protocol)
			break;
	return i;
}

/* The group of an entry: direction, then protocol, then port. */
static int
group_cmp(const struct entry *a, const struct entry *b)
{
	size_t ra, rb;

	if (a->direction != b->direction)
		return a->direction < b->direction ? -1 : 1;
	if ((ra = protocol_rank(a->protocol)) != (rb = protocol_rank(
	    b->protocol)))
		return ra < rb ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	return 0;
}

/* The order entries are merged and listed in: their keys, group first
 * (so that a group's peers are one run), then the peer and the
 * Service. */
static int
entry_cmp(const void *pa, const void *pb)
{
	const struct entry *a = pa, *b = pb;
	int c;

	if ((c = group_cmp(a, b)) != 0)
		return c;
	if (a->pk != b->pk)
		return a->pk < b->pk ? -1 : 1;
	switch (a->pk) {
	case P_WORKLOAD:
		c = wl_cmp(a->wl, b->wl);
		break;
	case P_NODE:
	case P_ADDRESS:
		c = addr_cmp(&a->addr, &b->addr);
		break;
	case P_DNS:
		c = strcmp(a->dns, b->dns);
		break;
	default:
		break;
	}
	if (c != 0)
		return c;
	if (a->has_svc != b->has_svc)
		return a->has_svc ? 1 : -1;
	if (a->has_svc && (c = addr_cmp(&a->svc, &b->svc)) != 0)
		return c;
	if (a->svc_port != b->svc_port)
		return a->svc_port < b->svc_port ? -1 : 1;
	return 0;
}

/* Most recently seen first; ties in key order (a total order). */
static int
recent_cmp(const void *pa, const void *pb)
{
	const struct entry *a = pa, *b = pb;

	if (a->last != b->last)
		return a->last > b->last ? -1 : 1;
	return entry_cmp(a, b);
}

static int
dnsaddr_recent_cmp(const void *pa, const void *pb)
{
	const struct dnsaddr *a = pa, *b = pb;

	if (a->last != b->last)
		return a->last > b->last ? -1 : 1;
	return addr_cmp(&a->a, &b->a);
}

static void
entries_free(struct entry *e, size_t n)
{
	for (size_t i = 0; e != NULL && i < n; i++)
		vec_free(&e[i].addrs);
	free(e);
}

/* Flow f as a proto-entry; false when it cannot be one (a protocol the
 * CRD does not list). */
static bool
entry_of(const struct flow *f, const struct profile_lookup *lk,
    struct entry *e, size_t *unknown)
{
	memset(e, 0, sizeof(*e));
	if (flow_protocol_name(f->key.protocol) == NULL)
		return false;
	e->direction = f->key.direction;
	e->protocol = f->key.protocol;
	e->port = e->protocol == IPPROTO_ICMP || e->protocol ==
	    IPPROTO_ICMPV6 ? 0 : f->key.port;
	if (f->key.orig.family != 0) {
		e->has_svc = true;
		e->svc = f->key.orig;
		e->svc_port = f->key.orig_port;
	}
	e->first = f->first_seen;
	e->last = f->last_seen > f->first_seen ? f->last_seen : f->first_seen;
	e->count = f->count;
	e->bytes = f->bytes;
	e->packets = f->packets;
	switch (f->key.peer_kind) {
	case FLOW_PEER_WORKLOAD:
		e->wl = lk->peer != NULL ? lk->peer(lk->arg, f->key.peer_wl) :
		    NULL;
		e->pk = P_WORKLOAD;
		if (e->wl == NULL || !ref_ok(e->wl)) {
			e->pk = P_UNKNOWN;
			e->wl = NULL;
			(*unknown)++;
		}
		break;
	case FLOW_PEER_NODE:
		e->pk = P_NODE;
		e->addr = f->key.peer;
		break;
	case FLOW_PEER_ADDRESS:
		e->addr = f->key.peer;
		e->pk = P_ADDRESS;
		if (f->dns_name != NULL && f->dns_name[0] != '\0' &&
		    f->key.direction == FLOW_EGRESS) {
			struct dnsaddr *d;

			e->pk = P_DNS;
			e->dns = f->dns_name;
			if ((d = vec_push(&e->addrs, sizeof(*d))) == NULL)
				return false;
			d->a = f->key.peer;
			d->first = e->first;
			d->last = e->last;
			d->count = e->count;
			d->bytes = e->bytes;
			d->packets = e->packets;
		}
		break;
	default:
		e->pk = P_UNKNOWN;
		break;
	}
	/* An address peer without an address is a row the store should not
	 * have: not ours to repair, left out. */
	if (e->pk == P_NODE || e->pk == P_ADDRESS || e->pk == P_DNS)
		return e->addr.family != 0;
	return true;
}

/* Add from's observations and addresses to into (same key). -ENOMEM. */
static int
entry_merge(struct entry *into, struct entry *from)
{
	struct dnsaddr *fa = from->addrs.v, *ia, *d;
	size_t j;

	if (from->first < into->first)
		into->first = from->first;
	if (from->last > into->last)
		into->last = from->last;
	into->count += from->count;
	into->bytes += from->bytes;
	into->packets += from->packets;
	for (size_t i = 0; i < from->addrs.n; i++) {
		ia = into->addrs.v;
		for (j = 0; j < into->addrs.n; j++)
			if (addr_equal(&ia[j].a, &fa[i].a))
				break;
		if (j < into->addrs.n) {
			d = &ia[j];
			if (fa[i].first < d->first)
				d->first = fa[i].first;
			if (fa[i].last > d->last)
				d->last = fa[i].last;
			d->count += fa[i].count;
			d->bytes += fa[i].bytes;
			d->packets += fa[i].packets;
		} else if ((d = vec_push(&into->addrs, sizeof(*d))) == NULL)
			return -ENOMEM;
		else
			*d = fa[i];
	}
	return 0;
}

/* The flows as merged entries, sorted by key. */
static int
make_entries(const struct flow *flows, size_t n,
    const struct profile_lookup *lk, int64_t cutoff, struct entry **out,
    size_t *nout, size_t *unknown)
{
	struct entry *e;
	size_t m = 0, k;
	int ret = 0;

	*out = NULL;
	*nout = 0;
	if ((e = calloc(n + 1, sizeof(*e))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (cutoff > 0 && flows[i].last_seen < cutoff)
			continue;
		if (entry_of(&flows[i], lk, &e[m], unknown))
			m++;
		else
			vec_free(&e[m].addrs);
	}
	sort_n(e, m, sizeof(*e), entry_cmp);
	for (size_t i = 0, j; i < m; i = j) {
		for (j = i + 1; j < m && entry_cmp(&e[i], &e[j]) == 0; j++)
			if ((ret = entry_merge(&e[i], &e[j])) < 0)
				break;
		if (ret < 0)
			break;
		for (k = i + 1; k < j; k++)
			vec_free(&e[k].addrs);
		if (i != *nout)
			e[*nout] = e[i];
		if (i != *nout)
			memset(&e[i], 0, sizeof(e[i]));
		(*nout)++;
	}
	if (ret < 0) {
		entries_free(e, m);
		*nout = 0;
		return ret;
	}
	*out = e;
	return 0;
}

static json_object *
addr_json(const struct addr *a)
{
	char buf[ADDR_STRLEN];

	return json_object_new_string(addr_format(a, buf, sizeof(buf)));
}

/* A member of an object being built: objects are built as a list of
 * these, then made with their keys in sorted order (object_of). */
struct kv {
	const char *key;
	json_object *val;
};

static int
kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->key, ((const struct kv *)b)->key);
}

/* The object of the n members at kv (sorted in place), keys in order.
 * NULL without memory (the values are then freed). */
static json_object *
object_of(struct kv *kv, size_t n)
{
	json_object *o = json_object_new_object();

	sort_n(kv, n, sizeof(*kv), kv_cmp);
	for (size_t i = 0; i < n; i++) {
		if (o != NULL)
			json_object_object_add(o, kv[i].key, kv[i].val);
		else
			json_object_put(kv[i].val);
	}
	return o;
}

/* What was seen of a peer or of a DNS name's address: count, firstSeen,
 * lastSeen, and bytes and packets only when accounting counted some
 * (absent is 0). Appended to kv at *n: room for 5. */
static void
seen_kv(struct kv *kv, size_t *n, int64_t first, int64_t last,
    uint64_t count, uint64_t bytes, uint64_t packets)
{
	kv[(*n)++] = (struct kv){ "count",
	    json_object_new_int64((int64_t)count) };
	kv[(*n)++] = (struct kv){ "firstSeen", json_object_new_int64(first) };
	kv[(*n)++] = (struct kv){ "lastSeen", json_object_new_int64(last) };
	if (bytes > 0)
		kv[(*n)++] = (struct kv){ "bytes",
		    json_object_new_int64((int64_t)bytes) };
	if (packets > 0)
		kv[(*n)++] = (struct kv){ "packets",
		    json_object_new_int64((int64_t)packets) };
}

/* {address, bytes?, count, firstSeen, lastSeen, packets?} */
static json_object *
dnsaddr_json(const struct dnsaddr *d)
{
	struct kv kv[6];
	size_t n = 0;

	kv[n++] = (struct kv){ "address", addr_json(&d->a) };
	seen_kv(kv, &n, d->first, d->last, d->count, d->bytes, d->packets);
	return object_of(kv, n);
}

/* {addresses (the most recent first), name, omittedAddresses?} */
static json_object *
dns_json(struct entry *e)
{
	struct dnsaddr *d = e->addrs.v;
	size_t n = e->addrs.n < PROFILE_DNS_ADDRS ? e->addrs.n :
	    PROFILE_DNS_ADDRS;
	struct kv kv[3];
	size_t m = 0;
	json_object *arr;

	sort_n(d, e->addrs.n, sizeof(*d), dnsaddr_recent_cmp);
	if ((arr = json_object_new_array_ext((int)n)) != NULL)
		for (size_t i = 0; i < n; i++)
			json_object_array_add(arr, dnsaddr_json(&d[i]));
	kv[m++] = (struct kv){ "addresses", arr };
	kv[m++] = (struct kv){ "name", json_object_new_string(e->dns) };
	if (e->addrs.n > n)
		kv[m++] = (struct kv){ "omittedAddresses",
		    json_object_new_int64((int64_t)(e->addrs.n - n)) };
	return object_of(kv, m);
}

/* The one member that says who the peer is; ns is the object's
 * namespace (workload references are relative to it). */
static struct kv
peer_kv(struct entry *e, const char *ns)
{
	struct kv kv[2];
	size_t n = 0;

	switch (e->pk) {
	case P_WORKLOAD:
		return (struct kv){ "workload", workload_ref(e->wl, ns) };
	case P_NODE:
		kv[n++] = (struct kv){ "address", addr_json(&e->addr) };
		if (e->node_name != NULL && e->node_name[0] != '\0')
			kv[n++] = (struct kv){ "name",
			    json_object_new_string(e->node_name) };
		return (struct kv){ "node", object_of(kv, n) };
	case P_ADDRESS:
		return (struct kv){ "address", addr_json(&e->addr) };
	case P_DNS:
		return (struct kv){ "dns", dns_json(e) };
	default:
		return (struct kv){ "unknown", json_object_new_boolean(1) };
	}
}

/* A peer item: {address | dns | node | unknown | workload, bytes?,
 * count, firstSeen, lastSeen, packets?, service?} */
static json_object *
peer_item_json(struct entry *e, const char *ns)
{
	struct kv kv[8], svc[2];
	size_t n = 0;

	kv[n++] = peer_kv(e, ns);
	seen_kv(kv, &n, e->first, e->last, e->count, e->bytes, e->packets);
	if (e->has_svc) {
		svc[0] = (struct kv){ "address", addr_json(&e->svc) };
		svc[1] = (struct kv){ "port", json_object_new_int(e->svc_port) };
		kv[n++] = (struct kv){ "service", object_of(svc, 2) };
	}
	return object_of(kv, n);
}

/* The group of the n entries at e (of one direction, protocol and
 * port): {peers, port, protocol}. */
static json_object *
group_json(struct entry *e, size_t n, const char *ns)
{
	json_object *g = json_object_new_object(), *peers;

	if (g == NULL)
		return NULL;
	if ((peers = json_object_new_array_ext((int)n)) != NULL)
		for (size_t i = 0; i < n; i++)
			json_object_array_add(peers, peer_item_json(&e[i], ns));
	json_object_object_add(g, "peers", peers);
	json_object_object_add(g, "port", json_object_new_int(e->port));
	json_object_object_add(g, "protocol", json_object_new_string(
	    flow_protocol_name(e->protocol)));
	return g;
}

/* spec.egress or spec.ingress: the groups of direction among the k
 * entries at e (in key order); NULL when none (the field is absent). */
static json_object *
groups_json(struct entry *e, size_t k, int direction, const char *ns)
{
	json_object *arr = NULL;

	for (size_t i = 0, j; i < k; i = j) {
		for (j = i + 1; j < k && group_cmp(&e[i], &e[j]) == 0; j++)
			;
		if (e[i].direction != direction)
			continue;
		if (arr == NULL && (arr = json_object_new_array()) == NULL)
			break;
		json_object_array_add(arr, group_json(&e[i], j - i, ns));
	}
	return arr;
}

static int
peer_cmp(const void *pa, const void *pb)
{
	return wl_cmp(*(const struct store_workload_row *const *)pa,
	    *(const struct store_workload_row *const *)pb);
}

/* The workloads named by the first k entries that no profile of their
 * own describes (described_inline), once each, sorted; NULL when none
 * (the field is then absent). */
static json_object *
peer_workloads(struct entry *e, size_t k, const char *ns)
{
	const struct store_workload_row **w;
	json_object *arr = NULL;
	size_t n = 0;

	if ((w = calloc(k + 1, sizeof(*w))) == NULL)
		return NULL;
	for (size_t i = 0; i < k; i++)
		if (e[i].pk == P_WORKLOAD &&
		    described_inline(e[i].wl, ns))
			w[n++] = e[i].wl;
	sort_n(w, n, sizeof(*w), peer_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && wl_cmp(w[i - 1], w[i]) == 0)
			continue;
		if (arr == NULL && (arr = json_object_new_array()) == NULL)
			break;
		json_object_array_add(arr, workload_json(w[i], true));
	}
	free(w);
	return arr;
}

/* ---- DNS names of the entries' addresses --------------------------------- */

static int
dns_cmp(const void *pa, const void *pb)
{
	const struct profile_dns *a = pa, *b = pb;
	int c = addr_cmp(&a->addr, &b->addr);

	return c != 0 ? c : strcmp(a->name, b->name);
}

static int
dns_recent_cmp(const void *pa, const void *pb)
{
	const struct profile_dns *a = *(const struct profile_dns *const *)pa;
	const struct profile_dns *b = *(const struct profile_dns *const *)pb;

	if (a->last_seen != b->last_seen)
		return a->last_seen > b->last_seen ? -1 : 1;
	return strcmp(a->name, b->name);
}

static int
dns_name_cmp(const void *pa, const void *pb)
{
	return strcmp((*(const struct profile_dns *const *)pa)->name,
	    (*(const struct profile_dns *const *)pb)->name);
}

static int
addr_ptr_cmp(const void *a, const void *b)
{
	return addr_cmp(*(const struct addr *const *)a,
	    *(const struct addr *const *)b);
}

/* {address, names: [{firstSeen, lastSeen, name}]} for the answers of
 * one address (n of them at d, sorted by name). */
static json_object *
dns_item(const struct addr *a, const struct profile_dns *d, size_t n)
{
	const struct profile_dns *p[PROFILE_DNS_NAMES], *all[256];
	json_object *o = json_object_new_object(), *names, *x;
	size_t m = 0, k;

	/* The most recently seen, then listed by name. */
	for (size_t i = 0; i < n && m < sizeof(all) / sizeof(all[0]); i++)
		if (d[i].name != NULL && d[i].name[0] != '\0' &&
		    strlen(d[i].name) <= 253)
			all[m++] = &d[i];
	sort_n(all, m, sizeof(*all), dns_recent_cmp);
	k = m < PROFILE_DNS_NAMES ? m : PROFILE_DNS_NAMES;
	memcpy(p, all, k * sizeof(*p));
	sort_n(p, k, sizeof(*p), dns_name_cmp);
	json_object_object_add(o, "address", addr_json(a));
	names = json_object_new_array();
	for (size_t i = 0; i < k; i++) {
		x = json_object_new_object();
		json_object_object_add(x, "firstSeen",
		    json_object_new_int64(p[i]->first_seen));
		json_object_object_add(x, "lastSeen", json_object_new_int64(
		    p[i]->last_seen > p[i]->first_seen ? p[i]->last_seen :
		    p[i]->first_seen));
		json_object_object_add(x, "name",
		    json_object_new_string(p[i]->name));
		json_object_array_add(names, x);
	}
	json_object_object_add(o, "names", names);
	if (k == 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/*
 * The answers (sorted by address and name) of every address the first k
 * entries name (an address peer, a DNS name's listed addresses), one
 * item per address, sorted; NULL when none.
 */
static json_object *
dns_names(struct entry *e, size_t k, const struct profile_dns *dns,
    size_t ndns)
{
	const struct addr **as = NULL;
	json_object *arr = NULL, *item;
	const struct profile_dns *lo;
	size_t na = 0, cap = 0, i, j, n;

	if (ndns == 0)
		return NULL;
	for (i = 0; i < k; i++) {
		const struct dnsaddr *d = e[i].addrs.v;

		n = e[i].pk == P_ADDRESS ? 1 : e[i].pk == P_DNS ?
		    (e[i].addrs.n < PROFILE_DNS_ADDRS ? e[i].addrs.n :
		    PROFILE_DNS_ADDRS) : 0;
		if (na + n > cap) {
			const struct addr **nas;

			cap = (na + n) * 2 + 16;
			if ((nas = realloc(as, cap * sizeof(*as))) == NULL)
				goto out;
			as = nas;
		}
		for (j = 0; j < n; j++)
			as[na++] = e[i].pk == P_ADDRESS ? &e[i].addr :
			    &d[j].a;
	}
	sort_n(as, na, sizeof(*as), addr_ptr_cmp);
	for (i = 0; i < na; i++) {
		if (i > 0 && addr_equal(as[i - 1], as[i]))
			continue;
		/* The first answer of the address, then its run. */
		for (lo = dns, n = ndns; n > 0;) {
			size_t half = n / 2;

			if (addr_cmp(&lo[half].addr, as[i]) < 0) {
				lo += half + 1;
				n -= half + 1;
			} else
				n = half;
		}
		for (n = 0; lo + n < dns + ndns &&
		    addr_equal(&lo[n].addr, as[i]); n++)
			;
		if (n == 0 || (item = dns_item(as[i], lo, n)) == NULL)
			continue;
		if (arr == NULL && (arr = json_object_new_array()) == NULL) {
			json_object_put(item);
			break;
		}
		json_object_array_add(arr, item);
	}
out:
	free(as);
	return arr;
}

/* ---- the object ---------------------------------------------------------- */

static json_object *
metadata_json(const struct store_workload_row *wl, const char *node,
    const char *name)
{
	json_object *m = json_object_new_object(), *l;
	char lv[TPNAME_LABEL_MAX + 1];

	if (m == NULL)
		return NULL;
	l = json_object_new_object();
	json_object_object_add(l, "app.kubernetes.io/managed-by",
	    json_object_new_string("netpol-record"));
	tpname_label(node, lv, sizeof(lv));
	json_object_object_add(l, "netpol-record.io/node",
	    json_object_new_string(lv));
	json_object_object_add(l, "netpol-record.io/workload-kind",
	    json_object_new_string(wl->kind));
	tpname_label(wl->name, lv, sizeof(lv));
	json_object_object_add(l, "netpol-record.io/workload-name",
	    json_object_new_string(lv));
	json_object_object_add(m, "labels", l);
	json_object_object_add(m, "name", json_object_new_string(name));
	json_object_object_add(m, "namespace",
	    json_object_new_string(wl->namespace_));
	/* Without the owner's uid no reference: a made-up one would have
	 * the garbage collector delete the object at once. */
	if (wl->uid != NULL && wl->uid[0] != '\0')
		json_object_object_add(m, "ownerReferences", profile_owner_refs(
		    profile_owner_api_version(wl->kind), wl->kind, wl->name,
		    wl->uid));
	return m;
}

json_object *
profile_owner_refs(const char *api_version, const char *kind,
    const char *name, const char *uid)
{
	json_object *refs = json_object_new_array(), *r;

	if (refs == NULL || (r = json_object_new_object()) == NULL) {
		json_object_put(refs);
		return NULL;
	}
	json_object_object_add(r, "apiVersion",
	    json_object_new_string(api_version));
	json_object_object_add(r, "kind", json_object_new_string(kind));
	json_object_object_add(r, "name", json_object_new_string(name));
	json_object_object_add(r, "uid", json_object_new_string(uid));
	json_object_array_add(refs, r);
	return refs;
}

/*
 * The whole object with the k most recent entries of e (sorted by
 * recency): they are put back in key order, the body built, hashed.
 */
static int
build_body(const struct store_workload_row *wl, struct entry *e, size_t k,
    size_t total, const struct profile_dns *dns, size_t ndns,
    const struct profile_facts *f, struct profile *out)
{
	json_object *o, *spec, *eg, *in, *pw, *dn;
	char t[32];
	const char *s;
	int64_t last = 0;
	int ret = 0;

	sort_n(e, k, sizeof(*e), entry_cmp);
	for (size_t i = 0; i < k; i++)
		if (e[i].last > last)
			last = e[i].last;
	if ((o = json_object_new_object()) == NULL)
		return -ENOMEM;
	json_object_object_add(o, "apiVersion",
	    json_object_new_string(PROFILE_API_VERSION));
	json_object_object_add(o, "kind",
	    json_object_new_string("TrafficProfile"));
	json_object_object_add(o, "metadata", metadata_json(wl, f->node,
	    out->name));
	spec = json_object_new_object();
	eg = groups_json(e, k, FLOW_EGRESS, wl->namespace_);
	in = groups_json(e, k, FLOW_INGRESS, wl->namespace_);
	/* After the groups' JSON: it put each DNS name's addresses in the
	 * order they are listed (the most recent). */
	if ((dn = dns_names(e, k, dns, ndns)) != NULL)
		json_object_object_add(spec, "dnsNames", dn);
	if (eg != NULL)
		json_object_object_add(spec, "egress", eg);
	json_object_object_add(spec, "entryCount",
	    json_object_new_int((int)k));
	json_object_object_add(spec, "eventsLost", json_object_new_int64(
	    f->events_lost > 0 ? f->events_lost : 0));
	if (in != NULL)
		json_object_object_add(spec, "ingress", in);
	json_object_object_add(spec, "lastSeen",
	    json_object_new_string(profile_time(last, t, sizeof(t))));
	json_object_object_add(spec, "node", json_object_new_string(f->node));
	if ((pw = peer_workloads(e, k, wl->namespace_)) != NULL)
		json_object_object_add(spec, "peerWorkloads", pw);
	json_object_object_add(spec, "publishedAt", json_object_new_string(
	    profile_time(f->published_at, t, sizeof(t))));
	json_object_object_add(spec, "recordingStarted", json_object_new_int64(
	    f->recording_started > 0 ? f->recording_started : 0));
	json_object_object_add(spec, "truncated",
	    json_object_new_int64((int64_t)(total - k)));
	json_object_object_add(spec, "workload", workload_json(wl, false));
	json_object_object_add(o, "spec", spec);

	hash_obj(o, &out->hash, &out->meta_hash);
	s = text(o);
	free(out->body);
	if ((out->body = strdup(s)) == NULL)
		ret = -ENOMEM;
	out->len = out->body != NULL ? strlen(out->body) : 0;
	out->entries = k;
	out->truncated = total - k;
	out->last_seen = last;
	json_object_put(o);
	return ret;
}

/*
 * The CRD's bound on groups: of the m entries (most recent first), keep
 * in that order those whose (direction, protocol, port) is among the
 * first PROFILE_MAX_GROUPS of their direction; the others go to the end
 * (left out, counted as truncated). *kept says how many are kept.
 */
static int
cap_groups(struct entry *e, size_t m, size_t *kept)
{
	struct { uint8_t protocol; uint16_t port; } g[2][PROFILE_MAX_GROUPS];
	size_t ng[2] = { 0, 0 }, nout = 0, i, j, d;
	struct entry *out = NULL;

	*kept = 0;
	for (i = 0; i < m; i++) {
		d = e[i].direction == FLOW_EGRESS ? 0 : 1;
		for (j = 0; j < ng[d]; j++)
			if (g[d][j].protocol == e[i].protocol &&
			    g[d][j].port == e[i].port)
				break;
		if (j == ng[d] && ng[d] < PROFILE_MAX_GROUPS) {
			g[d][ng[d]].protocol = e[i].protocol;
			g[d][ng[d]++].port = e[i].port;
		}
		if (j < ng[d]) {
			e[(*kept)++] = e[i];
			continue;
		}
		/* Left out: kept aside, put back after the kept ones. */
		if (out == NULL && (out = malloc((m - i) * sizeof(*e))) == NULL)
			return -ENOMEM;
		out[nout++] = e[i];
	}
	if (nout > 0)
		memcpy(&e[*kept], out, nout * sizeof(*e));
	free(out);
	return 0;
}

int
profile_build(const struct store_workload_row *wl, const struct flow *flows,
    size_t n, const struct profile_dns *dns, size_t ndns,
    const struct profile_lookup *lk, const struct profile_facts *f,
    struct profile *out)
{
	struct profile_dns *sorted = NULL;
	struct entry *e = NULL;
	size_t m = 0, mk, k, max_bytes;
	int ret;

	memset(out, 0, sizeof(*out));
	if (f->node == NULL || f->node[0] == '\0' || f->max_entries == 0 ||
	    f->max_entries > PROFILE_MAX_ENTRIES)
		return -EINVAL;
	if (!profile_kind_ok(wl->kind))
		return -ENOTSUP;
	max_bytes = f->max_bytes ? f->max_bytes : PROFILE_MAX_BYTES;
	tpname_profile(wl->kind, wl->name, f->node, out->name,
	    sizeof(out->name));
	snprintf(out->namespace_, sizeof(out->namespace_), "%s",
	    wl->namespace_);
	if ((ret = make_entries(flows, n, lk, f->retention_cutoff, &e, &m,
	    &out->unknown_peers)) < 0)
		return ret;
	/* The answers, sorted by address and name for the lookups. */
	if (ndns > 0) {
		if ((sorted = malloc(ndns * sizeof(*sorted))) == NULL) {
			ret = -ENOMEM;
			goto out;
		}
		memcpy(sorted, dns, ndns * sizeof(*sorted));
		sort_n(sorted, ndns, sizeof(*sorted), dns_cmp);
	}
	if (m == 0) {
		ret = -ENOENT;
		goto out;
	}
	for (size_t i = 0; i < m; i++)
		if (e[i].pk == P_NODE && lk->node_name != NULL)
			e[i].node_name = lk->node_name(lk->arg, &e[i].addr);
	sort_n(e, m, sizeof(*e), recent_cmp);
	if ((ret = cap_groups(e, m, &mk)) < 0)
		goto out;
	k = mk < f->max_entries ? mk : f->max_entries;
	for (;;) {
		if ((ret = build_body(wl, e, k, m, sorted, ndns, f,
		    out)) < 0)
			goto out;
		if (out->len <= max_bytes || k == 1)
			break;
		/* Too big: keep the share of entries that fits, with some
		 * room, at least one fewer; the most recent again first. */
		k = (size_t)((double)k * (double)max_bytes /
		    (double)out->len * 0.95);
		if (k >= out->entries)
			k = out->entries - 1;
		if (k == 0)
			k = 1;
		sort_n(e, mk, sizeof(*e), recent_cmp);
	}
	if (out->len > max_bytes)
		ret = -EFBIG;
out:
	free(sorted);
	entries_free(e, m);
	if (ret < 0)
		profile_clear(out);
	return ret;
}

void
profile_clear(struct profile *p)
{
	if (p == NULL)
		return;
	free(p->body);
	p->body = NULL;
	p->len = 0;
}
