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

#include "recorderd/meta/kmeta.h"
#include "recorderd/kapi_int.h"

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
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void
curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

int64_t
kapi_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the queue ---------------------------------------------------------- */

bool
kapi_stopping(struct kapi *ka)
{
	bool s;

	pthread_mutex_lock(&ka->mu);
	s = ka->stop;
	pthread_mutex_unlock(&ka->mu);
	return s;
}

/* Queue an event (takes obj). Blocks while the queue is full. */
void
kapi_push(struct kapi *ka, enum kapi_event_type type, int kind,
    struct json_object *obj, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

void
kapi_push(struct kapi *ka, enum kapi_event_type type, int kind,
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
	/* Empty now: clear the eventfd under the lock, so a kapi_push cannot
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

static void *
worker(void *arg)
{
	struct kapi *ka = arg;
	struct kres *kr;
	CURLMsg *msg;
	int64_t now, wait;
	int running, left;
	size_t i;

	while (!kapi_stopping(ka)) {
		now = kapi_now_ms();
		wait = 1000;
		for (i = 0; i < ka->nres; i++) {
			kr = &ka->res[i];
			if (kr->state != KS_WAIT)
				continue;
			if (kr->wake_ms <= now) {
				if (kapi_req_start(kr) != 0) {
					kapi_push(ka, KAPI_EV_ERROR, kr->res->kind,
					    NULL, "%s: cannot start a request",
					    kr->res->resource);
					kapi_req_backoff(kr);
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
			kapi_req_done(kr, msg->data.result);
		}
		for (i = 0; i < ka->nres; i++)
			if (ka->res[i].state == KS_WAIT &&
			    ka->res[i].wake_ms <= kapi_now_ms())
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
