/*
 * docs: a file's YAML or JSON documents with messages naming the file
 * (see docs.h).
 */
#include "cli/base/docs.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/file.h"
#include "lib/yamljson.h"

const char *
docs_name(const char *path)
{
	return strcmp(path, "-") == 0 ? DOCS_STDIN_NAME : path;
}

int
docs_parse(const char *buf, size_t len, const char *name, json_object **out,
    char *err, size_t errlen)
{
	char perr[512];
	unsigned line, col;
	int rc, off = -1;

	*out = NULL;
	rc = yamljson_parse_any(buf, len, out, perr, sizeof(perr));
	if (rc == 0)
		return 0;
	/* yamljson's "line L, column C: what" as "name:L:C: what". */
	if (sscanf(perr, "line %u, column %u: %n", &line, &col, &off) == 2 &&
	    off > 0)
		snprintf(err, errlen, "%s:%u:%u: %s", name, line, col,
		    perr + off);
	else
		snprintf(err, errlen, "%s: %s", name, perr);
	return rc == -ENOMEM ? rc : -EINVAL;
}

/* Up to 64 GiB: a bound that still means something. */
#define DOCS_MAX_CEILING ((uint64_t)64 << 30)

int
docs_max_input(size_t *max, char *err, size_t errlen)
{
	const char *v = getenv(DOCS_MAX_ENV);
	uint64_t n, unit = 1;
	char *end;

	*max = FILE_MAX_DEFAULT;
	if (v == NULL || *v == '\0')
		return 0;
	errno = 0;
	n = strtoull(v, &end, 10);
	switch (*end) {
	case 'K': case 'k': unit = 1 << 10; end++; break;
	case 'M': case 'm': unit = 1 << 20; end++; break;
	case 'G': case 'g': unit = 1 << 30; end++; break;
	default: break;
	}
	if (*v < '0' || *v > '9' || errno != 0 || *end != '\0' || n == 0 ||
	    n > DOCS_MAX_CEILING / unit || n * unit > SIZE_MAX) {
		snprintf(err, errlen, "%s=%s: expected a size from 1 to 64G, "
		    "such as 256M", DOCS_MAX_ENV, v);
		return -EINVAL;
	}
	*max = (size_t)(n * unit);
	return 0;
}

/* 64 MiB, 512 KiB, 1000 bytes. */
static void
size_text(size_t n, char *buf, size_t len)
{
	if (n % (1u << 30) == 0)
		snprintf(buf, len, "%zu GiB", n >> 30);
	else if (n % (1u << 20) == 0)
		snprintf(buf, len, "%zu MiB", n >> 20);
	else if (n % (1u << 10) == 0)
		snprintf(buf, len, "%zu KiB", n >> 10);
	else
		snprintf(buf, len, "%zu bytes", n);
}

int
docs_read(const char *path, json_object **out, char *err, size_t errlen)
{
	char *buf = NULL, lim[32];
	size_t len, max;
	int rc;

	*out = NULL;
	if ((rc = docs_max_input(&max, err, errlen)) < 0)
		return rc;
	rc = file_read(path, max, &buf, &len);
	if (rc == -EFBIG) {
		size_text(max, lim, sizeof(lim));
		snprintf(err, errlen, "%s: larger than %s, the limit of an "
		    "input: is it the file meant? To read a larger one, set %s "
		    "(such as %s=1G)", docs_name(path), lim, DOCS_MAX_ENV,
		    DOCS_MAX_ENV);
		return rc;
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", docs_name(path), strerror(-rc));
		return rc;
	}
	rc = docs_parse(buf, len, docs_name(path), out, err, errlen);
	free(buf);
	return rc;
}
