/*
 * flowdb_merge: the last step of flowdb_load, once every store is read:
 * the merge and order flowdb.h promises. Internal to flowdb: include only
 * from cli/flowdb*.c.
 */
#ifndef NPR_CLI_FLOWDB_MERGE_H
#define NPR_CLI_FLOWDB_MERGE_H

#include "cli/flowdb_impl.h"

/*
 * Sort the workloads (setting their index) and give those without labels
 * or selector defaults; sort the flows and add up those several stores
 * hold; sort namespaces and counters; compute the window (since/until),
 * the per-workload flow ranges and observation times. 0 or -ENOMEM.
 */
int flowdb_merge(struct flowdb *fdb, const struct flowdb_query *q);

#endif
