/* The PostgreSQL backend's fleet slots against the suite's server: the
 * database's schemas matched by patterns, many schemas read in the catalog
 * queries of one and each exactly as a connection syncing it reads it, the
 * synced schema switched lazily (search_path set once, before the next
 * statement, and never growing), and the sync lock taken per schema. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "backend_postgres.h"
#include "buf.h"
#include "ctx.h"
#include "dbsync/dbsync.h"
#include "dbsync/fleet.h"
#include "model.h"
#include "plan_internal.h"
#include "test_support.h"

static test_server server;

static int group_setup(void **state)
{
	(void)state;
	return test_server_open_db(&server, &TEST_PG_SERVER);
}

static int group_teardown(void **state)
{
	(void)state;
	return test_server_stop(&server);
}

/* The superuser on this program's database; `schema` synced when given, else
 * the session's current schema (public). */
static dbsync_conn *open_db(dbsync_ctx *ctx, const char *schema)
{
	const char *keys[] = { "name", "user", "host", "schema" };
	const char *vals[] = { server.db, "dbsync", server.dir, schema };
	dbsync_conn *conn = NULL;
	if (dbsync_conn_open_params(&conn, ctx, DBSYNC_DIALECT_POSTGRES, keys, vals, schema ? 4 : 3))
		fail_msg("cannot connect to the test server: %s", dbsync_ctx_error(ctx)->message);
	return conn;
}

static dbsync_schema *parse_ok(dbsync_ctx *ctx, const char *sql)
{
	dbsync_schema *s = NULL;
	if (dbsync_schema_parse(&s, ctx, DBSYNC_DIALECT_POSTGRES, sql, strlen(sql)))
		fail_msg("parse failed: %s", dbsync_ctx_error(ctx)->message);
	return s;
}

static int64_t query_ok(dbsync_ctx *ctx, dbsync_conn *conn, const char *sql)
{
	int64_t v = -1;
	if (conn->backend->query_int64(&v, ctx, conn, sql))
		fail_msg("query failed: %s", dbsync_ctx_error(ctx)->message);
	return v;
}

static void use_ok(dbsync_ctx *ctx, dbsync_conn *conn, const char *schema)
{
	if (conn->backend->use_namespace(ctx, conn, schema))
		fail_msg("use_namespace(%s) failed: %s", schema, dbsync_ctx_error(ctx)->message);
}

/* Run `sql` (names unqualified) in each of the schemas prefix1..prefixN,
 * made afresh, over one connection switched from one to the next. */
static void make_schemas(dbsync_ctx *ctx, const char *prefix, int n, const char *sql)
{
	dbsync_conn *conn = open_db(ctx, NULL);
	dbs_buf b = DBS_BUF_INIT;
	for (int i = 1; i <= n; i++) {
		dbs_buf_clear(&b);
		dbs_buf_printf(&b, "DROP SCHEMA IF EXISTS %s%d CASCADE; CREATE SCHEMA %s%d", prefix, i, prefix, i);
		exec_ok(ctx, conn, dbs_buf_cstr(&b));
		dbs_buf_clear(&b);
		dbs_buf_printf(&b, "%s%d", prefix, i);
		use_ok(ctx, conn, dbs_buf_cstr(&b));
		if (sql)
			exec_ok(ctx, conn, sql);
	}
	dbs_buf_free(&b);
	dbsync_conn_close(conn);
}

/* ---- namespaces and patterns ---- */

static size_t list_ok(char ***names, dbsync_ctx *ctx, dbsync_conn *conn, const char *const *patterns, size_t n)
{
	size_t got = 0;
	if (dbsync_conn_namespaces(names, &got, ctx, conn, patterns, n))
		fail_msg("dbsync_conn_namespaces failed: %s", dbsync_ctx_error(ctx)->message);
	return got;
}

