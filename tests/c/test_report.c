/*
 * Reports and data-loss counts on real SQLite files: the counts the planner
 * puts on data-loss operations (dropped columns, a rebuild that drops columns,
 * counting off), the JSON report's shape (no credentials, context merged,
 * totals, invalid UTF-8), and the HTML page's escaping of hostile names.
 */
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

#define HOSTILE_TABLE "t<script>alert(1)</script>"
#define HOSTILE_COLUMN "c\"&'<img src=x>"

static int group_setup(void **state)
{
	(void)state;
	return test_tmpdir_create("dbsync-report");
}

static dbsync_conn *open_file(dbsync_ctx *ctx, const char *file)
{
	char url[600];
	snprintf(url, sizeof url, "sqlite:///%s", db_path(file));
	dbsync_conn *conn = NULL;
	if (dbsync_conn_open_url(&conn, ctx, url))
		fail_msg("open: %s", dbsync_ctx_error(ctx)->message);
	return conn;
}

static dbsync_plan *plan_for(dbsync_ctx *ctx, dbsync_conn *conn, dbsync_schema **desired, const char *ddl,
	int drop_columns, int count)
{
	dbsync_plan_options opts = DBSYNC_PLAN_OPTIONS_INIT;
	opts.drop_columns = drop_columns;
	opts.count_data_loss = count;
	dbsync_plan *plan = NULL;
	if (dbsync_schema_parse(desired, ctx, DBSYNC_DIALECT_SQLITE, ddl, strlen(ddl)) ||
	    dbsync_plan_compute(&plan, ctx, conn, *desired, &opts))
		fail_msg("plan: %s", dbsync_ctx_error(ctx)->message);
	return plan;
}

static const dbsync_op *find_op(const dbsync_plan *plan, dbsync_op_kind kind, const char *object)
{
	for (size_t i = 0; i < dbsync_plan_op_count(plan); i++) {
		const dbsync_op *op = dbsync_plan_op(plan, i);
		if (op->kind == kind && (!object || (op->object && strcmp(op->object, object) == 0)))
			return op;
	}
	return NULL;
}

/* 4 rows; `note` holds 3 non-null values, the hostile column 2. */
static const char fixture[] =
	"CREATE TABLE \"" HOSTILE_TABLE "\" (id integer PRIMARY KEY, keep text, note text, "
	"\"c\"\"&'<img src=x>\" int);"
	"INSERT INTO \"" HOSTILE_TABLE "\" VALUES (1, 'a', 'x', 1), (2, 'b', NULL, NULL), (3, 'c', 'y', 7), "
	"(4, 'd', 'z', NULL);";
static const char desired_ddl[] =
	"CREATE TABLE \"" HOSTILE_TABLE "\" (id integer PRIMARY KEY, keep text);";

static void test_dropped_columns_are_counted(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_conn *conn = open_file(ctx, "counts.db");
	dbsync_schema *desired = NULL;
	exec_ok(ctx, conn, fixture);
	dbsync_plan *plan = plan_for(ctx, conn, &desired, desired_ddl, 1, 1);
	const dbsync_op *note = find_op(plan, DBSYNC_OP_DROP_COLUMN, "note");
	const dbsync_op *hostile = find_op(plan, DBSYNC_OP_DROP_COLUMN, HOSTILE_COLUMN);
	assert_non_null(note);
	assert_non_null(hostile);
	assert_int_equal(note->risk, DBSYNC_RISK_DATA_LOSS);
	assert_int_equal(note->status, DBSYNC_STATUS_PENDING);
	assert_int_equal(note->affected, 3);
	assert_int_equal(hostile->affected, 2);
	dbsync_plan_free(plan);
	dbsync_schema_free(desired);

	/* skipped drops are counted too: the user decides with the number */
	plan = plan_for(ctx, conn, &desired, desired_ddl, 0, 1);
	note = find_op(plan, DBSYNC_OP_DROP_COLUMN, "note");
	assert_int_equal(note->status, DBSYNC_STATUS_SKIPPED);
	assert_int_equal(note->affected, 3);
	dbsync_plan_free(plan);
	dbsync_schema_free(desired);

	/* counting off: nothing counted */
	plan = plan_for(ctx, conn, &desired, desired_ddl, 1, 0);
	assert_int_equal(find_op(plan, DBSYNC_OP_DROP_COLUMN, "note")->affected, -1);
	const dbsync_op *create = NULL;
	for (size_t i = 0; i < dbsync_plan_op_count(plan); i++)
		if (dbsync_plan_op(plan, i)->risk != DBSYNC_RISK_DATA_LOSS)
			create = dbsync_plan_op(plan, i);
	assert_null(create); /* only the two drops */
	dbsync_plan_free(plan);
	dbsync_schema_free(desired);
	dbsync_conn_close(conn);
}

