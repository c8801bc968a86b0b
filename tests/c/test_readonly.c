/* Connections opened with readonly=1 (dry runs, checks) cannot change anything,
 * and still read a database a killed writer left with a hot journal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "dbsync/dbsync.h"
#include "dbsync/testing.h"

typedef struct fixture {
	char dir[64];
	char path[128];
	char url[160];
	dbsync_ctx *ctx;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	if (!f)
		return -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/dbsync-ro-XXXXXX");
	if (!mkdtemp(f->dir) || dbsync_ctx_new(&f->ctx))
		return -1;
	snprintf(f->path, sizeof f->path, "%s/app.db", f->dir);
	snprintf(f->url, sizeof f->url, "sqlite:///%s?readonly=1", f->path);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	char journal[160];
	snprintf(journal, sizeof journal, "%s-journal", f->path);
	unlink(journal); /* left by a failed hot journal test */
	unlink(f->path);
	rmdir(f->dir);
	dbsync_ctx_free(f->ctx);
	free(f);
	return 0;
}

static const char ddl[] = "CREATE TABLE \"t\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \"x\" text NULL);";

static void test_missing_file_reads_empty_and_is_not_created(void **state)
{
	fixture *f = *state;
	dbsync_conn *conn = NULL;
	dbsync_schema *live = NULL, *desired = NULL;
	dbsync_plan *plan = NULL;
	assert_int_equal(dbsync_conn_open_url(&conn, f->ctx, f->url), 0);
	assert_int_equal(dbsync_conn_introspect(&live, f->ctx, conn), 0);
	assert_int_equal(dbsync_schema_table_count(live), 0);
	assert_int_equal(dbsync_schema_parse(&desired, f->ctx, DBSYNC_DIALECT_SQLITE, ddl, strlen(ddl)), 0);
	assert_int_equal(dbsync_plan_compute(&plan, f->ctx, conn, desired, NULL), 0);
	assert_int_equal(dbsync_plan_pending_count(plan), 1);
	assert_int_equal(dbsync_plan_apply(f->ctx, conn, plan, NULL), DBSYNC_EINVALID);
	assert_non_null(strstr(dbsync_ctx_error(f->ctx)->message, "read-only"));
	dbsync_plan_free(plan);
	dbsync_schema_free(desired);
	dbsync_schema_free(live);
	dbsync_conn_close(conn);
	struct stat st;
	assert_int_not_equal(stat(f->path, &st), 0); /* still no file */
}

static void test_existing_file_cannot_be_written(void **state)
{
	fixture *f = *state;
	dbsync_conn *rw = NULL, *ro = NULL;
	char url[200];
	snprintf(url, sizeof url, "sqlite:///%s", f->path);
	assert_int_equal(dbsync_conn_open_url(&rw, f->ctx, url), 0);
	assert_int_equal(dbsync_conn_exec(f->ctx, rw, ddl), 0);
	dbsync_conn_close(rw);
	assert_int_equal(dbsync_conn_open_url(&ro, f->ctx, f->url), 0);
	int64_t n = -1;
	assert_int_equal(dbsync_conn_count_rows(&n, f->ctx, ro, "t"), 0);
	assert_int_equal(n, 0);
	assert_int_not_equal(dbsync_conn_exec(f->ctx, ro, "INSERT INTO \"t\" (\"x\") VALUES ('no')"), 0);
	assert_int_not_equal(dbsync_conn_exec(f->ctx, ro, "DROP TABLE \"t\""), 0);
	dbsync_conn_close(ro);
	assert_int_equal(dbsync_conn_open_url(&rw, f->ctx, url), 0);
	assert_int_equal(dbsync_conn_count_rows(&n, f->ctx, rw, "t"), 0);
	assert_int_equal(n, 0);
	dbsync_conn_close(rw);
}

static void test_bad_readonly_value_is_rejected(void **state)
{
	fixture *f = *state;
	dbsync_conn *conn = NULL;
	const char *keys[] = { "name", "readonly" }, *values[] = { f->path, "maybe" };
	assert_int_equal(dbsync_conn_open_params(&conn, f->ctx, DBSYNC_DIALECT_SQLITE, keys, values, 2),
		DBSYNC_EINVALID);
	assert_null(conn);
	assert_non_null(strstr(dbsync_ctx_error(f->ctx)->message, "readonly"));
}

/* A writer killed in the middle of a transaction, for real: a child process
 * that opens BEGIN IMMEDIATE, writes more than its page cache holds (so the
 * changed pages reach the file and the journal's header is synced), and is
 * SIGKILLed before COMMIT. Leaves the file half-written with a hot journal. */
static void kill_a_writer_mid_transaction(const char *path)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sqlite3 *db = NULL;
		if (sqlite3_open(path, &db) != SQLITE_OK ||
			sqlite3_exec(db, "PRAGMA journal_mode=DELETE; PRAGMA cache_size=10; BEGIN IMMEDIATE;"
				"UPDATE \"t\" SET \"x\" = 'uncommitted';"
				"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300) "
				"INSERT INTO \"t\" (\"x\") SELECT printf('%.1000c', 'y') FROM n", NULL, NULL, NULL) != SQLITE_OK)
			_exit(2);
		raise(SIGKILL);
		_exit(3);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

static void test_hot_journal_is_rolled_back_and_read(void **state)
{
	fixture *f = *state;
	dbsync_conn *rw = NULL, *ro = NULL;
	dbsync_schema *live = NULL;
	char url[200], journal[160];
	snprintf(url, sizeof url, "sqlite:///%s", f->path);
	snprintf(journal, sizeof journal, "%s-journal", f->path);
	assert_int_equal(dbsync_conn_open_url(&rw, f->ctx, url), 0);
	assert_int_equal(dbsync_conn_exec(f->ctx, rw, ddl), 0);
	assert_int_equal(dbsync_conn_exec(f->ctx, rw, "INSERT INTO \"t\" (\"x\") VALUES ('a'), ('b'), ('c')"), 0);
	dbsync_conn_close(rw);
	kill_a_writer_mid_transaction(f->path);
	struct stat st;
	assert_int_equal(stat(journal, &st), 0);
	assert_true(st.st_size > 0);
	/* a read-only connection may write nothing, yet must read the database
	 * as last committed: it rolls the journal back first (the file is ours) */
	assert_int_equal(dbsync_conn_open_url(&ro, f->ctx, f->url), 0);
	assert_int_not_equal(stat(journal, &st), 0);
	assert_int_equal(dbsync_conn_introspect(&live, f->ctx, ro), 0);
	assert_int_equal(dbsync_schema_table_count(live), 1);
	int64_t n = -1;
	assert_int_equal(dbsync_conn_count_rows(&n, f->ctx, ro, "t"), 0);
	assert_int_equal(n, 3);
	dbsync_schema_free(live);
	dbsync_conn_close(ro);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *q = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT group_concat(\"x\", ',') FROM \"t\"", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(q, 0), "a,b,c");
	sqlite3_finalize(q);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(q, 0), "ok");
	sqlite3_finalize(q);
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_missing_file_reads_empty_and_is_not_created, setup, teardown),
		cmocka_unit_test_setup_teardown(test_existing_file_cannot_be_written, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_readonly_value_is_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hot_journal_is_rolled_back_and_read, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
