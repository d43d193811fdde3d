/*
 * source: where what the CLI reads comes from, behind one small interface.
 *
 * A source holds recorded data: today a store file (cli/source/
 * store_source.h), next a Kubernetes API source reading TrafficProfile
 * objects. Asked for a query, it feeds what it holds into an index builder
 * (cli/source/index.h: index_add_*): workloads, flows (lib/flow.h, with
 * the workload handles the builder gave out), counters, nodes,
 * namespaces, the start of the recording, the end of its data and its
 * KnownServers; and, optionally, every DNS name the pods of a workload
 * were answered with per address (index_add_dns_name), in the query's
 * window. A flow carries only its newest name; the names fed are how
 * -o cilium and -o clusternetworkpolicy write every name of an address.
 * A source that has no answers feeds none: the flows' names are used.
 * Never feed a name no pod was answered with. The index merges what several sources fed, orders it and
 * answers export, check, report and status, so a new source is one file
 * that fills these calls: neither the index nor its consumers change.
 *
 * A source may feed more than the query asks for (the index keeps only
 * the query's subjects, their flows in the window and direction, and
 * their peers), but what it feeds should be the same every time it is
 * asked, so that the output is.
 */
#ifndef NPR_CLI_SOURCE_SOURCE_H
#define NPR_CLI_SOURCE_SOURCE_H

#include <stddef.h>
#include <stdint.h>

struct index_builder;

/* What the consumers ask for. */
struct source_query {
	const char *namespace_;	/* NULL: every namespace */
	const char *kind;	/* with name (both or neither): one workload,
				 * the kind matched case-insensitively */
	const char *name;
	int64_t since;		/* flows last seen at or after; 0 = open */
	int64_t until;		/* flows first seen at or before; 0 = open */
	int direction;		/* FLOW_EGRESS, FLOW_INGRESS, or -1: both */
};

struct source;

struct source_ops {
	/*
	 * Feed what the source holds for q into b. 0, or -errno with err
	 * saying what failed, naming the source (a store's path) and what
	 * to do about it.
	 */
	int (*load)(struct source *src, const struct source_query *q,
	    struct index_builder *b, char *err, size_t errlen);
	/* Free src and everything it holds. */
	void (*free)(struct source *src);
};

/* The handle every source starts with; a source's own state follows it. */
struct source {
	const struct source_ops *ops;
};

static inline void
source_free(struct source *src)
{
	if (src != NULL)
		src->ops->free(src);
}

#endif
