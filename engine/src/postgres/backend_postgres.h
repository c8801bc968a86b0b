/* Private to the PostgreSQL backend files (backend_postgres*.c) and their tests. */
#ifndef DBS_BACKEND_POSTGRES_H
#define DBS_BACKEND_POSTGRES_H

#include <libpq-fe.h>
#include <stdint.h>

#include "backend.h"
#include "model.h"

typedef struct dbs_pg_conn {
	PGconn *pg;
	char *schema;       /* the schema synced: current_schema() at connect, the "schema" option,
	                     * or the last use_namespace (backend_postgres_namespace.c) */
	char *base_path;    /* the session's search_path at connect, before the schema was put first */
	char *path_schema;  /* the schema the server's search_path puts first now; NULL: unknown */
	bool path_in_txn;   /* that search_path was set inside a transaction, which may roll it back */
	char *dbname;       /* for messages */
	int server_num;     /* server_version_num, e.g. 150020 */
	unsigned shadow_seq; /* shadow schemas made on this connection, for unique names */
	size_t shadow_chunk; /* desired tables per shadow script; 0: DBS_PG_SHADOW_CHUNK */
} dbs_pg_conn;

static inline PGconn *dbs_pg_handle(const dbsync_conn *conn)
{
	return ((dbs_pg_conn *)conn->impl)->pg;
}

/* Record the error of a failed result (res may be NULL: then the connection's
 * message) on ctx. A lost connection, or a SQLSTATE of class 08 or 57P0x,
 * becomes DBSYNC_ECONNECT; 55P03 (lock not available) DBSYNC_ELOCKED; anything
 * else DBSYNC_EDB. `what` says what was being done. */
int dbs_pg_error(dbsync_ctx *ctx, dbsync_conn *conn, const PGresult *res, const char *what);

/* The backend's introspect: DBS_PG_CATALOG_QUERIES catalog queries for the
 * whole schema, sent as one script (inside BEGIN ... COMMIT at REPEATABLE
 * READ when no transaction is open, so all of them read one snapshot):
 * DBS_PG_INTROSPECT_ROUND_TRIPS round trip, counted in conn->catalog_queries
 * (one more to roll back after an error). */
int dbs_pg_introspect(dbsync_schema **out, dbsync_ctx *ctx, dbsync_conn *conn);
#define DBS_PG_CATALOG_QUERIES 5
#define DBS_PG_INTROSPECT_ROUND_TRIPS 1

/* The backend's introspect_many: the same catalog queries (and round trips)
 * for the schemas names[0..n) at once, each read as a connection syncing it
 * reads it (its own name first on search_path); outs[i] is NULL when
 * names[i] does not exist. dbs_pg_introspect is this for the synced schema. */
int dbs_pg_introspect_many(dbsync_schema **outs, dbsync_ctx *ctx, dbsync_conn *conn,
	const char *const *names, size_t n);

/* The catalog queries as one script for a multi-statement round trip: each
 * ends in ";\n", with names_sql (an SQL expression of type name[]: the
 * schemas to read) where the schemas go. base_path: each schema's objects
 * are printed with it first on this path; NULL: with the session's path
 * (the shadow's, which sets its own). -1 when out of memory. */
int dbs_pg_catalog_script(dbs_buf *b, int server_num, const char *names_sql, const char *base_path);
/* The model of schema `nspname` from those queries' results,
 * res[0..DBS_PG_CATALOG_QUERIES-1], for a script that named it alone. With
 * shadow_of (the synced schema) set, nspname is a shadow schema standing in
 * for it: foreign keys to either read as plain table names, and nspname's
 * qualifier is taken out of expressions and types, so the result reads as
 * the synced schema would. Counts no round trip. */
int dbs_pg_read_results(dbsync_schema **out, dbsync_ctx *ctx, dbsync_conn *conn, const char *nspname,
	const char *shadow_of, PGresult *const *res);

/* The backend's normalize_desired (backend_postgres_shadow.c): desired's DDL
 * run in a shadow schema inside a transaction (a savepoint when one is open)
 * that is always rolled back, then read like the live schema. It all goes
 * as one script: DBS_PG_SHADOW_ROUND_TRIPS round trip, counted in
 * conn->catalog_queries, for up to DBS_PG_SHADOW_CHUNK tables (the lock
 * table's room), and one per that many tables beyond; one more to roll back
 * when a statement fails, and two more when the role may not create a
 * schema (the session's temporary schema then serves as the shadow). A
 * script that still runs out of locks fails with SQLSTATE 53200 and says
 * which setting to raise. */
int dbs_pg_normalize_desired(dbsync_schema **out, dbsync_ctx *ctx, dbsync_conn *conn,
	const dbsync_schema *desired);
/* The same for the tables only[] marks (desired's order); the others are
 * copied as parsed. No round trip at all when nothing is marked. */
int dbs_pg_normalize_desired_some(dbsync_schema **out, dbsync_ctx *ctx, dbsync_conn *conn,
	const dbsync_schema *desired, const bool *only);
#define DBS_PG_SHADOW_ROUND_TRIPS 1

/* Fleet slots (backend_postgres_namespace.c). The schema a connection syncs
 * is switched lazily: use_namespace records it, and dbs_pg_sync_path sets the
 * session's search_path to `<schema>, <base_path>` before the next statement
 * that depends on it (exec, queries, apply, the shadow, backups, inspect,
 * after a reconnect): one round trip, none when it is already set. A schema
 * that does not exist (or that the role may not use) fails there, naming it,
 * and keeps failing until another is chosen: search_path would skip it. */
int dbs_pg_namespaces(char ***out, size_t *n, dbsync_ctx *ctx, dbsync_conn *conn);
int dbs_pg_use_namespace(dbsync_ctx *ctx, dbsync_conn *conn, const char *name);
int dbs_pg_sync_path(dbsync_ctx *ctx, dbsync_conn *conn);

/* The session across failures (session_postgres.c; backend.h has the slots). */
bool dbs_pg_connection_broken(const dbsync_conn *conn);
int dbs_pg_reconnect(dbsync_ctx *ctx, dbsync_conn *conn);
int dbs_pg_lock_wait_in_tx(dbsync_ctx *ctx, dbsync_conn *conn, unsigned ms);

/* Backups with pg_dump and psql, or the engine's dump (backup_postgres.c). */
extern const struct dbs_backup_ops dbs_pg_backup_ops;

/* The advisory lock key a dbsync run takes on the schema it syncs (a hash
 * of "django-dbsync" and the schema's name, so it does not collide with small
 * application keys, and runs on other schemas take other keys). */
int64_t dbs_pg_lock_key(const char *schema);

/* The backend's inspect slot (inspect_postgres.c): views, sizes, row estimates. */
struct dbs_insp;
int dbs_insp_postgres(struct dbs_insp *in, dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_schema *live,
	unsigned what);

#endif
