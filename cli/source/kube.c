/*
 * kube: the CLI's requests to the API server and what their failures
 * mean (see kube.h).
 */
#include "cli/source/kube.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "cli/source/jsplit.h"
#include "lib/clock.h"

struct kube {
	struct kapi_conf conf;
	struct kapi_http_session *session;	/* one connection for all */
	struct kube_opts o;
	char desc[1024];
};

static void
curl_once(void)
{
	static int done;

	if (!done) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		done = 1;
	}
}

int
kube_open(const struct kube_opts *o, struct kube **out, char *err,
    size_t errlen)
{
	struct kapi_conf_want w = {
		.kubeconfig = o->kubeconfig,
		.context = o->context,
		.allow_terminal = true,
	};
	char where[700];
	struct kube *k;
	int r;

	*out = NULL;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return -ENOMEM;
	if ((r = kapi_conf_find(&w, &k->conf, where, sizeof(where), err,
	    errlen)) < 0) {
		free(k);
		return r;
	}
	curl_once();
	if ((r = kapi_http_session_new(&k->session)) < 0) {
		kapi_conf_clear(&k->conf);
		free(k);
		return r;
	}
	k->o = *o;
	if (k->o.timeout_ms <= 0)
		k->o.timeout_ms = KUBE_DEFAULT_TIMEOUT_MS;
	snprintf(k->desc, sizeof(k->desc), "%s (%s)", k->conf.server, where);
	*out = k;
	return 0;
}

void
kube_close(struct kube *k)
{
	if (k == NULL)
		return;
	kapi_http_session_free(k->session);
	kapi_conf_clear(&k->conf);
	free(k);
}

const char *
kube_describe(const struct kube *k)
{
	return k->desc;
}

char *
kube_escape(const char *s, char *buf, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s != '\0' && o + 4 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			buf[o++] = (char)c;
		} else {
			buf[o++] = '%';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		}
	}
	buf[o] = '\0';
	return buf;
}

/* ---- failures as sentences ------------------------------------------------- */

/* The transport failed: say what and what to do. */
static int
explain_transport(const struct kube *k, int r, const char *error, char *err,
    size_t errlen)
{
	switch (r) {
	case -ETIMEDOUT:
		snprintf(err, errlen, "the API server %s did not answer within "
		    "%llds: is the cluster reachable (kubectl cluster-info)? A "
		    "longer --request-timeout waits more", k->conf.server,
		    (long long)(k->o.timeout_ms / 1000));
		break;
	case -ECONNREFUSED:
	case -EHOSTUNREACH:
		snprintf(err, errlen, "cannot connect to the API server %s "
		    "(%s): is the cluster up and the kubeconfig's server "
		    "right (kubectl cluster-info)?", k->conf.server, error);
		break;
	case -EPROTO:
		snprintf(err, errlen, "TLS with the API server %s failed (%s): "
		    "check the kubeconfig's certificate-authority and client "
		    "certificate", k->conf.server, error);
		break;
	case -EFBIG:
		snprintf(err, errlen, "the API server %s: %s: a smaller "
		    "--chunk-size asks for smaller pages", k->conf.server,
		    error);
		break;
	default:
		/* -EACCES: an exec credential plugin's message says it all. */
		snprintf(err, errlen, "%s", error[0] ? error : strerror(-r));
		break;
	}
	return r;
}

