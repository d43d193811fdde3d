/*
 * report_model: what was loaded -> the report's JSON model (see report.h
 * and the schema in cli/REPORT.md). Pure: no I/O.
 */
#include "cli/report/report.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/base/timefmt.h"
#include "cli/eval/check_fmt.h"
#include "cli/eval/check_lint.h"
#include "cli/gen/policygen.h"
#include "lib/sort.h"
#include "lib/store.h"

#define IDLEN (STORE_NAME_LEN * 3 + 4)

/* ---- small helpers ----------------------------------------------------- */

static json_object *
member(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

char *
report_duration(int64_t secs, char *buf, size_t len)
{
	return timefmt_format_duration(secs < 0 ? 0 : secs, buf, len);
}

static void
jstr(json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v ? v : ""));
}

static void
jint(json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

static void
jbool(json_object *o, const char *key, bool v)
{
	json_object_object_add(o, key, json_object_new_boolean(v));
}

static void
jtime(json_object *o, const char *key, int64_t t)
{
	char buf[40];

	if (t <= 0)
		json_object_object_add(o, key, NULL);
	else
		jstr(o, key, timefmt_format_time(t, buf, sizeof(buf)));
}

static json_object *
cidr_array(const struct addr_cidr *c, size_t n)
{
	json_object *a = json_object_new_array();
	char buf[ADDR_CIDR_STRLEN];
	size_t i;

	for (i = 0; a != NULL && i < n; i++)
		json_object_array_add(a, json_object_new_string(
		    addr_cidr_format(&c[i], buf, sizeof(buf))));
	return a;
}

/* ---- classification ---------------------------------------------------- */

static bool
in_any(const struct addr_cidr *c, size_t n, const struct addr *a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (addr_cidr_contains(&c[i], a))
			return true;
	return false;
}

static bool
is_private(const struct addr *a)
{
	static const char *const nets[] = {
		"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
		"100.64.0.0/10", "fc00::/7",
	};
	struct addr_cidr c;
	size_t i;

	for (i = 0; i < sizeof(nets) / sizeof(nets[0]); i++)
		if (addr_cidr_parse(nets[i], &c) == 0 &&
		    addr_cidr_contains(&c, a))
			return true;
	return false;
}

const char *
report_classify(const struct report_input *in, int peer_kind,
    const struct addr *a)
{
	if (peer_kind == FLOW_PEER_NODE)
		return "node";
	if (a->family == 0 || peer_kind == FLOW_PEER_UNKNOWN)
		return "unknown";
	if (in_any(in->pod_cidrs, in->npod_cidrs, a) ||
	    in_any(in->svc_cidrs, in->nsvc_cidrs, a))
		return "internal";
	if (in->npod_cidrs + in->nsvc_cidrs == 0 && is_private(a))
		return "unknown";
	return "external";
}

static json_object *
ks_json(const struct ks_entry *e)
{
	json_object *o;
	char buf[ADDR_CIDR_STRLEN];

	if (e == NULL)
		return NULL;
	o = json_object_new_object();
	jstr(o, "source", e->source);
	jstr(o, "cidr", addr_cidr_format(&e->cidr, buf, sizeof(buf)));
	jstr(o, "server", e->server);
	jstr(o, "name", e->name);
	return o;
}

/* The peer of flow f as JSON, with class, KnownServer and DNS name for
 * addresses. */
static json_object *
flow_peer_json(const struct report_input *in, const struct flow *f)
{
	struct check_peer p = { .kind = f->key.peer_kind };
	json_object *o;

	if (f->key.peer_kind == FLOW_PEER_WORKLOAD)
		p.wl = index_peer(in->idx, f);
	else
		p.addr = f->key.peer;
	o = check_fmt_peer_json(&p);
	if (o == NULL || p.kind == FLOW_PEER_WORKLOAD)
		return o;
	jstr(o, "class", report_classify(in, p.kind, &p.addr));
	jstr(o, "dnsName", f->dns_name);
	json_object_object_add(o, "knownServer", in->ks != NULL &&
	    p.addr.family != 0 ? ks_json(ks_match(in->ks, &p.addr)) : NULL);
	return o;
}

static json_object *
proto_json(int protocol)
{
	const char *p = flow_protocol_name(protocol);

	if (p != NULL)
		return json_object_new_string(p);
	return json_object_new_int(protocol);
}

static json_object *
flow_json(const struct report_input *in, const struct flow *f,
    size_t i)
{
	json_object *o = json_object_new_object(), *svc = NULL;
	char buf[ADDR_STRLEN];

	json_object_object_add(o, "peer", flow_peer_json(in, f));
	json_object_object_add(o, "protocol", proto_json(f->key.protocol));
	jint(o, "port", f->key.port);
	if (f->key.orig.family != 0) {
		svc = json_object_new_object();
		jstr(svc, "address", addr_format(&f->key.orig, buf,
		    sizeof(buf)));
		jint(svc, "port", f->key.orig_port);
	}
	json_object_object_add(o, "service", svc);
	jstr(o, "dnsName", f->dns_name);
	jint(o, "count", (int64_t)f->count);
	jint(o, "bytes", (int64_t)f->bytes);
	jtime(o, "firstSeen", f->first_seen);
	jtime(o, "lastSeen", f->last_seen);
	if (in->check != NULL) {
		jstr(o, "verdict", npeval_verdict_name(
		    in->check->flow_verdict[i]));
		json_object_object_add(o, "notes",
		    check_fmt_notes_json(in->check->flow_notes[i]));
	}
	return o;
}

/* ---- workloads --------------------------------------------------------- */

static json_object *
selecting(const struct report_input *in, const struct index_workload *wl,
    int dir, size_t *count)
{
	json_object *a = json_object_new_array();
	struct npeval_ep ep;
	size_t idx[64], n, i;
	char buf[IDLEN];

	check_ep_workload(wl, &ep);
	n = npeval_select(in->policies, &ep, dir, idx, 64);
	*count = n;
	for (i = 0; i < n && i < 64; i++) {
		snprintf(buf, sizeof(buf), "%s/%s",
		    npeval_policy_namespace(in->policies, idx[i]),
		    npeval_policy_name(in->policies, idx[i]));
		json_object_array_add(a, json_object_new_string(buf));
	}
	return a;
}

static json_object *
workload_json(const struct report_input *in, const struct index_workload *w,
    json_object *unselected)
{
	json_object *o = json_object_new_object(), *obs, *pol, *u;
	size_t nin = 0, nout = 0;
	char buf[IDLEN];

	jstr(o, "id", check_fmt_workload(w, buf, sizeof(buf)));
	jstr(o, "namespace", w->namespace_);
	jstr(o, "kind", w->kind);
	jstr(o, "name", w->name);
	jbool(o, "hostNetwork", w->host_network);
	json_object_object_add(o, "labels", w->labels ?
	    json_object_get(w->labels) : json_object_new_object());
	obs = json_object_new_object();
	jtime(obs, "startedAt", w->started_at);
	jtime(obs, "firstSeen", w->first_seen);
	jtime(obs, "lastSeen", w->last_seen);
	jtime(obs, "observedFrom", w->observed_from);
	jtime(obs, "observedTo", w->observed_to);
	jint(obs, "observedSeconds", w->observed_to > w->observed_from &&
	    w->observed_from > 0 ? w->observed_to - w->observed_from : 0);
	jbool(obs, "predatesRecording", w->predates_recording);
	json_object_object_add(o, "observation", obs);
	if (in->policies != NULL) {
		pol = json_object_new_object();
		json_object_object_add(pol, "ingress",
		    selecting(in, w, NPEVAL_INGRESS, &nin));
		json_object_object_add(pol, "egress",
		    selecting(in, w, NPEVAL_EGRESS, &nout));
		json_object_object_add(o, "policies", pol);
		/* hostNetwork pods are never selected: not a finding. */
		if ((nin == 0 || nout == 0) && !w->host_network) {
			u = json_object_new_object();
			jstr(u, "workload", buf);
			jstr(u, "namespace", w->namespace_);
			jstr(u, "kind", w->kind);
			jstr(u, "name", w->name);
			jbool(u, "ingress", nin == 0);
			jbool(u, "egress", nout == 0);
			json_object_array_add(unselected, u);
		}
	}
	/* The names -o cilium and -o clusternetworkpolicy write. */
	json_object_object_add(o, "egressNames", policygen_egress_names(in->idx,
	    w));
	json_object_object_add(o, "ingress", json_object_new_array());
	json_object_object_add(o, "egress", json_object_new_array());
	return o;
}

/* ---- addresses --------------------------------------------------------- */

static int
addr_flow_cmp(const void *x, const void *y)
{
	const struct flow *a = *(const struct flow *const *)x;
	const struct flow *b = *(const struct flow *const *)y;
	int c;

	if ((c = addr_cmp(&a->key.peer, &b->key.peer)) != 0)
		return c;
	return a->key.peer_kind - b->key.peer_kind;
}

static void
add_unique(json_object *a, const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0')
		return;
	for (i = 0; i < json_object_array_length(a); i++)
		if (strcmp(json_object_get_string(
		    json_object_array_get_idx(a, i)), s) == 0)
			return;
	json_object_array_add(a, json_object_new_string(s));
}

/* Every other name the subject of f resolved to its address. */
static void
add_names(const struct index *idx, const struct flow *f, json_object *dns)
{
	size_t first, n, i;

	if (f->key.peer.family == 0)
		return;
	n = index_dns_names(idx, index_subject(idx, f), &f->key.peer, &first);
	for (i = first; i < first + n; i++)
		add_unique(dns, index_dns_name(idx, i));
}

static json_object *
address_json(const struct report_input *in, const struct flow **run,
    size_t n)
{
	json_object *o = json_object_new_object(), *dns, *ports, *wls, *dirs;
	const struct ks_entry *ks = NULL;
	const struct flow *f = run[0];
	char buf[IDLEN];
	uint64_t count = 0;
	int64_t last = 0;
	size_t i;

	jstr(o, "type", flow_peer_kind_name(f->key.peer_kind));
	jstr(o, "address", f->key.peer.family ?
	    addr_format(&f->key.peer, buf, sizeof(buf)) : "");
	jstr(o, "class", report_classify(in, f->key.peer_kind, &f->key.peer));
	dns = json_object_new_array();
	ports = json_object_new_array();
	wls = json_object_new_array();
	dirs = json_object_new_array();
	for (i = 0; i < n; i++) {
		add_unique(dns, run[i]->dns_name);
		add_names(in->idx, run[i], dns);
		add_unique(ports, check_fmt_port(run[i]->key.protocol,
		    run[i]->key.port, buf, sizeof(buf)));
		add_unique(wls, check_fmt_workload(index_subject(in->idx,
		    run[i]), buf, sizeof(buf)));
		add_unique(dirs, flow_direction_name(run[i]->key.direction));
		count += run[i]->count;
		if (run[i]->last_seen > last)
			last = run[i]->last_seen;
	}
	if (in->ks != NULL && f->key.peer.family != 0)
		ks = ks_match(in->ks, &f->key.peer);
	json_object_object_add(o, "dnsNames", dns);
	json_object_object_add(o, "knownServer", ks_json(ks));
	/* Resolves to nothing: no name was resolved to it and no
	 * KnownServer covers it. */
	jbool(o, "unnamed", json_object_array_length(dns) == 0 && ks == NULL &&
	    f->key.peer_kind != FLOW_PEER_NODE);
	json_object_object_add(o, "directions", dirs);
	json_object_object_add(o, "ports", ports);
	json_object_object_add(o, "workloads", wls);
	jint(o, "count", (int64_t)count);
	jtime(o, "lastSeen", last);
	return o;
}

static json_object *
addresses_json(const struct report_input *in, size_t *nunnamed)
{
	json_object *a = json_object_new_array(), *e;
	const struct flow **v;
	size_t i, j, n = 0, nflows = index_nflows(in->idx);

	*nunnamed = 0;
	if ((v = calloc(nflows + 1, sizeof(*v))) == NULL)
		return a;
	for (i = 0; i < nflows; i++)
		if (index_flow(in->idx, i)->key.peer_kind != FLOW_PEER_WORKLOAD)
			v[n++] = index_flow(in->idx, i);
	sort_n(v, n, sizeof(*v), addr_flow_cmp);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && addr_flow_cmp(&v[i], &v[j]) == 0; j++)
			;
		e = address_json(in, &v[i], j - i);
		if (json_object_get_boolean(member(e, "unnamed")))
			(*nunnamed)++;
		json_object_array_add(a, e);
	}
	free(v);
	return a;
}

