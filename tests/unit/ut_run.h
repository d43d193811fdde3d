/*
 * ut_run: a file's contents, and a command of the CLI run in-process with
 * its standard output and error captured, for unit tests.
 *
 * Not a test program (see ut_store.h): linked into every unit test.
 */
#ifndef UT_RUN_H
#define UT_RUN_H

#include <stddef.h>

/* The whole file at path, NUL-terminated (*len without the NUL, may be
 * NULL); the caller frees it. NULL when it cannot be read. */
char	*ut_slurp(const char *path, size_t *len);

/* What a command did. */
struct ut_out {
	int rc;		/* its return value: the exit status */
	char *out;	/* standard output, NUL-terminated */
	size_t outlen;
	char *err;	/* standard error, NUL-terminated */
};

/*
 * Run cmd(argc, argv) (argv NULL-terminated, argv[0] the command's name)
 * with standard output and error going to files in dir, and read them
 * back. Free the result with ut_out_free.
 */
struct ut_out ut_run(const char *dir, int (*cmd)(int, char **),
    char *const *argv);
void	ut_out_free(struct ut_out *o);

#endif
