/*
 * ut_store: the temporary directory a unit test keeps its stores and
 * other files in, made in setup and removed in teardown.
 *
 * Not a test program: the Makefile links every .c file of tests/unit/
 * without the test_ prefix (UNIT_HELPER_OBJS) into every unit test, so
 * this stays tiny and uses libc only (it pulls in no archive).
 */
#ifndef UT_STORE_H
#define UT_STORE_H

#include <stddef.h>

/*
 * Makes a new private directory /tmp/<tag>.XXXXXX and writes its path to
 * dir (size bytes). Returns 0, -ENAMETOOLONG when the path does not fit,
 * or -errno from mkdtemp; on error dir is the empty string, which
 * ut_store_rmtree takes as nothing to remove.
 */
int	ut_store_mkdtemp(char *dir, size_t size, const char *tag);

/*
 * Removes dir and everything under it, as `rm -rf` does: symbolic links
 * are removed, never followed, and a dir that does not exist is not an
 * error. Refuses (-EINVAL) any path not below /tmp/. Returns 0 or -errno.
 */
int	ut_store_rmtree(const char *dir);

#endif
