/*
 * Golden tests for `netpol-record export`: stores built with the store API,
 * the command run in-process, stdout compared byte for byte with
 * tests/fixtures/export/. NPR_REGEN_GOLDEN=1 rewrites the goldens (review
 * the diff before committing). Every document is also parsed back as YAML
 * and checked for the fields the Kubernetes API requires, the YAML and
 * JSON outputs must hold the same trees, and `netpol-record check` must
 * find that the exported policies allow every recorded flow.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "cli/cmd/cmds.h"
#include "lib/store.h"
#include "lib/yamljson.h"
#include "tests/unit/ut_run.h"
#include "tests/unit/ut_store.h"
#include "tests/unit/ut_world.h"

#define GOLDEN_DIR "tests/fixtures/export/"
#define T0 1795000000LL		/* 2026-11-18T11:06:40Z */
#define HOUR 3600LL
#define DAY 86400LL

struct fx {
	char dir[64];
	char db[128];
	char db2[128];
	char ks[128];
};

/* Run a netpol-record subcommand in-process, capturing stdout/stderr. */
static struct ut_out
run(const struct fx *fx, int (*cmd)(int, char **), const char *first, ...)
{
	const char *argv[64], *a;
	va_list ap;
	int argc = 0;

	argv[argc++] = first;
	va_start(ap, first);
	while ((a = va_arg(ap, const char *)) != NULL && argc < 63)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	return ut_run(fx->dir, cmd, (char *const *)(uintptr_t)argv);
}

static void
golden(const char *name, const struct ut_out *o)
{
	char path[256];
	const char *regen = getenv("NPR_REGEN_GOLDEN");
	char *want;
	FILE *f;

	snprintf(path, sizeof(path), GOLDEN_DIR "%s", name);
	if (regen != NULL && *regen == '1') {
		f = fopen(path, "wb");
		assert_non_null(f);
		fwrite(o->out, 1, o->outlen, f);
		fclose(f);
		return;
	}
	want = ut_slurp(path, NULL);
	if (want == NULL)
		fail_msg("golden %s missing (NPR_REGEN_GOLDEN=1 writes it)",
		    path);
	if (strcmp(want, o->out) != 0) {
		fprintf(stderr, "---- %s differs; got:\n%s\n---- stderr:\n%s",
		    path, o->out, o->err);
		fail_msg("golden %s differs", path);
	}
	free(want);
}

/* ---- building stores -------------------------------------------------- */

static int64_t
wl(struct store *st, const char *ns, const char *kind, const char *name,
    const char *selector, const char *labels, bool host, int64_t started)
{
	int64_t id = ut_store_workload(st, ns, kind, name, selector, labels,
	    host, started);

	assert_true(id > 0);
	return id;
}

static void
flow(struct store *st, int64_t subject, int dir, int pk, int64_t peer,
    const char *addr, int proto, int port, const char *orig, int oport,
    const char *dns, int64_t first, int64_t last)
{
	struct flow_key k;
	struct flow f;

	flow_key_init(&k);
	k.subject = subject;
	k.direction = (uint8_t)dir;
	k.peer_kind = (uint8_t)pk;
	k.peer_wl = peer;
	if (addr != NULL && *addr != '\0')
		assert_int_equal(addr_parse(addr, &k.peer), 0);
	k.protocol = (uint8_t)proto;
	k.port = (uint16_t)port;
	if (orig != NULL && *orig != '\0')
		assert_int_equal(addr_parse(orig, &k.orig), 0);
	k.orig_port = (uint16_t)oport;
	flow_init(&f, &k, first, 3);
	f.last_seen = last;
	f.dns_name = dns ? dns : "";
	assert_int_equal(store_flows_write(st, &f, 1), 0);
}

static void
known(struct store *st, const char *source, const char *cidr,
    const char *server, const char *name)
{
	struct store_known_server k;

	memset(&k, 0, sizeof(k));
	snprintf(k.source, sizeof(k.source), "%s", source);
	snprintf(k.cidr, sizeof(k.cidr), "%s", cidr);
	snprintf(k.server, sizeof(k.server), "%s", server);
	snprintf(k.name, sizeof(k.name), "%s", name);
	assert_int_equal(store_known_servers_replace(st, source, &k, 1), 0);
}

#define E FLOW_EGRESS
#define I FLOW_INGRESS
#define W FLOW_PEER_WORKLOAD
#define A FLOW_PEER_ADDRESS
#define N FLOW_PEER_NODE
#define TCP IPPROTO_TCP
#define UDP IPPROTO_UDP

