#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/store.h"
#include "tests/unit/ut_sql.h"
#include "tests/unit/ut_store.h"

struct fixture {
	char dir[64];
	char path[96];
	struct store *st;
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	if (ut_store_mkdtemp(fx->dir, sizeof(fx->dir), "test_store") != 0)
		return -1;
	/* A directory that does not exist yet: store_open makes it. */
	snprintf(fx->path, sizeof(fx->path), "%s/sub/records.db", fx->dir);
	if (store_open(fx->path, 0, &fx->st) < 0)
		return -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	store_close(fx->st);
	if (ut_store_rmtree(fx->dir) != 0)
		return -1;
	free(fx);
	return 0;
}

static void
make_attachment(struct store_attachment *a, const char *cid,
    const char *v4, const char *v6)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->container_id, sizeof(a->container_id), "%s", cid);
	snprintf(a->ifname, sizeof(a->ifname), "eth0");
	snprintf(a->pod_namespace, sizeof(a->pod_namespace), "shop");
	snprintf(a->pod_name, sizeof(a->pod_name), "pod-%s", cid);
	snprintf(a->netns, sizeof(a->netns), "/run/netns/%s", cid);
	snprintf(a->host_veth, sizeof(a->host_veth), "veth%s", cid);
	a->host_ifindex = 7;
	if (v4 != NULL)
		assert_int_equal(addr_cidr_parse(v4, &a->addrs[a->naddrs++]),
		    0);
	if (v6 != NULL)
		assert_int_equal(addr_cidr_parse(v6, &a->addrs[a->naddrs++]),
		    0);
	/* addr_cidr_parse clears host bits: put the host address back. */
	if (v4 != NULL) {
		char host[ADDR_STRLEN];

		snprintf(host, sizeof(host), "%.*s", (int)strcspn(v4, "/"), v4);
		assert_int_equal(addr_parse(host, &a->addrs[0].addr), 0);
	}
	if (v6 != NULL) {
		char host[ADDR_STRLEN];

		snprintf(host, sizeof(host), "%.*s", (int)strcspn(v6, "/"), v6);
		assert_int_equal(addr_parse(host,
		    &a->addrs[a->naddrs - 1].addr), 0);
	}
}

static void
test_schema_version(void **state)
{
	struct fixture *fx = *state;
	struct store *st2 = NULL;
	char sql[64];

	/* Reopening an up-to-date store migrates nothing. */
	assert_int_equal(store_open(fx->path, 0, &st2), 0);
	store_close(st2);
	/* A store written by a newer version is refused, not damaged. */
	snprintf(sql, sizeof(sql), "PRAGMA user_version=%d",
	    STORE_SCHEMA_VERSION + 1);
	assert_int_equal(ut_sql_exec(fx->path, sql), 0);
	assert_int_equal(store_open(fx->path, 0, &st2), -EPROTO);
	assert_null(st2);
	assert_int_equal(store_open("/nonexistent/x.db", STORE_OPEN_READONLY,
	    &st2), -ENOENT);
	assert_int_equal(store_check_integrity(fx->st), 0);
}

