/*
 * batch: one flush written in one transaction into a real store:
 * workloads upserted and their ids learnt, flows written with handles
 * turned into ids, merges of bare pods into owners, attachments'
 * workloads, DNS answers, nodes, counters and pruning; all or nothing
 * when the store is locked, the ids learnt only from what committed.
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

#include <sqlite3.h>

#include "lib/store.h"
#include "recorderd/batch.h"
#include "tests/unit/ut_sql.h"
#include "tests/unit/ut_store.h"

struct t {
	char dir[64];
	char db[128];
	struct store *st;
	sqlite3 *q;			/* the other process: holds the lock */
	struct batch *b;
	struct batch_ids *ids;
	int64_t att;
};

static int
setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));
	struct store_attachment a;

	assert_int_equal(ut_store_mkdtemp(t->dir, sizeof(t->dir),
	    "test_batch"), 0);
	snprintf(t->db, sizeof(t->db), "%s/records.db", t->dir);
	assert_int_equal(store_open(t->db, 0, &t->st), 0);
	assert_int_equal(store_set_busy_timeout(t->st, 50), 0);
	assert_int_equal(sqlite3_open(t->db, &t->q), SQLITE_OK);
	assert_int_equal(batch_new(16, &t->b), 0);
	assert_int_equal(batch_ids_new(&t->ids), 0);
	memset(&a, 0, sizeof(a));
	snprintf(a.container_id, sizeof(a.container_id), "cid-a");
	snprintf(a.ifname, sizeof(a.ifname), "eth0");
	assert_int_equal(addr_cidr_parse("198.18.1.2/32", &a.addrs[0]), 0);
	a.naddrs = 1;
	assert_int_equal(store_attachment_put(t->st, &a, 1000), 0);
	t->att = a.id;
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct t *t = *state;

	batch_free(t->b);
	batch_ids_free(t->ids);
	store_close(t->st);
	sqlite3_close(t->q);
	assert_int_equal(ut_store_rmtree(t->dir), 0);
	free(t);
	return 0;
}

static int64_t
q1(struct t *t, const char *sql)
{
	return ut_sql_int(t->db, sql);
}

static void
def(struct t *t, int64_t h, const char *kind, const char *name)
{
	struct store_workload w;

	memset(&w, 0, sizeof(w));
	snprintf(w.namespace_, sizeof(w.namespace_), "shop");
	snprintf(w.kind, sizeof(w.kind), "%s", kind);
	snprintf(w.name, sizeof(w.name), "%s", name);
	w.labels_json = (char *)"{\"app\":\"x\"}";
	assert_int_equal(batch_add_workload(t->b, h, &w), 0);
}

/* A flow of subject h to peer workload peer (0: an address). */
static void
flow(struct t *t, int64_t h, int64_t peer, uint16_t port, uint64_t count)
{
	struct flow_key k;

	flow_key_init(&k);
	k.subject = h;
	k.port = port;
	k.protocol = IPPROTO_TCP;
	if (peer != 0) {
		k.peer_kind = FLOW_PEER_WORKLOAD;
		k.peer_wl = peer;
	} else {
		k.peer_kind = FLOW_PEER_ADDRESS;
		assert_int_equal(addr_parse("203.0.113.10", &k.peer), 0);
	}
	assert_int_equal(agg_add(batch_agg(t->b), &k, NULL, 1000, count, 0, 0),
	    0);
}

