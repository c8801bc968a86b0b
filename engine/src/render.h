/* Rendering the schema model as dialect SQL. Identifiers always go through dbs_quote_ident. */
#ifndef DBS_RENDER_H
#define DBS_RENDER_H

#include "buf.h"
#include "model.h"

/* CREATE TABLE for `t` (no trailing ';'), with its constraints; no indexes. */
int dbs_render_create_table(dbs_buf *out, dbsync_dialect d, const dbs_table *t);
/* CREATE [UNIQUE] INDEX for index `ix` of table `t` (no trailing ';'). */
int dbs_render_create_index(dbs_buf *out, dbsync_dialect d, const dbs_table *t, const dbs_index *ix);
/* What follows an index's name and table, or EXCLUDE: " [USING method]
 * (part, ...) [INCLUDE (...)] [NULLS NOT DISTINCT] [WITH (...)] [WHERE
 * pred]", each clause as far as the dialect writes it; the predicate in
 * parentheses with where_parens (an exclusion constraint's grammar). */
void dbs_render_index_body(dbs_buf *out, dbsync_dialect d, const dbs_index *ix, bool where_parens);
/* A dialect's SQL template (dialect.h) with each %s in turn replaced by the
 * next of `names` (n of them) quoted as an identifier; no other conversion. */
int dbs_render_template(dbs_buf *out, dbsync_dialect d, const char *tmpl, const char *const *names, size_t n);
/* One column definition as in CREATE TABLE / ADD COLUMN: "name" type NOT NULL ... */
/* A charset, collation, index method or operator class: bare when a plain word, quoted otherwise. */
void dbs_render_word(dbs_buf *out, dbsync_dialect d, const char *w);
int dbs_render_column_def(dbs_buf *out, dbsync_dialect d, const dbs_table *t, const dbs_column *c);
/* True when canonical expression `e` is a bare literal (number, string, blob,
 * NULL, TRUE, FALSE; CURRENT_* too when allow_current), i.e. a constant that
 * SQLite's ALTER TABLE ADD COLUMN accepts as a default and that needs no
 * parentheses after DEFAULT. */
bool dbs_expr_is_literal(const char *e, bool allow_current);

/* PostgreSQL: "EXCLUDE USING method (part WITH op, ...) [INCLUDE (...)]
 * [WITH (...)] [WHERE (...)]" of an exclusion constraint's index-like body
 * (postgres/ddl_postgres.c; only PostgreSQL has exclusion constraints). */
int dbs_render_exclude(dbs_buf *out, const dbs_index *ex);

/* PostgreSQL (render_postgres.c). A column definition without constraints;
 * CREATE TABLE with its primary key, unique and check constraints but no
 * foreign keys; one constraint as after ADD ("CONSTRAINT "n" UNIQUE (...)");
 * an index; COMMENT ON <what> "table"[."column"] IS 'text' (NULL: IS NULL). */
int dbs_pg_render_column_def(dbs_buf *out, const dbs_column *c);
int dbs_pg_render_create_table(dbs_buf *out, const dbs_table *t);
int dbs_pg_render_constraint(dbs_buf *out, const dbs_constraint *k);
int dbs_pg_render_create_index(dbs_buf *out, const char *table, const dbs_index *ix);
int dbs_pg_render_comment(dbs_buf *out, const char *what, const char *table, const char *column,
	const char *text);
/* COMMENT ON CONSTRAINT "name" ON "table" IS 'text' (NULL: IS NULL). */
int dbs_pg_render_constraint_comment(dbs_buf *out, const char *table, const char *name, const char *text);
/* A default expression after DEFAULT: bare when a literal, else parenthesized. */
void dbs_pg_put_default(dbs_buf *out, const char *expr);

#endif
