/*
 * test_tpread: TrafficProfiles read back into the index
 * (cli/source/tpread.c): the fixture object of every peer kind, two
 * nodes' profiles of a workload merged as two stores are, a connection
 * seen from both ends kept as two flows, malformed items skipped whole
 * and noted, what a profile says is missing noted; and kname's names
 * (lib/kname.c) against tests/fixtures/k8s/trafficprofile-names.json.
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

static void
test_fixture(void **state)
{
	json_object *o = fixture(), *l = list_of(&o, 1), *v;
	const struct index_workload *w;
	const struct flow *f;
	struct addr a;
	struct index *idx;
	char buf[ADDR_STRLEN];

	(void)state;
	idx = load(l, "shop", 0);
	/* 8 entries, the DNS one with two addresses: 9 flows. */
	assert_int_equal(index_nflows(idx), 9);
	assert_non_null(w = index_find_workload(idx, "shop", "Deployment",
	    "checkout"));
	assert_true(w->subject);
	assert_int_equal(w->started_at, 1714557000);
	assert_true(json_object_object_get_ex(w->selector, "matchLabels", &v));
	assert_string_equal(json_object_get_string(json_object_object_get(v,
	    "app")), "checkout");
	assert_int_equal(json_object_array_length(w->ports), 1);
	/* Peers in the namespace are subjects too (as the store's are). */
	assert_non_null(w = index_find_workload(idx, "shop", "Deployment",
	    "frontend"));
	assert_true(json_object_object_get_ex(w->selector, "matchExpressions",
	    &v));
	assert_non_null(w = index_find_workload(idx, "kube-system",
	    "Deployment", "coredns"));
	assert_false(w->subject);

	assert_non_null(f = find_flow(idx, "checkout", FLOW_EGRESS, "cart",
	    IPPROTO_TCP, 8080));
	assert_string_equal(addr_format(&f->key.orig, buf, sizeof(buf)),
	    "198.18.100.10");
	assert_int_equal(f->key.orig_port, 80);
	assert_int_equal(f->count, 1234);
	assert_int_equal(f->first_seen, 1714557010);
	assert_non_null(f = find_flow(idx, "checkout", FLOW_EGRESS,
	    "2001:db8:40::23", IPPROTO_TCP, 443));
	assert_string_equal(f->dns_name, "pay.example.com");
	assert_int_equal(f->count, 2);
	assert_non_null(f = find_flow(idx, "checkout", FLOW_EGRESS,
	    "198.51.100.23", IPPROTO_TCP, 443));
	assert_int_equal(f->count, 40);
	assert_non_null(f = find_flow(idx, "checkout", FLOW_EGRESS,
	    "203.0.113.9", IPPROTO_ICMP, 0));
	assert_string_equal(f->dns_name, "");
	assert_non_null(f = find_flow(idx, "checkout", FLOW_INGRESS,
	    "198.18.0.10", IPPROTO_TCP, 8443));
	assert_int_equal(f->key.peer_kind, FLOW_PEER_NODE);
	assert_int_equal(addr_parse("198.18.0.10", &a), 0);
	assert_true(index_is_node_addr(idx, &a));
	assert_non_null(f = find_flow(idx, "checkout", FLOW_INGRESS, "?",
	    IPPROTO_UDP, 9999));
	assert_int_equal(f->key.peer_kind, FLOW_PEER_UNKNOWN);
	assert_int_equal(index_recording_started(idx), 1714550400);
	assert_int_equal(index_nnotes(idx), 0);
	index_free(idx);
	json_object_put(l);
	json_object_put(o);
}

/* A copy of the fixture as node's, with entries (JSON) instead. */
static json_object *
profile(const char *node, const char *entries)
{
	json_object *o = fixture(), *spec;

	spec = json_object_object_get(o, "spec");
	json_object_object_add(spec, "node", json_object_new_string(node));
	json_object_object_add(spec, "entries", json_tokener_parse(entries));
	assert_non_null(json_object_object_get(spec, "entries"));
	return o;
}

#define TO_CART "{\"direction\":\"Egress\",\"protocol\":\"TCP\",\"port\":8080," \
	"\"peer\":{\"workload\":{\"namespace\":\"shop\",\"kind\":\"Deployment\"," \
	"\"name\":\"cart\"}},"