static void
test_attachment_lifecycle(void **state)
{
	struct fixture *fx = *state;
	struct store_attachment a, got;
	char buf[ADDR_STRLEN];

	make_attachment(&a, "c1", "198.18.1.2/24", "2001:db8:1::2/64");
	assert_int_equal(store_attachment_put(fx->st, &a, 100), 0);
	assert_true(a.id > 0);
	assert_int_equal(store_attachment_get(fx->st, "c1", "eth0", &got), 0);
	assert_int_equal(got.id, a.id);
	assert_string_equal(got.pod_name, "pod-c1");
	assert_string_equal(got.host_veth, "vethc1");
	assert_int_equal(got.naddrs, 2);
	assert_string_equal(addr_format(&got.addrs[0].addr, buf, sizeof(buf)),
	    "198.18.1.2");
	assert_int_equal(got.addrs[0].prefix, 24);
	assert_int_equal(got.attached_at, 100);
	assert_int_equal(got.detached_at, 0);

	/* A repeated ADD replaces, never duplicates. */
	assert_int_equal(store_attachment_put(fx->st, &a, 105), 0);
	assert_int_equal(store_attachment_get(fx->st, "c1", "eth0", &got), 0);
	assert_int_equal(got.id, a.id);
	assert_int_equal(got.naddrs, 2);
	assert_int_equal(got.attached_at, 100);

	assert_int_equal(store_attachment_get(fx->st, "c1", "eth1", &got),
	    -ENOENT);
	assert_int_equal(store_attachment_detach(fx->st, "c1", "eth0", 200),
	    0);
	assert_int_equal(store_attachment_detach(fx->st, "c1", "eth0", 201),
	    -EALREADY);
	assert_int_equal(store_attachment_detach(fx->st, "nope", "eth0", 201),
	    -ENOENT);
	/* History is kept: the row is still there, detached. */
	assert_int_equal(store_attachment_get(fx->st, "c1", "eth0", &got), 0);
	assert_int_equal(got.detached_at, 200);
	assert_int_equal(got.naddrs, 0);
}

static int
count_cb(const struct store_attachment *a, void *arg)
{
	(void)a;
	(*(int *)arg)++;
	return 0;
}

static void
test_address_history(void **state)
{
	struct fixture *fx = *state;
	struct store_attachment a, b, got;
	struct addr ip;
	int n;

	/* Pod a holds 198.18.1.5 from 100 to 200, then pod b gets it. */
	make_attachment(&a, "a", "198.18.1.5/24", NULL);
	assert_int_equal(store_attachment_put(fx->st, &a, 100), 0);
	assert_int_equal(store_attachment_detach(fx->st, "a", "eth0", 200), 0);
	make_attachment(&b, "b", "198.18.1.5/24", NULL);
	assert_int_equal(store_attachment_put(fx->st, &b, 300), 0);

	assert_int_equal(addr_parse("198.18.1.5", &ip), 0);
	assert_int_equal(store_address_lookup(fx->st, &ip, 150, &got), 0);
	assert_string_equal(got.container_id, "a");
	assert_int_equal(store_address_lookup(fx->st, &ip, 350, &got), 0);
	assert_string_equal(got.container_id, "b");
	assert_int_equal(store_address_lookup(fx->st, &ip, 250, &got),
	    -ENOENT);
	assert_int_equal(store_address_lookup(fx->st, &ip, 50, &got), -ENOENT);

	/* An address change on re-ADD closes the old one. */
	make_attachment(&b, "b", "198.18.1.6/24", NULL);
	assert_int_equal(store_attachment_put(fx->st, &b, 400), 0);
	assert_int_equal(store_address_lookup(fx->st, &ip, 450, &got),
	    -ENOENT);
	assert_int_equal(addr_parse("198.18.1.6", &ip), 0);
	assert_int_equal(store_address_lookup(fx->st, &ip, 450, &got), 0);
	assert_string_equal(got.container_id, "b");

	n = 0;
	assert_int_equal(store_attachment_foreach(fx->st, true, count_cb, &n),
	    0);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(store_attachment_foreach(fx->st, false, count_cb, &n),
	    0);
	assert_int_equal(n, 2);
}

/* Each attachment the walk gives must equal what store_attachment_get
 * reads for it (columns and open addresses, in order). */
struct walk {
	struct store *st;
	char ids[8][STORE_ID_LEN];
	int n, stop_at;
};

static int
walk_cb(const struct store_attachment *a, void *arg)
{
	struct walk *w = arg;
	struct store_attachment got;

	assert_int_equal(store_attachment_get(w->st, a->container_id,
	    a->ifname, &got), 0);
	assert_int_equal(a->id, got.id);
	assert_int_equal(a->detached_at, got.detached_at);
	assert_string_equal(a->host_veth, got.host_veth);
	assert_int_equal(a->naddrs, got.naddrs);
	for (int i = 0; i < a->naddrs; i++) {
		assert_true(addr_equal(&a->addrs[i].addr, &got.addrs[i].addr));
		assert_int_equal(a->addrs[i].prefix, got.addrs[i].prefix);
	}
	if (w->n < 8)
		snprintf(w->ids[w->n], sizeof(w->ids[0]), "%s",
		    a->container_id);
	w->n++;
	return w->n == w->stop_at ? 42 : 0;
}

