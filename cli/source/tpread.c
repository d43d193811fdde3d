/*
 * tpread: TrafficProfile objects into the index (see tpread.h).
 *
 * An item is read in two steps: parse, which checks everything and
 * gathers the item's workloads and flows in scratch arrays (pointing
 * into the JSON; only a peer's reference is copied, split into its
 * names), then feed, which hands them to the builder. A malformed item
 * fails in the first step, so nothing of it reaches the index.
 */
#include "cli/source/tpread.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/source/index.h"
#include "cli/source/jsplit.h"
#include "cli/source/kobj.h"
#include "cli/source/source.h"
#include "lib/flow.h"
#include "lib/tpname.h"

/* What the API calls the kinds the store records (the CRD's enum). */
static const char *const kinds[] = {
	"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob",
	"ReplicaSet", "ReplicationController", "Pod",
};

static const struct {
	const char *name;
	uint8_t proto;
} protos[] = {
	{ "TCP", IPPROTO_TCP }, { "UDP", IPPROTO_UDP },
	{ "SCTP", IPPROTO_SCTP }, { "ICMP", IPPROTO_ICMP },
	{ "ICMPv6", IPPROTO_ICMPV6 },
};

/* A workload the item names: its subject (first) or a peer. */
struct pwl {
	const char *ns, *kind, *name;
	json_object *selector, *labels, *ports;	/* borrowed; NULL unknown */
	bool host_network;
	bool described;		/* false: a reference only */
	int64_t started_at;
	int64_t handle;
	char *own;		/* a reference's names (ns, kind, name point
				 * into it), or NULL */
};

/* A flow of the item; peer is its workload's position in pw. */
struct tflow {
	struct flow f;
	size_t peer;
};

/* A name the workload's pods were answered with for an address
 * (spec.dnsNames), with the first and last answer. */
struct tdns {
	struct addr a;
	const char *name;
	int64_t first, last;
};

/* The item being read. */
struct item {
	const char *ns, *name, *node;
	int64_t recording_started, published_at, events_lost, truncated;
	int64_t omitted;
	int64_t npeers;		/* peer items over spec.egress and ingress */
};

/* A (protocol, port) group of one direction's list, to find repeats. */
struct tgroup {
	uint8_t proto;
	uint16_t port;
};

struct tp_reader {
	struct index_builder *b;
	const struct source_query *q;
	struct tp_node *nodes;
	size_t nnodes, capnodes;
	size_t read, skipped;
	char first_skipped[512];
	/* Node addresses already fed (open addressing, family 0 empty). */
	struct addr *naddr;
	size_t nnaddr, capnaddr;
	/* Scratch of one item. */
	struct pwl *pw;
	size_t npw, cappw;
	struct tflow *tf;
	size_t ntf, captf;
	struct tdns *dn;
	size_t ndn, capdn;
	struct tgroup *gr;
	size_t ngr, capgr;
	/* tp_reader_peers. */
	size_t peers_described, peers_missing;
};

static int
grow(void **v, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	if ((nv = realloc(*v, ncap * size)) == NULL)
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

int
tp_reader_new(struct index_builder *b, const struct source_query *q,
    struct tp_reader **out)
{
	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return -ENOMEM;
	(*out)->b = b;
	(*out)->q = q;
	return 0;
}

void
tp_reader_free(struct tp_reader *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nnodes; i++)
		compl_node_clear(&r->nodes[i].c);
	free(r->nodes);
	free(r->naddr);
	for (i = 0; i < r->npw; i++)
		free(r->pw[i].own);
	free(r->pw);
	free(r->gr);
	free(r->tf);
	free(r->dn);
	free(r);
}

size_t
tp_reader_read(const struct tp_reader *r)
{
	return r->read;
}

size_t
tp_reader_skipped(const struct tp_reader *r)
{
	return r->skipped;
}

const char *
tp_reader_first_skipped(const struct tp_reader *r)
{
	return r->first_skipped;
}

size_t
tp_reader_peers_described(const struct tp_reader *r)
{
	return r->peers_described;
}

size_t
tp_reader_peers_missing(const struct tp_reader *r)
{
	return r->peers_missing;
}

size_t
tp_reader_nnodes(const struct tp_reader *r)
{
	return r->nnodes;
}

struct tp_node *
tp_reader_node(struct tp_reader *r, size_t i)
{
	return i < r->nnodes ? &r->nodes[i] : NULL;
}

struct tp_node *
tp_reader_node_named(struct tp_reader *r, const char *name)
{
	struct tp_node *n;
	size_t i;

	for (i = 0; i < r->nnodes; i++)
		if (strcmp(r->nodes[i].c.name, name) == 0)
			return &r->nodes[i];
	if (grow((void **)&r->nodes, &r->capnodes, r->nnodes,
	    sizeof(*r->nodes)) < 0)
		return NULL;
	n = &r->nodes[r->nnodes];
	memset(n, 0, sizeof(*n));
	if ((n->c.name = strdup(name)) == NULL)
		return NULL;
	r->nnodes++;
	return n;
}

/* ---- parsing one item -------------------------------------------------------- */

