/*
 * Views, sizes and row estimates on PostgreSQL (the backend's inspect slot),
 * two catalog queries for the whole schema.
 * The server keeps a view's direct dependencies, so its tables cannot vanish
 * under it; what can still make one unusable is the role (a view it may not
 * read is listed invalid, with that reason) or a function the view calls
 * whose body reads a table that is gone: the catalog cannot tell that, only
 * reading the view does, so each view is read for one row (one round trip
 * per view, only when views are asked for).
 *
 * A row estimate is pg_class.reltuples, which VACUUM, ANALYZE and CREATE
 * INDEX keep; a table none of them has seen yet (reltuples -1 from
 * PostgreSQL 14, 0 with no pages before) falls back to the statistics
 * system's live-tuple count, and where that says 0 for a table that has
 * pages, the estimate is unknown rather than a wrong 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_postgres.h"
#include "buf.h"
#include "ctx.h"
#include "dialect.h"
#include "inspect_internal.h"

static const char q_relations[] =
	"SELECT c.relname, c.relkind, "
	"CASE WHEN c.relkind IN ('r', 'p', 'm') THEN pg_catalog.pg_total_relation_size(c.oid) END, "
	"pg_catalog.has_table_privilege(c.oid, 'SELECT'), "
	"CASE WHEN c.relkind NOT IN ('r', 'm') THEN NULL "
	"WHEN c.reltuples > 0 OR (c.reltuples = 0 AND c.relpages > 0) THEN c.reltuples::bigint "
	"WHEN s.n_live_tup > 0 OR pg_catalog.pg_relation_size(c.oid) = 0 THEN s.n_live_tup END "
	"FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
	"LEFT JOIN pg_catalog.pg_stat_all_tables s ON s.relid = c.oid "
	"WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm') ORDER BY c.relname";
static const char q_view_columns[] =
	"SELECT c.relname, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull "
	"FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
	"JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
	"WHERE n.nspname = $1 AND c.relkind IN ('v', 'm') ORDER BY c.relname, a.attnum";

static PGresult *run(dbsync_ctx *ctx, dbsync_conn *conn, const char *sql, const char *what)
{
	dbs_pg_conn *pc = conn->impl;
	const char *params[1] = { pc->schema };
	conn->catalog_queries++;
	PGresult *res = PQexecParams(pc->pg, sql, 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		dbs_pg_error(ctx, conn, res, what);
		PQclear(res);
		return NULL;
	}
	return res;
}

static int read_relations(dbs_insp *in, dbsync_ctx *ctx, dbsync_conn *conn, unsigned what)
{
	bool want_views = what & DBS_INSP_VIEWS, want_sizes = what & DBS_INSP_SIZES;
	bool want_rows = what & DBS_INSP_ROWS;
	PGresult *res = run(ctx, conn, q_relations, "reading relation sizes and views");
	if (!res)
		return dbsync_ctx_error(ctx)->code;
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && !rc; i++) {
		const char *name = PQgetvalue(res, i, 0);
		char kind = PQgetvalue(res, i, 1)[0];
		if (kind == 'v' || kind == 'm') {
			if (!want_views)
				continue;
			dbs_insp_view *v = dbs_insp_add_view(in, ctx, name);
			if (!v) {
				rc = DBSYNC_ENOMEM;
				break;
			}
			if (strcmp(PQgetvalue(res, i, 3), "t") != 0) {
				v->valid = false;
				v->error = dbs_arena_printf(&in->scratch->arena,
					"view \"%s\" cannot be read: the current role lacks SELECT on it", name);
				if (!v->error)
					rc = dbs_error_oom(ctx);
			}
		} else {
			if (want_sizes && !PQgetisnull(res, i, 2))
				rc = dbs_insp_add_size(in, ctx, name, strtoll(PQgetvalue(res, i, 2), NULL, 10));
			if (!rc && want_rows && !PQgetisnull(res, i, 4))
				rc = dbs_insp_add_rows(in, ctx, name, strtoll(PQgetvalue(res, i, 4), NULL, 10));
		}
	}
	if (want_sizes)
		in->size_method = "pg_total_relation_size";
	if (want_rows)
		in->rows_method = "pg_class.reltuples";
	PQclear(res);
	return rc;
}

static int read_view_columns(dbs_insp *in, dbsync_ctx *ctx, dbsync_conn *conn)
{
	PGresult *res = run(ctx, conn, q_view_columns, "reading the columns of views");
	if (!res)
		return dbsync_ctx_error(ctx)->code;
	int rc = 0;
	dbs_insp_view *cur = NULL;
	for (int i = 0; i < PQntuples(res) && !rc; i++) {
		const char *name = PQgetvalue(res, i, 0);
		if (!cur || strcmp(cur->name, name) != 0)
			cur = (dbs_insp_view *)dbs_insp_find_view(in, DBSYNC_DIALECT_POSTGRES, name);
		if (!cur || !cur->valid)
			continue;
		dbs_column *c = dbs_insp_view_column(in, cur, PQgetvalue(res, i, 1));
		if (!c || !(c->type = dbs_arena_strdup(&in->scratch->arena, PQgetvalue(res, i, 2)))) {
			rc = dbs_error_oom(ctx);
			break;
		}
		c->not_null = strcmp(PQgetvalue(res, i, 3), "t") == 0;
	}
	PQclear(res);
	return rc;
}

/* Read one row of view v; a failure marks it invalid with the server's
 * message. Outside a transaction only: a failed probe inside one would abort
 * the caller's work. */
