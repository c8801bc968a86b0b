/* MySQL/MariaDB fleets (databases of one server) against the suite's real
 * MariaDB server: listing databases by pattern, the lazy switch of database
 * (use_namespace), reading many databases in the catalog queries of one
 * (introspect_many), fleet plans of 1, 10 and 100 databases costing the
 * catalog queries of one database's plan, a missing member, a member the
 * user's grants hide from the one pass (it fails alone), an apply that
 * lands in its own databases only, and the per-database sync lock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "backend_mysql.h"
#include "buf.h"
#include "ctx.h"
#include "dbsync/dbsync.h"
#include "dbsync/fleet.h"
#include "model.h"
#include "test_support.h"

static test_server server;
static char server_socket[256];

#define N_MEMBERS 100
/* the fleet of the plan tests: <db>__m000 .. <db>__m099, every third one
 * (m000, m003, ...) without book.pages */
static char members[N_MEMBERS][64];

static const char desired_ddl[] =
	"CREATE TABLE `author` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `name` varchar(100) NOT NULL);\n"
	"CREATE TABLE `book` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `title` varchar(200) NOT NULL, "
	"`author_id` bigint NOT NULL, `pages` int NULL);\n"
	"ALTER TABLE `book` ADD CONSTRAINT `book_author_id_fk` FOREIGN KEY (`author_id`) REFERENCES `author` (`id`);\n";
static const char drifted_ddl[] =
	"CREATE TABLE `author` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `name` varchar(100) NOT NULL);\n"
	"CREATE TABLE `book` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `title` varchar(200) NOT NULL, "
	"`author_id` bigint NOT NULL);\n"
	"ALTER TABLE `book` ADD CONSTRAINT `book_author_id_fk` FOREIGN KEY (`author_id`) REFERENCES `author` (`id`);\n";

/* Root on the test server, connected to database `db`. */
static dbsync_conn *open_db_ro(dbsync_ctx *ctx, const char *db, bool readonly)
{
	const char *keys[] = { "name", "user", "unix_socket", "charset", "readonly" };
	const char *vals[] = { db, "root", server_socket, "utf8mb4", readonly ? "1" : "0" };
	dbsync_conn *conn = NULL;
	if (dbsync_conn_open_params(&conn, ctx, DBSYNC_DIALECT_MYSQL, keys, vals, 5))
		fail_msg("cannot connect to %s: %s", db, dbsync_ctx_error(ctx)->message);
	return conn;
}

static dbsync_conn *open_db(dbsync_ctx *ctx, const char *db)
{
	return open_db_ro(ctx, db, false);
}

static int64_t query_int(dbsync_ctx *ctx, dbsync_conn *conn, const char *sql)
{
	int64_t v = -1;
	if (conn->backend->query_int64(&v, ctx, conn, sql))
		fail_msg("query \"%s\" failed: %s", sql, dbsync_ctx_error(ctx)->message);
	return v;
}

__attribute__((format(printf, 2, 3))) static const char *sqlf(char *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out, 4096, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= 4096)
		fail_msg("SQL too long: %s", fmt);
	return out;
}

/* 1 when the session of conn is in database db (DATABASE() = db). */
static int64_t in_db(dbsync_ctx *ctx, dbsync_conn *conn, const char *db)
{
	char sql[4096];
	return query_int(ctx, conn, sqlf(sql, "SELECT DATABASE() = '%s'", db));
}

/* How many times this session changed its database (COM_INIT_DB and USE). */
static int64_t changes_of_db(dbsync_ctx *ctx, dbsync_conn *conn)
{
	return query_int(ctx, conn, "SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS "
		"WHERE VARIABLE_NAME = 'COM_CHANGE_DB'");
}

/* Make database `name` (dropped first) holding `ddl`, over `conn`. */
static void make_db(dbsync_ctx *ctx, dbsync_conn *conn, const char *name, const char *ddl)
{
	char sql[8192];
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS `%s`; CREATE DATABASE `%s`; USE `%s`; %s", name, name,
		name, ddl);
	exec_ok(ctx, conn, sql);
}

static dbsync_schema *parse_desired(dbsync_ctx *ctx)
{
	dbsync_schema *s = NULL;
	if (dbsync_schema_parse(&s, ctx, DBSYNC_DIALECT_MYSQL, desired_ddl, strlen(desired_ddl)))
		fail_msg("parse: %s", dbsync_ctx_error(ctx)->message);
	return s;
}

static int group_setup(void **state)
{
	(void)state;
	if (test_server_open_db(&server, &TEST_MARIADB_SERVER))
		return -1;
	const char *sock = strstr(server.url, "unix_socket=");
	if (!sock) {
		test_server_stop(&server);
		return -1;
	}
	snprintf(server_socket, sizeof server_socket, "%s", sock + strlen("unix_socket="));
	dbsync_ctx *ctx = NULL;
	if (dbsync_ctx_new(&ctx))
		return -1;
	dbsync_conn *conn = open_db(ctx, server.db);
	for (int i = 0; i < N_MEMBERS; i++) {
		char suffix[16];
		snprintf(suffix, sizeof suffix, "m%03d", i);
		test_server_extra_db(members[i], sizeof members[i], &server, suffix);
		make_db(ctx, conn, members[i], i % 3 == 0 ? drifted_ddl : desired_ddl);
	}
	dbsync_conn_close(conn);
	dbsync_ctx_free(ctx);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	return test_server_stop(&server);
}

/* ---- namespaces ---- */

