/*
 * report_svg_layout: the columns and rows of the boxes and their
 * coordinates (report_svg.c tells the layering).
 */
#include <stdlib.h>
#include <string.h>

#include "cli/report/report_svg_int.h"

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

void
report_svg_order_namespaces(struct graph *g)
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
void
report_svg_split_layers(struct graph *g)
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
void
report_svg_layout(struct graph *g)
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
double
report_svg_col_x(const struct graph *g, int col)
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

double
report_svg_node_y(const struct node *n)
{
	return TOP + HEAD + n->row * (BOX_H + ROW_GAP);
}
