/* Dropping orphaned tables the caller chose (dbsync_plan_options.drop_tables). */
#ifndef DBS_PLAN_DROP_H
#define DBS_PLAN_DROP_H

#include "plan_build.h"

/* DROP_TABLE operations for p->plan->opts.drop_tables, risk DATA_LOSS, in the
 * order that drops a table before the tables it references. A drop that would
 * leave a kept table's foreign key dangling is REFUSED naming that key. */
int dbs_plan_drop_tables(dbs_planner *p);

#endif
