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
struct dbs_parser;
struct dbs_planner;
struct dbs_token;
struct dbs_column;
struct dbs_index;
struct dbs_table;

/* How a server treats the letter case of table names. */
typedef enum dbs_name_case {
	DBS_NAMES_EXACT,       /* `abcd` and `ABCD` are two tables (PostgreSQL, MySQL lower_case_table_names=0) */
	DBS_NAMES_PRESERVED,   /* stored as written, compared ignoring case (SQLite, MySQL 2) */
	DBS_NAMES_FOLDED       /* stored lower-case; the case of a name means nothing (MySQL 1) */
} dbs_name_case;

/* canonical forms, normalize, rendering: the model types the hooks below take */
struct dbs_arena;
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
	/* (false, 0 and NULL everywhere read the syntax every dialect shares) */
	/* tokens (lexer.c): the quoting, comments and literals the dialect reads */
	bool backtick_idents;          /* `ident` */
	bool bracket_idents;           /* [ident] */
	bool double_quote_strings;     /* ".." is a string literal, not an identifier */
	bool backslash_escapes;        /* '..' and ".." strings take \-escapes (\n, \', \\) */
	bool escape_strings;           /* E'..' strings with \-escapes */
	bool bit_strings;              /* B'..' (read as a blob token) */
	bool unicode_strings;          /* U&'..' */
	bool dollar_quotes;            /* $tag$..$tag$ strings ($1 stays a parameter) */
	bool numbered_params;          /* ?NNN */
	const char *named_param_starts; /* characters that open a named parameter (":@"), NULL for none */
	bool hash_comments;            /* # starts a comment line */
	bool nested_block_comments;    /* a block comment inside one nests */
	bool exec_comments;            /* executable comments (bang after the opening) read as code */
	bool delimiter_command;        /* a client's "DELIMITER xx" line changes what ends a statement */
	/* a client's commands read as a comment line when one starts a line
	 * (pg_dump's "\restrict KEY"), NULL-terminated; NULL for none */
	const char *const *comment_line_commands;
	bool operators_longest_run;    /* an operator is the longest run of operator characters */
	/* names */
	bool folds_unquoted_to_lower;  /* a bare identifier means its lower-case spelling */
	size_t ident_max_bytes;        /* identifiers cut to this many bytes, on a character boundary (0: no limit) */
	bool string_names;             /* a string literal may stand for a name, as in 'tbl' */
	/* the one schema a name may be qualified with (the database synced),
	 * NULL when any schema is recorded and checked at plan time */
	const char *only_schema;
	/* canonical text (parse_canon.c) */
	bool std_expr_keywords;        /* AT, DAY, DOUBLE, FOR...: keywords in expressions, else identifiers */
	bool collation_names_upper;    /* collation names are case-insensitive: written upper case */
	bool keeps_unary_plus;         /* +1 keeps its operator (the server prints it) */
	bool double_equals;            /* == is =, written = */
	/* quoted type names are catalog names: quoted, they keep their quotes
	 * unless plain lower-case words other than these (bare, they mean a
	 * grammar type: "char" is not char); NULL: a quoted type name is its words */
	const char *const *type_grammar_words;
	/* statements (parse*.c) */
	bool unlogged_tables;          /* CREATE UNLOGGED TABLE exists (refused: not managed) */
	bool schema_is_database;       /* CREATE SCHEMA makes a database (refused), not a namespace */
	bool alter_schema_owner;       /* ALTER SCHEMA name [OWNER TO role] is read, as pg_dump writes it */
	const char *comment_on_refused; /* why COMMENT ON is refused, NULL when it is read */
	/* the dialect's own tables (sqlite_sequence) a dump prints: skipped */
	const char *internal_table_prefix;
	bool tables_without_columns;   /* CREATE TABLE t () */
	bool constraints_without_commas; /* table constraints may follow each other without a comma */
	bool default_is_one_term;      /* DEFAULT takes one term (a literal, signed number, (expr)); a bare word is a string */
	bool qualified_type_names;     /* schema.type in a column definition (pg_dump) */
	/* AUTOINCREMENT is another dialect's: what to write instead (NULL: the
	 * dialect's own, on an INTEGER PRIMARY KEY) */
	const char *autoincrement_instead;
	bool match_enforced;           /* MATCH FULL is kept, MATCH PARTIAL refused; else MATCH is read and ignored */
	bool no_inherit;               /* NO INHERIT after CHECK and NOT NULL */
	bool not_null_constraints;     /* NOT NULL col as a table constraint */
	bool not_valid;                /* NOT VALID after a table constraint */
	bool unique_nulls_distinct;    /* UNIQUE NULLS [NOT] DISTINCT (cols) in a table */
	/* KEY/INDEX [name] (cols) inside CREATE TABLE, UNIQUE KEY|INDEX [name],
	 * FOREIGN KEY name, USING type before a key's columns or after an
	 * index's name */
	bool key_index_syntax;
	/* index kinds written before INDEX or KEY (FULLTEXT), kept as the index
	 * method in lower case; NULL-terminated, NULL for none */
	const char *const *index_kind_words;
	bool concurrent_indexes;       /* CREATE INDEX CONCURRENTLY */
	bool index_nulls_order;        /* NULLS FIRST/LAST of an index part is kept */
	bool operator_classes;         /* a word after an index part names its operator class */
	bool prefix_lengths;           /* col(n) in an index is a prefix of the column */
	bool index_storage_params;     /* WITH (name = value, ...) after an index's columns */
	bool index_tablespace_refused; /* TABLESPACE after an index's columns (refused: not moved) */
	const char *index_method_refused; /* why USING method is refused, NULL when it is read */
	/* more words that end a type name or a DEFAULT expression (column
	 * attributes), "A B" for a pair; NULL-terminated, NULL for none */
	const char *const *column_attribute_words;
	/* Hooks for grammar only this dialect has (<dialect>/parse_<dialect>.c),
	 * NULL for none. Each works on the parser at the current token: */
	/* clauses between CREATE [OR REPLACE] and the object kind, skipped */
	void (*create_clauses)(struct dbs_parser *p);
	/* one column attribute after the type (read into col): true when one was */
	bool (*column_attribute)(struct dbs_parser *p, struct dbs_column *col, const char *context);
	/* options after a key's or index's columns (COMMENT into *comment); in
	 * the dialects without them a key takes the deferrable clause instead */
	int (*key_options)(struct dbs_parser *p, const char *context, const char **comment);
	/* a table constraint of the dialect's own (EXCLUDE ...), named `name`
	 * (NULL: unnamed): true when one was read */
	bool (*table_constraint)(struct dbs_parser *p, struct dbs_table *t, const char *name, const char *context);
	/* the name the server gives CREATE INDEX ON t (...), once the index's
	 * parts are known (NULL: an index needs a name) */
	const char *(*unnamed_index_name)(struct dbs_parser *p, const struct dbs_table *t, const struct dbs_index *ix);
	/* what may follow CREATE TABLE's column list; returns p->rc */
	int (*table_options)(struct dbs_parser *p, struct dbs_table *t);
	/* an ALTER TABLE action of the dialect's own: true when one was read */
	bool (*alter_table_action)(struct dbs_parser *p, struct dbs_table *t);
	/* a statement that is not schema DDL but a dump's preamble (SET,
	 * PRAGMA...): true when it was read (accepted, or refused on p) */
	bool (*preamble_statement)(struct dbs_parser *p, const struct dbs_token *first);
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
	/* what the DDL can say, written when the model holds it: DEFERRABLE
	 * after REFERENCES; DEFERRABLE after a table-level key or exclusion;
	 * USING method after an index's table. The parser's fields say the
	 * rest: MATCH FULL (match_enforced), NO INHERIT (no_inherit), NULLS
	 * NOT DISTINCT (unique_nulls_distinct), NULLS FIRST / LAST
	 * (index_nulls_order), WITH (...) (index_storage_params), and the
	 * index kinds written CREATE <KIND> INDEX (index_kind_words) */
	bool fk_deferrable;
	bool keys_deferrable;
	bool index_using_method;
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
	/* Plans every change of the diff into the planner's stages: missing
	 * tables, changed ones, and what the dialect checks across tables
	 * (<dialect>/plan_<dialect>.c). Called once per dbsync_plan_compute. */
	int (*plan)(struct dbs_planner *p);
	/* What the synced namespace is called in messages ("schema",
	 * "database"), and how a user picks another one (appended to the
	 * refusal of a desired schema naming another; "" when there is none). */
	const char *namespace_word;
	const char *namespace_hint;
	/* A fleet's hand-run script (fleet_script.c): what it puts before a
	 * member's statements so the session syncs that member, a format with one
	 * "%s": the member's name quoted as an identifier, itself written as a
	 * string literal when use_namespace_literal. NULL: a plan's own script
	 * selects the namespace it was planned for (MySQL's USE), or there are
	 * no namespaces. */
	const char *use_namespace_sql;
	bool use_namespace_literal;
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
	/* model generation: */
	/* column types with a field class of their own, before the shared
	 * rules, ending with a NULL `type`; NULL: none */
	const dbs_model_type *model_types;
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

/* canonical forms: `type` with the first of info's synonyms that names its
 * leading words applied (type itself when none does; NULL when out of memory). */
const char *dbs_type_synonyms(struct dbs_arena *a, const dbs_dialect_info *info, const char *type);

/* Append `name` quoted as an identifier: "a""b" (SQLite, PostgreSQL), `a``b` (MySQL). */
int dbs_quote_ident(dbs_buf *out, dbsync_dialect d, const char *name);
/* Append `s` as a string literal: 'it''s' (MySQL also doubles backslashes). */
int dbs_quote_literal(dbs_buf *out, dbsync_dialect d, const char *s);

#endif
