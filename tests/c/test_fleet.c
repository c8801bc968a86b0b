/*
 * Fleets end to end (dbsync/fleet.h) on the suite's PostgreSQL (schemas of one
 * database) and MariaDB (databases of one server): six members with rows,
 * drift in three (a missing column, a missing table, a missing index), planned
 * in one pass and applied over several connections. After every apply each
 * member is planned again on a connection of its own, independently of the
 * fleet code: nothing may be left, and the rows must still be there.
 *
 * Also: a failing member is FAILED with an error that names it while the
 * others are applied (on MySQL it keeps what ran before the failure);
 * fail_fast leaves the later members NOT_RUN; jobs 1 and jobs 4 end the same;
 * two fleet applies at once on the same members change each member exactly
 * once; a member changed by someone else since it was planned is planned again
 * (in sync, or stale and untouched); a member whose lock another run holds
 * fails once the retries are spent; a connection lost mid-fleet fails its
 * member and the others go on; a read-only connection, and plans waiting for
 * fills, are refused before anything runs; the fleet report.
 */
#include <jansson.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "backend.h"
#include "dbsync/dbsync.h"
#include "dbsync/fleet.h"
#include "dbsync/report.h"
#include "test_support.h"

enum { MEMBERS = 6 };

typedef struct target {
	dbsync_dialect dialect;
	test_server server;
	bool started;
	char socket[256];     /* MariaDB */
} target;

static target pg_target = { .dialect = DBSYNC_DIALECT_POSTGRES };
static target my_target = { .dialect = DBSYNC_DIALECT_MYSQL };

/* The models: three tables with a foreign key and two indexes, written so
 * both servers take the same text. */
static const char desired_sql[] =
	"CREATE TABLE author (id integer NOT NULL PRIMARY KEY, name varchar(100) NOT NULL, email varchar(200) NULL);\n"
	"CREATE INDEX author_name_idx ON author (name);\n"
	"CREATE TABLE book (id integer NOT NULL PRIMARY KEY, author_id integer NOT NULL, title varchar(200) NOT NULL,\n"
	"  CONSTRAINT book_author_fk FOREIGN KEY (author_id) REFERENCES author (id));\n"
	"CREATE INDEX book_author_idx ON book (author_id);\n"
	"CREATE TABLE tag (id integer NOT NULL PRIMARY KEY, label varchar(50) NOT NULL);\n";

/* The same with a unique index on tag.label: adding it fails where the
 * labels repeat. */
static const char unique_sql[] = "CREATE UNIQUE INDEX tag_label_uniq ON tag (label);\n";

static const char rows_sql[] =
	"INSERT INTO author VALUES (1, 'Ann', 'ann@example.org'), (2, 'Bo', NULL);"
	"INSERT INTO book VALUES (1, 1, 'First'), (2, 2, 'Second'), (3, 1, 'Third');"
	"INSERT INTO tag VALUES (1, 'red'), (2, 'blue');";

typedef enum drift { NO_DRIFT, NO_COLUMN, NO_TABLE, NO_INDEX } drift;

static int group_setup(void **state)
{
	(void)state;
	setenv("DBSYNC_PG_PASSWORD", "Pg-Fleet-Secret-7d2e", 1);
	if (test_server_open_db(&pg_target.server, &TEST_PG_SERVER) || pg_target.server.absent)
		return -1;
	pg_target.started = true;
	if (test_server_open_db(&my_target.server, &TEST_MARIADB_SERVER) || my_target.server.absent)
		return -1;
	my_target.started = true;
	const char *sock = strstr(my_target.server.url, "unix_socket=");
	if (!sock)
		return -1;
	snprintf(my_target.socket, sizeof my_target.socket, "%s", sock + strlen("unix_socket="));
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	int rc = 0;
	if (pg_target.started && test_server_stop(&pg_target.server))
		rc = -1;
	if (my_target.started && test_server_stop(&my_target.server))
		rc = -1;
	return rc;
}

/* ---- connections and members ---- */

/* A connection syncing `member` (NULL: the program's own database / the
 * public schema), as `user` (NULL: the suite's superuser). */
static dbsync_conn *open_as(dbsync_ctx *ctx, const target *t, const char *member, const char *user, bool readonly)
{
	dbsync_conn *conn = NULL;
	const char *keys[5], *vals[5];
	size_t n = 0;
	if (t->dialect == DBSYNC_DIALECT_POSTGRES) {
		keys[n] = "name", vals[n++] = t->server.db;
		keys[n] = "user", vals[n++] = user ? user : "dbsync";
		keys[n] = "host", vals[n++] = t->server.dir;
		keys[n] = "schema", vals[n++] = member ? member : "public";
	} else {
		keys[n] = "name", vals[n++] = member ? member : t->server.db;
		keys[n] = "user", vals[n++] = user ? user : "root";
		keys[n] = "unix_socket", vals[n++] = t->socket;
	}
	if (readonly)
		keys[n] = "readonly", vals[n++] = "1";
	if (dbsync_conn_open_params(&conn, ctx, t->dialect, keys, vals, n))
		fail_msg("open: %s", dbsync_ctx_error(ctx)->message);
	return conn;
}

static dbsync_conn *open_on(dbsync_ctx *ctx, const target *t, const char *member)
{
	return open_as(ctx, t, member, NULL, false);
}

/* Member k (1-based) of the set `set`: a schema of the program's database,
 * or an extra database of the program on the shared MariaDB server. */
static void member_name(char *out, size_t cap, const target *t, const char *set, int k)
{
	char base[48];
	snprintf(base, sizeof base, "%s_m%d", set, k);
	if (t->dialect == DBSYNC_DIALECT_MYSQL)
		test_server_extra_db(out, cap, &t->server, base);
	else
		snprintf(out, cap, "%s", base);
}

typedef struct fleet_set {
	int n;
	char names[MEMBERS + 2][64];
	const char *ptrs[MEMBERS + 2];
} fleet_set;

static int64_t query_int(dbsync_ctx *ctx, dbsync_conn *conn, const char *sql)
{
	int64_t v = 0;
	if (conn->backend->query_int64(&v, ctx, conn, sql))
		fail_msg("%s: %s", sql, dbsync_ctx_error(ctx)->message);
	return v;
}

/* Run `sql` inside member `name` (the admin connection is moved there and back). */
static void exec_in(dbsync_ctx *ctx, const target *t, dbsync_conn *admin, const char *name, const char *sql)
{
	char *s = NULL;
	size_t cap = strlen(sql) + 256, len = strlen(sql);
	while (len && (sql[len - 1] == ';' || sql[len - 1] == '\n' || sql[len - 1] == ' '))
		len--;
	assert_non_null(s = malloc(cap));
	if (t->dialect == DBSYNC_DIALECT_POSTGRES)
		snprintf(s, cap, "SET search_path TO %s; %.*s; SET search_path TO public", name, (int)len, sql);
	else
		snprintf(s, cap, "USE %s; %.*s; USE %s", name, (int)len, sql, t->server.db);
	exec_ok(ctx, admin, s);
	free(s);
}

