/*
 * Replay a fuzz target's seed corpus without libFuzzer: make check builds
 * every tests/fuzz/fuzz_<name>.c with gcc against this main and runs each
 * file of tests/fuzz/corpus/<name>/ through LLVMFuzzerTestOneInput, so a
 * parser regression on a stored input fails the suite.
 *
 *   fuzz_<name> [FILE|DIR ...]   (default: tests/fuzz/corpus/<name>)
 */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long len;
	int rc = -1;

	if (f == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		/* One spare byte so an empty input is still a valid pointer. */
		buf = malloc((size_t)len + 1);
		if (buf != NULL && fread(buf, 1, (size_t)len, f) == (size_t)len) {
			LLVMFuzzerTestOneInput(buf, (size_t)len);
			rc = 0;
		}
	}
	free(buf);
	fclose(f);
	return rc;
}

static int
run_path(const char *path, int *count)
{
	struct stat sb;
	struct dirent **names;
	char sub[4096];
	int i, n, rc = 0;

	if (stat(path, &sb) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		(*count)++;
		return run_file(path);
	}
	n = scandir(path, &names, NULL, alphasort);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			snprintf(sub, sizeof(sub), "%s/%s", path,
			    names[i]->d_name);
			if (run_path(sub, count) < 0)
				rc = -1;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int
main(int argc, char **argv)
{
	char self[4096], dir[4200];
	const char *name;
	int i, count = 0, rc = 0;

	if (argc > 1) {
		for (i = 1; i < argc; i++)
			if (run_path(argv[i], &count) < 0)
				rc = 1;
	} else {
		snprintf(self, sizeof(self), "%s", argv[0]);
		name = basename(self);
		if (strncmp(name, "fuzz_", 5) == 0)
			name += 5;
		snprintf(dir, sizeof(dir), "tests/fuzz/corpus/%s", name);
		if (run_path(dir, &count) < 0)
			rc = 1;
	}
	printf("%d inputs replayed\n", count);
	if (count == 0) {
		fprintf(stderr, "no corpus inputs found\n");
		rc = 1;
	}
	return rc;
}
