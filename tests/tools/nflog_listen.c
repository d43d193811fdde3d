/*
 * nflog_listen GROUP: bind NFLOG group GROUP (libmnl, no libnetfilter_log)
 * and print one line per packet to stdout:
 *   <4|6> <src> <dst> <proto> sport=<n> dport=<n> len=<payload bytes>
 * Integration tests use it to see the DNS answers our rules log.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <libmnl/libmnl.h>

static int
config(struct mnl_socket *nl, uint16_t group, uint16_t attr, const void *data,
    size_t len)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	ssize_t n;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = group + attr;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(group);
	mnl_attr_put(nlh, attr, len, data);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	if ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) < 0)
		return -1;
	return mnl_cb_run(buf, n, 0, 0, NULL, NULL) < 0 ? -1 : 0;
}

static void
print_packet(int family, const unsigned char *p, size_t len)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	const unsigned char *l4;
	int proto;
	size_t hl;

	if (family == 4) {
		if (len < 20)
			return;
		hl = (p[0] & 0xf) * 4;
		proto = p[9];
		inet_ntop(AF_INET, p + 12, src, sizeof(src));
		inet_ntop(AF_INET, p + 16, dst, sizeof(dst));
	} else {
		if (len < 40)
			return;
		hl = 40;
		proto = p[6];
		inet_ntop(AF_INET6, p + 8, src, sizeof(src));
		inet_ntop(AF_INET6, p + 24, dst, sizeof(dst));
	}
	if (len < hl + 4)
		return;
	l4 = p + hl;
	printf("%d %s %s %s sport=%u dport=%u len=%zu\n", family, src, dst,
	    proto == 6 ? "tcp" : proto == 17 ? "udp" : "other",
	    (l4[0] << 8) | l4[1], (l4[2] << 8) | l4[3], len);
	fflush(stdout);
}

static int
attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_get_type(attr) <= NFULA_MAX)
		tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

static int
msg_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFULA_MAX + 1] = { 0 };
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);

	(void)data;
	if ((nlh->nlmsg_type & 0xff) != NFULNL_MSG_PACKET)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*nfg), attr_cb, tb);
	if (tb[NFULA_PAYLOAD] == NULL)
		return MNL_CB_OK;
	print_packet(nfg->nfgen_family == AF_INET6 ? 6 : 4,
	    mnl_attr_get_payload(tb[NFULA_PAYLOAD]),
	    mnl_attr_get_payload_len(tb[NFULA_PAYLOAD]));
	return MNL_CB_OK;
}

int
main(int argc, char **argv)
{
	char buf[65536 + 4096];
	struct mnl_socket *nl;
	struct nfulnl_msg_config_cmd cmd = { .command = NFULNL_CFG_CMD_BIND };
	struct nfulnl_msg_config_mode mode = {
		.copy_range = htonl(0xffff),
		.copy_mode = NFULNL_COPY_PACKET,
	};
	uint32_t qthresh = htonl(1);
	uint16_t group;
	ssize_t n;

	if (argc != 2) {
		fprintf(stderr, "usage: nflog_listen GROUP\n");
		return 2;
	}
	group = (uint16_t)atoi(argv[1]);
	if ((nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL ||
	    mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("netlink");
		return 1;
	}
	if (config(nl, group, NFULA_CFG_CMD, &cmd, sizeof(cmd)) < 0 ||
	    config(nl, group, NFULA_CFG_MODE, &mode, sizeof(mode)) < 0 ||
	    /* The kernel batches up to 100 packets or 1 s by default: send
	     * each one at once. */
	    config(nl, group, NFULA_CFG_QTHRESH, &qthresh,
	    sizeof(qthresh)) < 0) {
		perror("nflog bind");
		return 1;
	}
	fprintf(stderr, "nflog_listen: bound group %u\n", group);
	for (;;) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0) {
			if (errno == ENOBUFS || errno == EINTR)
				continue;
			perror("recv");
			return 1;
		}
		mnl_cb_run(buf, n, 0, 0, msg_cb, NULL);
	}
}
