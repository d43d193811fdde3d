/*
 * connload: open many short connections, each a new conntrack entry, at a
 * given rate: the load generator of the recorder's tests and benchmark.
 *
 *   connload [-t | -R] [-P PROCS] [-n COUNT] [-r RATE] [-s FIRST_SPORT]
 *            ADDR PORT
 *
 * UDP (default): one datagram from a fresh source port per connection
 * (source ports FIRST_SPORT, FIRST_SPORT+1, ... so that no two share a
 * tuple). -t: TCP, a non-blocking connect() from a fresh source port that
 * is closed at once (the SYN alone creates the conntrack entry). -R:
 * IPv4 UDP datagrams built by hand and sent in batches on one raw socket,
 * for rates a socket per flow cannot reach. RATE is connections per
 * second (0: as fast as possible). -P splits COUNT and RATE over PROCS
 * processes with disjoint source ports. Prints the number of connections
 * opened on stdout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define BATCH 64

/* One process's share in raw mode: count datagrams from sport upwards. */
static unsigned long
raw_udp(const struct sockaddr_in *dst, unsigned long count,
    unsigned long sport, double rate)
{
	struct sockaddr_in me;
	socklen_t ml = sizeof(me);
	/* Rows of 32 bytes, 8-aligned: the headers are written in place
	 * (a 29-byte row misaligned them, UBSan said). */
	static unsigned char pkt[BATCH][32] __attribute__((aligned(8)));
	const size_t pktlen = sizeof(struct iphdr) + sizeof(struct udphdr) + 1;
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	unsigned long sent = 0;
	double t0 = now();
	int s, u;

	/* Our own address towards dst: what a connected socket would use. */
	if ((u = socket(AF_INET, SOCK_DGRAM, 0)) < 0 ||
	    connect(u, (const struct sockaddr *)dst, sizeof(*dst)) < 0 ||
	    getsockname(u, (struct sockaddr *)&me, &ml) < 0) {
		perror("source address");
		return 0;
	}
	close(u);
	if ((s = socket(AF_INET, SOCK_RAW, IPPROTO_RAW)) < 0) {
		perror("raw socket");
		return 0;
	}
	memset(pkt, 0, sizeof(pkt));
	memset(mm, 0, sizeof(mm));
	for (int i = 0; i < BATCH; i++) {
		struct iphdr *ip = (struct iphdr *)pkt[i];
		struct udphdr *uh = (struct udphdr *)(ip + 1);

		ip->version = 4;
		ip->ihl = 5;
		ip->ttl = 64;
		ip->protocol = IPPROTO_UDP;
		ip->saddr = me.sin_addr.s_addr;
		ip->daddr = dst->sin_addr.s_addr;
		uh->dest = dst->sin_port;
		uh->len = htons(sizeof(*uh) + 1);
		iov[i].iov_base = pkt[i];
		iov[i].iov_len = pktlen;
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		mm[i].msg_hdr.msg_name = (void *)dst;
		mm[i].msg_hdr.msg_namelen = sizeof(*dst);
	}
	while (sent < count) {
		int n = count - sent < BATCH ? (int)(count - sent) : BATCH, r;

		if (rate > 0) {
			double due = t0 + (double)sent / rate;

			while (now() < due)
				;
		}
		for (int i = 0; i < n; i++) {
			struct udphdr *uh = (struct udphdr *)(pkt[i] +
			    sizeof(struct iphdr));
			unsigned long k = sport + sent + (unsigned long)i;

			/* A fresh source port for every datagram, and the
			 * next destination port every 64,000 of them, so
			 * that every datagram is a new conntrack entry. */
			uh->source = htons((uint16_t)(1024 + k % 64000));
			uh->dest = htons((uint16_t)(ntohs(dst->sin_port) +
			    k / 64000));
		}
		if ((r = sendmmsg(s, mm, (unsigned)n, 0)) < 0) {
			if (errno == ENOBUFS || errno == EAGAIN)
				continue;
			perror("sendmmsg");
			break;
		}
		sent += (unsigned long)r;
	}
	close(s);
	return sent;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_storage dst, src;
	socklen_t dlen;
	unsigned long count = 1000, sport = 20000, opened = 0;
	double rate = 0, t0;
	bool tcp = false, raw = false;
	int ch, fam, procs = 1;

	while ((ch = getopt(argc, argv, "tRP:n:r:s:")) != -1) {
		switch (ch) {
		case 't':
			tcp = true;
			break;
		case 'R':
			raw = true;
			break;
		case 'P':
			procs = atoi(optarg);
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
	if (procs > 1) {
		/* Children report through a pipe; the parent sums. */
		int pfd[2];
		unsigned long total = 0, part;

		if (procs > 64 || pipe(pfd) < 0)
			goto usage;
		for (int p = 0; p < procs; p++) {
			if (fork() == 0) {
				close(pfd[0]);
				if (dup2(pfd[1], 1) < 0)
					_exit(1);
				count = count / (unsigned long)procs;
				sport += (unsigned long)p * count;
				rate = rate / procs;
				procs = 1;
				goto run;
			}
		}
		close(pfd[1]);
		{
			FILE *f = fdopen(pfd[0], "r");

			while (f != NULL && fscanf(f, "%lu", &part) == 1)
				total += part;
		}
		while (wait(NULL) > 0)
			;
		printf("%lu\n", total);
		return 0;
	}
run:
	if (raw) {
		if (fam != AF_INET)
			goto usage;
		printf("%lu\n", raw_udp((struct sockaddr_in *)&dst, count,
		    sport, rate));
		return 0;
	}
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
	fprintf(stderr, "usage: connload [-t | -R] [-P PROCS] [-n COUNT] "
	    "[-r RATE] [-s FIRST_SPORT] ADDR PORT\n");
	return 2;
}