/* An indexed column cannot be dropped by ALTER TABLE: the rebuild that drops
 * it carries the count, and its detail line names the column's share. */
static void test_rebuild_that_drops_columns_is_counted(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_conn *conn = open_file(ctx, "rebuild.db");
	dbsync_schema *desired = NULL;
	exec_ok(ctx, conn, "CREATE TABLE t (id integer PRIMARY KEY, a text, b int UNIQUE, c text);"
		"CREATE INDEX t_c ON t (c);"
		"INSERT INTO t VALUES (1, 'x', 1, 'p'), (2, 'y', NULL, NULL), (3, NULL, 3, 'q');");
	dbsync_plan *plan = plan_for(ctx, conn, &desired, "CREATE TABLE t (id integer PRIMARY KEY, a text);", 1, 1);
	const dbsync_op *rebuild = find_op(plan, DBSYNC_OP_REBUILD_TABLE, NULL);
	assert_non_null(rebuild);
	assert_int_equal(rebuild->risk, DBSYNC_RISK_DATA_LOSS);
	assert_int_equal(rebuild->affected, 4); /* b: 2 non-null, c: 2 non-null */
	assert_non_null(rebuild->detail);
	assert_non_null(strstr(rebuild->detail, "drop column `b` (2 non-null values)"));
	assert_non_null(strstr(rebuild->detail, "drop column `c` (2 non-null values)"));
	dbsync_plan_free(plan);
	dbsync_schema_free(desired);
	dbsync_conn_close(conn);
}

/* An orphan the caller chose to drop: its rows are counted. */
static void test_dropped_table_rows_are_counted(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_conn *conn = open_file(ctx, "drop.db");
	dbsync_schema *desired = NULL;
	exec_ok(ctx, conn, "CREATE TABLE keep (id integer PRIMARY KEY);"
		"CREATE TABLE \"old rows\" (id integer PRIMARY KEY, v text);"
		"INSERT INTO \"old rows\" VALUES (1, NULL), (2, 'b'), (3, 'c');");
	const char *ddl = "CREATE TABLE keep (id integer PRIMARY KEY);";
	const char *drops[] = { "old rows" };
	dbsync_plan_options opts = DBSYNC_PLAN_OPTIONS_INIT;
	opts.drop_tables = drops;
	opts.n_drop_tables = 1;
	dbsync_plan *plan = NULL;
	assert_int_equal(dbsync_schema_parse(&desired, ctx, DBSYNC_DIALECT_SQLITE, ddl, strlen(ddl)), 0);
	if (dbsync_plan_compute(&plan, ctx, conn, desired, &opts))
		fail_msg("plan: %s", dbsync_ctx_error(ctx)->message);
	const dbsync_op *drop = find_op(plan, DBSYNC_OP_DROP_TABLE, NULL);
	assert_non_null(drop);
	assert_int_equal(drop->risk, DBSYNC_RISK_DATA_LOSS);
	assert_int_equal(drop->affected, 3);
	dbsync_plan_free(plan);
	dbsync_schema_free(desired);
	dbsync_conn_close(conn);
}

static json_t *load(const char *text)
{
	json_error_t err;
	json_t *j = json_loads(text, 0, &err);
	if (!j)
		fail_msg("report is not JSON: %s (line %d)", err.text, err.line);
	return j;
}

