/* Retries of transient failures against real databases: a second connection
 * holds a lock that a thread releases a little later, and apply gets through
 * once it is released (attempts > 1); a lost connection is reconnected; a
 * permanent error is reported at once, with the database's own code. */
#include <pthread.h>
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

#include "backend.h"
#include "retry.h"
#include "test_support.h"
#ifdef DBSYNC_HAVE_POSTGRES
#include "backend_postgres.h"
#endif
#ifdef DBSYNC_HAVE_MYSQL
#include "backend_mysql.h"
#endif

/* What differs per backend. */
typedef struct backend_case {
	dbsync_dialect dialect;
	dbsync_conn *(*open)(dbsync_ctx *ctx);
	const char *live;          /* the table as it is */
	const char *add_column;    /* desired: one more column */
	const char *add_unique;    /* desired: a unique index the duplicates refuse */
	const char *hold;          /* run on a second connection: takes a lock the ALTER waits for */
	const char *release;
	unsigned lock_timeout_ms;
	unsigned release_after_ms;
	const char *lock_sqlstate; /* what the timed-out wait reports */
	int lock_native;
	const char *dup_sqlstate;  /* what the unique index reports */
	int dup_native;
	/* SQL that kills the session of `victim` (NULL: the backend cannot lose it) */
	void (*kill_sql)(char *out, size_t cap, dbsync_conn *victim);
	/* SQL counting the sessions of `victim` still on the server (0 once it is gone) */
	void (*alive_sql)(char *out, size_t cap, dbsync_conn *victim);
} backend_case;

static const backend_case *current;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static dbsync_schema *parse_ok(dbsync_ctx *ctx, dbsync_dialect d, const char *sql)
{
	dbsync_schema *s = NULL;
	if (dbsync_schema_parse(&s, ctx, d, sql, strlen(sql)))
		fail_msg("parse: %s", dbsync_ctx_error(ctx)->message);
	return s;
}

static dbsync_plan *plan_ok(dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_schema *desired)
{
	dbsync_plan *p = NULL;
	if (dbsync_plan_compute(&p, ctx, conn, desired, NULL))
		fail_msg("plan: %s", dbsync_ctx_error(ctx)->message);
	assert_int_equal(dbsync_plan_pending_count(p), 1);
	return p;
}

static const dbsync_op *the_op(const dbsync_plan *p)
{
	for (size_t i = 0; i < dbsync_plan_op_count(p); i++) {
		const dbsync_op *op = dbsync_plan_op(p, i);
		if (op->status != DBSYNC_STATUS_SKIPPED && op->status != DBSYNC_STATUS_REFUSED)
			return op;
	}
	fail_msg("no operation");
	return NULL;
}

static void reset_table(dbsync_ctx *ctx, dbsync_conn *conn)
{
	exec_ok(ctx, conn, "DROP TABLE IF EXISTS t");
	exec_ok(ctx, conn, current->live);
}

/* ---- a lock released from another thread ---- */

typedef struct releaser {
	dbsync_conn *holder;
	unsigned after_ms;
	int rc;
	pthread_t thread;
} releaser;

static void *release_later(void *arg)
{
	releaser *r = arg;
	dbs_sleep_ms(r->after_ms);
	dbsync_ctx *ctx = NULL;
	if (dbsync_ctx_new(&ctx))
		return NULL;
	r->rc = dbsync_conn_exec(ctx, r->holder, current->release);
	dbsync_ctx_free(ctx);
	return NULL;
}

