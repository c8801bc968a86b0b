/*
 * SQLite's generalized ALTER TABLE: build the table as it should be under a
 * new name, copy every row across, drop the old table and rename the new one
 * into place, then re-create the indexes. Foreign keys must be off around the
 * transaction (the apply framing does that when plan->foreign_keys_off).
 */
#include <string.h>

#include "ctx.h"
#include "dialect.h"
#include "plan_shared.h"
#include "plan_sqlite.h"
#include "render.h"

#define D DBSYNC_DIALECT_SQLITE

static bool has_column(const dbs_table *t, const char *name)
{
	for (size_t i = 0; i < t->columns.n; i++)
		if (dbs_name_eq(D, t->columns.items[i]->name, name))
			return true;
	return false;
}

static bool covers(const dbs_table *t, const dbs_str_vec *cols)
{
	for (size_t i = 0; i < cols->n; i++)
		if (!has_column(t, cols->items[i]))
			return false;
	return true;
}

/* A live column no model has, kept in the table. */
static bool is_kept_extra(const col_state *cols, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!cols[i].want && cols[i].include && dbs_name_eq(D, cols[i].live->name, name))
			return true;
	return false;
}

static int add_constraint_copy(dbsync_schema *s, dbs_table *t, const dbs_constraint *src)
{
	dbs_constraint *k = dbs_table_add_constraint(s, t, src->kind);
	if (!k)
		return -1;
	*k = *src; /* strings and lists are borrowed: the target only lives while planning */
	return 0;
}

/*
 * The table after the change, named "new__<live name>". With `desired_shape`
 * it takes the desired constraints, indexes and options (as far as the options
 * allow); otherwise the live ones, minus what the removed columns take along.
 */
static dbs_table *build_target(table_plan *tp, dbsync_schema *s, const col_state *cols, size_t n,
	bool desired_shape)
{
	const dbsync_plan_options *o = &tp->p->plan->opts;
	char *name = dbs_arena_printf(&s->arena, "new__%s", tp->L->name);
	/* a table left behind by an interrupted rebuild must not be clobbered */
	for (int k = 2; name && dbs_schema_find_table(tp->p->live, name); k++)
		name = dbs_arena_printf(&s->arena, "new__%s_%d", tp->L->name, k);
	dbs_table *t = name ? dbs_schema_add_table(s, name) : NULL;
	if (!t)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const col_state *cs = &cols[i];
		if (!cs->include)
			continue;
		const dbs_column *def = (cs->live_def || !cs->want) ? cs->live : cs->want;
		dbs_column *c = dbs_table_add_column(s, t, def->name);
		if (!c)
			return NULL;
		const char *cname = c->name;
		*c = *def;
		c->name = cname;
		if (cs->keep_null)
			c->not_null = cs->live->not_null;
	}
	const dbs_table *con_src = desired_shape && o->sync_indexes ? tp->W : tp->L;
	for (size_t i = 0; i < con_src->constraints.n; i++) {
		const dbs_constraint *k = con_src->constraints.items[i];
		if (covers(t, &k->cols) && add_constraint_copy(s, t, k))
			return NULL;
	}
	if (con_src == tp->W) {
		/* an extra column kept keeps the constraints it takes part in */
		for (size_t i = 0; i < tp->L->constraints.n; i++) {
			const dbs_constraint *k = tp->L->constraints.items[i];
			bool involved = false;
			for (size_t j = 0; j < k->cols.n && !involved; j++)
				involved = is_kept_extra(cols, n, k->cols.items[j]);
			if (involved && k->kind != DBS_CON_PRIMARY && covers(t, &k->cols) && add_constraint_copy(s, t, k))
				return NULL;
		}
	}
	const dbs_table *ix_src = desired_shape && o->sync_indexes ? tp->W : tp->L;
	for (size_t i = 0; i < ix_src->indexes.n; i++) {
		dbs_index *ix = ix_src->indexes.items[i];
		if (strncmp(ix->name, "sqlite_autoindex_", 17) == 0)
			continue;
		bool ok = true;
		for (size_t j = 0; j < ix->parts.n && ok; j++)
			ok = !ix->parts.items[j].column || has_column(t, ix->parts.items[j].column);
		if (ok && DBS_VEC_PUSH(&s->arena, &t->indexes, ix))
			return NULL;
	}
	const dbs_table *opt_src = desired_shape && o->alter_columns ? tp->W : tp->L;
	t->without_rowid = opt_src->without_rowid;
	t->strict = opt_src->strict;
	return t;
}

static int insert_select(table_plan *tp, const dbs_table *target, const col_state *cols, size_t n, dbs_buf *b)
{
	dbs_buf src = DBS_BUF_INIT;
	size_t k = 0;
	dbs_buf_puts(b, "INSERT INTO ");
	dbs_quote_ident(b, D, target->name);
	dbs_buf_puts(b, " (");
	for (size_t i = 0, ti = 0; i < n; i++) {
		const col_state *cs = &cols[i];
		if (!cs->include)
			continue;
		const dbs_column *tc = target->columns.items[ti++];
		/* generated columns compute themselves; new columns without a fill take their default */
		if (tc->generated_expr || (!cs->live && !cs->fill))
			continue;
		if (k++) {
			dbs_buf_puts(b, ", ");
			dbs_buf_puts(&src, ", ");
		}
		dbs_quote_ident(b, D, tc->name);
		if (cs->fill)
			dbs_buf_puts(&src, cs->fill);
		else
			dbs_quote_ident(&src, D, cs->live->name);
	}
	dbs_buf_puts(b, ") SELECT ");
	dbs_buf_puts(b, dbs_buf_cstr(&src));
	dbs_buf_puts(b, " FROM ");
	dbs_quote_ident(b, D, tp->L->name);
	bool ok = dbs_buf_ok(&src);
	dbs_buf_free(&src);
	if (!ok)
		b->oom = true;
	return (int)k;
}

