/*
 * attrib: recorded conntrack events (tests/fixtures/ct/) attributed to the
 * pods of a real store, in memory: egress and ingress sides, Service DNAT,
 * peers (pods, node, addresses), DNS names, pods without metadata
 * recorded as themselves, and merged into their owner once a metadata
 * file names it. What the store must learn goes through a batch written
 * by the writer (run inline), as in the daemon.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/netlink.h>
#include <netinet/in.h>

#include "lib/store.h"
#include "recorderd/attrib.h"
#include "recorderd/batch.h"
#include "recorderd/ct.h"
#include "recorderd/writer.h"
#include "tests/unit/ut_sql.h"
#include "tests/unit/ut_store.h"

struct t {
	char dir[64];
	char db[96];
	struct store *st;		/* the plugin's side: attachments */
	struct writer *w;
	struct attrib *at;
};

/* Read the attachments as the writer does; NULL-safe force. */
static int
reload(struct t *t, bool force)
{
	struct pods *p;

	writer_request_pods(t->w, force);
	if ((p = writer_take_pods(t->w)) == NULL)
		return 0;
	attrib_set_pods(t->at, p);
	return 1;
}

/* What attribution queued, written in one transaction. */
static void
flush(struct t *t)
{
	struct batch *b;

	assert_int_equal(batch_new(16, &b), 0);
	assert_int_equal(attrib_collect(t->at, b), 0);
	assert_int_equal(writer_submit(t->w, b), 0);
	assert_ptr_equal(writer_done(t->w), b);
	batch_free(b);
}

/* One integer of sql on the file; "?1" in sql stands for arg. */
static int64_t
q1(struct t *t, const char *sql, int64_t arg)
{
	char text[512], num[32];
	const char *at = strstr(sql, "?1");

	snprintf(num, sizeof(num), "%lld", (long long)arg);
	if (at == NULL)
		return ut_sql_int(t->db, sql);
	snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - sql), sql, num,
	    at + 2);
	return ut_sql_int(t->db, text);
}

/* The handle attribution gives (ns, kind, name); it must have one. */
static int64_t
handle(struct t *t, const char *ns, const char *kind, const char *name)
{
	int64_t h = wltab_find(attrib_wltab(t->at), ns, kind, name);

	assert_true(h > 0);
	return h;
}

static int64_t
put_pod(struct store *st, const char *cid, const char *ns, const char *name,
    const char *uid, const char *a4, const char *a6)
{
	struct store_attachment a;

	memset(&a, 0, sizeof(a));
	snprintf(a.container_id, sizeof(a.container_id), "%s", cid);
	snprintf(a.ifname, sizeof(a.ifname), "eth0");
	snprintf(a.pod_namespace, sizeof(a.pod_namespace), "%s", ns);
	snprintf(a.pod_name, sizeof(a.pod_name), "%s", name);
	snprintf(a.pod_uid, sizeof(a.pod_uid), "%s", uid);
	if (a4 != NULL)
		assert_int_equal(addr_cidr_parse(a4, &a.addrs[a.naddrs++]), 0);
	if (a6 != NULL)
		assert_int_equal(addr_cidr_parse(a6, &a.addrs[a.naddrs++]), 0);
	assert_int_equal(store_attachment_put(st, &a, 1000), 0);
	return a.id;
}

static int
setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));
	struct attrib_conf ac = { .dns_cache = 64 };

	assert_int_equal(ut_store_mkdtemp(t->dir, sizeof(t->dir),
	    "test_attrib"), 0);
	snprintf(t->db, sizeof(t->db), "%s/records.db", t->dir);
	assert_int_equal(store_open(t->db, 0, &t->st), 0);
	/* The pods of tests/fixtures/ct: a (client) and b (server). Host
	 * bits of the CIDRs are kept by addr_cidr_parse only as /32. */
	put_pod(t->st, "cid-a", "shop", "client-7d9f-x2", "uid-a",
	    "198.18.1.2/32", "2001:db8:1::2/128");
	put_pod(t->st, "cid-b", "shop", "backend-0", "uid-b",
	    "198.18.2.3/32", "2001:db8:2::3/128");
	assert_int_equal(writer_start(t->db, false, &t->w), 0);
	assert_int_equal(attrib_new(&ac, &t->at), 0);
	assert_int_equal(attrib_npods(t->at), 0);
	assert_int_equal(reload(t, true), 1);
	assert_int_equal(attrib_npods(t->at), 2);
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct t *t = *state;

	attrib_free(t->at);
	assert_int_equal(writer_stop(t->w, 1000, NULL), 0);
	store_close(t->st);
	assert_int_equal(ut_store_rmtree(t->dir), 0);
	ct_parse_cleanup();
	free(t);
	return 0;
}

