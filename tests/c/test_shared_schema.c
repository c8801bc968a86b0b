/* A parsed schema is read-only: several threads plan against one shared
 * desired schema at once, each on its own SQLite database, and all get the
 * plan one thread alone gets afterwards, while the schema's bytes stay as
 * parsed. Also the ordering of a foreign key chain as long as the schema. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dbsync/dbsync.h"
#include "dbsync/testing.h" /* dbsync_conn_exec: set-up only */
#include "model.h"

#define SQ DBSYNC_DIALECT_SQLITE

enum { N_TABLES = 300, N_LIVE = 200, N_THREADS = 4 };

/* Tables app_t0..app_t<n-1>, each referencing the one before; with `notes`
 * unless `short_form`. Each has an index but the last: the script ends with a
 * CREATE TABLE, so nothing looks a name up after the last table is added (a
 * schema that indexed names lazily would do so during planning). Caller frees. */
static char *chain_ddl(int n, int short_form)
{
	size_t cap = (size_t)n * 400 + 64, len = 0;
	char *s = malloc(cap);
	assert_non_null(s);
	s[0] = '\0';
	for (int i = 0; i < n; i++) {
		len += (size_t)snprintf(s + len, cap - len,
			"CREATE TABLE \"app_t%d\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "
			"\"name\" varchar(50) NOT NULL UNIQUE%s", i, short_form ? "" : ", \"notes\" text NULL");
		if (i)
			len += (size_t)snprintf(s + len, cap - len,
				", \"prev_id\" integer NULL REFERENCES \"app_t%d\" (\"id\") DEFERRABLE INITIALLY DEFERRED", i - 1);
		len += (size_t)snprintf(s + len, cap - len, ");\n");
		if (i + 1 < n)
			len += (size_t)snprintf(s + len, cap - len,
				"CREATE INDEX \"app_t%d_name\" ON \"app_t%d\" (\"name\");\n", i, i);
	}
	return s;
}

typedef struct planner_run {
	const dbsync_schema *desired;
	const char *live_ddl;
	pthread_barrier_t *start;
	int rc;
	char error[256];
	size_t n_ops;
	char *script;                /* dbsync_free */
} planner_run;

/* Plan against a fresh in-memory database holding live_ddl. No cmocka
 * assertion here: they may only run on the main thread. */
static void *plan_once(void *arg)
{
	planner_run *r = arg;
	dbsync_ctx *ctx = NULL;
	dbsync_conn *conn = NULL;
	dbsync_plan *plan = NULL;
	if ((r->rc = dbsync_ctx_new(&ctx)))
		return NULL;
	if (!(r->rc = dbsync_conn_open_url(&conn, ctx, "sqlite::memory:")))
		r->rc = dbsync_conn_exec(ctx, conn, r->live_ddl);
	if (r->start)
		pthread_barrier_wait(r->start);
	if (!r->rc)
		r->rc = dbsync_plan_compute(&plan, ctx, conn, r->desired, NULL);
	if (!r->rc) {
		r->n_ops = dbsync_plan_op_count(plan);
		r->rc = dbsync_plan_script(&r->script, ctx, plan);
	}
	if (r->rc)
		snprintf(r->error, sizeof r->error, "%s", dbsync_ctx_error(ctx)->message);
	dbsync_plan_free(plan);
	dbsync_conn_close(conn);
	dbsync_ctx_free(ctx);
	return NULL;
}

