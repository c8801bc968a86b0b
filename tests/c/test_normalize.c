/* Canonical expressions and types, and the schema normalizer's rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "ctx.h"
#include "parse.h"

static const char *canon(dbs_arena *a, dbsync_dialect d, const char *e)
{
	const char *c = dbs_expr_canon(a, d, e, strlen(e));
	assert_non_null(c);
	const char *again = dbs_expr_canon(a, d, c, strlen(c));
	assert_non_null(again);
	if (strcmp(c, again) != 0)
		fail_msg("not idempotent: \"%s\" -> \"%s\" -> \"%s\"", e, c, again);
	return c;
}

static const char *tcanon(dbs_arena *a, dbsync_dialect d, const char *t)
{
	const char *c = dbs_type_canon(a, d, t, strlen(t));
	if (c) {
		const char *again = dbs_type_canon(a, d, c, strlen(c));
		assert_non_null(again);
		if (strcmp(c, again) != 0)
			fail_msg("type not idempotent: \"%s\" -> \"%s\" -> \"%s\"", t, c, again);
	}
	return c;
}

static const struct { dbsync_dialect d; const char *in, *out; } expr_cases[] = {
	{ DBSYNC_DIALECT_SQLITE, "x >= 0", "\"x\" >= 0" },
	{ DBSYNC_DIALECT_SQLITE, "\"x\">=0", "\"x\" >= 0" },
	{ DBSYNC_DIALECT_SQLITE, "((JSON_VALID(\"data\") OR \"data\" IS NULL))", "JSON_VALID(\"data\") OR \"data\" IS NULL" },
	{ DBSYNC_DIALECT_SQLITE, "json_valid(data) or data is null", "JSON_VALID(\"data\") OR \"data\" IS NULL" },
	{ DBSYNC_DIALECT_SQLITE, "(\"pages\" * 2)", "\"pages\" * 2" },
	{ DBSYNC_DIALECT_SQLITE, "((1 + 2))", "1 + 2" },
	{ DBSYNC_DIALECT_SQLITE, "(a) + (b)", "(\"a\") + (\"b\")" },
	{ DBSYNC_DIALECT_SQLITE, "STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')", "STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')" },
	{ DBSYNC_DIALECT_SQLITE, "cast ( x as VARCHAR(10) ) || 'MiXed'", "CAST(\"x\" AS varchar(10)) || 'MiXed'" },
	{ DBSYNC_DIALECT_SQLITE, "a != b", "\"a\" <> \"b\"" },
	{ DBSYNC_DIALECT_SQLITE, "a == b", "\"a\" = \"b\"" },
	{ DBSYNC_DIALECT_SQLITE, "- 1", "-1" },
	{ DBSYNC_DIALECT_SQLITE, "+1", "1" },
	{ DBSYNC_DIALECT_SQLITE, "x - -1", "\"x\" - -1" },
	{ DBSYNC_DIALECT_SQLITE, "t.x = `t`.[y]", "\"t\".\"x\" = \"t\".\"y\"" },
	{ DBSYNC_DIALECT_SQLITE, "x in (1,2,  3)", "\"x\" IN (1, 2, 3)" },
	{ DBSYNC_DIALECT_SQLITE, "not(a and b)", "NOT (\"a\" AND \"b\")" },
	{ DBSYNC_DIALECT_SQLITE, "case when a then 'x' else 'Y' end", "CASE WHEN \"a\" THEN 'x' ELSE 'Y' END" },
	{ DBSYNC_DIALECT_SQLITE, "x collate nocase = 'a'", "\"x\" COLLATE \"NOCASE\" = 'a'" },
	{ DBSYNC_DIALECT_SQLITE, "x'ab' = X'AB'", "X'AB' = X'AB'" },
	{ DBSYNC_DIALECT_SQLITE, "current_timestamp", "CURRENT_TIMESTAMP" },
	{ DBSYNC_DIALECT_SQLITE, "\"we \"\"q\"\"\" > 0 -- comment", "\"we \"\"q\"\"\" > 0" },
	{ DBSYNC_DIALECT_SQLITE, "x /* c */ between 1 and 2", "\"x\" BETWEEN 1 AND 2" },
	{ DBSYNC_DIALECT_SQLITE, "count(*)", "COUNT(*)" },
	{ DBSYNC_DIALECT_SQLITE, "\"Mixed\" = 'Mixed'", "\"Mixed\" = 'Mixed'" },
	{ DBSYNC_DIALECT_POSTGRES, "Foo = \"Foo\"", "\"foo\" = \"Foo\"" },
	{ DBSYNC_DIALECT_POSTGRES, "(title)::TEXT", "(\"title\")::text" },
	{ DBSYNC_DIALECT_POSTGRES, "x::character varying(10)[] = 'a'::text", "\"x\"::character varying(10)[] = 'a'::text" },
	{ DBSYNC_DIALECT_POSTGRES, "x = any (array['a'::text, 'b'])", "\"x\" = ANY (ARRAY['a'::text, 'b'])" },
	{ DBSYNC_DIALECT_POSTGRES, "nextval('s'::regclass)", "NEXTVAL('s'::regclass)" },
	{ DBSYNC_DIALECT_MYSQL, "`a` = \"x\"", "`a` = 'x'" },
	{ DBSYNC_DIALECT_MYSQL, "a = 'y'", "`a` = 'y'" },
};

