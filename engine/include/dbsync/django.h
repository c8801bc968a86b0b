/*
 * libdbsync: what is specific to Django projects. The generic headers speak of
 * desired tables and columns; this one holds the contract with the Django app
 * (django_dbsync/): the metadata it passes with a plan, and Django model
 * source generated from live tables and views.
 */
#ifndef DBSYNC_DJANGO_H
#define DBSYNC_DJANGO_H

#include "dbsync/common.h"
#include "dbsync/conn.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The metadata (dbsync_plan_options.metadata_json): JSON the Django app
 * writes from its models, for what the DDL cannot say.
 *
 *   {"tables": {"<table>": {"app_label": "...", "model": "app.Model",
 *     "columns": {"<column>": {"field": "...", "class": "CharField",
 *       "default": <JSON value, present only when the field has one>,
 *       "has_default": true}}}}}
 *
 * Tables and columns match the desired ones exactly, else ignoring ASCII
 * letter case; every key is optional ("app_label" is not read). "model",
 * "field" and "class" name the table and column in messages ("field" and
 * "model" also in dbsync_fill); the part of "model" before its '.' is the
 * table's prefix for dbsync_plan_options.auto_rename_tables.
 * "default" fills existing rows when a NOT NULL column is added to a table
 * with rows, or made NOT NULL while it holds NULLs; a default of null, or
 * none, fills nothing and the change is REFUSED with the count.
 * "has_default" without "default" says the field has a default that the
 * caller computes only when applying (it may run code): the plan then lists
 * the fill (dbsync_plan_fill) and its SQL shows a placeholder; plan again
 * with the value as "default" before applying. Invalid JSON or another shape
 * is DBSYNC_EINVALID with the line and column on the context's error.
 */

/**
 * Options for dbsync_conn_models_source. Initialize with
 * dbsync_models_options_init (or DBSYNC_MODELS_OPTIONS_INIT); every version
 * from 1 to the library's own is accepted.
 */
typedef struct dbsync_models_options {
	unsigned int version;
	const char *const *tables;  /**< live tables and/or views to generate models for */
	size_t n_tables;
	/**
	 * Optional JSON mapping existing tables to their model, for foreign keys
	 * into tables that are not generated: {"auth_user": "auth.User", ...}.
	 */
	const char *known_models_json;
	const char *title;          /**< first line of the header comment, or NULL */
} dbsync_models_options;

#define DBSYNC_MODELS_OPTIONS_VERSION 1
#define DBSYNC_MODELS_OPTIONS_INIT { DBSYNC_MODELS_OPTIONS_VERSION, NULL, 0, NULL, NULL }

/** The defaults of layout `version` (1 to DBSYNC_MODELS_OPTIONS_VERSION), as dbsync_plan_options_init. */
DBSYNC_EXTERN(int) dbsync_models_options_init(dbsync_models_options *opts, unsigned int version);

/**
 * Python source of Django models (managed = False, db_table) for the named
 * tables and views: field types from column types, max_length, decimal
 * precision, null/blank, defaults, ForeignKey/OneToOneField, unique_together,
 * db_comment/db_table_comment, auto_now(_add), valid Python names with
 * db_column, a comment on every guessed type; views read-only with a chosen
 * primary key explained in a comment. A name that is neither a table nor a view
 * is DBSYNC_EINVALID naming it; an invalid view becomes a comment with its
 * error, never a failure. Caller frees *out.
 */
DBSYNC_EXTERN(int) dbsync_conn_models_source(char **out, dbsync_ctx *ctx, dbsync_conn *conn,
	const dbsync_models_options *opts);

#ifdef __cplusplus
}
#endif

#endif
