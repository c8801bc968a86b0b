/*
 * Constraints, indexes and foreign keys of the PostgreSQL plan: dropped by
 * name, added as the desired DDL wrote them, each addition counted against
 * the rows first (duplicate groups for UNIQUE and PRIMARY KEY, NULL keys,
 * rows failing a CHECK, rows referencing nothing) and refused with the count
 * when rows would break it. Foreign keys whose own or referenced key changes
 * type are dropped first and added back last, as Django's alter_field does.
 */
#include <inttypes.h>
#include <string.h>

#include "ctx.h"
#include "dialect.h"
#include "plan_depend.h"
#include "plan_fk_moves.h"
#include "plan_postgres.h"
#include "plan_precount.h"
#include "render.h"
#include "render_constraint.h"
#include "render_postgres.h"

static const char *kind_word(dbs_con_kind k)
{
	switch (k) {
	case DBS_CON_PRIMARY: return "primary key";
	case DBS_CON_UNIQUE: return "unique constraint";
	case DBS_CON_CHECK: return "check constraint";
	case DBS_CON_FOREIGN: return "foreign key";
	case DBS_CON_EXCLUDE: return "exclusion constraint";
	}
	return "constraint";
}

static void describe_cols(dbs_buf *b, const dbs_str_vec *cols)
{
	for (size_t i = 0; i < cols->n; i++)
		dbs_buf_printf(b, "%s`%s`", i ? ", " : "", cols->items[i]);
}

/* "`name`" or "(`a`, `b`)" for summaries. */
static const char *con_label(dbs_planner *p, const dbs_constraint *k)
{
	dbs_buf *b = &p->tmp;
	dbs_buf_clear(b);
	if (k->name) {
		dbs_buf_printf(b, "`%s`", k->name);
	} else if (k->kind == DBS_CON_CHECK) {
		dbs_buf_printf(b, "(%s)", k->check_expr ? k->check_expr : "");
	} else {
		dbs_buf_putc(b, '(');
		describe_cols(b, &k->cols);
		dbs_buf_putc(b, ')');
	}
	const char *s = dbs_arena_strdup(&p->plan->arena, dbs_buf_cstr(b));
	return s ? s : "?";
}

/* ---- constraints and foreign keys ---- */

static int add_constraint_sql(dbs_planner *p, dbs_op_build *op, const char *table, const dbs_constraint *k)
{
	dbs_buf b = DBS_BUF_INIT;
	dbs_put_alter_table(&b, PG, table);
	dbs_buf_puts(&b, "ADD ");
	dbs_render_constraint(&b, PG, k);
	int rc = dbs_op_put(p, op, &b);
	dbs_buf_free(&b);
	return rc;
}

static int drop_constraint_sql(dbs_planner *p, dbs_op_build *op, const char *table, const char *name)
{
	dbs_buf b = DBS_BUF_INIT;
	dbs_put_alter_table(&b, PG, table);
	dbs_buf_puts(&b, "DROP CONSTRAINT ");
	dbs_quote_ident(&b, PG, name);
	int rc = dbs_op_put(p, op, &b);
	dbs_buf_free(&b);
	return rc;
}

/* How many rows would break constraint k of an existing table; 0 when it
 * involves a column this plan adds (that column has no rows to count yet). */
