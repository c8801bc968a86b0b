/*
 * PostgreSQL DDL the dialect-neutral core asks for through the dialect table
 * (dialect.h): an exclusion constraint's body, the COMMENT ON statements of a
 * schema script, and a shadow's statements (shadow_ddl.h).
 */
#include "canon_postgres.h"
#include "dialect.h"
#include "render.h"
#include "shadow_ddl.h"

#define PG DBSYNC_DIALECT_POSTGRES

int dbs_render_exclude(dbs_buf *out, const dbs_index *ex)
{
	dbs_buf_puts(out, "EXCLUDE");
	dbs_render_index_body(out, PG, ex, true);
	return dbs_buf_ok(out) ? 0 : DBSYNC_ENOMEM;
}

/* PostgreSQL keeps comments apart from the objects: COMMENT ON for the
 * table, its columns, constraints and indexes. */
int dbs_pg_render_comments(dbs_buf *b, const dbs_table *t)
{
	if (t->comment) {
		dbs_pg_render_comment(b, "TABLE", t->name, NULL, t->comment);
		dbs_buf_puts(b, ";\n");
	}
	for (size_t i = 0; i < t->columns.n; i++)
		if (t->columns.items[i]->comment) {
			dbs_pg_render_comment(b, "COLUMN", t->name, t->columns.items[i]->name, t->columns.items[i]->comment);
			dbs_buf_puts(b, ";\n");
		}
	for (size_t i = 0; i < t->constraints.n; i++) {
		const dbs_constraint *k = t->constraints.items[i];
		if (!k->comment || !k->name)
			continue;
		dbs_pg_render_constraint_comment(b, t->name, k->name, k->comment);
		dbs_buf_puts(b, ";\n");
	}
	for (size_t i = 0; i < t->indexes.n; i++)
		if (t->indexes.items[i]->comment) {
			dbs_pg_render_comment(b, "INDEX", t->indexes.items[i]->name, NULL, t->indexes.items[i]->comment);
			dbs_buf_puts(b, ";\n");
		}
	return dbs_buf_ok(b) ? 0 : DBSYNC_ENOMEM;
}

static int comment(dbs_shadow_renderer *r, const dbs_table *t, const char *what, const char *name,
	const char *column, const char *text)
{
	if (!text)
		return 0;
	dbs_pg_render_comment(&r->b, what, name, column, text);
	return dbs_shadow_push(r, t, false, NULL);
}

static int constraint_comment(dbs_shadow_renderer *r, const dbs_table *t, const dbs_constraint *k)
{
	if (!k->comment || !k->name)
		return 0;
	dbs_pg_render_constraint_comment(&r->b, t->name, k->name, k->comment);
	return dbs_shadow_push(r, t, false, NULL);
}

/* The table without its foreign keys, its indexes, its comments. */
int dbs_pg_shadow_table(dbs_shadow_renderer *r, const dbs_table *t)
{
	int rc;
	dbs_pg_render_create_table(&r->b, t);
	if ((rc = dbs_shadow_push(r, t, true, NULL)))
		return rc;
	for (size_t i = 0; i < t->indexes.n; i++) {
		dbs_pg_render_create_index(&r->b, t->name, t->indexes.items[i]);
		if ((rc = dbs_shadow_push(r, t, false, NULL)))
			return rc;
	}
	if ((rc = comment(r, t, "TABLE", t->name, NULL, t->comment)))
		return rc;
	for (size_t i = 0; i < t->columns.n; i++) {
		const dbs_column *c = t->columns.items[i];
		if ((rc = comment(r, t, "COLUMN", t->name, c->name, c->comment)))
			return rc;
	}
	for (size_t i = 0; i < t->indexes.n; i++) {
		const dbs_index *ix = t->indexes.items[i];
		if ((rc = comment(r, t, "INDEX", ix->name, NULL, ix->comment)))
			return rc;
	}
	/* a foreign key's comment follows it, in the second pass */
	for (size_t i = 0; i < t->constraints.n; i++)
		if (t->constraints.items[i]->kind != DBS_CON_FOREIGN && (rc = constraint_comment(r, t, t->constraints.items[i])))
			return rc;
	return 0;
}

/* Foreign keys once every table of the script exists, so tables may come in
 * any order. */
int dbs_pg_shadow_foreign_keys(dbs_shadow_renderer *r, const dbs_table *t)
{
	for (size_t i = 0; i < t->constraints.n; i++) {
		const dbs_constraint *k = t->constraints.items[i];
		if (k->kind != DBS_CON_FOREIGN)
			continue;
		dbs_buf_puts(&r->b, "ALTER TABLE ");
		dbs_quote_ident(&r->b, PG, t->name);
		dbs_buf_puts(&r->b, " ADD ");
		dbs_pg_render_constraint(&r->b, k);
		int rc = dbs_shadow_push(r, t, false, k->ref_table);
		if (rc || (rc = constraint_comment(r, t, k)))
			return rc;
	}
	return 0;
}
