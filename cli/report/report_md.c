/*
 * report_md: the report model as GitHub-flavoured markdown, for tickets.
 */
#include "cli/report/report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define ARR_FOREACH(arr, i, el) \
	for ((i) = 0; (arr) != NULL && (i) < json_object_array_length(arr) && \
	    ((el) = json_object_array_get_idx((arr), (i))) != NULL; (i)++)

/* A table cell: pipes, backslashes, newlines and markup characters made
 * harmless. */
static void
cell(FILE *f, const char *s)
{
	if (s == NULL || s[0] == '\0') {
		fputs("-", f);
		return;
	}
	for (; *s != '\0'; s++) {
		if (*s == '\n' || *s == '\r')
			fputc(' ', f);
		else if (strchr("|\\`*_<>[]", *s) != NULL)
			fprintf(f, "\\%c", *s);
		else
			fputc(*s, f);
	}
}

static bool
present(json_object *o)
{
	return o != NULL && !json_object_is_type(o, json_type_null);
}

static void
header(FILE *f, json_object *m)
{
	json_object *win = report_get(m, "window");
	json_object *sum = report_get(m, "summary");
	json_object *pol = report_get(m, "policies"), *a, *el;
	const char *ns = report_str(report_get(m, "scope"), "namespace");
	char dur[64];
	size_t i;

	fprintf(f, "# Network traffic report: ");
	if (ns[0] != '\0') {
		fprintf(f, "namespace ");
		cell(f, ns);
	} else
		fprintf(f, "all namespaces");
	fprintf(f, "\n\n| | |\n|---|---|\n| Window | ");
	cell(f, report_str(win, "since"));
	fprintf(f, " .. ");
	cell(f, report_str(win, "until"));
	fprintf(f, " (%s) |\n| Recording started | ", report_duration(
	    report_int(win, "seconds"), dur, sizeof(dur)));
	cell(f, report_str(win, "recordingStarted"));
	fprintf(f, " |\n| Events lost | %lld |\n",
	    (long long)report_int(report_get(m, "completeness"),
	    "eventsLost"));
	fprintf(f, "| Workloads | %lld in %lld namespaces |\n",
	    (long long)report_int(sum, "workloads"),
	    (long long)report_int(sum, "namespaces"));
	fprintf(f, "| Flows | %lld |\n| Addresses | %lld (%lld resolve to "
	    "nothing) |\n", (long long)report_int(sum, "flows"),
	    (long long)report_int(sum, "addresses"),
	    (long long)report_int(sum, "unnamedAddresses"));
	if (present(pol))
		fprintf(f, "| Policies | %lld: %lld flows denied, %lld "
		    "unresolved, %lld workloads not selected |\n",
		    (long long)report_int(pol, "count"),
		    (long long)report_int(sum, "denied"),
		    (long long)report_int(sum, "unresolved"),
		    (long long)report_int(sum, "unselected"));
	a = report_get(m, "warnings");
	if (json_object_array_length(a) > 0)
		fprintf(f, "\n");
	ARR_FOREACH(a, i, el) {
		fprintf(f, "> **Warning:** ");
		cell(f, json_object_get_string(el));
		fprintf(f, "\n>\n");
	}
}

static void
port_cell(FILE *f, json_object *o)
{
	if (report_int(o, "port") != 0)
		fprintf(f, "%s/%lld", report_str(o, "protocol"),
		    (long long)report_int(o, "port"));
	else
		fprintf(f, "%s", report_str(o, "protocol"));
}

static void
flows_table(FILE *f, json_object *w, bool policies)
{
	static const char *const dirs[] = { "ingress", "egress" };
	json_object *a, *el, *svc;
	char peer[1024];
	size_t d, i;

	fprintf(f, "| Direction | Peer | Port | Service | Count | Last seen |%s\n"
	    "|---|---|---|---|---:|---|%s\n", policies ? " Verdict |" : "",
	    policies ? "---|" : "");
	for (d = 0; d < 2; d++) {
		a = report_get(w, dirs[d]);
		ARR_FOREACH(a, i, el) {
			fprintf(f, "| %s | ", dirs[d]);
			cell(f, report_peer_str(report_get(el, "peer"), peer,
			    sizeof(peer)));
			fprintf(f, " | ");
			port_cell(f, el);
			fprintf(f, " | ");
			svc = report_get(el, "service");
			if (present(svc)) {
				cell(f, report_str(svc, "address"));
				fprintf(f, ":%lld", (long long)report_int(svc,
				    "port"));
			} else
				fprintf(f, "-");
			fprintf(f, " | %lld | ", (long long)report_int(el,
			    "count"));
			cell(f, report_str(el, "lastSeen"));
			if (policies) {
				const char *v = report_str(el, "verdict");

				fprintf(f, strcmp(v, "allowed") == 0 ?
				    " | %s" : " | **%s**", v);
			}
			fprintf(f, " |\n");
		}
	}
}

