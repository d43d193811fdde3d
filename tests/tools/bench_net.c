/*
 * bench_net: traffic for `make bench` (tests/bench/), run inside pod netns.
 *
 *   bench_net tcp-server -p PORT [-P PROCS]
 *       accept and close at once (the server closes first, so TIME_WAIT
 *       stays on the server and the client never runs out of ports);
 *       PROCS processes share the port with SO_REUSEPORT. Runs until
 *       killed.
 *   bench_net tcp-rate -c ADDR -p PORT [-t SECS] [-n MAX] [-P PROCS]
 *       [-r RATE]
 *       short TCP connections: connect, read to EOF, close; PROCS
 *       processes; bounded by MAX connections in all and SECS seconds;
 *       RATE (connections/s in all, 0 = as fast as possible).
 *   bench_net udp-flows -c ADDR [-t SECS] [-n MAX] [-r RATE] [-o OFFSET]
 *       [-p DPORT_BASE] [-D DPORTS] [-P PROCS]
 *       one UDP datagram per new flow, from a raw socket so that every
 *       datagram has a fresh (source port, destination port) pair:
 *       flow i = OFFSET + k goes to port DPORT_BASE + i % DPORTS from port
 *       1024 + (i / DPORTS) % 64512; DPORTS is the number of distinct
 *       flows a recorder aggregates into. RATE datagrams/s in all (0 =
 *       max); PROCS processes share the flows (process p sends flows
 *       OFFSET + p, OFFSET + p + PROCS, ...). next_offset in the output is
 *       where a following run starts with fresh flows.
 *
 *   bench_net udp-peers -c ADDR[,ADDR...] [-p DPORT] [-i PERIOD] [-t SECS]
 *       steady traffic to peers: every PERIOD seconds (default 30) one
 *       UDP datagram to each ADDR:DPORT (default 20000) from a socket of
 *       its own (a fresh source port: a new connection each time), the
 *       datagrams of a round spread evenly over it, for SECS seconds.
 *
 * Clients print one line: "sent=<n> errors=<n> secs=<s> rate=<n/s>".
 * Only for addresses inside the test's own namespaces.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PROCS 64
#define BATCH 64

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
pace(double t0, long done, double rate)
{
	double due;

	if (rate <= 0)
		return;
	due = t0 + (double)done / rate;
	for (;;) {
		double d = due - now_s();
		struct timespec ts;

		if (d <= 0)
			return;
		ts.tv_sec = (time_t)d;
		ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_net tcp-server -p PORT [-P PROCS]\n"
	    "       bench_net tcp-rate -c ADDR -p PORT [-t SECS] [-n MAX] "
	    "[-P PROCS] [-r RATE]\n"
	    "       bench_net udp-flows -c ADDR [-t SECS] [-n MAX] [-r RATE] "
	    "[-o OFFSET] [-p DPORT_BASE] [-D DPORTS] [-P PROCS]\n"
	    "       bench_net udp-peers -c ADDR[,ADDR...] [-p DPORT] "
	    "[-i PERIOD] [-t SECS]\n");
	exit(1);
}

static int
tcp_server(int port, int procs)
{
	struct sockaddr_in6 sa;
	int i, one = 1;

	for (i = 0; i < procs; i++) {
		pid_t pid = procs == 1 ? 0 : fork();
		int s, c;

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid > 0)
			continue;
		if ((s = socket(AF_INET6, SOCK_STREAM, 0)) < 0) {
			perror("socket");
			_exit(1);
		}
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
		memset(&sa, 0, sizeof(sa));
		sa.sin6_family = AF_INET6;
		sa.sin6_port = htons((uint16_t)port);
		if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
		    listen(s, 4096) != 0) {
			perror("bind/listen");
			_exit(1);
		}
		for (;;) {
			c = accept(s, NULL, NULL);
			if (c >= 0)
				close(c);
		}
	}
	/* The parent of several workers waits for them (they run until
	 * killed, and die with their process group). */
	signal(SIGTERM, SIG_DFL);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	return 0;
}

struct shared {
	long sent[MAX_PROCS];
	long errors[MAX_PROCS];
};

