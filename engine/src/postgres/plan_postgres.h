/* What the PostgreSQL planner's files share (plan_postgres*.c). */
#ifndef DBS_PLAN_POSTGRES_H
#define DBS_PLAN_POSTGRES_H

#include <stdint.h>

#include "plan_build.h"
#include "plan_shared.h"

#define PG DBSYNC_DIALECT_POSTGRES

/* Planning one existing table. */
typedef struct pg_table {
	dbs_planner *p;
	const dbs_table_diff *td;
	const dbs_table *L, *W;      /* live, desired */
	int64_t rows;                /* -1 until counted */
	dbs_str_vec absent;          /* desired columns this plan does not add (skipped, refused) */
	dbs_str_vec added;           /* columns this plan adds */
	dbs_buf sql;                 /* scratch for statements */
} pg_table;

/* plan_postgres_columns.c: ADD / DROP / ALTER COLUMN of one table. */
int dbs_pg_plan_columns(pg_table *pt);

/* plan_postgres_checks.c: dialect.h "lossy_count_sql". */
bool dbs_pg_lossy_count_sql(dbs_buf *q, dbs_arena *a, const char *table, const char *column, dbs_narrowing n,
	const dbs_type *f, const dbs_type *t, const char **what);

/* plan_postgres_keys.c. The constraint, index and foreign key changes of
 * one existing table; adding one constraint (pt: its existing table, whose
 * rows are counted first, or NULL for a new table); the foreign keys whose
 * key changes type, dropped first and added back last. */
int dbs_pg_plan_keys(pg_table *pt);
int dbs_pg_add_constraint(dbs_planner *p, const pg_table *pt, const char *table, const dbs_constraint *k,
	bool skipped, const char *skip_reason);
int dbs_pg_rebuild_dependent_fks(dbs_planner *p);

/* The PostgreSQL planner (dialect.h "plan"): every change, missing tables
 * included. */
int dbs_plan_postgres(dbs_planner *p);
/* dialect.h "default_fill": UPDATE ... SET c = DEFAULT runs after the
 * column's new default is set, in the same transaction. */
const char *dbs_pg_default_fill(dbs_arena *a, const char *expr, bool *oom);

/* plan_postgres.c helpers the other files use. An operation on the table. */
dbs_op_build *dbs_pg_op(pg_table *pt, int stage, dbsync_op_kind kind, dbsync_risk risk, const char *object);
/* Take op out of its stage again (it stays in the arena, unused). */
void dbs_pg_forget_op(dbs_planner *p, int stage, dbs_op_build *op);
/* Rows of the table, counted once. */
int dbs_pg_count_rows(pg_table *pt, int64_t *out);
/* Append pt->sql as a statement of op, and clear it. */
int dbs_pg_put(pg_table *pt, dbs_op_build *op);
/* "ALTER TABLE "t" " into pt->sql (cleared first). */
void dbs_pg_alter_prefix(pg_table *pt);
bool dbs_pg_has_name(const dbs_str_vec *v, const char *name);

/* What the statements are written from. The diff compares the server's
 * spelling (normalize_desired), but an expression the server printed does
 * not always print the same way when run again (casts inside ARRAY[...]), so
 * new defaults, generated columns, checks, predicates and index expressions
 * are written as the desired DDL wrote them, which the shadow schema proved
 * the server reads as the compared form. Types and names stay the server's
 * (the names it gave unnamed constraints in the shadow schema included).
 * Each gives `w` itself when the parsed schema has no counterpart. */
dbs_column dbs_pg_source_column(const dbs_planner *p, const char *table, const dbs_column *w);
dbs_constraint dbs_pg_source_constraint(const dbs_planner *p, const char *table, const dbs_constraint *w);
const dbs_index *dbs_pg_source_index(const dbs_planner *p, const char *table, const dbs_index *w);

#endif
