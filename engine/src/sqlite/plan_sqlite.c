/*
 * Planning changes to existing SQLite tables, the way Django's SQLite schema
 * editor does them: ALTER TABLE ADD/DROP COLUMN where SQLite can, otherwise the
 * generalized ALTER of https://www.sqlite.org/lang_altertable.html (create
 * "new__t", copy the rows, drop "t", rename, re-create the indexes). One
 * rebuild per table carries every change of that table.
 */

#include "ctx.h"
#include "dialect.h"
#include "plan_build.h"
#include "plan_depend.h"
#include "plan_fill.h"
#include "plan_sqlite.h"
#include "plan_isolate.h"
#include "plan_precount.h"
#include "plan_probe.h"
#include "render.h"

#define D DBSYNC_DIALECT_SQLITE

static col_state *state_of(table_plan *tp, const dbs_column *c)
{
	for (size_t i = 0; i < tp->n_cols; i++)
		if (tp->cols[i].want == c || tp->cols[i].live == c)
			return &tp->cols[i];
	return NULL;
}

static col_state *state_named(table_plan *tp, const char *name)
{
	for (size_t i = 0; i < tp->n_cols; i++) {
		const dbs_column *c = tp->cols[i].want ? tp->cols[i].want : tp->cols[i].live;
		if (dbs_name_eq(D, c->name, name))
			return &tp->cols[i];
	}
	return NULL;
}

static int table_rows(table_plan *tp, int64_t *out)
{
	if (tp->rows < 0) {
		int rc = dbs_probe_table_rows(tp->p, tp->L->name, &tp->rows);
		if (rc)
			return rc;
	}
	*out = tp->rows;
	return 0;
}

static int render_add_column(table_plan *tp, const dbs_column *c, dbs_buf *out)
{
	dbs_buf_clear(out);
	dbs_buf_puts(out, "ALTER TABLE ");
	dbs_quote_ident(out, D, tp->L->name);
	dbs_buf_puts(out, " ADD COLUMN ");
	dbs_render_column_def(out, D, tp->W, c);
	return dbs_buf_ok(out) ? 0 : dbs_error_oom(tp->p->ctx);
}

static int render_drop_column(table_plan *tp, const dbs_column *c, dbs_buf *out)
{
	dbs_buf_clear(out);
	dbs_buf_puts(out, "ALTER TABLE ");
	dbs_quote_ident(out, D, tp->L->name);
	dbs_buf_puts(out, " DROP COLUMN ");
	dbs_quote_ident(out, D, c->name);
	return dbs_buf_ok(out) ? 0 : dbs_error_oom(tp->p->ctx);
}

