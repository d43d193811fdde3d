/*
 * kmeta: owner resolution for every kind from a List shaped like the
 * Kubernetes API's (tests/fixtures/k8s/cluster.{json,yaml}), selector
 * cleaning, lookups, incremental updates and relists, bad input.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "lib/kmeta.h"

#define FIX "tests/fixtures/k8s/"

static void
wl_clear(struct store_workload *w)
{
	free(w->selector_json);
	free(w->labels_json);
	free(w->ports_json);
	memset(w, 0, sizeof(*w));
}

static struct kmeta *
load(const char *path)
{
	struct kmeta *km;
	char err[512] = "";

	assert_int_equal(kmeta_new(&km), 0);
	if (kmeta_load_list_file(km, path, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	return km;
}

static int
setup_json(void **state)
{
	*state = load(FIX "cluster.json");
	return 0;
}

static int
setup_yaml(void **state)
{
	*state = load(FIX "cluster.yaml");
	return 0;
}

static int
teardown(void **state)
{
	kmeta_free(*state);
	return 0;
}

/* The workload of pod ns/name, checked against kind/name/selector. */
static void
expect_workload(struct kmeta *km, const char *ns, const char *pod,
    const char *kind, const char *name, const char *selector)
{
	const struct kmeta_pod *p = kmeta_pod_by_name(km, ns, pod);
	struct store_workload w;

	if (p == NULL)
		fail_msg("pod %s/%s not cached", ns, pod);
	assert_int_equal(kmeta_pod_workload(km, p, &w), 0);
	assert_string_equal(w.namespace_, ns);
	assert_string_equal(w.kind, kind);
	assert_string_equal(w.name, name);
	if (selector == NULL)
		assert_null(w.selector_json);
	else {
		assert_non_null(w.selector_json);
		assert_string_equal(w.selector_json, selector);
	}
	wl_clear(&w);
}

static void
test_owner_kinds(void **state)
{
	struct kmeta *km = *state;

	/* Pod -> ReplicaSet -> Deployment: the Deployment's selector. */
	expect_workload(km, "shop", "web-7d4b9c8f5-abcde", "Deployment", "web",
	    "{\"matchLabels\":{\"app\":\"web\",\"tier\":\"front\"}}");
	/* matchExpressions kept, per-pod ones dropped. */
	expect_workload(km, "shop", "api-5f6d7c-x1", "Deployment", "api",
	    "{\"matchLabels\":{\"app\":\"api\"},\"matchExpressions\":"
	    "[{\"key\":\"track\",\"operator\":\"In\",\"values\":"
	    "[\"stable\",\"canary\"]}]}");
	/* Deployment object absent: named by the RS's ownerReferences,
	 * selector from the RS without pod-template-hash. */
	expect_workload(km, "shop", "cart-66b8-q2", "Deployment", "cart",
	    "{\"matchLabels\":{\"app\":\"cart\"}}");
	/* RS absent: the Deployment inferred from the pod-template-hash. */
	expect_workload(km, "shop", "search-5c9d7-zz", "Deployment", "search",
	    "{\"matchLabels\":{\"app\":\"search\"}}");
	/* A ReplicaSet nobody owns is the workload. */
	expect_workload(km, "shop", "solo-k8s7p", "ReplicaSet", "solo",
	    "{\"matchLabels\":{\"app\":\"solo\"}}");
	expect_workload(km, "shop", "db-0", "StatefulSet", "db",
	    "{\"matchLabels\":{\"app\":\"db\"}}");
	expect_workload(km, "kube-system", "agent-x7k2p", "DaemonSet", "agent",
	    "{\"matchLabels\":{\"name\":\"agent\"}}");
	/* Pod -> Job -> CronJob: the job template's labels, not the Job's
	 * controller-uid selector. */
	expect_workload(km, "shop", "backup-28577760-t5x9w", "CronJob",
	    "backup", "{\"matchLabels\":{\"app\":\"backup\"}}");
	/* Job absent, its CronJob known: inferred from the name. */
	expect_workload(km, "shop", "backup-28577820-aaaaa", "CronJob",
	    "backup", "{\"matchLabels\":{\"app\":\"backup\"}}");
	expect_workload(km, "shop", "migrate-h4t6q", "Job", "migrate",
	    "{\"matchLabels\":{\"app\":\"migrate\"}}");
	/* The RC's selector is a plain map. */
	expect_workload(km, "shop", "legacy-p9s8d", "ReplicationController",
	    "legacy", "{\"matchLabels\":{\"app\":\"legacy\"}}");
	/* No owner: the pod itself, selector from its labels. */
	expect_workload(km, "shop", "debug", "Pod", "debug",
	    "{\"matchLabels\":{\"run\":\"debug\"}}");
	/* DaemonSet object absent: named by the pod's reference. */
	expect_workload(km, "kube-system", "kube-proxy-abcde", "DaemonSet",
	    "kube-proxy", "{\"matchLabels\":{\"k8s-app\":\"kube-proxy\"}}");
}

