/*
 * Engine cases for PostgreSQL (tests/cases/postgres/NAME.case, format in
 * tests/cases/README.md), run against a throwaway server started once for
 * this binary, each case in a fresh schema: plan, compare the statements,
 * apply with verification, plan again (nothing may be pending), and check
 * that every row survived. Then two tests the case format cannot express: a
 * statement failing in the middle of a plan leaves schema and rows exactly
 * as they were, and two concurrent applies never interleave.
 */
#include <dirent.h>
#include <time.h>
#include <pthread.h>
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
#include "dbsync/dbsync.h"
#include "test_support.h"

#define PGD DBSYNC_DIALECT_POSTGRES

static const test_server_kind pg_server = {
	.name = "PostgreSQL",
	.script_env = "DBSYNC_PG_SERVER_SCRIPT",
	.dir_template = "/tmp/dbsync-pgc-XXXXXX",
	.url_prefix = "postgresql:///dbsync_test?host=",
	.absent_status = 3,
	.absent_hint = "apt-get install postgresql",
};
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
	const char *vals[] = { "dbsync_test", "dbsync", server.dir, schema };
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

/* ---- rows: every value of `before` is still there ---- */

typedef struct rowset {
	char **lines;
	size_t n;
} rowset;

static void split_lines(rowset *rs, char *text)
{
	memset(rs, 0, sizeof *rs);
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		rs->lines = realloc(rs->lines, (rs->n + 1) * sizeof *rs->lines);
		rs->lines[rs->n++] = l;
	}
}

static size_t split_fields(char *line, char **f, size_t cap)
{
	size_t n = 0;
	for (char *p = line; n < cap;) {
		f[n++] = p;
		char *bar = strchr(p, '|');
		if (!bar)
			break;
		*bar = '\0';
		p = bar + 1;
	}
	return n;
}

static bool in_word_list(const char *list, const char *table, const char *col)
{
	char key[512];
	snprintf(key, sizeof key, "%s.%s", table, col);
	size_t n = strlen(key);
	for (const char *p = list ? strstr(list, key) : NULL; p; p = strstr(p + 1, key))
		if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' ' || p[n] == '\n'))
			return true;
	return false;
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

/* Same tables and row counts; in columns present on both sides the same
 * values (a NULL may become a value only in a `filled` column). */
static void assert_rows_survived(const case_file *cf, const char *before_text, const char *after_text)
{
	char *bt = strdup(before_text), *at = strdup(after_text);
	rowset b, a;
	split_lines(&b, bt);
	split_lines(&a, at);
	for (size_t i = 0; i < b.n; i++) {
		if (strncmp(b.lines[i], "table ", 6) != 0)
			continue;
		const char *name = b.lines[i] + 6;
		size_t j = 0;
		while (j < a.n && !(strncmp(a.lines[j], "table ", 6) == 0 && strcmp(a.lines[j] + 6, name) == 0))
			j++;
		if (j == a.n)
			fail_msg("%s: table %s disappeared", cf->name, name);
		char *bcols[64], *acols[64];
		char *atypes[64];
		char *bh = strdup(b.lines[i + 1]), *ah = strdup(a.lines[j + 1]), *at_line = strdup(a.lines[j + 2]);
		size_t nb = split_fields(bh, bcols, 64), na = split_fields(ah, acols, 64);
		split_fields(at_line, atypes, 64);
		size_t r = 0;
		for (; i + 3 + r < b.n && strncmp(b.lines[i + 3 + r], "table ", 6) != 0; r++) {
			if (j + 3 + r >= a.n || strncmp(a.lines[j + 3 + r], "table ", 6) == 0)
				fail_msg("%s: table %s lost rows", cf->name, name);
			char *bl = strdup(b.lines[i + 3 + r]), *al = strdup(a.lines[j + 3 + r]);
			char *bv[64], *av[64];
			split_fields(bl, bv, 64);
			split_fields(al, av, 64);
			for (size_t c = 0; c < nb; c++) {
				size_t k = 0;
				while (k < na && strcmp(acols[k], bcols[c]) != 0)
					k++;
				if (k == na)
					continue;
				bool filled = in_word_list(cf->filled, name, bcols[c]);
				if (strcmp(bv[c], "\\N") == 0 && filled)
					continue;
				if (strcmp(bv[c], av[k]) != 0 && !(filled && strcmp(av[k], "\\N") != 0 &&
					cast_equal(bv[c], atypes[k], av[k])))
					fail_msg("%s: %s row %zu column %s was %s, now %s", cf->name, name, r + 1, bcols[c],
						bv[c], av[k]);
			}
			free(bl);
			free(al);
		}
		if (j + 3 + r < a.n && strncmp(a.lines[j + 3 + r], "table ", 6) != 0)
			fail_msg("%s: table %s gained rows", cf->name, name);
		free(at_line);
		free(bh);
		free(ah);
	}
	free(b.lines);
	free(a.lines);
	free(bt);
	free(at);
}

