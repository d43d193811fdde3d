/*
 * check_eval: recorded flows evaluated against NetworkPolicies, policy
 * loading and the JSON/text forms of the results, shared by `check` and
 * `report` (see check.h). No I/O here: it works on the index in memory.
 */
#include "cli/eval/check.h"
#include "lib/store.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/base/timefmt.h"
#include "lib/yamljson.h"

/* ---- evaluation -------------------------------------------------------- */

void
check_ep_workload(const struct index_workload *wl, struct npeval_ep *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->kind = NPEVAL_EP_POD;
	ep->namespace_ = wl->namespace_;
	ep->labels = wl->labels;
	ep->ports = wl->ports;
	ep->host_network = wl->host_network;
}

static void
peer_ep(const struct index *idx, const struct flow *f, struct npeval_ep *ep)
{
	const struct index_workload *peer = index_peer(idx, f);

	memset(ep, 0, sizeof(*ep));
	switch (f->key.peer_kind) {
	case FLOW_PEER_WORKLOAD:
		check_ep_workload(peer, ep);
		return;
	case FLOW_PEER_NODE:
		ep->kind = NPEVAL_EP_NODE;
		ep->addr = f->key.peer;
		return;
	default:
		/* An address, or nothing known: only ipBlocks could match
		 * it, and an unknown one matches none. */
		ep->kind = NPEVAL_EP_ADDR;
		ep->addr = f->key.peer;
		return;
	}
}

/* A denial before merging: which end of the flow recorded it. */
struct raw {
	struct check_denial d;
	int rec;	/* direction of the recorded flow */
};

struct rawvec {
	struct raw *v;
	size_t n, cap;
};

static int
raw_push(struct rawvec *rv, const struct raw *r)
{
	struct raw *nv;
	size_t ncap;

	if (rv->n == rv->cap) {
		ncap = rv->cap ? rv->cap * 2 : 64;
		if ((nv = realloc(rv->v, ncap * sizeof(*nv))) == NULL)
			return -ENOMEM;
		rv->v = nv;
		rv->cap = ncap;
	}
	rv->v[rv->n++] = *r;
	return 0;
}

/* One end of flow f as a check_peer: the subject (self) or its peer. */
static void
end_of(const struct index *idx, const struct flow *f, bool self,
    struct check_peer *p)
{
	memset(p, 0, sizeof(*p));
	if (self) {
		p->kind = FLOW_PEER_WORKLOAD;
		p->wl = index_subject(idx, f);
		return;
	}
	p->kind = f->key.peer_kind;
	p->wl = index_peer(idx, f);
	if (p->kind != FLOW_PEER_WORKLOAD)
		p->addr = f->key.peer;
}

static int
side_raw(struct rawvec *rv, const struct index *idx, const struct flow *f,
    bool egress_side, const struct npeval_side *s, unsigned notes)
{
	struct check_peer denier, other;
	struct raw r;
	bool subject_is_src = f->key.direction == FLOW_EGRESS;

	/* The egress side is the source's, the ingress side the
	 * destination's. */
	end_of(idx, f, egress_side == subject_is_src, &denier);
	end_of(idx, f, egress_side != subject_is_src, &other);
	if (denier.wl == NULL)
		return 0;	/* only pods have policies */
	memset(&r, 0, sizeof(r));
	r.d.wl = denier.wl;
	r.d.direction = egress_side ? FLOW_EGRESS : FLOW_INGRESS;
	r.d.peer = other;
	r.d.protocol = f->key.protocol;
	r.d.port = f->key.port;
	r.d.verdict = s->verdict;
	r.d.notes = notes;
	r.d.dns_name = f->dns_name;
	r.d.count = f->count;
	r.d.first_seen = f->first_seen;
	r.d.last_seen = f->last_seen;
	r.rec = f->key.direction;
	return raw_push(rv, &r);
}