static void
test_workload_fields(void **state)
{
	struct kmeta *km = *state;
	const struct kmeta_pod *p;
	struct store_workload w;

	p = kmeta_pod_by_name(km, "shop", "web-7d4b9c8f5-abcde");
	assert_non_null(p);
	assert_int_equal(kmeta_pod_workload(km, p, &w), 0);
	assert_string_equal(w.labels_json,
	    "{\"app\":\"web\",\"tier\":\"front\"}");
	/* Only named ports. */
	assert_string_equal(w.ports_json,
	    "[{\"name\":\"http\",\"port\":8080,\"protocol\":\"TCP\"}]");
	assert_false(w.host_network);
	assert_int_equal(w.started_at, 1714557605);	/* 2024-05-01T10:00:05Z */
	wl_clear(&w);

	/* The protocol defaults to TCP; per-pod labels are not in
	 * labels_json. */
	p = kmeta_pod_by_name(km, "shop", "db-0");
	assert_int_equal(kmeta_pod_workload(km, p, &w), 0);
	assert_string_equal(w.ports_json,
	    "[{\"name\":\"pg\",\"port\":5432,\"protocol\":\"TCP\"}]");
	assert_string_equal(w.labels_json, "{\"app\":\"db\"}");
	wl_clear(&w);

	p = kmeta_pod_by_name(km, "kube-system", "kube-proxy-abcde");
	assert_int_equal(kmeta_pod_workload(km, p, &w), 0);
	assert_true(w.host_network);
	assert_null(w.ports_json);
	wl_clear(&w);
}

static void
test_lookups(void **state)
{
	struct kmeta *km = *state;
	const struct kmeta_pod *p;
	struct kmeta_stats st;
	struct addr a;
	char node[64];

	assert_int_equal(addr_parse("198.18.1.11", &a), 0);
	p = kmeta_pod_by_ip(km, &a);
	assert_non_null(p);
	assert_string_equal(p->name, "web-7d4b9c8f5-abcde");
	assert_string_equal(p->node, "node-a");
	assert_string_equal(p->uid, "uid-pod-web-1");
	assert_int_equal(p->nips, 2);
	assert_int_equal(addr_parse("2001:db8:1::11", &a), 0);
	assert_ptr_equal(kmeta_pod_by_ip(km, &a), p);
	assert_ptr_equal(kmeta_pod_by_uid(km, "uid-pod-web-1"), p);
	assert_null(kmeta_pod_by_uid(km, "nope"));
	assert_null(kmeta_pod_by_name(km, "other", "web-7d4b9c8f5-abcde"));

	/* A hostNetwork pod shares the node's address: the node answers. */
	assert_int_equal(addr_parse("198.18.0.10", &a), 0);
	assert_true(kmeta_node_by_ip(km, &a, node, sizeof(node)));
	assert_string_equal(node, "node-a");
	assert_int_equal(addr_parse("2001:db8::10", &a), 0);
	assert_true(kmeta_node_by_ip(km, &a, node, sizeof(node)));
	assert_int_equal(addr_parse("198.18.1.11", &a), 0);
	assert_false(kmeta_node_by_ip(km, &a, node, sizeof(node)));

	assert_non_null(kmeta_namespace_labels(km, "shop"));
	assert_non_null(strstr(kmeta_namespace_labels(km, "shop"),
	    "\"kubernetes.io/metadata.name\":\"shop\""));
	assert_null(kmeta_namespace_labels(km, "absent"));

	kmeta_get_stats(km, &st);
	assert_int_equal(st.pods, 14);
	assert_int_equal(st.namespaces, 2);
	assert_int_equal(st.nodes, 1);
	/* Services are not cached. */
	assert_int_equal(st.owners, 12);
	assert_true(st.bytes > 0);
}

