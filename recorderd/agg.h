/*
 * agg: flows aggregated in memory between two flushes to the store.
 *
 * A fixed-capacity hash table sized at creation: adding an event to an
 * existing flow allocates nothing, and a new flow takes the next slot of
 * a dense array of struct store_flow that is handed to
 * store_flows_write() as is. When the table is full, agg_add() says so
 * and the caller flushes early.
 */
#ifndef NPR_AGG_H
#define NPR_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/store.h"

/* The flow key. Build it from a zeroed struct (agg_key_init): it is
 * hashed and compared as bytes, padding included. */
struct agg_key {
	int64_t workload_id;
	int64_t peer_workload_id;	/* STORE_PEER_WORKLOAD only */
	struct addr peer;		/* STORE_PEER_ADDRESS / _NODE only */
	struct addr orig;		/* destination before DNAT, or unset */
	uint16_t port;
	uint16_t orig_port;
	uint8_t direction;		/* enum store_direction */
	uint8_t peer_kind;		/* enum store_peer_kind */
	uint8_t protocol;
	uint8_t pad_[5];
};

struct agg;

/* A table for at most capacity distinct flows. *out is the caller's,
 * freed with agg_free(). Returns 0, -EINVAL, -ENOMEM. */
int agg_new(size_t capacity, struct agg **out);
void agg_free(struct agg *ag);

static inline void
agg_key_init(struct agg_key *k)
{
	__builtin_memset(k, 0, sizeof(*k));
}

/*
 * Count an observation of flow k at time now: count connections, bytes
 * and packets added; dns_name (may be NULL or "") kept when non-empty.
 * Returns 0, or -ENOSPC when k is new and the table is full (nothing was
 * recorded: flush and add again).
 */
int agg_add(struct agg *ag, const struct agg_key *k, const char *dns_name,
    int64_t now, uint64_t count, uint64_t bytes, uint64_t packets);

/* Distinct flows held, and the capacity. */
size_t agg_count(const struct agg *ag);
size_t agg_capacity(const struct agg *ag);

/* The flows held, as a dense array (borrowed until the next change). */
const struct store_flow *agg_flows(const struct agg *ag, size_t *n);

/* Forget everything (after a successful flush). */
void agg_reset(struct agg *ag);

#endif
