/*
 * store_source: one store file fed into the index (see store_source.h).
 *
 * What belongs to the store as a whole (counters, nodes, namespaces, the
 * recording's start, the end of its data, KnownServers) is fed first; then
 * the workloads of the query's scope, their flows with the peer workloads
 * they name (read one by one by id, as met), the DNS names their pods were
 * answered with (only names of egress matter), and last the first
 * attachment of each workload whose start time is unknown.
 */
#include "cli/source/store_source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli/base/timefmt.h"
#include "cli/source/completeness.h"
#include "cli/source/index.h"
#include "lib/store.h"

struct store_source {
	struct source src;	/* first: what the index holds */
	char *path;
};

/* One load: the store's ids mapped to the builder's handles. */
struct load {
	struct store *st;
	struct index_builder *b;
	const char *path;
	json_tokener *tok;	/* reused: one allocation, not one per value */
	int64_t *ids, *handles;	/* open addressing, id 0 = empty */
	size_t cap, n;
	bool need_attached;	/* a workload's start time is unknown, or
				 * pods were adopted */
	int64_t peer;		/* the handle a peer read by id got */
	struct compl_node node;	/* the store's node, for its notes */
};

/* ---- store ids -> handles ------------------------------------------------- */

static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static size_t
id_slot(const struct load *l, int64_t id)
{
	size_t i, m = l->cap - 1;

	for (i = mix64((uint64_t)id) & m; l->ids[i] != 0 && l->ids[i] != id;
	    i = (i + 1) & m)
		;
	return i;
}

/* The handle of store id, or -1 when not read (yet). */
static int64_t
id_get(const struct load *l, int64_t id)
{
	size_t i;

	if (l->cap == 0)
		return -1;
	i = id_slot(l, id);
	return l->ids[i] == id ? l->handles[i] : -1;
}

static int
id_put(struct load *l, int64_t id, int64_t handle)
{
	int64_t *oids = l->ids, *ohs = l->handles;
	size_t i, ocap = l->cap;

	if ((l->n + 1) * 2 > l->cap) {
		l->cap = ocap ? ocap * 2 : 64;
		l->ids = calloc(l->cap, sizeof(*l->ids));
		l->handles = calloc(l->cap, sizeof(*l->handles));
		if (l->ids == NULL || l->handles == NULL) {
			free(l->ids);
			free(l->handles);
			l->ids = oids;
			l->handles = ohs;
			l->cap = ocap;
			return -ENOMEM;
		}
		for (i = 0; i < ocap; i++)
			if (oids[i] != 0) {
				l->ids[id_slot(l, oids[i])] = oids[i];
				l->handles[id_slot(l, oids[i])] = ohs[i];
			}
		free(oids);
		free(ohs);
	}
	i = id_slot(l, id);
	if (l->ids[i] == 0)
		l->n++;
	l->ids[i] = id;
	l->handles[i] = handle;
	return 0;
}

/* ---- rows -> the builder ----------------------------------------------------- */

