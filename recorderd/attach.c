/*
 * attach: attachments handed over, adopted and recovered (see attach.h).
 */
#include "recorderd/attach.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/sort.h"
#include "recorderd/adopt.h"
#include "recorderd/ctmark.h"
#include "recorderd/hostroute.h"
#include "recorderd/meta/kmeta.h"
#include "recorderd/vec.h"

struct attach {
	struct attach_conf conf;
	char node[STORE_NAME_LEN];
	struct attrib *at;
	struct writer *w;
	struct batch_counts *c;
	struct nftrules *nr;
	bool dirty;
	int64_t last_ms;		/* the last adoption round */
	struct vec ops;			/* struct writer_att, for the writer */
};

/* ---- to the store ------------------------------------------------------- */

static void
push_op(struct attach *k, int op, int64_t t, const struct store_attachment *a)
{
	struct writer_att *o = vec_push(&k->ops, sizeof(*o));

	if (o == NULL) {
		log_warnx("attachment %s/%s: %s: the store will learn it from "
		    "the table's elements", a->container_id, a->ifname,
		    strerror(ENOMEM));
		return;
	}
	memset(o, 0, sizeof(*o));
	o->op = op;
	o->time = t;
	o->att = *a;
}

/* What was decided goes to the writer, in its order. */
static void
flush_ops(struct attach *k)
{
	if (k->ops.n == 0)
		return;
	if (writer_attach(k->w, k->ops.v, k->ops.n) < 0)
		log_warnx("%zu attachments not queued for the store: %s; the "
		    "store will learn them from the table's elements",
		    k->ops.n, strerror(ENOMEM));
	k->ops.n = 0;
}

/* ---- letting an adopted pod go ------------------------------------------ */

/* p is a copy: forgetting it changes attribution's tables. */
static void
let_go(struct attach *k, const struct pods_pod *p, int why)
{
	struct store_attachment a;
	struct nftrules_elems e;
	int ret;

	if (k->nr == NULL)
		ret = -ENOTCONN;
	else if ((ret = nftrules_elems_init(&e, p->container_id, p->ifname,
	    p->host_veth, p->addrs, p->naddrs)) == 0)
		ret = nftrules_detach(k->nr, &e);
	if (ret < 0)
		log_warnx("adoption: pod %s/%s: removing its elements: %s",
		    p->ns, p->name, strerror(-ret));
	attrib_forget(k->at, p->container_id, p->ifname);
	memset(&a, 0, sizeof(a));
	snprintf(a.container_id, sizeof(a.container_id), "%s",
	    p->container_id);
	snprintf(a.ifname, sizeof(a.ifname), "%s", p->ifname);
	push_op(k, WRITER_ATT_DETACH, (int64_t)time(NULL), &a);
	k->c->adoption_releases++;
	log_info("adoption: pod %s/%s (uid %s) is no longer adopted: %s",
	    p->ns, p->name, p->uid, adopt_why_name(why));
}

/* A CNI ADD brought addresses: the adopted pods holding one go. */
static void
cni_wins(struct attach *k, const struct store_attachment *a)
{
	struct vec gone = { 0 };
	struct pods_pod *g;

	for (int i = 0; i < attrib_npods(k->at); i++) {
		const struct pods_pod *p = attrib_live(k->at, i);
		bool taken = false;

		if (!p->adopted)
			continue;
		for (int j = 0; j < p->naddrs && !taken; j++)
			for (int m = 0; m < a->naddrs && !taken; m++)
				taken = addr_equal(&p->addrs[j],
				    &a->addrs[m].addr);
		if (taken && (g = vec_push(&gone, sizeof(*g))) != NULL)
			*g = *p;
	}
	for (size_t i = 0; i < gone.n; i++)
		let_go(k, &((struct pods_pod *)gone.v)[i], ADOPT_TAKEN);
	vec_free(&gone);
}

/*
 * A run of the same command at a time (a burst of pod starts), so that
 * attribution's tables are rebuilt once per run, not once per pod; the
 * order between an ADD and a DEL is kept.
 */
