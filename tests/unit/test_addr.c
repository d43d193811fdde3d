#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "lib/addr.h"

static void
test_parse_format(void **state)
{
	struct addr a;
	char buf[ADDR_STRLEN];
	static const struct {
		const char *in, *out;
		int family;
	} cases[] = {
		{ "198.18.0.5", "198.18.0.5", AF_INET },
		{ "2001:db8:0:0::5", "2001:db8::5", AF_INET6 },
		{ "::ffff:198.18.0.1", "::ffff:198.18.0.1", AF_INET6 },
		{ "::1", "::1", AF_INET6 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(addr_parse(cases[i].in, &a), 0);
		assert_int_equal(a.family, cases[i].family);
		assert_string_equal(addr_format(&a, buf, sizeof(buf)),
		    cases[i].out);
	}
	assert_int_equal(addr_parse("198.18.0.256", &a), -EINVAL);
	assert_int_equal(addr_parse("", &a), -EINVAL);
	assert_int_equal(addr_parse(NULL, &a), -EINVAL);
	assert_int_equal(addr_parse("2001:db8::1/64", &a), -EINVAL);
	assert_int_equal(a.family, 0);
}

static void
test_cidr(void **state)
{
	struct addr_cidr c;
	struct addr a;
	char buf[ADDR_CIDR_STRLEN];

	(void)state;
	/* A host address in the CIDR means its network. */
	assert_int_equal(addr_cidr_parse("142.250.1.100/24", &c), 0);
	assert_string_equal(addr_cidr_format(&c, buf, sizeof(buf)),
	    "142.250.1.0/24");
	assert_int_equal(addr_parse("142.250.1.7", &a), 0);
	assert_true(addr_cidr_contains(&c, &a));
	assert_int_equal(addr_parse("142.250.2.7", &a), 0);
	assert_false(addr_cidr_contains(&c, &a));

	assert_int_equal(addr_cidr_parse("2001:db8:40::1/45", &c), 0);
	assert_string_equal(addr_cidr_format(&c, buf, sizeof(buf)),
	    "2001:db8:40::/45");
	assert_int_equal(addr_parse("2001:db8:47:ffff::1", &a), 0);
	assert_true(addr_cidr_contains(&c, &a));
	assert_int_equal(addr_parse("2001:db8:48::1", &a), 0);
	assert_false(addr_cidr_contains(&c, &a));
	/* Families never match each other. */
	assert_int_equal(addr_cidr_parse("0.0.0.0/0", &c), 0);
	assert_false(addr_cidr_contains(&c, &a));
	assert_int_equal(addr_cidr_parse("::/0", &c), 0);
	assert_true(addr_cidr_contains(&c, &a));
	/* A bare address is a host route. */
	assert_int_equal(addr_cidr_parse("203.0.113.9", &c), 0);
	assert_int_equal(c.prefix, 32);

	assert_int_equal(addr_cidr_parse("10.0.0.0/33", &c), -EINVAL);
	assert_int_equal(addr_cidr_parse("10.0.0.0/", &c), -EINVAL);
	assert_int_equal(addr_cidr_parse("10.0.0.0/-1", &c), -EINVAL);
	assert_int_equal(addr_cidr_parse("10.0.0.0/24x", &c), -EINVAL);
	assert_int_equal(addr_cidr_parse("/24", &c), -EINVAL);
	assert_int_equal(addr_cidr_parse("2001:db8::/129", &c), -EINVAL);
}

static void
test_classes(void **state)
{
	struct addr a, b;

	(void)state;
	assert_int_equal(addr_parse("127.1.2.3", &a), 0);
	assert_true(addr_is_loopback(&a));
	assert_int_equal(addr_parse("::ffff:127.0.0.1", &a), 0);
	assert_true(addr_is_loopback(&a));
	assert_int_equal(addr_parse("::1", &a), 0);
	assert_true(addr_is_loopback(&a));
	assert_int_equal(addr_parse("198.18.0.1", &a), 0);
	assert_false(addr_is_loopback(&a));
	assert_int_equal(addr_parse("fe80::1", &a), 0);
	assert_true(addr_is_link_local(&a));
	assert_int_equal(addr_parse("169.254.3.4", &a), 0);
	assert_true(addr_is_link_local(&a));

	assert_int_equal(addr_parse("198.18.0.1", &a), 0);
	assert_int_equal(addr_parse("2001:db8::1", &b), 0);
	assert_true(addr_cmp(&a, &b) < 0);
	assert_true(addr_cmp(&b, &a) > 0);
	assert_false(addr_equal(&a, &b));
	assert_int_equal(addr_parse("198.18.0.2", &b), 0);
	assert_true(addr_cmp(&a, &b) < 0);
	/* An unset address sorts after both families, consistently (a
	 * sort needs a total order). */
	memset(&b, 0, sizeof(b));
	assert_true(addr_cmp(&a, &b) < 0);
	assert_true(addr_cmp(&b, &a) > 0);
	assert_int_equal(addr_parse("2001:db8::1", &a), 0);
	assert_true(addr_cmp(&a, &b) < 0);
	assert_true(addr_cmp(&b, &a) > 0);
	assert_int_equal(addr_cmp(&b, &b), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_format),
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_classes),
	};

	return cmocka_run_group_tests_name("addr", tests, NULL, NULL);
}
