#include "lib/fdpass.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>

/* Descriptors one datagram may carry; the plugin sends one. */
#define FDPASS_MAX_FDS 16

static int
sun_of(const char *path, struct sockaddr_un *sa)
{
	size_t len;

	if (path == NULL || (len = strlen(path)) == 0)
		return -EINVAL;
	if (len > FDPASS_PATH_MAX)
		return -ENAMETOOLONG;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, len);
	return 0;
}

int
fdpass_send_msg(const char *path, int fd, const void *buf, size_t len,
    int timeout_ms)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct sockaddr_un sa;
	struct timeval tv;
	struct msghdr m;
	struct cmsghdr *cm;
	struct iovec iov;
	int s, ret;

	if (len == 0)
		return -EINVAL;
	if ((ret = sun_of(path, &sa)) < 0)
		return ret;
	if ((s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	iov.iov_base = (void *)(uintptr_t)buf;
	iov.iov_len = len;
	memset(&m, 0, sizeof(m));
	memset(&ctl, 0, sizeof(ctl));
	m.msg_name = &sa;
	m.msg_namelen = sizeof(sa);
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	if (fd >= 0) {
		m.msg_control = ctl.buf;
		m.msg_controllen = sizeof(ctl.buf);
		cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	/* A full queue (the receiver busy for a moment) is waited for up to
	 * timeout_ms: a blocking send with a send timeout. */
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	if (timeout_ms > 0 &&
	    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		timeout_ms = 0;
	ret = sendmsg(s, &m, (timeout_ms > 0 ? 0 : MSG_DONTWAIT) |
	    MSG_NOSIGNAL) < 0 ? -errno : 0;
	if (ret == -EWOULDBLOCK)
		ret = -EAGAIN;
	close(s);
	return ret;
}

int
fdpass_send(const char *path, int fd)
{
	char byte = 0;

	return fdpass_send_msg(path, fd, &byte, 1, 0);
}

/* Is someone receiving on the socket at sa? */
static bool
in_use(const struct sockaddr_un *sa)
{
	int s, ret;

	if ((s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return false;
	ret = connect(s, (const struct sockaddr *)sa, sizeof(*sa));
	close(s);
	return ret == 0;
}

int
fdpass_listen(const char *path)
{
	struct sockaddr_un sa;
	struct stat st;
	int s, ret;

	if ((ret = sun_of(path, &sa)) < 0)
		return ret;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		if (in_use(&sa))
			return -EADDRINUSE;
		if (unlink(path) < 0 && errno != ENOENT)
			return -errno;
	}
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return -errno;
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, 0600) < 0) {
		ret = -errno;
		close(s);
		return ret;
	}
	return s;
}

int
fdpass_recv_msg(int sock, int *fds, int max, void *buf, size_t cap,
    size_t *len)
{
	union {
		char buf[CMSG_SPACE(FDPASS_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct msghdr m;
	struct cmsghdr *cm;
	struct iovec iov;
	ssize_t got;
	int i, n = 0, nfd, fd;

	iov.iov_base = buf;
	iov.iov_len = cap;
	memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl.buf;
	m.msg_controllen = sizeof(ctl.buf);
	/* MSG_TRUNC: the datagram's real length, to tell one that did not
	 * fit. */
	if ((got = recvmsg(sock, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC |
	    MSG_TRUNC)) < 0)
		return -errno;
	*len = (size_t)got;
	for (cm = CMSG_FIRSTHDR(&m); cm != NULL; cm = CMSG_NXTHDR(&m, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (i = 0; i < nfd; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
			    sizeof(int));
			if (n < max)
				fds[n++] = fd;
			else
				close(fd);
		}
	}
	return n;
}

int
fdpass_recv(int sock, int *fds, int max)
{
	char byte;
	size_t len;

	return fdpass_recv_msg(sock, fds, max, &byte, 1, &len);
}
