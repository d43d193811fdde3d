/*
 * yamlout: json-c trees as block YAML through libyaml's emitter.
 */
#include "cli/gen/yamlout.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

struct membuf {
	char *buf;
	size_t len, cap;
	bool failed;
};

static int
file_handler(void *data, unsigned char *buf, size_t size)
{
	FILE *f = data;

	return fwrite(buf, 1, size, f) == size;
}

static int
mem_handler(void *data, unsigned char *buf, size_t size)
{
	struct membuf *m = data;
	size_t ncap;
	char *n;

	if (m->len + size + 1 > m->cap) {
		ncap = m->cap ? m->cap : 4096;
		while (ncap < m->len + size + 1)
			ncap *= 2;
		n = realloc(m->buf, ncap);
		if (n == NULL) {
			m->failed = true;
			return 0;
		}
		m->buf = n;
		m->cap = ncap;
	}
	memcpy(m->buf + m->len, buf, size);
	m->len += size;
	m->buf[m->len] = '\0';
	return 1;
}

/* Words YAML 1.1 (what kubectl's go-yaml reads) or 1.2 take for a bool or
 * a null when plain. */
static const char *const special_words[] = {
	"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
	"true", "True", "TRUE", "false", "False", "FALSE",
	"on", "On", "ON", "off", "Off", "OFF",
	"null", "Null", "NULL", "~",
	".inf", ".Inf", ".INF", "-.inf", "-.Inf", "-.INF", "+.inf",
	".nan", ".NaN", ".NAN", "=", "<<",
};

static bool
all_of(const char *s, const char *set)
{
	return s[strspn(s, set)] == '\0';
}

/* "2026-11-22..." is a timestamp to YAML 1.1 readers. */
static bool
looks_like_date(const char *s)
{
	static const int pos[] = { 0, 1, 2, 3, 5, 6, 8, 9 };
	size_t i;

	if (strlen(s) < 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (i = 0; i < sizeof(pos) / sizeof(pos[0]); i++)
		if (s[pos[i]] < '0' || s[pos[i]] > '9')
			return false;
	return true;
}

/* Would a plain scalar s be read back as something other than a string? */
static bool
needs_quotes(const char *s)
{
	size_t i;
	char *end;

	if (*s == '\0')
		return true;
	/* Every special word starts with one of these: most strings (names,
	 * labels) skip the table. */
	if (strchr("yYnNtTfFoO~.=<-+", *s) != NULL)
		for (i = 0; i < sizeof(special_words) /
		    sizeof(special_words[0]); i++)
			if (strcmp(s, special_words[i]) == 0)
				return true;
	/* Everything below (numbers, dates, sexagesimals) starts so. */
	if (!((*s >= '0' && *s <= '9') || *s == '-' || *s == '+' ||
	    *s == '.'))
		return false;
	/* Numbers in any base and floats (strtod also takes inf/nan). */
	(void)strtod(s, &end);
	if (*end == '\0')
		return true;
	(void)strtoll(s, &end, 0);
	if (*end == '\0')
		return true;
	if (strncasecmp(s, "0o", 2) == 0 || strncasecmp(s, "0b", 2) == 0 ||
	    strncasecmp(s, "0x", 2) == 0)
		return true;
	/* YAML 1.1 sexagesimal numbers (1:20) and timestamps (2026-11-22):
	 * only digits and separators. */
	if ((s[0] >= '0' && s[0] <= '9') && all_of(s, "0123456789:_-+"))
		return true;
	if (looks_like_date(s))
		return true;
	/* 1_000 and friends: digits with underscores are ints in 1.1. */
	if (((s[0] >= '0' && s[0] <= '9') || s[0] == '-' || s[0] == '+' ||
	    s[0] == '.') && all_of(s, "0123456789_.+-eE"))
		return true;
	return false;
}

static int
emit(yaml_emitter_t *em, yaml_event_t *ev)
{
	if (!yaml_emitter_emit(em, ev))
		return em->error == YAML_MEMORY_ERROR ? -ENOMEM : -EIO;
	return 0;
}

static int
emit_scalar(yaml_emitter_t *em, const char *s, size_t len, bool quote)
{
	yaml_event_t ev;

	if (!yaml_scalar_event_initialize(&ev, NULL, NULL,
	    (yaml_char_t *)(uintptr_t)s, (int)len, !quote, 1,
	    quote ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE))
		return -ENOMEM;
	return emit(em, &ev);
}

static int
emit_string(yaml_emitter_t *em, const char *s)
{
	return emit_scalar(em, s, strlen(s), needs_quotes(s));
}

static int emit_node(yaml_emitter_t *em, json_object *o);

static int
emit_object(yaml_emitter_t *em, json_object *o)
{
	yaml_event_t ev;
	int rc;

	if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
	    json_object_object_length(o) == 0 ? YAML_FLOW_MAPPING_STYLE :
	    YAML_BLOCK_MAPPING_STYLE))
		return -ENOMEM;
	if ((rc = emit(em, &ev)) < 0)
		return rc;
	json_object_object_foreach(o, key, val) {
		if ((rc = emit_string(em, key)) < 0 ||
		    (rc = emit_node(em, val)) < 0)
			return rc;
	}
	if (!yaml_mapping_end_event_initialize(&ev))
		return -ENOMEM;
	return emit(em, &ev);
}

