/*
 * test_report_graph: the topology graph built from a report model
 * (report_graph.c: nodes, clusters, edges, labels, colours, the modes and
 * their limits) and its Graphviz output (report_gv.c: DOT that dot
 * parses, SVG fit for the page, the same bytes every time).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/report/report.h"
#include "lib/file.h"

#define FIXTURE "tests/fixtures/report/graph.json"

static struct report_view *
view_of(json_object *m)
{
	struct report_view *v;

	assert_non_null(m);
	assert_int_equal(report_view_new(m, &v), 0);
	json_object_put(m);
	return v;
}

static struct report_view *
fixture(void)
{
	char *buf;
	size_t len;
	json_object *m;

	assert_int_equal(file_read(FIXTURE, FILE_MAX_DEFAULT, &buf, &len), 0);
	m = json_tokener_parse(buf);
	free(buf);
	return view_of(m);
}

static const struct report_gnode *
node(const struct report_graph *g, const char *name)
{
	size_t i;

	for (i = 0; i < g->nnodes; i++)
		if (strcmp(g->nodes[i].name, name) == 0)
			return &g->nodes[i];
	fail_msg("no node %s", name);
	return NULL;
}

static const struct report_gedge *
edge(const struct report_graph *g, const char *src, const char *dst)
{
	size_t i;

	for (i = 0; i < g->nedges; i++)
		if (strcmp(g->nodes[g->edges[i].src].name, src) == 0 &&
		    strcmp(g->nodes[g->edges[i].dst].name, dst) == 0)
			return &g->edges[i];
	fail_msg("no edge %s -> %s", src, dst);
	return NULL;
}

static void
test_workloads(void **state)
{
	struct report_view *v = fixture();
	struct report_graph *g;
	const struct report_gnode *n;
	const struct report_gedge *e;

	(void)state;
	assert_int_equal(report_graph_build(v, REPORT_GRAPH_AUTO, &g), 0);
	assert_int_equal(g->mode, REPORT_GRAPH_WORKLOADS);
	assert_false(g->too_big);
	/* The subjects first, in the model's order; then the address
	 * groups in the addresses' order; then peers as the flows name
	 * them. */
	assert_int_equal(g->nnodes, 9);
	assert_string_equal(g->nodes[0].name, "shop/Deployment/api");
	assert_string_equal(g->nodes[0].id, "n1");
	assert_string_equal(g->nodes[0].line1, "api");
	assert_string_equal(g->nodes[0].line2, "Deployment");
	assert_string_equal(g->nodes[3].name, "shop/Pod/idle");
	assert_true(g->nodes[3].isolated);
	assert_string_equal(g->nodes[4].name, "nodes");
	assert_int_equal(g->nodes[4].kind, REPORT_GNODE_NODE);
	assert_int_equal(g->nodes[4].addresses.n, 2);
	assert_string_equal(g->nodes[4].line2, "2 addresses \xc2\xb7 node");
	/* A DNS name is a group of its own, without its final dot. */
	n = node(g, "cdn.example.org");
	assert_int_equal(n->kind, REPORT_GNODE_EXTERNAL);
	assert_string_equal(n->line2, "198.51.100.7 \xc2\xb7 external");
	/* An address with nothing to name it stands alone. */
	n = node(g, "198.51.100.8");
	assert_string_equal(n->line2, "external");
	/* Both addresses under the KnownServer are one node, whether or
	 * not a DNS name was seen. */
	n = node(g, "pay.example.com");
	assert_int_equal(n->members, 2);
	assert_string_equal(n->addresses.v[1], "203.0.113.11");
	assert_true(n->denied);
	/* Clusters: the scope's namespace, then the peer's. */
	assert_int_equal(g->nclusters, 2);
	assert_string_equal(g->clusters[0], "shop");
	assert_true(g->cluster_in_scope[0]);
	assert_string_equal(g->clusters[1], "kube-system");
	assert_false(g->cluster_in_scope[1]);
	n = node(g, "kube-system/Deployment/coredns");
	assert_int_equal(n->kind, REPORT_GNODE_PEER);
	assert_ptr_equal(n->cluster, g->clusters[1]);
	assert_null(n->workload);
	assert_ptr_equal(node(g, "shop/StatefulSet/db")->cluster,
	    g->clusters[0]);
	/* Flags: db has no ingress policy; api and db are the ends of a
	 * denied flow. */
	assert_true(node(g, "shop/StatefulSet/db")->unselected);
	assert_false(node(g, "shop/Deployment/web")->unselected);
	assert_true(node(g, "shop/Deployment/api")->denied);
	assert_false(node(g, "shop/Deployment/web")->denied);

	/* One edge per (client, server): web -> api from both ends. */
	assert_int_equal(g->nedges, 7);
	e = edge(g, "shop/Deployment/web", "shop/Deployment/api");
	assert_string_equal(e->id, "e1");
	assert_string_equal(e->label, "TCP/8080, TCP/9090");
	assert_int_equal(e->count, 127);	/* the larger end: 120 + 7 */
	assert_int_equal(e->nflows, 3);
	assert_int_equal(e->verdict, REPORT_VERDICT_ALLOWED);
	assert_string_equal(report_gedge_color(e->verdict), "#80868b");
	e = edge(g, "nodes", "shop/Deployment/api");
	assert_int_equal(e->count, 1900);
	e = edge(g, "shop/Deployment/api", "shop/StatefulSet/db");
	assert_int_equal(e->count, 44);
	assert_int_equal(e->verdict, REPORT_VERDICT_DENIED);
	assert_string_equal(report_gedge_color(e->verdict),
	    REPORT_COLOR_DENIED);
	e = edge(g, "shop/Deployment/api", "kube-system/Deployment/coredns");
	assert_string_equal(e->label, "UDP/53, TCP/53");
	/* The worst verdict of the pair's flows wins. */
	e = edge(g, "shop/Deployment/api", "pay.example.com");
	assert_int_equal(e->verdict, REPORT_VERDICT_DENIED);
	assert_int_equal(e->count, 20);
	assert_string_equal(edge(g, "shop/Deployment/api",
	    "198.51.100.8")->label, "ICMP");
	/* Each flow and each denial knows its edge. */
	assert_int_equal(v->nflows, 13);
	assert_int_equal(g->flow_edge[0], 0);	/* api's ingress from web */
	assert_int_equal(g->flow_edge[10], 2);	/* db's ingress from api */
	assert_int_equal(g->flow_edge[12], 0);	/* web's egress to api */
	assert_string_equal(g->edges[g->denial_edge[0]].id, "e3");
	assert_ptr_equal(&g->edges[g->denial_edge[1]], edge(g,
	    "shop/Deployment/api", "pay.example.com"));
	/* What is not drawn is said. */
	assert_int_equal(g->notes.n, 1);
	assert_string_equal(g->notes.v[0], "shop/Pod/idle recorded no "
	    "traffic: it is not drawn");
	/* Our colours, one per kind. */
	assert_string_equal(report_gnode_fill(REPORT_GNODE_WORKLOAD),
	    "#e8f0fe");
	assert_string_equal(report_gnode_stroke(REPORT_GNODE_EXTERNAL),
	    "#e37400");
	assert_string_equal(report_gnode_kind_name(REPORT_GNODE_PEER), "peer");
	report_graph_free(g);
	report_view_free(v);
}

