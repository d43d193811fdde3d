/*
 * report_html: the report as one self-contained HTML file: our style and
 * script inline (report_page.c), the topology drawn by Graphviz
 * (report_topo.c), and the tables. Nothing is fetched from the network:
 * no fonts, scripts, styles or images from elsewhere.
 *
 * The rows of the tables carry what the page's filters select on
 * (data-ns, data-verdict, data-proto, data-peer) and the edge of the
 * drawing they belong to (data-edge), so that one set of filters applies
 * to the drawing and the tables together, and a click on an edge lists
 * its rows.
 */
#include "cli/report/report.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/gen/yamlout.h"
#include "lib/sort.h"

#define E(s) report_html_esc(f, (s))

/*
 * Text of a table cell: escaped, with a line-break opportunity after each
 * '/', '.', ':' and ',' so that long names (ns/Kind/name, DNS names, IPv6
 * addresses) wrap at their parts instead of widening the table.
 */
static void
ew(FILE *f, const char *s)
{
	char one[2] = "";

	for (; s != NULL && *s != '\0'; s++) {
		one[0] = *s;
		report_html_esc(f, one);
		if (strchr("/.:,", *s) != NULL && s[1] != '\0')
			fputs("<wbr>", f);
	}
}

static void
td(FILE *f, const char *s)
{
	fputs("<td>", f);
	if (s == NULL || s[0] == '\0')
		fputs("<span class=\"muted\">-</span>", f);
	else
		ew(f, s);
	fputs("</td>", f);
}

/* A time: the date and the time of day wrap apart, if at all. */
static void
td_time(FILE *f, const char *s)
{
	const char *t = s != NULL ? strchr(s, 'T') : NULL;
	char date[32];

	fputs("<td class=\"time\">", f);
	if (s == NULL || s[0] == '\0')
		fputs("<span class=\"muted\">-</span>", f);
	else if (t != NULL && t - s < (ptrdiff_t)sizeof(date)) {
		snprintf(date, sizeof(date), "%.*s", (int)(t - s), s);
		fputs("<span>", f);
		E(date);
		fputs("</span><wbr><span>", f);
		E(t);
		fputs("</span>", f);
	} else
		E(s);
	fputs("</td>", f);
}

static void
td_num(FILE *f, int64_t v)
{
	fprintf(f, "<td class=\"num\" data-v=\"%lld\">%lld</td>",
	    (long long)v, (long long)v);
}

static void
td_port(FILE *f, const char *protocol, int64_t port)
{
	fprintf(f, "<td data-v=\"%lld\">", (long long)port);
	E(protocol);
	if (port != 0)
		fprintf(f, "/%lld", (long long)port);
	fputs("</td>", f);
}

static void
td_verdict(FILE *f, enum report_verdict vd)
{
	const char *v = report_verdict_name(vd);

	fprintf(f, "<td class=\"v-%s\">", v);
	E(v);
	fputs("</td>", f);
}

static void
td_list(FILE *f, const struct report_strs *l, const char *sep)
{
	size_t i;

	fputs("<td>", f);
	if (l->n == 0)
		fputs("<span class=\"muted\">-</span>", f);
	for (i = 0; i < l->n; i++) {
		if (i > 0)
			fputs(sep, f);
		ew(f, l->v[i]);
	}
	fputs("</td>", f);
}

static void
card(FILE *f, long long n, const char *title, bool bad)
{
	fprintf(f, "<div class=\"card%s\"><div class=\"n\">%lld</div>"
	    "<div class=\"t\">", bad ? " bad" : "", n);
	E(title);
	fputs("</div></div>", f);
}

