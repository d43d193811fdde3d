/*
 * format_cilium: Cilium's cilium.io/v2 CiliumNetworkPolicy, one per
 * workload (-o cilium), with the NetworkPolicy's scope, name, labels,
 * annotations, warnings and order (cli/gen/policygen.h), and what Cilium
 * says that a NetworkPolicy cannot:
 * - an address reached after a DNS lookup as toFQDNs, every name the pods
 *   resolved to it (index_dns_names), with the DNS rule Cilium's proxy
 *   needs to learn the names (rules.dns on every egress peer on port 53);
 *   addresses reached without a lookup as toCIDR (KnownServer widening);
 * - ICMP and ICMPv6 as icmps (the echo request: conntrack tracks queries,
 *   and the recording keeps no type);
 * - with --include-nodes, nodes and hostNetwork pods as the entities
 *   host and remote-node.
 * enableDefaultDeny makes each exported direction default-deny even
 * without rules, as the NetworkPolicy's policyTypes do; a workload with no
 * rule at all gets the empty rule ({}), which allows nothing. Cilium
 * refuses a rule with two kinds of peers, or with both toPorts and icmps:
 * each kind, and ICMP, gets rules of its own.
 */
#include "cli/gen/gen.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/gen/policygen.h"
#include "lib/sort.h"

static const struct policygen_caps cilium_caps = {
	.icmp = true,
	.node_peer = true,
	.names = true,
};

/* The class of a tuple: its peer kind, and whether it is DNS (the rule
 * that carries the DNS proxy's L7 rule). */
static uint8_t
tup_class(const struct policygen_tup *t, int direction)
{
	bool dns = direction == FLOW_EGRESS && t->has_port && t->port == 53 &&
	    (t->proto == IPPROTO_UDP || t->proto == IPPROTO_TCP);

	return (uint8_t)(t->pk * 2 + dns);
}

static bool
tup_is_dns(const struct policygen_tup *t)
{
	return (t->cls & 1) != 0;
}

/* The endpoint selector of a workload peer (a new object): its selector,
 * plus its namespace when it is not the subject's. */
static json_object *
endpoint_json(const struct index_workload *subject,
    const struct index_workload *peer)
{
	json_object *sel = json_object_new_object(), *ml, *v;

	ml = json_object_new_object();
	if (strcmp(peer->namespace_, subject->namespace_) != 0)
		policygen_add_str(ml, "k8s:io.kubernetes.pod.namespace",
		    peer->namespace_);
	if (json_object_object_get_ex(peer->selector, "matchLabels", &v)) {
		json_object_object_foreach(v, k, lv)
			json_object_object_add(ml, k, json_object_get(lv));
	}
	if (json_object_object_length(ml) > 0)
		policygen_obj_add(sel, "matchLabels", ml);
	else
		json_object_put(ml);
	if (json_object_object_get_ex(peer->selector, "matchExpressions", &v))
		policygen_obj_add(sel, "matchExpressions", json_object_get(v));
	return sel;
}

/* Add j to a unless an equal entry is there (two workloads, one
 * selector). */
static void
add_unique(json_object *a, json_object *j)
{
	size_t i;

	for (i = 0; i < json_object_array_length(a); i++)
		if (json_object_equal(j, json_object_array_get_idx(a, i))) {
			json_object_put(j);
			return;
		}
	json_object_array_add(a, j);
}

/* The peers of rule ru into rule (one kind per rule). */
static void
peers_json(const struct index_workload *wl, int direction,
    const struct policygen_tupv *tv, const struct policygen_rule *ru,
    json_object *rule)
{
	const struct policygen_tup *t = &tv->v[ru->peers[0]];
	bool eg = direction == FLOW_EGRESS;
	json_object *a = json_object_new_array(), *m;
	char c[ADDR_CIDR_STRLEN];
	size_t k;

	for (k = 0; k < ru->npeers; k++) {
		t = &tv->v[ru->peers[k]];
		switch (t->pk) {
		case POLICYGEN_TUP_WORKLOAD:
			add_unique(a, endpoint_json(wl, t->wl));
			break;
		case POLICYGEN_TUP_NODES:
			json_object_array_add(a,
			    json_object_new_string("host"));
			json_object_array_add(a,
			    json_object_new_string("remote-node"));
			break;
		case POLICYGEN_TUP_NAME:
			m = json_object_new_object();
			policygen_obj_add(m, "matchName",
			    policygen_name_json(t->dns));
			json_object_array_add(a, m);
			break;
		default:
			json_object_array_add(a, json_object_new_string(
			    addr_cidr_format(&t->cidr, c, sizeof(c))));
			break;
		}
	}
	switch (t->pk) {
	case POLICYGEN_TUP_WORKLOAD:
		policygen_obj_add(rule, eg ? "toEndpoints" : "fromEndpoints",
		    a);
		break;
	case POLICYGEN_TUP_NODES:
		policygen_obj_add(rule, eg ? "toEntities" : "fromEntities", a);
		break;
	case POLICYGEN_TUP_NAME:
		policygen_obj_add(rule, "toFQDNs", a);
		break;
	default:
		policygen_obj_add(rule, eg ? "toCIDR" : "fromCIDR", a);
		break;
	}
}

