/*
 * ctmark: marking the connections already open of adopted pods.
 */
#include "recorderd/ctmark.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <libmnl/libmnl.h>

#include "lib/sort.h"
#include "recorderd/ct.h"

#define RECV_BUF (64 * 1024)
/* The kernel's CTA_FILTER_F_CTA_IP_SRC (nf_conntrack_netlink.c; not in
 * the uapi headers): match the tuple's source address. */
#define FILTER_IP_SRC (1u << 0)
#define SEND_CHUNK (64 * 1024)
/* An update: header, nfgenmsg, the original tuple (at most ~90 bytes
 * for IPv6 with ports) and zone, mark and mask. */
#define UPDATE_MAX 256

struct ctx {
	const struct addr *addrs;	/* sorted */
	size_t n;
	uint32_t *ids;			/* connections marked (filtered dumps
					 * may list one twice) */
	size_t nids, capids;
	uint32_t bit;
	char *upd;			/* update messages, back to back */
	size_t len, cap;
	struct ctmark_count *count;
	uint32_t seq;
	ctmark_cb opened;
	void *arg;
};

static bool
ours(const struct ctx *c, const struct addr *a)
{
	return a->family != 0 && search_n(a, c->addrs, c->n, sizeof(*a),
	    addr_cmp_qsort) != NULL;
}

static int
attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (type == CTA_TUPLE_ORIG || type == CTA_ZONE)
		tb[type] = attr;
	return MNL_CB_OK;
}

/* The update that sets the bit on the connection of dump entry nlh:
 * its original tuple and zone copied as they came. */
static int
add_update(struct ctx *c, const struct nlmsghdr *nlh, uint8_t family)
{
	const struct nlattr *tb[CTA_MAX + 1] = { 0 };
	struct nlmsghdr *u;
	struct nfgenmsg *nfg;
	struct nlattr *dst;

	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attr_cb, tb) < 0 ||
	    tb[CTA_TUPLE_ORIG] == NULL ||
	    mnl_attr_get_payload_len(tb[CTA_TUPLE_ORIG]) > UPDATE_MAX / 2)
		return 0;
	if (c->len + UPDATE_MAX > c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 64 * UPDATE_MAX;
		char *n = realloc(c->upd, ncap);

		if (n == NULL)
			return -ENOMEM;
		c->upd = n;
		c->cap = ncap;
	}
	memset(c->upd + c->len, 0, UPDATE_MAX);
	u = mnl_nlmsg_put_header(c->upd + c->len);
	u->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	/* An update of the entry found by its tuple: no NLM_F_CREATE. No
	 * ack: an error (the connection closed meanwhile) comes anyway. */
	u->nlmsg_flags = NLM_F_REQUEST;
	u->nlmsg_seq = ++c->seq;
	nfg = mnl_nlmsg_put_extra_header(u, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	dst = (struct nlattr *)((char *)u + u->nlmsg_len);
	memcpy(dst, tb[CTA_TUPLE_ORIG], tb[CTA_TUPLE_ORIG]->nla_len);
	u->nlmsg_len += MNL_ALIGN(tb[CTA_TUPLE_ORIG]->nla_len);
	if (tb[CTA_ZONE] != NULL && mnl_attr_get_payload_len(tb[CTA_ZONE]) ==
	    sizeof(uint16_t))
		mnl_attr_put_u16(u, CTA_ZONE, mnl_attr_get_u16(tb[CTA_ZONE]));
	/* (mark & ~mask) ^ value: only our bit changes. */
	mnl_attr_put_u32(u, CTA_MARK, htonl(c->bit));
	mnl_attr_put_u32(u, CTA_MARK_MASK, htonl(c->bit));
	c->len += u->nlmsg_len;
	return 0;
}

static int
entry(struct ctx *c, const struct nlmsghdr *nlh, size_t len)
{
	struct ct_event ev;

	if (ct_event_parse(nlh, len, &ev) != 0)
		return 0;
	c->count->seen++;
	/* What the rules match: the source, and the destination after
	 * DNAT (the reply's source). */
	if (!ours(c, &ev.orig.src) && !(ev.has_reply && ours(c,
	    &ev.reply.src)))
		return 0;
	if (ct_event_has_mark(&ev, c->bit)) {
		c->count->already++;
		return 0;
	}
	/* Listed by an earlier filtered dump of this call already. */
	if (ev.has_id && c->capids > 0) {
		for (size_t i = 0; i < c->nids; i++)
			if (c->ids[i] == ev.id)
				return 0;
		if (c->nids < c->capids)
			c->ids[c->nids++] = ev.id;
	}
	if (c->count->marked + c->count->skipped >= CTMARK_MAX) {
		c->count->skipped++;
		return 0;
	}
	c->count->marked++;
	if (c->opened != NULL)
		c->opened(c->arg, &ev);
	return add_update(c, nlh, ev.family);
}

/*
 * The kernel lists only the connections whose original (tuple
 * CTA_TUPLE_ORIG) or reply (CTA_TUPLE_REPLY) source is a: the table is
 * walked in the kernel, not copied out. A kernel without CTA_FILTER
 * (before 5.8) lists everything, which entry() sorts out.
 */
