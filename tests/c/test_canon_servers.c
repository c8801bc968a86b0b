/*
 * The parser's canonical forms against real servers (PostgreSQL and MariaDB,
 * each started once for this binary by scripts/pg-server.sh and
 * scripts/mariadb-server.sh), over a corpus of types and expressions:
 *
 *  - injective: whenever two inputs canonicalise to the same text, the server
 *    prints them the same (PostgreSQL: format_type of the column, pg_get_expr
 *    of the default or check; MariaDB: information_schema's COLUMN_TYPE,
 *    COLUMN_DEFAULT and CHECK_CLAUSE). A canonical form that merges two different things
 *    makes a real difference look like "No changes" (the one-byte "char" and
 *    char, which is character(1), once did);
 *  - renderable: the canonical text, put back into DDL, runs on the server
 *    and prints exactly what the original prints (keywords inside
 *    expressions stay keywords: AT TIME ZONE, INTERVAL '1' YEAR, ...).
 *
 * A server that cannot start fails the run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend_mysql.h"
#include "backend_postgres.h"
#include "buf.h"
#include "ctx.h"
#include "dbsync/dbsync.h"
#include "model.h"
#include "test_support.h"

static test_server pg_server, my_server;
/* the server the running test talks to */
static dbsync_ctx *ctx;
static dbsync_conn *conn;

static int group_setup(void **state)
{
	(void)state;
	if (test_server_open_db(&pg_server, &TEST_PG_SERVER) || pg_server.absent ||
	    test_server_open_db(&my_server, &TEST_MARIADB_SERVER)) {
		fprintf(stderr, "the PostgreSQL and MariaDB test servers are required\n");
		return -1;
	}
	return dbsync_ctx_new(&ctx);
}

static int group_teardown(void **state)
{
	(void)state;
	dbsync_ctx_free(ctx);
	int a = test_server_stop(&pg_server), b = test_server_stop(&my_server);
	return a || b ? -1 : 0;
}

static int use_server(const test_server *srv, const char *setup)
{
	if (dbsync_conn_open_url(&conn, ctx, srv->url)) {
		fprintf(stderr, "cannot connect to %s: %s\n", srv->url, dbsync_ctx_error(ctx)->message);
		return -1;
	}
	if (setup && dbsync_conn_exec(ctx, conn, setup)) {
		fprintf(stderr, "%s: %s\n", setup, dbsync_ctx_error(ctx)->message);
		return -1;
	}
	return 0;
}

static int use_pg(void **state)
{
	(void)state;
	return use_server(&pg_server, "CREATE EXTENSION IF NOT EXISTS hstore; CREATE EXTENSION IF NOT EXISTS citext");
}

static int use_mariadb(void **state)
{
	(void)state;
	return use_server(&my_server, NULL);
}

static int close_server(void **state)
{
	(void)state;
	dbsync_conn_close(conn);
	conn = NULL;
	return 0;
}

static dbsync_dialect dialect(void)
{
	return dbsync_conn_dialect(conn);
}

/* Run sql; NULL on success, else the server's message (static storage). */
static const char *exec_sql(const char *sql)
{
	static char msg[512];
	if (!dbsync_conn_exec(ctx, conn, sql))
		return NULL;
	snprintf(msg, sizeof msg, "%s", dbsync_ctx_error(ctx)->message);
	return msg;
}

/* The one value a query returns, malloc'd ("NULL" for SQL NULL). */
static char *query_value(const char *sql)
{
	char *v = NULL;
	if (dialect() == DBSYNC_DIALECT_POSTGRES) {
		PGresult *r = PQexec(dbs_pg_handle(conn), sql);
		if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
			fail_msg("%s: %s", sql, PQresultErrorMessage(r));
		v = strdup(PQgetisnull(r, 0, 0) ? "NULL" : PQgetvalue(r, 0, 0));
		PQclear(r);
	} else {
		MYSQL *db = dbs_my_db(conn);
		if (mysql_query(db, sql))
			fail_msg("%s: %s", sql, mysql_error(db));
		MYSQL_RES *res = mysql_store_result(db);
		MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
		if (!row)
			fail_msg("%s: no row", sql);
		v = strdup(row[0] ? row[0] : "NULL");
		mysql_free_result(res);
	}
	assert_non_null(v);
	return v;
}

