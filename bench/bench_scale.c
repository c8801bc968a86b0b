/*
 * Scale benchmark: does the engine stay linear in the number of tables? For
 * 10k, 20k, 40k and 80k SQLite tables, each with a foreign key to the table
 * before it (a chain as long as the schema), it measures the CPU time of:
 *
 *   parse   dbsync_schema_parse of the DDL
 *   render  dbsync_schema_to_sql of the parsed schema (tables in dependency order)
 *   plan    dbsync_plan_compute against an empty in-memory database
 *   script  dbsync_plan_script of that plan (every table created)
 *   live    with --live only: a plan against a database that holds every table
 *           with one column less, so every table differs. Off by default: the
 *           set-up is not cheap, SQLite itself takes time quadratic in the
 *           table count to create them (37 s of CPU for 8,000 tables).
 *   --indexed   implies --live: the missing `notes` is NOT NULL without a default
 *           and indexed, and every live table holds a row, so every table's
 *           column addition is refused and its
 *           index waits on it. Each such index asks the planner what this run
 *           does to its column; that question once scanned every planned
 *           column change, so this measures it stays a lookup.
 *
 * CPU time of the process, not wall time, so a busy machine does not move the
 * numbers much; the check is a ratio within one run. Exits 1 when the time per
 * table at the largest size is more than 1.5x the time per table at the
 * smallest (the engine grew faster than linearly), or on any error.
 *
 * usage: bench_scale [--live | --indexed] [SIZES...]   (default sizes: 10000 20000 40000 80000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dbsync/dbsync.h"
#include "dbsync/testing.h" /* dbsync_conn_exec: set-up only */

static double cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* What --indexed declares `notes` as, and the index on it. */
static int indexed;

/* n Django-shaped tables: a key, a unique and a checked column, an index, and
 * a foreign key to the previous table. `notes` is left out when !with_notes. */
static char *make_schema(int n, int with_notes)
{
	const char *notes = indexed ? ", \"notes\" text NOT NULL" : ", \"notes\" text NULL";
	size_t cap = (size_t)n * 600 + 64, len = 0;
	char *s = malloc(cap);
	if (!s)
		return NULL;
	for (int i = 0; i < n; i++) {
		len += (size_t)snprintf(s + len, cap - len,
			"CREATE TABLE \"app_model%d\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "
			"\"name\" varchar(100) NOT NULL UNIQUE, \"qty\" integer NOT NULL CHECK (\"qty\" >= 0), "
			"\"created\" datetime NOT NULL%s", i, with_notes ? notes : "");
		if (i)
			len += (size_t)snprintf(s + len, cap - len, ", \"parent_id\" integer NULL REFERENCES "
				"\"app_model%d\" (\"id\") DEFERRABLE INITIALLY DEFERRED", i - 1);
		len += (size_t)snprintf(s + len, cap - len, ");\n"
			"CREATE INDEX \"app_model%d_created_idx\" ON \"app_model%d\" (\"created\");\n", i, i);
		if (with_notes && indexed)
			len += (size_t)snprintf(s + len, cap - len,
				"CREATE INDEX \"app_model%d_notes_idx\" ON \"app_model%d\" (\"notes\");\n", i, i);
		if (!with_notes && indexed) /* a row: a NOT NULL column without a default cannot be added */
			len += (size_t)snprintf(s + len, cap - len, "INSERT INTO \"app_model%d\" (\"name\", \"qty\", "
				"\"created\") VALUES ('x', 0, '2020-01-01');\n", i);
	}
	return s;
}

typedef struct timings {
	double parse, render, plan, script, live;
} timings;

static int fail(dbsync_ctx *ctx, const char *what, int n)
{
	fprintf(stderr, "bench_scale: %d tables: %s: %s\n", n, what, dbsync_ctx_error(ctx)->message);
	return 1;
}

/* Plan against a live database holding every table without `notes` (and,
 * with --indexed, one row in each): one
 * operation per table, two with --indexed (the refused column, its index). */
static int run_live(dbsync_ctx *ctx, const dbsync_schema *desired, int n, double *ms)
{
	dbsync_conn *conn = NULL;
	dbsync_plan *plan = NULL;
	char *old = make_schema(n, 0);
	int rc = 1;
	if (!old || dbsync_conn_open_url(&conn, ctx, "sqlite:///:memory:") ||
	    dbsync_conn_exec(ctx, conn, "BEGIN") || dbsync_conn_exec(ctx, conn, old) ||
	    dbsync_conn_exec(ctx, conn, "COMMIT")) {
		fail(ctx, "live set-up", n);
		goto cleanup;
	}
	double t0 = cpu_ms();
	if (dbsync_plan_compute(&plan, ctx, conn, desired, NULL)) {
		fail(ctx, "plan against the live tables", n);
		goto cleanup;
	}
	*ms = cpu_ms() - t0;
	size_t expected = (size_t)n * (indexed ? 2 : 1);
	if (dbsync_plan_op_count(plan) != expected) {
		fprintf(stderr, "bench_scale: %d tables: the live plan has %zu operations, expected %zu\n", n,
			dbsync_plan_op_count(plan), expected);
		goto cleanup;
	}
	rc = 0;
cleanup:
	dbsync_plan_free(plan);
	dbsync_conn_close(conn);
	free(old);
	return rc;
}