static void test_expr_canon_examples(void **state)
{
	(void)state;
	dbs_arena a;
	dbs_arena_init(&a);
	for (size_t i = 0; i < sizeof expr_cases / sizeof expr_cases[0]; i++) {
		const char *c = canon(&a, expr_cases[i].d, expr_cases[i].in);
		if (strcmp(c, expr_cases[i].out) != 0)
			fail_msg("canon(%s) = \"%s\", want \"%s\"", expr_cases[i].in, c, expr_cases[i].out);
	}
	/* text that does not lex has no canonical form */
	assert_null(dbs_expr_canon(&a, DBSYNC_DIALECT_SQLITE, "'open", 5));
	assert_null(dbs_expr_canon(&a, DBSYNC_DIALECT_SQLITE, NULL, 0));
	assert_string_equal(dbs_expr_canon(&a, DBSYNC_DIALECT_SQLITE, "", 0), "");
	dbs_arena_free(&a);
}

/* Spellings that mean the same thing share one canonical text. */
static void test_equivalent_spellings(void **state)
{
	(void)state;
	static const char *const groups[][4] = {
		{ "x >= 0", "\"x\" >= 0", "(x>=0)", "[x]  >=  0" },
		{ "a <> b", "a != b", "(a<>b)", "((a != b))" },
		{ "lower(title)", "LOWER(\"title\")", "Lower( title )", "((lower(title)))" },
		{ "x IS NOT NULL", "x is not null", "(\"x\" IS NOT NULL)", "`x` is NOT null" },
		{ "-5", "- 5", "(-5)", "(- 5)" },
	};
	dbs_arena a;
	dbs_arena_init(&a);
	for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
		const char *first = canon(&a, DBSYNC_DIALECT_SQLITE, groups[g][0]);
		for (size_t j = 1; j < 4; j++)
			assert_string_equal(canon(&a, DBSYNC_DIALECT_SQLITE, groups[g][j]), first);
	}
	/* different things stay different: string case, identifier vs string */
	assert_string_not_equal(canon(&a, DBSYNC_DIALECT_SQLITE, "x = 'A'"), canon(&a, DBSYNC_DIALECT_SQLITE, "x = 'a'"));
	assert_string_not_equal(canon(&a, DBSYNC_DIALECT_SQLITE, "x = 'y'"), canon(&a, DBSYNC_DIALECT_SQLITE, "x = \"y\""));
	assert_string_not_equal(canon(&a, DBSYNC_DIALECT_SQLITE, "(a + b) * c"), canon(&a, DBSYNC_DIALECT_SQLITE, "a + b * c"));
	dbs_arena_free(&a);
}

/* The canonical text means the same to SQLite as the original: evaluate both
 * over rows that exercise NULLs, strings and numbers. */
