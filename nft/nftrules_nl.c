/*
 * nftrules_nl: the netlink side of nftrules. One NETLINK_NETFILTER socket;
 * each change is one batch built by nftrules.c and sent in one sendmsg.
 */
#include "nft/nftrules.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libnftnl/common.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#define RECV_BUFSIZE 32768	/* a dump's skbs are up to 32 KiB */
#define ATTACH_ATTEMPTS 4

struct nftrules {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	/* Netlink messages are parsed in place: keep both buffers at
	 * 8-byte aligned offsets. */
	char batch[NFTRULES_BATCH_BUFSIZE];
	char rbuf[RECV_BUFSIZE];
	bool created;		/* the last attach/ensure made the table */
};

int
nftrules_open(struct nftrules **out)
{
	struct nftrules *nr;
	struct timeval tv = { .tv_sec = 5 };
	int ret;

	*out = NULL;
	if ((nr = calloc(1, sizeof(*nr))) == NULL)
		return -ENOMEM;
	if ((nr->nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL) {
		ret = -errno;
		goto fail;
	}
	if (mnl_socket_bind(nr->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto fail;
	}
	/* A bound on every wait: a kernel that never answers must not hang
	 * the runtime's ADD. */
	setsockopt(mnl_socket_get_fd(nr->nl), SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv));
	nr->portid = mnl_socket_get_portid(nr->nl);
	nr->seq = (uint32_t)time(NULL);
	*out = nr;
	return 0;
fail:
	nftrules_close(nr);
	return ret;
}

void
nftrules_close(struct nftrules *nr)
{
	if (nr == NULL)
		return;
	if (nr->nl != NULL)
		mnl_socket_close(nr->nl);
	free(nr);
}

int
nftrules_fd(const struct nftrules *nr)
{
	return mnl_socket_get_fd(nr->nl);
}

static int
send_buf(struct nftrules *nr, const void *buf, size_t len)
{
	if (mnl_socket_sendto(nr->nl, buf, len) < 0)
		return -errno;
	return 0;
}

/*
 * The kernel processes a batch inside our sendmsg and queues every ack and
 * error before sendmsg returns (as nft's mnl_batch_talk relies on), so
 * draining without blocking collects all of them. Returns the first error.
 */
static int
drain_acks(struct nftrules *nr)
{
	const struct nlmsghdr *nlh;
	const struct nlmsgerr *err;
	ssize_t n;
	int first = 0;
	int fd = mnl_socket_get_fd(nr->nl);

	for (;;) {
		n = recv(fd, nr->rbuf, sizeof(nr->rbuf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			return first ? first : -errno;
		}
		nlh = (const struct nlmsghdr *)nr->rbuf;
		for (; mnl_nlmsg_ok(nlh, (int)n); nlh = mnl_nlmsg_next(nlh,
		    (int *)&n)) {
			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err)))
				continue;
			err = mnl_nlmsg_get_payload(nlh);
			if (err->error < 0 && first == 0)
				first = err->error;
		}
	}
	return first;
}

static int
send_batch(struct nftrules *nr, struct mnl_nlmsg_batch *b)
{
	int ret;

	ret = send_buf(nr, mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b));
	if (ret != 0)
		return ret;
	return drain_acks(nr);
}

/* Receive until the reply to one request ends (ack, error or DONE). */
static int
talk(struct nftrules *nr, const struct nlmsghdr *req, mnl_cb_t cb, void *arg)
{
	ssize_t n;
	int ret;

	if ((ret = send_buf(nr, req, req->nlmsg_len)) != 0)
		return ret;
	for (;;) {
		n = mnl_socket_recvfrom(nr->nl, nr->rbuf, sizeof(nr->rbuf));
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		ret = mnl_cb_run(nr->rbuf, n, req->nlmsg_seq, nr->portid, cb,
		    arg);
		if (ret < 0)
			return -errno;
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

int
nftrules_table_exists(struct nftrules *nr)
{
	char buf[256] = { 0 };
	struct nftnl_table *t;
	struct nlmsghdr *nlh;
	int ret;

	if ((t = nftnl_table_alloc()) == NULL)
		return -ENOMEM;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, NFTRULES_TABLE);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_INET,
	    NLM_F_ACK, nr->seq++);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	ret = talk(nr, nlh, NULL, NULL);
	if (ret == -ENOENT)
		return 0;
	return ret == 0 ? 1 : ret;
}

