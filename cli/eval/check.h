/*
 * check: recorded flows evaluated against NetworkPolicies, shared by
 * `netpol-record check` and `netpol-record report`.
 *
 * Every recorded flow is one connection: a subject's egress flow goes from
 * the subject to its peer, an ingress flow from the peer to the subject.
 * Both ends are evaluated (npeval): the source's egress and, when the
 * destination is a pod, its ingress. A denial names the side that denies:
 * the workload whose policies of that direction leave the connection out.
 *
 * The same connection recorded from both ends (a pod to pod flow seen on
 * the client's and on the server's side) is one denial, not two: counts of
 * the flows recorded at one end are added up, and of the two ends the
 * larger is kept.
 */
#ifndef NPR_CLI_EVAL_CHECK_H
#define NPR_CLI_EVAL_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/eval/npeval.h"
#include "cli/source/index.h"

/* The other end of a connection, seen from the workload a denial is of. */
struct check_peer {
	int kind;				/* STORE_PEER_* */
	const struct index_workload *wl;	/* FLOW_PEER_WORKLOAD */
	struct addr addr;			/* ADDRESS, NODE */
};

struct check_denial {
	const struct index_workload *wl;	/* whose policies deny */
	int direction;				/* FLOW_EGRESS/INGRESS of wl */
	struct check_peer peer;
	uint8_t protocol;
	uint16_t port;				/* destination port (after
						 * DNAT) */
	int verdict;				/* NPEVAL_DENY, _UNRESOLVED */
	unsigned notes;				/* enum npeval_note */
	const char *dns_name;			/* of the peer, "" if none */
	uint64_t count;
	int64_t first_seen, last_seen;
	size_t *policies;			/* the set's indexes of the
						 * policies of this direction
						 * that select wl; owned */
	size_t npolicies;
};

struct check_result {
	size_t nflows;
	int *flow_verdict;	/* per input flow: enum npeval_verdict */
	unsigned *flow_notes;	/* per input flow: enum npeval_note */
	struct check_denial *denials;	/* sorted by workload, direction,
					 * peer, protocol, port */
	size_t ndenials;
	size_t ndenied;		/* denials with NPEVAL_DENY */
	size_t nunresolved;	/* denials with NPEVAL_UNRESOLVED */
	unsigned notes;		/* union over every flow */
};

/*
 * The npeval endpoint of a recorded workload (labels, container ports,
 * hostNetwork; namespace labels are left to the implied
 * kubernetes.io/metadata.name). Pointers are borrowed from wl.
 */
void check_ep_workload(const struct index_workload *wl,
    struct npeval_ep *ep);

/*
 * Evaluate every flow of idx against set. *out (free with
 * check_result_free) holds a verdict per flow, in the index's order, and
 * the merged denials. Returns 0 or -ENOMEM.
 */
int check_eval(const struct npeval_set *set, const struct index *idx,
    struct check_result **out);
void check_result_free(struct check_result *res);

/*
 * Does any policy of set select (in either direction) a workload of idx
 * that is in the query's scope? False when set or the scope is empty.
 */
bool check_selects_scope(const struct npeval_set *set,
    const struct index *idx);

#endif
