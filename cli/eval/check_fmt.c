/*
 * check_fmt: check's results as text and JSON (see check_fmt.h).
 */
#include "cli/eval/check_fmt.h"

#include <stdio.h>

#include "cli/base/timefmt.h"
#include "lib/store.h"

/* ---- text helpers ------------------------------------------------------ */

char *
check_fmt_workload(const struct index_workload *wl, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s/%s", wl->namespace_, wl->kind, wl->name);
	return buf;
}

char *
check_fmt_port(int protocol, unsigned port, char *buf, size_t len)
{
	const char *p = flow_protocol_name(protocol);
	char unk[16];

	if (p == NULL) {
		snprintf(unk, sizeof(unk), "proto-%d", protocol);
		p = unk;
	}
	if (port == 0)
		snprintf(buf, len, "%s", p);
	else
		snprintf(buf, len, "%s/%u", p, port);
	return buf;
}

char *
check_fmt_peer(const struct check_peer *p, const char *dns_name, char *buf,
    size_t len)
{
	char a[ADDR_STRLEN];

	switch (p->kind) {
	case FLOW_PEER_WORKLOAD:
		return check_fmt_workload(p->wl, buf, len);
	case FLOW_PEER_NODE:
		snprintf(buf, len, "node %s", addr_format(&p->addr, a,
		    sizeof(a)));
		return buf;
	case FLOW_PEER_ADDRESS:
		addr_format(&p->addr, a, sizeof(a));
		if (dns_name != NULL && dns_name[0] != '\0')
			snprintf(buf, len, "%s (%s)", a, dns_name);
		else
			snprintf(buf, len, "%s", a);
		return buf;
	default:
		snprintf(buf, len, "unknown");
		return buf;
	}
}

/* ---- JSON -------------------------------------------------------------- */

static void
jset_str(json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v ? v : ""));
}

static void
jset_time(json_object *o, const char *key, int64_t t)
{
	char buf[40];

	if (t <= 0)
		json_object_object_add(o, key, NULL);
	else
		jset_str(o, key, timefmt_format_time(t, buf, sizeof(buf)));
}

json_object *
check_fmt_peer_json(const struct check_peer *p)
{
	json_object *o = json_object_new_object();
	char buf[STORE_NAME_LEN * 3 + 4];

	if (o == NULL)
		return NULL;
	jset_str(o, "type", flow_peer_kind_name(p->kind));
	switch (p->kind) {
	case FLOW_PEER_WORKLOAD:
		jset_str(o, "namespace", p->wl->namespace_);
		jset_str(o, "kind", p->wl->kind);
		jset_str(o, "name", p->wl->name);
		jset_str(o, "id", check_fmt_workload(p->wl, buf, sizeof(buf)));
		break;
	case FLOW_PEER_ADDRESS:
	case FLOW_PEER_NODE:
		jset_str(o, "address", addr_format(&p->addr, buf, sizeof(buf)));
		break;
	default:
		break;
	}
	return o;
}

json_object *
check_fmt_notes_json(unsigned notes)
{
	json_object *a = json_object_new_array();
	unsigned bit;

	for (bit = 1; a != NULL && bit != 0 && bit <= notes; bit <<= 1)
		if (notes & bit)
			json_object_array_add(a,
			    json_object_new_string(npeval_note_text(bit)));
	return a;
}

json_object *
check_fmt_denial_json(const struct npeval_set *set, const struct check_denial *d)
{
	json_object *o = json_object_new_object(), *pols;
	const char *proto = flow_protocol_name(d->protocol);
	char buf[STORE_NAME_LEN * 3 + 4];
	size_t i;

	if (o == NULL)
		return NULL;
	jset_str(o, "workload", check_fmt_workload(d->wl, buf, sizeof(buf)));
	jset_str(o, "namespace", d->wl->namespace_);
	jset_str(o, "kind", d->wl->kind);
	jset_str(o, "name", d->wl->name);
	jset_str(o, "direction", flow_direction_name(d->direction));
	json_object_object_add(o, "peer", check_fmt_peer_json(&d->peer));
	if (proto != NULL)
		jset_str(o, "protocol", proto);
	else
		json_object_object_add(o, "protocol",
		    json_object_new_int(d->protocol));
	json_object_object_add(o, "port", json_object_new_int(d->port));
	jset_str(o, "verdict", npeval_verdict_name(d->verdict));
	json_object_object_add(o, "count", json_object_new_int64(
	    (int64_t)d->count));
	jset_time(o, "firstSeen", d->first_seen);
	jset_time(o, "lastSeen", d->last_seen);
	jset_str(o, "dnsName", d->dns_name);
	pols = json_object_new_array();
	for (i = 0; pols != NULL && i < d->npolicies; i++) {
		snprintf(buf, sizeof(buf), "%s/%s",
		    npeval_policy_namespace(set, d->policies[i]),
		    npeval_policy_name(set, d->policies[i]));
		json_object_array_add(pols, json_object_new_string(buf));
	}
	json_object_object_add(o, "policies", pols);
	json_object_object_add(o, "notes", check_fmt_notes_json(d->notes));
	return o;
}
