/*
 * connid: which connections were counted. The floor (watermark, losses,
 * the restart gap), the records above it and the snapshot a restart
 * reads back, bad snapshots refused, times at the edges, and a table
 * full of connections of an unsettled window.
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

#include "recorderd/connid.h"

#define S 1000000000LL
#define T (1800000000LL * S)

/* Connection id (tuple from id too: distinct keys), TCP over IPv4. */
static struct ct_event
conn(uint32_t id)
{
	struct ct_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = CT_EV_NEW;
	ev.family = AF_INET;
	ev.proto = IPPROTO_TCP;
	ev.has_id = true;
	ev.id = id;
	ev.orig.src.family = AF_INET;
	ev.orig.src.bytes[0] = 198;
	ev.orig.src.bytes[1] = 18;
	ev.orig.src.bytes[2] = (uint8_t)(id >> 8);
	ev.orig.src.bytes[3] = (uint8_t)id;
	ev.orig.dst.family = AF_INET;
	ev.orig.dst.bytes[0] = 198;
	ev.orig.dst.bytes[1] = 19;
	ev.orig.sport = (uint16_t)(1024 + id % 60000);
	ev.orig.dport = 8080;
	return ev;
}

static bool
event(struct connid *c, uint32_t id, int64_t ev_ns)
{
	struct ct_event ev = conn(id);

	ev.has_event_ts = true;
	ev.event_ns = ev_ns;
	return connid_event(c, &ev, ev_ns + 1000);
}

static bool
dumped(struct connid *c, uint32_t id, int64_t start_ns)
{
	struct ct_event ev = conn(id);

	ev.type = CT_EV_UPDATE;
	ev.has_start = true;
	ev.start_ns = start_ns;
	return connid_dump_entry(c, &ev, T + 1000 * S);
}

/* The start-up dump of a first run, empty: nothing open before. */
static struct connid *
started(int64_t at)
{
	struct connid *c;

	assert_int_equal(connid_new(CONNID_BUCKETS, &c), 0);
	connid_drained(c, at);
	connid_dump_begin(c);
	connid_dump_end(c, true);
	return c;
}

static void
test_floor(void **state)
{
	struct connid *c;

	(void)state;
	assert_int_equal(connid_new(CONNID_BUCKETS, &c), 0);
	/* Nothing known: every dump entry counts, once. */
	assert_int_equal(connid_floor(c), 0);
	assert_true(dumped(c, 1, T));
	assert_false(dumped(c, 1, T));
	/* Found empty: the floor follows, less the slack. */
	connid_drained(c, T + S);
	assert_int_equal(connid_floor(c), 0);	/* the restart gap */
	connid_dump_begin(c);
	connid_dump_end(c, true);
	assert_int_equal(connid_floor(c), T + S - CONNID_SLACK_NS);
	connid_drained(c, T);			/* never back */
	assert_int_equal(connid_floor(c), T + S - CONNID_SLACK_NS);
	/* Below it, a dump entry is an old connection. */
	assert_false(dumped(c, 2, T + S / 2));
	/* A loss holds it where it was until a clean dump. */
	connid_lost(c);
	connid_drained(c, T + 5 * S);
	assert_int_equal(connid_floor(c), T + S - CONNID_SLACK_NS);
	connid_dump_end(c, true);		/* none began: nothing */
	assert_int_equal(connid_floor(c), T + S - CONNID_SLACK_NS);
	connid_dump_begin(c);
	connid_dump_end(c, false);		/* not read to its end */
	assert_int_equal(connid_floor(c), T + S - CONNID_SLACK_NS);
	connid_dump_begin(c);
	connid_dump_end(c, true);
	assert_int_equal(connid_floor(c), T + 5 * S - CONNID_SLACK_NS);
	connid_free(c);
}

/* NEW events always count; one a dump counted first does not; one of a
 * later connection with the same key does. */
