/*
 * rec: whole message streams recorded from a real kernel
 * (tests/fixtures/ct/, tests/fixtures/dns/) replayed through the same
 * functions the event loop calls, into a real store: one connection is
 * counted once however many messages it has, DESTROY brings bytes, a dump
 * entry already seen as NEW is not counted again, unmarked connections
 * are ignored, events that arrive before their pod's attachment wait for
 * it, and DNS answers name the flows that follow. With the timestamp
 * extension on (the *_ts fixtures): a tuple and id the kernel reuses are
 * two connections, a dump counts only what no NEW event counted, and a
 * restart reads back what the last flush counted. Flushes go through the
 * writer (recorderd/writer.h) run inline, on a connection of its own: a
 * store locked by another connection keeps everything in memory (two
 * tables) and drops nothing until both are full.
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
#include <arpa/inet.h>
#include <endian.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>

#include <sqlite3.h>

#include "lib/store.h"
#include "recorderd/attrib.h"
#include "recorderd/batch.h"
#include "recorderd/connid.h"
#include "recorderd/ct.h"
#include "recorderd/rec.h"
#include "recorderd/writer.h"
#include "tests/unit/ut_sql.h"
#include "tests/unit/ut_store.h"

#define MARK 0x00100000u

struct t {
	char dir[64];
	char db[128];
	struct store *st;		/* the plugin's side: attachments */
	sqlite3 *q;			/* the other process: holds the lock */
	struct writer *w;
	struct attrib *at;
	struct rec *rec;
};

/* The sink of the recorder: the writer run inline; a batch it wrote
 * comes back at once. */
static void
submit(void *arg, struct batch *b)
{
	struct t *t = arg;
	struct batch *done;

	assert_int_equal(writer_submit(t->w, b), 0);
	if ((done = writer_done(t->w)) != NULL)
		rec_batch_back(t->rec, done);
}

/* The event loop's reaction to the writer's eventfd, inline. */
static void
take_back(struct t *t)
{
	struct batch *b;

	if ((b = writer_done(t->w)) != NULL)
		rec_batch_back(t->rec, b);
}

static int
new_rec(struct t *t, uint32_t mark, uint32_t max_flows)
{
	struct rec_sink sink = { submit, t };

	return rec_new(t->at, &sink, mark, max_flows, &t->rec);
}

/* The attachments read again (as the writer does when the store
 * changed) and handed to attribution. */
static void
reload(struct t *t)
{
	struct pods *p;

	writer_request_pods(t->w, true);
	assert_non_null(p = writer_take_pods(t->w));
	attrib_set_pods(t->at, p);
}

static void
put_pod(struct store *st, const char *cid, const char *name,
    const char *a4, const char *a6)
{
	struct store_attachment a;

	memset(&a, 0, sizeof(a));
	snprintf(a.container_id, sizeof(a.container_id), "%s", cid);
	snprintf(a.ifname, sizeof(a.ifname), "eth0");
	snprintf(a.pod_namespace, sizeof(a.pod_namespace), "shop");
	snprintf(a.pod_name, sizeof(a.pod_name), "%s", name);
	assert_int_equal(addr_cidr_parse(a4, &a.addrs[a.naddrs++]), 0);
	if (a6 != NULL)
		assert_int_equal(addr_cidr_parse(a6, &a.addrs[a.naddrs++]), 0);
	assert_int_equal(store_attachment_put(st, &a, 1000), 0);
}

static int
setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));
	struct attrib_conf ac = { .dns_cache = 64 };

	assert_int_equal(ut_store_mkdtemp(t->dir, sizeof(t->dir), "test_rec"),
	    0);
	snprintf(t->db, sizeof(t->db), "%s/records.db", t->dir);
	assert_int_equal(store_open(t->db, 0, &t->st), 0);
	assert_int_equal(sqlite3_open(t->db, &t->q), SQLITE_OK);
	/* The client pod of the fixtures; the server is added per test. */
	put_pod(t->st, "cid-a", "client", "198.18.1.2/32",
	    "2001:db8:1::2/128");
	assert_int_equal(writer_start(t->db, false, &t->w), 0);
	assert_int_equal(attrib_new(&ac, &t->at), 0);
	reload(t);
	assert_int_equal(new_rec(t, 0, 64), -EINVAL);
	assert_int_equal(new_rec(t, MARK, 64), 0);
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct t *t = *state;

	assert_int_equal(writer_stop(t->w, 1000, NULL), 0);
	rec_free(t->rec);
	attrib_free(t->at);
	store_close(t->st);
	sqlite3_close(t->q);
	assert_int_equal(ut_store_rmtree(t->dir), 0);
	ct_parse_cleanup();
	free(t);
	return 0;
}

static size_t
load(const char *path, unsigned char *buf, size_t len)
{
	FILE *fp;
	size_t n;

	assert_non_null(fp = fopen(path, "rb"));
	n = fread(buf, 1, len, fp);
	fclose(fp);
	return n;
}

/* Replay a fixture as the socket would hand it over: one message per
 * datagram, as the kernel sends events. */
static int
replay_ct(struct t *t, const char *name, bool dump)
{
	unsigned char buf[8192];
	char path[128];
	size_t len, off = 0;
	int entries = 0;
	bool done = false;

	snprintf(path, sizeof(path), "tests/fixtures/ct/%s", name);
	len = load(path, buf, sizeof(buf));
	while (off + sizeof(struct nlmsghdr) <= len) {
		const struct nlmsghdr *nlh = (const void *)(buf + off);

		entries += rec_ct_buf(t->rec, nlh, nlh->nlmsg_len, dump,
		    2000, &done);
		off += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	return entries;
}

static void
replay_nflog(struct t *t, const char *name)
{
	unsigned char buf[8192];
	char path[128];
	size_t len;

	snprintf(path, sizeof(path), "tests/fixtures/dns/%s", name);
	len = load(path, buf, sizeof(buf));
	/* All messages in one buffer this time: both shapes must work. */
	rec_nflog_buf(t->rec, buf, len, 7301, time(NULL));
}

static int64_t
q1(struct t *t, const char *sql)
{
	return ut_sql_int(t->db, sql);
}

/* Give the connection in message buf another conntrack id. */
static void
set_ct_id(unsigned char *buf, uint32_t id)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(attr) == CTA_ID)
			*(uint32_t *)mnl_attr_get_payload(attr) = htonl(id);
}

