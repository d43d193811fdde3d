/*
 * gen: the output formats of `netpol-record export`, each a file of its
 * own (cli/gen/format_*.c), in one table. A format builds one document
 * per recorded workload (build), or the documents of a whole namespace
 * (build_namespace: the ClusterNetworkPolicy baseline), from the index
 * (cli/source/index.h), with the pieces of cli/gen/policygen.h.
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
	const char *kind;	/* the kind of object it writes, for messages
				 * ("not expressible in a NetworkPolicy") */
	bool json;		/* written as JSON (a List when several), not
				 * as YAML documents */
	bool notes;		/* the policy's notes (warnings, what was
				 * left out) are repeated on stderr */
	/*
	 * One document per workload: the document of subject wl, *doc a
	 * new reference; r gets the notes of the policy built for it, if
	 * any (free with policygen_result_clear). 0 or -ENOMEM.
	 */
	int (*build)(const struct index *idx, const struct index_workload *wl,
	    const struct policygen_opts *o, struct policygen_result *r,
	    json_object **doc);
	/*
	 * Or (build NULL) documents per namespace: those of namespace ns,
	 * built from its subjects in idx, appended to the json array docs
	 * (one or more); r gets the notes of all of them, as for build.
	 * 0, -ENOMEM, or -E2BIG when they cannot be written within the
	 * API's limits.
	 */
	int (*build_namespace)(const struct index *idx, const char *ns,
	    const struct policygen_opts *o, struct policygen_result *r,
	    json_object *docs);
};

extern const struct gen_format gen_format_yaml;
extern const struct gen_format gen_format_json;
extern const struct gen_format gen_format_generated;
extern const struct gen_format gen_format_neighbors;
extern const struct gen_format gen_format_cilium;
extern const struct gen_format gen_format_clusternetworkpolicy;
extern const struct gen_format gen_format_neighborhood;

/* Every format, the default first; NULL-terminated. */
extern const struct gen_format *const gen_formats[];

/* The format named name, or NULL. */
const struct gen_format *gen_format_find(const char *name);

#endif
