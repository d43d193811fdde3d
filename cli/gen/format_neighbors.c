/*
 * format_neighbors: Kubescape's NetworkNeighbors, every recorded peer of a
 * workload by address, not widened, ICMP and nodes included (-o
 * neighbors). Kubescape's storage has replaced the kind with
 * NetworkNeighborhood (-o neighborhood); kept for the tools that read it.
 */
#include "cli/gen/gen.h"

#include <errno.h>

#include "cli/gen/kubescape.h"
#include "cli/gen/policygen.h"

static json_object *
neighbors_doc(const struct index *idx, const struct index_workload *wl,
    const struct policygen_opts *o)
{
	json_object *spec, *doc = kubescape_object(wl, "NetworkNeighbors",
	    &spec);

	policygen_obj_add(spec, "egress", kubescape_entries(idx, wl,
	    FLOW_EGRESS, o, false));
	policygen_obj_add(spec, "ingress", kubescape_entries(idx, wl,
	    FLOW_INGRESS, o, false));
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
	.help = "Kubescape NetworkNeighbors (the older kind)",
	.kind = "NetworkNeighbors",
	.build = build,
};