/* Set the CTA_TIMESTAMP_EVENT of a NEW event (ts_open.bin) or the start
 * in the CTA_TIMESTAMP of a dump entry (ts_dump.bin). */
static void
set_ts(unsigned char *buf, int64_t ns)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct nlattr *attr, *in;
	uint64_t v = htobe64((uint64_t)ns);

	mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(attr) == 27)
			memcpy(mnl_attr_get_payload(attr), &v, 8);
		if (mnl_attr_get_type(attr) != CTA_TIMESTAMP)
			continue;
		mnl_attr_for_each_nested(in, attr)
			if (mnl_attr_get_type(in) == CTA_TIMESTAMP_START)
				memcpy(mnl_attr_get_payload(in), &v, 8);
	}
}

/* The one message of fixture name, into msg (2048 bytes). */
static uint32_t
load_msg(const char *name, unsigned char *msg)
{
	char path[128];

	snprintf(path, sizeof(path), "tests/fixtures/ct/%s", name);
	load(path, msg, 2048);
	return ((struct nlmsghdr *)msg)->nlmsg_len;
}

/* Connection id, its NEW event stamped ns (ts_open.bin) or a dump entry
 * of it started at ns (ts_dump.bin), read at now_ns. */
static void
conn_msg(struct t *t, bool dump, uint32_t id, int64_t ns, int64_t now_ns)
{
	unsigned char m[2048];
	uint32_t len = load_msg(dump ? "ts_dump.bin" : "ts_open.bin", m);
	bool done = false;

	set_ct_id(m, id);
	set_ts(m, ns);
	rec_ct_read_at(t->rec, now_ns);
	assert_int_equal(rec_ct_buf(t->rec, m, len, dump, now_ns /
	    1000000000, &done), 1);
}

static void
conn_new(struct t *t, uint32_t id, int64_t ev_ns, int64_t now_ns)
{
	conn_msg(t, false, id, ev_ns, now_ns);
}

static void
conn_dumped(struct t *t, uint32_t id, int64_t start_ns, int64_t now_ns)
{
	conn_msg(t, true, id, start_ns, now_ns);
}

static int64_t
counted(struct t *t)
{
	return q1(t, "SELECT coalesce(sum(count), 0) FROM flows WHERE "
	    "direction=0 AND protocol=6 AND port=8080");
}

static void
test_stream_counts_and_bytes(void **state)
{
	struct t *t = *state;

	put_pod(t->st, "cid-b", "server", "198.18.2.3/32",
	    "2001:db8:2::3/128");
	reload(t);
	/* NEW, several UPDATEs, DESTROY with counters: one connection. */
	assert_int_equal(replay_ct(t, "tcp4.bin", false), 8);
	assert_int_equal(replay_ct(t, "udp6.bin", false), 3);
	assert_int_equal(replay_ct(t, "sctp4.bin", false), 2);
	assert_int_equal(replay_ct(t, "icmp6.bin", false), 3);
	/* Not marked: nothing. */
	assert_int_equal(replay_ct(t, "unmarked.bin", false), 2);
	assert_int_equal(rec_flush(t->rec, 2000), 0);

	assert_int_equal(q1(t, "SELECT count FROM flows WHERE "
	    "direction=0 AND protocol=6 AND port=8080"), 1);
	assert_int_equal(q1(t, "SELECT count FROM flows WHERE "
	    "direction=1 AND protocol=6 AND port=8080"), 1);
	assert_true(q1(t, "SELECT bytes FROM flows WHERE direction=0 AND "
	    "protocol=6") > 100);
	assert_true(q1(t, "SELECT packets FROM flows WHERE direction=0 "
	    "AND protocol=6") >= 5);
	assert_int_equal(q1(t, "SELECT count FROM flows WHERE "
	    "direction=0 AND protocol=17 AND port=5353"), 1);
	assert_int_equal(q1(t, "SELECT count FROM flows WHERE "
	    "direction=0 AND protocol=132 AND port=3868"), 1);
	assert_int_equal(q1(t, "SELECT count FROM flows WHERE "
	    "direction=0 AND protocol=58 AND port=0"), 1);
	/* Both sides of each of the 4 connections, nothing else. */
	assert_int_equal(q1(t, "SELECT count(*) FROM flows"), 8);
	/* Every marked message is an event seen (NEW, updates, DESTROY as
	 * recorded); the unmarked ones are not. */
	assert_int_equal(q1(t, "SELECT value FROM counters WHERE "
	    "name='events_seen'"), 8 + 3 + 2 + 3);
	assert_int_equal(q1(t, "SELECT value FROM counters WHERE "
	    "name='flows_written'"), 8);
	/* A second flush with nothing new writes nothing. */
	assert_int_equal(rec_flush(t->rec, 2001), 0);
	assert_int_equal(q1(t, "SELECT value FROM counters WHERE "
	    "name='flows_written'"), 8);
}

/*
 * The server pod of tests/fixtures/ct/tcp4.bin attached, and the NEW event
 * of its connection read at `when`: buf holds the fixture, msg (2048
 * bytes) the event, for the caller to replay as a dump entry.
 */
static void
tcp4_new(struct t *t, unsigned char *buf, size_t size, unsigned char *msg,
    int64_t when)
{
	bool done = false;

	put_pod(t->st, "cid-b", "server", "198.18.2.3/32", NULL);
	reload(t);
	load("tests/fixtures/ct/tcp4.bin", buf, size);
	memcpy(msg, buf, ((struct nlmsghdr *)buf)->nlmsg_len);
	assert_int_equal(rec_ct_buf(t->rec, msg,
	    ((struct nlmsghdr *)msg)->nlmsg_len, false, when, &done), 1);
}

