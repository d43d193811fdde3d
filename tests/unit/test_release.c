/*
 * release: the daemon holds the nftables sockets handed over, closes them
 * once hand-overs pause (or when it holds RELEASE_MAX_HELD), closes
 * anything else at once, and leaves nothing behind when stopped.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "tests/unit/ut_store.h"
#include "lib/attmsg.h"
#include "lib/fdpass.h"
#include "lib/log.h"
#include "recorderd/release.h"

static char dir[64], path[128];

static int
setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	log_init("test_release", LOG_LVL_WARN);
	if (ut_store_mkdtemp(dir, sizeof(dir), "test_release") < 0)
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

/* Open descriptors of this process. */
static int
nfds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;		/* the directory's own */
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Hand over a new nftables socket, retrying while the queue is full. */
static void
hand_over(void)
{
	int fd, ret, tries;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	assert_true(fd >= 0);
	for (tries = 0; tries < 1000; tries++) {
		if ((ret = fdpass_send(path, fd)) != -EAGAIN)
			break;
		sleep_ms(1);
	}
	assert_int_equal(ret, 0);
	close(fd);
}

/* Wait (bounded) until cond(arg) holds; false when it never did. */
static bool
wait_for(bool (*cond)(struct release *, int), struct release *r, int arg)
{
	int i;

	for (i = 0; i < 300; i++) {
		if (cond(r, arg))
			return true;
		sleep_ms(10);
	}
	return false;
}

static bool
received_is(struct release *r, int n)
{
	return release_received(r) == (uint64_t)n;
}

static bool
fds_are(struct release *r, int n)
{
	(void)r;
	return nfds() == n;
}

static void
test_held_then_closed(void **state)
{
	struct release *r;
	int base;

	(void)state;
	/* A pause the test never reaches: they stay held. */
	assert_int_equal(release_start(path, 60000, &r), 0);
	assert_int_equal(access(path, F_OK), 0);
	base = nfds();
	hand_over();
	hand_over();
	assert_true(wait_for(received_is, r, 2));
	assert_int_equal(nfds(), base + 2);
	/* Stopping closes them and removes the socket file. */
	release_stop(r);
	assert_int_equal(nfds(), base - 3);	/* its socket and eventfds */
	assert_int_equal(access(path, F_OK), -1);

	/* Hand-overs pause: they are closed, nothing else is. */
	assert_int_equal(release_start(path, 20, &r), 0);
	base = nfds();
	hand_over();
	hand_over();
	assert_true(wait_for(received_is, r, 2));
	assert_true(wait_for(fds_are, r, base));
	release_stop(r);
}

static void
test_other_descriptors_closed_at_once(void **state)
{
	struct release *r;
	int p[2], i;

	(void)state;
	assert_int_equal(release_start(path, 60000, &r), 0);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(fdpass_send(path, p[0]), 0);
	close(p[0]);
	/* The receiver's copy was the last read end: writing fails once it
	 * is closed. */
	for (i = 0; i < 300; i++) {
		if (write(p[1], "x", 1) < 0)
			break;
		sleep_ms(10);
	}
	assert_int_equal(errno, EPIPE);
	assert_int_equal(release_received(r), 0);
	close(p[1]);
	release_stop(r);
}

static void
test_cap_and_stop(void **state)
{
	struct release *r;
	int base, i, n = RELEASE_MAX_HELD + 40;

	(void)state;
	assert_int_equal(release_start(path, 60000, &r), 0);
	base = nfds();
	for (i = 0; i < n; i++)
		hand_over();
	assert_true(wait_for(received_is, r, n));
	/* Never more than the cap held: at the cap, all were closed. */
	assert_int_equal(nfds() - base, n - RELEASE_MAX_HELD);
	release_stop(r);
	assert_int_equal(nfds(), base - 3);
	release_stop(NULL);
}

static bool
queued(struct release *r, int n)
{
	struct pollfd p = { .fd = release_fd(r), .events = POLLIN };

	(void)n;
	return poll(&p, 1, 0) == 1;
}

/*
 * The plugin's attachment comes with its socket: queued for the loop in
 * the order sent (its eventfd turns readable), the socket held as ever;
 * an older plugin's single byte is no attachment; a malformed one is
 * counted, never queued.
 */
static void
test_attachments_queued(void **state)
{
	struct attmsg m, *got = NULL;
	struct release *r;
	char buf[ATTMSG_MAX];
	uint64_t dropped;
	int fd, len;

	(void)state;
	assert_int_equal(release_start(path, 60000, &r), 0);
	assert_int_equal(release_take(r, &got, &dropped), 0);
	assert_null(got);
	memset(&m, 0, sizeof(m));
	m.op = ATTMSG_ADD;
	m.time = 1700000000;
	snprintf(m.att.container_id, sizeof(m.att.container_id), "c1");
	snprintf(m.att.ifname, sizeof(m.att.ifname), "eth0");
	addr_parse("198.18.1.5", &m.att.addrs[0].addr);
	m.att.addrs[0].prefix = 24;
	m.att.naddrs = 1;
	len = attmsg_build(&m, buf, sizeof(buf));
	assert_true(len > 0);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	assert_true(fd >= 0);
	assert_int_equal(fdpass_send_msg(path, fd, buf, (size_t)len, 100), 0);
	m.op = ATTMSG_DEL;
	len = attmsg_build(&m, buf, sizeof(buf));
	assert_int_equal(fdpass_send_msg(path, -1, buf, (size_t)len, 100), 0);
	hand_over();					/* one zero byte */
	assert_int_equal(fdpass_send_msg(path, -1, "NPRA\1\1", 6, 100), 0);
	close(fd);
	assert_true(wait_for(received_is, r, 2));
	assert_true(wait_for(queued, r, 0));
	sleep_ms(50);		/* the malformed one, after the others */
	assert_int_equal(release_take(r, &got, &dropped), 2);
	assert_int_equal(got[0].op, ATTMSG_ADD);
	assert_string_equal(got[0].att.container_id, "c1");
	assert_int_equal(got[0].att.naddrs, 1);
	assert_int_equal(got[1].op, ATTMSG_DEL);
	assert_int_equal(dropped, 1);
	free(got);
	assert_false(queued(r, 0));
	release_stop(r);
}

static void
test_refuses_live_path(void **state)
{
	struct release *a, *b = NULL;

	(void)state;
	assert_int_equal(release_start(path, 100, &a), 0);
	assert_int_equal(release_start(path, 100, &b), -EADDRINUSE);
	assert_null(b);
	release_stop(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_held_then_closed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_other_descriptors_closed_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_and_stop, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_attachments_queued, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refuses_live_path, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
