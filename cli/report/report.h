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
	REPORT_CLASS_NONE,		/* the model gives none (a workload) */
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
	enum report_dir direction;	/* of the workload whose policies deny */
	struct report_peer peer;
	char protocol[16];
	int64_t port;
	enum report_verdict verdict;
	int64_t count;
	const char *first_seen, *last_seen, *dns_name;
	struct report_strs policies, notes;
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
	struct {
		const char *since, *until, *recording_started;
		int64_t seconds;
	} window;
	int64_t events_lost;
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

/* ---- renderers --------------------------------------------------------- */

/* Write the report to f. 0, -EIO when writing failed, -ENOMEM. */
int report_render_json(FILE *f, const struct report_view *v);
int report_render_text(FILE *f, const struct report_view *v);
int report_render_markdown(FILE *f, const struct report_view *v);
int report_render_html(FILE *f, const struct report_view *v);

/*
 * The topology drawing of the model as an inline <svg> element
 * (report_svg.c): workloads in a box per namespace, clients left of
 * servers, the addresses that reach them on the left, the addresses they
 * reach on the right; an
 * arrow per (source, destination) pair, red when a flow of it would be
 * denied. Laid out here, no external tool. 0, -EIO, or -ENOMEM (then
 * nothing was written).
 */
int report_svg(FILE *f, json_object *model);
/* Write s with &, <, >, " and ' escaped for HTML/SVG text and attributes. */
void report_html_esc(FILE *f, const char *s);

/* A peer as one line for people (see check_fmt_peer). Returns buf. */
char *report_peer_str(const struct report_peer *p, char *buf, size_t len);

/* Helpers for the renderers still reading the JSON: a member of an object
 * or NULL; its string ("" when absent); its integer (0 when absent); a
 * peer object as one line. */
json_object *report_get(json_object *o, const char *key);
const char *report_str(json_object *o, const char *key);
int64_t report_int(json_object *o, const char *key);
char *report_json_peer_str(json_object *peer, char *buf, size_t len);
/* "1d2h" style duration of seconds. */
char *report_duration(int64_t secs, char *buf, size_t len);

#endif
