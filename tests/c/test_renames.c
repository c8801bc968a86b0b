/*
 * Table renames against real databases: SQLite files, and the throwaway
 * PostgreSQL and MariaDB servers when installed. Case fixes keep the rows and
 * the foreign keys pointing at the table; a declined case fix holds the
 * table's other changes where names are exact; conflicts are refused and
 * left alone; old-name renames happen only when clear and allowed. Every
 * applied plan is planned again and must show no change.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "backend.h"
#include "buf.h"
#include "dbsync/dbsync.h"
#include "model.h"
#include "plan_rename.h"
#include "test_support.h"

/* ---- one database per test, whatever the backend ---- */

typedef struct target {
	dbsync_dialect dialect;
	const char *name;
	test_server server;
	bool started;
	char socket[256];     /* MariaDB */
	int seq;
} target;

static target sqlite_target = { .dialect = DBSYNC_DIALECT_SQLITE, .name = "sqlite" };
static target pg_target = { .dialect = DBSYNC_DIALECT_POSTGRES, .name = "postgresql" };
static target my_target = { .dialect = DBSYNC_DIALECT_MYSQL, .name = "mysql" };

#if defined(DBSYNC_HAVE_POSTGRES) || defined(DBSYNC_HAVE_MYSQL)
static int start_server(target *t)
{
	if (t->dialect == DBSYNC_DIALECT_POSTGRES) {
		setenv("DBSYNC_PG_PASSWORD", "Pg-Right-Secret-41c7", 1);
		if (!getenv(TEST_PG_SERVER.script_env)) {
			t->server.absent = true;
			return 0;
		}
		if (test_server_open_db(&t->server, &TEST_PG_SERVER))
			return -1;
	} else {
		if (!getenv(TEST_MARIADB_SERVER.script_env)) {
			t->server.absent = true;
			return 0;
		}
		if (test_server_open_db(&t->server, &TEST_MARIADB_SERVER))
			return -1;
		const char *sock = strstr(t->server.url, "unix_socket=");
		if (!sock)
			return -1;
		snprintf(t->socket, sizeof t->socket, "%s", sock + strlen("unix_socket="));
	}
	t->started = !t->server.absent;
	return 0;
}
#endif

static int group_setup(void **state)
{
	(void)state;
	if (test_tmpdir_create("dbsync-renames"))
		return -1;
#ifdef DBSYNC_HAVE_POSTGRES
	if (start_server(&pg_target))
		return -1;
#else
	pg_target.server.absent = true;
#endif
#ifdef DBSYNC_HAVE_MYSQL
	if (start_server(&my_target))
		return -1;
#else
	my_target.server.absent = true;
#endif
	return 0;
}

static int group_teardown(void **state)
{
	int rc = test_tmpdir_teardown(state);
	if (pg_target.started && test_server_stop(&pg_target.server))
		rc = -1;
	if (my_target.started && test_server_stop(&my_target.server))
		rc = -1;
	return rc;
}

/* A connection to a new, empty database (SQLite file, PostgreSQL schema,
 * MariaDB database: an extra one of this program, the server may be shared). */
