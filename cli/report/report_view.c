/*
 * report_view: the report's JSON model read once into typed structs (see
 * report.h). The string keys of the schema (cli/REPORT.md) are read here
 * and nowhere else; the renderers read the structs.
 *
 * The arrays live in an arena freed at once with the view; the strings
 * are the model's, kept alive by the view's reference to it.
 */
#include "cli/report/report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/eval/np.h"

/* ---- the arena ---------------------------------------------------------- */

struct report_arena {
	struct report_arena *next;
	size_t used, size;
	max_align_t data[];
};

#define ARENA_CHUNK (64 * 1024)

/* n zeroed bytes from the view's arena; NULL when out of memory. */
static void *
aalloc(struct report_view *v, size_t n)
{
	struct report_arena *a = v->arena;
	size_t sz;
	void *p;

	n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) *
	    sizeof(max_align_t);
	if (n == 0)
		return NULL;
	if (a == NULL || a->size - a->used < n) {
		sz = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		if ((a = calloc(1, sizeof(*a) + sz)) == NULL)
			return NULL;
		a->size = sz;
		a->next = v->arena;
		v->arena = a;
	}
	p = (char *)a->data + a->used;
	a->used += n;
	return p;
}

/* ---- reading JSON -------------------------------------------------------- */

/* A reader: the view and whether an allocation failed. */
struct rd {
	struct report_view *v;
	bool oom;
};

static const char *
str(json_object *o, const char *key)
{
	json_object *v = np_get(o, key);

	return v != NULL ? json_object_get_string(v) : "";
}

static int64_t
num(json_object *o, const char *key)
{
	json_object *v = np_get(o, key);

	return v != NULL ? json_object_get_int64(v) : 0;
}

static bool
boolean(json_object *o, const char *key)
{
	return json_object_get_boolean(np_get(o, key));
}

static size_t
alen(json_object *a)
{
	return a != NULL && json_object_is_type(a, json_type_array) ?
	    json_object_array_length(a) : 0;
}

/* n zeroed elements of size sz; NULL (and r->oom) on failure, NULL for
 * n == 0. */
static void *
array(struct rd *r, size_t n, size_t sz)
{
	void *p;

	if (n == 0)
		return NULL;
	if ((p = aalloc(r->v, n * sz)) == NULL)
		r->oom = true;
	return p;
}

static struct report_strs
strs(struct rd *r, json_object *a)
{
	struct report_strs s = { .n = alen(a) };
	size_t i;

	if ((s.v = array(r, s.n, sizeof(*s.v))) == NULL) {
		s.n = 0;
		return s;
	}
	for (i = 0; i < s.n; i++)
		s.v[i] = json_object_get_string(json_object_array_get_idx(a,
		    i));
	return s;
}

/* ---- the names of the schema --------------------------------------------- */

static const char *const dir_names[] = {
	[REPORT_INGRESS] = "ingress",
	[REPORT_EGRESS] = "egress",
};

static const char *const peer_type_names[] = {
	[REPORT_PEER_WORKLOAD] = "workload",
	[REPORT_PEER_ADDRESS] = "address",
	[REPORT_PEER_NODE] = "node",
	[REPORT_PEER_UNKNOWN] = "unknown",
};

static const char *const class_names[] = {
	[REPORT_CLASS_NONE] = "",
	[REPORT_CLASS_INTERNAL] = "internal",
	[REPORT_CLASS_NODE] = "node",
	[REPORT_CLASS_EXTERNAL] = "external",
	[REPORT_CLASS_UNKNOWN] = "unknown",
};

static const char *const verdict_names[] = {
	[REPORT_VERDICT_NONE] = "",
	[REPORT_VERDICT_ALLOWED] = "allowed",
	[REPORT_VERDICT_DENIED] = "denied",
	[REPORT_VERDICT_UNRESOLVED] = "unresolved",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The index of s in names; def when absent or unknown. */
static int
lookup(const char *const *names, size_t n, const char *s, int def)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (names[i][0] != '\0' && strcmp(names[i], s) == 0)
			return (int)i;
	return def;
}

/* names[i], or "" past the table. */
#define NAME(names, i) \
	((size_t)(i) < NELEM(names) ? (names)[(size_t)(i)] : "")

const char *
report_dir_name(enum report_dir d)
{
	return NAME(dir_names, d);
}

const char *
report_peer_type_name(enum report_peer_type t)
{
	return NAME(peer_type_names, t);
}

const char *
report_class_name(enum report_class c)
{
	return NAME(class_names, c);
}