/* n members of set `set`, each made anew from desired_sql (plus `extra`)
 * with rows, then drift[k] applied to member k+1. */
static void make_set(dbsync_ctx *ctx, const target *t, fleet_set *fs, const char *set, int n, const drift *drifts,
	const char *extra)
{
	dbsync_conn *admin = open_on(ctx, t, NULL);
	char sql[4096];
	memset(fs, 0, sizeof *fs);
	fs->n = n;
	for (int k = 0; k < n; k++) {
		member_name(fs->names[k], sizeof fs->names[k], t, set, k + 1);
		fs->ptrs[k] = fs->names[k];
		const char *name = fs->names[k];
		if (t->dialect == DBSYNC_DIALECT_POSTGRES)
			snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", name, name);
		else
			snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s; CREATE DATABASE %s", name, name);
		exec_ok(ctx, admin, sql);
		snprintf(sql, sizeof sql, "%s%s%s", desired_sql, extra ? extra : "", rows_sql);
		exec_in(ctx, t, admin, name, sql);
		switch (drifts ? drifts[k] : NO_DRIFT) {
		case NO_DRIFT: break;
		case NO_COLUMN: exec_in(ctx, t, admin, name, "ALTER TABLE author DROP COLUMN email"); break;
		case NO_TABLE: exec_in(ctx, t, admin, name, "DROP TABLE tag"); break;
		case NO_INDEX:
			exec_in(ctx, t, admin, name, t->dialect == DBSYNC_DIALECT_POSTGRES ? "DROP INDEX author_name_idx"
				: "DROP INDEX author_name_idx ON author");
			break;
		}
	}
	dbsync_conn_close(admin);
}

static dbsync_schema *parse_desired(dbsync_ctx *ctx, const target *t, const char *extra)
{
	char sql[4096];
	snprintf(sql, sizeof sql, "%s%s", desired_sql, extra ? extra : "");
	dbsync_schema *s = NULL;
	if (dbsync_schema_parse(&s, ctx, t->dialect, sql, strlen(sql)))
		fail_msg("parse: %s", dbsync_ctx_error(ctx)->message);
	return s;
}

static dbsync_fleet *plan_set(dbsync_ctx *ctx, const target *t, const fleet_set *fs, const dbsync_schema *desired)
{
	dbsync_conn *conn = open_on(ctx, t, NULL);
	dbsync_fleet *f = NULL;
	if (dbsync_fleet_plan(&f, ctx, conn, fs->ptrs, (size_t)fs->n, desired, NULL))
		fail_msg("fleet plan: %s", dbsync_ctx_error(ctx)->message);
	dbsync_conn_close(conn);
	assert_int_equal(dbsync_fleet_count(f), (size_t)fs->n);
	return f;
}

static int apply_with(dbsync_ctx *ctx, const target *t, dbsync_fleet *f, size_t jobs, const dbsync_fleet_options *o)
{
	dbsync_conn *conns[8] = { 0 };
	assert_true(jobs <= 8);
	for (size_t c = 0; c < jobs; c++)
		conns[c] = open_on(ctx, t, NULL);
	int rc = dbsync_fleet_apply(ctx, f, conns, jobs, o);
	for (size_t c = 0; c < jobs; c++)
		dbsync_conn_close(conns[c]);
	return rc;
}

/* Member `name`, planned on a connection of its own: nothing left to do. */
static void assert_converged(dbsync_ctx *ctx, const target *t, const char *name, const dbsync_schema *desired)
{
	dbsync_conn *conn = open_on(ctx, t, name);
	dbsync_plan *p = NULL;
	if (dbsync_plan_compute(&p, ctx, conn, desired, NULL))
		fail_msg("plan %s: %s", name, dbsync_ctx_error(ctx)->message);
	if (dbsync_plan_op_count(p))
		fail_msg("%s still differs: %s", name, dbsync_plan_op(p, 0)->summary);
	dbsync_plan_free(p);
	dbsync_conn_close(conn);
}

static int64_t rows_in(dbsync_ctx *ctx, const target *t, const char *name, const char *table)
{
	dbsync_conn *conn = open_on(ctx, t, name);
	int64_t n = -1;
	if (dbsync_conn_count_rows(&n, ctx, conn, table))
		fail_msg("count %s.%s: %s", name, table, dbsync_ctx_error(ctx)->message);
	dbsync_conn_close(conn);
	return n;
}

static void assert_rows_kept(dbsync_ctx *ctx, const target *t, const char *name, bool tag_made)
{
	assert_int_equal(rows_in(ctx, t, name, "author"), 2);
	assert_int_equal(rows_in(ctx, t, name, "book"), 3);
	assert_int_equal(rows_in(ctx, t, name, "tag"), tag_made ? 0 : 2);
}

/* The member's error starts with its name, in the server's word for it. */
static void assert_error_names(const dbsync_fleet *f, size_t i, const target *t)
{
	const dbsync_error *e = dbsync_fleet_member_error(f, i);
	assert_non_null(e);
	char want[128];
	snprintf(want, sizeof want, "%s \"%s\": ", t->dialect == DBSYNC_DIALECT_POSTGRES ? "schema" : "database",
		dbsync_fleet_member(f, i));
	if (strncmp(e->message, want, strlen(want)) != 0)
		fail_msg("the error of %s does not start with its name: %s", dbsync_fleet_member(f, i), e->message);
}

static size_t count_status(const dbsync_plan *p, dbsync_op_status st)
{
	size_t n = 0;
	for (size_t i = 0; i < dbsync_plan_op_count(p); i++)
		n += dbsync_plan_op(p, i)->status == st;
	return n;
}

/* Member i of f has n operations pending; else the test fails listing them. */
static void expect_pending(const dbsync_fleet *f, size_t i, size_t n)
{
	const dbsync_plan *p = dbsync_fleet_member_plan(f, i);
	if (dbsync_plan_pending_count(p) == n)
		return;
	for (size_t j = 0; j < dbsync_plan_op_count(p); j++)
		print_error("  %s: %s [%s]\n", dbsync_fleet_member(f, i), dbsync_plan_op(p, j)->summary,
			dbsync_status_name(dbsync_plan_op(p, j)->status));
	fail_msg("%s: %zu operation(s) pending, %zu expected", dbsync_fleet_member(f, i), dbsync_plan_pending_count(p), n);
}

/* ---- six members, three drifted: planned in one pass, applied, converged ---- */

static const drift six[MEMBERS] = { NO_DRIFT, NO_COLUMN, NO_DRIFT, NO_TABLE, NO_DRIFT, NO_INDEX };

