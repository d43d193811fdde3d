/*
 * format_networkpolicy: networking.k8s.io/v1 NetworkPolicies as YAML
 * documents (-o yaml, the default) or JSON (-o json, a List when several).
 */
#include "cli/gen/gen.h"

#include <errno.h>

#include "cli/gen/policygen.h"

static int
build(const struct index *idx, const struct index_workload *wl,
    const struct policygen_opts *o, struct policygen_result *r,
    json_object **doc)
{
	int rc;

	if ((rc = policygen_build(idx, wl, o, r)) < 0)
		return rc;
	*doc = json_object_get(r->policy);
	return 0;
}

const struct gen_format gen_format_yaml = {
	.name = "yaml",
	.help = "NetworkPolicies as YAML documents (the default)",
	.notes = true,
	.kind = "NetworkPolicy",
	.build = build,
};

const struct gen_format gen_format_json = {
	.name = "json",
	.help = "NetworkPolicies as JSON (a List when several)",
	.json = true,
	.notes = true,
	.kind = "NetworkPolicy",
	.build = build,
};
