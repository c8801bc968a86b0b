/* The planner's public surface on a real SQLite database: operation records
 * (kind, risk, status, summary, detail, reason), options, metadata. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "dbsync/dbsync.h"
#include "dbsync/testing.h"
#include "metadata.h"
#include "plan_internal.h"

#define SQ DBSYNC_DIALECT_SQLITE

static const char metadata[] =
	"{\"tables\": {\"shop_customer\": {\"app_label\": \"shop\", \"model\": \"shop.Customer\", \"columns\": {"
	"\"email\": {\"field\": \"email\", \"class\": \"EmailField\"},"
	"\"tier\": {\"field\": \"tier\", \"class\": \"CharField\", \"default\": \"it's\"},"
	"\"code\": {\"field\": \"code\", \"class\": \"CharField\"}}}}}";

typedef struct fixture {
	dbsync_ctx *ctx;
	dbsync_conn *conn;
	dbsync_schema *want;
	dbsync_plan *plan;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	assert_int_equal(dbsync_ctx_new(&f->ctx), 0);
	assert_int_equal(dbsync_conn_open_url(&f->conn, f->ctx, "sqlite::memory:"), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	dbsync_plan_free(f->plan);
	dbsync_schema_free(f->want);
	dbsync_conn_close(f->conn);
	dbsync_ctx_free(f->ctx);
	free(f);
	return 0;
}

static void prepare(fixture *f, const char *current, const char *desired)
{
	assert_int_equal(dbsync_conn_exec(f->ctx, f->conn, current), 0);
	if (dbsync_schema_parse(&f->want, f->ctx, SQ, desired, strlen(desired)))
		fail_msg("parse: %s", dbsync_ctx_error(f->ctx)->message);
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

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(dbsync_op_kind_name(DBSYNC_OP_CREATE_TABLE), "create_table");
	assert_string_equal(dbsync_op_kind_name(DBSYNC_OP_REBUILD_TABLE), "rebuild_table");
	assert_string_equal(dbsync_op_kind_name(DBSYNC_OP_DROP_INDEX), "drop_index");
	assert_string_equal(dbsync_risk_name(DBSYNC_RISK_SAFE), "safe");
	assert_string_equal(dbsync_risk_name(DBSYNC_RISK_LOCKING), "locking");
	assert_string_equal(dbsync_risk_name(DBSYNC_RISK_DATA_LOSS), "data_loss");
	assert_string_equal(dbsync_status_name(DBSYNC_STATUS_PENDING), "pending");
	assert_string_equal(dbsync_status_name(DBSYNC_STATUS_SKIPPED), "skipped");
	assert_string_equal(dbsync_status_name(DBSYNC_STATUS_REFUSED), "refused");
	assert_null(dbsync_plan_op(NULL, 0));
	assert_int_equal(dbsync_plan_op_count(NULL), 0);
}

static void test_operation_records(void **state)
{
	fixture *f = *state;
	prepare(f,
		"CREATE TABLE \"shop_customer\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \"name\" varchar(5) NOT NULL, "
		"\"legacy\" text NULL);"
		"INSERT INTO \"shop_customer\" (\"name\") VALUES ('a'), ('b');",
		"CREATE TABLE \"shop_customer\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \"name\" varchar(50) NOT NULL, "
		"\"email\" varchar(254) NULL, \"tier\" varchar(10) NOT NULL, \"code\" varchar(3) NOT NULL);"
		"CREATE TABLE \"shop_tag\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT);");
	dbsync_plan_options opts = DBSYNC_PLAN_OPTIONS_INIT;
	opts.metadata_json = metadata;
	assert_int_equal(dbsync_plan_compute(&f->plan, f->ctx, f->conn, f->want, &opts), 0);
	assert_true(f->plan->desired == f->want);
	assert_int_equal(f->plan->dialect, SQ);
	assert_ptr_not_equal(f->plan->opts.metadata_json, metadata); /* copied */
	assert_string_equal(f->plan->opts.metadata_json, metadata);
	assert_true(f->plan->foreign_keys_off);

	const dbsync_op *create = dbsync_plan_op(f->plan, 0);
	assert_int_equal(create->kind, DBSYNC_OP_CREATE_TABLE);
	assert_string_equal(create->summary, "create table `shop_tag`");
	assert_int_equal(create->risk, DBSYNC_RISK_SAFE);

	const dbsync_op *refused = find_op(f->plan, DBSYNC_OP_ADD_COLUMN, "code");
	assert_non_null(refused);
	assert_int_equal(refused->status, DBSYNC_STATUS_REFUSED);
	assert_string_equal(refused->reason, "column \"code\" of \"shop_customer\" (field shop.Customer.code) is NOT NULL "
		"without a default and \"shop_customer\" has 2 rows: give the field a default or make it nullable");
	assert_string_equal(refused->summary, "add column `code` to `shop_customer` (shop.Customer.code, CharField)");

	const dbsync_op *skipped = find_op(f->plan, DBSYNC_OP_DROP_COLUMN, "legacy");
	assert_int_equal(skipped->status, DBSYNC_STATUS_SKIPPED);
	assert_int_equal(skipped->risk, DBSYNC_RISK_DATA_LOSS);
	assert_string_equal(skipped->reason, "AUTO_DROP_COLUMNS is off");
	assert_int_equal(skipped->n_sql, 1);
	assert_string_equal(skipped->sql[0], "ALTER TABLE \"shop_customer\" DROP COLUMN \"legacy\"");

	const dbsync_op *rebuild = find_op(f->plan, DBSYNC_OP_REBUILD_TABLE, NULL);
	assert_int_equal(rebuild->status, DBSYNC_STATUS_PENDING);
	assert_int_equal(rebuild->risk, DBSYNC_RISK_LOCKING);
	assert_string_equal(rebuild->table, "shop_customer");
	assert_string_equal(rebuild->summary, "rebuild table `shop_customer` (shop.Customer): 3 changes");
	assert_string_equal(rebuild->detail, "type of `name`: varchar(5) -> varchar(50)\nadd column `email`\n"
		"add column `tier`, existing rows get 'it''s'");
	assert_string_equal(rebuild->sql[1], "INSERT INTO \"new__shop_customer\" (\"id\", \"name\", \"tier\", \"legacy\") "
		"SELECT \"id\", \"name\", 'it''s', \"legacy\" FROM \"shop_customer\"");
	assert_int_equal(dbsync_plan_pending_count(f->plan), 2);

	/* applying runs; planning again leaves only the refused and skipped records */
	dbsync_apply_options aopts = DBSYNC_APPLY_OPTIONS_INIT;
	if (dbsync_plan_apply(f->ctx, f->conn, f->plan, &aopts))
		fail_msg("apply: %s", dbsync_ctx_error(f->ctx)->message);
	dbsync_plan_free(f->plan);
	f->plan = NULL;
	assert_int_equal(dbsync_plan_compute(&f->plan, f->ctx, f->conn, f->want, &opts), 0);
	assert_int_equal(dbsync_plan_pending_count(f->plan), 0);
	assert_int_equal(dbsync_plan_op_count(f->plan), 2);
	assert_false(f->plan->foreign_keys_off);
}