static bool listed(char **names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

/* The namespaces patterns select, joined by " " (by "|" when a name holds a space). */
static void expect_names(dbsync_ctx *ctx, dbsync_conn *conn, const char *const *patterns, size_t n,
	const char *want)
{
	char **names = NULL;
	size_t got = list_ok(&names, ctx, conn, patterns, n);
	const char *sep = strchr(want, '|') ? "|" : " ";
	dbs_buf b = DBS_BUF_INIT;
	for (size_t i = 0; i < got; i++)
		dbs_buf_printf(&b, "%s%s", i ? sep : "", names[i]);
	assert_string_equal(dbs_buf_cstr(&b), want);
	dbs_buf_free(&b);
	dbsync_names_free(names, got);
}

static void namespaces_match_patterns_without_system_schemas(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_conn *conn = open_db(ctx, NULL);
	exec_ok(ctx, conn, "DROP SCHEMA IF EXISTS ns_alpha, ns_beta, ns_gamma, \"ns Odd\", dbsync_shadow_1_1 CASCADE; "
		"CREATE SCHEMA ns_alpha; CREATE SCHEMA ns_beta; CREATE SCHEMA ns_gamma; CREATE SCHEMA \"ns Odd\"; "
		/* a shadow a crashed run might have left: never a member */
		"CREATE SCHEMA dbsync_shadow_1_1; "
		/* the session's temporary schemas (pg_temp_N, pg_toast_temp_N) exist from now on */
		"CREATE TEMPORARY TABLE ns_temp (id int)");
	assert_int_equal(query_ok(ctx, conn, "SELECT count(*) FROM pg_catalog.pg_namespace "
		"WHERE nspname LIKE 'pg\\_temp\\_%' OR nspname LIKE 'pg\\_toast\\_temp\\_%'") >= 2, 1);

	char **names = NULL;
	uint64_t before = dbsync_conn_catalog_queries(conn);
	size_t n = list_ok(&names, ctx, conn, NULL, 0);
	assert_int_equal(dbsync_conn_catalog_queries(conn) - before, 1);
	assert_true(listed(names, n, "public"));
	assert_true(listed(names, n, "ns_alpha"));
	assert_true(listed(names, n, "ns Odd"));
	for (size_t i = 0; i < n; i++) {
		assert_false(strcmp(names[i], "pg_catalog") == 0 || strcmp(names[i], "information_schema") == 0);
		assert_false(strncmp(names[i], "pg_toast", 8) == 0 || strncmp(names[i], "pg_temp_", 8) == 0);
		assert_false(strncmp(names[i], "dbsync_shadow_", 14) == 0);
		if (i)
			assert_true(strcmp(names[i - 1], names[i]) < 0); /* sorted as strcmp sorts */
	}
	dbsync_names_free(names, n);

	const char *exact[] = { "ns_beta" };
	expect_names(ctx, conn, exact, 1, "ns_beta");
	const char *glob[] = { "ns_*" };
	expect_names(ctx, conn, glob, 1, "ns_alpha ns_beta ns_gamma");
	/* a regular expression matches the whole name; several patterns add up */
	const char *re[] = { "re:ns_(alpha|gamma)", "re:ns_", "re:ns O.." };
	expect_names(ctx, conn, re, 3, "ns Odd|ns_alpha|ns_gamma");
	const char *none[] = { "no_such_*" };
	expect_names(ctx, conn, none, 1, "");

	const char *bad[] = { "ns_*", "re:ns_(" };
	size_t got = 99;
	assert_int_equal(dbsync_conn_namespaces(&names, &got, ctx, conn, bad, 2), DBSYNC_EINVALID);
	assert_null(names);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "re:ns_("));
	dbsync_ctx_clear_error(ctx);

	exec_ok(ctx, conn, "DROP SCHEMA ns_alpha, ns_beta, ns_gamma, \"ns Odd\", dbsync_shadow_1_1 CASCADE");
	dbsync_conn_close(conn);
}

/* ---- many schemas read as one ---- */

/* What a Django project declares: the desired side of the fleet tests. */
static const char desired_ddl[] =
	"CREATE TABLE parent (id serial PRIMARY KEY, code varchar(20) NOT NULL UNIQUE, "
	"n integer CHECK (n >= 0), created timestamp with time zone NOT NULL DEFAULT now());\n"
	"CREATE TABLE child (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
	"parent_id integer NOT NULL REFERENCES parent (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED, "
	"label text, twice integer GENERATED ALWAYS AS (length(label) * 2) STORED);\n"
	"CREATE INDEX child_label_lower ON child (lower(label)) WHERE label IS NOT NULL;\n"
	"CREATE UNIQUE INDEX child_parent_label ON child (parent_id, label);\n";

