/* The renderer: exact DDL for models built in C, accepted by real SQLite, and
 * stable through a parse / render round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "buf.h"
#include "ctx.h"
#include "model.h"
#include "model_build.h"
#include "shadow_ddl.h"
#include "render.h"

#define SQ DBSYNC_DIALECT_SQLITE

/* SQLite itself must accept what we render. */
static void assert_sqlite_accepts(const char *sql)
{
	sqlite3 *db = NULL;
	char *err = NULL;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
	if (rc != SQLITE_OK)
		fail_msg("SQLite rejected:\n%s\n%s", sql, err ? err : "");
	sqlite3_free(err);
	sqlite3_close(db);
}

static dbsync_schema *book_schema(void)
{
	dbsync_schema *s = dbs_schema_new(SQ);
	dbs_table *pub = mb_table_with_id(s, "shop_pub");
	mb_col(s, pub, "name", "varchar(20)", true);
	mb_con(s, pub, DBS_CON_UNIQUE, NULL, true, "name", NULL);

	dbs_table *t = mb_table_with_id(s, "shop_book");
	mb_col(s, t, "title", "varchar(20)", true);
	mb_col(s, t, "pub_id", "integer", true);
	mb_fk(s, t, "pub_id", "shop_pub", "id", NULL);
	dbs_column *n = mb_col(s, t, "n", "integer", true);
	n->default_expr = "5";
	mb_col(s, t, "p", "integer unsigned", false);
	mb_check(s, t, NULL, "p", "\"p\" >= 0");
	dbs_column *g = mb_col(s, t, "g", "integer", false);
	g->generated_expr = "\"n\" * 2";
	g->generated_stored = true;
	dbs_column *c = mb_col(s, t, "c", "varchar(10)", false);
	c->collation = "NOCASE";
	dbs_column *d = mb_col(s, t, "d", "text", false);
	d->default_expr = "LOWER('X')";
	mb_con(s, t, DBS_CON_UNIQUE, "u_np", false, "n", "p", NULL);
	mb_check(s, t, "ck_n", NULL, "\"n\" >= 0");
	mb_index(s, t, "shop_book_title_pub_id_uniq", true, "title", "pub_id", NULL);
	dbs_index *ix = mb_index(s, t, "t_idx", false, "-title", NULL);
	ix->where_expr = "\"n\" > 3";
	ix = dbs_table_add_index(s, t, "low_idx");
	dbs_index_part part = { .expr = "LOWER(\"title\")" };
	DBS_VEC_PUSH(&s->arena, &ix->parts, part);
	dbs_index_part coll = { .column = "title", .collation = "NOCASE" };
	DBS_VEC_PUSH(&s->arena, &ix->parts, coll);
	return s;
}

static const char book_ddl[] =
	"CREATE TABLE \"shop_book\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "
	"\"title\" varchar(20) NOT NULL, "
	"\"pub_id\" integer NOT NULL REFERENCES \"shop_pub\" (\"id\") DEFERRABLE INITIALLY DEFERRED, "
	"\"n\" integer DEFAULT 5 NOT NULL, "
	"\"p\" integer unsigned NULL CHECK (\"p\" >= 0), "
	"\"g\" integer GENERATED ALWAYS AS (\"n\" * 2) STORED, "
	"\"c\" varchar(10) COLLATE NOCASE NULL, "
	"\"d\" text DEFAULT (LOWER('X')) NULL, "
	"CONSTRAINT \"u_np\" UNIQUE (\"n\", \"p\"), CONSTRAINT \"ck_n\" CHECK (\"n\" >= 0))";

static void test_create_table_like_django(void **state)
{
	(void)state;
	dbsync_schema *s = book_schema();
	dbs_buf b = DBS_BUF_INIT;
	assert_int_equal(dbs_render_create_table(&b, SQ, s->tables.items[1]), 0);
	assert_string_equal(dbs_buf_cstr(&b), book_ddl);
	dbs_buf_clear(&b);
	assert_int_equal(dbs_render_create_table(&b, SQ, s->tables.items[0]), 0);
	assert_string_equal(dbs_buf_cstr(&b), "CREATE TABLE \"shop_pub\" (\"id\" integer NOT NULL PRIMARY KEY "
		"AUTOINCREMENT, \"name\" varchar(20) NOT NULL UNIQUE)");
	dbs_buf_free(&b);
	dbsync_schema_free(s);
}