static void test_json_report_shape(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_conn *conn = open_file(ctx, "json.db");
	dbsync_schema *desired = NULL;
	exec_ok(ctx, conn, fixture);
	dbsync_plan *plan = plan_for(ctx, conn, &desired, desired_ddl, 0, 1);
	char *text = NULL;
	const char *context = "{\"tool\": \"django-dbsync 0.1.0\", \"mode\": \"dry_run\","
		" \"database\": {\"alias\": \"default\", \"password\": \"hunter2-secret\", \"PASSWORD\": \"hunter2-secret\"},"
		" \"selection\": {\"apps\": [\"shop\"]}, \"models\": {\"" "t<script>alert(1)</script>" "\": \"shop.T\"},"
		" \"totals\": \"the caller cannot replace these\","
		" \"inventory\": {\"version\": 1, \"tables\": [{\"name\": \"old\", \"owned\": false, \"orphan\": true,"
		" \"rows\": 12, \"bytes\": 4096, \"columns\": 2, \"references\": []},"
		" {\"name\": \"shop_t\", \"owned\": true, \"orphan\": false, \"rows\": null, \"bytes\": null, \"columns\": 3,"
		" \"references\": []}],"
		" \"views\": [{\"name\": \"v_bad\", \"columns\": null, \"valid\": false, \"error\": \"view v_bad: no such table\"}]}}";
	assert_int_equal(dbsync_report_json(&text, ctx, plan, conn, context), 0);
	assert_null(strstr(text, "hunter2"));
	json_t *r = load(text);
	assert_int_equal(json_integer_value(json_object_get(r, "report_version")), 1);
	assert_string_equal(json_string_value(json_object_get(r, "tool")), "django-dbsync 0.1.0");
	assert_string_equal(json_string_value(json_object_get(r, "mode")), "dry_run");
	json_t *db = json_object_get(r, "database");
	assert_string_equal(json_string_value(json_object_get(db, "alias")), "default");
	assert_string_equal(json_string_value(json_object_get(db, "vendor")), "sqlite");
	assert_string_equal(json_string_value(json_object_get(db, "server_version")), dbsync_conn_server_version(conn));
	assert_non_null(strstr(json_string_value(json_object_get(db, "target")), "json.db"));
	assert_null(json_object_get(db, "password"));
	assert_null(json_object_get(r, "inventory"));
	assert_true(json_is_true(json_object_get(r, "inventory_read")));
	assert_null(json_object_get(r, "models"));
	json_t *ops = json_object_get(r, "operations");
	assert_int_equal(json_array_size(ops), dbsync_plan_op_count(plan));
	json_t *op = json_array_get(ops, 0);
	static const char *const fields[] = { "index", "kind", "table", "object", "model", "summary", "detail", "reason",
		"sql", "risk", "status", "affected", "attempts", "elapsed_ms", "error" };
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (!json_object_get(op, fields[i]))
			fail_msg("operation lacks \"%s\"", fields[i]);
	assert_string_equal(json_string_value(json_object_get(op, "model")), "shop.T");
	assert_string_equal(json_string_value(json_object_get(op, "risk")), "data_loss");
	assert_string_equal(json_string_value(json_object_get(op, "status")), "skipped");
	assert_true(json_is_integer(json_object_get(op, "affected")));
	assert_true(json_is_null(json_object_get(op, "error")));
	assert_true(json_array_size(json_object_get(op, "sql")) > 0);
	assert_int_equal(json_array_size(json_object_get(r, "skipped_destructive")), 2);
	json_t *orphans = json_object_get(r, "orphans");
	assert_int_equal(json_array_size(orphans), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(orphans, 0), "name")), "old");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(orphans, 0), "rows")), 12);
	json_t *totals = json_object_get(r, "totals");
	assert_true(json_is_object(totals));
	assert_int_equal(json_integer_value(json_object_get(totals, "skipped")), 2);
	assert_int_equal(json_integer_value(json_object_get(totals, "skipped_destructive")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(totals, "by_risk"), "data_loss")), 2);
	assert_int_equal(json_integer_value(json_object_get(totals, "invalid_views")), 1);
	assert_int_equal(json_integer_value(json_object_get(totals, "orphans")), 1);
	/* skipped losses are not counted as touched */
	assert_int_equal(json_integer_value(json_object_get(totals, "data_loss_affected")), 0);
	json_decref(r);
	dbsync_free(text);

	/* a run with nothing planned: no plan, no context */
	assert_int_equal(dbsync_report_json(&text, ctx, NULL, conn, NULL), 0);
	r = load(text);
	assert_int_equal(json_array_size(json_object_get(r, "operations")), 0);
	assert_true(json_is_null(json_object_get(json_object_get(r, "database"), "alias")));
	assert_true(json_is_false(json_object_get(r, "inventory_read")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "totals"), "operations")), 0);
	json_decref(r);
	dbsync_free(text);

	assert_int_equal(dbsync_report_json(&text, ctx, plan, conn, "{not json"), DBSYNC_EINVALID);
	assert_null(text);
	assert_int_equal(dbsync_report_json(&text, ctx, plan, conn, "[1]"), DBSYNC_EINVALID);
	dbsync_plan_free(plan);
	dbsync_schema_free(desired);
	dbsync_conn_close(conn);
}

