/*
 * ctcap: capture raw ctnetlink messages into a file, for the fixtures of
 * the recorder's unit tests (tests/fixtures/ct/) and for debugging.
 *
 *   ctcap [-d] [-l GROUP] [-m MARK] [-n COUNT] [-t SECONDS] FILE
 *
 * Subscribes to conntrack NEW, UPDATE and DESTROY events (with -d: dumps
 * the table instead) in the current network namespace and appends every
 * netlink message, exactly as the kernel sent it, to FILE; messages are
 * self-delimiting (nlmsg_len). With -m only connections whose mark has
 * those bits are kept (the kernel-side filter the daemon uses). With
 * -l it records the packets an nftables "log group GROUP" rule sends
 * (nfnetlink_log) instead, for tests/fixtures/dns/. Stops
 * after COUNT messages or SECONDS seconds (default 10), or on SIGTERM.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include <libmnl/libmnl.h>

#include "recorderd/ctsock.h"

static volatile sig_atomic_t stop;

static void
on_sig(int sig)
{
	(void)sig;
	stop = 1;
}

int
main(int argc, char *argv[])
{
	static char buf[1 << 16];
	struct mnl_socket *nl = NULL;
	unsigned long mark = 0, count = 0, got = 0;
	double secs = 10;
	bool dump = false;
	long group = -1;
	struct timespec t0, t;
	FILE *out;
	int ch, fd;

	while ((ch = getopt(argc, argv, "dl:m:n:t:")) != -1) {
		switch (ch) {
		case 'd':
			dump = true;
			break;
		case 'l':
			group = strtol(optarg, NULL, 0);
			break;
		case 'm':
			mark = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			count = strtoul(optarg, NULL, 0);
			break;
		case 't':
			secs = atof(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (optind + 1 != argc)
		goto usage;
	if ((out = fopen(argv[optind], "ab")) == NULL) {
		perror(argv[optind]);
		return 1;
	}
	signal(SIGTERM, on_sig);
	signal(SIGINT, on_sig);
	if (group > 0) {
		if (ctsock_open_nflog((uint16_t)group, 0xffff, 1 << 22,
		    &nl) < 0) {
			perror("nflog");
			return 1;
		}
	} else if (dump) {
		if (ctsock_dump_start((uint32_t)mark, 1, 1 << 24, &nl) < 0) {
			perror("dump");
			return 1;
		}
	} else {
		if ((nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL ||
		    (mark != 0 && ctsock_set_filter(nl, (uint32_t)mark) < 0) ||
		    mnl_socket_bind(nl, NF_NETLINK_CONNTRACK_NEW |
		    NF_NETLINK_CONNTRACK_UPDATE | NF_NETLINK_CONNTRACK_DESTROY,
		    MNL_SOCKET_AUTOPID) < 0) {
			perror("netlink");
			return 1;
		}
		(void)ctsock_set_rcvbuf(mnl_socket_get_fd(nl), 1 << 24, NULL);
	}
	fd = mnl_socket_get_fd(nl);
	/* Tell a script waiting for us that we are subscribed. */
	fprintf(stderr, "ctcap: ready\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!stop && (count == 0 || got < count)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		const struct nlmsghdr *nlh;
		ssize_t n;
		int left;

		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((double)(t.tv_sec - t0.tv_sec) +
		    (double)(t.tv_nsec - t0.tv_nsec) / 1e9 > secs)
			break;
		if (poll(&p, 1, 100) <= 0)
			continue;
		if ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) <= 0)
			continue;
		left = (int)n;
		for (nlh = (const struct nlmsghdr *)buf;
		    mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			if (nlh->nlmsg_type == NLMSG_DONE) {
				stop = 1;
				break;
			}
			if (nlh->nlmsg_type == NLMSG_ERROR)
				continue;
			fwrite(nlh, 1, nlh->nlmsg_len, out);
			got++;
		}
	}
	fclose(out);
	mnl_socket_close(nl);
	fprintf(stderr, "ctcap: %lu messages\n", got);
	return 0;
usage:
	fprintf(stderr, "usage: ctcap [-d] [-l GROUP] [-m MARK] [-n COUNT] [-t SECONDS] "
	    "FILE\n");
	return 2;
}