static void assert_query_lines(const case_file *cf, const char *schema, const char *query, const char *expected)
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
	if (strcmp(got, expected) != 0)
		fail_msg("%s: rows-after\n--- expected\n%s--- got\n%s", cf->name, expected, got);
	free(got);
}

/* ---- the plan as `expect` lines ---- */

static char *plan_lines(const dbsync_plan *plan)
{
	char *out = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&out, &len);
	for (size_t i = 0; i < dbsync_plan_op_count(plan); i++) {
		const dbsync_op *op = dbsync_plan_op(plan, i);
		switch (op->status) {
		case DBSYNC_STATUS_REFUSED:
			fprintf(mem, "-- refused: %s\n", op->reason);
			break;
		case DBSYNC_STATUS_SKIPPED:
			if (!op->n_sql)
				fprintf(mem, "-- skipped: %s\n", op->summary);
			for (size_t j = 0; j < op->n_sql; j++)
				fprintf(mem, "-- skipped: %s\n", op->sql[j]);
			break;
		default:
			for (size_t j = 0; j < op->n_sql; j++)
				fprintf(mem, "%s\n", op->sql[j]);
			break;
		}
	}
	fclose(mem);
	return out;
}

static bool lines_match(const char *want, const char *got)
{
	while (*want || *got) {
		const char *we = strchr(want, '\n'), *ge = strchr(got, '\n');
		if (!we || !ge)
			return !we && !ge && strcmp(want, got) == 0;
		size_t wn = (size_t)(we - want), gn = (size_t)(ge - got);
		static const char refused[] = "-- refused: ";
		size_t rn = sizeof refused - 1;
		if (wn >= rn && strncmp(want, refused, rn) == 0 && gn >= rn && strncmp(got, refused, rn) == 0) {
			char *needle = strndup(want + rn, wn - rn), *hay = strndup(got + rn, gn - rn);
			bool ok = strstr(hay, needle) != NULL;
			free(needle);
			free(hay);
			if (!ok)
				return false;
		} else if (wn != gn || strncmp(want, got, wn) != 0) {
			return false;
		}
		want = we + 1;
		got = ge + 1;
	}
	return true;
}

static dbsync_plan *plan_or_fail(const char *name, dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_schema *desired,
	const dbsync_plan_options *opts)
{
	dbsync_plan *plan = NULL;
	if (dbsync_plan_compute(&plan, ctx, conn, desired, opts))
		fail_msg("%s: plan failed: %s", name, dbsync_ctx_error(ctx)->message);
	return plan;
}

/* ---- one case ---- */

typedef struct pg_case {
	char *path;
	char schema[32];
} pg_case;

