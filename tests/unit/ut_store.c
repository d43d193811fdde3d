/*
 * ut_store: temporary directories for unit-test stores (see ut_store.h).
 */
#include "tests/unit/ut_store.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int
ut_store_mkdtemp(char *dir, size_t size, const char *tag)
{
	int n, rc = 0;

	n = snprintf(dir, size, "/tmp/%s.XXXXXX", tag);
	if (n < 0 || (size_t)n >= size) {
		rc = -ENAMETOOLONG;
		goto out;
	}
	if (mkdtemp(dir) == NULL)
		rc = -errno;
out:
	if (rc != 0 && size > 0)
		dir[0] = '\0';
	return rc;
}

static int
rm_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

int
ut_store_rmtree(const char *dir)
{
	struct stat st;

	if (dir[0] == '\0')
		return 0;
	/* Only what ut_store_mkdtemp makes: a typo must not cost a tree. */
	if (strncmp(dir, "/tmp/", 5) != 0 || dir[5] == '\0' ||
	    strstr(dir, "/..") != NULL)
		return -EINVAL;
	if (lstat(dir, &st) != 0)
		return errno == ENOENT ? 0 : -errno;
	/* Children before their directory (FTW_DEPTH); links are removed,
	 * not followed (FTW_PHYS). */
	if (nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		return errno != 0 ? -errno : -EIO;
	return 0;
}
