/*
 * test_tpread: TrafficProfiles read back into the index
 * (cli/source/tpread.c): the fixture object of every peer kind, peers
 * by reference (described by spec.peerWorkloads, by their own profiles,
 * fetched once each, or noted as missing), two nodes' profiles of a
 * workload merged as two stores are, a connection seen from both ends
 * kept as two flows, malformed items skipped whole and noted, what a
 * profile says is missing noted; and kname's names (lib/kname.c)
 * against tests/fixtures/k8s/trafficprofile-names.json.
 */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "cli/source/index.h"
#include "cli/source/tpread.h"
#include "lib/kname.h"
#include "lib/yamljson.h"
#include "tests/unit/ut_run.h"
#include "tests/unit/ut_world.h"

/* The example object of install/kubernetes/README.md. */
static json_object *
fixture(void)
{
	json_object *docs, *doc;
	char *buf, err[256];
	size_t len;

	assert_non_null(buf = ut_slurp("tests/fixtures/k8s/trafficprofile.yaml",
	    &len));
	assert_int_equal(yamljson_parse(buf, len, &docs, err, sizeof(err)), 0);
	free(buf);
	doc = json_object_get(json_object_array_get_idx(docs, 0));
	json_object_put(docs);
	return doc;
}

/* A list of the items (references taken). */
static json_object *
list_of(json_object *const *items, size_t n)
{
	json_object *l = json_object_new_object(), *a = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_array_add(a, json_object_get(items[i]));
	json_object_object_add(l, "kind",
	    json_object_new_string("TrafficProfileList"));
	json_object_object_add(l, "items", a);
	return l;
}

/* The index of the list response (its JSON text, as the API server
 * sends it) for namespace ns. */
static struct index *
load(json_object *list, const char *ns, int want)
{
	struct source_query q = { .namespace_ = ns, .direction = -1 };
	struct source *src;
	struct index *idx = NULL;
	const char *text = json_object_to_json_string_ext(list,
	    JSON_C_TO_STRING_PRETTY);
	size_t len = strlen(text);
	char err[512] = "";

	assert_int_equal(tp_list_source_new(&text, &len, 1, &src), 0);
	assert_int_equal(index_load(&src, 1, &q, &idx, err, sizeof(err)), want);
	source_free(src);
	return idx;
}

/* How many notes have all of the texts (NULL-terminated). */
static size_t
notes_with(const struct index *idx, ...)
{
	const char *t;
	size_t i, n = 0;
	va_list ap;
	bool all;

	for (i = 0; i < index_nnotes(idx); i++) {
		all = true;
		va_start(ap, idx);
		while ((t = va_arg(ap, const char *)) != NULL)
			all &= strstr(index_note(idx, i)->text, t) != NULL;
		va_end(ap);
		n += all;
	}
	return n;
}

static const struct flow *
find_flow(const struct index *idx, const char *subject, int dir,
    const char *peer, int proto, unsigned port)
{
	const struct index_workload *s, *p;
	const struct flow *f;
	char buf[ADDR_STRLEN];
	size_t i;

	for (i = 0; i < index_nflows(idx); i++) {
		f = index_flow(idx, i);
		s = index_subject(idx, f);
		if (strcmp(s->name, subject) != 0 || f->key.direction != dir ||
		    f->key.protocol != proto || f->key.port != port)
			continue;
		p = index_peer(idx, f);
		if (p != NULL && strcmp(p->name, peer) == 0)
			return f;
		if (p == NULL && f->key.peer.family != 0 && strcmp(addr_format(
		    &f->key.peer, buf, sizeof(buf)), peer) == 0)
			return f;
		if (p == NULL && f->key.peer.family == 0 &&
		    strcmp(peer, "?") == 0)
			return f;
	}
	return NULL;
}

/* A profile of workload (ns, Kind/name) on node, with the groups egress
 * and ingress (JSON text, NULL: absent) and spec.entryCount their peers
 * (count < 0) or count. */
