/*
 * ct_event_parse() on ctnetlink messages recorded from a real kernel
 * (tests/fixtures/ct/, see record.sh there) and on generated, truncated
 * and malformed ones.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>

#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "recorderd/ct.h"
#include "recorderd/ctsock.h"

#define MARK 0x00100000u
#define MAXEV 32

struct fixture {
	unsigned char buf[16384];
	size_t len;
	size_t off[MAXEV];	/* message offsets */
	int n;
};

static void
load(const char *name, struct fixture *f)
{
	char path[256];
	FILE *fp;
	size_t o = 0;

	snprintf(path, sizeof(path), "tests/fixtures/ct/%s", name);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	f->len = fread(f->buf, 1, sizeof(f->buf), fp);
	fclose(fp);
	f->n = 0;
	while (o + sizeof(struct nlmsghdr) <= f->len && f->n < MAXEV) {
		const struct nlmsghdr *nlh = (const void *)(f->buf + o);

		assert_true(nlh->nlmsg_len >= sizeof(*nlh));
		f->off[f->n++] = o;
		o += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	assert_true(f->n > 0);
}

static int
parse(struct fixture *f, int i, struct ct_event *ev)
{
	return ct_event_parse(f->buf + f->off[i], f->len - f->off[i], ev);
}

static void
assert_addr(const struct addr *a, const char *want)
{
	char buf[ADDR_STRLEN];

	assert_string_equal(addr_format(a, buf, sizeof(buf)), want);
}

/* Find the first event of type in the stream; -1 if none. */
static int
find(struct fixture *f, int type, struct ct_event *ev)
{
	for (int i = 0; i < f->n; i++)
		if (parse(f, i, ev) == 0 && ev->type == type)
			return i;
	return -1;
}

static void
test_tcp4_new_destroy(void **state)
{
	struct fixture *f = malloc(sizeof(*f));
	struct ct_event ev, d;

	(void)state;
	load("tcp4.bin", f);
	assert_int_equal(parse(f, 0, &ev), 0);
	assert_int_equal(ev.type, CT_EV_NEW);
	assert_int_equal(ev.family, AF_INET);
	assert_int_equal(ev.proto, IPPROTO_TCP);
	assert_addr(&ev.orig.src, "198.18.1.2");
	assert_addr(&ev.orig.dst, "198.18.2.3");
	assert_int_equal(ev.orig.dport, 8080);
	assert_true(ev.orig.sport >= 1024);
	assert_true(ev.has_reply);
	assert_addr(&ev.reply.src, "198.18.2.3");
	assert_addr(&ev.reply.dst, "198.18.1.2");
	assert_int_equal(ev.reply.sport, 8080);
	assert_int_equal(ev.reply.dport, ev.orig.sport);
	assert_true(ct_event_has_mark(&ev, MARK));
	assert_true(ev.has_id);
	assert_false(ev.has_counters && ev.orig_bytes > 0);

	/* Updates follow (TCP states), then the DESTROY with accounting. */
	assert_true(find(f, CT_EV_UPDATE, &d) > 0);
	assert_true(find(f, CT_EV_DESTROY, &d) > 0);
	assert_int_equal(d.id, ev.id);
	assert_true(d.has_counters);
	assert_true(d.orig_packets >= 3);
	assert_true(d.reply_packets >= 2);
	assert_true(d.orig_bytes > 100);
	assert_true(d.reply_bytes > 100);
	assert_true(ct_event_has_mark(&d, MARK));
	free(f);
}

static void
test_tcp6(void **state)
{
	struct fixture *f = malloc(sizeof(*f));
	struct ct_event ev;

	(void)state;
	load("tcp6.bin", f);
	assert_int_equal(find(f, CT_EV_NEW, &ev), 0);
	assert_int_equal(ev.family, AF_INET6);
	assert_int_equal(ev.proto, IPPROTO_TCP);
	assert_addr(&ev.orig.src, "2001:db8:1::2");
	assert_addr(&ev.orig.dst, "2001:db8:2::3");
	assert_addr(&ev.reply.src, "2001:db8:2::3");
	assert_int_equal(ev.orig.dport, 8080);
	assert_true(find(f, CT_EV_DESTROY, &ev) > 0);
	assert_int_equal(ev.family, AF_INET6);
	free(f);
}

static void
test_udp6(void **state)
{
	struct fixture *f = malloc(sizeof(*f));
	struct ct_event ev;

	(void)state;
	load("udp6.bin", f);
	assert_int_equal(find(f, CT_EV_NEW, &ev), 0);
	assert_int_equal(ev.proto, IPPROTO_UDP);
	assert_int_equal(ev.orig.dport, 5353);
	assert_int_equal(ev.reply.sport, 5353);
	assert_true(ct_event_has_mark(&ev, MARK));
	free(f);
}

static void
test_dnat(void **state)
{
	struct fixture *f = malloc(sizeof(*f));
	struct ct_event ev;

	(void)state;
	load("dnat4.bin", f);
	assert_int_equal(find(f, CT_EV_NEW, &ev), 0);
	/* The original tuple names the VIP, the reply the backend. */
	assert_addr(&ev.orig.dst, "198.18.100.10");
	assert_int_equal(ev.orig.dport, 80);
	assert_addr(&ev.reply.src, "198.18.2.3");
	assert_int_equal(ev.reply.sport, 8080);
	assert_addr(&ev.reply.dst, "198.18.1.2");
	free(f);
}

static void
test_icmp(void **state)
{
	struct fixture *f = malloc(sizeof(*f));
	struct ct_event ev;

	(void)state;
	load("icmp4.bin", f);
	assert_int_equal(find(f, CT_EV_NEW, &ev), 0);
	assert_int_equal(ev.proto, IPPROTO_ICMP);
	assert_int_equal(ev.orig.icmp_type, 8);
	assert_int_equal(ev.orig.icmp_code, 0);
	assert_int_equal(ev.orig.sport, 0);
	assert_int_equal(ev.orig.dport, 0);
	load("icmp6.bin", f);
	assert_int_equal(find(f, CT_EV_NEW, &ev), 0);
	assert_int_equal(ev.proto, IPPROTO_ICMPV6);
	assert_int_equal(ev.family, AF_INET6);
	assert_int_equal(ev.orig.icmp_type, 128);
	free(f);
}

/* SCTP recorded from a real kernel (an INIT from a raw socket), IPv4 and
 * IPv6: NEW with the SCTP protocol info, then DESTROY. */
static void
test_sctp_recorded(void **state)
{
	struct fixture *f = malloc(sizeof(*f));
	struct ct_event ev;

	(void)state;
	load("sctp4.bin", f);
	assert_int_equal(find(f, CT_EV_NEW, &ev), 0);
	assert_int_equal(ev.proto, IPPROTO_SCTP);
	assert_int_equal(ev.family, AF_INET);
	assert_int_equal(ev.orig.sport, 40000);
	assert_int_equal(ev.orig.dport, 3868);
	assert_int_equal(ev.reply.sport, 3868);
	assert_true(ct_event_has_mark(&ev, MARK));
	assert_true(find(f, CT_EV_DESTROY, &ev) > 0);
	load("sctp6.bin", f);
	assert_int_equal(find(f, CT_EV_NEW, &ev), 0);
	assert_int_equal(ev.proto, IPPROTO_SCTP);
	assert_int_equal(ev.family, AF_INET6);
	assert_addr(&ev.orig.dst, "2001:db8:2::3");
	assert_int_equal(ev.orig.dport, 3868);
	free(f);
}

static void
test_unmarked_and_dump(void **state)
{
	struct fixture *f = malloc(sizeof(*f));
	struct ct_event ev;

	(void)state;
	load("unmarked.bin", f);
	assert_int_equal(find(f, CT_EV_NEW, &ev), 0);
	assert_addr(&ev.orig.src, "198.18.2.3");
	assert_false(ct_event_has_mark(&ev, MARK));

	/* A dump entry is a NEW message without NLM_F_CREATE. */
	load("dump_marked.bin", f);
	assert_int_equal(f->n, 1);
	assert_int_equal(parse(f, 0, &ev), 0);
	assert_int_equal(ev.type, CT_EV_UPDATE);
	assert_true(ct_event_has_mark(&ev, MARK));
	assert_addr(&ev.orig.src, "198.18.1.2");
	free(f);
}

/* Every prefix of every recorded message: never a crash, never success
 * for a message the buffer does not hold. */
static void
test_truncated(void **state)
{
	static const char *const files[] = { "tcp4.bin", "tcp6.bin",
	    "udp6.bin", "dnat4.bin", "icmp4.bin", "icmp6.bin", "sctp4.bin",
	    "sctp6.bin", "dump_marked.bin", "tcp4_ts.bin", "ts_open.bin",
	    "ts_dump.bin", "tcp4_reuse_ts.bin" };
	struct fixture *f = malloc(sizeof(*f));
	unsigned char *copy = malloc(4096);
	struct ct_event ev;

	(void)state;
	for (size_t fi = 0; fi < sizeof(files) / sizeof(files[0]); fi++) {
		load(files[fi], f);
		for (int i = 0; i < f->n; i++) {
			struct nlmsghdr *nlh = (void *)(f->buf + f->off[i]);
			size_t len = nlh->nlmsg_len;

			for (size_t cut = 0; cut < len; cut++) {
				int r;

				assert_int_equal(ct_event_parse(nlh, cut, &ev),
				    -EINVAL);
				/* Same bytes, header claiming the cut length:
				 * attributes end mid-way. */
				memcpy(copy, nlh, cut);
				if (cut >= sizeof(*nlh))
					((struct nlmsghdr *)copy)->nlmsg_len =
					    (uint32_t)cut;
				r = ct_event_parse(copy, cut, &ev);
				assert_true(r == 0 || r == -EINVAL);
				if (r == 0)
					assert_int_not_equal(ev.orig.src.family,
					    0);
			}
		}
	}
	free(copy);
	free(f);
}

static void
test_unknown_attribute(void **state)
{
	struct fixture *f = malloc(sizeof(*f));
	unsigned char *buf = calloc(1, 8192);
	struct nlmsghdr *nlh;
	struct ct_event ev, ref;
	uint32_t junk[3] = { 1, 2, 3 };

	(void)state;
	load("tcp4.bin", f);
	assert_int_equal(parse(f, 0, &ref), 0);
	nlh = (struct nlmsghdr *)buf;
	memcpy(buf, f->buf, ((struct nlmsghdr *)f->buf)->nlmsg_len);
	/* A top-level attribute from a future kernel, and a nested one. */
	mnl_attr_put(nlh, CTA_MAX + 7, sizeof(junk), junk);
	mnl_attr_nest_end(nlh, mnl_attr_nest_start(nlh, CTA_MAX + 8));
	assert_int_equal(ct_event_parse(buf, 8192, &ev), 0);
	assert_memory_equal(&ev, &ref, sizeof(ev));
	free(buf);
	free(f);
}

static void
put_header(struct nlmsghdr *nlh, int type, int family)
{
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (uint16_t)((NFNL_SUBSYS_CTNETLINK << 8) | type);
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = (uint8_t)family;
	nfg->version = NFNETLINK_V0;
}

/* SCTP (no local SCTP sockets on the recording machine: generated with
 * the library's own message builder). */
static void
test_generated_sctp(void **state)
{
	unsigned char *buf = calloc(1, 4096);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nf_conntrack *ct = nfct_new();
	struct ct_event ev;

	(void)state;
	put_header(nlh, IPCTNL_MSG_CT_NEW, AF_INET6);
	nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET6);
	nfct_set_attr(ct, ATTR_IPV6_SRC, (uint8_t[16]){ 0x20, 0x01, 0x0d,
	    0xb8, [15] = 2 });
	nfct_set_attr(ct, ATTR_IPV6_DST, (uint8_t[16]){ 0x20, 0x01, 0x0d,
	    0xb8, [15] = 3 });
	nfct_set_attr_u8(ct, ATTR_L4PROTO, IPPROTO_SCTP);
	nfct_set_attr_u16(ct, ATTR_PORT_SRC, htons(40000));
	nfct_set_attr_u16(ct, ATTR_PORT_DST, htons(3868));
	nfct_set_attr_u8(ct, ATTR_REPL_L3PROTO, AF_INET6);
	nfct_set_attr(ct, ATTR_REPL_IPV6_SRC, (uint8_t[16]){ 0x20, 0x01,
	    0x0d, 0xb8, [15] = 3 });
	nfct_set_attr(ct, ATTR_REPL_IPV6_DST, (uint8_t[16]){ 0x20, 0x01,
	    0x0d, 0xb8, [15] = 2 });
	nfct_set_attr_u8(ct, ATTR_REPL_L4PROTO, IPPROTO_SCTP);
	nfct_set_attr_u16(ct, ATTR_REPL_PORT_SRC, htons(3868));
	nfct_set_attr_u16(ct, ATTR_REPL_PORT_DST, htons(40000));
	nfct_set_attr_u32(ct, ATTR_MARK, MARK | 0x1);
	assert_int_equal(nfct_nlmsg_build(nlh, ct), 0);
	nfct_destroy(ct);
	/* The timestamps a kernel with the extension on adds. */
	{
		struct nlattr *ts = mnl_attr_nest_start(nlh, CTA_TIMESTAMP);

		mnl_attr_put_u64(nlh, CTA_TIMESTAMP_START,
		    htobe64(1800000000000000000ULL));
		mnl_attr_nest_end(nlh, ts);
		mnl_attr_put_u64(nlh, 27, htobe64(1799999999999990000ULL));
	}

	assert_int_equal(ct_event_parse(buf, nlh->nlmsg_len, &ev), 0);
	assert_true(ev.has_start && ev.has_event_ts);
	assert_int_equal(ev.start_ns, 1800000000000000000LL);
	assert_int_equal(ev.event_ns, 1799999999999990000LL);
	assert_int_equal(ev.type, CT_EV_NEW);
	assert_int_equal(ev.proto, IPPROTO_SCTP);
	assert_int_equal(ev.family, AF_INET6);
	assert_addr(&ev.orig.src, "2001:db8::2");
	assert_addr(&ev.reply.src, "2001:db8::3");
	assert_int_equal(ev.orig.sport, 40000);
	assert_int_equal(ev.orig.dport, 3868);
	assert_int_equal(ev.reply.sport, 3868);
	assert_true(ct_event_has_mark(&ev, MARK));
	assert_int_equal(ev.mark, MARK | 1);
	free(buf);
}

