/*
 * test_check: recorded flows (an index of a world in memory) against
 * the policies of tests/fixtures/policies/shop; policy loading from files,
 * directories and buffers, with the errors a user sees.
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

#include "cli/eval/check.h"
#include "cli/eval/check_fmt.h"
#include "cli/eval/check_lint.h"
#include "cli/eval/check_load.h"
#include "tests/unit/ut_world.h"

#define FIX "tests/fixtures/policies/"

/* The shop: frontend -> api:8080 (seen from both ends), frontend -> DNS,
 * api -> an external payment gateway, the node probing api, the outside
 * reaching frontend:80. In the index's order: kube-system/coredns, then
 * shop/api, then shop/frontend. */
struct world {
	struct ut_world *uw;
	struct index *idx;
};

static struct index *
build(struct world *w, bool api_ports)
{
	struct ut_world *uw = w->uw = ut_world_new();
	int fe, api, dns;

	assert_non_null(uw);
	fe = ut_world_workload(uw, "shop", "Deployment", "frontend",
	    "{\"app\":\"frontend\"}", NULL);
	api = ut_world_workload(uw, "shop", "Deployment", "api",
	    "{\"app\":\"api\"}", api_ports ?
	    "[{\"name\":\"http\",\"port\":8080,\"protocol\":\"TCP\"}]" :
	    NULL);
	dns = ut_world_workload(uw, "kube-system", "Deployment", "coredns",
	    "{\"k8s-app\":\"kube-dns\"}", NULL);
	ut_world_flow(uw, fe, FLOW_EGRESS, FLOW_PEER_WORKLOAD, api, NULL,
	    IPPROTO_TCP, 8080, 5, 900, 1000);
	ut_world_flow(uw, api, FLOW_INGRESS, FLOW_PEER_WORKLOAD, fe, NULL,
	    IPPROTO_TCP, 8080, 4, 910, 1010);
	ut_world_flow(uw, fe, FLOW_EGRESS, FLOW_PEER_WORKLOAD, dns, NULL,
	    IPPROTO_UDP, 53, 10, 800, 900);
	ut_world_flow(uw, api, FLOW_EGRESS, FLOW_PEER_ADDRESS, -1,
	    "203.0.113.5", IPPROTO_TCP, 443, 2, 1100, 1200)->dns_name =
	    "pay.example.com.";
	ut_world_flow(uw, api, FLOW_INGRESS, FLOW_PEER_NODE, -1, "198.18.0.1",
	    IPPROTO_TCP, 8080, 100, 1200, 1300);
	ut_world_flow(uw, fe, FLOW_INGRESS, FLOW_PEER_ADDRESS, -1,
	    "203.0.113.9", IPPROTO_TCP, 80, 7, 1300, 1400);
	assert_non_null(w->idx = ut_world_index(uw, NULL));
	return w->idx;
}

static int
setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	build(w, true);
	*state = w;
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;

	index_free(w->idx);
	ut_world_free(w->uw);
	free(w);
	return 0;
}

/* A workload of the shop by name. */
static const struct index_workload *
wl(const struct world *w, const char *ns, const char *name)
{
	return index_find_workload(w->idx, ns, "Deployment", name);
}

/* The verdict of a flow, found by subject, direction and port. */
static int
verdict(const struct world *w, const struct check_result *res,
    const char *name, int dir, int proto, unsigned port)
{
	size_t i = ut_index_flow_pos(w->idx, "shop", name, dir, proto, port);

	assert_true(i < res->nflows);
	return res->flow_verdict[i];
}

static struct npeval_set *
load_dir(const char *path, size_t *nskipped)
{
	struct npeval_set *set;
	char err[512];
	int rc;

	assert_int_equal(npeval_set_new(&set), 0);
	rc = check_load_policies(set, path, "default", nskipped, err,
	    sizeof(err));
	if (rc != 0)
		fail_msg("%s", err);
	return set;
}

