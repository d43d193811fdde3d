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
#ifndef NPR_CLI_POLICYGEN_H
#define NPR_CLI_POLICYGEN_H

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

/* A GeneratedNetworkPolicy wrapping r (new reference; NULL on ENOMEM). */
json_object *policygen_generated(const struct index_workload *wl,
    const struct policygen_result *r);

/*
 * The NetworkNeighbors document of wl: every recorded peer (nodes and
 * ICMP included), by address, not widened. New reference, NULL on ENOMEM.
 */
json_object *policygen_neighbors(const struct index *idx,
    const struct index_workload *wl, const struct policygen_opts *o);

/* Is w the cluster DNS (kube-dns / CoreDNS)? */
bool policygen_is_cluster_dns(const struct index_workload *w);

#endif