static void test_namespaces_by_pattern(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_conn *conn = open_db(ctx, server.db);
	char alpha[64], beta[64], gamma[64], shadow[64] = "dbsync_shadow_4000000001", sql[4096];
	test_server_extra_db(alpha, sizeof alpha, &server, "alpha");
	test_server_extra_db(beta, sizeof beta, &server, "beta");
	test_server_extra_db(gamma, sizeof gamma, &server, "Gamma");
	make_db(ctx, conn, alpha, "");
	make_db(ctx, conn, beta, "");
	make_db(ctx, conn, gamma, "");
	/* a shadow database as the engine names them (no connection has this id) */
	make_db(ctx, conn, shadow, "");
	char **names = NULL;
	size_t n = 0;

	/* everything: the server's own databases and the shadows are not namespaces */
	uint64_t before = dbsync_conn_catalog_queries(conn);
	assert_int_equal(dbsync_conn_namespaces(&names, &n, ctx, conn, NULL, 0), 0);
	assert_int_equal(dbsync_conn_catalog_queries(conn) - before, 1);
	bool saw_alpha = false, saw_member = false;
	for (size_t i = 0; i < n; i++) {
		static const char *const hidden[] = { "information_schema", "mysql", "performance_schema", "sys",
			"dbsync_shadow_4000000001" };
		for (size_t j = 0; j < sizeof hidden / sizeof hidden[0]; j++)
			if (strcmp(names[i], hidden[j]) == 0)
				fail_msg("%s was listed", names[i]);
		saw_alpha |= strcmp(names[i], alpha) == 0;
		saw_member |= strcmp(names[i], members[5]) == 0;
		if (i)
			assert_true(strcmp(names[i - 1], names[i]) < 0); /* sorted, byte order */
	}
	assert_true(saw_alpha && saw_member);
	dbsync_names_free(names, n);

	/* exact, glob and regex patterns; each database once, sorted */
	char glob[80], re[120];
	snprintf(glob, sizeof glob, "%s__?amma", server.db);
	snprintf(re, sizeof re, "re:%s__(alpha|beta)", server.db);
	const char *pats[] = { beta, glob, re, alpha };
	assert_int_equal(dbsync_conn_namespaces(&names, &n, ctx, conn, pats, 4), 0);
	assert_int_equal(n, 3);
	assert_string_equal(names[0], gamma); /* "G" sorts before "a" in byte order */
	assert_string_equal(names[1], alpha);
	assert_string_equal(names[2], beta);
	dbsync_names_free(names, n);

	/* a regex matches the whole name only */
	snprintf(re, sizeof re, "re:%s__alph", server.db);
	const char *partial[] = { re };
	assert_int_equal(dbsync_conn_namespaces(&names, &n, ctx, conn, partial, 1), 0);
	assert_int_equal(n, 0);
	dbsync_names_free(names, n);
	/* the fleet's members by glob */
	snprintf(glob, sizeof glob, "%s__m*", server.db);
	const char *fleet[] = { glob };
	assert_int_equal(dbsync_conn_namespaces(&names, &n, ctx, conn, fleet, 1), 0);
	assert_int_equal(n, N_MEMBERS);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(names[i], members[i]);
	dbsync_names_free(names, n);

	exec_ok(ctx, conn, sqlf(sql, "DROP DATABASE `%s`", shadow));
	dbsync_conn_close(conn);
}

/* ---- use_namespace ---- */

static void test_use_namespace_is_lazy(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_conn *conn = open_db(ctx, server.db);
	const dbs_backend *be = conn->backend;
	char want[600];
	int64_t changes = changes_of_db(ctx, conn);
	uint64_t queries = dbsync_conn_catalog_queries(conn);

	/* the name changes at once, the session only when a statement runs */
	assert_int_equal(be->use_namespace(ctx, conn, members[1]), 0);
	assert_string_equal(be->synced_namespace(conn), members[1]);
	snprintf(want, sizeof want, "mysql://root@localhost/%s?unix_socket=%s", members[1], server_socket);
	assert_string_equal(dbsync_conn_describe(conn), want);
	assert_int_equal(be->use_namespace(ctx, conn, members[2]), 0);
	assert_int_equal(be->use_namespace(ctx, conn, server.db), 0);
	assert_int_equal(dbsync_conn_catalog_queries(conn), queries);
	/* switched there and back with nothing run in between: the session
	 * never moved */
	assert_int_equal(changes_of_db(ctx, conn), changes);
	assert_int_equal(in_db(ctx, conn, server.db), 1);
	/* one switch, made by the next statement (here the status query) */
	assert_int_equal(be->use_namespace(ctx, conn, members[3]), 0);
	assert_int_equal(changes_of_db(ctx, conn), changes + 1);
	assert_int_equal(in_db(ctx, conn, members[3]), 1);

	assert_int_equal(be->use_namespace(ctx, conn, members[4]), 0);
	assert_int_equal(in_db(ctx, conn, members[4]), 1);
	/* the catalog read acts on the synced database */
	dbsync_schema *s = NULL;
	assert_int_equal(dbsync_conn_introspect(&s, ctx, conn), 0);
	assert_int_equal(dbsync_schema_table_count(s), 2);
	dbsync_schema_free(s);

	/* a shadow run leaves the session in the synced database */
	dbsync_schema *desired = parse_desired(ctx), *norm = NULL;
	assert_int_equal(be->use_namespace(ctx, conn, members[5]), 0);
	assert_int_equal(be->normalize_desired(&norm, ctx, conn, desired), 0);
	assert_int_equal(dbsync_schema_table_count(norm), 2);
	assert_int_equal(in_db(ctx, conn, members[5]), 1);
	dbsync_schema_free(norm);
	dbsync_schema_free(desired);

	/* a reconnect comes back to the synced database */
	dbsync_conn *killer = open_db(ctx, server.db);
	char sql[4096];
	exec_ok(ctx, killer, sqlf(sql, "KILL %lld", (long long)query_int(ctx, conn, "SELECT CONNECTION_ID()")));
	assert_int_equal(dbsync_conn_exec(ctx, conn, "SELECT 1"), DBSYNC_ECONNECT);
	assert_int_equal(be->reconnect(ctx, conn), 0);
	assert_int_equal(in_db(ctx, conn, members[5]), 1);
	/* also when the switch was still pending when the connection went */
	assert_int_equal(be->use_namespace(ctx, conn, members[6]), 0);
	exec_ok(ctx, killer, sqlf(sql, "KILL %llu", (unsigned long long)be->session_id(conn)));
	assert_int_equal(be->reconnect(ctx, conn), 0);
	assert_int_equal(in_db(ctx, conn, members[6]), 1);
	assert_string_equal(be->synced_namespace(conn), members[6]);
	dbsync_conn_close(killer);

	/* a database that does not exist fails the next statement, naming it */
	char missing[64];
	test_server_extra_db(missing, sizeof missing, &server, "missing");
	assert_int_equal(be->use_namespace(ctx, conn, missing), 0);
	/* listing the databases names none: it does not wait for the switch */
	char **names = NULL;
	size_t n = 0;
	assert_int_equal(dbsync_conn_namespaces(&names, &n, ctx, conn, NULL, 0), 0);
	assert_true(n >= N_MEMBERS);
	dbsync_names_free(names, n);
	int64_t v;
	assert_int_equal(be->query_int64(&v, ctx, conn, "SELECT 1"), DBSYNC_EDB);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, missing));
	assert_int_equal(dbsync_conn_introspect(&s, ctx, conn), DBSYNC_EINVALID);
	assert_null(s);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "does not exist"));
	dbsync_conn_close(conn);
}

