/* Applying plans to real SQLite files: success, rollback on failure, the
 * foreign key framing of rebuilds, locking, and the dry-run script. Plans are
 * built by hand here so these tests do not depend on the planner. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "backend_sqlite.h"
#include "buf.h"
#include "ctx.h"
#include "dialect.h"
#include "dbsync/dbsync.h"
#include "plan_internal.h"
#include "test_support.h"

static int setup(void **state)
{
	(void)state;
	return test_tmpdir_create("dbsync-apply");
}

typedef struct fixture {
	dbsync_ctx *ctx;
	dbsync_conn *conn;
	sqlite3 *peek; /* a second connection, to look at the database from outside */
} fixture;

static void fx_open(fixture *fx, const char *file, const char *setup_sql)
{
	const char *keys[] = { "name", "timeout" };
	const char *vals[] = { db_path(file), "0.2" };
	assert_int_equal(dbsync_ctx_new(&fx->ctx), 0);
	if (dbsync_conn_open_params(&fx->conn, fx->ctx, DBSYNC_DIALECT_SQLITE, keys, vals, 2))
		fail_msg("open: %s", dbsync_ctx_error(fx->ctx)->message);
	if (setup_sql && dbsync_conn_exec(fx->ctx, fx->conn, setup_sql))
		fail_msg("setup: %s", dbsync_ctx_error(fx->ctx)->message);
	assert_int_equal(sqlite3_open(db_path(file), &fx->peek), SQLITE_OK);
}

static void fx_close(fixture *fx)
{
	sqlite3_close(fx->peek);
	dbsync_conn_close(fx->conn);
	dbsync_ctx_free(fx->ctx);
}

static int64_t pragma(fixture *fx, const char *name)
{
	char sql[64];
	int64_t v = -1;
	snprintf(sql, sizeof sql, "PRAGMA %s", name);
	assert_int_equal(fx->conn->backend->query_int64(&v, fx->ctx, fx->conn, sql), 0);
	return v;
}

/* The whole database as text: every schema object and every row. */
static char *snapshot(sqlite3 *db)
{
	dbs_buf b = DBS_BUF_INIT;
	sqlite3_stmt *tables = NULL, *rows = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name",
		-1, &tables, NULL), SQLITE_OK);
	while (sqlite3_step(tables) == SQLITE_ROW) {
		for (int i = 0; i < 4; i++)
			dbs_buf_printf(&b, "%s|", sqlite3_column_text(tables, i) ? (const char *)sqlite3_column_text(tables, i) : "NULL");
		dbs_buf_putc(&b, '\n');
		if (strcmp((const char *)sqlite3_column_text(tables, 0), "table") != 0)
			continue;
		dbs_buf sel = DBS_BUF_INIT;
		dbs_buf_puts(&sel, "SELECT * FROM ");
		dbs_quote_ident(&sel, DBSYNC_DIALECT_SQLITE, (const char *)sqlite3_column_text(tables, 1));
		dbs_buf_puts(&sel, " ORDER BY 1");
		assert_int_equal(sqlite3_prepare_v2(db, dbs_buf_cstr(&sel), -1, &rows, NULL), SQLITE_OK);
		while (sqlite3_step(rows) == SQLITE_ROW) {
			dbs_buf_puts(&b, "  ");
			for (int i = 0; i < sqlite3_column_count(rows); i++)
				dbs_buf_printf(&b, "%s|", sqlite3_column_text(rows, i) ? (const char *)sqlite3_column_text(rows, i) : "NULL");
			dbs_buf_putc(&b, '\n');
		}
		sqlite3_finalize(rows);
		dbs_buf_free(&sel);
	}
	sqlite3_finalize(tables);
	assert_true(dbs_buf_ok(&b));
	return dbs_buf_detach(&b);
}

/* ---- hand-built plans ---- */

static dbsync_plan *plan_new(bool foreign_keys_off)
{
	dbsync_plan *p = calloc(1, sizeof *p);
	assert_non_null(p);
	dbs_arena_init(&p->arena);
	p->dialect = DBSYNC_DIALECT_SQLITE;
	dbsync_plan_options o = DBSYNC_PLAN_OPTIONS_INIT;
	p->opts = o;
	p->foreign_keys_off = foreign_keys_off;
	return p;
}

