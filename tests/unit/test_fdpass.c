/*
 * fdpass: a descriptor sent over the socket arrives as the same open file;
 * listen refuses what it must not replace and replaces a stale socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "tests/unit/ut_store.h"
#include "lib/fdpass.h"

static char dir[64], path[128];

static int
setup(void **state)
{
	(void)state;
	if (ut_store_mkdtemp(dir, sizeof(dir), "test_fdpass") < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/release.sock", dir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return ut_store_rmtree(dir) < 0 ? -1 : 0;
}

static void
test_send_receive(void **state)
{
	struct stat a, b;
	char buf[8];
	int s, p[2], fds[4], n;

	(void)state;
	/* Nobody listening: the sender is told so and may fall back. */
	assert_int_equal(fdpass_send(path, 0), -ENOENT);

	s = fdpass_listen(path);
	assert_true(s >= 0);
	assert_int_equal(fdpass_recv(s, fds, 4), -EAGAIN);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(fdpass_send(path, p[0]), 0);
	close(p[0]);
	n = fdpass_recv(s, fds, 4);
	assert_int_equal(n, 1);
	/* The same open file: what is written to the pipe is read there. */
	assert_int_equal(fstat(fds[0], &a), 0);
	assert_int_equal(fstat(p[1], &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	assert_int_equal(write(p[1], "hi", 2), 2);
	assert_int_equal(read(fds[0], buf, sizeof(buf)), 2);
	assert_true(fcntl(fds[0], F_GETFD) & FD_CLOEXEC);
	close(fds[0]);
	close(p[1]);

	/* The socket file is for root only. */
	assert_int_equal(stat(path, &a), 0);
	assert_int_equal(a.st_mode & 0777, 0600);

	/* A second receiver on a live path is refused. */
	assert_int_equal(fdpass_listen(path), -EADDRINUSE);
	close(s);
	/* The first one is gone: its socket file is replaced. */
	s = fdpass_listen(path);
	assert_true(s >= 0);
	close(s);
	/* With nobody bound any more, sending is refused, not queued. */
	assert_int_equal(fdpass_send(path, 1), -ECONNREFUSED);
}

static void
test_bad_paths(void **state)
{
	char longp[FDPASS_PATH_MAX + 2];
	int fd;

	(void)state;
	/* A file that is not a socket is never removed. */
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(fdpass_listen(path), -EEXIST);
	assert_int_equal(access(path, F_OK), 0);
	unlink(path);

	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	assert_int_equal(fdpass_listen(longp), -ENAMETOOLONG);
	assert_int_equal(fdpass_send(longp, 0), -ENAMETOOLONG);
	assert_int_equal(fdpass_send("", 0), -EINVAL);
	assert_int_equal(fdpass_listen("/nonexistent-dir/x.sock"), -ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_send_receive, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_paths, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
