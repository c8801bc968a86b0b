/* Inspection on real SQLite files: the inventory (orphans, case mismatches,
 * rows, dbstat sizes, views valid and invalid) in a fixed number of catalog
 * queries, one table's details, model source, the rules for Python names and
 * defaults, and planned drops of orphans in foreign-key order. PostgreSQL and
 * MariaDB run the same paths in tests/e2e/test_orphans.py and test_views.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include <sys/stat.h>

#include "backend_sqlite.h"
#include "buf.h"
#include "dbsync/dbsync.h"
#include "modelgen.h"
#include "test_support.h"

static int group_setup(void **state)
{
	(void)state;
	return test_tmpdir_create("dbsync-inspect");
}

static dbsync_conn *fresh_db(dbsync_ctx *ctx, const char *file)
{
	char url[600];
	snprintf(url, sizeof url, "sqlite:///%s", db_path(file));
	unlink(db_path(file));
	dbsync_conn *conn = NULL;
	if (dbsync_conn_open_url(&conn, ctx, url))
		fail_msg("open: %s", dbsync_ctx_error(ctx)->message);
	return conn;
}

static const char orphans_sql[] =
	"CREATE TABLE app_model (id integer PRIMARY KEY, name text);"
	"CREATE TABLE \"App_Upper\" (id integer PRIMARY KEY);"
	"CREATE TABLE old_parent (id integer PRIMARY KEY, v text);"
	"CREATE TABLE old_child (id integer PRIMARY KEY, p integer REFERENCES old_parent(id));"
	"INSERT INTO old_parent VALUES (1, 'a'), (2, 'b'), (3, 'c');"
	"INSERT INTO old_child VALUES (1, 1);"
	"CREATE VIEW good_view AS SELECT id, v FROM old_parent;"
	"CREATE TABLE doomed (id integer PRIMARY KEY);"
	"CREATE VIEW bad_view AS SELECT id FROM doomed;"
	"DROP TABLE doomed;";

static json_t *inventory_of(dbsync_ctx *ctx, dbsync_conn *conn, const char *const *owned, size_t n)
{
	dbsync_inventory_options o = DBSYNC_INVENTORY_OPTIONS_INIT;
	o.owned = owned;
	o.n_owned = n;
	char *text = NULL;
	if (dbsync_conn_inventory(&text, ctx, conn, &o))
		fail_msg("inventory: %s", dbsync_ctx_error(ctx)->message);
	json_error_t err;
	json_t *doc = json_loads(text, 0, &err);
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

static void inventory_tells_orphans_views_and_sizes(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_conn *conn = fresh_db(ctx, "inv.db");
	exec_ok(ctx, conn, orphans_sql);
	const char *owned[] = { "app_model", "app_upper" };
	json_t *doc = inventory_of(ctx, conn, owned, 2);
	json_t *tables = json_object_get(doc, "tables");
	assert_int_equal(json_array_size(tables), 4);
	json_t *m = named(tables, "app_model");
	assert_true(json_is_true(json_object_get(m, "owned")));
	assert_true(json_is_null(json_object_get(m, "rows"))); /* owned tables are not counted */
	/* SQLite folds table names: App_Upper is app_upper */
	assert_true(json_is_true(json_object_get(named(tables, "App_Upper"), "owned")));
	json_t *p = named(tables, "old_parent");
	assert_true(json_is_true(json_object_get(p, "orphan")));
	assert_int_equal(json_integer_value(json_object_get(p, "rows")), 3);
	assert_true(json_integer_value(json_object_get(p, "bytes")) >= 4096);
	json_t *c = named(tables, "old_child");
	assert_int_equal(json_integer_value(json_object_get(c, "rows")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(c, "references"), 0)), "old_parent");
	assert_string_equal(json_string_value(json_object_get(doc, "size_method")), "dbstat");
	json_t *views = json_object_get(doc, "views");
	json_t *good = named(views, "good_view");
	assert_true(json_is_true(json_object_get(good, "valid")));
	assert_int_equal(json_integer_value(json_object_get(good, "columns")), 2);
	json_t *bad = named(views, "bad_view");
	assert_true(json_is_false(json_object_get(bad, "valid")));
	assert_non_null(strstr(json_string_value(json_object_get(bad, "error")), "bad_view"));
	assert_non_null(strstr(json_string_value(json_object_get(bad, "error")), "doomed"));
	json_decref(doc);
	dbsync_conn_close(conn);
}

