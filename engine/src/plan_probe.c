/*
 * Pre-flight probes in a read-only check (see plan_probe.h). Counting the rows
 * of a table reads all of it; a check must only look, so it plans from the
 * catalog's estimate and says which operations an apply would count first.
 */
#include <string.h>

#include "ctx.h"
#include "plan_probe.h"

/* Per plan, in the plan's arena: the estimates once read, and the tables whose
 * row count a check did not run. */
typedef struct dbs_probe_state {
	bool read;
	dbs_insp estimates;   /* rows only, strings in the plan's arena; never freed on its own */
	dbs_str_vec unprobed;
} dbs_probe_state;

static dbs_probe_state *state(dbs_planner *p)
{
	if (!p->probe)
		p->probe = dbs_arena_alloc(&p->plan->arena, sizeof *p->probe);
	return p->probe;
}

int dbs_probe_estimates(dbs_planner *p, const dbs_insp **out)
{
	dbs_probe_state *st = state(p);
	if (!st)
		return dbs_error_oom(p->ctx);
	if (!st->read) {
		dbs_insp in;
		int rc = dbs_insp_read(&in, p->ctx, p->conn, p->live, DBS_INSP_ROWS);
		for (size_t i = 0; !rc && i < in.rows.n; i++) {
			dbs_insp_num n = { dbs_arena_strdup(&p->plan->arena, in.rows.items[i].table), in.rows.items[i].n };
			if (!n.table || DBS_VEC_PUSH(&p->plan->arena, &st->estimates.rows, n))
				rc = dbs_error_oom(p->ctx);
		}
		dbs_insp_free(&in);
		if (rc)
			return rc;
		st->read = true;
	}
	*out = &st->estimates;
	return 0;
}

static bool noted(const dbs_probe_state *st, dbsync_dialect d, const char *table)
{
	for (size_t i = 0; i < st->unprobed.n; i++)
		if (dbs_name_eq(d, st->unprobed.items[i], table))
			return true;
	return false;
}

int dbs_probe_table_rows(dbs_planner *p, const char *table, int64_t *out)
{
	if (p->plan->opts.count_data_loss != DBSYNC_COUNT_ESTIMATE)
		return dbsync_conn_count_rows(out, p->ctx, p->conn, table);
	const dbs_insp *est;
	int rc = dbs_probe_estimates(p, &est);
	if (rc)
		return rc;
	int64_t n = dbs_insp_rows(est, p->conn->dialect, table);
	*out = n < 0 ? 0 : n;
	dbs_probe_state *st = p->probe;
	if (!noted(st, p->conn->dialect, table)) {
		const char *copy = dbs_arena_strdup(&p->plan->arena, table);
		if (!copy || DBS_VEC_PUSH(&p->plan->arena, &st->unprobed, copy))
			return dbs_error_oom(p->ctx);
	}
	return 0;
}

/* The operations whose planning asked whether their table is empty. */
static bool decided_by_rows(dbsync_op_kind kind)
{
	return kind == DBSYNC_OP_ADD_COLUMN || kind == DBSYNC_OP_ALTER_COLUMN || kind == DBSYNC_OP_REBUILD_TABLE;
}

int dbs_probe_mark(dbs_planner *p)
{
	if (!p->probe || !p->probe->unprobed.n)
		return 0;
	for (int s = 0; s < DBS_STAGE_COUNT; s++)
		for (size_t i = 0; i < p->stages[s].n; i++) {
			dbsync_op *op = &p->stages[s].items[i]->op;
			if (!decided_by_rows(op->kind) || !noted(p->probe, p->conn->dialect, op->table))
				continue;
			op->unprobed = 1;
			/* "... has N rows": a refused addition's number came from the catalog */
			if (op->kind == DBSYNC_OP_ADD_COLUMN && op->status == DBSYNC_STATUS_REFUSED && op->reason &&
			    !(op->reason = dbs_arena_printf(&p->plan->arena,
					"%s (rows: the catalog's estimate, not counted)", op->reason)))
				return dbs_error_oom(p->ctx);
		}
	return 0;
}
