/*
 * adopt: the adoption decision (see adopt.h).
 */
#include "recorderd/adopt.h"

#include "lib/sort.h"
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const why_names[] = {
	[ADOPT_GONE] = "the pod is gone",
	[ADOPT_FINISHED] = "the pod has finished",
	[ADOPT_MOVED] = "the pod is not on this node's pod network any more",
	[ADOPT_READDRESSED] = "the pod's addresses changed",
	[ADOPT_TAKEN] = "a pod attached by the CNI plugin holds its address",
	[ADOPT_ATTACHED] = "the CNI plugin attached the pod",
	[ADOPT_OFF] = "adopt_running_pods is off",
};

const char *
adopt_why_name(int why)
{
	if (why < 0 || why >= (int)(sizeof(why_names) / sizeof(why_names[0])))
		return "?";
	return why_names[why];
}

/* An address and who claims it: a candidate pod, or a kept adoption
 * (pod SIZE_MAX). */
struct claim {
	struct addr addr;
	size_t pod;
};

struct ctx {
	const char *node;
	const struct adopt_pod *pods;
	size_t npods;
	const struct adopt_att *atts;
	size_t natts;
	struct addr *cni;		/* addresses held by CNI attachments */
	size_t ncni;
	const char **cni_uids;
	size_t ncni_uids;
	size_t *by_uid;			/* pods sorted by uid */
	bool *kept;			/* per pod: an adoption kept */
	struct claim *claims;
	size_t nclaims;
};

