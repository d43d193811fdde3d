/*
 * writer: a thread, a store connection, one batch and one pod request at
 * a time. Everything the event loop sees is behind one mutex held only
 * to swap pointers and flags.
 */
#include "recorderd/writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/store.h"
#include "recorderd/vec.h"

struct writer {
	struct store *st;
	struct batch_ids *ids;
	bool threaded;
	pthread_t th;
	bool started;
	int efd;

	pthread_mutex_t mu;
	pthread_cond_t cv;		/* work for the thread, or done */
	/* Under mu. */
	struct batch *todo;		/* being written, or waiting to */
	struct batch *done;		/* written, for the loop */
	bool counted_busy;		/* todo's store_busy is counted */
	int64_t retry_at;		/* ms, monotonic */
	bool want_pods, force_pods;
	struct pods *pods;		/* read, for the loop */
	bool have_err;
	int err;
	char errmsg[256];
	bool stop;
	struct vec ops;			/* struct writer_att, to write */
	int64_t ops_retry_at;		/* ms, monotonic */
	size_t nwriting;		/* ops being written by the thread */

	/* The thread's own. */
	int64_t version;		/* store_data_version at the last read */
	bool have_version;
};

/* Under mu: tell the loop a result waits. */
static void
notify(struct writer *w)
{
	uint64_t one = 1;

	if (w->efd >= 0 && write(w->efd, &one, sizeof(one)) < 0) {
		/* Only a counter overflow fails: it is readable anyway. */
	}
}

/*
 * Read the pods unless nothing changed. Our own commits move the store's
 * data version too: write_one() notes them when nobody else wrote
 * between our last read and our write, so they alone cause no reread.
 */
static struct pods *
load_pods(struct writer *w, bool force)
{
	struct pods *p = NULL;
	int64_t v;

	if (store_data_version(w->st, &v) < 0)
		return NULL;
	if (!force && w->have_version && v == w->version)
		return NULL;
	if (pods_load(w->st, &p) < 0)
		return NULL;	/* asked again at the next tick */
	w->version = v;
	w->have_version = true;
	return p;
}

static void
write_one(struct writer *w, struct batch *b)
{
	const char *msg;
	int64_t v;
	bool fresh;
	int ret;

	fresh = w->have_version && store_data_version(w->st, &v) == 0 &&
	    v == w->version;
	ret = batch_write(b, w->st, w->ids);
	msg = batch_error(b);
	if (ret == 0 && fresh && store_data_version(w->st, &v) == 0)
		w->version = v;
	pthread_mutex_lock(&w->mu);
	if (ret == 0) {
		w->todo = NULL;
		w->done = b;
		pthread_cond_broadcast(&w->cv);
	} else {
		/* Another process holds the lock: the attempt waited
		 * WRITER_BUSY_MS already, try again at once. Anything else
		 * (a full disk) is retried a little later. */
		if (ret == -EBUSY && !w->counted_busy) {
			batch_counts(b)->store_busy++;
			w->counted_busy = true;
		}
		w->retry_at = clock_mono_ms() + (ret == -EBUSY ? 0 : WRITER_RETRY_MS);
		w->have_err = true;
		w->err = ret;
		snprintf(w->errmsg, sizeof(w->errmsg), "%s", msg);
	}
	notify(w);
	pthread_mutex_unlock(&w->mu);
}

static int
write_att(struct store *st, struct writer_att *o)
{
	struct store_attachment cur;
	int ret;

	switch (o->op) {
	case WRITER_ATT_PUT_NEW:
		ret = store_attachment_get(st, o->att.container_id,
		    o->att.ifname, &cur);
		if (ret == 0 && cur.detached_at == 0)
			return 0;
		if (ret < 0 && ret != -ENOENT)
			return ret;
		/* FALLTHROUGH */
	case WRITER_ATT_PUT:
		return store_attachment_put(st, &o->att, o->time);
	default:
		ret = store_attachment_detach(st, o->att.container_id,
		    o->att.ifname, o->time);
		return ret == -ENOENT || ret == -EALREADY ? 0 : ret;
	}
}

/*
 * The attachment changes queued, in one transaction; on failure they go
 * back in front of what was queued meanwhile, for the next attempt.
 */