/* SQLite keeps whatever bytes it is given as a name: the report stays valid JSON. */
static void test_invalid_utf8_names_stay_valid_json(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_conn *conn = open_file(ctx, "utf8.db");
	dbsync_schema *desired = NULL;
	exec_ok(ctx, conn, "CREATE TABLE t (id integer PRIMARY KEY, \"bad\xff\xfe\" int); INSERT INTO t VALUES (1, 5);");
	dbsync_plan *plan = plan_for(ctx, conn, &desired, "CREATE TABLE t (id integer PRIMARY KEY);", 1, 1);
	char *text = NULL;
	assert_int_equal(dbsync_report_json(&text, ctx, plan, conn, NULL), 0);
	json_t *r = load(text);
	json_t *op = json_array_get(json_object_get(r, "operations"), 0);
	assert_string_equal(json_string_value(json_object_get(op, "object")), "bad\xEF\xBF\xBD\xEF\xBF\xBD");
	assert_int_equal(json_integer_value(json_object_get(op, "affected")), 1);
	json_decref(r);
	dbsync_free(text);
	dbsync_plan_free(plan);
	dbsync_schema_free(desired);
	dbsync_conn_close(conn);
}

/* Whether any tag of the page (text between '<' and the next '>') holds `what`:
 * escaped text may say "src=", only a real tag can fetch. */
static bool tag_has(const char *html, const char *what)
{
	for (const char *p = strchr(html, '<'); p; p = strchr(p + 1, '<')) {
		const char *end = strchr(p, '>');
		if (!end)
			return true; /* an unterminated tag is a defect too */
		const char *hit = strstr(p, what);
		if (hit && hit < end)
			return true;
	}
	return false;
}

/* What no model could declare: the JSON lists it (kind, table, object,
 * detail, action) and counts it; the HTML shows it in its own section. */
static void test_unmanaged_in_both_reports(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_conn *conn = open_file(ctx, "unmanaged.db");
	dbsync_schema *desired = NULL;
	exec_ok(ctx, conn, "CREATE TABLE entry (id integer PRIMARY KEY, path text COLLATE NOCASE NOT NULL);"
		"CREATE VIRTUAL TABLE entry_fts USING fts5(title);");
	dbsync_plan *plan = plan_for(ctx, conn, &desired,
		"CREATE TABLE \"entry\" (\"id\" integer NOT NULL PRIMARY KEY, \"path\" text NOT NULL);", 0, 1);
	char *text = NULL, *html = NULL;
	assert_int_equal(dbsync_report_json(&text, ctx, plan, conn, NULL), 0);
	json_error_t err;
	json_t *j = json_loads(text, 0, &err);
	assert_non_null(j);
	json_t *list = json_object_get(j, "unmanaged");
	assert_int_equal(json_array_size(list), 7); /* fts5, 5 shadow tables, the collation */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "totals"), "unmanaged")), 7);
	json_t *last = json_array_get(list, 6);
	assert_string_equal(json_string_value(json_object_get(last, "kind")), "collation");
	assert_string_equal(json_string_value(json_object_get(last, "table")), "entry");
	assert_string_equal(json_string_value(json_object_get(last, "object")), "path");
	assert_string_equal(json_string_value(json_object_get(last, "detail")), "COLLATE NOCASE");
	assert_string_equal(json_string_value(json_object_get(last, "action")), "kept");
	assert_true(json_is_null(json_object_get(json_array_get(list, 0), "object")));
	assert_int_equal(dbsync_report_html(&html, ctx, text), 0);
	assert_non_null(strstr(html, "<h2>Unmanaged objects</h2>"));
	assert_non_null(strstr(html, "<code>entry_fts_docsize</code>"));
	assert_non_null(strstr(html, "COLLATE NOCASE"));
	json_decref(j);
	dbsync_free(text);
	dbsync_free(html);
	dbsync_plan_free(plan);
	dbsync_schema_free(desired);
	dbsync_conn_close(conn);
}

