/*
 * kapi: list and watch with libcurl's multi interface on a worker thread.
 *
 * One state machine per resource (struct kres): WAIT (backoff) -> LIST
 * (pages of KAPI_PAGE_LIMIT with continue tokens) -> WATCH (from the
 * list's resourceVersion, bookmarks on) -> WATCH again when the server
 * ends the watch, or LIST again on 410 Gone. Every object goes to the
 * daemon's thread through the event queue; nothing here touches the
 * cache.
 */
#include "recorderd/kapi.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "lib/kmeta.h"

/* Every resource the client reads, and how: the ClusterRole must grant
 * exactly these (install/ checks it against this table). */
const struct kapi_resource kapi_resources[] = {
	{ KMETA_POD, "", "v1", "pods", { "list", "watch", NULL } },
	{ KMETA_NAMESPACE, "", "v1", "namespaces", { "list", "watch", NULL } },
	{ KMETA_NODE, "", "v1", "nodes", { "list", "watch", NULL } },
	{ KMETA_REPLICATIONCONTROLLER, "", "v1", "replicationcontrollers",
	    { "list", "watch", NULL } },
	{ KMETA_REPLICASET, "apps", "v1", "replicasets",
	    { "list", "watch", NULL } },
	{ KMETA_DEPLOYMENT, "apps", "v1", "deployments",
	    { "list", "watch", NULL } },
	{ KMETA_STATEFULSET, "apps", "v1", "statefulsets",
	    { "list", "watch", NULL } },
	{ KMETA_DAEMONSET, "apps", "v1", "daemonsets",
	    { "list", "watch", NULL } },
	{ KMETA_JOB, "batch", "v1", "jobs", { "list", "watch", NULL } },
	{ KMETA_CRONJOB, "batch", "v1", "cronjobs", { "list", "watch", NULL } },
};
const size_t kapi_nresources = sizeof(kapi_resources) /
    sizeof(kapi_resources[0]);

/* Events waiting beyond this block the worker (and so, through TCP, the
 * API server): a 100,000-pod list must not pile up in memory. */
#define KAPI_QUEUE_MAX 2048
#define KAPI_ERRBODY_MAX (64u << 10)

enum kres_state { KS_WAIT, KS_LIST, KS_WATCH };

struct kres {
	struct kapi *ka;
	const struct kapi_resource *res;
	CURL *easy;
	struct curl_slist *hdrs;
	enum kres_state state;
	bool relist;		/* the next request is a LIST */
	bool in_sync;		/* SYNC_BEGIN sent, SYNC_END not yet */
	char rv[64];		/* resourceVersion to watch from */
	char *cont;		/* list continue token */
	char *buf;		/* list body, or the partial watch line */
	size_t len, cap;
	bool abort_limit;	/* a size limit stopped the transfer */
	bool gone;		/* watch said 410 */
	bool bad_line;
	char err[256];
	int backoff_ms;
	int64_t wake_ms;
	int64_t started_ms;
};

struct qent {
	struct kapi_event ev;
	struct qent *next;
};

