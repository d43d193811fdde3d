/*
 * check_load: NetworkPolicies and Namespace labels from files, directories
 * and standard input into an npeval set, with messages that name the file
 * (and line:column or the field).
 */
#ifndef NPR_CLI_EVAL_CHECK_LOAD_H
#define NPR_CLI_EVAL_CHECK_LOAD_H

#include <stddef.h>

#include <json-c/json.h>

#include "cli/eval/npeval.h"

/*
 * Load NetworkPolicies from path into set: a YAML or JSON file (several
 * documents, Lists), a directory (its *.yaml, *.yml and *.json files in
 * name order, not recursively) or "-" for standard input. Policies without
 * a namespace get default_ns. Objects that are not NetworkPolicies are
 * counted in *nskipped. Returns 0, -EINVAL with err naming the file (and
 * line:column or the field), or -errno when a file cannot be read.
 */
int check_load_policies(struct npeval_set *set, const char *path,
    const char *default_ns, size_t *nskipped, char *err, size_t errlen);

/*
 * The policy-loading sequence of the commands: a new set (*out, free with
 * npeval_set_free) with the policies of every path of paths (as
 * check_load_policies) and the namespace labels of every file of nsfiles
 * (as check_load_namespaces). On error *out is NULL and err says what.
 */
int check_load_set(const char *const *paths, size_t npaths,
    const char *const *nsfiles, size_t nnsfiles, const char *default_ns,
    struct npeval_set **out, size_t *nskipped, char *err, size_t errlen);

/* The same for a buffer; name is used in messages. */
int check_load_policies_buf(struct npeval_set *set, const char *buf,
    size_t len, const char *name, const char *default_ns, size_t *nskipped,
    char *err, size_t errlen);

/*
 * Namespace objects (`kubectl get namespaces -o yaml`: a List, several
 * documents, or JSON) from path ("-": standard input) into *map, created
 * when NULL (caller owns it): {"namespace": {labels}}. Other kinds are
 * ignored. For npeval_set_namespaces. 0, -EINVAL with err naming the file,
 * -errno when it cannot be read.
 */
int check_load_namespaces(const char *path, json_object **map, char *err,
    size_t errlen);

#endif
