/*
 * pubstore: the store as the publisher reads it, on a read-only
 * connection of its own (WAL: the writer thread is never held up).
 *
 * A snapshot (pubstore_begin .. pubstore_end, one read transaction) holds
 * the facts of the node (recording start, counters, the data's end,
 * attached pods), every workload (by store id, with a fingerprint of its
 * row), the node names, and which workloads gained flow rows since a
 * given row id; pubstore_flows reads one workload's flows in it. The
 * lookups recorderd/profile.h needs (peer workloads, node names) answer
 * from the snapshot. Used by one thread.
 */
#ifndef NPR_PUBSTORE_H
#define NPR_PUBSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/flow.h"
#include "lib/store.h"
#include "recorderd/profile.h"
#include "recorderd/pubstatus.h"

struct pubstore;

struct pubstore_facts {
	int64_t recording_started;	/* 0 unknown */
	int64_t events_seen, events_lost;
	int64_t data_end;		/* 0 when the store has no data */
	int64_t attached;		/* pods attached now */
	int64_t adopted;		/* ... attached before the recording */
	char node_uid[STORE_ID_LEN];	/* "" unknown */
	/* Every counter of the store, as `netpol-record status --db` and a
	 * report over the store see them: the store's own, then
	 * pods_adopted (attached now) once a pod was ever adopted. */
	struct pubstatus_counter counters[PUBSTATUS_COUNTERS_MAX];
	size_t ncounters;
};

struct pubstore_wl {
	struct store_workload_row w;	/* strings owned by the snapshot */
	uint64_t fp;			/* of the whole row */
};

/* Open path read-only. 0 or -errno (-ENOENT: no store yet). */
int pubstore_open(const char *path, struct pubstore **out);
void pubstore_close(struct pubstore *ps);
const char *pubstore_errmsg(const struct pubstore *ps);

/* The publisher's counters as the store keeps them (0 when unset). */
int pubstore_counters(struct pubstore *ps, int64_t *written,
    int64_t *failed);

/*
 * Start a snapshot: the facts into *f, every workload, the node names,
 * and the workloads that have flow rows above *after (*after then moves
 * to the table's highest row). 0 or -errno (the snapshot is then ended).
 */
int pubstore_begin(struct pubstore *ps, int64_t *after,
    struct pubstore_facts *f);
/* End it (the read transaction, and what it held). */
void pubstore_end(struct pubstore *ps);

size_t pubstore_nworkloads(const struct pubstore *ps);
const struct pubstore_wl *pubstore_workload(const struct pubstore *ps,
    size_t i);
/* By store id, NULL when the snapshot has none. */
const struct pubstore_wl *pubstore_find(const struct pubstore *ps,
    int64_t id);
/* Did workload id gain flow rows since the snapshot's *after? */
bool pubstore_gained(const struct pubstore *ps, int64_t id);

/*
 * The flows of workload id (borrowed until the next call or the end of
 * the snapshot), and its highest flow row. 0 or -errno.
 */
int pubstore_flows(struct pubstore *ps, int64_t id, const struct flow **flows,
    size_t *n, int64_t *max_row);

/*
 * The DNS answers the pods of workload id received (borrowed until the
 * next call or the end of the snapshot). 0 or -errno.
 */
int pubstore_dns(struct pubstore *ps, int64_t id,
    const struct profile_dns **dns, size_t *n);

/* The lookups of recorderd/profile.h, answering from the snapshot. */
const struct profile_lookup *pubstore_lookup(struct pubstore *ps);

#endif
