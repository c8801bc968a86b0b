/*
 * MySQL/MariaDB fleets on a server with lower_case_table_names=1 (its own
 * throwaway server: the setting is fixed when the data directory is made).
 * There database names are stored in lower case and compared without case:
 * a member named in another case is the same database, read, planned and
 * locked as one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "backend_mysql.h"
#include "ctx.h"
#include "dbsync/dbsync.h"
#include "dbsync/fleet.h"
#include "test_support.h"

static test_server server;
static bool started;
static char sock[256];

static const char ddl[] = "CREATE TABLE `item` (`id` int NOT NULL PRIMARY KEY, `name` varchar(50) NOT NULL);\n";

static int group_setup(void **state)
{
	(void)state;
	setenv("DBSYNC_MARIADB_SERVER_OPTIONS", "--lower-case-table-names=1", 1);
	int rc = test_server_start(&server, &TEST_MARIADB_SERVER);
	unsetenv("DBSYNC_MARIADB_SERVER_OPTIONS");
	if (rc || server.absent)
		return -1; /* a required server that cannot start fails */
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

static dbsync_conn *open_db(dbsync_ctx *ctx, const char *db)
{
	dbsync_conn *conn = NULL;
	const char *keys[] = { "name", "user", "unix_socket" };
	const char *vals[] = { db, "root", sock };
	if (dbsync_conn_open_params(&conn, ctx, DBSYNC_DIALECT_MYSQL, keys, vals, 3))
		fail_msg("open: %s", dbsync_ctx_error(ctx)->message);
	return conn;
}

static int64_t query_int(dbsync_ctx *ctx, dbsync_conn *conn, const char *sql)
{
	int64_t v = -1;
	if (conn->backend->query_int64(&v, ctx, conn, sql))
		fail_msg("query failed: %s", dbsync_ctx_error(ctx)->message);
	return v;
}

static void test_fleet_names_ignore_case(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_conn *conn = open_db(ctx, "mysql");
	const dbs_backend *be = conn->backend;
	assert_int_equal(dbs_my_lower_case_table_names(conn), 1);
	exec_ok(ctx, conn, "CREATE DATABASE `Shop_One`; CREATE DATABASE `shop_two`; "
		"USE `Shop_One`; CREATE TABLE `item` (`id` int NOT NULL PRIMARY KEY); "
		"USE `shop_two`; CREATE TABLE `item` (`id` int NOT NULL PRIMARY KEY, `name` varchar(50) NOT NULL)");

	/* stored and listed in lower case */
	char **names = NULL;
	size_t n = 0;
	const char *pats[] = { "shop_*" };
	assert_int_equal(dbsync_conn_namespaces(&names, &n, ctx, conn, pats, 1), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "shop_one");
	assert_string_equal(names[1], "shop_two");
	dbsync_names_free(names, n);

	/* members named in another case are read as the databases they name */
	const char *members[] = { "SHOP_TWO", "Shop_One" };
	dbsync_schema *many[2];
	assert_int_equal(be->introspect_many(many, ctx, conn, members, 2), 0);
	assert_non_null(many[0]);
	assert_non_null(many[1]);
	assert_int_equal(dbsync_schema_table_count(many[0]), 1);
	assert_int_equal(dbsync_schema_table_count(many[1]), 1);
	dbsync_schema_free(many[0]);
	dbsync_schema_free(many[1]);

	dbsync_schema *desired = NULL;
	assert_int_equal(dbsync_schema_parse(&desired, ctx, DBSYNC_DIALECT_MYSQL, ddl, strlen(ddl)), 0);
	dbsync_fleet *f = NULL;
	assert_int_equal(dbsync_fleet_plan(&f, ctx, conn, members, 2, desired, NULL), 0);
	assert_int_equal(dbsync_fleet_member_state(f, 0), DBSYNC_MEMBER_IN_SYNC);
	assert_int_equal(dbsync_fleet_member_state(f, 1), DBSYNC_MEMBER_CHANGED);
	dbsync_conn *other = open_db(ctx, "mysql");
	dbsync_conn *conns[] = { other };
	assert_int_equal(dbsync_fleet_apply(ctx, f, conns, 1, NULL), 0);
	assert_int_equal(query_int(ctx, conn, "SELECT COUNT(*) FROM information_schema.COLUMNS "
		"WHERE TABLE_SCHEMA = 'shop_one' AND TABLE_NAME = 'item' AND COLUMN_NAME = 'name'"), 1);
	dbsync_fleet_free(f);
	dbsync_schema_free(desired);

	/* one lock for a database however its name is spelled */
	assert_int_equal(be->use_namespace(ctx, conn, "Shop_One"), 0);
	assert_int_equal(be->apply_begin(ctx, conn, NULL), 0);
	assert_int_equal(query_int(ctx, other, "SELECT IS_USED_LOCK('django-dbsync:shop_one') IS NOT NULL"), 1);
	assert_int_equal(be->use_namespace(ctx, other, "SHOP_ONE"), 0);
	assert_int_equal(be->apply_begin(ctx, other, NULL), DBSYNC_ELOCKED);
	assert_int_equal(be->use_namespace(ctx, other, "shop_two"), 0);
	assert_int_equal(be->apply_begin(ctx, other, NULL), 0);
	assert_int_equal(be->apply_end(ctx, other, NULL, 1), 0);
	assert_int_equal(be->apply_end(ctx, conn, NULL, 1), 0);
	dbsync_conn_close(other);
	dbsync_conn_close(conn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fleet_names_ignore_case, ctx_setup, ctx_teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