static dbsync_conn *fresh(dbsync_ctx *ctx, target *t)
{
	dbsync_conn *conn = NULL;
	char name[64];
	snprintf(name, sizeof name, "renames_%d", ++t->seq);
	if (t->dialect == DBSYNC_DIALECT_MYSQL) {
		char base[64];
		snprintf(base, sizeof base, "%s", name);
		test_server_extra_db(name, sizeof name, &t->server, base);
	}
	if (t->dialect == DBSYNC_DIALECT_SQLITE) {
		char file[80];
		snprintf(file, sizeof file, "%s.db", name);
		const char *keys[] = { "name" };
		const char *vals[] = { db_path(file) };
		if (dbsync_conn_open_params(&conn, ctx, t->dialect, keys, vals, 1))
			fail_msg("open: %s", dbsync_ctx_error(ctx)->message);
		return conn;
	}
	if (t->dialect == DBSYNC_DIALECT_POSTGRES) {
		const char *keys[] = { "name", "user", "host", "schema" };
		const char *vals[] = { t->server.db, "dbsync", t->server.dir, "public" };
		if (dbsync_conn_open_params(&conn, ctx, t->dialect, keys, vals, 3))
			fail_msg("open: %s", dbsync_ctx_error(ctx)->message);
		char sql[200];
		snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", name, name);
		exec_ok(ctx, conn, sql);
		dbsync_conn_close(conn);
		vals[3] = name;
		if (dbsync_conn_open_params(&conn, ctx, t->dialect, keys, vals, 4))
			fail_msg("open: %s", dbsync_ctx_error(ctx)->message);
		return conn;
	}
	const char *keys[] = { "name", "user", "unix_socket" };
	const char *vals[] = { "mysql", "root", t->socket };
	if (dbsync_conn_open_params(&conn, ctx, t->dialect, keys, vals, 3))
		fail_msg("open: %s", dbsync_ctx_error(ctx)->message);
	char sql[200];
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s; CREATE DATABASE %s", name, name);
	exec_ok(ctx, conn, sql);
	dbsync_conn_close(conn);
	vals[0] = name;
	if (dbsync_conn_open_params(&conn, ctx, t->dialect, keys, vals, 3))
		fail_msg("open: %s", dbsync_ctx_error(ctx)->message);
	return conn;
}

/* SQL written with "double quotes", in the target's quoting. */
static char *sql_for(const target *t, const char *sql)
{
	char *s = strdup(sql);
	assert_non_null(s);
	if (t->dialect == DBSYNC_DIALECT_MYSQL)
		for (char *c = s; *c; c++)
			if (*c == '"')
				*c = '`';
	return s;
}

static void run(dbsync_ctx *ctx, const target *t, dbsync_conn *conn, const char *sql)
{
	char *s = sql_for(t, sql);
	exec_ok(ctx, conn, s);
	free(s);
}

static int64_t count(dbsync_ctx *ctx, const target *t, dbsync_conn *conn, const char *sql)
{
	char *s = sql_for(t, sql);
	int64_t v = -1;
	if (conn->backend->query_int64(&v, ctx, conn, s))
		fail_msg("%s: %s", s, dbsync_ctx_error(ctx)->message);
	free(s);
	return v;
}

static dbsync_schema *desired(dbsync_ctx *ctx, const target *t, const char *ddl)
{
	char *s = sql_for(t, ddl);
	dbsync_schema *d = NULL;
	if (dbsync_schema_parse(&d, ctx, t->dialect, s, strlen(s)))
		fail_msg("parse: %s", dbsync_ctx_error(ctx)->message);
	free(s);
	return d;
}

static dbsync_plan *plan(dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_schema *want,
	const dbsync_plan_options *opts)
{
	dbsync_plan *p = NULL;
	if (dbsync_plan_compute(&p, ctx, conn, want, opts))
		fail_msg("plan: %s", dbsync_ctx_error(ctx)->message);
	return p;
}

static void apply(dbsync_ctx *ctx, dbsync_conn *conn, dbsync_plan *p)
{
	if (dbsync_plan_apply(ctx, conn, p, NULL))
		fail_msg("apply: %s", dbsync_ctx_error(ctx)->message);
}

/* The first operation of `kind` on `table` (NULL: any), or NULL. */
static const dbsync_op *find_op(const dbsync_plan *p, dbsync_op_kind kind, const char *table)
{
	for (size_t i = 0; i < dbsync_plan_op_count(p); i++) {
		const dbsync_op *op = dbsync_plan_op(p, i);
		if (op->kind == kind && (!table || strcmp(op->table, table) == 0))
			return op;
	}
	return NULL;
}

static bool live_table_exact(dbsync_ctx *ctx, dbsync_conn *conn, const char *name)
{
	dbsync_schema *s = NULL;
	if (dbsync_conn_introspect(&s, ctx, conn))
		fail_msg("introspect: %s", dbsync_ctx_error(ctx)->message);
	bool found = false;
	for (size_t i = 0; i < s->tables.n; i++)
		found |= strcmp(s->tables.items[i]->name, name) == 0;
	dbsync_schema_free(s);
	return found;
}