static json_object *
profile_of(const char *ns, const char *kind, const char *name,
    const char *node, const char *egress, const char *ingress,
    int count)
{
	json_object *o = fixture(), *spec, *wl, *g, *lists[2], *sel, *ml;
	int i, n = 0;
	size_t j;

	json_object_object_add(json_object_object_get(o, "metadata"),
	    "namespace", json_object_new_string(ns));
	spec = json_object_object_get(o, "spec");
	wl = json_object_object_get(spec, "workload");
	json_object_object_add(wl, "kind", json_object_new_string(kind));
	json_object_object_add(wl, "name", json_object_new_string(name));
	sel = json_object_new_object();
	ml = json_object_new_object();
	json_object_object_add(ml, "app", json_object_new_string(name));
	json_object_object_add(sel, "matchLabels", ml);
	json_object_object_add(wl, "selector", sel);
	json_object_object_add(spec, "node", json_object_new_string(node));
	json_object_object_del(spec, "peerWorkloads");
	json_object_object_del(spec, "dnsNames");
	json_object_object_del(spec, "egress");
	json_object_object_del(spec, "ingress");
	if (egress != NULL)
		json_object_object_add(spec, "egress", json_tokener_parse(egress));
	if (ingress != NULL)
		json_object_object_add(spec, "ingress",
		    json_tokener_parse(ingress));
	lists[0] = json_object_object_get(spec, "egress");
	lists[1] = json_object_object_get(spec, "ingress");
	if (egress != NULL)
		assert_non_null(lists[0]);
	if (ingress != NULL)
		assert_non_null(lists[1]);
	for (i = 0; i < 2; i++)
		for (j = 0; json_object_is_type(lists[i], json_type_array) &&
		    j < json_object_array_length(lists[i]); j++) {
			g = json_object_array_get_idx(lists[i], j);
			if (json_object_is_type(g, json_type_object) &&
			    json_object_is_type(json_object_object_get(g,
			    "peers"), json_type_array))
				n += (int)json_object_array_length(
				    json_object_object_get(g, "peers"));
		}
	json_object_object_add(spec, "entryCount",
	    json_object_new_int(count < 0 ? n : count));
	return o;
}

/* shop/Deployment/checkout's profile on node. */
static json_object *
profile(const char *node, const char *egress, const char *ingress)
{
	return profile_of("shop", "Deployment", "checkout", node, egress,
	    ingress, -1);
}

#define TCP8080(peers) "[{\"protocol\":\"TCP\",\"port\":8080,\"peers\":[" \
	peers "]}]"
#define PEER(ref, first, last, count) "{\"workload\":\"" ref "\"," \
	"\"firstSeen\":" #first ",\"lastSeen\":" #last ",\"count\":" #count "}"

static void
test_fixture(void **state)
{
	json_object *o = fixture(), *l = list_of(&o, 1);
	const struct index_workload *w;
	const struct flow *f;
	struct addr a;
	struct index *idx;
	char buf[ADDR_STRLEN];

	(void)state;
	idx = load(l, "shop", 0);
	/* 8 peers, the DNS one with two addresses: 9 flows. */
	assert_int_equal(index_nflows(idx), 9);
	assert_non_null(w = index_find_workload(idx, "shop", "Deployment",
	    "checkout"));
	assert_true(w->subject);
	assert_true(w->described);
	assert_int_equal(w->started_at, 1714557000);
	assert_string_equal(ut_match_label(w, "app"), "checkout");
	assert_int_equal(json_object_array_length(w->ports), 1);
	/* Described inline (spec.peerWorkloads). */
	assert_non_null(w = index_find_workload(idx, "kube-system",
	    "Deployment", "coredns"));
	assert_false(w->subject);
	assert_true(w->described);
	assert_string_equal(ut_match_label(w, "k8s-app"), "kube-dns");
	assert_int_equal(json_object_array_length(w->ports), 2);
	/* Referred to, described by nothing in the list: peers, not
	 * subjects (their pods are unknown), each noted in shop. */
	assert_non_null(w = index_find_workload(idx, "shop", "Deployment",
	    "cart"));
	assert_false(w->described);
	assert_false(w->subject);
	assert_null(w->ports);
	assert_non_null(w = index_find_workload(idx, "shop", "Deployment",
	    "frontend"));
	assert_false(w->described);
	assert_int_equal(index_nnotes(idx), 2);
	assert_string_equal(index_note(idx, 0)->namespace_, "shop");
	assert_null(index_note(idx, 0)->kind);
	assert_string_equal(index_note(idx, 0)->text, "the peer "
	    "Deployment/cart of namespace shop has no details: no "
	    "TrafficProfile of it was found. Its selector is unknown, so the "
	    "traffic with it is left out of the policies (listed as not "
	    "expressible) rather than allowed to every pod of namespace shop");
	assert_int_equal(notes_with(idx, "the peer Deployment/frontend of "
	    "namespace shop has no details", NULL), 1);

	assert_non_null(f = find_flow(idx, "checkout", FLOW_EGRESS, "cart",
	    IPPROTO_TCP, 8080));
	assert_int_equal(f->key.peer_kind, FLOW_PEER_WORKLOAD);
	assert_string_equal(addr_format(&f->key.orig, buf, sizeof(buf)),
	    "198.18.100.10");
	assert_int_equal(f->key.orig_port, 80);
	assert_int_equal(f->count, 1234);
	assert_int_equal(f->first_seen, 1714557010);
	assert_non_null(f = find_flow(idx, "checkout", FLOW_EGRESS, "coredns",
	    IPPROTO_UDP, 53));
	assert_int_equal(f->count, 2210);
	assert_non_null(f = find_flow(idx, "checkout", FLOW_EGRESS,
	    "2001:db8:40::23", IPPROTO_TCP, 443));
	assert_string_equal(f->dns_name, "pay.example.com");
	assert_int_equal(f->count, 2);
	assert_non_null(f = find_flow(idx, "checkout", FLOW_EGRESS,
	    "198.51.100.23", IPPROTO_TCP, 443));
	assert_int_equal(f->count, 40);
	assert_non_null(f = find_flow(idx, "checkout", FLOW_EGRESS,
	    "203.0.113.7", IPPROTO_TCP, 443));
	assert_int_equal(f->count, 3);
	assert_non_null(f = find_flow(idx, "checkout", FLOW_EGRESS,
	    "203.0.113.9", IPPROTO_ICMP, 0));
	assert_string_equal(f->dns_name, "");
	assert_non_null(f = find_flow(idx, "checkout", FLOW_INGRESS,
	    "frontend", IPPROTO_TCP, 8443));
	assert_int_equal(f->count, 5120);
	assert_non_null(f = find_flow(idx, "checkout", FLOW_INGRESS,
	    "198.18.0.10", IPPROTO_TCP, 8443));
	assert_int_equal(f->key.peer_kind, FLOW_PEER_NODE);
	assert_int_equal(addr_parse("198.18.0.10", &a), 0);
	assert_true(index_is_node_addr(idx, &a));
	assert_non_null(f = find_flow(idx, "checkout", FLOW_INGRESS, "?",
	    IPPROTO_UDP, 9999));
	assert_int_equal(f->key.peer_kind, FLOW_PEER_UNKNOWN);
	assert_int_equal(index_recording_started(idx), 1714550400);
	index_free(idx);
	json_object_put(l);
	json_object_put(o);
}