static int rebuild_statements(table_plan *tp, dbs_op_build *op, const dbs_table *target, const col_state *cols,
	size_t n)
{
	dbs_buf b = DBS_BUF_INIT;
	int rc;
	dbs_render_create_table(&b, D, target);
	if ((rc = dbs_op_put(tp->p, op, &b)))
		goto cleanup;
	if (insert_select(tp, target, cols, n, &b) > 0) {
		if ((rc = dbs_op_put(tp->p, op, &b)))
			goto cleanup;
	}
	dbs_buf_clear(&b);
	dbs_buf_puts(&b, "DROP TABLE ");
	dbs_quote_ident(&b, D, tp->L->name);
	if ((rc = dbs_op_put(tp->p, op, &b)))
		goto cleanup;
	/* The apply framing turns legacy_alter_table on around every plan with a
	 * rebuild: since 3.26 a rename re-checks every view, and a view on the
	 * table being replaced would fail that check while the table is gone. */
	dbs_buf_puts(&b, "ALTER TABLE ");
	dbs_quote_ident(&b, D, target->name);
	dbs_buf_puts(&b, " RENAME TO ");
	dbs_quote_ident(&b, D, tp->L->name);
	if ((rc = dbs_op_put(tp->p, op, &b)))
		goto cleanup;
	dbs_table renamed = *target;
	renamed.name = tp->L->name;
	for (size_t i = 0; i < target->indexes.n; i++) {
		dbs_render_create_index(&b, D, &renamed, target->indexes.items[i]);
		if ((rc = dbs_op_put(tp->p, op, &b)))
			goto cleanup;
	}
	/* DROP TABLE took the table's triggers with it; put them back exactly as
	 * the database stored them. One that names a dropped column fails here,
	 * and the whole plan rolls back rather than losing the trigger. */
	for (size_t i = 0; i < tp->L->triggers.n; i++) {
		dbs_buf_puts(&b, tp->L->triggers.items[i]->sql);
		if ((rc = dbs_op_put(tp->p, op, &b)))
			goto cleanup;
	}
cleanup:
	dbs_buf_free(&b);
	return rc;
}

int dbs_sqlite_rebuild_op(table_plan *tp)
{
	dbs_planner *p = tp->p;
	int rc;
	dbsync_schema *scratch = dbs_schema_new(D);
	if (!scratch)
		return dbs_error_oom(p->ctx);
	dbs_table *target = build_target(tp, scratch, tp->cols, tp->n_cols, true);
	dbs_op_build *op = target ? dbs_planner_op(p, DBS_STAGE_ALTER, DBSYNC_OP_REBUILD_TABLE,
		tp->drops_data ? DBSYNC_RISK_DATA_LOSS : DBSYNC_RISK_LOCKING, tp->L->name, NULL) : NULL;
	if (!op) {
		rc = dbs_error_oom(p->ctx);
		goto cleanup;
	}
	if ((rc = rebuild_statements(tp, op, target, tp->cols, tp->n_cols)))
		goto cleanup;
	if ((rc = dbs_op_summary(p, op, "rebuild table `%s`%s: %zu change%s", tp->L->name,
		dbs_planner_label(p, tp->W->name, NULL), tp->n_folded, dbs_plural((int64_t)tp->n_folded))))
		goto cleanup;
	rc = dbs_op_detail(p, op, dbs_buf_cstr(&tp->detail));
cleanup:
	dbsync_schema_free(scratch);
	return rc;
}

int dbs_sqlite_hypothetical(table_plan *tp, dbs_op_build *op, const dbs_sqlite_single_change *one)
{
	dbs_planner *p = tp->p;
	size_t n = tp->L->columns.n;
	int rc;
	col_state *cols = dbs_arena_alloc(&p->plan->arena, (n + 1) * sizeof *cols);
	dbsync_schema *scratch = dbs_schema_new(D);
	if (!cols || !scratch) {
		rc = dbs_error_oom(p->ctx);
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		col_state *cs = &cols[i];
		cs->live = tp->L->columns.items[i];
		cs->live_def = true;
		cs->include = cs->live != one->drop_col;
		if (cs->live == one->alter_live) {
			cs->want = one->alter_want;
			cs->live_def = false;
		}
	}
	dbs_table *target = build_target(tp, scratch, cols, n, false);
	if (!target) {
		rc = dbs_error_oom(p->ctx);
		goto cleanup;
	}
	if (one->add_con && covers(target, &one->add_con->cols) && add_constraint_copy(scratch, target, one->add_con)) {
		rc = dbs_error_oom(p->ctx);
		goto cleanup;
	}
	/* the target's constraints are copies of the live ones, field for field */
	for (size_t i = 0; one->drop_con && i < target->constraints.n; i++)
		if (memcmp(target->constraints.items[i], one->drop_con, sizeof *one->drop_con) == 0) {
			memmove(&target->constraints.items[i], &target->constraints.items[i + 1],
				(target->constraints.n - i - 1) * sizeof *target->constraints.items);
			target->constraints.n--;
			break;
		}
	if (one->options) {
		target->without_rowid = tp->W->without_rowid;
		target->strict = tp->W->strict;
	}
	rc = rebuild_statements(tp, op, target, cols, n);
cleanup:
	dbsync_schema_free(scratch);
	return rc;
}
