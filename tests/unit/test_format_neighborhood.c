/*
 * format_neighborhood (and the Kubescape pieces it shares with -o
 * neighbors, cli/gen/kubescape.c): one container entry named after the
 * workload, the singular ipAddress and dns, dnsNames with every name of
 * the address and no other, ICMP without ports, nodes included, two
 * workloads of one selector one entry (one identifier), identifiers
 * stable; -o neighbors keeps its own shape.
 */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli/gen/gen.h"
#include "tests/unit/ut_gen.h"
#include "tests/unit/ut_world.h"

#define EG FLOW_EGRESS
#define IN FLOW_INGRESS

static int
setup(void **state)
{
	struct ut_gen_fx *fx = ut_gen_fx_new();
	struct ut_world *w;
	int web, x1, x2;

	w = fx->w;
	web = ut_world_workload(w, "shop", "Deployment", "web",
	    "{\"app\":\"web\"}", NULL);
	x1 = ut_world_workload(w, "shop", "Deployment", "x1",
	    "{\"app\":\"x\"}", NULL);
	x2 = ut_world_workload(w, "shop", "Deployment", "x2",
	    "{\"app\":\"x\"}", NULL);
	ut_world_selector(w, web, "{\"matchLabels\":{\"app\":\"web\"}}");
	ut_world_selector(w, x1, "{\"matchLabels\":{\"app\":\"x\"}}");
	ut_world_selector(w, x2, "{\"matchLabels\":{\"app\":\"x\"}}");
	ut_world_workload_set(w, web, false, 500);
	ut_world_recording_started(w, 1000);
	ut_world_flow(w, web, EG, FLOW_PEER_WORKLOAD, x1, NULL, IPPROTO_TCP,
	    80, 1, 1000, 2000);
	ut_world_flow(w, web, EG, FLOW_PEER_WORKLOAD, x2, NULL, IPPROTO_TCP,
	    81, 1, 1000, 2000);
	ut_world_flow(w, web, EG, FLOW_PEER_ADDRESS, -1, "203.0.113.20",
	    IPPROTO_TCP, 443, 1, 1000, 2000)->dns_name = "assets.example.test.";
	ut_world_dns(w, web, "203.0.113.20", "static.example.test.");
	ut_world_dns(w, web, "203.0.113.20", "assets.example.test.");
	ut_world_dns(w, web, "203.0.113.21", "never.example.test.");
	ut_world_flow(w, web, EG, FLOW_PEER_ADDRESS, -1, "203.0.113.10",
	    IPPROTO_ICMP, 0, 1, 1000, 2000);
	ut_world_flow(w, web, IN, FLOW_PEER_NODE, -1, "198.18.0.1",
	    IPPROTO_TCP, 8080, 1, 1000, 2000);
	fx->idx = ut_world_index(w, &(struct source_query){
	    .namespace_ = "shop", .kind = "Deployment", .name = "web",
	    .direction = -1 });
	assert_non_null(fx->idx);
	*state = fx;
	return 0;
}

static const struct policygen_opts both = {
	.ingress = true, .egress = true,
};