static void
test_event_and_dump(void **state)
{
	struct connid *c = started(T);

	(void)state;
	assert_true(event(c, 7, T + S));
	assert_true(event(c, 7, T + S + 5000000));	/* the same tuple, 5 ms on */
	assert_false(dumped(c, 7, T + S + 5000000 + 10000));
	/* A dump first. */
	assert_true(dumped(c, 8, T + 2 * S));
	assert_false(event(c, 8, T + 2 * S - 12000));
	assert_true(event(c, 8, T + 2 * S + 8500000));
	/* Without timestamps: read times, and a dump without a start is
	 * counted only where nothing is known. */
	{
		struct ct_event ev = conn(9);

		assert_true(connid_event(c, &ev, T + 3 * S));
		ev.type = CT_EV_UPDATE;
		assert_false(connid_dump_entry(c, &ev, T + 4 * S));
		ev = conn(10);
		ev.type = CT_EV_UPDATE;
		assert_false(connid_dump_entry(c, &ev, T + 4 * S));
		connid_lost(c);
		assert_true(connid_dump_entry(c, &ev, T + 4 * S));
		assert_false(connid_dump_entry(c, &ev, T + 5 * S));
	}
	connid_free(c);
}

/* Times at the edges never overflow a span: 0, negative, 2262. */
static void
test_edge_times(void **state)
{
	struct connid *c = started(T);
	struct ct_event ev = conn(3);

	(void)state;
	ev.has_event_ts = true;
	ev.event_ns = INT64_MAX;
	assert_true(connid_event(c, &ev, INT64_MAX));
	ev.event_ns = INT64_MIN;
	assert_true(connid_event(c, &ev, INT64_MIN));
	ev.event_ns = 0;
	assert_true(connid_event(c, &ev, 0));
	ev.type = CT_EV_UPDATE;
	ev.has_start = true;
	ev.start_ns = INT64_MAX;
	(void)connid_dump_entry(c, &ev, INT64_MAX);
	ev.start_ns = INT64_MIN;
	(void)connid_dump_entry(c, &ev, INT64_MIN);
	/* No times: ignored. */
	connid_drained(c, INT64_MIN);
	connid_drained(c, INT64_MAX);
	assert_int_equal(connid_floor(c), T - CONNID_SLACK_NS);
	connid_free(c);
}

/*
 * The snapshot: the floor and the live records; what a restart reads
 * back decides the start-up dump.
 */
static void
test_snapshot(void **state)
{
	struct connid *c = started(T), *r;
	void *buf;
	size_t len;

	(void)state;
	assert_true(event(c, 1, T + S));		/* below the floor */
	connid_drained(c, T + 2 * S);
	assert_true(event(c, 2, T + 2 * S + 1000));	/* above it */
	assert_true(dumped(c, 3, T + 3 * S));		/* a dump's, above */
	assert_int_equal(connid_snapshot(c, &buf, &len), 0);
	assert_int_equal(len, 24 + 2 * 16);

	assert_int_equal(connid_new(CONNID_BUCKETS, &r), 0);
	assert_int_equal(connid_restore(r, buf, len), 0);
	assert_int_equal(connid_floor(r), 0);	/* nothing drained yet */
	connid_drained(r, T + 10 * S);
	assert_int_equal(connid_floor(r), T + 2 * S - CONNID_SLACK_NS);
	assert_false(dumped(r, 1, T + S + 10000));
	assert_false(dumped(r, 2, T + 2 * S + 10000));
	assert_false(dumped(r, 3, T + 3 * S));
	assert_true(dumped(r, 4, T + 3 * S));		/* while down */
	assert_true(dumped(r, 2, T + 5 * S));		/* the key again */
	connid_free(r);

	/* Bad snapshots change nothing: everything open counts. */
	assert_int_equal(connid_new(CONNID_BUCKETS, &r), 0);
	assert_int_equal(connid_restore(r, NULL, 0), -EINVAL);
	assert_int_equal(connid_restore(r, buf, 23), -EINVAL);
	assert_int_equal(connid_restore(r, buf, len - 1), -EINVAL);
	assert_int_equal(connid_restore(r, buf, len + 16), -EINVAL);
	((unsigned char *)buf)[0] ^= 1;			/* magic */
	assert_int_equal(connid_restore(r, buf, len), -EINVAL);
	((unsigned char *)buf)[0] ^= 1;
	((unsigned char *)buf)[7] = 2;			/* version */
	assert_int_equal(connid_restore(r, buf, len), -EINVAL);
	((unsigned char *)buf)[7] = 1;
	((unsigned char *)buf)[8] = 0x80;		/* negative floor */
	assert_int_equal(connid_restore(r, buf, len), -EINVAL);
	((unsigned char *)buf)[8] = 0;
	memset((unsigned char *)buf + 16, 0xff, 4);	/* count */
	assert_int_equal(connid_restore(r, buf, len), -EINVAL);
	connid_drained(r, T + 10 * S);
	assert_true(dumped(r, 1, T + S + 10000));
	connid_free(r);
	free(buf);
	connid_free(c);
}

