/*
 * batch: one flush's rows, and the one transaction that writes them.
 */
#include "recorderd/batch.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recorderd/vec.h"

struct batch_wl {
	int64_t handle;
	struct store_workload w;	/* JSON strings owned */
};

struct batch_merge {
	int64_t from, to;
};

struct batch_assign {
	int64_t att_id, handle;
};

struct batch_node {
	char name[STORE_NAME_LEN];
	struct addr addr;
};

struct batch_meta {
	char key[48];
	char *value;			/* owned */
};

struct batch {
	struct agg *agg;
	struct vec wls;			/* struct batch_wl */
	struct vec merges;		/* struct batch_merge */
	struct vec assigns;		/* struct batch_assign */
	struct vec dns;			/* struct store_dns */
	struct vec nodes;		/* struct batch_node */
	struct vec metas;		/* struct batch_meta */
	struct batch_counts c;
	int64_t prune_before;		/* 0: no pruning */
	void *counted;			/* a connid snapshot, or NULL */
	size_t counted_len;
	int attempts;			/* since the last reset */
	struct batch_result res;
	char why[256];			/* the store's message, last failure */
};

#define F(m) { #m, offsetof(struct batch_counts, m) }
static const struct {
	const char *name;
	size_t off;
} counts[BATCH_NCOUNTS] = {
	F(events_seen), F(dump_entries), F(flows_written), F(events_lost),
	F(resyncs), F(enobufs), F(dns_answers), F(dns_lost), F(dns_unstored),
	F(events_unattributed), F(parse_errors), F(flows_dropped),
	F(flushes_deferred), F(store_busy), F(adoptions),
	F(adoption_releases), F(attachments_recovered),
};
#undef F
_Static_assert(sizeof(struct batch_counts) == BATCH_NCOUNTS *
    sizeof(int64_t), "every counter has a name");

const char *
batch_count_name(int i)
{
	return i >= 0 && i < BATCH_NCOUNTS ? counts[i].name : NULL;
}

int64_t *
batch_count(struct batch_counts *c, int i)
{
	return (int64_t *)(void *)((char *)c + counts[i].off);
}

void
batch_counts_add(struct batch_counts *into, const struct batch_counts *from)
{
	for (int i = 0; i < BATCH_NCOUNTS; i++)
		*batch_count(into, i) += *(const int64_t *)(const void *)
		    ((const char *)from + counts[i].off);
}

int
batch_new(size_t max_flows, struct batch **out)
{
	struct batch *b;
	int ret;

	*out = NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return -ENOMEM;
	if ((ret = agg_new(max_flows, &b->agg)) < 0) {
		free(b);
		return ret;
	}
	b->res.pruned = -1;
	*out = b;
	return 0;
}

static void
clear_wls(struct batch *b)
{
	struct batch_wl *w = b->wls.v;
	struct batch_meta *m = b->metas.v;

	for (size_t i = 0; i < b->wls.n; i++)
		store_workload_clear(&w[i].w);
	b->wls.n = 0;
	for (size_t i = 0; i < b->metas.n; i++)
		free(m[i].value);
	b->metas.n = 0;
}

void
batch_free(struct batch *b)
{
	if (b == NULL)
		return;
	clear_wls(b);
	agg_free(b->agg);
	vec_free(&b->wls);
	vec_free(&b->merges);
	vec_free(&b->assigns);
	vec_free(&b->dns);
	vec_free(&b->nodes);
	vec_free(&b->metas);
	free(b->counted);
	free(b);
}

void
batch_reset(struct batch *b)
{
	agg_reset(b->agg);
	clear_wls(b);
	b->merges.n = b->assigns.n = b->dns.n = b->nodes.n = 0;
	memset(&b->c, 0, sizeof(b->c));
	b->prune_before = 0;
	free(b->counted);
	b->counted = NULL;
	b->counted_len = 0;
	b->attempts = 0;
	memset(&b->res, 0, sizeof(b->res));
	b->res.pruned = -1;
}

int
batch_fold(struct batch *into, struct batch *from)
{
	const struct flow *f;
	size_t n;

	f = agg_flows(from->agg, &n);
	if (agg_count(into->agg) + n > agg_capacity(into->agg))
		return -ENOSPC;
	for (size_t i = 0; i < n; i++)
		if (agg_merge(into->agg, &f[i]) < 0)
			return -ENOSPC;	/* not reached: it fits */
	if (from->prune_before != 0)
		into->prune_before = from->prune_before;
	/* Settings are the latest values: from's are newer. Out of memory,
	 * one is lost until it is set again (the publisher's counters are
	 * set at every tick). */
	for (size_t i = 0; i < from->metas.n; i++) {
		const struct batch_meta *m = &((const struct batch_meta *)
		    from->metas.v)[i];

		(void)batch_add_meta(into, m->key, m->value);
	}
	batch_reset(from);
	return 0;
}

struct agg *
batch_agg(struct batch *b)
{
	return b->agg;
}

