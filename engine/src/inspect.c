/*
 * The facts inspection adds to the schema model (views, sizes, row
 * estimates), read by the backend's inspect slot (<dialect>/inspect_<dialect>.c),
 * and the entry point of model generation.
 */
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "options.h"
#include "inspect_internal.h"
#include "dbsync/inspect.h"

static int add_num(dbs_insp *in, dbsync_ctx *ctx, bool rows, const char *table, int64_t n)
{
	dbs_insp_num e = { dbs_arena_strdup(&in->scratch->arena, table), n };
	if (!e.table || (rows ? DBS_VEC_PUSH(&in->scratch->arena, &in->rows, e)
			      : DBS_VEC_PUSH(&in->scratch->arena, &in->sizes, e)))
		return dbs_error_oom(ctx);
	return 0;
}

int dbs_insp_add_size(dbs_insp *in, dbsync_ctx *ctx, const char *table, int64_t bytes)
{
	return add_num(in, ctx, false, table, bytes);
}

int dbs_insp_add_rows(dbs_insp *in, dbsync_ctx *ctx, const char *table, int64_t rows)
{
	return rows < 0 ? 0 : add_num(in, ctx, true, table, rows);
}

dbs_insp_view *dbs_insp_add_view(dbs_insp *in, dbsync_ctx *ctx, const char *name)
{
	dbs_insp_view v = { dbs_arena_strdup(&in->scratch->arena, name), true, NULL, NULL };
	if (!v.name || DBS_VEC_PUSH(&in->scratch->arena, &in->views, v)) {
		dbs_error_oom(ctx);
		return NULL;
	}
	return &in->views.items[in->views.n - 1];
}

dbs_column *dbs_insp_view_column(dbs_insp *in, dbs_insp_view *v, const char *name)
{
	if (!v->shape && !(v->shape = dbs_schema_add_table(in->scratch, v->name)))
		return NULL;
	return dbs_table_add_column(in->scratch, v->shape, name);
}

int dbs_insp_shape_views(dbs_insp *in, dbsync_ctx *ctx)
{
	for (size_t i = 0; i < in->views.n; i++) {
		dbs_insp_view *v = &in->views.items[i];
		if (v->valid && !v->shape && !(v->shape = dbs_schema_add_table(in->scratch, v->name)))
			return dbs_error_oom(ctx);
	}
	return 0;
}

int dbs_insp_read(dbs_insp *in, dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_schema *live,
	unsigned what)
{
	memset(in, 0, sizeof *in);
	in->database_bytes = -1;
	if (!(in->scratch = dbs_schema_new(conn->dialect)))
		return dbs_error_oom(ctx);
	if (!conn->backend->inspect)
		return dbs_error(ctx, DBSYNC_EUNSUPPORTED, "inspecting %s databases is not implemented",
			dbsync_dialect_name(conn->dialect) ? dbsync_dialect_name(conn->dialect) : "unknown");
	return conn->backend->inspect(in, ctx, conn, live, what);
}

void dbs_insp_free(dbs_insp *in)
{
	dbsync_schema_free(in->scratch);
	memset(in, 0, sizeof *in);
}

/* An exact name first, then one equal by the dialect's rules. */
static int64_t find_num(const dbs_insp_num *items, size_t n, dbsync_dialect d, const char *table)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(items[i].table, table) == 0)
			return items[i].n;
	for (size_t i = 0; i < n; i++)
		if (dbs_name_eq(d, items[i].table, table))
			return items[i].n;
	return -1;
}

int64_t dbs_insp_bytes(const dbs_insp *in, dbsync_dialect d, const char *table)
{
	return find_num(in->sizes.items, in->sizes.n, d, table);
}

int64_t dbs_insp_rows(const dbs_insp *in, dbsync_dialect d, const char *table)
{
	return find_num(in->rows.items, in->rows.n, d, table);
}

const dbs_insp_view *dbs_insp_find_view(const dbs_insp *in, dbsync_dialect d, const char *name)
{
	for (size_t i = 0; i < in->views.n; i++)
		if (strcmp(in->views.items[i].name, name) == 0)
			return &in->views.items[i];
	for (size_t i = 0; i < in->views.n; i++)
		if (dbs_name_eq(d, in->views.items[i].name, name))
			return &in->views.items[i];
	return NULL;
}

int dbsync_conn_models_source(char **out, dbsync_ctx *ctx, dbsync_conn *conn,
	const dbsync_models_options *opts)
{
	dbsync_schema *live = NULL;
	dbs_insp in = { 0 };
	int rc;
	*out = NULL;
	if (!conn || !opts)
		return dbs_error(ctx, DBSYNC_EINVALID, "dbsync_conn_models_source needs a connection and options");
	dbsync_models_options current;
	if ((rc = dbs_models_options_read(&current, ctx, opts)))
		return rc;
	opts = &current;
	if ((rc = dbsync_conn_introspect(&live, ctx, conn)))
		goto cleanup;
	if ((rc = dbs_insp_read(&in, ctx, conn, live, DBS_INSP_VIEWS)))
		goto cleanup;
	rc = dbs_models_source(out, ctx, live, &in, opts);
cleanup:
	dbs_insp_free(&in);
	dbsync_schema_free(live);
	return rc;
}