/* What the fleet's plan says of each member, before apply. */
static void check_planned(const dbsync_fleet *f)
{
	static const dbsync_op_kind kinds[MEMBERS] = { 0, DBSYNC_OP_ADD_COLUMN, 0, DBSYNC_OP_CREATE_TABLE, 0,
		DBSYNC_OP_ADD_INDEX };
	for (size_t i = 0; i < MEMBERS; i++) {
		const dbsync_plan *p = dbsync_fleet_member_plan(f, i);
		assert_non_null(p);
		assert_null(dbsync_fleet_member_error(f, i));
		if (six[i] == NO_DRIFT) {
			assert_int_equal(dbsync_fleet_member_state(f, i), DBSYNC_MEMBER_IN_SYNC);
			assert_int_equal(dbsync_plan_op_count(p), 0);
			continue;
		}
		assert_int_equal(dbsync_fleet_member_state(f, i), DBSYNC_MEMBER_CHANGED);
		if (dbsync_plan_op_count(p) != 1 || dbsync_plan_op(p, 0)->kind != kinds[i]) {
			for (size_t j = 0; j < dbsync_plan_op_count(p); j++)
				print_error("  %s: %s\n", dbsync_fleet_member(f, i), dbsync_plan_op(p, j)->summary);
			fail_msg("%s: %zu operation(s) planned, 1 expected", dbsync_fleet_member(f, i), dbsync_plan_op_count(p));
		}
	}
}

static void check_applied(dbsync_ctx *ctx, const target *t, const dbsync_fleet *f, const dbsync_schema *desired)
{
	for (size_t i = 0; i < MEMBERS; i++) {
		const dbsync_plan *p = dbsync_fleet_member_plan(f, i);
		if (six[i] == NO_DRIFT) {
			assert_int_equal(dbsync_fleet_member_state(f, i), DBSYNC_MEMBER_IN_SYNC);
		} else {
			assert_int_equal(dbsync_fleet_member_state(f, i), DBSYNC_MEMBER_CHANGED);
			assert_int_equal(count_status(p, DBSYNC_STATUS_APPLIED), dbsync_plan_op_count(p));
		}
		assert_converged(ctx, t, dbsync_fleet_member(f, i), desired);
		assert_rows_kept(ctx, t, dbsync_fleet_member(f, i), six[i] == NO_TABLE);
	}
}

/* The fleet's JSON report as planned: the members, their states and
 * operations, the run's lists over all of them; and its HTML. */
static void check_report(dbsync_ctx *ctx, const target *t, const dbsync_fleet *f)
{
	char *text = NULL, *html = NULL;
	dbsync_conn *conn = open_on(ctx, t, NULL);
	if (dbsync_fleet_report_json(&text, ctx, f, conn, "{\"mode\": \"check\", \"database\": {\"alias\": \"default\"}}"))
		fail_msg("report: %s", dbsync_ctx_error(ctx)->message);
	dbsync_conn_close(conn);
	json_error_t jerr;
	json_t *r = json_loads(text, 0, &jerr);
	assert_non_null(r);
	json_t *fleet = json_object_get(r, "fleet"), *members = json_object_get(r, "members");
	assert_int_equal(json_integer_value(json_object_get(fleet, "members")), MEMBERS);
	assert_int_equal(json_integer_value(json_object_get(fleet, "in_sync")), 3);
	assert_int_equal(json_integer_value(json_object_get(fleet, "changed")), 3);
	assert_int_equal(json_integer_value(json_object_get(fleet, "failed")), 0);
	assert_string_equal(json_string_value(json_object_get(fleet, "member_kind")),
		t->dialect == DBSYNC_DIALECT_POSTGRES ? "schema" : "database");
	assert_int_equal(json_array_size(members), MEMBERS);
	assert_int_equal(json_array_size(json_object_get(r, "operations")), 3);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "totals"), "pending")), 3);
	assert_string_equal(json_string_value(json_object_get(r, "mode")), "check");
	for (size_t i = 0; i < MEMBERS; i++) {
		json_t *m = json_array_get(members, i);
		assert_string_equal(json_string_value(json_object_get(m, "name")), dbsync_fleet_member(f, i));
		assert_string_equal(json_string_value(json_object_get(m, "state")), six[i] == NO_DRIFT ? "in_sync" : "changed");
		assert_true(json_is_null(json_object_get(m, "error")));
		json_t *ops = json_object_get(m, "operations");
		assert_int_equal(json_array_size(ops), six[i] == NO_DRIFT ? 0 : 1);
		assert_int_equal(json_integer_value(json_object_get(json_object_get(m, "counts"), "pending")),
			six[i] == NO_DRIFT ? 0 : 1);
		if (json_array_size(ops))
			assert_string_equal(json_string_value(json_object_get(json_array_get(ops, 0), "member")),
				dbsync_fleet_member(f, i));
	}
	json_decref(r);
	if (dbsync_report_html(&html, ctx, text))
		fail_msg("html: %s", dbsync_ctx_error(ctx)->message);
	assert_non_null(strstr(html, "<section id=\"fleet\">"));
	for (size_t i = 0; i < MEMBERS; i++)
		assert_non_null(strstr(html, dbsync_fleet_member(f, i)));
	/* only the drifted members get a table of operations */
	assert_non_null(strstr(html, "add_column"));
	assert_non_null(strstr(html, "create_table"));
	free(html);
	free(text);
}

/* The progress callback's record: it takes no lock, since the fleet calls it
 * one call at a time (a ThreadSanitizer build checks that claim). */
typedef struct progress_log {
	int started[MEMBERS], finished[MEMBERS];
	size_t last_done, total, calls;
	bool out_of_order;
} progress_log;

static int log_progress(void *user, size_t done, size_t total, size_t member, int finished)
{
	progress_log *l = user;
	l->calls++;
	l->total = total;
	/* done never goes down; a member ends after it started, each once */
	if (done < l->last_done || member >= MEMBERS || (finished && !l->started[member])
	    || (finished ? l->finished[member] : l->started[member]))
		l->out_of_order = true;
	l->last_done = done;
	if (member < MEMBERS)
		(finished ? l->finished : l->started)[member]++;
	return 0;
}

