/*
 * status: `netpol-record status`, the recorder's counters and what the
 * store holds (lib/status.h); with --cluster, one line per node from the
 * recorders' RecorderStatus objects.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/base/prog.h"
#include "cli/base/timefmt.h"
#include "cli/cmd/cliopt.h"
#include "cli/cmd/cmds.h"
#include "cli/source/kube.h"
#include "cli/source/recstatus.h"
#include "cli/source/store_source.h"
#include "lib/sort.h"
#include "lib/status.h"
#include "lib/store.h"

static void
status_usage(FILE *f)
{
	fprintf(f,
"usage: %s status [--db PATH | --cluster [--kubeconfig FILE]\n"
"           [--context NAME]]\n"
"\n"
"Print what the store holds (attachments, workloads, flows, known\n"
"servers) and the recorder's counters (events seen and lost, flows\n"
"written, resyncs...). With --cluster: one line per node whose recorder\n"
"publishes, from its RecorderStatus: version, last publish (STALE when\n"
"older than twice its refresh interval), events seen and lost, pods\n"
"attached and adopted, objects written, failed and pending writes, the\n"
"last publish error. Exit status 1 when no recorder publishes or one\n"
"stopped.\n"
"\n"
CLIOPT_SOURCE_HELP, prog_name());
}

static int
by_node(const void *a, const void *b)
{
	return strcmp(((const struct recstatus *)a)->node,
	    ((const struct recstatus *)b)->node);
}

static void
print_nodes(const struct recstatus_set *s, int64_t now, size_t *nstale)
{
	const struct recstatus *r;
	char t[32], age[32];
	int w = 4;
	size_t i;

	for (i = 0; i < s->n; i++)
		if ((int)strlen(s->v[i].node) > w)
			w = (int)strlen(s->v[i].node);
	printf("%-*s %-10s %-20s %-12s %12s %8s %6s %7s %8s %6s %7s  %s\n",
	    w, "NODE", "VERSION", "PUBLISHED", "AGE", "EVENTS", "LOST",
	    "PODS", "ADOPTED", "WRITTEN", "FAILED", "PENDING", "LAST ERROR");
	*nstale = 0;
	for (i = 0; i < s->n; i++) {
		r = &s->v[i];
		snprintf(age, sizeof(age), "%s%s", recstatus_stale(r, now) ?
		    "STALE " : "", timefmt_format_duration(now -
		    r->published_at, t, sizeof(t)));
		if (recstatus_stale(r, now))
			(*nstale)++;
		printf("%-*s %-10s %-20s %-12s %12lld %8lld %6lld %7lld %8lld "
		    "%6lld %7lld  %s\n", w, r->node, r->version,
		    timefmt_format_time(r->published_at, t, sizeof(t)), age,
		    (long long)r->events_seen, (long long)r->events_lost,
		    (long long)r->pods_attached, (long long)r->pods_adopted,
		    (long long)r->objects_written, (long long)r->publish_failed,
		    (long long)r->publish_pending, r->last_error ?
		    r->last_error : "-");
	}
}

static int
cluster_status(struct cliopt *o)
{
	struct recstatus_set s = { 0 };
	struct kube *k;
	char err[1024];
	size_t nstale = 0;
	bool inc;
	int rc, ret = 1;

	if ((rc = cliopt_kube(o, &k, err, sizeof(err))) < 0) {
		fprintf(stderr, "netpol-record status: %s\n", err);
		return 1;
	}
	rc = kube_list(k, RECSTATUS_PATH, NULL, recstatus_set_add, &s, &inc,
	    err, sizeof(err));
	if (rc == -ENOENT)
		snprintf(err, sizeof(err), "the cluster %s serves no "
		    "RecorderStatus: the netpol-record CRDs are not installed "
		    "(kubectl apply -f install/kubernetes/)", kube_describe(k));
	if (rc < 0) {
		fprintf(stderr, "netpol-record status: %s\n", rc == -ENOMEM ?
		    "out of memory" : err);
		goto out;
	}
	printf("cluster %s\n", kube_describe(k));
	if (s.n > 1)
		sort_n(s.v, s.n, sizeof(*s.v), by_node);
	if (s.n > 0)
		print_nodes(&s, o->now, &nstale);
	if (s.bad > 0)
		fprintf(stderr, "netpol-record status: %zu RecorderStatus "
		    "object%s malformed, skipped (%s)\n", s.bad, s.bad == 1 ?
		    "" : "s", s.first_bad);
	if (s.n == 0)
		fprintf(stderr, "netpol-record status: no recorder publishes "
		    "to this cluster (no RecorderStatus in namespace %s): is "
		    "netpol-recorderd running, with publishing on (kubectl -n "
		    "%s get daemonset,pods)?\n", RECSTATUS_NAMESPACE,
		    RECSTATUS_NAMESPACE);
	else if (nstale > 0)
		fprintf(stderr, "netpol-record status: %zu node%s stopped "
		    "publishing (STALE: nothing for more than twice the "
		    "refresh interval): exports miss what %s recorded since\n",
		    nstale, nstale == 1 ? "" : "s", nstale == 1 ? "it" :
		    "they");
	ret = s.n == 0 || nstale > 0;
out:
	recstatus_set_clear(&s);
	return ret;
}

int
cmd_status(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLIOPT_SOURCE_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct store *st = NULL;
	struct cliopt o;
	char err[512];
	int c, rc, ret = 1;

	cliopt_init(&o);
	optind = 0;	/* GNU: a full re-initialisation */
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			status_usage(stdout);
			ret = 0;
			goto out;
		}
		if ((rc = cliopt_handle(&o, c, optarg, err, sizeof(err))) < 0)
			fprintf(stderr, "netpol-record status: %s\n", err);
		if (rc != 1) {
			if (rc == 0)
				status_usage(stderr);
			ret = 2;
			goto out;
		}
	}
	if (optind < argc || cliopt_finish(&o, false, err, sizeof(err)) < 0 ||
	    (!o.cluster && o.ndbs != 1)) {
		status_usage(stderr);
		ret = 2;
		goto out;
	}
	if (o.cluster) {
		ret = cluster_status(&o);
		goto out;
	}
	rc = store_open(o.dbs[0], STORE_OPEN_READONLY | STORE_OPEN_NOCREATE,
	    &st);
	if (rc < 0) {
		store_source_explain(o.dbs[0], rc, err, sizeof(err));
		fprintf(stderr, "netpol-record status: %s\n", err);
		goto out;
	}
	if (status_print(stdout, o.dbs[0], st) < 0) {
		fprintf(stderr, "netpol-record status: %s: %s\n", o.dbs[0],
		    store_errmsg(st));
		goto out;
	}
	ret = 0;
out:
	store_close(st);
	cliopt_free(&o);
	return ret;
}