static void test_create_index_forms(void **state)
{
	(void)state;
	dbsync_schema *s = book_schema();
	dbs_table *t = s->tables.items[1];
	dbs_buf b = DBS_BUF_INIT;
	const char *want[] = {
		"CREATE UNIQUE INDEX \"shop_book_title_pub_id_uniq\" ON \"shop_book\" (\"title\", \"pub_id\")",
		"CREATE INDEX \"t_idx\" ON \"shop_book\" (\"title\" DESC) WHERE \"n\" > 3",
		"CREATE INDEX \"low_idx\" ON \"shop_book\" ((LOWER(\"title\")), \"title\" COLLATE NOCASE)",
	};
	for (size_t i = 0; i < 3; i++) {
		dbs_buf_clear(&b);
		assert_int_equal(dbs_render_create_index(&b, SQ, t, t->indexes.items[i]), 0);
		assert_string_equal(dbs_buf_cstr(&b), want[i]);
	}
	dbs_buf_free(&b);
	dbsync_schema_free(s);
}

static void test_schema_to_sql_runs_in_sqlite(void **state)
{
	(void)state;
	dbsync_schema *s = book_schema();
	dbsync_ctx *ctx = NULL;
	char *sql = NULL;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	assert_int_equal(dbsync_schema_to_sql(&sql, ctx, s), 0);
	assert_sqlite_accepts(sql);
	assert_non_null(strstr(sql, book_ddl));
	dbsync_free(sql);
	dbsync_ctx_free(ctx);
	dbsync_schema_free(s);
}

static void test_topological_order_and_cycles(void **state)
{
	(void)state;
	dbsync_schema *s = dbs_schema_new(SQ);
	/* child listed first; a <-> b form a cycle; self reference on child */
	dbs_table *child = mb_table_with_id(s, "child");
	mb_col(s, child, "parent_id", "integer", false);
	mb_fk(s, child, "parent_id", "parent", "id", "CASCADE");
	mb_col(s, child, "self_id", "integer", false);
	mb_fk(s, child, "self_id", "child", "id", NULL);
	dbs_table *a = mb_table_with_id(s, "a");
	mb_col(s, a, "b_id", "integer", false);
	mb_fk(s, a, "b_id", "b", "id", NULL);
	dbs_table *b = mb_table_with_id(s, "b");
	mb_col(s, b, "a_id", "integer", false);
	mb_fk(s, b, "a_id", "A", "id", NULL); /* case-insensitive on SQLite */
	mb_table_with_id(s, "parent");
	dbsync_ctx *ctx = NULL;
	char *sql = NULL;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	assert_int_equal(dbsync_schema_to_sql(&sql, ctx, s), 0);
	const char *p_parent = strstr(sql, "CREATE TABLE \"parent\"");
	const char *p_child = strstr(sql, "CREATE TABLE \"child\"");
	const char *p_a = strstr(sql, "CREATE TABLE \"a\"");
	const char *p_b = strstr(sql, "CREATE TABLE \"b\"");
	assert_true(p_parent && p_child && p_a && p_b);
	assert_true(p_parent < p_child);
	assert_true(p_b < p_a); /* a is reached first, so b (which it references) goes first */
	assert_non_null(strstr(sql, "REFERENCES \"parent\" (\"id\") ON DELETE CASCADE DEFERRABLE"));
	assert_sqlite_accepts(sql);
	dbsync_free(sql);
	dbsync_ctx_free(ctx);
	dbsync_schema_free(s);
}

static void test_hostile_identifiers_are_quoted(void **state)
{
	(void)state;
	dbsync_schema *s = dbs_schema_new(SQ);
	dbs_table *t = dbs_schema_add_table(s, "we\"ird table");
	mb_col(s, t, "col \"x\"", "text", true);
	mb_col(s, t, "select", NULL, false);
	mb_con(s, t, DBS_CON_UNIQUE, "u \"q\"", false, "col \"x\"", "select", NULL);
	mb_index(s, t, "ix \"1\"", false, "select", NULL);
	dbs_buf b = DBS_BUF_INIT;
	dbs_render_create_table(&b, SQ, t);
	assert_string_equal(dbs_buf_cstr(&b), "CREATE TABLE \"we\"\"ird table\" (\"col \"\"x\"\"\" text NOT NULL, "
		"\"select\" NULL, CONSTRAINT \"u \"\"q\"\"\" UNIQUE (\"col \"\"x\"\"\", \"select\"))");
	dbs_buf_puts(&b, ";");
	dbs_render_create_index(&b, SQ, t, t->indexes.items[0]);
	assert_sqlite_accepts(dbs_buf_cstr(&b));
	dbs_buf_free(&b);
	dbsync_schema_free(s);
}

