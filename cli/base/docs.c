/*
 * docs: a file's YAML or JSON documents with messages naming the file
 * (see docs.h).
 */
#include "cli/base/docs.h"

#include <errno.h>
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

int
docs_read(const char *path, json_object **out, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len;
	int rc;

	*out = NULL;
	rc = file_read(path, FILE_MAX_DEFAULT, &buf, &len);
	if (rc == -EFBIG) {
		snprintf(err, errlen, "%s: larger than %zu MiB: is it the file "
		    "meant?", docs_name(path), FILE_MAX_DEFAULT >> 20);
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
