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
	DBSYNC_OP_COMMENT,
	/**
	 * Since 0.3: a table the engine could not read or plan, skipped with
	 * nothing done to it; always REFUSED, `reason` holds the error.
	 */
	DBSYNC_OP_SKIP_TABLE,
	/**
	 * Since 2.0: PostgreSQL, a constraint or index whose definition is the
	 * desired one under another name: ALTER TABLE ... RENAME CONSTRAINT,
	 * ALTER INDEX ... RENAME TO. `object` is the new name.
	 */
	DBSYNC_OP_RENAME_CONSTRAINT,
	DBSYNC_OP_RENAME_INDEX
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
	/* Fields below: since 0.2. */
	/**
	 * Data-loss operations: how much data they touch, counted on the live
	 * database at plan time: rows of a dropped table, non-null values of a
	 * dropped column (or of a column whose values a change replaces), and for
	 * a SQLite rebuild the non-null values of every column it drops, added up
	 * (its `detail` gives each column's share). Pending and skipped operations
	 * are counted; -1 when not counted (refused, other risks, or counting off).
	 */
	int64_t affected;
	int attempts;             /**< times apply ran it (retries included); 0 before apply */
	double elapsed_ms;        /**< wall time of its last attempt, 0 before apply */
	const char *error;        /**< last error when FAILED (or after a retried failure), else NULL */
	char error_sqlstate[6];   /**< SQLSTATE of `error`, "" when none */
	int error_native;         /**< backend error number of `error`, 0 when none */
	/**
	 * `affected` is the catalog's estimate of the rows of the table
	 * (count_data_loss DBSYNC_COUNT_ESTIMATE: for a column, an upper bound
	 * of its values), not a count; 0 when counted or not known.
	 */
	int affected_estimated;
	/**
	 * A pre-flight count this operation was planned on did not run: a
	 * read-only check (count_data_loss DBSYNC_COUNT_ESTIMATE) reads no table,
	 * so it planned from the catalog's row estimate of the table (none: as
	 * for an empty table), and as if the values a change would break (NULLs,
	 * duplicates, failed checks, orphans, lost values) were none. The apply
	 * counts first; 0 when counted.
	 */
	int unprobed;
	/**
	 * Since 2.0: RENAME_TABLE, 1 when the live and desired names are
	 * spellings of one name that differ only in letter case (a case fix, or
	 * a refused conflict between such spellings), by the connection's rule
	 * for table names; 0 for a rename from an old name and for every other
	 * kind. Callers ask this instead of comparing the names themselves.
	 */
	int case_fix;
} dbsync_op;

/** What kind of object the desired schema could not declare (see docs/unmanaged.md). */
typedef enum dbsync_unmanaged_kind {
	DBSYNC_UNMANAGED_INDEX = 1,      /**< an index of a kind a desired schema does not declare (FULLTEXT, SPATIAL, prefix, other methods) */
	DBSYNC_UNMANAGED_COLLATION,      /**< a column collation the desired column does not name */
	DBSYNC_UNMANAGED_VIRTUAL_TABLE,  /**< SQLite: a virtual table (FTS5, R*Tree, ...) */
	DBSYNC_UNMANAGED_SHADOW_TABLE,   /**< SQLite: a table that stores a virtual table's data */
	DBSYNC_UNMANAGED_TRIGGER         /**< a trigger on a desired table */
} dbsync_unmanaged_kind;

/**
 * An object in the live database that the desired schema could not declare,
 * found while planning: kept and listed, or (drop_unmanaged) removed by an
 * operation of the plan. Everything it points to belongs to the plan.
 */
typedef struct dbsync_unmanaged {
	dbsync_unmanaged_kind kind;
	const char *table;    /**< the table it belongs to (a virtual or shadow table: its own name) */
	const char *object;   /**< index, trigger or column name; NULL for a table */
	const char *detail;   /**< what it is, for people: "FULLTEXT (title, body)", "COLLATE \"C\"", "fts5" */
	int dropped;          /**< 1 when an operation of the plan removes it (drop_unmanaged) */
} dbsync_unmanaged;