static void
test_dump_after_new_counted_once(void **state)
{
	struct t *t = *state;
	unsigned char buf[8192], msg[2048];
	struct nlmsghdr *nlh = (struct nlmsghdr *)msg;
	bool done = false;

	/* The NEW event of tcp4... */
	tcp4_new(t, buf, sizeof(buf), msg, 2000);
	/* ...then the same connection listed by a resync dump (same id, no
	 * NLM_F_CREATE), followed by the end of the dump. */
	nlh->nlmsg_flags = NLM_F_MULTI;
	assert_int_equal(rec_ct_buf(t->rec, msg, nlh->nlmsg_len, true, 2001,
	    &done), 1);
	assert_false(done);
	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_len = NLMSG_HDRLEN;
	assert_int_equal(rec_ct_buf(t->rec, msg, nlh->nlmsg_len, true, 2001,
	    &done), 0);
	assert_true(done);
	/* The other order: a connection listed by the dump before its
	 * queued NEW event is read. Counted once too. */
	memcpy(msg, buf, ((struct nlmsghdr *)buf)->nlmsg_len);
	set_ct_id(msg, 777);
	nlh->nlmsg_flags = NLM_F_MULTI;
	assert_int_equal(rec_ct_buf(t->rec, msg, nlh->nlmsg_len, true, 2001,
	    &done), 1);
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	assert_int_equal(rec_ct_buf(t->rec, msg, nlh->nlmsg_len, false, 2001,
	    &done), 1);
	/* A dump entry never seen before counts. */
	assert_int_equal(replay_ct(t, "dump_marked.bin", true), 1);
	assert_int_equal(rec_flush(t->rec, 2002), 0);
	assert_int_equal(q1(t, "SELECT sum(count) FROM flows WHERE "
	    "direction=0 AND protocol=6 AND port=8080"), 3);
}

/*
 * A long-lived connection: a later dump lists it as still open, and its
 * flow's last_seen moves to the dump's time (both sides), while its count
 * and first_seen stay: retention and --since must not judge it by its
 * start alone.
 */
static void
test_dump_refreshes_last_seen(void **state)
{
	struct t *t = *state;
	unsigned char buf[8192], msg[2048];
	struct nlmsghdr *nlh = (struct nlmsghdr *)msg;
	bool done = false;

	tcp4_new(t, buf, sizeof(buf), msg, 2000);
	assert_int_equal(rec_flush(t->rec, 2000), 0);
	assert_int_equal(q1(t, "SELECT max(last_seen) FROM flows WHERE "
	    "protocol=6 AND port=8080"), 2000);

	/* Ten minutes later the refresh dump lists it. */
	nlh->nlmsg_flags = NLM_F_MULTI;
	assert_int_equal(rec_ct_buf(t->rec, msg, nlh->nlmsg_len, true, 2600,
	    &done), 1);
	assert_int_equal(rec_flush(t->rec, 2600), 0);
	assert_int_equal(q1(t, "SELECT count(*) FROM flows WHERE "
	    "protocol=6 AND port=8080 AND last_seen=2600 AND "
	    "first_seen=2000"), q1(t, "SELECT count(*) FROM flows WHERE "
	    "protocol=6 AND port=8080"));
	assert_int_equal(q1(t, "SELECT sum(count) FROM flows WHERE "
	    "protocol=6 AND port=8080"), q1(t, "SELECT count(*) FROM "
	    "flows WHERE protocol=6 AND port=8080"));
}

/*
 * After a restart under load the daemon resynchronises with repeated
 * dumps of every open connection: 60,000 connections (ids as random as
 * the kernel's hashed ids) listed by six dumps are each counted once.
 * The 8-way id table this replaced forgot ids in overflowing buckets and
 * counted them again on every dump.
 */
static void
test_repeated_dumps_counted_once(void **state)
{
	struct t *t = *state;
	unsigned char buf[8192];
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	uint32_t x;
	bool done = false;
	int n = 60000;

	put_pod(t->st, "cid-b", "server", "198.18.2.3/32", NULL);
	reload(t);
	load("tests/fixtures/ct/dump_marked.bin", buf, sizeof(buf));
	for (int pass = 0; pass < 6; pass++) {
		x = 2463534242u;	/* xorshift32: the same ids each pass */
		for (int i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			set_ct_id(buf, x);
			assert_int_equal(rec_ct_buf(t->rec, buf,
			    nlh->nlmsg_len, true, 2000 + pass, &done), 1);
		}
	}
	assert_int_equal(rec_flush(t->rec, 2010), 0);
	assert_int_equal(q1(t, "SELECT sum(count) FROM flows WHERE "
	    "direction=0"), n);
	assert_int_equal(q1(t, "SELECT sum(count) FROM flows WHERE "
	    "direction=1"), n);
}

/* Conntrack ids are 32-bit hashes: two open connections may share one.
 * Both are counted (the id and the tuple tell them apart). */
static void
test_same_id_two_connections(void **state)
{
	struct t *t = *state;
	unsigned char a[8192], b[8192];
	uint32_t alen, blen;
	bool done = false;

	put_pod(t->st, "cid-b", "server", "198.18.2.3/32",
	    "2001:db8:2::3/128");
	reload(t);
	load("tests/fixtures/ct/tcp4.bin", a, sizeof(a));
	load("tests/fixtures/ct/udp6.bin", b, sizeof(b));
	set_ct_id(a, 4242);
	set_ct_id(b, 4242);
	alen = ((struct nlmsghdr *)a)->nlmsg_len;
	blen = ((struct nlmsghdr *)b)->nlmsg_len;
	assert_int_equal(rec_ct_buf(t->rec, a, alen, false, 2000, &done), 1);
	assert_int_equal(rec_ct_buf(t->rec, b, blen, false, 2000, &done), 1);
	/* The same two again in a dump: already counted. */
	assert_int_equal(rec_ct_buf(t->rec, a, alen, true, 2001, &done), 1);
	assert_int_equal(rec_ct_buf(t->rec, b, blen, true, 2001, &done), 1);
	assert_int_equal(rec_flush(t->rec, 2002), 0);
	assert_int_equal(q1(t, "SELECT sum(count) FROM flows WHERE "
	    "direction=0 AND protocol=6"), 1);
	assert_int_equal(q1(t, "SELECT sum(count) FROM flows WHERE "
	    "direction=0 AND protocol=17"), 1);
}

