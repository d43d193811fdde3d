/*
 * test_report: the report model built from an index of a world in memory, address classification, and the renderers' output:
 * what a reader must find in it, and hostile names escaped.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <netinet/in.h>

#include "cli/eval/check_load.h"
#include "cli/report/report.h"
#include "cli/source/knownservers.h"
#include "tests/unit/ut_world.h"

#define FIX "tests/fixtures/policies/"

struct world {
	struct ut_world *uw;
	struct npeval_set *set;		/* policies given, or NULL */
	struct check_result *res;	/* set checked */
	struct index *idx;
	struct ks_set *ks;
	struct addr_cidr pod, svc;
	struct report_input in;
};

/* The shop: frontend (running before the recording started) calls api
 * through a Service; api talks to addresses and is probed by its node;
 * frontend pings. The window: 1000 to 91000 (25 hours). */
static int
setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	struct source_query q = { .since = 1000, .until = 91000,
	    .direction = -1 };
	struct ut_world *uw;
	struct addr_cidr c;
	struct flow *f;
	int api, fe;

	assert_non_null(w);
	assert_non_null(uw = w->uw = ut_world_new());
	api = ut_world_workload(uw, "shop", "Deployment", "api",
	    "{\"app\":\"api\"}", NULL);
	fe = ut_world_workload(uw, "shop", "Deployment", "frontend",
	    "{\"app\":\"frontend\"}", NULL);
	ut_world_workload_set(uw, fe, false, 900);
	ut_world_recording_started(uw, 1500);
	ut_world_counter(uw, "events_lost", 12);
	ut_world_counter(uw, "events_seen", 5000);
	/* Two running pods adopted now, three adoptions, one released. */
	ut_world_counter(uw, "pods_adopted", 2);
	ut_world_counter(uw, "adoptions", 3);
	ut_world_counter(uw, "adoption_releases", 1);
	f = ut_world_flow(uw, fe, FLOW_EGRESS, FLOW_PEER_WORKLOAD, api, NULL,
	    IPPROTO_TCP, 8080, 120, 2000, 3000);
	assert_int_equal(addr_parse("10.96.0.20", &f->key.orig), 0);
	f->key.orig_port = 80;
	ut_world_flow(uw, api, FLOW_INGRESS, FLOW_PEER_WORKLOAD, fe, NULL,
	    IPPROTO_TCP, 8080, 118, 2000, 3000);
	/* A DNS name nobody should trust into markup. */
	ut_world_flow(uw, api, FLOW_EGRESS, FLOW_PEER_ADDRESS, -1,
	    "203.0.113.10", IPPROTO_TCP, 443, 15, 2000, 3000)->dns_name =
	    "<script>x|y</script>.";
	ut_world_flow(uw, api, FLOW_EGRESS, FLOW_PEER_ADDRESS, -1, "10.1.2.3",
	    IPPROTO_TCP, 9000, 4, 2000, 3000);
	ut_world_flow(uw, api, FLOW_INGRESS, FLOW_PEER_NODE, -1, "198.18.0.1",
	    IPPROTO_TCP, 8080, 1000, 2000, 3000);
	ut_world_flow(uw, fe, FLOW_EGRESS, FLOW_PEER_ADDRESS, -1,
	    "198.51.100.7", IPPROTO_ICMP, 0, 2, 2000, 3000);
	/* Two more names of api's address; one never reached. */
	ut_world_dns(uw, api, "203.0.113.10", "Pay.Example.com.");
	ut_world_dns(uw, api, "203.0.113.10", "alias.example.com.");
	ut_world_dns(uw, api, "203.0.113.99", "never.example.com.");
	assert_non_null(w->idx = ut_world_index(uw, &q));
	assert_non_null(w->ks = ks_set_new());
	assert_int_equal(addr_cidr_parse("203.0.113.0/25", &c), 0);
	assert_int_equal(ks_add(w->ks, "payments", &c, "pay.example.com",
	    "card-gateway"), 0);
	assert_int_equal(addr_cidr_parse("198.18.1.0/24", &w->pod), 0);
	assert_int_equal(addr_cidr_parse("10.96.0.0/12", &w->svc), 0);
	w->in.idx = w->idx;
	w->in.namespace_ = "shop";
	w->in.generated_at = 10000;
	w->in.ks = w->ks;
	*state = w;
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;

	index_free(w->idx);
	ut_world_free(w->uw);
	ks_set_free(w->ks);
	free(w);
	return 0;
}

