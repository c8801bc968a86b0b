/* The PostgreSQL backend's normalize_desired against a real, throwaway server:
 * the desired DDL run in a shadow schema and read back must equal, field by
 * field, the same DDL run for real (what Django's migrate does), leave nothing
 * behind, fail clearly, and cost a fixed number of round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "backend_postgres.h"
#include "backend_postgres_shadow.h"
#include "buf.h"
#include "ctx.h"
#include "dbsync/dbsync.h"
#include "diff.h"
#include "model.h"
#include "test_support.h"

static test_server server;

/* One script of 500 chain tables (round_trips_do_not_grow) takes about
 * 6,000 locks: the shared server gets a lock table that holds them by its
 * settings (256 x its 72 backends), not by spare shared memory. */
static int group_setup(void **state)
{
	(void)state;
	if (setenv("DBSYNC_PG_EXTRA_CONF", "max_locks_per_transaction = 256\n", 1))
		return -1;
	int started = test_server_start(&server, &TEST_PG_SERVER);
	unsetenv("DBSYNC_PG_EXTRA_CONF");
	return started;
}

static int group_teardown(void **state)
{
	(void)state;
	return test_server_stop(&server);
}

#define NEED_SERVER() do { if (server.absent) skip(); } while (0)

static dbsync_conn *open_db_on(const test_server *srv, dbsync_ctx *ctx, const char *schema)
{
	const char *keys[] = { "name", "user", "host", "schema" };
	const char *vals[] = { "dbsync_test", "dbsync", srv->dir, schema };
	dbsync_conn *conn = NULL;
	if (dbsync_conn_open_params(&conn, ctx, DBSYNC_DIALECT_POSTGRES, keys, vals, schema ? 4 : 3))
		fail_msg("cannot connect to the test server: %s", dbsync_ctx_error(ctx)->message);
	return conn;
}

/* A fresh schema `name` on `srv`, and a connection syncing it. */
static dbsync_conn *fresh_schema_on(const test_server *srv, dbsync_ctx *ctx, const char *name)
{
	dbsync_conn *conn = open_db_on(srv, ctx, NULL);
	char sql[256];
	snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS \"%s\" CASCADE; CREATE SCHEMA \"%s\"", name, name);
	exec_ok(ctx, conn, sql);
	dbsync_conn_close(conn);
	return open_db_on(srv, ctx, name);
}

static dbsync_conn *fresh_schema(dbsync_ctx *ctx, const char *name)
{
	return fresh_schema_on(&server, ctx, name);
}

static dbsync_schema *parse_ok(dbsync_ctx *ctx, const char *sql, size_t len)
{
	dbsync_schema *s = NULL;
	if (dbsync_schema_parse(&s, ctx, DBSYNC_DIALECT_POSTGRES, sql, len))
		fail_msg("parse failed: %s", dbsync_ctx_error(ctx)->message);
	return s;
}

static dbsync_schema *shadow_ok(dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_schema *desired)
{
	dbsync_schema *s = NULL;
	assert_non_null(conn->backend->normalize_desired);
	if (conn->backend->normalize_desired(&s, ctx, conn, desired))
		fail_msg("normalize_desired failed: %s", dbsync_ctx_error(ctx)->message);
	assert_non_null(s);
	return s;
}

static dbsync_schema *introspect_ok(dbsync_ctx *ctx, dbsync_conn *conn)
{
	dbsync_schema *s = NULL;
	if (dbsync_conn_introspect(&s, ctx, conn))
		fail_msg("introspect failed: %s", dbsync_ctx_error(ctx)->message);
	return s;
}

static int64_t query(dbsync_ctx *ctx, dbsync_conn *conn, const char *sql)
{
	int64_t v = -1;
	if (conn->backend->query_int64(&v, ctx, conn, sql))
		fail_msg("query failed: %s", dbsync_ctx_error(ctx)->message);
	return v;
}

/* Everything the shadow could leave behind: schemas, tables, sequences, types. */
static int64_t leftovers(dbsync_ctx *ctx, dbsync_conn *conn)
{
	return query(ctx, conn, "SELECT (SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'dbsync_shadow%') * 1000000 "
		"+ (SELECT count(*) FROM pg_class)");
}

/* ---- a structural comparison stricter than the diff: every field ---- */

#define SAME_STR(what, a, b) do { \
	if (!dbs_str_eq((a), (b))) \
		fail_msg("%s: %s: '%s' (shadow) vs '%s' (live)", table, what, (a) ? (a) : "(null)", (b) ? (b) : "(null)"); \
} while (0)
#define SAME_INT(what, a, b) do { \
	if ((long)(a) != (long)(b)) \
		fail_msg("%s: %s: %ld (shadow) vs %ld (live)", table, what, (long)(a), (long)(b)); \
} while (0)

static void same_names(const char *table, const char *what, const dbs_str_vec *a, const dbs_str_vec *b)
{
	SAME_INT(what, a->n, b->n);
	for (size_t i = 0; i < a->n; i++)
		SAME_STR(what, a->items[i], b->items[i]);
}

static const dbs_column *find_col(const dbs_table *t, const char *name)
{
	for (size_t i = 0; i < t->columns.n; i++)
		if (strcmp(t->columns.items[i]->name, name) == 0)
			return t->columns.items[i];
	return NULL;
}

/* By name; a constraint the DDL left unnamed (the shadow forgets the name the
 * server made up) by kind, columns and expression, as the diff matches it. */
static const dbs_constraint *find_con(const dbs_table *t, const char *name)
{
	for (size_t i = 0; i < t->constraints.n; i++)
		if (dbs_str_eq(t->constraints.items[i]->name, name))
			return t->constraints.items[i];
	return NULL;
}

static const dbs_constraint *match_con(const dbs_table *t, const dbs_constraint *x)
{
	for (size_t i = 0; i < t->constraints.n; i++) {
		const dbs_constraint *y = t->constraints.items[i];
		if (x->name ? dbs_str_eq(y->name, x->name)
			    : y->kind == x->kind && dbs_names_eq(DBSYNC_DIALECT_POSTGRES, &y->cols, &x->cols) &&
				dbs_str_eq(y->check_expr, x->check_expr))
			return y;
	}
	return NULL;
}