/**
 * Options for dbsync_plan_compute. Initialize with dbsync_plan_options_init
 * (or DBSYNC_PLAN_OPTIONS_INIT). `version` is the layout the caller was built
 * with: the library accepts every version from 1 to its own, and a field that
 * came after the caller's version takes its default.
 */
typedef struct dbsync_plan_options {
	unsigned int version;
	int create_tables;      /**< create missing tables (default 1) */
	int add_columns;        /**< add missing columns (default 1) */
	int drop_columns;       /**< drop columns the desired table lacks (default 0: skipped) */
	int alter_columns;      /**< change type/null/default (default 1) */
	int sync_indexes;       /**< add/drop indexes and constraints (default 1) */
	/**
	 * Optional JSON about the desired tables that DDL cannot say: for each
	 * column, the value that fills existing rows when it becomes NOT NULL on
	 * a table with rows, and the names its declaring code gives the table and
	 * column (for messages and fills). Its format is in dbsync/django.h; NULL
	 * fills nothing (such a change is REFUSED with the count).
	 */
	const char *metadata_json;
	/* Since version 2. */
	/**
	 * A desired table missing from the database while a live table has the
	 * same name in another letter case (`abcd` wanted, `ABCD` present): rename
	 * it to the desired case, keeping its rows (default 1). When 0 the rename
	 * is planned as SKIPPED (its SQL shown) unless the live name is listed in
	 * `approved_renames`; where table names are exact (PostgreSQL, MySQL with
	 * lower_case_table_names=0) the table's other operations are then SKIPPED
	 * too, as they would name a table that does not exist. When both
	 * spellings exist live (`publisher` and `Publisher`), nothing is renamed:
	 * a REFUSED rename names the conflict. Where the server compares names
	 * ignoring case (SQLite, lower_case_table_names=2) the rename takes two
	 * statements through a free temporary name; with lower_case_table_names=1
	 * the case of a name means nothing and no rename is planned.
	 * A RENAME_TABLE operation's `table` is the live name, `object` the new one.
	 */
	int auto_fix_table_case;
	/**
	 * A desired table missing (in any letter case) while exactly one live
	 * table that no desired table owns clearly is its old name: the same
	 * columns (names, types, NULL), and a related name: the same prefix with
	 * another rest (`shop_book` -> `shop_novel`) or the same rest under
	 * another prefix (`store_book` -> `shop_book`), the prefix being the
	 * metadata's "model" up to its '.' when the table name starts with that
	 * and a '_' (dbsync/django.h), else the text before the first '_';
	 * claimed by no other missing table. Rename it instead of creating
	 * an empty table (default 0). When 0 the rename is planned as SKIPPED,
	 * its SQL shown as a suggestion, and the table is created as usual.
	 */
	int auto_rename_tables;
	/** Live table names whose rename (case fix or old-name rename) the user approved. */
	const char *const *approved_renames;
	size_t n_approved_renames;
	/**
	 * Live tables to drop (orphans the caller chose): DROP_TABLE operations,
	 * risk DATA_LOSS, PENDING, ordered so that a table is dropped before any
	 * table it references. A name that is not a live table plans nothing
	 * (it is already gone: that is also how verify sees it after the drop);
	 * a name the desired schema has is DBSYNC_EINVALID. A drop that would
	 * leave a kept table's foreign key dangling is REFUSED, naming the key.
	 */
	const char *const *drop_tables;
	size_t n_drop_tables;
	/**
	 * Count the data each data-loss operation touches (dbsync_op.affected):
	 * DBSYNC_COUNT_EXACT (1, the default) runs one COUNT query per dropped
	 * table or column, data reads that do not add to
	 * dbsync_conn_catalog_queries; DBSYNC_COUNT_ESTIMATE reads the catalog's
	 * row estimates instead (a fixed number of catalog queries, no table
	 * read: for read-only checks), marking each dbsync_op.affected_estimated,
	 * and then the pre-flight count "is the table empty?" (a NOT NULL column
	 * without a default) reads the estimate too and the counts of the values
	 * a change would break do not run, marking dbsync_op.unprobed;
	 * DBSYNC_COUNT_OFF (0) counts nothing. Any other non-zero value is EXACT.
	 */
	int count_data_loss;
	/* Since version 3. */
	/**
	 * What the desired schema could not declare (see dbsync_unmanaged) is
	 * kept by default (0): the plan leaves it alone and lists it. 1 removes it
	 * like any other difference (an index the desired table lacks is dropped,
	 * a collation the desired column does not name is reset), each such
	 * operation risk DATA_LOSS so it needs the same approval as other
	 * destructive changes. Virtual tables and their shadow tables are never
	 * dropped or replaced either way.
	 */
	int drop_unmanaged;
	/* Since version 4. */
	/**
	 * Keep indexes, constraints and foreign keys the desired schema does not
	 * have: their drops are planned as SKIPPED, SQL shown (default 0: they
	 * are dropped when sync_indexes is on). A drop making way for a desired
	 * object of the same name still runs.
	 */
	int keep_extra_indexes;
} dbsync_plan_options;

