/*
 * Table-name case on a MariaDB server with lower_case_table_names=1 (its own
 * throwaway server: the setting is fixed when the data directory is made).
 * There the server stores every table name in lower case and compares names
 * ignoring case, so a model's `ABCD` and the database's `abcd` are one table:
 * nothing to rename, nothing to create, no conflict, no orphan, and a plan
 * that creates a mixed-case table converges instead of renaming forever.
 * (lower_case_table_names=2 cannot be had here: on a case-sensitive file
 * system the server turns it back into 0.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "backend.h"
#include "dbsync/dbsync.h"
#include "test_support.h"

static test_server server;
static bool started;
static char sock[256];
static int seq;


static int group_setup(void **state)
{
	(void)state;
	if (!getenv(TEST_MARIADB_SERVER.script_env)) {
		server.absent = true;
		return 0;
	}
	setenv("DBSYNC_MARIADB_SERVER_OPTIONS", "--lower-case-table-names=1", 1);
	int rc = test_server_start(&server, &TEST_MARIADB_SERVER);
	unsetenv("DBSYNC_MARIADB_SERVER_OPTIONS");
	if (rc)
		return -1;
	const char *s = strstr(server.url, "unix_socket=");
	if (!s)
		return -1;
	snprintf(sock, sizeof sock, "%s", s + strlen("unix_socket="));
	started = true;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	return started && test_server_stop(&server) ? -1 : 0;
}

static dbsync_conn *fresh(dbsync_ctx *ctx)
{
	dbsync_conn *conn = NULL;
	char name[64], sql[200];
	snprintf(name, sizeof name, "lctn_%d", ++seq);
	const char *keys[] = { "name", "user", "unix_socket" };
	const char *vals[] = { "mysql", "root", sock };
	if (dbsync_conn_open_params(&conn, ctx, DBSYNC_DIALECT_MYSQL, keys, vals, 3))
		fail_msg("open: %s", dbsync_ctx_error(ctx)->message);
	int64_t lctn = -1;
	if (conn->backend->query_int64(&lctn, ctx, conn, "SELECT @@lower_case_table_names"))
		fail_msg("lower_case_table_names: %s", dbsync_ctx_error(ctx)->message);
	assert_int_equal(lctn, 1);
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s; CREATE DATABASE %s", name, name);
	exec_ok(ctx, conn, sql);
	dbsync_conn_close(conn);
	vals[0] = name;
	if (dbsync_conn_open_params(&conn, ctx, DBSYNC_DIALECT_MYSQL, keys, vals, 3))
		fail_msg("open: %s", dbsync_ctx_error(ctx)->message);
	return conn;
}

static int64_t count(dbsync_ctx *ctx, dbsync_conn *conn, const char *sql)
{
	int64_t v = -1;
	if (conn->backend->query_int64(&v, ctx, conn, sql))
		fail_msg("%s: %s", sql, dbsync_ctx_error(ctx)->message);
	return v;
}

/* The plan borrows the desired schema: free *want after the plan. */
static dbsync_plan *plan_for(dbsync_schema **want, dbsync_ctx *ctx, dbsync_conn *conn, const char *ddl,
	int case_fix)
{
	*want = NULL;
	if (dbsync_schema_parse(want, ctx, DBSYNC_DIALECT_MYSQL, ddl, strlen(ddl)))
		fail_msg("parse: %s", dbsync_ctx_error(ctx)->message);
	dbsync_plan_options o = DBSYNC_PLAN_OPTIONS_INIT;
	o.auto_fix_table_case = case_fix;
	dbsync_plan *p = NULL;
	if (dbsync_plan_compute(&p, ctx, conn, *want, &o))
		fail_msg("plan: %s", dbsync_ctx_error(ctx)->message);
	return p;
}

static void assert_plans_nothing(dbsync_ctx *ctx, dbsync_conn *conn, const char *ddl, int case_fix)
{
	dbsync_schema *want;
	dbsync_plan *p = plan_for(&want, ctx, conn, ddl, case_fix);
	for (size_t i = 0; i < dbsync_plan_op_count(p); i++)
		fprintf(stderr, "unexpected: %s\n", dbsync_plan_op(p, i)->summary);
	assert_int_equal(dbsync_plan_op_count(p), 0);
	dbsync_plan_free(p);
	dbsync_schema_free(want);
}

