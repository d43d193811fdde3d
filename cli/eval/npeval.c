/*
 * npeval: NetworkPolicy semantics over policies compiled by np.h: the set
 * (adding documents: Lists, arrays, the NetworkPolicy inside Kubescape's
 * GeneratedNetworkPolicy, other kinds skipped and counted, a later policy
 * replacing an earlier one of the same name; freeing; the accessors), the
 * selectors, peers and ports of a policy against one endpoint, and the
 * verdict of a connection: each pod end is evaluated against the
 * policies selecting it in its direction (the source's egress, the
 * destination's ingress); the worse side decides.
 */
#include "cli/eval/npeval.h"

#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/eval/np.h"

struct npeval_set {
	struct np_policy *pol;
	size_t n, cap;
	json_object *nsmap;	/* namespace -> labels, or NULL */
	json_object *skipped;	/* "apiVersion kind" -> count, in the order
				 * first met; NULL until one is */
};

/* A match that can hinge on something unknown (a namespace's labels, a
 * pod's container ports). */
enum { M_NO, M_YES, M_UNRESOLVED };

_Static_assert((int)NPEVAL_INGRESS == (int)NP_INGRESS &&
    (int)NPEVAL_EGRESS == (int)NP_EGRESS,
    "the compiled policy's directions are the evaluator's");

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
		np_free(&set->pol[i]);
	free(set->pol);
	json_object_put(set->nsmap);
	json_object_put(set->skipped);
	free(set);
}

/* ---- adding documents -------------------------------------------------- */

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

/* Count an object of another kind, by apiVersion and kind. */
static void
skip(struct npeval_set *set, json_object *o, size_t *nskipped)
{
	json_object *jk = np_get(o, "kind"), *jv = np_get(o, "apiVersion"), *c;
	char key[256];

	(*nskipped)++;
	snprintf(key, sizeof(key), "%s %s", jv ? np_jstr(jv) : "",
	    jk ? np_jstr(jk) : "");
	if (set->skipped == NULL &&
	    (set->skipped = json_object_new_object()) == NULL)
		return;	/* only the count is lost */
	if (json_object_object_get_ex(set->skipped, key, &c))
		json_object_set_int64(c, json_object_get_int64(c) + 1);
	else
		json_object_object_add(set->skipped, key,
		    json_object_new_int64(1));
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
	    (jk = np_get(o, "kind")) == NULL) {
		(*nskipped)++;
		return 0;
	}
	kind = np_jstr(jk);
	if (is_list_kind(kind) && (items = np_get(o, "items")) != NULL)
		return add_any(set, items, default_ns, source, nskipped, err,
		    errlen);
	/* Calico and others have kinds named NetworkPolicy with other
	 * semantics: only the Kubernetes one is evaluated. */
	jv = np_get(o, "apiVersion");
	api = jv ? np_jstr(jv) : "networking.k8s.io/v1";
	/* Kubescape's GeneratedNetworkPolicy holds a whole NetworkPolicy. */
	if (strcmp(kind, "GeneratedNetworkPolicy") == 0 && strcmp(api,
	    "spdx.softwarecomposition.kubescape.io/v1beta1") == 0 &&
	    (items = np_get(o, "spec")) != NULL &&
	    json_object_is_type(items, json_type_object))
		return add_any(set, items, default_ns, source, nskipped, err,
		    errlen);
	if (strcmp(kind, "NetworkPolicy") != 0 ||
	    strcmp(api, "networking.k8s.io/v1") != 0) {
		skip(set, o, nskipped);
		return 0;
	}
	if ((rc = set_push(set, &p)) != 0)
		return rc;
	return np_compile(o, default_ns, source, p, err, errlen);
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
				np_free(&set->pol[j]);
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
			np_free(&set->pol[--set->n]);
		return rc;
	}
	if (nskipped != NULL)
		*nskipped += skipped;
	dedup(set);
	return 0;
}

json_object *
npeval_set_skipped(const struct npeval_set *set)
{
	return set->skipped;
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
				if (p->rules[d][j].peers[k].kind == NP_PEER_IPBLOCK)
					cb(&p->rules[d][j].peers[k].cidr,
					    (int)d, arg);
}

/* ---- matching ----------------------------------------------------------- */

/* The value of label key, or NULL. ns_name, when set, is the implied
 * kubernetes.io/metadata.name of a namespace. */
static const char *
label(json_object *labels, const char *key, const char *ns_name)
{
	json_object *v = np_get(labels, key);

	if (v != NULL)
		return np_jstr(v);
	if (ns_name != NULL && strcmp(key, NP_NS_NAME_LABEL) == 0)
		return ns_name;
	return NULL;
}

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
	case NP_OP_IN:
		return in;
	case NP_OP_NOTIN:
		return !in;
	case NP_OP_EXISTS:
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
		if (labels == NULL && strcmp(r->key, NP_NS_NAME_LABEL) != 0) {
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
npeval_peer_match(const struct np_peer *p, const char *pns,
    const struct npeval_ep *ep, json_object *nsmap, unsigned *notes)
{
	json_object *nsl;
	int m = M_YES;

	if (p->kind == NP_PEER_IPBLOCK) {
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
		    np_get(nsmap, ep->namespace_);
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
		if (np_proto_parse(pr ? pr : "TCP") != protocol)
			continue;
		jp = np_get(e, "port");
		if (jp == NULL)
			jp = np_get(e, "containerPort");
		if (jp != NULL && (unsigned)json_object_get_int(jp) == port)
			return M_YES;
	}
	return M_NO;
}

static int
npeval_ports_match(const struct np_rule *r, int protocol, unsigned port,
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
npeval_policy_selects(const struct np_policy *p, const struct npeval_ep *ep,
    int dir)
{
	return p->has_dir[dir] && is_pod(ep) &&
	    strcmp(p->ns, ep->namespace_) == 0 &&
	    sel_match(&p->podsel, ep->labels, NULL);
}

/* ---- evaluation --------------------------------------------------------- */

size_t
npeval_select(const struct npeval_set *set, const struct npeval_ep *ep,
    int dir, size_t *idx, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < set->n; i++)
		if (npeval_policy_selects(&set->pol[i], ep, dir)) {
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
		else if (!npeval_policy_selects((p = &set->pol[i]), subject,
		    dir))
			continue;
		s->isolated = true;
		for (j = 0; j < p->nrules[dir]; j++) {
			r = &p->rules[dir][j];
			hit = r->npeers == 0 ? M_YES : M_NO;
			for (k = 0; hit != M_YES && k < r->npeers; k++) {
				pr = npeval_peer_match(&r->peers[k], p->ns,
				    peer, set->nsmap, notes);
				if (pr != M_NO)
					hit = pr;
			}
			if (hit == M_NO)
				continue;
			pm = npeval_ports_match(r, protocol, port, dst, notes);
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
