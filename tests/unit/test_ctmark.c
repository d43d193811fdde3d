/*
 * ctmark: in a network namespace of its own (unshare(CLONE_NEWNET): root
 * or CAP_SYS_ADMIN; skipped and said so without), connections loaded into
 * the conntrack table with `conntrack -R` get the mark bit when their
 * original source or their reply source (the server after DNAT) is one of
 * the addresses, with the other bits of their mark kept; the others stay
 * unmarked. Both ways: a few addresses (the kernel filters) and many (one
 * listing of the whole table).
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "recorderd/ctmark.h"

#define BIT 0x00100000u

static bool own_netns;

/* Conntrack in use in this netns, and the table's entries loaded. */
static int
setup(void **state)
{
	FILE *f;

	(void)state;
	if (!own_netns)
		return 0;
	if (system("nft -f - <<'EOF'\n"
	    "flush ruleset\n"
	    "table inet t {\n chain c {\n"
	    "  type filter hook prerouting priority 0; ct state new counter\n"
	    " }\n}\nEOF") != 0)
		return -1;
	if (system("conntrack -F >/dev/null 2>&1") < 0)
		return -1;
	if ((f = popen("conntrack -R - >/dev/null 2>&1", "w")) == NULL)
		return -1;
	/* A pod as client (with a mark of someone else's), a pod as server
	 * behind DNAT (the original destination is the VIP), IPv6, and
	 * others. */
	fputs("-I -s 198.18.1.5 -d 203.0.113.10 -p tcp --sport 40000 "
	    "--dport 443 --state ESTABLISHED -t 600 -m 5\n"
	    "-I -s 203.0.113.20 -d 198.18.100.10 -r 198.18.1.6 -q 203.0.113.20 "
	    "-p tcp --sport 40001 --dport 80 --reply-port-src 8080 "
	    "--reply-port-dst 40001 --state ESTABLISHED -t 600\n"
	    "-I -s 2001:db8:1::5 -d 2001:db8:ff::10 -p udp --sport 5000 "
	    "--dport 53 -t 600\n"
	    "-I -s 198.18.1.9 -d 203.0.113.10 -p tcp --sport 40002 "
	    "--dport 443 --state ESTABLISHED -t 600\n"
	    "-I -s 198.51.100.1 -d 203.0.113.10 -p tcp --sport 40003 "
	    "--dport 443 --state ESTABLISHED -t 600\n", f);
	return pclose(f) == 0 ? 0 : -1;
}

/* The mark of the TCP (or UDP) connection with source port sport. */
static unsigned long
mark_of(int sport)
{
	const char *proto = sport == 5000 ? "udp" : "tcp";
	char cmd[200], line[512];
	unsigned long m = ~0ul;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "conntrack -L -f ipv4 -p %s --orig-port-src "
	    "%d 2>/dev/null; conntrack -L -f ipv6 -p %s --orig-port-src %d "
	    "2>/dev/null", proto, sport, proto, sport);
	assert_non_null(p = popen(cmd, "r"));
	while (fgets(line, sizeof(line), p) != NULL) {
		const char *s = strstr(line, "mark=");

		if (s != NULL)
			m = strtoul(s + 5, NULL, 10);
	}
	pclose(p);
	return m;
}

/* The connections handed over as marked: their original source ports
 * added up. */
static void
opened(void *arg, const struct ct_event *ev)
{
	*(int *)arg += ev->orig.sport;
}

static void
check(size_t extra)
{
	struct addr a[3 + CTMARK_FILTERED_MAX + 2];
	struct ctmark_count c;
	size_t n = 0;
	int ports = 0;

	assert_int_equal(addr_parse("198.18.1.5", &a[n++]), 0);
	assert_int_equal(addr_parse("198.18.1.6", &a[n++]), 0);
	assert_int_equal(addr_parse("2001:db8:1::5", &a[n++]), 0);
	/* Addresses without connections: past the filtered maximum, the
	 * whole table is listed instead. */
	for (size_t i = 0; i < extra; i++) {
		char s[32];

		snprintf(s, sizeof(s), "198.18.7.%zu", i + 1);
		assert_int_equal(addr_parse(s, &a[n++]), 0);
	}
	assert_int_equal(ctmark_existing(a, n, BIT, opened, &ports, &c), 0);
	assert_int_equal(c.marked, 3);
	assert_int_equal(c.already, 0);
	/* Each handed over once, to be recorded. */
	assert_int_equal(ports, 40000 + 40001 + 5000);
	/* Filtered, the kernel lists only theirs; else all five. */
	assert_int_equal(c.seen, extra == 0 ? 3 : 5);
	assert_int_equal(mark_of(40000), BIT | 5);	/* other bits kept */
	assert_int_equal(mark_of(40001), BIT);		/* server after DNAT */
	assert_int_equal(mark_of(5000), BIT);		/* IPv6 */
	assert_int_equal(mark_of(40002), 0);
	assert_int_equal(mark_of(40003), 0);
	/* Again: nothing left to do. */
	assert_int_equal(ctmark_existing(a, n, BIT, NULL, NULL, &c), 0);
	assert_int_equal(c.marked, 0);
	assert_int_equal(c.already, 3);
}

static void
test_few_filtered(void **state)
{
	(void)state;
	if (!own_netns)
		skip();
	check(0);
}

static void
test_many_listed(void **state)
{
	(void)state;
	if (!own_netns)
		skip();
	check(CTMARK_FILTERED_MAX + 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_few_filtered, setup),
		cmocka_unit_test_setup(test_many_listed, setup),
	};

	if (unshare(CLONE_NEWNET) == 0)
		own_netns = true;
	else
		fprintf(stderr, "test_ctmark: unshare(CLONE_NEWNET): %s: the "
		    "tests need root and are skipped\n", strerror(errno));
	return cmocka_run_group_tests_name("ctmark", tests, NULL, NULL);
}
