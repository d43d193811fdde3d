/*
 * cmds: the netpol-record subcommands. Each takes the arguments after its
 * own name (argv[0] is the subcommand) and returns the process exit code.
 */
#ifndef NPR_CMDS_H
#define NPR_CMDS_H

int cmd_export(int argc, char **argv);		/* cli/export.c */
int cmd_known_servers(int argc, char **argv);	/* cli/knownservers.c */
int cmd_check(int argc, char **argv);		/* cli/check.c */
int cmd_report(int argc, char **argv);		/* cli/report.c */
int cmd_status(int argc, char **argv);		/* cli/status.c */

#endif
