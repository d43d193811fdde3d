/*
 * dns_parse(): answers, CNAME chains, compression, TCP framing, and
 * hostile messages (pointer loops, forward pointers, lengths past the end,
 * names too long, truncation).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "recorderd/dns.h"

/* A tiny message builder. */
struct msg {
	uint8_t b[4096];
	size_t n;
};

static void
u8(struct msg *m, unsigned v)
{
	m->b[m->n++] = (uint8_t)v;
}

static void
u16(struct msg *m, unsigned v)
{
	u8(m, v >> 8);
	u8(m, v & 0xff);
}

static void
u32(struct msg *m, uint32_t v)
{
	u16(m, v >> 16);
	u16(m, v & 0xffff);
}

/* "a.b.c" as labels, ending with the root label. */
static void
name(struct msg *m, const char *s)
{
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);

		u8(m, (unsigned)l);
		memcpy(m->b + m->n, s, l);
		m->n += l;
		s += l + (dot ? 1 : 0);
	}
	u8(m, 0);
}

static void
ptr(struct msg *m, unsigned off)
{
	u16(m, 0xc000 | off);
}

static void
header(struct msg *m, unsigned flags, unsigned qd, unsigned an)
{
	m->n = 0;
	u16(m, 0x1234);
	u16(m, flags);
	u16(m, qd);
	u16(m, an);
	u16(m, 0);
	u16(m, 0);
}

static void
question(struct msg *m, const char *q, unsigned type)
{
	name(m, q);
	u16(m, type);
	u16(m, 1);
}

/* A record whose owner is a pointer to off. */
static void
rr_a(struct msg *m, unsigned owner_off, const char *ip, uint32_t ttl)
{
	uint8_t a[16];
	int v6 = strchr(ip, ':') != NULL;

	inet_pton(v6 ? AF_INET6 : AF_INET, ip, a);
	ptr(m, owner_off);
	u16(m, v6 ? 28 : 1);
	u16(m, 1);
	u32(m, ttl);
	u16(m, v6 ? 16 : 4);
	memcpy(m->b + m->n, a, v6 ? 16 : 4);
	m->n += v6 ? 16 : 4;
}

static void
assert_ans(const struct dns_answers *a, int i, const char *ip, uint32_t ttl)
{
	char buf[ADDR_STRLEN];

	assert_true(i < a->n);
	assert_string_equal(addr_format(&a->a[i].addr, buf, sizeof(buf)), ip);
	assert_int_equal(a->a[i].ttl, ttl);
}

#define RESP 0x8180	/* QR, RD, RA, rcode 0 */

static void
test_a_and_aaaa(void **state)
{
	struct msg m;
	struct dns_answers a;

	(void)state;
	header(&m, RESP, 1, 2);
	question(&m, "API.Example.TEST", 1);
	rr_a(&m, 12, "203.0.113.10", 30);
	rr_a(&m, 12, "2001:db8:ff::10", 60);
	assert_int_equal(dns_parse(m.b, m.n, &a), 0);
	assert_string_equal(a.qname, "api.example.test");
	assert_int_equal(a.qtype, 1);
	assert_int_equal(a.n, 2);
	assert_ans(&a, 0, "203.0.113.10", 30);
	assert_ans(&a, 1, "2001:db8:ff::10", 60);
}

static void
test_cname_chain(void **state)
{
	struct msg m;
	struct dns_answers a;
	size_t cdn1, cdn2, other;

	(void)state;
	header(&m, RESP, 1, 5);
	question(&m, "www.shop.test", 1);
	/* www.shop.test CNAME edge.cdn.test */
	ptr(&m, 12);
	u16(&m, 5); u16(&m, 1); u32(&m, 300);
	u16(&m, 15);
	cdn1 = m.n;
	name(&m, "edge.cdn.test");
	/* An unrelated A record first: must not be taken. */
	other = m.n;
	name(&m, "other.test");
	u16(&m, 1); u16(&m, 1); u32(&m, 5); u16(&m, 4);
	u32(&m, 0xc6336401);
	/* edge.cdn.test CNAME e1.cdn.test (compressed target) */
	ptr(&m, (unsigned)cdn1);
	u16(&m, 5); u16(&m, 1); u32(&m, 300);
	u16(&m, 5);
	cdn2 = m.n;
	u8(&m, 2); u8(&m, 'e'); u8(&m, '1');
	ptr(&m, (unsigned)cdn1 + 5);	/* -> "cdn.test" */
	rr_a(&m, (unsigned)cdn2, "198.51.100.7", 20);
	rr_a(&m, (unsigned)cdn2, "198.51.100.8", 20);
	(void)other;
	assert_int_equal(dns_parse(m.b, m.n, &a), 0);
	assert_string_equal(a.qname, "www.shop.test");
	assert_int_equal(a.n, 2);
	assert_ans(&a, 0, "198.51.100.7", 20);
	assert_ans(&a, 1, "198.51.100.8", 20);
}

