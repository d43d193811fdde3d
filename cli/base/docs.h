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

/* The environment variable that raises (or lowers) the size limit of each
 * input file, FILE_MAX_DEFAULT (64 MiB) when unset: a number of bytes,
 * or of KiB, MiB, GiB with K, M, G (up to 64G). */
#define DOCS_MAX_ENV "NETPOL_RECORD_MAX_INPUT"

/*
 * The documents of path as a new JSON array (*out, the caller owns it;
 * an empty document is null). Returns 0, -EINVAL (not YAML or JSON, or
 * DOCS_MAX_ENV is no size), or -errno of reading it (-ENOENT, -EISDIR,
 * -EFBIG over the limit: FILE_MAX_DEFAULT or DOCS_MAX_ENV; standard
 * input and devices are read up to it, never further), with err saying
 * which, and for -EFBIG how to raise the limit.
 */
int docs_read(const char *path, json_object **out, char *err, size_t errlen);

/* The input limit: FILE_MAX_DEFAULT, or what DOCS_MAX_ENV says. 0, or
 * -EINVAL with err saying what is wrong with the variable. */
int docs_max_input(size_t *max, char *err, size_t errlen);

/* The same for a buffer; name is used in messages. */
int docs_parse(const char *buf, size_t len, const char *name,
    json_object **out, char *err, size_t errlen);

/* The name messages use for path ("-" is DOCS_STDIN_NAME). */
const char *docs_name(const char *path);

#endif
