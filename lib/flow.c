/*
 * flow: the key, the merge rule (in C and as SQL) and the names of a
 * flow's fields.
 */
#include "lib/flow.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

_Static_assert(sizeof(struct flow_key) % 8 == 0,
    "flow_key is hashed as 64-bit words");

void
flow_init(struct flow *f, const struct flow_key *k, int64_t now,
    uint64_t count)
{
	memset(f, 0, sizeof(*f));
	f->key = *k;
	f->dns_name = "";
	f->first_seen = now;
	f->last_seen = now;
	f->count = count;
}

uint64_t
flow_key_hash(const struct flow_key *k)
{
	const unsigned char *p = (const unsigned char *)k;
	uint64_t h = 0x9e3779b97f4a7c15ULL, w;

	for (size_t i = 0; i < sizeof(*k); i += 8) {
		memcpy(&w, p + i, 8);
		h ^= w;
		h *= 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	h ^= h >> 29;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 32;
	return h;
}

bool
flow_key_equal(const struct flow_key *a, const struct flow_key *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

#define CMP(x, y) do {						\
	if ((x) != (y))						\
		return (x) < (y) ? -1 : 1;			\
} while (0)

int
flow_key_cmp(const struct flow_key *a, const struct flow_key *b)
{
	int c;

	CMP(a->subject, b->subject);
	CMP(a->direction, b->direction);
	CMP(a->peer_kind, b->peer_kind);
	CMP(a->peer_wl, b->peer_wl);
	if ((c = addr_cmp(&a->peer, &b->peer)) != 0)
		return c;
	CMP(a->protocol, b->protocol);
	CMP(a->port, b->port);
	if ((c = addr_cmp(&a->orig, &b->orig)) != 0)
		return c;
	CMP(a->orig_port, b->orig_port);
	return 0;
}

#undef CMP

/*
 * The merge rule, once. flow_merge() applies it to structs and
 * flow_merge_sql() writes it as SQL for the store's upsert; a field added
 * to struct flow is added here in both.
 */
void
flow_merge(struct flow *into, const struct flow *from)
{
	if (from->dns_name[0] != '\0' && (into->dns_name[0] == '\0' ||
	    from->last_seen >= into->last_seen))
		into->dns_name = from->dns_name;
	if (from->first_seen < into->first_seen)
		into->first_seen = from->first_seen;
	if (from->last_seen > into->last_seen)
		into->last_seen = from->last_seen;
	into->count += from->count;
	into->bytes += from->bytes;
	into->packets += from->packets;
}

int
flow_merge_sql(char *buf, size_t len, const char *old)
{
	/* SQLite evaluates every SET expression on the row as it was before
	 * the update, as flow_merge() reads into before changing it. */
	return snprintf(buf, len,
	    "dns_name=CASE WHEN excluded.dns_name != '' AND"
	    " (%1$s.dns_name = '' OR excluded.last_seen >= %1$s.last_seen)"
	    " THEN excluded.dns_name ELSE %1$s.dns_name END,"
	    " first_seen=min(%1$s.first_seen, excluded.first_seen),"
	    " last_seen=max(%1$s.last_seen, excluded.last_seen),"
	    " count=%1$s.count + excluded.count,"
	    " bytes=%1$s.bytes + excluded.bytes,"
	    " packets=%1$s.packets + excluded.packets", old);
}

/* ---- names ------------------------------------------------------------ */

static const char *const direction_names[] = {
	[FLOW_EGRESS] = "egress",
	[FLOW_INGRESS] = "ingress",
};

static const char *const peer_kind_names[] = {
	[FLOW_PEER_WORKLOAD] = "workload",
	[FLOW_PEER_ADDRESS] = "address",
	[FLOW_PEER_NODE] = "node",
	[FLOW_PEER_UNKNOWN] = "unknown",
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
flow_direction_name(int direction)
{
	if (direction < 0 || direction > FLOW_INGRESS)
		return "?";
	return direction_names[direction];
}

const char *
flow_peer_kind_name(int kind)
{
	if (kind < 0 || kind > FLOW_PEER_UNKNOWN)
		return "?";
	return peer_kind_names[kind];
}

const char *
flow_protocol_name(int protocol)
{
	size_t i;

	for (i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++)
		if (protocols[i].proto == protocol)
			return protocols[i].name;
	return NULL;
}

int
flow_protocol_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++)
		if (strcasecmp(protocols[i].name, name) == 0)
			return protocols[i].proto;
	return -EINVAL;
}