/* What only the database has, each printed by the server in a way that
 * depends on search_path: a type and a sequence of the schema itself (in
 * column types, defaults, checks), an exclusion constraint, a view, a
 * trigger, comments. */
static const char extras_ddl[] =
	"CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');\n"
	"CREATE SEQUENCE free_seq;\n"
	"CREATE TABLE extra (id integer PRIMARY KEY DEFAULT nextval('free_seq'), "
	"feeling mood NOT NULL DEFAULT 'ok' CHECK (feeling <> 'sad'::mood), note text, "
	"EXCLUDE USING btree (note WITH =));\n"
	"CREATE INDEX extra_feeling ON extra (feeling) WHERE feeling = 'happy'::mood;\n"
	"COMMENT ON TABLE extra IS 'not a model';\n"
	"COMMENT ON COLUMN extra.feeling IS 'how it went';\n"
	"CREATE VIEW parent_codes AS SELECT p.id, p.code, e.feeling FROM parent p JOIN extra e ON e.id = p.id;\n"
	"CREATE TRIGGER extra_touch BEFORE UPDATE ON extra FOR EACH ROW EXECUTE FUNCTION public.fleet_touch();\n";

/* Schemas prefix1..prefixN as their models say, and with what only the
 * database has (extras_ddl, whose trigger calls a function in public). */
static void make_members(dbsync_ctx *ctx, dbsync_conn *conn, const char *prefix, int n)
{
	exec_ok(ctx, conn, "CREATE OR REPLACE FUNCTION public.fleet_touch() RETURNS trigger LANGUAGE plpgsql "
		"AS $$BEGIN RETURN NEW; END$$");
	char all[sizeof desired_ddl + sizeof extras_ddl];
	snprintf(all, sizeof all, "%s%s", desired_ddl, extras_ddl);
	make_schemas(ctx, prefix, n, all);
}

static char *to_sql_ok(dbsync_ctx *ctx, const dbsync_schema *s)
{
	char *sql = NULL;
	if (dbsync_schema_to_sql(&sql, ctx, s))
		fail_msg("to_sql failed: %s", dbsync_ctx_error(ctx)->message);
	return sql;
}

/* Two reads of one schema are the same: everything the diff compares, the
 * DDL they render, and the views and triggers besides. */
static void assert_same_schema(dbsync_ctx *ctx, const dbsync_schema *a, const dbsync_schema *b)
{
	assert_true(dbs_schema_fingerprint(a) == dbs_schema_fingerprint(b));
	char *x = to_sql_ok(ctx, a), *y = to_sql_ok(ctx, b);
	assert_string_equal(x, y);
	free(x);
	free(y);
	assert_int_equal(a->views.n, b->views.n);
	for (size_t i = 0; i < a->views.n; i++) {
		assert_string_equal(a->views.items[i]->name, b->views.items[i]->name);
		assert_string_equal(a->views.items[i]->definition, b->views.items[i]->definition);
	}
	assert_int_equal(a->tables.n, b->tables.n);
	for (size_t i = 0; i < a->tables.n; i++) {
		const dbs_table *s = a->tables.items[i], *t = b->tables.items[i];
		assert_int_equal(s->triggers.n, t->triggers.n);
		for (size_t j = 0; j < s->triggers.n; j++)
			assert_string_equal(s->triggers.items[j]->sql, t->triggers.items[j]->sql);
	}
}

static const dbs_constraint *find_fk(const dbs_table *t)
{
	for (size_t i = 0; i < t->constraints.n; i++)
		if (t->constraints.items[i]->kind == DBS_CON_FOREIGN)
			return t->constraints.items[i];
	return NULL;
}

#define MANY 5