static const dbs_index *find_ix(const dbs_table *t, const char *name)
{
	for (size_t i = 0; i < t->indexes.n; i++)
		if (dbs_str_eq(t->indexes.items[i]->name, name))
			return t->indexes.items[i];
	return NULL;
}

static void same_table(const dbs_table *a, const dbs_table *b)
{
	const char *table = a->name;
	SAME_STR("comment", a->comment, b->comment);
	/* by name: migrate adds some columns later than create_model writes them,
	 * and column order is not something a sync changes */
	SAME_INT("columns", a->columns.n, b->columns.n);
	for (size_t i = 0; i < a->columns.n; i++) {
		const dbs_column *x = a->columns.items[i];
		const dbs_column *y = find_col(b, x->name);
		if (!y)
			fail_msg("%s: column %s is not live", table, x->name);
		SAME_STR(x->name, x->type, y->type);
		SAME_INT(x->name, x->not_null, y->not_null);
		SAME_STR(x->name, x->default_expr, y->default_expr);
		SAME_STR(x->name, x->generated_expr, y->generated_expr);
		SAME_INT(x->name, x->generated_stored, y->generated_stored);
		SAME_STR(x->name, x->identity, y->identity);
		SAME_STR(x->name, x->collation, y->collation);
		SAME_STR(x->name, x->comment, y->comment);
	}
	SAME_INT("constraints", a->constraints.n, b->constraints.n);
	for (size_t i = 0; i < a->constraints.n; i++) {
		const dbs_constraint *x = a->constraints.items[i], *y = match_con(b, x);
		if (!y)
			fail_msg("%s: constraint %s is not live", table, x->name);
		SAME_INT(x->name, x->kind, y->kind);
		same_names(table, x->name, &x->cols, &y->cols);
		SAME_STR(x->name, x->check_expr, y->check_expr);
		SAME_STR(x->name, x->ref_table, y->ref_table);
		same_names(table, x->name, &x->ref_cols, &y->ref_cols);
		SAME_STR(x->name, x->on_delete, y->on_delete);
		SAME_STR(x->name, x->on_update, y->on_update);
		SAME_INT(x->name, x->deferrable, y->deferrable);
		SAME_INT(x->name, x->initially_deferred, y->initially_deferred);
	}
	SAME_INT("indexes", a->indexes.n, b->indexes.n);
	for (size_t i = 0; i < a->indexes.n; i++) {
		const dbs_index *x = a->indexes.items[i], *y = find_ix(b, x->name);
		if (!y)
			fail_msg("%s: index %s is not live", table, x->name);
		SAME_INT(x->name, x->unique, y->unique);
		SAME_STR(x->name, x->where_expr, y->where_expr);
		SAME_STR(x->name, x->method, y->method);
		SAME_STR(x->name, x->comment, y->comment);
		same_names(table, x->name, &x->include, &y->include);
		SAME_INT(x->name, x->parts.n, y->parts.n);
		for (size_t j = 0; j < x->parts.n; j++) {
			const dbs_index_part *p = &x->parts.items[j], *q = &y->parts.items[j];
			SAME_STR(x->name, p->column, q->column);
			SAME_STR(x->name, p->expr, q->expr);
			SAME_INT(x->name, p->desc, q->desc);
			SAME_STR(x->name, p->collation, q->collation);
			SAME_STR(x->name, p->opclass, q->opclass);
		}
	}
}

/* Every table of `shadow` equals its live namesake, and the engine's diff
 * agrees that nothing differs. */
static void assert_same(dbsync_ctx *ctx, const dbsync_schema *shadow, dbsync_schema *live)
{
	for (size_t i = 0; i < shadow->tables.n; i++) {
		const dbs_table *t = shadow->tables.items[i];
		const dbs_table *l = dbs_schema_find_table(live, t->name);
		if (!l)
			fail_msg("table %s is not live", t->name);
		same_table(t, l);
	}
	dbs_diff d;
	assert_int_equal(dbs_diff_schemas(&d, ctx, live, shadow), 0);
	if (d.tables.n)
		fail_msg("the diff finds %zu changed tables, the first %s", d.tables.n, d.tables.items[0]->want->name);
	dbs_diff_free(&d);
}

/* Django's DDL for contenttypes, auth and an app with every field type, run
 * as migrate would run it, equals the same DDL normalized in a shadow. */