/* What the server prints for one kind of object made from a DDL fragment. */
typedef enum { K_TYPE, K_CHECK, K_DEFAULT } kind;

/* The table every expression may use. */
#define PG_COLUMNS "a integer, \"A\" integer, \"year\" integer, b text, ts timestamp with time zone, d date, " \
	"n numeric, f double precision, arr integer[], iv interval, ch \"char\""
#define MY_COLUMNS "a integer, `year` integer, b varchar(50), ts datetime, d date, n decimal(10,2), f double, " \
	"j longtext"

/* DDL for one object made from `frag`: a column of type frag, a check, or a
 * default of a column of type `dtype`. */
static void ddl(dbs_buf *b, kind k, const char *table, const char *frag, const char *dtype)
{
	dbs_buf_clear(b);
	if (k == K_TYPE)
		dbs_buf_printf(b, "CREATE TABLE %s (c %s)", table, frag);
	else if (k == K_CHECK)
		dbs_buf_printf(b, "CREATE TABLE %s (%s, CONSTRAINT k CHECK (%s))", table,
			dialect() == DBSYNC_DIALECT_POSTGRES ? PG_COLUMNS : MY_COLUMNS, frag);
	else
		dbs_buf_printf(b, "CREATE TABLE %s (c %s DEFAULT (%s))", table, dtype, frag); /* as the planner writes it */
}

/* What the server prints for it, or NULL (with *err) when it refuses it. */
static char *server_print(kind k, const char *frag, const char *dtype, const char **err)
{
	static int seq;
	char table[32];
	snprintf(table, sizeof table, "p%d", ++seq);
	dbs_buf b = DBS_BUF_INIT;
	ddl(&b, k, table, frag, dtype);
	char *out = NULL;
	if (!(*err = exec_sql(dbs_buf_cstr(&b)))) {
		dbs_buf_clear(&b);
		if (dialect() == DBSYNC_DIALECT_MYSQL && k == K_CHECK)
			dbs_buf_printf(&b, "SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS "
				"WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = '%s' AND CONSTRAINT_NAME = 'k'", table);
		else if (dialect() == DBSYNC_DIALECT_MYSQL)
			dbs_buf_printf(&b, "SELECT %s FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
				"AND TABLE_NAME = '%s' AND COLUMN_NAME = 'c'", k == K_TYPE ? "COLUMN_TYPE" : "COLUMN_DEFAULT",
				table);
		else if (k == K_TYPE)
			dbs_buf_printf(&b, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
				"WHERE attrelid = '%s'::regclass AND attname = 'c'", table);
		else if (k == K_CHECK)
			dbs_buf_printf(&b, "SELECT pg_get_expr(conbin, conrelid) FROM pg_constraint "
				"WHERE conrelid = '%s'::regclass AND conname = 'k'", table);
		else
			dbs_buf_printf(&b, "SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = '%s'::regclass",
				table);
		out = query_value(dbs_buf_cstr(&b));
	}
	dbs_buf_free(&b);
	return out;
}

/* The parser's canonical text of the fragment (type, check or default). */
static char *canonical(kind k, const char *frag, const char *dtype)
{
	dbs_buf b = DBS_BUF_INIT;
	ddl(&b, k, "t", frag, dtype);
	dbsync_ctx *pctx;
	assert_int_equal(dbsync_ctx_new(&pctx), 0);
	dbsync_schema *s = NULL;
	if (dbsync_schema_parse(&s, pctx, dialect(), b.ptr, b.len))
		fail_msg("the parser refuses %s: %s", dbs_buf_cstr(&b), dbsync_ctx_error(pctx)->message);
	const dbs_table *t = s->tables.items[0];
	const char *c = k == K_TYPE ? t->columns.items[0]->type
		: k == K_DEFAULT ? t->columns.items[0]->default_expr
		: t->constraints.items[t->constraints.n - 1]->check_expr;
	char *copy = strdup(c ? c : "");
	dbsync_schema_free(s);
	dbsync_ctx_free(pctx);
	dbs_buf_free(&b);
	return copy;
}

