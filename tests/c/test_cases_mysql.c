/*
 * Engine cases for MySQL/MariaDB (tests/cases/mysql/NAME.case, format in
 * tests/cases/README.md), run against a throwaway MariaDB started once for
 * this binary, each case in a fresh database: plan, compare the statements,
 * apply with verification, plan again (nothing may be pending), and check
 * that every row survived. Then what the format cannot express: the Django
 * fixture is a no-op on a database built from the same DDL, a statement
 * failing in the middle of a plan is reported exactly (DDL commits as it
 * runs) and a new run converges, and two applies never interleave.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <mysql.h>

#include "backend.h"
#include "case_file.h"
#include "case_runner.h"
#include "dbsync/dbsync.h"
#include "test_support.h"

#define MYD DBSYNC_DIALECT_MYSQL

static test_server server;
static char server_socket[256];

/* The server may be the suite's shared one: a case's database `name` is
 * this program's extra database "<server.db>__<name>" (in out, 64 bytes). */
static const char *my_db(const char *name, char *out)
{
	test_server_extra_db(out, 64, &server, name);
	return out;
}

/* The connection ids of every engine connection this program opened: a
 * shadow database is named after the id of the connection that planned, and
 * other programs on a shared server plan at the same time, so only these
 * shadows are this program's to check. */
static struct {
	long long *ids;
	size_t n, cap;
} our_conns;

static void track_conn(dbsync_ctx *ctx, dbsync_conn *conn)
{
	int64_t id = 0;
	if (conn->backend->query_int64(&id, ctx, conn, "SELECT CONNECTION_ID()"))
		fail_msg("CONNECTION_ID(): %s", dbsync_ctx_error(ctx)->message);
	if (our_conns.n == our_conns.cap) {
		size_t cap = our_conns.cap ? 2 * our_conns.cap : 64;
		long long *ids = realloc(our_conns.ids, cap * sizeof *ids);
		assert_non_null(ids);
		our_conns.ids = ids;
		our_conns.cap = cap;
	}
	our_conns.ids[our_conns.n++] = (long long)id;
}

/* ---- plain Connector/C, for what the engine must not be trusted with ---- */

static MYSQL *admin(const char *db)
{
	MYSQL *m = mysql_init(NULL);
	if (!mysql_real_connect(m, NULL, "root", NULL, db, 0, server_socket, CLIENT_MULTI_STATEMENTS))
		fail_msg("admin connection: %s", mysql_error(m));
	mysql_set_character_set(m, "utf8mb4");
	return m;
}

static void admin_exec(MYSQL *m, const char *sql)
{
	if (mysql_query(m, sql))
		fail_msg("%s: %s", sql, mysql_error(m));
	do {
		MYSQL_RES *r = mysql_store_result(m);
		if (r)
			mysql_free_result(r);
	} while (mysql_next_result(m) == 0);
	if (mysql_errno(m))
		fail_msg("%s: %s", sql, mysql_error(m));
}

static void fresh_db(const char *name)
{
	char db[64];
	my_db(name, db);
	MYSQL *m = admin(NULL);
	char sql[256];
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS `%s`; CREATE DATABASE `%s`", db, db);
	admin_exec(m, sql);
	mysql_close(m);
}

static dbsync_conn *open_db(dbsync_ctx *ctx, const char *name)
{
	char db[64];
	const char *keys[] = { "name", "user", "unix_socket" };
	const char *vals[] = { my_db(name, db), "root", server_socket };
	dbsync_conn *conn = NULL;
	if (dbsync_conn_open_params(&conn, ctx, MYD, keys, vals, 3))
		fail_msg("open %s: %s", db, dbsync_ctx_error(ctx)->message);
	track_conn(ctx, conn);
	return conn;
}

/* Every table as text: "table t", a header of columns, then the rows by the
 * first column, NULL as \N. Generated columns are computed, not data. */
