/*
 * PostgreSQL backups with pg_dump, restores with psql. Both get the
 * connection's parameters (password included) through their environment —
 * PGHOST, PGPASSWORD, ... as libpq reads them — never on their command line,
 * which any user of the machine can read. Where pg_dump is missing, or
 * older than the server, the engine's dump (backup_dump.c) reads the rows
 * and sequences here.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend_postgres.h"
#include "backup_internal.h"
#include "backup_rows.h"
#include "buf.h"
#include "ctx.h"
#include "dialect.h"

/* Variables a user's environment may hold that would point the tool
 * elsewhere (PGSERVICE, PGOPTIONS...): all of them are dropped, and only the
 * connection's own come back. */
static const char *const pg_env_prefixes[] = { "PG", NULL };

typedef struct pg_env {
	dbs_env_var *vars;
	size_t n;
	PQconninfoOption *info;
} pg_env;

static void pg_env_free(pg_env *e)
{
	free(e->vars);
	if (e->info)
		PQconninfoFree(e->info);
}

/* libpq knows, for each parameter the connection was made with, the
 * variable that sets it; the tools are libpq programs and read the same. */
static int pg_env_build(pg_env *e, dbsync_ctx *ctx, dbsync_conn *conn)
{
	memset(e, 0, sizeof *e);
	e->info = PQconninfo(dbs_pg_handle(conn));
	if (!e->info)
		return dbs_error_oom(ctx);
	size_t n = 0;
	for (PQconninfoOption *o = e->info; o->keyword; o++)
		n++;
	e->vars = calloc(n + 1, sizeof *e->vars);
	if (!e->vars)
		return dbs_error_oom(ctx);
	for (PQconninfoOption *o = e->info; o->keyword; o++)
		if (o->envvar && o->val && *o->val) {
			e->vars[e->n].name = o->envvar;
			e->vars[e->n++].value = o->val;
		}
	return 0;
}

static int pg_backup_tool(dbsync_ctx *ctx, dbsync_conn *conn, dbs_out_file *f, const char *tool)
{
	dbs_pg_conn *pc = conn->impl;
	pg_env env;
	int rc = pg_env_build(&env, ctx, conn);
	if (rc)
		goto cleanup;
	/* the whole database, not just the synced schema: a backup should hold
	 * everything a restore into an empty database needs (and pg_dump's -n
	 * public would emit a CREATE SCHEMA that such a database refuses) */
	char *argv[] = { (char *)tool, "--no-password", "--format=plain", "--no-owner", "--no-privileges", NULL };
	rc = dbs_run_tool(ctx, argv, pg_env_prefixes, env.vars, env.n, -1, f->fd, PQpass(pc->pg), "pg_dump");
cleanup:
	pg_env_free(&env);
	return rc;
}

