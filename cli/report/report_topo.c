/*
 * report_topo: the topology part of the HTML report: the drawing (laid
 * out by Graphviz, report_gv.c) in a stage the page's script zooms and
 * moves, what the drawing leaves out, the legend of the marks it uses,
 * and for each node and edge the details a click shows (hidden elements
 * d-ID, see report_page.c).
 */
#include "cli/report/report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define E(s) report_html_esc(f, (s))

/* ---- details ------------------------------------------------------------- */

static void
policy_list(FILE *f, const struct report_strs *l, const char *dir)
{
	size_t i;

	if (l->n == 0) {
		fprintf(f, "none (%s is open)", dir);
		return;
	}
	for (i = 0; i < l->n; i++) {
		fputs(i ? ", " : "", f);
		E(l->v[i]);
	}
}

static const char *
node_desc(const struct report_gnode *n)
{
	switch (n->kind) {
	case REPORT_GNODE_WORKLOAD: return "workload";
	case REPORT_GNODE_PEER: return n->namespace_[0] != '\0' &&
	    n->line1 != NULL && strcmp(n->line1, n->namespace_) == 0 ?
	    "namespace outside the report's scope" :
	    "workload outside the report's scope";
	case REPORT_GNODE_NAMESPACE: return "namespace";
	case REPORT_GNODE_EXTERNAL: return "external";
	case REPORT_GNODE_INTERNAL: return "internal (a pod or Service range)";
	case REPORT_GNODE_NODE: return "node (kubelet probes, hostNetwork)";
	default: return "unknown (no address, or a private one)";
	}
}

/* What the policies say about one end of an edge. */
static void
edge_end(FILE *f, const struct report_view *v, const struct report_gnode *n,
    const char *role, enum report_dir dir)
{
	fprintf(f, "<p><b>%s</b> ", role);
	E(n->name);
	fputs(": ", f);
	if (n->workload != NULL && v->has_policies) {
		fprintf(f, "%s policies: ", report_dir_name(dir));
		policy_list(f, &n->workload->policies[dir],
		    report_dir_name(dir));
	} else if (n->workload != NULL)
		fputs("no policies were given (--policies)", f);
	else if (n->kind == REPORT_GNODE_PEER)
		fputs("outside the report's scope: its policies were not "
		    "evaluated", f);
	else if (n->kind == REPORT_GNODE_NAMESPACE)
		fputs("a namespace drawn as one box: see the policies of its "
		    "workloads in the tables", f);
	else
		fputs("an address: NetworkPolicies do not select it", f);
	fputs("</p>", f);
}

static void
edge_summary(FILE *f, const struct report_gedge *e)
{
	E(e->ports);
	fprintf(f, " &middot; %lld connection%s", (long long)e->count,
	    e->count == 1 ? "" : "s");
	if (e->verdict != REPORT_VERDICT_NONE)
		fprintf(f, " &middot; <span class=\"v-%s\">%s</span>",
		    report_verdict_name(e->verdict),
		    report_verdict_name(e->verdict));
}

static void
edge_detail(FILE *f, const struct report_view *v, const struct report_graph *g,
    const struct report_gedge *e)
{
	const struct report_gnode *s = &g->nodes[e->src];
	const struct report_gnode *d = &g->nodes[e->dst];

	fprintf(f, "<div class=\"dsrc\" id=\"d-%s\" data-src=\"%s\" "
	    "data-dst=\"%s\"><h3>", e->id, s->id, d->id);
	E(s->name);
	fputs(" &rarr; ", f);
	E(d->name);
	fputs("</h3><p>", f);
	edge_summary(f, e);
	fputs("</p>", f);
	edge_end(f, v, s, "Client", REPORT_EGRESS);
	edge_end(f, v, d, "Server", REPORT_INGRESS);
	fputs("</div>\n", f);
}

static void
node_detail(FILE *f, const struct report_view *v, const struct report_graph *g,
    size_t pos)
{
	const struct report_gnode *n = &g->nodes[pos], *o;
	const struct report_gedge *e;
	size_t i, k;
	bool any = false;

	fprintf(f, "<div class=\"dsrc\" id=\"d-%s\"><h3>", n->id);
	E(n->name);
	fputs("</h3><p class=\"muted\">", f);
	E(node_desc(n));
	if (n->line2 != NULL && n->line2[0] != '\0') {
		fputs(" &middot; ", f);
		E(n->line2);
	}
	fputs("</p>", f);
	if (n->workload != NULL && v->has_policies) {
		for (k = 0; k < 2; k++) {
			fprintf(f, "<p><b>%s policies:</b> ",
			    k == REPORT_INGRESS ? "Ingress" : "Egress");
			policy_list(f, &n->workload->policies[k],
			    report_dir_name((enum report_dir)k));
			fputs("</p>", f);
		}
	}
	if (n->addresses.n > 0) {
		fputs("<p><b>Addresses:</b> ", f);
		for (i = 0; i < n->addresses.n; i++) {
			fputs(i ? ", " : "", f);
			E(n->addresses.v[i]);
		}
		fputs("</p>", f);
	}
	for (i = 0; i < g->nedges; i++) {
		e = &g->edges[i];
		if (e->src != pos && e->dst != pos)
			continue;
		if (!any)
			fputs("<h4>Arrows</h4><ul>", f);
		any = true;
		o = &g->nodes[e->src == pos ? e->dst : e->src];
		fprintf(f, "<li><button class=\"link\" data-go=\"%s\">%s ",
		    e->id, e->src == pos ? "&rarr;" : "&larr;");
		E(o->name);
		fputs("</button> ", f);
		edge_summary(f, e);
		fputs("</li>", f);
	}
	if (any)
		fputs("</ul>", f);
	fputs("</div>\n", f);
}