static void
put_filter(struct nlmsghdr *nlh, const struct addr *a, int tuple)
{
	struct nlattr *t, *ip, *f;

	t = mnl_attr_nest_start(nlh, tuple);
	ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	if (a->family == AF_INET)
		mnl_attr_put(nlh, CTA_IP_V4_SRC, 4, a->bytes);
	else
		mnl_attr_put(nlh, CTA_IP_V6_SRC, 16, a->bytes);
	mnl_attr_nest_end(nlh, ip);
	mnl_attr_nest_end(nlh, t);
	f = mnl_attr_nest_start(nlh, CTA_FILTER);
	mnl_attr_put_u32(nlh, tuple == CTA_TUPLE_ORIG ?
	    CTA_FILTER_ORIG_FLAGS : CTA_FILTER_REPLY_FLAGS, FILTER_IP_SRC);
	mnl_attr_nest_end(nlh, f);
}

/* List the table (only what a's filter lets through when a is not
 * NULL); 0 at its end, or -errno. */
static int
dump(struct ctx *c, struct mnl_socket *nl, char *buf, const struct addr *a,
    int tuple)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	uint32_t seq = ++c->seq;
	ssize_t n;
	int ret;

	memset(buf, 0, 256);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	/* Both families, or the filter's address's. */
	nfg->nfgen_family = a != NULL ? a->family : AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	if (a != NULL)
		put_filter(nlh, a, tuple);
	if (mnl_socket_sendto(nl, buf, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		int left;

		if ((n = mnl_socket_recvfrom(nl, buf, RECV_BUF)) < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		left = (int)n;
		for (nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, left);
		    nlh = mnl_nlmsg_next(nlh, &left)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e =
				    mnl_nlmsg_get_payload(nlh);

				return e->error;
			}
			if ((ret = entry(c, nlh, (size_t)left)) < 0)
				return ret;
		}
	}
}

/* Send the updates in chunks of whole messages; count the connections
 * that closed meanwhile (their update fails with ENOENT). */
static int
update(struct ctx *c, struct mnl_socket *nl, char *buf)
{
	size_t off = 0;
	int fd = mnl_socket_get_fd(nl);

	while (off < c->len) {
		size_t end = off;
		ssize_t n;

		while (end < c->len && end - off + ((struct nlmsghdr *)
		    (void *)(c->upd + end))->nlmsg_len <= SEND_CHUNK)
			end += ((struct nlmsghdr *)(void *)(c->upd + end))->
			    nlmsg_len;
		if (mnl_socket_sendto(nl, c->upd + off, end - off) < 0)
			return -errno;
		off = end;
		/* Errors of this chunk, queued by the time sendmsg returned. */
		while ((n = recv(fd, buf, RECV_BUF, MSG_DONTWAIT)) > 0) {
			int left = (int)n;
			const struct nlmsghdr *nlh = (void *)buf;

			for (; mnl_nlmsg_ok(nlh, left);
			    nlh = mnl_nlmsg_next(nlh, &left)) {
				const struct nlmsgerr *e;

				if (nlh->nlmsg_type != NLMSG_ERROR)
					continue;
				e = mnl_nlmsg_get_payload(nlh);
				if (e->error != 0 && c->count->marked > 0) {
					c->count->marked--;
					c->count->gone++;
				}
			}
		}
	}
	return 0;
}

int
ctmark_existing(const struct addr *addrs, size_t n, uint32_t bit,
    ctmark_cb opened, void *arg, struct ctmark_count *count)
{
	struct ctx c = { .bit = bit, .count = count, .n = n,
	    .opened = opened, .arg = arg };
	struct timeval tv = { .tv_sec = 5 };
	struct mnl_socket *nl = NULL;
	struct addr *sorted = NULL;
	char *buf = NULL;
	int ret, sz = 8 << 20;

	memset(count, 0, sizeof(*count));
	if (n == 0)
		return 0;
	if ((sorted = malloc(n * sizeof(*sorted))) == NULL ||
	    (buf = malloc(RECV_BUF)) == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	memcpy(sorted, addrs, n * sizeof(*sorted));
	sort_n(sorted, n, sizeof(*sorted), addr_cmp_qsort);
	c.addrs = sorted;
	c.seq = (uint32_t)time(NULL);
	if ((nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL ||
	    mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	/* A bound on every wait, and room for a dump's bursts. */
	(void)setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv));
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE,
	    &sz, sizeof(sz)) < 0)
		(void)setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF,
		    &sz, sizeof(sz));
	/* A few addresses (pods adopted one by one as they appear): the
	 * kernel filters, per address and direction. Many (a node's worth
	 * at start-up): one listing of the whole table is cheaper. */
	if (n <= CTMARK_FILTERED_MAX) {
		if ((c.ids = calloc(CTMARK_MAX, sizeof(*c.ids))) != NULL)
			c.capids = CTMARK_MAX;
		ret = 0;
		for (size_t i = 0; i < n && ret == 0; i++)
			if ((ret = dump(&c, nl, buf, &sorted[i],
			    CTA_TUPLE_ORIG)) == 0)
				ret = dump(&c, nl, buf, &sorted[i],
				    CTA_TUPLE_REPLY);
	} else
		ret = dump(&c, nl, buf, NULL, 0);
	if (ret == 0)
		ret = update(&c, nl, buf);
out:
	if (nl != NULL)
		mnl_socket_close(nl);
	free(c.ids);
	free(c.upd);
	free(sorted);
	free(buf);
	return ret;
}