static void
test_merge_nodes(void **state)
{
	json_object *p[3], *l;
	const struct flow *f;
	struct index *idx;
	int i;

	(void)state;
	p[0] = profile("node-a", "[" TO_CART "\"firstSeen\":100,\"lastSeen\":"
	    "200,\"count\":5}]");
	p[1] = profile("node-b", "[" TO_CART "\"firstSeen\":50,\"lastSeen\":"
	    "150,\"count\":7,\"bytes\":10}]");
	/* cart's own node saw the same connections as Ingress: cart's flows. */
	p[2] = profile("node-c", "[{\"direction\":\"Ingress\",\"protocol\":"
	    "\"TCP\",\"port\":8080,\"peer\":{\"workload\":{\"namespace\":"
	    "\"shop\",\"kind\":\"Deployment\",\"name\":\"checkout\"}},"
	    "\"firstSeen\":50,\"lastSeen\":200,\"count\":12}]");
	json_object_object_add(json_object_object_get(json_object_object_get(
	    p[2], "spec"), "workload"), "name", json_object_new_string("cart"));
	l = list_of(p, 3);
	idx = load(l, "shop", 0);
	assert_int_equal(index_nflows(idx), 2);
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

/* Each way an item can be broken: skipped whole, named in a note, never
 * fed; the good item beside it is read. */
static void
test_malformed(void **state)
{
	static const struct {
		const char *entries;	/* NULL: break spec instead */
		const char *why;
	} cases[] = {
		{ "[" TO_CART "\"firstSeen\":1,\"lastSeen\":2,\"count\":1},"
		  "{\"direction\":\"Sideways\",\"protocol\":\"TCP\",\"port\":1}]",
		  "spec.entries[1].direction: 'Sideways' is neither" },
		{ "[" TO_CART "\"firstSeen\":3,\"lastSeen\":2,\"count\":1}]",
		  "spec.entries[0].firstSeen: after lastSeen" },
		{ "[{\"direction\":\"Egress\",\"protocol\":\"TCP\",\"port\":"
		  "70000}]", "spec.entries[0].port: 70000 is not in 0..65535" },
		{ "[{\"direction\":\"Egress\",\"protocol\":\"TCP\",\"port\":1,"
		  "\"peer\":{\"address\":\"1.2.3.4\",\"unknown\":true}}]",
		  "spec.entries[0].peer: more than one" },
		{ "[{\"direction\":\"Ingress\",\"protocol\":\"TCP\",\"port\":1,"
		  "\"peer\":{\"dns\":{\"name\":\"a\",\"addresses\":[]}}}]",
		  "a DNS peer on an Ingress entry" },
		{ "[{\"direction\":\"Egress\",\"protocol\":\"TCP\",\"port\":1,"
		  "\"peer\":{\"address\":\"300.1.1.1\"},\"firstSeen\":1,"
		  "\"lastSeen\":1,\"count\":1}]",
		  "spec.entries[0].peer.address: not an IP address" },
		{ "\"many\"", "spec.entries: not a list" },
		{ "[42]", "spec.entries[0]: not an object" },
	};
	json_object *good, *bad, *items[2], *l;
	const struct index_note *n;
	struct index *idx;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		good = fixture();
		bad = profile("node-b", cases[i].entries);
		json_object_object_add(json_object_object_get(bad, "metadata"),
		    "name", json_object_new_string("broken"));
		items[0] = bad;
		items[1] = good;
		l = list_of(items, 2);
		idx = load(l, "shop", 0);
		/* Nothing of the broken one: the good one's 9 flows. */
		assert_int_equal(index_nflows(idx), 9);
		assert_int_equal(index_nnotes(idx), 1);
		n = index_note(idx, 0);
		assert_string_equal(n->namespace_, "shop");
		if (strstr(n->text, "the TrafficProfile shop/broken cannot be "
		    "read (") == NULL || strstr(n->text, cases[i].why) == NULL)
			fail_msg("case %zu: note \"%s\"", i, n->text);
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
	dns = json_object_object_get(json_object_object_get(
	    json_object_array_get_idx(json_object_object_get(spec, "entries"),
	    2), "peer"), "dns");
	json_object_object_add(dns, "omittedAddresses", json_object_new_int(6));
	l = list_of(&o, 1);
	idx = load(l, "shop", 0);
	assert_int_equal(index_nnotes(idx), 2);
	assert_string_equal(index_note(idx, 0)->kind, "Deployment");
	assert_string_equal(index_note(idx, 0)->name, "checkout");
	assert_non_null(strstr(index_note(idx, 0)->text, "node node-a left "
	    "out 12 of its entries (publish.max_entries"));
	assert_non_null(strstr(index_note(idx, 1)->text, "node node-a left "
	    "out 6 addresses that DNS names led to"));
	w = index_find_workload(idx, "shop", "Deployment", "checkout");
	assert_true(index_note_applies(index_note(idx, 0), w));
	w = index_find_workload(idx, "shop", "Deployment", "cart");
	assert_false(index_note_applies(index_note(idx, 0), w));
	index_free(idx);
	json_object_put(l);
	json_object_put(o);
}

/* spec.dnsNames (the store's DNS answers for the entries' addresses):
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
		cmocka_unit_test(test_merge_nodes),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_notes),
		cmocka_unit_test(test_dns_names),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