static int
one_of(const char *s, const char *const *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(s, v[i]) == 0)
			return (int)i;
	return -1;
}

/* "PATH: not an object" for a path given with its trailing dot. */
static int
not_object(const char *path, char *err, size_t errlen)
{
	size_t n = strlen(path);

	snprintf(err, errlen, "%.*s: not an object", (int)(n > 0 ? n - 1 : 0),
	    path);
	return -EINVAL;
}

/* A WorkloadInfo / PeerWorkload (namespace from ns, or its own field). */
static int
parse_workload(json_object *o, const char *ns, const char *path,
    struct pwl *w, char *err, size_t errlen)
{
	json_object *ml;
	int rc;

	memset(w, 0, sizeof(*w));
	w->ns = ns;
	w->described = true;
	if ((ns == NULL && (rc = kobj_str(o, "namespace", true, &w->ns, path,
	    err, errlen)) < 0) ||
	    (rc = kobj_str(o, "kind", true, &w->kind, path, err,
	    errlen)) < 0 ||
	    (rc = kobj_str(o, "name", true, &w->name, path, err,
	    errlen)) < 0 ||
	    (rc = kobj_obj(o, "selector", true, &w->selector, path, err,
	    errlen)) < 0 ||
	    (rc = kobj_obj(o, "labels", false, &w->labels, path, err,
	    errlen)) < 0 ||
	    (rc = kobj_arr(o, "ports", false, &w->ports, path, err,
	    errlen)) < 0 ||
	    (rc = kobj_bool(o, "hostNetwork", true, &w->host_network, path,
	    err, errlen)) < 0 ||
	    (rc = kobj_int(o, "startedAt", true, 0, INT64_MAX, &w->started_at,
	    path, err, errlen)) < 0)
		return rc;
	if (one_of(w->kind, kinds, sizeof(kinds) / sizeof(kinds[0])) < 0) {
		snprintf(err, errlen, "%skind: '%s' is not a workload kind",
		    path, w->kind);
		return -EINVAL;
	}
	/* {} is the store's NULL: unknown, not "every pod". */
	if (json_object_object_length(w->selector) == 0 ||
	    (json_object_object_get_ex(w->selector, "matchLabels", &ml) &&
	    !json_object_is_type(ml, json_type_object)))
		w->selector = NULL;
	return 0;
}

/* A piece of a reference: its start and length. */
struct piece {
	const char *s;
	size_t n;
};

static bool
piece_is(const struct piece *p, const char *s)
{
	return strlen(s) == p->n && memcmp(s, p->s, p->n) == 0;
}

/* A namespace (dots false) or a name, as the CRD's pattern has them. */
static bool
piece_valid(const struct piece *p, bool dots)
{
	return tpname_ref_part_ok(p->s, p->n, dots);
}

/*
 * A peer item's workload: "KIND/NAME" in the object's namespace, or
 * "NAMESPACE/KIND/NAME". *pos gets its position in pw: the subject, a
 * peer of spec.peerWorkloads (its details), one referred to before, or a
 * new one without details (its names copied).
 */
static int
parse_ref(struct tp_reader *r, const struct item *it, const char *ref,
    size_t *pos, const char *path, char *err, size_t errlen)
{
	struct piece pc[4], ns, kind, name;
	const char *p = ref, *sl;
	struct pwl *w;
	size_t n = 0, i;
	char *own;

	for (;;) {
		sl = strchr(p, '/');
		pc[n].s = p;
		pc[n].n = sl != NULL ? (size_t)(sl - p) : strlen(p);
		n++;
		if (sl == NULL || n == 4)
			break;
		p = sl + 1;
	}
	ns.s = it->ns;
	ns.n = strlen(it->ns);
	if (n == 3)
		ns = pc[0];
	if ((n != 2 && n != 3) || (n == 3 && !piece_valid(&ns, false)) ||
	    !piece_valid(&pc[n - 1], true)) {
		snprintf(err, errlen, "%sworkload: '%s' is not KIND/NAME or "
		    "NAMESPACE/KIND/NAME", path, ref);
		return -EINVAL;
	}
	kind = pc[n - 2];
	name = pc[n - 1];
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (piece_is(&kind, kinds[i]))
			break;
	if (i == sizeof(kinds) / sizeof(kinds[0])) {
		snprintf(err, errlen, "%sworkload: '%s': '%.*s' is not a "
		    "workload kind", path, ref, (int)kind.n, kind.s);
		return -EINVAL;
	}
	for (i = 0; i < r->npw; i++) {
		w = &r->pw[i];
		if (piece_is(&name, w->name) && piece_is(&ns, w->ns) &&
		    piece_is(&kind, w->kind)) {
			*pos = i;
			return 0;
		}
	}
	if (grow((void **)&r->pw, &r->cappw, r->npw, sizeof(*r->pw)) < 0 ||
	    (own = malloc(ns.n + kind.n + name.n + 3)) == NULL)
		return -ENOMEM;
	w = &r->pw[r->npw];
	memset(w, 0, sizeof(*w));
	w->own = own;
	memcpy(own, ns.s, ns.n);
	own[ns.n] = '\0';
	w->ns = own;
	own += ns.n + 1;
	memcpy(own, kind.s, kind.n);
	own[kind.n] = '\0';
	w->kind = own;
	own += kind.n + 1;
	memcpy(own, name.s, name.n);
	own[name.n] = '\0';
	w->name = own;
	*pos = r->npw++;
	return 0;
}

