/*
 * report_allow: for a recorded flow the policies deny, the rule that
 * `netpol-record export` writes to allow it (see report.h). The policy is
 * built by cli/gen/policygen, as export builds it, and the rule taken out
 * of it: that rule's peer for this flow and the flow's port, so that the
 * report shows exactly what export would write, never a second opinion.
 */
#include "cli/report/report.h"

#include <stdio.h>
#include <string.h>

#include "cli/gen/policygen.h"
#include "lib/store.h"

#define IDLEN (STORE_NAME_LEN * 2 + 2)

/* Does a peer entry of a rule (podSelector/namespaceSelector or ipBlock)
 * stand for the denial's peer? */
static bool
peer_matches(json_object *entry, const struct check_denial *d)
{
	const struct index_workload *pw = d->peer.wl;
	json_object *sel, *nssel, *want, *ib, *cidr;
	struct addr_cidr c;
	bool ok;

	if (d->peer.kind == FLOW_PEER_WORKLOAD) {
		if (!json_object_object_get_ex(entry, "podSelector", &sel) ||
		    !json_object_equal(sel, pw->selector))
			return false;
		if (strcmp(pw->namespace_, d->wl->namespace_) == 0)
			return !json_object_object_get_ex(entry,
			    "namespaceSelector", NULL);
		if (!json_object_object_get_ex(entry, "namespaceSelector",
		    &nssel) || (want = policygen_ns_selector(
		    pw->namespace_)) == NULL)
			return false;
		ok = json_object_equal(nssel, want);
		json_object_put(want);
		return ok;
	}
	return json_object_object_get_ex(entry, "ipBlock", &ib) &&
	    json_object_object_get_ex(ib, "cidr", &cidr) &&
	    addr_cidr_parse(json_object_get_string(cidr), &c) == 0 &&
	    addr_cidr_contains(&c, &d->peer.addr);
}

static bool
port_matches(json_object *port, const struct check_denial *d)
{
	json_object *num, *proto;

	return json_object_object_get_ex(port, "port", &num) &&
	    json_object_get_int(num) == d->port &&
	    json_object_object_get_ex(port, "protocol", &proto) &&
	    strcmp(json_object_get_string(proto),
	    policygen_proto_name(d->protocol)) == 0;
}

/* The first entry of array a for which match holds; NULL when none. */
static json_object *
find(json_object *a, bool (*match)(json_object *,
    const struct check_denial *), const struct check_denial *d)
{
	size_t i;

	for (i = 0; a != NULL && i < json_object_array_length(a); i++)
		if (match(json_object_array_get_idx(a, i), d))
			return json_object_array_get_idx(a, i);
	return NULL;
}

/* Build (or reuse) the policy export writes for d's workload and
 * direction. 0 or -ENOMEM. */
static int
policy_of(const struct report_input *in, const struct check_denial *d,
    struct report_allow *cache)
{
	struct policygen_opts o = {
		.ingress = d->direction == FLOW_INGRESS,
		.egress = d->direction == FLOW_EGRESS,
		.ks = in->ks,
	};
	struct policygen_result r;
	int rc;

	if (cache->policy != NULL && cache->wl == d->wl &&
	    cache->direction == d->direction)
		return 0;
	report_allow_clear(cache);
	if ((rc = policygen_build(in->idx, d->wl, &o, &r)) != 0)
		return rc;
	cache->policy = json_object_get(r.policy);
	cache->wl = d->wl;
	cache->direction = d->direction;
	policygen_result_clear(&r);
	return 0;
}

json_object *
report_allow_rule(const struct report_input *in,
    const struct check_denial *d, struct report_allow *cache)
{
	const char *dir = d->direction == FLOW_EGRESS ? "egress" : "ingress";
	json_object *spec, *rules, *rule, *peers, *peer = NULL, *port = NULL;
	json_object *out, *fspec, *frules, *frule, *a;
	char name[IDLEN], buf[IDLEN * 2];
	size_t i;

	if (policy_of(in, d, cache) != 0 ||
	    !json_object_object_get_ex(cache->policy, "spec", &spec) ||
	    !json_object_object_get_ex(spec, dir, &rules))
		return NULL;
	for (i = 0; i < json_object_array_length(rules); i++) {
		rule = json_object_array_get_idx(rules, i);
		if (!json_object_object_get_ex(rule, d->direction ==
		    FLOW_EGRESS ? "to" : "from", &peers))
			continue;
		if ((peer = find(peers, peer_matches, d)) == NULL)
			continue;
		if (json_object_object_get_ex(rule, "ports", &a) &&
		    (port = find(a, port_matches, d)) != NULL)
			break;
		peer = NULL;
	}
	if (peer == NULL || port == NULL)
		return NULL;
	/* {"policy": "ns/name", "spec": {DIR: [{to|from: [peer],
	 * ports: [port]}]}}: the part of that policy that allows d. */
	out = json_object_new_object();
	snprintf(buf, sizeof(buf), "%s/%s", d->wl->namespace_,
	    policygen_name(d->wl, name, sizeof(name)));
	json_object_object_add(out, "policy", json_object_new_string(buf));
	fspec = json_object_new_object();
	frules = json_object_new_array();
	frule = json_object_new_object();
	a = json_object_new_array();
	json_object_array_add(a, json_object_get(peer));
	json_object_object_add(frule, d->direction == FLOW_EGRESS ? "to" :
	    "from", a);
	a = json_object_new_array();
	json_object_array_add(a, json_object_get(port));
	json_object_object_add(frule, "ports", a);
	json_object_array_add(frules, frule);
	json_object_object_add(fspec, dir, frules);
	json_object_object_add(out, "spec", fspec);
	return out;
}

void
report_allow_clear(struct report_allow *cache)
{
	json_object_put(cache->policy);
	memset(cache, 0, sizeof(*cache));
}