static int
emit_array(yaml_emitter_t *em, json_object *o)
{
	yaml_event_t ev;
	size_t i, n = json_object_array_length(o);
	int rc;

	if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
	    n == 0 ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE))
		return -ENOMEM;
	if ((rc = emit(em, &ev)) < 0)
		return rc;
	for (i = 0; i < n; i++)
		if ((rc = emit_node(em, json_object_array_get_idx(o, i))) < 0)
			return rc;
	if (!yaml_sequence_end_event_initialize(&ev))
		return -ENOMEM;
	return emit(em, &ev);
}

static int
emit_node(yaml_emitter_t *em, json_object *o)
{
	char num[64];
	const char *s;

	switch (json_object_get_type(o)) {
	case json_type_null:
		return emit_scalar(em, "null", 4, false);
	case json_type_boolean:
		s = json_object_get_boolean(o) ? "true" : "false";
		return emit_scalar(em, s, strlen(s), false);
	case json_type_int:
		snprintf(num, sizeof(num), "%lld",
		    (long long)json_object_get_int64(o));
		return emit_scalar(em, num, strlen(num), false);
	case json_type_double:
		snprintf(num, sizeof(num), "%.17g", json_object_get_double(o));
		return emit_scalar(em, num, strlen(num), false);
	case json_type_string:
		return emit_scalar(em, json_object_get_string(o),
		    (size_t)json_object_get_string_len(o),
		    needs_quotes(json_object_get_string(o)));
	case json_type_object:
		return emit_object(em, o);
	case json_type_array:
		return emit_array(em, o);
	}
	return -EINVAL;
}

static int
emit_stream_start(yaml_emitter_t *em)
{
	yaml_event_t ev;

	if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING))
		return -ENOMEM;
	return emit(em, &ev);
}

static int
emit_doc(yaml_emitter_t *em, json_object *doc)
{
	yaml_event_t ev;
	int rc;

	if (!yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 0))
		return -ENOMEM;
	if ((rc = emit(em, &ev)) < 0 || (rc = emit_node(em, doc)) < 0)
		return rc;
	if (!yaml_document_end_event_initialize(&ev, 1))
		return -ENOMEM;
	return emit(em, &ev);
}

static int
emit_stream_end(yaml_emitter_t *em)
{
	yaml_event_t ev;
	int rc;

	if (!yaml_stream_end_event_initialize(&ev))
		return -ENOMEM;
	if ((rc = emit(em, &ev)) < 0)
		return rc;
	return yaml_emitter_flush(em) ? 0 : -EIO;
}

static int
emit_docs(yaml_emitter_t *em, json_object *const *docs, size_t n)
{
	size_t i;
	int rc;

	if ((rc = emit_stream_start(em)) < 0)
		return rc;
	for (i = 0; i < n; i++)
		if ((rc = emit_doc(em, docs[i])) < 0)
			return rc;
	return emit_stream_end(em);
}