/* A JSON column of the wanted type; NULL when absent or malformed. */
static json_object *
parse_json(struct load *l, const char *text, json_type want)
{
	json_object *o;

	if (text == NULL)
		return NULL;
	json_tokener_reset(l->tok);
	o = json_tokener_parse_ex(l->tok, text, (int)strlen(text));
	if (json_tokener_get_error(l->tok) != json_tokener_success ||
	    (o != NULL && !json_object_is_type(o, want))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static int
workload_cb(const struct store_workload_row *r, void *arg)
{
	struct load *l = arg;
	struct index_source_workload w = {
		.namespace_ = r->namespace_,
		.kind = r->kind,
		.name = r->name,
		.host_network = r->host_network,
		.started_at = r->started_at,
	};
	int64_t h;
	int rc;

	/* Parsed only when the builder has none yet would be cheaper still;
	 * a workload comes once per store, its flows are what costs. */
	w.selector = parse_json(l, r->selector_json, json_type_object);
	w.labels = parse_json(l, r->labels_json, json_type_object);
	w.ports = parse_json(l, r->ports_json, json_type_array);
	rc = index_add_workload(l->b, &w, &h);
	json_object_put(w.selector);
	json_object_put(w.labels);
	json_object_put(w.ports);
	if (rc == 0)
		rc = id_put(l, r->id, h);
	if (r->started_at == 0)
		l->need_attached = true;
	l->peer = h;
	return rc;
}

/* The handle of a peer workload by store id, reading it if needed; -1
 * when the store has no such workload (a dangling id). */
static int
peer_handle(struct load *l, int64_t id, int64_t *out)
{
	int rc;

	if ((*out = id_get(l, id)) >= 0)
		return 0;
	rc = store_read_workload(l->st, id, workload_cb, l);
	if (rc == -ENOENT)
		return 0;
	if (rc == 0)
		*out = l->peer;
	return rc;
}

static int
flow_cb(const struct flow *in, void *arg)
{
	struct load *l = arg;
	struct flow f = *in;
	const char *ns;
	int64_t h;
	int rc;

	if ((f.key.subject = id_get(l, in->key.subject)) < 0)
		return 0;	/* not a workload of the scope */
	if (f.key.peer_kind == FLOW_PEER_WORKLOAD) {
		if ((rc = peer_handle(l, in->key.peer_wl, &h)) < 0)
			return rc;
		if (h < 0) {
			f.key.peer_kind = FLOW_PEER_UNKNOWN;
			h = 0;
		}
		f.key.peer_wl = h;
	}
	if ((ns = index_kept_namespace(l->b, &f)) != NULL &&
	    (rc = compl_saw(&l->node, ns)) < 0)
		return rc;
	return index_add_flow(l->b, &f);
}

static int
dns_name_cb(int64_t id, const struct addr *a, const char *name, void *arg)
{
	struct load *l = arg;
	int64_t h = id_get(l, id);

	return h >= 0 ? index_add_dns_name(l->b, h, a, name) : 0;
}

static int
first_attached_cb(int64_t id, int64_t t, bool adopted, void *arg)
{
	struct load *l = arg;
	int64_t h = id_get(l, id);

	if (h >= 0)
		index_add_first_attached(l->b, h, t, adopted);
	return 0;
}

static int
counter_cb(const char *name, int64_t value, int64_t updated_at, void *arg)
{
	struct load *l = arg;

	if (strcmp(name, "events_lost") == 0)
		l->node.events_lost += value;
	return index_add_counter(l->b, name, value, updated_at);
}

static int
node_cb(const char *name, const struct addr *a, void *arg)
{
	struct load *l = arg;

	(void)name;
	return index_add_node(l->b, a);
}

static int
namespace_cb(const char *ns, void *arg)
{
	struct load *l = arg;

	return index_add_namespace(l->b, ns);
}

static int
known_server_cb(const struct store_known_server *ks, void *arg)
{
	struct load *l = arg;
	struct addr_cidr c;

	if (addr_cidr_parse(ks->cidr, &c) < 0)
		return 0;	/* not ours to repair: skip it */
	return index_add_known_server(l->b, ks->source, &c, ks->server,
	    ks->name);
}

/* The daemon keeps Unix seconds; older stores may hold RFC 3339 text. */
static int64_t
parse_meta_time(const char *v)
{
	int64_t t;
	char *end;

	t = strtoll(v, &end, 10);
	if (end != v && *end == '\0')
		return t;
	if (*v != '\0' && v[0] >= '0' && v[0] <= '9' && strchr(v, '-') &&
	    timefmt_parse_time(v, 0, &t) == 0)
		return t;
	return 0;
}

/* Counters, nodes, namespaces, the recording's start, the data's end,
 * KnownServers. */
static int
load_store_facts(struct load *l, const struct source_query *q)
{
	char buf[64];
	int64_t t, now, ever;
	bool attached;
	int rc;

	if (store_meta_get(l->st, "recording_started", buf, sizeof(buf)) ==
	    0 && (t = parse_meta_time(buf)) > 0)
		index_add_recording_started(l->b, t);
	if (store_meta_get(l->st, "node_name", buf, sizeof(buf)) == 0 &&
	    buf[0] != '\0' && (l->node.name = strdup(buf)) == NULL)
		return -ENOMEM;
	if ((rc = store_counter_foreach(l->st, counter_cb, l)) < 0 ||
	    (rc = store_read_nodes(l->st, node_cb, l)) < 0 ||
	    (rc = store_read_namespaces(l->st, namespace_cb, l)) < 0)
		return rc;
	/* A namespace only pods not attributed yet are in. */
	if (q->namespace_ != NULL && !index_has_namespace(l->b, q->namespace_)) {
		if ((rc = store_namespace_attached(l->st, q->namespace_,
		    &attached)) < 0)
			return rc;
		if (attached && (rc = index_add_namespace(l->b,
		    q->namespace_)) < 0)
			return rc;
	}
	if ((rc = store_read_last_seen(l->st, &t)) < 0)
		return rc;
	index_add_data_end(l->b, t);
	/* Pods netpol-recorderd adopted (running before they were
	 * recorded): how many are now, beside the counters; a workload's
	 * first attachment says whether its observation starts at an
	 * adoption, so the attachments are read. */
	if ((rc = store_read_adopted(l->st, &now, &ever)) < 0)
		return rc;
	if (ever > 0) {
		l->need_attached = true;
		if ((rc = index_add_counter(l->b, "pods_adopted", now,
		    0)) < 0)
			return rc;
	}
	return store_known_servers_foreach(l->st, known_server_cb, l);
}

static int
load(struct source *src, const struct source_query *q,
    struct index_builder *b, char *err, size_t errlen)
{
	struct store_source *s = (struct store_source *)(void *)src;
	struct load l = { .b = b, .path = s->path };
	struct store_scope sc = {
		.namespace_ = q->namespace_,
		.since = q->since,
		.until = q->until,
		.direction = q->direction,
	};
	const char *what = "reading it";
	int rc;

	rc = store_open(s->path, STORE_OPEN_READONLY | STORE_OPEN_NOCREATE,
	    &l.st);
	if (rc < 0) {
		store_source_explain(s->path, rc, err, errlen);
		return rc;
	}
	if ((l.tok = json_tokener_new()) == NULL ||
	    asprintf(&l.node.where, "store %s", s->path) < 0) {
		l.node.where = NULL;
		rc = -ENOMEM;
		goto out;
	}
	if ((rc = load_store_facts(&l, q)) < 0)
		goto out;
	/* Every workload of the namespace, also when the query names one:
	 * the index keeps only those in scope, and names the closest when
	 * none is. */
	what = "reading its workloads";
	if ((rc = store_read_workloads(l.st, &sc, workload_cb, &l)) < 0)
		goto out;
	what = "reading its flows";
	sc.kind = q->kind;
	sc.name = q->name;
	if ((rc = store_read_flows(l.st, &sc, flow_cb, &l)) < 0)
		goto out;
	what = "reading its DNS answers";
	if (q->direction != FLOW_INGRESS &&
	    (rc = store_read_dns_names(l.st, &sc, dns_name_cb, &l)) < 0)
		goto out;
	/* Attachments have no index on the workload: one grouped scan,
	 * only when a workload's start is unknown. */
	what = "reading its attachments";
	if (l.need_attached && (rc = store_read_first_attachments(l.st,
	    first_attached_cb, &l)) < 0)
		goto out;
	rc = compl_notes(&l.node, b);
out:
	if (rc < 0)
		snprintf(err, errlen, "%s: %s: %s", s->path, what,
		    rc == -ENOMEM ? "out of memory" : store_errmsg(l.st));
	if (l.tok != NULL)
		json_tokener_free(l.tok);
	free(l.ids);
	free(l.handles);
	compl_node_clear(&l.node);
	store_close(l.st);
	return rc;
}

static void
source_store_free(struct source *src)
{
	struct store_source *s = (struct store_source *)(void *)src;

	free(s->path);
	free(s);
}

static const struct source_ops store_source_ops = {
	.load = load,
	.free = source_store_free,
};

int
store_source_new(const char *path, struct source **out)
{
	struct store_source *s;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->path = strdup(path)) == NULL) {
		free(s);
		return -ENOMEM;
	}
	s->src.ops = &store_source_ops;
	*out = &s->src;
	return 0;
}

