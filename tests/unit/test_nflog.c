/*
 * nflog_msg_parse() and nflog_l4_parse() on nfnetlink_log messages
 * recorded from a real kernel (tests/fixtures/dns/, see record.sh there:
 * DNS answers from dnsmasq over UDP and TCP, IPv4 and IPv6), then
 * dns_parse() on what they carry; plus generated and broken messages.
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
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <netinet/in.h>

#include <libmnl/libmnl.h>

#include "recorderd/dns.h"
#include "recorderd/nflog.h"

struct fixture {
	unsigned char buf[8192];
	size_t len;
	size_t off[16];
	int n;
};

static void
load(const char *name, struct fixture *f)
{
	char path[256];
	FILE *fp;
	size_t o = 0;

	snprintf(path, sizeof(path), "tests/fixtures/dns/%s", name);
	assert_non_null(fp = fopen(path, "rb"));
	f->len = fread(f->buf, 1, sizeof(f->buf), fp);
	fclose(fp);
	f->n = 0;
	while (o + sizeof(struct nlmsghdr) <= f->len && f->n < 16) {
		const struct nlmsghdr *nlh = (const void *)(f->buf + o);

		f->off[f->n++] = o;
		o += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	assert_true(f->n > 0);
}

static void
assert_addr(const struct addr *a, const char *want)
{
	char buf[ADDR_STRLEN];

	assert_string_equal(addr_format(a, buf, sizeof(buf)), want);
}

/* Decode message i down to DNS answers; returns dns_parse's result or
 * -ENODATA for a segment without payload. */
static int
decode(struct fixture *f, int i, struct nflog_l4 *l4, struct dns_answers *a)
{
	struct nflog_pkt pkt;
	size_t used;

	assert_int_equal(nflog_msg_parse(f->buf + f->off[i],
	    f->len - f->off[i], &pkt), 0);
	assert_int_equal(pkt.group, 7301);
	assert_int_equal(nflog_l4_parse(pkt.payload, pkt.payload_len, l4), 0);
	assert_int_equal(l4->sport, 53);
	if (l4->len == 0)
		return -ENODATA;
	if (l4->proto == IPPROTO_TCP)
		return dns_parse_tcp(l4->data, l4->len, a, &used);
	return dns_parse(l4->data, l4->len, a);
}

static void
test_udp4_a(void **state)
{
	struct fixture *f = malloc(sizeof(*f));
	struct nflog_l4 l4;
	struct dns_answers a;

	(void)state;
	load("udp4_a.bin", f);
	assert_int_equal(decode(f, 0, &l4, &a), 0);
	assert_int_equal(l4.proto, IPPROTO_UDP);
	assert_addr(&l4.src, "198.18.2.2");
	assert_addr(&l4.dst, "198.18.1.2");
	assert_string_equal(a.qname, "api.example.test");
	assert_int_equal(a.n, 1);
	assert_addr(&a.a[0].addr, "203.0.113.10");
	free(f);
}

static void
test_udp6_aaaa(void **state)
{
	struct fixture *f = malloc(sizeof(*f));
	struct nflog_l4 l4;
	struct dns_answers a;

	(void)state;
	load("udp6_aaaa.bin", f);
	assert_int_equal(decode(f, 0, &l4, &a), 0);
	assert_addr(&l4.dst, "2001:db8:1::2");
	assert_int_equal(a.n, 1);
	assert_addr(&a.a[0].addr, "2001:db8:ff::10");
	free(f);
}

static void
test_udp4_cname(void **state)
{
	struct fixture *f = malloc(sizeof(*f));
	struct nflog_l4 l4;
	struct dns_answers a;

	(void)state;
	load("udp4_cname.bin", f);
	assert_int_equal(decode(f, 0, &l4, &a), 0);
	assert_string_equal(a.qname, "www.shop.test");
	assert_int_equal(a.n, 1);
	assert_addr(&a.a[0].addr, "198.51.100.7");
	free(f);
}

