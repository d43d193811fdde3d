/*
 * report: the audit report of `netpol-record report`.
 *
 * report_build() turns what was loaded (flows, workloads, counters, known
 * servers, and optionally the policies with their check results) into one
 * JSON model, the one `-o json` prints and cli/REPORT.md documents.
 * report_view_new() reads that model once into typed structs (the view),
 * and the renderers (report_text.c, report_md.c, report_html.c) read only
 * the view, so each can be tested from a JSON fixture and all of them say
 * the same things.
 */
#ifndef NPR_CLI_REPORT_REPORT_H
#define NPR_CLI_REPORT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "cli/eval/check.h"
#include "cli/eval/npeval.h"
#include "cli/source/index.h"
#include "cli/source/knownservers.h"

/* The version of the JSON model (the "schemaVersion" field). */
#define REPORT_SCHEMA_VERSION 1

/* Everything report_build reads; all borrowed. */
struct report_input {
	const struct index *idx;	/* what was recorded: workloads,
					 * flows, window, counters */
	const char *namespace_;		/* the scope; NULL = all namespaces */
	const char *const *stores;	/* store paths, for the record */
	size_t nstores;
	const char *cluster;		/* when the source is the cluster: what
					 * was read ("https://...: context X of
					 * FILE"); NULL for stores */
	int64_t generated_at;
	const struct ks_set *ks;	/* KnownServers, may be NULL */
	const struct addr_cidr *pod_cidrs;
	size_t npod_cidrs;
	const struct addr_cidr *svc_cidrs;
	size_t nsvc_cidrs;
	const struct npeval_set *policies;	/* NULL without --policies */
	const struct check_result *check;	/* check_eval of flows against
						 * policies, same flow order */
	const char *const *policy_paths;	/* as given to --policies */
	size_t npolicy_paths;
};

/* Build the model; NULL when out of memory. The caller owns it. */
json_object *report_build(const struct report_input *in);

/*
 * Classify an address that is not a recorded workload: "internal" (inside
 * a pod or service range), "node", "external", or "unknown" (no address,
 * or a private address while no cluster range was given to tell).
 */
const char *report_classify(const struct report_input *in, int peer_kind,
    const struct addr *a);

/*
 * The rule `export` writes to allow denied flow d (report_allow.c):
 * {"policy": "ns/name", "spec": {"egress"|"ingress": [{"to"|"from":
 * [PEER], "ports": [PORT]}]}}, the part of the NetworkPolicy export
 * builds for d's workload (cli/gen/policygen) that allows d. NULL when
 * export writes no rule for it (ICMP, a node, a peer recorded only at
 * the other end) or out of memory. cache keeps the last policy built
 * (denials come sorted by workload and direction); clear it when done.
 */
struct report_allow {
	const struct index_workload *wl;
	int direction;
	json_object *policy;
};
json_object *report_allow_rule(const struct report_input *in,
    const struct check_denial *d, struct report_allow *cache);
void report_allow_clear(struct report_allow *cache);

/* ---- the typed view of the model (report_view.c) ----------------------
 *
 * The model read once into structs: what every renderer reads (no string
 * keys in the renderers). Strings are borrowed from the model, which the
 * view holds a reference to; "" stands for a JSON null or an absent key
 * (times unknown, no DNS name).
 */

enum report_dir { REPORT_INGRESS = 0, REPORT_EGRESS = 1 };
enum report_peer_type {
	REPORT_PEER_WORKLOAD, REPORT_PEER_ADDRESS, REPORT_PEER_NODE,
	REPORT_PEER_UNKNOWN,
};
enum report_class {
	REPORT_CLASS_NONE,		/* none given (a workload) */
	REPORT_CLASS_INTERNAL, REPORT_CLASS_NODE, REPORT_CLASS_EXTERNAL,
	REPORT_CLASS_UNKNOWN,
};
enum report_verdict {
	REPORT_VERDICT_NONE,		/* no policies were given */
	REPORT_VERDICT_ALLOWED, REPORT_VERDICT_DENIED,
	REPORT_VERDICT_UNRESOLVED,
};