static void assert_converged(dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_schema *want,
	const dbsync_plan_options *opts)
{
	dbsync_plan *again = plan(ctx, conn, want, opts);
	for (size_t i = 0; i < dbsync_plan_op_count(again); i++)
		fprintf(stderr, "left over: %s\n", dbsync_plan_op(again, i)->summary);
	assert_int_equal(dbsync_plan_op_count(again), 0);
	dbsync_plan_free(again);
}

#define NEED(t) do { if ((t)->dialect != DBSYNC_DIALECT_SQLITE && (t)->server.absent) skip(); } while (0)

static const char ABCD_LIVE[] =
	"CREATE TABLE \"ABCD\" (\"id\" integer NOT NULL PRIMARY KEY, \"name\" varchar(50) NOT NULL);"
	"CREATE TABLE \"child\" (\"id\" integer NOT NULL PRIMARY KEY, \"abcd_id\" integer NOT NULL,"
	" CONSTRAINT \"child_abcd_fk\" FOREIGN KEY (\"abcd_id\") REFERENCES \"ABCD\" (\"id\"));"
	"INSERT INTO \"ABCD\" VALUES (1, 'one'), (2, 'two');"
	"INSERT INTO \"child\" VALUES (10, 2)";
static const char ABCD_WANT[] =
	"CREATE TABLE \"abcd\" (\"id\" integer NOT NULL PRIMARY KEY, \"name\" varchar(50) NOT NULL);"
	"CREATE TABLE \"child\" (\"id\" integer NOT NULL PRIMARY KEY, \"abcd_id\" integer NOT NULL,"
	" CONSTRAINT \"child_abcd_fk\" FOREIGN KEY (\"abcd_id\") REFERENCES \"abcd\" (\"id\"));";

/* ---- case fixes ---- */

static void case_fix_keeps_rows_and_references(dbsync_ctx *ctx, target *t)
{
	NEED(t);
	dbsync_conn *conn = fresh(ctx, t);
	run(ctx, t, conn, ABCD_LIVE);
	dbsync_schema *want = desired(ctx, t, ABCD_WANT);
	dbsync_plan *p = plan(ctx, conn, want, NULL);
	const dbsync_op *op = dbsync_plan_op(p, 0);
	assert_non_null(op);
	assert_int_equal(op->kind, DBSYNC_OP_RENAME_TABLE);
	assert_int_equal(op->status, DBSYNC_STATUS_PENDING);
	assert_string_equal(op->table, "ABCD");
	assert_string_equal(op->object, "abcd");
	if (t->dialect == DBSYNC_DIALECT_SQLITE) {
		/* SQLite refuses a case-only rename: two steps */
		assert_int_equal(op->n_sql, 2);
		assert_string_equal(op->sql[0], "ALTER TABLE \"ABCD\" RENAME TO \"abcd_dbsync_tmp\"");
		assert_string_equal(op->sql[1], "ALTER TABLE \"abcd_dbsync_tmp\" RENAME TO \"abcd\"");
	} else if (t->dialect == DBSYNC_DIALECT_POSTGRES) {
		assert_int_equal(op->n_sql, 1);
		assert_string_equal(op->sql[0], "ALTER TABLE \"ABCD\" RENAME TO \"abcd\"");
	} else {
		assert_int_equal(op->n_sql, 1);
		assert_string_equal(op->sql[0], "RENAME TABLE `ABCD` TO `abcd`");
	}
	/* the renamed table is compared, not created; the foreign key follows it */
	assert_int_equal(dbsync_plan_op_count(p), 1);
	apply(ctx, conn, p);
	assert_true(live_table_exact(ctx, conn, "abcd"));
	assert_false(live_table_exact(ctx, conn, "ABCD"));
	assert_int_equal(count(ctx, t, conn, "SELECT count(*) FROM \"abcd\""), 2);
	assert_int_equal(count(ctx, t, conn, "SELECT count(*) FROM \"child\" JOIN \"abcd\" "
		"ON \"abcd\".\"id\" = \"child\".\"abcd_id\" WHERE \"abcd\".\"name\" = 'two'"), 1);
	assert_converged(ctx, conn, want, NULL);
	dbsync_plan_free(p);
	dbsync_schema_free(want);
	dbsync_conn_close(conn);
}