/* The first NEW event of a fixture file. */
static void
first_new(const char *file, struct ct_event *ev)
{
	unsigned char buf[8192];
	char path[128];
	size_t len, off = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "tests/fixtures/ct/%s", file);
	assert_non_null(fp = fopen(path, "rb"));
	len = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	while (off + sizeof(struct nlmsghdr) <= len) {
		const struct nlmsghdr *nlh = (const void *)(buf + off);

		if (ct_event_parse(nlh, len - off, ev) == 0 &&
		    ev->type == CT_EV_NEW)
			return;
		off += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	fail_msg("no NEW event in %s", file);
}

/* The store's id of (ns, kind, name): the row must exist. */
static int64_t
workload(struct store *st, const char *ns, const char *kind, const char *name)
{
	struct store_workload w;
	int64_t id;

	memset(&w, 0, sizeof(w));
	assert_int_equal(store_workload_find(st, ns, kind, name, &w), 0);
	id = w.id;
	store_workload_clear(&w);
	return id;
}

static void
test_pod_to_pod(void **state)
{
	struct t *t = *state;
	struct attrib_side s[2];
	struct ct_event ev;
	int n;
	int64_t a = handle(t, "shop", "Pod", "client-7d9f-x2");
	int64_t b = handle(t, "shop", "Pod", "backend-0");

	first_new("tcp4.bin", &ev);
	assert_int_equal(attrib_event(t->at, &ev, s, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(s[0].key.subject, a);
	assert_int_equal(s[0].key.direction, FLOW_EGRESS);
	assert_int_equal(s[0].key.peer_kind, FLOW_PEER_WORKLOAD);
	assert_int_equal(s[0].key.peer_wl, b);
	assert_int_equal(s[0].key.port, 8080);
	assert_int_equal(s[0].key.protocol, IPPROTO_TCP);
	assert_int_equal(s[0].key.orig.family, 0);
	assert_int_equal(s[1].key.subject, b);
	assert_int_equal(s[1].key.direction, FLOW_INGRESS);
	assert_int_equal(s[1].key.peer_wl, a);
	assert_int_equal(s[1].key.port, 8080);

	/* IPv6 and UDP: the same two workloads. */
	first_new("udp6.bin", &ev);
	assert_int_equal(attrib_event(t->at, &ev, s, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(s[0].key.peer_wl, b);
	assert_int_equal(s[0].key.protocol, IPPROTO_UDP);
	assert_int_equal(s[0].key.port, 5353);

	/* SCTP over IPv6. */
	first_new("sctp6.bin", &ev);
	assert_int_equal(attrib_event(t->at, &ev, s, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(s[0].key.protocol, IPPROTO_SCTP);
	assert_int_equal(s[0].key.port, 3868);
	assert_int_equal(s[1].key.subject, b);

	/* ICMP: no port. */
	first_new("icmp4.bin", &ev);
	assert_int_equal(attrib_event(t->at, &ev, s, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(s[0].key.port, 0);
	assert_int_equal(s[0].key.protocol, IPPROTO_ICMP);
}

static void
test_service_dnat(void **state)
{
	struct t *t = *state;
	struct attrib_side s[2];
	struct ct_event ev;
	char buf[ADDR_STRLEN];
	int n;

	first_new("dnat4.bin", &ev);
	assert_int_equal(attrib_event(t->at, &ev, s, &n), 0);
	assert_int_equal(n, 2);
	for (int i = 0; i < 2; i++) {
		/* The backend's real port, the Service kept beside it. */
		assert_int_equal(s[i].key.port, 8080);
		assert_string_equal(addr_format(&s[i].key.orig, buf,
		    sizeof(buf)), "198.18.100.10");
		assert_int_equal(s[i].key.orig_port, 80);
	}
	assert_int_equal(s[1].key.direction, FLOW_INGRESS);
	assert_int_equal(s[1].key.subject,
	    handle(t, "shop", "Pod", "backend-0"));
}

static void
test_peers_and_dns(void **state)
{
	struct t *t = *state;
	struct attrib_side s[2];
	struct ct_event ev;
	struct dns_answers ans;
	struct addr node, pod_a;
	char buf[ADDR_STRLEN];
	int n;

	/* a -> external 203.0.113.10:443, after a DNS answer for it. */
	first_new("tcp4.bin", &ev);
	assert_int_equal(addr_parse("203.0.113.10", &ev.orig.dst), 0);
	ev.reply.src = ev.orig.dst;
	ev.orig.dport = ev.reply.sport = 443;
	assert_int_equal(attrib_event(t->at, &ev, s, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(s[0].key.peer_kind, FLOW_PEER_ADDRESS);
	assert_string_equal(addr_format(&s[0].key.peer, buf, sizeof(buf)),
	    "203.0.113.10");
	assert_null(s[0].dns_name);

	memset(&ans, 0, sizeof(ans));
	snprintf(ans.qname, sizeof(ans.qname), "api.example.test");
	ans.n = 1;
	assert_int_equal(addr_parse("203.0.113.10", &ans.a[0].addr), 0);
	ans.a[0].ttl = 30;
	assert_int_equal(addr_parse("198.18.1.2", &pod_a), 0);
	assert_int_equal(attrib_dns(t->at, &pod_a, &ans, time(NULL)), 1);
	/* An answer to an address that is no local pod is ignored. */
	assert_int_equal(attrib_dns(t->at, &ev.orig.dst, &ans, time(NULL)), 0);
	assert_int_equal(attrib_event(t->at, &ev, s, &n), 0);
	assert_non_null(s[0].dns_name);
	assert_string_equal(s[0].dns_name, "api.example.test");
	/* Nothing is written until a flush; then the answer is. */
	assert_int_equal(q1(t, "SELECT count(*) FROM dns_answers", 0), 0);
	flush(t);
	assert_int_equal(q1(t, "SELECT count(*) FROM dns_answers WHERE "
	    "name='api.example.test' AND addr='203.0.113.10'", 0), 1);

	/* The node's own address is a node peer. */
	assert_int_equal(addr_parse("198.18.0.1", &node), 0);
	attrib_add_node_addr(t->at, &node);
	ev.orig.dst = ev.reply.src = node;
	assert_int_equal(attrib_event(t->at, &ev, s, &n), 0);
	assert_int_equal(s[0].key.peer_kind, FLOW_PEER_NODE);

	/* Loopback: nothing. Unknown on both ends: try again later. */
	assert_int_equal(addr_parse("127.0.0.1", &ev.orig.dst), 0);
	ev.reply.src = ev.orig.dst;
	assert_int_equal(attrib_event(t->at, &ev, s, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(addr_parse("198.18.9.9", &ev.orig.src), 0);
	assert_int_equal(addr_parse("203.0.113.1", &ev.orig.dst), 0);
	ev.reply.src = ev.orig.dst;
	ev.reply.dst = ev.orig.src;
	assert_int_equal(attrib_event(t->at, &ev, s, &n), -EAGAIN);
}

static void
test_late_attachment_and_names(void **state)
{
	struct t *t = *state;
	struct attrib_side s[2];
	struct ct_event ev;
	int n;

	first_new("tcp4.bin", &ev);
	assert_int_equal(addr_parse("198.18.1.50", &ev.orig.src), 0);
	assert_int_equal(addr_parse("203.0.113.1", &ev.orig.dst), 0);
	ev.reply.src = ev.orig.dst;
	ev.reply.dst = ev.orig.src;
	assert_int_equal(attrib_event(t->at, &ev, s, &n), -EAGAIN);
	/* The plugin writes the attachment (podman: no namespace). */
	put_pod(t->st, "0123456789abcdef0123", "", "web", "",
	    "198.18.1.50/32", NULL);
	assert_int_equal(reload(t, false), 1);
	/* Read again only when the store changed. */
	assert_int_equal(reload(t, false), 0);
	assert_int_equal(attrib_event(t->at, &ev, s, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(s[0].key.subject,
	    handle(t, "default", "Pod", "web"));
	/* No name at all: the container id's first 12 characters. */
	put_pod(t->st, "fedcba9876543210fedc", "", "", "", "198.18.1.51/32",
	    NULL);
	assert_int_equal(reload(t, false), 1);
	(void)handle(t, "default", "Pod", "fedcba987654");
	/* The store learns the workloads and the attachments point at
	 * them with the next flush; our own write causes no reread. */
	flush(t);
	assert_int_equal(reload(t, false), 0);
	assert_int_equal(q1(t, "SELECT workload_id FROM attachments WHERE "
	    "container_id='fedcba9876543210fedc'", 0),
	    workload(t->st, "default", "Pod", "fedcba987654"));
	assert_int_equal(q1(t, "SELECT workload_id FROM attachments WHERE "
	    "pod_name='web'", 0), workload(t->st, "default", "Pod", "web"));
}

static const char meta_list[] =
"{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":["
"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
"\"client-7d9f-x2\",\"namespace\":\"shop\",\"uid\":\"uid-a\",\"labels\":"
"{\"app\":\"client\",\"pod-template-hash\":\"7d9f\"},\"ownerReferences\":"
"[{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":"
"\"client-7d9f\",\"uid\":\"rs-1\",\"controller\":true}]},\"spec\":"
"{\"nodeName\":\"node-1\"},\"status\":{\"phase\":\"Running\",\"podIP\":"
"\"198.18.1.2\",\"podIPs\":[{\"ip\":\"198.18.1.2\"}]}},"
"{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"metadata\":{\"name\":"
"\"client-7d9f\",\"namespace\":\"shop\",\"uid\":\"rs-1\",\"ownerReferences\":"
"[{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"name\":\"client\","
"\"uid\":\"d-1\",\"controller\":true}]},\"spec\":{\"selector\":"
"{\"matchLabels\":{\"app\":\"client\",\"pod-template-hash\":\"7d9f\"}}}},"
"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":"
"\"client\",\"namespace\":\"shop\",\"uid\":\"d-1\"},\"spec\":{\"selector\":"
"{\"matchLabels\":{\"app\":\"client\"}}}}]}";

static void
write_meta(struct t *t, const char *path, const char *text)
{
	FILE *fp;

	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
	(void)t;
}

/* The flow of a at 203.0.113.10:443 with subject subj. */
static void
a_flow(struct flow *f, int64_t subj, uint64_t count)
{
	struct flow_key k;

	flow_key_init(&k);
	k.subject = subj;
	k.peer_kind = FLOW_PEER_ADDRESS;
	assert_int_equal(addr_parse("203.0.113.10", &k.peer), 0);
	k.protocol = IPPROTO_TCP;
	k.port = 443;
	flow_init(f, &k, 1000, count);
}

static void
test_owner_merge(void **state)
{
	struct t *t = *state;
	struct attrib_conf ac = { .dns_cache = 64 };
	struct flow f;
	struct attrib_side s[2];
	struct ct_event ev;
	char path[128];
	int64_t self, deploy;
	int n;

	/* Recorded as the pod itself while no metadata was known. */
	flush(t);
	self = workload(t->st, "shop", "Pod", "client-7d9f-x2");
	a_flow(&f, self, 3);
	assert_int_equal(store_flows_write(t->st, &f, 1), 0);
	attrib_free(t->at);
	t->at = NULL;

	/* Restarted with a metadata file that names the owner: the pod is
	 * re-pointed in memory at once, the store follows with the flush. */
	snprintf(path, sizeof(path), "%s/meta.json", t->dir);
	write_meta(t, path, meta_list);
	ac.meta_file = path;
	assert_int_equal(attrib_new(&ac, &t->at), 0);
	assert_int_equal(reload(t, true), 1);
	first_new("tcp4.bin", &ev);
	assert_int_equal(attrib_event(t->at, &ev, s, &n), 0);
	assert_int_equal(s[0].key.subject,
	    handle(t, "shop", "Deployment", "client"));
	flush(t);
	deploy = workload(t->st, "shop", "Deployment", "client");
	/* What was recorded moved to the Deployment. */
	assert_int_equal(q1(t, "SELECT count FROM flows WHERE workload_id=?1 "
	    "AND port=443", deploy), 3);
	assert_int_equal(q1(t, "SELECT count(*) FROM flows WHERE "
	    "workload_id=?1", self), 0);
	assert_int_equal(q1(t, "SELECT count(*) FROM workloads WHERE id=?1",
	    self), 0);
	assert_int_equal(q1(t, "SELECT workload_id FROM attachments WHERE "
	    "pod_name='client-7d9f-x2'", 0), deploy);
	/* b has no metadata: still itself. */
	assert_int_equal(s[0].key.peer_wl,
	    handle(t, "shop", "Pod", "backend-0"));
}

/*
 * Metadata that arrives while running: flows aggregated against the bare
 * pod before it came, and written in the same flush as the merge, land
 * on the owner too (the batch writes flows, then merges).
 */
static void
test_owner_merge_running(void **state)
{
	struct t *t = *state;
	struct attrib_conf ac = { .dns_cache = 64 };
	struct attrib_side s[2];
	struct ct_event ev;
	struct batch *b;
	char path[128];
	int64_t h_self, deploy;
	int n;

	attrib_free(t->at);
	snprintf(path, sizeof(path), "%s/meta.json", t->dir);
	write_meta(t, path, "{\"apiVersion\":\"v1\",\"kind\":\"List\","
	    "\"items\":[]}");
	ac.meta_file = path;
	assert_int_equal(attrib_new(&ac, &t->at), 0);
	assert_int_equal(reload(t, true), 1);
	first_new("tcp4.bin", &ev);
	assert_int_equal(attrib_event(t->at, &ev, s, &n), 0);
	h_self = handle(t, "shop", "Pod", "client-7d9f-x2");
	assert_int_equal(s[0].key.subject, h_self);
	assert_int_equal(batch_new(16, &b), 0);
	assert_int_equal(agg_add(batch_agg(b), &s[0].key, NULL, 1000, 5, 0,
	    0), 0);

	/* The owner becomes known (a new file: another size and mtime). */
	write_meta(t, path, meta_list);
	assert_int_equal(attrib_meta_process(t->at), 1);
	assert_true(attrib_reattribute_needed(t->at));
	assert_int_equal(attrib_reattribute(t->at), 0);
	assert_false(attrib_reattribute_needed(t->at));
	assert_int_equal(attrib_event(t->at, &ev, s, &n), 0);
	assert_int_equal(s[0].key.subject,
	    handle(t, "shop", "Deployment", "client"));

	assert_int_equal(attrib_collect(t->at, b), 0);
	assert_int_equal(writer_submit(t->w, b), 0);
	assert_ptr_equal(writer_done(t->w), b);
	batch_free(b);
	deploy = workload(t->st, "shop", "Deployment", "client");
	assert_int_equal(q1(t, "SELECT sum(count) FROM flows WHERE "
	    "workload_id=?1 AND port=8080", deploy), 5);
	assert_int_equal(q1(t, "SELECT count(*) FROM workloads WHERE "
	    "kind='Pod' AND name='client-7d9f-x2'", 0), 0);
}


/* An attachment as the plugin hands it over: host address + prefix. */
static void
announced(struct store_attachment *a, const char *cid, const char *name,
    const char *ip, int prefix)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->container_id, sizeof(a->container_id), "%s", cid);
	snprintf(a->ifname, sizeof(a->ifname), "eth0");
	snprintf(a->pod_namespace, sizeof(a->pod_namespace), "shop");
	snprintf(a->pod_name, sizeof(a->pod_name), "%s", name);
	assert_int_equal(addr_parse(ip, &a->addrs[0].addr), 0);
	a->addrs[0].prefix = (uint8_t)prefix;
	a->naddrs = 1;
}

/* A TCP connection from src to b's 198.18.2.3:6379. */
static void
to_b(struct ct_event *ev, const char *src)
{
	first_new("tcp4.bin", ev);
	assert_int_equal(addr_parse(src, &ev->orig.src), 0);
	ev->reply.dst = ev->orig.src;
}

/*
 * A pod the plugin handed over is attributed at once, on both sides,
 * before the store has it; what it learns meanwhile (a DNS answer) waits
 * for its store id; once the store's table has it, the record takes
 * over, with its workload assigned. A pod forgotten (its DEL) is not
 * attributed any more, although the table still has it until the detach
 * is written.
 */
static void
test_announced(void **state)
{
	struct t *t = *state;
	struct store_attachment a;
	struct attrib_side s[2];
	struct ct_event ev;
	struct dns_answers ans;
	struct addr ip;
	int n;
	int64_t b = handle(t, "shop", "Pod", "backend-0"), c, id;

	to_b(&ev, "198.18.1.9");
	assert_int_equal(attrib_event(t->at, &ev, s, &n), 0);
	assert_int_equal(n, 1);			/* b's ingress only */
	announced(&a, "cid-c", "client-c", "198.18.1.9", 24);
	assert_int_equal(attrib_announce(t->at, &a), 0);
	assert_int_equal(attrib_npods(t->at), 3);
	c = handle(t, "shop", "Pod", "client-c");
	assert_int_equal(attrib_event(t->at, &ev, s, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(s[0].key.subject, c);
	assert_int_equal(s[0].key.direction, FLOW_EGRESS);
	assert_int_equal(s[0].key.peer_wl, b);
	assert_int_equal(s[1].key.subject, b);
	assert_int_equal(s[1].key.peer_kind, FLOW_PEER_WORKLOAD);
	assert_int_equal(s[1].key.peer_wl, c);

	/* Its DNS answer: remembered now, stored once it has an id. */
	memset(&ans, 0, sizeof(ans));
	snprintf(ans.qname, sizeof(ans.qname), "db.example.test");
	ans.n = 1;
	assert_int_equal(addr_parse("203.0.113.7", &ans.a[0].addr), 0);
	ans.a[0].ttl = 60;
	assert_int_equal(addr_parse("198.18.1.9", &ip), 0);
	assert_int_equal(attrib_dns(t->at, &ip, &ans, time(NULL)), 1);
	flush(t);
	assert_int_equal(q1(t, "SELECT count(*) FROM dns_answers", 0), 0);

	/* The writer writes it; the next table has it. */
	assert_int_equal(store_attachment_put(t->st, &a, 1000), 0);
	id = a.id;
	assert_int_equal(reload(t, true), 1);
	assert_int_equal(attrib_npods(t->at), 3);
	assert_int_equal(handle(t, "shop", "Pod", "client-c"), c);
	flush(t);
	assert_int_equal(q1(t, "SELECT count(*) FROM dns_answers WHERE "
	    "attachment_id=?1 AND name='db.example.test'", id), 1);
	assert_int_equal(q1(t, "SELECT workload_id FROM attachments WHERE "
	    "id=?1", id), workload(t->st, "shop", "Pod", "client-c"));
	ev.orig.dst = ev.reply.src = ans.a[0].addr;
	assert_int_equal(attrib_event(t->at, &ev, s, &n), 0);
	assert_string_equal(s[0].dns_name, "db.example.test");

	/* Its DEL: gone at once, though the table still has it. */
	attrib_forget(t->at, "cid-c", "eth0");
	assert_int_equal(attrib_npods(t->at), 2);
	to_b(&ev, "198.18.1.9");
	assert_int_equal(attrib_event(t->at, &ev, s, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(reload(t, true), 1);
	assert_int_equal(attrib_npods(t->at), 2);
	assert_int_equal(store_attachment_detach(t->st, "cid-c", "eth0",
	    1001), 0);
	assert_int_equal(reload(t, true), 1);
	assert_int_equal(attrib_npods(t->at), 2);
	/* Attached again under the same key: attributed again. */
	assert_int_equal(attrib_announce(t->at, &a), 0);
	assert_int_equal(attrib_npods(t->at), 3);
	assert_int_equal(attrib_event(t->at, &ev, s, &n), 0);
	assert_int_equal(n, 2);
}

/* The newest attachment wins an address: one announced over the
 * store's; gone again when forgotten before the store had it. */
static void
test_announced_wins(void **state)
{
	struct t *t = *state;
	struct store_attachment a;
	struct attrib_side s[2];
	struct ct_event ev;
	int n;

	to_b(&ev, "198.18.1.2");		/* a's address */
	announced(&a, "cid-d", "reuser", "198.18.1.2", 24);
	assert_int_equal(attrib_announce(t->at, &a), 0);
	assert_int_equal(attrib_event(t->at, &ev, s, &n), 0);
	assert_int_equal(s[0].key.subject, handle(t, "shop", "Pod", "reuser"));
	attrib_forget(t->at, "cid-d", "eth0");
	assert_int_equal(attrib_event(t->at, &ev, s, &n), 0);
	assert_int_equal(s[0].key.subject,
	    handle(t, "shop", "Pod", "client-7d9f-x2"));
	assert_int_equal(attrib_npods(t->at), 2);
}

/*
 * One end known and the other an unknown address in a known pod's
 * network (as its CNI gave it): held (-EINPROGRESS), it may be a pod
 * attached a moment ago. An address outside, or a node's, is not.
 */
static void
test_hold_maybe_local(void **state)
{
	struct t *t = *state;
	struct store_attachment a;
	struct attrib_side s[2];
	struct ct_event ev;
	struct addr node;
	int n;

	to_b(&ev, "198.18.3.77");
	assert_int_equal(attrib_event_hold(t->at, &ev, s, &n), 0);
	announced(&a, "cid-e", "e", "198.18.3.5", 24);
	assert_int_equal(attrib_announce(t->at, &a), 0);
	assert_int_equal(attrib_event_hold(t->at, &ev, s, &n), -EINPROGRESS);
	assert_int_equal(attrib_event(t->at, &ev, s, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(s[0].key.peer_kind, FLOW_PEER_ADDRESS);
	to_b(&ev, "203.0.113.77");
	assert_int_equal(attrib_event_hold(t->at, &ev, s, &n), 0);
	assert_int_equal(addr_parse("198.18.3.1", &node), 0);
	attrib_add_node_addr(t->at, &node);
	to_b(&ev, "198.18.3.1");
	assert_int_equal(attrib_event_hold(t->at, &ev, s, &n), 0);
	assert_int_equal(s[0].key.peer_kind, FLOW_PEER_NODE);
}

/*
 * A burst of pod starts and stops: 300 attachments announced one by one
 * (the provisional table grows and moves), every third forgotten, the
 * store's table then holding half of them: each pod is attributed to its
 * own workload all along, and the workloads of the pods still held are
 * the ones they had.
 */
static void
test_burst(void **state)
{
	struct t *t = *state;
	struct store_attachment a;
	struct attrib_side s[2];
	struct ct_event ev;
	char cid[32], name[32], ip[32];
	int n;

	for (int i = 0; i < 300; i++) {
		snprintf(cid, sizeof(cid), "burst-%d", i);
		snprintf(name, sizeof(name), "p-%d", i);
		snprintf(ip, sizeof(ip), "198.19.%d.%d", i / 250, i % 250 + 1);
		announced(&a, cid, name, ip, 16);
		assert_int_equal(attrib_announce(t->at, &a), 0);
		if (i % 3 == 2) {
			snprintf(cid, sizeof(cid), "burst-%d", i - 1);
			attrib_forget(t->at, cid, "eth0");
		}
		if (i % 50 == 49) {
			/* The store has the even ones still attached by
			 * now. */
			for (int j = i - 49; j <= i; j++) {
				if (j % 2 != 0 || j % 3 == 1)
					continue;
				snprintf(cid, sizeof(cid), "burst-%d", j);
				snprintf(name, sizeof(name), "p-%d", j);
				snprintf(ip, sizeof(ip), "198.19.%d.%d",
				    j / 250, j % 250 + 1);
				announced(&a, cid, name, ip, 16);
				assert_int_equal(store_attachment_put(t->st,
				    &a, 1000), 0);
			}
			assert_int_equal(reload(t, true), 1);
		}
	}
	for (int i = 0; i < 300; i++) {
		bool gone = i % 3 == 1;

		snprintf(ip, sizeof(ip), "198.19.%d.%d", i / 250, i % 250 + 1);
		to_b(&ev, ip);
		assert_int_equal(attrib_event(t->at, &ev, s, &n), 0);
		if (gone) {
			assert_int_equal(n, 1);
			continue;
		}
		snprintf(name, sizeof(name), "p-%d", i);
		assert_int_equal(n, 2);
		assert_int_equal(s[0].key.subject,
		    handle(t, "shop", "Pod", name));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pod_to_pod, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_service_dnat, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_peers_and_dns, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_late_attachment_and_names,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner_merge, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_announced, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_announced_wins, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_hold_maybe_local, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_burst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner_merge_running, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