/* Their names in the model ("ingress", "workload", "external",
 * "denied"); "" for the NONE values. */
const char *report_dir_name(enum report_dir d);
const char *report_peer_type_name(enum report_peer_type t);
const char *report_class_name(enum report_class c);
const char *report_verdict_name(enum report_verdict v);

struct report_strs {
	const char **v;
	size_t n;
};

struct report_ks {
	const char *source, *cidr, *server, *name;
};

struct report_peer {
	enum report_peer_type type;
	const char *id, *namespace_, *kind, *name;	/* workloads */
	const char *address;				/* others */
	enum report_class class_;
	const char *dns_name;
	bool has_ks;
	struct report_ks ks;
};

struct report_workload;

struct report_flow {
	size_t index;			/* its position among the view's
					 * flows (report_view.nflows) */
	const struct report_workload *subject;
	enum report_dir direction;
	struct report_peer peer;
	char protocol[16];		/* "TCP", ... or the number */
	int64_t port;			/* after DNAT; 0 for ICMP */
	bool has_service;		/* the address before DNAT */
	const char *service_address;
	int64_t service_port;
	const char *dns_name;
	int64_t count, bytes;
	const char *first_seen, *last_seen;
	enum report_verdict verdict;
	struct report_strs notes;
};

/* A name the workload resolved and the addresses it reached by it: what
 * -o cilium allows by toFQDNs and -o clusternetworkpolicy by domainNames
 * (the model's egressNames). */
struct report_name {
	const char *name;
	struct report_strs addresses;
};

struct report_workload {
	const char *id, *namespace_, *kind, *name;
	bool host_network;
	struct {
		const char *started_at, *first_seen, *last_seen;
		const char *observed_from, *observed_to;
		int64_t observed_seconds;
		bool predates_recording;
	} obs;
	bool has_policies;		/* the model says which select it */
	struct report_strs policies[2];	/* by enum report_dir */
	struct report_flow *flows[2];	/* by enum report_dir */
	size_t nflows[2];
	struct report_name *names;	/* egressNames */
	size_t nnames;
};

struct report_namespace {
	const char *name;
	struct report_workload *workloads;
	size_t nworkloads;
};

struct report_address {
	enum report_peer_type type;
	const char *address;
	enum report_class class_;
	struct report_strs dns_names;
	bool has_ks;
	struct report_ks ks;
	bool unnamed;
	struct report_strs directions, ports, workloads;
	int64_t count;
	const char *last_seen;
};

struct report_denial {
	const char *workload, *namespace_, *kind, *name;
	enum report_dir direction;	/* of the workload that denies */
	struct report_peer peer;
	char protocol[16];
	int64_t port;
	enum report_verdict verdict;
	int64_t count;
	const char *first_seen, *last_seen, *dns_name;
	struct report_strs policies, notes;
	const char *allow_policy;	/* "ns/name" export writes, or "" */
	json_object *allow_spec;	/* {DIR: [rule]} that allows it, or
					 * NULL when export writes none */
};

struct report_unselected {
	const char *workload, *namespace_, *kind, *name;
	bool ingress, egress;		/* true: open in that direction */
};

struct report_policy {
	const char *namespace_, *name, *source;
	bool ingress, egress;
};

struct report_counter {
	const char *name;
	int64_t value;
};

struct report_arena;

