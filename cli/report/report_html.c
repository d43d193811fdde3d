/*
 * report_html: the report as one self-contained HTML file: inline
 * CSS, the inline SVG topology (report_svg.c), sortable and filterable
 * tables with a few lines of inline JavaScript. Nothing is fetched from
 * the network: no fonts, scripts, styles or images from elsewhere.
 */
#include "cli/report/report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define E(s) report_html_esc(f, (s))

static const char css[] =
"*{box-sizing:border-box}"
"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
"margin:0;color:#202124;background:#f8f9fa}"
"header{background:#202124;color:#fff;padding:18px 28px}"
"header h1{margin:0 0 4px;font-size:20px;font-weight:600}"
"header .meta{color:#bdc1c6;font-size:13px}"
"main{padding:20px 28px 40px}"
"section{background:#fff;border:1px solid #dadce0;border-radius:8px;"
"padding:16px 20px;margin:0 0 20px}"
"h2{font-size:16px;margin:0 0 12px}"
".cards{display:flex;flex-wrap:wrap;gap:12px;margin:0 0 20px}"
".card{background:#fff;border:1px solid #dadce0;border-radius:8px;"
"padding:10px 16px;min-width:130px}"
".card .n{font-size:24px;font-weight:600}"
".card .t{color:#5f6368;font-size:12px;text-transform:uppercase;"
"letter-spacing:.04em}"
".card.bad{border-color:#d32f2f;background:#fdecea}"
".card.bad .n{color:#d32f2f}"
".warn{background:#fef7e0;border:1px solid #f9ab00;border-radius:6px;"
"padding:8px 12px;margin:0 0 8px}"
".scroll{overflow:auto;max-height:80vh}"
"#topology{display:block}"
"#topology .col{fill:#f8f9fa;stroke:#e0e3e7}"
"#topology .col.ns{fill:#f1f5fe;stroke:#c6dafc}"
"#topology .coltitle{font-size:12px;font-weight:600;fill:#3c4043}"
"#topology .l1{font-size:12.5px;font-weight:600;fill:#202124}"
"#topology .l2{font-size:10.5px;fill:#5f6368}"
"#topology .elabel{font-size:10px;fill:#5f6368;paint-order:stroke;"
"stroke:#fff;stroke-width:3px}"
"#topology .elabel.denied{fill:#d32f2f;font-weight:600}"
"#topology .edge{opacity:.85}"
"#topology.focus .edge{opacity:.12}"
"#topology.focus .edge.on{opacity:1}"
"#topology .node{cursor:pointer}"
".legend{display:flex;flex-wrap:wrap;gap:16px;font-size:12px;"
"color:#5f6368;margin:8px 0 0}"
".legend i{display:inline-block;width:22px;height:0;border-top:3px solid;"
"vertical-align:middle;margin-right:6px}"
".legend b{display:inline-block;width:14px;height:12px;border:1.5px solid;"
"border-radius:3px;vertical-align:middle;margin-right:6px}"
"table{border-collapse:collapse;width:100%;font-size:13px}"
"th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eceff1;"
"vertical-align:top}"
"th{background:#f1f3f4;position:sticky;top:0;cursor:pointer;"
"user-select:none;white-space:nowrap}"
"th[aria-sort=ascending]::after{content:' \\25B2';font-size:10px}"
"th[aria-sort=descending]::after{content:' \\25BC';font-size:10px}"
"td.num{text-align:right;font-variant-numeric:tabular-nums}"
"td.time{white-space:nowrap;font-variant-numeric:tabular-nums}"
"tr.denied td{background:#fdecea}"
"tr.unresolved td{background:#fef7e0}"
".v-denied{color:#d32f2f;font-weight:600}"
".v-unresolved{color:#b06000;font-weight:600}"
".v-allowed{color:#188038}"
".tag{display:inline-block;padding:0 6px;border-radius:9px;font-size:11px;"
"background:#e8eaed;color:#3c4043;margin-right:4px}"
".tag.external{background:#fef7e0;color:#b06000}"
".tag.internal{background:#e6f4ea;color:#137333}"
".tag.node{background:#eceff1;color:#37474f}"
".tag.unknown{background:#f3e8fd;color:#7627bb}"
".muted{color:#80868b}"
"input.filter{margin:0 0 8px;padding:5px 8px;width:320px;max-width:100%;"
"border:1px solid #dadce0;border-radius:6px}"
"code{font-size:12px}";