/*
 * 200,000 connections opened within a loss (the table's worst case: all
 * live until a resync settles it), then the resync dump lists them all:
 * almost none is counted again (set-associative buckets forget the
 * oldest of a full bucket), none is missed; after a settled dump, the
 * table takes as many again.
 */
static void
test_full_window(void **state)
{
	struct connid *c = started(T);
	int n = 200000, again = 0;

	(void)state;
	connid_lost(c);
	for (int i = 0; i < n; i++)
		assert_true(event(c, (uint32_t)i + 1, T + S + i * 1000LL));
	connid_dump_begin(c);
	for (int i = 0; i < n; i++)
		again += dumped(c, (uint32_t)i + 1, T + S + i * 1000LL + 5000);
	connid_dump_end(c, true);
	print_message("counted again by the resync: %d of %d\n", again, n);
	assert_true(again < n / 1000);
	connid_drained(c, T + 10 * S);
	for (int i = 0; i < n; i++)
		assert_false(dumped(c, (uint32_t)i + 1,
		    T + S + i * 1000LL + 5000));
	connid_free(c);
}

/*
 * A bucket of 16 live records takes a 17th by forgetting its oldest: that
 * connection may then be counted twice by a dump, never missed; a dead
 * record (below the floor) goes first. A table's size is a power of two.
 */
static void
test_full_bucket(void **state)
{
	struct connid *c;

	(void)state;
	assert_int_equal(connid_new(3, &c), -EINVAL);
	assert_null(c);
	assert_int_equal(connid_new(0, &c), -EINVAL);
	assert_int_equal(connid_new(1, &c), 0);
	connid_drained(c, T);
	connid_dump_begin(c);
	connid_dump_end(c, true);
	connid_lost(c);
	for (uint32_t id = 1; id <= 17; id++)
		assert_true(event(c, id, T + id * S));
	connid_dump_begin(c);
	assert_true(dumped(c, 1, T + S));		/* forgotten: again */
	for (uint32_t id = 3; id <= 17; id++)
		assert_false(dumped(c, id, T + id * S));
	connid_dump_end(c, true);
	/* Settled: all dead below the new floor; 16 new ones fit, none of
	 * them forgotten. */
	connid_drained(c, T + 100 * S);
	for (uint32_t id = 101; id <= 116; id++)
		assert_true(event(c, id, T + 100 * S + id));
	connid_lost(c);
	connid_dump_begin(c);
	for (uint32_t id = 101; id <= 116; id++)
		assert_false(dumped(c, id, T + 100 * S + id));
	connid_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_floor),
		cmocka_unit_test(test_event_and_dump),
		cmocka_unit_test(test_edge_times),
		cmocka_unit_test(test_snapshot),
		cmocka_unit_test(test_full_window),
		cmocka_unit_test(test_full_bucket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
