/*
 * npeval internals, shared by the files of the family and included by
 * them only: npeval.c (the set: adding documents, freeing, accessors),
 * npeval_compile.c (one NetworkPolicy object into the structs below,
 * validated as the API server would), npeval_match.c (selectors, peers
 * and ports against an endpoint) and npeval_eval.c (the verdict of a
 * connection).
 *
 * Policies are compiled once into plain structs (selectors as requirement
 * lists, CIDRs parsed, ports resolved to numbers where they are numbers) so
 * that evaluating a million flows walks no JSON but the endpoints' labels.
 */
#ifndef NPR_NPEVAL_INT_H
#define NPR_NPEVAL_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "cli/eval/npeval.h"
#include "lib/addr.h"

#define NS_NAME_LABEL "kubernetes.io/metadata.name"

enum req_op { OP_IN, OP_NOTIN, OP_EXISTS, OP_NOTEXISTS };

struct np_req {
	char *key;
	int op;
	char **values;
	size_t nvalues;
};

struct np_sel {
	bool present;		/* the field was given (null = absent) */
	struct np_req *req;	/* matchLabels and matchExpressions, ANDed */
	size_t nreq;
};

enum peer_kind { PEER_SEL, PEER_IPBLOCK };

struct np_peer {
	int kind;
	struct np_sel pod, ns;
	struct addr_cidr cidr;
	struct addr_cidr *except;
	size_t nexcept;
};

struct np_port {
	int protocol;
	bool any;		/* no port: every port of the protocol */
	char *name;		/* a named port, else NULL */
	unsigned port, end;	/* numeric: port..end */
};

struct np_rule {
	struct np_peer *peers;	/* none: every peer */
	size_t npeers;
	struct np_port *ports;	/* none: every port and protocol */
	size_t nports;
};

struct np_policy {
	char *name, *ns, *source;
	struct np_sel podsel;
	bool has_dir[2];
	struct np_rule *rules[2];
	size_t nrules[2];
};

struct npeval_set {
	struct np_policy *pol;
	size_t n, cap;
	json_object *nsmap;	/* namespace -> labels, or NULL */
};

/* A label value as text: YAML may have made "1" or "true" a number or a
 * boolean; the API would have refused those, we compare their text. */
static inline const char *
npeval_jstr(json_object *o)
{
	return o ? json_object_get_string(o) : NULL;
}

/* Member key of object o when it is there and not null, else NULL. */
static inline json_object *
npeval_get(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) ||
	    json_object_is_type(v, json_type_null))
		return NULL;
	return v;
}

/* A match that can hinge on something unknown (a namespace's labels, a
 * pod's container ports). */
enum { M_NO, M_YES, M_UNRESOLVED };

/*
 * npeval_compile.c: compile the NetworkPolicy object o into *p (zeroed by
 * the caller; on error p may hold what was compiled so far, for
 * npeval.c to free). 0, -EINVAL with err filled, or -ENOMEM.
 */
int npeval_compile_policy(json_object *o, const char *default_ns,
    const char *source, struct np_policy *p, char *err, size_t errlen);
/* "TCP", "UDP", "SCTP" as IPPROTO_*, else -1. */
int npeval_proto_parse(const char *s);

/* npeval_match.c: M_YES, M_NO or M_UNRESOLVED; notes collects
 * NPEVAL_NOTE_* bits. */
int npeval_peer_match(const struct np_peer *p, const char *pns,
    const struct npeval_ep *ep, json_object *nsmap, unsigned *notes);
int npeval_ports_match(const struct np_rule *r, int protocol, unsigned port,
    const struct npeval_ep *dst, unsigned *notes);
/* Does policy p select the pod ep in direction dir? */
bool npeval_policy_selects(const struct np_policy *p,
    const struct npeval_ep *ep, int dir);

#endif
