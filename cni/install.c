/*
 * install: netpol-record-cni into (and out of) a node's CNI configuration.
 * See install.h for the contract; the JSON core comes first, then the file
 * shell, then the command line.
 */
#include "cni/install.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cni/cniconf.h"

/* ---- JSON core ---------------------------------------------------------- */

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

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
		seterr(err, errlen, "larger than %d bytes", CNIINST_FILE_MAX);
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
		seterr(err, errlen, "not valid JSON (line %zu, column %zu: %s)",
		    line, col, o == NULL && json_tokener_get_error(tok) ==
		    json_tokener_continue ? "unexpected end of input" :
		    json_tokener_error_desc(json_tokener_get_error(tok)));
		goto out;
	}
	for (; off < len; off++)
		if (json[off] != ' ' && json[off] != '\t' &&
		    json[off] != '\n' && json[off] != '\r') {
			seterr(err, errlen, "not valid JSON (data after the "
			    "end, at byte %zu)", off);
			goto out;
		}
	if (!json_object_is_type(o, json_type_object)) {
		seterr(err, errlen, "not a JSON object");
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
normalize(json_object *root, json_object **out, bool *converted, char *err,
    size_t errlen)
{
	json_object *plugins, *list = NULL, *arr = NULL, *plugin = NULL, *v;
	size_t i, n;

	*out = NULL;
	*converted = false;
	if (json_object_object_get_ex(root, "plugins", &plugins)) {
		if (!json_object_is_type(plugins, json_type_array)) {
			seterr(err, errlen, "\"plugins\" is not an array");
			return -EINVAL;
		}
		n = json_object_array_length(plugins);
		for (i = 0; i < n; i++)
			if (!json_object_is_type(json_object_array_get_idx(
			    plugins, i), json_type_object)) {
				seterr(err, errlen, "plugins[%zu] is not an "
				    "object", i);
				return -EINVAL;
			}
		*out = json_object_get(root);
		return 0;
	}
	if (get_string(root, "type") == NULL) {
		seterr(err, errlen, "neither a \"plugins\" list nor a "
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
			seterr(err, errlen, "%s: not a number: %s",
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
		seterr(err, errlen, "the plugin would refuse this entry: %s",
		    cerr.msg);
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
		seterr(err, errlen, "no \"cniVersion\" string");
		return -EINVAL;
	}
	if (!cni_version_supported(v)) {
		seterr(err, errlen, "cniVersion %s is not one netpol-record-cni "
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
		seterr(err, errlen, "netpol-record-cni is the first plugin: it "
		    "must follow the plugin that creates the interface");
		ret = -EINVAL;
		goto out;
	}
	if (n == 0) {
		seterr(err, errlen, "\"plugins\" is empty: no network to "
		    "chain after");
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
			if (is_ours(json_object_array_get_idx(plugins, i)))
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
			seterr(err, errlen, "the whole configuration is "
			    "netpol-record-cni: not ours to remove");
			ret = -EINVAL;
		} else
			ret = CNIINST_UNCHANGED;
		goto out;
	}
	if (!json_object_is_type(plugins, json_type_array)) {
		seterr(err, errlen, "\"plugins\" is not an array");
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
			ret = is_ours(json_object_array_get_idx(plugins, i));
	} else
		ret = is_ours(root);
	json_object_put(root);
	return ret;
}

/* ---- file shell --------------------------------------------------------- */

/* In the names of our temporary files: ".NAME" TMP_MARK "XXXXXX". */
#define TMP_MARK ".netpol-record.tmp."

static void
note(const struct cniinst_opts *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
note(const struct cniinst_opts *o, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (o == NULL || o->note == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	o->note(o->note_arg, line);
}

static bool
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

/* The names runtimes read (libcni's ConfFiles with .conf, .conflist,
 * .json). */
static bool
is_config_name(const char *name)
{
	return has_suffix(name, ".conf") || has_suffix(name, ".conflist") ||
	    has_suffix(name, ".json");
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
free_names(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The configuration files in dir, sorted by bytes (Go's sort.Strings,
 * which is how runtimes order them). Directories are skipped, as libcni
 * does; anything else with a matching name is listed. With clean (and
 * the directory locked), stale temporary files of ours are removed. */
static int
list_configs(const char *dir, bool clean, char ***out, size_t *nout,
    char *err, size_t errlen)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	char **names = NULL, **tmp;
	size_t n = 0, cap = 0;
	int ret = 0;

	*out = NULL;
	*nout = 0;
	if ((d = opendir(dir)) == NULL) {
		ret = -errno;
		seterr(err, errlen, "%s: %s", dir, strerror(errno));
		return ret;
	}
	while ((de = readdir(d)) != NULL) {
		/* A temporary file of ours left by a run that died: the
		 * caller holds the directory's lock, so no run of ours is
		 * writing it now. */
		if (de->d_name[0] == '.' &&
		    strstr(de->d_name, TMP_MARK) != NULL) {
			if (clean)
				(void)unlinkat(dirfd(d), de->d_name, 0);
			continue;
		}
		if (!is_config_name(de->d_name))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, 0) == 0 &&
		    S_ISDIR(st.st_mode))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((tmp = realloc(names, cap * sizeof(*names))) ==
			    NULL) {
				ret = -ENOMEM;
				goto out;
			}
			names = tmp;
		}
		if ((names[n] = strdup(de->d_name)) == NULL) {
			ret = -ENOMEM;
			goto out;
		}
		n++;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_names);
	*out = names;
	*nout = n;
	names = NULL;
out:
	if (names)
		free_names(names, n);
	closedir(d);
	return ret;
}

static int
path_join(char *buf, size_t len, const char *dir, const char *name)
{
	if ((size_t)snprintf(buf, len, "%s/%s", dir, name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* Read a whole regular file (not through a symbolic link), NUL-terminated,
 * at most max bytes. */
static int
read_file(const char *path, size_t max, char **out, size_t *outlen,
    struct stat *st, bool follow)
{
	char *buf = NULL;
	size_t len = 0;
	ssize_t r;
	int fd, ret = 0;

	*out = NULL;
	*outlen = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | (follow ? 0 :
	    O_NOFOLLOW))) < 0)
		return -errno;
	if (fstat(fd, st) != 0) {
		ret = -errno;
		goto out;
	}
	if (!S_ISREG(st->st_mode)) {
		ret = -EINVAL;
		goto out;
	}
	if ((size_t)st->st_size > max) {
		ret = -EFBIG;
		goto out;
	}
	if ((buf = malloc((size_t)st->st_size + 1)) == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	/* Read to EOF, even if the file grew a little since fstat. */
	while (len < (size_t)st->st_size) {
		r = read(fd, buf + len, (size_t)st->st_size - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return ret;
}

static int
fsync_dir(const char *dir)
{
	int fd, ret = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	if (fsync(fd) != 0 && errno != EINVAL)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Write data to dir/name atomically: a temporary file in dir (its name
 * ends in neither .conf, .conflist nor .json, so a runtime listing the
 * directory meanwhile never reads it), fsync, rename over the target,
 * fsync of the directory. The file gets mode, and owner uid:gid when
 * uid is not (uid_t)-1 (best effort).
 */
static int
write_atomic(const char *dir, const char *name, const char *data,
    size_t len, mode_t mode, uid_t uid, gid_t gid)
{
	char tmp[4096], path[4096];
	size_t off = 0;
	ssize_t w;
	int fd = -1, ret;

	if ((ret = path_join(path, sizeof(path), dir, name)) != 0)
		return ret;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s" TMP_MARK "XXXXXX",
	    dir, name) >= sizeof(tmp))
		return -ENAMETOOLONG;
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		return -errno;
	while (off < len) {
		w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			ret = -errno;
			goto fail;
		}
		off += (size_t)w;
	}
	if (uid != (uid_t)-1 && fchown(fd, uid, gid) != 0) {
		/* Not root: the file stays ours, which is fine. */
	}
	if (fchmod(fd, mode & 07777) != 0 || fsync(fd) != 0) {
		ret = -errno;
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		ret = -errno;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		ret = -errno;
		goto fail;
	}
	return fsync_dir(dir);
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return ret;
}

/* Copy the plugin binary into bin_dir, unless it is already there. */
static int
copy_plugin(const char *bin_dir, const char *src,
    const struct cniinst_opts *o, char *err, size_t errlen)
{
	char path[4096], *data = NULL, *cur = NULL;
	size_t len, curlen;
	struct stat st, cst;
	int ret;

	if ((ret = read_file(src, 256u << 20, &data, &len, &st, true)) != 0) {
		seterr(err, errlen, "plugin binary %s: %s", src,
		    strerror(-ret));
		goto out;
	}
	if ((ret = path_join(path, sizeof(path), bin_dir,
	    CNIINST_TYPE)) != 0) {
		seterr(err, errlen, "%s: path too long", bin_dir);
		goto out;
	}
	if (read_file(path, 256u << 20, &cur, &curlen, &cst, false) == 0 &&
	    curlen == len && memcmp(cur, data, len) == 0 &&
	    (cst.st_mode & 07777) == 0755) {
		if (o == NULL || !o->changes_only)
			note(o, "%s is up to date", path);
		goto out;
	}
	if ((ret = write_atomic(bin_dir, CNIINST_TYPE, data, len, 0755,
	    (uid_t)-1, (gid_t)-1)) != 0) {
		seterr(err, errlen, "writing %s: %s", path, strerror(-ret));
		goto out;
	}
	note(o, "installed %s", path);
out:
	free(data);
	free(cur);
	return ret;
}

/* Hold an exclusive flock on the directory itself, so that two
 * installers (or an install and an uninstall) do not interleave. */
static int
lock_dir(const char *dir, char *err, size_t errlen)
{
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		fd = -errno;
		seterr(err, errlen, "%s: %s", dir, strerror(errno));
		return fd;
	}
	while (flock(fd, LOCK_EX) != 0)
		if (errno != EINTR) {
			seterr(err, errlen, "locking %s: %s", dir,
			    strerror(errno));
			close(fd);
			return -EIO;
		}
	return fd;
}

static void
unlock_dir(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* "X.conf" -> "X.conflist" (also for X.json). */
static int
list_name(const char *name, char *buf, size_t len)
{
	const char *dot = strrchr(name, '.');
	size_t stem = dot ? (size_t)(dot - name) : strlen(name);

	if ((size_t)snprintf(buf, len, "%.*s.conflist", (int)stem, name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* Keep a copy of the bytes being replaced: name + CNIINST_BAK_SUFFIX. */
static int
write_backup(const char *dir, const char *name, const char *data,
    size_t len, const struct stat *st)
{
	char bak[4096];

	if ((size_t)snprintf(bak, sizeof(bak), "%s%s", name,
	    CNIINST_BAK_SUFFIX) >= sizeof(bak))
		return -ENAMETOOLONG;
	return write_atomic(dir, bak, data, len, st->st_mode, st->st_uid,
	    st->st_gid);
}

/* The file to edit: the primary configuration (names[0]), or the one the
 * operator named with --conf-file. */
static int
pick_file(const char *conf_dir, char **names, size_t n,
    const struct cniinst_opts *o, size_t *k, char *err, size_t errlen)
{
	*k = 0;
	if (o == NULL || o->conf_file == NULL)
		return 0;
	if (strchr(o->conf_file, '/') != NULL ||
	    !is_config_name(o->conf_file)) {
		seterr(err, errlen, "%s: not a *.conf, *.conflist or *.json "
		    "file name", o->conf_file);
		return -EINVAL;
	}
	for (*k = 0; *k < n && strcmp(names[*k], o->conf_file) != 0; (*k)++)
		;
	if (*k == n) {
		seterr(err, errlen, "%s/%s: no such configuration", conf_dir,
		    o->conf_file);
		return -ENOENT;
	}
	return 0;
}

/*
 * The name a converted names[k] (X.conf) gets: X.conflist, which must not
 * exist yet and, for the primary file, must still be the first: nothing
 * may sort between X.conf and X.conflist. (A file named with --conf-file
 * is the operator's choice, wherever it sorts.)
 */
static int
conversion_name(const char *conf_dir, char **names, size_t n, size_t k,
    const struct cniinst_opts *o, char *newname, size_t len, char *err,
    size_t errlen)
{
	bool named = o != NULL && o->conf_file != NULL;
	size_t i;
	int ret;

	if ((ret = list_name(names[k], newname, len)) != 0)
		return ret;
	for (i = 0; i < n; i++) {
		if (i == k)
			continue;
		if (strcmp(names[i], newname) == 0) {
			seterr(err, errlen, "%s: both %s and %s exist; left "
			    "unchanged", conf_dir, names[k], newname);
			return -EEXIST;
		}
		if (!named && i > k && strcmp(names[i], newname) < 0) {
			seterr(err, errlen, "%s: %s would not be the first "
			    "configuration (%s sorts before it); left "
			    "unchanged", conf_dir, newname, names[i]);
			return -EINVAL;
		}
	}
	return 0;
}

int
cniinst_install(const char *conf_dir, const char *bin_dir,
    const char *plugin_src, const struct cniinst_opts *o, char *err,
    size_t errlen)
{
	char **names = NULL, path[4096], newname[4096], *data = NULL;
	char *out = NULL, e[512];
	const char *primary, *target;
	size_t n = 0, len, k;
	struct stat st;
	bool converted, update, dry;
	int lock = -1, ret;

	/* Options the plugin would refuse fail before anything changes. */
	if ((ret = cniinst_entry(o, &out, err, errlen)) != 0)
		return ret;
	free(out);
	out = NULL;
	dry = o != NULL && o->dry_run;
	if (bin_dir != NULL && plugin_src != NULL) {
		if (dry)
			note(o, "would copy %s to %s/%s", plugin_src, bin_dir,
			    CNIINST_TYPE);
		else if ((ret = copy_plugin(bin_dir, plugin_src, o, err,
		    errlen)) != 0)
			return ret;
	}
	if ((lock = lock_dir(conf_dir, err, errlen)) < 0)
		return lock;
	if ((ret = list_configs(conf_dir, !dry, &names, &n, err,
	    errlen)) != 0)
		goto out;
	if (n == 0) {
		seterr(err, errlen, "no CNI network configuration (*.conf, "
		    "*.conflist, *.json) in %s: the cluster network must be "
		    "installed first", conf_dir);
		ret = -ENOENT;
		goto out;
	}
	if ((ret = pick_file(conf_dir, names, n, o, &k, err, errlen)) != 0)
		goto out;
	primary = names[k];
	if ((ret = path_join(path, sizeof(path), conf_dir, primary)) != 0) {
		seterr(err, errlen, "%s: path too long", conf_dir);
		goto out;
	}
	if ((ret = read_file(path, CNIINST_FILE_MAX, &data, &len, &st,
	    false)) != 0) {
		seterr(err, errlen, "%s: %s", path, ret == -ELOOP ?
		    "a symbolic link (not replaced by a file; copy what it "
		    "points to in its place)" :
		    ret == -EINVAL ? "not a regular file" : strerror(-ret));
		goto out;
	}
	ret = cniinst_add_entry(data, len, o, &out, &converted, e, sizeof(e));
	if (ret == CNIINST_UNCHANGED) {
		if (o == NULL || !o->changes_only)
			note(o, "%s already chains netpol-record-cni", path);
		ret = 0;
		goto out;
	}
	if (ret != 0) {
		seterr(err, errlen, "%s: %s; left unchanged", path, e);
		goto out;
	}

	target = primary;
	if (converted && !has_suffix(primary, ".conflist")) {
		if ((ret = conversion_name(conf_dir, names, n, k, o, newname,
		    sizeof(newname), err, errlen)) != 0)
			goto out;
		target = newname;
	}

	update = cniinst_has_entry(data, len) == 1;
	if (dry) {
		note(o, "would write %s/%s%s%s", conf_dir, target,
		    target != primary ? " and remove " : "",
		    target != primary ? path : "");
		if (o->preview != NULL) {
			char tpath[4096];

			if (path_join(tpath, sizeof(tpath), conf_dir,
			    target) == 0)
				o->preview(o->note_arg, tpath, out);
		}
		goto out;
	}
	/* The backup holds the file as it was before we were added; an
	 * update of our own entry keeps the older backup. */
	if (!update &&
	    (ret = write_backup(conf_dir, primary, data, len, &st)) != 0) {
		seterr(err, errlen, "%s%s: %s", path, CNIINST_BAK_SUFFIX,
		    strerror(-ret));
		goto out;
	}
	if ((ret = write_atomic(conf_dir, target, out, strlen(out),
	    st.st_mode, st.st_uid, st.st_gid)) != 0) {
		seterr(err, errlen, "writing %s/%s: %s", conf_dir, target,
		    strerror(-ret));
		goto out;
	}
	if (target != primary) {
		/* Only now that X.conflist is in place: the runtime never
		 * sees an empty directory. */
		if (unlink(path) != 0) {
			ret = -errno;
			seterr(err, errlen, "removing %s: %s", path,
			    strerror(errno));
			goto out;
		}
		fsync_dir(conf_dir);
		note(o, "converted %s into %s/%s with netpol-record-cni "
		    "(backup %s%s)", path, conf_dir, target, path,
		    CNIINST_BAK_SUFFIX);
	} else if (update)
		note(o, "updated the netpol-record-cni entry in %s", path);
	else
		note(o, "added netpol-record-cni to %s (backup %s%s)", path,
		    path, CNIINST_BAK_SUFFIX);
out:
	free(out);
	free(data);
	free_names(names, n);
	unlock_dir(lock);
	return ret;
}

/*
 * Was dir/name (X.conflist) made by converting X.conf or X.json? Then
 * that file is gone and its backup is there: *orig gets its name.
 */
static bool
converted_from(const char *dir, const char *name, char *orig, size_t len)
{
	static const char *const exts[] = { ".conf", ".json" };
	char path[4096];
	struct stat st;
	size_t i, stem;

	if (!has_suffix(name, ".conflist"))
		return false;
	stem = strlen(name) - strlen(".conflist");
	for (i = 0; i < 2; i++) {
		if ((size_t)snprintf(orig, len, "%.*s%s", (int)stem, name,
		    exts[i]) >= len ||
		    path_join(path, sizeof(path), dir, orig) != 0)
			continue;
		if (lstat(path, &st) == 0)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s%s", dir, orig,
		    CNIINST_BAK_SUFFIX) < sizeof(path) &&
		    lstat(path, &st) == 0)
			return true;
	}
	return false;
}

/* Take our entry out of dir/name. */
static int
uninstall_one(const char *dir, const char *name, const char *data,
    size_t len, const struct stat *st, const struct cniinst_opts *o,
    char *err, size_t errlen)
{
	char orig[4096], bak[4096], path[4096], *out = NULL, *bdata = NULL;
	char e[512];
	size_t blen;
	struct stat bst;
	bool conv;
	int ret;

	if ((ret = cniinst_remove_entry(data, len, &out, e, sizeof(e))) != 0) {
		if (ret == CNIINST_UNCHANGED)
			ret = 0;
		else
			seterr(err, errlen, "%s/%s: %s", dir, name, e);
		goto out;
	}
	conv = converted_from(dir, name, orig, sizeof(orig));
	if (!conv)
		snprintf(orig, sizeof(orig), "%s", name);
	if ((size_t)snprintf(bak, sizeof(bak), "%s/%s%s", dir, orig,
	    CNIINST_BAK_SUFFIX) >= sizeof(bak) ||
	    path_join(path, sizeof(path), dir, name) != 0) {
		ret = -ENAMETOOLONG;
		seterr(err, errlen, "%s: path too long", dir);
		goto out;
	}
	if (read_file(bak, CNIINST_FILE_MAX, &bdata, &blen, &bst, false) == 0 &&
	    cniinst_same_config(bdata, blen, out, strlen(out))) {
		/* The backup is this network without us: put its bytes
		 * back, the original .conf first when we had converted it. */
		if ((ret = write_atomic(dir, orig, bdata, blen, bst.st_mode,
		    bst.st_uid, bst.st_gid)) != 0) {
			seterr(err, errlen, "writing %s/%s: %s", dir, orig,
			    strerror(-ret));
			goto out;
		}
		if (conv && unlink(path) != 0) {
			ret = -errno;
			seterr(err, errlen, "removing %s: %s", path,
			    strerror(errno));
			goto out;
		}
		unlink(bak);
		fsync_dir(dir);
		if (conv)
			note(o, "restored %s/%s and removed %s", dir, orig,
			    path);
		else
			note(o, "restored %s from its backup", path);
		goto out;
	}
	if ((ret = write_atomic(dir, name, out, strlen(out), st->st_mode,
	    st->st_uid, st->st_gid)) != 0) {
		seterr(err, errlen, "writing %s: %s", path, strerror(-ret));
		goto out;
	}
	note(o, "removed netpol-record-cni from %s%s%s", path,
	    bdata ? "; kept " : "", bdata ? bak : "");
	if (bdata)
		note(o, "%s differs from %s without netpol-record-cni (changed "
		    "since install?): not restored", bak, path);
out:
	free(bdata);
	free(out);
	return ret;
}

static int
remove_plugin(const char *bin_dir, const struct cniinst_opts *o, char *err,
    size_t errlen)
{
	char path[4096];
	int ret;

	if ((ret = path_join(path, sizeof(path), bin_dir, CNIINST_TYPE)) != 0) {
		seterr(err, errlen, "%s: path too long", bin_dir);
		return ret;
	}
	if (unlink(path) == 0) {
		note(o, "removed %s", path);
		return 0;
	}
	if (errno == ENOENT)
		return 0;
	ret = -errno;
	seterr(err, errlen, "removing %s: %s", path, strerror(errno));
	return ret;
}

int
cniinst_uninstall(const char *conf_dir, const char *bin_dir,
    const struct cniinst_opts *o, char *err, size_t errlen)
{
	char **names = NULL, path[4096], *data;
	size_t n = 0, len, i;
	struct stat st;
	int lock, ret, r, found = 0;

	if ((lock = lock_dir(conf_dir, err, errlen)) < 0)
		return lock;
	if ((ret = list_configs(conf_dir, true, &names, &n, err,
	    errlen)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (path_join(path, sizeof(path), conf_dir, names[i]) != 0 ||
		    read_file(path, CNIINST_FILE_MAX, &data, &len, &st,
		    false) != 0)
			continue;
		if ((r = cniinst_has_entry(data, len)) < 0)
			note(o, "%s does not parse: skipped", path);
		else if (r > 0) {
			found++;
			r = uninstall_one(conf_dir, names[i], data, len, &st,
			    o, err, errlen);
			if (r != 0 && ret == 0)
				ret = r;
		}
		free(data);
	}
	if (found == 0)
		note(o, "no configuration in %s chains netpol-record-cni",
		    conf_dir);
	if (o != NULL && o->remove_bin && bin_dir != NULL &&
	    (r = remove_plugin(bin_dir, o, err, errlen)) != 0 && ret == 0)
		ret = r;
out:
	free_names(names, n);
	unlock_dir(lock);
	return ret;
}

/* ---- command line ------------------------------------------------------- */

#define DEFAULT_CONF_DIR	"/etc/cni/net.d"
#define DEFAULT_BIN_DIR		"/opt/cni/bin"
#define DEFAULT_PLUGIN		"/proc/self/exe"

static const char install_usage[] =
"usage: netpol-record-cni install [options]\n"
"Add netpol-record-cni to this node's CNI configuration: copy the plugin\n"
"into the bin directory and append it to the primary network\n"
"configuration (the first *.conf, *.conflist or *.json file in byte\n"
"order, as container runtimes pick it). A single-plugin .conf becomes a\n"
".conflist. The replaced file is kept as FILE.netpol-record.bak. Running\n"
"it again changes nothing.\n"
"\n"
"  --conf-dir DIR        CNI configuration directory (/etc/cni/net.d)\n"
"  --bin-dir DIR         CNI plugin directory (/opt/cni/bin)\n"
"  --plugin PATH         the binary to copy (this program)\n"
"  --no-copy             do not copy the binary, only edit the configuration\n"
"  --dry-run             change nothing: print the file install would write\n"
"  --conf-file NAME      edit CONF-DIR/NAME instead of the primary file (e.g.\n"
"                        the cluster network's file when Multus is primary)\n"
"  --db PATH             plugin setting \"db\": the store\n"
"  --log-file PATH       plugin setting \"logFile\"\n"
"  --log-level LEVEL     plugin setting \"logLevel\" (error, warn, info,\n"
"                        debug)\n"
"  --failure-policy P    plugin setting \"failurePolicy\" (ignore, fail)\n"
"  --mark-bit BIT        plugin setting \"markBit\" (e.g. 0x00100000)\n"
"  --nflog-group N       plugin setting \"nflogGroup\"\n"
"  --nflog-snaplen N     plugin setting \"nflogSnaplen\"\n"
"  --release-socket PATH plugin setting \"releaseSocket\": where\n"
"                        netpol-recorderd takes the plugin's nftables socket\n"
"                        over (its release_socket; \"\" = off)\n"
"  --watch SECONDS       stay running and repeat the install every SECONDS\n"
"                        (network agents that rewrite their file on restart\n"
"                        drop our entry; this puts it back)\n"
"  -h, --help            this text\n"
"Exit status: 0 done (or nothing to do), 1 failed (nothing was changed in\n"
"the file that could not be handled), 2 usage error.\n";

static const char uninstall_usage[] =
"usage: netpol-record-cni uninstall [options]\n"
"Remove netpol-record-cni from every CNI configuration file that has it.\n"
"A file whose backup (FILE.netpol-record.bak) holds the same network is\n"
"restored byte for byte, including a .conf that install had converted.\n"
"\n"
"  --conf-dir DIR        CNI configuration directory (/etc/cni/net.d)\n"
"  --bin-dir DIR         CNI plugin directory (/opt/cni/bin)\n"
"  --remove-bin          also remove BIN-DIR/netpol-record-cni\n"
"  -h, --help            this text\n"
"Exit status: 0 done (or nothing to do), 1 failed, 2 usage error.\n";

enum {
	OPT_CONF_DIR = 256, OPT_BIN_DIR, OPT_PLUGIN, OPT_NO_COPY, OPT_DB,
	OPT_LOG_FILE, OPT_LOG_LEVEL, OPT_FAILURE, OPT_MARK, OPT_NFLOG_GROUP,
	OPT_NFLOG_SNAPLEN, OPT_RELEASE, OPT_WATCH, OPT_REMOVE_BIN, OPT_CONF_FILE,
	OPT_DRY_RUN,
};

/* Notes go to stdout, or to stderr under --dry-run (arg non-NULL), where
 * stdout carries the file that would be written. */
static void
print_note(void *arg, const char *line)
{
	FILE *f = arg != NULL ? stderr : stdout;

	fprintf(f, "netpol-record-cni: %s\n", line);
	fflush(f);
}

static void
print_preview(void *arg, const char *path, const char *text)
{
	(void)arg;
	(void)path;
	fputs(text, stdout);
	fflush(stdout);
}

static int
usage_error(const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	fputs("netpol-record-cni: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", usage);
	return 2;
}

int
cniinst_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "conf-dir", required_argument, NULL, OPT_CONF_DIR },
		{ "bin-dir", required_argument, NULL, OPT_BIN_DIR },
		{ "plugin", required_argument, NULL, OPT_PLUGIN },
		{ "no-copy", no_argument, NULL, OPT_NO_COPY },
		{ "conf-file", required_argument, NULL, OPT_CONF_FILE },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "db", required_argument, NULL, OPT_DB },
		{ "log-file", required_argument, NULL, OPT_LOG_FILE },
		{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
		{ "failure-policy", required_argument, NULL, OPT_FAILURE },
		{ "mark-bit", required_argument, NULL, OPT_MARK },
		{ "nflog-group", required_argument, NULL, OPT_NFLOG_GROUP },
		{ "nflog-snaplen", required_argument, NULL, OPT_NFLOG_SNAPLEN },
		{ "release-socket", required_argument, NULL, OPT_RELEASE },
		{ "watch", required_argument, NULL, OPT_WATCH },
		{ "remove-bin", no_argument, NULL, OPT_REMOVE_BIN },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cniinst_opts o;
	const char *conf_dir = DEFAULT_CONF_DIR, *bin_dir = DEFAULT_BIN_DIR;
	const char *plugin = DEFAULT_PLUGIN, *usage;
	char err[1024], *end;
	bool install, copy = true;
	long watch = 0;
	int c, ret, li = 0;

	if (argc < 1 || argv[0] == NULL)
		return 2;
	install = strcmp(argv[0], "install") == 0;
	if (!install && strcmp(argv[0], "uninstall") != 0)
		return usage_error(install_usage, "unknown command %s", argv[0]);
	usage = install ? install_usage : uninstall_usage;
	memset(&o, 0, sizeof(o));
	o.note = print_note;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, &li)) != -1) {
		/* Options of the other subcommand are usage errors. */
		if (!install && c != OPT_CONF_DIR && c != OPT_BIN_DIR &&
		    c != OPT_REMOVE_BIN && c != 'h' && c != '?' && c != ':')
			return usage_error(usage, "--%s: not an uninstall "
			    "option", longopts[li].name);
		switch (c) {
		case OPT_CONF_DIR: conf_dir = optarg; break;
		case OPT_BIN_DIR: bin_dir = optarg; break;
		case OPT_PLUGIN: plugin = optarg; break;
		case OPT_NO_COPY: copy = false; break;
		case OPT_CONF_FILE: o.conf_file = optarg; break;
		case OPT_DRY_RUN: o.dry_run = true; break;
		case OPT_DB: o.db = optarg; break;
		case OPT_LOG_FILE: o.log_file = optarg; break;
		case OPT_LOG_LEVEL: o.log_level = optarg; break;
		case OPT_FAILURE: o.failure_policy = optarg; break;
		case OPT_MARK: o.mark_bit = optarg; break;
		case OPT_NFLOG_GROUP: o.nflog_group = optarg; break;
		case OPT_NFLOG_SNAPLEN: o.nflog_snaplen = optarg; break;
		case OPT_RELEASE: o.release_socket = optarg; break;
		case OPT_REMOVE_BIN:
			if (install)
				return usage_error(usage, "%s: not an install "
				    "option", "--remove-bin");
			o.remove_bin = true;
			break;
		case OPT_WATCH:
			watch = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || watch < 1 ||
			    watch > 86400)
				return usage_error(usage, "--watch %s: seconds "
				    "from 1 to 86400", optarg);
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return usage_error(usage, "bad option %s",
			    argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error(usage, "unexpected argument %s",
		    argv[optind]);
	if (o.dry_run && watch != 0)
		return usage_error(usage, "%s", "--dry-run and --watch exclude "
		    "each other");
	if (o.dry_run) {
		o.note_arg = stderr;
		o.preview = print_preview;
	}

	err[0] = '\0';
	if (!install) {
		ret = cniinst_uninstall(conf_dir, bin_dir, &o, err,
		    sizeof(err));
		if (ret != 0)
			fprintf(stderr, "netpol-record-cni: uninstall: %s\n",
			    err);
		return ret == 0 ? 0 : 1;
	}
	ret = cniinst_install(conf_dir, bin_dir, copy ? plugin : NULL, &o,
	    err, sizeof(err));
	if (ret != 0)
		fprintf(stderr, "netpol-record-cni: install: %s\n", err);
	if (watch == 0)
		return ret == 0 ? 0 : 1;
	/* Keep the entry there; only changes are reported. */
	o.changes_only = true;
	for (;;) {
		sleep((unsigned)watch);
		err[0] = '\0';
		ret = cniinst_install(conf_dir, NULL, NULL, &o, err,
		    sizeof(err));
		if (ret != 0)
			fprintf(stderr, "netpol-record-cni: install: %s\n",
			    err);
	}
}
