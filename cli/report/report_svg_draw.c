/*
 * report_svg_draw: the drawing primitives (boxes, arrows, their labels)
 * and the escaping of text for HTML and SVG.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/report/report_svg_int.h"

void
report_html_esc(FILE *f, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f); break;
		}
	}
}

static const struct {
	const char *fill, *stroke;
} styles[] = {
	[N_WORKLOAD] = { "#e8f0fe", "#1a73e8" },
	[N_PEER_WORKLOAD] = { "#f1f3f4", "#5f6368" },
	[N_EXTERNAL] = { "#fef7e0", "#e37400" },
	[N_INTERNAL] = { "#e6f4ea", "#188038" },
	[N_NODE] = { "#eceff1", "#455a64" },
	[N_UNKNOWN] = { "#f3e8fd", "#9334e6" },
};

void
report_svg_text_trunc(FILE *f, const char *s, size_t max)
{
	char buf[128];
	size_t n = strlen(s);

	if (n <= max) {
		report_html_esc(f, s);
		return;
	}
	/* Cut on a UTF-8 boundary and mark it. */
	n = max - 1 < sizeof(buf) - 4 ? max - 1 : sizeof(buf) - 4;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	memcpy(buf, s, n);
	memcpy(buf + n, "\xe2\x80\xa6", 4);
	report_html_esc(f, buf);
}

void
report_svg_draw_node(FILE *f, const struct node *n, double x, double y)
{
	fprintf(f, "<g class=\"node\" data-id=\"");
	report_html_esc(f, n->id);
	fprintf(f, "\"><title>");
	report_html_esc(f, n->id);
	fprintf(f, "</title><rect x=\"%.0f\" y=\"%.0f\" width=\"%d\" "
	    "height=\"%d\" rx=\"6\" fill=\"%s\" stroke=\"%s\" "
	    "stroke-width=\"%s\"%s/>", x, y, BOX_W, BOX_H,
	    styles[n->type].fill,
	    n->denied ? "#d32f2f" : styles[n->type].stroke,
	    n->denied ? "2.5" : "1.2",
	    n->unselected ? " stroke-dasharray=\"5 3\"" : "");
	fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" class=\"l1\">", x + 10,
	    y + 15);
	report_svg_text_trunc(f, n->line1, 30);
	fprintf(f, "</text><text x=\"%.0f\" y=\"%.0f\" class=\"l2\">", x + 10,
	    y + 29);
	report_svg_text_trunc(f, n->line2, 36);
	fprintf(f, "</text></g>\n");
}

static const char *
edge_color(int verdict)
{
	switch (verdict) {
	case 2: return "#d32f2f";
	case 1: return "#e37400";
	case 0: return "#80868b";
	default: return "#6b7c93";
	}
}

static bool
label_clash(const struct labels *l, double x, double y, double w)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (fabs(l->y[i] - y) < 11 && x < l->x[i] + l->w[i] / 2 + w / 2 &&
		    l->x[i] < x + l->w[i] / 2 + w / 2)
			return true;
	return false;
}

/* The cubic Bezier of an edge: from (x1,y1) with control points (cx1,y1)
 * and (cx2,y2) to (x2,y2). */
struct geom {
	double x1, y1, cx1, cx2, x2, y2;
};

static void
edge_geom(const struct graph *g, const struct edge *e, struct geom *q)
{
	const struct node *s = &g->n[e->src], *d = &g->n[e->dst];
	double bulge;

	q->y1 = report_svg_node_y(s) + BOX_H / 2.0;
	q->y2 = report_svg_node_y(d) + BOX_H / 2.0;
	if (s->col < d->col) {
		q->x1 = report_svg_col_x(g, s->col) + BOX_W;
		q->x2 = report_svg_col_x(g, d->col) - 2;
		q->cx1 = q->x1 + (q->x2 - q->x1) / 2;
		q->cx2 = q->x2 - (q->x2 - q->x1) / 2;
	} else if (s->col > d->col) {
		q->x1 = report_svg_col_x(g, s->col);
		q->x2 = report_svg_col_x(g, d->col) + BOX_W + 2;
		q->cx1 = q->x1 - (q->x1 - q->x2) / 2;
		q->cx2 = q->x2 + (q->x1 - q->x2) / 2;
	} else {
		/* Same column: an arc on the right side. */
		q->x1 = report_svg_col_x(g, s->col) + BOX_W;
		q->x2 = q->x1 + 2;
		bulge = 40 + fabs(q->y2 - q->y1) / 4;
		if (e->src == e->dst) {
			q->y1 -= 8;
			q->y2 += 8;
			bulge = 30;
		}
		q->cx1 = q->x1 + bulge;
		q->cx2 = q->x2 + bulge;
	}
}

