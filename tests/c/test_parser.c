/*
 * The DDL parser: Django 5.2's own SQLite DDL (tests/c/fixtures/django52_sqlite.sql,
 * produced by the schema editor's collect_sql for a models module with every field
 * type), the same text read back from SQLite's sqlite_schema, what Django's migrate
 * leaves in sqlite_schema, hand-written edge cases (each also run through real
 * SQLite to prove it is valid there), other dialects' forms, errors, and every
 * prefix / mutation of valid input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "buf.h"
#include "ctx.h"
#include "parse.h"
#include "test_support.h"

#define S(x) ((x) ? (x) : "-")

static void dump_vec(dbs_buf *b, const dbs_str_vec *v)
{
	dbs_buf_putc(b, '[');
	for (size_t i = 0; i < v->n; i++)
		dbs_buf_printf(b, "%s%s", i ? "," : "", v->items[i]);
	dbs_buf_putc(b, ']');
}

static void dump_table(dbs_buf *b, const dbs_table *t)
{
	dbs_buf_printf(b, "table %s wr=%d strict=%d comment=%s\n", t->name, t->without_rowid, t->strict, S(t->comment));
	for (size_t j = 0; j < t->columns.n; j++) {
		const dbs_column *c = t->columns.items[j];
		dbs_buf_printf(b, " col %s %s nn=%d def=%s gen=%s/%d ai=%d id=%s coll=%s cmt=%s\n", c->name, S(c->type),
			c->not_null, S(c->default_expr), S(c->generated_expr), c->generated_stored, c->autoincrement,
			S(c->identity), S(c->collation), S(c->comment));
	}
	for (size_t j = 0; j < t->constraints.n; j++) {
		const dbs_constraint *k = t->constraints.items[j];
		dbs_buf_printf(b, " con %d %s inline=%d ", k->kind, S(k->name), k->inline_col);
		dump_vec(b, &k->cols);
		dbs_buf_printf(b, " check=%s ref=%s", S(k->check_expr), S(k->ref_table));
		dump_vec(b, &k->ref_cols);
		dbs_buf_printf(b, " del=%s upd=%s defer=%d/%d ai=%d\n", S(k->on_delete), S(k->on_update), k->deferrable,
			k->initially_deferred, k->pk_autoincrement);
	}
	for (size_t j = 0; j < t->indexes.n; j++) {
		const dbs_index *x = t->indexes.items[j];
		dbs_buf_printf(b, " index %s u=%d where=%s method=%s", x->name, x->unique, S(x->where_expr), S(x->method));
		for (size_t k = 0; k < x->parts.n; k++) {
			const dbs_index_part *p = &x->parts.items[k];
			dbs_buf_printf(b, " {%s|%s|%d|%s|%s|%d}", S(p->column), S(p->expr), p->desc, S(p->collation),
				S(p->opclass), p->prefix_len);
		}
		dbs_buf_putc(b, '\n');
	}
}

/* Everything the model holds, as text, to compare two parses. */
static void dump_schema(dbs_buf *b, const dbsync_schema *s)
{
	for (size_t i = 0; i < s->tables.n; i++)
		dump_table(b, s->tables.items[i]);
	for (size_t i = 0; i < s->views.n; i++)
		dbs_buf_printf(b, "view %s as %s\n", s->views.items[i]->name, s->views.items[i]->definition);
}

static dbsync_schema *parse_ok(dbsync_dialect d, const char *sql, size_t len)
{
	dbsync_ctx *ctx;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	dbsync_schema *s = NULL;
	int rc = dbsync_schema_parse(&s, ctx, d, sql, len);
	if (rc)
		fail_msg("parse failed (%d) at %d:%d: %s", rc, dbsync_ctx_error(ctx)->line, dbsync_ctx_error(ctx)->column,
			dbsync_ctx_error(ctx)->message);
	dbsync_ctx_free(ctx);
	return s;
}

static dbsync_schema *parse_sqlite(const char *sql)
{
	return parse_ok(DBSYNC_DIALECT_SQLITE, sql, strlen(sql));
}

static void assert_sqlite_accepts(const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("SQLite rejects the test input: %s", err);
	sqlite3_close(db);
}

static dbs_table *table(dbsync_schema *s, const char *name)
{
	dbs_table *t = dbs_schema_find_table(s, name);
	if (!t)
		fail_msg("no table %s", name);
	return t;
}

static dbs_column *column(dbsync_schema *s, const char *tname, const char *cname)
{
	dbs_column *c = dbs_table_find_column(s, table(s, tname), cname);
	if (!c)
		fail_msg("no column %s.%s", tname, cname);
	return c;
}

/* The n-th constraint of `kind` on a table, or NULL. */
static dbs_constraint *constraint(dbsync_schema *s, const char *tname, dbs_con_kind kind, size_t nth)
{
	dbs_table *t = table(s, tname);
	for (size_t i = 0; i < t->constraints.n; i++)
		if (t->constraints.items[i]->kind == kind && nth-- == 0)
			return t->constraints.items[i];
	return NULL;
}

static dbs_index *index_named(dbsync_schema *s, const char *name)
{
	dbs_index *ix = dbs_schema_find_index(s, name, NULL);
	if (!ix)
		fail_msg("no index %s", name);
	return ix;
}

/* ---- Django's own DDL ---- */

static void test_django_fixture(void **state)
{
	(void)state;
	size_t len;
	char *sql = test_read_fixture("django52_sqlite.sql", &len);
	dbsync_schema *s = parse_ok(DBSYNC_DIALECT_SQLITE, sql, len);
	assert_int_equal(s->tables.n, 5);

	/* mixed-case db_table, AutoField, unique CharField, db_default */
	dbs_column *id = column(s, "PublisherTable", "id");
	assert_string_equal(id->type, "integer");
	assert_true(id->not_null);
	assert_true(id->autoincrement);
	dbs_constraint *pk = constraint(s, "PublisherTable", DBS_CON_PRIMARY, 0);
	assert_true(pk->inline_col && pk->pk_autoincrement);
	assert_string_equal(pk->cols.items[0], "id");
	assert_string_equal(column(s, "PublisherTable", "name")->type, "varchar(100)");
	dbs_constraint *uq = constraint(s, "PublisherTable", DBS_CON_UNIQUE, 0);
	assert_true(uq->inline_col);
	assert_string_equal(uq->cols.items[0], "name");
	assert_string_equal(column(s, "PublisherTable", "country")->default_expr, "'US'");

	/* every field type on fx_book */
	static const struct { const char *col, *type; bool not_null; } types[] = {
		{ "title", "varchar(200)", true }, { "body", "text", true }, { "email", "varchar(254)", true },
		{ "url", "varchar(200)", false }, { "slug", "varchar(50)", true }, { "pages", "integer", true },
		{ "big", "bigint", false }, { "small", "smallint", true }, { "pos", "integer unsigned", true },
		{ "pos_small", "smallint unsigned", false }, { "rating", "real", true }, { "price", "decimal", true },
		{ "active", "bool", true }, { "published", "date", true }, { "created", "datetime", true },
		{ "at", "time", false }, { "uid", "char(32)", true }, { "data", "text", false },
		{ "attachment", "varchar(100)", true }, { "cover", "varchar(100)", false },
		{ "publisher_id", "integer", true }, { "EditorRef", "integer", false }, { "total", "integer", false },
		{ "virt", "varchar(200)", false },
	};
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		dbs_column *c = column(s, "fx_book", types[i].col);
		if (strcmp(c->type, types[i].type) != 0 || c->not_null != types[i].not_null)
			fail_msg("fx_book.%s: %s nn=%d, want %s nn=%d", types[i].col, c->type, c->not_null, types[i].type,
				types[i].not_null);
	}
	assert_int_equal(table(s, "fx_book")->columns.n, 25);
	assert_string_equal(column(s, "fx_book", "small")->default_expr, "3");

	/* PositiveIntegerField and JSONField checks are inline, on their column */
	dbs_constraint *ck0 = constraint(s, "fx_book", DBS_CON_CHECK, 0);
	assert_true(ck0->inline_col);
	assert_string_equal(ck0->cols.items[0], "pos");
	assert_string_equal(ck0->check_expr, "\"pos\" >= 0");
	dbs_constraint *ckjson = constraint(s, "fx_book", DBS_CON_CHECK, 2);
	assert_string_equal(ckjson->cols.items[0], "data");
	assert_string_equal(ckjson->check_expr, "JSON_VALID(\"data\") OR \"data\" IS NULL");
	/* CheckConstraint: table level, named */
	dbs_constraint *ck = constraint(s, "fx_book", DBS_CON_CHECK, 3);
	assert_string_equal(ck->name, "book_pages_nonneg");
	assert_false(ck->inline_col);
	assert_int_equal(ck->cols.n, 0);
	assert_string_equal(ck->check_expr, "\"pages\" >= 0 AND \"price\" < '1000'");
	/* UniqueConstraint */
	dbs_constraint *u = constraint(s, "fx_book", DBS_CON_UNIQUE, 2);
	assert_string_equal(u->name, "book_email_slug_uniq");
	assert_int_equal(u->cols.n, 2);
	assert_string_equal(u->cols.items[1], "slug");

	/* ForeignKey with db_column, deferred */
	dbs_constraint *fk = constraint(s, "fx_book", DBS_CON_FOREIGN, 1);
	assert_string_equal(fk->cols.items[0], "EditorRef");
	assert_string_equal(fk->ref_table, "PublisherTable");
	assert_string_equal(fk->ref_cols.items[0], "id");
	assert_true(fk->deferrable && fk->initially_deferred);
	assert_null(fk->on_delete); /* Django emulates on_delete; the database says NO ACTION */

	/* GeneratedField, stored and virtual */
	dbs_column *total = column(s, "fx_book", "total");
	assert_string_equal(total->generated_expr, "\"pages\" * 2");
	assert_true(total->generated_stored);
	dbs_column *virt = column(s, "fx_book", "virt");
	assert_string_equal(virt->generated_expr, "LOWER(\"title\")");
	assert_false(virt->generated_stored);

	/* indexes: unique_together, partial unique, db_index, ordering, condition, expression */
	dbs_index *ut = index_named(s, "fx_book_title_publisher_id_fcf0c3f4_uniq");
	assert_true(ut->unique);
	assert_int_equal(ut->parts.n, 2);
	assert_string_equal(ut->parts.items[1].column, "publisher_id");
	dbs_index *pu = index_named(s, "book_email_partial_uniq");
	assert_true(pu->unique);
	assert_string_equal(pu->where_expr, "\"pages\" > 10");
	dbs_index *ord = index_named(s, "book_pub_rating_idx");
	assert_false(ord->parts.items[0].desc);
	assert_true(ord->parts.items[1].desc);
	assert_string_equal(ord->parts.items[1].column, "rating");
	assert_string_equal(index_named(s, "book_active_title_idx")->where_expr, "\"active\"");
	dbs_index *ex = index_named(s, "book_lower_title_idx");
	assert_null(ex->parts.items[0].column);
	assert_string_equal(ex->parts.items[0].expr, "LOWER(\"title\")");
	assert_string_equal(index_named(s, "fx_book_EditorRef_30595119")->parts.items[0].column, "EditorRef");
	assert_int_equal(table(s, "fx_book")->indexes.n, 8);

	/* the auto-created M2M table and its unique pair */
	assert_int_equal(table(s, "fx_book_tags")->columns.n, 3);
	assert_string_equal(column(s, "fx_book_tags", "tag_id")->type, "bigint");
	assert_string_equal(constraint(s, "fx_book_tags", DBS_CON_FOREIGN, 1)->ref_table, "fx_tag");
	dbs_index *m2m = index_named(s, "fx_book_tags_book_id_tag_id_d41cb330_uniq");
	assert_true(m2m->unique);
	assert_string_equal(m2m->parts.items[0].column, "book_id");
	assert_string_equal(m2m->parts.items[1].column, "tag_id");

	/* OneToOneField as primary key; db_default expressions */
	dbs_constraint *ppk = constraint(s, "fx_profile", DBS_CON_PRIMARY, 0);
	assert_string_equal(ppk->cols.items[0], "book_id");
	assert_false(ppk->pk_autoincrement);
	assert_string_equal(constraint(s, "fx_profile", DBS_CON_FOREIGN, 0)->ref_table, "fx_book");
	assert_string_equal(column(s, "fx_profile", "score")->default_expr, "1 + 2");
	assert_string_equal(column(s, "fx_profile", "when")->default_expr, "STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')");
	assert_string_equal(column(s, "fx_profile", "nick")->default_expr, "'anon'");
	dbsync_schema_free(s);
	free(sql);
}