static void
test_malformed(void **state)
{
	unsigned char *buf = calloc(1, 4096);
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	struct ct_event ev;
	struct fixture *f = malloc(sizeof(*f));

	(void)state;
	/* Not conntrack: control messages, another subsystem, expectations. */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_DONE;
	assert_int_equal(ct_event_parse(buf, nlh->nlmsg_len, &ev), -ENOMSG);
	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | 0;
	assert_int_equal(ct_event_parse(buf, nlh->nlmsg_len, &ev), -ENOMSG);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK_EXP << 8) | 0;
	assert_int_equal(ct_event_parse(buf, nlh->nlmsg_len, &ev), -ENOMSG);

	/* No nfgenmsg. */
	memset(buf, 0, 4096);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	assert_int_equal(ct_event_parse(buf, nlh->nlmsg_len, &ev), -EINVAL);

	/* No original tuple. */
	memset(buf, 0, 4096);
	nlh = mnl_nlmsg_put_header(buf);
	put_header(nlh, IPCTNL_MSG_CT_NEW, AF_INET);
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(MARK));
	assert_int_equal(ct_event_parse(buf, nlh->nlmsg_len, &ev), -EINVAL);

	/* An attribute shorter than its own header, and one running past
	 * the message. */
	memset(buf, 0, 4096);
	nlh = mnl_nlmsg_put_header(buf);
	put_header(nlh, IPCTNL_MSG_CT_NEW, AF_INET);
	nest = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	mnl_attr_nest_end(nlh, nest);
	nest->nla_len = 2;
	assert_int_equal(ct_event_parse(buf, nlh->nlmsg_len, &ev), -EINVAL);
	nest->nla_len = 400;
	assert_int_equal(ct_event_parse(buf, nlh->nlmsg_len, &ev), -EINVAL);

	/* Known attributes of the wrong width (the library would exit the
	 * process on these: they must be refused before reaching it). */
	memset(buf, 0, 4096);
	nlh = mnl_nlmsg_put_header(buf);
	put_header(nlh, IPCTNL_MSG_CT_NEW, AF_INET);
	mnl_attr_put_u16(nlh, CTA_MARK, 1);
	assert_int_equal(ct_event_parse(buf, nlh->nlmsg_len, &ev), -EINVAL);
	memset(buf, 0, 4096);
	nlh = mnl_nlmsg_put_header(buf);
	put_header(nlh, IPCTNL_MSG_CT_NEW, AF_INET);
	nest = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	{
		struct nlattr *ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);

		mnl_attr_put(nlh, CTA_IP_V4_SRC, 3, "abc");
		mnl_attr_nest_end(nlh, ip);
	}
	mnl_attr_nest_end(nlh, nest);
	assert_int_equal(ct_event_parse(buf, nlh->nlmsg_len, &ev), -EINVAL);
	memset(buf, 0, 4096);
	nlh = mnl_nlmsg_put_header(buf);
	put_header(nlh, IPCTNL_MSG_CT_NEW, AF_INET);
	nest = mnl_attr_nest_start(nlh, CTA_HELP);
	mnl_attr_put(nlh, CTA_HELP_NAME, 4, "ftpx");	/* no NUL */
	mnl_attr_nest_end(nlh, nest);
	assert_int_equal(ct_event_parse(buf, nlh->nlmsg_len, &ev), -EINVAL);

	/* A family the message does not carry addresses for. */
	load("tcp4.bin", f);
	memcpy(buf, f->buf, ((struct nlmsghdr *)f->buf)->nlmsg_len);
	((struct nfgenmsg *)mnl_nlmsg_get_payload((void *)buf))->nfgen_family =
	    AF_UNIX;
	assert_int_equal(ct_event_parse(buf, 4096, &ev), -EINVAL);

	/* Garbage after a good header: never a crash. */
	for (unsigned seed = 1; seed < 2000; seed++) {
		memcpy(buf, f->buf, ((struct nlmsghdr *)f->buf)->nlmsg_len);
		srand(seed);
		for (int k = 0; k < 4; k++)
			buf[20 + rand() % (((struct nlmsghdr *)buf)->
			    nlmsg_len - 20)] = (unsigned char)rand();
		(void)ct_event_parse(buf, 4096, &ev);
	}
	free(f);
	free(buf);
}