static void test_canon_keeps_meaning_in_sqlite(void **state)
{
	(void)state;
	static const char *const exprs[] = {
		"x >= 0", "json_valid(data) or data is null", "(x + 1) * 2", "x - -1", "cast(x as text) || 'A'",
		"case when x > 1 then 'big' else 'small' end", "x in (1, 2, 3)", "not (x > 1 and data is null)",
		"x != 2", "x == 2", "+x", "- x", "coalesce(data, 'none')", "x between 1 and 2", "lower(s) = 'ab'",
		"s collate nocase = 'ab'", "s like 'A%'", "((x))", "x'41' = cast('A' as blob)", "abs(-x) % 2",
	};
	sqlite3 *db;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
		"CREATE TABLE t(x, data, s);"
		"INSERT INTO t VALUES (0, NULL, 'ab'), (1, '{}', 'AB'), (2, 'bad', NULL), (3, '[1]', 'Ab'), (-4, NULL, 'x');",
		NULL, NULL, NULL), SQLITE_OK);
	dbs_arena a;
	dbs_arena_init(&a);
	for (size_t i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
		const char *c = canon(&a, DBSYNC_DIALECT_SQLITE, exprs[i]);
		char sql[1024];
		snprintf(sql, sizeof sql, "SELECT count(*) FROM t WHERE (%s) IS NOT (%s)", exprs[i], c);
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
			fail_msg("SQLite rejects %s: %s", sql, sqlite3_errmsg(db));
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		if (sqlite3_column_int(st, 0) != 0)
			fail_msg("\"%s\" and its canon \"%s\" differ on %d rows", exprs[i], c, sqlite3_column_int(st, 0));
		sqlite3_finalize(st);
	}
	dbs_arena_free(&a);
	sqlite3_close(db);
}

static void test_type_canon(void **state)
{
	(void)state;
	static const struct { dbsync_dialect d; const char *in, *out; } cases[] = {
		{ DBSYNC_DIALECT_SQLITE, "VARCHAR (100)", "varchar(100)" },
		{ DBSYNC_DIALECT_SQLITE, "decimal(10, 2)", "decimal(10,2)" },
		{ DBSYNC_DIALECT_SQLITE, "Decimal( 10 ,2 )", "decimal(10,2)" },
		{ DBSYNC_DIALECT_SQLITE, "INTEGER   UNSIGNED", "integer unsigned" },
		{ DBSYNC_DIALECT_SQLITE, "integer\n\tunsigned", "integer unsigned" },
		{ DBSYNC_DIALECT_SQLITE, "DOUBLE PRECISION", "double precision" },
		{ DBSYNC_DIALECT_SQLITE, "character varying ( 5 )", "character varying(5)" },
		{ DBSYNC_DIALECT_SQLITE, "\"My Type\"", "my type" },
		{ DBSYNC_DIALECT_SQLITE, "numeric(10, -2)", "numeric(10,-2)" },
		{ DBSYNC_DIALECT_MYSQL, "INT(11) UNSIGNED ZEROFILL", "int(11) unsigned zerofill" },
		{ DBSYNC_DIALECT_MYSQL, "enum('a', 'B')", "enum('a','B')" },
		{ DBSYNC_DIALECT_POSTGRES, "TIMESTAMP(6) WITH TIME ZONE", "timestamp(6) with time zone" },
		{ DBSYNC_DIALECT_POSTGRES, "integer [ ]", "integer[]" },
	};
	dbs_arena a;
	dbs_arena_init(&a);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *c = tcanon(&a, cases[i].d, cases[i].in);
		if (!c || strcmp(c, cases[i].out) != 0)
			fail_msg("type canon(%s) = \"%s\", want \"%s\"", cases[i].in, c ? c : "(null)", cases[i].out);
	}
	assert_null(tcanon(&a, DBSYNC_DIALECT_SQLITE, ""));
	assert_null(tcanon(&a, DBSYNC_DIALECT_SQLITE, "  \n "));
	assert_null(dbs_type_canon(&a, DBSYNC_DIALECT_SQLITE, NULL, 0));
	/* text that does not lex is still lower-cased with single spaces */
	assert_string_equal(tcanon(&a, DBSYNC_DIALECT_SQLITE, "WEIRD  'type"), "weird 'type");
	dbs_arena_free(&a);
}