static int
tcp_rate(const char *addr, int port, double secs, long max, int procs,
    double rate)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct shared *sh;
	double t0, t1;
	long sent = 0, errs = 0;
	int i;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr,
	    &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
		sl = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, addr,
	    &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
		sl = sizeof(struct sockaddr_in6);
	} else
		usage();
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	memset(sh, 0, sizeof(*sh));
	t0 = now_s();
	for (i = 0; i < procs; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid > 0)
			continue;
		long mine = max / procs + (i < max % procs);
		double myrate = rate / procs;
		char buf[64];

		for (long k = 0; k < mine; k++) {
			int s;

			if ((k & 63) == 0 && now_s() - t0 >= secs)
				break;
			pace(t0, k, myrate);
			if ((s = socket(ss.ss_family, SOCK_STREAM, 0)) < 0) {
				sh->errors[i]++;
				continue;
			}
			if (connect(s, (struct sockaddr *)&ss, sl) != 0) {
				sh->errors[i]++;
				close(s);
				continue;
			}
			while (read(s, buf, sizeof(buf)) > 0)
				;
			close(s);
			sh->sent[i]++;
		}
		_exit(0);
	}
	while (wait(NULL) > 0 || errno == EINTR)
		;
	t1 = now_s();
	for (i = 0; i < procs; i++) {
		sent += sh->sent[i];
		errs += sh->errors[i];
	}
	printf("sent=%ld errors=%ld secs=%.3f rate=%.0f\n", sent, errs,
	    t1 - t0, (double)sent / (t1 - t0));
	return 0;
}

struct pkt {
	struct iphdr ip;
	struct udphdr udp;
	char payload[16];
} __attribute__((packed));

/* One sender: flows offset + p, offset + p + procs, ... */
static void
udp_sender(int s, struct sockaddr_in *dst, struct sockaddr_in *src,
    double t0, double secs, long max, double rate, long offset, int p,
    int procs, int dbase, long dports, long *sentp, long *errsp)
{
	static struct pkt pkts[BATCH];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	long sent = 0, errs = 0;

	for (int b = 0; b < BATCH; b++) {
		struct pkt *pk = &pkts[b];

		memset(pk, 0, sizeof(*pk));
		pk->ip.version = 4;
		pk->ip.ihl = 5;
		pk->ip.ttl = 64;
		pk->ip.protocol = IPPROTO_UDP;
		pk->ip.tot_len = htons(sizeof(*pk));
		pk->ip.saddr = src->sin_addr.s_addr;
		pk->ip.daddr = dst->sin_addr.s_addr;
		pk->udp.len = htons(sizeof(pk->udp) + sizeof(pk->payload));
		pk->udp.check = 0;	/* no checksum: allowed for IPv4 */
		memcpy(pk->payload, "netpol-record-bn", 16);
		iov[b].iov_base = pk;
		iov[b].iov_len = sizeof(*pk);
		memset(&msgs[b], 0, sizeof(msgs[b]));
		msgs[b].msg_hdr.msg_name = dst;
		msgs[b].msg_hdr.msg_namelen = sizeof(*dst);
		msgs[b].msg_hdr.msg_iov = &iov[b];
		msgs[b].msg_hdr.msg_iovlen = 1;
	}
	while (sent + errs < max) {
		int n = BATCH, r;

		if (now_s() - t0 >= secs)
			break;
		if (max - sent - errs < n)
			n = (int)(max - sent - errs);
		pace(t0, sent + errs, rate);
		for (int b = 0; b < n; b++) {
			long f = offset + p + (sent + errs + b) * procs;

			pkts[b].udp.dest = htons((uint16_t)(dbase + f % dports));
			pkts[b].udp.source = htons((uint16_t)(1024 +
			    (f / dports) % 64512));
		}
		r = sendmmsg(s, msgs, (unsigned)n, 0);
		if (r < 0) {
			if (errno == ENOBUFS || errno == EAGAIN) {
				/* Not sent: retry the same flows. */
				struct timespec ts = { 0, 20000 };
				nanosleep(&ts, NULL);
				continue;
			}
			errs += n;
			continue;
		}
		sent += r;
	}
	*sentp = sent;
	*errsp = errs;
}

