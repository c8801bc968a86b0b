/*
 * Engine cases for PostgreSQL (tests/cases/postgres/NAME.case, format in
 * tests/cases/README.md), run against a throwaway server started once for
 * this binary, each case in a fresh schema: plan, compare the statements,
 * apply with verification, plan again (nothing may be pending), and check
 * that every row survived. Then two tests the case format cannot express: a
 * statement failing in the middle of a plan leaves schema and rows exactly
 * as they were, and two concurrent applies never interleave.
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
#include <libpq-fe.h>

#include "case_file.h"
#include "case_runner.h"
#include "dbsync/dbsync.h"
#include "test_support.h"

#define PGD DBSYNC_DIALECT_POSTGRES

static test_server server;

/* ---- plain libpq, for what the engine must not be trusted with ---- */

static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static PGconn *admin(void)
{
	PGconn *pg = PQconnectdb(server.url);
	if (PQstatus(pg) != CONNECTION_OK)
		fail_msg("admin connection: %s", PQerrorMessage(pg));
	PQsetNoticeProcessor(pg, quiet, NULL);
	return pg;
}

static void admin_exec(PGconn *pg, const char *sql)
{
	PGresult *res = PQexec(pg, sql);
	ExecStatusType st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(pg));
	PQclear(res);
}

/* A fresh schema, dropped first if a previous run left it. */
static void fresh_schema(const char *schema)
{
	PGconn *pg = admin();
	char sql[256];
	snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS \"%s\" CASCADE; CREATE SCHEMA \"%s\"", schema, schema);
	admin_exec(pg, sql);
	PQfinish(pg);
}

static dbsync_conn *open_schema(dbsync_ctx *ctx, const char *schema)
{
	const char *keys[] = { "name", "user", "host", "schema" };
	const char *vals[] = { server.db, "dbsync", server.dir, schema };
	dbsync_conn *conn = NULL;
	if (dbsync_conn_open_params(&conn, ctx, PGD, keys, vals, 4))
		fail_msg("open: %s", dbsync_ctx_error(ctx)->message);
	return conn;
}

/* Every table of the schema as text: "table\n" then "col|col\n" then rows by
 * the first column, values as the server prints them, NULL as \N. */
static char *dump_rows(const char *schema)
{
	PGconn *pg = admin();
	char *out = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&out, &len);
	const char *vals[] = { schema };
	PGresult *names = PQexecParams(pg, "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = "
		"c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY 1", 1, NULL, vals, NULL, NULL, 0);
	assert_int_equal(PQresultStatus(names), PGRES_TUPLES_OK);
	for (int i = 0; i < PQntuples(names); i++) {
		const char *t = PQgetvalue(names, i, 0);
		char *qs = PQescapeIdentifier(pg, schema, strlen(schema)), *qt = PQescapeIdentifier(pg, t, strlen(t));
		/* generated columns are computed, not data: a changed expression changes them */
		char sql[1024];
		snprintf(sql, sizeof sql, "SELECT pg_catalog.string_agg(pg_catalog.quote_ident(attname), ', ' ORDER BY "
			"attnum) FROM pg_catalog.pg_attribute WHERE attrelid = '%s.%s'::regclass AND attnum > 0 AND "
			"NOT attisdropped AND attgenerated = ''", qs, qt);
		PGresult *cols = PQexec(pg, sql);
		assert_int_equal(PQresultStatus(cols), PGRES_TUPLES_OK);
		snprintf(sql, sizeof sql, "SELECT %s FROM %s.%s ORDER BY 1", PQgetvalue(cols, 0, 0), qs, qt);
		PQclear(cols);
		PQfreemem(qs);
		PQfreemem(qt);
		PGresult *res = PQexec(pg, sql);
		assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
		fprintf(mem, "table %s\n", t);
		for (int j = 0; j < PQnfields(res); j++)
			fprintf(mem, "%s%s", j ? "|" : "", PQfname(res, j));
		fputc('\n', mem);
		for (int j = 0; j < PQnfields(res); j++) {
			char q[128];
			snprintf(q, sizeof q, "SELECT pg_catalog.format_type(%u, %d)", PQftype(res, j), PQfmod(res, j));
			PGresult *tr = PQexec(pg, q);
			fprintf(mem, "%s%s", j ? "|" : "", PQgetvalue(tr, 0, 0));
			PQclear(tr);
		}
		fputc('\n', mem);
		for (int r = 0; r < PQntuples(res); r++) {
			for (int j = 0; j < PQnfields(res); j++)
				fprintf(mem, "%s%s", j ? "|" : "", PQgetisnull(res, r, j) ? "\\N" : PQgetvalue(res, r, j));
			fputc('\n', mem);
		}
		PQclear(res);
	}
	PQclear(names);
	PQfinish(pg);
	fclose(mem);
	return out;
}

