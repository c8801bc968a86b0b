/*
 * What the dialect-neutral core knows of a dialect: one data table per
 * dialect (engine/src/<dialect>/dialect_<dialect>.c), found through the
 * registry (registry.c), the one place outside the dialect folders that names
 * the dialects. Quoting of every identifier and literal in generated SQL goes
 * through here too.
 *
 * The core reads differences from these fields and never branches on a
 * dialect constant. Each part adds its fields in its own block below.
 */
#ifndef DBS_DIALECT_H
#define DBS_DIALECT_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "buf.h"
#include "type.h"
#include "dbsync/common.h"

struct dbs_backend;
struct dbs_planner;

typedef struct dbs_dialect_info {
	dbsync_dialect dialect;
	/* canonical name (dbsync_dialect_name) and the other names accepted for
	 * it, NULL-terminated (dbsync_dialect_from_name) */
	const char *name;
	const char *const *aliases;
	/* what to install when the backend was not compiled in */
	const char *missing_backend_hint;
	/* identifier quote character ('"' or '`'), doubled inside a name */
	char ident_quote;
	/* string literals double backslashes too (MySQL) */
	bool literal_doubles_backslash;
	/* parser (lexer, statements): */
	/* canonical forms, normalize, rendering: */
	/* planner: */
	/* Plans every change of the diff into the planner's stages: missing
	 * tables, changed ones, and what the dialect checks across tables
	 * (<dialect>/plan_<dialect>.c). Called once per dbsync_plan_compute. */
	int (*plan)(struct dbs_planner *p);
	/* What the synced namespace is called in messages ("schema",
	 * "database"), and how a user picks another one (appended to the
	 * refusal of a desired schema naming another; "" when there is none). */
	const char *namespace_word;
	const char *namespace_hint;
	/* The WHERE condition under which a row breaks a CHECK, written around
	 * its expression: a CHECK passes on NULL (unknown), so only a false
	 * outcome counts: "NOT (" expr ")", or "(" expr ") = 0" where FALSE is
	 * the integer 0. */
	const char *check_fails_open, *check_fails_close;
	/* The SQL value that fills a NOT NULL column's NULLs from its own default
	 * `expr` (plan_fill.h), in the arena; NULL when the dialect cannot write
	 * that default as a value (the field's default is used then). *oom on
	 * failure. */
	const char *(*default_fill)(dbs_arena *a, const char *expr, bool *oom);
	/* The query counting the values of `column` of `table` that a type
	 * change from `f` to `t` would lose (`n`, type.h), into `q`, with *what
	 * (in `a`) saying what the counted values are; false when the dialect
	 * counts nothing for that change. NULL: no type change is counted. */
	bool (*lossy_count_sql)(dbs_buf *q, dbs_arena *a, const char *table, const char *column, dbs_narrowing n,
		const dbs_type *f, const dbs_type *t, const char **what);
	/* What a constraint added by name writes (render_constraint.c): a
	 * primary key's CONSTRAINT name (MySQL's is always PRIMARY), DEFERRABLE,
	 * UNIQUE NULLS NOT DISTINCT, CHECK ... NO INHERIT, MATCH FULL, and a
	 * key's own COMMENT (elsewhere a comment is a statement of its own). */
	bool primary_key_named;
	bool constraint_deferrable;
	bool unique_nulls_not_distinct;
	bool check_no_inherit;
	bool foreign_key_match_full;
	bool key_comment_inline;
	/* model generation: */
} dbs_dialect_info;

/* The data table of a dialect (every known dialect has one, compiled in or
 * not), or NULL for a value that is no dialect. */
const dbs_dialect_info *dbs_dialect_info_for(dbsync_dialect d);
/* The i-th registered dialect (registry order), NULL past the last. */
const dbs_dialect_info *dbs_dialect_at(size_t i);

/* Append `name` quoted as an identifier: "a""b" (SQLite, PostgreSQL), `a``b` (MySQL). */
int dbs_quote_ident(dbs_buf *out, dbsync_dialect d, const char *name);
/* Append `s` as a string literal: 'it''s' (MySQL also doubles backslashes). */
int dbs_quote_literal(dbs_buf *out, dbsync_dialect d, const char *s);

#endif
