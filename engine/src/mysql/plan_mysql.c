/*
 * The MySQL/MariaDB planner. Every DDL statement commits on its own, so the
 * stages are ordered for a database that is valid after each step: foreign
 * keys that change (or whose columns change type) are dropped first, then
 * indexes and constraints, missing tables are created without their foreign
 * keys, columns are added and modified, constraints and indexes are added,
 * and foreign keys last, once every table and key they need exists (an
 * index a foreign key still needs is dropped only once its replacement
 * exists: plan_mysql_fk_index.c). A change
 * that existing rows would break (NOT NULL, UNIQUE, CHECK, FOREIGN KEY, a
 * narrower type) is counted first and refused with the count.
 *
 * The compared desired schema is the server's own reading of the desired
 * DDL (normalize_desired: a shadow database), so statements are written from
 * it: types, defaults and checks are already the server's spelling.
 */
#include <inttypes.h>
#include <string.h>

#include "canon_mysql.h"
#include "ctx.h"
#include "dialect.h"
#include "plan_depend.h"
#include "plan_fill.h"
#include "plan_mysql.h"
#include "plan_isolate.h"
#include "plan_precount.h"
#include "plan_probe.h"
#include "render.h"
#include "render_constraint.h"

/* A column definition without inline constraints (those are separate ops). */
void dbs_my_column_def(dbs_buf *b, const dbs_column *c)
{
	static const dbs_table bare;
	/* MODIFY rewrites the whole column: what it leaves out (ON UPDATE too) is gone */
	dbs_render_column_def(b, MY, &bare, c);
}

void dbs_my_kept_checks(dbs_buf *b, const dbs_planner *p, const dbs_table *L, const dbs_table *W, const char *column)
{
	for (size_t i = 0; i < W->constraints.n; i++) {
		const dbs_constraint *k = W->constraints.items[i];
		if (k->kind != DBS_CON_CHECK || !k->inline_col || k->cols.n != 1 || !dbs_name_eq(MY, k->cols.items[0], column))
			continue;
		for (size_t j = 0; j < L->constraints.n; j++)
			if (dbs_constraint_equal(MY, L->constraints.items[j], k)) {
				dbs_buf_printf(b, " CHECK (%s)", k->check_expr);
				break;
			}
	}
	(void)p;
}

bool dbs_my_key_leads(const dbs_table *t, const char *column)
{
	for (size_t i = 0; i < t->constraints.n; i++) {
		const dbs_constraint *k = t->constraints.items[i];
		if ((k->kind == DBS_CON_PRIMARY || k->kind == DBS_CON_UNIQUE) && k->cols.n &&
		    dbs_name_eq(MY, k->cols.items[0], column))
			return true;
	}
	for (size_t i = 0; i < t->indexes.n; i++) {
		const dbs_index *ix = t->indexes.items[i];
		if (ix->parts.n && ix->parts.items[0].column && dbs_name_eq(MY, ix->parts.items[0].column, column))
			return true;
	}
	return false;
}

bool dbs_my_autoinc_waits_for_key(const dbs_planner *p, const dbs_table *L, const dbs_column *lc,
	const dbs_column *wc)
{
	return p->plan->opts.alter_columns && lc && wc->autoincrement && !lc->autoincrement &&
		!dbs_my_key_leads(L, lc->name);
}

const dbs_constraint *dbs_my_key_of_new_autoinc(const dbs_planner *p, const dbs_table *L, const dbs_table *W,
	const dbs_column *wc)
{
	if (!wc->autoincrement || dbs_table_find_column(p->live, L, wc->name))
		return NULL;
	for (size_t i = 0; i < W->constraints.n; i++) {
		const dbs_constraint *k = W->constraints.items[i];
		if ((k->kind == DBS_CON_PRIMARY || k->kind == DBS_CON_UNIQUE) && k->cols.n &&
		    dbs_name_eq(MY, k->cols.items[0], wc->name))
			return k;
	}
	return NULL;
}

