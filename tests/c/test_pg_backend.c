/* The PostgreSQL backend against a real, throwaway server (scripts/pg-server.sh,
 * started once for this binary): connecting without leaking passwords, bulk
 * introspection in a fixed number of queries, statements and their SQLSTATEs,
 * the advisory lock and transaction framing of a plan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend_postgres.h"
#include "buf.h"
#include "ctx.h"
#include "dbsync/dbsync.h"
#include "model.h"
#include "parse.h"
#include "plan_internal.h"
#include "test_support.h"

#define RIGHT_PASSWORD "Pg-Right-Secret-41c7" /* given to pg-server.sh for server.pw_user */
#define WRONG_PASSWORD "Wr0ng-Secret-9f3b"

static test_server server;

static int group_setup(void **state)
{
	(void)state;
	setenv("DBSYNC_PG_PASSWORD", RIGHT_PASSWORD, 1);
	return test_server_open_db(&server, &TEST_PG_SERVER);
}

static int group_teardown(void **state)
{
	(void)state;
	return test_server_stop(&server);
}

#define NEED_SERVER() do { if (server.absent) skip(); } while (0)

/* The superuser on the test database; schema, when given, is synced instead
 * of the current one. */
static dbsync_conn *open_db(dbsync_ctx *ctx, const char *schema)
{
	const char *keys[] = { "name", "user", "host", "port", "connect_timeout", "schema" };
	const char *vals[] = { server.db, "dbsync", server.dir, "", "10", schema };
	dbsync_conn *conn = NULL;
	if (dbsync_conn_open_params(&conn, ctx, DBSYNC_DIALECT_POSTGRES, keys, vals, schema ? 6 : 5))
		fail_msg("cannot connect to the test server: %s", dbsync_ctx_error(ctx)->message);
	return conn;
}

static dbsync_schema *introspect_ok(dbsync_ctx *ctx, dbsync_conn *conn)
{
	dbsync_schema *s = NULL;
	if (dbsync_conn_introspect(&s, ctx, conn))
		fail_msg("introspect failed: %s", dbsync_ctx_error(ctx)->message);
	return s;
}

static void connect_and_describe(void **state)
{
	dbsync_ctx *ctx = *state;
	NEED_SERVER();
	dbsync_conn *conn = NULL;
	assert_int_equal(dbsync_conn_open_url(&conn, ctx, server.url), 0);
	assert_int_equal(dbsync_conn_dialect(conn), DBSYNC_DIALECT_POSTGRES);
	char want[256];
	snprintf(want, sizeof want, "postgresql://dbsync@/%s?host=%s&port=5432", server.db, server.dir);
	assert_string_equal(dbsync_conn_describe(conn), want);
	const char *ver = dbsync_conn_server_version(conn);
	assert_true(ver[0] >= '1' && ver[0] <= '9');
	assert_string_equal(((dbs_pg_conn *)conn->impl)->schema, "public");
	dbsync_conn_close(conn);

	/* the password role, through a URL with the password in it */
	char url[512];
	snprintf(url, sizeof url, "postgresql://%s:%s@/%s?host=%s&application_name=t",
		server.pw_user, RIGHT_PASSWORD, server.db, server.dir);
	assert_int_equal(dbsync_conn_open_url(&conn, ctx, url), 0);
	snprintf(want, sizeof want, "postgresql://%s@/%s", server.pw_user, server.db);
	assert_non_null(strstr(dbsync_conn_describe(conn), want));
	assert_null(strstr(dbsync_conn_describe(conn), RIGHT_PASSWORD));
	int64_t v = 0;
	assert_int_equal(conn->backend->query_int64(&v, ctx, conn,
		"SELECT count(*) FROM pg_stat_activity WHERE application_name = 't' AND datname = current_database()"), 0);
	assert_true(v >= 1);
	dbsync_conn_close(conn);
}

static void wrong_password_never_leaks(void **state)
{
	dbsync_ctx *ctx = *state;
	NEED_SERVER();
	dbsync_conn *conn = NULL;
	const char *keys[] = { "name", "user", "password", "host" };
	const char *vals[] = { server.db, server.pw_user, WRONG_PASSWORD, server.dir };
	assert_int_equal(dbsync_conn_open_params(&conn, ctx, DBSYNC_DIALECT_POSTGRES, keys, vals, 4),
		DBSYNC_ECONNECT);
	assert_null(conn);
	const char *msg = dbsync_ctx_error(ctx)->message;
	assert_non_null(strstr(msg, server.pw_user));
	assert_non_null(strstr(msg, "password authentication failed"));
	assert_null(strstr(msg, WRONG_PASSWORD));

	char url[512];
	snprintf(url, sizeof url, "postgresql://%s:%s@/%s?host=%s", server.pw_user, WRONG_PASSWORD, server.db,
		server.dir);
	assert_int_equal(dbsync_conn_open_url(&conn, ctx, url), DBSYNC_ECONNECT);
	assert_null(strstr(dbsync_ctx_error(ctx)->message, WRONG_PASSWORD));

	/* a server message that does quote the secret (here as the database
	 * name, which the server echoes) is masked too */
	const char *vals2[] = { WRONG_PASSWORD, "dbsync", WRONG_PASSWORD, server.dir };
	assert_int_equal(dbsync_conn_open_params(&conn, ctx, DBSYNC_DIALECT_POSTGRES, keys, vals2, 4),
		DBSYNC_ECONNECT);
	msg = dbsync_ctx_error(ctx)->message;
	assert_null(strstr(msg, WRONG_PASSWORD));
	assert_non_null(strstr(msg, "does not exist"));
	assert_non_null(strstr(msg, "********"));
}

