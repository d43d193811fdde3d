/*
 * plugin: the CNI commands. Each command fills a struct cni_err on failure;
 * plugin_run() turns that into the error JSON, or, for failures of our own
 * under failurePolicy "ignore", logs it and passes prevResult through so
 * that the pod still gets its network.
 */
#include "cni/plugin.h"

#include <errno.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cni/cniconf.h"
#include "cni/hostif.h"
#include "lib/attmsg.h"
#include "lib/log.h"
#include "lib/sort.h"
#include "lib/store.h"
#include "nft/nftstore.h"
#include "nft/nftrules.h"

/*
 * How long ADD and DEL wait on the store. Reading does not wait for a
 * writer (WAL): only a checkpoint can hold it up. Writing happens only
 * without netpol-recorderd (it takes the attachment and writes it
 * itself), and gives up after PLUGIN_WRITE_MS: the kernel part is done
 * by then, and the daemon records the attachment from the elements'
 * owner comments when it starts.
 */
#define PLUGIN_READ_MS 200
#define PLUGIN_WRITE_MS 1000
/* How long the hand-over waits when the daemon's queue is full. */
#define PLUGIN_HANDOVER_MS 100

struct ctx {
	const struct plugin_env *env;
	struct cni_conf conf;
	struct cni_err err;
	FILE *out;
	struct store *st;
	struct nftrules *nr;
	bool handed_over;	/* netpol-recorderd has the nftables socket */
};

enum cmd_flags {
	NEEDS_ID = 1 << 0,	/* CNI_CONTAINERID and CNI_IFNAME */
	POLICY = 1 << 1,	/* failures of ours obey failurePolicy */
};

struct cmd {
	const char *name;
	const char *min_version;
	int flags;
	int (*fn)(struct ctx *);
};

void
plugin_env_load(struct plugin_env *env)
{
	env->command = getenv("CNI_COMMAND");
	env->container_id = getenv("CNI_CONTAINERID");
	env->netns = getenv("CNI_NETNS");
	env->ifname = getenv("CNI_IFNAME");
	env->args = getenv("CNI_ARGS");
	env->path = getenv("CNI_PATH");
}

static bool
empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

static int
store_code(int ret)
{
	return ret == -EBUSY ? CNI_ERR_TRY_LATER : CNI_ERR_STORE;
}

static int
open_store(struct ctx *c)
{
	int ret;

	if (c->st != NULL)
		return 0;
	/* Without the daemon, every plugin process would be the last
	 * connection and checkpoint the WAL on close (milliseconds of I/O
	 * per ADD). Leave that to SQLite's auto-checkpoint and the daemon. */
	ret = store_open(c->conf.db, STORE_OPEN_NO_CKPT_ON_CLOSE, &c->st);
	if (ret != 0)
		return cni_err_set(&c->err, store_code(ret), strerror(-ret),
		    "cannot open the store %s", c->conf.db);
	(void)store_set_busy_timeout(c->st, PLUGIN_READ_MS);
	return 0;
}

static int
open_nft(struct ctx *c)
{
	int ret;

	if (c->nr != NULL)
		return 0;
	if ((ret = nftrules_open(&c->nr)) != 0)
		return cni_err_set(&c->err, CNI_ERR_NFTABLES, strerror(-ret),
		    "cannot open an nftables netlink socket");
	return 0;
}

/* ---- VERSION ---------------------------------------------------------- */