const dbs_column *dbs_my_autoinc_leaves_with_key(const dbs_planner *p, const dbs_table *L, const char *column)
{
	const dbs_column *lc = dbs_table_find_column(p->live, L, column);
	const dbs_table *W = dbs_schema_find_table(p->want, L->name);
	const dbs_column *wc = W ? dbs_table_find_column(p->want, W, column) : NULL;
	const dbs_table_diff *td = dbs_diff_find(&p->diff, L->name);
	if (!lc || !lc->autoincrement || (wc && wc->autoincrement) || !td)
		return NULL;
	for (size_t i = 0; i < td->changes.n; i++) {
		const dbs_change *ch = &td->changes.items[i];
		if (ch->kind == DBS_CH_DROP_CONSTRAINT && ch->live_con->kind == DBS_CON_PRIMARY)
			return lc;
	}
	return NULL;
}

const char *dbs_my_unplanned_column(dbs_planner *p, const dbs_table *L, const dbs_str_vec *cols)
{
	for (size_t i = 0; i < cols->n; i++) {
		const char *c = cols->items[i];
		if (dbs_table_find_column(p->live, L, c))
			continue;
		bool added = false;
		const dbs_table_ops *t = dbs_planner_table_ops(p, L->name);
		for (size_t j = 0; t && j < t->ops.n && !added; j++) {
			const dbsync_op *op = &t->ops.items[j]->op;
			added = dbs_op_planned_in(t->ops.items[j], DBS_STAGE_ALTER) && op->kind == DBSYNC_OP_ADD_COLUMN &&
				op->status == DBSYNC_STATUS_PENDING && dbs_name_eq(MY, op->table, L->name) && op->object && dbs_name_eq(MY, op->object, c);
		}
		if (!added)
			return c;
	}
	return NULL;
}

int dbs_my_skip_for_column(dbs_planner *p, const char *table, const char *object, const char *label,
	dbsync_op_kind kind, const char *column)
{
	return dbs_plan_dependent(p, kind == DBSYNC_OP_ADD_FOREIGN_KEY ? DBS_STAGE_ADD_FK : DBS_STAGE_ADD_INDEX, kind,
		table, object, label, column);
}

/* ---- columns ---- */

static int add_column(dbs_planner *p, const dbs_table *L, const dbs_table *W, const dbs_column *c)
{
	dbs_arena *a = &p->plan->arena;
	const char *summary = dbs_arena_printf(a, "add column `%s` to `%s`%s", c->name, L->name,
		dbs_planner_label(p, W->name, c->name));
	const char *fill = NULL;
	dbs_buf b = DBS_BUF_INIT;
	int rc = 0;
	if (!summary)
		return dbs_error_oom(p->ctx);
	if (p->plan->opts.add_columns && dbs_column_needs_fill(MY, W, c)) {
		int64_t rows;
		dbs_fill_kind kind = DBS_FILL_NONE;
		if ((rc = dbs_probe_table_rows(p, L->name, &rows)))
			return rc;
		if (rows > 0 && (rc = dbs_fill_for(p, W->name, c->name, &kind, &fill)))
			return rc;
		if (rows > 0 && kind == DBS_FILL_NONE) {
			const char *why = dbs_fill_refusal(p, L->name, W->name, c->name, rows, false);
			return why ? dbs_planner_refuse(p, DBS_STAGE_ALTER, DBSYNC_OP_ADD_COLUMN, L->name, c->name, summary, why)
				: dbs_error_oom(p->ctx);
		}
		if (kind == DBS_FILL_DEFERRED &&
		    !(summary = dbs_arena_printf(a, "%s, existing rows filled from the field's default", summary)))
			return dbs_error_oom(p->ctx);
	}
	dbs_op_build *op = dbs_planner_op(p, DBS_STAGE_ALTER, DBSYNC_OP_ADD_COLUMN, DBSYNC_RISK_SAFE, L->name, c->name);
	if (!op)
		return dbs_error_oom(p->ctx);
	dbs_put_alter_table(&b, MY, L->name);
	dbs_buf_puts(&b, "ADD COLUMN ");
	if (fill) {
		/* each statement commits: nullable, filled, then NOT NULL, so every
		 * step leaves a valid table */
		dbs_column nullable = *c;
		nullable.not_null = false;
		dbs_my_column_def(&b, &nullable);
		if ((rc = dbs_op_put(p, op, &b)))
			goto cleanup;
		dbs_buf_puts(&b, "UPDATE ");
		dbs_quote_ident(&b, MY, L->name);
		dbs_buf_puts(&b, " SET ");
		dbs_quote_ident(&b, MY, c->name);
		dbs_buf_printf(&b, " = %s", fill);
		if ((rc = dbs_op_put(p, op, &b)))
			goto cleanup;
		dbs_put_alter_table(&b, MY, L->name);
		dbs_buf_puts(&b, "MODIFY COLUMN ");
	}
	dbs_my_column_def(&b, c);
	const dbs_constraint *key = dbs_my_key_of_new_autoinc(p, L, W, c);
	if (key) {
		dbs_buf_puts(&b, ", ADD ");
		dbs_render_constraint(&b, MY, key);
		if (!(summary = dbs_arena_printf(a, "%s with its %s", summary, key->kind == DBS_CON_PRIMARY ?
			"primary key" : "unique key"))) {
			rc = dbs_error_oom(p->ctx);
			goto cleanup;
		}
	}
	if ((rc = dbs_op_put(p, op, &b)) || (rc = dbs_op_summary(p, op, "%s", summary)))
		goto cleanup;
	if (!p->plan->opts.add_columns)
		rc = dbs_op_skip(p, op, "AUTO_ADD_COLUMNS is off");
cleanup:
	dbs_buf_free(&b);
	return rc;
}