static int probe_view(dbs_insp *in, dbsync_ctx *ctx, dbsync_conn *conn, dbs_insp_view *v)
{
	dbs_pg_conn *pc = conn->impl;
	dbs_buf sql = DBS_BUF_INIT;
	PGresult *res = NULL;
	int rc = 0;
	dbs_buf_puts(&sql, "SELECT * FROM ");
	dbs_quote_ident(&sql, DBSYNC_DIALECT_POSTGRES, pc->schema);
	dbs_buf_putc(&sql, '.');
	dbs_quote_ident(&sql, DBSYNC_DIALECT_POSTGRES, v->name);
	dbs_buf_puts(&sql, " LIMIT 1");
	if (!dbs_buf_ok(&sql)) {
		rc = dbs_error_oom(ctx);
		goto cleanup;
	}
	conn->catalog_queries++;
	res = PQexec(pc->pg, dbs_buf_cstr(&sql));
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		goto cleanup;
	if (PQstatus(pc->pg) != CONNECTION_OK) {
		char what[300];
		snprintf(what, sizeof what, "reading view \"%s\"", v->name);
		rc = dbs_pg_error(ctx, conn, res, what);
		goto cleanup;
	}
	const char *why = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	v->valid = false;
	v->error = dbs_arena_printf(&in->scratch->arena, "view \"%s\" is invalid: %s", v->name,
		why ? why : "reading it fails");
	if (!v->error)
		rc = dbs_error_oom(ctx);
cleanup:
	PQclear(res);
	dbs_buf_free(&sql);
	return rc;
}

int dbs_insp_postgres(dbs_insp *in, dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_schema *live,
	unsigned what)
{
	(void)live;
	bool want_views = what & DBS_INSP_VIEWS;
	/* the schema a fleet switched to, before anything reads it */
	int rc = dbs_pg_sync_path(ctx, conn);
	if (!rc && what)
		rc = read_relations(in, ctx, conn, what);
	if (!rc && want_views && PQtransactionStatus(((dbs_pg_conn *)conn->impl)->pg) == PQTRANS_IDLE)
		for (size_t i = 0; !rc && i < in->views.n; i++)
			if (in->views.items[i].valid)
				rc = probe_view(in, ctx, conn, &in->views.items[i]);
	if (!rc && want_views && in->views.n)
		rc = read_view_columns(in, ctx, conn);
	return rc ? rc : dbs_insp_shape_views(in, ctx);
}