/*
 * The shop: checkout talks to cart through a Service (DNAT 80 -> 8080),
 * to CoreDNS over UDP only, to a workload in another namespace, to
 * addresses covered by overlapping KnownServers, to IPv4 and IPv6
 * addresses, and pings; frontend (older than the recording) and cart
 * call it, and so do the kubelet (node) and a hostNetwork exporter; db
 * saw nothing and was observed for an hour only.
 */
static void
build_shop(const char *path)
{
	struct store *st;
	struct addr node;
	int64_t checkout, cart, frontend, db, dns, gw, exporter, end;

	end = T0 + 2 * DAY;
	assert_int_equal(store_open(path, 0, &st), 0);
	assert_int_equal(store_meta_set(st, "recording_started", "1795000000"),
	    0);
	assert_int_equal(addr_parse("198.18.0.1", &node), 0);
	assert_int_equal(store_node_put(st, "node-1", &node), 0);
	checkout = wl(st, "shop", "Deployment", "checkout",
	    "{\"matchLabels\":{\"app\":\"checkout\"}}",
	    "{\"app\":\"checkout\",\"pod-template-hash\":\"5d8f\"}", false,
	    T0 + 100);
	cart = wl(st, "shop", "Deployment", "cart",
	    "{\"matchLabels\":{\"app\":\"cart\",\"tier\":\"backend\"}}",
	    "{\"app\":\"cart\",\"tier\":\"backend\"}", false, T0 + 50);
	frontend = wl(st, "shop", "Deployment", "frontend",
	    "{\"matchLabels\":{\"app\":\"frontend\"}}",
	    "{\"app\":\"frontend\"}", false, T0 - HOUR);
	db = wl(st, "shop", "StatefulSet", "db",
	    "{\"matchLabels\":{\"app\":\"db\"}}", "{\"app\":\"db\"}", false,
	    end - HOUR);
	dns = wl(st, "kube-system", "Deployment", "coredns",
	    "{\"matchLabels\":{\"k8s-app\":\"kube-dns\"}}",
	    "{\"k8s-app\":\"kube-dns\"}", false, T0 - DAY);
	gw = wl(st, "payments", "Deployment", "gateway",
	    "{\"matchLabels\":{\"app\":\"gateway\"}}", "{\"app\":\"gateway\"}",
	    false, T0 - DAY);
	exporter = wl(st, "monitoring", "DaemonSet", "node-exporter",
	    "{\"matchLabels\":{\"app\":\"node-exporter\"}}",
	    "{\"app\":\"node-exporter\"}", true, T0 - DAY);
	/* A namespace known to the store with nothing recorded. */
	(void)wl(st, "empty", "Deployment", "idle",
	    "{\"matchLabels\":{\"app\":\"idle\"}}", "{\"app\":\"idle\"}", false,
	    T0);

	/* checkout, egress */
	flow(st, checkout, E, W, cart, NULL, TCP, 8080, "198.18.100.5", 80,
	    NULL, T0 + 200, end - 10);
	flow(st, checkout, E, W, dns, NULL, UDP, 53, "198.18.100.10", 53,
	    NULL, T0 + 200, end - 5);
	flow(st, checkout, E, W, gw, NULL, TCP, 8443, NULL, 0, NULL,
	    T0 + 300, end - 100);
	flow(st, checkout, E, A, 0, "198.51.100.23", TCP, 443, NULL, 0,
	    "pay.example.com.", T0 + 400, end - 50);
	flow(st, checkout, E, A, 0, "198.51.100.99", TCP, 443, NULL, 0,
	    NULL, T0 + 500, end - 60);
	flow(st, checkout, E, A, 0, "198.51.7.7", TCP, 443, NULL, 0,
	    "cdn.example.net.", T0 + 600, end - 70);
	flow(st, checkout, E, A, 0, "203.0.113.9", TCP, 443, NULL, 0, NULL,
	    T0 + 700, end - 80);
	flow(st, checkout, E, A, 0, "203.0.113.9", TCP, 80, NULL, 0, NULL,
	    T0 + 700, end - 80);
	flow(st, checkout, E, A, 0, "203.0.113.10", TCP, 443, NULL, 0, NULL,
	    T0 + 800, end - 90);
	flow(st, checkout, E, A, 0, "2001:db8:ff::10", TCP, 443, NULL, 0,
	    "v6.example.org.", T0 + 900, end - 95);
	flow(st, checkout, E, A, 0, "203.0.113.9", IPPROTO_ICMP, 0, NULL, 0,
	    NULL, T0 + 1000, end - 100);
	flow(st, checkout, E, A, 0, "203.0.113.77", IPPROTO_SCTP, 3868, NULL,
	    0, NULL, T0 + 1000, end - 100);
	/* checkout, ingress */
	flow(st, checkout, I, W, frontend, NULL, TCP, 8443, NULL, 0, NULL,
	    T0 + 200, end - 1);
	flow(st, checkout, I, W, cart, NULL, TCP, 8443, NULL, 0, NULL,
	    T0 + 200, end - 1);
	flow(st, checkout, I, N, 0, "198.18.0.1", TCP, 8443, NULL, 0, NULL,
	    T0 + 200, end - 1);
	flow(st, checkout, I, W, exporter, NULL, TCP, 9100, NULL, 0, NULL,
	    T0 + 200, end - 1);
	/* cart: called by checkout, calls it back */
	flow(st, cart, I, W, checkout, NULL, TCP, 8080, NULL, 0, NULL,
	    T0 + 200, end - 10);
	flow(st, cart, E, W, checkout, NULL, TCP, 8443, NULL, 0, NULL,
	    T0 + 200, end - 1);
	/* frontend: calls checkout */
	flow(st, frontend, E, W, checkout, NULL, TCP, 8443, NULL, 0, NULL,
	    T0 + 200, end);
	/* gateway (payments): called from shop */
	flow(st, gw, I, W, checkout, NULL, TCP, 8443, NULL, 0, NULL,
	    T0 + 300, end - 100);
	(void)db;

	known(st, "payments", "198.51.100.0/24", "pay.example.com",
	    "card-gateway");
	known(st, "example-wide", "198.51.0.0/16", "example.net", "wide");
	store_close(st);
}

