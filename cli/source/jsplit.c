/*
 * jsplit: a list response's items as text, one by one (see jsplit.h).
 *
 * A scanner that knows only what it must to find where a value ends:
 * strings (with their escapes) and nesting. No recursion: a nested value
 * is skipped by counting brackets, so no input can exhaust the stack.
 */
#include "cli/source/jsplit.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

struct scan {
	const char *p, *end;
};

static void
ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
	    *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static bool
at(struct scan *s, char c)
{
	ws(s);
	return s->p < s->end && *s->p == c;
}

/* Past the string at s->p (which is '"'). */
static int
skip_string(struct scan *s)
{
	s->p++;
	while (s->p < s->end) {
		if (*s->p == '\\') {
			if (++s->p >= s->end)
				return -EINVAL;
		} else if (*s->p == '"') {
			s->p++;
			return 0;
		}
		s->p++;
	}
	return -EINVAL;
}

/* Past one value: a string, an object or array (brackets counted), or a
 * scalar (up to the next delimiter). */
static int
skip_value(struct scan *s)
{
	size_t depth = 0;
	const char *start;

	ws(s);
	if (s->p >= s->end)
		return -EINVAL;
	if (*s->p == '"')
		return skip_string(s);
	if (*s->p != '{' && *s->p != '[') {
		start = s->p;
		while (s->p < s->end && strchr(",]} \t\r\n", *s->p) == NULL)
			s->p++;
		return s->p > start ? 0 : -EINVAL;
	}
	while (s->p < s->end) {
		switch (*s->p) {
		case '"':
			if (skip_string(s) < 0)
				return -EINVAL;
			continue;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (--depth == 0) {
				s->p++;
				return 0;
			}
			break;
		}
		s->p++;
	}
	return -EINVAL;
}

/* metadata.continue of the metadata object in [start, end). */
static int
take_continue(const char *start, size_t len, char *cont, size_t contlen)
{
	json_tokener *tok = json_tokener_new();
	json_object *m, *c;
	int rc = 0;

	if (tok == NULL)
		return -ENOMEM;
	m = json_tokener_parse_ex(tok, start, (int)len);
	if (json_object_object_get_ex(m, "continue", &c) &&
	    json_object_is_type(c, json_type_string)) {
		if ((size_t)json_object_get_string_len(c) >= contlen)
			rc = -EINVAL;
		else
			snprintf(cont, contlen, "%s", json_object_get_string(c));
	}
	json_object_put(m);
	json_tokener_free(tok);
	return rc;
}

/* Parse one element and hand it over. */
static int
one(json_tokener *tok, const char *text, size_t len, jsplit_item_cb cb,
    void *arg)
{
	json_object *o;
	int rc;

	json_tokener_reset(tok);
	o = json_tokener_parse_ex(tok, text, (int)len);
	/* A number at the very end is not known to be whole until something
	 * follows it. */
	if (o == NULL && json_tokener_get_error(tok) == json_tokener_continue)
		o = json_tokener_parse_ex(tok, " ", 1);
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		o = NULL;
	}
	rc = cb(o, arg);
	json_object_put(o);
	return rc;
}

/* The elements of an array: 0, 1 when the callback stopped the walk
 * (its value in *cbrc), -EINVAL on a broken structure. */
static int
items(struct scan *s, json_tokener *tok, jsplit_item_cb cb, void *arg,
    int *cbrc)
{
	const char *start;

	if (!at(s, '['))
		return -EINVAL;
	s->p++;
	if (at(s, ']')) {
		s->p++;
		return 0;
	}
	for (;;) {
		ws(s);
		start = s->p;
		if (skip_value(s) < 0)
			return -EINVAL;
		if ((*cbrc = one(tok, start, (size_t)(s->p - start), cb,
		    arg)) != 0)
			return 1;
		if (at(s, ',')) {
			s->p++;
			continue;
		}
		if (at(s, ']')) {
			s->p++;
			return 0;
		}
		return -EINVAL;
	}
}

static bool
key_is(const char *k, size_t klen, const char *want)
{
	return klen == strlen(want) && memcmp(k, want, klen) == 0;
}

int
jsplit_list(const char *buf, size_t len, jsplit_item_cb cb, void *arg,
    char *cont, size_t contlen, char *err, size_t errlen)
{
	struct scan s = { .p = buf, .end = buf + len };
	json_tokener *tok = NULL;
	const char *k, *v;
	size_t klen;
	bool seen = false;
	int rc, cbrc = 0;

	cont[0] = '\0';
	/* Items nest no deeper than what the API allows. */
	if ((tok = json_tokener_new_ex(64)) == NULL)
		return -ENOMEM;
	if (!at(&s, '{'))
		goto bad;
	s.p++;
	while (!at(&s, '}')) {
		if (!at(&s, '"'))
			goto bad;
		k = s.p + 1;
		if (skip_string(&s) < 0)
			goto bad;
		klen = (size_t)(s.p - k - 1);
		if (!at(&s, ':'))
			goto bad;
		s.p++;
		ws(&s);
		v = s.p;
		if (key_is(k, klen, "items")) {
			if ((rc = items(&s, tok, cb, arg, &cbrc)) > 0) {
				rc = cbrc;
				goto out;
			}
			if (rc < 0)
				goto bad;
			seen = true;
		} else if (skip_value(&s) < 0) {
			goto bad;
		} else if (key_is(k, klen, "metadata") && (rc = take_continue(v,
		    (size_t)(s.p - v), cont, contlen)) < 0) {
			if (rc != -ENOMEM)
				snprintf(err, errlen, "the list's continue token "
				    "is longer than %zu bytes", contlen - 1);
			goto out;
		}
		if (at(&s, ','))
			s.p++;
		else if (!at(&s, '}'))
			goto bad;
	}
	rc = 0;
	if (!seen) {
		snprintf(err, errlen, "the answer is not a list (no items)");
		rc = -EINVAL;
	}
	goto out;
bad:
	snprintf(err, errlen, "the answer is not a JSON object, or is cut "
	    "short (at byte %zu of %zu)", (size_t)(s.p - buf), len);
	rc = -EINVAL;
out:
	json_tokener_free(tok);
	return rc;
}
