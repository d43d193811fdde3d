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

#include "recorderd/meta/kmeta.h"
#include "recorderd/meta/kmeta_load.h"
#include "lib/yamljson.h"

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

/* The uid of each pod's workload: the cached object's, else the one the
 * reference that named it gives, the pod's own for a bare pod, none when
 * the workload was inferred. */
static void
test_workload_uids(void **state)
{
	static const struct {
		const char *pod, *kind, *name, *uid;
	} want[] = {
		{ "web-7d4b9c8f5-abcde", "Deployment", "web", "uid-dep-web" },
		/* The Deployment is not cached: its ReplicaSet names it. */
		{ "cart-66b8-q2", "Deployment", "cart", "uid-dep-cart" },
		/* Inferred from pod-template-hash: no uid. */
		{ "search-5c9d7-zz", "Deployment", "search", "" },
		{ "solo-k8s7p", "ReplicaSet", "solo", "uid-rs-solo" },
		{ "db-0", "StatefulSet", "db", "uid-sts-db" },
		/* Job not cached, CronJob inferred then found: its uid. */
		{ "backup-28577820-aaaaa", "CronJob", "backup",
		  "uid-cj-backup" },
		{ "debug", "Pod", "debug", "uid-pod-debug" },
	};
	struct kmeta *km = *state;
	const struct kmeta_pod *p;
	struct store_workload w;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		p = kmeta_pod_by_name(km, "shop", want[i].pod);
		assert_non_null(p);
		assert_int_equal(kmeta_pod_workload(km, p, &w), 0);
		assert_string_equal(w.kind, want[i].kind);
		assert_string_equal(w.name, want[i].name);
		if (strcmp(w.uid, want[i].uid) != 0)
			fail_msg("%s: uid %s, want %s", want[i].pod, w.uid,
			    want[i].uid);
		wl_clear(&w);
	}
	p = kmeta_pod_by_name(km, "kube-system", "kube-proxy-abcde");
	assert_int_equal(kmeta_pod_workload(km, p, &w), 0);
	assert_string_equal(w.uid, "uid-ds-kp");
	wl_clear(&w);
	assert_string_equal(kmeta_node_uid(km, "node-a"), "node-a-uid");
	assert_null(kmeta_node_uid(km, "node-z"));
}

struct gone_seen {
	char what[8][160];
	int n;
};

static void
gone_cb(void *arg, const struct kmeta_gone *g)
{
	struct gone_seen *s = arg;

	assert_true(s->n < 8);
	snprintf(s->what[s->n++], sizeof(s->what[0]), "%s %s/%s %s", g->kind,
	    g->ns, g->name, g->uid);
}

/* What went: an owner deleted, a bare pod deleted, an owner missing from
 * a relist; not a pod that has an owner, not a stale delete. */