/* A value of a `filled` column may also change as a cast to its new type
 * changes it (' 7' becomes 7, 12 becomes 12.00). */
static bool cast_equal(const char *before, const char *type, const char *after)
{
	PGconn *pg = admin();
	char q[256];
	snprintf(q, sizeof q, "SELECT ($1::text)::%s::text", type);
	const char *vals[] = { before };
	PGresult *res = PQexecParams(pg, q, 1, NULL, vals, NULL, NULL, 0);
	bool eq = PQresultStatus(res) == PGRES_TUPLES_OK && strcmp(PQgetvalue(res, 0, 0), after) == 0;
	PQclear(res);
	PQfinish(pg);
	return eq;
}

/* In a `filled` column a NULL may become a value, and a value may change as
 * a cast to the new type changes it. */
static bool pg_filled_ok(const char *before, const char *type, const char *after)
{
	return strcmp(before, "\\N") == 0 || (strcmp(after, "\\N") != 0 && cast_equal(before, type, after));
}

static void assert_query_lines(const case_file *cf, const char *schema, const char *query)
{
	PGconn *pg = admin();
	char set[256];
	snprintf(set, sizeof set, "SET search_path TO \"%s\"", schema);
	admin_exec(pg, set);
	PGresult *res = PQexec(pg, query);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fail_msg("%s: rows-after query failed: %s", cf->name, PQerrorMessage(pg));
	char *got = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&got, &len);
	for (int r = 0; r < PQntuples(res); r++) {
		for (int j = 0; j < PQnfields(res); j++)
			fprintf(mem, "%s%s", j ? "|" : "", PQgetisnull(res, r, j) ? "NULL" : PQgetvalue(res, r, j));
		fputc('\n', mem);
	}
	fclose(mem);
	PQclear(res);
	PQfinish(pg);
	assert_rows_after(cf, got);
}

static const server_case_backend pg_cases = {
	.dialect = PGD,
	.absent = &server.absent,
	.fresh = fresh_schema,
	.open = open_schema,
	.dump_rows = dump_rows,
	.dump_has_types = true,
	.filled_ok = pg_filled_ok,
	.query_lines = assert_query_lines,
};

/* ---- a failure in the middle of a plan ---- */

static char *schema_sql(dbsync_ctx *ctx, dbsync_conn *conn)
{
	dbsync_schema *s = NULL;
	char *sql = NULL;
	assert_int_equal(dbsync_conn_introspect(&s, ctx, conn), 0);
	assert_int_equal(dbsync_schema_to_sql(&sql, ctx, s), 0);
	dbsync_schema_free(s);
	return sql;
}

