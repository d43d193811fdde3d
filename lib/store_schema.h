/*
 * The store's schema, one migration per version. Migration N brings
 * user_version N-1 to N. Never edit a released migration: add one.
 *
 * Readers (the CLI's export, report and check) query these tables
 * directly; the column meanings are in lib/store.h.
 */
#ifndef NPR_STORE_SCHEMA_H
#define NPR_STORE_SCHEMA_H

static const char *const store_migrations[] = {
	/* 1: the first schema */
	"CREATE TABLE attachments ("
	"  id INTEGER PRIMARY KEY,"
	"  container_id TEXT NOT NULL,"
	"  ifname TEXT NOT NULL,"
	"  pod_namespace TEXT NOT NULL DEFAULT '',"
	"  pod_name TEXT NOT NULL DEFAULT '',"
	"  pod_uid TEXT NOT NULL DEFAULT '',"
	"  netns TEXT NOT NULL DEFAULT '',"
	"  host_veth TEXT NOT NULL DEFAULT '',"
	"  host_ifindex INTEGER NOT NULL DEFAULT 0,"
	"  workload_id INTEGER NOT NULL DEFAULT 0,"
	"  attached_at INTEGER NOT NULL,"
	"  detached_at INTEGER NOT NULL DEFAULT 0,"
	"  UNIQUE (container_id, ifname));"
	/* Which pod held which address, from when to when (0 = still). */
	"CREATE TABLE addresses ("
	"  id INTEGER PRIMARY KEY,"
	"  attachment_id INTEGER NOT NULL REFERENCES attachments(id),"
	"  addr TEXT NOT NULL,"
	"  prefix INTEGER NOT NULL,"
	"  valid_from INTEGER NOT NULL,"
	"  valid_to INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX addresses_by_addr ON addresses (addr, valid_from);"
	"CREATE INDEX addresses_by_attachment ON addresses (attachment_id);"
	"CREATE TABLE workloads ("
	"  id INTEGER PRIMARY KEY,"
	"  namespace TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  selector TEXT,"
	"  labels TEXT,"
	"  ports TEXT,"
	"  host_network INTEGER NOT NULL DEFAULT 0,"
	"  started_at INTEGER NOT NULL DEFAULT 0,"
	"  UNIQUE (namespace, kind, name));"
	/* Aggregated flows. Empty strings and zeros, never NULL, in the key:
	 * NULLs are all distinct in a UNIQUE index. */
	"CREATE TABLE flows ("
	"  id INTEGER PRIMARY KEY,"
	"  workload_id INTEGER NOT NULL,"
	"  direction INTEGER NOT NULL,"
	"  peer_kind INTEGER NOT NULL,"
	"  peer_workload_id INTEGER NOT NULL DEFAULT 0,"
	"  peer_addr TEXT NOT NULL DEFAULT '',"
	"  protocol INTEGER NOT NULL,"
	"  port INTEGER NOT NULL,"
	"  orig_addr TEXT NOT NULL DEFAULT '',"
	"  orig_port INTEGER NOT NULL DEFAULT 0,"
	"  dns_name TEXT NOT NULL DEFAULT '',"
	"  first_seen INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  count INTEGER NOT NULL DEFAULT 0,"
	"  bytes INTEGER NOT NULL DEFAULT 0,"
	"  packets INTEGER NOT NULL DEFAULT 0,"
	"  UNIQUE (workload_id, direction, peer_kind, peer_workload_id,"
	"          peer_addr, protocol, port, orig_addr, orig_port));"
	"CREATE INDEX flows_by_peer ON flows (peer_workload_id);"
	"CREATE INDEX flows_by_last_seen ON flows (last_seen);"
	"CREATE TABLE dns_answers ("
	"  id INTEGER PRIMARY KEY,"
	"  attachment_id INTEGER NOT NULL,"
	"  name TEXT NOT NULL,"
	"  addr TEXT NOT NULL,"
	"  ttl INTEGER NOT NULL DEFAULT 0,"
	"  first_seen INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  UNIQUE (attachment_id, name, addr));"
	"CREATE INDEX dns_by_addr ON dns_answers (addr);"
	"CREATE TABLE nodes ("
	"  name TEXT NOT NULL,"
	"  addr TEXT NOT NULL,"
	"  UNIQUE (name, addr));"
	"CREATE TABLE known_servers ("
	"  id INTEGER PRIMARY KEY,"
	"  source TEXT NOT NULL,"
	"  cidr TEXT NOT NULL,"
	"  server TEXT NOT NULL DEFAULT '',"
	"  name TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX known_servers_by_source ON known_servers (source);"
	"CREATE TABLE counters ("
	"  name TEXT PRIMARY KEY,"
	"  value INTEGER NOT NULL DEFAULT 0,"
	"  updated_at INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE meta ("
	"  key TEXT PRIMARY KEY,"
	"  value TEXT NOT NULL);",
	/* 2: what the TrafficProfile publisher needs of a workload: the
	 * uid its ownerReference names, and when the metadata source saw
	 * it deleted (its object is then deleted too). */
	"ALTER TABLE workloads ADD COLUMN uid TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE workloads ADD COLUMN deleted_at INTEGER NOT NULL"
	"  DEFAULT 0;",
};

#define STORE_NMIGRATIONS \
	((int)(sizeof(store_migrations) / sizeof(store_migrations[0])))

#endif