/*
 * Build and send one batch: create the table (when asked), remove old's
 * elements, then for each of add[0..nadd): remove its keys first when
 * take (so that the new owner's comment replaces the one of a stale
 * element with the same key: an address handed out again after a DEL
 * that never came), and add them. Without take an existing key keeps its
 * owner. More than one attachment gets a buffer sized for them.
 */
static int
elems_batch(struct nftrules *nr, const struct nftrules_conf *c, bool create,
    const struct nftrules_elems *old, const struct nftrules_elems *add,
    size_t nadd, bool take)
{
	size_t limit = NFTRULES_BATCH_LIMIT;
	struct mnl_nlmsg_batch *b = NULL;
	char *buf = nr->batch, *own = NULL;
	int ret, sz, fd = mnl_socket_get_fd(nr->nl);

	if (nadd > 1) {
		limit += (nadd + 4) * NFTRULES_ELEMS_MAX_BYTES;
		if ((own = buf = malloc(2 * limit)) == NULL)
			return -ENOMEM;
	}
	if ((b = nftrules_batch_start_size(buf, limit, &nr->seq)) == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	if (create && (ret = nftrules_build_create(b, &nr->seq, c)) != 0)
		goto out;
	/* In a table made by this very batch there is nothing to remove. */
	if (!create && old != NULL && (ret = nftrules_build_elems(b,
	    &nr->seq, NFT_MSG_DESTROYSETELEM, old)) != 0)
		goto out;
	for (size_t i = 0; i < nadd; i++) {
		if (!create && take && (ret = nftrules_build_elems(b,
		    &nr->seq, NFT_MSG_DESTROYSETELEM, &add[i])) != 0)
			goto out;
		if ((ret = nftrules_build_elems(b, &nr->seq,
		    NFT_MSG_NEWSETELEM, &add[i])) != 0)
			goto out;
	}
	if ((ret = nftrules_batch_finish(b, &nr->seq)) != 0)
		goto out;
	/* A batch is one sendmsg, refused beyond the socket's send
	 * buffer, and the kernel queues an ack per message before sendmsg
	 * returns (about 1 KiB of receive buffer each): make room for a
	 * large one (as nft does). */
	if (nadd > 1) {
		sz = (int)mnl_nlmsg_batch_size(b) + 4096;
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz,
		    sizeof(sz)) < 0)
			(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz,
			    sizeof(sz));
		sz = (int)(nadd * 3 + 8) * 1024 + 65536;
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz,
		    sizeof(sz)) < 0)
			(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz,
			    sizeof(sz));
	}
	ret = send_batch(nr, b);
out:
	if (b != NULL)
		mnl_nlmsg_batch_stop(b);
	free(own);
	return ret;
}

/*
 * Try the common case first (table there: elements only, one round
 * trip). ENOENT means the table or a set is missing: create it all in the
 * same batch. EEXIST then means a concurrent ADD created the table
 * between our two batches: go back to elements only.
 */
static int
with_table(struct nftrules *nr, const struct nftrules_conf *c,
    const struct nftrules_elems *old, const struct nftrules_elems *add,
    size_t nadd, bool take)
{
	bool create = false;
	int ret = -EAGAIN;

	nr->created = false;
	for (int i = 0; i < ATTACH_ATTEMPTS; i++) {
		ret = elems_batch(nr, c, create, old, add, nadd, take);
		if (ret == -ENOENT && !create)
			create = true;
		else if (ret == -EEXIST && create)
			create = false;
		else
			break;
	}
	nr->created = ret == 0 && create;
	return ret;
}

int
nftrules_attach(struct nftrules *nr, const struct nftrules_conf *c,
    const struct nftrules_elems *old, const struct nftrules_elems *add)
{
	int ret;

	if ((ret = nftrules_conf_check(c)) != 0)
		return ret;
	/* Nothing to add or remove (a pod without addresses or veth): an
	 * empty batch would not notice a missing table. */
	if ((old == NULL || old->nkeys == 0) && (add == NULL ||
	    add->nkeys == 0))
		return nftrules_ensure_table(nr, c);
	return with_table(nr, c, old, add, add != NULL ? 1 : 0, true);
}

int
nftrules_add_many(struct nftrules *nr, const struct nftrules_conf *c,
    const struct nftrules_elems *e, size_t n)
{
	int ret;

	if ((ret = nftrules_conf_check(c)) != 0)
		return ret;
	if (n == 0)
		return 0;
	return with_table(nr, c, NULL, e, n, false);
}

