/*
 * attmsg: what the plugin builds the daemon parses back, field for field;
 * an older plugin's byte is no message; every truncation, a bad length,
 * a NUL in a name, a missing key field, too many addresses and another
 * version are refused; a newer plugin's unknown attributes are skipped.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lib/attmsg.h"

static void
full(struct attmsg *m)
{
	struct store_attachment *a = &m->att;

	memset(m, 0, sizeof(*m));
	m->op = ATTMSG_ADD;
	m->time = 1764979200;
	snprintf(a->container_id, sizeof(a->container_id), "%0159d", 7);
	snprintf(a->ifname, sizeof(a->ifname), "eth0");
	snprintf(a->pod_namespace, sizeof(a->pod_namespace), "shop");
	snprintf(a->pod_name, sizeof(a->pod_name), "cart-0");
	snprintf(a->pod_uid, sizeof(a->pod_uid), "uid-1");
	snprintf(a->netns, sizeof(a->netns), "/run/netns/cni-1");
	snprintf(a->host_veth, sizeof(a->host_veth), "veth0123abcd");
	a->host_ifindex = 70000;
	for (int i = 0; i < STORE_MAX_ADDRS; i++) {
		char s[64];

		if (i % 2)
			snprintf(s, sizeof(s), "2001:db8:1::%x", i + 1);
		else
			snprintf(s, sizeof(s), "198.18.1.%d", i + 1);
		assert_int_equal(addr_parse(s, &a->addrs[i].addr), 0);
		a->addrs[i].prefix = i % 2 ? 64 : 24;
	}
	a->naddrs = STORE_MAX_ADDRS;
}

static void
test_round_trip(void **state)
{
	struct attmsg m, got;
	uint8_t buf[ATTMSG_MAX];
	int len;

	(void)state;
	full(&m);
	len = attmsg_build(&m, buf, sizeof(buf));
	assert_true(len > 0 && len <= ATTMSG_MAX);
	assert_int_equal(attmsg_parse(buf, (size_t)len, &got), 0);
	assert_memory_equal(&got, &m, sizeof(m));
	/* A truncation inside an attribute is refused; one between two
	 * attributes is a shorter message (a datagram is never cut: the
	 * receiver checks its length). Nothing is read past n. */
	for (int n = 4, ok = 0; n < len; n++) {
		if (attmsg_parse(buf, (size_t)n, &got) != 0)
			continue;
		assert_string_equal(got.att.container_id,
		    m.att.container_id);
		assert_true(++ok <= 2 + STORE_MAX_ADDRS + 5);
	}
	/* Not enough room to build. */
	assert_int_equal(attmsg_build(&m, buf, (size_t)len - 1), -ENOSPC);

	/* A DEL names the attachment only. */
	memset(&m, 0, sizeof(m));
	m.op = ATTMSG_DEL;
	snprintf(m.att.container_id, sizeof(m.att.container_id), "c");
	snprintf(m.att.ifname, sizeof(m.att.ifname), "net1");
	len = attmsg_build(&m, buf, sizeof(buf));
	assert_int_equal(attmsg_parse(buf, (size_t)len, &got), 0);
	assert_memory_equal(&got, &m, sizeof(m));
}

static void
test_refused(void **state)
{
	struct attmsg m, got;
	uint8_t buf[ATTMSG_MAX], one = 0;
	int len;

	(void)state;
	/* An older plugin sends one zero byte beside its socket. */
	assert_int_equal(attmsg_parse(&one, 1, &got), -ENOMSG);
	assert_int_equal(attmsg_parse("NPRA", 4, &got), -EBADMSG);
	full(&m);
	/* What cannot be built. */
	m.op = 3;
	assert_int_equal(attmsg_build(&m, buf, sizeof(buf)), -EINVAL);
	full(&m);
	m.att.ifname[0] = '\0';
	assert_int_equal(attmsg_build(&m, buf, sizeof(buf)), -EINVAL);
	full(&m);
	m.att.naddrs = STORE_MAX_ADDRS + 1;
	assert_int_equal(attmsg_build(&m, buf, sizeof(buf)), -EINVAL);

	full(&m);
	len = attmsg_build(&m, buf, sizeof(buf));
	/* Another version, another op. */
	buf[4] = 2;
	assert_int_equal(attmsg_parse(buf, (size_t)len, &got), -EPROTO);
	buf[4] = 1;
	buf[5] = 9;
	assert_int_equal(attmsg_parse(buf, (size_t)len, &got), -EBADMSG);
	buf[5] = ATTMSG_ADD;
	/* The first attribute is the container id (type 1): a NUL in it. */
	assert_int_equal(buf[9], 1);
	buf[12] = '\0';
	assert_int_equal(attmsg_parse(buf, (size_t)len, &got), -EBADMSG);
}

static void
test_hand_built(void **state)
{
	struct attmsg got;
	/* Header, container id "c", an unknown attribute (type 99), ifname
	 * "e", an address with a bad length. */
	static const uint8_t unknown[] = {
		'N', 'P', 'R', 'A', 1, 1, 0, 0,
		0, 1, 0, 1, 'c',
		0, 99, 0, 3, 'x', 'y', 'z',
		0, 2, 0, 1, 'e',
	};
	static const uint8_t badaddr[] = {
		'N', 'P', 'R', 'A', 1, 1, 0, 0,
		0, 1, 0, 1, 'c',
		0, 2, 0, 1, 'e',
		0, 9, 0, 5, 4, 24, 198, 18, 1,
	};
	static const uint8_t noifname[] = {
		'N', 'P', 'R', 'A', 1, 2, 0, 0,
		0, 1, 0, 1, 'c',
	};
	static const uint8_t longtext[] = {
		'N', 'P', 'R', 'A', 1, 1, 0, 0,
		0, 1, 0, 1, 'c',
		/* ifname of 16 bytes: IFNAMSIZ with no room for the NUL */
		0, 2, 0, 16, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h',
		'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p',
	};

	(void)state;
	assert_int_equal(attmsg_parse(unknown, sizeof(unknown), &got), 0);
	assert_string_equal(got.att.container_id, "c");
	assert_string_equal(got.att.ifname, "e");
	assert_int_equal(attmsg_parse(badaddr, sizeof(badaddr), &got),
	    -EBADMSG);
	assert_int_equal(attmsg_parse(noifname, sizeof(noifname), &got),
	    -EBADMSG);
	assert_int_equal(attmsg_parse(longtext, sizeof(longtext), &got),
	    -EBADMSG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_hand_built),
	};

	return cmocka_run_group_tests_name("attmsg", tests, NULL, NULL);
}