static int count_breaking(dbs_planner *p, const pg_table *pt, const dbs_constraint *k, int64_t *out,
	const char **what)
{
	*out = 0;
	*what = "";
	for (size_t i = 0; pt && i < k->cols.n; i++)
		if (dbs_pg_has_name(&pt->added, k->cols.items[i]))
			return 0;
	switch (k->kind) {
	case DBS_CON_PRIMARY: {
		int64_t nulls = 0;
		for (size_t i = 0; i < k->cols.n; i++) {
			int64_t n;
			int rc = dbs_count_nulls(p, pt->L->name, k->cols.items[i], &n);
			if (rc)
				return rc;
			nulls += n;
		}
		if (nulls) {
			*out = nulls;
			*what = " NULL key value";
			return 0;
		}
		*what = " group of rows sharing a key";
		return dbs_count_duplicates(p, pt->L->name, &k->cols, true, NULL, out);
	}
	case DBS_CON_UNIQUE:
		*what = " group of rows sharing a value";
		return dbs_count_duplicates(p, pt->L->name, &k->cols, false, NULL, out);
	case DBS_CON_CHECK:
		for (size_t i = 0; i < pt->added.n; i++) {
			dbs_buf q = DBS_BUF_INIT;
			dbs_quote_ident(&q, PG, pt->added.items[i]);
			bool mentions = !dbs_buf_ok(&q) || strstr(k->check_expr, dbs_buf_cstr(&q));
			dbs_buf_free(&q);
			if (mentions)
				return 0;
		}
		*what = " row that fail";
		return dbs_count_check_fails(p, pt->L->name, k->check_expr, out);
	case DBS_CON_FOREIGN:
		*what = " row that reference";
		return dbs_count_orphans(p, pt->L->name, k, out);
	case DBS_CON_EXCLUDE:
		/* pairs of rows in conflict take the operator classes to count;
		 * the server checks them when the constraint is added, in the
		 * plan's transaction */
		return 0;
	}
	return 0;
}

static int refusal_reason(dbs_planner *p, dbs_op_build *op, const char *table, const dbs_constraint *k, int64_t n,
	const char *what)
{
	switch (k->kind) {
	case DBS_CON_CHECK:
		return dbs_op_reason(p, op, "\"%s\" has %" PRId64 " row%s that fail%s CHECK (%s): fix them first",
			table, n, dbs_plural(n), n == 1 ? "s" : "", k->check_expr);
	case DBS_CON_FOREIGN:
		return dbs_op_reason(p, op, "\"%s\" has %" PRId64 " row%s that reference%s no row of \"%s\": fix or "
			"clear them first", table, n, dbs_plural(n), n == 1 ? "s" : "", k->ref_table);
	default:
		/* what: " group of rows sharing a value"; the plural goes on its first word */
		{
			size_t word = strcspn(what + 1, " ") + 1;
			return dbs_op_reason(p, op, "\"%s\" has %" PRId64 "%.*s%s%s for the new %s %s: remove the "
				"duplicates first", table, n, (int)word, what, dbs_plural(n), what + word,
				kind_word(k->kind), con_label(p, k));
		}
	}
}

/* Add constraint k of table `table` (pt: the existing table, or NULL for a new one). */
int dbs_pg_add_constraint(dbs_planner *p, const pg_table *pt, const char *table, const dbs_constraint *k,
	bool skipped, const char *skip_reason)
{
	bool fk = k->kind == DBS_CON_FOREIGN;
	/* keys build an index; a check or foreign key added to a table that
	 * exists scans its rows under a lock that blocks other sessions' writes */
	bool locking = k->kind == DBS_CON_PRIMARY || k->kind == DBS_CON_UNIQUE || k->kind == DBS_CON_EXCLUDE ||
		pt != NULL;
	dbs_constraint src = dbs_pg_source_constraint(p, table, k);
	dbs_op_build *op = dbs_planner_op(p, fk ? DBS_STAGE_ADD_FK : DBS_STAGE_ADD_INDEX,
		fk ? DBSYNC_OP_ADD_FOREIGN_KEY : DBSYNC_OP_ADD_CONSTRAINT,
		locking ? DBSYNC_RISK_LOCKING : DBSYNC_RISK_SAFE, table, k->name);
	int rc;
	if (!op)
		return dbs_error_oom(p->ctx);
	if ((rc = dbs_op_summary(p, op, "add %s %s to `%s`", kind_word(k->kind), con_label(p, k), table)) ||
	    (rc = add_constraint_sql(p, op, table, &src)))
		return rc;
	if (k->comment && k->name) {
		/* with the constraint, so a skipped or refused one takes it along */
		dbs_buf b = DBS_BUF_INIT;
		dbs_pg_render_constraint_comment(&b, table, k->name, k->comment);
		rc = dbs_op_put(p, op, &b);
		dbs_buf_free(&b);
		if (rc)
			return rc;
	}
	if (skipped)
		return dbs_op_skip(p, op, skip_reason);
	if (!pt)
		return 0;
	int64_t n;
	const char *what;
	if ((rc = count_breaking(p, pt, k, &n, &what)))
		return rc;
	if (n > 0) {
		op->op.status = DBSYNC_STATUS_REFUSED;
		op->op.n_sql = 0;
		return refusal_reason(p, op, table, k, n, what);
	}
	return 0;
}

