/*
 * kubescape: the pieces of Kubescape's objects (spdx.softwarecomposition
 * .kubescape.io/v1beta1) that several formats write: the metadata with
 * the kubescape.io/workload-* labels (GeneratedNetworkPolicy,
 * NetworkNeighbors, NetworkNeighborhood), the workload's selector as
 * their spec holds it, and the neighbour entries: every recorded peer of
 * a workload, by address, not widened, nodes and ICMP included. Pure:
 * builds json-c trees, prints nothing.
 */
#ifndef NPR_CLI_GEN_KUBESCAPE_H
#define NPR_CLI_GEN_KUBESCAPE_H

#include <stdbool.h>

#include <json-c/json.h>

#include "cli/source/index.h"

#define KUBESCAPE_API_VERSION "spdx.softwarecomposition.kubescape.io/v1beta1"

/* The metadata of Kubescape's objects of wl (new reference): name,
 * namespace and the kubescape.io/workload-* labels; with status, the
 * kubescape.io/status annotation ("partial" when its pods predate the
 * recording, else "complete"). */
json_object *kubescape_meta(const struct index_workload *wl, bool status);

/* wl's selector into spec: matchLabels (an empty object when it has
 * none) and matchExpressions when it has them. */
void kubescape_selector(const struct index_workload *wl, json_object *spec);

/*
 * The entries of wl's peers in one direction (a new array), one per peer
 * workload or address, sorted, each with identifier (a stable hash of
 * what it says), type internal/external, dns (the newest name resolved
 * to the address), ipAddress, podSelector, namespaceSelector and ports
 * ("TCP-8080"; none for ICMP). With names, an external entry also lists
 * every name resolved to its address (dnsNames, when there is any).
 */
json_object *kubescape_entries(const struct index *idx,
    const struct index_workload *wl, int direction, bool names);

#endif
