/*
 * policygen_rules: sorted tuples of one direction -> the rules array of a
 * NetworkPolicy. Internal to policygen: include only from
 * cli/policygen*.c.
 *
 * The tuples of a peer give it a port set; peers with equal port sets
 * become one rule, rules are ordered by their first peer, and within a
 * rule workloads with the same selector are written once.
 */
#ifndef NPR_CLI_POLICYGEN_RULES_H
#define NPR_CLI_POLICYGEN_RULES_H

#include <json-c/json.h>

#include "cli/source/index.h"
#include "cli/gen/policygen_tup.h"

/* The shared (protocol, port) json objects of one policy. */
struct policygen_portcache;

/* A new, empty cache (NULL on ENOMEM); free with policygen_portcache_free,
 * which drops the cache's references (NULL is a no-op). */
struct policygen_portcache *policygen_portcache_new(void);
void policygen_portcache_free(struct policygen_portcache *pc);

/*
 * The rules array ("to"/"from" and "ports" per rule) of wl's direction
 * from tv, sorted with policygen_tup_cmp: *out is a new reference, or
 * NULL when tv is empty. Port objects come from pc. 0 or -ENOMEM.
 */
int policygen_rules_build(const struct index_workload *wl, int direction,
    const struct policygen_tupv *tv, struct policygen_portcache *pc,
    json_object **out);

/* {"matchLabels":{"kubernetes.io/metadata.name": ns}} (new reference). */
json_object *policygen_ns_selector(const char *ns);

#endif