/* Apply a hand-built plan as if it had just been computed: stamp it with the
 * live schema's fingerprint, as dbsync_plan_compute does. */
static int apply_now(dbsync_ctx *ctx, dbsync_conn *conn, dbsync_plan *p, const dbsync_apply_options *o)
{
	dbsync_schema *live = NULL;
	assert_int_equal(dbsync_conn_introspect(&live, ctx, conn), 0);
	p->live_fingerprint = dbs_schema_fingerprint(live);
	dbsync_schema_free(live);
	return dbsync_plan_apply(ctx, conn, p, o);
}

/* Add an operation with a NULL-terminated list of statements. */
static dbsync_op *plan_add(dbsync_plan *p, dbsync_op_kind kind, const char *table, const char *summary, ...)
{
	dbsync_op *op = dbs_arena_alloc(&p->arena, sizeof *op);
	assert_non_null(op);
	op->kind = kind;
	op->table = dbs_arena_strdup(&p->arena, table);
	op->summary = dbs_arena_strdup(&p->arena, summary);
	DBS_VEC(const char *) sql = { 0 };
	va_list ap;
	va_start(ap, summary);
	for (const char *s; (s = va_arg(ap, const char *));)
		assert_int_equal(DBS_VEC_PUSH(&p->arena, &sql, dbs_arena_strdup(&p->arena, s)), 0);
	va_end(ap);
	op->sql = sql.items;
	op->n_sql = sql.n;
	assert_int_equal(DBS_VEC_PUSH(&p->arena, &p->ops, op), 0);
	return op;
}

static const dbsync_apply_options no_verify = { DBSYNC_APPLY_OPTIONS_VERSION, 0, 0, 200, 5000, NULL, NULL, 0 };

static const char base_sql[] =
	"CREATE TABLE \"author\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \"name\" text NOT NULL UNIQUE);"
	"CREATE TABLE \"book\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \"title\" text NOT NULL, "
	"\"author_id\" integer NOT NULL REFERENCES \"author\" (\"id\") DEFERRABLE INITIALLY DEFERRED);"
	"CREATE INDEX \"book_author_id\" ON \"book\" (\"author_id\");"
	"CREATE VIEW \"titles\" AS SELECT \"title\" FROM \"book\";"
	"INSERT INTO \"author\" VALUES (1, 'Ann'), (2, 'Bob');"
	"INSERT INTO \"book\" VALUES (1, 'A', 1), (2, 'B', 2), (3, 'C', 2);";

/* The SQLite way to change what ALTER cannot: copy into new__book, swap. */
static dbsync_op *add_rebuild(dbsync_plan *p, const char *copy_where)
{
	static char insert[256];
	snprintf(insert, sizeof insert,
		"INSERT INTO \"new__book\" (\"id\", \"title\", \"author_id\", \"pages\") "
		"SELECT \"id\", \"title\", \"author_id\", 0 FROM \"book\"%s", copy_where);
	return plan_add(p, DBSYNC_OP_REBUILD_TABLE, "book", "rebuild table \"book\"",
		"CREATE TABLE \"new__book\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \"title\" text NOT NULL, "
		"\"author_id\" integer NOT NULL REFERENCES \"author\" (\"id\") DEFERRABLE INITIALLY DEFERRED, "
		"\"pages\" integer NOT NULL)",
		insert,
		"DROP TABLE \"book\"",
		"ALTER TABLE \"new__book\" RENAME TO \"book\"",
		"CREATE INDEX \"book_author_id\" ON \"book\" (\"author_id\")",
		(const char *)NULL);
}