bool
nftrules_created(const struct nftrules *nr)
{
	return nr->created;
}

int
nftrules_ensure_table(struct nftrules *nr, const struct nftrules_conf *c)
{
	int ret;

	nr->created = false;
	if ((ret = nftrules_conf_check(c)) != 0)
		return ret;
	ret = nftrules_table_exists(nr);
	if (ret != 0)
		return ret < 0 ? ret : 0;
	ret = elems_batch(nr, c, true, NULL, NULL, 0, true);
	nr->created = ret == 0;
	return ret == -EEXIST ? 0 : ret;
}

int
nftrules_destroy_table(struct nftrules *nr)
{
	struct mnl_nlmsg_batch *b;
	struct nftnl_table *t;
	struct nlmsghdr *nlh;
	int ret;

	if ((b = nftrules_batch_start(nr->batch, &nr->seq)) == NULL)
		return -ENOMEM;
	if ((t = nftnl_table_alloc()) == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, NFTRULES_TABLE);
	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b),
	    NFT_MSG_DELTABLE, NFPROTO_INET, NLM_F_ACK, nr->seq++);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	mnl_nlmsg_batch_next(b);
	if ((ret = nftrules_batch_finish(b, &nr->seq)) != 0)
		goto out;
	ret = send_batch(nr, b);
	if (ret == -ENOENT)
		ret = 0;
out:
	mnl_nlmsg_batch_stop(b);
	return ret;
}

/* ---- lookups ---------------------------------------------------------- */

static const char *
set_of(int kind)
{
	switch (kind) {
	case NFTRULES_KEY_V4:
		return NFTRULES_SET_V4;
	case NFTRULES_KEY_V6:
		return NFTRULES_SET_V6;
	default:
		return NFTRULES_SET_IFS;
	}
}

static struct nlmsghdr *
build_get_elem(char *buf, uint32_t seq, const struct nftrules_key *k)
{
	struct nftnl_set *s;
	struct nftnl_set_elem *se;
	struct nlmsghdr *nlh;
	char name[IFNAMSIZ];

	if ((s = nftnl_set_alloc()) == NULL)
		return NULL;
	if ((se = nftnl_set_elem_alloc()) == NULL) {
		nftnl_set_free(s);
		return NULL;
	}
	nftnl_set_set_str(s, NFTNL_SET_TABLE, NFTRULES_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, set_of(k->kind));
	nftnl_set_elem_add(s, se);
	if (k->kind == NFTRULES_KEY_IFNAME) {
		memset(name, 0, sizeof(name));
		strncpy(name, k->ifname, IFNAMSIZ - 1);
		nftnl_set_elem_set(se, NFTNL_SET_ELEM_KEY, name, IFNAMSIZ);
	} else {
		nftnl_set_elem_set(se, NFTNL_SET_ELEM_KEY, k->addr.bytes,
		    addr_len(&k->addr));
	}
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, NFPROTO_INET,
	    NLM_F_ACK, seq);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	return nlh;
}

struct lookup_ctx {
	struct nftrules_elem *out;
	int idx;
};

static int
lookup_elem_cb(const struct nftrules_elem *el, void *arg)
{
	struct lookup_ctx *lc = arg;

	lc->out[lc->idx] = *el;
	return 0;
}

/*
 * One request for the table and one per key, all in one sendmsg; replies
 * are matched by sequence number. A missing key answers ENOENT.
 */
int
nftrules_lookup(struct nftrules *nr, const struct nftrules_elems *e,
    struct nftrules_elem *out)
{
	struct nftnl_table *t;
	struct nlmsghdr *nlh;
	const struct nlmsgerr *err;
	struct lookup_ctx lc = { .out = out };
	char *p = nr->batch;
	uint32_t seq0 = nr->seq;
	int i, nreq = e->nkeys + 1, done = 0, table_err = 0, ret = 0;
	ssize_t n;

