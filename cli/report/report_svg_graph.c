/*
 * report_svg_graph: the report model as a graph. Every workload and every
 * peer is a box, every (source, destination) pair an arrow carrying its
 * ports, counts and worst verdict; past MAX_ADDRS addresses or MAX_PEERS
 * workloads outside the scope, boxes stand for a whole class or
 * namespace.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/report/report_svg_int.h"
#include "lib/store.h"

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

void
report_svg_build(struct graph *g, json_object *m)
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
	report_svg_order_namespaces(g);
	for (c = 0; c < g->ncols; c++)
		g->group[c] = c;
	report_svg_split_layers(g);
}

void
report_svg_graph_free(struct graph *g)
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
bool
report_svg_collapse_peers(struct graph *g, json_object *m)
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
bool
report_svg_collapse_addresses(struct graph *g, json_object *m)
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
