/*
 * policygen: NetworkPolicies (and Kubescape's GeneratedNetworkPolicy and
 * NetworkNeighbors) built from the index of what was recorded (cli/source/index.h), as json-c
 * trees. Pure: reads the index, prints nothing.
 *
 * The rules (cli/README.md says them for users):
 * - name <kind>-<name> in lower case, in the workload's namespace;
 *   podSelector = the workload's selector;
 * - one peer per workload peer (podSelector, plus a namespaceSelector on
 *   kubernetes.io/metadata.name when in another namespace) or per address
 *   (ipBlock /32 or /128, or the CIDR of the KnownServer entry with the
 *   longest prefix containing it); the ports (after DNAT, with protocol)
 *   of a peer merged; peers with the same ports merged into one rule;
 *   everything sorted;
 * - ICMP cannot be written: listed in the not-expressible annotation;
 * - nodes and hostNetwork pods (kubelet probes come from the node) are
 *   left out and listed unless include_nodes, which writes node addresses
 *   as ipBlocks;
 * - egress to the cluster DNS (a workload in kube-system labelled
 *   k8s-app=kube-dns or named coredns / kube-dns) on port 53 is written
 *   for both UDP and TCP;
 * - policyTypes = the directions exported; a direction with no traffic has
 *   no rules.
 */
#ifndef NPR_CLI_GEN_POLICYGEN_H
#define NPR_CLI_GEN_POLICYGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "cli/source/index.h"
#include "cli/source/knownservers.h"

#define POLICYGEN_DEFAULT_MIN_OBSERVATION (24 * 3600)

struct policygen_opts {
	bool ingress;			/* export the Ingress direction */
	bool egress;			/* export the Egress direction */
	bool include_nodes;
	bool refs;			/* fill policygen_result.refs */
	int64_t min_observation;	/* seconds; warn below */
	const struct ks_set *ks;	/* may be NULL */
};

/* Sorted, unique message lists (owned strings). */
struct policygen_list {
	char **v;
	size_t n;
};

struct policygen_result {
	json_object *policy;		/* the NetworkPolicy; owned */
	json_object *refs;		/* policyRef array (generated); empty
					 * unless policygen_opts.refs */
	struct policygen_list warnings;	/* short observation, predates... */
	struct policygen_list excluded;	/* nodes / hostNetwork left out */
	struct policygen_list inexpressible;	/* ICMP, unknown peers */
	struct policygen_list known;	/* KnownServer entries used */
	size_t nflows;			/* flows of the exported directions */
};

/*
 * Build the NetworkPolicy of subject wl. Returns 0 or -ENOMEM; free with
 * policygen_result_clear().
 */
int policygen_build(const struct index *idx, const struct index_workload *wl,
    const struct policygen_opts *o, struct policygen_result *out);
void policygen_result_clear(struct policygen_result *r);

/* The policy's name: "<kind>-<name>" lower case, into buf. */
char *policygen_name(const struct index_workload *wl, char *buf,
    size_t len);

/*
 * The NetworkNeighbors document of wl: every recorded peer (nodes and
 * ICMP included), by address, not widened. New reference, NULL on ENOMEM.
 */
json_object *policygen_neighbors(const struct index *idx,
    const struct index_workload *wl, const struct policygen_opts *o);

/* Is w the cluster DNS (kube-dns / CoreDNS)? */
bool policygen_is_cluster_dns(const struct index_workload *w);

/* ---- for the formats (cli/gen/format_*.c) ------------------------------ */

/* qsort that accepts an empty (possibly NULL) array. */
void policygen_sort(void *base, size_t n, size_t size,
    int (*cmp)(const void *, const void *));

/*
 * Add val under key to object o, taking the reference. key must be a
 * string literal added once per object (see policygen_util.c for why).
 */
void policygen_obj_add(json_object *o, const char *key, json_object *val);
/* The same for a new json string copied from val. */
void policygen_add_str(json_object *o, const char *key, const char *val);

/* "TCP", "UDP", "SCTP", "ICMP"...; "unknown" for any other protocol. */
const char *policygen_proto_name(int proto);
/* Does the protocol have ports a NetworkPolicy can name? */
bool policygen_port_proto(int proto);

/* src in lower case into dst (truncated to len - 1 characters). */
void policygen_lower_copy(char *dst, size_t len, const char *src);



enum policygen_tup_peer {
	POLICYGEN_TUP_WORKLOAD = 0,
	POLICYGEN_TUP_CIDR = 1,
};

struct policygen_tup {
	int pk;					/* enum policygen_tup_peer */
	const struct index_workload *wl;	/* POLICYGEN_TUP_WORKLOAD */
	struct addr_cidr cidr;			/* POLICYGEN_TUP_CIDR: the
						 * rule's */
	const struct ks_entry *ks;		/* the KnownServer, if any */
	struct addr seen;			/* the address in the traffic */
	const char *dns;
	int64_t last_seen;
	uint8_t proto;
	uint16_t port;
	bool has_port;				/* false: ICMP (neighbors) */
};

/* A growable array of tuples; { 0 } is empty, free v when done. */
struct policygen_tupv {
	struct policygen_tup *v;
	size_t n, cap;
};

/* Append a copy of t. 0 or -ENOMEM. */
int policygen_tupv_add(struct policygen_tupv *tv,
    const struct policygen_tup *t);

/*
 * Make t an address peer: the KnownServer entry of ks with the longest
 * prefix containing a when widen (ks may be NULL), else a's /32 or /128.
 */
void policygen_tup_addr(struct policygen_tup *t, const struct addr *a,
    const struct ks_set *ks, bool widen);


/* Order of peers only: workloads (by index position) before CIDRs. */
int policygen_tup_peer_cmp(const struct policygen_tup *x,
    const struct policygen_tup *y);
/* qsort: peer, then ported after not, protocol, port, seen, last_seen. */
int policygen_tup_cmp(const void *a, const void *b);

/* {"matchLabels":{"kubernetes.io/metadata.name": ns}} (new reference). */
json_object *policygen_ns_selector(const char *ns);

/* The metadata of Kubescape's objects of wl (new reference): name,
 * namespace and the kubescape.io/workload-* labels. */
json_object *policygen_kubescape_meta(const struct index_workload *wl);

#endif