static void
head(FILE *f, const struct report_view *v)
{
	const char *ns = v->scope;
	char dur[64];
	size_t i;

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width\">"
	    "<meta http-equiv=\"Content-Security-Policy\" content=\""
	    "default-src 'none'; style-src 'unsafe-inline'; "
	    "script-src 'unsafe-inline'; img-src data:\">"
	    "<title>netpol-record report: ", f);
	E(ns[0] ? ns : "all namespaces");
	fprintf(f, "</title><style>%s</style></head><body>\n<header><h1>"
	    "Recorded network traffic: ", report_page_css);
	if (ns[0]) {
		fputs("namespace ", f);
		E(ns);
	} else
		fputs("all namespaces", f);
	fputs("</h1><div class=\"meta\">Window ", f);
	E(v->window.since);
	fputs(" .. ", f);
	E(v->window.until);
	fprintf(f, " (%s) &middot; recording started ", report_duration(
	    v->window.seconds, dur, sizeof(dur)));
	E(v->window.recording_started[0] ? v->window.recording_started :
	    "unknown");
	fputs(" &middot; generated ", f);
	E(v->generated_at);
	if (v->cluster != NULL) {
		fputs(" &middot; cluster <code>", f);
		E(v->cluster);
		fputs("</code>", f);
	} else {
		fputs(" &middot; stores", f);
		for (i = 0; i < v->stores.n; i++) {
			fputs(" <code>", f);
			E(v->stores.v[i]);
			fputs("</code>", f);
		}
	}
	fputs("</div></header>\n<main>\n<div class=\"cards\">", f);
	card(f, v->summary.workloads, "workloads", false);
	card(f, v->summary.namespaces, "namespaces", false);
	card(f, v->summary.flows, "flows", false);
	card(f, v->summary.addresses, "addresses", false);
	card(f, v->summary.unnamed, "resolve to nothing", false);
	card(f, v->events_lost, "events lost", v->events_lost > 0);
	if (v->has_adoption)
		card(f, v->adoption.now, "pods adopted", false);
	if (v->has_policies) {
		card(f, v->npolicies, "policies", false);
		card(f, v->summary.denied, "flows denied",
		    v->summary.denied > 0);
		card(f, v->summary.unresolved, "unresolved",
		    v->summary.unresolved > 0);
		card(f, v->summary.unselected, "not selected",
		    v->summary.unselected > 0);
	}
	fputs("</div>\n", f);
	for (i = 0; i < v->warnings.n; i++) {
		fputs("<div class=\"warn\">&#9888; ", f);
		E(v->warnings.v[i]);
		fputs("</div>\n", f);
	}
}

/* ---- what the filters select on ----------------------------------------- */

/* The peer types of the filter, in the order offered. */
static const char *const peer_facets[] = {
	"workload", "external", "internal", "node", "unknown",
};

static const char *
peer_facet(const struct report_peer *p)
{
	const char *c = report_class_name(p->class_);

	if (p->type == REPORT_PEER_WORKLOAD)
		return "workload";
	if (p->type == REPORT_PEER_NODE)
		return "node";
	return c[0] != '\0' ? c : "unknown";
}

/* The namespace of "ns/Kind/name" into buf. */
static const char *
id_ns(const char *id, char *buf, size_t len)
{
	const char *slash = strchr(id, '/');

	snprintf(buf, len, "%.*s", slash ? (int)(slash - id) :
	    (int)strlen(id), id);
	return buf;
}

/* The data-* attributes of a row about one flow (or denial). */
static void
facets(FILE *f, const char *ns, const struct report_peer *peer,
    enum report_verdict vd, const char *proto)
{
	fputs(" data-ns=\"", f);
	E(ns);
	if (peer->type == REPORT_PEER_WORKLOAD &&
	    strcmp(peer->namespace_, ns) != 0) {
		fputs(" ", f);
		E(peer->namespace_);
	}
	fputs("\"", f);
	if (vd != REPORT_VERDICT_NONE)
		fprintf(f, " data-verdict=\"%s\"", report_verdict_name(vd));
	fputs(" data-proto=\"", f);
	E(proto);
	fprintf(f, "\" data-peer=\"%s\"", peer_facet(peer));
}