	for (i = 0; i < e->nkeys; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].key = e->keys[i];
	}
	if ((t = nftnl_table_alloc()) == NULL)
		return -ENOMEM;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, NFTRULES_TABLE);
	nlh = nftnl_nlmsg_build_hdr(p, NFT_MSG_GETTABLE, NFPROTO_INET,
	    NLM_F_ACK, nr->seq++);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	p += NLMSG_ALIGN(nlh->nlmsg_len);
	for (i = 0; i < e->nkeys; i++) {
		if ((nlh = build_get_elem(p, nr->seq++, &e->keys[i])) == NULL)
			return -ENOMEM;
		p += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	if ((ret = send_buf(nr, nr->batch, p - nr->batch)) != 0)
		return ret;

	while (done < nreq) {
		n = mnl_socket_recvfrom(nr->nl, nr->rbuf, sizeof(nr->rbuf));
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		nlh = (struct nlmsghdr *)nr->rbuf;
		for (; mnl_nlmsg_ok(nlh, (int)n);
		    nlh = mnl_nlmsg_next(nlh, (int *)&n)) {
			uint32_t idx = nlh->nlmsg_seq - seq0;

			if (nlh->nlmsg_pid != nr->portid ||
			    idx >= (uint32_t)nreq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				done++;
				err = mnl_nlmsg_get_payload(nlh);
				if (err->error == 0 || err->error == -ENOENT) {
					if (idx == 0)
						table_err = err->error;
					continue;
				}
				if (ret == 0)
					ret = err->error;
				continue;
			}
			if (idx == 0)
				continue;
			if ((nlh->nlmsg_type & 0xff) == NFT_MSG_NEWSETELEM) {
				lc.idx = idx - 1;
				nftrules_parse_elems(nlh, lookup_elem_cb, &lc);
			}
		}
	}
	if (ret == 0 && table_err != 0)
		ret = table_err;
	return ret;
}

int
nftrules_detach(struct nftrules *nr, const struct nftrules_elems *e)
{
	struct nftrules_elem found[NFTRULES_MAX_KEYS];
	struct nftrules_elems mine;
	struct mnl_nlmsg_batch *b;
	int i, ret;

	ret = nftrules_lookup(nr, e, found);
	if (ret == -ENOENT)
		return 0;	/* no table: nothing of ours is left */
	if (ret != 0)
		return ret;
	memset(&mine, 0, sizeof(mine));
	memcpy(mine.owner, e->owner, sizeof(mine.owner));
	for (i = 0; i < e->nkeys; i++) {
		if (!found[i].present)
			continue;
		/* An address handed to a newer pod since: not ours. */
		if (found[i].owner[0] != '\0' &&
		    strcmp(found[i].owner, e->owner) != 0)
			continue;
		mine.keys[mine.nkeys++] = e->keys[i];
	}
	if (mine.nkeys == 0)
		return 0;
	if ((b = nftrules_batch_start(nr->batch, &nr->seq)) == NULL)
		return -ENOMEM;
	if ((ret = nftrules_build_elems(b, &nr->seq, NFT_MSG_DESTROYSETELEM,
	    &mine)) == 0 && (ret = nftrules_batch_finish(b, &nr->seq)) == 0)
		ret = send_batch(nr, b);
	mnl_nlmsg_batch_stop(b);
	return ret;
}

struct rules_ctx {
	const struct nftrules_conf *want;	/* NULL: count only */
	struct nftrules_conf found;
	int pre, out;
	int marks, logs;			/* rules that do */
	bool stale;
};

static int
rules_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rules_ctx *rc = data;
	struct nftrules_rule_info ri;

	if ((nlh->nlmsg_type & 0xff) != NFT_MSG_NEWRULE ||
	    nftrules_parse_rule(nlh, &ri) != 0)
		return MNL_CB_OK;
	if (strcmp(ri.chain, NFTRULES_CHAIN_PRE) == 0)
		rc->pre++;
	else if (strcmp(ri.chain, NFTRULES_CHAIN_OUT) == 0)
		rc->out++;
	else
		return MNL_CB_OK;
	if (rc->want == NULL)
		return MNL_CB_OK;
	if (ri.marks) {
		rc->marks++;
		if (ri.mark_bit != rc->want->mark_bit && !rc->stale) {
			rc->found.mark_bit = ri.mark_bit;
			rc->stale = true;
		}
	}
	if (ri.logs) {
		rc->logs++;
		if ((ri.group != rc->want->nflog_group ||
		    ri.snaplen != rc->want->snaplen) && !rc->stale) {
			rc->found.nflog_group = ri.group;
			rc->found.snaplen = (uint16_t)ri.snaplen;
			rc->stale = true;
		}
	}
	return MNL_CB_OK;
}

