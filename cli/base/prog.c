/*
 * prog: the invoked name (see prog.h).
 */
#include "cli/base/prog.h"

#include <string.h>

static const char *name = "netpol-record";

void
prog_init(const char *argv0)
{
	const char *base;

	if (argv0 == NULL)
		return;
	base = strrchr(argv0, '/');
	base = base != NULL ? base + 1 : argv0;
	/* kubectl finds plugins as kubectl-NAME on PATH, "_" standing for
	 * "-" in NAME. */
	if (strncmp(base, "kubectl-", 8) == 0)
		name = "kubectl netpol-record";
}

const char *
prog_name(void)
{
	return name;
}

bool
prog_is_kubectl_plugin(void)
{
	return strcmp(name, "kubectl netpol-record") == 0;
}
