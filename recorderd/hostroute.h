/*
 * hostroute: the node's interface toward a pod address, for a pod the
 * daemon adopts (no CNI ADD told which veth is its host side). A routed
 * CNI (ptp, Calico) routes each pod address through the pod's own veth:
 * the route lookup names it. A bridge CNI routes the whole network
 * through the bridge: no interface is the pod's, and none is given.
 */
#ifndef NPR_HOSTROUTE_H
#define NPR_HOSTROUTE_H

#include <net/if.h>

#include "lib/addr.h"

struct hostroute;

/* A route netlink socket for the lookups. 0 or -errno. */
int hostroute_open(struct hostroute **out);
void hostroute_close(struct hostroute *h);

/*
 * The veth the node routes a through: its name (IFNAMSIZ bytes) and
 * index. Returns 0, -ENOENT when the route goes through something else
 * (a bridge, a tunnel) or there is none, or -errno of netlink.
 */
int hostroute_veth(struct hostroute *h, const struct addr *a, char *name,
    int *ifindex);

#endif