void
attach_handed(struct attach *k, const struct attmsg *m, size_t n)
{
	struct store_attachment *run;
	size_t i = 0, j, nrun;

	if (n == 0)
		return;
	if ((run = calloc(n, sizeof(*run))) == NULL) {
		log_warnx("%zu attachments handed over: %s: the table's "
		    "elements are checked for them later", n,
		    strerror(ENOMEM));
		return;
	}
	for (; i < n; i = j) {
		for (j = i, nrun = 0; j < n && m[j].op == m[i].op; j++) {
			run[nrun] = m[j].att;
			run[nrun].adopted = false;
			if (m[j].op == ATTMSG_ADD)
				cni_wins(k, &run[nrun]);
			push_op(k, m[j].op == ATTMSG_DEL ? WRITER_ATT_DETACH :
			    WRITER_ATT_PUT, m[j].time, &run[nrun]);
			nrun++;
		}
		if (m[i].op == ATTMSG_DEL)
			attrib_forget_many(k->at, run, nrun);
		else if (attrib_announce_many(k->at, run, nrun) < 0)
			log_warnx("%zu pods the CNI plugin attached: %s: "
			    "attributed once the store has them", nrun,
			    strerror(ENOMEM));
	}
	free(run);
	flush_ops(k);
	/* An address a CNI attachment gave up may be a pod's to adopt. */
	attach_changed(k);
}

/* ---- adoption ----------------------------------------------------------- */

struct gather {
	const char *node;
	struct vec pods;		/* struct adopt_pod */
};

/* The pods the metadata places on this node, whatever their state. */
static int
gather_cb(const struct kmeta_pod *kp, void *arg)
{
	struct gather *g = arg;
	struct adopt_pod *p;

	if (strcmp(kp->node, g->node) != 0)
		return 0;
	if ((p = vec_push(&g->pods, sizeof(*p))) == NULL)
		return -ENOMEM;
	memset(p, 0, sizeof(*p));
	p->namespace_ = kp->namespace_;
	p->name = kp->name;
	p->uid = kp->uid;
	p->node = kp->node;
	p->host_network = kp->host_network;
	p->terminated = kp->terminated;
	for (int i = 0; i < kp->nips && i < STORE_MAX_ADDRS; i++)
		p->addrs[p->naddrs++] = kp->ips[i];
	return 0;
}

/* The attachment of an adopted pod: what the metadata and the route to
 * it say. */
static void
adopted_attachment(struct hostroute *h, const struct adopt_pod *p,
    struct store_attachment *a)
{
	char name[IFNAMSIZ];
	int ifindex = 0;

	memset(a, 0, sizeof(*a));
	snprintf(a->container_id, sizeof(a->container_id), "%s%s",
	    STORE_ADOPTED_PREFIX, p->uid);
	snprintf(a->ifname, sizeof(a->ifname), "%s", STORE_ADOPTED_IF);
	snprintf(a->pod_namespace, sizeof(a->pod_namespace), "%s",
	    p->namespace_);
	snprintf(a->pod_name, sizeof(a->pod_name), "%s", p->name);
	snprintf(a->pod_uid, sizeof(a->pod_uid), "%s", p->uid);
	a->adopted = true;
	for (int i = 0; i < p->naddrs; i++) {
		a->addrs[i].addr = p->addrs[i];
		a->addrs[i].prefix = p->addrs[i].family == AF_INET ? 32 : 128;
	}
	a->naddrs = p->naddrs;
	/* A routed CNI's pod has a veth of its own on the node. */
	if (h != NULL && p->naddrs > 0 && hostroute_veth(h, &p->addrs[0], name,
	    &ifindex) == 0) {
		snprintf(a->host_veth, sizeof(a->host_veth), "%s", name);
		a->host_ifindex = ifindex;
	}
}

/* The adopted pods' connections opened before their elements were
 * there get the mark, and go to the recorder (conf's opened). */
