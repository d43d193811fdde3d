/*
 * policygen_util: small pieces every policygen_*.c file uses: sorting,
 * adding json members, protocol names, the note lists of a
 * policygen_result. Internal to policygen: include only from
 * cli/policygen*.c.
 */
#ifndef NPR_CLI_POLICYGEN_UTIL_H
#define NPR_CLI_POLICYGEN_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "cli/gen/policygen.h"

/* qsort that accepts an empty (possibly NULL) array. */
void policygen_sort(void *base, size_t n, size_t size,
    int (*cmp)(const void *, const void *));

/*
 * Add val under key to object o, taking the reference. key must be a
 * string literal added once per object (see policygen_util.c for why).
 */
void policygen_obj_add(json_object *o, const char *key, json_object *val);
/* The same for a new json string copied from val. */
void policygen_add_str(json_object *o, const char *key, const char *val);

/* "TCP", "UDP", "SCTP", "ICMP"...; "unknown" for any other protocol. */
const char *policygen_proto_name(int proto);
bool policygen_is_icmp(int proto);
/* Does the protocol have ports a NetworkPolicy can name? */
bool policygen_port_proto(int proto);

/* src in lower case into dst (truncated to len - 1 characters). */
void policygen_lower_copy(char *dst, size_t len, const char *src);

/* A LabelSelector that selects everything ({} or empty matchLabels). */
bool policygen_selector_empty(json_object *sel);

/* Append a formatted message to l (owned copy). 0 or -ENOMEM. */
int policygen_list_add(struct policygen_list *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Sort l and drop duplicates. */
void policygen_list_finish(struct policygen_list *l);
/* Free every message and the array; l is empty after. */
void policygen_list_clear(struct policygen_list *l);
/* The items joined with "; " as a new json string (NULL when empty). */
json_object *policygen_list_json(const struct policygen_list *l);

#endif
