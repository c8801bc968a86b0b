/*
 * Filling existing rows when a column becomes NOT NULL: added NOT NULL to a
 * table with rows, or made NOT NULL while it holds NULLs. One rule for every
 * dialect: a column the database fills itself needs nothing (a default, a
 * generated expression, an identity, AUTO_INCREMENT, a rowid alias); the
 * NULLs of a column made NOT NULL take its own default where the dialect can
 * write it as the value; otherwise the rows take the field's default from the
 * metadata; a default of None, or none at all, is no fill and the change is
 * refused with the count. A field whose default the caller computes only
 * when applying (metadata "has_default" without "default") is a deferred
 * fill: the plan lists it (dbsync_plan_fill) and shows a placeholder that no
 * database accepts.
 */
#ifndef DBS_PLAN_FILL_H
#define DBS_PLAN_FILL_H

#include <stdint.h>

#include "plan_build.h"

typedef enum dbs_fill_kind {
	DBS_FILL_NONE = 0,   /* no usable default: refuse (dbs_fill_refusal) */
	DBS_FILL_VALUE,      /* *out is a SQL literal of the plan's dialect */
	DBS_FILL_DEFERRED    /* *out is a placeholder; the fill is listed on the plan */
} dbs_fill_kind;

/* The fill of `column` of desired table `table`. Call it only when rows need
 * one (the table has rows, or the column has NULLs). *out lives in the plan
 * arena. Returns 0 or an error code (set on the context). */
int dbs_fill_for(dbs_planner *p, const char *table, const char *column, dbs_fill_kind *kind,
	const char **out);

/* The one rule for a NOT NULL column without a usable default, on every
 * dialect. A column added NOT NULL to a table with rows needs a fill unless
 * the database gives every row a value itself: a default, a generated
 * expression, an identity, AUTO_INCREMENT, a rowid alias. */
bool dbs_column_needs_fill(dbsync_dialect d, const dbs_table *t, const dbs_column *c);
/* A column made NOT NULL has NULLs to fill unless its values are computed
 * (generated) or it never holds NULL (a rowid alias). */
bool dbs_column_nulls_to_fill(dbsync_dialect d, const dbs_table *t, const dbs_column *c);
/* The value for its rows holding NULL: the column's own default where the
 * dialect can write it as the value (dialect.h default_fill), else the
 * field's default (dbs_fill_for); DBS_FILL_NONE is refused with the count. */
int dbs_not_null_fill(dbs_planner *p, const char *table, const dbs_column *c, dbs_fill_kind *kind,
	const char **out);

/* The reason of a refused fill, in the plan arena (NULL on OOM):
 * `nulls` false: the column is added and `live_table` has `n` rows;
 * `nulls` true: the column is made NOT NULL and holds `n` NULLs. */
const char *dbs_fill_refusal(dbs_planner *p, const char *live_table, const char *table, const char *column,
	int64_t n, bool nulls);

#endif