static int
print_version(FILE *out, const char *version)
{
	json_object *o, *arr;
	int i;

	o = json_object_new_object();
	arr = json_object_new_array();
	if (o == NULL || arr == NULL) {
		json_object_put(o);
		json_object_put(arr);
		return 1;
	}
	for (i = 0; cni_supported_versions[i] != NULL; i++)
		json_object_array_add(arr,
		    json_object_new_string(cni_supported_versions[i]));
	json_object_object_add(o, "cniVersion", json_object_new_string(
	    cni_version_supported(version) ? version : CNI_VERSION_LATEST));
	json_object_object_add(o, "supportedVersions", arr);
	fprintf(out, "%s\n", json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return 0;
}

/* ---- ADD ---------------------------------------------------------------- */

static void
fill_identity(struct ctx *c, const struct cni_args *args,
    struct store_attachment *a)
{
	const struct cni_conf *cf = &c->conf;

	snprintf(a->pod_namespace, sizeof(a->pod_namespace), "%s",
	    args->pod_namespace[0] ? args->pod_namespace : cf->ann_namespace);
	snprintf(a->pod_name, sizeof(a->pod_name), "%s",
	    args->pod_name[0] ? args->pod_name : cf->ann_name);
	snprintf(a->pod_uid, sizeof(a->pod_uid), "%s",
	    args->pod_uid[0] ? args->pod_uid : cf->ann_uid);
}

static void
crosscheck(const struct cni_prev *prev, const struct hostif *hi,
    const char *cid)
{
	int i;

	if (hi->name[0] == '\0' || prev->nhost == 0)
		return;
	for (i = 0; i < prev->nhost; i++)
		if (strcmp(prev->host_ifs[i], hi->name) == 0)
			return;
	/* The kernel is the truth; a previous plugin that reports another
	 * name is worth a line in the log. */
	log_warnx("%s: host veth %s is not among prevResult's host "
	    "interfaces", cid, hi->name);
}

static void
restore_failed(const struct store_attachment *a, int err, void *arg)
{
	(void)arg;
	log_warnx("restoring %s/%s: %s", a->container_id, a->ifname,
	    strerror(-err));
}

/*
 * Our ADD had to create the table: it was missing (a node reboot, or
 * someone deleted it), so the elements of every other attached pod are
 * missing too, and their connections are no longer marked. Put them back
 * from the store, then ours once more: an address handed out again
 * belongs to the newest attachment, not to a stale record.
 */
static int
restore_all(struct ctx *c, const struct store_attachment *self,
    const struct nftrules_elems *ours)
{
	struct nftstore_count r;
	int ret;

	if ((ret = nftstore_restore(c->nr, &c->conf.nft, c->st, self,
	    restore_failed, NULL, &r)) != 0)
		log_warnx("restoring attached pods: %s", store_errmsg(c->st));
	if (r.done == 0 && r.failed == 0)
		return 0;	/* the node's first pod */
	if (r.done > 0 &&
	    (ret = nftrules_attach(c->nr, &c->conf.nft, NULL, ours)) != 0)
		return ret;
	log_warnx("table inet %s was missing: recreated with %d other "
	    "attached pods (%d failed)", NFTRULES_TABLE, r.done, r.failed);
	return 0;
}

/*
 * The attachment to the store, when netpol-recorderd did not take it:
 * written here, waiting at most PLUGIN_WRITE_MS for another writer.
 * Failing costs nothing of the pod's network nor of its marks (the
 * elements are in place): it is logged, not an error, and the daemon
 * makes the record from the elements when it starts.
 */
static void
store_write(struct ctx *c, const struct attmsg *m, const char *why)
{
	struct store_attachment a = m->att;
	int ret;

	if (open_store(c) != 0) {
		log_warnx("%s %s/%s: %s; %s", m->op == ATTMSG_ADD ? "ADD" :
		    "DEL", a.container_id, a.ifname, c->err.msg, why);
		memset(&c->err, 0, sizeof(c->err));
		return;
	}
	(void)store_set_busy_timeout(c->st, PLUGIN_WRITE_MS);
	if (m->op == ATTMSG_ADD)
		ret = store_attachment_put(c->st, &a, m->time);
	else {
		ret = store_attachment_detach(c->st, a.container_id, a.ifname,
		    m->time);
		if (ret == -ENOENT || ret == -EALREADY)
			ret = 0;
	}
	if (ret == 0)
		return;
	log_warnx("%s %s/%s: cannot write the store %s: %s%s; %s",
	    m->op == ATTMSG_ADD ? "ADD" : "DEL", a.container_id, a.ifname,
	    c->conf.db, store_errmsg(c->st), ret == -EBUSY ?
	    " (another process held its write lock for 1 s)" : "", why);
}

/*
 * Tell netpol-recorderd what happened to the attachment, with the
 * nftables socket (it closes that later, lib/fdpass.h): it knows the pod
 * at once, before its first packet, and writes the record in its own
 * transaction, so the store's lock never holds up a pod. Without the
 * daemon (no release socket, nobody receiving, its queue full for
 * PLUGIN_HANDOVER_MS), the plugin writes the store itself.
 */
static void
record(struct ctx *c, const struct attmsg *m)
{
	char buf[ATTMSG_MAX];
	int len, ret = -ENOTCONN;

	if (c->conf.release_socket[0] != '\0' &&
	    (len = attmsg_build(m, buf, sizeof(buf))) > 0 &&
	    (ret = fdpass_send_msg(c->conf.release_socket,
	    c->nr != NULL ? nftrules_fd(c->nr) : -1, buf, (size_t)len,
	    PLUGIN_HANDOVER_MS)) == 0) {
		c->handed_over = c->nr != NULL;
		return;
	}
	store_write(c, m, m->op == ATTMSG_ADD ? "the pod's elements are in "
	    "place: netpol-recorderd records the attachment from them when "
	    "it starts" : "the pod's elements are removed");
	if (ret != -ENOTCONN && ret != -ENOENT && ret != -ECONNREFUSED)
		log_warnx("%s %s/%s: netpol-recorderd at %s did not take the "
		    "attachment (%s): written by the plugin",
		    m->op == ATTMSG_ADD ? "ADD" : "DEL", m->att.container_id,
		    m->att.ifname, c->conf.release_socket, strerror(-ret));
}

/*
 * A repeated ADD replaces what the previous one added: its record, read
 * from the store (a writer holding the lock does not block a reader). No
 * store, or none readable in time: nothing to replace is known, and the
 * new elements are added all the same.
 */
static bool
old_elements(struct ctx *c, const struct store_attachment *a,
    struct nftrules_elems *oldel)
{
	struct store_attachment old;
	int ret;

	if (open_store(c) != 0) {
		log_debug("ADD %s/%s: %s", a->container_id, a->ifname,
		    c->err.msg);
		memset(&c->err, 0, sizeof(c->err));
		return false;
	}
	ret = store_attachment_get(c->st, a->container_id, a->ifname, &old);
	if (ret != 0 && ret != -ENOENT)
		log_debug("ADD %s/%s: reading the store: %s", a->container_id,
		    a->ifname, store_errmsg(c->st));
	return ret == 0 && old.detached_at == 0 &&
	    nftstore_elems(&old, oldel) == 0;
}

static int
add_ours(struct ctx *c, const struct cni_prev *prev)
{
	const struct plugin_env *env = c->env;
	struct attmsg m;
	struct store_attachment *a = &m.att;
	struct nftrules_elems oldel, newel;
	struct cni_args args;
	struct hostif hi;
	bool have_old;
	int i, ret;

	if (empty(env->netns))
		return cni_err_set(&c->err, CNI_ERR_INVALID_ENV, NULL,
		    "CNI_NETNS is not set");
	if (access(env->netns, F_OK) != 0)
		return cni_err_set(&c->err, CNI_ERR_INVALID_ENV,
		    strerror(errno), "CNI_NETNS %s does not exist",
		    env->netns);
	if ((ret = cni_args_parse(env->args, &args)) != 0)
		return cni_err_set(&c->err, CNI_ERR_INVALID_ENV,
		    strerror(-ret), "CNI_ARGS cannot be parsed");
	if ((ret = hostif_find(env->netns, env->ifname, &hi)) != 0)
		return cni_err_set(&c->err, CNI_ERR_NETNS, strerror(-ret),
		    "cannot read interface %s in %s", env->ifname,
		    env->netns);
	crosscheck(prev, &hi, env->container_id);

	memset(&m, 0, sizeof(m));
	m.op = ATTMSG_ADD;
	m.time = time(NULL);
	snprintf(a->container_id, sizeof(a->container_id), "%s",
	    env->container_id);
	snprintf(a->ifname, sizeof(a->ifname), "%s", env->ifname);
	snprintf(a->netns, sizeof(a->netns), "%s", env->netns);
	snprintf(a->host_veth, sizeof(a->host_veth), "%s", hi.name);
	a->host_ifindex = hi.ifindex;
	fill_identity(c, &args, a);
	for (i = 0; i < prev->naddrs; i++) {
		a->addrs[i].addr = prev->addrs[i];
		a->addrs[i].prefix = prev->prefixes[i];
	}
	a->naddrs = prev->naddrs;
	if ((ret = nftstore_elems(a, &newel)) != 0)
		return cni_err_set(&c->err, CNI_ERR_INVALID_CONFIG,
		    strerror(-ret), "too many addresses");

	/* The kernel first: the pod is marked whatever the store does. */
	have_old = old_elements(c, a, &oldel);
	if ((ret = open_nft(c)) != 0)
		return ret;
	if ((ret = nftrules_attach(c->nr, &c->conf.nft,
	    have_old ? &oldel : NULL, &newel)) != 0)
		return cni_err_set(&c->err, ret == -EBUSY || ret == -EAGAIN ?
		    CNI_ERR_TRY_LATER : CNI_ERR_NFTABLES, strerror(-ret),
		    "cannot add the pod to table inet %s", NFTRULES_TABLE);
	if (nftrules_created(c->nr) && c->st != NULL &&
	    (ret = restore_all(c, a, &newel)) != 0)
		return cni_err_set(&c->err, CNI_ERR_NFTABLES, strerror(-ret),
		    "cannot add the pod to table inet %s", NFTRULES_TABLE);
	record(c, &m);
	log_debug("ADD %s/%s: host %s, %d addresses%s", a->container_id,
	    a->ifname, a->host_veth[0] ? a->host_veth : "-", a->naddrs,
	    c->handed_over ? ", handed to netpol-recorderd" : "");
	return 0;
}

static int
cmd_add(struct ctx *c)
{
	struct cni_prev prev;

	if (c->conf.prev == NULL)
		return cni_err_set(&c->err, CNI_ERR_INVALID_CONFIG, NULL,
		    "ADD needs prevResult: netpol-record-cni is a chained "
		    "plugin and goes after the interface plugin");
	if (cni_prev_parse(c->conf.prev, &prev, &c->err) != 0)
		return c->err.code;
	/* From here on, failures are ours and obey failurePolicy. */
	return add_ours(c, &prev);
}

/* ---- DEL ---------------------------------------------------------------- */

struct owner_scan {
	const char *owner;
	struct nftrules_elems found;
};

static int
owner_scan_cb(const struct nftrules_elem *el, void *arg)
{
	struct owner_scan *os = arg;

	if (strcmp(el->owner, os->owner) != 0)
		return 0;
	if (os->found.nkeys < NFTRULES_MAX_KEYS)
		os->found.keys[os->found.nkeys++] = el->key;
	return 0;
}

/*
 * The elements DEL's prevResult names (the runtime's cached ADD result):
 * its addresses and host-side interfaces. Only those still owned by this
 * attachment are removed (nftrules_detach), so a bridge named among the
 * host interfaces costs a lookup, nothing more. -ENOENT without one.
 */
static int
prev_elements(struct ctx *c, struct nftrules_elems *el)
{
	const struct plugin_env *env = c->env;
	struct cni_prev prev;
	struct cni_err err;

	if (c->conf.prev == NULL || cni_prev_parse(c->conf.prev, &prev,
	    &err) != 0 || nftrules_elems_init(el, env->container_id,
	    env->ifname, NULL, prev.addrs, prev.naddrs) != 0)
		return -ENOENT;
	for (int i = 0; i < prev.nhost && el->nkeys < NFTRULES_MAX_KEYS;
	    i++) {
		struct nftrules_key *k = &el->keys[el->nkeys++];

		memset(k, 0, sizeof(*k));
		k->kind = NFTRULES_KEY_IFNAME;
		snprintf(k->ifname, sizeof(k->ifname), "%s", prev.host_ifs[i]);
	}
	return el->nkeys > 0 ? 0 : -ENOENT;
}

/* The elements of (container id, ifname): from its record, else (never
 * recorded: an ADD whose record is still on its way to the store, a lost
 * store) from DEL's prevResult, else from the kernel's owner comments
 * (a dump of every element: the slow way). */
static int
del_elements(struct ctx *c, struct nftrules_elems *el)
{
	const struct plugin_env *env = c->env;
	struct store_attachment a;
	struct owner_scan os;
	int ret = -ENOENT;

	if (open_store(c) == 0)
		ret = store_attachment_get(c->st, env->container_id,
		    env->ifname, &a);
	else
		memset(&c->err, 0, sizeof(c->err));
	if (ret == 0 && nftstore_elems(&a, el) == 0)
		return 0;
	if (prev_elements(c, el) == 0)
		return 0;
	memset(&os, 0, sizeof(os));
	nftrules_owner_format(os.found.owner, env->container_id, env->ifname);
	os.owner = os.found.owner;
	ret = nftrules_list(c->nr, owner_scan_cb, &os);
	if (ret == -ENOENT)
		ret = 0;
	*el = os.found;
	return ret;
}

static int
cmd_del(struct ctx *c)
{
	const struct plugin_env *env = c->env;
	struct nftrules_elems el;
	struct attmsg m;
	int ret;

	if ((ret = open_nft(c)) != 0)
		return ret;
	if ((ret = del_elements(c, &el)) != 0 ||
	    (el.nkeys > 0 && (ret = nftrules_detach(c->nr, &el)) != 0))
		return cni_err_set(&c->err, CNI_ERR_NFTABLES, strerror(-ret),
		    "cannot remove the pod's elements");
	memset(&m, 0, sizeof(m));
	m.op = ATTMSG_DEL;
	m.time = time(NULL);
	snprintf(m.att.container_id, sizeof(m.att.container_id), "%s",
	    env->container_id);
	snprintf(m.att.ifname, sizeof(m.att.ifname), "%s", env->ifname);
	record(c, &m);
	log_debug("DEL %s/%s", env->container_id, env->ifname);
	return 0;
}

/* ---- CHECK -------------------------------------------------------------- */

static int
cmd_check(struct ctx *c)
{
	const struct plugin_env *env = c->env;
	struct nftrules_elem found[NFTRULES_MAX_KEYS];
	struct store_attachment a;
	struct nftrules_elems el;
	struct cni_prev prev;
	char missing[256] = "", buf[ADDR_STRLEN];
	int i, j, ret;

	if (c->conf.prev == NULL)
		return cni_err_set(&c->err, CNI_ERR_INVALID_CONFIG, NULL,
		    "CHECK needs prevResult");
	if (cni_prev_parse(c->conf.prev, &prev, &c->err) != 0)
		return c->err.code;
	if ((ret = open_store(c)) != 0)
		return ret;
	ret = store_attachment_get(c->st, env->container_id, env->ifname, &a);
	if (ret == -ENOENT || (ret == 0 && a.detached_at != 0))
		return cni_err_set(&c->err, CNI_ERR_CHECK, NULL,
		    "attachment %s/%s is not recorded", env->container_id,
		    env->ifname);
	if (ret != 0)
		return cni_err_set(&c->err, store_code(ret),
		    store_errmsg(c->st), "cannot read the store");
	for (i = 0; i < prev.naddrs; i++) {
		for (j = 0; j < a.naddrs; j++)
			if (addr_equal(&a.addrs[j].addr, &prev.addrs[i]))
				break;
		if (j == a.naddrs)
			return cni_err_set(&c->err, CNI_ERR_CHECK, NULL,
			    "address %s of prevResult is not recorded",
			    addr_format(&prev.addrs[i], buf, sizeof(buf)));
	}
	if ((ret = nftstore_elems(&a, &el)) != 0)
		return cni_err_set(&c->err, CNI_ERR_CHECK, NULL,
		    "bad attachment record");
	if ((ret = open_nft(c)) != 0)
		return ret;
	ret = nftrules_lookup(c->nr, &el, found);
	if (ret == -ENOENT)
		return cni_err_set(&c->err, CNI_ERR_CHECK, NULL,
		    "table inet %s is missing", NFTRULES_TABLE);
	if (ret != 0)
		return cni_err_set(&c->err, CNI_ERR_NFTABLES, strerror(-ret),
		    "cannot read table inet %s", NFTRULES_TABLE);
	for (i = 0; i < el.nkeys; i++) {
		if (found[i].present && strcmp(found[i].owner, el.owner) == 0)
			continue;
		snprintf(missing + strlen(missing),
		    sizeof(missing) - strlen(missing), "%s%s",
		    missing[0] ? " " : "",
		    el.keys[i].kind == NFTRULES_KEY_IFNAME ? el.keys[i].ifname :
		    addr_format(&el.keys[i].addr, buf, sizeof(buf)));
	}
	if (missing[0] != '\0')
		return cni_err_set(&c->err, CNI_ERR_CHECK, missing,
		    "set elements of %s are missing", el.owner);
	ret = nftrules_check_rules(c->nr);
	if (ret == -ESRCH || ret == -ENOENT)
		return cni_err_set(&c->err, CNI_ERR_CHECK, NULL,
		    "rules of table inet %s are missing or changed (expected "
		    "%d in %s, %d in %s)", NFTRULES_TABLE,
		    nftrules_expected_rules(NFTRULES_CHAIN_PRE),
		    NFTRULES_CHAIN_PRE,
		    nftrules_expected_rules(NFTRULES_CHAIN_OUT),
		    NFTRULES_CHAIN_OUT);
	if (ret != 0)
		return cni_err_set(&c->err, CNI_ERR_NFTABLES, strerror(-ret),
		    "cannot read the rules of table inet %s", NFTRULES_TABLE);
	return 0;
}

/* ---- STATUS ------------------------------------------------------------- */

static int
cmd_status(struct ctx *c)
{
	int ret;

	ret = store_open(c->conf.db, 0, &c->st);
	if (ret != 0)
		return cni_err_set(&c->err, CNI_ERR_NOT_AVAILABLE,
		    strerror(-ret), "the store %s cannot be opened",
		    c->conf.db);
	if ((ret = nftrules_open(&c->nr)) != 0)
		return cni_err_set(&c->err, CNI_ERR_NOT_AVAILABLE,
		    strerror(-ret), "nftables is not available");
	ret = nftrules_table_exists(c->nr);
	if (ret == 0)
		return cni_err_set(&c->err, CNI_ERR_NOT_AVAILABLE, NULL,
		    "table inet %s is missing (netpol-recorderd creates it)",
		    NFTRULES_TABLE);
	if (ret < 0)
		return cni_err_set(&c->err, CNI_ERR_NOT_AVAILABLE,
		    strerror(-ret), "cannot read nftables");
	return 0;
}

/* ---- GC ------------------------------------------------------------------ */

struct gc {
	struct ctx *c;
	char (*valid)[NFTRULES_OWNER_LEN];	/* sorted owners */
	size_t nvalid;
	struct nftrules_elems *stale;	/* attachments to remove */
	size_t nstale, capstale;
	int err;
};

static int
owner_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static bool
gc_valid(const struct gc *g, const char *owner)
{
	return search_n(owner, g->valid, g->nvalid, sizeof(g->valid[0]),
	    owner_cmp) != NULL;
}

static int
gc_push(struct gc *g, const struct nftrules_elems *e)
{
	struct nftrules_elems *n;
	size_t i;

	for (i = 0; i < g->nstale; i++) {
		if (strcmp(g->stale[i].owner, e->owner) != 0)
			continue;
		/* Merge keys of the same owner found in the kernel. */
		if (g->stale[i].nkeys + e->nkeys <= NFTRULES_MAX_KEYS) {
			memcpy(&g->stale[i].keys[g->stale[i].nkeys], e->keys,
			    e->nkeys * sizeof(e->keys[0]));
			g->stale[i].nkeys += e->nkeys;
			return 0;
		}
	}
	if (g->nstale == g->capstale) {
		size_t cap = g->capstale ? g->capstale * 2 : 64;

		if ((n = reallocarray(g->stale, cap, sizeof(*n))) == NULL)
			return -ENOMEM;
		g->stale = n;
		g->capstale = cap;
	}
	g->stale[g->nstale++] = *e;
	return 0;
}

static int
gc_store_cb(const struct store_attachment *a, void *arg)
{
	struct gc *g = arg;
	struct nftrules_elems e;
	int ret;

	/* Adopted pods are netpol-recorderd's: the runtime never lists them
	 * as valid attachments, and the daemon keeps them true. */
	if (a->adopted || (ret = nftstore_elems(a, &e)) != 0)
		return 0;
	if (gc_valid(g, e.owner))
		return 0;
	return gc_push(g, &e);
}

static int
gc_kernel_cb(const struct nftrules_elem *el, void *arg)
{
	struct gc *g = arg;
	struct nftrules_elems e;
	size_t i;
	int j;

	/* Elements without an owner were not made by us; adopted ones
	 * belong to netpol-recorderd. */
	if (el->owner[0] == '\0' || gc_valid(g, el->owner) ||
	    store_adopted_id(el->owner))
		return 0;
	for (i = 0; i < g->nstale; i++) {
		if (strcmp(g->stale[i].owner, el->owner) != 0)
			continue;
		for (j = 0; j < g->stale[i].nkeys; j++)
			if (memcmp(&g->stale[i].keys[j], &el->key,
			    sizeof(el->key)) == 0)
				return 0;
	}
	memset(&e, 0, sizeof(e));
	memcpy(e.owner, el->owner, sizeof(e.owner));
	e.keys[0] = el->key;
	e.nkeys = 1;
	return gc_push(g, &e);
}

static int
cmd_gc(struct ctx *c)
{
	struct gc g = { .c = c };
	char cid[STORE_ID_LEN];
	char *slash;
	size_t i;
	int ret;

	if (!c->conf.has_valid)
		return cni_err_set(&c->err, CNI_ERR_INVALID_CONFIG, NULL,
		    "GC needs cni.dev/valid-attachments");
	if ((ret = open_store(c)) != 0)
		return ret;
	if ((ret = open_nft(c)) != 0)
		return ret;
	if (c->conf.nvalid > 0 &&
	    (g.valid = calloc(c->conf.nvalid, sizeof(g.valid[0]))) == NULL) {
		ret = cni_err_set(&c->err, CNI_ERR_IO, NULL, "out of memory");
		goto out;
	}
	for (i = 0; i < (size_t)c->conf.nvalid; i++)
		nftrules_owner_format(g.valid[i], c->conf.valid[i].container_id,
		    c->conf.valid[i].ifname);
	g.nvalid = c->conf.nvalid;
	if (g.nvalid > 1)	/* an empty list may have no array */
		sort_n(g.valid, g.nvalid, sizeof(g.valid[0]), owner_cmp);

	if ((ret = store_attachment_foreach(c->st, true, gc_store_cb,
	    &g)) != 0) {
		ret = cni_err_set(&c->err, store_code(ret),
		    store_errmsg(c->st), "cannot read the store");
		goto out;
	}
	ret = nftrules_list(c->nr, gc_kernel_cb, &g);
	if (ret != 0 && ret != -ENOENT) {
		ret = cni_err_set(&c->err, CNI_ERR_NFTABLES, strerror(-ret),
		    "cannot list table inet %s", NFTRULES_TABLE);
		goto out;
	}
	ret = 0;
	for (i = 0; i < g.nstale; i++) {
		struct nftrules_elems *e = &g.stale[i];

		if ((ret = nftrules_detach(c->nr, e)) != 0) {
			ret = cni_err_set(&c->err, CNI_ERR_NFTABLES,
			    strerror(-ret), "cannot remove elements of %s",
			    e->owner);
			goto out;
		}
		/* The owner is "<container id>/<ifname>"; the ifname has no
		 * '/', so the last one splits. */
		snprintf(cid, sizeof(cid), "%s", e->owner);
		if ((slash = strrchr(cid, '/')) == NULL)
			continue;
		*slash = '\0';
		ret = store_attachment_detach(c->st, cid, slash + 1,
		    time(NULL));
		if (ret != 0 && ret != -ENOENT && ret != -EALREADY) {
			ret = cni_err_set(&c->err, store_code(ret),
			    store_errmsg(c->st), "cannot detach %s",
			    e->owner);
			goto out;
		}
		ret = 0;
		log_info("GC removed %s", e->owner);
	}
out:
	free(g.valid);
	free(g.stale);
	return ret;
}

/* ---- dispatch ----------------------------------------------------------- */

static const struct cmd cmds[] = {
	{ "ADD", "0.3.0", NEEDS_ID | POLICY, cmd_add },
	{ "DEL", "0.3.0", NEEDS_ID | POLICY, cmd_del },
	{ "CHECK", "0.4.0", NEEDS_ID, cmd_check },
	{ "STATUS", "1.1.0", 0, cmd_status },
	{ "GC", "1.1.0", POLICY, cmd_gc },
};

static const struct cmd *
cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

static int
print_error(FILE *out, const char *version, const struct cni_err *err)
{
	char *s = cni_err_json(version, err);

	if (s != NULL) {
		fputs(s, out);
		free(s);
	}
	return 1;
}

/* ADD's success (or pass-through): prevResult in the request's version. */
static void
print_prev(struct ctx *c)
{
	json_object_object_add(c->conf.prev, "cniVersion",
	    json_object_new_string(c->conf.version));
	fprintf(c->out, "%s\n", json_object_to_json_string_ext(c->conf.prev,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

int
plugin_run(const struct plugin_env *env, const char *buf, size_t len,
    FILE *out)
{
	struct ctx c = { .env = env, .out = out };
	const struct cmd *cmd;
	int ret, rc = 1;

	if (empty(env->command)) {
		cni_err_set(&c.err, CNI_ERR_INVALID_ENV, NULL,
		    "CNI_COMMAND is not set");
		return print_error(out, NULL, &c.err);
	}
	if (strcmp(env->command, "VERSION") == 0) {
		/* Runtimes call VERSION with dummy values and sometimes a
		 * minimal stdin: always answer. */
		ret = cni_conf_parse(buf, len, &c.conf, &c.err);
		rc = print_version(out, ret == 0 ? c.conf.version : NULL);
		if (ret == 0)
			cni_conf_free(&c.conf);
		return rc;
	}
	if ((cmd = cmd_find(env->command)) == NULL) {
		cni_err_set(&c.err, CNI_ERR_INVALID_ENV, NULL,
		    "unknown CNI_COMMAND %s", env->command);
		return print_error(out, NULL, &c.err);
	}
	if (cni_conf_parse(buf, len, &c.conf, &c.err) != 0) {
		log_warnx("%s: %s", env->command, c.err.msg);
		return print_error(out, NULL, &c.err);
	}
	if (c.conf.log_file[0] != '\0' &&
	    (ret = log_open_file(c.conf.log_file)) != 0)
		log_warnx("cannot open log file %s: %s", c.conf.log_file,
		    strerror(-ret));
	log_setverbose(c.conf.log_level);

	if (c.conf.version[0] == '\0') {
		cni_err_set(&c.err, CNI_ERR_INVALID_CONFIG, NULL,
		    "cniVersion is missing");
		goto fail;
	}
	if (cni_version_cmp(c.conf.version, cmd->min_version) < 0) {
		cni_err_set(&c.err, CNI_ERR_INCOMPATIBLE_VERSION, NULL,
		    "%s needs cniVersion %s or later", cmd->name,
		    cmd->min_version);
		goto fail;
	}
	if ((cmd->flags & NEEDS_ID) && (empty(env->container_id) ||
	    empty(env->ifname) || strlen(env->ifname) >= IFNAMSIZ ||
	    strlen(env->container_id) >= STORE_ID_LEN)) {
		cni_err_set(&c.err, CNI_ERR_INVALID_ENV, NULL,
		    "CNI_CONTAINERID and CNI_IFNAME must be set (%s)",
		    empty(env->container_id) ? "CNI_CONTAINERID" :
		    "CNI_IFNAME");
		/* ADD with a good prevResult can still pass it through. */
		if (strcmp(cmd->name, "ADD") == 0 && c.conf.prev != NULL &&
		    c.conf.policy == CNI_POLICY_IGNORE) {
			struct cni_prev prev;
			struct cni_err perr;

			if (cni_prev_parse(c.conf.prev, &prev, &perr) == 0) {
				log_warnx("ADD: %s; failurePolicy ignore",
				    c.err.msg);
				print_prev(&c);
				rc = 0;
				goto out;
			}
		}
		goto fail;
	}

	if (cmd->fn(&c) == 0) {
		if (strcmp(cmd->name, "ADD") == 0)
			print_prev(&c);
		rc = 0;
		goto out;
	}
	/* Protocol errors (bad config, bad prevResult) always fail; failures
	 * of our own work obey failurePolicy. */
	if ((cmd->flags & POLICY) && c.conf.policy == CNI_POLICY_IGNORE &&
	    c.err.code != CNI_ERR_DECODE &&
	    c.err.code != CNI_ERR_INVALID_CONFIG &&
	    c.err.code != CNI_ERR_INCOMPATIBLE_VERSION) {
		log_warnx("%s %s/%s: %s%s%s (failurePolicy ignore)", cmd->name,
		    env->container_id ? env->container_id : "",
		    env->ifname ? env->ifname : "", c.err.msg,
		    c.err.details[0] ? ": " : "", c.err.details);
		if (strcmp(cmd->name, "ADD") == 0)
			print_prev(&c);
		rc = 0;
		goto out;
	}
fail:
	log_warnx("%s %s/%s: %s%s%s", env->command,
	    env->container_id ? env->container_id : "",
	    env->ifname ? env->ifname : "", c.err.msg,
	    c.err.details[0] ? ": " : "", c.err.details);
	rc = print_error(out, c.conf.version, &c.err);
out:
	if (env->linger != NULL) {
		/* Handed over with the attachment: the daemon holds it. */
		env->linger->fd = c.nr != NULL && !c.handed_over ?
		    dup(nftrules_fd(c.nr)) : -1;
		snprintf(env->linger->release_socket,
		    sizeof(env->linger->release_socket), "%s",
		    c.conf.release_socket);
	}
	nftrules_close(c.nr);
	store_close(c.st);
	cni_conf_free(&c.conf);
	log_close();
	return rc;
}