static void introspect_many_equals_one_at_a_time(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_conn *conn = open_db(ctx, NULL);
	make_members(ctx, conn, "im", MANY);
	/* references across schemas: im2..im5 to im1's parent (and im1 to its own) */
	for (int i = 1; i <= MANY; i++) {
		char sql[200];
		snprintf(sql, sizeof sql, "CREATE TABLE im%d.xref (id int PRIMARY KEY, parent_id int "
			"REFERENCES im1.parent (id))", i);
		exec_ok(ctx, conn, sql);
	}

	const char *names[MANY + 2] = { "im1", "im2", "im3", "no_such_schema", "im4", "im5",
		"a_name_longer_than_postgresql_keeps_for_any_name_so_never_a_schema_xx" };
	dbsync_schema *outs[MANY + 2];
	uint64_t before = dbsync_conn_catalog_queries(conn);
	assert_int_equal(conn->backend->introspect_many(outs, ctx, conn, names, MANY + 2), 0);
	uint64_t many = dbsync_conn_catalog_queries(conn) - before;
	assert_null(outs[3]);
	assert_null(outs[6]);

	for (size_t i = 0; i < MANY + 2; i++) {
		if (i == 3 || i == 6)
			continue;
		/* a connection of its own syncing that schema, and this one switched to it */
		dbsync_conn *own = open_db(ctx, names[i]);
		dbsync_schema *one = NULL, *switched = NULL;
		before = dbsync_conn_catalog_queries(own);
		assert_int_equal(dbsync_conn_introspect(&one, ctx, own), 0);
		assert_int_equal(dbsync_conn_catalog_queries(own) - before, many);
		use_ok(ctx, conn, names[i]);
		assert_int_equal(dbsync_conn_introspect(&switched, ctx, conn), 0);
		assert_same_schema(ctx, outs[i], one);
		assert_same_schema(ctx, outs[i], switched);

		/* printed as the schema's own: its type, sequence and tables unqualified */
		const dbs_table *extra = dbs_schema_find_table(outs[i], "extra");
		assert_non_null(extra);
		assert_string_equal(extra->columns.items[1]->type, "mood");
		assert_null(strstr(extra->columns.items[0]->default_expr, names[i]));
		assert_non_null(strstr(extra->columns.items[0]->default_expr, "free_seq"));
		assert_int_equal(outs[i]->views.n, 1);
		assert_null(strstr(outs[i]->views.items[0]->definition, names[i]));
		assert_int_equal(extra->triggers.n, 1);
		/* the server names the trigger's table with its schema, always; the
		 * function, in public, without */
		assert_non_null(strstr(extra->triggers.items[0]->sql, "EXECUTE FUNCTION fleet_touch()"));
		/* a reference into another schema names it; one into its own does not */
		const dbs_constraint *fk = find_fk(dbs_schema_find_table(outs[i], "xref"));
		assert_non_null(fk);
		assert_string_equal(fk->ref_table, i == 0 ? "parent" : "im1.parent");
		assert_int_equal(fk->ref_cols.n, 1);
		assert_string_equal(fk->ref_cols.items[0], "id");
		dbsync_schema_free(one);
		dbsync_schema_free(switched);
		dbsync_conn_close(own);
		/* each model stands alone: the next ones are compared with this one
		 * gone (the sanitizer build sees any pointer between them) */
		dbsync_schema_free(outs[i]);
	}

	/* the single read of a schema that does not exist says so */
	dbsync_schema *s = NULL;
	use_ok(ctx, conn, "no_such_schema");
	assert_int_equal(dbsync_conn_introspect(&s, ctx, conn), DBSYNC_EINVALID);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "\"no_such_schema\" does not exist"));
	dbsync_ctx_clear_error(ctx);
	dbsync_conn_close(conn);
}

/* The catalog read inside the caller's transaction leaves its search_path
 * and its jit as they were (the per-schema paths and jit off are the read's
 * own). */