static void lock_conflict_is_retried_until_released(void **state)
{
	dbsync_ctx *ctx = *state;
	if (!current->open)
		skip();
	dbsync_conn *conn = current->open(ctx), *holder = current->open(ctx);
	reset_table(ctx, conn);
	dbsync_schema *desired = parse_ok(ctx, current->dialect, current->add_column);
	dbsync_plan *p = plan_ok(ctx, conn, desired);
	exec_ok(ctx, holder, current->hold);
	releaser r = { holder, current->release_after_ms, -1, 0 };
	assert_int_equal(pthread_create(&r.thread, NULL, release_later, &r), 0);
	dbsync_apply_options o = DBSYNC_APPLY_OPTIONS_INIT;
	/* The other thread releases the lock after release_after_ms; the retries
	 * outlast that many times over (100 x (lock timeout + up to 200 ms): 30 s
	 * and more), so a thread slowed by a loaded machine still finds the apply
	 * retrying. Whether it took more than one attempt is what is asserted. */
	o.max_retries = 100;
	o.retry_base_ms = 50;
	o.retry_max_ms = 200;
	o.lock_timeout_ms = current->lock_timeout_ms;
	double t0 = now_ms();
	int rc = dbsync_plan_apply(ctx, conn, p, &o);
	double took = now_ms() - t0;
	pthread_join(r.thread, NULL);
	assert_int_equal(r.rc, 0);
	if (rc)
		fail_msg("apply failed: %s", dbsync_ctx_error(ctx)->message);
	const dbsync_op *op = the_op(p);
	assert_int_equal(op->status, DBSYNC_STATUS_APPLIED);
	assert_true(op->attempts > 1);
	/* it got through only once the lock was gone */
	assert_true(took >= current->release_after_ms);
	/* the failure it got past is kept, with the database's own code */
	if (current->dialect != DBSYNC_DIALECT_SQLITE) {
		assert_non_null(op->error);
		if (current->lock_sqlstate)
			assert_string_equal(op->error_sqlstate, current->lock_sqlstate);
		if (current->lock_native)
			assert_int_equal(op->error_native, current->lock_native);
	}
	assert_true(op->elapsed_ms >= 0);
	dbsync_plan_free(p);
	dbsync_schema_free(desired);
	dbsync_conn_close(holder);
	dbsync_conn_close(conn);
}

static void lock_conflict_without_retries_fails_transient(void **state)
{
	dbsync_ctx *ctx = *state;
	if (!current->open)
		skip();
	dbsync_conn *conn = current->open(ctx), *holder = current->open(ctx);
	reset_table(ctx, conn);
	dbsync_schema *desired = parse_ok(ctx, current->dialect, current->add_column);
	dbsync_plan *p = plan_ok(ctx, conn, desired);
	exec_ok(ctx, holder, current->hold);
	dbsync_apply_options o = DBSYNC_APPLY_OPTIONS_INIT;
	o.lock_timeout_ms = current->lock_timeout_ms;
	int rc = dbsync_plan_apply(ctx, conn, p, &o);
	assert_int_not_equal(rc, 0);
	const dbsync_error *e = dbsync_ctx_error(ctx);
	assert_true(dbsync_error_is_transient(current->dialect, e->sqlstate, e->native_code));
	exec_ok(ctx, holder, current->release);
	/* nothing was left half done: the same plan goes through now */
	dbsync_plan_free(p);
	p = plan_ok(ctx, conn, desired);
	if (dbsync_plan_apply(ctx, conn, p, &o))
		fail_msg("apply after release failed: %s", dbsync_ctx_error(ctx)->message);
	assert_int_equal(the_op(p)->attempts, 1);
	dbsync_plan_free(p);
	dbsync_schema_free(desired);
	dbsync_conn_close(holder);
	dbsync_conn_close(conn);
}

static void permanent_error_is_not_retried(void **state)
{
	dbsync_ctx *ctx = *state;
	if (!current->open)
		skip();
	dbsync_conn *conn = current->open(ctx);
	reset_table(ctx, conn);
	dbsync_schema *desired = parse_ok(ctx, current->dialect, current->add_unique);
	dbsync_plan *p = plan_ok(ctx, conn, desired);
	/* duplicates arrive after the plan (which would have refused them):
	 * the data changed, not the schema, so only the database can say no */
	exec_ok(ctx, conn, "UPDATE t SET name = 'a'");
	dbsync_apply_options o = DBSYNC_APPLY_OPTIONS_INIT;
	o.max_retries = 5;
	int rc = dbsync_plan_apply(ctx, conn, p, &o);
	assert_int_equal(rc, DBSYNC_EDB);
	const dbsync_op *op = the_op(p);
	assert_int_equal(op->status, DBSYNC_STATUS_FAILED);
	assert_int_equal(op->attempts, 1); /* tried once: no retry, whatever the clock says */
	assert_non_null(op->error);
	if (current->dup_sqlstate)
		assert_string_equal(op->error_sqlstate, current->dup_sqlstate);
	if (current->dup_native)
		assert_int_equal(op->error_native & (current->dialect == DBSYNC_DIALECT_SQLITE ? 0xff : ~0),
			current->dup_native);
	/* the real database error, on the op and in the message naming it */
	const dbsync_error *e = dbsync_ctx_error(ctx);
	assert_non_null(strstr(e->message, op->summary));
	assert_false(dbsync_error_is_transient(current->dialect, e->sqlstate, e->native_code));
	dbsync_plan_free(p);
	dbsync_schema_free(desired);
	dbsync_conn_close(conn);
}