static void
test_fixture_policies(void **state)
{
	struct world *w = *state;
	struct npeval_set *set;
	struct check_result *res;
	const struct check_denial *d;
	size_t nskipped = 0;
	char buf[256];

	set = load_dir(FIX "shop", &nskipped);
	/* 00-default-deny.yaml, api.yaml, frontend.json (a List), in name
	 * order; the ConfigMap is skipped; README.txt is not read. */
	assert_int_equal(npeval_set_count(set), 3);
	assert_string_equal(npeval_policy_name(set, 0), "default-deny");
	assert_string_equal(npeval_policy_name(set, 1), "api");
	assert_string_equal(npeval_policy_name(set, 2), "frontend");
	assert_string_equal(npeval_policy_source(set, 2),
	    FIX "shop/frontend.json");
	assert_int_equal(nskipped, 1);

	assert_int_equal(check_eval(set, w->idx, &res), 0);
	assert_int_equal(res->nflows, index_nflows(w->idx));
	/* Only api's egress to the payment gateway is left out. */
	assert_int_equal(res->ndenials, 1);
	assert_int_equal(res->ndenied, 1);
	assert_int_equal(res->nunresolved, 0);
	d = &res->denials[0];
	assert_ptr_equal(d->wl, wl(w, "shop", "api"));
	assert_int_equal(d->direction, FLOW_EGRESS);
	assert_int_equal(d->peer.kind, FLOW_PEER_ADDRESS);
	assert_string_equal(check_fmt_peer(&d->peer, d->dns_name, buf,
	    sizeof(buf)), "203.0.113.5 (pay.example.com.)");
	assert_int_equal(d->protocol, IPPROTO_TCP);
	assert_int_equal(d->port, 443);
	assert_int_equal(d->count, 2);
	assert_int_equal(d->last_seen, 1200);
	/* Selected in egress by default-deny only (api.yaml is Ingress). */
	assert_int_equal(d->npolicies, 1);
	assert_string_equal(npeval_policy_name(set, d->policies[0]),
	    "default-deny");
	/* Per flow verdicts, in the index's order. */
	assert_int_equal(verdict(w, res, "frontend", FLOW_EGRESS, IPPROTO_TCP,
	    8080), NPEVAL_ALLOW);
	assert_int_equal(verdict(w, res, "api", FLOW_INGRESS, IPPROTO_TCP,
	    8080), NPEVAL_ALLOW);
	assert_int_equal(verdict(w, res, "frontend", FLOW_EGRESS, IPPROTO_UDP,
	    53), NPEVAL_ALLOW);
	assert_int_equal(verdict(w, res, "api", FLOW_EGRESS, IPPROTO_TCP,
	    443), NPEVAL_DENY);
	assert_int_equal(verdict(w, res, "frontend", FLOW_INGRESS,
	    IPPROTO_TCP, 80), NPEVAL_ALLOW);
	assert_true(res->notes & NPEVAL_NOTE_NODE);
	assert_int_equal(res->nflows, 6);
	check_result_free(res);
	npeval_set_free(set);
}

/* Without api.yaml the frontend -> api flow is denied at api's ingress:
 * one denial although both ends recorded it, with the larger count. */
