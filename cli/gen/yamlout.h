/*
 * yamlout: write json-c trees as block YAML with libyaml's emitter.
 *
 * Keys come out in insertion order (build trees in the order you want to
 * read them). Strings that a YAML 1.1 or 1.2 reader would take for
 * something else ("true", "no", "8080", "", "null", "~", "1e3", ...) are
 * double-quoted; integers, doubles, booleans and null are plain. Empty
 * objects and arrays are written as {} and [] (flow style).
 */
#ifndef NPR_CLI_YAMLOUT_H
#define NPR_CLI_YAMLOUT_H

#include <stddef.h>
#include <stdio.h>

#include <json-c/json.h>

/*
 * Write n documents (each starting with "---") to f. Returns 0, -EIO when
 * writing failed, -ENOMEM. n == 0 writes nothing.
 */
int yamlout_write(FILE *f, json_object *const *docs, size_t n);

/*
 * The same into a malloc'd NUL-terminated buffer: *out (caller frees) and
 * *len (without the NUL).
 */
int yamlout_to_buf(json_object *const *docs, size_t n, char **out,
    size_t *len);

/*
 * Streaming: one document at a time, so that a caller can build, write and
 * free each in turn (memory stays bounded by one document). begin returns
 * NULL on ENOMEM; doc and end return 0, -EIO or -ENOMEM, and after an
 * error the stream only reports it again. end frees ys in all cases and
 * writes nothing when no document was written.
 */
struct yamlout_stream;
struct yamlout_stream *yamlout_stream_begin(FILE *f);
int yamlout_stream_doc(struct yamlout_stream *ys, json_object *doc);
int yamlout_stream_end(struct yamlout_stream *ys);

/*
 * Write n documents as JSON to f: one document pretty-printed as is;
 * several (or zero) wrapped as {"apiVersion":"v1","kind":"List",
 * "items":[...]} which kubectl accepts. Ends with a newline. 0 or -EIO.
 */
int yamlout_write_json(FILE *f, json_object *const *docs, size_t n);

#endif
