/*
 * kmeta_load: a whole metadata List into the cache, replacing what it
 * held only when every item is valid.
 *
 * A List is read item by item, JSON and YAML alike (json-c parses one
 * JSON item at a time; yamljson_parse_stream() builds one YAML item at a
 * time), and each item is freed once applied: a 100,000-pod List is about
 * 75 MB of JSON text, and as one json-c tree it would take well over 1 GB.
 * JSON that is not an object with "items", and the few YAML Lists whose
 * meaning is known only at their end (see load_yaml_stream), go through
 * one tree (yamljson), which is what defines the results: the streamed
 * reads give the same cache and the same errors.
 */
#include "recorderd/meta/kmeta_load.h"

#include "recorderd/meta/kmeta_json.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "lib/file.h"
#include "lib/yamljson.h"

#define KMETA_ITEM_DEPTH 64	/* json-c nesting limit for one item */

/* The kind of a List item: its own "kind", else the list's ("PodList"). */
static int
item_kind(struct json_object *item, const char *listkind, bool *skip,
    struct kmeta_err *e, size_t idx)
{
	const char *k = NULL;
	char buf[64];
	size_t n;
	int kind;

	*skip = false;
	if (!json_object_is_type(item, json_type_object))
		return kmeta_err_set(e, "items[%zu]: expected an object", idx);
	if (kmeta_json_str(item, "kind", &k, e, "item") != 0)
		return kmeta_err_set(e, "items[%zu]: kind: expected a string",
		    idx);
	if (k == NULL && listkind != NULL) {
		n = strlen(listkind);
		if (n > 4 && n < sizeof(buf) &&
		    strcmp(listkind + n - 4, "List") == 0) {
			memcpy(buf, listkind, n - 4);
			buf[n - 4] = '\0';
			k = buf;
		}
	}
	if (k == NULL)
		return kmeta_err_set(e, "items[%zu]: no kind", idx);
	if ((kind = kmeta_kind_parse(k)) < 0)
		*skip = true;
	return kind;
}

/*
 * One item, as every reader applies it: its kind, then the cache. Returns
 * 0 when applied or skipped (a kind not cached), an item_kind error with
 * e set, -ENOMEM, or kmeta_apply's error with *applyerr set and the
 * problem in sub, for the caller to say where it is.
 */
static int
item_apply(struct kmeta *km, struct json_object *it, const char *lk,
    size_t idx, struct kmeta_err *e, char *sub, size_t sublen,
    bool *applyerr)
{
	bool skip;
	int kind, r;

	*applyerr = false;
	if ((kind = item_kind(it, lk, &skip, e, idx)) < 0 && !skip)
		return kind;
	if (skip)
		return 0;
	r = kmeta_apply(km, kind, false, it, sub, sublen);
	*applyerr = r != 0 && r != -ENOMEM;
	return r;
}

/* item_apply with its error as "items[i]: problem". */
static int
load_item(struct kmeta *km, struct json_object *it, const char *lk,
    size_t idx, struct kmeta_err *e)
{
	char sub[512];
	bool applyerr;
	int r;

	r = item_apply(km, it, lk, idx, e, sub, sizeof(sub), &applyerr);
	if (applyerr)
		return kmeta_err_set(e, "items[%zu]: %s", idx, sub);
	return r;
}

/* Apply one document: a List (items) or a single object. */
static int
load_doc(struct kmeta *km, struct json_object *doc, size_t docno,
    struct kmeta_err *e)
{
	struct json_object *items;
	const char *lk = NULL;
	size_t i, n;
	int r;

	if (doc == NULL)
		return 0;
	if (!json_object_is_type(doc, json_type_object))
		return kmeta_err_set(e,
		    "document %zu: expected an object (a List)",
		    docno + 1);
	if (json_object_object_get_ex(doc, "items", &items)) {
		if (!json_object_is_type(items, json_type_array))
			return kmeta_err_set(e,
			    "document %zu: items: expected an "
			    "array", docno + 1);
		kmeta_json_str(doc, "kind", &lk, e, "List");
	} else
		items = NULL;
	n = items != NULL ? json_object_array_length(items) : 1;
	for (i = 0; i < n; i++) {
		struct json_object *it = items != NULL ?
		    json_object_array_get_idx(items, i) : doc;

		if ((r = load_item(km, it, lk, i, e)) != 0)
			return r;
	}
	return 0;
}


