/*
 * flow: one aggregated flow, the record that every part of netpol-record
 * shares. netpol-recorderd aggregates events into flows, the store keeps
 * them, the CLI reads them back and merges those of several nodes, and the
 * TrafficProfile writer and reader carry them through the Kubernetes API.
 * Whatever holds flows uses this struct, flow_key_hash/flow_key_cmp and
 * flow_merge(); the store's SQL upsert is generated from the same rule
 * (flow_merge_sql), so adding two flows up is written once.
 *
 * Workloads are named by a 64-bit handle whose meaning belongs to the
 * holder of the flow: a row id of the store's workloads table in
 * lib/store, an entry of the daemon's in-memory workload table in
 * recorderd, the position of a loaded workload in the CLI's index. A
 * holder that hands flows to another translates the handles.
 *
 * Nothing here allocates, prints or fails.
 */
#ifndef NPR_FLOW_H
#define NPR_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"

enum flow_direction {
	FLOW_EGRESS = 0,		/* the subject opened the connection */
	FLOW_INGRESS = 1,		/* the subject accepted it */
};

enum flow_peer_kind {
	FLOW_PEER_WORKLOAD = 0,		/* key.peer_wl is set */
	FLOW_PEER_ADDRESS = 1,		/* key.peer is set */
	FLOW_PEER_NODE = 2,		/* key.peer is a node address */
	FLOW_PEER_UNKNOWN = 3,
};

/* Longest DNS name kept with a flow, NUL included (253 + NUL, rounded). */
#define FLOW_NAME_LEN 256

/*
 * What makes two observations the same flow. Build it from a zeroed
 * struct (flow_key_init): it is hashed and compared as bytes, padding
 * included.
 */
struct flow_key {
	int64_t subject;		/* the workload recorded (a handle) */
	int64_t peer_wl;		/* FLOW_PEER_WORKLOAD only, else 0 */
	struct addr peer;		/* FLOW_PEER_ADDRESS / _NODE only */
	struct addr orig;		/* destination before DNAT (a Service
					 * address), family 0 when none */
	uint16_t port;			/* server port after DNAT; 0 for ICMP */
	uint16_t orig_port;		/* port before DNAT, 0 when none */
	uint8_t direction;		/* enum flow_direction */
	uint8_t peer_kind;		/* enum flow_peer_kind */
	uint8_t protocol;		/* IPPROTO_TCP, _UDP, _SCTP, _ICMP,
					 * _ICMPV6 */
	uint8_t pad_[5];
};

/* A flow: its key and what was counted for it. */
struct flow {
	struct flow_key key;
	/* The name the subject resolved before it connected, "" when none.
	 * Never NULL. The holder owns the text (an aggregation slot, a
	 * string the reader kept); flow_merge copies the pointer. */
	const char *dns_name;
	int64_t first_seen;		/* Unix seconds */
	int64_t last_seen;
	uint64_t count;			/* connections */
	uint64_t bytes;			/* from DESTROY with accounting, else 0 */
	uint64_t packets;
};

static inline void
flow_key_init(struct flow_key *k)
{
	__builtin_memset(k, 0, sizeof(*k));
}

/* A zeroed flow with key k, seen once at time now and counted count
 * times; dns_name "". */
void flow_init(struct flow *f, const struct flow_key *k, int64_t now,
    uint64_t count);

uint64_t flow_key_hash(const struct flow_key *k);
bool flow_key_equal(const struct flow_key *a, const struct flow_key *b);

/*
 * The total order in which flows are listed: subject, direction, peer
 * kind, peer workload, peer address, protocol, port, original address,
 * original port (handles compare as numbers). 0 when the keys are equal.
 */
int flow_key_cmp(const struct flow_key *a, const struct flow_key *b);

/*
 * Add from's observations to into (same key): counts, bytes and packets
 * added, first_seen the earlier, last_seen the later, and the DNS name
 * of the more recent of the two that has one (into's on a tie).
 */
void flow_merge(struct flow *into, const struct flow *from);

/*
 * The same rule for SQLite's upsert, as the text of a SET clause that
 * reads the stored row as table old and the incoming row as excluded,
 * with the columns named as the store names them (dns_name, first_seen,
 * last_seen, count, bytes, packets). E.g. for old "flows":
 * "dns_name=CASE ... END, first_seen=min(flows.first_seen, ...), ...".
 * Returns the length written (as snprintf), never more than len - 1.
 */
int flow_merge_sql(char *buf, size_t len, const char *old);

/* Names of the enums for output and logs, from one table each. */
const char *flow_direction_name(int direction);	/* "egress", or "?" */
const char *flow_peer_kind_name(int kind);		/* "workload", or "?" */
/* "TCP", "UDP", "SCTP", "ICMP", "ICMPv6"; NULL for others. */
const char *flow_protocol_name(int protocol);
/* Inverse of flow_protocol_name (case-insensitive); -EINVAL if unknown. */
int flow_protocol_parse(const char *name);

#endif