/* A SQLite built without dbstat (taken away here: the connection's virtual
 * table modules dropped) still counts rows; sizes fall back to the whole
 * file's pages, with no per-table byte count claimed. */
static void inventory_without_dbstat_reports_the_file_size(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_conn *conn = fresh_db(ctx, "nostat.db");
	exec_ok(ctx, conn, orphans_sql);
	assert_int_equal(sqlite3_drop_modules(((dbs_sq_conn *)conn->impl)->db, NULL), SQLITE_OK);
	json_t *doc = inventory_of(ctx, conn, NULL, 0);
	assert_string_equal(json_string_value(json_object_get(doc, "size_method")), "page_count");
	json_int_t file_bytes = json_integer_value(json_object_get(doc, "database_bytes"));
	assert_true(file_bytes >= 4096 && file_bytes % 512 == 0);
	struct stat st;
	assert_int_equal(stat(db_path("nostat.db"), &st), 0);
	assert_int_equal(file_bytes, (json_int_t)st.st_size);
	json_t *p = named(json_object_get(doc, "tables"), "old_parent");
	assert_int_equal(json_integer_value(json_object_get(p, "rows")), 3);
	assert_true(json_is_null(json_object_get(p, "bytes")));
	json_decref(doc);
	dbsync_conn_close(conn);
}

static void inventory_costs_a_fixed_number_of_queries_plus_one_per_orphan(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_conn *conn = fresh_db(ctx, "cost.db");
	exec_ok(ctx, conn, "CREATE TABLE a (id integer PRIMARY KEY); CREATE VIEW va AS SELECT id FROM a;");
	dbsync_conn_reset_counters(conn);
	json_decref(inventory_of(ctx, conn, NULL, 0));
	uint64_t one = dbsync_conn_catalog_queries(conn);
	for (int i = 0; i < 20; i++) {
		char sql[200];
		snprintf(sql, sizeof sql, "CREATE TABLE t%d (id integer PRIMARY KEY); CREATE VIEW v%d AS SELECT * FROM t%d;",
			i, i, i);
		exec_ok(ctx, conn, sql);
	}
	dbsync_conn_reset_counters(conn);
	json_decref(inventory_of(ctx, conn, NULL, 0));
	assert_int_equal(dbsync_conn_catalog_queries(conn), one + 20); /* the row counts only */
	const char *owned[] = { "a", "t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9", "t10", "t11",
		"t12", "t13", "t14", "t15", "t16", "t17", "t18", "t19" };
	dbsync_conn_reset_counters(conn);
	json_decref(inventory_of(ctx, conn, owned, 21));
	assert_int_equal(dbsync_conn_catalog_queries(conn), one - 1);
	dbsync_conn_close(conn);
}

static void table_json_details_and_missing_table(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_conn *conn = fresh_db(ctx, "tj.db");
	exec_ok(ctx, conn, orphans_sql);
	exec_ok(ctx, conn, "CREATE UNIQUE INDEX old_parent_v ON old_parent (v);");
	char *text = NULL;
	assert_int_equal(dbsync_conn_table_json(&text, ctx, conn, "old_child"), 0);
	json_t *doc = json_loads(text, 0, NULL);
	dbsync_free(text);
	assert_int_equal(json_integer_value(json_object_get(doc, "rows")), 1);
	json_t *fk = json_array_get(json_object_get(doc, "foreign_keys"), 0);
	assert_string_equal(json_string_value(json_object_get(fk, "ref_table")), "old_parent");
	assert_string_equal(json_string_value(json_array_get(json_object_get(fk, "columns"), 0)), "p");
	assert_string_equal(json_string_value(json_array_get(json_object_get(doc, "primary_key"), 0)), "id");
	json_decref(doc);
	assert_int_equal(dbsync_conn_table_json(&text, ctx, conn, "old_parent"), 0);
	doc = json_loads(text, 0, NULL);
	dbsync_free(text);
	json_t *ix = json_array_get(json_object_get(doc, "indexes"), 0);
	assert_true(json_is_true(json_object_get(ix, "unique")));
	json_decref(doc);
	assert_int_equal(dbsync_conn_table_json(&text, ctx, conn, "no_such"), DBSYNC_EINVALID);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "no_such"));
	assert_null(text);
	dbsync_conn_close(conn);
}

