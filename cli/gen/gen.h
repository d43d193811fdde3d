/*
 * gen: the output formats of `netpol-record export`, each a file of its
 * own (cli/gen/format_*.c), in one table. A format builds one document
 * per recorded workload from the index (cli/source/index.h), with the
 * NetworkPolicy machinery of cli/gen/policygen.h where it needs it.
 *
 * Adding a format: write cli/gen/format_NAME.c defining a const struct
 * gen_format, declare it below, and add it to gen_formats[] (formats.c).
 */
#ifndef NPR_CLI_GEN_GEN_H
#define NPR_CLI_GEN_GEN_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "cli/gen/policygen.h"
#include "cli/source/index.h"

struct gen_format {
	const char *name;	/* what -o names it by */
	const char *help;	/* a few words for --help */
	bool json;		/* written as JSON (a List when several), not
				 * as YAML documents */
	bool notes;		/* the policy's notes (warnings, what was
				 * left out) are repeated on stderr */
	/*
	 * The document of subject wl: *doc a new reference; r gets the notes
	 * of the policy built for it, if any (free with
	 * policygen_result_clear). 0 or -ENOMEM.
	 */
	int (*build)(const struct index *idx, const struct index_workload *wl,
	    const struct policygen_opts *o, struct policygen_result *r,
	    json_object **doc);
};

extern const struct gen_format gen_format_yaml;
extern const struct gen_format gen_format_json;
extern const struct gen_format gen_format_generated;
extern const struct gen_format gen_format_neighbors;

/* Every format, the default first; NULL-terminated. */
extern const struct gen_format *const gen_formats[];

/* The format named name, or NULL. */
const struct gen_format *gen_format_find(const char *name);

#endif