static void test_add_column_summary_and_drop(void **state)
{
	fixture *f = *state;
	prepare(f,
		"CREATE TABLE \"shop_customer\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \"legacy\" text NULL);",
		"CREATE TABLE \"shop_customer\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \"email\" varchar(254) NULL);");
	dbsync_plan_options opts = DBSYNC_PLAN_OPTIONS_INIT;
	opts.metadata_json = metadata;
	opts.drop_columns = 1;
	assert_int_equal(dbsync_plan_compute(&f->plan, f->ctx, f->conn, f->want, &opts), 0);
	assert_int_equal(dbsync_plan_op_count(f->plan), 2);
	const dbsync_op *add = dbsync_plan_op(f->plan, 0);
	assert_int_equal(add->kind, DBSYNC_OP_ADD_COLUMN);
	assert_string_equal(add->summary, "add column `email` to `shop_customer` (shop.Customer.email, EmailField)");
	assert_string_equal(add->sql[0], "ALTER TABLE \"shop_customer\" ADD COLUMN \"email\" varchar(254) NULL");
	const dbsync_op *drop = dbsync_plan_op(f->plan, 1);
	assert_int_equal(drop->kind, DBSYNC_OP_DROP_COLUMN);
	assert_int_equal(drop->status, DBSYNC_STATUS_PENDING);
	assert_int_equal(drop->risk, DBSYNC_RISK_DATA_LOSS);
	assert_false(f->plan->foreign_keys_off);
}