static int pg_restore_tool(dbsync_ctx *ctx, dbsync_conn *conn, const char *path)
{
	dbs_pg_conn *pc = conn->impl;
	pg_env env;
	int in_fd = -1;
	char *psql = dbs_find_tool("psql");
	int rc = 0;
	memset(&env, 0, sizeof env);
	if (!psql) {
		rc = dbs_error(ctx, DBSYNC_EUNSUPPORTED, "%s was written by pg_dump; restoring it needs psql, "
			"which is not on PATH", path);
		goto cleanup;
	}
	if ((in_fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = dbs_error(ctx, DBSYNC_EINVALID, "cannot read the backup file %s", path);
		goto cleanup;
	}
	if ((rc = pg_env_build(&env, ctx, conn)))
		goto cleanup;
	/* one transaction: a failing statement leaves the database as empty as it was */
	char *argv[] = { psql, "--no-psqlrc", "--quiet", "--no-password", "--single-transaction",
		"--set=ON_ERROR_STOP=1", "--file=-", NULL };
	rc = dbs_run_tool(ctx, argv, pg_env_prefixes, env.vars, env.n, in_fd, -1, PQpass(pc->pg), "psql");
cleanup:
	if (in_fd >= 0)
		close(in_fd);
	pg_env_free(&env);
	free(psql);
	return rc;
}

/* The engine dump's rows: text values, which PostgreSQL reads back into
 * every type as quoted literals (bytea's hex form included), fetched one
 * row at a time so a big table is never held whole in memory. */
static int pg_dump_rows(dbsync_ctx *ctx, dbsync_conn *conn, const dbs_table *t, FILE *out)
{
	PGconn *pg = dbs_pg_handle(conn);
	dbs_buf sql = DBS_BUF_INIT;
	dbs_dump_batch bt = { DBS_BUF_INIT, DBSYNC_DIALECT_POSTGRES, 0 };
	size_t ncols = dbs_dump_column_count(t);
	/* the select names the table alone: the synced schema must come first */
	int rc = dbs_pg_sync_path(ctx, conn);
	if (rc)
		return rc;
	dbs_dump_select(&sql, DBSYNC_DIALECT_POSTGRES, t);
	if (!dbs_buf_ok(&sql)) {
		dbs_buf_free(&sql);
		return dbs_error_oom(ctx);
	}
	if (!PQsendQuery(pg, dbs_buf_cstr(&sql))) {
		rc = dbs_pg_error(ctx, conn, NULL, "reading the rows of a table for the backup");
		goto cleanup;
	}
	/* when single-row mode is refused, the rows come in one result instead */
	PQsetSingleRowMode(pg);
	PGresult *res;
	while ((res = PQgetResult(pg))) {
		ExecStatusType st = PQresultStatus(res);
		if (st != PGRES_TUPLES_OK && st != PGRES_SINGLE_TUPLE && !rc) {
			rc = dbs_pg_error(ctx, conn, res, "reading the rows of a table for the backup");
			dbs_error_prefix(ctx, "table \"%s\"", t->name);
		}
		for (int r = 0; !rc && (st == PGRES_TUPLES_OK || st == PGRES_SINGLE_TUPLE) && r < PQntuples(res); r++) {
			dbs_dump_batch_row(&bt, t);
			dbs_buf_putc(&bt.b, '(');
			for (size_t i = 0; i < ncols; i++) {
				if (i)
					dbs_buf_puts(&bt.b, ", ");
				if (PQgetisnull(res, r, (int)i))
					dbs_buf_puts(&bt.b, "NULL");
				else
					dbs_quote_literal(&bt.b, DBSYNC_DIALECT_POSTGRES, PQgetvalue(res, r, (int)i));
			}
			dbs_buf_putc(&bt.b, ')');
			rc = dbs_dump_batch_end_row(ctx, &bt, out, false);
		}
		PQclear(res);
	}
	if (!rc)
		rc = dbs_dump_batch_end_row(ctx, &bt, out, true);
cleanup:
	dbs_buf_free(&sql);
	dbs_buf_free(&bt.b);
	return rc;
}

/* Identity columns: their sequence comes with the column, and restarts
 * after the highest id restored. (Other sequences, serial columns' included,
 * are created and set by pg_dump_sequences.) */
static void identity_positions(dbs_buf *b, const dbs_table *t)
{
	for (size_t i = 0; i < t->columns.n; i++) {
		const dbs_column *c = t->columns.items[i];
		if (!c->identity)
			continue;
		dbs_buf qt = DBS_BUF_INIT;
		dbs_quote_ident(&qt, DBSYNC_DIALECT_POSTGRES, t->name);
		dbs_buf_puts(b, "SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence(");
		dbs_quote_literal(b, DBSYNC_DIALECT_POSTGRES, dbs_buf_cstr(&qt));
		dbs_buf_puts(b, ", ");
		dbs_quote_literal(b, DBSYNC_DIALECT_POSTGRES, c->name);
		dbs_buf_puts(b, "), COALESCE(MAX(");
		dbs_quote_ident(b, DBSYNC_DIALECT_POSTGRES, c->name);
		dbs_buf_puts(b, "), 1), MAX(");
		dbs_quote_ident(b, DBSYNC_DIALECT_POSTGRES, c->name);
		dbs_buf_puts(b, ") IS NOT NULL) FROM ");
		dbs_buf_puts(b, dbs_buf_cstr(&qt));
		dbs_buf_puts(b, ";\n");
		if (!dbs_buf_ok(&qt))
			b->oom = true;
		dbs_buf_free(&qt);
	}
}

/* Sequences that are not an identity column's own (serial columns' and free
 * ones): the engine dump creates them before the tables whose defaults call
 * them, ties them to their column again, and sets each to where it was. One
 * catalog query gives all of it. The identity columns' positions come first
 * after the rows. */
static int pg_dump_sequences(dbsync_ctx *ctx, dbsync_conn *conn, const dbs_table *const *order, size_t n,
	dbs_buf *before_tables, dbs_buf *after_tables, dbs_buf *after_rows)
{
	dbs_pg_conn *pc = conn->impl;
	dbs_buf sql = DBS_BUF_INIT;
	int rc = 0;
	for (size_t i = 0; i < n; i++)
		identity_positions(after_rows, order[i]);
	dbs_buf_puts(&sql,
		"SELECT s.relname, t.relname, a.attname, q.last_value::text"
		" FROM pg_catalog.pg_class s"
		" JOIN pg_catalog.pg_namespace n ON n.oid = s.relnamespace"
		" LEFT JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass"
		"  AND d.objid = s.oid AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass"
		"  AND d.deptype IN ('a', 'i')"
		" LEFT JOIN pg_catalog.pg_class t ON t.oid = d.refobjid"
		" LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid"
		" LEFT JOIN pg_catalog.pg_sequences q ON q.schemaname = n.nspname AND q.sequencename = s.relname"
		" WHERE s.relkind = 'S' AND d.deptype IS DISTINCT FROM 'i' AND n.nspname = ");
	dbs_quote_literal(&sql, DBSYNC_DIALECT_POSTGRES, pc->schema);
	dbs_buf_puts(&sql, " ORDER BY s.relname");
	if (!dbs_buf_ok(&sql)) {
		dbs_buf_free(&sql);
		return dbs_error_oom(ctx);
	}
	PGresult *res = PQexec(pc->pg, dbs_buf_cstr(&sql));
	conn->catalog_queries++;
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = dbs_pg_error(ctx, conn, res, "reading the sequences for the backup");
		goto cleanup;
	}
	for (int r = 0; r < PQntuples(res); r++) {
		const char *seq = PQgetvalue(res, r, 0);
		dbs_buf_puts(before_tables, "CREATE SEQUENCE ");
		dbs_quote_ident(before_tables, DBSYNC_DIALECT_POSTGRES, seq);
		dbs_buf_puts(before_tables, ";\n");
		if (!PQgetisnull(res, r, 1) && !PQgetisnull(res, r, 2)) {
			dbs_buf_puts(after_tables, "ALTER SEQUENCE ");
			dbs_quote_ident(after_tables, DBSYNC_DIALECT_POSTGRES, seq);
			dbs_buf_puts(after_tables, " OWNED BY ");
			dbs_quote_ident(after_tables, DBSYNC_DIALECT_POSTGRES, PQgetvalue(res, r, 1));
			dbs_buf_putc(after_tables, '.');
			dbs_quote_ident(after_tables, DBSYNC_DIALECT_POSTGRES, PQgetvalue(res, r, 2));
			dbs_buf_puts(after_tables, ";\n");
		}
		/* NULL: never used, and a new sequence starts where it would have */
		if (!PQgetisnull(res, r, 3)) {
			dbs_buf qs = DBS_BUF_INIT;
			dbs_quote_ident(&qs, DBSYNC_DIALECT_POSTGRES, seq);
			dbs_buf_puts(after_rows, "SELECT pg_catalog.setval(");
			dbs_quote_literal(after_rows, DBSYNC_DIALECT_POSTGRES, dbs_buf_cstr(&qs));
			dbs_buf_printf(after_rows, ", %s, true);\n", PQgetvalue(res, r, 3));
			if (!dbs_buf_ok(&qs))
				after_rows->oom = true;
			dbs_buf_free(&qs);
		}
	}
	if (!dbs_buf_ok(before_tables) || !dbs_buf_ok(after_tables) || !dbs_buf_ok(after_rows))
		rc = dbs_error_oom(ctx);
cleanup:
	PQclear(res);
	dbs_buf_free(&sql);
	return rc;
}

const dbs_backup_ops dbs_pg_backup_ops = {
	.dump_tools = (const char *const[]){ "pg_dump", NULL },
	.tool_backup = pg_backup_tool,
	.tool_restore = pg_restore_tool,
	/* pg_dump refuses a server of a newer major than its own */
	.tool_refuses_server = "server version mismatch",
	.tool_whole_database = true, /* pg_backup_tool dumps every schema */
	.dump_prologue = "SET standard_conforming_strings = on;\n",
	.dump_rows = pg_dump_rows,
	.dump_sequences = pg_dump_sequences,
};