/* Peers described by their own profiles in the list: in the scope or
 * in another namespace (read for every namespace), whichever comes
 * first; spec.peerWorkloads' details come first. */
static void
test_peer_profiles(void **state)
{
	json_object *p[4], *l;
	const struct index_workload *w;
	struct index *idx;
	int i;

	(void)state;
	p[0] = profile_of("shop", "Deployment", "cart", "node-b",
	    TCP8080(PEER("pay/Deployment/gateway", 1, 2, 3)), NULL, -1);
	p[1] = fixture();
	p[2] = profile_of("shop", "Deployment", "frontend", "node-c", NULL,
	    "[{\"protocol\":\"TCP\",\"port\":80,\"peers\":["
	    PEER("shop/Deployment/checkout", 1, 2, 3) "]}]", -1);
	/* coredns's own profile says something else than the inline
	 * details of the fixture, which came first. */
	p[3] = profile_of("kube-system", "Deployment", "coredns", "node-d",
	    NULL, "[{\"protocol\":\"UDP\",\"port\":53,\"peers\":["
	    PEER("shop/Deployment/checkout", 1, 2, 3) "]}]", -1);
	l = list_of(p, 4);
	idx = load(l, NULL, 0);
	assert_int_equal(index_nnotes(idx), 1);
	assert_string_equal(index_note(idx, 0)->namespace_, "shop");
	assert_non_null(strstr(index_note(idx, 0)->text, "the peer "
	    "Deployment/gateway of namespace pay has no details"));
	assert_non_null(w = index_find_workload(idx, "shop", "Deployment",
	    "cart"));
	assert_true(w->described);
	assert_true(w->subject);
	assert_string_equal(ut_match_label(w, "app"), "cart");
	assert_non_null(w = index_find_workload(idx, "shop", "Deployment",
	    "frontend"));
	assert_true(w->described);
	assert_non_null(w = index_find_workload(idx, "kube-system",
	    "Deployment", "coredns"));
	assert_non_null(ut_match_label(w, "k8s-app"));
	assert_non_null(find_flow(idx, "frontend", FLOW_INGRESS, "checkout",
	    IPPROTO_TCP, 80));
	/* A peer that talks to itself: Kind/name of the subject is it. */
	index_free(idx);
	json_object_put(l);
	for (i = 0; i < 4; i++)
		json_object_put(p[i]);
	p[0] = profile("node-a", TCP8080(PEER("Deployment/checkout", 1, 2, 3)
	    "," PEER("shop/Deployment/checkout", 1, 5, 4)), NULL);
	l = list_of(p, 1);
	idx = load(l, "shop", 0);
	assert_int_equal(index_nnotes(idx), 0);
	assert_int_equal(index_nworkloads(idx), 1);
	assert_int_equal(index_nflows(idx), 1);
	assert_int_equal(index_flow(idx, 0)->count, 7);
	index_free(idx);
	json_object_put(l);
	json_object_put(p[0]);
}

/* ---- tp_reader_peers with a fetch: a source of its own --------------------- */