static int
peer_cmp(const struct check_peer *a, const struct check_peer *b)
{
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->kind == FLOW_PEER_WORKLOAD) {
		if (a->wl->index != b->wl->index)
			return a->wl->index < b->wl->index ? -1 : 1;
		return 0;
	}
	return addr_cmp(&a->addr, &b->addr);
}

static int
denial_cmp(const struct check_denial *a, const struct check_denial *b)
{
	int c;

	if (a->wl->index != b->wl->index)
		return a->wl->index < b->wl->index ? -1 : 1;
	if (a->direction != b->direction)
		return a->direction < b->direction ? -1 : 1;
	if ((c = peer_cmp(&a->peer, &b->peer)) != 0)
		return c;
	if (a->protocol != b->protocol)
		return a->protocol < b->protocol ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	return 0;
}

static int
raw_qcmp(const void *x, const void *y)
{
	const struct raw *a = x, *b = y;

	return denial_cmp(&a->d, &b->d);
}

/* Fold a run of raws with one key into one denial. */
static void
fold(const struct raw *run, size_t n, struct check_denial *out)
{
	uint64_t cnt[2] = { 0, 0 };
	size_t i;

	*out = run[0].d;
	for (i = 0; i < n; i++) {
		const struct check_denial *d = &run[i].d;

		cnt[run[i].rec ? 1 : 0] += d->count;
		if (d->first_seen < out->first_seen)
			out->first_seen = d->first_seen;
		if (d->last_seen > out->last_seen)
			out->last_seen = d->last_seen;
		if (d->verdict == NPEVAL_DENY)
			out->verdict = NPEVAL_DENY;
		out->notes |= d->notes;
		if (out->dns_name[0] == '\0')
			out->dns_name = d->dns_name;
	}
	out->count = cnt[0] > cnt[1] ? cnt[0] : cnt[1];
}

static int
attach_policies(const struct npeval_set *set, struct check_denial *d)
{
	struct npeval_ep ep;
	int dir = d->direction == FLOW_EGRESS ? NPEVAL_EGRESS :
	    NPEVAL_INGRESS;
	size_t n;

	check_ep_workload(d->wl, &ep);
	d->policies = NULL;
	n = npeval_select(set, &ep, dir, NULL, 0);
	d->npolicies = 0;
	if (n == 0)
		return 0;
	if ((d->policies = calloc(n, sizeof(*d->policies))) == NULL)
		return -ENOMEM;
	d->npolicies = npeval_select(set, &ep, dir, d->policies, n);
	return 0;
}

static int
merge(const struct npeval_set *set, struct rawvec *rv,
    struct check_result *res)
{
	size_t i, j;
	int rc;

	if (rv->n == 0)
		return 0;
	qsort(rv->v, rv->n, sizeof(*rv->v), raw_qcmp);
	if ((res->denials = calloc(rv->n, sizeof(*res->denials))) == NULL)
		return -ENOMEM;
	for (i = 0; i < rv->n; i = j) {
		for (j = i + 1; j < rv->n &&
		    denial_cmp(&rv->v[i].d, &rv->v[j].d) == 0; j++)
			;
		fold(&rv->v[i], j - i, &res->denials[res->ndenials]);
		if ((rc = attach_policies(set,
		    &res->denials[res->ndenials])) != 0)
			return rc;
		if (res->denials[res->ndenials].verdict == NPEVAL_DENY)
			res->ndenied++;
		else
			res->nunresolved++;
		res->ndenials++;
	}
	return 0;
}

/*
 * The policies selecting each workload, per direction, found once: a
 * workload has many flows, and finding them means matching every policy's
 * podSelector. Indexed by index_workload.index.
 */
struct selcache {
	size_t *idx[2];
	size_t n[2];
	bool done[2];
};