static void test_apply_success(void **state)
{
	(void)state;
	fixture fx;
	fx_open(&fx, "ok.db", base_sql);
	dbsync_plan *p = plan_new(false);
	plan_add(p, DBSYNC_OP_CREATE_TABLE, "tag", "create table \"tag\"",
		"CREATE TABLE \"tag\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \"label\" text NOT NULL)",
		"CREATE INDEX \"tag_label\" ON \"tag\" (\"label\")", (const char *)NULL);
	dbsync_op *skipped = plan_add(p, DBSYNC_OP_DROP_COLUMN, "book", "drop column \"title\" from \"book\"",
		"ALTER TABLE \"book\" DROP COLUMN \"title\"", (const char *)NULL);
	skipped->status = DBSYNC_STATUS_SKIPPED;
	plan_add(p, DBSYNC_OP_ADD_COLUMN, "author", "add column \"bio\" to \"author\"",
		"ALTER TABLE \"author\" ADD COLUMN \"bio\" text NOT NULL DEFAULT ''", (const char *)NULL);

	assert_int_equal(apply_now(fx.ctx, fx.conn, p, &no_verify), 0);
	assert_int_equal(p->ops.items[0]->status, DBSYNC_STATUS_APPLIED);
	assert_int_equal(p->ops.items[1]->status, DBSYNC_STATUS_SKIPPED);
	assert_int_equal(p->ops.items[2]->status, DBSYNC_STATUS_APPLIED);
	assert_int_equal(dbsync_plan_pending_count(p), 0);
	int64_t n = -1;
	assert_int_equal(dbsync_conn_count_rows(&n, fx.ctx, fx.conn, "tag"), 0);
	assert_int_equal(n, 0);
	char *snap = snapshot(fx.peek);
	assert_non_null(strstr(snap, "\"bio\" text NOT NULL DEFAULT ''"));
	assert_non_null(strstr(snap, "|tag_label|"));
	assert_non_null(strstr(snap, "\"title\" text NOT NULL")); /* the skipped drop did not run */
	assert_int_equal(sqlite3_get_autocommit(fx.peek), 1);
	free(snap);

	/* applied again: nothing is pending, nothing runs */
	assert_int_equal(apply_now(fx.ctx, fx.conn, p, &no_verify), 0);
	dbsync_plan_free(p);
	fx_close(&fx);
}

static void test_apply_failure_rolls_back(void **state)
{
	(void)state;
	fixture fx;
	fx_open(&fx, "fail.db", base_sql);
	char *before = snapshot(fx.peek);
	dbsync_plan *p = plan_new(false);
	plan_add(p, DBSYNC_OP_CREATE_TABLE, "tag", "create table \"tag\"",
		"CREATE TABLE \"tag\" (\"id\" integer NOT NULL PRIMARY KEY)", (const char *)NULL);
	plan_add(p, DBSYNC_OP_ADD_CONSTRAINT, "book", "add unique (\"author_id\") to \"book\"",
		"INSERT INTO \"author\" VALUES (3, 'Cy')",
		"CREATE UNIQUE INDEX \"book_author_uniq\" ON \"book\" (\"author_id\")", (const char *)NULL);
	plan_add(p, DBSYNC_OP_ADD_COLUMN, "author", "add column \"x\" to \"author\"",
		"ALTER TABLE \"author\" ADD COLUMN \"x\" int", (const char *)NULL);

	int rc = apply_now(fx.ctx, fx.conn, p, &no_verify);
	assert_int_equal(rc, DBSYNC_EDB);
	const dbsync_error *e = dbsync_ctx_error(fx.ctx);
	assert_int_equal(e->native_code, 2067 /* SQLITE_CONSTRAINT_UNIQUE */);
	assert_non_null(strstr(e->message, "while applying \"add unique (\"author_id\") to \"book\"\": "));
	assert_non_null(strstr(e->message, "book.author_id"));
	assert_int_equal(p->ops.items[0]->status, DBSYNC_STATUS_PENDING);
	assert_int_equal(p->ops.items[1]->status, DBSYNC_STATUS_FAILED);
	assert_int_equal(p->ops.items[2]->status, DBSYNC_STATUS_PENDING);
	char *after = snapshot(fx.peek);
	assert_string_equal(after, before);
	/* the connection is usable and out of the transaction */
	assert_int_equal(sqlite3_get_autocommit(dbs_sq_db(fx.conn)), 1);
	assert_int_equal(dbsync_conn_exec(fx.ctx, fx.conn, "CREATE TABLE \"later\" (a int)"), 0);
	free(before);
	free(after);
	dbsync_plan_free(p);
	fx_close(&fx);
}

