#include "recorderd/rconf.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <json-c/json.h>

#include "lib/fdpass.h"
#include "lib/file.h"
#include "lib/log.h"
#include "lib/yamljson.h"
#include "recorderd/pubsched.h"

#define RCONF_MAX_FILE (1 << 20)

enum kind { K_PATH, K_NAME, K_DURATION, K_U32, K_U16, K_SIZE, K_BOOL,
    K_LEVEL, K_SOURCE, K_PUBLISH, K_PATTERNS };

/*
 * Every key: its dotted name, how its value is read, where it goes, and
 * whether a SIGHUP applies it (live) or it takes effect on the next
 * start only (a socket bound, a table sized, a source opened at start).
 */
struct key {
	const char *name;	/* dotted path */
	enum kind kind;
	size_t off;
	bool live;
};

#define F(m) offsetof(struct rconf, m)
static const struct key keys[] = {
	{ "store", K_PATH, F(store), false },
	{ "flush_interval", K_DURATION, F(flush_ms), true },
	{ "refresh_interval", K_DURATION, F(refresh_ms), true },
	{ "mark_bit", K_U32, F(mark_bit), true },
	{ "nflog.group", K_U16, F(nflog_group), false },
	{ "nflog.snaplen", K_U32, F(nflog_snaplen), false },
	{ "receive_buffer.initial", K_SIZE, F(rcvbuf_initial), true },
	{ "receive_buffer.max", K_SIZE, F(rcvbuf_max), true },
	{ "metadata.source", K_SOURCE, F(meta_source), false },
	{ "metadata.file", K_PATH, F(meta_file), false },
	{ "metadata.kubeconfig", K_PATH, F(meta_kubeconfig), false },
	{ "retention_days", K_U32, F(retention_days), true },
	{ "accounting", K_BOOL, F(accounting), false },
	{ "max_flows", K_U32, F(max_flows), false },
	{ "dns_cache", K_U32, F(dns_cache), false },
	{ "log.file", K_PATH, F(log_file), true },
	{ "log.level", K_LEVEL, F(log_level), true },
	{ "release_socket", K_PATH, F(release_socket), false },
	{ "node_name", K_NAME, F(node_name), false },
	{ "adopt_running_pods", K_BOOL, F(adopt_running_pods), true },
	{ "publish.enabled", K_PUBLISH, F(publish_enabled), true },
	{ "publish.interval", K_DURATION, F(publish_interval_ms), true },
	{ "publish.refresh", K_DURATION, F(publish_refresh_ms), true },
	{ "publish.max_entries", K_U32, F(publish_max_entries), true },
	{ "publish.max_refreshes_per_hour", K_U32, F(publish_max_refreshes),
	    true },
	{ "publish.namespaces", K_PATTERNS, F(publish_namespaces), true },
};
#undef F
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* Bytes of a value of kind k in struct rconf. */
static size_t
kind_size(enum kind k)
{
	switch (k) {
	case K_PATH:
		return STORE_PATH_LEN;
	case K_NAME:
		return STORE_NAME_LEN;
	case K_PATTERNS:
		return RCONF_PATTERNS_LEN;
	case K_DURATION:
	case K_U32:
		return sizeof(uint32_t);
	case K_U16:
		return sizeof(uint16_t);
	case K_SIZE:
		return sizeof(uint64_t);
	case K_BOOL:
		return sizeof(bool);
	case K_LEVEL:
	case K_SOURCE:
	case K_PUBLISH:
		return sizeof(int);
	}
	return 0;
}

static bool
key_differs(const struct key *k, const struct rconf *a, const struct rconf *b)
{
	const char *pa = (const char *)a + k->off, *pb = (const char *)b + k->off;

	if (k->kind == K_PATH || k->kind == K_NAME || k->kind == K_PATTERNS)
		return strcmp(pa, pb) != 0;
	return memcmp(pa, pb, kind_size(k->kind)) != 0;
}

size_t
rconf_nkeys(void)
{
	return NKEYS;
}

const char *
rconf_key_name(size_t i)
{
	return i < NKEYS ? keys[i].name : NULL;
}

bool
rconf_key_live(size_t i)
{
	return i < NKEYS && keys[i].live;
}

int
rconf_reload(const struct rconf *running, const struct rconf *loaded,
    struct rconf *out, void (*cb)(void *arg, size_t key, bool live),
    void *arg)
{
	int changed = 0;

	*out = *running;
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];

		if (!key_differs(k, running, loaded))
			continue;
		changed++;
		if (k->live)
			memcpy((char *)out + k->off, (const char *)loaded +
			    k->off, kind_size(k->kind));
		if (cb != NULL)
			cb(arg, i, k->live);
	}
	return changed;
}