struct report_view {
	json_object *model;		/* a reference of the view's own */
	const char *generated_at;
	const char *scope;		/* the namespace; "" for all */
	struct report_strs stores;
	const char *cluster;		/* the cluster read; NULL: the stores */
	struct {
		const char *since, *until, *recording_started;
		int64_t seconds;
	} window;
	int64_t events_lost;
	/* Running pods netpol-recorderd adopted (completeness.adoption):
	 * has_adoption is false when no store adopted any. */
	bool has_adoption;
	struct {
		int64_t now, adoptions, releases;
	} adoption;
	struct report_counter *counters;
	size_t ncounters;
	struct report_strs pod_cidrs, svc_cidrs;
	bool has_policies;		/* --policies was given */
	int64_t npolicies;
	struct report_strs policy_paths;
	struct report_policy *policies;
	size_t npolicy_items;
	struct {
		int64_t namespaces, workloads, flows, addresses, unnamed;
		int64_t denied, unresolved, unselected;
	} summary;
	struct report_namespace *namespaces;
	size_t nnamespaces;
	size_t nflows;			/* in all the workloads */
	struct report_address *addresses;
	size_t naddresses;
	struct report_denial *denied;
	size_t ndenied;
	struct report_unselected *unselected;
	size_t nunselected;
	struct report_strs notes, warnings;
	struct report_arena *arena;	/* where the arrays live */
};

/*
 * Read model into a new view (*out, free with report_view_free). Keys
 * that are absent take their empty value, so a partial model (a test's)
 * reads too. Returns 0 or -ENOMEM.
 */
int report_view_new(json_object *model, struct report_view **out);
void report_view_free(struct report_view *v);

/* ---- the topology graph (report_graph.c, report_gv.c) -----------------
 *
 * What the drawing shows, built from the view: a node per workload (in a
 * cluster per namespace), per group of addresses (those a KnownServer
 * covers, or that resolve to one DNS name, are one node) and one for the
 * cluster's nodes; an edge per (client, server) pair with its ports as
 * label, its width by connections and its colour by the worst verdict of
 * its flows. Past REPORT_GRAPH_MAX_WORKLOADS workloads or
 * REPORT_GRAPH_MAX_EDGES edges the automatic mode draws a node per
 * namespace instead (edges added up), and says so in the notes.
 */

#define REPORT_GRAPH_MAX_WORKLOADS 50
#define REPORT_GRAPH_MAX_EDGES 300
/* Past this many address groups, one node per class of address. */
#define REPORT_GRAPH_MAX_ADDRESSES 40
/* Past these no graph is laid out, whatever the mode (dot's time grows
 * fast: about 1 s for 270 arrows, 20 s for 450); the tables stay. */
#define REPORT_GRAPH_LIMIT_NODES 300
#define REPORT_GRAPH_LIMIT_EDGES 500

enum report_graph_mode {
	REPORT_GRAPH_AUTO,		/* workloads unless too many */
	REPORT_GRAPH_WORKLOADS,
	REPORT_GRAPH_NAMESPACES,
};

enum report_gnode_kind {
	REPORT_GNODE_WORKLOAD,		/* a workload of the scope */
	REPORT_GNODE_PEER,		/* a workload outside the scope */
	REPORT_GNODE_NAMESPACE,		/* a namespace's workloads */
	REPORT_GNODE_EXTERNAL,		/* addresses, by class */
	REPORT_GNODE_INTERNAL,
	REPORT_GNODE_NODE,
	REPORT_GNODE_UNKNOWN,
	REPORT_GNODE_NKINDS,
};

struct report_gnode {
	char id[16];			/* "n1": the SVG element's id */
	char *name;			/* unique, for people; DOT's */
	char *line1, *line2;		/* the label's two lines */
	const char *cluster;		/* its namespace's box or NULL */
	const char *namespace_;		/* "" for addresses */
	enum report_gnode_kind kind;
	bool in_scope_cluster;		/* its cluster is of the scope */
	bool unselected;		/* no policy selects it (a direction) */
	bool denied;			/* an end of a denied flow */
	bool isolated;			/* no edge: not drawn (noted) */
	const struct report_workload *workload;	/* a subject, or NULL */
	struct report_strs addresses;	/* the addresses it stands for */
	size_t members;			/* workloads or addresses it
					 * stands for (1: a workload) */
};

struct report_gedge {
	char id[16];			/* "e1" */
	size_t src, dst;		/* client, server (node positions) */
	char *label;			/* "TCP/8080, UDP/53 +2" */
	char *ports;			/* every port: "TCP/8080, ..." */
	int64_t count;			/* connections (the larger of the
					 * counts recorded at either end) */
	enum report_verdict verdict;	/* the worst of its flows */
	size_t nflows;
};

