/*
 * store_meta: the daemon's counters, the meta key/value settings and the
 * node addresses.
 */
#include "lib/store_int.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- nodes -------------------------------------------------------------- */

int
store_node_put(struct store *st, const char *name, const struct addr *a)
{
	char buf[ADDR_STRLEN];
	sqlite3_stmt *s = store_stmt(st, S_NODE_PUT);

	if (s == NULL)
		return -EIO;
	bind_text(s, 1, name);
	addr_format(a, buf, sizeof(buf));
	sqlite3_bind_text(s, 2, buf, -1, SQLITE_TRANSIENT);
	return step_done(s);
}

/* ---- counters and meta -------------------------------------------------- */

int
store_counter_add(struct store *st, const char *name, int64_t delta)
{
	sqlite3_stmt *s = store_stmt(st, S_CNT_ADD);

	if (s == NULL)
		return -EIO;
	bind_text(s, 1, name);
	sqlite3_bind_int64(s, 2, delta);
	sqlite3_bind_int64(s, 3, (int64_t)time(NULL));
	return step_done(s);
}

int
store_counter_get(struct store *st, const char *name, int64_t *out)
{
	sqlite3_stmt *s = store_stmt(st, S_CNT_GET);
	int rc;

	if (s == NULL)
		return -EIO;
	bind_text(s, 1, name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(s, 0);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : sqlite_errno(rc);
	}
	sqlite3_reset(s);
	return rc;
}

int
store_counter_foreach(struct store *st, store_counter_cb cb, void *arg)
{
	sqlite3_stmt *s = NULL;
	int rc;

	rc = sqlite3_prepare_v2(st->db,
	    "SELECT name, value, updated_at FROM counters ORDER BY name", -1,
	    &s, NULL);
	if (rc != SQLITE_OK)
		return sqlite_errno(rc);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((rc = cb((const char *)sqlite3_column_text(s, 0),
		    sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2),
		    arg)) != 0)
			goto out;
	}
	rc = sqlite_errno(rc);
out:
	sqlite3_finalize(s);
	return rc;
}

int
store_meta_set(struct store *st, const char *key, const char *value)
{
	sqlite3_stmt *s = store_stmt(st, S_META_SET);

	if (s == NULL)
		return -EIO;
	bind_text(s, 1, key);
	bind_text(s, 2, value);
	return step_done(s);
}

int
store_meta_get(struct store *st, const char *key, char *buf, size_t len)
{
	sqlite3_stmt *s = store_stmt(st, S_META_GET);
	int rc;

	if (s == NULL)
		return -EIO;
	bind_text(s, 1, key);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(s, 0);

		rc = snprintf(buf, len, "%s", v != NULL ? v : "") >= (int)len ?
		    -ENOSPC : 0;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : sqlite_errno(rc);
	}
	sqlite3_reset(s);
	return rc;
}

int
store_meta_set_blob(struct store *st, const char *key, const void *v,
    size_t len)
{
	sqlite3_stmt *s = store_stmt(st, S_META_SET);
	static const char none;

	if (s == NULL)
		return -EIO;
	if (len > INT_MAX)
		return -EINVAL;
	bind_text(s, 1, key);
	/* A zero-length value is a blob, not NULL. */
	sqlite3_bind_blob(s, 2, len > 0 ? v : &none, (int)len,
	    SQLITE_STATIC);
	return step_done(s);
}

int
store_meta_get_blob(struct store *st, const char *key, void **out,
    size_t *len)
{
	sqlite3_stmt *s = store_stmt(st, S_META_GET);
	const void *v;
	int rc, n;

	*out = NULL;
	*len = 0;
	if (s == NULL)
		return -EIO;
	bind_text(s, 1, key);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE ? -ENOENT : sqlite_errno(rc);
		goto out;
	}
	v = sqlite3_column_blob(s, 0);
	n = sqlite3_column_bytes(s, 0);
	if ((*out = malloc(n > 0 ? (size_t)n : 1)) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if (n > 0)
		memcpy(*out, v, (size_t)n);
	*len = (size_t)n;
	rc = 0;
out:
	sqlite3_reset(s);
	return rc;
}