static void
test_tcp(void **state)
{
	static const struct {
		const char *file, *dst, *ans;
	} cases[] = {
		{ "tcp4_a.bin", "198.18.1.2", "203.0.113.10" },
		{ "tcp6_aaaa.bin", "2001:db8:1::2", "2001:db8:ff::10" },
	};
	struct fixture *f = malloc(sizeof(*f));
	struct nflog_l4 l4;
	struct dns_answers a;

	(void)state;
	for (size_t c = 0; c < 2; c++) {
		int found = 0;

		load(cases[c].file, f);
		for (int i = 0; i < f->n; i++) {
			int r = decode(f, i, &l4, &a);

			assert_int_equal(l4.proto, IPPROTO_TCP);
			assert_addr(&l4.dst, cases[c].dst);
			if (r == -ENODATA)
				continue;
			assert_int_equal(r, 0);
			assert_string_equal(a.qname, "api.example.test");
			assert_int_equal(a.n, 1);
			assert_addr(&a.a[0].addr, cases[c].ans);
			found++;
		}
		assert_int_equal(found, 1);
	}
	free(f);
}

static void
test_truncated_and_unknown(void **state)
{
	static const char *const files[] = { "udp4_a.bin", "udp6_aaaa.bin",
	    "udp4_cname.bin", "tcp4_a.bin", "tcp6_aaaa.bin" };
	struct fixture *f = malloc(sizeof(*f));
	unsigned char *copy = calloc(1, 8192);
	struct nflog_pkt pkt;
	struct nflog_l4 l4;
	struct dns_answers a;

	(void)state;
	for (size_t fi = 0; fi < 5; fi++) {
		load(files[fi], f);
		for (int i = 0; i < f->n; i++) {
			struct nlmsghdr *nlh = (void *)(f->buf + f->off[i]);

			for (size_t cut = 0; cut < nlh->nlmsg_len; cut++) {
				assert_int_equal(nflog_msg_parse(nlh, cut,
				    &pkt), -EINVAL);
				memcpy(copy, nlh, cut);
				if (cut >= sizeof(*nlh))
					((struct nlmsghdr *)copy)->nlmsg_len =
					    (uint32_t)cut;
				if (nflog_msg_parse(copy, cut, &pkt) == 0 &&
				    nflog_l4_parse(pkt.payload,
				    pkt.payload_len, &l4) == 0)
					(void)dns_parse(l4.data, l4.len, &a);
			}
			/* Unknown attributes from a newer kernel. */
			memcpy(copy, nlh, nlh->nlmsg_len);
			mnl_attr_put_u32((struct nlmsghdr *)copy, NFULA_MAX + 3,
			    7);
			assert_int_equal(nflog_msg_parse(copy, 8192, &pkt), 0);
			assert_int_equal(pkt.group, 7301);
		}
	}
	free(copy);
	free(f);
}

