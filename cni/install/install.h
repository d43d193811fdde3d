/*
 * install: put netpol-record-cni into a node's CNI configuration and take
 * it out again (`netpol-record-cni install` / `uninstall`). The one header
 * of cni/install/; each file there uses the others only through it:
 *
 *   conflist.c  a network configuration in a buffer, and our entry in it:
 *               the pure JSON core (cniinst_entry, cniinst_add_entry,
 *               cniinst_remove_entry, cniinst_same_config,
 *               cniinst_has_entry). Parses a configuration strictly,
 *               appends or removes our plugin entry, prints the result in
 *               one stable format (2-space indent, keys in their original
 *               order, slashes not escaped, a final newline);
 *   install.c   the file side (cniinst_install, cniinst_uninstall): picks
 *               the node's primary configuration the way container
 *               runtimes do (the first *.conf, *.conflist or *.json file
 *               in byte order), copies the plugin binary, keeps a backup
 *               and writes every file atomically (lib/file.h);
 *   cli.c       the install / uninstall subcommands (cniinst_main).
 *
 * cli.c calls install.c, which calls conflist.c; never the other way.
 *
 * A file that does not parse, is not a network configuration, or uses a
 * cniVersion older than chaining (0.3.0) is never written: the functions
 * return -EINVAL and say why in err.
 */
#ifndef NPR_CNIINST_H
#define NPR_CNIINST_H

#include <stdbool.h>
#include <stddef.h>

/* The "type" of our entry: the plugin binary's name in the bin dir. */
#define CNIINST_TYPE		"netpol-record-cni"
/* Appended to a configuration file's name for its backup. The result
 * ends in neither .conf, .conflist nor .json, so runtimes ignore it. */
#define CNIINST_BAK_SUFFIX	".netpol-record.bak"
/* Biggest configuration file read (real ones are a few KiB). */
#define CNIINST_FILE_MAX	(1024 * 1024)

/* Returned by the JSON core when the input needs no change. */
#define CNIINST_UNCHANGED	1

/*
 * What our entry says. Every field may be NULL (the key is then left out
 * and the plugin uses its default). Strings are borrowed.
 */
struct cniinst_opts {
	const char *db;			/* "db" */
	const char *log_file;		/* "logFile" */
	const char *log_level;		/* "logLevel" */
	const char *failure_policy;	/* "failurePolicy" */
	const char *mark_bit;		/* "markBit", kept as a string */
	const char *nflog_group;	/* "nflogGroup", written as a number */
	const char *nflog_snaplen;	/* "nflogSnaplen", written as a number */
	const char *release_socket;	/* "releaseSocket" */
	/* install: edit this file of conf_dir (a base name) instead of the
	 * primary configuration. */
	const char *conf_file;
	/* The file shell reports what it did, one line per change, here
	 * (may be NULL). */
	void (*note)(void *arg, const char *line);
	void *note_arg;
	/* Report only changes ("already there" is not reported). */
	bool changes_only;
	/* install: change nothing; hand the text that would be written to
	 * preview (may be NULL) with its path, and note what would happen. */
	bool dry_run;
	void (*preview)(void *arg, const char *path, const char *text);
	/* uninstall: also remove bin_dir/netpol-record-cni. */
	bool remove_bin;
};

/*
 * Our entry as a JSON object text, e.g. {"type": "netpol-record-cni",
 * "db": "..."}; *out is malloc'd (caller frees). The options are checked
 * by the plugin's own configuration parser, so an entry the plugin would
 * refuse is never written. Returns 0, -EINVAL (err says which option) or
 * -ENOMEM.
 */
int cniinst_entry(const struct cniinst_opts *o, char **out, char *err,
    size_t errlen);

/*
 * Add our entry to the network configuration in json[0..len).
 * A configuration list ("plugins" array) gets the entry appended; an
 * entry already there (by "type") is replaced in place when it differs
 * and duplicates of it are dropped. A single-plugin configuration (a
 * .conf: "type" at the top level) becomes a list with name and cniVersion
 * at the top and the old plugin, then ours, in "plugins"; *converted tells
 * (may be NULL). Every other key and the cniVersion are kept.
 *
 * Returns 0 with *out the new text (malloc'd, caller frees),
 * CNIINST_UNCHANGED with *out NULL when the entry is already exactly
 * there, -EINVAL with err set (not JSON, not a network configuration, a
 * cniVersion the plugin does not speak or that predates chaining, bad
 * options), or -ENOMEM.
 */
int cniinst_add_entry(const char *json, size_t len,
    const struct cniinst_opts *o, char **out, bool *converted, char *err,
    size_t errlen);

/*
 * Remove every plugin entry of type netpol-record-cni from the list in
 * json[0..len). Returns 0 with *out the new text (malloc'd),
 * CNIINST_UNCHANGED with *out NULL when there was none, -EINVAL with err
 * set, or -ENOMEM.
 */
int cniinst_remove_entry(const char *json, size_t len, char **out,
    char *err, size_t errlen);

/*
 * Do a and b describe the same network? Both are parsed, a single-plugin
 * configuration is compared as the list it converts to, and the values
 * are compared (not the formatting). False when either does not parse.
 */
bool cniinst_same_config(const char *a, size_t alen, const char *b,
    size_t blen);

/*
 * Does the configuration in json contain our entry? -EINVAL when it does
 * not parse, else 0 or 1.
 */
int cniinst_has_entry(const char *json, size_t len);

/*
 * Install on a node: copy plugin_src (when both it and bin_dir are
 * non-NULL) to bin_dir/netpol-record-cni (mode 0755, atomically, skipped
 * when the bytes are already the same), then add our entry to the primary
 * configuration in conf_dir, converting a single-plugin file X.conf (or
 * X.json) into X.conflist, written before X.conf is removed so that the
 * runtime always sees a configuration. The file's previous bytes are kept
 * as <file>.netpol-record.bak. A second install with the same options
 * changes nothing. conf_dir is locked (flock) for the duration.
 *
 * With o->conf_file, that file is edited instead of the primary one.
 *
 * Returns 0 or -errno with err set: -ENOENT (no configuration in
 * conf_dir, or no o->conf_file there), -EINVAL (the file does not parse,
 * bad options), -EEXIST (X.conflist already exists next to X.conf), -ELOOP
 * (the file is a symbolic link), another -errno from the file system.
 */
int cniinst_install(const char *conf_dir, const char *bin_dir,
    const char *plugin_src, const struct cniinst_opts *o, char *err,
    size_t errlen);

/*
 * Undo install: remove our entry from every configuration file in
 * conf_dir that has it. When the file's backup holds the same network
 * without our entry, the backup's bytes are put back (so the file is
 * byte-identical to what it was), including a converted X.conf, which is
 * written back before X.conflist is removed; otherwise the file is
 * rewritten without our entry and the backup is kept. With o->remove_bin
 * and bin_dir, bin_dir/netpol-record-cni is removed too. Files that do
 * not parse are left alone. Returns 0 (also when there was nothing to
 * remove) or -errno with err set.
 */
int cniinst_uninstall(const char *conf_dir, const char *bin_dir,
    const struct cniinst_opts *o, char *err, size_t errlen);

/*
 * The `install` / `uninstall` subcommands: argv[0] is "install" or
 * "uninstall", options follow (see --help). Prints what it did to stdout,
 * errors to stderr. Returns the process exit status (0 ok, 1 failure,
 * 2 usage).
 */
int cniinst_main(int argc, char **argv);

#endif