/* What the fake cluster answers for a workload's profile. */
static const struct {
	const char *who;	/* ns/Kind/name */
	const char *answer;	/* a profile's "ns/Kind/name", or one of
				 * "forbidden", "none", "broken", "fail" */
} answers[] = {
	{ "shop/Deployment/cart", "shop/Deployment/cart" },
	{ "pay/Deployment/gateway", "pay/Deployment/gateway" },
	{ "sec/StatefulSet/vault", "forbidden" },
	{ "shop/Deployment/ghost", "none" },
	{ "ops/Deployment/other", "ops/Deployment/another" },
	{ "ops/Deployment/broken", "broken" },
	{ "ops/Deployment/down", "fail" },
};

struct fsrc {
	struct source src;	/* first */
	json_object *items;
	int asked[sizeof(answers) / sizeof(answers[0])];
	size_t described, missing;
};

static int
fake_fetch(void *arg, const char *ns, const char *kind, const char *name,
    json_object **item, char *why, size_t whylen)
{
	struct fsrc *fs = arg;
	char who[256], pk[32];
	const char *a;
	size_t i;

	snprintf(who, sizeof(who), "%s/%s/%s", ns, kind, name);
	for (i = 0; i < sizeof(answers) / sizeof(answers[0]); i++)
		if (strcmp(answers[i].who, who) == 0)
			break;
	if (i == sizeof(answers) / sizeof(answers[0]))
		fail_msg("asked for %s", who);
	fs->asked[i]++;
	a = answers[i].answer;
	if (strcmp(a, "fail") == 0)
		return -EIO;
	if (strcmp(a, "forbidden") == 0) {
		snprintf(why, whylen, "reading the TrafficProfiles of "
		    "namespace %s is forbidden", ns);
		return 0;
	}
	if (strcmp(a, "none") == 0)
		return 0;
	if (strcmp(a, "broken") == 0) {
		*item = profile_of(ns, kind, name, "node-x", NULL, NULL, -1);
		json_object_object_add(json_object_object_get(
		    json_object_object_get(*item, "spec"), "workload"), "kind",
		    json_object_new_string("Deploy"));
		return 0;
	}
	/* ns/Kind/name of the profile answered. */
	assert_int_equal(sscanf(a, "%*[^/]/%31[^/]/", pk), 1);
	*item = profile_of(ns, pk, strrchr(a, '/') + 1, "node-x",
	    TCP8080(PEER("shop/Deployment/checkout", 1, 2, 3)), NULL, -1);
	return 0;
}

static int
fsrc_load(struct source *src, const struct source_query *q,
    struct index_builder *b, char *err, size_t errlen)
{
	struct fsrc *fs = (struct fsrc *)(void *)src;
	struct tp_reader *r;
	size_t i;
	int rc = 0;

	assert_int_equal(tp_reader_new(b, q, &r), 0);
	for (i = 0; i < json_object_array_length(fs->items) && rc == 0; i++)
		rc = tp_reader_item(r, json_object_array_get_idx(fs->items, i));
	if (rc == 0)
		rc = tp_reader_peers(r, fake_fetch, fs);
	fs->described = tp_reader_peers_described(r);
	fs->missing = tp_reader_peers_missing(r);
	tp_reader_free(r);
	if (rc < 0)
		snprintf(err, errlen, "fetch: %d", rc);
	return rc;
}

static void
fsrc_free(struct source *src)
{
	(void)src;
}

static const struct source_ops fsrc_ops = { .load = fsrc_load,
	.free = fsrc_free };