static void django_ddl_shows_no_difference(void **state)
{
	dbsync_ctx *ctx = *state;
	NEED_SERVER();
	size_t len;
	char *sql = test_read_fixture("django52_postgres.sql", &len);
	dbsync_conn *conn = fresh_schema(ctx, "dj52");
	exec_ok(ctx, conn, sql);
	dbsync_schema *desired = parse_ok(ctx, sql, len);
	int64_t before = leftovers(ctx, conn);

	dbsync_conn_reset_counters(conn);
	dbsync_schema *norm = shadow_ok(ctx, conn, desired);
	assert_int_equal(dbsync_conn_catalog_queries(conn), DBS_PG_SHADOW_ROUND_TRIPS);
	assert_int_equal(leftovers(ctx, conn), before);
	assert_int_equal(PQtransactionStatus(dbs_pg_handle(conn)), PQTRANS_IDLE);

	/* the desired tables, in the desired order, nothing else */
	assert_int_equal(norm->tables.n, desired->tables.n);
	assert_int_equal(norm->tables.n, 14);
	for (size_t i = 0; i < norm->tables.n; i++)
		assert_string_equal(norm->tables.items[i]->name, desired->tables.items[i]->name);
	assert_null(norm->source_ddl);

	dbsync_schema *live = introspect_ok(ctx, conn);
	assert_int_equal(live->tables.n, norm->tables.n);
	assert_same(ctx, norm, live);

	/* the server's spelling, not the parser's: the shadow is what made the
	 * two sides meet (a check Django writes without casts) */
	dbs_table *book = dbs_schema_find_table(norm, "shop_book");
	assert_non_null(book);
	const dbs_constraint *like = find_con(book, "book_like");
	assert_non_null(like);
	assert_non_null(strstr(like->check_expr, "::"));
	const dbs_constraint *fk = find_con(book, "shop_book_owner_id_a537b4b0_fk_auth_user_id");
	assert_non_null(fk);
	assert_string_equal(fk->ref_table, "auth_user");
	assert_true(fk->deferrable && fk->initially_deferred);
	const dbs_constraint *dfr = find_con(book, "book_slug_pages_deferred");
	assert_non_null(dfr);
	assert_true(dfr->deferrable && dfr->initially_deferred);
	/* the parser reads that clause too */
	dfr = find_con(dbs_schema_find_table(desired, "shop_book"), "book_slug_pages_deferred");
	assert_non_null(dfr);
	assert_true(dfr->deferrable && dfr->initially_deferred);
	assert_string_equal(dbs_table_find_column(norm, book, "id")->identity, "BY DEFAULT");
	assert_string_equal(dbs_table_find_column(norm, book, "code")->collation, "C");
	assert_string_equal(book->comment, "Books, it's said");

	dbsync_schema_free(live);
	dbsync_schema_free(norm);
	dbsync_schema_free(desired);
	exec_ok(ctx, conn, "DROP SCHEMA dj52 CASCADE");
	dbsync_conn_close(conn);
	free(sql);
}

/* The database migrate builds (every migration's SQL in order, history of
 * altered fields included) against the create_model DDL normalized in a
 * shadow: no difference. The parser alone finds many (varchar against
 * character varying, casts the server adds to checks): the shadow is what
 * closes the gap. */
static void migrate_built_database_shows_no_difference(void **state)
{
	dbsync_ctx *ctx = *state;
	NEED_SERVER();
	size_t len, mig_len;
	char *sql = test_read_fixture("django52_postgres.sql", &len);
	char *mig = test_read_fixture("django52_postgres_migrate.sql", &mig_len);
	dbsync_conn *conn = fresh_schema(ctx, "dj52mig");
	exec_ok(ctx, conn, mig);
	dbsync_schema *desired = parse_ok(ctx, sql, len);
	dbsync_schema *norm = shadow_ok(ctx, conn, desired);
	dbsync_schema *live = introspect_ok(ctx, conn);
	assert_int_equal(live->tables.n, norm->tables.n);
	assert_same(ctx, norm, live);
	dbs_diff d;
	assert_int_equal(dbs_diff_schemas(&d, ctx, live, desired), 0);
	assert_true(d.tables.n > 0);
	dbs_diff_free(&d);
	dbsync_schema_free(live);
	dbsync_schema_free(norm);
	dbsync_schema_free(desired);
	exec_ok(ctx, conn, "DROP SCHEMA dj52mig CASCADE");
	dbsync_conn_close(conn);
	free(sql);
	free(mig);
}

/* Only the shop app selected: its foreign keys to auth_user point at a table
 * the desired DDL does not create. A copy stands in for it in the shadow and
 * is gone from the result; the keys read as they do live. */
static void references_outside_the_selection(void **state)
{
	dbsync_ctx *ctx = *state;
	NEED_SERVER();
	size_t len, shop_len;
	char *all = test_read_fixture("django52_postgres.sql", &len);
	char *shop = test_read_fixture("django52_postgres_shop.sql", &shop_len);
	dbsync_conn *conn = fresh_schema(ctx, "dj52shop");
	exec_ok(ctx, conn, all);
	dbsync_schema *desired = parse_ok(ctx, shop, shop_len);
	assert_null(dbs_schema_find_table(desired, "auth_user"));
	int64_t before = leftovers(ctx, conn);
	dbsync_conn_reset_counters(conn);
	dbsync_schema *norm = shadow_ok(ctx, conn, desired);
	assert_int_equal(dbsync_conn_catalog_queries(conn), DBS_PG_SHADOW_ROUND_TRIPS);
	assert_int_equal(leftovers(ctx, conn), before);
	assert_null(dbs_schema_find_table(norm, "auth_user"));
	assert_int_equal(norm->tables.n, desired->tables.n);
	dbs_table *profile = dbs_schema_find_table(norm, "shop_profile");
	assert_non_null(profile);
	const dbs_constraint *fk = find_con(profile, "shop_profile_user_id_251f5ef7_fk_auth_user_id");
	assert_non_null(fk);
	assert_string_equal(fk->ref_table, "auth_user");
	assert_int_equal(fk->ref_cols.n, 1);
	assert_string_equal(fk->ref_cols.items[0], "id");
	dbsync_schema *live = introspect_ok(ctx, conn);
	assert_same(ctx, norm, live);
	dbsync_schema_free(live);
	dbsync_schema_free(norm);
	dbsync_schema_free(desired);

	/* a reference to a table that exists nowhere names both tables */
	static const char orphan[] = "CREATE TABLE \"kid\" (\"id\" integer NOT NULL PRIMARY KEY, \"p_id\" integer NULL);\n"
		"ALTER TABLE \"kid\" ADD CONSTRAINT \"kid_p_fk\" FOREIGN KEY (\"p_id\") REFERENCES \"nowhere\" (\"id\");\n";
	desired = parse_ok(ctx, orphan, strlen(orphan));
	before = leftovers(ctx, conn);
	assert_int_equal(conn->backend->normalize_desired(&norm, ctx, conn, desired), DBSYNC_EINVALID);
	assert_null(norm);
	const char *msg = dbsync_ctx_error(ctx)->message;
	assert_non_null(strstr(msg, "\"kid\""));
	assert_non_null(strstr(msg, "\"nowhere\""));
	assert_non_null(strstr(msg, "dj52shop"));
	assert_int_equal(leftovers(ctx, conn), before);
	assert_int_equal(PQtransactionStatus(dbs_pg_handle(conn)), PQTRANS_IDLE);
	dbsync_schema_free(desired);

	/* a reference into another schema, written qualified (the CLI's DDL may):
	 * the server resolves it, and it reads as it does live */
	static const char cross[] = "CREATE TABLE \"kid2\" (\"id\" integer PRIMARY KEY, "
		"\"o_id\" integer REFERENCES \"other_s\".\"parent\" (\"id\") ON DELETE SET NULL);\n";
	exec_ok(ctx, conn, "DROP SCHEMA IF EXISTS other_s CASCADE; CREATE SCHEMA other_s;"
		"CREATE TABLE other_s.parent (id integer PRIMARY KEY)");
	exec_ok(ctx, conn, cross);
	desired = parse_ok(ctx, cross, strlen(cross));
	norm = shadow_ok(ctx, conn, desired);
	live = introspect_ok(ctx, conn);
	assert_same(ctx, norm, live);
	assert_string_equal(norm->tables.items[0]->constraints.items[1]->ref_table, "other_s.parent");
	dbsync_schema_free(live);
	dbsync_schema_free(norm);
	dbsync_schema_free(desired);
	exec_ok(ctx, conn, "DROP SCHEMA other_s CASCADE");
	exec_ok(ctx, conn, "DROP SCHEMA dj52shop CASCADE");
	dbsync_conn_close(conn);
	free(all);
	free(shop);
}

