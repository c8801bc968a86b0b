/*
 * Pre-flight probes in a read-only check. Before an apply the planners count
 * what existing rows would break, starting with "is the table empty?" (a NOT
 * NULL column without a default can be added to an empty table only). A check
 * (dbsync_plan_options.count_data_loss DBSYNC_COUNT_ESTIMATE) reads no table:
 * there the table's rows are the catalog's estimate and the operations that
 * depended on them are marked unprobed (dbsync_op.unprobed): the apply counts
 * first, whatever the check said.
 */
#ifndef DBS_PLAN_PROBE_H
#define DBS_PLAN_PROBE_H

#include <stdint.h>

#include "inspect_internal.h"
#include "plan_build.h"

/* The rows of live `table` for a pre-flight decision: one COUNT(*); in a check
 * the catalog's estimate instead, 0 where it has none (planned as for an empty
 * table, as a probe that finds nothing), and the table is noted as not probed. */
int dbs_probe_table_rows(dbs_planner *p, const char *table, int64_t *out);

/* The catalog's row estimates of the live tables, read once per plan in a
 * fixed number of catalog queries and kept in the plan's arena. */
int dbs_probe_estimates(dbs_planner *p, const dbs_insp **out);

/* After planning, in a check: mark the operations of the tables not probed
 * that the rows decide (adding or changing a column, a rebuild); a reason
 * quoting a number says it is the catalog's estimate. */
int dbs_probe_mark(dbs_planner *p);

#endif
