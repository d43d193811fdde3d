/*
 * ut_run: files read whole, commands run with their output captured (see
 * ut_run.h).
 */
#include "tests/unit/ut_run.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/file.h"

char *
ut_slurp(const char *path, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;

	if (file_read(path, FILE_MAX_DEFAULT, &buf, &n) < 0)
		return NULL;
	if (len != NULL)
		*len = n;
	return buf;
}

struct ut_out
ut_run(const char *dir, int (*cmd)(int, char **), char *const *argv)
{
	struct ut_out o = { .rc = -1 };
	char opath[512], epath[512];
	int argc, ofd, efd, so, se;

	for (argc = 0; argv[argc] != NULL; argc++)
		;
	snprintf(opath, sizeof(opath), "%s/ut_run.stdout", dir);
	snprintf(epath, sizeof(epath), "%s/ut_run.stderr", dir);
	fflush(stdout);
	fflush(stderr);
	ofd = open(opath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	efd = open(epath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (ofd < 0 || efd < 0)
		abort();
	so = dup(1);
	se = dup(2);
	dup2(ofd, 1);
	dup2(efd, 2);
	o.rc = cmd(argc, (char **)(uintptr_t)argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	close(ofd);
	close(efd);
	o.out = ut_slurp(opath, &o.outlen);
	o.err = ut_slurp(epath, NULL);
	return o;
}

void
ut_out_free(struct ut_out *o)
{
	free(o->out);
	free(o->err);
	o->out = o->err = NULL;
}
