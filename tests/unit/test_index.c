/* index: over store sources: scope, window, merging of several stores,
 * peers, counters, and what an unknown scope says. */
#include <errno.h>
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
#include "cli/source/knownservers.h"
#include "lib/store.h"
#include "tests/unit/ut_store.h"
#include "tests/unit/ut_world.h"

struct fx {
	char dir[64], a[128], b[128];
};

static int64_t
wl(struct store *st, const char *ns, const char *kind, const char *name,
    const char *sel, const char *labels, int64_t started)
{
	int64_t id = ut_store_workload(st, ns, kind, name, sel, labels, false,
	    started);

	assert_true(id > 0);
	return id;
}

static void
flow(struct store *st, int64_t s, int dir, int pk, int64_t peer,
    const char *addr, int port, const char *dns, int64_t first,
    int64_t last, uint64_t count)
{
	struct flow_key k;
	struct flow f;

	flow_key_init(&k);
	k.subject = s;
	k.direction = (uint8_t)dir;
	k.peer_kind = (uint8_t)pk;
	k.peer_wl = peer;
	if (addr != NULL && *addr != '\0')
		assert_int_equal(addr_parse(addr, &k.peer), 0);
	k.protocol = IPPROTO_TCP;
	k.port = (uint16_t)port;
	flow_init(&f, &k, first, count);
	f.last_seen = last;
	f.dns_name = dns ? dns : "";
	f.bytes = count * 10;
	assert_int_equal(store_flows_write(st, &f, 1), 0);
}