static void test_html_escapes_everything(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_conn *conn = open_file(ctx, "html.db");
	dbsync_schema *desired = NULL;
	exec_ok(ctx, conn, fixture);
	dbsync_plan *plan = plan_for(ctx, conn, &desired, desired_ddl, 1, 1);
	char *json = NULL, *html = NULL;
	const char *context = "{\"tool\": \"</title><script>alert('tool')</script>\","
		" \"database\": {\"alias\": \"<b onmouseover=x>\"},"
		" \"inventory\": {\"tables\": [{\"name\": \"<iframe src=//evil.example>\", \"orphan\": true, \"rows\": 1,"
		" \"bytes\": 2, \"columns\": 1, \"references\": [\"<x>\"]}],"
		" \"views\": [{\"name\": \"v&<>\", \"columns\": 2, \"valid\": false, \"error\": \"<script>bad()</script>\"}]}}";
	assert_int_equal(dbsync_report_json(&json, ctx, plan, conn, context), 0);
	assert_int_equal(dbsync_report_html(&html, ctx, json), 0);
	/* no markup from any name or text: every '<' of the page is the page's own */
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "<img"));
	assert_null(strstr(html, "<iframe"));
	assert_null(strstr(html, "<b onmouseover"));
	assert_null(strstr(html, "<x>"));
	assert_non_null(strstr(html, "t&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_non_null(strstr(html, "c&quot;&amp;&#39;&lt;img src=x&gt;"));
	assert_non_null(strstr(html, "&lt;/title&gt;&lt;script&gt;alert(&#39;tool&#39;)&lt;/script&gt;"));
	assert_non_null(strstr(html, "&lt;iframe src=//evil.example&gt;"));
	assert_non_null(strstr(html, "v&amp;&lt;&gt;"));
	/* self-contained: nothing to fetch, and a policy that forbids fetching */
	assert_null(strstr(html, "http://"));
	assert_null(strstr(html, "https://"));
	assert_false(tag_has(html, "src="));
	assert_false(tag_has(html, "href="));
	assert_false(tag_has(html, "<script"));
	assert_non_null(strstr(html, "default-src 'none'"));
	/* risk and status in words, not only colour */
	assert_non_null(strstr(html, ">data loss</span>"));
	assert_non_null(strstr(html, ">pending</span>"));
	assert_non_null(strstr(html, ">invalid</span>"));
	dbsync_free(json);
	dbsync_free(html);
	dbsync_plan_free(plan);
	dbsync_schema_free(desired);
	dbsync_conn_close(conn);
}

static void test_html_rejects_what_is_not_a_report(void **state)
{
	dbsync_ctx *ctx = *state;
	char *html = NULL;
	assert_int_equal(dbsync_report_html(&html, ctx, "{oops"), DBSYNC_EINVALID);
	assert_int_equal(dbsync_report_html(&html, ctx, "{\"operations\": []}"), DBSYNC_EINVALID);
	assert_int_equal(dbsync_report_html(&html, ctx, "{\"report_version\": 2}"), DBSYNC_EUNSUPPORTED);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "report_version 2"));
	assert_null(html);
	/* the smallest report renders */
	assert_int_equal(dbsync_report_html(&html, ctx, "{\"report_version\": 1}"), 0);
	assert_non_null(strstr(html, "No operations"));
	dbsync_free(html);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dropped_columns_are_counted, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_rebuild_that_drops_columns_is_counted, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_dropped_table_rows_are_counted, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_json_report_shape, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_invalid_utf8_names_stay_valid_json, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_unmanaged_in_both_reports, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_html_escapes_everything, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_html_rejects_what_is_not_a_report, ctx_setup, ctx_teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, test_tmpdir_teardown);
}
