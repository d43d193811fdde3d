/*
 * format_neighbors: Kubescape's NetworkNeighbors, every recorded peer of a
 * workload by address, not widened, ICMP and nodes included (-o
 * neighbors).
 */
#include "cli/gen/gen.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/gen/policygen.h"

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

static json_object *
neighbor_json(const struct index_workload *wl,
    const struct policygen_tupv *tv, size_t first, size_t n)
{
	const struct policygen_tup *t = &tv->v[first], *best = t;
	json_object *e = json_object_new_object(), *ports, *p, *ps, *nss;
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
	policygen_add_str(e, "ipAddress", a);
	policygen_obj_add(e, "podSelector", ps);
	policygen_obj_add(e, "namespaceSelector", nss);
	ports = json_object_new_array();
	for (i = first; i < first + n; i++) {
		t = &tv->v[i];
		if (!t->has_port || (i > first && tv->v[i - 1].has_port &&
		    t->proto == tv->v[i - 1].proto &&
		    t->port == tv->v[i - 1].port))
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

static json_object *
neighbors_dir(const struct index *idx, const struct index_workload *wl,
    int direction)
{
	const struct flow *f;
	struct policygen_tupv tv = { 0 };
	struct policygen_tup t;
	json_object *arr = json_object_new_array();
	size_t first, n, i, j;

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
		t.has_port = policygen_port_proto(f->key.protocol) && f->key.port != 0;
		t.dns = f->dns_name;
		t.last_seen = f->last_seen;
		if (policygen_tupv_add(&tv, &t) < 0)
			goto out;
	}
	policygen_sort(tv.v, tv.n, sizeof(*tv.v), policygen_tup_cmp);
	for (i = 0; i < tv.n; i = j) {
		for (j = i + 1; j < tv.n &&
		    policygen_tup_peer_cmp(&tv.v[i], &tv.v[j]) == 0; j++)
			;
		json_object_array_add(arr, neighbor_json(wl, &tv, i, j - i));
	}
out:
	free(tv.v);
	return arr;
}

static json_object *
neighbors_doc(const struct index *idx, const struct index_workload *wl,
    const struct policygen_opts *o)
{
	json_object *doc = json_object_new_object(), *meta, *ann, *spec, *v;

	policygen_add_str(doc, "apiVersion",
	    "spdx.softwarecomposition.kubescape.io/v1beta1");
	policygen_add_str(doc, "kind", "NetworkNeighbors");
	meta = policygen_kubescape_meta(wl);
	ann = json_object_new_object();
	policygen_add_str(ann, "kubescape.io/status", wl->predates_recording ?
	    "partial" : "complete");
	policygen_obj_add(meta, "annotations", ann);
	policygen_obj_add(doc, "metadata", meta);
	spec = json_object_new_object();
	if (json_object_object_get_ex(wl->selector, "matchLabels", &v))
		policygen_obj_add(spec, "matchLabels", json_object_get(v));
	else
		policygen_obj_add(spec, "matchLabels",
		    json_object_new_object());
	if (json_object_object_get_ex(wl->selector, "matchExpressions", &v))
		policygen_obj_add(spec, "matchExpressions",
		    json_object_get(v));
	policygen_obj_add(spec, "egress", o->egress ?
	    neighbors_dir(idx, wl, FLOW_EGRESS) : json_object_new_array());
	policygen_obj_add(spec, "ingress", o->ingress ?
	    neighbors_dir(idx, wl, FLOW_INGRESS) : json_object_new_array());
	policygen_obj_add(doc, "spec", spec);
	return doc;
}

static int
build(const struct index *idx, const struct index_workload *wl,
    const struct policygen_opts *o, struct policygen_result *r,
    json_object **doc)
{
	(void)r;	/* nothing is left out, nothing to say */
	*doc = neighbors_doc(idx, wl, o);
	return *doc != NULL ? 0 : -ENOMEM;
}

const struct gen_format gen_format_neighbors = {
	.name = "neighbors",
	.help = "Kubescape NetworkNeighbors",
	.build = build,
};