static int run_size(dbsync_ctx *ctx, int n, int live, timings *t)
{
	char *ddl = make_schema(n, 1), *sql = NULL, *script = NULL;
	dbsync_schema *desired = NULL;
	dbsync_conn *conn = NULL;
	dbsync_plan *plan = NULL;
	if (!ddl)
		return 1;
	/* each step runs once the one before succeeded; `step` names the failing one */
	const char *step = "parse";
	double at[5];
	at[0] = cpu_ms();
	int rc = dbsync_schema_parse(&desired, ctx, DBSYNC_DIALECT_SQLITE, ddl, strlen(ddl));
	at[1] = cpu_ms();
	if (!rc && (step = "render"))
		rc = dbsync_schema_to_sql(&sql, ctx, desired);
	at[2] = cpu_ms();
	if (!rc && (step = "connect"))
		rc = dbsync_conn_open_url(&conn, ctx, "sqlite:///:memory:");
	at[3] = cpu_ms(); /* connecting is not measured */
	if (!rc && (step = "plan"))
		rc = dbsync_plan_compute(&plan, ctx, conn, desired, NULL);
	at[4] = cpu_ms();
	if (!rc && (step = "script"))
		rc = dbsync_plan_script(&script, ctx, plan);
	*t = (timings){ at[1] - at[0], at[2] - at[1], at[4] - at[3], cpu_ms() - at[4], 0 };
	if (rc) {
		rc = fail(ctx, step, n);
	} else if (dbsync_plan_op_count(plan) != (size_t)n) {
		fprintf(stderr, "bench_scale: %d tables: the plan has %zu operations, expected %d\n", n,
			dbsync_plan_op_count(plan), n);
		rc = 1;
	} else {
		/* the chain must come out in dependency order: the last table created last */
		char last[64];
		snprintf(last, sizeof last, "CREATE TABLE \"app_model%d\"", n - 1);
		const char *found = strstr(sql, last);
		if (!found || strstr(found + 1, "CREATE TABLE")) {
			fprintf(stderr, "bench_scale: %d tables: the rendered schema is not in dependency order\n", n);
			rc = 1;
		}
	}
	if (!rc && live)
		rc = run_live(ctx, desired, n, &t->live);
	dbsync_plan_free(plan);
	dbsync_conn_close(conn);
	dbsync_schema_free(desired);
	dbsync_free(sql);
	dbsync_free(script);
	free(ddl);
	return rc;
}

int main(int argc, char **argv)
{
	int sizes[16] = { 10000, 20000, 40000, 80000 }, nsizes = 0, live = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--live") == 0)
			live = 1;
		else if (strcmp(argv[i], "--indexed") == 0)
			live = indexed = 1;
		else if (argv[i][0] >= '1' && argv[i][0] <= '9' && nsizes < 16)
			sizes[nsizes++] = atoi(argv[i]);
		else {
			fprintf(stderr, "usage: bench_scale [--live | --indexed] [SIZES...]\n");
			return 2;
		}
	}
	if (nsizes == 0)
		nsizes = 4;
	dbsync_ctx *ctx = NULL;
	if (dbsync_ctx_new(&ctx))
		return 1;
	printf("CPU milliseconds\n%8s %9s %9s %9s %9s %9s %9s %13s\n", "tables", "parse", "render", "plan",
		"script", "live", "total", "us_per_table");
	double first = 0, last = 0;
	int status = 0;
	for (int i = 0; i < nsizes && !status; i++) {
		timings t;
		if (run_size(ctx, sizes[i], live, &t)) {
			status = 1;
			break;
		}
		double total = t.parse + t.render + t.plan + t.script + t.live;
		double per = total * 1e3 / sizes[i];
		printf("%8d %9.0f %9.0f %9.0f %9.0f %9.0f %9.0f %13.1f\n", sizes[i], t.parse, t.render, t.plan,
			t.script, t.live, total, per);
		fflush(stdout);
		if (i == 0)
			first = per;
		last = per;
	}
	if (!status && nsizes > 1) {
		double growth = last / first;
		printf("time per table, %d vs %d tables: %.2fx (linear = 1x, limit 1.5x)\n", sizes[nsizes - 1],
			sizes[0], growth);
		if (growth > 1.5) {
			fprintf(stderr, "bench_scale: FAIL time per table grew %.2fx from %d to %d tables\n", growth,
				sizes[0], sizes[nsizes - 1]);
			status = 1;
		}
	}
	dbsync_ctx_free(ctx);
	return status;
}
