/*
 * rconf: the daemon's configuration (YAML, conf/recorderd.yaml).
 *
 * rconf_parse_buf() reads a buffer with lib/yamljson (the one YAML reader),
 * driven by one table of known keys; errors name line:column of the key
 * or value at fault (the file loader adds the file name). rconf_validate() is a separate pass over the result, so
 * that -n, start-up and SIGHUP reload all apply the same checks. The same
 * table says which keys a SIGHUP applies (rconf_reload).
 */
#ifndef NPR_RCONF_H
#define NPR_RCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/store.h"

#define RCONF_DEFAULT_PATH "/etc/netpol-record/recorderd.yaml"

/* publish.enabled */
enum rconf_publish {
	RCONF_PUBLISH_AUTO = 0,		/* when the metadata is the API's */
	RCONF_PUBLISH_OFF,
	RCONF_PUBLISH_ON,
};

#define RCONF_PATTERNS_LEN 512		/* publish.namespaces, joined */

enum rconf_meta_source {
	RCONF_META_NONE = 0,
	RCONF_META_FILE,
	RCONF_META_KUBECONFIG,
	RCONF_META_IN_CLUSTER,
};

struct rconf {
	char store[STORE_PATH_LEN];
	uint32_t flush_ms;		/* flush interval */
	uint32_t refresh_ms;		/* dump of open connections, 0 = off */
	uint32_t mark_bit;		/* the plugin's ct mark bit(s) */
	uint16_t nflog_group;
	uint32_t nflog_snaplen;		/* bytes of each DNS packet copied */
	uint64_t rcvbuf_initial;	/* event socket receive buffer */
	uint64_t rcvbuf_max;		/* grown up to this on ENOBUFS */
	int meta_source;		/* enum rconf_meta_source */
	char meta_file[STORE_PATH_LEN];
	char meta_kubeconfig[STORE_PATH_LEN];
	uint32_t retention_days;	/* 0: keep forever */
	bool accounting;		/* turn nf_conntrack_acct on */
	uint32_t max_flows;		/* distinct flows held between flushes */
	uint32_t dns_cache;		/* DNS answers remembered */
	char log_file[STORE_PATH_LEN];	/* "" = stderr / syslog-less file */
	int log_level;			/* enum log_level */
	/* Where the CNI plugin hands over its nftables sockets to be closed
	 * here (lib/fdpass.h); "" = not offered. */
	char release_socket[STORE_PATH_LEN];
	/* This node's name as the Kubernetes API knows it (spec.nodeName of
	 * its pods); "" until rconf_resolve_node_name() fills it. */
	char node_name[STORE_NAME_LEN];
	/* Record the pods that were running before netpol-record was (the
	 * metadata places them on node_name): recorderd/attach.h. */
	bool adopt_running_pods;
	/* Publishing TrafficProfiles to the API (recorderd/publish.h). */
	int publish_enabled;		/* enum rconf_publish */
	uint32_t publish_interval_ms;
	uint32_t publish_refresh_ms;
	uint32_t publish_max_entries;
	/* Counts-only rewrites per hour, the whole node (pubsched_budget). */
	uint32_t publish_max_refreshes;
	/* Namespace patterns, comma-separated ("" every namespace). */
	char publish_namespaces[RCONF_PATTERNS_LEN];
};

/* Does c publish (publish.enabled, auto: when metadata.source is the
 * Kubernetes API)? */
bool rconf_publishing(const struct rconf *c);

/* Fill *c with the built-in defaults (what conf/recorderd.yaml says). */
void rconf_defaults(struct rconf *c);

/*
 * Parse YAML at buf over the defaults already in *c (keys not given keep
 * their value). Returns 0, or -EINVAL with "line:col: what" in err.
 * Unknown keys are errors (a typo must not pass silently).
 */
int rconf_parse_buf(const char *buf, size_t len, struct rconf *c,
    char *err, size_t errlen);

/* rconf_defaults + read path + parse; errors are "path:line:col: ...". */
int rconf_load_file(const char *path, struct rconf *c, char *err,
    size_t errlen);

/* Make the relative paths of c (store, metadata, log) absolute against
 * base (NULL: the current directory): the daemon changes to / when it
 * detaches. */
void rconf_absolute_paths(struct rconf *c, const char *base);

/*
 * The node's name when neither the file nor the command line gave one:
 * the NODE_NAME environment variable (the DaemonSet sets it from the
 * downward API's spec.nodeName), else the host name. Kubernetes node names
 * are lower case, so the host name is lowered. Returns 0, or -ENOENT when
 * none is known.
 */
int rconf_resolve_node_name(struct rconf *c);

/* Is s a valid node name (a DNS-1123 subdomain: at most 253 characters of
 * [a-z0-9.-], starting and ending alphanumeric)? */
bool rconf_valid_node_name(const char *s);

/* Check values and their combinations. Returns 0 or -EINVAL + err. */
int rconf_validate(const struct rconf *c, char *err, size_t errlen);

/* Parse "1s", "500ms", "2m", "250" (ms). Returns 0 or -EINVAL. */
int rconf_parse_duration_ms(const char *s, uint32_t *out);
/* Parse "8M", "64MiB", "212992", "1G". Returns 0 or -EINVAL. */
int rconf_parse_size(const char *s, uint64_t *out);

const char *rconf_meta_source_name(int source);

/*
 * The keys of the configuration, in the order of the table that defines
 * them (rconf.c): key i's dotted name ("nflog.group"), and whether a
 * SIGHUP applies it (live) or it takes effect on the next start.
 */
size_t rconf_nkeys(void);
const char *rconf_key_name(size_t i);
bool rconf_key_live(size_t i);

/*
 * A reload: *out becomes running with the value of every live key that
 * differs in loaded (a valid configuration just read); every other key
 * keeps running's value, never copied in silently. cb (may be NULL) is
 * called for each key that differs, with its index and whether it is
 * live, so that the caller applies the live ones where they matter and
 * says that the others need a restart. Returns how many keys differ.
 */
int rconf_reload(const struct rconf *running, const struct rconf *loaded,
    struct rconf *out, void (*cb)(void *arg, size_t key, bool live),
    void *arg);

#endif
