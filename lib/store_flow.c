/*
 * store_flow: aggregated flows (the daemon's upsert, pruning old rows) and
 * the names of a flow's direction, peer kind and protocol.
 */
#include "lib/store_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <strings.h>

/* ---- flows -------------------------------------------------------------- */

static int
flow_upsert(struct store *st, const struct store_flow *f)
{
	sqlite3_stmt *s = store_stmt(st, S_FLOW_UPSERT);

	if (s == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, f->workload_id);
	sqlite3_bind_int(s, 2, f->direction);
	sqlite3_bind_int(s, 3, f->peer_kind);
	sqlite3_bind_int64(s, 4, f->peer_workload_id);
	bind_text(s, 5, f->peer_addr);
	sqlite3_bind_int(s, 6, f->protocol);
	sqlite3_bind_int(s, 7, f->port);
	bind_text(s, 8, f->orig_addr);
	sqlite3_bind_int(s, 9, f->orig_port);
	bind_text(s, 10, f->dns_name);
	sqlite3_bind_int64(s, 11, f->first_seen);
	sqlite3_bind_int64(s, 12, f->last_seen);
	sqlite3_bind_int64(s, 13, (int64_t)f->count);
	sqlite3_bind_int64(s, 14, (int64_t)f->bytes);
	sqlite3_bind_int64(s, 15, (int64_t)f->packets);
	return step_done(s);
}

static int
flow_item(struct store *st, const void *items, size_t i)
{
	return flow_upsert(st, &((const struct store_flow *)items)[i]);
}

int
store_flows_write(struct store *st, const struct store_flow *flows, size_t n)
{
	if (n == 0)
		return 0;
	return each_in_transaction(st, n, flow_item, flows);
}

int
store_flows_prune(struct store *st, int64_t cutoff, int64_t *deleted)
{
	sqlite3_stmt *s = NULL;
	int rc;

	rc = sqlite3_prepare_v2(st->db, "DELETE FROM flows WHERE last_seen<?1",
	    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return sqlite_errno(rc);
	sqlite3_bind_int64(s, 1, cutoff);
	rc = step_done(s);
	if (rc == 0 && deleted != NULL)
		*deleted = sqlite3_changes(st->db);
	sqlite3_finalize(s);
	return rc;
}

/* ---- names --------------------------------------------------------------- */

static const char *const direction_names[] = {
	[STORE_EGRESS] = "egress",
	[STORE_INGRESS] = "ingress",
};

static const char *const peer_kind_names[] = {
	[STORE_PEER_WORKLOAD] = "workload",
	[STORE_PEER_ADDRESS] = "address",
	[STORE_PEER_NODE] = "node",
	[STORE_PEER_UNKNOWN] = "unknown",
};

static const struct {
	int proto;
	const char *name;
} protocols[] = {
	{ IPPROTO_TCP, "TCP" },
	{ IPPROTO_UDP, "UDP" },
	{ IPPROTO_SCTP, "SCTP" },
	{ IPPROTO_ICMP, "ICMP" },
	{ IPPROTO_ICMPV6, "ICMPv6" },
};

const char *
store_direction_name(int direction)
{
	if (direction < 0 || direction > STORE_INGRESS)
		return "?";
	return direction_names[direction];
}

const char *
store_peer_kind_name(int kind)
{
	if (kind < 0 || kind > STORE_PEER_UNKNOWN)
		return "?";
	return peer_kind_names[kind];
}

const char *
store_protocol_name(int protocol)
{
	size_t i;

	for (i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++)
		if (protocols[i].proto == protocol)
			return protocols[i].name;
	return NULL;
}

int
store_protocol_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++)
		if (strcasecmp(protocols[i].name, name) == 0)
			return protocols[i].proto;
	return -EINVAL;
}
