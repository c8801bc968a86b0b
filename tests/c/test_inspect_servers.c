/* Inspection on the throwaway PostgreSQL and MariaDB servers (each started
 * once for this binary, skipped when its script is not configured): the
 * inventory's sizes, views and fixed catalog cost, invalid views (MariaDB: its
 * table is gone; PostgreSQL: the role may not read it),
 * model source with comments, dropping orphans in a foreign key cycle, and
 * one table's JSON with an exclusion constraint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "dbsync/dbsync.h"
#include "test_support.h"

#define PG_PASSWORD "Inspect-Pw-55a1" /* given to pg-server.sh for pg.pw_user */
static test_server pg, my;
static bool have_pg, have_my;

static int group_setup(void **state)
{
	(void)state;
	setenv("DBSYNC_PG_PASSWORD", PG_PASSWORD, 1);
	if (getenv(TEST_PG_SERVER.script_env)) {
		if (test_server_open_db(&pg, &TEST_PG_SERVER))
			return -1;
		have_pg = !pg.absent;
	}
	if (getenv(TEST_MARIADB_SERVER.script_env)) {
		if (test_server_open_db(&my, &TEST_MARIADB_SERVER))
			return -1;
		have_my = !my.absent;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	int rc = 0;
	if (getenv(TEST_PG_SERVER.script_env) && test_server_stop(&pg))
		rc = -1;
	if (getenv(TEST_MARIADB_SERVER.script_env) && test_server_stop(&my))
		rc = -1;
	return rc;
}

static dbsync_conn *open_url(dbsync_ctx *ctx, const char *url)
{
	dbsync_conn *conn = NULL;
	if (dbsync_conn_open_url(&conn, ctx, url))
		fail_msg("connect: %s", dbsync_ctx_error(ctx)->message);
	return conn;
}

static json_t *inventory(dbsync_ctx *ctx, dbsync_conn *conn, const char *const *owned, size_t n, uint64_t *queries)
{
	dbsync_inventory_options o = DBSYNC_INVENTORY_OPTIONS_INIT;
	o.owned = owned;
	o.n_owned = n;
	char *text = NULL;
	dbsync_conn_reset_counters(conn);
	if (dbsync_conn_inventory(&text, ctx, conn, &o))
		fail_msg("inventory: %s", dbsync_ctx_error(ctx)->message);
	*queries = dbsync_conn_catalog_queries(conn);
	json_t *doc = json_loads(text, 0, NULL);
	dbsync_free(text);
	assert_non_null(doc);
	return doc;
}

static json_t *named(json_t *arr, const char *name)
{
	size_t i;
	json_t *e;
	json_array_foreach(arr, i, e)
		if (strcmp(json_string_value(json_object_get(e, "name")), name) == 0)
			return e;
	fail_msg("no entry %s", name);
	return NULL;
}

/* The shared scenario: a model table, two orphans in a foreign key cycle with
 * rows, a view; the cycle's second key is added afterwards as each server
 * wants it. */
static void scenario(dbsync_ctx *ctx, dbsync_conn *conn, bool mysql)
{
	exec_ok(ctx, conn, "DROP VIEW IF EXISTS cyc_view");
	exec_ok(ctx, conn, mysql ? "SET FOREIGN_KEY_CHECKS = 0" : "SELECT 1");
	exec_ok(ctx, conn, mysql ? "DROP TABLE IF EXISTS cyc_a, cyc_b, app_thing" : "DROP TABLE IF EXISTS cyc_a, cyc_b, app_thing CASCADE");
	exec_ok(ctx, conn, mysql ? "SET FOREIGN_KEY_CHECKS = 1" : "SELECT 1");
	exec_ok(ctx, conn, "CREATE TABLE app_thing (id integer NOT NULL PRIMARY KEY)");
	exec_ok(ctx, conn, "CREATE TABLE cyc_a (id integer NOT NULL PRIMARY KEY, b_id integer NULL, label varchar(20) NULL)");
	exec_ok(ctx, conn, "CREATE TABLE cyc_b (id integer NOT NULL PRIMARY KEY, a_id integer NULL, "
		"CONSTRAINT cyc_b_a FOREIGN KEY (a_id) REFERENCES cyc_a (id))");
	exec_ok(ctx, conn, "ALTER TABLE cyc_a ADD CONSTRAINT cyc_a_b FOREIGN KEY (b_id) REFERENCES cyc_b (id)");
	exec_ok(ctx, conn, "INSERT INTO cyc_a (id, label) VALUES (1, 'one'), (2, 'two')");
	exec_ok(ctx, conn, "INSERT INTO cyc_b (id, a_id) VALUES (1, 1)");
	exec_ok(ctx, conn, "UPDATE cyc_a SET b_id = 1 WHERE id = 2");
	exec_ok(ctx, conn, "CREATE VIEW cyc_view AS SELECT id, label FROM cyc_a");
}

static void inventory_and_drop(dbsync_ctx *ctx, dbsync_conn *conn, bool mysql)
{
	scenario(ctx, conn, mysql);
	const char *owned[] = { "app_thing" };
	uint64_t q1, q2;
	json_t *doc = inventory(ctx, conn, owned, 1, &q1);
	json_t *tables = json_object_get(doc, "tables");
	json_t *a = named(tables, "cyc_a");
	assert_true(json_is_true(json_object_get(a, "orphan")));
	assert_int_equal(json_integer_value(json_object_get(a, "rows")), 2);
	assert_true(json_integer_value(json_object_get(a, "bytes")) > 0);
	assert_true(json_is_true(json_object_get(named(tables, "app_thing"), "owned")));
	json_t *v = named(json_object_get(doc, "views"), "cyc_view");
	assert_true(json_is_true(json_object_get(v, "valid")));
	assert_int_equal(json_integer_value(json_object_get(v, "columns")), 2);
	json_decref(doc);
	/* eight more orphans cost eight row counts, nothing else */
	for (int i = 0; i < 8; i++) {
		char sql[120];
		snprintf(sql, sizeof sql, "CREATE TABLE extra_%d (id integer NOT NULL PRIMARY KEY)", i);
		exec_ok(ctx, conn, sql);
	}
	doc = inventory(ctx, conn, owned, 1, &q2);
	assert_int_equal(q2, q1 + 8);
	json_decref(doc);
	for (int i = 0; i < 8; i++) {
		char sql[120];
		snprintf(sql, sizeof sql, "DROP TABLE extra_%d", i);
		exec_ok(ctx, conn, sql);
	}
	exec_ok(ctx, conn, "DROP VIEW cyc_view");
	/* the cycle: a key goes first, then both tables */
	const char *drops[] = { "cyc_a", "cyc_b" };
	dbsync_plan_options o = DBSYNC_PLAN_OPTIONS_INIT;
	o.drop_tables = drops;
	o.n_drop_tables = 2;
	dbsync_schema *desired = NULL;
	dbsync_plan *plan = NULL;
	assert_int_equal(dbsync_schema_parse(&desired, ctx, dbsync_conn_dialect(conn), "", 0), 0);
	if (dbsync_plan_compute(&plan, ctx, conn, desired, &o))
		fail_msg("plan: %s", dbsync_ctx_error(ctx)->message);
	assert_int_equal(dbsync_plan_pending_count(plan), 2);
	const dbsync_op *first = dbsync_plan_op(plan, 0);
	assert_int_equal(first->n_sql, 2); /* ALTER TABLE ... DROP (FOREIGN KEY|CONSTRAINT), DROP TABLE */
	assert_non_null(strstr(first->sql[0], "ALTER TABLE"));
	if (dbsync_plan_apply(ctx, conn, plan, NULL))
		fail_msg("apply: %s", dbsync_ctx_error(ctx)->message);
	dbsync_plan_free(plan);
	dbsync_schema_free(desired);
	int64_t n;
	assert_int_not_equal(dbsync_conn_count_rows(&n, ctx, conn, "cyc_a"), 0);
	assert_int_not_equal(dbsync_conn_count_rows(&n, ctx, conn, "cyc_b"), 0);
	assert_int_equal(dbsync_conn_count_rows(&n, ctx, conn, "app_thing"), 0);
}

static void postgres_inventory_and_cycle_drop(void **state)
{
	if (!have_pg)
		skip();
	dbsync_ctx *ctx = *state;
	dbsync_conn *conn = open_url(ctx, pg.url);
	inventory_and_drop(ctx, conn, false);
	dbsync_conn_close(conn);
}

static void mariadb_inventory_and_cycle_drop(void **state)
{
	if (!have_my)
		skip();
	dbsync_ctx *ctx = *state;
	dbsync_conn *conn = open_url(ctx, my.url);
	inventory_and_drop(ctx, conn, true);
	dbsync_conn_close(conn);
}

/* PostgreSQL keeps a view's tables alive; what makes one unreadable is the
 * role. A view the connecting role may not SELECT is listed invalid, naming it. */
static void postgres_unreadable_view_is_listed_not_fatal(void **state)
{
	if (!have_pg)
		skip();
	dbsync_ctx *ctx = *state;
	dbsync_conn *admin = open_url(ctx, pg.url);
	exec_ok(ctx, admin, "DROP VIEW IF EXISTS secret_view; DROP VIEW IF EXISTS open_view; "
		"DROP TABLE IF EXISTS secret_t; CREATE TABLE secret_t (id integer PRIMARY KEY); "
		"CREATE VIEW secret_view AS SELECT id FROM secret_t; CREATE VIEW open_view AS SELECT 1 AS one");
	char sql[128], url[600];
	snprintf(sql, sizeof sql, "GRANT SELECT ON open_view TO %s", pg.pw_user);
	exec_ok(ctx, admin, sql);
	snprintf(url, sizeof url, "postgresql://%s:%s@/%s?host=%s", pg.pw_user, PG_PASSWORD, pg.db, pg.dir);
	dbsync_conn *conn = open_url(ctx, url);
	uint64_t q;
	json_t *doc = inventory(ctx, conn, NULL, 0, &q);
	json_t *views = json_object_get(doc, "views");
	json_t *secret = named(views, "secret_view");
	assert_true(json_is_false(json_object_get(secret, "valid")));
	assert_non_null(strstr(json_string_value(json_object_get(secret, "error")), "secret_view"));
	assert_true(json_is_true(json_object_get(named(views, "open_view"), "valid")));
	/* an orphan it may not read is still listed, its count explained */
	json_t *t = named(json_object_get(doc, "tables"), "secret_t");
	assert_true(json_is_null(json_object_get(t, "rows")));
	assert_non_null(strstr(json_string_value(json_object_get(t, "rows_error")), "secret_t"));
	json_decref(doc);
	dbsync_conn_close(conn);
	exec_ok(ctx, admin, "DROP VIEW secret_view; DROP VIEW open_view; DROP TABLE secret_t");
	dbsync_conn_close(admin);
}

/* A view can still lose its table on PostgreSQL: through a PL/pgSQL function,
 * whose body the server does not track. Only reading the view tells. */
static void postgres_view_over_a_lost_table_is_listed_not_fatal(void **state)
{
	if (!have_pg)
		skip();
	dbsync_ctx *ctx = *state;
	dbsync_conn *conn = open_url(ctx, pg.url);
	exec_ok(ctx, conn, "DROP VIEW IF EXISTS lost_view; DROP VIEW IF EXISTS kept_view; "
		"DROP FUNCTION IF EXISTS lost_rows(); "
		"CREATE TABLE lost_t (id integer NOT NULL PRIMARY KEY); "
		"CREATE FUNCTION lost_rows() RETURNS TABLE (id integer) LANGUAGE plpgsql "
		"AS $$ BEGIN RETURN QUERY SELECT t.id FROM lost_t t; END $$; "
		"CREATE VIEW lost_view AS SELECT id FROM lost_rows(); "
		"CREATE VIEW kept_view AS SELECT 1 AS one; DROP TABLE lost_t");
	uint64_t q;
	json_t *doc = inventory(ctx, conn, NULL, 0, &q);
	json_t *views = json_object_get(doc, "views");
	json_t *v = named(views, "lost_view");
	assert_true(json_is_false(json_object_get(v, "valid")));
	const char *why = json_string_value(json_object_get(v, "error"));
	assert_non_null(strstr(why, "lost_view"));
	assert_non_null(strstr(why, "lost_t"));
	assert_true(json_is_true(json_object_get(named(views, "kept_view"), "valid")));
	json_decref(doc);
	dbsync_models_options o = DBSYNC_MODELS_OPTIONS_INIT;
	const char *names[] = { "lost_view", "kept_view" };
	o.tables = names;
	o.n_tables = 2;
	char *src = NULL;
	assert_int_equal(dbsync_conn_models_source(&src, ctx, conn, &o), 0);
	assert_non_null(strstr(src, "# No model for lost_view:"));
	assert_non_null(strstr(src, "class KeptView(models.Model):"));
	dbsync_free(src);
	exec_ok(ctx, conn, "DROP VIEW lost_view; DROP VIEW kept_view; DROP FUNCTION lost_rows()");
	dbsync_conn_close(conn);
}

static void mariadb_invalid_view_is_listed_not_fatal(void **state)
{
	if (!have_my)
		skip();
	dbsync_ctx *ctx = *state;
	dbsync_conn *conn = open_url(ctx, my.url);
	exec_ok(ctx, conn, "DROP VIEW IF EXISTS lost_view");
	exec_ok(ctx, conn, "CREATE TABLE lost_t (id integer NOT NULL PRIMARY KEY)");
	exec_ok(ctx, conn, "CREATE VIEW lost_view AS SELECT id FROM lost_t");
	exec_ok(ctx, conn, "DROP TABLE lost_t");
	uint64_t q;
	json_t *doc = inventory(ctx, conn, NULL, 0, &q);
	json_t *v = named(json_object_get(doc, "views"), "lost_view");
	assert_true(json_is_false(json_object_get(v, "valid")));
	assert_non_null(strstr(json_string_value(json_object_get(v, "error")), "lost_view"));
	json_decref(doc);
	dbsync_models_options o = DBSYNC_MODELS_OPTIONS_INIT;
	const char *names[] = { "lost_view" };
	o.tables = names;
	o.n_tables = 1;
	char *src = NULL;
	assert_int_equal(dbsync_conn_models_source(&src, ctx, conn, &o), 0);
	assert_non_null(strstr(src, "# No model for lost_view:"));
	dbsync_free(src);
	exec_ok(ctx, conn, "DROP VIEW lost_view");
	dbsync_conn_close(conn);
}

static void comments_reach_the_models(dbsync_ctx *ctx, dbsync_conn *conn, const char *const *ddl, size_t n,
	const char *table_comment)
{
	for (size_t i = 0; i < n; i++)
		exec_ok(ctx, conn, ddl[i]);
	dbsync_models_options o = DBSYNC_MODELS_OPTIONS_INIT;
	const char *names[] = { "noted" };
	o.tables = names;
	o.n_tables = 1;
	char *src = NULL;
	if (dbsync_conn_models_source(&src, ctx, conn, &o))
		fail_msg("models_source: %s", dbsync_ctx_error(ctx)->message);
	assert_non_null(strstr(src, "db_comment='the label'"));
	assert_non_null(strstr(src, table_comment));
	assert_non_null(strstr(src, "label = models.CharField(max_length=30"));
	dbsync_free(src);
	exec_ok(ctx, conn, "DROP TABLE noted");
}

static void postgres_comments(void **state)
{
	if (!have_pg)
		skip();
	dbsync_ctx *ctx = *state;
	dbsync_conn *conn = open_url(ctx, pg.url);
	const char *ddl[] = {
		"CREATE TABLE noted (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, label varchar(30))",
		"COMMENT ON TABLE noted IS 'kept by hand'",
		"COMMENT ON COLUMN noted.label IS 'the label'",
	};
	comments_reach_the_models(ctx, conn, ddl, 3, "db_table_comment = 'kept by hand'");
	dbsync_conn_close(conn);
}

static void mariadb_comments(void **state)
{
	if (!have_my)
		skip();
	dbsync_ctx *ctx = *state;
	dbsync_conn *conn = open_url(ctx, my.url);
	const char *ddl[] = {
		"CREATE TABLE noted (id bigint AUTO_INCREMENT PRIMARY KEY, label varchar(30) COMMENT 'the label') "
		"COMMENT 'kept by hand'",
	};
	comments_reach_the_models(ctx, conn, ddl, 1, "db_table_comment = 'kept by hand'");
	dbsync_conn_close(conn);
}

/* One table's JSON on PostgreSQL: an exclusion constraint's definition as
 * the DDL writes it, rendered by the core from the catalog's reading. */
static void postgres_table_json_exclusion(void **state)
{
	if (!have_pg)
		skip();
	dbsync_ctx *ctx = *state;
	dbsync_conn *conn = open_url(ctx, pg.url);
	exec_ok(ctx, conn, "DROP TABLE IF EXISTS stay; CREATE TABLE stay (id integer NOT NULL PRIMARY KEY, "
		"span int4range NOT NULL, CONSTRAINT stay_no_overlap EXCLUDE USING gist (span WITH &&) "
		"DEFERRABLE)");
	char *text = NULL;
	if (dbsync_conn_table_json(&text, ctx, conn, "stay"))
		fail_msg("table_json: %s", dbsync_ctx_error(ctx)->message);
	json_t *doc = json_loads(text, 0, NULL);
	dbsync_free(text);
	assert_non_null(doc);
	json_t *excl = json_object_get(doc, "exclusions");
	assert_int_equal(json_array_size(excl), 1);
	json_t *e = json_array_get(excl, 0);
	assert_string_equal(json_string_value(json_object_get(e, "name")), "stay_no_overlap");
	assert_string_equal(json_string_value(json_object_get(e, "definition")),
		"EXCLUDE USING gist (\"span\" WITH &&)");
	assert_true(json_is_true(json_object_get(e, "deferrable")));
	json_decref(doc);
	exec_ok(ctx, conn, "DROP TABLE stay");
	dbsync_conn_close(conn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(postgres_inventory_and_cycle_drop, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(mariadb_inventory_and_cycle_drop, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(postgres_unreadable_view_is_listed_not_fatal, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(postgres_view_over_a_lost_table_is_listed_not_fatal, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(mariadb_invalid_view_is_listed_not_fatal, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(postgres_comments, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(mariadb_comments, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(postgres_table_json_exclusion, ctx_setup, ctx_teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