static const char *const source_names[] = {
	[RCONF_META_NONE] = "none",
	[RCONF_META_FILE] = "file",
	[RCONF_META_KUBECONFIG] = "kubeconfig",
	[RCONF_META_IN_CLUSTER] = "in-cluster",
};

const char *
rconf_meta_source_name(int source)
{
	if (source < 0 || source > RCONF_META_IN_CLUSTER)
		return "?";
	return source_names[source];
}

void
rconf_defaults(struct rconf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->store, sizeof(c->store), "%s", STORE_DEFAULT_PATH);
	c->flush_ms = 1000;
	c->refresh_ms = 10 * 60 * 1000;
	c->mark_bit = 0x00100000;
	c->nflog_group = 7301;
	c->nflog_snaplen = 1500;	/* as the plugin's default rule */
	c->rcvbuf_initial = 64u << 20;
	c->rcvbuf_max = 128u << 20;
	c->meta_source = RCONF_META_NONE;
	c->retention_days = 30;
	c->accounting = false;
	c->max_flows = 65536;
	snprintf(c->release_socket, sizeof(c->release_socket), "%s",
	    FDPASS_RELEASE_PATH);
	c->dns_cache = 16384;
	c->log_level = LOG_LVL_INFO;
	c->adopt_running_pods = true;
	c->publish_enabled = RCONF_PUBLISH_AUTO;
	c->publish_interval_ms = 30 * 1000;
	c->publish_refresh_ms = 10 * 60 * 1000;
	c->publish_max_entries = 1000;
	c->publish_max_refreshes = 90;
}

bool
rconf_publishing(const struct rconf *c)
{
	if (c->publish_enabled == RCONF_PUBLISH_AUTO)
		return c->meta_source == RCONF_META_KUBECONFIG ||
		    c->meta_source == RCONF_META_IN_CLUSTER;
	return c->publish_enabled == RCONF_PUBLISH_ON;
}

int
rconf_parse_duration_ms(const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -EINVAL;
	if (strcmp(end, "") == 0 || strcmp(end, "ms") == 0)
		mul = 1;
	else if (strcmp(end, "s") == 0)
		mul = 1000;
	else if (strcmp(end, "m") == 0)
		mul = 60000;
	else if (strcmp(end, "h") == 0)
		mul = 3600000;
	else
		return -EINVAL;
	if (v > UINT32_MAX / mul)
		return -EINVAL;
	*out = (uint32_t)(v * mul);
	return 0;
}

int
rconf_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -EINVAL;
	switch (toupper((unsigned char)*end)) {
	case '\0':
		break;
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	default:
		return -EINVAL;
	}
	if (*end != '\0') {
		end++;
		if (strcasecmp(end, "") != 0 && strcasecmp(end, "iB") != 0 &&
		    strcasecmp(end, "B") != 0)
			return -EINVAL;
	}
	if (v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

static int
parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);	/* 0x00100000 reads as hex */
	if (errno != 0 || *end != '\0' || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int
parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static const char *
set_value(struct rconf *c, const struct key *k, const char *v)
{
	char *p = (char *)c + k->off;
	uint64_t u;
	bool b;
	int lvl;

	switch (k->kind) {
	case K_PATH:
		if (strlen(v) >= STORE_PATH_LEN)
			return "path too long";
		snprintf(p, STORE_PATH_LEN, "%s", v);
		return NULL;
	case K_NAME:
		if (v[0] != '\0' && !rconf_valid_node_name(v))
			return "expected a node name: at most 253 characters of "
			    "a-z, 0-9, '-' and '.', starting and ending with a "
			    "letter or digit";
		snprintf(p, STORE_NAME_LEN, "%s", v);
		return NULL;
	case K_DURATION:
		return rconf_parse_duration_ms(v, (uint32_t *)(void *)p) < 0 ?
		    "expected a duration such as 1s or 500ms" : NULL;
	case K_U32:
		if (parse_u64(v, UINT32_MAX, &u) < 0)
			return "expected an unsigned 32-bit number";
		*(uint32_t *)(void *)p = (uint32_t)u;
		return NULL;
	case K_U16:
		if (parse_u64(v, UINT16_MAX, &u) < 0)
			return "expected a number from 0 to 65535";
		*(uint16_t *)(void *)p = (uint16_t)u;
		return NULL;
	case K_SIZE:
		return rconf_parse_size(v, (uint64_t *)(void *)p) < 0 ?
		    "expected a size such as 8M or 212992" : NULL;
	case K_BOOL:
		return parse_bool(v, (bool *)p) < 0 ?
		    "expected true or false" : NULL;
	case K_LEVEL:
		if ((lvl = log_level_parse(v)) < 0)
			return "expected error, warn, info or debug";
		*(int *)(void *)p = lvl;
		return NULL;
	case K_SOURCE:
		for (int i = 0; i <= RCONF_META_IN_CLUSTER; i++)
			if (strcmp(v, source_names[i]) == 0) {
				*(int *)(void *)p = i;
				return NULL;
			}
		return "expected none, file, kubeconfig or in-cluster";
	case K_PUBLISH:
		if (strcmp(v, "auto") == 0) {
			*(int *)(void *)p = RCONF_PUBLISH_AUTO;
			return NULL;
		}
		if (parse_bool(v, &b) < 0)
			return "expected auto, true or false";
		*(int *)(void *)p = b ? RCONF_PUBLISH_ON : RCONF_PUBLISH_OFF;
		return NULL;
	case K_PATTERNS:
		if (strlen(v) >= RCONF_PATTERNS_LEN)
			return "the list is too long";
		snprintf(p, RCONF_PATTERNS_LEN, "%s", v);
		return NULL;
	}
	return "internal error";
}

static const struct key *
find_key(const char *path)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, path) == 0)
			return &keys[i];
	return NULL;
}

