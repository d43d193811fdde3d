/*
 * ct: conntrack event messages (ctnetlink) decoded into plain structs.
 *
 * The decoding uses libnetfilter_conntrack's own message parser
 * (nfct_nlmsg_parse) and then copies what the recorder needs into a
 * struct ct_event, so the rest of the daemon never touches the opaque
 * nf_conntrack object. Nothing here does I/O.
 */
#ifndef NPR_CT_H
#define NPR_CT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"

enum ct_event_type {
	CT_EV_NEW = 1,		/* IPCTNL_MSG_CT_NEW with NLM_F_CREATE */
	CT_EV_UPDATE = 2,	/* IPCTNL_MSG_CT_NEW otherwise (dump entries) */
	CT_EV_DESTROY = 3,	/* IPCTNL_MSG_CT_DELETE */
};

struct ct_tuple {
	struct addr src;
	struct addr dst;
	uint16_t sport;		/* host order; 0 for ICMP */
	uint16_t dport;
	uint8_t icmp_type;	/* ICMP/ICMPv6 only */
	uint8_t icmp_code;
	uint16_t icmp_id;
};

struct ct_event {
	uint8_t type;		/* enum ct_event_type */
	uint8_t family;		/* AF_INET, AF_INET6 */
	uint8_t proto;		/* IPPROTO_TCP, _UDP, _SCTP, _ICMP, ... */
	bool has_reply;		/* reply tuple present */
	bool has_mark;
	bool has_id;
	bool has_counters;	/* accounting attributes present */
	bool has_start;		/* start_ns present */
	bool has_event_ts;	/* event_ns present */
	struct ct_tuple orig;
	struct ct_tuple reply;
	uint32_t mark;
	uint32_t id;
	uint64_t orig_packets, orig_bytes;
	uint64_t reply_packets, reply_bytes;
	/*
	 * The timestamp extension (net.netfilter.nf_conntrack_timestamp):
	 * start_ns is when the connection was confirmed (CTA_TIMESTAMP
	 * START, in dump entries and DESTROY events); event_ns is when its
	 * first event was generated (CTA_TIMESTAMP_EVENT, Linux 6.14 and
	 * later, in every event: for NEW, microseconds from the start, on
	 * either side of it). Both are CLOCK_REALTIME nanoseconds.
	 */
	int64_t start_ns;
	int64_t event_ns;
};

/*
 * Decode the single netlink message at buf (len bytes available, the
 * message's own nlmsg_len must fit in them) into *ev.
 * Returns 0, -ENOMSG when it is not a conntrack NEW/DELETE message (a
 * control message, an expectation, another subsystem: the caller skips
 * it), -EINVAL when it is malformed or lacks an original tuple, -ENOMEM.
 * Unknown attributes are skipped. Not thread-safe (uses one scratch
 * object per thread).
 */
int ct_event_parse(const void *buf, size_t len, struct ct_event *ev);

/* Free the per-thread scratch object (for leak checkers; optional). */
void ct_parse_cleanup(void);

/* Is the connection's mark carrying every bit of mask? */
bool ct_event_has_mark(const struct ct_event *ev, uint32_t mask);

#endif
