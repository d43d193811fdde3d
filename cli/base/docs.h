/*
 * docs: the YAML or JSON documents of a file (or of standard input, "-"),
 * read whole with lib/file's size limit and parsed with lib/yamljson, with
 * messages that name the file: "FILE:LINE:COLUMN: ..." for a
 * syntax error, "FILE: ..." when it cannot be read. For the CLI's inputs:
 * NetworkPolicies, Namespaces, KnownServers.
 */
#ifndef NPR_CLI_BASE_DOCS_H
#define NPR_CLI_BASE_DOCS_H

#include <stddef.h>

#include <json-c/json.h>

/* What messages call standard input. */
#define DOCS_STDIN_NAME "<stdin>"

/*
 * The documents of path as a new JSON array (*out, the caller owns it;
 * an empty document is null). Returns 0, -EINVAL (not YAML or JSON),
 * or -errno of reading it (-ENOENT, -EISDIR, -EFBIG over
 * FILE_MAX_DEFAULT, ...), with err saying which.
 */
int docs_read(const char *path, json_object **out, char *err, size_t errlen);

/* The same for a buffer; name is used in messages. */
int docs_parse(const char *buf, size_t len, const char *name,
    json_object **out, char *err, size_t errlen);

/* The name messages use for path ("-" is DOCS_STDIN_NAME). */
const char *docs_name(const char *path);

#endif