static void failure_mid_plan_changes_nothing(void **state)
{
	(void)state;
	const char *schema = "mid_plan_failure";
	dbsync_ctx *ctx = NULL;
	dbsync_conn *conn = server_test_open(&pg_cases, schema, &ctx);
	exec_ok(ctx, conn, "CREATE TABLE \"author\" (\"id\" integer NOT NULL PRIMARY KEY, \"name\" varchar(50) NOT NULL); "
		"CREATE TABLE \"book\" (\"id\" integer NOT NULL PRIMARY KEY, \"title\" varchar(50) NULL, "
		"\"author_id\" integer NULL); "
		"INSERT INTO \"author\" VALUES (1, 'Ann'), (2, 'Bob'); "
		"INSERT INTO \"book\" VALUES (1, 'A', 1), (2, 'B', 2), (3, NULL, NULL)");
	static const char desired_sql[] =
		"CREATE TABLE \"author\" (\"id\" integer NOT NULL PRIMARY KEY, \"name\" varchar(80) NOT NULL, "
		"\"born\" date NULL);\n"
		"CREATE TABLE \"book\" (\"id\" integer NOT NULL PRIMARY KEY, \"title\" varchar(50) NULL UNIQUE, "
		"\"author_id\" integer NULL, \"pages\" integer NULL);\n"
		"CREATE TABLE \"shelf\" (\"id\" integer NOT NULL PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY);\n"
		"ALTER TABLE \"book\" ADD CONSTRAINT \"book_author_id_fk\" FOREIGN KEY (\"author_id\") REFERENCES "
		"\"author\" (\"id\") DEFERRABLE INITIALLY DEFERRED;\n"
		"CREATE INDEX \"book_author_id_idx\" ON \"book\" (\"author_id\");\n";
	dbsync_schema *desired = NULL;
	assert_int_equal(dbsync_schema_parse(&desired, ctx, PGD, desired_sql, strlen(desired_sql)), 0);
	dbsync_plan *plan = plan_or_fail("mid-plan", ctx, conn, desired, NULL);
	assert_true(dbsync_plan_pending_count(plan) >= 6);
	/* the unique constraint's count said 0 duplicates when planning; a row
	 * written since makes its statement fail after others already ran */
	exec_ok(ctx, conn, "INSERT INTO \"book\" VALUES (4, 'A', 1)");
	char *schema_before = schema_sql(ctx, conn);
	char *rows_before = dump_rows(schema);

	assert_int_equal(dbsync_plan_apply(ctx, conn, plan, NULL), DBSYNC_EDB);
	assert_string_equal(dbsync_ctx_error(ctx)->sqlstate, "23505");
	size_t failed = 0, applied = 0, before_failed = 0;
	for (size_t i = 0; i < dbsync_plan_op_count(plan); i++) {
		const dbsync_op *op = dbsync_plan_op(plan, i);
		failed += op->status == DBSYNC_STATUS_FAILED;
		applied += op->status == DBSYNC_STATUS_APPLIED;
		if (!failed)
			before_failed++;
	}
	assert_int_equal(failed, 1);
	assert_int_equal(applied, 0);
	assert_true(before_failed >= 3); /* statements really ran before the failure */

	char *schema_after = schema_sql(ctx, conn);
	char *rows_after = dump_rows(schema);
	assert_string_equal(schema_after, schema_before);
	assert_string_equal(rows_after, rows_before);
	dbsync_free(schema_before);
	dbsync_free(schema_after);
	free(rows_before);
	free(rows_after);
	dbsync_plan_free(plan);
	dbsync_schema_free(desired);
	dbsync_conn_close(conn);
	dbsync_ctx_free(ctx);
}

/* ---- two applies at once ---- */

/* Whether a backend of our database waits on a lock (the first apply,
 * parked); other programs share the server. */
static bool someone_waits(PGconn *pg)
{
	PGresult *res = PQexec(pg, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
		"AND query LIKE 'ALTER TABLE%' AND datname = current_database()");
	bool yes = PQresultStatus(res) == PGRES_TUPLES_OK && strcmp(PQgetvalue(res, 0, 0), "0") != 0;
	PQclear(res);
	return yes;
}

typedef struct pg_parking {
	PGconn *blocker, *watch;
} pg_parking;

