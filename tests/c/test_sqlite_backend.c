/* The SQLite backend against real database files: connecting, bulk
 * introspection, statements and their errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend_sqlite.h"
#include "buf.h"
#include "ctx.h"
#include "dbsync/dbsync.h"
#include "parse.h"
#include "test_support.h"

static int setup(void **state)
{
	(void)state;
	return test_tmpdir_create("dbsync-sqlite");
}

static dbsync_conn *open_db(dbsync_ctx *ctx, const char *file)
{
	const char *keys[] = { "name", "timeout", "user", "password", "host", "port" };
	const char *vals[] = { db_path(file), "0.2", "", "", "", "" };
	dbsync_conn *conn = NULL;
	int rc = dbsync_conn_open_params(&conn, ctx, DBSYNC_DIALECT_SQLITE, keys, vals, 6);
	if (rc)
		fail_msg("open %s: %s", file, dbsync_ctx_error(ctx)->message);
	return conn;
}

/* ---- connecting ---- */

static void test_open_close(void **state)
{
	(void)state;
	dbsync_ctx *ctx = NULL;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	dbsync_conn *conn = open_db(ctx, "a.db");
	assert_int_equal(dbsync_conn_dialect(conn), DBSYNC_DIALECT_SQLITE);
	char want[600];
	snprintf(want, sizeof want, "sqlite:///%s", db_path("a.db"));
	assert_string_equal(dbsync_conn_describe(conn), want);
	assert_string_equal(dbsync_conn_server_version(conn), sqlite3_libversion());
	/* Django's connection settings: foreign keys enforced */
	int64_t fk = -1;
	assert_int_equal(conn->backend->query_int64(&fk, ctx, conn, "PRAGMA foreign_keys"), 0);
	assert_int_equal(fk, 1);
	dbsync_conn_close(conn);
	assert_int_equal(access(db_path("a.db"), F_OK), 0);

	assert_int_equal(dbsync_conn_open_url(&conn, ctx, "sqlite::memory:"), 0);
	exec_ok(ctx, conn, "CREATE TABLE t (a int)");
	dbsync_conn_close(conn);
	dbsync_ctx_free(ctx);
}

static void test_open_errors(void **state)
{
	(void)state;
	dbsync_ctx *ctx = NULL;
	dbsync_conn *conn = NULL;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);

	const char *k1[] = { "name" }, *v1[] = { "/nonexistent-dir-dbsync/sub/x.db" };
	assert_int_equal(dbsync_conn_open_params(&conn, ctx, DBSYNC_DIALECT_SQLITE, k1, v1, 1), DBSYNC_ECONNECT);
	assert_null(conn);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "/nonexistent-dir-dbsync/sub/x.db"));
	assert_int_equal(dbsync_ctx_error(ctx)->native_code & 0xff, 14 /* SQLITE_CANTOPEN */);

	/* a file that exists but is no database fails at open, not later */
	FILE *f = fopen(db_path("junk.db"), "w");
	assert_non_null(f);
	for (int i = 0; i < 200; i++)
		fputs("this is not a database file at all\n", f);
	fclose(f);
	const char *v2[] = { db_path("junk.db") };
	assert_int_equal(dbsync_conn_open_params(&conn, ctx, DBSYNC_DIALECT_SQLITE, k1, v2, 1), DBSYNC_ECONNECT);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "junk.db"));
	assert_int_equal(dbsync_ctx_error(ctx)->native_code, 26 /* SQLITE_NOTADB */);

	const char *k3[] = { "name", "journal" }, *v3[] = { db_path("b.db"), "wal" };
	assert_int_equal(dbsync_conn_open_params(&conn, ctx, DBSYNC_DIALECT_SQLITE, k3, v3, 2), DBSYNC_EINVALID);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "'journal'"));

	const char *k4[] = { "timeout" }, *v4[] = { "1" };
	assert_int_equal(dbsync_conn_open_params(&conn, ctx, DBSYNC_DIALECT_SQLITE, k4, v4, 1), DBSYNC_EINVALID);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "'name'"));

	const char *k5[] = { "name", "timeout" }, *v5[] = { db_path("b.db"), "soon" };
	assert_int_equal(dbsync_conn_open_params(&conn, ctx, DBSYNC_DIALECT_SQLITE, k5, v5, 2), DBSYNC_EINVALID);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "'timeout'"));

	const char *k6[] = { "name", "user" }, *v6[] = { db_path("b.db"), "bob" };
	assert_int_equal(dbsync_conn_open_params(&conn, ctx, DBSYNC_DIALECT_SQLITE, k6, v6, 2), DBSYNC_EINVALID);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "'user'"));
	assert_null(conn);
	dbsync_ctx_free(ctx);
}