static void
test_rule_removed(void **state)
{
	struct world *w = *state;
	struct npeval_set *set;
	struct check_result *res;
	const struct check_denial *d;
	json_object *j;
	char err[512];
	size_t i;

	assert_int_equal(npeval_set_new(&set), 0);
	assert_int_equal(check_load_policies(set, FIX "shop/00-default-deny.yaml",
	    "default", NULL, err, sizeof(err)), 0);
	assert_int_equal(check_load_policies(set, FIX "shop/frontend.json",
	    "default", NULL, err, sizeof(err)), 0);
	assert_int_equal(check_eval(set, w->idx, &res), 0);
	assert_int_equal(res->ndenied, 2);
	/* Sorted by workload: api first. */
	d = &res->denials[0];
	assert_ptr_equal(d->wl, wl(w, "shop", "api"));
	assert_int_equal(d->direction, FLOW_EGRESS);
	d = &res->denials[1];
	assert_ptr_equal(d->wl, wl(w, "shop", "api"));
	assert_int_equal(d->direction, FLOW_INGRESS);
	assert_int_equal(d->peer.kind, FLOW_PEER_WORKLOAD);
	assert_ptr_equal(d->peer.wl, wl(w, "shop", "frontend"));
	assert_int_equal(d->port, 8080);
	assert_int_equal(d->count, 5);
	assert_int_equal(d->first_seen, 900);
	assert_int_equal(d->last_seen, 1010);
	assert_int_equal(verdict(w, res, "frontend", FLOW_EGRESS, IPPROTO_TCP,
	    8080), NPEVAL_DENY);
	assert_int_equal(verdict(w, res, "api", FLOW_INGRESS, IPPROTO_TCP,
	    8080), NPEVAL_DENY);

	j = check_fmt_denial_json(set, d);
	assert_string_equal(json_object_to_json_string_ext(j,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
	    "{\"workload\":\"shop/Deployment/api\",\"namespace\":\"shop\","
	    "\"kind\":\"Deployment\",\"name\":\"api\",\"direction\":\"ingress\","
	    "\"peer\":{\"type\":\"workload\",\"namespace\":\"shop\",\"kind\":"
	    "\"Deployment\",\"name\":\"frontend\",\"id\":"
	    "\"shop/Deployment/frontend\"},\"protocol\":\"TCP\",\"port\":8080,"
	    "\"verdict\":\"denied\",\"count\":5,\"firstSeen\":"
	    "\"1970-01-01T00:15:00Z\",\"lastSeen\":\"1970-01-01T00:16:50Z\","
	    "\"dnsName\":\"\",\"policies\":[\"shop/default-deny\"],"
	    "\"notes\":[]}");
	json_object_put(j);
	for (i = 0; i < res->ndenials; i++)
		assert_int_equal(res->denials[i].verdict, NPEVAL_DENY);
	check_result_free(res);
	npeval_set_free(set);
}

/* A named port whose workload's container ports were not recorded. */
static void
test_unresolved(void **state)
{
	struct world *w = *state;
	struct npeval_set *set;
	struct check_result *res;
	size_t nskipped = 0;

	index_free(w->idx);
	ut_world_free(w->uw);
	build(w, false);
	set = load_dir(FIX "shop", &nskipped);
	assert_int_equal(check_eval(set, w->idx, &res), 0);
	assert_int_equal(res->ndenied, 1);
	assert_int_equal(res->nunresolved, 1);
	assert_int_equal(res->denials[1].verdict, NPEVAL_UNRESOLVED);
	assert_true(res->denials[1].notes & NPEVAL_NOTE_NAMED_PORT);
	assert_int_equal(verdict(w, res, "frontend", FLOW_EGRESS, IPPROTO_TCP,
	    8080), NPEVAL_UNRESOLVED);
	check_result_free(res);
	npeval_set_free(set);
}

static void
test_no_policies(void **state)
{
	struct world *w = *state;
	struct npeval_set *set;
	struct check_result *res;

	assert_int_equal(npeval_set_new(&set), 0);
	assert_int_equal(check_eval(set, w->idx, &res), 0);
	assert_int_equal(res->ndenials, 0);
	check_result_free(res);
	{
		struct ut_world *empty = ut_world_new();
		struct index *none = ut_world_index(empty, NULL);

		assert_non_null(none);
		assert_int_equal(check_eval(set, none, &res), 0);
		assert_int_equal(res->ndenials, 0);
		assert_int_equal(res->nflows, 0);
		check_result_free(res);
		index_free(none);
		ut_world_free(empty);
	}
	npeval_set_free(set);
}

static const char multi[] =
    "kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\n"
    "metadata: {name: a}\nspec: {podSelector: {}}\n---\n---\n"
    "kind: NetworkPolicy\nmetadata: {name: b, namespace: x}\n"
    "spec:\n  podSelector: {}\n  policyTypes: [Egress]\n";

static void
test_load_errors(void **state)
{
	struct npeval_set *set;
	char err[512];
	int rc;

	(void)state;
	assert_int_equal(npeval_set_new(&set), 0);
	rc = check_load_policies(set, FIX "bad/broken.yaml", "default", NULL,
	    err, sizeof(err));
	assert_int_equal(rc, -EINVAL);
	/* The YAML error names the file and where. */
	assert_non_null(strstr(err, FIX "bad/broken.yaml:11:1: "));
	rc = check_load_policies(set, FIX "bad/invalid.yaml", "default", NULL,
	    err, sizeof(err));
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(err, FIX "bad/invalid.yaml: NetworkPolicy "
	    "shop/invalid: spec.ingress[0].from[0]: ipBlock cannot be "
	    "combined"));
	rc = check_load_policies(set, FIX "nonexistent.yaml", "default", NULL,
	    err, sizeof(err));
	assert_int_equal(rc, -ENOENT);
	assert_non_null(strstr(err, "nonexistent.yaml"));
	assert_int_equal(npeval_set_count(set), 0);

	/* Multi-document YAML from a buffer; a policy without namespace. */
	rc = check_load_policies_buf(set, multi, strlen(multi), "buf", "dev",
	    NULL, err, sizeof(err));
	if (rc != 0)
		fail_msg("%s", err);
	assert_int_equal(npeval_set_count(set), 2);
	assert_string_equal(npeval_policy_namespace(set, 0), "dev");
	assert_string_equal(npeval_policy_namespace(set, 1), "x");
	assert_true(npeval_policy_has_dir(set, 1, NPEVAL_EGRESS));
	assert_false(npeval_policy_has_dir(set, 1, NPEVAL_INGRESS));
	npeval_set_free(set);
}

