/*
 * bench_exec: time exec'd invocations of a program, the way a container
 * runtime runs a CNI plugin (environment + stdin, stdout read to the end,
 * wait for the exit status). For `make bench` (tests/bench/).
 *
 *   bench_exec [-n COUNT] [-s START] [-4 BASE] [-o FILE] [-q]
 *       [-i STDIN_TEMPLATE_FILE]... [-e NAME=TEMPLATE]... -- PROG [ARG...]
 *
 * Invocation k (0 <= k < COUNT) has index i = START + k. Templates (stdin
 * files, environment values, arguments) get these substitutions:
 *   {i}    the index
 *   {m}    k modulo the number of stdin templates (which one is used)
 *   {ip4}  the IPv4 address BASE + i (BASE defaults to 198.19.0.0; it
 *          must stay inside 198.18.0.0/15, or the run stops)
 *   {ip6}  2001:db8:19::<i in hex>
 * The clock (CLOCK_MONOTONIC) runs from before the stdin pipe is filled
 * to after waitpid(); each time goes to FILE in microseconds, one a line.
 * The summary line on stdout (not with -q):
 *   n=<ok> fail=<failed> median_us=<..> p99_us=<..> mean_us=<..> min_us=<..>
 * The first failure (non-zero exit) stops the run: its exit code and
 * stdout go to stderr and the exit code is 2.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_TPL 64
#define MAX_ENV 32
#define OUTBUF (1 << 20)

extern char **environ;

struct ctx {
	long i;
	long m;
	uint32_t base4;
};

static char *
read_file(const char *path)
{
	FILE *f;
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "bench_exec: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			if ((buf = realloc(buf, cap)) == NULL)
				exit(1);
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	fclose(f);
	return buf;
}

/* Expand tpl into a new string. */
static char *
expand(const char *tpl, const struct ctx *c)
{
	size_t cap = strlen(tpl) + 256, len = 0;
	char *out = malloc(cap), val[64];
	const char *p = tpl;
	struct in_addr a;

	if (out == NULL)
		exit(1);
	while (*p != '\0') {
		val[0] = '\0';
		if (p[0] == '{') {
			if (strncmp(p, "{i}", 3) == 0) {
				snprintf(val, sizeof(val), "%ld", c->i);
				p += 3;
			} else if (strncmp(p, "{m}", 3) == 0) {
				snprintf(val, sizeof(val), "%ld", c->m);
				p += 3;
			} else if (strncmp(p, "{ip4}", 5) == 0) {
				uint32_t v = c->base4 + (uint32_t)c->i;
				/* Only the benchmark range 198.18.0.0/15. */
				if ((v & 0xfffe0000u) != 0xc6120000u) {
					fprintf(stderr, "bench_exec: index %ld "
					    "leaves 198.18.0.0/15\n", c->i);
					exit(1);
				}
				a.s_addr = htonl(v);
				inet_ntop(AF_INET, &a, val, sizeof(val));
				p += 5;
			} else if (strncmp(p, "{ip6}", 5) == 0) {
				snprintf(val, sizeof(val), "2001:db8:19::%lx:%lx",
				    (c->i >> 16) & 0xffff, c->i & 0xffff);
				p += 5;
			}
		}
		if (val[0] == '\0') {
			val[0] = *p++;
			val[1] = '\0';
		}
		size_t vl = strlen(val);
		if (len + vl + 1 > cap) {
			cap = (cap + vl) * 2;
			if ((out = realloc(out, cap)) == NULL)
				exit(1);
		}
		memcpy(out + len, val, vl);
		len += vl;
	}
	out[len] = '\0';
	return out;
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_exec [-n COUNT] [-s START] [-4 BASE] "
	    "[-o FILE] [-q] [-i STDIN_TPL]... [-e NAME=TPL]... -- PROG "
	    "[ARG...]\n");
	exit(1);
}

