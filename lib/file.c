/*
 * file: read a whole file with a size limit.
 */
#include "lib/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
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
