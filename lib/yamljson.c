/*
 * yamljson: libyaml events to json-c values, as one tree or with a List's
 * items handed over one by one; json-c with line:column errors.
 */
#include "lib/yamljson.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <yaml.h>


#define STR2(x) #x
#define STR(x) STR2(x)
#define NESTING_TOO_DEEP "nested more than " STR(YAMLJSON_MAX_DEPTH) \
	" levels deep (the limit of every YAML and JSON input)"

struct yj_anchor {
	char *name;
	struct json_object *obj;
	size_t weight;		/* nodes in the anchored subtree, expanded */
	struct yj_anchor *next;
};

struct yj_frame {
	struct json_object *obj;	/* array or object */
	yaml_mark_t mark;		/* where it started */
	yaml_mark_t key_mark;		/* where the pending key was */
	char *key;			/* pending mapping key, owned */
	char *anchor;			/* anchor of this container, owned */
	size_t weight;
	bool stream;			/* elements go to the item callback */
	size_t idx;			/* next element's index, when stream */
};

struct yj_state {
	struct yj_frame stack[YAMLJSON_MAX_DEPTH];
	int depth;
	struct yj_anchor *anchors;
	size_t nodes;
	struct json_object *docs;	/* NULL when streaming */
	struct json_object *doc;	/* current document root */
	bool have_root;
	const struct yamljson_stream *s;	/* NULL for a whole tree */
	size_t docno;
	bool cberr;			/* the error came from a callback */
	char why[160];			/* an error's text, when built */
	struct yamljson_marks *marks;	/* NULL unless asked for */
};

/* Where a node, or a key of a mapping node, was written. */
struct yj_mark {
	const struct json_object *obj;
	char *key;			/* NULL: the node itself */
	struct yamljson_pos pos;
};

struct yamljson_marks {
	struct yj_mark *m;
	size_t n, cap;
	struct yamljson_pos *docs;	/* where each document starts */
	size_t ndocs, dcap;
};

static void
yj_seterr(char *err, size_t errlen, const yaml_mark_t *m, const char *what)
{
	if (err == NULL || errlen == 0)
		return;
	if (m != NULL)
		snprintf(err, errlen, "line %zu, column %zu: %s",
		    (size_t)m->line + 1, (size_t)m->column + 1, what);
	else
		snprintf(err, errlen, "%s", what);
}

static void
yj_anchors_free(struct yj_state *st)
{
	struct yj_anchor *a, *n;

	for (a = st->anchors; a != NULL; a = n) {
		n = a->next;
		free(a->name);
		json_object_put(a->obj);
		free(a);
	}
	st->anchors = NULL;
}

static int
yj_anchor_add(struct yj_state *st, const char *name, struct json_object *o,
    size_t weight)
{
	struct yj_anchor *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return -ENOMEM;
	if ((a->name = strdup(name)) == NULL) {
		free(a);
		return -ENOMEM;
	}
	a->obj = json_object_get(o);
	a->weight = weight;
	/* Newest first, so a redefined anchor shadows the older one. */
	a->next = st->anchors;
	st->anchors = a;
	return 0;
}

static struct yj_anchor *
yj_anchor_find(struct yj_state *st, const char *name)
{
	struct yj_anchor *a;

	for (a = st->anchors; a != NULL; a = a->next)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

static bool
yj_is_int(const char *s, int64_t *v)
{
	char *end;
	long long n;
	int base = 10;
	const char *p = s;

	if (*p == '+' || *p == '-')
		p++;
	if (!isdigit((unsigned char)*p))
		return false;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'o')) {
		if (p != s)
			return false;
		base = p[1] == 'x' ? 16 : 8;
		p += 2;
		if (*p == '\0')
			return false;
	} else
		p = s;
	errno = 0;
	n = strtoll(p, &end, base);
	if (*end != '\0' || errno != 0)
		return false;
	*v = n;
	return true;
}

static bool
yj_is_float(const char *s, double *v)
{
	char *end;
	const char *p = s;
	bool digit = false;

	if (strcmp(s, ".inf") == 0 || strcmp(s, ".Inf") == 0 ||
	    strcmp(s, ".INF") == 0 || strcmp(s, "+.inf") == 0) {
		*v = INFINITY;
		return true;
	}
	if (strcmp(s, "-.inf") == 0 || strcmp(s, "-.Inf") == 0 ||
	    strcmp(s, "-.INF") == 0) {
		*v = -INFINITY;
		return true;
	}
	if (strcmp(s, ".nan") == 0 || strcmp(s, ".NaN") == 0 ||
	    strcmp(s, ".NAN") == 0) {
		*v = NAN;
		return true;
	}
	/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
	if (*p == '+' || *p == '-')
		p++;
	for (; *p != '\0'; p++) {
		if (isdigit((unsigned char)*p))
			digit = true;
		else if (*p != '.' && *p != 'e' && *p != 'E' && *p != '+' &&
		    *p != '-')
			return false;
	}
	if (!digit)
		return false;
	*v = strtod(s, &end);
	return *end == '\0';
}