const char *
report_verdict_name(enum report_verdict vd)
{
	return NAME(verdict_names, vd);
}

static enum report_dir
dir_of(json_object *o, const char *key)
{
	return (enum report_dir)lookup(dir_names, NELEM(dir_names),
	    str(o, key), REPORT_INGRESS);
}

static enum report_class
class_of(json_object *o)
{
	return (enum report_class)lookup(class_names, NELEM(class_names),
	    str(o, "class"), REPORT_CLASS_NONE);
}

static enum report_verdict
verdict_of(json_object *o)
{
	return (enum report_verdict)lookup(verdict_names,
	    NELEM(verdict_names), str(o, "verdict"), REPORT_VERDICT_NONE);
}

/* ---- the parts ----------------------------------------------------------- */

static bool
read_ks(json_object *o, struct report_ks *ks)
{
	json_object *k = np_get(o, "knownServer");

	if (k == NULL)
		return false;
	ks->source = str(k, "source");
	ks->cidr = str(k, "cidr");
	ks->server = str(k, "server");
	ks->name = str(k, "name");
	return true;
}

static void
read_peer(json_object *o, struct report_peer *p)
{
	p->type = (enum report_peer_type)lookup(peer_type_names,
	    NELEM(peer_type_names), str(o, "type"), REPORT_PEER_UNKNOWN);
	p->id = str(o, "id");
	p->namespace_ = str(o, "namespace");
	p->kind = str(o, "kind");
	p->name = str(o, "name");
	p->address = str(o, "address");
	p->class_ = class_of(o);
	p->dns_name = str(o, "dnsName");
	p->has_ks = read_ks(o, &p->ks);
}

static void
read_flow(struct rd *r, json_object *o, const struct report_workload *w,
    enum report_dir d, struct report_flow *f)
{
	json_object *svc = np_get(o, "service");

	f->index = r->v->nflows++;
	f->subject = w;
	f->direction = d;
	read_peer(np_get(o, "peer"), &f->peer);
	snprintf(f->protocol, sizeof(f->protocol), "%s", str(o, "protocol"));
	f->port = num(o, "port");
	f->has_service = svc != NULL;
	f->service_address = str(svc, "address");
	f->service_port = num(svc, "port");
	f->dns_name = str(o, "dnsName");
	f->count = num(o, "count");
	f->bytes = num(o, "bytes");
	f->first_seen = str(o, "firstSeen");
	f->last_seen = str(o, "lastSeen");
	f->verdict = verdict_of(o);
	f->notes = strs(r, np_get(o, "notes"));
}

static void
read_workload(struct rd *r, json_object *o, struct report_workload *w)
{
	json_object *obs = np_get(o, "observation");
	json_object *pol = np_get(o, "policies");
	json_object *a;
	size_t d, i;

	w->id = str(o, "id");
	w->namespace_ = str(o, "namespace");
	w->kind = str(o, "kind");
	w->name = str(o, "name");
	w->host_network = boolean(o, "hostNetwork");
	w->obs.started_at = str(obs, "startedAt");
	w->obs.first_seen = str(obs, "firstSeen");
	w->obs.last_seen = str(obs, "lastSeen");
	w->obs.observed_from = str(obs, "observedFrom");
	w->obs.observed_to = str(obs, "observedTo");
	w->obs.observed_seconds = num(obs, "observedSeconds");
	w->obs.predates_recording = boolean(obs, "predatesRecording");
	w->has_policies = pol != NULL;
	a = np_get(o, "egressNames");
	w->nnames = alen(a);
	if ((w->names = array(r, w->nnames, sizeof(*w->names))) == NULL)
		w->nnames = 0;
	for (i = 0; i < w->nnames; i++) {
		json_object *el = json_object_array_get_idx(a, i);

		w->names[i].name = str(el, "name");
		w->names[i].addresses = strs(r, np_get(el, "addresses"));
	}
	for (d = 0; d < 2; d++) {
		w->policies[d] = strs(r, np_get(pol, dir_names[d]));
		a = np_get(o, dir_names[d]);
		w->nflows[d] = alen(a);
		if ((w->flows[d] = array(r, w->nflows[d],
		    sizeof(*w->flows[d]))) == NULL)
			w->nflows[d] = 0;
		for (i = 0; i < w->nflows[d]; i++)
			read_flow(r, json_object_array_get_idx(a, i), w,
			    (enum report_dir)d, &w->flows[d][i]);
	}
}