/* Is path a section (the prefix of some dotted key)? */
static bool
is_section(const char *path)
{
	size_t l = strlen(path);

	for (size_t i = 0; i < NKEYS; i++)
		if (strncmp(keys[i].name, path, l) == 0 &&
		    keys[i].name[l] == '.')
			return true;
	return false;
}

struct walk {
	struct rconf *c;
	const struct yamljson_marks *marks;
	char *err;
	size_t errlen;
};

static void errf(struct walk *, const struct yamljson_pos *, const char *,
    ...) __attribute__((format(printf, 3, 4)));

static void
errf(struct walk *w, const struct yamljson_pos *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p != NULL && p->line > 0)
		snprintf(w->err, w->errlen, "%zu:%zu: %s", p->line, p->col,
		    msg);
	else
		snprintf(w->err, w->errlen, "%s", msg);
}

/* Where node v was written, or else its key k of map. */
static struct yamljson_pos
pos_of(const struct walk *w, const struct json_object *map, const char *k,
    const struct json_object *v)
{
	struct yamljson_pos p = { 0, 0 };

	if (!yamljson_pos_of(w->marks, v, &p))
		(void)yamljson_key_pos(w->marks, map, k, &p);
	return p;
}

/* A list of patterns (publish.namespaces: [shop, "team-*"]), kept as
 * one comma-separated string. */
static int
patterns(struct walk *w, const struct key *k, const char *path,
    struct json_object *arr, const struct yamljson_pos *p)
{
	char buf[RCONF_PATTERNS_LEN] = "";
	const char *why, *s;
	size_t n = 0, l;

	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *v = json_object_array_get_idx(arr, i);

		if (v == NULL || json_object_is_type(v, json_type_object) ||
		    json_object_is_type(v, json_type_array)) {
			errf(w, p, "%s: expected a list of patterns", path);
			return -EINVAL;
		}
		s = json_object_get_string(v);
		l = strlen(s);
		if (n + l + 2 > sizeof(buf)) {
			errf(w, p, "%s: the list is too long (at most %d "
			    "bytes)", path, RCONF_PATTERNS_LEN - 1);
			return -EINVAL;
		}
		if (n > 0)
			buf[n++] = ',';
		memcpy(buf + n, s, l + 1);
		n += l;
	}
	if ((why = set_value(w->c, k, buf)) != NULL) {
		errf(w, p, "%s: %s", path, why);
		return -EINVAL;
	}
	return 0;
}

/* One key's value: a YAML null keeps the default; a scalar's text goes
 * through the key's reader. */
static int
leaf(struct walk *w, const struct key *k, const char *path,
    const struct json_object *map, const char *name, struct json_object *v)
{
	struct yamljson_pos p = pos_of(w, map, name, v);
	const char *why;

	if (v == NULL)
		return 0;
	if (json_object_is_type(v, json_type_object)) {
		errf(w, &p, "%s: expected a value, not a mapping", path);
		return -EINVAL;
	}
	if (json_object_is_type(v, json_type_array) && k->kind == K_PATTERNS)
		return patterns(w, k, path, v, &p);
	if (json_object_is_type(v, json_type_array)) {
		errf(w, &p, "%s: a list is not expected here", path);
		return -EINVAL;
	}
	if ((why = set_value(w->c, k, json_object_get_string(v))) != NULL) {
		errf(w, &p, "%s: %s", path, why);
		return -EINVAL;
	}
	return 0;
}