static void
test_fetch_peers(void **state)
{
	struct source_query q = { .direction = -1 };
	struct fsrc fs = { .src.ops = &fsrc_ops };
	struct source *src = &fs.src;
	const struct index_workload *w;
	struct index *idx = NULL;
	char err[256];
	size_t i;

	(void)state;
	fs.items = json_object_new_array();
	/* Each peer named twice, from two namespaces for ghost. */
	json_object_array_add(fs.items, profile("node-a", "["
	    "{\"protocol\":\"TCP\",\"port\":80,\"peers\":["
	    PEER("Deployment/cart", 1, 2, 3) ","
	    PEER("pay/Deployment/gateway", 1, 2, 3) ","
	    PEER("sec/StatefulSet/vault", 1, 2, 3) ","
	    PEER("Deployment/ghost", 1, 2, 3) ","
	    PEER("ops/Deployment/other", 1, 2, 3) ","
	    PEER("ops/Deployment/broken", 1, 2, 3) "]},"
	    "{\"protocol\":\"TCP\",\"port\":8080,\"peers\":["
	    PEER("Deployment/cart", 1, 2, 3) ","
	    PEER("pay/Deployment/gateway", 1, 2, 3) "]}]", NULL));
	json_object_array_add(fs.items, profile_of("web", "Deployment", "ui",
	    "node-b", TCP8080(PEER("shop/Deployment/ghost", 1, 2, 3) ","
	    PEER("shop/Deployment/cart", 1, 2, 3)), NULL, -1));
	assert_int_equal(index_load(&src, 1, &q, &idx, err, sizeof(err)), 0);
	/* One question per peer. */
	for (i = 0; i < sizeof(answers) / sizeof(answers[0]); i++)
		assert_int_equal(fs.asked[i], strcmp(answers[i].answer,
		    "fail") != 0);
	assert_int_equal(fs.described, 2);
	assert_int_equal(fs.missing, 4);
	/* Described by its own profile; its flows are not fed. */
	assert_non_null(w = index_find_workload(idx, "shop", "Deployment",
	    "cart"));
	assert_true(w->described);
	assert_true(w->subject);
	assert_string_equal(ut_match_label(w, "app"), "cart");
	assert_null(find_flow(idx, "cart", FLOW_EGRESS, "checkout",
	    IPPROTO_TCP, 8080));
	assert_non_null(w = index_find_workload(idx, "pay", "Deployment",
	    "gateway"));
	assert_true(w->described);
	/* Missing: noted where it is talked to, with why. */
	assert_non_null(w = index_find_workload(idx, "shop", "Deployment",
	    "ghost"));
	assert_false(w->described);
	assert_false(w->subject);
	assert_int_equal(notes_with(idx, "the peer Deployment/ghost of "
	    "namespace shop has no details: no TrafficProfile of it was "
	    "found.", NULL), 2);
	assert_int_equal(notes_with(idx, "StatefulSet/vault of namespace sec "
	    "has no details: reading the TrafficProfiles of namespace sec is "
	    "forbidden.", "every pod of namespace sec", NULL), 1);
	assert_int_equal(notes_with(idx, "Deployment/other of namespace ops "
	    "has no details: no TrafficProfile of it was found", NULL), 1);
	assert_int_equal(notes_with(idx, "Deployment/broken of namespace ops "
	    "has no details: its TrafficProfile ops/deployment-checkout-node-a "
	    "cannot be read (spec.workload.kind: 'Deploy' is not a workload "
	    "kind)", NULL), 1);
	assert_int_equal(index_nnotes(idx), 5);
	for (i = 0; i < index_nnotes(idx); i++)
		if (strcmp(index_note(idx, i)->namespace_, "web") == 0)
			assert_non_null(strstr(index_note(idx, i)->text,
			    "ghost"));
	index_free(idx);
	/* A fetch that fails fails the load. */
	memset(fs.asked, 0, sizeof(fs.asked));
	json_object_array_add(fs.items, profile("node-c",
	    TCP8080(PEER("ops/Deployment/down", 1, 2, 3)), NULL));
	assert_int_equal(index_load(&src, 1, &q, &idx, err, sizeof(err)),
	    -EIO);
	json_object_put(fs.items);
}

static void
test_merge_nodes(void **state)
{
	json_object *p[3], *l;
	const struct flow *f;
	struct index *idx;
	int i;

	(void)state;
	p[0] = profile("node-a", TCP8080(PEER("Deployment/cart", 100, 200, 5)),
	    NULL);
	p[1] = profile("node-b", TCP8080("{\"workload\":\"shop/Deployment/cart\","
	    "\"firstSeen\":50,\"lastSeen\":150,\"count\":7,\"bytes\":10}"),
	    NULL);
	/* cart's own node saw the same connections as ingress: cart's
	 * flows. */
	p[2] = profile_of("shop", "Deployment", "cart", "node-c", NULL,
	    TCP8080(PEER("Deployment/checkout", 50, 200, 12)), -1);
	l = list_of(p, 3);
	idx = load(l, "shop", 0);
	assert_int_equal(index_nflows(idx), 2);
	assert_int_equal(index_nnotes(idx), 0);
	assert_non_null(f = find_flow(idx, "checkout", FLOW_EGRESS, "cart",
	    IPPROTO_TCP, 8080));
	assert_int_equal(f->count, 12);
	assert_int_equal(f->bytes, 10);
	assert_int_equal(f->first_seen, 50);
	assert_int_equal(f->last_seen, 200);
	assert_non_null(f = find_flow(idx, "cart", FLOW_INGRESS, "checkout",
	    IPPROTO_TCP, 8080));
	assert_int_equal(f->count, 12);
	index_free(idx);
	json_object_put(l);
	for (i = 0; i < 3; i++)
		json_object_put(p[i]);
}

#define GOOD PEER("Deployment/cart", 1, 2, 1)
/* A namespace one longer than a DNS label may be. */
#define NS64 "n123456789a123456789b123456789c123456789d123456789e123456789f123"

