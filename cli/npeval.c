/*
 * npeval: NetworkPolicy semantics. Policies are compiled once into plain
 * structs (selectors as requirement lists, CIDRs parsed, ports resolved to
 * numbers where they are numbers) so that evaluating a million flows walks
 * no JSON but the endpoints' labels.
 */
#include "cli/npeval.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Compilation context: the error buffer and the path of the field. */
struct cctx {
	char *err;
	size_t errlen;
	const char *pname;	/* "ns/name" of the policy being compiled */
	const char *source;
};

static int
cerr(struct cctx *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
cerr(struct cctx *c, const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->errlen > 0)
		snprintf(c->err, c->errlen, "%s%sNetworkPolicy %s: %s: %s",
		    c->source ? c->source : "", c->source ? ": " : "",
		    c->pname, path, msg);
	return -EINVAL;
}

/* A field path for messages; long ones are cut, which is fine. */
static void
subpath(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
subpath(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* ---- freeing ----------------------------------------------------------- */

static void
sel_free(struct np_sel *s)
{
	size_t i, j;

	for (i = 0; i < s->nreq; i++) {
		free(s->req[i].key);
		for (j = 0; j < s->req[i].nvalues; j++)
			free(s->req[i].values[j]);
		free(s->req[i].values);
	}
	free(s->req);
	memset(s, 0, sizeof(*s));
}

static void
rule_free(struct np_rule *r)
{
	size_t i;

	for (i = 0; i < r->npeers; i++) {
		sel_free(&r->peers[i].pod);
		sel_free(&r->peers[i].ns);
		free(r->peers[i].except);
	}
	free(r->peers);
	for (i = 0; i < r->nports; i++)
		free(r->ports[i].name);
	free(r->ports);
}

static void
policy_free(struct np_policy *p)
{
	size_t d, i;

	free(p->name);
	free(p->ns);
	free(p->source);
	sel_free(&p->podsel);
	for (d = 0; d < 2; d++) {
		for (i = 0; i < p->nrules[d]; i++)
			rule_free(&p->rules[d][i]);
		free(p->rules[d]);
	}
	memset(p, 0, sizeof(*p));
}

int
npeval_set_new(struct npeval_set **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void
npeval_set_free(struct npeval_set *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++)
		policy_free(&set->pol[i]);
	free(set->pol);
	json_object_put(set->nsmap);
	free(set);
}

/* ---- compiling --------------------------------------------------------- */

/* A label value as text: YAML may have made "1" or "true" a number or a
 * boolean; the API would have refused those, we compare their text. */
static const char *
jstr(json_object *o)
{
	return o ? json_object_get_string(o) : NULL;
}

static int
req_add(struct np_sel *s, const char *key, int op)
{
	struct np_req *nr;

	nr = realloc(s->req, (s->nreq + 1) * sizeof(*nr));
	if (nr == NULL)
		return -ENOMEM;
	s->req = nr;
	memset(&nr[s->nreq], 0, sizeof(*nr));
	nr[s->nreq].op = op;
	if ((nr[s->nreq].key = strdup(key)) == NULL)
		return -ENOMEM;
	s->nreq++;
	return 0;
}

static int
req_add_value(struct np_req *r, const char *v)
{
	char **nv;

	nv = realloc(r->values, (r->nvalues + 1) * sizeof(*nv));
	if (nv == NULL)
		return -ENOMEM;
	r->values = nv;
	if ((nv[r->nvalues] = strdup(v)) == NULL)
		return -ENOMEM;
	r->nvalues++;
	return 0;
}

static const struct {
	const char *name;
	int op;
	bool values;	/* values required (else forbidden) */
} ops[] = {
	{ .name = "In", .op = OP_IN, .values = true },
	{ .name = "NotIn", .op = OP_NOTIN, .values = true },
	{ .name = "Exists", .op = OP_EXISTS, .values = false },
	{ .name = "DoesNotExist", .op = OP_NOTEXISTS, .values = false },
};

static int
compile_expr(struct cctx *c, const char *path, json_object *e,
    struct np_sel *s)
{
	json_object *jk, *jop, *jv;
	struct np_req *r;
	size_t i, k, n;
	int rc;

	if (!json_object_is_type(e, json_type_object))
		return cerr(c, path, "not an object");
	if (!json_object_object_get_ex(e, "key", &jk) ||
	    !json_object_is_type(jk, json_type_string) ||
	    json_object_get_string_len(jk) == 0)
		return cerr(c, path, "key is required");
	if (!json_object_object_get_ex(e, "operator", &jop) ||
	    !json_object_is_type(jop, json_type_string))
		return cerr(c, path, "operator is required");
	for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
		if (strcmp(ops[k].name, json_object_get_string(jop)) == 0)
			break;
	if (k == sizeof(ops) / sizeof(ops[0]))
		return cerr(c, path, "unknown operator '%s' (In, NotIn, "
		    "Exists, DoesNotExist)", json_object_get_string(jop));
	if (!json_object_object_get_ex(e, "values", &jv) ||
	    json_object_is_type(jv, json_type_null))
		jv = NULL;
	if (jv != NULL && !json_object_is_type(jv, json_type_array))
		return cerr(c, path, "values must be a list");
	n = jv ? json_object_array_length(jv) : 0;
	if (ops[k].values && n == 0)
		return cerr(c, path, "operator %s needs values", ops[k].name);
	if (!ops[k].values && n > 0)
		return cerr(c, path, "operator %s takes no values",
		    ops[k].name);
	if ((rc = req_add(s, json_object_get_string(jk), ops[k].op)) != 0)
		return rc;
	r = &s->req[s->nreq - 1];
	for (i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(jv, i);

		if (v == NULL || json_object_is_type(v, json_type_null) ||
		    json_object_is_type(v, json_type_object) ||
		    json_object_is_type(v, json_type_array))
			return cerr(c, path, "values[%zu] is not a string", i);
		if ((rc = req_add_value(r, jstr(v))) != 0)
			return rc;
	}
	return 0;
}

/* A LabelSelector; a missing or null one leaves s->present false. */
static int
compile_sel(struct cctx *c, const char *path, json_object *o,
    struct np_sel *s)
{
	json_object *ml, *me;
	char sub[256];
	size_t i;
	int rc;

	memset(s, 0, sizeof(*s));
	if (o == NULL || json_object_is_type(o, json_type_null))
		return 0;
	if (!json_object_is_type(o, json_type_object))
		return cerr(c, path, "a label selector must be an object");
	s->present = true;
	if (json_object_object_get_ex(o, "matchLabels", &ml) &&
	    !json_object_is_type(ml, json_type_null)) {
		if (!json_object_is_type(ml, json_type_object))
			return cerr(c, path, "matchLabels must be an object");
		json_object_object_foreach(ml, key, val) {
			if (val == NULL ||
			    json_object_is_type(val, json_type_object) ||
			    json_object_is_type(val, json_type_array))
				return cerr(c, path, "matchLabels.%s is not "
				    "a string", key);
			if ((rc = req_add(s, key, OP_IN)) != 0 ||
			    (rc = req_add_value(&s->req[s->nreq - 1],
			    jstr(val))) != 0)
				return rc;
		}
	}
	if (json_object_object_get_ex(o, "matchExpressions", &me) &&
	    !json_object_is_type(me, json_type_null)) {
		if (!json_object_is_type(me, json_type_array))
			return cerr(c, path, "matchExpressions must be a list");
		for (i = 0; i < json_object_array_length(me); i++) {
			subpath(sub, sizeof(sub), "%s.matchExpressions[%zu]",
			    path, i);
			rc = compile_expr(c, sub,
			    json_object_array_get_idx(me, i), s);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

static json_object *
get(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) ||
	    json_object_is_type(v, json_type_null))
		return NULL;
	return v;
}

static int
compile_ipblock(struct cctx *c, const char *path, json_object *ib,
    struct np_peer *p)
{
	json_object *jc, *je;
	struct addr_cidr ex;
	size_t i, n;

	p->kind = PEER_IPBLOCK;
	jc = get(ib, "cidr");
	if (jc == NULL || !json_object_is_type(jc, json_type_string))
		return cerr(c, path, "ipBlock.cidr is required");
	if (strchr(json_object_get_string(jc), '/') == NULL ||
	    addr_cidr_parse(json_object_get_string(jc), &p->cidr) != 0)
		return cerr(c, path, "ipBlock.cidr '%s' is not a CIDR",
		    json_object_get_string(jc));
	if ((je = get(ib, "except")) == NULL)
		return 0;
	if (!json_object_is_type(je, json_type_array))
		return cerr(c, path, "ipBlock.except must be a list");
	n = json_object_array_length(je);
	if (n == 0)
		return 0;
	if ((p->except = calloc(n, sizeof(*p->except))) == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const char *s = jstr(json_object_array_get_idx(je, i));

		if (s == NULL || strchr(s, '/') == NULL ||
		    addr_cidr_parse(s, &ex) != 0)
			return cerr(c, path, "ipBlock.except[%zu] '%s' is not "
			    "a CIDR", i, s ? s : "");
		/* The API requires each except to lie inside cidr. */
		if (ex.addr.family != p->cidr.addr.family ||
		    ex.prefix < p->cidr.prefix ||
		    !addr_cidr_contains(&p->cidr, &ex.addr))
			return cerr(c, path, "ipBlock.except[%zu] '%s' is not "
			    "inside cidr", i, s);
		p->except[p->nexcept++] = ex;
	}
	return 0;
}

static int
compile_peer(struct cctx *c, const char *path, json_object *o,
    struct np_peer *p)
{
	json_object *ps, *nss, *ib;
	char sub[256];
	int rc;

	if (!json_object_is_type(o, json_type_object))
		return cerr(c, path, "a peer must be an object");
	ps = get(o, "podSelector");
	nss = get(o, "namespaceSelector");
	ib = get(o, "ipBlock");
	if (ib != NULL) {
		if (ps != NULL || nss != NULL)
			return cerr(c, path, "ipBlock cannot be combined with "
			    "podSelector or namespaceSelector in one peer");
		return compile_ipblock(c, path, ib, p);
	}
	if (ps == NULL && nss == NULL)
		return cerr(c, path, "a peer needs podSelector, "
		    "namespaceSelector or ipBlock");
	p->kind = PEER_SEL;
	subpath(sub, sizeof(sub), "%s.podSelector", path);
	if ((rc = compile_sel(c, sub, ps, &p->pod)) != 0)
		return rc;
	subpath(sub, sizeof(sub), "%s.namespaceSelector", path);
	return compile_sel(c, sub, nss, &p->ns);
}

/* An IANA service name, as the API requires of a named port: 1-15 of
 * [a-z0-9-], at least one letter, no leading, trailing or double '-'. */
static bool
port_name_valid(const char *s)
{
	size_t i, n = strlen(s);
	bool letter = false;

	if (n == 0 || n > 15 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] >= 'a' && s[i] <= 'z')
			letter = true;
		else if (s[i] == '-' && s[i + 1] == '-')
			return false;
		else if (!(s[i] >= '0' && s[i] <= '9') && s[i] != '-')
			return false;
	}
	return letter;
}

static int
proto_parse(const char *s)
{
	if (strcmp(s, "TCP") == 0)
		return IPPROTO_TCP;
	if (strcmp(s, "UDP") == 0)
		return IPPROTO_UDP;
	if (strcmp(s, "SCTP") == 0)
		return IPPROTO_SCTP;
	return -1;
}

static int
compile_port(struct cctx *c, const char *path, json_object *o,
    struct np_port *p)
{
	json_object *jp, *jport, *jend;
	int64_t v;

	if (!json_object_is_type(o, json_type_object))
		return cerr(c, path, "a port must be an object");
	p->protocol = IPPROTO_TCP;
	if ((jp = get(o, "protocol")) != NULL) {
		if (!json_object_is_type(jp, json_type_string) ||
		    (p->protocol = proto_parse(json_object_get_string(jp))) < 0)
			return cerr(c, path, "protocol '%s' is not TCP, UDP or "
			    "SCTP", jstr(jp));
	}
	jport = get(o, "port");
	jend = get(o, "endPort");
	if (jport == NULL) {
		if (jend != NULL)
			return cerr(c, path, "endPort needs port");
		p->any = true;
		return 0;
	}
	if (json_object_is_type(jport, json_type_string)) {
		if (!port_name_valid(json_object_get_string(jport)))
			return cerr(c, path, "port '%s' is neither a number nor "
			    "a valid port name", json_object_get_string(jport));
		if (jend != NULL)
			return cerr(c, path, "endPort needs a numeric port");
		p->name = strdup(json_object_get_string(jport));
		return p->name ? 0 : -ENOMEM;
	}
	if (!json_object_is_type(jport, json_type_int) ||
	    (v = json_object_get_int64(jport)) < 1 || v > 65535)
		return cerr(c, path, "port must be 1-65535 or a name");
	p->port = p->end = (unsigned)v;
	if (jend != NULL) {
		if (!json_object_is_type(jend, json_type_int) ||
		    (v = json_object_get_int64(jend)) < 1 || v > 65535)
			return cerr(c, path, "endPort must be 1-65535");
		if ((unsigned)v < p->port)
			return cerr(c, path, "endPort %u is below port %u",
			    (unsigned)v, p->port);
		p->end = (unsigned)v;
	}
	return 0;
}

static int
compile_rule(struct cctx *c, const char *path, json_object *o, int dir,
    struct np_rule *r)
{
	const char *pkey = dir == NPEVAL_INGRESS ? "from" : "to";
	json_object *jpeers, *jports;
	char sub[256];
	size_t i, n;
	int rc;

	if (!json_object_is_type(o, json_type_object))
		return cerr(c, path, "a rule must be an object");
	if ((jpeers = get(o, pkey)) != NULL) {
		if (!json_object_is_type(jpeers, json_type_array))
			return cerr(c, path, "%s must be a list", pkey);
		n = json_object_array_length(jpeers);
		if (n > 0 && (r->peers = calloc(n, sizeof(*r->peers))) == NULL)
			return -ENOMEM;
		for (i = 0; i < n; i++) {
			subpath(sub, sizeof(sub), "%s.%s[%zu]", path, pkey, i);
			r->npeers++;
			rc = compile_peer(c, sub,
			    json_object_array_get_idx(jpeers, i),
			    &r->peers[i]);
			if (rc != 0)
				return rc;
		}
	}
	if ((jports = get(o, "ports")) != NULL) {
		if (!json_object_is_type(jports, json_type_array))
			return cerr(c, path, "ports must be a list");
		n = json_object_array_length(jports);
		if (n > 0 && (r->ports = calloc(n, sizeof(*r->ports))) == NULL)
			return -ENOMEM;
		for (i = 0; i < n; i++) {
			subpath(sub, sizeof(sub), "%s.ports[%zu]", path, i);
			r->nports++;
			rc = compile_port(c, sub,
			    json_object_array_get_idx(jports, i),
			    &r->ports[i]);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

static int
compile_rules(struct cctx *c, json_object *spec, int dir,
    struct np_policy *p)
{
	const char *key = dir == NPEVAL_INGRESS ? "ingress" : "egress";
	json_object *jr;
	char sub[256];
	size_t i, n;
	int rc;

	if ((jr = get(spec, key)) == NULL)
		return 0;
	if (!json_object_is_type(jr, json_type_array))
		return cerr(c, "spec", "%s must be a list", key);
	n = json_object_array_length(jr);
	if (n == 0)
		return 0;
	if ((p->rules[dir] = calloc(n, sizeof(*p->rules[dir]))) == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		subpath(sub, sizeof(sub), "spec.%s[%zu]", key, i);
		p->nrules[dir]++;
		rc = compile_rule(c, sub, json_object_array_get_idx(jr, i), dir,
		    &p->rules[dir][i]);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int
compile_types(struct cctx *c, json_object *spec, struct np_policy *p)
{
	json_object *jt;
	const char *t;
	size_t i;

	if ((jt = get(spec, "policyTypes")) == NULL ||
	    (json_object_is_type(jt, json_type_array) &&
	    json_object_array_length(jt) == 0)) {
		/* The API's default: every policy governs ingress, and
		 * egress when it has egress rules. */
		p->has_dir[NPEVAL_INGRESS] = true;
		p->has_dir[NPEVAL_EGRESS] = p->nrules[NPEVAL_EGRESS] > 0;
		return 0;
	}
	if (!json_object_is_type(jt, json_type_array))
		return cerr(c, "spec.policyTypes", "must be a list");
	for (i = 0; i < json_object_array_length(jt); i++) {
		t = jstr(json_object_array_get_idx(jt, i));
		if (t != NULL && strcmp(t, "Ingress") == 0)
			p->has_dir[NPEVAL_INGRESS] = true;
		else if (t != NULL && strcmp(t, "Egress") == 0)
			p->has_dir[NPEVAL_EGRESS] = true;
		else
			return cerr(c, "spec.policyTypes", "'%s' is not "
			    "Ingress or Egress", t ? t : "");
	}
	return 0;
}

static int
compile_policy(json_object *o, const char *default_ns, const char *source,
    struct np_policy *p, char *err, size_t errlen)
{
	struct cctx c = { .err = err, .errlen = errlen, .source = source };
	json_object *md, *spec, *jn, *jns;
	char pname[600];
	int rc;

	md = get(o, "metadata");
	jn = get(md, "name");
	jns = get(md, "namespace");
	snprintf(pname, sizeof(pname), "%s/%s",
	    jns ? jstr(jns) : default_ns, jn ? jstr(jn) : "(unnamed)");
	c.pname = pname;
	if (jn == NULL || !json_object_is_type(jn, json_type_string) ||
	    json_object_get_string_len(jn) == 0)
		return cerr(&c, "metadata.name", "is required");
	if (jns != NULL && !json_object_is_type(jns, json_type_string))
		return cerr(&c, "metadata.namespace", "must be a string");
	p->name = strdup(jstr(jn));
	p->ns = strdup(jns ? jstr(jns) : default_ns);
	p->source = source ? strdup(source) : NULL;
	if (p->name == NULL || p->ns == NULL || (source && !p->source))
		return -ENOMEM;
	if ((spec = get(o, "spec")) == NULL ||
	    !json_object_is_type(spec, json_type_object))
		return cerr(&c, "spec", "is required");
	/* podSelector is required by the API; a missing one decodes to the
	 * empty selector (every pod of the namespace), as in the API. */
	if ((rc = compile_sel(&c, "spec.podSelector", get(spec, "podSelector"),
	    &p->podsel)) != 0)
		return rc;
	if ((rc = compile_rules(&c, spec, NPEVAL_INGRESS, p)) != 0 ||
	    (rc = compile_rules(&c, spec, NPEVAL_EGRESS, p)) != 0)
		return rc;
	return compile_types(&c, spec, p);
}

static int
set_push(struct npeval_set *set, struct np_policy **out)
{
	struct np_policy *np;
	size_t ncap;

	if (set->n == set->cap) {
		ncap = set->cap ? set->cap * 2 : 16;
		np = realloc(set->pol, ncap * sizeof(*np));
		if (np == NULL)
			return -ENOMEM;
		set->pol = np;
		set->cap = ncap;
	}
	*out = &set->pol[set->n++];
	memset(*out, 0, sizeof(**out));
	return 0;
}

static bool
is_list_kind(const char *kind)
{
	size_t n = strlen(kind);

	return n >= 4 && strcmp(kind + n - 4, "List") == 0;
}

static int
add_any(struct npeval_set *set, json_object *o, const char *default_ns,
    const char *source, size_t *nskipped, char *err, size_t errlen)
{
	json_object *jk, *jv, *items;
	struct np_policy *p;
	const char *kind, *api;
	size_t i;
	int rc;

	if (o == NULL || json_object_is_type(o, json_type_null))
		return 0;	/* an empty YAML document */
	if (json_object_is_type(o, json_type_array)) {
		for (i = 0; i < json_object_array_length(o); i++) {
			rc = add_any(set, json_object_array_get_idx(o, i),
			    default_ns, source, nskipped, err, errlen);
			if (rc != 0)
				return rc;
		}
		return 0;
	}
	if (!json_object_is_type(o, json_type_object) ||
	    (jk = get(o, "kind")) == NULL) {
		(*nskipped)++;
		return 0;
	}
	kind = jstr(jk);
	if (is_list_kind(kind) && (items = get(o, "items")) != NULL)
		return add_any(set, items, default_ns, source, nskipped, err,
		    errlen);
	/* Calico and others have kinds named NetworkPolicy with other
	 * semantics: only the Kubernetes one is evaluated. */
	jv = get(o, "apiVersion");
	api = jv ? jstr(jv) : "networking.k8s.io/v1";
	if (strcmp(kind, "NetworkPolicy") != 0 ||
	    strcmp(api, "networking.k8s.io/v1") != 0) {
		(*nskipped)++;
		return 0;
	}
	if ((rc = set_push(set, &p)) != 0)
		return rc;
	return compile_policy(o, default_ns, source, p, err, errlen);
}

/* A later policy with the namespace and name of an earlier one replaces
 * it, as a later `kubectl apply` would. */
static void
dedup(struct npeval_set *set)
{
	size_t i, j, w;

	for (i = 1; i < set->n; i++)
		for (j = 0; j < i; j++)
			if (set->pol[j].name != NULL &&
			    strcmp(set->pol[j].name, set->pol[i].name) == 0 &&
			    strcmp(set->pol[j].ns, set->pol[i].ns) == 0) {
				policy_free(&set->pol[j]);
				set->pol[j] = set->pol[i];
				memset(&set->pol[i], 0, sizeof(set->pol[i]));
				break;
			}
	for (i = w = 0; i < set->n; i++)
		if (set->pol[i].name != NULL)
			set->pol[w++] = set->pol[i];
	set->n = w;
}

int
npeval_set_add(struct npeval_set *set, json_object *obj,
    const char *default_ns, const char *source, size_t *nskipped,
    char *err, size_t errlen)
{
	size_t n0 = set->n, skipped = 0;
	int rc;

	if (errlen > 0)
		err[0] = '\0';
	if (default_ns == NULL)
		default_ns = "default";
	rc = add_any(set, obj, default_ns, source, &skipped, err, errlen);
	if (rc != 0) {
		if (rc == -ENOMEM && errlen > 0)
			snprintf(err, errlen, "out of memory");
		while (set->n > n0)
			policy_free(&set->pol[--set->n]);
		return rc;
	}
	if (nskipped != NULL)
		*nskipped += skipped;
	dedup(set);
	return 0;
}

void
npeval_set_namespaces(struct npeval_set *set, json_object *map)
{
	json_object_put(set->nsmap);
	set->nsmap = map != NULL ? json_object_get(map) : NULL;
}

size_t
npeval_set_count(const struct npeval_set *set)
{
	return set->n;
}

const char *
npeval_policy_name(const struct npeval_set *set, size_t i)
{
	return set->pol[i].name;
}

const char *
npeval_policy_namespace(const struct npeval_set *set, size_t i)
{
	return set->pol[i].ns;
}

const char *
npeval_policy_source(const struct npeval_set *set, size_t i)
{
	return set->pol[i].source;
}

bool
npeval_policy_has_dir(const struct npeval_set *set, size_t i, int dir)
{
	return set->pol[i].has_dir[dir];
}

void
npeval_policy_ipblocks(const struct npeval_set *set, size_t i,
    npeval_cidr_cb cb, void *arg)
{
	const struct np_policy *p = &set->pol[i];
	size_t d, j, k;

	for (d = 0; d < 2; d++)
		for (j = 0; j < p->nrules[d]; j++)
			for (k = 0; k < p->rules[d][j].npeers; k++)
				if (p->rules[d][j].peers[k].kind == PEER_IPBLOCK)
					cb(&p->rules[d][j].peers[k].cidr,
					    (int)d, arg);
}

/* ---- matching ---------------------------------------------------------- */

/* The value of label key, or NULL. ns_name, when set, is the implied
 * kubernetes.io/metadata.name of a namespace. */
static const char *
label(json_object *labels, const char *key, const char *ns_name)
{
	json_object *v = get(labels, key);

	if (v != NULL)
		return jstr(v);
	if (ns_name != NULL && strcmp(key, NS_NAME_LABEL) == 0)
		return ns_name;
	return NULL;
}

enum { M_NO, M_YES, M_UNRESOLVED };

static bool
req_match(const struct np_req *r, json_object *labels, const char *ns_name)
{
	const char *v = label(labels, r->key, ns_name);
	bool in = false;
	size_t j;

	for (j = 0; v != NULL && j < r->nvalues; j++)
		if (strcmp(v, r->values[j]) == 0)
			in = true;
	switch (r->op) {
	case OP_IN:
		return in;
	case OP_NOTIN:
		return !in;
	case OP_EXISTS:
		return v != NULL;
	default:
		return v == NULL;
	}
}

static bool
sel_match(const struct np_sel *s, json_object *labels, const char *ns_name)
{
	size_t i;

	for (i = 0; i < s->nreq; i++)
		if (!req_match(&s->req[i], labels, ns_name))
			return false;
	return true;
}

/*
 * A namespaceSelector against a namespace whose labels may not be known
 * (labels NULL): only kubernetes.io/metadata.name is then certain, and a
 * requirement on any other key can be neither met nor failed. M_NO as
 * soon as a decidable requirement fails, else M_UNRESOLVED if one could not
 * be decided, else M_YES.
 */
static int
ns_sel_match(const struct np_sel *s, json_object *labels, const char *ns)
{
	const struct np_req *r;
	bool undecided = false;
	size_t i;

	for (i = 0; i < s->nreq; i++) {
		r = &s->req[i];
		if (labels == NULL && strcmp(r->key, NS_NAME_LABEL) != 0) {
			undecided = true;
			continue;
		}
		if (!req_match(r, labels, ns))
			return M_NO;
	}
	return undecided ? M_UNRESOLVED : M_YES;
}

static bool
ipblock_match(const struct np_peer *p, const struct addr *a)
{
	size_t i;

	if (a->family == 0 || !addr_cidr_contains(&p->cidr, a))
		return false;
	for (i = 0; i < p->nexcept; i++)
		if (addr_cidr_contains(&p->except[i], a))
			return false;
	return true;
}

static bool
is_pod(const struct npeval_ep *ep)
{
	return ep->kind == NPEVAL_EP_POD && !ep->host_network;
}

/* Does peer (of a policy in namespace pns) match the endpoint? M_YES,
 * M_NO, or M_UNRESOLVED when it hinges on unknown namespace labels. */
static int
peer_match(const struct np_peer *p, const char *pns,
    const struct npeval_ep *ep, json_object *nsmap, unsigned *notes)
{
	json_object *nsl;
	int m = M_YES;

	if (p->kind == PEER_IPBLOCK) {
		if (!ipblock_match(p, &ep->addr))
			return M_NO;
		if (is_pod(ep)) {
			/* Pod IPs in an ipBlock: implementation-defined
			 * (most CNIs match the pod by identity first). */
			*notes |= NPEVAL_NOTE_IPBLOCK_POD;
			return M_NO;
		}
		return M_YES;
	}
	if (!is_pod(ep)) {
		if (ep->kind == NPEVAL_EP_POD && ep->host_network)
			*notes |= NPEVAL_NOTE_HOSTNET;
		return M_NO;
	}
	if (p->ns.present) {
		nsl = ep->ns_labels != NULL ? ep->ns_labels :
		    get(nsmap, ep->namespace_);
		if ((m = ns_sel_match(&p->ns, nsl, ep->namespace_)) == M_NO)
			return M_NO;
	} else if (strcmp(pns, ep->namespace_) != 0) {
		return M_NO;
	}
	if (p->pod.present && !sel_match(&p->pod, ep->labels, NULL))
		return M_NO;
	if (m == M_UNRESOLVED)
		*notes |= NPEVAL_NOTE_NS_LABELS;
	return m;
}

/* Look name up in the destination pod's container ports. */
static int
named_port(const char *name, int protocol, unsigned port,
    const struct npeval_ep *dst)
{
	json_object *e, *jp;
	const char *pr;
	size_t i;

	if (!is_pod(dst))
		return M_NO;	/* named ports name pods' ports only */
	if (dst->ports == NULL ||
	    !json_object_is_type(dst->ports, json_type_array))
		return M_UNRESOLVED;
	for (i = 0; i < json_object_array_length(dst->ports); i++) {
		e = json_object_array_get_idx(dst->ports, i);
		if (label(e, "name", NULL) == NULL ||
		    strcmp(label(e, "name", NULL), name) != 0)
			continue;
		pr = label(e, "protocol", NULL);
		if (proto_parse(pr ? pr : "TCP") != protocol)
			continue;
		jp = get(e, "port");
		if (jp == NULL)
			jp = get(e, "containerPort");
		if (jp != NULL && (unsigned)json_object_get_int(jp) == port)
			return M_YES;
	}
	return M_NO;
}

static int
ports_match(const struct np_rule *r, int protocol, unsigned port,
    const struct npeval_ep *dst, unsigned *notes)
{
	const struct np_port *p;
	int best = M_NO, m;
	size_t i;

	if (r->nports == 0)
		return M_YES;
	if (protocol != IPPROTO_TCP && protocol != IPPROTO_UDP &&
	    protocol != IPPROTO_SCTP) {
		*notes |= NPEVAL_NOTE_NO_PORTS;
		return M_NO;
	}
	for (i = 0; i < r->nports; i++) {
		p = &r->ports[i];
		if (p->protocol != protocol)
			continue;
		if (p->any)
			return M_YES;
		if (p->name != NULL) {
			m = named_port(p->name, protocol, port, dst);
			if (m == M_YES)
				return M_YES;
			if (m == M_UNRESOLVED) {
				*notes |= NPEVAL_NOTE_NAMED_PORT;
				best = M_UNRESOLVED;
			}
			continue;
		}
		if (port >= p->port && port <= p->end)
			return M_YES;
	}
	return best;
}

static bool
policy_selects(const struct np_policy *p, const struct npeval_ep *ep,
    int dir)
{
	return p->has_dir[dir] && is_pod(ep) &&
	    strcmp(p->ns, ep->namespace_) == 0 &&
	    sel_match(&p->podsel, ep->labels, NULL);
}

size_t
npeval_select(const struct npeval_set *set, const struct npeval_ep *ep,
    int dir, size_t *idx, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < set->n; i++)
		if (policy_selects(&set->pol[i], ep, dir)) {
			if (n < max)
				idx[n] = i;
			n++;
		}
	return n;
}

/* One side: subject is the pod whose policies of direction dir apply, peer
 * the other end, dst the destination (for named ports). sel, when not
 * NULL, lists the nsel policies known to select the subject. */
static void
eval_side(const struct npeval_set *set, const struct npeval_ep *subject,
    const struct npeval_ep *peer, const struct npeval_ep *dst, int dir,
    int protocol, unsigned port, const size_t *sel, size_t nsel,
    struct npeval_side *s, unsigned *notes)
{
	const struct np_policy *p;
	const struct np_rule *r;
	size_t i, j, k, n;
	int pm, pr, hit, best = M_NO;

	memset(s, 0, sizeof(*s));
	s->allowed_by = -1;
	s->verdict = NPEVAL_ALLOW;
	if (subject->kind != NPEVAL_EP_POD)
		return;
	if (subject->host_network) {
		*notes |= NPEVAL_NOTE_HOSTNET;
		return;
	}
	s->applies = true;
	n = sel != NULL ? nsel : set->n;
	for (i = 0; i < n; i++) {
		if (sel != NULL)
			p = &set->pol[sel[i]];
		else if (!policy_selects((p = &set->pol[i]), subject, dir))
			continue;
		s->isolated = true;
		for (j = 0; j < p->nrules[dir]; j++) {
			r = &p->rules[dir][j];
			hit = r->npeers == 0 ? M_YES : M_NO;
			for (k = 0; hit != M_YES && k < r->npeers; k++) {
				pr = peer_match(&r->peers[k], p->ns, peer,
				    set->nsmap, notes);
				if (pr != M_NO)
					hit = pr;
			}
			if (hit == M_NO)
				continue;
			pm = ports_match(r, protocol, port, dst, notes);
			if (pm == M_YES && hit == M_YES) {
				s->allowed_by = (int)(sel != NULL ? sel[i] : i);
				return;
			}
			if (pm != M_NO)
				best = M_UNRESOLVED;
		}
	}
	if (!s->isolated)
		return;
	s->verdict = best == M_UNRESOLVED ? NPEVAL_UNRESOLVED : NPEVAL_DENY;
	/* Kubernetes: a pod cannot block traffic from its own node. */
	if (dir == NPEVAL_INGRESS && peer->kind == NPEVAL_EP_NODE) {
		*notes |= NPEVAL_NOTE_NODE;
		s->verdict = NPEVAL_ALLOW;
	}
}

void
npeval_eval(const struct npeval_set *set, const struct npeval_ep *src,
    const struct npeval_ep *dst, int protocol, unsigned port,
    struct npeval_result *res)
{
	npeval_eval_selected(set, src, NULL, 0, dst, NULL, 0, protocol, port,
	    res);
}

void
npeval_eval_selected(const struct npeval_set *set,
    const struct npeval_ep *src, const size_t *src_sel, size_t nsrc,
    const struct npeval_ep *dst, const size_t *dst_sel, size_t ndst,
    int protocol, unsigned port, struct npeval_result *res)
{
	memset(res, 0, sizeof(*res));
	eval_side(set, src, dst, dst, NPEVAL_EGRESS, protocol, port, src_sel,
	    nsrc, &res->egress, &res->notes);
	eval_side(set, dst, src, dst, NPEVAL_INGRESS, protocol, port, dst_sel,
	    ndst, &res->ingress, &res->notes);
	if (res->egress.verdict == NPEVAL_DENY ||
	    res->ingress.verdict == NPEVAL_DENY)
		res->verdict = NPEVAL_DENY;
	else if (res->egress.verdict == NPEVAL_UNRESOLVED ||
	    res->ingress.verdict == NPEVAL_UNRESOLVED)
		res->verdict = NPEVAL_UNRESOLVED;
	else
		res->verdict = NPEVAL_ALLOW;
}

const char *
npeval_verdict_name(int verdict)
{
	static const char *const names[] = {
		[NPEVAL_ALLOW] = "allowed",
		[NPEVAL_DENY] = "denied",
		[NPEVAL_UNRESOLVED] = "unresolved",
	};

	if (verdict < 0 || verdict > NPEVAL_UNRESOLVED)
		return "?";
	return names[verdict];
}

static const struct {
	unsigned note;
	const char *text;
} note_texts[] = {
	{ NPEVAL_NOTE_IPBLOCK_POD, "an ipBlock holds the pod peer's IP: "
	    "whether ipBlock matches pod IPs is implementation-defined, use a "
	    "podSelector/namespaceSelector" },
	{ NPEVAL_NOTE_NODE, "from a node: Kubernetes does not let a pod block "
	    "its own node (kubelet probes)" },
	{ NPEVAL_NOTE_HOSTNET, "a hostNetwork pod: policies do not select it "
	    "and selectors do not match it (implementation-defined)" },
	{ NPEVAL_NOTE_NAMED_PORT, "a named port could not be resolved: the "
	    "destination's container ports were not recorded" },
	{ NPEVAL_NOTE_NO_PORTS, "ICMP and other protocols without ports are "
	    "allowed only by rules without ports" },
	{ NPEVAL_NOTE_NS_LABELS, "a namespaceSelector on labels other than "
	    "kubernetes.io/metadata.name: the namespace's labels were not "
	    "given (--namespace-labels)" },
};

const char *
npeval_note_text(unsigned note)
{
	size_t i;

	for (i = 0; i < sizeof(note_texts) / sizeof(note_texts[0]); i++)
		if (note & note_texts[i].note)
			return note_texts[i].text;
	return "";
}