static void test_django_fixture_more(void **state)
{
	(void)state;
	size_t len;
	char *sql = test_read_fixture("django52_sqlite_more.sql", &len);
	assert_sqlite_accepts(sql);
	dbsync_schema *s = parse_ok(DBSYNC_DIALECT_SQLITE, sql, len);
	assert_int_equal(s->tables.n, 1);
	dbs_column *code = column(s, "fy item", "code");
	assert_string_equal(code->collation, "NOCASE");
	assert_true(code->not_null);
	assert_string_equal(column(s, "fy item", "ratio")->default_expr, "0.5");
	assert_string_equal(column(s, "fy item", "flag")->default_expr, "0");
	assert_string_equal(column(s, "fy item", "label")->default_expr, "UPPER('x')");
	assert_string_equal(constraint(s, "fy item", DBS_CON_CHECK, 0)->check_expr,
		"\"qty\" IS NULL OR NOT (\"qty\" < 0 AND \"qty\" IS NOT NULL)");
	assert_string_equal(constraint(s, "fy item", DBS_CON_CHECK, 1)->check_expr, "\"kind\" IN ('a', 'b')");
	assert_string_equal(constraint(s, "fy item", DBS_CON_CHECK, 2)->check_expr,
		"\"name\" LIKE 'x\\%\\_%' ESCAPE '\\' OR \"code\" LIKE '%A%' ESCAPE '\\'");
	assert_string_equal(constraint(s, "fy item", DBS_CON_CHECK, 3)->check_expr,
		"\"price\" > (\"qty\" * 2) OR \"price\" IS NULL");
	assert_null(constraint(s, "fy item", DBS_CON_FOREIGN, 0)); /* db_constraint=False */
	dbs_index *lower = index_named(s, "item_lower_name_uniq");
	assert_true(lower->unique);
	assert_string_equal(lower->parts.items[0].expr, "LOWER(\"name\")");
	dbs_index *mixed = index_named(s, "item_expr_mixed");
	assert_string_equal(mixed->parts.items[0].expr, "COALESCE(\"qty\", 0)");
	assert_true(mixed->parts.items[0].desc);
	assert_string_equal(mixed->parts.items[1].column, "name");
	assert_string_equal(index_named(s, "item_code_partial")->where_expr, "\"qty\" > 0 AND \"name\" IN ('a', 'b')");
	assert_string_equal(index_named(s, "fy item_parent_id_7566b4e2")->parts.items[0].column, "parent_id");
	dbsync_schema_free(s);
	free(sql);
}

/* Django 6 writes the same models a little differently; the model says so. */
static void test_django6_fixture(void **state)
{
	(void)state;
	size_t len, len52;
	char *sql = test_read_fixture("django61_sqlite.sql", &len);
	char *sql52 = test_read_fixture("django52_sqlite.sql", &len52);
	assert_sqlite_accepts(sql);
	dbsync_schema *s = parse_ok(DBSYNC_DIALECT_SQLITE, sql, len);
	dbsync_schema *s52 = parse_ok(DBSYNC_DIALECT_SQLITE, sql52, len52);
	assert_int_equal(s->tables.n, s52->tables.n);
	assert_string_equal(column(s, "fx_book", "publisher_id")->type, "bigint");
	assert_string_equal(column(s52, "fx_book", "publisher_id")->type, "integer");
	assert_string_equal(index_named(s, "book_active_title_idx")->where_expr, "\"active\" = 1");
	assert_string_equal(column(s, "fx_book", "id")->type, "integer"); /* still the rowid */
	assert_true(column(s, "fx_book", "id")->autoincrement);
	for (size_t i = 0; i < s52->tables.n; i++) {
		const dbs_table *a = s52->tables.items[i], *b = table(s, a->name);
		assert_int_equal(a->columns.n, b->columns.n);
		assert_int_equal(a->constraints.n, b->constraints.n);
		assert_int_equal(a->indexes.n, b->indexes.n);
	}
	dbsync_schema_free(s);
	dbsync_schema_free(s52);
	free(sql);
	free(sql52);
}

/* SQLite keeps each CREATE statement's text in sqlite_schema; the backend feeds
 * that back through the parser, which must give the very same model. */
static void roundtrip_through_sqlite(const char *fixture)
{
	size_t len;
	char *sql = test_read_fixture(fixture, &len);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("SQLite rejects the fixture: %s", err);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db,
		"SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid",
		-1, &st, NULL), SQLITE_OK);
	dbs_buf stored = DBS_BUF_INIT;
	while (sqlite3_step(st) == SQLITE_ROW)
		dbs_buf_printf(&stored, "%s;\n", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);

	dbsync_schema *a = parse_ok(DBSYNC_DIALECT_SQLITE, sql, len);
	dbsync_schema *b = parse_ok(DBSYNC_DIALECT_SQLITE, stored.ptr, stored.len);
	dbsync_schema *a2 = parse_ok(DBSYNC_DIALECT_SQLITE, sql, len);
	dbs_buf da = DBS_BUF_INIT, db2 = DBS_BUF_INIT, da2 = DBS_BUF_INIT;
	dump_schema(&da, a);
	dump_schema(&db2, b);
	dump_schema(&da2, a2);
	assert_string_equal(dbs_buf_cstr(&da), dbs_buf_cstr(&db2));
	assert_string_equal(dbs_buf_cstr(&da), dbs_buf_cstr(&da2)); /* deterministic */
	/* normalizing a parsed schema again changes nothing */
	assert_int_equal(dbs_schema_normalize(a, NULL), 0);
	dbs_buf_clear(&da2);
	dump_schema(&da2, a);
	assert_string_equal(dbs_buf_cstr(&da), dbs_buf_cstr(&da2));
	dbs_buf_free(&da);
	dbs_buf_free(&db2);
	dbs_buf_free(&da2);
	dbs_buf_free(&stored);
	dbsync_schema_free(a);
	dbsync_schema_free(a2);
	dbsync_schema_free(b);
	free(sql);
}

static void test_fixture_roundtrip_through_sqlite(void **state)
{
	(void)state;
	roundtrip_through_sqlite("django52_sqlite.sql");
	roundtrip_through_sqlite("django52_sqlite_more.sql");
	roundtrip_through_sqlite("django61_sqlite.sql");
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A table's dump with its lines sorted: the same table whatever the order of its
 * columns, constraints and indexes. */
static char *sorted_dump(const dbs_table *t)
{
	dbs_buf b = DBS_BUF_INIT;
	dump_table(&b, t);
	char *text = dbs_buf_detach(&b);
	assert_non_null(text);
	char *lines[512];
	size_t n = 0;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		assert_true(n < 512);
		lines[n++] = line;
	}
	qsort(lines, n, sizeof lines[0], cmp_line);
	for (size_t i = 0; i < n; i++)
		dbs_buf_printf(&b, "%s\n", lines[i]);
	free(text);
	return dbs_buf_detach(&b);
}

/* What Django's migrate left in SQLite describes the same tables as what its
 * schema editor would create; only the column order differs (migrate's table
 * rebuilds move foreign key columns to the end). */
static void test_migrated_database_matches_collect_sql(void **state)
{
	(void)state;
	size_t len, mlen;
	char *sql = test_read_fixture("django52_sqlite.sql", &len);
	char *msql = test_read_fixture("django52_sqlite_migrated.sql", &mlen);
	assert_sqlite_accepts(msql);
	dbsync_schema *want = parse_ok(DBSYNC_DIALECT_SQLITE, sql, len);
	dbsync_schema *got = parse_ok(DBSYNC_DIALECT_SQLITE, msql, mlen);
	assert_int_equal(got->tables.n, 15); /* auth, contenttypes, admin, sessions, migrations, fx */
	bool moved = false;
	for (size_t i = 0; i < want->tables.n; i++) {
		const dbs_table *w = want->tables.items[i];
		const dbs_table *g = dbs_schema_find_table(got, w->name);
		if (!g)
			fail_msg("migrate did not create %s", w->name);
		char *dw = sorted_dump(w), *dg = sorted_dump(g);
		assert_string_equal(dw, dg);
		free(dw);
		free(dg);
		for (size_t j = 0; j < w->columns.n; j++)
			moved |= strcmp(w->columns.items[j]->name, g->columns.items[j]->name) != 0;
	}
	assert_true(moved);
	dbsync_schema_free(want);
	dbsync_schema_free(got);
	free(sql);
	free(msql);
}

/* ---- hand-written SQLite edge cases, each valid SQLite ---- */

/* Every step after parsing reads the dialect's data table, so a value that
 * is no dialect is refused up front, naming it, and no schema is made. */
static void test_unknown_dialect_refused(void **state)
{
	(void)state;
	dbsync_ctx *ctx = NULL;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	dbsync_schema *s = (dbsync_schema *)ctx; /* must be reset */
	assert_int_equal(dbsync_schema_parse(&s, ctx, (dbsync_dialect)99, "CREATE TABLE t (a int)", 22),
		DBSYNC_EINVALID);
	assert_null(s);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "dialect 99"));
	dbsync_ctx_free(ctx);
}

static void test_quoted_names(void **state)
{
	(void)state;
	const char *sql =
		"CREATE TABLE \"my \"\"odd\"\" table\" ([col one] INT, `tick``s` TEXT, \"été ünï\" TEXT, 'strname' INT);\n"
		"CREATE INDEX \"idx \"\"q\"\"\" ON \"my \"\"odd\"\" table\" (\"été ünï\", [col one]);";
	assert_sqlite_accepts(sql);
	dbsync_schema *s = parse_sqlite(sql);
	dbs_table *t = table(s, "my \"odd\" table");
	assert_int_equal(t->columns.n, 4);
	assert_string_equal(t->columns.items[0]->name, "col one");
	assert_string_equal(t->columns.items[1]->name, "tick`s");
	assert_string_equal(t->columns.items[2]->name, "été ünï");
	assert_string_equal(t->columns.items[3]->name, "strname");
	dbs_index *ix = index_named(s, "idx \"q\"");
	assert_string_equal(ix->parts.items[0].column, "été ünï");
	assert_string_equal(ix->parts.items[1].column, "col one");
	dbsync_schema_free(s);
}

