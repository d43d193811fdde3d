/*
 * yamljson: YAML and JSON text to json-c objects, with errors that name
 * line:column. For the metadata List file, kubeconfig files and the CLI's
 * NetworkPolicy / KnownServer documents.
 *
 * YAML scalars follow the YAML 1.2 core schema: plain null, ~, true,
 * false, integers (decimal, 0x, 0o) and floats become JSON values; quoted
 * scalars and anything else stay strings; the tags !!str, !!int, !!float,
 * !!bool and !!null force a type. Anchors and aliases are expanded (with a
 * cap on the expanded size against alias bombs). Mapping keys must be
 * scalars.
 */
#ifndef NPR_YAMLJSON_H
#define NPR_YAMLJSON_H

#include <stddef.h>

struct json_object;

/* Upper bound on the nodes of a document after alias expansion. */
#define YAMLJSON_MAX_NODES (16u << 20)

/*
 * Parse every YAML document in buf (a JSON text is a YAML document too).
 * *out gets a new json array with one element per document (empty
 * documents are null; no document at all gives an empty array); the
 * caller owns it (json_object_put). On error *out is NULL, err gets
 * "line L, column C: problem" and the return is -EINVAL (or -ENOMEM,
 * -E2BIG over YAMLJSON_MAX_NODES).
 */
int yamljson_parse(const char *buf, size_t len, struct json_object **out,
    char *err, size_t errlen);

/*
 * Parse one JSON text with json-c (faster than YAML and exact about
 * numbers). Errors name line:column of the offending byte. Returns 0,
 * -EINVAL or -ENOMEM; the caller owns *out.
 */
int yamljson_parse_json(const char *buf, size_t len, struct json_object **out,
    char *err, size_t errlen);

/*
 * Either: JSON when the first non-blank byte is '{' or '[', YAML
 * otherwise. *out is always an array of documents (one for JSON).
 */
int yamljson_parse_any(const char *buf, size_t len, struct json_object **out,
    char *err, size_t errlen);

#endif
