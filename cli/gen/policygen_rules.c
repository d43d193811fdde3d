/*
 * policygen_rules: tuples -> peers with their port sets -> rules (see
 * policygen_rules.h).
 */
#include "cli/gen/policygen_rules.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/gen/policygen_util.h"

struct peer {
	size_t first, n;	/* tuple range */
	char *sig;		/* the port set, as text */
	size_t order;
};

struct rule {
	size_t first, n;	/* range in the sig-sorted peers */
	size_t order;		/* its first peer's order */
};

/* ---- json pieces -------------------------------------------------------- */

json_object *
policygen_ns_selector(const char *ns)
{
	json_object *sel = json_object_new_object(),
	    *ml = json_object_new_object();

	policygen_add_str(ml, "kubernetes.io/metadata.name", ns);
	policygen_obj_add(sel, "matchLabels", ml);
	return sel;
}

static json_object *
peer_json(const struct index_workload *subject, const struct policygen_tup *t)
{
	json_object *p = json_object_new_object(), *ib;
	char c[ADDR_CIDR_STRLEN];

	if (t->pk == POLICYGEN_TUP_WORKLOAD) {
		if (strcmp(t->wl->namespace_, subject->namespace_) != 0)
			policygen_obj_add(p, "namespaceSelector",
			    policygen_ns_selector(t->wl->namespace_));
		policygen_obj_add(p, "podSelector",
		    json_object_get(t->wl->selector));
	} else {
		ib = json_object_new_object();
		policygen_add_str(ib, "cidr", addr_cidr_format(&t->cidr, c,
		    sizeof(c)));
		policygen_obj_add(p, "ipBlock", ib);
	}
	return p;
}

static json_object *
port_json(const struct policygen_tup *t)
{
	json_object *p = json_object_new_object();

	policygen_obj_add(p, "port", json_object_new_int(t->port));
	policygen_add_str(p, "protocol", policygen_proto_name(t->proto));
	return p;
}

/*
 * Port entries are immutable and repeat (443, 53, 8080...): one json
 * object per (protocol, port) shared by every rule of a policy that has
 * it, which saves most of the allocations and frees of large exports.
 */
#define PORTCACHE_SLOTS 256

struct policygen_portcache {
	uint32_t key[PORTCACHE_SLOTS];	/* (proto << 16 | port) + 1, 0 empty */
	json_object *obj[PORTCACHE_SLOTS];
};

struct policygen_portcache *
policygen_portcache_new(void)
{
	return calloc(1, sizeof(struct policygen_portcache));
}

void
policygen_portcache_free(struct policygen_portcache *pc)
{
	size_t i;

	if (pc == NULL)
		return;
	for (i = 0; i < PORTCACHE_SLOTS; i++)
		if (pc->key[i] != 0)
			json_object_put(pc->obj[i]);
	free(pc);
}

static json_object *
port_cached(struct policygen_portcache *pc, const struct policygen_tup *t)
{
	uint32_t key = ((uint32_t)t->proto << 16 | t->port) + 1;
	size_t i, n;

	for (i = (key * 2654435761u) >> 24, n = 0; n < PORTCACHE_SLOTS;
	    i = (i + 1) % PORTCACHE_SLOTS, n++) {
		if (pc->key[i] == 0) {
			if ((pc->obj[i] = port_json(t)) == NULL)
				return NULL;
			pc->key[i] = key;
		}
		if (pc->key[i] == key)
			return json_object_get(pc->obj[i]);
	}
	return port_json(t);	/* full: not shared */
}

/* ---- grouping ----------------------------------------------------------- */