static void
mark_open(struct attach *k, const struct store_attachment *a, size_t n)
{
	struct ctmark_count cnt;
	struct addr *addrs;
	int64_t t0 = clock_mono_ms();
	size_t na = 0;
	int ret;

	if ((addrs = calloc(n * STORE_MAX_ADDRS + 1, sizeof(*addrs))) == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		for (int j = 0; j < a[i].naddrs; j++)
			addrs[na++] = a[i].addrs[j].addr;
	if ((ret = ctmark_existing(addrs, na, k->conf.nft.mark_bit,
	    k->conf.opened, k->conf.opened_arg, &cnt)) < 0)
		log_warnx("adoption: marking the open connections of the "
		    "adopted pods: %s; connections opened before their "
		    "adoption are not recorded", strerror(-ret));
	else
		log_info("adoption: %zu open connections of adopted pods "
		    "marked (%zu marked already, %zu closed meanwhile, %zu "
		    "over the limit) of %zu listed, in %lld ms", cnt.marked,
		    cnt.already, cnt.gone, cnt.skipped, cnt.seen,
		    (long long)(clock_mono_ms() - t0));
	free(addrs);
}

/* Adopt plan's pods: one batch for all, then attribution, the store,
 * the open connections. Returns how many, or -errno of the batch. */
static int
adopt_pods(struct attach *k, const struct adopt_plan *plan,
    const struct adopt_pod *pods)
{
	struct store_attachment *a = NULL;
	struct nftrules_elems *e = NULL;
	struct hostroute *h = NULL;
	int64_t t0 = clock_mono_ms(), tb, now = (int64_t)time(NULL);
	size_t n = 0;
	int ret = -ENOMEM;

	if (plan->nadopt == 0)
		return 0;
	if ((a = calloc(plan->nadopt, sizeof(*a))) == NULL ||
	    (e = calloc(plan->nadopt, sizeof(*e))) == NULL)
		goto out;
	/* Without a route socket, no host interface is known: addresses
	 * alone mark the pod (nft/README.md). */
	(void)hostroute_open(&h);
	for (size_t i = 0; i < plan->nadopt; i++) {
		adopted_attachment(h, &pods[plan->adopt[i]], &a[n]);
		if (nftrules_elems_init(&e[n], a[n].container_id, a[n].ifname,
		    a[n].host_veth, pods[plan->adopt[i]].addrs,
		    pods[plan->adopt[i]].naddrs) == 0)
			n++;
	}
	tb = clock_mono_ms();
	if ((ret = nftrules_add_many(k->nr, &k->conf.nft, e, n)) < 0) {
		log_warnx("adoption: adding the elements of %zu pods to table "
		    "inet %s: %s; trying again later", n, NFTRULES_TABLE,
		    strerror(-ret));
		k->dirty = true;
		goto out;
	}
	tb = clock_mono_ms() - tb;
	if (attrib_announce_many(k->at, a, n) < 0)
		log_warnx("adoption: %s: the pods are attributed once the "
		    "store has them", strerror(ENOMEM));
	for (size_t i = 0; i < n; i++) {
		char b[ADDR_STRLEN];

		push_op(k, WRITER_ATT_PUT, now, &a[i]);
		k->c->adoptions++;
		log_info("adoption: pod %s/%s (uid %s) adopted: %s%s%s, "
		    "recorded from now on", a[i].pod_namespace,
		    a[i].pod_name, a[i].pod_uid,
		    addr_format(&a[i].addrs[0].addr, b, sizeof(b)),
		    a[i].host_veth[0] ? " via " : "", a[i].host_veth);
	}
	log_info("adoption: %zu pods adopted in one nftables batch (batch "
	    "%lld ms, round %lld ms)", n, (long long)tb,
	    (long long)(clock_mono_ms() - t0));
	mark_open(k, a, n);
	ret = (int)n;
out:
	hostroute_close(h);
	free(a);
	free(e);
	return ret;
}

int
attach_adopt(struct attach *k)
{
	const struct kmeta *km = attrib_meta(k->at);
	bool enabled = k->conf.adopt && km != NULL && k->node[0] != '\0';
	struct gather g = { .node = k->node };
	struct adopt_att *atts = NULL;
	struct pods_pod *gone = NULL;
	struct adopt_plan plan;
	int na, ret = 0, nadopted = 0;

	k->dirty = false;
	k->last_ms = clock_mono_ms();
	/* A source that has not listed everything once would let adopted
	 * pods go that it simply has not seen yet. Without nftables
	 * (attach_new said why) nothing can be adopted. */
	if ((enabled && attrib_meta_pending(k->at)) || k->nr == NULL)
		return 0;
	na = attrib_npods(k->at);
	if ((atts = calloc((size_t)na + 1, sizeof(*atts))) == NULL)
		return -ENOMEM;
	for (int i = 0; i < na; i++) {
		const struct pods_pod *p = attrib_live(k->at, i);

		atts[i].uid = p->uid;
		atts[i].adopted = p->adopted;
		atts[i].naddrs = p->naddrs;
		atts[i].addrs = p->addrs;
	}
	if (enabled && (ret = kmeta_pod_foreach(km, gather_cb, &g)) < 0)
		goto out;
	if ((ret = adopt_decide(k->node, enabled, g.pods.v, g.pods.n, atts,
	    (size_t)na, &plan)) < 0)
		goto out;
	/* Copies: letting go changes attribution's tables. */
	if (plan.nrelease > 0 &&
	    (gone = calloc(plan.nrelease, sizeof(*gone))) == NULL) {
		adopt_plan_free(&plan);
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < plan.nrelease; i++)
		gone[i] = *attrib_live(k->at, (int)plan.release[i].att);
	for (size_t i = 0; i < plan.nrelease; i++)
		let_go(k, &gone[i], plan.release[i].why);
	if (plan.skipped > 0)
		log_debug("adoption: %zu pods of this node left out (an "
		    "address another pod claims too, or a CNI attachment "
		    "holds)", plan.skipped);
	nadopted = adopt_pods(k, &plan, g.pods.v);
	adopt_plan_free(&plan);
	flush_ops(k);
	ret = nadopted;
out:
	free(gone);
	free(atts);
	vec_free(&g.pods);
	return ret;
}

void
attach_changed(struct attach *k)
{
	k->dirty = true;
}

int
attach_adopt_due(const struct attach *k)
{
	int64_t left;

	if (!k->dirty)
		return -1;
	left = k->last_ms + ATTACH_ADOPT_MS - clock_mono_ms();
	return left <= 0 ? 0 : (int)left;
}

/* ---- recovery from the kernel's elements -------------------------------- */

struct orphans {
	char (*live)[NFTRULES_OWNER_LEN];	/* sorted */
	size_t nlive;
	struct vec elems;			/* struct nftrules_elem */
};

static int
owner_cmp(const void *x, const void *y)
{
	return strcmp(x, y);
}

static int
elem_cmp(const void *x, const void *y)
{
	return strcmp(((const struct nftrules_elem *)x)->owner,
	    ((const struct nftrules_elem *)y)->owner);
}

static int
orphan_cb(const struct nftrules_elem *el, void *arg)
{
	struct orphans *o = arg;
	struct nftrules_elem *e;

	if (el->owner[0] == '\0' || (o->nlive > 0 && search_n(el->owner,
	    o->live, o->nlive, sizeof(*o->live), owner_cmp) != NULL))
		return 0;
	if ((e = vec_push(&o->elems, sizeof(*e))) == NULL)
		return -ENOMEM;
	*e = *el;
	return 0;
}

/* The attachment elements e[0..n) (one owner) stand for. */
static bool
recovered_attachment(const struct attach *k, const struct nftrules_elem *e,
    size_t n, struct store_attachment *a)
{
	const struct kmeta *km = attrib_meta(k->at);
	const struct kmeta_pod *kp;
	char *slash;

	memset(a, 0, sizeof(*a));
	snprintf(a->container_id, sizeof(a->container_id), "%s", e[0].owner);
	/* "<container id>/<ifname>": an ifname has no '/'. */
	if ((slash = strrchr(a->container_id, '/')) == NULL ||
	    slash == a->container_id || slash[1] == '\0')
		return false;
	*slash = '\0';
	snprintf(a->ifname, sizeof(a->ifname), "%s", slash + 1);
	for (size_t i = 0; i < n; i++) {
		const struct nftrules_key *key = &e[i].key;

		if (key->kind == NFTRULES_KEY_IFNAME)
			snprintf(a->host_veth, sizeof(a->host_veth), "%s",
			    key->ifname);
		else if (a->naddrs < STORE_MAX_ADDRS) {
			a->addrs[a->naddrs].addr = key->addr;
			a->addrs[a->naddrs++].prefix =
			    key->addr.family == AF_INET ? 32 : 128;
		}
	}
	a->adopted = store_adopted_id(a->container_id);
	if (a->adopted)
		snprintf(a->pod_uid, sizeof(a->pod_uid), "%s",
		    a->container_id + strlen(STORE_ADOPTED_PREFIX));
	/* Who the pod is, when the metadata places it here. */
	if (km != NULL && a->naddrs > 0 &&
	    (kp = kmeta_pod_by_ip(km, &a->addrs[0].addr)) != NULL &&
	    !kp->host_network && strcmp(kp->node, k->node) == 0 &&
	    (!a->adopted || strcmp(kp->uid, a->pod_uid) == 0)) {
		snprintf(a->pod_namespace, sizeof(a->pod_namespace), "%s",
		    kp->namespace_);
		snprintf(a->pod_name, sizeof(a->pod_name), "%s", kp->name);
		snprintf(a->pod_uid, sizeof(a->pod_uid), "%s", kp->uid);
	}
	return a->naddrs > 0 || a->host_veth[0] != '\0';
}

int
attach_recover(struct attach *k)
{
	struct orphans o = { 0 };
	struct nftrules_elem *e;
	int na = attrib_npods(k->at), ret, found = 0;
	size_t i, j;

	if (k->nr == NULL)
		return 0;
	if ((o.live = calloc((size_t)na + 1, sizeof(*o.live))) == NULL)
		return -ENOMEM;
	for (int m = 0; m < na; m++) {
		const struct pods_pod *p = attrib_live(k->at, m);

		nftrules_owner_format(o.live[o.nlive++], p->container_id,
		    p->ifname);
	}
	sort_n(o.live, o.nlive, sizeof(*o.live), owner_cmp);
	ret = nftrules_list(k->nr, orphan_cb, &o);
	if (ret == -ENOENT)
		ret = 0;	/* no table: nothing to recover */
	if (ret < 0)
		goto out;
	e = o.elems.v;
	if (o.elems.n > 1)
		sort_n(e, o.elems.n, sizeof(*e), elem_cmp);
	for (i = 0; i < o.elems.n; i = j) {
		struct store_attachment a;

		for (j = i + 1; j < o.elems.n &&
		    strcmp(e[j].owner, e[i].owner) == 0; j++)
			;
		if (!recovered_attachment(k, &e[i], j - i, &a))
			continue;
		log_warnx("table inet %s has elements of %s/%s but no "
		    "attachment names them (its record was lost: the store "
		    "was locked or the daemon stopped before writing it): "
		    "recorded from the elements (pod %s/%s)", NFTRULES_TABLE,
		    a.container_id, a.ifname, a.pod_namespace[0] ?
		    a.pod_namespace : "?", a.pod_name[0] ? a.pod_name : "?");
		if (attrib_announce(k->at, &a) < 0)
			continue;
		push_op(k, WRITER_ATT_PUT_NEW, (int64_t)time(NULL), &a);
		k->c->attachments_recovered++;
		found++;
		if (a.adopted)
			attach_changed(k);	/* still true? */
	}
	flush_ops(k);
	ret = found;
out:
	free(o.live);
	vec_free(&o.elems);
	return ret;
}

/* ---- life --------------------------------------------------------------- */

static void
set_conf(struct attach *k, const struct attach_conf *c)
{
	k->conf = *c;
	snprintf(k->node, sizeof(k->node), "%s",
	    c->node_name != NULL ? c->node_name : "");
	k->conf.node_name = k->node;
}

int
attach_new(const struct attach_conf *c, struct attrib *at, struct writer *w,
    struct batch_counts *counts, struct attach **out)
{
	struct attach *k;
	int ret;

	*out = NULL;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return -ENOMEM;
	set_conf(k, c);
	k->at = at;
	k->w = w;
	k->c = counts;
	/* Without a netfilter socket the daemon still records what is
	 * marked and what the plugin hands over; it cannot adopt. */
	if ((ret = nftrules_open(&k->nr)) < 0) {
		log_warnx("nftables: %s: running pods are not adopted and "
		    "elements without a record are not recovered",
		    strerror(-ret));
		k->nr = NULL;
	}
	k->dirty = true;
	k->last_ms = clock_mono_ms() - ATTACH_ADOPT_MS;
	*out = k;
	return 0;
}

void
attach_free(struct attach *k)
{
	if (k == NULL)
		return;
	nftrules_close(k->nr);
	vec_free(&k->ops);
	free(k);
}

void
attach_set_conf(struct attach *k, const struct attach_conf *c)
{
	bool changed = c->adopt != k->conf.adopt;

	set_conf(k, c);
	if (changed)
		attach_changed(k);
}