/*
 * Pods that were running before they were recorded, adopted by
 * netpol-recorderd: how many are now, how many adoptions and releases so
 * far (from the counters); NULL when the stores never adopted any.
 */
static json_object *
adoption_json(json_object *counters)
{
	static const struct {
		const char *counter, *key;
	} k[] = {
		{ "pods_adopted", "podsAdoptedNow" },
		{ "adoptions", "adoptions" },
		{ "adoption_releases", "releases" },
	};
	json_object *o, *v;

	if (!json_object_object_get_ex(counters, "pods_adopted", NULL) &&
	    !json_object_object_get_ex(counters, "adoptions", NULL))
		return NULL;
	o = json_object_new_object();
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++)
		jint(o, k[i].key, json_object_object_get_ex(counters,
		    k[i].counter, &v) ? json_object_get_int64(v) : 0);
	return o;
}

/* ---- the whole ---------------------------------------------------------- */

static json_object *
policies_json(const struct report_input *in)
{
	json_object *o, *paths, *items, *p;
	size_t i;

	if (in->policies == NULL)
		return NULL;
	o = json_object_new_object();
	jint(o, "count", (int64_t)npeval_set_count(in->policies));
	paths = json_object_new_array();
	for (i = 0; i < in->npolicy_paths; i++)
		json_object_array_add(paths,
		    json_object_new_string(in->policy_paths[i]));
	json_object_object_add(o, "paths", paths);
	items = json_object_new_array();
	for (i = 0; i < npeval_set_count(in->policies); i++) {
		p = json_object_new_object();
		jstr(p, "namespace", npeval_policy_namespace(in->policies, i));
		jstr(p, "name", npeval_policy_name(in->policies, i));
		jstr(p, "source", npeval_policy_source(in->policies, i));
		jbool(p, "ingress", npeval_policy_has_dir(in->policies, i,
		    NPEVAL_INGRESS));
		jbool(p, "egress", npeval_policy_has_dir(in->policies, i,
		    NPEVAL_EGRESS));
		json_object_array_add(items, p);
	}
	json_object_object_add(o, "items", items);
	return o;
}

