/*
 * file: read a whole file with a size limit; replace one atomically.
 */
#include "lib/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
file_read_fd(int fd, size_t max, char **out, size_t *len)
{
	struct stat sb;
	size_t n = 0, cap;
	char *buf = NULL, *nb;
	ssize_t r;
	int rc = 0;

	*out = NULL;
	*len = 0;
	if (fstat(fd, &sb) < 0)
		return -errno;
	if (S_ISDIR(sb.st_mode))
		return -EISDIR;
	/* A regular file says its size: refuse a large one before reading,
	 * and read a small one in one go. Anything else is read as it
	 * comes, up to max (one byte more tells that there was more). */
	if (S_ISREG(sb.st_mode)) {
		if ((uint64_t)sb.st_size > max)
			return -EFBIG;
		cap = (size_t)sb.st_size + 1;
	} else
		cap = 64 * 1024;
	if ((buf = malloc(cap)) == NULL)
		return -ENOMEM;
	for (;;) {
		char more;

		if (n + 1 == cap) {
			/* Full: one byte more tells whether the input goes on
			 * (a regular file that grew, or a stream). */
			if ((r = read(fd, &more, 1)) < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				rc = r < 0 ? -errno : 0;
				break;
			}
			cap = cap > max / 2 ? max + 2 : cap * 2;
			if ((nb = realloc(buf, cap)) == NULL) {
				rc = -ENOMEM;
				break;
			}
			buf = nb;
			buf[n++] = more;
		} else {
			r = read(fd, buf + n, cap - 1 - n);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				rc = r < 0 ? -errno : 0;
				break;
			}
			n += (size_t)r;
		}
		if (n > max) {
			rc = -EFBIG;
			break;
		}
	}
	if (rc < 0)
		goto out;
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
out:
	free(buf);
	return rc;
}

int
file_read(const char *path, size_t max, char **out, size_t *len)
{
	int fd, rc;

	*out = NULL;
	*len = 0;
	if (strcmp(path, "-") == 0)
		return file_read_fd(STDIN_FILENO, max, out, len);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	rc = file_read_fd(fd, max, out, len);
	close(fd);
	return rc;
}

int
file_fsync_dir(const char *dir)
{
	int fd, ret = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	if (fsync(fd) != 0 && errno != EINVAL)
		ret = -errno;
	close(fd);
	return ret;
}

int
file_write_atomic(const char *path, const void *data, size_t len,
    mode_t mode, uid_t uid, gid_t gid)
{
	char dir[4096], tmp[4096];
	const char *slash = strrchr(path, '/'), *name;
	size_t off = 0;
	ssize_t w;
	int fd = -1, ret;

	/* The directory (for the temporary file and the fsync) and the
	 * name in it. */
	if (slash == NULL) {
		snprintf(dir, sizeof(dir), ".");
		name = path;
	} else if ((size_t)snprintf(dir, sizeof(dir), "%.*s",
	    slash == path ? 1 : (int)(slash - path), path) >= sizeof(dir))
		return -ENAMETOOLONG;
	else
		name = slash + 1;
	if (*name == '\0')
		return -EISDIR;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s" FILE_TMP_MARK "XXXXXX",
	    dir, name) >= sizeof(tmp))
		return -ENAMETOOLONG;
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		return -errno;
	while (off < len) {
		w = write(fd, (const char *)data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			ret = -errno;
			goto fail;
		}
		off += (size_t)w;
	}
	if (uid != (uid_t)-1 && fchown(fd, uid, gid) != 0) {
		/* Not root: the file stays ours, which is fine. */
	}
	if (fchmod(fd, mode & 07777) != 0 || fsync(fd) != 0) {
		ret = -errno;
		goto fail;
	}
	ret = close(fd);
	fd = -1;
	if (ret != 0 || rename(tmp, path) != 0) {
		ret = -errno;
		goto fail;
	}
	return file_fsync_dir(dir);
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return ret;
}
