/*
 * ut_sql: SQL on a store file through a connection of the test's own
 * (see ut_sql.h).
 */
#include "tests/unit/ut_sql.h"

#include <stdio.h>

#include <sqlite3.h>

static sqlite3 *
open_rw(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		fprintf(stderr, "ut_sql: %s: %s\n", path,
		    db ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 10000);
	return db;
}

int64_t
ut_sql_int(const char *path, const char *sql)
{
	sqlite3 *db = open_rw(path);
	sqlite3_stmt *s = NULL;
	int64_t v = INT64_MIN;
	int rc;

	if (db == NULL)
		return v;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			v = sqlite3_column_int64(s, 0);
		else if (rc == SQLITE_DONE)
			v = -1;
	}
	if (v == INT64_MIN)
		fprintf(stderr, "ut_sql: %s: %s\n", sql, sqlite3_errmsg(db));
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

int
ut_sql_exec(const char *path, const char *sql)
{
	sqlite3 *db = open_rw(path);
	char *msg = NULL;
	int rc = -1;

	if (db == NULL)
		return -1;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		rc = 0;
	else
		fprintf(stderr, "ut_sql: %s: %s\n", sql, msg ? msg : "?");
	sqlite3_free(msg);
	sqlite3_close(db);
	return rc;
}