static const size_t *
sel_get(struct selcache *cache, size_t ncache, const struct npeval_set *set,
    const struct npeval_ep *ep, const struct index_workload *wl, int dir,
    size_t *n)
{
	static const size_t none[1];
	struct selcache *c;
	size_t k;

	*n = 0;
	if (wl == NULL || wl->index >= ncache)
		return NULL;	/* npeval finds them itself */
	c = &cache[wl->index];
	if (!c->done[dir]) {
		k = npeval_select(set, ep, dir, NULL, 0);
		if (k > 0) {
			if ((c->idx[dir] = calloc(k, sizeof(size_t))) == NULL)
				return NULL;
			npeval_select(set, ep, dir, c->idx[dir], k);
		}
		c->n[dir] = k;
		c->done[dir] = true;
	}
	*n = c->n[dir];
	return c->idx[dir] != NULL ? c->idx[dir] : none;
}

int
check_eval(const struct npeval_set *set, const struct index *idx,
    struct check_result **out)
{
	struct check_result *res;
	struct rawvec rv = { 0 };
	struct npeval_ep subj, peer;
	struct npeval_result r;
	const struct flow *f;
	const struct index_workload *swl, *pwl;
	struct selcache *cache;
	const size_t *ssel, *psel;
	size_t i, ncache, nss, nps, nflows = index_nflows(idx);
	int rc = -ENOMEM;

	*out = NULL;
	if ((res = calloc(1, sizeof(*res))) == NULL)
		return -ENOMEM;
	res->nflows = nflows;
	res->flow_verdict = calloc(nflows ? nflows : 1, sizeof(int));
	res->flow_notes = calloc(nflows ? nflows : 1, sizeof(unsigned));
	ncache = index_nworkloads(idx);
	cache = calloc(ncache + 1, sizeof(*cache));
	if (res->flow_verdict == NULL || res->flow_notes == NULL ||
	    cache == NULL)
		goto out;
	for (i = 0; i < nflows; i++) {
		f = index_flow(idx, i);
		swl = index_subject(idx, f);
		pwl = index_peer(idx, f);
		check_ep_workload(swl, &subj);
		peer_ep(idx, f, &peer);
		if (f->key.direction == FLOW_EGRESS) {
			ssel = sel_get(cache, ncache, set, &subj, swl,
			    NPEVAL_EGRESS, &nss);
			psel = sel_get(cache, ncache, set, &peer, pwl,
			    NPEVAL_INGRESS, &nps);
			npeval_eval_selected(set, &subj, ssel, nss, &peer, psel,
			    nps, f->key.protocol, f->key.port, &r);
		} else {
			ssel = sel_get(cache, ncache, set, &subj, swl,
			    NPEVAL_INGRESS, &nss);
			psel = sel_get(cache, ncache, set, &peer, pwl,
			    NPEVAL_EGRESS, &nps);
			npeval_eval_selected(set, &peer, psel, nps, &subj, ssel,
			    nss, f->key.protocol, f->key.port, &r);
		}
		res->flow_verdict[i] = r.verdict;
		res->flow_notes[i] = r.notes;
		res->notes |= r.notes;
		if (r.egress.verdict != NPEVAL_ALLOW &&
		    (rc = side_raw(&rv, idx, f, true, &r.egress, r.notes)) != 0)
			goto out;
		if (r.ingress.verdict != NPEVAL_ALLOW &&
		    (rc = side_raw(&rv, idx, f, false, &r.ingress,
		    r.notes)) != 0)
			goto out;
	}
	rc = merge(set, &rv, res);
out:
	for (i = 0; cache != NULL && i < ncache; i++) {
		free(cache[i].idx[0]);
		free(cache[i].idx[1]);
	}
	free(cache);
	free(rv.v);
	if (rc != 0)
		check_result_free(res);
	else
		*out = res;
	return rc;
}

void
check_result_free(struct check_result *res)
{
	size_t i;

	if (res == NULL)
		return;
	for (i = 0; i < res->ndenials; i++)
		free(res->denials[i].policies);
	free(res->denials);
	free(res->flow_verdict);
	free(res->flow_notes);
	free(res);
}

/* ---- loading policies -------------------------------------------------- */

