/*
 * install_json.c: the installer's JSON core. Configuration files are
 * parsed strictly (they are read by runtimes written in Go), printed in
 * one stable format, and a single-plugin configuration is seen as the
 * list a runtime makes of it.
 */
#include "cni/install_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
cniinst_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Parse one JSON object, strictly (as Go's encoding/json would): the
 * runtimes that read these files are written in Go. */
int
cniinst_parse_object(const char *json, size_t len, json_object **out, char *err,
    size_t errlen)
{
	json_tokener *tok;
	json_object *o;
	size_t off, i, line = 1, col = 1;
	int ret = -EINVAL;

	*out = NULL;
	if (len > CNIINST_FILE_MAX || len > INT32_MAX) {
		cniinst_seterr(err, errlen, "larger than %d bytes",
		    CNIINST_FILE_MAX);
		return -EINVAL;
	}
	if ((tok = json_tokener_new()) == NULL)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, json, (int)len);
	off = json_tokener_get_parse_end(tok);
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success) {
		for (i = 0; i < off && i < len; i++, col++)
			if (json[i] == '\n')
				line++, col = 0;
		cniinst_seterr(err, errlen, "not valid JSON (line %zu, "
		    "column %zu: %s)", line, col, o == NULL &&
		    json_tokener_get_error(tok) == json_tokener_continue ?
		    "unexpected end of input" :
		    json_tokener_error_desc(json_tokener_get_error(tok)));
		goto out;
	}
	for (; off < len; off++)
		if (json[off] != ' ' && json[off] != '\t' &&
		    json[off] != '\n' && json[off] != '\r') {
			cniinst_seterr(err, errlen,
			    "not valid JSON (data after the "
			    "end, at byte %zu)", off);
			goto out;
		}
	if (!json_object_is_type(o, json_type_object)) {
		cniinst_seterr(err, errlen, "not a JSON object");
		goto out;
	}
	*out = o;
	o = NULL;
	ret = 0;
out:
	json_object_put(o);
	json_tokener_free(tok);
	return ret;
}

const char *
cniinst_get_string(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

bool
cniinst_is_ours(json_object *plugin)
{
	const char *t = cniinst_get_string(plugin, "type");

	return t != NULL && strcmp(t, CNIINST_TYPE) == 0;
}

/* Write s as a JSON string. */
static void
emit_string(FILE *f, const char *s)
{
	json_object *tmp = json_object_new_string(s);

	fputs(tmp ? json_object_to_json_string_ext(tmp,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE) : "\"\"",
	    f);
	json_object_put(tmp);
}

static void
indent(FILE *f, int depth)
{
	int i;

	for (i = 0; i < depth; i++)
		fputs("  ", f);
}

/*
 * The one output format: two spaces per level, "key": value, empty
 * containers as {} and [], numbers as they were written (json-c keeps the
 * text of parsed doubles), slashes not escaped.
 */
static void
emit(FILE *f, json_object *o, int depth)
{
	size_t i, n;
	bool first = true;

	switch (json_object_get_type(o)) {
	case json_type_object:
		if (json_object_object_length(o) == 0) {
			fputs("{}", f);
			break;
		}
		fputs("{\n", f);
		json_object_object_foreach(o, k, v) {
			if (!first)
				fputs(",\n", f);
			first = false;
			indent(f, depth + 1);
			emit_string(f, k);
			fputs(": ", f);
			emit(f, v, depth + 1);
		}
		fputc('\n', f);
		indent(f, depth);
		fputc('}', f);
		break;
	case json_type_array:
		n = json_object_array_length(o);
		if (n == 0) {
			fputs("[]", f);
			break;
		}
		fputs("[\n", f);
		for (i = 0; i < n; i++) {
			indent(f, depth + 1);
			emit(f, json_object_array_get_idx(o, i), depth + 1);
			fputs(i + 1 < n ? ",\n" : "\n", f);
		}
		indent(f, depth);
		fputc(']', f);
		break;
	default:
		fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
		    JSON_C_TO_STRING_NOSLASHESCAPE), f);
		break;
	}
}

int
cniinst_serialize(json_object *o, char **out)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	*out = NULL;
	if ((f = open_memstream(&buf, &len)) == NULL)
		return -ENOMEM;
	emit(f, o, 0);
	fputc('\n', f);
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*out = buf;
	return 0;
}

/* A new object with o's members, except those named in skip (borrowing
 * the values: the copy takes its own references). */
json_object *
cniinst_copy_without(json_object *o, const char *skip1, const char *skip2)
{
	json_object *c = json_object_new_object();

	if (c == NULL)
		return NULL;
	json_object_object_foreach(o, k, v) {
		if ((skip1 && strcmp(k, skip1) == 0) ||
		    (skip2 && strcmp(k, skip2) == 0))
			continue;
		if (json_object_object_add(c, k, json_object_get(v)) != 0) {
			json_object_put(c);
			return NULL;
		}
	}
	return c;
}

/*
 * Turn a single-plugin configuration into the list a runtime makes of it
 * (as libcni's ConfListFromConf does): name and cniVersion at the top,
 * the plugin, without them, as the only element of "plugins". A list is
 * returned as is (with a new reference).
 */
int
cniinst_normalize(json_object *root, json_object **out, bool *converted,
    char *err, size_t errlen)
{
	json_object *plugins, *list = NULL, *arr = NULL, *plugin = NULL, *v;
	size_t i, n;

	*out = NULL;
	*converted = false;
	if (json_object_object_get_ex(root, "plugins", &plugins)) {
		if (!json_object_is_type(plugins, json_type_array)) {
			cniinst_seterr(err, errlen,
			    "\"plugins\" is not an array");
			return -EINVAL;
		}
		n = json_object_array_length(plugins);
		for (i = 0; i < n; i++)
			if (!json_object_is_type(json_object_array_get_idx(
			    plugins, i), json_type_object)) {
				cniinst_seterr(err, errlen, "plugins[%zu] is "
				    "not an object", i);
				return -EINVAL;
			}
		*out = json_object_get(root);
		return 0;
	}
	if (cniinst_get_string(root, "type") == NULL) {
		cniinst_seterr(err, errlen, "neither a \"plugins\" list nor a "
		    "\"type\": not a CNI network configuration");
		return -EINVAL;
	}
	if ((list = json_object_new_object()) == NULL ||
	    (arr = json_object_new_array()) == NULL ||
	    (plugin = cniinst_copy_without(root, "cniVersion", "name")) == NULL)
		goto nomem;
	if (json_object_object_get_ex(root, "cniVersion", &v) &&
	    json_object_object_add(list, "cniVersion", json_object_get(v)))
		goto nomem;
	if (json_object_object_get_ex(root, "name", &v) &&
	    json_object_object_add(list, "name", json_object_get(v)))
		goto nomem;
	if (json_object_array_add(arr, plugin) != 0)
		goto nomem;
	plugin = NULL;
	if (json_object_object_add(list, "plugins", arr) != 0)
		goto nomem;
	*out = list;
	*converted = true;
	return 0;
nomem:
	json_object_put(plugin);
	json_object_put(arr);
	json_object_put(list);
	return -ENOMEM;
}
