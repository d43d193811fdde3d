/*
 * connid: which connections were counted already, so that each is counted
 * exactly once whether the daemon learns of it from its NEW event or from
 * a dump of the conntrack table (at start, after a loss, or the periodic
 * refresh), also across restarts.
 *
 * A connection is known by its conntrack id with a hash of its original
 * tuple (the key) AND by when it started: the kernel gives a new
 * connection with the same tuple (a short TCP connection made again from
 * the same port) the id of the old one when it reuses its memory, and only
 * the start tells them apart. A dump entry carries the exact start
 * (CTA_TIMESTAMP_START of the timestamp extension, which the daemon turns
 * on); a NEW event carries the time its first event was cached
 * (CTA_TIMESTAMP_EVENT, Linux 6.14 and later: microseconds from the start,
 * on either side of it, CONNID_EVENT_GAP_NS at most); without it, the
 * time the event was read stands for it (the start is at most
 * CONNID_READ_LAG_NS before).
 *
 * Every NEW event counts: the kernel sends one per connection. It is
 * remembered, and not counted when a dump already counted its connection
 * (the dump was read first). A dump entry counts unless its connection
 * was counted already. For every connection that started before the floor
 * that is known without looking anything up:
 *   - the watermark: the event socket was found empty at a time T, so the
 *     NEW event of every connection that started before T -
 *     CONNID_SLACK_NS (the time from the start to the event being queued)
 *     was read;
 *   - unless the kernel dropped events (ENOBUFS): from the watermark of
 *     that moment on nothing is known until a dump that began after the
 *     loss ends with none lost meanwhile;
 *   - and after a restart: from the floor the previous run wrote with its
 *     last flush on, until the start-up dump ends cleanly.
 * Connections from the floor on are looked up in a table of the recent
 * ones: set-associative, CONNID_BUCKETS buckets of 16 records of 16 bytes
 * (8 MiB, touched as connections come); a record wholly below the floor
 * is dead and its slot is taken first.
 *
 * What a restart needs is the floor and the records from it on: the
 * snapshot each flush writes in its own transaction (recorderd/rec.c,
 * batch.c), read back with connid_restore(). A connection that was
 * counted and flushed is then never counted again, and one counted by a
 * flush that never reached the store is counted again, from the start-up
 * dump, as long as it is still open.
 *
 * Times are CLOCK_REALTIME nanoseconds, the kernel's clock for both
 * timestamps. Nothing here does I/O or allocates per connection.
 */
#ifndef NPR_CONNID_H
#define NPR_CONNID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recorderd/ct.h"

/* From a connection's start to its NEW event being queued on the
 * socket, at most. */
#define CONNID_SLACK_NS (10 * 1000000LL)
/* Between a NEW event's timestamp and its connection's start, at most
 * (measured: 3-12 us; the same tuple came back 8.5 ms later with the same
 * id, tests/fixtures/ct/tcp4_reuse_ts.bin). */
#define CONNID_EVENT_GAP_NS (1000000LL)
/* From a connection's start to its NEW event being read, at most, when
 * the event carries no timestamp (a kernel before 6.14). */
#define CONNID_READ_LAG_NS (10 * 1000000000LL)
/* Records a snapshot holds at most. */
#define CONNID_SNAPSHOT_MAX (1u << 18)
/* Buckets of 16 records the daemon's table has (8 MiB). */
#define CONNID_BUCKETS (1u << 15)

struct connid;

/* A table of buckets (a power of two: CONNID_BUCKETS; tests use fewer)
 * with nothing counted, nothing known: every dump entry counts (a store
 * written for the first time). 0, -EINVAL or -ENOMEM. */
int connid_new(uint32_t buckets, struct connid **out);
void connid_free(struct connid *c);

/*
 * A NEW event read at read_ns. true: it counts (it is remembered); false:
 * a dump counted its connection already.
 */
bool connid_event(struct connid *c, const struct ct_event *ev,
    int64_t read_ns);

/*
 * A dump entry read at read_ns. true: it counts (it is remembered); false:
 * its connection was counted already (by its NEW event, an earlier dump,
 * or a previous run).
 */
bool connid_dump_entry(struct connid *c, const struct ct_event *ev,
    int64_t read_ns);

/*
 * A connection that was open before its pod was recorded (an adopted
 * pod's: no rule marked it at its start, so no NEW event of it was read,
 * whatever the floor says), found by a listing of the table at read_ns.
 * true: it counts (it is remembered, by its start when the entry has
 * one, so that a dump counts it no more); false: counted already.
 */
bool connid_adopted(struct connid *c, const struct ct_event *ev,
    int64_t read_ns);

/*
 * The event socket was found empty by a read that began at since_ns: the
 * NEW event of every connection that started before since_ns -
 * CONNID_SLACK_NS was handed over (or lost: connid_lost).
 */
void connid_drained(struct connid *c, int64_t since_ns);

/* The kernel dropped events of the event socket (ENOBUFS). */
void connid_lost(struct connid *c);

/*
 * A dump of the table begins; it ends with clean when it was read to its
 * end and the event socket lost nothing while it ran. A clean dump that
 * began after every loss (and after the restart) settles them: what they
 * hid is in it, or was closed. Ending a dump that did not begin does
 * nothing.
 */
void connid_dump_begin(struct connid *c);
void connid_dump_end(struct connid *c, bool clean);

/* Below this every connection is known to be counted. */
int64_t connid_floor(const struct connid *c);

/*
 * What a restart needs, as bytes for the store (*out, the caller frees
 * it): the floor and the records from it on (at most CONNID_SNAPSHOT_MAX,
 * the newest). 0 or -ENOMEM.
 */
int connid_snapshot(const struct connid *c, void **out, size_t *len);

/*
 * Take a snapshot of the previous run back (before anything is counted):
 * what started before its floor was counted, what started after is
 * counted unless it is among its records. -EINVAL (and nothing changed)
 * when buf is not a snapshot.
 */
int connid_restore(struct connid *c, const void *buf, size_t len);

#endif