/*
 * Recorded from the kernel: the same short connection made twice from one
 * source port, 8.5 ms apart; the kernel gave the second the tuple AND the
 * conntrack id of the first. Two NEW events: two connections, both
 * sides. (An id-and-tuple table took the second for the first.)
 */
static void
test_reused_tuple_counted_twice(void **state)
{
	struct t *t = *state;

	put_pod(t->st, "cid-b", "server", "198.18.2.3/32", NULL);
	reload(t);
	assert_int_equal(replay_ct(t, "tcp4_reuse_ts.bin", false), 16);
	/* And the same events once more, as a later pair (other ids). */
	assert_int_equal(rec_flush(t->rec, 2000), 0);
	assert_int_equal(counted(t), 2);
	assert_int_equal(q1(t, "SELECT sum(count) FROM flows WHERE "
	    "direction=1 AND protocol=6 AND port=8080"), 2);
	assert_int_equal(q1(t, "SELECT value FROM counters WHERE "
	    "name='events_seen'"), 16);
}

/*
 * A NEW event and a dump entry of one connection (recorded: the event's
 * timestamp and the dump's start are 11 us apart), in either order, count
 * once; a connection with the same id and tuple that started later counts
 * again, listed first by a dump or not.
 */
static void
test_dump_and_event_with_timestamps(void **state)
{
	struct t *t = *state;
	unsigned char m[2048], d[2048];
	uint32_t mlen, dlen;
	bool done = false;
	int64_t s;

	put_pod(t->st, "cid-b", "server", "198.18.2.3/32", NULL);
	reload(t);
	mlen = load_msg("ts_open.bin", m);
	dlen = load_msg("ts_dump.bin", d);
	assert_int_equal(rec_ct_buf(t->rec, m, mlen, false, 2000, &done), 1);
	assert_int_equal(rec_ct_buf(t->rec, d, dlen, true, 2000, &done), 1);
	assert_int_equal(rec_flush(t->rec, 2000), 0);
	assert_int_equal(counted(t), 1);
	/* The recorded start, for the same connection made again. */
	{
		struct ct_event ev;

		assert_int_equal(ct_event_parse(d, dlen, &ev), 0);
		s = ev.start_ns;
	}
	/* Again 20 ms later: the dump is read before its NEW event. */
	conn_dumped(t, 42, s + 20000000, s + 30000000);
	conn_new(t, 42, s + 19990000, s + 31000000);
	/* And 40 ms later: the NEW event first. */
	conn_new(t, 42, s + 40000000, s + 41000000);
	conn_dumped(t, 42, s + 40010000, s + 42000000);
	assert_int_equal(rec_flush(t->rec, 2001), 0);
	assert_int_equal(counted(t), 3);
	assert_int_equal(q1(t, "SELECT value FROM counters WHERE "
	    "name='events_seen'"), 3);
	assert_int_equal(q1(t, "SELECT value FROM counters WHERE "
	    "name='dump_entries'"), 3);
}

/*
 * A connection an adopted pod had open: no rule marked it when it
 * opened, so no NEW event of it was read although it started before the
 * floor. A dump entry of it is not counted (the floor says its NEW was
 * read); handed over by the adoption (rec_ct_open) it is counted, once:
 * the dumps after it do not count it again.
 */
static void
test_adopted_open_counted_once(void **state)
{
	struct t *t = *state;
	unsigned char m[2048];
	struct ct_event ev;
	uint32_t len;
	int64_t s;

	put_pod(t->st, "cid-b", "server", "198.18.2.3/32", NULL);
	reload(t);
	len = load_msg("ts_dump.bin", m);
	set_ct_id(m, 77);
	assert_int_equal(ct_event_parse(m, len, &ev), 0);
	s = ev.start_ns;
	/* A start-up dump (nothing in it) ended, and the event socket was
	 * found empty a second after the connection started. */
	rec_dump_begin(t->rec);
	rec_dump_end(t->rec, true);
	rec_ct_drained(t->rec, s + 1000000000);
	rec_dump_begin(t->rec);
	conn_dumped(t, 77, s, s + 2000000000);
	rec_dump_end(t->rec, true);
	assert_int_equal(rec_flush(t->rec, 2000), 0);
	assert_int_equal(counted(t), 0);
	rec_ct_read_at(t->rec, s + 3000000000);
	rec_ct_open(t->rec, &ev, 2001);
	assert_int_equal(rec_flush(t->rec, 2001), 0);
	assert_int_equal(counted(t), 1);
	rec_dump_begin(t->rec);
	conn_dumped(t, 77, s, s + 4000000000);
	rec_dump_end(t->rec, true);
	rec_ct_open(t->rec, &ev, 2002);
	assert_int_equal(rec_flush(t->rec, 2002), 0);
	assert_int_equal(counted(t), 1);
	assert_int_equal(q1(t, "SELECT value FROM counters WHERE "
	    "name='dump_entries'"), 4);
}

/* The snapshot the last flush wrote, handed to a new recorder (a
 * restart: the old one is gone with what it had not flushed). */
static void
restart(struct t *t)
{
	void *buf;
	size_t len;

	rec_free(t->rec);
	assert_int_equal(new_rec(t, MARK, 64), 0);
	assert_int_equal(store_meta_get_blob(t->st, BATCH_COUNTED_META, &buf,
	    &len), 0);
	assert_int_equal(rec_restore_counted(t->rec, buf, len), 0);
	free(buf);
}

/*
 * A restart, killed (nothing of the last interval flushed) or clean: the
 * start-up dump lists every open connection; those counted by a flush of
 * the previous run are not counted again (below its floor, or among its
 * records above it), those it counted without flushing and those opened
 * while it was down are. Refresh dumps later count none of them.
 */
