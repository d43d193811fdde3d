/*
 * check: recorded flows evaluated against NetworkPolicies (see check.h).
 * No I/O here: it works on the index in memory.
 */
#include "cli/eval/check.h"

#include "lib/sort.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- evaluation -------------------------------------------------------- */

void
check_ep_workload(const struct index_workload *wl, struct npeval_ep *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->kind = NPEVAL_EP_POD;
	ep->namespace_ = wl->namespace_;
	ep->labels = wl->labels;
	ep->ports = wl->ports;
	ep->host_network = wl->host_network;
}

static void
peer_ep(const struct index *idx, const struct flow *f, struct npeval_ep *ep)
{
	const struct index_workload *peer = index_peer(idx, f);

	memset(ep, 0, sizeof(*ep));
	switch (f->key.peer_kind) {
	case FLOW_PEER_WORKLOAD:
		check_ep_workload(peer, ep);
		return;
	case FLOW_PEER_NODE:
		ep->kind = NPEVAL_EP_NODE;
		ep->addr = f->key.peer;
		return;
	default:
		/* An address, or nothing known: only ipBlocks could match
		 * it, and an unknown one matches none. */
		ep->kind = NPEVAL_EP_ADDR;
		ep->addr = f->key.peer;
		return;
	}
}

/* A denial before merging: which end of the flow recorded it. */
struct raw {
	struct check_denial d;
	int rec;	/* direction of the recorded flow */
};

struct rawvec {
	struct raw *v;
	size_t n, cap;
};

static int
raw_push(struct rawvec *rv, const struct raw *r)
{
	struct raw *nv;
	size_t ncap;

	if (rv->n == rv->cap) {
		ncap = rv->cap ? rv->cap * 2 : 64;
		if ((nv = realloc(rv->v, ncap * sizeof(*nv))) == NULL)
			return -ENOMEM;
		rv->v = nv;
		rv->cap = ncap;
	}
	rv->v[rv->n++] = *r;
	return 0;
}

/* One end of flow f as a check_peer: the subject (self) or its peer. */
static void
end_of(const struct index *idx, const struct flow *f, bool self,
    struct check_peer *p)
{
	memset(p, 0, sizeof(*p));
	if (self) {
		p->kind = FLOW_PEER_WORKLOAD;
		p->wl = index_subject(idx, f);
		return;
	}
	p->kind = f->key.peer_kind;
	p->wl = index_peer(idx, f);
	if (p->kind != FLOW_PEER_WORKLOAD)
		p->addr = f->key.peer;
}

static int
side_raw(struct rawvec *rv, const struct index *idx, const struct flow *f,
    bool egress_side, const struct npeval_side *s, unsigned notes)
{
	struct check_peer denier, other;
	struct raw r;
	bool subject_is_src = f->key.direction == FLOW_EGRESS;

	/* The egress side is the source's, the ingress side the
	 * destination's. */
	end_of(idx, f, egress_side == subject_is_src, &denier);
	end_of(idx, f, egress_side != subject_is_src, &other);
	if (denier.wl == NULL)
		return 0;	/* only pods have policies */
	memset(&r, 0, sizeof(r));
	r.d.wl = denier.wl;
	r.d.direction = egress_side ? FLOW_EGRESS : FLOW_INGRESS;
	r.d.peer = other;
	r.d.protocol = f->key.protocol;
	r.d.port = f->key.port;
	r.d.verdict = s->verdict;
	r.d.notes = notes;
	r.d.dns_name = f->dns_name;
	r.d.count = f->count;
	r.d.first_seen = f->first_seen;
	r.d.last_seen = f->last_seen;
	r.rec = f->key.direction;
	return raw_push(rv, &r);
}

static int
peer_cmp(const struct check_peer *a, const struct check_peer *b)
{
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->kind == FLOW_PEER_WORKLOAD) {
		if (a->wl->index != b->wl->index)
			return a->wl->index < b->wl->index ? -1 : 1;
		return 0;
	}
	return addr_cmp(&a->addr, &b->addr);
}