static int
udp_flows(const char *addr, double secs, long max, double rate, long offset,
    int dbase, long dports, int procs)
{
	struct sockaddr_in dst, src;
	socklen_t sl = sizeof(src);
	struct shared *sh;
	long sent = 0, errs = 0, most = 0;
	double t0, t1;
	int s, probe, one = 1;

	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	if (inet_pton(AF_INET, addr, &dst.sin_addr) != 1)
		usage();
	/* Our own source address: the route's choice. */
	dst.sin_port = htons(9);
	if ((probe = socket(AF_INET, SOCK_DGRAM, 0)) < 0 ||
	    connect(probe, (struct sockaddr *)&dst, sizeof(dst)) != 0 ||
	    getsockname(probe, (struct sockaddr *)&src, &sl) != 0) {
		perror("route to destination");
		return 1;
	}
	close(probe);
	if ((s = socket(AF_INET, SOCK_RAW, IPPROTO_RAW)) < 0 ||
	    setsockopt(s, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) != 0) {
		perror("raw socket");
		return 1;
	}
	if ((sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0)) == MAP_FAILED)
		return 1;
	memset(sh, 0, sizeof(*sh));
	t0 = now_s();
	for (int p = 0; p < procs; p++) {
		pid_t pid = procs == 1 ? 0 : fork();

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid > 0)
			continue;
		udp_sender(s, &dst, &src, t0, secs,
		    max / procs + (p < max % procs), rate / procs, offset, p,
		    procs, dbase, dports, &sh->sent[p], &sh->errors[p]);
		if (procs > 1)
			_exit(0);
	}
	while (procs > 1 && (wait(NULL) > 0 || errno == EINTR))
		;
	t1 = now_s();
	for (int p = 0; p < procs; p++) {
		sent += sh->sent[p];
		errs += sh->errors[p];
		if (sh->sent[p] + sh->errors[p] > most)
			most = sh->sent[p] + sh->errors[p];
	}
	printf("sent=%ld errors=%ld secs=%.3f rate=%.0f next_offset=%ld\n",
	    sent, errs, t1 - t0, (double)sent / (t1 - t0),
	    offset + most * procs);
	close(s);
	return 0;
}

static int
udp_peers(char *addrs, int port, double period, double secs)
{
	struct sockaddr_in peers[1024];
	int n = 0, s;
	long sent = 0, errs = 0;
	double t0 = now_s(), next = t0;
	char *tok, *save = NULL;

	for (tok = strtok_r(addrs, ",", &save); tok != NULL && n < 1024;
	    tok = strtok_r(NULL, ",", &save)) {
		memset(&peers[n], 0, sizeof(peers[n]));
		peers[n].sin_family = AF_INET;
		peers[n].sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, tok, &peers[n].sin_addr) != 1) {
			fprintf(stderr, "bench_net: %s: not an IPv4 address\n",
			    tok);
			return 1;
		}
		n++;
	}
	while (now_s() - t0 < secs) {
		for (int i = 0; i < n; i++) {
			/* Spread over the period: a burst of ARP broadcasts
			 * from every pod at once overflows the bridge's
			 * backlog, and the datagrams wait and go. */
			pace(next, i, (double)n / period);
			if ((s = socket(AF_INET, SOCK_DGRAM, 0)) < 0 ||
			    sendto(s, "x", 1, 0, (struct sockaddr *)&peers[i],
			    sizeof(peers[i])) < 0)
				errs++;
			else
				sent++;
			if (s >= 0)
				close(s);
		}
		next += period;
		while (now_s() < next && now_s() - t0 < secs) {
			struct timespec ts = { 0, 100 * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
	printf("sent=%ld errors=%ld secs=%.3f rate=%.0f\n", sent, errs,
	    now_s() - t0, (double)sent / (now_s() - t0));
	return 0;
}

int
main(int argc, char **argv)
{
	const char *cmd, *addr = NULL;
	double secs = 10, rate = 0, period = 30;
	long max = 1000000000L, offset = 0, dports = 100;
	int port = 0, procs = 1, ch;

	if (argc < 2)
		usage();
	cmd = argv[1];
	optind = 2;
	while ((ch = getopt(argc, argv, "c:p:t:n:P:r:o:D:i:")) != -1) {
		switch (ch) {
		case 'i': period = atof(optarg); break;
		case 'c': addr = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 't': secs = atof(optarg); break;
		case 'n': max = atol(optarg); break;
		case 'P': procs = atoi(optarg); break;
		case 'r': rate = atof(optarg); break;
		case 'o': offset = atol(optarg); break;
		case 'D': dports = atol(optarg); break;
		default: usage();
		}
	}
	if (procs < 1 || procs > MAX_PROCS || max < 1 || secs <= 0)
		usage();
	if (strcmp(cmd, "tcp-server") == 0) {
		if (port <= 0)
			usage();
		return tcp_server(port, procs);
	}
	if (strcmp(cmd, "tcp-rate") == 0) {
		if (addr == NULL || port <= 0)
			usage();
		return tcp_rate(addr, port, secs, max, procs, rate);
	}
	if (strcmp(cmd, "udp-flows") == 0) {
		if (addr == NULL)
			usage();
		if (port <= 0)
			port = 20000;
		if (dports < 1 || port + dports > 65536)
			usage();
		return udp_flows(addr, secs, max, rate, offset, port, dports,
		    procs);
	}
	if (strcmp(cmd, "udp-peers") == 0) {
		if (addr == NULL || period <= 0)
			usage();
		return udp_peers((char *)(uintptr_t)addr, port > 0 ? port :
		    20000, period, secs);
	}
	usage();
	return 1;
}