static int
dump_rules(struct nftrules *nr, struct rules_ctx *rc)
{
	struct nftnl_rule *r;
	struct nlmsghdr *nlh;
	char buf[512] = { 0 };
	int ret;

	if ((ret = nftrules_table_exists(nr)) <= 0)
		return ret == 0 ? -ENOENT : ret;
	if ((r = nftnl_rule_alloc()) == NULL)
		return -ENOMEM;
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NFTRULES_TABLE);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, NFPROTO_INET,
	    NLM_F_DUMP, nr->seq++);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	if ((ret = talk(nr, nlh, rules_msg_cb, rc)) != 0)
		return ret;
	if (rc->pre != nftrules_expected_rules(NFTRULES_CHAIN_PRE) ||
	    rc->out != nftrules_expected_rules(NFTRULES_CHAIN_OUT))
		return -ESRCH;
	return 0;
}

int
nftrules_check_rules(struct nftrules *nr)
{
	struct rules_ctx rc = { 0 };

	return dump_rules(nr, &rc);
}

int
nftrules_check_conf(struct nftrules *nr, const struct nftrules_conf *c,
    struct nftrules_conf *found)
{
	static const char *const chains[] = { NFTRULES_CHAIN_PRE,
	    NFTRULES_CHAIN_OUT };
	struct rules_ctx rc = { .want = c, .found = *c };
	int m = 0, l = 0, cm, cl, ret;

	ret = dump_rules(nr, &rc);
	if (found != NULL)
		*found = rc.found;
	if (ret != 0)
		return ret;
	for (size_t i = 0; i < sizeof(chains) / sizeof(chains[0]); i++) {
		(void)nftrules_expected_marks(chains[i], &cm, &cl);
		m += cm;
		l += cl;
	}
	/* The right number of rules, but not the right kinds: someone
	 * else's rules, rewritten all the same. */
	if (rc.marks != m || rc.logs != l)
		return -ESRCH;
	return rc.stale ? -ESTALE : 0;
}

int
nftrules_rewrite_rules(struct nftrules *nr, const struct nftrules_conf *c)
{
	struct mnl_nlmsg_batch *b;
	int ret;

	if ((ret = nftrules_conf_check(c)) != 0)
		return ret;
	if ((ret = nftrules_table_exists(nr)) <= 0)
		return ret == 0 ? -ENOENT : ret;
	if ((b = nftrules_batch_start(nr->batch, &nr->seq)) == NULL)
		return -ENOMEM;
	if ((ret = nftrules_build_rewrite(b, &nr->seq, c)) == 0 &&
	    (ret = nftrules_batch_finish(b, &nr->seq)) == 0)
		ret = send_batch(nr, b);
	mnl_nlmsg_batch_stop(b);
	return ret;
}

struct list_ctx {
	nftrules_elem_cb cb;
	void *arg;
	int ret;
};

static int
list_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct list_ctx *lc = data;

	/* After the callback asked to stop, keep reading to the end of the
	 * dump so that the socket is clean for the next request. */
	if ((nlh->nlmsg_type & 0xff) != NFT_MSG_NEWSETELEM || lc->ret != 0)
		return MNL_CB_OK;
	lc->ret = nftrules_parse_elems(nlh, lc->cb, lc->arg);
	return MNL_CB_OK;
}

int
nftrules_list(struct nftrules *nr, nftrules_elem_cb cb, void *arg)
{
	static const char *const names[] = { NFTRULES_SET_IFS,
	    NFTRULES_SET_V4, NFTRULES_SET_V6 };
	struct list_ctx lc = { .cb = cb, .arg = arg };
	struct nftnl_set *s;
	struct nlmsghdr *nlh;
	char buf[512] = { 0 };
	size_t i;
	int ret;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((s = nftnl_set_alloc()) == NULL)
			return -ENOMEM;
		nftnl_set_set_str(s, NFTNL_SET_TABLE, NFTRULES_TABLE);
		nftnl_set_set_str(s, NFTNL_SET_NAME, names[i]);
		nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM,
		    NFPROTO_INET, NLM_F_DUMP, nr->seq++);
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
		nftnl_set_free(s);
		lc.ret = 0;
		ret = talk(nr, nlh, list_msg_cb, &lc);
		if (lc.ret != 0)
			return lc.ret;
		if (ret != 0)
			return ret;
	}
	return 0;
}
