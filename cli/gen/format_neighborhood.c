/*
 * format_neighborhood: Kubescape's NetworkNeighborhood (-o neighborhood),
 * the kind that replaced NetworkNeighbors in Kubescape's storage: the
 * workload's selector and one container entry (the recording is per pod,
 * not per container: named after the workload) with the ingress and
 * egress neighbours, each with the singular ipAddress and dns Kubescape's
 * policy generator reads, and dnsNames: every name the pods resolved to
 * the address. Everything recorded, not widened, ICMP (no ports) and
 * nodes included.
 */
#include "cli/gen/gen.h"

#include <errno.h>

#include "cli/gen/kubescape.h"
#include "cli/gen/policygen.h"

static json_object *
neighborhood_doc(const struct index *idx, const struct index_workload *wl,
    const struct policygen_opts *o)
{
	json_object *spec, *c, *cs, *doc = kubescape_object(wl,
	    "NetworkNeighborhood", &spec);

	c = json_object_new_object();
	policygen_add_str(c, "name", wl->name);
	policygen_obj_add(c, "ingress", kubescape_entries(idx, wl,
	    FLOW_INGRESS, o, true));
	policygen_obj_add(c, "egress", kubescape_entries(idx, wl, FLOW_EGRESS,
	    o, true));
	cs = json_object_new_array();
	json_object_array_add(cs, c);
	policygen_obj_add(spec, "containers", cs);
	return doc;
}

static int
build(const struct index *idx, const struct index_workload *wl,
    const struct policygen_opts *o, struct policygen_result *r,
    json_object **doc)
{
	(void)r;	/* nothing is left out, nothing to say */
	*doc = neighborhood_doc(idx, wl, o);
	return *doc != NULL ? 0 : -ENOMEM;
}

const struct gen_format gen_format_neighborhood = {
	.name = "neighborhood",
	.help = "Kubescape NetworkNeighborhood",
	.kind = "NetworkNeighborhood",
	.build = build,
};
