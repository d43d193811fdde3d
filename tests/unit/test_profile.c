/*
 * profile: store flows -> the TrafficProfile apply body. The flows
 * behind tests/fixtures/k8s/trafficprofile.yaml give exactly that object
 * (one entry of every peer kind, a DNS name with two addresses, a
 * Service, ICMP, a node, an unknown peer); keys are sorted at every
 * level; bounds: max_entries (least recently seen left out, counted),
 * max_bytes, 64 addresses per DNS name; dangling peers merge into one
 * unknown entry; retention; kinds the CRD does not list; names; the
 * hashes the schedule compares, also of an object read back.
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

#include <json-c/json.h>

#include "lib/yamljson.h"
#include "recorderd/profile.h"
#include "tests/unit/ut_run.h"

/* The workloads of the example, by store id. */
static const struct store_workload_row wls[] = {
	[1] = { .namespace_ = "shop", .kind = "Deployment", .name = "checkout",
	    .selector_json = "{\"matchLabels\":{\"app\":\"checkout\"}}",
	    .labels_json = "{\"tier\":\"back\",\"app\":\"checkout\"}",
	    .ports_json =
	    "[{\"name\":\"https\",\"port\":8443,\"protocol\":\"TCP\"}]",
	    .started_at = 1714557000,
	    .uid = "6b1f0c3e-2a4d-4c1b-9a57-0d2f5e8c7a10" },
	[2] = { .namespace_ = "shop", .kind = "Deployment", .name = "cart",
	    .selector_json = "{\"matchLabels\":{\"app\":\"cart\"}}",
	    .labels_json = "{\"app\":\"cart\"}",
	    .ports_json =
	    "[{\"name\":\"http\",\"port\":8080,\"protocol\":\"TCP\"}]",
	    .started_at = 1714556000, .uid = "u-cart" },
	[3] = { .namespace_ = "shop", .kind = "Deployment", .name = "frontend",
	    .selector_json = "{\"matchLabels\":{\"app\":\"frontend\"},"
	    "\"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"In\","
	    "\"values\":[\"front\",\"edge\"]}]}",
	    .labels_json = "{\"app\":\"frontend\",\"tier\":\"front\"}",
	    .uid = "" },
	[4] = { .namespace_ = "kube-system", .kind = "Deployment",
	    .name = "coredns",
	    .selector_json = "{\"matchLabels\":{\"k8s-app\":\"kube-dns\"}}",
	    .labels_json = "{\"k8s-app\":\"kube-dns\"}",
	    .ports_json = "[{\"name\":\"dns\",\"port\":53,\"protocol\":"
	    "\"UDP\"},{\"name\":\"dns-tcp\",\"port\":53,\"protocol\":"
	    "\"TCP\"}]",
	    .started_at = 1714500000, .uid = "u-dns" },
	[5] = { .namespace_ = "shop", .kind = "Rollout", .name = "canary",
	    .uid = "" },
};

static const struct store_workload_row *
peer(void *arg, int64_t id)
{
	(void)arg;
	if (id <= 0 || id >= (int64_t)(sizeof(wls) / sizeof(wls[0])))
		return NULL;
	return &wls[id];
}

static const char *
node_name(void *arg, const struct addr *a)
{
	char buf[ADDR_STRLEN];

	(void)arg;
	return strcmp(addr_format(a, buf, sizeof(buf)), "198.18.0.10") == 0 ?
	    "node-a" : NULL;
}

static const struct profile_lookup lookup = { peer, node_name, NULL };

static struct flow
mk(int dir, int pk, int64_t peer_wl, const char *addr, int proto,
    uint16_t port, const char *svc, uint16_t svc_port, const char *dns,
    int64_t first, int64_t last, uint64_t count)
{
	struct flow f;

	memset(&f, 0, sizeof(f));
	flow_key_init(&f.key);
	f.key.subject = 1;
	f.key.direction = (uint8_t)dir;
	f.key.peer_kind = (uint8_t)pk;
	f.key.peer_wl = peer_wl;
	if (addr != NULL)
		assert_int_equal(addr_parse(addr, &f.key.peer), 0);
	f.key.protocol = (uint8_t)proto;
	f.key.port = port;
	if (svc != NULL) {
		assert_int_equal(addr_parse(svc, &f.key.orig), 0);
		f.key.orig_port = svc_port;
	}
	f.dns_name = dns != NULL ? dns : "";
	f.first_seen = first;
	f.last_seen = last;
	f.count = count;
	return f;
}

