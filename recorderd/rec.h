/*
 * rec: what the daemon does with the messages it reads. Conntrack
 * messages (events or dump entries) are decoded, attributed to pods and
 * aggregated; NFLOG messages carrying DNS answers are remembered per pod;
 * a flush hands the flows, what attribution decided and the counters to
 * the store's writer as one batch (recorderd/batch.h), and aggregation
 * goes on in a second table while the writer works: the store being busy
 * never holds up the reading. No sockets and no store here: the event
 * loop (rd.c) reads, and the unit tests replay recorded message streams
 * through these same functions.
 */
#ifndef NPR_REC_H
#define NPR_REC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recorderd/attrib.h"
#include "recorderd/batch.h"

struct rec;

/*
 * Where rec_flush() hands a filled batch: rd.c's writer thread, or in
 * tests the writer run inline. submit takes b over until it is given back
 * with rec_batch_back(); it is only called while no other batch is out.
 */
struct rec_sink {
	void (*submit)(void *arg, struct batch *b);
	void *arg;
};

/*
 * Record attributing with at (borrowed), handing batches to sink (copied):
 * only connections whose mark carries every bit of mark count; at most
 * max_flows distinct flows are held in each of the two tables (the one
 * filled, the one being written). *out is freed with rec_free().
 * Returns 0, -EINVAL or -ENOMEM.
 */
int rec_new(struct attrib *at, const struct rec_sink *sink, uint32_t mark,
    uint32_t max_flows, struct rec **out);
/* Frees the batches it holds (not one that is out). */
void rec_free(struct rec *r);

/* Change the mark bit (configuration reload). */
void rec_set_mark(struct rec *r, uint32_t mark);

/*
 * Handle a buffer of ctnetlink messages as read from a socket. from_dump:
 * the entries of a table dump (counted once even when their NEW event was
 * seen too). *done is set when the buffer ends a dump (NLMSG_DONE or an
 * error). Returns the number of conntrack entries in the buffer.
 */
int rec_ct_buf(struct rec *r, const void *buf, size_t len, bool from_dump,
    int64_t now, bool *done);

/*
 * The conntrack messages handed next were read at now_ns (CLOCK_REALTIME
 * nanoseconds): a NEW event without a timestamp of its own is known by
 * it. Without a call, now (seconds) stands for it.
 */
void rec_ct_read_at(struct rec *r, int64_t now_ns);

/*
 * What the event loop knows of the event socket and the dumps, for
 * counting each connection once (recorderd/connid.h): the socket was
 * found empty by a read that began at since_ns (also right after it was
 * subscribed); the kernel dropped events (ENOBUFS); a dump of the table
 * begins, and ends (clean: read to its end, and the event socket dropped
 * nothing meanwhile; a dump that ended with an error message is not).
 */
void rec_ct_drained(struct rec *r, int64_t since_ns);
void rec_ct_lost(struct rec *r);
void rec_dump_begin(struct rec *r);
void rec_dump_end(struct rec *r, bool clean);

/*
 * Before anything is read: the connections the previous run counted, as
 * its last flush wrote them (the store's meta value BATCH_COUNTED_META).
 * 0, or -EINVAL when buf is not such a snapshot (nothing changed: every
 * open connection is then counted by the start-up dump).
 */
int rec_restore_counted(struct rec *r, const void *buf, size_t len);

/*
 * A connection that was open before its pod was recorded (an adopted
 * pod's, found and marked by recorderd/ctmark.h): counted once, as a
 * connection that opened now (recorderd/connid.h, connid_adopted),
 * attributed and aggregated like a NEW event (waiting for its pod like
 * one).
 */
void rec_ct_open(struct rec *r, const struct ct_event *ev, int64_t now);

/* Handle a buffer of nfnetlink_log messages of NFLOG group: DNS answers
 * to local pods are remembered. */
void rec_nflog_buf(struct rec *r, const void *buf, size_t len,
    uint16_t group, int64_t now);

/* How long an event with one end a known pod and the other perhaps a
 * pod just attached waits for that pod (attrib_event_hold). */
#define REC_HOLD_MS 100

/*
 * Retry the events that arrived before their pod's attachment was known
 * (after a newer pod table came, an attachment was announced, or a held
 * event's time is up): one with no known end waits up to 5 s, then it
 * is counted in events_unattributed; one with an end known waits up to
 * REC_HOLD_MS, then it is recorded with the other end as it is.
 */
void rec_retry_pending(struct rec *r, int64_t now);

/* Milliseconds until the first held event's time is up (0: now), or -1
 * when none is held: the event loop's poll timeout. */
int rec_hold_ms(const struct rec *r);

/* Events waiting for their pod. */
int rec_npending(const struct rec *r);

/* Did an event find no known local pod since the last call? Then the
 * attachments should be read again (the plugin may just have written
 * one). Clears the flag. */
bool rec_take_want_pods(struct rec *r);

/*
 * Hand what was aggregated (flows, what attribution queued for the store,
 * the counters, and which connections were counted for a restart) to the
 * sink and go on in the other table. Returns 0
 * (handed over, or nothing to hand), or -EBUSY when the sink still has
 * the previous batch: everything stays here, counted in
 * flushes_deferred, and is handed over at a later call.
 */
int rec_flush(struct rec *r, int64_t now);

/* The sink is done with b (written): it is emptied and filled next. */
void rec_batch_back(struct rec *r, struct batch *b);

/* Was a flush deferred since the last batch went out? Hand it over as
 * soon as the batch is back. */
bool rec_flush_pending(const struct rec *r);

/* Distinct flows held in the table being filled. */
size_t rec_nflows(const struct rec *r);

/* Prune flows last seen before cutoff with the next flush. */
void rec_prune(struct rec *r, int64_t cutoff);

/* Set key of the store's meta table to value with the next flush (the
 * publisher's counters, the node's uid). 0, -EINVAL, -ENOMEM. */
int rec_set_meta(struct rec *r, const char *key, const char *value);

/* The counters not yet handed over, for the event loop to add to. */
struct batch_counts *rec_counts(struct rec *r);

#endif