/* ---- introspect_many ---- */

static const char rich_ddl[] =
	"CREATE TABLE `p` (`id` int NOT NULL PRIMARY KEY, `code` varchar(20) COLLATE utf8mb4_bin NOT NULL UNIQUE, "
	"`n` int NOT NULL DEFAULT 3 CHECK (`n` >= 0), `doc` json NULL, "
	"`at` timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP) COMMENT 'parents';\n"
	"CREATE TABLE `c` (`id` int NOT NULL PRIMARY KEY, `p_id` int NOT NULL, `name` varchar(50) NOT NULL, "
	"CONSTRAINT `c_p_fk` FOREIGN KEY (`p_id`) REFERENCES `p` (`id`) ON DELETE CASCADE);\n"
	"CREATE INDEX `c_name_idx` ON `c` (`name`(10), `id` DESC);\n"
	"CREATE VIEW `v` AS SELECT `id` FROM `p`;\n"
	"CREATE TRIGGER `c_bi` BEFORE INSERT ON `c` FOR EACH ROW SET NEW.`name` = TRIM(NEW.`name`);\n";

/* What a schema holds, as text, for comparing two reads. */
static char *schema_text(dbsync_ctx *ctx, const dbsync_schema *s)
{
	char *sql = NULL;
	if (dbsync_schema_to_sql(&sql, ctx, s))
		fail_msg("to_sql: %s", dbsync_ctx_error(ctx)->message);
	size_t triggers = 0;
	for (size_t i = 0; i < s->tables.n; i++)
		triggers += s->tables.items[i]->triggers.n;
	dbs_buf b = DBS_BUF_INIT;
	dbs_buf_printf(&b, "%s\n-- fingerprint %llu views %zu triggers %zu", sql,
		(unsigned long long)dbs_schema_fingerprint(s), s->views.n, triggers);
	free(sql);
	char *text = dbs_buf_ok(&b) ? dbs_buf_detach(&b) : NULL;
	dbs_buf_free(&b);
	if (!text)
		fail_msg("out of memory");
	return text;
}

