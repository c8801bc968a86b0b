/* Read-only checks never scan a table: with DBSYNC_COUNT_ESTIMATE the
 * inventory, one table's details and a plan's data-loss sizes come from the
 * catalog's row estimates, and each server is watched for a read of the
 * tables while they are taken:
 * - SQLite: an authorizer on the engine's own connection records every
 *   statement that reads the tables (COUNT(*) included, as SQLITE_READ);
 * - PostgreSQL: pg_stat_user_tables' seq_scan + idx_scan of the tables,
 *   before and after, the engine's session flushing its statistics first
 *   (pg_stat_force_next_flush, PostgreSQL 15 and later);
 * - MariaDB: another session holds the tables under LOCK TABLES ... WRITE,
 *   so a read would wait, and with lock_wait_timeout = 1 fail.
 * Each server also shows the watch works: counting exactly is seen (SQLite,
 * PostgreSQL) or fails on the lock (MariaDB: error 1205, lock wait timeout).
 * The planner's pre-flight "is the table empty?" (a NOT NULL column without a
 * default added to `app_grow`) reads the estimate too in a check, and marks
 * the operation unprobed; before an apply it counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "backend.h"
#include "backend_sqlite.h"
#include "dbsync/dbsync.h"
#include "test_support.h"

static test_server pg, my;
static bool have_pg, have_my;

static int group_setup(void **state)
{
	(void)state;
	if (test_tmpdir_create("dbsync-estimates-"))
		return -1;
	if (getenv(TEST_PG_SERVER.script_env)) {
		if (test_server_open_db(&pg, &TEST_PG_SERVER))
			return -1;
		have_pg = !pg.absent;
	}
	if (getenv(TEST_MARIADB_SERVER.script_env)) {
		if (test_server_open_db(&my, &TEST_MARIADB_SERVER))
			return -1;
		have_my = !my.absent;
	}
	return 0;
}

static int group_teardown(void **state)
{
	int rc = test_tmpdir_teardown(state);
	if (getenv(TEST_PG_SERVER.script_env) && test_server_stop(&pg))
		rc = -1;
	if (getenv(TEST_MARIADB_SERVER.script_env) && test_server_stop(&my))
		rc = -1;
	return rc;
}

static dbsync_conn *open_url(dbsync_ctx *ctx, const char *url)
{
	dbsync_conn *conn = NULL;
	if (dbsync_conn_open_url(&conn, ctx, url))
		fail_msg("connect: %s", dbsync_ctx_error(ctx)->message);
	return conn;
}

/* The scenario on every server: `app_keep` (a model table that loses its
 * column x), `app_grow` (one that gains a NOT NULL column without a default,
 * which only an empty table can take) and `old` (an orphan the plan drops),
 * with rows. */
static const char desired_ddl[] = "CREATE TABLE app_keep (id integer NOT NULL PRIMARY KEY);"
	"CREATE TABLE app_grow (id integer NOT NULL PRIMARY KEY, y integer NOT NULL);";

static void scenario(dbsync_ctx *ctx, dbsync_conn *conn)
{
	exec_ok(ctx, conn, "DROP TABLE IF EXISTS old");
	exec_ok(ctx, conn, "DROP TABLE IF EXISTS app_keep");
	exec_ok(ctx, conn, "DROP TABLE IF EXISTS app_grow");
	exec_ok(ctx, conn, "CREATE TABLE app_keep (id integer NOT NULL PRIMARY KEY, x integer NULL)");
	exec_ok(ctx, conn, "CREATE TABLE app_grow (id integer NOT NULL PRIMARY KEY)");
	exec_ok(ctx, conn, "INSERT INTO app_grow (id) VALUES (1), (2)");
	exec_ok(ctx, conn, "CREATE TABLE old (id integer NOT NULL PRIMARY KEY, v varchar(10) NULL)");
	exec_ok(ctx, conn, "INSERT INTO app_keep (id, x) VALUES (1, 10), (2, NULL)");
	exec_ok(ctx, conn, "INSERT INTO old (id, v) VALUES (1, 'a'), (2, 'b'), (3, NULL)");
}

static json_t *inventory(dbsync_ctx *ctx, dbsync_conn *conn, int rows)
{
	static const char *const owned[] = { "app_keep", "app_grow" };
	dbsync_inventory_options o = DBSYNC_INVENTORY_OPTIONS_INIT;
	o.owned = owned;
	o.n_owned = 2;
	o.views = 0;
	o.rows = rows;
	char *text = NULL;
	if (dbsync_conn_inventory(&text, ctx, conn, &o))
		fail_msg("inventory: %s", dbsync_ctx_error(ctx)->message);
	json_t *doc = json_loads(text, 0, NULL);
	dbsync_free(text);
	assert_non_null(doc);
	return doc;
}

