/*
 * status: `netpol-record status`, the recorder's counters and what the
 * store holds (lib/status.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/base/prog.h"
#include "cli/cmd/cliopt.h"
#include "cli/cmd/cmds.h"
#include "cli/source/store_source.h"
#include "lib/status.h"
#include "lib/store.h"

static void
status_usage(FILE *f)
{
	fprintf(f,
"usage: %s status [--db PATH]\n"
"\n"
"Print what the store holds (attachments, workloads, flows, known\n"
"servers) and the recorder's counters (events seen and lost, flows\n"
"written, resyncs...).\n"
"\n"
"  --db PATH   the store (default $NETPOL_RECORD_DB or %s)\n", prog_name(),
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