static void test_introspect_many_equals_single_reads(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_conn *conn = open_db(ctx, server.db);
	const dbs_backend *be = conn->backend;
	char rich[64], plain[64], empty[64], upper[64], lower[64], missing[64];
	test_server_extra_db(rich, sizeof rich, &server, "rich");
	test_server_extra_db(plain, sizeof plain, &server, "plain");
	test_server_extra_db(empty, sizeof empty, &server, "empty");
	/* two databases whose names differ in case only (lower_case_table_names=0) */
	test_server_extra_db(upper, sizeof upper, &server, "Twin");
	test_server_extra_db(lower, sizeof lower, &server, "twin");
	test_server_extra_db(missing, sizeof missing, &server, "nosuch");
	make_db(ctx, conn, rich, rich_ddl);
	make_db(ctx, conn, plain, drifted_ddl);
	make_db(ctx, conn, empty, "");
	make_db(ctx, conn, upper, "CREATE TABLE `Upper` (`a` int NOT NULL);");
	make_db(ctx, conn, lower, "CREATE TABLE `lower` (`b` bigint NULL, `c` text NULL);");
	assert_int_equal(be->use_namespace(ctx, conn, server.db), 0);

	const char *names[] = { lower, rich, missing, empty, upper, plain };
	size_t n = sizeof names / sizeof names[0];
	dbsync_schema *many[6];
	uint64_t before = dbsync_conn_catalog_queries(conn);
	assert_int_equal(be->introspect_many(many, ctx, conn, names, n), 0);
	uint64_t many_queries = dbsync_conn_catalog_queries(conn) - before;
	assert_int_equal(many_queries, DBS_MY_CATALOG_QUERIES);
	/* nothing of it needed the session in another database */
	assert_int_equal(in_db(ctx, conn, server.db), 1);
	for (size_t i = 0; i < n; i++) {
		if (names[i] == missing) {
			assert_null(many[i]);
			continue;
		}
		assert_non_null(many[i]);
		dbsync_schema *one = NULL;
		assert_int_equal(be->use_namespace(ctx, conn, names[i]), 0);
		before = dbsync_conn_catalog_queries(conn);
		assert_int_equal(dbsync_conn_introspect(&one, ctx, conn), 0);
		assert_int_equal(dbsync_conn_catalog_queries(conn) - before, many_queries);
		char *a = schema_text(ctx, many[i]), *b = schema_text(ctx, one);
		assert_string_equal(a, b);
		free(a);
		free(b);
		dbsync_schema_free(one);
	}
	assert_int_equal(dbsync_schema_table_count(many[3]), 0);
	assert_int_equal(dbsync_schema_table_count(many[0]), 1);
	assert_string_equal(dbsync_schema_table_name(many[0], 0), "lower");
	assert_int_equal(dbsync_schema_table_count(many[4]), 1);
	assert_string_equal(dbsync_schema_table_name(many[4], 0), "Upper");
	/* the rich database: everything read from the shared queries */
	const dbsync_schema *r = many[1];
	assert_int_equal(r->tables.n, 2);
	assert_int_equal(r->views.n, 1);
	assert_non_null(strstr(r->views.items[0]->definition, "select"));
	const dbs_table *c = dbs_schema_find_table(r, "c");
	assert_non_null(c);
	assert_int_equal(c->triggers.n, 1);
	assert_int_equal(c->indexes.n, 2); /* c_name_idx and the one InnoDB adds for the foreign key */
	bool cascade = false;
	for (size_t i = 0; i < c->constraints.n; i++)
		cascade |= c->constraints.items[i]->kind == DBS_CON_FOREIGN && c->constraints.items[i]->on_delete &&
			strcmp(c->constraints.items[i]->on_delete, "CASCADE") == 0;
	assert_true(cascade);
	const dbs_table *p = dbs_schema_find_table(r, "p");
	assert_string_equal(p->comment, "parents");
	size_t checks = 0;
	for (size_t i = 0; i < p->constraints.n; i++)
		checks += p->constraints.items[i]->kind == DBS_CON_CHECK;
	assert_int_equal(checks, 1); /* n >= 0; MariaDB's json_valid folded into the json type */
	assert_string_equal(dbs_table_find_column(r, p, "doc")->type, "json");
	assert_string_equal(dbs_table_find_column(r, p, "code")->collation, "utf8mb4_bin");
	for (size_t i = 0; i < n; i++)
		dbsync_schema_free(many[i]);
	dbsync_conn_close(conn);
}

/* A database name that needs escaping as a literal is read as any other. */
static void test_introspect_many_odd_names(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_conn *conn = open_db(ctx, server.db);
	char odd[64];
	test_server_extra_db(odd, sizeof odd, &server, "o'dd\\x");
	make_db(ctx, conn, odd, "CREATE TABLE `t` (`a` int NOT NULL);");
	const char *names[] = { odd, members[1] };
	dbsync_schema *many[2];
	assert_int_equal(conn->backend->introspect_many(many, ctx, conn, names, 2), 0);
	assert_non_null(many[0]);
	assert_int_equal(dbsync_schema_table_count(many[0]), 1);
	assert_int_equal(dbsync_schema_table_count(many[1]), 2);
	dbsync_schema_free(many[0]);
	dbsync_schema_free(many[1]);
	/* and the lock of that database is named after it */
	assert_int_equal(conn->backend->use_namespace(ctx, conn, odd), 0);
	assert_int_equal(conn->backend->apply_begin(ctx, conn, NULL), 0);
	dbsync_conn *observer = open_db(ctx, server.db);
	char sql[4096];
	assert_int_equal(query_int(ctx, observer, sqlf(sql, "SELECT IS_USED_LOCK(CONCAT('django-dbsync:', "
		"LEFT('%s__o''dd\\\\x', 50))) IS NOT NULL", server.db)), 1);
	assert_int_equal(conn->backend->apply_end(ctx, conn, NULL, 1), 0);
	dbsync_conn_close(observer);
	dbsync_conn_close(conn);
}

/* ---- fleet plans ---- */

/* The catalog queries of one database's dbsync_plan_compute (a drifted one:
 * its plan runs the shadow too), on a fresh connection. */
static uint64_t one_plan_queries(dbsync_ctx *ctx, const dbsync_schema *desired)
{
	dbsync_conn *conn = open_db(ctx, members[0]);
	dbsync_plan *plan = NULL;
	uint64_t before = dbsync_conn_catalog_queries(conn);
	assert_int_equal(dbsync_plan_compute(&plan, ctx, conn, desired, NULL), 0);
	uint64_t q = dbsync_conn_catalog_queries(conn) - before;
	assert_int_equal(dbsync_plan_pending_count(plan), 1);
	dbsync_plan_free(plan);
	dbsync_conn_close(conn);
	return q;
}