static int on_add_column(table_plan *tp, const dbs_change *ch)
{
	dbs_planner *p = tp->p;
	const dbs_column *c = ch->want_col;
	col_state *cs = state_of(tp, c);
	const char *label = dbs_planner_label(p, tp->W->name, c->name);
	int rc;
	if (!p->plan->opts.add_columns) {
		dbs_op_build *op = dbs_planner_op(p, DBS_STAGE_ALTER, DBSYNC_OP_ADD_COLUMN, DBSYNC_RISK_SAFE,
			tp->L->name, c->name);
		if (!op || render_add_column(tp, c, &tp->sql))
			return dbs_error_oom(p->ctx);
		if ((rc = dbs_op_sql(p, op, dbs_buf_cstr(&tp->sql))) || (rc = dbs_op_skip(p, op, "AUTO_ADD_COLUMNS is off")))
			return rc;
		return dbs_op_summary(p, op, "add column `%s` to `%s`%s", c->name, tp->L->name, label);
	}
	if (dbs_column_needs_fill(D, tp->W, c)) {
		int64_t rows;
		if ((rc = table_rows(tp, &rows)))
			return rc;
		dbs_fill_kind kind = DBS_FILL_NONE;
		if (rows > 0 && (rc = dbs_fill_for(p, tp->W->name, c->name, &kind, &cs->fill)))
			return rc;
		if (rows > 0 && kind == DBS_FILL_NONE) {
			dbs_op_build *op = dbs_planner_op(p, DBS_STAGE_ALTER, DBSYNC_OP_ADD_COLUMN,
				DBSYNC_RISK_SAFE, tp->L->name, c->name);
			const char *why = dbs_fill_refusal(p, tp->L->name, tp->W->name, c->name, rows, false);
			if (!op || !why)
				return dbs_error_oom(p->ctx);
			op->op.status = DBSYNC_STATUS_REFUSED;
			if ((rc = dbs_op_summary(p, op, "add column `%s` to `%s`%s", c->name, tp->L->name, label)))
				return rc;
			return dbs_op_reason(p, op, "%s", why);
		}
		cs->fill_deferred = kind == DBS_FILL_DEFERRED;
	}
	cs->include = true;
	cs->simple_add = dbs_sqlite_can_add_column(tp, c);
	if (!cs->simple_add)
		tp->rebuild = true;
	if (cs->fill_deferred)
		return dbs_sqlite_note(tp, "add column `%s`, existing rows filled from the field's default", c->name);
	if (cs->fill)
		return dbs_sqlite_note(tp, "add column `%s`, existing rows get %s", c->name, cs->fill);
	return dbs_sqlite_note(tp, "add column `%s`", c->name);
}

static int on_drop_column(table_plan *tp, const dbs_change *ch)
{
	dbs_planner *p = tp->p;
	const dbs_column *c = ch->live_col;
	col_state *cs = state_of(tp, c);
	int rc;
	cs->simple_drop = dbs_sqlite_can_drop_column(tp, c);
	if (p->plan->opts.drop_columns) {
		cs->drop = true;
		tp->drops_data = true;
		if (!cs->simple_drop)
			tp->rebuild = true;
		return dbs_sqlite_note(tp, "drop column `%s`", c->name);
	}
	cs->include = true;
	dbs_op_build *op = dbs_planner_op(p, DBS_STAGE_ALTER, DBSYNC_OP_DROP_COLUMN, DBSYNC_RISK_DATA_LOSS,
		tp->L->name, c->name);
	if (!op)
		return dbs_error_oom(p->ctx);
	if ((rc = dbs_op_summary(p, op, "drop column `%s` from `%s` (no model has it)", c->name, tp->L->name)) ||
	    (rc = dbs_op_skip(p, op, "AUTO_DROP_COLUMNS is off")))
		return rc;
	if (cs->simple_drop) {
		if ((rc = render_drop_column(tp, c, &tp->sql)))
			return rc;
		return dbs_op_sql(p, op, dbs_buf_cstr(&tp->sql));
	}
	dbs_sqlite_single_change one = { .drop_col = c };
	return dbs_sqlite_hypothetical(tp, op, &one);
}

/* The column keeps its live definition: the change is an operation of its
 * own, skipped, whose SQL shows the rebuild it would take. */
static int keep_live_definition(table_plan *tp, const dbs_column *lc, const dbs_column *wc, unsigned diff,
	dbsync_risk risk, const char *reason)
{
	dbs_planner *p = tp->p;
	col_state *cs = state_of(tp, wc);
	int rc;
	cs->live_def = true;
	dbs_op_build *op = dbs_planner_op(p, DBS_STAGE_ALTER, DBSYNC_OP_ALTER_COLUMN, risk, tp->L->name, wc->name);
	if (!op)
		return dbs_error_oom(p->ctx);
	/* describe into a fresh buffer: this change is not part of any rebuild */
	dbs_buf rebuild_detail = tp->detail;
	size_t folded = tp->n_folded;
	dbs_buf_init(&tp->detail);
	dbs_sqlite_describe_col_diff(tp, lc, wc, diff);
	rc = dbs_buf_ok(&tp->detail) ? dbs_op_detail(p, op, dbs_buf_cstr(&tp->detail)) : dbs_error_oom(p->ctx);
	dbs_buf_free(&tp->detail);
	tp->detail = rebuild_detail;
	tp->n_folded = folded;
	dbs_sqlite_single_change one = { .alter_live = lc, .alter_want = wc };
	if (rc || (rc = dbs_op_skip(p, op, reason)) || (rc = dbs_sqlite_hypothetical(tp, op, &one)))
		return rc;
	return dbs_op_summary(p, op, "change column `%s` of `%s`%s", wc->name, tp->L->name,
		dbs_planner_label(p, tp->W->name, wc->name));
}

