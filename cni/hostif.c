/*
 * hostif: the host-side veth of a pod interface, read with rtnetlink.
 */
#include "cni/hostif.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

struct link_info {
	int ifindex;
	int link;		/* IFLA_LINK: the veth peer's ifindex */
	char name[IFNAMSIZ];
	char kind[16];
};

static int
linkinfo_cb(const struct nlattr *attr, void *data)
{
	struct link_info *li = data;
	const char *s;

	if (mnl_attr_get_type(attr) == IFLA_INFO_KIND &&
	    mnl_attr_validate(attr, MNL_TYPE_STRING) >= 0) {
		s = mnl_attr_get_str(attr);
		snprintf(li->kind, sizeof(li->kind), "%s", s);
	}
	return MNL_CB_OK;
}

static int
link_attr_cb(const struct nlattr *attr, void *data)
{
	struct link_info *li = data;

	switch (mnl_attr_get_type(attr)) {
	case IFLA_IFNAME:
		if (mnl_attr_validate(attr, MNL_TYPE_STRING) >= 0)
			snprintf(li->name, sizeof(li->name), "%s",
			    mnl_attr_get_str(attr));
		break;
	case IFLA_LINK:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
			li->link = (int)mnl_attr_get_u32(attr);
		break;
	case IFLA_LINKINFO:
		if (mnl_attr_validate(attr, MNL_TYPE_NESTED) >= 0)
			mnl_attr_parse_nested(attr, linkinfo_cb, li);
		break;
	}
	return MNL_CB_OK;
}

static int
link_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_info *li = data;
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	li->ifindex = ifm->ifi_index;
	mnl_attr_parse(nlh, sizeof(*ifm), link_attr_cb, li);
	return MNL_CB_OK;
}

/* RTM_GETLINK by name (ifname != NULL) or by index on socket nl. */
static int
get_link(struct mnl_socket *nl, const char *ifname, int ifindex,
    struct link_info *li)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	uint32_t seq = (uint32_t)time(NULL), portid;
	ssize_t n;
	int ret;

	memset(li, 0, sizeof(*li));
	/* libmnl 1.0.4 does not zero an attribute's alignment padding:
	 * without this the kernel gets stack bytes (valgrind says so). */
	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = ifindex;
	if (ifname != NULL)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	portid = mnl_socket_get_portid(nl);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		ret = mnl_cb_run(buf, n, seq, portid, link_msg_cb, li);
		if (ret < 0)
			return errno == ENODEV ? -ENOENT : -errno;
		if (ret == MNL_CB_STOP)
			break;
	}
	return li->ifindex > 0 ? 0 : -ENOENT;
}

static struct mnl_socket *
rtnl_open(void)
{
	struct mnl_socket *nl;
	struct timeval tv = { .tv_sec = 5 };

	if ((nl = mnl_socket_open(NETLINK_ROUTE)) == NULL)
		return NULL;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		mnl_socket_close(nl);
		return NULL;
	}
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv));
	return nl;
}

/* A socket bound to the netns at path: enter, open, come back. A socket
 * keeps the netns it was made in. */
static int
rtnl_open_in(const char *path, struct mnl_socket **out)
{
	int self = -1, target = -1, ret = 0;

	*out = NULL;
	if ((target = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	if ((self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0) {
		ret = -errno;
		goto out;
	}
	if (setns(target, CLONE_NEWNET) < 0) {
		/* Not a netns file (EINVAL) counts as "no such netns". */
		ret = errno == EINVAL ? -ENOENT : -errno;
		goto out;
	}
	if ((*out = rtnl_open()) == NULL)
		ret = -errno;
	if (setns(self, CLONE_NEWNET) < 0 && ret == 0) {
		/* We could not come back: never go on in the pod's netns. */
		ret = -errno;
		mnl_socket_close(*out);
		*out = NULL;
	}
out:
	if (self >= 0)
		close(self);
	close(target);
	return ret;
}

int
hostif_find(const char *netns_path, const char *ifname, struct hostif *out)
{
	struct mnl_socket *pod = NULL, *node = NULL;
	struct link_info pl, hl;
	int ret;

	memset(out, 0, sizeof(*out));
	if (netns_path == NULL || netns_path[0] == '\0' || ifname == NULL ||
	    strlen(ifname) >= IFNAMSIZ)
		return -EINVAL;
	if ((ret = rtnl_open_in(netns_path, &pod)) != 0)
		return ret;
	if ((ret = get_link(pod, ifname, 0, &pl)) != 0)
		goto out;
	snprintf(out->kind, sizeof(out->kind), "%s", pl.kind);
	/* macvlan and ipvlan also have IFLA_LINK: their parent on the host,
	 * which is not the pod's. Only a veth's link is its peer. */
	if (strcmp(pl.kind, "veth") != 0 || pl.link <= 0)
		goto out;
	if ((node = rtnl_open()) == NULL) {
		ret = -errno;
		goto out;
	}
	if (get_link(node, NULL, pl.link, &hl) != 0)
		goto out;	/* the peer is in some other netns */
	/* The cross-check: the node's link is a veth whose peer has the
	 * pod interface's index. */
	if (strcmp(hl.kind, "veth") != 0 || hl.link != pl.ifindex)
		goto out;
	out->ifindex = hl.ifindex;
	snprintf(out->name, sizeof(out->name), "%s", hl.name);
out:
	if (pod != NULL)
		mnl_socket_close(pod);
	if (node != NULL)
		mnl_socket_close(node);
	return ret;
}
