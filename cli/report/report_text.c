/*
 * report_text: the report model for a terminal.
 */
#include "cli/report/report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define ARR_FOREACH(arr, i, el) \
	for ((i) = 0; (arr) != NULL && (i) < json_object_array_length(arr) && \
	    ((el) = json_object_array_get_idx((arr), (i))) != NULL; (i)++)

static const char *
or_dash(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : "-";
}

static void
header(FILE *f, json_object *m)
{
	json_object *win = report_get(m, "window");
	json_object *comp = report_get(m, "completeness");
	json_object *pol = report_get(m, "policies"), *a, *el;
	json_object *sum = report_get(m, "summary");
	const char *ns = report_str(report_get(m, "scope"), "namespace");
	char dur[64];
	size_t i;

	fprintf(f, "netpol-record report: %s%s\n", ns[0] ? "namespace " : "",
	    ns[0] ? ns : "all namespaces");
	fprintf(f, "window:      %s .. %s (%s)\n",
	    or_dash(report_str(win, "since")),
	    or_dash(report_str(win, "until")),
	    report_duration(report_int(win, "seconds"), dur, sizeof(dur)));
	fprintf(f, "recording:   started %s; %lld events lost\n",
	    or_dash(report_str(win, "recordingStarted")),
	    (long long)report_int(comp, "eventsLost"));
	a = report_get(m, "stores");
	fprintf(f, "stores:     ");
	ARR_FOREACH(a, i, el)
		fprintf(f, " %s", json_object_get_string(el));
	fprintf(f, "\n");
	if (pol != NULL && !json_object_is_type(pol, json_type_null)) {
		fprintf(f, "policies:    %lld from", (long long)report_int(pol,
		    "count"));
		a = report_get(pol, "paths");
		ARR_FOREACH(a, i, el)
			fprintf(f, " %s", json_object_get_string(el));
		fprintf(f, "\n");
	}
	fprintf(f, "summary:     %lld workload%s in %lld namespace%s, %lld "
	    "flows, %lld addresses (%lld resolve to nothing)",
	    (long long)report_int(sum, "workloads"),
	    report_int(sum, "workloads") == 1 ? "" : "s",
	    (long long)report_int(sum, "namespaces"),
	    report_int(sum, "namespaces") == 1 ? "" : "s",
	    (long long)report_int(sum, "flows"),
	    (long long)report_int(sum, "addresses"),
	    (long long)report_int(sum, "unnamedAddresses"));
	if (pol != NULL && !json_object_is_type(pol, json_type_null))
		fprintf(f, "; %lld denied, %lld unresolved, %lld workloads not "
		    "selected", (long long)report_int(sum, "denied"),
		    (long long)report_int(sum, "unresolved"),
		    (long long)report_int(sum, "unselected"));
	fprintf(f, "\n");
	a = report_get(m, "warnings");
	ARR_FOREACH(a, i, el)
		fprintf(f, "warning:     %s\n", json_object_get_string(el));
}

static void
flow_line(FILE *f, json_object *fl, bool ingress)
{
	json_object *svc = report_get(fl, "service");
	const char *verdict = report_str(fl, "verdict");
	char peer[1024], port[64], via[96] = "";

	snprintf(port, sizeof(port), "%s%s%lld", report_str(fl, "protocol"),
	    report_int(fl, "port") ? "/" : "",
	    (long long)report_int(fl, "port"));
	if (report_int(fl, "port") == 0)
		snprintf(port, sizeof(port), "%s", report_str(fl, "protocol"));
	if (svc != NULL && !json_object_is_type(svc, json_type_null))
		snprintf(via, sizeof(via), " via Service %s:%lld",
		    report_str(svc, "address"),
		    (long long)report_int(svc, "port"));
	fprintf(f, "    %s %-40s %-10s count %-7lld last %s%s%s%s\n",
	    ingress ? "from" : "to  ",
	    report_peer_str(report_get(fl, "peer"), peer, sizeof(peer)),
	    port, (long long)report_int(fl, "count"),
	    or_dash(report_str(fl, "lastSeen")), via,
	    verdict[0] && strcmp(verdict, "allowed") != 0 ? "  ** " : "",
	    verdict[0] && strcmp(verdict, "allowed") != 0 ? verdict : "");
}

static void
policies_line(FILE *f, json_object *w)
{
	json_object *pol = report_get(w, "policies"), *a, *el;
	static const char *const dirs[] = { "ingress", "egress" };
	size_t d, i;

	if (pol == NULL)
		return;
	for (d = 0; d < 2; d++) {
		a = report_get(pol, dirs[d]);
		fprintf(f, "  %s policies:%s", dirs[d],
		    json_object_array_length(a) == 0 ? " none (open)" : "");
		ARR_FOREACH(a, i, el)
			fprintf(f, "%s %s", i ? "," : "",
			    json_object_get_string(el));
		fprintf(f, "\n");
	}
}

