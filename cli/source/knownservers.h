/*
 * knownservers (ks_): KnownServer entries, read from Kubescape-style YAML
 * documents (or fed by a source, cli/source/index.h), and matched against
 * addresses.
 *
 * A file holds one or more documents (apiVersion Kubescape's, or ours,
 * netpol-record.io/v1alpha1, with the same spec):
 *   apiVersion: spdx.softwarecomposition.kubescape.io/v1beta1
 *   kind: KnownServer
 *   metadata: { name: payments }
 *   spec:
 *   - { ipBlock: 198.51.100.10/24, name: card-gateway,
 *       server: pay.example.com }
 * IPv4 and IPv6; a host address in the CIDR means its network.
 *
 * Matching: of the entries whose CIDR contains the address, the one with
 * the longest prefix wins; among equally long ones, the first in
 * (cidr, source, server, name) order, so the choice never depends on the
 * order files were given in.
 */
#ifndef NPR_CLI_SOURCE_KNOWNSERVERS_H
#define NPR_CLI_SOURCE_KNOWNSERVERS_H

#include <stddef.h>

#include <json-c/json.h>

#include "lib/addr.h"

struct ks_entry {
	struct addr_cidr cidr;	/* the network (host bits cleared) */
	char *source;		/* the KnownServer's metadata.name; owned */
	char *server;		/* "" when absent; owned */
	char *name;		/* "" when absent; owned */
};

struct ks_set;

/* An empty set; NULL on ENOMEM. Free with ks_set_free (NULL is fine). */
struct ks_set *ks_set_new(void);
void ks_set_free(struct ks_set *ks);

/* Add one entry (strings copied; server/name may be NULL). 0 or -ENOMEM. */
int ks_add(struct ks_set *ks, const char *source,
    const struct addr_cidr *cidr, const char *server, const char *name);

/*
 * Parse a buffer holding KnownServer documents (YAML or JSON) and add
 * their entries to ks. fname is only used in messages. All or nothing: on
 * any error nothing is added, -EINVAL is returned and err says where:
 * "fname:line:column: what" when it is not YAML, else "fname: document N
 * (KnownServer NAME): spec[I]: what" (wrong apiVersion/kind, missing
 * metadata.name or spec, a spec item without ipBlock, a bad CIDR, a field
 * of the wrong type).
 */
int ks_parse_buf(struct ks_set *ks, const char *buf, size_t len,
    const char *fname, char *err, size_t errlen);

/* One KnownServer object (an item of a list the API server gave, say);
 * where names it in messages. All or nothing, as ks_parse_buf. */
int ks_parse_object(struct ks_set *ks, json_object *doc, const char *where,
    char *err, size_t errlen);

/* ks_parse_buf on a file's contents ("-": standard input); -errno when
 * it cannot be read. */
int ks_load_file(struct ks_set *ks, const char *path, char *err,
    size_t errlen);

/* Entries in (cidr, source, server, name) order; borrowed. */
size_t ks_count(const struct ks_set *ks);
const struct ks_entry *ks_get(const struct ks_set *ks, size_t i);

/* The entry with the longest prefix containing a, or NULL. */
const struct ks_entry *ks_match(const struct ks_set *ks,
    const struct addr *a);

/* The distinct sources (metadata.name) in ks, sorted; borrowed. */
size_t ks_nsources(const struct ks_set *ks);
const char *ks_source(const struct ks_set *ks, size_t i);

#endif