/* toPorts of the rule's ported tuples; NULL when it has none. */
static json_object *
ports_json(const struct policygen_tupv *tv, const struct policygen_rule *ru)
{
	const struct policygen_tup *t;
	json_object *ports = NULL, *p, *tp, *arr, *dns, *pat;
	char num[8];
	size_t i;

	for (i = ru->first; i < ru->first + ru->n; i++) {
		t = &tv->v[i];
		if (!t->has_port || (i > ru->first &&
		    policygen_tup_same_port(t, &tv->v[i - 1])))
			continue;
		if (ports == NULL)
			ports = json_object_new_array();
		p = json_object_new_object();
		snprintf(num, sizeof(num), "%u", t->port);
		policygen_add_str(p, "port", num);
		policygen_add_str(p, "protocol", policygen_proto_name(t->proto));
		json_object_array_add(ports, p);
	}
	if (ports == NULL)
		return NULL;
	tp = json_object_new_object();
	policygen_obj_add(tp, "ports", ports);
	if (tup_is_dns(&tv->v[ru->first])) {
		/* Every lookup through the proxy: it learns the names. */
		pat = json_object_new_object();
		policygen_add_str(pat, "matchPattern", "*");
		dns = json_object_new_array();
		json_object_array_add(dns, pat);
		p = json_object_new_object();
		policygen_obj_add(p, "dns", dns);
		policygen_obj_add(tp, "rules", p);
	}
	arr = json_object_new_array();
	json_object_array_add(arr, tp);
	return arr;
}

/* icmps of the rule's ICMP tuples; NULL when it has none. */
static json_object *
icmps_json(const struct policygen_tupv *tv, const struct policygen_rule *ru)
{
	const struct policygen_tup *t;
	json_object *fields = NULL, *f, *e, *arr;
	size_t i;

	for (i = ru->first; i < ru->first + ru->n; i++) {
		t = &tv->v[i];
		if (t->has_port || (i > ru->first &&
		    policygen_tup_same_port(t, &tv->v[i - 1])))
			continue;
		if (fields == NULL)
			fields = json_object_new_array();
		f = json_object_new_object();
		/* The echo request: what conntrack tracks as a query. */
		policygen_obj_add(f, "type", json_object_new_int(
		    t->proto == IPPROTO_ICMP ? 8 : 128));
		policygen_add_str(f, "family", t->proto == IPPROTO_ICMP ?
		    "IPv4" : "IPv6");
		json_object_array_add(fields, f);
	}
	if (fields == NULL)
		return NULL;
	e = json_object_new_object();
	policygen_obj_add(e, "fields", fields);
	arr = json_object_new_array();
	json_object_array_add(arr, e);
	return arr;
}

/* The rules of one direction: per rule of the grouping, one with its
 * ports and one with its ICMP types (Cilium takes not both in one). */
static json_object *
rules_json(const struct index_workload *wl, int direction,
    const struct policygen_tupv *tv, const struct policygen_rules *rs)
{
	json_object *rules = json_object_new_array(), *rule, *ports, *icmps;
	size_t i;

	for (i = 0; i < rs->n; i++) {
		ports = ports_json(tv, &rs->v[i]);
		icmps = icmps_json(tv, &rs->v[i]);
		if (ports != NULL) {
			rule = json_object_new_object();
			peers_json(wl, direction, tv, &rs->v[i], rule);
			policygen_obj_add(rule, "toPorts", ports);
			json_object_array_add(rules, rule);
		}
		if (icmps != NULL) {
			rule = json_object_new_object();
			peers_json(wl, direction, tv, &rs->v[i], rule);
			policygen_obj_add(rule, "icmps", icmps);
			json_object_array_add(rules, rule);
		}
	}
	return rules;
}

/*
 * toFQDNs works only when Cilium's DNS proxy sees the lookups, which a
 * DNS rule on the pod's DNS traffic makes it do. With no DNS traffic
 * recorded (lookups through a node-local cache left out, say) the
 * addresses are written instead of their names.
 */
static int
names_need_dns(struct policygen_tupv *tv, const struct policygen_opts *o,
    struct policygen_result *r)
{
	struct policygen_tup *t;
	size_t i, nnames = 0;