static int on_alter_column(table_plan *tp, const dbs_change *ch)
{
	dbs_planner *p = tp->p;
	const dbs_column *wc = ch->want_col, *lc = ch->live_col;
	col_state *cs = state_of(tp, wc);
	unsigned diff = ch->col_diff;
	int rc;
	if (!p->plan->opts.alter_columns)
		return keep_live_definition(tp, lc, wc, diff, DBSYNC_RISK_LOCKING, "alter_columns is off");
	/* a plain column becoming generated: its stored values are replaced by
	 * computed ones, as PostgreSQL and MySQL would do, so it is data loss */
	if ((diff & DBS_COL_GENERATED) && wc->generated_expr && !lc->generated_expr) {
		if (!p->plan->opts.drop_columns)
			return keep_live_definition(tp, lc, wc, diff, DBSYNC_RISK_DATA_LOSS,
				"AUTO_DROP_COLUMNS is off: the column's values would be replaced by the generated ones");
		tp->drops_data = true;
	}
	bool tightens = (diff & DBS_COL_NOT_NULL) && wc->not_null && dbs_column_nulls_to_fill(D, tp->W, wc);
	if (tightens) {
		const char *fill = NULL;
		dbs_fill_kind kind = DBS_FILL_VALUE;
		int64_t nulls = 0;
		/* the rebuild's COALESCE takes a default as it is: no need to count */
		if (!wc->default_expr && (rc = dbs_count_nulls(p, tp->L->name, lc->name, &nulls)))
			return rc;
		if ((wc->default_expr || nulls > 0) && (rc = dbs_not_null_fill(p, tp->W->name, wc, &kind, &fill)))
			return rc;
		if (fill) {
			dbs_buf_clear(&tp->sql);
			dbs_buf_puts(&tp->sql, "COALESCE(");
			dbs_quote_ident(&tp->sql, D, lc->name);
			dbs_buf_printf(&tp->sql, ", %s)", fill);
			cs->fill = dbs_arena_strdup(&p->plan->arena, dbs_buf_cstr(&tp->sql));
			if (!cs->fill || !dbs_buf_ok(&tp->sql))
				return dbs_error_oom(p->ctx);
		} else if (nulls > 0) {
			cs->keep_null = true;
			dbs_op_build *op = dbs_planner_op(p, DBS_STAGE_ALTER, DBSYNC_OP_ALTER_COLUMN,
				DBSYNC_RISK_LOCKING, tp->L->name, wc->name);
			const char *why = dbs_fill_refusal(p, tp->L->name, tp->W->name, wc->name, nulls, true);
			if (!op || !why)
				return dbs_error_oom(p->ctx);
			op->op.status = DBSYNC_STATUS_REFUSED;
			if ((rc = dbs_op_summary(p, op, "make column `%s` of `%s` NOT NULL%s", wc->name,
				tp->L->name, dbs_planner_label(p, tp->W->name, wc->name))))
				return rc;
			if ((rc = dbs_op_reason(p, op, "%s", why)))
				return rc;
			diff &= ~(unsigned)DBS_COL_NOT_NULL;
			if (!diff)
				return 0;
		}
		cs->fill_deferred = kind == DBS_FILL_DEFERRED;
	}
	tp->rebuild = true;
	dbs_sqlite_describe_col_diff(tp, lc, wc, diff);
	if (cs->fill_deferred)
		return dbs_sqlite_note(tp, "NULLs in `%s` filled from the field's default", wc->name);
	if (cs->fill)
		return dbs_sqlite_note(tp, "NULLs in `%s` become %s", wc->name, cs->fill);
	return dbs_buf_ok(&tp->detail) ? 0 : dbs_error_oom(p->ctx);
}

