/*
 * report_graph: the topology graph of a report, built from its view (see
 * report.h). Pure: no I/O, no Graphviz; report_gv.c lays it out.
 *
 * Everything is built in the view's order (namespaces, workloads, their
 * flows; addresses sorted), so that the same report gives the same graph
 * and Graphviz, which is deterministic for the same input, the same
 * drawing.
 */
#include "cli/report/report.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- our colours --------------------------------------------------------- */

static const struct {
	const char *name, *fill, *stroke;
} kinds[REPORT_GNODE_NKINDS] = {
	[REPORT_GNODE_WORKLOAD] = { "workload", "#e8f0fe", "#1a73e8" },
	[REPORT_GNODE_PEER] = { "peer", "#f1f3f4", "#5f6368" },
	[REPORT_GNODE_NAMESPACE] = { "namespace", "#d2e3fc", "#1a73e8" },
	[REPORT_GNODE_EXTERNAL] = { "external", "#fef7e0", "#e37400" },
	[REPORT_GNODE_INTERNAL] = { "internal", "#e6f4ea", "#188038" },
	[REPORT_GNODE_NODE] = { "node", "#eceff1", "#455a64" },
	[REPORT_GNODE_UNKNOWN] = { "unknown", "#f3e8fd", "#9334e6" },
};

static const char *const edge_colors[] = {
	[REPORT_VERDICT_NONE] = "#6b7c93",
	[REPORT_VERDICT_ALLOWED] = "#80868b",
	[REPORT_VERDICT_DENIED] = REPORT_COLOR_DENIED,
	[REPORT_VERDICT_UNRESOLVED] = "#e37400",
};

const char *
report_gnode_fill(enum report_gnode_kind k)
{
	return (size_t)k < REPORT_GNODE_NKINDS ? kinds[k].fill : "#ffffff";
}

const char *
report_gnode_stroke(enum report_gnode_kind k)
{
	return (size_t)k < REPORT_GNODE_NKINDS ? kinds[k].stroke : "#000000";
}

const char *
report_gnode_kind_name(enum report_gnode_kind k)
{
	return (size_t)k < REPORT_GNODE_NKINDS ? kinds[k].name : "";
}

const char *
report_gedge_color(enum report_verdict vd)
{
	return (size_t)vd < sizeof(edge_colors) / sizeof(edge_colors[0]) ?
	    edge_colors[vd] : edge_colors[REPORT_VERDICT_NONE];
}

/* ---- building ------------------------------------------------------------ */

/* How bad a verdict is, to keep the worst of an edge's flows. */
static int
verdict_rank(enum report_verdict vd)
{
	switch (vd) {
	case REPORT_VERDICT_DENIED: return 3;
	case REPORT_VERDICT_UNRESOLVED: return 2;
	case REPORT_VERDICT_ALLOWED: return 1;
	default: return 0;
	}
}

struct portlist {
	char **v;		/* borrowed from the graph's owned strings */
	size_t n, cap;
};

struct builder {
	const struct report_view *v;
	struct report_graph *g;
	enum report_graph_mode mode;
	json_object *nodes;	/* key -> node position */
	json_object *edges;	/* "src>dst" -> edge position */
	json_object *groups;	/* "type|address" -> address group key */
	size_t capn, cape, capc;
	int64_t (*count)[2];	/* per edge: connections recorded by the
				 * client (0) and by the server (1) */
	struct portlist *ports;	/* per edge */
	char *note;		/* addresses drawn by class (malloc'd) */
	char *isolated;		/* workloads without traffic (malloc) */
	bool oom;
};

/* Give s (malloc'd, may be NULL) to the graph: s, or NULL on ENOMEM
 * (then s is freed). */
static char *
own(struct report_graph *g, char *s)
{
	char **nv;

	if (s == NULL)
		return NULL;
	if (g->nowned == g->capowned) {
		nv = realloc(g->owned, (g->capowned ? g->capowned * 2 : 64) *
		    sizeof(*nv));
		if (nv == NULL) {
			free(s);
			return NULL;
		}
		g->owned = nv;
		g->capowned = g->capowned ? g->capowned * 2 : 64;
	}
	g->owned[g->nowned++] = s;
	return s;
}

