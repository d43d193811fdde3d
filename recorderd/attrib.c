#include "recorderd/attrib.h"

#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>

#include "lib/kmeta.h"
#include "lib/log.h"
#include "recorderd/metasrc.h"

#define NODE_ADDRS_MAX 64
#define PEER_CACHE 4096		/* remote addresses resolved, direct-mapped */
#define DNS_PROBE 8
#define DNS_PENDING 512
#define WL_CACHE 1024		/* workload ids of remote peers */
#define WL_REFRESH 60		/* seconds before writing a workload again */
#define DNS_GRACE 300		/* seconds an answer outlives its TTL */

struct pod {
	int64_t att_id;
	int64_t wl_id;
	bool self;			/* recorded as itself, owner unknown */
	char container_id[STORE_ID_LEN];
	char ns[STORE_NAME_LEN];
	char name[STORE_NAME_LEN];
	char uid[STORE_ID_LEN];
	int naddrs;
	struct addr addrs[STORE_MAX_ADDRS];
};

struct addr_slot {
	struct addr addr;
	int pod;			/* index + 1, 0 empty */
};

struct peer_slot {
	struct addr addr;
	uint64_t gen;			/* metadata generation + 1, 0 empty */
	uint8_t kind;
	int64_t wl_id;
};

/* A workload already written to the store, by identity hash. */
struct wl_slot {
	uint64_t hash;			/* 0 empty */
	int64_t id;
	int64_t put_at;
};

struct dns_slot {
	int64_t att_id;			/* 0 empty */
	struct addr addr;
	int64_t expires;
	char name[DNS_NAME_LEN];
};

struct attrib {
	struct store *st;
	struct metasrc *ms;
	uint64_t meta_gen;
	int64_t data_version;
	bool have_version;

	struct pod *pods;
	int npods;
	struct addr_slot *idx;
	size_t idx_mask;

	struct addr node[NODE_ADDRS_MAX];
	int nnode;

	struct peer_slot peers[PEER_CACHE];
	struct wl_slot wls[WL_CACHE];

	struct dns_slot *dns;
	size_t dns_mask;
	struct store_dns pending[DNS_PENDING];
	int npending;
};

static uint64_t
addr_hash(const struct addr *a)
{
	uint64_t h = 1469598103934665603ULL ^ a->family;

	for (size_t i = 0; i < 16; i++) {
		h ^= a->bytes[i];
		h *= 1099511628211ULL;
	}
	return h ^ (h >> 31);
}

static const struct kmeta *
meta_cache(const struct attrib *a)
{
	if (a->ms == NULL)
		return NULL;
	return metasrc_cache(a->ms);
}

static uint64_t
meta_gen(const struct attrib *a)
{
	const struct kmeta *km = meta_cache(a);

	return km ? kmeta_generation(km) : 0;
}

/* ---- pods --------------------------------------------------------------- */

static struct pod *
pod_by_addr(const struct attrib *a, const struct addr *ad)
{
	size_t i;

	if (a->idx == NULL)
		return NULL;
	i = addr_hash(ad) & a->idx_mask;
	while (a->idx[i].pod != 0) {
		if (addr_equal(&a->idx[i].addr, ad))
			return &a->pods[a->idx[i].pod - 1];
		i = (i + 1) & a->idx_mask;
	}
	return NULL;
}

static const struct kmeta_pod *
meta_pod(const struct attrib *a, const struct pod *p)
{
	const struct kmeta *km = meta_cache(a);
	const struct kmeta_pod *kp = NULL;

	if (km == NULL)
		return NULL;
	if (p->uid[0] != '\0')
		kp = kmeta_pod_by_uid(km, p->uid);
	if (kp == NULL && p->name[0] != '\0' && p->ns[0] != '\0')
		kp = kmeta_pod_by_name(km, p->ns, p->name);
	for (int i = 0; kp == NULL && i < p->naddrs; i++)
		kp = kmeta_pod_by_ip(km, &p->addrs[i]);
	return kp;
}

