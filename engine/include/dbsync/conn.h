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

/*
 * What a binding asks instead of deciding from a dialect's name: the answers
 * come from the dialect's own tables.
 */
/** 1 when the server commits each DDL statement as it runs (MySQL), so a failed
 * apply keeps the operations before the failing one; else 0 (also when the
 * dialect's backend is not compiled in). */
DBSYNC_EXTERN(int) dbsync_dialect_ddl_autocommits(dbsync_dialect dialect);
/** The tool a DBSYNC_BACKUP_TOOL backup runs, as people know it ("pg_dump",
 * "mysqldump"), or NULL when the dialect has none (SQLite). */
DBSYNC_EXTERN(const char *) dbsync_backup_tool(dbsync_dialect dialect);
/** What a DBSYNC_BACKUP_ENGINE backup is, in words ("online backup", "engine dump"). */
DBSYNC_EXTERN(const char *) dbsync_backup_engine_method(dbsync_dialect dialect);
/** The file name suffix of a backup: ".sqlite3" (a database file) or ".sql" (a script). */
DBSYNC_EXTERN(const char *) dbsync_backup_suffix(dbsync_dialect dialect);
/** The form in which `conn`'s server compares table names, written to `out`
 * (strlen(name) + 1 bytes): two names are one table exactly when their keys are
 * equal. `name` itself where names are exact (PostgreSQL; MySQL with
 * lower_case_table_names=0), its ASCII lower case where the server ignores
 * letter case (SQLite; MySQL 1 and 2). */
DBSYNC_EXTERN(void) dbsync_conn_table_key(const dbsync_conn *conn, const char *name, char *out);

#ifdef __cplusplus
}
#endif

#endif