static void case_fix_off_skips_then_approval_applies(dbsync_ctx *ctx, target *t)
{
	NEED(t);
	dbsync_conn *conn = fresh(ctx, t);
	run(ctx, t, conn, ABCD_LIVE);
	/* the model also gained a column: where names are exact, it waits for the rename */
	dbsync_schema *want = desired(ctx, t,
		"CREATE TABLE \"abcd\" (\"id\" integer NOT NULL PRIMARY KEY, \"name\" varchar(50) NOT NULL,"
		" \"note\" varchar(20) NULL);"
		"CREATE TABLE \"child\" (\"id\" integer NOT NULL PRIMARY KEY, \"abcd_id\" integer NOT NULL,"
		" CONSTRAINT \"child_abcd_fk\" FOREIGN KEY (\"abcd_id\") REFERENCES \"abcd\" (\"id\"));");
	dbsync_plan_options opts = DBSYNC_PLAN_OPTIONS_INIT;
	opts.auto_fix_table_case = 0;
	dbsync_plan *p = plan(ctx, conn, want, &opts);
	const dbsync_op *op = find_op(p, DBSYNC_OP_RENAME_TABLE, "ABCD");
	assert_non_null(op);
	assert_int_equal(op->status, DBSYNC_STATUS_SKIPPED);
	assert_non_null(strstr(op->reason, "AUTO_FIX_TABLE_CASE is off"));
	assert_true(op->n_sql >= 1);
	assert_null(find_op(p, DBSYNC_OP_CREATE_TABLE, NULL));
	const dbsync_op *add = find_op(p, DBSYNC_OP_ADD_COLUMN, "abcd");
	if (!add)
		add = find_op(p, DBSYNC_OP_REBUILD_TABLE, "abcd");
	assert_non_null(add);
	if (t->dialect == DBSYNC_DIALECT_SQLITE) {
		/* names compare ignoring case: `abcd` reaches `ABCD` */
		assert_int_equal(add->status, DBSYNC_STATUS_PENDING);
	} else {
		assert_int_equal(add->status, DBSYNC_STATUS_SKIPPED);
		assert_non_null(strstr(add->reason, "waits for the rename"));
		assert_int_equal(dbsync_plan_pending_count(p), 0);
	}
	dbsync_plan_free(p);

	const char *ok[] = { "ABCD" };
	opts.approved_renames = ok;
	opts.n_approved_renames = 1;
	p = plan(ctx, conn, want, &opts);
	op = find_op(p, DBSYNC_OP_RENAME_TABLE, "ABCD");
	assert_non_null(op);
	assert_int_equal(op->status, DBSYNC_STATUS_PENDING);
	assert_int_equal(dbsync_plan_pending_count(p), dbsync_plan_op_count(p));
	apply(ctx, conn, p);
	assert_true(live_table_exact(ctx, conn, "abcd"));
	assert_int_equal(count(ctx, t, conn, "SELECT count(*) FROM \"abcd\" WHERE \"note\" IS NULL"), 2);
	assert_converged(ctx, conn, want, &opts);
	dbsync_plan_free(p);
	dbsync_schema_free(want);
	dbsync_conn_close(conn);
}

/* SQLite: the temporary name of a two-step rename is one the database does not use */
static void temp_name_avoids_live_tables(void **state)
{
	dbsync_ctx *ctx = *state;
	target *t = &sqlite_target;
	dbsync_conn *conn = fresh(ctx, t);
	run(ctx, t, conn, ABCD_LIVE);
	run(ctx, t, conn, "CREATE TABLE \"ABCD_DBSYNC_TMP\" (\"x\" integer)");
	dbsync_schema *want = desired(ctx, t, ABCD_WANT);
	dbsync_plan *p = plan(ctx, conn, want, NULL);
	const dbsync_op *op = find_op(p, DBSYNC_OP_RENAME_TABLE, "ABCD");
	assert_non_null(op);
	assert_int_equal(op->n_sql, 2);
	assert_string_equal(op->sql[0], "ALTER TABLE \"ABCD\" RENAME TO \"abcd_dbsync_tmp2\"");
	apply(ctx, conn, p);
	assert_true(live_table_exact(ctx, conn, "abcd"));
	assert_true(live_table_exact(ctx, conn, "ABCD_DBSYNC_TMP"));
	dbsync_plan_free(p);
	dbsync_schema_free(want);
	dbsync_conn_close(conn);
}