static void converge(dbsync_ctx *ctx, target *t)
{
	dbsync_schema *desired = parse_desired(ctx, t, NULL);
	fleet_set a, b;
	/* the same fleet twice: applied with 4 connections and with 1 */
	make_set(ctx, t, &a, "conv4", MEMBERS, six, NULL);
	make_set(ctx, t, &b, "conv1", MEMBERS, six, NULL);
	dbsync_fleet *fa = plan_set(ctx, t, &a, desired), *fb = plan_set(ctx, t, &b, desired);
	check_planned(fa);
	check_planned(fb);
	check_report(ctx, t, fa);
	progress_log log = { 0 };
	dbsync_fleet_options o = DBSYNC_FLEET_OPTIONS_INIT;
	o.progress = log_progress;
	o.progress_user = &log;
	assert_int_equal(apply_with(ctx, t, fa, 4, &o), 0);
	assert_false(log.out_of_order);
	assert_int_equal(log.total, 3);
	assert_int_equal(log.calls, 6);
	assert_int_equal(log.last_done, 3);
	for (size_t i = 0; i < MEMBERS; i++)
		assert_int_equal(log.started[i] + log.finished[i], six[i] == NO_DRIFT ? 0 : 2);
	assert_int_equal(apply_with(ctx, t, fb, 1, NULL), 0);
	check_applied(ctx, t, fa, desired);
	check_applied(ctx, t, fb, desired);
	/* jobs 1 and jobs 4: the same outcome, operation by operation */
	for (size_t i = 0; i < MEMBERS; i++) {
		const dbsync_plan *pa = dbsync_fleet_member_plan(fa, i), *pb = dbsync_fleet_member_plan(fb, i);
		assert_int_equal(dbsync_fleet_member_state(fa, i), dbsync_fleet_member_state(fb, i));
		assert_int_equal(dbsync_plan_op_count(pa), dbsync_plan_op_count(pb));
		for (size_t j = 0; j < dbsync_plan_op_count(pa); j++) {
			assert_int_equal(dbsync_plan_op(pa, j)->kind, dbsync_plan_op(pb, j)->kind);
			assert_int_equal(dbsync_plan_op(pa, j)->status, dbsync_plan_op(pb, j)->status);
			assert_string_equal(dbsync_plan_op(pa, j)->summary, dbsync_plan_op(pb, j)->summary);
		}
	}
	/* planned again as a fleet: every member in sync */
	dbsync_fleet *again = plan_set(ctx, t, &a, desired);
	for (size_t i = 0; i < MEMBERS; i++)
		assert_int_equal(dbsync_fleet_member_state(again, i), DBSYNC_MEMBER_IN_SYNC);
	/* nothing to do: applying it runs nothing and succeeds */
	assert_int_equal(apply_with(ctx, t, again, 2, NULL), 0);
	dbsync_fleet_free(again);
	dbsync_fleet_free(fa);
	dbsync_fleet_free(fb);
	dbsync_schema_free(desired);
}

static void converge_pg(void **state) { converge(*state, &pg_target); }
static void converge_mysql(void **state) { converge(*state, &my_target); }

/* ---- a failing member is isolated ---- */

/* Members lacking author.email and the unique index on tag.label; after the
 * plan, member `bad` (0-based) gets a repeated label, so adding the index
 * fails there at apply (the plan, made before, saw no duplicate). */
static dbsync_fleet *plan_failing(dbsync_ctx *ctx, const target *t, fleet_set *fs, const char *set, int bad,
	dbsync_schema **desired)
{
	static const drift all[MEMBERS] = { NO_COLUMN, NO_COLUMN, NO_COLUMN, NO_COLUMN, NO_COLUMN, NO_COLUMN };
	*desired = parse_desired(ctx, t, unique_sql);
	make_set(ctx, t, fs, set, MEMBERS, all, NULL);
	dbsync_fleet *f = plan_set(ctx, t, fs, *desired);
	for (size_t i = 0; i < MEMBERS; i++) {
		assert_int_equal(dbsync_fleet_member_state(f, i), DBSYNC_MEMBER_CHANGED);
		expect_pending(f, i, 2);
	}
	dbsync_conn *admin = open_on(ctx, t, NULL);
	exec_in(ctx, t, admin, fs->names[bad], "UPDATE tag SET label = 'red'");
	dbsync_conn_close(admin);
	return f;
}

static bool has_column(dbsync_ctx *ctx, const target *t, const char *member, const char *table, const char *column)
{
	dbsync_conn *admin = open_on(ctx, t, NULL);
	char sql[512];
	snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = '%s' "
		"AND table_name = '%s' AND column_name = '%s'", member, table, column);
	int64_t n = query_int(ctx, admin, sql);
	dbsync_conn_close(admin);
	return n == 1;
}

static void failing_member(dbsync_ctx *ctx, target *t)
{
	fleet_set fs;
	dbsync_schema *desired = NULL;
	const int bad = 2;
	dbsync_fleet *f = plan_failing(ctx, t, &fs, "fail", bad, &desired);
	int rc = apply_with(ctx, t, f, 3, NULL);
	assert_int_equal(rc, DBSYNC_ERROR);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "1 of 6"));
	dbsync_ctx_clear_error(ctx);
	for (size_t i = 0; i < MEMBERS; i++) {
		const dbsync_plan *p = dbsync_fleet_member_plan(f, i);
		if ((int)i != bad) {
			assert_int_equal(dbsync_fleet_member_state(f, i), DBSYNC_MEMBER_CHANGED);
			assert_null(dbsync_fleet_member_error(f, i));
			assert_converged(ctx, t, fs.names[i], desired);
			continue;
		}
		assert_int_equal(dbsync_fleet_member_state(f, i), DBSYNC_MEMBER_FAILED);
		assert_error_names(f, i, t);
		assert_int_equal(count_status(p, DBSYNC_STATUS_FAILED), 1);
		/* the statuses say what the database kept: MySQL committed each
		 * statement before the failing one, PostgreSQL rolled all back */
		size_t failed_at = 0;
		while (dbsync_plan_op(p, failed_at)->status != DBSYNC_STATUS_FAILED)
			failed_at++;
		/* the unique index: an index (PostgreSQL) or a unique key (MySQL) */
		assert_true(dbsync_plan_op(p, failed_at)->kind == DBSYNC_OP_ADD_INDEX
			|| dbsync_plan_op(p, failed_at)->kind == DBSYNC_OP_ADD_CONSTRAINT);
		bool autocommits = dbsync_dialect_ddl_autocommits(t->dialect) == 1;
		for (size_t j = 0; j < failed_at; j++)
			assert_int_equal(dbsync_plan_op(p, j)->status, autocommits ? DBSYNC_STATUS_APPLIED
				: DBSYNC_STATUS_PENDING);
		assert_true(failed_at > 0); /* the column came first: the test proves something on both */
		assert_true(has_column(ctx, t, fs.names[i], "author", "email") == autocommits);
	}
	for (int k = 0; k < MEMBERS; k++)
		assert_int_equal(rows_in(ctx, t, fs.names[k], "author"), 2);
	/* the report after the apply: the failed member with its error, the others applied */
	char *text = NULL, *html = NULL;
	if (dbsync_fleet_report_json(&text, ctx, f, NULL, "{\"mode\": \"apply\"}"))
		fail_msg("report: %s", dbsync_ctx_error(ctx)->message);
	json_t *r = json_loads(text, 0, NULL);
	assert_non_null(r);
	json_t *fleet = json_object_get(r, "fleet");
	assert_int_equal(json_integer_value(json_object_get(fleet, "failed")), 1);
	assert_int_equal(json_integer_value(json_object_get(fleet, "changed")), MEMBERS - 1);
	json_t *m = json_array_get(json_object_get(r, "members"), bad);
	assert_string_equal(json_string_value(json_object_get(m, "state")), "failed");
	assert_string_equal(json_string_value(json_object_get(json_object_get(m, "error"), "message")),
		dbsync_fleet_member_error(f, bad)->message);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "totals"), "failed")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "totals"), "applied")),
		2 * (MEMBERS - 1) + (dbsync_dialect_ddl_autocommits(t->dialect) == 1));
	json_decref(r);
	if (dbsync_report_html(&html, ctx, text))
		fail_msg("html: %s", dbsync_ctx_error(ctx)->message);
	assert_non_null(strstr(html, "<span class=\"badge status-failed\">failed</span>"));
	free(html);
	free(text);
	dbsync_fleet_free(f);
	dbsync_schema_free(desired);
}