static int
str_cmp_v(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static int
claim_cmp(const void *x, const void *y)
{
	const struct claim *a = x, *b = y;
	int c = addr_cmp(&a->addr, &b->addr);

	if (c != 0)
		return c;
	return a->pod < b->pod ? -1 : a->pod > b->pod;
}

/* Pod indexes by their pod's uid (qsort_r: arg is the pods). */
static int
uid_cmp_v(const void *x, const void *y, void *arg)
{
	const struct adopt_pod *pods = arg;

	return strcmp(pods[*(const size_t *)x].uid,
	    pods[*(const size_t *)y].uid);
}

static bool
held_by_cni(const struct ctx *c, const struct addr *a)
{
	return c->ncni > 0 && search_n(a, c->cni, c->ncni, sizeof(*c->cni),
	    addr_cmp_qsort) != NULL;
}

static bool
uid_attached(const struct ctx *c, const char *uid)
{
	return uid[0] != '\0' && c->ncni_uids > 0 && search_n(&uid,
	    c->cni_uids, c->ncni_uids, sizeof(*c->cni_uids),
	    str_cmp_v) != NULL;
}

/* The pod with uid, or SIZE_MAX. */
static size_t
pod_by_uid(const struct ctx *c, const char *uid)
{
	size_t lo = 0, hi = c->npods;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(c->pods[c->by_uid[mid]].uid, uid);

		if (r == 0)
			return c->by_uid[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return SIZE_MAX;
}

static bool
here(const struct ctx *c, const struct adopt_pod *p)
{
	return strcmp(p->node, c->node) == 0 && !p->host_network;
}

static bool
same_addrs(const struct adopt_pod *p, const struct adopt_att *a)
{
	if (p->naddrs != a->naddrs)
		return false;
	for (int i = 0; i < p->naddrs; i++) {
		int j;

		for (j = 0; j < a->naddrs; j++)
			if (addr_equal(&p->addrs[i], &a->addrs[j]))
				break;
		if (j == a->naddrs)
			return false;
	}
	return true;
}

/* -1 to keep the adopted attachment a, or why to let it go. */
static int
judge(const struct ctx *c, bool enabled, const struct adopt_att *a,
    size_t *pod)
{
	const struct adopt_pod *p;

	*pod = SIZE_MAX;
	if (!enabled)
		return ADOPT_OFF;
	if ((*pod = pod_by_uid(c, a->uid)) == SIZE_MAX)
		return ADOPT_GONE;
	p = &c->pods[*pod];
	if (p->terminated)
		return ADOPT_FINISHED;
	if (!here(c, p) || p->naddrs == 0)
		return ADOPT_MOVED;
	if (uid_attached(c, a->uid))
		return ADOPT_ATTACHED;
	for (int i = 0; i < a->naddrs; i++)
		if (held_by_cni(c, &a->addrs[i]))
			return ADOPT_TAKEN;
	if (!same_addrs(p, a))
		return ADOPT_READDRESSED;
	return -1;
}

static int
setup(struct ctx *c)
{
	size_t ncni = 0;

	for (size_t i = 0; i < c->natts; i++)
		if (!c->atts[i].adopted)
			ncni += (size_t)c->atts[i].naddrs;
	c->cni = calloc(ncni + 1, sizeof(*c->cni));
	c->cni_uids = calloc(c->natts + 1, sizeof(*c->cni_uids));
	c->by_uid = calloc(c->npods + 1, sizeof(*c->by_uid));
	c->kept = calloc(c->npods + 1, sizeof(*c->kept));
	if (c->cni == NULL || c->cni_uids == NULL || c->by_uid == NULL ||
	    c->kept == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < c->natts; i++) {
		const struct adopt_att *a = &c->atts[i];

		if (a->adopted)
			continue;
		for (int j = 0; j < a->naddrs; j++)
			c->cni[c->ncni++] = a->addrs[j];
		if (a->uid[0] != '\0')
			c->cni_uids[c->ncni_uids++] = a->uid;
	}
	/* (calloc'd with one more element: never NULL for qsort.) */
	sort_n(c->cni, c->ncni, sizeof(*c->cni), addr_cmp_qsort);
	sort_n(c->cni_uids, c->ncni_uids, sizeof(*c->cni_uids), str_cmp_v);
	for (size_t i = 0; i < c->npods; i++)
		c->by_uid[i] = i;
	qsort_r(c->by_uid, c->npods, sizeof(*c->by_uid), uid_cmp_v,
	    (void *)(uintptr_t)c->pods);
	return 0;
}

static int
add_claim(struct ctx *c, size_t *cap, const struct addr *a, size_t pod)
{
	if (c->nclaims == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct claim *n = realloc(c->claims, ncap * sizeof(*n));

		if (n == NULL)
			return -ENOMEM;
		c->claims = n;
		*cap = ncap;
	}
	c->claims[c->nclaims].addr = *a;
	c->claims[c->nclaims++].pod = pod;
	return 0;
}

/* Is an address of pod i claimed by anyone else? */
static bool
contested(const struct ctx *c, size_t i)
{
	const struct adopt_pod *p = &c->pods[i];

	for (int j = 0; j < p->naddrs; j++) {
		struct claim k = { .addr = p->addrs[j], .pod = 0 };
		size_t lo = 0, hi = c->nclaims;

		/* The first claim of the address. */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (claim_cmp(&c->claims[mid], &k) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < c->nclaims && addr_equal(&c->claims[lo].addr,
		    &k.addr); lo++)
			if (c->claims[lo].pod != i)
				return true;
	}
	return false;
}

/* A pod that may be adopted, before looking at the others' claims. */
static bool
candidate(const struct ctx *c, size_t i)
{
	const struct adopt_pod *p = &c->pods[i];

	return !c->kept[i] && here(c, p) && !p->terminated &&
	    p->naddrs > 0 && p->uid[0] != '\0' && !uid_attached(c, p->uid);
}

int
adopt_decide(const char *node, bool enabled, const struct adopt_pod *pods,
    size_t npods, const struct adopt_att *atts, size_t natts,
    struct adopt_plan *out)
{
	struct ctx c = {
		.node = node, .pods = pods, .npods = npods, .atts = atts,
		.natts = natts,
	};
	size_t capclaims = 0, pod;
	int ret = -ENOMEM, why;

	memset(out, 0, sizeof(*out));
	if (setup(&c) < 0 ||
	    (out->release = calloc(natts + 1, sizeof(*out->release))) == NULL ||
	    (out->adopt = calloc(npods + 1, sizeof(*out->adopt))) == NULL)
		goto out;
	for (size_t i = 0; i < natts; i++) {
		if (!atts[i].adopted)
			continue;
		if ((why = judge(&c, enabled, &atts[i], &pod)) >= 0) {
			out->release[out->nrelease].att = i;
			out->release[out->nrelease++].why = why;
			continue;
		}
		c.kept[pod] = true;
		for (int j = 0; j < atts[i].naddrs; j++)
			if (add_claim(&c, &capclaims, &atts[i].addrs[j],
			    SIZE_MAX) < 0)
				goto out;
	}
	if (enabled) {
		for (size_t i = 0; i < npods; i++) {
			if (!candidate(&c, i))
				continue;
			for (int j = 0; j < pods[i].naddrs; j++)
				if (add_claim(&c, &capclaims, &pods[i].addrs[j],
				    i) < 0)
					goto out;
		}
		if (c.nclaims > 1)
			sort_n(c.claims, c.nclaims, sizeof(*c.claims),
			    claim_cmp);
		for (size_t i = 0; i < npods; i++) {
			bool cni = false;

			if (!candidate(&c, i))
				continue;
			for (int j = 0; j < pods[i].naddrs && !cni; j++)
				cni = held_by_cni(&c, &pods[i].addrs[j]);
			if (cni || contested(&c, i))
				out->skipped++;
			else
				out->adopt[out->nadopt++] = i;
		}
	}
	ret = 0;
out:
	free(c.cni);
	free(c.cni_uids);
	free(c.by_uid);
	free(c.kept);
	free(c.claims);
	if (ret < 0)
		adopt_plan_free(out);
	return ret;
}

void
adopt_plan_free(struct adopt_plan *p)
{
	free(p->release);
	free(p->adopt);
	memset(p, 0, sizeof(*p));
}