static void introspect_many_in_a_transaction_keeps_the_path(void **state)
{
	dbsync_ctx *ctx = *state;
	make_schemas(ctx, "tx", 2, "CREATE TABLE t (id int PRIMARY KEY)");
	dbsync_conn *conn = open_db(ctx, "tx1");
	exec_ok(ctx, conn, "BEGIN");
	exec_ok(ctx, conn, "SET LOCAL jit = on");
	const char *names[] = { "tx2", "tx1" };
	dbsync_schema *outs[2];
	assert_int_equal(conn->backend->introspect_many(outs, ctx, conn, names, 2), 0);
	assert_non_null(outs[0]);
	assert_non_null(outs[1]);
	assert_int_equal(query_ok(ctx, conn, "SELECT pg_catalog.current_setting('search_path') = "
		"'tx1, \"$user\", public'"), 1);
	assert_int_equal(query_ok(ctx, conn, "SELECT pg_catalog.current_setting('jit') = 'on'"), 1);
	exec_ok(ctx, conn, "CREATE TABLE made_here (id int)");
	exec_ok(ctx, conn, "COMMIT");
	assert_int_equal(query_ok(ctx, conn, "SELECT count(*) FROM pg_catalog.pg_tables "
		"WHERE tablename = 'made_here' AND schemaname = 'tx1'"), 1);
	dbsync_schema_free(outs[0]);
	dbsync_schema_free(outs[1]);
	dbsync_conn_close(conn);
}

/* ---- fleet plans: one pass ---- */

static uint64_t single_plan_queries(dbsync_ctx *ctx, const char *schema, const dbsync_schema *desired,
	size_t *pending)
{
	dbsync_conn *conn = open_db(ctx, schema);
	dbsync_plan *plan = NULL;
	uint64_t before = dbsync_conn_catalog_queries(conn);
	if (dbsync_plan_compute(&plan, ctx, conn, desired, NULL))
		fail_msg("plan failed: %s", dbsync_ctx_error(ctx)->message);
	uint64_t q = dbsync_conn_catalog_queries(conn) - before;
	*pending = dbsync_plan_pending_count(plan);
	dbsync_plan_free(plan);
	dbsync_conn_close(conn);
	return q;
}

static dbsync_fleet *fleet_ok(dbsync_ctx *ctx, dbsync_conn *conn, const char *const *members, size_t n,
	const dbsync_schema *desired)
{
	dbsync_fleet *f = NULL;
	if (dbsync_fleet_plan(&f, ctx, conn, members, n, desired, NULL))
		fail_msg("fleet plan failed: %s", dbsync_ctx_error(ctx)->message);
	return f;
}

#define FLEET 200

static void fleet_plan_reads_the_catalog_as_often_as_one_plan(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_schema *desired = parse_ok(ctx, desired_ddl);
	dbsync_conn *conn = open_db(ctx, NULL);
	make_members(ctx, conn, "fp", FLEET);

	char *names[FLEET];
	for (int i = 0; i < FLEET; i++) {
		names[i] = malloc(16);
		snprintf(names[i], 16, "fp%d", i + 1);
	}
	size_t pending = 99;
	uint64_t in_sync = single_plan_queries(ctx, "fp1", desired, &pending);
	assert_int_equal(pending, 0);
	const size_t sizes[] = { 1, 10, FLEET };
	for (size_t k = 0; k < 3; k++) {
		uint64_t before = dbsync_conn_catalog_queries(conn);
		dbsync_fleet *f = fleet_ok(ctx, conn, (const char *const *)names, sizes[k], desired);
		assert_int_equal(dbsync_fleet_catalog_queries(f), in_sync);
		assert_int_equal(dbsync_conn_catalog_queries(conn) - before, in_sync);
		for (size_t i = 0; i < sizes[k]; i++)
			assert_int_equal(dbsync_fleet_member_state(f, i), DBSYNC_MEMBER_IN_SYNC);
		dbsync_fleet_free(f);
	}
	/* the fleet leaves the connection syncing the schema it synced */
	assert_string_equal(conn->backend->synced_namespace(conn), "public");

	/* drift in some members: still one read and one shadow for all */
	exec_ok(ctx, conn, "ALTER TABLE fp3.child DROP COLUMN label CASCADE; ALTER TABLE fp150.parent DROP COLUMN n");
	uint64_t drifted = single_plan_queries(ctx, "fp3", desired, &pending);
	assert_true(pending > 0);
	const size_t drift_sizes[] = { 10, FLEET };
	for (size_t k = 0; k < 2; k++) {
		dbsync_fleet *f = fleet_ok(ctx, conn, (const char *const *)names, drift_sizes[k], desired);
		assert_int_equal(dbsync_fleet_catalog_queries(f), drifted);
		for (size_t i = 0; i < drift_sizes[k]; i++)
			assert_int_equal(dbsync_fleet_member_state(f, i),
				i == 2 || i == 149 ? DBSYNC_MEMBER_CHANGED : DBSYNC_MEMBER_IN_SYNC);
		dbsync_fleet_free(f);
	}
	for (int i = 0; i < FLEET; i++)
		free(names[i]);
	dbsync_conn_close(conn);
	dbsync_schema_free(desired);
}