/* serial columns own a sequence whose name the default spells: the shadow's
 * reads like the live one, never with the shadow schema in it. Hand-written
 * DDL also brings what the parser skips or the shadow must not run. */
static void serial_defaults_and_odd_statements(void **state)
{
	dbsync_ctx *ctx = *state;
	NEED_SERVER();
	static const char ddl[] =
		"BEGIN;\n"
		"SET search_path = public;\n"
		"CREATE TABLE \"Ser\" (\"id\" serial PRIMARY KEY, \"n\" bigserial, \"t\" text DEFAULT 'a'::text || 'b',"
		" \"at\" timestamptz DEFAULT now() NOT NULL, \"v\" varchar(10)[] DEFAULT '{}');\n"
		"CREATE SEQUENCE \"other_seq\";\n"
		"CREATE TABLE \"uses_seq\" (\"k\" bigint DEFAULT nextval('other_seq') PRIMARY KEY,"
		" \"s_id\" integer REFERENCES \"Ser\" ON DELETE CASCADE);\n"
		"CREATE INDEX CONCURRENTLY \"uses_seq_s\" ON \"uses_seq\" (\"s_id\") WHERE \"k\" > 10;\n"
		"COMMENT ON INDEX \"uses_seq_s\" IS 'partial';\n"
		"COMMIT;\n";
	dbsync_conn *conn = fresh_schema(ctx, "ser");
	/* live: the same statements as a person would run them */
	exec_ok(ctx, conn, "CREATE TABLE \"Ser\" (\"id\" serial PRIMARY KEY, \"n\" bigserial, \"t\" text DEFAULT 'a'::text || 'b',"
		" \"at\" timestamptz DEFAULT now() NOT NULL, \"v\" varchar(10)[] DEFAULT '{}');"
		"CREATE SEQUENCE \"other_seq\";"
		"CREATE TABLE \"uses_seq\" (\"k\" bigint DEFAULT nextval('other_seq') PRIMARY KEY,"
		" \"s_id\" integer REFERENCES \"Ser\" ON DELETE CASCADE);"
		"CREATE INDEX \"uses_seq_s\" ON \"uses_seq\" (\"s_id\") WHERE \"k\" > 10;"
		"COMMENT ON INDEX \"uses_seq_s\" IS 'partial'");
	dbsync_schema *desired = parse_ok(ctx, ddl, strlen(ddl));
	int64_t before = leftovers(ctx, conn);
	dbsync_schema *norm = shadow_ok(ctx, conn, desired);
	assert_int_equal(leftovers(ctx, conn), before);
	dbsync_schema *live = introspect_ok(ctx, conn);
	assert_same(ctx, norm, live);
	for (size_t i = 0; i < norm->tables.n; i++) {
		const dbs_table *t = norm->tables.items[i];
		for (size_t j = 0; j < t->columns.n; j++) {
			const char *e = t->columns.items[j]->default_expr;
			assert_true(!e || !strstr(e, "dbsync_shadow"));
		}
	}
	const dbs_column *id = dbs_table_find_column(norm, dbs_schema_find_table(norm, "Ser"), "id");
	assert_non_null(strstr(id->default_expr, "Ser_id_seq"));
	/* the caller's open transaction is kept: a savepoint is used instead */
	exec_ok(ctx, conn, "BEGIN; CREATE TABLE mine (x int)");
	dbsync_schema_free(norm);
	norm = shadow_ok(ctx, conn, desired);
	assert_int_equal(PQtransactionStatus(dbs_pg_handle(conn)), PQTRANS_INTRANS);
	assert_int_equal(query(ctx, conn, "SELECT count(*) FROM pg_class WHERE relname = 'mine'"), 1);
	exec_ok(ctx, conn, "ROLLBACK");
	assert_int_equal(leftovers(ctx, conn), before);
	dbsync_schema_free(live);
	dbsync_schema_free(norm);
	dbsync_schema_free(desired);
	exec_ok(ctx, conn, "DROP SCHEMA ser CASCADE");
	dbsync_conn_close(conn);
}

/* A role that may create tables in its schema but not schemas in the
 * database (a common production grant): the session's temporary schema
 * stands in for the shadow, with the same result. */
