/*
 * ut_world: recorded worlds for unit tests, built in memory and loaded
 * into an index (cli/source/index.h) through a source of their own, the
 * way a store or the Kubernetes API feeds it; and stores loaded the way
 * the commands load them.
 *
 * Not a test program (see ut_store.h): linked into every unit test.
 */
#ifndef UT_WORLD_H
#define UT_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/source/index.h"
#include "cli/source/source.h"

struct ut_world;

/* An empty world; NULL on ENOMEM. Free with ut_world_free. */
struct ut_world *ut_world_new(void);
void ut_world_free(struct ut_world *w);

/*
 * Add a workload; labels and ports are JSON text or NULL (strings are
 * borrowed: literals). Returns its number, for ut_world_flow.
 */
int ut_world_workload(struct ut_world *w, const char *ns, const char *kind,
    const char *name, const char *labels, const char *ports);
/* Its selector (JSON text, a literal); {} unless set. */
void ut_world_selector(struct ut_world *w, int wl, const char *selector);
/* It is only named, not described (a TrafficProfile's reference to a
 * peer: index_source_workload.reference_only); give it no labels. */
void ut_world_reference(struct ut_world *w, int wl);
/* Its host_network and started_at (0 unknown). */
void ut_world_workload_set(struct ut_world *w, int wl, bool host_network,
    int64_t started_at);

/*
 * Add a flow of workload subj (a number from ut_world_workload) with peer
 * workload peer (>= 0) or address peer_addr (peer -1), seen from first to
 * last. Returns it, to set more (dns_name, key.orig...); the DNS name is
 * borrowed (a literal).
 */
struct flow *ut_world_flow(struct ut_world *w, int subj, int direction,
    int peer_kind, int peer, const char *peer_addr, int protocol,
    unsigned port, uint64_t count, int64_t first, int64_t last);

/* The pods of workload wl were answered addr for name (a literal). */
void ut_world_dns(struct ut_world *w, int wl, const char *addr,
    const char *name);

/* What the world says of itself. */
void ut_world_recording_started(struct ut_world *w, int64_t t);
void ut_world_counter(struct ut_world *w, const char *name, int64_t v);

/* The world as a source (borrowed: it lives as long as w). */
struct source *ut_world_source(struct ut_world *w);

/*
 * The index of w for q (NULL: every namespace, all flows). NULL with the
 * error on stderr when it fails.
 */
struct index *ut_world_index(struct ut_world *w,
    const struct source_query *q);

/* The index of n store files for q, as the commands load them; NULL with
 * the error in err. */
struct index *ut_index_stores(const char *const *dbs, size_t n,
    const struct source_query *q, char *err, size_t errlen);

struct store;

/* Put workload (namespace, kind, name) into st, its selector and labels
 * JSON text or NULL; its store id, -1 when the store refused. */
int64_t ut_store_workload(struct store *st, const char *ns, const char *kind,
    const char *name, const char *selector, const char *labels,
    bool host_network, int64_t started_at);

/* The value of key in the matchLabels of w's selector; NULL when none. */
const char *ut_match_label(const struct index_workload *w, const char *key);

/* The position in idx of the flow of workload ns/name in direction dir on
 * protocol/port (the first such); (size_t)-1 when there is none. */
size_t ut_index_flow_pos(const struct index *idx, const char *ns,
    const char *name, int dir, int protocol, unsigned port);

#endif
