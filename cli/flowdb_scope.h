/*
 * flowdb_scope: the rows of the query's scope in one store: the subject
 * workloads, their flows in the window, and the workloads that are their
 * peers, merged into the flowdb being loaded. Internal to flowdb: include
 * only from cli/flowdb*.c.
 *
 * Reading is restricted to the scope with indexed SQL: the subjects come
 * from workloads' (namespace, kind, name) index, their flows from a join
 * on the flows' (workload_id, ...) unique index, and peers one by one by
 * primary key. A namespace of a store with a million flows elsewhere costs
 * only its own rows.
 */
#ifndef NPR_CLI_FLOWDB_SCOPE_H
#define NPR_CLI_FLOWDB_SCOPE_H

#include <stdbool.h>

#include "cli/flowdb_store.h"

/*
 * The workloads matching c->q (subject = true), mapped in c->ids; *found
 * is set when there is at least one. 0 or -errno with c->err set.
 */
int flowdb_scope_subjects(struct flowdb_loadctx *c, bool *found);

/*
 * The flows of the subjects in c->q's window and direction, loading their
 * peer workloads (subject = false) as met. Call after
 * flowdb_scope_subjects. 0 or -errno with c->err set.
 */
int flowdb_scope_flows(struct flowdb_loadctx *c);

#endif