/* A constraint change needs a rebuild unless a column change already settles
 * it: the new column it is on is skipped or refused, it rides in an ADD COLUMN
 * definition, or it belongs to an extra column (dropped with it, or kept). */
static int on_constraint(table_plan *tp, const dbs_change *ch)
{
	dbs_planner *p = tp->p;
	bool add = ch->kind == DBS_CH_ADD_CONSTRAINT;
	const dbs_constraint *k = add ? ch->want_con : ch->live_con;
	for (size_t i = 0; i < k->cols.n; i++) {
		col_state *cs = state_named(tp, k->cols.items[i]);
		if (!cs)
			continue;
		if (add && !cs->live && !cs->include) /* the column itself is skipped or refused */
			return dbs_plan_dependent(p, DBS_STAGE_ALTER, DBSYNC_OP_ADD_CONSTRAINT, tp->L->name, k->name,
				dbs_arena_strdup(&p->plan->arena, dbs_sqlite_describe_constraint(tp, k)), cs->want->name);
		if (add && !cs->live && cs->simple_add && k->inline_col)
			return 0; /* written in the ADD COLUMN definition */
		if (!add && !cs->want)
			return 0; /* goes (or stays) with its extra column */
	}
	if (!p->plan->opts.sync_indexes) {
		dbs_op_build *op = dbs_planner_op(p, DBS_STAGE_ALTER,
			add ? DBSYNC_OP_ADD_CONSTRAINT : DBSYNC_OP_DROP_CONSTRAINT, DBSYNC_RISK_LOCKING, tp->L->name, k->name);
		int rc;
		if (!op)
			return dbs_error_oom(p->ctx);
		if ((rc = dbs_op_summary(p, op, "%s %s on `%s`", add ? "add" : "drop", dbs_sqlite_describe_constraint(tp, k),
			tp->L->name)))
			return rc;
		dbs_sqlite_single_change one = { .add_con = add ? k : NULL, .drop_con = add ? NULL : k };
		if ((rc = dbs_op_skip(p, op, "sync_indexes is off")))
			return rc;
		return dbs_sqlite_hypothetical(tp, op, &one);
	}
	tp->rebuild = true;
	return dbs_sqlite_note(tp, "%s %s", add ? "add" : "drop", dbs_sqlite_describe_constraint(tp, k));
}

static int on_table_options(table_plan *tp)
{
	dbs_planner *p = tp->p;
	if (!p->plan->opts.alter_columns) {
		dbs_op_build *op = dbs_planner_op(p, DBS_STAGE_ALTER, DBSYNC_OP_REBUILD_TABLE, DBSYNC_RISK_LOCKING,
			tp->L->name, NULL);
		int rc;
		if (!op)
			return dbs_error_oom(p->ctx);
		dbs_sqlite_single_change one = { .options = true };
		if ((rc = dbs_op_summary(p, op, "change WITHOUT ROWID / STRICT of `%s`", tp->L->name)) ||
		    (rc = dbs_op_skip(p, op, "alter_columns is off")))
			return rc;
		return dbs_sqlite_hypothetical(tp, op, &one);
	}
	tp->rebuild = true;
	return dbs_sqlite_note(tp, "table options: %s%s -> %s%s", tp->L->without_rowid ? "WITHOUT ROWID " : "",
		tp->L->strict ? "STRICT" : "", tp->W->without_rowid ? "WITHOUT ROWID " : "",
		tp->W->strict ? "STRICT" : "");
}

