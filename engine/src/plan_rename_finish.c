/*
 * Table renames, after the dialect planners (see plan_rename.h): holding the
 * operations of a table whose rename did not happen, and the dialect's
 * statements around renames in a plan that rebuilds tables (SQLite's
 * legacy_alter_table).
 */
#include <string.h>

#include "ctx.h"
#include "plan_rename.h"

static int hold_ops(dbs_planner *p)
{
	for (int s = 0; s < DBS_STAGE_COUNT; s++) {
		if (s == DBS_STAGE_RENAME)
			continue;
		for (size_t i = 0; i < p->stages[s].n; i++) {
			dbsync_op *op = &p->stages[s].items[i]->op;
			if (op->status != DBSYNC_STATUS_PENDING || !op->table)
				continue;
			for (size_t j = 0; j < p->held_tables.n; j++) {
				if (strcmp(op->table, p->held_tables.items[j]) != 0)
					continue;
				op->status = DBSYNC_STATUS_SKIPPED;
				int rc = dbs_op_reason(p, p->stages[s].items[i], "waits for the rename to `%s` (above), "
					"which is not applied", op->table);
				if (rc)
					return rc;
				break;
			}
		}
	}
	return 0;
}

/* Put `first` before and `last` after the statements of `b`. */
static int wrap_sql(dbs_planner *p, dbs_op_build *b, const char *first, const char *last)
{
	dbs_arena *a = &p->plan->arena;
	DBS_VEC(const char *) sql = { 0 };
	if (DBS_VEC_PUSH(a, &sql, first))
		return dbs_error_oom(p->ctx);
	for (size_t i = 0; i < b->sql.n; i++)
		if (DBS_VEC_PUSH(a, &sql, b->sql.items[i]))
			return dbs_error_oom(p->ctx);
	if (DBS_VEC_PUSH(a, &sql, last))
		return dbs_error_oom(p->ctx);
	b->sql.items = sql.items;
	b->sql.n = sql.n;
	b->sql.cap = sql.cap;
	b->op.sql = b->sql.items;
	b->op.n_sql = b->sql.n;
	return 0;
}

static bool pending_rebuild(const dbs_planner *p)
{
	for (int s = 0; s < DBS_STAGE_COUNT; s++)
		for (size_t i = 0; i < p->stages[s].n; i++) {
			const dbsync_op *op = &p->stages[s].items[i]->op;
			if (op->kind == DBSYNC_OP_REBUILD_TABLE && op->status == DBSYNC_STATUS_PENDING)
				return true;
		}
	return false;
}

int dbs_plan_renames_finish(dbs_planner *p)
{
	int rc;
	if (p->held_tables.n && (rc = hold_ops(p)))
		return rc;
	const dbs_dialect_info *info = dbs_dialect_info_for(p->want->dialect);
	if (!info->rename_beside_rebuild_before || !p->stages[DBS_STAGE_RENAME].n || !pending_rebuild(p))
		return 0;
	for (size_t i = 0; i < p->stages[DBS_STAGE_RENAME].n; i++) {
		dbs_op_build *b = p->stages[DBS_STAGE_RENAME].items[i];
		if (b->op.status == DBSYNC_STATUS_PENDING &&
		    (rc = wrap_sql(p, b, info->rename_beside_rebuild_before, info->rename_beside_rebuild_after)))
			return rc;
	}
	return 0;
}