static struct tflow *
tf_push(struct tp_reader *r)
{
	struct tflow *t;

	if (grow((void **)&r->tf, &r->captf, r->ntf, sizeof(*r->tf)) < 0)
		return NULL;
	t = &r->tf[r->ntf++];
	memset(t, 0, sizeof(*t));
	flow_key_init(&t->f.key);
	t->f.dns_name = "";
	return t;
}

/* The counters of a peer item or of one of a DNS peer's addresses. */
static int
parse_counts(json_object *o, struct flow *f, const char *path, char *err,
    size_t errlen)
{
	int64_t c = 0, by = 0, pk = 0;
	int rc;

	if ((rc = kobj_int(o, "firstSeen", true, 0, INT64_MAX, &f->first_seen,
	    path, err, errlen)) < 0 ||
	    (rc = kobj_int(o, "lastSeen", true, 0, INT64_MAX, &f->last_seen,
	    path, err, errlen)) < 0 ||
	    (rc = kobj_int(o, "count", true, 0, INT64_MAX, &c, path, err,
	    errlen)) < 0 ||
	    (rc = kobj_int(o, "bytes", false, 0, INT64_MAX, &by, path, err,
	    errlen)) < 0 ||
	    (rc = kobj_int(o, "packets", false, 0, INT64_MAX, &pk, path, err,
	    errlen)) < 0)
		return rc;
	if (f->first_seen > f->last_seen) {
		snprintf(err, errlen, "%sfirstSeen: after lastSeen", path);
		return -EINVAL;
	}
	f->count = (uint64_t)c;
	f->bytes = (uint64_t)by;
	f->packets = (uint64_t)pk;
	return 0;
}

/* A DNS peer: one flow per address, like key (port, service...). */
static int
parse_dns(struct tp_reader *r, struct item *it, json_object *dns,
    const struct flow_key *key, const char *path, char *err, size_t errlen)
{
	json_object *addrs, *a;
	const char *name;
	char p[160];
	struct tflow *t;
	int64_t omitted = 0;
	size_t i, n;
	int rc;

	if ((rc = kobj_str(dns, "name", true, &name, path, err, errlen)) < 0 ||
	    (rc = kobj_arr(dns, "addresses", true, &addrs, path, err,
	    errlen)) < 0 ||
	    (rc = kobj_int(dns, "omittedAddresses", false, 0, INT64_MAX,
	    &omitted, path, err, errlen)) < 0)
		return rc;
	if ((n = json_object_array_length(addrs)) == 0) {
		snprintf(err, errlen, "%saddresses: empty", path);
		return -EINVAL;
	}
	it->omitted += omitted;
	for (i = 0; i < n; i++) {
		a = json_object_array_get_idx(addrs, i);
		snprintf(p, sizeof(p), "%saddresses[%zu].", path, i);
		if (!json_object_is_type(a, json_type_object))
			return not_object(p, err, errlen);
		if ((t = tf_push(r)) == NULL)
			return -ENOMEM;
		t->f.key = *key;
		t->f.key.peer_kind = FLOW_PEER_ADDRESS;
		t->f.dns_name = name;
		if ((rc = kobj_addr(a, "address", true, &t->f.key.peer, p, err,
		    errlen)) < 0 ||
		    (rc = parse_counts(a, &t->f, p, err, errlen)) < 0)
			return rc;
	}
	return 0;
}

/* What a peer item is: exactly one of these members. */
enum { P_WORKLOAD, P_NODE, P_ADDRESS, P_DNS, P_UNKNOWN, P_N };
static const char *const members[P_N] = { "workload", "node", "address",
	"dns", "unknown" };

/* Which member peer item e has (dns only in egress). */
static int
peer_member(json_object *e, int dir, json_object **which, const char *path,
    char *err, size_t errlen)
{
	json_object *v;
	int i, m = -1, n = 0;

	for (i = 0; i < P_N; i++)
		if (json_object_object_get_ex(e, members[i], &v) && v != NULL) {
			n++;
			m = i;
			*which = v;
		}
	if (m == P_DNS && dir != FLOW_EGRESS) {
		snprintf(err, errlen, "%sdns: a DNS peer in spec.ingress (DNS "
		    "names are of egress only)", path);
		return -EINVAL;
	}
	if (n != 1) {
		snprintf(err, errlen, "%.*s: %s of workload, node, address, "
		    "%sunknown", (int)strlen(path) - 1, path, n ? "more than "
		    "one" : "none", dir == FLOW_EGRESS ? "dns, " : "");
		return -EINVAL;
	}
	return m;
}

