/*
 * ut_sql: a store file read or changed with SQLite directly, as an admin's
 * sqlite3 shell would: what a test checks or breaks behind the store's
 * API, on a connection of its own.
 *
 * Not a test program (see ut_store.h): linked into every unit test.
 */
#ifndef UT_SQL_H
#define UT_SQL_H

#include <stdint.h>

/*
 * The first column of the first row of sql on the file at path as an
 * integer; -1 when there is no row; INT64_MIN when the file cannot be
 * opened or sql fails (which no expected value in a test is).
 */
int64_t	ut_sql_int(const char *path, const char *sql);

/* Run sql (several statements are fine) on the file at path. 0, or -1
 * with SQLite's message on stderr. */
int	ut_sql_exec(const char *path, const char *sql);

#endif