static void missing_member_fails_alone(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_schema *desired = parse_ok(ctx, desired_ddl);
	make_schemas(ctx, "mm", 2, NULL);
	dbsync_conn *conn = open_db(ctx, "mm1");
	const char *members[] = { "mm1", "mm_gone", "mm2" };
	dbsync_fleet *f = fleet_ok(ctx, conn, members, 3, desired);
	assert_int_equal(dbsync_fleet_member_state(f, 0), DBSYNC_MEMBER_CHANGED);
	assert_int_equal(dbsync_fleet_member_state(f, 1), DBSYNC_MEMBER_FAILED);
	assert_int_equal(dbsync_fleet_member_state(f, 2), DBSYNC_MEMBER_CHANGED);
	assert_non_null(strstr(dbsync_fleet_member_error(f, 1)->message, "\"mm_gone\""));
	assert_null(dbsync_fleet_member_plan(f, 1));
	assert_true(dbsync_plan_pending_count(dbsync_fleet_member_plan(f, 2)) > 0);
	dbsync_fleet_free(f);
	assert_string_equal(conn->backend->synced_namespace(conn), "mm1");
	dbsync_conn_close(conn);
	dbsync_schema_free(desired);
}

/* A tenant's table referencing a shared one in public (django-tenants: a
 * tenant app's model with a foreign key to the shared auth_user), made by
 * the DDL Django writes, which names no schema: read as that DDL names it,
 * so the fleet is in sync. A reference into a schema off the path keeps its
 * schema (introspect_many_equals_one_at_a_time). */
static void reference_to_a_shared_table_reads_as_written(void **state)
{
	dbsync_ctx *ctx = *state;
	static const char tenant_ddl[] =
		"CREATE TABLE post (id serial PRIMARY KEY, author_id integer NOT NULL REFERENCES shared_user (id) "
		"DEFERRABLE INITIALLY DEFERRED);\n";
	dbsync_conn *conn = open_db(ctx, NULL);
	exec_ok(ctx, conn, "DROP TABLE IF EXISTS public.shared_user CASCADE; "
		"CREATE TABLE public.shared_user (id serial PRIMARY KEY)");
	make_schemas(ctx, "sh", 2, tenant_ddl);
	dbsync_schema *desired = parse_ok(ctx, tenant_ddl);
	const char *members[] = { "sh1", "sh2" };
	dbsync_schema *outs[2];
	assert_int_equal(conn->backend->introspect_many(outs, ctx, conn, members, 2), 0);
	for (int i = 0; i < 2; i++) {
		const dbs_constraint *fk = find_fk(dbs_schema_find_table(outs[i], "post"));
		assert_non_null(fk);
		assert_string_equal(fk->ref_table, "shared_user");
		dbsync_schema_free(outs[i]);
	}
	dbsync_fleet *f = fleet_ok(ctx, conn, members, 2, desired);
	assert_int_equal(dbsync_fleet_member_state(f, 0), DBSYNC_MEMBER_IN_SYNC);
	assert_int_equal(dbsync_fleet_member_state(f, 1), DBSYNC_MEMBER_IN_SYNC);
	dbsync_fleet_free(f);
	size_t pending = 99;
	single_plan_queries(ctx, "sh2", desired, &pending);
	assert_int_equal(pending, 0);
	exec_ok(ctx, conn, "DROP SCHEMA sh1, sh2 CASCADE; DROP TABLE public.shared_user");
	dbsync_conn_close(conn);
	dbsync_schema_free(desired);
}

/* ---- use_namespace ---- */

static size_t tables_in(dbsync_ctx *ctx, dbsync_conn *conn, const char *schema)
{
	char sql[200];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = '%s'", schema);
	return (size_t)query_ok(ctx, conn, sql);
}

