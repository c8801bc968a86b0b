/*
 * The schema model shared by every part of the engine. A dbsync_schema owns an
 * arena; every string and struct below lives in it and is borrowed by readers.
 *
 * Canonical forms (filled by the parser and dbs_schema_normalize, so the diff can
 * compare with strcmp):
 *  - `type`: the declared type, lower-case, single spaces, no space before '('
 *    ("varchar(100)", "integer unsigned"); NULL when a SQLite column has none.
 *  - expressions (`default_expr`, `check_expr`, `where_expr`, `generated_expr`,
 *    index part `expr`): token-normalized text from dbs_expr_canon: keywords
 *    upper-case, identifiers quoted the dialect's way, one space between tokens
 *    except after '(' and before ')' or ',', redundant outer parentheses dropped.
 *  - names are kept as written (case preserved); compare with dbs_name_eq.
 */
#ifndef DBS_MODEL_H
#define DBS_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "names.h"
#include "dbsync/common.h"
#include "dbsync/schema.h"

typedef DBS_VEC(const char *) dbs_str_vec;

typedef struct dbs_column {
	const char *name;
	const char *type;            /* canonical declared type, or NULL */
	bool not_null;
	bool not_null_not_valid;     /* PostgreSQL 18, live: NOT NULL ... NOT VALID (old rows may hold NULLs) */
	const char *default_expr;    /* canonical expression, or NULL */
	const char *generated_expr;  /* GENERATED ALWAYS AS (expr), or NULL */
	bool generated_stored;       /* STORED (else VIRTUAL) */
	bool autoincrement;          /* SQLite AUTOINCREMENT, MySQL AUTO_INCREMENT */
	const char *identity;        /* PostgreSQL: "ALWAYS" or "BY DEFAULT", else NULL */
	/* PostgreSQL identity sequence options that differ from the defaults, in
	 * the canonical form of pg_identity.h ("START WITH -200 INCREMENT BY 10
	 * MINVALUE -500"), or NULL. Parsed: the options as written, minus SEQUENCE
	 * NAME (the shadow reads them back canonical). */
	const char *identity_options;
	/* PostgreSQL, introspection only: the sequence the column owns (a serial's
	 * or an identity's) as SQL (quoted; qualified when in another schema), and
	 * its type as format_type() prints it; NULL when none. */
	const char *sequence;
	const char *sequence_type;
	const char *collation;       /* COLLATE name, or NULL */
	const char *charset;         /* MySQL, parsed: CHARACTER SET name, or NULL (the shadow renders it) */
	const char *comment;         /* or NULL */
	const char *on_update_expr;  /* MySQL ON UPDATE expression (CURRENT_TIMESTAMP(6)), or NULL */
} dbs_column;

typedef enum dbs_con_kind {
	DBS_CON_PRIMARY = 1,
	DBS_CON_UNIQUE,
	DBS_CON_CHECK,
	DBS_CON_FOREIGN,
	DBS_CON_EXCLUDE              /* PostgreSQL EXCLUDE USING method (elem WITH op, ...) */
} dbs_con_kind;

struct dbs_index;

typedef struct dbs_constraint {
	dbs_con_kind kind;
	const char *name;            /* NULL when unnamed */
	bool inline_col;             /* written on its column ("x" int UNIQUE); single column */
	dbs_str_vec cols;            /* PRIMARY/UNIQUE/FOREIGN: local columns; CHECK: the column for an inline check, else empty */
	const char *check_expr;      /* CHECK */
	const char *ref_table;       /* FOREIGN */
	const char *ref_schema;      /* FOREIGN, parsed: the schema (database) written before ref_table, or NULL */
	dbs_str_vec ref_cols;        /* FOREIGN; empty means the referenced primary key */
	const char *on_delete;       /* FOREIGN: "CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT"; NULL = NO ACTION */
	const char *on_update;
	bool deferrable;
	bool initially_deferred;
	bool match_full;             /* FOREIGN, PostgreSQL: MATCH FULL (MATCH SIMPLE is the default) */
	bool pk_autoincrement;       /* SQLite: PRIMARY KEY ... AUTOINCREMENT */
	bool nulls_not_distinct;     /* UNIQUE NULLS NOT DISTINCT (PostgreSQL 15) */
	bool no_inherit;             /* CHECK ... NO INHERIT (PostgreSQL) */
	/* EXCLUDE: method, parts (each with its operator), INCLUDE and WHERE, as an
	 * index has them; the index's name is unused */
	struct dbs_index *exclude;
	const char *comment;         /* PostgreSQL COMMENT ON CONSTRAINT, MySQL key COMMENT, or NULL */
} dbs_constraint;

