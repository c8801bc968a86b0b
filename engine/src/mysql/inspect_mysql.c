/*
 * Views, sizes and row estimates on MySQL/MariaDB (the backend's inspect
 * slot), two catalog queries for the whole database. information_schema.TABLES reports a view whose tables are gone
 * with the server's error as its comment (MariaDB and MySQL both), instead of
 * failing; its COLUMNS rows are then missing. Sizes are DATA_LENGTH +
 * INDEX_LENGTH, the engine's own estimate (InnoDB keeps it approximately);
 * rows are TABLE_ROWS, InnoDB's statistics (exact for MyISAM). Reading them
 * opens no table for reading: a table another session holds under LOCK
 * TABLES ... WRITE does not make this wait.
 */
#include <stdlib.h>
#include <string.h>

#include "backend_mysql.h"
#include "ctx.h"
#include "dialect.h"
#include "inspect_internal.h"

static const char q_tables[] =
	"SELECT TABLE_NAME, TABLE_TYPE, DATA_LENGTH + INDEX_LENGTH, TABLE_COMMENT, TABLE_ROWS "
	"FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME";

static MYSQL_RES *run(dbsync_ctx *ctx, dbsync_conn *conn, const char *sql, const char *what)
{
	MYSQL *db = dbs_my_db(conn);
	if (dbs_my_use_pending(ctx, conn))
		return NULL;
	conn->catalog_queries++;
	if (mysql_real_query(db, sql, strlen(sql))) {
		dbs_my_error(ctx, conn, what);
		return NULL;
	}
	MYSQL_RES *res = mysql_store_result(db);
	if (!res)
		dbs_my_error(ctx, conn, what);
	return res;
}

/* A view's comment is "VIEW" (or empty) unless the server could not open it. */
static bool view_comment_ok(const char *comment)
{
	return !comment || !*comment || strcmp(comment, "VIEW") == 0;
}

static int read_tables(dbs_insp *in, dbsync_ctx *ctx, dbsync_conn *conn, unsigned what)
{
	bool want_views = what & DBS_INSP_VIEWS, want_sizes = what & DBS_INSP_SIZES;
	bool want_rows = what & DBS_INSP_ROWS;
	MYSQL_RES *res = run(ctx, conn, q_tables, "reading table sizes and views");
	if (!res)
		return dbsync_ctx_error(ctx)->code;
	int rc = 0;
	MYSQL_ROW row;
	while (!rc && (row = mysql_fetch_row(res))) {
		if (!row[0] || !row[1])
			continue;
		if (strcmp(row[1], "VIEW") == 0) {
			if (!want_views)
				continue;
			dbs_insp_view *v = dbs_insp_add_view(in, ctx, row[0]);
			if (!v) {
				rc = DBSYNC_ENOMEM;
				break;
			}
			if (!view_comment_ok(row[3])) {
				v->valid = false;
				v->error = dbs_arena_printf(&in->scratch->arena, "view `%s` is invalid: %s", row[0], row[3]);
				if (!v->error)
					rc = dbs_error_oom(ctx);
			}
		} else {
			if (want_sizes && row[2])
				rc = dbs_insp_add_size(in, ctx, row[0], strtoll(row[2], NULL, 10));
			if (!rc && want_rows && row[4])
				rc = dbs_insp_add_rows(in, ctx, row[0], strtoll(row[4], NULL, 10));
		}
	}
	if (want_sizes)
		in->size_method = "information_schema";
	if (want_rows)
		in->rows_method = "information_schema";
	mysql_free_result(res);
	return rc;
}

/* Joining COLUMNS with VIEWS makes MariaDB open every table; naming the views
 * keeps it to them. */
static int read_view_columns(dbs_insp *in, dbsync_ctx *ctx, dbsync_conn *conn)
{
	dbs_buf sql = DBS_BUF_INIT;
	MYSQL_RES *res = NULL;
	int rc = 0;
	size_t n = 0;
	dbs_buf_puts(&sql, "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, DATA_TYPE, IS_NULLABLE "
		"FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (");
	for (size_t i = 0; i < in->views.n; i++) {
		if (!in->views.items[i].valid)
			continue;
		if (n++)
			dbs_buf_puts(&sql, ", ");
		dbs_quote_literal(&sql, DBSYNC_DIALECT_MYSQL, in->views.items[i].name);
	}
	dbs_buf_puts(&sql, ") ORDER BY TABLE_NAME, ORDINAL_POSITION");
	if (!n)
		goto cleanup;
	if (!dbs_buf_ok(&sql)) {
		rc = dbs_error_oom(ctx);
		goto cleanup;
	}
	if (!(res = run(ctx, conn, dbs_buf_cstr(&sql), "reading the columns of views"))) {
		rc = dbsync_ctx_error(ctx)->code;
		goto cleanup;
	}
	MYSQL_ROW row;
	dbs_insp_view *cur = NULL;
	while ((row = mysql_fetch_row(res))) {
		if (!row[0] || !row[1])
			continue;
		if (!cur || strcmp(cur->name, row[0]) != 0)
			cur = (dbs_insp_view *)dbs_insp_find_view(in, DBSYNC_DIALECT_MYSQL, row[0]);
		if (!cur)
			continue;
		dbs_column *c = dbs_insp_view_column(in, cur, row[1]);
		if (!c || (row[2] && !(c->type = dbs_my_column_type(&in->scratch->arena, row[2],
				row[3] ? row[3] : "")))) {
			rc = dbs_error_oom(ctx);
			goto cleanup;
		}
		c->not_null = row[4] && strcmp(row[4], "NO") == 0;
	}
cleanup:
	if (res)
		mysql_free_result(res);
	dbs_buf_free(&sql);
	return rc;
}

int dbs_insp_mysql(dbs_insp *in, dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_schema *live,
	unsigned what)
{
	(void)live;
	int rc = 0;
	if (what)
		rc = read_tables(in, ctx, conn, what);
	if (!rc && (what & DBS_INSP_VIEWS) && in->views.n)
		rc = read_view_columns(in, ctx, conn);
	return rc ? rc : dbs_insp_shape_views(in, ctx);
}
