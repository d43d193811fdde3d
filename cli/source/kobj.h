/*
 * kobj: fields of Kubernetes API objects read strictly, for the cluster
 * source's readers (TrafficProfile, RecorderStatus): each getter checks
 * the type (and range) and, when a field is missing or wrong, writes
 * "PATHKEY: what" into err ("spec.entries[3].port: not an integer in
 * 0..65535") and returns -EINVAL. path is the prefix of the object's
 * fields ("spec.", "spec.entries[3]."). Absent optional fields leave
 * *out as the caller set it. Nothing allocates.
 */
#ifndef NPR_CLI_SOURCE_KOBJ_H
#define NPR_CLI_SOURCE_KOBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "lib/addr.h"

/* A string (borrowed from o); required ones must not be empty. */
int kobj_str(json_object *o, const char *key, bool required,
    const char **out, const char *path, char *err, size_t errlen);
/* An integer in min..max. */
int kobj_int(json_object *o, const char *key, bool required, int64_t min,
    int64_t max, int64_t *out, const char *path, char *err, size_t errlen);
int kobj_bool(json_object *o, const char *key, bool required, bool *out,
    const char *path, char *err, size_t errlen);
/* An object or an array (borrowed); NULL when absent and optional. */
int kobj_obj(json_object *o, const char *key, bool required,
    json_object **out, const char *path, char *err, size_t errlen);
int kobj_arr(json_object *o, const char *key, bool required,
    json_object **out, const char *path, char *err, size_t errlen);
/* An RFC 3339 time, as Unix seconds. */
int kobj_time(json_object *o, const char *key, bool required, int64_t *out,
    const char *path, char *err, size_t errlen);
/* An IP address. */
int kobj_addr(json_object *o, const char *key, bool required,
    struct addr *out, const char *path, char *err, size_t errlen);

#endif