/* ---- statements ---- */

static void test_exec_errors(void **state)
{
	(void)state;
	dbsync_ctx *ctx = NULL;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	dbsync_conn *conn = open_db(ctx, "e.db");
	exec_ok(ctx, conn, "CREATE TABLE t (x int UNIQUE); INSERT INTO t VALUES (1);");
	int rc = dbsync_conn_exec(ctx, conn, "INSERT INTO t VALUES (2);\n  INSERT INTO t VALUES (1); INSERT INTO t VALUES (3)");
	assert_int_equal(rc, DBSYNC_EDB);
	const dbsync_error *e = dbsync_ctx_error(ctx);
	assert_int_equal(e->native_code, 2067 /* SQLITE_CONSTRAINT_UNIQUE */);
	assert_string_equal(e->sqlstate, "");
	assert_non_null(strstr(e->message, "UNIQUE constraint failed: t.x"));
	/* the failing statement is named, not the first of the script */
	assert_non_null(strstr(e->message, "INSERT INTO t VALUES (1)"));
	/* statements before the failure ran (no implicit transaction), later ones did not */
	int64_t n = 0;
	assert_int_equal(dbsync_conn_count_rows(&n, ctx, conn, "t"), 0);
	assert_int_equal(n, 2);

	assert_int_equal(dbsync_conn_exec(ctx, conn, "CREATE TABLE"), DBSYNC_EDB);
	assert_int_equal(dbsync_ctx_error(ctx)->native_code, 1 /* SQLITE_ERROR */);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "statement \"CREATE TABLE\" failed: "));

	assert_int_equal(dbsync_conn_count_rows(&n, ctx, conn, "missing"), DBSYNC_EDB);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "no such table: missing"));
	/* comments and empty statements are fine */
	exec_ok(ctx, conn, "  -- nothing\n ; ;");
	dbsync_conn_close(conn);
	dbsync_ctx_free(ctx);
}

static void test_count_rows_hostile_name(void **state)
{
	(void)state;
	dbsync_ctx *ctx = NULL;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	dbsync_conn *conn = open_db(ctx, "h.db");
	exec_ok(ctx, conn,
		"CREATE TABLE keep (a int);"
		"CREATE TABLE \"x\"\"; DROP TABLE keep; --\" (a int);"
		"INSERT INTO \"x\"\"; DROP TABLE keep; --\" VALUES (1), (2), (3);");
	int64_t n = 0;
	assert_int_equal(dbsync_conn_count_rows(&n, ctx, conn, "x\"; DROP TABLE keep; --"), 0);
	assert_int_equal(n, 3);
	assert_int_equal(dbsync_conn_count_rows(&n, ctx, conn, "keep"), 0);
	assert_int_equal(n, 0);
	dbsync_conn_close(conn);
	dbsync_ctx_free(ctx);
}

static void test_exec_locked(void **state)
{
	(void)state;
	dbsync_ctx *ctx = NULL;
	sqlite3 *other = NULL;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	dbsync_conn *conn = open_db(ctx, "l.db");
	assert_int_equal(sqlite3_open(db_path("l.db"), &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(dbsync_conn_exec(ctx, conn, "CREATE TABLE z (a int)"), DBSYNC_ELOCKED);
	assert_int_equal(dbsync_ctx_error(ctx)->native_code & 0xff, SQLITE_BUSY);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "another process holds the database lock"));
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
	exec_ok(ctx, conn, "CREATE TABLE z (a int)");
	dbsync_conn_close(conn);
	dbsync_ctx_free(ctx);
}

/* ---- introspection ---- */