static void
test_cname_loop(void **state)
{
	struct msg m;
	struct dns_answers a;
	size_t b_off;

	(void)state;
	header(&m, RESP, 1, 3);
	question(&m, "a.test", 1);
	/* a.test CNAME b.test ; b.test CNAME a.test ; a.test A */
	ptr(&m, 12);
	u16(&m, 5); u16(&m, 1); u32(&m, 1);
	u16(&m, 8);
	b_off = m.n;
	name(&m, "b.test");
	ptr(&m, (unsigned)b_off);
	u16(&m, 5); u16(&m, 1); u32(&m, 1);
	u16(&m, 2);
	ptr(&m, 12);
	rr_a(&m, 12, "198.51.100.1", 9);
	assert_int_equal(dns_parse(m.b, m.n, &a), 0);
	assert_int_equal(a.n, 1);
	assert_ans(&a, 0, "198.51.100.1", 9);
}

static void
test_pointer_loops(void **state)
{
	struct msg m;
	struct dns_answers a;

	(void)state;
	/* The question is a pointer to itself. */
	header(&m, RESP, 1, 0);
	ptr(&m, 12);
	u16(&m, 1); u16(&m, 1);
	assert_int_equal(dns_parse(m.b, m.n, &a), -EINVAL);

	/* A label, then a pointer back to that label. */
	header(&m, RESP, 1, 0);
	u8(&m, 1); u8(&m, 'x');
	ptr(&m, 12);
	u16(&m, 1); u16(&m, 1);
	assert_int_equal(dns_parse(m.b, m.n, &a), -EINVAL);

	/* A forward pointer (to the answer section). */
	header(&m, RESP, 1, 1);
	ptr(&m, 18);
	u16(&m, 1); u16(&m, 1);
	name(&m, "fwd.test");
	assert_int_equal(dns_parse(m.b, m.n, &a), -EINVAL);

	/* Two answers whose owners point at each other: the answers are
	 * skipped, the question stays. */
	header(&m, RESP, 1, 2);
	question(&m, "q.test", 1);
	ptr(&m, (unsigned)m.n + 16);
	u16(&m, 1); u16(&m, 1); u32(&m, 1); u16(&m, 4); u32(&m, 1);
	ptr(&m, (unsigned)m.n - 14);
	u16(&m, 1); u16(&m, 1); u32(&m, 1); u16(&m, 4); u32(&m, 2);
	assert_int_equal(dns_parse(m.b, m.n, &a), 0);
	assert_int_equal(a.n, 0);
}

static void
test_lengths_past_end(void **state)
{
	struct msg m;
	struct dns_answers a;

	(void)state;
	/* A label longer than the message. */
	header(&m, RESP, 1, 0);
	u8(&m, 60); u8(&m, 'a');
	assert_int_equal(dns_parse(m.b, m.n, &a), -EINVAL);

	/* rdlength past the end: the complete answer before it is kept. */
	header(&m, RESP, 1, 2);
	question(&m, "cut.test", 1);
	rr_a(&m, 12, "198.51.100.20", 7);
	ptr(&m, 12);
	u16(&m, 1); u16(&m, 1); u32(&m, 7); u16(&m, 400);
	u32(&m, 0x01020304);
	assert_int_equal(dns_parse(m.b, m.n, &a), 0);
	assert_int_equal(a.n, 1);
	assert_ans(&a, 0, "198.51.100.20", 7);

	/* An A record with 5 bytes of data is not an address. */
	header(&m, RESP, 1, 1);
	question(&m, "odd.test", 1);
	ptr(&m, 12);
	u16(&m, 1); u16(&m, 1); u32(&m, 7); u16(&m, 5);
	u32(&m, 0x01020304); u8(&m, 5);
	assert_int_equal(dns_parse(m.b, m.n, &a), 0);
	assert_int_equal(a.n, 0);

	/* More answers announced than present. */
	header(&m, RESP, 1, 60000);
	question(&m, "many.test", 1);
	rr_a(&m, 12, "198.51.100.21", 1);
	assert_int_equal(dns_parse(m.b, m.n, &a), 0);
	assert_int_equal(a.n, 1);

	/* Every truncation of a good message: no crash, never more. */
	header(&m, RESP, 1, 2);
	question(&m, "t.test", 1);
	rr_a(&m, 12, "198.51.100.30", 1);
	rr_a(&m, 12, "2001:db8::30", 1);
	for (size_t cut = 0; cut < m.n; cut++) {
		int r = dns_parse(m.b, cut, &a);

		assert_true(r == 0 || r == -EINVAL);
		assert_true(a.n <= 2);
	}
}