static void failing_member_pg(void **state) { failing_member(*state, &pg_target); }
static void failing_member_mysql(void **state) { failing_member(*state, &my_target); }

/* ---- fail_fast ---- */

static void fail_fast(dbsync_ctx *ctx, target *t)
{
	fleet_set fs;
	dbsync_schema *desired = NULL;
	/* one connection: the members are taken in order, so what comes after
	 * the failing second member is known */
	dbsync_fleet *f = plan_failing(ctx, t, &fs, "ff", 1, &desired);
	dbsync_fleet_options o = DBSYNC_FLEET_OPTIONS_INIT;
	o.fail_fast = 1;
	assert_int_equal(apply_with(ctx, t, f, 1, &o), DBSYNC_ERROR);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "4 not run"));
	dbsync_ctx_clear_error(ctx);
	assert_int_equal(dbsync_fleet_member_state(f, 0), DBSYNC_MEMBER_CHANGED);
	assert_int_equal(dbsync_fleet_member_state(f, 1), DBSYNC_MEMBER_FAILED);
	assert_error_names(f, 1, t);
	for (size_t i = 2; i < MEMBERS; i++) {
		assert_int_equal(dbsync_fleet_member_state(f, i), DBSYNC_MEMBER_NOT_RUN);
		assert_null(dbsync_fleet_member_error(f, i));
		/* untouched: still planned, still missing the column */
		expect_pending(f, i, 2);
		assert_false(has_column(ctx, t, fs.names[i], "author", "email"));
	}
	/* applied again without fail_fast: the members not run are, the failed one is not tried */
	assert_int_equal(apply_with(ctx, t, f, 2, NULL), 0);
	for (size_t i = 2; i < MEMBERS; i++) {
		assert_int_equal(dbsync_fleet_member_state(f, i), DBSYNC_MEMBER_CHANGED);
		assert_converged(ctx, t, fs.names[i], desired);
	}
	assert_int_equal(dbsync_fleet_member_state(f, 1), DBSYNC_MEMBER_FAILED);
	dbsync_fleet_free(f);

	/* a member that cannot even be planned (it does not exist): with
	 * fail_fast nothing runs at all */
	char missing[64];
	member_name(missing, sizeof missing, t, "ff_missing", 1);
	fleet_set two;
	static const drift d2[2] = { NO_COLUMN, NO_COLUMN };
	make_set(ctx, t, &two, "ff2", 2, d2, NULL);
	dbsync_schema *plain = parse_desired(ctx, t, NULL);
	two.ptrs[2] = missing;
	two.n = 3;
	f = plan_set(ctx, t, &two, plain);
	assert_int_equal(dbsync_fleet_member_state(f, 2), DBSYNC_MEMBER_FAILED);
	assert_error_names(f, 2, t);
	assert_non_null(strstr(dbsync_fleet_member_error(f, 2)->message, "does not exist"));
	assert_int_equal(apply_with(ctx, t, f, 2, &o), DBSYNC_ERROR);
	dbsync_ctx_clear_error(ctx);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(dbsync_fleet_member_state(f, i), DBSYNC_MEMBER_NOT_RUN);
		assert_false(has_column(ctx, t, two.names[i], "author", "email"));
	}
	dbsync_fleet_free(f);
	dbsync_schema_free(plain);
	dbsync_schema_free(desired);
}

static void fail_fast_pg(void **state) { fail_fast(*state, &pg_target); }
static void fail_fast_mysql(void **state) { fail_fast(*state, &my_target); }

/* ---- read-only connections, and other refusals before anything runs ---- */

static int count_calls(void *user, size_t done, size_t total, size_t member, int finished)
{
	(void)done, (void)total, (void)member, (void)finished;
	(*(int *)user)++;
	return 0;
}

static void refusals(dbsync_ctx *ctx, target *t)
{
	fleet_set fs;
	static const drift d[3] = { NO_COLUMN, NO_TABLE, NO_INDEX };
	make_set(ctx, t, &fs, "ro", 3, d, NULL);
	dbsync_schema *desired = parse_desired(ctx, t, NULL);
	/* a read-only connection plans a fleet (a check) ... */
	dbsync_conn *ro = open_as(ctx, t, NULL, NULL, true);
	dbsync_fleet *f = NULL;
	if (dbsync_fleet_plan(&f, ctx, ro, fs.ptrs, 3, desired, NULL))
		fail_msg("read-only fleet plan: %s", dbsync_ctx_error(ctx)->message);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(dbsync_fleet_member_state(f, i), DBSYNC_MEMBER_CHANGED);
	/* ... but never applies one, even beside a writable connection */
	int calls = 0;
	dbsync_fleet_options o = DBSYNC_FLEET_OPTIONS_INIT;
	o.progress = count_calls;
	o.progress_user = &calls;
	dbsync_conn *rw = open_on(ctx, t, NULL);
	dbsync_conn *conns[2] = { rw, ro };
	assert_int_equal(dbsync_fleet_apply(ctx, f, conns, 2, &o), DBSYNC_EINVALID);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "read-only"));
	dbsync_ctx_clear_error(ctx);
	/* one connection given twice */
	dbsync_conn *twice[2] = { rw, rw };
	assert_int_equal(dbsync_fleet_apply(ctx, f, twice, 2, &o), DBSYNC_EINVALID);
	dbsync_ctx_clear_error(ctx);
	assert_int_equal(calls, 0);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(dbsync_fleet_member_state(f, i), DBSYNC_MEMBER_CHANGED);
		assert_int_equal(count_status(dbsync_fleet_member_plan(f, i), DBSYNC_STATUS_PENDING), 1);
	}
	assert_false(has_column(ctx, t, fs.names[0], "author", "email"));
	/* a plan that waits for a default only the caller can compute (a NOT NULL
	 * column added over rows, metadata "has_default" without "default"):
	 * the whole fleet is refused before anything runs */
	{
		dbsync_schema *filled = parse_desired(ctx, t, "ALTER TABLE author ADD COLUMN code varchar(20) NOT NULL;\n");
		dbsync_plan_options po = DBSYNC_PLAN_OPTIONS_INIT;
		po.metadata_json = "{\"tables\": {\"author\": {\"columns\": {\"code\": {\"has_default\": true}}}}}";
		dbsync_fleet *ff = NULL;
		if (dbsync_fleet_plan(&ff, ctx, rw, fs.ptrs, 3, filled, &po))
			fail_msg("fleet plan: %s", dbsync_ctx_error(ctx)->message);
		assert_true(dbsync_plan_fill_count(dbsync_fleet_member_plan(ff, 2)) > 0);
		assert_int_equal(dbsync_fleet_apply(ctx, ff, &rw, 1, &o), DBSYNC_EINVALID);
		assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "nothing was applied"));
		dbsync_ctx_clear_error(ctx);
		assert_int_equal(calls, 0);
		for (size_t i = 0; i < 3; i++)
			assert_int_equal(dbsync_fleet_member_state(ff, i), DBSYNC_MEMBER_CHANGED);
		assert_false(has_column(ctx, t, fs.names[0], "author", "email"));
		assert_false(has_column(ctx, t, fs.names[2], "author", "code"));
		dbsync_fleet_free(ff);
		dbsync_schema_free(filled);
	}
	/* the writable one alone applies it; the callback hears each member start and end */
	assert_int_equal(dbsync_fleet_apply(ctx, f, &rw, 1, &o), 0);
	assert_int_equal(calls, 6);
	for (size_t i = 0; i < 3; i++)
		assert_converged(ctx, t, fs.names[i], desired);
	dbsync_conn_close(rw);
	dbsync_conn_close(ro);
	dbsync_fleet_free(f);
	dbsync_schema_free(desired);
}

