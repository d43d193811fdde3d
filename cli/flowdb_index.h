/*
 * flowdb_index: the two hash maps flowdb loads with, open addressing,
 * sized in powers of two and kept at most half full. Internal to flowdb:
 * include only from cli/flowdb*.c. The maps borrow the workloads.
 */
#ifndef NPR_CLI_FLOWDB_INDEX_H
#define NPR_CLI_FLOWDB_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "cli/flowdb.h"

/* A store's int64 workload id -> the merged workload (ids are >= 1; a key
 * of 0 marks an empty slot). { 0 } is empty. */
struct flowdb_idmap {
	int64_t *keys;
	struct flowdb_workload **vals;
	size_t cap, n;
};

/* (namespace, kind, name) -> workload. { 0 } is empty. */
struct flowdb_namemap {
	struct flowdb_workload **slots;
	size_t cap, n;
};

/* Map id to w (replacing an earlier mapping). 0 or -ENOMEM. */
int flowdb_idmap_put(struct flowdb_idmap *m, int64_t id,
    struct flowdb_workload *w);
/* The workload of id, NULL when none. */
struct flowdb_workload *flowdb_idmap_get(const struct flowdb_idmap *m,
    int64_t id);
void flowdb_idmap_free(struct flowdb_idmap *m);

/*
 * The slot of (ns, kind, name): holds the workload, or NULL where it would
 * go. m must have slots (cap > 0).
 */
struct flowdb_workload **flowdb_namemap_slot(const struct flowdb_namemap *m,
    const char *ns, const char *kind, const char *name);
/* Add w, not in m yet. 0 or -ENOMEM. */
int flowdb_namemap_put(struct flowdb_namemap *m, struct flowdb_workload *w);

#endif
