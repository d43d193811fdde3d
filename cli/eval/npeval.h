/*
 * npeval: the Kubernetes NetworkPolicy semantics, as a pure evaluator.
 *
 * Policies are compiled from json_object trees (what yamljson makes of YAML
 * or JSON) into a set; a connection between two endpoints is then evaluated
 * against the set the way the Kubernetes documentation defines it:
 *
 *   - a policy selects pods of its own namespace only (metadata.namespace);
 *   - a pod that no policy of a direction selects is open in that direction;
 *     the policies that select it are a union (any rule of any of them);
 *   - the peers of one rule are ORed; podSelector and namespaceSelector in
 *     one peer are ANDed; podSelector alone means the policy's namespace;
 *     namespaceSelector alone means every pod of the matching namespaces;
 *     an empty selector ({}) matches everything;
 *   - ipBlock (with except) matches addresses outside the cluster. Whether
 *     it matches pod IPs is implementation-defined: we never let it allow a
 *     pod peer, and flag the case (NPEVAL_NOTE_IPBLOCK_POD);
 *   - a rule with no ports allows every port and protocol; a port with no
 *     number allows every port of its protocol; protocol defaults to TCP;
 *     endPort makes a range; a named port is looked up in the destination
 *     pod's container ports, and when those are unknown the connection is
 *     NPEVAL_UNRESOLVED instead of allowed or denied; so is a
 *     namespaceSelector on labels of a namespace whose labels are unknown
 *     (kubernetes.io/metadata.name is always known);
 *   - a pod to pod connection needs the egress side of the source and the
 *     ingress side of the destination;
 *   - a pod cannot block traffic from its own node, and policies do not
 *     apply to hostNetwork pods (both noted in the result).
 *
 * Nothing here does I/O, prints or exits.
 */
#ifndef NPR_NPEVAL_H
#define NPR_NPEVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "lib/addr.h"

struct npeval_set;

enum npeval_dir {
	NPEVAL_INGRESS = 0,
	NPEVAL_EGRESS = 1,
};

enum npeval_verdict {
	NPEVAL_ALLOW = 0,
	NPEVAL_DENY = 1,
	NPEVAL_UNRESOLVED = 2,	/* hinges on a named port we cannot resolve */
};

/* Things worth telling the user about a verdict (bit flags). */
enum npeval_note {
	NPEVAL_NOTE_IPBLOCK_POD = 1 << 0,	/* an ipBlock holds the pod
						 * peer's IP: not allowed here,
						 * implementation-defined */
	NPEVAL_NOTE_NODE = 1 << 1,		/* from the pod's node: always
						 * allowed */
	NPEVAL_NOTE_HOSTNET = 1 << 2,		/* a hostNetwork pod: policies
						 * do not select it */
	NPEVAL_NOTE_NAMED_PORT = 1 << 3,	/* a named port could not be
						 * resolved */
	NPEVAL_NOTE_NO_PORTS = 1 << 4,		/* a protocol without ports
						 * (ICMP) met a rule with
						 * ports: never allowed */
	NPEVAL_NOTE_NS_LABELS = 1 << 5,		/* a namespaceSelector needs
						 * namespace labels that are
						 * not known */
};

enum npeval_ep_kind {
	NPEVAL_EP_POD = 0,	/* a pod of the cluster (recorded workload) */
	NPEVAL_EP_ADDR = 1,	/* an address outside the pod network */
	NPEVAL_EP_NODE = 2,	/* a node address */
};

/*
 * One end of a connection. All pointers are borrowed for the duration of
 * the call.
 */
struct npeval_ep {
	int kind;			/* enum npeval_ep_kind */
	const char *namespace_;		/* pods: their namespace */
	json_object *labels;		/* pods: label object, NULL = none */
	json_object *ns_labels;		/* pods: namespace labels; NULL when
					 * not known: then a namespaceSelector
					 * on any other key than the implied
					 * kubernetes.io/metadata.name is
					 * NPEVAL_UNRESOLVED */
	json_object *ports;		/* pods: named container ports
					 * [{"name","port","protocol"}], NULL
					 * when unknown */
	bool host_network;		/* pods: spec.hostNetwork */
	struct addr addr;		/* ADDR/NODE: the address; pods: their
					 * IP when known, else family 0 */
};

/* The evaluation of one side (the source's egress or the destination's
 * ingress). */
struct npeval_side {
	bool applies;		/* is this side a pod policies can select? */
	bool isolated;		/* some policy of the direction selects it */
	int verdict;		/* enum npeval_verdict */
	int allowed_by;		/* index of the first policy allowing, -1 */
};

