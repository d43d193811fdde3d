/*
 * netpol-record: turn what netpol-recorderd recorded into NetworkPolicies,
 * audit reports and policy checks.
 */
#include <stdio.h>
#include <string.h>

#include "cli/base/prog.h"
#include "cli/cmd/cmds.h"
#include "lib/log.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ .name = "export", .run = cmd_export,
	  .summary = "write NetworkPolicies from recorded traffic" },
	{ .name = "check", .run = cmd_check,
	  .summary = "evaluate recorded flows against NetworkPolicies" },
	{ .name = "report", .run = cmd_report,
	  .summary = "audit report of what talks to what" },
	{ .name = "known-servers", .run = cmd_known_servers,
	  .summary = "import, list or delete KnownServer entries" },
	{ .name = "status", .run = cmd_status,
	  .summary = "the recorder's counters and the store's contents" },
};

static void
usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: %s COMMAND [OPTIONS]\n\ncommands:\n", prog_name());
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-14s %s\n", commands[i].name,
		    commands[i].summary);
	fprintf(out, "\n'%s COMMAND --help' describes a command.\n",
	    prog_name());
}

int
main(int argc, char **argv)
{
	size_t i;

	log_init("netpol-record", LOG_LVL_WARN);
	prog_init(argv[0]);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown command '%s'\n\n", prog_name(), argv[1]);
	usage(stderr);
	return 2;
}
