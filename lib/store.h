/*
 * store: the SQLite store that the plugin, the daemon and the CLI share.
 *
 * WAL mode, a busy timeout, prepared statements, a schema versioned with
 * PRAGMA user_version and migrated forward on open. Any number of processes
 * may open the same file at once (50 concurrent CNI ADDs, the daemon and the
 * CLI): writers wait for each other instead of failing with "database is
 * locked".
 *
 * Times are Unix seconds (int64_t). Addresses are stored as canonical text
 * (addr_format), so the database reads well with the sqlite3 shell.
 *
 * All functions return 0 or a negative errno: -ENOENT for "no such row",
 * -EINVAL for bad arguments, -EBUSY when the database stayed locked past the
 * timeout, -ENOSPC when the disk is full, -EIO for any other SQLite error
 * (store_errmsg() then tells what). Nothing here prints or exits.
 */
#ifndef NPR_STORE_H
#define NPR_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "lib/addr.h"
#include "lib/flow.h"

#define STORE_DEFAULT_PATH "/var/lib/netpol-record/records.db"
/* The schema version this build writes (PRAGMA user_version). */
#define STORE_SCHEMA_VERSION 1

#define STORE_ID_LEN 160	/* container ids, pod uids */
#define STORE_NAME_LEN 256	/* Kubernetes names, DNS names (253 + NUL) */
#define STORE_IFNAME_LEN 16	/* IFNAMSIZ */
#define STORE_PATH_LEN 256
#define STORE_KIND_LEN 32
#define STORE_MAX_ADDRS 8	/* addresses per attachment */

struct store;

enum store_open_flags {
	STORE_OPEN_READONLY = 1 << 0,	/* CLI reports: never writes */
	STORE_OPEN_NOCREATE = 1 << 1,	/* fail with -ENOENT if missing */
	/* Do not checkpoint the WAL when this connection closes, even as the
	 * last one: a short-lived writer (one CNI ADD) leaves that to
	 * SQLite's auto-checkpoint and the daemon. */
	STORE_OPEN_NO_CKPT_ON_CLOSE = 1 << 2,
};

/*
 * Open (creating the file and its directory unless NOCREATE or READONLY)
 * and migrate the schema to STORE_SCHEMA_VERSION. A database written by a
 * newer version is refused with -EPROTO. The caller owns *out and frees it
 * with store_close().
 */
int store_open(const char *path, int flags, struct store **out);
void store_close(struct store *st);

/* Last SQLite error text of this connection (borrowed). */
const char *store_errmsg(const struct store *st);
/* The path the store was opened with (borrowed). */
const char *store_path(const struct store *st);
/* The underlying connection, for read-only queries of the CLI (borrowed). */
sqlite3 *store_db(struct store *st);

/* Explicit transactions. begin takes the write lock at once (IMMEDIATE). */
int store_begin(struct store *st);
int store_commit(struct store *st);
int store_rollback(struct store *st);

/* PRAGMA integrity_check: 0 when "ok", -EIO otherwise. */
int store_check_integrity(struct store *st);

/* ---- attachments: one per (container id, ifname) ---------------------- */

struct store_attachment {
	int64_t id;
	char container_id[STORE_ID_LEN];
	char ifname[STORE_IFNAME_LEN];
	char pod_namespace[STORE_NAME_LEN];	/* "" when unknown */
	char pod_name[STORE_NAME_LEN];		/* "" when unknown */
	char pod_uid[STORE_ID_LEN];		/* "" when unknown */
	char netns[STORE_PATH_LEN];
	char host_veth[STORE_IFNAME_LEN];	/* "" for macvlan/ipvlan */
	int host_ifindex;			/* 0 when no host veth */
	int naddrs;
	struct addr_cidr addrs[STORE_MAX_ADDRS];	/* address + prefix */
	int64_t workload_id;		/* 0 until attributed */
	int64_t attached_at;
	int64_t detached_at;		/* 0 while attached */
};

/*
 * Insert or replace the attachment for (a->container_id, a->ifname), as a
 * repeated ADD does: detached_at is cleared, the address history is brought
 * in line with a->addrs (addresses no longer held are closed at now, new
 * ones opened at now). Sets a->id.
 */
int store_attachment_put(struct store *st, struct store_attachment *a,
    int64_t now);

/* Fill *out for (container_id, ifname). -ENOENT when there is none. */
int store_attachment_get(struct store *st, const char *container_id,
    const char *ifname, struct store_attachment *out);

/*
 * Mark detached at now and close its addresses. History is kept.
 * -ENOENT when there is no such attachment, -EALREADY when already
 * detached.
 */
int store_attachment_detach(struct store *st, const char *container_id,
    const char *ifname, int64_t now);

/* Record which workload the attachment's pod belongs to. */
int store_attachment_set_workload(struct store *st, int64_t attachment_id,
    int64_t workload_id);

typedef int (*store_attachment_cb)(const struct store_attachment *a,
    void *arg);