struct npeval_result {
	int verdict;			/* overall: DENY if either side denies,
					 * else UNRESOLVED if either is, else
					 * ALLOW */
	struct npeval_side egress;	/* of the source */
	struct npeval_side ingress;	/* of the destination */
	unsigned notes;			/* enum npeval_note */
};

/* A new, empty set. Returns 0 or -ENOMEM. Free with npeval_set_free. */
int npeval_set_new(struct npeval_set **out);
void npeval_set_free(struct npeval_set *set);

/*
 * Compile and add every NetworkPolicy found in obj: a NetworkPolicy, a List
 * or NetworkPolicyList (items), the spec of a Kubescape
 * GeneratedNetworkPolicy, or a JSON array of any of those (the shape of a
 * multi-document YAML file). Objects of other kinds are skipped and
 * counted in *nskipped (may be NULL) and npeval_set_skipped(). A policy without metadata.namespace
 * gets default_ns (as with kubectl apply -n). source names where it came
 * from (copied, for messages; may be NULL).
 *
 * Validation follows the API server: a peer naming nothing, ipBlock next
 * to a selector, a bad CIDR or except outside its cidr, an unknown
 * operator or protocol, endPort without a numeric port or below it, a
 * port out of range are errors. On error nothing from obj is added, err
 * says which policy and which field, and -EINVAL is returned (-ENOMEM when
 * memory ran out).
 */
int npeval_set_add(struct npeval_set *set, json_object *obj,
    const char *default_ns, const char *source, size_t *nskipped,
    char *err, size_t errlen);

/*
 * Namespace labels known from elsewhere (`kubectl get namespaces`): map is
 * an object {"namespace": {"label": "value", ...}, ...}; the set takes a
 * reference (and drops any earlier map). Endpoints without ns_labels get
 * their namespace's from here. NULL forgets the map.
 */
void npeval_set_namespaces(struct npeval_set *set, json_object *map);

/*
 * The objects of other kinds skipped so far, by kind: an object mapping
 * "APIVERSION KIND" to how many, in the order first met (borrowed); NULL
 * when none was.
 */
json_object *npeval_set_skipped(const struct npeval_set *set);

size_t npeval_set_count(const struct npeval_set *set);
/* Borrowed strings of policy i (i < count): name, namespace, source. */
const char *npeval_policy_name(const struct npeval_set *set, size_t i);
const char *npeval_policy_namespace(const struct npeval_set *set, size_t i);
const char *npeval_policy_source(const struct npeval_set *set, size_t i);
/* Does policy i govern the direction (policyTypes, with its defaults)? */
bool npeval_policy_has_dir(const struct npeval_set *set, size_t i, int dir);

/*
 * Call cb with every ipBlock cidr of policy i and the direction of its
 * rule (enum npeval_dir), in the order written.
 */
typedef void (*npeval_cidr_cb)(const struct addr_cidr *cidr, int dir,
    void *arg);
void npeval_policy_ipblocks(const struct npeval_set *set, size_t i,
    npeval_cidr_cb cb, void *arg);

/*
 * The policies of direction dir that select the pod ep: their indexes go
 * into idx (up to max of them, idx may be NULL when max is 0). Returns how
 * many select it in all. An endpoint that is not a pod, or a hostNetwork
 * pod, is selected by none.
 */
size_t npeval_select(const struct npeval_set *set, const struct npeval_ep *ep,
    int dir, size_t *idx, size_t max);

/*
 * Evaluate a connection from src to dst on protocol (IPPROTO_*) and dst's
 * port (after DNAT; 0 for protocols without ports). Fills *res. Either
 * side may be an address; only pod sides are subject to policies.
 */
void npeval_eval(const struct npeval_set *set, const struct npeval_ep *src,
    const struct npeval_ep *dst, int protocol, unsigned port,
    struct npeval_result *res);

/*
 * npeval_eval for callers evaluating many connections of the same pods:
 * src_sel/dst_sel hold all the policies npeval_select returned for the
 * source's egress and the destination's ingress (nsrc/ndst of them; a
 * NULL list means "find them"). The result is the same as npeval_eval's.
 */
void npeval_eval_selected(const struct npeval_set *set,
    const struct npeval_ep *src, const size_t *src_sel, size_t nsrc,
    const struct npeval_ep *dst, const size_t *dst_sel, size_t ndst,
    int protocol, unsigned port, struct npeval_result *res);

/* "allowed", "denied", "unresolved". */
const char *npeval_verdict_name(int verdict);
/* One short sentence per note bit (the lowest bit set in note). */
const char *npeval_note_text(unsigned note);

#endif