static void
workload(FILE *f, json_object *w)
{
	json_object *obs = report_get(w, "observation"), *a, *el;
	char dur[64];
	size_t i;

	fprintf(f, "\n%s/%s%s\n", report_str(w, "kind"), report_str(w, "name"),
	    json_object_get_boolean(report_get(w, "hostNetwork")) ?
	    " (hostNetwork)" : "");
	fprintf(f, "  observed %s .. %s (%s); flows first %s, last %s%s\n",
	    or_dash(report_str(obs, "observedFrom")),
	    or_dash(report_str(obs, "observedTo")),
	    report_duration(report_int(obs, "observedSeconds"), dur,
	    sizeof(dur)), or_dash(report_str(obs, "firstSeen")),
	    or_dash(report_str(obs, "lastSeen")),
	    json_object_get_boolean(report_get(obs, "predatesRecording")) ?
	    "; already running when recording started" : "");
	policies_line(f, w);
	a = report_get(w, "ingress");
	fprintf(f, "  ingress:%s\n", json_object_array_length(a) ? "" :
	    " nothing recorded");
	ARR_FOREACH(a, i, el)
		flow_line(f, el, true);
	a = report_get(w, "egress");
	fprintf(f, "  egress:%s\n", json_object_array_length(a) ? "" :
	    " nothing recorded");
	ARR_FOREACH(a, i, el)
		flow_line(f, el, false);
}

static void
addresses(FILE *f, json_object *m)
{
	json_object *a = report_get(m, "addresses"), *el, *ks, *x;
	size_t i, j;

	fprintf(f, "\n== Addresses that are not recorded workloads ==\n");
	if (json_object_array_length(a) == 0)
		fprintf(f, "none\n");
	ARR_FOREACH(a, i, el) {
		fprintf(f, "%-39s %-8s", or_dash(report_str(el, "address")),
		    report_str(el, "class"));
		x = report_get(el, "dnsNames");
		ARR_FOREACH(x, j, ks)
			fprintf(f, " %s", json_object_get_string(ks));
		ks = report_get(el, "knownServer");
		if (ks != NULL && !json_object_is_type(ks, json_type_null))
			fprintf(f, " [KnownServer %s: %s %s in %s]",
			    report_str(ks, "source"), report_str(ks, "name"),
			    report_str(ks, "server"), report_str(ks, "cidr"));
		if (json_object_get_boolean(report_get(el, "unnamed")))
			fprintf(f, " (resolves to nothing)");
		fprintf(f, "\n   ports");
		x = report_get(el, "ports");
		ARR_FOREACH(x, j, ks)
			fprintf(f, " %s", json_object_get_string(ks));
		fprintf(f, "; %s", "by");
		x = report_get(el, "workloads");
		ARR_FOREACH(x, j, ks)
			fprintf(f, " %s", json_object_get_string(ks));
		fprintf(f, "; count %lld, last %s\n",
		    (long long)report_int(el, "count"),
		    or_dash(report_str(el, "lastSeen")));
	}
}

static void
findings(FILE *f, json_object *m)
{
	json_object *a, *el, *p, *x;
	char peer[1024];
	size_t i, j;

	if (json_object_is_type(report_get(m, "policies"), json_type_null) ||
	    report_get(m, "policies") == NULL)
		return;
	fprintf(f, "\n== Workloads no policy selects ==\n");
	a = report_get(m, "unselected");
	if (json_object_array_length(a) == 0)
		fprintf(f, "none\n");
	ARR_FOREACH(a, i, el)
		fprintf(f, "%s: %s%s%s open\n", report_str(el, "workload"),
		    json_object_get_boolean(report_get(el, "ingress")) ?
		    "ingress" : "",
		    json_object_get_boolean(report_get(el, "ingress")) &&
		    json_object_get_boolean(report_get(el, "egress")) ?
		    " and " : "",
		    json_object_get_boolean(report_get(el, "egress")) ?
		    "egress" : "");
	fprintf(f, "\n== Recorded flows the policies would deny ==\n");
	a = report_get(m, "denied");
	if (json_object_array_length(a) == 0)
		fprintf(f, "none\n");
	ARR_FOREACH(a, i, el) {
		bool in = strcmp(report_str(el, "direction"), "ingress") == 0;

		fprintf(f, "%-10s %s %s %s %s %s/%lld  last seen %s  count "
		    "%lld\n", strcmp(report_str(el, "verdict"), "denied") == 0 ?
		    "DENIED" : "UNRESOLVED", report_str(el, "workload"),
		    report_str(el, "direction"), in ? "from" : "to",
		    report_peer_str(report_get(el, "peer"), peer, sizeof(peer)),
		    report_str(el, "protocol"),
		    (long long)report_int(el, "port"),
		    or_dash(report_str(el, "lastSeen")),
		    (long long)report_int(el, "count"));
		fprintf(f, "           %s policies selecting it:",
		    report_str(el, "direction"));
		p = report_get(el, "policies");
		ARR_FOREACH(p, j, x)
			fprintf(f, "%s %s", j ? "," : "",
			    json_object_get_string(x));
		fprintf(f, "\n");
		p = report_get(el, "notes");
		ARR_FOREACH(p, j, x)
			fprintf(f, "           note: %s\n",
			    json_object_get_string(x));
	}
}

int
report_render_text(FILE *f, json_object *m)
{
	json_object *nss = report_get(m, "namespaces"), *ns, *wls, *w;
	size_t i, j;

	header(f, m);
	ARR_FOREACH(nss, i, ns) {
		fprintf(f, "\n== Namespace %s ==\n", report_str(ns, "name"));
		wls = report_get(ns, "workloads");
		ARR_FOREACH(wls, j, w)
			workload(f, w);
	}
	addresses(f, m);
	findings(f, m);
	return ferror(f) ? -EIO : 0;
}

int
report_render_json(FILE *f, json_object *m)
{
	fprintf(f, "%s\n", json_object_to_json_string_ext(m,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	return ferror(f) ? -EIO : 0;
}
