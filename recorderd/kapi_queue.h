/*
 * kapi_queue: the API client's events on their way from its worker
 * thread to the daemon's thread. Bounded: a pusher waits while it is full
 * (and so, through TCP, does the API server), so that a 100,000-pod list
 * does not pile up in memory. An eventfd is readable while events wait,
 * so the daemon's event loop never blocks on HTTP.
 */
#ifndef NPR_KAPI_QUEUE_H
#define NPR_KAPI_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

struct json_object;

enum kapi_event_type {
	KAPI_EV_SYNC_BEGIN,	/* a (re)list of kind starts */
	KAPI_EV_UPSERT,		/* obj listed, ADDED or MODIFIED */
	KAPI_EV_DELETE,		/* obj DELETED */
	KAPI_EV_SYNC_END,	/* the list of kind is complete */
	KAPI_EV_SYNC_ABORT,	/* the list of kind failed halfway */
	KAPI_EV_ERROR,		/* msg says what went wrong; will retry */
	KAPI_EV_UNAVAILABLE,	/* kind cannot be listed (403, 404): the
				 * cache will not hold it until a retry
				 * succeeds; sent after the ERROR */
	KAPI_EV_INFO,		/* msg: a state change worth a log line */
};

struct kapi_event {
	enum kapi_event_type type;
	int kind;			/* the resource's tag (its caller's) */
	struct json_object *obj;	/* owned by the receiver, or NULL */
	char msg[256];
};

struct kapi_queue;

/* A queue of at most max events. *out freed with kapi_queue_free().
 * 0, -ENOMEM or the -errno of eventfd. */
int kapi_queue_new(size_t max, struct kapi_queue **out);
/* Frees the events still queued. NULL is fine. */
void kapi_queue_free(struct kapi_queue *q);

/* Readable (POLLIN) while events are queued. */
int kapi_queue_fd(const struct kapi_queue *q);

/* Queue an event (takes obj; fmt may be NULL). Blocks while the queue is
 * full, until it is stopped; after that, events are dropped. */
void kapi_queue_push(struct kapi_queue *q, enum kapi_event_type type,
    int kind, struct json_object *obj, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Take the next event: 0, or -EAGAIN when empty. The caller owns
 * ev->obj (json_object_put). */
int kapi_queue_next(struct kapi_queue *q, struct kapi_event *ev);

/* Wake every pusher and drop what comes later (shutdown). */
void kapi_queue_stop(struct kapi_queue *q);
bool kapi_queue_stopped(struct kapi_queue *q);

#endif