static void
test_restart_counts_once(void **state)
{
	struct t *t = *state;
	int64_t T = 1800000000LL * 1000000000;	/* 2027 */
	const int64_t S = 1000000000;
	const int64_t start[5] = { 0, T + 10000, T + 2 * S + 10000,
	    T + 3 * S + 10000, T + 4 * S };

	put_pod(t->st, "cid-b", "server", "198.18.2.3/32", NULL);
	reload(t);
	/* The first run: subscribed, its start-up dump lists nothing. */
	rec_ct_drained(t->rec, T - S);
	rec_dump_begin(t->rec);
	rec_dump_end(t->rec, true);
	/* Connection 1; the socket found empty since. */
	conn_new(t, 1, T, T + 1000);
	rec_ct_drained(t->rec, T + S);
	/* Connection 2 after that: read, flushed, above the floor. */
	conn_new(t, 2, T + 2 * S, T + 2 * S + 1000);
	assert_int_equal(rec_flush(t->rec, 2000), 0);
	assert_int_equal(counted(t), 2);
	/* Connection 3 read, never flushed: the process is killed. */
	conn_new(t, 3, T + 3 * S, T + 3 * S + 1000);
	rec_ct_drained(t->rec, T + 3 * S + 5000);

	restart(t);
	/* Subscribed; then the start-up dump: 1, 2 and 3 are open, and 4
	 * opened while the daemon was down. */
	rec_ct_drained(t->rec, T + 5 * S);
	rec_dump_begin(t->rec);
	for (uint32_t id = 1; id <= 4; id++)
		conn_dumped(t, id, start[id], T + 5 * S);
	rec_dump_end(t->rec, true);
	assert_int_equal(rec_flush(t->rec, 2001), 0);
	assert_int_equal(counted(t), 4);

	/* A clean restart: everything was flushed. */
	rec_ct_drained(t->rec, T + 6 * S);
	assert_int_equal(rec_flush(t->rec, 2002), 0);
	restart(t);
	rec_ct_drained(t->rec, T + 7 * S);
	rec_dump_begin(t->rec);
	for (uint32_t id = 1; id <= 4; id++)
		conn_dumped(t, id, start[id], T + 7 * S);
	rec_dump_end(t->rec, true);
	/* Refresh dumps: still open, counted already. */
	rec_ct_drained(t->rec, T + 600 * S);
	for (int pass = 0; pass < 2; pass++) {
		rec_dump_begin(t->rec);
		for (uint32_t id = 1; id <= 4; id++)
			conn_dumped(t, id, start[id], T + 601 * S);
		rec_dump_end(t->rec, true);
	}
	assert_int_equal(rec_flush(t->rec, 2003), 0);
	assert_int_equal(counted(t), 4);
	assert_int_equal(q1(t, "SELECT value FROM counters WHERE "
	    "name='dump_entries'"), 4 + 4 + 8);
	/* The killed run's last interval is gone, connection 3's event with
	 * it: what was counted in its place is a dump entry. */
	assert_int_equal(q1(t, "SELECT value FROM counters WHERE "
	    "name='events_seen'"), 2);
}

/*
 * The kernel dropped events (ENOBUFS): the resync dump counts the
 * connections whose NEW events were lost (started after the socket was
 * last found empty, and not among those read), and nothing else. A loss
 * reported while a dump runs leaves it unsettled until the next one.
 */
static void
test_loss_resync(void **state)
{
	struct t *t = *state;
	int64_t T = 1800000000LL * 1000000000;
	const int64_t S = 1000000000;

	put_pod(t->st, "cid-b", "server", "198.18.2.3/32", NULL);
	reload(t);
	conn_new(t, 1, T, T + 1000);
	rec_ct_drained(t->rec, T + S);
	/* Lost: 2. Read after the loss: 3. */
	rec_ct_lost(t->rec);
	conn_new(t, 3, T + 2 * S, T + 2 * S + 1000);
	rec_dump_begin(t->rec);
	conn_dumped(t, 1, T + 10000, T + 3 * S);
	/* A second loss while this dump runs. */
	rec_ct_lost(t->rec);
	conn_dumped(t, 2, T + S + S / 2, T + 3 * S);
	conn_dumped(t, 3, T + 2 * S + 10000, T + 3 * S);
	rec_dump_end(t->rec, true);
	/* Lost during it: 5. The next dump settles everything. */
	rec_ct_drained(t->rec, T + 4 * S);
	rec_dump_begin(t->rec);
	for (uint32_t id = 1; id <= 3; id++)
		conn_dumped(t, id, id == 2 ? T + S + S / 2 :
		    T + (id - 1) * S + 10000, T + 5 * S);
	conn_dumped(t, 5, T + 3 * S, T + 5 * S);
	rec_dump_end(t->rec, true);
	assert_int_equal(rec_flush(t->rec, 2000), 0);
	assert_int_equal(counted(t), 4);
	/* Settled: a refresh counts nothing, what it lists is below the
	 * floor now. */
	rec_ct_drained(t->rec, T + 10 * S);
	rec_dump_begin(t->rec);
	conn_dumped(t, 2, T + S + S / 2, T + 11 * S);
	conn_dumped(t, 5, T + 3 * S, T + 11 * S);
	rec_dump_end(t->rec, true);
	assert_int_equal(rec_flush(t->rec, 2001), 0);
	assert_int_equal(counted(t), 4);
}