static struct json_object *
yj_scalar(const yaml_event_t *ev, bool *bad)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	const char *tag = (const char *)ev->data.scalar.tag;
	bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	int64_t i;
	double d;

	*bad = false;
	if (tag != NULL && strcmp(tag, YAML_STR_TAG) == 0)
		return json_object_new_string_len(s, (int)len);
	if (tag != NULL && strcmp(tag, YAML_INT_TAG) == 0) {
		if (!yj_is_int(s, &i)) {
			*bad = true;
			return NULL;
		}
		return json_object_new_int64(i);
	}
	if (tag != NULL && strcmp(tag, YAML_FLOAT_TAG) == 0) {
		if (!yj_is_float(s, &d)) {
			*bad = true;
			return NULL;
		}
		return json_object_new_double(d);
	}
	if (tag != NULL && strcmp(tag, YAML_NULL_TAG) == 0)
		return NULL;
	if (tag != NULL && strcmp(tag, YAML_BOOL_TAG) == 0)
		return json_object_new_boolean(strcasecmp(s, "true") == 0);
	if (!plain || strlen(s) != len)
		return json_object_new_string_len(s, (int)len);
	if (len == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	    strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0)
		return NULL;
	if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 ||
	    strcmp(s, "TRUE") == 0)
		return json_object_new_boolean(1);
	if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 ||
	    strcmp(s, "FALSE") == 0)
		return json_object_new_boolean(0);
	if (yj_is_int(s, &i))
		return json_object_new_int64(i);
	if (yj_is_float(s, &d))
		return json_object_new_double(d);
	return json_object_new_string_len(s, (int)len);
}

static struct yamljson_pos
yj_pos(const yaml_mark_t *m)
{
	struct yamljson_pos p = { m->line + 1, m->column + 1 };

	return p;
}

/* Remember where o (or its key) was written; NULL nodes (YAML nulls)
 * have no object to find them by, only their key. */
static int
yj_mark(struct yj_state *st, const struct json_object *o, const char *key,
    const yaml_mark_t *where)
{
	struct yamljson_marks *ms = st->marks;
	struct yj_mark *m;

	if (ms == NULL || o == NULL)
		return 0;
	if (ms->n == ms->cap) {
		size_t ncap = ms->cap ? ms->cap * 2 : 64;
		struct yj_mark *nm = realloc(ms->m, ncap * sizeof(*nm));

		if (nm == NULL)
			return -ENOMEM;
		ms->m = nm;
		ms->cap = ncap;
	}
	m = &ms->m[ms->n];
	m->obj = o;
	m->key = NULL;
	if (key != NULL && (m->key = strdup(key)) == NULL)
		return -ENOMEM;
	m->pos = yj_pos(where);
	ms->n++;
	return 0;
}

static int
yj_mark_doc(struct yj_state *st, const yaml_mark_t *where)
{
	struct yamljson_marks *ms = st->marks;

	if (ms == NULL)
		return 0;
	if (ms->ndocs == ms->dcap) {
		size_t ncap = ms->dcap ? ms->dcap * 2 : 4;
		struct yamljson_pos *nd = realloc(ms->docs,
		    ncap * sizeof(*nd));

		if (nd == NULL)
			return -ENOMEM;
		ms->docs = nd;
		ms->dcap = ncap;
	}
	ms->docs[ms->ndocs++] = yj_pos(where);
	return 0;
}

/* Hand a finished node, written at where, to its parent (or make it the
 * document root). Takes the reference to o. */
