/*
 * npeval_eval: the verdict of a connection. Each pod end is evaluated
 * against the policies selecting it in its direction (the source's
 * egress, the destination's ingress); the worse side decides.
 */
#include "cli/eval/npeval_int.h"

#include <string.h>

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
