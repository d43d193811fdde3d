#include "recorderd/release.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "lib/fdpass.h"
#include "lib/log.h"

struct release {
	char *path;
	int sock;
	int stopfd;			/* eventfd: wakes the thread to end */
	int readyfd;			/* eventfd: attachments wait */
	int quiet_ms;
	pthread_t thread;
	int cap;			/* RELEASE_MAX_HELD, or less under a
					 * low RLIMIT_NOFILE */
	int nheld;
	int *held;
	_Atomic uint64_t received;

	pthread_mutex_t mu;
	/* Under mu. */
	struct attmsg *q;		/* attachments for the loop */
	size_t nq, capq;
	uint64_t dropped;
};

/* Only nftables sockets are held; anything else is closed at once. */
static bool
is_nfnetlink(int fd)
{
	int v;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) < 0 ||
	    v != AF_NETLINK)
		return false;
	len = sizeof(v);
	return getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &len) == 0 &&
	    v == NETLINK_NETFILTER;
}

static void
close_held(struct release *r)
{
	int i;

	if (r->nheld == 0)
		return;
	for (i = 0; i < r->nheld; i++)
		close(r->held[i]);
	log_debug("released %d nftables sockets of the CNI plugin", r->nheld);
	r->nheld = 0;
}

static void
keep(struct release *r, int fd)
{
	if (!is_nfnetlink(fd)) {
		log_debug("%s: closed a descriptor that is no nftables socket",
		    r->path);
		close(fd);
		return;
	}
	if (r->nheld == r->cap)
		close_held(r);
	r->held[r->nheld++] = fd;
	atomic_fetch_add(&r->received, 1);
}

/* An attachment for the loop: queued, and the loop woken. */
static void
queue(struct release *r, const struct attmsg *m)
{
	uint64_t one = 1;

	pthread_mutex_lock(&r->mu);
	if (r->nq == r->capq && r->capq < RELEASE_MAX_QUEUED) {
		size_t ncap = r->capq ? r->capq * 2 : 16;
		struct attmsg *nq = realloc(r->q, ncap * sizeof(*nq));

		if (nq != NULL) {
			r->q = nq;
			r->capq = ncap;
		}
	}
	if (r->nq < r->capq)
		r->q[r->nq++] = *m;
	else
		r->dropped++;
	pthread_mutex_unlock(&r->mu);
	if (write(r->readyfd, &one, sizeof(one)) < 0) {
		/* Only a counter overflow fails: it is readable anyway. */
	}
}

/* What a datagram's bytes say: an attachment, nothing (an older plugin's
 * single byte), or something malformed (counted). */
static void
payload(struct release *r, const void *buf, size_t len, size_t cap)
{
	struct attmsg m;
	int ret;

	if (len > cap)
		ret = -EMSGSIZE;
	else if ((ret = attmsg_parse(buf, len, &m)) == 0) {
		queue(r, &m);
		return;
	}
	if (ret == -ENOMSG)
		return;
	log_debug("%s: a message that is no attachment: %s", r->path,
	    strerror(-ret));
	pthread_mutex_lock(&r->mu);
	r->dropped++;
	pthread_mutex_unlock(&r->mu);
}

static void *
worker(void *arg)
{
	struct release *r = arg;
	struct pollfd pfd[2];
	char buf[ATTMSG_MAX];
	size_t len;
	int fds[4], i, n;

	for (;;) {
		pfd[0].fd = r->sock;
		pfd[1].fd = r->stopfd;
		pfd[0].events = pfd[1].events = POLLIN;
		n = poll(pfd, 2, r->nheld > 0 ? r->quiet_ms : -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_warn("%s: poll", r->path);
			break;
		}
		if (pfd[1].revents & POLLIN)
			break;
		if (n == 0) {		/* quiet: no hand-over for a while */
			close_held(r);
			continue;
		}
		while ((n = fdpass_recv_msg(r->sock, fds, 4, buf, sizeof(buf),
		    &len)) >= 0) {
			payload(r, buf, len, sizeof(buf));
			for (i = 0; i < n; i++)
				keep(r, fds[i]);
		}
		if (n != -EAGAIN && n != -EINTR)
			log_warnx("%s: %s", r->path, strerror(-n));
	}
	close_held(r);
	return NULL;
}

/* /run/netpol-record is not there after a reboot; one level is made. */
static void
make_dir_of(const char *path)
{
	char dir[FDPASS_PATH_MAX + 1], *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		log_debug("mkdir %s: %s", dir, strerror(errno));
}

static void
release_free(struct release *r)
{
	if (r->sock >= 0) {
		close(r->sock);
		(void)unlink(r->path);
	}
	if (r->stopfd >= 0)
		close(r->stopfd);
	if (r->readyfd >= 0)
		close(r->readyfd);
	pthread_mutex_destroy(&r->mu);
	free(r->q);
	free(r->held);
	free(r->path);
	free(r);
}

int
release_start(const char *path, int quiet_ms, struct release **out)
{
	struct release *r;
	struct rlimit rl;
	int ret;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -ENOMEM;
	r->sock = r->stopfd = r->readyfd = -1;
	r->quiet_ms = quiet_ms;
	pthread_mutex_init(&r->mu, NULL);
	/* Leave three quarters of the descriptors to the rest. */
	r->cap = RELEASE_MAX_HELD;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur / 4 < (rlim_t)r->cap)
		r->cap = rl.rlim_cur / 4 > 0 ? (int)(rl.rlim_cur / 4) : 1;
	if ((r->path = strdup(path)) == NULL ||
	    (r->held = calloc((size_t)r->cap, sizeof(int))) == NULL) {
		ret = -ENOMEM;
		goto fail;
	}
	if ((r->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0 ||
	    (r->readyfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		ret = -errno;
		goto fail;
	}
	make_dir_of(path);
	if ((r->sock = fdpass_listen(path)) < 0) {
		ret = r->sock;
		r->sock = -1;
		goto fail;
	}
	if ((ret = -pthread_create(&r->thread, NULL, worker, r)) != 0)
		goto fail;
	*out = r;
	return 0;
fail:
	release_free(r);
	return ret;
}

void
release_stop(struct release *r)
{
	uint64_t one = 1;

	if (r == NULL)
		return;
	/* Adding 1 to a fresh eventfd counter cannot fail; the thread must
	 * be gone before r is freed either way. */
	if (write(r->stopfd, &one, sizeof(one)) != (ssize_t)sizeof(one))
		log_warn("%s: waking the release thread", r->path);
	pthread_join(r->thread, NULL);
	release_free(r);
}

uint64_t
release_received(struct release *r)
{
	return atomic_load(&r->received);
}

int
release_fd(const struct release *r)
{
	return r != NULL ? r->readyfd : -1;
}

size_t
release_take(struct release *r, struct attmsg **out, uint64_t *dropped)
{
	uint64_t v;
	size_t n;

	*out = NULL;
	if (dropped != NULL)
		*dropped = 0;
	if (r == NULL)
		return 0;
	if (read(r->readyfd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing new since the last read. */
	}
	pthread_mutex_lock(&r->mu);
	*out = r->q;
	n = r->nq;
	r->q = NULL;
	r->nq = r->capq = 0;
	if (dropped != NULL)
		*dropped = r->dropped;
	r->dropped = 0;
	pthread_mutex_unlock(&r->mu);
	return n;
}