bool
batch_empty(const struct batch *b)
{
	static const struct batch_counts zero;

	return agg_count(b->agg) == 0 && b->wls.n == 0 && b->merges.n == 0 &&
	    b->assigns.n == 0 && b->dns.n == 0 && b->nodes.n == 0 &&
	    b->metas.n == 0 && b->prune_before == 0 &&
	    memcmp(&b->c, &zero, sizeof(zero)) == 0;
}

static char *
dup_opt(const char *s, bool *fail)
{
	char *c;

	if (s == NULL)
		return NULL;
	if ((c = strdup(s)) == NULL)
		*fail = true;
	return c;
}

int
batch_add_workload(struct batch *b, int64_t handle,
    const struct store_workload *w)
{
	struct batch_wl *e;
	bool fail = false;

	if ((e = vec_push(&b->wls, sizeof(*e))) == NULL)
		return -ENOMEM;
	e->handle = handle;
	e->w = *w;
	e->w.id = 0;
	e->w.selector_json = dup_opt(w->selector_json, &fail);
	e->w.labels_json = dup_opt(w->labels_json, &fail);
	e->w.ports_json = dup_opt(w->ports_json, &fail);
	if (fail) {
		store_workload_clear(&e->w);
		b->wls.n--;
		return -ENOMEM;
	}
	return 0;
}

int
batch_add_merge(struct batch *b, int64_t from, int64_t to)
{
	struct batch_merge *m = vec_push(&b->merges, sizeof(*m));

	if (m == NULL)
		return -ENOMEM;
	m->from = from;
	m->to = to;
	return 0;
}

int
batch_add_assign(struct batch *b, int64_t att_id, int64_t handle)
{
	struct batch_assign *a = vec_push(&b->assigns, sizeof(*a));

	if (a == NULL)
		return -ENOMEM;
	a->att_id = att_id;
	a->handle = handle;
	return 0;
}

int
batch_add_dns(struct batch *b, const struct store_dns *d)
{
	struct store_dns *e = vec_push(&b->dns, sizeof(*e));

	if (e == NULL)
		return -ENOMEM;
	*e = *d;
	return 0;
}

int
batch_add_node(struct batch *b, const char *name, const struct addr *a)
{
	struct batch_node *n = vec_push(&b->nodes, sizeof(*n));

	if (n == NULL)
		return -ENOMEM;
	snprintf(n->name, sizeof(n->name), "%s", name);
	n->addr = *a;
	return 0;
}

int
batch_add_meta(struct batch *b, const char *key, const char *value)
{
	struct batch_meta *m = b->metas.v;
	char *v;
	size_t i;

	if (strlen(key) >= sizeof(m->key))
		return -EINVAL;
	if ((v = strdup(value)) == NULL)
		return -ENOMEM;
	for (i = 0; i < b->metas.n; i++)
		if (strcmp(m[i].key, key) == 0)
			break;
	if (i == b->metas.n) {
		if ((m = vec_push(&b->metas, sizeof(*m))) == NULL) {
			free(v);
			return -ENOMEM;
		}
		snprintf(m->key, sizeof(m->key), "%s", key);
	} else {
		m = &m[i];
		free(m->value);
	}
	m->value = v;
	return 0;
}

struct batch_counts *
batch_counts(struct batch *b)
{
	return &b->c;
}

void
batch_set_prune(struct batch *b, int64_t cutoff)
{
	b->prune_before = cutoff;
}

void
batch_set_counted(struct batch *b, void *buf, size_t len)
{
	free(b->counted);
	b->counted = buf;
	b->counted_len = len;
}

const struct batch_result *
batch_result(const struct batch *b)
{
	return &b->res;
}

const char *
batch_error(const struct batch *b)
{
	return b->why;
}

/* ---- handle -> store id ------------------------------------------------- */

struct undo {
	int64_t handle, id;
};

struct batch_ids {
	int64_t *id;			/* by handle */
	size_t n;
	struct vec undo;		/* struct undo: this transaction's */
};

int
batch_ids_new(struct batch_ids **out)
{
	return (*out = calloc(1, sizeof(**out))) != NULL ? 0 : -ENOMEM;
}

void
batch_ids_free(struct batch_ids *ids)
{
	if (ids == NULL)
		return;
	free(ids->id);
	vec_free(&ids->undo);
	free(ids);
}

int64_t
batch_ids_get(const struct batch_ids *ids, int64_t handle)
{
	if (handle <= 0 || (size_t)handle >= ids->n)
		return 0;
	return ids->id[handle];
}

static int64_t
map_handle(void *arg, int64_t handle)
{
	return batch_ids_get(arg, handle);
}

/* Set handle's id, remembering the old one for a rollback. */
static int
ids_set(struct batch_ids *ids, int64_t handle, int64_t id)
{
	struct undo *u;

	if ((size_t)handle >= ids->n) {
		size_t n = ids->n ? ids->n : 64;
		int64_t *ni;

		while (n <= (size_t)handle)
			n *= 2;
		if ((ni = realloc(ids->id, n * sizeof(*ni))) == NULL)
			return -ENOMEM;
		memset(ni + ids->n, 0, (n - ids->n) * sizeof(*ni));
		ids->id = ni;
		ids->n = n;
	}
	if ((u = vec_push(&ids->undo, sizeof(*u))) == NULL)
		return -ENOMEM;
	u->handle = handle;
	u->id = ids->id[handle];
	ids->id[handle] = id;
	return 0;
}

