/*
 * A refused change takes what depends on it along: an index, constraint or
 * foreign key over a desired column that this run does not add shares the
 * column's fate (REFUSED when its addition is refused, SKIPPED when it is
 * skipped), named in the plan, instead of failing at apply or vanishing from
 * the plan. One rule for every dialect's planner.
 */
#ifndef DBS_PLAN_DEPEND_H
#define DBS_PLAN_DEPEND_H

#include "plan_build.h"

/* The fate of desired column `column` of live table `table`, which the live
 * table lacks: the status of the ADD_COLUMN operation planned so far for it
 * (PENDING when it is added), SKIPPED when none is planned. */
dbsync_op_status dbs_column_add_status(dbs_planner *p, const char *table, const char *column);

/* Plan the `kind` operation on `object` ("add <what> to `table`") with the fate
 * of `column`, which this run does not add, and a reason naming the column. */
int dbs_plan_dependent(dbs_planner *p, int stage, dbsync_op_kind kind, const char *table, const char *object,
	const char *what, const char *column);

#endif