static void run_case(void **state)
{
	pg_case *pc = *state;
	case_file cf;
	char err[256];
	if (server.absent)
		skip();
	if (case_file_load(&cf, pc->path, err, sizeof err))
		fail_msg("%s: %s", pc->path, err);
	fresh_schema(pc->schema);
	dbsync_ctx *ctx = NULL;
	dbsync_schema *desired = NULL;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	dbsync_conn *conn = open_schema(ctx, pc->schema);
	if (cf.current && dbsync_conn_exec(ctx, conn, cf.current))
		fail_msg("%s: current: %s", cf.name, dbsync_ctx_error(ctx)->message);
	if (dbsync_schema_parse(&desired, ctx, PGD, cf.desired, strlen(cf.desired)))
		fail_msg("%s: desired: %s (line %d)", cf.name, dbsync_ctx_error(ctx)->message, dbsync_ctx_error(ctx)->line);
	char *before = dump_rows(pc->schema);

	dbsync_plan *plan = plan_or_fail(cf.name, ctx, conn, desired, &cf.opts);
	char *got = plan_lines(plan);
	if (!lines_match(cf.expect, got)) {
		fprintf(stderr, "%s: statements differ\n--- expected\n%s--- got\n%s", cf.name, cf.expect, got);
		fail_msg("%s: statements differ", cf.name);
	}
	free(got);
	dbsync_apply_options aopts = DBSYNC_APPLY_OPTIONS_INIT;
	if (dbsync_plan_pending_count(plan) && dbsync_plan_apply(ctx, conn, plan, &aopts))
		fail_msg("%s: apply failed: %s", cf.name, dbsync_ctx_error(ctx)->message);
	dbsync_plan_free(plan);

	plan = plan_or_fail(cf.name, ctx, conn, desired, &cf.opts);
	if (dbsync_plan_pending_count(plan)) {
		char *lines = plan_lines(plan);
		fprintf(stderr, "%s: planned again after apply, still pending:\n%s", cf.name, lines);
		fail_msg("%s: still pending after apply", cf.name);
	}
	dbsync_plan_free(plan);

	char *after = dump_rows(pc->schema);
	assert_rows_survived(&cf, before, after);
	if (cf.rows_query)
		assert_query_lines(&cf, pc->schema, cf.rows_query, cf.rows_expect);
	free(before);
	free(after);
	dbsync_schema_free(desired);
	dbsync_conn_close(conn);
	dbsync_ctx_free(ctx);
	case_file_free(&cf);
}

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
	if (server.absent)
		skip();
	const char *schema = "mid_plan_failure";
	fresh_schema(schema);
	dbsync_ctx *ctx = NULL;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	dbsync_conn *conn = open_schema(ctx, schema);
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

typedef struct apply_job {
	dbsync_ctx *ctx;
	dbsync_conn *conn;
	dbsync_plan *plan;
	int rc;
} apply_job;

static void *apply_thread(void *arg)
{
	apply_job *job = arg;
	job->rc = dbsync_plan_apply(job->ctx, job->conn, job->plan, NULL);
	return NULL;
}

/* Whether a backend of our schema waits on a lock (the first apply, parked). */
static bool someone_waits(PGconn *pg)
{
	PGresult *res = PQexec(pg, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
		"AND query LIKE 'ALTER TABLE%'");
	bool yes = PQresultStatus(res) == PGRES_TUPLES_OK && strcmp(PQgetvalue(res, 0, 0), "0") != 0;
	PQclear(res);
	return yes;
}

