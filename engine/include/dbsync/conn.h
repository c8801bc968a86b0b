/* libdbsync: connections to live databases. */
#ifndef DBSYNC_CONN_H
#define DBSYNC_CONN_H

#include "dbsync/common.h"
#include "dbsync/schema.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A connection to one database. One owner; free with dbsync_conn_close. */
typedef struct dbsync_conn dbsync_conn;

/**
 * Connect from a URL: `sqlite:///relative/path.db`, `sqlite:////abs/path.db`,
 * `sqlite::memory:`, `postgresql://user:pass@host:port/db?k=v`,
 * `mysql://user:pass@host:port/db?k=v`. The password is never kept in messages.
 */
DBSYNC_EXTERN(int) dbsync_conn_open_url(dbsync_conn **out, dbsync_ctx *ctx, const char *url);

/**
 * Connect from key/value parameters, the way libpq's PQconnectdbParams does.
 * Keys understood by every backend: "name" (database name, or file path for
 * SQLite), "user", "password", "host", "port"; any other key is a backend
 * option ("sslmode", "unix_socket", ...). Unknown options fail with
 * DBSYNC_EINVALID naming the key.
 *
 * "readonly" ("1"/"0", every backend, also as `?readonly=1` in a URL) opens the
 * database for reading only, for dry runs and checks: nothing can be written,
 * dbsync_plan_apply refuses, and a SQLite file that does not exist is read as an
 * empty database instead of being created.
 */
DBSYNC_EXTERN(int) dbsync_conn_open_params(dbsync_conn **out, dbsync_ctx *ctx,
	dbsync_dialect dialect, const char *const *keys, const char *const *values, size_t n);

/** Close the connection and free it. NULL is accepted. */
DBSYNC_EXTERN(void) dbsync_conn_close(dbsync_conn *conn);

/** The connection's dialect. */
DBSYNC_EXTERN(dbsync_dialect) dbsync_conn_dialect(const dbsync_conn *conn);

/** A description of the target safe to print: no password ever. */
DBSYNC_EXTERN(const char *) dbsync_conn_describe(const dbsync_conn *conn);

/** The server's version string ("3.40.1", "16.4", "10.11.6-MariaDB"). */
DBSYNC_EXTERN(const char *) dbsync_conn_server_version(const dbsync_conn *conn);

/**
 * Number of round trips to the server made by catalog reads on this connection
 * since it was opened (or since dbsync_conn_reset_counters, dbsync/testing.h):
 * the catalog is read in a fixed number of queries however many tables there are.
 */
DBSYNC_EXTERN(uint64_t) dbsync_conn_catalog_queries(const dbsync_conn *conn);

/** Read the live schema: every table, column, constraint and index, in bulk. */
DBSYNC_EXTERN(int) dbsync_conn_introspect(dbsync_schema **out, dbsync_ctx *ctx, dbsync_conn *conn);

/**
 * Count the rows of a table. Returns 0 and sets *out, or an error naming the
 * table.
 */
DBSYNC_EXTERN(int) dbsync_conn_count_rows(int64_t *out, dbsync_ctx *ctx, dbsync_conn *conn,
	const char *table);

#ifdef __cplusplus
}
#endif

#endif
