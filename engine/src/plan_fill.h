/*
 * Filling existing rows when a column becomes NOT NULL: added NOT NULL to a
 * table with rows, or made NOT NULL while it holds NULLs. One rule for every
 * dialect: the rows take the field's default from the metadata; a default of
 * None, or none at all, is no fill and the change is refused with the count.
 * A field whose default the caller computes only when applying (metadata
 * "has_default" without "default") is a deferred fill: the plan lists it
 * (dbsync_plan_fill) and shows a placeholder that no database accepts.
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

/* The reason of a refused fill, in the plan arena (NULL on OOM):
 * `nulls` false: the column is added and `live_table` has `n` rows;
 * `nulls` true: the column is made NOT NULL and holds `n` NULLs. */
const char *dbs_fill_refusal(dbs_planner *p, const char *live_table, const char *table, const char *column,
	int64_t n, bool nulls);

/* " (field app.Model.f)" for refusals, "" when the metadata does not know it. */
const char *dbs_planner_field_ref(dbs_planner *p, const char *table, const char *column);

#endif
