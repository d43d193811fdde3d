/*
 * np: one NetworkPolicy object into the structs of np.h, validated as the
 * API server would; an error names the policy and the path of the field.
 */
#include "cli/eval/np.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	{ .name = "In", .op = NP_OP_IN, .values = true },
	{ .name = "NotIn", .op = NP_OP_NOTIN, .values = true },
	{ .name = "Exists", .op = NP_OP_EXISTS, .values = false },
	{ .name = "DoesNotExist", .op = NP_OP_NOTEXISTS, .values = false },
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
		if ((rc = req_add_value(r, np_jstr(v))) != 0)
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
			if ((rc = req_add(s, key, NP_OP_IN)) != 0 ||
			    (rc = req_add_value(&s->req[s->nreq - 1],
			    np_jstr(val))) != 0)
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

static int
compile_ipblock(struct cctx *c, const char *path, json_object *ib,
    struct np_peer *p)
{
	json_object *jc, *je;
	struct addr_cidr ex;
	size_t i, n;

	p->kind = NP_PEER_IPBLOCK;
	jc = np_get(ib, "cidr");
	if (jc == NULL || !json_object_is_type(jc, json_type_string))
		return cerr(c, path, "ipBlock.cidr is required");
	if (strchr(json_object_get_string(jc), '/') == NULL ||
	    addr_cidr_parse(json_object_get_string(jc), &p->cidr) != 0)
		return cerr(c, path, "ipBlock.cidr '%s' is not a CIDR",
		    json_object_get_string(jc));
	if ((je = np_get(ib, "except")) == NULL)
		return 0;
	if (!json_object_is_type(je, json_type_array))
		return cerr(c, path, "ipBlock.except must be a list");
	n = json_object_array_length(je);
	if (n == 0)
		return 0;
	if ((p->except = calloc(n, sizeof(*p->except))) == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const char *s = np_jstr(json_object_array_get_idx(je, i));

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
	ps = np_get(o, "podSelector");
	nss = np_get(o, "namespaceSelector");
	ib = np_get(o, "ipBlock");
	if (ib != NULL) {
		if (ps != NULL || nss != NULL)
			return cerr(c, path, "ipBlock cannot be combined with "
			    "podSelector or namespaceSelector in one peer");
		return compile_ipblock(c, path, ib, p);
	}
	if (ps == NULL && nss == NULL)
		return cerr(c, path, "a peer needs podSelector, "
		    "namespaceSelector or ipBlock");
	p->kind = NP_PEER_SEL;
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

int
np_proto_parse(const char *s)
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
	if ((jp = np_get(o, "protocol")) != NULL) {
		if (!json_object_is_type(jp, json_type_string) ||
		    (p->protocol = np_proto_parse(
		    json_object_get_string(jp))) < 0)
			return cerr(c, path, "protocol '%s' is not TCP, UDP or "
			    "SCTP", np_jstr(jp));
	}
	jport = np_get(o, "port");
	jend = np_get(o, "endPort");
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
	const char *pkey = dir == NP_INGRESS ? "from" : "to";
	json_object *jpeers, *jports;
	char sub[256];
	size_t i, n;
	int rc;

	if (!json_object_is_type(o, json_type_object))
		return cerr(c, path, "a rule must be an object");
	if ((jpeers = np_get(o, pkey)) != NULL) {
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
	if ((jports = np_get(o, "ports")) != NULL) {
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
	const char *key = dir == NP_INGRESS ? "ingress" : "egress";
	json_object *jr;
	char sub[256];
	size_t i, n;
	int rc;

	if ((jr = np_get(spec, key)) == NULL)
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

	if ((jt = np_get(spec, "policyTypes")) == NULL ||
	    (json_object_is_type(jt, json_type_array) &&
	    json_object_array_length(jt) == 0)) {
		/* The API's default: every policy governs ingress, and
		 * egress when it has egress rules. */
		p->has_dir[NP_INGRESS] = true;
		p->has_dir[NP_EGRESS] = p->nrules[NP_EGRESS] > 0;
		return 0;
	}
	if (!json_object_is_type(jt, json_type_array))
		return cerr(c, "spec.policyTypes", "must be a list");
	for (i = 0; i < json_object_array_length(jt); i++) {
		t = np_jstr(json_object_array_get_idx(jt, i));
		if (t != NULL && strcmp(t, "Ingress") == 0)
			p->has_dir[NP_INGRESS] = true;
		else if (t != NULL && strcmp(t, "Egress") == 0)
			p->has_dir[NP_EGRESS] = true;
		else
			return cerr(c, "spec.policyTypes", "'%s' is not "
			    "Ingress or Egress", t ? t : "");
	}
	return 0;
}

int
np_compile(json_object *o, const char *default_ns,
    const char *source, struct np_policy *p, char *err, size_t errlen)
{
	struct cctx c = { .err = err, .errlen = errlen, .source = source };
	json_object *md, *spec, *jn, *jns;
	char pname[600];
	int rc;

	md = np_get(o, "metadata");
	jn = np_get(md, "name");
	jns = np_get(md, "namespace");
	snprintf(pname, sizeof(pname), "%s/%s",
	    jns ? np_jstr(jns) : default_ns,
	    jn ? np_jstr(jn) : "(unnamed)");
	c.pname = pname;
	if (jn == NULL || !json_object_is_type(jn, json_type_string) ||
	    json_object_get_string_len(jn) == 0)
		return cerr(&c, "metadata.name", "is required");
	if (jns != NULL && !json_object_is_type(jns, json_type_string))
		return cerr(&c, "metadata.namespace", "must be a string");
	p->name = strdup(np_jstr(jn));
	p->ns = strdup(jns ? np_jstr(jns) : default_ns);
	p->source = source ? strdup(source) : NULL;
	if (p->name == NULL || p->ns == NULL || (source && !p->source))
		return -ENOMEM;
	if ((spec = np_get(o, "spec")) == NULL ||
	    !json_object_is_type(spec, json_type_object))
		return cerr(&c, "spec", "is required");
	/* podSelector is required by the API; a missing one decodes to the
	 * empty selector (every pod of the namespace), as in the API. */
	if ((rc = compile_sel(&c, "spec.podSelector",
	    np_get(spec, "podSelector"), &p->podsel)) != 0)
		return rc;
	if ((rc = compile_rules(&c, spec, NP_INGRESS, p)) != 0 ||
	    (rc = compile_rules(&c, spec, NP_EGRESS, p)) != 0)
		return rc;
	return compile_types(&c, spec, p);
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

void
np_free(struct np_policy *p)
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