static int drop_column(dbs_planner *p, const dbs_table *L, const dbs_column *c)
{
	dbs_op_build *op = dbs_planner_op(p, DBS_STAGE_ALTER, DBSYNC_OP_DROP_COLUMN, DBSYNC_RISK_DATA_LOSS, L->name,
		c->name);
	dbs_buf b = DBS_BUF_INIT;
	int rc;
	if (!op)
		return dbs_error_oom(p->ctx);
	dbs_put_alter_table(&b, MY, L->name);
	dbs_buf_puts(&b, "DROP COLUMN ");
	dbs_quote_ident(&b, MY, c->name);
	rc = dbs_op_put(p, op, &b);
	dbs_buf_free(&b);
	if (rc || (rc = dbs_op_summary(p, op, "drop column `%s` from `%s` (no model has it)", c->name, L->name)))
		return rc;
	return p->plan->opts.drop_columns ? 0 : dbs_op_skip(p, op, "AUTO_DROP_COLUMNS is off");
}

/* A column added again goes back where the desired table has it: after the
 * desired column before it when the live table has that one, else FIRST. */
static void put_position(dbs_buf *b, dbs_planner *p, const dbs_table *L, const dbs_table *W, const dbs_column *wc)
{
	const dbs_column *prev = NULL;
	for (size_t i = 0; i < W->columns.n && W->columns.items[i] != wc; i++)
		prev = W->columns.items[i];
	if (!prev) {
		dbs_buf_puts(b, " FIRST");
	} else if (dbs_table_find_column(p->live, L, prev->name)) {
		dbs_buf_puts(b, " AFTER ");
		dbs_quote_ident(b, MY, prev->name);
	}
}

/* MODIFY COLUMN with the full desired definition, after filling NULLs when
 * the column becomes NOT NULL, refused when rows would not survive. */