/* A string owned by the graph, printf-style; NULL on ENOMEM. */
static char * __attribute__((format(printf, 2, 3)))
gstr(struct builder *b, const char *fmt, ...)
{
	char *s;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (rc < 0 || (s = own(b->g, s)) == NULL) {
		b->oom = true;
		return NULL;
	}
	return s;
}

/* Grow *v (of *cap elements of sz bytes) to hold n + 1. */
static bool
grow(struct builder *b, void **v, size_t *cap, size_t n, size_t sz)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return true;
	ncap = *cap ? *cap * 2 : 32;
	if ((nv = realloc(*v, ncap * sz)) == NULL) {
		b->oom = true;
		return false;
	}
	memset((char *)nv + *cap * sz, 0, (ncap - *cap) * sz);
	*v = nv;
	*cap = ncap;
	return true;
}

static bool
map_get(json_object *map, const char *key, size_t *pos)
{
	json_object *v;

	if (!json_object_object_get_ex(map, key, &v))
		return false;
	*pos = (size_t)json_object_get_int64(v);
	return true;
}

static void
map_put(struct builder *b, json_object *map, const char *key, size_t pos)
{
	json_object *v = json_object_new_int64((int64_t)pos);

	if (v == NULL || json_object_object_add(map, key, v) != 0) {
		json_object_put(v);
		b->oom = true;
	}
}

static const char *
cluster_add(struct builder *b, const char *ns, bool in_scope)
{
	struct report_graph *g = b->g;
	size_t i, cap;

	for (i = 0; i < g->nclusters; i++)
		if (strcmp(g->clusters[i], ns) == 0)
			return g->clusters[i];
	cap = b->capc;
	if (!grow(b, (void **)&g->clusters, &cap, g->nclusters,
	    sizeof(*g->clusters)) || !grow(b, (void **)&g->cluster_in_scope,
	    &b->capc, g->nclusters, sizeof(*g->cluster_in_scope)))
		return NULL;
	g->clusters[g->nclusters] = ns;
	g->cluster_in_scope[g->nclusters] = in_scope;
	return g->clusters[g->nclusters++];
}

/* The node of key, made with kind and name when new; SIZE_MAX on ENOMEM. */
static size_t
node_get(struct builder *b, const char *key, enum report_gnode_kind kind,
    const char *name, bool *made)
{
	struct report_graph *g = b->g;
	struct report_gnode *n;
	size_t pos;

	*made = false;
	if (map_get(b->nodes, key, &pos))
		return pos;
	if (!grow(b, (void **)&g->nodes, &b->capn, g->nnodes,
	    sizeof(*g->nodes)))
		return SIZE_MAX;
	pos = g->nnodes++;
	n = &g->nodes[pos];
	snprintf(n->id, sizeof(n->id), "n%zu", pos + 1);
	n->kind = kind;
	n->name = gstr(b, "%s", name);
	n->namespace_ = "";
	n->members = 1;
	map_put(b, b->nodes, key, pos);
	*made = true;
	return pos;
}

static bool
unselected(const struct report_workload *w)
{
	return w->has_policies && !w->host_network &&
	    (w->policies[REPORT_INGRESS].n == 0 ||
	    w->policies[REPORT_EGRESS].n == 0);
}

/* Workloads of a namespace in the scope, counted for its node's label. */
static size_t
ns_subjects(const struct report_view *v, const char *ns)
{
	size_t i;

	for (i = 0; i < v->nnamespaces; i++)
		if (strcmp(v->namespaces[i].name, ns) == 0)
			return v->namespaces[i].nworkloads;
	return 0;
}

/* The key of a workload's node: its own, or its namespace's. */
static void
workload_key(const struct builder *b, const char *id, const char *ns,
    char *key, size_t len)
{
	if (b->mode == REPORT_GRAPH_NAMESPACES)
		snprintf(key, len, "ns|%s", ns);
	else
		snprintf(key, len, "w|%s", id);
}

