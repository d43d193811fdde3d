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
		else
			o = report_get(o, tok);
	}
	return o;
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
	assert_int_equal(report_int(m, "schemaVersion"), 1);
	assert_string_equal(at_str(m, "window.since"), "1970-01-01T00:16:40Z");
	assert_int_equal(report_int(at(m, "window"), "seconds"), 90000);
	assert_int_equal(report_int(at(m, "completeness"), "eventsLost"), 12);
	assert_int_equal(report_int(at(m, "summary"), "workloads"), 2);
	assert_int_equal(report_int(at(m, "summary"), "flows"), 6);
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
	assert_int_equal(report_int(at(m, "summary"), "unnamedAddresses"), 2);
	/* Warnings: lost events, a workload predating the recording,
	 * ICMP. */
	assert_int_equal(json_object_array_length(at(m, "warnings")), 3);
	assert_non_null(strstr(at_str(m, "warnings.0"), "12 conntrack events"));
	json_object_put(m);
}

static void
test_model_with_policies(void **state)
{
	struct world *w = *state;
	struct npeval_set *set;
	struct check_result *res;
	const char *paths[] = { FIX "shop/00-default-deny.yaml" };
	json_object *m;
	char err[256];

	assert_int_equal(npeval_set_new(&set), 0);
	assert_int_equal(check_load_policies(set, paths[0], "shop", NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(check_eval(set, w->idx, &res), 0);
	w->in.policies = set;
	w->in.check = res;
	w->in.policy_paths = paths;
	w->in.npolicy_paths = 1;
	assert_non_null(m = report_build(&w->in));
	assert_int_equal(report_int(at(m, "policies"), "count"), 1);
	assert_string_equal(at_str(m, "policies.items.0.name"),
	    "default-deny");
	/* Default deny: everything but the node's probe is denied. The
	 * frontend -> api pair is one denial per side. */
	assert_string_equal(at_str(m,
	    "namespaces.0.workloads.0.ingress.1.verdict"), "allowed");
	assert_string_equal(at_str(m,
	    "namespaces.0.workloads.0.ingress.0.verdict"), "denied");
	assert_int_equal(report_int(at(m, "summary"), "denied"), 5);
	assert_int_equal(json_object_array_length(at(m, "denied")), 5);
	assert_string_equal(at_str(m, "denied.0.workload"),
	    "shop/Deployment/api");
	assert_string_equal(at_str(m, "denied.0.policies.0"),
	    "shop/default-deny");
	assert_string_equal(at_str(m,
	    "namespaces.0.workloads.0.policies.egress.0"), "shop/default-deny");
	assert_int_equal(json_object_array_length(at(m, "unselected")), 0);
	json_object_put(m);
	check_result_free(res);
	npeval_set_free(set);

	/* No policy at all: both workloads are open both ways. */
	assert_int_equal(npeval_set_new(&set), 0);
	assert_int_equal(check_eval(set, w->idx, &res), 0);
	w->in.policies = set;
	w->in.check = res;
	assert_non_null(m = report_build(&w->in));
	assert_int_equal(json_object_array_length(at(m, "unselected")), 2);
	assert_true(json_object_get_boolean(at(m, "unselected.0.ingress")));
	assert_true(json_object_get_boolean(at(m, "unselected.0.egress")));
	assert_int_equal(report_int(at(m, "summary"), "denied"), 0);
	json_object_put(m);
	check_result_free(res);
	npeval_set_free(set);
	w->in.policies = NULL;
	w->in.check = NULL;
}

typedef int (*render_fn)(FILE *, json_object *);

static char *
render(struct world *w, render_fn fn)
{
	json_object *m;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	assert_non_null(m = report_build(&w->in));
	assert_non_null(f = open_memstream(&buf, &len));
	assert_int_equal(fn(f, m), 0);
	fclose(f);
	json_object_put(m);
	return buf;
}

static void
test_renderers(void **state)
{
	struct world *w = *state;
	struct npeval_set *set;
	struct check_result *res;
	const char *paths[] = { FIX "shop/00-default-deny.yaml" };
	char err[256], *out, *p;
	json_object *back;

	assert_int_equal(npeval_set_new(&set), 0);
	assert_int_equal(check_load_policies(set, paths[0], "shop", NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(check_eval(set, w->idx, &res), 0);
	w->in.policies = set;
	w->in.check = res;
	w->in.policy_paths = paths;
	w->in.npolicy_paths = 1;

	out = render(w, report_render_text);
	assert_non_null(strstr(out, "netpol-record report: namespace shop\n"));
	assert_non_null(strstr(out, "via Service 10.96.0.20:80"));
	assert_non_null(strstr(out, "DENIED     shop/Deployment/api ingress "
	    "from shop/Deployment/frontend TCP/8080"));
	assert_non_null(strstr(out, "already running when recording started"));
	free(out);

	out = render(w, report_render_markdown);
	assert_non_null(strstr(out, "# Network traffic report: namespace "
	    "shop\n"));
	/* The hostile DNS name cannot break the table or add markup. */
	assert_non_null(strstr(out, "\\<script\\>x\\|y\\</script\\>."));
	assert_null(strstr(out, "<script>"));
	assert_non_null(strstr(out, "## Recorded flows the policies would "
	    "deny"));
	free(out);

	out = render(w, report_render_html);
	assert_true(strncmp(out, "<!DOCTYPE html>", 15) == 0);
	assert_non_null(strstr(out, "&lt;script&gt;x|y&lt;/script&gt;."));
	/* One script element: ours, at the end. */
	assert_non_null(p = strstr(out, "<script>"));
	assert_null(strstr(p + 1, "<script>"));
	assert_non_null(strstr(out, "<path class=\"edge denied\""));
	assert_non_null(strstr(out, "</html>\n"));
	free(out);

	out = render(w, report_render_json);
	assert_non_null(back = json_tokener_parse(out));
	assert_int_equal(report_int(at(back, "summary"), "denied"), 5);
	json_object_put(back);
	free(out);

	check_result_free(res);
	npeval_set_free(set);
	w->in.policies = NULL;
	w->in.check = NULL;
}

static void
test_empty(void **state)
{
	struct report_input in;
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
	assert_non_null(f = open_memstream(&buf, &len));
	assert_int_equal(report_render_html(f, m), 0);
	assert_int_equal(report_render_text(f, m), 0);
	assert_int_equal(report_render_markdown(f, m), 0);
	fclose(f);
	assert_non_null(strstr(buf, "No traffic recorded: nothing to draw."));
	assert_non_null(strstr(buf, "all namespaces"));
	free(buf);
	json_object_put(m);
	index_free(idx);
	ut_world_free(uw);
}

/* Big drawings stay readable: addresses one box per class, and too many
 * workloads are not drawn at all. Built from a model, as the renderer
 * reads it. */
static void
test_svg_limits(void **state)
{
	json_object *m, *egress, *fl, *peer, *w, *ws, *ns, *nss, *addrs, *a;
	char ip[32], *buf = NULL;
	size_t len = 0, i, n = 0;
	FILE *f;

	(void)state;
	m = json_object_new_object();
	nss = json_object_new_array();
	ns = json_object_new_object();
	ws = json_object_new_array();
	w = json_object_new_object();
	egress = json_object_new_array();
	addrs = json_object_new_array();
	json_object_object_add(w, "id", json_object_new_string("shop/Pod/x"));
	json_object_object_add(w, "name", json_object_new_string("x"));
	json_object_object_add(w, "kind", json_object_new_string("Pod"));
	for (i = 0; i < 50; i++) {
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
		json_object_object_add(fl, "count", json_object_new_int(1));
		json_object_array_add(egress, fl);
		a = json_object_new_object();
		json_object_object_add(a, "address", json_object_new_string(ip));
		json_object_object_add(a, "class",
		    json_object_new_string("external"));
		json_object_array_add(addrs, a);
	}
	json_object_object_add(w, "egress", egress);
	json_object_object_add(w, "ingress", json_object_new_array());
	json_object_array_add(ws, w);
	json_object_object_add(ns, "name", json_object_new_string("shop"));
	json_object_object_add(ns, "workloads", ws);
	json_object_array_add(nss, ns);
	json_object_object_add(m, "namespaces", nss);
	json_object_object_add(m, "addresses", addrs);
	json_object_object_add(m, "summary", json_object_new_object());
	json_object_object_add(report_get(m, "summary"), "workloads",
	    json_object_new_int(1));

	assert_non_null(f = open_memstream(&buf, &len));
	assert_int_equal(report_svg(f, m), 0);
	fclose(f);
	/* Two boxes: the workload and "50 external addresses". */
	for (char *p = buf; (p = strstr(p, "<g class=\"node\"")) != NULL; p++)
		n++;
	assert_int_equal(n, 2);
	assert_non_null(strstr(buf, "50 external addresses"));
	free(buf);

	json_object_object_add(report_get(m, "summary"), "workloads",
	    json_object_new_int(251));
	buf = NULL;
	assert_non_null(f = open_memstream(&buf, &len));
	assert_int_equal(report_svg(f, m), 0);
	fclose(f);
	assert_null(strstr(buf, "<svg"));
	assert_non_null(strstr(buf, "251 workloads are too many to draw"));
	free(buf);
	json_object_put(m);
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
		cmocka_unit_test_setup_teardown(test_renderers, setup,
		    teardown),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_svg_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