static void
test_gone(void **state)
{
	struct kmeta *km = *state;
	struct gone_seen seen = { .n = 0 };
	struct json_object *o;
	char err[256];

	assert_int_equal(kmeta_take_gone(km, gone_cb, &seen), 0);
	assert_int_equal(seen.n, 0);
	o = json_tokener_parse("{\"metadata\":{\"name\":\"web\","
	    "\"namespace\":\"shop\",\"uid\":\"uid-dep-web\"}}");
	assert_int_equal(kmeta_apply(km, KMETA_DEPLOYMENT, true, o, err,
	    sizeof(err)), 0);
	json_object_put(o);
	/* A delete of an older object of the same name: ignored. */
	o = json_tokener_parse("{\"metadata\":{\"name\":\"api\","
	    "\"namespace\":\"shop\",\"uid\":\"uid-dep-api-old\"}}");
	assert_int_equal(kmeta_apply(km, KMETA_DEPLOYMENT, true, o, err,
	    sizeof(err)), 0);
	json_object_put(o);
	o = pod_obj("web-7d4b9c8f5-abcde", "uid-pod-web-1", "198.18.1.11",
	    "web-7d4b9c8f5");
	assert_int_equal(kmeta_apply(km, KMETA_POD, true, o, err,
	    sizeof(err)), 0);
	json_object_put(o);
	o = json_tokener_parse("{\"metadata\":{\"name\":\"debug\","
	    "\"namespace\":\"shop\",\"uid\":\"uid-pod-debug\"}}");
	assert_int_equal(kmeta_apply(km, KMETA_POD, true, o, err,
	    sizeof(err)), 0);
	json_object_put(o);
	kmeta_sync_begin(km, KMETA_STATEFULSET);
	kmeta_sync_end(km, KMETA_STATEFULSET);
	assert_int_equal(kmeta_take_gone(km, gone_cb, &seen), 0);
	assert_int_equal(seen.n, 3);
	assert_string_equal(seen.what[0], "Deployment shop/web uid-dep-web");
	assert_string_equal(seen.what[1], "Pod shop/debug uid-pod-debug");
	assert_string_equal(seen.what[2], "StatefulSet shop/db uid-sts-db");
	seen.n = 0;
	assert_int_equal(kmeta_take_gone(km, gone_cb, &seen), 0);
	assert_int_equal(seen.n, 0);
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

/* ---- YAML Lists, streamed ----------------------------------------------- */

static int
digest_pod(const struct kmeta_pod *p, void *arg)
{
	struct json_object *a = arg;
	char ip[2][64] = { "", "" }, line[2048];
	int i;

	for (i = 0; i < p->nips && i < 2; i++)
		addr_format(&p->ips[i], ip[i], sizeof(ip[i]));
	snprintf(line, sizeof(line), "%s/%s uid=%s node=%s ips=%d %s %s "
	    "host=%d term=%d start=%lld labels=%s owner=%s/%s ports=%s",
	    p->namespace_, p->name, p->uid, p->node, p->nips, ip[0], ip[1],
	    p->host_network, p->terminated, (long long)p->started_at,
	    p->labels_json, p->owner_kind, p->owner_name, p->ports_json);
	json_object_array_add(a, json_object_new_string(line));
	return 0;
}

static int
cmp_jstr(const void *x, const void *y)
{
	return strcmp(json_object_get_string(*(struct json_object *const *)x),
	    json_object_get_string(*(struct json_object *const *)y));
}

/*
 * Everything a user sees of the cache, as one text: each pod's fields and
 * its workload (kind, name, selector), sorted, and the counts.
 */
static char *
digest(struct kmeta *km)
{
	struct json_object *a = json_object_new_array();
	struct kmeta_stats st;
	struct store_workload w;
	const struct kmeta_pod *p;
	char *out, *s;
	size_t i, n, len;

	kmeta_pod_foreach(km, digest_pod, a);
	json_object_array_sort(a, cmp_jstr);
	kmeta_get_stats(km, &st);
	len = 128;
	n = json_object_array_length(a);
	for (i = 0; i < n; i++)
		len += strlen(json_object_get_string(
		    json_object_array_get_idx(a, i))) + 512;
	out = malloc(len);
	assert_non_null(out);
	snprintf(out, len, "pods=%zu owners=%zu strings=%zu\n",
	    (size_t)st.pods, (size_t)st.owners, (size_t)st.strings);
	for (i = 0; i < n; i++) {
		const char *line = json_object_get_string(
		    json_object_array_get_idx(a, i));
		char ns[256], name[256];

		s = out + strlen(out);
		assert_int_equal(sscanf(line, "%255[^/]/%255s", ns, name), 2);
		p = kmeta_pod_by_name(km, ns, name);
		assert_non_null(p);
		assert_int_equal(kmeta_pod_workload(km, p, &w), 0);
		snprintf(s, len - (size_t)(s - out), "%s -> %s %s %s\n", line,
		    w.kind, w.name, w.selector_json != NULL ? w.selector_json :
		    "-");
		wl_clear(&w);
	}
	json_object_put(a);
	return out;
}

/* Load text into a new cache: its return, error and digest (NULL when
 * the load failed). */
static int
try_text(const char *text, size_t len, char *err, size_t errlen, char **d)
{
	struct kmeta *km;
	int r;

	*d = NULL;
	assert_int_equal(kmeta_new(&km), 0);
	if ((r = kmeta_load_list(km, text, len, err, errlen)) == 0)
		*d = digest(km);
	kmeta_free(km);
	return r;
}

static char *
digest_text(const char *text)
{
	char err[512] = "", *d;

	if (try_text(text, strlen(text), err, sizeof(err), &d) != 0)
		fail_msg("%s", err);
	return d;
}

/* The YAML text loads to the same cache as the JSON text. */
static void
expect_same(const char *yaml, const char *json)
{
	char *a = digest_text(yaml), *b = digest_text(json);

	assert_string_equal(a, b);
	free(a);
	free(b);
}

struct sb {
	char *p;
	size_t len;
};

static void sb_add(struct sb *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sb_add(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	char tmp[2048];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(tmp));
	b->p = realloc(b->p, b->len + (size_t)n + 1);
	assert_non_null(b->p);
	memcpy(b->p + b->len, tmp, (size_t)n + 1);
	b->len += (size_t)n;
}

/*
 * One List of Deployments, ReplicaSets and pods written three ways: JSON,
 * YAML in kubectl's block style (items before kind), YAML with flow items.
 */
static void
gen_lists(int npods, struct sb *json, struct sb *block, struct sb *flow)
{
	int i, w;

	sb_add(json, "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[");
	sb_add(block, "apiVersion: v1\nitems:\n");
	sb_add(flow, "kind: List\nitems: [\n");
	for (i = 0; i < npods; i++) {
		w = i / 4;
		if (i % 4 == 0) {
			sb_add(json, "{\"kind\":\"Deployment\",\"metadata\":"
			    "{\"name\":\"d%d\",\"namespace\":\"n%d\"},\"spec\":"
			    "{\"selector\":{\"matchLabels\":{\"app\":\"d%d\"}}}},"
			    "{\"kind\":\"ReplicaSet\",\"metadata\":{\"name\":"
			    "\"d%d-5f\",\"namespace\":\"n%d\",\"ownerReferences\":"
			    "[{\"kind\":\"Deployment\",\"name\":\"d%d\","
			    "\"controller\":true}]},\"spec\":{\"selector\":"
			    "{\"matchLabels\":{\"app\":\"d%d\","
			    "\"pod-template-hash\":\"5f\"}}}},",
			    w, w % 3, w, w, w % 3, w, w);
			sb_add(block, "- kind: Deployment\n  metadata:\n"
			    "    name: d%d\n    namespace: n%d\n  spec:\n"
			    "    selector:\n      matchLabels:\n        app: d%d\n"
			    "- kind: ReplicaSet\n  metadata:\n    name: d%d-5f\n"
			    "    namespace: n%d\n    ownerReferences:\n"
			    "    - kind: Deployment\n      name: d%d\n"
			    "      controller: true\n  spec:\n    selector:\n"
			    "      matchLabels:\n        app: d%d\n"
			    "        pod-template-hash: \"5f\"\n",
			    w, w % 3, w, w, w % 3, w, w);
			sb_add(flow, "{kind: Deployment, metadata: {name: d%d, "
			    "namespace: n%d}, spec: {selector: {matchLabels: "
			    "{app: d%d}}}},\n{kind: ReplicaSet, metadata: "
			    "{name: d%d-5f, namespace: n%d, ownerReferences: "
			    "[{kind: Deployment, name: d%d, controller: true}]}, "
			    "spec: {selector: {matchLabels: {app: d%d, "
			    "pod-template-hash: '5f'}}}},\n",
			    w, w % 3, w, w, w % 3, w, w);
		}
		sb_add(json, "{\"kind\":\"Pod\",\"metadata\":{\"name\":"
		    "\"d%d-5f-%d\",\"namespace\":\"n%d\",\"uid\":\"u%d\","
		    "\"labels\":{\"app\":\"d%d\",\"pod-template-hash\":\"5f\"},"
		    "\"ownerReferences\":[{\"kind\":\"ReplicaSet\",\"name\":"
		    "\"d%d-5f\",\"controller\":true}]},\"spec\":{\"nodeName\":"
		    "\"k%d\",\"containers\":[{\"name\":\"c\",\"ports\":[{\"name\":"
		    "\"http\",\"containerPort\":8080}]}]},\"status\":{\"phase\":"
		    "\"Running\",\"startTime\":\"2026-11-20T10:00:%02dZ\","
		    "\"podIPs\":[{\"ip\":\"198.18.%d.%d\"},{\"ip\":"
		    "\"2001:db8::%x\"}]}}%s", w, i, w % 3, i, w, w, i % 2,
		    i % 60, i / 250, i % 250, i, i + 1 < npods ? "," : "");
		sb_add(block, "- kind: Pod\n  metadata:\n    name: d%d-5f-%d\n"
		    "    namespace: n%d\n    uid: u%d\n    labels:\n"
		    "      app: d%d\n      pod-template-hash: \"5f\"\n"
		    "    ownerReferences:\n    - kind: ReplicaSet\n"
		    "      name: d%d-5f\n      controller: true\n  spec:\n"
		    "    nodeName: k%d\n    containers:\n    - name: c\n"
		    "      ports:\n      - name: http\n"
		    "        containerPort: 8080\n  status:\n"
		    "    phase: Running\n"
		    "    startTime: \"2026-11-20T10:00:%02dZ\"\n"
		    "    podIPs:\n    - ip: 198.18.%d.%d\n"
		    "    - ip: 2001:db8::%x\n", w, i, w % 3, i, w, w, i % 2,
		    i % 60, i / 250, i % 250, i);
		sb_add(flow, "{kind: Pod, metadata: {name: d%d-5f-%d, "
		    "namespace: n%d, uid: u%d, labels: {app: d%d, "
		    "pod-template-hash: \"5f\"}, ownerReferences: [{kind: "
		    "ReplicaSet, name: d%d-5f, controller: true}]}, spec: "
		    "{nodeName: k%d, containers: [{name: c, ports: [{name: "
		    "http, containerPort: 8080}]}]}, status: {phase: Running, "
		    "startTime: '2026-11-20T10:00:%02dZ', podIPs: [{ip: "
		    "198.18.%d.%d}, {ip: '2001:db8::%x'}]}}%s\n", w, i, w % 3,
		    i, w, w, i % 2, i % 60, i / 250, i % 250, i,
		    i + 1 < npods ? "," : "");
	}
	sb_add(json, "]}");
	sb_add(block, "kind: List\nmetadata:\n  resourceVersion: \"\"\n");
	sb_add(flow, "]\n");
}

static void
test_yaml_stream_same_as_json(void **state)
{
	struct sb json = { NULL, 0 }, block = { NULL, 0 }, flow = { NULL, 0 };
	struct kmeta *kj = load(FIX "cluster.json");
	struct kmeta *ky = load(FIX "cluster.yaml");
	char *a = digest(kj), *b = digest(ky);

	(void)state;
	assert_string_equal(a, b);
	free(a);
	free(b);
	kmeta_free(kj);
	kmeta_free(ky);

	gen_lists(600, &json, &block, &flow);
	a = digest_text(json.p);
	assert_non_null(strstr(a, "pods=600 owners=300 "));
	assert_non_null(strstr(a, "n1/d1-5f-4 uid=u4 node=k0 ips=2 "
	    "198.18.0.4 2001:db8::4 host=0 term=0"));
	assert_non_null(strstr(a, "-> Deployment d1 "
	    "{\"matchLabels\":{\"app\":\"d1\"}}"));
	free(a);
	expect_same(block.p, json.p);
	expect_same(flow.p, json.p);
	free(json.p);
	free(block.p);
	free(flow.p);
}

static void
test_yaml_stream_forms(void **state)
{
	(void)state;
	/* Anchors and aliases inside items and across them. */
	expect_same("kind: List\nitems:\n"
	    "- &p {kind: Pod, metadata: {name: a, namespace: n, labels: &l "
	    "{app: x}}, status: {podIP: 198.18.9.1}}\n"
	    "- kind: Pod\n  metadata: {name: b, namespace: n, labels: *l}\n"
	    "  status: {podIP: 198.18.9.2}\n"
	    "- *p\n",
	    "{\"kind\":\"List\",\"items\":["
	    "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\",\"namespace\":"
	    "\"n\",\"labels\":{\"app\":\"x\"}},\"status\":{\"podIP\":"
	    "\"198.18.9.1\"}},"
	    "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"b\",\"namespace\":"
	    "\"n\",\"labels\":{\"app\":\"x\"}},\"status\":{\"podIP\":"
	    "\"198.18.9.2\"}}]}");
	/* Several documents: a single object, empty ones, a List. */
	expect_same("kind: Pod\nmetadata: {name: s, namespace: n}\n---\n---\n"
	    "kind: List\nitems: [{kind: Pod, metadata: {name: t, namespace: "
	    "n}}]\n---\n~\n",
	    "{\"kind\":\"List\",\"items\":[{\"kind\":\"Pod\",\"metadata\":"
	    "{\"name\":\"s\",\"namespace\":\"n\"}},{\"kind\":\"Pod\","
	    "\"metadata\":{\"name\":\"t\",\"namespace\":\"n\"}}]}");
	/* A typed list whose kind comes after its items. */
	expect_same("items:\n- metadata: {name: a, namespace: n}\n"
	    "  status: {podIP: 198.18.9.1}\nkind: PodList\n",
	    "{\"kind\":\"PodList\",\"items\":[{\"metadata\":{\"name\":\"a\","
	    "\"namespace\":\"n\"},\"status\":{\"podIP\":\"198.18.9.1\"}}]}");
	/* Duplicate keys: the last one counts, as in the tree. */
	expect_same("kind: List\nitems:\n- {kind: Pod, metadata: {name: a, "
	    "namespace: n}}\nitems:\n- {kind: Pod, metadata: {name: b, "
	    "namespace: n}}\n",
	    "{\"kind\":\"List\",\"items\":[{\"kind\":\"Pod\",\"metadata\":"
	    "{\"name\":\"b\",\"namespace\":\"n\"}}]}");
	/* An anchored items sequence, aliased after. */
	expect_same("kind: List\nitems: &all\n- {kind: Pod, metadata: {name: a, "
	    "namespace: n}}\nextra: *all\n",
	    "{\"kind\":\"List\",\"items\":[{\"kind\":\"Pod\",\"metadata\":"
	    "{\"name\":\"a\",\"namespace\":\"n\"}}]}");
	/* Empty items. */
	expect_same("kind: List\nitems: []\n", "{\"kind\":\"List\",\"items\":[]}");
}

/* Bad YAML: the tree read's error, and the cache keeps its state. */
static void
test_yaml_stream_errors(void **state)
{
	struct kmeta *km = *state;

	expect_bad(km, "kind: List\nitems:\n", "document 1: items: expected "
	    "an array");
	expect_bad(km, "kind: List\nitems: null\n", "document 1: items: "
	    "expected an array");
	expect_bad(km, "kind: List\nitems:\n- {kind: Pod, metadata: {name: "
	    "7}}\nitems: 5\n", "document 1: items: expected an array");
	expect_bad(km, "- a\n- b\n", "document 1: expected an object (a List)");
	expect_bad(km, "just a scalar\n", "document 1: expected an object");
	/* Load errors name the item, as the tree read does. */
	expect_bad(km, "kind: List\nitems:\n- {kind: Pod, metadata: {name: a, "
	    "namespace: n}}\n- {kind: Pod, metadata: {name: b, namespace: n, "
	    "labels: {a: 1}}}\n", "items[1]: Pod: label a: expected a string");
	expect_bad(km, "kind: List\nitems: []\n---\nkind: List\nitems:\n"
	    "- {kind: Pod, metadata: {name: 5}}\n---\n- x\n",
	    "items[0]: Pod: metadata.name: expected a string");
	/* A kind needed by an item and changed after it. */
	expect_bad(km, "kind: PodList\nitems:\n- metadata: {name: a, "
	    "namespace: n}\nkind: Foo\n", "items[0]: no kind");
	/* A parse error after a bad item wins, with its position. */
	expect_bad(km, "kind: List\nitems:\n- {kind: Pod, metadata: {name: 7}}\n"
	    "- kind: Pod\n  metadata: {name: !!int x}\n",
	    "line 5, column 20: scalar does not match its tag");
	expect_bad(km, "kind: List\nitems:\n- {kind: Pod, metadata: {name: 7}}\n"
	    "- kind: Pod\n  metadata: {name: [\n",
	    "line 6, column 1: did not find expected node content");
	expect_bad(km, "kind: List\nitems:\n- {kind: Pod, metadata: {name: a, "
	    "namespace: n}}\n- *nope\n", "line 4, column 3: unknown alias");
}

/*
 * Every prefix of a YAML List, against the tree: when yamljson_parse
 * fails, the same error; when it gives one document, the same cache (or
 * the same failure) as that document loaded as JSON.
 */
static void
test_yaml_truncated(void **state)
{
	struct sb json = { NULL, 0 }, block = { NULL, 0 }, flow = { NULL, 0 };
	struct json_object *docs, *doc;
	char e1[512], e2[512], e3[512], *text, *dy, *dj;
	size_t cut, ok = 0;
	int r1, r2, r3;

	(void)state;
	gen_lists(8, &json, &block, &flow);
	for (cut = 0; cut <= block.len; cut++) {
		text = strndup(block.p, cut);
		assert_non_null(text);
		e1[0] = e2[0] = '\0';
		r1 = yamljson_parse(text, cut, &docs, e1, sizeof(e1));
		r2 = try_text(text, cut, e2, sizeof(e2), &dy);
		if (r1 != 0) {
			assert_int_equal(r2, r1);
			assert_string_equal(e2, e1);
		} else if (json_object_array_length(docs) == 0 ||
		    (doc = json_object_array_get_idx(docs, 0)) == NULL) {
			assert_int_equal(r2, 0);
			assert_non_null(strstr(dy, "pods=0 owners=0 "));
		} else {
			assert_int_equal(json_object_array_length(docs), 1);
			r3 = try_text(json_object_to_json_string(doc),
			    strlen(json_object_to_json_string(doc)), e3,
			    sizeof(e3), &dj);
			assert_int_equal(r2, r3);
			if (r2 == 0) {
				assert_string_equal(dy, dj);
				ok++;
			}
			free(dj);
		}
		json_object_put(docs);
		free(dy);
		free(text);
	}
	/* The whole text, and more than one prefix, loaded. */
	assert_true(ok > 1);
	dy = digest_text(block.p);
	assert_non_null(strstr(dy, "pods=8 owners=4 "));
	free(dy);
	free(json.p);
	free(block.p);
	free(flow.p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_workload_uids, setup_json,
		    teardown),
		cmocka_unit_test_setup_teardown(test_gone, setup_json,
		    teardown),
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
		cmocka_unit_test(test_yaml_stream_same_as_json),
		cmocka_unit_test(test_yaml_stream_forms),
		cmocka_unit_test_setup_teardown(test_yaml_stream_errors,
		    setup_json, teardown),
		cmocka_unit_test(test_yaml_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
