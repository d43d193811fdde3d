/*
 * agg: flows aggregated in memory between two flushes to the store.
 *
 * A fixed-capacity hash table of struct flow (lib/flow.h) sized at
 * creation: adding an event to an existing flow allocates nothing, and a
 * new flow takes the next slot of a dense array that is handed to the
 * store as is. DNS names are kept once per table (most flows have none),
 * copied in as they come. When the table is full, agg_add() says so and
 * the caller flushes early.
 */
#ifndef NPR_AGG_H
#define NPR_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/flow.h"

struct agg;

/* A table for at most capacity distinct flows. *out is the caller's,
 * freed with agg_free(). Returns 0, -EINVAL, -ENOMEM. */
int agg_new(size_t capacity, struct agg **out);
void agg_free(struct agg *ag);

/*
 * Count an observation of flow k at time now: count connections, bytes
 * and packets added; dns_name (may be NULL or "") kept when non-empty.
 * Returns 0, or -ENOSPC when k is new and the table is full (nothing was
 * recorded: flush and add again).
 */
int agg_add(struct agg *ag, const struct flow_key *k, const char *dns_name,
    int64_t now, uint64_t count, uint64_t bytes, uint64_t packets);

/*
 * Add flow f (a whole aggregate, e.g. of another table) by flow_merge()'s
 * rule; its DNS name is copied. Returns 0, or -ENOSPC when f's key is
 * new and the table is full.
 */
int agg_merge(struct agg *ag, const struct flow *f);

/* Distinct flows held, and the capacity. */
size_t agg_count(const struct agg *ag);
size_t agg_capacity(const struct agg *ag);

/* The flows held, as a dense array (borrowed until the next change). */
const struct flow *agg_flows(const struct agg *ag, size_t *n);

/* Forget everything (after a successful flush). */
void agg_reset(struct agg *ag);

#endif
