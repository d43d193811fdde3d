#include "lib/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
addr_parse(const char *s, struct addr *out)
{
	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return -EINVAL;
	if (inet_pton(AF_INET, s, out->bytes) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->bytes) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	memset(out, 0, sizeof(*out));
	return -EINVAL;
}

void
addr_from_bytes(struct addr *out, int family, const void *bytes)
{
	memset(out, 0, sizeof(*out));
	out->family = (uint8_t)family;
	memcpy(out->bytes, bytes, family == AF_INET ? 4 : 16);
}

char *
addr_format(const struct addr *a, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (a->family == AF_INET || a->family == AF_INET6)
		inet_ntop(a->family, a->bytes, buf, (socklen_t)len);
	return buf;
}

size_t
addr_len(const struct addr *a)
{
	if (a->family == AF_INET)
		return 4;
	if (a->family == AF_INET6)
		return 16;
	return 0;
}

bool
addr_equal(const struct addr *a, const struct addr *b)
{
	return a->family == b->family &&
	    memcmp(a->bytes, b->bytes, addr_len(a)) == 0;
}

int
addr_cmp(const struct addr *a, const struct addr *b)
{
	/* IPv4, then IPv6, then unset: the rank of each family. */
	int ra = a->family == AF_INET ? 0 : a->family == AF_INET6 ? 1 : 2,
	    rb = b->family == AF_INET ? 0 : b->family == AF_INET6 ? 1 : 2;

	if (ra != rb)
		return ra < rb ? -1 : 1;
	return memcmp(a->bytes, b->bytes, addr_len(a));
}

int
addr_cmp_qsort(const void *a, const void *b)
{
	return addr_cmp(a, b);
}

bool
addr_is_loopback(const struct addr *a)
{
	static const uint8_t v6lo[16] = { [15] = 1 };
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (a->family == AF_INET)
		return a->bytes[0] == 127;
	if (a->family != AF_INET6)
		return false;
	if (memcmp(a->bytes, v6lo, 16) == 0)
		return true;
	return memcmp(a->bytes, mapped, 12) == 0 && a->bytes[12] == 127;
}

bool
addr_is_link_local(const struct addr *a)
{
	if (a->family == AF_INET)
		return a->bytes[0] == 169 && a->bytes[1] == 254;
	if (a->family == AF_INET6)
		return a->bytes[0] == 0xfe && (a->bytes[1] & 0xc0) == 0x80;
	return false;
}

static void
clear_host_bits(struct addr *a, unsigned prefix)
{
	size_t n = addr_len(a), i;

	for (i = 0; i < n; i++) {
		unsigned bit = (unsigned)i * 8;

		if (bit >= prefix)
			a->bytes[i] = 0;
		else if (prefix - bit < 8)
			a->bytes[i] &= (uint8_t)(0xff << (8 - (prefix - bit)));
	}
}

int
addr_cidr_parse(const char *s, struct addr_cidr *out)
{
	char buf[ADDR_CIDR_STRLEN];
	const char *slash;
	char *end;
	unsigned long prefix;
	unsigned max;
	size_t alen;

	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return -EINVAL;
	slash = strchr(s, '/');
	alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (addr_parse(buf, &out->addr) < 0)
		return -EINVAL;
	max = out->addr.family == AF_INET ? 32 : 128;
	if (slash == NULL) {
		out->prefix = (uint8_t)max;
		return 0;
	}
	if (slash[1] < '0' || slash[1] > '9')
		goto bad;
	errno = 0;
	prefix = strtoul(slash + 1, &end, 10);
	if (errno != 0 || *end != '\0' || prefix > max || end - slash > 4)
		goto bad;
	out->prefix = (uint8_t)prefix;
	clear_host_bits(&out->addr, out->prefix);
	return 0;
bad:
	memset(out, 0, sizeof(*out));
	return -EINVAL;
}

char *
addr_cidr_format(const struct addr_cidr *c, char *buf, size_t len)
{
	char a[ADDR_STRLEN];

	snprintf(buf, len, "%s/%u", addr_format(&c->addr, a, sizeof(a)),
	    c->prefix);
	return buf;
}

bool
addr_cidr_contains(const struct addr_cidr *c, const struct addr *a)
{
	unsigned full, rest;

	if (c->addr.family != a->family)
		return false;
	full = c->prefix / 8;
	rest = c->prefix % 8;
	if (memcmp(c->addr.bytes, a->bytes, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((c->addr.bytes[full] ^ a->bytes[full]) &
	    (uint8_t)(0xff << (8 - rest))) == 0;
}

void
addr_cidr_host(struct addr_cidr *out, const struct addr *a)
{
	out->addr = *a;
	out->prefix = a->family == AF_INET ? 32 : 128;
}