/*
 * Call cb for each attachment (only those still attached when
 * attached_only), in id order. A non-zero return from cb stops the walk
 * and is returned.
 */
int store_attachment_foreach(struct store *st, bool attached_only,
    store_attachment_cb cb, void *arg);

/*
 * The attachment whose pod held addr at time at (address history: IPs are
 * reused). -ENOENT when no pod held it then.
 */
int store_address_lookup(struct store *st, const struct addr *addr,
    int64_t at, struct store_attachment *out);

/* A number that changes whenever any connection commits a change to the
 * file (PRAGMA data_version, plus our own writes): cheap polling for the
 * daemon. */
int store_data_version(struct store *st, int64_t *out);

/* ---- workloads --------------------------------------------------------- */

struct store_workload {
	int64_t id;
	char namespace_[STORE_NAME_LEN];
	char kind[STORE_KIND_LEN];	/* Deployment, StatefulSet, DaemonSet,
					 * Job, CronJob, ReplicaSet,
					 * ReplicationController, Pod */
	char name[STORE_NAME_LEN];
	char *selector_json;	/* LabelSelector as JSON, owned, may be NULL */
	char *labels_json;	/* object of labels, owned, may be NULL */
	char *ports_json;	/* named container ports, owned, may be NULL:
				 * [{"name":"http","port":8080,"protocol":"TCP"}] */
	bool host_network;
	int64_t started_at;	/* earliest pod start known, 0 unknown */
};

/*
 * Insert or update the workload (namespace_, kind, name); JSON fields that
 * are NULL leave what is stored. Strings are copied. Sets w->id.
 */
int store_workload_put(struct store *st, struct store_workload *w);

/* Look up by id or by (namespace, kind, name). Free with
 * store_workload_clear(). */
int store_workload_get(struct store *st, int64_t id,
    struct store_workload *out);
int store_workload_find(struct store *st, const char *ns, const char *kind,
    const char *name, struct store_workload *out);
/* Free the owned strings of *w (not w itself). NULL is fine. */
void store_workload_clear(struct store_workload *w);

/*
 * Move everything recorded against workload from onto workload to (flows
 * as subject and as peer, attachments), adding up counts where rows meet,
 * then delete from. Used when a pod recorded as its own workload (kind Pod)
 * turns out to belong to a Deployment. One transaction.
 */
int store_workload_merge(struct store *st, int64_t from, int64_t to);

/* ---- flows ------------------------------------------------------------- */

/*
 * Add n aggregated flows (lib/flow.h; the keys' workload handles are
 * store workload ids) in one transaction. A row with the same key is
 * merged with flow_merge()'s rule. Either all n are written or none.
 */
int store_flows_write(struct store *st, const struct flow *flows, size_t n);

/* Delete flows whose last_seen is before cutoff. *deleted gets the count. */
int store_flows_prune(struct store *st, int64_t cutoff, int64_t *deleted);

/* ---- DNS answers seen per pod ----------------------------------------- */

struct store_dns {
	int64_t attachment_id;
	char name[STORE_NAME_LEN];	/* the name asked (CNAME chain start) */
	struct addr addr;
	uint32_t ttl;
	int64_t seen;
};

/* Upsert n answers (key: attachment, name, addr) in one transaction. */
int store_dns_write(struct store *st, const struct store_dns *d, size_t n);

/* ---- nodes ------------------------------------------------------------- */

int store_node_put(struct store *st, const char *name, const struct addr *a);

/* ---- known servers (KnownServer documents) ----------------------------- */

struct store_known_server {
	char source[STORE_NAME_LEN];	/* the KnownServer's metadata.name */
	char cidr[ADDR_CIDR_STRLEN];	/* canonical network */
	char server[STORE_NAME_LEN];
	char name[STORE_NAME_LEN];
};

/* Replace every entry of source with these n, in one transaction. */
int store_known_servers_replace(struct store *st, const char *source,
    const struct store_known_server *ks, size_t n);
/* -ENOENT when source has no entries. */
int store_known_servers_delete(struct store *st, const char *source);
typedef int (*store_known_server_cb)(const struct store_known_server *ks,
    void *arg);
int store_known_servers_foreach(struct store *st, store_known_server_cb cb,
    void *arg);

/* ---- counters and settings -------------------------------------------- */

/* Add delta to counter name (created at 0). Counters: events_seen,
 * flows_written, events_lost, resyncs, ... */
int store_counter_add(struct store *st, const char *name, int64_t delta);
int store_counter_get(struct store *st, const char *name, int64_t *out);
typedef int (*store_counter_cb)(const char *name, int64_t value,
    int64_t updated_at, void *arg);
int store_counter_foreach(struct store *st, store_counter_cb cb, void *arg);

/* A small key/value table: "recording_started", "node_name", ... */
int store_meta_set(struct store *st, const char *key, const char *value);
/* Copies into buf; -ENOENT when unset, -ENOSPC when buf is too short. */
int store_meta_get(struct store *st, const char *key, char *buf, size_t len);

#endif