/* The server answered status to verb on path: a sentence, and -errno. */
static int
explain_status(const struct kube *k, const char *verb, const char *path,
    const struct kapi_http_resp *rs, char *err, size_t errlen)
{
	char msg[768];

	kapi_http_status_message(rs->body, rs->len, msg, sizeof(msg));
	switch (rs->status) {
	case 401:
		snprintf(err, errlen, "the API server %s refused the "
		    "credentials of %s%s (401 Unauthorized): log in again (a "
		    "token that expired), or check the kubeconfig's user",
		    k->conf.server, k->conf.context ? "context " : "",
		    k->conf.context ? k->conf.context :
		    "the service account");
		return -EACCES;
	case 403:
		snprintf(err, errlen, "%s (403 Forbidden): ask a cluster admin "
		    "to grant your user what install/kubernetes/README.md "
		    "lists for the reader (get and list on trafficprofiles, "
		    "recorderstatuses and knownservers)", msg[0] ? msg :
		    "forbidden");
		return -EPERM;
	case 404:
		snprintf(err, errlen, "%s %s: not found (404)", verb, path);
		return -ENOENT;
	case 400:
	case 422:
		snprintf(err, errlen, "%s %s: %s (%ld)", verb, path, msg[0] ?
		    msg : "invalid", rs->status);
		return -EINVAL;
	default:
		snprintf(err, errlen, "%s %s: the API server answered %ld%s%s",
		    verb, path, rs->status, msg[0] ? ": " : "", msg);
		return -EIO;
	}
}

/* One request, 429 and 503 retried after Retry-After while the timeout
 * allows. A 410 is -ESTALE with *out kept when stale_ok (a list's
 * continue token expired). */
static int
request(struct kube *k, struct kapi_http_req *rq, struct kapi_http_resp *out,
    bool stale_ok, char *err, size_t errlen)
{
	int64_t deadline = clock_mono_ms() + k->o.timeout_ms, left, wait;
	int r;

	for (;;) {
		rq->timeout_ms = (long)(deadline - clock_mono_ms());
		if (rq->timeout_ms < 1)
			rq->timeout_ms = 1;
		rq->session = k->session;
		if ((r = kapi_http_request(&k->conf, rq, out)) < 0)
			return explain_transport(k, r, out->error, err, errlen);
		if (out->status >= 200 && out->status < 300)
			return 0;
		if (out->status == 410 && stale_ok)
			return -ESTALE;
		if (out->status != 429 && out->status != 503)
			break;
		wait = (out->retry_after_s > 0 ? out->retry_after_s : 1) * 1000;
		left = deadline - clock_mono_ms();
		if (wait >= left)
			break;
		kapi_http_resp_clear(out);
		nanosleep(&(struct timespec){ .tv_sec = wait / 1000,
		    .tv_nsec = (wait % 1000) * 1000000 }, NULL);
	}
	r = explain_status(k, rq->method, rq->path, out, err, errlen);
	kapi_http_resp_clear(out);
	return r;
}

int
kube_get(struct kube *k, const char *path, struct kapi_http_resp *out,
    char *err, size_t errlen)
{
	struct kapi_http_req rq = { .method = "GET", .path = path };

	return request(k, &rq, out, false, err, errlen);
}

static int
parse_json(const struct kube *k, const char *path,
    const struct kapi_http_resp *rs, json_object **out, char *err,
    size_t errlen)
{
	json_tokener *tok;

	*out = NULL;
	if ((tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH)) == NULL)
		return -ENOMEM;
	*out = json_tokener_parse_ex(tok, rs->body ? rs->body : "",
	    (int)rs->len);
	if (json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(*out, json_type_object)) {
		json_object_put(*out);
		*out = NULL;
		snprintf(err, errlen, "the API server %s answered GET %s with "
		    "something that is not a JSON object", k->conf.server,
		    path);
		json_tokener_free(tok);
		return -EPROTO;
	}
	json_tokener_free(tok);
	return 0;
}

int
kube_get_json(struct kube *k, const char *path, json_object **out, char *err,
    size_t errlen)
{
	struct kapi_http_resp rs;
	int r;

	*out = NULL;
	if ((r = kube_get(k, path, &rs, err, errlen)) < 0)
		return r;
	r = parse_json(k, path, &rs, out, err, errlen);
	kapi_http_resp_clear(&rs);
	return r;
}

/* metadata.continue of a list (or of a 410 Status), "" when none. */
static const char *
continue_of(json_object *o)
{
	json_object *m, *c;

	if (json_object_object_get_ex(o, "metadata", &m) &&
	    json_object_object_get_ex(m, "continue", &c) &&
	    json_object_is_type(c, json_type_string))
		return json_object_get_string(c);
	return "";
}

/* A continue token: the API's are a few hundred bytes. */
#define CONT_MAX 4096

