/*
 * Constraints, indexes and foreign keys of the MySQL planner, each addition
 * counted first (plan_precount.h) and refused when existing rows would
 * break it.
 */
#include <inttypes.h>

#include "ctx.h"
#include "dialect.h"
#include "plan_fk_moves.h"
#include "plan_mysql.h"
#include "plan_precount.h"
#include "render.h"
#include "render_constraint.h"

/* What the counted rows are, for a refusal. */
static const char *bad_rows(dbs_con_kind kind, int64_t n)
{
	switch (kind) {
	case DBS_CON_PRIMARY:
	case DBS_CON_UNIQUE:
		return n == 1 ? "duplicate value group" : "duplicate value groups";
	case DBS_CON_CHECK:
		return n == 1 ? "row breaking it" : "rows breaking it";
	case DBS_CON_FOREIGN:
	case DBS_CON_EXCLUDE: /* PostgreSQL only */
		break;
	}
	return n == 1 ? "row without a referenced row" : "rows without a referenced row";
}

/* What to call a constraint in messages, quoting included: `its name`, or, for
 * one the DDL left unnamed (the server would name it), its definition. */
static const char *con_label(dbs_planner *p, const dbs_constraint *k)
{
	if (k->name || k->kind == DBS_CON_PRIMARY)
		return dbs_arena_printf(&p->plan->arena, "`%s`", k->name ? k->name : "PRIMARY");
	if (k->kind == DBS_CON_CHECK)
		return dbs_arena_printf(&p->plan->arena, "CHECK (%s)", k->check_expr ? k->check_expr : "");
	dbs_buf b = DBS_BUF_INIT;
	dbs_buf_puts(&b, k->kind == DBS_CON_UNIQUE ? "UNIQUE (" : "FOREIGN KEY (");
	dbs_render_names(&b, MY, &k->cols);
	dbs_buf_putc(&b, ')');
	const char *label = dbs_buf_ok(&b) ? dbs_arena_strdup(&p->plan->arena, dbs_buf_cstr(&b)) : NULL;
	dbs_buf_free(&b);
	return label;
}

static int con_op(dbs_planner *p, const dbs_table *W, const dbs_table *L, const dbs_constraint *k, bool skipped,
	int64_t bad)
{
	bool fk = k->kind == DBS_CON_FOREIGN;
	const char *table = L ? L->name : W->name;
	const char *name = con_label(p, k);
	if (!name)
		return dbs_error_oom(p->ctx);
	/* an unnamed one's label is its definition, which already says what it is */
	const char *what = !k->name && k->kind != DBS_CON_PRIMARY ? "" : fk ? "foreign key " :
		k->kind == DBS_CON_UNIQUE ? "unique constraint " : k->kind == DBS_CON_CHECK ? "check constraint " :
		"primary key ";
	const char *summary = dbs_arena_printf(&p->plan->arena, "add %s%s to `%s`", what, name, table);
	int stage = fk ? DBS_STAGE_ADD_FK : DBS_STAGE_ADD_INDEX;
	dbsync_op_kind kind = fk ? DBSYNC_OP_ADD_FOREIGN_KEY : DBSYNC_OP_ADD_CONSTRAINT;
	if (!summary)
		return dbs_error_oom(p->ctx);
	if (bad > 0) {
		const char *cols = k->cols.n == 1 ? k->cols.items[0] : NULL;
		const char *why = dbs_arena_printf(&p->plan->arena, "%s on \"%s\"%s: %" PRId64 " %s", summary + 4, table,
			cols ? dbs_planner_field_ref(p, W->name, cols) : "", bad, bad_rows(k->kind, bad));
		return why ? dbs_planner_refuse(p, stage, kind, table, k->name, summary, why) : dbs_error_oom(p->ctx);
	}
	dbs_op_build *op = dbs_planner_op(p, stage, kind, L && !fk ? DBSYNC_RISK_LOCKING : DBSYNC_RISK_SAFE, table, k->name);
	dbs_buf b = DBS_BUF_INIT;
	int rc;
	if (!op)
		return dbs_error_oom(p->ctx);
	op->key = k;
	dbs_put_alter_table(&b, MY, table);
	const dbs_column *c = k->kind == DBS_CON_CHECK && k->inline_col && k->cols.n == 1 && L ?
		dbs_table_find_column(p->want, W, k->cols.items[0]) : NULL;
	if (c) {
		/* MariaDB keeps a column's CHECK with the column: written inline */
		dbs_buf_puts(&b, "MODIFY COLUMN ");
		dbs_my_column_def(&b, c);
		dbs_buf_printf(&b, " CHECK (%s)", k->check_expr);
	} else {
		dbs_buf_puts(&b, "ADD ");
		dbs_render_constraint(&b, MY, k);
	}
	const dbs_column *lead = L && k->cols.n && (k->kind == DBS_CON_PRIMARY || k->kind == DBS_CON_UNIQUE) ?
		dbs_table_find_column(p->want, W, k->cols.items[0]) : NULL;
	if (lead && dbs_my_autoinc_waits_for_key(p, L, dbs_table_find_column(p->live, L, lead->name), lead)) {
		/* the key and the column's AUTO_INCREMENT need each other */
		dbs_buf_puts(&b, ", MODIFY COLUMN ");
		dbs_my_column_def(&b, lead);
		dbs_my_kept_checks(&b, p, L, W, lead->name);
		summary = dbs_arena_printf(&p->plan->arena, "%s with AUTO_INCREMENT on `%s`", summary, lead->name);
		if (!summary) {
			rc = dbs_error_oom(p->ctx);
			goto cleanup;
		}
	}
	if ((rc = dbs_op_put(p, op, &b)) || (rc = dbs_op_summary(p, op, "%s", summary)))
		goto cleanup;
	if (skipped)
		rc = dbs_op_skip(p, op, "AUTO_CREATE_TABLES is off");
cleanup:
	dbs_buf_free(&b);
	return rc;
}