typedef struct entry {
	const char *text;
	const char *dtype;   /* K_DEFAULT: the column's type */
	char *canon, *printed;
} entry;

/* The two properties over one corpus; returns the number of entries. */
static size_t check_corpus(kind k, entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *err;
		e[i].printed = server_print(k, e[i].text, e[i].dtype, &err);
		if (!e[i].printed)
			fail_msg("corpus entry %s is not valid PostgreSQL: %s", e[i].text, err);
		e[i].canon = canonical(k, e[i].text, e[i].dtype);
		/* renderable: the canonical text runs and prints the same */
		char *again = server_print(k, e[i].canon, e[i].dtype, &err);
		if (!again)
			fail_msg("the canonical form of %s, %s, does not run: %s", e[i].text, e[i].canon, err);
		if (strcmp(again, e[i].printed) != 0)
			fail_msg("the canonical form of %s, %s, prints %s, not %s", e[i].text, e[i].canon, again,
				e[i].printed);
		free(again);
	}
	/* injective: equal canonical texts, equal server prints */
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (strcmp(e[i].canon, e[j].canon) == 0 && dbs_str_eq(e[i].dtype, e[j].dtype) &&
			    strcmp(e[i].printed, e[j].printed) != 0)
				fail_msg("%s and %s both canonicalise to %s, but the server prints %s and %s", e[i].text,
					e[j].text, e[i].canon, e[i].printed, e[j].printed);
	for (size_t i = 0; i < n; i++) {
		free(e[i].canon);
		free(e[i].printed);
	}
	return n;
}

static void pg_types(void **state)
{
	(void)state;
	static const char *const corpus[] = {
		"\"char\"", "char", "character", "character(1)", "char(1)", "bpchar", "\"bpchar\"", "bpchar(5)",
		"character(5)", "char(5)", "nchar(3)", "national character(3)", "varchar", "\"varchar\"", "varchar(10)",
		"character varying(10)", "char varying(10)", "text", "\"text\"", "bit", "\"bit\"", "bit(3)", "varbit",
		"bit varying", "bit varying(4)", "int", "integer", "int4", "\"int4\"", "smallint", "int2", "bigint",
		"int8", "real", "float4", "float", "float(10)", "float(24)", "float(25)", "float(53)",
		"double precision", "float8", "numeric", "decimal", "dec(5,2)", "numeric(5,2)", "numeric(5)",
		"boolean", "bool", "\"bool\"", "date", "time", "time(3)", "time without time zone",
		"time(2) with time zone", "timetz", "timestamp", "timestamp(3)", "timestamp with time zone",
		"timestamptz", "\"timestamptz\"", "timestamptz(2)", "interval", "interval(3)", "interval year",
		"interval year to month", "interval day to second(2)", "bytea", "uuid", "json", "jsonb", "inet", "cidr",
		"macaddr", "money", "xml", "tsvector", "tsquery", "point", "int4range", "int8range", "numrange",
		"daterange", "tsrange", "tstzrange", "int4multirange", "datemultirange", "tstzmultirange", "hstore",
		"citext", "integer[]", "integer[8]", "integer[][]", "int ARRAY", "int ARRAY[4]", "varchar(10)[]",
		"\"char\"[]", "char[]", "bit[]", "text[][]", "oid", "regclass", "name", "\"name\"",
		"character varying(10)[3]", "numeric(10,2)[]", "timestamp(0) with time zone[]",
	};
	entry e[sizeof corpus / sizeof corpus[0]];
	memset(e, 0, sizeof e);
	for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++)
		e[i].text = corpus[i];
	assert_int_equal(check_corpus(K_TYPE, e, sizeof corpus / sizeof corpus[0]), sizeof corpus / sizeof corpus[0]);
}