/* One peer item of a (protocol, port) group whose key is gkey. */
static int
parse_peer_item(struct tp_reader *r, struct item *it, json_object *e,
    const struct flow_key *gkey, const char *path, char *err,
    size_t errlen)
{
	json_object *svc, *which = NULL;
	struct flow_key key = *gkey;
	struct flow dns_counts;
	struct tflow *t;
	const char *ref;
	char p[128];
	size_t peer = 0;
	int64_t sport;
	bool unknown = false;
	int m, rc;

	if (!json_object_is_type(e, json_type_object))
		return not_object(path, err, errlen);
	if ((m = peer_member(e, key.direction, &which, path, err, errlen)) < 0)
		return m;
	if ((rc = kobj_obj(e, "service", false, &svc, path, err, errlen)) < 0)
		return rc;
	if (svc != NULL) {
		snprintf(p, sizeof(p), "%sservice.", path);
		if ((rc = kobj_addr(svc, "address", true, &key.orig, p, err,
		    errlen)) < 0 ||
		    (rc = kobj_int(svc, "port", true, 0, 65535, &sport, p, err,
		    errlen)) < 0)
			return rc;
		key.orig_port = (uint16_t)sport;
	}
	snprintf(p, sizeof(p), "%s%s.", path, members[m]);
	it->npeers++;
	switch (m) {
	case P_WORKLOAD:
		key.peer_kind = FLOW_PEER_WORKLOAD;
		if ((rc = kobj_str(e, "workload", true, &ref, path, err,
		    errlen)) < 0 ||
		    (rc = parse_ref(r, it, ref, &peer, path, err, errlen)) < 0)
			return rc;
		break;
	case P_NODE:
		if (!json_object_is_type(which, json_type_object))
			return not_object(p, err, errlen);
		key.peer_kind = FLOW_PEER_NODE;
		if ((rc = kobj_addr(which, "address", true, &key.peer, p, err,
		    errlen)) < 0)
			return rc;
		break;
	case P_ADDRESS:
		key.peer_kind = FLOW_PEER_ADDRESS;
		if ((rc = kobj_addr(e, "address", true, &key.peer, path, err,
		    errlen)) < 0)
			return rc;
		break;
	case P_DNS:
		if (!json_object_is_type(which, json_type_object))
			return not_object(p, err, errlen);
		/* The item's own counters sum its addresses': checked, not
		 * fed (each address is a flow of its own). */
		if ((rc = parse_dns(r, it, which, &key, p, err, errlen)) < 0)
			return rc;
		return parse_counts(e, &dns_counts, path, err, errlen);
	default:
		if ((rc = kobj_bool(e, "unknown", true, &unknown, path, err,
		    errlen)) < 0)
			return rc;
		if (!unknown) {
			snprintf(err, errlen, "%sunknown: not true", path);
			return -EINVAL;
		}
		key.peer_kind = FLOW_PEER_UNKNOWN;
		break;
	}
	if ((t = tf_push(r)) == NULL)
		return -ENOMEM;
	t->f.key = key;
	t->peer = peer;
	if ((rc = kobj_str(e, "dnsName", false, &t->f.dns_name, path, err,
	    errlen)) < 0)
		return rc;
	return parse_counts(e, &t->f, path, err, errlen);
}

/* One (protocol, port) group of list (spec.egress or spec.ingress), the
 * i-th. */
static int
parse_group(struct tp_reader *r, struct item *it, json_object *g,
    const char *list, int dir, size_t i, char *err, size_t errlen)
{
	json_object *peers;
	struct flow_key key;
	const char *proto;
	char p[48], pp[96];
	int64_t port;
	size_t j, n, k;
	int rc;

	snprintf(p, sizeof(p), "spec.%s[%zu].", list, i);
	if (!json_object_is_type(g, json_type_object))
		return not_object(p, err, errlen);
	flow_key_init(&key);
	key.direction = (uint8_t)dir;
	if ((rc = kobj_str(g, "protocol", true, &proto, p, err, errlen)) < 0 ||
	    (rc = kobj_int(g, "port", true, 0, 65535, &port, p, err,
	    errlen)) < 0 ||
	    (rc = kobj_arr(g, "peers", true, &peers, p, err, errlen)) < 0)
		return rc;
	for (k = 0; k < sizeof(protos) / sizeof(protos[0]); k++)
		if (strcmp(proto, protos[k].name) == 0)
			break;
	if (k == sizeof(protos) / sizeof(protos[0])) {
		snprintf(err, errlen, "%sprotocol: '%s' is not TCP, UDP, SCTP, "
		    "ICMP or ICMPv6", p, proto);
		return -EINVAL;
	}
	key.protocol = protos[k].proto;
	key.port = (uint16_t)port;
	/* One group a (protocol, port): a second would be the same
	 * traffic told twice. */
	for (j = 0; j < r->ngr; j++)
		if (r->gr[j].proto == key.protocol && r->gr[j].port == key.port) {
			snprintf(err, errlen, "spec.%s[%zu]: %s %u again (as "
			    "spec.%s[%zu])", list, i, proto, key.port, list, j);
			return -EINVAL;
		}
	if (grow((void **)&r->gr, &r->capgr, r->ngr, sizeof(*r->gr)) < 0)
		return -ENOMEM;
	r->gr[r->ngr].proto = key.protocol;
	r->gr[r->ngr++].port = key.port;
	if ((n = json_object_array_length(peers)) == 0) {
		snprintf(err, errlen, "%speers: empty", p);
		return -EINVAL;
	}
	for (j = 0; j < n; j++) {
		snprintf(pp, sizeof(pp), "%speers[%zu].", p, j);
		if ((rc = parse_peer_item(r, it, json_object_array_get_idx(
		    peers, j), &key, pp, err, errlen)) < 0)
			return rc;
	}
	return 0;
}

