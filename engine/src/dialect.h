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

#include "buf.h"
#include "dbsync/common.h"

struct dbs_backend;

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
	/* model generation: */
	/* public answers (facts.c): the external backup tool as people know it
	 * (NULL: none), what the engine's own backup is in words, and the suffix
	 * of a backup file */
	const char *backup_tool;
	const char *backup_engine_method;
	const char *backup_suffix;
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
