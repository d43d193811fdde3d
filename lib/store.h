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

#include "lib/addr.h"
#include "lib/flow.h"

#define STORE_DEFAULT_PATH "/var/lib/netpol-record/records.db"
/* The schema version this build writes (PRAGMA user_version). */
#define STORE_SCHEMA_VERSION 2

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

/*
 * How long a writer of this connection waits for another connection's
 * write lock before failing with -EBUSY (10 s from store_open). A thread
 * that must serve other work while it waits (netpol-recorderd's writer)
 * waits in shorter steps and retries.
 */
int store_set_busy_timeout(struct store *st, int ms);

/*
 * Explicit transactions. begin takes the write lock at once (IMMEDIATE).
 * Between begin and commit, the writes below that are one transaction of
 * their own (flows, DNS answers, a workload merge) join the caller's
 * transaction instead: several kinds of rows are then written at once,
 * all or none.
 */
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
	/* Adopted by netpol-recorderd (a pod already running, found in the
	 * metadata) rather than attached by the CNI plugin. Not a column:
	 * an adopted attachment's container id is STORE_ADOPTED_PREFIX and
	 * the pod's uid, which is what says it (read: set from the id;
	 * written: the caller names it so). */
	bool adopted;
};

/* The container id of an adopted pod's attachment: this prefix and the
 * pod's uid ("adopted:<uid>"; its interface name is STORE_ADOPTED_IF).
 * CNI never makes such an id (runtimes use hex ids). */
#define STORE_ADOPTED_PREFIX "adopted:"
#define STORE_ADOPTED_IF "pod"
/* The same test in SQL, on a column holding a container id. */
#define STORE_ADOPTED_SQL(col) "(substr(" col ", 1, 8) = 'adopted:')"

/* Is container_id an adopted pod's? */
bool store_adopted_id(const char *container_id);

/*
 * Insert or replace the attachment for (a->container_id, a->ifname), as a
 * repeated ADD does: detached_at is cleared, the address history is brought
 * in line with a->addrs (addresses no longer held are closed at now, new
 * ones opened at now). Sets a->id. Inside a transaction the caller opened
 * (store_begin) it joins it; otherwise it is one of its own (the same for
 * store_attachment_detach).
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
	/* The workload object's uid in the Kubernetes API (what an
	 * ownerReference to it names), "" when not known. */
	char uid[STORE_ID_LEN];
	/* When the metadata source saw the workload deleted (Unix s), 0
	 * while it exists. */
	int64_t deleted_at;
};

/*
 * Insert or update the workload (namespace_, kind, name); JSON fields that
 * are NULL and a uid that is "" leave what is stored; deleted_at is
 * replaced. Strings are copied. Sets w->id.
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

/*
 * The same for flows whose workload handles belong to the caller (the
 * daemon's in-memory workload table): each key's subject and peer_wl
 * (when set) are turned into store ids by map(arg, handle) as the row is
 * written; flows are not modified. A flow with a handle that maps to 0
 * (unknown) is not written; *skipped (may be NULL) counts them.
 */
int store_flows_write_mapped(struct store *st, const struct flow *flows,
    size_t n, int64_t (*map)(void *arg, int64_t handle), void *arg,
    size_t *skipped);

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

/*
 * Keys of the meta table beyond "recording_started" and "node_name": what
 * netpol-recorderd's publisher did (its event loop writes them with its
 * flushes; `--status` and `netpol-record status` print them), and the
 * node's uid in the Kubernetes API.
 */
#define STORE_META_PUBLISH_WRITTEN "publish_objects_written"
#define STORE_META_PUBLISH_FAILED "publish_failed"
#define STORE_META_PUBLISH_PENDING "publish_pending"
#define STORE_META_PUBLISH_OBJECTS "publish_objects"
#define STORE_META_PUBLISH_LAST_SUCCESS "publish_last_success"
#define STORE_META_PUBLISH_STATE "publish_state"
#define STORE_META_PUBLISH_LAST_ERROR "publish_last_error"
#define STORE_META_NODE_UID "node_uid"

