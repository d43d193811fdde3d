/*
 * tpname: the names and label values of the objects netpol-record
 * publishes to the Kubernetes API (install/kubernetes/README.md, "Names"):
 * what the publisher in netpol-recorderd writes and the CLI's cluster
 * reader looks up must be the same bytes. The rule's test vectors are
 * tests/fixtures/k8s/trafficprofile-names.json.
 *
 * Nothing here allocates, prints or fails: results are cut to the
 * caller's buffer, which should hold TPNAME_OBJECT_MAX + 1 (names) or
 * TPNAME_LABEL_MAX + 1 (label values) bytes.
 */
#ifndef NPR_TPNAME_H
#define NPR_TPNAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TPNAME_OBJECT_MAX 253	/* a DNS-1123 subdomain */
#define TPNAME_LABEL_MAX 63	/* a label value */

/* 64-bit FNV-1a of s (offset basis 0xcbf29ce484222325, prime
 * 0x100000001b3). */
uint64_t tpname_fnv1a(const char *s);

/*
 * s itself when it has at most limit bytes; otherwise its first
 * limit - 17 bytes without trailing '-', '.' and '_', then '-' and the
 * FNV-1a of the whole of s as 16 lower-case hex digits.
 */
void tpname_shorten(const char *s, size_t limit, char *out, size_t outlen);

/* The TrafficProfile of workload (kind, name) on node:
 * shorten(lower(kind) "-" name "-" node, 253). */
void tpname_profile(const char *kind, const char *name, const char *node,
    char *out, size_t outlen);

/* A label value for value (a workload's or a node's name):
 * shorten(value, 63). */
void tpname_label(const char *value, char *out, size_t outlen);

/*
 * Is the n bytes at s a part of a peer reference ("KIND/NAME",
 * "NAMESPACE/KIND/NAME") as the TrafficProfile CRD's pattern takes it:
 * a namespace (dots false: a DNS-1123 label, at most 63) or a name (dots
 * true: a DNS-1123 subdomain, at most 253)? Lower-case letters, digits,
 * '-' (and '.'), a letter or digit at both ends.
 */
bool tpname_ref_part_ok(const char *s, size_t n, bool dots);

#endif