static void
edge_attr(FILE *f, const struct report_graph *g, size_t e)
{
	if (e < g->nedges && !g->too_big)
		fprintf(f, " data-edge=\"%s\"", g->edges[e].id);
}

/* A set of strings (a json object's keys) into a sorted <select>. */
static int
keycmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
select_set(FILE *f, const char *facet, const char *label, json_object *set)
{
	const char **keys;
	size_t n = 0, i;

	if (set == NULL || json_object_object_length(set) < 2)
		return;
	keys = calloc((size_t)json_object_object_length(set), sizeof(*keys));
	if (keys == NULL)
		return;
	json_object_object_foreach(set, k, unused) {
		(void)unused;
		keys[n++] = k;
	}
	sort_n(keys, n, sizeof(*keys), keycmp);
	fprintf(f, "<label>%s<select class=\"facet\" data-facet=\"%s\">"
	    "<option value=\"\">all</option>", label, facet);
	for (i = 0; i < n; i++) {
		fputs("<option>", f);
		E(keys[i]);
		fputs("</option>", f);
	}
	fputs("</select></label>", f);
	free(keys);
}

static void
set_add(json_object *set, const char *s)
{
	if (set != NULL && s[0] != '\0' &&
	    !json_object_object_get_ex(set, s, NULL))
		json_object_object_add(set, s, NULL);
}

/* The filters (those with a choice to make) and the zoom buttons. */
static void
toolbar(FILE *f, const struct report_view *v, bool drawn)
{
	json_object *ns = json_object_new_object(),
	    *proto = json_object_new_object();
	bool peers[5] = { false }, verdicts[4] = { false };
	const struct report_workload *w;
	const struct report_flow *fl;
	size_t i, j, k, n;
	int d;

	for (i = 0; i < v->nnamespaces; i++)
		for (j = 0; j < v->namespaces[i].nworkloads; j++) {
			w = &v->namespaces[i].workloads[j];
			set_add(ns, w->namespace_);
			for (d = REPORT_INGRESS; d <= REPORT_EGRESS; d++)
				for (k = 0; k < w->nflows[d]; k++) {
					fl = &w->flows[d][k];
					set_add(ns, fl->peer.namespace_);
					set_add(proto, fl->protocol);
					verdicts[fl->verdict] = true;
					for (n = 0; n < 5; n++)
						if (strcmp(peer_facets[n],
						    peer_facet(&fl->peer)) == 0)
							peers[n] = true;
				}
		}
	fputs("<div class=\"toolbar\">", f);
	select_set(f, "ns", "Namespace", ns);
	for (n = 0, k = 0; n < 4; n++)
		k += verdicts[n] && n != REPORT_VERDICT_NONE;
	if (k > 1) {
		fputs("<label>Verdict<select class=\"facet\" "
		    "data-facet=\"verdict\"><option value=\"\">all</option>",
		    f);
		for (n = REPORT_VERDICT_ALLOWED; n <= REPORT_VERDICT_UNRESOLVED;
		    n++)
			if (verdicts[n])
				fprintf(f, "<option>%s</option>",
				    report_verdict_name(
				    (enum report_verdict)n));
		fputs("</select></label>", f);
	}
	select_set(f, "proto", "Protocol", proto);
	for (n = 0, k = 0; n < 5; n++)
		k += peers[n];
	if (k > 1) {
		fputs("<label>Peer<select class=\"facet\" data-facet=\"peer\">"
		    "<option value=\"\">all</option>", f);
		for (n = 0; n < 5; n++)
			if (peers[n])
				fprintf(f, "<option>%s</option>",
				    peer_facets[n]);
		fputs("</select></label>", f);
	}
	if (drawn)
		fputs("<div class=\"zoom\"><span>click a box or an arrow for "
		    "details; drag to move, Ctrl+wheel to zoom</span>"
		    "<button data-zoom=\"out\" aria-label=\"zoom out\">"
		    "&minus;</button><button data-zoom=\"in\" "
		    "aria-label=\"zoom in\">+</button><button "
		    "data-zoom=\"fit\">fit</button></div>", f);
	fputs("</div>\n", f);
	json_object_put(ns);
	json_object_put(proto);
}

