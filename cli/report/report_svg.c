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
 * In this file, in order: the graph's types, the layout (columns, rows,
 * coordinates), the drawing primitives, the graph built from the model,
 * and the drawing put together. The whole is to be replaced by Graphviz.
 */
#include "cli/report/report.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/store.h"

#define BOX_W 210
#define BOX_H 36
#define ROW_GAP 14
#define COL_GAP 170
#define INNER_GAP 110	/* between the columns of one namespace */
#define PAD 14
#define HEAD 30
#define TOP 8
#define MAXLABELS 128
#define MAXPORTS 4
/* Beyond these the drawing stops being readable: addresses are drawn one
 * box per class, and past MAX_WORKLOADS nothing is drawn (the tables stay
 * complete). */
#define MAX_LAYERS 4	/* columns a namespace may take */
#define MAX_ADDRS 40
#define MAX_PEERS 60
#define MAX_WORKLOADS 250

enum node_type { N_WORKLOAD, N_PEER_WORKLOAD, N_EXTERNAL, N_INTERNAL,
    N_NODE, N_UNKNOWN };

struct node {
	char *id;
	char *line1, *line2;	/* owned */
	int type;
	int col;
	double order;		/* barycenter key */
	int row;
	bool denied;
	bool egress_target;	/* an address some workload connects to */
	bool unselected;	/* no policy selects it in some direction */
};

struct edge {
	int src, dst;
	char *ports[MAXPORTS];
	int nports, more;
	uint64_t count[2];	/* per recording direction */
	int verdict;		/* worst: 0 allowed, 1 unresolved, 2 denied,
				 * -1 unknown (no policies) */
	char *title;
};

struct graph {
	struct node *n;
	size_t nn, capn;
	struct edge *e;
	size_t ne, cape;
	json_object *ids;	/* id -> node index */
	json_object *pairs;	/* "s>d" -> edge index */
	char **cols;		/* column titles */
	int ncols;
	int *colsize;
	int ngroups;		/* clients, namespaces..., destinations */
	int *group;		/* per column: its group (cols[] titles are
				 * per group); a namespace with clients and
				 * servers inside gets several columns */
	bool oom;		/* an allocation failed: nothing is drawn */
	json_object *collapse;	/* class -> address count, when addresses
				 * are drawn one box per class; else NULL */
	json_object *peer_ns;	/* namespace -> count of its workloads,
				 * when workloads outside the scope are
				 * drawn one box per namespace; else NULL */
};

/* Placed edge labels, to move a new one off those already there. */
struct labels {
	double x[MAXLABELS], y[MAXLABELS], w[MAXLABELS];
	int n;
};

/* ---- layout ---------------------------------------------------------- */

/*
 * Namespace columns ordered from sources to sinks: a namespace whose
 * workloads mostly open connections to other namespaces goes left, one
 * that mostly receives them (kube-system's DNS) right. Fewer arrows then
 * run backwards across the drawing. Ties keep the name order.
 */
struct nscol {
	int col, score;
	char *title;
};

static int
nscol_cmp(const void *x, const void *y)
{
	const struct nscol *a = x, *b = y;

	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	return a->col - b->col;
}

static void
order_namespaces(struct graph *g)
{
	int nns = g->ncols - 2, c, *map;
	struct nscol *v;
	size_t i;

	if (nns < 2)
		return;
	v = calloc((size_t)nns, sizeof(*v));
	map = calloc((size_t)g->ncols, sizeof(*map));
	if (v == NULL || map == NULL) {
		/* Only the order is lost: keep the name order. */
		free(v);
		free(map);
		return;
	}
	for (c = 0; c < nns; c++) {
		v[c].col = c + 1;
		v[c].title = g->cols[c + 1];
	}
	for (i = 0; i < g->ne; i++) {
		int sc = g->n[g->e[i].src].col, dc = g->n[g->e[i].dst].col;

		if (sc == dc || sc < 1 || sc > nns || dc < 1 || dc > nns)
			continue;
		v[sc - 1].score++;
		v[dc - 1].score--;
	}
	qsort(v, (size_t)nns, sizeof(*v), nscol_cmp);
	map[0] = 0;
	map[g->ncols - 1] = g->ncols - 1;
	for (c = 0; c < nns; c++) {
		map[v[c].col] = c + 1;
		g->cols[c + 1] = v[c].title;
	}
	for (i = 0; i < g->nn; i++)
		g->n[i].col = map[g->n[i].col];
	free(v);
	free(map);
}

