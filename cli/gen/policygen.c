/*
 * policygen: NetworkPolicy json trees from recorded flows.
 *
 * A workload's flows of one direction become tuples (peer, protocol,
 * port; policygen_tup.c); sorted, they group into peers with their port
 * sets; peers with equal port sets group into rules, ordered by their
 * first peer (policygen_rules.c). This file assembles the policy: spec,
 * metadata, annotations, policyRefs. The Kubescape shapes are in
 * policygen_kubescape.c. Sorting everything makes the same data give the
 * same bytes.
 */
#include "cli/gen/policygen.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/base/timefmt.h"
#include "cli/gen/policygen_rules.h"
#include "cli/gen/policygen_tup.h"
#include "cli/gen/policygen_util.h"
#include "lib/store.h"

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

/* policyRef entries and KnownServer notes from the address tuples. */
static int
refs_and_known(const struct policygen_tupv *tv, bool want_refs,
    struct policygen_result *r)
{
	const struct policygen_tup *t, *best;
	char c[ADDR_CIDR_STRLEN], a[ADDR_STRLEN];
	json_object *ref;
	size_t i, j;
	int rc = 0;

	for (i = 0; i < tv->n; i = j) {
		t = &tv->v[i];
		best = t;
		for (j = i + 1; j < tv->n &&
		    policygen_tup_peer_cmp(t, &tv->v[j]) == 0 &&
		    addr_equal(&t->seen, &tv->v[j].seen); j++)
			if (*tv->v[j].dns != '\0' && (*best->dns == '\0' ||
			    tv->v[j].last_seen >= best->last_seen))
				best = &tv->v[j];
		if (t->pk != POLICYGEN_TUP_CIDR ||
		    (!want_refs && t->ks == NULL))
			continue;
		addr_cidr_format(&t->cidr, c, sizeof(c));
		if (want_refs) {
			ref = json_object_new_object();
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
	struct policygen_tupv tv = { 0 };
	json_object *rules;
	size_t i;
	int rc;

	if ((rc = policygen_tup_collect(idx, wl, direction, o, &tv, r)) < 0)
		goto out;
	policygen_sort(tv.v, tv.n, sizeof(*tv.v), policygen_tup_cmp);
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

static int
add_warnings(const struct index *idx, const struct index_workload *wl,
    const struct policygen_opts *o, struct policygen_result *r)
{
	char t[32], d1[32], d2[32];
	int64_t observed = wl->observed_to - wl->observed_from;
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
	return rc;
}

static json_object *
metadata(const struct index *idx, const struct index_workload *wl,
    const struct policygen_result *r)
{
	json_object *meta = json_object_new_object(),
	    *labels = json_object_new_object(),
	    *ann = json_object_new_object(), *v;
	char name[2 * STORE_NAME_LEN], kind[STORE_KIND_LEN], t[32];

	policygen_add_str(meta, "name", policygen_name(wl, name, sizeof(name)));
	policygen_add_str(meta, "namespace", wl->namespace_);
	policygen_add_str(labels, "app.kubernetes.io/managed-by",
	    "netpol-record");
	policygen_lower_copy(kind, sizeof(kind), wl->kind);
	policygen_add_str(labels, ANN "workload-kind", kind);
	if (strlen(wl->name) <= 63)	/* a label value's limit */
		policygen_add_str(labels, ANN "workload-name", wl->name);
	policygen_obj_add(meta, "labels", labels);
	policygen_add_str(ann, "generated-by", "netpol-record");
	snprintf(name, sizeof(name), "%s/%s", wl->kind, wl->name);
	policygen_add_str(ann, ANN "workload", name);
	policygen_add_str(ann, ANN "since", index_since(idx) ?
	    timefmt_format_time(index_since(idx), t, sizeof(t)) : "unknown");
	policygen_add_str(ann, ANN "until", index_until(idx) ?
	    timefmt_format_time(index_until(idx), t, sizeof(t)) : "unknown");
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
	policygen_obj_add(meta, "annotations", ann);
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
	if (rc < 0) {
		json_object_put(spec);
		goto out;
	}
	policygen_sort(addrs.v, addrs.n, sizeof(*addrs.v),
	    policygen_tup_ref_cmp);
	if ((rc = refs_and_known(&addrs, o->refs, r)) < 0 ||
	    (rc = add_warnings(idx, wl, o, r)) < 0) {
		json_object_put(spec);
		goto out;
	}
	policygen_list_finish(&r->warnings);
	policygen_list_finish(&r->excluded);
	policygen_list_finish(&r->inexpressible);
	policygen_list_finish(&r->known);
	pol = json_object_new_object();
	policygen_add_str(pol, "apiVersion", "networking.k8s.io/v1");
	policygen_add_str(pol, "kind", "NetworkPolicy");
	policygen_obj_add(pol, "metadata", metadata(idx, wl, r));
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