/* spec.egress or spec.ingress (absent when empty). */
static int
parse_direction(struct tp_reader *r, struct item *it, json_object *spec,
    const char *list, int dir, char *err, size_t errlen)
{
	json_object *groups;
	size_t i;
	int rc;

	if ((rc = kobj_arr(spec, list, false, &groups, "spec.", err,
	    errlen)) < 0)
		return rc;
	r->ngr = 0;
	for (i = 0; groups != NULL && i < json_object_array_length(groups);
	    i++)
		if ((rc = parse_group(r, it, json_object_array_get_idx(groups,
		    i), list, dir, i, err, errlen)) < 0)
			return rc;
	return 0;
}

/* spec.entryCount counts the peer items. An object of the form before
 * spec.egress and spec.ingress (spec.entries) holds none: say so. */
static int
check_count(const struct item *it, json_object *spec, int64_t count,
    char *err, size_t errlen)
{
	if (count == it->npeers)
		return 0;
	if (it->npeers == 0 && json_object_object_get_ex(spec, "entries",
	    NULL))
		snprintf(err, errlen, "spec.entries: the form before "
		    "spec.egress and spec.ingress, which this netpol-record "
		    "does not read: upgrade netpol-recorderd on node %s",
		    it->node);
	else
		snprintf(err, errlen, "spec.entryCount: %lld, but spec.egress "
		    "and spec.ingress hold %lld peers", (long long)count,
		    (long long)it->npeers);
	return -EINVAL;
}

/* spec.dnsNames: [{address, names: [{name, firstSeen, lastSeen}]}]. */
static int
parse_dns_names(struct tp_reader *r, json_object *dns, char *err,
    size_t errlen)
{
	json_object *it, *names, *n;
	struct tdns *t;
	struct addr a;
	char p[96];
	size_t i, j;
	int rc;

	for (i = 0; dns != NULL && i < json_object_array_length(dns); i++) {
		it = json_object_array_get_idx(dns, i);
		snprintf(p, sizeof(p), "spec.dnsNames[%zu].", i);
		if (!json_object_is_type(it, json_type_object))
			return not_object(p, err, errlen);
		if ((rc = kobj_addr(it, "address", true, &a, p, err,
		    errlen)) < 0 ||
		    (rc = kobj_arr(it, "names", true, &names, p, err,
		    errlen)) < 0)
			return rc;
		for (j = 0; j < json_object_array_length(names); j++) {
			n = json_object_array_get_idx(names, j);
			snprintf(p, sizeof(p), "spec.dnsNames[%zu].names[%zu].",
			    i, j);
			if (grow((void **)&r->dn, &r->capdn, r->ndn,
			    sizeof(*r->dn)) < 0)
				return -ENOMEM;
			t = &r->dn[r->ndn];
			t->a = a;
			if (!json_object_is_type(n, json_type_object))
				return not_object(p, err, errlen);
			if ((rc = kobj_str(n, "name", true, &t->name, p, err,
			    errlen)) < 0 ||
			    (rc = kobj_int(n, "firstSeen", true, 0, INT64_MAX,
			    &t->first, p, err, errlen)) < 0 ||
			    (rc = kobj_int(n, "lastSeen", true, 0, INT64_MAX,
			    &t->last, p, err, errlen)) < 0)
				return rc;
			if (t->first > t->last) {
				snprintf(err, errlen, "%sfirstSeen: after lastSeen",
				    p);
				return -EINVAL;
			}
			r->ndn++;
		}
	}
	return 0;
}

/* Empty the scratch of the item before. */
static void
scratch_reset(struct tp_reader *r)
{
	size_t i;

	for (i = 0; i < r->npw; i++)
		free(r->pw[i].own);
	r->npw = r->ntf = r->ndn = 0;
}

/* The subject (pw[0]) and the peers spec.peerWorkloads describes. */
static int
parse_workloads(struct tp_reader *r, const struct item *it, json_object *wl,
    json_object *pws, char *err, size_t errlen)
{
	json_object *o;
	char p[64];
	size_t i;
	int rc;

	if (grow((void **)&r->pw, &r->cappw, 0, sizeof(*r->pw)) < 0)
		return -ENOMEM;
	if ((rc = parse_workload(wl, it->ns, "spec.workload.", &r->pw[0], err,
	    errlen)) < 0)
		return rc;
	r->npw = 1;
	for (i = 0; pws != NULL && i < json_object_array_length(pws); i++) {
		snprintf(p, sizeof(p), "spec.peerWorkloads[%zu].", i);
		if (grow((void **)&r->pw, &r->cappw, r->npw,
		    sizeof(*r->pw)) < 0)
			return -ENOMEM;
		o = json_object_array_get_idx(pws, i);
		if (!json_object_is_type(o, json_type_object))
			return not_object(p, err, errlen);
		if ((rc = parse_workload(o, NULL, p, &r->pw[r->npw], err,
		    errlen)) < 0)
			return rc;
		r->npw++;
	}
	return 0;
}