static void test_table_level_constraints_and_options(void **state)
{
	(void)state;
	dbsync_schema *s = dbs_schema_new(SQ);
	dbs_table *t = dbs_schema_add_table(s, "m2m");
	mb_col(s, t, "a", "integer", true);
	mb_col(s, t, "b", "integer", true);
	mb_con(s, t, DBS_CON_PRIMARY, NULL, false, "a", "b", NULL);
	dbs_constraint *fk = mb_con(s, t, DBS_CON_FOREIGN, "fk_b", false, "b", NULL);
	fk->ref_table = "other";
	fk->on_update = "SET NULL";
	t->without_rowid = true;
	t->strict = true;
	dbs_buf b = DBS_BUF_INIT;
	dbs_render_create_table(&b, SQ, t);
	assert_string_equal(dbs_buf_cstr(&b), "CREATE TABLE \"m2m\" (\"a\" integer NOT NULL, \"b\" integer NOT NULL, "
		"PRIMARY KEY (\"a\", \"b\"), CONSTRAINT \"fk_b\" FOREIGN KEY (\"b\") REFERENCES \"other\" ON UPDATE SET NULL) "
		"WITHOUT ROWID, STRICT");
	assert_sqlite_accepts(dbs_buf_cstr(&b));
	/* a one-column table-level key on an autoincrement column must be written inline */
	dbs_table *u = dbs_schema_add_table(s, "u");
	dbs_column *id = mb_col(s, u, "id", "integer", true);
	id->autoincrement = true;
	mb_con(s, u, DBS_CON_PRIMARY, NULL, false, "id", NULL);
	dbs_buf_clear(&b);
	dbs_render_create_table(&b, SQ, u);
	assert_string_equal(dbs_buf_cstr(&b), "CREATE TABLE \"u\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT)");
	dbs_buf_free(&b);
	dbsync_schema_free(s);
}

/* MySQL takes no name on a column-level key and ignores a column-level
 * REFERENCES: named keys and every foreign key are written table-level, and the
 * primary key (always called PRIMARY there) carries no name. */
static void test_mysql_keys_table_level(void **state)
{
	(void)state;
	const dbsync_dialect MYD = DBSYNC_DIALECT_MYSQL;
	dbsync_schema *s = dbs_schema_new(MYD);
	dbs_table *t = dbs_schema_add_table(s, "child");
	mb_col(s, t, "id", "int", true);
	mb_col(s, t, "name", "varchar(100)", true);
	mb_col(s, t, "code", "varchar(10)", true);
	mb_col(s, t, "parent_id", "bigint", true);
	mb_con(s, t, DBS_CON_PRIMARY, "PRIMARY", true, "id", NULL);
	mb_con(s, t, DBS_CON_UNIQUE, "name", true, "name", NULL);
	mb_con(s, t, DBS_CON_UNIQUE, NULL, true, "code", NULL);
	dbs_constraint *fk = mb_con(s, t, DBS_CON_FOREIGN, NULL, true, "parent_id", NULL);
	fk->ref_table = "parent";
	dbs_buf b = DBS_BUF_INIT;
	dbs_render_create_table(&b, MYD, t);
	assert_string_equal(dbs_buf_cstr(&b), "CREATE TABLE `child` (`id` int NOT NULL PRIMARY KEY, "
		"`name` varchar(100) NOT NULL, `code` varchar(10) NOT NULL UNIQUE, `parent_id` bigint NOT NULL, "
		"CONSTRAINT `name` UNIQUE (`name`), FOREIGN KEY (`parent_id`) REFERENCES `parent`)");
	dbs_buf_free(&b);
	dbsync_schema_free(s);
}

static void test_literal_classifier(void **state)
{
	(void)state;
	const char *lit[] = { "5", "-5", "+1.5e3", "0x1F", "'it''s'", "X'00ff'", "NULL", "true", "FALSE", ".5" };
	const char *non[] = { "", "LOWER('x')", "'a' || 'b'", "5 + 1", "'unterminated", "'a''", "1e", "CURRENT_TIMESTAMP" };
	for (size_t i = 0; i < sizeof lit / sizeof *lit; i++)
		assert_true(dbs_expr_is_literal(lit[i], false));
	for (size_t i = 0; i < sizeof non / sizeof *non; i++)
		if (dbs_expr_is_literal(non[i], false))
			fail_msg("%s taken for a literal", non[i]);
	assert_true(dbs_expr_is_literal("CURRENT_TIMESTAMP", true));
}

