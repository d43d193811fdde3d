/*
 * report: the audit report of `netpol-record report`.
 *
 * report_build() turns what was loaded (flows, workloads, counters, known
 * servers, and optionally the policies with their check results) into one
 * JSON model, the one `-o json` prints and cli/REPORT.md documents. The
 * text, markdown and HTML renderers (report_text.c, report_md.c,
 * report_html.c) read only that model, so each can be tested from a JSON
 * fixture and all of them say the same things.
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

/* Renderers: write the model to f. 0, -EIO when writing failed, -ENOMEM. */
int report_render_json(FILE *f, json_object *model);
int report_render_text(FILE *f, json_object *model);
int report_render_markdown(FILE *f, json_object *model);
int report_render_html(FILE *f, json_object *model);

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

/* Helpers for the renderers (report.c): a member of an object or NULL;
 * its string ("" when absent); its integer (0 when absent). */
json_object *report_get(json_object *o, const char *key);
const char *report_str(json_object *o, const char *key);
int64_t report_int(json_object *o, const char *key);
/* A peer object as one line for people (see check_fmt_peer). */
char *report_peer_str(json_object *peer, char *buf, size_t len);
/* "1d2h" style duration of seconds. */
char *report_duration(int64_t secs, char *buf, size_t len);

#endif