/* yamljson's "line L, column C: what" as "name:L:C: what". */
static void
parse_err(const char *name, const char *perr, char *err, size_t errlen)
{
	unsigned line, col;
	int off = -1;

	if (sscanf(perr, "line %u, column %u: %n", &line, &col, &off) == 2 &&
	    off > 0)
		snprintf(err, errlen, "%s:%u:%u: %s", name, line, col,
		    perr + off);
	else
		snprintf(err, errlen, "%s: %s", name, perr);
}

int
check_load_policies_buf(struct npeval_set *set, const char *buf, size_t len,
    const char *name, const char *default_ns, size_t *nskipped, char *err,
    size_t errlen)
{
	json_object *docs = NULL;
	char perr[512];
	int rc;

	rc = yamljson_parse_any(buf, len, &docs, perr, sizeof(perr));
	if (rc != 0) {
		parse_err(name, perr, err, errlen);
		return rc == -ENOMEM ? rc : -EINVAL;
	}
	rc = npeval_set_add(set, docs, default_ns, name, nskipped, err,
	    errlen);
	json_object_put(docs);
	return rc;
}

static int
read_all(FILE *f, char **out, size_t *outlen)
{
	size_t len = 0, cap = 0, n;
	char *buf = NULL, *nb;

	for (;;) {
		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 65536 * 2;
			if ((nb = realloc(buf, cap + 1)) == NULL) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		return -EIO;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

/* The contents of path ("-": standard input) into *buf (caller frees). */
static int
read_path(const char *path, char **buf, size_t *len, char *err,
    size_t errlen)
{
	FILE *f;
	int rc;

	*buf = NULL;
	if (strcmp(path, "-") == 0)
		f = stdin;
	else if ((f = fopen(path, "r")) == NULL) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	rc = read_all(f, buf, len);
	if (f != stdin)
		fclose(f);
	if (rc != 0)
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
	return rc;
}

static int
load_file(struct npeval_set *set, const char *path, const char *default_ns,
    size_t *nskipped, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int rc;

	if ((rc = read_path(path, &buf, &len, err, errlen)) != 0)
		return rc;
	rc = check_load_policies_buf(set, buf, len,
	    strcmp(path, "-") == 0 ? "<stdin>" : path, default_ns, nskipped,
	    err, errlen);
	free(buf);
	return rc;
}

/* Namespace objects of o (a Namespace, a List, an array) into map. */
static int
add_namespaces(json_object *o, json_object *map, const char *name, char *err,
    size_t errlen)
{
	json_object *v, *md, *n, *labels;
	const char *kind;
	size_t i;
	int rc;

	if (json_object_is_type(o, json_type_array)) {
		for (i = 0; i < json_object_array_length(o); i++)
			if ((rc = add_namespaces(json_object_array_get_idx(o,
			    i), map, name, err, errlen)) != 0)
				return rc;
		return 0;
	}
	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "kind", &v))
		return 0;
	kind = json_object_get_string(v);
	if (strcmp(kind, "List") == 0 || strcmp(kind, "NamespaceList") == 0)
		return json_object_object_get_ex(o, "items", &v) ?
		    add_namespaces(v, map, name, err, errlen) : 0;
	if (strcmp(kind, "Namespace") != 0)
		return 0;
	if (!json_object_object_get_ex(o, "metadata", &md) ||
	    !json_object_object_get_ex(md, "name", &n) ||
	    !json_object_is_type(n, json_type_string)) {
		snprintf(err, errlen, "%s: a Namespace without metadata.name",
		    name);
		return -EINVAL;
	}
	if (!json_object_object_get_ex(md, "labels", &labels) ||
	    !json_object_is_type(labels, json_type_object))
		labels = NULL;
	json_object_object_add(map, json_object_get_string(n), labels ?
	    json_object_get(labels) : json_object_new_object());
	return 0;
}

