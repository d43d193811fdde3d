#include "recorderd/nflog.h"

#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netlink.h>
#include <netinet/in.h>

#include <libmnl/libmnl.h>

struct walk {
	const struct nlattr *tb[NFULA_MAX + 1];
	int bad;
};

static int
attr_cb(const struct nlattr *attr, void *arg)
{
	struct walk *w = arg;
	uint16_t type = mnl_attr_get_type(attr);

	/* Newer kernels may add attributes: skip what we do not know. */
	if (type > NFULA_MAX)
		return MNL_CB_OK;
	switch (type) {
	case NFULA_PACKET_HDR:
		if (mnl_attr_get_payload_len(attr) <
		    sizeof(struct nfulnl_msg_packet_hdr))
			w->bad = 1;
		break;
	case NFULA_PREFIX:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			w->bad = 1;
		break;
	default:
		break;
	}
	if (!w->bad)
		w->tb[type] = attr;
	return w->bad ? MNL_CB_ERROR : MNL_CB_OK;
}

/* Every attribute header must lie inside the message. */
static int
check_attrs(const struct nlmsghdr *nlh, size_t off)
{
	size_t plen = mnl_nlmsg_get_payload_len(nlh);
	const char *base = mnl_nlmsg_get_payload(nlh);

	while (off < plen) {
		const struct nlattr *a = (const struct nlattr *)(base + off);

		if (plen - off < sizeof(*a) || a->nla_len < sizeof(*a) ||
		    a->nla_len > plen - off)
			return -EINVAL;
		off += MNL_ALIGN(a->nla_len);
	}
	return 0;
}

int
nflog_msg_parse(const void *buf, size_t len, struct nflog_pkt *out)
{
	const struct nlmsghdr *nlh = buf;
	const struct nfgenmsg *nfg;
	struct walk w;

	memset(out, 0, sizeof(*out));
	memset(&w, 0, sizeof(w));
	if (len < sizeof(*nlh) || nlh->nlmsg_len < sizeof(*nlh) ||
	    nlh->nlmsg_len > len)
		return -EINVAL;
	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_ULOG ||
	    NFNL_MSG_TYPE(nlh->nlmsg_type) != NFULNL_MSG_PACKET)
		return -ENOMSG;
	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*nfg)))
		return -EINVAL;
	if (check_attrs(nlh, MNL_ALIGN(sizeof(*nfg))) < 0)
		return -EINVAL;
	nfg = mnl_nlmsg_get_payload(nlh);
	if (mnl_attr_parse(nlh, sizeof(*nfg), attr_cb, &w) < 0 || w.bad)
		return -EINVAL;
	if (w.tb[NFULA_PAYLOAD] == NULL)
		return -EINVAL;
	out->group = ntohs(nfg->res_id);
	out->family = nfg->nfgen_family;
	if (w.tb[NFULA_PACKET_HDR] != NULL) {
		const struct nfulnl_msg_packet_hdr *ph =
		    mnl_attr_get_payload(w.tb[NFULA_PACKET_HDR]);

		out->hw_protocol = ntohs(ph->hw_protocol);
	}
	if (w.tb[NFULA_PREFIX] != NULL)
		out->prefix = mnl_attr_get_str(w.tb[NFULA_PREFIX]);
	out->payload = mnl_attr_get_payload(w.tb[NFULA_PAYLOAD]);
	out->payload_len = mnl_attr_get_payload_len(w.tb[NFULA_PAYLOAD]);
	return 0;
}

static int
l4_parse(uint8_t proto, const uint8_t *p, size_t len, struct nflog_l4 *out)
{
	size_t hl;

	out->proto = proto;
	if (proto == IPPROTO_UDP) {
		if (len < 8)
			return -EINVAL;
		hl = 8;
	} else if (proto == IPPROTO_TCP) {
		if (len < 20)
			return -EINVAL;
		hl = (size_t)(p[12] >> 4) * 4;
		if (hl < 20 || hl > len)
			return -EINVAL;
	} else
		return -ENOMSG;
	out->sport = (uint16_t)(p[0] << 8 | p[1]);
	out->dport = (uint16_t)(p[2] << 8 | p[3]);
	out->data = p + hl;
	out->len = len - hl;
	if (proto == IPPROTO_UDP) {
		/* Trust the UDP length when it is shorter than the capture
		 * (padding); a longer one means a cut snapshot. */
		size_t ulen = (size_t)(p[4] << 8 | p[5]);

		if (ulen >= 8 && ulen - 8 < out->len)
			out->len = ulen - 8;
	}
	return 0;
}

