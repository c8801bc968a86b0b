/*
 * What the dialect planners (plan_<dialect>.c) share with plan.c: the state of
 * one dbsync_plan_compute call and helpers that append operations to a stage.
 * Stages fix the execution order: foreign key drops, index and constraint
 * drops, table creations, table changes, constraint and index creations,
 * foreign key creations, comments.
 */
#ifndef DBS_PLAN_BUILD_H
#define DBS_PLAN_BUILD_H

#include <stdarg.h>

#include "backend.h"
#include "buf.h"
#include "diff.h"
#include "metadata.h"
#include "names.h"
#include "plan_internal.h"

enum {
	DBS_STAGE_RENAME,              /* renames: table renames (case fixes, old names) before anything names the table */
	DBS_STAGE_DROP_FK,             /* PostgreSQL: foreign keys go before what they reference changes */
	DBS_STAGE_DROP_INDEX,
	DBS_STAGE_RENAME_KEYS,         /* PostgreSQL: constraints and indexes renamed, once dropped ones free their names */
	DBS_STAGE_CREATE_TABLE,
	DBS_STAGE_ALTER,
	DBS_STAGE_ADD_INDEX,
	DBS_STAGE_ADD_FK,              /* PostgreSQL: after every table and key they need exists */
	DBS_STAGE_COMMENT,
	DBS_STAGE_COUNT
};

typedef struct dbs_op_build {
	dbsync_op op;                  /* first: the plan holds &build->op */
	DBS_VEC(const char *) sql;
	/* MySQL: the constraint an addition adds (an unnamed one has no object
	 * name to find it by); NULL for other operations */
	const dbs_constraint *key;
	int stage;                     /* the stage whose list holds it */
	bool taken_back;               /* removed from its stage (dbs_planner_take_back) */
} dbs_op_build;

/* Every operation planned on one table this run, in planning order, including
 * those taken back (dbs_op_planned_in tells them apart). */
typedef struct dbs_table_ops {
	DBS_VEC(dbs_op_build *) ops;
} dbs_table_ops;

typedef struct dbs_planner {
	dbsync_plan *plan;
	dbsync_ctx *ctx;
	dbsync_conn *conn;
	dbsync_schema *live;
	const dbsync_schema *want;     /* what the diff compares with: the server-normalized desired
	                                * schema where the backend has normalize_desired */
	dbs_diff diff;
	dbs_metadata *md;
	DBS_VEC(dbs_op_build *) stages[DBS_STAGE_COUNT];
	dbs_buf tmp;                   /* scratch for labels */
	/* renames (plan_rename.c): desired tables whose operations wait for a rename
	 * that is declined or refused; their operations are skipped after planning */
	dbs_str_vec held_tables;
	/* plan_unmanaged.c: the desired schema with what no model could declare
	 * kept from the live one (p->want points to it when it differs); owned */
	dbsync_schema *kept;
	/* plan_probe.c: a read-only check's row estimates and the tables whose
	 * pre-flight counts it did not run; NULL until asked, in the plan's arena */
	struct dbs_probe_state *probe;
	/* plan_ops.c: table name -> position in table_ops; kept by dbs_planner_op */
	dbs_name_index op_tables;
	DBS_VEC(dbs_table_ops *) table_ops;
} dbs_planner;

/* A new operation at the end of `stage`, status PENDING; NULL on OOM. `table`
 * and `object` are copied into the plan. */
dbs_op_build *dbs_planner_op(dbs_planner *p, int stage, dbsync_op_kind kind, dbsync_risk risk,
	const char *table, const char *object);
/* plan_ops.c: the operations planned on `table` (under the dialect's name
 * comparison), NULL when none; whether one is still in a stage is
 * dbs_op_planned_in. Lookups cost the same however many tables the run has. */
const dbs_table_ops *dbs_planner_table_ops(const dbs_planner *p, const char *table);
bool dbs_op_planned_in(const dbs_op_build *b, int stage);
/* Record b under its table (dbs_planner_op does); 0, or -1 when out of memory. */
int dbs_planner_index_op(dbs_planner *p, dbs_op_build *b);
/* Whoever removes an operation from its stage's list marks it here. */
void dbs_planner_take_back(dbs_op_build *b);
void dbs_planner_index_free(dbs_planner *p);
/* Append a statement (copied). */
int dbs_op_sql(dbs_planner *p, dbs_op_build *op, const char *sql);
int dbs_op_summary(dbs_planner *p, dbs_op_build *op, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int dbs_op_detail(dbs_planner *p, dbs_op_build *op, const char *text);
int dbs_op_reason(dbs_planner *p, dbs_op_build *op, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Mark skipped with a reason. */
int dbs_op_skip(dbs_planner *p, dbs_op_build *op, const char *reason);

/* " (app.Model.field, Class)" or " (app.Model)" or "" for summaries. */
const char *dbs_planner_label(dbs_planner *p, const char *table, const char *column);

/* CREATE_TABLE operations for every missing desired table, referenced tables first. */
int dbs_plan_create_tables(dbs_planner *p);

/* keep_extra_indexes: drops of indexes and constraints the desired schema
 * does not have become SKIPPED (plan_keep.c). */
int dbs_plan_keep_extra(dbs_planner *p);

#endif
