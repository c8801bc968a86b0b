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
struct dbs_parser;
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
