/*
 * policygen: NetworkPolicies built from the index of what was recorded
 * (cli/source/index.h), as json-c trees, and the pieces every format of
 * cli/gen shares: a workload's flows as (peer, protocol, port) tuples
 * with the notes of what was left out, the tuples grouped into rules
 * (peers with the same ports), KnownServer widening, warnings,
 * annotations. Pure: reads the index, prints nothing.
 *
 * The rules (cli/README.md says them for users):
 * - name <kind>-<name> in lower case, in the workload's namespace;
 *   podSelector = the workload's selector;
 * - one peer per workload peer (podSelector, plus a namespaceSelector on
 *   kubernetes.io/metadata.name when in another namespace) or per address
 *   (ipBlock /32 or /128, or the CIDR of the KnownServer entry with the
 *   longest prefix containing it); the ports (after DNAT, with protocol)
 *   of a peer merged; peers with the same ports merged into one rule;
 *   everything sorted;
 * - ICMP cannot be written: listed in the not-expressible annotation;
 * - nodes and hostNetwork pods (kubelet probes come from the node) are
 *   left out and listed unless include_nodes, which writes node addresses
 *   as ipBlocks;
 * - egress to the cluster DNS (a workload in kube-system labelled
 *   k8s-app=kube-dns or named coredns / kube-dns) on port 53 is written
 *   for both UDP and TCP;
 * - policyTypes = the directions exported; a direction with no traffic has
 *   no rules.
 */
#ifndef NPR_CLI_GEN_POLICYGEN_H
#define NPR_CLI_GEN_POLICYGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "cli/source/index.h"
#include "cli/source/knownservers.h"

#define POLICYGEN_DEFAULT_MIN_OBSERVATION (24 * 3600)

struct policygen_opts {
	bool ingress;			/* export the Ingress direction */
	bool egress;			/* export the Egress direction */
	bool include_nodes;
	bool refs;			/* fill policygen_result.refs */
	int64_t min_observation;	/* seconds; warn below */
	const struct ks_set *ks;	/* may be NULL */
};

/* Sorted, unique message lists (owned strings). */
struct policygen_list {
	char **v;
	size_t n;
};

struct policygen_result {
	json_object *policy;		/* the NetworkPolicy; owned */
	json_object *refs;		/* policyRef array (generated); empty
					 * unless policygen_opts.refs */
	struct policygen_list warnings;	/* short observation, predates... */
	struct policygen_list excluded;	/* nodes / hostNetwork left out */
	struct policygen_list inexpressible;	/* ICMP, unknown peers */
	struct policygen_list known;	/* KnownServer entries used */
	size_t nflows;			/* flows of the exported directions */
};

/*
 * Build the NetworkPolicy of subject wl. Returns 0 or -ENOMEM; free with
 * policygen_result_clear().
 */
int policygen_build(const struct index *idx, const struct index_workload *wl,
    const struct policygen_opts *o, struct policygen_result *out);
void policygen_result_clear(struct policygen_result *r);

/* The policy's name: "<kind>-<name>" lower case, into buf. */
char *policygen_name(const struct index_workload *wl, char *buf,
    size_t len);

/* Is w the cluster DNS (kube-dns / CoreDNS)? */
bool policygen_is_cluster_dns(const struct index_workload *w);

/* ---- for the formats (cli/gen/format_*.c) ------------------------------ */

/*
 * Add val under key to object o, taking the reference. key must be a
 * string literal added once per object (see policygen.c for why).
 */
void policygen_obj_add(json_object *o, const char *key, json_object *val);
/* The same for a new json string copied from val. */
void policygen_add_str(json_object *o, const char *key, const char *val);

/* "TCP", "UDP", "SCTP", "ICMP"...; "unknown" for any other protocol. */
const char *policygen_proto_name(int proto);
/* Does the protocol have ports a NetworkPolicy can name? */
bool policygen_port_proto(int proto);
/* ICMP or ICMPv6? */
bool policygen_is_icmp(int proto);

/* src in lower case into dst (truncated to len - 1 characters). */
void policygen_lower_copy(char *dst, size_t len, const char *src);

/* ---- notes --------------------------------------------------------------- */