/* Inside a transaction, so the first apply waits after it took the sync lock. */
static void *pg_park(const char *schema)
{
	pg_parking *p = malloc(sizeof *p);
	p->blocker = admin();
	p->watch = admin();
	char lock[256];
	snprintf(lock, sizeof lock, "BEGIN; LOCK TABLE \"%s\".\"item\" IN ACCESS EXCLUSIVE MODE", schema);
	admin_exec(p->blocker, lock);
	return p;
}

static bool pg_waiting(void *parking)
{
	return someone_waits(((pg_parking *)parking)->watch);
}

static void pg_release(void *parking)
{
	pg_parking *p = parking;
	admin_exec(p->blocker, "COMMIT");
	PQfinish(p->blocker);
	PQfinish(p->watch);
	free(p);
}

static const apply_parking pg_parking_lot = {
	.current = "CREATE TABLE \"item\" (\"id\" integer NOT NULL PRIMARY KEY); INSERT INTO \"item\" VALUES (1)",
	.desired = "CREATE TABLE \"item\" (\"id\" integer NOT NULL PRIMARY KEY, \"note\" text NULL);\n"
		"CREATE TABLE \"tag\" (\"id\" integer NOT NULL PRIMARY KEY);\n",
	.locked_message = "another dbsync run holds the lock",
	.wait_rounds = 3000, /* a bound against a hang (60 s), not an expected time */
	.park = pg_park,
	.waiting = pg_waiting,
	.release = pg_release,
};

static void concurrent_applies_do_not_interleave(void **state)
{
	(void)state;
	assert_applies_do_not_interleave(&pg_cases, &pg_parking_lot, "concurrent_applies");
}

/* Every kind of operation carries the risk its statement has. */
static void risk_tags(void **state)
{
	(void)state;
	const char *schema = "risk_tags";
	dbsync_ctx *ctx = NULL;
	dbsync_conn *conn = server_test_open(&pg_cases, schema, &ctx);
	exec_ok(ctx, conn, "CREATE TABLE \"item\" (\"id\" integer NOT NULL PRIMARY KEY, \"qty\" integer NULL, "
		"\"old\" text NULL, \"name\" text NULL); CREATE INDEX \"item_name_idx\" ON \"item\" (\"name\")");
	static const char desired_sql[] =
		"CREATE TABLE \"item\" (\"id\" integer NOT NULL PRIMARY KEY, \"qty\" bigint NOT NULL UNIQUE, "
		"\"name\" text DEFAULT 'x' NULL, \"note\" text NULL);\n"
		"CREATE INDEX \"item_note_idx\" ON \"item\" (\"note\");\n"
		"COMMENT ON TABLE \"item\" IS 'items';\n"
		"CREATE TABLE \"tag\" (\"id\" integer NOT NULL PRIMARY KEY, \"item_id\" integer NULL);\n"
		"ALTER TABLE \"tag\" ADD CONSTRAINT \"tag_item_fk\" FOREIGN KEY (\"item_id\") REFERENCES \"item\" (\"id\");\n";
	dbsync_schema *desired = NULL;
	assert_int_equal(dbsync_schema_parse(&desired, ctx, PGD, desired_sql, strlen(desired_sql)), 0);
	dbsync_plan_options opts = DBSYNC_PLAN_OPTIONS_INIT;
	opts.drop_columns = 1;
	dbsync_plan *plan = plan_or_fail("risk", ctx, conn, desired, &opts);
	static const struct { dbsync_op_kind kind; const char *object; dbsync_risk risk; } want[] = {
		{ DBSYNC_OP_DROP_INDEX, "item_name_idx", DBSYNC_RISK_SAFE },
		{ DBSYNC_OP_CREATE_TABLE, NULL, DBSYNC_RISK_SAFE },
		{ DBSYNC_OP_ALTER_COLUMN, "qty", DBSYNC_RISK_LOCKING },    /* type rewrite, SET NOT NULL */
		{ DBSYNC_OP_ALTER_COLUMN, "name", DBSYNC_RISK_SAFE },      /* a default only */
		{ DBSYNC_OP_ADD_COLUMN, "note", DBSYNC_RISK_SAFE },
		{ DBSYNC_OP_DROP_COLUMN, "old", DBSYNC_RISK_DATA_LOSS },
		{ DBSYNC_OP_ADD_CONSTRAINT, NULL, DBSYNC_RISK_LOCKING },  /* an unnamed UNIQUE */
		{ DBSYNC_OP_ADD_INDEX, "item_note_idx", DBSYNC_RISK_LOCKING },
		{ DBSYNC_OP_ADD_FOREIGN_KEY, "tag_item_fk", DBSYNC_RISK_SAFE },
		{ DBSYNC_OP_COMMENT, NULL, DBSYNC_RISK_SAFE },
	};
	size_t n = sizeof want / sizeof want[0];
	if (dbsync_plan_op_count(plan) != n) {
		char *lines = plan_lines(plan);
		fail_msg("expected %zu operations, got %zu:\n%s", n, dbsync_plan_op_count(plan), lines);
	}
	for (size_t i = 0; i < n; i++) {
		const dbsync_op *op = dbsync_plan_op(plan, i);
		if (op->kind != want[i].kind || op->risk != want[i].risk ||
		    (want[i].object && (!op->object || strcmp(op->object, want[i].object) != 0)))
			fail_msg("operation %zu: %s %s risk %s, expected %s %s risk %s", i, dbsync_op_kind_name(op->kind),
				op->object ? op->object : "-", dbsync_risk_name(op->risk), dbsync_op_kind_name(want[i].kind),
				want[i].object ? want[i].object : "-", dbsync_risk_name(want[i].risk));
		assert_int_equal(op->status, DBSYNC_STATUS_PENDING);
	}
	assert_int_equal(dbsync_plan_apply(ctx, conn, plan, NULL), 0);
	dbsync_plan_free(plan);
	dbsync_schema_free(desired);
	dbsync_conn_close(conn);
	dbsync_ctx_free(ctx);
}