static json_object *
header_json(const struct report_input *in, json_object *root)
{
	json_object *o, *a, *c;
	size_t i;
	int64_t lost = 0, since = index_since(in->idx),
	    until = index_until(in->idx);

	jint(root, "schemaVersion", REPORT_SCHEMA_VERSION);
	jstr(root, "kind", "NetpolRecordReport");
	jtime(root, "generatedAt", in->generated_at);
	o = json_object_new_object();
	json_object_object_add(o, "namespace", in->namespace_ ?
	    json_object_new_string(in->namespace_) : NULL);
	json_object_object_add(root, "scope", o);
	a = json_object_new_array();
	for (i = 0; i < in->nstores; i++)
		json_object_array_add(a, json_object_new_string(in->stores[i]));
	json_object_object_add(root, "stores", a);
	/* The cluster read, when it was one (stores: absent). */
	if (in->cluster != NULL)
		jstr(root, "cluster", in->cluster);
	o = json_object_new_object();
	jtime(o, "since", since);
	jtime(o, "until", until);
	jtime(o, "recordingStarted", index_recording_started(in->idx));
	jint(o, "seconds", until > since && since > 0 ? until - since : 0);
	json_object_object_add(root, "window", o);
	o = json_object_new_object();
	c = json_object_new_object();
	for (i = 0; i < index_ncounters(in->idx); i++) {
		jint(c, index_counter_name(in->idx, i),
		    index_counter_value(in->idx, i));
		if (strcmp(index_counter_name(in->idx, i), "events_lost") == 0)
			lost = index_counter_value(in->idx, i);
	}
	jint(o, "eventsLost", lost);
	json_object_object_add(o, "counters", c);
	/* Only for stores that adopted pods: the others' reports stay as
	 * they were. */
	if ((a = adoption_json(c)) != NULL)
		json_object_object_add(o, "adoption", a);
	json_object_object_add(root, "completeness", o);
	o = json_object_new_object();
	json_object_object_add(o, "podCIDRs", cidr_array(in->pod_cidrs,
	    in->npod_cidrs));
	json_object_object_add(o, "serviceCIDRs", cidr_array(in->svc_cidrs,
	    in->nsvc_cidrs));
	json_object_object_add(root, "clusterRanges", o);
	json_object_object_add(root, "policies", policies_json(in));
	/* Filled in last; added now so that it comes early in the text. */
	json_object_object_add(root, "summary", NULL);
	return root;
}