typedef struct dbs_index_part {
	const char *column;          /* or NULL for an expression */
	const char *expr;            /* canonical expression, or NULL */
	bool desc;
	/* PostgreSQL: NULLS FIRST on an ascending part, NULLS LAST on a
	 * descending one (the other order is each direction's default) */
	bool nulls_reversed;
	const char *collation;       /* or NULL */
	const char *opclass;         /* PostgreSQL operator class, or NULL */
	int prefix_len;              /* MySQL prefix length, 0 when none */
	const char *op;              /* exclusion constraints: the operator after WITH, else NULL */
} dbs_index_part;

typedef struct dbs_index {
	const char *name;
	bool unique;
	DBS_VEC(dbs_index_part) parts;
	const char *where_expr;      /* partial index predicate, or NULL */
	const char *method;          /* "btree", "gin", ... NULL = default */
	dbs_str_vec include;         /* INCLUDE columns */
	const char *comment;
	/* PostgreSQL storage parameters, canonical: "key=value" sorted by key,
	 * joined by ", " (fastupdate=off, fillfactor=70); NULL when none */
	const char *options;
	bool nulls_not_distinct;     /* NULLS NOT DISTINCT (PostgreSQL 15) */
} dbs_index;

/* A trigger as the database stores it. Not part of the desired schema (Django
 * declares none); kept so a table rebuild can put the table's triggers back. */
typedef struct dbs_trigger {
	const char *name;
	const char *sql;             /* the CREATE TRIGGER statement as stored */
} dbs_trigger;

typedef struct dbs_table {
	const char *name;
	DBS_VEC(dbs_column *) columns;
	DBS_VEC(dbs_constraint *) constraints;
	DBS_VEC(dbs_index *) indexes;
	DBS_VEC(dbs_trigger *) triggers; /* live side only */
	const char *comment;
	bool without_rowid;          /* SQLite */
	bool strict;                 /* SQLite */
	/* MySQL: the table's default character set and collation (what a column
	 * that names none takes). Live: the catalog's. Desired: as the shadow read
	 * them when the DDL names a charset or a collation; both NULL when it names
	 * neither, which means "the database's default" and is never compared.
	 * `collation_implied`: the DDL named only the charset, so `collation` is
	 * that charset's default (NULL as parsed) and is compared only when the
	 * charsets differ. */
	const char *charset;
	const char *collation;
	bool collation_implied;
	const char *source_sql;      /* the CREATE statement as read (introspection), or NULL */
	/* introspection: why the engine could not read the table (its stored DDL
	 * does not parse, ...); the planner skips it (plan_isolate.c). NULL when read. */
	const char *unreadable;
	int line;                    /* parsed: the line of its CREATE TABLE, for messages; else 0 */
} dbs_table;

/* SQLite: a virtual table, or a shadow table that stores one's data. Neither
 * is a table a model can describe; see plan_unmanaged.c. Live side only. */
typedef struct dbs_vtable {
	const char *name;
	const char *module;          /* virtual: "fts5", "rtree", ...; shadow: NULL */
	const char *owner;           /* shadow: its virtual table, or NULL when unknown */
} dbs_vtable;

typedef struct dbs_view {
	const char *name;
	const char *definition;      /* SELECT text as stored */
} dbs_view;

/* A schema (PostgreSQL) or database (MySQL) a parsed script names: a
 * qualified name's qualifier or SET search_path's. The parser cannot know the
 * schema synced; planning refuses a script naming another one. */
typedef struct dbs_qualifier {
	const char *schema;
	int line;                    /* where it first appears */
} dbs_qualifier;

struct dbsync_schema {
	dbs_arena arena;
	dbsync_dialect dialect;
	DBS_VEC(dbs_table *) tables;
	DBS_VEC(dbs_view *) views;
	DBS_VEC(dbs_vtable) vtables;  /* live side, SQLite: virtual and shadow tables */
	/* The DDL text a parsed schema came from (dbsync_schema_parse keeps it), or
	 * NULL for an introspected one. Kept for the record only: the shadows
	 * (backend.h normalize_desired) never run it, they run the DDL the engine
	 * renders from the parsed model (shadow_ddl.c). */
	const char *source_ddl;
	size_t source_ddl_len;
	DBS_VEC(dbs_qualifier) qualifiers; /* parsed: every schema the script names, once */
	DBS_VEC(dbsync_unhandled) unhandled; /* parsed: statements about objects the model does not hold */
	/* Table name -> position in `tables`. dbs_schema_add_table keeps it
	 * current; code that edits `tables` or a table's name in place calls
	 * dbs_schema_reindex. Lookups only read it, so a complete schema is never
	 * written by a reader (two threads may plan against one desired schema). */
	dbs_name_index table_names;
	/* Index name -> position in `tables` of a table holding it, kept by
	 * dbs_table_add_index; a stale entry is never trusted (see
	 * dbs_schema_find_index). */
	dbs_name_index index_names;
};