static int
yj_attach(struct yj_state *st, struct json_object *o, size_t nodes,
    size_t weight, const yaml_mark_t *where, const char **why)
{
	struct yj_frame *f;
	int r;

	st->nodes += nodes;
	if (st->nodes > YAMLJSON_MAX_NODES) {
		json_object_put(o);
		snprintf(st->why, sizeof(st->why), "document %zu has more than "
		    "%u nodes once its aliases are expanded (the limit of one "
		    "document): split it into several documents", st->docno + 1,
		    YAMLJSON_MAX_NODES);
		*why = st->why;
		return -E2BIG;
	}
	if (st->depth == 0) {
		json_object_put(st->doc);
		st->doc = o;
		st->have_root = true;
		return yj_mark(st, o, NULL, where);
	}
	f = &st->stack[st->depth - 1];
	f->weight += weight;
	if (f->stream) {
		/* The element is complete: hand it over and drop it (an anchor
		 * on it or inside it keeps its own reference). */
		r = st->s->item(st->s->arg, o, f->idx++);
		json_object_put(o);
		st->cberr = r != 0;
		return r;
	}
	if (json_object_is_type(f->obj, json_type_array)) {
		if (json_object_array_add(f->obj, o) != 0) {
			json_object_put(o);
			return -ENOMEM;
		}
		return yj_mark(st, o, NULL, where);
	}
	if (f->key == NULL) {
		/* o is a key: only scalars make keys. */
		if (o != NULL && !json_object_is_type(o, json_type_string) &&
		    !json_object_is_type(o, json_type_int) &&
		    !json_object_is_type(o, json_type_double) &&
		    !json_object_is_type(o, json_type_boolean)) {
			json_object_put(o);
			*why = "mapping key is not a scalar";
			return -EINVAL;
		}
		f->key = strdup(o == NULL ? "null" : json_object_get_string(o));
		f->key_mark = *where;
		json_object_put(o);
		return f->key == NULL ? -ENOMEM : 0;
	}
	if (st->s != NULL && st->s->pair != NULL && st->depth == 1 &&
	    (r = st->s->pair(st->s->arg, f->key, o)) != 0) {
		json_object_put(o);
		st->cberr = true;
		return r;
	}
	if ((r = yj_mark(st, f->obj, f->key, &f->key_mark)) != 0 ||
	    (r = yj_mark(st, o, NULL, where)) != 0) {
		json_object_put(o);
		return r;
	}
	r = json_object_object_add(f->obj, f->key, o);
	free(f->key);
	f->key = NULL;
	if (r != 0) {
		json_object_put(o);
		return -ENOMEM;
	}
	return 0;
}

/*
 * Is the sequence starting now the one to stream: the value of the
 * stream's key in a document's root mapping? Not when it has an anchor:
 * an alias to it needs the whole sequence, so it is built as a tree.
 */
static bool
yj_streams(const struct yj_state *st, const yaml_char_t *anchor)
{
	const struct yj_frame *root = &st->stack[0];

	return st->s != NULL && st->depth == 1 && anchor == NULL &&
	    json_object_is_type(root->obj, json_type_object) &&
	    root->key != NULL && strcmp(root->key, st->s->key) == 0;
}

static int
yj_push(struct yj_state *st, struct json_object *o, const yaml_char_t *anchor,
    const yaml_mark_t *where, const char **why)
{
	struct yj_frame *f;
	bool stream;

	if (o == NULL)
		return -ENOMEM;
	if (st->depth >= YAMLJSON_MAX_DEPTH) {
		json_object_put(o);
		*why = NESTING_TOO_DEEP;
		return -EINVAL;
	}
	stream = json_object_is_type(o, json_type_array) &&
	    yj_streams(st, anchor);
	f = &st->stack[st->depth];
	memset(f, 0, sizeof(*f));
	f->obj = o;
	f->mark = *where;
	f->weight = 1;
	f->stream = stream;
	if (anchor != NULL && (f->anchor = strdup((const char *)anchor)) ==
	    NULL) {
		json_object_put(o);
		return -ENOMEM;
	}
	st->depth++;
	return 0;
}

static int
yj_pop(struct yj_state *st, const char **why)
{
	struct yj_frame f = st->stack[--st->depth];
	int r = 0;

	free(f.key);
	if (f.anchor != NULL)
		r = yj_anchor_add(st, f.anchor, f.obj, f.weight);
	free(f.anchor);
	if (r != 0) {
		json_object_put(f.obj);
		return r;
	}
	/* The container's own weight was counted into nodes as its children
	 * came; count only the container itself here. */
	return yj_attach(st, f.obj, 1, f.weight, &f.mark, why);
}

