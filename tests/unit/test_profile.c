/*
 * profile: store flows -> the TrafficProfile apply body. The flows
 * behind tests/fixtures/k8s/trafficprofile.yaml give exactly that object
 * (a peer of every kind, a DNS name with two addresses, a Service, ICMP,
 * a node, an unknown peer, a workload in another namespace that is not
 * published, so described in spec.peerWorkloads); keys are
 * sorted at every level; groups by (protocol, port) in the CRD's order
 * and the same bytes whatever the order of the flows; the three rules of
 * spec.peerWorkloads (deleted, hostNetwork, namespace not published);
 * bounds: max_entries counts peer items over both lists (least recently
 * seen left out, counted), max_bytes, 64 addresses per DNS name;
 * dangling peers merge into one unknown peer; retention; kinds the CRD
 * does not list; names; the hashes the schedule compares, also of an
 * object read back.
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
	[6] = { .namespace_ = "shop", .kind = "Deployment", .name = "old",
	    .selector_json = "{\"matchLabels\":{\"app\":\"old\"}}",
	    .started_at = 1714400000, .uid = "u-old",
	    .deleted_at = 1714560000 },
	[7] = { .namespace_ = "monitoring", .kind = "DaemonSet",
	    .name = "node-exporter",
	    .selector_json = "{\"matchLabels\":{\"app\":\"ne\"}}",
	    .host_network = true, .uid = "u-ne" },
	[8] = { .namespace_ = "batch", .kind = "Job", .name = "report.daily",
	    .selector_json = "{\"matchLabels\":{\"job\":\"report\"}}",
	    .uid = "u-job" },
	[9] = { .namespace_ = "shop", .kind = "Deployment", .name = "Bad_Name",
	    .uid = "u-bad" },
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

static json_object *
get(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("no %s in %s", key, json_object_to_json_string(o));
	return v;
}

static const char *const protocols[] = {
	"TCP", "UDP", "SCTP", "ICMP", "ICMPv6",
};

static int
protocol_rank(const char *p)
{
	for (size_t i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++)
		if (strcmp(protocols[i], p) == 0)
			return (int)i;
	fail_msg("protocol %s", p);
	return -1;
}

/* The peer keys, of which an item has exactly one. */
static const char *const peer_keys[] = {
	"workload", "node", "address", "dns", "unknown",
};

/*
 * The rules every body keeps (the CRD's and the publisher's): each list
 * absent or not empty, its groups in the order of the protocol enum then
 * by port, none twice, ICMP at port 0, 1 to 1000 peers each, every peer
 * with exactly one of the peer keys (no dns in ingress); entryCount the
 * number of peer items. Returns it.
 */
static size_t
assert_form(json_object *spec)
{
	static const char *const lists[] = { "egress", "ingress" };
	json_object *groups, *g, *peers, *peer, *v;
	size_t total = 0, one;
	int rank, prev_rank, port, prev_port;

	for (size_t l = 0; l < 2; l++) {
		if (!json_object_object_get_ex(spec, lists[l], &groups))
			continue;
		assert_true(json_object_array_length(groups) > 0);
		prev_rank = prev_port = -1;
		for (size_t i = 0; i < json_object_array_length(groups); i++) {
			g = json_object_array_get_idx(groups, i);
			rank = protocol_rank(json_object_get_string(get(g,
			    "protocol")));
			port = json_object_get_int(get(g, "port"));
			if (rank < prev_rank || (rank == prev_rank &&
			    port <= prev_port))
				fail_msg("%s[%zu]: group out of order: %s",
				    lists[l], i, json_object_to_json_string(g));
			if (rank >= 3)
				assert_int_equal(port, 0);
			prev_rank = rank;
			prev_port = port;
			peers = get(g, "peers");
			assert_true(json_object_array_length(peers) >= 1 &&
			    json_object_array_length(peers) <= 1000);
			for (size_t j = 0; j < json_object_array_length(peers);
			    j++) {
				peer = json_object_array_get_idx(peers, j);
				one = 0;
				for (size_t k = 0; k < sizeof(peer_keys) /
				    sizeof(peer_keys[0]); k++)
					one += json_object_object_get_ex(peer,
					    peer_keys[k], &v);
				if (one != 1)
					fail_msg("%s: %zu peer keys",
					    json_object_to_json_string(peer),
					    one);
				if (l == 1)
					assert_false(json_object_object_get_ex(
					    peer, "dns", &v));
				total++;
			}
		}
	}
	assert_int_equal(json_object_get_int(get(spec, "entryCount")), total);
	return total;
}