static void
test_classify(void **state)
{
	struct world *w = *state;
	struct addr a;

	assert_int_equal(addr_parse("10.1.2.3", &a), 0);
	/* No cluster ranges given: a private address could be either. */
	assert_string_equal(report_classify(&w->in, FLOW_PEER_ADDRESS, &a),
	    "unknown");
	w->in.pod_cidrs = &w->pod;
	w->in.npod_cidrs = 1;
	assert_string_equal(report_classify(&w->in, FLOW_PEER_ADDRESS, &a),
	    "external");
	assert_int_equal(addr_parse("198.18.1.9", &a), 0);
	assert_string_equal(report_classify(&w->in, FLOW_PEER_ADDRESS, &a),
	    "internal");
	w->in.svc_cidrs = &w->svc;
	w->in.nsvc_cidrs = 1;
	assert_int_equal(addr_parse("10.100.0.1", &a), 0);
	assert_string_equal(report_classify(&w->in, FLOW_PEER_ADDRESS, &a),
	    "internal");
	assert_int_equal(addr_parse("2001:db8:ff::1", &a), 0);
	assert_string_equal(report_classify(&w->in, FLOW_PEER_ADDRESS, &a),
	    "external");
	assert_string_equal(report_classify(&w->in, FLOW_PEER_NODE, &a),
	    "node");
	memset(&a, 0, sizeof(a));
	assert_string_equal(report_classify(&w->in, FLOW_PEER_UNKNOWN, &a),
	    "unknown");
}

static json_object *
at(json_object *o, const char *path)
{
	char buf[256], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); o != NULL && tok != NULL;
	    tok = strtok_r(NULL, ".", &save)) {
		if (tok[0] >= '0' && tok[0] <= '9')
			o = json_object_array_get_idx(o, (size_t)atoi(tok));
		else if (!json_object_object_get_ex(o, tok, &o))
			o = NULL;
	}
	return o;
}

static int64_t
at_int(json_object *o, const char *path)
{
	o = at(o, path);
	return o ? json_object_get_int64(o) : -1;
}

static const char *
at_str(json_object *o, const char *path)
{
	o = at(o, path);
	return o ? json_object_get_string(o) : "(missing)";
}