static void
facts(struct profile_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->node = "node-a";
	f->recording_started = 1714550400;
	f->published_at = 1714561230;
	f->max_entries = 1000;
}

static json_object *
parse(const char *s)
{
	json_object *o = json_tokener_parse(s);

	assert_non_null(o);
	return o;
}

/* Keys in sorted order in every object of o (the server's order). */
static void
assert_sorted(json_object *o)
{
	const char *prev = NULL;

	if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++)
			assert_sorted(json_object_array_get_idx(o, i));
		return;
	}
	if (!json_object_is_type(o, json_type_object))
		return;
	json_object_object_foreach(o, k, v) {
		if (prev != NULL && strcmp(prev, k) >= 0)
			fail_msg("keys out of order: %s before %s", prev, k);
		prev = k;
		assert_sorted(v);
	}
}

/* Every item of a has an equal one in b and they are as many. */
static void
assert_same_set(json_object *a, json_object *b, const char *what)
{
	size_t n = json_object_array_length(a), i, j;

	if (n != json_object_array_length(b))
		fail_msg("%s: %zu items, want %zu", what,
		    json_object_array_length(b), n);
	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++)
			if (json_object_equal(json_object_array_get_idx(a, i),
			    json_object_array_get_idx(b, j)))
				break;
		if (j == n)
			fail_msg("%s: no item equal to %s", what,
			    json_object_to_json_string(
			    json_object_array_get_idx(a, i)));
	}
}

static void
test_example(void **state)
{
	struct profile_dns dns[4] = {
		{ .name = "pay.example.com", .first_seen = 1714557090,
		  .last_seen = 1714560990 },
		{ .name = "pay.example.com", .first_seen = 1714557990,
		  .last_seen = 1714559990 },
		{ .name = "legacy.example.com", .first_seen = 1714550000,
		  .last_seen = 1714550000 },
		{ .name = "other.example.com", .first_seen = 1,
		  .last_seen = 2 },
	};
	struct flow f[9];
	struct profile_facts fa;
	struct profile p;
	json_object *want, *docs, *got, *ws, *gs, *e;
	char *buf, err[256];
	size_t len;

	(void)state;
	f[0] = mk(FLOW_EGRESS, FLOW_PEER_WORKLOAD, 2, NULL, IPPROTO_TCP, 8080,
	    "198.18.100.10", 80, NULL, 1714557010, 1714561212, 1234);
	f[1] = mk(FLOW_EGRESS, FLOW_PEER_WORKLOAD, 4, NULL, IPPROTO_UDP, 53,
	    "198.18.100.53", 53, NULL, 1714557005, 1714561210, 2210);
	f[2] = mk(FLOW_EGRESS, FLOW_PEER_ADDRESS, 0, "198.51.100.23",
	    IPPROTO_TCP, 443, NULL, 0, "pay.example.com", 1714557100,
	    1714561000, 40);
	f[3] = mk(FLOW_EGRESS, FLOW_PEER_ADDRESS, 0, "2001:db8:40::23",
	    IPPROTO_TCP, 443, NULL, 0, "pay.example.com", 1714558000,
	    1714560000, 2);
	f[4] = mk(FLOW_EGRESS, FLOW_PEER_ADDRESS, 0, "203.0.113.7",
	    IPPROTO_TCP, 443, NULL, 0, NULL, 1714557200, 1714557260, 3);
	f[5] = mk(FLOW_EGRESS, FLOW_PEER_ADDRESS, 0, "203.0.113.9",
	    IPPROTO_ICMP, 0, NULL, 0, NULL, 1714557300, 1714557300, 1);
	f[6] = mk(FLOW_INGRESS, FLOW_PEER_WORKLOAD, 3, NULL, IPPROTO_TCP, 8443,
	    NULL, 0, NULL, 1714557020, 1714561212, 5120);
	f[7] = mk(FLOW_INGRESS, FLOW_PEER_NODE, 0, "198.18.0.10", IPPROTO_TCP,
	    8443, NULL, 0, NULL, 1714557030, 1714561200, 700);
	f[8] = mk(FLOW_INGRESS, FLOW_PEER_UNKNOWN, 0, NULL, IPPROTO_UDP, 9999,
	    NULL, 0, NULL, 1714559000, 1714559000, 1);
	facts(&fa);
	assert_int_equal(addr_parse("198.51.100.23", &dns[0].addr), 0);
	assert_int_equal(addr_parse("2001:db8:40::23", &dns[1].addr), 0);
	assert_int_equal(addr_parse("203.0.113.7", &dns[2].addr), 0);
	/* Not an address of the entries: not published. */
	assert_int_equal(addr_parse("203.0.113.99", &dns[3].addr), 0);
	assert_int_equal(profile_build(&wls[1], f, 9, dns, 4, &lookup, &fa,
	    &p), 0);
	assert_string_equal(p.name, "deployment-checkout-node-a");
	assert_string_equal(p.namespace_, "shop");
	assert_int_equal(p.entries, 8);
	assert_int_equal(p.truncated, 0);
	assert_int_equal(p.last_seen, 1714561212);
	got = parse(p.body);
	assert_sorted(got);

	buf = ut_slurp("tests/fixtures/k8s/trafficprofile.yaml", &len);
	assert_non_null(buf);
	assert_int_equal(yamljson_parse(buf, len, &docs, err, sizeof(err)), 0);
	free(buf);
	want = json_object_array_get_idx(docs, 0);
	/* A count of 0 omitted addresses is left out (absent is 0). */
	ws = json_object_object_get(want, "spec");
	e = json_object_array_get_idx(json_object_object_get(ws, "entries"), 2);
	json_object_object_del(json_object_object_get(json_object_object_get(e,
	    "peer"), "dns"), "omittedAddresses");
	assert_true(json_object_equal(json_object_object_get(want, "metadata"),
	    json_object_object_get(got, "metadata")));
	gs = json_object_object_get(got, "spec");
	assert_same_set(json_object_object_get(ws, "entries"),
	    json_object_object_get(gs, "entries"), "entries");
	assert_same_set(json_object_object_get(ws, "peerWorkloads"),
	    json_object_object_get(gs, "peerWorkloads"), "peerWorkloads");
	json_object_object_del(ws, "entries");
	json_object_object_del(gs, "entries");
	json_object_object_del(ws, "peerWorkloads");
	json_object_object_del(gs, "peerWorkloads");
	if (!json_object_equal(ws, gs))
		fail_msg("spec: %s\nwant %s", json_object_to_json_string(gs),
		    json_object_to_json_string(ws));
	json_object_put(docs);
	json_object_put(got);
	profile_clear(&p);
}

