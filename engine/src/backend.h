/*
 * What a database backend provides. conn.c dispatches the public connection API
 * through this table; apply.c drives plans through it. One backend per dialect,
 * compiled in when its client library was found (see meson.build).
 */
#ifndef DBS_BACKEND_H
#define DBS_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "dialect.h"
#include "dbsync/conn.h"
#include "dbsync/plan.h"

struct dbs_insp;

/* Connection parameters, as keys and values (see dbsync_conn_open_params). */
typedef struct dbs_params {
	const char *const *keys;
	const char *const *values;
	size_t n;
} dbs_params;

/* The value of `key` in params, or NULL. */
const char *dbs_params_get(const dbs_params *p, const char *key);

typedef struct dbs_backend {
	dbsync_dialect dialect;
	/* Open a connection; sets conn->impl, conn->describe (no password) and
	 * conn->server_version (both malloc'd, freed by conn.c). */
	int (*open)(dbsync_conn *conn, dbsync_ctx *ctx, const dbs_params *params);
	void (*close)(dbsync_conn *conn);
	/* Read the whole live schema in a fixed number of catalog queries,
	 * counting each round trip in conn->catalog_queries. */
	int (*introspect)(dbsync_schema **out, dbsync_ctx *ctx, dbsync_conn *conn);
	/* Run one statement or a script; no results. Errors carry SQLSTATE / native code. */
	int (*exec)(dbsync_ctx *ctx, dbsync_conn *conn, const char *sql);
	/* Run a query returning one integer (first column of the first row; 0 if no row). */
	int (*query_int64)(int64_t *out, dbsync_ctx *ctx, dbsync_conn *conn, const char *sql);
	/* Start applying a plan: take the sync lock, open the transaction, and
	 * whatever framing the plan needs (SQLite: foreign keys off around rebuilds,
	 * foreign_key_check). */
	int (*apply_begin)(dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_plan *plan);
	/* Finish: commit (after SQLite's foreign_key_check) or roll back, release the
	 * lock, restore settings. With commit=0 it must not fail silently. */
	int (*apply_end)(dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_plan *plan, int commit);
	/* Optional (NULL where the parser's canonical forms suffice). Give the
	 * desired schema the server's own spelling of types, defaults, checks and
	 * index definitions, so a database built from the same DDL shows no
	 * difference: make the desired tables, as the engine renders them from
	 * the parsed model (never desired->source_ddl), in a throwaway schema
	 * inside a transaction that is rolled back, and read them with the same
	 * catalog queries. *out is a new schema (tables named as in desired) the caller frees. */
	int (*normalize_desired)(dbsync_schema **out, dbsync_ctx *ctx, dbsync_conn *conn,
		const dbsync_schema *desired);
	/* Optional: the same for the desired tables only[] marks (desired's
	 * order), the others copied as parsed. The planner marks the tables the
	 * parser's canonical forms already find different or missing, so a
	 * database in sync costs no shadow at all. */
	int (*normalize_desired_some)(dbsync_schema **out, dbsync_ctx *ctx, dbsync_conn *conn,
		const dbsync_schema *desired, const bool *only);
	/* Optional: the schema (PostgreSQL) or database (MySQL) this connection
	 * syncs, so planning can refuse desired DDL that names another one. */
	const char *(*synced_namespace)(const dbsync_conn *conn);
	/* The text equivalents of apply_begin / apply_end for dry-run scripts. */
	int (*script_prologue)(dbs_buf *out, const dbsync_plan *plan);
	int (*script_epilogue)(dbs_buf *out, const dbsync_plan *plan);
	/* The server commits each DDL statement on its own (MySQL): apply_end(commit=0)
	 * cannot undo what already ran, so apply must record each step as applied. */
	bool ddl_autocommits;
	/* Optional hooks added by later parts; each part adds its own lines. */
	/* inspect (views, sizes, table details): */
	/* Read what `what` asks for (DBS_INSP_* of inspect_internal.h: views,
	 * sizes in bytes, the catalog's row estimates) into `in`, for `conn` whose
	 * schema model `live` was just read, in a fixed number of catalog queries
	 * counted in conn->catalog_queries. Row estimates never read a table:
	 * they are what the catalog keeps (statistics), unknown where it keeps none. */
	int (*inspect)(struct dbs_insp *in, dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_schema *live,
		unsigned what);
	/* renames (case sensitivity of table names): */
	/* Optional: the server's own rule, read at connect (MySQL's
	 * lower_case_table_names); NULL: the dialect's table_name_case. */
	dbs_name_case (*table_name_case)(const dbsync_conn *conn);
	/* backup / restore / transient errors: */
	/* Backups and restores (backup_internal.h), or NULL when the backend
	 * has none. */
	const struct dbs_backup_ops *backup;
	/* Optional: the client library's own word that the connection is gone
	 * (libpq's status), whatever the error says. */
	bool (*connection_broken)(const dbsync_conn *conn);
	/* Optional: reconnect a lost connection with the parameters it was
	 * opened with, restoring the session state open set up. */
	int (*reconnect)(dbsync_ctx *ctx, dbsync_conn *conn);
	/* Optional: the server's id of the session (0 for none), and whether
	 * the server still runs session `id` (a lost session's statement may
	 * still be finishing there). */
	uint64_t (*session_id)(const dbsync_conn *conn);
	int (*session_running)(bool *running, dbsync_ctx *ctx, dbsync_conn *conn, uint64_t id);
	/* Optional: after a reconnect in the middle of an apply, take the sync
	 * lock again (the old session's went with it); NULL: apply_begin. */
	int (*retake_lock)(dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_plan *plan);
	/* Optional, each: the per-apply lock wait (ms > 0). lock_wait_set runs
	 * before apply_begin and puts the setting it replaced in *saved, which
	 * lock_wait_restore puts back (never failing); lock_wait_in_tx runs right
	 * after apply_begin, for a setting that ends with the transaction. */
	int (*lock_wait_set)(dbsync_ctx *ctx, dbsync_conn *conn, unsigned ms, int64_t *saved);
	void (*lock_wait_restore)(dbsync_conn *conn, int64_t saved);
	int (*lock_wait_in_tx)(dbsync_ctx *ctx, dbsync_conn *conn, unsigned ms);
	/* fleets (fleet.c; all three or none): */
	/* The server's namespaces (PostgreSQL: schemas of the database; MySQL:
	 * databases), without the server's own and the engine's shadows, in one
	 * catalog query; *out is malloc'd names the caller frees
	 * (dbsync_names_free). */
	int (*namespaces)(char ***out, size_t *n, dbsync_ctx *ctx, dbsync_conn *conn);
	/* From now on `conn` syncs namespace `name`: synced_namespace returns it,
	 * and the catalog read, probes, the shadow, apply and its lock act on it.
	 * Costs no round trip of its own where it can wait for the next statement. */
	int (*use_namespace)(dbsync_ctx *ctx, dbsync_conn *conn, const char *name);
	/* Optional: read the catalogs of names[0..n) in the same fixed number of
	 * queries as introspect (counted in conn->catalog_queries); outs[i] is
	 * names[i]'s schema, NULL when that namespace does not exist. NULL: fleet.c
	 * reads one namespace after another. */
	int (*introspect_many)(dbsync_schema **outs, dbsync_ctx *ctx, dbsync_conn *conn,
		const char *const *names, size_t n);
} dbs_backend;

struct dbsync_conn {
	const dbs_backend *backend;
	dbsync_dialect dialect;
	void *impl;
	char *describe;
	char *server_version;
	/* PostgreSQL's server_version_num (e.g. 120022), for planning statements
	 * older servers lack; 0 on other backends */
	int server_num;
	/* The server accepts DROP INDEX IF EXISTS (MariaDB, PostgreSQL, SQLite;
	 * not MySQL): set by the backend's open, read by planners, which never
	 * look into conn->impl (a plan must build without the client library). */
	bool drop_index_if_exists;
	uint64_t catalog_queries;
	/* opened with readonly=1: the backend must not write, apply refuses */
	bool readonly;
};

/* The compiled-in backend for a dialect, or NULL. */
const dbs_backend *dbs_backend_for(dbsync_dialect d);

/* How the connection's server treats the letter case of table names: the
 * backend's table_name_case, else the dialect's (conn.c). */
dbs_name_case dbs_conn_name_case(const dbsync_conn *conn);

#endif
