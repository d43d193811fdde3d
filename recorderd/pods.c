/*
 * pods: reading the attached pods and their workloads from the store.
 */
#include "recorderd/pods.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct load {
	struct store *st;
	struct pods *p;
};

static int
grow(struct pods *t)
{
	int ncap;
	struct pods_pod *np;

	if (t->n < t->cap)
		return 0;
	ncap = t->cap ? t->cap * 2 : 64;
	if ((np = realloc(t->pod, (size_t)ncap * sizeof(*np))) == NULL)
		return -ENOMEM;
	t->pod = np;
	t->cap = ncap;
	return 0;
}

void
pods_from_attachment(struct pods_pod *p, const struct store_attachment *sa)
{
	memset(p, 0, sizeof(*p));
	p->att_id = sa->id;
	snprintf(p->container_id, sizeof(p->container_id), "%s",
	    sa->container_id);
	snprintf(p->ifname, sizeof(p->ifname), "%s", sa->ifname);
	snprintf(p->ns, sizeof(p->ns), "%s", sa->pod_namespace);
	snprintf(p->name, sizeof(p->name), "%s", sa->pod_name);
	snprintf(p->uid, sizeof(p->uid), "%s", sa->pod_uid);
	snprintf(p->host_veth, sizeof(p->host_veth), "%s", sa->host_veth);
	p->adopted = sa->adopted;
	for (int i = 0; i < sa->naddrs && i < STORE_MAX_ADDRS; i++) {
		p->addrs[p->naddrs] = sa->addrs[i].addr;
		p->prefix[p->naddrs++] = sa->addrs[i].prefix;
	}
}

static int
load_cb(const struct store_attachment *sa, void *arg)
{
	struct load *l = arg;
	struct pods_pod *p;

	if (grow(l->p) < 0)
		return -ENOMEM;
	p = &l->p->pod[l->p->n++];
	pods_from_attachment(p, sa);
	p->wl.id = sa->workload_id;
	return 0;
}

int
pods_append(struct pods *t, const struct pods_pod *p)
{
	if (grow(t) < 0)
		return -ENOMEM;
	t->pod[t->n] = *p;
	memset(&t->pod[t->n].wl, 0, sizeof(t->pod[t->n].wl));
	t->n++;
	return 0;
}

void
pods_remove(struct pods *t, int i)
{
	if (i < 0 || i >= t->n)
		return;
	store_workload_clear(&t->pod[i].wl);
	memmove(&t->pod[i], &t->pod[i + 1],
	    (size_t)(t->n - i - 1) * sizeof(t->pod[0]));
	t->n--;
}

/* The workloads, once the walk is over (one statement at a time). A
 * workload row gone meanwhile leaves the pod without one. */
static int
load_workloads(struct store *st, struct pods *p)
{
	int ret;

	for (int i = 0; i < p->n; i++) {
		int64_t id = p->pod[i].wl.id;

		if (id == 0)
			continue;
		ret = store_workload_get(st, id, &p->pod[i].wl);
		if (ret == -ENOENT)
			memset(&p->pod[i].wl, 0, sizeof(p->pod[i].wl));
		else if (ret < 0)
			return ret;
	}
	return 0;
}

int
pods_load(struct store *st, struct pods **out)
{
	struct load l = { .st = st };
	int ret;

	*out = NULL;
	if ((l.p = calloc(1, sizeof(*l.p))) == NULL)
		return -ENOMEM;
	if ((ret = store_attachment_foreach(st, true, load_cb, &l)) < 0 ||
	    (ret = load_workloads(st, l.p)) < 0) {
		pods_free(l.p);
		return ret;
	}
	*out = l.p;
	return 0;
}

void
pods_free(struct pods *p)
{
	if (p == NULL)
		return;
	for (int i = 0; i < p->n; i++)
		store_workload_clear(&p->pod[i].wl);
	free(p->pod);
	free(p);
}
