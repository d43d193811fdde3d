#include "recorderd/attrib.h"

#include <errno.h>
#include <ifaddrs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>

#include "recorderd/meta/kmeta.h"
#include "lib/log.h"
#include "recorderd/metasrc.h"
#include "recorderd/vec.h"

#define NODE_ADDRS_MAX 64
#define PEER_CACHE 4096		/* remote addresses resolved, direct-mapped */
#define DNS_PROBE 8
#define DNS_PENDING 4096	/* answers queued for the store per flush */
#define NODES_PENDING 256	/* node addresses queued per flush */
#define DNS_GRACE 300		/* seconds an answer outlives its TTL */

/* A held pod: its attachment (in a->pods) and its workload. */
struct pod {
	const struct pods_pod *src;
	int64_t wl;			/* wltab handle, 0 not resolved */
	int64_t assigned;		/* handle the store has (or will
					 * have) for the attachment, 0 none */
	bool self;			/* recorded as itself, owner unknown */
};

struct addr_slot {
	struct addr addr;
	int pod;			/* index + 1, 0 empty */
};

struct peer_slot {
	struct addr addr;
	uint64_t gen;			/* metadata generation + 1, 0 empty */
	uint8_t kind;
	int64_t wl;			/* wltab handle */
};

struct dns_slot {
	int64_t att_id;			/* 0 empty */
	struct addr addr;
	int64_t expires;
	char name[DNS_NAME_LEN];
};

struct merge {
	int64_t from, to;
};

struct assign {
	int64_t att_id, wl;
};

struct node_addr {
	char name[STORE_NAME_LEN];
	struct addr addr;
};

struct attrib {
	struct metasrc *ms;
	uint64_t meta_gen;
	struct wltab *wl;

	struct pods *src;		/* the table pods[] point into */
	struct pod *pods;
	int npods;
	struct addr_slot *idx;
	size_t idx_mask;

	struct addr node[NODE_ADDRS_MAX];
	int nnode;

	struct peer_slot peers[PEER_CACHE];

	struct dns_slot *dns;
	size_t dns_mask;