/* Subjects into namespaces; flows into their subject's lists. */
static json_object *
namespaces_json(const struct report_input *in, json_object **wjs,
    json_object *unselected, size_t *nwl)
{
	json_object *nss = json_object_new_array(), *ns = NULL, *list = NULL;
	const struct index_workload *w;
	const char *cur = NULL;
	size_t i;

	*nwl = 0;
	for (i = 0; i < index_nworkloads(in->idx); i++) {
		w = index_workload(in->idx, i);
		if (!w->subject)
			continue;
		if (cur == NULL || strcmp(cur, w->namespace_) != 0) {
			ns = json_object_new_object();
			jstr(ns, "name", w->namespace_);
			list = json_object_new_array();
			json_object_object_add(ns, "workloads", list);
			json_object_array_add(nss, ns);
			cur = w->namespace_;
		}
		wjs[w->index] = workload_json(in, w, unselected);
		json_object_array_add(list, wjs[w->index]);
		(*nwl)++;
	}
	for (i = 0; i < index_nflows(in->idx); i++) {
		const struct flow *f = index_flow(in->idx, i);

		if (wjs[f->key.subject] == NULL)
			continue;
		json_object_array_add(member(wjs[f->key.subject],
		    flow_direction_name(f->key.direction)),
		    flow_json(in, f, i));
	}
	return nss;
}