static void
dns(struct store_dns *d, int64_t attachment, const char *name,
    const char *addr, int64_t seen)
{
	d->attachment_id = attachment;
	snprintf(d->name, sizeof(d->name), "%s", name);
	assert_int_equal(addr_parse(addr, &d->addr), 0);
	d->ttl = 60;
	d->seen = seen;
}

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct store *st;
	struct addr node;
	struct store_known_server k = { .source = "s", .cidr = "203.0.113.0/24",
	    .server = "srv", .name = "n" };
	int64_t web, api, other, pod;

	assert_int_equal(ut_store_mkdtemp(fx->dir, sizeof(fx->dir),
	    "test_flowdb"), 0);
	snprintf(fx->a, sizeof(fx->a), "%s/a.db", fx->dir);
	snprintf(fx->b, sizeof(fx->b), "%s/b.db", fx->dir);

	/* Store a: ids are assigned in this order. */
	assert_int_equal(store_open(fx->a, 0, &st), 0);
	assert_int_equal(store_meta_set(st, "recording_started", "1000"), 0);
	assert_int_equal(store_counter_add(st, "events_lost", 3), 0);
	assert_int_equal(addr_parse("198.18.0.1", &node), 0);
	assert_int_equal(store_node_put(st, "n1", &node), 0);
	assert_int_equal(store_known_servers_replace(st, "s", &k, 1), 0);
	web = wl(st, "shop", "Deployment", "web",
	    "{\"matchLabels\":{\"app\":\"web\"}}", "{\"app\":\"web\"}", 500);
	api = wl(st, "shop", "Deployment", "api",
	    "{\"matchLabels\":{\"app\":\"api\"}}", "{\"app\":\"api\"}", 2000);
	other = wl(st, "other", "StatefulSet", "db",
	    "{\"matchLabels\":{\"app\":\"db\"}}", "{\"app\":\"db\"}", 0);
	pod = wl(st, "shop", "Pod", "debug", NULL,
	    "{\"run\":\"debug\",\"pod-template-hash\":\"x\"}", 3000);
	flow(st, web, FLOW_EGRESS, FLOW_PEER_WORKLOAD, api, NULL, 8080,
	    NULL, 2100, 5000, 2);
	flow(st, web, FLOW_EGRESS, FLOW_PEER_WORKLOAD, other, NULL, 5432,
	    NULL, 2100, 2200, 1);
	flow(st, web, FLOW_EGRESS, FLOW_PEER_ADDRESS, 0, "203.0.113.7", 443,
	    "old.example.", 1500, 1600, 1);
	flow(st, api, FLOW_INGRESS, FLOW_PEER_WORKLOAD, web, NULL, 8080,
	    NULL, 2100, 5000, 2);
	flow(st, other, FLOW_INGRESS, FLOW_PEER_WORKLOAD, web, NULL, 5432,
	    NULL, 2100, 2200, 1);
	flow(st, pod, FLOW_INGRESS, FLOW_PEER_NODE, 0, "198.18.0.1", 80,
	    NULL, 3100, 3200, 1);
	/* The answers web's pod and api's pod were given. */
	{
		struct store_attachment at;
		struct store_dns d[5];

		memset(&at, 0, sizeof(at));
		snprintf(at.container_id, sizeof(at.container_id), "cweb");
		snprintf(at.ifname, sizeof(at.ifname), "eth0");
		assert_int_equal(store_attachment_put(st, &at, 600), 0);
		assert_int_equal(store_attachment_set_workload(st, at.id, web),
		    0);
		memset(d, 0, sizeof(d));
		dns(&d[0], at.id, "alias.example.", "203.0.113.7", 1400);
		dns(&d[1], at.id, "old.example.", "203.0.113.7", 1450);
		/* Resolved, never reached: kept, asked for by address. */
		dns(&d[2], at.id, "unused.example.", "203.0.113.99", 1450);
		/* Answered after the window of test_dns_names. */
		dns(&d[3], at.id, "late.example.", "203.0.113.7", 9000);
		memset(&at, 0, sizeof(at));
		snprintf(at.container_id, sizeof(at.container_id), "capi");
		snprintf(at.ifname, sizeof(at.ifname), "eth0");
		assert_int_equal(store_attachment_put(st, &at, 600), 0);
		assert_int_equal(store_attachment_set_workload(st, at.id, api),
		    0);
		/* api's answer is not web's. */
		dns(&d[4], at.id, "api-only.example.", "203.0.113.7", 1400);
		assert_int_equal(store_dns_write(st, d, 5), 0);
	}
	/* A namespace only an attachment names (not attributed yet). */
	{
		struct store_attachment at;

		memset(&at, 0, sizeof(at));
		snprintf(at.container_id, sizeof(at.container_id), "c1");
		snprintf(at.ifname, sizeof(at.ifname), "eth0");
		snprintf(at.pod_namespace, sizeof(at.pod_namespace),
		    "attonly");
		snprintf(at.pod_name, sizeof(at.pod_name), "p");
		assert_int_equal(store_attachment_put(st, &at, 1200), 0);
	}
	store_close(st);

	/* Store b: the same web (another id), the same flow again. */
	assert_int_equal(store_open(fx->b, 0, &st), 0);
	assert_int_equal(store_meta_set(st, "recording_started", "900"), 0);
	assert_int_equal(store_counter_add(st, "events_lost", 4), 0);
	api = wl(st, "shop", "Deployment", "api",
	    "{\"matchLabels\":{\"app\":\"api\"}}", "{\"app\":\"api\"}", 0);
	web = wl(st, "shop", "Deployment", "web", NULL, NULL, 400);
	flow(st, web, FLOW_EGRESS, FLOW_PEER_WORKLOAD, api, NULL, 8080,
	    NULL, 1900, 6000, 5);
	flow(st, web, FLOW_EGRESS, FLOW_PEER_ADDRESS, 0, "203.0.113.7", 443,
	    "new.example.", 1400, 1700, 1);
	store_close(st);
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

static struct index *
load(struct fx *fx, size_t ndbs, const char *ns, const char *w,
    int64_t since, int64_t until, int dir, int want_rc)
{
	const char *dbs[2] = { fx->a, fx->b };
	char kind[64] = "", err[512];
	const char *slash = w ? strchr(w, '/') : NULL;
	struct source_query q = { .namespace_ = ns, .since = since,
	    .until = until, .direction = dir };
	struct index *idx;

	if (slash != NULL) {
		snprintf(kind, sizeof(kind), "%.*s", (int)(slash - w), w);
		q.kind = kind;
		q.name = slash + 1;
	}
	idx = ut_index_stores(dbs, ndbs, &q, err, sizeof(err));
	if (want_rc == 0 && idx == NULL)
		fail_msg("%s", err);
	if (want_rc != 0)
		assert_null(idx);
	return idx;
}

