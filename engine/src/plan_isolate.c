/*
 * Skipping one table instead of failing the whole plan (see plan_isolate.h).
 */
#include "plan_isolate.h"

#include <stdlib.h>
#include <string.h>

#include "ctx.h"

static int skip_table(dbs_planner *p, const char *table, const char *what, const char *error)
{
	dbs_op_build *op = dbs_planner_op(p, DBS_STAGE_ALTER, DBSYNC_OP_SKIP_TABLE, DBSYNC_RISK_SAFE, table, NULL);
	if (!op)
		return dbs_error_oom(p->ctx);
	op->op.status = DBSYNC_STATUS_REFUSED;
	int rc = dbs_op_summary(p, op, "skip table `%s`%s", table, dbs_planner_label(p, table, NULL));
	return rc ? rc : dbs_op_reason(p, op, "%s: %s; nothing is done to it", what, error);
}

int dbs_plan_skip_unreadable(dbs_planner *p)
{
	/* every desired table whose live table is unreadable is named, whether or
	 * not the diff (from what could be read of it) sees a difference */
	for (size_t i = 0; i < p->want->tables.n; i++) {
		const dbs_table *L = dbs_schema_find_table(p->live, p->want->tables.items[i]->name);
		if (!L || !L->unreadable)
			continue;
		int rc = skip_table(p, L->name, "the engine cannot read this table", L->unreadable);
		if (rc)
			return rc;
	}
	size_t keep = 0;
	for (size_t i = 0; i < p->diff.tables.n; i++) {
		dbs_table_diff *td = p->diff.tables.items[i];
		if (!td->live || !td->live->unreadable)
			p->diff.tables.items[keep++] = td;
	}
	p->diff.tables.n = keep;
	return dbs_diff_reindex(&p->diff) ? dbs_error_oom(p->ctx) : 0;
}

int dbs_plan_isolated(dbs_planner *p, const dbs_table_diff *td, dbs_table_planner fn)
{
	size_t before[DBS_STAGE_COUNT];
	for (int s = 0; s < DBS_STAGE_COUNT; s++)
		before[s] = p->stages[s].n;
	size_t fills = p->plan->fills.n;
	int rc = fn(p, td);
	if (rc != DBSYNC_EDB)
		return rc;
	/* the operations stay in the arena, unreachable: taking them back is enough */
	for (int s = 0; s < DBS_STAGE_COUNT; s++) {
		for (size_t i = before[s]; i < p->stages[s].n; i++)
			dbs_planner_take_back(p->stages[s].items[i]);
		p->stages[s].n = before[s];
	}
	p->plan->fills.n = fills;
	char *error = strdup(dbsync_ctx_error(p->ctx)->message ? dbsync_ctx_error(p->ctx)->message : "?");
	if (!error)
		return dbs_error_oom(p->ctx);
	dbsync_ctx_clear_error(p->ctx);
	rc = skip_table(p, td->live->name, "planning this table failed", error);
	free(error);
	return rc;
}