static void test_switches_off_are_skipped_with_reasons(void **state)
{
	fixture *f = *state;
	prepare(f,
		"CREATE TABLE \"t\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \"a\" integer NULL);"
		"CREATE INDEX \"t_a\" ON \"t\" (\"a\");",
		"CREATE TABLE \"t\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \"a\" bigint DEFAULT 1 NOT NULL, "
		"\"b\" text NULL);"
		"CREATE TABLE \"u\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT);");
	dbsync_plan_options opts = DBSYNC_PLAN_OPTIONS_INIT;
	opts.create_tables = opts.add_columns = opts.drop_columns = 0;
	opts.alter_columns = opts.sync_indexes = 0;
	assert_int_equal(dbsync_plan_compute(&f->plan, f->ctx, f->conn, f->want, &opts), 0);
	assert_int_equal(dbsync_plan_pending_count(f->plan), 0);
	assert_false(f->plan->foreign_keys_off);
	const char *reasons[][2] = {
		{ "drop_index", "sync_indexes is off" },
		{ "create_table", "AUTO_CREATE_TABLES is off" },
		{ "alter_column", "alter_columns is off" },
		{ "add_column", "AUTO_ADD_COLUMNS is off" },
	};
	assert_int_equal(dbsync_plan_op_count(f->plan), 4);
	for (size_t i = 0; i < 4; i++) {
		const dbsync_op *op = dbsync_plan_op(f->plan, i);
		assert_int_equal(op->status, DBSYNC_STATUS_SKIPPED);
		assert_string_equal(dbsync_op_kind_name(op->kind), reasons[i][0]);
		assert_string_equal(op->reason, reasons[i][1]);
	}
	const dbsync_op *alter = dbsync_plan_op(f->plan, 2);
	assert_string_equal(alter->detail, "type of `a`: integer -> bigint\n`a`: NULL -> NOT NULL\ndefault of `a`: (none) -> 1");
	/* a skipped change still shows what would run: the rebuild making that change alone */
	assert_int_equal(alter->n_sql, 5);
	assert_string_equal(alter->sql[0], "CREATE TABLE \"new__t\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "
		"\"a\" bigint DEFAULT 1 NOT NULL)");
	assert_string_equal(alter->sql[4], "CREATE INDEX \"t_a\" ON \"t\" (\"a\")");
}