static int drop_constraint(dbs_planner *p, const char *table, const dbs_constraint *k, bool skipped,
	const char *reason)
{
	bool fk = k->kind == DBS_CON_FOREIGN;
	dbs_op_build *op = dbs_planner_op(p, fk ? DBS_STAGE_DROP_FK : DBS_STAGE_DROP_INDEX,
		fk ? DBSYNC_OP_DROP_FOREIGN_KEY : DBSYNC_OP_DROP_CONSTRAINT, DBSYNC_RISK_SAFE, table, k->name);
	int rc;
	if (!op)
		return dbs_error_oom(p->ctx);
	if ((rc = dbs_op_summary(p, op, "drop %s %s from `%s`%s", kind_word(k->kind), con_label(p, k), table,
		reason ? reason : "")) ||
	    (rc = drop_constraint_sql(p, op, table, k->name)))
		return rc;
	return skipped ? dbs_op_skip(p, op, "sync_indexes is off") : 0;
}

/* ---- renames ---- */

/* A constraint or index the desired schema has under another name: renamed
 * in place (the index behind a key follows its constraint), its comment set
 * when that differs too. */
static int rename_op(dbs_planner *p, const pg_table *pt, const dbs_change *ch)
{
	bool con = ch->kind == DBS_CH_RENAME_CONSTRAINT;
	const char *from = con ? ch->live_con->name : ch->live_ix->name;
	const char *to = con ? ch->want_con->name : ch->want_ix->name;
	const char *table = pt->L->name;
	dbs_op_build *op = dbs_planner_op(p, DBS_STAGE_RENAME_KEYS, con ? DBSYNC_OP_RENAME_CONSTRAINT : DBSYNC_OP_RENAME_INDEX,
		DBSYNC_RISK_SAFE, table, to);
	if (!op)
		return dbs_error_oom(p->ctx);
	dbs_buf b = DBS_BUF_INIT;
	if (con) {
		dbs_put_alter_table(&b, PG, table);
		dbs_buf_puts(&b, "RENAME CONSTRAINT ");
	} else {
		dbs_buf_puts(&b, "ALTER INDEX ");
	}
	dbs_quote_ident(&b, PG, from);
	dbs_buf_puts(&b, con ? " TO " : " RENAME TO ");
	dbs_quote_ident(&b, PG, to);
	int rc = dbs_op_put(p, op, &b);
	const char *live_comment = con ? ch->live_con->comment : ch->live_ix->comment;
	const char *want_comment = con ? ch->want_con->comment : ch->want_ix->comment;
	if (!rc && !dbs_str_eq(live_comment, want_comment)) {
		if (con)
			dbs_pg_render_constraint_comment(&b, table, to, want_comment);
		else
			dbs_pg_render_comment(&b, "INDEX", to, NULL, want_comment);
		rc = dbs_op_put(p, op, &b);
	}
	dbs_buf_free(&b);
	if (rc || (rc = dbs_op_summary(p, op, "rename %s `%s` of `%s` to `%s`",
		con ? kind_word(ch->live_con->kind) : "index", from, table, to)))
		return rc;
	return p->plan->opts.sync_indexes ? 0 : dbs_op_skip(p, op, "sync_indexes is off");
}