/*
 * Within a namespace, clients left of their servers: each workload gets a
 * layer, one more than the workloads of its namespace that connect to it
 * (longest path, cycles cut at MAX_LAYERS), and each layer used becomes a
 * column of the namespace. Arrows inside a namespace then run left to
 * right like the others instead of looping on one side.
 */
static void
split_layers(struct graph *g)
{
	int *layer = NULL, *nl = NULL, *base = NULL, *group, *colsize;
	int c, pass, ncols, k;
	size_t i;
	bool changed = true;

	layer = calloc(g->nn + 1, sizeof(*layer));
	nl = calloc((size_t)g->ncols, sizeof(*nl));
	base = calloc((size_t)g->ncols, sizeof(*base));
	if (layer == NULL || nl == NULL || base == NULL)
		goto out;	/* one column per namespace, as before */
	for (pass = 0; changed && pass < MAX_LAYERS; pass++) {
		changed = false;
		for (i = 0; i < g->ne; i++) {
			int sn = g->e[i].src, dn = g->e[i].dst;

			c = g->n[sn].col;
			if (sn == dn || c != g->n[dn].col || c == 0 ||
			    c == g->ncols - 1 || layer[sn] + 1 >= MAX_LAYERS ||
			    layer[dn] >= layer[sn] + 1)
				continue;
			layer[dn] = layer[sn] + 1;
			changed = true;
		}
	}
	for (c = 0; c < g->ncols; c++)
		nl[c] = 1;
	for (i = 0; i < g->nn; i++)
		if (layer[i] + 1 > nl[g->n[i].col])
			nl[g->n[i].col] = layer[i] + 1;
	for (c = 0, ncols = 0; c < g->ncols; c++) {
		base[c] = ncols;
		ncols += nl[c];
	}
	if (ncols == g->ncols)
		goto out;
	group = calloc((size_t)ncols, sizeof(*group));
	colsize = calloc((size_t)ncols, sizeof(*colsize));
	if (group == NULL || colsize == NULL) {
		free(group);
		free(colsize);
		goto out;
	}
	for (c = 0; c < g->ncols; c++)
		for (k = 0; k < nl[c]; k++)
			group[base[c] + k] = c;
	for (i = 0; i < g->nn; i++)
		g->n[i].col = base[g->n[i].col] + layer[i];
	free(g->group);
	free(g->colsize);
	g->group = group;
	g->colsize = colsize;
	g->ncols = ncols;
out:
	free(layer);
	free(nl);
	free(base);
}

static int
node_qcmp(const void *x, const void *y, void *arg)
{
	const struct graph *g = arg;
	const struct node *a = &g->n[*(const int *)x];
	const struct node *b = &g->n[*(const int *)y];

	if (a->order != b->order)
		return a->order < b->order ? -1 : 1;
	return strcmp(a->id, b->id);
}