static void
test_namespaces(void **state)
{
	struct report_view *v = fixture();
	struct report_graph *g;
	const struct report_gnode *n;
	const struct report_gedge *e;

	(void)state;
	assert_int_equal(report_graph_build(v, REPORT_GRAPH_NAMESPACES, &g), 0);
	assert_int_equal(g->mode, REPORT_GRAPH_NAMESPACES);
	assert_int_equal(g->nclusters, 0);
	n = node(g, "namespace shop");
	assert_int_equal(n->kind, REPORT_GNODE_NAMESPACE);
	assert_int_equal(n->members, 4);
	assert_string_equal(n->line2, "4 workloads");
	assert_true(n->unselected);	/* db */
	n = node(g, "namespace kube-system");
	assert_int_equal(n->kind, REPORT_GNODE_PEER);
	assert_string_equal(n->line2, "outside the scope");
	/* Edges added up per pair of namespaces: web -> api and api -> db
	 * are one loop. */
	assert_int_equal(g->nedges, 6);
	e = edge(g, "namespace shop", "namespace shop");
	assert_string_equal(e->label, "TCP/8080, TCP/5432, TCP/9090");
	/* The larger of the two ends: 127 + 40 seen by the clients. */
	assert_int_equal(e->count, 167);
	assert_int_equal(e->verdict, REPORT_VERDICT_DENIED);
	assert_string_equal(g->edges[g->denial_edge[0]].id, e->id);
	assert_int_equal(g->notes.n, 0);
	report_graph_free(g);
	report_view_free(v);
}