/* What the sources know is missing (index_note), each prefixed with
 * what it is about: "shop: ...", "shop/Deployment/web: ...". */
static void
notes_json(const struct report_input *in, json_object *a)
{
	const struct index_note *n;
	char *s;
	size_t i;
	int rc;

	for (i = 0; i < index_nnotes(in->idx); i++) {
		n = index_note(in->idx, i);
		if (n->kind != NULL)
			rc = asprintf(&s, "%s/%s/%s: %s", n->namespace_ ?
			    n->namespace_ : "", n->kind, n->name, n->text);
		else if (n->namespace_ != NULL)
			rc = asprintf(&s, "%s: %s", n->namespace_, n->text);
		else
			rc = asprintf(&s, "%s", n->text);
		if (rc < 0)
			continue;
		json_object_array_add(a, json_object_new_string(s));
		free(s);
	}
}

static void
warnings_json(const struct report_input *in, json_object *root,
    size_t npredate, size_t nicmp)
{
	json_object *a = json_object_new_array();
	int64_t lost = json_object_get_int64(member(member(root,
	    "completeness"), "eventsLost"));
	char buf[256];

	if (lost > 0) {
		snprintf(buf, sizeof(buf), "%lld conntrack events were lost "
		    "while recording: some connections may be missing",
		    (long long)lost);
		json_object_array_add(a, json_object_new_string(buf));
	}
	if (npredate > 0) {
		snprintf(buf, sizeof(buf), "%zu workload%s already running "
		    "when recording started: %s earliest connections may be "
		    "missing", npredate, npredate == 1 ? " was" : "s were",
		    npredate == 1 ? "its" : "their");
		json_object_array_add(a, json_object_new_string(buf));
	}
	if (nicmp > 0) {
		snprintf(buf, sizeof(buf), "%zu ICMP flow%s cannot be "
		    "expressed in a NetworkPolicy (rules without ports allow "
		    "them) nor a ClusterNetworkPolicy; export -o cilium "
		    "writes them (icmps)", nicmp, nicmp == 1 ? "" : "s");
		json_object_array_add(a, json_object_new_string(buf));
	}
	if (in->policies != NULL) {
		json_object *lint = check_lint(in->policies, in->pod_cidrs,
		    in->npod_cidrs, in->svc_cidrs, in->nsvc_cidrs);
		size_t i;

		for (i = 0; lint != NULL && i < json_object_array_length(lint);
		    i++)
			json_object_array_add(a, json_object_get(
			    json_object_array_get_idx(lint, i)));
		json_object_put(lint);
	}
	if (index_since(in->idx) == 0 && index_until(in->idx) == 0)
		json_object_array_add(a, json_object_new_string("nothing was "
		    "recorded in this window"));
	notes_json(in, a);
	json_object_object_add(root, "warnings", a);
}

