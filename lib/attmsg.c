/*
 * attmsg: the plugin's attachment message, built and parsed (format in
 * attmsg.h).
 */
#include "lib/attmsg.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#define MAGIC "NPRA"
#define VERSION 1
#define HDR 8

enum {
	T_CONTAINER_ID = 1,
	T_IFNAME = 2,
	T_NAMESPACE = 3,
	T_NAME = 4,
	T_UID = 5,
	T_NETNS = 6,
	T_HOST_IF = 7,
	T_HOST_IFINDEX = 8,
	T_ADDR = 9,
	T_TIME = 10,
};

/* The text attributes: their type and where they go in an attachment. */
static const struct {
	int type;
	size_t off;
	size_t size;
} texts[] = {
#define S(t, m) { t, offsetof(struct store_attachment, m), \
	sizeof(((struct store_attachment *)0)->m) }
	S(T_CONTAINER_ID, container_id),
	S(T_IFNAME, ifname),
	S(T_NAMESPACE, pod_namespace),
	S(T_NAME, pod_name),
	S(T_UID, pod_uid),
	S(T_NETNS, netns),
	S(T_HOST_IF, host_veth),
#undef S
};
#define NTEXTS (sizeof(texts) / sizeof(texts[0]))

struct out {
	uint8_t *p;
	size_t len, cap;
};

static void
put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t
get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static int
put_attr(struct out *o, int type, const void *v, size_t len)
{
	if (len > 0xffff || o->cap - o->len < 4 + len)
		return -ENOSPC;
	put_be(o->p + o->len, (uint64_t)type, 2);
	put_be(o->p + o->len + 2, len, 2);
	if (len > 0)
		memcpy(o->p + o->len + 4, v, len);
	o->len += 4 + len;
	return 0;
}

int
attmsg_build(const struct attmsg *m, void *buf, size_t cap)
{
	const struct store_attachment *a = &m->att;
	struct out o = { buf, HDR, cap };
	uint8_t v[18];
	int ret;

	if ((m->op != ATTMSG_ADD && m->op != ATTMSG_DEL) ||
	    a->container_id[0] == '\0' || a->ifname[0] == '\0' ||
	    a->naddrs < 0 || a->naddrs > STORE_MAX_ADDRS)
		return -EINVAL;
	if (cap < HDR)
		return -ENOSPC;
	memcpy(o.p, MAGIC, 4);
	o.p[4] = VERSION;
	o.p[5] = (uint8_t)m->op;
	o.p[6] = o.p[7] = 0;
	for (size_t i = 0; i < NTEXTS; i++) {
		const char *s = (const char *)a + texts[i].off;
		size_t n = strnlen(s, texts[i].size);

		/* An unterminated field is a caller's bug: refuse it. */
		if (n == texts[i].size)
			return -EINVAL;
		if (n > 0 && (ret = put_attr(&o, texts[i].type, s, n)) < 0)
			return ret;
	}
	if (a->host_ifindex != 0) {
		put_be(v, (uint32_t)a->host_ifindex, 4);
		if ((ret = put_attr(&o, T_HOST_IFINDEX, v, 4)) < 0)
			return ret;
	}
	for (int i = 0; i < a->naddrs; i++) {
		const struct addr_cidr *c = &a->addrs[i];
		size_t alen = addr_len(&c->addr);

		if (alen == 0)
			return -EINVAL;
		v[0] = c->addr.family == AF_INET ? 4 : 6;
		v[1] = c->prefix;
		memcpy(v + 2, c->addr.bytes, alen);
		if ((ret = put_attr(&o, T_ADDR, v, 2 + alen)) < 0)
			return ret;
	}
	put_be(v, (uint64_t)m->time, 8);
	if ((ret = put_attr(&o, T_TIME, v, 8)) < 0)
		return ret;
	return (int)o.len;
}

static int
parse_text(struct store_attachment *a, int type, const uint8_t *v,
    size_t len)
{
	for (size_t i = 0; i < NTEXTS; i++) {
		char *dst = (char *)a + texts[i].off;

		if (texts[i].type != type)
			continue;
		if (len >= texts[i].size || memchr(v, '\0', len) != NULL)
			return -EBADMSG;
		/* Repeated, the last one counts, and nothing of an earlier,
		 * longer one is left behind its end. */
		memset(dst, 0, texts[i].size);
		memcpy(dst, v, len);
		return 0;
	}
	return -ENOENT;		/* not a text attribute */
}

static int
parse_addr(struct store_attachment *a, const uint8_t *v, size_t len)
{
	struct addr_cidr *c;
	int family;

	if (len < 2 || a->naddrs == STORE_MAX_ADDRS)
		return -EBADMSG;
	family = v[0] == 4 ? AF_INET : v[0] == 6 ? AF_INET6 : 0;
	if (family == 0 || len != (family == AF_INET ? 6u : 18u) ||
	    v[1] > (family == AF_INET ? 32 : 128))
		return -EBADMSG;
	c = &a->addrs[a->naddrs++];
	addr_from_bytes(&c->addr, family, v + 2);
	c->prefix = v[1];
	return 0;
}

static int
parse_attr(struct attmsg *m, int type, const uint8_t *v, size_t len)
{
	int ret;

	if ((ret = parse_text(&m->att, type, v, len)) != -ENOENT)
		return ret;
	switch (type) {
	case T_HOST_IFINDEX:
		if (len != 4)
			return -EBADMSG;
		m->att.host_ifindex = (int)(uint32_t)get_be(v, 4);
		return 0;
	case T_ADDR:
		return parse_addr(&m->att, v, len);
	case T_TIME:
		if (len != 8)
			return -EBADMSG;
		m->time = (int64_t)get_be(v, 8);
		return 0;
	default:
		return 0;	/* a newer plugin's: skipped */
	}
}

int
attmsg_parse(const void *buf, size_t len, struct attmsg *out)
{
	const uint8_t *p = buf;
	size_t off = HDR;
	int ret;

	memset(out, 0, sizeof(*out));
	if (len < 4 || memcmp(p, MAGIC, 4) != 0)
		return -ENOMSG;
	if (len < HDR)
		return -EBADMSG;
	if (p[4] != VERSION)
		return -EPROTO;
	out->op = p[5];
	if (out->op != ATTMSG_ADD && out->op != ATTMSG_DEL)
		return -EBADMSG;
	while (off < len) {
		size_t alen;
		int type;

		if (len - off < 4)
			return -EBADMSG;
		type = (int)get_be(p + off, 2);
		alen = (size_t)get_be(p + off + 2, 2);
		if (len - off - 4 < alen)
			return -EBADMSG;
		if ((ret = parse_attr(out, type, p + off + 4, alen)) < 0)
			return ret;
		off += 4 + alen;
	}
	if (out->att.container_id[0] == '\0' || out->att.ifname[0] == '\0')
		return -EBADMSG;
	return 0;
}