/* A small key/value table: "recording_started", "node_name", ... */
int store_meta_set(struct store *st, const char *key, const char *value);
/* Copies into buf; -ENOENT when unset, -ENOSPC when buf is too short. */
int store_meta_get(struct store *st, const char *key, char *buf, size_t len);
/*
 * A value of bytes (stored as a BLOB): what netpol-recorderd keeps for its
 * next start. get: *out (malloc'd, the caller frees it; never NULL on
 * success) and *len; -ENOENT when unset, -ENOMEM.
 */
int store_meta_set_blob(struct store *st, const char *key, const void *v,
    size_t len);
int store_meta_get_blob(struct store *st, const char *key, void **out,
    size_t *len);

/* ---- reading (lib/store_read.c) ----------------------------------------
 *
 * What the CLI reads back, restricted to what it asks for with indexed
 * SQL: a namespace of a store with a million flows elsewhere costs only
 * its own rows. Walks call cb once per row in the order said; whatever a
 * callback is handed is borrowed for the call only; a non-zero return
 * from cb stops the walk and is returned.
 */

/* Which workloads a read is about, and which of their flows. */
struct store_scope {
	const char *namespace_;	/* NULL: every namespace */
	const char *kind;	/* with name (both or neither): one workload;
				 * the kind matched case-insensitively */
	const char *name;
	int64_t since;		/* flows last seen at or after; 0 = open */
	int64_t until;		/* flows first seen at or before; 0 = open */
	int direction;		/* FLOW_EGRESS, FLOW_INGRESS, or -1: both */
};

/* A workload row as a walk hands it out. */
struct store_workload_row {
	int64_t id;
	const char *namespace_;
	const char *kind;
	const char *name;
	const char *selector_json;	/* NULL when the store has none */
	const char *labels_json;	/* NULL when the store has none */
	const char *ports_json;		/* NULL when the store has none */
	bool host_network;
	int64_t started_at;		/* 0 unknown */
	const char *uid;		/* "" unknown */
	int64_t deleted_at;		/* 0 while it exists */
};
typedef int (*store_workload_row_cb)(const struct store_workload_row *w,
    void *arg);

/* The workloads of scope sc (its window and direction aside), in id
 * order. */
int store_read_workloads(struct store *st, const struct store_scope *sc,
    store_workload_row_cb cb, void *arg);
/* One workload by id; -ENOENT when there is none (a dangling peer). */
int store_read_workload(struct store *st, int64_t id,
    store_workload_row_cb cb, void *arg);

/*
 * The flows whose subject is a workload of scope sc, within its window
 * and direction, in no particular order. The keys' workload handles
 * are store workload ids; a dangling peer id stays as it is (the caller
 * finds no workload for it).
 */
typedef int (*store_flow_cb)(const struct flow *f, void *arg);
int store_read_flows(struct store *st, const struct store_scope *sc,
    store_flow_cb cb, void *arg);

/* Adopted attachments (lib/store.h, STORE_ADOPTED_PREFIX): how many are
 * attached now, and how many there ever were. */
int store_read_adopted(struct store *st, int64_t *attached, int64_t *ever);
/*
 * The DNS names the pods of the workloads of scope sc were answered with
 * (table dns_answers), per workload and address: one call per distinct
 * (workload id, address, name) whose answers overlap sc's window (last
 * seen at or after since, first seen at or before until), in no particular
 * order. The name is as the answer gave it (the name asked, with its
 * final dot). Pods not attributed to a workload yet are not included.
 */
typedef int (*store_dns_name_cb)(int64_t workload_id, const struct addr *a,
    const char *name, void *arg);
int store_read_dns_names(struct store *st, const struct store_scope *sc,
    store_dns_name_cb cb, void *arg);

/* The latest last_seen of any flow of the store; 0 when it has none. */
int store_read_last_seen(struct store *st, int64_t *out);

/*
 * The end of the store's data as readers take it: the later of the
 * newest flow's last_seen and the last update of any counter; 0 when
 * the store has neither.
 */
int store_read_data_end(struct store *st, int64_t *out);