/* Rendered DDL parsed back gives a schema that renders identically. */
static void test_round_trip_through_parser(void **state)
{
	(void)state;
	dbsync_schema *s = book_schema();
	/* plus the awkward shapes: quotes in names, table-level keys, options */
	dbs_table *t = dbs_schema_add_table(s, "we\"ird table");
	mb_col(s, t, "a b", "integer", true);
	mb_col(s, t, "select", "text", true);
	mb_con(s, t, DBS_CON_PRIMARY, NULL, false, "a b", "select", NULL);
	dbs_constraint *fk = mb_con(s, t, DBS_CON_FOREIGN, "fk \"x\"", false, "a b", NULL);
	fk->ref_table = "shop_pub";
	DBS_VEC_PUSH(&s->arena, &fk->ref_cols, "id");
	fk->on_delete = "CASCADE";
	fk->on_update = "SET NULL";
	mb_check(s, t, "len", NULL, "LENGTH(\"select\") > 0");
	mb_index(s, t, "ix \"q\"", true, "-select", "a b", NULL);
	t->without_rowid = true;
	t->strict = true;
	dbsync_ctx *ctx = NULL;
	char *sql = NULL, *again = NULL;
	dbsync_schema *parsed = NULL;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	assert_int_equal(dbsync_schema_to_sql(&sql, ctx, s), 0);
	assert_sqlite_accepts(sql);
	if (dbsync_schema_parse(&parsed, ctx, SQ, sql, strlen(sql)))
		fail_msg("parse failed: %s\n%s", dbsync_ctx_error(ctx)->message, sql);
	assert_int_equal(dbsync_schema_to_sql(&again, ctx, parsed), 0);
	assert_string_equal(again, sql);
	dbsync_free(sql);
	dbsync_free(again);
	dbsync_schema_free(parsed);
	dbsync_ctx_free(ctx);
	dbsync_schema_free(s);
}

/* The shadows' last guard: a rendered statement must lex back as one plain
 * statement, so nothing carried in the model can end it or hide text. */
static void test_shadow_statements_are_plain(void **state)
{
	(void)state;
	const dbsync_dialect PG = DBSYNC_DIALECT_POSTGRES, MY = DBSYNC_DIALECT_MYSQL;
#define PLAIN(d, text, odd) dbs_shadow_stmt_is_plain((d), (text), strlen(text), (odd))
	assert_true(PLAIN(PG, "CREATE TABLE \"a;b\" (\"x\" text DEFAULT 'it''s; DROP TABLE t')", false));
	assert_true(PLAIN(PG, "CREATE TABLE t (x text DEFAULT $q$;$q$)", false));
	assert_false(PLAIN(PG, "CREATE TABLE t (x int); DELETE FROM keep", false));
	assert_false(PLAIN(PG, "CREATE TABLE t (x int) -- hidden", false));
	assert_false(PLAIN(PG, "CREATE TABLE t (x int /* hidden */)", false));
	assert_false(PLAIN(PG, "CREATE TABLE t (x int DEFAULT 'open", false));
	assert_false(PLAIN(PG, "   ", false));
	assert_true(PLAIN(MY, "CREATE TABLE `a``;` (`x` varchar(5) DEFAULT 'it\\'s')", false));
	assert_false(PLAIN(MY, "CREATE TABLE t (x int /*!50001 , y int */)", false));
	assert_false(PLAIN(MY, "CREATE TABLE t (x int) # hidden", false));
	/* a session in NO_BACKSLASH_ESCAPES / ANSI_QUOTES would end these strings
	 * elsewhere: refused there, and only there */
	assert_false(PLAIN(MY, "CREATE TABLE t (x varchar(5) DEFAULT 'it\\'s; DROP TABLE keep; -- ')", true));
	assert_false(PLAIN(MY, "CREATE TABLE t (x varchar(5) COMMENT \"a\\\"b\")", true));
	assert_true(PLAIN(MY, "CREATE TABLE t (x varchar(5) DEFAULT 'it''s' COMMENT 'c\\\\')", true));
#undef PLAIN
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_table_like_django),
		cmocka_unit_test(test_create_index_forms),
		cmocka_unit_test(test_schema_to_sql_runs_in_sqlite),
		cmocka_unit_test(test_topological_order_and_cycles),
		cmocka_unit_test(test_hostile_identifiers_are_quoted),
		cmocka_unit_test(test_shadow_statements_are_plain),
		cmocka_unit_test(test_table_level_constraints_and_options),
		cmocka_unit_test(test_mysql_keys_table_level),
		cmocka_unit_test(test_literal_classifier),
		cmocka_unit_test(test_round_trip_through_parser),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