/*
 * GET one page of path: at most limit items (0: all) of the label
 * selector sel (escaped already, "" none), from the continue token cont
 * ("" the first page). Items go to item(); next gets the token of the
 * next page ("" when none). When cont expired (410), *stale is set and
 * next is the token the server's Status gives to go on over the current
 * state. 0 or -errno with err as kube_get.
 */
static int
list_page(struct kube *k, const char *path, const char *sel, int limit,
    const char *cont, kube_item_cb item, void *arg, char *next,
    size_t nextlen, bool *stale, char *err, size_t errlen)
{
	struct kapi_http_req rq = { .method = "GET" };
	struct kapi_http_resp rs;
	json_object *st;
	char *url = NULL, tok[3 * CONT_MAX], sub[256];
	int r;

	*stale = false;
	next[0] = '\0';
	kube_escape(cont, tok, sizeof(tok));
	if (asprintf(&url, "%s?limit=%d%s%s%s%s", path, limit,
	    sel[0] ? "&labelSelector=" : "", sel, tok[0] ? "&continue=" : "",
	    tok) < 0)
		return -ENOMEM;
	rq.path = url;
	r = request(k, &rq, &rs, cont[0] != '\0', err, errlen);
	if (r == -ESTALE) {
		/* Expired between two pages: the token in the server's
		 * Status goes on over the current state. */
		*stale = true;
		r = parse_json(k, url, &rs, &st, err, errlen);
		kapi_http_resp_clear(&rs);
		if (r == 0) {
			snprintf(next, nextlen, "%s", continue_of(st));
			json_object_put(st);
		}
		goto out;
	}
	if (r < 0)
		goto out;
	r = jsplit_list(rs.body ? rs.body : "", rs.len, item, arg, next,
	    nextlen, err, errlen);
	kapi_http_resp_clear(&rs);
	if (r == -EINVAL) {
		/* Say who answered what. */
		snprintf(sub, sizeof(sub), "%s", err);
		snprintf(err, errlen, "the API server %s answered GET %s: %s",
		    k->conf.server, url, sub);
	}
out:
	free(url);
	return r;
}

int
kube_list(struct kube *k, const char *path, const char *selector,
    kube_item_cb item, void *arg, bool *inconsistent, char *err,
    size_t errlen)
{
	char sel[1024], cont[CONT_MAX], next[CONT_MAX];
	bool stale;
	int r;

	*inconsistent = false;
	cont[0] = '\0';
	kube_escape(selector ? selector : "", sel, sizeof(sel));
	for (;;) {
		r = list_page(k, path, sel, k->o.chunk, cont, item, arg, next,
		    sizeof(next), &stale, err, errlen);
		*inconsistent |= stale;
		if (r != 0 || next[0] == '\0')
			break;
		memcpy(cont, next, sizeof(cont));
	}
	return r;
}

int
kube_list_page(struct kube *k, const char *path, const char *selector,
    int limit, kube_item_cb item, void *arg, char *err, size_t errlen)
{
	char sel[1024], next[CONT_MAX];
	bool stale;

	kube_escape(selector ? selector : "", sel, sizeof(sel));
	return list_page(k, path, sel, limit, "", item, arg, next,
	    sizeof(next), &stale, err, errlen);
}

int
kube_apply(struct kube *k, const char *path, const char *body,
    const char *manager, bool *created, char *err, size_t errlen)
{
	struct kapi_http_req rq = {
		.method = "PATCH",
		.content_type = "application/apply-patch+yaml",
		.body = body,
		.body_len = strlen(body),
	};
	struct kapi_http_resp rs;
	char *url, m[256];
	int r;

	if (asprintf(&url, "%s?fieldManager=%s&force=true", path,
	    kube_escape(manager, m, sizeof(m))) < 0)
		return -ENOMEM;
	rq.path = url;
	if ((r = request(k, &rq, &rs, false, err, errlen)) == 0) {
		*created = rs.status == 201;
		kapi_http_resp_clear(&rs);
	}
	free(url);
	return r;
}
