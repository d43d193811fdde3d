/*
 * kapi_conf: the API client's configuration from the service account or
 * a kubeconfig file.
 */
#include "lib/kapi_conf.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "lib/base64.h"
#include "lib/file.h"
#include "lib/yamljson.h"

#define KAPI_MAX_CONF_FILE (4u << 20)

void
kapi_conf_clear(struct kapi_conf *c)
{
	if (c == NULL)
		return;
	free(c->server);
	free(c->context);
	kapi_exec_free(c->exec);
	free(c->ca_file);
	free(c->ca_data);
	free(c->token);
	free(c->token_file);
	free(c->cert_file);
	free(c->key_file);
	free(c->cert_data);
	free(c->key_data);
	memset(c, 0, sizeof(*c));
}

int
kapi_conf_in_cluster(const char *sa_dir, struct kapi_conf *c, char *err,
    size_t errlen)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	int r;

	memset(c, 0, sizeof(*c));
	if (sa_dir == NULL)
		sa_dir = KAPI_SA_DIR;
	if (host == NULL || *host == '\0' || port == NULL || *port == '\0') {
		snprintf(err, errlen, "not in a cluster: KUBERNETES_SERVICE_HOST "
		    "and KUBERNETES_SERVICE_PORT are not set");
		return -ENOENT;
	}
	if (asprintf(&c->server, strchr(host, ':') != NULL ?
	    "https://[%s]:%s" : "https://%s:%s", host, port) < 0 ||
	    asprintf(&c->token_file, "%s/token", sa_dir) < 0 ||
	    asprintf(&c->ca_file, "%s/ca.crt", sa_dir) < 0) {
		c->server = c->token_file = c->ca_file = NULL;
		kapi_conf_clear(c);
		return -ENOMEM;
	}
	if (access(c->token_file, R_OK) != 0 || access(c->ca_file, R_OK) != 0) {
		r = -errno;
		snprintf(err, errlen, "service account: %s: %s",
		    access(c->token_file, R_OK) != 0 ? c->token_file :
		    c->ca_file, strerror(-r));
		kapi_conf_clear(c);
		return r;
	}
	return 0;
}

static const char *
kc_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* The entry named name in a kubeconfig list ("clusters", "users",
 * "contexts"): its inner object (under "cluster", "user", "context"). */
