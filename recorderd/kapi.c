/*
 * kapi: list and watch with libcurl's multi interface on a worker thread.
 *
 * One state machine per resource (recorderd/kapi_req.c); every object
 * goes to the daemon's thread through the event queue
 * (recorderd/kapi_queue.c); nothing here touches the cache.
 */
#include "recorderd/kapi.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "lib/clock.h"
#include "recorderd/kapi_req.h"

/* Events waiting beyond this block the worker (and so, through TCP, the
 * API server): a 100,000-pod list must not pile up in memory. */
#define KAPI_QUEUE_MAX 2048

struct kapi {
	struct kapi_conf conf;
	pthread_t thread;
	bool thread_started;
	CURLM *multi;
	struct kres *res;
	size_t nres;
	struct kapi_queue *q;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void
curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
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

	while (!kapi_queue_stopped(ka->q)) {
		now = clock_mono_ms();
		wait = 1000;
		for (i = 0; i < ka->nres; i++) {
			kr = &ka->res[i];
			if (kr->state != KS_WAIT)
				continue;
			if (kr->wake_ms <= now) {
				if (kapi_req_start(kr) != 0) {
					kapi_queue_push(ka->q, KAPI_EV_ERROR,
					    kr->res->kind, NULL, "%s: cannot "
					    "start a request%s%s",
					    kr->res->resource, kr->err[0] ?
					    ": " : "", kr->err);
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
			    ka->res[i].wake_ms <= clock_mono_ms())
				wait = 0;
		if (wait > 0)
			curl_multi_poll(ka->multi, NULL, 0, (int)wait, NULL);
	}
	return NULL;
}

int
kapi_start(const struct kapi_conf *conf, const struct kapi_resource *res,
    size_t n, struct kapi **out)
{
	struct kapi *ka;
	size_t i;
	int r;

	*out = NULL;
	if (conf->server == NULL || n == 0)
		return -EINVAL;
	pthread_once(&curl_once, curl_init_once);
	if ((ka = calloc(1, sizeof(*ka))) == NULL)
		return -ENOMEM;
	if ((r = kapi_conf_copy(&ka->conf, conf)) != 0 ||
	    (r = kapi_queue_new(KAPI_QUEUE_MAX, &ka->q)) != 0)
		goto fail;
	if ((ka->multi = curl_multi_init()) == NULL ||
	    (ka->res = calloc(n, sizeof(*ka->res))) == NULL) {
		r = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < n; i++) {
		if ((r = kapi_req_init(&ka->res[i], &res[i], &ka->conf, ka->q,
		    ka->multi)) != 0) {
			kapi_req_cleanup(&ka->res[i]);
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
	size_t i;

	if (ka == NULL)
		return;
	if (ka->q != NULL)
		kapi_queue_stop(ka->q);
	if (ka->thread_started) {
		curl_multi_wakeup(ka->multi);
		pthread_join(ka->thread, NULL);
	}
	for (i = 0; i < ka->nres; i++)
		kapi_req_cleanup(&ka->res[i]);
	free(ka->res);
	if (ka->multi != NULL)
		curl_multi_cleanup(ka->multi);
	kapi_queue_free(ka->q);
	if (ka->conf.token != NULL)
		explicit_bzero(ka->conf.token, strlen(ka->conf.token));
	kapi_conf_clear(&ka->conf);
	free(ka);
}

int
kapi_fd(const struct kapi *ka)
{
	return kapi_queue_fd(ka->q);
}

int
kapi_next(struct kapi *ka, struct kapi_event *ev)
{
	return kapi_queue_next(ka->q, ev);
}