#define G(proto, port, peers) "{\"protocol\":\"" proto "\",\"port\":" #port \
	",\"peers\":[" peers "]}"

/* Each way an item can be broken: skipped whole, named in a note, never
 * fed; the good item beside it is read. */
static void
test_malformed(void **state)
{
	static const struct {
		const char *egress, *ingress;
		int count;	/* spec.entryCount, -1: the peers */
		const char *why;
	} cases[] = {
		{ "[" G("TCP", 1, GOOD) "," G("TCPX", 1, GOOD) "]", NULL, -1,
		  "spec.egress[1].protocol: 'TCPX' is not TCP, UDP, SCTP, "
		  "ICMP or ICMPv6" },
		{ TCP8080(PEER("Deployment/cart", 3, 2, 1)), NULL, -1,
		  "spec.egress[0].peers[0].firstSeen: after lastSeen" },
		{ "[" G("TCP", 70000, GOOD) "]", NULL, -1,
		  "spec.egress[0].port: 70000 is not in 0..65535" },
		{ "[" G("UDP", 53, GOOD) "," G("TCP", 53, GOOD) "," G("UDP",
		  53, GOOD) "]", NULL, -1,
		  "spec.egress[2]: UDP 53 again (as spec.egress[0])" },
		{ NULL, "[" G("TCP", 1, "{\"address\":\"1.2.3.4\",\"unknown\":"
		  "true,\"firstSeen\":1,\"lastSeen\":1,\"count\":1}") "]", -1,
		  "spec.ingress[0].peers[0]: more than one of workload, node, "
		  "address, unknown" },
		{ TCP8080("{\"firstSeen\":1,\"lastSeen\":1,\"count\":1}"), NULL,
		  -1, "spec.egress[0].peers[0]: none of workload, node, "
		  "address, dns, unknown" },
		{ NULL, "[" G("TCP", 1, "{\"dns\":{\"name\":\"a\",\"addresses\":"
		  "[]},\"firstSeen\":1,\"lastSeen\":1,\"count\":1}") "]", -1,
		  "spec.ingress[0].peers[0].dns: a DNS peer in spec.ingress" },
		{ TCP8080("{\"address\":\"300.1.1.1\",\"firstSeen\":1,"
		  "\"lastSeen\":1,\"count\":1}"), NULL, -1,
		  "spec.egress[0].peers[0].address: not an IP address" },
		{ TCP8080("{\"node\":{\"name\":\"n\"},\"firstSeen\":1,"
		  "\"lastSeen\":1,\"count\":1}"), NULL, -1,
		  "spec.egress[0].peers[0].node.address: missing" },
		{ TCP8080("{\"unknown\":false,\"firstSeen\":1,\"lastSeen\":1,"
		  "\"count\":1}"), NULL, -1,
		  "spec.egress[0].peers[0].unknown: not true" },
		{ TCP8080("{\"dns\":{\"name\":\"a.example\",\"addresses\":[{"
		  "\"address\":\"203.0.113.1\",\"firstSeen\":5,\"lastSeen\":4,"
		  "\"count\":1}]},\"firstSeen\":1,\"lastSeen\":9,\"count\":1}"),
		  NULL, -1, "spec.egress[0].peers[0].dns.addresses[0].firstSeen: "
		  "after lastSeen" },
		{ TCP8080("{\"dns\":{\"name\":\"a.example\",\"addresses\":[{"
		  "\"address\":\"203.0.113.1\",\"firstSeen\":1,\"lastSeen\":4,"
		  "\"count\":1}]},\"firstSeen\":1,\"lastSeen\":9}"), NULL, -1,
		  "spec.egress[0].peers[0].count: missing" },
		{ TCP8080("{\"workload\":{\"namespace\":\"shop\",\"kind\":"
		  "\"Deployment\",\"name\":\"cart\"},\"firstSeen\":1,"
		  "\"lastSeen\":1,\"count\":1}"), NULL, -1,
		  "spec.egress[0].peers[0].workload: not a string" },
		{ TCP8080(PEER("cart", 1, 1, 1)), NULL, -1,
		  "spec.egress[0].peers[0].workload: 'cart' is not KIND/NAME "
		  "or NAMESPACE/KIND/NAME" },
		{ TCP8080(PEER("a/b/Deployment/cart", 1, 1, 1)), NULL, -1,
		  "'a/b/Deployment/cart' is not KIND/NAME" },
		{ TCP8080(PEER("Shop/Deployment/cart", 1, 1, 1)), NULL, -1,
		  "'Shop/Deployment/cart' is not KIND/NAME" },
		{ TCP8080(PEER("/Deployment/cart", 1, 1, 1)), NULL, -1,
		  "'/Deployment/cart' is not KIND/NAME" },
		{ TCP8080(PEER(NS64 "/Deployment/cart", 1, 1, 1)), NULL, -1,
		  "'" NS64 "/Deployment/cart' is not KIND/NAME" },
		{ TCP8080(PEER("Deployment/", 1, 1, 1)), NULL, -1,
		  "'Deployment/' is not KIND/NAME" },
		{ TCP8080(PEER("shop/Deploy/cart", 1, 1, 1)), NULL, -1,
		  "spec.egress[0].peers[0].workload: 'shop/Deploy/cart': "
		  "'Deploy' is not a workload kind" },
		{ "\"many\"", NULL, 1, "spec.egress: not a list" },
		{ NULL, "{}", 1, "spec.ingress: not a list" },
		{ "[42]", NULL, 1, "spec.egress[0]: not an object" },
		{ TCP8080("42"), NULL, -1, "spec.egress[0].peers[0]: not an "
		  "object" },
		{ "[" G("TCP", 1, "") "]", NULL, 1,
		  "spec.egress[0].peers: empty" },
		{ "[{\"protocol\":\"TCP\",\"port\":1}]", NULL, 1,
		  "spec.egress[0].peers: missing" },
		{ TCP8080(GOOD), NULL, 2, "spec.entryCount: 2, but spec.egress "
		  "and spec.ingress hold 1 peers" },
		{ NULL, NULL, 0, "spec.entryCount: 0 is not in" },
	};
	json_object *good, *bad, *items[2], *l;
	const struct index_note *n = NULL;
	struct index *idx;
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		good = fixture();
		bad = profile_of("shop", "Deployment", "checkout", "node-b",
		    cases[i].egress, cases[i].ingress, cases[i].count);
		json_object_object_add(json_object_object_get(bad, "metadata"),
		    "name", json_object_new_string("broken"));
		items[0] = bad;
		items[1] = good;
		l = list_of(items, 2);
		idx = load(l, "shop", 0);
		/* Nothing of the broken one: the good one's 9 flows. */
		assert_int_equal(index_nflows(idx), 9);
		for (j = 0; j < index_nnotes(idx); j++) {
			n = index_note(idx, j);
			if (strstr(n->text, "the TrafficProfile shop/broken "
			    "cannot be read (") != NULL)
				break;
		}
		if (j == index_nnotes(idx) || strstr(n->text, cases[i].why) ==
		    NULL)
			fail_msg("case %zu: %s", i, j < index_nnotes(idx) ?
			    n->text : "no note");
		assert_string_equal(n->namespace_, "shop");
		/* The skip, and the fixture's two peers without details. */
		assert_int_equal(index_nnotes(idx), 3);
		index_free(idx);
		json_object_put(l);
		json_object_put(good);
		json_object_put(bad);
	}
	/* Not an object at all; no spec. */
	items[0] = json_object_new_int(42);
	items[1] = fixture();
	json_object_object_del(items[1], "spec");
	l = list_of(items, 2);
	idx = load(l, NULL, 0);
	assert_int_equal(index_nflows(idx), 0);
	assert_int_equal(index_nnotes(idx), 2);
	assert_null(index_note(idx, 0)->namespace_);
	assert_non_null(strstr(index_note(idx, 0)->text, "(no name) cannot be "
	    "read (not an object)"));
	assert_non_null(strstr(index_note(idx, 1)->text, "(spec: missing)"));
	index_free(idx);
	json_object_put(l);
	json_object_put(items[0]);
	json_object_put(items[1]);
	/* The form before egress and ingress: the node to upgrade. */
	items[0] = fixture();
	json_object_object_del(json_object_object_get(items[0], "spec"),
	    "egress");
	json_object_object_del(json_object_object_get(items[0], "spec"),
	    "ingress");
	json_object_object_add(json_object_object_get(items[0], "spec"),
	    "entries", json_tokener_parse("[{\"direction\":\"Egress\"}]"));
	l = list_of(items, 1);
	idx = load(l, NULL, 0);
	assert_int_equal(index_nnotes(idx), 1);
	assert_non_null(strstr(index_note(idx, 0)->text, "(spec.entries: the "
	    "form before spec.egress and spec.ingress, which this "
	    "netpol-record does not read: upgrade netpol-recorderd on node "
	    "node-a)"));
	index_free(idx);
	json_object_put(l);
	json_object_put(items[0]);
	/* A page that is no list at all is an error. */
	l = json_object_new_object();
	assert_null(load(l, NULL, -EINVAL));
	json_object_put(l);
}

