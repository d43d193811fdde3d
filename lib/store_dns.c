/*
 * store_dns: the DNS answers each pod saw and the known servers
 * (KnownServer documents): what names the peers' addresses had.
 */
#include "lib/store_int.h"

#include <errno.h>
#include <stddef.h>

/* ---- DNS answers -------------------------------------------------------- */

static int
dns_item(struct store *st, const void *items, size_t i)
{
	const struct store_dns *d = &((const struct store_dns *)items)[i];
	char buf[ADDR_STRLEN];
	sqlite3_stmt *s;

	if ((s = store_stmt(st, S_DNS_UPSERT)) == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, d->attachment_id);
	bind_text(s, 2, d->name);
	addr_format(&d->addr, buf, sizeof(buf));
	sqlite3_bind_text(s, 3, buf, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 4, d->ttl);
	sqlite3_bind_int64(s, 5, d->seen);
	return step_done(s);
}

int
store_dns_write(struct store *st, const struct store_dns *d, size_t n)
{
	if (n == 0)
		return 0;
	return store_each_in_transaction(st, n, dns_item, d);
}

/* ---- known servers ------------------------------------------------------ */

/* Item 0 clears the source, item i + 1 inserts entry i. */
struct ks_batch {
	const char *source;
	const struct store_known_server *ks;
};

static int
ks_item(struct store *st, const void *items, size_t i)
{
	const struct ks_batch *b = items;
	sqlite3_stmt *s;

	if ((s = store_stmt(st, i == 0 ? S_KS_DELETE : S_KS_INSERT)) == NULL)
		return -EIO;
	bind_text(s, 1, b->source);
	if (i > 0) {
		bind_text(s, 2, b->ks[i - 1].cidr);
		bind_text(s, 3, b->ks[i - 1].server);
		bind_text(s, 4, b->ks[i - 1].name);
	}
	return step_done(s);
}

int
store_known_servers_replace(struct store *st, const char *source,
    const struct store_known_server *ks, size_t n)
{
	struct ks_batch b = { .source = source, .ks = ks };

	if (source == NULL || *source == '\0')
		return -EINVAL;
	return store_each_in_transaction(st, n + 1, ks_item, &b);
}

int
store_known_servers_delete(struct store *st, const char *source)
{
	sqlite3_stmt *s = store_stmt(st, S_KS_DELETE);
	int rc;

	if (s == NULL)
		return -EIO;
	bind_text(s, 1, source);
	if ((rc = step_done(s)) < 0)
		return rc;
	return sqlite3_changes(st->db) > 0 ? 0 : -ENOENT;
}

int
store_known_servers_foreach(struct store *st, store_known_server_cb cb,
    void *arg)
{
	struct store_known_server ks;
	sqlite3_stmt *s = NULL;
	int rc;

	rc = sqlite3_prepare_v2(st->db,
	    "SELECT source, cidr, server, name FROM known_servers"
	    " ORDER BY source, id", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return sqlite_errno(rc);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		copy_col(ks.source, sizeof(ks.source), s, 0);
		copy_col(ks.cidr, sizeof(ks.cidr), s, 1);
		copy_col(ks.server, sizeof(ks.server), s, 2);
		copy_col(ks.name, sizeof(ks.name), s, 3);
		if ((rc = cb(&ks, arg)) != 0)
			goto out;
	}
	rc = sqlite_errno(rc);
out:
	sqlite3_finalize(s);
	return rc;
}
