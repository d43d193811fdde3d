/*
 * policygen: NetworkPolicy json trees from recorded flows, and the pieces
 * the other formats share.
 *
 * A workload's flows of one direction become tuples (peer, protocol,
 * port) (policygen_collect, within what the format can say); sorted, they
 * group into peers with their port sets; peers with equal port sets (and
 * class) group into rules, ordered by their first peer
 * (policygen_rules_group). Then the policy is assembled: spec, metadata,
 * annotations, policyRefs. Sorting everything makes the same data give
 * the same bytes. The formats that wrap or walk what is built here are
 * cli/gen/format_*.c.
 */
#include "cli/gen/policygen.h"

#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/base/timefmt.h"
#include "lib/sort.h"
#include "lib/store.h"

/* ---- json members, protocols, note lists ------------------------------- */

/*
 * Every key policygen adds is a string literal, added once per object:
 * json-c may then keep the pointer and skip its lookup for an existing
 * key, one allocation and one search less per member.
 */
void
policygen_obj_add(json_object *o, const char *key, json_object *val)
{
	json_object_object_add_ex(o, key, val, JSON_C_OBJECT_ADD_KEY_IS_NEW |
	    JSON_C_OBJECT_KEY_IS_CONSTANT);
}

void
policygen_add_str(json_object *o, const char *key, const char *val)
{
	policygen_obj_add(o, key, json_object_new_string(val));
}

const char *
policygen_proto_name(int proto)
{
	const char *n = flow_protocol_name(proto);

	return n ? n : "unknown";
}

