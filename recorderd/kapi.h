/*
 * kapi: a small Kubernetes API client. List then watch (resourceVersion,
 * bookmarks, relist on 410 Gone, reconnect with backoff) for every
 * resource of the caller's table, on one worker thread driving libcurl's
 * multi interface. Results are handed over as events through a queue
 * (recorderd/kapi_queue.h); kapi_fd() is readable while the queue is not
 * empty, so the daemon's event loop never blocks on HTTP.
 *
 * Nothing here knows the pod model: a resource's kind is the caller's
 * tag, handed back in its events (recorderd/metasrc.c reads the cache's
 * kinds). The configuration (lib/kapi_conf.h) comes from the pod's
 * service account or a kubeconfig; the token file is re-read before every
 * request (tokens are rotated).
 *
 *   kapi.c        start, stop, the worker thread
 *   kapi_req.c    one resource's list/watch state machine
 *   kapi_queue.c  the events to the daemon's thread
 *   kapi_watch.c  one watch line parsed
 *   kapi_conf.c   in-cluster and kubeconfig configuration
 */
#ifndef NPR_KAPI_H
#define NPR_KAPI_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/kapi_conf.h"
#include "recorderd/kapi_queue.h"
#include "recorderd/kapi_watch.h"

/* A resource the client reads and the verbs it uses on it: the caller's
 * table is what a ClusterRole must grant. */
struct kapi_resource {
	int kind;		/* the caller's tag for its events */
	const char *group;	/* "" for the core group */
	const char *version;
	const char *resource;	/* plural */
	const char *verbs[3];	/* NULL-terminated */
};

struct kapi;

/*
 * Start the worker thread for the n resources of res (borrowed: it must
 * outlive the client). conf is copied. Returns 0, -EINVAL (no server),
 * -ENOMEM or the -errno of creating the eventfd or the thread.
 */
int kapi_start(const struct kapi_conf *conf, const struct kapi_resource *res,
    size_t n, struct kapi **out);
/* Stop the thread and free everything queued. NULL is fine. */
void kapi_stop(struct kapi *ka);
/* Readable (POLLIN) while events are queued. */
int kapi_fd(const struct kapi *ka);
/* Take the next event: 0, or -EAGAIN when the queue is empty. The caller
 * owns ev->obj (json_object_put). */
int kapi_next(struct kapi *ka, struct kapi_event *ev);

#endif
