#include "recorderd/agg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(struct agg_key) % 8 == 0,
    "agg_key is hashed as 64-bit words");

struct agg {
	size_t cap;		/* flows */
	size_t n;
	size_t mask;		/* index slots - 1 */
	uint32_t *index;	/* 0 empty, else flow index + 1 */
	struct agg_key *keys;
	struct store_flow *flows;
};

static uint64_t
hash_key(const struct agg_key *k)
{
	const unsigned char *p = (const unsigned char *)k;
	uint64_t h = 0x9e3779b97f4a7c15ULL, w;

	for (size_t i = 0; i < sizeof(*k); i += 8) {
		memcpy(&w, p + i, 8);
		h ^= w;
		h *= 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	h ^= h >> 29;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 32;
	return h;
}

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
	    (ag->keys = calloc(capacity, sizeof(*ag->keys))) == NULL ||
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
	if (ag == NULL)
		return;
	free(ag->index);
	free(ag->keys);
	free(ag->flows);
	free(ag);
}

static void
fill_flow(struct store_flow *f, const struct agg_key *k, int64_t now)
{
	memset(f, 0, sizeof(*f));
	f->workload_id = k->workload_id;
	f->direction = k->direction;
	f->peer_kind = k->peer_kind;
	f->peer_workload_id = k->peer_workload_id;
	if (k->peer.family != 0)
		addr_format(&k->peer, f->peer_addr, sizeof(f->peer_addr));
	f->protocol = k->protocol;
	f->port = k->port;
	if (k->orig.family != 0)
		addr_format(&k->orig, f->orig_addr, sizeof(f->orig_addr));
	f->orig_port = k->orig_port;
	f->first_seen = now;
	f->last_seen = now;
}

int
agg_add(struct agg *ag, const struct agg_key *k, const char *dns_name,
    int64_t now, uint64_t count, uint64_t bytes, uint64_t packets)
{
	size_t i = hash_key(k) & ag->mask;
	struct store_flow *f;
	uint32_t idx;

	for (;;) {
		idx = ag->index[i];
		if (idx == 0)
			break;
		if (memcmp(&ag->keys[idx - 1], k, sizeof(*k)) == 0)
			goto found;
		i = (i + 1) & ag->mask;
	}
	if (ag->n == ag->cap)
		return -ENOSPC;
	idx = (uint32_t)++ag->n;
	ag->index[i] = idx;
	ag->keys[idx - 1] = *k;
	fill_flow(&ag->flows[idx - 1], k, now);
found:
	f = &ag->flows[idx - 1];
	if (now < f->first_seen)
		f->first_seen = now;
	if (now > f->last_seen)
		f->last_seen = now;
	f->count += count;
	f->bytes += bytes;
	f->packets += packets;
	if (dns_name != NULL && dns_name[0] != '\0' &&
	    strcmp(f->dns_name, dns_name) != 0) {
		size_t l = strnlen(dns_name, sizeof(f->dns_name) - 1);

		memcpy(f->dns_name, dns_name, l);
		f->dns_name[l] = '\0';
	}
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

const struct store_flow *
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