/* ---- a connection lost in the middle ---- */

typedef struct killer {
	dbsync_conn *victim, *killer;
	int kills;
	int calls;
} killer;

static int kill_before_first_op(void *user, size_t done, size_t total, const dbsync_op *op, int finished)
{
	killer *k = user;
	(void)done;
	(void)total;
	(void)op;
	k->calls++;
	if (finished || k->kills)
		return 0;
	char sql[128], alive[192];
	current->kill_sql(sql, sizeof sql, k->victim);
	current->alive_sql(alive, sizeof alive, k->victim);
	dbsync_ctx *ctx = NULL;
	if (dbsync_ctx_new(&ctx))
		return 1;
	int rc = dbsync_conn_exec(ctx, k->killer, sql);
	k->kills++;
	/* The kill returns before the server has closed the session: wait until
	 * the server says it is gone, so the next statement surely finds it lost.
	 * The bound only keeps a broken server from hanging the test. */
	int64_t n = 1;
	for (int i = 0; !rc && n > 0 && i < 6000; i++) {
		rc = k->killer->backend->query_int64(&n, ctx, k->killer, alive);
		if (!rc && n > 0)
			dbs_sleep_ms(10);
	}
	dbsync_ctx_free(ctx);
	return rc || n > 0 ? 1 : 0;
}

static void lost_connection_is_reconnected_and_retried(void **state)
{
	dbsync_ctx *ctx = *state;
	if (!current->open)
		skip();
	assert_non_null(current->kill_sql); /* registered only for backends that can lose a session */
	dbsync_conn *conn = current->open(ctx), *other = current->open(ctx);
	reset_table(ctx, conn);
	dbsync_schema *desired = parse_ok(ctx, current->dialect, current->add_column);
	dbsync_plan *p = plan_ok(ctx, conn, desired);
	killer k = { conn, other, 0, 0 };
	dbsync_apply_options o = DBSYNC_APPLY_OPTIONS_INIT;
	o.max_retries = 3;
	o.retry_base_ms = 50;
	o.progress = kill_before_first_op;
	o.progress_user = &k;
	int rc = dbsync_plan_apply(ctx, conn, p, &o);
	if (rc)
		fail_msg("apply failed: %s", dbsync_ctx_error(ctx)->message);
	assert_int_equal(k.kills, 1);
	const dbsync_op *op = the_op(p);
	assert_int_equal(op->status, DBSYNC_STATUS_APPLIED);
	assert_int_equal(op->attempts, 2);
	/* the connection works afterwards and still syncs the same schema */
	dbsync_plan_free(p);
	p = NULL;
	assert_int_equal(dbsync_plan_compute(&p, ctx, conn, desired, NULL), 0);
	assert_int_equal(dbsync_plan_pending_count(p), 0);
	dbsync_plan_free(p);
	dbsync_schema_free(desired);
	dbsync_conn_close(other);
	dbsync_conn_close(conn);
}

static int progress_calls;
static int count_and_cancel(void *user, size_t done, size_t total, const dbsync_op *op, int finished)
{
	(void)user;
	(void)op;
	assert_int_equal(total, 1);
	assert_int_equal(done, finished ? 1u : 0u);
	progress_calls++;
	return finished; /* cancel after the op ran */
}