static int index_op(table_plan *tp, const dbs_change *ch, bool skipped)
{
	dbs_planner *p = tp->p;
	bool add = ch->kind == DBS_CH_ADD_INDEX;
	const dbs_index *ix = add ? ch->want_ix : ch->live_ix;
	dbs_op_build *op = dbs_planner_op(p, add ? DBS_STAGE_ADD_INDEX : DBS_STAGE_DROP_INDEX,
		add ? DBSYNC_OP_ADD_INDEX : DBSYNC_OP_DROP_INDEX, DBSYNC_RISK_SAFE, tp->L->name, ix->name);
	int rc;
	if (!op)
		return dbs_error_oom(p->ctx);
	dbs_buf_clear(&tp->sql);
	if (add) {
		dbs_table on = *tp->W;
		on.name = tp->L->name;
		dbs_render_create_index(&tp->sql, D, &on, ix);
	} else {
		dbs_buf_puts(&tp->sql, "DROP INDEX ");
		dbs_quote_ident(&tp->sql, D, ix->name);
	}
	if (!dbs_buf_ok(&tp->sql))
		return dbs_error_oom(p->ctx);
	if ((rc = dbs_op_sql(p, op, dbs_buf_cstr(&tp->sql))))
		return rc;
	if ((rc = dbs_op_summary(p, op, "%s index `%s` %s `%s`%s%s", add ? "create" : "drop", ix->name,
		add ? "on" : "from", tp->L->name, ch->redefined ? " (definition changed)" : "",
		dbs_planner_label(p, tp->W->name, NULL))))
		return rc;
	return skipped ? dbs_op_skip(p, op, "sync_indexes is off") : 0;
}

/* The first column of `ix` that is desired, missing live and not added, or NULL. */
static const char *absent_column(table_plan *tp, const dbs_index *ix)
{
	for (size_t i = 0; i < ix->parts.n; i++) {
		const char *c = ix->parts.items[i].column;
		col_state *cs = c ? state_named(tp, c) : NULL;
		if (cs && cs->want && !cs->live && !cs->include)
			return cs->want->name;
	}
	return NULL;
}

static int simple_ops(table_plan *tp)
{
	dbs_planner *p = tp->p;
	int rc;
	for (size_t i = 0; i < tp->n_cols; i++) {
		col_state *cs = &tp->cols[i];
		if (cs->want && !cs->live && cs->include && cs->simple_add) {
			dbs_op_build *op = dbs_planner_op(p, DBS_STAGE_ALTER, DBSYNC_OP_ADD_COLUMN, DBSYNC_RISK_SAFE,
				tp->L->name, cs->want->name);
			if (!op)
				return dbs_error_oom(p->ctx);
			if ((rc = render_add_column(tp, cs->want, &tp->sql)) ||
			    (rc = dbs_op_sql(p, op, dbs_buf_cstr(&tp->sql))) ||
			    (rc = dbs_op_summary(p, op, "add column `%s` to `%s`%s", cs->want->name, tp->L->name,
				dbs_planner_label(p, tp->W->name, cs->want->name))))
				return rc;
		}
		if (cs->drop) {
			dbs_op_build *op = dbs_planner_op(p, DBS_STAGE_ALTER, DBSYNC_OP_DROP_COLUMN,
				DBSYNC_RISK_DATA_LOSS, tp->L->name, cs->live->name);
			if (!op)
				return dbs_error_oom(p->ctx);
			if ((rc = render_drop_column(tp, cs->live, &tp->sql)) ||
			    (rc = dbs_op_sql(p, op, dbs_buf_cstr(&tp->sql))) ||
			    (rc = dbs_op_summary(p, op, "drop column `%s` from `%s` (no model has it)", cs->live->name,
				tp->L->name)))
				return rc;
		}
	}
	return 0;
}