static void
test_attachment_walk(void **state)
{
	struct fixture *fx = *state;
	struct store_attachment a;
	struct walk w = { .st = fx->st };

	/* Dual-stack, IPv4 only, no address (macvlan-like), one whose
	 * address changed (one open, one closed), one detached. */
	make_attachment(&a, "w1", "198.18.3.1/24", "2001:db8:3::1/64");
	assert_int_equal(store_attachment_put(fx->st, &a, 100), 0);
	make_attachment(&a, "w2", "198.18.3.2/24", NULL);
	assert_int_equal(store_attachment_put(fx->st, &a, 100), 0);
	make_attachment(&a, "w3", NULL, NULL);
	assert_int_equal(store_attachment_put(fx->st, &a, 100), 0);
	make_attachment(&a, "w4", "198.18.3.4/24", NULL);
	assert_int_equal(store_attachment_put(fx->st, &a, 100), 0);
	make_attachment(&a, "w4", "198.18.3.14/24", "2001:db8:3::14/64");
	assert_int_equal(store_attachment_put(fx->st, &a, 200), 0);
	make_attachment(&a, "w5", "198.18.3.5/24", NULL);
	assert_int_equal(store_attachment_put(fx->st, &a, 100), 0);
	assert_int_equal(store_attachment_detach(fx->st, "w5", "eth0", 300), 0);

	assert_int_equal(store_attachment_foreach(fx->st, true, walk_cb, &w),
	    0);
	assert_int_equal(w.n, 4);
	assert_string_equal(w.ids[0], "w1");
	assert_string_equal(w.ids[2], "w3");
	assert_string_equal(w.ids[3], "w4");
	w.n = 0;
	assert_int_equal(store_attachment_foreach(fx->st, false, walk_cb, &w),
	    0);
	assert_int_equal(w.n, 5);
	assert_string_equal(w.ids[4], "w5");
	/* A non-zero return stops the walk there and is returned. */
	w.n = 0;
	w.stop_at = 2;
	assert_int_equal(store_attachment_foreach(fx->st, false, walk_cb, &w),
	    42);
	assert_int_equal(w.n, 2);
}

static struct flow
flow(int64_t wl, int dir, int64_t peer, const char *addr, uint16_t port,
    uint64_t count, int64_t first, int64_t last)
{
	struct flow_key k;
	struct flow f;

	flow_key_init(&k);
	k.subject = wl;
	k.direction = (uint8_t)dir;
	k.peer_kind = peer != 0 ? FLOW_PEER_WORKLOAD : FLOW_PEER_ADDRESS;
	k.peer_wl = peer;
	if (*addr != '\0')
		assert_int_equal(addr_parse(addr, &k.peer), 0);
	k.protocol = IPPROTO_TCP;
	k.port = port;
	flow_init(&f, &k, first, count);
	f.last_seen = last;
	return f;
}

static int64_t
query_int(struct store *st, const char *sql)
{
	return ut_sql_int(store_path(st), sql);
}