static int
yj_event(struct yj_state *st, yaml_event_t *ev, const char **why)
{
	struct json_object *o;
	struct yj_anchor *a;
	bool bad;
	int r;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		st->doc = NULL;
		st->have_root = false;
		/* Each document has the whole budget: a stream of many small
		 * documents is as good as one. */
		st->nodes = 0;
		return yj_mark_doc(st, &ev->start_mark);
	case YAML_DOCUMENT_END_EVENT:
		if (st->s != NULL) {
			r = st->s->doc(st->s->arg, st->doc, st->docno++);
			json_object_put(st->doc);
			st->doc = NULL;
			yj_anchors_free(st);
			st->cberr = r != 0;
			return r;
		}
		r = json_object_array_add(st->docs, st->doc);
		st->doc = NULL;
		st->docno++;
		/* Anchors are per document. */
		yj_anchors_free(st);
		return r == 0 ? 0 : -ENOMEM;
	case YAML_SCALAR_EVENT:
		o = yj_scalar(ev, &bad);
		if (bad) {
			*why = "scalar does not match its tag";
			return -EINVAL;
		}
		if (ev->data.scalar.anchor != NULL &&
		    (r = yj_anchor_add(st, (const char *)ev->data.scalar.anchor,
		    o, 1)) != 0) {
			json_object_put(o);
			return r;
		}
		return yj_attach(st, o, 1, 1, &ev->start_mark, why);
	case YAML_SEQUENCE_START_EVENT:
		return yj_push(st, json_object_new_array(),
		    ev->data.sequence_start.anchor, &ev->start_mark, why);
	case YAML_MAPPING_START_EVENT:
		return yj_push(st, json_object_new_object(),
		    ev->data.mapping_start.anchor, &ev->start_mark, why);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return yj_pop(st, why);
	case YAML_ALIAS_EVENT:
		a = yj_anchor_find(st, (const char *)ev->data.alias.anchor);
		if (a == NULL) {
			*why = "unknown alias";
			return -EINVAL;
		}
		/* Shared by reference: json-c objects are refcounted, and
		 * nothing here modifies them after the parse. */
		return yj_attach(st, json_object_get(a->obj), a->weight,
		    a->weight, &ev->start_mark, why);
	default:
		return 0;
	}
}

/* Where a parse error is, as numbers (errpos) or in the text (err). */
static void
yj_fail(struct yamljson_pos *errpos, char *err, size_t errlen,
    const yaml_mark_t *m, const char *what)
{
	if (errpos == NULL) {
		yj_seterr(err, errlen, m, what);
		return;
	}
	*errpos = yj_pos(m);
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", what);
}

/* The parse, to a tree (s NULL: *out gets the documents) or streamed;
 * marks, when not NULL, learns where each node and key was. */
static int
yj_run(const char *buf, size_t len, const struct yamljson_stream *s,
    struct json_object **out, struct yamljson_marks *marks,
    struct yamljson_pos *errpos, char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct yj_state *st = NULL;
	const char *why = NULL;
	bool done = false;
	int r = 0, i;

	if (out != NULL)
		*out = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return -ENOMEM;
	if (!yaml_parser_initialize(&parser)) {
		free(st);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	st->s = s;
	st->marks = marks;
	if (s == NULL && (st->docs = json_object_new_array()) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			yj_fail(errpos, err, errlen, &parser.problem_mark,
			    parser.problem != NULL ? parser.problem :
			    "YAML syntax error");
			r = parser.error == YAML_MEMORY_ERROR ? -ENOMEM :
			    -EINVAL;
			goto out;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		r = yj_event(st, &ev, &why);
		if (r != 0) {
			/* A callback's error is the callback's to describe. */
			if (!st->cberr)
				yj_fail(errpos, err, errlen, &ev.start_mark,
				    why != NULL ? why : strerror(-r));
			yaml_event_delete(&ev);
			goto out;
		}
		yaml_event_delete(&ev);
	}
	if (out != NULL)
		*out = st->docs;
	st->docs = NULL;
out:
	for (i = 0; i < st->depth; i++) {
		json_object_put(st->stack[i].obj);
		free(st->stack[i].key);
		free(st->stack[i].anchor);
	}
	json_object_put(st->doc);
	json_object_put(st->docs);
	yj_anchors_free(st);
	free(st);
	yaml_parser_delete(&parser);
	return r;
}

int
yamljson_parse(const char *buf, size_t len, struct json_object **out,
    char *err, size_t errlen)
{
	return yj_run(buf, len, NULL, out, NULL, NULL, err, errlen);
}

int
yamljson_parse_stream(const char *buf, size_t len,
    const struct yamljson_stream *s, char *err, size_t errlen)
{
	return yj_run(buf, len, s, NULL, NULL, NULL, err, errlen);
}

void
yamljson_marks_free(struct yamljson_marks *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->m[i].key);
	free(m->m);
	free(m->docs);
	free(m);
}