static void python_names_and_defaults(void **state)
{
	(void)state;
	dbs_buf b = DBS_BUF_INIT;
	static const char *const cases[][2] = {
		{ "class", "class_field" }, { "my col", "my_col" }, { "2x", "number_2x" }, { "A__B", "a_b" },
		{ "trail_", "trail" }, { "pk", "pk_field" }, { "models", "models_field" }, { "__", "field" },
		{ "Name", "name" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		dbs_py_field_name(&b, cases[i][0]);
		assert_string_equal(dbs_buf_cstr(&b), cases[i][1]);
	}
	dbs_py_class_name(&b, "legacy_parent");
	assert_string_equal(dbs_buf_cstr(&b), "LegacyParent");
	dbs_py_class_name(&b, "2020 data");
	assert_string_equal(dbs_buf_cstr(&b), "T2020Data");
	dbs_py_class_name(&b, "none");
	assert_string_equal(dbs_buf_cstr(&b), "NoneModel");
	assert_int_equal(dbs_default_read(&b, DBSYNC_DIALECT_POSTGRES, "'it''s'::character varying"), DBS_DEFAULT_STRING);
	assert_string_equal(dbs_buf_cstr(&b), "it's");
	assert_int_equal(dbs_default_read(&b, DBSYNC_DIALECT_MYSQL, "CURRENT_TIMESTAMP(6)"), DBS_DEFAULT_NOW);
	assert_int_equal(dbs_default_read(&b, DBSYNC_DIALECT_POSTGRES, "now()"), DBS_DEFAULT_NOW);
	assert_int_equal(dbs_default_read(&b, DBSYNC_DIALECT_SQLITE, "(-5)"), DBS_DEFAULT_NUMBER);
	assert_string_equal(dbs_buf_cstr(&b), "-5");
	assert_int_equal(dbs_default_read(&b, DBSYNC_DIALECT_POSTGRES, "nextval('t_id_seq'::regclass)"),
		DBS_DEFAULT_SEQUENCE);
	assert_int_equal(dbs_default_read(&b, DBSYNC_DIALECT_POSTGRES, "lower('X')"), DBS_DEFAULT_EXPR);
	assert_int_equal(dbs_default_read(&b, DBSYNC_DIALECT_SQLITE, "NULL"), DBS_DEFAULT_NONE);
	dbs_field_type ft;
	dbs_field_type_for(&ft, DBSYNC_DIALECT_POSTGRES, "numeric(12,3)", false, false);
	assert_string_equal(ft.cls, "DecimalField");
	assert_int_equal(ft.max_digits, 12);
	assert_int_equal(ft.decimal_places, 3);
	dbs_field_type_for(&ft, DBSYNC_DIALECT_MYSQL, "tinyint(1)", false, false);
	assert_string_equal(ft.cls, "BooleanField");
	dbs_field_type_for(&ft, DBSYNC_DIALECT_MYSQL, "bigint", true, false);
	assert_string_equal(ft.cls, "BigAutoField");
	dbs_field_type_for(&ft, DBSYNC_DIALECT_POSTGRES, "timestamp(3) with time zone", false, false);
	assert_string_equal(ft.cls, "DateTimeField");
	dbs_field_type_for(&ft, DBSYNC_DIALECT_MYSQL, "enum('a','b')", false, false);
	assert_true(ft.guessed);
	dbs_field_type_for(&ft, DBSYNC_DIALECT_SQLITE, "text", false, true);
	assert_string_equal(ft.cls, "JSONField");
	dbs_buf_free(&b);
}

static char *models_of(dbsync_ctx *ctx, dbsync_conn *conn, const char *const *tables, size_t n, const char *known)
{
	dbsync_models_options o = DBSYNC_MODELS_OPTIONS_INIT;
	o.tables = tables;
	o.n_tables = n;
	o.known_models_json = known;
	char *src = NULL;
	if (dbsync_conn_models_source(&src, ctx, conn, &o))
		fail_msg("models_source: %s", dbsync_ctx_error(ctx)->message);
	return src;
}

static void models_source_for_tables_and_views(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_conn *conn = fresh_db(ctx, "models.db");
	exec_ok(ctx, conn, orphans_sql);
	exec_ok(ctx, conn, "CREATE TABLE linked (id integer PRIMARY KEY, owner_id integer UNIQUE REFERENCES app_model(id), "
		"\"for\" varchar(12) NOT NULL DEFAULT 'x', amount decimal(7,2) DEFAULT 0, seen datetime DEFAULT CURRENT_TIMESTAMP);");
	/* a composite key whose column Django's names would clash with */
	exec_ok(ctx, conn, "CREATE TABLE pair (a integer NOT NULL, \"pk\" integer NOT NULL, id integer, "
		"PRIMARY KEY (a, \"pk\"));");
	const char *tables[] = { "old_child", "old_parent", "linked", "good_view", "bad_view", "pair" };
	char *src = models_of(ctx, conn, tables, 6, "{\"app_model\": \"app.Model\"}");
	assert_non_null(strstr(src, "class Pair(models.Model):\n    pk = models.CompositePrimaryKey('a', 'pk_field')\n"
		"    a = models.IntegerField()\n    pk_field = models.IntegerField(db_column='pk')\n"
		"    id_field = models.IntegerField(db_column='id', null=True, blank=True)\n"));
	assert_null(strstr(src, "unique_together"));
	assert_non_null(strstr(src, "class OldChild(models.Model):"));
	assert_non_null(strstr(src, "    p = models.ForeignKey('OldParent', models.DO_NOTHING, db_column='p', null=True, blank=True)"));
	assert_non_null(strstr(src, "    owner = models.OneToOneField('app.Model', models.DO_NOTHING, related_name='+', null=True, blank=True)"));
	assert_non_null(strstr(src, "    for_field = models.CharField(db_column='for', max_length=12, default='x')"));
	assert_non_null(strstr(src, "    amount = models.DecimalField(max_digits=7, decimal_places=2, default=Decimal('0')"));
	assert_non_null(strstr(src, "    seen = models.DateTimeField(auto_now_add=True, null=True, blank=True)"));
	assert_non_null(strstr(src, "    id = models.AutoField(primary_key=True)"));
	assert_non_null(strstr(src, "        managed = False\n        db_table = 'old_parent'"));
	assert_non_null(strstr(src, "class GoodView(models.Model):"));
	assert_non_null(strstr(src, "primary key chosen for the view: it is named id"));
	assert_non_null(strstr(src, "# No model for bad_view: view \"bad_view\" is invalid"));
	dbsync_free(src);
	const char *missing[] = { "nope" };
	dbsync_models_options o = DBSYNC_MODELS_OPTIONS_INIT;
	o.tables = missing;
	o.n_tables = 1;
	assert_int_equal(dbsync_conn_models_source(&src, ctx, conn, &o), DBSYNC_EINVALID);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "nope"));
	dbsync_conn_close(conn);
}

