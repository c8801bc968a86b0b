/* What a binding asks the engine instead of deciding from a dialect's name
 * (dbsync/conn.h, dbsync/backup.h): DDL autocommit, the backup's tool, method
 * and suffix, whether a fleet needs a backup per member, and
 * table-name keys. The answers come from the dialect tables; the keys of
 * PostgreSQL and MariaDB are proven against servers in tests/e2e
 * (test_table_case.py, test_lctn1.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dbsync/dbsync.h"

static void test_backup_answers(void **state)
{
	(void)state;
	assert_null(dbsync_backup_tool(DBSYNC_DIALECT_SQLITE));
	assert_string_equal(dbsync_backup_tool(DBSYNC_DIALECT_POSTGRES), "pg_dump");
	assert_string_equal(dbsync_backup_tool(DBSYNC_DIALECT_MYSQL), "mysqldump");
	assert_string_equal(dbsync_backup_engine_method(DBSYNC_DIALECT_SQLITE), "online backup");
	assert_string_equal(dbsync_backup_engine_method(DBSYNC_DIALECT_POSTGRES), "engine dump");
	assert_string_equal(dbsync_backup_engine_method(DBSYNC_DIALECT_MYSQL), "engine dump");
	assert_string_equal(dbsync_backup_suffix(DBSYNC_DIALECT_SQLITE), ".sqlite3");
	assert_string_equal(dbsync_backup_suffix(DBSYNC_DIALECT_POSTGRES), ".sql");
	assert_string_equal(dbsync_backup_suffix(DBSYNC_DIALECT_MYSQL), ".sql");
	/* a value that is no dialect has no answers */
	assert_null(dbsync_backup_tool((dbsync_dialect)99));
	assert_null(dbsync_backup_suffix((dbsync_dialect)99));
}

/* Whether a fleet needs a backup per member: pg_dump writes every schema of
 * the database, a MySQL backup one database, the engine's dump (and AUTO,
 * which may fall back to it) the synced namespace alone. The files
 * themselves are restored in tests/cli/test_cli_fleet.py. */
static void test_backup_per_member(void **state)
{
	(void)state;
	static const dbsync_backup_method methods[] = { DBSYNC_BACKUP_AUTO, DBSYNC_BACKUP_ENGINE,
		DBSYNC_BACKUP_TOOL };
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
		dbsync_backup_method m = methods[i];
		assert_int_equal(dbsync_backup_per_member(DBSYNC_DIALECT_POSTGRES, m),
			m != DBSYNC_BACKUP_TOOL || !dbsync_backend_available(DBSYNC_DIALECT_POSTGRES));
		assert_int_equal(dbsync_backup_per_member(DBSYNC_DIALECT_MYSQL, m), 1);
		/* SQLite's backup is a copy of the whole file */
		assert_int_equal(dbsync_backup_per_member(DBSYNC_DIALECT_SQLITE, m),
			!dbsync_backend_available(DBSYNC_DIALECT_SQLITE));
		assert_int_equal(dbsync_backup_per_member((dbsync_dialect)99, m), 1);
	}
}

static void test_ddl_autocommits(void **state)
{
	(void)state;
	assert_int_equal(dbsync_dialect_ddl_autocommits(DBSYNC_DIALECT_SQLITE), 0);
	assert_int_equal(dbsync_dialect_ddl_autocommits(DBSYNC_DIALECT_POSTGRES), 0);
	/* MySQL's answer comes from its backend's table: 0 when it is not compiled in */
	assert_int_equal(dbsync_dialect_ddl_autocommits(DBSYNC_DIALECT_MYSQL),
		dbsync_backend_available(DBSYNC_DIALECT_MYSQL));
	assert_int_equal(dbsync_dialect_ddl_autocommits((dbsync_dialect)99), 0);
}

/* SQLite compares table names ignoring ASCII case: the key folds them. */
static void test_sqlite_table_key_folds_ascii_case(void **state)
{
	(void)state;
	dbsync_ctx *ctx = NULL;
	dbsync_conn *conn = NULL;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	assert_int_equal(dbsync_conn_open_url(&conn, ctx, "sqlite::memory:"), 0);
	char key[32];
	dbsync_conn_table_key(conn, "Notes_NoteBook", key);
	assert_string_equal(key, "notes_notebook");
	/* only ASCII letters fold, as the server compares them: "É" stays */
	dbsync_conn_table_key(conn, "\xc3\x89t\xc3\xa9_A", key);
	assert_string_equal(key, "\xc3\x89t\xc3\xa9_a");
	dbsync_conn_table_key(conn, "", key);
	assert_string_equal(key, "");
	dbsync_conn_close(conn);
	dbsync_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backup_answers),
		cmocka_unit_test(test_backup_per_member),
		cmocka_unit_test(test_ddl_autocommits),
		cmocka_unit_test(test_sqlite_table_key_folds_ascii_case),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