static void
test_model_without_policies(void **state)
{
	struct world *w = *state;
	json_object *m;

	w->in.svc_cidrs = &w->svc;
	w->in.nsvc_cidrs = 1;
	assert_non_null(m = report_build(&w->in));
	assert_int_equal(at_int(m, "schemaVersion"), 1);
	assert_string_equal(at_str(m, "window.since"), "1970-01-01T00:16:40Z");
	assert_int_equal(at_int(m, "window.seconds"), 90000);
	assert_int_equal(at_int(m, "completeness.eventsLost"), 12);
	assert_int_equal(at_int(m, "summary.workloads"), 2);
	assert_int_equal(at_int(m, "summary.flows"), 6);
	assert_true(json_object_is_type(at(m, "policies"), json_type_null));
	assert_string_equal(at_str(m, "namespaces.0.name"), "shop");
	assert_string_equal(at_str(m, "namespaces.0.workloads.0.id"),
	    "shop/Deployment/api");
	/* api: ingress from frontend and the node; egress to two
	 * addresses. */
	assert_int_equal(json_object_array_length(at(m,
	    "namespaces.0.workloads.0.ingress")), 2);
	assert_int_equal(json_object_array_length(at(m,
	    "namespaces.0.workloads.0.egress")), 2);
	assert_null(at(m, "namespaces.0.workloads.0.ingress.0.verdict"));
	/* frontend -> api went through the Service. */
	assert_string_equal(at_str(m,
	    "namespaces.0.workloads.1.egress.0.service.address"), "10.96.0.20");
	assert_int_equal(json_object_get_int(at(m,
	    "namespaces.0.workloads.1.egress.0.service.port")), 80);
	assert_true(json_object_get_boolean(at(m,
	    "namespaces.0.workloads.1.observation.predatesRecording")));
	assert_int_equal(json_object_get_int(at(m,
	    "namespaces.0.workloads.1.observation.observedSeconds")), 90000);
	/* Addresses, sorted: 10.1.2.3 (outside the ranges), 198.18.0.1
	 * (node), 198.51.100.7 (ICMP, unnamed), 203.0.113.10 (KnownServer). */
	assert_int_equal(json_object_array_length(at(m, "addresses")), 4);
	assert_string_equal(at_str(m, "addresses.0.address"), "10.1.2.3");
	assert_string_equal(at_str(m, "addresses.0.class"), "external");
	assert_string_equal(at_str(m, "addresses.1.class"), "node");
	assert_false(json_object_get_boolean(at(m, "addresses.1.unnamed")));
	assert_true(json_object_get_boolean(at(m, "addresses.2.unnamed")));
	assert_string_equal(at_str(m, "addresses.2.ports.0"), "ICMP");
	assert_string_equal(at_str(m, "addresses.3.knownServer.name"),
	    "card-gateway");
	assert_string_equal(at_str(m, "addresses.3.dnsNames.0"),
	    "<script>x|y</script>.");
	/* Every name the pods resolved to it, after the flow's own. */
	assert_int_equal(json_object_array_length(at(m,
	    "addresses.3.dnsNames")), 3);
	assert_string_equal(at_str(m, "addresses.3.dnsNames.1"),
	    "Pay.Example.com.");
	assert_string_equal(at_str(m, "addresses.3.dnsNames.2"),
	    "alias.example.com.");
	/* The names -o cilium and -o clusternetworkpolicy write for api:
	 * those the APIs take, as written, with their address; not the
	 * one never reached, not the markup. */
	assert_int_equal(json_object_array_length(at(m,
	    "namespaces.0.workloads.0.egressNames")), 2);
	assert_string_equal(at_str(m, "namespaces.0.workloads.0.egressNames.0."
	    "name"), "alias.example.com");
	assert_string_equal(at_str(m, "namespaces.0.workloads.0.egressNames.1."
	    "name"), "pay.example.com");
	assert_string_equal(at_str(m, "namespaces.0.workloads.0.egressNames.1."
	    "addresses.0"), "203.0.113.10");
	assert_int_equal(json_object_array_length(at(m,
	    "namespaces.0.workloads.1.egressNames")), 0);
	assert_int_equal(at_int(m, "summary.unnamedAddresses"), 2);
	/* Warnings: lost events, a workload predating the recording,
	 * ICMP. */
	assert_int_equal(json_object_array_length(at(m, "warnings")), 3);
	assert_non_null(strstr(at_str(m, "warnings.0"), "12 conntrack events"));
	json_object_put(m);
}

/* The world's report input with policies: shop's default deny, checked. */
static void
default_deny(struct world *w)
{
	static const char *paths[] = { FIX "shop/00-default-deny.yaml" };
	char err[256];

	assert_int_equal(npeval_set_new(&w->set), 0);
	assert_int_equal(check_load_policies(w->set, paths[0], "shop", NULL,
	    err, sizeof(err)), 0);
	assert_int_equal(check_eval(w->set, w->idx, &w->res), 0);
	w->in.policies = w->set;
	w->in.check = w->res;
	w->in.policy_paths = paths;
	w->in.npolicy_paths = 1;
}

/* Back to no policies. */
static void
no_policies(struct world *w)
{
	check_result_free(w->res);
	npeval_set_free(w->set);
	w->res = NULL;
	w->set = NULL;
	w->in.policies = NULL;
	w->in.check = NULL;
}

