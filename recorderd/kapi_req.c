/*
 * kapi_req: one resource's list/watch state machine (kapi_req.h).
 */
#include "recorderd/kapi_req.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "lib/clock.h"
#include "lib/kapi_http.h"

/* A body of an HTTP error is read this far, for its Status message. */
#define KAPI_ERRBODY_MAX (64u << 10)

int
kapi_req_init(struct kres *kr, const struct kapi_resource *res,
    const struct kapi_conf *conf, struct kapi_queue *q, CURLM *multi)
{
	memset(kr, 0, sizeof(*kr));
	kr->res = res;
	kr->conf = conf;
	kr->q = q;
	kr->multi = multi;
	kr->state = KS_WAIT;
	kr->relist = true;
	return (kr->easy = curl_easy_init()) != NULL ? 0 : -ENOMEM;
}

void
kapi_req_cleanup(struct kres *kr)
{
	if (kr->state != KS_WAIT)
		curl_multi_remove_handle(kr->multi, kr->easy);
	curl_easy_cleanup(kr->easy);
	curl_slist_free_all(kr->hdrs);
	free(kr->buf);
	free(kr->cont);
	memset(kr, 0, sizeof(*kr));
}

static void
kres_fail(struct kres *kr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
kres_fail(struct kres *kr, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(kr->err, sizeof(kr->err), fmt, ap);
	va_end(ap);
}

static int
buf_append(struct kres *kr, const char *data, size_t n, size_t max)
{
	size_t cap;
	char *nb;

	if (kr->len + n > max)
		return -E2BIG;
	if (kr->len + n + 1 > kr->cap) {
		cap = kr->cap == 0 ? 16384 : kr->cap;
		while (cap < kr->len + n + 1)
			cap *= 2;
		if ((nb = realloc(kr->buf, cap)) == NULL)
			return -ENOMEM;
		kr->buf = nb;
		kr->cap = cap;
	}
	memcpy(kr->buf + kr->len, data, n);
	kr->len += n;
	kr->buf[kr->len] = '\0';
	return 0;
}

static void
watch_line(struct kres *kr, const char *line, size_t len)
{
	struct kapi_watch_event ev;
	char err[160];

	if (len == 0)
		return;
	if (kapi_watch_parse(line, len, &ev, err, sizeof(err)) != 0) {
		kres_fail(kr, "%s", err);
		kr->bad_line = true;
		return;
	}
	if (ev.rv[0] != '\0' && ev.type != KAPI_WATCH_ERROR)
		memcpy(kr->rv, ev.rv, sizeof(kr->rv));
	switch (ev.type) {
	case KAPI_WATCH_ADDED:
	case KAPI_WATCH_MODIFIED:
		kapi_queue_push(kr->q, KAPI_EV_UPSERT, kr->res->kind, ev.obj, NULL);
		return;
	case KAPI_WATCH_DELETED:
		kapi_queue_push(kr->q, KAPI_EV_DELETE, kr->res->kind, ev.obj, NULL);
		return;
	case KAPI_WATCH_BOOKMARK:
		break;
	case KAPI_WATCH_ERROR:
		if (ev.code == 410)
			kr->gone = true;
		else
			kres_fail(kr, "watch ERROR event, code %d", ev.code);
		kr->bad_line = ev.code != 410;
		break;
	}
	json_object_put(ev.obj);
}

static size_t
on_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct kres *kr = arg;
	const struct kapi_conf *c = kr->conf;
	size_t n = size * nmemb, start, i, max;
	long code = 0;

	curl_easy_getinfo(kr->easy, CURLINFO_RESPONSE_CODE, &code);
	if (kapi_queue_stopped(kr->q))
		return 0;
	if (kr->state == KS_LIST || code != 200) {
		max = code == 200 ? c->max_response : KAPI_ERRBODY_MAX;
		if (buf_append(kr, data, n, max) != 0) {
			kr->abort_limit = true;
			kres_fail(kr, "response larger than %zu bytes: "
			    "refused", max);
			return 0;
		}
		return n;
	}
	/* A watch stream: one JSON event per line. Only the new bytes are
	 * searched for newlines. */
	start = kr->len;
	if (buf_append(kr, data, n, c->max_line) != 0) {
		kr->abort_limit = true;
		kres_fail(kr, "watch event longer than %zu bytes: refused",
		    c->max_line);
		return 0;
	}
	for (i = start, start = 0; i < kr->len; i++) {
		if (kr->buf[i] != '\n')
			continue;
		watch_line(kr, kr->buf + start, i - start);
		start = i + 1;
		if (kr->gone || kr->bad_line)
			return 0;
	}
	memmove(kr->buf, kr->buf + start, kr->len - start);
	kr->len -= start;
	return n;
}

