/* The DDL a shadow runs, rendered by the engine from the parsed model (shadow_ddl.c). */
#ifndef DBS_SHADOW_DDL_H
#define DBS_SHADOW_DDL_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "buf.h"
#include "dbsync/common.h"
#include "model.h"

typedef struct dbs_ddl_stmt {
	const char *text;            /* engine-rendered, one statement, no ';' */
	size_t len;
	int line;                    /* the line of its table's CREATE TABLE in the desired file */
	const char *skip;            /* a token left out of text, or NULL (rendered DDL has none) */
	size_t skip_len;
	const char *owner;           /* the table it creates or changes */
	bool creates;                /* CREATE TABLE owner */
	bool independent;            /* needs no table and runs in every script (rendered DDL has none) */
	dbs_str_vec refs;            /* the tables its foreign key references */
	int chunk;                   /* PostgreSQL: the script it runs in, its owner's */
} dbs_ddl_stmt;

typedef DBS_VEC(dbs_ddl_stmt) dbs_ddl_stmts;

/*
 * The statements a shadow runs for the tables of `desired` (all of them, or
 * those only[] marks when only is not NULL), rendered from the parsed model
 * and never taken from the user's text: per table its CREATE TABLE, its
 * CREATE INDEX statements and (PostgreSQL) its COMMENT ON statements, names
 * unqualified (a foreign key written with `synced`, the schema or database
 * synced, references the shadow's table; one into another schema keeps its
 * schema); then (PostgreSQL) every foreign key as ALTER TABLE ... ADD, so
 * tables may come in any order. Each statement is checked to lex as exactly
 * one statement with nothing between its tokens but spaces (no ';', no
 * comment, no string the server could end elsewhere, see odd_strings): a desired schema
 * whose rendering would not be one plain statement is refused, naming the
 * table. Text lives in `a`.
 */
int dbs_render_shadow_ddl(dbs_ddl_stmts *out, dbs_arena *a, dbsync_ctx *ctx, const dbsync_schema *desired,
	const bool *only, const char *synced, bool odd_strings);

/* What a dialect's shadow hooks (dialect.h: shadow_table, shadow_table_late)
 * write to: each renders a statement into `b` and records it with
 * dbs_shadow_push. */
typedef struct dbs_shadow_renderer {
	dbs_arena *a;
	dbsync_ctx *ctx;
	dbsync_dialect d;
	const char *synced;          /* the schema (database) synced, or NULL */
	bool odd_strings;            /* the session may end a string elsewhere (see below) */
	dbs_ddl_stmts *out;
	dbs_buf b;
} dbs_shadow_renderer;

/* The statement in r->b, for table t, as a record (r->b cleared): `creates`
 * when it is t's CREATE TABLE, `ref` the table its foreign key references
 * (or NULL). Refused, naming the table, unless it is one plain statement. */
int dbs_shadow_push(dbs_shadow_renderer *r, const dbs_table *t, bool creates, const char *ref);

/* True when `text` lexes (in dialect d) as one statement as described above.
 * With odd_strings (a MySQL session in sql_mode NO_BACKSLASH_ESCAPES or
 * ANSI_QUOTES, which reads strings otherwise than the engine's lexer), a
 * string whose end would move under that mode makes it false too. */
bool dbs_shadow_stmt_is_plain(dbsync_dialect d, const char *text, size_t len, bool odd_strings);

#endif
