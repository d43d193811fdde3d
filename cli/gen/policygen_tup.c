/*
 * policygen_tup: recorded flows -> tuples (peer, protocol, port) and
 * their order (see policygen_tup.h).
 */
#include "cli/gen/policygen_tup.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/gen/policygen_util.h"
#include "lib/store.h"

int
policygen_tupv_add(struct policygen_tupv *tv, const struct policygen_tup *t)
{
	struct policygen_tup *n;
	size_t ncap;

	if (tv->n == tv->cap) {
		ncap = tv->cap ? tv->cap * 2 : 64;
		if ((n = realloc(tv->v, ncap * sizeof(*n))) == NULL)
			return -ENOMEM;
		tv->v = n;
		tv->cap = ncap;
	}
	tv->v[tv->n++] = *t;
	return 0;
}

static const char *
dir_to(int direction)
{
	return direction == FLOW_EGRESS ? "egress to" : "ingress from";
}

static const char *
json_label(const struct index_workload *w, const char *key)
{
	json_object *v;

	if (w->labels == NULL || !json_object_object_get_ex(w->labels, key,
	    &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

bool
policygen_is_cluster_dns(const struct index_workload *w)
{
	const char *app = json_label(w, "k8s-app");

	if (strcmp(w->namespace_, "kube-system") != 0)
		return false;
	return (app != NULL && strcmp(app, "kube-dns") == 0) ||
	    strcmp(w->name, "coredns") == 0 || strcmp(w->name, "kube-dns") == 0;
}

static char *
wl_desc(const struct index_workload *w, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s/%s", w->namespace_, w->kind, w->name);
	return buf;
}

/* An address peer as a tuple: widened by a KnownServer when one matches. */
void
policygen_tup_addr(struct policygen_tup *t, const struct addr *a,
    const struct ks_set *ks, bool widen)
{
	t->pk = POLICYGEN_TUP_CIDR;
	t->seen = *a;
	t->ks = widen ? ks_match(ks, a) : NULL;
	if (t->ks != NULL)
		t->cidr = t->ks->cidr;
	else
		addr_cidr_host(&t->cidr, a);
}

/*
 * The tuples of one direction for the policy. Notes go to r's lists.
 */
int
policygen_tup_collect(const struct index *idx,
    const struct index_workload *wl, int direction,
    const struct policygen_opts *o, struct policygen_tupv *tv,
    struct policygen_result *r)
{
	const struct flow *f;
	const struct index_workload *peer;
	char a[ADDR_STRLEN], d[3 * STORE_NAME_LEN];
	size_t first, n, i;
	struct policygen_tup t;
	bool node;
	int rc = 0;

	n = index_flows_of(idx, wl, &first);
	for (i = first; i < first + n && rc == 0; i++) {
		f = index_flow(idx, i);
		peer = index_peer(idx, f);
		if (f->key.direction != direction)
			continue;
		r->nflows++;
		memset(&t, 0, sizeof(t));
		t.proto = f->key.protocol;
		t.port = f->key.port;
		t.has_port = true;
		t.dns = f->dns_name;
		t.last_seen = f->last_seen;
		node = f->key.peer_kind == FLOW_PEER_NODE ||
		    (f->key.peer.family != 0 &&
		    index_is_node_addr(idx, &f->key.peer));
		if (f->key.peer.family != 0)
			addr_format(&f->key.peer, a, sizeof(a));
		else
			snprintf(a, sizeof(a), "?");

		if (policygen_is_icmp(f->key.protocol) ||
		    !policygen_port_proto(f->key.protocol) || f->key.port == 0) {
			if (f->key.peer_kind == FLOW_PEER_WORKLOAD)
				wl_desc(peer, d, sizeof(d));
			else
				snprintf(d, sizeof(d), "%s%s", node ?
				    "node " : "", a);
			rc = policygen_list_add(&r->inexpressible, "%s %s %s%s",
			    policygen_proto_name(f->key.protocol),
			    dir_to(direction), d,
			    policygen_is_icmp(f->key.protocol) ? "" : " (no port)");
			continue;
		}
		if (f->key.peer_kind == FLOW_PEER_WORKLOAD &&
		    peer->host_network) {
			wl_desc(peer, d, sizeof(d));
			rc = policygen_list_add(o->include_nodes ?
			    &r->inexpressible : &r->excluded,
			    "%s hostNetwork %s %s/%u%s", dir_to(direction), d,
			    policygen_proto_name(f->key.protocol), f->key.port,
			    o->include_nodes ?
			    " (its node address was not recorded)" : "");
			continue;
		}
		if (f->key.peer_kind == FLOW_PEER_WORKLOAD) {
			t.pk = POLICYGEN_TUP_WORKLOAD;
			t.wl = peer;
			if (policygen_selector_empty(t.wl->selector) &&
			    (rc = policygen_list_add(&r->warnings, "peer %s "
			    "has an empty selector: its rule allows every pod "
			    "of namespace %s", wl_desc(t.wl, d, sizeof(d)),
			    t.wl->namespace_)) < 0)
				break;
		} else if (f->key.peer.family == 0) {
			rc = policygen_list_add(&r->inexpressible, "%s an "
			    "unknown peer %s/%u", dir_to(direction),
			    policygen_proto_name(f->key.protocol), f->key.port);
			continue;
		} else if (node && !o->include_nodes) {
			rc = policygen_list_add(&r->excluded,
			    "%s node %s %s/%u", dir_to(direction), a,
			    policygen_proto_name(f->key.protocol), f->key.port);
			continue;
		} else {
			/* Node addresses are never widened: a KnownServer
			 * names servers outside the cluster. */
			policygen_tup_addr(&t, &f->key.peer, o->ks, !node);
		}
		if ((rc = policygen_tupv_add(tv, &t)) < 0)
			break;
		/* The cluster DNS: both protocols on 53 when either was seen
		 * (TCP fallback is rare while learning, needed later). */
		if (direction == FLOW_EGRESS &&
		    t.pk == POLICYGEN_TUP_WORKLOAD && t.port == 53 &&
		    (t.proto == IPPROTO_UDP || t.proto == IPPROTO_TCP) &&
		    policygen_is_cluster_dns(t.wl)) {
			t.proto = t.proto == IPPROTO_UDP ? IPPROTO_TCP :
			    IPPROTO_UDP;
			rc = policygen_tupv_add(tv, &t);
		}
	}
	return rc;
}

/* ---- order -------------------------------------------------------------- */

int
policygen_tup_peer_cmp(const struct policygen_tup *x,
    const struct policygen_tup *y)
{
	int c;

	if (x->pk != y->pk)
		return x->pk < y->pk ? -1 : 1;
	if (x->pk == POLICYGEN_TUP_WORKLOAD) {
		if (x->wl->index != y->wl->index)
			return x->wl->index < y->wl->index ? -1 : 1;
		return 0;
	}
	if ((c = addr_cmp(&x->cidr.addr, &y->cidr.addr)) != 0)
		return c;
	if (x->cidr.prefix != y->cidr.prefix)
		return x->cidr.prefix < y->cidr.prefix ? -1 : 1;
	return 0;
}

int
policygen_tup_cmp(const void *a, const void *b)
{
	const struct policygen_tup *x = a, *y = b;
	int c;

	if ((c = policygen_tup_peer_cmp(x, y)) != 0)
		return c;
	if (x->has_port != y->has_port)
		return x->has_port ? 1 : -1;
	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	if ((c = addr_cmp(&x->seen, &y->seen)) != 0)
		return c;
	return x->last_seen < y->last_seen ? -1 : x->last_seen > y->last_seen;
}

/* Sort tuples so refs come out by (cidr, seen address). */
int
policygen_tup_ref_cmp(const void *a, const void *b)
{
	const struct policygen_tup *x = a, *y = b;
	int c;

	if ((c = policygen_tup_peer_cmp(x, y)) != 0)
		return c;
	if ((c = addr_cmp(&x->seen, &y->seen)) != 0)
		return c;
	return x->last_seen < y->last_seen ? -1 : x->last_seen > y->last_seen;
}
