/* What the files of the dbsync CLI share. Printing and exit codes only. */
#ifndef DBSYNC_CLI_H
#define DBSYNC_CLI_H

#include <stdio.h>

#include "dbsync/dbsync.h"

/* EXIT_REFUSED: apply ran, but refused changes (a table skipped with its
 * error among them) leave the database different from the desired schema */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_PENDING = 3, EXIT_REFUSED = 4 };

typedef struct cli_args {
	const char *command;
	const char *desired_path;
	const char *db_url;
	const char *metadata_path;
	const char *schema;            /* one plain --schema NAME: today's single-schema run */
	const char **schemas;          /* every --schema PATTERN given, in order */
	size_t n_schemas;
	int all_schemas;               /* --all-schemas */
	int fleet;                     /* several --schema, a pattern, or --all-schemas */
	int jobs;                      /* apply to a fleet: connections at once (default 1) */
	int fail_fast;                 /* apply to a fleet: stop at the first failing member */
	const char *backup_path;       /* apply: back up here first */
	const char *report_json;       /* plan/apply: write the JSON report here */
	const char *report_html;       /* plan/apply: write the HTML report here */
	const char *drop_tables;       /* apply/plan: comma-separated orphans to drop */
	int drop_columns;
	int drop_unmanaged;
	int dry_run;
	int auto_approve;
	int quiet;
	int retries;                   /* apply: retries of transient failures */
	int lock_timeout_ms;           /* apply: -1 for the engine's default */
	int rename_tables;             /* rename a clearly matching old table */
	int keep_table_case;           /* do not rename case-mismatched tables */
	int keep_extra_indexes;        /* skip drops of indexes/constraints not desired */
	int ignore_unsupported;        /* plan/apply although some statements are not handled */
	int exact_counts;              /* orphans: count rows instead of the catalog's estimate */
	char **names;                  /* positional arguments after the command */
	int n_names;
} cli_args;

int cli_report_error(dbsync_ctx *ctx, const char *what);
/* The URL with readonly=1 and schema=NAME added; malloc'd, NULL on OOM. */
char *cli_connection_url(const cli_args *a, int readonly);
/* Read a whole file ('-' is stdin), NUL-terminated; NULL on failure. */
char *cli_read_file(const char *path, size_t *len_out);
/* Open the URL; on failure prints the error and returns NULL. */
dbsync_conn *cli_open(dbsync_ctx *ctx, const cli_args *a, int readonly);

/* The desired file and the metadata file (when given); the caller frees both. */
int cli_read_inputs(const cli_args *a, char **ddl, size_t *ddl_len, char **metadata);
/* The plan options the command line asks for; *drops and *drops_buf (the
 * --drop-tables names) are the caller's to free. EXIT_FAIL when out of memory. */
int cli_plan_options(dbsync_plan_options *opts, const cli_args *a, const char *metadata, const char ***drops,
	char **drops_buf);

/* cli_print.c: a plan as people read it, and the confirmation question. */
void cli_print_plan(const dbsync_plan *plan);
void cli_print_unmanaged(const dbsync_plan *plan);
/* List what the desired file has that the engine does not handle; 1 (and
 * says why) when the run must stop for it (no --ignore-unsupported). */
int cli_print_unhandled(const cli_args *a, const dbsync_schema *desired, int applying);
size_t cli_count_status(const dbsync_plan *plan, dbsync_op_status status);
/* Ask `question` on the terminal; 0 (and says why) when stdin is no terminal. */
int cli_confirm(const char *question);

/* cli_fleet.c: plan and apply over a fleet of schemas or databases. */
int cli_cmd_fleet(dbsync_ctx *ctx, const cli_args *a, int apply);
/* cli_fleet_backup.c: apply --backup PATH before a fleet runs: one file, or
 * PATH a directory of one file per member with changes (dbsync_backup_per_member).
 * EXIT_OK, or EXIT_FAIL (said why) when any backup failed: apply nothing then. */
int cli_fleet_backup(dbsync_ctx *ctx, const cli_args *a, dbsync_conn *conn, const dbsync_fleet *fleet,
	const char *word);

/* cli_more.c: commands beyond plan/apply/inspect, and the reports. */
int cli_cmd_orphans(dbsync_ctx *ctx, const cli_args *a);
int cli_cmd_models(dbsync_ctx *ctx, const cli_args *a);
int cli_cmd_backup(dbsync_ctx *ctx, const cli_args *a, int restore);
/* Write the reports a->report_json / a->report_html ask for; EXIT_OK or EXIT_FAIL. */
int cli_write_reports(dbsync_ctx *ctx, const cli_args *a, const dbsync_plan *plan, dbsync_conn *conn,
	const char *mode);
/* The same for a fleet run (dbsync_fleet_report_json). */
int cli_write_fleet_reports(dbsync_ctx *ctx, const cli_args *a, const dbsync_fleet *fleet, dbsync_conn *conn,
	const char *mode);

#endif
