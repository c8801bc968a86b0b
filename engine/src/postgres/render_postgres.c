/*
 * PostgreSQL DDL for the planner: column definitions without their
 * constraints (those are added by name, one ALTER each), CREATE TABLE without
 * foreign keys (they are added once every table exists, so a cycle needs no
 * special case), constraints, indexes and comments. Names go through
 * dbs_quote_ident, comment text through dbs_quote_literal.
 */
#include "render_postgres.h"

#include "dialect.h"
#include "render.h"
#include "render_constraint.h"

#define PG DBSYNC_DIALECT_POSTGRES

void dbs_pg_put_default(dbs_buf *out, const char *expr)
{
	if (dbs_expr_is_literal(expr, true))
		dbs_buf_puts(out, expr);
	else
		dbs_buf_printf(out, "(%s)", expr);
}

int dbs_pg_render_column_def(dbs_buf *out, const dbs_column *c)
{
	dbs_quote_ident(out, PG, c->name);
	if (c->type)
		dbs_buf_printf(out, " %s", c->type);
	if (c->collation) {
		dbs_buf_puts(out, " COLLATE ");
		dbs_quote_ident(out, PG, c->collation);
	}
	if (c->default_expr && !c->generated_expr && !c->identity) {
		dbs_buf_puts(out, " DEFAULT ");
		dbs_pg_put_default(out, c->default_expr);
	}
	if (c->generated_expr)
		dbs_buf_printf(out, " GENERATED ALWAYS AS (%s) STORED", c->generated_expr);
	else if (c->identity)
		dbs_buf_printf(out, " GENERATED %s AS IDENTITY", c->identity);
	if (c->identity && !c->generated_expr && c->identity_options)
		dbs_buf_printf(out, " (%s)", c->identity_options);
	if (c->not_null)
		dbs_buf_puts(out, " NOT NULL");
	return dbs_buf_ok(out) ? 0 : DBSYNC_ENOMEM;
}

int dbs_pg_render_constraint(dbs_buf *out, const dbs_constraint *k)
{
	return dbs_render_constraint(out, PG, k);
}

int dbs_pg_render_create_table(dbs_buf *out, const dbs_table *t)
{
	dbs_buf_puts(out, "CREATE TABLE ");
	dbs_quote_ident(out, PG, t->name);
	dbs_buf_puts(out, " (");
	for (size_t i = 0; i < t->columns.n; i++) {
		if (i)
			dbs_buf_puts(out, ", ");
		dbs_pg_render_column_def(out, t->columns.items[i]);
	}
	for (size_t i = 0; i < t->constraints.n; i++) {
		const dbs_constraint *k = t->constraints.items[i];
		if (k->kind == DBS_CON_FOREIGN)
			continue;
		dbs_buf_puts(out, ", ");
		dbs_pg_render_constraint(out, k);
	}
	dbs_buf_putc(out, ')');
	return dbs_buf_ok(out) ? 0 : DBSYNC_ENOMEM;
}

int dbs_pg_render_create_index(dbs_buf *out, const char *table, const dbs_index *ix)
{
	/* the shared renderer needs only the table's name */
	dbs_table named = { .name = table };
	return dbs_render_create_index(out, PG, &named, ix);
}

/* " IS 'text'" (NULL: " IS NULL"), the end of every COMMENT ON. */
static int put_comment_text(dbs_buf *out, const char *text)
{
	dbs_buf_puts(out, " IS ");
	if (text)
		dbs_quote_literal(out, PG, text);
	else
		dbs_buf_puts(out, "NULL");
	return dbs_buf_ok(out) ? 0 : DBSYNC_ENOMEM;
}

int dbs_pg_render_constraint_comment(dbs_buf *out, const char *table, const char *name, const char *text)
{
	dbs_buf_puts(out, "COMMENT ON CONSTRAINT ");
	dbs_quote_ident(out, PG, name);
	dbs_buf_puts(out, " ON ");
	dbs_quote_ident(out, PG, table);
	return put_comment_text(out, text);
}

int dbs_pg_render_comment(dbs_buf *out, const char *what, const char *table, const char *column,
	const char *text)
{
	dbs_buf_printf(out, "COMMENT ON %s ", what);
	dbs_quote_ident(out, PG, table);
	if (column) {
		dbs_buf_putc(out, '.');
		dbs_quote_ident(out, PG, column);
	}
	return put_comment_text(out, text);
}
