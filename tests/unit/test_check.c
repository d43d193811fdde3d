/*
 * test_check: recorded flows (in memory, as flowdb hands them out) against
 * the policies of tests/fixtures/policies/shop; policy loading from files,
 * directories and buffers, with the errors a user sees.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <netinet/in.h>

#include "cli/eval/check.h"

#define FIX "tests/fixtures/policies/"

enum { FRONTEND, API, COREDNS, NWL };

struct world {
	struct flowdb_workload wl[NWL];
	struct flowdb_flow fl[8];
	const struct flowdb_flow *flows[8];
	size_t nflows;
};

static void
wl_init(struct flowdb_workload *w, size_t index, const char *ns,
    const char *name, const char *labels, const char *ports)
{
	memset(w, 0, sizeof(*w));
	w->namespace_ = (char *)ns;
	w->kind = (char *)"Deployment";
	w->name = (char *)name;
	w->labels = json_tokener_parse(labels);
	w->selector = json_object_new_object();
	w->ports = ports ? json_tokener_parse(ports) : NULL;
	w->subject = true;
	w->index = index;
}

static struct flowdb_flow *
flow_add(struct world *w, int subj, int dir, int peer_kind, int peer_wl,
    const char *peer_addr, int proto, unsigned port, uint64_t count,
    int64_t last)
{
	struct flowdb_flow *f = &w->fl[w->nflows];

	memset(f, 0, sizeof(*f));
	f->wl = &w->wl[subj];
	f->direction = dir;
	f->peer_kind = peer_kind;
	if (peer_wl >= 0)
		f->peer_wl = &w->wl[peer_wl];
	if (peer_addr != NULL)
		assert_int_equal(addr_parse(peer_addr, &f->peer_addr), 0);
	f->protocol = (uint8_t)proto;
	f->port = (uint16_t)port;
	f->dns_name = "";
	f->count = count;
	f->first_seen = last - 100;
	f->last_seen = last;
	w->flows[w->nflows++] = f;
	return f;
}

/* The shop: frontend -> api:8080 (seen from both ends), frontend -> DNS,
 * api -> an external payment gateway, the node probing api, the outside
 * reaching frontend:80. */
