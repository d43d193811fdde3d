/*
 * format_cilium: what -o cilium writes for a small recorded world: peers
 * as endpoints (another namespace named), every name resolved to an
 * address reached in toFQDNs and only those, the DNS rule, ICMP as icmps
 * apart from toPorts, toCIDR with KnownServer widening, nodes as entities
 * with --include-nodes, the CIDR fallback without DNS traffic, and the
 * empty rule of a workload without traffic.
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
#include "cli/source/knownservers.h"
#include "tests/unit/ut_gen.h"
#include "tests/unit/ut_world.h"

#define EG FLOW_EGRESS
#define IN FLOW_INGRESS

static int
setup(void **state)
{
	struct ut_gen_fx *fx = ut_gen_fx_new();
	struct ut_world *w;
	struct addr_cidr c;
	int web, api, dns, db, batch, idle, exporter;

	w = fx->w;
	web = ut_world_workload(w, "shop", "Deployment", "web",
	    "{\"app\":\"web\"}", NULL);
	api = ut_world_workload(w, "shop", "Deployment", "api",
	    "{\"app\":\"api\"}", NULL);
	batch = ut_world_workload(w, "shop", "CronJob", "batch",
	    "{\"app\":\"batch\"}", NULL);
	idle = ut_world_workload(w, "shop", "Deployment", "idle",
	    "{\"app\":\"idle\"}", NULL);
	dns = ut_world_workload(w, "kube-system", "Deployment", "coredns",
	    "{\"k8s-app\":\"kube-dns\"}", NULL);
	db = ut_world_workload(w, "data", "StatefulSet", "db",
	    "{\"app\":\"db\"}", NULL);
	exporter = ut_world_workload(w, "monitoring", "DaemonSet", "exporter",
	    "{\"app\":\"exporter\"}", NULL);
	ut_world_workload_set(w, exporter, true, 0);
	ut_world_selector(w, web, "{\"matchLabels\":{\"app\":\"web\"}}");
	ut_world_selector(w, api, "{\"matchLabels\":{\"app\":\"api\"}}");
	ut_world_selector(w, batch,
	    "{\"matchLabels\":{\"app\":\"batch\"}}");
	ut_world_selector(w, idle, "{\"matchLabels\":{\"app\":\"idle\"}}");
	ut_world_selector(w, dns,
	    "{\"matchLabels\":{\"k8s-app\":\"kube-dns\"}}");
	ut_world_selector(w, db, "{\"matchLabels\":{\"app\":\"db\"}}");
	ut_world_recording_started(w, 1000);

	ut_world_flow(w, web, EG, FLOW_PEER_WORKLOAD, api, NULL, IPPROTO_TCP,
	    8080, 1, 1000, 2000);
	ut_world_flow(w, web, EG, FLOW_PEER_WORKLOAD, db, NULL, IPPROTO_TCP,
	    5432, 1, 1000, 2000);
	ut_world_flow(w, web, EG, FLOW_PEER_WORKLOAD, dns, NULL, IPPROTO_UDP,
	    53, 1, 1000, 2000);
	/* Resolved under three spellings of two names, and pinged. */
	ut_world_flow(w, web, EG, FLOW_PEER_ADDRESS, -1, "203.0.113.10",
	    IPPROTO_TCP, 443, 1, 1000, 2000)->dns_name = "api.example.test.";
	ut_world_flow(w, web, EG, FLOW_PEER_ADDRESS, -1, "203.0.113.10",
	    IPPROTO_ICMP, 0, 1, 1000, 2000)->dns_name = "api.example.test.";
	ut_world_flow(w, web, EG, FLOW_PEER_ADDRESS, -1, "2001:db8::10",
	    IPPROTO_ICMPV6, 0, 1, 1000, 2000)->dns_name = "api.example.test.";
	ut_world_dns(w, web, "203.0.113.10", "API.Example.Test.");
	ut_world_dns(w, web, "203.0.113.10", "alias.example.test.");
	ut_world_dns(w, web, "2001:db8::10", "api.example.test.");
	/* Never reached, and another workload's: never written. */
	ut_world_dns(w, web, "203.0.113.200", "never.example.test.");
	ut_world_dns(w, api, "203.0.113.10", "other.example.test.");
	/* A name that cannot be written: its address is. */
	ut_world_flow(w, web, EG, FLOW_PEER_ADDRESS, -1, "203.0.113.99",
	    IPPROTO_TCP, 443, 1, 1000, 2000)->dns_name = "intranet.";
	/* Without a lookup, in a KnownServer's network. */
	ut_world_flow(w, web, EG, FLOW_PEER_ADDRESS, -1, "198.51.100.50",
	    IPPROTO_TCP, 9000, 1, 1000, 2000);
	/* The kubelet, and a hostNetwork pod. */
	ut_world_flow(w, web, IN, FLOW_PEER_NODE, -1, "198.18.0.1",
	    IPPROTO_TCP, 8080, 1, 1000, 2000);
	ut_world_flow(w, web, IN, FLOW_PEER_WORKLOAD, exporter, NULL,
	    IPPROTO_TCP, 9100, 1, 1000, 2000);
	/* A name, but no DNS traffic recorded. */
	ut_world_flow(w, batch, EG, FLOW_PEER_ADDRESS, -1, "203.0.113.10",
	    IPPROTO_TCP, 443, 1, 1000, 2000)->dns_name = "api.example.test.";
	(void)idle;

	fx->idx = ut_world_index(w, &(struct source_query){
	    .namespace_ = "shop", .direction = -1 });
	assert_non_null(fx->idx);
	assert_int_equal(addr_cidr_parse("198.51.100.0/24", &c), 0);
	assert_int_equal(ks_add(index_known_servers(fx->idx), "backup", &c,
	    "backup.example.test", "vault"), 0);
	*state = fx;
	return 0;
}