static json_t *named(json_t *doc, const char *name)
{
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(doc, "tables"), i, e)
		if (strcmp(json_string_value(json_object_get(e, "name")), name) == 0)
			return e;
	fail_msg("no table %s", name);
	return NULL;
}

static const dbsync_op *op_of(const dbsync_plan *plan, dbsync_op_kind kind)
{
	for (size_t i = 0; i < dbsync_plan_op_count(plan); i++)
		if (dbsync_plan_op(plan, i)->kind == kind)
			return dbsync_plan_op(plan, i);
	return NULL;
}

/* The operation adding app_grow.y: the first ADD_COLUMN or REBUILD_TABLE of app_grow. */
static const dbsync_op *grow_op(const dbsync_plan *plan)
{
	for (size_t i = 0; i < dbsync_plan_op_count(plan); i++) {
		const dbsync_op *op = dbsync_plan_op(plan, i);
		if ((op->kind == DBSYNC_OP_ADD_COLUMN || op->kind == DBSYNC_OP_REBUILD_TABLE) &&
		    strcmp(op->table, "app_grow") == 0)
			return op;
	}
	fail_msg("no operation adds app_grow.y");
	return NULL;
}

/* A check's app_grow.y: refused on the estimate of its rows, said to be one,
 * or, where the catalog has none (grow_rows -1), planned as for an empty
 * table; unprobed either way. */
static void assert_grow_unprobed(const dbsync_plan *plan, int64_t grow_rows)
{
	const dbsync_op *grow = grow_op(plan);
	assert_int_equal(grow->unprobed, 1);
	if (grow_rows < 0) {
		assert_int_equal(grow->status, DBSYNC_STATUS_PENDING);
		return;
	}
	assert_int_equal(grow->status, DBSYNC_STATUS_REFUSED);
	assert_non_null(strstr(grow->reason, "has 2 rows"));
	assert_non_null(strstr(grow->reason, "(rows: the catalog's estimate, not counted)"));
}

/* Before an apply the rows are counted: refused, with the count, probed. */
static void test_grow_counted(dbsync_ctx *ctx, dbsync_conn *conn)
{
	dbsync_schema *desired = NULL;
	dbsync_plan *plan = NULL;
	dbsync_plan_options po = DBSYNC_PLAN_OPTIONS_INIT;
	if (dbsync_schema_parse(&desired, ctx, dbsync_conn_dialect(conn), desired_ddl, strlen(desired_ddl)) ||
	    dbsync_plan_compute(&plan, ctx, conn, desired, &po))
		fail_msg("plan: %s", dbsync_ctx_error(ctx)->message);
	const dbsync_op *grow = grow_op(plan);
	assert_int_equal(grow->unprobed, 0);
	assert_int_equal(grow->status, DBSYNC_STATUS_REFUSED);
	assert_non_null(strstr(grow->reason, "has 2 rows"));
	assert_null(strstr(grow->reason, "estimate"));
	dbsync_plan_free(plan);
	dbsync_schema_free(desired);
}

/* What a read-only check does, all with estimates; `rows` is the estimate
 * each table must show (-1: the catalog has none). */