/* The node of a workload (w: a subject, NULL: a peer), made when new. */
static size_t
workload_node(struct builder *b, const char *id, const char *ns,
    const char *kind, const char *name, const struct report_workload *w)
{
	struct report_gnode *n;
	enum report_gnode_kind k;
	char key[1024];
	size_t pos;
	bool made;

	workload_key(b, id, ns, key, sizeof(key));
	if (b->mode == REPORT_GRAPH_NAMESPACES) {
		k = ns_subjects(b->v, ns) > 0 ? REPORT_GNODE_NAMESPACE :
		    REPORT_GNODE_PEER;
		pos = node_get(b, key, k, "", &made);
		if (pos == SIZE_MAX)
			return pos;
		n = &b->g->nodes[pos];
		if (made) {
			n->name = gstr(b, "namespace %s", ns);
			n->line1 = gstr(b, "%s", ns);
			n->namespace_ = ns;
			n->members = 0;
		}
		if (w != NULL) {
			n->members++;
			n->unselected |= unselected(w);
		}
		return pos;
	}
	k = w != NULL ? REPORT_GNODE_WORKLOAD : REPORT_GNODE_PEER;
	pos = node_get(b, key, k, id, &made);
	if (pos == SIZE_MAX || !made)
		return pos;
	n = &b->g->nodes[pos];
	n->line1 = gstr(b, "%s", name);
	n->line2 = gstr(b, "%s%s", kind, w != NULL && w->host_network ?
	    " \xc2\xb7 hostNetwork" : "");
	n->namespace_ = ns;
	n->cluster = cluster_add(b, ns, w != NULL);
	n->in_scope_cluster = w != NULL;
	n->workload = w;
	n->unselected = w != NULL && unselected(w);
	return pos;
}

static enum report_gnode_kind
class_kind(enum report_peer_type t, enum report_class c)
{
	if (t == REPORT_PEER_NODE || c == REPORT_CLASS_NODE)
		return REPORT_GNODE_NODE;
	if (c == REPORT_CLASS_INTERNAL)
		return REPORT_GNODE_INTERNAL;
	if (c == REPORT_CLASS_EXTERNAL)
		return REPORT_GNODE_EXTERNAL;
	return REPORT_GNODE_UNKNOWN;
}

/* A DNS name without its final dot, for people. */
static void
dns_trim(char *buf, size_t len, const char *dns)
{
	size_t n;

	snprintf(buf, len, "%s", dns);
	n = strlen(buf);
	if (n > 1 && buf[n - 1] == '.')
		buf[n - 1] = '\0';
}

/*
 * The group of an address: the cluster's nodes are one, an address a
 * KnownServer covers goes with its server, one with a DNS name with the
 * others of that name; the rest stand alone. by_class puts all of a class
 * into one. Writes the key, the node's name and its first label line.
 */
static void
address_group(const struct report_address *a, bool by_class, char *key,
    size_t klen, char *name, size_t nlen)
{
	enum report_gnode_kind k = class_kind(a->type, a->class_);
	const char *cls = report_gnode_kind_name(k);
	char dns[512];

	if (k == REPORT_GNODE_NODE) {
		snprintf(key, klen, "g|nodes");
		snprintf(name, nlen, "nodes");
	} else if (a->type == REPORT_PEER_UNKNOWN || a->address[0] == '\0') {
		snprintf(key, klen, "g|unknown");
		snprintf(name, nlen, "unknown peers");
	} else if (by_class) {
		snprintf(key, klen, "g|class|%s", cls);
		snprintf(name, nlen, "%s addresses", cls);
	} else if (a->has_ks) {
		snprintf(key, klen, "g|ks|%s|%s", cls, a->ks.server);
		snprintf(name, nlen, "%s", a->ks.server);
	} else if (a->dns_names.n > 0) {
		dns_trim(dns, sizeof(dns), a->dns_names.v[0]);
		snprintf(key, klen, "g|dns|%s|%s", cls, dns);
		snprintf(name, nlen, "%s", dns);
	} else {
		snprintf(key, klen, "g|addr|%s|%s", cls, a->address);
		snprintf(name, nlen, "%s", a->address);
	}
}

/* Count the groups the addresses make one by one. */
static size_t
count_groups(struct builder *b)
{
	json_object *seen = json_object_new_object();
	char key[1200], name[600];
	size_t i, n = 0;

	if (seen == NULL) {
		b->oom = true;
		return 0;
	}
	for (i = 0; i < b->v->naddresses; i++) {
		address_group(&b->v->addresses[i], false, key, sizeof(key),
		    name, sizeof(name));
		if (!json_object_object_get_ex(seen, key, NULL)) {
			json_object_object_add(seen, key, NULL);
			n++;
		}
	}
	json_object_put(seen);
	return n;
}