static int
denial_cmp(const struct check_denial *a, const struct check_denial *b)
{
	int c;

	if (a->wl->index != b->wl->index)
		return a->wl->index < b->wl->index ? -1 : 1;
	if (a->direction != b->direction)
		return a->direction < b->direction ? -1 : 1;
	if ((c = peer_cmp(&a->peer, &b->peer)) != 0)
		return c;
	if (a->protocol != b->protocol)
		return a->protocol < b->protocol ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	return 0;
}

static int
raw_qcmp(const void *x, const void *y)
{
	const struct raw *a = x, *b = y;

	return denial_cmp(&a->d, &b->d);
}

/* Fold a run of raws with one key into one denial. */
static void
fold(const struct raw *run, size_t n, struct check_denial *out)
{
	uint64_t cnt[2] = { 0, 0 };
	size_t i;

	*out = run[0].d;
	for (i = 0; i < n; i++) {
		const struct check_denial *d = &run[i].d;

		cnt[run[i].rec ? 1 : 0] += d->count;
		if (d->first_seen < out->first_seen)
			out->first_seen = d->first_seen;
		if (d->last_seen > out->last_seen)
			out->last_seen = d->last_seen;
		if (d->verdict == NPEVAL_DENY)
			out->verdict = NPEVAL_DENY;
		out->notes |= d->notes;
		if (out->dns_name[0] == '\0')
			out->dns_name = d->dns_name;
	}
	out->count = cnt[0] > cnt[1] ? cnt[0] : cnt[1];
}

static int
attach_policies(const struct npeval_set *set, struct check_denial *d)
{
	struct npeval_ep ep;
	int dir = d->direction == FLOW_EGRESS ? NPEVAL_EGRESS :
	    NPEVAL_INGRESS;
	size_t n;

	check_ep_workload(d->wl, &ep);
	d->policies = NULL;
	n = npeval_select(set, &ep, dir, NULL, 0);
	d->npolicies = 0;
	if (n == 0)
		return 0;
	if ((d->policies = calloc(n, sizeof(*d->policies))) == NULL)
		return -ENOMEM;
	d->npolicies = npeval_select(set, &ep, dir, d->policies, n);
	return 0;
}

static int
merge(const struct npeval_set *set, struct rawvec *rv,
    struct check_result *res)
{
	size_t i, j;
	int rc;

	if (rv->n == 0)
		return 0;
	sort_n(rv->v, rv->n, sizeof(*rv->v), raw_qcmp);
	if ((res->denials = calloc(rv->n, sizeof(*res->denials))) == NULL)
		return -ENOMEM;
	for (i = 0; i < rv->n; i = j) {
		for (j = i + 1; j < rv->n &&
		    denial_cmp(&rv->v[i].d, &rv->v[j].d) == 0; j++)
			;
		fold(&rv->v[i], j - i, &res->denials[res->ndenials]);
		if ((rc = attach_policies(set,
		    &res->denials[res->ndenials])) != 0)
			return rc;
		if (res->denials[res->ndenials].verdict == NPEVAL_DENY)
			res->ndenied++;
		else
			res->nunresolved++;
		res->ndenials++;
	}
	return 0;
}

/*
 * The policies selecting each workload, per direction, found once: a
 * workload has many flows, and finding them means matching every policy's
 * podSelector. Indexed by index_workload.index.
 */
struct selcache {
	size_t *idx[2];
	size_t n[2];
	bool done[2];
};

static const size_t *
sel_get(struct selcache *cache, size_t ncache, const struct npeval_set *set,
    const struct npeval_ep *ep, const struct index_workload *wl, int dir,
    size_t *n)
{
	static const size_t none[1];
	struct selcache *c;
	size_t k;

	*n = 0;
	if (wl == NULL || wl->index >= ncache)
		return NULL;	/* npeval finds them itself */
	c = &cache[wl->index];
	if (!c->done[dir]) {
		k = npeval_select(set, ep, dir, NULL, 0);
		if (k > 0) {
			if ((c->idx[dir] = calloc(k, sizeof(size_t))) == NULL)
				return NULL;
			npeval_select(set, ep, dir, c->idx[dir], k);
		}
		c->n[dir] = k;
		c->done[dir] = true;
	}
	*n = c->n[dir];
	return c->idx[dir] != NULL ? c->idx[dir] : none;
}