static void
ids_rollback(struct batch_ids *ids)
{
	const struct undo *u = ids->undo.v;

	for (size_t i = ids->undo.n; i > 0; i--)
		ids->id[u[i - 1].handle] = u[i - 1].id;
	ids->undo.n = 0;
}

/* ---- the transaction ---------------------------------------------------- */

static int
write_workloads(struct batch *b, struct store *st, struct batch_ids *ids)
{
	struct batch_wl *w = b->wls.v;
	int ret;

	for (size_t i = 0; i < b->wls.n; i++) {
		if ((ret = store_workload_put(st, &w[i].w)) < 0 ||
		    (ret = ids_set(ids, w[i].handle, w[i].w.id)) < 0)
			return ret;
	}
	return 0;
}

/*
 * A bare pod's records move to its owner. A pod never written has
 * nothing to move; from then on its handle means the owner's row (a
 * flow aggregated before the move and written later lands there too).
 */
static int
write_merges(struct batch *b, struct store *st, struct batch_ids *ids)
{
	const struct batch_merge *m = b->merges.v;
	int64_t from, to;
	int ret;

	for (size_t i = 0; i < b->merges.n; i++) {
		from = batch_ids_get(ids, m[i].from);
		to = batch_ids_get(ids, m[i].to);
		if (to == 0 || from == to)
			continue;
		if (from != 0 && (ret = store_workload_merge(st, from, to)) < 0)
			return ret;
		if ((ret = ids_set(ids, m[i].from, to)) < 0)
			return ret;
	}
	return 0;
}

static int
write_rows(struct batch *b, struct store *st, const struct batch_ids *ids)
{
	const struct batch_assign *a = b->assigns.v;
	const struct batch_node *nd = b->nodes.v;
	int64_t id;
	int ret;

	for (size_t i = 0; i < b->assigns.n; i++)
		if ((id = batch_ids_get(ids, a[i].handle)) != 0 &&
		    (ret = store_attachment_set_workload(st, a[i].att_id,
		    id)) < 0)
			return ret;
	if ((ret = store_dns_write(st, b->dns.v, b->dns.n)) < 0)
		return ret;
	for (size_t i = 0; i < b->nodes.n; i++)
		if ((ret = store_node_put(st, nd[i].name, &nd[i].addr)) < 0)
			return ret;
	for (size_t i = 0; i < b->metas.n; i++) {
		const struct batch_meta *m = &((const struct batch_meta *)
		    b->metas.v)[i];

		if ((ret = store_meta_set(st, m->key, m->value)) < 0)
			return ret;
	}
	return 0;
}

static int
write_counts(struct store *st, struct batch_counts *c)
{
	int ret;

	for (int i = 0; i < BATCH_NCOUNTS; i++) {
		int64_t v = *batch_count(c, i);

		if (v != 0 && (ret = store_counter_add(st, counts[i].name,
		    v)) < 0)
			return ret;
	}
	return 0;
}

int
batch_write(struct batch *b, struct store *st, struct batch_ids *ids)
{
	struct batch_counts c = b->c;
	const struct flow *flows;
	size_t n, skipped = 0;
	int64_t pruned = -1;
	int ret;

	b->attempts++;
	ids->undo.n = 0;
	flows = agg_flows(b->agg, &n);
	if ((ret = store_begin(st)) < 0) {
		snprintf(b->why, sizeof(b->why), "%s", store_errmsg(st));
		return ret;
	}
	if ((ret = write_workloads(b, st, ids)) < 0 ||
	    (ret = store_flows_write_mapped(st, flows, n, map_handle, ids,
	    &skipped)) < 0 ||
	    (ret = write_merges(b, st, ids)) < 0 ||
	    (ret = write_rows(b, st, ids)) < 0)
		goto out;
	if (b->prune_before != 0 && (ret = store_flows_prune(st,
	    b->prune_before, &pruned)) < 0)
		goto out;
	if (b->counted != NULL && (ret = store_meta_set_blob(st,
	    BATCH_COUNTED_META, b->counted, b->counted_len)) < 0)
		goto out;
	/* A flow whose workload was never handed over (memory ran out
	 * when it was) cannot be written: counted, not hidden. */
	c.flows_written += (int64_t)(n - skipped);
	c.flows_dropped += (int64_t)skipped;
	if ((ret = write_counts(st, &c)) < 0)
		goto out;
	ret = store_commit(st);
out:
	if (ret < 0) {
		/* The rollback replaces the connection's message. */
		snprintf(b->why, sizeof(b->why), "%s", store_errmsg(st));
		store_rollback(st);
		ids_rollback(ids);
		return ret;
	}
	ids->undo.n = 0;
	b->res.flows = n - skipped;
	b->res.pruned = pruned;
	b->res.attempts = b->attempts;
	return 0;
}