static void
test_pending_until_attachment(void **state)
{
	struct t *t = *state;
	unsigned char buf[8192];

	/* The NEW event of tcp4 with the client's address (198.18.1.2)
	 * replaced by one no pod holds yet, 198.18.1.77; the server
	 * (198.18.2.3) is no pod here either: neither end is known. */
	load("tests/fixtures/ct/tcp4.bin", buf, sizeof(buf));
	for (size_t i = 0; i + 4 <= ((struct nlmsghdr *)buf)->nlmsg_len; i++)
		if (memcmp(buf + i, "\xc6\x12\x01\x02", 4) == 0)
			memcpy(buf + i, "\xc6\x12\x01\x4d", 4);
	{
		bool done = false;

		assert_int_equal(rec_ct_buf(t->rec, buf,
		    ((struct nlmsghdr *)buf)->nlmsg_len, false, time(NULL),
		    &done), 1);
	}
	assert_int_equal(rec_npending(t->rec), 1);
	/* The event asks for the attachments to be read again; until they
	 * are, retrying does nothing. */
	assert_true(rec_take_want_pods(t->rec));
	assert_false(rec_take_want_pods(t->rec));
	rec_retry_pending(t->rec, time(NULL));
	assert_int_equal(rec_npending(t->rec), 1);
	/* The plugin writes the attachment; the writer reads them and the
	 * waiting event is attributed. */
	put_pod(t->st, "cid-late", "late", "198.18.1.77/32", NULL);
	reload(t);
	rec_retry_pending(t->rec, time(NULL));
	assert_int_equal(rec_npending(t->rec), 0);
	assert_int_equal(rec_flush(t->rec, 2003), 0);
	assert_int_equal(q1(t, "SELECT count(*) FROM flows f JOIN "
	    "workloads w ON w.id=f.workload_id WHERE w.name='late' AND "
	    "f.direction=0 AND f.port=8080 AND f.peer_addr='198.18.2.3'"), 1);
	/* One that never finds its pod is dropped after 5 s, counted. */
	set_ct_id(buf, 4242);
	for (size_t i = 0; i + 4 <= ((struct nlmsghdr *)buf)->nlmsg_len; i++)
		if (memcmp(buf + i, "\xc6\x12\x01\x4d", 4) == 0)
			memcpy(buf + i, "\xc6\x12\x01\x4e", 4);
	{
		bool done = false;

		(void)rec_ct_buf(t->rec, buf, ((struct nlmsghdr *)buf)->
		    nlmsg_len, false, 100, &done);
	}
	assert_int_equal(rec_npending(t->rec), 1);
	rec_retry_pending(t->rec, 106);
	assert_int_equal(rec_npending(t->rec), 0);
	assert_int_equal(rec_flush(t->rec, 2004), 0);
	assert_int_equal(q1(t, "SELECT value FROM counters WHERE "
	    "name='events_unattributed'"), 1);
}


/* An attachment as the plugin hands it over (host address + prefix). */
static struct writer_att
att_op(int op, const char *cid, const char *name, const char *ip, int prefix)
{
	struct writer_att o;

	memset(&o, 0, sizeof(o));
	o.op = op;
	o.time = 1000;
	snprintf(o.att.container_id, sizeof(o.att.container_id), "%s", cid);
	snprintf(o.att.ifname, sizeof(o.att.ifname), "eth0");
	snprintf(o.att.pod_namespace, sizeof(o.att.pod_namespace), "shop");
	snprintf(o.att.pod_name, sizeof(o.att.pod_name), "%s", name);
	if (ip != NULL) {
		assert_int_equal(addr_parse(ip, &o.att.addrs[0].addr), 0);
		o.att.addrs[0].prefix = (uint8_t)prefix;
		o.att.naddrs = 1;
	}
	return o;
}

/* tcp4's NEW event from client address src (198.18.1.x) instead. */
static size_t
from(unsigned char *buf, size_t cap, uint8_t last, uint32_t id)
{
	load("tests/fixtures/ct/tcp4.bin", buf, cap);
	for (size_t i = 0; i + 4 <= ((struct nlmsghdr *)buf)->nlmsg_len; i++)
		if (memcmp(buf + i, "\xc6\x12\x01\x02", 4) == 0)
			buf[i + 3] = last;
	set_ct_id(buf, id);
	return ((struct nlmsghdr *)buf)->nlmsg_len;
}

/*
 * A new pod's first connection to a known pod: its address is in the
 * network of the node's pods, so the event waits (held) instead of
 * being recorded as the server's ingress from a bare address; once the
 * pod is announced, both sides are recorded against it. An address that
 * never turns up is recorded as it is after REC_HOLD_MS, not dropped.
 * The attachments reach the store through the writer's queue, in order,
 * in one transaction; a recovered record never replaces one there.
 */
