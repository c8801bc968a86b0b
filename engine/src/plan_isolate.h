/*
 * One table never aborts the whole plan: a table the engine could not read
 * (dbs_table.unreadable) or plan (an error of the database while planning
 * it, such as a permission it lacks) is skipped, with nothing done to it,
 * and named in the plan by a REFUSED SKIP_TABLE operation carrying the
 * error. The other tables are planned as usual.
 */
#ifndef DBS_PLAN_ISOLATE_H
#define DBS_PLAN_ISOLATE_H

#include "plan_build.h"

/* Take the desired tables whose live table is unreadable out of the diff,
 * each with its SKIP_TABLE operation. */
int dbs_plan_skip_unreadable(dbs_planner *p);

/* Plan the changes of one existing table with `fn`. When it fails with an
 * error of the database (DBSYNC_EDB), the operations it had planned are taken
 * back and the table is skipped; other errors end the plan as before. */
typedef int (*dbs_table_planner)(dbs_planner *p, const dbs_table_diff *td);
int dbs_plan_isolated(dbs_planner *p, const dbs_table_diff *td, dbs_table_planner fn);

#endif
