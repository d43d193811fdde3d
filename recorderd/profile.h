/*
 * profile: one workload's flows on this node as the TrafficProfile object
 * the publisher applies (install/kubernetes/README.md, "TrafficProfile").
 *
 * Pure: the caller reads the store and hands in the workload (a
 * store_workload_row: its uid, "" when unknown, makes the ownerReference;
 * its id and deleted_at are not used), its flows
 * (lib/flow.h, workload handles are store ids) and lookups for peer
 * workloads and node names; out comes the whole server-side apply body,
 * compact JSON with the keys of every object sorted (as the API server
 * stores and returns it, so that an object listed back hashes as the one
 * built), and what the publisher's schedule compares.
 *
 * The form (install/kubernetes/README.md has every field): spec.egress
 * and spec.ingress, each absent when empty, are lists of groups
 * {protocol, port, peers}, one per (protocol, port) (after DNAT; 0 for
 * ICMP and ICMPv6), in the order of the CRD's protocol enum (TCP, UDP,
 * SCTP, ICMP, ICMPv6) then by port. A group's peers are "entries" here:
 * one per aggregated flow, each with exactly one of
 *   workload  a reference to the peer workload, "KIND/NAME" in the
 *             object's namespace, "NAMESPACE/KIND/NAME" in another;
 *   node      {address, name?};
 *   address   an address reached without a DNS lookup;
 *   dns       (egress only) a DNS name the pod reached: one entry per
 *             (name, protocol, port, Service) with its addresses (at
 *             most PROFILE_DNS_ADDRS, the least recently seen left out
 *             and counted);
 *   unknown   true: a workload peer the store no longer has, of a kind
 *             the CRD does not list, or whose name the CRD's reference
 *             pattern would refuse;
 * and the Service when DNATed, times, count, bytes and packets. Peers
 * are listed by kind (workload, node, address, dns, unknown), then by
 * namespace/kind/name, address or name, then Service. Flows whose keys
 * meet (dangling peers: "unknown") are merged with flow_merge().
 *
 * A peer workload of the object's namespace is described by its own
 * profile (selector, labels, ports); spec.peerWorkloads (absent when
 * empty) describes the others: peers of other namespaces (a reader of one
 * namespace needs nothing of the others), and those no profile of their
 * own describes: deleted (deleted_at != 0) or hostNetwork.
 *
 * A direction holds at most PROFILE_MAX_GROUPS groups (the CRD's bound):
 * the peers of its least recently seen ports beyond go first. Then at
 * most max_entries peer items are kept over both lists, the least
 * recently seen left out first; both are counted in spec.truncated;
 * spec.entryCount is the number kept. The body is never over max_bytes
 * (more entries go, counted the same way). The same flows give the same
 * bytes. Nothing here prints.
 */
#ifndef NPR_PROFILE_H
#define NPR_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/flow.h"
#include "lib/store.h"

struct json_object;

#define PROFILE_API_VERSION "netpol-record.io/v1alpha1"
#define PROFILE_MAX_ENTRIES 1000	/* the CRD's bound */
#define PROFILE_MAX_GROUPS 100		/* (protocol, port) groups a
					 * direction (the CRD's bound) */
#define PROFILE_DNS_ADDRS 64		/* addresses per DNS name (CRD) */
#define PROFILE_MAX_BYTES (1u << 20)	/* no object over 1 MiB */
#define PROFILE_FIELD_MANAGER "netpol-recorderd"

/* What the caller knows beyond the flows. */
struct profile_lookup {
	/* The workload with store id id, NULL when the store has none (a
	 * dangling peer: the entry's peer is then "unknown"); deleted ones
	 * too (its deleted_at, host_network and namespace decide whether
	 * spec.peerWorkloads describes it). */
	const struct store_workload_row *(*peer)(void *arg, int64_t id);
	/* A node's name for address a, NULL when not known. */
	const char *(*node_name)(void *arg, const struct addr *a);
	void *arg;
};

/* A DNS answer the workload's pods received (the store's dns_answers,
 * per address and name): published for the addresses of its entries. */
struct profile_dns {
	struct addr addr;
	const char *name;
	int64_t first_seen, last_seen;
};

#define PROFILE_DNS_NAMES 64		/* names per address (CRD) */

struct profile_facts {
	const char *node;		/* this node's name */
	int64_t recording_started;	/* the store's recording_started */
	int64_t events_lost;		/* the node's events_lost counter */
	int64_t published_at;		/* now: spec.publishedAt */
	int64_t retention_cutoff;	/* flows last seen before are left
					 * out; 0 keeps all */
	unsigned max_entries;		/* 1 .. PROFILE_MAX_ENTRIES */
	size_t max_bytes;		/* 0: PROFILE_MAX_BYTES */
};

struct profile {
	char *body;			/* the apply body, owned */
	size_t len;
	char name[254];			/* metadata.name */
	char namespace_[64];
	uint64_t hash;			/* of the body without publishedAt */
	uint64_t meta_hash;		/* of spec.workload, ownerReferences */
	size_t entries;			/* peer items in the body */
	size_t truncated;		/* left out (max_entries, max_bytes) */
	size_t unknown_peers;		/* workload peers written as unknown:
					 * gone from the store, or of a kind
					 * the CRD does not list */
	int64_t last_seen;		/* of the entries kept */
};

/* Is kind one the CRD lists (Deployment, ..., Pod)? */
bool profile_kind_ok(const char *kind);

/* The ownerReference apiVersion of kind ("apps/v1", "batch/v1", "v1"),
 * NULL when not one the CRD lists. */
const char *profile_owner_api_version(const char *kind);

/*
 * Build the object of wl from its n flows (any order) and the ndns DNS
 * answers its pods received (any order; spec.dnsNames lists those of the
 * addresses its kept entries name, at most PROFILE_DNS_NAMES per address,
 * the most recently seen). Returns 0 with
 * *out filled (free with profile_clear), -ENOENT when no flow is left
 * after retention (the object must not exist), -ENOTSUP when wl's kind
 * is not one the CRD lists (it cannot be published), -EINVAL (bad
 * facts), -ENOMEM.
 */
int profile_build(const struct store_workload_row *wl, const struct flow *flows,
    size_t n, const struct profile_dns *dns, size_t ndns,
    const struct profile_lookup *lk, const struct profile_facts *f,
    struct profile *out);
void profile_clear(struct profile *p);

/*
 * The same two hashes as profile_build gives, of an object as the API
 * server returned it (a list item): spec without publishedAt, and the
 * ownerReferences (server metadata and managedFields do not count). 0
 * when obj is no TrafficProfile. obj is changed while it is read and put
 * back as it was.
 */
void profile_hash_object(struct json_object *obj, uint64_t *hash,
    uint64_t *meta_hash);

/* metadata.ownerReferences naming one owner (a new json-c array, the
 * caller's; NULL without memory), keys sorted. */
struct json_object *profile_owner_refs(const char *api_version,
    const char *kind, const char *name, const char *uid);

/* t as RFC 3339 UTC ("2024-05-01T11:00:30Z") into buf (at least 21
 * bytes). */
char *profile_time(int64_t t, char *buf, size_t len);

#endif
