/*
 * install: netpol-record-cni into (and out of) a node's CNI configuration.
 * See install.h for the contract and install_int.h for how the installer
 * is split into files; what is still here is the file shell, then the
 * command line.
 */
#include "cni/install.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cni/install_int.h"

/* ---- file shell --------------------------------------------------------- */

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

/* Copy the plugin binary into bin_dir, unless it is already there. */
static int
copy_plugin(const char *bin_dir, const char *src,
    const struct cniinst_opts *o, char *err, size_t errlen)
{
	char path[4096], *data = NULL, *cur = NULL;
	size_t len, curlen;
	struct stat st, cst;
	int ret;

	if ((ret = cniinst_read_file(src, 256u << 20, &data, &len, &st,
	    true)) != 0) {
		cniinst_seterr(err, errlen, "plugin binary %s: %s", src,
		    strerror(-ret));
		goto out;
	}
	if ((ret = cniinst_path_join(path, sizeof(path), bin_dir,
	    CNIINST_TYPE)) != 0) {
		cniinst_seterr(err, errlen, "%s: path too long", bin_dir);
		goto out;
	}
	if (cniinst_read_file(path, 256u << 20, &cur, &curlen, &cst,
	    false) == 0 && curlen == len && memcmp(cur, data, len) == 0 &&
	    (cst.st_mode & 07777) == 0755) {
		if (o == NULL || !o->changes_only)
			cniinst_note(o, "%s is up to date", path);
		goto out;
	}
	if ((ret = cniinst_write_atomic(bin_dir, CNIINST_TYPE, data, len, 0755,
	    (uid_t)-1, (gid_t)-1)) != 0) {
		cniinst_seterr(err, errlen, "writing %s: %s", path,
		    strerror(-ret));
		goto out;
	}
	cniinst_note(o, "installed %s", path);
out:
	free(data);
	free(cur);
	return ret;
}

