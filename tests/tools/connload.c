/*
 * connload: open many short connections, each a new conntrack entry, at a
 * given rate: the load generator of the recorder's tests and benchmark.
 *
 *   connload [-t] [-n COUNT] [-r RATE] [-s FIRST_SPORT] ADDR PORT
 *
 * UDP (default): one datagram from a fresh source port per connection
 * (source ports FIRST_SPORT, FIRST_SPORT+1, ... so that no two share a
 * tuple). -t: TCP, a non-blocking connect() from a fresh source port that
 * is closed at once (the SYN alone creates the conntrack entry). RATE is
 * connections per second (0: as fast as possible). Prints the number of
 * connections opened on stdout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_storage dst, src;
	socklen_t dlen;
	unsigned long count = 1000, sport = 20000, opened = 0;
	double rate = 0, t0;
	bool tcp = false;
	int ch, fam;

	while ((ch = getopt(argc, argv, "tn:r:s:")) != -1) {
		switch (ch) {
		case 't':
			tcp = true;
			break;
		case 'n':
			count = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			rate = atof(optarg);
			break;
		case 's':
			sport = strtoul(optarg, NULL, 0);
			break;
		default:
			goto usage;
		}
	}
	if (optind + 2 != argc)
		goto usage;
	memset(&dst, 0, sizeof(dst));
	memset(&src, 0, sizeof(src));
	if (inet_pton(AF_INET, argv[optind], &((struct sockaddr_in *)&dst)->sin_addr) == 1) {
		fam = AF_INET;
		((struct sockaddr_in *)&dst)->sin_port = htons((uint16_t)atoi(argv[optind + 1]));
		dlen = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, argv[optind], &((struct sockaddr_in6 *)&dst)->sin6_addr) == 1) {
		fam = AF_INET6;
		((struct sockaddr_in6 *)&dst)->sin6_port = htons((uint16_t)atoi(argv[optind + 1]));
		dlen = sizeof(struct sockaddr_in6);
	} else
		goto usage;
	dst.ss_family = (sa_family_t)fam;
	src.ss_family = (sa_family_t)fam;
	t0 = now();
	for (unsigned long i = 0; i < count; i++) {
		int s, one = 1;
		uint16_t p = (uint16_t)(sport + i % (65535 - sport));

		if (rate > 0) {
			double due = t0 + (double)i / rate;

			while (now() < due)
				;
		}
		if ((s = socket(fam, (tcp ? SOCK_STREAM : SOCK_DGRAM) |
		    SOCK_NONBLOCK, 0)) < 0) {
			perror("socket");
			return 1;
		}
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (fam == AF_INET)
			((struct sockaddr_in *)&src)->sin_port = htons(p);
		else
			((struct sockaddr_in6 *)&src)->sin6_port = htons(p);
		if (bind(s, (struct sockaddr *)&src, dlen) < 0) {
			close(s);
			continue;
		}
		if (tcp) {
			struct linger l = { .l_onoff = 1, .l_linger = 0 };

			if (connect(s, (struct sockaddr *)&dst, dlen) == 0 ||
			    errno == EINPROGRESS)
				opened++;
			/* Close with RST once the SYN is out. */
			setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		} else if (sendto(s, "x", 1, 0, (struct sockaddr *)&dst,
		    dlen) == 1)
			opened++;
		close(s);
	}
	printf("%lu\n", opened);
	return 0;
usage:
	fprintf(stderr, "usage: connload [-t] [-n COUNT] [-r RATE] "
	    "[-s FIRST_SPORT] ADDR PORT\n");
	return 2;
}
