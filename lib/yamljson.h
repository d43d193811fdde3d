/*
 * yamljson: YAML and JSON text to json-c objects, with errors that name
 * line:column. For the daemon's configuration (with where every value
 * is: yamljson_parse_marked), the metadata List file, kubeconfig files
 * and the CLI's NetworkPolicy / KnownServer documents.
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

#include <stdbool.h>
#include <stddef.h>

struct json_object;

/*
 * The limits of every YAML and JSON input, the same for all: the nodes of
 * one document once aliases are expanded (each document of a stream has
 * its own budget; anchors and aliases are per document), and how deep
 * sequences and mappings may nest. Errors name them.
 */
#define YAMLJSON_MAX_NODES (16u << 20)
#define YAMLJSON_MAX_DEPTH 256

/*
 * Parse every YAML document in buf (a JSON text is a YAML document too).
 * *out gets a new json array with one element per document (empty
 * documents are null; no document at all gives an empty array); the
 * caller owns it (json_object_put). On error *out is NULL, err gets
 * "line L, column C: problem" and the return is -EINVAL (also for nesting
 * deeper than YAMLJSON_MAX_DEPTH), -ENOMEM, or -E2BIG (a document over
 * YAMLJSON_MAX_NODES).
 */
int yamljson_parse(const char *buf, size_t len, struct json_object **out,
    char *err, size_t errlen);

/*
 * A YAML stream without its whole tree: the elements of one sequence, the
 * value of key in a document's root mapping (a List's "items"), are handed
 * to item() one by one as each is complete, and dropped; the rest is built
 * as yamljson_parse() builds it. Each callback borrows the objects it is
 * given (json_object_get() to keep one) and returns 0 or a -errno that
 * stops the parse (err is then left to the callback).
 *   item  an element (NULL for a null), idx counting from 0 in its
 *         sequence; not called for a sequence with an anchor, which is
 *         built whole as an alias to it needs it.
 *   pair  (may be NULL) a key of a document's root mapping and its value
 *         once complete, in document order, duplicates included; for the
 *         streamed sequence, an array left empty.
 *   doc   a document, at its end (NULL for an empty one); docno counts
 *         from 0.
 */
struct yamljson_stream {
	const char *key;
	int (*item)(void *arg, struct json_object *item, size_t idx);
	int (*pair)(void *arg, const char *key, struct json_object *value);
	int (*doc)(void *arg, struct json_object *doc, size_t docno);
	void *arg;
};

/*
 * Parse buf as yamljson_parse() does, calling s's callbacks instead of
 * returning the documents: the same values, the same errors (line:column,
 * the same limits per document, streamed items included). Returns 0,
 * yamljson_parse()'s errors, or a callback's.
 */
int yamljson_parse_stream(const char *buf, size_t len,
    const struct yamljson_stream *s, char *err, size_t errlen);

/*
 * Where something was written in the text: 1-based line and column (0
 * when unknown).
 */
struct yamljson_pos {
	size_t line, col;
};

struct yamljson_marks;

/*
 * yamljson_parse() that also says where things are, for messages that
 * name file:line:column of a value (the daemon's configuration): *marks
 * learns where each node of *out, each key of a mapping and each document
 * starts (the caller frees it with yamljson_marks_free(), and uses it
 * while *out lives: it finds nodes by address). On error *errpos gets the
 * position and err the problem alone, without "line L, column C: ". For
 * small documents (the lookups are linear).
 */
int yamljson_parse_marked(const char *buf, size_t len,
    struct json_object **out, struct yamljson_marks **marks,
    struct yamljson_pos *errpos, char *err, size_t errlen);

/* Where node (an object of the tree: YAML nulls have none) started;
 * false when it is not known. */
bool yamljson_pos_of(const struct yamljson_marks *m,
    const struct json_object *node, struct yamljson_pos *out);
/* Where key of mapping map was written (the first time). */
bool yamljson_key_pos(const struct yamljson_marks *m,
    const struct json_object *map, const char *key, struct yamljson_pos *out);
/* Where document doc (from 0) started. */
bool yamljson_doc_pos(const struct yamljson_marks *m, size_t doc,
    struct yamljson_pos *out);
void yamljson_marks_free(struct yamljson_marks *m);

/* The 1-based line and column of byte off of buf (len bytes), for
 * errors of readers that work on the text themselves. */
void yamljson_linecol(const char *buf, size_t len, size_t off, size_t *line,
    size_t *col);

/* Does yamljson_parse_any() read buf as JSON (first non-blank byte '{' or
 * '[')? */
bool yamljson_is_json(const char *buf, size_t len);

/*
 * Parse one JSON text with json-c (faster than YAML and exact about
 * numbers), nesting at most YAMLJSON_MAX_DEPTH deep. Errors name
 * line:column of the offending byte. Returns 0, -EINVAL or -ENOMEM; the
 * caller owns *out.
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