static void test_rebuild_restores_pragmas(void **state)
{
	(void)state;
	fixture fx;
	fx_open(&fx, "rebuild.db", base_sql);
	assert_int_equal(pragma(&fx, "foreign_keys"), 1);
	assert_int_equal(pragma(&fx, "legacy_alter_table"), 0);
	dbsync_plan *p = plan_new(true);
	add_rebuild(p, "");
	/* with the view on book, the rename only works under legacy_alter_table */
	assert_int_equal(apply_now(fx.ctx, fx.conn, p, &no_verify), 0);
	assert_int_equal(p->ops.items[0]->status, DBSYNC_STATUS_APPLIED);
	assert_int_equal(pragma(&fx, "foreign_keys"), 1);
	assert_int_equal(pragma(&fx, "legacy_alter_table"), 0);
	char *snap = snapshot(fx.peek);
	assert_non_null(strstr(snap, "\"pages\" integer NOT NULL"));
	assert_non_null(strstr(snap, "  3|C|2|0|\n")); /* every row kept */
	assert_null(strstr(snap, "new__book"));
	free(snap);
	dbsync_plan_free(p);

	/* a connection that had foreign keys off keeps them off */
	assert_int_equal(dbsync_conn_exec(fx.ctx, fx.conn, "PRAGMA foreign_keys=OFF"), 0);
	p = plan_new(true);
	plan_add(p, DBSYNC_OP_ADD_INDEX, "book", "add index", "CREATE INDEX \"bt\" ON \"book\" (\"title\")",
		(const char *)NULL);
	assert_int_equal(apply_now(fx.ctx, fx.conn, p, &no_verify), 0);
	assert_int_equal(pragma(&fx, "foreign_keys"), 0);
	dbsync_plan_free(p);
	fx_close(&fx);
}

static void test_rebuild_new_fk_violation_rolls_back(void **state)
{
	(void)state;
	fixture fx;
	fx_open(&fx, "viol.db", base_sql);
	/* a violation that predates the plan must not block it */
	assert_int_equal(dbsync_conn_exec(fx.ctx, fx.conn,
		"PRAGMA foreign_keys=OFF; INSERT INTO \"book\" VALUES (9, 'orphan', 99); PRAGMA foreign_keys=ON"), 0);
	char *before = snapshot(fx.peek);

	dbsync_plan *p = plan_new(true);
	plan_add(p, DBSYNC_OP_ADD_INDEX, "book", "add index \"bt\"", "CREATE INDEX \"bt\" ON \"book\" (\"title\")",
		(const char *)NULL);
	/* losing author 2 leaves books pointing at nothing */
	plan_add(p, DBSYNC_OP_REBUILD_TABLE, "author", "rebuild table \"author\"",
		"CREATE TABLE \"new__author\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \"name\" text NOT NULL UNIQUE)",
		"INSERT INTO \"new__author\" SELECT * FROM \"author\" WHERE \"id\" <> 2",
		"DROP TABLE \"author\"",
		"ALTER TABLE \"new__author\" RENAME TO \"author\"", (const char *)NULL);
	int rc = apply_now(fx.ctx, fx.conn, p, &no_verify);
	assert_int_equal(rc, DBSYNC_EDB);
	const dbsync_error *e = dbsync_ctx_error(fx.ctx);
	assert_int_equal(e->native_code, 787 /* SQLITE_CONSTRAINT_FOREIGNKEY */);
	assert_non_null(strstr(e->message, "table \"book\" has 3 row(s) referencing \"author\""));
	assert_non_null(strstr(e->message, "(1 before)"));
	assert_int_equal(p->ops.items[0]->status, DBSYNC_STATUS_PENDING);
	assert_int_equal(p->ops.items[1]->status, DBSYNC_STATUS_PENDING);
	char *after = snapshot(fx.peek);
	assert_string_equal(after, before);
	assert_int_equal(pragma(&fx, "foreign_keys"), 1);
	assert_int_equal(pragma(&fx, "legacy_alter_table"), 0);
	free(after);
	dbsync_plan_free(p);

	/* the same framing passes a rebuild that keeps every reference */
	p = plan_new(true);
	add_rebuild(p, "");
	assert_int_equal(apply_now(fx.ctx, fx.conn, p, &no_verify), 0);
	dbsync_plan_free(p);
	free(before);
	fx_close(&fx);
}

/* Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: SQLite checks them
 * at COMMIT, and a failed COMMIT must still leave nothing behind. */