static void
test_workloads_and_flows(void **state)
{
	struct fixture *fx = *state;
	struct store_workload w, pod, got;
	struct flow f[3];
	struct store_attachment a;
	int64_t deleted;

	memset(&w, 0, sizeof(w));
	snprintf(w.namespace_, sizeof(w.namespace_), "shop");
	snprintf(w.kind, sizeof(w.kind), "Deployment");
	snprintf(w.name, sizeof(w.name), "checkout");
	w.selector_json = (char *)"{\"matchLabels\":{\"app\":\"checkout\"}}";
	w.started_at = 50;
	assert_int_equal(store_workload_put(fx->st, &w), 0);
	assert_true(w.id > 0);
	memset(&pod, 0, sizeof(pod));
	snprintf(pod.namespace_, sizeof(pod.namespace_), "shop");
	snprintf(pod.kind, sizeof(pod.kind), "Pod");
	snprintf(pod.name, sizeof(pod.name), "checkout-7d9f-abcde");
	assert_int_equal(store_workload_put(fx->st, &pod), 0);
	assert_true(pod.id != w.id);

	/* NULL JSON leaves what is stored; started_at keeps the earliest. */
	w.selector_json = NULL;
	w.labels_json = (char *)"{\"app\":\"checkout\"}";
	w.started_at = 70;
	assert_int_equal(store_workload_put(fx->st, &w), 0);
	assert_int_equal(store_workload_find(fx->st, "shop", "Deployment",
	    "checkout", &got), 0);
	assert_int_equal(got.id, w.id);
	assert_string_equal(got.selector_json,
	    "{\"matchLabels\":{\"app\":\"checkout\"}}");
	assert_string_equal(got.labels_json, "{\"app\":\"checkout\"}");
	assert_null(got.ports_json);
	assert_int_equal(got.started_at, 50);
	store_workload_clear(&got);
	assert_int_equal(store_workload_find(fx->st, "shop", "Deployment",
	    "nope", &got), -ENOENT);

	/* Upserts add counts and widen the time window. */
	f[0] = flow(w.id, FLOW_EGRESS, 0, "203.0.113.10", 443, 3, 100, 110);
	f[1] = flow(w.id, FLOW_EGRESS, 0, "203.0.113.10", 443, 2, 90, 120);
	f[2] = flow(pod.id, FLOW_EGRESS, 0, "203.0.113.10", 443, 4, 80, 130);
	f[1].dns_name = "api.example.test";
	assert_int_equal(store_flows_write(fx->st, f, 3), 0);
	assert_int_equal(query_int(fx->st, "SELECT count(*) FROM flows"), 2);
	assert_int_equal(query_int(fx->st,
	    "SELECT count FROM flows WHERE workload_id=1"), 5);
	assert_int_equal(query_int(fx->st,
	    "SELECT first_seen FROM flows WHERE workload_id=1"), 90);
	assert_int_equal(query_int(fx->st,
	    "SELECT last_seen FROM flows WHERE workload_id=1"), 120);

	/* The pod turns out to be the Deployment's: everything moves and
	 * meets the existing row. */
	make_attachment(&a, "m1", "198.18.1.9/24", NULL);
	a.workload_id = pod.id;
	assert_int_equal(store_attachment_put(fx->st, &a, 10), 0);
	f[0] = flow(w.id, FLOW_INGRESS, pod.id, "", 8080, 1, 100, 100);
	assert_int_equal(store_flows_write(fx->st, f, 1), 0);
	assert_int_equal(store_workload_merge(fx->st, pod.id, w.id), 0);
	assert_int_equal(query_int(fx->st, "SELECT count(*) FROM flows"), 2);
	assert_int_equal(query_int(fx->st,
	    "SELECT count FROM flows WHERE direction=0"), 9);
	assert_int_equal(query_int(fx->st,
	    "SELECT first_seen FROM flows WHERE direction=0"), 80);
	assert_int_equal(query_int(fx->st,
	    "SELECT peer_workload_id FROM flows WHERE direction=1"), w.id);
	assert_int_equal(query_int(fx->st,
	    "SELECT workload_id FROM attachments WHERE container_id='m1'"),
	    w.id);
	assert_int_equal(store_workload_get(fx->st, pod.id, &got), -ENOENT);
	assert_int_equal(store_workload_merge(fx->st, w.id, w.id), -EINVAL);

	assert_int_equal(store_flows_prune(fx->st, 125, &deleted), 0);
	assert_int_equal(deleted, 1);
	assert_int_equal(query_int(fx->st, "SELECT count(*) FROM flows"), 1);
}