static void concurrent_applies_do_not_interleave(void **state)
{
	(void)state;
	if (server.absent)
		skip();
	const char *schema = "concurrent_applies";
	fresh_schema(schema);
	dbsync_ctx *ctx_a = NULL, *ctx_b = NULL;
	assert_int_equal(dbsync_ctx_new(&ctx_a), 0);
	assert_int_equal(dbsync_ctx_new(&ctx_b), 0);
	dbsync_conn *a = open_schema(ctx_a, schema), *b = open_schema(ctx_b, schema);
	exec_ok(ctx_a, a, "CREATE TABLE \"item\" (\"id\" integer NOT NULL PRIMARY KEY); INSERT INTO \"item\" VALUES (1)");
	static const char desired_sql[] =
		"CREATE TABLE \"item\" (\"id\" integer NOT NULL PRIMARY KEY, \"note\" text NULL);\n"
		"CREATE TABLE \"tag\" (\"id\" integer NOT NULL PRIMARY KEY);\n";
	dbsync_schema *desired = NULL;
	assert_int_equal(dbsync_schema_parse(&desired, ctx_a, PGD, desired_sql, strlen(desired_sql)), 0);
	dbsync_plan *plan_a = plan_or_fail("concurrent a", ctx_a, a, desired, NULL);
	dbsync_plan *plan_b = plan_or_fail("concurrent b", ctx_b, b, desired, NULL);
	assert_int_equal(dbsync_plan_pending_count(plan_b), 2);

	/* park the first apply inside its transaction, after it took the sync lock */
	PGconn *blocker = admin(), *watch = admin();
	char lock[256];
	snprintf(lock, sizeof lock, "BEGIN; LOCK TABLE \"%s\".\"item\" IN ACCESS EXCLUSIVE MODE", schema);
	admin_exec(blocker, lock);
	apply_job job = { ctx_a, a, plan_a, -1 };
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, apply_thread, &job), 0);
	for (int i = 0; i < 200 && !someone_waits(watch); i++)
		nanosleep(&(struct timespec){ .tv_nsec = 20000000 }, NULL);
	assert_true(someone_waits(watch));

	/* the second run is turned away at once, having changed nothing */
	assert_int_equal(dbsync_plan_apply(ctx_b, b, plan_b, NULL), DBSYNC_ELOCKED);
	assert_non_null(strstr(dbsync_ctx_error(ctx_b)->message, "another dbsync run holds the lock"));
	for (size_t i = 0; i < dbsync_plan_op_count(plan_b); i++)
		assert_int_equal(dbsync_plan_op(plan_b, i)->status, DBSYNC_STATUS_PENDING);

	admin_exec(blocker, "COMMIT");
	assert_int_equal(pthread_join(th, NULL), 0);
	if (job.rc)
		fail_msg("the first apply failed: %s", dbsync_ctx_error(ctx_a)->message);

	/* the first run did it all; a new plan for the second has nothing left */
	dbsync_plan_free(plan_b);
	plan_b = plan_or_fail("concurrent b again", ctx_b, b, desired, NULL);
	assert_int_equal(dbsync_plan_pending_count(plan_b), 0);
	PQfinish(blocker);
	PQfinish(watch);
	dbsync_plan_free(plan_a);
	dbsync_plan_free(plan_b);
	dbsync_schema_free(desired);
	dbsync_conn_close(a);
	dbsync_conn_close(b);
	dbsync_ctx_free(ctx_a);
	dbsync_ctx_free(ctx_b);
}

/* Every kind of operation carries the risk its statement has. */
static void risk_tags(void **state)
{
	(void)state;
	if (server.absent)
		skip();
	const char *schema = "risk_tags";
	fresh_schema(schema);
	dbsync_ctx *ctx = NULL;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	dbsync_conn *conn = open_schema(ctx, schema);
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
	return test_server_start(&server, &pg_server);
}

static int group_teardown(void **state)
{
	(void)state;
	return test_server_stop(&server);
}

static int by_name(const void *x, const void *y)
{
	return strcmp(((const pg_case *)x)->path, ((const pg_case *)y)->path);
}

int main(void)
{
	const char *root = getenv("DBSYNC_CASES_DIR");
	char dir[1024];
	snprintf(dir, sizeof dir, "%s/postgres", root ? root : "tests/cases");
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "cannot open %s\n", dir);
		return 1;
	}
	pg_case *cases = NULL;
	size_t n = 0;
	for (struct dirent *e; (e = readdir(d));) {
		size_t len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".case") != 0)
			continue;
		cases = realloc(cases, (n + 1) * sizeof *cases);
		cases[n].path = malloc(strlen(dir) + len + 2);
		sprintf(cases[n].path, "%s/%s", dir, e->d_name);
		n++;
	}
	closedir(d);
	if (n < 15) {
		fprintf(stderr, "only %zu cases in %s; at least 15 expected\n", n, dir);
		return 1;
	}
	qsort(cases, n, sizeof *cases, by_name);
	struct CMUnitTest *tests = calloc(n + 3, sizeof *tests);
	for (size_t i = 0; i < n; i++) {
		snprintf(cases[i].schema, sizeof cases[i].schema, "case_%02zu", i + 1);
		tests[i].name = strrchr(cases[i].path, '/') + 1;
		tests[i].test_func = run_case;
		tests[i].initial_state = &cases[i];
	}
	tests[n].name = "failure_mid_plan_changes_nothing";
	tests[n].test_func = failure_mid_plan_changes_nothing;
	tests[n + 1].name = "concurrent_applies_do_not_interleave";
	tests[n + 1].test_func = concurrent_applies_do_not_interleave;
	tests[n + 2].name = "risk_tags";
	tests[n + 2].test_func = risk_tags;
	int failed = _cmocka_run_group_tests("postgres cases", tests, n + 3, group_setup, group_teardown);
	for (size_t i = 0; i < n; i++)
		free(cases[i].path);
	free(cases);
	free(tests);
	return failed;
}
