#include "recorderd/agg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * DNS names are held once per table, whatever the number of flows that
 * carry them (most carry none): in chunks that never move, so that the
 * flows can point into them, with a hash set to find a name again.
 */
#define NAME_CHUNK 65536

struct chunk {
	struct chunk *next;
	size_t used;
	char buf[NAME_CHUNK];
};

struct agg {
	size_t cap;		/* flows */
	size_t n;
	size_t mask;		/* index slots - 1 */
	uint32_t *index;	/* 0 empty, else flow index + 1 */
	struct flow *flows;

	struct chunk *chunks;	/* in use; the first has room, if any has */
	struct chunk *spare;	/* emptied by agg_reset, for reuse */
	const char **names;	/* set of the names held, NULL empty */
	size_t nmask, nnames;
};

int
agg_new(size_t capacity, struct agg **out)
{
	struct agg *ag = NULL;
	size_t slots = 16;
	int ret = -ENOMEM;

	*out = NULL;
	if (capacity == 0 || capacity > (1u << 26))
		return -EINVAL;
	/* At most half full: probe chains stay short. */
	while (slots < capacity * 2)
		slots <<= 1;
	if ((ag = calloc(1, sizeof(*ag))) == NULL)
		goto out;
	ag->cap = capacity;
	ag->mask = slots - 1;
	if ((ag->index = calloc(slots, sizeof(*ag->index))) == NULL ||
	    (ag->flows = calloc(capacity, sizeof(*ag->flows))) == NULL)
		goto out;
	*out = ag;
	ag = NULL;
	ret = 0;
out:
	agg_free(ag);
	return ret;
}

void
agg_free(struct agg *ag)
{
	struct chunk *c, *next;

	if (ag == NULL)
		return;
	for (c = ag->chunks; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	for (c = ag->spare; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(ag->names);
	free(ag->index);
	free(ag->flows);
	free(ag);
}

static size_t
name_hash(const char *s)
{
	size_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h ^ (h >> 29);
}

static int
names_grow(struct agg *ag)
{
	size_t slots = ag->names == NULL ? 64 : (ag->nmask + 1) * 2;
	const char **nn = calloc(slots, sizeof(*nn));

	if (nn == NULL)
		return -ENOMEM;
	for (size_t i = 0; ag->names != NULL && i <= ag->nmask; i++) {
		size_t j;

		if (ag->names[i] == NULL)
			continue;
		j = name_hash(ag->names[i]) & (slots - 1);
		while (nn[j] != NULL)
			j = (j + 1) & (slots - 1);
		nn[j] = ag->names[i];
	}
	free(ag->names);
	ag->names = nn;
	ag->nmask = slots - 1;
	return 0;
}

/* The table's copy of name s (at most FLOW_NAME_LEN - 1 bytes kept), or
 * NULL without memory. */
static const char *
name_intern(struct agg *ag, const char *s)
{
	size_t len = strnlen(s, FLOW_NAME_LEN - 1), i;
	struct chunk *c;
	char *copy;

	if ((ag->nnames + 1) * 2 > (ag->names ? ag->nmask + 1 : 0) &&
	    names_grow(ag) < 0)
		return NULL;
	for (i = name_hash(s) & ag->nmask; ag->names[i] != NULL;
	    i = (i + 1) & ag->nmask)
		if (strncmp(ag->names[i], s, len) == 0 &&
		    ag->names[i][len] == '\0')
			return ag->names[i];
	c = ag->chunks;
	if (c == NULL || NAME_CHUNK - c->used < len + 1) {
		if ((c = ag->spare) != NULL)
			ag->spare = c->next;
		else if ((c = malloc(sizeof(*c))) == NULL)
			return NULL;
		c->used = 0;
		c->next = ag->chunks;
		ag->chunks = c;
	}
	copy = c->buf + c->used;
	memcpy(copy, s, len);
	copy[len] = '\0';
	c->used += len + 1;
	ag->names[i] = copy;
	ag->nnames++;
	return copy;
}

/* The slot of key k, a new one when there is room: NULL when full. */
static struct flow *
slot_of(struct agg *ag, const struct flow_key *k, int64_t now, size_t *i_out)
{
	size_t i = flow_key_hash(k) & ag->mask;
	uint32_t idx;

	for (;;) {
		idx = ag->index[i];
		if (idx == 0)
			break;
		if (flow_key_equal(&ag->flows[idx - 1].key, k))
			goto found;
		i = (i + 1) & ag->mask;
	}
	if (ag->n == ag->cap)
		return NULL;
	idx = (uint32_t)++ag->n;
	ag->index[i] = idx;
	flow_init(&ag->flows[idx - 1], k, now, 0);
found:
	*i_out = idx - 1;
	return &ag->flows[idx - 1];
}

/* Merge obs into slot i; the table keeps its own copy of a name that
 * flow_merge took from obs (without memory for it, the slot keeps the
 * name it had). */
static void
merge_into(struct agg *ag, size_t i, const struct flow *obs)
{
	struct flow *f = &ag->flows[i];
	const char *had = f->dns_name, *copy;

	flow_merge(f, obs);
	if (f->dns_name == obs->dns_name && f->dns_name != had)
		f->dns_name = (copy = name_intern(ag, obs->dns_name)) != NULL ?
		    copy : had;
}

int
agg_add(struct agg *ag, const struct flow_key *k, const char *dns_name,
    int64_t now, uint64_t count, uint64_t bytes, uint64_t packets)
{
	struct flow obs;
	size_t i;

	if (slot_of(ag, k, now, &i) == NULL)
		return -ENOSPC;
	flow_init(&obs, k, now, count);
	obs.bytes = bytes;
	obs.packets = packets;
	if (dns_name != NULL)
		obs.dns_name = dns_name;
	merge_into(ag, i, &obs);
	return 0;
}

int
agg_merge(struct agg *ag, const struct flow *f)
{
	size_t i;

	/* A new slot starts at f's first sight, so merging keeps f's. */
	if (slot_of(ag, &f->key, f->first_seen, &i) == NULL)
		return -ENOSPC;
	merge_into(ag, i, f);
	return 0;
}

size_t
agg_count(const struct agg *ag)
{
	return ag->n;
}

size_t
agg_capacity(const struct agg *ag)
{
	return ag->cap;
}

const struct flow *
agg_flows(const struct agg *ag, size_t *n)
{
	*n = ag->n;
	return ag->flows;
}

void
agg_reset(struct agg *ag)
{
	struct chunk *c;

	memset(ag->index, 0, (ag->mask + 1) * sizeof(*ag->index));
	ag->n = 0;
	/* Names: the chunks are kept for the next round (as many as one
	 * round needed), and the set emptied. */
	while ((c = ag->chunks) != NULL) {
		ag->chunks = c->next;
		c->next = ag->spare;
		ag->spare = c;
	}
	if (ag->names != NULL)
		memset(ag->names, 0, (ag->nmask + 1) * sizeof(*ag->names));
	ag->nnames = 0;
}