/* The nodes of the addresses, and the map from "type|address" to them. */
static void
address_nodes(struct builder *b)
{
	const struct report_view *v = b->v;
	const struct report_address *a;
	struct report_gnode *n;
	char key[1200], name[600], akey[600];
	size_t i, pos, ngroups;
	bool by_class, made;

	ngroups = count_groups(b);
	by_class = ngroups > REPORT_GRAPH_MAX_ADDRESSES;
	if (by_class && asprintf(&b->note, "%zu addresses and groups of "
	    "addresses are more than %d: they are drawn one box per class",
	    ngroups, REPORT_GRAPH_MAX_ADDRESSES) < 0) {
		b->note = NULL;
		b->oom = true;
	}
	/* First pass: nodes and their member counts. */
	for (i = 0; i < v->naddresses && !b->oom; i++) {
		a = &v->addresses[i];
		address_group(a, by_class, key, sizeof(key), name,
		    sizeof(name));
		pos = node_get(b, key, class_kind(a->type, a->class_), name,
		    &made);
		if (pos == SIZE_MAX)
			return;
		n = &b->g->nodes[pos];
		if (made) {
			n->line1 = n->name;
			n->members = 0;
		}
		n->members++;
		snprintf(akey, sizeof(akey), "%s|%s",
		    report_peer_type_name(a->type), a->address);
		map_put(b, b->groups, akey, pos);
	}
	/* Second: each group's addresses and its second label line. */
	for (pos = 0; pos < b->g->nnodes && !b->oom; pos++) {
		n = &b->g->nodes[pos];
		if (n->kind < REPORT_GNODE_EXTERNAL)
			continue;
		n->addresses.v = calloc(n->members, sizeof(*n->addresses.v));
		if (n->addresses.v == NULL) {
			b->oom = true;
			return;
		}
	}
	for (i = 0; i < v->naddresses && !b->oom; i++) {
		a = &v->addresses[i];
		snprintf(akey, sizeof(akey), "%s|%s",
		    report_peer_type_name(a->type), a->address);
		if (!map_get(b->groups, akey, &pos))
			continue;
		n = &b->g->nodes[pos];
		n->addresses.v[n->addresses.n++] = a->address;
		if (n->members > 1)
			n->line2 = gstr(b, "%zu addresses \xc2\xb7 %s",
			    n->members, report_gnode_kind_name(n->kind));
		else if (a->has_ks && !by_class)
			n->line2 = gstr(b, "%s \xc2\xb7 KnownServer %s",
			    a->address, a->ks.name);
		else if (strcmp(n->name, a->address) != 0 &&
		    a->address[0] != '\0')
			n->line2 = gstr(b, "%s \xc2\xb7 %s", a->address,
			    report_gnode_kind_name(n->kind));
		else
			n->line2 = gstr(b, "%s", report_gnode_kind_name(
			    n->kind));
	}
}

/* The node of a flow's or denial's peer (a workload's made when new,
 * unless lookup); SIZE_MAX when there is none. */
static size_t
peer_node(struct builder *b, const struct report_peer *p, bool lookup)
{
	char key[1024];
	size_t pos;

	if (p->type == REPORT_PEER_WORKLOAD && !lookup)
		return workload_node(b, p->id, p->namespace_, p->kind,
		    p->name, NULL);
	if (p->type == REPORT_PEER_WORKLOAD) {
		workload_key(b, p->id, p->namespace_, key, sizeof(key));
		return map_get(b->nodes, key, &pos) ? pos : SIZE_MAX;
	}
	snprintf(key, sizeof(key), "%s|%s", report_peer_type_name(p->type),
	    p->address);
	return map_get(b->groups, key, &pos) ? pos : SIZE_MAX;
}

static size_t
edge_get(struct builder *b, size_t src, size_t dst)
{
	struct report_graph *g = b->g;
	struct report_gedge *e;
	char key[48];
	size_t pos, cap;

	snprintf(key, sizeof(key), "%zu>%zu", src, dst);
	if (map_get(b->edges, key, &pos))
		return pos;
	cap = b->cape;
	if (!grow(b, (void **)&g->edges, &cap, g->nedges, sizeof(*g->edges)))
		return SIZE_MAX;
	cap = b->cape;
	if (!grow(b, (void **)&b->count, &cap, g->nedges, sizeof(*b->count)))
		return SIZE_MAX;
	if (!grow(b, (void **)&b->ports, &b->cape, g->nedges,
	    sizeof(*b->ports)))
		return SIZE_MAX;
	pos = g->nedges++;
	e = &g->edges[pos];
	snprintf(e->id, sizeof(e->id), "e%zu", pos + 1);
	e->src = src;
	e->dst = dst;
	map_put(b, b->edges, key, pos);
	return pos;
}

