/*
 * plan_sync: what it would take to bring a SQLite database in line with a
 * schema written as SQL, using only the installed libdbsync.
 *
 *   cc plan_sync.c $(pkg-config --cflags --libs dbsync) -o plan_sync
 *   ./plan_sync schema.sql app.db
 *
 * Prints each operation of the plan and the SQL script applying it would run.
 * It changes nothing: the database is opened read-only (a file that does not
 * exist reads as an empty database). Exit status: 0 in sync, 3 when changes
 * are pending, 1 on an error, 2 on a usage error.
 */
#include <stdio.h>
#include <stdlib.h>

#include <dbsync/dbsync.h>

/* The whole file as a NUL-terminated string, or NULL. */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *text = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = 2 * cap + 4096 + 1;
			char *bigger = realloc(text, cap);
			if (!bigger)
				break;
			text = bigger;
		}
		size_t got = fread(text + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0) {
			if (ferror(f))
				break;
			fclose(f);
			text[n] = '\0';
			*len = n;
			return text;
		}
	}
	free(text);
	fclose(f);
	return NULL;
}

/* Print the context's error, naming what failed, and give the exit status 1. */
static int failed(dbsync_ctx *ctx, const char *what)
{
	fprintf(stderr, "plan_sync: %s: %s\n", what, dbsync_ctx_error(ctx)->message);
	return 1;
}

static void print_plan(const dbsync_plan *plan)
{
	size_t n = dbsync_plan_op_count(plan);
	printf("%zu operation%s, %zu pending\n", n, n == 1 ? "" : "s", dbsync_plan_pending_count(plan));
	for (size_t i = 0; i < n; i++) {
		const dbsync_op *op = dbsync_plan_op(plan, i);
		printf("  %-8s %-9s %s\n", dbsync_status_name(op->status), dbsync_risk_name(op->risk), op->summary);
		if (op->reason)
			printf("           why: %s\n", op->reason);
	}
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s SCHEMA.sql DATABASE.db\n", argv[0]);
		return 2;
	}
	size_t len = 0;
	char *sql = read_file(argv[1], &len);
	if (!sql) {
		perror(argv[1]);
		return 1;
	}

	dbsync_ctx *ctx = NULL;
	if (dbsync_ctx_new(&ctx)) {
		free(sql);
		return 1;
	}
	dbsync_schema *desired = NULL;
	dbsync_conn *conn = NULL;
	dbsync_plan *plan = NULL;
	char *script = NULL;
	int status = 1;

	/* The desired schema, in SQLite's dialect; a parse error names line and column. */
	if (dbsync_schema_parse(&desired, ctx, DBSYNC_DIALECT_SQLITE, sql, len)) {
		const dbsync_error *e = dbsync_ctx_error(ctx);
		fprintf(stderr, "plan_sync: %s:%d:%d: %s\n", argv[1], e->line, e->column, e->message);
		goto done;
	}

	/* Read-only: planning never needs to write. */
	const char *keys[] = { "name", "readonly" };
	const char *values[] = { argv[2], "1" };
	if (dbsync_conn_open_params(&conn, ctx, DBSYNC_DIALECT_SQLITE, keys, values, 2)) {
		status = failed(ctx, argv[2]);
		goto done;
	}

	/* The options a program of any age fills the same way: init, then change. */
	dbsync_plan_options opts;
	dbsync_plan_options_init(&opts, DBSYNC_PLAN_OPTIONS_VERSION);
	opts.drop_columns = 1;  /* columns the schema lacks are dropped, not skipped */
	if (dbsync_plan_compute(&plan, ctx, conn, desired, &opts)) {
		status = failed(ctx, "plan");
		goto done;
	}

	printf("database: %s\n", dbsync_conn_describe(conn));
	print_plan(plan);
	if (dbsync_plan_pending_count(plan) == 0) {
		printf("in sync\n");
		status = 0;
		goto done;
	}
	if (dbsync_plan_script(&script, ctx, plan)) {
		status = failed(ctx, "script");
		goto done;
	}
	printf("-- the script applying the plan would run:\n%s", script);
	status = 3;

done:
	dbsync_free(script);
	dbsync_plan_free(plan);
	dbsync_conn_close(conn);
	dbsync_schema_free(desired);
	dbsync_ctx_free(ctx);
	free(sql);
	return status;
}