void
store_source_explain(const char *path, int rc, char *err, size_t errlen)
{
	enum store_probe_kind kind;
	int version;

	store_probe(path, &kind, &version);
	switch (kind) {
	case STORE_PROBE_MISSING:
		snprintf(err, errlen, "%s: no such store. netpol-recorderd "
		    "writes it once it runs on this node: start it, or name "
		    "an existing store with --db PATH or NETPOL_RECORD_DB",
		    path);
		break;
	case STORE_PROBE_DIRECTORY:
		snprintf(err, errlen, "%s: is a directory, not a store: name "
		    "the store file in it with --db (netpol-recorderd's is "
		    "records.db)", path);
		break;
	case STORE_PROBE_NOT_SQLITE:
		snprintf(err, errlen, "%s: is not a netpol-record store (not "
		    "an SQLite database at all): name the store file with --db "
		    "PATH or NETPOL_RECORD_DB", path);
		break;
	case STORE_PROBE_NOT_A_STORE:
		snprintf(err, errlen, "%s: is an SQLite database, but not a "
		    "netpol-record store (it has no workloads or flows "
		    "tables): name the store file with --db PATH or "
		    "NETPOL_RECORD_DB", path);
		break;
	case STORE_PROBE_NEWER:
		snprintf(err, errlen, "%s: written by a newer netpol-record "
		    "(store schema version %d; this one reads up to version "
		    "%d): use a netpol-record at least as new as the "
		    "netpol-recorderd that wrote it", path, version,
		    STORE_SCHEMA_VERSION);
		break;
	case STORE_PROBE_OLDER:
		snprintf(err, errlen, "%s: written by an older netpol-record "
		    "(store schema version %d; this one reads version %d): "
		    "netpol-recorderd of this version migrates it when it "
		    "starts on it", path, version, STORE_SCHEMA_VERSION);
		break;
	default:
		snprintf(err, errlen, "%s: cannot open the store: %s", path,
		    strerror(-rc));
		break;
	}
}