/* The keys of mapping map, under section prefix ("" at the top). */
static int
walk_map(struct walk *w, struct json_object *map, const char *prefix)
{
	char path[256];
	const struct key *k;
	struct yamljson_pos p;
	int ret;

	json_object_object_foreach(map, name, v) {
		snprintf(path, sizeof(path), "%s%s%s", prefix,
		    prefix[0] ? "." : "", name);
		if ((k = find_key(path)) != NULL) {
			if ((ret = leaf(w, k, path, map, name, v)) < 0)
				return ret;
			continue;
		}
		if (!is_section(path)) {
			(void)yamljson_key_pos(w->marks, map, name, &p);
			errf(w, &p, "unknown key %s", path);
			return -EINVAL;
		}
		if (!json_object_is_type(v, json_type_object)) {
			p = pos_of(w, map, name, v);
			errf(w, &p, "%s: expected a mapping", path);
			return -EINVAL;
		}
		if ((ret = walk_map(w, v, path)) < 0)
			return ret;
	}
	return 0;
}

int
rconf_parse_buf(const char *buf, size_t len, struct rconf *c, char *err,
    size_t errlen)
{
	struct walk w = { .c = c, .err = err, .errlen = errlen };
	struct json_object *docs = NULL, *root;
	struct yamljson_marks *marks = NULL;
	struct yamljson_pos p;
	char msg[384];
	int ret;

	if (errlen > 0)
		err[0] = '\0';
	if ((ret = yamljson_parse_marked(buf, len, &docs, &marks, &p, msg,
	    sizeof(msg))) < 0) {
		errf(&w, &p, "%s", msg);
		return ret == -ENOMEM ? ret : -EINVAL;
	}
	w.marks = marks;
	if (json_object_array_length(docs) > 1) {
		(void)yamljson_doc_pos(marks, 1, &p);
		errf(&w, &p, "only one YAML document is expected");
		ret = -EINVAL;
		goto out;
	}
	/* No document, or an empty one: every default. */
	if (json_object_array_length(docs) == 0 ||
	    (root = json_object_array_get_idx(docs, 0)) == NULL)
		goto out;
	if (!json_object_is_type(root, json_type_object)) {
		(void)yamljson_pos_of(marks, root, &p);
		errf(&w, &p, "expected a mapping at the top level");
		ret = -EINVAL;
		goto out;
	}
	ret = walk_map(&w, root, "");
out:
	yamljson_marks_free(marks);
	json_object_put(docs);
	return ret;
}

int
rconf_load_file(const char *path, struct rconf *c, char *err, size_t errlen)
{
	char msg[512];
	char *buf = NULL;
	size_t len = 0;
	int ret;

	rconf_defaults(c);
	if ((ret = file_read(path, RCONF_MAX_FILE, &buf, &len)) < 0) {
		if (ret == -EFBIG)
			snprintf(err, errlen, "%s: larger than %d bytes", path,
			    RCONF_MAX_FILE);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	if ((ret = rconf_parse_buf(buf, len, c, msg, sizeof(msg))) < 0)
		snprintf(err, errlen, "%s:%s", path, msg);
	free(buf);
	return ret;
}

void
rconf_absolute_paths(struct rconf *c, const char *base)
{
	char *fields[] = { c->store, c->meta_file, c->meta_kubeconfig,
	    c->log_file, c->release_socket };
	char cwd[STORE_PATH_LEN], tmp[2 * STORE_PATH_LEN];

	if (base != NULL)
		snprintf(cwd, sizeof(cwd), "%s", base);
	else if (getcwd(cwd, sizeof(cwd)) == NULL)
		return;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (fields[i][0] == '\0' || fields[i][0] == '/')
			continue;
		size_t n;

		snprintf(tmp, sizeof(tmp), "%s/%s", cwd, fields[i]);
		/* A path that would not fit stays relative (and fails to
		 * open with its name in the error) rather than cut short. */
		if ((n = strlen(tmp)) < STORE_PATH_LEN)
			memcpy(fields[i], tmp, n + 1);
	}
}