/* Build a schema by hand with raw text, as a backend might, and normalize it. */
static void test_schema_rules(void **state)
{
	(void)state;
	dbsync_ctx *ctx;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	dbsync_schema *s = dbs_schema_new(DBSYNC_DIALECT_SQLITE);
	assert_non_null(s);
	dbs_table *t = dbs_schema_add_table(s, "t");
	dbs_column *id = dbs_table_add_column(s, t, "id");
	id->type = "INTEGER";
	dbs_column *code = dbs_table_add_column(s, t, "code");
	code->type = "Text";
	code->default_expr = "(NULL)";
	code->collation = "binary";
	dbs_column *name = dbs_table_add_column(s, t, "name");
	name->type = "VARCHAR ( 20 )";
	name->default_expr = "('x')";
	name->collation = "nocase";
	dbs_column *blank = dbs_table_add_column(s, t, "blank");
	blank->type = "   ";
	dbs_constraint *pk = dbs_table_add_constraint(s, t, DBS_CON_PRIMARY);
	DBS_VEC_PUSH(&s->arena, &pk->cols, "id");
	dbs_constraint *ck = dbs_table_add_constraint(s, t, DBS_CON_CHECK);
	ck->check_expr = "((length(name) > 0))";
	dbs_constraint *fk = dbs_table_add_constraint(s, t, DBS_CON_FOREIGN);
	DBS_VEC_PUSH(&s->arena, &fk->cols, "code");
	fk->ref_table = "other";
	fk->on_delete = "no   action";
	fk->on_update = "set null";
	fk->initially_deferred = true; /* without DEFERRABLE this means nothing */
	dbs_index *ix = dbs_table_add_index(s, t, "ix");
	dbs_index_part p1 = { .column = "name", .collation = "NOCASE" };
	dbs_index_part p2 = { .column = "code", .collation = "Binary" };
	dbs_index_part p3 = { .expr = "(\"code\")" };
	dbs_index_part p4 = { .expr = "lower( name )" };
	DBS_VEC_PUSH(&s->arena, &ix->parts, p1);
	DBS_VEC_PUSH(&s->arena, &ix->parts, p2);
	DBS_VEC_PUSH(&s->arena, &ix->parts, p3);
	DBS_VEC_PUSH(&s->arena, &ix->parts, p4);
	ix->where_expr = "(code is not null)";
	ix->method = "btree";

	assert_int_equal(dbs_schema_normalize(s, ctx), 0);
	assert_string_equal(id->type, "integer");
	assert_true(id->not_null); /* INTEGER PRIMARY KEY is the rowid */
	assert_string_equal(code->type, "text");
	assert_null(code->default_expr); /* DEFAULT NULL is no default */
	assert_null(code->collation);    /* BINARY is the default collation */
	assert_string_equal(name->type, "varchar(20)");
	assert_string_equal(name->default_expr, "'x'");
	assert_string_equal(name->collation, "NOCASE");
	assert_null(blank->type);
	assert_string_equal(ck->check_expr, "LENGTH(\"name\") > 0");
	assert_null(fk->on_delete);
	assert_string_equal(fk->on_update, "SET NULL");
	assert_false(fk->initially_deferred);
	assert_null(ix->parts.items[0].collation); /* the column's own collation */
	assert_null(ix->parts.items[1].collation);
	assert_null(ix->parts.items[2].expr);      /* a bare column expression is the column */
	assert_string_equal(ix->parts.items[2].column, "code");
	assert_string_equal(ix->parts.items[3].expr, "LOWER(\"name\")");
	assert_string_equal(ix->where_expr, "\"code\" IS NOT NULL");
	assert_null(ix->method);

	/* idempotent: a second pass changes nothing */
	const char *snap[] = { id->type, name->type, name->default_expr, ck->check_expr, fk->on_update,
		ix->parts.items[3].expr, ix->where_expr };
	assert_int_equal(dbs_schema_normalize(s, ctx), 0);
	const char *again[] = { id->type, name->type, name->default_expr, ck->check_expr, fk->on_update,
		ix->parts.items[3].expr, ix->where_expr };
	for (size_t i = 0; i < sizeof snap / sizeof snap[0]; i++)
		assert_string_equal(snap[i], again[i]);
	assert_true(id->not_null);
	dbsync_schema_free(s);
	dbsync_ctx_free(ctx);
}

