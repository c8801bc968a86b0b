/*
 * The planner layer shared by every dialect (see plan_shared.h).
 */
#include "plan_shared.h"

#include "ctx.h"
#include "dialect.h"

const char *dbs_plural(int64_t n)
{
	return n == 1 ? "" : "s";
}

const char *dbs_planner_field_ref(dbs_planner *p, const char *table, const char *column)
{
	const char *model = dbs_metadata_model(p->md, table);
	const char *field = dbs_metadata_field(p->md, table, column);
	if (!model || !field)
		return "";
	const char *s = dbs_arena_printf(&p->plan->arena, " (field %s.%s)", model, field);
	return s ? s : "";
}

int dbs_planner_refuse(dbs_planner *p, int stage, dbsync_op_kind kind, const char *table, const char *object,
	const char *summary, const char *reason)
{
	dbs_op_build *op = dbs_planner_op(p, stage, kind, DBSYNC_RISK_LOCKING, table, object);
	if (!op)
		return dbs_error_oom(p->ctx);
	op->op.status = DBSYNC_STATUS_REFUSED;
	int rc = dbs_op_summary(p, op, "%s", summary);
	return rc ? rc : dbs_op_reason(p, op, "%s", reason);
}

void dbs_op_refuse(dbs_op_build *op, const char *reason)
{
	if (op->op.status == DBSYNC_STATUS_REFUSED)
		return;
	op->op.status = DBSYNC_STATUS_REFUSED;
	op->op.reason = reason;
}

void dbs_refuse_table_ops(dbs_planner *p, const char *table, const char *reason)
{
	for (int s = 0; s < DBS_STAGE_COUNT; s++)
		for (size_t i = 0; i < p->stages[s].n; i++) {
			dbs_op_build *op = p->stages[s].items[i];
			if (op->op.table && op->op.kind != DBSYNC_OP_COMMENT && dbs_name_eq(p->plan->dialect, op->op.table, table))
				dbs_op_refuse(op, reason);
		}
}

int dbs_op_put(dbs_planner *p, dbs_op_build *op, dbs_buf *b)
{
	if (!dbs_buf_ok(b))
		return dbs_error_oom(p->ctx);
	int rc = dbs_op_sql(p, op, dbs_buf_cstr(b));
	dbs_buf_clear(b);
	return rc;
}

void dbs_put_alter_table(dbs_buf *b, dbsync_dialect d, const char *table)
{
	dbs_buf_clear(b);
	dbs_buf_puts(b, "ALTER TABLE ");
	dbs_quote_ident(b, d, table);
	dbs_buf_putc(b, ' ');
}

const char *dbs_fk_in_the_way(dbs_planner *p, const dbs_table *owner, const dbs_constraint *fk,
	const char *ref_table, bool left_alone)
{
	const char *alone = left_alone ? ", which the desired schema does not have (so it is left alone)," : "";
	if (fk->name)
		return dbs_arena_printf(&p->plan->arena, "foreign key `%s` of table `%s`%s depends on a key of `%s` that "
			"this change removes", fk->name, owner->name, alone, ref_table);
	dbs_buf cols = DBS_BUF_INIT;
	for (size_t i = 0; i < fk->cols.n; i++)
		dbs_buf_printf(&cols, "%s`%s`", i ? ", " : "", fk->cols.items[i]);
	const char *reason = dbs_buf_ok(&cols) ? dbs_arena_printf(&p->plan->arena, "foreign key (%s) of table `%s`%s "
		"depends on a key of `%s` that this change removes", dbs_buf_cstr(&cols), owner->name, alone, ref_table)
		: NULL;
	dbs_buf_free(&cols);
	return reason;
}

const char *dbs_references_needle(dbs_planner *p, const char *table)
{
	dbs_buf b = DBS_BUF_INIT;
	dbs_buf_puts(&b, " REFERENCES ");
	dbs_quote_ident(&b, p->plan->dialect, table);
	const char *s = dbs_buf_ok(&b) ? dbs_arena_strdup(&p->plan->arena, dbs_buf_cstr(&b)) : NULL;
	dbs_buf_free(&b);
	return s;
}

static bool has_name(dbsync_dialect d, const dbs_str_vec *v, const char *name)
{
	for (size_t i = 0; i < v->n; i++)
		if (dbs_name_eq(d, v->items[i], name))
			return true;
	return false;
}

/* The same set of column names (a key's order does not matter to a foreign key's match). */
static bool same_columns(dbsync_dialect d, const dbs_str_vec *a, const dbs_str_vec *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < b->n; i++)
		if (!has_name(d, a, b->items[i]))
			return false;
	return true;
}

bool dbs_index_is_fk_key(dbsync_dialect d, const dbs_index *ix, const dbs_str_vec *cols)
{
	if (!ix->unique || ix->where_expr || ix->parts.n != cols->n || !cols->n)
		return false;
	for (size_t i = 0; i < ix->parts.n; i++)
		if (!ix->parts.items[i].column || !has_name(d, cols, ix->parts.items[i].column))
			return false;
	return true;
}

bool dbs_table_has_fk_key(dbsync_dialect d, const dbs_table *t, const dbs_str_vec *cols)
{
	if (!t)
		return false;
	for (size_t i = 0; i < t->constraints.n; i++) {
		const dbs_constraint *k = t->constraints.items[i];
		if (k->kind == DBS_CON_PRIMARY && !cols->n)
			return true;
		if ((k->kind == DBS_CON_PRIMARY || k->kind == DBS_CON_UNIQUE) && cols->n && same_columns(d, &k->cols, cols))
			return true;
	}
	for (size_t i = 0; i < t->indexes.n; i++)
		if (dbs_index_is_fk_key(d, t->indexes.items[i], cols))
			return true;
	return false;
}