static char *dump_rows(const char *name)
{
	char db[64];
	MYSQL *m = admin(my_db(name, db));
	char *out = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&out, &len);
	char sql[1024];
	snprintf(sql, sizeof sql, "SELECT TABLE_NAME, GROUP_CONCAT(CONCAT('`', COLUMN_NAME, '`') ORDER BY "
		"ORDINAL_POSITION SEPARATOR ', ') FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '%s' AND "
		"EXTRA NOT LIKE '%%GENERATED%%' GROUP BY TABLE_NAME ORDER BY TABLE_NAME", db);
	if (mysql_query(m, sql))
		fail_msg("%s", mysql_error(m));
	MYSQL_RES *tables = mysql_store_result(m);
	for (MYSQL_ROW t; (t = mysql_fetch_row(tables));) {
		snprintf(sql, sizeof sql, "SELECT %s FROM `%s` ORDER BY 1", t[1], t[0]);
		if (mysql_query(m, sql))
			fail_msg("%s: %s", sql, mysql_error(m));
		MYSQL_RES *res = mysql_store_result(m);
		unsigned n = mysql_num_fields(res);
		MYSQL_FIELD *f = mysql_fetch_fields(res);
		fprintf(mem, "table %s\n", t[0]);
		for (unsigned j = 0; j < n; j++)
			fprintf(mem, "%s%s", j ? "|" : "", f[j].name);
		fputc('\n', mem);
		for (MYSQL_ROW r; (r = mysql_fetch_row(res));) {
			for (unsigned j = 0; j < n; j++)
				fprintf(mem, "%s%s", j ? "|" : "", r[j] ? r[j] : "\\N");
			fputc('\n', mem);
		}
		mysql_free_result(res);
	}
	mysql_free_result(tables);
	mysql_close(m);
	fclose(mem);
	return out;
}

/* In a `filled` column a NULL may become a value, and a value may be
 * re-spelled by a type change. */
static bool my_filled_ok(const char *before, const char *type, const char *after)
{
	(void)before;
	(void)type;
	return strcmp(after, "\\N") != 0;
}

static void assert_rows_survived(const case_file *cf, const char *before_text, const char *after_text)
{
	assert_text_rows_survived(cf, before_text, after_text, false, my_filled_ok);
}

static void assert_query_lines(const case_file *cf, const char *name, const char *query)
{
	char db[64];
	MYSQL *m = admin(my_db(name, db));
	if (mysql_query(m, query))
		fail_msg("%s: rows-after query failed: %s", cf->name, mysql_error(m));
	MYSQL_RES *res = mysql_store_result(m);
	unsigned n = mysql_num_fields(res);
	char *got = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&got, &len);
	for (MYSQL_ROW r; (r = mysql_fetch_row(res));) {
		for (unsigned j = 0; j < n; j++)
			fprintf(mem, "%s%s", j ? "|" : "", r[j] ? r[j] : "NULL");
		fputc('\n', mem);
	}
	fclose(mem);
	mysql_free_result(res);
	mysql_close(m);
	assert_rows_after(cf, got);
}

