/*
 * yamljson: YAML and JSON to json-c, scalar typing, multi-document
 * streams, aliases (and alias bombs), errors with line:column.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "lib/yamljson.h"

static char *
to_text(const char *yaml)
{
	struct json_object *o;
	char err[256] = "";
	char *s;

	if (yamljson_parse(yaml, strlen(yaml), &o, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}

static void
expect(const char *yaml, const char *json)
{
	char *s = to_text(yaml);

	assert_string_equal(s, json);
	free(s);
}

static void
test_scalars(void **state)
{
	(void)state;
	expect("a: 1\nb: -2\nc: 0x10\nd: 1.5\ne: true\nf: False\ng: null\n"
	    "h: ~\ni:\nj: \"1\"\nk: '2'\nl: yes\nm: 8080/TCP\nn: !!str 3\n"
	    "o: 1e3\n",
	    "[{\"a\":1,\"b\":-2,\"c\":16,\"d\":1.5,\"e\":true,\"f\":false,"
	    "\"g\":null,\"h\":null,\"i\":null,\"j\":\"1\",\"k\":\"2\","
	    "\"l\":\"yes\",\"m\":\"8080/TCP\",\"n\":\"3\",\"o\":1000.0}]");
}

static void
test_structure(void **state)
{
	(void)state;
	expect("kind: List\nitems:\n  - metadata: {name: a, labels: "
	    "{app.kubernetes.io/name: web}}\n  - [1, [2, 3]]\n",
	    "[{\"kind\":\"List\",\"items\":[{\"metadata\":{\"name\":\"a\","
	    "\"labels\":{\"app.kubernetes.io/name\":\"web\"}}},[1,[2,3]]]}]");
	/* JSON is YAML. */
	expect("{\"a\": [1, {\"b\": \"c\"}]}", "[{\"a\":[1,{\"b\":\"c\"}]}]");
}

static void
test_multidoc(void **state)
{
	(void)state;
	expect("a: 1\n---\nb: 2\n---\n", "[{\"a\":1},{\"b\":2},null]");
	expect("", "[]");
	expect("# only a comment\n", "[]");
}

static void
test_alias(void **state)
{
	(void)state;
	expect("base: &b {app: web}\nx: *b\ny: [*b, *b]\n",
	    "[{\"base\":{\"app\":\"web\"},\"x\":{\"app\":\"web\"},"
	    "\"y\":[{\"app\":\"web\"},{\"app\":\"web\"}]}]");
	expect("s: &s hello\nt: *s\n", "[{\"s\":\"hello\",\"t\":\"hello\"}]");
}

static void
test_alias_bomb(void **state)
{
	struct json_object *o = NULL;
	char err[256] = "";
	const char *bomb =
	    "a: &a [x,x,x,x,x,x,x,x,x,x]\n"
	    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
	    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
	    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
	    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]\n";

	(void)state;
	assert_int_equal(yamljson_parse(bomb, strlen(bomb), &o, err,
	    sizeof(err)), -E2BIG);
	assert_null(o);
	assert_non_null(strstr(err, "alias"));
}

static void
expect_err(const char *yaml, int rc, const char *msg)
{
	struct json_object *o = NULL;
	char err[256] = "";

	assert_int_equal(yamljson_parse_any(yaml, strlen(yaml), &o, err,
	    sizeof(err)), rc);
	assert_null(o);
	if (strstr(err, msg) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, msg);
}

static void
test_errors(void **state)
{
	(void)state;
	expect_err("a: 1\nb: [1, 2\n", -EINVAL, "line 3, column 1");
	expect_err("a: 1\n  b: 2\n", -EINVAL, "line 2, column 4");
	expect_err("a: *nope\n", -EINVAL, "line 1, column 4: unknown alias");
	expect_err("? [1, 2]\n: x\n", -EINVAL, "mapping key is not a scalar");
	expect_err("x: !!int abc\n", -EINVAL, "does not match its tag");
	/* JSON errors name line and column too. */
	expect_err("{\n  \"a\": 1,\n  \"b\": ]\n}", -EINVAL,
	    "line 3, column 8");
	expect_err("{\"a\": [1, 2", -EINVAL, "unexpected end");
	expect_err("{\"a\": 1} x", -EINVAL, "line 1, column 10: trailing");
}

static void
test_json_any(void **state)
{
	struct json_object *o = NULL;
	char err[64];

	(void)state;
	assert_int_equal(yamljson_parse_any(" [1,2]", 6, &o, err, sizeof(err)),
	    0);
	assert_int_equal(json_object_array_length(o), 1);
	assert_int_equal(json_object_array_length(json_object_array_get_idx(o,
	    0)), 2);
	json_object_put(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_multidoc),
		cmocka_unit_test(test_alias),
		cmocka_unit_test(test_alias_bomb),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_json_any),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
