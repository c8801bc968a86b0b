/*
 * Catalog benchmark: for schemas of growing size, measure what the engine costs to
 * read the live catalog and to plan a no-op sync. Prints one row per size:
 *
 *   tables  catalog_queries  introspect_ms  noop_plan_ms  peak_rss_mb
 *
 * The targets (ARCHITECTURE.md) are checked as ratios within one run: the query
 * count must not grow with the schema, time must grow about linearly, and memory
 * must stay under 100 MB at 5,000 tables. Exits 1 when a target is missed.
 *
 * usage: bench_catalog [DIR] [SIZES...]   (default sizes: 10 500 2000 5000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "dbsync/dbsync.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double peak_rss_mb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss / 1024.0; /* Linux reports KiB */
}

/* A Django-shaped schema of n tables: each has a PK, a few typed columns, a unique
 * column, an FK to the previous table, an index and a check. */
static char *make_schema(int n)
{
	size_t cap = (size_t)n * 700 + 64, len = 0;
	char *s = malloc(cap);
	if (!s)
		return NULL;
	for (int i = 0; i < n; i++) {
		len += (size_t)snprintf(s + len, cap - len,
			"CREATE TABLE \"app_model%d\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "
			"\"name\" varchar(100) NOT NULL UNIQUE, \"price\" decimal NOT NULL, "
			"\"qty\" integer unsigned NOT NULL CHECK (\"qty\" >= 0), \"created\" datetime NOT NULL, "
			"\"notes\" text NULL%s%.0d%s);\n"
			"CREATE INDEX \"app_model%d_created_idx\" ON \"app_model%d\" (\"created\");\n",
			i, i ? ", \"parent_id\" integer NULL REFERENCES \"app_model" : "", i ? i - 1 : 0,
			i ? "\" (\"id\") DEFERRABLE INITIALLY DEFERRED" : "", i, i);
	}
	return s;
}

static int fail(dbsync_ctx *ctx, const char *what)
{
	fprintf(stderr, "bench: %s: %s\n", what, dbsync_ctx_error(ctx)->message);
	return 1;
}

static int run_size(const char *dir, int n, unsigned long long *queries, double *intro_ms,
	double *plan_ms, dbsync_ctx *ctx)
{
	char path[4096], url[4200];
	snprintf(path, sizeof path, "%s/bench_%d.db", dir, n);
	unlink(path);
	snprintf(url, sizeof url, "sqlite:///%s", path);
	char *ddl = make_schema(n);
	dbsync_conn *conn = NULL;
	dbsync_schema *desired = NULL, *live = NULL;
	dbsync_plan *plan = NULL;
	int rc = 1;
	if (!ddl)
		goto cleanup;
	if (dbsync_conn_open_url(&conn, ctx, url)) {
		fail(ctx, "connect");
		goto cleanup;
	}
	if (dbsync_conn_exec(ctx, conn, ddl) ||
	    dbsync_schema_parse(&desired, ctx, DBSYNC_DIALECT_SQLITE, ddl, strlen(ddl))) {
		fail(ctx, "setup");
		goto cleanup;
	}
	dbsync_conn_reset_counters(conn);
	double t0 = now_ms();
	if (dbsync_conn_introspect(&live, ctx, conn)) {
		fail(ctx, "introspect");
		goto cleanup;
	}
	*intro_ms = now_ms() - t0;
	*queries = dbsync_conn_catalog_queries(conn);
	if (dbsync_schema_table_count(live) != (size_t)n) {
		fprintf(stderr, "bench: read %zu tables, expected %d\n", dbsync_schema_table_count(live), n);
		goto cleanup;
	}
	t0 = now_ms();
	if (dbsync_plan_compute(&plan, ctx, conn, desired, NULL)) {
		fail(ctx, "plan");
		goto cleanup;
	}
	*plan_ms = now_ms() - t0;
	if (dbsync_plan_op_count(plan) != 0) {
		fprintf(stderr, "bench: no-op plan has %zu operations\n", dbsync_plan_op_count(plan));
		goto cleanup;
	}
	rc = 0;
cleanup:
	dbsync_plan_free(plan);
	dbsync_schema_free(live);
	dbsync_schema_free(desired);
	dbsync_conn_close(conn);
	free(ddl);
	unlink(path);
	return rc;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	int sizes[16] = { 10, 500, 2000, 5000 }, nsizes = 4;
	if (argc > 2) {
		nsizes = 0;
		for (int i = 2; i < argc && nsizes < 16; i++)
			sizes[nsizes++] = atoi(argv[i]);
	}
	dbsync_ctx *ctx = NULL;
	if (dbsync_ctx_new(&ctx))
		return 1;
	printf("%8s %16s %14s %13s %12s\n", "tables", "catalog_queries", "introspect_ms", "noop_plan_ms",
		"peak_rss_mb");
	unsigned long long q0 = 0;
	double ms_per_table_first = 0, ms_per_table_last = 0, rss = 0;
	int status = 0;
	for (int i = 0; i < nsizes; i++) {
		unsigned long long q = 0;
		double intro = 0, plan = 0;
		if (run_size(dir, sizes[i], &q, &intro, &plan, ctx)) {
			status = 1;
			break;
		}
		rss = peak_rss_mb();
		printf("%8d %16llu %14.1f %13.1f %12.1f\n", sizes[i], q, intro, plan, rss);
		fflush(stdout);
		if (i == 0)
			q0 = q;
		else if (q != q0) {
			fprintf(stderr, "bench: FAIL catalog queries grew from %llu to %llu\n", q0, q);
			status = 1;
		}
		if (q > 10) {
			fprintf(stderr, "bench: FAIL %llu catalog queries (target: at most 10)\n", q);
			status = 1;
		}
		double per = (intro + plan) / sizes[i];
		if (i == 1)
			ms_per_table_first = per;
		if (i == nsizes - 1)
			ms_per_table_last = per;
	}
	if (!status && nsizes > 2 && ms_per_table_first > 0) {
		double growth = ms_per_table_last / ms_per_table_first;
		printf("time per table, largest vs second size: %.2fx (linear = 1x)\n", growth);
		if (growth > 3.0) {
			fprintf(stderr, "bench: FAIL time grows faster than linearly (%.2fx per table)\n", growth);
			status = 1;
		}
	}
	if (rss > 100.0) {
		fprintf(stderr, "bench: FAIL peak memory %.1f MB (target: under 100 MB)\n", rss);
		status = 1;
	}
	dbsync_ctx_free(ctx);
	return status;
}