static void
test_hashes(void **state)
{
	struct flow f[2];
	struct profile_facts fa;
	struct profile a, b;
	struct store_workload_row w = wls[1];
	json_object *o;
	uint64_t h, m;

	(void)state;
	f[0] = mk(FLOW_EGRESS, FLOW_PEER_WORKLOAD, 2, NULL, IPPROTO_TCP, 8080,
	    NULL, 0, NULL, 100, 200, 1);
	f[1] = mk(FLOW_EGRESS, FLOW_PEER_ADDRESS, 0, "203.0.113.7",
	    IPPROTO_TCP, 443, NULL, 0, NULL, 100, 150, 3);
	facts(&fa);
	assert_int_equal(profile_build(&w, f, 2, NULL, 0, &lookup,
	    &fa, &a), 0);
	/* Another publishedAt: the same hashes. */
	fa.published_at += 600;
	assert_int_equal(profile_build(&w, f, 2, NULL, 0, &lookup,
	    &fa, &b), 0);
	assert_true(a.hash == b.hash && a.meta_hash == b.meta_hash);
	assert_string_not_equal(a.body, b.body);
	/* Read back (as a list item would be): the same hashes. */
	o = parse(b.body);
	profile_hash_object(o, &h, &m);
	assert_true(h == b.hash && m == b.meta_hash);
	json_object_put(o);
	profile_clear(&b);
	/* A count moves: the content, not the workload. */
	f[0].count = 2;
	assert_int_equal(profile_build(&w, f, 2, NULL, 0, &lookup,
	    &fa, &b), 0);
	assert_true(a.hash != b.hash && a.meta_hash == b.meta_hash);
	profile_clear(&b);
	/* Another uid: both. */
	w.uid = "another";
	assert_int_equal(profile_build(&w, f, 2, NULL, 0, &lookup,
	    &fa, &b), 0);
	assert_true(a.hash != b.hash && a.meta_hash != b.meta_hash);
	profile_clear(&b);
	/* No uid: no ownerReference at all. */
	w.uid = "";
	assert_int_equal(profile_build(&w, f, 2, NULL, 0, &lookup,
	    &fa, &b), 0);
	assert_null(strstr(b.body, "ownerReferences"));
	profile_clear(&b);
	profile_clear(&a);
	profile_hash_object(NULL, &h, &m);
}

