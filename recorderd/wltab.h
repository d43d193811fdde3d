/*
 * wltab: the daemon's workloads in memory.
 *
 * Attribution decides here, without the store: a workload is interned by
 * its identity (namespace, kind, name) with what the metadata source says
 * of it (selector, labels, named ports, host network, start time), and
 * gets a handle that flow keys carry (lib/flow.h: handles belong to the
 * holder). Handles count from 1 and stay valid for the table's life; 0 is
 * "none". The store's row ids are learnt by the writer thread when it
 * writes the workloads (recorderd/batch.h), never here.
 *
 * A workload added, or whose attributes changed, is dirty until
 * wltab_take_dirty() hands it to the next flush.
 *
 * Owned by the event loop's thread; nothing here does I/O.
 */
#ifndef NPR_WLTAB_H
#define NPR_WLTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/store.h"

struct wltab;

/* One workload as held (strings borrowed from the table, valid until it
 * changes; the JSON ones NULL when unknown). */
struct wltab_entry {
	const char *namespace_;
	const char *kind;
	const char *name;
	const char *selector_json;
	const char *labels_json;
	const char *ports_json;
	bool host_network;
	int64_t started_at;
	const char *uid;		/* "" unknown */
	int64_t deleted_at;		/* when seen deleted, 0 while it
					 * exists */
};

/* An empty table; *out is freed with wltab_free(). 0 or -ENOMEM. */
int wltab_new(struct wltab **out);
void wltab_free(struct wltab *t);

/*
 * Find or add workload w by (namespace_, kind, name); w->id is ignored.
 * Attributes are merged as the store merges them: JSON fields that are
 * NULL keep what is held, host_network is replaced, started_at keeps the
 * earliest known; a uid other than "" replaces the held one, and when it
 * differs the workload is another object of the same name (deleted and
 * created again): it is no longer deleted. w->deleted_at is ignored (see
 * wltab_set_deleted). The entry becomes dirty when it is new or anything
 * changed. *handle gets its handle. Returns 0, -EINVAL (an empty
 * namespace, kind or name) or -ENOMEM.
 */
int wltab_put(struct wltab *t, const struct store_workload *w,
    int64_t *handle);

/* The handle of (ns, kind, name), 0 when not held. */
int64_t wltab_find(const struct wltab *t, const char *ns, const char *kind,
    const char *name);

/* The entry of handle, NULL when there is none. */
const struct wltab_entry *wltab_get(const struct wltab *t, int64_t handle);

/* Is handle a bare pod (kind Pod)? */
bool wltab_is_pod(const struct wltab *t, int64_t handle);

/*
 * The metadata source saw workload handle deleted at when: it stays
 * deleted (and a put with its uid or none does not change that) until a
 * put names another uid. Dirty when it changed.
 */
void wltab_set_deleted(struct wltab *t, int64_t handle, int64_t when);

/* Make handle dirty again, so that the next flush writes it (again). */
void wltab_touch(struct wltab *t, int64_t handle);

/* Handle's records were moved to another workload (a bare pod merged
 * into its owner): should it be put again, it is dirty again, so that
 * the store gets a row of its own for it again. */
void wltab_retire(struct wltab *t, int64_t handle);

/*
 * Hand every dirty entry to cb (in the order they became dirty) and
 * clear the marks. A non-zero return of cb stops the walk, is returned,
 * and leaves that entry and the following ones dirty.
 */
int wltab_take_dirty(struct wltab *t,
    int (*cb)(void *arg, int64_t handle, const struct wltab_entry *e),
    void *arg);

/* Workloads held, and how many are dirty. */
size_t wltab_count(const struct wltab *t);
size_t wltab_ndirty(const struct wltab *t);

#endif
