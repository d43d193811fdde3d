/*
 * format_clusternetworkpolicy: the baseline of a namespace that talks to
 * more than the API's limits hold: 30 namespaces, 30 names of one
 * address, 30 ports of one peer. Rules are cut at 25 peers, names and
 * protocols, objects at 25 rules with the next priority, the Deny last;
 * every peer and port is still there. Plus: names never resolved are
 * absent, ingress from nodes and addresses is not written, ICMP is
 * listed, nodes are one peer with --include-nodes.
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
#define NMANY 30

/* The namespaces and names of the world (the index borrows them). */
static char nsname[NMANY][16];
static char dnsname[NMANY][32];

static int
setup(void **state)
{
	struct ut_gen_fx *fx = ut_gen_fx_new();
	struct ut_world *w;
	int web, api, dns, db, svc, i;

	w = fx->w;
	web = ut_world_workload(w, "shop", "Deployment", "web",
	    "{\"app\":\"web\"}", NULL);
	api = ut_world_workload(w, "shop", "Deployment", "api",
	    "{\"app\":\"api\"}", NULL);
	dns = ut_world_workload(w, "kube-system", "Deployment", "coredns",
	    "{\"k8s-app\":\"kube-dns\"}", NULL);
	db = ut_world_workload(w, "data", "StatefulSet", "db",
	    "{\"app\":\"db\"}", NULL);
	ut_world_recording_started(w, 1000);
	ut_world_flow(w, web, EG, FLOW_PEER_WORKLOAD, api, NULL, IPPROTO_TCP,
	    8080, 1, 1000, 2000);
	ut_world_flow(w, api, IN, FLOW_PEER_WORKLOAD, web, NULL, IPPROTO_TCP,
	    8080, 1, 1000, 2000);
	ut_world_flow(w, web, EG, FLOW_PEER_WORKLOAD, dns, NULL, IPPROTO_UDP,
	    53, 1, 1000, 2000);
	for (i = 0; i < NMANY; i++) {
		snprintf(nsname[i], sizeof(nsname[i]), "ns%02d", i);
		svc = ut_world_workload(w, nsname[i], "Deployment", "svc",
		    "{\"app\":\"svc\"}", NULL);
		ut_world_flow(w, web, EG, FLOW_PEER_WORKLOAD, svc, NULL,
		    IPPROTO_TCP, 10000 + (unsigned)i, 1, 1000, 2000);
		ut_world_flow(w, api, EG, FLOW_PEER_WORKLOAD, db, NULL,
		    IPPROTO_TCP, 20000 + (unsigned)i, 1, 1000, 2000);
		snprintf(dnsname[i], sizeof(dnsname[i]),
		    "N%02d.Example.Test.", i);
		ut_world_dns(w, web, "203.0.113.10", dnsname[i]);
	}
	ut_world_flow(w, web, EG, FLOW_PEER_ADDRESS, -1, "203.0.113.10",
	    IPPROTO_TCP, 443, 1, 1000, 2000)->dns_name = "N00.Example.Test.";
	ut_world_flow(w, web, EG, FLOW_PEER_ADDRESS, -1, "203.0.113.10",
	    IPPROTO_ICMP, 0, 1, 1000, 2000);
	ut_world_dns(w, web, "203.0.113.11", "never.example.test.");
	ut_world_flow(w, web, EG, FLOW_PEER_ADDRESS, -1, "198.51.100.50",
	    IPPROTO_TCP, 9000, 1, 1000, 2000);
	ut_world_flow(w, web, EG, FLOW_PEER_NODE, -1, "198.18.0.1",
	    IPPROTO_TCP, 10250, 1, 1000, 2000);
	ut_world_flow(w, api, IN, FLOW_PEER_NODE, -1, "198.18.0.1",
	    IPPROTO_TCP, 8080, 1, 1000, 2000);
	ut_world_flow(w, api, IN, FLOW_PEER_ADDRESS, -1, "203.0.113.50",
	    IPPROTO_TCP, 8080, 1, 1000, 2000);
	fx->idx = ut_world_index(w, &(struct source_query){
	    .namespace_ = "shop", .direction = -1 });
	assert_non_null(fx->idx);
	*state = fx;
	return 0;
}

static const struct policygen_opts both = {
	.ingress = true, .egress = true,
};

