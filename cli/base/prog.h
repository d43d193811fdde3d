/*
 * prog: the name the CLI was invoked by, for its usage texts:
 * "netpol-record", or "kubectl netpol-record" when kubectl runs it as its
 * plugin kubectl-netpol_record.
 */
#ifndef NPR_CLI_BASE_PROG_H
#define NPR_CLI_BASE_PROG_H

#include <stdbool.h>

/* Take the name from argv[0] (NULL: the default). */
void prog_init(const char *argv0);
/* "netpol-record" or "kubectl netpol-record" (a static string). */
const char *prog_name(void);
/* Whether it runs as the kubectl plugin (kubectl-netpol_record). */
bool prog_is_kubectl_plugin(void);

#endif
