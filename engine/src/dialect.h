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

/* How a server treats the letter case of table names. */
typedef enum dbs_name_case {
	DBS_NAMES_EXACT,       /* `abcd` and `ABCD` are two tables (PostgreSQL, MySQL lower_case_table_names=0) */
	DBS_NAMES_PRESERVED,   /* stored as written, compared ignoring case (SQLite, MySQL 2) */
	DBS_NAMES_FOLDED       /* stored lower-case; the case of a name means nothing (MySQL 1) */
} dbs_name_case;

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
	/* renames and runtime: */
	/* Renaming a table: two "%s", the quoted old then new name (what
	 * Django's schema editors call sql_rename_table). */
	const char *rename_table_sql;
	/* The case rule of table names, where the backend does not read the
	 * server's own (dbs_backend.table_name_case). */
	dbs_name_case table_name_case;
	/* Put around each rename when the plan also rebuilds a table, or NULL:
	 * SQLite applies rebuilds with legacy_alter_table on, under which a
	 * rename would leave REFERENCES, views and triggers naming the old table. */
	const char *rename_beside_rebuild_before, *rename_beside_rebuild_after;
	/* The URL names a file (sqlite:///app.db), not a server (scheme://host/db). */
	bool url_is_file_path;
	/* Errors worth another attempt (dbsync_error_is_transient), by SQLSTATE
	 * (a two-character entry stands for its whole class; NULL-terminated)
	 * and native error number (0-terminated); never by message text. */
	const char *const *transient_sqlstates;
	const int *transient_native_codes;
	/* Of those, the ones that mean the connection is gone: reconnect first. */
	const char *const *lost_sqlstates;
	const int *lost_native_codes;
	/* The bits of a native code the lists compare, 0 for all: SQLite's
	 * extended result codes keep the primary code in the low byte. */
	int native_code_mask;
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
