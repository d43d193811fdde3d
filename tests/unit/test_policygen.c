/*
 * policygen rules not already pinned by the export goldens: the cluster
 * DNS found by name and seen over TCP only, two workloads with the same
 * selector written once, an empty selector warned about, min-observation;
 * and which DNS names the name-writing formats can use.
 */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cli/source/index.h"
#include "cli/gen/policygen.h"
#include "cli/gen/yamlout.h"
#include "lib/store.h"
#include "tests/unit/ut_store.h"
#include "tests/unit/ut_world.h"

static char dir[64], db[128];

static int64_t
wl(struct store *st, const char *ns, const char *kind, const char *name,
    const char *sel, const char *labels)
{
	int64_t id = ut_store_workload(st, ns, kind, name, sel, labels, false,
	    1000);

	assert_true(id > 0);
	return id;
}

static void
flow(struct store *st, int64_t s, int64_t peer, int proto, int port)
{
	struct flow_key k;
	struct flow f;

	flow_key_init(&k);
	k.subject = s;
	k.direction = FLOW_EGRESS;
	k.peer_kind = FLOW_PEER_WORKLOAD;
	k.peer_wl = peer;
	k.protocol = (uint8_t)proto;
	k.port = (uint16_t)port;
	flow_init(&f, &k, 1000, 1);
	f.last_seen = 5000;
	assert_int_equal(store_flows_write(st, &f, 1), 0);
}

static int
setup(void **state)
{
	struct store *st;
	int64_t app, dns, fake, x1, x2, blank;

	(void)state;
	assert_int_equal(ut_store_mkdtemp(dir, sizeof(dir), "test_policygen"),
	    0);
	snprintf(db, sizeof(db), "%s/r.db", dir);
	assert_int_equal(store_open(db, 0, &st), 0);
	assert_int_equal(store_meta_set(st, "recording_started", "1000"), 0);
	app = wl(st, "shop", "Deployment", "App", "{}", "{}");
	/* CoreDNS known by its name only; a "coredns" elsewhere is not it. */
	dns = wl(st, "kube-system", "Deployment", "coredns",
	    "{\"matchLabels\":{\"k8s-app\":\"dns\"}}", "{}");
	fake = wl(st, "shop", "Deployment", "coredns",
	    "{\"matchLabels\":{\"app\":\"mydns\"}}", "{}");
	x1 = wl(st, "shop", "Deployment", "x1",
	    "{\"matchLabels\":{\"app\":\"x\"}}", "{}");
	x2 = wl(st, "shop", "Deployment", "x2",
	    "{\"matchLabels\":{\"app\":\"x\"}}", "{}");
	blank = wl(st, "shop", "Pod", "blank", NULL, NULL);
	flow(st, app, blank, IPPROTO_TCP, 9999);
	flow(st, app, dns, IPPROTO_TCP, 53);
	flow(st, app, fake, IPPROTO_UDP, 53);
	flow(st, app, x1, IPPROTO_TCP, 80);
	flow(st, app, x2, IPPROTO_TCP, 80);
	store_close(st);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return ut_store_rmtree(dir) == 0 ? 0 : -1;
}

static void
test_rules(void **state)
{
	const char *dbs[1] = { db };
	struct source_query q = { .namespace_ = "shop", .kind = "deployment",
	    .name = "App", .direction = -1 };
	struct policygen_opts o = { .egress = true, .min_observation = 3600 };
	struct policygen_result r;
	struct index *idx;
	const struct index_workload *w;
	char err[256], name[64], *y;
	size_t len;

	(void)state;
	if ((idx = ut_index_stores(dbs, 1, &q, err, sizeof(err))) == NULL)
		fail_msg("%s", err);
	w = index_find_workload(idx, "shop", "Deployment", "App");
	assert_non_null(w);
	assert_string_equal(policygen_name(w, name, sizeof(name)),
	    "deployment-app");
	assert_true(policygen_is_cluster_dns(index_find_workload(idx,
	    "kube-system", "Deployment", "coredns")));
	assert_false(policygen_is_cluster_dns(index_find_workload(idx,
	    "shop", "Deployment", "coredns")));
	assert_int_equal(policygen_build(idx, w, &o, &r), 0);
	assert_int_equal(yamlout_to_buf(&r.policy, 1, &y, &len), 0);
	/* Egress only; the DNS rule has both protocols though only TCP was
	 * seen; the fake coredns gets UDP only; x1 and x2 share one entry. */
	assert_non_null(strstr(y,
	    "  policyTypes:\n"
	    "  - Egress\n"
	    "  egress:\n"
	    "  - to:\n"
	    "    - namespaceSelector:\n"
	    "        matchLabels:\n"
	    "          kubernetes.io/metadata.name: kube-system\n"
	    "      podSelector:\n"
	    "        matchLabels:\n"
	    "          k8s-app: dns\n"
	    "    ports:\n"
	    "    - port: 53\n"
	    "      protocol: TCP\n"
	    "    - port: 53\n"
	    "      protocol: UDP\n"
	    "  - to:\n"
	    "    - podSelector:\n"
	    "        matchLabels:\n"
	    "          app: mydns\n"
	    "    ports:\n"
	    "    - port: 53\n"
	    "      protocol: UDP\n"
	    "  - to:\n"
	    "    - podSelector:\n"
	    "        matchLabels:\n"
	    "          app: x\n"
	    "    ports:\n"
	    "    - port: 80\n"
	    "      protocol: TCP\n"));
	assert_null(strstr(y, "Ingress"));
	/* An empty selector selects the whole namespace: said loudly. The
	 * hour of observation is enough for a 1h minimum. */
	assert_int_equal(r.warnings.n, 2);
	assert_non_null(strstr(r.warnings.v[0], "selector is empty"));
	/* So is a peer's (a bare pod without labels). */
	assert_string_equal(r.warnings.v[1], "peer shop/Pod/blank has an "
	    "empty selector: its rule allows every pod of namespace shop");
	free(y);
	policygen_result_clear(&r);
	/* A longer minimum warns. */
	o.min_observation = 86400;
	assert_int_equal(policygen_build(idx, w, &o, &r), 0);
	assert_int_equal(r.warnings.n, 3);
	assert_non_null(strstr(r.warnings.v[1], "observed for 1h6m40s only"));
	policygen_result_clear(&r);
	index_free(idx);
}

