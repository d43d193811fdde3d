/*
 * store_attach: attachments (one per container id and interface) and the
 * history of the addresses they held, for looking up who had an address
 * at a given time.
 */
#include "lib/store_int.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* Append one open address (text, prefix) to a, within STORE_MAX_ADDRS;
 * an address that does not parse is skipped. */
static void
add_address(struct store_attachment *a, const char *text, int prefix)
{
	struct addr_cidr *c;

	if (a->naddrs >= STORE_MAX_ADDRS || text == NULL)
		return;
	c = &a->addrs[a->naddrs];
	if (addr_parse(text, &c->addr) < 0)
		return;
	c->prefix = (uint8_t)prefix;
	a->naddrs++;
}

static int
load_addresses(struct store *st, struct store_attachment *a)
{
	sqlite3_stmt *s = store_stmt(st, S_ADDR_OF_ATT);
	int rc;

	if (s == NULL)
		return -EIO;
	a->naddrs = 0;
	sqlite3_bind_int64(s, 1, a->id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		add_address(a, (const char *)sqlite3_column_text(s, 0),
		    sqlite3_column_int(s, 1));
	rc = sqlite_errno(rc);
	sqlite3_reset(s);
	return rc;
}

bool
store_adopted_id(const char *container_id)
{
	return strncmp(container_id, STORE_ADOPTED_PREFIX,
	    strlen(STORE_ADOPTED_PREFIX)) == 0;
}

/* The attachment columns 0-11 of the current row (addresses not read). */
static void
read_columns(sqlite3_stmt *s, struct store_attachment *a)
{
	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(s, 0);
	copy_col(a->container_id, sizeof(a->container_id), s, 1);
	copy_col(a->ifname, sizeof(a->ifname), s, 2);
	copy_col(a->pod_namespace, sizeof(a->pod_namespace), s, 3);
	copy_col(a->pod_name, sizeof(a->pod_name), s, 4);
	copy_col(a->pod_uid, sizeof(a->pod_uid), s, 5);
	copy_col(a->netns, sizeof(a->netns), s, 6);
	copy_col(a->host_veth, sizeof(a->host_veth), s, 7);
	a->host_ifindex = sqlite3_column_int(s, 8);
	a->workload_id = sqlite3_column_int64(s, 9);
	a->attached_at = sqlite3_column_int64(s, 10);
	a->detached_at = sqlite3_column_int64(s, 11);
	a->adopted = store_adopted_id(a->container_id);
}

static int
read_attachment(struct store *st, sqlite3_stmt *s, struct store_attachment *a)
{
	read_columns(s, a);
	return load_addresses(st, a);
}

/* Is addr among the first n entries of list? */
static bool
cidr_listed(const struct addr_cidr *list, int n, const struct addr *a,
    int prefix)
{
	int i;

	for (i = 0; i < n; i++)
		if (addr_equal(&list[i].addr, a) &&
		    (prefix < 0 || list[i].prefix == prefix))
			return true;
	return false;
}

/* Close addresses the attachment no longer holds, open the new ones. */
static int
sync_addresses(struct store *st, const struct store_attachment *a,
    int64_t now)
{
	struct store_attachment old;
	char buf[ADDR_STRLEN];
	sqlite3_stmt *s;
	int i, rc;

	memset(&old, 0, sizeof(old));
	old.id = a->id;
	if ((rc = load_addresses(st, &old)) < 0)
		return rc;
	for (i = 0; i < old.naddrs; i++) {
		if (cidr_listed(a->addrs, a->naddrs, &old.addrs[i].addr,
		    old.addrs[i].prefix))
			continue;
		if ((s = store_stmt(st, S_ADDR_CLOSE)) == NULL)
			return -EIO;
		sqlite3_bind_int64(s, 1, a->id);
		addr_format(&old.addrs[i].addr, buf, sizeof(buf));
		sqlite3_bind_text(s, 2, buf, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 3, now);
		if ((rc = step_done(s)) < 0)
			return rc;
	}
	for (i = 0; i < a->naddrs; i++) {
		if (cidr_listed(old.addrs, old.naddrs, &a->addrs[i].addr,
		    a->addrs[i].prefix))
			continue;
		if ((s = store_stmt(st, S_ADDR_OPEN)) == NULL)
			return -EIO;
		sqlite3_bind_int64(s, 1, a->id);
		addr_format(&a->addrs[i].addr, buf, sizeof(buf));
		sqlite3_bind_text(s, 2, buf, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(s, 3, a->addrs[i].prefix);
		sqlite3_bind_int64(s, 4, now);
		if ((rc = step_done(s)) < 0)
			return rc;
	}
	return 0;
}

int
store_attachment_put(struct store *st, struct store_attachment *a,
    int64_t now)
{
	sqlite3_stmt *s;
	int rc;

	bool outer = !sqlite3_get_autocommit(st->db);

	if (a->container_id[0] == '\0' || a->ifname[0] == '\0' ||
	    a->naddrs < 0 || a->naddrs > STORE_MAX_ADDRS)
		return -EINVAL;
	if (!outer && (rc = store_begin(st)) < 0)
		return rc;
	if ((s = store_stmt(st, S_ATT_UPSERT)) == NULL) {
		rc = -EIO;
		goto out;
	}
	bind_text(s, 1, a->container_id);
	bind_text(s, 2, a->ifname);
	bind_text(s, 3, a->pod_namespace);
	bind_text(s, 4, a->pod_name);
	bind_text(s, 5, a->pod_uid);
	bind_text(s, 6, a->netns);
	bind_text(s, 7, a->host_veth);
	sqlite3_bind_int(s, 8, a->host_ifindex);
	sqlite3_bind_int64(s, 9, a->workload_id);
	sqlite3_bind_int64(s, 10, now);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE ? -EIO : sqlite_errno(rc);
		sqlite3_reset(s);
		goto out;
	}
	a->id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	a->detached_at = 0;
	if ((rc = sync_addresses(st, a, now)) < 0)
		goto out;
	rc = outer ? 0 : store_commit(st);
out:
	if (rc < 0 && !outer)
		store_rollback(st);
	return rc;
}

int
store_attachment_get(struct store *st, const char *container_id,
    const char *ifname, struct store_attachment *out)
{
	sqlite3_stmt *s = store_stmt(st, S_ATT_GET);
	int rc;

	if (s == NULL)
		return -EIO;
	bind_text(s, 1, container_id);
	bind_text(s, 2, ifname);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		rc = read_attachment(st, s, out);
	else
		rc = rc == SQLITE_DONE ? -ENOENT : sqlite_errno(rc);
	sqlite3_reset(s);
	return rc;
}

int
store_attachment_detach(struct store *st, const char *container_id,
    const char *ifname, int64_t now)
{
	bool outer = !sqlite3_get_autocommit(st->db);
	struct store_attachment a;
	sqlite3_stmt *s;
	int rc;

	if (!outer && (rc = store_begin(st)) < 0)
		return rc;
	if ((rc = store_attachment_get(st, container_id, ifname, &a)) < 0)
		goto out;
	if (a.detached_at != 0) {
		rc = -EALREADY;
		goto out;
	}
	if ((s = store_stmt(st, S_ATT_DETACH)) == NULL) {
		rc = -EIO;
		goto out;
	}
	bind_text(s, 1, container_id);
	bind_text(s, 2, ifname);
	sqlite3_bind_int64(s, 3, now);
	if ((rc = step_done(s)) < 0)
		goto out;
	if ((s = store_stmt(st, S_ADDR_CLOSE_ALL)) == NULL) {
		rc = -EIO;
		goto out;
	}
	sqlite3_bind_int64(s, 1, a.id);
	sqlite3_bind_int64(s, 2, now);
	if ((rc = step_done(s)) < 0)
		goto out;
	rc = outer ? 0 : store_commit(st);
out:
	/* Inside the caller's transaction a refusal (-ENOENT, -EALREADY)
	 * changed nothing and the caller goes on; its other errors are the
	 * caller's to roll back. */
	if (rc < 0 && !outer)
		store_rollback(st);
	return rc;
}

int
store_attachment_set_workload(struct store *st, int64_t attachment_id,
    int64_t workload_id)
{
	sqlite3_stmt *s = store_stmt(st, S_ATT_SET_WL);

	if (s == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, attachment_id);
	sqlite3_bind_int64(s, 2, workload_id);
	return step_done(s);
}

/*
 * One query for the attachments and their open addresses (a row per
 * address, or one with NULLs for none), grouped by attachment: the daemon
 * walks every attached pod when the store changes, and one address query
 * per attachment was most of that walk at thousands of pods.
 */
#define FOREACH_SQL \
	"SELECT a.id, a.container_id, a.ifname, a.pod_namespace, a.pod_name," \
	" a.pod_uid, a.netns, a.host_veth, a.host_ifindex, a.workload_id," \
	" a.attached_at, a.detached_at, d.addr, d.prefix FROM attachments a" \
	" LEFT JOIN addresses d ON d.attachment_id = a.id AND d.valid_to = 0"

int
store_attachment_foreach(struct store *st, bool attached_only,
    store_attachment_cb cb, void *arg)
{
	struct store_attachment a;
	sqlite3_stmt *s = NULL;
	bool have = false;
	int rc;

	rc = sqlite3_prepare_v2(st->db, attached_only ?
	    FOREACH_SQL " WHERE a.detached_at=0 ORDER BY a.id, d.id" :
	    FOREACH_SQL " ORDER BY a.id, d.id", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return sqlite_errno(rc);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (!have || sqlite3_column_int64(s, 0) != a.id) {
			if (have && (rc = cb(&a, arg)) != 0)
				goto out;
			read_columns(s, &a);
			have = true;
		}
		if (sqlite3_column_type(s, 12) != SQLITE_NULL)
			add_address(&a, (const char *)sqlite3_column_text(s,
			    12), sqlite3_column_int(s, 13));
	}
	if ((rc = sqlite_errno(rc)) == 0 && have)
		rc = cb(&a, arg);
out:
	sqlite3_finalize(s);
	return rc;
}
#undef FOREACH_SQL

int
store_address_lookup(struct store *st, const struct addr *addr, int64_t at,
    struct store_attachment *out)
{
	char buf[ADDR_STRLEN];
	sqlite3_stmt *s = store_stmt(st, S_ADDR_LOOKUP);
	int64_t id;
	int rc;

	if (s == NULL)
		return -EIO;
	addr_format(addr, buf, sizeof(buf));
	sqlite3_bind_text(s, 1, buf, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, at);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE ? -ENOENT : sqlite_errno(rc);
		sqlite3_reset(s);
		return rc;
	}
	id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if ((s = store_stmt(st, S_ATT_BY_ID)) == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	rc = rc == SQLITE_ROW ? read_attachment(st, s, out) :
	    rc == SQLITE_DONE ? -ENOENT : sqlite_errno(rc);
	sqlite3_reset(s);
	return rc;
}