static const char realistic_ddl[] =
	"CREATE TABLE \"Author\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "
	"\"name\" varchar(100) NOT NULL DEFAULT 'anon', \"email\" varchar(254) NOT NULL UNIQUE, "
	"\"age\" integer NULL CHECK (\"age\" >= 0), \"ratio\" real DEFAULT 1.5, \"bio\" text COLLATE NOCASE, "
	"CONSTRAINT \"author_name_email_uniq\" UNIQUE (\"name\", \"email\"));\n"
	"CREATE TABLE \"book\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "
	"\"title\" varchar(200) NOT NULL, "
	"\"author_id\" bigint NOT NULL REFERENCES \"Author\" (\"id\") DEFERRABLE INITIALLY DEFERRED, "
	"\"editor_id\" integer NULL REFERENCES \"Author\" (\"id\") ON DELETE SET NULL ON UPDATE CASCADE, "
	"\"pages\" integer NOT NULL DEFAULT 0, "
	"\"double_pages\" integer GENERATED ALWAYS AS (\"pages\" * 2) STORED, "
	"CONSTRAINT \"pages_positive\" CHECK (\"pages\" >= 0));\n"
	"CREATE INDEX \"book_title_idx\" ON \"book\" (\"title\");\n"
	"CREATE UNIQUE INDEX \"book_author_title_uniq\" ON \"book\" (\"author_id\", \"title\");\n"
	"CREATE INDEX \"book_big_idx\" ON \"book\" (\"pages\") WHERE \"pages\" > 100;\n"
	"CREATE INDEX \"book_lower_title_idx\" ON \"book\" (lower(\"title\") DESC);\n"
	"CREATE TABLE \"odd \"\"name\"\" here\" (\"k\" text NOT NULL, \"v\" blob, PRIMARY KEY (\"k\")) WITHOUT ROWID;\n"
	"CREATE VIEW \"book_titles\" AS SELECT \"title\" FROM \"book\";\n"
	"CREATE TRIGGER \"book_touch\" AFTER INSERT ON \"book\" BEGIN SELECT 1; END;\n";

static dbs_table *table(dbsync_schema *s, const char *name)
{
	dbs_table *t = dbs_schema_find_table(s, name);
	if (!t || strcmp(t->name, name) != 0)
		fail_msg("no table %s", name);
	return t;
}

static dbs_column *column(dbsync_schema *s, dbs_table *t, const char *name)
{
	dbs_column *c = dbs_table_find_column(s, t, name);
	if (!c)
		fail_msg("no column %s.%s", t->name, name);
	return c;
}

static dbs_constraint *constraint(dbs_table *t, dbs_con_kind kind, const char *first_col, size_t ncols)
{
	for (size_t i = 0; i < t->constraints.n; i++) {
		dbs_constraint *c = t->constraints.items[i];
		if (c->kind == kind && c->cols.n == ncols && (!first_col || strcmp(c->cols.items[0], first_col) == 0))
			return c;
	}
	fail_msg("no constraint kind %d on %s(%s)", kind, t->name, first_col ? first_col : "");
	return NULL;
}

static dbs_index *index_of(dbs_table *t, const char *name)
{
	for (size_t i = 0; i < t->indexes.n; i++)
		if (strcmp(t->indexes.items[i]->name, name) == 0)
			return t->indexes.items[i];
	fail_msg("no index %s on %s", name, t->name);
	return NULL;
}

static const char *canon(dbsync_schema *s, const char *expr)
{
	return dbs_expr_canon(&s->arena, DBSYNC_DIALECT_SQLITE, expr, strlen(expr));
}

static dbsync_schema *introspect(dbsync_ctx *ctx, dbsync_conn *conn, int mode)
{
	dbsync_schema *s = NULL;
	dbsync_conn_reset_counters(conn);
	if (dbs_sq_introspect(&s, ctx, conn, mode))
		fail_msg("introspect: %s", dbsync_ctx_error(ctx)->message);
	assert_int_equal(dbsync_conn_catalog_queries(conn), DBS_SQ_CATALOG_QUERIES);
	return s;
}

