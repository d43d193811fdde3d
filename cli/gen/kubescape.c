/*
 * kubescape: pieces of Kubescape's objects (see kubescape.h).
 */
#include "cli/gen/kubescape.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/gen/policygen.h"
#include "lib/sort.h"
#include "lib/store.h"

/* ---- metadata ------------------------------------------------------------ */

static const char *
api_group(const char *kind)
{
	static const struct {
		const char *kind, *group;
	} groups[] = {
		{ "Deployment", "apps" }, { "StatefulSet", "apps" },
		{ "DaemonSet", "apps" }, { "ReplicaSet", "apps" },
		{ "Job", "batch" }, { "CronJob", "batch" },
	};
	size_t i;

	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (strcmp(kind, groups[i].kind) == 0)
			return groups[i].group;
	return "";
}

json_object *
kubescape_meta(const struct index_workload *wl, bool status)
{
	json_object *meta = json_object_new_object(),
	    *labels = json_object_new_object(), *ann;
	char name[2 * STORE_NAME_LEN], kind[STORE_KIND_LEN];

	policygen_add_str(meta, "name", policygen_name(wl, name, sizeof(name)));
	policygen_add_str(meta, "namespace", wl->namespace_);
	policygen_lower_copy(kind, sizeof(kind), wl->kind);
	policygen_add_str(labels, "kubescape.io/workload-api-group",
	    api_group(wl->kind));
	policygen_add_str(labels, "kubescape.io/workload-api-version", "v1");
	policygen_add_str(labels, "kubescape.io/workload-kind", kind);
	policygen_add_str(labels, "kubescape.io/workload-name", wl->name);
	policygen_add_str(labels, "kubescape.io/workload-namespace",
	    wl->namespace_);
	policygen_obj_add(meta, "labels", labels);
	if (status) {
		ann = json_object_new_object();
		policygen_add_str(ann, "kubescape.io/status",
		    wl->predates_recording ? "partial" : "complete");
		policygen_obj_add(meta, "annotations", ann);
	}
	return meta;
}

json_object *
kubescape_object(const struct index_workload *wl, const char *kind,
    json_object **spec)
{
	json_object *doc = json_object_new_object(), *v;

	policygen_add_str(doc, "apiVersion", KUBESCAPE_API_VERSION);
	policygen_add_str(doc, "kind", kind);
	policygen_obj_add(doc, "metadata", kubescape_meta(wl, true));
	*spec = json_object_new_object();
	if (json_object_object_get_ex(wl->selector, "matchLabels", &v))
		policygen_obj_add(*spec, "matchLabels", json_object_get(v));
	else
		policygen_obj_add(*spec, "matchLabels",
		    json_object_new_object());
	if (json_object_object_get_ex(wl->selector, "matchExpressions", &v))
		policygen_obj_add(*spec, "matchExpressions",
		    json_object_get(v));
	policygen_obj_add(doc, "spec", *spec);
	return doc;
}

/* ---- entries ----------------------------------------------------------------- */

/* Two FNV-1a 64 passes with different bases: 32 hex digits, stable
 * across runs and machines. */
static void
ident(const char *s, char out[33])
{
	uint64_t h1 = 0xcbf29ce484222325ULL, h2 = 0x84222325cbf29ce4ULL;

	for (; *s; s++) {
		h1 = (h1 ^ (unsigned char)*s) * 0x100000001b3ULL;
		h2 = (h2 ^ (unsigned char)*s) * 0x100000001b3ULL;
		h2 ^= h2 >> 29;
	}
	snprintf(out, 33, "%016llx%016llx", (unsigned long long)h1,
	    (unsigned long long)h2);
}

/* Every name resolved to t's address (a new array); NULL when none. */
static json_object *
dns_names(const struct index *idx, const struct index_workload *wl,
    const struct policygen_tup *t)
{
	json_object *a;
	size_t first, n, i;

	if ((n = index_dns_names(idx, wl, &t->seen, &first)) == 0)
		return NULL;
	a = json_object_new_array();
	for (i = first; i < first + n; i++)
		json_object_array_add(a, json_object_new_string(
		    index_dns_name(idx, i)));
	return a;
}