static void
test_per_pod_labels(void **state)
{
	static const char *const perpod[] = { "pod-template-hash",
	    "controller-revision-hash", "pod-template-generation",
	    "statefulset.kubernetes.io/pod-name",
	    "apps.kubernetes.io/pod-index",
	    "batch.kubernetes.io/controller-uid", "controller-uid",
	    "job-name", "batch.kubernetes.io/job-name" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(perpod) / sizeof(perpod[0]); i++)
		assert_true(kmeta_label_is_per_pod(perpod[i]));
	assert_false(kmeta_label_is_per_pod("app"));
	assert_false(kmeta_label_is_per_pod("app.kubernetes.io/name"));
}

/* Selector cleaning leaves nothing: no selector rather than {} (which
 * would select every pod). */
static void
test_selector_empty(void **state)
{
	struct kmeta *km;
	char err[256];
	const char *list = "{\"kind\":\"List\",\"items\":["
	    "{\"kind\":\"Job\",\"metadata\":{\"name\":\"j\",\"namespace\":"
	    "\"x\"},\"spec\":{\"template\":{\"metadata\":{\"labels\":"
	    "{\"job-name\":\"j\",\"controller-uid\":\"u\"}}}}},"
	    "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"j-abc\",\"namespace\":"
	    "\"x\",\"labels\":{\"job-name\":\"j\"},\"ownerReferences\":"
	    "[{\"kind\":\"Job\",\"name\":\"j\",\"controller\":true}]}}]}";

	(void)state;
	assert_int_equal(kmeta_new(&km), 0);
	assert_int_equal(kmeta_load_list(km, list, strlen(list), err,
	    sizeof(err)), 0);
	expect_workload(km, "x", "j-abc", "Job", "j", NULL);
	kmeta_free(km);
}

static void
test_yaml_equals_json(void **state)
{
	struct kmeta *kj = load(FIX "cluster.json");
	struct kmeta *ky = load(FIX "cluster.yaml");
	struct kmeta_stats a, b;

	(void)state;
	kmeta_get_stats(kj, &a);
	kmeta_get_stats(ky, &b);
	assert_int_equal(a.pods, b.pods);
	assert_int_equal(a.owners, b.owners);
	assert_int_equal(a.strings, b.strings);
	kmeta_free(kj);
	kmeta_free(ky);
}

static void
test_multidoc_yaml(void **state)
{
	struct kmeta *km;
	char err[256];
	const char *y =
	    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n"
	    "  namespace: n\n  labels: {app: a}\nstatus:\n"
	    "  podIP: 198.18.9.1\n"
	    "---\n"
	    "kind: PodList\nitems:\n- metadata: {name: b, namespace: n}\n"
	    "  status: {podIPs: [{ip: 198.18.9.2}]}\n";
	struct addr ad;

	(void)state;
	assert_int_equal(kmeta_new(&km), 0);
	assert_int_equal(kmeta_load_list(km, y, strlen(y), err, sizeof(err)),
	    0);
	assert_int_equal(addr_parse("198.18.9.2", &ad), 0);
	assert_non_null(kmeta_pod_by_ip(km, &ad));
	assert_string_equal(kmeta_pod_by_ip(km, &ad)->name, "b");
	assert_non_null(kmeta_pod_by_name(km, "n", "a"));
	kmeta_free(km);
}

/* JSON Lists are read item by item; the forms that need the whole tree
 * still work. */