#define DBSYNC_PLAN_OPTIONS_VERSION 4
#define DBSYNC_PLAN_OPTIONS_INIT { DBSYNC_PLAN_OPTIONS_VERSION, 1, 1, 0, 1, 1, NULL, \
	1, 0, NULL, 0, NULL, 0, 1, 0, 0 }

/**
 * Fill `*opts` with the defaults of layout `version` (1 to
 * DBSYNC_PLAN_OPTIONS_VERSION; pass DBSYNC_PLAN_OPTIONS_VERSION) and set its
 * version. Writes nothing past that version's last field, so a caller built
 * against an older header is safe with a newer library. Returns 0, or
 * DBSYNC_EINVALID for NULL or an unknown version.
 */
DBSYNC_EXTERN(int) dbsync_plan_options_init(dbsync_plan_options *opts, unsigned int version);

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

/** Number of unmanaged objects the plan found (kept or dropped). */
DBSYNC_EXTERN(size_t) dbsync_plan_unmanaged_count(const dbsync_plan *plan);

/** Unmanaged object `i`, in table order, or NULL when out of range. */
DBSYNC_EXTERN(const dbsync_unmanaged *) dbsync_plan_unmanaged(const dbsync_plan *plan, size_t i);

/** Name of an unmanaged kind ("index", "collation", "virtual_table", "shadow_table", "trigger"). */
DBSYNC_EXTERN(const char *) dbsync_unmanaged_kind_name(dbsync_unmanaged_kind kind);

/**
 * A value the plan waits for (since 0.3): a NOT NULL column added to a table
 * with rows, or made NOT NULL while it holds NULLs, whose default the caller
 * computes only when applying (the metadata says the column has a default
 * without giving it). Strings belong to the plan; model and field are NULL
 * when the metadata does not name them.
 */
typedef struct dbsync_fill {
	const char *table;    /**< the desired table */
	const char *column;
	const char *model;    /**< the metadata's name for the table's declaring code, or NULL */
	const char *field;    /**< the metadata's name for the column, or NULL */
} dbsync_fill;

/**
 * Number of fills the plan waits for. While it is not 0, dbsync_plan_apply
 * refuses the plan (DBSYNC_EINVALID, naming the fields): plan again with each
 * value as the column's "default" in the metadata.
 */
DBSYNC_EXTERN(size_t) dbsync_plan_fill_count(const dbsync_plan *plan);

/** Fill `i`, or NULL when out of range. */
DBSYNC_EXTERN(const dbsync_fill *) dbsync_plan_fill(const dbsync_plan *plan, size_t i);

