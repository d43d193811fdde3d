/*
 * batch: everything one flush writes to the store, and how it is written.
 *
 * The event loop fills a batch: the aggregated flows (an agg table whose
 * keys carry workload handles of recorderd/wltab.h), the workloads those
 * handles stand for, the merges of bare pods into their owners and the
 * attachments' workloads that attribution decided in memory, the DNS
 * answers, the nodes met as peers, the counters, and whether to prune.
 * It then hands the batch to the writer thread (recorderd/writer.h),
 * which writes it with batch_write() in ONE transaction, turning handles
 * into store ids as it goes (struct batch_ids, owned by the writer).
 * A batch is touched by one thread at a time: the loop while it fills it,
 * the writer until it gives it back.
 */
#ifndef NPR_BATCH_H
#define NPR_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/store.h"
#include "recorderd/agg.h"

/*
 * The daemon's counters (recorderd/README.md lists them), added to the
 * store's counters by the transaction that writes the batch. The names
 * are those of the fields.
 */
struct batch_counts {
	int64_t events_seen;		/* marked conntrack events */
	int64_t dump_entries;		/* marked entries of table dumps */
	int64_t flows_written;		/* rows written (batch_write) */
	int64_t events_lost;		/* dropped by the kernel (rd.c) */
	int64_t resyncs;		/* dumps after an overflow (rd.c) */
	int64_t enobufs;		/* event socket overflows (rd.c) */
	int64_t dns_answers;		/* addresses learnt */
	int64_t dns_lost;		/* NFLOG socket overflows (rd.c) */
	int64_t dns_unstored;		/* answers not queued for the store */
	int64_t events_unattributed;	/* no local pod within 5 s */
	int64_t parse_errors;		/* malformed messages skipped */
	int64_t flows_dropped;		/* both tables full */
	int64_t flushes_deferred;	/* the writer still had the last one */
	int64_t store_busy;		/* batches that waited for the lock */
	int64_t adoptions;		/* running pods adopted (attach.c) */
	int64_t adoption_releases;	/* adopted pods let go */
	int64_t attachments_recovered;	/* made from the kernel's elements */
};

/* Name of counter i (0 .. BATCH_NCOUNTS - 1) and a pointer to it in c. */
#define BATCH_NCOUNTS 17
const char *batch_count_name(int i);
int64_t *batch_count(struct batch_counts *c, int i);

/* Add every counter of from to into. */
void batch_counts_add(struct batch_counts *into,
    const struct batch_counts *from);

struct batch;

/* A batch for at most max_flows distinct flows. *out freed with
 * batch_free(). 0, -EINVAL, -ENOMEM. */
int batch_new(size_t max_flows, struct batch **out);
void batch_free(struct batch *b);

/* Empty it for the next round (the writer gave it back). */
void batch_reset(struct batch *b);

/*
 * Move the flows, the meta settings and the prune request of from
 * (which holds nothing else: other rows are only added when it is
 * handed over) into into, and empty from. Returns 0, or -ENOSPC
 * (nothing moved) when the flows do not fit.
 */
int batch_fold(struct batch *into, struct batch *from);

/* The flows (borrowed): the loop aggregates into it. */
struct agg *batch_agg(struct batch *b);

/* Nothing to write at all (no flows, rows, counters or prune)? */
bool batch_empty(const struct batch *b);

/*
 * What the loop decided, copied in. Handles are wltab handles. Each
 * returns 0 or -ENOMEM (the batch is unchanged then).
 *  workload: what handle stands for (w->id ignored; strings copied);
 *  merge: everything recorded against bare pod from moves to to
 *         (store_workload_merge), from then on from means to;
 *  assign: attachment att_id's pod belongs to handle;
 *  dns: an answer a pod received; node: a node's address;
 *  meta: a setting of the store's meta table (key at most 47 bytes;
 *        a later one of the same key in the batch wins).
 */
int batch_add_workload(struct batch *b, int64_t handle,
    const struct store_workload *w);
int batch_add_merge(struct batch *b, int64_t from, int64_t to);
int batch_add_assign(struct batch *b, int64_t att_id, int64_t handle);
int batch_add_dns(struct batch *b, const struct store_dns *d);
int batch_add_node(struct batch *b, const char *name, const struct addr *a);
int batch_add_meta(struct batch *b, const char *key, const char *value);

/* The counters it carries (borrowed: add to them). */
struct batch_counts *batch_counts(struct batch *b);

/* Prune flows last seen before cutoff in the same transaction. */
void batch_set_prune(struct batch *b, int64_t cutoff);

/*
 * Which connections were counted, for a restart (recorderd/connid.h's
 * snapshot): written as the store's meta value BATCH_COUNTED_META in the
 * same transaction, replacing the last. b takes buf over (malloc'd).
 */
#define BATCH_COUNTED_META "counted_connections"
void batch_set_counted(struct batch *b, void *buf, size_t len);

/* What the last successful batch_write() did. */
struct batch_result {
	size_t flows;			/* flow rows written */
	int64_t pruned;			/* flows pruned, -1 when not asked */
	int attempts;			/* batch_write calls it took */
};
const struct batch_result *batch_result(const struct batch *b);
/* The store's message of the last batch_write() that failed (borrowed). */
const char *batch_error(const struct batch *b);

/* ---- the writer's side ------------------------------------------------ */

/* Store ids of handles, learnt by the transactions that committed. */
struct batch_ids;
int batch_ids_new(struct batch_ids **out);
void batch_ids_free(struct batch_ids *ids);
/* The store id of handle, 0 when not known (yet). */
int64_t batch_ids_get(const struct batch_ids *ids, int64_t handle);

/*
 * Write b to st in one transaction (st must not be in one): workloads
 * (upserted: their ids are learnt), flows with their handles turned into
 * ids, merges, attachments' workloads, DNS answers, nodes, pruning and
 * the counters (with flows_written). On success ids learnt what the
 * transaction did and batch_result() tells what was written. On error
 * (-EBUSY: another process holds the lock; -ENOSPC, -EIO, ...) nothing
 * was written, ids and b are unchanged, and the same call can be made
 * again later.
 */
int batch_write(struct batch *b, struct store *st, struct batch_ids *ids);

#endif