struct seen_rows {
	char uid[STORE_ID_LEN];
	int64_t deleted_at;
	int workloads, flows;
	int64_t gained[4][2];
	int ngained;
};

static int
all_wl_cb(const struct store_workload_row *r, void *arg)
{
	struct seen_rows *s = arg;

	if (strcmp(r->name, "checkout") == 0) {
		snprintf(s->uid, sizeof(s->uid), "%s", r->uid);
		s->deleted_at = r->deleted_at;
	}
	s->workloads++;
	return 0;
}

static int
flow_count_cb(const struct flow *f, void *arg)
{
	(void)f;
	((struct seen_rows *)arg)->flows++;
	return 0;
}

static int
gained_cb(int64_t wl, int64_t max_row, void *arg)
{
	struct seen_rows *s = arg;

	assert_true(s->ngained < 4);
	s->gained[s->ngained][0] = wl;
	s->gained[s->ngained++][1] = max_row;
	return 0;
}

/*
 * Schema 2: a store of schema 1 is migrated on open; a workload's uid
 * ("" keeps the stored one) and deleted_at (replaced) are kept; the
 * publisher's reads: all workloads, one workload's flows with the highest
 * row id, who gained rows, the end of the data.
 */
static void
test_publisher_reads(void **state)
{
	struct fixture *fx = *state;
	struct seen_rows s;
	struct store_workload w, other;
	struct store *st2 = NULL;
	struct flow f[3];
	char old[128];
	int64_t top, end, n;

	/* A schema 1 store (the columns removed) is brought to 2. */
	snprintf(old, sizeof(old), "%s/old.db", fx->dir);
	/* An empty file is an empty SQLite database. */
	fclose(fopen(old, "w"));
	assert_int_equal(ut_sql_exec(old, "CREATE TABLE workloads (id INTEGER"
	    " PRIMARY KEY, namespace TEXT NOT NULL, kind TEXT NOT NULL,"
	    " name TEXT NOT NULL, selector TEXT, labels TEXT, ports TEXT,"
	    " host_network INTEGER NOT NULL DEFAULT 0, started_at INTEGER NOT"
	    " NULL DEFAULT 0, UNIQUE (namespace, kind, name));"
	    " INSERT INTO workloads (namespace, kind, name) VALUES"
	    " ('shop', 'Deployment', 'web'); PRAGMA user_version=1;"), 0);
	assert_int_equal(ut_sql_exec(old, "CREATE TABLE flows (id INTEGER)"),
	    0);
	assert_int_equal(store_open(old, STORE_OPEN_READONLY, &st2), -EPROTO);
	assert_int_equal(store_open(old, 0, &st2), 0);
	store_close(st2);
	assert_int_equal(ut_sql_int(old, "PRAGMA user_version"), 2);
	assert_int_equal(ut_sql_int(old, "SELECT count(*) FROM workloads"
	    " WHERE uid = '' AND deleted_at = 0"), 1);

	memset(&w, 0, sizeof(w));
	snprintf(w.namespace_, sizeof(w.namespace_), "shop");
	snprintf(w.kind, sizeof(w.kind), "Deployment");
	snprintf(w.name, sizeof(w.name), "checkout");
	snprintf(w.uid, sizeof(w.uid), "uid-1");
	assert_int_equal(store_workload_put(fx->st, &w), 0);
	w.uid[0] = '\0';
	w.deleted_at = 77;
	assert_int_equal(store_workload_put(fx->st, &w), 0);
	memset(&other, 0, sizeof(other));
	snprintf(other.namespace_, sizeof(other.namespace_), "shop");
	snprintf(other.kind, sizeof(other.kind), "Deployment");
	snprintf(other.name, sizeof(other.name), "cart");
	assert_int_equal(store_workload_put(fx->st, &other), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_read_all_workloads(fx->st, all_wl_cb, &s), 0);
	assert_int_equal(s.workloads, 2);
	assert_string_equal(s.uid, "uid-1");
	assert_int_equal(s.deleted_at, 77);

	assert_int_equal(store_read_gained(fx->st, 0, gained_cb, &s, &top),
	    0);
	assert_int_equal(s.ngained, 0);
	assert_int_equal(top, 0);
	f[0] = flow(w.id, FLOW_EGRESS, 0, "203.0.113.10", 443, 1, 100, 110);
	f[1] = flow(w.id, FLOW_EGRESS, other.id, "", 8080, 1, 100, 140);
	f[2] = flow(other.id, FLOW_INGRESS, w.id, "", 8080, 1, 100, 140);
	assert_int_equal(store_flows_write(fx->st, f, 3), 0);
	assert_int_equal(store_read_gained(fx->st, 0, gained_cb, &s, &top),
	    0);
	assert_int_equal(s.ngained, 2);
	assert_int_equal(s.gained[0][0], w.id);
	assert_int_equal(s.gained[1][0], other.id);
	assert_int_equal(top, 3);
	/* An update keeps its row: nobody gained. */
	f[0].last_seen = 150;
	assert_int_equal(store_flows_write(fx->st, f, 1), 0);
	s.ngained = 0;
	assert_int_equal(store_read_gained(fx->st, top, gained_cb, &s, &top),
	    0);
	assert_int_equal(s.ngained, 0);
	assert_int_equal(top, 3);
	assert_int_equal(store_read_flows_of(fx->st, w.id, flow_count_cb, &s,
	    &top), 0);
	assert_int_equal(s.flows, 2);
	assert_int_equal(top, 2);

	/* The data ends with the newest flow, or a later counter update. */
	assert_int_equal(store_read_data_end(fx->st, &end), 0);
	assert_int_equal(end, 150);
	assert_int_equal(store_counter_add(fx->st, "events_seen", 1), 0);
	assert_int_equal(store_read_data_end(fx->st, &end), 0);
	assert_true(end > 150);
	assert_int_equal(store_count_attached_before(fx->st, 1000, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_read_begin(fx->st), 0);
	assert_int_equal(store_read_end(fx->st), 0);
}

static int
ks_collect(const struct store_known_server *ks, void *arg)
{
	char *out = arg;

	strcat(out, ks->source);
	strcat(out, ":");
	strcat(out, ks->cidr);
	strcat(out, ";");
	return 0;
}

static int
cnt_cb(const char *name, int64_t value, int64_t updated_at, void *arg)
{
	(void)updated_at;
	if (strcmp(name, "events_seen") == 0)
		*(int64_t *)arg = value;
	return 0;
}

static void
test_known_servers_counters_meta(void **state)
{
	struct fixture *fx = *state;
	struct store_known_server ks[2];
	char out[256] = "", buf[8];
	int64_t v = 0;

	memset(ks, 0, sizeof(ks));
	snprintf(ks[0].cidr, sizeof(ks[0].cidr), "198.51.100.0/24");
	snprintf(ks[1].cidr, sizeof(ks[1].cidr), "2001:db8:40::/48");
	assert_int_equal(store_known_servers_replace(fx->st, "payments", ks, 2),
	    0);
	/* Importing the same document again replaces it. */
	assert_int_equal(store_known_servers_replace(fx->st, "payments", ks, 1),
	    0);
	assert_int_equal(store_known_servers_foreach(fx->st, ks_collect, out),
	    0);
	assert_string_equal(out, "payments:198.51.100.0/24;");
	assert_int_equal(store_known_servers_delete(fx->st, "payments"), 0);
	assert_int_equal(store_known_servers_delete(fx->st, "payments"),
	    -ENOENT);

	assert_int_equal(store_counter_get(fx->st, "events_seen", &v), -ENOENT);
	assert_int_equal(store_counter_add(fx->st, "events_seen", 5), 0);
	assert_int_equal(store_counter_add(fx->st, "events_seen", 7), 0);
	assert_int_equal(store_counter_get(fx->st, "events_seen", &v), 0);
	assert_int_equal(v, 12);
	v = 0;
	assert_int_equal(store_counter_foreach(fx->st, cnt_cb, &v), 0);
	assert_int_equal(v, 12);

	assert_int_equal(store_meta_set(fx->st, "recording_started", "1700"), 0);
	assert_int_equal(store_meta_get(fx->st, "recording_started", buf,
	    sizeof(buf)), 0);
	assert_string_equal(buf, "1700");
	assert_int_equal(store_meta_get(fx->st, "nope", buf, sizeof(buf)),
	    -ENOENT);
	assert_int_equal(store_meta_set(fx->st, "long", "123456789"), 0);
	assert_int_equal(store_meta_get(fx->st, "long", buf, sizeof(buf)),
	    -ENOSPC);
}

/*
 * Many processes open a brand-new store at once and each writes its
 * attachment, as 50 concurrent CNI ADDs do: none fails with "database is
 * locked", the schema is created once, and every row is there.
 */
static void
test_concurrent_writers(void **state)
{
	struct fixture *fx = *state;
	char path[128];
	struct store *st;
	pid_t pids[24];
	int i, status, failed = 0;

	snprintf(path, sizeof(path), "%s/concurrent.db", fx->dir);
	for (i = 0; i < 24; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct store_attachment a;
			char cid[16];
			int rc;

			snprintf(cid, sizeof(cid), "c%d", i);
			make_attachment(&a, cid, "198.18.1.2/24", NULL);
			rc = store_open(path, 0, &st);
			if (rc == 0)
				rc = store_attachment_put(st, &a, 1);
			if (rc == 0)
				rc = store_counter_add(st, "adds", 1);
			store_close(st);
			_exit(rc == 0 ? 0 : 1);
		}
	}
	for (i = 0; i < 24; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed++;
	}
	assert_int_equal(failed, 0);
	assert_int_equal(store_open(path, STORE_OPEN_READONLY, &st), 0);
	assert_int_equal(query_int(st, "SELECT count(*) FROM attachments"), 24);
	assert_int_equal(query_int(st, "SELECT value FROM counters"), 24);
	assert_int_equal(query_int(st, "PRAGMA user_version"),
	    STORE_SCHEMA_VERSION);
	assert_int_equal(store_check_integrity(st), 0);
	store_close(st);
}