static void
read_namespaces(struct rd *r, json_object *a)
{
	struct report_view *v = r->v;
	struct report_namespace *ns;
	json_object *o, *wls;
	size_t i, j;

	v->nnamespaces = alen(a);
	if ((v->namespaces = array(r, v->nnamespaces,
	    sizeof(*v->namespaces))) == NULL)
		v->nnamespaces = 0;
	for (i = 0; i < v->nnamespaces; i++) {
		o = json_object_array_get_idx(a, i);
		ns = &v->namespaces[i];
		ns->name = str(o, "name");
		wls = np_get(o, "workloads");
		ns->nworkloads = alen(wls);
		if ((ns->workloads = array(r, ns->nworkloads,
		    sizeof(*ns->workloads))) == NULL)
			ns->nworkloads = 0;
		for (j = 0; j < ns->nworkloads; j++)
			read_workload(r, json_object_array_get_idx(wls, j),
			    &ns->workloads[j]);
	}
}

static void
read_address(struct rd *r, json_object *o, struct report_address *a)
{
	a->type = (enum report_peer_type)lookup(peer_type_names,
	    NELEM(peer_type_names), str(o, "type"), REPORT_PEER_UNKNOWN);
	a->address = str(o, "address");
	a->class_ = class_of(o);
	a->dns_names = strs(r, np_get(o, "dnsNames"));
	a->has_ks = read_ks(o, &a->ks);
	a->unnamed = boolean(o, "unnamed");
	a->directions = strs(r, np_get(o, "directions"));
	a->ports = strs(r, np_get(o, "ports"));
	a->workloads = strs(r, np_get(o, "workloads"));
	a->count = num(o, "count");
	a->last_seen = str(o, "lastSeen");
}

static void
read_denial(struct rd *r, json_object *o, struct report_denial *d)
{
	d->workload = str(o, "workload");
	d->namespace_ = str(o, "namespace");
	d->kind = str(o, "kind");
	d->name = str(o, "name");
	d->direction = dir_of(o, "direction");
	read_peer(np_get(o, "peer"), &d->peer);
	snprintf(d->protocol, sizeof(d->protocol), "%s", str(o, "protocol"));
	d->port = num(o, "port");
	d->verdict = verdict_of(o);
	d->count = num(o, "count");
	d->first_seen = str(o, "firstSeen");
	d->last_seen = str(o, "lastSeen");
	d->dns_name = str(o, "dnsName");
	d->policies = strs(r, np_get(o, "policies"));
	d->notes = strs(r, np_get(o, "notes"));
	d->allow_policy = str(np_get(o, "allowRule"), "policy");
	d->allow_spec = np_get(np_get(o, "allowRule"), "spec");
}

static void
read_unselected(json_object *o, struct report_unselected *u)
{
	u->workload = str(o, "workload");
	u->namespace_ = str(o, "namespace");
	u->kind = str(o, "kind");
	u->name = str(o, "name");
	u->ingress = boolean(o, "ingress");
	u->egress = boolean(o, "egress");
}

static void
read_policies(struct rd *r, json_object *pol)
{
	struct report_view *v = r->v;
	json_object *items = np_get(pol, "items"), *o;
	size_t i;

	v->has_policies = pol != NULL;
	v->npolicies = num(pol, "count");
	v->policy_paths = strs(r, np_get(pol, "paths"));
	v->npolicy_items = alen(items);
	if ((v->policies = array(r, v->npolicy_items,
	    sizeof(*v->policies))) == NULL)
		v->npolicy_items = 0;
	for (i = 0; i < v->npolicy_items; i++) {
		o = json_object_array_get_idx(items, i);
		v->policies[i].namespace_ = str(o, "namespace");
		v->policies[i].name = str(o, "name");
		v->policies[i].source = str(o, "source");
		v->policies[i].ingress = boolean(o, "ingress");
		v->policies[i].egress = boolean(o, "egress");
	}
}