static void
test_name_too_long(void **state)
{
	struct msg m;
	struct dns_answers a;

	(void)state;
	header(&m, RESP, 1, 0);
	for (int i = 0; i < 5; i++) {
		u8(&m, 63);
		memset(m.b + m.n, 'x', 63);
		m.n += 63;
	}
	u8(&m, 0);
	u16(&m, 1); u16(&m, 1);
	assert_int_equal(dns_parse(m.b, m.n, &a), -EINVAL);
}

static void
test_not_an_answer(void **state)
{
	struct msg m;
	struct dns_answers a;

	(void)state;
	header(&m, 0x0100, 1, 0);	/* a query */
	question(&m, "q.test", 1);
	assert_int_equal(dns_parse(m.b, m.n, &a), -ENOMSG);
	header(&m, 0x8183, 1, 0);	/* NXDOMAIN */
	question(&m, "q.test", 1);
	assert_int_equal(dns_parse(m.b, m.n, &a), -ENOMSG);
	header(&m, RESP, 0, 0);		/* no question */
	assert_int_equal(dns_parse(m.b, m.n, &a), -ENOMSG);
	assert_int_equal(dns_parse(m.b, 5, &a), -EINVAL);
	/* A label with the reserved 0x40 bits. */
	header(&m, RESP, 1, 0);
	u8(&m, 0x41); u8(&m, 'a'); u8(&m, 0);
	u16(&m, 1); u16(&m, 1);
	assert_int_equal(dns_parse(m.b, m.n, &a), -EINVAL);
}

static void
test_tcp_framing(void **state)
{
	struct msg m, s;
	struct dns_answers a;
	size_t used;

	(void)state;
	header(&m, RESP, 1, 1);
	question(&m, "tcp.test", 28);
	rr_a(&m, 12, "2001:db8:ff::10", 42);
	/* Two framed messages back to back in one segment. */
	s.n = 0;
	for (int i = 0; i < 2; i++) {
		u16(&s, (unsigned)m.n);
		memcpy(s.b + s.n, m.b, m.n);
		s.n += m.n;
	}
	assert_int_equal(dns_parse_tcp(s.b, s.n, &a, &used), 0);
	assert_int_equal(used, m.n + 2);
	assert_string_equal(a.qname, "tcp.test");
	assert_ans(&a, 0, "2001:db8:ff::10", 42);
	assert_int_equal(dns_parse_tcp(s.b + used, s.n - used, &a, &used), 0);
	assert_int_equal(a.n, 1);
	/* The first segment of a longer message: read as far as it goes. */
	assert_int_equal(dns_parse_tcp(s.b, m.n - 4, &a, &used), 0);
	assert_int_equal(used, m.n - 4);
	assert_int_equal(a.n, 0);
	assert_int_equal(dns_parse_tcp(s.b, 1, &a, &used), -EINVAL);
}

static void
test_random_mutations(void **state)
{
	struct msg m, x;
	struct dns_answers a;
	size_t used;

	(void)state;
	header(&m, RESP, 1, 3);
	question(&m, "www.shop.test", 1);
	rr_a(&m, 12, "198.51.100.7", 20);
	rr_a(&m, 12, "2001:db8::7", 20);
	rr_a(&m, 12, "198.51.100.8", 20);
	srand(7);
	for (int i = 0; i < 20000; i++) {
		x = m;
		for (int k = 0; k < 1 + i % 5; k++)
			x.b[rand() % (int)x.n] = (uint8_t)rand();
		(void)dns_parse(x.b, x.n, &a);
		assert_true(a.n >= 0 && a.n <= DNS_MAX_ANSWERS);
		assert_true(strlen(a.qname) < DNS_NAME_LEN);
		(void)dns_parse_tcp(x.b, x.n, &a, &used);
		assert_true(used <= x.n);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_and_aaaa),
		cmocka_unit_test(test_cname_chain),
		cmocka_unit_test(test_cname_loop),
		cmocka_unit_test(test_pointer_loops),
		cmocka_unit_test(test_lengths_past_end),
		cmocka_unit_test(test_name_too_long),
		cmocka_unit_test(test_not_an_answer),
		cmocka_unit_test(test_tcp_framing),
		cmocka_unit_test(test_random_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