static void
test_stream_forms(void **state)
{
	struct kmeta *km;
	struct kmeta_stats st;
	char err[512] = "";
	const char *sorted = "{\"apiVersion\":\"v1\",\"items\":[{\"metadata\":"
	    "{\"name\":\"a\",\"namespace\":\"n\"}}],\"kind\":\"PodList\"}";
	const char *single = "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"s\","
	    "\"namespace\":\"n\",\"annotations\":{\"items\":\"x\"}}}";
	const char *bad_item = "{\"kind\":\"List\",\"items\":[\n"
	    "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"ok\"}},\n"
	    "{\"kind\":\"Pod\",\"metadata\":{\"name\":7}}]}";
	const char *trailing = "{\"kind\":\"List\",\"items\":[]} x";
	const char *nocomma = "{\"kind\":\"List\",\"items\":[{\"kind\":"
	    "\"Pod\",\"metadata\":{\"name\":\"a\"}} {}]}";

	(void)state;
	assert_int_equal(kmeta_new(&km), 0);
	assert_int_equal(kmeta_load_list(km, sorted, strlen(sorted), err,
	    sizeof(err)), 0);
	assert_non_null(kmeta_pod_by_name(km, "n", "a"));
	assert_int_equal(kmeta_load_list(km, single, strlen(single), err,
	    sizeof(err)), 0);
	assert_non_null(kmeta_pod_by_name(km, "n", "s"));
	assert_null(kmeta_pod_by_name(km, "n", "a"));

	assert_int_equal(kmeta_load_list(km, bad_item, strlen(bad_item), err,
	    sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "line 3, column 1: items[1]: Pod: "
	    "metadata.name: expected a string"));
	assert_int_equal(kmeta_load_list(km, trailing, strlen(trailing), err,
	    sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "line 1, column 28: trailing data"));
	assert_int_equal(kmeta_load_list(km, nocomma, strlen(nocomma), err,
	    sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "expected ',' or ']' after an item"));
	/* None of the bad ones replaced the cache. */
	kmeta_get_stats(km, &st);
	assert_int_equal(st.pods, 1);
	assert_non_null(kmeta_pod_by_name(km, "n", "s"));
	kmeta_free(km);
}

/* Bad input: a clear error, and the cache keeps its last good state. */
static void
expect_bad(struct kmeta *km, const char *text, const char *needle)
{
	char err[512] = "";
	uint64_t gen = kmeta_generation(km);
	struct kmeta_stats before, after;

	kmeta_get_stats(km, &before);
	assert_int_equal(kmeta_load_list(km, text, strlen(text), err,
	    sizeof(err)), -EINVAL);
	if (strstr(err, needle) == NULL)
		fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
	kmeta_get_stats(km, &after);
	assert_int_equal(before.pods, after.pods);
	assert_int_equal(kmeta_generation(km), gen);
	assert_non_null(kmeta_pod_by_name(km, "shop", "db-0"));
}

static void
test_bad_input(void **state)
{
	struct kmeta *km = *state;

	expect_bad(km, "{\"kind\":\"List\",\"items\":[{\"kind\":\"Pod\"",
	    "line 1, column 38: unexpected end");
	expect_bad(km, "{\"kind\":\"List\",\n\"items\":[}]}", "line 2, column");
	expect_bad(km, "{\"kind\":\"List\",\"items\":{}}", "items: expected an "
	    "array");
	expect_bad(km, "{\"kind\":\"List\",\"items\":[{\"kind\":\"Pod\","
	    "\"metadata\":{\"name\":42}}]}", "metadata.name: expected a "
	    "string");
	expect_bad(km, "{\"kind\":\"List\",\"items\":[{\"kind\":\"Pod\","
	    "\"metadata\":{\"name\":\"p\",\"labels\":{\"a\":1}}}]}",
	    "label a: expected a string");
	expect_bad(km, "{\"kind\":\"List\",\"items\":[{\"kind\":\"Pod\","
	    "\"metadata\":{\"name\":\"p\"},\"status\":{\"podIPs\":\"x\"}}]}",
	    "status.podIPs: expected an array");
	expect_bad(km, "{\"kind\":\"List\",\"items\":[{\"kind\":\"Deployment\","
	    "\"metadata\":{\"name\":\"d\"},\"spec\":{\"selector\":"
	    "{\"matchLabels\":[]}}}]}", "matchLabels: expected an object");
	expect_bad(km, "{\"kind\":\"List\",\"items\":[{\"kind\":\"Pod\","
	    "\"metadata\":{}}]}", "metadata.name is missing");
	expect_bad(km, "kind: List\nitems:\n  - kind: Pod\n   bad: [\n",
	    "line ");
	expect_bad(km, "kind: List\nitems: [1, 2]\n", "items[0]: expected an "
	    "object");
}

