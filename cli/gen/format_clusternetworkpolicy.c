/*
 * format_clusternetworkpolicy: the namespace-level baseline as
 * policy.networking.k8s.io/v1alpha2 ClusterNetworkPolicy (network-policy-api
 * v0.2.0, the experimental channel for domainNames), one or more per
 * namespace (-o clusternetworkpolicy).
 *
 * Tier Baseline, subject the namespace. The recorded traffic of all its
 * workloads, at namespace level: Accept rules for the namespaces it talks
 * to and that talk to it (peers as namespaces, ports as protocols), for
 * the names its pods resolved before connecting (domainNames) and the
 * addresses reached without a lookup (networks, KnownServer widening),
 * with --include-nodes for nodes (nodes: {}); then one Deny per direction
 * for everything else. Baseline comes after the NetworkPolicy tier: a
 * namespace's own NetworkPolicies still decide for the pods they select.
 *
 * What v0.2.0 cannot say: ICMP in protocols (not written, listed); peers
 * of ingress rules other than namespaces and pods (traffic from nodes or
 * outside the cluster is not written and not denied either: the ingress
 * Deny names only namespaces).
 *
 * The API's limits (25 rules per direction, 25 peers, protocols, names or
 * networks per rule): a rule of the grouping is cut into several, and
 * rules past 25 go to more objects of the next priorities (named
 * namespace-NS-2, -3...), the Deny in the last: no flow is dropped.
 */
#include "cli/gen/gen.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/gen/policygen.h"
#include "lib/sort.h"
#include "lib/store.h"

#define CNP_MAX 25			/* rules, peers, protocols, names */
#define CNP_PRIORITY_FIRST 100
#define CNP_PRIORITY_MAX 1000
#define CNP_RULE_NAME_MAX 100

static const struct policygen_caps cnp_caps = {
	.node_peer = true,
	.names = true,
};

/* ---- the namespace's tuples ---------------------------------------------- */

/* The next subject of namespace ns from position *w on; NULL at the end. */
static const struct index_workload *
next_subject(const struct index *idx, const char *ns, size_t *w)
{
	const struct index_workload *wl;

	while (*w < index_nworkloads(idx)) {
		wl = index_workload(idx, (*w)++);
		if (wl->subject && strcmp(wl->namespace_, ns) == 0)
			return wl;
	}
	return NULL;
}

/* Add the notes of one workload to the namespace's; its warnings with
 * its name in front. */
static int
merge_notes(const struct index_workload *wl, struct policygen_result *from,
    struct policygen_result *to)
{
	const struct policygen_list *src[] = { &from->excluded,
	    &from->inexpressible, &from->known };
	struct policygen_list *dst[] = { &to->excluded, &to->inexpressible,
	    &to->known };
	size_t i, j;
	int rc = 0;

	for (i = 0; i < from->warnings.n && rc == 0; i++)
		rc = policygen_list_add(&to->warnings, "%s/%s: %s", wl->kind,
		    wl->name, from->warnings.v[i]);
	for (j = 0; j < 3; j++)
		for (i = 0; i < src[j]->n && rc == 0; i++)
			rc = policygen_list_add(dst[j], "%s", src[j]->v[i]);
	to->nflows += from->nflows;
	return rc;
}

/*
 * The tuples of every subject of ns in one direction, at namespace level:
 * workload peers become their namespaces; on ingress, node and address
 * peers are dropped (v0.2.0 cannot name them, and the Deny does not
 * either). Notes into r.
 */
static int
collect(const struct index *idx, const char *ns, int direction,
    const struct policygen_opts *o, struct policygen_tupv *tv,
    struct policygen_result *r)
{
	const struct index_workload *wl;
	struct policygen_result rw;
	struct policygen_tup *t;
	size_t i, w, n0;
	int rc = 0;

	for (w = 0; rc == 0 && (wl = next_subject(idx, ns, &w)) != NULL;) {
		memset(&rw, 0, sizeof(rw));
		n0 = tv->n;
		rc = policygen_collect(idx, wl, direction, o, &cnp_caps, tv,
		    &rw);
		if (rc == 0)
			rc = merge_notes(wl, &rw, r);
		policygen_result_clear(&rw);
		for (i = n0; i < tv->n; i++) {
			t = &tv->v[i];
			if (t->pk == POLICYGEN_TUP_WORKLOAD)
				t->pk = POLICYGEN_TUP_NAMESPACE;
			t->cls = (uint8_t)t->pk;
		}
	}
	if (direction == FLOW_INGRESS) {
		for (i = w = 0; i < tv->n; i++)
			if (tv->v[i].pk == POLICYGEN_TUP_NAMESPACE)
				tv->v[w++] = tv->v[i];
		tv->n = w;
	}
	return rc;
}