/* Egress rule i of all the objects' egress rules, in order. */
static json_object *
egress_rule(json_object *docs, size_t i)
{
	size_t d, n;

	for (d = 0; d < json_object_array_length(docs); d++) {
		n = ut_jlen(docs, "/%zu/spec/egress", d);
		if (i < n)
			return ut_jget(docs, "/%zu/spec/egress/%zu", d, i);
		i -= n;
	}
	return NULL;
}

static void
test_split(void **state)
{
	struct ut_gen_fx *fx = *state;
	struct policygen_result r;
	json_object *docs, *rule;
	size_t i, n, nrules = 0;
	char *y, want[64];

	docs = ut_gen_namespace("clusternetworkpolicy", fx->idx, "shop", &both,
	    &r);
	y = ut_yaml(docs);
	/* 37 Accept rules and the Deny: two objects, 25 + 13. */
	assert_int_equal(json_object_array_length(docs), 2);
	assert_string_equal(ut_jstr(docs, "/0/apiVersion"),
	    "policy.networking.k8s.io/v1alpha2");
	assert_string_equal(ut_jstr(docs, "/0/kind"), "ClusterNetworkPolicy");
	assert_string_equal(ut_jstr(docs, "/0/metadata/name"),
	    "namespace-shop");
	assert_string_equal(ut_jstr(docs, "/1/metadata/name"),
	    "namespace-shop-2");
	assert_null(ut_jget(docs, "/0/metadata/namespace"));
	assert_string_equal(ut_jstr(docs, "/1/metadata/labels/"
	    "netpol-record~1namespace"), "shop");
	for (i = 0; i < 2; i++) {
		assert_string_equal(ut_jstr(docs, "/%zu/spec/tier", i),
		    "Baseline");
		assert_int_equal(json_object_get_int(ut_jget(docs,
		    "/%zu/spec/priority", i)), 100 + (int)i);
		assert_string_equal(ut_jstr(docs, "/%zu/spec/subject/"
		    "namespaces/matchLabels/kubernetes.io~1metadata.name", i),
		    "shop");
	}
	assert_int_equal(ut_jlen(docs, "/0/spec/egress"), 25);
	assert_int_equal(ut_jlen(docs, "/1/spec/egress"), 13);
	/* Ingress: from shop, then the Deny; nodes and addresses neither
	 * written nor denied. */
	assert_int_equal(ut_jlen(docs, "/0/spec/ingress"), 2);
	assert_string_equal(ut_jstr(docs, "/0/spec/ingress/0/name"),
	    "from-shop");
	assert_string_equal(ut_jstr(docs, "/0/spec/ingress/0/action"),
	    "Accept");
	assert_int_equal(json_object_get_int(ut_jget(docs, "/0/spec/ingress/0/"
	    "protocols/0/tcp/destinationPort/number")), 8080);
	assert_string_equal(ut_jstr(docs, "/0/spec/ingress/1/action"), "Deny");
	assert_int_equal(ut_jlen(docs, "/0/spec/ingress/1/from/0/namespaces"),
	    0);
	assert_null(ut_jget(docs, "/0/spec/ingress/1/from/1"));
	assert_null(ut_jget(docs, "/1/spec/ingress"));

	/* data: 30 ports, two rules of 25 and 5 protocols. */
	rule = egress_rule(docs, 0);
	assert_string_equal(ut_jstr(rule, "/name"), "to-data");
	assert_int_equal(ut_jlen(rule, "/protocols"), 25);
	assert_int_equal(json_object_get_int(ut_jget(rule,
	    "/protocols/0/tcp/destinationPort/number")), 20000);
	rule = egress_rule(docs, 1);
	assert_string_equal(ut_jstr(rule, "/name"), "to-data");
	assert_int_equal(ut_jlen(rule, "/protocols"), 5);
	assert_int_equal(json_object_get_int(ut_jget(rule,
	    "/protocols/4/tcp/destinationPort/number")), 20029);
	/* The cluster DNS on both protocols. */
	rule = egress_rule(docs, 2);
	assert_string_equal(ut_jstr(rule, "/name"), "to-kube-system");
	assert_non_null(ut_jget(rule, "/protocols/0/tcp"));
	assert_non_null(ut_jget(rule, "/protocols/1/udp"));
	/* Each namespace, its own port. */
	for (i = 0; i < NMANY; i++) {
		rule = egress_rule(docs, 3 + i);
		snprintf(want, sizeof(want), "to-%s", nsname[i]);
		assert_string_equal(ut_jstr(rule, "/name"), want);
		assert_string_equal(ut_jstr(rule, "/to/0/namespaces/"
		    "matchLabels/kubernetes.io~1metadata.name"), nsname[i]);
		assert_int_equal(json_object_get_int(ut_jget(rule,
		    "/protocols/0/tcp/destinationPort/number")), 10000 + i);
	}
	rule = egress_rule(docs, 33);
	assert_string_equal(ut_jstr(rule, "/name"), "to-shop");
	/* Nodes are left out without --include-nodes. */
	rule = egress_rule(docs, 34);
	assert_string_equal(ut_jstr(rule, "/name"),
	    "to-n00.example.test-and-24-more");
	assert_int_equal(ut_jlen(rule, "/to/0/domainNames"), 25);
	assert_string_equal(ut_jstr(rule, "/to/0/domainNames/0"),
	    "n00.example.test");
	rule = egress_rule(docs, 35);
	assert_string_equal(ut_jstr(rule, "/name"),
	    "to-n25.example.test-and-4-more");
	assert_int_equal(ut_jlen(rule, "/to/0/domainNames"), 5);
	assert_string_equal(ut_jstr(rule, "/to/0/domainNames/4"),
	    "n29.example.test");
	rule = egress_rule(docs, 36);
	assert_string_equal(ut_jstr(rule, "/name"), "to-198.51.100.50");
	assert_string_equal(ut_jstr(rule, "/to/0/networks/0"),
	    "198.51.100.50/32");
	rule = egress_rule(docs, 37);
	assert_string_equal(ut_jstr(rule, "/name"), "deny-everything-else");
	assert_string_equal(ut_jstr(rule, "/action"), "Deny");
	assert_string_equal(ut_jstr(rule, "/to/1/networks/0"), "0.0.0.0/0");
	assert_string_equal(ut_jstr(rule, "/to/1/networks/1"), "::/0");
	assert_null(egress_rule(docs, 38));
	/* Every rule but the Deny accepts. */
	for (i = 0; (rule = egress_rule(docs, i)) != NULL; i++, nrules++)
		assert_string_equal(ut_jstr(rule, "/action"), i < 37 ?
		    "Accept" : "Deny");
	assert_int_equal(nrules, 38);
	assert_null(strstr(y, "never.example.test"));
	/* The notes once, on the first object. */
	assert_string_equal(ut_jstr(docs, "/0/metadata/annotations/"
	    "netpol-record~1not-expressible"), "ICMP egress to 203.0.113.10");
	n = ut_jlen(docs, "/1/metadata/annotations");
	assert_null(ut_jget(docs, "/1/metadata/annotations/"
	    "netpol-record~1not-expressible"));
	assert_int_equal(n, 3);	/* generated-by, since, until */
	assert_string_equal(ut_jstr(docs, "/0/metadata/annotations/"
	    "netpol-record~1excluded"), "egress to node 198.18.0.1 "
	    "TCP/10250; ingress from node 198.18.0.1 TCP/8080");
	free(y);
	json_object_put(docs);
	policygen_result_clear(&r);
}

