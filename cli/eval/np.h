/*
 * np: one NetworkPolicy compiled. The object (as yamljson makes it of YAML
 * or JSON) is validated as the API server would, and turned into plain
 * structs: selectors as lists of requirements, CIDRs parsed, ports
 * resolved to numbers where they are numbers, so that evaluating a
 * million flows (cli/eval/npeval.h) walks no JSON but the endpoints'
 * labels.
 */
#ifndef NPR_CLI_EVAL_NP_H
#define NPR_CLI_EVAL_NP_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "lib/addr.h"

/* The directions of a policy: indexes of np_policy.rules and has_dir. */
enum np_dir {
	NP_INGRESS = 0,
	NP_EGRESS = 1,
};

#define NP_NS_NAME_LABEL "kubernetes.io/metadata.name"

enum np_req_op { NP_OP_IN, NP_OP_NOTIN, NP_OP_EXISTS, NP_OP_NOTEXISTS };

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

enum np_peer_kind { NP_PEER_SEL, NP_PEER_IPBLOCK };

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

/* A label value as text: YAML may have made "1" or "true" a number or a
 * boolean; the API would have refused those, we compare their text. */
static inline const char *
np_jstr(json_object *o)
{
	return o ? json_object_get_string(o) : NULL;
}

/* Member key of object o when it is there and not null, else NULL. */
static inline json_object *
np_get(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) ||
	    json_object_is_type(v, json_type_null))
		return NULL;
	return v;
}

/*
 * Compile the NetworkPolicy object o into *p (zeroed by the caller). A
 * policy without metadata.namespace gets default_ns; source (may be NULL)
 * names where it came from in messages and is copied. 0, -EINVAL with err
 * saying which policy and which field, or -ENOMEM; on error p may hold
 * what was compiled so far: np_free() it.
 */
int np_compile(json_object *o, const char *default_ns, const char *source,
    struct np_policy *p, char *err, size_t errlen);
/* Free what p holds (not p). */
void np_free(struct np_policy *p);
/* "TCP", "UDP", "SCTP" as IPPROTO_*, else -1. */
int np_proto_parse(const char *s);

#endif
