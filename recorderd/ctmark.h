/*
 * ctmark: put the recorder's mark bit on connections that were open
 * before their pod's addresses were in the table's sets.
 *
 * The rules mark a connection at its first packet only. A pod the daemon
 * adopts (it was running before it was recorded) has connections that
 * no rule marked: the kernel's filter would hide them from the start-up
 * dump, from the refresh dumps (so their flows would age out while they
 * are open) and from DESTROY events. ctmark lists the conntrack table
 * (both families, unfiltered), and for each connection whose original
 * source or reply source (the pod as client, or as server after DNAT:
 * what the rules match) is one of the given addresses, sets the bit with
 * a conntrack update (CTA_MARK with CTA_MARK_MASK: the other bits are
 * kept), and hands each to the caller: it was never seen as a NEW event
 * (nothing marked it), so the caller records it now (rec_ct_open). Later
 * mark-filtered dumps and its DESTROY event see it like any other.
 *
 * For a node's worth of addresses (adoption at start-up) the whole table
 * is listed once; for a few (pods adopted later, one by one) the kernel
 * lists only their connections (CTA_FILTER on the original and the
 * reply source, per address). Runs on the caller's thread; netlink only.
 */
#ifndef NPR_CTMARK_H
#define NPR_CTMARK_H

#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "recorderd/ct.h"

/* At most this many connections are marked per call (memory for the
 * updates is about 100 bytes each); more are counted in skipped. */
#define CTMARK_MAX 262144
/* Up to this many addresses the kernel filters the listing per address
 * (CTA_FILTER: two walks of the table in the kernel per address, nothing
 * copied out); more, and the table is listed once, whole. Measured with
 * 50,000 entries: 30-50 ms per filtered address, 300-400 ms for the
 * whole listing (every entry copied and parsed): even at 8. */
#define CTMARK_FILTERED_MAX 8

struct ctmark_count {
	size_t seen;		/* connections listed */
	size_t marked;		/* ... marked now */
	size_t already;		/* ... of those addresses, marked already */
	size_t gone;		/* closed between the dump and the update */
	size_t skipped;		/* beyond CTMARK_MAX */
};

/* Called with each connection marked (as the listing gave it: its mark
 * without the bit), for the caller to record it. */
typedef void (*ctmark_cb)(void *arg, const struct ct_event *ev);

/*
 * Mark with bit the open connections of addrs[0..n); opened (may be
 * NULL) is called for each, with arg. Returns 0 (see *count), or -errno
 * of the socket or the dump (-EPERM without CAP_NET_ADMIN, -ENOMEM).
 */
int ctmark_existing(const struct addr *addrs, size_t n, uint32_t bit,
    ctmark_cb opened, void *arg, struct ctmark_count *count);

#endif
