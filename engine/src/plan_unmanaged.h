/* What the models don't say is left alone: see plan_unmanaged.c and docs/unmanaged.md. */
#ifndef DBS_PLAN_UNMANAGED_H
#define DBS_PLAN_UNMANAGED_H

#include "plan_build.h"

/* Before the diff: list what the live database holds that no model could
 * declare, and (unless drop_unmanaged) make p->want an overlay that keeps it.
 * The overlay is p->kept, freed with the planner. */
int dbs_plan_unmanaged(dbs_planner *p);

/* After the stages are collected and counted: the operations that remove an
 * unmanaged object (drop_unmanaged) become DATA_LOSS. */
int dbs_plan_unmanaged_risks(dbs_planner *p);

#endif