static int modify_column(dbs_planner *p, const dbs_table *L, const dbs_table *W, const dbs_column *lc,
	const dbs_column *wc, unsigned diff)
{
	dbs_arena *a = &p->plan->arena;
	const char *summary = dbs_arena_printf(a, "modify column `%s` of `%s`%s", wc->name, L->name,
		dbs_planner_label(p, W->name, wc->name));
	const char *fill = NULL;
	int64_t nulls = 0;
	dbs_buf b = DBS_BUF_INIT;
	int rc = 0;
	if (!summary)
		return dbs_error_oom(p->ctx);
	if (!p->plan->opts.alter_columns)
		goto build;
	if ((diff & DBS_COL_TYPE) && lc->type && wc->type) {
		int64_t lost = -1;
		const char *what = NULL;
		if ((rc = dbs_count_lossy(p, L->name, lc, wc, &lost, &what)))
			return rc;
		if (lost > 0) {
			const char *why = dbs_arena_printf(a, "column \"%s\" of \"%s\"%s has %" PRId64 " value%s %s: "
				"changing its type from %s to %s would lose them", wc->name, L->name,
				dbs_planner_field_ref(p, W->name, wc->name), lost, dbs_plural(lost), what, lc->type, wc->type);
			return why ? dbs_planner_refuse(p, DBS_STAGE_ALTER, DBSYNC_OP_ALTER_COLUMN, L->name, wc->name, summary, why)
				: dbs_error_oom(p->ctx);
		}
	}
	if ((diff & DBS_COL_COLLATION) && lc->type && wc->type) {
		/* the collation the column gets: its own, else its table's (diff.c) */
		const char *coll = wc->collation ? wc->collation
			: W->charset || W->collation ? dbs_my_want_table_collation(L, W) : L->collation;
		int64_t lost = -1;
		if ((rc = dbs_my_count_charset_loss(p, L->name, lc->name, coll, &lost)))
			return rc;
		if (lost > 0) {
			const char *why = dbs_arena_printf(a, "column \"%s\" of \"%s\"%s has %" PRId64 " value%s that the "
				"character set of %s cannot hold: converting it would turn those characters into '?'", wc->name,
				L->name, dbs_planner_field_ref(p, W->name, wc->name), lost, dbs_plural(lost), coll);
			return why ? dbs_planner_refuse(p, DBS_STAGE_ALTER, DBSYNC_OP_ALTER_COLUMN, L->name, wc->name, summary, why)
				: dbs_error_oom(p->ctx);
		}
	}
	if (wc->not_null && !lc->not_null && dbs_column_nulls_to_fill(MY, W, wc)) {
		if ((rc = dbs_count_nulls(p, L->name, lc->name, &nulls)))
			return rc;
		if (nulls > 0) {
			dbs_fill_kind kind;
			if ((rc = dbs_not_null_fill(p, W->name, wc, &kind, &fill)))
				return rc;
			if (kind == DBS_FILL_DEFERRED &&
			    !(summary = dbs_arena_printf(a, "%s, NULLs filled from the field's default", summary)))
				return dbs_error_oom(p->ctx);
			if (!fill) {
				const char *why = dbs_fill_refusal(p, L->name, W->name, wc->name, nulls, true);
				return why ? dbs_planner_refuse(p, DBS_STAGE_ALTER, DBSYNC_OP_ALTER_COLUMN, L->name, wc->name, summary,
					why) : dbs_error_oom(p->ctx);
			}
		}
	}
build:;
	/* InnoDB takes AUTO_INCREMENT only on a column that leads a key: when the
	 * key is missing too, its ADD (dbs_my_add_constraint) sets AUTO_INCREMENT
	 * in the same statement, and this one leaves it out */
	dbs_column plain;
	if (diff == DBS_COL_AUTOINCREMENT && !fill && dbs_my_autoinc_leaves_with_key(p, L, lc->name))
		goto cleanup;
	if (dbs_my_autoinc_waits_for_key(p, L, lc, wc)) {
		if (diff == DBS_COL_AUTOINCREMENT && !fill)
			goto cleanup;
		plain = *wc;
		plain.autoincrement = false;
		wc = &plain;
	}
	dbsync_risk risk = diff & (DBS_COL_TYPE | DBS_COL_NOT_NULL | DBS_COL_GENERATED | DBS_COL_COLLATION)
		? DBSYNC_RISK_LOCKING : DBSYNC_RISK_SAFE;
	/* a plain column becoming generated: its stored values are replaced */
	bool replaces = (diff & DBS_COL_GENERATED) && wc->generated_expr && !lc->generated_expr;
	/* MySQL and MariaDB refuse (error 1907) to MODIFY a column into or out of
	 * VIRTUAL, or between VIRTUAL and STORED: it is dropped and added again,
	 * which loses the values of a plain column on either side */
	bool lv = lc->generated_expr && !lc->generated_stored, wv = wc->generated_expr && !wc->generated_stored;
	bool readd = (diff & DBS_COL_GENERATED) && (lv || wv) && (!lc->generated_expr || !wc->generated_expr || lv != wv);
	if (readd && !wc->generated_expr)
		replaces = true; /* the computed values become NULL or the default */
	if (replaces)
		risk = DBSYNC_RISK_DATA_LOSS;
	dbs_op_build *op = dbs_planner_op(p, DBS_STAGE_ALTER, diff ? DBSYNC_OP_ALTER_COLUMN : DBSYNC_OP_COMMENT, risk,
		L->name, wc->name);
	if (!op)
		return dbs_error_oom(p->ctx);
	if (fill) {
		dbs_buf_puts(&b, "UPDATE ");
		dbs_quote_ident(&b, MY, L->name);
		dbs_buf_puts(&b, " SET ");
		dbs_quote_ident(&b, MY, wc->name);
		dbs_buf_printf(&b, " = %s WHERE ", fill);
		dbs_quote_ident(&b, MY, wc->name);
		dbs_buf_puts(&b, " IS NULL");
		if ((rc = dbs_op_put(p, op, &b)))
			goto cleanup;
	}
	dbs_put_alter_table(&b, MY, L->name);
	if (readd) {
		dbs_buf_puts(&b, "DROP COLUMN ");
		dbs_quote_ident(&b, MY, lc->name);
		dbs_buf_puts(&b, ", ADD COLUMN ");
		dbs_my_column_def(&b, wc);
		dbs_my_kept_checks(&b, p, L, W, wc->name);
		put_position(&b, p, L, W, wc);
		summary = dbs_arena_printf(a, "drop and re-add column `%s` of `%s`%s (MySQL cannot change whether a "
			"column is virtual in place)", wc->name, L->name, dbs_planner_label(p, W->name, wc->name));
		if (!summary) {
			rc = dbs_error_oom(p->ctx);
			goto cleanup;
		}
	} else {
		dbs_buf_puts(&b, "MODIFY COLUMN ");
		dbs_my_column_def(&b, wc);
		dbs_my_kept_checks(&b, p, L, W, wc->name);
	}
	if ((rc = dbs_op_put(p, op, &b)) || (rc = dbs_op_summary(p, op, "%s", summary)))
		goto cleanup;
	if (!p->plan->opts.alter_columns)
		rc = dbs_op_skip(p, op, "AUTO_ALTER_COLUMNS is off");
	else if (replaces && !p->plan->opts.drop_columns)
		rc = dbs_op_skip(p, op, wc->generated_expr ? "AUTO_DROP_COLUMNS is off: the column's values would be "
			"replaced by the generated ones" : "AUTO_DROP_COLUMNS is off: the column's computed values would be lost");
cleanup:
	dbs_buf_free(&b);
	return rc;
}

