/* The public headers compile alone, under the strict flags, and the basics work. */
#include "dbsync/dbsync.h"

#include <setjmp.h>
#include <stdarg.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_and_ctx),
		cmocka_unit_test(test_malformed_url_hides_password),
		cmocka_unit_test(test_dialect_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