static void test_column_constraints(void **state)
{
	(void)state;
	const char *sql =
		"CREATE TABLE parent (id INTEGER PRIMARY KEY);\n"
		"CREATE TABLE t (\n"
		"  a VARCHAR ( 10 ) CONSTRAINT a_nn NOT NULL CONSTRAINT a_u UNIQUE ON CONFLICT IGNORE,\n"
		"  b decimal(10, 2) DEFAULT -1.5 CHECK (b < 0) COLLATE NoCase,\n"
		"  c DOUBLE PRECISION NULL DEFAULT (1 + 2),\n"
		"  d TEXT DEFAULT CURRENT_TIMESTAMP,\n"
		"  e TEXT DEFAULT bareword,\n"
		"  f BLOB DEFAULT X'00ff',\n"
		"  g INTEGER CONSTRAINT g_fk REFERENCES parent (id) ON DELETE CASCADE ON UPDATE SET NULL\n"
		"      MATCH SIMPLE DEFERRABLE INITIALLY DEFERRED NOT NULL,\n"
		"  h INT GENERATED ALWAYS AS (b * 2) STORED,\n"
		"  i INT AS (c + 1),\n"
		"  j,\n"
		"  k INTEGER REFERENCES parent NOT DEFERRABLE,\n"
		"  l TEXT DEFAULT +'x', m DEFAULT \"dq\", n DEFAULT -0x10\n"
		");";
	assert_sqlite_accepts(sql);
	dbsync_schema *s = parse_sqlite(sql);
	dbs_column *a = column(s, "t", "a");
	assert_string_equal(a->type, "varchar(10)");
	assert_true(a->not_null);
	dbs_constraint *u = constraint(s, "t", DBS_CON_UNIQUE, 0);
	assert_string_equal(u->name, "a_u");
	assert_true(u->inline_col);
	assert_string_equal(u->cols.items[0], "a");
	dbs_column *b = column(s, "t", "b");
	assert_string_equal(b->type, "decimal(10,2)");
	assert_string_equal(b->default_expr, "-1.5");
	assert_string_equal(b->collation, "NOCASE");
	dbs_constraint *ck = constraint(s, "t", DBS_CON_CHECK, 0);
	assert_string_equal(ck->check_expr, "\"b\" < 0");
	assert_string_equal(ck->cols.items[0], "b");
	dbs_column *c = column(s, "t", "c");
	assert_string_equal(c->type, "double precision");
	assert_false(c->not_null);
	assert_string_equal(c->default_expr, "1 + 2");
	assert_string_equal(column(s, "t", "d")->default_expr, "CURRENT_TIMESTAMP");
	assert_string_equal(column(s, "t", "e")->default_expr, "'bareword'"); /* SQLite reads it as a string */
	assert_string_equal(column(s, "t", "f")->default_expr, "X'00FF'");
	dbs_constraint *fk = constraint(s, "t", DBS_CON_FOREIGN, 0);
	assert_string_equal(fk->name, "g_fk");
	assert_string_equal(fk->ref_table, "parent");
	assert_string_equal(fk->on_delete, "CASCADE");
	assert_string_equal(fk->on_update, "SET NULL");
	assert_true(fk->deferrable && fk->initially_deferred);
	assert_true(column(s, "t", "g")->not_null);
	dbs_column *h = column(s, "t", "h");
	assert_string_equal(h->generated_expr, "\"b\" * 2");
	assert_true(h->generated_stored);
	dbs_column *i = column(s, "t", "i");
	assert_string_equal(i->generated_expr, "\"c\" + 1");
	assert_false(i->generated_stored);
	assert_null(column(s, "t", "j")->type);
	dbs_constraint *fk2 = constraint(s, "t", DBS_CON_FOREIGN, 1);
	assert_int_equal(fk2->ref_cols.n, 0);
	assert_false(fk2->deferrable);
	/* what SQLite stores for these (checked below) is what the model says */
	assert_string_equal(column(s, "t", "l")->default_expr, "+'x'");
	assert_string_equal(column(s, "t", "m")->default_expr, "'dq'");
	assert_string_equal(column(s, "t", "n")->default_expr, "-0x10");
	sqlite3 *db;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO t (a, g) VALUES ('a', 1)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT quote(e), quote(l), quote(m), quote(n), quote(b) FROM t", -1, &st, NULL),
		SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "'bareword'");
	assert_string_equal((const char *)sqlite3_column_text(st, 1), "'x'");
	assert_string_equal((const char *)sqlite3_column_text(st, 2), "'dq'");
	assert_string_equal((const char *)sqlite3_column_text(st, 3), "-16");
	assert_string_equal((const char *)sqlite3_column_text(st, 4), "-1.5");
	sqlite3_finalize(st);
	sqlite3_close(db);
	dbsync_schema_free(s);
}

static void test_table_constraints_and_options(void **state)
{
	(void)state;
	const char *sql =
		"CREATE TABLE p (a INT, b INT, PRIMARY KEY (a, b));\n"
		"CREATE TABLE IF NOT EXISTS c (\n"
		"  x INT, y INT, z TEXT /* a comment, inside */,\n"
		"  CONSTRAINT c_pk PRIMARY KEY (z DESC),\n"
		"  CONSTRAINT c_fk FOREIGN KEY (x, y) REFERENCES p (a, b) ON DELETE SET DEFAULT ON UPDATE RESTRICT\n"
		"    DEFERRABLE INITIALLY IMMEDIATE,\n"
		"  CONSTRAINT xy_u UNIQUE (x, y) CHECK (x < y) CONSTRAINT named_ck CHECK (length(z) > 0)\n"
		") WITHOUT ROWID, STRICT;\n"
		"CREATE TABLE IF NOT EXISTS c (other INT);\n"
		"CREATE TABLE ai (id INTEGER PRIMARY KEY AUTOINCREMENT);\n"
		"CREATE TABLE ai2 (id INTEGER, x, PRIMARY KEY (id AUTOINCREMENT));";
	assert_sqlite_accepts(sql);
	dbsync_schema *s = parse_sqlite(sql);
	assert_int_equal(s->tables.n, 4);
	dbs_table *c = table(s, "c");
	assert_true(c->without_rowid);
	assert_true(c->strict);
	assert_int_equal(c->columns.n, 3); /* the second CREATE ... IF NOT EXISTS changed nothing */
	dbs_constraint *pk = constraint(s, "c", DBS_CON_PRIMARY, 0);
	assert_string_equal(pk->name, "c_pk");
	assert_false(pk->inline_col);
	assert_string_equal(pk->cols.items[0], "z");
	assert_true(column(s, "c", "z")->not_null); /* WITHOUT ROWID keys are NOT NULL */
	dbs_constraint *fk = constraint(s, "c", DBS_CON_FOREIGN, 0);
	assert_string_equal(fk->name, "c_fk");
	assert_int_equal(fk->cols.n, 2);
	assert_string_equal(fk->ref_cols.items[1], "b");
	assert_string_equal(fk->on_delete, "SET DEFAULT");
	assert_string_equal(fk->on_update, "RESTRICT");
	assert_true(fk->deferrable);
	assert_false(fk->initially_deferred);
	dbs_constraint *u = constraint(s, "c", DBS_CON_UNIQUE, 0);
	assert_string_equal(u->name, "xy_u");
	assert_false(u->inline_col);
	assert_null(constraint(s, "c", DBS_CON_CHECK, 0)->name); /* no comma, no name: its own constraint */
	assert_string_equal(constraint(s, "c", DBS_CON_CHECK, 0)->check_expr, "\"x\" < \"y\"");
	assert_string_equal(constraint(s, "c", DBS_CON_CHECK, 1)->name, "named_ck");
	assert_string_equal(constraint(s, "c", DBS_CON_CHECK, 1)->check_expr, "LENGTH(\"z\") > 0");
	dbs_constraint *aipk = constraint(s, "ai", DBS_CON_PRIMARY, 0);
	assert_true(aipk->pk_autoincrement);
	assert_true(column(s, "ai", "id")->autoincrement);
	assert_true(constraint(s, "ai2", DBS_CON_PRIMARY, 0)->pk_autoincrement);
	assert_false(constraint(s, "ai2", DBS_CON_PRIMARY, 0)->inline_col);
	assert_true(column(s, "ai2", "id")->autoincrement);
	assert_true(column(s, "ai2", "id")->not_null);
	dbsync_schema_free(s);
}

static void test_script_statements(void **state)
{
	(void)state;
	const char *sql =
		"PRAGMA foreign_keys = OFF;\n"
		"BEGIN TRANSACTION;\n"
		"CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT);\n"
		"CREATE TRIGGER trg AFTER UPDATE ON a WHEN new.v = 'x' BEGIN\n"
		"  UPDATE a SET v = CASE WHEN new.id > 1 THEN 'big; one' ELSE 'small' END WHERE id = new.id;\n"
		"  INSERT INTO a (v) VALUES ('end');\n"
		"END;\n"
		"CREATE VIEW va AS SELECT id, (v || ';') AS w FROM a WHERE id > 0;\n"
		"CREATE TEMP TABLE scratch (x);\n"
		"CREATE UNIQUE INDEX IF NOT EXISTS a_v ON a (v COLLATE NOCASE DESC, (id + 1), lower(v)) WHERE v IS NOT NULL;\n"
		"CREATE INDEX IF NOT EXISTS a_v ON a (id);\n"
		"ALTER TABLE a ADD COLUMN w INTEGER NOT NULL DEFAULT 0;\n"
		"ALTER TABLE a ADD x TEXT REFERENCES a (id);\n"
		"COMMIT;\n"
		";;";
	assert_sqlite_accepts(sql);
	dbsync_schema *s = parse_sqlite(sql);
	assert_int_equal(s->tables.n, 1);
	assert_null(dbs_schema_find_table(s, "scratch"));
	dbs_table *a = table(s, "a");
	assert_int_equal(a->columns.n, 4);
	assert_string_equal(column(s, "a", "w")->default_expr, "0");
	assert_true(column(s, "a", "w")->not_null);
	assert_string_equal(constraint(s, "a", DBS_CON_FOREIGN, 0)->cols.items[0], "x");
	assert_int_equal(a->indexes.n, 1);
	dbs_index *ix = index_named(s, "a_v");
	assert_true(ix->unique);
	assert_int_equal(ix->parts.n, 3);
	assert_string_equal(ix->parts.items[0].column, "v");
	assert_string_equal(ix->parts.items[0].collation, "NOCASE");
	assert_true(ix->parts.items[0].desc);
	assert_string_equal(ix->parts.items[1].expr, "\"id\" + 1");
	assert_string_equal(ix->parts.items[2].expr, "LOWER(\"v\")");
	assert_string_equal(ix->where_expr, "\"v\" IS NOT NULL");
	assert_int_equal(s->views.n, 1);
	assert_string_equal(s->views.items[0]->name, "va");
	assert_string_equal(s->views.items[0]->definition, "SELECT id, (v || ';') AS w FROM a WHERE id > 0");
	dbsync_schema_free(s);
}