static void
test_file_errors(void **state)
{
	struct kmeta *km = *state;
	char err[512];

	assert_int_equal(kmeta_load_list_file(km, FIX "does-not-exist.json",
	    err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "does-not-exist.json"));
	assert_non_null(kmeta_pod_by_name(km, "shop", "db-0"));
}

static struct json_object *
pod_obj(const char *name, const char *uid, const char *ip, const char *rs)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), "{\"metadata\":{\"name\":\"%s\","
	    "\"namespace\":\"shop\",\"uid\":\"%s\",\"labels\":{\"app\":"
	    "\"web\",\"pod-template-hash\":\"7d4b9c8f5\"},\"ownerReferences\":"
	    "[{\"kind\":\"ReplicaSet\",\"name\":\"%s\",\"controller\":true}]},"
	    "\"status\":{\"podIP\":\"%s\"}}", name, uid, rs, ip);
	return json_tokener_parse(buf);
}

static void
test_incremental(void **state)
{
	struct kmeta *km = *state;
	struct json_object *o;
	struct addr a;
	char err[256];
	uint64_t g;

	assert_int_equal(addr_parse("198.18.1.99", &a), 0);
	assert_null(kmeta_pod_by_ip(km, &a));
	g = kmeta_generation(km);
	o = pod_obj("web-7d4b9c8f5-new", "uid-new", "198.18.1.99",
	    "web-7d4b9c8f5");
	assert_int_equal(kmeta_apply(km, KMETA_POD, false, o, err,
	    sizeof(err)), 0);
	json_object_put(o);
	assert_true(kmeta_generation(km) > g);
	assert_non_null(kmeta_pod_by_ip(km, &a));
	expect_workload(km, "shop", "web-7d4b9c8f5-new", "Deployment", "web",
	    "{\"matchLabels\":{\"app\":\"web\",\"tier\":\"front\"}}");

	/* MODIFIED with a new IP: the old address is released. */
	o = pod_obj("web-7d4b9c8f5-new", "uid-new", "198.18.1.98",
	    "web-7d4b9c8f5");
	assert_int_equal(kmeta_apply(km, KMETA_POD, false, o, err,
	    sizeof(err)), 0);
	json_object_put(o);
	assert_null(kmeta_pod_by_ip(km, &a));

	/* A late DELETED for an older pod of the same name is ignored. */
	o = pod_obj("web-7d4b9c8f5-new", "uid-older", "198.18.1.98",
	    "web-7d4b9c8f5");
	assert_int_equal(kmeta_apply(km, KMETA_POD, true, o, err,
	    sizeof(err)), 0);
	json_object_put(o);
	assert_non_null(kmeta_pod_by_uid(km, "uid-new"));
	o = pod_obj("web-7d4b9c8f5-new", "uid-new", "198.18.1.98",
	    "web-7d4b9c8f5");
	assert_int_equal(kmeta_apply(km, KMETA_POD, true, o, err,
	    sizeof(err)), 0);
	json_object_put(o);
	assert_null(kmeta_pod_by_uid(km, "uid-new"));

	/* A malformed object changes nothing. */
	o = json_tokener_parse("{\"metadata\":{\"name\":[]}}");
	g = kmeta_generation(km);
	assert_int_equal(kmeta_apply(km, KMETA_POD, false, o, err,
	    sizeof(err)), -EINVAL);
	json_object_put(o);
	assert_int_equal(kmeta_generation(km), g);

	/* Deleting the Deployment: the RS's reference still names it. */
	o = json_tokener_parse("{\"metadata\":{\"name\":\"web\","
	    "\"namespace\":\"shop\"}}");
	assert_int_equal(kmeta_apply(km, KMETA_DEPLOYMENT, true, o, err,
	    sizeof(err)), 0);
	json_object_put(o);
	expect_workload(km, "shop", "web-7d4b9c8f5-abcde", "Deployment", "web",
	    "{\"matchLabels\":{\"app\":\"web\",\"tier\":\"front\"}}");
}