static void test_deferred_fk_fails_at_commit(void **state)
{
	(void)state;
	fixture fx;
	fx_open(&fx, "deferred.db", base_sql);
	char *before = snapshot(fx.peek);
	dbsync_plan *p = plan_new(false);
	plan_add(p, DBSYNC_OP_CREATE_TABLE, "tag", "create table \"tag\"", "CREATE TABLE \"tag\" (a int)",
		(const char *)NULL);
	plan_add(p, DBSYNC_OP_ALTER_COLUMN, "book", "fill \"book\"",
		"INSERT INTO \"book\" VALUES (10, 'x', 999)", (const char *)NULL);
	assert_int_equal(apply_now(fx.ctx, fx.conn, p, &no_verify), DBSYNC_EDB);
	const dbsync_error *e = dbsync_ctx_error(fx.ctx);
	assert_int_equal(e->native_code, 787 /* SQLITE_CONSTRAINT_FOREIGNKEY */);
	assert_non_null(strstr(e->message, "while committing the plan: "));
	assert_non_null(strstr(e->message, "FOREIGN KEY constraint failed"));
	assert_int_equal(p->ops.items[0]->status, DBSYNC_STATUS_PENDING);
	assert_int_equal(p->ops.items[1]->status, DBSYNC_STATUS_PENDING);
	char *after = snapshot(fx.peek);
	assert_string_equal(after, before);
	assert_int_equal(sqlite3_get_autocommit(dbs_sq_db(fx.conn)), 1);
	free(before);
	free(after);
	dbsync_plan_free(p);
	fx_close(&fx);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_locked_database(void **state)
{
	(void)state;
	fixture fx;
	fx_open(&fx, "lock.db", base_sql);
	char *before = snapshot(fx.peek);
	assert_int_equal(sqlite3_exec(fx.peek, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	for (int fk_off = 0; fk_off < 2; fk_off++) {
		dbsync_plan *p = plan_new(fk_off);
		plan_add(p, DBSYNC_OP_CREATE_TABLE, "tag", "create table \"tag\"", "CREATE TABLE \"tag\" (a int)",
			(const char *)NULL);
		double t0 = now();
		assert_int_equal(apply_now(fx.ctx, fx.conn, p, &no_verify), DBSYNC_ELOCKED);
		assert_true(now() - t0 >= 0.15); /* it waited for the busy timeout */
		assert_non_null(strstr(dbsync_ctx_error(fx.ctx)->message, "another process holds the database lock"));
		assert_int_equal(dbsync_ctx_error(fx.ctx)->native_code & 0xff, SQLITE_BUSY);
		assert_int_equal(p->ops.items[0]->status, DBSYNC_STATUS_PENDING);
		assert_int_equal(pragma(&fx, "foreign_keys"), 1);
		assert_int_equal(pragma(&fx, "legacy_alter_table"), 0);
		dbsync_plan_free(p);
	}
	/* a plan with nothing pending does not even ask for the lock */
	dbsync_plan *empty = plan_new(false);
	plan_add(empty, DBSYNC_OP_DROP_COLUMN, "book", "drop", "ALTER TABLE \"book\" DROP COLUMN \"title\"",
		(const char *)NULL)->status = DBSYNC_STATUS_SKIPPED;
	assert_int_equal(dbsync_plan_apply(fx.ctx, fx.conn, empty, NULL), 0);
	dbsync_plan_free(empty);
	assert_int_equal(sqlite3_exec(fx.peek, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	char *after = snapshot(fx.peek);
	assert_string_equal(after, before);
	free(before);
	free(after);
	fx_close(&fx);
}

static void test_script_text(void **state)
{
	(void)state;
	dbsync_ctx *ctx = NULL;
	char *text = NULL;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	dbsync_plan *p = plan_new(false);
	assert_int_equal(dbsync_plan_script(&text, ctx, p), 0);
	assert_string_equal(text, "");
	dbsync_free(text);
	plan_add(p, DBSYNC_OP_CREATE_TABLE, "t", "create table \"t\"", "CREATE TABLE \"t\" (a int)",
		"CREATE INDEX \"t_a\" ON \"t\" (\"a\")", (const char *)NULL);
	plan_add(p, DBSYNC_OP_DROP_COLUMN, "u", "drop", "ALTER TABLE \"u\" DROP COLUMN \"b\"",
		(const char *)NULL)->status = DBSYNC_STATUS_SKIPPED;
	assert_int_equal(dbsync_plan_script(&text, ctx, p), 0);
	assert_string_equal(text,
		"BEGIN IMMEDIATE;\n"
		"CREATE TABLE \"t\" (a int);\n"
		"CREATE INDEX \"t_a\" ON \"t\" (\"a\");\n"
		"COMMIT;\n");
	dbsync_free(text);
	p->foreign_keys_off = true;
	assert_int_equal(dbsync_plan_script(&text, ctx, p), 0);
	assert_string_equal(text,
		"PRAGMA foreign_keys=OFF;\n"
		"PRAGMA legacy_alter_table=ON;\n"
		"BEGIN IMMEDIATE;\n"
		"PRAGMA foreign_key_check;\n"
		"CREATE TABLE \"t\" (a int);\n"
		"CREATE INDEX \"t_a\" ON \"t\" (\"a\");\n"
		"PRAGMA foreign_key_check;\n"
		"COMMIT;\n"
		"PRAGMA legacy_alter_table=OFF;\n"
		"PRAGMA foreign_keys=ON;\n");
	dbsync_free(text);
	dbsync_plan_free(p);
	dbsync_ctx_free(ctx);
}

/* The script is what apply runs: executing it gives the database apply gives. */
static void test_script_runs_like_apply(void **state)
{
	(void)state;
	fixture a, b;
	fx_open(&a, "sa.db", base_sql);
	fx_open(&b, "sb.db", base_sql);
	dbsync_plan *p = plan_new(true);
	add_rebuild(p, "");
	char *text = NULL;
	assert_int_equal(dbsync_plan_script(&text, a.ctx, p), 0);
	assert_int_equal(sqlite3_exec(a.peek, text, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(apply_now(b.ctx, b.conn, p, &no_verify), 0);
	char *sa = snapshot(a.peek), *sb = snapshot(b.peek);
	assert_string_equal(sa, sb);
	free(sa);
	free(sb);
	dbsync_free(text);
	dbsync_plan_free(p);
	fx_close(&a);
	fx_close(&b);
}

/* ---- with the planner: apply, then plan again ---- */

static const char desired_sql[] =
	"CREATE TABLE \"author\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \"name\" text NOT NULL UNIQUE);"
	"CREATE TABLE \"book\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \"title\" text NOT NULL, "
	"\"author_id\" integer NOT NULL REFERENCES \"author\" (\"id\") DEFERRABLE INITIALLY DEFERRED, "
	"\"pages\" integer DEFAULT 0 NOT NULL);"
	"CREATE INDEX \"book_author_id\" ON \"book\" (\"author_id\");"
	"CREATE INDEX \"book_title\" ON \"book\" (\"title\");"
	"CREATE TABLE \"tag\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \"label\" varchar(50) NOT NULL);";

static dbsync_schema *parse_desired(dbsync_ctx *ctx)
{
	dbsync_schema *d = NULL;
	if (dbsync_schema_parse(&d, ctx, DBSYNC_DIALECT_SQLITE, desired_sql, strlen(desired_sql)))
		fail_msg("parse: %s", dbsync_ctx_error(ctx)->message);
	return d;
}

static void test_apply_verifies(void **state)
{
	(void)state;
	fixture fx;
	fx_open(&fx, "verify.db", base_sql);
	dbsync_schema *desired = parse_desired(fx.ctx);
	dbsync_plan_options po = DBSYNC_PLAN_OPTIONS_INIT;
	dbsync_plan *p = NULL;
	if (dbsync_plan_compute(&p, fx.ctx, fx.conn, desired, &po))
		fail_msg("plan: %s", dbsync_ctx_error(fx.ctx)->message);
	assert_true(dbsync_plan_pending_count(p) >= 3);
	if (dbsync_plan_apply(fx.ctx, fx.conn, p, NULL))
		fail_msg("apply: %s", dbsync_ctx_error(fx.ctx)->message);
	assert_int_equal(dbsync_plan_pending_count(p), 0);
	int64_t n = 0;
	assert_int_equal(dbsync_conn_count_rows(&n, fx.ctx, fx.conn, "book"), 0);
	assert_int_equal(n, 3);
	assert_int_equal(pragma(&fx, "foreign_keys"), 1);
	dbsync_plan_free(p);
	assert_int_equal(dbsync_plan_compute(&p, fx.ctx, fx.conn, desired, &po), 0);
	assert_int_equal(dbsync_plan_pending_count(p), 0);
	dbsync_plan_free(p);
	dbsync_schema_free(desired);
	fx_close(&fx);
}

/* A plan that does not do what the desired schema asks is caught. */
static void test_verify_reports_what_is_left(void **state)
{
	(void)state;
	fixture fx;
	fx_open(&fx, "verify2.db", base_sql);
	dbsync_schema *desired = parse_desired(fx.ctx);
	dbsync_plan *p = plan_new(false);
	p->desired = desired;
	plan_add(p, DBSYNC_OP_ADD_INDEX, "book", "add index \"book_title\" to \"book\"",
		"CREATE INDEX \"book_title\" ON \"book\" (\"title\")", (const char *)NULL);
	int rc = apply_now(fx.ctx, fx.conn, p, NULL);
	assert_int_equal(rc, DBSYNC_EVERIFY);
	const char *msg = dbsync_ctx_error(fx.ctx)->message;
	assert_non_null(strstr(msg, "after applying, the database still differs: 2 operations pending:"));
	assert_non_null(strstr(msg, "tag"));
	assert_non_null(strstr(msg, "pages"));
	assert_null(strstr(msg, "book_title"));
	/* what ran was committed: the index is there */
	assert_int_equal(p->ops.items[0]->status, DBSYNC_STATUS_APPLIED);
	char *snap = snapshot(fx.peek);
	assert_non_null(strstr(snap, "|book_title|"));
	free(snap);
	dbsync_plan_free(p);
	dbsync_schema_free(desired);
	fx_close(&fx);
}

/* A plan made before someone else changed the database is refused under the
 * lock, with nothing applied: two runs never act on each other's state. */
static void test_stale_plan_is_refused(void **state)
{
	(void)state;
	fixture fx;
	fx_open(&fx, "stale.db", base_sql);
	dbsync_schema *desired = parse_desired(fx.ctx);
	dbsync_plan_options po = DBSYNC_PLAN_OPTIONS_INIT;
	dbsync_plan *p = NULL;
	assert_int_equal(dbsync_plan_compute(&p, fx.ctx, fx.conn, desired, &po), 0);
	assert_true(dbsync_plan_pending_count(p) > 0);
	/* another run, or a person, changes the schema in between */
	assert_int_equal(sqlite3_exec(fx.peek, "CREATE INDEX \"someone_else\" ON \"book\" (\"title\")", NULL, NULL, NULL), SQLITE_OK);
	char *before = snapshot(fx.peek);
	assert_int_equal(dbsync_plan_apply(fx.ctx, fx.conn, p, NULL), DBSYNC_ESTALE);
	assert_non_null(strstr(dbsync_ctx_error(fx.ctx)->message, "plan again"));
	for (size_t i = 0; i < p->ops.n; i++)
		assert_int_not_equal(p->ops.items[i]->status, DBSYNC_STATUS_APPLIED);
	char *after = snapshot(fx.peek);
	assert_string_equal(before, after);
	free(before);
	free(after);
	dbsync_plan_free(p);
	/* planned again, it goes through */
	assert_int_equal(dbsync_plan_compute(&p, fx.ctx, fx.conn, desired, &po), 0);
	if (dbsync_plan_apply(fx.ctx, fx.conn, p, NULL))
		fail_msg("apply after re-planning: %s", dbsync_ctx_error(fx.ctx)->message);
	dbsync_plan_free(p);
	dbsync_schema_free(desired);
	fx_close(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply_success),
		cmocka_unit_test(test_apply_failure_rolls_back),
		cmocka_unit_test(test_rebuild_restores_pragmas),
		cmocka_unit_test(test_rebuild_new_fk_violation_rolls_back),
		cmocka_unit_test(test_deferred_fk_fails_at_commit),
		cmocka_unit_test(test_locked_database),
		cmocka_unit_test(test_script_text),
		cmocka_unit_test(test_script_runs_like_apply),
		cmocka_unit_test(test_apply_verifies),
		cmocka_unit_test(test_verify_reports_what_is_left),
		cmocka_unit_test(test_stale_plan_is_refused),
	};
	return cmocka_run_group_tests(tests, setup, test_tmpdir_teardown);
}
