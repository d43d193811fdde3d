/*
 * release: the daemon's side of the plugin's hand-over (lib/fdpass.h).
 * A thread receives what the CNI plugin gives up after its batch:
 *  - its nftables socket, closed here together with the others once
 *    hand-overs have paused for RELEASE_QUIET_MS, or when
 *    RELEASE_MAX_HELD are held. Closing one of them can block for an RCU
 *    grace period under the nf_tables commit mutex; that happens here,
 *    off the recording path and mostly between bursts of pod starts,
 *    instead of in front of the next ADD;
 *  - the attachment its ADD or DEL made (lib/attmsg.h), queued for the
 *    event loop at once (release_fd() turns readable): the loop knows a
 *    new pod before its first packet.
 */
#ifndef NPR_RELEASE_H
#define NPR_RELEASE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/attmsg.h"

#define RELEASE_QUIET_MS 100
#define RELEASE_MAX_HELD 256
/* Attachments queued for the loop at most; more are counted, not kept
 * (the daemon's check of the kernel's elements finds them again). */
#define RELEASE_MAX_QUEUED 4096

struct release;

/* Bind path and start the thread, which closes what it holds after
 * quiet_ms without a hand-over (the daemon passes RELEASE_QUIET_MS).
 * Returns 0 or -errno (nothing left). */
int release_start(const char *path, int quiet_ms, struct release **out);

/* Close every held socket, remove the socket file, end the thread. NULL
 * is fine. */
void release_stop(struct release *r);

/* Sockets received so far (for the status line and tests). */
uint64_t release_received(struct release *r);

/* An eventfd, readable while attachments wait (read it, then
 * release_take); -1 for NULL. */
int release_fd(const struct release *r);

/*
 * Move the attachments received since the last call into *out (the
 * caller's, free()), in the order they came; returns how many (0: *out
 * is NULL). *dropped (may be NULL) gets how many did not fit the queue
 * or were malformed since the last call.
 */
size_t release_take(struct release *r, struct attmsg **out,
    uint64_t *dropped);

#endif