static int
setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	wl_init(&w->wl[FRONTEND], 1, "shop", "frontend",
	    "{\"app\":\"frontend\"}", NULL);
	wl_init(&w->wl[API], 0, "shop", "api", "{\"app\":\"api\"}",
	    "[{\"name\":\"http\",\"port\":8080,\"protocol\":\"TCP\"}]");
	wl_init(&w->wl[COREDNS], 2, "kube-system", "coredns",
	    "{\"k8s-app\":\"kube-dns\"}", NULL);
	flow_add(w, FRONTEND, FLOW_EGRESS, FLOW_PEER_WORKLOAD, API, NULL,
	    IPPROTO_TCP, 8080, 5, 1000);
	flow_add(w, API, FLOW_INGRESS, FLOW_PEER_WORKLOAD, FRONTEND, NULL,
	    IPPROTO_TCP, 8080, 4, 1010);
	flow_add(w, FRONTEND, FLOW_EGRESS, FLOW_PEER_WORKLOAD, COREDNS, NULL,
	    IPPROTO_UDP, 53, 10, 900);
	flow_add(w, API, FLOW_EGRESS, FLOW_PEER_ADDRESS, -1, "203.0.113.5",
	    IPPROTO_TCP, 443, 2, 1200)->dns_name = "pay.example.com.";
	flow_add(w, API, FLOW_INGRESS, FLOW_PEER_NODE, -1, "198.18.0.1",
	    IPPROTO_TCP, 8080, 100, 1300);
	flow_add(w, FRONTEND, FLOW_INGRESS, FLOW_PEER_ADDRESS, -1,
	    "203.0.113.9", IPPROTO_TCP, 80, 7, 1400);
	*state = w;
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;
	size_t i;

	for (i = 0; i < NWL; i++) {
		json_object_put(w->wl[i].labels);
		json_object_put(w->wl[i].selector);
		json_object_put(w->wl[i].ports);
	}
	free(w);
	return 0;
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

	assert_int_equal(check_eval(set, w->flows, w->nflows, &res), 0);
	assert_int_equal(res->nflows, w->nflows);
	/* Only api's egress to the payment gateway is left out. */
	assert_int_equal(res->ndenials, 1);
	assert_int_equal(res->ndenied, 1);
	assert_int_equal(res->nunresolved, 0);
	d = &res->denials[0];
	assert_ptr_equal(d->wl, &w->wl[API]);
	assert_int_equal(d->direction, FLOW_EGRESS);
	assert_int_equal(d->peer.kind, FLOW_PEER_ADDRESS);
	assert_string_equal(check_peer_str(&d->peer, d->dns_name, buf,
	    sizeof(buf)), "203.0.113.5 (pay.example.com.)");
	assert_int_equal(d->protocol, IPPROTO_TCP);
	assert_int_equal(d->port, 443);
	assert_int_equal(d->count, 2);
	assert_int_equal(d->last_seen, 1200);
	/* Selected in egress by default-deny only (api.yaml is Ingress). */
	assert_int_equal(d->npolicies, 1);
	assert_string_equal(npeval_policy_name(set, d->policies[0]),
	    "default-deny");
	/* Per flow verdicts, in input order. */
	assert_int_equal(res->flow_verdict[0], NPEVAL_ALLOW);
	assert_int_equal(res->flow_verdict[1], NPEVAL_ALLOW);
	assert_int_equal(res->flow_verdict[2], NPEVAL_ALLOW);
	assert_int_equal(res->flow_verdict[3], NPEVAL_DENY);
	assert_int_equal(res->flow_verdict[4], NPEVAL_ALLOW);
	assert_true(res->flow_notes[4] & NPEVAL_NOTE_NODE);
	assert_int_equal(res->flow_verdict[5], NPEVAL_ALLOW);
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
	assert_int_equal(check_eval(set, w->flows, w->nflows, &res), 0);
	assert_int_equal(res->ndenied, 2);
	/* Sorted by workload index: api (0) first. */
	d = &res->denials[0];
	assert_ptr_equal(d->wl, &w->wl[API]);
	assert_int_equal(d->direction, FLOW_EGRESS);
	d = &res->denials[1];
	assert_ptr_equal(d->wl, &w->wl[API]);
	assert_int_equal(d->direction, FLOW_INGRESS);
	assert_int_equal(d->peer.kind, FLOW_PEER_WORKLOAD);
	assert_ptr_equal(d->peer.wl, &w->wl[FRONTEND]);
	assert_int_equal(d->port, 8080);
	assert_int_equal(d->count, 5);
	assert_int_equal(d->first_seen, 900);
	assert_int_equal(d->last_seen, 1010);
	assert_int_equal(res->flow_verdict[0], NPEVAL_DENY);
	assert_int_equal(res->flow_verdict[1], NPEVAL_DENY);

	j = check_denial_json(set, d);
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
	json_object *ports = w->wl[API].ports;
	size_t nskipped = 0;

	w->wl[API].ports = NULL;
	set = load_dir(FIX "shop", &nskipped);
	assert_int_equal(check_eval(set, w->flows, w->nflows, &res), 0);
	assert_int_equal(res->ndenied, 1);
	assert_int_equal(res->nunresolved, 1);
	assert_int_equal(res->denials[1].verdict, NPEVAL_UNRESOLVED);
	assert_true(res->denials[1].notes & NPEVAL_NOTE_NAMED_PORT);
	assert_int_equal(res->flow_verdict[0], NPEVAL_UNRESOLVED);
	check_result_free(res);
	npeval_set_free(set);
	w->wl[API].ports = ports;
}

static void
test_no_policies(void **state)
{
	struct world *w = *state;
	struct npeval_set *set;
	struct check_result *res;

	assert_int_equal(npeval_set_new(&set), 0);
	assert_int_equal(check_eval(set, w->flows, w->nflows, &res), 0);
	assert_int_equal(res->ndenials, 0);
	check_result_free(res);
	assert_int_equal(check_eval(set, NULL, 0, &res), 0);
	assert_int_equal(res->ndenials, 0);
	check_result_free(res);
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
	assert_int_equal(check_eval(set, w->flows, w->nflows, &res), 0);
	assert_int_equal(res->ndenied, 0);
	assert_int_equal(res->nunresolved, 2);
	assert_true(res->notes & NPEVAL_NOTE_NS_LABELS);
	check_result_free(res);

	assert_int_equal(check_load_namespaces(FIX "namespaces.yaml", &map,
	    err, sizeof(err)), 0);
	npeval_set_namespaces(set, map);
	json_object_put(map);
	/* kube-system is tier=platform, shop has no labels. */
	assert_int_equal(check_eval(set, w->flows, w->nflows, &res), 0);
	assert_int_equal(res->nunresolved, 0);
	assert_int_equal(res->ndenied, 1);
	assert_ptr_equal(res->denials[0].peer.wl, &w->wl[API]);
	assert_int_equal(res->flow_verdict[2], NPEVAL_ALLOW);
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
	assert_string_equal(check_port_str(IPPROTO_UDP, 53, buf, sizeof(buf)),
	    "UDP/53");
	assert_string_equal(check_port_str(IPPROTO_ICMP, 0, buf, sizeof(buf)),
	    "ICMP");
	assert_int_equal(addr_parse("2001:db8::1", &p.addr), 0);
	assert_string_equal(check_peer_str(&p, "", buf, sizeof(buf)),
	    "node 2001:db8::1");
	p.kind = FLOW_PEER_UNKNOWN;
	assert_string_equal(check_peer_str(&p, "", buf, sizeof(buf)),
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
		cmocka_unit_test_setup_teardown(test_namespace_labels, setup,
		    teardown),
		cmocka_unit_test(test_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
