/*
 * Keeping extra indexes and constraints (dbsync_plan_options.keep_extra_indexes).
 *
 * With the option on, a drop of an index, constraint or foreign key that the
 * desired schema does not have at all is planned as SKIPPED, its DROP SQL
 * shown, as an extra column is without drop_columns. A drop that makes way
 * for an object of the same name (a redefinition, a key dropped around a
 * column's type change) still runs: the desired schema has that object.
 */
#include <string.h>

#include "plan_build.h"
#include "plan_internal.h"

static bool is_drop(dbsync_op_kind k)
{
	return k == DBSYNC_OP_DROP_INDEX || k == DBSYNC_OP_DROP_CONSTRAINT || k == DBSYNC_OP_DROP_FOREIGN_KEY;
}

static bool is_add(dbsync_op_kind k)
{
	return k == DBSYNC_OP_ADD_INDEX || k == DBSYNC_OP_ADD_CONSTRAINT || k == DBSYNC_OP_ADD_FOREIGN_KEY;
}

/* MySQL names its primary key PRIMARY; a desired one is often unnamed */
static bool same_object(const char *a, const char *b)
{
	if (!a || !b)
		return (!a || strcmp(a, "PRIMARY") == 0) && (!b || strcmp(b, "PRIMARY") == 0);
	return strcmp(a, b) == 0;
}

static bool added_again(const dbs_planner *p, const dbsync_op *drop)
{
	for (int s = 0; s < DBS_STAGE_COUNT; s++)
		for (size_t i = 0; i < p->stages[s].n; i++) {
			const dbsync_op *op = &p->stages[s].items[i]->op;
			if (is_add(op->kind) && op->table && drop->table && strcmp(op->table, drop->table) == 0 &&
			    same_object(op->object, drop->object))
				return true;
		}
	return false;
}

int dbs_plan_keep_extra(dbs_planner *p)
{
	if (!p->plan->opts.keep_extra_indexes)
		return 0;
	for (int s = 0; s < DBS_STAGE_COUNT; s++)
		for (size_t i = 0; i < p->stages[s].n; i++) {
			dbs_op_build *b = p->stages[s].items[i];
			if (!is_drop(b->op.kind) || b->op.status != DBSYNC_STATUS_PENDING || added_again(p, &b->op))
				continue;
			int rc = dbs_op_skip(p, b, "KEEP_EXTRA_INDEXES is on: the desired schema does not have it");
			if (rc)
				return rc;
		}
	return 0;
}