int
check_eval(const struct npeval_set *set, const struct index *idx,
    struct check_result **out)
{
	struct check_result *res;
	struct rawvec rv = { 0 };
	struct npeval_ep subj, peer;
	struct npeval_result r;
	const struct flow *f;
	const struct index_workload *swl, *pwl;
	struct selcache *cache;
	const size_t *ssel, *psel;
	size_t i, ncache, nss, nps, nflows = index_nflows(idx);
	int rc = -ENOMEM;

	*out = NULL;
	if ((res = calloc(1, sizeof(*res))) == NULL)
		return -ENOMEM;
	res->nflows = nflows;
	res->flow_verdict = calloc(nflows ? nflows : 1, sizeof(int));
	res->flow_notes = calloc(nflows ? nflows : 1, sizeof(unsigned));
	ncache = index_nworkloads(idx);
	cache = calloc(ncache + 1, sizeof(*cache));
	if (res->flow_verdict == NULL || res->flow_notes == NULL ||
	    cache == NULL)
		goto out;
	for (i = 0; i < nflows; i++) {
		f = index_flow(idx, i);
		swl = index_subject(idx, f);
		pwl = index_peer(idx, f);
		check_ep_workload(swl, &subj);
		peer_ep(idx, f, &peer);
		if (f->key.direction == FLOW_EGRESS) {
			ssel = sel_get(cache, ncache, set, &subj, swl,
			    NPEVAL_EGRESS, &nss);
			psel = sel_get(cache, ncache, set, &peer, pwl,
			    NPEVAL_INGRESS, &nps);
			npeval_eval_selected(set, &subj, ssel, nss, &peer, psel,
			    nps, f->key.protocol, f->key.port, &r);
		} else {
			ssel = sel_get(cache, ncache, set, &subj, swl,
			    NPEVAL_INGRESS, &nss);
			psel = sel_get(cache, ncache, set, &peer, pwl,
			    NPEVAL_EGRESS, &nps);
			npeval_eval_selected(set, &peer, psel, nps, &subj, ssel,
			    nss, f->key.protocol, f->key.port, &r);
		}
		res->flow_verdict[i] = r.verdict;
		res->flow_notes[i] = r.notes;
		res->notes |= r.notes;
		if (r.egress.verdict != NPEVAL_ALLOW &&
		    (rc = side_raw(&rv, idx, f, true, &r.egress, r.notes)) != 0)
			goto out;
		if (r.ingress.verdict != NPEVAL_ALLOW &&
		    (rc = side_raw(&rv, idx, f, false, &r.ingress,
		    r.notes)) != 0)
			goto out;
	}
	rc = merge(set, &rv, res);
out:
	for (i = 0; cache != NULL && i < ncache; i++) {
		free(cache[i].idx[0]);
		free(cache[i].idx[1]);
	}
	free(cache);
	free(rv.v);
	if (rc != 0)
		check_result_free(res);
	else
		*out = res;
	return rc;
}

void
check_result_free(struct check_result *res)
{
	size_t i;

	if (res == NULL)
		return;
	for (i = 0; i < res->ndenials; i++)
		free(res->denials[i].policies);
	free(res->denials);
	free(res->flow_verdict);
	free(res->flow_notes);
	free(res);
}

bool
check_selects_scope(const struct npeval_set *set, const struct index *idx)
{
	const struct index_workload *wl;
	struct npeval_ep ep;
	size_t i;

	for (i = 0; i < index_nworkloads(idx); i++) {
		wl = index_workload(idx, i);
		if (!wl->subject)
			continue;
		check_ep_workload(wl, &ep);
		if (npeval_select(set, &ep, NPEVAL_INGRESS, NULL, 0) > 0 ||
		    npeval_select(set, &ep, NPEVAL_EGRESS, NULL, 0) > 0)
			return true;
	}
	return false;
}
