#include "recorderd/ctsock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "recorderd/nflog.h"

int
ctsock_set_rcvbuf(int fd, uint64_t bytes, uint64_t *got)
{
	int v = bytes > (1u << 30) ? (1 << 30) : (int)bytes;
	socklen_t sl = sizeof(v);
	int ret = 0;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)) < 0)
		ret = -errno;
	if (got != NULL) {
		v = 0;
		if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &sl) == 0)
			*got = (uint64_t)v;
	}
	return ret;
}

int
ctsock_set_filter(struct mnl_socket *nl, uint32_t mark)
{
	struct nfct_filter *f;
	struct nfct_filter_dump_mark m = { .val = mark, .mask = mark };
	int ret = 0;

	if ((f = nfct_filter_create()) == NULL)
		return -ENOMEM;
	nfct_filter_add_attr(f, NFCT_FILTER_MARK, &m);
	if (nfct_filter_set_logic(f, NFCT_FILTER_MARK,
	    NFCT_FILTER_LOGIC_POSITIVE) < 0 ||
	    nfct_filter_attach(mnl_socket_get_fd(nl), f) < 0)
		ret = errno ? -errno : -EINVAL;
	nfct_filter_destroy(f);
	return ret;
}

static int
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

int
ctsock_open_events(uint32_t mark, bool destroy, uint64_t rcvbuf,
    struct mnl_socket **out)
{
	struct mnl_socket *nl;
	unsigned groups = NF_NETLINK_CONNTRACK_NEW;
	int ret;

	*out = NULL;
	if (destroy)
		groups |= NF_NETLINK_CONNTRACK_DESTROY;
	if ((nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL)
		return -errno;
	/* The filter goes on before the bind so that no unfiltered event
	 * is ever queued. */
	if ((ret = ctsock_set_filter(nl, mark)) < 0 ||
	    (ret = ctsock_set_rcvbuf(mnl_socket_get_fd(nl), rcvbuf,
	    NULL)) < 0)
		goto fail;
	if (mnl_socket_bind(nl, groups, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto fail;
	}
	if ((ret = set_nonblock(mnl_socket_get_fd(nl))) < 0)
		goto fail;
	*out = nl;
	return 0;
fail:
	mnl_socket_close(nl);
	return ret;
}

int
ctsock_build_dump(void *buf, size_t len, uint32_t mark, uint32_t seq)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;

	if (len < 64)
		return -ENOSPC;
	memset(buf, 0, 64);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;	/* IPv4 and IPv6 */
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	/* The kernel filters the dump by mark itself (ctnetlink_filter). */
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(mark));
	mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(mark));
	return (int)nlh->nlmsg_len;
}

int
ctsock_dump_start(uint32_t mark, uint32_t seq, uint64_t rcvbuf,
    struct mnl_socket **out)
{
	char buf[128] = { 0 };
	struct mnl_socket *nl;
	int len, ret;

	*out = NULL;
	if ((len = ctsock_build_dump(buf, sizeof(buf), mark, seq)) < 0)
		return len;
	if ((nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_sendto(nl, buf, (size_t)len) < 0) {
		ret = -errno;
		goto fail;
	}
	(void)ctsock_set_rcvbuf(mnl_socket_get_fd(nl), rcvbuf, NULL);
	if ((ret = set_nonblock(mnl_socket_get_fd(nl))) < 0)
		goto fail;
	*out = nl;
	return 0;
fail:
	mnl_socket_close(nl);
	return ret;
}

int
ctsock_drops(uint32_t portid, uint64_t *out)
{
	char line[512];
	FILE *f;
	int ret = -ENOENT;

	if ((f = fopen("/proc/net/netlink", "re")) == NULL)
		return -errno;
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long long sk, groups, rmem, wmem, dump, locks, drops;
		unsigned proto, pid;

		if (sscanf(line, "%llx %u %u %llx %llu %llu %llx %llu %llu",
		    &sk, &proto, &pid, &groups, &rmem, &wmem, &dump, &locks,
		    &drops) != 9)
			continue;
		if (proto == NETLINK_NETFILTER && pid == portid) {
			*out = drops;
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

/* Send the messages in buf and wait for one ACK per message. */
static int
send_acked(struct mnl_socket *nl, const char *buf, size_t len, int nmsg)
{
	char rbuf[8192];
	ssize_t n;
	int ret = 0;

	if (mnl_socket_sendto(nl, buf, len) < 0)
		return -errno;
	while (nmsg-- > 0) {
		if ((n = mnl_socket_recvfrom(nl, rbuf, sizeof(rbuf))) < 0)
			return -errno;
		if (mnl_cb_run(rbuf, (size_t)n, 0, 0, NULL, NULL) < 0 &&
		    ret == 0)
			ret = -errno;
	}
	return ret;
}

int
ctsock_open_nflog(uint16_t group, uint32_t snaplen, uint64_t rcvbuf,
    struct mnl_socket **out)
{
	char buf[256] = { 0 };
	struct mnl_socket *nl;
	int len, ret;

	*out = NULL;
	if ((nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto fail;
	}
	if ((len = nflog_build_bind(buf, sizeof(buf), group, snaplen,
	    1)) < 0) {
		ret = len;
		goto fail;
	}
	if ((ret = send_acked(nl, buf, (size_t)len, 2)) < 0)
		goto fail;
	(void)ctsock_set_rcvbuf(mnl_socket_get_fd(nl), rcvbuf, NULL);
	if ((ret = set_nonblock(mnl_socket_get_fd(nl))) < 0)
		goto fail;
	*out = nl;
	return 0;
fail:
	mnl_socket_close(nl);
	return ret;
}

void
ctsock_close_nflog(struct mnl_socket *nl, uint16_t group)
{
	char buf[128] = { 0 };
	int len;

	if (nl == NULL)
		return;
	if ((len = nflog_build_unbind(buf, sizeof(buf), group, 99)) > 0)
		(void)mnl_socket_sendto(nl, buf, (size_t)len);
	mnl_socket_close(nl);
}

/* Write 1 or 0 to a sysctl of netfilter in the caller's network
 * namespace. */
static int
set_nf_sysctl(const char *name, bool on)
{
	char path[128];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/proc/sys/net/netfilter/%s", name);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		return -errno;
	if (write(fd, on ? "1\n" : "0\n", 2) != 2)
		ret = -errno;
	close(fd);
	return ret;
}

int
ctsock_set_acct(bool on)
{
	return set_nf_sysctl("nf_conntrack_acct", on);
}

int
ctsock_set_tstamp(bool on)
{
	return set_nf_sysctl("nf_conntrack_timestamp", on);
}

int
ctsock_check_admin(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	return d[CAP_TO_INDEX(CAP_NET_ADMIN)].effective &
	    CAP_TO_MASK(CAP_NET_ADMIN) ? 0 : -EPERM;
}
