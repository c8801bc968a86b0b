/* libdbsync: plans of changes, and applying them. */
#ifndef DBSYNC_PLAN_H
#define DBSYNC_PLAN_H

#include "dbsync/common.h"
#include "dbsync/conn.h"
#include "dbsync/schema.h"

#ifdef __cplusplus
extern "C" {
#endif

/** How dangerous an operation is. */
typedef enum dbsync_risk {
	DBSYNC_RISK_SAFE = 0,      /**< no data can be lost, short lock */
	DBSYNC_RISK_LOCKING = 1,   /**< rewrites or locks a table, no data lost */
	DBSYNC_RISK_DATA_LOSS = 2  /**< drops data */
} dbsync_risk;

/** What an operation does. */
typedef enum dbsync_op_kind {
	DBSYNC_OP_CREATE_TABLE = 1,
	DBSYNC_OP_DROP_TABLE,
	DBSYNC_OP_RENAME_TABLE,
	DBSYNC_OP_REBUILD_TABLE,   /**< SQLite: copy into a new table where ALTER cannot */
	DBSYNC_OP_ADD_COLUMN,
	DBSYNC_OP_DROP_COLUMN,
	DBSYNC_OP_ALTER_COLUMN,
	DBSYNC_OP_RENAME_COLUMN,
	DBSYNC_OP_ADD_CONSTRAINT,  /**< unique, check or primary key */
	DBSYNC_OP_DROP_CONSTRAINT,
	DBSYNC_OP_ADD_FOREIGN_KEY,
	DBSYNC_OP_DROP_FOREIGN_KEY,
	DBSYNC_OP_ADD_INDEX,
	DBSYNC_OP_DROP_INDEX,
	DBSYNC_OP_COMMENT
} dbsync_op_kind;

/** Where an operation stands. */
typedef enum dbsync_op_status {
	DBSYNC_STATUS_PENDING = 0,  /**< will run when the plan is applied */
	DBSYNC_STATUS_SKIPPED,      /**< not allowed by the options; `sql` shows what would run */
	DBSYNC_STATUS_REFUSED,      /**< would fail or lose data; `reason` says why */
	DBSYNC_STATUS_APPLIED,
	DBSYNC_STATUS_FAILED
} dbsync_op_status;

/**
 * One operation of a plan. Read-only; everything it points to belongs to the
 * plan. A SQLite rebuild carries several changes in one operation; `detail`
 * lists them, one per line.
 */
typedef struct dbsync_op {
	dbsync_op_kind kind;
	dbsync_risk risk;
	dbsync_op_status status;
	const char *table;        /**< the table acted on */
	const char *object;       /**< column, index or constraint name, or NULL */
	const char *summary;      /**< one line for people: "add column `x` to `t`" */
	const char *detail;       /**< more lines, or NULL */
	const char *reason;       /**< why skipped or refused, or NULL */
	size_t n_sql;
	const char *const *sql;   /**< statements, in order, without trailing ';' */
} dbsync_op;

/** Options for dbsync_plan_compute. Initialize with DBSYNC_PLAN_OPTIONS_INIT. */
typedef struct dbsync_plan_options {
	unsigned int version;
	int create_tables;      /**< create missing tables (default 1) */
	int add_columns;        /**< add missing columns (default 1) */
	int drop_columns;       /**< drop columns no model has (default 0: skipped) */
	int alter_columns;      /**< change type/null/default (default 1) */
	int sync_indexes;       /**< add/drop indexes and constraints (default 1) */
	/**
	 * Optional JSON describing the desired tables, as the Django side writes it:
	 * {"tables": {"<table>": {"app_label": "...", "model": "app.Model",
	 *   "columns": {"<column>": {"field": "...", "class": "CharField",
	 *   "default": <JSON value, present only when the field has one>}}}}}
	 * The default fills existing rows when a NOT NULL column is added.
	 */
	const char *metadata_json;
} dbsync_plan_options;

#define DBSYNC_PLAN_OPTIONS_VERSION 1
#define DBSYNC_PLAN_OPTIONS_INIT { DBSYNC_PLAN_OPTIONS_VERSION, 1, 1, 0, 1, 1, NULL }

/** A plan: ordered operations. Owns everything in it. */
typedef struct dbsync_plan dbsync_plan;

/**
 * Read the live schema of `conn`, compare it with `desired` and plan the
 * changes that bring the database in line. Only tables named in `desired` are
 * considered. The live schema is not modified. `desired` is borrowed: keep it
 * alive until the plan is freed (dbsync_plan_apply verifies against it).
 * `opts` may be NULL for the defaults.
 */
DBSYNC_EXTERN(int) dbsync_plan_compute(dbsync_plan **out, dbsync_ctx *ctx, dbsync_conn *conn,
	const dbsync_schema *desired, const dbsync_plan_options *opts);

/** Number of operations (of every status). */
DBSYNC_EXTERN(size_t) dbsync_plan_op_count(const dbsync_plan *plan);

/** Operation `i`, or NULL when out of range. */
DBSYNC_EXTERN(const dbsync_op *) dbsync_plan_op(const dbsync_plan *plan, size_t i);

/** Number of operations with status PENDING. */
DBSYNC_EXTERN(size_t) dbsync_plan_pending_count(const dbsync_plan *plan);

/**
 * The exact SQL script applying the plan would run, framing included
 * (transaction, SQLite's foreign key pragmas, locks), each statement ending in
 * ';' and a newline. Empty when nothing is pending. Caller frees with dbsync_free.
 */
DBSYNC_EXTERN(int) dbsync_plan_script(char **out, dbsync_ctx *ctx, const dbsync_plan *plan);

/** Options for dbsync_plan_apply. Initialize with DBSYNC_APPLY_OPTIONS_INIT. */
typedef struct dbsync_apply_options {
	unsigned int version;
	int verify;   /**< read the catalog again afterwards and fail on any difference (default 1) */
} dbsync_apply_options;

#define DBSYNC_APPLY_OPTIONS_VERSION 1
#define DBSYNC_APPLY_OPTIONS_INIT { DBSYNC_APPLY_OPTIONS_VERSION, 1 }

/**
 * Apply the pending operations of `plan` to `conn`: under the sync lock, in one
 * transaction where the database allows it. Statuses of the plan's operations
 * are updated. On failure nothing is committed (where transactional), the error
 * names the operation, and the failed operation is marked FAILED. `opts` may be
 * NULL for the defaults.
 */
DBSYNC_EXTERN(int) dbsync_plan_apply(dbsync_ctx *ctx, dbsync_conn *conn, dbsync_plan *plan,
	const dbsync_apply_options *opts);

/** Free a plan. NULL is accepted. */
DBSYNC_EXTERN(void) dbsync_plan_free(dbsync_plan *plan);

/** Name of an operation kind ("create_table", ...). */
DBSYNC_EXTERN(const char *) dbsync_op_kind_name(dbsync_op_kind kind);

/** Name of a risk ("safe", "locking", "data_loss"). */
DBSYNC_EXTERN(const char *) dbsync_risk_name(dbsync_risk risk);

/** Name of a status ("pending", "skipped", "refused", "applied", "failed"). */
DBSYNC_EXTERN(const char *) dbsync_status_name(dbsync_op_status status);

#ifdef __cplusplus
}
#endif

#endif