static void test_fleet_plan_costs_one_plan(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_schema *desired = parse_desired(ctx);
	uint64_t one = one_plan_queries(ctx, desired);
	assert_int_equal(one, 2 * DBS_MY_CATALOG_QUERIES); /* the live read and the shadow's */
	const char *names[N_MEMBERS];
	for (int i = 0; i < N_MEMBERS; i++)
		names[i] = members[i];
	static const size_t sizes[] = { 1, 10, N_MEMBERS };
	int64_t statements[3];
	for (size_t k = 0; k < 3; k++) {
		/* read-only, as a --check would be, on a database outside the fleet */
		dbsync_conn *conn = open_db_ro(ctx, server.db, true);
		int64_t asked = query_int(ctx, conn, "SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS "
			"WHERE VARIABLE_NAME = 'QUESTIONS'");
		uint64_t before = dbsync_conn_catalog_queries(conn);
		dbsync_fleet *f = NULL;
		assert_int_equal(dbsync_fleet_plan(&f, ctx, conn, names, sizes[k], desired, NULL), 0);
		assert_int_equal(dbsync_fleet_catalog_queries(f), one);
		assert_int_equal(dbsync_conn_catalog_queries(conn) - before, one);
		statements[k] = query_int(ctx, conn, "SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS "
			"WHERE VARIABLE_NAME = 'QUESTIONS'") - asked;
		assert_int_equal(dbsync_fleet_count(f), sizes[k]);
		for (size_t i = 0; i < sizes[k]; i++) {
			assert_string_equal(dbsync_fleet_member(f, i), members[i]);
			if (i % 3 == 0) {
				assert_int_equal(dbsync_fleet_member_state(f, i), DBSYNC_MEMBER_CHANGED);
				const dbsync_plan *p = dbsync_fleet_member_plan(f, i);
				assert_int_equal(dbsync_plan_pending_count(p), 1);
				assert_int_equal(dbsync_plan_op(p, 0)->kind, DBSYNC_OP_ADD_COLUMN);
			} else {
				assert_int_equal(dbsync_fleet_member_state(f, i), DBSYNC_MEMBER_IN_SYNC);
			}
		}
		/* the connection syncs its own database again */
		assert_string_equal(conn->backend->synced_namespace(conn), server.db);
		assert_int_equal(in_db(ctx, conn, server.db), 1);
		dbsync_fleet_free(f);
		dbsync_conn_close(conn);
	}
	/* no round trip per member: 100 members cost the statements of 10 */
	assert_int_equal(statements[2], statements[1]);
	dbsync_schema_free(desired);
}

static void test_fleet_missing_member_fails_alone(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_schema *desired = parse_desired(ctx);
	dbsync_conn *conn = open_db_ro(ctx, server.db, true);
	char missing[64];
	test_server_extra_db(missing, sizeof missing, &server, "gone");
	const char *names[] = { members[1], missing, members[3] };
	dbsync_fleet *f = NULL;
	assert_int_equal(dbsync_fleet_plan(&f, ctx, conn, names, 3, desired, NULL), 0);
	assert_int_equal(dbsync_fleet_member_state(f, 0), DBSYNC_MEMBER_IN_SYNC);
	assert_int_equal(dbsync_fleet_member_state(f, 1), DBSYNC_MEMBER_FAILED);
	assert_non_null(strstr(dbsync_fleet_member_error(f, 1)->message, missing));
	assert_null(dbsync_fleet_member_plan(f, 1));
	assert_int_equal(dbsync_fleet_member_state(f, 2), DBSYNC_MEMBER_CHANGED);
	assert_int_equal(dbsync_fleet_catalog_queries(f), 2 * DBS_MY_CATALOG_QUERIES);
	dbsync_fleet_free(f);
	dbsync_conn_close(conn);
	dbsync_schema_free(desired);
}

/* A user whose grants hide what the one catalog pass needs in one member
 * only: table-level SELECT on the middle member's tables, so MariaDB shows it
 * none of that database's CHECK constraints and its read refuses (a guess
 * would plan the checks again). That member fails alone, naming itself and
 * the grant it lacks; the others, on which the user has ALL, are planned as
 * without it, and applied. The cost of such a fleet is the failed pass plus
 * one read per member; a fleet without the failure still costs one plan. */
#define GRANTS_PASSWORD "fb-pw-2c9e"

static dbsync_conn *open_as_grantee(dbsync_ctx *ctx, const char *db, const char *user, bool readonly)
{
	const char *keys[] = { "name", "user", "password", "unix_socket", "charset", "readonly" };
	const char *vals[] = { db, user, GRANTS_PASSWORD, server_socket, "utf8mb4", readonly ? "1" : "0" };
	dbsync_conn *conn = NULL;
	if (dbsync_conn_open_params(&conn, ctx, DBSYNC_DIALECT_MYSQL, keys, vals, 6))
		fail_msg("cannot connect to %s as %s: %s", db, user, dbsync_ctx_error(ctx)->message);
	return conn;
}