/*
 * The timestamp extension on (recorded from Linux 6.18): a NEW event
 * carries CTA_TIMESTAMP_EVENT, microseconds from the start the dump of
 * the same connection gives (CTA_TIMESTAMP START); updates carry their
 * own event time, the DESTROY the start and the stop. Without the
 * extension neither is there.
 */
static void
test_timestamps(void **state)
{
	struct fixture *f = malloc(sizeof(*f));
	struct ct_event ev, d;
	int64_t gap;

	(void)state;
	load("ts_open.bin", f);
	assert_int_equal(parse(f, 0, &ev), 0);
	assert_int_equal(ev.type, CT_EV_NEW);
	assert_true(ev.has_event_ts);
	assert_false(ev.has_start);
	load("ts_dump.bin", f);
	assert_int_equal(parse(f, 0, &d), 0);
	assert_int_equal(d.type, CT_EV_UPDATE);
	assert_true(d.has_start);
	assert_false(d.has_event_ts);
	assert_int_equal(d.id, ev.id);
	gap = d.start_ns - ev.event_ns;
	assert_true(gap > -1000000 && gap < 1000000);
	/* A year of nanoseconds after 2020: a wall-clock time. */
	assert_true(d.start_ns > 1577836800LL * 1000000000);

	load("tcp4_ts.bin", f);
	assert_int_equal(find(f, CT_EV_DESTROY, &d), f->n - 1);
	assert_true(d.has_start && d.has_event_ts);
	assert_int_equal(parse(f, 0, &ev), 0);
	assert_true(d.start_ns - ev.event_ns < 1000000 &&
	    ev.event_ns - d.start_ns < 1000000);
	assert_true(d.event_ns > ev.event_ns);

	load("tcp4.bin", f);
	for (int i = 0; i < f->n; i++) {
		assert_int_equal(parse(f, i, &ev), 0);
		assert_false(ev.has_start || ev.has_event_ts);
	}
	free(f);
}