/* "X.conf" -> "X.conflist" (also for X.json). */
static int
list_name(const char *name, char *buf, size_t len)
{
	const char *dot = strrchr(name, '.');
	size_t stem = dot ? (size_t)(dot - name) : strlen(name);

	if ((size_t)snprintf(buf, len, "%.*s.conflist", (int)stem, name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* Keep a copy of the bytes being replaced: name + CNIINST_BAK_SUFFIX. */
static int
write_backup(const char *dir, const char *name, const char *data,
    size_t len, const struct stat *st)
{
	char bak[4096];

	if ((size_t)snprintf(bak, sizeof(bak), "%s%s", name,
	    CNIINST_BAK_SUFFIX) >= sizeof(bak))
		return -ENAMETOOLONG;
	return cniinst_write_atomic(dir, bak, data, len, st->st_mode,
	    st->st_uid, st->st_gid);
}

/* The file to edit: the primary configuration (names[0]), or the one the
 * operator named with --conf-file. */
static int
pick_file(const char *conf_dir, char **names, size_t n,
    const struct cniinst_opts *o, size_t *k, char *err, size_t errlen)
{
	*k = 0;
	if (o == NULL || o->conf_file == NULL)
		return 0;
	if (strchr(o->conf_file, '/') != NULL ||
	    !cniinst_is_config_name(o->conf_file)) {
		cniinst_seterr(err, errlen, "%s: not a *.conf, *.conflist "
		    "or *.json file name", o->conf_file);
		return -EINVAL;
	}
	for (*k = 0; *k < n && strcmp(names[*k], o->conf_file) != 0; (*k)++)
		;
	if (*k == n) {
		cniinst_seterr(err, errlen, "%s/%s: no such configuration",
		    conf_dir, o->conf_file);
		return -ENOENT;
	}
	return 0;
}

/*
 * The name a converted names[k] (X.conf) gets: X.conflist, which must not
 * exist yet and, for the primary file, must still be the first: nothing
 * may sort between X.conf and X.conflist. (A file named with --conf-file
 * is the operator's choice, wherever it sorts.)
 */
static int
conversion_name(const char *conf_dir, char **names, size_t n, size_t k,
    const struct cniinst_opts *o, char *newname, size_t len, char *err,
    size_t errlen)
{
	bool named = o != NULL && o->conf_file != NULL;
	size_t i;
	int ret;

	if ((ret = list_name(names[k], newname, len)) != 0)
		return ret;
	for (i = 0; i < n; i++) {
		if (i == k)
			continue;
		if (strcmp(names[i], newname) == 0) {
			cniinst_seterr(err, errlen, "%s: both %s and %s "
			    "exist; left unchanged", conf_dir, names[k],
			    newname);
			return -EEXIST;
		}
		if (!named && i > k && strcmp(names[i], newname) < 0) {
			cniinst_seterr(err, errlen,
			    "%s: %s would not be the first "
			    "configuration (%s sorts before it); left "
			    "unchanged", conf_dir, newname, names[i]);
			return -EINVAL;
		}
	}
	return 0;
}

int
cniinst_install(const char *conf_dir, const char *bin_dir,
    const char *plugin_src, const struct cniinst_opts *o, char *err,
    size_t errlen)
{
	char **names = NULL, path[4096], newname[4096], *data = NULL;
	char *out = NULL, e[512];
	const char *primary, *target;
	size_t n = 0, len, k;
	struct stat st;
	bool converted, update, dry;
	int lock = -1, ret;

	/* Options the plugin would refuse fail before anything changes. */
	if ((ret = cniinst_entry(o, &out, err, errlen)) != 0)
		return ret;
	free(out);
	out = NULL;
	dry = o != NULL && o->dry_run;
	if (bin_dir != NULL && plugin_src != NULL) {
		if (dry)
			cniinst_note(o, "would copy %s to %s/%s", plugin_src,
			    bin_dir, CNIINST_TYPE);
		else if ((ret = copy_plugin(bin_dir, plugin_src, o, err,
		    errlen)) != 0)
			return ret;
	}
	if ((lock = cniinst_lock_dir(conf_dir, err, errlen)) < 0)
		return lock;
	if ((ret = cniinst_list_configs(conf_dir, !dry, &names, &n, err,
	    errlen)) != 0)
		goto out;
	if (n == 0) {
		cniinst_seterr(err, errlen,
		    "no CNI network configuration (*.conf, "
		    "*.conflist, *.json) in %s: the cluster network must be "
		    "installed first", conf_dir);
		ret = -ENOENT;
		goto out;
	}
	if ((ret = pick_file(conf_dir, names, n, o, &k, err, errlen)) != 0)
		goto out;
	primary = names[k];
	if ((ret = cniinst_path_join(path, sizeof(path), conf_dir,
	    primary)) != 0) {
		cniinst_seterr(err, errlen, "%s: path too long", conf_dir);
		goto out;
	}
	if ((ret = cniinst_read_file(path, CNIINST_FILE_MAX, &data, &len, &st,
	    false)) != 0) {
		cniinst_seterr(err, errlen, "%s: %s", path, ret == -ELOOP ?
		    "a symbolic link (not replaced by a file; copy what it "
		    "points to in its place)" :
		    ret == -EINVAL ? "not a regular file" : strerror(-ret));
		goto out;
	}
	ret = cniinst_add_entry(data, len, o, &out, &converted, e, sizeof(e));
	if (ret == CNIINST_UNCHANGED) {
		if (o == NULL || !o->changes_only)
			cniinst_note(o, "%s already chains netpol-record-cni",
			    path);
		ret = 0;
		goto out;
	}
	if (ret != 0) {
		cniinst_seterr(err, errlen, "%s: %s; left unchanged", path, e);
		goto out;
	}

	target = primary;
	if (converted && !cniinst_has_suffix(primary, ".conflist")) {
		if ((ret = conversion_name(conf_dir, names, n, k, o, newname,
		    sizeof(newname), err, errlen)) != 0)
			goto out;
		target = newname;
	}

	update = cniinst_has_entry(data, len) == 1;
	if (dry) {
		cniinst_note(o, "would write %s/%s%s%s", conf_dir, target,
		    target != primary ? " and remove " : "",
		    target != primary ? path : "");
		if (o->preview != NULL) {
			char tpath[4096];

			if (cniinst_path_join(tpath, sizeof(tpath), conf_dir,
			    target) == 0)
				o->preview(o->note_arg, tpath, out);
		}
		goto out;
	}
	/* The backup holds the file as it was before we were added; an
	 * update of our own entry keeps the older backup. */
	if (!update &&
	    (ret = write_backup(conf_dir, primary, data, len, &st)) != 0) {
		cniinst_seterr(err, errlen, "%s%s: %s", path,
		    CNIINST_BAK_SUFFIX, strerror(-ret));
		goto out;
	}
	if ((ret = cniinst_write_atomic(conf_dir, target, out, strlen(out),
	    st.st_mode, st.st_uid, st.st_gid)) != 0) {
		cniinst_seterr(err, errlen, "writing %s/%s: %s", conf_dir,
		    target, strerror(-ret));
		goto out;
	}
	if (target != primary) {
		/* Only now that X.conflist is in place: the runtime never
		 * sees an empty directory. */
		if (unlink(path) != 0) {
			ret = -errno;
			cniinst_seterr(err, errlen, "removing %s: %s", path,
			    strerror(errno));
			goto out;
		}
		cniinst_fsync_dir(conf_dir);
		cniinst_note(o,
		    "converted %s into %s/%s with netpol-record-cni "
		    "(backup %s%s)", path, conf_dir, target, path,
		    CNIINST_BAK_SUFFIX);
	} else if (update)
		cniinst_note(o, "updated the netpol-record-cni entry in %s",
		    path);
	else
		cniinst_note(o, "added netpol-record-cni to %s (backup %s%s)",
		    path, path, CNIINST_BAK_SUFFIX);
out:
	free(out);
	free(data);
	cniinst_free_names(names, n);
	cniinst_unlock_dir(lock);
	return ret;
}

/*
 * Was dir/name (X.conflist) made by converting X.conf or X.json? Then
 * that file is gone and its backup is there: *orig gets its name.
 */
static bool
converted_from(const char *dir, const char *name, char *orig, size_t len)
{
	static const char *const exts[] = { ".conf", ".json" };
	char path[4096];
	struct stat st;
	size_t i, stem;

	if (!cniinst_has_suffix(name, ".conflist"))
		return false;
	stem = strlen(name) - strlen(".conflist");
	for (i = 0; i < 2; i++) {
		if ((size_t)snprintf(orig, len, "%.*s%s", (int)stem, name,
		    exts[i]) >= len ||
		    cniinst_path_join(path, sizeof(path), dir, orig) != 0)
			continue;
		if (lstat(path, &st) == 0)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s%s", dir, orig,
		    CNIINST_BAK_SUFFIX) < sizeof(path) &&
		    lstat(path, &st) == 0)
			return true;
	}
	return false;
}

/* Take our entry out of dir/name. */
static int
uninstall_one(const char *dir, const char *name, const char *data,
    size_t len, const struct stat *st, const struct cniinst_opts *o,
    char *err, size_t errlen)
{
	char orig[4096], bak[4096], path[4096], *out = NULL, *bdata = NULL;
	char e[512];
	size_t blen;
	struct stat bst;
	bool conv;
	int ret;

	if ((ret = cniinst_remove_entry(data, len, &out, e, sizeof(e))) != 0) {
		if (ret == CNIINST_UNCHANGED)
			ret = 0;
		else
			cniinst_seterr(err, errlen, "%s/%s: %s", dir, name, e);
		goto out;
	}
	conv = converted_from(dir, name, orig, sizeof(orig));
	if (!conv)
		snprintf(orig, sizeof(orig), "%s", name);
	if ((size_t)snprintf(bak, sizeof(bak), "%s/%s%s", dir, orig,
	    CNIINST_BAK_SUFFIX) >= sizeof(bak) ||
	    cniinst_path_join(path, sizeof(path), dir, name) != 0) {
		ret = -ENAMETOOLONG;
		cniinst_seterr(err, errlen, "%s: path too long", dir);
		goto out;
	}
	if (cniinst_read_file(bak, CNIINST_FILE_MAX, &bdata, &blen, &bst,
	    false) == 0 && cniinst_same_config(bdata, blen, out, strlen(out))) {
		/* The backup is this network without us: put its bytes
		 * back, the original .conf first when we had converted it. */
		if ((ret = cniinst_write_atomic(dir, orig, bdata, blen,
		    bst.st_mode, bst.st_uid, bst.st_gid)) != 0) {
			cniinst_seterr(err, errlen, "writing %s/%s: %s", dir,
			    orig, strerror(-ret));
			goto out;
		}
		if (conv && unlink(path) != 0) {
			ret = -errno;
			cniinst_seterr(err, errlen, "removing %s: %s", path,
			    strerror(errno));
			goto out;
		}
		unlink(bak);
		cniinst_fsync_dir(dir);
		if (conv)
			cniinst_note(o, "restored %s/%s and removed %s", dir,
			    orig, path);
		else
			cniinst_note(o, "restored %s from its backup", path);
		goto out;
	}
	if ((ret = cniinst_write_atomic(dir, name, out, strlen(out),
	    st->st_mode, st->st_uid, st->st_gid)) != 0) {
		cniinst_seterr(err, errlen, "writing %s: %s", path,
		    strerror(-ret));
		goto out;
	}
	cniinst_note(o, "removed netpol-record-cni from %s%s%s", path,
	    bdata ? "; kept " : "", bdata ? bak : "");
	if (bdata)
		cniinst_note(o,
		    "%s differs from %s without netpol-record-cni (changed "
		    "since install?): not restored", bak, path);
out:
	free(bdata);
	free(out);
	return ret;
}

static int
remove_plugin(const char *bin_dir, const struct cniinst_opts *o, char *err,
    size_t errlen)
{
	char path[4096];
	int ret;

	if ((ret = cniinst_path_join(path, sizeof(path), bin_dir,
	    CNIINST_TYPE)) != 0) {
		cniinst_seterr(err, errlen, "%s: path too long", bin_dir);
		return ret;
	}
	if (unlink(path) == 0) {
		cniinst_note(o, "removed %s", path);
		return 0;
	}
	if (errno == ENOENT)
		return 0;
	ret = -errno;
	cniinst_seterr(err, errlen, "removing %s: %s", path, strerror(errno));
	return ret;
}

int
cniinst_uninstall(const char *conf_dir, const char *bin_dir,
    const struct cniinst_opts *o, char *err, size_t errlen)
{
	char **names = NULL, path[4096], *data;
	size_t n = 0, len, i;
	struct stat st;
	int lock, ret, r, found = 0;

	if ((lock = cniinst_lock_dir(conf_dir, err, errlen)) < 0)
		return lock;
	if ((ret = cniinst_list_configs(conf_dir, true, &names, &n, err,
	    errlen)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (cniinst_path_join(path, sizeof(path), conf_dir,
		    names[i]) != 0 ||
		    cniinst_read_file(path, CNIINST_FILE_MAX, &data, &len, &st,
		    false) != 0)
			continue;
		if ((r = cniinst_has_entry(data, len)) < 0)
			cniinst_note(o, "%s does not parse: skipped", path);
		else if (r > 0) {
			found++;
			r = uninstall_one(conf_dir, names[i], data, len, &st,
			    o, err, errlen);
			if (r != 0 && ret == 0)
				ret = r;
		}
		free(data);
	}
	if (found == 0)
		cniinst_note(o,
		    "no configuration in %s chains netpol-record-cni",
		    conf_dir);
	if (o != NULL && o->remove_bin && bin_dir != NULL &&
	    (r = remove_plugin(bin_dir, o, err, errlen)) != 0 && ret == 0)
		ret = r;
out:
	cniinst_free_names(names, n);
	cniinst_unlock_dir(lock);
	return ret;
}

/* ---- command line ------------------------------------------------------- */

#define DEFAULT_CONF_DIR	"/etc/cni/net.d"
#define DEFAULT_BIN_DIR		"/opt/cni/bin"
#define DEFAULT_PLUGIN		"/proc/self/exe"

static const char install_usage[] =
"usage: netpol-record-cni install [options]\n"
"Add netpol-record-cni to this node's CNI configuration: copy the plugin\n"
"into the bin directory and append it to the primary network\n"
"configuration (the first *.conf, *.conflist or *.json file in byte\n"
"order, as container runtimes pick it). A single-plugin .conf becomes a\n"
".conflist. The replaced file is kept as FILE.netpol-record.bak. Running\n"
"it again changes nothing.\n"
"\n"
"  --conf-dir DIR        CNI configuration directory (/etc/cni/net.d)\n"
"  --bin-dir DIR         CNI plugin directory (/opt/cni/bin)\n"
"  --plugin PATH         the binary to copy (this program)\n"
"  --no-copy             do not copy the binary, only edit the configuration\n"
"  --dry-run             change nothing: print the file install would write\n"
"  --conf-file NAME      edit CONF-DIR/NAME instead of the primary file (e.g.\n"
"                        the cluster network's file when Multus is primary)\n"
"  --db PATH             plugin setting \"db\": the store\n"
"  --log-file PATH       plugin setting \"logFile\"\n"
"  --log-level LEVEL     plugin setting \"logLevel\" (error, warn, info,\n"
"                        debug)\n"
"  --failure-policy P    plugin setting \"failurePolicy\" (ignore, fail)\n"
"  --mark-bit BIT        plugin setting \"markBit\" (e.g. 0x00100000)\n"
"  --nflog-group N       plugin setting \"nflogGroup\"\n"
"  --nflog-snaplen N     plugin setting \"nflogSnaplen\"\n"
"  --release-socket PATH plugin setting \"releaseSocket\": where\n"
"                        netpol-recorderd takes the plugin's nftables socket\n"
"                        over (its release_socket; \"\" = off)\n"
"  --watch SECONDS       stay running and repeat the install every SECONDS\n"
"                        (network agents that rewrite their file on restart\n"
"                        drop our entry; this puts it back)\n"
"  -h, --help            this text\n"
"Exit status: 0 done (or nothing to do), 1 failed (nothing was changed in\n"
"the file that could not be handled), 2 usage error.\n";

static const char uninstall_usage[] =
"usage: netpol-record-cni uninstall [options]\n"
"Remove netpol-record-cni from every CNI configuration file that has it.\n"
"A file whose backup (FILE.netpol-record.bak) holds the same network is\n"
"restored byte for byte, including a .conf that install had converted.\n"
"\n"
"  --conf-dir DIR        CNI configuration directory (/etc/cni/net.d)\n"
"  --bin-dir DIR         CNI plugin directory (/opt/cni/bin)\n"
"  --remove-bin          also remove BIN-DIR/netpol-record-cni\n"
"  -h, --help            this text\n"
"Exit status: 0 done (or nothing to do), 1 failed, 2 usage error.\n";

enum {
	OPT_CONF_DIR = 256, OPT_BIN_DIR, OPT_PLUGIN, OPT_NO_COPY, OPT_DB,
	OPT_LOG_FILE, OPT_LOG_LEVEL, OPT_FAILURE, OPT_MARK, OPT_NFLOG_GROUP,
	OPT_NFLOG_SNAPLEN, OPT_RELEASE, OPT_WATCH, OPT_REMOVE_BIN, OPT_CONF_FILE,
	OPT_DRY_RUN,
};

/* Notes go to stdout, or to stderr under --dry-run (arg non-NULL), where
 * stdout carries the file that would be written. */
static void
print_note(void *arg, const char *line)
{
	FILE *f = arg != NULL ? stderr : stdout;

	fprintf(f, "netpol-record-cni: %s\n", line);
	fflush(f);
}

static void
print_preview(void *arg, const char *path, const char *text)
{
	(void)arg;
	(void)path;
	fputs(text, stdout);
	fflush(stdout);
}

static int
usage_error(const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	fputs("netpol-record-cni: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", usage);
	return 2;
}

int
cniinst_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "conf-dir", required_argument, NULL, OPT_CONF_DIR },
		{ "bin-dir", required_argument, NULL, OPT_BIN_DIR },
		{ "plugin", required_argument, NULL, OPT_PLUGIN },
		{ "no-copy", no_argument, NULL, OPT_NO_COPY },
		{ "conf-file", required_argument, NULL, OPT_CONF_FILE },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "db", required_argument, NULL, OPT_DB },
		{ "log-file", required_argument, NULL, OPT_LOG_FILE },
		{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
		{ "failure-policy", required_argument, NULL, OPT_FAILURE },
		{ "mark-bit", required_argument, NULL, OPT_MARK },
		{ "nflog-group", required_argument, NULL, OPT_NFLOG_GROUP },
		{ "nflog-snaplen", required_argument, NULL, OPT_NFLOG_SNAPLEN },
		{ "release-socket", required_argument, NULL, OPT_RELEASE },
		{ "watch", required_argument, NULL, OPT_WATCH },
		{ "remove-bin", no_argument, NULL, OPT_REMOVE_BIN },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cniinst_opts o;
	const char *conf_dir = DEFAULT_CONF_DIR, *bin_dir = DEFAULT_BIN_DIR;
	const char *plugin = DEFAULT_PLUGIN, *usage;
	char err[1024], *end;
	bool install, copy = true;
	long watch = 0;
	int c, ret, li = 0;

	if (argc < 1 || argv[0] == NULL)
		return 2;
	install = strcmp(argv[0], "install") == 0;
	if (!install && strcmp(argv[0], "uninstall") != 0)
		return usage_error(install_usage, "unknown command %s", argv[0]);
	usage = install ? install_usage : uninstall_usage;
	memset(&o, 0, sizeof(o));
	o.note = print_note;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, &li)) != -1) {
		/* Options of the other subcommand are usage errors. */
		if (!install && c != OPT_CONF_DIR && c != OPT_BIN_DIR &&
		    c != OPT_REMOVE_BIN && c != 'h' && c != '?' && c != ':')
			return usage_error(usage, "--%s: not an uninstall "
			    "option", longopts[li].name);
		switch (c) {
		case OPT_CONF_DIR: conf_dir = optarg; break;
		case OPT_BIN_DIR: bin_dir = optarg; break;
		case OPT_PLUGIN: plugin = optarg; break;
		case OPT_NO_COPY: copy = false; break;
		case OPT_CONF_FILE: o.conf_file = optarg; break;
		case OPT_DRY_RUN: o.dry_run = true; break;
		case OPT_DB: o.db = optarg; break;
		case OPT_LOG_FILE: o.log_file = optarg; break;
		case OPT_LOG_LEVEL: o.log_level = optarg; break;
		case OPT_FAILURE: o.failure_policy = optarg; break;
		case OPT_MARK: o.mark_bit = optarg; break;
		case OPT_NFLOG_GROUP: o.nflog_group = optarg; break;
		case OPT_NFLOG_SNAPLEN: o.nflog_snaplen = optarg; break;
		case OPT_RELEASE: o.release_socket = optarg; break;
		case OPT_REMOVE_BIN:
			if (install)
				return usage_error(usage, "%s: not an install "
				    "option", "--remove-bin");
			o.remove_bin = true;
			break;
		case OPT_WATCH:
			watch = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || watch < 1 ||
			    watch > 86400)
				return usage_error(usage, "--watch %s: seconds "
				    "from 1 to 86400", optarg);
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return usage_error(usage, "bad option %s",
			    argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error(usage, "unexpected argument %s",
		    argv[optind]);
	if (o.dry_run && watch != 0)
		return usage_error(usage, "%s", "--dry-run and --watch exclude "
		    "each other");
	if (o.dry_run) {
		o.note_arg = stderr;
		o.preview = print_preview;
	}

	err[0] = '\0';
	if (!install) {
		ret = cniinst_uninstall(conf_dir, bin_dir, &o, err,
		    sizeof(err));
		if (ret != 0)
			fprintf(stderr, "netpol-record-cni: uninstall: %s\n",
			    err);
		return ret == 0 ? 0 : 1;
	}
	ret = cniinst_install(conf_dir, bin_dir, copy ? plugin : NULL, &o,
	    err, sizeof(err));
	if (ret != 0)
		fprintf(stderr, "netpol-record-cni: install: %s\n", err);
	if (watch == 0)
		return ret == 0 ? 0 : 1;
	/* Keep the entry there; only changes are reported. */
	o.changes_only = true;
	for (;;) {
		sleep((unsigned)watch);
		err[0] = '\0';
		ret = cniinst_install(conf_dir, NULL, NULL, &o, err,
		    sizeof(err));
		if (ret != 0)
			fprintf(stderr, "netpol-record-cni: install: %s\n",
			    err);
	}
}