/* A second node's store: the same checkout, one more peer, one more port. */
static void
build_node2(const char *path)
{
	struct store *st;
	int64_t checkout, cart;

	assert_int_equal(store_open(path, 0, &st), 0);
	assert_int_equal(store_meta_set(st, "recording_started", "1795000100"),
	    0);
	checkout = wl(st, "shop", "Deployment", "checkout",
	    "{\"matchLabels\":{\"app\":\"checkout\"}}", "{\"app\":\"checkout\"}",
	    false, T0 + 150);
	cart = wl(st, "shop", "Deployment", "cart",
	    "{\"matchLabels\":{\"app\":\"cart\",\"tier\":\"backend\"}}",
	    "{\"app\":\"cart\",\"tier\":\"backend\"}", false, T0 + 50);
	flow(st, checkout, E, W, cart, NULL, TCP, 8080, NULL, 0, NULL,
	    T0 + 150, T0 + DAY);
	flow(st, checkout, E, W, cart, NULL, TCP, 9090, NULL, 0, NULL,
	    T0 + 150, T0 + DAY);
	flow(st, checkout, E, A, 0, "2001:db8:ff::20", UDP, 123, NULL, 0,
	    NULL, T0 + 150, T0 + DAY);
	store_close(st);
}

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	assert_int_equal(ut_store_mkdtemp(fx->dir, sizeof(fx->dir),
	    "test_export"), 0);
	snprintf(fx->db, sizeof(fx->db), "%s/node1.db", fx->dir);
	snprintf(fx->db2, sizeof(fx->db2), "%s/node2.db", fx->dir);
	snprintf(fx->ks, sizeof(fx->ks), "%s/ks.yaml", fx->dir);
	build_shop(fx->db);
	build_node2(fx->db2);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	if (ut_store_rmtree(fx->dir) != 0)
		return -1;
	free(fx);
	return 0;
}

/* ---- checks on the documents ------------------------------------------ */

static json_object *
path_get(json_object *o, const char *a, const char *b)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, a, &v))
		return NULL;
	if (b != NULL && !json_object_object_get_ex(v, b, &v))
		return NULL;
	return v;
}

/* The NetworkPolicy a document is or holds. */
static json_object *
policy_of(json_object *doc)
{
	const char *kind = json_object_get_string(path_get(doc, "kind",
	    NULL));

	if (kind != NULL && strcmp(kind, "GeneratedNetworkPolicy") == 0)
		return path_get(doc, "spec", NULL);
	return doc;
}

