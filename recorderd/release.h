/*
 * release: the daemon's side of the plugin's socket hand-over
 * (lib/fdpass.h). A thread receives the nftables sockets the CNI plugin
 * gives up after its batch and closes them together once hand-overs have
 * paused for RELEASE_QUIET_MS, or when RELEASE_MAX_HELD are held. Closing
 * one of them can block for an RCU grace period under the nf_tables
 * commit mutex; that happens here, off the recording path and mostly
 * between bursts of pod starts, instead of in front of the next ADD.
 */
#ifndef NPR_RELEASE_H
#define NPR_RELEASE_H

#include <stdint.h>

#define RELEASE_QUIET_MS 100
#define RELEASE_MAX_HELD 256

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

#endif