static void
test_model_with_policies(void **state)
{
	struct world *w = *state;
	json_object *m;

	default_deny(w);
	assert_non_null(m = report_build(&w->in));
	assert_int_equal(at_int(m, "policies.count"), 1);
	assert_string_equal(at_str(m, "policies.items.0.name"),
	    "default-deny");
	/* Default deny: everything but the node's probe is denied. The
	 * frontend -> api pair is one denial per side. */
	assert_string_equal(at_str(m,
	    "namespaces.0.workloads.0.ingress.1.verdict"), "allowed");
	assert_string_equal(at_str(m,
	    "namespaces.0.workloads.0.ingress.0.verdict"), "denied");
	assert_int_equal(at_int(m, "summary.denied"), 5);
	assert_int_equal(json_object_array_length(at(m, "denied")), 5);
	assert_string_equal(at_str(m, "denied.0.workload"),
	    "shop/Deployment/api");
	assert_string_equal(at_str(m, "denied.0.policies.0"),
	    "shop/default-deny");
	assert_string_equal(at_str(m,
	    "namespaces.0.workloads.0.policies.egress.0"), "shop/default-deny");
	assert_int_equal(json_object_array_length(at(m, "unselected")), 0);
	/* Each denial carries the rule export writes to allow it: the
	 * KnownServer's CIDR for its address, the peer's selector for a
	 * workload; none for ICMP. */
	assert_string_equal(at_str(m, "denied.1.allowRule.policy"),
	    "shop/deployment-api");
	assert_string_equal(at_str(m,
	    "denied.1.allowRule.spec.egress.0.to.0.ipBlock.cidr"),
	    "203.0.113.0/25");
	assert_int_equal(at_int(m,
	    "denied.1.allowRule.spec.egress.0.ports.0.port"), 443);
	assert_string_equal(at_str(m,
	    "denied.1.allowRule.spec.egress.0.ports.0.protocol"), "TCP");
	assert_int_equal(json_object_array_length(at(m,
	    "denied.1.allowRule.spec.egress.0.to")), 1);
	assert_non_null(at(m,
	    "denied.2.allowRule.spec.ingress.0.from.0.podSelector"));
	assert_int_equal(at_int(m,
	    "denied.2.allowRule.spec.ingress.0.ports.0.port"), 8080);
	assert_string_equal(at_str(m, "denied.4.protocol"), "ICMP");
	assert_true(json_object_is_type(at(m, "denied.4.allowRule"),
	    json_type_null));
	json_object_put(m);
	no_policies(w);

	/* No policy at all: both workloads are open both ways. */
	assert_int_equal(npeval_set_new(&w->set), 0);
	assert_int_equal(check_eval(w->set, w->idx, &w->res), 0);
	w->in.policies = w->set;
	w->in.check = w->res;
	assert_non_null(m = report_build(&w->in));
	assert_int_equal(json_object_array_length(at(m, "unselected")), 2);
	assert_true(json_object_get_boolean(at(m, "unselected.0.ingress")));
	assert_true(json_object_get_boolean(at(m, "unselected.0.egress")));
	assert_int_equal(at_int(m, "summary.denied"), 0);
	json_object_put(m);
	no_policies(w);
}