static void refusals_pg(void **state) { refusals(*state, &pg_target); }
static void refusals_mysql(void **state) { refusals(*state, &my_target); }

/* ---- members changed by someone else between plan and apply ---- */

static void stale(dbsync_ctx *ctx, target *t)
{
	fleet_set fs;
	static const drift d[3] = { NO_COLUMN, NO_COLUMN, NO_COLUMN };
	make_set(ctx, t, &fs, "stale", 3, d, NULL);
	dbsync_schema *desired = parse_desired(ctx, t, NULL);
	dbsync_fleet *f = plan_set(ctx, t, &fs, desired);
	dbsync_conn *admin = open_on(ctx, t, NULL);
	/* the first is brought in sync by another hand; the second changed otherwise */
	exec_in(ctx, t, admin, fs.names[0], "ALTER TABLE author ADD COLUMN email varchar(200) NULL");
	exec_in(ctx, t, admin, fs.names[1], "ALTER TABLE tag ADD COLUMN note varchar(20) NULL");
	dbsync_conn_close(admin);
	assert_int_equal(apply_with(ctx, t, f, 2, NULL), DBSYNC_ERROR);
	dbsync_ctx_clear_error(ctx);
	/* planned again: nothing left, so in sync with the fresh (empty) plan */
	assert_int_equal(dbsync_fleet_member_state(f, 0), DBSYNC_MEMBER_IN_SYNC);
	assert_int_equal(dbsync_plan_op_count(dbsync_fleet_member_plan(f, 0)), 0);
	assert_null(dbsync_fleet_member_error(f, 0));
	/* planned again, something left: stale, nothing applied */
	assert_int_equal(dbsync_fleet_member_state(f, 1), DBSYNC_MEMBER_FAILED);
	assert_int_equal(dbsync_fleet_member_error(f, 1)->code, DBSYNC_ESTALE);
	assert_error_names(f, 1, t);
	assert_false(has_column(ctx, t, fs.names[1], "author", "email"));
	/* untouched: applied */
	assert_int_equal(dbsync_fleet_member_state(f, 2), DBSYNC_MEMBER_CHANGED);
	assert_converged(ctx, t, fs.names[2], desired);
	dbsync_fleet_free(f);
	dbsync_schema_free(desired);
}

static void stale_pg(void **state) { stale(*state, &pg_target); }
static void stale_mysql(void **state) { stale(*state, &my_target); }

/* ---- a member whose sync lock another run holds ---- */

static void locked(dbsync_ctx *ctx, target *t)
{
	fleet_set fs;
	static const drift d[3] = { NO_COLUMN, NO_COLUMN, NO_COLUMN };
	make_set(ctx, t, &fs, "locked", 3, d, NULL);
	dbsync_schema *desired = parse_desired(ctx, t, NULL);
	dbsync_fleet *f = plan_set(ctx, t, &fs, desired);
	/* another run: the backend's own sync lock on the second member, taken
	 * as its apply takes it, and held */
	dbsync_conn *other = open_on(ctx, t, fs.names[1]);
	if (other->backend->apply_begin(ctx, other, dbsync_fleet_member_plan(f, 1)))
		fail_msg("lock: %s", dbsync_ctx_error(ctx)->message);
	dbsync_apply_options a = DBSYNC_APPLY_OPTIONS_INIT;
	a.max_retries = 2;  /* tried again twice, then failed */
	a.retry_base_ms = 1;
	a.retry_max_ms = 2;
	dbsync_fleet_options o = DBSYNC_FLEET_OPTIONS_INIT;
	o.apply = &a;
	assert_int_equal(apply_with(ctx, t, f, 2, &o), DBSYNC_ERROR);
	dbsync_ctx_clear_error(ctx);
	assert_int_equal(other->backend->apply_end(ctx, other, dbsync_fleet_member_plan(f, 1), 0), 0);
	dbsync_conn_close(other);
	assert_int_equal(dbsync_fleet_member_state(f, 1), DBSYNC_MEMBER_FAILED);
	assert_int_equal(dbsync_fleet_member_error(f, 1)->code, DBSYNC_ELOCKED);
	assert_error_names(f, 1, t);
	assert_false(has_column(ctx, t, fs.names[1], "author", "email"));
	assert_int_equal(count_status(dbsync_fleet_member_plan(f, 1), DBSYNC_STATUS_PENDING), 1);
	for (size_t i = 0; i < 3; i += 2) {
		assert_int_equal(dbsync_fleet_member_state(f, i), DBSYNC_MEMBER_CHANGED);
		assert_converged(ctx, t, fs.names[i], desired);
	}
	/* the lock released, a new plan of the fleet applies the rest */
	dbsync_fleet_free(f);
	f = plan_set(ctx, t, &fs, desired);
	assert_int_equal(dbsync_fleet_member_state(f, 1), DBSYNC_MEMBER_CHANGED);
	assert_int_equal(apply_with(ctx, t, f, 2, NULL), 0);
	assert_converged(ctx, t, fs.names[1], desired);
	dbsync_fleet_free(f);
	dbsync_schema_free(desired);
}

