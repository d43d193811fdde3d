/*
 * rd: the daemon's event loop. One thread polls the conntrack event
 * socket, the NFLOG socket, a dump socket while a dump runs, a timerfd
 * (flush), a signalfd and the metadata source; everything else is
 * plain function calls on structs (ct, nflog, dns, attrib, agg, store).
 */
#ifndef NPR_RD_H
#define NPR_RD_H

#include <stdbool.h>
#include <stddef.h>

#include "recorderd/rconf.h"

struct rd_opts {
	const char *conf_path;		/* for SIGHUP reloads, may be NULL */
	const char *db_override;	/* --db */
	const char *meta_override;	/* --metadata */
	const char *node_name;		/* --node-name */
	const char *start_dir;		/* relative paths are relative to it */
	bool foreground;
};

/* Apply the command-line overrides of o to c, then fill the node name
 * from the environment when neither gave one (rconf_resolve_node_name). */
void rd_apply_overrides(const struct rd_opts *o, struct rconf *c);

/*
 * The reload table's consistency (for tests): every key rconf.c marks
 * live is applied by rd.c, and rd.c applies no other. 0, or -EINVAL
 * with the key named in err.
 */
int rd_reload_check(char *err, size_t len);

/*
 * Why the store at path could not be opened (store_open returned rc), as
 * one sentence that says what the file is and what to do, for the log or
 * stderr ("store PATH: ...", no trailing newline).
 */
void rd_store_explain(const char *path, int rc, char *buf, size_t len);

/* Run until SIGTERM/SIGINT (flush, then return 0) or a fatal error
 * (-errno, logged). conf must be valid. */
int rd_run(const struct rd_opts *o, const struct rconf *conf);

#endif