/* Build the URL of the next request of kr. */
static char *
kres_url(struct kres *kr)
{
	const struct kapi_resource *res = kr->res;
	const struct kapi_conf *c = kr->conf;
	char *url = NULL, *esc = NULL, prefix[96];

	if (*res->group == '\0')
		snprintf(prefix, sizeof(prefix), "/api/%s", res->version);
	else
		snprintf(prefix, sizeof(prefix), "/apis/%s/%s", res->group,
		    res->version);
	if (kr->state == KS_LIST) {
		if (kr->cont != NULL && (esc = curl_easy_escape(kr->easy,
		    kr->cont, 0)) == NULL)
			return NULL;
		if (asprintf(&url, "%s%s/%s?limit=%d%s%s", c->server,
		    prefix, res->resource, c->page_limit,
		    esc != NULL ? "&continue=" : "", esc != NULL ? esc : "") < 0)
			url = NULL;
		curl_free(esc);
		return url;
	}
	if (asprintf(&url, "%s%s/%s?watch=1&allowWatchBookmarks=true"
	    "&resourceVersion=%s&timeoutSeconds=%d", c->server, prefix,
	    res->resource, kr->rv, c->watch_timeout) < 0)
		url = NULL;
	return url;
}

int
kapi_req_start(struct kres *kr)
{
	const struct kapi_conf *c = kr->conf;
	char *url = NULL;
	int r = -ENOMEM;

	kr->state = kr->relist || kr->rv[0] == '\0' ? KS_LIST : KS_WATCH;
	kr->len = 0;
	kr->abort_limit = kr->gone = kr->bad_line = false;
	kr->err[0] = '\0';
	kr->started_ms = clock_mono_ms();
	curl_slist_free_all(kr->hdrs);
	kr->hdrs = NULL;
	curl_easy_reset(kr->easy);
	if ((url = kres_url(kr)) == NULL)
		goto out;
	/* An exec credential plugin runs here, on the client's thread. */
	if ((r = kapi_http_setup(kr->easy, c, url, "netpol-recorderd", NULL,
	    &kr->hdrs, kr->err, sizeof(kr->err))) < 0)
		goto out;
	r = -ENOMEM;
	curl_easy_setopt(kr->easy, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(kr->easy, CURLOPT_WRITEDATA, kr);
	curl_easy_setopt(kr->easy, CURLOPT_PRIVATE, kr);
	curl_easy_setopt(kr->easy, CURLOPT_TIMEOUT, kr->state == KS_LIST ?
	    120L : (long)c->watch_timeout + 60L);
	if (curl_multi_add_handle(kr->multi, kr->easy) != CURLM_OK)
		goto out;
	r = 0;
out:
	free(url);
	return r;
}

void
kapi_req_backoff(struct kres *kr)
{
	const struct kapi_conf *c = kr->conf;

	kr->backoff_ms = kr->backoff_ms == 0 ? c->backoff_min_ms :
	    kr->backoff_ms * 2;
	if (kr->backoff_ms > c->backoff_max_ms)
		kr->backoff_ms = c->backoff_max_ms;
	kr->wake_ms = clock_mono_ms() + kr->backoff_ms;
	kr->state = KS_WAIT;
}

static void
kres_retry_now(struct kres *kr)
{
	kr->wake_ms = clock_mono_ms();
	kr->state = KS_WAIT;
}

static void
list_abort(struct kres *kr)
{
	if (kr->in_sync)
		kapi_queue_push(kr->q, KAPI_EV_SYNC_ABORT, kr->res->kind, NULL, NULL);
	kr->in_sync = false;
	free(kr->cont);
	kr->cont = NULL;
}

/* A 200 list page: queue its items, go on to the next page or watch. */
static void
list_page(struct kres *kr)
{
	struct json_object *root = NULL, *items, *meta, *v, *it;
	const char *cont = NULL, *rv = NULL;
	size_t i, n;

	root = json_tokener_parse(kr->buf);
	if (root == NULL || !json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "items", &items) ||
	    !(json_object_is_type(items, json_type_array) ||
	    json_object_is_type(items, json_type_null))) {
		kapi_queue_push(kr->q, KAPI_EV_ERROR, kr->res->kind, NULL, "list %s: the "
		    "response is not a List (truncated or malformed JSON)",
		    kr->res->resource);
		list_abort(kr);
		kapi_req_backoff(kr);
		goto out;
	}
	if (json_object_object_get_ex(root, "metadata", &meta)) {
		if (json_object_object_get_ex(meta, "continue", &v) &&
		    json_object_is_type(v, json_type_string))
			cont = json_object_get_string(v);
		if (json_object_object_get_ex(meta, "resourceVersion", &v) &&
		    json_object_is_type(v, json_type_string))
			rv = json_object_get_string(v);
	}
	if (!kr->in_sync) {
		kapi_queue_push(kr->q, KAPI_EV_SYNC_BEGIN, kr->res->kind, NULL, NULL);
		kr->in_sync = true;
	}
	n = json_object_is_type(items, json_type_array) ?
	    json_object_array_length(items) : 0;
	for (i = 0; i < n; i++) {
		/* Detach the item so that the other thread holds the only
		 * reference (json-c refcounts are not atomic). */
		it = json_object_get(json_object_array_get_idx(items, i));
		json_object_array_put_idx(items, i, NULL);
		kapi_queue_push(kr->q, KAPI_EV_UPSERT, kr->res->kind, it, NULL);
	}
	free(kr->cont);
	kr->cont = NULL;
	if (cont != NULL && *cont != '\0') {
		if ((kr->cont = strdup(cont)) == NULL) {
			list_abort(kr);
			kapi_req_backoff(kr);
			goto out;
		}
		kres_retry_now(kr);
		goto out;
	}
	snprintf(kr->rv, sizeof(kr->rv), "%s", rv != NULL ? rv : "");
	kapi_queue_push(kr->q, KAPI_EV_SYNC_END, kr->res->kind, NULL, NULL);
	kapi_queue_push(kr->q, KAPI_EV_INFO, kr->res->kind, NULL, "listed %s at "
	    "resourceVersion %s", kr->res->resource, kr->rv);
	kr->in_sync = false;
	kr->relist = false;
	kr->backoff_ms = 0;
	kres_retry_now(kr);
out:
	json_object_put(root);
}