static int
parse_item(struct tp_reader *r, json_object *o, struct item *it, char *err,
    size_t errlen)
{
	json_object *meta, *spec, *wl, *pws, *dns;
	int64_t count;
	int rc;

	scratch_reset(r);
	if ((rc = kobj_obj(o, "metadata", true, &meta, "", err, errlen)) < 0 ||
	    (rc = kobj_str(meta, "namespace", true, &it->ns, "metadata.", err,
	    errlen)) < 0 ||
	    (rc = kobj_str(meta, "name", true, &it->name, "metadata.", err,
	    errlen)) < 0 ||
	    (rc = kobj_obj(o, "spec", true, &spec, "", err, errlen)) < 0 ||
	    (rc = kobj_obj(spec, "workload", true, &wl, "spec.", err,
	    errlen)) < 0 ||
	    (rc = kobj_str(spec, "node", true, &it->node, "spec.", err,
	    errlen)) < 0 ||
	    (rc = kobj_int(spec, "recordingStarted", true, 0, INT64_MAX,
	    &it->recording_started, "spec.", err, errlen)) < 0 ||
	    (rc = kobj_time(spec, "publishedAt", true, &it->published_at,
	    "spec.", err, errlen)) < 0 ||
	    (rc = kobj_int(spec, "eventsLost", true, 0, INT64_MAX,
	    &it->events_lost, "spec.", err, errlen)) < 0 ||
	    (rc = kobj_int(spec, "truncated", true, 0, INT64_MAX,
	    &it->truncated, "spec.", err, errlen)) < 0 ||
	    (rc = kobj_int(spec, "entryCount", true, 1, INT64_MAX, &count,
	    "spec.", err, errlen)) < 0 ||
	    (rc = kobj_arr(spec, "peerWorkloads", false, &pws, "spec.", err,
	    errlen)) < 0 ||
	    (rc = kobj_arr(spec, "dnsNames", false, &dns, "spec.", err,
	    errlen)) < 0)
		return rc;
	/* Peer items naming a workload find it among those (its details)
	 * or add it as a reference. */
	if ((rc = parse_workloads(r, it, wl, pws, err, errlen)) < 0 ||
	    (rc = parse_direction(r, it, spec, "egress", FLOW_EGRESS, err,
	    errlen)) < 0 ||
	    (rc = parse_direction(r, it, spec, "ingress", FLOW_INGRESS, err,
	    errlen)) < 0 ||
	    (rc = check_count(it, spec, count, err, errlen)) < 0)
		return rc;
	return parse_dns_names(r, dns, err, errlen);
}

/* ---- feeding it -------------------------------------------------------------- */

static uint64_t
addr_hash(const struct addr *a)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < sizeof(a->bytes); i++)
		h = (h ^ a->bytes[i]) * 0x100000001b3ULL;
	return h ^ a->family;
}

/* The slot of a in the set of node addresses fed: a, or an empty one. */
static struct addr *
naddr_slot(struct addr *set, size_t cap, const struct addr *a)
{
	size_t i, m = cap - 1;

	for (i = addr_hash(a) & m; set[i].family != 0 &&
	    !addr_equal(&set[i], a); i = (i + 1) & m)
		;
	return &set[i];
}

/* Feed a node address once per reader (entries repeat it). */
static int
feed_node_addr(struct tp_reader *r, const struct addr *a)
{
	struct addr *set, *slot;
	size_t i, cap;
	int rc;

	if ((r->nnaddr + 1) * 2 > r->capnaddr) {
		cap = r->capnaddr ? r->capnaddr * 2 : 16;
		if ((set = calloc(cap, sizeof(*set))) == NULL)
			return -ENOMEM;
		for (i = 0; i < r->capnaddr; i++)
			if (r->naddr[i].family != 0)
				*naddr_slot(set, cap, &r->naddr[i]) =
				    r->naddr[i];
		free(r->naddr);
		r->naddr = set;
		r->capnaddr = cap;
	}
	slot = naddr_slot(r->naddr, r->capnaddr, a);
	if (slot->family != 0)
		return 0;
	if ((rc = index_add_node(r->b, a)) < 0)
		return rc;
	*slot = *a;
	r->nnaddr++;
	return 0;
}

static int
add_pwl(struct tp_reader *r, struct pwl *w)
{
	struct index_source_workload sw = {
		.namespace_ = w->ns,
		.kind = w->kind,
		.name = w->name,
		.selector = w->selector,
		.labels = w->labels,
		.ports = w->ports,
		.host_network = w->host_network,
		.started_at = w->started_at,
		.reference_only = !w->described,
	};

	return index_add_workload(r->b, &sw, &w->handle);
}