/* The publish.* keys; buf holds a message that is built. */
static const char *
validate_publish(const struct rconf *c, char *buf, size_t len)
{
	const char *why = NULL;

	if (c->publish_interval_ms < 1000 || c->publish_interval_ms > 3600000)
		return "publish.interval: must be between 1s and 1h";
	if (c->publish_refresh_ms < c->publish_interval_ms ||
	    c->publish_refresh_ms > 86400000)
		return "publish.refresh: must be at least publish.interval and "
		    "at most 24h";
	if (c->publish_max_entries < 1 || c->publish_max_entries > 1000)
		return "publish.max_entries: must be from 1 to 1000 (the "
		    "TrafficProfile CRD's bound)";
	if (c->publish_max_refreshes < 1 || c->publish_max_refreshes > 36000)
		return "publish.max_refreshes_per_hour: must be from 1 to 36000";
	if (!pubsched_ns_valid(c->publish_namespaces, &why)) {
		snprintf(buf, len, "publish.namespaces: %s", why);
		return buf;
	}
	if (c->publish_enabled == RCONF_PUBLISH_ON &&
	    c->meta_source != RCONF_META_KUBECONFIG &&
	    c->meta_source != RCONF_META_IN_CLUSTER)
		return "publish.enabled: true needs metadata.source kubeconfig "
		    "or in-cluster (the objects are written with the metadata "
		    "source's API server and credentials)";
	return NULL;
}

int
rconf_validate(const struct rconf *c, char *err, size_t errlen)
{
	const char *why = NULL;
	char buf[320];

	if (c->store[0] == '\0')
		why = "store: a path is required";
	else if (c->flush_ms < 10 || c->flush_ms > 3600000)
		why = "flush_interval: must be between 10ms and 1h";
	else if (c->refresh_ms != 0 &&
	    (c->refresh_ms < 1000 || c->refresh_ms > 86400000))
		why = "refresh_interval: must be 0 (off) or between 1s and 24h";
	else if (c->mark_bit == 0 || (c->mark_bit & (c->mark_bit - 1)) != 0)
		why = "mark_bit: must be exactly one bit, such as 0x00100000";
	else if (c->nflog_group == 0)
		why = "nflog.group: must be from 1 to 65535";
	else if (c->nflog_snaplen < 128 || c->nflog_snaplen > 65535)
		why = "nflog.snaplen: must be from 128 to 65535";
	else if (c->rcvbuf_initial < 4096 || c->rcvbuf_initial > (1ull << 31))
		why = "receive_buffer.initial: must be from 4K to 2G";
	else if (c->rcvbuf_max < c->rcvbuf_initial ||
	    c->rcvbuf_max > (1ull << 31))
		why = "receive_buffer.max: must be at least initial, at most 2G";
	else if (c->meta_source == RCONF_META_FILE && c->meta_file[0] == '\0')
		why = "metadata.file: required when metadata.source is file";
	else if (c->meta_source == RCONF_META_KUBECONFIG &&
	    c->meta_kubeconfig[0] == '\0')
		why = "metadata.kubeconfig: required when metadata.source is "
		    "kubeconfig";
	else if (c->retention_days > 36500)
		why = "retention_days: at most 36500";
	else if (c->max_flows < 16 || c->max_flows > (1u << 24))
		why = "max_flows: must be from 16 to 16777216";
	else if (c->dns_cache < 16 || c->dns_cache > (1u << 24))
		why = "dns_cache: must be from 16 to 16777216";
	else if (strlen(c->release_socket) > FDPASS_PATH_MAX)
		why = "release_socket: a socket path has at most 107 bytes";
	else if (c->node_name[0] != '\0' &&
	    !rconf_valid_node_name(c->node_name))
		why = "node_name: expected a node name (a DNS-1123 subdomain: "
		    "a-z, 0-9, '-' and '.', at most 253 characters)";
	else
		why = validate_publish(c, buf, sizeof(buf));
	if (why == NULL)
		return 0;
	snprintf(err, errlen, "%s", why);
	return -EINVAL;
}

bool
rconf_valid_node_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');

		if (!alnum && ch != '-' && ch != '.')
			return false;
		if ((i == 0 || i == n - 1) && !alnum)
			return false;
	}
	return true;
}

int
rconf_resolve_node_name(struct rconf *c)
{
	const char *env = getenv("NODE_NAME");
	char host[STORE_NAME_LEN];

	if (c->node_name[0] != '\0')
		return 0;
	if (env != NULL && env[0] != '\0') {
		snprintf(c->node_name, sizeof(c->node_name), "%s", env);
		return 0;
	}
	if (gethostname(host, sizeof(host) - 1) < 0 || host[0] == '\0')
		return -ENOENT;
	host[sizeof(host) - 1] = '\0';
	for (char *p = host; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	snprintf(c->node_name, sizeof(c->node_name), "%s", host);
	return 0;
}
