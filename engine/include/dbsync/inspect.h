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
} dbsync_inventory_options;

#define DBSYNC_INVENTORY_OPTIONS_VERSION 1
#define DBSYNC_INVENTORY_OPTIONS_INIT { DBSYNC_INVENTORY_OPTIONS_VERSION, NULL, 0, 1, 1 }

/** The defaults of layout `version` (1 to DBSYNC_INVENTORY_OPTIONS_VERSION), as dbsync_plan_options_init. */
DBSYNC_EXTERN(int) dbsync_inventory_options_init(dbsync_inventory_options *opts, unsigned int version);

/**
 * The database's tables and views, as JSON:
 * {"version": 1, "dialect": "sqlite|postgresql|mysql",
 *  "size_method": "dbstat|page_count|pg_total_relation_size|information_schema"|null,
 *  "database_bytes": N|null,            (SQLite without dbstat: the whole file)
 *  "tables": [{"name": "...", "owned": true|false, "orphan": true|false,
 *              "case_of": "owned name"|null,   (owned only in another letter case)
 *              "rows": N|null, "bytes": N|null, "columns": N,
 *              "rows_error": "why rows could not be counted"|null,
 *              "references": ["other_table", ...]}],   (FK targets)
 *  "views":  [{"name": "...", "columns": N|null, "valid": true|false,
 *              "error": "message naming the view"|null}]}
 * rows/bytes are filled for orphans when opts->sizes (bytes: PostgreSQL
 * pg_total_relation_size, MySQL data+index length, SQLite dbstat; null where
 * SQLite has no dbstat). An invalid view never makes this fail: it is listed
 * with its error (PostgreSQL: a view the role may not read, or one that fails
 * when read, e.g. through a function whose table is gone). A fixed number of
 * catalog queries plus one count per orphan and, on PostgreSQL when views are
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
 * it does not exist.
 */
DBSYNC_EXTERN(int) dbsync_conn_table_json(char **out_json, dbsync_ctx *ctx, dbsync_conn *conn,
	const char *table);

#ifdef __cplusplus
}
#endif

#endif
