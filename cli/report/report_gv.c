/*
 * report_gv: the topology graph (report_graph.c) laid out and drawn by
 * Graphviz: the graph built with libcgraph in the graph's order (namespace
 * boxes as clusters, then nodes, then edges), laid out by dot left to
 * right with splines routed around the nodes, rendered to SVG by libgvc,
 * and that SVG made fit to sit inside the page (report_html.c).
 *
 * Only the dot layout and the core renderers are loaded, linked in (see
 * the Makefile): no plugin configuration is read, so text is measured by
 * Graphviz's own font metrics (Helvetica/Arial, which the page asks the
 * browser for) and not by the fonts of the machine. With the same input
 * the drawing is the same, byte for byte, everywhere Graphviz is the same
 * version.
 */
#include "cli/report/report.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cgraph.h>
#include <gvc.h>

extern gvplugin_library_t gvplugin_dot_layout_LTX_library;
extern gvplugin_library_t gvplugin_core_LTX_library;

static lt_symlist_t builtins[] = {
	{ "gvplugin_dot_layout_LTX_library", &gvplugin_dot_layout_LTX_library },
	{ "gvplugin_core_LTX_library", &gvplugin_core_LTX_library },
	{ NULL, NULL },
};

#define FONT "Helvetica,Arial,sans-serif"

/* Graphviz reports problems through agerr, which prints to stderr unless
 * told otherwise; this module prints nothing: a failed layout or render
 * is an error code for the caller. */
static int
quiet(char *msg)
{
	(void)msg;
	return 0;
}

/* cgraph takes char * where it means const char *. */
#define S(s) ((char *)(uintptr_t)(s))

static void
set(void *obj, const char *name, const char *value)
{
	agsafeset(obj, S(name), S(value), S(""));
}

/*
 * Object ids in the order names are made. cgraph's own discipline uses
 * the address of a name's interned copy as its id, and keeps subgraphs
 * in id order: the clusters would come out (and be laid out) in an order
 * that depends on where malloc put their names, which changes from run
 * to run. Here a name's id is 2 * (its position + 1), anonymous objects
 * (edges) get odd ids, both in creation order. Names stay cgraph's
 * interned strings (agstrdup): its writer takes them for such.
 */
struct ids {
	Agraph_t *g;
	char **names;		/* agstrdup'd; freed with the graph's strings */
	size_t n, cap;
	IDTYPE anon;
};

static void *
ids_open(Agraph_t *g, Agdisc_t *disc)
{
	struct ids *t = calloc(1, sizeof(*t));

	(void)disc;
	if (t != NULL)
		t->g = g;
	return t;
}

static long
ids_map(void *state, int objtype, char *str, IDTYPE *id, int createflag)
{
	struct ids *t = state;
	char **nv;
	size_t i;

	(void)objtype;
	if (str == NULL) {
		*id = 2 * t->anon++ + 1;
		return 1;
	}
	for (i = 0; i < t->n; i++)
		if (strcmp(t->names[i], str) == 0) {
			*id = 2 * ((IDTYPE)i + 1);
			return 1;
		}
	if (!createflag)
		return 0;
	if (t->n == t->cap) {
		nv = realloc(t->names, (t->cap ? t->cap * 2 : 64) *
		    sizeof(*nv));
		if (nv == NULL)
			return 0;
		t->names = nv;
		t->cap = t->cap ? t->cap * 2 : 64;
	}
	if ((t->names[t->n] = agstrdup(t->g, str)) == NULL)
		return 0;
	*id = 2 * (IDTYPE)++t->n;
	return 1;
}

static long
ids_alloc(void *state, int objtype, IDTYPE id)
{
	(void)state;
	(void)objtype;
	(void)id;
	return 0;
}

static void
ids_free(void *state, int objtype, IDTYPE id)
{
	(void)state;
	(void)objtype;
	(void)id;
}

static char *
ids_print(void *state, int objtype, IDTYPE id)
{
	struct ids *t = state;

	(void)objtype;
	if (id % 2 == 0 && id / 2 >= 1 && id / 2 <= t->n)
		return t->names[id / 2 - 1];
	return NULL;
}

static void
ids_close(void *state)
{
	struct ids *t = state;

	if (t != NULL)
		free(t->names);
	free(t);
}

static void
ids_register(void *state, int objtype, void *obj)
{
	(void)state;
	(void)objtype;
	(void)obj;
}

static Agiddisc_t ids_disc = {
	ids_open, ids_map, ids_alloc, ids_free, ids_print, ids_close,
	ids_register,
};

static Agdisc_t disc = { &AgMemDisc, &ids_disc, &AgIoDisc };