/* ---- conflicts (only where two spellings can coexist) ---- */

static void conflict_is_refused_and_left_alone(dbsync_ctx *ctx, target *t)
{
	NEED(t);
	/* registered for the servers only: SQLite cannot hold `publisher` beside `Publisher` */
	assert_int_not_equal(t->dialect, DBSYNC_DIALECT_SQLITE);
	dbsync_conn *conn = fresh(ctx, t);
	run(ctx, t, conn,
		"CREATE TABLE \"publisher\" (\"id\" integer NOT NULL PRIMARY KEY);"
		"CREATE TABLE \"Publisher\" (\"id\" integer NOT NULL PRIMARY KEY, \"x\" integer NULL);"
		"INSERT INTO \"Publisher\" VALUES (1, 1)");
	dbsync_schema *want = desired(ctx, t, "CREATE TABLE \"publisher\" (\"id\" integer NOT NULL PRIMARY KEY);");
	dbsync_plan *p = plan(ctx, conn, want, NULL);
	assert_int_equal(dbsync_plan_op_count(p), 1);
	const dbsync_op *op = dbsync_plan_op(p, 0);
	assert_int_equal(op->kind, DBSYNC_OP_RENAME_TABLE);
	assert_int_equal(op->status, DBSYNC_STATUS_REFUSED);
	assert_string_equal(op->table, "Publisher");
	assert_non_null(strstr(op->reason, "`publisher`"));
	assert_non_null(strstr(op->reason, "`Publisher`"));
	assert_non_null(strstr(op->reason, "name conflict"));
	apply(ctx, conn, p);
	assert_true(live_table_exact(ctx, conn, "publisher"));
	assert_true(live_table_exact(ctx, conn, "Publisher"));
	assert_int_equal(count(ctx, t, conn, "SELECT count(*) FROM \"Publisher\""), 1);
	dbsync_plan_free(p);
	dbsync_schema_free(want);

	/* no exact spelling, two others: nothing renamed, nothing created */
	run(ctx, t, conn, "DROP TABLE \"publisher\"; CREATE TABLE \"PUBLISHER\" (\"id\" integer NOT NULL PRIMARY KEY)");
	want = desired(ctx, t, "CREATE TABLE \"publisher\" (\"id\" integer NOT NULL PRIMARY KEY);");
	p = plan(ctx, conn, want, NULL);
	op = dbsync_plan_op(p, 0);
	assert_int_equal(op->status, DBSYNC_STATUS_REFUSED);
	assert_string_equal(op->table, "publisher");
	assert_null(op->object);
	assert_non_null(strstr(op->reason, "`PUBLISHER`"));
	assert_non_null(strstr(op->reason, "`Publisher`"));
	assert_int_equal(dbsync_plan_pending_count(p), 0);
	apply(ctx, conn, p);
	assert_false(live_table_exact(ctx, conn, "publisher"));
	assert_true(live_table_exact(ctx, conn, "PUBLISHER"));
	assert_true(live_table_exact(ctx, conn, "Publisher"));
	dbsync_plan_free(p);
	dbsync_schema_free(want);
	dbsync_conn_close(conn);
}

/* ---- old-name renames ---- */

static const char BOOK_COLS[] = " (\"id\" integer NOT NULL PRIMARY KEY, \"title\" varchar(80) NOT NULL)";
static const char NOVEL_META[] = "{\"tables\": {\"shop_novel\": {\"app_label\": \"shop\", \"model\": \"shop.Novel\"}}}";