static void check_with_estimates(dbsync_ctx *ctx, dbsync_conn *conn, int64_t old_rows, int64_t keep_rows)
{
	json_t *doc = inventory(ctx, conn, DBSYNC_COUNT_ESTIMATE);
	json_t *old = named(doc, "old"), *keep = named(doc, "app_keep");
	assert_true(json_is_true(json_object_get(old, "orphan")));
	assert_true(json_is_true(json_object_get(old, "rows_estimated")));
	assert_true(json_is_true(json_object_get(keep, "rows_estimated")));
	if (old_rows < 0) {
		assert_true(json_is_null(json_object_get(old, "rows")));
		assert_true(json_is_null(json_object_get(doc, "rows_method")));
	} else {
		assert_int_equal(json_integer_value(json_object_get(old, "rows")), old_rows);
		assert_int_equal(json_integer_value(json_object_get(keep, "rows")), keep_rows);
		assert_true(json_is_string(json_object_get(doc, "rows_method")));
		assert_string_not_equal(json_string_value(json_object_get(doc, "rows_method")), "count");
	}
	json_decref(doc);

	dbsync_table_options to = DBSYNC_TABLE_OPTIONS_INIT;
	to.rows = DBSYNC_COUNT_ESTIMATE;
	char *text = NULL;
	if (dbsync_conn_table_json_opts(&text, ctx, conn, "old", &to))
		fail_msg("table_json: %s", dbsync_ctx_error(ctx)->message);
	doc = json_loads(text, 0, NULL);
	dbsync_free(text);
	assert_non_null(doc);
	assert_true(json_is_true(json_object_get(doc, "rows_estimated")));
	if (old_rows < 0)
		assert_true(json_is_null(json_object_get(doc, "rows")));
	else
		assert_int_equal(json_integer_value(json_object_get(doc, "rows")), old_rows);
	json_decref(doc);

	dbsync_schema *desired = NULL;
	dbsync_plan *plan = NULL;
	const char *drops[] = { "old" };
	dbsync_plan_options po = DBSYNC_PLAN_OPTIONS_INIT;
	po.drop_columns = 1;
	po.drop_tables = drops;
	po.n_drop_tables = 1;
	po.count_data_loss = DBSYNC_COUNT_ESTIMATE;
	if (dbsync_schema_parse(&desired, ctx, dbsync_conn_dialect(conn), desired_ddl, strlen(desired_ddl)) ||
	    dbsync_plan_compute(&plan, ctx, conn, desired, &po))
		fail_msg("plan: %s", dbsync_ctx_error(ctx)->message);
	const dbsync_op *drop = op_of(plan, DBSYNC_OP_DROP_TABLE);
	const dbsync_op *col = op_of(plan, DBSYNC_OP_DROP_COLUMN);
	if (!col)
		col = op_of(plan, DBSYNC_OP_REBUILD_TABLE); /* SQLite may rebuild instead */
	assert_non_null(drop);
	assert_non_null(col);
	assert_int_equal(drop->status, DBSYNC_STATUS_PENDING);
	assert_int_equal(drop->affected, old_rows);
	assert_int_equal(col->affected, old_rows < 0 ? -1 : keep_rows);
	assert_int_equal(drop->affected_estimated, old_rows >= 0);
	assert_int_equal(col->affected_estimated, old_rows >= 0);
	assert_grow_unprobed(plan, old_rows < 0 ? -1 : 2);
	dbsync_plan_free(plan);
	dbsync_schema_free(desired);
}

/* ---- SQLite: an authorizer sees every statement that reads the tables ---- */

static int reads_of_tables;

static int watch_reads(void *arg, int action, const char *table, const char *column, const char *db,
	const char *trigger)
{
	(void)arg;
	(void)column;
	(void)db;
	(void)trigger;
	if (action == SQLITE_READ && table &&
	    (strcmp(table, "old") == 0 || strcmp(table, "app_keep") == 0 || strcmp(table, "app_grow") == 0))
		reads_of_tables++;
	return SQLITE_OK;
}

static void test_sqlite_reads_no_table(void **state)
{
	dbsync_ctx *ctx = *state;
	char url[600];
	snprintf(url, sizeof url, "sqlite:///%s", db_path("estimates.db"));
	dbsync_conn *conn = open_url(ctx, url);
	scenario(ctx, conn);
	sqlite3_set_authorizer(dbs_sq_db(conn), watch_reads, NULL);

	/* never analyzed: no estimate, and still no count */
	reads_of_tables = 0;
	check_with_estimates(ctx, conn, -1, -1);
	assert_int_equal(reads_of_tables, 0);

	sqlite3_set_authorizer(dbs_sq_db(conn), NULL, NULL);
	exec_ok(ctx, conn, "ANALYZE");
	sqlite3_set_authorizer(dbs_sq_db(conn), watch_reads, NULL);
	check_with_estimates(ctx, conn, 3, 2);
	assert_int_equal(reads_of_tables, 0);

	/* the watch sees a count: the orphan's rows counted exactly */
	json_t *doc = inventory(ctx, conn, DBSYNC_COUNT_EXACT);
	assert_int_equal(json_integer_value(json_object_get(named(doc, "old"), "rows")), 3);
	assert_true(json_is_false(json_object_get(named(doc, "old"), "rows_estimated")));
	json_decref(doc);
	assert_true(reads_of_tables > 0);
	reads_of_tables = 0;
	test_grow_counted(ctx, conn);
	assert_true(reads_of_tables > 0);
	dbsync_conn_close(conn);
}

/* ---- PostgreSQL: the statistics system counts every scan ---- */