/*
 * Timestamps of the wrong width are refused like any other attribute (the
 * library would read past a short one); a zero says nothing.
 */
static void
test_timestamp_widths(void **state)
{
	struct fixture *f = malloc(sizeof(*f));
	unsigned char *buf = calloc(1, 4096);
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct nlattr *nest;
	struct ct_event ev;
	size_t base;

	(void)state;
	load("ts_open.bin", f);
	/* The NEW event without its CTA_TIMESTAMP_EVENT (the last
	 * attribute), to append variants to. */
	memcpy(buf, f->buf, ((struct nlmsghdr *)f->buf)->nlmsg_len);
	base = nlh->nlmsg_len - MNL_ALIGN(sizeof(struct nlattr) + 8);
	nlh->nlmsg_len = (uint32_t)base;
	assert_int_equal(ct_event_parse(buf, 4096, &ev), 0);
	assert_false(ev.has_event_ts);
	mnl_attr_put_u32(nlh, 27, 7);
	assert_int_equal(ct_event_parse(buf, 4096, &ev), -EINVAL);
	nlh->nlmsg_len = (uint32_t)base;
	mnl_attr_put_u64(nlh, 27, 0);
	assert_int_equal(ct_event_parse(buf, 4096, &ev), 0);
	assert_false(ev.has_event_ts);
	nlh->nlmsg_len = (uint32_t)base;
	mnl_attr_put_u64(nlh, 27, htobe64(1234567890123456789ULL));
	assert_int_equal(ct_event_parse(buf, 4096, &ev), 0);
	assert_true(ev.has_event_ts);
	assert_int_equal(ev.event_ns, 1234567890123456789LL);
	/* Past 2262 is no time. */
	nlh->nlmsg_len = (uint32_t)base;
	mnl_attr_put_u64(nlh, 27, htobe64(1ULL << 63));
	assert_int_equal(ct_event_parse(buf, 4096, &ev), 0);
	assert_false(ev.has_event_ts);

	/* CTA_TIMESTAMP: a short start, a start and a stop, nothing. */
	nlh->nlmsg_len = (uint32_t)base;
	nest = mnl_attr_nest_start(nlh, CTA_TIMESTAMP);
	mnl_attr_put_u32(nlh, CTA_TIMESTAMP_START, 1);
	mnl_attr_nest_end(nlh, nest);
	assert_int_equal(ct_event_parse(buf, 4096, &ev), -EINVAL);
	nlh->nlmsg_len = (uint32_t)base;
	nest = mnl_attr_nest_start(nlh, CTA_TIMESTAMP);
	mnl_attr_put_u64(nlh, CTA_TIMESTAMP_START, htobe64(5000000000ULL));
	mnl_attr_put_u64(nlh, CTA_TIMESTAMP_STOP, htobe64(6000000000ULL));
	mnl_attr_nest_end(nlh, nest);
	assert_int_equal(ct_event_parse(buf, 4096, &ev), 0);
	assert_true(ev.has_start);
	assert_int_equal(ev.start_ns, 5000000000LL);
	nlh->nlmsg_len = (uint32_t)base;
	mnl_attr_nest_end(nlh, mnl_attr_nest_start(nlh, CTA_TIMESTAMP));
	assert_int_equal(ct_event_parse(buf, 4096, &ev), 0);
	assert_false(ev.has_start);
	free(buf);
	free(f);
}