static void
self_workload(const struct pod *p, struct store_workload *w)
{
	memset(w, 0, sizeof(*w));
	snprintf(w->namespace_, sizeof(w->namespace_), "%s",
	    p->ns[0] ? p->ns : "default");
	snprintf(w->kind, sizeof(w->kind), "Pod");
	if (p->name[0] != '\0')
		snprintf(w->name, sizeof(w->name), "%s", p->name);
	else
		snprintf(w->name, sizeof(w->name), "%.12s", p->container_id);
}

/* Is workload id recorded as a bare pod (kind Pod)? */
static bool
is_pod_kind(struct attrib *a, int64_t id)
{
	struct store_workload w;
	bool r;

	memset(&w, 0, sizeof(w));
	if (store_workload_get(a->st, id, &w) < 0)
		return false;
	r = strcmp(w.kind, "Pod") == 0;
	store_workload_clear(&w);
	return r;
}

/*
 * Find the pod's workload: its owner when metadata knows the pod, else
 * the pod itself. An id the store already had for the attachment wins
 * over "itself" (metadata may simply not be loaded yet after a restart);
 * a bare-pod workload is merged into the owner once the owner is known.
 */
static int
resolve_pod(struct attrib *a, struct pod *p)
{
	const struct kmeta_pod *kp = meta_pod(a, p);
	struct store_workload w;
	int ret;

	memset(&w, 0, sizeof(w));
	if (kp == NULL && p->wl_id != 0) {
		p->self = is_pod_kind(a, p->wl_id);
		return 0;
	}
	if (kp != NULL) {
		if ((ret = kmeta_pod_workload(meta_cache(a), kp, &w)) < 0)
			return ret;
	} else
		self_workload(p, &w);
	if ((ret = store_workload_put(a->st, &w)) < 0)
		goto out;
	if (p->wl_id != 0 && p->wl_id != w.id && is_pod_kind(a, p->wl_id)) {
		log_info("pod %s/%s: moving records to %s %s/%s", p->ns,
		    p->name, w.kind, w.namespace_, w.name);
		if ((ret = store_workload_merge(a->st, p->wl_id, w.id)) < 0)
			goto out;
	}
	if (p->wl_id != w.id &&
	    (ret = store_attachment_set_workload(a->st, p->att_id, w.id)) < 0)
		goto out;
	p->wl_id = w.id;
	p->self = kp == NULL;
	ret = 0;
out:
	store_workload_clear(&w);
	return ret;
}

struct load {
	struct pod *pods;
	int n, cap;
	int err;
};

static int
load_cb(const struct store_attachment *sa, void *arg)
{
	struct load *l = arg;
	struct pod *p;

	if (l->n == l->cap) {
		int ncap = l->cap ? l->cap * 2 : 64;
		struct pod *np = realloc(l->pods, (size_t)ncap * sizeof(*np));

		if (np == NULL)
			return -ENOMEM;
		l->pods = np;
		l->cap = ncap;
	}
	p = &l->pods[l->n++];
	memset(p, 0, sizeof(*p));
	p->att_id = sa->id;
	p->wl_id = sa->workload_id;
	snprintf(p->container_id, sizeof(p->container_id), "%s",
	    sa->container_id);
	snprintf(p->ns, sizeof(p->ns), "%s", sa->pod_namespace);
	snprintf(p->name, sizeof(p->name), "%s", sa->pod_name);
	snprintf(p->uid, sizeof(p->uid), "%s", sa->pod_uid);
	for (int i = 0; i < sa->naddrs && i < STORE_MAX_ADDRS; i++)
		p->addrs[p->naddrs++] = sa->addrs[i].addr;
	return 0;
}

/* Both lists are in attachment id order: walk them side by side. */
static const struct pod *
old_pod(const struct attrib *a, int64_t att_id, int *j)
{
	while (*j < a->npods && a->pods[*j].att_id < att_id)
		(*j)++;
	if (*j < a->npods && a->pods[*j].att_id == att_id)
		return &a->pods[*j];
	return NULL;
}