int
yamljson_parse_marked(const char *buf, size_t len, struct json_object **out,
    struct yamljson_marks **marks, struct yamljson_pos *errpos, char *err,
    size_t errlen)
{
	struct yamljson_marks *m;
	int r;

	*marks = NULL;
	memset(errpos, 0, sizeof(*errpos));
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return -ENOMEM;
	if ((r = yj_run(buf, len, NULL, out, m, errpos, err, errlen)) != 0) {
		yamljson_marks_free(m);
		return r;
	}
	*marks = m;
	return 0;
}

/* The first mark of (o, key): a node has one, even when an alias
 * repeats it; a key written twice is the first. */
static bool
yj_find(const struct yamljson_marks *m, const struct json_object *o,
    const char *key, struct yamljson_pos *out)
{
	for (size_t i = 0; m != NULL && i < m->n; i++) {
		if (m->m[i].obj != o || (key == NULL) != (m->m[i].key == NULL))
			continue;
		if (key != NULL && strcmp(key, m->m[i].key) != 0)
			continue;
		*out = m->m[i].pos;
		return true;
	}
	return false;
}

bool
yamljson_pos_of(const struct yamljson_marks *m, const struct json_object *node,
    struct yamljson_pos *out)
{
	return node != NULL && yj_find(m, node, NULL, out);
}

bool
yamljson_key_pos(const struct yamljson_marks *m, const struct json_object *map,
    const char *key, struct yamljson_pos *out)
{
	return map != NULL && key != NULL && yj_find(m, map, key, out);
}

bool
yamljson_doc_pos(const struct yamljson_marks *m, size_t doc,
    struct yamljson_pos *out)
{
	if (m == NULL || doc >= m->ndocs)
		return false;
	*out = m->docs[doc];
	return true;
}

void
yamljson_linecol(const char *buf, size_t len, size_t off, size_t *line,
    size_t *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			*col = 1;
		} else
			(*col)++;
	}
}

int
yamljson_parse_json(const char *buf, size_t len, struct json_object **out,
    char *err, size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *o = NULL;
	enum json_tokener_error jerr;
	size_t line, col, off, i;
	int r = 0;

	*out = NULL;
	if (len > INT_MAX) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "JSON text too large");
		return -EFBIG;
	}
	/* json-c counts the innermost value as a level: one more lets as
	 * many containers nest as in YAML. */
	if ((tok = json_tokener_new_ex(YAMLJSON_MAX_DEPTH + 1)) == NULL)
		return -ENOMEM;
	o = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	off = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_continue) {
		yamljson_linecol(buf, len, len, &line, &col);
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "line %zu, column %zu: "
			    "unexpected end of JSON text (truncated?)", line,
			    col);
		r = -EINVAL;
		goto out;
	}
	if (jerr != json_tokener_success) {
		yamljson_linecol(buf, len, off, &line,
		    &col);
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "line %zu, column %zu: %s", line,
			    col, jerr == json_tokener_error_depth ?
			    NESTING_TOO_DEEP : json_tokener_error_desc(jerr));
		r = -EINVAL;
		goto out;
	}
	for (i = off; i < len; i++) {
		if (!isspace((unsigned char)buf[i]) && buf[i] != '\0') {
			yamljson_linecol(buf, len, i, &line, &col);
			if (err != NULL && errlen > 0)
				snprintf(err, errlen, "line %zu, column %zu: "
				    "trailing data after the JSON text", line,
				    col);
			r = -EINVAL;
			goto out;
		}
	}
	*out = o;
	o = NULL;
out:
	json_object_put(o);
	json_tokener_free(tok);
	return r;
}

bool
yamljson_is_json(const char *buf, size_t len)
{
	size_t i = 0;

	while (i < len && isspace((unsigned char)buf[i]))
		i++;
	return i < len && (buf[i] == '{' || buf[i] == '[');
}

int
yamljson_parse_any(const char *buf, size_t len, struct json_object **out,
    char *err, size_t errlen)
{
	struct json_object *o, *arr;
	int r;

	*out = NULL;
	if (!yamljson_is_json(buf, len))
		return yamljson_parse(buf, len, out, err, errlen);
	if ((r = yamljson_parse_json(buf, len, &o, err, errlen)) != 0)
		return r;
	if ((arr = json_object_new_array()) == NULL) {
		json_object_put(o);
		return -ENOMEM;
	}
	if (json_object_array_add(arr, o) != 0) {
		json_object_put(o);
		json_object_put(arr);
		return -ENOMEM;
	}
	*out = arr;
	return 0;
}