/* A peer only named (no source described it: its labels are unknown)
 * gets no rule, which would be the empty selector's every pod of its
 * namespace: it is not expressible, with why. A described peer beside
 * it is written as ever. */
static void
test_undescribed_peer(void **state)
{
	struct source_query q = { .namespace_ = "shop", .direction = -1 };
	struct policygen_opts o = { .egress = true, .ingress = true };
	struct ut_world *w = ut_world_new();
	struct policygen_result r;
	struct index *idx;
	char *y;
	size_t len;
	int app, ghost, known;

	(void)state;
	assert_non_null(w);
	app = ut_world_workload(w, "shop", "Deployment", "app", NULL, NULL);
	ut_world_selector(w, app, "{\"matchLabels\":{\"app\":\"app\"}}");
	ghost = ut_world_workload(w, "pay", "Deployment", "ghost", NULL, NULL);
	ut_world_reference(w, ghost);
	known = ut_world_workload(w, "shop", "Deployment", "known", NULL, NULL);
	ut_world_selector(w, known, "{\"matchLabels\":{\"app\":\"k\"}}");
	ut_world_flow(w, app, FLOW_EGRESS, FLOW_PEER_WORKLOAD, ghost, NULL,
	    IPPROTO_TCP, 8443, 3, 1000, 2000);
	ut_world_flow(w, app, FLOW_INGRESS, FLOW_PEER_WORKLOAD, ghost, NULL,
	    IPPROTO_ICMP, 0, 1, 1000, 2000);
	ut_world_flow(w, app, FLOW_EGRESS, FLOW_PEER_WORKLOAD, known, NULL,
	    IPPROTO_TCP, 80, 3, 1000, 2000);
	assert_non_null(idx = ut_world_index(w, &q));
	assert_false(index_find_workload(idx, "pay", "Deployment",
	    "ghost")->described);
	assert_int_equal(policygen_build(idx, index_find_workload(idx, "shop",
	    "Deployment", "app"), &o, &r), 0);
	assert_int_equal(r.inexpressible.n, 2);
	assert_non_null(strstr(r.inexpressible.v[0], "ICMP ingress from "
	    "pay/Deployment/ghost"));
	assert_string_equal(r.inexpressible.v[1], "egress to "
	    "pay/Deployment/ghost TCP/8443 (its pods' labels are unknown: no "
	    "TrafficProfile of it was read)");
	assert_int_equal(yamlout_to_buf(&r.policy, 1, &y, &len), 0);
	assert_null(strstr(y, "kubernetes.io/metadata.name: pay"));
	assert_null(strstr(y, "port: 8443"));
	assert_non_null(strstr(y, "          app: k\n"));
	assert_null(strstr(y, "empty selector"));
	free(y);
	policygen_result_clear(&r);
	index_free(idx);
	ut_world_free(w);
}

/* Names for toFQDNs and domainNames: what the CRD's pattern takes,
 * compared and written as DNS does (case, the final dot). */
static void
test_names(void **state)
{
	static const struct {
		const char *name;
		bool ok;
	} cases[] = {
		{ "api.example.test.", true }, { "api.example.test", true },
		{ "a-b_c.d9", true }, { "xn--bcher-kva.example", true },
		{ "intranet.", false }, { "intranet", false }, { "", false },
		{ ".", false }, { "a..b", false }, { "-a.b", false },
		{ "a-.b", false }, { "a.b..", false }, { "*.example.test", false },
		{ "a b.c", false }, { "_srv.example", false },
	};
	char long_label[80], long_name[300];
	json_object *j;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (policygen_name_ok(cases[i].name) != cases[i].ok)
			fail_msg("policygen_name_ok(\"%s\") != %d", cases[i].name,
			    cases[i].ok);
	memset(long_label, 'a', 64);
	strcpy(long_label + 64, ".test");
	assert_false(policygen_name_ok(long_label));	/* a label of 64 */
	for (i = 0; i < 254; i += 2)
		memcpy(long_name + i, "a.", 2);
	strcpy(long_name + 254, "bc");
	assert_false(policygen_name_ok(long_name));	/* 256 characters */
	long_name[252] = '\0';
	assert_true(policygen_name_ok(long_name));
	assert_int_equal(policygen_name_cmp("API.Example.Test.",
	    "api.example.test"), 0);
	assert_true(policygen_name_cmp("a.test", "b.test") < 0);
	assert_true(policygen_name_cmp("a.test.", "a.tests") < 0);
	j = policygen_name_json("API.Example.Test.");
	assert_string_equal(json_object_get_string(j), "api.example.test");
	json_object_put(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_undescribed_peer),
		cmocka_unit_test_setup_teardown(test_rules, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