/* Django's PostgreSQL and MySQL editors add foreign keys with ALTER TABLE. */
static void test_alter_table_add_constraint_other_dialects(void **state)
{
	(void)state;
	const char *pg =
		"CREATE TABLE \"app_author\" (\"id\" bigint NOT NULL PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY, "
		"\"Name\" varchar(50) NOT NULL);\n"
		"CREATE TABLE \"app_book\" (\"id\" integer NOT NULL PRIMARY KEY GENERATED ALWAYS AS IDENTITY, "
		"\"author_id\" bigint NOT NULL, \"tags\" varchar(10)[] NULL, \"t\" text DEFAULT 'x'::text NOT NULL);\n"
		"ALTER TABLE ONLY app_book ADD COLUMN IF NOT EXISTS t integer DEFAULT (1, 2), ADD COLUMN IF NOT EXISTS u int;\n"
		"ALTER TABLE \"app_book\" ADD CONSTRAINT \"app_book_author_id_fk\" FOREIGN KEY (\"author_id\") "
		"REFERENCES \"app_author\" (\"id\") DEFERRABLE INITIALLY DEFERRED;\n"
		"CREATE INDEX \"app_author_name_like\" ON \"app_author\" (\"Name\" varchar_pattern_ops);\n"
		"COMMENT ON COLUMN \"app_book\".\"t\" IS 'the t';\n"
		"CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql;";
	dbsync_schema *s = parse_ok(DBSYNC_DIALECT_POSTGRES, pg, strlen(pg));
	assert_string_equal(column(s, "app_author", "id")->identity, "BY DEFAULT");
	assert_string_equal(column(s, "app_book", "id")->identity, "ALWAYS");
	assert_string_equal(column(s, "app_book", "tags")->type, "character varying(10)[]"); /* as format_type prints it */
	assert_string_equal(column(s, "app_book", "t")->default_expr, "'x'::text");
	assert_true(column(s, "app_book", "t")->not_null);
	assert_string_equal(column(s, "app_book", "t")->comment, "the t");
	assert_string_equal(column(s, "app_book", "t")->type, "text"); /* IF NOT EXISTS kept the first */
	assert_string_equal(column(s, "app_book", "u")->type, "integer");
	dbs_constraint *fk = constraint(s, "app_book", DBS_CON_FOREIGN, 0);
	assert_string_equal(fk->name, "app_book_author_id_fk");
	assert_string_equal(fk->ref_table, "app_author");
	assert_true(fk->deferrable && fk->initially_deferred);
	dbs_index *ix = index_named(s, "app_author_name_like");
	assert_string_equal(ix->parts.items[0].column, "Name");
	assert_string_equal(ix->parts.items[0].opclass, "varchar_pattern_ops");
	dbsync_schema_free(s);

	const char *my =
		"CREATE TABLE `app_author` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `name` varchar(50) NOT NULL "
		"COMMENT 'who', KEY `name_idx` (`name`(10)));\n"
		"CREATE TABLE `app_book` (`id` integer AUTO_INCREMENT NOT NULL PRIMARY KEY, `author_id` bigint NOT NULL, "
		"`n` int(11) unsigned DEFAULT NULL, "
		"`ts` datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), "
		"`s` varchar(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin INVISIBLE DEFAULT 'a' \"b\", "
		"`j` json CHARSET utf8mb4 VISIBLE, `d` decimal(10,2) DEFAULT (rand() * 10)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n"
		"ALTER TABLE `app_book` ADD CONSTRAINT `app_book_author_id_fk` FOREIGN KEY (`author_id`) "
		"REFERENCES `app_author` (`id`);";
	s = parse_ok(DBSYNC_DIALECT_MYSQL, my, strlen(my));
	assert_true(column(s, "app_author", "id")->autoincrement);
	assert_string_equal(column(s, "app_author", "name")->comment, "who");
	assert_int_equal(index_named(s, "name_idx")->parts.items[0].prefix_len, 10);
	assert_string_equal(column(s, "app_book", "n")->type, "int(11) unsigned");
	assert_null(column(s, "app_book", "n")->default_expr);
	assert_string_equal(column(s, "app_book", "ts")->type, "datetime(6)");
	assert_string_equal(column(s, "app_book", "ts")->default_expr, "CURRENT_TIMESTAMP(6)");
	assert_true(column(s, "app_book", "ts")->not_null);
	assert_string_equal(column(s, "app_book", "s")->collation, "utf8mb4_bin");
	assert_string_equal(column(s, "app_book", "s")->default_expr, "'a' 'b'");
	assert_string_equal(column(s, "app_book", "j")->type, "json");
	assert_string_equal(column(s, "app_book", "d")->default_expr, "RAND() * 10");
	assert_string_equal(constraint(s, "app_book", DBS_CON_FOREIGN, 0)->ref_table, "app_author");
	dbsync_schema_free(s);
}

static void test_views_comments_and_index_options(void **state)
{
	(void)state;
	const char *pg =
		"CREATE TABLE t (a int, b text, c jsonb);\n"
		"CREATE INDEX CONCURRENTLY IF NOT EXISTS t_c ON ONLY public.t USING GIN (c) WITH (fastupdate = off);\n"
		"CREATE UNIQUE INDEX t_ab ON t USING btree (a) INCLUDE (b) NULLS NOT DISTINCT WITH (FILLFACTOR = 70, "
		"deduplicate_items = 'false') WHERE a > 0;\n"
		"CREATE INDEX t_b ON t (b COLLATE \"C\" text_pattern_ops DESC NULLS LAST);\n"
		"CREATE VIEW v1 AS SELECT a FROM t;\n"
		"CREATE OR REPLACE VIEW v1 (x) WITH (security_barrier) AS SELECT a + 1 FROM t;\n"
		"CREATE VIEW v2 AS SELECT 2;\n"
		"COMMENT ON TABLE public.t IS 'the table';\n"
		"COMMENT ON INDEX t_ab IS $$it's$$;\n"
		"COMMENT ON COLUMN t.b IS 'bee'; COMMENT ON COLUMN t.b IS NULL;\n"
		"COMMENT ON SEQUENCE s IS 'ignored';";
	dbsync_schema *s = parse_ok(DBSYNC_DIALECT_POSTGRES, pg, strlen(pg));
	dbs_table *t = table(s, "t");
	assert_string_equal(t->comment, "the table");
	assert_null(column(s, "t", "b")->comment);
	assert_int_equal(t->indexes.n, 3);
	dbs_index *ab = index_named(s, "t_ab");
	assert_true(ab->unique);
	assert_null(ab->method); /* btree is the default */
	assert_int_equal(ab->include.n, 1);
	assert_string_equal(ab->include.items[0], "b");
	assert_string_equal(ab->where_expr, "\"a\" > 0");
	assert_string_equal(ab->comment, "it's");
	assert_true(ab->nulls_not_distinct);
	/* storage parameters sorted by name, a boolean's spellings as on/off */
	assert_string_equal(ab->options, "deduplicate_items=off, fillfactor=70");
	dbs_index *tb = index_named(s, "t_b");
	assert_string_equal(tb->parts.items[0].column, "b");
	assert_string_equal(tb->parts.items[0].collation, "C");
	assert_string_equal(tb->parts.items[0].opclass, "text_pattern_ops");
	assert_true(tb->parts.items[0].desc);
	assert_int_equal(s->views.n, 2);
	assert_string_equal(s->views.items[0]->name, "v1");
	assert_string_equal(s->views.items[0]->definition, "SELECT a + 1 FROM t");
	dbsync_schema_free(s);

	const char *gin = "CREATE TABLE t (c jsonb); CREATE INDEX t_c ON t USING GIN (c);";
	s = parse_ok(DBSYNC_DIALECT_POSTGRES, gin, strlen(gin));
	assert_string_equal(index_named(s, "t_c")->method, "gin");
	dbsync_schema_free(s);

	const char *my =
		"CREATE TABLE `t` (`a` int, `b` varchar(20), UNIQUE KEY `t_a` (`a`), FULLTEXT KEY `t_ft` (`b`));\n"
		"CREATE INDEX `t_b` USING BTREE ON `t` (`b`(5) DESC) COMMENT 'x' ALGORITHM = INPLACE;\n"
		"CREATE INDEX `t_b2` ON `t` (`b`);";
	s = parse_ok(DBSYNC_DIALECT_MYSQL, my, strlen(my));
	assert_string_equal(constraint(s, "t", DBS_CON_UNIQUE, 0)->name, "t_a");
	assert_string_equal(index_named(s, "t_ft")->method, "fulltext");
	dbs_index *b = index_named(s, "t_b");
	assert_int_equal(b->parts.items[0].prefix_len, 5);
	assert_true(b->parts.items[0].desc);
	assert_non_null(dbs_schema_find_index(s, "t_b2", NULL));
	dbsync_schema_free(s);
}

static void expect_error_in(dbsync_dialect d, const char *sql, const char *needle)
{
	dbsync_ctx *ctx;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	dbsync_schema *s = NULL;
	assert_int_equal(dbsync_schema_parse(&s, ctx, d, sql, strlen(sql)), DBSYNC_EPARSE);
	if (!strstr(dbsync_ctx_error(ctx)->message, needle))
		fail_msg("error \"%s\" lacks \"%s\"", dbsync_ctx_error(ctx)->message, needle);
	dbsync_ctx_free(ctx);
}

static void test_statement_errors_name_objects(void **state)
{
	(void)state;
	dbsync_dialect pg = DBSYNC_DIALECT_POSTGRES;
	expect_error_in(pg, "CREATE VIEW v AS SELECT 1; CREATE VIEW v AS SELECT 2", "view \"v\" is defined twice");
	expect_error_in(pg, "CREATE TABLE t (a int); COMMENT ON INDEX nope IS 'x'", "COMMENT ON unknown index \"nope\"");
	expect_error_in(pg, "COMMENT ON TABLE nope IS 'x'", "COMMENT ON unknown table \"nope\"");
	expect_error_in(pg, "CREATE TABLE t (a int); COMMENT ON COLUMN t.z IS 'x'", "unknown column \"z\" of table \"t\"");
	expect_error_in(pg, "CREATE TABLE t (a int); COMMENT ON COLUMN t IS 'x'", "needs table.column");
	expect_error_in(pg, "CREATE TABLE t (a int); COMMENT ON COLUMN a.b.c.d IS 'x'", "too many name parts");
	expect_error_in(pg, "CREATE TABLE t (a int); COMMENT ON TABLE t IS 42", "expected a string or NULL");
	expect_error_in(pg, "CREATE TABLE t (a int, EXCLUDE USING gist (a))", "expected element WITH operator in the elements of exclusion constraint \"\" of table \"t\"");
	expect_error_in(pg, "CREATE TABLE t (a int, CONSTRAINT x EXCLUDE USING gist (b WITH =))", "constraint \"x\" of table \"t\" names unknown column \"b\"");
	expect_error_in(pg, "CREATE TABLE t (a int); CREATE INDEX i ON t (a) TABLESPACE fast", "TABLESPACE is not supported in index \"i\" on table \"t\"");
	expect_error_in(pg, "CREATE TABLE t (a int); ALTER TABLE t ALTER COLUMN z SET DEFAULT 1", "unknown column \"z\" in table \"t\"");
	expect_error_in(pg, "CREATE TABLE t (a int); ALTER TABLE t ALTER COLUMN a SET STATISTICS 5", "unsupported ALTER COLUMN action for column \"a\" of table \"t\"");
	expect_error_in(pg, "CREATE TABLE t (a int DEFAULT (1 + ", "missing ')' for column \"a\" of table \"t\"");
	expect_error_in(pg, "CREATE TABLE t (a int DEFAULT", "expected an expression for column \"a\" of table \"t\"");
	expect_error_in(pg, "CREATE TABLE t (a int GENERATED BY 5)", "expected DEFAULT for column \"a\" of table \"t\"");
	expect_error_in(DBSYNC_DIALECT_SQLITE, "CREATE TABLE t (a); CREATE INDEX i ON t (a) WHERE a > 0)", "unbalanced ')' in index \"i\" on table \"t\"");
	expect_error_in(DBSYNC_DIALECT_SQLITE, "CREATE TABLE t (a); CREATE INDEX i ON t (a", "missing ')' in the column list of index \"i\" on table \"t\"");
	expect_error_in(DBSYNC_DIALECT_SQLITE, "CREATE VIEW v AS", "expected an expression in the definition of view \"v\"");
	expect_error_in(DBSYNC_DIALECT_SQLITE, "CREATE TABLE t (a) STRICT STRICT", "expected ';' at the end of CREATE TABLE \"t\"");
}