static void
test_one_transaction(void **state)
{
	struct t *t = *state;
	struct store_dns d;
	struct addr node;
	int64_t pod, peer;

	assert_true(batch_empty(t->b));
	def(t, 1, "Pod", "client");
	def(t, 2, "StatefulSet", "db");
	flow(t, 1, 2, 5432, 3);
	flow(t, 1, 0, 443, 1);
	assert_int_equal(batch_add_assign(t->b, t->att, 1), 0);
	memset(&d, 0, sizeof(d));
	d.attachment_id = t->att;
	snprintf(d.name, sizeof(d.name), "api.example.test");
	assert_int_equal(addr_parse("203.0.113.10", &d.addr), 0);
	d.ttl = 30;
	d.seen = 1000;
	assert_int_equal(batch_add_dns(t->b, &d), 0);
	assert_int_equal(addr_parse("198.18.0.1", &node), 0);
	assert_int_equal(batch_add_node(t->b, "node-1", &node), 0);
	batch_counts(t->b)->events_seen = 7;
	assert_false(batch_empty(t->b));
	assert_int_equal(batch_write(t->b, t->st, t->ids), 0);
	assert_int_equal(batch_result(t->b)->flows, 2);
	assert_int_equal(batch_result(t->b)->attempts, 1);
	assert_int_equal(batch_result(t->b)->pruned, -1);
	pod = q1(t, "SELECT id FROM workloads WHERE name='client'");
	peer = q1(t, "SELECT id FROM workloads WHERE name='db'");
	assert_int_equal(batch_ids_get(t->ids, 1), pod);
	assert_int_equal(batch_ids_get(t->ids, 2), peer);
	assert_int_equal(batch_ids_get(t->ids, 3), 0);
	assert_int_equal(q1(t, "SELECT count FROM flows WHERE port=5432 AND "
	    "workload_id=(SELECT id FROM workloads WHERE name='client') AND "
	    "peer_workload_id=(SELECT id FROM workloads WHERE name='db')"), 3);
	assert_int_equal(q1(t, "SELECT count(*) FROM flows"), 2);
	assert_int_equal(q1(t, "SELECT workload_id FROM attachments"), pod);
	assert_int_equal(q1(t, "SELECT count(*) FROM dns_answers"), 1);
	assert_int_equal(q1(t, "SELECT count(*) FROM nodes"), 1);
	assert_int_equal(q1(t, "SELECT value FROM counters WHERE "
	    "name='events_seen'"), 7);
	assert_int_equal(q1(t, "SELECT value FROM counters WHERE "
	    "name='flows_written'"), 2);
	/* A flow whose workload was never handed over is not written as
	 * workload 0: dropped, counted. */
	batch_reset(t->b);
	assert_true(batch_empty(t->b));
	flow(t, 9, 0, 80, 1);
	flow(t, 1, 0, 81, 1);
	assert_int_equal(batch_write(t->b, t->st, t->ids), 0);
	assert_int_equal(batch_result(t->b)->flows, 1);
	assert_int_equal(q1(t, "SELECT value FROM counters WHERE "
	    "name='flows_dropped'"), 1);
	assert_int_equal(q1(t, "SELECT count(*) FROM flows WHERE "
	    "workload_id=0"), 0);
}

/* A bare pod merged into its owner, in the transaction that writes the
 * flows aggregated before and after the merge was decided. */
static void
test_merge(void **state)
{
	struct t *t = *state;
	int64_t owner;

	def(t, 1, "Pod", "web-0");
	flow(t, 1, 0, 443, 2);
	assert_int_equal(batch_add_assign(t->b, t->att, 1), 0);
	assert_int_equal(batch_write(t->b, t->st, t->ids), 0);
	batch_reset(t->b);
	def(t, 2, "Deployment", "web");
	flow(t, 1, 0, 443, 3);		/* aggregated before the merge */
	flow(t, 2, 0, 443, 4);		/* after */
	assert_int_equal(batch_add_merge(t->b, 1, 2), 0);
	assert_int_equal(batch_add_assign(t->b, t->att, 2), 0);
	assert_int_equal(batch_write(t->b, t->st, t->ids), 0);
	owner = q1(t, "SELECT id FROM workloads WHERE name='web'");
	assert_int_equal(q1(t, "SELECT count(*) FROM workloads WHERE "
	    "kind='Pod'"), 0);
	assert_int_equal(q1(t, "SELECT sum(count) FROM flows"), 9);
	assert_int_equal(q1(t, "SELECT count(*) FROM flows"), 1);
	assert_int_equal(q1(t, "SELECT workload_id FROM attachments"), owner);
	/* From then on the bare pod's handle means the owner's row; the
	 * same merge again does nothing. */
	assert_int_equal(batch_ids_get(t->ids, 1), owner);
	batch_reset(t->b);
	flow(t, 1, 0, 443, 1);
	assert_int_equal(batch_add_merge(t->b, 1, 2), 0);
	assert_int_equal(batch_write(t->b, t->st, t->ids), 0);
	assert_int_equal(q1(t, "SELECT sum(count) FROM flows"), 10);
}