static void
port_add(struct builder *b, struct portlist *l, const char *protocol,
    int64_t port)
{
	char buf[64];
	size_t i;

	if (port != 0)
		snprintf(buf, sizeof(buf), "%s/%lld", protocol,
		    (long long)port);
	else
		snprintf(buf, sizeof(buf), "%s", protocol);
	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], buf) == 0)
			return;
	if (!grow(b, (void **)&l->v, &l->cap, l->n, sizeof(*l->v)))
		return;
	if ((l->v[l->n] = gstr(b, "%s", buf)) != NULL)
		l->n++;
}

static void
flow_edge(struct builder *b, size_t self, const struct report_flow *fl)
{
	struct report_graph *g = b->g;
	size_t other, e, src, dst;
	struct report_gedge *ge;
	int side = fl->direction == REPORT_EGRESS ? 0 : 1;

	if ((other = peer_node(b, &fl->peer, false)) == SIZE_MAX)
		return;
	src = side == 0 ? self : other;
	dst = side == 0 ? other : self;
	if ((e = edge_get(b, src, dst)) == SIZE_MAX)
		return;
	ge = &g->edges[e];
	g->flow_edge[fl->index] = e;
	ge->nflows++;
	b->count[e][side] += fl->count;
	port_add(b, &b->ports[e], fl->protocol, fl->port);
	if (verdict_rank(fl->verdict) > verdict_rank(ge->verdict))
		ge->verdict = fl->verdict;
	if (fl->verdict == REPORT_VERDICT_DENIED) {
		g->nodes[src].denied = true;
		g->nodes[dst].denied = true;
	}
}

/* Labels (the first three ports, then how many more) and counts. */
static void
edge_labels(struct builder *b)
{
	struct report_gedge *e;
	struct portlist *l;
	size_t i, k, len;
	char label[256], all[4096];

	for (i = 0; i < b->g->nedges && !b->oom; i++) {
		e = &b->g->edges[i];
		l = &b->ports[i];
		e->count = b->count[i][0] > b->count[i][1] ? b->count[i][0] :
		    b->count[i][1];
		label[0] = all[0] = '\0';
		for (k = 0, len = 0; k < l->n && k < 3; k++)
			len += (size_t)snprintf(label + len, sizeof(label) -
			    len > 0 ? sizeof(label) - len : 0, "%s%s",
			    k ? ", " : "", l->v[k]);
		if (l->n > 3 && len < sizeof(label))
			snprintf(label + len, sizeof(label) - len, " +%zu",
			    l->n - 3);
		for (k = 0, len = 0; k < l->n && len < sizeof(all); k++)
			len += (size_t)snprintf(all + len, sizeof(all) - len,
			    "%s%s", k ? ", " : "", l->v[k]);
		e->label = gstr(b, "%s", label);
		e->ports = gstr(b, "%s", all);
	}
}

static void
denial_edges(struct builder *b)
{
	const struct report_denial *d;
	struct report_peer wl = { .type = REPORT_PEER_WORKLOAD };
	char key[48];
	size_t i, self, other, pos;

	for (i = 0; i < b->v->ndenied && !b->oom; i++) {
		d = &b->v->denied[i];
		b->g->denial_edge[i] = SIZE_MAX;
		wl.id = d->workload;
		wl.namespace_ = d->namespace_;
		self = peer_node(b, &wl, true);
		other = peer_node(b, &d->peer, true);
		if (self == SIZE_MAX || other == SIZE_MAX)
			continue;
		snprintf(key, sizeof(key), "%zu>%zu",
		    d->direction == REPORT_EGRESS ? self : other,
		    d->direction == REPORT_EGRESS ? other : self);
		if (map_get(b->edges, key, &pos))
			b->g->denial_edge[i] = pos;
	}
}

/* Nodes without an edge (a workload that recorded no traffic) are left
 * out of the drawing: they would only stretch their namespace's box. */
