/*
 * Shared by the backup files: writing a file that appears whole or not at
 * all, running the vendors' dump and client tools safely, and the engine's
 * own SQL dump. Each backend's part sits in <dialect>/backup_<dialect>.c and
 * reaches the core through its dbs_backup_ops table (backend.h: backup).
 */
#ifndef DBS_BACKUP_INTERNAL_H
#define DBS_BACKUP_INTERNAL_H

#include <stdbool.h>
#include <stdio.h>

#include "backend.h"
#include "model.h"
#include "dbsync/backup.h"

/* First line of a dump the engine wrote itself: restore runs it through the
 * connection instead of the vendor's client. */
#define DBS_ENGINE_DUMP_MAGIC "-- dbsync engine dump"

/* A file being written beside its final name ("<path>.partial-XXXXXX", mode
 * 0600), renamed into place by dbs_out_commit, removed by dbs_out_abort. */
typedef struct dbs_out_file {
	char *tmp_path;
	const char *path;
	int fd;
} dbs_out_file;

/* DBSYNC_EINVALID when `path` exists or its directory cannot be written. */
int dbs_out_open(dbs_out_file *f, dbsync_ctx *ctx, const char *path);
/* Publish the file under its name without ever replacing another file. */
int dbs_out_commit(dbs_out_file *f, dbsync_ctx *ctx);
void dbs_out_abort(dbs_out_file *f);

/* The absolute path of `name` found on PATH, or NULL (malloc'd). */
char *dbs_find_tool(const char *name);

/* A variable for a child's environment; `value` NULL means "remove it". */
typedef struct dbs_env_var {
	const char *name;
	const char *value;
} dbs_env_var;

/* Run `argv` (argv[0] an absolute path) with the process environment, minus
 * every variable starting with one of `drop_prefixes` (NULL-terminated, may
 * be NULL), plus `vars`. stdin from in_fd (or /dev/null when -1), stdout to
 * out_fd (or /dev/null when -1), stderr captured: on a nonzero exit the error
 * names `what` and quotes the tool's stderr with `secret` masked. */
int dbs_run_tool(dbsync_ctx *ctx, char *const argv[], const char *const *drop_prefixes,
	const dbs_env_var *vars, size_t n_vars, int in_fd, int out_fd, const char *secret,
	const char *what);

/* dbs_run_tool, and `pass_fd` (unless -1) becomes the child's fd
 * DBS_TOOL_PASS_FD: how a secret reaches a tool without touching the disk. */
#define DBS_TOOL_PASS_FD 3
int dbs_run_tool_fd(dbsync_ctx *ctx, char *const argv[], const char *const *drop_prefixes,
	const dbs_env_var *vars, size_t n_vars, int in_fd, int out_fd, int pass_fd, const char *secret,
	const char *what);

/* Whether the file at `path` starts with DBS_ENGINE_DUMP_MAGIC: 1 or 0, or
 * a negative code when it cannot be read (error on ctx). */
int dbs_is_engine_dump(dbsync_ctx *ctx, const char *path);

/* The engine's own dump of conn's tables (schema, then rows as INSERTs in
 * batches, then what must follow the rows: foreign keys, sequence positions)
 * to `out`. Used where pg_dump / mysqldump are absent. */
int dbs_engine_dump(dbsync_ctx *ctx, dbsync_conn *conn, FILE *out);
/* Run an engine dump through the connection. */
int dbs_engine_restore(dbsync_ctx *ctx, dbsync_conn *conn, const char *path);

/* What a backend does for backups. Either `native_backup` and
 * `native_restore` (a copy the client library makes itself) or the vendor's
 * tools beside the engine's own dump. */
typedef struct dbs_backup_ops {
	/* The client library's own copy of the whole database into f, and back
	 * from the file at path; the other fields are then unused. */
	int (*native_backup)(dbsync_ctx *ctx, dbsync_conn *conn, dbs_out_file *f);
	int (*native_restore)(dbsync_ctx *ctx, dbsync_conn *conn, const char *path);
	/* Why DBSYNC_BACKUP_TOOL is refused with a native backup. */
	const char *no_tool_reason;
	/* The dump tools looked for on PATH, in order (NULL-terminated). An
	 * error saying none was found names the dialect's backup_tool first
	 * (dialect.h), the one name users see. */
	const char *const *dump_tools;
	/* Dump with the tool found into f; restore a tool's dump from path. */
	int (*tool_backup)(dbsync_ctx *ctx, dbsync_conn *conn, dbs_out_file *f, const char *tool);
	int (*tool_restore)(dbsync_ctx *ctx, dbsync_conn *conn, const char *path);
	/* Words in the tool's error that mean it cannot dump this server at all
	 * (pg_dump refuses a newer major than its own), or NULL: unless the tool
	 * was asked for, the engine's dump then takes its place. */
	const char *tool_refuses_server;
	/* Whether the tool's dump holds every namespace of the database
	 * (pg_dump: all its schemas) rather than the synced one alone (mysqldump
	 * of one database): one such backup covers a whole fleet
	 * (dbsync_backup_per_member). The engine's own dump is always of the
	 * synced namespace alone. */
	bool tool_whole_database;
	/* The engine's dump: the statements it starts and ends with (or NULL),
	 * and one table's rows as batched INSERTs (backup_rows.h). */
	const char *dump_prologue, *dump_epilogue;
	int (*dump_rows)(dbsync_ctx *ctx, dbsync_conn *conn, const dbs_table *t, FILE *out);
	/* Optional: the views, written after the tables instead of the
	 * catalog's rendering of them (MySQL's names their database). */
	int (*dump_views)(dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_schema *live, dbs_buf *out);
	/* Optional: sequences. Their creation before the tables, what ties them
	 * to columns after the tables, and their positions, identity columns'
	 * included, after the rows; `order` holds the n tables dumped. */
	int (*dump_sequences)(dbsync_ctx *ctx, dbsync_conn *conn, const dbs_table *const *order, size_t n,
		dbs_buf *before_tables, dbs_buf *after_tables, dbs_buf *after_rows);
} dbs_backup_ops;

#endif