/* What SQLite's pragmas expose; both introspection paths must agree on it. */
static void check_pragma_facts_tables(dbsync_schema *s, size_t n_tables)
{
	assert_int_equal(s->tables.n, n_tables); /* no sqlite_sequence, no view, no trigger */
	dbs_table *a = table(s, "Author");
	assert_int_equal(a->columns.n, 6);
	assert_string_equal(column(s, a, "id")->type, "integer");
	assert_true(column(s, a, "id")->not_null);
	assert_string_equal(column(s, a, "name")->type, "varchar(100)");
	assert_true(column(s, a, "name")->not_null);
	assert_string_equal(column(s, a, "name")->default_expr, canon(s, "'anon'"));
	assert_false(column(s, a, "age")->not_null);
	assert_null(column(s, a, "age")->default_expr);
	assert_string_equal(column(s, a, "ratio")->default_expr, canon(s, "1.5"));
	dbs_constraint *pk = dbs_table_primary_key(a);
	assert_non_null(pk);
	assert_int_equal(pk->cols.n, 1);
	assert_string_equal(pk->cols.items[0], "id");
	dbs_constraint *u2 = constraint(a, DBS_CON_UNIQUE, "name", 2);
	assert_string_equal(u2->cols.items[1], "email");
	constraint(a, DBS_CON_UNIQUE, "email", 1);
	assert_int_equal(a->indexes.n, 0); /* autoindexes are the constraints above */

	dbs_table *b = table(s, "book");
	assert_string_equal(column(s, b, "author_id")->type, "bigint");
	assert_non_null(column(s, b, "double_pages")->generated_expr);
	assert_true(column(s, b, "double_pages")->generated_stored);
	dbs_constraint *fa = constraint(b, DBS_CON_FOREIGN, "author_id", 1);
	assert_string_equal(fa->ref_table, "Author");
	assert_int_equal(fa->ref_cols.n, 1);
	assert_string_equal(fa->ref_cols.items[0], "id");
	assert_null(fa->on_delete);
	assert_null(fa->on_update);
	dbs_constraint *fe = constraint(b, DBS_CON_FOREIGN, "editor_id", 1);
	assert_string_equal(fe->on_delete, "SET NULL");
	assert_string_equal(fe->on_update, "CASCADE");
	assert_int_equal(b->indexes.n, 4);
	dbs_index *ix = index_of(b, "book_title_idx");
	assert_false(ix->unique);
	assert_int_equal(ix->parts.n, 1);
	assert_string_equal(ix->parts.items[0].column, "title");
	ix = index_of(b, "book_author_title_uniq");
	assert_true(ix->unique);
	assert_int_equal(ix->parts.n, 2);
	assert_string_equal(ix->parts.items[1].column, "title");
	assert_non_null(index_of(b, "book_big_idx")->where_expr);
	ix = index_of(b, "book_lower_title_idx");
	assert_null(ix->parts.items[0].column);
	assert_true(ix->parts.items[0].desc);

	dbs_table *odd = table(s, "odd \"name\" here");
	pk = dbs_table_primary_key(odd);
	assert_non_null(pk);
	assert_string_equal(pk->cols.items[0], "k");
	assert_null(column(s, odd, "v")->default_expr);
	assert_string_equal(column(s, odd, "v")->type, "blob");
}

static void check_pragma_facts(dbsync_schema *s)
{
	check_pragma_facts_tables(s, 3);
}

static void test_introspect_realistic(void **state)
{
	(void)state;
	dbsync_ctx *ctx = NULL;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	dbsync_conn *conn = open_db(ctx, "r.db");
	exec_ok(ctx, conn, realistic_ddl);
	exec_ok(ctx, conn, "INSERT INTO \"Author\" (\"email\") VALUES ('a@b')"); /* fills sqlite_sequence */
	/* a temp table would shadow "book" for a pragma not told the schema */
	exec_ok(ctx, conn, "CREATE TEMP TABLE \"book\" (\"other\" int)");

	dbsync_schema *p = introspect(ctx, conn, DBS_SQ_PRAGMA_ONLY);
	check_pragma_facts(p);
	dbsync_schema_free(p);

	dbsync_schema *s = NULL;
	dbsync_conn_reset_counters(conn);
	assert_int_equal(dbsync_conn_introspect(&s, ctx, conn), 0);
	assert_int_equal(dbsync_conn_catalog_queries(conn), DBS_SQ_CATALOG_QUERIES);
	check_pragma_facts(s);
	assert_int_equal(s->views.n, 1);
	assert_string_equal(s->views.items[0]->name, "book_titles");
	assert_non_null(table(s, "book")->source_sql);

	/* what only the parsed CREATE text can tell */
	dbs_table *a = table(s, "Author");
	assert_true(column(s, a, "id")->autoincrement || dbs_table_primary_key(a)->pk_autoincrement);
	assert_string_equal(column(s, a, "bio")->collation ? column(s, a, "bio")->collation : "", "NOCASE");
	assert_true(constraint(a, DBS_CON_UNIQUE, "email", 1)->inline_col);
	dbs_constraint *u2 = constraint(a, DBS_CON_UNIQUE, "name", 2);
	assert_string_equal(u2->name, "author_name_email_uniq");
	assert_false(u2->inline_col);
	dbs_constraint *chk = constraint(a, DBS_CON_CHECK, NULL, 1);
	assert_string_equal(chk->check_expr, canon(s, "\"age\" >= 0"));

	dbs_table *b = table(s, "book");
	dbs_column *dp = column(s, b, "double_pages");
	assert_string_equal(dp->generated_expr, canon(s, "\"pages\" * 2"));
	assert_true(dp->generated_stored);
	dbs_constraint *fa = constraint(b, DBS_CON_FOREIGN, "author_id", 1);
	assert_true(fa->deferrable);
	assert_true(fa->initially_deferred);
	assert_false(constraint(b, DBS_CON_FOREIGN, "editor_id", 1)->deferrable);
	chk = constraint(b, DBS_CON_CHECK, NULL, 0);
	assert_string_equal(chk->name, "pages_positive");
	assert_string_equal(chk->check_expr, canon(s, "\"pages\" >= 0"));
	assert_string_equal(index_of(b, "book_big_idx")->where_expr, canon(s, "\"pages\" > 100"));
	dbs_index *ix = index_of(b, "book_lower_title_idx");
	assert_string_equal(ix->parts.items[0].expr, canon(s, "lower(\"title\")"));
	assert_true(table(s, "odd \"name\" here")->without_rowid);
	dbsync_schema_free(s);
	dbsync_conn_close(conn);
	dbsync_ctx_free(ctx);
}