static void unknown_option_and_schema(void **state)
{
	dbsync_ctx *ctx = *state;
	NEED_SERVER();
	dbsync_conn *conn = NULL;
	const char *keys[] = { "name", "host", "sslmod" };
	const char *vals[] = { server.db, server.dir, "disable" };
	assert_int_equal(dbsync_conn_open_params(&conn, ctx, DBSYNC_DIALECT_POSTGRES, keys, vals, 3),
		DBSYNC_EINVALID);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "'sslmod'"));

	const char *keys2[] = { "name", "user", "host", "schema" };
	const char *vals2[] = { server.db, "dbsync", server.dir, "no_such_schema" };
	assert_int_equal(dbsync_conn_open_params(&conn, ctx, DBSYNC_DIALECT_POSTGRES, keys2, vals2, 4),
		DBSYNC_EINVALID);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "\"no_such_schema\""));

	/* options='-c search_path=...' picks the synced schema the way Django's OPTIONS do */
	conn = open_db(ctx, NULL);
	exec_ok(ctx, conn, "CREATE SCHEMA IF NOT EXISTS \"Other Schema\"; "
		"CREATE TABLE IF NOT EXISTS \"Other Schema\".only_here (id int)");
	dbsync_conn_close(conn);
	const char *keys3[] = { "name", "user", "host", "options" };
	const char *vals3[] = { server.db, "dbsync", server.dir, "-c search_path=\"Other\\ Schema\",public" };
	assert_int_equal(dbsync_conn_open_params(&conn, ctx, DBSYNC_DIALECT_POSTGRES, keys3, vals3, 4), 0);
	assert_string_equal(((dbs_pg_conn *)conn->impl)->schema, "Other Schema");
	dbsync_schema *s = introspect_ok(ctx, conn);
	assert_int_equal(s->tables.n, 1);
	assert_string_equal(s->tables.items[0]->name, "only_here");
	dbsync_schema_free(s);
	dbsync_conn_close(conn);
	conn = open_db(ctx, "Other Schema");
	assert_string_equal(((dbs_pg_conn *)conn->impl)->schema, "Other Schema");
	exec_ok(ctx, conn, "DROP SCHEMA \"Other Schema\" CASCADE");
	dbsync_conn_close(conn);
}

/* What the engine's own canonicalization makes of a type or an expression as
 * the server prints it: the introspected model must hold exactly that. */
static const char *canon_type(dbsync_schema *s, const char *text)
{
	const char *t = dbs_type_canon(&s->arena, DBSYNC_DIALECT_POSTGRES, text, strlen(text));
	assert_non_null(t);
	return t;
}

static const char *canon_expr(dbsync_schema *s, const char *text)
{
	const char *e = dbs_expr_canon(&s->arena, DBSYNC_DIALECT_POSTGRES, text, strlen(text));
	assert_non_null(e);
	return e;
}

static dbs_column *column(dbsync_schema *s, const char *table, const char *name)
{
	dbs_table *t = dbs_schema_find_table(s, table);
	assert_non_null(t);
	dbs_column *c = dbs_table_find_column(s, t, name);
	if (!c)
		fail_msg("no column %s.%s", table, name);
	return c;
}

static dbs_constraint *constraint(dbsync_schema *s, const char *table, const char *name)
{
	dbs_table *t = dbs_schema_find_table(s, table);
	assert_non_null(t);
	for (size_t i = 0; i < t->constraints.n; i++)
		if (t->constraints.items[i]->name && strcmp(t->constraints.items[i]->name, name) == 0)
			return t->constraints.items[i];
	fail_msg("no constraint %s on %s", name, table);
	return NULL;
}

static dbs_index *index_named(dbsync_schema *s, const char *name)
{
	dbs_table *t = NULL;
	dbs_index *ix = dbs_schema_find_index(s, name, &t);
	if (!ix)
		fail_msg("no index %s", name);
	return ix;
}

