/* PostgreSQL's DDL for its planner (render_postgres.c): a column definition
 * without constraints; CREATE TABLE with its primary key, unique and check
 * constraints but no foreign keys; one constraint as after ADD
 * ("CONSTRAINT "n" UNIQUE (...)"); an index; COMMENT ON <what>
 * "table"[."column"] IS 'text' (NULL: IS NULL). What every dialect renders
 * the same way is in render.h. */
#ifndef DBS_RENDER_POSTGRES_H
#define DBS_RENDER_POSTGRES_H

#include "buf.h"
#include "model.h"

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
