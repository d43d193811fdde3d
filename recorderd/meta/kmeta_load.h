/*
 * kmeta_load: a whole Kubernetes List (a file, or a buffer) into the
 * metadata cache, replacing what it held only when every item is valid.
 */
#ifndef NPR_KMETA_LOAD_H
#define NPR_KMETA_LOAD_H

#include <stddef.h>

#include "recorderd/meta/kmeta.h"

/*
 * Replace the whole content from a Kubernetes List (JSON, or YAML with one
 * or more documents) in buf: what `kubectl get pods,replicasets,...,
 * namespaces,nodes -A -o json` prints. Items of kinds not cached are
 * skipped. On error nothing changes (the cache keeps its last good state)
 * and err gets a message naming line:column where possible. Returns 0,
 * -EINVAL (not parseable, not a List, an item of a known kind with wrong
 * field types) or -ENOMEM.
 */
int kmeta_load_list(struct kmeta *km, const char *buf, size_t len,
    char *err, size_t errlen);
/* The same from a file; err names the file. -errno of open/read too,
 * -EFBIG over KMETA_MAX_FILE. */
#define KMETA_MAX_FILE (512u << 20)
int kmeta_load_list_file(struct kmeta *km, const char *path, char *err,
    size_t errlen);

#endif