/* Add a message (printf format) to l. 0 or -ENOMEM. */
int policygen_list_add(struct policygen_list *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Sort every list of r and drop repeated messages. */
void policygen_result_finish(struct policygen_result *r);
/* The messages of l joined with "; " as a json string (new reference);
 * NULL when l is empty or out of memory. */
json_object *policygen_list_json(const struct policygen_list *l);

/*
 * The warnings of subject wl (short observation, pods older than the
 * recording, no traffic when r->nflows is 0, an empty selector) into
 * r->warnings. 0 or -ENOMEM.
 */
int policygen_warnings(const struct index *idx,
    const struct index_workload *wl, const struct policygen_opts *o,
    struct policygen_result *r);

/*
 * The annotations every export writes (a new object): generated-by,
 * netpol-record/workload and /observed for a workload (wl NULL: a
 * namespace's object has neither), /since and /until, and r's finished
 * notes: /warnings, /known-servers, /excluded, /not-expressible.
 */
json_object *policygen_annotations(const struct index *idx,
    const struct index_workload *wl, const struct policygen_result *r);
/* The metadata of a workload's policy (a new object): name, namespace,
 * the netpol-record labels and policygen_annotations(). */
json_object *policygen_metadata(const struct index *idx,
    const struct index_workload *wl, const struct policygen_result *r);

/* ---- tuples: (peer, protocol, port) of a workload's flows ---------------- */

/* Peer kinds, in the order rules list them. */
enum policygen_tup_peer {
	POLICYGEN_TUP_WORKLOAD = 0,	/* wl: its pods */
	POLICYGEN_TUP_NAMESPACE = 1,	/* wl->namespace_: every pod of it */
	POLICYGEN_TUP_NODES = 2,	/* every node (and hostNetwork pod) */
	POLICYGEN_TUP_NAME = 3,		/* dns: a name the pod resolved to
					 * seen */
	POLICYGEN_TUP_CIDR = 4,		/* cidr */
};

struct policygen_tup {
	int pk;					/* enum policygen_tup_peer */
	const struct index_workload *wl;	/* _WORKLOAD, _NAMESPACE */
	struct addr_cidr cidr;			/* _CIDR: the rule's; _NAME:
						 * its KnownServer's or the
						 * address */
	const struct ks_entry *ks;		/* the KnownServer, if any
						 * (_CIDR: widened by it;
						 * _NAME: only named) */
	struct addr seen;			/* the address in the traffic */
	const char *dns;			/* _NAME: the name; else the
						 * flow's newest name */
	int64_t last_seen;
	uint8_t proto;
	uint8_t cls;				/* a format's class: peers of
						 * different classes never
						 * share a rule (0 unless the
						 * format sets it) */
	uint16_t port;
	bool has_port;				/* false: ICMP */
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

/* What a format can say beyond a NetworkPolicy. */
struct policygen_caps {
	bool icmp;		/* ICMP and ICMPv6 (tuples without port) */
	bool node_peer;		/* with include_nodes, nodes and hostNetwork
				 * pods as one _NODES peer (not addresses) */
	bool names;		/* an egress address a pod reached after
				 * resolving names: one _NAME tuple per name
				 * that can be written (policygen_name_ok),
				 * and a _CIDR tuple too when one cannot */
};

/*
 * The tuples of subject wl's flows of one direction, appended to tv;
 * what is left out or cannot be written goes to r's notes, r->nflows
 * counts the flows. Same rules as the NetworkPolicy (policygen.h's
 * header) within caps. 0 or -ENOMEM.
 */
int policygen_collect(const struct index *idx,
    const struct index_workload *wl, int direction,
    const struct policygen_opts *o, const struct policygen_caps *caps,
    struct policygen_tupv *tv, struct policygen_result *r);

/*
 * Order of peers only: kind, then who (workloads by index position,
 * namespaces and CIDRs by name and address, names as
 * policygen_name_cmp), then class.
 */
int policygen_tup_peer_cmp(const struct policygen_tup *x,
    const struct policygen_tup *y);
/* qsort: peer, then ported after not, protocol, port, seen, last_seen. */
int policygen_tup_cmp(const void *a, const void *b);
/* Same protocol and port (a rule names it once)? */
bool policygen_tup_same_port(const struct policygen_tup *x,
    const struct policygen_tup *y);

/*
 * Add the KnownServer entries tv's address and name tuples name to
 * r->known, and (refs) one policyRef per address to r->refs. Sorts tv.
 * 0 or -ENOMEM.
 */
int policygen_known_servers(struct policygen_tupv *tv, bool refs,
    struct policygen_result *r);

/* ---- rules: peers with the same ports ------------------------------------- */

/*
 * A rule of sorted tuples (policygen_tup_cmp): its peers are runs of
 * tuples with the same peer, and every peer of it has the same set of
 * (protocol, port) and the same class.
 */
struct policygen_rule {
	const size_t *peers;	/* tuple index of each peer's first tuple */
	size_t npeers;
	size_t first, n;	/* the tuples of its first peer: its ports,
				 * sorted, a port possibly repeated
				 * (policygen_tup_same_port) */
};

struct policygen_rules {
	struct policygen_rule *v;	/* in the order of their first peer */
	size_t n;
	size_t *peerv_;			/* storage of v[].peers */
};

/* Group tv (sorted) into rules. 0 or -ENOMEM; free with
 * policygen_rules_free. */
int policygen_rules_group(const struct policygen_tupv *tv,
    struct policygen_rules *out);
void policygen_rules_free(struct policygen_rules *rs);

/* ---- names and pieces ------------------------------------------------------ */

/*
 * Can name be written in toFQDNs matchName and domainNames: two or more
 * labels of letters, digits, '-' and '_' (neither first nor last in a
 * label), a final dot allowed, 253 characters at most?
 */
bool policygen_name_ok(const char *name);
/* Compare names as DNS does: case-insensitive, a final dot ignored. */
int policygen_name_cmp(const char *a, const char *b);
/* name in lower case without its final dot (a new json string). */
json_object *policygen_name_json(const char *name);

/*
 * The DNS names the name-writing formats write for subject wl's egress
 * (toFQDNs of -o cilium, domainNames of -o clusternetworkpolicy): every
 * name its pods resolved to an address outside the cluster they reached
 * (not a node) that policygen_name_ok takes, as written (lower case, no
 * final dot), each with the addresses it was resolved to:
 * [{"name": "api.example.test", "addresses": ["203.0.113.10"]}], sorted
 * by name. A new array; NULL on ENOMEM.
 */
json_object *policygen_egress_names(const struct index *idx,
    const struct index_workload *wl);

/* {"matchLabels":{"kubernetes.io/metadata.name": ns}} (new reference). */
json_object *policygen_ns_selector(const char *ns);

#endif
