#include "recorderd/attrib.h"

#include <errno.h>
#include <ifaddrs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>

#include "lib/sort.h"
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
#define LOCAL_NETS 64		/* pod networks remembered */

/* A held pod: its attachment (in a->src, or a->prov before the store has
 * it) and its workload. */
struct pod {
	const struct pods_pod *src;
	int64_t att_id;			/* src->att_id, kept here: src may be
					 * gone while the next table is built */
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

/* An attachment by its key (container id, ifname). */
struct att_key {
	char cid[STORE_ID_LEN];
	char ifname[STORE_IFNAME_LEN];
};

/* A provisional attachment's DNS records move to its store id. */
struct rekey {
	int64_t from, to;
};

struct attrib {
	struct metasrc *ms;
	uint64_t meta_gen;
	struct wltab *wl;

	struct pods *src;		/* the store's table */
	struct pods *prov;		/* announced, not in src yet: ids < 0 */
	int64_t serial;			/* last provisional id handed out */
	struct vec hidden;		/* struct att_key: detached, still in
					 * src until the store has it */
	struct pod *pods;		/* src's (not hidden), then prov's */
	int npods, nstore;
	struct addr_slot *idx;
	size_t idx_mask;
	struct addr_cidr local[LOCAL_NETS];	/* the pods' networks */
	int nlocal;
	char node_name[STORE_NAME_LEN];

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

/* ---- DNS answers, by attachment and address ---------------------------- */

static size_t
dns_home(const struct attrib *a, int64_t att_id, const struct addr *ad)
{
	return (addr_hash(ad) ^ ((uint64_t)att_id * 0x9e3779b97f4a7c15ULL)) &
	    a->dns_mask;
}

/* Remember name for address ad of attachment att until expires. */
static void
dns_put(struct attrib *a, int64_t att, const struct addr *ad,
    const char *name, int64_t expires)
{
	size_t h = dns_home(a, att, ad);
	struct dns_slot *victim = NULL, *s;

	for (int i = 0; i < DNS_PROBE; i++) {
		s = &a->dns[(h + (size_t)i) & a->dns_mask];
		if (s->att_id == att && addr_equal(&s->addr, ad)) {
			victim = s;
			break;
		}
		/* Otherwise the empty or soonest-expiring slot. */
		if (victim == NULL || s->att_id == 0 ||
		    (victim->att_id != 0 && s->expires < victim->expires))
			victim = s;
	}
	victim->att_id = att;
	victim->addr = *ad;
	victim->expires = expires;
	snprintf(victim->name, sizeof(victim->name), "%s", name);
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
	struct assign *as;

	/* Not in the store yet: assigned once it is (attrib_set_pods). */
	if (p->src->att_id <= 0)
		return 0;
	if ((as = vec_push(&a->assigns, sizeof(*as))) == NULL)
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

/* The pod held now for attachment id att_id, or NULL. Store ids are
 * in increasing order in a->pods[0..nstore); provisional ones follow. */
static const struct pod *
old_pod(const struct attrib *a, int64_t att_id)
{
	int lo = 0, hi = a->nstore;

	if (att_id < 0) {
		for (int i = a->nstore; i < a->npods; i++)
			if (a->pods[i].att_id == att_id)
				return &a->pods[i];
		return NULL;
	}
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (a->pods[mid].att_id < att_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < a->nstore && a->pods[lo].att_id == att_id)
		return &a->pods[lo];
	return NULL;
}

static bool
same_key(const struct pods_pod *p, const char *cid, const char *ifname)
{
	return strcmp(p->container_id, cid) == 0 &&
	    strcmp(p->ifname, ifname) == 0;
}

static bool
hidden(const struct attrib *a, const struct pods_pod *p)
{
	const struct att_key *k = a->hidden.v;

	for (size_t i = 0; i < a->hidden.n; i++)
		if (same_key(p, k[i].cid, k[i].ifname))
			return true;
	return false;
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
	/* Later attachments win an address: they are newer (store ids
	 * grow, and announced ones come last). */
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

/* The networks the pods' addresses are in (as their CNI gave them): an
 * unknown address inside one may be a pod attached a moment ago. */
static void
note_networks(struct attrib *a)
{
	a->nlocal = 0;
	for (int i = 0; i < a->npods; i++) {
		const struct pods_pod *p = a->pods[i].src;

		for (int j = 0; j < p->naddrs; j++) {
			struct addr_cidr c;
			char buf[ADDR_CIDR_STRLEN + ADDR_STRLEN];
			int k;

			addr_format(&p->addrs[j], buf, ADDR_STRLEN);
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
			    "/%u", p->prefix[j]);
			/* No prefix known (an adopted pod): the address. */
			if (p->prefix[j] == 0 || addr_cidr_parse(buf, &c) < 0)
				continue;
			for (k = 0; k < a->nlocal; k++)
				if (memcmp(&a->local[k], &c, sizeof(c)) == 0)
					break;
			if (k == a->nlocal && a->nlocal < LOCAL_NETS)
				a->local[a->nlocal++] = c;
		}
	}
}

/*
 * Make the pods and their index from the store's table src and the
 * provisional ones prov, leaving out the hidden. A pod held before keeps
 * what is known of it (its workload, whether it is still the pod
 * itself); a new one is resolved. src and prov become a->src and a->prov
 * (the old ones are freed). -ENOMEM: nothing changed, src and prov are
 * still the caller's.
 */
static int
rebuild(struct attrib *a, struct pods *src, struct pods *prov)
{
	struct pod *pods;
	struct addr_slot *idx = NULL;
	size_t mask = 0;
	int n = 0, nstore;

	if ((pods = calloc((size_t)src->n + (size_t)prov->n + 1,
	    sizeof(*pods))) == NULL)
		return -ENOMEM;
	for (int i = 0; i < src->n; i++)
		if (!hidden(a, &src->pod[i]))
			pods[n++].src = &src->pod[i];
	nstore = n;
	for (int i = 0; i < prov->n; i++)
		pods[n++].src = &prov->pod[i];
	if (build_index(pods, n, &idx, &mask) < 0) {
		free(pods);
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		const struct pod *op;

		pods[i].att_id = pods[i].src->att_id;
		if ((op = old_pod(a, pods[i].att_id)) != NULL && op->wl != 0) {
			pods[i].wl = op->wl;
			pods[i].assigned = op->assigned;
			pods[i].self = op->self;
		}
	}
	free(a->pods);
	free(a->idx);
	if (a->src != src)
		pods_free(a->src);
	if (a->prov != prov)
		pods_free(a->prov);
	a->src = src;
	a->prov = prov;
	a->pods = pods;
	a->npods = n;
	a->nstore = nstore;
	a->idx = idx;
	a->idx_mask = mask;
	for (int i = 0; i < n; i++)
		if (a->pods[i].wl == 0 && resolve_pod(a, &a->pods[i]) < 0)
			log_warnx("attachment %lld: workload: %s",
			    (long long)a->pods[i].att_id, strerror(ENOMEM));
	note_networks(a);
	return 0;
}

/* A copy of the provisional attachments to change: the pods held point
 * into the current one until the next table is built. NULL: ENOMEM. */
static struct pods *
prov_copy(const struct attrib *a)
{
	struct pods *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	for (int i = 0; i < a->prov->n; i++)
		if (pods_append(p, &a->prov->pod[i]) < 0) {
			pods_free(p);
			return NULL;
		}
	return p;
}

static int
rekey_cmp(const void *x, const void *y)
{
	const struct rekey *p = x, *q = y;

	return p->from < q->from ? -1 : p->from > q->from;
}

static int64_t
rekeyed(const struct rekey *r, size_t n, int64_t id)
{
	struct rekey k = { .from = id };
	const struct rekey *f;

	if (id >= 0 || n == 0)
		return id;
	f = search_n(&k, r, n, sizeof(*r), rekey_cmp);
	return f != NULL ? f->to : id;
}

/* What provisional attachments learnt (DNS answers) goes to their store
 * ids. */
static void
rekey_dns(struct attrib *a, struct rekey *r, size_t n)
{
	if (n == 0)
		return;
	sort_n(r, n, sizeof(*r), rekey_cmp);
	/* A slot's place depends on its id: taken out, put back. */
	for (size_t i = 0; i <= a->dns_mask; i++) {
		struct dns_slot moved = a->dns[i];
		int64_t to = rekeyed(r, n, moved.att_id);

		if (to == moved.att_id)
			continue;
		a->dns[i].att_id = 0;
		dns_put(a, to, &moved.addr, moved.name, moved.expires);
	}
	for (int i = 0; i < a->nqdns; i++)
		a->qdns[i].attachment_id = rekeyed(r, n,
		    a->qdns[i].attachment_id);
}

/*
 * The provisional attachments the store table src has now stop being
 * provisional: rebuild() resolves the store's pod as it resolved them
 * (the same workload), and what they learnt moves to the store id
 * (*moved). Detached attachments that src no longer has stop being
 * hidden.
 */
static void
settle(struct attrib *a, const struct pods *src, struct pods *prov,
    struct vec *moved)
{
	struct att_key *k = a->hidden.v;
	size_t keep = 0;

	for (int i = 0; i < prov->n; ) {
		const struct pods_pod *pp = &prov->pod[i];
		struct rekey *r;
		int j;

		for (j = 0; j < src->n; j++)
			if (same_key(&src->pod[j], pp->container_id,
			    pp->ifname))
				break;
		if (j == src->n) {
			i++;
			continue;
		}
		if ((r = vec_push(moved, sizeof(*r))) != NULL) {
			r->from = pp->att_id;
			r->to = src->pod[j].att_id;
		}
		pods_remove(prov, i);
	}
	for (size_t i = 0; i < a->hidden.n; i++) {
		bool there = false;

		for (int j = 0; j < src->n && !there; j++)
			there = same_key(&src->pod[j], k[i].cid, k[i].ifname);
		if (there)
			k[keep++] = k[i];
	}
	a->hidden.n = keep;
}

/* A provisional attachment went before the store had it: its DNS
 * answers cannot be stored against it (counted). */
static void
drop_dns_rows(struct attrib *a, int64_t att_id)
{
	int keep = 0;

	for (int i = 0; i < a->nqdns; i++) {
		if (a->qdns[i].attachment_id == att_id)
			a->dns_unstored++;
		else
			a->qdns[keep++] = a->qdns[i];
	}
	a->nqdns = keep;
}

void
attrib_set_pods(struct attrib *a, struct pods *src)
{
	struct vec moved = { 0 };
	struct pods *prov = prov_copy(a);

	if (prov == NULL)
		goto nomem;
	settle(a, src, prov, &moved);
	if (rebuild(a, src, prov) < 0) {
		pods_free(prov);
		goto nomem;
	}
	rekey_dns(a, moved.v, moved.n);
	vec_free(&moved);
	return;
nomem:
	/* Keep the table we have: a newer one comes with the next read. */
	log_warnx("attached pods: %s", strerror(ENOMEM));
	vec_free(&moved);
	pods_free(src);
}

/* Add one provisional attachment to prov (replacing one of the same
 * key). */
static int
provisional(struct attrib *a, struct pods *prov,
    const struct store_attachment *att)
{
	struct pods_pod p;
	struct att_key *k = a->hidden.v;
	size_t keep = 0;

	pods_from_attachment(&p, att);
	/* A repeated announcement replaces the provisional one. */
	for (int i = 0; i < prov->n; i++)
		if (same_key(&prov->pod[i], p.container_id, p.ifname)) {
			p.att_id = prov->pod[i].att_id;
			pods_remove(prov, i);
			break;
		}
	if (p.att_id >= 0)
		p.att_id = -++a->serial;
	for (size_t i = 0; i < a->hidden.n; i++)
		if (strcmp(k[i].cid, p.container_id) != 0 ||
		    strcmp(k[i].ifname, p.ifname) != 0)
			k[keep++] = k[i];
	a->hidden.n = keep;
	return pods_append(prov, &p);
}

int
attrib_announce_many(struct attrib *a, const struct store_attachment *att,
    size_t n)
{
	struct pods *prov = prov_copy(a);
	int ret = prov != NULL ? 0 : -ENOMEM;

	for (size_t i = 0; i < n && ret == 0; i++)
		ret = provisional(a, prov, &att[i]);
	if (ret == 0 && (ret = rebuild(a, a->src, prov)) == 0)
		return 0;
	pods_free(prov);
	return ret;
}

int
attrib_announce(struct attrib *a, const struct store_attachment *att)
{
	return attrib_announce_many(a, att, 1);
}

/* Forget one attachment: out of prov, hidden in the store's table. */
static void
forget(struct attrib *a, struct pods *prov, const char *cid,
    const char *ifname)
{
	struct att_key *k;
	bool in_store = false;

	for (int i = 0; i < prov->n; i++)
		if (same_key(&prov->pod[i], cid, ifname)) {
			drop_dns_rows(a, prov->pod[i].att_id);
			pods_remove(prov, i);
			break;
		}
	for (int i = 0; i < a->src->n && !in_store; i++)
		in_store = same_key(&a->src->pod[i], cid, ifname);
	if (in_store && (k = vec_push(&a->hidden, sizeof(*k))) != NULL) {
		snprintf(k->cid, sizeof(k->cid), "%s", cid);
		snprintf(k->ifname, sizeof(k->ifname), "%s", ifname);
	}
}

void
attrib_forget_many(struct attrib *a, const struct store_attachment *att,
    size_t n)
{
	struct pods *prov = prov_copy(a);

	if (prov == NULL) {
		log_warnx("attached pods: %s", strerror(ENOMEM));
		return;
	}
	for (size_t i = 0; i < n; i++)
		forget(a, prov, att[i].container_id, att[i].ifname);
	if (rebuild(a, a->src, prov) < 0) {
		log_warnx("attached pods: %s", strerror(ENOMEM));
		pods_free(prov);
	}
}

void
attrib_forget(struct attrib *a, const char *cid, const char *ifname)
{
	struct store_attachment att;

	memset(&att, 0, sizeof(att));
	snprintf(att.container_id, sizeof(att.container_id), "%s", cid);
	snprintf(att.ifname, sizeof(att.ifname), "%s", ifname);
	attrib_forget_many(a, &att, 1);
}

const struct pods_pod *
attrib_live(const struct attrib *a, int i)
{
	return i >= 0 && i < a->npods ? a->pods[i].src : NULL;
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

const struct kmeta *
attrib_meta(const struct attrib *a)
{
	return meta_cache(a);
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
	dns_put(a, p->src->att_id, &ans->addr, name,
	    now + (int64_t)ans->ttl + DNS_GRACE);
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

/* After a collect: only the answers still waiting for a store id stay. */
static void
keep_waiting_dns(struct attrib *a)
{
	int keep = 0;

	for (int i = 0; i < a->nqdns; i++)
		if (a->qdns[i].attachment_id <= 0)
			a->qdns[keep++] = a->qdns[i];
	a->nqdns = keep;
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
	/* Answers of an attachment the store does not have yet wait. */
	for (int k = 0; k < a->nqdns; k++)
		if (a->qdns[k].attachment_id > 0 &&
		    (ret = batch_add_dns(b, &a->qdns[k])) < 0)
			goto out;
	for (int k = 0; k < a->nqnodes; k++)
		if ((ret = batch_add_node(b, a->qnodes[k].name,
		    &a->qnodes[k].addr)) < 0)
			goto out;
	batch_counts(b)->dns_unstored += a->dns_unstored;
	a->dns_unstored = 0;
	a->merges.n = a->assigns.n = 0;
	keep_waiting_dns(a);
	a->nqnodes = 0;
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

/*
 * Could ad be a pod of this node that is not known yet (attached a
 * moment ago, its attachment not read or announced yet)? Yes when it is
 * in the network of a known pod (as its CNI gave it), or the metadata
 * places a pod with that address on this node, and it is no address of
 * the node.
 */
static bool
maybe_local(const struct attrib *a, const struct addr *ad)
{
	const struct kmeta *km = meta_cache(a);
	const struct kmeta_pod *kp;

	/* Cheapest first: every egress to the outside comes here. */
	for (int i = 0; i < a->nlocal; i++)
		if (addr_cidr_contains(&a->local[i], ad))
			return !is_node_addr(a, ad);
	if (km != NULL && (kp = kmeta_pod_by_ip(km, ad)) != NULL &&
	    !kp->host_network)
		return a->node_name[0] != '\0' &&
		    strcmp(kp->node, a->node_name) == 0 &&
		    !is_node_addr(a, ad);
	return false;
}

static int
attribute(struct attrib *a, const struct ct_event *ev,
    struct attrib_side out[2], int *n, bool hold)
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
	/* One side known, the other perhaps a pod attached a moment ago:
	 * wait for it rather than record its side as an address (and lose
	 * its egress or ingress). */
	if (hold && ((src == NULL && maybe_local(a, &ev->orig.src)) ||
	    (dst == NULL && maybe_local(a, server))))
		return -EINPROGRESS;
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

int
attrib_event(struct attrib *a, const struct ct_event *ev,
    struct attrib_side out[2], int *n)
{
	return attribute(a, ev, out, n, false);
}

int
attrib_event_hold(struct attrib *a, const struct ct_event *ev,
    struct attrib_side out[2], int *n)
{
	return attribute(a, ev, out, n, true);
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
	    (a->prov = calloc(1, sizeof(*a->prov))) == NULL ||
	    (ret = wltab_new(&a->wl)) < 0)
		goto out;
	a->dns_mask = slots - 1;
	if (conf->node_name != NULL)
		snprintf(a->node_name, sizeof(a->node_name), "%s",
		    conf->node_name);
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
	pods_free(a->prov);
	vec_free(&a->hidden);
	free(a->pods);
	free(a->idx);
	free(a->dns);
	free(a->qdns);
	vec_free(&a->merges);
	vec_free(&a->assigns);
	wltab_free(a->wl);
	free(a);
}
