/*
 * Views, sizes and row estimates on SQLite (the backend's inspect slot). A
 * view whose table is gone is still stored, and only preparing a SELECT on it
 * tells; preparing is done in-process (no round trip), once per view, and
 * counted as one catalog query for all of them. Sizes come from the dbstat
 * virtual table when SQLite was built with it (every page of every table and
 * index); without it only the whole file's page count is known. Row estimates
 * are what ANALYZE left in sqlite_stat1; a database never analyzed has none,
 * and its tables' rows stay unknown rather than counted.
 */
#include <string.h>

#include "backend_sqlite.h"
#include "ctx.h"
#include "dialect.h"
#include "inspect_internal.h"

/* Indexes (autoindexes included) count toward their table, as on the servers. */
static const char q_dbstat[] =
	"SELECT m.tbl_name, SUM(d.pgsize) FROM dbstat d JOIN sqlite_schema m ON m.name = d.name "
	"WHERE m.type IN ('table', 'index') GROUP BY m.tbl_name";

/* The first number of an index's stat is the rows it holds (a table without
 * index has a row of its own); a partial index holds fewer, hence MAX. */
static const char q_stat1[] =
	"SELECT tbl, MAX(CAST(stat AS INTEGER)) FROM sqlite_stat1 GROUP BY tbl";

static int view_shape(dbs_insp *in, dbsync_ctx *ctx, dbsync_conn *conn, const dbs_view *v)
{
	sqlite3 *db = dbs_sq_db(conn);
	dbs_buf sql = DBS_BUF_INIT;
	sqlite3_stmt *st = NULL;
	int rc = 0;
	dbs_insp_view *iv = dbs_insp_add_view(in, ctx, v->name);
	if (!iv)
		return DBSYNC_ENOMEM;
	dbs_buf_puts(&sql, "SELECT * FROM ");
	dbs_quote_ident(&sql, DBSYNC_DIALECT_SQLITE, v->name);
	if (!dbs_buf_ok(&sql)) {
		rc = dbs_error_oom(ctx);
		goto cleanup;
	}
	if (sqlite3_prepare_v2(db, dbs_buf_cstr(&sql), -1, &st, NULL) != SQLITE_OK) {
		iv->valid = false;
		iv->error = dbs_arena_printf(&in->scratch->arena, "view \"%s\" is invalid: %s", v->name,
			sqlite3_errmsg(db));
		if (!iv->error)
			rc = dbs_error_oom(ctx);
		goto cleanup;
	}
	iv->shape = dbs_schema_add_table(in->scratch, v->name);
	if (!iv->shape) {
		rc = dbs_error_oom(ctx);
		goto cleanup;
	}
	for (int i = 0; i < sqlite3_column_count(st); i++) {
		dbs_column *c = dbs_table_add_column(in->scratch, iv->shape, sqlite3_column_name(st, i));
		const char *decl = sqlite3_column_decltype(st, i);
		if (!c || (decl && !(c->type = dbs_arena_strdup(&in->scratch->arena, decl)))) {
			rc = dbs_error_oom(ctx);
			goto cleanup;
		}
		/* the declared types are as written: canonical form is lower case */
		for (char *p = (char *)c->type; p && *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p + 32);
	}
cleanup:
	sqlite3_finalize(st);
	dbs_buf_free(&sql);
	return rc;
}

static int read_sizes(dbs_insp *in, dbsync_ctx *ctx, dbsync_conn *conn)
{
	sqlite3 *db = dbs_sq_db(conn);
	sqlite3_stmt *st = NULL;
	int rc = 0;
	conn->catalog_queries++;
	if (sqlite3_prepare_v2(db, q_dbstat, -1, &st, NULL) == SQLITE_OK) {
		int step;
		while ((step = sqlite3_step(st)) == SQLITE_ROW)
			if ((rc = dbs_insp_add_size(in, ctx, (const char *)sqlite3_column_text(st, 0),
					sqlite3_column_int64(st, 1))))
				goto cleanup;
		if (step != SQLITE_DONE) {
			rc = dbs_sq_error(ctx, conn, step, "reading table sizes from dbstat");
			goto cleanup;
		}
		in->size_method = "dbstat";
		goto cleanup;
	}
	/* no dbstat in this build: the file's pages are all there is */
	sqlite3_finalize(st);
	st = NULL;
	conn->catalog_queries++;
	if (sqlite3_prepare_v2(db, "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
			-1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		rc = dbs_sq_error(ctx, conn, sqlite3_errcode(db), "reading the database's page count");
		goto cleanup;
	}
	in->database_bytes = sqlite3_column_int64(st, 0);
	in->size_method = "page_count";
cleanup:
	sqlite3_finalize(st);
	return rc;
}

static int read_row_estimates(dbs_insp *in, dbsync_ctx *ctx, dbsync_conn *conn)
{
	sqlite3 *db = dbs_sq_db(conn);
	sqlite3_stmt *st = NULL;
	int rc = 0, step;
	int64_t analyzed = 0;
	/* a database never analyzed has no sqlite_stat1 to read */
	conn->catalog_queries++;
	if ((rc = conn->backend->query_int64(&analyzed, ctx, conn,
			"SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'sqlite_stat1'")) ||
	    !analyzed)
		return rc;
	if (sqlite3_prepare_v2(db, q_stat1, -1, &st, NULL) != SQLITE_OK) {
		rc = dbs_sq_error(ctx, conn, sqlite3_errcode(db), "reading row estimates from sqlite_stat1");
		goto cleanup;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW)
		if (sqlite3_column_type(st, 0) == SQLITE_TEXT &&
		    (rc = dbs_insp_add_rows(in, ctx, (const char *)sqlite3_column_text(st, 0),
				sqlite3_column_int64(st, 1))))
			goto cleanup;
	if (step != SQLITE_DONE) {
		rc = dbs_sq_error(ctx, conn, step, "reading row estimates from sqlite_stat1");
		goto cleanup;
	}
	in->rows_method = "sqlite_stat1";
cleanup:
	sqlite3_finalize(st);
	return rc;
}

int dbs_insp_sqlite(dbs_insp *in, dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_schema *live,
	unsigned what)
{
	int rc = 0;
	if ((what & DBS_INSP_VIEWS) && live->views.n) {
		conn->catalog_queries++;
		for (size_t i = 0; i < live->views.n && !rc; i++)
			rc = view_shape(in, ctx, conn, live->views.items[i]);
	}
	if (!rc && (what & DBS_INSP_SIZES))
		rc = read_sizes(in, ctx, conn);
	if (!rc && (what & DBS_INSP_ROWS))
		rc = read_row_estimates(in, ctx, conn);
	return rc;
}