/* The peers of the group (protocol, port) of list ("egress",
 * "ingress"); NULL when there is none. */
static json_object *
group_peers(json_object *spec, const char *list, const char *protocol,
    int port)
{
	json_object *groups, *g;

	if (!json_object_object_get_ex(spec, list, &groups))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(groups); i++) {
		g = json_object_array_get_idx(groups, i);
		if (strcmp(json_object_get_string(get(g, "protocol")),
		    protocol) == 0 && json_object_get_int(get(g, "port")) ==
		    port)
			return get(g, "peers");
	}
	return NULL;
}

/* The groups of list as "PROTOCOL/PORT PROTOCOL/PORT ...". */
static char *
group_names(json_object *spec, const char *list, char *buf, size_t len)
{
	json_object *groups, *g;
	size_t off = 0;

	buf[0] = '\0';
	if (!json_object_object_get_ex(spec, list, &groups))
		return buf;
	for (size_t i = 0; i < json_object_array_length(groups); i++) {
		g = json_object_array_get_idx(groups, i);
		off += (size_t)snprintf(buf + off, len - off, "%s%s/%d",
		    i > 0 ? " " : "", json_object_get_string(get(g,
		    "protocol")), json_object_get_int(get(g, "port")));
		assert_true(off < len);
	}
	return buf;
}

static int
key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* o as the API server stores and returns it: the keys of every object
 * sorted, whatever order they were written in. */
static json_object *
server_copy(json_object *o)
{
	json_object *out;
	const char *keys[64];
	size_t n = 0;

	if (json_object_is_type(o, json_type_array)) {
		out = json_object_new_array();
		for (size_t i = 0; i < json_object_array_length(o); i++)
			json_object_array_add(out, server_copy(
			    json_object_array_get_idx(o, i)));
		return out;
	}
	if (!json_object_is_type(o, json_type_object))
		return json_object_get(o);
	json_object_object_foreach(o, k, v) {
		(void)v;
		assert_true(n < sizeof(keys) / sizeof(keys[0]));
		keys[n++] = k;
	}
	qsort(keys, n, sizeof(keys[0]), key_cmp);
	out = json_object_new_object();
	for (size_t i = 0; i < n; i++)
		json_object_object_add(out, keys[i], server_copy(
		    json_object_object_get(o, keys[i])));
	return out;
}

/* The body's hashes, read back as the API server returns it, are the
 * ones built. */
