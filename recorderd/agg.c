#include "recorderd/agg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct agg {
	size_t cap;		/* flows */
	size_t n;
	size_t mask;		/* index slots - 1 */
	uint32_t *index;	/* 0 empty, else flow index + 1 */
	struct flow *flows;
	char (*names)[FLOW_NAME_LEN];	/* flows[i].dns_name's text */
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
	    (ag->flows = calloc(capacity, sizeof(*ag->flows))) == NULL ||
	    (ag->names = calloc(capacity, sizeof(*ag->names))) == NULL)
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
	if (ag == NULL)
		return;
	free(ag->index);
	free(ag->flows);
	free(ag->names);
	free(ag);
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
	ag->names[idx - 1][0] = '\0';
	ag->flows[idx - 1].dns_name = ag->names[idx - 1];
found:
	*i_out = idx - 1;
	return &ag->flows[idx - 1];
}

/* Merge obs into slot i; the slot keeps its own copy of a name that
 * flow_merge took from obs. */
static void
merge_into(struct agg *ag, size_t i, const struct flow *obs)
{
	struct flow *f = &ag->flows[i];

	flow_merge(f, obs);
	if (f->dns_name == obs->dns_name && f->dns_name != ag->names[i]) {
		if (strcmp(ag->names[i], obs->dns_name) != 0)
			snprintf(ag->names[i], FLOW_NAME_LEN, "%s",
			    obs->dns_name);
		f->dns_name = ag->names[i];
	}
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
	memset(ag->index, 0, (ag->mask + 1) * sizeof(*ag->index));
	ag->n = 0;
}