static void progress_is_called_and_can_cancel(void **state)
{
	dbsync_ctx *ctx = *state;
	if (!current->open)
		skip();
	dbsync_conn *conn = current->open(ctx);
	reset_table(ctx, conn);
	dbsync_schema *desired = parse_ok(ctx, current->dialect, current->add_column);
	dbsync_plan *p = plan_ok(ctx, conn, desired);
	dbsync_apply_options o = DBSYNC_APPLY_OPTIONS_INIT;
	o.max_retries = 3;
	o.progress = count_and_cancel;
	progress_calls = 0;
	int rc = dbsync_plan_apply(ctx, conn, p, &o);
	assert_int_equal(rc, DBSYNC_ERROR);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "cancelled"));
	/* not retried: a cancel is no transient failure */
	assert_int_equal(progress_calls, 2);
	/* where DDL is transactional the cancel rolled it back */
	dbsync_plan *again = NULL;
	assert_int_equal(dbsync_plan_compute(&again, ctx, conn, desired, NULL), 0);
	assert_int_equal(dbsync_plan_pending_count(again), current->dialect == DBSYNC_DIALECT_MYSQL ? 0u : 1u);
	dbsync_plan_free(again);
	dbsync_plan_free(p);
	dbsync_schema_free(desired);
	dbsync_conn_close(conn);
}

/* ---- classification and backoff ---- */

static void transient_errors_by_code_only(void **state)
{
	(void)state;
	assert_true(dbsync_error_is_transient(DBSYNC_DIALECT_POSTGRES, "40P01", 0));
	assert_true(dbsync_error_is_transient(DBSYNC_DIALECT_POSTGRES, "55P03", 0));
	assert_true(dbsync_error_is_transient(DBSYNC_DIALECT_POSTGRES, "40001", 0));
	assert_true(dbsync_error_is_transient(DBSYNC_DIALECT_POSTGRES, "08006", 0));
	assert_false(dbsync_error_is_transient(DBSYNC_DIALECT_POSTGRES, "23505", 0));
	assert_false(dbsync_error_is_transient(DBSYNC_DIALECT_POSTGRES, "42P01", 0));
	assert_false(dbsync_error_is_transient(DBSYNC_DIALECT_POSTGRES, NULL, 0));
	assert_false(dbsync_error_is_transient(DBSYNC_DIALECT_POSTGRES, "", 1213));
	assert_true(dbsync_error_is_transient(DBSYNC_DIALECT_MYSQL, "40001", 1213));
	assert_true(dbsync_error_is_transient(DBSYNC_DIALECT_MYSQL, NULL, 1205));
	assert_true(dbsync_error_is_transient(DBSYNC_DIALECT_MYSQL, NULL, 2006));
	assert_true(dbsync_error_is_transient(DBSYNC_DIALECT_MYSQL, NULL, 2013));
	assert_false(dbsync_error_is_transient(DBSYNC_DIALECT_MYSQL, "23000", 1062));
	assert_false(dbsync_error_is_transient(DBSYNC_DIALECT_MYSQL, "42S02", 1146));
	assert_true(dbsync_error_is_transient(DBSYNC_DIALECT_SQLITE, NULL, 5));     /* SQLITE_BUSY */
	assert_true(dbsync_error_is_transient(DBSYNC_DIALECT_SQLITE, NULL, 517));   /* SQLITE_BUSY_SNAPSHOT */
	assert_true(dbsync_error_is_transient(DBSYNC_DIALECT_SQLITE, NULL, 6));     /* SQLITE_LOCKED */
	assert_false(dbsync_error_is_transient(DBSYNC_DIALECT_SQLITE, NULL, 2067)); /* CONSTRAINT_UNIQUE */
	assert_false(dbsync_error_is_transient(DBSYNC_DIALECT_SQLITE, NULL, 1));
}

static void backoff_doubles_with_jitter_and_cap(void **state)
{
	(void)state;
	dbs_backoff b;
	dbs_backoff_init(&b, 100, 1000);
	bool varied = false;
	unsigned first = dbs_backoff_delay_ms(&b, 1);
	for (int i = 0; i < 50; i++) {
		unsigned d1 = dbs_backoff_delay_ms(&b, 1), d2 = dbs_backoff_delay_ms(&b, 2),
			d3 = dbs_backoff_delay_ms(&b, 3), d9 = dbs_backoff_delay_ms(&b, 9);
		assert_in_range(d1, 50, 100);
		assert_in_range(d2, 100, 200);
		assert_in_range(d3, 200, 400);
		assert_in_range(d9, 500, 1000);
		varied |= d1 != first;
	}
	assert_true(varied);
}