/* Give each column's nodes rows, ordered by neighbours' positions. */
static void
layout(struct graph *g)
{
	int *idx, sweep, c, k, nk;
	double *sum, *cnt, pos;
	size_t i;

	idx = calloc(g->nn + 1, sizeof(*idx));
	sum = calloc(g->nn + 1, sizeof(*sum));
	cnt = calloc(g->nn + 1, sizeof(*cnt));
	if (idx == NULL || sum == NULL || cnt == NULL) {
		g->oom = true;
		goto out;
	}
	for (i = 0; i < g->nn; i++)
		g->n[i].order = 0;
	for (sweep = 0; sweep < 4; sweep++) {
		for (c = 0; c < g->ncols; c++) {
			nk = 0;
			for (i = 0; i < g->nn; i++)
				if (g->n[i].col == c)
					idx[nk++] = (int)i;
			qsort_r(idx, (size_t)nk, sizeof(*idx), node_qcmp, g);
			for (k = 0; k < nk; k++)
				g->n[idx[k]].row = k;
			g->colsize[c] = nk;
		}
		/* Barycenter of each node's neighbours, as a fraction of
		 * their column's height. */
		memset(sum, 0, (g->nn + 1) * sizeof(*sum));
		memset(cnt, 0, (g->nn + 1) * sizeof(*cnt));
		for (i = 0; i < g->ne; i++) {
			struct node *s = &g->n[g->e[i].src];
			struct node *d = &g->n[g->e[i].dst];

			pos = (d->row + 0.5) / g->colsize[d->col];
			sum[g->e[i].src] += pos;
			cnt[g->e[i].src] += 1;
			pos = (s->row + 0.5) / g->colsize[s->col];
			sum[g->e[i].dst] += pos;
			cnt[g->e[i].dst] += 1;
		}
		for (i = 0; i < g->nn; i++)
			g->n[i].order = cnt[i] > 0 ? sum[i] / cnt[i] :
			    (g->n[i].row + 0.5) / g->colsize[g->n[i].col];
	}
out:
	free(idx);
	free(sum);
	free(cnt);
}

/* The left edge of column col's boxes. Columns without nodes take no
 * room; the columns of one namespace sit closer than those of two. */
static double
col_x(const struct graph *g, int col)
{
	double x = 20 + PAD;
	int c, prev = -1;

	for (c = 0; c <= col && c < g->ncols; c++) {
		if (g->colsize[c] == 0 && c != col)
			continue;
		if (prev >= 0)
			x += BOX_W + (g->group[prev] == g->group[c] ?
			    INNER_GAP : COL_GAP + 2 * PAD);
		prev = c;
	}
	return x;
}

static double
node_y(const struct node *n)
{
	return TOP + HEAD + n->row * (BOX_H + ROW_GAP);
}

/* ---- drawing ---------------------------------------------------------- */

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

static void
text_trunc(FILE *f, const char *s, size_t max)
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