static void old_name_suggested_then_renamed(dbsync_ctx *ctx, target *t)
{
	NEED(t);
	dbsync_conn *conn = fresh(ctx, t);
	char sql[512];
	snprintf(sql, sizeof sql, "CREATE TABLE \"shop_book\"%s; INSERT INTO \"shop_book\" VALUES (1, 'Dune')", BOOK_COLS);
	run(ctx, t, conn, sql);
	snprintf(sql, sizeof sql, "CREATE TABLE \"shop_novel\"%s;", BOOK_COLS);
	dbsync_schema *want = desired(ctx, t, sql);
	dbsync_plan_options opts = DBSYNC_PLAN_OPTIONS_INIT;
	opts.metadata_json = NOVEL_META;

	/* off (the default): only suggested, the table created empty as usual */
	dbsync_plan *p = plan(ctx, conn, want, &opts);
	const dbsync_op *op = find_op(p, DBSYNC_OP_RENAME_TABLE, "shop_book");
	assert_non_null(op);
	assert_int_equal(op->status, DBSYNC_STATUS_SKIPPED);
	assert_string_equal(op->object, "shop_novel");
	assert_non_null(strstr(op->reason, "AUTO_RENAME_TABLES is off"));
	assert_int_equal(op->n_sql, 1);
	assert_non_null(strstr(op->sql[0], t->dialect == DBSYNC_DIALECT_MYSQL ? "`shop_novel`" : "\"shop_novel\""));
	const dbsync_op *create = find_op(p, DBSYNC_OP_CREATE_TABLE, "shop_novel");
	assert_non_null(create);
	assert_int_equal(create->status, DBSYNC_STATUS_PENDING);
	dbsync_plan_free(p);

	/* on: renamed, rows kept, nothing created */
	opts.auto_rename_tables = 1;
	p = plan(ctx, conn, want, &opts);
	op = find_op(p, DBSYNC_OP_RENAME_TABLE, "shop_book");
	assert_non_null(op);
	assert_int_equal(op->status, DBSYNC_STATUS_PENDING);
	assert_null(find_op(p, DBSYNC_OP_CREATE_TABLE, NULL));
	assert_int_equal(dbsync_plan_op_count(p), 1);
	apply(ctx, conn, p);
	assert_int_equal(count(ctx, t, conn, "SELECT count(*) FROM \"shop_novel\" WHERE \"title\" = 'Dune'"), 1);
	assert_false(live_table_exact(ctx, conn, "shop_book"));
	assert_converged(ctx, conn, want, &opts);
	dbsync_plan_free(p);
	dbsync_schema_free(want);
	dbsync_conn_close(conn);
}

static void old_name_needs_clear_evidence(dbsync_ctx *ctx, target *t)
{
	NEED(t);
	dbsync_conn *conn = fresh(ctx, t);
	/* other columns; an unrelated name; then two equally good candidates */
	run(ctx, t, conn,
		"CREATE TABLE \"shop_book\" (\"id\" integer NOT NULL PRIMARY KEY, \"title\" varchar(99) NOT NULL);"
		"CREATE TABLE \"blog_entry\" (\"id\" integer NOT NULL PRIMARY KEY, \"title\" varchar(80) NOT NULL)");
	char sql[512];
	snprintf(sql, sizeof sql, "CREATE TABLE \"shop_novel\"%s;", BOOK_COLS);
	dbsync_schema *want = desired(ctx, t, sql);
	dbsync_plan_options opts = DBSYNC_PLAN_OPTIONS_INIT;
	opts.metadata_json = NOVEL_META;
	opts.auto_rename_tables = 1;
	dbsync_plan *p = plan(ctx, conn, want, &opts);
	assert_null(find_op(p, DBSYNC_OP_RENAME_TABLE, NULL));
	assert_non_null(find_op(p, DBSYNC_OP_CREATE_TABLE, "shop_novel"));
	dbsync_plan_free(p);

	snprintf(sql, sizeof sql, "CREATE TABLE \"shop_tome\"%s; CREATE TABLE \"store_novel\"%s", BOOK_COLS, BOOK_COLS);
	run(ctx, t, conn, sql);
	p = plan(ctx, conn, want, &opts);
	assert_null(find_op(p, DBSYNC_OP_RENAME_TABLE, NULL));
	dbsync_plan_free(p);

	/* one candidate left: the app label changed, the model name did not */
	run(ctx, t, conn, "DROP TABLE \"shop_tome\"");
	p = plan(ctx, conn, want, &opts);
	const dbsync_op *op = find_op(p, DBSYNC_OP_RENAME_TABLE, "store_novel");
	assert_non_null(op);
	assert_int_equal(op->status, DBSYNC_STATUS_PENDING);
	dbsync_plan_free(p);
	dbsync_schema_free(want);
	dbsync_conn_close(conn);
}