static void
test_scope_and_peers(void **state)
{
	struct fx *fx = *state;
	struct index *idx = load(fx, 1, "shop", NULL, 0, 0, -1, 0);
	const struct index_workload *w;
	const struct flow *f;
	json_object *ml, *v;
	size_t first, n, i;

	/* shop's three workloads are subjects; other/db only a peer. */
	assert_int_equal(index_nworkloads(idx), 4);
	w = index_workload(idx, 0);
	assert_string_equal(w->namespace_, "other");
	assert_false(w->subject);
	assert_int_equal(index_flows_of(idx, w, &first), 0);
	w = index_workload(idx, 1);
	assert_string_equal(w->name, "api");
	assert_true(w->subject);
	assert_false(w->predates_recording);	/* started 2000 > 1000 */
	w = index_workload(idx, 2);
	assert_string_equal(w->name, "web");
	assert_true(w->predates_recording);	/* started 500 < 1000 */
	n = index_flows_of(idx, w, &first);
	assert_int_equal(n, 3);
	for (i = first; i < first + n; i++) {
		f = index_flow(idx, i);
		assert_ptr_equal(index_subject(idx, f), w);
		assert_int_equal(f->key.direction, FLOW_EGRESS);
	}
	/* Sorted: workload peers (by index), then the address. */
	f = index_flow(idx, first);
	assert_string_equal(index_peer(idx, f)->name, "db");
	f = index_flow(idx, first + 2);
	assert_int_equal(f->key.peer_kind, FLOW_PEER_ADDRESS);
	assert_string_equal(f->dns_name, "old.example.");
	/* The bare pod's selector: its labels without per-pod ones. */
	w = index_find_workload(idx, "shop", "Pod", "debug");
	assert_non_null(w);
	assert_true(json_object_object_get_ex(w->selector, "matchLabels",
	    &ml));
	assert_int_equal(json_object_object_length(ml), 1);
	assert_true(json_object_object_get_ex(ml, "run", &v));
	assert_int_equal(index_flows_of(idx, w, &first), 1);
	f = index_flow(idx, first);
	assert_int_equal(f->key.peer_kind, FLOW_PEER_NODE);
	assert_true(index_is_node_addr(idx, &f->key.peer));
	assert_false(index_is_node_addr(idx, &index_flow(idx,
	    first - 1)->key.peer));
	assert_int_equal(index_counter(idx, "events_lost"), 3);
	assert_int_equal(index_recording_started(idx), 1000);
	assert_int_equal(index_since(idx), 1000);
	/* The end of the data: the daemon updated a counter later than the
	 * last flow (now, here). */
	assert_true(index_until(idx) > 5000);
	assert_int_equal(ks_count(index_known_servers(idx)), 1);
	assert_int_equal(index_nnamespaces(idx), 2);
	assert_string_equal(index_namespace(idx, 0), "other");
	index_free(idx);
}

static void
test_merge(void **state)
{
	struct fx *fx = *state;
	struct index *idx = load(fx, 2, "shop", "deployment/web", 0, 0,
	    FLOW_EGRESS, 0);
	const struct index_workload *w;
	const struct flow *f;
	size_t first, n;

	w = index_find_workload(idx, "shop", "Deployment", "web");
	assert_non_null(w);
	assert_true(w->subject);
	/* Selector from store a (b had none); earliest start of the two. */
	assert_non_null(w->selector);
	assert_int_equal(w->started_at, 400);
	assert_int_equal(index_recording_started(idx), 900);
	assert_int_equal(index_counter(idx, "events_lost"), 7);
	n = index_flows_of(idx, w, &first);
	assert_int_equal(n, 3);	/* api:8080 merged, db:5432, address:443 */
	f = index_flow(idx, first + 1);
	assert_string_equal(index_peer(idx, f)->name, "api");
	assert_int_equal(f->count, 7);
	assert_int_equal(f->bytes, 70);
	assert_int_equal(f->first_seen, 1900);
	assert_int_equal(f->last_seen, 6000);
	f = index_flow(idx, first + 2);
	/* The name of the newest flow. */
	assert_string_equal(f->dns_name, "new.example.");
	assert_int_equal(f->first_seen, 1400);
	assert_int_equal(w->first_seen, 1400);
	assert_int_equal(w->last_seen, 6000);
	/* api is loaded (peer) but not a subject of this query. */
	assert_false(index_find_workload(idx, "shop", "Deployment",
	    "api")->subject);
	index_free(idx);
}