/* ---- indexes ---- */

static int index_op(dbs_planner *p, const pg_table *pt, const dbs_change *ch)
{
	bool add = ch->kind == DBS_CH_ADD_INDEX;
	const dbs_index *ix = add ? ch->want_ix : ch->live_ix;
	const char *table = pt->L->name;
	dbs_op_build *op = dbs_planner_op(p, add ? DBS_STAGE_ADD_INDEX : DBS_STAGE_DROP_INDEX,
		add ? DBSYNC_OP_ADD_INDEX : DBSYNC_OP_DROP_INDEX, add ? DBSYNC_RISK_LOCKING : DBSYNC_RISK_SAFE, table,
		ix->name);
	dbs_buf b = DBS_BUF_INIT;
	int rc = 0;
	if (!op)
		return dbs_error_oom(p->ctx);
	if (add) {
		dbs_pg_render_create_index(&b, table, dbs_pg_source_index(p, pt->W->name, ix));
		if (ix->comment && !(rc = dbs_op_put(p, op, &b)))
			dbs_pg_render_comment(&b, "INDEX", ix->name, NULL, ix->comment);
	} else {
		dbs_buf_puts(&b, "DROP INDEX ");
		dbs_quote_ident(&b, PG, ix->name);
	}
	rc = rc ? rc : dbs_op_put(p, op, &b);
	dbs_buf_free(&b);
	if (rc || (rc = dbs_op_summary(p, op, "%s index `%s` %s `%s`%s%s", add ? "create" : "drop", ix->name,
		add ? "on" : "from", table, ch->redefined ? " (definition changed)" : "",
		dbs_planner_label(p, pt->W->name, NULL))))
		return rc;
	if (!p->plan->opts.sync_indexes)
		return dbs_op_skip(p, op, "sync_indexes is off");
	if (!add || !ix->unique)
		return 0;
	dbs_str_vec cols = { 0 };
	for (size_t i = 0; i < ix->parts.n; i++) {
		const char *c = ix->parts.items[i].column;
		if (!c || dbs_pg_has_name(&pt->added, c))
			return 0; /* expressions and new columns: not counted */
		if (DBS_VEC_PUSH(&p->plan->arena, &cols, c))
			return dbs_error_oom(p->ctx);
	}
	int64_t n;
	if ((rc = dbs_count_duplicates(p, table, &cols, false, ix->where_expr, &n)))
		return rc;
	if (n > 0) {
		op->op.status = DBSYNC_STATUS_REFUSED;
		op->op.n_sql = 0;
		return dbs_op_reason(p, op, "\"%s\" has %" PRId64 " group%s of rows sharing a value for the new "
			"unique index `%s`: remove the duplicates first", table, n, dbs_plural(n), ix->name);
	}
	return 0;
}

/* A live constraint or index only on columns no model has stays with them:
 * dropped along with the column, or kept while the column is. */
static bool on_extra_columns(const pg_table *pt, const dbs_str_vec *cols)
{
	for (size_t i = 0; i < cols->n; i++)
		if (!dbs_table_find_column(pt->p->want, pt->W, cols->items[i]))
			return true;
	return false;
}

static bool index_on_extra(const pg_table *pt, const dbs_index *ix)
{
	for (size_t i = 0; i < ix->parts.n; i++) {
		const char *c = ix->parts.items[i].column;
		if (c && !dbs_table_find_column(pt->p->want, pt->W, c))
			return true;
	}
	return false;
}

/* The first column of `cols` this plan does not add, or NULL. */
static const char *absent_of(const pg_table *pt, const dbs_str_vec *cols)
{
	for (size_t i = 0; i < cols->n; i++)
		if (dbs_pg_has_name(&pt->absent, cols->items[i]))
			return cols->items[i];
	return NULL;
}