/* SQLite: a plan that also rebuilds a table runs with legacy_alter_table on;
 * the rename still carries references, views and triggers along. */
static void sqlite_rename_beside_a_rebuild(void **state)
{
	dbsync_ctx *ctx = *state;
	target *t = &sqlite_target;
	dbsync_conn *conn = fresh(ctx, t);
	char sql[1024];
	snprintf(sql, sizeof sql,
		"CREATE TABLE \"shop_book\"%s; INSERT INTO \"shop_book\" VALUES (1, 'Dune');"
		"CREATE TABLE \"shop_review\" (\"id\" integer NOT NULL PRIMARY KEY, \"book_id\" integer NOT NULL"
		" REFERENCES \"shop_book\" (\"id\"));"
		"INSERT INTO \"shop_review\" VALUES (5, 1);"
		"CREATE TABLE \"shop_misc\" (\"id\" integer NOT NULL PRIMARY KEY, \"x\" integer NULL);"
		"CREATE VIEW \"book_titles\" AS SELECT \"title\" FROM \"shop_book\"", BOOK_COLS);
	run(ctx, t, conn, sql);
	snprintf(sql, sizeof sql,
		"CREATE TABLE \"shop_novel\"%s;"
		"CREATE TABLE \"shop_review\" (\"id\" integer NOT NULL PRIMARY KEY, \"book_id\" integer NOT NULL"
		" REFERENCES \"shop_novel\" (\"id\"));"
		"CREATE TABLE \"shop_misc\" (\"id\" integer NOT NULL PRIMARY KEY, \"x\" varchar(5) NOT NULL);",
		BOOK_COLS);
	dbsync_schema *want = desired(ctx, t, sql);
	dbsync_plan_options opts = DBSYNC_PLAN_OPTIONS_INIT;
	opts.metadata_json = NOVEL_META;
	opts.auto_rename_tables = 1;
	dbsync_plan *p = plan(ctx, conn, want, &opts);
	assert_non_null(find_op(p, DBSYNC_OP_REBUILD_TABLE, "shop_misc"));
	const dbsync_op *op = find_op(p, DBSYNC_OP_RENAME_TABLE, "shop_book");
	assert_non_null(op);
	assert_int_equal(op->n_sql, 3);
	assert_string_equal(op->sql[0], "PRAGMA legacy_alter_table=OFF");
	assert_string_equal(op->sql[2], "PRAGMA legacy_alter_table=ON");
	apply(ctx, conn, p);   /* verify: the review's foreign key names shop_novel */
	assert_int_equal(count(ctx, t, conn, "SELECT count(*) FROM \"book_titles\" WHERE \"title\" = 'Dune'"), 1);
	assert_int_equal(count(ctx, t, conn, "SELECT count(*) FROM pragma_foreign_key_list('shop_review')"
		" WHERE \"table\" = 'shop_novel'"), 1);
	assert_converged(ctx, conn, want, &opts);
	dbsync_plan_free(p);
	dbsync_schema_free(want);
	dbsync_conn_close(conn);
}

/* ---- rendering ---- */

static void render_each_dialect(void **state)
{
	(void)state;
	dbs_buf b = DBS_BUF_INIT;
	assert_int_equal(dbs_render_rename_table(&b, DBSYNC_DIALECT_MYSQL, "A`b", "a`b"), 0);
	assert_string_equal(dbs_buf_cstr(&b), "RENAME TABLE `A``b` TO `a``b`");
	dbs_buf_clear(&b);
	assert_int_equal(dbs_render_rename_table(&b, DBSYNC_DIALECT_POSTGRES, "A\"b", "a\"b"), 0);
	assert_string_equal(dbs_buf_cstr(&b), "ALTER TABLE \"A\"\"b\" RENAME TO \"a\"\"b\"");
	dbs_buf_clear(&b);
	/* the statement is the dialect's template: a name holding its
	 * placeholder stays a name */
	assert_int_equal(dbs_render_rename_table(&b, DBSYNC_DIALECT_SQLITE, "a%sb", "%s"), 0);
	assert_string_equal(dbs_buf_cstr(&b), "ALTER TABLE \"a%sb\" RENAME TO \"%s\"");
	dbs_buf_free(&b);
}