/* Another process holds the lock: nothing written, nothing learnt;
 * the same batch goes through once it is released. */
static void
test_locked_then_written(void **state)
{
	struct t *t = *state;

	def(t, 1, "Pod", "a");
	flow(t, 1, 0, 443, 1);
	batch_counts(t->b)->enobufs = 1;
	batch_set_prune(t->b, 500);
	assert_int_equal(sqlite3_exec(t->q, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL), SQLITE_OK);
	assert_int_equal(batch_write(t->b, t->st, t->ids), -EBUSY);
	assert_non_null(strstr(batch_error(t->b), "locked"));
	assert_int_equal(batch_ids_get(t->ids, 1), 0);
	assert_int_equal(batch_write(t->b, t->st, t->ids), -EBUSY);
	assert_int_equal(sqlite3_exec(t->q, "COMMIT", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(batch_write(t->b, t->st, t->ids), 0);
	assert_int_equal(batch_result(t->b)->attempts, 3);
	assert_int_equal(batch_result(t->b)->pruned, 0);
	assert_true(batch_ids_get(t->ids, 1) > 0);
	assert_int_equal(q1(t, "SELECT count(*) FROM flows"), 1);
	assert_int_equal(q1(t, "SELECT value FROM counters WHERE "
	    "name='enobufs'"), 1);
	assert_int_equal(q1(t, "SELECT value FROM counters WHERE "
	    "name='flows_written'"), 1);
}

/* The table filled while the other was out is folded back. */
static void
test_fold(void **state)
{
	struct t *t = *state;
	struct batch *other;
	size_t n;

	assert_int_equal(batch_new(16, &other), 0);
	flow(t, 1, 0, 443, 2);
	batch_set_prune(t->b, 77);
	assert_int_equal(batch_fold(other, t->b), 0);
	assert_true(batch_empty(t->b));
	assert_int_equal(agg_flows(batch_agg(other), &n)[0].count, 2);
	assert_int_equal(n, 1);
	batch_free(other);
	assert_int_equal(batch_new(1, &other), 0);
	flow(t, 1, 0, 443, 1);
	flow(t, 1, 0, 444, 1);
	assert_int_equal(batch_fold(other, t->b), -ENOSPC);
	assert_int_equal(agg_count(batch_agg(t->b)), 2);
	batch_free(other);
	/* Meta settings: the latest value of a key wins, they move with a
	 * fold (from's are the newer), and are written with the batch. */
	batch_reset(t->b);
	assert_int_equal(batch_new(16, &other), 0);
	assert_int_equal(batch_add_meta(other, "publish_pending", "3"), 0);
	assert_int_equal(batch_add_meta(t->b, "publish_pending", "1"), 0);
	assert_int_equal(batch_add_meta(t->b, "publish_pending", "2"), 0);
	assert_int_equal(batch_add_meta(t->b, "node_uid", "n-1"), 0);
	assert_false(batch_empty(t->b));
	assert_int_equal(batch_fold(other, t->b), 0);
	assert_true(batch_empty(t->b));
	assert_int_equal(batch_add_meta(other,
	    "a-key-that-is-longer-than-forty-seven-bytes-allowed", "x"),
	    -EINVAL);
	assert_int_equal(batch_write(other, t->st, t->ids), 0);
	assert_int_equal(q1(t, "SELECT value FROM meta"
	    " WHERE key = 'publish_pending'"), 2);
	assert_int_equal(q1(t, "SELECT count(*) FROM meta"
	    " WHERE key = 'node_uid' AND value = 'n-1'"), 1);
	batch_free(other);
	/* Every counter has its name. */
	for (int i = 0; i < BATCH_NCOUNTS; i++)
		assert_non_null(batch_count_name(i));
	assert_null(batch_count_name(BATCH_NCOUNTS));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_transaction, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_merge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locked_then_written, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fold, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