/* Sort on header click (numbers by data-v), filter rows by text. */
static const char js[] =
"(function(){"
"function key(td){var v=td.getAttribute('data-v');"
"if(v!==null&&v!==''&&!isNaN(v))return Number(v);"
"return td.textContent.trim().toLowerCase();}"
"document.querySelectorAll('table.sortable').forEach(function(t){"
"t.querySelectorAll('th').forEach(function(th,i){"
"th.addEventListener('click',function(){"
"var asc=th.getAttribute('aria-sort')!=='ascending';"
"t.querySelectorAll('th').forEach(function(h){h.removeAttribute('aria-sort');});"
"th.setAttribute('aria-sort',asc?'ascending':'descending');"
"var b=t.tBodies[0],rows=Array.prototype.slice.call(b.rows);"
"rows.sort(function(a,c){var x=key(a.cells[i]),y=key(c.cells[i]);"
"var r=(typeof x==='number'&&typeof y==='number')?x-y:"
"String(x).localeCompare(String(y));return asc?r:-r;});"
"rows.forEach(function(r){b.appendChild(r);});});});});"
"document.querySelectorAll('input.filter').forEach(function(inp){"
"var t=document.getElementById(inp.getAttribute('data-table'));"
"inp.addEventListener('input',function(){var q=inp.value.toLowerCase();"
"Array.prototype.forEach.call(t.tBodies[0].rows,function(r){"
"r.style.display=r.textContent.toLowerCase().indexOf(q)>=0?'':'none';});});});"
"var svg=document.getElementById('topology');"
"if(svg){svg.querySelectorAll('.node').forEach(function(n){"
"n.addEventListener('mouseenter',function(){var id=n.getAttribute('data-id');"
"svg.classList.add('focus');svg.querySelectorAll('.edge').forEach(function(e){"
"if(e.getAttribute('data-src')===id||e.getAttribute('data-dst')===id)"
"e.classList.add('on');});});"
"n.addEventListener('mouseleave',function(){svg.classList.remove('focus');"
"svg.querySelectorAll('.edge.on').forEach(function(e){e.classList.remove('on');});});"
"});}"
"})();";

static void
td(FILE *f, const char *s)
{
	fputs("<td>", f);
	if (s == NULL || s[0] == '\0')
		fputs("<span class=\"muted\">-</span>", f);
	else
		E(s);
	fputs("</td>", f);
}

/* A time: kept on one line. */
static void
td_time(FILE *f, const char *s)
{
	fputs("<td class=\"time\">", f);
	if (s == NULL || s[0] == '\0')
		fputs("<span class=\"muted\">-</span>", f);
	else
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
		E(l->v[i]);
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
	    "Recorded network traffic: ", css);
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
	fputs(" &middot; stores", f);
	for (i = 0; i < v->stores.n; i++) {
		fputs(" <code>", f);
		E(v->stores.v[i]);
		fputs("</code>", f);
	}
	fputs("</div></header>\n<main>\n<div class=\"cards\">", f);
	card(f, v->summary.workloads, "workloads", false);
	card(f, v->summary.namespaces, "namespaces", false);
	card(f, v->summary.flows, "flows", false);
	card(f, v->summary.addresses, "addresses", false);
	card(f, v->summary.unnamed, "resolve to nothing", false);
	card(f, v->events_lost, "events lost", v->events_lost > 0);
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

