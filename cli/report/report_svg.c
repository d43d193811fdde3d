/*
 * report_svg: the topology drawing of the report, laid out by hand.
 *
 * Layered layout: column 0 holds the addresses that only connect to the
 * workloads (clients, nodes), then the namespaces, each one to a few
 * columns (its clients left of its servers), then the addresses the
 * workloads connect to. Within a column
 * the boxes are ordered by the barycenter of their neighbours (a few
 * sweeps), which keeps most arrows short and uncrossed without a general
 * graph layout engine. Every (source, destination) pair is one arrow whose
 * width grows with the log of the connection count; red when any flow of
 * the pair would be denied, amber when one is unresolved.
 *
 * The family: report_svg_graph.c builds the graph from the model,
 * report_svg_layout.c lays it out, report_svg_draw.c draws its parts,
 * this file puts the drawing together; report_svg_int.h holds what they
 * share.
 */
#include "cli/report/report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/report/report_svg_int.h"

static int
edge_pass(const struct edge *e)
{
	return e->verdict <= 0 ? 0 : e->verdict;
}

int
report_svg(FILE *f, json_object *m)
{
	struct graph g;
	struct labels lab = { .n = 0 };
	double width, height, x, x2 = 0;
	int c, maxrows = 0, pass, last;
	size_t i, nwl;

	memset(&g, 0, sizeof(g));
	nwl = (size_t)report_int(report_get(m, "summary"), "workloads");
	if (nwl > MAX_WORKLOADS) {
		fprintf(f, "<p class=\"empty\">%zu workloads are too many to "
		    "draw: the tables below list them all; report one namespace "
		    "(--namespace) for a drawing.</p>\n", nwl);
		return ferror(f) ? -EIO : 0;
	}
	g.oom = report_svg_collapse_addresses(&g, m) ||
	    report_svg_collapse_peers(&g, m);
	if (!g.oom)
		report_svg_build(&g, m);
	if (!g.oom)
		report_svg_layout(&g);
	if (g.oom) {
		report_svg_graph_free(&g);
		return -ENOMEM;
	}
	for (c = 0; c < g.ncols; c++)
		if (g.colsize[c] > maxrows)
			maxrows = g.colsize[c];
	for (c = g.ncols - 1; c > 0 && g.colsize[c] == 0; c--)
		;
	width = report_svg_col_x(&g, c) + BOX_W + PAD + 20;
	height = TOP + HEAD + maxrows * (BOX_H + ROW_GAP) + PAD + 10;
	if (g.nn == 0) {
		fprintf(f, "<p class=\"empty\">No traffic recorded: nothing to "
		    "draw.</p>\n");
		report_svg_graph_free(&g);
		return ferror(f) ? -EIO : 0;
	}
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"topology\" "
	    "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
	    "role=\"img\" aria-label=\"topology of recorded traffic\">\n",
	    width, height, width, height);
	fprintf(f, "<defs>");
	fprintf(f, "<marker id=\"arr\" viewBox=\"0 0 10 10\" refX=\"9\" "
	    "refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" "
	    "orient=\"auto-start-reverse\" markerUnits=\"userSpaceOnUse\">"
	    "<path d=\"M0,0 L10,5 L0,10 z\" fill=\"#80868b\"/></marker>");
	fprintf(f, "<marker id=\"arr-d\" viewBox=\"0 0 10 10\" refX=\"9\" "
	    "refY=\"5\" markerWidth=\"9\" markerHeight=\"9\" "
	    "orient=\"auto-start-reverse\" markerUnits=\"userSpaceOnUse\">"
	    "<path d=\"M0,0 L10,5 L0,10 z\" fill=\"#d32f2f\"/></marker>");
	fprintf(f, "<marker id=\"arr-u\" viewBox=\"0 0 10 10\" refX=\"9\" "
	    "refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" "
	    "orient=\"auto-start-reverse\" markerUnits=\"userSpaceOnUse\">"
	    "<path d=\"M0,0 L10,5 L0,10 z\" fill=\"#e37400\"/></marker>");
	fprintf(f, "</defs>\n");
	/* Group backgrounds (spanning a namespace's columns) and titles. */
	for (c = 0; c < g.ncols; c = last + 1) {
		int first = -1, rows = 0, k;

		for (last = c; last + 1 < g.ncols &&
		    g.group[last + 1] == g.group[c]; last++)
			;
		for (k = c; k <= last; k++)
			if (g.colsize[k] > 0) {
				if (first < 0)
					first = k;
				x2 = report_svg_col_x(&g, k) + BOX_W + PAD;
				if (g.colsize[k] > rows)
					rows = g.colsize[k];
			}
		if (first < 0)
			continue;
		x = report_svg_col_x(&g, first) - PAD;
		fprintf(f, "<rect class=\"col%s\" x=\"%.0f\" y=\"%d\" "
		    "width=\"%.0f\" height=\"%d\" rx=\"10\"/>",
		    g.group[c] > 0 && g.group[c] < g.ngroups - 1 ? " ns" : "", x,
		    TOP, x2 - x, HEAD + rows * (BOX_H + ROW_GAP) + PAD -
		    ROW_GAP + 6);
		fprintf(f, "<text class=\"coltitle\" x=\"%.0f\" y=\"%d\">%s",
		    x + PAD, TOP + 20, g.group[c] > 0 &&
		    g.group[c] < g.ngroups - 1 ? "namespace " : "");
		report_svg_text_trunc(f, g.cols[g.group[c]], 28);
		fprintf(f, "</text>\n");
	}
	/* Allowed arrows first, denied ones on top; then the labels,
	 * denied ones placed first. */
	for (pass = 0; pass < 3; pass++)
		for (i = 0; i < g.ne; i++)
			if (edge_pass(&g.e[i]) == pass)
				report_svg_draw_edge(&g, f, &g.e[i]);
	for (pass = 2; g.ne <= 80 && pass >= 0; pass--)
		for (i = 0; i < g.ne; i++)
			if (edge_pass(&g.e[i]) == pass)
				report_svg_draw_label(&g, f, &g.e[i], &lab);
	for (i = 0; i < g.nn; i++)
		report_svg_draw_node(f, &g.n[i], report_svg_col_x(&g,
		    g.n[i].col), report_svg_node_y(&g.n[i]));
	fprintf(f, "</svg>\n");
	report_svg_graph_free(&g);
	return ferror(f) ? -EIO : 0;
}