/* ---- the JSON List, one item at a time ---------------------------------- */

struct jstream {
	const char *buf;
	size_t len, pos;
	struct json_tokener *tok;
	struct kmeta_err *e;
};

static int
js_fail(struct jstream *js, size_t off, const char *what)
{
	size_t line, col;

	yamljson_linecol(js->buf, js->len, off, &line, &col);
	return kmeta_err_set(js->e, "line %zu, column %zu: %s", line, col,
	    what);
}

static void
js_ws(struct jstream *js)
{
	while (js->pos < js->len && isspace((unsigned char)js->buf[js->pos]))
		js->pos++;
}

/* Is the next byte c? Consumes it. */
static bool
js_eat(struct jstream *js, char c)
{
	js_ws(js);
	if (js->pos < js->len && js->buf[js->pos] == c) {
		js->pos++;
		return true;
	}
	return false;
}

/* The byte the parser stopped at, for an error message. */
static int
js_expect(struct jstream *js, const char *what)
{
	char msg[96];

	js_ws(js);
	if (js->pos >= js->len)
		return js_fail(js, js->len,
		    "unexpected end of JSON text (truncated?)");
	snprintf(msg, sizeof(msg), "expected %s", what);
	return js_fail(js, js->pos, msg);
}

/* One JSON value from pos; the caller owns *out (NULL for null). */
static int
js_value(struct jstream *js, struct json_object **out)
{
	enum json_tokener_error jerr;
	size_t n, end;

	js_ws(js);
	n = js->len - js->pos;
	if (n > INT_MAX)
		return js_fail(js, js->pos, "JSON value too large");
	json_tokener_reset(js->tok);
	*out = json_tokener_parse_ex(js->tok, js->buf + js->pos, (int)n);
	jerr = json_tokener_get_error(js->tok);
	end = json_tokener_get_parse_end(js->tok);
	if (jerr == json_tokener_continue) {
		/* A number at the very end may still be complete; anything
		 * else ran out of text. */
		*out = json_tokener_parse_ex(js->tok, "", 1);
		if (json_tokener_get_error(js->tok) != json_tokener_success) {
			json_object_put(*out);
			*out = NULL;
			return js_fail(js, js->len,
			    "unexpected end of JSON text (truncated?)");
		}
	} else if (jerr != json_tokener_success) {
		return js_fail(js, js->pos + end, json_tokener_error_desc(jerr));
	}
	js->pos += end;
	return 0;
}

/* Apply the items array, one element at a time. */
static int
js_items(struct kmeta *km, struct jstream *js, const char *listkind)
{
	struct json_object *it = NULL;
	char sub[512];
	size_t i, start, line, col;
	bool applyerr;
	int r;

	if (!js_eat(js, '['))
		return kmeta_err_set(js->e, "items: expected an array");
	if (js_eat(js, ']'))
		return 0;
	for (i = 0;; i++) {
		js_ws(js);
		start = js->pos;
		if ((r = js_value(js, &it)) != 0)
			return r;
		/* A typed list whose "kind" comes after "items" (jq -S
		 * sorts keys): let the caller read it as a whole. */
		if (listkind == NULL && json_object_is_type(it,
		    json_type_object) && !json_object_object_get_ex(it, "kind",
		    NULL)) {
			json_object_put(it);
			return -EAGAIN;
		}
		r = item_apply(km, it, listkind, i, js->e, sub, sizeof(sub),
		    &applyerr);
		json_object_put(it);
		if (r != 0 && !applyerr)
			return r;
		if (r != 0) {
			yamljson_linecol(js->buf, js->len, start, &line, &col);
			return kmeta_err_set(js->e, "line %zu, column %zu: "
			    "items[%zu]: %s", line, col, i, sub);
		}
		if (js_eat(js, ']'))
			return 0;
		if (!js_eat(js, ','))
			return js_expect(js, "',' or ']' after an item");
	}
}

/*
 * A JSON object with "items", streamed. *handled is false (and nothing is
 * applied) when buf is not such an object: the caller then reads it as a
 * tree, as when a typed list ("PodList", items without "kind") names its
 * kind only after "items".
 */
