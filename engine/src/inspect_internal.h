/*
 * What the inspection files share (inspect.c, inspect_json.c, inspect_<dialect>.c,
 * modelgen*.c): the facts beyond the schema model that each backend reads in
 * a fixed number of catalog queries: views with their columns and validity,
 * the size of every table, and the catalog's estimate of its rows.
 */
#ifndef DBS_INSPECT_INTERNAL_H
#define DBS_INSPECT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "dbsync/django.h"
#include "dbsync/inspect.h"
#include "model.h"

typedef struct dbs_insp_view {
	const char *name;
	bool valid;
	const char *error;   /* names the view; NULL when valid */
	dbs_table *shape;    /* its columns (name, type, not_null) in scratch; NULL when unknown */
} dbs_insp_view;

/* A number known per table: its size in bytes, or the catalog's estimate of its rows. */
typedef struct dbs_insp_num {
	const char *table;
	int64_t n;
} dbs_insp_num;

/* What dbs_insp_read reads (the backend's inspect slot), or'ed together. */
enum {
	DBS_INSP_VIEWS = 1,   /* views with their columns and validity */
	DBS_INSP_SIZES = 2,   /* bytes per table (or of the whole database) */
	DBS_INSP_ROWS = 4,    /* the catalog's row estimate per table: no table is read */
};

typedef struct dbs_insp {
	dbsync_schema *scratch;        /* owns every string and view shape below */
	DBS_VEC(dbs_insp_view) views;
	DBS_VEC(dbs_insp_num) sizes;
	DBS_VEC(dbs_insp_num) rows;    /* tables the catalog has an estimate for */
	const char *size_method;       /* how bytes were measured, or NULL when they were not */
	const char *rows_method;       /* where row estimates came from, or NULL when none was read */
	int64_t database_bytes;        /* the whole database where only that is known, else -1 */
} dbs_insp;

/* Read what `what` (DBS_INSP_*) asks for of `conn`, whose schema model `live`
 * was just read. An invalid view is a fact, not a failure. */
int dbs_insp_read(dbs_insp *in, dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_schema *live,
	unsigned what);
void dbs_insp_free(dbs_insp *in);
/* Bytes of `table`, or -1 when unknown. */
int64_t dbs_insp_bytes(const dbs_insp *in, dbsync_dialect d, const char *table);
/* The catalog's estimate of the rows of `table`, or -1 when it has none. */
int64_t dbs_insp_rows(const dbs_insp *in, dbsync_dialect d, const char *table);
const dbs_insp_view *dbs_insp_find_view(const dbs_insp *in, dbsync_dialect d, const char *name);

/* Helpers for the dialect readers: 0, or DBSYNC_ENOMEM recorded on ctx. */
int dbs_insp_add_size(dbs_insp *in, dbsync_ctx *ctx, const char *table, int64_t bytes);
/* A negative estimate (the catalog's "never measured") is left out: unknown. */
int dbs_insp_add_rows(dbs_insp *in, dbsync_ctx *ctx, const char *table, int64_t rows);
dbs_insp_view *dbs_insp_add_view(dbs_insp *in, dbsync_ctx *ctx, const char *name);
/* Column `name` added to view v's shape (made on first use); NULL out of memory (not recorded). */
dbs_column *dbs_insp_view_column(dbs_insp *in, dbs_insp_view *v, const char *name);
/* Every valid view still without a shape (it has no columns) gets an empty one. */
int dbs_insp_shape_views(dbs_insp *in, dbsync_ctx *ctx);

/* Model source (modelgen.c) for `tables` of `live`, views shaped by `in`. */
int dbs_models_source(char **out, dbsync_ctx *ctx, const dbsync_schema *live, const dbs_insp *in,
	const dbsync_models_options *opts);

#endif