static int
topology(FILE *f, const struct report_view *v)
{
	int rc;

	fputs("<section><h2>Topology</h2><div class=\"scroll\">\n", f);
	if ((rc = report_svg(f, v->model)) != 0)
		return rc;
	fputs("</div><div class=\"legend\">"
	    "<span><b style=\"border-color:#1a73e8;background:#e8f0fe\"></b>"
	    "workload</span>"
	    "<span><b style=\"border-color:#5f6368;background:#f1f3f4\"></b>"
	    "workload outside the scope</span>"
	    "<span><b style=\"border-color:#e37400;background:#fef7e0\"></b>"
	    "external</span>"
	    "<span><b style=\"border-color:#188038;background:#e6f4ea\"></b>"
	    "internal</span>"
	    "<span><b style=\"border-color:#455a64;background:#eceff1\"></b>"
	    "node</span>"
	    "<span><b style=\"border-color:#9334e6;background:#f3e8fd\"></b>"
	    "unknown</span>", f);
	if (v->has_policies)
		fputs("<span><i style=\"border-color:#80868b\"></i>allowed</span>"
		    "<span><i style=\"border-color:#d32f2f\"></i>denied by the "
		    "policies</span><span><i style=\"border-color:#e37400;"
		    "border-top-style:dashed\"></i>unresolved</span>"
		    "<span><b style=\"border-color:#1a73e8;border-style:dashed;"
		    "background:#e8f0fe\"></b>no policy selects it (ingress or "
		    "egress)</span>", f);
	fputs("<span>arrow: client &rarr; server; width: connections; hover "
	    "a box to follow its arrows</span></div></section>\n", f);
	return 0;
}

static void
peer_td(FILE *f, const struct report_peer *peer)
{
	const char *class = report_class_name(peer->class_);
	char buf[1024];

	fprintf(f, "<td data-v=\"\">");
	E(report_peer_str(peer, buf, sizeof(buf)));
	if (class[0] != '\0') {
		fprintf(f, " <span class=\"tag %s\">", class);
		E(class);
		fputs("</span>", f);
	}
	fputs("</td>", f);
}

static void
findings(FILE *f, const struct report_view *v)
{
	const struct report_denial *d;
	const struct report_unselected *u;
	size_t i;

	fputs("<section id=\"denied\"><h2>Recorded flows the policies would "
	    "deny</h2>\n", f);
	if (v->ndenied == 0)
		fputs("<p>None: the policies allow every recorded flow.</p>", f);
	else {
		fputs("<div class=\"scroll\"><table class=\"sortable\" "
		    "id=\"t-denied\"><thead><tr>"
		    "<th>Verdict</th><th>Workload</th><th>Direction</th>"
		    "<th>Peer</th><th>Port</th><th>Count</th><th>Last seen</th>"
		    "<th>Selected by</th><th>Notes</th></tr></thead><tbody>\n",
		    f);
		for (i = 0; i < v->ndenied; i++) {
			d = &v->denied[i];
			fprintf(f, "<tr class=\"%s\">", d->verdict ==
			    REPORT_VERDICT_DENIED ? "denied" : "unresolved");
			td_verdict(f, d->verdict);
			td(f, d->workload);
			td(f, report_dir_name(d->direction));
			peer_td(f, &d->peer);
			td_port(f, d->protocol, d->port);
			td_num(f, d->count);
			td_time(f, d->last_seen);
			td_list(f, &d->policies, ", ");
			td_list(f, &d->notes, "; ");
			fputs("</tr>\n", f);
		}
		fputs("</tbody></table></div>", f);
	}
	fputs("</section>\n<section id=\"unselected\"><h2>Workloads no policy "
	    "selects</h2>\n", f);
	if (v->nunselected == 0)
		fputs("<p>None.</p>", f);
	else {
		fputs("<div class=\"scroll\"><table class=\"sortable\">"
		    "<thead><tr><th>Workload</th>"
		    "<th>Open in</th></tr></thead><tbody>\n", f);
		for (i = 0; i < v->nunselected; i++) {
			u = &v->unselected[i];
			fputs("<tr>", f);
			td(f, u->workload);
			td(f, u->ingress && u->egress ? "ingress and egress" :
			    u->ingress ? "ingress" : "egress");
			fputs("</tr>\n", f);
		}
		fputs("</tbody></table></div>", f);
	}
	fputs("</section>\n", f);
}