static void
write_ops(struct writer *w)
{
	struct vec doing;
	const char *msg = "";
	int ret;

	pthread_mutex_lock(&w->mu);
	doing = w->ops;
	memset(&w->ops, 0, sizeof(w->ops));
	w->nwriting = doing.n;
	pthread_mutex_unlock(&w->mu);
	if ((ret = store_begin(w->st)) == 0) {
		struct writer_att *o = doing.v;

		for (size_t i = 0; i < doing.n && ret == 0; i++)
			ret = write_att(w->st, &o[i]);
		if (ret == 0)
			ret = store_commit(w->st);
		if (ret < 0) {
			msg = store_errmsg(w->st);
			store_rollback(w->st);
		}
	} else
		msg = store_errmsg(w->st);
	pthread_mutex_lock(&w->mu);
	w->nwriting = 0;
	if (ret == 0) {
		/* The loop attributes them already; the next read of the
		 * pods (the store changed: the loop's next tick asks) brings
		 * their store ids. Not at once: in a burst of pod starts a
		 * read per write would be most of the writer's work. */
		vec_free(&doing);
	} else {
		for (size_t i = 0; i < w->ops.n; i++) {
			struct writer_att *o = vec_push(&doing, sizeof(*o));

			if (o != NULL)
				*o = ((struct writer_att *)w->ops.v)[i];
		}
		vec_free(&w->ops);
		w->ops = doing;
		w->ops_retry_at = clock_mono_ms() +
		    (ret == -EBUSY ? 0 : WRITER_RETRY_MS);
		w->have_err = true;
		w->err = ret;
		snprintf(w->errmsg, sizeof(w->errmsg), "attachments: %s", msg);
		notify(w);
	}
	pthread_mutex_unlock(&w->mu);
}

/* One job if there is one: the attachments (the pods read after them
 * must see them), the pod read (it is quick and events wait for it),
 * then the batch when its retry time came. */
static bool
work_once(struct writer *w)
{
	struct batch *b = NULL;
	struct pods *p;
	bool force, did = false;

	pthread_mutex_lock(&w->mu);
	if (w->ops.n > 0 && clock_mono_ms() >= w->ops_retry_at) {
		pthread_mutex_unlock(&w->mu);
		write_ops(w);
		pthread_mutex_lock(&w->mu);
		did = true;
	}
	if (w->want_pods) {
		force = w->force_pods;
		w->want_pods = w->force_pods = false;
		pthread_mutex_unlock(&w->mu);
		p = load_pods(w, force);
		pthread_mutex_lock(&w->mu);
		if (p != NULL) {
			pods_free(w->pods);
			w->pods = p;
			notify(w);
		}
		did = true;
	}
	if (w->todo != NULL && clock_mono_ms() >= w->retry_at)
		b = w->todo;
	pthread_mutex_unlock(&w->mu);
	if (b != NULL) {
		write_one(w, b);
		did = true;
	}
	return did;
}

