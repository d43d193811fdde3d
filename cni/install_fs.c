/*
 * install_fs.c: the file side the installer's install and uninstall share:
 * listing a CNI configuration directory the way runtimes do, reading a
 * file, writing one atomically, locking the directory, reporting.
 */
#include "cni/install_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* In the names of our temporary files: ".NAME" TMP_MARK "XXXXXX". */
#define TMP_MARK ".netpol-record.tmp."

void
cniinst_note(const struct cniinst_opts *o, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (o == NULL || o->note == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	o->note(o->note_arg, line);
}

bool
cniinst_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

/* The names runtimes read (libcni's ConfFiles with .conf, .conflist,
 * .json). */
bool
cniinst_is_config_name(const char *name)
{
	return cniinst_has_suffix(name, ".conf") ||
	    cniinst_has_suffix(name, ".conflist") ||
	    cniinst_has_suffix(name, ".json");
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
cniinst_free_names(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The configuration files in dir, sorted by bytes (Go's sort.Strings,
 * which is how runtimes order them). Directories are skipped, as libcni
 * does; anything else with a matching name is listed. With clean (and
 * the directory locked), stale temporary files of ours are removed. */
int
cniinst_list_configs(const char *dir, bool clean, char ***out, size_t *nout,
    char *err, size_t errlen)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	char **names = NULL, **tmp;
	size_t n = 0, cap = 0;
	int ret = 0;

	*out = NULL;
	*nout = 0;
	if ((d = opendir(dir)) == NULL) {
		ret = -errno;
		cniinst_seterr(err, errlen, "%s: %s", dir, strerror(errno));
		return ret;
	}
	while ((de = readdir(d)) != NULL) {
		/* A temporary file of ours left by a run that died: the
		 * caller holds the directory's lock, so no run of ours is
		 * writing it now. */
		if (de->d_name[0] == '.' &&
		    strstr(de->d_name, TMP_MARK) != NULL) {
			if (clean)
				(void)unlinkat(dirfd(d), de->d_name, 0);
			continue;
		}
		if (!cniinst_is_config_name(de->d_name))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, 0) == 0 &&
		    S_ISDIR(st.st_mode))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((tmp = realloc(names, cap * sizeof(*names))) ==
			    NULL) {
				ret = -ENOMEM;
				goto out;
			}
			names = tmp;
		}
		if ((names[n] = strdup(de->d_name)) == NULL) {
			ret = -ENOMEM;
			goto out;
		}
		n++;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_names);
	*out = names;
	*nout = n;
	names = NULL;
out:
	if (names)
		cniinst_free_names(names, n);
	closedir(d);
	return ret;
}

int
cniinst_path_join(char *buf, size_t len, const char *dir, const char *name)
{
	if ((size_t)snprintf(buf, len, "%s/%s", dir, name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* Read a whole regular file (not through a symbolic link), NUL-terminated,
 * at most max bytes. */
int
cniinst_read_file(const char *path, size_t max, char **out, size_t *outlen,
    struct stat *st, bool follow)
{
	char *buf = NULL;
	size_t len = 0;
	ssize_t r;
	int fd, ret = 0;

	*out = NULL;
	*outlen = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | (follow ? 0 :
	    O_NOFOLLOW))) < 0)
		return -errno;
	if (fstat(fd, st) != 0) {
		ret = -errno;
		goto out;
	}
	if (!S_ISREG(st->st_mode)) {
		ret = -EINVAL;
		goto out;
	}
	if ((size_t)st->st_size > max) {
		ret = -EFBIG;
		goto out;
	}
	if ((buf = malloc((size_t)st->st_size + 1)) == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	/* Read to EOF, even if the file grew a little since fstat. */
	while (len < (size_t)st->st_size) {
		r = read(fd, buf + len, (size_t)st->st_size - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return ret;
}

int
cniinst_fsync_dir(const char *dir)
{
	int fd, ret = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	if (fsync(fd) != 0 && errno != EINVAL)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Write data to dir/name atomically: a temporary file in dir (its name
 * ends in neither .conf, .conflist nor .json, so a runtime listing the
 * directory meanwhile never reads it), fsync, rename over the target,
 * fsync of the directory. The file gets mode, and owner uid:gid when
 * uid is not (uid_t)-1 (best effort).
 */
int
cniinst_write_atomic(const char *dir, const char *name, const char *data,
    size_t len, mode_t mode, uid_t uid, gid_t gid)
{
	char tmp[4096], path[4096];
	size_t off = 0;
	ssize_t w;
	int fd = -1, ret;

	if ((ret = cniinst_path_join(path, sizeof(path), dir, name)) != 0)
		return ret;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s" TMP_MARK "XXXXXX",
	    dir, name) >= sizeof(tmp))
		return -ENAMETOOLONG;
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		return -errno;
	while (off < len) {
		w = write(fd, data + off, len - off);
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
	if (close(fd) != 0) {
		fd = -1;
		ret = -errno;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		ret = -errno;
		goto fail;
	}
	return cniinst_fsync_dir(dir);
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return ret;
}

/* Hold an exclusive flock on the directory itself, so that two
 * installers (or an install and an uninstall) do not interleave. */
int
cniinst_lock_dir(const char *dir, char *err, size_t errlen)
{
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		fd = -errno;
		cniinst_seterr(err, errlen, "%s: %s", dir, strerror(errno));
		return fd;
	}
	while (flock(fd, LOCK_EX) != 0)
		if (errno != EINTR) {
			cniinst_seterr(err, errlen, "locking %s: %s", dir,
			    strerror(errno));
			close(fd);
			return -EIO;
		}
	return fd;
}

void
cniinst_unlock_dir(int fd)
{
	if (fd >= 0)
		close(fd);
}