static void
workloads(FILE *f, json_object *m, bool policies)
{
	json_object *nss = report_get(m, "namespaces"), *ns, *wls, *w, *obs;
	char dur[64];
	size_t i, j;

	ARR_FOREACH(nss, i, ns) {
		fprintf(f, "\n## Namespace ");
		cell(f, report_str(ns, "name"));
		fprintf(f, "\n");
		wls = report_get(ns, "workloads");
		ARR_FOREACH(wls, j, w) {
			obs = report_get(w, "observation");
			fprintf(f, "\n### ");
			cell(f, report_str(w, "kind"));
			fprintf(f, "/");
			cell(f, report_str(w, "name"));
			fprintf(f, "\n\nObserved ");
			cell(f, report_str(obs, "observedFrom"));
			fprintf(f, " .. ");
			cell(f, report_str(obs, "observedTo"));
			fprintf(f, " (%s)%s%s.\n\n", report_duration(
			    report_int(obs, "observedSeconds"), dur,
			    sizeof(dur)), json_object_get_boolean(report_get(
			    obs, "predatesRecording")) ? "; already running "
			    "when recording started" : "",
			    json_object_get_boolean(report_get(w,
			    "hostNetwork")) ? "; hostNetwork" : "");
			if (json_object_array_length(report_get(w,
			    "ingress")) + json_object_array_length(
			    report_get(w, "egress")) == 0)
				fprintf(f, "No traffic recorded.\n");
			else
				flows_table(f, w, policies);
		}
	}
}

static void
addresses(FILE *f, json_object *m)
{
	json_object *a = report_get(m, "addresses"), *el, *x, *ks;
	size_t i, j;

	fprintf(f, "\n## Addresses that are not recorded workloads\n\n");
	if (json_object_array_length(a) == 0) {
		fprintf(f, "None.\n");
		return;
	}
	fprintf(f, "| Address | Class | DNS names | KnownServer | Ports | "
	    "Workloads | Count | Last seen |\n"
	    "|---|---|---|---|---|---|---:|---|\n");
	ARR_FOREACH(a, i, el) {
		fprintf(f, "| ");
		cell(f, report_str(el, "address"));
		fprintf(f, " | %s | ", report_str(el, "class"));
		x = report_get(el, "dnsNames");
		if (json_object_get_boolean(report_get(el, "unnamed")))
			fprintf(f, "*resolves to nothing*");
		ARR_FOREACH(x, j, ks) {
			fprintf(f, "%s", j ? ", " : "");
			cell(f, json_object_get_string(ks));
		}
		fprintf(f, " | ");
		ks = report_get(el, "knownServer");
		if (present(ks)) {
			cell(f, report_str(ks, "server"));
			fprintf(f, " (");
			cell(f, report_str(ks, "name"));
			fprintf(f, ", ");
			cell(f, report_str(ks, "cidr"));
			fprintf(f, ")");
		} else
			fprintf(f, "-");
		fprintf(f, " | ");
		x = report_get(el, "ports");
		ARR_FOREACH(x, j, ks)
			fprintf(f, "%s%s", j ? ", " : "",
			    json_object_get_string(ks));
		fprintf(f, " | ");
		x = report_get(el, "workloads");
		ARR_FOREACH(x, j, ks) {
			fprintf(f, "%s", j ? ", " : "");
			cell(f, json_object_get_string(ks));
		}
		fprintf(f, " | %lld | ", (long long)report_int(el, "count"));
		cell(f, report_str(el, "lastSeen"));
		fprintf(f, " |\n");
	}
}

static void
findings(FILE *f, json_object *m)
{
	json_object *a, *el, *x, *p;
	char peer[1024];
	size_t i, j;

	fprintf(f, "\n## Workloads no policy selects\n\n");
	a = report_get(m, "unselected");
	if (json_object_array_length(a) == 0)
		fprintf(f, "None.\n");
	ARR_FOREACH(a, i, el) {
		fprintf(f, "- ");
		cell(f, report_str(el, "workload"));
		fprintf(f, ": open in %s%s%s\n",
		    json_object_get_boolean(report_get(el, "ingress")) ?
		    "ingress" : "",
		    json_object_get_boolean(report_get(el, "ingress")) &&
		    json_object_get_boolean(report_get(el, "egress")) ?
		    " and " : "",
		    json_object_get_boolean(report_get(el, "egress")) ?
		    "egress" : "");
	}
	fprintf(f, "\n## Recorded flows the policies would deny\n\n");
	a = report_get(m, "denied");
	if (json_object_array_length(a) == 0) {
		fprintf(f, "None.\n");
		return;
	}
	fprintf(f, "| Verdict | Workload | Direction | Peer | Port | Count | "
	    "Last seen | Selected by | Notes |\n"
	    "|---|---|---|---|---|---:|---|---|---|\n");
	ARR_FOREACH(a, i, el) {
		fprintf(f, "| **%s** | ", report_str(el, "verdict"));
		cell(f, report_str(el, "workload"));
		fprintf(f, " | %s | ", report_str(el, "direction"));
		cell(f, report_peer_str(report_get(el, "peer"), peer,
		    sizeof(peer)));
		fprintf(f, " | ");
		port_cell(f, el);
		fprintf(f, " | %lld | ", (long long)report_int(el, "count"));
		cell(f, report_str(el, "lastSeen"));
		fprintf(f, " | ");
		p = report_get(el, "policies");
		ARR_FOREACH(p, j, x) {
			fprintf(f, "%s", j ? ", " : "");
			cell(f, json_object_get_string(x));
		}
		fprintf(f, " | ");
		p = report_get(el, "notes");
		ARR_FOREACH(p, j, x) {
			fprintf(f, "%s", j ? "; " : "");
			cell(f, json_object_get_string(x));
		}
		fprintf(f, " |\n");
	}
}

int
report_render_markdown(FILE *f, json_object *m)
{
	bool policies = present(report_get(m, "policies"));

	header(f, m);
	workloads(f, m, policies);
	addresses(f, m);
	if (policies)
		findings(f, m);
	return ferror(f) ? -EIO : 0;
}