	/* For the store, moved into the next flush by attrib_collect. */
	struct vec merges;		/* struct merge */
	struct vec assigns;		/* struct assign */
	struct store_dns *qdns;		/* DNS_PENDING */
	int nqdns;
	struct node_addr qnodes[NODES_PENDING];
	int nqnodes;
	int64_t dns_unstored;
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
meta_pod(const struct attrib *a, const struct pods_pod *p)
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
self_workload(const struct pods_pod *p, struct store_workload *w)
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

static int
queue_merge(struct attrib *a, int64_t from, int64_t to)
{
	struct merge *m = vec_push(&a->merges, sizeof(*m));

	if (m == NULL)
		return -ENOMEM;
	m->from = from;
	m->to = to;
	return 0;
}

static int
queue_assign(struct attrib *a, struct pod *p, int64_t wl)
{
	struct assign *as = vec_push(&a->assigns, sizeof(*as));

	if (as == NULL)
		return -ENOMEM;
	as->att_id = p->src->att_id;
	as->wl = wl;
	p->assigned = wl;
	return 0;
}

/*
 * Find the pod's workload: its owner when metadata knows the pod, else
 * the workload the store already records the attachment against (the
 * metadata may simply not be loaded yet after a restart), else the pod
 * itself. A bare-pod workload is merged into the owner once the owner is
 * known: re-pointed here, the store's merge queued.
 */
static int
resolve_pod(struct attrib *a, struct pod *p)
{
	const struct kmeta_pod *kp = meta_pod(a, p->src);
	struct store_workload w;
	int64_t h, old;
	int ret;

	if (p->src->wl.id != 0 && p->assigned == 0 &&
	    (ret = wltab_put(a->wl, &p->src->wl, &p->assigned)) < 0)
		return ret;
	if (kp == NULL && p->wl == 0 && p->assigned != 0) {
		p->wl = p->assigned;
		p->self = wltab_is_pod(a->wl, p->wl);
		return 0;
	}
	memset(&w, 0, sizeof(w));
	if (kp != NULL) {
		if ((ret = kmeta_pod_workload(meta_cache(a), kp, &w)) < 0)
			return ret;
	} else
		self_workload(p->src, &w);
	ret = wltab_put(a->wl, &w, &h);
	store_workload_clear(&w);
	if (ret < 0)
		return ret;
	old = p->wl != 0 ? p->wl : p->assigned;
	if (old != 0 && old != h && wltab_is_pod(a->wl, old)) {
		const struct wltab_entry *e = wltab_get(a->wl, h);

		log_info("pod %s/%s: moving records to %s %s/%s", p->src->ns,
		    p->src->name, e->kind, e->namespace_, e->name);
		if ((ret = queue_merge(a, old, h)) < 0)
			return ret;
		wltab_retire(a->wl, old);
	}
	if (h != p->assigned && (ret = queue_assign(a, p, h)) < 0)
		return ret;
	p->wl = h;
	p->self = kp == NULL;
	return 0;
}

/* Both lists are in attachment id order: walk them side by side. */
static const struct pod *
old_pod(const struct attrib *a, int64_t att_id, int *j)
{
	while (*j < a->npods && a->pods[*j].src->att_id < att_id)
		(*j)++;
	if (*j < a->npods && a->pods[*j].src->att_id == att_id)
		return &a->pods[*j];
	return NULL;
}

static int
build_index(const struct pod *pods, int n, struct addr_slot **out,
    size_t *mask)
{
	size_t slots = 16, total = 0;
	struct addr_slot *idx;

	for (int i = 0; i < n; i++)
		total += (size_t)pods[i].src->naddrs;
	while (slots < total * 2)
		slots <<= 1;
	if ((idx = calloc(slots, sizeof(*idx))) == NULL)
		return -ENOMEM;
	/* Later attachments win an address: they are newer (ids grow). */
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < pods[i].src->naddrs; j++) {
			const struct addr *ad = &pods[i].src->addrs[j];
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

void
attrib_set_pods(struct attrib *a, struct pods *src)
{
	struct pod *pods;
	struct addr_slot *idx = NULL;
	size_t mask = 0;
	int j = 0;

	if ((pods = calloc((size_t)src->n + 1, sizeof(*pods))) == NULL)
		goto nomem;
	for (int i = 0; i < src->n; i++)
		pods[i].src = &src->pod[i];
	if (build_index(pods, src->n, &idx, &mask) < 0)
		goto nomem;
	/* Keep what we already know of pods seen before (their workload
	 * and whether it is still the pod itself); resolve new ones. */
	for (int i = 0; i < src->n; i++) {
		const struct pod *op = old_pod(a, src->pod[i].att_id, &j);

		if (op != NULL && op->wl != 0) {
			pods[i].wl = op->wl;
			pods[i].assigned = op->assigned;
			pods[i].self = op->self;
			continue;
		}
		if (resolve_pod(a, &pods[i]) < 0)
			log_warnx("attachment %lld: workload: %s",
			    (long long)src->pod[i].att_id, strerror(ENOMEM));
	}
	free(a->pods);
	free(a->idx);
	pods_free(a->src);
	a->src = src;
	a->pods = pods;
	a->npods = src->n;
	a->idx = idx;
	a->idx_mask = mask;
	return;
nomem:
	/* Keep the table we have: a newer one comes with the next read. */
	log_warnx("attached pods: %s", strerror(ENOMEM));
	free(pods);
	pods_free(src);
}

const struct pods *
attrib_pods(const struct attrib *a)
{
	return a->src;
}

const struct wltab *
attrib_wltab(const struct attrib *a)
{
	return a->wl;
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

/* A node address met as a peer, for the store's nodes table (once per
 * flush; the store ignores the ones it has). */
static void
queue_node(struct attrib *a, const char *name, const struct addr *ad)
{
	for (int i = 0; i < a->nqnodes; i++)
		if (addr_equal(&a->qnodes[i].addr, ad) &&
		    strcmp(a->qnodes[i].name, name) == 0)
			return;
	/* Full: it is met again, and queued then. */
	if (a->nqnodes == NODES_PENDING)
		return;
	snprintf(a->qnodes[a->nqnodes].name, STORE_NAME_LEN, "%s", name);
	a->qnodes[a->nqnodes++].addr = *ad;
}

static void
resolve_remote(struct attrib *a, const struct addr *ad, struct peer_slot *s)
{
	const struct kmeta *km = meta_cache(a);
	const struct kmeta_pod *kp;
	struct store_workload w;
	char node[STORE_NAME_LEN];

	s->kind = FLOW_PEER_ADDRESS;
	s->wl = 0;
	if (is_node_addr(a, ad)) {
		s->kind = FLOW_PEER_NODE;
		return;
	}
	if (km == NULL)
		return;
	if ((kp = kmeta_pod_by_ip(km, ad)) != NULL && !kp->host_network) {
		memset(&w, 0, sizeof(w));
		if (kmeta_pod_workload(km, kp, &w) == 0 &&
		    wltab_put(a->wl, &w, &s->wl) == 0)
			s->kind = FLOW_PEER_WORKLOAD;
		store_workload_clear(&w);
		if (s->kind == FLOW_PEER_WORKLOAD)
			return;
	}
	if (kmeta_node_by_ip(km, ad, node, sizeof(node))) {
		s->kind = FLOW_PEER_NODE;
		queue_node(a, node, ad);
	}
}

/* A pod whose workload could not be resolved (out of memory when its
 * table came) gets another try; until it has one it is treated as
 * unknown, so that its events wait instead of being recorded against
 * no workload. */
static struct pod *
ready(struct attrib *a, struct pod *p)
{
	if (p == NULL || p->wl != 0)
		return p;
	if (resolve_pod(a, p) < 0 || p->wl == 0)
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
		k->peer_wl = p->wl;
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
		k->peer_wl = s->wl;
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
	int64_t att = p->src->att_id;
	size_t h = dns_home(a, att, ad);

	for (int i = 0; i < DNS_PROBE; i++) {
		const struct dns_slot *s = &a->dns[(h + (size_t)i) & a->dns_mask];

		if (s->att_id == att && addr_equal(&s->addr, ad) &&
		    s->expires >= now)
			return s->name;
	}
	return NULL;
}

static void
dns_remember(struct attrib *a, const struct pod *p, const char *name,
    const struct dns_answer *ans, int64_t now)
{
	int64_t att = p->src->att_id;
	size_t h = dns_home(a, att, &ans->addr);
	struct dns_slot *victim = NULL, *s;

	for (int i = 0; i < DNS_PROBE; i++) {
		s = &a->dns[(h + (size_t)i) & a->dns_mask];
		if (s->att_id == att && addr_equal(&s->addr, &ans->addr)) {
			victim = s;
			break;
		}
		/* Otherwise the empty or soonest-expiring slot. */
		if (victim == NULL || s->att_id == 0 ||
		    (victim->att_id != 0 && s->expires < victim->expires))
			victim = s;
	}
	victim->att_id = att;
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
		kept++;
		/* The store keeps answers for the record; naming flows works
		 * from memory. A backlog past DNS_PENDING (the store busy
		 * for long) is counted, not kept. */
		if (a->nqdns == DNS_PENDING) {
			a->dns_unstored++;
			continue;
		}
		d = &a->qdns[a->nqdns++];
		memset(d, 0, sizeof(*d));
		d->attachment_id = p->src->att_id;
		snprintf(d->name, sizeof(d->name), "%s", ans->qname);
		d->addr = ans->a[i].addr;
		d->ttl = ans->a[i].ttl;
		d->seen = now;
	}
	return kept;
}

static int
collect_wl(void *arg, int64_t handle, const struct wltab_entry *e)
{
	struct store_workload w;

	memset(&w, 0, sizeof(w));
	snprintf(w.namespace_, sizeof(w.namespace_), "%s", e->namespace_);
	snprintf(w.kind, sizeof(w.kind), "%s", e->kind);
	snprintf(w.name, sizeof(w.name), "%s", e->name);
	/* Borrowed: batch_add_workload copies them. */
	w.selector_json = (char *)(uintptr_t)e->selector_json;
	w.labels_json = (char *)(uintptr_t)e->labels_json;
	w.ports_json = (char *)(uintptr_t)e->ports_json;
	w.host_network = e->host_network;
	w.started_at = e->started_at;
	snprintf(w.uid, sizeof(w.uid), "%s", e->uid);
	w.deleted_at = e->deleted_at;
	return batch_add_workload(arg, handle, &w);
}

int
attrib_collect(struct attrib *a, struct batch *b)
{
	const struct merge *m = a->merges.v;
	const struct assign *as = a->assigns.v;
	size_t i;
	int ret;

	/* Workloads first: the rest names them. */
	if ((ret = wltab_take_dirty(a->wl, collect_wl, b)) < 0)
		return ret;
	for (i = 0; i < a->merges.n; i++)
		if ((ret = batch_add_merge(b, m[i].from, m[i].to)) < 0)
			goto out;
	for (i = 0; i < a->assigns.n; i++)
		if ((ret = batch_add_assign(b, as[i].att_id, as[i].wl)) < 0)
			goto out;
	for (int k = 0; k < a->nqdns; k++)
		if ((ret = batch_add_dns(b, &a->qdns[k])) < 0)
			goto out;
	for (int k = 0; k < a->nqnodes; k++)
		if ((ret = batch_add_node(b, a->qnodes[k].name,
		    &a->qnodes[k].addr)) < 0)
			goto out;
	batch_counts(b)->dns_unstored += a->dns_unstored;
	a->dns_unstored = 0;
	a->merges.n = a->assigns.n = 0;
	a->nqdns = a->nqnodes = 0;
	return 0;
out:
	/* Out of memory halfway: the batch keeps what it took and the rest
	 * stays queued; a merge or assignment repeated later is harmless
	 * (the store skips a merge already done, an assignment is a set). */
	return ret;
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
		s->key.subject = src->wl;
		s->key.direction = FLOW_EGRESS;
		peer_of(a, server, &s->key);
		s->dns_name = dns_lookup(a, src, &ev->orig.dst, now_s());
		if (s->dns_name == NULL && base.orig.family != 0)
			s->dns_name = dns_lookup(a, src, server, now_s());
	}
	if (dst != NULL) {
		struct attrib_side *s = &out[(*n)++];

		s->key = base;
		s->key.subject = dst->wl;
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

/* A workload the metadata saw go: the one the table holds under that
 * name, unless the table knows it as another object (another uid). */
static void
on_gone(void *arg, const struct kmeta_gone *g)
{
	struct attrib *a = arg;
	const struct wltab_entry *e;
	int64_t h;

	if ((h = wltab_find(a->wl, g->ns, g->kind, g->name)) == 0 ||
	    (e = wltab_get(a->wl, h)) == NULL || e->deleted_at != 0)
		return;
	if (g->uid[0] != '\0' && e->uid[0] != '\0' &&
	    strcmp(g->uid, e->uid) != 0)
		return;
	log_info("%s %s/%s was deleted in the API: its records are kept, its "
	    "published profiles go", g->kind, g->ns, g->name);
	wltab_set_deleted(a->wl, h, now_s());
}

int
attrib_meta_process(struct attrib *a)
{
	uint64_t g;
	size_t dropped;
	int ret;

	if (a->ms == NULL)
		return 0;
	if ((ret = metasrc_process(a->ms)) < 0)
		return ret;
	if ((dropped = metasrc_take_gone(a->ms, on_gone, a)) > 0)
		log_warnx("metadata: %zu deleted workloads came faster than "
		    "they were taken; their profiles go by the API's garbage "
		    "collector or retention", dropped);
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

		if ((p->self || p->wl == 0) && meta_pod(a, p->src) != NULL)
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

		if (!p->self && p->wl != 0)
			continue;
		if (meta_pod(a, p->src) == NULL && p->wl != 0)
			continue;
		if ((r = resolve_pod(a, p)) < 0)
			ret = r;
	}
	return ret;
}

int
attrib_refresh_workloads(struct attrib *a)
{
	const struct wltab_entry *e;
	const struct kmeta_pod *kp;
	struct store_workload w;
	size_t before;
	int64_t h;
	int changed = 0, ret;

	for (int i = 0; i < a->npods; i++) {
		struct pod *p = &a->pods[i];

		if (p->self || p->wl == 0 ||
		    (kp = meta_pod(a, p->src)) == NULL)
			continue;
		if ((ret = kmeta_pod_workload(meta_cache(a), kp, &w)) < 0)
			return ret;
		/* Only the same workload's attributes: a pod that moved to
		 * another owner is reattribution's business. */
		e = wltab_get(a->wl, p->wl);
		if (e != NULL && strcmp(e->namespace_, w.namespace_) == 0 &&
		    strcmp(e->kind, w.kind) == 0 &&
		    strcmp(e->name, w.name) == 0) {
			before = wltab_ndirty(a->wl);
			ret = wltab_put(a->wl, &w, &h);
			if (ret == 0 && wltab_ndirty(a->wl) > before)
				changed++;
		} else
			ret = 0;
		store_workload_clear(&w);
		if (ret < 0)
			return ret;
	}
	return changed;
}

const char *
attrib_node_uid(const struct attrib *a, const char *name)
{
	const struct kmeta *km = meta_cache(a);
	const char *uid;

	if (km == NULL || name == NULL || *name == '\0')
		return NULL;
	uid = kmeta_node_uid(km, name);
	return uid != NULL && *uid != '\0' ? uid : NULL;
}

/* ---- life ------------------------------------------------------------------ */

int
attrib_new(const struct attrib_conf *conf, struct attrib **out)
{
	struct attrib *a = NULL;
	struct metasrc_conf mc;
	size_t slots = 16;
	int ret = -ENOMEM;

	*out = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		goto out;
	while (slots < conf->dns_cache)
		slots <<= 1;
	if ((a->dns = calloc(slots, sizeof(*a->dns))) == NULL ||
	    (a->qdns = calloc(DNS_PENDING, sizeof(*a->qdns))) == NULL ||
	    (a->src = calloc(1, sizeof(*a->src))) == NULL ||
	    (ret = wltab_new(&a->wl)) < 0)
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
	pods_free(a->src);
	free(a->pods);
	free(a->idx);
	free(a->dns);
	free(a->qdns);
	vec_free(&a->merges);
	vec_free(&a->assigns);
	wltab_free(a->wl);
	free(a);
}