/* What is not schema DDL is refused, naming the line and the statement; a
 * statement hidden in a MySQL executable comment is a statement too. */
static void test_not_schema_ddl_refused(void **state)
{
	(void)state;
	static const struct { dbsync_dialect d; const char *stmt; const char *why; } refused[] = {
		{ DBSYNC_DIALECT_MYSQL, "DELETE FROM live_db.keep", "changes data" },
		{ DBSYNC_DIALECT_MYSQL, "USE live_db", "switches" },
		{ DBSYNC_DIALECT_MYSQL, "DROP TABLE IF EXISTS `keep`", "drops" },
		{ DBSYNC_DIALECT_MYSQL, "/*!40000 DROP TABLE keep */", "drops" },
		{ DBSYNC_DIALECT_MYSQL, "REPLACE INTO keep VALUES (1)", "changes data" },
		{ DBSYNC_DIALECT_MYSQL, "LOAD DATA INFILE 'x' INTO TABLE keep", "changes data" },
		{ DBSYNC_DIALECT_MYSQL, "CREATE DATABASE other", "creates a database" },
		{ DBSYNC_DIALECT_MYSQL, "ALTER DATABASE live_db CHARACTER SET latin1", "changes a database" },
		{ DBSYNC_DIALECT_MYSQL, "ALTER USER root IDENTIFIED BY 'x'", "changes a database, schema, role" },
		{ DBSYNC_DIALECT_MYSQL, "GRANT ALL ON *.* TO x", "privileges" },
		{ DBSYNC_DIALECT_MYSQL, "SET GLOBAL read_only = 1", "setting" },
		{ DBSYNC_DIALECT_MYSQL, "SET @x = (SELECT COUNT(*) FROM keep)", "plain values" },
		{ DBSYNC_DIALECT_MYSQL, "SET sql_log_bin = 0", "setting" },
		{ DBSYNC_DIALECT_MYSQL, "LOCK TABLES keep WRITE", "locks" },
		{ DBSYNC_DIALECT_MYSQL, "CALL p()", "query or code" },
		{ DBSYNC_DIALECT_MYSQL, "HANDLER keep OPEN", "changes data" },
		{ DBSYNC_DIALECT_POSTGRES, "DELETE FROM keep", "changes data" },
		{ DBSYNC_DIALECT_POSTGRES, "COPY keep TO PROGRAM 'rm -rf /tmp/x'", "changes data" },
		{ DBSYNC_DIALECT_POSTGRES, "SELECT pg_terminate_backend(1)", "query or code" },
		{ DBSYNC_DIALECT_POSTGRES, "WITH d AS (DELETE FROM keep RETURNING *) SELECT 1", "query or code" },
		{ DBSYNC_DIALECT_POSTGRES, "DO $$ BEGIN DELETE FROM keep; END $$", "query or code" },
		{ DBSYNC_DIALECT_POSTGRES, "TRUNCATE keep", "changes data" },
		{ DBSYNC_DIALECT_POSTGRES, "MERGE INTO keep USING x ON true WHEN MATCHED THEN DELETE", "changes data" },
		{ DBSYNC_DIALECT_POSTGRES, "ALTER SYSTEM SET fsync = off", "server" },
		{ DBSYNC_DIALECT_POSTGRES, "ALTER ROLE x SUPERUSER", "role" },
		{ DBSYNC_DIALECT_POSTGRES, "CREATE SCHEMA other CREATE TABLE x (id int)", "schema's own statements" },
		{ DBSYNC_DIALECT_POSTGRES, "ALTER SCHEMA other RENAME TO x", "changes a database, schema" },
		{ DBSYNC_DIALECT_MYSQL, "CREATE SCHEMA other", "creates a database" },
		{ DBSYNC_DIALECT_POSTGRES, "SET ROLE postgres", "setting" },
		{ DBSYNC_DIALECT_POSTGRES, "SET session_replication_role = replica", "setting" },
		{ DBSYNC_DIALECT_POSTGRES, "SELECT pg_catalog.set_config('search_path', 'x', false)", "query or code" },
		{ DBSYNC_DIALECT_POSTGRES, "VALUES (1)", "query or code" },
		{ DBSYNC_DIALECT_POSTGRES, "EXPLAIN ANALYZE DELETE FROM keep", "query or code" },
		{ DBSYNC_DIALECT_POSTGRES, "ROLLBACK", "unknown statement" },
		{ DBSYNC_DIALECT_SQLITE, "INSERT INTO keep VALUES (1)", "changes data" },
		{ DBSYNC_DIALECT_SQLITE, "UPSERT keep", "changes data" },
		{ DBSYNC_DIALECT_SQLITE, "ATTACH 'x.db' AS x", "attaches" },
		{ DBSYNC_DIALECT_SQLITE, "DETACH x", "attaches" },
		{ DBSYNC_DIALECT_SQLITE, "PRAGMA writable_schema = 1", "setting" },
		{ DBSYNC_DIALECT_SQLITE, "PRAGMA foreign_keys = OFF, x", "setting" },
		{ DBSYNC_DIALECT_SQLITE, "VACUUM", "unknown statement" },
	};
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		char sql[300];
		snprintf(sql, sizeof sql, "CREATE TABLE newt (id int);\n%s;\nCREATE TABLE after_it (id int);", refused[i].stmt);
		dbsync_ctx *ctx;
		assert_int_equal(dbsync_ctx_new(&ctx), 0);
		dbsync_schema *s = NULL;
		if (dbsync_schema_parse(&s, ctx, refused[i].d, sql, strlen(sql)) != DBSYNC_EPARSE)
			fail_msg("accepted: %s", refused[i].stmt);
		const dbsync_error *e = dbsync_ctx_error(ctx);
		if (!strstr(e->message, "line 2") || !strstr(e->message, "not schema DDL") ||
		    !strstr(e->message, refused[i].why))
			fail_msg("%s: message \"%s\"", refused[i].stmt, e->message);
		assert_int_equal(e->line, 2);
		/* the statement's first words are named (in an executable comment,
		 * from the statement hidden there) */
		char head[16];
		snprintf(head, sizeof head, "\"%.10s", refused[i].stmt[0] == '/' ? "DROP TABLE" : refused[i].stmt);
		if (!strstr(e->message, head))
			fail_msg("%s: message \"%s\" does not name it", refused[i].stmt, e->message);
		dbsync_ctx_free(ctx);
	}

	/* what dumps and sqlmigrate carry is accepted and changes nothing */
	static const char pg_dump[] =
		"SET statement_timeout = 0;\nSET lock_timeout = 0;\nSET idle_in_transaction_session_timeout = 0;\n"
		"SET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n"
		"SELECT pg_catalog.set_config('search_path', '', false);\nSET check_function_bodies = false;\n"
		"SET xmloption = content;\nSET client_min_messages = warning;\nSET row_security = off;\n"
		"SET default_tablespace = '';\nSET default_table_access_method = heap;\n"
		"BEGIN;\nCREATE TABLE public.t (id integer);\nCOMMIT;\nSTART TRANSACTION;\nEND;\n"
		"SET search_path TO app, pg_catalog;\nCREATE SCHEMA IF NOT EXISTS app AUTHORIZATION x;\n"
		"ALTER SCHEMA app OWNER TO x;\nCREATE SCHEMA other;";
	dbsync_schema *s = parse_ok(DBSYNC_DIALECT_POSTGRES, pg_dump, strlen(pg_dump));
	assert_int_equal(s->tables.n, 1);
	assert_int_equal(s->qualifiers.n, 3);
	assert_string_equal(s->qualifiers.items[0].schema, "public");
	assert_int_equal(s->qualifiers.items[0].line, 14);
	assert_string_equal(s->qualifiers.items[1].schema, "app");
	assert_string_equal(s->qualifiers.items[2].schema, "other");
	assert_int_equal(s->qualifiers.items[2].line, 21);
	dbsync_schema_free(s);
	static const char my_dump[] =
		"/*M!999999\\- enable the sandbox mode */\n"
		"/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n"
		"/*!40101 SET NAMES utf8mb4 */;\n/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;\n/*!40103 SET TIME_ZONE='+00:00' */;\n"
		"/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;\n"
		"/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;\n"
		"/*M!100616 SET @OLD_NOTE_VERBOSITY=@@NOTE_VERBOSITY, NOTE_VERBOSITY=0 */;\n"
		"/*!40101 SET @saved_cs_client     = @@character_set_client */;\n/*!40101 SET character_set_client = utf8mb4 */;\n"
		"CREATE TABLE `t` (`id` int NOT NULL) ENGINE=InnoDB;\n"
		"/*!40101 SET character_set_client = @saved_cs_client */;\n"
		"/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;\n/*!40101 SET @@session.collation_connection = utf8mb4_bin */;\n";
	s = parse_ok(DBSYNC_DIALECT_MYSQL, my_dump, strlen(my_dump));
	assert_int_equal(s->tables.n, 1);
	dbsync_schema_free(s);
	static const char sq[] = "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCREATE TABLE main.t (id int);\n"
		"COMMIT;\nPRAGMA foreign_keys = 1;";
	s = parse_ok(DBSYNC_DIALECT_SQLITE, sq, strlen(sq));
	assert_int_equal(s->tables.n, 1);
	dbsync_schema_free(s);
	/* SQLite knows the database synced: another one is refused at once */
	expect_error_in(DBSYNC_DIALECT_SQLITE, "CREATE TABLE other.t (id int)", "\"other\" names another database");
	expect_error_in(DBSYNC_DIALECT_SQLITE, "CREATE TABLE t (id int); CREATE INDEX temp.i ON t (id)",
		"\"temp\" names another database");
}

