/*
 * kapi_queue: a mutex, a condition for pushers waiting for room, a list,
 * and an eventfd that is readable exactly while the list is not empty.
 */
#include "recorderd/kapi_queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <json-c/json.h>

struct qent {
	struct kapi_event ev;
	struct qent *next;
};

struct kapi_queue {
	pthread_mutex_t mu;
	pthread_cond_t not_full;
	struct qent *head, *tail;
	size_t len, max;
	bool stop;
	int efd;
};

int
kapi_queue_new(size_t max, struct kapi_queue **out)
{
	struct kapi_queue *q;

	*out = NULL;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return -ENOMEM;
	if ((q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		int r = -errno;

		free(q);
		return r;
	}
	q->max = max;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->not_full, NULL);
	*out = q;
	return 0;
}

void
kapi_queue_free(struct kapi_queue *q)
{
	struct kapi_event ev;

	if (q == NULL)
		return;
	while (kapi_queue_next(q, &ev) == 0)
		json_object_put(ev.obj);
	close(q->efd);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->not_full);
	free(q);
}

int
kapi_queue_fd(const struct kapi_queue *q)
{
	return q->efd;
}

void
kapi_queue_push(struct kapi_queue *q, enum kapi_event_type type, int kind,
    struct json_object *obj, const char *fmt, ...)
{
	struct qent *e;
	uint64_t one = 1;
	va_list ap;

	if ((e = calloc(1, sizeof(*e))) == NULL) {
		json_object_put(obj);
		return;
	}
	e->ev.type = type;
	e->ev.kind = kind;
	e->ev.obj = obj;
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(e->ev.msg, sizeof(e->ev.msg), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_lock(&q->mu);
	while (q->len >= q->max && !q->stop)
		pthread_cond_wait(&q->not_full, &q->mu);
	if (q->stop) {
		pthread_mutex_unlock(&q->mu);
		json_object_put(obj);
		free(e);
		return;
	}
	if (q->tail != NULL)
		q->tail->next = e;
	else
		q->head = e;
	q->tail = e;
	if (q->len++ == 0 && write(q->efd, &one, sizeof(one)) < 0) {
		/* eventfd write fails only on counter overflow: ignore. */
	}
	pthread_mutex_unlock(&q->mu);
}

int
kapi_queue_next(struct kapi_queue *q, struct kapi_event *ev)
{
	struct qent *e;
	uint64_t v;

	pthread_mutex_lock(&q->mu);
	if ((e = q->head) == NULL) {
		pthread_mutex_unlock(&q->mu);
		return -EAGAIN;
	}
	if ((q->head = e->next) == NULL)
		q->tail = NULL;
	/* Empty now: clear the eventfd under the lock, so a push cannot
	 * slip between the check and the read. */
	if (--q->len == 0 && read(q->efd, &v, sizeof(v)) < 0) {
		/* EAGAIN: already clear. */
	}
	if (q->len < q->max)
		pthread_cond_signal(&q->not_full);
	pthread_mutex_unlock(&q->mu);
	*ev = e->ev;
	free(e);
	return 0;
}

void
kapi_queue_stop(struct kapi_queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->stop = true;
	pthread_cond_broadcast(&q->not_full);
	pthread_mutex_unlock(&q->mu);
}

bool
kapi_queue_stopped(struct kapi_queue *q)
{
	bool s;

	pthread_mutex_lock(&q->mu);
	s = q->stop;
	pthread_mutex_unlock(&q->mu);
	return s;
}