static void
workloads(FILE *f, const struct report_view *v)
{
	const struct report_namespace *ns;
	const struct report_workload *w;
	char dur[64];
	size_t i, j;

	fputs("<section id=\"workloads\"><h2>Workloads and their observation "
	    "window</h2>\n<div class=\"scroll\"><table class=\"sortable\">"
	    "<thead><tr>"
	    "<th>Namespace</th><th>Kind</th><th>Name</th><th>Observed from</th>"
	    "<th>Observed to</th><th>Observed</th><th>Running before "
	    "recording</th><th>Ingress peers</th><th>Egress peers</th>", f);
	if (v->has_policies)
		fputs("<th>Ingress policies</th><th>Egress policies</th>", f);
	fputs("</tr></thead><tbody>\n", f);
	for (i = 0; i < v->nnamespaces; i++) {
		ns = &v->namespaces[i];
		for (j = 0; j < ns->nworkloads; j++) {
			w = &ns->workloads[j];
			fputs("<tr>", f);
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
			if (v->has_policies) {
				td_list(f, &w->policies[REPORT_INGRESS], ", ");
				td_list(f, &w->policies[REPORT_EGRESS], ", ");
			}
			fputs("</tr>\n", f);
		}
	}
	fputs("</tbody></table></div></section>\n", f);
}

static void
flow_row(FILE *f, const struct report_flow *fl, bool pol)
{
	char buf[96];

	fprintf(f, "<tr class=\"%s\">", pol && fl->verdict !=
	    REPORT_VERDICT_ALLOWED ? report_verdict_name(fl->verdict) : "");
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
	td_num(f, fl->bytes);
	td_time(f, fl->first_seen);
	td_time(f, fl->last_seen);
	if (pol)
		td_verdict(f, fl->verdict);
	fputs("</tr>\n", f);
}

static void
flows(FILE *f, const struct report_view *v)
{
	const struct report_workload *w;
	size_t i, j, k;
	int d;

	fputs("<section id=\"flows\"><h2>Ingress and egress peers</h2>\n"
	    "<input class=\"filter\" data-table=\"t-flows\" "
	    "placeholder=\"filter rows\u2026\" aria-label=\"filter flows\">"
	    "<div class=\"scroll\"><table class=\"sortable\" id=\"t-flows\">"
	    "<thead><tr><th>Workload</th><th>Direction</th><th>Peer</th>"
	    "<th>Port</th><th>Service (before DNAT)</th><th>DNS name</th>"
	    "<th>Count</th><th>Bytes</th><th>First seen</th><th>Last seen</th>",
	    f);
	if (v->has_policies)
		fputs("<th>Verdict</th>", f);
	fputs("</tr></thead><tbody>\n", f);
	for (i = 0; i < v->nnamespaces; i++)
		for (j = 0; j < v->namespaces[i].nworkloads; j++) {
			w = &v->namespaces[i].workloads[j];
			for (d = REPORT_INGRESS; d <= REPORT_EGRESS; d++)
				for (k = 0; k < w->nflows[d]; k++)
					flow_row(f, &w->flows[d][k],
					    v->has_policies);
		}
	fputs("</tbody></table></div></section>\n", f);
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
	fputs("<div class=\"scroll\"><table class=\"sortable\">"
	    "<thead><tr><th>Address</th>"
	    "<th>Class</th><th>DNS names</th><th>KnownServer</th><th>Ports</th>"
	    "<th>Workloads</th><th>Directions</th><th>Count</th>"
	    "<th>Last seen</th></tr></thead><tbody>\n", f);
	for (i = 0; i < v->naddresses; i++) {
		a = &v->addresses[i];
		class = report_class_name(a->class_);
		fputs("<tr>", f);
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
report_render_html(FILE *f, const struct report_view *v)
{
	int rc;

	head(f, v);
	if ((rc = topology(f, v)) != 0)
		return rc;
	if (v->has_policies)
		findings(f, v);
	workloads(f, v);
	flows(f, v);
	addresses(f, v);
	completeness(f, v);
	fprintf(f, "</main>\n<script>%s</script>\n</body></html>\n", js);
	return ferror(f) ? -EIO : 0;
}