static struct json_object *
kc_named(struct json_object *doc, const char *list, const char *inner,
    const char *name)
{
	struct json_object *arr, *e, *v;
	size_t i;

	if (name == NULL || !json_object_object_get_ex(doc, list, &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return NULL;
	for (i = 0; i < json_object_array_length(arr); i++) {
		e = json_object_array_get_idx(arr, i);
		if (kc_str(e, "name") != NULL &&
		    strcmp(kc_str(e, "name"), name) == 0 &&
		    json_object_object_get_ex(e, inner, &v) &&
		    json_object_is_type(v, json_type_object))
			return v;
	}
	return NULL;
}

/* A path from the kubeconfig, relative to its directory. */
static int
kc_path(const char *dir, const char *p, char **out)
{
	if (p == NULL) {
		*out = NULL;
		return 0;
	}
	if (p[0] == '/' || dir == NULL)
		*out = strdup(p);
	else if (asprintf(out, "%s/%s", dir, p) < 0)
		*out = NULL;
	return *out == NULL ? -ENOMEM : 0;
}

static int
kc_data(const char *b64, char **out, const char *what, char *err,
    size_t errlen)
{
	int r;

	*out = NULL;
	if (b64 == NULL)
		return 0;
	if ((r = base64_decode(b64, out)) == -EINVAL)
		snprintf(err, errlen, "kubeconfig: %s: not base64", what);
	return r;
}

/* ---- several files: paths made absolute, then merged ------------------- */

/* Rewrite the relative path under key of o to dir/path. */
static int
kc_abs_key(struct json_object *o, const char *key, const char *dir,
    bool only_with_slash)
{
	const char *p = kc_str(o, key);
	char *abs;

	if (p == NULL || p[0] == '/' || (only_with_slash &&
	    strchr(p, '/') == NULL))
		return 0;
	if (kc_path(dir, p, &abs) < 0)
		return -ENOMEM;
	json_object_object_add(o, key, json_object_new_string(abs));
	free(abs);
	return 0;
}

/* Every relative path of one file's clusters and users, relative to its
 * directory, made absolute, so that files from several directories can
 * be merged (as kubectl resolves them). */
static int
kc_absolutize(struct json_object *doc, const char *dir)
{
	static const char *const user_keys[] = { "client-certificate",
	    "client-key", "tokenFile" };
	struct json_object *arr, *e, *v, *x;
	size_t i, k;
	int r = 0;

	if (json_object_object_get_ex(doc, "clusters", &arr) &&
	    json_object_is_type(arr, json_type_array))
		for (i = 0; i < json_object_array_length(arr) && r == 0; i++) {
			e = json_object_array_get_idx(arr, i);
			if (json_object_object_get_ex(e, "cluster", &v) &&
			    json_object_is_type(v, json_type_object))
				r = kc_abs_key(v, "certificate-authority", dir,
				    false);
		}
	if (!json_object_object_get_ex(doc, "users", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return r;
	for (i = 0; i < json_object_array_length(arr) && r == 0; i++) {
		e = json_object_array_get_idx(arr, i);
		if (!json_object_object_get_ex(e, "user", &v) ||
		    !json_object_is_type(v, json_type_object))
			continue;
		for (k = 0; k < sizeof(user_keys) / sizeof(user_keys[0]) &&
		    r == 0; k++)
			r = kc_abs_key(v, user_keys[k], dir, false);
		/* A command with a '/' is relative to the file; a bare name
		 * is looked up in PATH. */
		if (r == 0 && json_object_object_get_ex(v, "exec", &x) &&
		    json_object_is_type(x, json_type_object))
			r = kc_abs_key(x, "command", dir, true);
	}
	return r;
}

/* Merge src into dst as kubectl merges KUBECONFIG's files: the first file
 * that sets current-context wins, and so does the first entry of a name
 * in clusters, contexts and users. */
static void
kc_merge(struct json_object *dst, struct json_object *src)
{
	static const char *const lists[][2] = { { "clusters", "cluster" },
	    { "contexts", "context" }, { "users", "user" } };
	struct json_object *sa, *da, *e;
	const char *name;
	size_t l, i;

	if (kc_str(dst, "current-context") == NULL ||
	    *kc_str(dst, "current-context") == '\0') {
		if (kc_str(src, "current-context") != NULL)
			json_object_object_add(dst, "current-context",
			    json_object_new_string(kc_str(src,
			    "current-context")));
	}
	for (l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
		if (!json_object_object_get_ex(src, lists[l][0], &sa) ||
		    !json_object_is_type(sa, json_type_array))
			continue;
		if (!json_object_object_get_ex(dst, lists[l][0], &da) ||
		    !json_object_is_type(da, json_type_array)) {
			da = json_object_new_array();
			json_object_object_add(dst, lists[l][0], da);
		}
		for (i = 0; i < json_object_array_length(sa); i++) {
			e = json_object_array_get_idx(sa, i);
			if ((name = kc_str(e, "name")) != NULL &&
			    kc_named(dst, lists[l][0], lists[l][1], name) ==
			    NULL)
				json_object_array_add(da, json_object_get(e));
		}
	}
}

/* ---- one (merged) kubeconfig document -> the configuration ------------- */

/* The context names, for a message: "a, b". */
static void
kc_context_names(struct json_object *doc, char *buf, size_t len)
{
	struct json_object *arr;
	size_t i, off = 0;
	const char *n;

	buf[0] = '\0';
	if (!json_object_object_get_ex(doc, "contexts", &arr) ||
	    !json_object_is_type(arr, json_type_array) ||
	    json_object_array_length(arr) == 0) {
		snprintf(buf, len, "none");
		return;
	}
	for (i = 0; i < json_object_array_length(arr) && off < len; i++)
		if ((n = kc_str(json_object_array_get_idx(arr, i), "name")) !=
		    NULL)
			off += (size_t)snprintf(buf + off, len - off, "%s%s",
			    off ? ", " : "", n);
}

/* The CA as PEM text for an exec plugin's cluster information. */
static char *
kc_ca_pem(const struct kapi_conf *c)
{
	char *pem = NULL;
	size_t len;

	if (c->ca_data != NULL)
		return strdup(c->ca_data);
	if (c->ca_file != NULL && file_read(c->ca_file, 1u << 20, &pem,
	    &len) == 0)
		return pem;
	return NULL;
}

static int
kc_user(struct json_object *us, const char *dir, struct kapi_conf *c,
    char *err, size_t errlen)
{
	struct json_object *v;
	const char *s;
	char sub[256], *ca;
	int r;

	if (us != NULL && json_object_object_get_ex(us, "auth-provider", &v)) {
		snprintf(err, errlen, "kubeconfig: the user's auth-provider "
		    "(the old built-in gcp, azure and oidc plugins) is not "
		    "supported: use the provider's exec credential plugin "
		    "(gke-gcloud-auth-plugin, kubelogin, ...), as current "
		    "kubectl does");
		return -ENOTSUP;
	}
	if ((r = kc_path(dir, kc_str(us, "tokenFile"), &c->token_file)) != 0 ||
	    (r = kc_path(dir, kc_str(us, "client-certificate"),
	    &c->cert_file)) != 0 ||
	    (r = kc_path(dir, kc_str(us, "client-key"), &c->key_file)) != 0 ||
	    (r = kc_data(kc_str(us, "client-certificate-data"), &c->cert_data,
	    "client-certificate-data", err, errlen)) != 0 ||
	    (r = kc_data(kc_str(us, "client-key-data"), &c->key_data,
	    "client-key-data", err, errlen)) != 0)
		return r;
	if ((s = kc_str(us, "token")) != NULL && (c->token = strdup(s)) ==
	    NULL)
		return -ENOMEM;
	if ((c->cert_file || c->cert_data) != (c->key_file || c->key_data)) {
		snprintf(err, errlen, "kubeconfig: a client certificate needs "
		    "its key (and the other way round)");
		return -EINVAL;
	}
	if (us == NULL || !json_object_object_get_ex(us, "exec", &v))
		return 0;
	ca = kc_ca_pem(c);
	r = kapi_exec_new(v, dir, c->server, ca, &c->exec, sub, sizeof(sub));
	free(ca);
	if (r == -EINVAL)
		snprintf(err, errlen, "kubeconfig: user: %s", sub);
	return r;
}

static int
kc_resolve(struct json_object *doc, const char *context, const char *dir,
    struct kapi_conf *c, char *err, size_t errlen)
{
	struct json_object *ctx, *cl, *us, *v;
	const char *cur, *s, *uname;
	char names[256];
	int r;

	if (doc == NULL || !json_object_is_type(doc, json_type_object)) {
		snprintf(err, errlen, "kubeconfig: not a mapping");
		return -EINVAL;
	}
	cur = context != NULL ? context : kc_str(doc, "current-context");
	if ((ctx = kc_named(doc, "contexts", "context", cur)) == NULL) {
		kc_context_names(doc, names, sizeof(names));
		if (context != NULL)
			snprintf(err, errlen, "kubeconfig: no context \"%s\" "
			    "(contexts: %s)", context, names);
		else
			snprintf(err, errlen, "kubeconfig: current-context "
			    "%s%s%s not found (contexts: %s): choose one with "
			    "--context", cur ? "\"" : "", cur ? cur :
			    "(unset)", cur ? "\"" : "", names);
		return -EINVAL;
	}
	if ((cl = kc_named(doc, "clusters", "cluster", kc_str(ctx, "cluster")))
	    == NULL) {
		snprintf(err, errlen, "kubeconfig: cluster of context \"%s\" "
		    "not found", cur);
		return -EINVAL;
	}
	uname = kc_str(ctx, "user");
	us = kc_named(doc, "users", "user", uname);
	if ((s = kc_str(cl, "server")) == NULL || strncmp(s, "https://", 8)
	    != 0) {
		snprintf(err, errlen, "kubeconfig: cluster server must be an "
		    "https:// URL");
		return -EINVAL;
	}
	if (json_object_object_get_ex(cl, "insecure-skip-tls-verify", &v) &&
	    json_object_get_boolean(v)) {
		snprintf(err, errlen, "kubeconfig: insecure-skip-tls-verify is "
		    "not supported");
		return -ENOTSUP;
	}
	if ((c->server = strdup(s)) == NULL ||
	    (cur != NULL && (c->context = strdup(cur)) == NULL))
		return -ENOMEM;
	/* No trailing slash: paths are appended. */
	while (strlen(c->server) > 8 && c->server[strlen(c->server) - 1] ==
	    '/')
		c->server[strlen(c->server) - 1] = '\0';
	if ((r = kc_path(dir, kc_str(cl, "certificate-authority"),
	    &c->ca_file)) != 0 ||
	    (r = kc_data(kc_str(cl, "certificate-authority-data"), &c->ca_data,
	    "certificate-authority-data", err, errlen)) != 0)
		return r;
	return kc_user(us, dir, c, err, errlen);
}

static int
kc_parse(const char *buf, size_t len, struct json_object **doc, char *err,
    size_t errlen)
{
	struct json_object *docs = NULL;
	char sub[256];
	int r;

	*doc = NULL;
	if ((r = yamljson_parse(buf, len, &docs, sub, sizeof(sub))) != 0) {
		snprintf(err, errlen, "kubeconfig: %s", sub);
		return r;
	}
	if (json_object_array_length(docs) > 0)
		*doc = json_object_get(json_object_array_get_idx(docs, 0));
	json_object_put(docs);
	if (*doc == NULL || !json_object_is_type(*doc, json_type_object)) {
		json_object_put(*doc);
		*doc = NULL;
		snprintf(err, errlen, "kubeconfig: not a mapping");
		return -EINVAL;
	}
	return 0;
}

int
kapi_conf_kubeconfig_buf(const char *buf, size_t len, const char *dir,
    struct kapi_conf *c, char *err, size_t errlen)
{
	struct json_object *doc;
	int r;

	memset(c, 0, sizeof(*c));
	if ((r = kc_parse(buf, len, &doc, err, errlen)) != 0)
		return r;
	r = kc_resolve(doc, NULL, dir, c, err, errlen);
	if (r == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	if (r != 0)
		kapi_conf_clear(c);
	json_object_put(doc);
	return r;
}

/* Read the kubeconfig at path, its relative paths made absolute. */
static int
kc_read(const char *path, struct json_object **doc, char *err, size_t errlen)
{
	char *buf = NULL, *dcopy = NULL, sub[256];
	size_t len;
	int r;

	*doc = NULL;
	if ((r = file_read(path, KAPI_MAX_CONF_FILE, &buf, &len)) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	if ((r = kc_parse(buf, len, doc, sub, sizeof(sub))) != 0)
		snprintf(err, errlen, "%s: %s", path, sub);
	else if ((dcopy = strdup(path)) == NULL ||
	    kc_absolutize(*doc, dirname(dcopy)) < 0)
		r = -ENOMEM;
	if (r != 0) {
		json_object_put(*doc);
		*doc = NULL;
	}
	free(buf);
	free(dcopy);
	return r;
}

int
kapi_conf_kubeconfig(const char *path, struct kapi_conf *c, char *err,
    size_t errlen)
{
	struct json_object *doc;
	char sub[256];
	int r;

	memset(c, 0, sizeof(*c));
	if ((r = kc_read(path, &doc, err, errlen)) != 0)
		return r;
	r = kc_resolve(doc, NULL, NULL, c, sub, sizeof(sub));
	if (r != 0) {
		snprintf(err, errlen, "%s: %s", path, r == -ENOMEM ?
		    "out of memory" : sub);
		kapi_conf_clear(c);
	}
	json_object_put(doc);
	return r;
}

/* ---- as kubectl finds it ------------------------------------------------ */

/* The files of $KUBECONFIG (':'-separated, empty parts and missing files
 * skipped, as kubectl does) merged into *doc; names the files into
 * files. -ENOENT when none exists. */
static int
kc_read_list(const char *list, struct json_object **doc, char *files,
    size_t fileslen, char *err, size_t errlen)
{
	struct json_object *one;
	char *copy, *p, *save = NULL;
	size_t off = 0;
	int r = 0;

	*doc = NULL;
	files[0] = '\0';
	if ((copy = strdup(list)) == NULL)
		return -ENOMEM;
	for (p = strtok_r(copy, ":", &save); p != NULL && r == 0;
	    p = strtok_r(NULL, ":", &save)) {
		if (access(p, F_OK) != 0)
			continue;
		if ((r = kc_read(p, &one, err, errlen)) != 0)
			break;
		if (*doc == NULL) {
			*doc = one;
		} else {
			kc_merge(*doc, one);
			json_object_put(one);
		}
		if (off < fileslen)
			off += (size_t)snprintf(files + off, fileslen - off,
			    "%s%s", off ? ":" : "", p);
	}
	free(copy);
	if (r == 0 && *doc == NULL)
		r = -ENOENT;
	if (r != 0) {
		json_object_put(*doc);
		*doc = NULL;
	}
	return r;
}

int
kapi_conf_find(const struct kapi_conf_want *w, struct kapi_conf *c,
    char *desc, size_t desclen, char *err, size_t errlen)
{
	const char *env = getenv("KUBECONFIG"), *home = getenv("HOME");
	struct json_object *doc = NULL;
	char files[1024], sub[512], *homecfg = NULL;
	int r;

	memset(c, 0, sizeof(*c));
	desc[0] = '\0';
	if (w->kubeconfig != NULL) {
		if ((r = kc_read(w->kubeconfig, &doc, err, errlen)) != 0)
			return r;
		snprintf(files, sizeof(files), "%s", w->kubeconfig);
	} else if (env != NULL && *env != '\0') {
		r = kc_read_list(env, &doc, files, sizeof(files), err, errlen);
		if (r == -ENOENT)
			snprintf(err, errlen, "KUBECONFIG=%s: none of its files "
			    "exists: point it at your kubeconfig, or give "
			    "--kubeconfig FILE", env);
		if (r != 0)
			return r;
	} else if (home != NULL && asprintf(&homecfg, "%s/.kube/config",
	    home) >= 0 && access(homecfg, F_OK) == 0) {
		r = kc_read(homecfg, &doc, err, errlen);
		snprintf(files, sizeof(files), "%s", homecfg);
		free(homecfg);
		if (r != 0)
			return r;
	} else {
		free(homecfg);
		r = kapi_conf_in_cluster(NULL, c, sub, sizeof(sub));
		if (r == -ENOENT) {
			snprintf(err, errlen, "no kubeconfig: --kubeconfig and "
			    "KUBECONFIG are not given, %s/.kube/config does not "
			    "exist, and this is not a pod with a service "
			    "account (%s). Give --kubeconfig FILE (the one "
			    "kubectl uses), or read a store with --db PATH",
			    home ? home : "$HOME", sub);
			return r;
		}
		if (r != 0) {
			snprintf(err, errlen, "in-cluster credentials: %s", sub);
			return r;
		}
		snprintf(desc, desclen, "the pod's service account");
		return 0;
	}
	r = kc_resolve(doc, w->context, NULL, c, sub, sizeof(sub));
	json_object_put(doc);
	if (r != 0) {
		snprintf(err, errlen, "%s: %s", files, r == -ENOMEM ?
		    "out of memory" : sub);
		kapi_conf_clear(c);
		return r;
	}
	kapi_exec_allow_terminal(c->exec, w->allow_terminal);
	snprintf(desc, desclen, "context %s of %s", c->context ? c->context :
	    "(none)", files);
	return 0;
}

/* The token of token_file (read now: it rotates) or of token. */
static char *
static_token(const struct kapi_conf *c)
{
	char *t = NULL;
	size_t n;

	if (c->token_file != NULL &&
	    file_read(c->token_file, 64 * 1024, &t, &n) == 0) {
		while (n > 0 && (t[n - 1] == '\n' || t[n - 1] == '\r' ||
		    t[n - 1] == ' '))
			t[--n] = '\0';
		return t;
	}
	return c->token != NULL ? strdup(c->token) : NULL;
}

char *
kapi_conf_token(const struct kapi_conf *c)
{
	struct kapi_exec_cred cr;
	char err[16];
	char *t;

	if (c->exec == NULL)
		return static_token(c);
	if (kapi_exec_get(c->exec, (int64_t)time(NULL), &cr, err,
	    sizeof(err)) != 0)
		return NULL;
	t = cr.token;
	cr.token = NULL;
	kapi_exec_cred_clear(&cr);
	return t;
}

int
kapi_conf_credentials(const struct kapi_conf *c, struct kapi_exec_cred *out,
    char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (c->exec != NULL)
		return kapi_exec_get(c->exec, (int64_t)time(NULL), out, err,
		    errlen);
	out->token = static_token(c);
	return 0;
}

void
kapi_conf_invalidate(const struct kapi_conf *c)
{
	kapi_exec_invalidate(c->exec);
}

int
kapi_conf_copy(struct kapi_conf *dst, const struct kapi_conf *src)
{
	char **d[] = { &dst->server, &dst->context, &dst->ca_file,
	    &dst->ca_data, &dst->token, &dst->token_file, &dst->cert_file,
	    &dst->key_file, &dst->cert_data, &dst->key_data };
	char *const s[] = { src->server, src->context, src->ca_file,
	    src->ca_data, src->token, src->token_file, src->cert_file,
	    src->key_file, src->cert_data, src->key_data };
	size_t i;

	*dst = *src;
	dst->exec = NULL;
	for (i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		*d[i] = NULL;
	for (i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		if (s[i] != NULL && (*d[i] = strdup(s[i])) == NULL) {
			kapi_conf_clear(dst);
			return -ENOMEM;
		}
	if (kapi_exec_dup(src->exec, &dst->exec) < 0) {
		kapi_conf_clear(dst);
		return -ENOMEM;
	}
	if (dst->max_response == 0)
		dst->max_response = KAPI_MAX_RESPONSE;
	if (dst->max_line == 0)
		dst->max_line = KAPI_MAX_LINE;
	if (dst->page_limit <= 0)
		dst->page_limit = KAPI_PAGE_LIMIT;
	if (dst->watch_timeout <= 0)
		dst->watch_timeout = KAPI_WATCH_TIMEOUT;
	if (dst->backoff_min_ms <= 0)
		dst->backoff_min_ms = KAPI_BACKOFF_MIN_MS;
	if (dst->backoff_max_ms < dst->backoff_min_ms)
		dst->backoff_max_ms = dst->backoff_min_ms > KAPI_BACKOFF_MAX_MS ?
		    dst->backoff_min_ms : KAPI_BACKOFF_MAX_MS;
	return 0;
}