static void
isolated(struct builder *b)
{
	struct report_graph *g = b->g;
	size_t i, n = 0, len = 0;
	char names[512] = "";

	for (i = 0; i < g->nnodes; i++)
		g->nodes[i].isolated = true;
	for (i = 0; i < g->nedges; i++) {
		g->nodes[g->edges[i].src].isolated = false;
		g->nodes[g->edges[i].dst].isolated = false;
	}
	for (i = 0; i < g->nnodes; i++) {
		if (!g->nodes[i].isolated)
			continue;
		if (n < 5 && len < sizeof(names))
			len += (size_t)snprintf(names + len,
			    sizeof(names) - len, "%s%s", n ? ", " : "",
			    g->nodes[i].name);
		n++;
	}
	if (n > 5 && len < sizeof(names))
		snprintf(names + len, sizeof(names) - len, " and %zu more",
		    n - 5);
	if (n > 0 && g->nedges > 0 && asprintf(&b->isolated, "%s recorded no "
	    "traffic: %s not drawn", names, n == 1 ? "it is" :
	    "they are") < 0) {
		b->isolated = NULL;
		b->oom = true;
	}
}

static void
build(struct builder *b)
{
	const struct report_view *v = b->v;
	const struct report_workload *w;
	size_t i, j, k, self;
	int d;

	/* Subjects first, in the view's order, so that they lead. */
	for (i = 0; i < v->nnamespaces; i++)
		for (j = 0; j < v->namespaces[i].nworkloads; j++) {
			w = &v->namespaces[i].workloads[j];
			workload_node(b, w->id, w->namespace_, w->kind,
			    w->name, w);
		}
	address_nodes(b);
	for (i = 0; i < v->nnamespaces && !b->oom; i++)
		for (j = 0; j < v->namespaces[i].nworkloads; j++) {
			w = &v->namespaces[i].workloads[j];
			self = workload_node(b, w->id, w->namespace_, w->kind,
			    w->name, NULL);
			if (self == SIZE_MAX)
				return;
			for (d = REPORT_INGRESS; d <= REPORT_EGRESS; d++)
				for (k = 0; k < w->nflows[d]; k++)
					flow_edge(b, self, &w->flows[d][k]);
		}
	edge_labels(b);
	denial_edges(b);
	isolated(b);
	/* Namespace nodes say how many workloads they stand for. */
	for (i = 0; i < b->g->nnodes && b->mode == REPORT_GRAPH_NAMESPACES;
	    i++)
		if (b->g->nodes[i].kind == REPORT_GNODE_NAMESPACE ||
		    (b->g->nodes[i].kind == REPORT_GNODE_PEER &&
		    b->g->nodes[i].namespace_[0] != '\0'))
			b->g->nodes[i].line2 = b->g->nodes[i].kind ==
			    REPORT_GNODE_NAMESPACE ? gstr(b, "%zu workload%s",
			    b->g->nodes[i].members,
			    b->g->nodes[i].members == 1 ? "" : "s") :
			    gstr(b, "outside the scope");
}

static void
builder_clear(struct builder *b)
{
	size_t i;

	json_object_put(b->nodes);
	json_object_put(b->edges);
	json_object_put(b->groups);
	for (i = 0; b->ports != NULL && i < b->g->nedges; i++)
		free(b->ports[i].v);
	free(b->ports);
	free(b->count);
	b->nodes = b->edges = b->groups = NULL;
	b->ports = NULL;
	b->count = NULL;
}

/* One attempt at a mode, into an empty g; *note and *isolated (malloc'd
 * or NULL) say when addresses were drawn by class, and which nodes are
 * not drawn. */
static int
build_mode(const struct report_view *v, enum report_graph_mode mode,
    struct report_graph *g, char **note, char **isol)
{
	struct builder b = { .v = v, .g = g, .mode = mode };
	size_t i;

	g->mode = mode;
	b.nodes = json_object_new_object();
	b.edges = json_object_new_object();
	b.groups = json_object_new_object();
	g->flow_edge = calloc(v->nflows + 1, sizeof(*g->flow_edge));
	g->denial_edge = calloc(v->ndenied + 1, sizeof(*g->denial_edge));
	if (b.nodes == NULL || b.edges == NULL || b.groups == NULL ||
	    g->flow_edge == NULL || g->denial_edge == NULL)
		b.oom = true;
	for (i = 0; !b.oom && i < v->nflows; i++)
		g->flow_edge[i] = SIZE_MAX;
	if (!b.oom)
		build(&b);
	builder_clear(&b);
	*note = b.note;
	*isol = b.isolated;
	return b.oom ? -ENOMEM : 0;
}

