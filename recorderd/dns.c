#include "recorderd/dns.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#define DNS_HDR_LEN 12
#define DNS_MAX_HOPS 32		/* compression pointers followed per name */
#define DNS_MAX_CHAIN 16	/* CNAME links followed */

#define T_A 1
#define T_CNAME 5
#define T_AAAA 28
#define C_IN 1

struct rec {
	char owner[DNS_NAME_LEN];
	uint16_t type;
	uint32_t ttl;
	uint16_t rdoff, rdlen;
};

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/*
 * Read the name at *off into out (dotted, lower case). *off moves past
 * the name as it appears at that place (a pointer counts two bytes).
 * A pointer must point strictly before the label that holds it, which
 * alone rules out loops; the hop count bounds the work anyway.
 */
static int
read_name(const uint8_t *m, size_t len, size_t *off, char *out)
{
	size_t pos = *off, end = 0, o = 0, lowest = *off;
	int hops = 0;
	bool jumped = false;
	uint8_t l;

	out[0] = '\0';
	for (;;) {
		if (pos >= len)
			return -EINVAL;
		l = m[pos];
		if ((l & 0xc0) == 0xc0) {
			size_t ptr;

			if (pos + 1 >= len || ++hops > DNS_MAX_HOPS)
				return -EINVAL;
			ptr = (size_t)(l & 0x3f) << 8 | m[pos + 1];
			if (ptr >= lowest)
				return -EINVAL;
			if (!jumped)
				end = pos + 2;
			jumped = true;
			lowest = ptr;
			pos = ptr;
			continue;
		}
		if ((l & 0xc0) != 0)
			return -EINVAL;	/* extended label types */
		if (l == 0) {
			if (!jumped)
				end = pos + 1;
			break;
		}
		if (pos + 1 + l > len)
			return -EINVAL;
		if (o + l + 2 > DNS_NAME_LEN)
			return -EINVAL;
		if (o > 0)
			out[o++] = '.';
		for (size_t i = 0; i < l; i++) {
			unsigned char c = m[pos + 1 + i];

			/* Keep the text printable: it ends up in logs and
			 * in the store. */
			out[o++] = (c >= 0x21 && c < 0x7f) ?
			    (char)tolower(c) : '?';
		}
		out[o] = '\0';
		pos += 1 + l;
	}
	*off = end;
	return 0;
}

static bool
chain_has(char chain[][DNS_NAME_LEN], int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(chain[i], name) == 0)
			return true;
	return false;
}

/* Read up to DNS_MAX_RECORDS answer records; stop quietly at a cut. */
static int
read_answers(const uint8_t *m, size_t len, size_t off, int ancount,
    struct rec *recs)
{
	int n = 0;

	for (int i = 0; i < ancount && n < DNS_MAX_RECORDS; i++) {
		struct rec *r = &recs[n];
		uint16_t rdlen;

		if (read_name(m, len, &off, r->owner) < 0)
			break;
		if (off + 10 > len)
			break;
		r->type = get16(m + off);
		if (get16(m + off + 2) != C_IN) {
			rdlen = get16(m + off + 8);
			off += 10 + (size_t)rdlen;
			continue;
		}
		r->ttl = get32(m + off + 4);
		rdlen = get16(m + off + 8);
		off += 10;
		if (off + rdlen > len)
			break;
		r->rdoff = (uint16_t)off;
		r->rdlen = rdlen;
		off += rdlen;
		n++;
	}
	return n;
}

static void
collect(const uint8_t *m, size_t len, struct rec *recs, int nrec,
    struct dns_answers *out)
{
	static __thread char chain[DNS_MAX_CHAIN + 1][DNS_NAME_LEN];
	int nchain = 1;
	bool grew = true;

	strcpy(chain[0], out->qname);
	/* Follow CNAMEs from the question, whatever order they come in. */
	for (int round = 0; grew && round < DNS_MAX_CHAIN; round++) {
		grew = false;
		for (int i = 0; i < nrec && nchain <= DNS_MAX_CHAIN; i++) {
			size_t o = recs[i].rdoff;
			char target[DNS_NAME_LEN];

			if (recs[i].type != T_CNAME ||
			    !chain_has(chain, nchain, recs[i].owner))
				continue;
			if (read_name(m, len, &o, target) < 0 ||
			    o > (size_t)recs[i].rdoff + recs[i].rdlen)
				continue;
			if (chain_has(chain, nchain, target))
				continue;
			strcpy(chain[nchain++], target);
			grew = true;
		}
	}
	for (int i = 0; i < nrec && out->n < DNS_MAX_ANSWERS; i++) {
		struct rec *r = &recs[i];
		int fam;

		if (r->type == T_A && r->rdlen == 4)
			fam = AF_INET;
		else if (r->type == T_AAAA && r->rdlen == 16)
			fam = AF_INET6;
		else
			continue;
		if (!chain_has(chain, nchain, r->owner))
			continue;
		addr_from_bytes(&out->a[out->n].addr, fam, m + r->rdoff);
		out->a[out->n].ttl = r->ttl;
		out->n++;
	}
}

int
dns_parse(const void *buf, size_t len, struct dns_answers *out)
{
	static __thread struct rec recs[DNS_MAX_RECORDS];
	const uint8_t *m = buf;
	uint16_t flags, qdcount, ancount;
	size_t off = DNS_HDR_LEN;
	int nrec;

	memset(out, 0, offsetof(struct dns_answers, a));
	if (len < DNS_HDR_LEN)
		return -EINVAL;
	if (len > 65535)
		len = 65535;	/* offsets are 16-bit in the records */
	flags = get16(m + 2);
	qdcount = get16(m + 4);
	ancount = get16(m + 6);
	if (!(flags & 0x8000) || (flags & 0x000f) != 0 || qdcount == 0)
		return -ENOMSG;
	if (read_name(m, len, &off, out->qname) < 0 || off + 4 > len)
		return -EINVAL;
	out->qtype = get16(m + off);
	off += 4;
	/* Only the first question is asked in practice; skip the rest. */
	for (int i = 1; i < qdcount; i++) {
		char skip[DNS_NAME_LEN];

		if (read_name(m, len, &off, skip) < 0 || off + 4 > len)
			return -EINVAL;
		off += 4;
	}
	nrec = read_answers(m, len, off, ancount, recs);
	collect(m, len, recs, nrec, out);
	return 0;
}

int
dns_parse_tcp(const void *buf, size_t len, struct dns_answers *out,
    size_t *used)
{
	const uint8_t *m = buf;
	size_t mlen;

	*used = 0;
	if (len < 2) {
		memset(out, 0, offsetof(struct dns_answers, a));
		return -EINVAL;
	}
	mlen = get16(m);
	if (mlen + 2 <= len) {
		*used = mlen + 2;
		return dns_parse(m + 2, mlen, out);
	}
	*used = len;
	return dns_parse(m + 2, len - 2, out);
}
