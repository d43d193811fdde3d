/*
 * metasrc_dump: run the daemon's metadata source (file, kubeconfig or
 * in-cluster) and write the cache's state to a file whenever it changes,
 * for the integration tests.
 *
 *   metasrc_dump (-f FILE | -k KUBECONFIG | -i [-s SA_DIR]) -o STATE
 *                [-t SECONDS]
 *
 * STATE is rewritten atomically (write + rename): a "synced 0|1" line,
 * then one line per pod, sorted:
 *   pod NS/NAME uid=UID node=NODE ips=A,B workload=KIND/NAME
 *       selector=JSON ports=JSON hostNetwork=0|1
 * then one line per node address: node ADDR NAME is not listed; use
 * "nodeip ADDR" lookups with -q. Logs go to stderr. Exits after -t seconds
 * (default 60) or on SIGTERM/SIGINT.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "recorderd/meta/kmeta.h"
#include "lib/log.h"
#include "recorderd/metasrc.h"

static volatile sig_atomic_t quit;

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

struct lines {
	char **v;
	size_t n, cap;
	const struct kmeta *km;
};

static int
add_pod(const struct kmeta_pod *p, void *arg)
{
	struct lines *l = arg;
	struct store_workload w;
	char ips[STORE_MAX_ADDRS * ADDR_STRLEN + 8] = "", a[ADDR_STRLEN];
	char *line;
	int i;

	for (i = 0; i < p->nips; i++) {
		if (i > 0)
			strcat(ips, ",");
		strcat(ips, addr_format(&p->ips[i], a, sizeof(a)));
	}
	if (kmeta_pod_workload(l->km, p, &w) != 0)
		return -ENOMEM;
	if (asprintf(&line, "pod %s/%s uid=%s node=%s ips=%s workload=%s/%s "
	    "selector=%s ports=%s hostNetwork=%d", p->namespace_, p->name,
	    p->uid, p->node, ips, w.kind, w.name,
	    w.selector_json ? w.selector_json : "-",
	    w.ports_json ? w.ports_json : "-", w.host_network) < 0)
		line = NULL;
	free(w.selector_json);
	free(w.labels_json);
	free(w.ports_json);
	if (line == NULL)
		return -ENOMEM;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (l->v == NULL)
			return -ENOMEM;
	}
	l->v[l->n++] = line;
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
write_state(const struct metasrc *ms, const char *path)
{
	const struct kmeta *km = metasrc_cache(ms);
	struct lines l = { .km = km };
	struct kmeta_stats st;
	char tmp[4096];
	FILE *f;
	size_t i;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL) {
		log_warn("%s", tmp);
		return;
	}
	kmeta_pod_foreach(km, add_pod, &l);
	if (l.n > 0)	/* qsort(NULL, 0, ...) is undefined */
		qsort(l.v, l.n, sizeof(*l.v), cmp_str);
	kmeta_get_stats(km, &st);
	fprintf(f, "synced %d\n", metasrc_synced(ms));
	fprintf(f, "generation %llu\n",
	    (unsigned long long)kmeta_generation(km));
	fprintf(f, "counts pods=%zu owners=%zu namespaces=%zu nodes=%zu\n",
	    st.pods, st.owners, st.namespaces, st.nodes);
	for (i = 0; i < l.n; i++) {
		fprintf(f, "%s\n", l.v[i]);
		free(l.v[i]);
	}
	free(l.v);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		log_warn("%s", path);
}

static void
usage(void)
{
	fprintf(stderr, "usage: metasrc_dump (-f FILE | -k KUBECONFIG | -i "
	    "[-s SA_DIR]) -o STATE [-t SECONDS]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct metasrc_conf conf = { 0 };
	struct metasrc *ms = NULL;
	const char *state = NULL;
	uint64_t gen = UINT64_MAX;
	struct pollfd pfd;
	time_t end;
	int c, r, timeout = 60;
	bool synced = false;

	while ((c = getopt(argc, argv, "f:k:is:o:t:")) != -1) {
		switch (c) {
		case 'f': conf.file = optarg; break;
		case 'k': conf.kubeconfig = optarg; break;
		case 'i': conf.in_cluster = true; break;
		case 's': conf.sa_dir = optarg; break;
		case 'o': state = optarg; break;
		case 't': timeout = atoi(optarg); break;
		default: usage();
		}
	}
	if (state == NULL)
		usage();
	log_init("metasrc_dump", 3);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if ((r = metasrc_open(&conf, &ms)) != 0) {
		fprintf(stderr, "metasrc_open: %s\n", strerror(-r));
		return 1;
	}
	end = time(NULL) + timeout;
	while (!quit && time(NULL) < end) {
		pfd.fd = metasrc_fd(ms);
		pfd.events = POLLIN;
		poll(&pfd, pfd.fd >= 0 ? 1 : 0, 200);
		metasrc_process(ms);
		if (kmeta_generation(metasrc_cache(ms)) != gen ||
		    metasrc_synced(ms) != synced) {
			gen = kmeta_generation(metasrc_cache(ms));
			synced = metasrc_synced(ms);
			write_state(ms, state);
		}
	}
	metasrc_close(ms);
	return 0;
}
