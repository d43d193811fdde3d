/*
 * writer: the thread that owns the daemon's store connection for the
 * event loop, so that the loop never waits on SQLite.
 *
 * It does three jobs, one at a time, on its own connection:
 *  - write the attachments the daemon learnt itself (the CNI plugin's
 *    ADD and DEL handed over, pods adopted or released, attachments
 *    recovered from the kernel), in their order, in one transaction,
 *    before anything else, retrying while the store is locked (the loop
 *    attributes them meanwhile; the next read of the pods brings their
 *    store ids);
 *  - write a batch (recorderd/batch.h) in one transaction, and keep
 *    retrying it while the store is locked by another process or refuses
 *    writes, without ever blocking the loop: the loop goes on in its
 *    second table meanwhile (recorderd/rec.h);
 *  - read the attached pods (recorderd/pods.h) when the loop asks, and
 *    hand the table over.
 * The loop learns that something is ready from writer_fd() (an eventfd:
 * read it, then take every result with writer_done, writer_take_pods and
 * writer_take_error; a result that comes later makes it readable again).
 * None of these calls blocks: they take a mutex held only for pointer
 * swaps.
 *
 * For unit tests a writer can run inline (no thread): submit writes at
 * once, a pod request reads at once, and writer_retry() retries a batch
 * that could not be written.
 */
#ifndef NPR_WRITER_H
#define NPR_WRITER_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/store.h"
#include "recorderd/batch.h"
#include "recorderd/pods.h"

/* How long one attempt waits for another process's write lock. */
#define WRITER_BUSY_MS 200
/* How long a batch that failed for another reason (a full disk) waits
 * before the next attempt. */
#define WRITER_RETRY_MS 1000

struct writer;

/* One change of the store's attachments. */
enum writer_att_op {
	WRITER_ATT_PUT,		/* store_attachment_put */
	WRITER_ATT_PUT_NEW,	/* the same, unless it is attached already
				 * (a record recovered from the kernel must
				 * not replace the plugin's richer one) */
	WRITER_ATT_DETACH,	/* store_attachment_detach; none is fine */
};

struct writer_att {
	int op;				/* enum writer_att_op */
	int64_t time;			/* when it happened, Unix s */
	struct store_attachment att;
};

/*
 * Open a connection of its own to the store at path and, when threaded,
 * start the thread. *out is freed with writer_stop(). Returns 0 or
 * -errno (of the store, of the eventfd, of the thread).
 */
int writer_start(const char *path, bool threaded, struct writer **out);

/*
 * Write what the writer holds (retrying for up to timeout_ms), stop the
 * thread and close. A batch it could not write in time is freed: the
 * return is then -ETIMEDOUT (or the store's error) and *lost (may be
 * NULL) gets its number of flows. NULL is fine.
 */
int writer_stop(struct writer *w, int timeout_ms, size_t *lost);

/* An eventfd, readable once a result waits; -1 for an inline writer. */
int writer_fd(const struct writer *w);

/*
 * Take batch b to write (the writer's until writer_done gives it back).
 * Only one batch at a time: -EBUSY while it still has one (b is then
 * not taken).
 */
int writer_submit(struct writer *w, struct batch *b);

/* The batch written, or NULL. batch_result() tells what it did. */
struct batch *writer_done(struct writer *w);

/* Is a batch or are attachments being written (or waiting for the
 * store)? */
bool writer_busy(struct writer *w);

/*
 * Wait (blocking, up to timeout_ms) until the batch and the attachments
 * it has are written. For shutdown only. 0, or -ETIMEDOUT.
 */
int writer_drain(struct writer *w, int timeout_ms);

/*
 * Ask for the attached pods. Without force they are read only when the
 * store changed since the last read (any other process's commit: the
 * plugin's ADD or DEL). Requests made while one is pending are one.
 */
void writer_request_pods(struct writer *w, bool force);

/* The table read since the last call (the caller's now), or NULL. */
struct pods *writer_take_pods(struct writer *w);

/*
 * The last failure to write a batch since the last call: 1 with *err
 * (-errno) and msg (the store's message) filled, or 0 when none.
 */
int writer_take_error(struct writer *w, int *err, char *msg, size_t len);

/* Inline writer: try the batch it holds again now. */
void writer_retry(struct writer *w);

/*
 * Queue n attachment changes (copied) to be written in this order, in
 * one transaction, as soon as the store lets the writer (before the
 * next batch). The store's data version moves: the next request for the
 * pods reads them. 0 or -ENOMEM (nothing queued).
 */
int writer_attach(struct writer *w, const struct writer_att *ops, size_t n);

/* Attachment changes queued and not written yet. */
size_t writer_attach_pending(struct writer *w);

#endif
