/*
 * rec: what the daemon does with the messages it reads. Conntrack
 * messages (events or dump entries) are decoded, attributed to pods and
 * aggregated; NFLOG messages carrying DNS answers are remembered per pod;
 * a flush writes the flows, the DNS answers and the counters to the
 * store. No sockets here: the event loop (rd.c) reads, and the unit tests
 * replay recorded message streams through these same functions.
 */
#ifndef NPR_REC_H
#define NPR_REC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/store.h"
#include "recorderd/attrib.h"

/* Counters not yet written to the store (added to it at each flush). */
struct rec_counts {
	int64_t events_seen;		/* marked conntrack messages */
	int64_t flows_written;		/* rows written */
	int64_t events_lost;		/* dropped by the kernel (rd.c) */
	int64_t resyncs;		/* dumps after an overflow (rd.c) */
	int64_t enobufs;		/* event socket overflows (rd.c) */
	int64_t dns_answers;		/* addresses learnt */
	int64_t dns_lost;		/* NFLOG socket overflows (rd.c) */
	int64_t events_unattributed;	/* no local pod within 5 s */
	int64_t parse_errors;		/* malformed messages skipped */
	int64_t flows_dropped;		/* table full and store failing */
};

struct rec;

/*
 * Record into st (borrowed), attributing with at (borrowed): only
 * connections whose mark carries every bit of mark count; at most
 * max_flows distinct flows are held between flushes. *out is freed with
 * rec_free(). Returns 0, -EINVAL or -ENOMEM.
 */
int rec_new(struct store *st, struct attrib *at, uint32_t mark,
    uint32_t max_flows, struct rec **out);
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

/* Handle a buffer of nfnetlink_log messages of NFLOG group: DNS answers
 * to local pods are remembered. */
void rec_nflog_buf(struct rec *r, const void *buf, size_t len,
    uint16_t group, int64_t now);

/* Retry the events that arrived before their pod's attachment was read
 * (re-reading the attachments first); drop those older than 5 s. */
void rec_retry_pending(struct rec *r, int64_t now);

/* Events waiting for their pod. */
int rec_npending(const struct rec *r);

/*
 * Write the aggregated flows (one transaction), the DNS answers and the
 * counters. On a store error everything stays in memory for the next
 * flush (the error is logged at most once a minute) and -errno is
 * returned.
 */
int rec_flush(struct rec *r, int64_t now);

/* The counters not yet flushed, for the event loop to add to. */
struct rec_counts *rec_counts(struct rec *r);

#endif