/* What Django 5.2's schema editor emits for two related models, plus what
 * only hand-written DDL has (INCLUDE, expression index, generated column). */
static const char django_schema[] =
	"CREATE SCHEMA dj; SET search_path = dj;\n"
	"CREATE TABLE \"shop_Author\" (\"id\" bigint NOT NULL PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY, "
	"\"name\" varchar(100) NOT NULL UNIQUE, \"email\" varchar(254) COLLATE \"C\" NOT NULL, "
	"\"joined\" timestamp with time zone NOT NULL DEFAULT now());\n"
	"CREATE TABLE \"shop_book\" (\"id\" integer NOT NULL PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY, "
	"\"title\" varchar(200) NOT NULL, \"price\" numeric(10, 2) NOT NULL, "
	"\"data\" jsonb NOT NULL DEFAULT '{}'::jsonb, \"uid\" uuid NOT NULL UNIQUE, "
	"\"active\" boolean NOT NULL DEFAULT false, \"pages\" integer NULL CHECK (\"pages\" >= 0), "
	"\"pages2\" integer GENERATED ALWAYS AS (pages * 2) STORED, "
	"\"author_id\" bigint NOT NULL, "
	"CONSTRAINT \"price_positive\" CHECK (\"price\" > 0), "
	"CONSTRAINT \"shop_book_title_author_uniq\" UNIQUE (\"title\", \"author_id\"));\n"
	"ALTER TABLE \"shop_book\" ADD CONSTRAINT \"shop_book_author_id_fk_shop_Author_id\" "
	"FOREIGN KEY (\"author_id\") REFERENCES \"shop_Author\" (\"id\") ON DELETE CASCADE "
	"DEFERRABLE INITIALLY DEFERRED;\n"
	"CREATE INDEX \"shop_book_author_id_idx\" ON \"shop_book\" (\"author_id\");\n"
	"CREATE INDEX \"shop_book_title_like\" ON \"shop_book\" (\"title\" varchar_pattern_ops);\n"
	"CREATE INDEX \"book_active_idx\" ON \"shop_book\" (\"price\" DESC) WHERE \"active\";\n"
	"CREATE UNIQUE INDEX \"book_lower_title\" ON \"shop_book\" (lower(\"title\"), \"author_id\");\n"
	"CREATE INDEX \"book_cover\" ON \"shop_book\" (\"author_id\") INCLUDE (\"title\", \"price\");\n"
	"CREATE INDEX \"book_data_gin\" ON \"shop_book\" USING gin (\"data\" jsonb_path_ops);\n"
	"COMMENT ON TABLE \"shop_book\" IS 'Books, it''s said';\n"
	"COMMENT ON COLUMN \"shop_book\".\"title\" IS 'The title';\n"
	"CREATE VIEW \"cheap_books\" AS SELECT id, title FROM shop_book WHERE price < 10;\n";