/* Objects the model does not hold are listed through the public API (kind,
 * name, line), in script order, never silently skipped. */
static void expect_unhandled(const dbsync_schema *s, const char *const *want, size_t n)
{
	if (dbsync_schema_unhandled_count(s) != n)
		fail_msg("%zu statements not handled, want %zu", dbsync_schema_unhandled_count(s), n);
	for (size_t i = 0; i < n; i++) {
		const dbsync_unhandled *u = dbsync_schema_unhandled(s, i);
		char got[200];
		snprintf(got, sizeof got, "%d %s %s", u->line, u->kind, u->name);
		assert_string_equal(got, want[i]);
	}
	assert_null(dbsync_schema_unhandled(s, n));
}

/* What mariadb-dump --no-data writes around its tables reads as the schema:
 * DROP ... IF EXISTS of what the file creates next, the placeholder view
 * replaced by the real one, DELIMITER blocks, DO SETVAL listed; a DROP of
 * anything the file does not create stays refused. */
static void test_mysql_dump_idioms(void **state)
{
	(void)state;
	static const char dump[] =
		"/*M!999999\\- enable the sandbox mode */\n"
		"DROP SEQUENCE IF EXISTS `seq`;\n"
		"CREATE SEQUENCE `seq` start with 1 increment by 1 cache 1000 nocycle ENGINE=InnoDB;\n"
		"DO SETVAL(`seq`, 1, 0);\n"
		"DROP TABLE IF EXISTS `t`;\n"
		"CREATE TABLE `t` (`id` int NOT NULL, `a` int, PRIMARY KEY (`id`), KEY `t_a` (`a`) USING BTREE COMMENT 'by a')"
		" ENGINE=InnoDB DEFAULT CHARSET=Latin1 COLLATE latin1_bin;\n"
		"DELIMITER ;;\n"
		"/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER trg BEFORE INSERT ON t "
		"FOR EACH ROW BEGIN SET NEW.a = 1; SET NEW.a = 2; END */;;\n"
		"DELIMITER ;\n"
		"DROP TABLE IF EXISTS `v`;\n"
		"/*!50001 DROP VIEW IF EXISTS `v`*/;\n"
		"/*!50001 CREATE VIEW `v` AS SELECT 1 AS `id` */;\n"
		"/*!50001 DROP VIEW IF EXISTS `v`*/;\n"
		"/*!50001 CREATE ALGORITHM=UNDEFINED */ /*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */ "
		"/*!50001 VIEW `v` AS select `t`.`id` AS `id` from `t` */;\n";
	dbsync_schema *s = parse_ok(DBSYNC_DIALECT_MYSQL, dump, strlen(dump));
	static const char *const want[] = { "3 CREATE SEQUENCE seq", "4 DO SETVAL seq", "8 CREATE TRIGGER trg" };
	expect_unhandled(s, want, sizeof want / sizeof want[0]);
	assert_int_equal(s->tables.n, 1);
	const dbs_table *t = s->tables.items[0];
	assert_string_equal(t->charset, "latin1");
	assert_string_equal(t->collation, "latin1_bin");
	assert_int_equal(t->indexes.n, 1);
	assert_string_equal(t->indexes.items[0]->comment, "by a");
	assert_int_equal(s->views.n, 1);
	assert_non_null(strstr(s->views.items[0]->definition, "from `t`"));
	dbsync_schema_free(s);

	/* DELIMITER is a command only between statements: here it is a column */
	static const char column_named[] = "CREATE TABLE d (\ndelimiter int,\nx int);";
	s = parse_ok(DBSYNC_DIALECT_MYSQL, column_named, strlen(column_named));
	assert_int_equal(s->tables.items[0]->columns.n, 2);
	assert_string_equal(s->tables.items[0]->columns.items[0]->name, "delimiter");
	dbsync_schema_free(s);

	static const char *const refused[] = {
		"DROP TABLE IF EXISTS `gone`;\nCREATE TABLE t (id int);",
		"CREATE TABLE t (id int);\nDROP TABLE IF EXISTS t;",
		"CREATE TABLE t (id int);\nDROP TABLE IF EXISTS other.t;",
		"CREATE TABLE t (id int);\nDROP TABLE IF EXISTS t CASCADE;",
		"CREATE TABLE t (id int);\nDROP TABLE t;",
		"CREATE TABLE t (id int);\nDROP VIEW IF EXISTS v;",
	};
	for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
		dbsync_ctx *ctx;
		assert_int_equal(dbsync_ctx_new(&ctx), 0);
		dbsync_schema *r = NULL;
		if (dbsync_schema_parse(&r, ctx, DBSYNC_DIALECT_MYSQL, refused[i], strlen(refused[i])) != DBSYNC_EPARSE)
			fail_msg("accepted: %s", refused[i]);
		if (!strstr(dbsync_ctx_error(ctx)->message, "not schema DDL") ||
		    !strstr(dbsync_ctx_error(ctx)->message, "\"DROP "))
			fail_msg("%s: message \"%s\"", refused[i], dbsync_ctx_error(ctx)->message);
		dbsync_ctx_free(ctx);
	}
}

/* sqlite3's .schema prints SQLite's own sqlite_sequence; it is not a table to create. */
static void test_sqlite_schema_internal_tables(void **state)
{
	(void)state;
	static const char sql[] = "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT);\n"
		"CREATE TABLE sqlite_sequence(name,seq);\nCREATE TABLE sqlite_stat1(tbl,idx,stat);";
	dbsync_schema *s = parse_ok(DBSYNC_DIALECT_SQLITE, sql, strlen(sql));
	assert_int_equal(s->tables.n, 1);
	assert_int_equal(dbsync_schema_unhandled_count(s), 0);
	dbsync_schema_free(s);
}

static void test_unhandled_statements_are_listed(void **state)
{
	(void)state;
	static const char pg[] =
		"CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;\n"
		"CREATE TYPE public.mood AS ENUM ('sad', 'ok');\n"
		"CREATE SEQUENCE public.t_id_seq AS integer START WITH 1;\n"
		"CREATE TABLE t (id integer DEFAULT nextval('t_id_seq'), m text);\n"
		"CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END; $$;\n"
		"CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();\n"
		"CREATE MATERIALIZED VIEW mv AS SELECT 1;\n"
		"CREATE POLICY p ON t USING (true);\n"
		"ALTER SEQUENCE public.t_id_seq OWNED BY public.t.id;\n"
		"COMMENT ON EXTENSION citext IS 'x';\n"
		"CREATE TEMP TABLE scratch (x int);\n"
		"CREATE OR REPLACE RULE r AS ON INSERT TO t DO NOTHING;\n"
		"CREATE DOMAIN d AS int;";
	dbsync_schema *s = parse_ok(DBSYNC_DIALECT_POSTGRES, pg, strlen(pg));
	static const char *const want_pg[] = { "1 CREATE EXTENSION citext", "2 CREATE TYPE mood",
		"3 CREATE SEQUENCE t_id_seq", "5 CREATE FUNCTION f", "6 CREATE TRIGGER trg",
		"7 CREATE MATERIALIZED VIEW mv", "8 CREATE POLICY p", "9 ALTER SEQUENCE t_id_seq",
		"10 COMMENT ON EXTENSION citext", "11 CREATE TEMP TABLE scratch", "12 CREATE RULE r", "13 CREATE DOMAIN d" };
	expect_unhandled(s, want_pg, sizeof want_pg / sizeof want_pg[0]);
	assert_int_equal(dbsync_schema_table_count(s), 1);
	dbsync_schema_free(s);

	static const char my[] =
		"CREATE TABLE t (id int);\n"
		"/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER trg BEFORE INSERT ON t "
		"FOR EACH ROW BEGIN SET NEW.id = CASE WHEN NEW.id IS NULL THEN 0 ELSE NEW.id END; END */;\n"
		"CREATE DEFINER='root'@'%' PROCEDURE p() BEGIN SELECT 1; END;\n"
		"CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO DELETE FROM t;\n"
		"/*!50001 CREATE ALGORITHM=UNDEFINED */ /*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */ "
		"/*!50001 VIEW `v` AS select 1 AS `one` */;";
	s = parse_ok(DBSYNC_DIALECT_MYSQL, my, strlen(my));
	static const char *const want_my[] = { "2 CREATE TRIGGER trg", "3 CREATE PROCEDURE p", "4 CREATE EVENT e" };
	expect_unhandled(s, want_my, 3);
	assert_int_equal(s->views.n, 1);
	dbsync_schema_free(s);

	static const char sq[] =
		"CREATE TABLE t (id int);\n"
		"CREATE VIRTUAL TABLE fts USING fts5(body);\n"
		"CREATE TRIGGER IF NOT EXISTS trg AFTER INSERT ON t BEGIN UPDATE t SET id = CASE WHEN 1 THEN 2 END; END;";
	s = parse_ok(DBSYNC_DIALECT_SQLITE, sq, strlen(sq));
	static const char *const want_sq[] = { "2 CREATE VIRTUAL TABLE fts", "3 CREATE TRIGGER trg" };
	expect_unhandled(s, want_sq, 2);
	dbsync_schema_free(s);
	assert_int_equal(dbsync_schema_unhandled_count(NULL), 0);
}

/* What django.contrib.postgres writes, and PostgreSQL forms people write. */
/* pg_dump writes a user type qualified ("public.mood"): read as the bare
 * name, its schema noted like a table's; an index part's NULLS order is kept
 * only where it is not its direction's default. */
static void test_pg_dump_type_and_nulls_order(void **state)
{
	(void)state;
	static const char pg[] =
		"CREATE TABLE public.t (a public.mood, b pg_catalog.int4, c \"public\".\"Mood\"[], d integer);\n"
		"CREATE INDEX t_a ON public.t (a NULLS FIRST, b DESC NULLS LAST, c ASC NULLS LAST, d DESC NULLS FIRST);";
	dbsync_schema *s = parse_ok(DBSYNC_DIALECT_POSTGRES, pg, strlen(pg));
	assert_string_equal(column(s, "t", "a")->type, "mood");
	assert_string_equal(column(s, "t", "b")->type, "integer");
	assert_string_equal(column(s, "t", "c")->type, "\"Mood\"[]");
	assert_int_equal(s->qualifiers.n, 1);
	assert_string_equal(s->qualifiers.items[0].schema, "public");
	dbs_index *ix = index_named(s, "t_a");
	assert_true(ix->parts.items[0].nulls_reversed);
	assert_true(ix->parts.items[1].nulls_reversed);
	assert_false(ix->parts.items[2].nulls_reversed);
	assert_false(ix->parts.items[3].nulls_reversed);
	dbsync_schema_free(s);
	static const char other[] = "CREATE TABLE t (a other.mood);";
	s = parse_ok(DBSYNC_DIALECT_POSTGRES, other, strlen(other));
	assert_int_equal(s->qualifiers.n, 1);
	assert_string_equal(s->qualifiers.items[0].schema, "other");
	dbsync_schema_free(s);
}

