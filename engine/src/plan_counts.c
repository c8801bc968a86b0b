/*
 * Data-loss counts. A person about to approve "drop column `x`" decides
 * better knowing it holds 1,204 values, so before an apply every data-loss
 * operation gets its count at plan time, one COUNT query each (data reads,
 * not catalog reads: they do not add to conn->catalog_queries). A read-only
 * check must not read every table it would drop, so it asks for estimates
 * instead: the catalog's row estimates, read once for the whole plan, which
 * read no table at all.
 */
#include <inttypes.h>
#include <string.h>

#include "ctx.h"
#include "dialect.h"
#include "inspect_internal.h"
#include "plan_counts.h"
#include "plan_probe.h"

/* COUNT(column) counts the non-null values; COUNT(*) the rows. */
static int count(dbs_planner *p, const char *table, const char *column, int64_t *out)
{
	dbsync_dialect d = p->conn->dialect;
	dbs_buf q = DBS_BUF_INIT;
	int rc;
	dbs_buf_puts(&q, "SELECT COUNT(");
	if (column)
		dbs_quote_ident(&q, d, column);
	else
		dbs_buf_putc(&q, '*');
	dbs_buf_puts(&q, ") FROM ");
	dbs_quote_ident(&q, d, table);
	if (!dbs_buf_ok(&q)) {
		rc = dbs_error_oom(p->ctx);
		goto cleanup;
	}
	rc = p->conn->backend->query_int64(out, p->ctx, p->conn, dbs_buf_cstr(&q));
	if (rc && column)
		dbs_error_prefix(p->ctx, "counting the values of column \"%s\" of \"%s\" before dropping it",
			column, table);
	else if (rc)
		dbs_error_prefix(p->ctx, "counting the rows of \"%s\" before dropping it", table);
cleanup:
	dbs_buf_free(&q);
	return rc;
}

static const dbs_table_diff *diff_of(dbs_planner *p, const char *table)
{
	const dbs_table_diff *near = NULL;
	for (size_t i = 0; i < p->diff.tables.n; i++) {
		const dbs_table_diff *td = p->diff.tables.items[i];
		if (!td->live)
			continue;
		if (strcmp(td->live->name, table) == 0)
			return td;
		if (!near && dbs_name_eq(p->conn->dialect, td->live->name, table))
			near = td;
	}
	return near;
}

/* The rebuild's detail with "drop column `x`" lines followed by their count:
 * the operation carries one total, the detail the split. */
static int note_on_detail(dbs_planner *p, dbs_op_build *b, const char *column, int64_t n)
{
	const char *detail = b->op.detail;
	if (!detail)
		return 0;
	dbs_buf want = DBS_BUF_INIT, out = DBS_BUF_INIT;
	int rc = 0;
	dbs_buf_printf(&want, "drop column `%s`", column);
	const char *line = detail;
	while (*line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		dbs_buf_put(&out, line, len);
		if (len == want.len && memcmp(line, dbs_buf_cstr(&want), len) == 0)
			dbs_buf_printf(&out, " (%" PRId64 " non-null value%s)", n, n == 1 ? "" : "s");
		if (!end)
			break;
		dbs_buf_putc(&out, '\n');
		line = end + 1;
	}
	if (!dbs_buf_ok(&want) || !dbs_buf_ok(&out))
		rc = dbs_error_oom(p->ctx);
	else
		b->op.detail = dbs_arena_strdup(&p->plan->arena, dbs_buf_cstr(&out));
	if (!rc && !b->op.detail)
		rc = dbs_error_oom(p->ctx);
	dbs_buf_free(&want);
	dbs_buf_free(&out);
	return rc;
}

/* The columns a data-losing rebuild drops are the live columns no model has. */
static int count_rebuild(dbs_planner *p, dbs_op_build *b)
{
	const dbs_table_diff *td = diff_of(p, b->op.table);
	int64_t total = 0;
	if (!td)
		return 0;
	for (size_t i = 0; i < td->changes.n; i++) {
		const dbs_change *ch = &td->changes.items[i];
		int64_t n = 0;
		int rc;
		if (ch->kind != DBS_CH_DROP_COLUMN)
			continue;
		if ((rc = count(p, td->live->name, ch->live_col->name, &n)) ||
		    (rc = note_on_detail(p, b, ch->live_col->name, n)))
			return rc;
		total += n;
	}
	b->op.affected = total;
	return 0;
}

static int count_op(dbs_planner *p, dbs_op_build *b)
{
	dbsync_op *op = &b->op;
	switch (op->kind) {
	case DBSYNC_OP_DROP_TABLE:
		return count(p, op->table, NULL, &op->affected);
	case DBSYNC_OP_DROP_COLUMN:
	case DBSYNC_OP_ALTER_COLUMN: /* a plain column made generated: its values are replaced */
		return op->object ? count(p, op->table, op->object, &op->affected) : 0;
	case DBSYNC_OP_REBUILD_TABLE:
		return count_rebuild(p, b);
	default:
		return 0;
	}
}

/* The estimate of the rows of the operation's table: for a column, an upper
 * bound of its values (the catalog keeps no count of non-null values on
 * every dialect). Unknown (-1, not marked) where the catalog has none. */
static void estimate_op(dbs_planner *p, const dbs_insp *in, dbsync_op *op)
{
	if (op->kind != DBSYNC_OP_DROP_TABLE && op->kind != DBSYNC_OP_DROP_COLUMN &&
	    op->kind != DBSYNC_OP_ALTER_COLUMN && op->kind != DBSYNC_OP_REBUILD_TABLE)
		return;
	if (op->kind == DBSYNC_OP_ALTER_COLUMN && !op->object)
		return;
	op->affected = dbs_insp_rows(in, p->conn->dialect, op->table);
	op->affected_estimated = op->affected >= 0;
}

/* A refused operation never runs; its reason already says what is in the way. */
static bool counted(const dbs_op_build *b)
{
	return b->op.risk == DBSYNC_RISK_DATA_LOSS &&
		(b->op.status == DBSYNC_STATUS_PENDING || b->op.status == DBSYNC_STATUS_SKIPPED);
}

static int estimate_all(dbs_planner *p)
{
	bool any = false;
	for (int s = 0; s < DBS_STAGE_COUNT && !any; s++)
		for (size_t i = 0; i < p->stages[s].n && !any; i++)
			any = counted(p->stages[s].items[i]);
	if (!any)
		return 0;
	const dbs_insp *in;
	int rc = dbs_probe_estimates(p, &in);
	for (int s = 0; !rc && s < DBS_STAGE_COUNT; s++)
		for (size_t i = 0; i < p->stages[s].n; i++)
			if (counted(p->stages[s].items[i]))
				estimate_op(p, in, &p->stages[s].items[i]->op);
	return rc;
}

int dbs_plan_count_data_loss(dbs_planner *p)
{
	int mode = p->plan->opts.count_data_loss;
	if (!mode || !p->conn)
		return 0;
	if (mode == DBSYNC_COUNT_ESTIMATE) {
		/* the pre-flight counts a check did not run are marked here, once planning is done */
		int rc = dbs_probe_mark(p);
		return rc ? rc : estimate_all(p);
	}
	for (int s = 0; s < DBS_STAGE_COUNT; s++)
		for (size_t i = 0; i < p->stages[s].n; i++) {
			dbs_op_build *b = p->stages[s].items[i];
			if (!counted(b))
				continue;
			int rc = count_op(p, b);
			if (rc)
				return rc;
		}
	return 0;
}
