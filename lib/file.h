/*
 * file: a whole file read into memory, the one way every part of
 * netpol-record reads its inputs (configuration, KnownServers, policies,
 * metadata Lists, kubeconfigs, CNI configuration lists), and a whole file
 * replaced atomically, the one way it writes a file that others read.
 *
 * Every read has a size limit: a regular file larger than it is refused
 * before anything is read, and anything else (standard input, a pipe,
 * /dev/zero) is read up to the limit and then refused, so that no input
 * can make a command grow without bound.
 */
#ifndef NPR_FILE_H
#define NPR_FILE_H

#include <stddef.h>
#include <sys/types.h>

/* The limit the commands use unless the user asks for more: 64 MiB. */
#define FILE_MAX_DEFAULT ((size_t)64 << 20)

/*
 * Read all of path ("-" is standard input) into a NUL-terminated buffer
 * (*out, the caller frees it; *len excludes the NUL). Returns 0, or:
 *   -EISDIR  path is a directory;
 *   -EFBIG   the input is longer than max bytes;
 *   -ENOMEM, or -errno of open/read (-ENOENT, -EACCES, -EIO, ...).
 * Nothing is allocated on error.
 */
int file_read(const char *path, size_t max, char **out, size_t *len);

/* The same from an open descriptor (not closed). */
int file_read_fd(int fd, size_t max, char **out, size_t *len);

/*
 * In the name of every temporary file file_write_atomic makes:
 * "<dir>/.<name>" FILE_TMP_MARK "XXXXXX". Hidden, and ending in none of
 * the target's suffixes, so that a program listing *.conf (a container
 * runtime) never reads a half-written file; a writer that holds its own
 * lock on the directory may remove the ones a crash left behind.
 */
#define FILE_TMP_MARK ".netpol-record.tmp."

/*
 * Replace path with data[0..len) atomically: a temporary file in path's
 * directory is written, given mode (and owner uid:gid unless uid is
 * (uid_t)-1; best effort: a process that may not chown keeps its own),
 * fsync'd, renamed over path, and the directory is fsync'd. A reader sees
 * the old file or the new one, never a mix, also after a crash. Returns 0,
 * -ENAMETOOLONG, -EISDIR (path ends in '/' or names a directory), or
 * -errno of the call that failed (-ENOSPC, -EACCES, -ENOENT for a missing
 * directory, ...); then path is unchanged and the temporary file is gone.
 */
int file_write_atomic(const char *path, const void *data, size_t len,
    mode_t mode, uid_t uid, gid_t gid);

/* fsync a directory, so that a rename or unlink in it survives a crash
 * (file systems that cannot are fine). 0 or -errno. */
int file_fsync_dir(const char *dir);

#endif