static void locked_pg(void **state) { locked(*state, &pg_target); }
static void locked_mysql(void **state) { locked(*state, &my_target); }

/* ---- two fleet applies at once on the same members ---- */

typedef struct racer {
	const target *t;
	dbsync_fleet *fleet;
	pthread_barrier_t *start;
	int rc;
	int code;
	char message[512];
} racer;

static void *race(void *arg)
{
	racer *r = arg;
	dbsync_ctx *ctx = NULL;
	if (dbsync_ctx_new(&ctx))
		return NULL;
	/* each run its own connections, opened on its own thread */
	dbsync_conn *conns[2] = { NULL, NULL };
	for (int c = 0; c < 2; c++) {
		const char *keys[4], *vals[4];
		size_t n = 0;
		if (r->t->dialect == DBSYNC_DIALECT_POSTGRES) {
			keys[n] = "name", vals[n++] = r->t->server.db;
			keys[n] = "user", vals[n++] = "dbsync";
			keys[n] = "host", vals[n++] = r->t->server.dir;
		} else {
			keys[n] = "name", vals[n++] = r->t->server.db;
			keys[n] = "user", vals[n++] = "root";
			keys[n] = "unix_socket", vals[n++] = r->t->socket;
		}
		dbsync_conn_open_params(&conns[c], ctx, r->t->dialect, keys, vals, n);
	}
	/* ELOCKED (the other run holds a member) is retried, and then stale */
	dbsync_apply_options a = DBSYNC_APPLY_OPTIONS_INIT;
	a.max_retries = 40;
	a.retry_base_ms = 10;
	a.retry_max_ms = 100;
	dbsync_fleet_options o = DBSYNC_FLEET_OPTIONS_INIT;
	o.apply = &a;
	pthread_barrier_wait(r->start);
	r->rc = conns[0] && conns[1] ? dbsync_fleet_apply(ctx, r->fleet, conns, 2, &o) : DBSYNC_ECONNECT;
	r->code = dbsync_ctx_error(ctx)->code;
	snprintf(r->message, sizeof r->message, "%s", dbsync_ctx_error(ctx)->message ? dbsync_ctx_error(ctx)->message : "");
	dbsync_conn_close(conns[0]);
	dbsync_conn_close(conns[1]);
	dbsync_ctx_free(ctx);
	return NULL;
}

static void concurrent(dbsync_ctx *ctx, target *t)
{
	fleet_set fs;
	static const drift d[MEMBERS] = { NO_COLUMN, NO_TABLE, NO_COLUMN, NO_INDEX, NO_COLUMN, NO_TABLE };
	make_set(ctx, t, &fs, "race", MEMBERS, d, NULL);
	dbsync_schema *desired = parse_desired(ctx, t, NULL);
	/* both plan first, so both see every member drifted */
	dbsync_fleet *f1 = plan_set(ctx, t, &fs, desired), *f2 = plan_set(ctx, t, &fs, desired);
	pthread_barrier_t start;
	assert_int_equal(pthread_barrier_init(&start, NULL, 2), 0);
	racer r1 = { .t = t, .fleet = f1, .start = &start }, r2 = { .t = t, .fleet = f2, .start = &start };
	pthread_t th1, th2;
	assert_int_equal(pthread_create(&th1, NULL, race, &r1), 0);
	assert_int_equal(pthread_create(&th2, NULL, race, &r2), 0);
	pthread_join(th1, NULL);
	pthread_join(th2, NULL);
	pthread_barrier_destroy(&start);
	size_t locked = 0;
	for (size_t i = 0; i < MEMBERS; i++) {
		dbsync_member_state s1 = dbsync_fleet_member_state(f1, i), s2 = dbsync_fleet_member_state(f2, i);
		/* exactly one run changed it ... */
		if ((s1 == DBSYNC_MEMBER_CHANGED) == (s2 == DBSYNC_MEMBER_CHANGED))
			fail_msg("%s: states %s and %s: not changed by exactly one run (%s / %s)", fs.names[i],
				dbsync_member_state_name(s1), dbsync_member_state_name(s2), r1.message, r2.message);
		const dbsync_fleet *changer = s1 == DBSYNC_MEMBER_CHANGED ? f1 : f2;
		const dbsync_fleet *other = s1 == DBSYNC_MEMBER_CHANGED ? f2 : f1;
		const dbsync_plan *p = dbsync_fleet_member_plan(changer, i);
		assert_int_equal(count_status(p, DBSYNC_STATUS_APPLIED), dbsync_plan_op_count(p));
		/* ... and the other saw its work (planned again: in sync), or was
		 * still locked out by it after every retry */
		dbsync_member_state so = dbsync_fleet_member_state(other, i);
		if (so == DBSYNC_MEMBER_FAILED) {
			const dbsync_error *e = dbsync_fleet_member_error(other, i);
			if (e->code != DBSYNC_ELOCKED)
				fail_msg("%s failed in the other run: %s", fs.names[i], e->message);
			assert_error_names(other, i, t);
			locked++;
		} else {
			assert_int_equal(so, DBSYNC_MEMBER_IN_SYNC);
			assert_int_equal(dbsync_plan_op_count(dbsync_fleet_member_plan(other, i)), 0);
		}
		assert_converged(ctx, t, fs.names[i], desired);
		assert_rows_kept(ctx, t, fs.names[i], d[i] == NO_TABLE);
	}
	/* a run fails only for members the other run held */
	assert_int_equal(r1.rc == 0 && r2.rc == 0, locked == 0);
	dbsync_fleet_free(f1);
	dbsync_fleet_free(f2);
	dbsync_schema_free(desired);
}

static void concurrent_pg(void **state) { concurrent(*state, &pg_target); }
static void concurrent_mysql(void **state) { concurrent(*state, &my_target); }

/* ---- a connection lost mid-fleet ---- */

/* The server-side session of conn ends (killed from another connection);
 * returns when the server no longer lists it. */
static void kill_session(dbsync_ctx *ctx, const target *t, dbsync_conn *admin, dbsync_conn *conn)
{
	char sql[256];
	bool pg = t->dialect == DBSYNC_DIALECT_POSTGRES;
	int64_t id = query_int(ctx, conn, pg ? "SELECT pg_backend_pid()" : "SELECT CONNECTION_ID()");
	snprintf(sql, sizeof sql, pg ? "SELECT pg_terminate_backend(%lld)::int" : "KILL %lld", (long long)id);
	if (pg)
		query_int(ctx, admin, sql);
	else
		exec_ok(ctx, admin, sql);
	snprintf(sql, sizeof sql, pg ? "SELECT COUNT(*) FROM pg_stat_activity WHERE pid = %lld"
		: "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = %lld", (long long)id);
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	while (query_int(ctx, admin, sql) != 0)
		nanosleep(&pause, NULL);
}