static int
build_index(struct pod *pods, int n, struct addr_slot **out, size_t *mask)
{
	size_t slots = 16, total = 0;
	struct addr_slot *idx;

	for (int i = 0; i < n; i++)
		total += (size_t)pods[i].naddrs;
	while (slots < total * 2)
		slots <<= 1;
	if ((idx = calloc(slots, sizeof(*idx))) == NULL)
		return -ENOMEM;
	/* Later attachments win an address: they are newer (ids grow). */
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < pods[i].naddrs; j++) {
			const struct addr *ad = &pods[i].addrs[j];
			size_t k = addr_hash(ad) & (slots - 1);

			while (idx[k].pod != 0 && !addr_equal(&idx[k].addr, ad))
				k = (k + 1) & (slots - 1);
			idx[k].addr = *ad;
			idx[k].pod = i + 1;
		}
	}
	*out = idx;
	*mask = slots - 1;
	return 0;
}

int
attrib_reload(struct attrib *a, bool force)
{
	struct load l = { 0 };
	struct addr_slot *idx = NULL;
	size_t mask = 0;
	int64_t v = 0;
	int ret, j = 0;

	if ((ret = store_data_version(a->st, &v)) < 0)
		return ret;
	if (!force && a->have_version && v == a->data_version)
		return 0;
	if ((ret = store_attachment_foreach(a->st, true, load_cb, &l)) < 0)
		goto out;
	/* Keep what we already know of pods seen before (their workload
	 * and whether it is still the pod itself); resolve new ones. */
	for (int i = 0; i < l.n; i++) {
		const struct pod *op = old_pod(a, l.pods[i].att_id, &j);

		if (op != NULL && op->wl_id != 0) {
			l.pods[i].wl_id = op->wl_id;
			l.pods[i].self = op->self;
			continue;
		}
		if ((ret = resolve_pod(a, &l.pods[i])) < 0)
			log_warnx("attachment %lld: workload: %s",
			    (long long)l.pods[i].att_id, store_errmsg(a->st));
	}
	if ((ret = build_index(l.pods, l.n, &idx, &mask)) < 0)
		goto out;
	free(a->pods);
	free(a->idx);
	a->pods = l.pods;
	a->npods = l.n;
	a->idx = idx;
	a->idx_mask = mask;
	l.pods = NULL;
	/* Our own workload writes moved the version: read it after. */
	if (store_data_version(a->st, &v) == 0) {
		a->data_version = v;
		a->have_version = true;
	}
	ret = 1;
out:
	free(l.pods);
	return ret;
}

bool
attrib_version_fresh(struct attrib *a)
{
	int64_t v;

	return a->have_version && store_data_version(a->st, &v) == 0 &&
	    v == a->data_version;
}

void
attrib_note_own_write(struct attrib *a)
{
	int64_t v;

	if (store_data_version(a->st, &v) == 0) {
		a->data_version = v;
		a->have_version = true;
	}
}

int
attrib_npods(const struct attrib *a)
{
	return a->npods;
}

/* ---- peers ---------------------------------------------------------------- */

static bool
is_node_addr(const struct attrib *a, const struct addr *ad)
{
	for (int i = 0; i < a->nnode; i++)
		if (addr_equal(&a->node[i], ad))
			return true;
	return false;
}

void
attrib_add_node_addr(struct attrib *a, const struct addr *ad)
{
	if (a->nnode < NODE_ADDRS_MAX && !is_node_addr(a, ad))
		a->node[a->nnode++] = *ad;
}

static void
read_node_addrs(struct attrib *a)
{
	struct ifaddrs *ifa = NULL, *i;
	struct addr ad;

	if (getifaddrs(&ifa) < 0)
		return;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL)
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			addr_from_bytes(&ad, AF_INET,
			    &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr);
		else if (i->ifa_addr->sa_family == AF_INET6)
			addr_from_bytes(&ad, AF_INET6,
			    &((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr);
		else
			continue;
		if (!addr_is_loopback(&ad) && !addr_is_link_local(&ad))
			attrib_add_node_addr(a, &ad);
	}
	freeifaddrs(ifa);
}

static uint64_t
str_hash(uint64_t h, const char *str)
{
	for (; *str != '\0'; str++) {
		h ^= (unsigned char)*str;
		h *= 1099511628211ULL;
	}
	return (h ^ 0xff) * 1099511628211ULL;	/* the NUL separates */
}

