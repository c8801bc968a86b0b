/* State of planning one existing SQLite table, shared by plan_sqlite.c (what
 * changes and how) and plan_sqlite_rebuild.c (the table rebuild). */
#ifndef DBS_PLAN_SQLITE_H
#define DBS_PLAN_SQLITE_H

#include <stdint.h>

#include "plan_build.h"

typedef struct col_state {
	const dbs_column *want;   /* NULL: a live column no model has */
	const dbs_column *live;   /* NULL: a new column */
	bool include;             /* part of the table after the change */
	bool live_def;            /* keep the live definition (extra column, or altering is off) */
	bool keep_null;           /* NOT NULL refused: the column stays nullable */
	const char *fill;         /* SELECT expression: a literal for a new column, COALESCE(...) for NULLs */
	bool fill_deferred;       /* the fill waits for a value computed when applying (plan_fill.h) */
	bool simple_add;          /* ALTER TABLE ADD COLUMN can do it */
	bool drop;                /* an extra column being dropped */
	bool simple_drop;         /* ALTER TABLE DROP COLUMN can do it */
} col_state;

typedef struct table_plan {
	dbs_planner *p;
	const dbs_table_diff *td;
	const dbs_table *L, *W;   /* live, desired */
	col_state *cols;          /* desired columns in order, then live-only ones */
	size_t n_cols;
	int64_t rows;             /* -1 until counted */
	bool rebuild;
	bool drops_data;
	dbs_buf detail;           /* one line per change folded into a rebuild */
	size_t n_folded;
	dbs_buf sql;              /* scratch */
} table_plan;

/* The SQLite planner (dialect.h "plan"): missing tables, then the changes
 * of existing ones, then the refusals under kept foreign keys. */
int dbs_plan_sqlite(dbs_planner *p);
/* plan_sqlite_keys.c, after planning the tables: refuse, naming the foreign
 * key, the changes that take away a key a left-alone table references. */
int dbs_sqlite_refuse_under_kept_fks(dbs_planner *p);
/* dialect.h "default_fill": a rebuild copies the rows through SELECT, where
 * any default expression serves as the value. */
const char *dbs_sqlite_default_fill(dbs_arena *a, const char *expr, bool *oom);

/* plan_sqlite_rules.c: what ALTER TABLE can do in place, and change descriptions. */
bool dbs_sqlite_can_add_column(const table_plan *tp, const dbs_column *c);
bool dbs_sqlite_can_drop_column(table_plan *tp, const dbs_column *c);
bool dbs_sqlite_con_has_col(const dbs_constraint *k, const char *col);
/* Append a line to the rebuild's detail and count the change. */
int dbs_sqlite_note(table_plan *tp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dbs_sqlite_describe_col_diff(table_plan *tp, const dbs_column *lc, const dbs_column *wc, unsigned diff);
/* "UNIQUE (`a`, `b`)", ...; valid until the planner's scratch buffer is reused. */
const char *dbs_sqlite_describe_constraint(table_plan *tp, const dbs_constraint *k);

/* Emit the REBUILD_TABLE operation for `tp` (tp->rebuild is set). */
int dbs_sqlite_rebuild_op(table_plan *tp);
/* One change alone, for a SKIPPED operation's statements. */
typedef struct dbs_sqlite_single_change {
	const dbs_column *drop_col;                   /* live column dropped */
	const dbs_column *alter_live, *alter_want;    /* live column given its desired definition */
	const dbs_constraint *add_con, *drop_con;     /* desired constraint added / live one dropped */
	bool options;                                 /* desired WITHOUT ROWID / STRICT */
} dbs_sqlite_single_change;

/* Put on `op` the statements of a rebuild that makes only `one` change to the
 * live table: what a skipped change would run. */
int dbs_sqlite_hypothetical(table_plan *tp, dbs_op_build *op, const dbs_sqlite_single_change *one);

#endif
