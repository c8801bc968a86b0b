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
/* canonical forms, normalize, rendering: the model types the hooks below take */
struct dbs_arena;
struct dbs_column;
struct dbs_index;
struct dbs_table;
struct dbs_token;
struct dbs_shadow_renderer;
struct dbsync_schema;

/* canonical forms: a type synonym, applied to the leading words of a
 * canonical type ("integer" in "integer unsigned", "varchar" in
 * "varchar(20)"): `from` becomes `to`, whatever follows kept. With `whole`,
 * only the bare name is rewritten ("time", not "time(3)"). */
typedef struct dbs_type_synonym {
	const char *from;
	const char *to;
	bool whole;
} dbs_type_synonym;

/* model generation: a column type (canonical, whole) whose Django field class
 * the shared rules (modelgen_types.c) would get wrong. */
typedef struct dbs_model_type {
	const char *type;
	const char *cls;
} dbs_model_type;

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
	/* type synonyms giving the names the catalog prints, ending with a NULL
	 * `from`; NULL: none (SQLite keeps the declared text on purpose: there
	 * "int primary key" is no rowid alias, "integer" is) */
	const dbs_type_synonym *type_synonyms;
	/* optional: a canonical type's meaning where a prefix rule cannot give
	 * it (PostgreSQL: a bare char is character(1), float(p) by its precision,
	 * array sizes forgotten); it applies the synonyms itself (dbs_type_synonyms).
	 * NULL: the synonyms alone. Returns NULL when out of memory. */
	const char *(*type_meaning)(struct dbs_arena *a, const struct dbs_dialect_info *info, const char *type);
	/* collation names compare case-insensitively and are kept upper case;
	 * this one is what no COLLATE means on a column, so naming it says
	 * nothing (SQLite: BINARY). NULL: collation names are kept as written. */
	const char *default_collation;
	/* optional: a column default as the server stores it when it rewrites
	 * the written one (MySQL: '1' on a numeric column reads back as 1).
	 * Returns -1 when out of memory. */
	int (*canon_default)(struct dbs_arena *a, struct dbs_column *c);
	/* optional: add to `t` the indexes the server makes by itself (InnoDB:
	 * one for a foreign key no index serves), so a parsed table holds them as
	 * the catalog will. Idempotent. Returns -1 when out of memory. */
	int (*implied_indexes)(struct dbsync_schema *s, struct dbs_table *t);
	/* primary key columns are NOT NULL whatever their declaration; where
	 * false (SQLite) only in tables without a rowid, and the rowid alias */
	bool pk_implies_not_null;
	/* a one-column primary key of exactly this type is an alias of the rowid
	 * (never NULL, fills itself) unless the table is WITHOUT ROWID (SQLite:
	 * "integer"); NULL: tables have no rowid */
	const char *rowid_alias_type;
	/* indexes so named are the server's own behind a UNIQUE or PRIMARY KEY
	 * constraint, part of it and never managed as indexes; NULL: none */
	const char *internal_index_prefix;
	/* names (tables, columns, constraints) compare exactly; otherwise ASCII
	 * case-insensitively */
	bool names_case_sensitive;
	/* boolean literals in generated SQL (SQLite has none: 1 and 0) */
	const char *literal_true;
	const char *literal_false;
	/* comments are part of the definitions: COMMENT '...' on a column, key
	 * or index, COMMENT= on a table; a key's or index's comment is compared
	 * with it (no ALTER changes it alone) */
	bool comments_inline;
	/* optional: a table's comments as statements of their own after every
	 * CREATE of a schema script (PostgreSQL's COMMENT ON), each ending ";\n" */
	int (*render_comments)(dbs_buf *out, const struct dbs_table *t);
	/* a primary key takes no constraint name (MySQL's is always PRIMARY) */
	bool pk_unnamed;
	/* a column-level key takes no name and no COMMENT, and a column-level
	 * REFERENCES is parsed but ignored: such keys are written table-level */
	bool column_keys_plain;
	/* the keyword after PRIMARY KEY that makes a key fill itself, accepted
	 * only inline, so such a one-column key is written inline (SQLite:
	 * AUTOINCREMENT); NULL: none */
	const char *pk_autoincrement_keyword;
	/* the column keyword for the same, after the nullability (MySQL:
	 * AUTO_INCREMENT); NULL: none */
	const char *column_autoincrement_keyword;
	/* columns and tables name a character set and tables a default
	 * collation: CHARACTER SET x, DEFAULT CHARSET=x COLLATE=y */
	bool charsets;
	/* collations are catalog names ("C", "de-DE-x-icu"), always quoted;
	 * otherwise bare when a plain word */
	bool collations_quoted;
	/* a column's ON UPDATE expression is written after its definition */
	bool column_on_update;
	/* what the DDL can say, written when the model holds it: MATCH FULL on
	 * a foreign key; DEFERRABLE after REFERENCES; DEFERRABLE after a
	 * table-level key or exclusion; NO INHERIT on a check; NULLS NOT
	 * DISTINCT on a unique key or index; NULLS FIRST / LAST on an index
	 * part; an index's storage parameters WITH (...); USING method */
	bool fk_match_full;
	bool fk_deferrable;
	bool keys_deferrable;
	bool check_no_inherit;
	bool nulls_not_distinct;
	bool index_nulls_order;
	bool index_storage_params;
	bool index_using_method;
	/* index methods that are index kinds, written CREATE <KIND> INDEX
	 * (MySQL: fulltext, spatial), NULL-terminated; NULL: none */
	const char *const *index_kinds;
	/* optional: whether two columns' collations are equal as the server
	 * applies them (MySQL: a column that names none takes its table's);
	 * NULL: the names compared case-insensitively */
	bool (*collation_eq)(const struct dbs_table *live_t, const struct dbs_column *live,
		const struct dbs_table *want_t, const struct dbs_column *want);
	/* optional: the tables' default charset or collation differ, a change
	 * made before the columns that take it (MySQL) */
	bool (*table_charset_differs)(const struct dbs_table *live, const struct dbs_table *want);
	/* constraints and indexes are renamed in place, so the diff pairs a
	 * left-over live one with an equal desired one under another name as a
	 * rename, and a foreign key's given name counts (PostgreSQL) */
	bool renames_constraints;
	bool renames_indexes;
	/* dropping a foreign key: a format with the quoted table and key name
	 * ("ALTER TABLE %s DROP CONSTRAINT %s"); NULL: a key cannot be dropped
	 * (SQLite: foreign keys go off around the plan instead) */
	const char *sql_drop_foreign_key;
	/* optional: a shadow's statements for one table (its CREATE TABLE, its
	 * indexes, ...), then the ones run once every table exists (NULL: none);
	 * see shadow_ddl.h. NULL shadow_table: no shadow renders this dialect. */
	int (*shadow_table)(struct dbs_shadow_renderer *r, const struct dbs_table *t);
	int (*shadow_table_late)(struct dbs_shadow_renderer *r, const struct dbs_table *t);
	/* optional: whether a string token ends at the same quote in every
	 * session mode the server may run in (MySQL: NO_BACKSLASH_ESCAPES,
	 * ANSI_QUOTES); asked only of a session in such a mode */
	bool (*string_unambiguous)(const struct dbs_token *t);
	/* optional: why no model could declare index `ix` ("FULLTEXT",
	 * "prefix", "USING rum"), or NULL when a model could (plan_unmanaged.c) */
	const char *(*unmanaged_index_kind)(struct dbs_arena *a, const struct dbs_index *ix);
	/* planner: */
	/* model generation: */
	/* column types with a field class of their own, before the shared
	 * rules, ending with a NULL `type`; NULL: none */
	const dbs_model_type *model_types;
} dbs_dialect_info;

/* The data table of a dialect (every known dialect has one, compiled in or
 * not), or NULL for a value that is no dialect. */
const dbs_dialect_info *dbs_dialect_info_for(dbsync_dialect d);
/* The i-th registered dialect (registry order), NULL past the last. */
const dbs_dialect_info *dbs_dialect_at(size_t i);

/* canonical forms: `type` with the first of info's synonyms that names its
 * leading words applied (type itself when none does; NULL when out of memory). */
const char *dbs_type_synonyms(struct dbs_arena *a, const dbs_dialect_info *info, const char *type);

/* Append `name` quoted as an identifier: "a""b" (SQLite, PostgreSQL), `a``b` (MySQL). */
int dbs_quote_ident(dbs_buf *out, dbsync_dialect d, const char *name);
/* Append `s` as a string literal: 'it''s' (MySQL also doubles backslashes). */
int dbs_quote_literal(dbs_buf *out, dbsync_dialect d, const char *s);

#endif