static int
item_notes(struct tp_reader *r, const struct item *it, const struct pwl *s)
{
	char text[512];
	int rc = 0;

	if (it->truncated > 0) {
		snprintf(text, sizeof(text), "node %s left out %lld of its "
		    "entries (publish.max_entries; the least recently seen go "
		    "first): that traffic is missing", it->node,
		    (long long)it->truncated);
		rc = index_add_note(r->b, s->ns, s->kind, s->name, text);
	}
	if (rc == 0 && it->omitted > 0) {
		snprintf(text, sizeof(text), "node %s left out %lld addresses "
		    "that DNS names led to (at most 64 a name are published): "
		    "the traffic to them is missing", it->node,
		    (long long)it->omitted);
		rc = index_add_note(r->b, s->ns, s->kind, s->name, text);
	}
	return rc;
}

static int
feed(struct tp_reader *r, const struct item *it)
{
	struct tp_node *n;
	struct flow *f;
	const char *ns;
	size_t i;
	int rc;

	if ((n = tp_reader_node_named(r, it->node)) == NULL)
		return -ENOMEM;
	for (i = 0; i < r->npw; i++)
		if ((rc = add_pwl(r, &r->pw[i])) < 0)
			return rc;
	for (i = 0; i < r->ntf; i++) {
		f = &r->tf[i].f;
		f->key.subject = r->pw[0].handle;
		if (f->key.peer_kind == FLOW_PEER_WORKLOAD)
			f->key.peer_wl = r->pw[r->tf[i].peer].handle;
		if (f->key.peer_kind == FLOW_PEER_NODE &&
		    (rc = feed_node_addr(r, &f->key.peer)) < 0)
			return rc;
		if ((ns = index_kept_namespace(r->b, f)) != NULL &&
		    (rc = compl_saw(&n->c, ns)) < 0)
			return rc;
		if (f->last_seen > n->last_seen)
			n->last_seen = f->last_seen;
		if ((rc = index_add_flow(r->b, f)) < 0)
			return rc;
	}
	/* The names answered in the query's window, as a store's reader
	 * takes them (store_read_dns_names). */
	for (i = 0; i < r->ndn; i++)
		if ((r->q->since == 0 || r->dn[i].last >= r->q->since) &&
		    (r->q->until == 0 || r->dn[i].first <= r->q->until) &&
		    (rc = index_add_dns_name(r->b, r->pw[0].handle,
		    &r->dn[i].a, r->dn[i].name)) < 0)
			return rc;
	if ((rc = index_add_namespace(r->b, it->ns)) < 0 ||
	    (rc = compl_present(&n->c, it->ns)) < 0)
		return rc;
	index_add_recording_started(r->b, it->recording_started);
	if (it->recording_started > 0 && (n->recording_started == 0 ||
	    it->recording_started < n->recording_started))
		n->recording_started = it->recording_started;
	if (it->events_lost > n->events_lost)
		n->events_lost = it->events_lost;
	n->profiles++;
	r->read++;
	return item_notes(r, it, &r->pw[0]);
}

/* Skip a malformed item: count it, and say so in a note of its
 * namespace (of every namespace when it has none). */
static int
skip(struct tp_reader *r, json_object *o, const char *why)
{
	json_object *meta, *v;
	const char *ns = NULL, *name = NULL;
	char text[768], who[400];

	if (json_object_is_type(o, json_type_object) &&
	    json_object_object_get_ex(o, "metadata", &meta) &&
	    json_object_is_type(meta, json_type_object)) {
		if (json_object_object_get_ex(meta, "namespace", &v) &&
		    json_object_is_type(v, json_type_string))
			ns = json_object_get_string(v);
		if (json_object_object_get_ex(meta, "name", &v) &&
		    json_object_is_type(v, json_type_string))
			name = json_object_get_string(v);
	}
	snprintf(who, sizeof(who), "%s%s%s", ns ? ns : "", ns ? "/" : "",
	    name ? name : "(no name)");
	r->skipped++;
	if (r->first_skipped[0] == '\0')
		snprintf(r->first_skipped, sizeof(r->first_skipped), "%s: %s",
		    who, why);
	snprintf(text, sizeof(text), "the TrafficProfile %s cannot be read "
	    "(%s) and was skipped: what it holds is missing", who, why);
	return index_add_note(r->b, ns, NULL, NULL, text);
}

int
tp_reader_item(struct tp_reader *r, json_object *o)
{
	struct item it;
	char err[256];
	int rc;

	memset(&it, 0, sizeof(it));
	if (o == NULL)
		return skip(r, o, "not JSON");
	if (!json_object_is_type(o, json_type_object))
		return skip(r, o, "not an object");
	rc = parse_item(r, o, &it, err, sizeof(err));
	if (rc == -EINVAL)
		return skip(r, o, err);
	if (rc < 0)
		return rc;
	return feed(r, &it);
}

/* ---- peers described by their own profiles ---------------------------------- */

