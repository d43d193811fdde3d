/*
 * index: what was recorded, in memory, as export, check, report and
 * status read it. Built from one or more sources (cli/source/source.h:
 * stores copied from several nodes, later the Kubernetes API) for one
 * query. Nothing here prints or exits.
 *
 * Merging: workloads are the same when (namespace, kind, name) are equal;
 * the first source that has a selector, labels or ports for one wins,
 * started_at is the earliest known, host_network is ORed. Flows with the
 * same key are merged with flow_merge() (lib/flow.h), in the order the
 * sources were given. Counters of the same name are added up.
 *
 * A source may name a workload without describing it (a TrafficProfile
 * refers to its peers by name: index_source_workload.reference_only).
 * Such a peer waits for its details from another source or another
 * object (index_undescribed); one that no source ever described is no
 * subject (nothing is known of its pods, not even which they are) and
 * carries described = false, for the consumers to leave its selector
 * alone.
 *
 * Order: workloads are sorted by (namespace, kind, name) and a flow's
 * workload handles (key.subject, key.peer_wl) are their positions in that
 * order; flows are sorted with flow_key_cmp(), so the flows of one subject
 * are contiguous. The same sources always give the same order, so output
 * built from it is stable.
 */
#ifndef NPR_CLI_SOURCE_INDEX_H
#define NPR_CLI_SOURCE_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "cli/source/source.h"
#include "lib/addr.h"
#include "lib/flow.h"

struct ks_set;

struct index_workload {
	const char *namespace_;	/* never NULL */
	const char *kind;	/* "Deployment", ..., "Pod" */
	const char *name;
	json_object *selector;	/* LabelSelector, never NULL ({"matchLabels":
				 * the labels less per-pod ones} when no
				 * source knew it) */
	json_object *labels;	/* object of labels, never NULL */
	json_object *ports;	/* named container ports, NULL when unknown:
				 * [{"name":"http","port":8080,
				 *   "protocol":"TCP"}] */
	bool host_network;
	bool subject;		/* in the query's scope; false for workloads
				 * there only as a subject's peer */
	bool described;		/* a source gave its details; false: only
				 * named as a peer, so selector and labels
				 * are the empty defaults and say nothing of
				 * its pods (never a subject then) */
	int64_t started_at;	/* earliest pod start known, 0 unknown */
	int64_t first_seen;	/* of its flows as subject, 0 when none */
	int64_t last_seen;
	/* Pods were running before the recording started: started_at (or,
	 * when unknown, the first attachment of its pods) is before the
	 * earliest recording start of the sources, or its first pod was
	 * adopted (running already when netpol-recorderd found it). Their
	 * earliest connections may be missing. False when neither time is
	 * known. */
	bool predates_recording;
	/* How long its pods were watched within the window: from the later
	 * of index_since(), started_at and (when its first pod was adopted)
	 * that adoption, to index_until(). */
	int64_t observed_from;
	int64_t observed_to;
	size_t index;		/* its position: the handle flows name it by */
};

struct index;

/*
 * Load every source in turn for q and build the index. The sources stay
 * the caller's. Returns 0 and *out (free with index_free), or:
 *   -ENOENT  q->namespace_ is known to no source (no workload and no pod
 *            was ever recorded in it), or q->name names no workload; err
 *            says which and names what was recorded closest to it;
 *   other    a source failed; err says which and what to do.
 * A known namespace with no flows in the window loads fine with its
 * workloads and no flows.
 */
int index_load(struct source *const *srcs, size_t nsrcs,
    const struct source_query *q, struct index **out, char *err,
    size_t errlen);
void index_free(struct index *idx);

/* Every workload loaded (subjects and peers), sorted; borrowed. */
size_t index_nworkloads(const struct index *idx);
const struct index_workload *index_workload(const struct index *idx,
    size_t i);
/* Look one up by (namespace, kind, name); NULL when not loaded. */
const struct index_workload *index_find_workload(const struct index *idx,
    const char *ns, const char *kind, const char *name);

/* Every flow loaded, sorted; borrowed. */
size_t index_nflows(const struct index *idx);
const struct flow *index_flow(const struct index *idx, size_t i);
/* The flows of one subject: *first is the position of its first flow,
 * the return value how many there are (0 when none). */
size_t index_flows_of(const struct index *idx,
    const struct index_workload *wl, size_t *first);
/* The subject of f, and its peer workload (NULL unless the peer is a
 * workload, FLOW_PEER_WORKLOAD). */
const struct index_workload *index_subject(const struct index *idx,
    const struct flow *f);
const struct index_workload *index_peer(const struct index *idx,
    const struct flow *f);

/*
 * The DNS names the pods of subject wl were answered with for address a:
 * those the sources fed (index_add_dns_name) and those its flows to a
 * carry, each once, sorted (strcmp), as recorded (with the final dot).
 * *first is the position of the first, the return value how many (0 when
 * none); index_dns_name(idx, i) is the i-th (borrowed).
 */
size_t index_dns_names(const struct index *idx,
    const struct index_workload *wl, const struct addr *a, size_t *first);
const char *index_dns_name(const struct index *idx, size_t i);

/* A counter summed over the sources (events_lost, ...); 0 when absent. */
int64_t index_counter(const struct index *idx, const char *name);
/* Every counter, sorted by name: n and the i-th name and value. */
size_t index_ncounters(const struct index *idx);
const char *index_counter_name(const struct index *idx, size_t i);
int64_t index_counter_value(const struct index *idx, size_t i);

/* The earliest recording start of the sources; 0 when none says. */
int64_t index_recording_started(const struct index *idx);
/*
 * The window covered: q->since where given, else the earliest recording
 * start, else the earliest first_seen of the flows loaded; q->until where
 * given, else the end of the sources' data. 0 when unknown.
 */
