/* Model generation (modelgen.c, modelgen_field.c, modelgen_types.c): Django
 * field types from column types, Python names and literals, what a column
 * default means, and the generator's state shared by its files. */
#ifndef DBS_MODELGEN_H
#define DBS_MODELGEN_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "arena.h"
#include "buf.h"
#include "dbsync/inspect.h"
#include "model.h"

typedef struct dbs_field_type {
	const char *cls;       /* "CharField" ... */
	int max_length;        /* > 0: max_length=N */
	int max_digits;        /* >= 0 with decimal_places: a DecimalField's precision */
	int decimal_places;
	bool guessed;          /* no Django field matches: TextField stands in */
	bool guessed_precision; /* a numeric column without precision */
} dbs_field_type;

/* The field class for a column of `type` (canonical, lower case) in dialect
 * d; `auto` when the column fills itself (identity, AUTO_INCREMENT, serial,
 * SQLite's integer primary key): the AutoField of that width. `json` when a
 * CHECK (json_valid(...)) guards it (SQLite, MariaDB store JSON as text). */
void dbs_field_type_for(dbs_field_type *out, dbsync_dialect d, const char *type, bool is_auto, bool json);

/* Append `s` as a Python string literal ('...' with escapes). */
void dbs_py_str(dbs_buf *out, const char *s);

/* A valid, lower-case Python identifier for a Django field from a column
 * name, into out (cleared first): keywords and reserved names get a suffix,
 * a leading digit a prefix, characters outside [a-z0-9_] become '_', no "__",
 * no trailing '_'. */
void dbs_py_field_name(dbs_buf *out, const char *column);

/* A CamelCase class name for a table (out cleared first). */
void dbs_py_class_name(dbs_buf *out, const char *table);

typedef enum dbs_default_kind {
	DBS_DEFAULT_NONE = 0,      /* no default, or NULL */
	DBS_DEFAULT_STRING,        /* text: a string literal */
	DBS_DEFAULT_NUMBER,        /* text: the number as written */
	DBS_DEFAULT_BOOL,          /* text: "True" / "False" */
	DBS_DEFAULT_NOW,           /* CURRENT_TIMESTAMP, now(), ... */
	DBS_DEFAULT_SEQUENCE,      /* nextval(...): the column fills itself */
	DBS_DEFAULT_EXPR           /* anything else: text is the expression */
} dbs_default_kind;

/* What the canonical default `expr` of dialect d is; the value goes to `text`
 * (cleared first). */
dbs_default_kind dbs_default_read(dbs_buf *text, dbsync_dialect d, const char *expr);

/* ---- the generator's state, shared by modelgen.c and modelgen_field.c ---- */

/* One model to write: a table or a view. */
typedef struct dbs_mg_model {
	const char *table;            /* as live */
	const char *cls;
	const dbs_table *t;           /* a table, or a view's shape */
	bool view;
	const char *skipped;          /* an invalid view: why no model */
	const char **names;           /* Python field name per column */
	size_t pk;                    /* column index of the primary key field, (size_t)-1 if composite */
	const char *pk_note;          /* why that column stands in for the key, or NULL */
	const dbs_constraint *composite; /* a primary key of several columns: CompositePrimaryKey */
} dbs_mg_model;

/* One generation run; everything lives in `arena` or the buffers. */
typedef struct dbs_mg {
	dbsync_ctx *ctx;
	dbsync_dialect d;
	dbs_arena arena;
	dbs_mg_model *models;
	size_t n;
	json_t *known;                /* table -> "app.Model", or NULL */
	dbs_buf out;
	dbs_buf tmp;
} dbs_mg;


/* The generated model of a live table (exact name first), or NULL. */
const dbs_mg_model *dbs_mg_find_model(const dbs_mg *g, const char *table);
/* "app.Model" of an installed model's table (known_models_json), or NULL. */
const char *dbs_mg_known_model(const dbs_mg *g, const char *table);
size_t dbs_mg_col_index(const dbs_mg *g, const dbs_table *t, const char *name); /* (size_t)-1 if none */
/* A single-column unique constraint or plain unique index on `col`. */
bool dbs_mg_unique_column(dbsync_dialect d, const dbs_table *t, const char *col);
/* A CHECK (json_valid(...)) on `col`: JSON stored as text (SQLite, MariaDB). */
bool dbs_mg_json_checked(const dbs_table *t, const char *col);
/* The single-column foreign key on `col` whose target has a model, or NULL. */
const dbs_constraint *dbs_mg_column_fk(const dbs_mg *g, const dbs_table *t, const char *col);
/* Append the line of column i of m to g->out. */
void dbs_mg_emit_field(dbs_mg *g, const dbs_mg_model *m, size_t i);

#endif