/* No new session of the lost connection's user can start (PostgreSQL: the
 * program's database takes no connection; MariaDB: the user is locked), or
 * they can again. */
static void block_logins(dbsync_ctx *ctx, const target *t, dbsync_conn *admin, bool block)
{
	char sql[256];
	if (t->dialect == DBSYNC_DIALECT_MYSQL) {
		snprintf(sql, sizeof sql, "ALTER USER '%s_lost'@'localhost' ACCOUNT %s", t->server.db,
			block ? "LOCK" : "UNLOCK");
		exec_ok(ctx, admin, sql);
		return;
	}
	/* from another database: a session cannot close its own to new ones */
	dbsync_conn *maint = NULL;
	const char *keys[] = { "name", "user", "host" };
	const char *vals[] = { "postgres", "dbsync", t->server.dir };
	if (dbsync_conn_open_params(&maint, ctx, t->dialect, keys, vals, 3))
		fail_msg("open: %s", dbsync_ctx_error(ctx)->message);
	snprintf(sql, sizeof sql, "ALTER DATABASE %s ALLOW_CONNECTIONS %s", t->server.db, block ? "false" : "true");
	exec_ok(ctx, maint, sql);
	dbsync_conn_close(maint);
}

/* The user of the connection that gets lost: on MariaDB one of its own, so
 * locking it out leaves the suite's root alone. */
static const char *lost_user(dbsync_ctx *ctx, const target *t, dbsync_conn *admin)
{
	static char user[80];
	if (t->dialect == DBSYNC_DIALECT_POSTGRES)
		return NULL;
	snprintf(user, sizeof user, "%s_lost", t->server.db);
	char sql[512];
	snprintf(sql, sizeof sql, "DROP USER IF EXISTS '%s'@'localhost'; CREATE USER '%s'@'localhost'; "
		"GRANT ALL ON *.* TO '%s'@'localhost'", user, user, user);
	exec_ok(ctx, admin, sql);
	return user;
}

static void lost_connection(dbsync_ctx *ctx, target *t)
{
	static const drift d[MEMBERS] = { NO_COLUMN, NO_COLUMN, NO_COLUMN, NO_COLUMN, NO_COLUMN, NO_COLUMN };
	dbsync_schema *desired = parse_desired(ctx, t, NULL);
	dbsync_conn *admin = open_on(ctx, t, NULL);
	const char *user = lost_user(ctx, t, admin);
	fleet_set fs;

	/* 1. lost before the first member, and reconnected: that member fails,
	 * the same connection applies the others */
	make_set(ctx, t, &fs, "lost1", 4, d, NULL);
	dbsync_fleet *f = plan_set(ctx, t, &fs, desired);
	dbsync_conn *conn = open_as(ctx, t, NULL, user, false);
	kill_session(ctx, t, admin, conn);
	assert_int_equal(dbsync_fleet_apply(ctx, f, &conn, 1, NULL), DBSYNC_ERROR);
	dbsync_ctx_clear_error(ctx);
	assert_int_equal(dbsync_fleet_member_state(f, 0), DBSYNC_MEMBER_FAILED);
	assert_error_names(f, 0, t);
	for (size_t i = 1; i < 4; i++) {
		assert_int_equal(dbsync_fleet_member_state(f, i), DBSYNC_MEMBER_CHANGED);
		assert_converged(ctx, t, fs.names[i], desired);
	}
	dbsync_conn_close(conn);
	dbsync_fleet_free(f);

	/* 2. lost for good: its member fails, and with no other connection the
	 * rest are not run */
	make_set(ctx, t, &fs, "lost2", 4, d, NULL);
	f = plan_set(ctx, t, &fs, desired);
	conn = open_as(ctx, t, NULL, user, false);
	block_logins(ctx, t, admin, true);
	kill_session(ctx, t, admin, conn);
	int rc = dbsync_fleet_apply(ctx, f, &conn, 1, NULL);
	block_logins(ctx, t, admin, false);
	assert_int_equal(rc, DBSYNC_ERROR);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "3 not run"));
	dbsync_ctx_clear_error(ctx);
	assert_int_equal(dbsync_fleet_member_state(f, 0), DBSYNC_MEMBER_FAILED);
	assert_error_names(f, 0, t);
	for (size_t i = 1; i < 4; i++) {
		assert_int_equal(dbsync_fleet_member_state(f, i), DBSYNC_MEMBER_NOT_RUN);
		assert_false(has_column(ctx, t, fs.names[i], "author", "email"));
	}
	dbsync_conn_close(conn);
	dbsync_fleet_free(f);

	/* 3. lost for good beside a healthy connection: at most the one member
	 * it took fails, the healthy connection applies every other */
	make_set(ctx, t, &fs, "lost3", MEMBERS, d, NULL);
	f = plan_set(ctx, t, &fs, desired);
	dbsync_conn *conns[2] = { open_as(ctx, t, NULL, user, false), open_on(ctx, t, NULL) };
	block_logins(ctx, t, admin, true);
	kill_session(ctx, t, admin, conns[0]);
	rc = dbsync_fleet_apply(ctx, f, conns, 2, NULL);
	block_logins(ctx, t, admin, false);
	size_t failed = 0;
	for (size_t i = 0; i < MEMBERS; i++) {
		dbsync_member_state s = dbsync_fleet_member_state(f, i);
		if (s == DBSYNC_MEMBER_FAILED) {
			assert_error_names(f, i, t);
			failed++;
			continue;
		}
		assert_int_equal(s, DBSYNC_MEMBER_CHANGED);
		assert_converged(ctx, t, fs.names[i], desired);
	}
	assert_true(failed <= 1);
	assert_int_equal(rc, failed ? DBSYNC_ERROR : 0);
	dbsync_ctx_clear_error(ctx);
	dbsync_conn_close(conns[0]);
	dbsync_conn_close(conns[1]);
	dbsync_fleet_free(f);

	if (user) {
		char sql[160];
		snprintf(sql, sizeof sql, "DROP USER IF EXISTS '%s'@'localhost'", user);
		exec_ok(ctx, admin, sql);
	}
	dbsync_conn_close(admin);
	dbsync_schema_free(desired);
}

static void lost_connection_pg(void **state) { lost_connection(*state, &pg_target); }
static void lost_connection_mysql(void **state) { lost_connection(*state, &my_target); }

#define BOTH(fn) \
	cmocka_unit_test_setup_teardown(fn##_pg, ctx_setup, ctx_teardown), \
	cmocka_unit_test_setup_teardown(fn##_mysql, ctx_setup, ctx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(converge),
		BOTH(failing_member),
		BOTH(fail_fast),
		BOTH(refusals),
		BOTH(stale),
		BOTH(locked),
		BOTH(concurrent),
		BOTH(lost_connection),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