int64_t index_since(const struct index *idx);
int64_t index_until(const struct index *idx);

/* Is a an address of a node? */
bool index_is_node_addr(const struct index *idx, const struct addr *a);

/*
 * The KnownServer entries of the sources, as a set the caller may add to
 * (ks_load_file) before matching: borrowed, freed by index_free.
 */
struct ks_set *index_known_servers(struct index *idx);

/* Every namespace the sources know (sorted, borrowed). */
size_t index_nnamespaces(const struct index *idx);
const char *index_namespace(const struct index *idx, size_t i);

/*
 * Completeness: what a source knows is missing from what it fed. A node
 * that lost events or stopped publishing, entries a node left out, an
 * object that could not be read. Export writes the notes of a workload
 * (its own and its namespace's) into its policy's warnings, report lists
 * them all among its warnings. Sorted by (namespace, kind, name, text),
 * unique; only those of the query's scope are kept.
 */
struct index_note {
	const char *namespace_;	/* NULL: every namespace of the scope */
	const char *kind;	/* with name: one workload; NULL: the whole */
	const char *name;	/*   namespace */
	const char *text;	/* one sentence: what is missing and why */
};
size_t index_nnotes(const struct index *idx);
const struct index_note *index_note(const struct index *idx, size_t i);
/* Whether note n is about workload w (its own or its namespace's). */
bool index_note_applies(const struct index_note *n,
    const struct index_workload *w);

/* ---- building: what a source calls (see cli/source/source.h) ----------- */

struct index_builder;

/* What a source knows of a workload: strings and JSON borrowed for the
 * call (the builder copies or takes references). */
struct index_source_workload {
	const char *namespace_;
	const char *kind;
	const char *name;
	json_object *selector;	/* NULL when unknown */
	json_object *labels;	/* NULL when unknown */
	json_object *ports;	/* NULL when unknown */
	bool host_network;
	int64_t started_at;	/* 0 unknown */
	bool reference_only;	/* only named (a peer a TrafficProfile refers
				 * to): the fields above, but for the names,
				 * say nothing */
};

/*
 * Add a workload, or merge it into the one of the same (namespace, kind,
 * name) another source added. *handle gets the handle its flows name it
 * by. 0 or -ENOMEM.
 */
int index_add_workload(struct index_builder *b,
    const struct index_source_workload *w, int64_t *handle);

/*
 * The workloads the flows kept so far name as their peer and that no
 * source has described yet (every source gave reference_only), each with
 * the namespaces of those flows' subjects (the notes of a missing peer go
 * there). Sorted by (namespace, kind, name); namespaces sorted, unique.
 */
struct index_undescribed {
	const char *namespace_;	/* borrowed from the builder: valid while */
	const char *kind;	/*   the index is */
	const char *name;
	const char **subject_ns;	/* owned by the array (below) */
	size_t nsubject_ns;
};
/* *out: an array of *n (NULL when none), free with
 * index_undescribed_free. 0 or -ENOMEM. */
int index_undescribed(const struct index_builder *b,
    struct index_undescribed **out, size_t *n);
void index_undescribed_free(struct index_undescribed *v, size_t n);
/* The first pod of workload handle was attached at t (the earliest of
 * what the sources say is kept); adopted: that attachment was an
 * adoption by netpol-recorderd (the pod ran before it was recorded). */
void index_add_first_attached(struct index_builder *b, int64_t handle,
    int64_t t, bool adopted);
/*
 * Add a flow whose workload handles come from index_add_workload (a
 * workload peer the source could not name is FLOW_PEER_UNKNOWN). The DNS
 * name is copied. A flow another source added already is merged into it
 * with flow_merge(). 0 or -ENOMEM.
 */
int index_add_flow(struct index_builder *b, const struct flow *f);
/* Would index_add_flow keep f (its subject in the query's scope, f in its
 * window and direction)? Then the subject's namespace (borrowed), else
 * NULL. For a source's completeness notes (cli/source/completeness.h). */
const char *index_kept_namespace(const struct index_builder *b,
    const struct flow *f);
/*
 * The pods of workload handle were answered with address a for DNS name
 * name (copied): what toFQDNs and domainNames are written from. Feed
 * every name of the query's window, also when several resolve to one
 * address; a flow's own DNS name need not be fed again. Names of
 * workloads outside the query's scope are dropped. 0 or -ENOMEM.
 */
int index_add_dns_name(struct index_builder *b, int64_t handle,
    const struct addr *a, const char *name);
/* Add value to counter name. updated_at (0 unknown) counts as the end of
 * the source's data. 0 or -ENOMEM. */
int index_add_counter(struct index_builder *b, const char *name,
    int64_t value, int64_t updated_at);
/* The latest time the source's data speaks of. */
void index_add_data_end(struct index_builder *b, int64_t t);
/* When the source's recording started (the earliest is kept). */
void index_add_recording_started(struct index_builder *b, int64_t t);
int index_add_node(struct index_builder *b, const struct addr *a);
/* A namespace the source knows workloads or pods of. 0 or -ENOMEM. */
int index_add_namespace(struct index_builder *b, const char *ns);
/* A KnownServer entry (strings copied). 0 or -ENOMEM. */
int index_add_known_server(struct index_builder *b, const char *source,
    const struct addr_cidr *cidr, const char *server, const char *name);
/* Is ns already known (from this source or an earlier one)? */
bool index_has_namespace(const struct index_builder *b, const char *ns);
/*
 * A completeness note (see struct index_note): about workload (ns, kind,
 * name), or namespace ns when kind and name are NULL, or every namespace
 * when ns is NULL too. Strings copied. 0 or -ENOMEM.
 */
int index_add_note(struct index_builder *b, const char *ns,
    const char *kind, const char *name, const char *text);

#endif