struct kapi {
	struct kapi_conf conf;
	pthread_t thread;
	bool thread_started;
	CURLM *multi;
	struct kres res[KMETA_NKINDS];
	size_t nres;
	int efd;
	pthread_mutex_t mu;
	pthread_cond_t not_full;
	struct qent *head, *tail;
	size_t qlen;
	bool stop;		/* under mu */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void
curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the queue ---------------------------------------------------------- */

static bool
stopping(struct kapi *ka)
{
	bool s;

	pthread_mutex_lock(&ka->mu);
	s = ka->stop;
	pthread_mutex_unlock(&ka->mu);
	return s;
}

/* Queue an event (takes obj). Blocks while the queue is full. */
static void
push(struct kapi *ka, enum kapi_event_type type, int kind,
    struct json_object *obj, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
push(struct kapi *ka, enum kapi_event_type type, int kind,
    struct json_object *obj, const char *fmt, ...)
{
	struct qent *q;
	uint64_t one = 1;
	va_list ap;

	if ((q = calloc(1, sizeof(*q))) == NULL) {
		json_object_put(obj);
		return;
	}
	q->ev.type = type;
	q->ev.kind = kind;
	q->ev.obj = obj;
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(q->ev.msg, sizeof(q->ev.msg), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_lock(&ka->mu);
	while (ka->qlen >= KAPI_QUEUE_MAX && !ka->stop)
		pthread_cond_wait(&ka->not_full, &ka->mu);
	if (ka->tail != NULL)
		ka->tail->next = q;
	else
		ka->head = q;
	ka->tail = q;
	if (ka->qlen++ == 0 && write(ka->efd, &one, sizeof(one)) < 0) {
		/* eventfd write fails only on counter overflow: ignore. */
	}
	pthread_mutex_unlock(&ka->mu);
}

int
kapi_next(struct kapi *ka, struct kapi_event *ev)
{
	struct qent *q;
	uint64_t v;

	pthread_mutex_lock(&ka->mu);
	if ((q = ka->head) == NULL) {
		pthread_mutex_unlock(&ka->mu);
		return -EAGAIN;
	}
	if ((ka->head = q->next) == NULL)
		ka->tail = NULL;
	/* Empty now: clear the eventfd under the lock, so a push cannot
	 * slip between the check and the read. */
	if (--ka->qlen == 0 && read(ka->efd, &v, sizeof(v)) < 0) {
		/* EAGAIN: already clear. */
	}
	if (ka->qlen + 1 == KAPI_QUEUE_MAX || ka->qlen < KAPI_QUEUE_MAX)
		pthread_cond_signal(&ka->not_full);
	pthread_mutex_unlock(&ka->mu);
	*ev = q->ev;
	free(q);
	return 0;
}

int
kapi_fd(const struct kapi *ka)
{
	return ka->efd;
}

/* ---- the wire format ---------------------------------------------------- */

int
kapi_watch_parse(const char *line, size_t len, struct kapi_watch_event *ev,
    char *err, size_t errlen)
{
	static const char *const types[] = {
		[KAPI_WATCH_ADDED] = "ADDED",
		[KAPI_WATCH_MODIFIED] = "MODIFIED",
		[KAPI_WATCH_DELETED] = "DELETED",
		[KAPI_WATCH_BOOKMARK] = "BOOKMARK",
		[KAPI_WATCH_ERROR] = "ERROR",
	};
	struct json_object *root, *t, *o, *v;
	struct json_tokener *tok;
	const char *ts;
	size_t i;
	int r = -EINVAL;

	memset(ev, 0, sizeof(*ev));
	if ((tok = json_tokener_new()) == NULL)
		return -ENOMEM;
	root = json_tokener_parse_ex(tok, line, (int)len);
	if (root == NULL || json_tokener_get_parse_end(tok) < len) {
		snprintf(err, errlen, "watch event is not one JSON object: %s",
		    json_tokener_error_desc(json_tokener_get_error(tok)));
		goto out;
	}
	if (!json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "type", &t) ||
	    !json_object_is_type(t, json_type_string) ||
	    !json_object_object_get_ex(root, "object", &o) ||
	    !json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "watch event without a type string and "
		    "an object");
		goto out;
	}
	ts = json_object_get_string(t);
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(ts, types[i]) == 0)
			break;
	if (i == sizeof(types) / sizeof(types[0])) {
		snprintf(err, errlen, "unknown watch event type \"%.32s\"", ts);
		goto out;
	}
	ev->type = (enum kapi_watch_type)i;
	if (ev->type == KAPI_WATCH_ERROR && json_object_object_get_ex(o,
	    "code", &v))
		ev->code = json_object_get_int(v);
	if (json_object_object_get_ex(o, "metadata", &v) &&
	    json_object_object_get_ex(v, "resourceVersion", &v) &&
	    json_object_is_type(v, json_type_string))
		snprintf(ev->rv, sizeof(ev->rv), "%s", json_object_get_string(v));
	ev->obj = json_object_get(o);
	r = 0;
out:
	json_object_put(root);
	json_tokener_free(tok);
	return r;
}