/* The typed view reads every part of the model the renderers use. */
static void
test_view(void **state)
{
	struct world *w = *state;
	const struct report_workload *api, *fe;
	const struct report_flow *fl;
	struct report_view *v;
	json_object *m;
	char buf[128];

	default_deny(w);
	assert_non_null(m = report_build(&w->in));
	assert_int_equal(report_view_new(m, &v), 0);
	json_object_put(m);	/* the view keeps its own reference */

	assert_string_equal(v->scope, "shop");
	assert_string_equal(v->generated_at, "1970-01-01T02:46:40Z");
	assert_string_equal(v->window.since, "1970-01-01T00:16:40Z");
	assert_int_equal(v->window.seconds, 90000);
	assert_int_equal(v->events_lost, 12);
	/* Counters sorted by name: adoption_releases, adoptions,
	 * events_lost, events_seen, pods_adopted. */
	assert_int_equal(v->ncounters, 5);
	assert_string_equal(v->counters[2].name, "events_lost");
	assert_int_equal(v->counters[3].value, 5000);
	assert_true(v->has_adoption);
	assert_int_equal(v->adoption.now, 2);
	assert_int_equal(v->adoption.adoptions, 3);
	assert_int_equal(v->adoption.releases, 1);
	assert_true(v->has_policies);
	assert_int_equal(v->npolicies, 1);
	assert_int_equal(v->policy_paths.n, 1);
	assert_string_equal(v->policies[0].name, "default-deny");
	assert_int_equal(v->summary.workloads, 2);
	assert_int_equal(v->summary.denied, 5);

	assert_int_equal(v->nnamespaces, 1);
	assert_int_equal(v->namespaces[0].nworkloads, 2);
	api = &v->namespaces[0].workloads[0];
	fe = &v->namespaces[0].workloads[1];
	assert_string_equal(api->id, "shop/Deployment/api");
	assert_true(api->has_policies);
	assert_string_equal(api->policies[REPORT_EGRESS].v[0],
	    "shop/default-deny");
	assert_int_equal(api->nflows[REPORT_INGRESS], 2);
	assert_int_equal(api->nflows[REPORT_EGRESS], 2);
	fl = &api->flows[REPORT_INGRESS][1];
	assert_ptr_equal(fl->subject, api);
	assert_int_equal(fl->direction, REPORT_INGRESS);
	assert_int_equal(fl->peer.type, REPORT_PEER_NODE);
	assert_int_equal(fl->peer.class_, REPORT_CLASS_NODE);
	assert_int_equal(fl->verdict, REPORT_VERDICT_ALLOWED);
	assert_string_equal(report_peer_str(&fl->peer, buf, sizeof(buf)),
	    "node 198.18.0.1");
	fl = &fe->flows[REPORT_EGRESS][0];
	assert_int_equal(fl->peer.type, REPORT_PEER_WORKLOAD);
	assert_string_equal(fl->peer.id, "shop/Deployment/api");
	assert_true(fl->has_service);
	assert_string_equal(fl->service_address, "10.96.0.20");
	assert_int_equal(fl->service_port, 80);
	assert_string_equal(fl->protocol, "TCP");
	assert_int_equal(fl->port, 8080);
	assert_int_equal(fl->count, 120);
	assert_int_equal(fl->verdict, REPORT_VERDICT_DENIED);
	assert_true(fe->obs.predates_recording);

	assert_int_equal(v->naddresses, 4);
	assert_true(v->addresses[3].has_ks);
	assert_string_equal(v->addresses[3].ks.server, "pay.example.com");
	assert_string_equal(v->addresses[3].dns_names.v[0],
	    "<script>x|y</script>.");
	assert_true(v->addresses[2].unnamed);
	assert_int_equal(v->ndenied, 5);
	assert_string_equal(v->denied[0].workload, "shop/Deployment/api");
	assert_int_equal(v->denied[0].verdict, REPORT_VERDICT_DENIED);
	assert_string_equal(v->denied[0].policies.v[0], "shop/default-deny");
	assert_string_equal(v->denied[1].allow_policy, "shop/deployment-api");
	assert_non_null(v->denied[1].allow_spec);
	assert_null(v->denied[4].allow_spec);
	assert_int_equal(v->warnings.n, 3);
	report_view_free(v);
	no_policies(w);

	/* A partial model reads with empty values. */
	assert_non_null(m = json_tokener_parse("{\"namespaces\": [{\"name\": "
	    "\"x\", \"workloads\": [{\"id\": \"x/Pod/p\", \"egress\": "
	    "[{\"peer\": {\"type\": \"address\"}, \"protocol\": 132}]}]}], "
	    "\"policies\": null}"));
	assert_int_equal(report_view_new(m, &v), 0);
	json_object_put(m);
	assert_false(v->has_policies);
	assert_string_equal(v->scope, "");
	fl = &v->namespaces[0].workloads[0].flows[REPORT_EGRESS][0];
	assert_string_equal(fl->protocol, "132");
	assert_int_equal(fl->verdict, REPORT_VERDICT_NONE);
	assert_string_equal(report_peer_str(&fl->peer, buf, sizeof(buf)),
	    "unknown");
	assert_int_equal(v->namespaces[0].workloads[0].nflows[REPORT_INGRESS],
	    0);
	report_view_free(v);
	report_view_free(NULL);
}

typedef int (*render_fn)(FILE *, const struct report_view *,
    const struct report_render_opts *);

static char *
render(struct world *w, render_fn fn)
{
	struct report_render_opts opts = { .graph = REPORT_GRAPH_AUTO };
	struct report_view *v;
	json_object *m;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	assert_non_null(m = report_build(&w->in));
	assert_int_equal(report_view_new(m, &v), 0);
	json_object_put(m);
	assert_non_null(f = open_memstream(&buf, &len));
	assert_int_equal(fn(f, v, &opts), 0);
	fclose(f);
	report_view_free(v);
	return buf;
}