static void pg_checks(void **state)
{
	(void)state;
	static const char *const corpus[] = {
		"a > 0", "\"a\" > 0", "(a > 0)", "\"A\" > 0", "\"year\" > 0", "year > 0", "a >= 0 AND a < 10",
		"a BETWEEN 1 AND 5", "a NOT BETWEEN 1 AND 5", "a BETWEEN SYMMETRIC 5 AND 1", "b LIKE 'x%'",
		"b NOT LIKE 'x%'", "b ILIKE 'x%'", "b NOT ILIKE 'x%'", "b SIMILAR TO 'a%'", "b NOT SIMILAR TO 'a%'",
		"b ~ '^a'", "b !~ '^a'", "b ~* '^a'", "b ~~ 'a%'", "b !~~ 'a%'", "b ~~* 'a%'", "b LIKE 'a!%' ESCAPE '!'",
		"a IS DISTINCT FROM 5", "a IS NOT DISTINCT FROM 5", "a IN (1, 2)", "a NOT IN (1, 2)",
		"a = ANY (ARRAY[1, 2])", "arr @> ARRAY[1]", "arr && ARRAY[1, 2]", "arr <@ '{1,2}'::integer[]",
		"b COLLATE \"C\" > 'a'", "b > 'a' COLLATE \"C\"", "CASE WHEN a > 1 THEN true ELSE false END",
		"EXTRACT(YEAR FROM d) > 2000", "EXTRACT(EPOCH FROM ts) > 0", "date_part('year', d) > 2000",
		"ts AT TIME ZONE 'utc' > '2020-01-01'", "(ts AT TIME ZONE 'utc')::date > d",
		"ts > now() - INTERVAL '1' YEAR", "ts > now() - INTERVAL '1 day'", "ts > now() - '1 day'::interval",
		"iv > INTERVAL '1-2' YEAR TO MONTH", "iv < INTERVAL '3' DAY", "f > double precision '4.5'",
		"f > '4.5'::double precision", "f > CAST('4.5' AS double precision)", "f > 4.5::real", "n > 1.5",
		"a > -1", "a = -1", "a <> 1", "a != 1", "NOT (a > 1)", "NOT a > 1", "a IS NULL OR a > 0", "a ISNULL",
		"a NOTNULL", "b IS NOT NULL", "length(b) < 10", "LENGTH(b) < 10", "char_length(b) < 10",
		"upper(b) = b", "b = 'it''s'", "b = E'x\\n'", "b || 'x' = 'ax'", "position('a' IN b) > 0",
		"substring(b FROM 1 FOR 2) = 'ab'", "trim(both 'x' from b) = 'a'", "(d, d) OVERLAPS (d, d)",
		"ts > CURRENT_TIMESTAMP - INTERVAL '1-2' YEAR TO MONTH", "d > CURRENT_DATE", "a % 2 = 0",
		"a * -1 < 0", "a = +1", "ch = 'x'", "ch = 'x'::\"char\"", "b::\"char\" = 'x'", "b::char = 'x'",
		"b::character(1) = 'x'", "b::bpchar = 'x'", "b::varchar(3) = 'x'", "a::bit(3) = B'101'",
		"a::\"bit\" = B'101'", "d = DATE '2020-01-01'", "ts > TIMESTAMP WITH TIME ZONE '2020-01-01 00:00+00'",
		"ts > timestamptz '2020-01-01 00:00+00'", "(a > 0) IS NOT TRUE", "(a > 0) IS TRUE",
		"COALESCE(a, 0) >= 0", "NULLIF(a, 0) IS NULL", "GREATEST(a, 1) > 0", "a = ANY ('{1,2}')",
		"arr[1] > 0", "array_length(arr, 1) < 3", "b = U&'d\\0061t\\+000061'", "b ~ '^[a-z]+$'",
		"ts::time AT TIME ZONE 'utc' > '10:00'", "a::numeric(5,2) > 1", "a::double precision > 1",
		"a::float > 1",
	};
	entry e[sizeof corpus / sizeof corpus[0]];
	memset(e, 0, sizeof e);
	for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++)
		e[i].text = corpus[i];
	assert_int_equal(check_corpus(K_CHECK, e, sizeof corpus / sizeof corpus[0]), sizeof corpus / sizeof corpus[0]);
}