static const struct policygen_opts both = {
	.ingress = true, .egress = true,
};

/* Egress rule i of doc. */
#define EGR(doc, i) ut_jget(doc, "/spec/egress/%d", i)

static void
test_peers_and_names(void **state)
{
	struct ut_gen_fx *fx = *state;
	struct policygen_opts o = both;
	struct policygen_result r;
	json_object *doc;
	char *y;

	o.ks = index_known_servers(fx->idx);
	doc = ut_gen_workload("cilium", fx->idx, "shop", "Deployment", "web",
	    &o, &r);
	y = ut_yaml(doc);
	if (getenv("UT_SHOW") != NULL)
		fprintf(stderr, "%s", y);
	assert_string_equal(ut_jstr(doc, "/apiVersion"), "cilium.io/v2");
	assert_string_equal(ut_jstr(doc, "/kind"), "CiliumNetworkPolicy");
	assert_string_equal(ut_jstr(doc, "/metadata/name"), "deployment-web");
	assert_string_equal(ut_jstr(doc, "/metadata/namespace"), "shop");
	assert_true(json_object_get_boolean(ut_jget(doc,
	    "/spec/enableDefaultDeny/ingress")));
	assert_true(json_object_get_boolean(ut_jget(doc,
	    "/spec/enableDefaultDeny/egress")));
	assert_string_equal(ut_jstr(doc, "/spec/endpointSelector/matchLabels/"
	    "app"), "web");

	/* Workloads in order (shop/api, then data/db, then kube-dns), a
	 * rule each: their ports differ. */
	assert_string_equal(ut_jstr(EGR(doc, 0), "/toEndpoints/0/matchLabels/"
	    "app"), "db");
	assert_string_equal(ut_jstr(EGR(doc, 0), "/toEndpoints/0/matchLabels/"
	    "k8s:io.kubernetes.pod.namespace"), "data");
	assert_string_equal(ut_jstr(EGR(doc, 0), "/toPorts/0/ports/0/port"),
	    "5432");
	/* The DNS rule: both protocols, the proxy sees every lookup. */
	assert_string_equal(ut_jstr(EGR(doc, 1), "/toEndpoints/0/matchLabels/"
	    "k8s:io.kubernetes.pod.namespace"), "kube-system");
	assert_int_equal(ut_jlen(EGR(doc, 1), "/toPorts/0/ports"), 2);
	assert_string_equal(ut_jstr(EGR(doc, 1), "/toPorts/0/ports/0/protocol"),
	    "TCP");
	assert_string_equal(ut_jstr(EGR(doc, 1), "/toPorts/0/ports/1/protocol"),
	    "UDP");
	assert_string_equal(ut_jstr(EGR(doc, 1),
	    "/toPorts/0/rules/dns/0/matchPattern"), "*");
	/* Same namespace: no namespace label. */
	assert_string_equal(ut_jstr(EGR(doc, 2), "/toEndpoints/0/matchLabels/"
	    "app"), "api");
	assert_int_equal(ut_jlen(EGR(doc, 2), "/toEndpoints/0/matchLabels"), 1);
	assert_null(ut_jget(EGR(doc, 2), "/toPorts/0/rules"));

	/* alias (IPv4: ICMP, 443) and api (ICMP, ICMPv6, 443) differ: a
	 * toPorts rule and an icmps rule each, names in lower case without
	 * the final dot, api once for its two spellings. */
	assert_string_equal(ut_jstr(EGR(doc, 3), "/toFQDNs/0/matchName"),
	    "alias.example.test");
	assert_int_equal(ut_jlen(EGR(doc, 3), "/toFQDNs"), 1);
	assert_string_equal(ut_jstr(EGR(doc, 3), "/toPorts/0/ports/0/port"),
	    "443");
	assert_null(ut_jget(EGR(doc, 3), "/icmps"));
	assert_string_equal(ut_jstr(EGR(doc, 4), "/toFQDNs/0/matchName"),
	    "alias.example.test");
	assert_int_equal(ut_jlen(EGR(doc, 4), "/icmps/0/fields"), 1);
	assert_int_equal(json_object_get_int(ut_jget(EGR(doc, 4),
	    "/icmps/0/fields/0/type")), 8);
	assert_string_equal(ut_jstr(EGR(doc, 4), "/icmps/0/fields/0/family"),
	    "IPv4");
	assert_null(ut_jget(EGR(doc, 4), "/toPorts"));
	assert_string_equal(ut_jstr(EGR(doc, 5), "/toFQDNs/0/matchName"),
	    "api.example.test");
	assert_int_equal(ut_jlen(EGR(doc, 5), "/toFQDNs"), 1);
	assert_string_equal(ut_jstr(EGR(doc, 6), "/toFQDNs/0/matchName"),
	    "api.example.test");
	assert_int_equal(ut_jlen(EGR(doc, 6), "/icmps/0/fields"), 2);
	assert_int_equal(json_object_get_int(ut_jget(EGR(doc, 6),
	    "/icmps/0/fields/1/type")), 128);
	assert_string_equal(ut_jstr(EGR(doc, 6), "/icmps/0/fields/1/family"),
	    "IPv6");
	/* Addresses: the KnownServer's network, and the one whose only
	 * name cannot be written. */
	assert_string_equal(ut_jstr(EGR(doc, 7), "/toCIDR/0"),
	    "198.51.100.0/24");
	assert_string_equal(ut_jstr(EGR(doc, 8), "/toCIDR/0"),
	    "203.0.113.99/32");
	assert_null(EGR(doc, 9));
	/* Never resolved here, or resolved by another workload: absent. */
	assert_null(strstr(y, "never.example.test"));
	assert_null(strstr(y, "other.example.test"));
	assert_null(strstr(y, "matchName: intranet"));
	assert_string_equal(ut_jstr(doc, "/metadata/annotations/"
	    "netpol-record~1known-servers"), "198.51.100.0/24: name vault, "
	    "server backup.example.test, KnownServer backup");
	assert_string_equal(ut_jstr(doc, "/metadata/annotations/"
	    "netpol-record~1warnings"), "the name 'intranet.' cannot be "
	    "written as a DNS name: 203.0.113.99 is written as an address");

	/* Nodes and the hostNetwork pod left out, listed. */
	assert_null(ut_jget(doc, "/spec/ingress"));
	assert_string_equal(ut_jstr(doc, "/metadata/annotations/"
	    "netpol-record~1excluded"), "ingress from hostNetwork "
	    "monitoring/DaemonSet/exporter TCP/9100; ingress from node "
	    "198.18.0.1 TCP/8080");
	assert_null(ut_jget(doc, "/metadata/annotations/"
	    "netpol-record~1not-expressible"));
	free(y);
	json_object_put(doc);
	policygen_result_clear(&r);
}

