/*
 * file: a whole file read into memory, the one way every part of
 * netpol-record reads its inputs (configuration, KnownServers, policies,
 * metadata Lists, kubeconfigs, CNI configuration lists).
 *
 * Every read has a size limit: a regular file larger than it is refused
 * before anything is read, and anything else (standard input, a pipe,
 * /dev/zero) is read up to the limit and then refused, so that no input
 * can make a command grow without bound.
 */
#ifndef NPR_FILE_H
#define NPR_FILE_H

#include <stddef.h>

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

#endif