static void
test_neighborhood(void **state)
{
	struct ut_gen_fx *fx = *state;
	struct policygen_result r;
	json_object *doc, *c, *e;
	char *y;

	doc = ut_gen_workload("neighborhood", fx->idx, "shop", "Deployment",
	    "web", &both, &r);
	y = ut_yaml(doc);
	assert_string_equal(ut_jstr(doc, "/apiVersion"),
	    "spdx.softwarecomposition.kubescape.io/v1beta1");
	assert_string_equal(ut_jstr(doc, "/kind"), "NetworkNeighborhood");
	assert_string_equal(ut_jstr(doc, "/metadata/name"), "deployment-web");
	assert_string_equal(ut_jstr(doc, "/metadata/labels/"
	    "kubescape.io~1workload-kind"), "deployment");
	assert_string_equal(ut_jstr(doc, "/metadata/labels/"
	    "kubescape.io~1workload-api-group"), "apps");
	/* Its pods started before the recording. */
	assert_string_equal(ut_jstr(doc, "/metadata/annotations/"
	    "kubescape.io~1status"), "partial");
	assert_string_equal(ut_jstr(doc, "/spec/matchLabels/app"), "web");
	assert_int_equal(ut_jlen(doc, "/spec/containers"), 1);
	c = ut_jget(doc, "/spec/containers/0");
	assert_string_equal(ut_jstr(c, "/name"), "web");

	/* x1 and x2 (one selector): one entry with both ports. */
	assert_int_equal(ut_jlen(c, "/egress"), 3);
	e = ut_jget(c, "/egress/0");
	assert_string_equal(ut_jstr(e, "/type"), "internal");
	assert_string_equal(ut_jstr(e, "/podSelector/matchLabels/app"), "x");
	assert_null(ut_jget(e, "/dnsNames"));
	assert_int_equal(ut_jlen(e, "/ports"), 2);
	assert_string_equal(ut_jstr(e, "/ports/0/name"), "TCP-80");
	assert_string_equal(ut_jstr(e, "/ports/1/name"), "TCP-81");
	assert_int_equal(strlen(ut_jstr(e, "/identifier")), 32);
	/* The ping: no ports. */
	e = ut_jget(c, "/egress/1");
	assert_string_equal(ut_jstr(e, "/ipAddress"), "203.0.113.10");
	assert_string_equal(ut_jstr(e, "/dns"), "");
	assert_null(ut_jget(e, "/dnsNames"));
	assert_int_equal(ut_jlen(e, "/ports"), 0);
	assert_non_null(ut_jget(e, "/ports"));
	/* Both names of the address, the newest as dns. */
	e = ut_jget(c, "/egress/2");
	assert_string_equal(ut_jstr(e, "/type"), "external");
	assert_string_equal(ut_jstr(e, "/ipAddress"), "203.0.113.20");
	assert_string_equal(ut_jstr(e, "/dns"), "assets.example.test.");
	assert_int_equal(ut_jlen(e, "/dnsNames"), 2);
	assert_string_equal(ut_jstr(e, "/dnsNames/0"), "assets.example.test.");
	assert_string_equal(ut_jstr(e, "/dnsNames/1"), "static.example.test.");
	assert_null(strstr(y, "never.example.test"));
	/* The kubelet: what was seen. */
	assert_int_equal(ut_jlen(c, "/ingress"), 1);
	assert_string_equal(ut_jstr(c, "/ingress/0/ipAddress"), "198.18.0.1");
	free(y);
	json_object_put(doc);
	policygen_result_clear(&r);
}

/* -o neighbors: the older shape, no dnsNames; the identifiers of the
 * same entries are the same in both formats. */
static void
test_neighbors(void **state)
{
	struct ut_gen_fx *fx = *state;
	struct policygen_result r;
	json_object *nb, *nh;
	size_t i;

	nb = ut_gen_workload("neighbors", fx->idx, "shop", "Deployment", "web",
	    &both, &r);
	policygen_result_clear(&r);
	nh = ut_gen_workload("neighborhood", fx->idx, "shop", "Deployment",
	    "web", &both, &r);
	policygen_result_clear(&r);
	assert_string_equal(ut_jstr(nb, "/kind"), "NetworkNeighbors");
	assert_null(ut_jget(nb, "/spec/containers"));
	assert_int_equal(ut_jlen(nb, "/spec/egress"), 3);
	assert_null(ut_jget(nb, "/spec/egress/2/dnsNames"));
	for (i = 0; i < 3; i++)
		assert_string_equal(ut_jstr(nb, "/spec/egress/%zu/identifier",
		    i), ut_jstr(nh, "/spec/containers/0/egress/%zu/identifier",
		    i));
	json_object_put(nb);
	json_object_put(nh);
}

/* Egress only: ingress is written empty. */
static void
test_direction(void **state)
{
	struct ut_gen_fx *fx = *state;
	struct policygen_opts o = both;
	struct policygen_result r;
	json_object *doc;

	o.ingress = false;
	doc = ut_gen_workload("neighborhood", fx->idx, "shop", "Deployment",
	    "web", &o, &r);
	assert_non_null(ut_jget(doc, "/spec/containers/0/ingress"));
	assert_int_equal(ut_jlen(doc, "/spec/containers/0/ingress"), 0);
	assert_int_equal(ut_jlen(doc, "/spec/containers/0/egress"), 3);
	json_object_put(doc);
	policygen_result_clear(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_neighborhood, setup,
		    ut_gen_teardown),
		cmocka_unit_test_setup_teardown(test_neighbors, setup,
		    ut_gen_teardown),
		cmocka_unit_test_setup_teardown(test_direction, setup,
		    ut_gen_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