/** Number of operations with status PENDING. */
DBSYNC_EXTERN(size_t) dbsync_plan_pending_count(const dbsync_plan *plan);

/**
 * The exact SQL script applying the plan would run, framing included
 * (transaction, SQLite's foreign key pragmas, locks), each statement ending in
 * ';' and a newline. Empty when nothing is pending. Caller frees with dbsync_free.
 */
DBSYNC_EXTERN(int) dbsync_plan_script(char **out, dbsync_ctx *ctx, const dbsync_plan *plan);

/**
 * Called by dbsync_plan_apply before (`done` == index of `op`, finished == 0)
 * and after (`done` == index + 1, finished == 1) each pending operation,
 * `total` being the number of pending operations. When a transaction is
 * retried, the calls start again from 0. It must not call back into the engine
 * with the same connection. A nonzero return asks apply to stop before the
 * next operation (as a failure: DBSYNC_ERROR "cancelled"; rolled back where
 * DDL is transactional, never retried).
 */
typedef int (*dbsync_progress_fn)(void *user, size_t done, size_t total, const dbsync_op *op,
	int finished);

/**
 * Options for dbsync_plan_apply. Initialize with dbsync_apply_options_init (or
 * DBSYNC_APPLY_OPTIONS_INIT); every version from 1 to the library's own is
 * accepted, as for dbsync_plan_options.
 */
typedef struct dbsync_apply_options {
	unsigned int version;
	int verify;   /**< read the catalog again afterwards and fail on any difference (default 1) */
	/* Since version 2. */
	/**
	 * Retries of transient failures (deadlock, lock wait timeout, serialization
	 * failure, lost connection after reconnecting, SQLITE_BUSY), told apart by
	 * SQLSTATE / error number only. 0: no retry (default). Where the plan runs
	 * in one transaction, the whole transaction is retried; where DDL commits
	 * per statement (MySQL), the failed statement is.
	 */
	int max_retries;
	unsigned int retry_base_ms;   /**< first backoff delay, doubled each time, with jitter (default 200) */
	unsigned int retry_max_ms;    /**< cap of one delay (default 5000) */
	dbsync_progress_fn progress;  /**< optional */
	void *progress_user;
	/* Since version 3. */
	/**
	 * How long one statement of the plan may wait for a lock another session
	 * holds before it fails as a transient error (and is retried when
	 * max_retries allows), so a DDL does not queue forever behind an
	 * application's transaction. PostgreSQL: SET LOCAL lock_timeout;
	 * MySQL: the session's lock_wait_timeout, in whole seconds rounded up and
	 * restored afterwards; SQLite: the busy timeout. 0 leaves the server's or
	 * connection's own setting (default 5000).
	 */
	unsigned int lock_timeout_ms;
} dbsync_apply_options;

#define DBSYNC_APPLY_OPTIONS_VERSION 3
#define DBSYNC_APPLY_OPTIONS_INIT { DBSYNC_APPLY_OPTIONS_VERSION, 1, 0, 200, 5000, NULL, NULL, 5000 }

/** The defaults of layout `version` (1 to DBSYNC_APPLY_OPTIONS_VERSION), as dbsync_plan_options_init. */
DBSYNC_EXTERN(int) dbsync_apply_options_init(dbsync_apply_options *opts, unsigned int version);

/**
 * 1 if an error with this SQLSTATE / native code of `dialect` is transient
 * (worth a retry), else 0: deadlock (40P01; MySQL 1213), lock not available /
 * lock wait timeout (55P03; MySQL 1205), serialization failure (40001), a lost
 * connection (class 08; MySQL 2006, 2013), SQLITE_BUSY and SQLITE_LOCKED (the
 * primary code of the extended result code). `sqlstate` may be NULL or "".
 * Never decided from message text.
 */
DBSYNC_EXTERN(int) dbsync_error_is_transient(dbsync_dialect dialect, const char *sqlstate,
	int native_code);

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
