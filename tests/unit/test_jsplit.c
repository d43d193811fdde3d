/*
 * test_jsplit: list responses split into their items (cli/source/
 * jsplit.c): every element handed over parsed, strings with brackets and
 * escapes, the continue token, elements that are no JSON, and answers
 * that are no list or are cut short.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "cli/source/jsplit.h"

struct seen {
	char text[16][128];
	size_t n, nulls;
	size_t stop_at;		/* 0: never */
};

static int
cb(json_object *o, void *arg)
{
	struct seen *s = arg;

	if (o == NULL)
		s->nulls++;
	else if (s->n < 16)
		snprintf(s->text[s->n++], sizeof(s->text[0]), "%s",
		    json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	return s->stop_at != 0 && s->n + s->nulls == s->stop_at ? 7 : 0;
}

static int
split(const char *in, struct seen *s, char *cont, size_t contlen, char *err)
{
	memset(s, 0, sizeof(*s) - sizeof(s->stop_at));
	return jsplit_list(in, strlen(in), cb, s, cont, contlen, err, 256);
}

static void
test_items(void **state)
{
	struct seen s = { 0 };
	char cont[64], err[256];

	(void)state;
	assert_int_equal(split("{\"kind\":\"TrafficProfileList\",\"metadata\":"
	    "{\"resourceVersion\":\"7\",\"continue\":\"abc\"},\"items\":["
	    "{\"a\":\"x]}\\\"{\"},  [1,[2]] , 42,\"s\\\\\",true ,null]}", &s,
	    cont, sizeof(cont), err), 0);
	assert_string_equal(cont, "abc");
	assert_int_equal(s.n, 5);
	assert_string_equal(s.text[0], "{\"a\":\"x]}\\\"{\"}");
	assert_string_equal(s.text[1], "[1,[2]]");
	assert_string_equal(s.text[2], "42");
	assert_string_equal(s.text[3], "\"s\\\\\"");
	assert_string_equal(s.text[4], "true");
	/* null parses to NULL: an element that is no object, said so. */
	assert_int_equal(s.nulls, 1);
	/* Items before metadata, no continue; empty items. */
	assert_int_equal(split("{\"items\":[{\"b\":1}],\"metadata\":{}}", &s,
	    cont, sizeof(cont), err), 0);
	assert_string_equal(cont, "");
	assert_int_equal(s.n, 1);
	assert_int_equal(split(" {\"items\" : [ ] } ", &s, cont, sizeof(cont),
	    err), 0);
	assert_int_equal(s.n, 0);
	/* An element that is no JSON reaches the callback as NULL. */
	assert_int_equal(split("{\"items\":[{\"a\":tru},{\"b\":2}]}", &s, cont,
	    sizeof(cont), err), 0);
	assert_int_equal(s.nulls, 1);
	assert_int_equal(s.n, 1);
	/* The callback stops the walk. */
	s.stop_at = 2;
	assert_int_equal(split("{\"items\":[1,2,3]}", &s, cont, sizeof(cont),
	    err), 7);
	assert_int_equal(s.n, 2);
}

static void
expect_bad(const char *in, const char *msg)
{
	struct seen s = { 0 };
	char cont[8], err[256] = "";

	assert_int_equal(split(in, &s, cont, sizeof(cont), err), -EINVAL);
	if (strstr(err, msg) == NULL)
		fail_msg("\"%s\": \"%s\" lacks \"%s\"", in, err, msg);
}

static void
test_bad(void **state)
{
	(void)state;
	expect_bad("", "not a JSON object");
	expect_bad("[1,2]", "not a JSON object");
	expect_bad("{\"kind\":\"Status\"}", "not a list (no items)");
	expect_bad("{\"items\":{}}", "cut short");
	expect_bad("{\"items\":[{\"a\":1},{\"b\":", "cut short");
	expect_bad("{\"items\":[\"abc]}", "cut short");
	expect_bad("{\"items\":[1 2]}", "cut short");
	expect_bad("{\"items\":[1],\"metadata\":{\"continue\":\"0123456789\"}}",
	    "continue token is longer than 7 bytes");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_items),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