/* The warnings of every subject of ns, each prefixed with its workload. */
static int
warnings(const struct index *idx, const char *ns,
    const struct policygen_opts *o, struct policygen_result *r)
{
	const struct index_workload *wl;
	struct policygen_result rw;
	size_t w, i, first, n;
	int rc = 0;

	for (w = 0; rc == 0 && (wl = next_subject(idx, ns, &w)) != NULL;) {
		memset(&rw, 0, sizeof(rw));
		n = index_flows_of(idx, wl, &first);
		for (i = first; i < first + n; i++)
			rw.nflows += (index_flow(idx, i)->key.direction ==
			    FLOW_EGRESS ? o->egress : o->ingress);
		rc = policygen_warnings(idx, wl, o, &rw);
		for (i = 0; i < rw.warnings.n && rc == 0; i++)
			rc = policygen_list_add(&r->warnings, "%s/%s: %s",
			    wl->kind, wl->name, rw.warnings.v[i]);
		policygen_result_clear(&rw);
	}
	return rc;
}

/* ---- rules ----------------------------------------------------------------- */

/* A peer as the rule's name says it: "demo", "api.example.test",
 * "198.51.100.50", "203.0.113.0/24", "nodes". */
static void
peer_label(const struct policygen_tup *t, char *buf, size_t len)
{
	json_object *n;

	switch (t->pk) {
	case POLICYGEN_TUP_NAMESPACE:
		snprintf(buf, len, "%s", t->wl->namespace_);
		break;
	case POLICYGEN_TUP_NODES:
		snprintf(buf, len, "nodes");
		break;
	case POLICYGEN_TUP_NAME:
		n = policygen_name_json(t->dns);
		snprintf(buf, len, "%s", json_object_get_string(n));
		json_object_put(n);
		break;
	default:
		if (t->cidr.prefix == (t->cidr.addr.family == AF_INET ?
		    32 : 128))
			addr_format(&t->cidr.addr, buf, len);
		else
			addr_cidr_format(&t->cidr, buf, len);
		break;
	}
}

/* The peers [from, to) of rule ru as the rule's to/from list. */
static json_object *
peers_json(const struct policygen_tupv *tv, const struct policygen_rule *ru,
    size_t from, size_t to)
{
	const struct policygen_tup *t = &tv->v[ru->peers[from]];
	json_object *list = json_object_new_array(), *p, *a = NULL;
	char c[ADDR_CIDR_STRLEN];
	size_t k;

	for (k = from; k < to; k++) {
		t = &tv->v[ru->peers[k]];
		switch (t->pk) {
		case POLICYGEN_TUP_NAMESPACE:
			p = json_object_new_object();
			policygen_obj_add(p, "namespaces",
			    policygen_ns_selector(t->wl->namespace_));
			json_object_array_add(list, p);
			break;
		case POLICYGEN_TUP_NODES:
			p = json_object_new_object();
			policygen_obj_add(p, "nodes", json_object_new_object());
			json_object_array_add(list, p);
			break;
		case POLICYGEN_TUP_NAME:
			if (a == NULL)
				a = json_object_new_array();
			json_object_array_add(a, policygen_name_json(t->dns));
			break;
		default:
			if (a == NULL)
				a = json_object_new_array();
			json_object_array_add(a, json_object_new_string(
			    addr_cidr_format(&t->cidr, c, sizeof(c))));
			break;
		}
	}
	if (a != NULL) {
		/* One peer holds every name or network of the rule. */
		p = json_object_new_object();
		policygen_obj_add(p, t->pk == POLICYGEN_TUP_NAME ?
		    "domainNames" : "networks", a);
		json_object_array_add(list, p);
	}
	return list;
}

/* The ported tuples [from, to) of ru's port set, at most CNP_MAX
 * distinct, as protocols; *next is where the next chunk starts. */
static json_object *
protocols_json(const struct policygen_tupv *tv,
    const struct policygen_rule *ru, size_t from, size_t *next)
{
	const struct policygen_tup *t;
	json_object *list = json_object_new_array(), *p, *proto, *dp;
	char key[8];
	size_t i, n = 0;

	for (i = from; i < ru->first + ru->n; i++) {
		t = &tv->v[i];
		if (i > ru->first && policygen_tup_same_port(t, &tv->v[i - 1]))
			continue;
		if (n == CNP_MAX)
			break;
		policygen_lower_copy(key, sizeof(key),
		    policygen_proto_name(t->proto));
		dp = json_object_new_object();
		policygen_obj_add(dp, "number", json_object_new_int(t->port));
		proto = json_object_new_object();
		policygen_obj_add(proto, "destinationPort", dp);
		p = json_object_new_object();
		/* key is not a literal: let json-c copy it. */
		json_object_object_add(p, key, proto);
		json_object_array_add(list, p);
		n++;
	}
	*next = i;
	return list;
}

