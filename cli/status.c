/*
 * status: `netpol-record status`, the recorder's counters and what the
 * store holds.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cliopt.h"
#include "cli/cmds.h"
#include "lib/store.h"

struct att_count {
	long attached, detached;
};

static int
att_cb(const struct store_attachment *a, void *arg)
{
	struct att_count *c = arg;

	if (a->detached_at == 0)
		c->attached++;
	else
		c->detached++;
	return 0;
}

static int
counter_cb(const char *name, int64_t value, int64_t updated_at, void *arg)
{
	char t[32];

	(void)arg;
	printf("  %-24s %12lld  (updated %s)\n", name, (long long)value,
	    updated_at ? cliopt_format_time(updated_at, t, sizeof(t)) : "-");
	return 0;
}

static int64_t
count_rows(struct store *st, const char *sql)
{
	sqlite3_stmt *s;
	int64_t n = -1;

	if (sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

static void
status_usage(FILE *f)
{
	fprintf(f,
"usage: netpol-record status [--db PATH]\n"
"\n"
"Print what the store holds (attachments, workloads, flows, known\n"
"servers) and the recorder's counters (events seen and lost, flows\n"
"written, resyncs...).\n"
"\n"
"  --db PATH   the store (default $NETPOL_RECORD_DB or %s)\n",
	    STORE_DEFAULT_PATH);
}

int
cmd_status(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, CLIOPT_DB },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct att_count ac = { 0, 0 };
	struct store *st = NULL;
	struct cliopt o;
	char err[256], buf[128];
	int c, rc, ret = 1;

	cliopt_init(&o);
	optind = 0;	/* GNU: a full re-initialisation */
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			status_usage(stdout);
			ret = 0;
			goto out;
		}
		if (cliopt_handle(&o, c, optarg, err, sizeof(err)) != 1) {
			status_usage(stderr);
			ret = 2;
			goto out;
		}
	}
	if (optind < argc || cliopt_finish(&o, false, err, sizeof(err)) < 0 ||
	    o.ndbs != 1) {
		status_usage(stderr);
		ret = 2;
		goto out;
	}
	rc = store_open(o.dbs[0], STORE_OPEN_READONLY | STORE_OPEN_NOCREATE,
	    &st);
	if (rc < 0) {
		fprintf(stderr, "netpol-record status: %s: %s\n", o.dbs[0],
		    rc == -ENOENT ? "no such store" : strerror(-rc));
		goto out;
	}
	printf("store %s\n", o.dbs[0]);
	if (store_meta_get(st, "recording_started", buf, sizeof(buf)) == 0) {
		char when[40];
		char *end;
		long long t = strtoll(buf, &end, 10);

		/* The daemon stores Unix seconds; older stores may hold text. */
		printf("  recording started  %s\n", *end == '\0' && end != buf ?
		    cliopt_format_time((int64_t)t, when, sizeof(when)) : buf);
	}
	if (store_meta_get(st, "node_name", buf, sizeof(buf)) == 0)
		printf("  node               %s\n", buf);
	if ((rc = store_attachment_foreach(st, false, att_cb, &ac)) < 0)
		goto dberr;
	printf("  attachments        %ld attached, %ld detached\n",
	    ac.attached, ac.detached);
	printf("  workloads          %lld\n", (long long)count_rows(st,
	    "SELECT COUNT(*) FROM workloads"));
	printf("  namespaces         %lld\n", (long long)count_rows(st,
	    "SELECT COUNT(DISTINCT namespace) FROM workloads"));
	printf("  flows              %lld\n", (long long)count_rows(st,
	    "SELECT COUNT(*) FROM flows"));
	printf("  known servers      %lld\n", (long long)count_rows(st,
	    "SELECT COUNT(*) FROM known_servers"));
	printf("counters\n");
	if ((rc = store_counter_foreach(st, counter_cb, NULL)) < 0)
		goto dberr;
	ret = 0;
	goto out;
dberr:
	fprintf(stderr, "netpol-record status: %s: %s\n", o.dbs[0],
	    store_errmsg(st));
out:
	store_close(st);
	cliopt_free(&o);
	return ret;
}
