/*
 * The PostgreSQL planner. Everything runs in one transaction (transactional
 * DDL), so the order only has to satisfy dependencies, in stages: foreign keys
 * that change, or whose referenced key changes, are dropped first; then
 * indexes and constraints; missing tables are created without their foreign
 * keys; columns are added and altered; constraints and indexes are added;
 * every foreign key is added once every table and key exists (a cycle is then
 * no problem); comments last. A new UNIQUE, PRIMARY KEY, CHECK or FOREIGN
 * KEY is counted against the rows first and refused with the count when rows
 * would break it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ctx.h"
#include "dialect.h"
#include "plan_postgres.h"
#include "diff.h"
#include "plan_fill.h"
#include "plan_isolate.h"
#include "plan_probe.h"
#include "plan_shared.h"
#include "render.h"
#include "render_postgres.h"

/* ---- helpers ---- */

dbs_op_build *dbs_pg_op(pg_table *pt, int stage, dbsync_op_kind kind, dbsync_risk risk, const char *object)
{
	return dbs_planner_op(pt->p, stage, kind, risk, pt->L->name, object);
}

void dbs_pg_forget_op(dbs_planner *p, int stage, dbs_op_build *op)
{
	/* from the end: the operation forgotten is usually the one just planned */
	for (size_t i = p->stages[stage].n; i-- > 0;)
		if (p->stages[stage].items[i] == op) {
			dbs_planner_take_back(op);
			memmove(&p->stages[stage].items[i], &p->stages[stage].items[i + 1],
				(p->stages[stage].n - i - 1) * sizeof *p->stages[stage].items);
			p->stages[stage].n--;
			return;
		}
}

int dbs_pg_put(pg_table *pt, dbs_op_build *op)
{
	return dbs_op_put(pt->p, op, &pt->sql);
}

int dbs_pg_count_rows(pg_table *pt, int64_t *out)
{
	if (pt->rows < 0) {
		int rc = dbs_probe_table_rows(pt->p, pt->L->name, &pt->rows);
		if (rc)
			return rc;
	}
	*out = pt->rows;
	return 0;
}

void dbs_pg_alter_prefix(pg_table *pt)
{
	dbs_put_alter_table(&pt->sql, PG, pt->L->name);
}

bool dbs_pg_has_name(const dbs_str_vec *v, const char *name)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->items[i], name) == 0)
			return true;
	return false;
}

/* ---- the parsed desired schema, for writing statements ---- */

static const dbs_table *source_table(const dbs_planner *p, const char *table)
{
	if (!p->plan->desired || p->plan->desired == p->want)
		return NULL;
	return dbs_schema_find_table(p->plan->desired, table);
}