/* ---- backends ---- */

#ifdef DBSYNC_HAVE_SQLITE
static dbsync_conn *sq_open(dbsync_ctx *ctx)
{
	char url[600];
	snprintf(url, sizeof url, "sqlite:///%s", db_path("retry.db"));
	dbsync_conn *c = NULL;
	if (dbsync_conn_open_url(&c, ctx, url))
		fail_msg("open: %s", dbsync_ctx_error(ctx)->message);
	return c;
}

static const backend_case sqlite_case = {
	.dialect = DBSYNC_DIALECT_SQLITE,
	.open = sq_open,
	.live = "CREATE TABLE t (id integer NOT NULL PRIMARY KEY, name text); "
		"INSERT INTO t VALUES (1, 'a'), (2, 'b');",
	.add_column = "CREATE TABLE t (id integer NOT NULL PRIMARY KEY, name text, age integer);",
	.add_unique = "CREATE TABLE t (id integer NOT NULL PRIMARY KEY, name text); "
		"CREATE UNIQUE INDEX t_name ON t (name);",
	/* a writer's RESERVED lock: BEGIN IMMEDIATE of the apply waits, then SQLITE_BUSY */
	.hold = "BEGIN IMMEDIATE",
	.release = "COMMIT",
	.lock_timeout_ms = 100,
	.release_after_ms = 300,
	.lock_native = 5,
	.dup_native = 19, /* SQLITE_CONSTRAINT */
};
#endif

#ifdef DBSYNC_HAVE_POSTGRES
static test_server pg;

static dbsync_conn *pg_open(dbsync_ctx *ctx)
{
	if (pg.absent)
		skip();
	dbsync_conn *c = NULL;
	if (dbsync_conn_open_url(&c, ctx, pg.url))
		fail_msg("connect: %s", dbsync_ctx_error(ctx)->message);
	return c;
}

static void pg_kill(char *out, size_t cap, dbsync_conn *victim)
{
	snprintf(out, cap, "SELECT pg_catalog.pg_terminate_backend(%d)", PQbackendPID(dbs_pg_handle(victim)));
}

static void pg_alive(char *out, size_t cap, dbsync_conn *victim)
{
	snprintf(out, cap, "SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE pid = %d",
		PQbackendPID(dbs_pg_handle(victim)));
}

static const backend_case pg_case = {
	.dialect = DBSYNC_DIALECT_POSTGRES,
	.open = pg_open,
	.live = "CREATE TABLE t (id integer NOT NULL PRIMARY KEY, name text); "
		"INSERT INTO t VALUES (1, 'a'), (2, 'b');",
	.add_column = "CREATE TABLE t (id integer NOT NULL PRIMARY KEY, name text, age integer);",
	.add_unique = "CREATE TABLE t (id integer NOT NULL PRIMARY KEY, name text); "
		"CREATE UNIQUE INDEX t_name ON t (name);",
	/* an application's open transaction that read the table: ALTER needs ACCESS EXCLUSIVE */
	.hold = "BEGIN; SELECT count(*) FROM t",
	.release = "COMMIT",
	.lock_timeout_ms = 100,
	.release_after_ms = 300,
	.lock_sqlstate = "55P03",
	.dup_sqlstate = "23505",
	.kill_sql = pg_kill,
	.alive_sql = pg_alive,
};

static int pg_setup(void **state)
{
	current = &pg_case;
	(void)state;
	return test_server_open_db(&pg, &TEST_PG_SERVER);
}

static int pg_teardown(void **state)
{
	(void)state;
	return test_server_stop(&pg);
}
#endif

#ifdef DBSYNC_HAVE_MYSQL
static test_server my;

static dbsync_conn *my_open(dbsync_ctx *ctx)
{
	dbsync_conn *c = NULL;
	if (dbsync_conn_open_url(&c, ctx, my.url))
		fail_msg("connect: %s", dbsync_ctx_error(ctx)->message);
	return c;
}