static void test_pg_contrib_forms(void **state)
{
	(void)state;
	const char *pg =
		"CREATE TABLE e (\"id\" integer, \"eight\" integer[8], \"grid\" integer[][], \"v\" varchar(10)[], "
		"\"w\" int ARRAY[4], \"flag\" \"char\", \"c\" char, \"bp\" bpchar, \"f\" float(10), "
		"\"nums\" integer[] DEFAULT ARRAY[1, 2], \"tags\" text[] DEFAULT ARRAY['a','b']::text[], "
		"\"room\" integer, \"span\" tstzrange, \"off\" boolean, "
		"CONSTRAINT \"x\" EXCLUDE USING GIST (\"room\" gist_int4_ops WITH =, (\"room\" + 1) WITH =, "
		"\"span\" WITH &&) INCLUDE (\"id\") WHERE (NOT \"off\") DEFERRABLE INITIALLY DEFERRED, "
		"CONSTRAINT \"u\" UNIQUE NULLS NOT DISTINCT (\"id\", \"room\"), "
		"CONSTRAINT \"k\" CHECK (\"room\" > 0) NO INHERIT);\n"
		"CREATE INDEX ON e (room); CREATE INDEX ON e (room, (room + 1));\n"
		"CREATE INDEX e_opts ON e USING gist (span) WITH (FILLFACTOR = 70, x = 'a, b''c', buffering);\n"
		"CREATE TABLE empty ();";
	dbsync_schema *s = parse_ok(DBSYNC_DIALECT_POSTGRES, pg, strlen(pg));
	assert_string_equal(column(s, "e", "eight")->type, "integer[]");
	assert_string_equal(column(s, "e", "grid")->type, "integer[]");
	assert_string_equal(column(s, "e", "v")->type, "character varying(10)[]");
	assert_string_equal(column(s, "e", "w")->type, "integer[]");
	assert_string_equal(column(s, "e", "flag")->type, "\"char\"");
	assert_string_equal(column(s, "e", "c")->type, "character(1)");
	assert_string_equal(column(s, "e", "bp")->type, "bpchar");
	assert_string_equal(column(s, "e", "f")->type, "real");
	assert_string_equal(column(s, "e", "nums")->default_expr, "ARRAY[1, 2]");
	assert_string_equal(column(s, "e", "tags")->default_expr, "ARRAY['a', 'b']::text[]");
	dbs_constraint *x = constraint(s, "e", DBS_CON_EXCLUDE, 0);
	assert_non_null(x->exclude);
	assert_string_equal(x->exclude->method, "gist");
	assert_int_equal(x->exclude->parts.n, 3);
	assert_string_equal(x->exclude->parts.items[0].column, "room");
	assert_string_equal(x->exclude->parts.items[0].opclass, "gist_int4_ops");
	assert_string_equal(x->exclude->parts.items[0].op, "=");
	assert_string_equal(x->exclude->parts.items[1].expr, "\"room\" + 1");
	assert_string_equal(x->exclude->parts.items[2].op, "&&");
	assert_string_equal(x->exclude->include.items[0], "id");
	assert_string_equal(x->exclude->where_expr, "NOT \"off\"");
	assert_true(x->deferrable && x->initially_deferred);
	assert_true(constraint(s, "e", DBS_CON_UNIQUE, 0)->nulls_not_distinct);
	assert_true(constraint(s, "e", DBS_CON_CHECK, 0)->no_inherit);
	assert_non_null(index_named(s, "e_room_idx"));
	assert_non_null(index_named(s, "e_room_expr_idx"));
	assert_int_equal(table(s, "empty")->columns.n, 0);
	/* storage parameters: sorted, a name alone is on, odd values quoted; idempotent */
	const char *opts = "buffering=on, fillfactor=70, x='a, b''c'";
	assert_string_equal(index_named(s, "e_opts")->options, opts);
	dbsync_ctx *ctx;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	assert_int_equal(dbs_schema_normalize(s, ctx), 0);
	dbsync_ctx_free(ctx);
	assert_string_equal(index_named(s, "e_opts")->options, opts);
	dbsync_schema_free(s);

	/* SQLite has no AT TIME ZONE or EXTRACT(YEAR ...): year stays a column there */
	const char *sq = "CREATE TABLE s (year int CHECK (year > 0), at int CHECK (\"at\" > 0));";
	s = parse_ok(DBSYNC_DIALECT_SQLITE, sq, strlen(sq));
	assert_string_equal(constraint(s, "s", DBS_CON_CHECK, 0)->check_expr, "\"year\" > 0");
	assert_string_equal(constraint(s, "s", DBS_CON_CHECK, 1)->check_expr, "\"at\" > 0");
	dbsync_schema_free(s);

	/* MySQL: the table comment is read, other table options are not compared */
	const char *my = "CREATE TABLE `t` (`a` int) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin "
		"COMMENT='it''s t' AUTO_INCREMENT=5, ROW_FORMAT=DYNAMIC;";
	s = parse_ok(DBSYNC_DIALECT_MYSQL, my, strlen(my));
	assert_string_equal(table(s, "t")->comment, "it's t");
	dbsync_schema_free(s);
}

/* Syntax the parser does not model is an error naming the clause, never
 * dropped without a word (docs/parser.md). */
static void test_unsupported_clauses_are_errors(void **state)
{
	(void)state;
	const dbsync_dialect pg = DBSYNC_DIALECT_POSTGRES, my = DBSYNC_DIALECT_MYSQL, sq = DBSYNC_DIALECT_SQLITE;
	expect_error_in(pg, "CREATE TABLE t (a int) PARTITION BY RANGE (a)", "table \"t\" uses PARTITION BY");
	expect_error_in(pg, "CREATE TABLE t (a int) INHERITS (p)", "table \"t\" uses INHERITS");
	expect_error_in(pg, "CREATE TABLE t (a int) WITH (fillfactor = 70)", "table \"t\" uses WITH (storage parameters)");
	expect_error_in(pg, "CREATE TABLE t (a int) TABLESPACE fast", "table \"t\" uses TABLESPACE");
	expect_error_in(pg, "CREATE TABLE t (id integer PRIMARY KEY AUTOINCREMENT)",
		"AUTOINCREMENT is SQLite syntax for column \"id\" of table \"t\": write GENERATED BY DEFAULT AS IDENTITY");
	expect_error_in(my, "CREATE TABLE t (id integer PRIMARY KEY AUTOINCREMENT)", "write AUTO_INCREMENT");
	expect_error_in(my, "CREATE TABLE t (a int) PARTITION BY HASH (a) PARTITIONS 2", "table \"t\" uses PARTITION BY");
	expect_error_in(sq, "CREATE TABLE t (a); CREATE INDEX i ON t USING gin (a)", "SQLite has no index methods");
	expect_error_in(sq, "CREATE TABLE t (a); COMMENT ON TABLE t IS 'x'", "SQLite has no COMMENT ON");
	expect_error_in(pg, "CREATE TABLE t (a int); CREATE INDEX i ON t (a) WHERE ()", "empty WHERE () in index \"i\"");
	expect_error_in(pg, "CREATE TABLE t (a int); CREATE INDEX i ON t (a) WHERE (a > 0; DROP TABLE t)",
		"missing ')' before ';' in index \"i\" on table \"t\"");
	expect_error_in(pg, "CREATE TABLE t (a int CHECK (a > 0; DROP TABLE t))", "missing ')' before ';'");
	expect_error_in(pg, "CREATE TABLE t (a int, EXCLUDE USING gist (a WITH =) USING INDEX TABLESPACE x)",
		"USING INDEX TABLESPACE is not supported");
	expect_error_in(pg, "CREATE UNLOGGED TABLE t (a int)", "CREATE UNLOGGED TABLE is not supported");
	expect_error_in(pg, "CREATE TABLE t (a int[8)", "expected ']' in the array type for column \"a\" of table \"t\"");
}

static void test_pg_alter_column_forms(void **state)
{
	(void)state;
	/* what pg_dump writes after its CREATE TABLE statements */
	const char *pg =
		"SET statement_timeout = 0;\n"
		"CREATE TABLE public.t (id integer NOT NULL, name text, n int DEFAULT 3);\n"
		"ALTER TABLE public.t OWNER TO postgres;\n"
		"CREATE SEQUENCE public.t_id_seq AS integer START WITH 1;\n"
		"ALTER SEQUENCE public.t_id_seq OWNED BY public.t.id;\n"
		"ALTER TABLE ONLY public.t ALTER COLUMN id SET DEFAULT nextval('public.t_id_seq'::regclass);\n"
		"ALTER TABLE ONLY public.t ALTER COLUMN name SET NOT NULL, ALTER n DROP DEFAULT;\n"
		"ALTER TABLE public.t ALTER COLUMN n ADD GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME public.s START WITH 1);\n"
		"ALTER TABLE ONLY public.t ADD CONSTRAINT t_pkey PRIMARY KEY (id);";
	dbsync_schema *s = parse_ok(DBSYNC_DIALECT_POSTGRES, pg, strlen(pg));
	assert_string_equal(column(s, "t", "id")->default_expr, "NEXTVAL('public.t_id_seq'::regclass)");
	assert_true(column(s, "t", "name")->not_null);
	assert_null(column(s, "t", "n")->default_expr);
	assert_string_equal(column(s, "t", "n")->identity, "ALWAYS");
	assert_string_equal(constraint(s, "t", DBS_CON_PRIMARY, 0)->name, "t_pkey");
	dbsync_schema_free(s);
}

/* ---- errors ---- */

static void expect_parse_error(const char *sql, const char *needle, int line, int col)
{
	dbsync_ctx *ctx;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	dbsync_schema *s = (dbsync_schema *)&s; /* must be reset to NULL */
	int rc = dbsync_schema_parse(&s, ctx, DBSYNC_DIALECT_SQLITE, sql, strlen(sql));
	assert_int_equal(rc, DBSYNC_EPARSE);
	assert_null(s);
	const dbsync_error *e = dbsync_ctx_error(ctx);
	assert_int_equal(e->code, DBSYNC_EPARSE);
	if (!strstr(e->message, needle))
		fail_msg("error \"%s\" lacks \"%s\"", e->message, needle);
	if (e->line != line || e->column != col)
		fail_msg("error \"%s\" at %d:%d, want %d:%d", e->message, e->line, e->column, line, col);
	dbsync_ctx_free(ctx);
}

