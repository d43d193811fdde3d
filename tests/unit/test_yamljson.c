/*
 * yamljson: YAML and JSON to json-c, scalar typing, multi-document
 * streams, aliases (and alias bombs), errors with line:column; the
 * streamed parse against the whole tree.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
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

static void expect_err(const char *yaml, int rc, const char *msg);

/*
 * A document of about n million nodes once its aliases are expanded, few
 * bytes and little memory: 1,000 scalars anchored, referred to n * 1,000
 * times.
 */
static void
append_big_doc(char **buf, size_t *len, int millions)
{
	size_t cap = *len + 8192 + (size_t)millions * 1000 * 4;
	char *b = realloc(*buf, cap);
	size_t o = *len;

	if (b == NULL)
		fail();
	o += (size_t)sprintf(b + o, "---\na: &x [");
	for (int i = 0; i < 999; i++)
		o += (size_t)sprintf(b + o, "1,");
	o += (size_t)sprintf(b + o, "1]\nb: [");
	for (int i = 0; i < millions * 1000; i++)
		o += (size_t)sprintf(b + o, "%s*x", i ? "," : "");
	o += (size_t)sprintf(b + o, "]\n");
	*buf = b;
	*len = o;
}

/*
 * The node budget is per document: two documents of 9 million nodes each
 * parse (they were refused as if one document of 18 million), one of 17
 * million is refused, and the error says which document and the limit.
 */