static void *
thread_main(void *arg)
{
	struct writer *w = arg;
	struct timespec ts;
	int64_t wait;

	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		int64_t next = INT64_MAX;

		if (w->todo != NULL)
			next = w->retry_at;
		if (w->ops.n > 0 && w->ops_retry_at < next)
			next = w->ops_retry_at;
		if (w->want_pods || next <= clock_mono_ms()) {
			pthread_mutex_unlock(&w->mu);
			(void)work_once(w);
			pthread_mutex_lock(&w->mu);
			continue;
		}
		if (next == INT64_MAX) {
			pthread_cond_wait(&w->cv, &w->mu);
			continue;
		}
		wait = next - clock_mono_ms();
		clock_after_ms(&ts, wait);
		(void)pthread_cond_timedwait(&w->cv, &w->mu, &ts);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int
writer_start(const char *path, bool threaded, struct writer **out)
{
	struct writer *w;
	int ret;

	*out = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -ENOMEM;
	w->efd = -1;
	w->threaded = threaded;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if ((ret = store_open(path, 0, &w->st)) < 0 ||
	    (ret = store_set_busy_timeout(w->st, WRITER_BUSY_MS)) < 0 ||
	    (ret = batch_ids_new(&w->ids)) < 0)
		goto fail;
	if (threaded) {
		if ((w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
			ret = -errno;
			goto fail;
		}
		if ((ret = -pthread_create(&w->th, NULL, thread_main, w)) < 0)
			goto fail;
		w->started = true;
	}
	*out = w;
	return 0;
fail:
	(void)writer_stop(w, 0, NULL);
	return ret;
}

int
writer_drain(struct writer *w, int timeout_ms)
{
	int64_t end = clock_mono_ms() + timeout_ms;
	struct timespec ts;
	int ret = 0;

	if (!w->threaded) {
		while ((w->todo != NULL || w->ops.n > 0) && clock_mono_ms() < end) {
			w->retry_at = w->ops_retry_at = 0;
			(void)work_once(w);
		}
		return w->todo == NULL && w->ops.n == 0 ? 0 : -ETIMEDOUT;
	}
	pthread_mutex_lock(&w->mu);
	while ((w->todo != NULL || w->ops.n > 0 || w->nwriting > 0) &&
	    clock_mono_ms() < end) {
		/* A short wait at a time: the retry time may pass. */
		clock_after_ms(&ts, 50);
		(void)pthread_cond_timedwait(&w->cv, &w->mu, &ts);
	}
	if (w->todo != NULL || w->ops.n > 0 || w->nwriting > 0)
		ret = -ETIMEDOUT;
	pthread_mutex_unlock(&w->mu);
	return ret;
}

int
writer_stop(struct writer *w, int timeout_ms, size_t *lost)
{
	int ret = 0;
	size_t n = 0;

	if (lost != NULL)
		*lost = 0;
	if (w == NULL)
		return 0;
	if (w->st != NULL && writer_busy(w))
		ret = writer_drain(w, timeout_ms);
	if (w->started) {
		pthread_mutex_lock(&w->mu);
		w->stop = true;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->th, NULL);
	}
	if (w->todo != NULL) {
		(void)agg_flows(batch_agg(w->todo), &n);
		if (ret == 0)
			ret = -EIO;
	}
	if (lost != NULL)
		*lost = n;
	if (w->ops.n > 0)
		ret = ret == 0 ? -EIO : ret;
	vec_free(&w->ops);
	batch_free(w->todo);
	batch_free(w->done);
	pods_free(w->pods);
	batch_ids_free(w->ids);
	store_close(w->st);
	if (w->efd >= 0)
		close(w->efd);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
	return ret;
}

int
writer_fd(const struct writer *w)
{
	return w->efd;
}

/* Under mu, or inline: wake the thread, or do the work at once. */
static void
kick(struct writer *w)
{
	if (w->threaded)
		pthread_cond_broadcast(&w->cv);
}

int
writer_submit(struct writer *w, struct batch *b)
{
	pthread_mutex_lock(&w->mu);
	if (w->todo != NULL || w->done != NULL) {
		pthread_mutex_unlock(&w->mu);
		return -EBUSY;
	}
	w->todo = b;
	w->counted_busy = false;
	w->retry_at = 0;
	kick(w);
	pthread_mutex_unlock(&w->mu);
	if (!w->threaded)
		(void)work_once(w);
	return 0;
}

struct batch *
writer_done(struct writer *w)
{
	struct batch *b;

	pthread_mutex_lock(&w->mu);
	b = w->done;
	w->done = NULL;
	pthread_mutex_unlock(&w->mu);
	return b;
}

bool
writer_busy(struct writer *w)
{
	bool b;

	pthread_mutex_lock(&w->mu);
	b = w->todo != NULL || w->ops.n > 0 || w->nwriting > 0;
	pthread_mutex_unlock(&w->mu);
	return b;
}

void
writer_request_pods(struct writer *w, bool force)
{
	pthread_mutex_lock(&w->mu);
	w->want_pods = true;
	w->force_pods = w->force_pods || force;
	kick(w);
	pthread_mutex_unlock(&w->mu);
	if (!w->threaded)
		(void)work_once(w);
}

struct pods *
writer_take_pods(struct writer *w)
{
	struct pods *p;

	pthread_mutex_lock(&w->mu);
	p = w->pods;
	w->pods = NULL;
	pthread_mutex_unlock(&w->mu);
	return p;
}

int
writer_take_error(struct writer *w, int *err, char *msg, size_t len)
{
	int ret = 0;

	pthread_mutex_lock(&w->mu);
	if (w->have_err) {
		*err = w->err;
		snprintf(msg, len, "%s", w->errmsg);
		w->have_err = false;
		ret = 1;
	}
	pthread_mutex_unlock(&w->mu);
	return ret;
}

void
writer_retry(struct writer *w)
{
	pthread_mutex_lock(&w->mu);
	w->retry_at = 0;
	kick(w);
	pthread_mutex_unlock(&w->mu);
	if (!w->threaded)
		(void)work_once(w);
}

int
writer_attach(struct writer *w, const struct writer_att *ops, size_t n)
{
	size_t n0;

	pthread_mutex_lock(&w->mu);
	n0 = w->ops.n;
	for (size_t i = 0; i < n; i++) {
		struct writer_att *o = vec_push(&w->ops, sizeof(*o));

		if (o == NULL) {
			w->ops.n = n0;
			pthread_mutex_unlock(&w->mu);
			return -ENOMEM;
		}
		*o = ops[i];
	}
	w->ops_retry_at = 0;
	kick(w);
	pthread_mutex_unlock(&w->mu);
	if (!w->threaded)
		(void)work_once(w);
	return 0;
}

size_t
writer_attach_pending(struct writer *w)
{
	size_t n;

	pthread_mutex_lock(&w->mu);
	n = w->ops.n + w->nwriting;
	pthread_mutex_unlock(&w->mu);
	return n;
}