void
kapi_req_done(struct kres *kr, CURLcode rc)
{
	const char *what = kr->state == KS_LIST ? "list" : "watch";
	char smsg[200];
	long code = 0;

	curl_easy_getinfo(kr->easy, CURLINFO_RESPONSE_CODE, &code);
	curl_multi_remove_handle(kr->multi, kr->easy);
	if (kr->state == KS_WATCH && (kr->gone || code == 410)) {
		kapi_queue_push(kr->q, KAPI_EV_INFO, kr->res->kind, NULL, "watch %s: "
		    "resourceVersion %s is gone (410), relisting",
		    kr->res->resource, kr->rv);
		kr->relist = true;
		/* A server that answers every fresh watch with 410 must not
		 * be relisted in a tight loop. */
		if (clock_mono_ms() - kr->started_ms < 1000)
			kapi_req_backoff(kr);
		else
			kres_retry_now(kr);
		return;
	}
	if (kr->state == KS_LIST && code == 410 && kr->cont != NULL) {
		/* The continue token expired: start the list over. */
		list_abort(kr);
		kres_retry_now(kr);
		return;
	}
	if (rc == CURLE_OK && code == 200 && kr->state == KS_LIST) {
		list_page(kr);
		return;
	}
	if (rc == CURLE_OK && code == 200 && !kr->bad_line) {
		/* The server ended the watch (timeoutSeconds): go on from the
		 * last resourceVersion; a watch that ends at once backs off
		 * so that a broken server is not hammered. */
		if (clock_mono_ms() - kr->started_ms < 1000)
			kapi_req_backoff(kr);
		else {
			kr->backoff_ms = 0;
			kres_retry_now(kr);
		}
		return;
	}
	if (kr->err[0] != '\0')
		kapi_queue_push(kr->q, KAPI_EV_ERROR, kr->res->kind, NULL, "%s %s: %s", what,
		    kr->res->resource, kr->err);
	else if (rc != CURLE_OK)
		kapi_queue_push(kr->q, KAPI_EV_ERROR, kr->res->kind, NULL, "%s %s: %s", what,
		    kr->res->resource, curl_easy_strerror(rc));
	else {
		/* A refused exec credential: the plugin runs again. */
		if (code == 401)
			kapi_conf_invalidate(kr->conf);
		kapi_http_status_message(kr->buf, kr->len, smsg + 2,
		    sizeof(smsg) - 2);
		if (smsg[2] != '\0')
			memcpy(smsg, ": ", 2);
		else
			smsg[0] = '\0';
		kapi_queue_push(kr->q, KAPI_EV_ERROR, kr->res->kind, NULL, "%s %s: HTTP "
		    "%ld%s%s", what, kr->res->resource, code,
		    code == 401 ? " Unauthorized (check the token)" :
		    code == 403 ? " Forbidden (check the ClusterRole)" : "",
		    smsg);
	}
	if (kr->state == KS_LIST)
		list_abort(kr);
	if (kr->state == KS_LIST && rc == CURLE_OK && (code == 403 ||
	    code == 404))
		kapi_queue_push(kr->q, KAPI_EV_UNAVAILABLE, kr->res->kind, NULL, NULL);
	kapi_req_backoff(kr);
}