/* Parse YAML output and check what the Kubernetes API requires. */
static json_object *
parse_docs(const struct ut_out *o, size_t want)
{
	json_object *docs, *doc, *pol;
	char err[256];
	size_t i;

	assert_int_equal(yamljson_parse(o->out, o->outlen, &docs, err,
	    sizeof(err)), 0);
	assert_int_equal(json_object_array_length(docs), want);
	for (i = 0; i < want; i++) {
		doc = json_object_array_get_idx(docs, i);
		assert_non_null(path_get(doc, "apiVersion", NULL));
		assert_non_null(path_get(doc, "kind", NULL));
		assert_non_null(path_get(doc, "metadata", "name"));
		pol = policy_of(doc);
		if (strcmp(json_object_get_string(path_get(doc, "kind", NULL)),
		    "NetworkNeighbors") == 0) {
			assert_non_null(path_get(doc, "spec", "matchLabels"));
			continue;
		}
		assert_string_equal(json_object_get_string(path_get(pol,
		    "apiVersion", NULL)), "networking.k8s.io/v1");
		assert_string_equal(json_object_get_string(path_get(pol,
		    "kind", NULL)), "NetworkPolicy");
		assert_non_null(path_get(pol, "metadata", "name"));
		assert_non_null(path_get(pol, "spec", "podSelector"));
	}
	return docs;
}

static void
write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(s, f);
	fclose(f);
}

/* ---- tests ------------------------------------------------------------- */

static void
test_shop_yaml(void **state)
{
	struct fx *fx = *state;
	struct ut_out o = run(fx, cmd_export, "export", "--db", fx->db, "-n",
	    "shop", NULL);
	json_object *docs;

	assert_int_equal(o.rc, 0);
	golden("shop.yaml", &o);
	docs = parse_docs(&o, 4);
	/* The CLI repeats warnings and what it left out on stderr. */
	assert_non_null(strstr(o.err, "shop/deployment-frontend: warning: "
	    "its pods were already running"));
	assert_non_null(strstr(o.err, "shop/statefulset-db: warning: observed "
	    "for 1h only"));
	assert_non_null(strstr(o.err, "ICMP egress to 203.0.113.9"));
	assert_non_null(strstr(o.err, "ingress from node 198.18.0.1 TCP/8443"));
	json_object_put(docs);
	ut_out_free(&o);
}

static void
test_shop_json_same_trees(void **state)
{
	struct fx *fx = *state;
	struct ut_out y = run(fx, cmd_export, "export", "--db", fx->db, "-n",
	    "shop", NULL);
	struct ut_out j = run(fx, cmd_export, "export", "--db", fx->db, "-n",
	    "shop", "-o", "json", NULL);
	json_object *docs, *list;

	assert_int_equal(j.rc, 0);
	golden("shop.json", &j);
	docs = parse_docs(&y, 4);
	list = json_tokener_parse(j.out);
	assert_non_null(list);
	assert_string_equal(json_object_get_string(path_get(list, "kind",
	    NULL)), "List");
	/* Quoting in YAML must not change a single value. */
	assert_true(json_object_equal(docs, path_get(list, "items", NULL)));
	json_object_put(docs);
	json_object_put(list);
	ut_out_free(&y);
	ut_out_free(&j);
}

static void
test_shop_generated(void **state)
{
	struct fx *fx = *state;
	struct ut_out o = run(fx, cmd_export, "export", "--db", fx->db, "-n",
	    "shop", "-o", "generated", NULL);
	json_object *docs;

	assert_int_equal(o.rc, 0);
	golden("shop-generated.yaml", &o);
	docs = parse_docs(&o, 4);
	json_object_put(docs);
	ut_out_free(&o);
}

static void
test_shop_neighbors(void **state)
{
	struct fx *fx = *state;
	struct ut_out o = run(fx, cmd_export, "export", "--db", fx->db, "-n",
	    "shop", "-o", "neighbors", NULL);
	json_object *docs;

	assert_int_equal(o.rc, 0);
	golden("shop-neighbors.yaml", &o);
	docs = parse_docs(&o, 4);
	json_object_put(docs);
	ut_out_free(&o);
}

static void
test_include_nodes_one_workload(void **state)
{
	struct fx *fx = *state;
	struct ut_out o = run(fx, cmd_export, "export", "--db", fx->db, "-n",
	    "shop", "--workload", "deployment/checkout", "--include-nodes",
	    "--direction", "ingress", NULL);
	json_object *docs;

	assert_int_equal(o.rc, 0);
	golden("checkout-ingress-nodes.yaml", &o);
	docs = parse_docs(&o, 1);
	json_object_put(docs);
	ut_out_free(&o);
}