int dbs_my_add_constraint(dbs_planner *p, const dbs_table *W, const dbs_table *L, const dbs_constraint *k,
	bool skipped)
{
	int64_t bad = 0;
	int rc = 0;
	const dbs_column *lead = L && k->cols.n ? dbs_table_find_column(p->want, W, k->cols.items[0]) : NULL;
	if (lead && dbs_my_key_of_new_autoinc(p, L, W, lead) == k)
		return 0; /* added with its column (add_column) */
	const char *missing = L ? dbs_my_unplanned_column(p, L, &k->cols) : NULL;
	if (missing)
		return dbs_my_skip_for_column(p, L->name, k->name, con_label(p, k), k->kind == DBS_CON_FOREIGN ?
			DBSYNC_OP_ADD_FOREIGN_KEY : DBSYNC_OP_ADD_CONSTRAINT, missing);
	/* a column this plan adds holds only NULLs and defaults: nothing to count yet */
	bool fresh = false;
	for (size_t i = 0; L && i < k->cols.n; i++)
		fresh |= !dbs_table_find_column(p->live, L, k->cols.items[i]);
	if (L && !fresh) {
		switch (k->kind) {
		case DBS_CON_PRIMARY:
		case DBS_CON_UNIQUE:
			rc = dbs_count_duplicates(p, L->name, &k->cols, false, NULL, &bad);
			break;
		case DBS_CON_CHECK:
			rc = k->check_expr ? dbs_count_check_fails(p, L->name, k->check_expr, &bad) : 0;
			break;
		case DBS_CON_FOREIGN:
			rc = dbs_count_orphans(p, L->name, k, &bad);
			break;
		case DBS_CON_EXCLUDE: /* PostgreSQL only */
			break;
		}
		/* a table-level CHECK over a column this plan adds */
		if (rc && dbsync_ctx_error(p->ctx)->native_code == 1054)
			rc = 0, bad = 0;
	}
	return rc ? rc : con_op(p, W, L, k, skipped, bad);
}