/* ---- requests ----------------------------------------------------------- */

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
	struct kapi *ka = kr->ka;
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
		push(ka, KAPI_EV_UPSERT, kr->res->kind, ev.obj, NULL);
		return;
	case KAPI_WATCH_DELETED:
		push(ka, KAPI_EV_DELETE, kr->res->kind, ev.obj, NULL);
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
	struct kapi *ka = kr->ka;
	size_t n = size * nmemb, start, i, max;
	long code = 0;

	curl_easy_getinfo(kr->easy, CURLINFO_RESPONSE_CODE, &code);
	if (stopping(ka))
		return 0;
	if (kr->state == KS_LIST || code != 200) {
		max = code == 200 ? ka->conf.max_response : KAPI_ERRBODY_MAX;
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
	if (buf_append(kr, data, n, ka->conf.max_line) != 0) {
		kr->abort_limit = true;
		kres_fail(kr, "watch event longer than %zu bytes: refused",
		    ka->conf.max_line);
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
	struct kapi *ka = kr->ka;
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
		if (asprintf(&url, "%s%s/%s?limit=%d%s%s", ka->conf.server,
		    prefix, res->resource, ka->conf.page_limit,
		    esc != NULL ? "&continue=" : "", esc != NULL ? esc : "") < 0)
			url = NULL;
		curl_free(esc);
		return url;
	}
	if (asprintf(&url, "%s%s/%s?watch=1&allowWatchBookmarks=true"
	    "&resourceVersion=%s&timeoutSeconds=%d", ka->conf.server, prefix,
	    res->resource, kr->rv, ka->conf.watch_timeout) < 0)
		url = NULL;
	return url;
}

