/* Placeholder until the subcommand lands: says so and fails. */
#include <stdio.h>

#include "cli/cmds.h"

int
cmd_report(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "netpol-record %s: not implemented yet\n", argv[0]);
	return 2;
}