/* No shadow database of this program's connections may outlive a plan. */
static void assert_no_shadow(const char *name)
{
	MYSQL *m = admin(NULL);
	size_t cap = 128 + 40 * our_conns.n, len = 0;
	char *sql = malloc(cap);
	assert_non_null(sql);
	len += (size_t)snprintf(sql, cap, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN (''");
	for (size_t i = 0; i < our_conns.n; i++)
		len += (size_t)snprintf(sql + len, cap - len, ", 'dbsync_shadow_%lld'", our_conns.ids[i]);
	snprintf(sql + len, cap - len, ")");
	if (mysql_query(m, sql))
		fail_msg("%s", mysql_error(m));
	free(sql);
	MYSQL_RES *r = mysql_store_result(m);
	MYSQL_ROW row = mysql_fetch_row(r);
	if (strcmp(row[0], "0") != 0)
		fail_msg("%s: %s shadow database(s) left behind", name, row[0]);
	mysql_free_result(r);
	mysql_close(m);
}

static const server_case_backend my_cases = {
	.dialect = MYD,
	.absent = &server.absent,
	.fresh = fresh_db,
	.open = open_db,
	.dump_rows = dump_rows,
	.dump_has_types = false,
	.filled_ok = my_filled_ok,
	.query_lines = assert_query_lines,
	.after_plan = assert_no_shadow,
};


/* The DDL Django 5.2 emits for MySQL, executed for real, then planned
 * against itself: nothing may differ. Then the same from an empty database:
 * dbsync builds it, and the result equals the one the DDL built. */
static void django_fixture_no_op_and_from_empty(void **state)
{
	(void)state;
	if (server.absent)
		skip();
	char *ddl = test_read_fixture("django52_mysql.sql", NULL);
	dbsync_ctx *ctx = NULL;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	fresh_db("django_built");
	fresh_db("dbsync_built");
	dbsync_conn *built = open_db(ctx, "django_built"), *empty = open_db(ctx, "dbsync_built");
	exec_ok(ctx, built, ddl);
	dbsync_schema *desired = parse_or_fail(ctx, MYD, "django52_mysql.sql", ddl);
	dbsync_plan *plan = plan_or_fail("no-op", ctx, built, desired, NULL);
	if (dbsync_plan_op_count(plan)) {
		char *lines = plan_lines(plan);
		fail_msg("a database built from the DDL shows %zu differences:\n%s", dbsync_plan_op_count(plan), lines);
	}
	dbsync_plan_free(plan);

	plan = plan_or_fail("from empty", ctx, empty, desired, NULL);
	assert_true(dbsync_plan_pending_count(plan) > 10);
	if (dbsync_plan_apply(ctx, empty, plan, NULL))
		fail_msg("from empty: %s", dbsync_ctx_error(ctx)->message);
	dbsync_plan_free(plan);
	/* both databases read back the same */
	dbsync_schema *a = NULL, *b = NULL;
	char *sa = NULL, *sb = NULL;
	assert_int_equal(dbsync_conn_introspect(&a, ctx, built), 0);
	assert_int_equal(dbsync_conn_introspect(&b, ctx, empty), 0);
	assert_int_equal(dbsync_schema_to_sql(&sa, ctx, a), 0);
	assert_int_equal(dbsync_schema_to_sql(&sb, ctx, b), 0);
	assert_string_equal(sa, sb);
	assert_no_shadow("django fixture");
	dbsync_free(sa);
	dbsync_free(sb);
	dbsync_schema_free(a);
	dbsync_schema_free(b);
	dbsync_schema_free(desired);
	dbsync_conn_close(built);
	dbsync_conn_close(empty);
	dbsync_ctx_free(ctx);
	free(ddl);
}

#include "test_cases_mysql_apply.h"

static int group_setup(void **state)
{
	(void)state;
	if (test_server_open_db(&server, &TEST_MARIADB_SERVER))
		return -1;
	if (server.absent)
		return 0;
	const char *sock = strstr(server.url, "unix_socket=");
	if (!sock) {
		test_server_stop(&server);
		return -1;
	}
	snprintf(server_socket, sizeof server_socket, "%s", sock + strlen("unix_socket="));
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	free(our_conns.ids);
	return test_server_stop(&server);
}

int main(void)
{
	size_t n = 0, extra = sizeof apply_tests / sizeof apply_tests[0];
	server_case *cases = NULL;
	struct CMUnitTest *tests = server_case_tests("mysql", 12, &my_cases, 1 + extra, &cases, &n);
	if (!tests)
		return 1;
	tests[n].name = "django_fixture_no_op_and_from_empty";
	tests[n].test_func = django_fixture_no_op_and_from_empty;
	for (size_t i = 0; i < extra; i++)
		tests[n + 1 + i] = apply_tests[i];
	int failed = _cmocka_run_group_tests("mysql cases", tests, n + 1 + extra, group_setup, group_teardown);
	server_cases_free(cases, n);
	free(tests);
	return failed;
}