/* ---- the legend: every mark the drawing uses ----------------------------- */

static void
box(FILE *f, const char *fill, const char *stroke, const char *style,
    const char *text)
{
	fprintf(f, "<span><b style=\"border-color:%s;background:%s%s\"></b>",
	    stroke, fill, style);
	E(text);
	fputs("</span>", f);
}

static void
legend(FILE *f, const struct report_graph *g)
{
	static const char *const kind_text[REPORT_GNODE_NKINDS] = {
		[REPORT_GNODE_WORKLOAD] = "workload",
		[REPORT_GNODE_PEER] = "outside the scope",
		[REPORT_GNODE_NAMESPACE] = "namespace (its workloads as one)",
		[REPORT_GNODE_EXTERNAL] = "external address",
		[REPORT_GNODE_INTERNAL] = "internal address (pod or Service "
		    "range)",
		[REPORT_GNODE_NODE] = "node",
		[REPORT_GNODE_UNKNOWN] = "unknown or private address",
	};
	static const char *const verdict_text[] = {
		[REPORT_VERDICT_NONE] = "recorded (no policies given)",
		[REPORT_VERDICT_ALLOWED] = "allowed by the policies",
		[REPORT_VERDICT_DENIED] = "denied by the policies",
		[REPORT_VERDICT_UNRESOLVED] = "unresolved (see the notes)",
	};
	bool kinds[REPORT_GNODE_NKINDS] = { false }, verdicts[4] = { false };
	bool denied = false, unsel = false, scope = false, other = false;
	size_t i;

	for (i = 0; i < g->nnodes; i++) {
		if (g->nodes[i].isolated)
			continue;
		kinds[g->nodes[i].kind] = true;
		denied |= g->nodes[i].denied;
		unsel |= g->nodes[i].unselected;
	}
	for (i = 0; i < g->nedges; i++)
		verdicts[g->edges[i].verdict] = true;
	for (i = 0; i < g->nclusters; i++) {
		scope |= g->cluster_in_scope[i];
		other |= !g->cluster_in_scope[i];
	}
	fputs("<div class=\"legend\">", f);
	for (i = 0; i < REPORT_GNODE_NKINDS; i++)
		if (kinds[i])
			box(f, report_gnode_fill((enum report_gnode_kind)i),
			    report_gnode_stroke((enum report_gnode_kind)i), "",
			    kind_text[i]);
	if (scope)
		box(f, "#f1f5fe", "#c6dafc", "", "namespace of the scope");
	if (other)
		box(f, "#f8f9fa", "#dadce0", "", "namespace outside the scope");
	if (denied)
		box(f, "#fff", REPORT_COLOR_DENIED, ";border-width:2.5px",
		    "an end of a denied flow");
	if (unsel)
		box(f, "#fff", "#5f6368", ";border-style:dashed",
		    "no policy selects it (ingress or egress)");
	for (i = 0; i < 4; i++)
		if (verdicts[i])
			fprintf(f, "<span><i style=\"border-color:%s%s\"></i>"
			    "%s</span>", report_gedge_color(
			    (enum report_verdict)i), i ==
			    REPORT_VERDICT_UNRESOLVED ?
			    ";border-top-style:dashed" : "", verdict_text[i]);
	fputs("<span>arrow: client &rarr; server, labelled with the ports "
	    "(after DNAT); wider with more connections</span></div>\n", f);
}

/* ---- the section --------------------------------------------------------- */

int
report_topo_write(FILE *f, const struct report_view *v,
    const struct report_graph *g)
{
	size_t i;
	int rc;

	for (i = 0; i < g->notes.n; i++) {
		fputs("<p class=\"note\">", f);
		E(g->notes.v[i]);
		fputs(".</p>\n", f);
	}
	if (g->nedges == 0) {
		fputs("<p class=\"empty\">No traffic recorded: nothing to "
		    "draw.</p>\n", f);
		return ferror(f) ? -EIO : 0;
	}
	if (g->too_big)
		return ferror(f) ? -EIO : 0;
	fputs("<div class=\"topo\"><div id=\"stage\">\n", f);
	if ((rc = report_gv_svg(f, g)) != 0)
		return rc;
	fputs("</div><aside id=\"details\" hidden aria-live=\"polite\">"
	    "<button id=\"details-close\" aria-label=\"close\">&times;"
	    "</button><div id=\"details-body\"></div></aside></div>\n", f);
	legend(f, g);
	for (i = 0; i < g->nnodes; i++)
		if (!g->nodes[i].isolated)
			node_detail(f, v, g, i);
	for (i = 0; i < g->nedges; i++)
		edge_detail(f, v, g, &g->edges[i]);
	return ferror(f) ? -EIO : 0;
}
