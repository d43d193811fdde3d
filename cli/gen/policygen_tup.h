/*
 * policygen_tup: a workload's recorded flows of one direction as tuples
 * (peer, protocol, port), and their order. Internal to policygen: include
 * only from cli/policygen*.c.
 *
 * A peer is a workload or a CIDR (an address, or the KnownServer entry
 * widening it). Sorted with policygen_tup_cmp, the tuples of one peer are
 * contiguous and in (protocol, port) order, which is what grouping them
 * into peers and rules (policygen_rules.h) relies on.
 */
#ifndef NPR_CLI_POLICYGEN_TUP_H
#define NPR_CLI_POLICYGEN_TUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/source/index.h"
#include "cli/source/knownservers.h"
#include "cli/gen/policygen.h"
#include "lib/addr.h"

enum policygen_tup_peer {
	POLICYGEN_TUP_WORKLOAD = 0,
	POLICYGEN_TUP_CIDR = 1,
};

struct policygen_tup {
	int pk;					/* enum policygen_tup_peer */
	const struct index_workload *wl;	/* POLICYGEN_TUP_WORKLOAD */
	struct addr_cidr cidr;			/* POLICYGEN_TUP_CIDR: the
						 * rule's */
	const struct ks_entry *ks;		/* the KnownServer, if any */
	struct addr seen;			/* the address in the traffic */
	const char *dns;
	int64_t last_seen;
	uint8_t proto;
	uint16_t port;
	bool has_port;				/* false: ICMP (neighbors) */
};

/* A growable array of tuples; { 0 } is empty, free v when done. */
struct policygen_tupv {
	struct policygen_tup *v;
	size_t n, cap;
};

/* Append a copy of t. 0 or -ENOMEM. */
int policygen_tupv_add(struct policygen_tupv *tv,
    const struct policygen_tup *t);

/*
 * Make t an address peer: the KnownServer entry of ks with the longest
 * prefix containing a when widen (ks may be NULL), else a's /32 or /128.
 */
void policygen_tup_addr(struct policygen_tup *t, const struct addr *a,
    const struct ks_set *ks, bool widen);

/*
 * The tuples of wl's flows of one direction for its NetworkPolicy,
 * appended to tv. What a policy cannot or should not express (ICMP,
 * unknown peers, nodes and hostNetwork pods unless o->include_nodes) is
 * noted in r's lists instead; r->nflows counts the flows seen. 0 or
 * -ENOMEM.
 */
int policygen_tup_collect(const struct index *idx,
    const struct index_workload *wl, int direction,
    const struct policygen_opts *o, struct policygen_tupv *tv,
    struct policygen_result *r);

/* Order of peers only: workloads (by index position) before CIDRs. */
int policygen_tup_peer_cmp(const struct policygen_tup *x,
    const struct policygen_tup *y);
/* qsort: peer, then ported after not, protocol, port, seen, last_seen. */
int policygen_tup_cmp(const void *a, const void *b);
/* qsort: peer, seen address, last_seen (the policyRef order). */
int policygen_tup_ref_cmp(const void *a, const void *b);

#endif
