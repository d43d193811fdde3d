/*
 * tpname: the names and label values of published objects reproduce
 * every vector of tests/fixtures/k8s/trafficprofile-names.json (which
 * the test API server's Python rule reproduces too), and stay within
 * their limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "lib/tpname.h"
#include "tests/unit/ut_run.h"

static const char *
str(json_object *o, const char *k)
{
	json_object *v;

	assert_true(json_object_object_get_ex(o, k, &v));
	return json_object_get_string(v);
}

static void
test_vectors(void **state)
{
	char *buf, name[TPNAME_OBJECT_MAX + 1], label[TPNAME_LABEL_MAX + 1];
	json_object *doc, *cases, *c;
	size_t i, n = 0;

	(void)state;
	buf = ut_slurp("tests/fixtures/k8s/trafficprofile-names.json", NULL);
	assert_non_null(buf);
	doc = json_tokener_parse(buf);
	free(buf);
	assert_non_null(doc);
	assert_true(json_object_object_get_ex(doc, "cases", &cases));
	for (i = 0; i < json_object_array_length(cases); i++, n++) {
		c = json_object_array_get_idx(cases, i);
		tpname_profile(str(c, "kind"), str(c, "name"), str(c, "node"),
		    name, sizeof(name));
		assert_string_equal(name, str(c, "objectName"));
		assert_true(strlen(name) <= TPNAME_OBJECT_MAX);
		tpname_label(str(c, "name"), label, sizeof(label));
		assert_string_equal(label, str(c, "workloadNameLabel"));
		tpname_label(str(c, "node"), label, sizeof(label));
		assert_string_equal(label, str(c, "nodeLabel"));
		assert_true(strlen(label) <= TPNAME_LABEL_MAX);
	}
	assert_true(n >= 7);
	json_object_put(doc);
}

static void
test_shorten(void **state)
{
	char out[64], s[200];

	(void)state;
	tpname_shorten("abc", 63, out, sizeof(out));
	assert_string_equal(out, "abc");
	/* Exactly at the limit: unchanged. */
	memset(s, 'a', 63);
	s[63] = '\0';
	tpname_shorten(s, 63, out, sizeof(out));
	assert_string_equal(out, s);
	/* One over: 46 bytes, '-', 16 hex digits; trailing '-' '.' '_' of
	 * the prefix go. */
	memset(s, 'b', 64);
	s[44] = '-';
	s[45] = '.';
	s[64] = '\0';
	tpname_shorten(s, 63, out, sizeof(out));
	assert_int_equal(strlen(out), 44 + 17);
	assert_memory_equal(out, s, 44);
	assert_int_equal(out[44], '-');
	/* FNV-1a of "" is the offset basis; of "a" the published value. */
	assert_true(tpname_fnv1a("") == 0xcbf29ce484222325ULL);
	assert_true(tpname_fnv1a("a") == 0xaf63dc4c8601ec8cULL);
}

/* The parts of a peer reference, as the CRD's pattern takes them (the
 * publisher writes a peer whose parts fail as unknown; the reader
 * refuses them). */
static void
test_ref_part(void **state)
{
	static const struct {
		const char *s;
		bool ns, name;
	} cases[] = {
		{ "shop", true, true },
		{ "kube-system", true, true },
		{ "report.daily", false, true },
		{ "a", true, true },
		{ "0x", true, true },
		{ "", false, false },
		{ "-a", false, false },
		{ "a-", false, false },
		{ ".a", false, false },
		{ "a.", false, false },
		{ "Bad_Name", false, false },
		{ "UPPER", false, false },
		{ "a/b", false, false },
	};
	char big[300];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (tpname_ref_part_ok(cases[i].s, strlen(cases[i].s), false) !=
		    cases[i].ns || tpname_ref_part_ok(cases[i].s,
		    strlen(cases[i].s), true) != cases[i].name)
			fail_msg("'%s': namespace %d, name %d wanted",
			    cases[i].s, cases[i].ns, cases[i].name);
	}
	/* Lengths: 63 for a namespace, 253 for a name; n bytes only. */
	memset(big, 'a', sizeof(big));
	assert_true(tpname_ref_part_ok(big, 63, false));
	assert_false(tpname_ref_part_ok(big, 64, false));
	assert_true(tpname_ref_part_ok(big, 253, true));
	assert_false(tpname_ref_part_ok(big, 254, true));
	assert_true(tpname_ref_part_ok("shop/Deployment", 4, false));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_shorten),
		cmocka_unit_test(test_ref_part),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
