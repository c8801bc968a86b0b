/*
 * Comparing a live schema with the desired one. The result is a list of
 * per-table records, each holding the changes that would make the live table
 * look like the desired one. Records point into both schemas (borrowed): keep
 * them alive while the diff is used. The planner turns changes into operations.
 */
#ifndef DBS_DIFF_H
#define DBS_DIFF_H

#include "arena.h"
#include "model.h"

typedef enum dbs_change_kind {
	DBS_CH_ADD_COLUMN = 1,    /* want_col missing from the live table */
	DBS_CH_DROP_COLUMN,       /* live_col has no desired counterpart */
	DBS_CH_ALTER_COLUMN,      /* both present; `col_diff` says what differs */
	DBS_CH_ADD_CONSTRAINT,    /* want_con has no live equal */
	DBS_CH_DROP_CONSTRAINT,   /* live_con has no desired equal */
	DBS_CH_ADD_INDEX,         /* want_ix missing (or redefined: `redefined`) */
	DBS_CH_DROP_INDEX,        /* live_ix not desired (or redefined) */
	DBS_CH_TABLE_OPTIONS,     /* WITHOUT ROWID / STRICT differ; MySQL: the default charset/collation */
	/* PostgreSQL: live_con / live_ix is want_con / want_ix under another name */
	DBS_CH_RENAME_CONSTRAINT,
	DBS_CH_RENAME_INDEX
} dbs_change_kind;

/* What differs between two columns of the same name (bit set). */
enum {
	DBS_COL_TYPE = 1u << 0,
	DBS_COL_NOT_NULL = 1u << 1,
	DBS_COL_DEFAULT = 1u << 2,
	DBS_COL_GENERATED = 1u << 3,
	DBS_COL_AUTOINCREMENT = 1u << 4,
	DBS_COL_COLLATION = 1u << 5,
	DBS_COL_IDENTITY = 1u << 6,       /* identity kind or its sequence options */
	DBS_COL_SEQUENCE = 1u << 7        /* the type of a serial's own sequence */
};

typedef struct dbs_change {
	dbs_change_kind kind;
	const dbs_column *live_col, *want_col;
	const dbs_constraint *live_con, *want_con;
	const dbs_index *live_ix, *want_ix;
	unsigned col_diff;        /* ALTER_COLUMN */
	bool redefined;           /* ADD_INDEX / DROP_INDEX: same name, other definition */
} dbs_change;

typedef struct dbs_table_diff {
	const dbs_table *want;
	const dbs_table *live;    /* NULL: the table is missing */
	DBS_VEC(dbs_change) changes;
} dbs_table_diff;

typedef struct dbs_diff {
	dbs_arena arena;
	dbsync_dialect dialect;
	/* only tables that are missing or differ, in the desired schema's order */
	DBS_VEC(dbs_table_diff *) tables;
	/* desired table name -> position in `tables`, for dbs_diff_find; code
	 * that removes records calls dbs_diff_reindex */
	dbs_name_index names;
} dbs_diff;

/* Compare every table of `want` with its live counterpart (dbs_name_eq, exact
 * spelling preferred). Live tables absent from `want` are not looked at.
 * `out` is initialized here; release it with dbs_diff_free even on error. */
int dbs_diff_schemas(dbs_diff *out, dbsync_ctx *ctx, const dbsync_schema *live, const dbsync_schema *want);
void dbs_diff_free(dbs_diff *d);

/* The record for a desired table, or NULL when it has no differences. Reads only. */
const dbs_table_diff *dbs_diff_find(const dbs_diff *d, const char *table);
/* Rebuild the name index after records were removed from d->tables.
 * Returns 0, or -1 when out of memory. */
int dbs_diff_reindex(dbs_diff *d);

/* "add_column", "alter_column", ... for tests and messages. */
const char *dbs_change_kind_name(dbs_change_kind k);

/* Column comparison alone: the DBS_COL_* bits that differ (0 when equal). */
unsigned dbs_column_diff(dbsync_dialect d, const dbs_table *live_t, const dbs_column *live,
	const dbs_table *want_t, const dbs_column *want);

/* Definition equality of two constraints (names only when both are named,
 * and never for PRIMARY KEY / FOREIGN KEY) and of two indexes (name excluded). */
bool dbs_constraint_equal(dbsync_dialect d, const dbs_constraint *a, const dbs_constraint *b);
bool dbs_index_equal(dbsync_dialect d, const dbs_index *a, const dbs_index *b);

/* True when `c` is the column of a rowid table's one-column INTEGER PRIMARY KEY
 * (SQLite: an alias of the rowid, never NULL, whatever its declaration says). */
bool dbs_is_rowid_alias(dbsync_dialect d, const dbs_table *t, const dbs_column *c);

/* Whether column `c` of `t` is AUTOINCREMENT, on the column or on its primary key. */
bool dbs_column_autoincrement(dbsync_dialect d, const dbs_table *t, const dbs_column *c);

#endif