int
check_load_namespaces(const char *path, json_object **map, char *err,
    size_t errlen)
{
	json_object *docs = NULL;
	char perr[512], *buf;
	size_t len;
	int rc;

	if ((rc = read_path(path, &buf, &len, err, errlen)) != 0)
		return rc;
	rc = yamljson_parse_any(buf, len, &docs, perr, sizeof(perr));
	free(buf);
	if (rc != 0) {
		parse_err(path, perr, err, errlen);
		return rc == -ENOMEM ? rc : -EINVAL;
	}
	if (*map == NULL && (*map = json_object_new_object()) == NULL) {
		json_object_put(docs);
		return -ENOMEM;
	}
	rc = add_namespaces(docs, *map, path, err, errlen);
	json_object_put(docs);
	return rc;
}

static int
policy_file(const struct dirent *de)
{
	static const char *const exts[] = { ".yaml", ".yml", ".json" };
	size_t i, n = strlen(de->d_name), e;

	if (de->d_name[0] == '.')
		return 0;
	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		e = strlen(exts[i]);
		if (n > e && strcasecmp(de->d_name + n - e, exts[i]) == 0)
			return 1;
	}
	return 0;
}

int
check_load_policies(struct npeval_set *set, const char *path,
    const char *default_ns, size_t *nskipped, char *err, size_t errlen)
{
	struct dirent **names = NULL;
	struct stat sb;
	char *sub;
	int i, n, rc = 0;

	if (strcmp(path, "-") == 0 || stat(path, &sb) != 0 ||
	    !S_ISDIR(sb.st_mode))
		return load_file(set, path, default_ns, nskipped, err, errlen);
	if ((n = scandir(path, &names, policy_file, alphasort)) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	for (i = 0; i < n; i++) {
		if (rc == 0) {
			if (asprintf(&sub, "%s/%s", path, names[i]->d_name) < 0)
				rc = -ENOMEM;
			else {
				rc = load_file(set, sub, default_ns, nskipped,
				    err, errlen);
				free(sub);
			}
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int
check_load_set(const char *const *paths, size_t npaths,
    const char *const *nsfiles, size_t nnsfiles, const char *default_ns,
    struct npeval_set **out, size_t *nskipped, char *err, size_t errlen)
{
	struct npeval_set *set = NULL;
	json_object *nsmap = NULL;
	size_t i;
	int rc;

	*out = NULL;
	if ((rc = npeval_set_new(&set)) != 0) {
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	for (i = 0; i < npaths && rc == 0; i++)
		rc = check_load_policies(set, paths[i], default_ns, nskipped,
		    err, errlen);
	for (i = 0; i < nnsfiles && rc == 0; i++)
		rc = check_load_namespaces(nsfiles[i], &nsmap, err, errlen);
	if (rc == 0)
		npeval_set_namespaces(set, nsmap);
	json_object_put(nsmap);
	if (rc != 0) {
		npeval_set_free(set);
		return rc;
	}
	*out = set;
	return 0;
}

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

json_object *
check_lint(const struct npeval_set *set, const struct addr_cidr *pod,
    size_t npod, const struct addr_cidr *svc, size_t nsvc)
{
	struct lint l = { .set = set, .pod = pod, .npod = npod, .svc = svc,
	    .nsvc = nsvc };

	if ((l.out = json_object_new_array()) == NULL)
		return NULL;
	for (l.i = 0; set != NULL && l.i < npeval_set_count(set); l.i++)
		npeval_policy_ipblocks(set, l.i, lint_one, &l);
	return l.out;
}

/* ---- text helpers ------------------------------------------------------ */

char *
check_workload_id(const struct index_workload *wl, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s/%s", wl->namespace_, wl->kind, wl->name);
	return buf;
}

char *
check_port_str(int protocol, unsigned port, char *buf, size_t len)
{
	const char *p = flow_protocol_name(protocol);
	char unk[16];

	if (p == NULL) {
		snprintf(unk, sizeof(unk), "proto-%d", protocol);
		p = unk;
	}
	if (port == 0)
		snprintf(buf, len, "%s", p);
	else
		snprintf(buf, len, "%s/%u", p, port);
	return buf;
}

char *
check_peer_str(const struct check_peer *p, const char *dns_name, char *buf,
    size_t len)
{
	char a[ADDR_STRLEN];

	switch (p->kind) {
	case FLOW_PEER_WORKLOAD:
		return check_workload_id(p->wl, buf, len);
	case FLOW_PEER_NODE:
		snprintf(buf, len, "node %s", addr_format(&p->addr, a,
		    sizeof(a)));
		return buf;
	case FLOW_PEER_ADDRESS:
		addr_format(&p->addr, a, sizeof(a));
		if (dns_name != NULL && dns_name[0] != '\0')
			snprintf(buf, len, "%s (%s)", a, dns_name);
		else
			snprintf(buf, len, "%s", a);
		return buf;
	default:
		snprintf(buf, len, "unknown");
		return buf;
	}
}

/* ---- JSON -------------------------------------------------------------- */

static void
jset_str(json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v ? v : ""));
}

static void
jset_time(json_object *o, const char *key, int64_t t)
{
	char buf[40];

	if (t <= 0)
		json_object_object_add(o, key, NULL);
	else
		jset_str(o, key, timefmt_format_time(t, buf, sizeof(buf)));
}

json_object *
check_peer_json(const struct check_peer *p)
{
	json_object *o = json_object_new_object();
	char buf[STORE_NAME_LEN * 3 + 4];

	if (o == NULL)
		return NULL;
	jset_str(o, "type", flow_peer_kind_name(p->kind));
	switch (p->kind) {
	case FLOW_PEER_WORKLOAD:
		jset_str(o, "namespace", p->wl->namespace_);
		jset_str(o, "kind", p->wl->kind);
		jset_str(o, "name", p->wl->name);
		jset_str(o, "id", check_workload_id(p->wl, buf, sizeof(buf)));
		break;
	case FLOW_PEER_ADDRESS:
	case FLOW_PEER_NODE:
		jset_str(o, "address", addr_format(&p->addr, buf, sizeof(buf)));
		break;
	default:
		break;
	}
	return o;
}

json_object *
check_notes_json(unsigned notes)
{
	json_object *a = json_object_new_array();
	unsigned bit;

	for (bit = 1; a != NULL && bit != 0 && bit <= notes; bit <<= 1)
		if (notes & bit)
			json_object_array_add(a,
			    json_object_new_string(npeval_note_text(bit)));
	return a;
}

json_object *
check_denial_json(const struct npeval_set *set, const struct check_denial *d)
{
	json_object *o = json_object_new_object(), *pols;
	const char *proto = flow_protocol_name(d->protocol);
	char buf[STORE_NAME_LEN * 3 + 4];
	size_t i;

	if (o == NULL)
		return NULL;
	jset_str(o, "workload", check_workload_id(d->wl, buf, sizeof(buf)));
	jset_str(o, "namespace", d->wl->namespace_);
	jset_str(o, "kind", d->wl->kind);
	jset_str(o, "name", d->wl->name);
	jset_str(o, "direction", flow_direction_name(d->direction));
	json_object_object_add(o, "peer", check_peer_json(&d->peer));
	if (proto != NULL)
		jset_str(o, "protocol", proto);
	else
		json_object_object_add(o, "protocol",
		    json_object_new_int(d->protocol));
	json_object_object_add(o, "port", json_object_new_int(d->port));
	jset_str(o, "verdict", npeval_verdict_name(d->verdict));
	json_object_object_add(o, "count", json_object_new_int64(
	    (int64_t)d->count));
	jset_time(o, "firstSeen", d->first_seen);
	jset_time(o, "lastSeen", d->last_seen);
	jset_str(o, "dnsName", d->dns_name);
	pols = json_object_new_array();
	for (i = 0; pols != NULL && i < d->npolicies; i++) {
		snprintf(buf, sizeof(buf), "%s/%s",
		    npeval_policy_namespace(set, d->policies[i]),
		    npeval_policy_name(set, d->policies[i]));
		json_object_array_add(pols, json_object_new_string(buf));
	}
	json_object_object_add(o, "policies", pols);
	json_object_object_add(o, "notes", check_notes_json(d->notes));
	return o;
}