/* What the profile says is missing, on its workload. */
static void
test_notes(void **state)
{
	json_object *o = fixture(), *spec, *l, *dns;
	const struct index_workload *w;
	struct index *idx;

	(void)state;
	spec = json_object_object_get(o, "spec");
	json_object_object_add(spec, "truncated", json_object_new_int(12));
	/* TCP 443 comes first; the DNS name is its first peer. */
	dns = json_object_object_get(json_object_array_get_idx(
	    json_object_object_get(json_object_array_get_idx(
	    json_object_object_get(spec, "egress"), 0), "peers"), 0), "dns");
	assert_non_null(dns);
	json_object_object_add(dns, "omittedAddresses", json_object_new_int(6));
	l = list_of(&o, 1);
	idx = load(l, "shop", 0);
	/* With the two of the peers without details, before them. */
	assert_int_equal(index_nnotes(idx), 4);
	assert_string_equal(index_note(idx, 2)->kind, "Deployment");
	assert_string_equal(index_note(idx, 2)->name, "checkout");
	assert_non_null(strstr(index_note(idx, 2)->text, "node node-a left "
	    "out 12 of its entries (publish.max_entries"));
	assert_non_null(strstr(index_note(idx, 3)->text, "node node-a left "
	    "out 6 addresses that DNS names led to"));
	w = index_find_workload(idx, "shop", "Deployment", "checkout");
	assert_true(index_note_applies(index_note(idx, 2), w));
	w = index_find_workload(idx, "shop", "Deployment", "cart");
	assert_false(index_note_applies(index_note(idx, 2), w));
	index_free(idx);
	json_object_put(l);
	json_object_put(o);
}