/* A model of nws workloads in one namespace, each calling the next, and
 * naddr external addresses called by the first. */
static struct report_view *
generated(size_t nws, size_t naddr)
{
	json_object *m = json_object_new_object(), *nss, *ns, *wls, *w;
	json_object *eg, *fl, *peer, *addrs, *a;
	char id[64], name[32], ip[32];
	size_t i;

	nss = json_object_new_array();
	ns = json_object_new_object();
	wls = json_object_new_array();
	addrs = json_object_new_array();
	for (i = 0; i < nws; i++) {
		w = json_object_new_object();
		snprintf(name, sizeof(name), "w%zu", i);
		snprintf(id, sizeof(id), "big/Deployment/w%zu", i);
		json_object_object_add(w, "id", json_object_new_string(id));
		json_object_object_add(w, "namespace",
		    json_object_new_string("big"));
		json_object_object_add(w, "kind",
		    json_object_new_string("Deployment"));
		json_object_object_add(w, "name", json_object_new_string(name));
		eg = json_object_new_array();
		peer = json_object_new_object();
		snprintf(id, sizeof(id), "big/Deployment/w%zu", (i + 1) % nws);
		json_object_object_add(peer, "type",
		    json_object_new_string("workload"));
		json_object_object_add(peer, "namespace",
		    json_object_new_string("big"));
		json_object_object_add(peer, "id", json_object_new_string(id));
		fl = json_object_new_object();
		json_object_object_add(fl, "peer", peer);
		json_object_object_add(fl, "protocol",
		    json_object_new_string("TCP"));
		json_object_object_add(fl, "port", json_object_new_int(80));
		json_object_object_add(fl, "count", json_object_new_int(1));
		json_object_array_add(eg, fl);
		json_object_object_add(w, "egress", eg);
		json_object_array_add(wls, w);
	}
	eg = json_object_object_get(json_object_array_get_idx(wls, 0),
	    "egress");
	for (i = 0; i < naddr; i++) {
		snprintf(ip, sizeof(ip), "203.0.113.%zu", i + 1);
		peer = json_object_new_object();
		json_object_object_add(peer, "type",
		    json_object_new_string("address"));
		json_object_object_add(peer, "address",
		    json_object_new_string(ip));
		json_object_object_add(peer, "class",
		    json_object_new_string("external"));
		fl = json_object_new_object();
		json_object_object_add(fl, "peer", peer);
		json_object_object_add(fl, "protocol",
		    json_object_new_string("TCP"));
		json_object_object_add(fl, "port", json_object_new_int(443));
		json_object_array_add(eg, fl);
		a = json_object_new_object();
		json_object_object_add(a, "type",
		    json_object_new_string("address"));
		json_object_object_add(a, "address", json_object_new_string(ip));
		json_object_object_add(a, "class",
		    json_object_new_string("external"));
		json_object_array_add(addrs, a);
	}
	json_object_object_add(ns, "name", json_object_new_string("big"));
	json_object_object_add(ns, "workloads", wls);
	json_object_array_add(nss, ns);
	json_object_object_add(m, "namespaces", nss);
	json_object_object_add(m, "addresses", addrs);
	return view_of(m);
}