bool
policygen_is_icmp(int proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

bool
policygen_port_proto(int proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	    proto == IPPROTO_SCTP;
}

void
policygen_lower_copy(char *dst, size_t len, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < len && src[i] != '\0'; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

static bool
policygen_selector_empty(json_object *sel)
{
	json_object *v;

	if (json_object_object_get_ex(sel, "matchExpressions", &v) &&
	    json_object_array_length(v) > 0)
		return false;
	return !json_object_object_get_ex(sel, "matchLabels", &v) ||
	    json_object_object_length(v) == 0;
}

/* ---- note lists --------------------------------------------------------- */

int
policygen_list_add(struct policygen_list *l, const char *fmt, ...)
{
	va_list ap;
	char **n, *s;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return -ENOMEM;
	if ((n = realloc(l->v, (l->n + 1) * sizeof(*n))) == NULL) {
		free(s);
		return -ENOMEM;
	}
	l->v = n;
	l->v[l->n++] = s;
	return 0;
}

static int
strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
policygen_list_finish(struct policygen_list *l)
{
	size_t i, out = 0;

	if (l->n == 0)
		return;
	sort_n(l->v, l->n, sizeof(*l->v), strp_cmp);
	for (i = 0; i < l->n; i++) {
		if (out > 0 && strcmp(l->v[out - 1], l->v[i]) == 0) {
			free(l->v[i]);
			continue;
		}
		l->v[out++] = l->v[i];
	}
	l->n = out;
}

void
policygen_result_finish(struct policygen_result *r)
{
	policygen_list_finish(&r->warnings);
	policygen_list_finish(&r->excluded);
	policygen_list_finish(&r->inexpressible);
	policygen_list_finish(&r->known);
}

static void
policygen_list_clear(struct policygen_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

json_object *
policygen_list_json(const struct policygen_list *l)
{
	json_object *o;
	size_t i, len = 0;
	char *s;

	if (l->n == 0)
		return NULL;
	for (i = 0; i < l->n; i++)
		len += strlen(l->v[i]) + 2;
	if ((s = malloc(len + 1)) == NULL)
		return NULL;
	s[0] = '\0';
	for (i = 0; i < l->n; i++) {
		if (i > 0)
			strcat(s, "; ");
		strcat(s, l->v[i]);
	}
	o = json_object_new_string(s);
	free(s);
	return o;
}

/* ---- tuples: a workload's flows of one direction ------------------------ */

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

/* "TCP/443", or "ICMP" for a protocol without ports, into buf. */
static const char *
port_desc(const struct flow *f, char *buf, size_t len)
{
	if (policygen_port_proto(f->key.protocol) && f->key.port != 0)
		snprintf(buf, len, "%s/%u", policygen_proto_name(
		    f->key.protocol), f->key.port);
	else
		snprintf(buf, len, "%s", policygen_proto_name(
		    f->key.protocol));
	return buf;
}

/*
 * An egress address reached after resolving names: a _NAME tuple per
 * name that can be written, and the address too (t as it is, a _CIDR)
 * when none can or some cannot: the pod may look up only those.
 */
static int
collect_names(const struct index *idx, const struct index_workload *wl,
    const struct flow *f, const struct policygen_opts *o,
    struct policygen_tup *t, struct policygen_tupv *tv,
    struct policygen_result *r)
{
	struct policygen_tup nt = *t;
	const char *name;
	char a[ADDR_STRLEN];
	size_t first, n, i, usable = 0, bad = 0;
	int rc = 0;

	n = index_dns_names(idx, wl, &f->key.peer, &first);
	nt.pk = POLICYGEN_TUP_NAME;
	nt.ks = ks_match(o->ks, &f->key.peer);
	if (nt.ks != NULL)
		nt.cidr = nt.ks->cidr;
	for (i = first; i < first + n && rc == 0; i++) {
		name = index_dns_name(idx, i);
		if (policygen_name_ok(name)) {
			nt.dns = name;
			rc = policygen_tupv_add(tv, &nt);
			usable++;
			continue;
		}
		bad++;
		rc = policygen_list_add(&r->warnings, "the name '%s' cannot "
		    "be written as a DNS name: %s is written as an address",
		    name, addr_format(&f->key.peer, a, sizeof(a)));
	}
	if (rc == 0 && (usable == 0 || bad > 0))
		rc = policygen_tupv_add(tv, t);
	return rc;
}

int
policygen_collect(const struct index *idx, const struct index_workload *wl,
    int direction, const struct policygen_opts *o,
    const struct policygen_caps *caps, struct policygen_tupv *tv,
    struct policygen_result *r)
{
	const struct flow *f;
	const struct index_workload *peer;
	char a[ADDR_STRLEN], d[3 * STORE_NAME_LEN], pd[32];
	size_t first, n, i;
	struct policygen_tup t;
	bool node, portless;
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
		port_desc(f, pd, sizeof(pd));

		portless = policygen_is_icmp(f->key.protocol) ||
		    !policygen_port_proto(f->key.protocol) || f->key.port == 0;
		if (portless && caps->icmp &&
		    policygen_is_icmp(f->key.protocol)) {
			t.has_port = false;
			t.port = 0;
		} else if (portless) {
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
			if (o->include_nodes && caps->node_peer) {
				/* A hostNetwork pod is its node. */
				t.pk = POLICYGEN_TUP_NODES;
				rc = policygen_tupv_add(tv, &t);
				continue;
			}
			wl_desc(peer, d, sizeof(d));
			rc = policygen_list_add(o->include_nodes ?
			    &r->inexpressible : &r->excluded,
			    "%s hostNetwork %s %s%s", dir_to(direction), d, pd,
			    o->include_nodes ?
			    " (its node address was not recorded)" : "");
			continue;
		}
		if (f->key.peer_kind == FLOW_PEER_WORKLOAD &&
		    !peer->described) {
			/* Only named (cli/source/index.h): a rule would need
			 * its selector, and the empty default would allow
			 * every pod of its namespace. */
			rc = policygen_list_add(&r->inexpressible, "%s %s %s "
			    "(its pods' labels are unknown: no TrafficProfile "
			    "of it was read)", dir_to(direction), wl_desc(peer,
			    d, sizeof(d)), pd);
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
			    "unknown peer %s", dir_to(direction), pd);
			continue;
		} else if (node && !o->include_nodes) {
			rc = policygen_list_add(&r->excluded,
			    "%s node %s %s", dir_to(direction), a, pd);
			continue;
		} else if (node && caps->node_peer) {
			t.pk = POLICYGEN_TUP_NODES;
		} else {
			/* Node addresses are never widened: a KnownServer
			 * names servers outside the cluster. */
			policygen_tup_addr(&t, &f->key.peer, o->ks, !node);
			if (caps->names && !node && direction == FLOW_EGRESS) {
				rc = collect_names(idx, wl, f, o, &t, tv, r);
				continue;
			}
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
	int c = 0;

	if (x->pk != y->pk)
		return x->pk < y->pk ? -1 : 1;
	switch (x->pk) {
	case POLICYGEN_TUP_WORKLOAD:
		if (x->wl->index != y->wl->index)
			c = x->wl->index < y->wl->index ? -1 : 1;
		break;
	case POLICYGEN_TUP_NAMESPACE:
		c = strcmp(x->wl->namespace_, y->wl->namespace_);
		break;
	case POLICYGEN_TUP_NODES:
		break;
	case POLICYGEN_TUP_NAME:
		c = policygen_name_cmp(x->dns, y->dns);
		break;
	default:
		if ((c = addr_cmp(&x->cidr.addr, &y->cidr.addr)) == 0 &&
		    x->cidr.prefix != y->cidr.prefix)
			c = x->cidr.prefix < y->cidr.prefix ? -1 : 1;
		break;
	}
	if (c != 0)
		return c;
	return x->cls < y->cls ? -1 : x->cls > y->cls;
}

bool
policygen_tup_same_port(const struct policygen_tup *x,
    const struct policygen_tup *y)
{
	return x->proto == y->proto && x->port == y->port &&
	    x->has_port == y->has_port;
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

/* ---- DNS names ----------------------------------------------------------- */

/* A label: letters, digits, '-' and '_', neither of those first or last. */
static bool
label_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 63 || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[n - 1]))
		return false;
	for (i = 1; i + 1 < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_')
			return false;
	return true;
}

bool
policygen_name_ok(const char *name)
{
	size_t len = strlen(name), nlabels = 0;
	const char *p = name, *dot;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return false;
	while (p < name + len) {
		dot = memchr(p, '.', (size_t)(name + len - p));
		if (dot == NULL)
			dot = name + len;
		if (!label_ok(p, (size_t)(dot - p)))
			return false;
		nlabels++;
		p = dot + 1;
	}
	/* "a." ends at the dot: no empty last label was checked. */
	return nlabels >= 2 && name[len - 1] != '.';
}

int
policygen_name_cmp(const char *a, const char *b)
{
	int ca, cb;

	for (;; a++, b++) {
		ca = tolower((unsigned char)*a);
		cb = tolower((unsigned char)*b);
		if (ca == '.' && a[1] == '\0')
			ca = '\0';
		if (cb == '.' && b[1] == '\0')
			cb = '\0';
		if (ca != cb || ca == '\0')
			return ca - cb;
	}
}

/* A name resolved to an address, while listing them. */
struct name_addr {
	const char *name;
	struct addr addr;
};

static int
name_addr_cmp(const void *a, const void *b)
{
	const struct name_addr *x = a, *y = b;
	int c = policygen_name_cmp(x->name, y->name);

	return c != 0 ? c : addr_cmp(&x->addr, &y->addr);
}

json_object *
policygen_egress_names(const struct index *idx,
    const struct index_workload *wl)
{
	const struct flow *f;
	struct name_addr *v = NULL, *nv;
	json_object *out = json_object_new_array(), *e = NULL, *addrs = NULL;
	char a[ADDR_STRLEN];
	size_t first, n, i, j, k, nfirst, nn, cap = 0, nv_n = 0;

	n = index_flows_of(idx, wl, &first);
	for (i = first; out != NULL && i < first + n; i++) {
		f = index_flow(idx, i);
		if (f->key.direction != FLOW_EGRESS ||
		    f->key.peer_kind == FLOW_PEER_WORKLOAD ||
		    f->key.peer.family == 0 || f->key.peer_kind ==
		    FLOW_PEER_NODE || index_is_node_addr(idx, &f->key.peer))
			continue;
		nn = index_dns_names(idx, wl, &f->key.peer, &nfirst);
		for (j = nfirst; j < nfirst + nn; j++) {
			if (!policygen_name_ok(index_dns_name(idx, j)))
				continue;
			if (nv_n == cap) {
				cap = cap ? cap * 2 : 16;
				if ((nv = realloc(v, cap * sizeof(*v))) ==
				    NULL) {
					json_object_put(out);
					out = NULL;
					break;
				}
				v = nv;
			}
			v[nv_n].name = index_dns_name(idx, j);
			v[nv_n++].addr = f->key.peer;
		}
	}
	if (out != NULL)
		sort_n(v, nv_n, sizeof(*v), name_addr_cmp);
	/* One entry per name, each address once (a flow per port). */
	for (k = 0; out != NULL && k < nv_n; k++) {
		if (k == 0 || policygen_name_cmp(v[k].name, v[k - 1].name)) {
			e = json_object_new_object();
			policygen_obj_add(e, "name",
			    policygen_name_json(v[k].name));
			addrs = json_object_new_array();
			policygen_obj_add(e, "addresses", addrs);
			json_object_array_add(out, e);
		} else if (addr_equal(&v[k].addr, &v[k - 1].addr)) {
			continue;
		}
		json_object_array_add(addrs, json_object_new_string(
		    addr_format(&v[k].addr, a, sizeof(a))));
	}
	free(v);
	return out;
}

json_object *
policygen_name_json(const char *name)
{
	char buf[FLOW_NAME_LEN];
	size_t n;

	policygen_lower_copy(buf, sizeof(buf), name);
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '.')
		buf[n - 1] = '\0';
	return json_object_new_string(buf);
}

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

static struct policygen_portcache *
policygen_portcache_new(void)
{
	return calloc(1, sizeof(struct policygen_portcache));
}

static void
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

/* ---- grouping: tuples -> peers with their port sets -> rules ------------- */

/* A peer while grouping: a run of tuples and its port set as text. */
struct gpeer {
	size_t first, n;	/* tuple range */
	char *sig;		/* class and port set, as text */
	size_t order;
};

/* Group sorted tuples into peers with their port-set signatures. */
static int
make_peers(const struct policygen_tupv *tv, struct gpeer **out,
    size_t *nout)
{
	struct gpeer *p = NULL;
	size_t i, j, k, np = 0, len;
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
		if ((sig = malloc((j - i + 1) * sizeof(item) + 1)) == NULL)
			goto nomem;
		len = (size_t)snprintf(sig, sizeof(item), "%u|", tv->v[i].cls);
		for (k = i; k < j; k++) {
			if (k > i && policygen_tup_same_port(&tv->v[k],
			    &tv->v[k - 1]))
				continue;
			len += (size_t)snprintf(sig + len, sizeof(item),
			    "%u/%u%s,", tv->v[k].proto, tv->v[k].port,
			    tv->v[k].has_port ? "" : "-");
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
	const struct gpeer *x = a, *y = b;
	int c = strcmp(x->sig, y->sig);

	if (c != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Rules by the order of their first peer (its position among peers). */
static int
rule_cmp(const void *a, const void *b)
{
	const struct policygen_rule *x = a, *y = b;

	/* first is the tuple index of the first peer: the same order. */
	return x->first < y->first ? -1 : x->first > y->first;
}

int
policygen_rules_group(const struct policygen_tupv *tv,
    struct policygen_rules *out)
{
	struct gpeer *peers = NULL;
	size_t np = 0, i, j, k, nr = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = make_peers(tv, &peers, &np)) < 0 || np == 0)
		goto out;
	sort_n(peers, np, sizeof(*peers), peer_sig_cmp);
	out->v = calloc(np, sizeof(*out->v));
	out->peerv_ = calloc(np, sizeof(*out->peerv_));
	if (out->v == NULL || out->peerv_ == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	/* Peers with one signature are one rule, listed in their order. */
	for (i = 0; i < np; i = j) {
		for (j = i + 1; j < np && strcmp(peers[i].sig,
		    peers[j].sig) == 0; j++)
			;
		for (k = i; k < j; k++)
			out->peerv_[k] = peers[k].first;
		out->v[nr].peers = &out->peerv_[i];
		out->v[nr].npeers = j - i;
		out->v[nr].first = peers[i].first;
		out->v[nr++].n = peers[i].n;
	}
	out->n = nr;
	sort_n(out->v, nr, sizeof(*out->v), rule_cmp);
out:
	for (i = 0; i < np; i++)
		free(peers[i].sig);
	free(peers);
	if (rc < 0)
		policygen_rules_free(out);
	return rc;
}

void
policygen_rules_free(struct policygen_rules *rs)
{
	if (rs == NULL)
		return;
	free(rs->v);
	free(rs->peerv_);
	memset(rs, 0, sizeof(*rs));
}

/* The rules array of one direction; NULL when there is no traffic. */
static json_object *
rules_json(const struct index_workload *wl, int direction,
    const struct policygen_tupv *tv, const struct policygen_rules *rs,
    struct policygen_portcache *pc)
{
	json_object *rules, *rule, *plist, *ports, *pj;
	const struct policygen_rule *ru;
	const struct policygen_tup *tp;
	size_t i, k, t, nwl;

	if (rs->n == 0)
		return NULL;
	rules = json_object_new_array();
	for (i = 0; i < rs->n; i++) {
		ru = &rs->v[i];
		rule = json_object_new_object();
		plist = json_object_new_array();
		nwl = 0;
		for (k = 0; k < ru->npeers; k++) {
			tp = &tv->v[ru->peers[k]];
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
		for (t = ru->first; t < ru->first + ru->n; t++) {
			tp = &tv->v[t];
			if (t > ru->first && policygen_tup_same_port(tp,
			    &tv->v[t - 1]))
				continue;
			json_object_array_add(ports, port_cached(pc, tp));
		}
		policygen_obj_add(rule, "ports", ports);
		json_object_array_add(rules, rule);
	}
	return rules;
}

static int
policygen_rules_build(const struct index_workload *wl, int direction,
    const struct policygen_tupv *tv, struct policygen_portcache *pc,
    json_object **out)
{
	struct policygen_rules rs;
	int rc;

	*out = NULL;
	if ((rc = policygen_rules_group(tv, &rs)) < 0)
		return rc;
	*out = rules_json(wl, direction, tv, &rs, pc);
	if (rs.n > 0 && *out == NULL)
		rc = -ENOMEM;
	policygen_rules_free(&rs);
	return rc;
}

/* ---- the policy --------------------------------------------------------- */

#define ANN "netpol-record/"

char *
policygen_name(const struct index_workload *wl, char *buf, size_t len)
{
	size_t i;

	snprintf(buf, len, "%s-%s", wl->kind, wl->name);
	for (i = 0; buf[i] != '\0'; i++)
		buf[i] = (char)tolower((unsigned char)buf[i]);
	return buf;
}

/* Sort tuples so refs come out by (cidr, seen address). */
static int
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

int
policygen_known_servers(struct policygen_tupv *tv, bool want_refs,
    struct policygen_result *r)
{
	const struct policygen_tup *t, *best;
	char c[ADDR_CIDR_STRLEN], a[ADDR_STRLEN];
	json_object *ref;
	size_t i, j;
	int rc = 0;

	sort_n(tv->v, tv->n, sizeof(*tv->v), policygen_tup_ref_cmp);
	for (i = 0; i < tv->n; i = j) {
		t = &tv->v[i];
		best = t;
		for (j = i + 1; j < tv->n &&
		    policygen_tup_peer_cmp(t, &tv->v[j]) == 0 &&
		    addr_equal(&t->seen, &tv->v[j].seen); j++)
			if (*tv->v[j].dns != '\0' && (*best->dns == '\0' ||
			    tv->v[j].last_seen >= best->last_seen))
				best = &tv->v[j];
		if (t->pk != POLICYGEN_TUP_CIDR && t->pk != POLICYGEN_TUP_NAME)
			continue;
		if (t->ks == NULL && !(want_refs &&
		    t->pk == POLICYGEN_TUP_CIDR))
			continue;
		addr_cidr_format(&t->cidr, c, sizeof(c));
		if (want_refs && t->pk == POLICYGEN_TUP_CIDR) {
			if ((ref = json_object_new_object()) == NULL)
				return -ENOMEM;
			policygen_add_str(ref, "ipBlock", c);
			policygen_add_str(ref, "originalIP",
			    addr_format(&t->seen, a, sizeof(a)));
			policygen_add_str(ref, "dns", best->dns);
			policygen_add_str(ref, "server",
			    t->ks ? t->ks->server : "");
			policygen_add_str(ref, "name",
			    t->ks ? t->ks->name : "");
			json_object_array_add(r->refs, ref);
		}
		if (t->ks != NULL && (rc = policygen_list_add(&r->known,
		    "%s: name %s, server %s, KnownServer %s", c,
		    *t->ks->name ? t->ks->name : "-",
		    *t->ks->server ? t->ks->server : "-", t->ks->source)) < 0)
			break;
	}
	return rc;
}

/*
 * The rules of one direction into spec; its address tuples are appended
 * to all for the policyRefs.
 */
static int
direction_rules(const struct index *idx, const struct index_workload *wl,
    int direction, const struct policygen_opts *o, json_object *spec,
    struct policygen_tupv *all, struct policygen_portcache *pc,
    struct policygen_result *r)
{
	static const struct policygen_caps np_caps = { 0 };
	struct policygen_tupv tv = { 0 };
	json_object *rules;
	size_t i;
	int rc;

	if ((rc = policygen_collect(idx, wl, direction, o, &np_caps, &tv,
	    r)) < 0)
		goto out;
	sort_n(tv.v, tv.n, sizeof(*tv.v), policygen_tup_cmp);
	if ((rc = policygen_rules_build(wl, direction, &tv, pc, &rules)) < 0)
		goto out;
	if (rules != NULL)
		policygen_obj_add(spec, direction == FLOW_EGRESS ?
		    "egress" : "ingress", rules);
	for (i = 0; i < tv.n && rc == 0; i++)
		if (tv.v[i].pk == POLICYGEN_TUP_CIDR)
			rc = policygen_tupv_add(all, &tv.v[i]);
out:
	free(tv.v);
	return rc;
}

int
policygen_warnings(const struct index *idx, const struct index_workload *wl,
    const struct policygen_opts *o, struct policygen_result *r)
{
	char t[32], d1[32], d2[32];
	int64_t observed = wl->observed_to - wl->observed_from;
	size_t i;
	int rc = 0;

	if (wl->observed_from == 0 || wl->observed_to == 0)
		rc = policygen_list_add(&r->warnings, "the observation window "
		    "is unknown: the store holds no timestamps");
	else if (o->min_observation > 0 && observed < o->min_observation)
		rc = policygen_list_add(&r->warnings, "observed for %s only, "
		    "less than the minimum of %s: traffic that happens less "
		    "often is missing", timefmt_format_duration(observed, d1,
		    sizeof(d1)), timefmt_format_duration(o->min_observation,
		    d2, sizeof(d2)));
	if (rc == 0 && wl->predates_recording)
		rc = policygen_list_add(&r->warnings, "its pods were already "
		    "running when recording started (%s): their earliest "
		    "connections may be missing", timefmt_format_time(
		    index_recording_started(idx), t, sizeof(t)));
	if (rc == 0 && r->nflows == 0)
		rc = policygen_list_add(&r->warnings, "no traffic was recorded "
		    "for it: the policy denies every exported direction");
	if (rc == 0 && policygen_selector_empty(wl->selector))
		rc = policygen_list_add(&r->warnings, "its selector is empty: "
		    "the policy selects every pod of namespace %s",
		    wl->namespace_);
	/* What the sources know is missing: a node that lost events or
	 * stopped publishing, entries left out. */
	for (i = 0; rc == 0 && i < index_nnotes(idx); i++)
		if (index_note_applies(index_note(idx, i), wl))
			rc = policygen_list_add(&r->warnings, "%s",
			    index_note(idx, i)->text);
	return rc;
}

json_object *
policygen_annotations(const struct index *idx,
    const struct index_workload *wl, const struct policygen_result *r)
{
	json_object *ann = json_object_new_object(), *v;
	char name[2 * STORE_NAME_LEN], t[32];

	policygen_add_str(ann, "generated-by", "netpol-record");
	if (wl != NULL) {
		snprintf(name, sizeof(name), "%s/%s", wl->kind, wl->name);
		policygen_add_str(ann, ANN "workload", name);
	}
	policygen_add_str(ann, ANN "since", index_since(idx) ?
	    timefmt_format_time(index_since(idx), t, sizeof(t)) : "unknown");
	policygen_add_str(ann, ANN "until", index_until(idx) ?
	    timefmt_format_time(index_until(idx), t, sizeof(t)) : "unknown");
	if (wl != NULL)
		policygen_add_str(ann, ANN "observed", timefmt_format_duration(
		    wl->observed_to - wl->observed_from, t, sizeof(t)));
	if ((v = policygen_list_json(&r->warnings)) != NULL)
		policygen_obj_add(ann, ANN "warnings", v);
	if ((v = policygen_list_json(&r->known)) != NULL)
		policygen_obj_add(ann, ANN "known-servers", v);
	if ((v = policygen_list_json(&r->excluded)) != NULL)
		policygen_obj_add(ann, ANN "excluded", v);
	if ((v = policygen_list_json(&r->inexpressible)) != NULL)
		policygen_obj_add(ann, ANN "not-expressible", v);
	return ann;
}

json_object *
policygen_metadata(const struct index *idx, const struct index_workload *wl,
    const struct policygen_result *r)
{
	json_object *meta = json_object_new_object(),
	    *labels = json_object_new_object();
	char name[2 * STORE_NAME_LEN], kind[STORE_KIND_LEN];

	policygen_add_str(meta, "name", policygen_name(wl, name, sizeof(name)));
	policygen_add_str(meta, "namespace", wl->namespace_);
	policygen_add_str(labels, "app.kubernetes.io/managed-by",
	    "netpol-record");
	policygen_lower_copy(kind, sizeof(kind), wl->kind);
	policygen_add_str(labels, ANN "workload-kind", kind);
	if (strlen(wl->name) <= 63)	/* a label value's limit */
		policygen_add_str(labels, ANN "workload-name", wl->name);
	policygen_obj_add(meta, "labels", labels);
	policygen_obj_add(meta, "annotations", policygen_annotations(idx, wl,
	    r));
	return meta;
}

int
policygen_build(const struct index *idx, const struct index_workload *wl,
    const struct policygen_opts *o, struct policygen_result *r)
{
	json_object *pol = NULL, *spec, *types;
	struct policygen_tupv addrs = { 0 };
	struct policygen_portcache *pc;
	int rc;

	memset(r, 0, sizeof(*r));
	if ((pc = policygen_portcache_new()) == NULL)
		return -ENOMEM;
	if ((r->refs = json_object_new_array()) == NULL ||
	    (spec = json_object_new_object()) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	policygen_obj_add(spec, "podSelector",
	    json_object_get(wl->selector));
	types = json_object_new_array();
	if (o->ingress)
		json_object_array_add(types, json_object_new_string("Ingress"));
	if (o->egress)
		json_object_array_add(types, json_object_new_string("Egress"));
	policygen_obj_add(spec, "policyTypes", types);
	rc = 0;
	if (o->ingress)
		rc = direction_rules(idx, wl, FLOW_INGRESS, o, spec, &addrs,
		    pc, r);
	if (rc == 0 && o->egress)
		rc = direction_rules(idx, wl, FLOW_EGRESS, o, spec, &addrs,
		    pc, r);
	if (rc == 0 && (rc = policygen_known_servers(&addrs, o->refs,
	    r)) == 0)
		rc = policygen_warnings(idx, wl, o, r);
	if (rc < 0) {
		json_object_put(spec);
		goto out;
	}
	policygen_result_finish(r);
	pol = json_object_new_object();
	policygen_add_str(pol, "apiVersion", "networking.k8s.io/v1");
	policygen_add_str(pol, "kind", "NetworkPolicy");
	policygen_obj_add(pol, "metadata", policygen_metadata(idx, wl, r));
	policygen_obj_add(pol, "spec", spec);
	r->policy = pol;
out:
	free(addrs.v);
	policygen_portcache_free(pc);
	if (rc < 0)
		policygen_result_clear(r);
	return rc;
}

void
policygen_result_clear(struct policygen_result *r)
{
	if (r == NULL)
		return;
	json_object_put(r->policy);
	json_object_put(r->refs);
	policygen_list_clear(&r->warnings);
	policygen_list_clear(&r->excluded);
	policygen_list_clear(&r->inexpressible);
	policygen_list_clear(&r->known);
	memset(r, 0, sizeof(*r));
}
