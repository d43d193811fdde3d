/*
 * adopt: which running pods netpol-recorderd adopts, and which adopted
 * pods it lets go: a pure decision from what the metadata says and the
 * attachments the daemon holds, with no I/O (recorderd/attach.c acts on
 * it: elements, attachments, the store).
 *
 * A pod is adopted when the metadata places it on this node
 * (spec.nodeName), it has its own network (not hostNetwork), it has not
 * finished (phase Succeeded or Failed), it has addresses (podIPs), no
 * live CNI attachment names its uid, and none of its addresses is held by
 * a live CNI attachment or claimed by another pod. The CNI plugin always
 * wins: an adopted pod is let go as soon as a CNI attachment holds one
 * of its addresses (an address handed out again), and an address is
 * never taken from a CNI attachment.
 *
 * An adopted pod stays adopted while it is true: it is let go when its
 * pod is gone from the metadata (deleted, or recreated: a new uid is a
 * new pod), has finished, left this node or its network, or changed
 * addresses (it is then adopted again with the new ones), and all are
 * let go when adoption is off.
 */
#ifndef NPR_ADOPT_H
#define NPR_ADOPT_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/addr.h"
#include "lib/store.h"

/* A pod as the metadata has it (strings borrowed). */
struct adopt_pod {
	const char *namespace_;
	const char *name;
	const char *uid;
	const char *node;		/* spec.nodeName, "" unscheduled */
	bool host_network;
	bool terminated;		/* phase Succeeded or Failed */
	int naddrs;
	struct addr addrs[STORE_MAX_ADDRS];
};

/* An attachment the daemon holds (strings and addresses borrowed). */
struct adopt_att {
	const char *uid;		/* the pod's, "" unknown */
	bool adopted;
	int naddrs;
	const struct addr *addrs;
};

/* Why an adopted pod is let go. */
enum adopt_why {
	ADOPT_GONE,		/* no such pod in the metadata any more */
	ADOPT_FINISHED,		/* phase Succeeded or Failed */
	ADOPT_MOVED,		/* on another node, or host network now */
	ADOPT_READDRESSED,	/* its addresses changed */
	ADOPT_TAKEN,		/* a CNI attachment holds an address */
	ADOPT_ATTACHED,		/* the CNI plugin attached the pod itself */
	ADOPT_OFF,		/* adoption is off */
};

/* The words for why (for logs). */
const char *adopt_why_name(int why);

struct adopt_release {
	size_t att;			/* index into the attachments */
	int why;			/* enum adopt_why */
};

struct adopt_plan {
	struct adopt_release *release;	/* adopted attachments to let go */
	size_t nrelease;
	size_t *adopt;			/* indexes into the pods to adopt */
	size_t nadopt;
	size_t skipped;			/* candidates left out: an address
					 * claimed twice, or held by CNI */
};

/*
 * Decide for this node (node). enabled false: every adopted attachment
 * is let go and nothing adopted. The plan's arrays are the caller's:
 * adopt_plan_free(). 0 or -ENOMEM.
 */
int adopt_decide(const char *node, bool enabled,
    const struct adopt_pod *pods, size_t npods,
    const struct adopt_att *atts, size_t natts, struct adopt_plan *out);

void adopt_plan_free(struct adopt_plan *p);

#endif