static void
test_cross_namespace(void **state)
{
	struct fx *fx = *state;
	struct ut_out o = run(fx, cmd_export, "export", "--db", fx->db, "-n",
	    "payments", NULL);
	json_object *docs;

	assert_int_equal(o.rc, 0);
	golden("payments.yaml", &o);
	docs = parse_docs(&o, 1);
	json_object_put(docs);
	ut_out_free(&o);
}

static void
test_merged_stores_and_ks_file(void **state)
{
	struct fx *fx = *state;
	struct ut_out o;
	json_object *docs;

	/* A narrower KnownServer from a file wins over the store's /24. */
	write_file(fx->ks,
	    "apiVersion: spdx.softwarecomposition.kubescape.io/v1beta1\n"
	    "kind: KnownServer\n"
	    "metadata:\n  name: narrow\n"
	    "spec:\n"
	    "- ipBlock: 198.51.100.20/28\n  name: card-front\n"
	    "  server: front.pay.example.com\n"
	    "---\n"
	    "apiVersion: spdx.softwarecomposition.kubescape.io/v1beta1\n"
	    "kind: KnownServer\n"
	    "metadata:\n  name: v6\n"
	    "spec:\n"
	    "- ipBlock: 2001:db8:ff::/64\n  name: ntp\n  server: ntp.example\n");
	o = run(fx, cmd_export, "export", "--db", fx->db, "--db", fx->db2,
	    "-n", "shop", "-w", "Deployment/checkout", "--direction", "egress",
	    "--known-servers", fx->ks, NULL);
	assert_int_equal(o.rc, 0);
	golden("checkout-merged.yaml", &o);
	docs = parse_docs(&o, 1);
	json_object_put(docs);
	ut_out_free(&o);
}

static void
test_empty_namespace(void **state)
{
	struct fx *fx = *state;
	struct ut_out o = run(fx, cmd_export, "export", "--db", fx->db, "-n",
	    "empty", NULL);

	assert_int_equal(o.rc, 0);
	assert_int_equal(o.outlen, 0);
	assert_non_null(strstr(o.err, "empty: no traffic was recorded in the "
	    "window; no policies written"));
	ut_out_free(&o);
}

static void
test_unknown_namespace(void **state)
{
	struct fx *fx = *state;
	struct ut_out o = run(fx, cmd_export, "export", "--db", fx->db, "-n",
	    "nosuch", NULL);

	assert_int_equal(o.rc, 1);
	assert_int_equal(o.outlen, 0);
	assert_non_null(strstr(o.err, "namespace 'nosuch': nothing was ever "
	    "recorded"));
	ut_out_free(&o);
	o = run(fx, cmd_export, "export", "--db", fx->db, "-n", "shop", "-w",
	    "deployment/nosuch", NULL);
	assert_int_equal(o.rc, 1);
	assert_non_null(strstr(o.err, "not recorded"));
	ut_out_free(&o);
}

static void
test_usage_errors(void **state)
{
	struct fx *fx = *state;
	struct ut_out o = run(fx, cmd_export, "export", "--db", fx->db, NULL);

	assert_int_equal(o.rc, 2);
	assert_non_null(strstr(o.err, "--namespace NS or --all-namespaces"));
	ut_out_free(&o);
	o = run(fx, cmd_export, "export", "--db", fx->db, "-n", "shop", "-o",
	    "xml", NULL);
	assert_int_equal(o.rc, 2);
	ut_out_free(&o);
	o = run(fx, cmd_export, "export", "--help", NULL);
	assert_int_equal(o.rc, 0);
	assert_non_null(strstr(o.out, "--include-nodes"));
	assert_non_null(strstr(o.out, "--min-observation"));
	ut_out_free(&o);
	/* A KnownServer file with an error: nothing is exported. */
	write_file(fx->ks, "apiVersion: spdx.softwarecomposition.kubescape.io/"
	    "v1beta1\nkind: KnownServer\nmetadata: {name: x}\nspec:\n"
	    "- ipBlock: 300.1.1.0/24\n");
	o = run(fx, cmd_export, "export", "--db", fx->db, "-n", "shop",
	    "--known-servers", fx->ks, NULL);
	assert_int_equal(o.rc, 1);
	assert_int_equal(o.outlen, 0);
	assert_non_null(strstr(o.err, "ks.yaml: document 1 (KnownServer x): "
	    "spec[0].ipBlock: '300.1.1.0/24' is not a CIDR"));
	ut_out_free(&o);
	o = run(fx, cmd_export, "export", "--db", "/nonexistent/x.db", "-n",
	    "shop", NULL);
	assert_int_equal(o.rc, 1);
	assert_non_null(strstr(o.err, "/nonexistent/x.db"));
	ut_out_free(&o);
}