static void
test_limits(void **state)
{
	struct report_view *v;
	struct report_graph *g;

	(void)state;
	/* 41 lone addresses: one box for the class, said in a note. */
	v = generated(3, REPORT_GRAPH_MAX_ADDRESSES + 1);
	assert_int_equal(report_graph_build(v, REPORT_GRAPH_AUTO, &g), 0);
	assert_int_equal(g->nnodes, 4);
	assert_string_equal(node(g, "external addresses")->line2,
	    "41 addresses \xc2\xb7 external");
	assert_int_equal(g->notes.n, 1);
	assert_non_null(strstr(g->notes.v[0], "41 addresses and groups of "
	    "addresses are more than 40"));
	report_graph_free(g);
	report_view_free(v);
	/* 40 are drawn one by one. */
	v = generated(3, REPORT_GRAPH_MAX_ADDRESSES);
	assert_int_equal(report_graph_build(v, REPORT_GRAPH_AUTO, &g), 0);
	assert_int_equal(g->nnodes, 3 + REPORT_GRAPH_MAX_ADDRESSES);
	report_graph_free(g);
	report_view_free(v);

	/* 50 workloads stay workloads; 51 become namespaces unless asked. */
	v = generated(REPORT_GRAPH_MAX_WORKLOADS, 0);
	assert_int_equal(report_graph_build(v, REPORT_GRAPH_AUTO, &g), 0);
	assert_int_equal(g->mode, REPORT_GRAPH_WORKLOADS);
	report_graph_free(g);
	report_view_free(v);
	v = generated(REPORT_GRAPH_MAX_WORKLOADS + 1, 0);
	assert_int_equal(report_graph_build(v, REPORT_GRAPH_AUTO, &g), 0);
	assert_int_equal(g->mode, REPORT_GRAPH_NAMESPACES);
	assert_int_equal(g->nnodes, 1);
	assert_int_equal(g->nedges, 1);
	assert_int_equal(g->notes.n, 1);
	assert_non_null(strstr(g->notes.v[0], "51 workloads with 51 arrows"));
	assert_non_null(strstr(g->notes.v[0], "--graph workloads"));
	report_graph_free(g);
	assert_int_equal(report_graph_build(v, REPORT_GRAPH_WORKLOADS, &g), 0);
	assert_int_equal(g->mode, REPORT_GRAPH_WORKLOADS);
	assert_int_equal(g->nnodes, REPORT_GRAPH_MAX_WORKLOADS + 1);
	assert_int_equal(g->notes.n, 0);
	report_graph_free(g);
	report_view_free(v);
	/* Past the layout limits nothing is laid out, whatever the mode. */
	v = generated(REPORT_GRAPH_LIMIT_NODES + 1, 0);
	assert_int_equal(report_graph_build(v, REPORT_GRAPH_WORKLOADS, &g), 0);
	assert_true(g->too_big);
	assert_non_null(strstr(g->notes.v[g->notes.n - 1], "too many to lay "
	    "out"));
	report_graph_free(g);
	report_view_free(v);
}

