/*
 * nflog: packets handed to userspace by an nftables "log group N" rule
 * (nfnetlink_log), decoded down to the transport payload. The DNS answers
 * the plugin logs go through here. Pure decoding plus builders for the
 * configuration messages; the event loop owns the socket.
 */
#ifndef NPR_NFLOG_H
#define NPR_NFLOG_H

#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"

struct nflog_pkt {
	uint16_t group;			/* res_id of the message */
	uint8_t family;			/* nfgen_family */
	uint16_t hw_protocol;		/* host order, 0 if absent */
	const char *prefix;		/* borrowed, NUL-terminated, or NULL */
	const uint8_t *payload;		/* network header onwards, borrowed */
	size_t payload_len;
};

/*
 * Decode one nfnetlink_log message (a single nlmsghdr whose nlmsg_len
 * fits in len). Pointers in *out point into buf.
 * Returns 0, -ENOMSG for another message type, -EINVAL when malformed or
 * when it carries no payload.
 */
int nflog_msg_parse(const void *buf, size_t len, struct nflog_pkt *out);

struct nflog_l4 {
	struct addr src, dst;
	uint8_t proto;			/* IPPROTO_UDP or IPPROTO_TCP */
	uint16_t sport, dport;		/* host order */
	const uint8_t *data;		/* transport payload, borrowed */
	size_t len;
};

/*
 * Walk an IPv4 or IPv6 packet (extension headers included) to its UDP
 * or TCP payload. Returns 0, -ENOMSG for other protocols and for
 * non-first fragments, -EINVAL when a header does not fit.
 */
int nflog_l4_parse(const uint8_t *pkt, size_t len, struct nflog_l4 *out);

/*
 * Build in buf the configuration messages that bind this socket to
 * group and ask for copy_range bytes of each packet. Returns the total
 * length written (the messages are back to back, each with NLM_F_ACK and
 * seq, seq+1), or -ENOSPC. unbind builds the UNBIND command instead.
 */
int nflog_build_bind(void *buf, size_t len, uint16_t group,
    uint32_t copy_range, uint32_t seq);
int nflog_build_unbind(void *buf, size_t len, uint16_t group, uint32_t seq);

#endif