/* A text dump of everything in a model but source_sql, tables and indexes
 * sorted by name: two schemas are the same model when their dumps are equal. */
static int cmp_table(const void *x, const void *y)
{
	return strcmp((*(dbs_table *const *)x)->name, (*(dbs_table *const *)y)->name);
}

static int cmp_index(const void *x, const void *y)
{
	return strcmp((*(dbs_index *const *)x)->name, (*(dbs_index *const *)y)->name);
}

#define S(x) ((x) ? (x) : "-")

static void dump_names(dbs_buf *b, const dbs_str_vec *v)
{
	dbs_buf_putc(b, '(');
	for (size_t i = 0; i < v->n; i++)
		dbs_buf_printf(b, "%s%s", i ? "," : "", v->items[i]);
	dbs_buf_putc(b, ')');
}

static char *dump_model(dbsync_schema *s)
{
	dbs_buf b = DBS_BUF_INIT;
	if (s->tables.n)
		qsort(s->tables.items, s->tables.n, sizeof *s->tables.items, cmp_table);
	assert_int_equal(dbs_schema_reindex(s), 0);
	for (size_t i = 0; i < s->tables.n; i++) {
		dbs_table *t = s->tables.items[i];
		dbs_buf_printf(&b, "table %s rowid=%d strict=%d comment=%s\n", t->name, !t->without_rowid, t->strict, S(t->comment));
		for (size_t j = 0; j < t->columns.n; j++) {
			const dbs_column *c = t->columns.items[j];
			dbs_buf_printf(&b, "  col %s type=%s nn=%d def=%s gen=%s stored=%d ai=%d id=%s coll=%s\n",
				c->name, S(c->type), c->not_null, S(c->default_expr), S(c->generated_expr),
				c->generated_stored, c->autoincrement, S(c->identity), S(c->collation));
		}
		for (size_t j = 0; j < t->constraints.n; j++) {
			const dbs_constraint *c = t->constraints.items[j];
			dbs_buf_printf(&b, "  con %d name=%s inline=%d cols=", c->kind, S(c->name), c->inline_col);
			dump_names(&b, &c->cols);
			dbs_buf_printf(&b, " check=%s ref=%s", S(c->check_expr), S(c->ref_table));
			dump_names(&b, &c->ref_cols);
			dbs_buf_printf(&b, " del=%s upd=%s defer=%d/%d ai=%d\n", S(c->on_delete), S(c->on_update),
				c->deferrable, c->initially_deferred, c->pk_autoincrement);
		}
		if (t->indexes.n)
			qsort(t->indexes.items, t->indexes.n, sizeof *t->indexes.items, cmp_index);
		for (size_t j = 0; j < t->indexes.n; j++) {
			const dbs_index *ix = t->indexes.items[j];
			dbs_buf_printf(&b, "  index %s unique=%d where=%s method=%s\n", ix->name, ix->unique,
				S(ix->where_expr), S(ix->method));
			for (size_t k = 0; k < ix->parts.n; k++) {
				const dbs_index_part *p = &ix->parts.items[k];
				dbs_buf_printf(&b, "    part col=%s expr=%s desc=%d coll=%s\n", S(p->column), S(p->expr),
					p->desc, S(p->collation));
			}
		}
	}
	for (size_t i = 0; i < s->views.n; i++)
		dbs_buf_printf(&b, "view %s def=%s\n", s->views.items[i]->name, S(s->views.items[i]->definition));
	assert_true(dbs_buf_ok(&b));
	return dbs_buf_detach(&b);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *text = calloc(1, (size_t)n + 1);
	if (text && fread(text, 1, (size_t)n, f) != (size_t)n) {
		free(text);
		text = NULL;
	}
	fclose(f);
	return text;
}