/* Group sorted tuples into peers with their port-set signatures. */
static int
make_peers(const struct policygen_tupv *tv, struct peer **out, size_t *nout)
{
	struct peer *p = NULL;
	size_t i, j, np = 0, len;
	char *sig, item[24];

	*out = NULL;
	*nout = 0;
	if (tv->n == 0)
		return 0;
	if ((p = calloc(tv->n, sizeof(*p))) == NULL)
		return -ENOMEM;
	for (i = 0; i < tv->n; i = j) {
		for (j = i + 1; j < tv->n && policygen_tup_peer_cmp(&tv->v[i],
		    &tv->v[j]) == 0; j++)
			;
		p[np].first = i;
		p[np].n = j - i;
		p[np].order = np;
		if ((sig = malloc((j - i) * sizeof(item) + 1)) == NULL)
			goto nomem;
		sig[0] = '\0';
		len = 0;
		for (size_t k = i; k < j; k++) {
			if (k > i && tv->v[k].proto == tv->v[k - 1].proto &&
			    tv->v[k].port == tv->v[k - 1].port)
				continue;
			len += (size_t)snprintf(sig + len, sizeof(item),
			    "%u/%u,", tv->v[k].proto, tv->v[k].port);
		}
		p[np++].sig = sig;
	}
	*out = p;
	*nout = np;
	return 0;
nomem:
	for (i = 0; i < np; i++)
		free(p[i].sig);
	free(p);
	return -ENOMEM;
}

static int
peer_sig_cmp(const void *a, const void *b)
{
	const struct peer *x = a, *y = b;
	int c = strcmp(x->sig, y->sig);

	if (c != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int
rule_cmp(const void *a, const void *b)
{
	const struct rule *x = a, *y = b;

	return x->order < y->order ? -1 : x->order > y->order;
}

/* The rules array of one direction; NULL when there is no traffic. */
static json_object *
rules_json(const struct index_workload *wl, int direction,
    const struct policygen_tupv *tv, struct peer *peers, size_t np,
    struct policygen_portcache *pc)
{
	json_object *rules, *rule, *plist, *ports, *pj;
	struct rule *rv;
	size_t i, j, k, nr = 0, t, nwl;
	const struct policygen_tup *tp;

	if (np == 0)
		return NULL;
	policygen_sort(peers, np, sizeof(*peers), peer_sig_cmp);
	if ((rv = calloc(np, sizeof(*rv))) == NULL)
		return NULL;
	for (i = 0; i < np; i = j) {
		for (j = i + 1; j < np && strcmp(peers[i].sig,
		    peers[j].sig) == 0; j++)
			;
		rv[nr].first = i;
		rv[nr].n = j - i;
		rv[nr++].order = peers[i].order;
	}
	policygen_sort(rv, nr, sizeof(*rv), rule_cmp);
	rules = json_object_new_array();
	for (i = 0; i < nr; i++) {
		rule = json_object_new_object();
		plist = json_object_new_array();
		nwl = 0;
		for (k = rv[i].first; k < rv[i].first + rv[i].n; k++) {
			tp = &tv->v[peers[k].first];
			pj = peer_json(wl, tp);
			if (tp->pk != POLICYGEN_TUP_WORKLOAD) {
				json_object_array_add(plist, pj);
				continue;
			}
			/* Two workloads with the same selector: one entry.
			 * Workload peers come first, so only those are
			 * compared (addresses are distinct by construction). */
			for (t = 0; t < nwl; t++)
				if (json_object_equal(pj,
				    json_object_array_get_idx(plist, t)))
					break;
			if (t < nwl) {
				json_object_put(pj);
			} else {
				json_object_array_add(plist, pj);
				nwl++;
			}
		}
		policygen_obj_add(rule, direction == FLOW_EGRESS ?
		    "to" : "from", plist);
		ports = json_object_new_array();
		k = peers[rv[i].first].first;
		for (t = k; t < k + peers[rv[i].first].n; t++) {
			tp = &tv->v[t];
			if (t > k && tp->proto == tv->v[t - 1].proto &&
			    tp->port == tv->v[t - 1].port)
				continue;
			json_object_array_add(ports, port_cached(pc, tp));
		}
		policygen_obj_add(rule, "ports", ports);
		json_object_array_add(rules, rule);
	}
	free(rv);
	return rules;
}

int
policygen_rules_build(const struct index_workload *wl, int direction,
    const struct policygen_tupv *tv, struct policygen_portcache *pc,
    json_object **out)
{
	struct peer *peers = NULL;
	json_object *rules = NULL;
	size_t np = 0, i;
	int rc;

	if ((rc = make_peers(tv, &peers, &np)) < 0)
		goto out;
	rules = rules_json(wl, direction, tv, peers, np, pc);
	if (np > 0 && rules == NULL)
		rc = -ENOMEM;
out:
	for (i = 0; i < np; i++)
		free(peers[i].sig);
	free(peers);
	*out = rules;
	return rc;
}