static void use_namespace_then_apply_lands_in_that_schema(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_schema *desired = parse_ok(ctx, desired_ddl);
	make_schemas(ctx, "ua", 3, NULL);
	dbsync_conn *conn = open_db(ctx, NULL);
	size_t in_public = tables_in(ctx, conn, "public");

	use_ok(ctx, conn, "ua1");
	assert_string_equal(conn->backend->synced_namespace(conn), "ua1");
	dbsync_plan *plan = NULL;
	assert_int_equal(dbsync_plan_compute(&plan, ctx, conn, desired, NULL), 0);
	assert_int_equal(dbsync_plan_apply(ctx, conn, plan, NULL), 0);
	assert_int_equal(tables_in(ctx, conn, "ua1"), 2);
	assert_int_equal(tables_in(ctx, conn, "ua2"), 0);
	assert_int_equal(tables_in(ctx, conn, "public"), in_public);

	/* a plan made for one schema is not applied to another */
	dbsync_plan *for_ua2 = NULL;
	use_ok(ctx, conn, "ua2");
	assert_int_equal(dbsync_plan_compute(&for_ua2, ctx, conn, desired, NULL), 0);
	use_ok(ctx, conn, "ua1");
	assert_int_equal(dbsync_plan_apply(ctx, conn, for_ua2, NULL), DBSYNC_EINVALID);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "made for schema \"ua2\""));
	dbsync_ctx_clear_error(ctx);
	use_ok(ctx, conn, "ua2");
	assert_int_equal(dbsync_plan_apply(ctx, conn, for_ua2, NULL), 0);
	assert_int_equal(tables_in(ctx, conn, "ua2"), 2);
	dbsync_plan_free(for_ua2);

	/* a schema that does not exist: recorded (lazily, no round trip), then
	 * every statement fails naming it, and nothing lands in the next
	 * schema of the path (public) */
	dbsync_plan *plan2 = NULL;
	assert_int_equal(conn->backend->use_namespace(ctx, conn, "ua_gone"), 0);
	assert_string_equal(conn->backend->synced_namespace(conn), "ua_gone");
	assert_int_equal(dbsync_plan_compute(&plan2, ctx, conn, desired, NULL), DBSYNC_EINVALID);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "\"ua_gone\" does not exist"));
	dbsync_ctx_clear_error(ctx);
	assert_int_equal(dbsync_conn_exec(ctx, conn, "CREATE TABLE stray (id int)"), DBSYNC_EINVALID);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "\"ua_gone\" does not exist"));
	dbsync_ctx_clear_error(ctx);
	int64_t v = 0;
	assert_int_equal(conn->backend->query_int64(&v, ctx, conn, "SELECT 1"), DBSYNC_EINVALID);
	dbsync_ctx_clear_error(ctx);

	/* one dropped between planning and applying, after its path was set */
	use_ok(ctx, conn, "ua3");
	assert_int_equal(dbsync_plan_compute(&plan2, ctx, conn, desired, NULL), 0);
	dbsync_conn *other = open_db(ctx, NULL);
	exec_ok(ctx, other, "DROP SCHEMA ua3");
	dbsync_conn_close(other);
	assert_true(dbsync_plan_apply(ctx, conn, plan2, NULL) != 0);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "\"ua3\""));
	dbsync_ctx_clear_error(ctx);
	use_ok(ctx, conn, "public");
	assert_int_equal(tables_in(ctx, conn, "public"), in_public);
	dbsync_plan_free(plan);
	dbsync_plan_free(plan2);
	dbsync_conn_close(conn);
	dbsync_schema_free(desired);
}