static void introspect_django_schema(void **state)
{
	dbsync_ctx *ctx = *state;
	NEED_SERVER();
	dbsync_conn *conn = open_db(ctx, NULL);
	exec_ok(ctx, conn, "DROP SCHEMA IF EXISTS dj CASCADE");
	exec_ok(ctx, conn, django_schema);
	dbsync_conn_close(conn);
	conn = open_db(ctx, "dj");
	dbsync_conn_reset_counters(conn);
	dbsync_schema *s = introspect_ok(ctx, conn);
	/* the 4 catalog queries in one snapshot, sent as one script */
	assert_int_equal(dbsync_conn_catalog_queries(conn), DBS_PG_INTROSPECT_ROUND_TRIPS);
	assert_int_equal(s->dialect, DBSYNC_DIALECT_POSTGRES);
	assert_int_equal(s->tables.n, 2);
	assert_string_equal(s->tables.items[0]->name, "shop_Author");
	assert_string_equal(s->tables.items[1]->name, "shop_book");
	assert_int_equal(s->views.n, 1);
	assert_string_equal(s->views.items[0]->name, "cheap_books");
	const char *def = s->views.items[0]->definition;
	assert_memory_equal(def, "SELECT ", 7);
	assert_non_null(strstr(def, "price"));
	assert_int_not_equal(def[strlen(def) - 1], ';');

	dbs_table *author = dbs_schema_find_table(s, "shop_Author");
	dbs_table *book = dbs_schema_find_table(s, "shop_book");
	assert_non_null(author);
	assert_null(dbs_schema_find_table(s, "shop_author")); /* PostgreSQL names are exact */
	assert_int_equal(author->columns.n, 4);
	assert_int_equal(book->columns.n, 9);
	assert_string_equal(book->comment, "Books, it's said");
	assert_null(author->comment);

	dbs_column *c = column(s, "shop_Author", "id");
	assert_string_equal(c->type, canon_type(s, "bigint"));
	assert_true(c->not_null);
	assert_string_equal(c->identity, "BY DEFAULT");
	assert_null(c->default_expr);
	c = column(s, "shop_Author", "email");
	assert_string_equal(c->type, canon_type(s, "character varying(254)"));
	assert_string_equal(c->collation, "C");
	assert_null(column(s, "shop_Author", "name")->collation);
	c = column(s, "shop_Author", "joined");
	assert_string_equal(c->type, canon_type(s, "timestamp with time zone"));
	assert_string_equal(c->default_expr, canon_expr(s, "now()"));
	c = column(s, "shop_book", "price");
	assert_string_equal(c->type, canon_type(s, "numeric(10,2)"));
	assert_true(c->not_null);
	c = column(s, "shop_book", "data");
	assert_string_equal(c->type, canon_type(s, "jsonb"));
	assert_string_equal(c->default_expr, canon_expr(s, "'{}'::jsonb"));
	assert_string_equal(column(s, "shop_book", "uid")->type, canon_type(s, "uuid"));
	c = column(s, "shop_book", "active");
	assert_string_equal(c->type, canon_type(s, "boolean"));
	assert_string_equal(c->default_expr, canon_expr(s, "false"));
	c = column(s, "shop_book", "pages");
	assert_false(c->not_null);
	assert_null(c->identity);
	c = column(s, "shop_book", "title");
	assert_string_equal(c->comment, "The title");
	c = column(s, "shop_book", "pages2");
	assert_string_equal(c->generated_expr, canon_expr(s, "(pages * 2)"));
	assert_true(c->generated_stored);
	assert_null(c->default_expr);

	dbs_constraint *k = dbs_table_primary_key(author);
	assert_non_null(k);
	assert_int_equal(k->cols.n, 1);
	assert_string_equal(k->cols.items[0], "id");
	assert_string_equal(k->name, "shop_Author_pkey");
	k = constraint(s, "shop_Author", "shop_Author_name_key");
	assert_int_equal(k->kind, DBS_CON_UNIQUE);
	assert_string_equal(k->cols.items[0], "name");
	k = constraint(s, "shop_book", "shop_book_title_author_uniq");
	assert_int_equal(k->kind, DBS_CON_UNIQUE);
	assert_int_equal(k->cols.n, 2);
	assert_string_equal(k->cols.items[0], "title");
	assert_string_equal(k->cols.items[1], "author_id");
	k = constraint(s, "shop_book", "price_positive");
	assert_int_equal(k->kind, DBS_CON_CHECK);
	assert_string_equal(k->check_expr, canon_expr(s, "(price > (0)::numeric)"));
	k = constraint(s, "shop_book", "shop_book_pages_check");
	assert_string_equal(k->check_expr, canon_expr(s, "(pages >= 0)"));
	k = constraint(s, "shop_book", "shop_book_author_id_fk_shop_Author_id");
	assert_int_equal(k->kind, DBS_CON_FOREIGN);
	assert_string_equal(k->cols.items[0], "author_id");
	assert_string_equal(k->ref_table, "shop_Author");
	assert_int_equal(k->ref_cols.n, 1);
	assert_string_equal(k->ref_cols.items[0], "id");
	assert_string_equal(k->on_delete, "CASCADE");
	assert_null(k->on_update);
	assert_true(k->deferrable);
	assert_true(k->initially_deferred);
	/* pkey, 2 unique, 2 check, 1 foreign key on book */
	assert_int_equal(book->constraints.n, 6);

	/* constraint-backing indexes (pkeys, unique constraints) are not indexes */
	assert_int_equal(author->indexes.n, 0);
	assert_int_equal(book->indexes.n, 6);
	dbs_index *ix = index_named(s, "shop_book_title_like");
	assert_false(ix->unique);
	assert_null(ix->method);
	assert_int_equal(ix->parts.n, 1);
	assert_string_equal(ix->parts.items[0].column, "title");
	assert_string_equal(ix->parts.items[0].opclass, "varchar_pattern_ops");
	assert_null(index_named(s, "shop_book_author_id_idx")->parts.items[0].opclass);
	ix = index_named(s, "book_active_idx");
	assert_true(ix->parts.items[0].desc);
	assert_string_equal(ix->where_expr, canon_expr(s, "active"));
	ix = index_named(s, "book_lower_title");
	assert_true(ix->unique);
	assert_int_equal(ix->parts.n, 2);
	assert_null(ix->parts.items[0].column);
	assert_string_equal(ix->parts.items[0].expr, canon_expr(s, "lower((title)::text)"));
	assert_string_equal(ix->parts.items[1].column, "author_id");
	assert_null(ix->where_expr);
	ix = index_named(s, "book_cover");
	assert_int_equal(ix->parts.n, 1);
	assert_int_equal(ix->include.n, 2);
	assert_string_equal(ix->include.items[0], "title");
	assert_string_equal(ix->include.items[1], "price");
	ix = index_named(s, "book_data_gin");
	assert_string_equal(ix->method, "gin");
	assert_string_equal(ix->parts.items[0].opclass, "jsonb_path_ops");
	dbsync_schema_free(s);

	/* inside the caller's transaction: read there, and left open */
	exec_ok(ctx, conn, "BEGIN");
	s = introspect_ok(ctx, conn);
	assert_int_equal(s->tables.n, 2);
	assert_int_equal(PQtransactionStatus(dbs_pg_handle(conn)), PQTRANS_INTRANS);
	exec_ok(ctx, conn, "ROLLBACK");
	dbsync_schema_free(s);

	/* the variants gated for servers before 12 (no attgenerated) and 11 (no
	 * INCLUDE) are valid SQL too: read the same schema with them */
	((dbs_pg_conn *)conn->impl)->server_num = 100000;
	s = introspect_ok(ctx, conn);
	assert_int_equal(s->tables.n, 2);
	assert_int_equal(dbs_schema_find_table(s, "shop_book")->indexes.n, 6);
	assert_null(column(s, "shop_book", "pages2")->generated_expr);
	dbsync_schema_free(s);
	exec_ok(ctx, conn, "DROP SCHEMA dj CASCADE");
	dbsync_conn_close(conn);
}