static int
topology(FILE *f, const struct report_view *v, const struct report_graph *g)
{
	int rc;

	fputs("<section id=\"topo\"><h2>Topology</h2>\n", f);
	toolbar(f, v, g->nedges > 0 && !g->too_big);
	if ((rc = report_topo_write(f, v, g)) != 0)
		return rc;
	fputs("</section>\n", f);
	return ferror(f) ? -EIO : 0;
}

static void
peer_td(FILE *f, const struct report_peer *peer)
{
	const char *class = report_class_name(peer->class_);
	char buf[1024];

	fprintf(f, "<td data-v=\"\">");
	ew(f, report_peer_str(peer, buf, sizeof(buf)));
	if (class[0] != '\0') {
		fprintf(f, " <span class=\"tag %s\">", class);
		E(class);
		fputs("</span>", f);
	}
	fputs("</td>", f);
}

/* The rule export writes to allow a denial, as YAML to copy. */
static void
td_allow(FILE *f, const struct report_denial *d)
{
	json_object *doc;
	char *yaml = NULL;
	size_t len = 0;

	if (d->allow_spec == NULL) {
		fputs("<td><span class=\"muted\">export writes no rule for "
		    "it</span></td>", f);
		return;
	}
	if ((doc = json_object_new_object()) == NULL ||
	    json_object_object_add(doc, "spec",
	    json_object_get(d->allow_spec)) != 0 ||
	    yamlout_to_buf(&doc, 1, &yaml, &len) != 0) {
		json_object_put(doc);
		td(f, "");
		return;
	}
	json_object_put(doc);
	fputs("<td><details><summary>YAML</summary><div class=\"muted\">in "
	    "NetworkPolicy ", f);
	E(d->allow_policy);
	fputs(", as <code>export</code> writes it:</div><pre>", f);
	E(strncmp(yaml, "---\n", 4) == 0 ? yaml + 4 : yaml);
	fputs("</pre></details></td>", f);
	free(yaml);
}

