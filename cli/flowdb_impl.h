/*
 * flowdb_impl: the layout of struct flowdb, shared by the files that fill
 * and read it (flowdb.c, flowdb_store.c, flowdb_scope.c, flowdb_merge.c),
 * never by flowdb's users. Internal to flowdb: include only from
 * cli/flowdb*.c.
 */
#ifndef NPR_CLI_FLOWDB_IMPL_H
#define NPR_CLI_FLOWDB_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/flowdb.h"
#include "cli/flowdb_index.h"

/* A counter summed over the stores. */
struct flowdb_counter_sum {
	char *name;		/* owned */
	int64_t value;
};

struct flowdb {
	struct flowdb_workload **wls;	/* owned; sorted by flowdb_merge */
	size_t nwls, capwls;
	struct flowdb_namemap names;
	struct flowdb_flow *flows;
	size_t nflows, capflows;
	size_t *wl_first, *wl_count;	/* by workload index */
	struct flowdb_counter_sum *counters;
	size_t ncounters;
	struct addr *nodes;
	size_t nnodes;
	char **namespaces;
	size_t nnamespaces;
	struct ks_set *ks;
	int64_t recording_started;
	int64_t data_begin, data_end;
	int64_t since, until;
};

/*
 * A flow's dns_name when it has none: not allocated, so never freed. Tell
 * it by its address (dns_name == flowdb_empty_str).
 */
extern char flowdb_empty_str[];

/* Free w and everything it owns; NULL is a no-op. */
void flowdb_wl_free(struct flowdb_workload *w);

/* Is ns in fdb->namespaces? */
bool flowdb_namespace_known(const struct flowdb *fdb, const char *ns);

#endif