static void
assert_hash_back(const struct profile *p)
{
	json_object *b = parse(p->body), *o = server_copy(b);
	uint64_t h, m;

	json_object_put(b);
	profile_hash_object(o, &h, &m);
	assert_true(h == p->hash);
	assert_true(m == p->meta_hash);
	json_object_put(o);
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
	static const char *const lists[] = { "egress", "ingress" };
	struct flow f[9];
	struct profile_facts fa;
	struct profile p;
	json_object *want, *docs, *got, *ws, *gs, *wg, *gg, *e;
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
	assert_int_equal(assert_form(get(got, "spec")), 8);
	assert_hash_back(&p);

	buf = ut_slurp("tests/fixtures/k8s/trafficprofile.yaml", &len);
	assert_non_null(buf);
	assert_int_equal(yamljson_parse(buf, len, &docs, err, sizeof(err)), 0);
	free(buf);
	want = json_object_array_get_idx(docs, 0);
	ws = get(want, "spec");
	gs = get(got, "spec");
	/* A count of 0 omitted addresses is left out (absent is 0). */
	e = json_object_array_get_idx(group_peers(ws, "egress", "TCP", 443),
	    0);
	json_object_object_del(get(e, "dns"), "omittedAddresses");
	assert_true(json_object_equal(get(want, "metadata"),
	    get(got, "metadata")));
	/* The groups in order; the peers of each in any (readers must not
	 * depend on it). */
	for (size_t l = 0; l < 2; l++) {
		wg = get(ws, lists[l]);
		gg = get(gs, lists[l]);
		assert_int_equal(json_object_array_length(gg),
		    json_object_array_length(wg));
		for (size_t i = 0; i < json_object_array_length(wg); i++) {
			json_object *a = json_object_array_get_idx(wg, i);
			json_object *b = json_object_array_get_idx(gg, i);

			assert_string_equal(json_object_get_string(get(b,
			    "protocol")), json_object_get_string(get(a,
			    "protocol")));
			assert_int_equal(json_object_get_int(get(b, "port")),
			    json_object_get_int(get(a, "port")));
			assert_same_set(get(a, "peers"), get(b, "peers"),
			    lists[l]);
		}
		json_object_object_del(ws, lists[l]);
		json_object_object_del(gs, lists[l]);
	}
	if (!json_object_equal(ws, gs))
		fail_msg("spec: %s\nwant %s", json_object_to_json_string(gs),
		    json_object_to_json_string(ws));
	json_object_put(docs);
	json_object_put(got);
	profile_clear(&p);
}

/* Groups by (protocol, port) in the enum's order, within a direction;
 * ICMP at port 0 whatever the flow's port says; a peer per (peer,
 * Service) in a group, in the documented order; the same bytes whatever
 * the order of the flows. */