/* The engine says which renames only fix letter case, so no caller compares
 * the names itself: the case fix is marked, the old-name rename and every
 * other operation are not. */
static void rename_ops_say_whether_they_fix_case(dbsync_ctx *ctx, target *t)
{
	NEED(t);
	dbsync_conn *conn = fresh(ctx, t);
	run(ctx, t, conn, ABCD_LIVE);
	char sql[1024];
	snprintf(sql, sizeof sql, "CREATE TABLE \"shop_book\"%s", BOOK_COLS);
	run(ctx, t, conn, sql);
	snprintf(sql, sizeof sql, "%sCREATE TABLE \"shop_novel\"%s;", ABCD_WANT, BOOK_COLS);
	dbsync_schema *want = desired(ctx, t, sql);
	dbsync_plan_options opts = DBSYNC_PLAN_OPTIONS_INIT;
	opts.metadata_json = NOVEL_META;
	dbsync_plan *p = plan(ctx, conn, want, &opts);
	const dbsync_op *fix = find_op(p, DBSYNC_OP_RENAME_TABLE, "ABCD");
	const dbsync_op *old = find_op(p, DBSYNC_OP_RENAME_TABLE, "shop_book");
	assert_non_null(fix);
	assert_non_null(old);
	assert_string_equal(fix->object, "abcd");
	assert_string_equal(old->object, "shop_novel");
	assert_int_equal(fix->case_fix, 1);
	assert_int_equal(old->case_fix, 0);
	size_t n_fix = 0;
	for (size_t i = 0; i < dbsync_plan_op_count(p); i++)
		n_fix += dbsync_plan_op(p, i)->case_fix != 0;
	assert_int_equal(n_fix, 1);
	dbsync_plan_free(p);
	dbsync_schema_free(want);
	dbsync_conn_close(conn);
}

#define PER_TARGET(fn) \
	static void fn##_sqlite(void **s) { fn(*s, &sqlite_target); } \
	static void fn##_pg(void **s) { fn(*s, &pg_target); } \
	static void fn##_mysql(void **s) { fn(*s, &my_target); }

PER_TARGET(case_fix_keeps_rows_and_references)
PER_TARGET(case_fix_off_skips_then_approval_applies)
static void conflict_is_refused_and_left_alone_pg(void **s) { conflict_is_refused_and_left_alone(*s, &pg_target); }
static void conflict_is_refused_and_left_alone_mysql(void **s) { conflict_is_refused_and_left_alone(*s, &my_target); }
PER_TARGET(old_name_suggested_then_renamed)
PER_TARGET(old_name_needs_clear_evidence)
PER_TARGET(rename_ops_say_whether_they_fix_case)

#define TESTS(fn) \
	cmocka_unit_test_setup_teardown(fn##_sqlite, ctx_setup, ctx_teardown), \
	cmocka_unit_test_setup_teardown(fn##_pg, ctx_setup, ctx_teardown), \
	cmocka_unit_test_setup_teardown(fn##_mysql, ctx_setup, ctx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(render_each_dialect),
		cmocka_unit_test_setup_teardown(temp_name_avoids_live_tables, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(sqlite_rename_beside_a_rebuild, ctx_setup, ctx_teardown),
		TESTS(case_fix_keeps_rows_and_references),
		TESTS(case_fix_off_skips_then_approval_applies),
		cmocka_unit_test_setup_teardown(conflict_is_refused_and_left_alone_pg, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(conflict_is_refused_and_left_alone_mysql, ctx_setup, ctx_teardown),
		TESTS(old_name_suggested_then_renamed),
		TESTS(old_name_needs_clear_evidence),
		TESTS(rename_ops_say_whether_they_fix_case),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
