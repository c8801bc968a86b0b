/* libdbsync: backups of a live database before it is changed, and restores. */
#ifndef DBSYNC_BACKUP_H
#define DBSYNC_BACKUP_H

#include "dbsync/common.h"
#include "dbsync/conn.h"

#ifdef __cplusplus
extern "C" {
#endif

/** How a backup was written. */
typedef enum dbsync_backup_method {
	DBSYNC_BACKUP_AUTO = 0,      /**< the best available: SQLite online backup, pg_dump / mysqldump when on PATH, else the engine's own dump */
	DBSYNC_BACKUP_ENGINE = 1,    /**< the engine's own dump (SQLite: online backup API) */
	DBSYNC_BACKUP_TOOL = 2       /**< pg_dump / mysqldump; DBSYNC_EUNSUPPORTED when absent */
} dbsync_backup_method;

/**
 * Options for dbsync_conn_backup. Initialize with dbsync_backup_options_init
 * (or DBSYNC_BACKUP_OPTIONS_INIT); every version from 1 to the library's own
 * is accepted.
 */
typedef struct dbsync_backup_options {
	unsigned int version;
	dbsync_backup_method method;
} dbsync_backup_options;

#define DBSYNC_BACKUP_OPTIONS_VERSION 1
#define DBSYNC_BACKUP_OPTIONS_INIT { DBSYNC_BACKUP_OPTIONS_VERSION, DBSYNC_BACKUP_AUTO }

/** The defaults of layout `version` (1 to DBSYNC_BACKUP_OPTIONS_VERSION), as dbsync_plan_options_init. */
DBSYNC_EXTERN(int) dbsync_backup_options_init(dbsync_backup_options *opts, unsigned int version);

/**
 * Write a backup of schema and data of `conn`'s database to the file `path`
 * (created, never overwritten: DBSYNC_EINVALID if it exists; mode 0600).
 * SQLite: a database file; PostgreSQL / MySQL: an SQL script. Credentials reach
 * an external tool only through its environment or a private option file,
 * never its command line. On failure no partial file is left. *out_method
 * (may be NULL) says which method wrote it.
 */
DBSYNC_EXTERN(int) dbsync_conn_backup(dbsync_ctx *ctx, dbsync_conn *conn, const char *path,
	const dbsync_backup_options *opts, dbsync_backup_method *out_method);

/**
 * Whether a backup written with `method` holds the synced namespace alone, so
 * that a fleet (dbsync/fleet.h) needs one backup per member: 1 (MySQL: a
 * backup is of one database; the engine's own dump everywhere, and
 * DBSYNC_BACKUP_AUTO, which falls back to it where the tool is missing or
 * refuses the server), or 0 when one backup holds every namespace and so
 * covers the whole fleet (PostgreSQL with DBSYNC_BACKUP_TOOL: pg_dump writes
 * every schema of the database; SQLite's copy of its file). A dialect whose
 * backend is not compiled in answers 1. Read from the backend's backup
 * table, like the facts of dbsync/conn.h.
 */
DBSYNC_EXTERN(int) dbsync_backup_per_member(dbsync_dialect dialect, dbsync_backup_method method);

/**
 * dbsync_conn_backup of namespace `name` of `conn`'s server (a PostgreSQL
 * schema, a MySQL database, as dbsync_conn_namespaces lists them): `conn`
 * syncs `name` while the backup is written and its own namespace again
 * afterwards, whatever happened. What the file holds is what
 * dbsync_backup_per_member says: `name` alone, or every namespace.
 * DBSYNC_EUNSUPPORTED where the dialect has no namespaces (SQLite).
 */
DBSYNC_EXTERN(int) dbsync_conn_backup_namespace(dbsync_ctx *ctx, dbsync_conn *conn, const char *name,
	const char *path, const dbsync_backup_options *opts, dbsync_backup_method *out_method);

/**
 * Restore a backup written by dbsync_conn_backup into `conn`'s database, which
 * must hold no tables (DBSYNC_EINVALID otherwise).
 */
DBSYNC_EXTERN(int) dbsync_conn_restore(dbsync_ctx *ctx, dbsync_conn *conn, const char *path);

#ifdef __cplusplus
}
#endif

#endif