static void role_without_create_schema(void **state)
{
	dbsync_ctx *ctx = *state;
	NEED_SERVER();
	static const char ddl[] =
		"CREATE TABLE \"lim_t\" (\"id\" serial PRIMARY KEY, \"u_id\" integer NULL, \"d\" numeric(5, 2) DEFAULT 1 NOT NULL"
		" CHECK (\"d\" > 0));\n"
		"ALTER TABLE \"lim_t\" ADD CONSTRAINT \"lim_t_u_fk\" FOREIGN KEY (\"u_id\") REFERENCES \"lim_users\" (\"id\")"
		" DEFERRABLE INITIALLY DEFERRED;\n"
		"CREATE INDEX \"lim_t_u\" ON \"lim_t\" (\"u_id\") WHERE \"d\" > 2;\n";
	dbsync_conn *admin = fresh_schema(ctx, "lim");
	exec_ok(ctx, admin, "DROP ROLE IF EXISTS shadow_limited; CREATE ROLE shadow_limited LOGIN;"
		"GRANT USAGE, CREATE ON SCHEMA lim TO shadow_limited;"
		"CREATE TABLE lim.lim_users (id integer PRIMARY KEY, name text);"
		"GRANT SELECT, REFERENCES ON lim.lim_users TO shadow_limited");
	exec_ok(ctx, admin, ddl);
	const char *keys[] = { "name", "user", "host", "schema" };
	const char *vals[] = { "dbsync_test", "shadow_limited", server.dir, "lim" };
	dbsync_conn *conn = NULL;
	if (dbsync_conn_open_params(&conn, ctx, DBSYNC_DIALECT_POSTGRES, keys, vals, 4))
		fail_msg("cannot connect as shadow_limited: %s", dbsync_ctx_error(ctx)->message);
	assert_int_equal(conn->backend->exec(ctx, conn, "CREATE SCHEMA not_allowed"), DBSYNC_EDB);
	assert_string_equal(dbsync_ctx_error(ctx)->sqlstate, "42501");
	dbsync_ctx_clear_error(ctx);

	dbsync_schema *desired = parse_ok(ctx, ddl, strlen(ddl));
	int64_t before = leftovers(ctx, admin);
	dbsync_conn_reset_counters(conn);
	dbsync_schema *norm = shadow_ok(ctx, conn, desired);
	assert_int_equal(dbsync_conn_catalog_queries(conn), DBS_PG_SHADOW_ROUND_TRIPS + 2);
	assert_int_equal(leftovers(ctx, admin), before);
	assert_int_equal(norm->tables.n, 1);
	dbsync_schema *live = introspect_ok(ctx, admin);
	assert_same(ctx, norm, live);
	const dbs_table *t = norm->tables.items[0];
	assert_string_equal(find_con(t, "lim_t_u_fk")->ref_table, "lim_users");
	assert_null(strstr(find_col(t, "id")->default_expr, "pg_temp"));
	dbsync_schema_free(live);
	dbsync_schema_free(norm);
	dbsync_schema_free(desired);
	dbsync_conn_close(conn);
	exec_ok(ctx, admin, "DROP SCHEMA lim CASCADE; DROP ROLE shadow_limited");
	dbsync_conn_close(admin);
}

/* A statement the server rejects names itself, keeps the server's SQLSTATE
 * and leaves nothing: not the statements before it, not the shadow. */
static void broken_ddl_fails_clearly(void **state)
{
	dbsync_ctx *ctx = *state;
	NEED_SERVER();
	static const char ddl[] =
		"CREATE TABLE \"first_ok\" (\"id\" integer PRIMARY KEY);\n"
		"CREATE TABLE \"second_bad\" (\"id\" integer, \"x\" no_such_type NULL);\n"
		"CREATE TABLE \"third\" (\"id\" integer);\n";
	dbsync_conn *conn = fresh_schema(ctx, "broken");
	dbsync_schema *desired = parse_ok(ctx, ddl, strlen(ddl));
	int64_t before = leftovers(ctx, conn);
	dbsync_schema *norm = NULL;
	assert_int_equal(conn->backend->normalize_desired(&norm, ctx, conn, desired), DBSYNC_EDB);
	assert_null(norm);
	const dbsync_error *e = dbsync_ctx_error(ctx);
	assert_string_equal(e->sqlstate, "42704");
	assert_non_null(strstr(e->message, "line 2"));
	assert_non_null(strstr(e->message, "CREATE TABLE \"second_bad\""));
	assert_non_null(strstr(e->message, "no_such_type"));
	assert_int_equal(leftovers(ctx, conn), before);
	assert_int_equal(query(ctx, conn, "SELECT count(*) FROM pg_class WHERE relname = 'first_ok'"), 0);
	assert_int_equal(PQtransactionStatus(dbs_pg_handle(conn)), PQTRANS_IDLE);
	dbsync_schema_free(desired);

	/* a schema built in code has no DDL to run */
	dbsync_schema *built = dbs_schema_new(DBSYNC_DIALECT_POSTGRES);
	assert_non_null(built);
	assert_non_null(dbs_schema_add_table(built, "t"));
	assert_int_equal(conn->backend->normalize_desired(&norm, ctx, conn, built), DBSYNC_EINVALID);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "parse it from DDL"));
	dbsync_schema_free(built);

	/* the shadow never runs the desired text: a COPY swapped in behind the
	 * parser's back (it refuses COPY) is not run, only the rendered table */
	static const char table_only[] = "CREATE TABLE \"cp\" (\"x\" integer);\n";
	static const char copy[] = "CREATE TABLE \"cp\" (\"x\" integer);\nCOPY \"cp\" FROM STDIN;\n";
	desired = parse_ok(ctx, table_only, strlen(table_only));
	desired->source_ddl = copy;
	desired->source_ddl_len = strlen(copy);
	norm = shadow_ok(ctx, conn, desired);
	assert_int_equal(norm->tables.n, 1);
	assert_int_equal(leftovers(ctx, conn), before);
	assert_int_equal(PQtransactionStatus(dbs_pg_handle(conn)), PQTRANS_IDLE);
	dbsync_schema_free(norm);
	dbsync_schema_free(desired);

	/* the connection is usable afterwards */
	static const char good[] = "CREATE TABLE \"fine\" (\"id\" integer);";
	desired = parse_ok(ctx, good, strlen(good));
	norm = shadow_ok(ctx, conn, desired);
	assert_int_equal(norm->tables.n, 1);
	dbsync_schema_free(norm);
	dbsync_schema_free(desired);
	exec_ok(ctx, conn, "DROP SCHEMA broken CASCADE");
	dbsync_conn_close(conn);
}