static void
test_groups(void **state)
{
	struct flow f[14], g[14];
	struct profile_facts fa;
	struct profile p, q;
	json_object *o, *spec, *peers, *x;
	char buf[256];
	static const char *const tcp80[] = {
		"{\"count\":1,\"firstSeen\":10,\"lastSeen\":20,"
		    "\"workload\":\"Deployment/cart\"}",
		"{\"count\":2,\"firstSeen\":10,\"lastSeen\":20,\"service\":"
		    "{\"address\":\"198.18.100.10\",\"port\":8080},"
		    "\"workload\":\"Deployment/cart\"}",
		"{\"count\":1,\"firstSeen\":10,\"lastSeen\":20,\"node\":"
		    "{\"address\":\"198.18.0.10\",\"name\":\"node-a\"}}",
		"{\"address\":\"203.0.113.4\",\"count\":1,\"firstSeen\":10,"
		    "\"lastSeen\":20}",
		"{\"count\":1,\"dns\":{\"addresses\":[{\"address\":"
		    "\"203.0.113.5\",\"count\":1,\"firstSeen\":10,"
		    "\"lastSeen\":20}],\"name\":\"a.example.com\"},"
		    "\"firstSeen\":10,\"lastSeen\":20}",
		"{\"count\":1,\"firstSeen\":10,\"lastSeen\":20,"
		    "\"unknown\":true}",
	};

	(void)state;
	f[0] = mk(FLOW_EGRESS, FLOW_PEER_ADDRESS, 0, "2001:db8::1",
	    IPPROTO_ICMPV6, 128, NULL, 0, NULL, 10, 20, 1);
	f[1] = mk(FLOW_EGRESS, FLOW_PEER_ADDRESS, 0, "203.0.113.1",
	    IPPROTO_ICMP, 8, NULL, 0, NULL, 10, 20, 1);
	f[2] = mk(FLOW_EGRESS, FLOW_PEER_ADDRESS, 0, "203.0.113.1",
	    IPPROTO_ICMP, 0, NULL, 0, NULL, 15, 30, 1);
	f[3] = mk(FLOW_EGRESS, FLOW_PEER_ADDRESS, 0, "203.0.113.2",
	    IPPROTO_SCTP, 9, NULL, 0, NULL, 10, 20, 1);
	f[4] = mk(FLOW_EGRESS, FLOW_PEER_WORKLOAD, 4, NULL, IPPROTO_UDP, 53,
	    NULL, 0, NULL, 10, 20, 1);
	f[5] = mk(FLOW_EGRESS, FLOW_PEER_ADDRESS, 0, "203.0.113.3",
	    IPPROTO_TCP, 443, NULL, 0, NULL, 10, 20, 1);
	f[6] = mk(FLOW_EGRESS, FLOW_PEER_UNKNOWN, 0, NULL, IPPROTO_TCP, 80,
	    NULL, 0, NULL, 10, 20, 1);
	f[7] = mk(FLOW_EGRESS, FLOW_PEER_ADDRESS, 0, "203.0.113.5",
	    IPPROTO_TCP, 80, NULL, 0, "a.example.com", 10, 20, 1);
	f[8] = mk(FLOW_EGRESS, FLOW_PEER_ADDRESS, 0, "203.0.113.4",
	    IPPROTO_TCP, 80, NULL, 0, NULL, 10, 20, 1);
	f[9] = mk(FLOW_EGRESS, FLOW_PEER_NODE, 0, "198.18.0.10",
	    IPPROTO_TCP, 80, NULL, 0, NULL, 10, 20, 1);
	f[10] = mk(FLOW_EGRESS, FLOW_PEER_WORKLOAD, 2, NULL, IPPROTO_TCP, 80,
	    "198.18.100.10", 8080, NULL, 10, 20, 2);
	f[11] = mk(FLOW_EGRESS, FLOW_PEER_WORKLOAD, 2, NULL, IPPROTO_TCP, 80,
	    NULL, 0, NULL, 10, 20, 1);
	f[12] = mk(FLOW_INGRESS, FLOW_PEER_WORKLOAD, 3, NULL, IPPROTO_TCP,
	    8443, NULL, 0, NULL, 10, 20, 1);
	/* Ingress on the port of an egress group: a group of its own. */
	f[13] = mk(FLOW_INGRESS, FLOW_PEER_ADDRESS, 0, "203.0.113.6",
	    IPPROTO_TCP, 80, NULL, 0, NULL, 10, 20, 1);
	facts(&fa);
	assert_int_equal(profile_build(&wls[1], f, 14, NULL, 0, &lookup, &fa,
	    &p), 0);
	o = parse(p.body);
	spec = get(o, "spec");
	assert_sorted(o);
	/* ICMP at 8 and 0 are one peer of group ICMP/0. */
	assert_int_equal(assert_form(spec), 13);
	assert_int_equal(p.entries, 13);
	assert_string_equal(group_names(spec, "egress", buf, sizeof(buf)),
	    "TCP/80 TCP/443 UDP/53 SCTP/9 ICMP/0 ICMPv6/0");
	assert_string_equal(group_names(spec, "ingress", buf, sizeof(buf)),
	    "TCP/80 TCP/8443");
	x = json_object_array_get_idx(group_peers(spec, "egress", "ICMP", 0),
	    0);
	assert_string_equal(json_object_to_json_string_ext(x,
	    JSON_C_TO_STRING_PLAIN), "{\"address\":\"203.0.113.1\","
	    "\"count\":2,\"firstSeen\":10,\"lastSeen\":30}");
	peers = group_peers(spec, "egress", "TCP", 80);
	assert_int_equal(json_object_array_length(peers), 6);
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(json_object_to_json_string_ext(
		    json_object_array_get_idx(peers, i),
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
		    tcp80[i]);
	/* Only the peer of another namespace is described (cart and
	 * frontend by their own profiles). */
	x = get(spec, "peerWorkloads");
	assert_int_equal(json_object_array_length(x), 1);
	assert_string_equal(json_object_get_string(get(
	    json_object_array_get_idx(x, 0), "name")), "coredns");
	json_object_put(o);

	/* Reversed, then rotated: the same bytes. */
	for (size_t i = 0; i < 14; i++)
		g[i] = f[13 - i];
	assert_int_equal(profile_build(&wls[1], g, 14, NULL, 0, &lookup, &fa,
	    &q), 0);
	assert_string_equal(q.body, p.body);
	profile_clear(&q);
	for (size_t i = 0; i < 14; i++)
		g[i] = f[(i + 5) % 14];
	assert_int_equal(profile_build(&wls[1], g, 14, NULL, 0, &lookup, &fa,
	    &q), 0);
	assert_string_equal(q.body, p.body);
	assert_true(q.hash == p.hash);
	profile_clear(&q);
	profile_clear(&p);

	/* Only ingress: no egress list at all. */
	assert_int_equal(profile_build(&wls[1], &f[12], 2, NULL, 0, &lookup,
	    &fa, &p), 0);
	o = parse(p.body);
	assert_false(json_object_object_get_ex(get(o, "spec"), "egress", &x));
	assert_int_equal(assert_form(get(o, "spec")), 2);
	json_object_put(o);
	profile_clear(&p);
}

/*
 * spec.peerWorkloads: only peers no profile of their own describes:
 * deleted, hostNetwork, or in a namespace not published; every other
 * peer only by reference, "Kind/name" in the object's namespace,
 * "ns/Kind/name" in another.
 */
static void
test_peer_workloads(void **state)
{
	/* Described: the peers of other namespaces, and of shop the deleted
	 * old (cart is by its own profile). namespace/name, in order. */
	static const char *const want = "batch/report.daily "
	    "kube-system/coredns monitoring/node-exporter shop/old";
	static const char *const refs[] = {
		"\"workload\":\"Deployment/cart\"",
		"\"workload\":\"Deployment/old\"",
		"\"workload\":\"monitoring/DaemonSet/node-exporter\"",
		"\"workload\":\"kube-system/Deployment/coredns\"",
		"\"workload\":\"batch/Job/report.daily\"",
	};
	struct flow f[7];
	struct profile_facts fa;
	struct profile p;
	json_object *o, *pw, *x;
	char buf[256];
	size_t off;

	(void)state;
	f[0] = mk(FLOW_EGRESS, FLOW_PEER_WORKLOAD, 2, NULL, IPPROTO_TCP, 80,
	    NULL, 0, NULL, 10, 60, 1);
	f[1] = mk(FLOW_EGRESS, FLOW_PEER_WORKLOAD, 6, NULL, IPPROTO_TCP, 80,
	    NULL, 0, NULL, 10, 20, 1);
	f[2] = mk(FLOW_EGRESS, FLOW_PEER_WORKLOAD, 7, NULL, IPPROTO_TCP, 9100,
	    NULL, 0, NULL, 10, 20, 1);
	f[3] = mk(FLOW_EGRESS, FLOW_PEER_WORKLOAD, 4, NULL, IPPROTO_UDP, 53,
	    NULL, 0, NULL, 10, 20, 1);
	f[4] = mk(FLOW_INGRESS, FLOW_PEER_WORKLOAD, 8, NULL, IPPROTO_TCP,
	    8443, NULL, 0, NULL, 10, 20, 1);
	/* A name the reference pattern refuses: unknown, not refused. */
	f[5] = mk(FLOW_INGRESS, FLOW_PEER_WORKLOAD, 9, NULL, IPPROTO_TCP,
	    8443, NULL, 0, NULL, 10, 20, 1);
	f[6] = mk(FLOW_INGRESS, FLOW_PEER_WORKLOAD, 1, NULL, IPPROTO_TCP,
	    8443, NULL, 0, NULL, 10, 20, 1);
	facts(&fa);
	assert_int_equal(profile_build(&wls[1], f, 7, NULL, 0, &lookup, &fa,
	    &p), 0);
	assert_int_equal(p.unknown_peers, 1);
	o = parse(p.body);
	assert_sorted(o);
	assert_int_equal(assert_form(get(o, "spec")), 7);
	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++)
		if (strstr(p.body, refs[i]) == NULL)
			fail_msg("no %s in %s", refs[i], p.body);
	/* Itself, by reference too. */
	assert_non_null(strstr(p.body, "\"workload\":\"Deployment/checkout\""));
	assert_null(strstr(p.body, "Bad_Name"));
	pw = get(get(o, "spec"), "peerWorkloads");
	off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < json_object_array_length(pw); i++) {
		x = json_object_array_get_idx(pw, i);
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s/%s",
		    i > 0 ? " " : "",
		    json_object_get_string(get(x, "namespace")),
		    json_object_get_string(get(x, "name")));
	}
	if (strcmp(buf, want) != 0)
		fail_msg("peerWorkloads %s, want %s", buf, want);
	/* The full description, as before. */
	assert_non_null(strstr(p.body, "{\"hostNetwork\":false,"
	    "\"kind\":\"Deployment\",\"name\":\"old\",\"namespace\":"
	    "\"shop\",\"selector\":{\"matchLabels\":{\"app\":\"old\"}},"
	    "\"startedAt\":1714400000}"));
	assert_non_null(strstr(p.body, "{\"hostNetwork\":true,"
	    "\"kind\":\"DaemonSet\",\"name\":\"node-exporter\""));
	assert_hash_back(&p);
	json_object_put(o);
	profile_clear(&p);

	/* Of the peers kept only: the most recent (cart) alone, no
	 * peerWorkloads. */
	fa.max_entries = 1;
	assert_int_equal(profile_build(&wls[1], f, 7, NULL, 0, &lookup, &fa,
	    &p), 0);
	assert_int_equal(p.entries, 1);
	assert_int_equal(p.truncated, 6);
	assert_non_null(strstr(p.body, "\"workload\":\"Deployment/cart\""));
	assert_null(strstr(p.body, "peerWorkloads"));
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
	assert_hash_back(&b);
	/* ... and the object as it was (the value blanked is put back). */
	o = parse(b.body);
	profile_hash_object(o, &h, &m);
	assert_string_equal(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), b.body);
	json_object_put(o);
	profile_clear(&b);
	/* A count moves: the content, not the workload. */
	f[0].count = 2;
	assert_int_equal(profile_build(&w, f, 2, NULL, 0, &lookup,
	    &fa, &b), 0);
	assert_true(a.hash != b.hash && a.meta_hash == b.meta_hash);
	profile_clear(&b);
	/* A peer moves to another port: another group, another hash. */
	f[0].count = 1;
	f[0].key.port = 8081;
	assert_int_equal(profile_build(&w, f, 2, NULL, 0, &lookup,
	    &fa, &b), 0);
	assert_true(a.hash != b.hash && a.meta_hash == b.meta_hash);
	profile_clear(&b);
	f[0].key.port = 8080;
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
	assert_true(h == 0 && m == 0);
}