static bool is_serial(const char *type)
{
	static const char *const names[] = { "serial", "bigserial", "smallserial", "serial2", "serial4", "serial8" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (dbs_ascii_ieq(type, names[i]))
			return true;
	return false;
}

dbs_column dbs_pg_source_column(const dbs_planner *p, const char *table, const dbs_column *w)
{
	dbs_column c = *w;
	const dbs_table *t = source_table(p, table);
	const dbs_column *src = t ? dbs_table_find_column(p->plan->desired, t, w->name) : NULL;
	if (src && !src->default_expr == !w->default_expr)
		c.default_expr = src->default_expr;
	/* serial, bigserial, smallserial: the server read them back as an integer
	 * with nextval() of a sequence that does not exist yet; written as the
	 * user wrote them, CREATE TABLE and ADD COLUMN make and own it */
	if (src && src->type && !src->default_expr && w->default_expr && is_serial(src->type)) {
		c.type = src->type;
		c.default_expr = NULL;
	}
	if (src && !src->generated_expr == !w->generated_expr)
		c.generated_expr = src->generated_expr;
	return c;
}

/* The name PostgreSQL gives an unnamed constraint, as far as the planner
 * needs it: <table>_<column>_<suffix> within 63 bytes (no clash suffix). */
static bool auto_named(const char *table, const dbs_constraint *src, const char *name)
{
	const char *suffix = src->kind == DBS_CON_PRIMARY ? "pkey" : src->kind == DBS_CON_UNIQUE ? "key"
		: src->kind == DBS_CON_CHECK ? "check" : "fkey";
	char want[256];
	if (src->kind == DBS_CON_PRIMARY)
		snprintf(want, sizeof want, "%s_%s", table, suffix);
	else if (src->cols.n == 1)
		snprintf(want, sizeof want, "%s_%s_%s", table, src->cols.items[0], suffix);
	else
		return false;
	/* longer names are cut by the server; leave those to the fallback */
	return strlen(want) < 64 && strcmp(want, name) == 0;
}

dbs_constraint dbs_pg_source_constraint(const dbs_planner *p, const char *table, const dbs_constraint *w)
{
	const dbs_table *t = source_table(p, table);
	dbs_constraint c = *w;
	for (size_t i = 0; t && i < t->constraints.n; i++) {
		const dbs_constraint *k = t->constraints.items[i];
		if (k->kind != w->kind)
			continue;
		if (k->name ? w->name && strcmp(k->name, w->name) == 0 : w->name && auto_named(table, k, w->name)) {
			if (k->kind == DBS_CON_CHECK && k->check_expr)
				c.check_expr = k->check_expr;
			break;
		}
	}
	return c;
}

const dbs_index *dbs_pg_source_index(const dbs_planner *p, const char *table, const dbs_index *w)
{
	const dbs_table *t = source_table(p, table);
	for (size_t i = 0; t && i < t->indexes.n; i++)
		if (strcmp(t->indexes.items[i]->name, w->name) == 0)
			return t->indexes.items[i];
	return w;
}

/* ---- comments ---- */

static int comment_op(dbs_planner *p, const char *what, const char *table, const char *column, const char *text)
{
	dbs_op_build *op = dbs_planner_op(p, DBS_STAGE_COMMENT, DBSYNC_OP_COMMENT, DBSYNC_RISK_SAFE, table, column);
	dbs_buf b = DBS_BUF_INIT;
	int rc;
	if (!op)
		return dbs_error_oom(p->ctx);
	dbs_pg_render_comment(&b, what, table, column, text);
	rc = dbs_op_put(p, op, &b);
	dbs_buf_free(&b);
	if (rc)
		return rc;
	if (column)
		return dbs_op_summary(p, op, "%s comment of column `%s` of `%s`", text ? "set" : "remove", column, table);
	return dbs_op_summary(p, op, "%s comment of table `%s`", text ? "set" : "remove", table);
}

/* The comment of an index or a named constraint that exists and stays (one
 * created by this plan carries its comment in its own operation). */
static int object_comment_op(dbs_planner *p, const char *table, const char *what, const char *name,
	const char *text)
{
	dbs_op_build *op = dbs_planner_op(p, DBS_STAGE_COMMENT, DBSYNC_OP_COMMENT, DBSYNC_RISK_SAFE, table, name);
	dbs_buf b = DBS_BUF_INIT;
	if (!op)
		return dbs_error_oom(p->ctx);
	if (strcmp(what, "INDEX") == 0)
		dbs_pg_render_comment(&b, "INDEX", name, NULL, text);
	else
		dbs_pg_render_constraint_comment(&b, table, name, text);
	int rc = dbs_op_put(p, op, &b);
	dbs_buf_free(&b);
	return rc ? rc : dbs_op_summary(p, op, "%s comment of %s `%s` of `%s`", text ? "set" : "remove",
		strcmp(what, "INDEX") == 0 ? "index" : "constraint", name, table);
}

static int plan_object_comments(dbs_planner *p, const dbs_table *L, const dbs_table *W)
{
	int rc = 0;
	for (size_t i = 0; i < W->indexes.n && !rc; i++) {
		const dbs_index *wx = W->indexes.items[i], *lx = NULL;
		for (size_t j = 0; j < L->indexes.n && !lx; j++)
			if (strcmp(L->indexes.items[j]->name, wx->name) == 0 &&
			    dbs_index_equal(DBSYNC_DIALECT_POSTGRES, L->indexes.items[j], wx))
				lx = L->indexes.items[j];
		if (lx && !dbs_str_eq(lx->comment, wx->comment))
			rc = object_comment_op(p, L->name, "INDEX", wx->name, wx->comment);
	}
	for (size_t i = 0; i < W->constraints.n && !rc; i++) {
		const dbs_constraint *wk = W->constraints.items[i], *lk = NULL;
		for (size_t j = 0; wk->name && j < L->constraints.n && !lk; j++)
			if (L->constraints.items[j]->name && strcmp(L->constraints.items[j]->name, wk->name) == 0 &&
			    dbs_constraint_equal(DBSYNC_DIALECT_POSTGRES, L->constraints.items[j], wk))
				lk = L->constraints.items[j];
		if (lk && !dbs_str_eq(lk->comment, wk->comment))
			rc = object_comment_op(p, L->name, "CONSTRAINT", wk->name, wk->comment);
	}
	return rc;
}

static int plan_comments(pg_table *pt)
{
	dbs_planner *p = pt->p;
	int rc;
	if (!dbs_str_eq(pt->L->comment, pt->W->comment) &&
	    (rc = comment_op(p, "TABLE", pt->L->name, NULL, pt->W->comment)))
		return rc;
	for (size_t i = 0; i < pt->W->columns.n; i++) {
		const dbs_column *wc = pt->W->columns.items[i];
		const dbs_column *lc = dbs_table_find_column(p->live, pt->L, wc->name);
		if (!lc && !dbs_pg_has_name(&pt->added, wc->name))
			continue;
		if (dbs_str_eq(lc ? lc->comment : NULL, wc->comment))
			continue;
		if ((rc = comment_op(p, "COLUMN", pt->L->name, wc->name, wc->comment)))
			return rc;
	}
	return plan_object_comments(p, pt->L, pt->W);
}

/* ---- tables ---- */

/* CREATE TABLE from the server's types with the desired DDL's expressions. */
static int render_new_table(dbs_planner *p, dbs_buf *b, const dbs_table *t)
{
	dbs_arena scratch;
	dbs_arena_init(&scratch);
	dbs_table copy = *t;
	int rc = 0;
	memset(&copy.columns, 0, sizeof copy.columns);
	memset(&copy.constraints, 0, sizeof copy.constraints);
	for (size_t i = 0; i < t->columns.n && !rc; i++) {
		dbs_column *c = dbs_arena_alloc(&scratch, sizeof *c);
		if (!c || DBS_VEC_PUSH(&scratch, &copy.columns, c))
			rc = dbs_error_oom(p->ctx);
		else
			*c = dbs_pg_source_column(p, t->name, t->columns.items[i]);
	}
	for (size_t i = 0; i < t->constraints.n && !rc; i++) {
		dbs_constraint *k = dbs_arena_alloc(&scratch, sizeof *k);
		if (!k || DBS_VEC_PUSH(&scratch, &copy.constraints, k))
			rc = dbs_error_oom(p->ctx);
		else
			*k = dbs_pg_source_constraint(p, t->name, t->constraints.items[i]);
	}
	if (!rc)
		dbs_pg_render_create_table(b, &copy);
	dbs_arena_free(&scratch);
	return rc;
}

static int create_table(dbs_planner *p, const dbs_table *t)
{
	dbs_op_build *op = dbs_planner_op(p, DBS_STAGE_CREATE_TABLE, DBSYNC_OP_CREATE_TABLE, DBSYNC_RISK_SAFE, t->name, NULL);
	dbs_buf b = DBS_BUF_INIT;
	bool off = !p->plan->opts.create_tables;
	int rc;
	if (!op)
		return dbs_error_oom(p->ctx);
	if ((rc = dbs_op_summary(p, op, "create table `%s`%s", t->name, dbs_planner_label(p, t->name, NULL))))
		goto cleanup;
	if ((rc = render_new_table(p, &b, t)) || (rc = dbs_op_put(p, op, &b)))
		goto cleanup;
	for (size_t i = 0; i < t->indexes.n; i++) {
		const dbs_index *ix = t->indexes.items[i];
		dbs_pg_render_create_index(&b, t->name, dbs_pg_source_index(p, t->name, ix));
		if ((rc = dbs_op_put(p, op, &b)))
			goto cleanup;
		if (ix->comment) {
			dbs_pg_render_comment(&b, "INDEX", ix->name, NULL, ix->comment);
			if ((rc = dbs_op_put(p, op, &b)))
				goto cleanup;
		}
	}
	for (size_t i = 0; i < t->constraints.n; i++) {
		const dbs_constraint *k = t->constraints.items[i];
		if (!k->comment || !k->name || k->kind == DBS_CON_FOREIGN)
			continue; /* a foreign key is added later, with its comment */
		dbs_pg_render_constraint_comment(&b, t->name, k->name, k->comment);
		if ((rc = dbs_op_put(p, op, &b)))
			goto cleanup;
	}
	if (t->comment) {
		dbs_pg_render_comment(&b, "TABLE", t->name, NULL, t->comment);
		if ((rc = dbs_op_put(p, op, &b)))
			goto cleanup;
	}
	for (size_t i = 0; i < t->columns.n; i++) {
		const dbs_column *c = t->columns.items[i];
		if (!c->comment)
			continue;
		dbs_pg_render_comment(&b, "COLUMN", t->name, c->name, c->comment);
		if ((rc = dbs_op_put(p, op, &b)))
			goto cleanup;
	}
	if (off && (rc = dbs_op_skip(p, op, "AUTO_CREATE_TABLES is off")))
		goto cleanup;
	for (size_t i = 0; i < t->constraints.n && !rc; i++) {
		const dbs_constraint *k = t->constraints.items[i];
		if (k->kind == DBS_CON_FOREIGN)
			rc = dbs_pg_add_constraint(p, NULL, t->name, k, off, "AUTO_CREATE_TABLES is off");
	}
cleanup:
	dbs_buf_free(&b);
	return rc;
}

static int plan_table(dbs_planner *p, const dbs_table_diff *td)
{
	pg_table pt = { .p = p, .td = td, .L = td->live, .W = td->want, .rows = -1 };
	int rc;
	dbs_buf_init(&pt.sql);
	if (!(rc = dbs_pg_plan_columns(&pt)) && !(rc = dbs_pg_plan_keys(&pt)))
		rc = plan_comments(&pt);
	dbs_buf_free(&pt.sql);
	return rc;
}

/* Tables whose only difference is a comment are not in the diff. */
static int plan_unchanged_comments(dbs_planner *p)
{
	for (size_t i = 0; i < p->want->tables.n; i++) {
		const dbs_table *W = p->want->tables.items[i];
		const dbs_table *L = dbs_schema_find_table(p->live, W->name);
		if (!L || dbs_diff_find(&p->diff, W->name))
			continue;
		pg_table pt = { .p = p, .L = L, .W = W, .rows = -1 };
		int rc = plan_comments(&pt);
		if (rc)
			return rc;
	}
	return 0;
}

int dbs_plan_postgres(dbs_planner *p)
{
	int rc = 0;
	for (size_t i = 0; i < p->diff.tables.n && !rc; i++) {
		const dbs_table_diff *td = p->diff.tables.items[i];
		rc = td->live ? dbs_plan_isolated(p, td, plan_table) : create_table(p, td->want);
	}
	if (!rc)
		rc = dbs_pg_rebuild_dependent_fks(p);
	if (!rc)
		rc = plan_unchanged_comments(p);
	return rc;
}