static void
graph_reset(struct report_graph *g)
{
	size_t i;

	for (i = 0; i < g->nnodes; i++)
		free(g->nodes[i].addresses.v);
	for (i = 0; i < g->nowned; i++)
		free(g->owned[i]);
	free(g->owned);
	free(g->nodes);
	free(g->edges);
	free(g->clusters);
	free(g->cluster_in_scope);
	free(g->flow_edge);
	free(g->denial_edge);
	memset(g, 0, sizeof(*g));
}

static size_t
count_kind(const struct report_graph *g, enum report_gnode_kind k1,
    enum report_gnode_kind k2)
{
	size_t i, n = 0;

	for (i = 0; i < g->nnodes; i++)
		if (g->nodes[i].kind == k1 || g->nodes[i].kind == k2)
			n++;
	return n;
}

/* Add note s (malloc'd, taken; NULL: nothing). 0 or -ENOMEM. */
static int
add_note(struct report_graph *g, char *s)
{
	const char **nv;

	if (s == NULL)
		return 0;
	if ((nv = realloc(g->notes.v, (g->notes.n + 1) * sizeof(*nv))) ==
	    NULL) {
		free(s);
		return -ENOMEM;
	}
	g->notes.v = nv;
	if ((g->notes.v[g->notes.n] = own(g, s)) == NULL)
		return -ENOMEM;
	g->notes.n++;
	return 0;
}

int
report_graph_build(const struct report_view *v, enum report_graph_mode mode,
    struct report_graph **out)
{
	struct report_graph *g;
	size_t nwl, nedges;
	char *note = NULL, *collapsed = NULL, *isol = NULL;
	int rc;

	*out = NULL;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return -ENOMEM;
	rc = build_mode(v, mode == REPORT_GRAPH_NAMESPACES ?
	    REPORT_GRAPH_NAMESPACES : REPORT_GRAPH_WORKLOADS, g, &note, &isol);
	nwl = count_kind(g, REPORT_GNODE_WORKLOAD, REPORT_GNODE_PEER);
	nedges = g->nedges;
	if (rc == 0 && mode == REPORT_GRAPH_AUTO &&
	    (nwl > REPORT_GRAPH_MAX_WORKLOADS ||
	    nedges > REPORT_GRAPH_MAX_EDGES)) {
		graph_reset(g);
		free(note);
		free(isol);
		note = isol = NULL;
		rc = build_mode(v, REPORT_GRAPH_NAMESPACES, g, &note, &isol);
		if (rc == 0 && asprintf(&collapsed, "%zu workloads with %zu "
		    "arrows between them are more than one drawing shows "
		    "legibly (%d workloads, %d arrows): each namespace is one "
		    "box here; --graph workloads draws every workload",
		    nwl, nedges, REPORT_GRAPH_MAX_WORKLOADS,
		    REPORT_GRAPH_MAX_EDGES) < 0) {
			collapsed = NULL;
			rc = -ENOMEM;
		}
	}
	if (rc == 0)
		rc = add_note(g, note);
	else
		free(note);
	if (rc == 0)
		rc = add_note(g, collapsed);
	else
		free(collapsed);
	if (rc == 0)
		rc = add_note(g, isol);
	else
		free(isol);
	if (rc == 0 && (g->nnodes > REPORT_GRAPH_LIMIT_NODES ||
	    g->nedges > REPORT_GRAPH_LIMIT_EDGES)) {
		g->too_big = true;
		if (asprintf(&note, "%zu boxes and %zu arrows are too many to "
		    "lay out: the tables below list every flow; report one "
		    "namespace (--namespace) for a drawing", g->nnodes,
		    g->nedges) < 0)
			note = NULL;
		rc = note != NULL ? add_note(g, note) : -ENOMEM;
	}
	if (rc != 0) {
		report_graph_free(g);
		return rc;
	}
	*out = g;
	return 0;
}

void
report_graph_free(struct report_graph *g)
{
	if (g == NULL)
		return;
	free(g->notes.v);
	graph_reset(g);
	free(g);
}
