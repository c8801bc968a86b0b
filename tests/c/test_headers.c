/* The public headers compile alone, under the strict flags, and the basics work. */
#include "dbsync/dbsync.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

static void test_version_and_ctx(void **state)
{
	(void)state;
	assert_string_equal(dbsync_version(), DBSYNC_VERSION);
	dbsync_ctx *ctx = NULL;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	assert_int_equal(dbsync_ctx_error(ctx)->code, 0);
	dbsync_conn *conn = NULL;
	assert_int_equal(dbsync_conn_open_url(&conn, ctx, "nosuch://x"), DBSYNC_EINVALID);
	assert_null(conn);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "nosuch"));
	dbsync_ctx_clear_error(ctx);
	assert_int_equal(dbsync_ctx_error(ctx)->code, 0);
	dbsync_ctx_free(ctx);
}

static void test_malformed_url_hides_password(void **state)
{
	(void)state;
	dbsync_ctx *ctx = NULL;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	dbsync_conn *conn = NULL;
	int rc = dbsync_conn_open_url(&conn, ctx, "postgresql://bob:s3cr3t@host:notaport/db");
	assert_true(rc < 0);
	assert_null(strstr(dbsync_ctx_error(ctx)->message, "s3cr3t"));
	dbsync_ctx_free(ctx);
}

static void test_dialect_names(void **state)
{
	(void)state;
	dbsync_dialect d;
	assert_int_equal(dbsync_dialect_from_name(&d, "sqlite3"), 0);
	assert_int_equal(d, DBSYNC_DIALECT_SQLITE);
	assert_int_equal(dbsync_dialect_from_name(&d, "mariadb"), 0);
	assert_int_equal(d, DBSYNC_DIALECT_MYSQL);
	assert_int_equal(dbsync_dialect_from_name(&d, "oracle"), DBSYNC_EINVALID);
	assert_string_equal(dbsync_dialect_name(DBSYNC_DIALECT_POSTGRES), "postgresql");
}

/* The dialects can be listed without naming one: each has a name that reads
 * back as itself, and past the end there is none. */
static void test_dialects_listed(void **state)
{
	(void)state;
	size_t n = dbsync_dialect_count();
	assert_int_equal(n, 3);
	bool seen[4] = { false };
	for (size_t i = 0; i < n; i++) {
		dbsync_dialect d = dbsync_dialect_at(i), back;
		assert_in_range(d, DBSYNC_DIALECT_SQLITE, DBSYNC_DIALECT_MYSQL);
		assert_false(seen[d]);
		seen[d] = true;
		assert_non_null(dbsync_dialect_name(d));
		assert_int_equal(dbsync_dialect_from_name(&back, dbsync_dialect_name(d)), 0);
		assert_int_equal(back, d);
		/* the suites build every backend */
		assert_int_equal(dbsync_backend_available(d), 1);
	}
	assert_int_equal(dbsync_dialect_at(n), 0);
	assert_int_equal(dbsync_dialect_at((size_t)-1), 0);
}

/* Statements the model does not hold are listed through the public API. */
static void test_unhandled_statements(void **state)
{
	(void)state;
	dbsync_ctx *ctx = NULL;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	static const char sql[] = "CREATE TABLE t (id int);\nCREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END;";
	dbsync_schema *s = NULL;
	assert_int_equal(dbsync_schema_parse(&s, ctx, DBSYNC_DIALECT_SQLITE, sql, strlen(sql)), 0);
	assert_int_equal(dbsync_schema_unhandled_count(s), 1);
	const dbsync_unhandled *u = dbsync_schema_unhandled(s, 0);
	assert_non_null(u);
	assert_string_equal(u->kind, "CREATE TRIGGER");
	assert_string_equal(u->name, "tr");
	assert_int_equal(u->line, 2);
	assert_null(dbsync_schema_unhandled(s, 1));
	dbsync_schema_free(s);
	dbsync_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_and_ctx),
		cmocka_unit_test(test_malformed_url_hides_password),
		cmocka_unit_test(test_dialect_names),
		cmocka_unit_test(test_dialects_listed),
		cmocka_unit_test(test_unhandled_statements),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