/* ---- tables ---- */

static int create_table(dbs_planner *p, const dbs_table *t)
{
	dbs_op_build *op = dbs_planner_op(p, DBS_STAGE_CREATE_TABLE, DBSYNC_OP_CREATE_TABLE, DBSYNC_RISK_SAFE, t->name,
		NULL);
	dbs_arena scratch;
	dbs_buf b = DBS_BUF_INIT;
	bool off = !p->plan->opts.create_tables;
	int rc = 0;
	dbs_arena_init(&scratch);
	if (!op) {
		rc = dbs_error_oom(p->ctx);
		goto cleanup;
	}
	if ((rc = dbs_op_summary(p, op, "create table `%s`%s", t->name, dbs_planner_label(p, t->name, NULL))))
		goto cleanup;
	/* foreign keys come later, once every table they reference exists */
	dbs_table copy = *t;
	memset(&copy.constraints, 0, sizeof copy.constraints);
	for (size_t i = 0; i < t->constraints.n; i++) {
		const dbs_constraint *k = t->constraints.items[i];
		if (k->kind == DBS_CON_FOREIGN)
			continue;
		dbs_constraint *c = dbs_arena_alloc(&scratch, sizeof *c);
		if (!c || DBS_VEC_PUSH(&scratch, &copy.constraints, c)) {
			rc = dbs_error_oom(p->ctx);
			goto cleanup;
		}
		*c = *k;
		/* a column takes no CONSTRAINT name before UNIQUE: that one goes at
		 * table level; a column CHECK stays inline and unnamed, so MariaDB
		 * names it after its column again */
		if (c->kind == DBS_CON_UNIQUE)
			c->inline_col = false;
		else if (c->kind == DBS_CON_CHECK && c->inline_col)
			c->name = NULL;
	}
	dbs_render_create_table(&b, MY, &copy);
	if ((rc = dbs_op_put(p, op, &b)))
		goto cleanup;
	for (size_t i = 0; i < t->indexes.n; i++) {
		dbs_render_create_index(&b, MY, t, t->indexes.items[i]);
		if ((rc = dbs_op_put(p, op, &b)))
			goto cleanup;
	}
	if (off && (rc = dbs_op_skip(p, op, "AUTO_CREATE_TABLES is off")))
		goto cleanup;
	for (size_t i = 0; i < t->constraints.n && !rc; i++)
		if (t->constraints.items[i]->kind == DBS_CON_FOREIGN)
			rc = dbs_my_add_constraint(p, t, NULL, t->constraints.items[i], off);
cleanup:
	dbs_arena_free(&scratch);
	dbs_buf_free(&b);
	return rc;
}

