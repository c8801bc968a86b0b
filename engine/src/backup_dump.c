/*
 * The engine's own SQL dump, for servers where the vendor's dump tool is not
 * installed: the introspected schema rendered as DDL, then every row as
 * batched INSERTs in dependency order (parents first), then what has to
 * follow the rows (sequence positions). Rows, and what the catalog rendering
 * does not cover, come from the backend's dbs_backup_ops
 * (<dialect>/backup_<dialect>.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup_internal.h"
#include "backup_rows.h"
#include "ctx.h"
#include "dialect.h"
#include "model.h"
#include "topo.h"
#include "dbsync/testing.h" /* dbsync_conn_exec: a restore runs the dump as one script */

static bool stored(const dbs_column *c)
{
	return c->generated_expr == NULL;
}

int dbs_dump_select(dbs_buf *b, dbsync_dialect d, const dbs_table *t)
{
	dbs_buf_puts(b, "SELECT ");
	size_t k = 0;
	for (size_t i = 0; i < t->columns.n; i++) {
		if (!stored(t->columns.items[i]))
			continue;
		if (k++)
			dbs_buf_puts(b, ", ");
		dbs_quote_ident(b, d, t->columns.items[i]->name);
	}
	if (!k)
		dbs_buf_puts(b, "1");
	dbs_buf_puts(b, " FROM ");
	return dbs_quote_ident(b, d, t->name);
}

size_t dbs_dump_column_count(const dbs_table *t)
{
	size_t k = 0;
	for (size_t i = 0; i < t->columns.n; i++)
		k += stored(t->columns.items[i]);
	return k;
}

int dbs_dump_insert_head(dbs_buf *b, dbsync_dialect d, const dbs_table *t)
{
	bool always = false;
	dbs_buf_puts(b, "INSERT INTO ");
	dbs_quote_ident(b, d, t->name);
	dbs_buf_puts(b, " (");
	for (size_t i = 0, k = 0; i < t->columns.n; i++) {
		const dbs_column *c = t->columns.items[i];
		if (!stored(c))
			continue;
		if (k++)
			dbs_buf_puts(b, ", ");
		dbs_quote_ident(b, d, c->name);
		always |= c->identity && strcmp(c->identity, "ALWAYS") == 0;
	}
	dbs_buf_puts(b, ")");
	/* the rows keep their ids: an identity that refuses given values is told to */
	if (always)
		dbs_buf_puts(b, " OVERRIDING SYSTEM VALUE");
	return dbs_buf_puts(b, " VALUES\n");
}

int dbs_dump_flush(dbsync_ctx *ctx, dbs_buf *b, FILE *out)
{
	if (!dbs_buf_ok(b))
		return dbs_error_oom(ctx);
	if (b->len && fwrite(b->ptr, 1, b->len, out) != b->len)
		return dbs_error(ctx, DBSYNC_ERROR, "cannot write the dump: %s", strerror(errno));
	dbs_buf_clear(b);
	return 0;
}

void dbs_dump_batch_row(dbs_dump_batch *bt, const dbs_table *t)
{
	if (bt->rows == 0)
		dbs_dump_insert_head(&bt->b, bt->dialect, t);
	else
		dbs_buf_puts(&bt->b, ",\n");
	bt->rows++;
}

int dbs_dump_batch_end_row(dbsync_ctx *ctx, dbs_dump_batch *bt, FILE *out, bool last)
{
	if (bt->rows && (last || bt->rows >= DBS_DUMP_BATCH_ROWS)) {
		dbs_buf_puts(&bt->b, ";\n");
		bt->rows = 0;
	}
	return dbs_dump_flush(ctx, &bt->b, out);
}