static void
test_relist(void **state)
{
	struct kmeta *km = *state;
	struct json_object *o;
	struct kmeta_stats st;
	char err[256];

	/* A relist that returns one pod removes the others... */
	kmeta_sync_begin(km, KMETA_POD);
	o = pod_obj("web-7d4b9c8f5-abcde", "uid-pod-web-1", "198.18.1.11",
	    "web-7d4b9c8f5");
	assert_int_equal(kmeta_apply(km, KMETA_POD, false, o, err,
	    sizeof(err)), 0);
	json_object_put(o);
	kmeta_sync_end(km, KMETA_POD);
	kmeta_get_stats(km, &st);
	assert_int_equal(st.pods, 1);
	/* ...and leaves the other kinds alone. */
	assert_int_equal(st.owners, 12);
	assert_int_equal(st.nodes, 1);

	/* An aborted relist keeps everything. */
	kmeta_sync_begin(km, KMETA_REPLICASET);
	kmeta_sync_abort(km, KMETA_REPLICASET);
	kmeta_sync_end(km, KMETA_REPLICASET);
	kmeta_get_stats(km, &st);
	assert_int_equal(st.owners, 12);

	/* Relisting owners of one kind keeps other owner kinds. */
	kmeta_sync_begin(km, KMETA_JOB);
	kmeta_sync_end(km, KMETA_JOB);
	kmeta_get_stats(km, &st);
	assert_int_equal(st.owners, 10);
}

/* Memory: many pods share their strings (a rough check of the per-pod
 * cost; make bench reports the 100,000-pod figure). */
static void
test_memory(void **state)
{
	struct kmeta *km;
	struct json_object *o;
	struct kmeta_stats st;
	char name[64], uid[64], ip[32], err[256];
	int i;

	(void)state;
	assert_int_equal(kmeta_new(&km), 0);
	for (i = 0; i < 10000; i++) {
		snprintf(name, sizeof(name), "web-7d4b9c8f5-%05d", i);
		snprintf(uid, sizeof(uid), "0b5c2a1e-1111-4222-8333-%012d", i);
		snprintf(ip, sizeof(ip), "198.18.%d.%d", 1 + i / 250,
		    1 + i % 250);
		o = pod_obj(name, uid, ip, "web-7d4b9c8f5");
		assert_int_equal(kmeta_apply(km, KMETA_POD, false, o, err,
		    sizeof(err)), 0);
		json_object_put(o);
	}
	kmeta_get_stats(km, &st);
	assert_int_equal(st.pods, 10000);
	/* Under 1000 bytes a pod keeps 100,000 pods under 100 MB. */
	assert_true(st.bytes / st.pods < 1000);
	kmeta_free(km);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_owner_kinds, setup_json,
		    teardown),
		cmocka_unit_test_setup_teardown(test_owner_kinds, setup_yaml,
		    teardown),
		cmocka_unit_test_setup_teardown(test_workload_fields,
		    setup_json, teardown),
		cmocka_unit_test_setup_teardown(test_lookups, setup_json,
		    teardown),
		cmocka_unit_test_setup_teardown(test_lookups, setup_yaml,
		    teardown),
		cmocka_unit_test(test_per_pod_labels),
		cmocka_unit_test(test_selector_empty),
		cmocka_unit_test(test_yaml_equals_json),
		cmocka_unit_test(test_multidoc_yaml),
		cmocka_unit_test(test_stream_forms),
		cmocka_unit_test_setup_teardown(test_bad_input, setup_json,
		    teardown),
		cmocka_unit_test_setup_teardown(test_file_errors, setup_json,
		    teardown),
		cmocka_unit_test_setup_teardown(test_incremental, setup_json,
		    teardown),
		cmocka_unit_test_setup_teardown(test_relist, setup_json,
		    teardown),
		cmocka_unit_test(test_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
