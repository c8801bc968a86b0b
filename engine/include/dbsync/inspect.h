/*
 * libdbsync: read-only inspection of a live database beyond what a plan needs:
 * the inventory of tables and views (orphans, sizes, invalid views) and one
 * table's details. Results are JSON documents (UTF-8, caller frees with
 * dbsync_free), so every caller (CLI, Python binding, reports) reads one
 * shape; docs/orphans-and-views.md documents them. (Model source generated
 * from live tables: dbsync/django.h.)
 */
#ifndef DBSYNC_INSPECT_H
#define DBSYNC_INSPECT_H

#include "dbsync/common.h"
#include "dbsync/conn.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Options for dbsync_conn_inventory. Initialize with
 * dbsync_inventory_options_init (or DBSYNC_INVENTORY_OPTIONS_INIT); every
 * version from 1 to the library's own is accepted.
 */
typedef struct dbsync_inventory_options {
	unsigned int version;
	/**
	 * Table names the caller owns (the desired tables, and tables it knows
	 * something else manages): never orphans.
	 * Compared with live names by the dialect's identifier rules (exact on
	 * PostgreSQL/SQLite-quoted, lower_case_table_names on MySQL); a live table
	 * that matches an owned name only in another letter case is not an orphan
	 * either (it is a case mismatch, see dbsync_plan_options.auto_fix_table_case).
	 */
	const char *const *owned;
	size_t n_owned;
	int sizes;   /**< count rows and measure bytes of orphans (default 1) */
	int views;   /**< list views with their column count and validity (default 1) */
	/* Since version 2. */
	/**
	 * How rows are counted: DBSYNC_COUNT_EXACT (the default, and for
	 * version 1 callers: one COUNT per orphan, when `sizes` is on) or
	 * DBSYNC_COUNT_ESTIMATE (the catalog's estimate of every table, sizes
	 * or not: no table is read).
	 */
	int rows;
} dbsync_inventory_options;

#define DBSYNC_INVENTORY_OPTIONS_VERSION 2
#define DBSYNC_INVENTORY_OPTIONS_INIT { DBSYNC_INVENTORY_OPTIONS_VERSION, NULL, 0, 1, 1, DBSYNC_COUNT_EXACT }

/** The defaults of layout `version` (1 to DBSYNC_INVENTORY_OPTIONS_VERSION), as dbsync_plan_options_init. */
DBSYNC_EXTERN(int) dbsync_inventory_options_init(dbsync_inventory_options *opts, unsigned int version);

/**
 * The database's tables and views, as JSON:
 * {"version": 1, "dialect": "sqlite|postgresql|mysql",
 *  "size_method": "dbstat|page_count|pg_total_relation_size|information_schema"|null,
 *  "rows_method": "count|pg_class.reltuples|information_schema|sqlite_stat1"|null,
 *  "database_bytes": N|null,            (SQLite without dbstat: the whole file)
 *  "tables": [{"name": "...", "owned": true|false, "orphan": true|false,
 *              "case_of": "owned name"|null,   (owned only in another letter case)
 *              "rows": N|null, "bytes": N|null, "columns": N,
 *              "rows_estimated": true|false,   (rows is the catalog's estimate)
 *              "rows_error": "why rows could not be counted"|null,
 *              "references": ["other_table", ...]}],   (FK targets)
 *  "views":  [{"name": "...", "columns": N|null, "valid": true|false,
 *              "error": "message naming the view"|null}]}
 * rows/bytes are filled for orphans when opts->sizes (rows of every table
 * with DBSYNC_COUNT_ESTIMATE, sizes or not; bytes: PostgreSQL
 * pg_total_relation_size, MySQL data+index length, SQLite dbstat; null where
 * SQLite has no dbstat). An invalid view never makes this fail: it is listed
 * with its error (PostgreSQL: a view the role may not read, or one that fails
 * when read, e.g. through a function whose table is gone). A fixed number of
 * catalog queries plus one count per orphan (none with DBSYNC_COUNT_ESTIMATE:
 * rows are then the catalog's estimate, null where it has none, e.g. SQLite
 * never analyzed, "rows_method" null) and, on PostgreSQL when views are
 * asked for, one single-row read per view, all counted in catalog_queries.
 */
DBSYNC_EXTERN(int) dbsync_conn_inventory(char **out_json, dbsync_ctx *ctx, dbsync_conn *conn,
	const dbsync_inventory_options *opts);

/**
 * One table in detail, as JSON: columns (name, type, null, default, generated,
 * comment), primary key, unique constraints, checks, indexes (with INCLUDE
 * columns, storage parameters, comment), foreign keys, exclusion constraints
 * (PostgreSQL: "exclusions", each with its "definition"), comment, row count
 * and size in bytes ("kind": "table"). A view gives its
 * columns and row count ("kind": "view"). DBSYNC_EINVALID naming the table when
 * it does not exist. The rows are counted (DBSYNC_COUNT_EXACT); see
 * dbsync_conn_table_json_opts for the catalog's estimate.
 */
DBSYNC_EXTERN(int) dbsync_conn_table_json(char **out_json, dbsync_ctx *ctx, dbsync_conn *conn,
	const char *table);

/**
 * Options for dbsync_conn_table_json_opts. Initialize with
 * dbsync_table_options_init (or DBSYNC_TABLE_OPTIONS_INIT); every version
 * from 1 to the library's own is accepted.
 */
typedef struct dbsync_table_options {
	unsigned int version;
	/**
	 * DBSYNC_COUNT_EXACT (default: one COUNT of the table, or of the view's
	 * rows, which runs the view) or DBSYNC_COUNT_ESTIMATE (the catalog's
	 * estimate, no table read; null for a view or where the catalog has none).
	 */
	int rows;
} dbsync_table_options;

#define DBSYNC_TABLE_OPTIONS_VERSION 1
#define DBSYNC_TABLE_OPTIONS_INIT { DBSYNC_TABLE_OPTIONS_VERSION, DBSYNC_COUNT_EXACT }

/** The defaults of layout `version` (1 to DBSYNC_TABLE_OPTIONS_VERSION), as dbsync_plan_options_init. */
DBSYNC_EXTERN(int) dbsync_table_options_init(dbsync_table_options *opts, unsigned int version);

/**
 * dbsync_conn_table_json with options (NULL: the defaults). The document
 * also says "rows_estimated": true|false and "rows_method" (as in the inventory).
 */
DBSYNC_EXTERN(int) dbsync_conn_table_json_opts(char **out_json, dbsync_ctx *ctx, dbsync_conn *conn,
	const char *table, const dbsync_table_options *opts);

#ifdef __cplusplus
}
#endif

#endif