static json_object *
entry_json(const struct index *idx, const struct index_workload *wl,
    const struct policygen_tupv *tv, size_t first, size_t n, bool names)
{
	const struct policygen_tup *t = &tv->v[first], *best = t;
	json_object *e = json_object_new_object(), *ports, *p, *ps, *nss, *dn;
	char a[ADDR_STRLEN], pname[32], id[33], *key = NULL;
	bool internal = t->pk == POLICYGEN_TUP_WORKLOAD;
	size_t i;

	for (i = first; i < first + n; i++)
		if (*tv->v[i].dns != '\0' && (*best->dns == '\0' ||
		    tv->v[i].last_seen >= best->last_seen))
			best = &tv->v[i];
	if (internal) {
		ps = json_object_get(t->wl->selector);
		nss = strcmp(t->wl->namespace_, wl->namespace_) != 0 ?
		    policygen_ns_selector(t->wl->namespace_) : NULL;
		a[0] = '\0';
	} else {
		ps = nss = NULL;
		addr_format(&t->seen, a, sizeof(a));
	}
	if (asprintf(&key, "%s|%s|%s|%s|%s", internal ? "internal" :
	    "external", a, internal ? "" : best->dns,
	    ps ? json_object_to_json_string(ps) : "",
	    nss ? json_object_to_json_string(nss) : "") < 0)
		key = NULL;
	ident(key ? key : "", id);
	free(key);
	policygen_add_str(e, "identifier", id);
	policygen_add_str(e, "type", internal ? "internal" : "external");
	policygen_add_str(e, "dns", internal ? "" : best->dns);
	if (names && !internal && (dn = dns_names(idx, wl, t)) != NULL)
		policygen_obj_add(e, "dnsNames", dn);
	policygen_add_str(e, "ipAddress", a);
	policygen_obj_add(e, "podSelector", ps);
	policygen_obj_add(e, "namespaceSelector", nss);
	ports = json_object_new_array();
	for (i = first; i < first + n; i++) {
		t = &tv->v[i];
		if (!t->has_port || (i > first &&
		    policygen_tup_same_port(t, &tv->v[i - 1])))
			continue;
		p = json_object_new_object();
		snprintf(pname, sizeof(pname), "%s-%u",
		    policygen_proto_name(t->proto), t->port);
		policygen_add_str(p, "name", pname);
		policygen_obj_add(p, "port", json_object_new_int(t->port));
		policygen_add_str(p, "protocol",
		    policygen_proto_name(t->proto));
		json_object_array_add(ports, p);
	}
	policygen_obj_add(e, "ports", ports);
	return e;
}

/*
 * Add entry e to arr, or (two workloads with one selector: the same
 * identifier, which Kubescape merges by) its ports to the earlier entry
 * of that identifier. Only the internal entries before it (nint) can
 * have it: an external one names its address.
 */
static void
entry_add(json_object *arr, json_object *e, size_t nint)
{
	json_object *prev, *ports, *p;
	const char *id = json_object_get_string(json_object_object_get(e,
	    "identifier"));
	size_t i, j, k;

	for (i = 0; i < nint; i++) {
		prev = json_object_array_get_idx(arr, i);
		if (strcmp(id, json_object_get_string(json_object_object_get(
		    prev, "identifier"))) != 0)
			continue;
		ports = json_object_object_get(prev, "ports");
		p = json_object_object_get(e, "ports");
		for (j = 0; j < json_object_array_length(p); j++) {
			for (k = 0; k < json_object_array_length(ports); k++)
				if (json_object_equal(json_object_array_get_idx(
				    p, j), json_object_array_get_idx(ports, k)))
					break;
			if (k == json_object_array_length(ports))
				json_object_array_add(ports, json_object_get(
				    json_object_array_get_idx(p, j)));
		}
		json_object_put(e);
		return;
	}
	json_object_array_add(arr, e);
}

json_object *
kubescape_entries(const struct index *idx, const struct index_workload *wl,
    int direction, const struct policygen_opts *o, bool names)
{
	const struct flow *f;
	struct policygen_tupv tv = { 0 };
	struct policygen_tup t;
	json_object *arr = json_object_new_array();
	size_t first, n, i, j;

	if (!(direction == FLOW_EGRESS ? o->egress : o->ingress))
		return arr;

	n = index_flows_of(idx, wl, &first);
	for (i = first; i < first + n; i++) {
		f = index_flow(idx, i);
		if (f->key.direction != direction)
			continue;
		memset(&t, 0, sizeof(t));
		if (f->key.peer_kind == FLOW_PEER_WORKLOAD) {
			t.pk = POLICYGEN_TUP_WORKLOAD;
			t.wl = index_peer(idx, f);
		} else if (f->key.peer.family != 0) {
			policygen_tup_addr(&t, &f->key.peer, NULL, false);
		} else {
			continue;	/* nothing to name it by */
		}
		t.proto = f->key.protocol;
		t.port = f->key.port;
		t.has_port = policygen_port_proto(f->key.protocol) &&
		    f->key.port != 0;
		t.dns = f->dns_name;
		t.last_seen = f->last_seen;
		if (policygen_tupv_add(&tv, &t) < 0)
			goto out;
	}
	sort_n(tv.v, tv.n, sizeof(*tv.v), policygen_tup_cmp);
	for (i = 0; i < tv.n; i = j) {
		for (j = i + 1; j < tv.n &&
		    policygen_tup_peer_cmp(&tv.v[i], &tv.v[j]) == 0; j++)
			;
		entry_add(arr, entry_json(idx, wl, &tv, i, j - i, names),
		    tv.v[i].pk == POLICYGEN_TUP_WORKLOAD ?
		    json_object_array_length(arr) : 0);
	}
out:
	free(tv.v);
	return arr;
}