/* STORE_OPEN_NO_CKPT_ON_CLOSE: the last connection to close leaves the
 * WAL as it is; without it, the WAL is checkpointed and removed. */
static void
test_no_checkpoint_on_close(void **state)
{
	struct fixture *fx = *state;
	struct store_attachment a;
	struct stat sb;
	char wal[128];

	snprintf(wal, sizeof(wal), "%s-wal", fx->path);
	store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(stat(wal, &sb), -1);

	assert_int_equal(store_open(fx->path, STORE_OPEN_NO_CKPT_ON_CLOSE,
	    &fx->st), 0);
	make_attachment(&a, "c1", "198.18.0.5/24", NULL);
	assert_int_equal(store_attachment_put(fx->st, &a, 100), 0);
	store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(stat(wal, &sb), 0);
	assert_true(sb.st_size > 0);

	/* The next reader sees the row, from the WAL. */
	assert_int_equal(store_open(fx->path, 0, &fx->st), 0);
	assert_int_equal(store_attachment_get(fx->st, "c1", "eth0", &a), 0);
	store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(stat(wal, &sb), -1);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(flow_direction_name(FLOW_INGRESS), "ingress");
	assert_string_equal(flow_peer_kind_name(FLOW_PEER_NODE), "node");
	assert_string_equal(flow_protocol_name(IPPROTO_SCTP), "SCTP");
	assert_null(flow_protocol_name(250));
	assert_int_equal(flow_protocol_parse("udp"), IPPROTO_UDP);
	assert_int_equal(flow_protocol_parse("gre"), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_schema_version, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_attachment_lifecycle,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_attachment_walk, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_address_history, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_publisher_reads, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_workloads_and_flows,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_known_servers_counters_meta, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_writers, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_no_checkpoint_on_close,
		    setup, teardown),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