static void
test_bounds(void **state)
{
	struct flow *f;
	struct profile_facts fa;
	struct profile p;
	json_object *o, *e, *d, *arr;
	char a[ADDR_STRLEN];
	size_t n = 1500;

	(void)state;
	f = calloc(n, sizeof(*f));
	assert_non_null(f);
	/* 1500 addresses, the later ones seen more recently. */
	for (size_t i = 0; i < n; i++) {
		snprintf(a, sizeof(a), "203.0.%zu.%zu", 100 + i / 250,
		    i % 250 + 1);
		f[i] = mk(FLOW_EGRESS, FLOW_PEER_ADDRESS, 0, a, IPPROTO_TCP,
		    443, NULL, 0, NULL, 1000, 2000 + (int64_t)i, 1);
	}
	facts(&fa);
	assert_int_equal(profile_build(&wls[1], f, n, NULL, 0, &lookup,
	    &fa, &p), 0);
	assert_int_equal(p.entries, 1000);
	assert_int_equal(p.truncated, 500);
	assert_int_equal(p.last_seen, 2000 + 1499);
	o = parse(p.body);
	assert_int_equal(json_object_get_int(json_object_object_get(
	    json_object_object_get(o, "spec"), "truncated")), 500);
	/* The least recently seen went: 203.0.100.1 (i = 0) is not in. */
	assert_null(strstr(p.body, "\"203.0.100.1\""));
	assert_non_null(strstr(p.body, "\"203.0.105.250\""));
	json_object_put(o);
	profile_clear(&p);
	/* A byte bound: fewer entries, said in truncated. */
	fa.max_bytes = 20000;
	assert_int_equal(profile_build(&wls[1], f, n, NULL, 0, &lookup,
	    &fa, &p), 0);
	assert_true(p.len <= 20000);
	assert_true(p.entries > 50 && p.entries < 1000);
	assert_int_equal(p.entries + p.truncated, n);
	profile_clear(&p);
	/* max_entries as configured. */
	fa.max_bytes = 0;
	fa.max_entries = 10;
	assert_int_equal(profile_build(&wls[1], f, n, NULL, 0, &lookup,
	    &fa, &p), 0);
	assert_int_equal(p.entries, 10);
	assert_int_equal(p.truncated, n - 10);
	profile_clear(&p);

	/* One DNS name, 70 addresses: 64 listed (the most recent), 6
	 * omitted, totals over all 70. */
	for (size_t i = 0; i < 70; i++)
		f[i].dns_name = "cdn.example.com";
	fa.max_entries = 1000;
	assert_int_equal(profile_build(&wls[1], f, 70, NULL, 0, &lookup,
	    &fa, &p), 0);
	assert_int_equal(p.entries, 1);
	o = parse(p.body);
	e = json_object_array_get_idx(json_object_object_get(
	    json_object_object_get(o, "spec"), "entries"), 0);
	d = json_object_object_get(json_object_object_get(e, "peer"), "dns");
	assert_string_equal(json_object_get_string(json_object_object_get(d,
	    "name")), "cdn.example.com");
	arr = json_object_object_get(d, "addresses");
	assert_int_equal(json_object_array_length(arr), 64);
	assert_int_equal(json_object_get_int(json_object_object_get(d,
	    "omittedAddresses")), 6);
	assert_int_equal(json_object_get_int(json_object_object_get(e,
	    "count")), 70);
	assert_int_equal(json_object_get_int64(json_object_object_get(e,
	    "lastSeen")), 2069);
	assert_int_equal(json_object_get_int64(json_object_object_get(
	    json_object_array_get_idx(arr, 0), "lastSeen")), 2069);
	json_object_put(o);
	profile_clear(&p);

	/* One address answered by 70 names: the 64 most recent listed. */
	{
		struct profile_dns ans[70];
		char names[70][32];

		for (int i = 0; i < 70; i++) {
			snprintf(names[i], sizeof(names[i]), "n%02d.example.com",
			    i);
			ans[i].addr = f[0].key.peer;
			ans[i].name = names[i];
			ans[i].first_seen = 100;
			ans[i].last_seen = 100 + i;
		}
		assert_int_equal(profile_build(&wls[1], f, 1, ans, 70, &lookup,
		    &fa, &p), 0);
		o = parse(p.body);
		arr = json_object_object_get(json_object_array_get_idx(
		    json_object_object_get(json_object_object_get(o, "spec"),
		    "dnsNames"), 0), "names");
		assert_int_equal(json_object_array_length(arr), 64);
		assert_null(strstr(p.body, "\"n05.example.com\""));
		assert_non_null(strstr(p.body, "\"n06.example.com\""));
		json_object_put(o);
		profile_clear(&p);
	}
	free(f);
}