static void
test_nodes_and_direction(void **state)
{
	struct ut_gen_fx *fx = *state;
	struct policygen_opts o = both;
	struct policygen_result r;
	json_object *docs, *rule;
	size_t i;

	o.include_nodes = true;
	o.ingress = false;
	docs = ut_gen_namespace("clusternetworkpolicy", fx->idx, "shop", &o,
	    &r);
	/* One more rule: nodes, after the namespaces. */
	for (i = 0; (rule = egress_rule(docs, i)) != NULL; i++)
		if (ut_jget(rule, "/to/0/nodes") != NULL)
			break;
	assert_non_null(rule);
	assert_int_equal(i, 34);
	assert_string_equal(ut_jstr(rule, "/name"), "to-nodes");
	assert_int_equal(ut_jlen(rule, "/to/0/nodes"), 0);
	assert_int_equal(json_object_get_int(ut_jget(rule,
	    "/protocols/0/tcp/destinationPort/number")), 10250);
	/* Egress only: no ingress rules anywhere, not even the Deny. */
	for (i = 0; i < json_object_array_length(docs); i++)
		assert_null(ut_jget(docs, "/%zu/spec/ingress", i));
	json_object_put(docs);
	policygen_result_clear(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_split, setup,
		    ut_gen_teardown),
		cmocka_unit_test_setup_teardown(test_nodes_and_direction,
		    setup, ut_gen_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