/* Introspecting a database built from DDL gives the model parsing that DDL
 * gives: the diff compares the two, so any gap is a false difference. */
static void check_identity(const char *file, const char *ddl)
{
	dbsync_ctx *ctx = NULL;
	dbsync_schema *parsed = NULL, *live = NULL;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	if (dbsync_schema_parse(&parsed, ctx, DBSYNC_DIALECT_SQLITE, ddl, strlen(ddl)))
		fail_msg("parse: %s", dbsync_ctx_error(ctx)->message);
	dbsync_conn *conn = open_db(ctx, file);
	exec_ok(ctx, conn, ddl);
	dbsync_conn_reset_counters(conn);
	assert_int_equal(dbsync_conn_introspect(&live, ctx, conn), 0);
	assert_int_equal(dbsync_conn_catalog_queries(conn), DBS_SQ_CATALOG_QUERIES);
	char *want = dump_model(parsed), *got = dump_model(live);
	if (strcmp(want, got) != 0)
		print_error("parsed:\n%s\nintrospected:\n%s\n", want, got);
	assert_string_equal(got, want);
	free(got);
	/* the object-by-object path, taken when one statement does not parse, agrees */
	dbsync_schema *each = introspect(ctx, conn, DBS_SQ_PARSE_EACH);
	got = dump_model(each);
	assert_string_equal(got, want);
	dbsync_schema_free(each);
	free(want);
	free(got);
	dbsync_schema_free(parsed);
	dbsync_schema_free(live);
	dbsync_conn_close(conn);
	dbsync_ctx_free(ctx);
}

static void test_identity_realistic(void **state)
{
	(void)state;
	check_identity("id1.db", realistic_ddl);
}

static void test_identity_django_fixture(void **state)
{
	(void)state;
	const char *cases = getenv("DBSYNC_CASES_DIR");
	char path[1024];
	snprintf(path, sizeof path, "%s/../c/fixtures/django52_sqlite.sql", cases ? cases : "tests/cases");
	char *ddl = read_file(path);
	if (!ddl)
		fail_msg("cannot read %s", path);
	check_identity("id2.db", ddl);
	free(ddl);
}

