/*
 * dns: DNS answers decoded from a captured response, bounded and safe
 * against hostile input (compression pointer loops, lengths past the
 * end, oversized names). Nothing here does I/O or allocates.
 */
#ifndef NPR_DNS_H
#define NPR_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"

#define DNS_NAME_LEN 256	/* 253 characters of dotted text + NUL */
#define DNS_MAX_ANSWERS 32	/* addresses kept per response */
#define DNS_MAX_RECORDS 64	/* answer records looked at per response */

struct dns_answer {
	struct addr addr;
	uint32_t ttl;
};

struct dns_answers {
	char qname[DNS_NAME_LEN];	/* the question, lower case, no final dot */
	uint16_t qtype;
	int n;				/* addresses in a[] */
	struct dns_answer a[DNS_MAX_ANSWERS];
};

/*
 * Decode one DNS response message (no framing) at buf. Fills *out with
 * the question name and every A/AAAA address reached from it, directly
 * or through a chain of CNAMEs (at most 16 links). A message cut short
 * (a small snapshot length) yields the answers that were complete.
 * Returns 0, -EINVAL for a malformed header or question, -ENOMSG when the
 * message is not a successful response (a query, an error rcode, no
 * question).
 */
int dns_parse(const void *buf, size_t len, struct dns_answers *out);

/*
 * The same for DNS over TCP: buf starts with the 2-byte length prefix.
 * *used gets the bytes consumed (prefix included) so that a segment
 * carrying several messages can be walked; a message longer than what
 * is left is decoded as far as it goes, and *used is then len.
 */
int dns_parse_tcp(const void *buf, size_t len, struct dns_answers *out,
    size_t *used);

#endif