static void
test_renderers(void **state)
{
	struct world *w = *state;
	char *out, *p;
	json_object *back;

	default_deny(w);

	out = render(w, report_render_text);
	assert_non_null(strstr(out, "netpol-record report: namespace shop\n"));
	assert_non_null(strstr(out, "via Service 10.96.0.20:80"));
	assert_non_null(strstr(out, "DENIED     shop/Deployment/api ingress "
	    "from shop/Deployment/frontend TCP/8080"));
	assert_non_null(strstr(out, "already running when recording started"));
	assert_non_null(strstr(out, "adopted:     2 running pods now (3 "
	    "adoptions, 1 released); recorded from their adoption on\n"));
	assert_non_null(strstr(out, "  names (toFQDNs of -o cilium, "
	    "domainNames of -o clusternetworkpolicy): alias.example.com "
	    "(203.0.113.10), pay.example.com (203.0.113.10)\n"));
	free(out);

	out = render(w, report_render_markdown);
	assert_non_null(strstr(out, "# Network traffic report: namespace "
	    "shop\n"));
	/* The hostile DNS name cannot break the table or add markup. */
	assert_non_null(strstr(out, "\\<script\\>x\\|y\\</script\\>."));
	assert_null(strstr(out, "<script>"));
	assert_non_null(strstr(out, "## Recorded flows the policies would "
	    "deny"));
	assert_non_null(strstr(out, "| Running pods adopted | 2 now (3 "
	    "adoptions, 1 released), recorded from their adoption on |\n"));
	assert_non_null(strstr(out, "Names allowed by `-o cilium` (toFQDNs) "
	    "and `-o clusternetworkpolicy` (domainNames): alias.example.com "
	    "(203.0.113.10), pay.example.com (203.0.113.10).\n"));
	free(out);

	out = render(w, report_render_html);
	assert_true(strncmp(out, "<!DOCTYPE html>", 15) == 0);
	/* Escaped (table cells may break after its '/' and '.'). */
	assert_non_null(strstr(out, "&lt;script&gt;x|y&lt;/<wbr>script&gt;."));
	assert_null(strstr(out, "<script>x"));
	/* One script element: ours, at the end. */
	assert_non_null(p = strstr(out, "<script>"));
	assert_null(strstr(p + 1, "<script>"));
	/* The drawing: Graphviz's, with our ids and titles. */
	assert_non_null(strstr(out, "<svg id=\"topology\""));
	assert_non_null(strstr(out, "class=\"edge denied\">"));
	assert_non_null(strstr(out, "<title>pay.example.com: 203.0.113.10 "
	    "(external)</title>"));
	/* The rule to allow a denied flow, as YAML to copy. */
	assert_non_null(strstr(out, "<pre>spec:\n  egress:\n  - to:\n    - "
	    "ipBlock:\n        cidr: 203.0.113.0/25\n    ports:\n    - "
	    "port: 443\n      protocol: TCP\n</pre>"));
	assert_non_null(strstr(out, "export writes no rule for it"));
	/* Rows know their edge, and the filters' facets. */
	assert_non_null(strstr(out, "<tr class=\"denied\" data-ns=\"shop\" "
	    "data-verdict=\"denied\" data-proto=\"TCP\" "
	    "data-peer=\"workload\" data-edge=\"e"));
	assert_non_null(strstr(out, "</html>\n"));
	free(out);

	out = render(w, report_render_json);
	assert_non_null(back = json_tokener_parse(out));
	assert_int_equal(at_int(back, "summary.denied"), 5);
	json_object_put(back);
	free(out);

	no_policies(w);
}

static void
test_empty(void **state)
{
	struct report_render_opts opts = { .graph = REPORT_GRAPH_AUTO };
	struct report_input in;
	struct report_view *v;
	struct ut_world *uw;
	struct index *idx;
	json_object *m;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	memset(&in, 0, sizeof(in));
	assert_non_null(uw = ut_world_new());
	assert_non_null(in.idx = idx = ut_world_index(uw, NULL));
	assert_non_null(m = report_build(&in));
	assert_int_equal(json_object_array_length(at(m, "namespaces")), 0);
	assert_true(json_object_is_type(at(m, "scope.namespace"),
	    json_type_null));
	assert_int_equal(report_view_new(m, &v), 0);
	assert_non_null(f = open_memstream(&buf, &len));
	assert_int_equal(report_render_html(f, v, &opts), 0);
	assert_int_equal(report_render_text(f, v, &opts), 0);
	assert_int_equal(report_render_markdown(f, v, &opts), 0);
	fclose(f);
	report_view_free(v);
	assert_non_null(strstr(buf, "No traffic recorded: nothing to draw."));
	assert_non_null(strstr(buf, "all namespaces"));
	free(buf);
	json_object_put(m);
	index_free(idx);
	ut_world_free(uw);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_classify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_model_without_policies,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_model_with_policies, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_view, setup, teardown),
		cmocka_unit_test_setup_teardown(test_renderers, setup,
		    teardown),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