static void test_primary_key_nullability(void **state)
{
	(void)state;
	dbsync_ctx *ctx;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	dbsync_schema *s = NULL;
	/* SQLite: only INTEGER PRIMARY KEY (the rowid) and WITHOUT ROWID keys are NOT NULL */
	const char *sql =
		"CREATE TABLE a (id INTEGER PRIMARY KEY, x);"
		"CREATE TABLE b (id INT PRIMARY KEY, x);"
		"CREATE TABLE c (id TEXT PRIMARY KEY, x);"
		"CREATE TABLE d (id TEXT PRIMARY KEY, x) WITHOUT ROWID;"
		"CREATE TABLE e (k1 INTEGER, k2 INTEGER, PRIMARY KEY (k1, k2));"
		"CREATE TABLE f (id integer, PRIMARY KEY (id));";
	assert_int_equal(dbsync_schema_parse(&s, ctx, DBSYNC_DIALECT_SQLITE, sql, strlen(sql)), 0);
	assert_true(dbs_schema_find_table(s, "a")->columns.items[0]->not_null);
	assert_false(dbs_schema_find_table(s, "b")->columns.items[0]->not_null);
	assert_false(dbs_schema_find_table(s, "c")->columns.items[0]->not_null);
	assert_true(dbs_schema_find_table(s, "d")->columns.items[0]->not_null);
	assert_false(dbs_schema_find_table(s, "e")->columns.items[0]->not_null);
	assert_true(dbs_schema_find_table(s, "f")->columns.items[0]->not_null);
	dbsync_schema_free(s);

	/* check that against SQLite itself: which of these keys accept NULL */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO b VALUES (NULL, 1)", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO c VALUES (NULL, 1)", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "INSERT INTO d VALUES (NULL, 1)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_exec(db, "INSERT INTO a VALUES (NULL, 1)", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM a WHERE id IS NULL", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 0); /* NULL became a rowid */
	sqlite3_finalize(st);
	sqlite3_close(db);

	/* PostgreSQL and MySQL make every primary key column NOT NULL */
	const char *pg = "CREATE TABLE p (a text, b text, PRIMARY KEY (a, b))";
	assert_int_equal(dbsync_schema_parse(&s, ctx, DBSYNC_DIALECT_POSTGRES, pg, strlen(pg)), 0);
	assert_true(s->tables.items[0]->columns.items[0]->not_null);
	assert_true(s->tables.items[0]->columns.items[1]->not_null);
	dbsync_schema_free(s);
	dbsync_ctx_free(ctx);
}

/* For messages: newlines shown as '|' (in place). */
static const char *visible(char *s)
{
	for (char *c = s; *c; c++)
		if (*c == '\n')
			*c = '|';
	return s;
}

/* Idempotence as a property: random token soup in every dialect. */
/* MySQL: the names COLUMN_TYPE prints, numbers and bit literals given as
 * quoted defaults of numeric columns, and the index InnoDB adds for a
 * foreign key no index serves, so a parsed table equals what the catalog
 * will read back. */
static void test_mysql_rules(void **state)
{
	(void)state;
	dbsync_ctx *ctx;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	static const char ddl[] =
		"CREATE TABLE `p` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY);\n"
		"CREATE TABLE `c` (`id` integer NOT NULL PRIMARY KEY, `on` bool DEFAULT b'1' NOT NULL, "
		"`n` integer DEFAULT '-12' NOT NULL, `price` numeric(8, 2) DEFAULT '3.50' NULL, "
		"`code` varchar(5) DEFAULT '7' NULL, `f` double precision NULL, `p_id` bigint NULL, "
		"`q_id` bigint NULL, `r_id` bigint NULL);\n"
		"ALTER TABLE `c` ADD CONSTRAINT `c_p_fk` FOREIGN KEY (`p_id`) REFERENCES `p` (`id`);\n"
		"ALTER TABLE `c` ADD CONSTRAINT `c_q_fk` FOREIGN KEY (`q_id`) REFERENCES `p` (`id`);\n"
		"CREATE INDEX `c_q_r` ON `c` (`q_id`, `r_id`);\n"
		"ALTER TABLE `c` ADD CONSTRAINT `c_id_fk` FOREIGN KEY (`id`) REFERENCES `p` (`id`);\n";
	dbsync_schema *s = NULL;
	assert_int_equal(dbsync_schema_parse(&s, ctx, DBSYNC_DIALECT_MYSQL, ddl, strlen(ddl)), 0);
	dbs_table *c = dbs_schema_find_table(s, "c");
	assert_string_equal(dbs_table_find_column(s, c, "on")->type, "tinyint(1)");
	assert_string_equal(dbs_table_find_column(s, c, "on")->default_expr, "1");
	assert_string_equal(dbs_table_find_column(s, c, "n")->type, "int");
	assert_string_equal(dbs_table_find_column(s, c, "n")->default_expr, "-12");
	assert_string_equal(dbs_table_find_column(s, c, "price")->type, "decimal(8,2)");
	assert_string_equal(dbs_table_find_column(s, c, "price")->default_expr, "3.50");
	assert_string_equal(dbs_table_find_column(s, c, "code")->default_expr, "'7'"); /* text stays text */
	assert_string_equal(dbs_table_find_column(s, c, "f")->type, "double");
	/* c_p_fk gets its index; c_q_fk is served by c_q_r, c_id_fk by the primary key */
	assert_int_equal(c->indexes.n, 2);
	dbs_table *owner = NULL;
	dbs_index *ix = dbs_schema_find_index(s, "c_p_fk", &owner);
	assert_non_null(ix);
	assert_ptr_equal(owner, c);
	assert_int_equal(ix->parts.n, 1);
	assert_string_equal(ix->parts.items[0].column, "p_id");
	assert_false(ix->unique);
	/* idempotent: normalizing again adds nothing */
	assert_int_equal(dbs_schema_normalize(s, ctx), 0);
	assert_int_equal(c->indexes.n, 2);
	dbsync_schema_free(s);
	dbsync_ctx_free(ctx);
}