static void my_kill(char *out, size_t cap, dbsync_conn *victim)
{
	snprintf(out, cap, "KILL CONNECTION %lu", mysql_thread_id(dbs_my_db(victim)));
}

static void my_alive(char *out, size_t cap, dbsync_conn *victim)
{
	snprintf(out, cap, "SELECT COUNT(*) FROM information_schema.processlist WHERE id = %lu",
		mysql_thread_id(dbs_my_db(victim)));
}

static const backend_case my_case = {
	.dialect = DBSYNC_DIALECT_MYSQL,
	.open = my_open,
	.live = "CREATE TABLE t (id int NOT NULL PRIMARY KEY, name varchar(20)) ENGINE=InnoDB; "
		"INSERT INTO t VALUES (1, 'a'), (2, 'b');",
	.add_column = "CREATE TABLE t (id int NOT NULL PRIMARY KEY, name varchar(20), age int) ENGINE=InnoDB;",
	.add_unique = "CREATE TABLE t (id int NOT NULL PRIMARY KEY, name varchar(20)) ENGINE=InnoDB; "
		"CREATE UNIQUE INDEX t_name ON t (name);",
	/* an open transaction that read the table holds its metadata lock */
	.hold = "START TRANSACTION; SELECT COUNT(*) FROM t",
	.release = "COMMIT",
	.lock_timeout_ms = 1000, /* lock_wait_timeout counts whole seconds */
	.release_after_ms = 1500,
	.lock_native = 1205,
	.dup_native = 1062,
	.kill_sql = my_kill,
	.alive_sql = my_alive,
};

static int my_setup(void **state)
{
	current = &my_case;
	(void)state;
	return test_server_open_db(&my, &TEST_MARIADB_SERVER);
}

static int my_teardown(void **state)
{
	(void)state;
	return test_server_stop(&my);
}
#endif

static int sq_setup(void **state)
{
	(void)state;
#ifdef DBSYNC_HAVE_SQLITE
	current = &sqlite_case;
#endif
	return 0;
}

#define LOCAL_TESTS \
	cmocka_unit_test_setup_teardown(lock_conflict_is_retried_until_released, ctx_setup, ctx_teardown), \
	cmocka_unit_test_setup_teardown(lock_conflict_without_retries_fails_transient, ctx_setup, ctx_teardown), \
	cmocka_unit_test_setup_teardown(permanent_error_is_not_retried, ctx_setup, ctx_teardown), \
	cmocka_unit_test_setup_teardown(progress_is_called_and_can_cancel, ctx_setup, ctx_teardown)
/* a server's session can be lost and reconnected; an SQLite file cannot */
#define BACKEND_TESTS LOCAL_TESTS, \
	cmocka_unit_test_setup_teardown(lost_connection_is_reconnected_and_retried, ctx_setup, ctx_teardown)

int main(void)
{
	int failed = 0;
	if (test_tmpdir_create("dbsync-retry"))
		return 1;
	const struct CMUnitTest unit[] = {
		cmocka_unit_test(transient_errors_by_code_only),
		cmocka_unit_test(backoff_doubles_with_jitter_and_cap),
	};
	failed += cmocka_run_group_tests_name("classification", unit, NULL, NULL);
#ifdef DBSYNC_HAVE_SQLITE
	const struct CMUnitTest sq_tests[] = { LOCAL_TESTS };
	failed += cmocka_run_group_tests_name("sqlite", sq_tests, sq_setup, NULL);
#endif
#ifdef DBSYNC_HAVE_POSTGRES
	const struct CMUnitTest pg_tests[] = { BACKEND_TESTS };
	failed += cmocka_run_group_tests_name("postgresql", pg_tests, pg_setup, pg_teardown);
#endif
#ifdef DBSYNC_HAVE_MYSQL
	const struct CMUnitTest my_tests[] = { BACKEND_TESTS };
	failed += cmocka_run_group_tests_name("mariadb", my_tests, my_setup, my_teardown);
#endif
	test_tmpdir_teardown(NULL);
	return failed;
}