static void test_errors(void **state)
{
	(void)state;
	expect_parse_error("CREATE TABLE t (a INT", "expected ',' or ')' after column \"a\" of table \"t\"", 1, 22);
	expect_parse_error("CREATE TABLE t (a INT,\n  b TEXT;", "after column \"b\" of table \"t\"", 2, 9);
	expect_parse_error("CREATE TABLE t (a INT CHECK (a > 0)", "table \"t\"", 1, 36);
	expect_parse_error("CREATE TABLE t (a INT CHECK (a > 0", "missing ')' in for column \"a\" of table \"t\"", 1, 35);
	expect_parse_error("CREATE TABLE t (a INT, a TEXT)", "duplicate column \"a\" in table \"t\"", 1, 24);
	expect_parse_error("CREATE TABLE t (a);\nCREATE TABLE T (b)", "table \"T\" is defined twice", 2, 14);
	expect_parse_error("CREATE INDEX i ON nosuch (a)", "index \"i\" is on unknown table \"nosuch\"", 1, 19);
	expect_parse_error("CREATE TABLE t (a); CREATE INDEX i ON t (a); CREATE INDEX i ON t (a)", "index \"i\" on table \"t\" is defined twice", 1, 59);
	expect_parse_error("CREATE TABLE t (a TEXT PRIMARY KEY AUTOINCREMENT)", "only allowed on an INTEGER PRIMARY KEY", 1, 36);
	expect_parse_error("CREATE TABLE t (a INT, PRIMARY KEY (a AUTOINCREMENT))", "only allowed on an INTEGER PRIMARY KEY (table \"t\")", 1, 24);
	expect_parse_error("CREATE TABLE t (a INT) WITHOUT ROWID", "WITHOUT ROWID table \"t\" has no PRIMARY KEY", 1, 14);
	expect_parse_error("CREATE TABLE t (a PRIMARY KEY, b PRIMARY KEY)", "more than one primary key", 1, 34);
	expect_parse_error("CREATE TABLE t (a INT DEFAULT)", "expected a literal", 1, 30);
	expect_parse_error("CREATE TABLE t (a INT CONSTRAINT)", "a constraint name", 1, 33);
	expect_parse_error("CREATE TABLE t (a INT CONSTRAINT c)", "after CONSTRAINT \"c\"", 1, 35);
	expect_parse_error("CREATE TABLE t (a) WITHOUT", "expected ROWID after WITHOUT in CREATE TABLE \"t\"", 1, 27);
	expect_parse_error("CREATE TABLE t (a PRIMARY)", "expected KEY after PRIMARY in CREATE TABLE \"t\"", 1, 26);
	expect_parse_error("CREATE TABLE t (a) bogus", "expected ';' at the end of CREATE TABLE \"t\" (found \"bogus\")", 1, 20);
	expect_parse_error("CREATE TABLE t (id PRIMARY KEY) STRICT, nope", "WITHOUT ROWID or STRICT after table \"t\"", 1, 41);
	expect_parse_error("CREATE TABLE t AS SELECT 1", "AS SELECT is not supported", 1, 16);
	expect_parse_error("CREATE TABLE t ()", "a column name in table \"t\"", 1, 17);
	expect_parse_error("CREAT TABLE t (a)", "unknown statement", 1, 1);
	expect_parse_error("CREATE TABLE t (a)\nCREATE TABLE u (b)", "expected ';' at the end of CREATE TABLE \"t\"", 2, 1);
	expect_parse_error("CREATE TABLE t (a TEXT DEFAULT 'oops)", "unterminated string literal in CREATE TABLE \"t\"", 1, 32);
	expect_parse_error("CREATE TABLE t (a);\n  \"open", "unterminated quoted identifier", 2, 3);
	expect_parse_error("CREATE TABLE t (a) /* open", "unterminated /* comment", 1, 20);
	expect_parse_error("ALTER TABLE nosuch ADD COLUMN x", "ALTER TABLE of unknown table \"nosuch\"", 1, 13);
	expect_parse_error("CREATE TABLE t (a); ALTER TABLE t RENAME TO u", "unsupported ALTER TABLE action on table \"t\"", 1, 35);
	expect_parse_error("CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1;", "BEGIN without END", 1, 36);
	expect_parse_error("CREATE UNIQUE TABLE t (a)", "expected INDEX", 1, 15);
	expect_parse_error("CREATE TABLE t (a); CREATE INDEX i ON t ()", "expected a column or expression", 1, 42);
	expect_parse_error("CREATE TABLE t (a); CREATE INDEX i ON t (a) WHERE", "expected an expression", 1, 50);
	expect_parse_error("CREATE TABLE t (a REFERENCES p ON DELETE EXPLODE)", "expected an action after ON DELETE", 1, 42);
	expect_parse_error("(", "expected a statement", 1, 1);
	expect_parse_error("CREATE TABLE t (CONSTRAINT c CHECK (1))", "table \"t\" has no columns", 1, 14);
	expect_parse_error("CREATE TABLE t (a, PRIMARY KEY (z))", "PRIMARY KEY of table \"t\" names unknown column \"z\"", 1, 14);
	expect_parse_error("CREATE TABLE t (a, CONSTRAINT u UNIQUE (a, z))", "u of table \"t\" names unknown column \"z\"", 1, 14);
	expect_parse_error("CREATE TABLE t (a);\nALTER TABLE t ADD FOREIGN KEY (z) REFERENCES t (a)",
		"FOREIGN KEY of table \"t\" names unknown column \"z\"", 2, 13);
	expect_parse_error("CREATE TABLE t (a);\nCREATE INDEX i ON t (a, \"Z\")", "index \"i\" names unknown column \"Z\" of table \"t\"", 2, 14);
}

/* ---- hostile input ---- */

static int parse_any(const char *sql, size_t len)
{
	dbsync_ctx *ctx;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	dbsync_schema *s = NULL;
	int rc = dbsync_schema_parse(&s, ctx, DBSYNC_DIALECT_SQLITE, sql, len);
	if (rc != 0 && rc != DBSYNC_EPARSE)
		fail_msg("parse returned %d for %.*s", rc, (int)len, sql);
	if (rc == DBSYNC_EPARSE) {
		assert_null(s);
		assert_true(dbsync_ctx_error(ctx)->line >= 1);
		assert_true(dbsync_ctx_error(ctx)->column >= 1);
		assert_true(strlen(dbsync_ctx_error(ctx)->message) > 0);
	} else {
		assert_non_null(s);
	}
	dbsync_schema_free(s);
	dbsync_ctx_free(ctx);
	return rc;
}

static const char edge_script[] =
	"CREATE TABLE \"p\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \"n\" varchar(10) DEFAULT 'a''b' "
	"CHECK ((length(\"n\") > 0)) COLLATE NOCASE);\n"
	"CREATE TABLE c (x INT PRIMARY KEY REFERENCES p (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED, y DEFAULT -1, "
	"z AS (x + 1) STORED, CONSTRAINT u UNIQUE (x, y), FOREIGN KEY (y) REFERENCES p) WITHOUT ROWID; -- tail\n"
	"CREATE UNIQUE INDEX i ON c (x DESC, (lower(y))) WHERE x IS NOT NULL /* c */;\n"
	"CREATE TRIGGER t AFTER INSERT ON c BEGIN SELECT CASE WHEN 1 THEN 2 END; END;\n"
	"CREATE VIEW v AS SELECT 1; ALTER TABLE c ADD COLUMN w BLOB DEFAULT X'00';";

/* Every prefix of valid input parses or fails cleanly, never crashes or leaks. */
static void test_every_prefix(void **state)
{
	(void)state;
	size_t len = sizeof edge_script - 1;
	assert_sqlite_accepts(edge_script);
	assert_int_equal(parse_any(edge_script, len), 0);
	int ok = 0, bad = 0;
	for (size_t n = 0; n < len; n++) {
		/* a heap copy of exactly n bytes, so ASan catches any read past the end */
		char *copy = malloc(n ? n : 1);
		assert_non_null(copy);
		memcpy(copy, edge_script, n);
		if (parse_any(copy, n) == 0)
			ok++;
		else
			bad++;
		free(copy);
	}
	assert_true(ok > 4);    /* the statement boundaries */
	assert_true(bad > 100); /* most cuts are errors */

	size_t flen;
	char *fixture = test_read_fixture("django52_sqlite.sql", &flen);
	for (size_t n = 0; n < flen; n += 7) {
		char *copy = malloc(n ? n : 1);
		assert_non_null(copy);
		memcpy(copy, fixture, n);
		parse_any(copy, n);
		free(copy);
	}
	free(fixture);
}

/* Single-byte mutations at every position, and deterministic random garbage. */
static void test_mutations_and_garbage(void **state)
{
	(void)state;
	static const char subst[] = { '(', ')', '\'', '"', ';', ',', '[', '`', '-', '/', '*', '\0', (char)0xff, 'X', ' ' };
	size_t len = sizeof edge_script - 1;
	char *copy = malloc(len);
	assert_non_null(copy);
	for (size_t i = 0; i < len; i++) {
		for (size_t k = 0; k < sizeof subst; k++) {
			memcpy(copy, edge_script, len);
			copy[i] = subst[k];
			parse_any(copy, len);
		}
	}
	free(copy);
	static const char alphabet[] = "CREATE TABLE INDEX ON ( ) , ; ' \" [ ] ` -- /* */ x y 1 . DEFAULT CHECK "
		"REFERENCES PRIMARY KEY NOT NULL BEGIN END CASE WHEN UNIQUE CONSTRAINT AS VIEW TRIGGER ALTER ADD DROP";
	uint32_t seed = 12345;
	char buf[256];
	for (int round = 0; round < 3000; round++) {
		size_t n = 0, want = (size_t)(round % 200) + 1;
		while (n < want) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 8) % (sizeof alphabet - 1);
			size_t take = 1 + (seed >> 20) % 6;
			for (size_t j = 0; j < take && n < want && at + j < sizeof alphabet - 1; j++)
				buf[n++] = alphabet[at + j];
		}
		char *heap = malloc(n);
		assert_non_null(heap);
		memcpy(heap, buf, n);
		parse_any(heap, n);
		free(heap);
	}
	/* deep nesting is iterative, not recursive */
	size_t deep = 200000;
	char *nest = malloc(deep * 2 + 64);
	assert_non_null(nest);
	size_t n = (size_t)sprintf(nest, "CREATE TABLE d (a CHECK (");
	for (size_t i = 0; i < deep; i++)
		nest[n++] = '(';
	nest[n++] = '1';
	for (size_t i = 0; i < deep; i++)
		nest[n++] = ')';
	n += (size_t)sprintf(nest + n, "))");
	assert_int_equal(parse_any(nest, n), 0);
	free(nest);
	assert_int_equal(parse_any(NULL, 0), 0);
	assert_int_equal(parse_any("", 0), 0);
	assert_int_equal(parse_any("  -- only a comment\n", 20), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_django_fixture),
		cmocka_unit_test(test_django_fixture_more),
		cmocka_unit_test(test_django6_fixture),
		cmocka_unit_test(test_fixture_roundtrip_through_sqlite),
		cmocka_unit_test(test_migrated_database_matches_collect_sql),
		cmocka_unit_test(test_unknown_dialect_refused),
		cmocka_unit_test(test_quoted_names),
		cmocka_unit_test(test_column_constraints),
		cmocka_unit_test(test_table_constraints_and_options),
		cmocka_unit_test(test_script_statements),
		cmocka_unit_test(test_alter_table_add_constraint_other_dialects),
		cmocka_unit_test(test_views_comments_and_index_options),
		cmocka_unit_test(test_statement_errors_name_objects),
		cmocka_unit_test(test_pg_alter_column_forms),
		cmocka_unit_test(test_not_schema_ddl_refused),
		cmocka_unit_test(test_unhandled_statements_are_listed),
		cmocka_unit_test(test_mysql_dump_idioms),
		cmocka_unit_test(test_sqlite_schema_internal_tables),
		cmocka_unit_test(test_pg_contrib_forms),
		cmocka_unit_test(test_pg_dump_type_and_nulls_order),
		cmocka_unit_test(test_unsupported_clauses_are_errors),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_mutations_and_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