static int init_states(table_plan *tp)
{
	dbs_planner *p = tp->p;
	size_t n = tp->W->columns.n + tp->L->columns.n;
	tp->cols = dbs_arena_alloc(&p->plan->arena, (n + 1) * sizeof *tp->cols);
	if (!tp->cols)
		return dbs_error_oom(p->ctx);
	for (size_t i = 0; i < tp->W->columns.n; i++) {
		col_state *cs = &tp->cols[tp->n_cols++];
		cs->want = tp->W->columns.items[i];
		cs->live = dbs_table_find_column(p->live, tp->L, cs->want->name);
		cs->include = cs->live != NULL;
	}
	for (size_t i = 0; i < tp->L->columns.n; i++) {
		const dbs_column *lc = tp->L->columns.items[i];
		if (state_of(tp, lc) || dbs_table_find_column(p->want, tp->W, lc->name))
			continue;
		col_state *cs = &tp->cols[tp->n_cols++];
		cs->live = lc;
		cs->live_def = true;
	}
	return 0;
}

static int plan_table(dbs_planner *p, const dbs_table_diff *td)
{
	table_plan tp = { .p = p, .td = td, .L = td->live, .W = td->want, .rows = -1 };
	int rc = 0;
	dbs_buf_init(&tp.detail);
	dbs_buf_init(&tp.sql);
	if ((rc = init_states(&tp)))
		goto cleanup;
	for (size_t i = 0; i < td->changes.n && !rc; i++) {
		const dbs_change *ch = &td->changes.items[i];
		switch (ch->kind) {
		case DBS_CH_ADD_COLUMN: rc = on_add_column(&tp, ch); break;
		case DBS_CH_DROP_COLUMN: rc = on_drop_column(&tp, ch); break;
		case DBS_CH_ALTER_COLUMN: rc = on_alter_column(&tp, ch); break;
		case DBS_CH_ADD_CONSTRAINT:
		case DBS_CH_DROP_CONSTRAINT: rc = on_constraint(&tp, ch); break;
		case DBS_CH_TABLE_OPTIONS: rc = on_table_options(&tp); break;
		case DBS_CH_ADD_INDEX:
		case DBS_CH_DROP_INDEX:
		case DBS_CH_RENAME_CONSTRAINT: /* PostgreSQL only (diff.c) */
		case DBS_CH_RENAME_INDEX: break;
		}
	}
	if (rc)
		goto cleanup;
	if (tp.rebuild)
		rc = dbs_sqlite_rebuild_op(&tp);
	else
		rc = simple_ops(&tp);
	/* a rebuild re-creates the desired indexes itself when indexes are synced,
	 * leaving out those over a column it does not add: they share its fate */
	for (size_t i = 0; i < td->changes.n && !rc; i++) {
		const dbs_change *ch = &td->changes.items[i];
		if (ch->kind != DBS_CH_ADD_INDEX && ch->kind != DBS_CH_DROP_INDEX)
			continue;
		const char *absent = ch->kind == DBS_CH_ADD_INDEX ? absent_column(&tp, ch->want_ix) : NULL;
		if (absent) {
			const char *what = dbs_arena_printf(&p->plan->arena, "index `%s`", ch->want_ix->name);
			rc = dbs_plan_dependent(p, DBS_STAGE_ADD_INDEX, DBSYNC_OP_ADD_INDEX, tp.L->name, ch->want_ix->name,
				what, absent);
			continue;
		}
		if (tp.rebuild && p->plan->opts.sync_indexes)
			continue;
		rc = index_op(&tp, ch, !p->plan->opts.sync_indexes);
	}
cleanup:
	dbs_buf_free(&tp.detail);
	dbs_buf_free(&tp.sql);
	return rc;
}

int dbs_plan_sqlite(dbs_planner *p)
{
	int rc = dbs_plan_create_tables(p);
	for (size_t i = 0; i < p->diff.tables.n && !rc; i++)
		if (p->diff.tables.items[i]->live)
			rc = dbs_plan_isolated(p, p->diff.tables.items[i], plan_table);
	return rc ? rc : dbs_sqlite_refuse_under_kept_fks(p);
}