/* Names with every awkward character, columns dropped from the middle, a
 * reference into another schema, and partitions (read as their parent only). */
static void awkward_catalog(void **state)
{
	dbsync_ctx *ctx = *state;
	NEED_SERVER();
	dbsync_conn *conn = open_db(ctx, NULL);
	exec_ok(ctx, conn, "DROP SCHEMA IF EXISTS odd CASCADE; DROP SCHEMA IF EXISTS elsewhere CASCADE;"
		"CREATE SCHEMA odd; CREATE SCHEMA elsewhere;"
		"CREATE TABLE elsewhere.\"Ref\" (\"k 1\" int, \"k,2\" int, PRIMARY KEY (\"k 1\", \"k,2\"));"
		"SET search_path = odd;"
		"CREATE TABLE \"we\"\"ird, {t}\" (gone1 int, \"a\"\"b\" int GENERATED ALWAYS AS IDENTITY, gone2 text,"
		" \"c,d}\" int, \"E f\" serial, r1 int, r2 int);"
		"ALTER TABLE \"we\"\"ird, {t}\" DROP COLUMN gone1, DROP COLUMN gone2;"
		"ALTER TABLE \"we\"\"ird, {t}\" ADD CONSTRAINT \"u,{x}\" UNIQUE (\"c,d}\", \"a\"\"b\");"
		"ALTER TABLE \"we\"\"ird, {t}\" ADD CONSTRAINT ext FOREIGN KEY (r1, r2) "
		" REFERENCES elsewhere.\"Ref\" ON UPDATE SET NULL;"
		"CREATE INDEX \"i,{x}\" ON \"we\"\"ird, {t}\" (\"E f\") INCLUDE (\"c,d}\");"
		"CREATE TABLE meas (at date NOT NULL, v int) PARTITION BY RANGE (at);"
		"CREATE TABLE meas_2026 PARTITION OF meas FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');"
		"CREATE INDEX meas_at ON meas (at);");
	dbsync_conn_close(conn);
	conn = open_db(ctx, "odd");
	dbsync_schema *s = introspect_ok(ctx, conn);
	assert_int_equal(s->tables.n, 2); /* meas, not its partition */
	assert_string_equal(s->tables.items[0]->name, "meas");
	assert_int_equal(s->tables.items[0]->indexes.n, 1);
	dbs_table *t = s->tables.items[1];
	assert_string_equal(t->name, "we\"ird, {t}");
	assert_int_equal(t->columns.n, 5);
	assert_string_equal(t->columns.items[0]->name, "a\"b");
	assert_string_equal(t->columns.items[0]->identity, "ALWAYS");
	assert_string_equal(t->columns.items[1]->name, "c,d}");
	dbs_column *c = t->columns.items[2];
	assert_string_equal(c->name, "E f");
	assert_string_equal(c->default_expr, canon_expr(s, "nextval('\"we\"\"ird, {t}_E f_seq\"'::regclass)"));
	dbs_constraint *k = constraint(s, t->name, "u,{x}");
	assert_int_equal(k->cols.n, 2);
	assert_string_equal(k->cols.items[0], "c,d}");
	assert_string_equal(k->cols.items[1], "a\"b");
	k = constraint(s, t->name, "ext");
	assert_string_equal(k->ref_table, "elsewhere.Ref");
	assert_int_equal(k->ref_cols.n, 2);
	assert_string_equal(k->ref_cols.items[0], "k 1");
	assert_string_equal(k->ref_cols.items[1], "k,2");
	assert_string_equal(k->cols.items[1], "r2");
	assert_null(k->on_delete);
	assert_string_equal(k->on_update, "SET NULL");
	assert_false(k->deferrable);
	dbs_index *ix = index_named(s, "i,{x}");
	assert_string_equal(ix->parts.items[0].column, "E f");
	assert_int_equal(ix->include.n, 1);
	assert_string_equal(ix->include.items[0], "c,d}");
	dbsync_schema_free(s);
	exec_ok(ctx, conn, "SET search_path = public; DROP SCHEMA odd CASCADE; DROP SCHEMA elsewhere CASCADE");
	dbsync_conn_close(conn);
}