int dbs_engine_dump(dbsync_ctx *ctx, dbsync_conn *conn, FILE *out)
{
	dbsync_schema *live = NULL;
	char *ddl = NULL;
	const dbs_table **order = NULL;
	dbs_buf b = DBS_BUF_INIT, after_tables = DBS_BUF_INIT, after_rows = DBS_BUF_INIT;
	dbsync_dialect d = conn->dialect;
	const dbs_backup_ops *ops = conn->backend->backup;
	if (!ops || !ops->dump_rows)
		return dbs_error(ctx, DBSYNC_EUNSUPPORTED, "the engine dump does not cover %s",
			dbsync_conn_describe(conn));
	int rc = dbsync_conn_introspect(&live, ctx, conn);
	if (rc)
		goto cleanup;
	/* a backend that writes the views itself does so after the tables */
	size_t n_views = live->views.n;
	if (ops->dump_views)
		live->views.n = 0;
	rc = dbsync_schema_to_sql(&ddl, ctx, live);
	live->views.n = n_views;
	if (rc)
		goto cleanup;
	size_t n = live->tables.n;
	if (!(order = malloc((n + 1) * sizeof *order))) {
		rc = dbs_error_oom(ctx);
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = live->tables.items[i];
	if (dbs_topo_order_tables(d, order, n)) {
		rc = dbs_error_oom(ctx);
		goto cleanup;
	}
	/* the description names the target without its password */
	dbs_buf_printf(&b, "%s\n-- of %s (%s %s); restore with dbsync restore, "
		"into an empty database\n", DBS_ENGINE_DUMP_MAGIC, dbsync_conn_describe(conn),
		dbsync_dialect_name(d), dbsync_conn_server_version(conn));
	if (ops->dump_prologue)
		dbs_buf_puts(&b, ops->dump_prologue);
	if (ops->dump_sequences &&
	    (rc = ops->dump_sequences(ctx, conn, order, n, &b, &after_tables, &after_rows)))
		goto cleanup;
	dbs_buf_puts(&b, ddl);
	if (ops->dump_views && (rc = ops->dump_views(ctx, conn, live, &b)))
		goto cleanup;
	dbs_buf_puts(&b, dbs_buf_cstr(&after_tables));
	if ((rc = dbs_dump_flush(ctx, &b, out)))
		goto cleanup;
	for (size_t i = 0; i < n; i++)
		if ((rc = ops->dump_rows(ctx, conn, order[i], out)))
			goto cleanup;
	dbs_buf_puts(&b, dbs_buf_cstr(&after_rows));
	if (ops->dump_epilogue)
		dbs_buf_puts(&b, ops->dump_epilogue);
	rc = dbs_dump_flush(ctx, &b, out);
cleanup:
	free(order);
	dbsync_free(ddl);
	dbsync_schema_free(live);
	dbs_buf_free(&b);
	dbs_buf_free(&after_tables);
	dbs_buf_free(&after_rows);
	return rc;
}

int dbs_engine_restore(dbsync_ctx *ctx, dbsync_conn *conn, const char *path)
{
	FILE *f = fopen(path, "rb");
	dbs_buf b = DBS_BUF_INIT;
	int rc = 0;
	if (!f)
		return dbs_error(ctx, DBSYNC_EINVALID, "cannot read the backup file %s: %s", path, strerror(errno));
	char chunk[65536];
	size_t got;
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
		dbs_buf_put(&b, chunk, got);
	if (ferror(f))
		rc = dbs_error(ctx, DBSYNC_EINVALID, "cannot read the backup file %s", path);
	fclose(f);
	if (!rc && !dbs_buf_ok(&b))
		rc = dbs_error_oom(ctx);
	if (rc)
		goto cleanup;
	/* all or nothing where DDL is transactional, so a failed restore
	 * leaves the database empty */
	bool tx = !conn->backend->ddl_autocommits;
	if (tx && (rc = dbsync_conn_exec(ctx, conn, "BEGIN")))
		goto cleanup;
	rc = dbsync_conn_exec(ctx, conn, dbs_buf_cstr(&b));
	if (tx) {
		if (!rc)
			rc = dbsync_conn_exec(ctx, conn, "COMMIT");
		else {
			dbsync_ctx *scratch = NULL;
			if (dbsync_ctx_new(&scratch) == 0) {
				dbsync_conn_exec(scratch, conn, "ROLLBACK");
				dbsync_ctx_free(scratch);
			}
		}
	}
cleanup:
	dbs_buf_free(&b);
	return rc;
}
