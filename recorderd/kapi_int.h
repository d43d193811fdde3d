/*
 * kapi_int: what kapi.c (queue, worker thread, start and stop) and
 * kapi_req.c (one resource's list/watch state machine) share. Private to
 * recorderd/kapi*.c.
 */
#ifndef NPR_KAPI_INT_H
#define NPR_KAPI_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <curl/curl.h>

#include "recorderd/meta/kmeta.h"
#include "recorderd/kapi.h"

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

int64_t kapi_now_ms(void);
/* Has kapi_stop() been called? */
bool kapi_stopping(struct kapi *ka);
/* Queue an event (takes obj). Blocks while the queue is full. */
void kapi_push(struct kapi *ka, enum kapi_event_type type, int kind,
    struct json_object *obj, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* kapi_req.c: start kr's next request (LIST or WATCH) on the multi
 * handle; handle its end; wait before the next one. */
int kapi_req_start(struct kres *kr);
void kapi_req_done(struct kres *kr, CURLcode rc);
void kapi_req_backoff(struct kres *kr);

#endif
