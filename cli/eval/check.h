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
 * Load NetworkPolicies from path into set: a YAML or JSON file (several
 * documents, Lists), a directory (its *.yaml, *.yml and *.json files in
 * name order, not recursively) or "-" for standard input. Policies without
 * a namespace get default_ns. Objects that are not NetworkPolicies are
 * counted in *nskipped. Returns 0, -EINVAL with err naming the file (and
 * line:column or the field), or -errno when a file cannot be read.
 */
int check_load_policies(struct npeval_set *set, const char *path,
    const char *default_ns, size_t *nskipped, char *err, size_t errlen);

/*
 * The policy-loading sequence of the commands: a new set (*out, free with
 * npeval_set_free) with the policies of every path of paths (as
 * check_load_policies) and the namespace labels of every file of nsfiles
 * (as check_load_namespaces). On error *out is NULL and err says what.
 */
int check_load_set(const char *const *paths, size_t npaths,
    const char *const *nsfiles, size_t nnsfiles, const char *default_ns,
    struct npeval_set **out, size_t *nskipped, char *err, size_t errlen);

/* The same for a buffer; name is used in messages. */
int check_load_policies_buf(struct npeval_set *set, const char *buf,
    size_t len, const char *name, const char *default_ns, size_t *nskipped,
    char *err, size_t errlen);

/*
 * Namespace objects (`kubectl get namespaces -o yaml`: a List, several
 * documents, or JSON) from path ("-": standard input) into *map, created
 * when NULL (caller owns it): {"namespace": {labels}}. Other kinds are
 * ignored. For npeval_set_namespaces. 0, -EINVAL with err naming the file,
 * -errno when it cannot be read.
 */
int check_load_namespaces(const char *path, json_object **map, char *err,
    size_t errlen);

/*
 * Classic mistakes in the policies themselves, given the cluster's ranges:
 * an ipBlock inside the pod range (whether it matches pod IPs is
 * implementation-defined) or inside the Service range (traffic is DNATed
 * to pod IPs before policies see it). A new JSON array of sentences (caller
 * owns), empty when there is nothing to say; NULL on ENOMEM.
 */
json_object *check_lint(const struct npeval_set *set,
    const struct addr_cidr *pod, size_t npod, const struct addr_cidr *svc,
    size_t nsvc);

/* "ns/Kind/name" into buf. Returns buf. */
char *check_workload_id(const struct index_workload *wl, char *buf,
    size_t len);

/* "TCP/8080", "UDP/53", "ICMP" into buf. Returns buf. */
char *check_port_str(int protocol, unsigned port, char *buf, size_t len);

/* A peer for people: "ns/Kind/name", "203.0.113.5 (api.example.com)",
 * "node 198.18.0.1", "unknown". Returns buf. */
char *check_peer_str(const struct check_peer *p, const char *dns_name,
    char *buf, size_t len);

/*
 * JSON for machines (the schema is in cli/REPORT.md). A peer:
 *   {"type":"workload","namespace","kind","name","id"} |
 *   {"type":"address"|"node","address"} | {"type":"unknown"}
 * A denial: {"workload","namespace","kind","name","direction","peer",
 *   "protocol","port","verdict","count","firstSeen","lastSeen",
 *   "dnsName","policies":["ns/name"...],"notes":[...]}
 * New objects (caller owns); NULL when out of memory.
 */
json_object *check_peer_json(const struct check_peer *p);
json_object *check_denial_json(const struct npeval_set *set,
    const struct check_denial *d);
/* The texts of the note bits set in notes, as a JSON array. */
json_object *check_notes_json(unsigned notes);

#endif