/* The lowest lastSeen of the peers of every group of spec: the least
 * recently seen kept. */
static int64_t
oldest_peer(json_object *spec)
{
	static const char *const lists[] = { "egress", "ingress" };
	json_object *groups, *peers;
	int64_t min = INT64_MAX, t;

	for (size_t l = 0; l < 2; l++) {
		if (!json_object_object_get_ex(spec, lists[l], &groups))
			continue;
		for (size_t i = 0; i < json_object_array_length(groups); i++) {
			peers = get(json_object_array_get_idx(groups, i),
			    "peers");
			for (size_t j = 0; j < json_object_array_length(peers);
			    j++) {
				t = json_object_get_int64(get(
				    json_object_array_get_idx(peers, j),
				    "lastSeen"));
				if (t < min)
					min = t;
			}
		}
	}
	return min;
}

static void
test_bounds(void **state)
{
	struct flow *f;
	struct profile_facts fa;
	struct profile p;
	json_object *o, *e, *d, *arr, *spec;
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
	assert_int_equal(assert_form(get(o, "spec")), 1000);
	assert_int_equal(json_object_get_int(get(get(o, "spec"),
	    "truncated")), 500);
	/* The least recently seen went: 203.0.100.1 (i = 0) is not in. */
	assert_null(strstr(p.body, "\"203.0.100.1\""));
	assert_non_null(strstr(p.body, "\"203.0.105.250\""));
	assert_int_equal(oldest_peer(get(o, "spec")), 2500);
	json_object_put(o);
	profile_clear(&p);
	/* A byte bound: fewer entries, said in truncated. */
	fa.max_bytes = 20000;
	assert_int_equal(profile_build(&wls[1], f, n, NULL, 0, &lookup,
	    &fa, &p), 0);
	assert_true(p.len <= 20000);
	assert_true(p.entries > 50 && p.entries < 1000);
	assert_int_equal(p.entries + p.truncated, n);
	o = parse(p.body);
	assert_int_equal(assert_form(get(o, "spec")), p.entries);
	assert_int_equal(oldest_peer(get(o, "spec")),
	    2000 + (int64_t)(n - p.entries));
	json_object_put(o);
	profile_clear(&p);
	/* max_entries as configured. */
	fa.max_bytes = 0;
	fa.max_entries = 10;
	assert_int_equal(profile_build(&wls[1], f, n, NULL, 0, &lookup,
	    &fa, &p), 0);
	assert_int_equal(p.entries, 10);
	assert_int_equal(p.truncated, n - 10);
	profile_clear(&p);

	/* Peer items count, over groups and both lists: 60 flows, 5 egress
	 * ports and 2 ingress ports, the least recently seen spread over
	 * all of them; 25 kept. */
	for (size_t i = 0; i < 60; i++) {
		snprintf(a, sizeof(a), "198.51.100.%zu", i + 1);
		f[i] = mk(i % 3 == 0 ? FLOW_INGRESS : FLOW_EGRESS,
		    FLOW_PEER_ADDRESS, 0, a, i % 7 == 0 ? IPPROTO_UDP :
		    IPPROTO_TCP, (uint16_t)(1000 + i % 5), NULL, 0, NULL,
		    1000, 3000 + (int64_t)i, 1);
	}
	fa.max_entries = 25;
	assert_int_equal(profile_build(&wls[1], f, 60, NULL, 0, &lookup,
	    &fa, &p), 0);
	assert_int_equal(p.entries, 25);
	assert_int_equal(p.truncated, 35);
	o = parse(p.body);
	spec = get(o, "spec");
	assert_int_equal(assert_form(spec), 25);
	assert_int_equal(json_object_get_int(get(spec, "truncated")), 35);
	assert_int_equal(oldest_peer(spec), 3035);
	assert_non_null(get(spec, "ingress"));
	json_object_put(o);
	profile_clear(&p);

	/* The CRD's 100 groups a direction: 300 egress flows on 150 ports
	 * (two peers each, the higher ports seen more recently) and 20
	 * ingress flows on 20 ports. The 100 most recent egress ports stay
	 * with both their peers; the 50 oldest go, counted; ingress keeps
	 * all of its own. */
	for (size_t i = 0; i < 320; i++) {
		snprintf(a, sizeof(a), "198.51.100.%zu", i % 2 + 1);
		f[i] = i < 300 ?
		    mk(FLOW_EGRESS, FLOW_PEER_ADDRESS, 0, a, IPPROTO_TCP,
		    (uint16_t)(2000 + i / 2), NULL, 0, NULL, 1000,
		    5000 + (int64_t)i, 1) :
		    mk(FLOW_INGRESS, FLOW_PEER_ADDRESS, 0, a, IPPROTO_UDP,
		    (uint16_t)(7000 + i), NULL, 0, NULL, 1000, 100, 1);
	}
	fa.max_entries = 1000;
	assert_int_equal(profile_build(&wls[1], f, 320, NULL, 0, &lookup,
	    &fa, &p), 0);
	assert_int_equal(p.entries, 220);
	assert_int_equal(p.truncated, 100);
	o = parse(p.body);
	spec = get(o, "spec");
	assert_int_equal(assert_form(spec), 220);
	assert_int_equal(json_object_array_length(get(spec, "egress")),
	    PROFILE_MAX_GROUPS);
	assert_int_equal(json_object_array_length(get(spec, "ingress")), 20);
	assert_int_equal(json_object_get_int(get(json_object_array_get_idx(
	    get(spec, "egress"), 0), "port")), 2050);
	assert_int_equal(json_object_array_length(group_peers(spec, "egress",
	    "TCP", 2149)), 2);
	json_object_put(o);
	profile_clear(&p);
	/* With max_entries below, the groups' bound comes first, then the
	 * most recent of what it kept. */
	fa.max_entries = 150;
	assert_int_equal(profile_build(&wls[1], f, 320, NULL, 0, &lookup,
	    &fa, &p), 0);
	assert_int_equal(p.entries, 150);
	assert_int_equal(p.truncated, 170);
	o = parse(p.body);
	spec = get(o, "spec");
	assert_int_equal(assert_form(spec), 150);
	assert_int_equal(json_object_array_length(get(spec, "egress")), 75);
	assert_false(json_object_object_get_ex(spec, "ingress", NULL));
	json_object_put(o);
	profile_clear(&p);

	/* One DNS name, 70 addresses: 64 listed (the most recent), 6
	 * omitted, totals over all 70: one peer item. */
	for (size_t i = 0; i < 70; i++) {
		snprintf(a, sizeof(a), "203.0.%zu.%zu", 100 + i / 250,
		    i % 250 + 1);
		f[i] = mk(FLOW_EGRESS, FLOW_PEER_ADDRESS, 0, a, IPPROTO_TCP,
		    443, NULL, 0, "cdn.example.com", 1000, 2000 + (int64_t)i,
		    1);
	}
	fa.max_entries = 1000;
	assert_int_equal(profile_build(&wls[1], f, 70, NULL, 0, &lookup,
	    &fa, &p), 0);
	assert_int_equal(p.entries, 1);
	o = parse(p.body);
	assert_int_equal(assert_form(get(o, "spec")), 1);
	e = json_object_array_get_idx(group_peers(get(o, "spec"), "egress",
	    "TCP", 443), 0);
	d = get(e, "dns");
	assert_string_equal(json_object_get_string(get(d, "name")),
	    "cdn.example.com");
	arr = get(d, "addresses");
	assert_int_equal(json_object_array_length(arr), 64);
	assert_int_equal(json_object_get_int(get(d, "omittedAddresses")), 6);
	assert_int_equal(json_object_get_int(get(e, "count")), 70);
	assert_int_equal(json_object_get_int64(get(e, "lastSeen")), 2069);
	assert_int_equal(json_object_get_int64(get(
	    json_object_array_get_idx(arr, 0), "lastSeen")), 2069);
	json_object_put(o);
	profile_clear(&p);

	/* One address answered by 70 names: the 64 most recent listed. */
	{
		struct profile_dns ans[70];
		char names[70][32];

		f[0].dns_name = "";
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
		arr = get(json_object_array_get_idx(get(get(o, "spec"),
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
	 * not list: one unknown peer, counts added. */
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
	assert_non_null(strstr(p.body, "\"entryCount\":2,\"eventsLost\":0,"
	    "\"ingress\":[{\"peers\":[{\"count\":4,\"firstSeen\":90,"
	    "\"lastSeen\":100,\"workload\":\"Deployment/cart\"},{\"count\":7,"
	    "\"firstSeen\":90,\"lastSeen\":250,\"unknown\":true}],"
	    "\"port\":8443,\"protocol\":\"TCP\"}],"));
	assert_null(strstr(p.body, "\"egress\""));
	assert_null(strstr(p.body, "peerWorkloads"));
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
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_peer_workloads),
		cmocka_unit_test(test_hashes),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_peers_and_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
