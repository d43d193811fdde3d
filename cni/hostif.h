/*
 * hostif: find the host side of a pod's interface, as a careful chained
 * plugin does: enter the pod's netns, read the peer ifindex (IFLA_LINK) of
 * its veth, come back, and check that the node has a veth of that index
 * whose own peer is the pod's interface.
 */
#ifndef NPR_HOSTIF_H
#define NPR_HOSTIF_H

#include <net/if.h>

struct hostif {
	char kind[16];		/* the pod interface's link kind: "veth",
				 * "macvlan", "ipvlan", ... ("" unknown) */
	int ifindex;		/* host veth's ifindex, 0 when none */
	char name[IFNAMSIZ];	/* host veth's name, "" when none */
};

/*
 * Fill *out for interface ifname in the netns at netns_path. The calling
 * thread is back in its own netns on return, whatever happened.
 * Returns 0 (out->ifindex 0 when the interface has no host veth: macvlan,
 * ipvlan, or a peer that is not in this netns), -ENOENT when the netns
 * path or the interface does not exist, or another -errno.
 */
int hostif_find(const char *netns_path, const char *ifname,
    struct hostif *out);

#endif