/* The table's default charset and collation: what a column that names none
 * takes from now on. The columns keep their own; those the desired table
 * wants converted differ on their own (diff.c) and are modified after this. */
static int table_charset(dbs_planner *p, const dbs_table *L, const dbs_table *W)
{
	const char *coll = dbs_my_want_table_collation(L, W);
	dbs_op_build *op = dbs_planner_op(p, DBS_STAGE_ALTER, DBSYNC_OP_ALTER_COLUMN, DBSYNC_RISK_SAFE, L->name, NULL);
	dbs_buf b = DBS_BUF_INIT;
	if (!op)
		return dbs_error_oom(p->ctx);
	dbs_put_alter_table(&b, MY, L->name);
	dbs_buf_puts(&b, "DEFAULT");
	if (W->charset) { /* the shadow reads both back; a table taken as parsed may name only COLLATE= */
		dbs_buf_puts(&b, " CHARACTER SET ");
		dbs_render_word(&b, MY, W->charset);
	}
	if (coll) {
		dbs_buf_puts(&b, " COLLATE ");
		dbs_render_word(&b, MY, coll);
	}
	int rc = dbs_op_put(p, op, &b);
	dbs_buf_free(&b);
	if (rc || (rc = dbs_op_summary(p, op, "set the default charset of table `%s` to %s (collation %s; was %s, %s)",
		L->name, W->charset ? W->charset : "that of its collation", coll ? coll : "its default",
		L->charset ? L->charset : "?",
		L->collation ? L->collation : "?")))
		return rc;
	return p->plan->opts.alter_columns ? 0 : dbs_op_skip(p, op, "AUTO_ALTER_COLUMNS is off");
}