static void
draw_node(FILE *f, const struct node *n, double x, double y)
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
	text_trunc(f, n->line1, 30);
	fprintf(f, "</text><text x=\"%.0f\" y=\"%.0f\" class=\"l2\">", x + 10,
	    y + 29);
	text_trunc(f, n->line2, 36);
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

	q->y1 = node_y(s) + BOX_H / 2.0;
	q->y2 = node_y(d) + BOX_H / 2.0;
	if (s->col < d->col) {
		q->x1 = col_x(g, s->col) + BOX_W;
		q->x2 = col_x(g, d->col) - 2;
		q->cx1 = q->x1 + (q->x2 - q->x1) / 2;
		q->cx2 = q->x2 - (q->x2 - q->x1) / 2;
	} else if (s->col > d->col) {
		q->x1 = col_x(g, s->col);
		q->x2 = col_x(g, d->col) + BOX_W + 2;
		q->cx1 = q->x1 - (q->x1 - q->x2) / 2;
		q->cx2 = q->x2 + (q->x1 - q->x2) / 2;
	} else {
		/* Same column: an arc on the right side. */
		q->x1 = col_x(g, s->col) + BOX_W;
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

static void
draw_edge(const struct graph *g, FILE *f, const struct edge *e)
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
static void
draw_label(const struct graph *g, FILE *f, const struct edge *e,
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

/* ---- the graph of the model ------------------------------------------- */

static char *
xstrdup(struct graph *g, const char *s)
{
	char *d = strdup(s ? s : "");

	if (d == NULL)
		g->oom = true;
	return d;
}

static int
node_get(struct graph *g, const char *id, int type, const char *l1,
    const char *l2)
{
	json_object *v;
	struct node *nn;

	if (json_object_object_get_ex(g->ids, id, &v))
		return json_object_get_int(v);
	if (g->nn == g->capn) {
		if ((nn = realloc(g->n, (g->capn ? g->capn * 2 : 32) *
		    sizeof(*nn))) == NULL) {
			g->oom = true;
			return -1;
		}
		g->capn = g->capn ? g->capn * 2 : 32;
		g->n = nn;
	}
	nn = &g->n[g->nn];
	memset(nn, 0, sizeof(*nn));
	nn->id = xstrdup(g, id);
	nn->line1 = xstrdup(g, l1);
	nn->line2 = xstrdup(g, l2);
	nn->type = type;
	nn->col = -1;
	json_object_object_add(g->ids, id, json_object_new_int((int)g->nn));
	return (int)g->nn++;
}

static int
addr_type(const char *type, const char *class)
{
	if (strcmp(type, "node") == 0 || strcmp(class, "node") == 0)
		return N_NODE;
	if (strcmp(class, "internal") == 0)
		return N_INTERNAL;
	if (strcmp(class, "external") == 0)
		return N_EXTERNAL;
	return N_UNKNOWN;
}

/* The node of a flow's peer; workload peers keep their namespace. */
static int
peer_node(struct graph *g, json_object *peer)
{
	const char *type = report_str(peer, "type");
	const char *addr = report_str(peer, "address");
	const char *dns = report_str(peer, "dnsName");
	json_object *ks = report_get(peer, "knownServer");
	char id[1100], l2[600];

	json_object *cnt;
	const char *class = report_str(peer, "class");

	if (strcmp(type, "workload") == 0 && g->peer_ns != NULL &&
	    json_object_object_get_ex(g->peer_ns, report_str(peer,
	    "namespace"), &cnt)) {
		snprintf(id, sizeof(id), "%s/*", report_str(peer, "namespace"));
		snprintf(l2, sizeof(l2), "%d workloads",
		    json_object_get_int(cnt));
		return node_get(g, id, N_PEER_WORKLOAD, report_str(peer,
		    "namespace"), l2);
	}
	if (strcmp(type, "workload") == 0)
		return node_get(g, report_str(peer, "id"), N_PEER_WORKLOAD,
		    report_str(peer, "name"), report_str(peer, "kind"));
	if (g->collapse != NULL &&
	    json_object_object_get_ex(g->collapse, class, &cnt)) {
		snprintf(id, sizeof(id), "addrs:%s", class);
		snprintf(l2, sizeof(l2), "%d %s addresses",
		    json_object_get_int(cnt), class);
		return node_get(g, id, addr_type(type, class), strcmp(class,
		    "node") == 0 ? "nodes" : class, l2);
	}
	snprintf(id, sizeof(id), "addr:%s:%s", type, addr);
	snprintf(l2, sizeof(l2), "%s%s%s", addr[0] ? addr : "no address",
	    addr[0] ? " \xc2\xb7 " : "", addr[0] ?
	    report_str(peer, "class") : "");
	if (dns[0] != '\0')
		return node_get(g, id, addr_type(type,
		    report_str(peer, "class")), dns, l2);
	if (ks != NULL && !json_object_is_type(ks, json_type_null))
		return node_get(g, id, addr_type(type,
		    report_str(peer, "class")), report_str(ks, "server"), l2);
	return node_get(g, id, addr_type(type, report_str(peer, "class")),
	    strcmp(type, "node") == 0 ? "node" : (addr[0] ? addr : "unknown"),
	    l2);
}

/* With policies: does no policy select w in a direction? */
static bool
unselected(json_object *w)
{
	json_object *p = report_get(w, "policies");

	if (p == NULL || json_object_get_boolean(report_get(w, "hostNetwork")))
		return false;
	return json_object_array_length(report_get(p, "ingress")) == 0 ||
	    json_object_array_length(report_get(p, "egress")) == 0;
}

static int
verdict_rank(const char *v)
{
	if (v[0] == '\0')
		return -1;
	if (strcmp(v, "denied") == 0)
		return 2;
	if (strcmp(v, "unresolved") == 0)
		return 1;
	return 0;
}

static void
edge_add(struct graph *g, int src, int dst, json_object *fl, int recdir)
{
	char key[32], port[64];
	json_object *v;
	struct edge *e;
	int i, rank;

	snprintf(key, sizeof(key), "%d>%d", src, dst);
	if (json_object_object_get_ex(g->pairs, key, &v)) {
		e = &g->e[json_object_get_int(v)];
	} else {
		if (g->ne == g->cape) {
			if ((e = realloc(g->e, (g->cape ? g->cape * 2 : 64) *
			    sizeof(*e))) == NULL) {
				g->oom = true;
				return;
			}
			g->cape = g->cape ? g->cape * 2 : 64;
			g->e = e;
		}
		e = &g->e[g->ne];
		memset(e, 0, sizeof(*e));
		e->src = src;
		e->dst = dst;
		e->verdict = -1;
		json_object_object_add(g->pairs, key,
		    json_object_new_int((int)g->ne++));
	}
	if (report_int(fl, "port") != 0)
		snprintf(port, sizeof(port), "%s/%lld",
		    report_str(fl, "protocol"),
		    (long long)report_int(fl, "port"));
	else
		snprintf(port, sizeof(port), "%s", report_str(fl, "protocol"));
	for (i = 0; i < e->nports; i++)
		if (strcmp(e->ports[i], port) == 0)
			break;
	if (i == e->nports) {
		if (e->nports < MAXPORTS)
			e->ports[e->nports++] = xstrdup(g, port);
		else
			e->more++;
	}
	e->count[recdir] += (uint64_t)report_int(fl, "count");
	rank = verdict_rank(report_str(fl, "verdict"));
	if (rank > e->verdict)
		e->verdict = rank;
	if (rank == 2) {
		g->n[src].denied = true;
		g->n[dst].denied = true;
	}
}

static void
build(struct graph *g, json_object *m)
{
	json_object *nss = report_get(m, "namespaces"), *ns, *wls, *w, *a;
	size_t i, j, k;
	int self, other, col, c;

	g->ids = json_object_new_object();
	g->pairs = json_object_new_object();
	if (g->ids == NULL || g->pairs == NULL) {
		g->oom = true;
		return;
	}
	/* Columns: clients, namespaces..., destinations. */
	g->ncols = (int)json_object_array_length(nss) + 2;
	g->ngroups = g->ncols;
	g->cols = calloc((size_t)g->ncols, sizeof(*g->cols));
	g->colsize = calloc((size_t)g->ncols, sizeof(*g->colsize));
	g->group = calloc((size_t)g->ncols, sizeof(*g->group));
	if (g->cols == NULL || g->colsize == NULL || g->group == NULL) {
		g->oom = true;
		return;
	}
	g->cols[0] = xstrdup(g, "Clients and nodes");
	g->cols[g->ncols - 1] = xstrdup(g, "Destinations");
	for (i = 0; i < json_object_array_length(nss); i++) {
		ns = json_object_array_get_idx(nss, i);
		g->cols[i + 1] = xstrdup(g, report_str(ns, "name"));
		wls = report_get(ns, "workloads");
		for (j = 0; j < json_object_array_length(wls); j++) {
			w = json_object_array_get_idx(wls, j);
			self = node_get(g, report_str(w, "id"), N_WORKLOAD,
			    report_str(w, "name"), report_str(w, "kind"));
			if (self < 0)
				return;
			g->n[self].type = N_WORKLOAD;
			g->n[self].col = (int)i + 1;
			g->n[self].unselected = unselected(w);
		}
	}
	for (i = 0; i < json_object_array_length(nss); i++) {
		ns = json_object_array_get_idx(nss, i);
		wls = report_get(ns, "workloads");
		for (j = 0; j < json_object_array_length(wls); j++) {
			w = json_object_array_get_idx(wls, j);
			self = node_get(g, report_str(w, "id"), N_WORKLOAD,
			    "", "");
			if (self < 0)
				return;
			a = report_get(w, "egress");
			for (k = 0; k < json_object_array_length(a); k++) {
				json_object *fl = json_object_array_get_idx(a,
				    k);

				other = peer_node(g, report_get(fl, "peer"));
				if (other < 0)
					return;
				g->n[other].egress_target = true;
				edge_add(g, self, other, fl, 0);
			}
			a = report_get(w, "ingress");
			for (k = 0; k < json_object_array_length(a); k++) {
				json_object *fl = json_object_array_get_idx(a,
				    k);

				other = peer_node(g, report_get(fl, "peer"));
				if (other < 0)
					return;
				edge_add(g, other, self, fl, 1);
			}
		}
	}
	if (g->oom)
		return;
	/* Peers outside the scope go to their namespace's column if it is
	 * drawn, else next to the destinations; addresses to the sides. */
	for (i = 0; i < g->nn; i++) {
		struct node *n = &g->n[i];

		if (n->col >= 0)
			continue;
		col = -1;
		if (n->type == N_PEER_WORKLOAD) {
			for (c = 1; c < g->ncols - 1; c++)
				if (strncmp(n->id, g->cols[c],
				    strlen(g->cols[c])) == 0 &&
				    n->id[strlen(g->cols[c])] == '/')
					col = c;
			if (col < 0)
				col = g->ncols - 1;
		} else
			col = n->egress_target ? g->ncols - 1 : 0;
		n->col = col;
	}
	order_namespaces(g);
	for (c = 0; c < g->ncols; c++)
		g->group[c] = c;
	split_layers(g);
}

static void
graph_free(struct graph *g)
{
	size_t i;
	int k;

	for (i = 0; i < g->nn; i++) {
		free(g->n[i].id);
		free(g->n[i].line1);
		free(g->n[i].line2);
	}
	for (i = 0; i < g->ne; i++)
		for (k = 0; k < g->e[i].nports; k++)
			free(g->e[i].ports[k]);
	for (k = 0; g->cols != NULL && k < g->ngroups; k++)
		free(g->cols[k]);
	free(g->group);
	free(g->cols);
	free(g->colsize);
	free(g->n);
	free(g->e);
	json_object_put(g->ids);
	json_object_put(g->pairs);
	json_object_put(g->collapse);
	json_object_put(g->peer_ns);
}

/* With more than MAX_PEERS workloads outside the scope, count them per
 * namespace for one box each. Returns true when out of memory. */
static bool
collapse_peers(struct graph *g, json_object *m)
{
	static const char *const dirs[] = { "ingress", "egress" };
	json_object *nss = report_get(m, "namespaces"), *scope, *seen, *wls;
	json_object *w, *a, *p, *cnt;
	size_t i, j, k, d, n = 0;
	bool oom = false;

	scope = json_object_new_object();
	seen = json_object_new_object();
	if (scope == NULL || seen == NULL) {
		oom = true;
		goto out;
	}
	for (i = 0; i < json_object_array_length(nss); i++)
		json_object_object_add(scope, report_str(
		    json_object_array_get_idx(nss, i), "name"), NULL);
	for (i = 0; i < json_object_array_length(nss); i++) {
		wls = report_get(json_object_array_get_idx(nss, i),
		    "workloads");
		for (j = 0; j < json_object_array_length(wls); j++) {
			w = json_object_array_get_idx(wls, j);
			for (d = 0; d < 2; d++) {
				a = report_get(w, dirs[d]);
				for (k = 0; k < json_object_array_length(a);
				    k++) {
					p = report_get(json_object_array_get_idx(
					    a, k), "peer");
					if (strcmp(report_str(p, "type"),
					    "workload") != 0 ||
					    json_object_object_get_ex(scope,
					    report_str(p, "namespace"), NULL) ||
					    json_object_object_get_ex(seen,
					    report_str(p, "id"), NULL))
						continue;
					json_object_object_add(seen,
					    report_str(p, "id"), NULL);
					n++;
				}
			}
		}
	}
	if (n <= MAX_PEERS)
		goto out;
	if ((g->peer_ns = json_object_new_object()) == NULL) {
		oom = true;
		goto out;
	}
	json_object_object_foreach(seen, id, unused) {
		char ns[STORE_NAME_LEN];
		const char *slash = strchr(id, '/');

		(void)unused;
		snprintf(ns, sizeof(ns), "%.*s", slash ? (int)(slash - id) :
		    (int)strlen(id), id);
		if (json_object_object_get_ex(g->peer_ns, ns, &cnt))
			json_object_int_inc(cnt, 1);
		else
			json_object_object_add(g->peer_ns, ns,
			    json_object_new_int(1));
	}
out:
	json_object_put(scope);
	json_object_put(seen);
	return oom;
}

/* With more than MAX_ADDRS addresses, count them per class for one box
 * each. Returns true when out of memory. */
static bool
collapse_addresses(struct graph *g, json_object *m)
{
	json_object *a = report_get(m, "addresses"), *el, *cnt;
	const char *class;
	size_t i;

	if (json_object_array_length(a) <= MAX_ADDRS)
		return false;
	if ((g->collapse = json_object_new_object()) == NULL)
		return true;
	for (i = 0; i < json_object_array_length(a); i++) {
		el = json_object_array_get_idx(a, i);
		class = report_str(el, "class");
		if (json_object_object_get_ex(g->collapse, class, &cnt))
			json_object_int_inc(cnt, 1);
		else
			json_object_object_add(g->collapse, class,
			    json_object_new_int(1));
	}
	return false;
}

/* ---- the drawing ------------------------------------------------------ */

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
	g.oom = collapse_addresses(&g, m) ||
	    collapse_peers(&g, m);
	if (!g.oom)
		build(&g, m);
	if (!g.oom)
		layout(&g);
	if (g.oom) {
		graph_free(&g);
		return -ENOMEM;
	}
	for (c = 0; c < g.ncols; c++)
		if (g.colsize[c] > maxrows)
			maxrows = g.colsize[c];
	for (c = g.ncols - 1; c > 0 && g.colsize[c] == 0; c--)
		;
	width = col_x(&g, c) + BOX_W + PAD + 20;
	height = TOP + HEAD + maxrows * (BOX_H + ROW_GAP) + PAD + 10;
	if (g.nn == 0) {
		fprintf(f, "<p class=\"empty\">No traffic recorded: nothing to "
		    "draw.</p>\n");
		graph_free(&g);
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
				x2 = col_x(&g, k) + BOX_W + PAD;
				if (g.colsize[k] > rows)
					rows = g.colsize[k];
			}
		if (first < 0)
			continue;
		x = col_x(&g, first) - PAD;
		fprintf(f, "<rect class=\"col%s\" x=\"%.0f\" y=\"%d\" "
		    "width=\"%.0f\" height=\"%d\" rx=\"10\"/>",
		    g.group[c] > 0 && g.group[c] < g.ngroups - 1 ? " ns" : "", x,
		    TOP, x2 - x, HEAD + rows * (BOX_H + ROW_GAP) + PAD -
		    ROW_GAP + 6);
		fprintf(f, "<text class=\"coltitle\" x=\"%.0f\" y=\"%d\">%s",
		    x + PAD, TOP + 20, g.group[c] > 0 &&
		    g.group[c] < g.ngroups - 1 ? "namespace " : "");
		text_trunc(f, g.cols[g.group[c]], 28);
		fprintf(f, "</text>\n");
	}
	/* Allowed arrows first, denied ones on top; then the labels,
	 * denied ones placed first. */
	for (pass = 0; pass < 3; pass++)
		for (i = 0; i < g.ne; i++)
			if (edge_pass(&g.e[i]) == pass)
				draw_edge(&g, f, &g.e[i]);
	for (pass = 2; g.ne <= 80 && pass >= 0; pass--)
		for (i = 0; i < g.ne; i++)
			if (edge_pass(&g.e[i]) == pass)
				draw_label(&g, f, &g.e[i], &lab);
	for (i = 0; i < g.nn; i++)
		draw_node(f, &g.n[i], col_x(&g,
		    g.n[i].col), node_y(&g.n[i]));
	fprintf(f, "</svg>\n");
	graph_free(&g);
	return ferror(f) ? -EIO : 0;
}
