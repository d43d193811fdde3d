/*
 * npeval_match: the selectors, peers and ports of compiled policies
 * against one endpoint.
 */
#include "cli/eval/npeval_int.h"

#include <netinet/in.h>
#include <string.h>

/* The value of label key, or NULL. ns_name, when set, is the implied
 * kubernetes.io/metadata.name of a namespace. */
static const char *
label(json_object *labels, const char *key, const char *ns_name)
{
	json_object *v = npeval_get(labels, key);

	if (v != NULL)
		return npeval_jstr(v);
	if (ns_name != NULL && strcmp(key, NS_NAME_LABEL) == 0)
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
int
npeval_peer_match(const struct np_peer *p, const char *pns,
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
		    npeval_get(nsmap, ep->namespace_);
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
		if (npeval_proto_parse(pr ? pr : "TCP") != protocol)
			continue;
		jp = npeval_get(e, "port");
		if (jp == NULL)
			jp = npeval_get(e, "containerPort");
		if (jp != NULL && (unsigned)json_object_get_int(jp) == port)
			return M_YES;
	}
	return M_NO;
}

int
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

bool
npeval_policy_selects(const struct np_policy *p, const struct npeval_ep *ep,
    int dir)
{
	return p->has_dir[dir] && is_pod(ep) &&
	    strcmp(p->ns, ep->namespace_) == 0 &&
	    sel_match(&p->podsel, ep->labels, NULL);
}