static int plan_table(dbs_planner *p, const dbs_table_diff *td)
{
	const dbs_table *L = td->live, *W = td->want;
	int rc = 0;
	for (size_t i = 0; i < td->changes.n && !rc; i++) {
		const dbs_change *ch = &td->changes.items[i];
		switch (ch->kind) {
		case DBS_CH_ADD_COLUMN:
			rc = add_column(p, L, W, ch->want_col);
			break;
		case DBS_CH_DROP_COLUMN:
			rc = drop_column(p, L, ch->live_col);
			break;
		case DBS_CH_ALTER_COLUMN:
			rc = modify_column(p, L, W, ch->live_col, ch->want_col, ch->col_diff);
			break;
		case DBS_CH_ADD_CONSTRAINT:
			/* a key whose comment alone changes goes with its drop */
			if (!dbs_my_recommented_key(td, ch->want_con))
				rc = dbs_my_add_constraint(p, W, L, ch->want_con, false);
			break;
		case DBS_CH_DROP_CONSTRAINT: {
			const dbs_constraint *wk = dbs_my_recommented_key(td, ch->live_con);
			rc = wk ? dbs_my_recomment_key(p, L, ch->live_con, wk) : dbs_my_drop_constraint(p, L, ch->live_con);
			break;
		}
		case DBS_CH_ADD_INDEX:
			rc = dbs_my_add_index(p, W, L, ch->want_ix);
			break;
		case DBS_CH_DROP_INDEX:
			rc = dbs_my_drop_index(p, L, ch->live_ix);
			break;
		case DBS_CH_TABLE_OPTIONS:
			rc = table_charset(p, L, W);
			break;
		case DBS_CH_RENAME_CONSTRAINT: /* PostgreSQL only (diff.c) */
		case DBS_CH_RENAME_INDEX:
			break;
		}
	}
	return rc;
}

/* Comments are not part of the diff's column comparison: a column whose
 * comment alone differs is modified with its full definition. */
static int plan_comments(dbs_planner *p, const dbs_table *L, const dbs_table *W, const dbs_table_diff *td)
{
	int rc = 0;
	if (!dbs_str_eq(L->comment, W->comment)) {
		dbs_op_build *op = dbs_planner_op(p, DBS_STAGE_COMMENT, DBSYNC_OP_COMMENT, DBSYNC_RISK_SAFE, L->name, NULL);
		dbs_buf b = DBS_BUF_INIT;
		if (!op)
			return dbs_error_oom(p->ctx);
		dbs_put_alter_table(&b, MY, L->name);
		dbs_buf_puts(&b, "COMMENT = ");
		dbs_quote_literal(&b, MY, W->comment ? W->comment : "");
		rc = dbs_op_put(p, op, &b);
		dbs_buf_free(&b);
		if (rc || (rc = dbs_op_summary(p, op, "%s comment of table `%s`", W->comment ? "set" : "remove", L->name)))
			return rc;
	}
	for (size_t i = 0; i < W->columns.n && !rc; i++) {
		const dbs_column *wc = W->columns.items[i];
		const dbs_column *lc = dbs_table_find_column(p->live, L, wc->name);
		if (!lc || dbs_str_eq(lc->comment, wc->comment))
			continue;
		bool altered = false;
		for (size_t j = 0; td && j < td->changes.n; j++)
			altered |= td->changes.items[j].kind == DBS_CH_ALTER_COLUMN && td->changes.items[j].want_col == wc;
		if (!altered)
			rc = modify_column(p, L, W, lc, wc, 0);
	}
	return rc;
}

int dbs_plan_mysql(dbs_planner *p)
{
	int rc = 0;
	for (size_t i = 0; i < p->diff.tables.n && !rc; i++) {
		const dbs_table_diff *td = p->diff.tables.items[i];
		rc = td->live ? dbs_plan_isolated(p, td, plan_table) : create_table(p, td->want);
	}
	for (size_t i = 0; i < p->want->tables.n && !rc; i++) {
		const dbs_table *W = p->want->tables.items[i];
		const dbs_table *L = dbs_schema_find_table(p->live, W->name);
		if (L)
			rc = plan_comments(p, L, W, dbs_diff_find(&p->diff, W->name));
	}
	if (!rc)
		rc = dbs_my_rebuild_dependent_fks(p);
	if (!rc)
		rc = dbs_my_order_fk_index_drops(p);
	return rc;
}

const char *dbs_my_default_fill(dbs_arena *a, const char *expr, bool *oom)
{
	*oom = false;
	return dbs_expr_is_literal(expr, false) ? expr : NULL;
}