#define NEED() do { if (server.absent) skip(); } while (0)

static const char LIVE[] =
	"CREATE TABLE `ABCD` (`id` integer NOT NULL PRIMARY KEY, `name` varchar(50) NOT NULL);"
	"CREATE TABLE `Child` (`id` integer NOT NULL PRIMARY KEY, `abcd_id` integer NOT NULL,"
	" CONSTRAINT `child_abcd_fk` FOREIGN KEY (`abcd_id`) REFERENCES `ABCD` (`id`));"
	"INSERT INTO `abcd` VALUES (1, 'one'), (2, 'two');"
	"INSERT INTO `child` VALUES (10, 2)";

/* The model says `abcd` and `child`, someone created `ABCD` and `Child`:
 * the server folded them, so the database already matches, whichever way
 * AUTO_FIX_TABLE_CASE is set. */
static void lower_model_upper_sql_is_one_table(void **state)
{
	NEED();
	dbsync_ctx *ctx = *state;
	dbsync_conn *conn = fresh(ctx);
	exec_ok(ctx, conn, LIVE);
	static const char want[] =
		"CREATE TABLE `abcd` (`id` integer NOT NULL PRIMARY KEY, `name` varchar(50) NOT NULL);"
		"CREATE TABLE `child` (`id` integer NOT NULL PRIMARY KEY, `abcd_id` integer NOT NULL,"
		" CONSTRAINT `child_abcd_fk` FOREIGN KEY (`abcd_id`) REFERENCES `abcd` (`id`));";
	for (int fix = 0; fix <= 1; fix++)
		assert_plans_nothing(ctx, conn, want, fix);
	assert_int_equal(count(ctx, conn, "SELECT count(*) FROM `ABCD` JOIN `CHILD` ON `child`.`abcd_id` = `abcd`.`id`"), 1);
	dbsync_conn_close(conn);
}

/* The model says `ABCD` (a mixed-case db_table): no rename to `ABCD` is
 * attempted (the server would store it as `abcd` again, and refuse it as
 * a name that already exists), no second table is created. */
static void upper_model_matches_the_folded_table(void **state)
{
	NEED();
	dbsync_ctx *ctx = *state;
	dbsync_conn *conn = fresh(ctx);
	exec_ok(ctx, conn, LIVE);
	static const char want[] =
		"CREATE TABLE `ABCD` (`id` integer NOT NULL PRIMARY KEY, `name` varchar(50) NOT NULL);"
		"CREATE TABLE `Child` (`id` integer NOT NULL PRIMARY KEY, `abcd_id` integer NOT NULL,"
		" CONSTRAINT `child_abcd_fk` FOREIGN KEY (`abcd_id`) REFERENCES `ABCD` (`id`));";
	assert_plans_nothing(ctx, conn, want, 1);
	dbsync_conn_close(conn);
}

/* A new mixed-case table, and a change to a table spelled in another case
 * than the server stores: applied once, then nothing is left to do. */
