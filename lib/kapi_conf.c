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
#include <unistd.h>

#include <json-c/json.h>

#include "lib/file.h"
#include "lib/yamljson.h"

#define KAPI_MAX_CONF_FILE (4u << 20)

void
kapi_conf_clear(struct kapi_conf *c)
{
	if (c == NULL)
		return;
	free(c->server);
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

/* Decode standard base64 (whitespace ignored) into a new NUL-terminated
 * string. */
static int
b64_decode(const char *in, char **out)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(in), o = 0;
	uint32_t acc = 0;
	int bits = 0;
	const char *p, *q;
	char *buf;

	if ((buf = malloc(n / 4 * 3 + 4)) == NULL)
		return -ENOMEM;
	for (p = in; *p != '\0'; p++) {
		if (*p == '=' || *p == ' ' || *p == '\n' || *p == '\r' ||
		    *p == '\t')
			continue;
		if ((q = strchr(tab, *p)) == NULL) {
			free(buf);
			return -EINVAL;
		}
		acc = acc << 6 | (uint32_t)(q - tab);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (char)(acc >> bits & 0xff);
		}
	}
	buf[o] = '\0';
	*out = buf;
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
	if ((r = b64_decode(b64, out)) == -EINVAL)
		snprintf(err, errlen, "kubeconfig: %s: not base64", what);
	return r;
}

int
kapi_conf_kubeconfig_buf(const char *buf, size_t len, const char *dir,
    struct kapi_conf *c, char *err, size_t errlen)
{
	struct json_object *docs = NULL, *doc, *ctx, *cl, *us, *v;
	const char *cur, *s;
	char sub[256];
	int r;

	memset(c, 0, sizeof(*c));
	if ((r = yamljson_parse(buf, len, &docs, sub, sizeof(sub))) != 0) {
		snprintf(err, errlen, "kubeconfig: %s", sub);
		return r;
	}
	r = -EINVAL;
	doc = json_object_array_length(docs) > 0 ?
	    json_object_array_get_idx(docs, 0) : NULL;
	if (doc == NULL || !json_object_is_type(doc, json_type_object)) {
		snprintf(err, errlen, "kubeconfig: not a mapping");
		goto out;
	}
	cur = kc_str(doc, "current-context");
	if ((ctx = kc_named(doc, "contexts", "context", cur)) == NULL) {
		snprintf(err, errlen, "kubeconfig: current-context %s%s%s not "
		    "found", cur ? "\"" : "", cur ? cur : "(unset)",
		    cur ? "\"" : "");
		goto out;
	}
	if ((cl = kc_named(doc, "clusters", "cluster", kc_str(ctx, "cluster")))
	    == NULL) {
		snprintf(err, errlen, "kubeconfig: cluster of context \"%s\" "
		    "not found", cur);
		goto out;
	}
	us = kc_named(doc, "users", "user", kc_str(ctx, "user"));
	if ((s = kc_str(cl, "server")) == NULL || strncmp(s, "https://", 8)
	    != 0) {
		snprintf(err, errlen, "kubeconfig: cluster server must be an "
		    "https:// URL");
		goto out;
	}
	if (json_object_object_get_ex(cl, "insecure-skip-tls-verify", &v) &&
	    json_object_get_boolean(v)) {
		snprintf(err, errlen, "kubeconfig: insecure-skip-tls-verify is "
		    "not supported");
		r = -ENOTSUP;
		goto out;
	}
	if (us != NULL && (json_object_object_get_ex(us, "exec", &v) ||
	    json_object_object_get_ex(us, "auth-provider", &v))) {
		snprintf(err, errlen, "kubeconfig: exec and auth-provider "
		    "credentials are not supported; use a token or a client "
		    "certificate");
		r = -ENOTSUP;
		goto out;
	}
	if ((c->server = strdup(s)) == NULL)
		goto nomem;
	/* No trailing slash: paths are appended. */
	while (strlen(c->server) > 8 && c->server[strlen(c->server) - 1] ==
	    '/')
		c->server[strlen(c->server) - 1] = '\0';
	if ((r = kc_path(dir, kc_str(cl, "certificate-authority"),
	    &c->ca_file)) != 0 ||
	    (r = kc_data(kc_str(cl, "certificate-authority-data"), &c->ca_data,
	    "certificate-authority-data", err, errlen)) != 0 ||
	    (r = kc_path(dir, kc_str(us, "tokenFile"), &c->token_file)) != 0 ||
	    (r = kc_path(dir, kc_str(us, "client-certificate"),
	    &c->cert_file)) != 0 ||
	    (r = kc_path(dir, kc_str(us, "client-key"), &c->key_file)) != 0 ||
	    (r = kc_data(kc_str(us, "client-certificate-data"), &c->cert_data,
	    "client-certificate-data", err, errlen)) != 0 ||
	    (r = kc_data(kc_str(us, "client-key-data"), &c->key_data,
	    "client-key-data", err, errlen)) != 0)
		goto out;
	if ((s = kc_str(us, "token")) != NULL && (c->token = strdup(s)) ==
	    NULL)
		goto nomem;
	if ((c->cert_file || c->cert_data) != (c->key_file || c->key_data)) {
		snprintf(err, errlen, "kubeconfig: a client certificate needs "
		    "its key (and the other way round)");
		r = -EINVAL;
		goto out;
	}
	r = 0;
	goto out;
nomem:
	r = -ENOMEM;
	snprintf(err, errlen, "out of memory");
out:
	if (r != 0)
		kapi_conf_clear(c);
	json_object_put(docs);
	return r;
}

int
kapi_conf_kubeconfig(const char *path, struct kapi_conf *c, char *err,
    size_t errlen)
{
	char *buf = NULL, *dcopy = NULL, sub[256];
	size_t len;
	int r;

	memset(c, 0, sizeof(*c));
	if ((r = file_read(path, KAPI_MAX_CONF_FILE, &buf, &len)) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	if ((dcopy = strdup(path)) == NULL) {
		free(buf);
		return -ENOMEM;
	}
	r = kapi_conf_kubeconfig_buf(buf, len, dirname(dcopy), c, sub,
	    sizeof(sub));
	if (r != 0)
		snprintf(err, errlen, "%s: %s", path, sub);
	free(buf);
	free(dcopy);
	return r;
}

char *
kapi_conf_token(const struct kapi_conf *c)
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

int
kapi_conf_copy(struct kapi_conf *dst, const struct kapi_conf *src)
{
	char **d[] = { &dst->server, &dst->ca_file, &dst->ca_data,
	    &dst->token, &dst->token_file, &dst->cert_file, &dst->key_file,
	    &dst->cert_data, &dst->key_data };
	char *const s[] = { src->server, src->ca_file, src->ca_data,
	    src->token, src->token_file, src->cert_file, src->key_file,
	    src->cert_data, src->key_data };
	size_t i;

	*dst = *src;
	for (i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		*d[i] = NULL;
	for (i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		if (s[i] != NULL && (*d[i] = strdup(s[i])) == NULL) {
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