static void test_bad_inputs(void **state)
{
	fixture *f = *state;
	prepare(f, "SELECT 1;", "CREATE TABLE \"t\" (\"id\" integer NOT NULL PRIMARY KEY);");
	dbsync_plan_options opts = DBSYNC_PLAN_OPTIONS_INIT;
	opts.metadata_json = "{\"tables\": {\n  \"t\": [1,}\n}";
	assert_int_equal(dbsync_plan_compute(&f->plan, f->ctx, f->conn, f->want, &opts), DBSYNC_EINVALID);
	assert_null(f->plan);
	const dbsync_error *e = dbsync_ctx_error(f->ctx);
	assert_int_equal(e->line, 2);
	assert_true(e->column > 0);
	assert_non_null(strstr(e->message, "metadata JSON is invalid at line 2"));

	opts.metadata_json = "[1, 2]";
	assert_int_equal(dbsync_plan_compute(&f->plan, f->ctx, f->conn, f->want, &opts), DBSYNC_EINVALID);

	dbsync_plan_options old = DBSYNC_PLAN_OPTIONS_INIT;
	old.version = 99;
	assert_int_equal(dbsync_plan_compute(&f->plan, f->ctx, f->conn, f->want, &old), DBSYNC_EINVALID);

	dbsync_schema *pg = NULL;
	const char *ddl = "CREATE TABLE \"t\" (\"id\" integer NOT NULL PRIMARY KEY);";
	assert_int_equal(dbsync_schema_parse(&pg, f->ctx, DBSYNC_DIALECT_POSTGRES, ddl, strlen(ddl)), 0);
	assert_int_equal(dbsync_plan_compute(&f->plan, f->ctx, f->conn, pg, NULL), DBSYNC_EINVALID);
	assert_non_null(strstr(dbsync_ctx_error(f->ctx)->message, "postgresql"));
	dbsync_schema_free(pg);

	/* NULL options mean the defaults */
	assert_int_equal(dbsync_plan_compute(&f->plan, f->ctx, f->conn, f->want, NULL), 0);
	assert_int_equal(dbsync_plan_pending_count(f->plan), 1);
}

static const dbsync_unmanaged *find_unmanaged(const dbsync_plan *plan, dbsync_unmanaged_kind kind,
	const char *table)
{
	for (size_t i = 0; i < dbsync_plan_unmanaged_count(plan); i++) {
		const dbsync_unmanaged *u = dbsync_plan_unmanaged(plan, i);
		if (u->kind == kind && strcmp(u->table, table) == 0)
			return u;
	}
	return NULL;
}

/* What no model could declare is listed on the plan and kept (docs/unmanaged.md):
 * a virtual table a model names is not created, its shadow tables are not
 * tables, a trigger and a collation the field does not name stay. */
static void test_unmanaged_listed_and_kept(void **state)
{
	fixture *f = *state;
	prepare(f,
		"CREATE TABLE entry (id integer PRIMARY KEY, path text COLLATE NOCASE NOT NULL);"
		"CREATE VIRTUAL TABLE entry_fts USING fts5(title);"
		"CREATE TRIGGER entry_ins AFTER INSERT ON entry BEGIN SELECT 1; END;",
		"CREATE TABLE \"entry\" (\"id\" integer NOT NULL PRIMARY KEY, \"path\" text NOT NULL);"
		"CREATE TABLE \"entry_fts\" (\"rowid\" integer NOT NULL PRIMARY KEY, \"title\" text NOT NULL);");
	assert_int_equal(dbsync_plan_compute(&f->plan, f->ctx, f->conn, f->want, NULL), 0);
	assert_int_equal(dbsync_plan_op_count(f->plan), 0);
	assert_int_equal(dbsync_plan_unmanaged_count(f->plan), 8); /* fts5, 5 shadow tables, collation, trigger */
	const dbsync_unmanaged *v = find_unmanaged(f->plan, DBSYNC_UNMANAGED_VIRTUAL_TABLE, "entry_fts");
	assert_non_null(v);
	assert_string_equal(v->detail, "USING fts5");
	assert_null(v->object);
	const dbsync_unmanaged *sh = find_unmanaged(f->plan, DBSYNC_UNMANAGED_SHADOW_TABLE, "entry_fts_data");
	assert_non_null(sh);
	assert_string_equal(sh->detail, "stores `entry_fts`");
	const dbsync_unmanaged *c = find_unmanaged(f->plan, DBSYNC_UNMANAGED_COLLATION, "entry");
	assert_non_null(c);
	assert_string_equal(c->object, "path");
	assert_string_equal(c->detail, "COLLATE NOCASE");
	assert_int_equal(c->dropped, 0);
	const dbsync_unmanaged *t = find_unmanaged(f->plan, DBSYNC_UNMANAGED_TRIGGER, "entry");
	assert_non_null(t);
	assert_string_equal(t->object, "entry_ins");
	assert_null(dbsync_plan_unmanaged(f->plan, 8));
	assert_string_equal(dbsync_unmanaged_kind_name(DBSYNC_UNMANAGED_SHADOW_TABLE), "shadow_table");

	/* drop_unmanaged: the collation goes, by a rebuild that needs approval */
	dbsync_plan_free(f->plan);
	f->plan = NULL;
	dbsync_plan_options opts = DBSYNC_PLAN_OPTIONS_INIT;
	opts.drop_unmanaged = 1;
	assert_int_equal(dbsync_plan_compute(&f->plan, f->ctx, f->conn, f->want, &opts), 0);
	assert_int_equal(dbsync_plan_op_count(f->plan), 1);
	const dbsync_op *op = dbsync_plan_op(f->plan, 0);
	assert_int_equal(op->kind, DBSYNC_OP_REBUILD_TABLE);
	assert_int_equal(op->risk, DBSYNC_RISK_DATA_LOSS);
	assert_int_equal(find_unmanaged(f->plan, DBSYNC_UNMANAGED_COLLATION, "entry")->dropped, 1);
	assert_int_equal(find_unmanaged(f->plan, DBSYNC_UNMANAGED_VIRTUAL_TABLE, "entry_fts")->dropped, 0);
	assert_int_equal(dbsync_plan_apply(f->ctx, f->conn, f->plan, NULL), 0);
}