/*
 * The id of workload w, writing it to the store only when it was not
 * written in the last WL_REFRESH seconds: the metadata generation moves
 * with every watch event in a busy cluster, and re-resolving the remote
 * peers must not turn into a store write per peer each time. The
 * periodic write keeps labels and selectors current.
 */
static int
remote_workload_id(struct attrib *a, struct store_workload *w, int64_t *id)
{
	uint64_t h = str_hash(str_hash(str_hash(1469598103934665603ULL,
	    w->namespace_), w->kind), w->name);
	struct wl_slot *c = &a->wls[h & (WL_CACHE - 1)];
	int64_t now = (int64_t)time(NULL);
	int ret;

	if (h == 0)
		h = 1;
	if (c->hash == h && now - c->put_at < WL_REFRESH) {
		*id = c->id;
		return 0;
	}
	if ((ret = store_workload_put(a->st, w)) < 0)
		return ret;
	c->hash = h;
	c->id = w->id;
	c->put_at = now;
	*id = w->id;
	return 0;
}

static void
resolve_remote(struct attrib *a, const struct addr *ad, struct peer_slot *s)
{
	const struct kmeta *km = meta_cache(a);
	const struct kmeta_pod *kp;
	struct store_workload w;
	char node[STORE_NAME_LEN];

	s->kind = FLOW_PEER_ADDRESS;
	s->wl_id = 0;
	if (is_node_addr(a, ad)) {
		s->kind = FLOW_PEER_NODE;
		return;
	}
	if (km == NULL)
		return;
	if ((kp = kmeta_pod_by_ip(km, ad)) != NULL && !kp->host_network) {
		memset(&w, 0, sizeof(w));
		if (kmeta_pod_workload(km, kp, &w) == 0 &&
		    remote_workload_id(a, &w, &s->wl_id) == 0)
			s->kind = FLOW_PEER_WORKLOAD;
		store_workload_clear(&w);
		if (s->kind == FLOW_PEER_WORKLOAD)
			return;
	}
	if (kmeta_node_by_ip(km, ad, node, sizeof(node))) {
		s->kind = FLOW_PEER_NODE;
		(void)store_node_put(a->st, node, ad);
	}
}

/* A pod whose workload could not be written yet (the store was busy
 * when it was read) gets another try; until it has one it is treated as
 * unknown, so that its events wait instead of being recorded against
 * workload 0. */
static struct pod *
ready(struct attrib *a, struct pod *p)
{
	if (p == NULL || p->wl_id != 0)
		return p;
	if (resolve_pod(a, p) < 0 || p->wl_id == 0)
		return NULL;
	return p;
}

static void
peer_of(struct attrib *a, const struct addr *ad, struct flow_key *k)
{
	struct pod *p = ready(a, pod_by_addr(a, ad));
	struct peer_slot *s;
	uint64_t gen = a->meta_gen + 1;

	if (p != NULL) {
		k->peer_kind = FLOW_PEER_WORKLOAD;
		k->peer_wl = p->wl_id;
		return;
	}
	s = &a->peers[addr_hash(ad) & (PEER_CACHE - 1)];
	if (s->gen != gen || !addr_equal(&s->addr, ad)) {
		s->addr = *ad;
		s->gen = gen;
		resolve_remote(a, ad, s);
	}
	k->peer_kind = s->kind;
	if (s->kind == FLOW_PEER_WORKLOAD)
		k->peer_wl = s->wl_id;
	else
		k->peer = *ad;
}

/* ---- DNS ------------------------------------------------------------------ */

static size_t
dns_home(const struct attrib *a, int64_t att_id, const struct addr *ad)
{
	return (addr_hash(ad) ^ ((uint64_t)att_id * 0x9e3779b97f4a7c15ULL)) &
	    a->dns_mask;
}