static void
test_lint(void **state)
{
	static const char pol[] =
	    "kind: NetworkPolicy\nmetadata: {name: p, namespace: shop}\n"
	    "spec:\n  podSelector: {}\n  egress:\n  - to:\n"
	    "    - ipBlock: {cidr: 198.18.1.12/32}\n"
	    "    - ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}\n"
	    "    - ipBlock: {cidr: 10.96.0.10/32}\n"
	    "    - ipBlock: {cidr: '2001:db8:1::/64'}\n"
	    "  ingress:\n  - from:\n    - ipBlock: {cidr: 203.0.113.0/24}\n";
	struct addr_cidr pod[2], svc;
	struct npeval_set *set;
	json_object *a;
	char err[256];

	(void)state;
	assert_int_equal(npeval_set_new(&set), 0);
	assert_int_equal(check_load_policies_buf(set, pol, strlen(pol), "p",
	    "default", NULL, err, sizeof(err)), 0);
	assert_int_equal(addr_cidr_parse("198.18.0.0/16", &pod[0]), 0);
	assert_int_equal(addr_cidr_parse("2001:db8:1::/48", &pod[1]), 0);
	assert_int_equal(addr_cidr_parse("10.96.0.0/12", &svc), 0);
	/* No ranges given: nothing to say. */
	a = check_lint(set, NULL, 0, NULL, 0);
	assert_int_equal(json_object_array_length(a), 0);
	json_object_put(a);
	a = check_lint(set, pod, 2, &svc, 1);
	/* The pod IP, the IPv6 pod block and the ClusterIP; not the
	 * internet-wide block nor the external one. */
	assert_int_equal(json_object_array_length(a), 3);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(
	    a, 0)), "NetworkPolicy shop/p: egress ipBlock 198.18.1.12/32 lies "
	    "in the pod range 198.18.0.0/16: whether an ipBlock matches pod "
	    "IPs is implementation-defined; select pods with "
	    "podSelector/namespaceSelector");
	assert_non_null(strstr(json_object_get_string(
	    json_object_array_get_idx(a, 1)), "ipBlock 10.96.0.10/32 lies in "
	    "the Service range 10.96.0.0/12"));
	assert_non_null(strstr(json_object_get_string(
	    json_object_array_get_idx(a, 2)), "2001:db8:1::/64 lies in the pod "
	    "range 2001:db8:1::/48"));
	json_object_put(a);
	npeval_set_free(set);
}

/* Policies of other formats: not evaluated, and said so once per kind;
 * a Kubescape GeneratedNetworkPolicy is its NetworkPolicy. */
static void
test_other_formats(void **state)
{
	static const char docs[] =
	    "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n"
	    "metadata: {name: a, namespace: shop}\n"
	    "spec: {endpointSelector: {}, egress: [{}]}\n---\n"
	    "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n"
	    "metadata: {name: b, namespace: shop}\n"
	    "spec: {endpointSelector: {}, egress: [{}]}\n---\n"
	    "apiVersion: policy.networking.k8s.io/v1alpha2\n"
	    "kind: ClusterNetworkPolicy\nmetadata: {name: namespace-shop}\n"
	    "spec: {tier: Baseline, priority: 100, subject: {namespaces: {}}}\n"
	    "---\napiVersion: apps/v1\nkind: Deployment\n"
	    "metadata: {name: d, namespace: shop}\n---\n"
	    "apiVersion: spdx.softwarecomposition.kubescape.io/v1beta1\n"
	    "kind: GeneratedNetworkPolicy\n"
	    "metadata: {name: deployment-api, namespace: shop}\n"
	    "policyRef: []\n"
	    "spec:\n  apiVersion: networking.k8s.io/v1\n"
	    "  kind: NetworkPolicy\n"
	    "  metadata: {name: deployment-api, namespace: shop}\n"
	    "  spec: {podSelector: {}, policyTypes: [Ingress]}\n";
	struct npeval_set *set;
	json_object *a;
	size_t nskipped = 0;
	char err[256];

	(void)state;
	assert_int_equal(npeval_set_new(&set), 0);
	assert_int_equal(check_load_policies_buf(set, docs, strlen(docs), "p",
	    "default", &nskipped, err, sizeof(err)), 0);
	assert_int_equal(npeval_set_count(set), 1);
	assert_string_equal(npeval_policy_name(set, 0), "deployment-api");
	assert_int_equal(nskipped, 4);
	a = check_lint(set, NULL, 0, NULL, 0);
	/* The Deployment is no policy: nothing to say about it. */
	assert_int_equal(json_object_array_length(a), 2);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(
	    a, 0)), "2 CiliumNetworkPolicy objects (cilium.io/v2) not "
	    "evaluated: only the rules of networking.k8s.io/v1 "
	    "NetworkPolicies are applied here, not Cilium's (toFQDNs, "
	    "entities, icmps); to check the recording, give the "
	    "NetworkPolicies exported from it (netpol-record export -o yaml)");
	assert_non_null(strstr(json_object_get_string(
	    json_object_array_get_idx(a, 1)), "1 ClusterNetworkPolicy object "
	    "(policy.networking.k8s.io/v1alpha2) not evaluated"));
	json_object_put(a);
	npeval_set_free(set);
}