void
report_svg_draw_edge(const struct graph *g, FILE *f, const struct edge *e)
{
	const struct node *s = &g->n[e->src], *d = &g->n[e->dst];
	uint64_t count = e->count[0] > e->count[1] ? e->count[0] : e->count[1];
	const char *marker;
	struct geom q;
	double w;
	int i;

	edge_geom(g, e, &q);
	w = 1.2 + fmin(3.5, log10((double)count + 1));
	marker = e->verdict == 2 ? "arr-d" : e->verdict == 1 ? "arr-u" :
	    "arr";
	fprintf(f, "<path class=\"edge%s\" d=\"M%.1f,%.1f C%.1f,%.1f "
	    "%.1f,%.1f %.1f,%.1f\" stroke=\"%s\" stroke-width=\"%.1f\" "
	    "fill=\"none\"%s marker-end=\"url(#%s)\" data-src=\"",
	    e->verdict == 2 ? " denied" : e->verdict == 1 ? " unresolved" : "",
	    q.x1, q.y1, q.cx1, q.y1, q.cx2, q.y2, q.x2, q.y2,
	    edge_color(e->verdict), w,
	    e->verdict == 1 ? " stroke-dasharray=\"6 4\"" : "", marker);
	report_html_esc(f, s->id);
	fprintf(f, "\" data-dst=\"");
	report_html_esc(f, d->id);
	fprintf(f, "\"><title>");
	report_html_esc(f, s->id);
	fprintf(f, " \xe2\x86\x92 ");
	report_html_esc(f, d->id);
	fprintf(f, ": ");
	for (i = 0; i < e->nports; i++) {
		fprintf(f, "%s", i ? ", " : "");
		report_html_esc(f, e->ports[i]);
	}
	if (e->more)
		fprintf(f, " +%d more", e->more);
	fprintf(f, " (%llu connections%s)</title></path>\n",
	    (unsigned long long)count, e->verdict == 2 ? ", DENIED by the "
	    "policies" : e->verdict == 1 ? ", unresolved" : "");
}

/*
 * The ports of an edge at its curve's middle (t = 0.5 of the Bezier),
 * moved down a line at a time while they would cover a label already
 * there; left out when there is no room nearby (the tables and the
 * arrow's tooltip still say them).
 */
void
report_svg_draw_label(const struct graph *g, FILE *f, const struct edge *e,
    struct labels *lab)
{
	struct geom q;
	char text[80];
	double mx, my, tw;
	int k;

	if (e->nports == 0 || lab->n == MAXLABELS)
		return;
	edge_geom(g, e, &q);
	if (e->nports > 1 || e->more)
		snprintf(text, sizeof(text), "%s +%d", e->ports[0],
		    e->nports - 1 + e->more);
	else
		snprintf(text, sizeof(text), "%s", e->ports[0]);
	mx = 0.125 * q.x1 + 0.375 * q.cx1 + 0.375 * q.cx2 + 0.125 * q.x2;
	my = 0.5 * q.y1 + 0.5 * q.y2 - 3;
	tw = 6.5 * (double)strlen(text) + 8;
	for (k = 0; k < 4 && label_clash(lab, mx, my, tw); k++)
		my += 11;
	if (k == 4)
		return;
	lab->x[lab->n] = mx;
	lab->y[lab->n] = my;
	lab->w[lab->n++] = tw;
	fprintf(f, "<text class=\"elabel%s\" x=\"%.1f\" y=\"%.1f\" "
	    "text-anchor=\"middle\">", e->verdict == 2 ? " denied" : "", mx,
	    my);
	report_html_esc(f, text);
	fprintf(f, "</text>\n");
}