/* A growable list of rules of one direction. */
struct cnp_rules {
	json_object **v;
	size_t n, cap;
};

static int
rules_add(struct cnp_rules *rl, json_object *rule)
{
	json_object **nv;
	size_t ncap;

	if (rule == NULL)
		return -ENOMEM;
	if (rl->n == rl->cap) {
		ncap = rl->cap ? rl->cap * 2 : 16;
		if ((nv = realloc(rl->v, ncap * sizeof(*nv))) == NULL) {
			json_object_put(rule);
			return -ENOMEM;
		}
		rl->v = nv;
		rl->cap = ncap;
	}
	rl->v[rl->n++] = rule;
	return 0;
}

static void
rules_clear(struct cnp_rules *rl)
{
	size_t i;

	for (i = 0; i < rl->n; i++)
		json_object_put(rl->v[i]);
	free(rl->v);
	memset(rl, 0, sizeof(*rl));
}

static json_object *
rule_json(const char *name, const char *action, int direction,
    json_object *peers, json_object *protocols)
{
	json_object *rule = json_object_new_object();
	size_t n = strlen(name);

	/* The API's limit; the name is only for people. */
	policygen_obj_add(rule, "name", json_object_new_string_len(name,
	    (int)(n > CNP_RULE_NAME_MAX ? CNP_RULE_NAME_MAX : n)));
	policygen_add_str(rule, "action", action);
	policygen_obj_add(rule, direction == FLOW_EGRESS ? "to" : "from",
	    peers);
	if (protocols != NULL)
		policygen_obj_add(rule, "protocols", protocols);
	return rule;
}

/* Accept rules of ru: its peers and its ports in chunks of CNP_MAX. */
static int
accept_rules(const struct policygen_tupv *tv, const struct policygen_rule *ru,
    int direction, struct cnp_rules *rl)
{
	char label[FLOW_NAME_LEN], name[FLOW_NAME_LEN + 48];
	size_t p, np, port, next;
	int rc = 0;

	for (p = 0; p < ru->npeers && rc == 0; p += np) {
		np = ru->npeers - p < CNP_MAX ? ru->npeers - p : CNP_MAX;
		peer_label(&tv->v[ru->peers[p]], label, sizeof(label));
		if (np > 1)
			snprintf(name, sizeof(name), "%s-%s-and-%zu-more",
			    direction == FLOW_EGRESS ? "to" : "from", label,
			    np - 1);
		else
			snprintf(name, sizeof(name), "%s-%s",
			    direction == FLOW_EGRESS ? "to" : "from", label);
		for (port = ru->first; port < ru->first + ru->n && rc == 0;
		    port = next)
			rc = rules_add(rl, rule_json(name, "Accept", direction,
			    peers_json(tv, ru, p, p + np),
			    protocols_json(tv, ru, port, &next)));
	}
	return rc;
}

/* The rules of one direction, the Deny last. */
static int
direction_rules(const struct index *idx, const char *ns, int direction,
    const struct policygen_opts *o, struct cnp_rules *rl,
    struct policygen_tupv *all, struct policygen_result *r)
{
	struct policygen_tupv tv = { 0 };
	struct policygen_rules rs = { 0 };
	json_object *peers, *p, *nets;
	size_t i;
	int rc;

	if ((rc = collect(idx, ns, direction, o, &tv, r)) < 0)
		goto out;
	sort_n(tv.v, tv.n, sizeof(*tv.v), policygen_tup_cmp);
	if ((rc = policygen_rules_group(&tv, &rs)) < 0)
		goto out;
	for (i = 0; i < rs.n && rc == 0; i++)
		rc = accept_rules(&tv, &rs.v[i], direction, rl);
	for (i = 0; i < tv.n && rc == 0; i++)
		if (tv.v[i].pk == POLICYGEN_TUP_CIDR ||
		    tv.v[i].pk == POLICYGEN_TUP_NAME)
			rc = policygen_tupv_add(all, &tv.v[i]);
	if (rc < 0)
		goto out;
	peers = json_object_new_array();
	p = json_object_new_object();
	policygen_obj_add(p, "namespaces", json_object_new_object());
	json_object_array_add(peers, p);
	if (direction == FLOW_EGRESS) {
		nets = json_object_new_array();
		json_object_array_add(nets, json_object_new_string(
		    "0.0.0.0/0"));
		json_object_array_add(nets, json_object_new_string("::/0"));
		p = json_object_new_object();
		policygen_obj_add(p, "networks", nets);
		json_object_array_add(peers, p);
	}
	rc = rules_add(rl, rule_json(direction == FLOW_EGRESS ?
	    "deny-everything-else" : "deny-other-namespaces", "Deny",
	    direction, peers, NULL));
out:
	policygen_rules_free(&rs);
	free(tv.v);
	return rc;
}