static dbsync_plan *plan_drops(dbsync_ctx *ctx, dbsync_conn *conn, dbsync_schema **desired, const char *ddl,
	const char *const *drops, size_t n)
{
	dbsync_plan_options o = DBSYNC_PLAN_OPTIONS_INIT;
	o.drop_tables = drops;
	o.n_drop_tables = n;
	dbsync_plan *plan = NULL;
	if (dbsync_schema_parse(desired, ctx, DBSYNC_DIALECT_SQLITE, ddl, strlen(ddl)))
		fail_msg("parse: %s", dbsync_ctx_error(ctx)->message);
	if (dbsync_plan_compute(&plan, ctx, conn, *desired, &o))
		fail_msg("plan: %s", dbsync_ctx_error(ctx)->message);
	return plan;
}

static void drops_go_in_foreign_key_order_and_refuse_kept_references(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_conn *conn = fresh_db(ctx, "drop.db");
	exec_ok(ctx, conn, orphans_sql);
	exec_ok(ctx, conn, "CREATE TABLE old_x (id integer PRIMARY KEY);"
		"CREATE TABLE keeper (id integer PRIMARY KEY, x integer REFERENCES old_x(id));"
		"INSERT INTO old_x VALUES (1); INSERT INTO keeper VALUES (1, 1);");
	const char *drops[] = { "old_parent", "old_x", "old_child", "gone_already" };
	dbsync_schema *desired = NULL;
	dbsync_plan *plan = plan_drops(ctx, conn, &desired, "", drops, 4);
	assert_int_equal(dbsync_plan_op_count(plan), 3);
	size_t child = 9, parent = 9;
	for (size_t i = 0; i < 3; i++) {
		const dbsync_op *op = dbsync_plan_op(plan, i);
		assert_int_equal(op->kind, DBSYNC_OP_DROP_TABLE);
		assert_int_equal(op->risk, DBSYNC_RISK_DATA_LOSS);
		if (strcmp(op->table, "old_x") == 0) {
			assert_int_equal(op->status, DBSYNC_STATUS_REFUSED);
			assert_non_null(strstr(op->reason, "`keeper`"));
			assert_non_null(strstr(op->reason, "`x`"));
			continue;
		}
		assert_int_equal(op->status, DBSYNC_STATUS_PENDING);
		if (strcmp(op->table, "old_child") == 0) {
			child = i;
			assert_int_equal(op->affected, 1);
		} else {
			parent = i;
			assert_int_equal(op->affected, 3);
			assert_string_equal(op->sql[0], "DROP TABLE \"old_parent\"");
		}
	}
	assert_true(child < parent);
	exec_ok(ctx, conn, "PRAGMA foreign_keys = ON;");
	assert_int_equal(dbsync_plan_apply(ctx, conn, plan, NULL), 0); /* verify plans again: nothing left */
	dbsync_plan_free(plan);
	dbsync_schema_free(desired);
	int64_t n = -1;
	assert_int_not_equal(dbsync_conn_count_rows(&n, ctx, conn, "old_parent"), 0);
	assert_int_equal(dbsync_conn_count_rows(&n, ctx, conn, "old_x"), 0);
	/* a model's table is never dropped as an orphan */
	const char *model_drop[] = { "keeper" };
	dbsync_plan_options o = DBSYNC_PLAN_OPTIONS_INIT;
	o.drop_tables = model_drop;
	o.n_drop_tables = 1;
	const char *ddl = "CREATE TABLE keeper (id integer PRIMARY KEY, x integer REFERENCES old_x(id));";
	assert_int_equal(dbsync_schema_parse(&desired, ctx, DBSYNC_DIALECT_SQLITE, ddl, strlen(ddl)), 0);
	assert_int_equal(dbsync_plan_compute(&plan, ctx, conn, desired, &o), DBSYNC_EINVALID);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "keeper"));
	dbsync_schema_free(desired);
	dbsync_conn_close(conn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(inventory_tells_orphans_views_and_sizes, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(inventory_without_dbstat_reports_the_file_size, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(inventory_costs_a_fixed_number_of_queries_plus_one_per_orphan,
			ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(table_json_details_and_missing_table, ctx_setup, ctx_teardown),
		cmocka_unit_test(python_names_and_defaults),
		cmocka_unit_test_setup_teardown(models_source_for_tables_and_views, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(drops_go_in_foreign_key_order_and_refuse_kept_references,
			ctx_setup, ctx_teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, test_tmpdir_teardown);
}
