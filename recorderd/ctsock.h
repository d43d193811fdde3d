/*
 * ctsock: the netlink sockets of the daemon (conntrack events, conntrack
 * dumps, NFLOG) and the few kernel knobs around them. Thin wrappers that
 * return 0 or -errno; the message decoding lives in ct.c and nflog.c.
 */
#ifndef NPR_CTSOCK_H
#define NPR_CTSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

/*
 * A non-blocking socket subscribed to conntrack NEW events (and DESTROY
 * when destroy is true), IPv4 and IPv6, with a kernel-side filter that
 * only lets through connections whose mark carries every bit of mark,
 * and a receive buffer of rcvbuf bytes. The caller closes *out with
 * mnl_socket_close().
 */
int ctsock_open_events(uint32_t mark, bool destroy, uint64_t rcvbuf,
    struct mnl_socket **out);

/* Replace the event socket's filter (after a config reload). */
int ctsock_set_filter(struct mnl_socket *nl, uint32_t mark);

/* SO_RCVBUFFORCE (needs CAP_NET_ADMIN), falling back to SO_RCVBUF.
 * *got (may be NULL) receives what the kernel reports. */
int ctsock_set_rcvbuf(int fd, uint64_t bytes, uint64_t *got);

/* Build a dump request of the conntrack table, both families, of the
 * connections whose mark carries mark. Returns the length or -ENOSPC. */
int ctsock_build_dump(void *buf, size_t len, uint32_t mark, uint32_t seq);

/* Open a non-blocking socket and send a dump request on it. */
int ctsock_dump_start(uint32_t mark, uint32_t seq, uint64_t rcvbuf,
    struct mnl_socket **out);

/* Messages the kernel dropped for the netlink socket of portid in this
 * network namespace (the Drops column of /proc/net/netlink). */
int ctsock_drops(uint32_t portid, uint64_t *out);

/* An NFLOG socket bound to group, copying snaplen bytes per packet.
 * -EBUSY when another process holds the group. */
int ctsock_open_nflog(uint16_t group, uint32_t snaplen, uint64_t rcvbuf,
    struct mnl_socket **out);
/* Unbind (best effort) and close. NULL is fine. */
void ctsock_close_nflog(struct mnl_socket *nl, uint16_t group);

/* Write 1 or 0 to /proc/sys/net/netfilter/nf_conntrack_acct (of the
 * caller's network namespace). */
int ctsock_set_acct(bool on);

/* The same for nf_conntrack_timestamp: connections created from then on
 * carry their start (CTA_TIMESTAMP) and their events a timestamp
 * (CTA_TIMESTAMP_EVENT, Linux 6.14 and later). */
int ctsock_set_tstamp(bool on);

/* Does the process hold CAP_NET_ADMIN (in its effective set)? 0 when
 * it does, -EPERM when not; what every socket above needs (conntrack
 * events and dumps, NFLOG, SO_RCVBUFFORCE, nf_tables). */
int ctsock_check_admin(void);

#endif