/* A key or index over a column this plan does not add shares its fate. */
static int dependent(pg_table *pt, dbsync_op_kind kind, const char *object, const char *column)
{
	dbs_planner *p = pt->p;
	const char *what = dbs_arena_printf(&p->plan->arena, "%s `%s`", kind == DBSYNC_OP_ADD_INDEX ? "index" :
		kind == DBSYNC_OP_ADD_FOREIGN_KEY ? "foreign key" : "constraint", object);
	return dbs_plan_dependent(p, kind == DBSYNC_OP_ADD_FOREIGN_KEY ? DBS_STAGE_ADD_FK : DBS_STAGE_ADD_INDEX, kind,
		pt->L->name, object, what, column);
}

int dbs_pg_plan_keys(pg_table *pt)
{
	dbs_planner *p = pt->p;
	bool off = !p->plan->opts.sync_indexes;
	for (size_t i = 0; i < pt->td->changes.n; i++) {
		const dbs_change *ch = &pt->td->changes.items[i];
		int rc = 0;
		switch (ch->kind) {
		case DBS_CH_ADD_CONSTRAINT: {
			const char *absent = absent_of(pt, &ch->want_con->cols);
			if (absent)
				rc = dependent(pt, ch->want_con->kind == DBS_CON_FOREIGN ? DBSYNC_OP_ADD_FOREIGN_KEY :
					DBSYNC_OP_ADD_CONSTRAINT, ch->want_con->name, absent);
			else
				rc = dbs_pg_add_constraint(p, pt, pt->L->name, ch->want_con, off, "sync_indexes is off");
			break;
		}
		case DBS_CH_DROP_CONSTRAINT:
			if (!on_extra_columns(pt, &ch->live_con->cols))
				rc = drop_constraint(p, pt->L->name, ch->live_con, off, NULL);
			break;
		case DBS_CH_ADD_INDEX: {
			const char *absent = NULL;
			for (size_t j = 0; j < ch->want_ix->parts.n && !absent; j++) {
				const char *c = ch->want_ix->parts.items[j].column;
				absent = c && dbs_pg_has_name(&pt->absent, c) ? c : NULL;
			}
			rc = absent ? dependent(pt, DBSYNC_OP_ADD_INDEX, ch->want_ix->name, absent) : index_op(p, pt, ch);
			break;
		}
		case DBS_CH_DROP_INDEX:
			if (!index_on_extra(pt, ch->live_ix))
				rc = index_op(p, pt, ch);
			break;
		case DBS_CH_RENAME_CONSTRAINT:
		case DBS_CH_RENAME_INDEX:
			rc = rename_op(p, pt, ch);
			break;
		default:
			break;
		}
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- foreign keys whose key changes under them ---- */

static bool index_has_column(const dbs_index *ix, const char *col)
{
	for (size_t i = 0; i < ix->parts.n; i++)
		if (ix->parts.items[i].column && strcmp(ix->parts.items[i].column, col) == 0)
			return true;
	return false;
}

/* Whether column `col` of `table` changes type, is dropped, or loses a key
 * (unique or primary constraint, unique index) over it: a foreign key that
 * references it (or is on it) would be in the way (2BP01). */
static bool key_col_moves(const dbs_planner *p, const char *table, const char *col)
{
	const dbs_table_diff *td = dbs_diff_find(&p->diff, table);
	if (td && td->live && dbs_diff_retypes_column(PG, &p->diff, table, col))
		return true;
	for (size_t i = 0; td && td->live && i < td->changes.n; i++) {
		const dbs_change *ch = &td->changes.items[i];
		if (ch->kind == DBS_CH_DROP_COLUMN && strcmp(ch->live_col->name, col) == 0)
			return true;
		if (ch->kind == DBS_CH_DROP_CONSTRAINT && ch->live_con->kind != DBS_CON_FOREIGN &&
		    ch->live_con->kind != DBS_CON_CHECK && dbs_pg_has_name(&ch->live_con->cols, col))
			return true;
		if (ch->kind == DBS_CH_DROP_INDEX && ch->live_ix->unique && index_has_column(ch->live_ix, col))
			return true;
	}
	return false;
}

/* A foreign key of a table the desired schema does not have (left alone)
 * references a key this plan takes away for good. Nothing of the referenced
 * table changes then (its key and column changes hang together: a primary key
 * moved, columns tightened for it), nor do the foreign keys added to
 * reference it: all are refused, naming the foreign key in the way, before
 * anything runs, instead of failing at apply with 2BP01. */
static int refuse_under_kept_fk(dbs_planner *p, const dbs_table *t, const dbs_constraint *k)
{
	const char *reason = dbs_fk_in_the_way(p, t, k, k->ref_table, true);
	/* an added foreign key names the table it references as " REFERENCES <table>" */
	const char *needle = dbs_references_needle(p, k->ref_table);
	if (!reason || !needle)
		return dbs_error_oom(p->ctx);
	size_t len = strlen(needle);
	for (int s = 0; s < DBS_STAGE_COUNT; s++)
		for (size_t i = 0; i < p->stages[s].n; i++) {
			dbs_op_build *op = p->stages[s].items[i];
			bool hit = false;
			for (size_t q = 0; !hit && op->op.kind == DBSYNC_OP_ADD_FOREIGN_KEY && q < op->sql.n; q++) {
				const char *at = strstr(op->sql.items[q], needle);
				hit = at && (at[len] == ' ' || at[len] == '\0');
			}
			if (hit)
				dbs_op_refuse(op, reason);
		}
	dbs_refuse_table_ops(p, k->ref_table, reason);
	return 0;
}

/* The walk's choice (plan_fk_moves.h): keys to this schema's tables whose
 * referenced table is not blocked by a table left alone. */
static bool considered(const dbs_planner *p, const dbs_table *t, const dbs_constraint *k, bool kept,
	const void *blocked)
{
	return !k->ref_schema && !dbs_pg_has_name(blocked, k->ref_table);
}

/* A table left alone gets its own key back: the key it needs is there again. */
static int rebuild(dbs_planner *p, const dbs_table *t, const dbs_constraint *k)
{
	int rc = drop_constraint(p, t->name, k, false, " (its key changes; added back after)");
	return rc ? rc : dbs_pg_add_constraint(p, NULL, t->name, k, false, NULL);
}

int dbs_pg_rebuild_dependent_fks(dbs_planner *p)
{
	if (!p->plan->opts.sync_indexes || !p->plan->opts.alter_columns)
		return 0;
	/* first the tables whose key changes a table left alone is in the way of:
	 * nothing of theirs changes, so nothing moves under their foreign keys */
	dbs_str_vec blocked = { 0 };
	for (size_t i = 0; i < p->live->tables.n; i++) {
		const dbs_table *t = p->live->tables.items[i];
		if (dbs_schema_find_table(p->want, t->name))
			continue;
		for (size_t j = 0; j < t->constraints.n; j++) {
			const dbs_constraint *k = t->constraints.items[j];
			if (k->kind != DBS_CON_FOREIGN || k->ref_schema || !dbs_fk_moves(p, t, k, true, key_col_moves))
				continue;
			const dbs_table *ref = dbs_schema_find_table(p->want, k->ref_table);
			if (dbs_table_has_fk_key(PG, ref, &k->ref_cols))
				continue;
			int rc = refuse_under_kept_fk(p, t, k);
			if (rc || (rc = DBS_VEC_PUSH(&p->plan->arena, &blocked, k->ref_table) ? dbs_error_oom(p->ctx) : 0))
				return rc;
		}
	}
	return dbs_plan_rebuild_moved_fks(p, considered, &blocked, key_col_moves, rebuild);
}
