/*
 * format_generated: Kubescape's GeneratedNetworkPolicy, the NetworkPolicy
 * wrapped with the policyRefs of the addresses it names (-o generated).
 */
#include "cli/gen/gen.h"

#include <errno.h>

#include "cli/gen/kubescape.h"
#include "cli/gen/policygen.h"

static json_object *
generated_doc(const struct index_workload *wl,
    const struct policygen_result *r)
{
	json_object *doc = json_object_new_object();

	policygen_add_str(doc, "apiVersion", KUBESCAPE_API_VERSION);
	policygen_add_str(doc, "kind", "GeneratedNetworkPolicy");
	policygen_obj_add(doc, "metadata", kubescape_meta(wl, false));
	policygen_obj_add(doc, "policyRef", json_object_get(r->refs));
	policygen_obj_add(doc, "spec", json_object_get(r->policy));
	return doc;
}

static int
build(const struct index *idx, const struct index_workload *wl,
    const struct policygen_opts *o, struct policygen_result *r,
    json_object **doc)
{
	struct policygen_opts refs = *o;
	int rc;

	refs.refs = true;
	if ((rc = policygen_build(idx, wl, &refs, r)) < 0)
		return rc;
	*doc = generated_doc(wl, r);
	return *doc != NULL ? 0 : -ENOMEM;
}

const struct gen_format gen_format_generated = {
	.name = "generated",
	.help = "Kubescape GeneratedNetworkPolicy",
	.notes = true,
	.kind = "NetworkPolicy",
	.build = build,
};