static void
test_nodes(void **state)
{
	struct ut_gen_fx *fx = *state;
	struct policygen_opts o = both;
	struct policygen_result r;
	json_object *doc, *ing;

	o.include_nodes = true;
	doc = ut_gen_workload("cilium", fx->idx, "shop", "Deployment", "web",
	    &o, &r);
	/* The node and the hostNetwork pod: one peer, both entities, their
	 * ports together. */
	ing = ut_jget(doc, "/spec/ingress/0");
	assert_non_null(ing);
	assert_int_equal(ut_jlen(ing, "/fromEntities"), 2);
	assert_string_equal(ut_jstr(ing, "/fromEntities/0"), "host");
	assert_string_equal(ut_jstr(ing, "/fromEntities/1"), "remote-node");
	assert_int_equal(ut_jlen(ing, "/toPorts/0/ports"), 2);
	assert_null(ut_jget(doc, "/spec/ingress/1"));
	assert_null(ut_jget(doc, "/metadata/annotations/netpol-record~1"
	    "excluded"));
	json_object_put(doc);
	policygen_result_clear(&r);
}

static void
test_no_dns_traffic(void **state)
{
	struct ut_gen_fx *fx = *state;
	struct policygen_result r;
	json_object *doc;

	/* Names, but no lookup the proxy could see: the address. */
	doc = ut_gen_workload("cilium", fx->idx, "shop", "CronJob", "batch",
	    &both, &r);
	assert_null(ut_jget(doc, "/spec/egress/0/toFQDNs"));
	assert_string_equal(ut_jstr(doc, "/spec/egress/0/toCIDR/0"),
	    "203.0.113.10/32");
	assert_int_equal(r.warnings.n, 1);
	assert_non_null(strstr(r.warnings.v[0], "no DNS traffic was recorded "
	    "for it"));
	json_object_put(doc);
	policygen_result_clear(&r);
}