struct report_graph {
	enum report_graph_mode mode;	/* WORKLOADS or NAMESPACES: drawn */
	bool too_big;			/* not drawn at all */
	struct report_gnode *nodes;
	size_t nnodes;
	struct report_gedge *edges;
	size_t nedges;
	const char **clusters;		/* namespaces with a box */
	bool *cluster_in_scope;
	size_t nclusters;
	size_t *flow_edge;		/* by report_flow.index: its edge, or
					 * SIZE_MAX when not drawn */
	size_t *denial_edge;		/* by position in view->denied */
	struct report_strs notes;	/* what was collapsed, for people */
	char **owned;			/* strings to free */
	size_t nowned, capowned;
};

/*
 * Build the graph of v (which must outlive it) in mode. Returns 0 or
 * -ENOMEM; *out to free with report_graph_free.
 */
int report_graph_build(const struct report_view *v,
    enum report_graph_mode mode, struct report_graph **out);
void report_graph_free(struct report_graph *g);

/* Our colours: the fill and border of a node kind, the colour of an edge
 * of a verdict. Shared by the drawing and the page's legend. */
const char *report_gnode_fill(enum report_gnode_kind k);
const char *report_gnode_stroke(enum report_gnode_kind k);
const char *report_gnode_kind_name(enum report_gnode_kind k);
const char *report_gedge_color(enum report_verdict vd);
#define REPORT_COLOR_DENIED "#d32f2f"

/*
 * Lay g out with Graphviz (dot, left to right, splines around the
 * nodes) and write it to f as an inline <svg> element: id "topology",
 * nodes <g id="n1" class="node KIND">, edges <g id="e1" class="edge
 * VERDICT">, titles for people; no XML prolog, comments or external
 * references. 0, -EIO, -ENOMEM, or -EPROTO when Graphviz failed.
 */
int report_gv_svg(FILE *f, const struct report_graph *g);
/* The same graph as DOT (not laid out), for users who render it. */
int report_gv_dot(FILE *f, const struct report_graph *g);

/*
 * The topology section's body in the HTML report (report_topo.c): notes,
 * the drawing of g, its legend and the hidden details of each node and
 * edge. 0, -EIO, -ENOMEM, -EPROTO (Graphviz failed).
 */
int report_topo_write(FILE *f, const struct report_view *v,
    const struct report_graph *g);

/* The HTML report's style sheet and script (report_page.c). */
extern const char report_page_css[];
extern const char report_page_js[];

/* ---- renderers --------------------------------------------------------- */

struct report_render_opts {
	enum report_graph_mode graph;	/* for -o html and -o dot */
};

/* Write the report to f. 0, -EIO when writing failed, -ENOMEM. */
int report_render_json(FILE *f, const struct report_view *v,
    const struct report_render_opts *o);
int report_render_text(FILE *f, const struct report_view *v,
    const struct report_render_opts *o);
int report_render_markdown(FILE *f, const struct report_view *v,
    const struct report_render_opts *o);
int report_render_html(FILE *f, const struct report_view *v,
    const struct report_render_opts *o);
/* The topology graph alone, as DOT. */
int report_render_dot(FILE *f, const struct report_view *v,
    const struct report_render_opts *o);

/* Write s with &, <, >, " and ' escaped for HTML/SVG text and attributes
 * (report_esc.c). */
void report_html_esc(FILE *f, const char *s);

/* A peer as one line for people (see check_fmt_peer). Returns buf. */
char *report_peer_str(const struct report_peer *p, char *buf, size_t len);
/* A workload's names as "name (address, ...), ...", each string written
 * with put (which escapes for the renderer's format); nothing when there
 * are none (report_text.c). */
void report_names_write(FILE *f, const struct report_workload *w,
    void (*put)(FILE *f, const char *s));

/* "1d2h" style duration of seconds. */
char *report_duration(int64_t secs, char *buf, size_t len);

#endif
