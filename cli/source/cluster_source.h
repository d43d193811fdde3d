/*
 * cluster_source: the Kubernetes API as a source of the index
 * (cli/source/source.h): the TrafficProfiles the nodes' recorders
 * publish (cli/source/tpread.h), one namespace's or every namespace's,
 * with paging and, for one workload, a label selector; one profile of
 * each peer workload those name without describing it, from the peer's
 * namespace (unless listed whole already), for its details; each node's
 * RecorderStatus (its counters, the end of its data, whether it still
 * publishes: completeness notes); and the KnownServers of the cluster,
 * ours (netpol-record.io/v1alpha1) and Kubescape's when the cluster
 * serves them (found by discovery; their absence is no error).
 *
 * For the same recorded traffic it feeds what the nodes' stores feed, so
 * that export, check and report give the same bytes both ways (what the
 * TrafficProfile cannot carry is in install/kubernetes/README.md).
 */
#ifndef NPR_CLI_SOURCE_CLUSTER_SOURCE_H
#define NPR_CLI_SOURCE_CLUSTER_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "cli/source/source.h"

struct kube;

/*
 * A source reading the cluster of k (borrowed: it must outlive the
 * source) at time now (for the completeness check). 0 or -ENOMEM; free
 * with source_free().
 */
int cluster_source_new(struct kube *k, int64_t now, struct source **out);

/* After a load: what was read, for stderr ("42 TrafficProfiles of 3
 * nodes, ..."); "" before. */
const char *cluster_source_summary(const struct source *src);

#endif