static void
test_new_pod_held(void **state)
{
	struct t *t = *state;
	struct writer_att ops[3];
	struct store_attachment late;
	unsigned char buf[8192];
	struct pods *p;
	bool done = false;
	size_t len;

	ops[0] = att_op(WRITER_ATT_PUT, "cid-b", "server", "198.18.2.3", 24);
	ops[1] = att_op(WRITER_ATT_PUT, "cid-n", "neighbour", "198.18.1.5",
	    24);
	ops[2] = att_op(WRITER_ATT_DETACH, "cid-none", "", NULL, 0);
	assert_int_equal(writer_attach(t->w, ops, 3), 0);
	assert_int_equal(writer_attach_pending(t->w), 0);
	/* Written: the store changed, so the next request reads it. */
	assert_null(writer_take_pods(t->w));
	writer_request_pods(t->w, false);
	assert_non_null(p = writer_take_pods(t->w));
	attrib_set_pods(t->at, p);
	assert_int_equal(attrib_npods(t->at), 3);
	assert_int_equal(q1(t, "SELECT count(*) FROM attachments"), 3);

	len = from(buf, sizeof(buf), 77, 501);
	assert_int_equal(rec_ct_buf(t->rec, buf, len, false, 2000, &done), 1);
	assert_int_equal(rec_npending(t->rec), 1);
	assert_true(rec_hold_ms(t->rec) >= 0);
	assert_true(rec_hold_ms(t->rec) <= REC_HOLD_MS);
	late = att_op(WRITER_ATT_PUT, "cid-late", "late", "198.18.1.77",
	    24).att;
	assert_int_equal(attrib_announce(t->at, &late), 0);
	rec_retry_pending(t->rec, 2000);
	assert_int_equal(rec_npending(t->rec), 0);
	assert_int_equal(rec_hold_ms(t->rec), -1);

	/* One that nobody announces: recorded as it is once held long
	 * enough. */
	len = from(buf, sizeof(buf), 78, 502);
	assert_int_equal(rec_ct_buf(t->rec, buf, len, false, 2000, &done), 1);
	assert_int_equal(rec_npending(t->rec), 1);
	usleep((REC_HOLD_MS + 20) * 1000);
	assert_int_equal(rec_hold_ms(t->rec), 0);
	rec_retry_pending(t->rec, 2000);
	assert_int_equal(rec_npending(t->rec), 0);
	assert_int_equal(rec_flush(t->rec, 2003), 0);
	assert_int_equal(q1(t, "SELECT count(*) FROM flows f JOIN workloads w "
	    "ON w.id=f.workload_id WHERE w.name='late' AND f.direction=0 AND "
	    "f.port=8080 AND f.peer_kind=0"), 1);
	assert_int_equal(q1(t, "SELECT count(*) FROM flows f JOIN workloads w "
	    "ON w.id=f.workload_id JOIN workloads p ON p.id=f.peer_workload_id "
	    "WHERE w.name='server' AND f.direction=1 AND p.name='late'"), 1);
	assert_int_equal(q1(t, "SELECT count(*) FROM flows f JOIN workloads w "
	    "ON w.id=f.workload_id WHERE w.name='server' AND f.direction=1 "
	    "AND f.peer_addr='198.18.1.78'"), 1);
	assert_int_equal(q1(t, "SELECT count(*) FROM counters WHERE "
	    "name='events_unattributed' AND value > 0"), 0);

	/* Held, then its known end goes (the server's DEL): it waits as
	 * an event with no known end, not on the hold's clock. */
	len = from(buf, sizeof(buf), 79, 503);
	assert_int_equal(rec_ct_buf(t->rec, buf, len, false, 2000, &done), 1);
	assert_true(rec_hold_ms(t->rec) >= 0);
	attrib_forget(t->at, "cid-b", "eth0");
	usleep((REC_HOLD_MS + 20) * 1000);
	rec_retry_pending(t->rec, 2000);
	assert_int_equal(rec_npending(t->rec), 1);
	assert_int_equal(rec_hold_ms(t->rec), -1);

	/* A recovered record does not replace the plugin's. */
	ops[0] = att_op(WRITER_ATT_PUT_NEW, "cid-b", "", "198.18.2.3", 32);
	assert_int_equal(writer_attach(t->w, ops, 1), 0);
	assert_int_equal(q1(t, "SELECT count(*) FROM attachments WHERE "
	    "container_id='cid-b' AND pod_name='server'"), 1);
}

static void
test_dns_names_flows(void **state)
{
	struct t *t = *state;
	unsigned char buf[8192];
	bool done = false;

	/* dnsmasq answered the client: api.example.test is 203.0.113.10. */
	replay_nflog(t, "udp4_a.bin");
	replay_nflog(t, "tcp6_aaaa.bin");
	/* The client then connects to it (the tcp4 stream, its server
	 * address rewritten to the answer's). */
	load("tests/fixtures/ct/tcp4.bin", buf, sizeof(buf));
	for (size_t i = 0; i + 4 <= ((struct nlmsghdr *)buf)->nlmsg_len; i++)
		if (memcmp(buf + i, "\xc6\x12\x02\x03", 4) == 0)
			memcpy(buf + i, "\xcb\x00\x71\x0a", 4);
	assert_int_equal(rec_ct_buf(t->rec, buf,
	    ((struct nlmsghdr *)buf)->nlmsg_len, false, time(NULL), &done), 1);
	assert_int_equal(rec_flush(t->rec, time(NULL)), 0);
	assert_int_equal(q1(t, "SELECT count(*) FROM flows WHERE "
	    "peer_addr='203.0.113.10' AND dns_name='api.example.test'"), 1);
	assert_int_equal(q1(t, "SELECT value FROM counters WHERE "
	    "name='dns_answers'"), 2);
	assert_int_equal(q1(t, "SELECT count(*) FROM dns_answers"), 2);
	/* Another group's packets are not ours. */
	{
		size_t len = load("tests/fixtures/dns/udp4_cname.bin", buf,
		    sizeof(buf));

		rec_nflog_buf(t->rec, buf, len, 7302, time(NULL));
	}
	assert_int_equal(rec_flush(t->rec, time(NULL)), 0);
	assert_int_equal(q1(t, "SELECT count(*) FROM dns_answers"), 2);
}

static void
test_malformed_counted(void **state)
{
	struct t *t = *state;
	bool done = false;

	/* A conntrack message with a mark of the wrong width. */
	{
		unsigned char m[64];
		struct nlmsghdr *nlh = (struct nlmsghdr *)m;

		memset(m, 0, sizeof(m));
		nlh->nlmsg_len = NLMSG_HDRLEN + 4 + 6;
		nlh->nlmsg_type = (1 << 8) | 0;	/* CTNETLINK, CT_NEW */
		m[16] = 2;			/* AF_INET */
		m[20] = 6; m[22] = 8;		/* CTA_MARK, 2 bytes */
		assert_int_equal(rec_ct_buf(t->rec, m, sizeof(m), false,
		    2000, &done), 0);
	}
	assert_int_equal(rec_flush(t->rec, 2000), 0);
	assert_int_equal(q1(t, "SELECT value FROM counters WHERE "
	    "name='parse_errors'"), 1);
}

/*
 * The store is locked by another process (an admin's sqlite3, the CLI):
 * the loop never waits. The batch handed over stays with the writer,
 * which retries; aggregation goes on in the second table; when both are
 * full, flow updates are dropped and counted, never silently. Once the
 * lock is gone, everything kept is written with the counters, and the
 * tables take new flows again.
 */