/* spec.dnsNames (the store's DNS answers for the peers' addresses):
 * those answered in the query's window, beside the flows' own names. */
static void
test_dns_names(void **state)
{
	struct source_query q = { .namespace_ = "shop", .direction = -1,
	    .since = 1714557000 };
	json_object *o = fixture(), *l;
	const struct index_workload *w;
	const char *text;
	struct source *src;
	struct index *idx = NULL;
	struct addr a;
	size_t first, n, len;
	char err[256];

	(void)state;
	json_object_object_add(json_object_object_get(o, "spec"), "dnsNames",
	    json_tokener_parse("[{\"address\":\"198.51.100.23\",\"names\":["
	    "{\"name\":\"cdn.example.com\",\"firstSeen\":1714557090,"
	    "\"lastSeen\":1714560990}]},{\"address\":\"203.0.113.7\","
	    "\"names\":[{\"name\":\"legacy.example.com\",\"firstSeen\":"
	    "1714550000,\"lastSeen\":1714550000}]}]"));
	l = list_of(&o, 1);
	text = json_object_to_json_string(l);
	len = strlen(text);
	assert_int_equal(tp_list_source_new(&text, &len, 1, &src), 0);
	assert_int_equal(index_load(&src, 1, &q, &idx, err, sizeof(err)), 0);
	w = index_find_workload(idx, "shop", "Deployment", "checkout");
	/* The flow's own name and the answer's. */
	assert_int_equal(addr_parse("198.51.100.23", &a), 0);
	n = index_dns_names(idx, w, &a, &first);
	assert_int_equal(n, 2);
	assert_string_equal(index_dns_name(idx, first), "cdn.example.com");
	assert_string_equal(index_dns_name(idx, first + 1), "pay.example.com");
	/* Answered before the window: not fed. */
	assert_int_equal(addr_parse("203.0.113.7", &a), 0);
	assert_int_equal(index_dns_names(idx, w, &a, &first), 0);
	index_free(idx);
	source_free(src);
	json_object_put(l);
	json_object_put(o);
}

static void
test_names(void **state)
{
	json_object *doc, *cases, *c;
	char *buf, err[256], name[KNAME_OBJECT_LEN], lab[KNAME_LABEL_LEN];
	size_t i, len;

	(void)state;
	assert_non_null(buf = ut_slurp(
	    "tests/fixtures/k8s/trafficprofile-names.json", &len));
	assert_int_equal(yamljson_parse(buf, len, &doc, err, sizeof(err)), 0);
	free(buf);
	cases = json_object_object_get(json_object_array_get_idx(doc, 0),
	    "cases");
	assert_true(json_object_array_length(cases) >= 5);
	for (i = 0; i < json_object_array_length(cases); i++) {
		c = json_object_array_get_idx(cases, i);
#define S(k) json_object_get_string(json_object_object_get(c, k))
		kname_profile(S("kind"), S("name"), S("node"), name,
		    sizeof(name));
		assert_string_equal(name, S("objectName"));
		assert_string_equal(kname_label(S("name"), lab, sizeof(lab)),
		    S("workloadNameLabel"));
		assert_string_equal(kname_label(S("node"), lab, sizeof(lab)),
		    S("nodeLabel"));
#undef S
	}
	json_object_put(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture),
		cmocka_unit_test(test_peer_profiles),
		cmocka_unit_test(test_fetch_peers),
		cmocka_unit_test(test_merge_nodes),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_notes),
		cmocka_unit_test(test_dns_names),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