/* Table i of a chain: a FK to the previous one (the first to a table
 * outside the DDL), an index and a check. */
static void chain_table(dbs_buf *b, int i)
{
	dbs_buf_printf(b, "CREATE TABLE \"t%d\" (\"id\" bigint NOT NULL PRIMARY KEY GENERATED BY DEFAULT AS "
		"IDENTITY, \"name\" varchar(50) DEFAULT 'x' NOT NULL CHECK (\"name\" <> ''), \"prev_id\" bigint NULL);\n", i);
	dbs_buf_printf(b, "ALTER TABLE \"t%d\" ADD CONSTRAINT \"t%d_prev_fk\" FOREIGN KEY (\"prev_id\") "
		"REFERENCES \"%s%d\" (\"id\") DEFERRABLE INITIALLY DEFERRED;\n", i, i, i ? "t" : "outside", i ? i - 1 : 0);
	dbs_buf_printf(b, "CREATE INDEX \"t%d_name\" ON \"t%d\" (\"name\") WHERE \"prev_id\" IS NOT NULL;\n", i, i);
}

static char *many_tables(int n)
{
	dbs_buf b = DBS_BUF_INIT;
	for (int i = 0; i < n; i++)
		chain_table(&b, i);
	assert_true(dbs_buf_ok(&b));
	return dbs_buf_detach(&b);
}

/* The same tables made live `batch` at a time, as migrations would: one
 * transaction holds a lock per relation it makes. */
static void make_chain(dbsync_ctx *ctx, dbsync_conn *conn, int n, int batch)
{
	dbs_buf b = DBS_BUF_INIT;
	for (int i = 0; i < n; i++) {
		chain_table(&b, i);
		if (i % batch == batch - 1 || i == n - 1) {
			assert_true(dbs_buf_ok(&b));
			exec_ok(ctx, conn, dbs_buf_cstr(&b));
			dbs_buf_clear(&b);
		}
	}
	dbs_buf_free(&b);
}

/* Dropped `batch` at a time too, for the same reason. */
static void drop_chain(dbsync_ctx *ctx, dbsync_conn *conn, int n, int batch)
{
	dbs_buf b = DBS_BUF_INIT;
	for (int i = n - 1; i >= 0; i--) {
		dbs_buf_printf(&b, "%s\"t%d\"", b.len ? ", " : "DROP TABLE ", i);
		if (i % batch == 0) {
			dbs_buf_puts(&b, " CASCADE");
			assert_true(dbs_buf_ok(&b));
			exec_ok(ctx, conn, dbs_buf_cstr(&b));
			dbs_buf_clear(&b);
		}
	}
	dbs_buf_free(&b);
}

static uint64_t shadow_round_trips(dbsync_ctx *ctx, int n, size_t chunk)
{
	dbsync_conn *conn = fresh_schema(ctx, "many");
	exec_ok(ctx, conn, "CREATE TABLE outside0 (id bigint PRIMARY KEY)");
	char *ddl = many_tables(n);
	dbsync_schema *desired = parse_ok(ctx, ddl, strlen(ddl));
	((dbs_pg_conn *)conn->impl)->shadow_chunk = chunk;
	dbsync_conn_reset_counters(conn);
	dbsync_schema *norm = shadow_ok(ctx, conn, desired);
	uint64_t q = dbsync_conn_catalog_queries(conn);
	assert_int_equal(norm->tables.n, (size_t)n);
	const dbs_table *last = norm->tables.items[n - 1];
	assert_int_equal(last->constraints.n, 3);
	assert_int_equal(last->indexes.n, 1);
	assert_string_equal(find_con(norm->tables.items[0], "t0_prev_fk")->ref_table, "outside0");
	dbsync_schema_free(norm);
	dbsync_schema_free(desired);
	free(ddl);
	exec_ok(ctx, conn, "DROP SCHEMA many CASCADE");
	dbsync_conn_close(conn);
	return q;
}

/* One script whatever the number of tables, up to the number one script
 * takes; beyond it, one per that many tables. */
static void round_trips_do_not_grow(void **state)
{
	dbsync_ctx *ctx = *state;
	NEED_SERVER();
	uint64_t small = shadow_round_trips(ctx, 10, 500);
	uint64_t big = shadow_round_trips(ctx, 500, 500);
	assert_int_equal(small, big);
	assert_int_equal(small, DBS_PG_SHADOW_ROUND_TRIPS);
	assert_int_equal(shadow_round_trips(ctx, 500, 0), (500 + DBS_PG_SHADOW_CHUNK - 1) / DBS_PG_SHADOW_CHUNK);
}

/* A server of its own whose lock table is tiny and fixed by its settings.
 * The lock table holds max_locks_per_transaction entries per connection and
 * prepared transaction, all of which one transaction may use; beyond that a
 * server borrows from spare shared memory, and how much is spare differs
 * between majors (17 leaves less than 15, 16 and 18; 12 and 13 more). So the
 * test sizes every transaction from the settings alone: no batch goes beyond
 * the entries the settings promise, and the one script that must fail goes
 * far beyond any spare memory (huge pages off: no rounding up to the
 * machine's page size). */
static const char TINY_LOCKS_CONF[] =
	"max_connections = 5\n"
	"max_locks_per_transaction = 10\n"
	"max_prepared_transactions = 0\n"
	"max_pred_locks_per_transaction = 10\n"
	"autovacuum_max_workers = 1\n"
	"max_worker_processes = 1\n"
	"max_wal_senders = 0\n"
	"huge_pages = off\n"
	"shared_buffers = 8MB\n";
#define TINY_TABLES 300   /* tables in all: thousands of locks, far beyond */

static test_server tiny;  /* started and stopped around the one test that uses it */