/* n tables, each with a FK to the previous one, an index and a check. */
static void make_tables(dbsync_ctx *ctx, dbsync_conn *conn, const char *schema, int n)
{
	dbs_buf b = DBS_BUF_INIT;
	dbs_buf_printf(&b, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s; SET search_path = %s;\n",
		schema, schema, schema);
	for (int i = 0; i < n; i++) {
		dbs_buf_printf(&b, "CREATE TABLE t%d (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
			"name varchar(50) NOT NULL DEFAULT 'x' CHECK (name <> ''), prev_id bigint);\n",
			i);
		if (i)
			dbs_buf_printf(&b, "ALTER TABLE t%d ADD FOREIGN KEY (prev_id) REFERENCES t%d (id);\n", i, i - 1);
		dbs_buf_printf(&b, "CREATE INDEX t%d_name ON t%d (name) WHERE prev_id IS NOT NULL;\n", i, i);
	}
	dbs_buf_puts(&b, "SET search_path = public;");
	assert_true(dbs_buf_ok(&b));
	exec_ok(ctx, conn, dbs_buf_cstr(&b));
	dbs_buf_free(&b);
}

static uint64_t queries_for(dbsync_ctx *ctx, const char *schema, size_t n_tables)
{
	dbsync_conn *conn = open_db(ctx, schema);
	dbsync_conn_reset_counters(conn);
	dbsync_schema *s = introspect_ok(ctx, conn);
	uint64_t q = dbsync_conn_catalog_queries(conn);
	assert_int_equal(s->tables.n, n_tables);
	dbs_table *last = s->tables.items[n_tables - 1];
	assert_int_equal(last->columns.n, 3);
	assert_int_equal(last->indexes.n, 1);
	assert_int_equal(last->constraints.n, 3); /* pkey, check, foreign key (t0 has none) */
	dbsync_schema_free(s);
	exec_ok(ctx, conn, "SET search_path = public");
	dbs_buf b = DBS_BUF_INIT;
	dbs_buf_printf(&b, "DROP SCHEMA %s CASCADE", schema);
	exec_ok(ctx, conn, dbs_buf_cstr(&b));
	dbs_buf_free(&b);
	dbsync_conn_close(conn);
	return q;
}

static void catalog_queries_do_not_grow(void **state)
{
	dbsync_ctx *ctx = *state;
	NEED_SERVER();
	dbsync_conn *conn = open_db(ctx, NULL);
	make_tables(ctx, conn, "small", 10);
	make_tables(ctx, conn, "big", 500);
	dbsync_conn_close(conn);
	uint64_t small = queries_for(ctx, "small", 10);
	uint64_t big = queries_for(ctx, "big", 500);
	assert_int_equal(small, big);
	assert_int_equal(small, DBS_PG_INTROSPECT_ROUND_TRIPS);
}

static void exec_errors_carry_sqlstate(void **state)
{
	dbsync_ctx *ctx = *state;
	NEED_SERVER();
	dbsync_conn *conn = open_db(ctx, NULL);
	assert_int_equal(dbsync_conn_exec(ctx, conn, "SELECT * FROM no_such_table"), DBSYNC_EDB);
	const dbsync_error *e = dbsync_ctx_error(ctx);
	assert_string_equal(e->sqlstate, "42P01");
	assert_non_null(strstr(e->message, "no_such_table"));
	assert_int_equal(dbsync_conn_exec(ctx, conn, "CREATE TABLE dup (a int); CREATE TABLE dup (a int)"),
		DBSYNC_EDB);
	assert_string_equal(dbsync_ctx_error(ctx)->sqlstate, "42P07");
	/* a failed script ran in one implicit transaction: the first table is gone too */
	int64_t v = -1;
	assert_int_equal(conn->backend->query_int64(&v, ctx, conn,
		"SELECT count(*) FROM pg_class WHERE relname = 'dup'"), 0);
	assert_int_equal(v, 0);
	assert_int_equal(conn->backend->query_int64(&v, ctx, conn, "SELECT 42"), 0);
	assert_int_equal(v, 42);
	assert_int_equal(conn->backend->query_int64(&v, ctx, conn, "SELECT true"), 0);
	assert_int_equal(v, 1);
	assert_int_equal(conn->backend->query_int64(&v, ctx, conn, "SELECT 'abc'"), DBSYNC_EDB);
	/* NOTICEs (here: skipping a missing table) are not printed, and are no error */
	exec_ok(ctx, conn, "DROP TABLE IF EXISTS never_there");
	int64_t rows = -1;
	assert_int_equal(dbsync_conn_count_rows(&rows, ctx, conn, "No Such"), DBSYNC_EDB);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "No Such"));
	dbsync_conn_close(conn);
}