static int group_setup(void **state)
{
	(void)state;
	if (test_server_open_db(&server, &TEST_PG_SERVER) || server.absent)
		return -1;
	/* django.contrib.postgres's types and index methods, from Debian's
	 * postgresql-contrib, in public: every case's search_path ends there */
	PGconn *pg = PQconnectdb(server.url);
	PGresult *res = PQexec(pg, "CREATE EXTENSION IF NOT EXISTS hstore SCHEMA public; "
		"CREATE EXTENSION IF NOT EXISTS citext SCHEMA public; "
		"CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public; "
		"CREATE EXTENSION IF NOT EXISTS bloom SCHEMA public");
	int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;
	if (rc)
		fprintf(stderr, "creating the contrib extensions failed: %s\n", PQerrorMessage(pg));
	PQclear(res);
	PQfinish(pg);
	return rc;
}

static int group_teardown(void **state)
{
	(void)state;
	return test_server_stop(&server);
}

int main(void)
{
	size_t n = 0;
	server_case *cases = NULL;
	struct CMUnitTest *tests = server_case_tests("postgres", 15, &pg_cases, 3, &cases, &n);
	if (!tests)
		return 1;
	tests[n].name = "failure_mid_plan_changes_nothing";
	tests[n].test_func = failure_mid_plan_changes_nothing;
	tests[n + 1].name = "concurrent_applies_do_not_interleave";
	tests[n + 1].test_func = concurrent_applies_do_not_interleave;
	tests[n + 2].name = "risk_tags";
	tests[n + 2].test_func = risk_tags;
	int failed = _cmocka_run_group_tests("postgres cases", tests, n + 3, group_setup, group_teardown);
	server_cases_free(cases, n);
	free(tests);
	return failed;
}
