/*
 * install_int.h: what the pieces of the installer (cni/install*.c) share.
 * Not a public interface: only cni/install*.c include it; everyone else
 * uses cni/install.h.
 *
 *   install_json.c   strict JSON parsing, the one output format, and a
 *                    single-plugin configuration seen as a list
 *   install_entry.c  our entry: build it, add, remove, compare, find it
 *   install_fs.c     the file side: listing a configuration directory,
 *                    reading, atomic writes, locking, notes
 *   install.c        cniinst_install
 *   install_undo.c   cniinst_uninstall
 *   install_cli.c    the install / uninstall subcommands
 */
#ifndef NPR_CNIINST_INT_H
#define NPR_CNIINST_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "cni/install.h"

/* ---- install_json.c ---- */

/* printf into err[0..errlen) (nothing when err is NULL or errlen 0). */
void cniinst_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Parse json[0..len) as one JSON object, strictly. 0 with *out a new
 * reference (caller puts it), -EINVAL with err set, or -ENOMEM. */
int cniinst_parse_object(const char *json, size_t len, json_object **out,
    char *err, size_t errlen);

/* o[key] when it is a string (borrowed from o), else NULL. */
const char *cniinst_get_string(json_object *o, const char *key);

/* Is this plugin object of type netpol-record-cni? */
bool cniinst_is_ours(json_object *plugin);

/* o in the one output format, with a final newline; *out is malloc'd
 * (caller frees). 0 or -ENOMEM. */
int cniinst_serialize(json_object *o, char **out);

/* A new object with o's members except skip1 and skip2 (either may be
 * NULL); NULL when out of memory. */
json_object *cniinst_copy_without(json_object *o, const char *skip1,
    const char *skip2);

/* root as a configuration list (a new reference in *out); *converted
 * tells whether root was a single-plugin configuration. 0, -EINVAL with
 * err set, or -ENOMEM. */
int cniinst_normalize(json_object *root, json_object **out,
    bool *converted, char *err, size_t errlen);

/* ---- install_fs.c ---- */

/* Report one line through o->note (nothing when o or o->note is NULL). */
void cniinst_note(const struct cniinst_opts *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Does s end in suffix (and is longer than it)? */
bool cniinst_has_suffix(const char *s, const char *suffix);

/* Is name one a runtime reads (*.conf, *.conflist, *.json)? */
bool cniinst_is_config_name(const char *name);

/* Free n names and the array (as made by cniinst_list_configs). */
void cniinst_free_names(char **names, size_t n);

/* The configuration files in dir, sorted by bytes, in *out (free with
 * cniinst_free_names); with clean, stale temporary files of ours are
 * removed. 0 or -errno (err set for an unreadable dir). */
int cniinst_list_configs(const char *dir, bool clean, char ***out,
    size_t *nout, char *err, size_t errlen);

/* dir/name into buf; 0 or -ENAMETOOLONG. */
int cniinst_path_join(char *buf, size_t len, const char *dir,
    const char *name);

/* A whole regular file, NUL-terminated, at most max bytes, into *out
 * (malloc'd, caller frees); follow allows a symbolic link. 0, -EINVAL
 * (not a regular file), -EFBIG, -ELOOP or another -errno. */
int cniinst_read_file(const char *path, size_t max, char **out,
    size_t *outlen, struct stat *st, bool follow);

/* fsync a directory; 0 or -errno. */
int cniinst_fsync_dir(const char *dir);

/* Write data to dir/name atomically with mode (and uid:gid unless uid is
 * (uid_t)-1); 0 or -errno. */
int cniinst_write_atomic(const char *dir, const char *name,
    const char *data, size_t len, mode_t mode, uid_t uid, gid_t gid);

/* Lock dir exclusively: a descriptor for cniinst_unlock_dir, or -errno
 * with err set. */
int cniinst_lock_dir(const char *dir, char *err, size_t errlen);
void cniinst_unlock_dir(int fd);

#endif