static void advisory_lock_keeps_runs_apart(void **state)
{
	dbsync_ctx *ctx = *state;
	NEED_SERVER();
	struct dbsync_plan plan;
	memset(&plan, 0, sizeof plan);
	plan.dialect = DBSYNC_DIALECT_POSTGRES;
	dbsync_conn *a = open_db(ctx, NULL), *b = open_db(ctx, NULL);
	const dbs_backend *be = a->backend;
	assert_int_equal(be->apply_begin(ctx, a, &plan), 0);
	exec_ok(ctx, a, "CREATE TABLE locked_run (id int)");

	assert_int_equal(be->apply_begin(ctx, b, &plan), DBSYNC_ELOCKED);
	const char *msg = dbsync_ctx_error(ctx)->message;
	assert_non_null(strstr(msg, "another dbsync run holds the lock"));
	assert_non_null(strstr(msg, server.db));
	assert_int_equal(PQtransactionStatus(dbs_pg_handle(b)), PQTRANS_IDLE);

	/* a second begin on the same connection is refused, not nested */
	assert_int_equal(be->apply_begin(ctx, a, &plan), DBSYNC_EINVALID);
	assert_int_equal(be->apply_end(ctx, a, &plan, 1), 0);
	int64_t v = 0;
	assert_int_equal(be->query_int64(&v, ctx, b, "SELECT count(*) FROM pg_class WHERE relname = 'locked_run'"), 0);
	assert_int_equal(v, 1);

	/* released at commit: b runs now, and its rollback undoes its work */
	assert_int_equal(be->apply_begin(ctx, b, &plan), 0);
	exec_ok(ctx, b, "DROP TABLE locked_run");
	dbsync_ctx_clear_error(ctx);
	assert_int_equal(be->apply_end(ctx, b, &plan, 0), 0);
	assert_int_equal(be->query_int64(&v, ctx, b, "SELECT count(*) FROM pg_class WHERE relname = 'locked_run'"), 0);
	assert_int_equal(v, 1);

	/* a failed statement aborts the transaction: commit refuses, nothing lands */
	assert_int_equal(be->apply_begin(ctx, a, &plan), 0);
	exec_ok(ctx, a, "DROP TABLE locked_run");
	assert_int_equal(dbsync_conn_exec(ctx, a, "SELECT * FROM no_such_table"), DBSYNC_EDB);
	assert_int_equal(be->apply_end(ctx, a, &plan, 1), DBSYNC_EDB);
	assert_int_equal(PQtransactionStatus(dbs_pg_handle(a)), PQTRANS_IDLE);
	assert_int_equal(be->query_int64(&v, ctx, a, "SELECT count(*) FROM pg_class WHERE relname = 'locked_run'"), 0);
	assert_int_equal(v, 1);
	exec_ok(ctx, a, "DROP TABLE locked_run");

	dbs_buf sql = DBS_BUF_INIT;
	be->script_prologue(&sql, &plan);
	be->script_epilogue(&sql, &plan);
	char want[256];
	snprintf(want, sizeof want, "BEGIN;\nSELECT pg_catalog.pg_advisory_xact_lock(%lld);\nCOMMIT;\n",
		(long long)dbs_pg_lock_key(NULL));
	assert_string_equal(dbs_buf_cstr(&sql), want);
	dbs_buf_free(&sql);
	dbsync_conn_close(a);
	dbsync_conn_close(b);
}

static void deferred_fk_fails_at_commit(void **state)
{
	dbsync_ctx *ctx = *state;
	NEED_SERVER();
	struct dbsync_plan plan;
	memset(&plan, 0, sizeof plan);
	plan.dialect = DBSYNC_DIALECT_POSTGRES;
	dbsync_conn *conn = open_db(ctx, NULL);
	exec_ok(ctx, conn, "CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE ch (p_id int REFERENCES p "
		"DEFERRABLE INITIALLY DEFERRED)");
	assert_int_equal(conn->backend->apply_begin(ctx, conn, &plan), 0);
	exec_ok(ctx, conn, "INSERT INTO ch VALUES (7)");
	assert_int_equal(conn->backend->apply_end(ctx, conn, &plan, 1), DBSYNC_EDB);
	assert_string_equal(dbsync_ctx_error(ctx)->sqlstate, "23503");
	int64_t rows = -1;
	assert_int_equal(dbsync_conn_count_rows(&rows, ctx, conn, "ch"), 0);
	assert_int_equal(rows, 0);
	exec_ok(ctx, conn, "DROP TABLE ch, p");
	dbsync_conn_close(conn);
}