static char *
capture(int (*fn)(FILE *, const struct report_graph *),
    const struct report_graph *g)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	assert_non_null(f = open_memstream(&buf, &len));
	assert_int_equal(fn(f, g), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void
test_dot(void **state)
{
	struct report_view *v = fixture();
	struct report_graph *g;
	char path[] = "/tmp/test_report_graph.XXXXXX", cmd[256], *dot;
	int fd;
	FILE *f;

	(void)state;
	assert_int_equal(report_graph_build(v, REPORT_GRAPH_AUTO, &g), 0);
	dot = capture(report_gv_dot, g);
	assert_true(strncmp(dot, "digraph topology {", 18) == 0);
	assert_non_null(strstr(dot, "subgraph cluster_1 {"));
	assert_non_null(strstr(dot, "label=\"namespace shop\""));
	/* Out of the client's right side into the server's left. */
	assert_non_null(strstr(dot, "\"shop/Deployment/web\":e -> "
	    "\"shop/Deployment/api\":w"));
	assert_non_null(strstr(dot, "label=\"TCP/8080, TCP/9090\""));
	assert_non_null(strstr(dot, "color=\"#d32f2f\""));
	/* The node with no traffic is not in the drawing. */
	assert_null(strstr(dot, "shop/Pod/idle"));
	/* Graphviz's own dot reads it back. */
	assert_true((fd = mkstemp(path)) >= 0);
	assert_non_null(f = fdopen(fd, "w"));
	fputs(dot, f);
	assert_int_equal(fclose(f), 0);
	snprintf(cmd, sizeof(cmd), "dot -Tsvg %s -o /dev/null 2>&1", path);
	assert_int_equal(system(cmd), 0);
	unlink(path);
	free(dot);
	report_graph_free(g);
	report_view_free(v);
}

static void
test_svg(void **state)
{
	struct report_view *v = fixture();
	struct report_graph *g;
	char *svg, *again;

	(void)state;
	assert_int_equal(report_graph_build(v, REPORT_GRAPH_AUTO, &g), 0);
	svg = capture(report_gv_svg, g);
	assert_non_null(strstr(svg, "<svg id=\"topology\" xmlns=\"http://www."
	    "w3.org/2000/svg\" viewBox=\""));
	assert_ptr_equal(strstr(svg, "<svg"), svg);
	/* Nodes and edges as Graphviz writes them, with our ids and
	 * classes. */
	assert_non_null(strstr(svg, "<g id=\"n1\" class=\"node workload "
	    "denied\">\n<title>shop/Deployment/api (Deployment)</title>"));
	assert_non_null(strstr(svg, "<g id=\"n2\" class=\"node workload "
	    "denied unselected\">"));
	assert_non_null(strstr(svg, "<g id=\"e1\" class=\"edge allowed\">\n"
	    "<title>shop/Deployment/web \xe2\x86\x92 shop/Deployment/api: "
	    "TCP/8080, TCP/9090 (127 connections)</title>"));
	assert_non_null(strstr(svg, "<g id=\"e3\" class=\"edge denied\">"));
	assert_non_null(strstr(svg, "<title>pay.example.com: 203.0.113.10, "
	    "203.0.113.11 (external)</title>"));
	assert_non_null(strstr(svg, "<title>198.51.100.8 (external)</title>"));
	assert_non_null(strstr(svg, "<g id=\"c1\" class=\"cluster\">\n"
	    "<title>namespace shop</title>"));
	assert_non_null(strstr(svg, "(outside the scope)</title>"));
	assert_non_null(strstr(svg, "stroke=\"#d32f2f\""));
	/* Nothing of Graphviz's own: no prolog, doctype, comments,
	 * internal names or outside references. */
	assert_null(strstr(svg, "<?xml"));
	assert_null(strstr(svg, "DOCTYPE"));
	assert_null(strstr(svg, "<!--"));
	assert_null(strstr(svg, "xlink"));
	assert_null(strstr(svg, "cluster_"));
	assert_null(strstr(svg, "<title>topology</title>"));
	assert_null(strstr(svg, "shop/Pod/idle"));
	assert_non_null(strstr(svg, "</svg>"));
	/* The same graph gives the same bytes. */
	again = capture(report_gv_svg, g);
	assert_string_equal(svg, again);
	free(again);
	free(svg);
	report_graph_free(g);
	report_view_free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_workloads),
		cmocka_unit_test(test_namespaces),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_dot),
		cmocka_unit_test(test_svg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