static void mixed_case_changes_converge(void **state)
{
	NEED();
	dbsync_ctx *ctx = *state;
	dbsync_conn *conn = fresh(ctx);
	exec_ok(ctx, conn, LIVE);
	static const char want[] =
		"CREATE TABLE `ABCD` (`id` integer NOT NULL PRIMARY KEY, `name` varchar(50) NOT NULL,"
		" `note` varchar(20) NULL);"
		"CREATE TABLE `Child` (`id` integer NOT NULL PRIMARY KEY, `abcd_id` integer NOT NULL,"
		" CONSTRAINT `child_abcd_fk` FOREIGN KEY (`abcd_id`) REFERENCES `ABCD` (`id`));"
		"CREATE TABLE `NewOne` (`id` integer NOT NULL PRIMARY KEY, `abcd_id` integer NOT NULL,"
		" CONSTRAINT `newone_abcd_fk` FOREIGN KEY (`abcd_id`) REFERENCES `ABCD` (`id`));";
	dbsync_schema *want_schema;
	dbsync_plan *p = plan_for(&want_schema, ctx, conn, want, 1);
	assert_true(dbsync_plan_op_count(p) >= 2);
	for (size_t i = 0; i < dbsync_plan_op_count(p); i++)
		assert_int_not_equal(dbsync_plan_op(p, i)->kind, DBSYNC_OP_RENAME_TABLE);
	if (dbsync_plan_apply(ctx, conn, p, NULL))
		fail_msg("apply: %s", dbsync_ctx_error(ctx)->message);
	dbsync_plan_free(p);
	dbsync_schema_free(want_schema);
	assert_int_equal(count(ctx, conn, "SELECT count(*) FROM information_schema.TABLES "
		"WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'newone'"), 1);
	assert_int_equal(count(ctx, conn, "SELECT count(*) FROM abcd WHERE note IS NULL"), 2);
	assert_plans_nothing(ctx, conn, want, 1);
	dbsync_conn_close(conn);
}

/* The server folds letters beyond ASCII too: `Ärger` is stored `ärger`. */
static void non_ascii_names_fold_too(void **state)
{
	NEED();
	dbsync_ctx *ctx = *state;
	dbsync_conn *conn = fresh(ctx);
	exec_ok(ctx, conn, "CREATE TABLE `\xc3\x84rger Tab` (`id` integer NOT NULL PRIMARY KEY)");
	assert_int_equal(count(ctx, conn, "SELECT count(*) FROM information_schema.TABLES "
		"WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '\xc3\xa4rger tab'"), 1);
	assert_plans_nothing(ctx, conn, "CREATE TABLE `\xc3\x84rger Tab` (`id` integer NOT NULL PRIMARY KEY);", 1);
	assert_plans_nothing(ctx, conn, "CREATE TABLE `\xc3\xa4rger tab` (`id` integer NOT NULL PRIMARY KEY);", 1);
	dbsync_conn_close(conn);
}

/* Owned names are compared as the server compares them: `abcd` is the
 * model's `ABCD`, neither an orphan nor a case mismatch. */
static void folded_tables_are_owned_not_orphans(void **state)
{
	NEED();
	dbsync_ctx *ctx = *state;
	dbsync_conn *conn = fresh(ctx);
	exec_ok(ctx, conn, LIVE);
	exec_ok(ctx, conn, "CREATE TABLE `Stray` (`id` integer NOT NULL PRIMARY KEY)");
	const char *owned[] = { "ABCD", "Child" };
	dbsync_inventory_options o = DBSYNC_INVENTORY_OPTIONS_INIT;
	o.owned = owned;
	o.n_owned = 2;
	char *text = NULL;
	if (dbsync_conn_inventory(&text, ctx, conn, &o))
		fail_msg("inventory: %s", dbsync_ctx_error(ctx)->message);
	json_error_t err;
	json_t *doc = json_loads(text, 0, &err);
	dbsync_free(text);
	assert_non_null(doc);
	json_t *tables = json_object_get(doc, "tables");
	size_t i;
	json_t *t;
	int seen = 0;
	json_array_foreach(tables, i, t) {
		const char *name = json_string_value(json_object_get(t, "name"));
		bool stray = strcmp(name, "stray") == 0;
		assert_true(stray || strcmp(name, "abcd") == 0 || strcmp(name, "child") == 0);
		assert_int_equal(json_is_true(json_object_get(t, "orphan")), stray);
		assert_int_equal(json_is_true(json_object_get(t, "owned")), !stray);
		assert_true(json_is_null(json_object_get(t, "case_of")));
		seen++;
	}
	assert_int_equal(seen, 3);
	json_decref(doc);
	dbsync_conn_close(conn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(lower_model_upper_sql_is_one_table, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(upper_model_matches_the_folded_table, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(mixed_case_changes_converge, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(folded_tables_are_owned_not_orphans, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(non_ascii_names_fold_too, ctx_setup, ctx_teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