static void test_canon_idempotent_on_random_input(void **state)
{
	(void)state;
	static const char *const pieces[] = {
		"(", ")", ",", ".", "::", "[", "]", "-", "+", "*", "!=", "==", "<>", "||", "~", "x", "Y", "\"q\"\"x\"",
		"`b`", "'s''t'", "12", "1.5e3", "X'0a'", "$1", "$$d$$", "cast", "AS", "text", "varchar", "(10)", "in",
		"not", "null", "is", "case", "when", "then", "else", "end", "collate", "nocase", "lower", "count",
		"current_timestamp", "and", "or", "date", "double", "precision", "exists", "select", "from", " ", "\n",
		"/* c */", "-- c\n", "any", "array", "::int", "e'x'",
	};
	static const dbsync_dialect dialects[] = { DBSYNC_DIALECT_SQLITE, DBSYNC_DIALECT_POSTGRES, DBSYNC_DIALECT_MYSQL };
	dbs_arena a;
	dbs_arena_init(&a);
	uint32_t seed = 99;
	char buf[512];
	for (int round = 0; round < 20000; round++) {
		size_t n = 0;
		int count = 1 + round % 24;
		for (int k = 0; k < count; k++) {
			seed = seed * 1664525u + 1013904223u;
			const char *piece = pieces[(seed >> 10) % (sizeof pieces / sizeof pieces[0])];
			size_t len = strlen(piece);
			if (n + len + 2 >= sizeof buf)
				break;
			memcpy(buf + n, piece, len);
			n += len;
			if ((seed >> 28) & 1)
				buf[n++] = ' ';
		}
		buf[n] = '\0';
		dbsync_dialect d = dialects[round % 3];
		const char *c = dbs_expr_canon(&a, d, buf, n);
		if (!c)
			continue; /* did not lex (e.g. a dangling quote in MySQL's "...") */
		const char *again = dbs_expr_canon(&a, d, c, strlen(c));
		if (!again || strcmp(c, again) != 0)
			fail_msg("dialect %d: [%s] -> [%s] -> [%s]", (int)d, visible(buf), c, again ? again : "(null)");
		const char *t = dbs_type_canon(&a, d, buf, n);
		const char *t2 = t ? dbs_type_canon(&a, d, t, strlen(t)) : NULL;
		if (t && (!t2 || strcmp(t, t2) != 0))
			fail_msg("type, dialect %d: [%s] -> [%s] -> [%s]", (int)d, visible(buf), t, t2 ? t2 : "(null)");
		if (round % 1000 == 999) {
			dbs_arena_free(&a);
			dbs_arena_init(&a);
		}
	}
	dbs_arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expr_canon_examples),
		cmocka_unit_test(test_equivalent_spellings),
		cmocka_unit_test(test_canon_keeps_meaning_in_sqlite),
		cmocka_unit_test(test_type_canon),
		cmocka_unit_test(test_schema_rules),
		cmocka_unit_test(test_primary_key_nullability),
		cmocka_unit_test(test_mysql_rules),
		cmocka_unit_test(test_canon_idempotent_on_random_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
