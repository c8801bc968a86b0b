/*
 * The planner's per-run index from a table to the operations planned on it
 * (see plan_build.h). Questions such as "does this run add column c of t?"
 * were answered by scanning a whole stage, so a run where many tables gain
 * indexed columns cost time quadratic in the tables; the index makes them
 * lookups. Operations are never removed from a table's list: what takes an
 * operation back from its stage marks it (dbs_planner_take_back), and the
 * readers skip what is marked.
 */
#include "plan_build.h"

#include <stdlib.h>

#include "ctx.h"

int dbs_planner_index_op(dbs_planner *p, dbs_op_build *b)
{
	if (!b->op.table)
		return 0;
	dbs_arena *a = &p->plan->arena;
	size_t at = dbs_name_index_find(&p->op_tables, p->plan->dialect, b->op.table);
	if (at == DBS_NAME_NONE) {
		dbs_table_ops *t = dbs_arena_alloc(a, sizeof *t);
		if (!t || DBS_VEC_PUSH(a, &p->table_ops, t))
			return -1;
		at = p->table_ops.n - 1;
		/* the first operation's copy of the name outlives the run */
		if (dbs_name_index_add(&p->op_tables, b->op.table, at)) {
			p->table_ops.n--;
			return -1;
		}
	}
	return DBS_VEC_PUSH(a, &p->table_ops.items[at]->ops, b);
}

const dbs_table_ops *dbs_planner_table_ops(const dbs_planner *p, const char *table)
{
	size_t at = dbs_name_index_find(&p->op_tables, p->plan->dialect, table);
	return at == DBS_NAME_NONE ? NULL : p->table_ops.items[at];
}

bool dbs_op_planned_in(const dbs_op_build *b, int stage)
{
	return b->stage == stage && !b->taken_back;
}

void dbs_planner_take_back(dbs_op_build *b)
{
	b->taken_back = true;
}

void dbs_planner_index_free(dbs_planner *p)
{
	dbs_name_index_clear(&p->op_tables);
}