int dbs_my_drop_constraint(dbs_planner *p, const dbs_table *L, const dbs_constraint *k)
{
	bool fk = k->kind == DBS_CON_FOREIGN;
	dbs_op_build *op = dbs_planner_op(p, fk ? DBS_STAGE_DROP_FK : DBS_STAGE_DROP_INDEX,
		fk ? DBSYNC_OP_DROP_FOREIGN_KEY : DBSYNC_OP_DROP_CONSTRAINT, DBSYNC_RISK_SAFE, L->name,
		k->name ? k->name : "PRIMARY");
	dbs_buf b = DBS_BUF_INIT;
	int rc;
	if (!op)
		return dbs_error_oom(p->ctx);
	dbs_put_alter_table(&b, MY, L->name);
	switch (k->kind) {
	case DBS_CON_PRIMARY:
		/* InnoDB keeps AUTO_INCREMENT only on a key: a key column losing both
		 * loses AUTO_INCREMENT in the same statement (modify_column leaves it) */
		for (size_t i = 0; i < k->cols.n; i++) {
			const dbs_column *lc = dbs_my_autoinc_leaves_with_key(p, L, k->cols.items[i]);
			if (!lc)
				continue;
			dbs_column plain = *lc;
			plain.autoincrement = false;
			dbs_buf_puts(&b, "MODIFY COLUMN ");
			dbs_my_column_def(&b, &plain);
			dbs_my_kept_checks(&b, p, L, L, lc->name);
			dbs_buf_puts(&b, ", ");
		}
		dbs_buf_puts(&b, "DROP PRIMARY KEY");
		break;
	case DBS_CON_UNIQUE:
		dbs_buf_puts(&b, "DROP INDEX ");
		dbs_quote_ident(&b, MY, k->name ? k->name : "");
		break;
	case DBS_CON_CHECK:
		dbs_buf_puts(&b, "DROP CONSTRAINT ");
		dbs_quote_ident(&b, MY, k->name ? k->name : "");
		break;
	case DBS_CON_FOREIGN:
		dbs_buf_puts(&b, "DROP FOREIGN KEY ");
		dbs_quote_ident(&b, MY, k->name ? k->name : "");
		break;
	case DBS_CON_EXCLUDE: /* PostgreSQL only */
		break;
	}
	rc = dbs_op_put(p, op, &b);
	dbs_buf_free(&b);
	return rc ? rc : dbs_op_summary(p, op, "drop %s `%s` of `%s`", fk ? "foreign key" : "constraint",
		k->name ? k->name : "PRIMARY", L->name);
}

const dbs_constraint *dbs_my_recommented_key(const dbs_table_diff *td, const dbs_constraint *k)
{
	if (k->kind != DBS_CON_PRIMARY && k->kind != DBS_CON_UNIQUE)
		return NULL;
	bool live = false;
	for (size_t i = 0; i < td->changes.n; i++)
		live |= td->changes.items[i].kind == DBS_CH_DROP_CONSTRAINT && td->changes.items[i].live_con == k;
	for (size_t i = 0; i < td->changes.n; i++) {
		const dbs_change *ch = &td->changes.items[i];
		const dbs_constraint *other = live ? ch->want_con : ch->live_con;
		if (ch->kind != (live ? DBS_CH_ADD_CONSTRAINT : DBS_CH_DROP_CONSTRAINT) || other->kind != k->kind ||
		    dbs_str_eq(other->comment, k->comment) ||
		    (k->kind == DBS_CON_UNIQUE && (!k->name || !other->name || !dbs_name_eq(MY, k->name, other->name))))
			continue;
		dbs_constraint same = *other;
		same.comment = k->comment;
		if (dbs_constraint_equal(MY, &same, k))
			return other;
	}
	return NULL;
}

int dbs_my_recomment_key(dbs_planner *p, const dbs_table *L, const dbs_constraint *lk, const dbs_constraint *wk)
{
	bool pk = lk->kind == DBS_CON_PRIMARY;
	dbs_op_build *op = dbs_planner_op(p, DBS_STAGE_ALTER, DBSYNC_OP_ADD_CONSTRAINT, DBSYNC_RISK_LOCKING, L->name,
		pk ? "PRIMARY" : wk->name);
	dbs_buf b = DBS_BUF_INIT;
	if (!op)
		return dbs_error_oom(p->ctx);
	/* one statement: the key is never missing (nor an AUTO_INCREMENT column's only key) */
	dbs_put_alter_table(&b, MY, L->name);
	if (pk) {
		dbs_buf_puts(&b, "DROP PRIMARY KEY");
	} else {
		dbs_buf_puts(&b, "DROP INDEX ");
		dbs_quote_ident(&b, MY, lk->name);
	}
	dbs_buf_puts(&b, ", ADD ");
	dbs_render_constraint(&b, MY, wk);
	int rc = dbs_op_put(p, op, &b);
	dbs_buf_free(&b);
	if (rc || (rc = dbs_op_summary(p, op, "%s comment of %s `%s` of `%s` (re-creates the key)",
		wk->comment ? "set" : "remove", pk ? "primary key" : "unique key", pk ? "PRIMARY" : wk->name, L->name)))
		return rc;
	return p->plan->opts.sync_indexes ? 0 : dbs_op_skip(p, op, "sync_indexes is off");
}