int
main(int argc, char **argv)
{
	const char *tplpath[MAX_TPL], *envtpl[MAX_ENV], *outpath = NULL;
	char *tpl[MAX_TPL], *outbuf;
	int ntpl = 0, nenv = 0, ch, quiet = 0;
	long count = 1, start = 0, k, nok = 0;
	struct in_addr base;
	struct ctx c;
	int64_t *times;
	FILE *of = NULL;

	inet_pton(AF_INET, "198.19.0.0", &base);
	while ((ch = getopt(argc, argv, "n:s:4:o:qi:e:")) != -1) {
		switch (ch) {
		case 'n': count = atol(optarg); break;
		case 's': start = atol(optarg); break;
		case '4':
			if (inet_pton(AF_INET, optarg, &base) != 1)
				usage();
			break;
		case 'o': outpath = optarg; break;
		case 'q': quiet = 1; break;
		case 'i':
			if (ntpl == MAX_TPL)
				usage();
			tplpath[ntpl++] = optarg;
			break;
		case 'e':
			if (nenv == MAX_ENV || strchr(optarg, '=') == NULL)
				usage();
			envtpl[nenv++] = optarg;
			break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || count < 1)
		usage();
	for (int t = 0; t < ntpl; t++)
		tpl[t] = read_file(tplpath[t]);
	if ((times = calloc((size_t)count, sizeof(*times))) == NULL ||
	    (outbuf = malloc(OUTBUF)) == NULL)
		exit(1);
	if (outpath != NULL && (of = fopen(outpath, "w")) == NULL) {
		fprintf(stderr, "bench_exec: %s: %s\n", outpath,
		    strerror(errno));
		exit(1);
	}
	c.base4 = ntohl(base.s_addr);

	for (k = 0; k < count; k++) {
		char *in = NULL, *env[MAX_ENV + 1], **args;
		int inp[2], outp[2], st;
		size_t outlen = 0;
		ssize_t r;
		int64_t t0, t1;
		pid_t pid;

		c.i = start + k;
		c.m = ntpl ? k % ntpl : 0;
		if (ntpl)
			in = expand(tpl[c.m], &c);
		for (int e = 0; e < nenv; e++)
			env[e] = expand(envtpl[e], &c);
		env[nenv] = NULL;
		if ((args = calloc((size_t)argc + 1, sizeof(*args))) == NULL)
			exit(1);
		for (int a = 0; a < argc; a++)
			args[a] = expand(argv[a], &c);

		t0 = now_ns();
		if (pipe2(inp, O_CLOEXEC) != 0 || pipe2(outp, O_CLOEXEC) != 0) {
			perror("pipe");
			exit(1);
		}
		/* A runtime's config is well under the 64 KiB of a pipe. */
		if (in != NULL) {
			size_t il = strlen(in), off = 0;
			while (off < il) {
				r = write(inp[1], in + off, il - off);
				if (r < 0) {
					perror("write");
					exit(1);
				}
				off += (size_t)r;
			}
		}
		close(inp[1]);
		if ((pid = fork()) < 0) {
			perror("fork");
			exit(1);
		}
		if (pid == 0) {
			dup2(inp[0], 0);
			dup2(outp[1], 1);
			execve(args[0], args, env);
			dprintf(1, "bench_exec: exec %s: %s\n", args[0],
			    strerror(errno));
			_exit(127);
		}
		close(inp[0]);
		close(outp[1]);
		while ((r = read(outp[0], outbuf + outlen,
		    OUTBUF - 1 - outlen)) > 0) {
			outlen += (size_t)r;
			if (outlen == OUTBUF - 1)
				outlen = 0;	/* keep reading, keep the tail */
		}
		close(outp[0]);
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		t1 = now_ns();
		outbuf[outlen] = '\0';

		free(in);
		for (int e = 0; e < nenv; e++)
			free(env[e]);
		for (int a = 0; a < argc; a++)
			free(args[a]);
		free(args);

		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "bench_exec: invocation %ld (index %ld) "
			    "failed (status %d): %.2000s\n", k, c.i,
			    WIFEXITED(st) ? WEXITSTATUS(st) : -1, outbuf);
			printf("n=%ld fail=1\n", nok);
			if (of != NULL)
				fclose(of);
			return 2;
		}
		times[nok++] = (t1 - t0) / 1000;
		if (of != NULL)
			fprintf(of, "%lld\n", (long long)times[nok - 1]);
	}
	if (of != NULL)
		fclose(of);
	if (!quiet) {
		int64_t sum = 0;
		long p99;

		for (k = 0; k < nok; k++)
			sum += times[k];
		qsort(times, (size_t)nok, sizeof(*times), cmp_i64);
		p99 = (nok * 99 + 99) / 100 - 1;
		if (p99 >= nok)
			p99 = nok - 1;
		printf("n=%ld fail=0 median_us=%lld p99_us=%lld mean_us=%lld "
		    "min_us=%lld\n", nok,
		    (long long)(nok % 2 ? times[nok / 2] :
		    (times[nok / 2 - 1] + times[nok / 2]) / 2),
		    (long long)times[p99], (long long)(sum / nok),
		    (long long)times[0]);
	}
	free(times);
	free(outbuf);
	for (int t = 0; t < ntpl; t++)
		free(tpl[t]);
	return 0;
}