static void test_fleet_member_hidden_by_grants_fails_alone(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_schema *desired = parse_desired(ctx);
	dbsync_conn *root = open_db(ctx, server.db);
	char user[80], sql[4096], dbs[3][64];
	static const char *const suffixes[] = { "tg_a", "tg_bad", "tg_c" };
	const char *names[3];
	snprintf(user, sizeof user, "%s_tg", server.db);
	exec_ok(ctx, root, sqlf(sql, "DROP USER IF EXISTS '%s'@'localhost'; CREATE USER '%s'@'localhost' "
		"IDENTIFIED BY '" GRANTS_PASSWORD "'", user, user));
	for (int i = 0; i < 3; i++) {
		test_server_extra_db(dbs[i], sizeof dbs[i], &server, suffixes[i]);
		make_db(ctx, root, dbs[i], drifted_ddl);
		exec_ok(ctx, root, sqlf(sql, "INSERT INTO `%s`.`author` VALUES (1, 'A'); "
			"INSERT INTO `%s`.`book` (`id`, `title`, `author_id`) VALUES (1, 'B', 1)", dbs[i], dbs[i]));
		if (i == 1)
			exec_ok(ctx, root, sqlf(sql, "GRANT SELECT ON `%s`.`author` TO '%s'@'localhost'; "
				"GRANT SELECT ON `%s`.`book` TO '%s'@'localhost'", dbs[i], user, dbs[i], user));
		else
			exec_ok(ctx, root, sqlf(sql, "GRANT ALL ON `%s`.* TO '%s'@'localhost'", dbs[i], user));
		names[i] = dbs[i];
	}
	/* the scratch databases of the shadow, as docs/readonly.md asks */
	exec_ok(ctx, root, sqlf(sql, "GRANT CREATE, DROP, ALTER, INDEX, REFERENCES ON `dbsync\\_shadow\\_%%`.* TO "
		"'%s'@'localhost'", user));
	uint64_t one = one_plan_queries(ctx, desired);

	/* the fleet without that member: one plan's catalog queries, as for root
	 * (the one pass did not fail, nothing was read again) */
	dbsync_conn *conn = open_as_grantee(ctx, dbs[0], user, true);
	const char *good[] = { dbs[0], dbs[2] };
	dbsync_fleet *f = NULL;
	uint64_t before = dbsync_conn_catalog_queries(conn);
	assert_int_equal(dbsync_fleet_plan(&f, ctx, conn, good, 2, desired, NULL), 0);
	assert_int_equal(dbsync_fleet_catalog_queries(f), one);
	assert_int_equal(dbsync_conn_catalog_queries(conn) - before, one);
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(dbsync_fleet_member_state(f, i), DBSYNC_MEMBER_CHANGED);
	dbsync_fleet_free(f);
	dbsync_conn_close(conn);

	/* all three, on a fresh connection (a connection keeps the shadow's
	 * result for the next plan): the bad member fails alone */
	conn = open_as_grantee(ctx, dbs[0], user, true);
	assert_int_equal(dbsync_fleet_plan(&f, ctx, conn, names, 3, desired, NULL), 0);
	assert_int_equal(dbsync_fleet_member_state(f, 1), DBSYNC_MEMBER_FAILED);
	assert_null(dbsync_fleet_member_plan(f, 1));
	const dbsync_error *e = dbsync_fleet_member_error(f, 1);
	char want[400];
	snprintf(want, sizeof want, "database \"%s\": cannot read the CHECK constraints of table `author` (and 1 "
		"more) in database `%s`", dbs[1], dbs[1]);
	if (!strstr(e->message, want))
		fail_msg("the error of %s: %s", dbs[1], e->message);
	snprintf(want, sizeof want, "GRANT SELECT ON `%s`.*", dbs[1]);
	assert_non_null(strstr(e->message, want));
	assert_null(strstr(e->message, GRANTS_PASSWORD));
	for (size_t i = 0; i < 3; i += 2) {
		assert_int_equal(dbsync_fleet_member_state(f, i), DBSYNC_MEMBER_CHANGED);
		assert_null(dbsync_fleet_member_error(f, i));
		const dbsync_plan *p = dbsync_fleet_member_plan(f, i);
		assert_int_equal(dbsync_plan_op_count(p), 1);
		assert_int_equal(dbsync_plan_op(p, 0)->kind, DBSYNC_OP_ADD_COLUMN);
		assert_string_equal(dbsync_plan_op(p, 0)->object, "pages");
	}
	/* the failed pass, then each member alone (the bad one also reads its
	 * foreign key's actions with SHOW CREATE TABLE, in the pass and alone:
	 * table-level SELECT hides them too), then the one shadow */
	assert_int_equal(dbsync_fleet_catalog_queries(f), 5 * DBS_MY_CATALOG_QUERIES + 2);
	assert_string_equal(conn->backend->synced_namespace(conn), dbs[0]);
	dbsync_conn_close(conn);

	/* applied over two connections of that user: the two converge, the bad
	 * member is not touched */
	dbsync_conn *conns[2] = { open_as_grantee(ctx, dbs[0], user, false), open_as_grantee(ctx, dbs[2], user,
		false) };
	assert_int_equal(dbsync_fleet_apply(ctx, f, conns, 2, NULL), 0);
	assert_int_equal(dbsync_fleet_member_state(f, 1), DBSYNC_MEMBER_FAILED);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(query_int(ctx, root, sqlf(sql, "SELECT COUNT(*) FROM information_schema.COLUMNS "
			"WHERE TABLE_SCHEMA = '%s' AND TABLE_NAME = 'book' AND COLUMN_NAME = 'pages'", dbs[i])), i != 1);
		assert_int_equal(query_int(ctx, root, sqlf(sql, "SELECT COUNT(*) FROM `%s`.`book`", dbs[i])), 1);
	}
	dbsync_fleet_free(f);
	/* planned again by that user: the two in sync, the bad one still failed */
	assert_int_equal(dbsync_fleet_plan(&f, ctx, conns[0], names, 3, desired, NULL), 0);
	assert_int_equal(dbsync_fleet_member_state(f, 0), DBSYNC_MEMBER_IN_SYNC);
	assert_int_equal(dbsync_fleet_member_state(f, 1), DBSYNC_MEMBER_FAILED);
	assert_int_equal(dbsync_fleet_member_state(f, 2), DBSYNC_MEMBER_IN_SYNC);
	dbsync_fleet_free(f);
	dbsync_conn_close(conns[0]);
	dbsync_conn_close(conns[1]);

	exec_ok(ctx, root, sqlf(sql, "DROP USER '%s'@'localhost'", user));
	dbsync_conn_close(root);
	dbsync_schema_free(desired);
}

/* Members whose databases have other default charsets than the one the
 * shadow is made in: a column naming its collation, equal to one default and
 * not the other, shows no false difference; a column that really differs does. */