static const char *
dns_lookup(const struct attrib *a, const struct pod *p,
    const struct addr *ad, int64_t now)
{
	size_t h = dns_home(a, p->att_id, ad);

	for (int i = 0; i < DNS_PROBE; i++) {
		const struct dns_slot *s = &a->dns[(h + (size_t)i) & a->dns_mask];

		if (s->att_id == p->att_id && addr_equal(&s->addr, ad) &&
		    s->expires >= now)
			return s->name;
	}
	return NULL;
}

static void
dns_remember(struct attrib *a, const struct pod *p, const char *name,
    const struct dns_answer *ans, int64_t now)
{
	size_t h = dns_home(a, p->att_id, &ans->addr);
	struct dns_slot *victim = NULL, *s;

	for (int i = 0; i < DNS_PROBE; i++) {
		s = &a->dns[(h + (size_t)i) & a->dns_mask];
		if (s->att_id == p->att_id && addr_equal(&s->addr, &ans->addr)) {
			victim = s;
			break;
		}
		/* Otherwise the empty or soonest-expiring slot. */
		if (victim == NULL || s->att_id == 0 ||
		    (victim->att_id != 0 && s->expires < victim->expires))
			victim = s;
	}
	victim->att_id = p->att_id;
	victim->addr = ans->addr;
	victim->expires = now + (int64_t)ans->ttl + DNS_GRACE;
	snprintf(victim->name, sizeof(victim->name), "%s", name);
}

int
attrib_dns(struct attrib *a, const struct addr *dst,
    const struct dns_answers *ans, int64_t now)
{
	const struct pod *p = pod_by_addr(a, dst);
	int kept = 0;

	if (p == NULL || ans->qname[0] == '\0')
		return 0;
	for (int i = 0; i < ans->n; i++) {
		struct store_dns *d;

		dns_remember(a, p, ans->qname, &ans->a[i], now);
		if (a->npending == DNS_PENDING)
			(void)attrib_dns_flush(a);
		if (a->npending < DNS_PENDING) {
			d = &a->pending[a->npending++];
			memset(d, 0, sizeof(*d));
			d->attachment_id = p->att_id;
			snprintf(d->name, sizeof(d->name), "%s", ans->qname);
			d->addr = ans->a[i].addr;
			d->ttl = ans->a[i].ttl;
			d->seen = now;
		}
		kept++;
	}
	return kept;
}

int
attrib_dns_flush(struct attrib *a)
{
	int ret;

	if (a->npending == 0)
		return 0;
	if ((ret = store_dns_write(a->st, a->pending,
	    (size_t)a->npending)) < 0) {
		/* Answers are also in memory: naming flows does not depend
		 * on the store; drop the backlog rather than grow it. */
		if (a->npending == DNS_PENDING)
			a->npending = 0;
		return ret;
	}
	a->npending = 0;
	return 0;
}

/* ---- events --------------------------------------------------------------- */

static int64_t
now_s(void)
{
	return (int64_t)time(NULL);
}

int
attrib_event(struct attrib *a, const struct ct_event *ev,
    struct attrib_side out[2], int *n)
{
	const struct addr *server, *client;
	struct pod *src, *dst;
	struct flow_key base;
	uint16_t port, oport;
	bool icmp = ev->proto == IPPROTO_ICMP || ev->proto == IPPROTO_ICMPV6;

	*n = 0;
	/* What the pods see: the server after DNAT (reply source) and the
	 * client after SNAT (reply destination). */
	server = ev->has_reply ? &ev->reply.src : &ev->orig.dst;
	client = ev->has_reply ? &ev->reply.dst : &ev->orig.src;
	if (addr_is_loopback(&ev->orig.src) || addr_is_loopback(&ev->orig.dst) ||
	    addr_is_loopback(server) || addr_is_loopback(client))
		return 0;
	port = icmp ? 0 : (ev->has_reply ? ev->reply.sport : ev->orig.dport);
	oport = icmp ? 0 : ev->orig.dport;

