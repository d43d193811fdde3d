/*
 * flowdb: what was recorded, read back for the CLI.
 *
 * Loads, from one or more store files (--db PATH, repeatable: stores copied
 * from several nodes are merged), the workloads and aggregated flows of one
 * namespace (or all) within a time window into plain in-memory structs that
 * export, check and report walk. Nothing here prints or exits.
 *
 * Merging: workloads are the same when (namespace, kind, name) are equal;
 * the first store that has a selector/labels/ports for one wins,
 * started_at is the earliest known, host_network is ORed. Flows with the
 * same key (subject, direction, peer, protocol, port, orig_addr, orig_port)
 * are added up (count, bytes, packets; first_seen min, last_seen max,
 * dns_name the one of the newest flow that has one).
 *
 * Order: workloads are sorted by (namespace, kind, name); flows by
 * (subject, direction, peer kind, peer, protocol, port, orig). The same
 * stores always give the same order, so output built from it is stable.
 */
#ifndef NPR_CLI_FLOWDB_H
#define NPR_CLI_FLOWDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "lib/addr.h"
#include "lib/store.h"

struct ks_set;

struct flowdb_workload {
	char *namespace_;	/* owned, never NULL */
	char *kind;		/* "Deployment", ..., "Pod"; owned */
	char *name;		/* owned */
	json_object *selector;	/* LabelSelector ({"matchLabels":{..}}),
				 * owned, never NULL ({} when unknown) */
	json_object *labels;	/* object of labels, owned, never NULL */
	json_object *ports;	/* named container ports, owned, may be NULL:
				 * [{"name":"http","port":8080,
				 *   "protocol":"TCP"}] */
	bool host_network;
	bool subject;		/* matches the query (namespace/workload);
				 * false for workloads loaded only because
				 * they are peers of a subject */
	int64_t started_at;	/* earliest pod start known, 0 unknown */
	int64_t first_seen;	/* of its flows in the window (as subject),
				 * 0 when it has none */
	int64_t last_seen;
	/* Pods were running before the recording started: started_at (or,
	 * when unknown, its first attachment) is before the earliest
	 * "recording_started" of the stores. Their earliest connections may
	 * be missing. False when neither time is known. */
	bool predates_recording;
	/* How long its pods were watched within the window: from the later
	 * of flowdb_since() and started_at, to flowdb_until(). */
	int64_t observed_from;
	int64_t observed_to;
	size_t index;		/* position in flowdb_workload() order */
};

struct flowdb_flow {
	const struct flowdb_workload *wl;	/* the subject (borrowed) */
	int direction;			/* FLOW_EGRESS / FLOW_INGRESS */
	int peer_kind;			/* STORE_PEER_* */
	const struct flowdb_workload *peer_wl;	/* PEER_WORKLOAD, else NULL */
	struct addr peer_addr;		/* PEER_ADDRESS / PEER_NODE, else
					 * family 0 */
	uint8_t protocol;		/* IPPROTO_TCP, _UDP, _SCTP, _ICMP,
					 * _ICMPV6 */
	uint16_t port;			/* server port after DNAT; 0 for ICMP */
	struct addr orig_addr;		/* destination before DNAT (a Service
					 * IP), family 0 if none */
	uint16_t orig_port;		/* port before DNAT, 0 if none */
	const char *dns_name;		/* name the pod resolved, "" if none;
					 * owned by the flowdb */
	int64_t first_seen;
	int64_t last_seen;
	uint64_t count;
	uint64_t bytes;
	uint64_t packets;
};

struct flowdb_query {
	const char *namespace_;	/* NULL: all namespaces */
	const char *workload;	/* "kind/name" (kind case-insensitive), or
				 * NULL for every workload of the scope */
	int64_t since;		/* flows last seen at or after; 0 = open */
	int64_t until;		/* flows first seen at or before; 0 = open */
	int direction;		/* FLOW_EGRESS, FLOW_INGRESS, or -1 both */
};

struct flowdb;

/*
 * Open every path of dbs read-only (they must exist) and load the subjects
 * matching q, every flow of theirs in the window, and the workloads that
 * are their peers (subject = false). Also reads each store's counters,
 * meta "recording_started", nodes and known_servers.
 *
 * Returns 0 and *out (free with flowdb_free), or:
 *   -ENOENT  q->namespace_ is not known to any store (no workload and no
 *            attachment ever recorded in it), or q->workload names no
 *            workload; err says which;
 *   -EINVAL  a malformed q->workload;
 *   other    a store could not be opened or read; err names the file.
 * A known namespace with no flows in the window loads fine with its
 * workloads and zero flows.
 */
int flowdb_load(const char *const *dbs, size_t ndbs,
    const struct flowdb_query *q, struct flowdb **out, char *err,
    size_t errlen);
void flowdb_free(struct flowdb *fdb);

/* Every workload loaded (subjects and peers), sorted; borrowed. */
size_t flowdb_nworkloads(const struct flowdb *fdb);
const struct flowdb_workload *flowdb_workload(const struct flowdb *fdb,
    size_t i);
/* Look one up by (namespace, kind, name); NULL when not loaded. */
const struct flowdb_workload *flowdb_find_workload(const struct flowdb *fdb,
    const char *ns, const char *kind, const char *name);

/* Every flow loaded, sorted (flows of one subject are contiguous). */
size_t flowdb_nflows(const struct flowdb *fdb);
const struct flowdb_flow *flowdb_flow(const struct flowdb *fdb, size_t i);

/*
 * The flows of one subject workload: *first is set to the index of its
 * first flow, the return value is how many there are (0 when none).
 */
size_t flowdb_flows_of(const struct flowdb *fdb,
    const struct flowdb_workload *wl, size_t *first);

/* A counter summed over the stores (events_lost, ...); 0 when absent. */
int64_t flowdb_counter(const struct flowdb *fdb, const char *name);
/* Call cb for each counter name (sorted) with its summed value. */
int flowdb_counter_foreach(const struct flowdb *fdb,
    int (*cb)(const char *name, int64_t value, void *arg), void *arg);

/* The earliest "recording_started" of the stores; 0 when none says. */
int64_t flowdb_recording_started(const struct flowdb *fdb);
/*
 * The window covered: q->since where given, else the earliest
 * "recording_started" of the stores, else the earliest first_seen of the
 * loaded flows; q->until where given, else the end of the data (the latest
 * flow last_seen or counter update of any store). 0 when unknown.
 */
int64_t flowdb_since(const struct flowdb *fdb);
int64_t flowdb_until(const struct flowdb *fdb);

/* Is a an address of a node (the stores' nodes table)? */
bool flowdb_is_node_addr(const struct flowdb *fdb, const struct addr *a);

/*
 * The KnownServer entries of the stores, as a set the caller may add to
 * (ks_load_file) before matching: borrowed, freed by flowdb_free.
 */
struct ks_set *flowdb_known_servers(struct flowdb *fdb);

/* Every namespace the stores hold workloads of, plus q->namespace_ when
 * only attachments name it (sorted, borrowed). */
size_t flowdb_nnamespaces(const struct flowdb *fdb);
const char *flowdb_namespace(const struct flowdb *fdb, size_t i);

#endif
