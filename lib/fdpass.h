/*
 * fdpass: hand open file descriptors to another process over a Unix
 * datagram socket (SCM_RIGHTS).
 *
 * The CNI plugin uses it to give its nftables netlink socket to
 * netpol-recorderd instead of closing it, with the attachment its command
 * made as the datagram's bytes (lib/attmsg.h). The last close of a
 * NETLINK_NETFILTER socket makes the kernel take the nf_tables commit
 * mutex and wait for the transaction destroy work, one RCU grace period
 * (10-30 ms here) after any recent commit; the next plugin's batch then
 * waits on that mutex. The daemon closes the sockets it collects together,
 * once hand-overs have paused (recorderd/release.c).
 */
#ifndef NPR_FDPASS_H
#define NPR_FDPASS_H

#include <stddef.h>

/* Where the plugin and the daemon meet unless configured otherwise. */
#define FDPASS_RELEASE_PATH "/run/netpol-record/release.sock"

/* The longest usable socket path (sun_path holds 108 bytes with NUL). */
#define FDPASS_PATH_MAX 107

/*
 * Send fd to the datagram socket bound at path, without blocking. On
 * success the receiver holds its own reference and the caller may close
 * fd at once. Returns 0, or -errno: -ENOENT or -ECONNREFUSED when nobody
 * listens, -EAGAIN when the receiver's queue is full.
 */
int fdpass_send(const char *path, int fd);

/*
 * Send len bytes of buf (at least 1) with fd (or no descriptor when fd
 * is -1) as one datagram to path. When the receiver's queue is full,
 * wait up to timeout_ms for room (0: do not wait). Returns 0, or -errno
 * as fdpass_send (-EAGAIN: still full after timeout_ms).
 */
int fdpass_send_msg(const char *path, int fd, const void *buf, size_t len,
    int timeout_ms);

/*
 * Bind a datagram socket at path for receiving (non-blocking,
 * close-on-exec, mode 0600). A socket file left by a process that is gone
 * is replaced; a path where another process still receives, or that is
 * not a socket, is refused (-EADDRINUSE, -EEXIST). Returns the socket or
 * -errno.
 */
int fdpass_listen(const char *path);

/*
 * Receive the descriptors of one datagram into fds[0..max) (close-on-exec).
 * Returns how many (0 for a datagram without any), or -errno (-EAGAIN
 * when none is waiting). Descriptors beyond max are closed.
 */
int fdpass_recv(int sock, int *fds, int max);

/*
 * The same, with the datagram's bytes copied into buf (cap bytes): *len
 * gets the datagram's length, which exceeds cap when it did not fit (the
 * rest is lost).
 */
int fdpass_recv_msg(int sock, int *fds, int max, void *buf, size_t cap,
    size_t *len);

#endif