static void test_metadata_defaults(void **state)
{
	(void)state;
	dbsync_ctx *ctx = NULL;
	dbs_metadata *md = NULL;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	assert_int_equal(dbs_metadata_parse(&md, ctx,
		"{\"tables\": {\"T\": {\"model\": \"a.T\", \"columns\": {"
		"\"s\": {\"default\": \"o'k\"}, \"i\": {\"default\": -42}, \"r\": {\"default\": 0.5},"
		"\"t\": {\"default\": true}, \"f\": {\"default\": false}, \"n\": {\"default\": null},"
		"\"o\": {\"default\": {\"b\": [1, \"x\"]}}, \"none\": {\"field\": \"none\"}}}}}"), 0);
	const char *cols[] = { "s", "i", "r", "t", "f", "n", "o" };
	const char *want[] = { "'o''k'", "-42", "0.5", "1", "0", "NULL", "'{\"b\": [1, \"x\"]}'" };
	dbs_buf b = DBS_BUF_INIT;
	for (size_t i = 0; i < 7; i++) {
		dbs_buf_clear(&b);
		/* table names match case-insensitively when the exact one is absent */
		assert_int_equal(dbs_metadata_default_sql(&b, md, SQ, "t", cols[i]), 1);
		assert_string_equal(dbs_buf_cstr(&b), want[i]);
	}
	dbs_buf_clear(&b);
	assert_int_equal(dbs_metadata_default_sql(&b, md, SQ, "T", "none"), 0);
	assert_false(dbs_metadata_has_default(md, "T", "none"));
	assert_int_equal(dbs_metadata_default_sql(&b, md, DBSYNC_DIALECT_POSTGRES, "T", "t"), 1);
	assert_string_equal(dbs_buf_cstr(&b), "TRUE");
	assert_string_equal(dbs_metadata_model(md, "T"), "a.T");
	assert_null(dbs_metadata_model(md, "other"));
	dbs_buf_free(&b);
	dbs_metadata_free(md);
	/* no metadata at all is fine */
	assert_int_equal(dbs_metadata_parse(&md, ctx, NULL), 0);
	assert_null(dbs_metadata_model(md, "T"));
	dbs_metadata_free(md);
	dbsync_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_operation_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_column_summary_and_drop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_switches_off_are_skipped_with_reasons, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_inputs, setup, teardown),
		cmocka_unit_test(test_metadata_defaults),
		cmocka_unit_test_setup_teardown(test_unmanaged_listed_and_kept, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
