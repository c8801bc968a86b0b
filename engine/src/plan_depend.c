/*
 * Operations over a column this run does not add (see plan_depend.h).
 */
#include "plan_depend.h"

#include "ctx.h"
#include "dialect.h"

dbsync_op_status dbs_column_add_status(dbs_planner *p, const char *table, const char *column)
{
	dbsync_dialect d = p->plan->dialect;
	dbsync_op_status status = DBSYNC_STATUS_SKIPPED;
	const dbs_table_ops *t = dbs_planner_table_ops(p, table);
	for (size_t i = 0; t && i < t->ops.n; i++) {
		const dbsync_op *op = &t->ops.items[i]->op;
		if (!dbs_op_planned_in(t->ops.items[i], DBS_STAGE_ALTER) || op->kind != DBSYNC_OP_ADD_COLUMN ||
		    !op->object || !dbs_name_eq(d, op->table, table) || !dbs_name_eq(d, op->object, column))
			continue;
		if (op->status == DBSYNC_STATUS_PENDING)
			return DBSYNC_STATUS_PENDING;
		if (op->status == DBSYNC_STATUS_REFUSED)
			status = DBSYNC_STATUS_REFUSED;
	}
	return status;
}

int dbs_plan_dependent(dbs_planner *p, int stage, dbsync_op_kind kind, const char *table, const char *object,
	const char *what, const char *column)
{
	bool refused = dbs_column_add_status(p, table, column) == DBSYNC_STATUS_REFUSED;
	dbs_op_build *op = dbs_planner_op(p, stage, kind, DBSYNC_RISK_SAFE, table, object);
	if (!op || !what)
		return dbs_error_oom(p->ctx);
	int rc = dbs_op_summary(p, op, "add %s to `%s`", what, table);
	if (rc)
		return rc;
	if (refused) {
		op->op.status = DBSYNC_STATUS_REFUSED;
		return dbs_op_reason(p, op, "it is over column \"%s\" of \"%s\", whose addition is refused", column,
			table);
	}
	if ((rc = dbs_op_skip(p, op, "")))
		return rc;
	return dbs_op_reason(p, op, "column \"%s\" of \"%s\" is not added by this run", column, table);
}
