/*
 * kname: the names of the objects the recorders publish
 * (install/kubernetes/README.md, "Names"): a TrafficProfile's
 * metadata.name and the label values that select it. The publisher
 * and the reader compute them with these functions, so that they agree;
 * tests/fixtures/k8s/trafficprofile-names.json holds the cases both must
 * give.
 */
#ifndef NPR_KNAME_H
#define NPR_KNAME_H

#include <stddef.h>

/* Longest object name and label value, NUL included. */
#define KNAME_OBJECT_LEN 254
#define KNAME_LABEL_LEN 64

/*
 * s itself when at most limit bytes; else its first limit - 17 bytes
 * with trailing '-', '.' and '_' removed, '-', and the 64-bit FNV-1a
 * hash of the whole of s as 16 hex digits. Into buf (limit + 1 bytes at
 * least); returns buf.
 */
char *kname_shorten(const char *s, size_t limit, char *buf, size_t len);

/* The TrafficProfile of workload (kind, name) on node: buf of at least
 * KNAME_OBJECT_LEN. */
char *kname_profile(const char *kind, const char *name, const char *node,
    char *buf, size_t len);

/* The label value of a workload's or node's name: buf of at least
 * KNAME_LABEL_LEN. */
char *kname_label(const char *value, char *buf, size_t len);

#endif