/* The parse is corrected by the pragmas where the two disagree. */
static void test_reconcile_prefers_pragmas(void **state)
{
	(void)state;
	dbsync_schema *s = dbs_schema_new(DBSYNC_DIALECT_SQLITE);
	dbsync_schema *p = dbs_schema_new(DBSYNC_DIALECT_SQLITE);
	assert_non_null(s);
	assert_non_null(p);
	/* what a confused parse might say */
	dbs_table *t = dbs_schema_add_table(s, "t");
	dbs_column *c = dbs_table_add_column(s, t, "a");
	c->type = "int";
	c->default_expr = "1";
	dbs_table_add_column(s, t, "b")->generated_expr = "\"a\" + 1";
	dbs_constraint *fk = dbs_table_add_constraint(s, t, DBS_CON_FOREIGN);
	DBS_VEC_PUSH(&s->arena, &fk->cols, "b");
	fk->ref_table = "gone";
	fk->deferrable = true;
	dbs_constraint *chk = dbs_table_add_constraint(s, t, DBS_CON_CHECK);
	chk->check_expr = "\"a\" > 0";
	dbs_table_add_index(s, t, "stale_idx");
	dbs_index *keep = dbs_table_add_index(s, t, "keep_idx");
	dbs_index_part part = { .expr = "lower(\"a\")" };
	DBS_VEC_PUSH(&s->arena, &keep->parts, part);
	/* what SQLite says */
	dbs_table *pt = dbs_schema_add_table(p, "t");
	c = dbs_table_add_column(p, pt, "a");
	c->type = "integer";
	c->not_null = true;
	dbs_table_add_column(p, pt, "b");
	dbs_table_add_column(p, pt, "c")->type = "text";
	dbs_constraint *pk = dbs_table_add_constraint(p, pt, DBS_CON_PRIMARY);
	DBS_VEC_PUSH(&p->arena, &pk->cols, "a");
	dbs_constraint *pfk = dbs_table_add_constraint(p, pt, DBS_CON_FOREIGN);
	DBS_VEC_PUSH(&p->arena, &pfk->cols, "c");
	pfk->ref_table = "other";
	pfk->on_delete = "CASCADE";
	dbs_index *pk_ix = dbs_table_add_index(p, pt, "keep_idx");
	pk_ix->unique = true;
	dbs_index_part ppart = { .collation = "NOCASE", .desc = true };
	DBS_VEC_PUSH(&p->arena, &pk_ix->parts, ppart);

	assert_int_equal(dbs_sq_reconcile_table(s, t, p, pt), 0);
	assert_int_equal(t->columns.n, 3);
	assert_string_equal(t->columns.items[0]->type, "integer");
	assert_true(t->columns.items[0]->not_null);
	assert_null(t->columns.items[0]->default_expr);
	assert_null(t->columns.items[1]->generated_expr);
	assert_string_equal(t->columns.items[2]->name, "c");
	assert_string_equal(dbs_table_primary_key(t)->cols.items[0], "a");
	dbs_constraint *nfk = constraint(t, DBS_CON_FOREIGN, "c", 1);
	assert_string_equal(nfk->ref_table, "other");
	assert_string_equal(nfk->on_delete, "CASCADE");
	for (size_t i = 0; i < t->constraints.n; i++)
		assert_false(t->constraints.items[i]->kind == DBS_CON_FOREIGN &&
			strcmp(t->constraints.items[i]->ref_table, "gone") == 0);
	assert_non_null(constraint(t, DBS_CON_CHECK, NULL, 0)); /* pragmas know no CHECKs: kept */
	assert_int_equal(t->indexes.n, 1);
	dbs_index *ix = t->indexes.items[0];
	assert_string_equal(ix->name, "keep_idx");
	assert_true(ix->unique);
	assert_string_equal(ix->parts.items[0].expr, "lower(\"a\")"); /* only the parse knows it */
	assert_true(ix->parts.items[0].desc);
	assert_string_equal(ix->parts.items[0].collation, "NOCASE");
	dbsync_schema_free(s);
	dbsync_schema_free(p);
}

/* SQLite accepts CREATE text our parser may not (here: ON CONFLICT after a
 * table CHECK, a bare CONSTRAINT name). That table comes from the pragma rows
 * alone; every other table keeps what only its parse knows. */
static void test_introspect_survives_unparsable_table(void **state)
{
	(void)state;
	dbsync_ctx *ctx = NULL;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	dbsync_conn *conn = open_db(ctx, "odd.db");
	exec_ok(ctx, conn, realistic_ddl);
	exec_ok(ctx, conn,
		"CREATE TABLE \"hand\" (\"id\" integer PRIMARY KEY, \"n\" int CONSTRAINT x CONSTRAINT y NOT NULL DEFAULT 7, "
		"\"a\" int REFERENCES \"Author\" ON DELETE CASCADE, CHECK (\"n\" > 0) ON CONFLICT ABORT);"
		"CREATE INDEX \"hand_n\" ON \"hand\" (\"n\" DESC);");
	for (int mode = 0; mode < 3; mode += 2) {
		dbsync_schema *s = introspect(ctx, conn, mode);
		check_pragma_facts_tables(s, 4);
		dbs_table *h = table(s, "hand");
		assert_int_equal(h->columns.n, 3);
		assert_true(column(s, h, "n")->not_null);
		assert_string_equal(column(s, h, "n")->default_expr, canon(s, "7"));
		assert_string_equal(dbs_table_primary_key(h)->cols.items[0], "id");
		dbs_constraint *fk = constraint(h, DBS_CON_FOREIGN, "a", 1);
		assert_string_equal(fk->ref_table, "Author");
		assert_int_equal(fk->ref_cols.n, 0);
		assert_string_equal(fk->on_delete, "CASCADE");
		dbs_index *ix = index_of(h, "hand_n");
		assert_string_equal(ix->parts.items[0].column, "n");
		assert_true(ix->parts.items[0].desc);
		dbs_table *b = table(s, "book");
		assert_string_equal(constraint(b, DBS_CON_CHECK, NULL, 0)->name, "pages_positive");
		assert_true(constraint(b, DBS_CON_FOREIGN, "author_id", 1)->deferrable);
		dbsync_schema_free(s);
	}
	dbsync_conn_close(conn);
	dbsync_ctx_free(ctx);
}