int dbs_my_add_index(dbs_planner *p, const dbs_table *W, const dbs_table *L, const dbs_index *ix)
{
	int64_t dups = 0;
	int rc;
	for (size_t i = 0; i < ix->parts.n; i++) {
		dbs_str_vec one = { 0 };
		const char *c = ix->parts.items[i].column;
		if (!c || DBS_VEC_PUSH(&p->plan->arena, &one, c))
			continue;
		const char *missing = dbs_my_unplanned_column(p, L, &one);
		if (missing)
			return dbs_my_skip_for_column(p, L->name, ix->name,
				dbs_arena_printf(&p->plan->arena, "`%s`", ix->name), DBSYNC_OP_ADD_INDEX, missing);
	}
	if (ix->unique) {
		dbs_str_vec cols = { 0 };
		bool plain = true;
		for (size_t i = 0; i < ix->parts.n && plain; i++)
			plain = ix->parts.items[i].column && !DBS_VEC_PUSH(&p->plan->arena, &cols, ix->parts.items[i].column);
		if (plain && (rc = dbs_count_duplicates(p, L->name, &cols, false, NULL, &dups))) {
			if (dbsync_ctx_error(p->ctx)->native_code != 1054)
				return rc;
			dups = 0;
		}
	}
	const char *summary = dbs_arena_printf(&p->plan->arena, "add index `%s` to `%s`", ix->name, L->name);
	if (!summary)
		return dbs_error_oom(p->ctx);
	if (dups > 0) {
		const char *why = dbs_arena_printf(&p->plan->arena, "unique index \"%s\" on \"%s\": %" PRId64
			" duplicate value group%s", ix->name, L->name, dups, dbs_plural(dups));
		return why ? dbs_planner_refuse(p, DBS_STAGE_ADD_INDEX, DBSYNC_OP_ADD_INDEX, L->name, ix->name, summary, why)
			: dbs_error_oom(p->ctx);
	}
	dbs_op_build *op = dbs_planner_op(p, DBS_STAGE_ADD_INDEX, DBSYNC_OP_ADD_INDEX, DBSYNC_RISK_LOCKING, L->name,
		ix->name);
	dbs_buf b = DBS_BUF_INIT;
	if (!op)
		return dbs_error_oom(p->ctx);
	dbs_render_create_index(&b, MY, W, ix);
	rc = dbs_op_put(p, op, &b);
	dbs_buf_free(&b);
	if (rc || (rc = dbs_op_summary(p, op, "%s", summary)))
		return rc;
	return p->plan->opts.sync_indexes ? 0 : dbs_op_skip(p, op, "sync_indexes is off");
}

int dbs_my_drop_index(dbs_planner *p, const dbs_table *L, const dbs_index *ix)
{
	dbs_op_build *op = dbs_planner_op(p, DBS_STAGE_DROP_INDEX, DBSYNC_OP_DROP_INDEX, DBSYNC_RISK_SAFE, L->name,
		ix->name);
	dbs_buf b = DBS_BUF_INIT;
	int rc;
	if (!op)
		return dbs_error_oom(p->ctx);
	dbs_buf_puts(&b, "DROP INDEX ");
	dbs_quote_ident(&b, MY, ix->name);
	dbs_buf_puts(&b, " ON ");
	dbs_quote_ident(&b, MY, L->name);
	rc = dbs_op_put(p, op, &b);
	dbs_buf_free(&b);
	if (rc || (rc = dbs_op_summary(p, op, "drop index `%s` of `%s`", ix->name, L->name)))
		return rc;
	return p->plan->opts.sync_indexes ? 0 : dbs_op_skip(p, op, "sync_indexes is off");
}

/* ---- foreign keys over a column whose type changes ---- */

/* The walk's choice (plan_fk_moves.h): named keys of this schema's tables. */
static bool considered(const dbs_planner *p, const dbs_table *t, const dbs_constraint *k, bool kept,
	const void *arg)
{
	return k->name && !kept;
}

static bool retyped(const dbs_planner *p, const char *table, const char *column)
{
	return dbs_diff_retypes_column(MY, &p->diff, table, column);
}

static int rebuild(dbs_planner *p, const dbs_table *L, const dbs_constraint *k)
{
	const dbs_table *W = dbs_schema_find_table(p->want, L->name);
	int rc = dbs_my_drop_constraint(p, L, k);
	return rc ? rc : con_op(p, W, L, k, false, 0);
}

/* MySQL refuses to change the type of a column a foreign key uses, on either
 * side: such keys are dropped first and added back after the change. */
int dbs_my_rebuild_dependent_fks(dbs_planner *p)
{
	return dbs_plan_rebuild_moved_fks(p, considered, NULL, retyped, rebuild);
}