/* Identifier equality under the dialect's rules (SQLite and MySQL columns:
 * ASCII case-insensitive; PostgreSQL: exact). */
bool dbs_name_eq(dbsync_dialect d, const char *a, const char *b);
/* Two name lists equal item by item under dbs_name_eq. */
bool dbs_names_eq(dbsync_dialect d, const dbs_str_vec *a, const dbs_str_vec *b);
/* NULL-safe string equality: exact, and ASCII case-insensitive. */
bool dbs_str_eq(const char *a, const char *b);
bool dbs_ascii_ieq(const char *a, const char *b);

dbsync_schema *dbs_schema_new(dbsync_dialect d); /* NULL on OOM */
dbs_table *dbs_schema_add_table(dbsync_schema *s, const char *name); /* copies name */
/* The table named `name` (exact spelling first, then dbs_name_eq), or NULL.
 * Reads only: safe on a schema shared between threads. */
dbs_table *dbs_schema_find_table(const dbsync_schema *s, const char *name);
/* Rebuild the name indexes after `tables` or a table's name was changed other
 * than through dbs_schema_add_table. Returns 0, or -1 when out of memory. */
int dbs_schema_reindex(dbsync_schema *s);
dbs_column *dbs_table_add_column(dbsync_schema *s, dbs_table *t, const char *name);
dbs_column *dbs_table_find_column(const dbsync_schema *s, const dbs_table *t, const char *name);
size_t dbs_table_column_index(const dbsync_schema *s, const dbs_table *t, const char *name); /* (size_t)-1 if none */
dbs_constraint *dbs_table_add_constraint(dbsync_schema *s, dbs_table *t, dbs_con_kind kind);
dbs_index *dbs_table_add_index(dbsync_schema *s, dbs_table *t, const char *name);
/* The index named `name` in any table (dbs_name_eq), and its table; NULL when none. Reads only. */
dbs_index *dbs_schema_find_index(const dbsync_schema *s, const char *name, dbs_table **table_out);
dbs_trigger *dbs_table_add_trigger(dbsync_schema *s, dbs_table *t, const char *name, const char *sql);
dbs_view *dbs_schema_add_view(dbsync_schema *s, const char *name, const char *definition);
/* The table's primary key constraint, or NULL. */
dbs_constraint *dbs_table_primary_key(const dbs_table *t);
/* A constraint the DDL left unnamed (Django's inline UNIQUE, PRIMARY KEY, CHECK,
 * REFERENCES) is named by the server that runs it ("t_x_key", "PRIMARY",
 * "t_ibfk_1"). After a shadow run, forget every constraint name of `normalized`
 * that `parsed` (the same table as written) does not declare, so the diff
 * matches such constraints by definition: a live database may carry another
 * name for the same constraint (a migration that added it later). */
void dbs_table_forget_invented_names(dbs_table *normalized, const dbs_table *parsed);
/* The same for every table of `normalized` that `parsed` has. */
void dbs_schema_forget_invented_names(dbsync_schema *normalized, const dbsync_schema *parsed);
/* A hash of everything the diff compares (tables, columns, constraints, indexes,
 * comments), to tell whether a database changed between two reads. */
uint64_t dbs_schema_fingerprint(const dbsync_schema *s);
/* Copy an index (deep) into table `t` of schema `s`; returns the copy. */
dbs_index *dbs_table_copy_index(dbsync_schema *s, dbs_table *t, const dbs_index *src);
/* Append deep copies of src's parts to dst's (in arena `a`); 0, or -1 out of memory. */
int dbs_index_copy_parts(dbs_arena *a, dbs_index *dst, const dbs_index *src);
/* Copy a table (deep) from one schema into another; returns the copy. */
dbs_table *dbs_schema_copy_table(dbsync_schema *dst, const dbs_table *src);

#endif