static void pg_defaults(void **state)
{
	(void)state;
	static const struct { const char *expr, *type; } corpus[] = {
		{ "0", "integer" }, { "-1", "integer" }, { "(1 + 2)", "integer" }, { "'x'", "text" },
		{ "'it''s'", "text" }, { "now()", "timestamp with time zone" },
		{ "CURRENT_TIMESTAMP", "timestamp with time zone" },
		{ "now() AT TIME ZONE 'utc'", "timestamp without time zone" },
		{ "(now() AT TIME ZONE 'utc')", "timestamp without time zone" }, { "+1", "integer" },
		{ "timezone('utc', now())", "timestamp without time zone" }, { "INTERVAL '1' YEAR", "interval" },
		{ "INTERVAL '1 year'", "interval" }, { "'1 year'::interval", "interval" },
		{ "INTERVAL '2' HOUR", "interval" }, { "double precision '4.5'", "double precision" },
		{ "4.5", "double precision" }, { "ARRAY[1, 2]", "integer[]" }, { "'{1,2}'", "integer[]" },
		{ "ARRAY['a','b']::text[]", "text[]" }, { "'{}'::text[]", "text[]" }, { "'x'", "\"char\"" },
		{ "'x'::\"char\"", "\"char\"" }, { "'x'", "char" }, { "'x'::char", "char" }, { "true", "boolean" },
		{ "NOT false", "boolean" }, { "CURRENT_DATE + 1", "date" }, { "(CURRENT_DATE + 1)", "date" },
		{ "gen_random_uuid()", "uuid" }, { "'{}'::jsonb", "jsonb" }, { "'[]'", "jsonb" },
		{ "''", "text" }, { "lower('X')", "text" }, { "CASE WHEN true THEN 1 ELSE 2 END", "integer" },
		{ "EXTRACT(YEAR FROM CURRENT_DATE)", "numeric" }, { "B'101'", "bit(3)" },
		{ "'a=>1'::hstore", "hstore" }, { "'[1,5)'", "int4range" }, { "int4range(1, 5)", "int4range" },
	};
	entry e[sizeof corpus / sizeof corpus[0]];
	memset(e, 0, sizeof e);
	for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++) {
		e[i].text = corpus[i].expr;
		e[i].dtype = corpus[i].type;
	}
	assert_int_equal(check_corpus(K_DEFAULT, e, sizeof corpus / sizeof corpus[0]),
		sizeof corpus / sizeof corpus[0]);
}

static void my_types(void **state)
{
	(void)state;
	static const char *const corpus[] = {
		"int", "integer", "int(11)", "int unsigned", "integer unsigned", "tinyint(1)", "bool", "boolean",
		"smallint", "mediumint", "bigint", "bigint unsigned", "decimal", "decimal(10,2)", "numeric(10, 2)",
		"dec(5,2)", "fixed(5,2)", "float", "double", "double precision", "real", "char", "char(1)",
		"char(10)", "varchar(10)", "VARCHAR (10)", "text", "longtext", "mediumtext", "blob", "longblob",
		"binary(4)", "varbinary(10)", "date", "datetime", "datetime(6)", "timestamp", "timestamp(3)", "time",
		"time(6)", "year", "json", "bit", "bit(3)", "enum('a','b')", "set('a','b')", "uuid",
	};
	entry e[sizeof corpus / sizeof corpus[0]];
	memset(e, 0, sizeof e);
	for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++)
		e[i].text = corpus[i];
	assert_int_equal(check_corpus(K_TYPE, e, sizeof corpus / sizeof corpus[0]), sizeof corpus / sizeof corpus[0]);
}