static void
denied_table(FILE *f, const struct report_view *v,
    const struct report_graph *g)
{
	const struct report_denial *d;
	size_t i;

	fputs("<div class=\"scroll\"><table class=\"sortable facets\" "
	    "id=\"t-denied\"><thead><tr>"
	    "<th>Verdict</th><th>Workload</th><th>Direction</th>"
	    "<th>Peer</th><th>Port</th><th>Count</th><th>Last seen</th>"
	    "<th>Selected by</th><th>Notes</th><th>Rule to allow it</th>"
	    "</tr></thead><tbody>\n", f);
	for (i = 0; i < v->ndenied; i++) {
		d = &v->denied[i];
		fprintf(f, "<tr class=\"%s\"", d->verdict ==
		    REPORT_VERDICT_DENIED ? "denied" : "unresolved");
		facets(f, d->namespace_, &d->peer, d->verdict, d->protocol);
		edge_attr(f, g, g->denial_edge[i]);
		fputs(">", f);
		td_verdict(f, d->verdict);
		td(f, d->workload);
		td(f, report_dir_name(d->direction));
		peer_td(f, &d->peer);
		td_port(f, d->protocol, d->port);
		td_num(f, d->count);
		td_time(f, d->last_seen);
		td_list(f, &d->policies, ", ");
		td_list(f, &d->notes, "; ");
		td_allow(f, d);
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table></div>", f);
}

static void
findings(FILE *f, const struct report_view *v, const struct report_graph *g)
{
	const struct report_unselected *u;
	size_t i;

	fputs("<section id=\"denied\"><h2>Recorded flows the policies would "
	    "deny</h2>\n", f);
	if (v->ndenied == 0)
		fputs("<p>None: the policies allow every recorded flow.</p>", f);
	else
		denied_table(f, v, g);
	fputs("</section>\n<section id=\"unselected\"><h2>Workloads no policy "
	    "selects</h2>\n", f);
	if (v->nunselected == 0)
		fputs("<p>None.</p>", f);
	else {
		fputs("<div class=\"scroll\"><table class=\"sortable facets\">"
		    "<thead><tr><th>Workload</th>"
		    "<th>Open in</th></tr></thead><tbody>\n", f);
		for (i = 0; i < v->nunselected; i++) {
			u = &v->unselected[i];
			fputs("<tr data-ns=\"", f);
			E(u->namespace_);
			fputs("\">", f);
			td(f, u->workload);
			td(f, u->ingress && u->egress ? "ingress and egress" :
			    u->ingress ? "ingress" : "egress");
			fputs("</tr>\n", f);
		}
		fputs("</tbody></table></div>", f);
	}
	fputs("</section>\n", f);
}

/* Did any workload resolve a name that -o cilium would allow? */
static bool
has_names(const struct report_view *v)
{
	for (size_t i = 0; i < v->nnamespaces; i++)
		for (size_t j = 0; j < v->namespaces[i].nworkloads; j++)
			if (v->namespaces[i].workloads[j].nnames > 0)
				return true;
	return false;
}

static void
workloads(FILE *f, const struct report_view *v)
{
	const struct report_namespace *ns;
	const struct report_workload *w;
	bool names = has_names(v);
	char dur[64];
	size_t i, j;

	fputs("<section id=\"workloads\"><h2>Workloads and their observation "
	    "window</h2>\n<div class=\"scroll\"><table class=\"sortable "
	    "facets\"><thead><tr>"
	    "<th>Namespace</th><th>Kind</th><th>Name</th><th>Observed from</th>"
	    "<th>Observed to</th><th>Observed</th><th>Running before "
	    "recording</th><th>Ingress peers</th><th>Egress peers</th>", f);
	if (names)
		fputs("<th title=\"toFQDNs of -o cilium, domainNames of -o "
		    "clusternetworkpolicy\">Names allowed</th>", f);
	if (v->has_policies)
		fputs("<th>Ingress policies</th><th>Egress policies</th>", f);
	fputs("</tr></thead><tbody>\n", f);
	for (i = 0; i < v->nnamespaces; i++) {
		ns = &v->namespaces[i];
		for (j = 0; j < ns->nworkloads; j++) {
			w = &ns->workloads[j];
			fputs("<tr data-ns=\"", f);
			E(w->namespace_);
			fputs("\">", f);
			td(f, w->namespace_);
			td(f, w->kind);
			td(f, w->name);
			td_time(f, w->obs.observed_from);
			td_time(f, w->obs.observed_to);
			fprintf(f, "<td data-v=\"%lld\">%s</td>",
			    (long long)w->obs.observed_seconds,
			    report_duration(w->obs.observed_seconds, dur,
			    sizeof(dur)));
			td(f, w->obs.predates_recording ? "yes: earliest "
			    "connections may be missing" : "no");
			td_num(f, (int64_t)w->nflows[REPORT_INGRESS]);
			td_num(f, (int64_t)w->nflows[REPORT_EGRESS]);
			if (names) {
				fputs("<td>", f);
				report_names_write(f, w, report_html_esc);
				fputs("</td>", f);
			}
			if (v->has_policies) {
				td_list(f, &w->policies[REPORT_INGRESS], ", ");
				td_list(f, &w->policies[REPORT_EGRESS], ", ");
			}
			fputs("</tr>\n", f);
		}
	}
	fputs("</tbody></table></div></section>\n", f);
}

/* Did the recorder count bytes? Without accounting every flow has 0. */
static bool
has_bytes(const struct report_view *v)
{
	const struct report_workload *w;
	size_t i, j, k;
	int d;

	for (i = 0; i < v->nnamespaces; i++)
		for (j = 0; j < v->namespaces[i].nworkloads; j++) {
			w = &v->namespaces[i].workloads[j];
			for (d = REPORT_INGRESS; d <= REPORT_EGRESS; d++)
				for (k = 0; k < w->nflows[d]; k++)
					if (w->flows[d][k].bytes > 0)
						return true;
		}
	return false;
}

static void
flow_row(FILE *f, const struct report_flow *fl, const struct report_view *v,
    const struct report_graph *g, bool bytes)
{
	char buf[96];

	fprintf(f, "<tr class=\"%s\"", v->has_policies && fl->verdict !=
	    REPORT_VERDICT_ALLOWED ? report_verdict_name(fl->verdict) : "");
	facets(f, fl->subject->namespace_, &fl->peer, fl->verdict,
	    fl->protocol);
	edge_attr(f, g, g->flow_edge[fl->index]);
	fputs(">", f);
	if (v->has_policies)
		td_verdict(f, fl->verdict);
	td(f, fl->subject->id);
	td(f, report_dir_name(fl->direction));
	peer_td(f, &fl->peer);
	td_port(f, fl->protocol, fl->port);
	if (fl->has_service) {
		snprintf(buf, sizeof(buf), "%s:%lld", fl->service_address,
		    (long long)fl->service_port);
		td(f, buf);
	} else
		td(f, "");
	td(f, fl->dns_name);
	td_num(f, fl->count);
	if (bytes)
		td_num(f, fl->bytes);
	td_time(f, fl->first_seen);
	td_time(f, fl->last_seen);
	fputs("</tr>\n", f);
}

static void
flows(FILE *f, const struct report_view *v, const struct report_graph *g)
{
	const struct report_workload *w;
	bool bytes = has_bytes(v);
	size_t i, j, k;
	int d;

	fputs("<section id=\"flows\"><h2>Ingress and egress peers</h2>\n", f);
	if (!bytes && v->nflows > 0)
		fputs("<p class=\"note\">No flow has a byte count: the "
		    "recorder ran without accounting (<code>accounting: "
		    "true</code> in its configuration records bytes), so the "
		    "Bytes column is left out.</p>\n", f);
	fputs("<input class=\"filter\" data-table=\"t-flows\" "
	    "placeholder=\"filter rows\u2026\" aria-label=\"filter flows\">"
	    "<div class=\"scroll\"><table class=\"sortable facets\" "
	    "id=\"t-flows\"><thead><tr>", f);
	if (v->has_policies)
		fputs("<th>Verdict</th>", f);
	fputs("<th>Workload</th><th>Direction</th><th>Peer</th>"
	    "<th>Port</th><th>Service (before DNAT)</th><th>DNS name</th>"
	    "<th>Count</th>", f);
	if (bytes)
		fputs("<th>Bytes</th>", f);
	fputs("<th>First seen</th><th>Last seen</th></tr></thead><tbody>\n",
	    f);
	for (i = 0; i < v->nnamespaces; i++)
		for (j = 0; j < v->namespaces[i].nworkloads; j++) {
			w = &v->namespaces[i].workloads[j];
			for (d = REPORT_INGRESS; d <= REPORT_EGRESS; d++)
				for (k = 0; k < w->nflows[d]; k++)
					flow_row(f, &w->flows[d][k], v, g,
					    bytes);
		}
	fputs("</tbody></table></div></section>\n", f);
}

static void
address_facets(FILE *f, const struct report_address *a)
{
	char ns[256], prev[256] = "", proto[32];
	const char *slash;
	size_t i;

	fputs(" data-ns=\"", f);
	for (i = 0; i < a->workloads.n; i++) {
		id_ns(a->workloads.v[i], ns, sizeof(ns));
		if (strcmp(ns, prev) == 0)
			continue;
		fputs(prev[0] ? " " : "", f);
		E(ns);
		snprintf(prev, sizeof(prev), "%s", ns);
	}
	fputs("\" data-proto=\"", f);
	prev[0] = '\0';
	for (i = 0; i < a->ports.n; i++) {
		slash = strchr(a->ports.v[i], '/');
		snprintf(proto, sizeof(proto), "%.*s", slash ?
		    (int)(slash - a->ports.v[i]) : (int)strlen(a->ports.v[i]),
		    a->ports.v[i]);
		if (strcmp(proto, prev) == 0)
			continue;
		fputs(prev[0] ? " " : "", f);
		E(proto);
		snprintf(prev, sizeof(prev), "%s", proto);
	}
	fprintf(f, "\" data-peer=\"%s\"", a->type == REPORT_PEER_NODE ?
	    "node" : a->class_ != REPORT_CLASS_NONE ?
	    report_class_name(a->class_) : "unknown");
}

static void
addresses(FILE *f, const struct report_view *v)
{
	const struct report_address *a;
	const char *class;
	char buf[1200];
	size_t i;

	fputs("<section id=\"addresses\"><h2>Addresses that are not recorded "
	    "workloads</h2>\n", f);
	if (v->naddresses == 0) {
		fputs("<p>None.</p></section>\n", f);
		return;
	}
	fputs("<div class=\"scroll\"><table class=\"sortable facets\">"
	    "<thead><tr><th>Address</th>"
	    "<th>Class</th><th>DNS names</th><th>KnownServer</th><th>Ports</th>"
	    "<th>Workloads</th><th>Directions</th><th>Count</th>"
	    "<th>Last seen</th></tr></thead><tbody>\n", f);
	for (i = 0; i < v->naddresses; i++) {
		a = &v->addresses[i];
		class = report_class_name(a->class_);
		fputs("<tr", f);
		address_facets(f, a);
		fputs(">", f);
		td(f, a->address);
		fprintf(f, "<td><span class=\"tag %s\">", class);
		E(class);
		fputs("</span></td>", f);
		if (a->unnamed)
			fputs("<td><span class=\"muted\">resolves to nothing"
			    "</span></td>", f);
		else
			td_list(f, &a->dns_names, ", ");
		if (a->has_ks) {
			snprintf(buf, sizeof(buf), "%s (%s, %s from %s)",
			    a->ks.server, a->ks.name, a->ks.cidr,
			    a->ks.source);
			td(f, buf);
		} else
			td(f, "");
		td_list(f, &a->ports, ", ");
		td_list(f, &a->workloads, ", ");
		td_list(f, &a->directions, ", ");
		td_num(f, a->count);
		td_time(f, a->last_seen);
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table></div></section>\n", f);
}

static void
completeness(FILE *f, const struct report_view *v)
{
	size_t i;

	fputs("<section id=\"counters\"><h2>Recorder counters</h2>\n", f);
	if (v->ncounters == 0) {
		fputs("<p>No counters in the stores.</p></section>\n", f);
		return;
	}
	fputs("<div class=\"scroll\"><table class=\"sortable\">"
	    "<thead><tr><th>Counter</th>"
	    "<th>Value</th></tr></thead><tbody>\n", f);
	for (i = 0; i < v->ncounters; i++) {
		fputs("<tr>", f);
		td(f, v->counters[i].name);
		td_num(f, v->counters[i].value);
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table></div></section>\n", f);
}

int
report_render_html(FILE *f, const struct report_view *v,
    const struct report_render_opts *o)
{
	struct report_graph *g = NULL;
	int rc;

	if ((rc = report_graph_build(v, o->graph, &g)) != 0)
		return rc;
	head(f, v);
	if ((rc = topology(f, v, g)) != 0)
		goto out;
	if (v->has_policies)
		findings(f, v, g);
	workloads(f, v);
	flows(f, v, g);
	addresses(f, v);
	completeness(f, v);
	fprintf(f, "</main>\n<script>%s</script>\n</body></html>\n",
	    report_page_js);
	rc = ferror(f) ? -EIO : 0;
out:
	report_graph_free(g);
	return rc;
}