static void
test_peers_and_refusals(void **state)
{
	struct flow f[4];
	struct profile_facts fa;
	struct profile p;
	struct store_workload_row w = wls[1];
	char name[300];

	(void)state;
	/* Two peers the store no longer has and one of a kind the CRD does
	 * not list: one unknown entry, counts added. */
	f[0] = mk(FLOW_INGRESS, FLOW_PEER_WORKLOAD, 41, NULL, IPPROTO_TCP,
	    8443, NULL, 0, NULL, 100, 200, 1);
	f[1] = mk(FLOW_INGRESS, FLOW_PEER_WORKLOAD, 42, NULL, IPPROTO_TCP,
	    8443, NULL, 0, NULL, 150, 250, 2);
	f[2] = mk(FLOW_INGRESS, FLOW_PEER_WORKLOAD, 5, NULL, IPPROTO_TCP,
	    8443, NULL, 0, NULL, 90, 100, 4);
	f[3] = mk(FLOW_INGRESS, FLOW_PEER_WORKLOAD, 2, NULL, IPPROTO_TCP,
	    8443, NULL, 0, NULL, 90, 100, 4);
	facts(&fa);
	assert_int_equal(profile_build(&w, f, 4, NULL, 0, &lookup,
	    &fa, &p), 0);
	assert_int_equal(p.entries, 2);
	assert_int_equal(p.unknown_peers, 3);
	assert_non_null(strstr(p.body, "{\"count\":7,\"direction\":\"Ingress\","
	    "\"firstSeen\":90,\"lastSeen\":250,\"peer\":{\"unknown\":true},"
	    "\"port\":8443,\"protocol\":\"TCP\"}"));
	assert_non_null(strstr(p.body, "\"peerWorkloads\":[{\"hostNetwork\":"
	    "false,\"kind\":\"Deployment\",\"labels\":{\"app\":\"cart\"},"
	    "\"name\":\"cart\",\"namespace\":\"shop\""));
	profile_clear(&p);
	/* Retention: nothing left, the object must go. */
	fa.retention_cutoff = 300;
	assert_int_equal(profile_build(&w, f, 4, NULL, 0, &lookup, &fa, &p), -ENOENT);
	fa.retention_cutoff = 0;
	/* A kind the CRD does not list cannot be published. */
	assert_int_equal(profile_build(&wls[5], f, 4, NULL, 0, &lookup,
	    &fa, &p), -ENOTSUP);
	fa.max_entries = 0;
	assert_int_equal(profile_build(&w, f, 4, NULL, 0, &lookup, &fa, &p), -EINVAL);
	fa.max_entries = 1000;
	/* A long name: shortened as the names rule says. */
	memset(name, 'x', 250);
	name[250] = '\0';
	w.name = name;
	assert_int_equal(profile_build(&w, f, 4, NULL, 0, &lookup,
	    &fa, &p), 0);
	assert_int_equal(strlen(p.name), 253);
	assert_non_null(strstr(p.body, "\"netpol-record.io/workload-name\":\""
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx-"));
	profile_clear(&p);
	assert_string_equal(profile_owner_api_version("CronJob"), "batch/v1");
	assert_string_equal(profile_owner_api_version("Pod"), "v1");
	assert_null(profile_owner_api_version("Rollout"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_hashes),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_peers_and_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
