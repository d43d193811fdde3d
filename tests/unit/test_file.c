/* file: whole files read with a size limit, from files, pipes and devices;
 * whole files replaced atomically. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "lib/file.h"
#include "tests/unit/ut_store.h"

static char dir[128];

static int
setup(void **state)
{
	(void)state;
	return ut_store_mkdtemp(dir, sizeof(dir), "test_file");
}

static int
teardown(void **state)
{
	(void)state;
	return ut_store_rmtree(dir);
}

static void
write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void
test_regular(void **state)
{
	char path[192], *buf;
	size_t len;

	(void)state;
	snprintf(path, sizeof(path), "%s/a.yaml", dir);
	write_file(path, "kind: List\n", 11);
	assert_int_equal(file_read(path, 100, &buf, &len), 0);
	assert_int_equal(len, 11);
	assert_string_equal(buf, "kind: List\n");
	free(buf);
	/* Exactly the limit is fine, one byte more is not. */
	assert_int_equal(file_read(path, 11, &buf, &len), 0);
	free(buf);
	assert_int_equal(file_read(path, 10, &buf, &len), -EFBIG);
	assert_null(buf);
	assert_int_equal(len, 0);

	snprintf(path, sizeof(path), "%s/empty", dir);
	write_file(path, "", 0);
	assert_int_equal(file_read(path, 100, &buf, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	free(buf);
}

static void
test_errors(void **state)
{
	char path[192], *buf;
	size_t len;

	(void)state;
	assert_int_equal(file_read(dir, 100, &buf, &len), -EISDIR);
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(file_read(path, 100, &buf, &len), -ENOENT);
	assert_null(buf);
	/* A device that never ends stops at the limit. */
	assert_int_equal(file_read("/dev/zero", 1 << 20, &buf, &len), -EFBIG);
	assert_null(buf);
}

static void
test_pipe(void **state)
{
	int p[2];
	char *buf, chunk[4096];
	size_t len;

	(void)state;
	/* 200 KiB through a pipe: several reads and growths. */
	assert_int_equal(pipe(p), 0);
	if (fork() == 0) {
		memset(chunk, 'x', sizeof(chunk));
		close(p[0]);
		for (int i = 0; i < 50; i++)
			if (write(p[1], chunk, sizeof(chunk)) < 0)
				_exit(1);
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(file_read_fd(p[0], 1 << 20, &buf, &len), 0);
	close(p[0]);
	assert_int_equal(len, 50 * 4096);
	assert_int_equal(buf[len - 1], 'x');
	assert_int_equal(buf[len], '\0');
	free(buf);

	assert_int_equal(pipe(p), 0);
	if (fork() == 0) {
		memset(chunk, 'y', sizeof(chunk));
		close(p[0]);
		for (int i = 0; i < 50; i++)
			if (write(p[1], chunk, sizeof(chunk)) < 0)
				_exit(0);
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(file_read_fd(p[0], 100000, &buf, &len), -EFBIG);
	close(p[0]);
	assert_null(buf);
	while (wait(NULL) > 0)
		;
}

/* Entries of dir other than . and .. */
static int
count_entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
test_write_atomic(void **state)
{
	char path[192], *buf;
	struct stat st;
	size_t len;
	int n0 = count_entries();

	(void)state;
	snprintf(path, sizeof(path), "%s/10-net.conflist", dir);
	assert_int_equal(file_write_atomic(path, "{}\n", 3, 0640, (uid_t)-1,
	    (gid_t)-1), 0);
	assert_int_equal(file_read(path, 100, &buf, &len), 0);
	assert_string_equal(buf, "{}\n");
	free(buf);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);

	/* Replacing: the new bytes and mode, and no temporary file left. */
	assert_int_equal(file_write_atomic(path, "[1, 2]\n", 7, 0755,
	    getuid(), getgid()), 0);
	assert_int_equal(file_read(path, 100, &buf, &len), 0);
	assert_int_equal(len, 7);
	assert_string_equal(buf, "[1, 2]\n");
	free(buf);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(count_entries(), n0 + 1);

	/* An empty file is a file. */
	assert_int_equal(file_write_atomic(path, "", 0, 0644, (uid_t)-1,
	    (gid_t)-1), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(unlink(path), 0);
}

static void
test_write_atomic_errors(void **state)
{
	char path[256], sub[192];
	int n0 = count_entries();

	(void)state;
	/* A missing directory, a directory in the way, a name that is a
	 * directory: errors, and nothing is left behind. */
	snprintf(path, sizeof(path), "%s/missing/a.conf", dir);
	assert_int_equal(file_write_atomic(path, "x", 1, 0644, (uid_t)-1,
	    (gid_t)-1), -ENOENT);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(file_write_atomic(sub, "x", 1, 0644, (uid_t)-1,
	    (gid_t)-1), -EISDIR);
	snprintf(path, sizeof(path), "%s/", sub);
	assert_int_equal(file_write_atomic(path, "x", 1, 0644, (uid_t)-1,
	    (gid_t)-1), -EISDIR);
	assert_int_equal(count_entries(), n0 + 1);
	assert_int_equal(rmdir(sub), 0);
	assert_int_equal(file_fsync_dir(dir), 0);
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(file_fsync_dir(path), -ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regular),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_pipe),
		cmocka_unit_test(test_write_atomic),
		cmocka_unit_test(test_write_atomic_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