static void
test_store_locked(void **state)
{
	struct t *t = *state;
	char msg[256];
	int err, n6;

	put_pod(t->st, "cid-b", "server", "198.18.2.3/32",
	    "2001:db8:2::3/128");
	reload(t);
	rec_free(t->rec);
	assert_int_equal(new_rec(t, MARK, 4), 0);
	assert_int_equal(sqlite3_exec(t->q, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL), SQLITE_OK);
	/* Two connections, both sides: the 4 flows a table holds. */
	assert_int_equal(replay_ct(t, "tcp4.bin", false), 8);
	assert_int_equal(replay_ct(t, "udp6.bin", false), 3);
	/* Handed over; the writer finds the store locked and keeps it. */
	assert_int_equal(rec_flush(t->rec, 2000), 0);
	assert_true(writer_busy(t->w));
	assert_int_equal(writer_take_error(t->w, &err, msg, sizeof(msg)), 1);
	assert_int_equal(err, -EBUSY);
	/* Two more connections fill the second table... */
	assert_int_equal(replay_ct(t, "sctp4.bin", false), 2);
	assert_int_equal(replay_ct(t, "icmp6.bin", false), 3);
	assert_int_equal(rec_nflows(t->rec), 4);
	/* ...which cannot be handed over while the first is out. */
	assert_int_equal(rec_flush(t->rec, 2000), -EBUSY);
	assert_true(rec_flush_pending(t->rec));
	/* A fifth connection does not fit anywhere: its 2 messages x 2
	 * sides are dropped, and counted. */
	assert_true((n6 = replay_ct(t, "tcp6.bin", false)) > 0);
	assert_true(rec_counts(t->rec)->flows_dropped > 0);
	writer_retry(t->w);
	assert_true(writer_busy(t->w));
	assert_int_equal(q1(t, "SELECT count(*) FROM flows"), 0);

	/* The lock is gone: the first batch is written, the second table
	 * comes back into the first and goes with the next flush. */
	assert_int_equal(sqlite3_exec(t->q, "COMMIT", NULL, NULL, NULL),
	    SQLITE_OK);
	writer_retry(t->w);
	assert_false(writer_busy(t->w));
	take_back(t);
	assert_int_equal(q1(t, "SELECT count(*) FROM flows"), 4);
	assert_int_equal(rec_nflows(t->rec), 4);
	assert_int_equal(rec_flush(t->rec, 2001), 0);
	assert_int_equal(q1(t, "SELECT count(*) FROM flows"), 8);
	assert_int_equal(q1(t, "SELECT count(*) FROM flows WHERE "
	    "protocol=6 AND port=8080"), 2);
	assert_int_equal(q1(t, "SELECT value FROM counters WHERE "
	    "name='flows_written'"), 8);
	assert_int_equal(q1(t, "SELECT value FROM counters WHERE "
	    "name='store_busy'"), 1);
	assert_int_equal(q1(t, "SELECT value FROM counters WHERE "
	    "name='flushes_deferred'"), 1);
	assert_true(q1(t, "SELECT value FROM counters WHERE "
	    "name='flows_dropped'") > 0);
	/* Every event was seen and counted, dropped or not. */
	assert_int_equal(q1(t, "SELECT value FROM counters WHERE "
	    "name='events_seen'"), 8 + 3 + 2 + 3 + n6);
	/* And the tables take new flows again. */
	assert_int_equal(replay_ct(t, "icmp4.bin", false), 3);
	assert_int_equal(rec_flush(t->rec, 2002), 0);
	assert_int_equal(q1(t, "SELECT count(*) FROM flows WHERE "
	    "protocol=1"), 2);
}

/*
 * The store refuses writes (a full disk; here a trigger that aborts every
 * flow insert): the writer keeps the batch, says why, and tries again a
 * little later (not in a loop); the loop goes on. Once the store takes
 * writes again, everything kept is written with its counters.
 */
static void
test_store_refusing(void **state)
{
	struct t *t = *state;
	char msg[256];
	int err;

	put_pod(t->st, "cid-b", "server", "198.18.2.3/32",
	    "2001:db8:2::3/128");
	reload(t);
	assert_int_equal(ut_sql_exec(t->db, "CREATE TRIGGER refuse BEFORE "
	    "INSERT ON flows BEGIN SELECT RAISE(ABORT, 'refused'); END"), 0);
	assert_int_equal(replay_ct(t, "tcp4.bin", false), 8);
	assert_int_equal(rec_flush(t->rec, 2000), 0);
	assert_true(writer_busy(t->w));
	assert_int_equal(writer_take_error(t->w, &err, msg, sizeof(msg)), 1);
	assert_true(err != -EBUSY && err < 0);
	assert_non_null(strstr(msg, "refused"));
	/* Not retried before WRITER_RETRY_MS, whatever happens meanwhile. */
	writer_request_pods(t->w, false);
	assert_true(writer_busy(t->w));
	assert_int_equal(writer_take_error(t->w, &err, msg, sizeof(msg)), 0);
	assert_int_equal(replay_ct(t, "udp6.bin", false), 3);
	assert_int_equal(rec_flush(t->rec, 2001), -EBUSY);
	assert_int_equal(q1(t, "SELECT count(*) FROM flows"), 0);
	/* The store takes writes again. */
	assert_int_equal(ut_sql_exec(t->db, "DROP TRIGGER refuse"), 0);
	assert_int_equal(writer_drain(t->w, 5000), 0);
	take_back(t);
	assert_int_equal(q1(t, "SELECT count(*) FROM flows WHERE "
	    "protocol=6"), 2);
	assert_int_equal(rec_flush(t->rec, 2002), 0);
	assert_int_equal(q1(t, "SELECT count(*) FROM flows"), 4);
	assert_int_equal(q1(t, "SELECT value FROM counters WHERE "
	    "name='events_seen'"), 8 + 3);
	assert_int_equal(q1(t, "SELECT value FROM counters WHERE "
	    "name='store_busy'"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stream_counts_and_bytes,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_dump_after_new_counted_once, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_dump_refreshes_last_seen, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_repeated_dumps_counted_once, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_same_id_two_connections, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_reused_tuple_counted_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_dump_and_event_with_timestamps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_counts_once,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_loss_resync, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_new_pod_held, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_adopted_open_counted_once,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_until_attachment,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_dns_names_flows, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_malformed_counted, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_store_locked, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_store_refusing, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