static void test_threads_share_one_desired_schema(void **state)
{
	(void)state;
	char *want_ddl = chain_ddl(N_TABLES, 0), *live_ddl = chain_ddl(N_LIVE, 1);
	dbsync_ctx *ctx = NULL;
	dbsync_schema *desired = NULL;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	assert_int_equal(dbsync_schema_parse(&desired, ctx, SQ, want_ddl, strlen(want_ddl)), 0);
	/* every byte of the schema's own record as parsed: its name indexes live
	 * there, and a lookup that built or extended one would change it */
	struct dbsync_schema before = *desired;
	uint64_t fingerprint = dbs_schema_fingerprint(desired);

	/* the threads first, all released at once: a schema that indexed its
	 * names on the first lookup would be written by all of them together */
	pthread_barrier_t start;
	assert_int_equal(pthread_barrier_init(&start, NULL, N_THREADS), 0);
	planner_run runs[N_THREADS];
	pthread_t threads[N_THREADS];
	for (int i = 0; i < N_THREADS; i++) {
		runs[i] = (planner_run){ .desired = desired, .live_ddl = live_ddl, .start = &start };
		assert_int_equal(pthread_create(&threads[i], NULL, plan_once, &runs[i]), 0);
	}
	for (int i = 0; i < N_THREADS; i++)
		assert_int_equal(pthread_join(threads[i], NULL), 0);
	pthread_barrier_destroy(&start);

	planner_run alone = { .desired = desired, .live_ddl = live_ddl };
	plan_once(&alone);
	if (alone.rc)
		fail_msg("planning alone: %s", alone.error);
	/* 100 tables to create, a column to add to each of the other 200, and
	 * the index of app_t199 (the last live table, so made without one) */
	assert_int_equal(alone.n_ops, N_TABLES + 1);
	assert_non_null(strstr(alone.script, "CREATE INDEX \"app_t199_name\""));
	assert_non_null(strstr(alone.script, "CREATE TABLE \"app_t299\""));
	assert_non_null(strstr(alone.script, "ALTER TABLE \"app_t0\" ADD COLUMN \"notes\""));
	for (int i = 0; i < N_THREADS; i++) {
		if (runs[i].rc)
			fail_msg("thread %d: %s", i, runs[i].error);
		assert_int_equal(runs[i].n_ops, alone.n_ops);
		assert_string_equal(runs[i].script, alone.script);
		dbsync_free(runs[i].script);
	}
	assert_memory_equal(&before, desired, sizeof before);
	assert_true(dbs_schema_fingerprint(desired) == fingerprint);

	dbsync_free(alone.script);
	dbsync_schema_free(desired);
	dbsync_ctx_free(ctx);
	free(want_ddl);
	free(live_ddl);
}

/* Each table references the next one: the walk goes as deep as the schema
 * is long, and the order comes out reversed. */
static void test_chain_as_long_as_the_schema(void **state)
{
	(void)state;
	enum { N = 5000 };
	size_t cap = (size_t)N * 160, len = 0;
	char *ddl = malloc(cap);
	assert_non_null(ddl);
	for (int i = 0; i < N; i++) {
		len += (size_t)snprintf(ddl + len, cap - len, "CREATE TABLE \"t%d\" (\"id\" integer PRIMARY KEY", i);
		if (i + 1 < N)
			len += (size_t)snprintf(ddl + len, cap - len, ", \"next_id\" integer REFERENCES \"T%d\" (\"id\")",
				i + 1);
		len += (size_t)snprintf(ddl + len, cap - len, ");\n");
	}
	dbsync_ctx *ctx = NULL;
	dbsync_schema *s = NULL;
	char *sql = NULL;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	assert_int_equal(dbsync_schema_parse(&s, ctx, SQ, ddl, len), 0);
	assert_int_equal(dbsync_schema_to_sql(&sql, ctx, s), 0);
	/* SQLite names are case-insensitive: "T1" is t1, so t19999 comes first,
	 * then each table after the one it references, down to t0 */
	const char *at = sql;
	for (int i = N - 1; i >= 0; i--) {
		char head[48];
		snprintf(head, sizeof head, "CREATE TABLE \"t%d\" (", i);
		const char *next = strstr(at, head);
		if (!next)
			fail_msg("table t%d is not after t%d", i, i + 1);
		at = next + 1;
	}
	dbsync_free(sql);
	dbsync_schema_free(s);
	dbsync_ctx_free(ctx);
	free(ddl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads_share_one_desired_schema),
		cmocka_unit_test(test_chain_as_long_as_the_schema),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