static int
load_json_stream(struct kmeta *km, const char *buf, size_t len,
    struct kmeta_err *e, bool *handled)
{
	struct jstream js = { .buf = buf, .len = len, .e = e };
	struct json_object *key = NULL, *val = NULL, *kind = NULL;
	const char *k;
	bool items = false;
	int r = 0;

	*handled = false;
	/* Only when "items" is a top-level key: look before committing. */
	if (!js_eat(&js, '{') || memmem(buf, len, "\"items\"", 7) == NULL)
		return 0;
	if ((js.tok = json_tokener_new_ex(KMETA_ITEM_DEPTH)) == NULL)
		return -ENOMEM;
	*handled = true;
	if (js_eat(&js, '}'))
		goto trailer;
	for (;;) {
		js_ws(&js);
		if (js.pos >= len || buf[js.pos] != '"') {
			r = js_expect(&js, "a key string");
			goto out;
		}
		if ((r = js_value(&js, &key)) != 0)
			goto out;
		if (!js_eat(&js, ':')) {
			r = js_expect(&js, "':'");
			goto out;
		}
		k = json_object_get_string(key);
		if (strcmp(k, "items") == 0) {
			items = true;
			r = js_items(km, &js, kind != NULL ?
			    json_object_get_string(kind) : NULL);
			if (r == -EAGAIN) {
				*handled = false;
				r = 0;
			}
			if (r != 0 || !*handled)
				goto out;
		} else {
			if ((r = js_value(&js, &val)) != 0)
				goto out;
			if (strcmp(k, "kind") == 0 &&
			    json_object_is_type(val, json_type_string)) {
				json_object_put(kind);
				kind = val;
			} else
				json_object_put(val);
			val = NULL;
		}
		json_object_put(key);
		key = NULL;
		if (js_eat(&js, '}'))
			break;
		if (!js_eat(&js, ',')) {
			r = js_expect(&js, "',' or '}'");
			goto out;
		}
	}
trailer:
	js_ws(&js);
	if (js.pos < len && buf[js.pos] != '\0') {
		r = js_fail(&js, js.pos, "trailing data after the JSON text");
		goto out;
	}
	/* "items" only inside a value: not a List; nothing was applied. */
	if (!items)
		*handled = false;
out:
	json_object_put(key);
	json_object_put(kind);
	json_tokener_free(js.tok);
	return r;
}

/* ---- the YAML List, one item at a time ---------------------------------- */

/*
 * The tree read (yamljson_parse, then load_doc for each document) defines
 * the results; the stream must match it for every input:
 *   - A syntax or conversion error anywhere wins over a load error (the
 *     tree reports it before applying anything): after the first load
 *     error the stream still parses to the end, applying nothing more.
 *   - An item without its own "kind" takes the List's ("PodList"), which
 *     may come after "items" (keys sorted); a duplicate key takes the
 *     last value. When an item needs the List's kind before it is known,
 *     when the kind changes after an item used it, or when "items" comes
 *     twice after items were applied, the stream gives up (-EAGAIN) and
 *     the caller reads the tree.
 *   - Documents without a streamed "items" go to load_doc whole, as do
 *     those with one (left empty, so only the document's own checks run).
 */
struct ystream {
	struct kmeta *km;
	struct kmeta_err *e;
	int failed;		/* the first load error, 0 while none */
	/* the current document */
	char *lk;		/* its "kind" so far, when a string */
	char *lk_used;		/* the kind an item without one was given */
	bool streamed;		/* items went through ys_item */
	size_t nitems;		/* "items" keys seen */
};

static int
ys_item(void *arg, struct json_object *it, size_t idx)
{
	struct ystream *y = arg;
	int r;

	if (y->failed != 0)
		return 0;
	y->streamed = true;
	if (json_object_is_type(it, json_type_object) &&
	    kmeta_json_path(it, "kind") == NULL) {
		if (y->lk == NULL)
			return -EAGAIN;
		if (y->lk_used == NULL && (y->lk_used = strdup(y->lk)) == NULL)
			return -ENOMEM;
	}
	r = load_item(y->km, it, y->lk, idx, y->e);
	if (r == -ENOMEM)
		return r;
	y->failed = r;
	return 0;
}