/* Every workload, in id order (the publisher's view of what exists). */
int store_read_all_workloads(struct store *st, store_workload_row_cb cb,
    void *arg);

/*
 * The flows whose subject is workload id, in no particular order; the
 * keys' workload handles are store ids. *max_row (may be NULL) gets the
 * highest row id among them: rows are added for new flow keys only (an
 * update keeps its row), so a higher id than seen before means the
 * workload gained a flow.
 */
int store_read_flows_of(struct store *st, int64_t id, store_flow_cb cb,
    void *arg, int64_t *max_row);

/*
 * The workloads that have flows with a row id above after, each once
 * with the highest such id (in workload id order): who gained flows
 * since a walk that saw rows up to after. *max_row gets the highest row
 * id of the table (after when none is higher).
 */
typedef int (*store_gained_cb)(int64_t workload_id, int64_t max_row,
    void *arg);
int store_read_gained(struct store *st, int64_t after, store_gained_cb cb,
    void *arg, int64_t *max_row);

/*
 * The DNS answers the pods of workload id received (table dns_answers),
 * one call per (address, name) with the first and last time any of its
 * pods saw it, in no particular order.
 */
typedef int (*store_dns_of_cb)(const struct addr *a, const char *name,
    int64_t first_seen, int64_t last_seen, void *arg);
int store_read_dns_of(struct store *st, int64_t id, store_dns_of_cb cb,
    void *arg);

/* Attachments still attached whose pod was attached before t. */
int store_count_attached_before(struct store *st, int64_t t, int64_t *out);

/*
 * A read transaction: every read until store_read_end sees the store as
 * it was at the first of them (WAL: writers are not held up). For a
 * reader that builds one view out of several queries.
 */
int store_read_begin(struct store *st);
int store_read_end(struct store *st);

/* Every node address (name, address), in no particular order. */
typedef int (*store_node_cb)(const char *name, const struct addr *a,
    void *arg);
int store_read_nodes(struct store *st, store_node_cb cb, void *arg);

/* Every namespace the workloads are in, sorted. */
typedef int (*store_name_cb)(const char *name, void *arg);
int store_read_namespaces(struct store *st, store_name_cb cb, void *arg);
/* Does an attachment (a pod not attributed to a workload yet, say) name
 * namespace ns? */
int store_namespace_attached(struct store *st, const char *ns, bool *out);

/* For each workload with attachments, the time its first pod was
 * attached, and whether that attachment was an adoption (the pod was
 * running before: it is observed from then on); one grouped scan of the
 * attachments. */
typedef int (*store_first_attached_cb)(int64_t workload_id,
    int64_t attached_at, bool adopted, void *arg);
int store_read_first_attachments(struct store *st,
    store_first_attached_cb cb, void *arg);

/* How many of each the store holds. */
struct store_totals {
	int64_t attached;	/* attachments still attached */
	int64_t adopted;	/* ... of which adopted by the daemon */
	int64_t detached;
	int64_t workloads;
	int64_t namespaces;	/* distinct namespaces of the workloads */
	int64_t flows;
	int64_t known_servers;
};
int store_read_totals(struct store *st, struct store_totals *out);

/*
 * What is at path, to say why store_open() refused it. Never creates or
 * changes anything; *version is the file's schema version (PRAGMA
 * user_version) when it is an SQLite file, else 0.
 */
enum store_probe_kind {
	STORE_PROBE_MISSING,		/* nothing there */
	STORE_PROBE_DIRECTORY,		/* a directory */
	STORE_PROBE_UNREADABLE,		/* there, but cannot be opened */
	STORE_PROBE_NOT_SQLITE,		/* a file that is no SQLite database */
	STORE_PROBE_NOT_A_STORE,	/* an SQLite database without our
					 * tables */
	STORE_PROBE_OLDER,		/* a store of an older schema */
	STORE_PROBE_CURRENT,		/* a store of STORE_SCHEMA_VERSION */
	STORE_PROBE_NEWER,		/* a store of a newer schema */
};
void store_probe(const char *path, enum store_probe_kind *kind,
    int *version);

#endif
