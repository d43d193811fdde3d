/*
 * kapi_req: one resource's requests. WAIT (backoff) -> LIST (pages with
 * continue tokens) -> WATCH (from the list's resourceVersion, bookmarks
 * on) -> WATCH again when the server ends it, LIST again on 410 Gone.
 * Each result goes to the event queue. Runs on the API client's worker
 * thread only (recorderd/kapi.c drives it).
 */
#ifndef NPR_KAPI_REQ_H
#define NPR_KAPI_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "recorderd/kapi.h"

enum kres_state { KS_WAIT, KS_LIST, KS_WATCH };

struct kres {
	const struct kapi_resource *res;
	const struct kapi_conf *conf;	/* the client's */
	struct kapi_queue *q;		/* where results go */
	CURLM *multi;			/* the client's */
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

/* Set kr up for res (WAIT, due now, a LIST first). 0 or -ENOMEM. */
int kapi_req_init(struct kres *kr, const struct kapi_resource *res,
    const struct kapi_conf *conf, struct kapi_queue *q, CURLM *multi);
/* Free what kr holds (a transfer in progress is taken off multi). */
void kapi_req_cleanup(struct kres *kr);

/* Start kr's next request (LIST or WATCH) on the multi handle. 0, or
 * -ENOMEM when it could not be started. */
int kapi_req_start(struct kres *kr);
/* The transfer of kr ended with rc: queue its results, decide the next
 * request (and when). */
void kapi_req_done(struct kres *kr, CURLcode rc);
/* Wait before the next request, twice as long as last time (bounded). */
void kapi_req_backoff(struct kres *kr);

#endif