static void test_fleet_members_with_other_default_charsets(void **state)
{
	dbsync_ctx *ctx = *state;
	static const char ddl[] =
		"CREATE TABLE `label` (`id` int NOT NULL PRIMARY KEY, "
		"`a` varchar(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL, "
		"`b` varchar(20) CHARACTER SET latin1 COLLATE latin1_swedish_ci NOT NULL, "
		"`c` varchar(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL, `d` varchar(20) NOT NULL);\n";
	dbsync_conn *setup = open_db(ctx, server.db);
	char sql[4096], home[64], latin[64], utf[64], drift[64];
	test_server_extra_db(home, sizeof home, &server, "cs_home");
	test_server_extra_db(latin, sizeof latin, &server, "cs_latin1");
	test_server_extra_db(utf, sizeof utf, &server, "cs_utf8mb4");
	test_server_extra_db(drift, sizeof drift, &server, "cs_drift");
	exec_ok(ctx, setup, sqlf(sql, "DROP DATABASE IF EXISTS `%s`; CREATE DATABASE `%s` CHARACTER SET utf8mb4 "
		"COLLATE utf8mb4_general_ci", home, home));
	exec_ok(ctx, setup, sqlf(sql, "DROP DATABASE IF EXISTS `%s`; CREATE DATABASE `%s` CHARACTER SET latin1 "
		"COLLATE latin1_swedish_ci; USE `%s`; %s", latin, latin, latin, ddl));
	exec_ok(ctx, setup, sqlf(sql, "DROP DATABASE IF EXISTS `%s`; CREATE DATABASE `%s` CHARACTER SET utf8mb4 "
		"COLLATE utf8mb4_unicode_ci; USE `%s`; %s", utf, utf, utf, ddl));
	/* a member whose column `a` really has another collation */
	exec_ok(ctx, setup, sqlf(sql, "DROP DATABASE IF EXISTS `%s`; CREATE DATABASE `%s` CHARACTER SET latin1; "
		"USE `%s`; %s ALTER TABLE `label` MODIFY `a` varchar(20) CHARACTER SET utf8mb4 COLLATE "
		"utf8mb4_unicode_ci NOT NULL", drift, drift, drift, ddl));
	dbsync_schema *desired = NULL;
	assert_int_equal(dbsync_schema_parse(&desired, ctx, DBSYNC_DIALECT_MYSQL, ddl, strlen(ddl)), 0);
	/* the shadow is made with the defaults of the connection's database */
	dbsync_conn *conn = open_db_ro(ctx, home, true);
	const char *names[] = { latin, utf, drift };
	dbsync_fleet *f = NULL;
	assert_int_equal(dbsync_fleet_plan(&f, ctx, conn, names, 3, desired, NULL), 0);
	for (size_t i = 0; i < 2; i++) {
		const dbsync_plan *p = dbsync_fleet_member_plan(f, i);
		if (dbsync_plan_op_count(p))
			fail_msg("%s: %s", names[i], dbsync_plan_op(p, 0)->summary);
		assert_int_equal(dbsync_fleet_member_state(f, i), DBSYNC_MEMBER_IN_SYNC);
	}
	assert_int_equal(dbsync_fleet_member_state(f, 2), DBSYNC_MEMBER_CHANGED);
	const dbsync_plan *p = dbsync_fleet_member_plan(f, 2);
	assert_int_equal(dbsync_plan_op_count(p), 1);
	assert_string_equal(dbsync_plan_op(p, 0)->object, "a");
	dbsync_fleet_free(f);
	/* each member planned alone, from a connection to it, says the same */
	for (size_t i = 0; i < 3; i++) {
		dbsync_conn *own = open_db_ro(ctx, names[i], true);
		dbsync_plan *plan = NULL;
		assert_int_equal(dbsync_plan_compute(&plan, ctx, own, desired, NULL), 0);
		assert_int_equal(dbsync_plan_op_count(plan), i == 2 ? 1 : 0);
		dbsync_plan_free(plan);
		dbsync_conn_close(own);
	}
	dbsync_conn_close(conn);
	dbsync_conn_close(setup);
	dbsync_schema_free(desired);
}

/* ---- applying ---- */

/* A member's plan belongs to its database: its script selects it, and it is
 * not applied over a connection syncing another one. */
static void test_member_plan_is_bound_to_its_database(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_schema *desired = parse_desired(ctx);
	dbsync_conn *conn = open_db(ctx, server.db);
	const char *names[] = { members[0], members[3] };
	dbsync_fleet *f = NULL;
	assert_int_equal(dbsync_fleet_plan(&f, ctx, conn, names, 2, desired, NULL), 0);
	char *script = NULL, want[200], sql[4096];
	assert_int_equal(dbsync_plan_script(&script, ctx, dbsync_fleet_member_plan(f, 0)), 0);
	snprintf(want, sizeof want, "USE `%s`;\nSELECT GET_LOCK(", members[0]);
	assert_non_null(strstr(script, want));
	free(script);
	assert_int_equal(conn->backend->use_namespace(ctx, conn, members[3]), 0);
	assert_int_equal(dbsync_plan_apply(ctx, conn, (dbsync_plan *)dbsync_fleet_member_plan(f, 0), NULL),
		DBSYNC_EINVALID);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, members[0]));
	for (int i = 0; i < 2; i++)
		assert_int_equal(query_int(ctx, conn, sqlf(sql, "SELECT COUNT(*) FROM information_schema.COLUMNS "
			"WHERE TABLE_SCHEMA = '%s' AND COLUMN_NAME = 'pages'", names[i])), 0);
	dbsync_fleet_free(f);
	dbsync_conn_close(conn);
	dbsync_schema_free(desired);
}