	flow_key_init(&base);
	base.protocol = ev->proto;
	base.port = port;
	if (!addr_equal(&ev->orig.dst, server) || oport != port) {
		base.orig = ev->orig.dst;
		base.orig_port = oport;
	}
	src = ready(a, pod_by_addr(a, &ev->orig.src));
	dst = ready(a, pod_by_addr(a, server));
	if (src == NULL && dst == NULL)
		return -EAGAIN;
	if (src != NULL) {
		struct attrib_side *s = &out[(*n)++];

		s->key = base;
		s->key.subject = src->wl_id;
		s->key.direction = FLOW_EGRESS;
		peer_of(a, server, &s->key);
		s->dns_name = dns_lookup(a, src, &ev->orig.dst, now_s());
		if (s->dns_name == NULL && base.orig.family != 0)
			s->dns_name = dns_lookup(a, src, server, now_s());
	}
	if (dst != NULL) {
		struct attrib_side *s = &out[(*n)++];

		s->key = base;
		s->key.subject = dst->wl_id;
		s->key.direction = FLOW_INGRESS;
		peer_of(a, client, &s->key);
		s->dns_name = NULL;
	}
	return 0;
}

/* ---- metadata ------------------------------------------------------------- */

int
attrib_meta_fd(const struct attrib *a)
{
	if (a->ms == NULL)
		return -1;
	return metasrc_fd(a->ms);
}

bool
attrib_meta_pending(const struct attrib *a)
{
	if (a->ms == NULL)
		return false;
	return !metasrc_synced(a->ms);
}

int
attrib_meta_process(struct attrib *a)
{
	uint64_t g;
	int ret;

	if (a->ms == NULL)
		return 0;
	if ((ret = metasrc_process(a->ms)) < 0)
		return ret;
	g = meta_gen(a);
	if (g == a->meta_gen)
		return 0;
	a->meta_gen = g;	/* also invalidates the peer cache */
	return 1;
}

bool
attrib_reattribute_needed(const struct attrib *a)
{
	for (int i = 0; i < a->npods; i++) {
		const struct pod *p = &a->pods[i];

		if ((p->self || p->wl_id == 0) && meta_pod(a, p) != NULL)
			return true;
	}
	return false;
}

int
attrib_reattribute(struct attrib *a)
{
	int ret = 0;

	for (int i = 0; i < a->npods; i++) {
		struct pod *p = &a->pods[i];
		int r;

		if (!p->self && p->wl_id != 0)
			continue;
		if (meta_pod(a, p) == NULL && p->wl_id != 0)
			continue;
		/* Forget the cached shortcut: resolve_pod keeps a known id
		 * when metadata is silent, so clear nothing else. */
		if ((r = resolve_pod(a, p)) < 0)
			ret = r;
	}
	/* A merge deletes a workload: forget the ids written before. */
	memset(a->wls, 0, sizeof(a->wls));
	return ret;
}

/* ---- life ------------------------------------------------------------------ */

int
attrib_new(struct store *st, const struct attrib_conf *conf,
    struct attrib **out)
{
	struct attrib *a = NULL;
	struct metasrc_conf mc;
	size_t slots = 16;
	int ret = -ENOMEM;

	*out = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		goto out;
	a->st = st;
	while (slots < conf->dns_cache)
		slots <<= 1;
	if ((a->dns = calloc(slots, sizeof(*a->dns))) == NULL)
		goto out;
	a->dns_mask = slots - 1;
	read_node_addrs(a);

	memset(&mc, 0, sizeof(mc));
	mc.file = conf->meta_file;
	mc.kubeconfig = conf->meta_kubeconfig;
	mc.in_cluster = conf->meta_in_cluster;
	if (mc.file != NULL || mc.kubeconfig != NULL || mc.in_cluster) {
		if ((ret = metasrc_open(&mc, &a->ms)) < 0) {
			log_warnx("metadata source: %s", strerror(-ret));
			goto out;
		} else {
			(void)metasrc_process(a->ms);
			a->meta_gen = meta_gen(a);
		}
	}
	if ((ret = attrib_reload(a, true)) < 0)
		goto out;
	*out = a;
	a = NULL;
	ret = 0;
out:
	attrib_free(a);
	return ret;
}

void
attrib_free(struct attrib *a)
{
	if (a == NULL)
		return;
	metasrc_close(a->ms);
	free(a->pods);
	free(a->idx);
	free(a->dns);
	free(a);
}