/* Full-text tables and their shadow tables belong to SQLite's modules, not to
 * any model; a table merely named like a shadow table is still a table. */
static void test_introspect_skips_virtual_tables(void **state)
{
	(void)state;
	dbsync_ctx *ctx = NULL;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	dbsync_conn *conn = open_db(ctx, "v.db");
	/* Debian's SQLite has FTS5; a build without it cannot prove this */
	if (dbsync_conn_exec(ctx, conn, "CREATE VIRTUAL TABLE \"docs\" USING fts5(\"body\")"))
		fail_msg("CREATE VIRTUAL TABLE ... USING fts5 failed (a SQLite without FTS5?): %s",
			dbsync_ctx_error(ctx)->message);
	exec_ok(ctx, conn, "CREATE TABLE \"docs_extra\" (\"id\" integer PRIMARY KEY);"
		"CREATE INDEX \"docs_extra_id\" ON \"docs_extra\" (\"id\" DESC);");
	for (int mode = 0; mode < 3; mode++) {
		dbsync_schema *s = introspect(ctx, conn, mode);
		assert_int_equal(s->tables.n, 1);
		assert_string_equal(s->tables.items[0]->name, "docs_extra");
		assert_int_equal(s->tables.items[0]->indexes.n, 1);
		dbsync_schema_free(s);
	}
	dbsync_conn_close(conn);
	dbsync_ctx_free(ctx);
}

static void make_tables(dbsync_ctx *ctx, dbsync_conn *conn, int n)
{
	dbs_buf b = DBS_BUF_INIT;
	dbs_buf_puts(&b, "BEGIN;");
	for (int i = 0; i < n; i++) {
		dbs_buf_printf(&b, "CREATE TABLE \"t%d\" (\"id\" integer NOT NULL PRIMARY KEY, \"v\" varchar(10) UNIQUE, "
			"\"p\" integer REFERENCES \"t%d\" (\"id\"), CHECK (\"id\" > 0));", i, i ? i - 1 : 0);
		dbs_buf_printf(&b, "CREATE INDEX \"t%d_p\" ON \"t%d\" (\"p\");", i, i);
	}
	dbs_buf_puts(&b, "COMMIT;");
	assert_true(dbs_buf_ok(&b));
	exec_ok(ctx, conn, dbs_buf_cstr(&b));
	dbs_buf_free(&b);
}

static void test_catalog_query_count_is_fixed(void **state)
{
	(void)state;
	dbsync_ctx *ctx = NULL;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	const int sizes[] = { 0, 10, 500 };
	for (size_t k = 0; k < 3; k++) {
		char file[32];
		snprintf(file, sizeof file, "n%d.db", sizes[k]);
		dbsync_conn *conn = open_db(ctx, file);
		make_tables(ctx, conn, sizes[k]);
		for (int mode = 0; mode < 2; mode++) {
			dbsync_schema *s = introspect(ctx, conn, mode);
			assert_int_equal(s->tables.n, (size_t)sizes[k]);
			if (sizes[k]) {
				dbs_table *last = s->tables.items[s->tables.n - 1];
				assert_int_equal(last->indexes.n, 1);
				constraint(last, DBS_CON_FOREIGN, "p", 1);
				constraint(last, DBS_CON_UNIQUE, "v", 1);
			}
			dbsync_schema_free(s);
		}
		dbsync_conn_close(conn);
	}
	dbsync_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_close),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_exec_errors),
		cmocka_unit_test(test_count_rows_hostile_name),
		cmocka_unit_test(test_exec_locked),
		cmocka_unit_test(test_introspect_realistic),
		cmocka_unit_test(test_reconcile_prefers_pragmas),
		cmocka_unit_test(test_introspect_skips_virtual_tables),
		cmocka_unit_test(test_introspect_survives_unparsable_table),
		cmocka_unit_test(test_catalog_query_count_is_fixed),
		cmocka_unit_test(test_identity_realistic),
		cmocka_unit_test(test_identity_django_fixture),
	};
	return cmocka_run_group_tests(tests, setup, test_tmpdir_teardown);
}