static void test_fleet_apply_lands_in_each_member_only(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_schema *desired = parse_desired(ctx);
	dbsync_conn *setup = open_db(ctx, server.db);
	char outside[64], apply_members[4][64], sql[4096];
	test_server_extra_db(outside, sizeof outside, &server, "outside");
	make_db(ctx, setup, outside, drifted_ddl);
	const char *names[4];
	for (int i = 0; i < 4; i++) {
		char suffix[16];
		snprintf(suffix, sizeof suffix, "a%d", i);
		test_server_extra_db(apply_members[i], sizeof apply_members[i], &server, suffix);
		make_db(ctx, setup, apply_members[i], i == 2 ? desired_ddl : drifted_ddl);
		exec_ok(ctx, setup, sqlf(sql, "INSERT INTO `%s`.`author` VALUES (1, 'A'); "
			"INSERT INTO `%s`.`book` (`id`, `title`, `author_id`) VALUES (1, 'B', 1), (2, 'C', 1)",
			apply_members[i], apply_members[i]));
		names[i] = apply_members[i];
	}
	/* planned and applied from connections that sync a database outside the
	 * fleet, which has the same drift and must keep it */
	dbsync_conn *conns[2] = { open_db(ctx, outside), open_db(ctx, outside) };
	dbsync_fleet *f = NULL;
	assert_int_equal(dbsync_fleet_plan(&f, ctx, conns[0], names, 4, desired, NULL), 0);
	assert_int_equal(dbsync_fleet_member_state(f, 2), DBSYNC_MEMBER_IN_SYNC);
	assert_int_equal(dbsync_fleet_apply(ctx, f, conns, 2, NULL), 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(dbsync_fleet_member_state(f, i), i == 2 ? DBSYNC_MEMBER_IN_SYNC : DBSYNC_MEMBER_CHANGED);
		assert_int_equal(query_int(ctx, setup, sqlf(sql, "SELECT COUNT(*) FROM information_schema.COLUMNS "
			"WHERE TABLE_SCHEMA = '%s' AND TABLE_NAME = 'book' AND COLUMN_NAME = 'pages'", names[i])), 1);
		assert_int_equal(query_int(ctx, setup, sqlf(sql, "SELECT COUNT(*) FROM `%s`.`book`", names[i])), 2);
	}
	assert_int_equal(query_int(ctx, setup, sqlf(sql, "SELECT COUNT(*) FROM information_schema.COLUMNS "
		"WHERE TABLE_SCHEMA = '%s' AND COLUMN_NAME = 'pages'", outside)), 0);
	for (int c = 0; c < 2; c++) {
		assert_string_equal(conns[c]->backend->synced_namespace(conns[c]), outside);
		assert_int_equal(in_db(ctx, conns[c], outside), 1);
	}
	dbsync_fleet_free(f);
	/* planned again: every member in sync */
	assert_int_equal(dbsync_fleet_plan(&f, ctx, conns[0], names, 4, desired, NULL), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(dbsync_fleet_member_state(f, i), DBSYNC_MEMBER_IN_SYNC);
	dbsync_fleet_free(f);
	dbsync_conn_close(conns[0]);
	dbsync_conn_close(conns[1]);
	dbsync_conn_close(setup);
	dbsync_schema_free(desired);
}

/* ---- the per-database lock ---- */

static void test_lock_is_per_database(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_conn *first = open_db(ctx, server.db);
	dbsync_conn *second = open_db(ctx, server.db);
	dbsync_conn *observer = open_db(ctx, server.db);
	const dbs_backend *be = first->backend;
	char sql[4096];
	/* the lock is named after the synced database even before the session
	 * has followed (use_namespace is lazy) */
	assert_int_equal(be->use_namespace(ctx, first, members[7]), 0);
	assert_int_equal(be->apply_begin(ctx, first, NULL), 0);
	assert_int_equal(query_int(ctx, observer, sqlf(sql, "SELECT IS_USED_LOCK('django-dbsync:%s') IS NOT NULL",
		members[7])), 1);
	assert_int_equal(query_int(ctx, observer, sqlf(sql, "SELECT IS_FREE_LOCK('django-dbsync:%s')",
		server.db)), 1);
	/* switching a connection that holds a lock is refused */
	assert_int_equal(be->use_namespace(ctx, first, members[8]), DBSYNC_EINVALID);
	assert_string_equal(be->synced_namespace(first), members[7]);
	/* two runs on one database exclude each other... */
	assert_int_equal(be->use_namespace(ctx, second, members[7]), 0);
	assert_int_equal(be->apply_begin(ctx, second, NULL), DBSYNC_ELOCKED);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, members[7]));
	/* ...runs on different databases do not wait for each other */
	assert_int_equal(be->use_namespace(ctx, second, members[8]), 0);
	assert_int_equal(be->apply_begin(ctx, second, NULL), 0);
	assert_int_equal(be->apply_end(ctx, second, NULL, 1), 0);
	assert_int_equal(be->apply_end(ctx, first, NULL, 1), 0);
	assert_int_equal(query_int(ctx, observer, sqlf(sql, "SELECT IS_FREE_LOCK('django-dbsync:%s')",
		members[7])), 1);
	dbsync_conn_close(first);
	dbsync_conn_close(second);
	dbsync_conn_close(observer);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_namespaces_by_pattern, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_use_namespace_is_lazy, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_introspect_many_equals_single_reads, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_introspect_many_odd_names, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_fleet_plan_costs_one_plan, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_fleet_missing_member_fails_alone, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_fleet_member_hidden_by_grants_fails_alone, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_fleet_members_with_other_default_charsets, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_member_plan_is_bound_to_its_database, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_fleet_apply_lands_in_each_member_only, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_lock_is_per_database, ctx_setup, ctx_teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
