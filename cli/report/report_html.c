/*
 * report_html: the report model as one self-contained HTML file: inline
 * CSS, the inline SVG topology (report_svg.c), sortable and filterable
 * tables with a few lines of inline JavaScript. Nothing is fetched from
 * the network: no fonts, scripts, styles or images from elsewhere.
 */
#include "cli/report/report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define ARR_FOREACH(arr, i, el) \
	for ((i) = 0; (arr) != NULL && (i) < json_object_array_length(arr) && \
	    ((el) = json_object_array_get_idx((arr), (i))) != NULL; (i)++)

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

static bool
present(json_object *o)
{
	return o != NULL && !json_object_is_type(o, json_type_null);
}

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
td_port(FILE *f, json_object *o)
{
	long long port = (long long)report_int(o, "port");

	fprintf(f, "<td data-v=\"%lld\">", port);
	E(report_str(o, "protocol"));
	if (port != 0)
		fprintf(f, "/%lld", port);
	fputs("</td>", f);
}

static void
td_verdict(FILE *f, const char *v)
{
	fprintf(f, "<td class=\"v-%s\">", v);
	E(v);
	fputs("</td>", f);
}

static void
td_list(FILE *f, json_object *a, const char *sep)
{
	json_object *el;
	size_t i;

	fputs("<td>", f);
	if (json_object_array_length(a) == 0)
		fputs("<span class=\"muted\">-</span>", f);
	ARR_FOREACH(a, i, el) {
		if (i > 0)
			fputs(sep, f);
		E(json_object_get_string(el));
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
head(FILE *f, json_object *m)
{
	json_object *win = report_get(m, "window"), *a, *el;
	json_object *sum = report_get(m, "summary");
	json_object *pol = report_get(m, "policies");
	const char *ns = report_str(report_get(m, "scope"), "namespace");
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
	E(report_str(win, "since"));
	fputs(" .. ", f);
	E(report_str(win, "until"));
	fprintf(f, " (%s) &middot; recording started ", report_duration(
	    report_int(win, "seconds"), dur, sizeof(dur)));
	E(present(report_get(win, "recordingStarted")) ?
	    report_str(win, "recordingStarted") : "unknown");
	fputs(" &middot; generated ", f);
	E(report_str(m, "generatedAt"));
	fputs(" &middot; stores", f);
	a = report_get(m, "stores");
	ARR_FOREACH(a, i, el) {
		fputs(" <code>", f);
		E(json_object_get_string(el));
		fputs("</code>", f);
	}
	fputs("</div></header>\n<main>\n<div class=\"cards\">", f);
	card(f, report_int(sum, "workloads"), "workloads", false);
	card(f, report_int(sum, "namespaces"), "namespaces", false);
	card(f, report_int(sum, "flows"), "flows", false);
	card(f, report_int(sum, "addresses"), "addresses", false);
	card(f, report_int(sum, "unnamedAddresses"), "resolve to nothing",
	    false);
	card(f, report_int(report_get(m, "completeness"), "eventsLost"),
	    "events lost", report_int(report_get(m, "completeness"),
	    "eventsLost") > 0);
	if (present(pol)) {
		card(f, report_int(pol, "count"), "policies", false);
		card(f, report_int(sum, "denied"), "flows denied",
		    report_int(sum, "denied") > 0);
		card(f, report_int(sum, "unresolved"), "unresolved",
		    report_int(sum, "unresolved") > 0);
		card(f, report_int(sum, "unselected"), "not selected",
		    report_int(sum, "unselected") > 0);
	}
	fputs("</div>\n", f);
	a = report_get(m, "warnings");
	ARR_FOREACH(a, i, el) {
		fputs("<div class=\"warn\">&#9888; ", f);
		E(json_object_get_string(el));
		fputs("</div>\n", f);
	}
}

static int
topology(FILE *f, json_object *m)
{
	bool pol = present(report_get(m, "policies"));
	int rc;

	fputs("<section><h2>Topology</h2><div class=\"scroll\">\n", f);
	if ((rc = report_svg(f, m)) != 0)
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
	if (pol)
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
peer_td(FILE *f, json_object *peer)
{
	char buf[1024];
	const char *class = report_str(peer, "class");

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
findings(FILE *f, json_object *m)
{
	json_object *a, *el;
	size_t i;

	fputs("<section id=\"denied\"><h2>Recorded flows the policies would "
	    "deny</h2>\n", f);
	a = report_get(m, "denied");
	if (json_object_array_length(a) == 0)
		fputs("<p>None: the policies allow every recorded flow.</p>", f);
	else {
		fputs("<div class=\"scroll\"><table class=\"sortable\" "
		    "id=\"t-denied\"><thead><tr>"
		    "<th>Verdict</th><th>Workload</th><th>Direction</th>"
		    "<th>Peer</th><th>Port</th><th>Count</th><th>Last seen</th>"
		    "<th>Selected by</th><th>Notes</th></tr></thead><tbody>\n",
		    f);
		ARR_FOREACH(a, i, el) {
			fprintf(f, "<tr class=\"%s\">", strcmp(report_str(el,
			    "verdict"), "denied") == 0 ? "denied" :
			    "unresolved");
			td_verdict(f, report_str(el, "verdict"));
			td(f, report_str(el, "workload"));
			td(f, report_str(el, "direction"));
			peer_td(f, report_get(el, "peer"));
			td_port(f, el);
			td_num(f, report_int(el, "count"));
			td_time(f, report_str(el, "lastSeen"));
			td_list(f, report_get(el, "policies"), ", ");
			td_list(f, report_get(el, "notes"), "; ");
			fputs("</tr>\n", f);
		}
		fputs("</tbody></table></div>", f);
	}
	fputs("</section>\n<section id=\"unselected\"><h2>Workloads no policy "
	    "selects</h2>\n", f);
	a = report_get(m, "unselected");
	if (json_object_array_length(a) == 0)
		fputs("<p>None.</p>", f);
	else {
		fputs("<div class=\"scroll\"><table class=\"sortable\">"
		    "<thead><tr><th>Workload</th>"
		    "<th>Open in</th></tr></thead><tbody>\n", f);
		ARR_FOREACH(a, i, el) {
			bool in = json_object_get_boolean(report_get(el,
			    "ingress"));
			bool out = json_object_get_boolean(report_get(el,
			    "egress"));

			fputs("<tr>", f);
			td(f, report_str(el, "workload"));
			td(f, in && out ? "ingress and egress" : in ?
			    "ingress" : "egress");
			fputs("</tr>\n", f);
		}
		fputs("</tbody></table></div>", f);
	}
	fputs("</section>\n", f);
}

static void
workloads(FILE *f, json_object *m, bool pol)
{
	json_object *nss = report_get(m, "namespaces"), *ns, *wls, *w, *obs;
	char dur[64];
	size_t i, j;

	fputs("<section id=\"workloads\"><h2>Workloads and their observation "
	    "window</h2>\n<div class=\"scroll\"><table class=\"sortable\">"
	    "<thead><tr>"
	    "<th>Namespace</th><th>Kind</th><th>Name</th><th>Observed from</th>"
	    "<th>Observed to</th><th>Observed</th><th>Running before "
	    "recording</th><th>Ingress peers</th><th>Egress peers</th>", f);
	if (pol)
		fputs("<th>Ingress policies</th><th>Egress policies</th>", f);
	fputs("</tr></thead><tbody>\n", f);
	ARR_FOREACH(nss, i, ns) {
		wls = report_get(ns, "workloads");
		ARR_FOREACH(wls, j, w) {
			obs = report_get(w, "observation");
			fputs("<tr>", f);
			td(f, report_str(w, "namespace"));
			td(f, report_str(w, "kind"));
			td(f, report_str(w, "name"));
			td_time(f, report_str(obs, "observedFrom"));
			td_time(f, report_str(obs, "observedTo"));
			fprintf(f, "<td data-v=\"%lld\">%s</td>",
			    (long long)report_int(obs, "observedSeconds"),
			    report_duration(report_int(obs,
			    "observedSeconds"), dur, sizeof(dur)));
			td(f, json_object_get_boolean(report_get(obs,
			    "predatesRecording")) ? "yes: earliest connections "
			    "may be missing" : "no");
			td_num(f, (int64_t)json_object_array_length(
			    report_get(w, "ingress")));
			td_num(f, (int64_t)json_object_array_length(
			    report_get(w, "egress")));
			if (pol) {
				json_object *p = report_get(w, "policies");

				td_list(f, report_get(p, "ingress"), ", ");
				td_list(f, report_get(p, "egress"), ", ");
			}
			fputs("</tr>\n", f);
		}
	}
	fputs("</tbody></table></div></section>\n", f);
}

static void
flow_row(FILE *f, json_object *w, json_object *fl, const char *dir,
    bool pol)
{
	json_object *svc = report_get(fl, "service");
	const char *v = report_str(fl, "verdict");
	char buf[96];

	fprintf(f, "<tr class=\"%s\">", pol && strcmp(v, "allowed") != 0 ?
	    v : "");
	td(f, report_str(w, "id"));
	td(f, dir);
	peer_td(f, report_get(fl, "peer"));
	td_port(f, fl);
	if (present(svc)) {
		snprintf(buf, sizeof(buf), "%s:%lld", report_str(svc,
		    "address"), (long long)report_int(svc, "port"));
		td(f, buf);
	} else
		td(f, "");
	td(f, report_str(fl, "dnsName"));
	td_num(f, report_int(fl, "count"));
	td_num(f, report_int(fl, "bytes"));
	td_time(f, report_str(fl, "firstSeen"));
	td_time(f, report_str(fl, "lastSeen"));
	if (pol)
		td_verdict(f, v);
	fputs("</tr>\n", f);
}

static void
flows(FILE *f, json_object *m, bool pol)
{
	json_object *nss = report_get(m, "namespaces"), *ns, *wls, *w, *a, *fl;
	size_t i, j, k;

	fputs("<section id=\"flows\"><h2>Ingress and egress peers</h2>\n"
	    "<input class=\"filter\" data-table=\"t-flows\" "
	    "placeholder=\"filter rows\u2026\" aria-label=\"filter flows\">"
	    "<div class=\"scroll\"><table class=\"sortable\" id=\"t-flows\">"
	    "<thead><tr><th>Workload</th><th>Direction</th><th>Peer</th>"
	    "<th>Port</th><th>Service (before DNAT)</th><th>DNS name</th>"
	    "<th>Count</th><th>Bytes</th><th>First seen</th><th>Last seen</th>",
	    f);
	if (pol)
		fputs("<th>Verdict</th>", f);
	fputs("</tr></thead><tbody>\n", f);
	ARR_FOREACH(nss, i, ns) {
		wls = report_get(ns, "workloads");
		ARR_FOREACH(wls, j, w) {
			a = report_get(w, "ingress");
			ARR_FOREACH(a, k, fl)
				flow_row(f, w, fl, "ingress", pol);
			a = report_get(w, "egress");
			ARR_FOREACH(a, k, fl)
				flow_row(f, w, fl, "egress", pol);
		}
	}
	fputs("</tbody></table></div></section>\n", f);
}

static void
addresses(FILE *f, json_object *m)
{
	json_object *a = report_get(m, "addresses"), *el, *ks;
	char buf[1200];
	size_t i;

	fputs("<section id=\"addresses\"><h2>Addresses that are not recorded "
	    "workloads</h2>\n", f);
	if (json_object_array_length(a) == 0) {
		fputs("<p>None.</p></section>\n", f);
		return;
	}
	fputs("<div class=\"scroll\"><table class=\"sortable\">"
	    "<thead><tr><th>Address</th>"
	    "<th>Class</th><th>DNS names</th><th>KnownServer</th><th>Ports</th>"
	    "<th>Workloads</th><th>Directions</th><th>Count</th>"
	    "<th>Last seen</th></tr></thead><tbody>\n", f);
	ARR_FOREACH(a, i, el) {
		fputs("<tr>", f);
		td(f, report_str(el, "address"));
		fprintf(f, "<td><span class=\"tag %s\">", report_str(el,
		    "class"));
		E(report_str(el, "class"));
		fputs("</span></td>", f);
		if (json_object_get_boolean(report_get(el, "unnamed")))
			fputs("<td><span class=\"muted\">resolves to nothing"
			    "</span></td>", f);
		else
			td_list(f, report_get(el, "dnsNames"), ", ");
		ks = report_get(el, "knownServer");
		if (present(ks)) {
			snprintf(buf, sizeof(buf), "%s (%s, %s from %s)",
			    report_str(ks, "server"), report_str(ks, "name"),
			    report_str(ks, "cidr"), report_str(ks, "source"));
			td(f, buf);
		} else
			td(f, "");
		td_list(f, report_get(el, "ports"), ", ");
		td_list(f, report_get(el, "workloads"), ", ");
		td_list(f, report_get(el, "directions"), ", ");
		td_num(f, report_int(el, "count"));
		td_time(f, report_str(el, "lastSeen"));
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table></div></section>\n", f);
}

static void
completeness(FILE *f, json_object *m)
{
	json_object *c = report_get(report_get(m, "completeness"), "counters");

	fputs("<section id=\"counters\"><h2>Recorder counters</h2>\n", f);
	if (c == NULL || json_object_object_length(c) == 0) {
		fputs("<p>No counters in the stores.</p></section>\n", f);
		return;
	}
	fputs("<div class=\"scroll\"><table class=\"sortable\">"
	    "<thead><tr><th>Counter</th>"
	    "<th>Value</th></tr></thead><tbody>\n", f);
	json_object_object_foreach(c, k, v) {
		fputs("<tr>", f);
		td(f, k);
		td_num(f, json_object_get_int64(v));
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table></div></section>\n", f);
}

int
report_render_html(FILE *f, json_object *m)
{
	bool pol = present(report_get(m, "policies"));
	int rc;

	head(f, m);
	if ((rc = topology(f, m)) != 0)
		return rc;
	if (pol)
		findings(f, m);
	workloads(f, m, pol);
	flows(f, m, pol);
	addresses(f, m);
	completeness(f, m);
	fprintf(f, "</main>\n<script>%s</script>\n</body></html>\n", js);
	return ferror(f) ? -EIO : 0;
}
