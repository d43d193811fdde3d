/*
 * check_lint: ipBlocks aimed at pods or Services (see check_lint.h).
 */
#include "cli/eval/check_lint.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* ---- lint ---------------------------------------------------------------- */

struct lint {
	const struct npeval_set *set;
	size_t i;
	const struct addr_cidr *pod, *svc;
	size_t npod, nsvc;
	json_object *out;
};

/* Is a inside range? A block wider than the range (0.0.0.0/0 with
 * except: the usual "the internet") is not aimed at pods: no warning. */
static bool
cidr_inside(const struct addr_cidr *a, const struct addr_cidr *range)
{
	return a->addr.family == range->addr.family &&
	    a->prefix >= range->prefix &&
	    addr_cidr_contains(range, &a->addr);
}

static void
lint_one(const struct addr_cidr *c, int dir, void *arg)
{
	struct lint *l = arg;
	char a[ADDR_CIDR_STRLEN], b[ADDR_CIDR_STRLEN], msg[1024];
	size_t k;

	for (k = 0; k < l->npod; k++)
		if (cidr_inside(c, &l->pod[k])) {
			snprintf(msg, sizeof(msg), "NetworkPolicy %s/%s: %s "
			    "ipBlock %s lies in the pod range %s: whether an "
			    "ipBlock matches pod IPs is implementation-defined; "
			    "select pods with podSelector/namespaceSelector",
			    npeval_policy_namespace(l->set, l->i),
			    npeval_policy_name(l->set, l->i),
			    dir == NPEVAL_INGRESS ? "ingress" : "egress",
			    addr_cidr_format(c, a, sizeof(a)),
			    addr_cidr_format(&l->pod[k], b, sizeof(b)));
			json_object_array_add(l->out,
			    json_object_new_string(msg));
			break;
		}
	for (k = 0; k < l->nsvc; k++)
		if (cidr_inside(c, &l->svc[k])) {
			snprintf(msg, sizeof(msg), "NetworkPolicy %s/%s: %s "
			    "ipBlock %s lies in the Service range %s: traffic "
			    "to a ClusterIP is rewritten to pod IPs before "
			    "policies apply, so this allows nothing there",
			    npeval_policy_namespace(l->set, l->i),
			    npeval_policy_name(l->set, l->i),
			    dir == NPEVAL_INGRESS ? "ingress" : "egress",
			    addr_cidr_format(c, a, sizeof(a)),
			    addr_cidr_format(&l->svc[k], b, sizeof(b)));
			json_object_array_add(l->out,
			    json_object_new_string(msg));
			break;
		}
}

/* What the policies of other formats say that is not evaluated. */
static const struct {
	const char *kind;
	const char *rules;
} other_formats[] = {
	{ "CiliumNetworkPolicy", "Cilium's (toFQDNs, entities, icmps)" },
	{ "CiliumClusterwideNetworkPolicy",
	  "Cilium's (toFQDNs, entities, icmps)" },
	{ "ClusterNetworkPolicy",
	  "the tiers, priorities and domainNames of ClusterNetworkPolicies" },
	{ "AdminNetworkPolicy", "the priorities of AdminNetworkPolicies" },
	{ "BaselineAdminNetworkPolicy", "the baseline's" },
};

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* A warning per kind of policy of another format that was skipped: its
 * rules were not applied, and what to check instead. */
static void
lint_other_formats(const struct npeval_set *set, json_object *out)
{
	json_object *skipped = npeval_set_skipped(set);
	const char *kind, *rules;
	char msg[512], api[128];
	int64_t n;
	size_t i;

	if (skipped == NULL)
		return;
	json_object_object_foreach(skipped, key, v) {
		kind = strchr(key, ' ');
		if (kind == NULL || !ends_with(++kind, "NetworkPolicy"))
			continue;	/* a Deployment next to them, say */
		snprintf(api, sizeof(api), "%.*s", (int)(kind - key - 1), key);
		rules = "its own";
		for (i = 0; i < sizeof(other_formats) /
		    sizeof(other_formats[0]); i++)
			if (strcmp(kind, other_formats[i].kind) == 0)
				rules = other_formats[i].rules;
		n = json_object_get_int64(v);
		snprintf(msg, sizeof(msg), "%lld %s object%s (%s) not "
		    "evaluated: only the rules of networking.k8s.io/v1 "
		    "NetworkPolicies are applied here, not %s; to check the "
		    "recording, give the NetworkPolicies exported from it "
		    "(netpol-record export -o yaml)", (long long)n, kind,
		    n == 1 ? "" : "s", *api ? api : "no apiVersion", rules);
		json_object_array_add(out, json_object_new_string(msg));
	}
}

json_object *
check_lint(const struct npeval_set *set, const struct addr_cidr *pod,
    size_t npod, const struct addr_cidr *svc, size_t nsvc)
{
	struct lint l = { .set = set, .pod = pod, .npod = npod, .svc = svc,
	    .nsvc = nsvc };

	if ((l.out = json_object_new_array()) == NULL)
		return NULL;
	if (set != NULL)
		lint_other_formats(set, l.out);
	for (l.i = 0; set != NULL && l.i < npeval_set_count(set); l.i++)
		npeval_policy_ipblocks(set, l.i, lint_one, &l);
	return l.out;
}