static void my_checks(void **state)
{
	(void)state;
	static const char *const corpus[] = {
		"a > 0", "`a` > 0", "(a > 0)", "`year` > 0", "a >= 0 AND a < 10", "a BETWEEN 1 AND 5",
		"a NOT BETWEEN 1 AND 5", "b LIKE 'x%'", "b NOT LIKE 'x%'", "b LIKE \"x%\"", "b REGEXP '^a'",
		"b NOT REGEXP '^a'", "a IN (1, 2)", "a NOT IN (1, 2)", "a <> 1", "a != 1", "NOT (a > 1)",
		"a IS NULL OR a > 0", "b IS NOT NULL", "length(b) < 10", "LENGTH(b) < 10", "char_length(b) < 10",
		"upper(b) = b", "b = 'it''s'", "concat(b, 'x') = 'ax'", "json_valid(j)", "j IS NULL OR json_valid(j)",
		"CASE WHEN a > 1 THEN 1 ELSE 0 END = 1", "d > '2020-01-01'", "ts > '2020-01-01 00:00:00'",
		"EXTRACT(YEAR FROM d) > 2000", "d < '2020-01-01' + INTERVAL 1 DAY", "d < DATE_ADD('2020-01-01', INTERVAL 1 YEAR)",
		"n > 1.5", "a > -1", "a % 2 = 0", "a DIV 2 > 0", "a * -1 < 0", "f > 4.5", "b COLLATE utf8mb4_bin = 'a'",
		"CAST(a AS CHAR) = '1'", "CAST(b AS SIGNED) > 0", "a IS NOT TRUE", "COALESCE(a, 0) >= 0",
		"b <=> 'x'", "a XOR a > 0",
	};
	entry e[sizeof corpus / sizeof corpus[0]];
	memset(e, 0, sizeof e);
	for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++)
		e[i].text = corpus[i];
	assert_int_equal(check_corpus(K_CHECK, e, sizeof corpus / sizeof corpus[0]), sizeof corpus / sizeof corpus[0]);
}

static void my_defaults(void **state)
{
	(void)state;
	static const struct { const char *expr, *type; } corpus[] = {
		{ "0", "int" }, { "-1", "int" }, { "'1'", "int" }, { "(1 + 2)", "int" }, { "'x'", "varchar(10)" },
		{ "\"x\"", "varchar(10)" }, { "'it''s'", "varchar(10)" }, { "''", "varchar(10)" },
		{ "CURRENT_TIMESTAMP", "datetime" }, { "CURRENT_TIMESTAMP(6)", "datetime(6)" }, { "now()", "datetime" },
		{ "b'1'", "tinyint(1)" }, { "1", "tinyint(1)" }, { "true", "tinyint(1)" }, { "1.5", "decimal(5,2)" },
		{ "'1.50'", "decimal(5,2)" }, { "(CURRENT_DATE + INTERVAL 1 DAY)", "date" }, { "'{}'", "longtext" },
		{ "(lower('X'))", "varchar(10)" },
	};
	entry e[sizeof corpus / sizeof corpus[0]];
	memset(e, 0, sizeof e);
	for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++) {
		e[i].text = corpus[i].expr;
		e[i].dtype = corpus[i].type;
	}
	assert_int_equal(check_corpus(K_DEFAULT, e, sizeof corpus / sizeof corpus[0]),
		sizeof corpus / sizeof corpus[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(pg_types, use_pg, close_server),
		cmocka_unit_test_setup_teardown(pg_checks, use_pg, close_server),
		cmocka_unit_test_setup_teardown(pg_defaults, use_pg, close_server),
		cmocka_unit_test_setup_teardown(my_types, use_mariadb, close_server),
		cmocka_unit_test_setup_teardown(my_checks, use_mariadb, close_server),
		cmocka_unit_test_setup_teardown(my_defaults, use_mariadb, close_server),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