static void
setup(yaml_emitter_t *em)
{
	yaml_emitter_set_unicode(em, 1);
	yaml_emitter_set_width(em, -1);
	yaml_emitter_set_indent(em, 2);
}

int
yamlout_write(FILE *f, json_object *const *docs, size_t n)
{
	yaml_emitter_t em;
	int rc;

	if (n == 0)
		return 0;
	if (!yaml_emitter_initialize(&em))
		return -ENOMEM;
	setup(&em);
	yaml_emitter_set_output(&em, file_handler, f);
	rc = emit_docs(&em, docs, n);
	yaml_emitter_delete(&em);
	if (rc == 0 && fflush(f) != 0)
		rc = -EIO;
	return rc;
}

int
yamlout_to_buf(json_object *const *docs, size_t n, char **out, size_t *len)
{
	yaml_emitter_t em;
	struct membuf m = { 0 };
	int rc = 0;

	*out = NULL;
	*len = 0;
	if (n > 0) {
		if (!yaml_emitter_initialize(&em))
			return -ENOMEM;
		setup(&em);
		yaml_emitter_set_output(&em, mem_handler, &m);
		rc = emit_docs(&em, docs, n);
		yaml_emitter_delete(&em);
		if (m.failed)
			rc = -ENOMEM;
	}
	if (rc == 0 && m.buf == NULL && (m.buf = strdup("")) == NULL)
		rc = -ENOMEM;
	if (rc < 0) {
		free(m.buf);
		return rc;
	}
	*out = m.buf;
	*len = m.len;
	return 0;
}

struct yamlout_stream {
	yaml_emitter_t em;
	FILE *f;
	size_t ndocs;
	int rc;
};

struct yamlout_stream *
yamlout_stream_begin(FILE *f)
{
	struct yamlout_stream *ys = calloc(1, sizeof(*ys));

	if (ys == NULL)
		return NULL;
	if (!yaml_emitter_initialize(&ys->em)) {
		free(ys);
		return NULL;
	}
	setup(&ys->em);
	yaml_emitter_set_output(&ys->em, file_handler, f);
	ys->f = f;
	return ys;
}

int
yamlout_stream_doc(struct yamlout_stream *ys, json_object *doc)
{
	if (ys->rc < 0)
		return ys->rc;
	/* The stream start goes out with the first document, so that an
	 * empty stream writes nothing at all. */
	if (ys->ndocs == 0 && (ys->rc = emit_stream_start(&ys->em)) < 0)
		return ys->rc;
	ys->ndocs++;
	return ys->rc = emit_doc(&ys->em, doc);
}

int
yamlout_stream_end(struct yamlout_stream *ys)
{
	int rc;

	if (ys == NULL)
		return -ENOMEM;
	rc = ys->rc;
	if (rc == 0 && ys->ndocs > 0)
		rc = emit_stream_end(&ys->em);
	if (rc == 0 && fflush(ys->f) != 0)
		rc = -EIO;
	yaml_emitter_delete(&ys->em);
	free(ys);
	return rc;
}

int
yamlout_write_json(FILE *f, json_object *const *docs, size_t n)
{
	json_object *list = NULL, *items;
	const char *s;
	size_t i;
	int rc = 0;
	const int flags = JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
	    JSON_C_TO_STRING_NOSLASHESCAPE;

	if (n == 1) {
		s = json_object_to_json_string_ext(docs[0], flags);
	} else {
		list = json_object_new_object();
		items = json_object_new_array();
		if (list == NULL || items == NULL) {
			json_object_put(list);
			json_object_put(items);
			return -ENOMEM;
		}
		json_object_object_add(list, "apiVersion",
		    json_object_new_string("v1"));
		json_object_object_add(list, "kind",
		    json_object_new_string("List"));
		json_object_object_add(list, "items", items);
		for (i = 0; i < n; i++)
			json_object_array_add(items, json_object_get(docs[i]));
		s = json_object_to_json_string_ext(list, flags);
	}
	if (s == NULL || fputs(s, f) == EOF || fputc('\n', f) == EOF ||
	    fflush(f) != 0)
		rc = -EIO;
	json_object_put(list);
	return rc;
}