static void
read_header(struct rd *r, json_object *m)
{
	struct report_view *v = r->v;
	json_object *win = np_get(m, "window");
	json_object *comp = np_get(m, "completeness");
	json_object *c = np_get(comp, "counters"), *sum = np_get(m, "summary");
	json_object *ranges = np_get(m, "clusterRanges");
	size_t i = 0;

	v->generated_at = str(m, "generatedAt");
	v->scope = str(np_get(m, "scope"), "namespace");
	v->stores = strs(r, np_get(m, "stores"));
	v->cluster = np_get(m, "cluster") != NULL ? str(m, "cluster") : NULL;
	v->window.since = str(win, "since");
	v->window.until = str(win, "until");
	v->window.recording_started = str(win, "recordingStarted");
	v->window.seconds = num(win, "seconds");
	v->events_lost = num(comp, "eventsLost");
	if (np_get(comp, "adoption") != NULL) {
		json_object *ad = np_get(comp, "adoption");

		v->has_adoption = true;
		v->adoption.now = num(ad, "podsAdoptedNow");
		v->adoption.adoptions = num(ad, "adoptions");
		v->adoption.releases = num(ad, "releases");
	}
	if (c != NULL && json_object_is_type(c, json_type_object)) {
		v->ncounters = (size_t)json_object_object_length(c);
		if ((v->counters = array(r, v->ncounters,
		    sizeof(*v->counters))) == NULL)
			v->ncounters = 0;
		json_object_object_foreach(c, k, val) {
			if (i == v->ncounters)
				break;
			v->counters[i].name = k;
			v->counters[i++].value = json_object_get_int64(val);
		}
	}
	v->pod_cidrs = strs(r, np_get(ranges, "podCIDRs"));
	v->svc_cidrs = strs(r, np_get(ranges, "serviceCIDRs"));
	read_policies(r, np_get(m, "policies"));
	v->summary.namespaces = num(sum, "namespaces");
	v->summary.workloads = num(sum, "workloads");
	v->summary.flows = num(sum, "flows");
	v->summary.addresses = num(sum, "addresses");
	v->summary.unnamed = num(sum, "unnamedAddresses");
	v->summary.denied = num(sum, "denied");
	v->summary.unresolved = num(sum, "unresolved");
	v->summary.unselected = num(sum, "unselected");
}

int
report_view_new(json_object *model, struct report_view **out)
{
	struct report_view *v;
	struct rd r = { .oom = false };
	json_object *a;
	size_t i;

	*out = NULL;
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return -ENOMEM;
	r.v = v;
	v->model = json_object_get(model);
	read_header(&r, model);
	read_namespaces(&r, np_get(model, "namespaces"));
	a = np_get(model, "addresses");
	v->naddresses = alen(a);
	if ((v->addresses = array(&r, v->naddresses,
	    sizeof(*v->addresses))) == NULL)
		v->naddresses = 0;
	for (i = 0; i < v->naddresses; i++)
		read_address(&r, json_object_array_get_idx(a, i),
		    &v->addresses[i]);
	a = np_get(model, "denied");
	v->ndenied = alen(a);
	if ((v->denied = array(&r, v->ndenied, sizeof(*v->denied))) == NULL)
		v->ndenied = 0;
	for (i = 0; i < v->ndenied; i++)
		read_denial(&r, json_object_array_get_idx(a, i),
		    &v->denied[i]);
	a = np_get(model, "unselected");
	v->nunselected = alen(a);
	if ((v->unselected = array(&r, v->nunselected,
	    sizeof(*v->unselected))) == NULL)
		v->nunselected = 0;
	for (i = 0; i < v->nunselected; i++)
		read_unselected(json_object_array_get_idx(a, i),
		    &v->unselected[i]);
	v->notes = strs(&r, np_get(model, "notes"));
	v->warnings = strs(&r, np_get(model, "warnings"));
	if (r.oom) {
		report_view_free(v);
		return -ENOMEM;
	}
	*out = v;
	return 0;
}

void
report_view_free(struct report_view *v)
{
	struct report_arena *a, *next;

	if (v == NULL)
		return;
	for (a = v->arena; a != NULL; a = next) {
		next = a->next;
		free(a);
	}
	json_object_put(v->model);
	free(v);
}

char *
report_peer_str(const struct report_peer *p, char *buf, size_t len)
{
	if (p->type == REPORT_PEER_WORKLOAD)
		snprintf(buf, len, "%s", p->id);
	else if (p->type == REPORT_PEER_NODE)
		snprintf(buf, len, "node %s", p->address);
	else if (p->type == REPORT_PEER_ADDRESS && p->dns_name[0] != '\0')
		snprintf(buf, len, "%s (%s)", p->address, p->dns_name);
	else if (p->type == REPORT_PEER_ADDRESS && p->has_ks)
		snprintf(buf, len, "%s (%s)", p->address, p->ks.server);
	else if (p->address[0] != '\0')
		snprintf(buf, len, "%s", p->address);
	else
		snprintf(buf, len, "unknown");
	return buf;
}