/*
 * A profile fetched for peer u: its spec.workload fed, nothing else. 0
 * fed; 1 when it is another workload's (a label value shortened to the
 * same one); -EINVAL with why when it cannot be read; -ENOMEM.
 */
static int
describe(struct tp_reader *r, json_object *o,
    const struct index_undescribed *u, char *why, size_t whylen)
{
	json_object *meta, *spec, *wl;
	const char *ns = NULL, *name = NULL;
	char err[256];
	struct pwl w;
	int rc;

	if (!json_object_is_type(o, json_type_object)) {
		snprintf(why, whylen, "its TrafficProfile cannot be read (not "
		    "an object)");
		return -EINVAL;
	}
	if ((rc = kobj_obj(o, "metadata", true, &meta, "", err,
	    sizeof(err))) < 0 ||
	    (rc = kobj_str(meta, "namespace", true, &ns, "metadata.", err,
	    sizeof(err))) < 0 ||
	    (rc = kobj_str(meta, "name", true, &name, "metadata.", err,
	    sizeof(err))) < 0 ||
	    (rc = kobj_obj(o, "spec", true, &spec, "", err, sizeof(err))) < 0 ||
	    (rc = kobj_obj(spec, "workload", true, &wl, "spec.", err,
	    sizeof(err))) < 0 ||
	    (rc = parse_workload(wl, ns, "spec.workload.", &w, err,
	    sizeof(err))) < 0) {
		snprintf(why, whylen, "its TrafficProfile %s%s%s cannot be read "
		    "(%s)", ns ? ns : "", ns ? "/" : "", name ? name :
		    "(no name)", err);
		return rc;
	}
	if (strcmp(w.ns, u->namespace_) != 0 || strcmp(w.kind, u->kind) != 0 ||
	    strcmp(w.name, u->name) != 0)
		return 1;
	return add_pwl(r, &w);
}

/* The note of a peer none describes, in each namespace that talks to
 * it. */
static int
missing(struct tp_reader *r, const struct index_undescribed *u,
    const char *why)
{
	char text[1024];
	size_t i;
	int rc = 0;

	r->peers_missing++;
	snprintf(text, sizeof(text), "the peer %s/%s of namespace %s has no "
	    "details: %s. Its selector is unknown, so the traffic with it is "
	    "left out of the policies (listed as not expressible) rather than "
	    "allowed to every pod of namespace %s", u->kind, u->name,
	    u->namespace_, why[0] ? why : "no TrafficProfile of it was found",
	    u->namespace_);
	for (i = 0; i < u->nsubject_ns && rc == 0; i++)
		rc = index_add_note(r->b, u->subject_ns[i], NULL, NULL, text);
	return rc;
}

int
tp_reader_peers(struct tp_reader *r, tp_fetch_fn fetch, void *arg)
{
	struct index_undescribed *v;
	json_object *item;
	char why[768];
	size_t n, i;
	int rc;

	if ((rc = index_undescribed(r->b, &v, &n)) < 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++) {
		item = NULL;
		why[0] = '\0';
		if (fetch != NULL && (rc = fetch(arg, v[i].namespace_,
		    v[i].kind, v[i].name, &item, why, sizeof(why))) < 0)
			break;
		if (item != NULL) {
			rc = describe(r, item, &v[i], why, sizeof(why));
			json_object_put(item);
			if (rc == -ENOMEM)
				break;
			if (rc == 0) {
				r->peers_described++;
				continue;
			}
		}
		rc = missing(r, &v[i], why);
	}
	index_undescribed_free(v, n);
	return rc;
}

/* ---- list responses, as a source --------------------------------------------- */

struct list_source {
	struct source src;	/* first */
	const char *const *pages;
	const size_t *lens;
	size_t n;
};

static int
list_item(json_object *item, void *arg)
{
	return tp_reader_item(arg, item);
}

static int
list_load(struct source *src, const struct source_query *q,
    struct index_builder *b, char *err, size_t errlen)
{
	struct list_source *ls = (struct list_source *)(void *)src;
	struct tp_reader *r;
	char cont[4096];
	size_t i;
	int rc;

	if ((rc = tp_reader_new(b, q, &r)) < 0)
		return rc;
	for (i = 0; i < ls->n && rc == 0; i++)
		rc = jsplit_list(ls->pages[i], ls->lens[i], list_item, r, cont,
		    sizeof(cont), err, errlen);
	if (rc == 0)
		rc = tp_reader_peers(r, NULL, NULL);
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	tp_reader_free(r);
	return rc;
}

static void
list_free(struct source *src)
{
	free(src);
}

static const struct source_ops list_ops = {
	.load = list_load,
	.free = list_free,
};

int
tp_list_source_new(const char *const *pages, const size_t *lens, size_t n,
    struct source **out)
{
	struct list_source *ls;

	*out = NULL;
	if ((ls = calloc(1, sizeof(*ls))) == NULL)
		return -ENOMEM;
	ls->src.ops = &list_ops;
	ls->pages = pages;
	ls->lens = lens;
	ls->n = n;
	*out = &ls->src;
	return 0;
}