static int
kres_start(struct kres *kr)
{
	struct kapi *ka = kr->ka;
	const struct kapi_conf *c = &ka->conf;
	struct curl_blob blob;
	char *url = NULL, *tok = NULL, *auth = NULL;
	int r = -ENOMEM;

	kr->state = kr->relist || kr->rv[0] == '\0' ? KS_LIST : KS_WATCH;
	kr->len = 0;
	kr->abort_limit = kr->gone = kr->bad_line = false;
	kr->err[0] = '\0';
	kr->started_ms = now_ms();
	curl_slist_free_all(kr->hdrs);
	kr->hdrs = NULL;
	curl_easy_reset(kr->easy);
	if ((url = kres_url(kr)) == NULL)
		goto out;
	kr->hdrs = curl_slist_append(NULL, "Accept: application/json");
	if ((tok = kapi_conf_token(c)) != NULL) {
		if (asprintf(&auth, "Authorization: Bearer %s", tok) < 0) {
			auth = NULL;
			goto out;
		}
		kr->hdrs = curl_slist_append(kr->hdrs, auth);
	}
	if (kr->hdrs == NULL)
		goto out;
	curl_easy_setopt(kr->easy, CURLOPT_URL, url);
	curl_easy_setopt(kr->easy, CURLOPT_HTTPHEADER, kr->hdrs);
	curl_easy_setopt(kr->easy, CURLOPT_USERAGENT, "netpol-recorderd");
	curl_easy_setopt(kr->easy, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(kr->easy, CURLOPT_WRITEDATA, kr);
	curl_easy_setopt(kr->easy, CURLOPT_PRIVATE, kr);
	curl_easy_setopt(kr->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(kr->easy, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(kr->easy, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(kr->easy, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(kr->easy, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(kr->easy, CURLOPT_TIMEOUT, kr->state == KS_LIST ?
	    120L : (long)c->watch_timeout + 60L);
	/* The cluster's CA only: never the system store. */
	curl_easy_setopt(kr->easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(kr->easy, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(kr->easy, CURLOPT_CAPATH, NULL);
	if (c->ca_data != NULL) {
		blob.data = c->ca_data;
		blob.len = strlen(c->ca_data);
		blob.flags = CURL_BLOB_COPY;
		curl_easy_setopt(kr->easy, CURLOPT_CAINFO_BLOB, &blob);
		curl_easy_setopt(kr->easy, CURLOPT_CAINFO, NULL);
	} else if (c->ca_file != NULL)
		curl_easy_setopt(kr->easy, CURLOPT_CAINFO, c->ca_file);
	if (c->cert_data != NULL) {
		blob.data = c->cert_data;
		blob.len = strlen(c->cert_data);
		blob.flags = CURL_BLOB_COPY;
		curl_easy_setopt(kr->easy, CURLOPT_SSLCERT_BLOB, &blob);
	} else if (c->cert_file != NULL)
		curl_easy_setopt(kr->easy, CURLOPT_SSLCERT, c->cert_file);
	if (c->key_data != NULL) {
		blob.data = c->key_data;
		blob.len = strlen(c->key_data);
		blob.flags = CURL_BLOB_COPY;
		curl_easy_setopt(kr->easy, CURLOPT_SSLKEY_BLOB, &blob);
	} else if (c->key_file != NULL)
		curl_easy_setopt(kr->easy, CURLOPT_SSLKEY, c->key_file);
	if (curl_multi_add_handle(ka->multi, kr->easy) != CURLM_OK)
		goto out;
	r = 0;
out:
	free(url);
	free(auth);
	if (tok != NULL) {
		explicit_bzero(tok, strlen(tok));
		free(tok);
	}
	return r;
}

static void
kres_backoff(struct kres *kr)
{
	const struct kapi_conf *c = &kr->ka->conf;

	kr->backoff_ms = kr->backoff_ms == 0 ? c->backoff_min_ms :
	    kr->backoff_ms * 2;
	if (kr->backoff_ms > c->backoff_max_ms)
		kr->backoff_ms = c->backoff_max_ms;
	kr->wake_ms = now_ms() + kr->backoff_ms;
	kr->state = KS_WAIT;
}

static void
kres_retry_now(struct kres *kr)
{
	kr->wake_ms = now_ms();
	kr->state = KS_WAIT;
}

/* The message of a Status body ("pods is forbidden: ..."), if any. */
static void
status_message(struct kres *kr, char *out, size_t len)
{
	struct json_object *o, *m;

	*out = '\0';
	if (kr->len == 0 || (o = json_tokener_parse(kr->buf)) == NULL)
		return;
	if (json_object_object_get_ex(o, "message", &m) &&
	    json_object_is_type(m, json_type_string))
		snprintf(out, len, ": %s", json_object_get_string(m));
	json_object_put(o);
}

static void
list_abort(struct kres *kr)
{
	if (kr->in_sync)
		push(kr->ka, KAPI_EV_SYNC_ABORT, kr->res->kind, NULL, NULL);
	kr->in_sync = false;
	free(kr->cont);
	kr->cont = NULL;
}

/* A 200 list page: queue its items, go on to the next page or watch. */
static void
list_page(struct kres *kr)
{
	struct kapi *ka = kr->ka;
	struct json_object *root = NULL, *items, *meta, *v, *it;
	const char *cont = NULL, *rv = NULL;
	size_t i, n;

	root = json_tokener_parse(kr->buf);
	if (root == NULL || !json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "items", &items) ||
	    !(json_object_is_type(items, json_type_array) ||
	    json_object_is_type(items, json_type_null))) {
		push(ka, KAPI_EV_ERROR, kr->res->kind, NULL, "list %s: the "
		    "response is not a List (truncated or malformed JSON)",
		    kr->res->resource);
		list_abort(kr);
		kres_backoff(kr);
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
		push(ka, KAPI_EV_SYNC_BEGIN, kr->res->kind, NULL, NULL);
		kr->in_sync = true;
	}
	n = json_object_is_type(items, json_type_array) ?
	    json_object_array_length(items) : 0;
	for (i = 0; i < n; i++) {
		/* Detach the item so that the other thread holds the only
		 * reference (json-c refcounts are not atomic). */
		it = json_object_get(json_object_array_get_idx(items, i));
		json_object_array_put_idx(items, i, NULL);
		push(ka, KAPI_EV_UPSERT, kr->res->kind, it, NULL);
	}
	free(kr->cont);
	kr->cont = NULL;
	if (cont != NULL && *cont != '\0') {
		if ((kr->cont = strdup(cont)) == NULL) {
			list_abort(kr);
			kres_backoff(kr);
			goto out;
		}
		kres_retry_now(kr);
		goto out;
	}
	snprintf(kr->rv, sizeof(kr->rv), "%s", rv != NULL ? rv : "");
	push(ka, KAPI_EV_SYNC_END, kr->res->kind, NULL, NULL);
	push(ka, KAPI_EV_INFO, kr->res->kind, NULL, "listed %s at "
	    "resourceVersion %s", kr->res->resource, kr->rv);
	kr->in_sync = false;
	kr->relist = false;
	kr->backoff_ms = 0;
	kres_retry_now(kr);
out:
	json_object_put(root);
}

static void
kres_done(struct kres *kr, CURLcode rc)
{
	struct kapi *ka = kr->ka;
	const char *what = kr->state == KS_LIST ? "list" : "watch";
	char smsg[200];
	long code = 0;

	curl_easy_getinfo(kr->easy, CURLINFO_RESPONSE_CODE, &code);
	curl_multi_remove_handle(ka->multi, kr->easy);
	if (kr->state == KS_WATCH && (kr->gone || code == 410)) {
		push(ka, KAPI_EV_INFO, kr->res->kind, NULL, "watch %s: "
		    "resourceVersion %s is gone (410), relisting",
		    kr->res->resource, kr->rv);
		kr->relist = true;
		/* A server that answers every fresh watch with 410 must not
		 * be relisted in a tight loop. */
		if (now_ms() - kr->started_ms < 1000)
			kres_backoff(kr);
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
		if (now_ms() - kr->started_ms < 1000)
			kres_backoff(kr);
		else {
			kr->backoff_ms = 0;
			kres_retry_now(kr);
		}
		return;
	}
	if (kr->err[0] != '\0')
		push(ka, KAPI_EV_ERROR, kr->res->kind, NULL, "%s %s: %s", what,
		    kr->res->resource, kr->err);
	else if (rc != CURLE_OK)
		push(ka, KAPI_EV_ERROR, kr->res->kind, NULL, "%s %s: %s", what,
		    kr->res->resource, curl_easy_strerror(rc));
	else {
		status_message(kr, smsg, sizeof(smsg));
		push(ka, KAPI_EV_ERROR, kr->res->kind, NULL, "%s %s: HTTP "
		    "%ld%s%s", what, kr->res->resource, code,
		    code == 401 ? " Unauthorized (check the token)" :
		    code == 403 ? " Forbidden (check the ClusterRole)" : "",
		    smsg);
	}
	if (kr->state == KS_LIST)
		list_abort(kr);
	if (kr->state == KS_LIST && rc == CURLE_OK && (code == 403 ||
	    code == 404))
		push(ka, KAPI_EV_UNAVAILABLE, kr->res->kind, NULL, NULL);
	kres_backoff(kr);
}

static void *
worker(void *arg)
{
	struct kapi *ka = arg;
	struct kres *kr;
	CURLMsg *msg;
	int64_t now, wait;
	int running, left;
	size_t i;

	while (!stopping(ka)) {
		now = now_ms();
		wait = 1000;
		for (i = 0; i < ka->nres; i++) {
			kr = &ka->res[i];
			if (kr->state != KS_WAIT)
				continue;
			if (kr->wake_ms <= now) {
				if (kres_start(kr) != 0) {
					push(ka, KAPI_EV_ERROR, kr->res->kind,
					    NULL, "%s: cannot start a request",
					    kr->res->resource);
					kres_backoff(kr);
				}
			} else if (kr->wake_ms - now < wait)
				wait = kr->wake_ms - now;
		}
		curl_multi_perform(ka->multi, &running);
		while ((msg = curl_multi_info_read(ka->multi, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    &kr);
			kres_done(kr, msg->data.result);
		}
		for (i = 0; i < ka->nres; i++)
			if (ka->res[i].state == KS_WAIT &&
			    ka->res[i].wake_ms <= now_ms())
				wait = 0;
		if (wait > 0)
			curl_multi_poll(ka->multi, NULL, 0, (int)wait, NULL);
	}
	return NULL;
}

/* ---- start and stop ----------------------------------------------------- */

static int
conf_copy(struct kapi_conf *dst, const struct kapi_conf *src)
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
		if (s[i] != NULL && (*d[i] = strdup(s[i])) == NULL)
			return -ENOMEM;
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

int
kapi_start(const struct kapi_conf *conf, struct kapi **out)
{
	struct kapi *ka;
	size_t i;
	int r;

	*out = NULL;
	if (conf->server == NULL)
		return -EINVAL;
	pthread_once(&curl_once, curl_init_once);
	if ((ka = calloc(1, sizeof(*ka))) == NULL)
		return -ENOMEM;
	ka->efd = -1;
	pthread_mutex_init(&ka->mu, NULL);
	pthread_cond_init(&ka->not_full, NULL);
	if ((r = conf_copy(&ka->conf, conf)) != 0)
		goto fail;
	if ((ka->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		r = -errno;
		goto fail;
	}
	if ((ka->multi = curl_multi_init()) == NULL) {
		r = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < kapi_nresources && i < KMETA_NKINDS; i++) {
		ka->res[i].ka = ka;
		ka->res[i].res = &kapi_resources[i];
		ka->res[i].state = KS_WAIT;
		ka->res[i].relist = true;
		if ((ka->res[i].easy = curl_easy_init()) == NULL) {
			r = -ENOMEM;
			goto fail;
		}
		ka->nres++;
	}
	if ((r = -pthread_create(&ka->thread, NULL, worker, ka)) != 0)
		goto fail;
	ka->thread_started = true;
	*out = ka;
	return 0;
fail:
	kapi_stop(ka);
	return r;
}

void
kapi_stop(struct kapi *ka)
{
	struct kapi_event ev;
	size_t i;

	if (ka == NULL)
		return;
	pthread_mutex_lock(&ka->mu);
	ka->stop = true;
	pthread_cond_broadcast(&ka->not_full);
	pthread_mutex_unlock(&ka->mu);
	if (ka->thread_started) {
		curl_multi_wakeup(ka->multi);
		pthread_join(ka->thread, NULL);
	}
	for (i = 0; i < ka->nres; i++) {
		struct kres *kr = &ka->res[i];

		if (kr->state != KS_WAIT)
			curl_multi_remove_handle(ka->multi, kr->easy);
		curl_easy_cleanup(kr->easy);
		curl_slist_free_all(kr->hdrs);
		free(kr->buf);
		free(kr->cont);
	}
	if (ka->multi != NULL)
		curl_multi_cleanup(ka->multi);
	while (kapi_next(ka, &ev) == 0)
		json_object_put(ev.obj);
	if (ka->efd >= 0)
		close(ka->efd);
	if (ka->conf.token != NULL)
		explicit_bzero(ka->conf.token, strlen(ka->conf.token));
	kapi_conf_clear(&ka->conf);
	pthread_mutex_destroy(&ka->mu);
	pthread_cond_destroy(&ka->not_full);
	free(ka);
}