/* A text into a malloc'd string with report_html_esc; NULL on ENOMEM. */
static char *
esc(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (m == NULL)
		return NULL;
	report_html_esc(m, s);
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* An HTML-like label of Graphviz: its two lines, the second smaller. */
static int
set_label(Agraph_t *g, Agnode_t *n, const struct report_gnode *gn)
{
	char *l1 = esc(gn->line1 ? gn->line1 : ""), *l2 = esc(gn->line2 ?
	    gn->line2 : ""), *html = NULL, *h;
	int rc = -ENOMEM;

	if (l1 == NULL || l2 == NULL)
		goto out;
	if (asprintf(&html, "%s%s%s%s", l1, l2[0] ? "<br/><font "
	    "point-size=\"10\" color=\"#5f6368\">" : "", l2, l2[0] ?
	    "</font>" : "") < 0) {
		html = NULL;
		goto out;
	}
	if ((h = agstrdup_html(g, html)) == NULL)
		goto out;
	set(n, "label", h);
	agstrfree(g, h);
	rc = 0;
out:
	free(l1);
	free(l2);
	free(html);
	return rc;
}

static void
cluster_attrs(Agraph_t *c, const char *ns, bool in_scope, size_t i)
{
	char buf[600], id[24];

	snprintf(id, sizeof(id), "c%zu", i + 1);
	snprintf(buf, sizeof(buf), "namespace %s", ns);
	set(c, "id", id);
	set(c, "label", buf);
	set(c, "style", "rounded,filled");
	set(c, "fillcolor", in_scope ? "#f1f5fe" : "#f8f9fa");
	set(c, "color", in_scope ? "#c6dafc" : "#dadce0");
	set(c, "fontcolor", "#3c4043");
	set(c, "fontname", FONT);
	set(c, "fontsize", "12");
	set(c, "labeljust", "l");
	set(c, "margin", "12");
}

static int
node_attrs(Agraph_t *g, Agnode_t *n, const struct report_gnode *gn)
{
	char cls[64];

	snprintf(cls, sizeof(cls), "%s%s%s", report_gnode_kind_name(gn->kind),
	    gn->denied ? " denied" : "", gn->unselected ? " unselected" : "");
	set(n, "id", gn->id);
	set(n, "class", cls);
	set(n, "fillcolor", report_gnode_fill(gn->kind));
	set(n, "color", gn->denied ? REPORT_COLOR_DENIED :
	    report_gnode_stroke(gn->kind));
	set(n, "penwidth", gn->denied ? "2.2" : "1.2");
	set(n, "style", gn->unselected ? "rounded,filled,dashed" :
	    "rounded,filled");
	return set_label(g, n, gn);
}

static void
edge_attrs(Agedge_t *e, const struct report_gedge *ge)
{
	const char *v = report_verdict_name(ge->verdict);
	char pw[16];

	/* 1 for one connection, 2 for a hundred, 3.2 at ten thousand. */
	snprintf(pw, sizeof(pw), "%.1f", 0.8 + fmin(2.4,
	    0.6 * log10((double)ge->count + 1)));
	set(e, "id", ge->id);
	set(e, "class", v[0] ? v : "recorded");
	set(e, "color", report_gedge_color(ge->verdict));
	set(e, "fontcolor", ge->verdict == REPORT_VERDICT_DENIED ?
	    REPORT_COLOR_DENIED : "#3c4043");
	set(e, "penwidth", pw);
	set(e, "label", ge->label);
	if (ge->verdict == REPORT_VERDICT_UNRESOLVED)
		set(e, "style", "dashed");
	/* Out of the client's right side, into the server's left: dot
	 * otherwise lets an edge whose label sits far up or down leave
	 * through the top or bottom of its box, across the box stacked
	 * next to it (seen with 2.42). */
	if (ge->src != ge->dst) {
		set(e, "tailport", "e");
		set(e, "headport", "w");
	}
}

/* The cgraph graph of g; NULL on ENOMEM. */
static Agraph_t *
to_cgraph(const struct report_graph *g)
{
	Agraph_t *ag, **sub = NULL;
	Agnode_t **nodes = NULL;
	Agedge_t *e;
	const struct report_gnode *gn;
	char name[32];
	size_t i, c;
	bool ok = false;

	agseterrf(quiet);
	if ((ag = agopen(S("topology"), Agdirected, &disc)) == NULL)
		return NULL;
	if ((sub = calloc(g->nclusters + 1, sizeof(*sub))) == NULL ||
	    (nodes = calloc(g->nnodes + 1, sizeof(*nodes))) == NULL)
		goto out;
	set(ag, "rankdir", "LR");
	set(ag, "splines", "true");
	/* One ranking over the whole graph, clusters included: the default
	 * ranks each cluster on its own, and with arrows between clusters
	 * both ways dot 2.42 fails ("trouble in init_rank") and loses or
	 * crosses edges. */
	set(ag, "newrank", "true");
	set(ag, "nodesep", "0.12");
	set(ag, "ranksep", "0.7");
	set(ag, "outputorder", "edgesfirst");
	set(ag, "bgcolor", "transparent");
	set(ag, "pad", "0.2");
	agattr(ag, AGNODE, S("shape"), S("box"));
	agattr(ag, AGNODE, S("fontname"), S(FONT));
	agattr(ag, AGNODE, S("fontsize"), S("12"));
	agattr(ag, AGNODE, S("fontcolor"), S("#202124"));
	agattr(ag, AGNODE, S("margin"), S("0.14,0.05"));
	agattr(ag, AGNODE, S("height"), S("0.45"));
	agattr(ag, AGEDGE, S("fontname"), S(FONT));
	agattr(ag, AGEDGE, S("fontsize"), S("10"));
	agattr(ag, AGEDGE, S("arrowsize"), S("0.7"));
	for (c = 0; c < g->nclusters; c++) {
		snprintf(name, sizeof(name), "cluster_%zu", c + 1);
		if ((sub[c] = agsubg(ag, name, 1)) == NULL)
			goto out;
		cluster_attrs(sub[c], g->clusters[c], g->cluster_in_scope[c],
		    c);
	}
	for (i = 0; i < g->nnodes; i++) {
		gn = &g->nodes[i];
		if (gn->isolated)
			continue;
		for (c = 0; gn->cluster != NULL && c < g->nclusters; c++)
			if (g->clusters[c] == gn->cluster)
				break;
		nodes[i] = agnode(gn->cluster != NULL && c < g->nclusters ?
		    sub[c] : ag, gn->name, 1);
		if (nodes[i] == NULL || node_attrs(ag, nodes[i], gn) != 0)
			goto out;
	}
	for (i = 0; i < g->nedges; i++) {
		if ((e = agedge(ag, nodes[g->edges[i].src],
		    nodes[g->edges[i].dst], NULL, 1)) == NULL)
			goto out;
		edge_attrs(e, &g->edges[i]);
	}
	ok = true;
out:
	free(sub);
	free(nodes);
	if (!ok) {
		agclose(ag);
		return NULL;
	}
	return ag;
}

int
report_gv_dot(FILE *f, const struct report_graph *g)
{
	Agraph_t *ag;
	int rc;

	if ((ag = to_cgraph(g)) == NULL)
		return -ENOMEM;
	rc = agwrite(ag, f) == 0 ? 0 : -EIO;
	agclose(ag);
	return rc != 0 || ferror(f) ? -EIO : 0;
}

/* ---- the SVG, made fit for the page -------------------------------------- */

/* The title of the element id ("n3", "e7", "c2") for people; false when
 * it has none. */
static bool
title(FILE *f, const struct report_graph *g, const char *id)
{
	const struct report_gnode *n;
	const struct report_gedge *e;
	char *end;
	size_t i, k;

	if (id[0] == '\0')
		return false;
	i = (size_t)strtoul(id + 1, &end, 10);
	if (*end != '\0' || i == 0)
		return false;
	i--;
	if (id[0] == 'n' && i < g->nnodes) {
		n = &g->nodes[i];
		fputs("<title>", f);
		report_html_esc(f, n->name);
		for (k = 0; k < n->addresses.n && k < 8 &&
		    (n->addresses.n > 1 || strcmp(n->addresses.v[0],
		    n->name) != 0); k++) {
			fputs(k == 0 ? ": " : ", ", f);
			report_html_esc(f, n->addresses.v[k]);
		}
		if (n->addresses.n > 8)
			fprintf(f, " and %zu more", n->addresses.n - 8);
		if (n->kind <= REPORT_GNODE_NAMESPACE && n->line2 != NULL) {
			fputs(" (", f);
			report_html_esc(f, n->line2);
			fputs(")", f);
		} else if (n->kind > REPORT_GNODE_NAMESPACE)
			fprintf(f, " (%s)", report_gnode_kind_name(n->kind));
		if (n->unselected)
			fputs("; no policy selects it in a direction", f);
		fputs("</title>", f);
	} else if (id[0] == 'e' && i < g->nedges) {
		e = &g->edges[i];
		fputs("<title>", f);
		report_html_esc(f, g->nodes[e->src].name);
		fputs(" \xe2\x86\x92 ", f);
		report_html_esc(f, g->nodes[e->dst].name);
		fputs(": ", f);
		report_html_esc(f, e->ports);
		fprintf(f, " (%lld connection%s%s)", (long long)e->count,
		    e->count == 1 ? "" : "s", e->verdict ==
		    REPORT_VERDICT_DENIED ? "; denied by the policies" :
		    e->verdict == REPORT_VERDICT_UNRESOLVED ? "; unresolved" :
		    "");
		fputs("</title>", f);
	} else if (id[0] == 'c' && i < g->nclusters) {
		fputs("<title>namespace ", f);
		report_html_esc(f, g->clusters[i]);
		fputs(g->cluster_in_scope[i] ? "" : " (outside the scope)", f);
		fputs("</title>", f);
	} else
		return false;
	return true;
}

/* The value of attribute name in the tag [p, end), into buf. */
static bool
attr(const char *p, const char *end, const char *name, char *buf,
    size_t len)
{
	size_t nlen = strlen(name), n;
	const char *q, *v;

	for (q = p; q + nlen + 2 < end; q++) {
		if (q[-1] != ' ' || strncmp(q, name, nlen) != 0 ||
		    q[nlen] != '=' || q[nlen + 1] != '"')
			continue;
		v = q + nlen + 2;
		for (n = 0; v + n < end && v[n] != '"'; n++)
			;
		if (n >= len)
			return false;
		memcpy(buf, v, n);
		buf[n] = '\0';
		return true;
	}
	return false;
}

/*
 * Copy Graphviz's SVG to f without its XML prolog, doctype and comments,
 * the <svg> element ours (no size: the page scales it), and each <title>
 * replaced by ours (Graphviz's are its internal names).
 */
static void
svg_copy(FILE *f, const struct report_graph *g, const char *s, size_t len)
{
	const char *end = s + len, *p = s, *q;
	char id[32] = "", vb[128];

	while (p < end) {
		if (*p != '<') {
			q = memchr(p, '<', (size_t)(end - p));
			q = q != NULL ? q : end;
			/* Text between tags: keep it unless it is the
			 * whitespace after something dropped at the top. */
			fwrite(p, 1, (size_t)(q - p), f);
			p = q;
			continue;
		}
		if (strncmp(p, "<?", 2) == 0 ||
		    strncmp(p, "<!DOCTYPE", 9) == 0) {
			q = memchr(p, '>', (size_t)(end - p));
			p = q != NULL ? q + 1 : end;
			while (p < end && *p == '\n')
				p++;
			continue;
		}
		if (strncmp(p, "<!--", 4) == 0) {
			q = memmem(p, (size_t)(end - p), "-->", 3);
			p = q != NULL ? q + 3 : end;
			while (p < end && *p == '\n')
				p++;
			continue;
		}
		q = memchr(p, '>', (size_t)(end - p));
		q = q != NULL ? q + 1 : end;
		if (strncmp(p, "<svg ", 5) == 0) {
			fputs("<svg id=\"topology\" xmlns=\"http://www.w3.org/"
			    "2000/svg\"", f);
			if (attr(p, q, "viewBox", vb, sizeof(vb))) {
				fputs(" viewBox=\"", f);
				report_html_esc(f, vb);
				fputs("\"", f);
			}
			fputs(" role=\"img\" aria-label=\"topology of the "
			    "recorded traffic\">", f);
		} else if (strncmp(p, "<title>", 7) == 0) {
			q = memmem(p, (size_t)(end - p), "</title>", 8);
			q = q != NULL ? q + 8 : end;
			/* The graph's own title goes with its line. */
			if (!title(f, g, id) && q < end && *q == '\n')
				q++;
			id[0] = '\0';
		} else {
			if (strncmp(p, "<g ", 3) == 0 &&
			    !attr(p, q, "id", id, sizeof(id)))
				id[0] = '\0';
			fwrite(p, 1, (size_t)(q - p), f);
		}
		p = q;
	}
}

int
report_gv_svg(FILE *f, const struct report_graph *g)
{
	GVC_t *gvc = NULL;
	Agraph_t *ag = NULL;
	char *svg = NULL;
	unsigned int len = 0;
	int rc = -EPROTO;

	if ((ag = to_cgraph(g)) == NULL)
		return -ENOMEM;
	if ((gvc = gvContextPlugins(builtins, 0)) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if (gvLayout(gvc, ag, "dot") != 0)
		goto out;
	if (gvRenderData(gvc, ag, "svg", &svg, &len) == 0 && svg != NULL) {
		svg_copy(f, g, svg, len);
		rc = ferror(f) ? -EIO : 0;
	}
	gvFreeRenderData(svg);
	gvFreeLayout(gvc, ag);
out:
	agclose(ag);
	if (gvc != NULL)
		gvFreeContext(gvc);
	return rc;
}

int
report_render_dot(FILE *f, const struct report_view *v,
    const struct report_render_opts *o)
{
	struct report_graph *g = NULL;
	int rc;

	if ((rc = report_graph_build(v, o->graph, &g)) != 0)
		return rc;
	rc = report_gv_dot(f, g);
	report_graph_free(g);
	return rc;
}