static void
test_ip_walk(void **state)
{
	uint8_t p[128];
	struct nflog_l4 l4;

	(void)state;
	/* IPv6 + hop-by-hop options + UDP. */
	memset(p, 0, sizeof(p));
	p[0] = 0x60;
	p[4] = 0; p[5] = 8 + 8 + 4;
	p[6] = IPPROTO_HOPOPTS;
	p[8] = 0x20; p[9] = 0x01; p[10] = 0x0d; p[11] = 0xb8; p[23] = 1;
	p[24] = 0x20; p[25] = 0x01; p[26] = 0x0d; p[27] = 0xb8; p[39] = 2;
	p[40] = IPPROTO_UDP; p[41] = 0;
	p[48] = 0; p[49] = 53; p[50] = 0x30; p[51] = 0x39; p[53] = 12;
	assert_int_equal(nflog_l4_parse(p, 48 + 8 + 4, &l4), 0);
	assert_int_equal(l4.proto, IPPROTO_UDP);
	assert_int_equal(l4.sport, 53);
	assert_int_equal(l4.dport, 12345);
	assert_int_equal(l4.len, 4);
	assert_addr(&l4.dst, "2001:db8::2");
	/* Extension header running past the packet. */
	p[41] = 200;
	assert_int_equal(nflog_l4_parse(p, 60, &l4), -EINVAL);
	/* A non-first IPv6 fragment. */
	p[6] = IPPROTO_FRAGMENT;
	p[40] = IPPROTO_UDP; p[42] = 0x01; p[43] = 0x00;
	assert_int_equal(nflog_l4_parse(p, 60, &l4), -ENOMSG);

	/* IPv4: bad header length, a later fragment, ICMP. */
	memset(p, 0, sizeof(p));
	p[0] = 0x44;
	assert_int_equal(nflog_l4_parse(p, 40, &l4), -EINVAL);
	p[0] = 0x45; p[3] = 40; p[9] = IPPROTO_UDP; p[7] = 0x10;
	assert_int_equal(nflog_l4_parse(p, 40, &l4), -ENOMSG);
	p[7] = 0; p[9] = IPPROTO_ICMP;
	assert_int_equal(nflog_l4_parse(p, 40, &l4), -ENOMSG);
	/* TCP with a data offset past the segment. */
	p[9] = IPPROTO_TCP; p[20 + 12] = 0xf0;
	assert_int_equal(nflog_l4_parse(p, 40, &l4), -EINVAL);
	assert_int_equal(nflog_l4_parse(p, 0, &l4), -EINVAL);
	p[0] = 0x75;
	assert_int_equal(nflog_l4_parse(p, 40, &l4), -EINVAL);
}

/* The bind messages, built and parsed back. */
static void
test_build_bind(void **state)
{
	char buf[512];
	const struct nlmsghdr *nlh = (const void *)buf;
	const struct nfgenmsg *nfg;
	const struct nlattr *attr;
	int len, left, n = 0, seen_mode = 0, seen_q = 0;

	(void)state;
	assert_int_equal(nflog_build_bind(buf, 10, 7301, 1500, 5), -ENOSPC);
	len = nflog_build_bind(buf, sizeof(buf), 7301, 1500, 5);
	assert_true(len > 0);
	left = len;
	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		assert_int_equal(nlh->nlmsg_type,
		    (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG);
		assert_true(nlh->nlmsg_flags & NLM_F_ACK);
		assert_int_equal(nlh->nlmsg_seq, 5u + (unsigned)n);
		nfg = mnl_nlmsg_get_payload(nlh);
		assert_int_equal(ntohs(nfg->res_id), 7301);
		mnl_attr_for_each(attr, nlh, sizeof(*nfg)) {
			if (mnl_attr_get_type(attr) == NFULA_CFG_CMD)
				assert_int_equal(*(const uint8_t *)
				    mnl_attr_get_payload(attr),
				    NFULNL_CFG_CMD_BIND);
			if (mnl_attr_get_type(attr) == NFULA_CFG_MODE) {
				const struct nfulnl_msg_config_mode *m =
				    mnl_attr_get_payload(attr);

				assert_int_equal(ntohl(m->copy_range), 1500);
				assert_int_equal(m->copy_mode,
				    NFULNL_COPY_PACKET);
				seen_mode = 1;
			}
			if (mnl_attr_get_type(attr) == NFULA_CFG_QTHRESH) {
				assert_int_equal(ntohl(mnl_attr_get_u32(attr)),
				    1);
				seen_q = 1;
			}
		}
		n++;
	}
	assert_int_equal(n, 2);
	assert_true(seen_mode && seen_q);
	assert_int_equal(left, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp4_a),
		cmocka_unit_test(test_udp6_aaaa),
		cmocka_unit_test(test_udp4_cname),
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_truncated_and_unknown),
		cmocka_unit_test(test_ip_walk),
		cmocka_unit_test(test_build_bind),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
