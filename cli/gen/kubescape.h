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

#include "cli/gen/policygen.h"
#include "cli/source/index.h"

#define KUBESCAPE_API_VERSION "spdx.softwarecomposition.kubescape.io/v1beta1"

/* The metadata of Kubescape's objects of wl (new reference): name,
 * namespace and the kubescape.io/workload-* labels; with status, the
 * kubescape.io/status annotation ("partial" when its pods predate the
 * recording, else "complete"). */
json_object *kubescape_meta(const struct index_workload *wl, bool status);

/*
 * A Kubescape object of kind about wl's traffic (a new reference):
 * apiVersion, kind, kubescape_meta(wl, true), and a spec holding wl's
 * selector (matchLabels, an empty object when it has none, and
 * matchExpressions when it has them), which *spec borrows for the caller
 * to fill.
 */
json_object *kubescape_object(const struct index_workload *wl,
    const char *kind, json_object **spec);

/*
 * The entries of wl's peers in one direction (a new array; empty when o
 * does not export the direction), one per peer workload or address,
 * sorted, each with identifier (a stable hash of what it says), type
 * internal/external, dns (the newest name resolved to the address),
 * ipAddress, podSelector, namespaceSelector and ports ("TCP-8080"; none
 * for ICMP). With names, an external entry also lists every name
 * resolved to its address (dnsNames, when there is any).
 */
json_object *kubescape_entries(const struct index *idx,
    const struct index_workload *wl, int direction,
    const struct policygen_opts *o, bool names);

#endif
