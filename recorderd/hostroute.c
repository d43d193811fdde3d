/*
 * hostroute: one RTM_GETROUTE, then one RTM_GETLINK for the interface's
 * kind.
 */
#include "recorderd/hostroute.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <libmnl/libmnl.h>

struct hostroute {
	struct mnl_socket *nl;
	uint32_t seq;
};

struct link {
	char name[IFNAMSIZ];
	char kind[16];
};

static int
route_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *attr;
	int *oif = data;

	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(struct rtmsg))
		if (mnl_attr_get_type(attr) == RTA_OIF &&
		    mnl_attr_get_payload_len(attr) == sizeof(uint32_t))
			*oif = (int)mnl_attr_get_u32(attr);
	return MNL_CB_OK;
}

static int
link_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *attr, *in;
	struct link *l = data;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(struct ifinfomsg)) {
		if (mnl_attr_get_type(attr) == IFLA_IFNAME &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			snprintf(l->name, sizeof(l->name), "%s",
			    mnl_attr_get_str(attr));
		if (mnl_attr_get_type(attr) != IFLA_LINKINFO)
			continue;
		mnl_attr_for_each_nested(in, attr)
			if (mnl_attr_get_type(in) == IFLA_INFO_KIND &&
			    mnl_attr_validate(in, MNL_TYPE_NUL_STRING) == 0)
				snprintf(l->kind, sizeof(l->kind), "%s",
				    mnl_attr_get_str(in));
	}
	return MNL_CB_OK;
}

/* Send nlh and run cb on the answer until its ack. */
static int
talk(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *arg)
{
	char buf[8192];
	uint32_t portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int ret;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		if ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		ret = mnl_cb_run(buf, n, nlh->nlmsg_seq, portid, cb, arg);
		if (ret < 0)
			return -errno;
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

int
hostroute_open(struct hostroute **out)
{
	struct hostroute *h;
	struct timeval tv = { .tv_sec = 2 };
	int ret;

	*out = NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return -ENOMEM;
	if ((h->nl = mnl_socket_open(NETLINK_ROUTE)) == NULL ||
	    mnl_socket_bind(h->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		hostroute_close(h);
		return ret;
	}
	(void)setsockopt(mnl_socket_get_fd(h->nl), SOL_SOCKET, SO_RCVTIMEO,
	    &tv, sizeof(tv));
	h->seq = (uint32_t)time(NULL);
	*out = h;
	return 0;
}

void
hostroute_close(struct hostroute *h)
{
	if (h == NULL)
		return;
	if (h->nl != NULL)
		mnl_socket_close(h->nl);
	free(h);
}

int
hostroute_veth(struct hostroute *h, const struct addr *a, char *name,
    int *ifindex)
{
	char buf[256];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	struct ifinfomsg *ifm;
	struct link l;
	int oif = 0, ret;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++h->seq;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = a->family;
	rtm->rtm_dst_len = a->family == AF_INET ? 32 : 128;
	mnl_attr_put(nlh, RTA_DST, addr_len(a), a->bytes);
	if ((ret = talk(h->nl, nlh, route_cb, &oif)) < 0)
		return ret;
	if (oif <= 0)
		return -ENOENT;
	memset(buf, 0, sizeof(buf));
	memset(&l, 0, sizeof(l));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++h->seq;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_index = oif;
	if ((ret = talk(h->nl, nlh, link_cb, &l)) < 0)
		return ret;
	if (strcmp(l.kind, "veth") != 0 || l.name[0] == '\0')
		return -ENOENT;
	snprintf(name, IFNAMSIZ, "%s", l.name);
	*ifindex = oif;
	return 0;
}
