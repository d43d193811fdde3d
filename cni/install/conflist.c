/*
 * conflist: a CNI network configuration held in a buffer, and our entry in
 * it (cniinst_entry, cniinst_add_entry, cniinst_remove_entry,
 * cniinst_same_config, cniinst_has_entry). See install.h for the contract.
 *
 * Configuration files are parsed strictly (the runtimes that read them are
 * written in Go), printed in one stable format, and a single-plugin
 * configuration is seen as the list a runtime makes of it. Nothing here
 * touches a file.
 */
#include "cni/install/install.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cni/cniconf.h"

/* ---- JSON: strict parsing, the one output format, lists -------------- */

/* Parse one JSON object, strictly (as Go's encoding/json would): the
 * runtimes that read these files are written in Go. */
static int
parse_object(const char *json, size_t len, json_object **out, char *err,
    size_t errlen)
{
	json_tokener *tok;
	json_object *o;
	size_t off, i, line = 1, col = 1;
	int ret = -EINVAL;

	*out = NULL;
	if (len > CNIINST_FILE_MAX || len > INT32_MAX) {
		snprintf(err, errlen, "larger than %d bytes",
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
		snprintf(err, errlen, "not valid JSON (line %zu, "
		    "column %zu: %s)", line, col, o == NULL &&
		    json_tokener_get_error(tok) == json_tokener_continue ?
		    "unexpected end of input" :
		    json_tokener_error_desc(json_tokener_get_error(tok)));
		goto out;
	}
	for (; off < len; off++)
		if (json[off] != ' ' && json[off] != '\t' &&
		    json[off] != '\n' && json[off] != '\r') {
			snprintf(err, errlen,
			    "not valid JSON (data after the "
			    "end, at byte %zu)", off);
			goto out;
		}
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "not a JSON object");
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

static const char *
get_string(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool
is_ours(json_object *plugin)
{
	const char *t = get_string(plugin, "type");

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

static int
serialize(json_object *o, char **out)
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
static json_object *
copy_without(json_object *o, const char *skip1, const char *skip2)
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
static int
normalize(json_object *root, json_object **out, bool *converted,
    char *err, size_t errlen)
{
	json_object *plugins, *list = NULL, *arr = NULL, *plugin = NULL, *v;
	size_t i, n;

	*out = NULL;
	*converted = false;
	if (json_object_object_get_ex(root, "plugins", &plugins)) {
		if (!json_object_is_type(plugins, json_type_array)) {
			snprintf(err, errlen,
			    "\"plugins\" is not an array");
			return -EINVAL;
		}
		n = json_object_array_length(plugins);
		for (i = 0; i < n; i++)
			if (!json_object_is_type(json_object_array_get_idx(
			    plugins, i), json_type_object)) {
				snprintf(err, errlen, "plugins[%zu] is "
				    "not an object", i);
				return -EINVAL;
			}
		*out = json_object_get(root);
		return 0;
	}
	if (get_string(root, "type") == NULL) {
		snprintf(err, errlen, "neither a \"plugins\" list nor a "
		    "\"type\": not a CNI network configuration");
		return -EINVAL;
	}
	if ((list = json_object_new_object()) == NULL ||
	    (arr = json_object_new_array()) == NULL ||
	    (plugin = copy_without(root, "cniVersion", "name")) == NULL)
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

/* ---- our entry ---------------------------------------------------------- */

/* The keys of our entry, in the order they are written. */
static const struct entry_key {
	const char *key;
	size_t off;		/* of the value in struct cniinst_opts */
	bool number;
	const char *option;	/* for error messages */
} entry_keys[] = {
	{ "db", offsetof(struct cniinst_opts, db), false, "--db" },
	{ "logFile", offsetof(struct cniinst_opts, log_file), false,
	    "--log-file" },
	{ "logLevel", offsetof(struct cniinst_opts, log_level), false,
	    "--log-level" },
	{ "failurePolicy", offsetof(struct cniinst_opts, failure_policy),
	    false, "--failure-policy" },
	{ "markBit", offsetof(struct cniinst_opts, mark_bit), false,
	    "--mark-bit" },
	{ "nflogGroup", offsetof(struct cniinst_opts, nflog_group), true,
	    "--nflog-group" },
	{ "nflogSnaplen", offsetof(struct cniinst_opts, nflog_snaplen), true,
	    "--nflog-snaplen" },
	{ "releaseSocket", offsetof(struct cniinst_opts, release_socket),
	    false, "--release-socket" },
};

static bool
number_ok(const char *s)
{
	char *end;

	errno = 0;
	(void)strtoll(s, &end, 10);
	return *s != '\0' && *end == '\0' && errno == 0;
}

/* Our entry as an object, checked by the plugin's own config parser. */
static int
entry_object(const struct cniinst_opts *o, json_object **out, char *err,
    size_t errlen)
{
	static const struct cniinst_opts none;
	struct cni_conf conf;
	struct cni_err cerr;
	json_object *e = NULL, *probe = NULL;
	const char *text;
	size_t i;
	int ret = -ENOMEM;

	*out = NULL;
	if (o == NULL)
		o = &none;
	memset(&cerr, 0, sizeof(cerr));
	if ((e = json_object_new_object()) == NULL ||
	    json_object_object_add(e, "type",
	    json_object_new_string(CNIINST_TYPE)) != 0)
		goto out;
	for (i = 0; i < sizeof(entry_keys) / sizeof(entry_keys[0]); i++) {
		const char *val = *(const char *const *)(const void *)
		    ((const char *)o + entry_keys[i].off);
		json_object *v;

		if (val == NULL)
			continue;
		if (entry_keys[i].number && !number_ok(val)) {
			snprintf(err, errlen, "%s: not a number: %s",
			    entry_keys[i].option, val);
			ret = -EINVAL;
			goto out;
		}
		v = entry_keys[i].number ?
		    json_object_new_int64(strtoll(val, NULL, 10)) :
		    json_object_new_string(val);
		if (v == NULL || json_object_object_add(e, entry_keys[i].key,
		    v) != 0) {
			json_object_put(v);
			goto out;
		}
	}

	/* What the runtime will hand the plugin: our keys plus the
	 * injected name and cniVersion. */
	if ((probe = copy_without(e, NULL, NULL)) == NULL ||
	    json_object_object_add(probe, "cniVersion",
	    json_object_new_string(CNI_VERSION_LATEST)) != 0 ||
	    json_object_object_add(probe, "name",
	    json_object_new_string("probe")) != 0)
		goto out;
	text = json_object_to_json_string_ext(probe, JSON_C_TO_STRING_PLAIN);
	memset(&conf, 0, sizeof(conf));
	if (cni_conf_parse(text, strlen(text), &conf, &cerr) != 0) {
		snprintf(err, errlen, "the plugin would refuse this "
		    "entry: %s", cerr.msg);
		ret = -EINVAL;
		goto out;
	}
	cni_conf_free(&conf);
	*out = e;
	e = NULL;
	ret = 0;
out:
	json_object_put(probe);
	json_object_put(e);
	return ret;
}

int
cniinst_entry(const struct cniinst_opts *o, char **out, char *err,
    size_t errlen)
{
	json_object *e;
	int ret;

	*out = NULL;
	if ((ret = entry_object(o, &e, err, errlen)) != 0)
		return ret;
	ret = serialize(e, out);
	json_object_put(e);
	return ret;
}

/* The cniVersion must be one the plugin speaks: 0.3.0 (chaining) or
 * newer. */
static int
check_version(json_object *root, char *err, size_t errlen)
{
	const char *v = get_string(root, "cniVersion");

	if (v == NULL) {
		snprintf(err, errlen, "no \"cniVersion\" string");
		return -EINVAL;
	}
	if (!cni_version_supported(v)) {
		snprintf(err, errlen,
		    "cniVersion %s is not one netpol-record-cni "
		    "speaks (0.3.0 to %s; chaining needs 0.3.0 or newer)", v,
		    CNI_VERSION_LATEST);
		return -EINVAL;
	}
	return 0;
}

int
cniinst_add_entry(const char *json, size_t len, const struct cniinst_opts *o,
    char **out, bool *converted, char *err, size_t errlen)
{
	json_object *root = NULL, *list = NULL, *entry = NULL, *plugins;
	bool conv = false, same;
	size_t i, n, first = SIZE_MAX, count = 0;
	int ret;

	*out = NULL;
	if (converted)
		*converted = false;
	if ((ret = parse_object(json, len, &root, err, errlen)) != 0 ||
	    (ret = check_version(root, err, errlen)) != 0 ||
	    (ret = normalize(root, &list, &conv, err, errlen)) != 0 ||
	    (ret = entry_object(o, &entry, err, errlen)) != 0)
		goto out;
	json_object_object_get_ex(list, "plugins", &plugins);
	n = json_object_array_length(plugins);
	for (i = 0; i < n; i++)
		if (is_ours(json_object_array_get_idx(plugins, i))) {
			if (first == SIZE_MAX)
				first = i;
			count++;
		}
	if (first == 0) {
		snprintf(err, errlen,
		    "netpol-record-cni is the first plugin: it "
		    "must follow the plugin that creates the interface");
		ret = -EINVAL;
		goto out;
	}
	if (n == 0) {
		snprintf(err, errlen, "\"plugins\" is empty: no "
		    "network to chain after");
		ret = -EINVAL;
		goto out;
	}
	if (first == SIZE_MAX) {
		if (json_object_array_add(plugins, entry) != 0) {
			ret = -ENOMEM;
			goto out;
		}
		entry = NULL;
	} else {
		same = json_object_equal(json_object_array_get_idx(plugins,
		    first), entry);
		if (same && count == 1 && !conv) {
			ret = CNIINST_UNCHANGED;
			goto out;
		}
		/* Drop duplicates from the end, then replace the first. */
		for (i = n; i-- > first + 1;)
			if (is_ours(json_object_array_get_idx(plugins,
			    i)))
				json_object_array_del_idx(plugins, i, 1);
		if (!same) {
			if (json_object_array_put_idx(plugins, first,
			    entry) != 0) {
				ret = -ENOMEM;
				goto out;
			}
			entry = NULL;
		}
	}
	if ((ret = serialize(list, out)) == 0 && converted)
		*converted = conv;
out:
	json_object_put(entry);
	json_object_put(list);
	json_object_put(root);
	return ret;
}

int
cniinst_remove_entry(const char *json, size_t len, char **out, char *err,
    size_t errlen)
{
	json_object *root = NULL, *plugins;
	size_t i, n;
	bool removed = false;
	int ret;

	*out = NULL;
	if ((ret = parse_object(json, len, &root, err, errlen)) != 0)
		goto out;
	if (!json_object_object_get_ex(root, "plugins", &plugins)) {
		if (is_ours(root)) {
			snprintf(err, errlen,
			    "the whole configuration is "
			    "netpol-record-cni: not ours to remove");
			ret = -EINVAL;
		} else
			ret = CNIINST_UNCHANGED;
		goto out;
	}
	if (!json_object_is_type(plugins, json_type_array)) {
		snprintf(err, errlen, "\"plugins\" is not an array");
		ret = -EINVAL;
		goto out;
	}
	n = json_object_array_length(plugins);
	for (i = n; i-- > 0;)
		if (is_ours(json_object_array_get_idx(plugins, i))) {
			json_object_array_del_idx(plugins, i, 1);
			removed = true;
		}
	ret = removed ? serialize(root, out) : CNIINST_UNCHANGED;
out:
	json_object_put(root);
	return ret;
}

bool
cniinst_same_config(const char *a, size_t alen, const char *b, size_t blen)
{
	json_object *ra = NULL, *rb = NULL, *la = NULL, *lb = NULL;
	bool conv, same = false;

	if (parse_object(a, alen, &ra, NULL, 0) == 0 &&
	    parse_object(b, blen, &rb, NULL, 0) == 0 &&
	    normalize(ra, &la, &conv, NULL, 0) == 0 &&
	    normalize(rb, &lb, &conv, NULL, 0) == 0)
		same = json_object_equal(la, lb);
	json_object_put(la);
	json_object_put(lb);
	json_object_put(ra);
	json_object_put(rb);
	return same;
}

int
cniinst_has_entry(const char *json, size_t len)
{
	json_object *root, *plugins;
	size_t i, n;
	int ret = 0;

	if (parse_object(json, len, &root, NULL, 0) != 0)
		return -EINVAL;
	if (json_object_object_get_ex(root, "plugins", &plugins) &&
	    json_object_is_type(plugins, json_type_array)) {
		n = json_object_array_length(plugins);
		for (i = 0; i < n && !ret; i++)
			ret = is_ours(json_object_array_get_idx(plugins,
			    i));
	} else
		ret = is_ours(root);
	json_object_put(root);
	return ret;
}