/* The mark-filtered dump request, built and parsed back. */
static void
test_build_dump(void **state)
{
	char buf[128];
	const struct nlmsghdr *nlh = (const void *)buf;
	const struct nfgenmsg *nfg;
	const struct nlattr *attr;
	uint32_t mark = 0, mask = 0;
	int len;

	(void)state;
	assert_int_equal(ctsock_build_dump(buf, 10, MARK, 7), -ENOSPC);
	len = ctsock_build_dump(buf, sizeof(buf), MARK, 7);
	assert_true(len > 0);
	assert_int_equal(nlh->nlmsg_len, (uint32_t)len);
	assert_int_equal(nlh->nlmsg_type,
	    (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
	assert_int_equal(nlh->nlmsg_seq, 7);
	nfg = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(nfg->nfgen_family, AF_UNSPEC);
	mnl_attr_for_each(attr, nlh, sizeof(*nfg)) {
		if (mnl_attr_get_type(attr) == CTA_MARK)
			mark = ntohl(mnl_attr_get_u32(attr));
		if (mnl_attr_get_type(attr) == CTA_MARK_MASK)
			mask = ntohl(mnl_attr_get_u32(attr));
	}
	assert_int_equal(mark, MARK);
	assert_int_equal(mask, MARK);
}

static int
teardown(void **state)
{
	(void)state;
	ct_parse_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp4_new_destroy),
		cmocka_unit_test(test_tcp6),
		cmocka_unit_test(test_udp6),
		cmocka_unit_test(test_dnat),
		cmocka_unit_test(test_icmp),
		cmocka_unit_test(test_sctp_recorded),
		cmocka_unit_test(test_unmarked_and_dump),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_unknown_attribute),
		cmocka_unit_test(test_generated_sctp),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_build_dump),
		cmocka_unit_test(test_timestamps),
		cmocka_unit_test(test_timestamp_widths),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