static void lost_connection_is_econnect(void **state)
{
	dbsync_ctx *ctx = *state;
	NEED_SERVER();
	dbsync_conn *victim = open_db(ctx, NULL), *killer = open_db(ctx, NULL);
	int64_t pid = 0;
	assert_int_equal(victim->backend->query_int64(&pid, ctx, victim, "SELECT pg_backend_pid()"), 0);
	char sql[96];
	snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%lld)", (long long)pid);
	int64_t ok = 0;
	assert_int_equal(killer->backend->query_int64(&ok, ctx, killer, sql), 0);
	assert_int_equal(ok, 1);
	assert_int_equal(dbsync_conn_exec(ctx, victim, "SELECT 1"), DBSYNC_ECONNECT);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "lost the connection"));
	dbsync_schema *s = NULL;
	assert_int_equal(dbsync_conn_introspect(&s, ctx, victim), DBSYNC_ECONNECT);
	assert_null(s);
	dbsync_conn_close(victim);
	dbsync_conn_close(killer);
}

/* A readonly connection (dry runs, checks) plans through the shadow schema but
 * cannot write: not by exec, not by apply, and the shadow leaves nothing. */
static void readonly_connection_plans_but_never_writes(void **state)
{
	dbsync_ctx *ctx = *state;
	NEED_SERVER();
	dbsync_conn *rw = open_db(ctx, NULL);
	exec_ok(ctx, rw, "DROP SCHEMA IF EXISTS ro_test CASCADE; CREATE SCHEMA ro_test;"
		"CREATE TABLE ro_test.item (id bigint PRIMARY KEY, name varchar(20) NOT NULL)");
	const char *keys[] = { "name", "user", "host", "schema", "readonly" };
	const char *vals[] = { server.db, "dbsync", server.dir, "ro_test", "1" };
	dbsync_conn *ro = NULL;
	assert_int_equal(dbsync_conn_open_params(&ro, ctx, DBSYNC_DIALECT_POSTGRES, keys, vals, 5), 0);
	assert_int_equal(dbsync_conn_exec(ctx, ro, "CREATE TABLE ro_test.nope (a int)"), DBSYNC_EDB);
	assert_string_equal(dbsync_ctx_error(ctx)->sqlstate, "25006"); /* read_only_sql_transaction */
	static const char ddl[] =
		"CREATE TABLE \"item\" (\"id\" bigint NOT NULL PRIMARY KEY, \"name\" varchar(50) NOT NULL);\n"
		"CREATE TABLE \"tag\" (\"id\" bigint NOT NULL PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY);\n";
	dbsync_schema *desired = NULL;
	dbsync_plan *plan = NULL;
	assert_int_equal(dbsync_schema_parse(&desired, ctx, DBSYNC_DIALECT_POSTGRES, ddl, strlen(ddl)), 0);
	if (dbsync_plan_compute(&plan, ctx, ro, desired, NULL))
		fail_msg("plan on a readonly connection: %s", dbsync_ctx_error(ctx)->message);
	assert_int_equal(dbsync_plan_pending_count(plan), 2); /* widen name, create tag */
	assert_int_equal(dbsync_plan_apply(ctx, ro, plan, NULL), DBSYNC_EINVALID);
	int64_t n = -1;
	assert_int_equal(rw->backend->query_int64(&n, ctx, rw,
		"SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'dbsync_shadow%'"), 0);
	assert_int_equal(n, 0);
	assert_int_equal(rw->backend->query_int64(&n, ctx, rw,
		"SELECT count(*) FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace "
		"WHERE s.nspname = 'ro_test' AND c.relkind = 'r'"), 0);
	assert_int_equal(n, 1);
	dbsync_plan_free(plan);
	dbsync_schema_free(desired);
	dbsync_conn_close(ro);
	exec_ok(ctx, rw, "DROP SCHEMA ro_test CASCADE");
	dbsync_conn_close(rw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(connect_and_describe, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(wrong_password_never_leaks, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(unknown_option_and_schema, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(introspect_django_schema, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(awkward_catalog, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(catalog_queries_do_not_grow, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(exec_errors_carry_sqlstate, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(advisory_lock_keeps_runs_apart, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(deferred_fk_fails_at_commit, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(lost_connection_is_econnect, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(readonly_connection_plans_but_never_writes, ctx_setup, ctx_teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