static void search_path_stays_short_after_many_switches(void **state)
{
	dbsync_ctx *ctx = *state;
	make_schemas(ctx, "sp", 2, "CREATE TABLE here (id int)");
	dbsync_conn *conn = open_db(ctx, NULL);
	for (int i = 0; i < 1000; i++) {
		use_ok(ctx, conn, i % 2 ? "sp2" : "sp1");
		/* a statement after every tenth switch: the path is set then */
		if (i % 10 == 9)
			assert_int_equal(query_ok(ctx, conn, "SELECT count(*) FROM here"), 0);
	}
	assert_int_equal(query_ok(ctx, conn, "SELECT pg_catalog.current_setting('search_path') = "
		"'sp2, \"$user\", public'"), 1);
	use_ok(ctx, conn, "public");
	assert_int_equal(query_ok(ctx, conn, "SELECT pg_catalog.current_setting('search_path') = "
		"'public, \"$user\", public'"), 1);

	/* a path set inside a transaction that rolls back is set again */
	exec_ok(ctx, conn, "BEGIN");
	use_ok(ctx, conn, "sp1");
	assert_int_equal(query_ok(ctx, conn, "SELECT count(*) FROM here"), 0);
	exec_ok(ctx, conn, "ROLLBACK");
	exec_ok(ctx, conn, "INSERT INTO here VALUES (1)");
	assert_int_equal(query_ok(ctx, conn, "SELECT count(*) FROM sp1.here"), 1);
	dbsync_conn_close(conn);
}

/* ---- the sync lock, per schema ---- */

static struct dbsync_plan plan_for(const char *schema)
{
	struct dbsync_plan plan;
	memset(&plan, 0, sizeof plan);
	plan.dialect = DBSYNC_DIALECT_POSTGRES;
	plan.namespace_name = schema;
	return plan;
}

static void sync_lock_is_per_schema(void **state)
{
	dbsync_ctx *ctx = *state;
	make_schemas(ctx, "lk", 2, NULL);
	dbsync_conn *a = open_db(ctx, "lk1"), *b = open_db(ctx, NULL), *c = open_db(ctx, NULL);
	use_ok(ctx, b, "lk2");
	use_ok(ctx, c, "lk1");
	const dbs_backend *be = a->backend;
	struct dbsync_plan p1 = plan_for("lk1"), p2 = plan_for("lk2");
	assert_int_equal(be->apply_begin(ctx, a, &p1), 0);
	/* another schema: not held up */
	assert_int_equal(be->apply_begin(ctx, b, &p2), 0);
	/* the same schema: refused at once, naming it */
	assert_int_equal(be->apply_begin(ctx, c, &p1), DBSYNC_ELOCKED);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "schema \"lk1\""));
	dbsync_ctx_clear_error(ctx);
	assert_int_equal(be->apply_end(ctx, b, &p2, 0), 0);
	assert_int_equal(be->apply_end(ctx, a, &p1, 0), 0);
	assert_int_equal(be->apply_begin(ctx, c, &p1), 0);
	assert_int_equal(be->apply_end(ctx, c, &p1, 0), 0);

	/* the script a person runs takes the same key as apply */
	dbs_buf sql = DBS_BUF_INIT;
	be->script_prologue(&sql, &p2);
	char want[128];
	snprintf(want, sizeof want, "pg_advisory_xact_lock(%lld)", (long long)dbs_pg_lock_key("lk2"));
	assert_non_null(strstr(dbs_buf_cstr(&sql), want));
	assert_true(dbs_pg_lock_key("lk1") != dbs_pg_lock_key("lk2"));
	dbs_buf_free(&sql);
	/* held by such a script (a session lock with the key it prints), apply on lk2 waits for nothing else */
	char hold[128];
	snprintf(hold, sizeof hold, "SELECT pg_catalog.pg_advisory_lock(%lld)", (long long)dbs_pg_lock_key("lk2"));
	exec_ok(ctx, a, hold);
	assert_int_equal(be->apply_begin(ctx, b, &p2), DBSYNC_ELOCKED);
	dbsync_ctx_clear_error(ctx);
	assert_int_equal(be->apply_begin(ctx, c, &p1), 0);
	assert_int_equal(be->apply_end(ctx, c, &p1, 0), 0);
	dbsync_conn_close(a);
	dbsync_conn_close(b);
	dbsync_conn_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(namespaces_match_patterns_without_system_schemas, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(introspect_many_equals_one_at_a_time, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(introspect_many_in_a_transaction_keeps_the_path, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(fleet_plan_reads_the_catalog_as_often_as_one_plan, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(missing_member_fails_alone, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(reference_to_a_shared_table_reads_as_written, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(use_namespace_then_apply_lands_in_that_schema, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(search_path_stays_short_after_many_switches, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(sync_lock_is_per_schema, ctx_setup, ctx_teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