static int tiny_setup(void **state)
{
	if (ctx_setup(state))
		return -1;
	if (server.absent)
		return 0;  /* no PostgreSQL and DBSYNC_ALLOW_MISSING_SERVERS=1: the test skips */
	if (setenv("DBSYNC_PG_EXTRA_CONF", TINY_LOCKS_CONF, 1))
		return -1;
	int started = test_server_start(&tiny, &TEST_PG_SERVER);
	unsetenv("DBSYNC_PG_EXTRA_CONF");
	return started == 0 && !tiny.absent ? 0 : -1;
}

static int tiny_teardown(void **state)
{
	int stopped = server.absent ? 0 : test_server_stop(&tiny);
	ctx_teardown(state);
	return stopped;
}

/* Every relation made in a transaction holds a lock to its end: a schema
 * with more tables than the server's lock table holds goes in several
 * scripts, one round trip each, with the same result; in one script it fails
 * with a message that says which setting to raise, and leaves nothing. */
/* Lock table entries the server's settings promise one transaction. */
static int64_t promised_locks(dbsync_ctx *ctx, dbsync_conn *conn)
{
	return query(ctx, conn, "SELECT current_setting('max_locks_per_transaction')::int * "
		"(current_setting('max_connections')::int + current_setting('max_prepared_transactions')::int)");
}

/* Lock table entries `sql` takes, measured in a transaction rolled back
 * (fast-path locks live outside the table). */
static int64_t locks_taken(dbsync_ctx *ctx, dbsync_conn *conn, const char *sql)
{
	exec_ok(ctx, conn, "BEGIN");
	exec_ok(ctx, conn, sql);
	int64_t n = query(ctx, conn, "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND NOT fastpath");
	exec_ok(ctx, conn, "ROLLBACK");
	return n;
}

static void more_tables_than_locks(void **state)
{
	dbsync_ctx *ctx = *state;
	NEED_SERVER();
	dbsync_conn *conn = fresh_schema_on(&tiny, ctx, "many");
	const int64_t promised = promised_locks(ctx, conn);
	assert_int_equal(promised, 50);
	exec_ok(ctx, conn, "CREATE TABLE outside0 (id bigint PRIMARY KEY)");
	const int n = TINY_TABLES;
	dbs_buf one = DBS_BUF_INIT;
	chain_table(&one, 0);
	assert_true(dbs_buf_ok(&one));
	const int64_t per_create = locks_taken(ctx, conn, dbs_buf_cstr(&one));
	dbs_buf_free(&one);
	/* tables per transaction that the settings alone allow */
	const int create_batch = (int)(promised / per_create);
	assert_true(create_batch >= 1 && create_batch < n);
	assert_true(n * per_create > 20 * promised);
	char *ddl = many_tables(n);
	make_chain(ctx, conn, n, create_batch);
	dbsync_schema *desired = parse_ok(ctx, ddl, strlen(ddl));
	int64_t before = leftovers(ctx, conn);
	((dbs_pg_conn *)conn->impl)->shadow_chunk = (size_t)create_batch;
	dbsync_conn_reset_counters(conn);
	dbsync_schema *norm = shadow_ok(ctx, conn, desired);
	/* one round trip per chunk of create_batch tables */
	assert_int_equal(dbsync_conn_catalog_queries(conn), (n + create_batch - 1) / create_batch);
	assert_int_equal(leftovers(ctx, conn), before);
	assert_int_equal(norm->tables.n, (size_t)n);
	dbsync_schema *live = introspect_ok(ctx, conn);
	assert_same(ctx, norm, live);
	dbsync_schema_free(live);
	dbsync_schema_free(norm);

	((dbs_pg_conn *)conn->impl)->shadow_chunk = (size_t)n;
	norm = NULL;
	assert_int_equal(conn->backend->normalize_desired(&norm, ctx, conn, desired), DBSYNC_EDB);
	assert_null(norm);
	assert_string_equal(dbsync_ctx_error(ctx)->sqlstate, "53200");
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "max_locks_per_transaction"));
	assert_int_equal(leftovers(ctx, conn), before);
	dbsync_schema_free(desired);
	free(ddl);
	/* a DROP ... CASCADE takes more entries per table than the CREATE did */
	char last[64];
	snprintf(last, sizeof last, "DROP TABLE \"t%d\" CASCADE", n - 1);
	const int drop_batch = (int)(promised / locks_taken(ctx, conn, last));
	assert_true(drop_batch >= 1);
	drop_chain(ctx, conn, n, drop_batch);
	exec_ok(ctx, conn, "DROP SCHEMA many CASCADE");
	dbsync_conn_close(conn);
}

/* Scripts of 3 tables each for Django's DDL: the references between them
 * are met by each script making the tables it points at, and the result is
 * the one script's. */