static int
ipv4_parse(const uint8_t *p, size_t len, struct nflog_l4 *out)
{
	size_t hl, tot;

	if (len < 20)
		return -EINVAL;
	hl = (size_t)(p[0] & 0x0f) * 4;
	if (hl < 20 || hl > len)
		return -EINVAL;
	if ((p[6] & 0x1f) != 0 || p[7] != 0)
		return -ENOMSG;	/* not the first fragment */
	tot = (size_t)(p[2] << 8 | p[3]);
	if (tot >= hl && tot < len)
		len = tot;
	addr_from_bytes(&out->src, AF_INET, p + 12);
	addr_from_bytes(&out->dst, AF_INET, p + 16);
	return l4_parse(p[9], p + hl, len - hl, out);
}

static int
ipv6_parse(const uint8_t *p, size_t len, struct nflog_l4 *out)
{
	size_t off = 40, plen;
	uint8_t nh;

	if (len < 40)
		return -EINVAL;
	plen = (size_t)(p[4] << 8 | p[5]);
	if (plen + 40 < len)
		len = plen + 40;
	addr_from_bytes(&out->src, AF_INET6, p + 8);
	addr_from_bytes(&out->dst, AF_INET6, p + 24);
	nh = p[6];
	/* At most a handful of extension headers in any sane packet. */
	for (int i = 0; i < 8; i++) {
		switch (nh) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if (off + 8 > len)
				return -EINVAL;
			nh = p[off];
			off += ((size_t)p[off + 1] + 1) * 8;
			continue;
		case IPPROTO_FRAGMENT:
			if (off + 8 > len)
				return -EINVAL;
			if ((p[off + 2] << 8 | (p[off + 3] & 0xf8)) != 0)
				return -ENOMSG;
			nh = p[off];
			off += 8;
			continue;
		default:
			if (off > len)
				return -EINVAL;
			return l4_parse(nh, p + off, len - off, out);
		}
	}
	return -ENOMSG;
}

int
nflog_l4_parse(const uint8_t *pkt, size_t len, struct nflog_l4 *out)
{
	memset(out, 0, sizeof(*out));
	if (len < 1)
		return -EINVAL;
	switch (pkt[0] >> 4) {
	case 4:
		return ipv4_parse(pkt, len, out);
	case 6:
		return ipv6_parse(pkt, len, out);
	default:
		return -EINVAL;
	}
}

static struct nlmsghdr *
put_config(char *buf, uint16_t group, uint32_t seq)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(group);
	return nlh;
}

#define NFLOG_CFG_MSG_MAX 96

int
nflog_build_bind(void *buf, size_t len, uint16_t group, uint32_t copy_range,
    uint32_t seq)
{
	struct nfulnl_msg_config_cmd cmd = { .command = NFULNL_CFG_CMD_BIND };
	struct nfulnl_msg_config_mode mode;
	struct nlmsghdr *nlh;
	char *p = buf;
	size_t used;

	if (len < 2 * NFLOG_CFG_MSG_MAX)
		return -ENOSPC;
	memset(buf, 0, 2 * NFLOG_CFG_MSG_MAX);
	nlh = put_config(p, group, seq);
	mnl_attr_put(nlh, NFULA_CFG_CMD, sizeof(cmd), &cmd);
	used = nlh->nlmsg_len;

	memset(&mode, 0, sizeof(mode));
	mode.copy_range = htonl(copy_range);
	mode.copy_mode = NFULNL_COPY_PACKET;
	nlh = put_config(p + used, group, seq + 1);
	mnl_attr_put(nlh, NFULA_CFG_MODE, sizeof(mode), &mode);
	/* The kernel batches logged packets (100 of them or one second by
	 * default). A DNS answer must reach us before the connection the
	 * pod opens right after it: send each packet at once. */
	mnl_attr_put_u32(nlh, NFULA_CFG_QTHRESH, htonl(1));
	mnl_attr_put_u32(nlh, NFULA_CFG_TIMEOUT, htonl(0));
	used += nlh->nlmsg_len;
	return (int)used;
}

int
nflog_build_unbind(void *buf, size_t len, uint16_t group, uint32_t seq)
{
	struct nfulnl_msg_config_cmd cmd = {
		.command = NFULNL_CFG_CMD_UNBIND };
	struct nlmsghdr *nlh;

	if (len < NFLOG_CFG_MSG_MAX)
		return -ENOSPC;
	memset(buf, 0, NFLOG_CFG_MSG_MAX);
	nlh = put_config(buf, group, seq);
	mnl_attr_put(nlh, NFULA_CFG_CMD, sizeof(cmd), &cmd);
	return (int)nlh->nlmsg_len;
}