static int
count_lines(const char *text, const char *prefix)
{
	const char *p;
	int n = 0;

	for (p = text; p != NULL && *p != '\0'; p = strchr(p, '\n'),
	    p = p ? p + 1 : NULL)
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			n++;
	return n;
}

/* The export, fed to `netpol-record check` with the same store, allows
 * every recorded flow of the namespace; without one rule it does not. */
static void
test_check_accepts_export(void **state)
{
	struct fx *fx = *state;
	char pol[160], *cut;
	struct ut_out o, c;

	o = run(fx, cmd_export, "export", "--db", fx->db, "-n", "shop",
	    "--include-nodes", NULL);
	assert_int_equal(o.rc, 0);
	snprintf(pol, sizeof(pol), "%s/policies.yaml", fx->dir);
	write_file(pol, o.out);
	c = run(fx, cmd_check, "check", "--db", fx->db, "-n", "shop",
	    "--policies", pol, NULL);
	/* Denied: only what a NetworkPolicy cannot say, which the export
	 * listed in its annotations: ICMP, and a hostNetwork peer whose
	 * node address was not recorded. */
	assert_int_equal(c.rc, 1);
	assert_int_equal(count_lines(c.out, "DENIED"), 2);
	assert_non_null(strstr(c.out, "egress to 203.0.113.9 ICMP"));
	assert_non_null(strstr(c.out, "ingress from "
	    "monitoring/DaemonSet/node-exporter TCP/9100"));
	assert_non_null(strstr(o.out, "not-expressible: ICMP egress to "
	    "203.0.113.9; ingress from hostNetwork "
	    "monitoring/DaemonSet/node-exporter TCP/9100 (its node address "
	    "was not recorded)"));
	ut_out_free(&c);
	/* Drop cart's port 8080 from its ingress: checkout -> cart is
	 * then denied. */
	cut = strstr(o.out, "port: 8080");
	assert_non_null(cut);
	memcpy(cut, "port: 8081", 10);
	write_file(pol, o.out);
	c = run(fx, cmd_check, "check", "--db", fx->db, "-n", "shop",
	    "--policies", pol, NULL);
	assert_int_equal(c.rc, 1);
	assert_int_equal(count_lines(c.out, "DENIED"), 3);
	assert_non_null(strstr(c.out, "shop/Deployment/cart ingress from "
	    "shop/Deployment/checkout TCP/8080"));
	ut_out_free(&c);
	ut_out_free(&o);
}

/* `netpol-record status`: what the store holds, and the counters. */
static void
test_status(void **state)
{
	struct fx *fx = *state;
	struct store *st;
	struct ut_out o;

	assert_int_equal(store_open(fx->db, 0, &st), 0);
	assert_int_equal(store_counter_add(st, "events_lost", 42), 0);
	store_close(st);
	o = run(fx, cmd_status, "status", "--db", fx->db, NULL);
	assert_int_equal(o.rc, 0);
	assert_non_null(strstr(o.out, "recording started  2026-11-18T11:06:40Z\n"));
	assert_non_null(strstr(o.out, "attachments        0 attached, "
	    "0 detached\n"));
	assert_non_null(strstr(o.out, "workloads          8\n"));
	assert_non_null(strstr(o.out, "namespaces         5\n"));
	assert_non_null(strstr(o.out, "flows              20\n"));
	assert_non_null(strstr(o.out, "known servers      2\n"));
	assert_non_null(strstr(o.out, "events_lost                        "
	    "42"));
	ut_out_free(&o);
	o = run(fx, cmd_status, "status", "--db", "/nonexistent.db", NULL);
	assert_int_equal(o.rc, 1);
	assert_non_null(strstr(o.err, "no such store"));
	ut_out_free(&o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_shop_yaml, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_shop_json_same_trees,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_shop_generated, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_shop_neighbors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_include_nodes_one_workload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cross_namespace, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_merged_stores_and_ks_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_namespace, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unknown_namespace, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_usage_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_check_accepts_export,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_status, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