static void
test_budget_per_document(void **state)
{
	struct json_object *o = NULL;
	char err[256] = "", *buf = NULL;
	size_t len = 0;

	(void)state;
	append_big_doc(&buf, &len, 9);
	append_big_doc(&buf, &len, 9);
	if (yamljson_parse(buf, len, &o, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(json_object_array_length(o), 2);
	json_object_put(o);
	o = NULL;
	append_big_doc(&buf, &len, 17);
	assert_int_equal(yamljson_parse(buf, len, &o, err, sizeof(err)),
	    -E2BIG);
	assert_null(o);
	if (strstr(err, "document 3 has more than 16777216 nodes once its "
	    "aliases are expanded (the limit of one document)") == NULL)
		fail_msg("error \"%s\"", err);
	free(buf);
}

/* n levels of nesting: "a: " then [[[...1...]]] (YAML), or the same in a
 * JSON object. */
static char *
nested(int n, bool json)
{
	char *b = malloc((size_t)n * 2 + 16), *p = b;

	if (b == NULL)
		fail();
	p += sprintf(p, json ? "{\"a\": " : "a: ");
	memset(p, '[', (size_t)n);
	p += n;
	*p++ = '1';
	memset(p, ']', (size_t)n);
	p += n;
	strcpy(p, json ? "}" : "\n");
	return b;
}

/*
 * One depth limit for YAML and JSON: 256 levels (a mapping and 255
 * sequences in it) are read the same from both (JSON stopped at 32), one
 * more is refused by both with the same message; 100,000 levels are
 * refused as quickly (the parse stops at the limit).
 */
static void
test_depth_one_limit(void **state)
{
	struct json_object *y = NULL, *j = NULL;
	char err[256] = "", *ys, *js;

	(void)state;
	ys = nested(YAMLJSON_MAX_DEPTH - 1, false);
	js = nested(YAMLJSON_MAX_DEPTH - 1, true);
	if (yamljson_parse_any(ys, strlen(ys), &y, err, sizeof(err)) != 0 ||
	    yamljson_parse_any(js, strlen(js), &j, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_true(json_object_equal(y, j));
	json_object_put(y);
	json_object_put(j);
	free(ys);
	free(js);
	for (int n = YAMLJSON_MAX_DEPTH; n <= 100000; n += 100000 -
	    YAMLJSON_MAX_DEPTH) {
		ys = nested(n, false);
		js = nested(n, true);
		expect_err(ys, -EINVAL, "line 1, column 259: nested more than "
		    "256 levels deep (the limit of every YAML and JSON input)");
		expect_err(js, -EINVAL, "line 1, column 263: nested more than "
		    "256 levels deep (the limit of every YAML and JSON input)");
		free(ys);
		free(js);
	}
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

/* ---- yamljson_parse_stream ---------------------------------------------- */

/* What the callbacks saw, as text, and the documents rebuilt with their
 * streamed items put back, to compare with yamljson_parse's tree. */
struct rec {
	char log[2048];
	struct json_object *docs;	/* rebuilt */
	struct json_object *items;	/* this document's streamed ones */
	int fail_at;			/* item index whose callback fails */
};

static const char *
jtext(struct json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
}

static void
rec_add(struct rec *r, const char *what, const char *key,
    struct json_object *o)
{
	size_t n = strlen(r->log);

	snprintf(r->log + n, sizeof(r->log) - n, "%s%s%s%s;", what,
	    key != NULL ? " " : "", key != NULL ? key : "", jtext(o));
}

static int
rec_item(void *arg, struct json_object *it, size_t idx)
{
	struct rec *r = arg;
	char k[32];

	if ((int)idx == r->fail_at)
		return -ECANCELED;
	snprintf(k, sizeof(k), "%zu=", idx);
	rec_add(r, "item", k, it);
	assert_int_equal(json_object_array_length(r->items), idx);
	json_object_array_add(r->items, json_object_get(it));
	return 0;
}

static int
rec_pair(void *arg, const char *key, struct json_object *v)
{
	char k[64];

	snprintf(k, sizeof(k), "%s=", key);
	rec_add(arg, "pair", k, v);
	return 0;
}

static int
rec_doc(void *arg, struct json_object *doc, size_t docno)
{
	struct rec *r = arg;
	struct json_object *items;
	size_t i;

	assert_int_equal(json_object_array_length(r->docs), docno);
	rec_add(r, "doc", "", doc);
	/* Put the streamed items back where the tree has them. */
	if (json_object_array_length(r->items) > 0) {
		assert_true(json_object_object_get_ex(doc, "items", &items));
		assert_int_equal(json_object_array_length(items), 0);
		for (i = 0; i < json_object_array_length(r->items); i++)
			json_object_array_add(items, json_object_get(
			    json_object_array_get_idx(r->items, i)));
	}
	json_object_put(r->items);
	r->items = json_object_new_array();
	json_object_array_add(r->docs, json_object_get(doc));
	return 0;
}

static int
run_stream(const char *yaml, struct rec *r, char *err, size_t errlen)
{
	const struct yamljson_stream s = {
		.key = "items", .item = rec_item, .pair = rec_pair,
		.doc = rec_doc, .arg = r,
	};

	memset(r->log, 0, sizeof(r->log));
	r->docs = json_object_new_array();
	r->items = json_object_new_array();
	return yamljson_parse_stream(yaml, strlen(yaml), &s, err, errlen);
}

static void
rec_free(struct rec *r)
{
	json_object_put(r->docs);
	json_object_put(r->items);
}

/* The callbacks in order; the rebuilt documents equal the tree. */
static void
expect_stream(const char *yaml, const char *log)
{
	struct rec r = { .fail_at = -1 };
	struct json_object *tree = NULL;
	char err[256] = "";

	if (run_stream(yaml, &r, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(r.log, log);
	assert_int_equal(yamljson_parse(yaml, strlen(yaml), &tree, err,
	    sizeof(err)), 0);
	assert_true(json_object_equal(tree, r.docs));
	json_object_put(tree);
	rec_free(&r);
}

static void
test_stream(void **state)
{
	(void)state;
	/* kubectl's order: items before kind; block and flow items. */
	expect_stream("apiVersion: v1\nitems:\n- kind: Pod\n  metadata:\n"
	    "    name: a\n- {kind: Pod, metadata: {name: b}}\nkind: List\n",
	    "pair apiVersion=\"v1\";"
	    "item 0={\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\"}};"
	    "item 1={\"kind\":\"Pod\",\"metadata\":{\"name\":\"b\"}};"
	    "pair items=[];pair kind=\"List\";"
	    "doc {\"apiVersion\":\"v1\",\"items\":[],\"kind\":\"List\"};");
	/* Anchors across items and from outside them; a null element. */
	expect_stream("m: &l {app: x}\nitems: [&p {a: *l}, *p, ~]\n",
	    "pair m={\"app\":\"x\"};"
	    "item 0={\"a\":{\"app\":\"x\"}};item 1={\"a\":{\"app\":\"x\"}};"
	    "item 2=null;pair items=[];"
	    "doc {\"m\":{\"app\":\"x\"},\"items\":[]};");
	/* An anchored sequence is built whole (an alias may want it). */
	expect_stream("items: &all [1, 2]\nx: *all\n",
	    "pair items=[1,2];pair x=[1,2];"
	    "doc {\"items\":[1,2],\"x\":[1,2]};");
	/* Only the root mapping's key; documents of every shape. */
	expect_stream("a: {items: [1]}\n---\n- items\n---\n---\n\"items\": [3]\n"
	    "---\nitems: 4\n",
	    "pair a={\"items\":[1]};doc {\"a\":{\"items\":[1]}};"
	    "doc [\"items\"];doc null;"
	    "item 0=3;pair items=[];doc {\"items\":[]};"
	    "pair items=4;doc {\"items\":4};");
	expect_stream("", "");
}

/* Errors: the tree's code and text, and no document reported after. */
static int
expect_stream_err(const char *yaml)
{
	struct rec r = { .fail_at = -1 };
	struct json_object *tree = NULL;
	char e1[256] = "", e2[256] = "";
	int r1, r2;

	r1 = yamljson_parse(yaml, strlen(yaml), &tree, e1, sizeof(e1));
	r2 = run_stream(yaml, &r, e2, sizeof(e2));
	assert_int_not_equal(r1, 0);
	assert_int_equal(r1, r2);
	assert_string_equal(e1, e2);
	assert_non_null(strstr(e2, "line "));
	rec_free(&r);
	return r2;
}

static void
test_stream_errors(void **state)
{
	struct rec r = { .fail_at = 1 };
	char err[64] = "";
	char *bomb;
	const char *b =
	    "a: &a [x,x,x,x,x,x,x,x,x,x]\n"
	    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
	    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
	    "items:\n- *f\n- *f\n- *f\n- *f\n- *f\n- *f\n- *f\n- *f\n- *f\n"
	    "- *f\n- *f\n- *f\n- *f\n- *f\n- *f\n- *f\n- *f\n- *f\n- *f\n";

	(void)state;
	expect_stream_err("items:\n- {a: 1}\n- {a: !!int x}\n");
	expect_stream_err("items:\n- {a: 1}\n- *nope\n");
	expect_stream_err("items:\n- {a: 1}\n- {b: [1, 2}\n");
	expect_stream_err("items:\n- a: 1\n- b: 2\n  c: [\n");	/* truncated */
	expect_stream_err("items:\n- ? [1]\n  : 2\n");
	/* The alias cap counts streamed items too: the same error. */
	if ((bomb = malloc(strlen(b) * 2 + 1)) == NULL)
		fail();
	strcpy(bomb, b);
	strcat(bomb, b + strlen(b) - 5 * 19);
	assert_int_equal(expect_stream_err(bomb), -E2BIG);
	free(bomb);
	/* A callback's error stops the parse and leaves err alone. */
	assert_int_equal(run_stream("items: [1, 2, 3]\n", &r, err,
	    sizeof(err)), -ECANCELED);
	assert_string_equal(err, "");
	assert_string_equal(r.log, "item 0=1;");
	rec_free(&r);
}

static void
test_is_json(void **state)
{
	(void)state;
	assert_true(yamljson_is_json(" \n{}", 4));
	assert_true(yamljson_is_json("[1]", 3));
	assert_false(yamljson_is_json("a: {}", 5));
	assert_false(yamljson_is_json("  ", 2));
	assert_false(yamljson_is_json("", 0));
}

/*
 * Where each node, key and document is (the daemon's configuration names
 * file:line:column of the value at fault), and where an error is, as
 * numbers.
 */
/* A position was found, and is line:col. */
static void
at(bool found, const struct yamljson_pos *p, size_t line, size_t col)
{
	assert_true(found);
	assert_int_equal(p->line, line);
	assert_int_equal(p->col, col);
}

static void
test_marked(void **state)
{
	struct json_object *docs, *root, *log, *v;
	struct yamljson_marks *m;
	struct yamljson_pos p;
	char err[256];
	const char *y =
	    "store: /a\n"
	    "log:\n"
	    "  level: debug\n"
	    "  file: ~\n"
	    "list: [1, {k: v}]\n"
	    "---\n"
	    "x: 1\n";

	(void)state;
	assert_int_equal(yamljson_parse_marked(y, strlen(y), &docs, &m, &p,
	    err, sizeof(err)), 0);
	assert_int_equal(json_object_array_length(docs), 2);
	root = json_object_array_get_idx(docs, 0);
	at(yamljson_pos_of(m, root, &p), &p, 1, 1);
	at(yamljson_key_pos(m, root, "log", &p), &p, 2, 1);
	assert_true(json_object_object_get_ex(root, "store", &v));
	at(yamljson_pos_of(m, v, &p), &p, 1, 8);
	assert_true(json_object_object_get_ex(root, "log", &log));
	at(yamljson_pos_of(m, log, &p), &p, 3, 3);	/* the block mapping */
	assert_true(json_object_object_get_ex(log, "level", &v));
	at(yamljson_pos_of(m, v, &p), &p, 3, 10);
	/* A null has no node, but its key has a place. */
	assert_true(json_object_object_get_ex(log, "file", &v));
	assert_null(v);
	assert_false(yamljson_pos_of(m, v, &p));
	at(yamljson_key_pos(m, log, "file", &p), &p, 4, 3);
	assert_false(yamljson_key_pos(m, log, "nope", &p));
	/* Elements of a flow sequence. */
	assert_true(json_object_object_get_ex(root, "list", &v));
	at(yamljson_pos_of(m, json_object_array_get_idx(v, 1), &p), &p, 5, 11);
	at(yamljson_doc_pos(m, 1, &p), &p, 6, 1);
	assert_false(yamljson_doc_pos(m, 2, &p));
	yamljson_marks_free(m);
	json_object_put(docs);
	yamljson_marks_free(NULL);

	/* An error: its place as numbers, the problem alone in err. */
	assert_int_equal(yamljson_parse_marked("a: 1\n  b: 2\n", 11, &docs,
	    &m, &p, err, sizeof(err)), -EINVAL);
	assert_null(m);
	assert_int_equal(p.line, 2);
	assert_int_equal(p.col, 4);
	assert_null(strstr(err, "line"));
	assert_true(strlen(err) > 0);
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
		cmocka_unit_test(test_budget_per_document),
		cmocka_unit_test(test_depth_one_limit),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_json_any),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_stream_errors),
		cmocka_unit_test(test_is_json),
		cmocka_unit_test(test_marked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