static int64_t pg_scans(dbsync_ctx *ctx, dbsync_conn *observer)
{
	int64_t n = -1;
	exec_ok(ctx, observer, "SELECT pg_catalog.pg_stat_clear_snapshot()");
	if (observer->backend->query_int64(&n, ctx, observer,
			"SELECT COALESCE(SUM(seq_scan + COALESCE(idx_scan, 0)), -1)::bigint FROM pg_catalog.pg_stat_user_tables "
			"WHERE relname IN ('old', 'app_keep', 'app_grow')"))
		fail_msg("reading pg_stat_user_tables: %s", dbsync_ctx_error(ctx)->message);
	return n;
}

static void test_postgres_scans_no_table(void **state)
{
	dbsync_ctx *ctx = *state;
	if (!have_pg)
		fail_msg("the PostgreSQL test server is not configured (run through meson test)");
	dbsync_conn *conn = open_url(ctx, pg.url), *observer = open_url(ctx, pg.url);
	if (conn->server_num < 150000)
		fail_msg("pg_stat_force_next_flush needs PostgreSQL 15 or later");
	scenario(ctx, conn);
	/* what VACUUM/ANALYZE keep in pg_class.reltuples: exact on tables this small */
	exec_ok(ctx, conn, "ANALYZE old; ANALYZE app_keep; ANALYZE app_grow");
	exec_ok(ctx, conn, "SELECT pg_catalog.pg_stat_force_next_flush()");
	int64_t before = pg_scans(ctx, observer);
	assert_true(before >= 0);

	check_with_estimates(ctx, conn, 3, 2);
	/* the session's counters reach the shared statistics before it is idle again */
	exec_ok(ctx, conn, "SELECT pg_catalog.pg_stat_force_next_flush()");
	assert_int_equal(pg_scans(ctx, observer), before);

	/* the watch sees a count */
	json_decref(inventory(ctx, conn, DBSYNC_COUNT_EXACT));
	exec_ok(ctx, conn, "SELECT pg_catalog.pg_stat_force_next_flush()");
	int64_t counted = pg_scans(ctx, observer);
	assert_true(counted > before);
	test_grow_counted(ctx, conn);
	exec_ok(ctx, conn, "SELECT pg_catalog.pg_stat_force_next_flush()");
	assert_true(pg_scans(ctx, observer) > counted);
	dbsync_conn_close(observer);
	dbsync_conn_close(conn);
}

/* ---- MariaDB: a table locked by another session cannot be read ---- */

static void test_mariadb_waits_on_no_table(void **state)
{
	dbsync_ctx *ctx = *state;
	if (!have_my)
		fail_msg("the MariaDB test server is not configured (run through meson test)");
	dbsync_conn *conn = open_url(ctx, my.url), *holder = open_url(ctx, my.url);
	scenario(ctx, conn);
	/* InnoDB's statistics, recomputed: exact on tables this small */
	exec_ok(ctx, conn, "ANALYZE TABLE old, app_keep, app_grow");
	exec_ok(ctx, holder, "LOCK TABLES old WRITE, app_keep WRITE, app_grow WRITE");
	/* a read would wait for the holder: make it fail instead of hang */
	exec_ok(ctx, conn, "SET SESSION lock_wait_timeout = 1");

	check_with_estimates(ctx, conn, 3, 2);

	/* the watch sees a count: it fails on the lock (the inventory lists the
	 * table with why its rows are unknown) */
	json_t *doc = inventory(ctx, conn, DBSYNC_COUNT_EXACT);
	json_t *old = named(doc, "old");
	assert_true(json_is_null(json_object_get(old, "rows")));
	assert_non_null(strstr(json_string_value(json_object_get(old, "rows_error")), "error 1205"));
	json_decref(doc);
	/* and a plan before an apply counts app_grow's rows: it fails on the lock */
	dbsync_schema *desired = NULL;
	dbsync_plan *plan = NULL;
	dbsync_plan_options po = DBSYNC_PLAN_OPTIONS_INIT;
	if (dbsync_schema_parse(&desired, ctx, DBSYNC_DIALECT_MYSQL, desired_ddl, strlen(desired_ddl)))
		fail_msg("parse: %s", dbsync_ctx_error(ctx)->message);
	assert_int_not_equal(dbsync_plan_compute(&plan, ctx, conn, desired, &po), 0);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "1205"));
	dbsync_schema_free(desired);
	exec_ok(ctx, holder, "UNLOCK TABLES");
	test_grow_counted(ctx, conn);
	dbsync_conn_close(holder);
	dbsync_conn_close(conn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sqlite_reads_no_table, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_postgres_scans_no_table, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_mariadb_waits_on_no_table, ctx_setup, ctx_teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
