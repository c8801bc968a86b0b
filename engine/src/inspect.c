/*
 * The facts inspection adds to the schema model (views, sizes), read per
 * dialect in inspect_<dialect>.c, and the entry point of model generation.
 */
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "options.h"
#include "inspect_internal.h"
#include "dbsync/inspect.h"

int dbs_insp_add_size(dbs_insp *in, dbsync_ctx *ctx, const char *table, int64_t bytes)
{
	dbs_insp_size s = { dbs_arena_strdup(&in->scratch->arena, table), bytes };
	if (!s.table || DBS_VEC_PUSH(&in->scratch->arena, &in->sizes, s))
		return dbs_error_oom(ctx);
	return 0;
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
	bool want_views, bool want_sizes)
{
	memset(in, 0, sizeof *in);
	in->database_bytes = -1;
	if (!(in->scratch = dbs_schema_new(conn->dialect)))
		return dbs_error_oom(ctx);
	switch (conn->dialect) {
#ifdef DBSYNC_HAVE_SQLITE
	case DBSYNC_DIALECT_SQLITE:
		return dbs_insp_sqlite(in, ctx, conn, live, want_views, want_sizes);
#endif
#ifdef DBSYNC_HAVE_POSTGRES
	case DBSYNC_DIALECT_POSTGRES:
		return dbs_insp_postgres(in, ctx, conn, live, want_views, want_sizes);
#endif
#ifdef DBSYNC_HAVE_MYSQL
	case DBSYNC_DIALECT_MYSQL:
		return dbs_insp_mysql(in, ctx, conn, live, want_views, want_sizes);
#endif
	default:
		return dbs_error(ctx, DBSYNC_EUNSUPPORTED, "inspecting %s databases is not implemented",
			dbsync_dialect_name(conn->dialect) ? dbsync_dialect_name(conn->dialect) : "unknown");
	}
}

void dbs_insp_free(dbs_insp *in)
{
	dbsync_schema_free(in->scratch);
	memset(in, 0, sizeof *in);
}

int64_t dbs_insp_bytes(const dbs_insp *in, dbsync_dialect d, const char *table)
{
	for (size_t i = 0; i < in->sizes.n; i++)
		if (strcmp(in->sizes.items[i].table, table) == 0)
			return in->sizes.items[i].bytes;
	for (size_t i = 0; i < in->sizes.n; i++)
		if (dbs_name_eq(d, in->sizes.items[i].table, table))
			return in->sizes.items[i].bytes;
	return -1;
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
	if ((rc = dbs_insp_read(&in, ctx, conn, live, true, false)))
		goto cleanup;
	rc = dbs_models_source(out, ctx, live, &in, opts);
cleanup:
	dbs_insp_free(&in);
	dbsync_schema_free(live);
	return rc;
}