	for (i = 0; i < tv->n; i++) {
		if (tup_is_dns(&tv->v[i]))
			return 0;
		nnames += tv->v[i].pk == POLICYGEN_TUP_NAME;
	}
	if (nnames == 0)
		return 0;
	for (i = 0; i < tv->n; i++) {
		t = &tv->v[i];
		if (t->pk != POLICYGEN_TUP_NAME)
			continue;
		policygen_tup_addr(t, &t->seen, o->ks, true);
		t->cls = tup_class(t, FLOW_EGRESS);
	}
	return policygen_list_add(&r->warnings, "no DNS traffic was recorded "
	    "for it: the addresses it reached by name are written as CIDRs "
	    "(toFQDNs needs the DNS rule that lets Cilium's proxy see the "
	    "lookups)");
}

static int
direction_rules(const struct index *idx, const struct index_workload *wl,
    int direction, const struct policygen_opts *o, json_object *spec,
    struct policygen_tupv *all, struct policygen_result *r)
{
	struct policygen_tupv tv = { 0 };
	struct policygen_rules rs = { 0 };
	json_object *rules;
	size_t i;
	int rc;

	if ((rc = policygen_collect(idx, wl, direction, o, &cilium_caps,
	    &tv, r)) < 0)
		goto out;
	for (i = 0; i < tv.n; i++)
		tv.v[i].cls = tup_class(&tv.v[i], direction);
	if (direction == FLOW_EGRESS && (rc = names_need_dns(&tv, o, r)) < 0)
		goto out;
	sort_n(tv.v, tv.n, sizeof(*tv.v), policygen_tup_cmp);
	if ((rc = policygen_rules_group(&tv, &rs)) < 0)
		goto out;
	if (rs.n > 0) {
		if ((rules = rules_json(wl, direction, &tv, &rs)) == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		policygen_obj_add(spec, direction == FLOW_EGRESS ? "egress" :
		    "ingress", rules);
	}
	for (i = 0; i < tv.n && rc == 0; i++)
		if (tv.v[i].pk == POLICYGEN_TUP_CIDR ||
		    tv.v[i].pk == POLICYGEN_TUP_NAME)
			rc = policygen_tupv_add(all, &tv.v[i]);
out:
	policygen_rules_free(&rs);
	free(tv.v);
	return rc;
}

/*
 * Nothing recorded in any exported direction: Cilium refuses a policy
 * without rules, so each direction gets the empty rule, which selects no
 * peer (Cilium's default-deny idiom, examples/policies/l3/
 * egress-default-deny).
 */
static void
deny_all(json_object *spec, const struct policygen_opts *o)
{
	json_object *a;

	if (o->ingress) {
		a = json_object_new_array();
		json_object_array_add(a, json_object_new_object());
		policygen_obj_add(spec, "ingress", a);
	}
	if (o->egress) {
		a = json_object_new_array();
		json_object_array_add(a, json_object_new_object());
		policygen_obj_add(spec, "egress", a);
	}
}

static int
build(const struct index *idx, const struct index_workload *wl,
    const struct policygen_opts *o, struct policygen_result *r,
    json_object **doc)
{
	struct policygen_tupv addrs = { 0 };
	json_object *spec, *dd, *pol;
	int rc = 0;

	*doc = NULL;
	memset(r, 0, sizeof(*r));
	if ((spec = json_object_new_object()) == NULL)
		return -ENOMEM;
	policygen_obj_add(spec, "endpointSelector",
	    json_object_get(wl->selector));
	dd = json_object_new_object();
	policygen_obj_add(dd, "ingress", json_object_new_boolean(o->ingress));
	policygen_obj_add(dd, "egress", json_object_new_boolean(o->egress));
	policygen_obj_add(spec, "enableDefaultDeny", dd);
	if (o->ingress)
		rc = direction_rules(idx, wl, FLOW_INGRESS, o, spec, &addrs, r);
	if (rc == 0 && o->egress)
		rc = direction_rules(idx, wl, FLOW_EGRESS, o, spec, &addrs, r);
	if (rc == 0 && (rc = policygen_known_servers(&addrs, false, r)) == 0)
		rc = policygen_warnings(idx, wl, o, r);
	free(addrs.v);
	if (rc < 0) {
		json_object_put(spec);
		return rc;
	}
	if (!json_object_object_get_ex(spec, "ingress", NULL) &&
	    !json_object_object_get_ex(spec, "egress", NULL))
		deny_all(spec, o);
	policygen_result_finish(r);
	pol = json_object_new_object();
	policygen_add_str(pol, "apiVersion", "cilium.io/v2");
	policygen_add_str(pol, "kind", "CiliumNetworkPolicy");
	policygen_obj_add(pol, "metadata", policygen_metadata(idx, wl, r));
	policygen_obj_add(pol, "spec", spec);
	*doc = pol;
	return 0;
}

const struct gen_format gen_format_cilium = {
	.name = "cilium",
	.help = "CiliumNetworkPolicy: DNS names, ICMP",
	.kind = "CiliumNetworkPolicy",
	.notes = true,
	.build = build,
};