static void small_chunks_same_result(void **state)
{
	dbsync_ctx *ctx = *state;
	NEED_SERVER();
	size_t len;
	char *sql = test_read_fixture("django52_postgres.sql", &len);
	dbsync_conn *conn = fresh_schema(ctx, "dj52chunk");
	exec_ok(ctx, conn, sql);
	dbsync_schema *desired = parse_ok(ctx, sql, len);
	int64_t before = leftovers(ctx, conn);
	((dbs_pg_conn *)conn->impl)->shadow_chunk = 3;
	dbsync_conn_reset_counters(conn);
	dbsync_schema *norm = shadow_ok(ctx, conn, desired);
	assert_int_equal(dbsync_conn_catalog_queries(conn), (desired->tables.n + 2) / 3);
	assert_int_equal(leftovers(ctx, conn), before);
	assert_int_equal(norm->tables.n, desired->tables.n);
	for (size_t i = 0; i < norm->tables.n; i++)
		assert_string_equal(norm->tables.items[i]->name, desired->tables.items[i]->name);
	dbsync_schema *live = introspect_ok(ctx, conn);
	assert_same(ctx, norm, live);
	dbsync_schema_free(live);
	dbsync_schema_free(norm);
	dbsync_schema_free(desired);

	/* a view is not run in the shadow (views are not compared, and the shadow
	 * runs only rendered tables): the tables still split into two scripts */
	static const char view[] = "CREATE TABLE \"a1\" (\"id\" integer PRIMARY KEY);\n"
		"CREATE TABLE \"a2\" (\"id\" integer PRIMARY KEY REFERENCES \"a1\");\n"
		"CREATE TABLE \"a3\" (\"id\" integer PRIMARY KEY REFERENCES \"a2\");\n"
		"CREATE TABLE \"a4\" (\"id\" integer PRIMARY KEY REFERENCES \"a3\");\n"
		"CREATE VIEW \"v\" AS SELECT \"id\" FROM \"a1\";\n";
	desired = parse_ok(ctx, view, strlen(view));
	dbsync_conn_reset_counters(conn);
	norm = shadow_ok(ctx, conn, desired);
	assert_int_equal(dbsync_conn_catalog_queries(conn), 2);
	assert_int_equal(norm->tables.n, 4);
	dbsync_schema_free(norm);
	dbsync_schema_free(desired);

	/* inline references, followed from script to script (a4 needs a3, which
	 * needs a2, which needs a1) */
	desired = parse_ok(ctx, view, strlen(view) - strlen("CREATE VIEW \"v\" AS SELECT \"id\" FROM \"a1\";\n"));
	dbsync_conn_reset_counters(conn);
	norm = shadow_ok(ctx, conn, desired);
	assert_int_equal(dbsync_conn_catalog_queries(conn), 2);
	assert_int_equal(norm->tables.n, 4);
	/* written inline, so unnamed: the server's "a4_id_fkey" is not kept */
	const dbs_constraint *a4fk = NULL;
	for (size_t i = 0; i < norm->tables.items[3]->constraints.n; i++)
		if (norm->tables.items[3]->constraints.items[i]->kind == DBS_CON_FOREIGN)
			a4fk = norm->tables.items[3]->constraints.items[i];
	assert_non_null(a4fk);
	assert_null(a4fk->name);
	assert_string_equal(a4fk->ref_table, "a3");
	dbsync_schema_free(norm);
	dbsync_schema_free(desired);
	exec_ok(ctx, conn, "DROP SCHEMA dj52chunk CASCADE");
	dbsync_conn_close(conn);
	free(sql);
}

/* The planner sends through the shadow only the tables the parser's canonical
 * forms find missing or different: a database in sync with plain DDL costs no
 * shadow round trip, one drifted table costs one, and the plan is the same as
 * with everything normalized. */
static void only_different_tables_go_through_the_shadow(void **state)
{
	dbsync_ctx *ctx = *state;
	NEED_SERVER();
	static const char ddl[] =
		"CREATE TABLE \"s_a\" (\"id\" bigint NOT NULL PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY, "
		"\"name\" varchar(20) NOT NULL, \"n\" integer NULL CHECK (\"n\" >= 0), \"price\" numeric(10, 2) NULL, "
		"\"seen\" timestamp with time zone NULL);\n"
		"CREATE TABLE \"s_b\" (\"id\" bigint NOT NULL PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY, "
		"\"code\" varchar(40) NOT NULL UNIQUE, \"a_id\" bigint NOT NULL);\n"
		"ALTER TABLE \"s_b\" ADD CONSTRAINT \"s_b_a_id_fk\" FOREIGN KEY (\"a_id\") REFERENCES \"s_a\" (\"id\") "
		"DEFERRABLE INITIALLY DEFERRED;\n"
		"CREATE INDEX \"s_b_a_id_idx\" ON \"s_b\" (\"a_id\");\n"
		"CREATE INDEX \"s_b_code_like\" ON \"s_b\" (\"code\" varchar_pattern_ops);\n";
	dbsync_conn *conn = fresh_schema(ctx, "subset");
	exec_ok(ctx, conn, ddl);
	dbsync_schema *desired = parse_ok(ctx, ddl, strlen(ddl));
	dbsync_plan *plan = NULL;
	dbsync_conn_reset_counters(conn);
	assert_int_equal(dbsync_plan_compute(&plan, ctx, conn, desired, NULL), 0);
	assert_int_equal(dbsync_plan_op_count(plan), 0);
	/* the catalog read alone */
	assert_int_equal(dbsync_conn_catalog_queries(conn), 1);
	dbsync_plan_free(plan);

	/* s_a drifts: its check is gone and a default the parser cannot spell
	 * like the server appears in the desired side */
	exec_ok(ctx, conn, "ALTER TABLE \"s_a\" DROP CONSTRAINT \"s_a_n_check\"");
	dbsync_conn_reset_counters(conn);
	assert_int_equal(dbsync_plan_compute(&plan, ctx, conn, desired, NULL), 0);
	assert_int_equal(dbsync_conn_catalog_queries(conn), 2);
	assert_int_equal(dbsync_plan_pending_count(plan), 1);
	assert_string_equal(dbsync_plan_op(plan, 0)->table, "s_a");
	dbsync_plan_free(plan);

	/* the subset the shadow normalized equals the whole normalized */
	bool only[2] = { true, false };
	dbsync_schema *some = NULL, *all = shadow_ok(ctx, conn, desired);
	assert_int_equal(dbs_pg_normalize_desired_some(&some, ctx, conn, desired, only), 0);
	assert_int_equal(some->tables.n, 2);
	same_table(some->tables.items[0], all->tables.items[0]);
	assert_string_equal(some->tables.items[1]->name, "s_b");
	dbsync_schema_free(some);
	dbsync_schema_free(all);
	dbsync_schema_free(desired);
	exec_ok(ctx, conn, "DROP SCHEMA subset CASCADE");
	dbsync_conn_close(conn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(django_ddl_shows_no_difference, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(migrate_built_database_shows_no_difference, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(references_outside_the_selection, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(serial_defaults_and_odd_statements, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(role_without_create_schema, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(broken_ddl_fails_clearly, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(round_trips_do_not_grow, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(more_tables_than_locks, tiny_setup, tiny_teardown),
		cmocka_unit_test_setup_teardown(small_chunks_same_result, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(only_different_tables_go_through_the_shadow, ctx_setup, ctx_teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