static void
test_window_and_direction(void **state)
{
	struct fx *fx = *state;
	struct index *idx;

	/* Flows last seen before 2000 are out. */
	idx = load(fx, 1, "shop", "Deployment/web", 2000, 0, -1, 0);
	assert_int_equal(index_nflows(idx), 2);
	assert_int_equal(index_since(idx), 2000);
	index_free(idx);
	/* Flows first seen after 1550 are out. */
	idx = load(fx, 1, "shop", NULL, 0, 1550, -1, 0);
	assert_int_equal(index_nflows(idx), 1);
	assert_int_equal(index_until(idx), 1550);
	index_free(idx);
	idx = load(fx, 1, "shop", NULL, 0, 0, FLOW_INGRESS, 0);
	assert_int_equal(index_nflows(idx), 2);
	index_free(idx);
	/* All namespaces. */
	idx = load(fx, 1, NULL, NULL, 0, 0, -1, 0);
	assert_int_equal(index_nflows(idx), 6);
	assert_true(index_workload(idx, 0)->subject);
	index_free(idx);
}

static void
test_errors(void **state)
{
	struct fx *fx = *state;
	const char *dbs[1] = { "/nonexistent/none.db" };
	struct source_query q = { .namespace_ = "shop", .direction = -1 };
	struct index *idx;
	char err[512];

	assert_null(load(fx, 1, "nosuch", NULL, 0, 0, -1, -ENOENT));
	idx = load(fx, 1, "attonly", NULL, 0, 0, -1, 0);
	assert_int_equal(index_nflows(idx), 0);
	assert_int_equal(index_nworkloads(idx), 0);
	index_free(idx);
	assert_null(load(fx, 1, "shop", "Deployment/nosuch", 0, 0, -1,
	    -ENOENT));
	assert_null(ut_index_stores(dbs, 1, &q, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/none.db: no such store"));
	/* What to do: start the daemon, or say where the store is. */
	assert_non_null(strstr(err, "netpol-recorderd"));
	assert_non_null(strstr(err, "--db"));
	assert_non_null(strstr(err, "NETPOL_RECORD_DB"));
}

/* The names per (subject, address): every answer in the window, and the
 * flows' own names, each once, sorted; another workload's not. */
static void
test_dns_names(void **state)
{
	struct fx *fx = *state;
	struct index *idx = load(fx, 2, "shop", NULL, 0, 0, -1, 0);
	const struct index_workload *web, *api;
	struct addr a;
	size_t first, n;

	web = index_find_workload(idx, "shop", "Deployment", "web");
	api = index_find_workload(idx, "shop", "Deployment", "api");
	assert_int_equal(addr_parse("203.0.113.7", &a), 0);
	n = index_dns_names(idx, web, &a, &first);
	/* From store a's answers and flow, and store b's flow. */
	assert_int_equal(n, 4);
	assert_string_equal(index_dns_name(idx, first), "alias.example.");
	assert_string_equal(index_dns_name(idx, first + 1), "late.example.");
	assert_string_equal(index_dns_name(idx, first + 2), "new.example.");
	assert_string_equal(index_dns_name(idx, first + 3), "old.example.");
	n = index_dns_names(idx, api, &a, &first);
	assert_int_equal(n, 1);
	assert_string_equal(index_dns_name(idx, first), "api-only.example.");
	assert_int_equal(addr_parse("203.0.113.99", &a), 0);
	n = index_dns_names(idx, web, &a, &first);
	assert_int_equal(n, 1);
	assert_string_equal(index_dns_name(idx, first), "unused.example.");
	assert_int_equal(addr_parse("203.0.113.8", &a), 0);
	assert_int_equal(index_dns_names(idx, web, &a, &first), 0);
	assert_null(index_dns_name(idx, (size_t)-1));
	index_free(idx);

	/* The window: answers first seen after --until are not fed. */
	idx = load(fx, 1, "shop", "Deployment/web", 0, 2000, -1, 0);
	web = index_find_workload(idx, "shop", "Deployment", "web");
	assert_int_equal(addr_parse("203.0.113.7", &a), 0);
	n = index_dns_names(idx, web, &a, &first);
	assert_int_equal(n, 2);
	assert_string_equal(index_dns_name(idx, first), "alias.example.");
	assert_string_equal(index_dns_name(idx, first + 1), "old.example.");
	/* Outside the scope: api is only web's peer here, with no names. */
	api = index_find_workload(idx, "shop", "Deployment", "api");
	assert_int_equal(index_dns_names(idx, api, &a, &first), 0);
	index_free(idx);

	/* Ingress only: no names are read. */
	idx = load(fx, 1, "shop", NULL, 0, 0, FLOW_INGRESS, 0);
	web = index_find_workload(idx, "shop", "Deployment", "web");
	assert_int_equal(index_dns_names(idx, web, &a, &first), 0);
	index_free(idx);
}

/* The same from a source of another kind (not a store). */
static void
test_dns_names_world(void **state)
{
	struct ut_world *w = ut_world_new();
	struct index *idx;
	struct addr a;
	size_t first;
	int c, s;

	(void)state;
	assert_non_null(w);
	c = ut_world_workload(w, "ns", "Deployment", "c", "{}", NULL);
	s = ut_world_workload(w, "other", "Deployment", "s", "{}", NULL);
	ut_world_flow(w, c, FLOW_EGRESS, FLOW_PEER_ADDRESS, -1,
	    "2001:db8::1", IPPROTO_TCP, 443, 1, 10, 20)->dns_name = "b.test.";
	ut_world_dns(w, c, "2001:db8::1", "a.test.");
	ut_world_dns(w, c, "2001:db8::1", "b.test.");
	ut_world_dns(w, s, "2001:db8::1", "s.test.");
	idx = ut_world_index(w, &(struct source_query){ .namespace_ = "ns",
	    .direction = -1 });
	assert_non_null(idx);
	assert_int_equal(addr_parse("2001:db8::1", &a), 0);
	assert_int_equal(index_dns_names(idx, index_find_workload(idx, "ns",
	    "Deployment", "c"), &a, &first), 2);
	assert_string_equal(index_dns_name(idx, first), "a.test.");
	assert_string_equal(index_dns_name(idx, first + 1), "b.test.");
	index_free(idx);
	ut_world_free(w);
}

/* Workloads only named (reference_only): described once any source
 * describes them, the first details winning; one nobody describes is no
 * subject, even in the scope, and stays as its flows' peer. */
static void
test_references(void **state)
{
	struct source_query q = { .namespace_ = "shop", .direction = -1 };
	const struct index_workload *iw;
	struct ut_world *w = ut_world_new();
	struct index *idx;
	int c, r1, r2, r3, r3d;

	(void)state;
	assert_non_null(w);
	c = ut_world_workload(w, "shop", "Deployment", "c", "{\"app\":\"c\"}",
	    NULL);
	r1 = ut_world_workload(w, "shop", "Deployment", "r1", NULL, NULL);
	ut_world_reference(w, r1);
	r2 = ut_world_workload(w, "pay", "Deployment", "r2", NULL, NULL);
	ut_world_reference(w, r2);
	r3 = ut_world_workload(w, "shop", "Deployment", "r3", NULL, NULL);
	ut_world_reference(w, r3);
	r3d = ut_world_workload(w, "shop", "Deployment", "r3",
	    "{\"app\":\"r3\"}", NULL);
	ut_world_selector(w, r3d, "{\"matchLabels\":{\"app\":\"r3\"}}");
	ut_world_flow(w, c, FLOW_EGRESS, FLOW_PEER_WORKLOAD, r1, NULL,
	    IPPROTO_TCP, 80, 1, 10, 20);
	ut_world_flow(w, c, FLOW_EGRESS, FLOW_PEER_WORKLOAD, r2, NULL,
	    IPPROTO_TCP, 80, 1, 10, 20);
	ut_world_flow(w, c, FLOW_EGRESS, FLOW_PEER_WORKLOAD, r3, NULL,
	    IPPROTO_TCP, 80, 1, 10, 20);
	assert_non_null(idx = ut_world_index(w, &q));
	assert_int_equal(index_nworkloads(idx), 4);
	assert_int_equal(index_nflows(idx), 3);
	assert_non_null(iw = index_find_workload(idx, "shop", "Deployment",
	    "r1"));
	assert_false(iw->described);
	assert_false(iw->subject);
	assert_int_equal(json_object_object_length(iw->labels), 0);
	assert_non_null(iw = index_find_workload(idx, "pay", "Deployment",
	    "r2"));
	assert_false(iw->described);
	assert_non_null(iw = index_find_workload(idx, "shop", "Deployment",
	    "r3"));
	assert_true(iw->described);
	assert_true(iw->subject);
	assert_string_equal(ut_match_label(iw, "app"), "r3");
	assert_true(index_find_workload(idx, "shop", "Deployment",
	    "c")->described);
	index_free(idx);
	/* Not recorded, as far as the scope of one workload goes. */
	q.kind = "Deployment";
	q.name = "r1";
	assert_null(ut_world_index(w, &q));
	q.name = "r3";
	assert_non_null(idx = ut_world_index(w, &q));
	index_free(idx);
	ut_world_free(w);
}

/* An unknown namespace or workload names the closest recorded one. */
static void
test_did_you_mean(void **state)
{
	struct fx *fx = *state;
	const char *dbs[1] = { fx->a };
	struct source_query q = { .namespace_ = "shpo", .direction = -1 };
	char err[512];

	assert_null(ut_index_stores(dbs, 1, &q, err, sizeof(err)));
	assert_non_null(strstr(err, "namespace 'shpo': nothing was ever "
	    "recorded"));
	assert_non_null(strstr(err, "did you mean 'shop'?"));
	assert_non_null(strstr(err, "Recorded namespaces: other, shop"));
	q.namespace_ = "shop";
	q.kind = "Deployment";
	q.name = "wbe";
	assert_null(ut_index_stores(dbs, 1, &q, err, sizeof(err)));
	assert_non_null(strstr(err, "workload 'Deployment/wbe' in namespace "
	    "shop: not recorded; did you mean 'Deployment/web'?"));
	/* Nothing close: no guess, but what there is. */
	q.name = "zzzzzzzzzz";
	assert_null(ut_index_stores(dbs, 1, &q, err, sizeof(err)));
	assert_null(strstr(err, "did you mean"));
	assert_non_null(strstr(err, "Recorded workloads: Deployment/api, "
	    "Deployment/web, Pod/debug"));
}


/*
 * A workload whose first pod netpol-recorderd adopted (its attachment's
 * container id says so): it predates the recording although it started
 * after, it is observed from the adoption on, and the store's adopted
 * pods are counted (pods_adopted) beside the counters.
 */
static void
test_adopted(void **state)
{
	struct fx *fx = *state;
	struct store_attachment at;
	const struct index_workload *w;
	struct source_query q = { .namespace_ = "shop", .direction = -1 };
	struct store *st;
	struct index *idx;
	char db[128], err[256];
	const char *dbs[1] = { db };
	int64_t cache;
	bool counted = false;

	snprintf(db, sizeof(db), "%s/c.db", fx->dir);
	assert_int_equal(store_open(db, 0, &st), 0);
	assert_int_equal(store_meta_set(st, "recording_started", "1000"), 0);
	cache = wl(st, "shop", "Deployment", "cache",
	    "{\"matchLabels\":{\"app\":\"cache\"}}", "{\"app\":\"cache\"}",
	    2000);
	flow(st, cache, FLOW_INGRESS, FLOW_PEER_ADDRESS, 0, "198.18.9.9", 6379,
	    NULL, 4100, 5000, 3);
	memset(&at, 0, sizeof(at));
	snprintf(at.container_id, sizeof(at.container_id), "%suid-c",
	    STORE_ADOPTED_PREFIX);
	snprintf(at.ifname, sizeof(at.ifname), "%s", STORE_ADOPTED_IF);
	snprintf(at.pod_namespace, sizeof(at.pod_namespace), "shop");
	at.adopted = true;
	assert_int_equal(store_attachment_put(st, &at, 4000), 0);
	assert_int_equal(store_attachment_set_workload(st, at.id, cache), 0);
	store_close(st);

	idx = ut_index_stores(dbs, 1, &q, err, sizeof(err));
	if (idx == NULL)
		fail_msg("%s", err);
	assert_int_equal(index_nworkloads(idx), 1);
	w = index_workload(idx, 0);
	assert_string_equal(w->name, "cache");
	assert_true(w->predates_recording);
	assert_int_equal(w->observed_from, 4000);
	for (size_t i = 0; i < index_ncounters(idx); i++)
		if (strcmp(index_counter_name(idx, i), "pods_adopted") == 0) {
			assert_int_equal(index_counter_value(idx, i), 1);
			counted = true;
		}
	assert_true(counted);
	index_free(idx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_scope_and_peers, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_merge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_adopted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_and_direction,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dns_names, setup,
		    teardown),
		cmocka_unit_test(test_dns_names_world),
		cmocka_unit_test(test_references),
		cmocka_unit_test_setup_teardown(test_did_you_mean, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