static int
ys_pair(void *arg, const char *key, struct json_object *v)
{
	struct ystream *y = arg;
	char *k = NULL;

	if (strcmp(key, "items") == 0) {
		if (++y->nitems > 1 && y->streamed)
			return -EAGAIN;
	} else if (strcmp(key, "kind") == 0) {
		if (json_object_is_type(v, json_type_string) &&
		    (k = strdup(json_object_get_string(v))) == NULL)
			return -ENOMEM;
		if (y->lk_used != NULL && (k == NULL ||
		    strcmp(k, y->lk_used) != 0)) {
			free(k);
			return -EAGAIN;
		}
		free(y->lk);
		y->lk = k;
	}
	return 0;
}

static void
ys_reset(struct ystream *y)
{
	free(y->lk);
	free(y->lk_used);
	y->lk = y->lk_used = NULL;
	y->streamed = false;
	y->nitems = 0;
}

static int
ys_doc(void *arg, struct json_object *doc, size_t docno)
{
	struct ystream *y = arg;
	int r = 0;

	if (y->failed == 0) {
		r = load_doc(y->km, doc, docno, y->e);
		if (r != -ENOMEM) {
			y->failed = r;
			r = 0;
		}
	}
	ys_reset(y);
	return r;
}

/*
 * A YAML stream, its Lists' items one at a time. *handled is false (and
 * what was applied must be dropped) when only the tree can tell.
 */
static int
load_yaml_stream(struct kmeta *km, const char *buf, size_t len,
    struct kmeta_err *e, bool *handled)
{
	struct ystream y = { .km = km, .e = e };
	const struct yamljson_stream s = {
		.key = "items",
		.item = ys_item,
		.pair = ys_pair,
		.doc = ys_doc,
		.arg = &y,
	};
	int r;

	*handled = true;
	r = yamljson_parse_stream(buf, len, &s, e->buf, e->len);
	ys_reset(&y);
	if (r == -EAGAIN) {
		*handled = false;
		return 0;
	}
	return r != 0 ? r : y.failed;
}

int
kmeta_load_list(struct kmeta *km, const char *buf, size_t len, char *err,
    size_t errlen)
{
	struct kmeta_err e = { err, errlen };
	struct json_object *docs = NULL;
	struct kmeta *tmp = NULL;
	bool handled;
	size_t i;
	int r;

	if ((r = kmeta_new(&tmp)) != 0)
		return r;
	if ((r = load_json_stream(tmp, buf, len, &e, &handled)) != 0)
		goto out;
	if (!handled && !yamljson_is_json(buf, len)) {
		kmeta_free(tmp);
		if ((r = kmeta_new(&tmp)) != 0)
			goto out;
		if ((r = load_yaml_stream(tmp, buf, len, &e, &handled)) != 0)
			goto out;
	}
	if (!handled) {
		/* Start again from empty: the stream may have applied some
		 * items before it gave up. */
		kmeta_free(tmp);
		if ((r = kmeta_new(&tmp)) != 0)
			goto out;
		if ((r = yamljson_parse_any(buf, len, &docs, err, errlen)) != 0)
			goto out;
		for (i = 0; i < json_object_array_length(docs); i++)
			if ((r = load_doc(tmp, json_object_array_get_idx(docs,
			    i), i, &e)) != 0)
				goto out;
	}
	kmeta_replace(km, tmp);
out:
	if (r == -ENOMEM && err != NULL && errlen > 0)
		snprintf(err, errlen, "out of memory");
	kmeta_free(tmp);
	json_object_put(docs);
	return r;
}

int
kmeta_load_list_file(struct kmeta *km, const char *path, char *err,
    size_t errlen)
{
	char *buf = NULL, sub[512];
	size_t len = 0;
	int r;

	if ((r = file_read(path, KMETA_MAX_FILE, &buf, &len)) != 0) {
		if (r == -EFBIG)
			snprintf(err, errlen, "%s: larger than %u MiB", path,
			    KMETA_MAX_FILE >> 20);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	if ((r = kmeta_load_list(km, buf, len, sub, sizeof(sub))) != 0)
		snprintf(err, errlen, "%s: %s", path, sub);
	free(buf);
	return r;
}
