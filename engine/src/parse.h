/*
 * DDL parsing (recursive descent over lexer.h's tokens) and normalization to the
 * canonical forms described in model.h.
 */
#ifndef DBS_PARSE_H
#define DBS_PARSE_H

#include "buf.h"
#include "model.h"

/* Parse a script of DDL statements into `s` (in s->dialect), adding tables,
 * columns, constraints, indexes, comments and views. Statements that are not
 * schema DDL (DML, DROP, USE, GRANT, SET, queries...) are refused with
 * DBSYNC_EPARSE, except the preamble dumps carry (parse_script.c). On malformed input
 * returns DBSYNC_EPARSE with line/column on ctx; `s` may then hold a partial
 * result and should be freed. On success the tables it created or changed are
 * normalized (dbs_table_normalize); other tables of `s` are left as they were. */
int dbs_parse_into(dbsync_schema *s, dbsync_ctx *ctx, const char *sql, size_t len);

/* Canonical text of an SQL expression (see model.h), allocated in `a`. Returns
 * NULL on OOM or when the text does not lex (unterminated quote): callers then
 * keep the raw text. */
const char *dbs_expr_canon(dbs_arena *a, dbsync_dialect d, const char *text, size_t len);

/* Canonical declared type ("VARCHAR (100)" -> "varchar(100)", "decimal(10, 2)" ->
 * "decimal(10,2)", "INTEGER  UNSIGNED" -> "integer unsigned"). NULL for NULL or
 * blank text (no type), and on OOM. */
const char *dbs_type_canon(dbs_arena *a, dbsync_dialect d, const char *text, size_t len);

/* Append one PostgreSQL storage parameter to a list being built ("a=1,
 * b='x y'"): ", " first unless b is empty; a value that is not a plain word
 * or number is quoted. dbs_schema_normalize makes such a list canonical.
 * Returns 0 or -1 (OOM). */
int dbs_put_option(dbs_buf *b, const char *key, const char *value);

/* Bring a schema (parsed or introspected) to canonical form in place: types,
 * expressions, ON DELETE/UPDATE spellings, dialect synonyms. Idempotent. */
int dbs_schema_normalize(dbsync_schema *s, dbsync_ctx *ctx);

/* The same for one table of `s` (the parser normalizes only what it touched).
 * Returns 0, or -1 when out of memory. */
int dbs_table_normalize(dbsync_schema *s, dbs_table *t);

#endif