static void
test_no_traffic_and_direction(void **state)
{
	struct ut_gen_fx *fx = *state;
	struct policygen_opts o = both;
	struct policygen_result r;
	json_object *doc;

	/* Nothing recorded: the empty rule in each direction. */
	doc = ut_gen_workload("cilium", fx->idx, "shop", "Deployment", "idle",
	    &o, &r);
	assert_int_equal(ut_jlen(doc, "/spec/ingress"), 1);
	assert_int_equal(ut_jlen(doc, "/spec/ingress/0"), 0);
	assert_int_equal(ut_jlen(doc, "/spec/egress"), 1);
	assert_int_equal(ut_jlen(doc, "/spec/egress/0"), 0);
	assert_non_null(strstr(ut_jstr(doc, "/metadata/annotations/"
	    "netpol-record~1warnings"), "no traffic was recorded for it"));
	json_object_put(doc);
	policygen_result_clear(&r);

	/* Egress only: ingress is not default-deny, and has no rules. */
	o.ingress = false;
	doc = ut_gen_workload("cilium", fx->idx, "shop", "Deployment", "web",
	    &o, &r);
	assert_false(json_object_get_boolean(ut_jget(doc,
	    "/spec/enableDefaultDeny/ingress")));
	assert_null(ut_jget(doc, "/spec/ingress"));
	assert_non_null(ut_jget(doc, "/spec/egress/0"));
	json_object_put(doc);
	policygen_result_clear(&r);
}

/* The same index gives the same bytes. */
static void
test_stable(void **state)
{
	struct ut_gen_fx *fx = *state;
	struct policygen_result r;
	json_object *a, *b;
	char *ya, *yb;

	a = ut_gen_workload("cilium", fx->idx, "shop", "Deployment", "web",
	    &both, &r);
	policygen_result_clear(&r);
	b = ut_gen_workload("cilium", fx->idx, "shop", "Deployment", "web",
	    &both, &r);
	policygen_result_clear(&r);
	ya = ut_yaml(a);
	yb = ut_yaml(b);
	assert_string_equal(ya, yb);
	free(ya);
	free(yb);
	json_object_put(a);
	json_object_put(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_peers_and_names, setup,
		    ut_gen_teardown),
		cmocka_unit_test_setup_teardown(test_nodes, setup,
		    ut_gen_teardown),
		cmocka_unit_test_setup_teardown(test_no_dns_traffic, setup,
		    ut_gen_teardown),
		cmocka_unit_test_setup_teardown(test_no_traffic_and_direction,
		    setup, ut_gen_teardown),
		cmocka_unit_test_setup_teardown(test_stable, setup,
		    ut_gen_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