/* Namespace labels from `kubectl get namespaces -o yaml` decide a
 * namespaceSelector on other labels than kubernetes.io/metadata.name. */
static void
test_namespace_labels(void **state)
{
	struct world *w = *state;
	static const char pol[] =
	    "kind: NetworkPolicy\nmetadata: {name: fe, namespace: shop}\n"
	    "spec:\n  podSelector: {matchLabels: {app: frontend}}\n"
	    "  policyTypes: [Egress]\n  egress:\n"
	    "  - to: [{namespaceSelector: {matchLabels: {tier: platform}}}]\n";
	struct npeval_set *set;
	struct check_result *res;
	json_object *map = NULL;
	char err[256];

	assert_int_equal(npeval_set_new(&set), 0);
	assert_int_equal(check_load_policies_buf(set, pol, strlen(pol), "p",
	    "default", NULL, err, sizeof(err)), 0);
	/* Unknown: frontend -> coredns and -> api hinge on labels. */
	assert_int_equal(check_eval(set, w->idx, &res), 0);
	assert_int_equal(res->ndenied, 0);
	assert_int_equal(res->nunresolved, 2);
	assert_true(res->notes & NPEVAL_NOTE_NS_LABELS);
	check_result_free(res);

	assert_int_equal(check_load_namespaces(FIX "namespaces.yaml", &map,
	    err, sizeof(err)), 0);
	npeval_set_namespaces(set, map);
	json_object_put(map);
	/* kube-system is tier=platform, shop has no labels. */
	assert_int_equal(check_eval(set, w->idx, &res), 0);
	assert_int_equal(res->nunresolved, 0);
	assert_int_equal(res->ndenied, 1);
	assert_ptr_equal(res->denials[0].peer.wl, wl(w, "shop", "api"));
	assert_int_equal(verdict(w, res, "frontend", FLOW_EGRESS, IPPROTO_UDP,
	    53), NPEVAL_ALLOW);
	check_result_free(res);
	npeval_set_free(set);

	map = NULL;
	assert_int_equal(check_load_namespaces(FIX "bad/broken.yaml", &map,
	    err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "bad/broken.yaml:11:1: "));
	json_object_put(map);
}

static void
test_strings(void **state)
{
	struct check_peer p = { .kind = FLOW_PEER_NODE };
	char buf[64];

	(void)state;
	assert_string_equal(check_fmt_port(IPPROTO_UDP, 53, buf, sizeof(buf)),
	    "UDP/53");
	assert_string_equal(check_fmt_port(IPPROTO_ICMP, 0, buf, sizeof(buf)),
	    "ICMP");
	assert_int_equal(addr_parse("2001:db8::1", &p.addr), 0);
	assert_string_equal(check_fmt_peer(&p, "", buf, sizeof(buf)),
	    "node 2001:db8::1");
	p.kind = FLOW_PEER_UNKNOWN;
	assert_string_equal(check_fmt_peer(&p, "", buf, sizeof(buf)),
	    "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fixture_policies, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rule_removed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unresolved, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_no_policies, setup,
		    teardown),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_lint),
		cmocka_unit_test(test_other_formats),
		cmocka_unit_test_setup_teardown(test_namespace_labels, setup,
		    teardown),
		cmocka_unit_test(test_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