json_object *
report_build(const struct report_input *in)
{
	json_object *root = json_object_new_object(), *unselected, *denied;
	json_object **wjs = NULL, *sum, *d, *pj;
	struct report_allow allow = { .wl = NULL };
	size_t i, nwl, nunnamed, npredate = 0, nicmp = 0, nns;

	if (root == NULL || (wjs = calloc(index_nworkloads(in->idx) + 1,
	    sizeof(*wjs))) == NULL) {
		json_object_put(root);
		return NULL;
	}
	header_json(in, root);
	unselected = json_object_new_array();
	json_object_object_add(root, "namespaces", namespaces_json(in, wjs,
	    unselected, &nwl));
	nns = json_object_array_length(member(root, "namespaces"));
	json_object_object_add(root, "addresses",
	    addresses_json(in, &nunnamed));
	denied = json_object_new_array();
	for (i = 0; in->check != NULL && i < in->check->ndenials; i++) {
		const struct check_denial *cd = &in->check->denials[i];

		d = check_fmt_denial_json(in->policies, cd);
		pj = member(d, "peer");
		if (cd->peer.kind != FLOW_PEER_WORKLOAD)
			jstr(pj, "class", report_classify(in, cd->peer.kind,
			    &cd->peer.addr));
		json_object_object_add(d, "allowRule",
		    report_allow_rule(in, cd, &allow));
		json_object_array_add(denied, d);
	}
	report_allow_clear(&allow);
	json_object_object_add(root, "denied", denied);
	json_object_object_add(root, "unselected", unselected);
	for (i = 0; i < index_nworkloads(in->idx); i++)
		if (index_workload(in->idx, i)->subject &&
		    index_workload(in->idx, i)->predates_recording)
			npredate++;
	for (i = 0; i < index_nflows(in->idx); i++)
		if (index_flow(in->idx, i)->key.protocol == IPPROTO_ICMP ||
		    index_flow(in->idx, i)->key.protocol == IPPROTO_ICMPV6)
			nicmp++;
	sum = json_object_new_object();
	jint(sum, "namespaces", (int64_t)nns);
	jint(sum, "workloads", (int64_t)nwl);
	jint(sum, "flows", (int64_t)index_nflows(in->idx));
	jint(sum, "addresses", (int64_t)json_object_array_length(
	    member(root, "addresses")));
	jint(sum, "unnamedAddresses", (int64_t)nunnamed);
	jint(sum, "denied", in->check ? (int64_t)in->check->ndenied : 0);
	jint(sum, "unresolved", in->check ?
	    (int64_t)in->check->nunresolved : 0);
	jint(sum, "unselected", (int64_t)json_object_array_length(unselected));
	json_object_object_add(root, "summary", sum);
	json_object_object_add(root, "notes", check_fmt_notes_json(in->check ?
	    in->check->notes : 0));
	warnings_json(in, root, npredate, nicmp);
	free(wjs);
	return root;
}