/* ---- the objects ----------------------------------------------------------- */

static json_object *
cnp_metadata(const struct index *idx, const char *ns, size_t part,
    const struct policygen_result *r)
{
	static const struct policygen_result none;
	json_object *meta = json_object_new_object(),
	    *labels = json_object_new_object();
	char name[STORE_NAME_LEN + 32];

	if (part == 0)
		snprintf(name, sizeof(name), "namespace-%s", ns);
	else
		snprintf(name, sizeof(name), "namespace-%s-%zu", ns, part + 1);
	policygen_add_str(meta, "name", name);
	policygen_add_str(labels, "app.kubernetes.io/managed-by",
	    "netpol-record");
	policygen_add_str(labels, "netpol-record/namespace", ns);
	policygen_obj_add(meta, "labels", labels);
	/* The notes once, on the first object. */
	policygen_obj_add(meta, "annotations", policygen_annotations(idx,
	    NULL, part == 0 ? r : &none));
	return meta;
}

/* Rules [part * CNP_MAX, ...) of rl as an array; NULL when none. */
static json_object *
part_rules(const struct cnp_rules *rl, size_t part)
{
	json_object *a;
	size_t i;

	if (part * CNP_MAX >= rl->n)
		return NULL;
	a = json_object_new_array();
	for (i = part * CNP_MAX; i < rl->n && i < (part + 1) * CNP_MAX; i++)
		json_object_array_add(a, json_object_get(rl->v[i]));
	return a;
}

static json_object *
cnp_object(const struct index *idx, const char *ns, size_t part,
    const struct cnp_rules *in, const struct cnp_rules *eg,
    const struct policygen_result *r)
{
	json_object *doc = json_object_new_object(), *spec, *subj, *v;

	policygen_add_str(doc, "apiVersion",
	    "policy.networking.k8s.io/v1alpha2");
	policygen_add_str(doc, "kind", "ClusterNetworkPolicy");
	policygen_obj_add(doc, "metadata", cnp_metadata(idx, ns, part, r));
	spec = json_object_new_object();
	policygen_add_str(spec, "tier", "Baseline");
	policygen_obj_add(spec, "priority", json_object_new_int(
	    CNP_PRIORITY_FIRST + (int)part));
	subj = json_object_new_object();
	policygen_obj_add(subj, "namespaces", policygen_ns_selector(ns));
	policygen_obj_add(spec, "subject", subj);
	if ((v = part_rules(in, part)) != NULL)
		policygen_obj_add(spec, "ingress", v);
	if ((v = part_rules(eg, part)) != NULL)
		policygen_obj_add(spec, "egress", v);
	policygen_obj_add(doc, "spec", spec);
	return doc;
}

static int
build_namespace(const struct index *idx, const char *ns,
    const struct policygen_opts *o, struct policygen_result *r,
    json_object *docs)
{
	struct cnp_rules in = { 0 }, eg = { 0 };
	struct policygen_tupv addrs = { 0 };
	size_t nparts, part;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	if (o->ingress)
		rc = direction_rules(idx, ns, FLOW_INGRESS, o, &in, &addrs, r);
	if (rc == 0 && o->egress)
		rc = direction_rules(idx, ns, FLOW_EGRESS, o, &eg, &addrs, r);
	if (rc == 0)
		rc = policygen_known_servers(&addrs, false, r);
	if (rc == 0)
		rc = warnings(idx, ns, o, r);
	if (rc < 0)
		goto out;
	policygen_result_finish(r);
	nparts = ((in.n > eg.n ? in.n : eg.n) + CNP_MAX - 1) / CNP_MAX;
	if (CNP_PRIORITY_FIRST + nparts - 1 > CNP_PRIORITY_MAX) {
		rc = -E2BIG;
		goto out;
	}
	for (part = 0; part < nparts && rc == 0; part++)
		if (json_object_array_add(docs, cnp_object(idx, ns, part, &in,
		    &eg, r)) < 0)
			rc = -ENOMEM;
out:
	rules_clear(&in);
	rules_clear(&eg);
	free(addrs.v);
	return rc;
}

const struct gen_format gen_format_clusternetworkpolicy = {
	.name = "clusternetworkpolicy",
	.help = "ClusterNetworkPolicy baseline per namespace",
	.kind = "ClusterNetworkPolicy",
	.notes = true,
	.build_namespace = build_namespace,
};
