/* The MySQL/MariaDB backend against a real, throwaway MariaDB server
 * (scripts/mariadb-server.sh, started once for this binary): connecting
 * without leaking passwords, bulk introspection, statements, the sync lock. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend_mysql.h"
#include "buf.h"
#include "ctx.h"
#include "dbsync/dbsync.h"
#include "model.h"
#include "test_support.h"

#define WRONG_PASSWORD "Wr0ng-Secret-9f3b"
#define RIGHT_PASSWORD "dbsync-secret-pw" /* set by mariadb-server.sh */

static test_server server;
static char server_socket[256];
/* the extra databases the tests make: this program's own on a shared server */
static char db_intro[64], db_case[64], db_subset[64], db_lost[64], db_q10[64], db_q500[64];

static int group_setup(void **state)
{
	(void)state;
	if (test_server_open_db(&server, &TEST_MARIADB_SERVER))
		return -1;
	test_server_extra_db(db_intro, sizeof db_intro, &server, "intro");
	test_server_extra_db(db_case, sizeof db_case, &server, "case");
	test_server_extra_db(db_subset, sizeof db_subset, &server, "subset");
	test_server_extra_db(db_lost, sizeof db_lost, &server, "lost");
	test_server_extra_db(db_q10, sizeof db_q10, &server, "q10");
	test_server_extra_db(db_q500, sizeof db_q500, &server, "q500");
	const char *sock = strstr(server.url, "unix_socket=");
	if (!sock) {
		test_server_stop(&server);
		return -1;
	}
	snprintf(server_socket, sizeof server_socket, "%s", sock + strlen("unix_socket="));
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	return test_server_stop(&server);
}

static dbsync_conn *open_url(dbsync_ctx *ctx, const char *url)
{
	dbsync_conn *conn = NULL;
	int rc = dbsync_conn_open_url(&conn, ctx, url);
	if (rc)
		fail_msg("cannot connect to the test server: %s", dbsync_ctx_error(ctx)->message);
	return conn;
}

/* Root on the test server, connected to database `db`. */
static dbsync_conn *open_db(dbsync_ctx *ctx, const char *db)
{
	const char *keys[] = { "name", "user", "unix_socket", "charset", "connect_timeout" };
	const char *vals[] = { db, "root", server_socket, "utf8mb4", "10" };
	dbsync_conn *conn = NULL;
	if (dbsync_conn_open_params(&conn, ctx, DBSYNC_DIALECT_MYSQL, keys, vals, 5))
		fail_msg("cannot connect to %s: %s", db, dbsync_ctx_error(ctx)->message);
	return conn;
}

static int64_t query_int(dbsync_ctx *ctx, dbsync_conn *conn, const char *sql)
{
	int64_t v = -1;
	if (conn->backend->query_int64(&v, ctx, conn, sql))
		fail_msg("query failed: %s", dbsync_ctx_error(ctx)->message);
	return v;
}

/* SQL that names this program's databases, printed into out (1024 bytes). */
__attribute__((format(printf, 2, 3))) static const char *sqlf(char *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out, 1024, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= 1024)
		fail_msg("SQL too long: %s", fmt);
	return out;
}

/* ---- connecting ---- */

static void test_connect_and_describe(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_conn *conn = open_url(ctx, server.url);
	assert_int_equal(dbsync_conn_dialect(conn), DBSYNC_DIALECT_MYSQL);
	char want[600];
	snprintf(want, sizeof want, "mysql://root@localhost/%s?unix_socket=%s", server.db, server_socket);
	assert_string_equal(dbsync_conn_describe(conn), want);
	assert_non_null(strstr(dbsync_conn_server_version(conn), "MariaDB"));
	assert_true(((dbs_my_conn *)conn->impl)->mariadb);
	assert_true(((dbs_my_conn *)conn->impl)->version >= 100200);
	/* Linux's default: names are stored as given and compared exactly */
	assert_int_equal(dbs_my_lower_case_table_names(conn), 0);
	assert_int_equal(query_int(ctx, conn, "SELECT 6 * 7"), 42);
	/* the connection speaks utf8mb4, so 4-byte names survive */
	assert_int_equal(query_int(ctx, conn, "SELECT @@character_set_client = 'utf8mb4'"), 1);
	dbsync_conn_close(conn);
}

static void test_password_user_connects_without_showing_it(void **state)
{
	dbsync_ctx *ctx = *state;
	char url[700];
	snprintf(url, sizeof url, "mysql://%s:%s@localhost:3306/%s?unix_socket=%s",
		server.pw_user, RIGHT_PASSWORD, server.db, server_socket);
	dbsync_conn *conn = open_url(ctx, url);
	const char *d = dbsync_conn_describe(conn);
	assert_null(strstr(d, RIGHT_PASSWORD));
	char want[200], sql[1024];
	snprintf(want, sizeof want, "mysql://%s@localhost:3306/%s", server.pw_user, server.db);
	assert_non_null(strstr(d, want));
	assert_int_equal(query_int(ctx, conn, sqlf(sql, "SELECT CURRENT_USER() = '%s@localhost'", server.pw_user)), 1);
	dbsync_conn_close(conn);
}

static void test_wrong_password_is_econnect_without_the_password(void **state)
{
	dbsync_ctx *ctx = *state;
	char url[700];
	snprintf(url, sizeof url, "mysql://%s:%s@localhost/%s?unix_socket=%s",
		server.pw_user, WRONG_PASSWORD, server.db, server_socket);
	dbsync_conn *conn = NULL;
	assert_int_equal(dbsync_conn_open_url(&conn, ctx, url), DBSYNC_ECONNECT);
	assert_null(conn);
	const dbsync_error *e = dbsync_ctx_error(ctx);
	assert_int_equal(e->code, DBSYNC_ECONNECT);
	assert_int_equal(e->native_code, 1045); /* ER_ACCESS_DENIED_ERROR */
	assert_string_equal(e->sqlstate, "28000");
	assert_non_null(strstr(e->message, server.pw_user));
	assert_non_null(strstr(e->message, "Access denied"));
	assert_null(strstr(e->message, WRONG_PASSWORD));

	/* the same through parameters, as the Django binding passes them */
	const char *keys[] = { "name", "user", "password", "unix_socket" };
	const char *vals[] = { server.db, server.pw_user, WRONG_PASSWORD, server_socket };
	assert_int_equal(dbsync_conn_open_params(&conn, ctx, DBSYNC_DIALECT_MYSQL, keys, vals, 4),
		DBSYNC_ECONNECT);
	assert_null(strstr(dbsync_ctx_error(ctx)->message, WRONG_PASSWORD));

	/* no server on the socket at all */
	const char *nkeys[] = { "name", "user", "password", "unix_socket" };
	const char *nvals[] = { server.db, "root", WRONG_PASSWORD, "/nonexistent/dbsync.sock" };
	assert_int_equal(dbsync_conn_open_params(&conn, ctx, DBSYNC_DIALECT_MYSQL, nkeys, nvals, 4),
		DBSYNC_ECONNECT);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "/nonexistent/dbsync.sock"));
	assert_null(strstr(dbsync_ctx_error(ctx)->message, WRONG_PASSWORD));
}

/* A user whose grants stop at its own database cannot create the shadow
 * database the desired schema is read back in: the error says which grant. */
static void test_shadow_without_its_grant_names_the_grant(void **state)
{
	dbsync_ctx *ctx = *state;
	static const char ddl[] = "CREATE TABLE `shadow_probe` (`id` integer NOT NULL PRIMARY KEY);";
	char url[700];
	snprintf(url, sizeof url, "mysql://%s:%s@localhost/%s?unix_socket=%s", server.pw_user, RIGHT_PASSWORD,
		server.db, server_socket);
	dbsync_conn *conn = open_url(ctx, url);
	dbsync_schema *desired = NULL;
	dbsync_plan *plan = NULL;
	assert_int_equal(dbsync_schema_parse(&desired, ctx, DBSYNC_DIALECT_MYSQL, ddl, sizeof ddl - 1), 0);
	assert_int_not_equal(dbsync_plan_compute(&plan, ctx, conn, desired, NULL), 0);
	assert_null(plan);
	const dbsync_error *e = dbsync_ctx_error(ctx);
	assert_int_equal(e->native_code, 1044); /* ER_DBACCESS_DENIED_ERROR */
	assert_non_null(strstr(e->message, "Access denied"));
	assert_non_null(strstr(e->message, "GRANT CREATE, DROP, ALTER, INDEX, REFERENCES ON `dbsync\\_shadow\\_%`.*"));
	assert_null(strstr(e->message, RIGHT_PASSWORD));
	dbsync_schema_free(desired);
	dbsync_conn_close(conn);
}

static void test_bad_options_are_einvalid(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_conn *conn = NULL;
	const char *keys[] = { "name", "user", "sslmode" };
	const char *vals[] = { server.db, "root", "require" };
	assert_int_equal(dbsync_conn_open_params(&conn, ctx, DBSYNC_DIALECT_MYSQL, keys, vals, 3),
		DBSYNC_EINVALID);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "'sslmode'"));

	char url[700];
	snprintf(url, sizeof url, "%s&bogus_opt=1", server.url);
	assert_int_equal(dbsync_conn_open_url(&conn, ctx, url), DBSYNC_EINVALID);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "'bogus_opt'"));

	const char *pkeys[] = { "name", "port" };
	const char *pvals[] = { server.db, "70000" };
	assert_int_equal(dbsync_conn_open_params(&conn, ctx, DBSYNC_DIALECT_MYSQL, pkeys, pvals, 2),
		DBSYNC_EINVALID);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "port"));

	const char *ckeys[] = { "name", "charset" };
	const char *cvals[] = { server.db, "latin1" };
	assert_int_equal(dbsync_conn_open_params(&conn, ctx, DBSYNC_DIALECT_MYSQL, ckeys, cvals, 2),
		DBSYNC_EINVALID);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "latin1"));

	const char *nkeys[] = { "user" };
	const char *nvals[] = { "root" };
	assert_int_equal(dbsync_conn_open_params(&conn, ctx, DBSYNC_DIALECT_MYSQL, nkeys, nvals, 1),
		DBSYNC_EINVALID);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "'name'"));
	assert_null(conn);
}

static void test_options_reach_the_connector(void **state)
{
	dbsync_ctx *ctx = *state;
	/* an option file, as Django's OPTIONS['read_default_file'] names one */
	char cnf[160];
	snprintf(cnf, sizeof cnf, "%s/%s.cnf", server.dir, server.db);
	FILE *f = fopen(cnf, "w");
	assert_non_null(f);
	fprintf(f, "[client]\nsocket=%s\nuser=%s\npassword=%s\n", server_socket, server.pw_user, RIGHT_PASSWORD);
	fclose(f);
	const char *keys[] = { "name", "read_default_file", "init_command" };
	const char *vals[] = { server.db, cnf, "SET @dbsync_probe = 7" };
	dbsync_conn *conn = NULL;
	if (dbsync_conn_open_params(&conn, ctx, DBSYNC_DIALECT_MYSQL, keys, vals, 3))
		fail_msg("cannot connect through %s: %s", cnf, dbsync_ctx_error(ctx)->message);
	char sql[1024];
	assert_int_equal(query_int(ctx, conn, sqlf(sql, "SELECT CURRENT_USER() = '%s@localhost'", server.pw_user)), 1);
	assert_int_equal(query_int(ctx, conn, "SELECT @dbsync_probe"), 7);
	assert_null(strstr(dbsync_conn_describe(conn), RIGHT_PASSWORD));
	dbsync_conn_close(conn);
	remove(cnf);
}

/* ---- introspection ---- */

/* What Django 5.2 emits for a pair of models on MySQL, plus what a DBA adds
 * by hand (a prefix index, a generated column, comments, ON UPDATE). */
static const char django_schema[] =
	"CREATE TABLE `shop_author` ("
	" `id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY,"
	" `name` varchar(100) COLLATE utf8mb4_bin NOT NULL UNIQUE,"
	" `age` integer UNSIGNED NOT NULL CHECK (`age` >= 0),"
	" `price` numeric(10, 2) NOT NULL DEFAULT 1.50,"
	" `born` datetime(6) NOT NULL,"
	" `data` json NOT NULL,"
	" `nick` varchar(20) NOT NULL DEFAULT 'it''s',"
	" `full_name` varchar(130) GENERATED ALWAYS AS (concat(`name`, ' ', `nick`)) STORED,"
	" `updated` datetime(6) NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),"
	" `is_active` bool NOT NULL DEFAULT 1,"
	" `note` longtext NULL"
	") COMMENT='people who write';\n"
	"CREATE TABLE `shop_book` ("
	" `id` integer AUTO_INCREMENT NOT NULL PRIMARY KEY,"
	" `author_id` bigint NOT NULL,"
	" `title` varchar(255) NOT NULL COMMENT 'as printed',"
	" `isbn` varchar(13) NULL,"
	" `pages` smallint UNSIGNED NULL,"
	" CONSTRAINT `shop_book_isbn_author_uniq` UNIQUE (`isbn`, `author_id`),"
	" CONSTRAINT `shop_book_title_nonempty` CHECK (char_length(`title`) > 0));\n"
	"CREATE INDEX `shop_book_author_id_idx` ON `shop_book` (`author_id`);\n"
	"ALTER TABLE `shop_book` ADD CONSTRAINT `shop_book_author_id_fk_shop_author_id` "
	"FOREIGN KEY (`author_id`) REFERENCES `shop_author` (`id`) ON DELETE CASCADE;\n"
	"CREATE INDEX `shop_book_title_prefix` ON `shop_book` (`title`(10), `author_id` DESC);\n"
	"CREATE VIEW `shop_book_titles` AS SELECT `title` FROM `shop_book`;\n";

static dbs_constraint *find_con(const dbs_table *t, dbs_con_kind kind, const char *name)
{
	for (size_t i = 0; i < t->constraints.n; i++) {
		dbs_constraint *k = t->constraints.items[i];
		if (k->kind == kind && (name ? (k->name && strcmp(k->name, name) == 0) : true))
			return k;
	}
	return NULL;
}

static size_t count_con(const dbs_table *t, dbs_con_kind kind)
{
	size_t n = 0;
	for (size_t i = 0; i < t->constraints.n; i++)
		n += t->constraints.items[i]->kind == kind;
	return n;
}

static dbs_index *find_ix(const dbs_table *t, const char *name)
{
	for (size_t i = 0; i < t->indexes.n; i++)
		if (strcmp(t->indexes.items[i]->name, name) == 0)
			return t->indexes.items[i];
	return NULL;
}

static void check_author(dbsync_schema *s, dbs_table *a)
{
	assert_string_equal(a->comment, "people who write");
	assert_int_equal(a->columns.n, 11);

	dbs_column *id = dbs_table_find_column(s, a, "id");
	assert_string_equal(id->type, "bigint");
	assert_true(id->autoincrement && id->not_null);
	assert_null(id->default_expr);
	dbs_constraint *pk = dbs_table_primary_key(a);
	assert_non_null(pk);
	assert_int_equal(pk->cols.n, 1);
	assert_string_equal(pk->cols.items[0], "id");

	dbs_column *name = dbs_table_find_column(s, a, "name");
	assert_string_equal(name->type, "varchar(100)");
	assert_string_equal(name->collation, "utf8mb4_bin");
	dbs_constraint *uq = find_con(a, DBS_CON_UNIQUE, "name");
	assert_non_null(uq);
	assert_true(uq->inline_col);
	assert_int_equal(uq->cols.n, 1);
	assert_string_equal(uq->cols.items[0], "name");

	dbs_column *age = dbs_table_find_column(s, a, "age");
	assert_string_equal(age->type, "int unsigned");
	dbs_constraint *ck = find_con(a, DBS_CON_CHECK, NULL);
	assert_non_null(ck);
	assert_true(ck->inline_col);
	assert_int_equal(ck->cols.n, 1);
	assert_string_equal(ck->cols.items[0], "age");
	assert_string_equal(ck->check_expr, "`age` >= 0");
	/* the only CHECK left: MariaDB's json_valid one is folded into the type */
	assert_int_equal(count_con(a, DBS_CON_CHECK), 1);

	dbs_column *price = dbs_table_find_column(s, a, "price");
	assert_string_equal(price->type, "decimal(10,2)");
	assert_string_equal(price->default_expr, "1.50");

	dbs_column *born = dbs_table_find_column(s, a, "born");
	assert_string_equal(born->type, "datetime(6)");
	assert_true(born->not_null);
	assert_null(born->default_expr);

	dbs_column *data = dbs_table_find_column(s, a, "data");
	assert_string_equal(data->type, "json");
	assert_null(data->collation);

	/* a plain longtext with no json_valid CHECK stays longtext */
	dbs_column *note = dbs_table_find_column(s, a, "note");
	assert_string_equal(note->type, "longtext");
	assert_false(note->not_null);
	/* MariaDB reports DEFAULT NULL for a nullable column; the model has none */
	assert_null(note->default_expr);
	assert_null(note->collation); /* the table's own */

	dbs_column *nick = dbs_table_find_column(s, a, "nick");
	assert_string_equal(nick->default_expr, "'it''s'");

	dbs_column *full = dbs_table_find_column(s, a, "full_name");
	assert_non_null(full->generated_expr);
	assert_true(full->generated_stored);
	assert_non_null(strstr(full->generated_expr, "`name`"));
	assert_non_null(strstr(full->generated_expr, "`nick`"));
	assert_null(full->default_expr);

	dbs_column *upd = dbs_table_find_column(s, a, "updated");
	assert_false(upd->not_null);
	assert_string_equal(upd->default_expr, "CURRENT_TIMESTAMP(6)");
	assert_string_equal(upd->on_update_expr, "CURRENT_TIMESTAMP(6)");

	dbs_column *act = dbs_table_find_column(s, a, "is_active");
	assert_string_equal(act->type, "tinyint(1)");
	assert_string_equal(act->default_expr, "1");
}

static void check_book(dbsync_schema *s, dbs_table *b)
{
	assert_null(b->comment);
	assert_string_equal(dbs_table_find_column(s, b, "id")->type, "int");
	assert_string_equal(dbs_table_find_column(s, b, "pages")->type, "smallint unsigned");
	assert_string_equal(dbs_table_find_column(s, b, "title")->comment, "as printed");
	assert_null(dbs_table_find_column(s, b, "isbn")->comment);

	dbs_constraint *fk = find_con(b, DBS_CON_FOREIGN, "shop_book_author_id_fk_shop_author_id");
	assert_non_null(fk);
	assert_int_equal(fk->cols.n, 1);
	assert_string_equal(fk->cols.items[0], "author_id");
	assert_string_equal(fk->ref_table, "shop_author");
	assert_int_equal(fk->ref_cols.n, 1);
	assert_string_equal(fk->ref_cols.items[0], "id");
	assert_string_equal(fk->on_delete, "CASCADE");
	/* MariaDB reports the default as RESTRICT, which InnoDB treats as NO ACTION */
	assert_null(fk->on_update);

	dbs_constraint *uq = find_con(b, DBS_CON_UNIQUE, "shop_book_isbn_author_uniq");
	assert_non_null(uq);
	assert_false(uq->inline_col);
	assert_int_equal(uq->cols.n, 2);
	assert_string_equal(uq->cols.items[0], "isbn");
	assert_string_equal(uq->cols.items[1], "author_id");

	dbs_constraint *ck = find_con(b, DBS_CON_CHECK, "shop_book_title_nonempty");
	assert_non_null(ck);
	assert_false(ck->inline_col);
	assert_int_equal(ck->cols.n, 0);
	assert_non_null(strstr(ck->check_expr, "`title`"));
	assert_non_null(strstr(ck->check_expr, "> 0"));

	/* unique keys became constraints; the rest stay indexes */
	assert_int_equal(b->indexes.n, 2);
	assert_int_equal(count_con(b, DBS_CON_PRIMARY), 1);
	dbs_index *plain = find_ix(b, "shop_book_author_id_idx");
	assert_non_null(plain);
	assert_false(plain->unique);
	assert_null(plain->method);
	assert_int_equal(plain->parts.n, 1);
	assert_string_equal(plain->parts.items[0].column, "author_id");
	assert_int_equal(plain->parts.items[0].prefix_len, 0);

	dbs_index *pfx = find_ix(b, "shop_book_title_prefix");
	assert_non_null(pfx);
	assert_int_equal(pfx->parts.n, 2);
	assert_string_equal(pfx->parts.items[0].column, "title");
	assert_int_equal(pfx->parts.items[0].prefix_len, 10);
	assert_false(pfx->parts.items[0].desc);
	assert_string_equal(pfx->parts.items[1].column, "author_id");
	assert_int_equal(pfx->parts.items[1].prefix_len, 0);
}

static void test_introspect_django_schema(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_conn *root = open_db(ctx, server.db);
	char sql[1024];
	exec_ok(ctx, root, sqlf(sql, "DROP DATABASE IF EXISTS %s; CREATE DATABASE %s "
		"CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci", db_intro, db_intro));
	dbsync_conn *conn = open_db(ctx, db_intro);
	exec_ok(ctx, conn, django_schema);

	dbsync_schema *s = NULL;
	dbsync_conn_reset_counters(conn);
	if (dbsync_conn_introspect(&s, ctx, conn))
		fail_msg("introspect failed: %s", dbsync_ctx_error(ctx)->message);
	assert_int_equal(dbsync_conn_catalog_queries(conn), DBS_MY_CATALOG_QUERIES);
	assert_int_equal(s->dialect, DBSYNC_DIALECT_MYSQL);
	assert_int_equal(s->tables.n, 2);
	assert_int_equal(s->views.n, 1);
	assert_string_equal(s->views.items[0]->name, "shop_book_titles");
	assert_non_null(strstr(s->views.items[0]->definition, "title"));
	dbs_table *a = dbs_schema_find_table(s, "shop_author");
	dbs_table *b = dbs_schema_find_table(s, "shop_book");
	assert_non_null(a);
	assert_non_null(b);
	check_author(s, a);
	if (((dbs_my_conn *)conn->impl)->version >= 100800)
		assert_true(find_ix(b, "shop_book_title_prefix")->parts.items[1].desc);
	check_book(s, b);
	dbsync_schema_free(s);

	exec_ok(ctx, root, sqlf(sql, "DROP DATABASE %s", db_intro));
	dbsync_conn_close(conn);
	dbsync_conn_close(root);
}

/* Under lower_case_table_names=0 "Foo" and "foo" are two tables; the
 * catalog sorts names case-insensitively, so their rows may interleave. */
static void test_tables_differing_in_case_stay_apart(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_conn *root = open_db(ctx, server.db);
	char sql[1024];
	exec_ok(ctx, root, sqlf(sql, "DROP DATABASE IF EXISTS %s; CREATE DATABASE %s", db_case, db_case));
	dbsync_conn *conn = open_db(ctx, db_case);
	exec_ok(ctx, conn,
		"CREATE TABLE `Foo` (a int PRIMARY KEY, b int, UNIQUE KEY u (b));"
		"CREATE TABLE `foo` (x int, y int, z int, KEY u (z), CONSTRAINT fk FOREIGN KEY (x) REFERENCES `Foo` (a));");
	dbsync_schema *s = NULL;
	if (dbsync_conn_introspect(&s, ctx, conn))
		fail_msg("introspect failed: %s", dbsync_ctx_error(ctx)->message);
	assert_int_equal(s->tables.n, 2);
	dbs_table *upper = NULL, *lower = NULL;
	for (size_t i = 0; i < s->tables.n; i++) {
		if (strcmp(s->tables.items[i]->name, "Foo") == 0)
			upper = s->tables.items[i];
		if (strcmp(s->tables.items[i]->name, "foo") == 0)
			lower = s->tables.items[i];
	}
	assert_non_null(upper);
	assert_non_null(lower);
	assert_int_equal(upper->columns.n, 2);
	assert_int_equal(lower->columns.n, 3);
	assert_non_null(find_con(upper, DBS_CON_UNIQUE, "u"));
	assert_null(find_con(lower, DBS_CON_UNIQUE, "u"));
	assert_non_null(find_ix(lower, "u"));
	assert_int_equal(upper->indexes.n, 0);
	dbs_constraint *fk = find_con(lower, DBS_CON_FOREIGN, "fk");
	assert_non_null(fk);
	assert_string_equal(fk->ref_table, "Foo");
	assert_null(find_con(upper, DBS_CON_FOREIGN, NULL));
	dbsync_schema_free(s);
	exec_ok(ctx, root, sqlf(sql, "DROP DATABASE %s", db_case));
	dbsync_conn_close(conn);
	dbsync_conn_close(root);
}

/* Tables that each carry a column of every kind of catalog row: FKs,
 * uniques, indexes, CHECKs, comments. */
static void make_tables(dbsync_ctx *ctx, dbsync_conn *conn, int n)
{
	dbs_buf b = DBS_BUF_INIT;
	dbs_buf_puts(&b, "CREATE TABLE t0 (id int AUTO_INCREMENT PRIMARY KEY);\n");
	for (int i = 1; i < n; i++)
		dbs_buf_printf(&b,
			"CREATE TABLE t%d (id int AUTO_INCREMENT PRIMARY KEY, code varchar(20) NOT NULL UNIQUE, "
			"parent_id int NULL COMMENT 'up', qty int NOT NULL DEFAULT 0 CHECK (qty >= 0), "
			"KEY t%d_code_pfx (code(4)), "
			"CONSTRAINT t%d_parent_fk FOREIGN KEY (parent_id) REFERENCES t%d (id) ON DELETE SET NULL) "
			"COMMENT='table %d';\n", i, i, i, i - 1, i);
	assert_true(dbs_buf_ok(&b));
	exec_ok(ctx, conn, dbs_buf_cstr(&b));
	dbs_buf_free(&b);
}

static uint64_t introspect_count(dbsync_ctx *ctx, const char *db, int n_tables)
{
	dbsync_conn *root = open_db(ctx, server.db);
	char sql[256];
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s; CREATE DATABASE %s", db, db);
	exec_ok(ctx, root, sql);
	dbsync_conn *conn = open_db(ctx, db);
	make_tables(ctx, conn, n_tables);
	dbsync_conn_reset_counters(conn);
	dbsync_schema *s = NULL;
	if (dbsync_conn_introspect(&s, ctx, conn))
		fail_msg("introspect failed: %s", dbsync_ctx_error(ctx)->message);
	uint64_t q = dbsync_conn_catalog_queries(conn);
	assert_int_equal(s->tables.n, (size_t)n_tables);
	/* every table was read in full, not just listed */
	dbs_table *last = dbs_schema_find_table(s, "t1");
	assert_non_null(last);
	assert_int_equal(last->columns.n, 4);
	assert_int_equal(count_con(last, DBS_CON_FOREIGN), 1);
	assert_int_equal(count_con(last, DBS_CON_CHECK), 1);
	assert_int_equal(count_con(last, DBS_CON_UNIQUE), 1);
	assert_int_equal(last->indexes.n, 2); /* the prefix key and the FK's */
	assert_string_equal(find_con(last, DBS_CON_FOREIGN, NULL)->on_delete, "SET NULL");
	snprintf(sql, sizeof sql, "t%d", n_tables - 1);
	dbs_table *t = dbs_schema_find_table(s, sql);
	assert_non_null(t);
	assert_int_equal(t->columns.n, 4);
	dbsync_schema_free(s);
	snprintf(sql, sizeof sql, "DROP DATABASE %s", db);
	exec_ok(ctx, root, sql);
	dbsync_conn_close(conn);
	dbsync_conn_close(root);
	return q;
}

static void test_catalog_queries_constant(void **state)
{
	dbsync_ctx *ctx = *state;
	uint64_t q10 = introspect_count(ctx, db_q10, 10);
	uint64_t q500 = introspect_count(ctx, db_q500, 500);
	assert_int_equal(q10, q500);
	assert_int_equal(q10, DBS_MY_CATALOG_QUERIES);
}

/* The planner sends through the shadow database only the tables the parser's
 * canonical forms find missing or different: a database in sync costs the
 * catalog read alone, a drifted table one shadow run of that table, and the
 * plan fixes exactly it. */
static void test_shadow_only_for_tables_that_differ(void **state)
{
	dbsync_ctx *ctx = *state;
	static const char ddl[] =
		"CREATE TABLE `sub_a` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `name` varchar(100) NOT NULL "
		"UNIQUE, `price` numeric(10, 2) NOT NULL, `qty` integer NOT NULL CHECK (`qty` >= 0), `flag` bool NOT "
		"NULL, `u` integer UNSIGNED NOT NULL, `d` double precision NULL, `created` datetime(6) NOT NULL, "
		"`notes` longtext NULL);\n"
		"CREATE TABLE `sub_b` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `a_id` bigint NOT NULL);\n"
		"ALTER TABLE `sub_b` ADD CONSTRAINT `sub_b_a_id_fk` FOREIGN KEY (`a_id`) REFERENCES `sub_a` (`id`);\n"
		"CREATE INDEX `sub_b_a_idx` ON `sub_b` (`a_id`);\n";
	dbsync_conn *conn = open_db(ctx, server.db);
	char sql[1024];
	if (dbsync_conn_exec(ctx, conn, sqlf(sql, "CREATE DATABASE %s", db_subset)) ||
	    dbsync_conn_exec(ctx, conn, sqlf(sql, "USE %s", db_subset)))
		fail_msg("%s", dbsync_ctx_error(ctx)->message);
	dbsync_conn_close(conn);
	conn = open_db(ctx, db_subset);
	if (dbsync_conn_exec(ctx, conn, ddl))
		fail_msg("%s", dbsync_ctx_error(ctx)->message);
	dbsync_schema *desired = NULL;
	assert_int_equal(dbsync_schema_parse(&desired, ctx, DBSYNC_DIALECT_MYSQL, ddl, strlen(ddl)), 0);
	dbsync_plan *plan = NULL;
	dbsync_conn_reset_counters(conn);
	assert_int_equal(dbsync_plan_compute(&plan, ctx, conn, desired, NULL), 0);
	assert_int_equal(dbsync_plan_op_count(plan), 0);
	assert_int_equal(dbsync_conn_catalog_queries(conn), DBS_MY_CATALOG_QUERIES);
	dbsync_plan_free(plan);

	/* sub_b loses its index (the foreign key keeps one of its own) */
	if (dbsync_conn_exec(ctx, conn, "ALTER TABLE `sub_b` ADD INDEX `tmp_a` (`a_id`), DROP INDEX `sub_b_a_idx`"))
		fail_msg("%s", dbsync_ctx_error(ctx)->message);
	dbsync_conn_reset_counters(conn);
	assert_int_equal(dbsync_plan_compute(&plan, ctx, conn, desired, NULL), 0);
	assert_int_equal(dbsync_conn_catalog_queries(conn), 2 * DBS_MY_CATALOG_QUERIES);
	assert_true(dbsync_plan_pending_count(plan) >= 1);
	for (size_t i = 0; i < dbsync_plan_op_count(plan); i++)
		assert_string_equal(dbsync_plan_op(plan, i)->table, "sub_b");
	assert_int_equal(dbsync_plan_apply(ctx, conn, plan, NULL), 0);
	dbsync_plan_free(plan);
	dbsync_schema_free(desired);
	if (dbsync_conn_exec(ctx, conn, sqlf(sql, "DROP DATABASE %s", db_subset)))
		fail_msg("%s", dbsync_ctx_error(ctx)->message);
	dbsync_conn_close(conn);
}

/* MariaDB (10.2.7+) and MySQL 8 spell COLUMN_DEFAULT and COLUMN_TYPE
 * differently; each pair below must read as one model. No MySQL 8 server
 * can be had here, so its spellings are the catalog values it documents. */
static void test_mariadb_and_mysql_spellings_agree(void **state)
{
	(void)state;
	dbs_arena a;
	dbs_arena_init(&a);
	static const struct {
		const char *data_type;
		const char *mariadb;   /* COLUMN_DEFAULT on MariaDB */
		const char *mysql;     /* COLUMN_DEFAULT on MySQL 8 */
		const char *mysql_extra;
		const char *want;      /* NULL: no default */
	} defaults[] = {
		{ "varchar", "'it''s'", "it's", "", "'it''s'" },
		{ "varchar", "'a\\\\b'", "a\\b", "", "'a\\\\b'" }, /* the value a\b */
		{ "varchar", "'0'", "0", "", "'0'" },
		{ "varchar", "'NULL'", "NULL", "", "'NULL'" },
		{ "int", "NULL", NULL, "", NULL },
		{ "decimal", "1.50", "1.50", "", "1.50" },
		{ "int", "-3", "-3", "", "-3" },
		{ "tinyint", "1", "1", "", "1" },
		{ "datetime", "'2020-01-01 00:00:00'", "2020-01-01 00:00:00", "", "'2020-01-01 00:00:00'" },
		{ "datetime", "current_timestamp(6)", "CURRENT_TIMESTAMP(6)",
			"DEFAULT_GENERATED on update CURRENT_TIMESTAMP(6)", "CURRENT_TIMESTAMP(6)" },
		{ "timestamp", "current_timestamp()", "CURRENT_TIMESTAMP", "DEFAULT_GENERATED", "CURRENT_TIMESTAMP" },
		/* MySQL 5.7 has no DEFAULT_GENERATED */
		{ "timestamp", "current_timestamp()", "CURRENT_TIMESTAMP", "", "CURRENT_TIMESTAMP" },
		{ "varchar", "uuid()", "uuid()", "DEFAULT_GENERATED", "UUID()" },
	};
	for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
		bool oom = true;
		const char *m = dbs_my_column_default(&a, true, defaults[i].mariadb, defaults[i].data_type, "", &oom);
		assert_false(oom);
		const char *y = dbs_my_column_default(&a, false, defaults[i].mysql, defaults[i].data_type,
			defaults[i].mysql_extra, &oom);
		assert_false(oom);
		if (!defaults[i].want) {
			assert_null(m);
			assert_null(y);
			continue;
		}
		if (!m || !y || strcmp(m, defaults[i].want) || strcmp(y, defaults[i].want))
			fail_msg("default %zu: MariaDB '%s' -> %s, MySQL '%s' -> %s, want %s", i, defaults[i].mariadb,
				m ? m : "(none)", defaults[i].mysql ? defaults[i].mysql : "NULL", y ? y : "(none)",
				defaults[i].want);
	}
	/* the spelling of bit values is the same on both; they stay SQL */
	bool oom;
	assert_string_equal(dbs_my_column_default(&a, false, "b'101'", "bit", "", &oom),
		dbs_my_column_default(&a, true, "b'101'", "bit", "", &oom));

	static const struct { const char *column_type, *data_type, *want; } types[] = {
		{ "int(11)", "int", "int" }, { "int", "int", "int" },
		{ "int(10) unsigned", "int", "int unsigned" }, { "int unsigned", "int", "int unsigned" },
		{ "bigint(20)", "bigint", "bigint" }, { "smallint(5) unsigned", "smallint", "smallint unsigned" },
		{ "tinyint(1)", "tinyint", "tinyint(1)" }, { "tinyint(4)", "tinyint", "tinyint" },
		{ "year(4)", "year", "year" },
		{ "int(5) unsigned zerofill", "int", "int(5) unsigned zerofill" },
		{ "varchar(100)", "varchar", "varchar(100)" }, { "decimal(10,2)", "decimal", "decimal(10,2)" },
		{ "datetime(6)", "datetime", "datetime(6)" }, { "enum('a','b')", "enum", "enum('a','b')" },
	};
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		const char *t = dbs_my_column_type(&a, types[i].column_type, types[i].data_type);
		if (!t || strcmp(t, types[i].want))
			fail_msg("type '%s' -> '%s', want '%s'", types[i].column_type, t ? t : "(null)", types[i].want);
	}
	dbs_arena_free(&a);
}

/* ---- statements and errors ---- */

static void test_exec_errors_carry_errno_and_sqlstate(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_conn *conn = open_db(ctx, server.db);
	assert_int_equal(dbsync_conn_exec(ctx, conn, "SELECT * FROM no_such_table"), DBSYNC_EDB);
	const dbsync_error *e = dbsync_ctx_error(ctx);
	assert_int_equal(e->native_code, 1146); /* ER_NO_SUCH_TABLE */
	assert_string_equal(e->sqlstate, "42S02");
	assert_non_null(strstr(e->message, "no_such_table"));

	/* a script stops at the failing statement, and says which one it was */
	exec_ok(ctx, conn, "DROP TABLE IF EXISTS s1; DROP TABLE IF EXISTS s2");
	assert_int_equal(dbsync_conn_exec(ctx, conn,
		"CREATE TABLE s1 (a int);\n"
		"INSERT INTO s1 VALUES (1); -- one row; not the failure\n"
		"INSERT INTO missing_tbl VALUES (1);\n"
		"CREATE TABLE s2 (a int);\n"), DBSYNC_EDB);
	e = dbsync_ctx_error(ctx);
	assert_int_equal(e->native_code, 1146);
	assert_string_equal(e->sqlstate, "42S02");
	assert_non_null(strstr(e->message, "statement 3 of 4"));
	assert_non_null(strstr(e->message, "INSERT INTO missing_tbl"));
	assert_int_equal(query_int(ctx, conn, "SELECT COUNT(*) FROM s1"), 1);
	assert_int_equal(query_int(ctx, conn, "SELECT COUNT(*) FROM information_schema.TABLES "
		"WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 's2'"), 0);
	/* the connection is still good after a failed script */
	exec_ok(ctx, conn, "DROP TABLE s1; SELECT 1; -- results are drained\n");

	/* a syntax error */
	assert_int_equal(dbsync_conn_exec(ctx, conn, "CREATE TABLE (oops"), DBSYNC_EDB);
	assert_int_equal(dbsync_ctx_error(ctx)->native_code, 1064); /* ER_PARSE_ERROR */
	assert_string_equal(dbsync_ctx_error(ctx)->sqlstate, "42000");

	/* comments only: nothing to run is not an error */
	exec_ok(ctx, conn, "-- nothing\n/* at all */ ;");

	int64_t n = -1;
	assert_int_equal(conn->backend->query_int64(&n, ctx, conn, "SELECT 1 FROM DUAL WHERE 1 = 0"), 0);
	assert_int_equal(n, 0);

	int64_t rows = -1;
	exec_ok(ctx, conn, "CREATE TABLE `Mixed Case` (a int); INSERT INTO `Mixed Case` VALUES (1), (2)");
	assert_int_equal(dbsync_conn_count_rows(&rows, ctx, conn, "Mixed Case"), 0);
	assert_int_equal(rows, 2);
	assert_int_equal(dbsync_conn_count_rows(&rows, ctx, conn, "mixed case"), DBSYNC_EDB);
	assert_int_equal(dbsync_ctx_error(ctx)->native_code, 1146);
	exec_ok(ctx, conn, "DROP TABLE `Mixed Case`");
	dbsync_conn_close(conn);
}

static void test_lost_connection_is_econnect(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_conn *victim = open_db(ctx, server.db);
	dbsync_conn *killer = open_db(ctx, server.db);
	char sql[64];
	snprintf(sql, sizeof sql, "KILL %lld", (long long)query_int(ctx, victim, "SELECT CONNECTION_ID()"));
	exec_ok(ctx, killer, sql);
	assert_int_equal(dbsync_conn_exec(ctx, victim, "SELECT 1"), DBSYNC_ECONNECT);
	int err = dbsync_ctx_error(ctx)->native_code;
	assert_true(err == 2006 || err == 2013 || err == 1927); /* gone, lost, killed */
	dbsync_conn_close(victim);
	dbsync_conn_close(killer);
}

/* ---- a connection lost while a statement runs ---- */

/* The other side of test_lost_connection_during_alter: it waits until the
 * victim's ALTER waits for the metadata lock `holder` keeps, cuts the
 * victim's socket (the server sees nothing of it until it answers), and lets
 * the ALTER go on. No cmocka assertion here: they are not thread-safe. */
typedef struct cutter {
	dbsync_conn *victim, *holder, *watch;
	unsigned long victim_id;
	int cut;
} cutter;

static void *cut_while_waiting(void *arg)
{
	cutter *c = arg;
	dbsync_ctx *ctx = NULL;
	char sql[256];
	if (dbsync_ctx_new(&ctx))
		return NULL;
	snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = %lu "
		"AND INFO LIKE 'ALTER TABLE%%' AND STATE = 'Waiting for table metadata lock'", c->victim_id);
	for (int i = 0; i < 1200 && !c->cut; i++) {
		int64_t n = 0;
		if (c->watch->backend->query_int64(&n, ctx, c->watch, sql))
			break;
		if (n == 1) {
			shutdown((int)mysql_get_socket(dbs_my_db(c->victim)), SHUT_RDWR);
			c->cut = 1;
			break;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 50 * 1000 * 1000 }, NULL);
	}
	dbsync_conn_exec(ctx, c->holder, "COMMIT");
	dbsync_ctx_free(ctx);
	return NULL;
}

/* The client loses its connection while the server runs its ALTER, which
 * the server may finish: apply reconnects, reads the catalog again and
 * reports what really happened, APPLIED when the server finished it. */
static void test_lost_connection_during_alter(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_conn *root = open_db(ctx, server.db);
	char sql[1024];
	exec_ok(ctx, root, sqlf(sql, "DROP DATABASE IF EXISTS %s; CREATE DATABASE %s", db_lost, db_lost));
	dbsync_conn *conn = open_db(ctx, db_lost);
	cutter c = { .victim = conn, .holder = open_db(ctx, db_lost), .watch = open_db(ctx, db_lost) };
	exec_ok(ctx, conn, "CREATE TABLE `item` (`id` int NOT NULL PRIMARY KEY, `qty` int NOT NULL)");
	exec_ok(ctx, conn, "INSERT INTO `item` SELECT seq, seq FROM seq_1_to_1000");
	dbsync_schema *want = NULL;
	const char *want_sql = "CREATE TABLE `item` (`id` integer NOT NULL PRIMARY KEY, `qty` bigint NOT NULL);";
	assert_int_equal(dbsync_schema_parse(&want, ctx, DBSYNC_DIALECT_MYSQL, want_sql, strlen(want_sql)), 0);
	dbsync_plan *plan = NULL;
	assert_int_equal(dbsync_plan_compute(&plan, ctx, conn, want, NULL), 0);
	assert_int_equal(dbsync_plan_pending_count(plan), 1);
	/* the holder's open transaction keeps a metadata lock the ALTER must wait for */
	exec_ok(ctx, c.holder, "BEGIN");
	assert_int_equal(query_int(ctx, c.holder, "SELECT COUNT(*) FROM `item`"), 1000);
	c.victim_id = mysql_thread_id(dbs_my_db(conn));
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, cut_while_waiting, &c), 0);
	dbsync_apply_options ao = DBSYNC_APPLY_OPTIONS_INIT;
	ao.lock_timeout_ms = 120000;
	int rc = dbsync_plan_apply(ctx, conn, plan, &ao);
	pthread_join(th, NULL);
	assert_int_equal(c.cut, 1);
	const dbsync_op *op = dbsync_plan_op(plan, 0);
	/* whatever the server did, the report says it */
	char type_sql[1024];
	sqlf(type_sql, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '%s' "
		"AND TABLE_NAME = 'item' AND COLUMN_NAME = 'qty' AND DATA_TYPE = 'bigint'", db_lost);
	bool altered = query_int(ctx, c.watch, type_sql) == 1;
	assert_non_null(op->error); /* the lost connection stays on record */
	if (altered) {
		assert_int_equal(rc, 0);
		assert_int_equal(op->status, DBSYNC_STATUS_APPLIED);
	} else {
		assert_int_not_equal(rc, 0);
		assert_int_equal(op->status, DBSYNC_STATUS_FAILED);
		assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "the catalog shows it was not applied"));
	}
	fprintf(stderr, "lost connection during ALTER: the server %s it\n", altered ? "finished" : "abandoned");
	assert_true(altered); /* MariaDB finishes a statement whose client is gone */
	assert_int_equal(query_int(ctx, c.watch, sqlf(sql, "SELECT COUNT(*) FROM %s.item", db_lost)), 1000);
	dbsync_plan_free(plan);
	dbsync_schema_free(want);
	dbsync_conn_close(c.holder);
	dbsync_conn_close(c.watch);
	dbsync_conn_close(conn);
	exec_ok(ctx, root, sqlf(sql, "DROP DATABASE %s", db_lost));
	dbsync_conn_close(root);
}

/* The connection is lost while the first of an op's three statements runs
 * (a NOT NULL column added to a table with rows: add it nullable, fill it,
 * make it NOT NULL), and the server finishes that statement. The statement
 * alone cannot say how far the op got; the re-read catalog can: without
 * retries the op fails naming what is left of it, with one retry that rest
 * runs and the op is applied, its column filled and NOT NULL. */
static void test_lost_connection_midway(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_conn *root = open_db(ctx, server.db);
	char sql[1024], note_yes[1024], note_no[1024];
#define NOTE_SQL "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '%s' " \
		"AND TABLE_NAME = 'item' AND COLUMN_NAME = 'note' AND IS_NULLABLE = '%s'"
	sqlf(note_yes, NOTE_SQL, db_lost, "YES");
	sqlf(note_no, NOTE_SQL, db_lost, "NO");
#undef NOTE_SQL
	const char *want_sql = "CREATE TABLE `item` (`id` integer NOT NULL PRIMARY KEY, `qty` int NOT NULL, "
		"`note` int NOT NULL);";
	const char *meta = "{\"tables\": {\"item\": {\"columns\": {\"note\": {\"default\": 7}}}}}";
	for (int retries = 0; retries <= 1; retries++) {
		exec_ok(ctx, root, sqlf(sql, "DROP DATABASE IF EXISTS %s; CREATE DATABASE %s", db_lost, db_lost));
		dbsync_conn *conn = open_db(ctx, db_lost);
		cutter c = { .victim = conn, .holder = open_db(ctx, db_lost), .watch = open_db(ctx, db_lost) };
		exec_ok(ctx, conn, "CREATE TABLE `item` (`id` int NOT NULL PRIMARY KEY, `qty` int NOT NULL)");
		exec_ok(ctx, conn, "INSERT INTO `item` SELECT seq, seq FROM seq_1_to_1000");
		dbsync_schema *want = NULL;
		assert_int_equal(dbsync_schema_parse(&want, ctx, DBSYNC_DIALECT_MYSQL, want_sql, strlen(want_sql)), 0);
		dbsync_plan_options po = DBSYNC_PLAN_OPTIONS_INIT;
		po.metadata_json = meta;
		dbsync_plan *plan = NULL;
		assert_int_equal(dbsync_plan_compute(&plan, ctx, conn, want, &po), 0);
		assert_int_equal(dbsync_plan_pending_count(plan), 1);
		const dbsync_op *op = dbsync_plan_op(plan, 0);
		assert_int_equal(op->n_sql, 3);
		exec_ok(ctx, c.holder, "BEGIN");
		assert_int_equal(query_int(ctx, c.holder, "SELECT COUNT(*) FROM `item`"), 1000);
		c.victim_id = mysql_thread_id(dbs_my_db(conn));
		pthread_t th;
		assert_int_equal(pthread_create(&th, NULL, cut_while_waiting, &c), 0);
		dbsync_apply_options ao = DBSYNC_APPLY_OPTIONS_INIT;
		ao.lock_timeout_ms = 120000;
		ao.max_retries = retries;
		ao.retry_base_ms = 1;
		int rc = dbsync_plan_apply(ctx, conn, plan, &ao);
		pthread_join(th, NULL);
		assert_int_equal(c.cut, 1);
		assert_non_null(op->error); /* the lost connection stays on record */
		if (!retries) {
			/* the server added the column (nullable): the first statement ran */
			assert_int_equal(query_int(ctx, c.watch, note_yes), 1);
			assert_int_not_equal(rc, 0);
			assert_int_equal(op->status, DBSYNC_STATUS_FAILED);
			assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "statement 1 of 3; after reconnecting, the "
				"catalog shows this much of it is left: modify column `note` of `item`"));
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(op->status, DBSYNC_STATUS_APPLIED);
			assert_int_equal(op->attempts, 2);
			assert_int_equal(query_int(ctx, c.watch, note_no), 1);
			assert_int_equal(query_int(ctx, c.watch, sqlf(sql, "SELECT COUNT(*) FROM %s.item WHERE note = 7", db_lost)),
				1000);
		}
		dbsync_ctx_clear_error(ctx);
		dbsync_plan_free(plan);
		dbsync_schema_free(want);
		dbsync_conn_close(c.holder);
		dbsync_conn_close(c.watch);
		dbsync_conn_close(conn);
	}
	exec_ok(ctx, root, sqlf(sql, "DROP DATABASE %s", db_lost));
	dbsync_conn_close(root);
}

/* ---- the sync lock ---- */

static void test_second_run_is_locked_out(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_conn *first = open_db(ctx, server.db);
	dbsync_conn *second = open_db(ctx, server.db);
	dbsync_conn *observer = open_db(ctx, server.db);
	const dbs_backend *be = first->backend;
	assert_true(be->ddl_autocommits);
	char used[1024], unused[1024], is_free[1024];
	sqlf(used, "SELECT IS_USED_LOCK('django-dbsync:%s') IS NOT NULL", server.db);
	sqlf(unused, "SELECT IS_USED_LOCK('django-dbsync:%s') IS NULL", server.db);
	sqlf(is_free, "SELECT IS_FREE_LOCK('django-dbsync:%s')", server.db);

	assert_int_equal(be->apply_begin(ctx, first, NULL), 0);
	assert_int_equal(query_int(ctx, observer, used), 1);
	assert_int_equal(be->apply_begin(ctx, second, NULL), DBSYNC_ELOCKED);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, server.db));
	/* one run per connection, too */
	assert_int_equal(be->apply_begin(ctx, first, NULL), DBSYNC_EINVALID);

	assert_int_equal(be->apply_end(ctx, first, NULL, 1), 0);
	assert_int_equal(query_int(ctx, observer, unused), 1);
	assert_int_equal(be->apply_begin(ctx, second, NULL), 0);
	/* a failed run (commit=0) releases the lock and keeps the error it had */
	dbs_error_db(ctx, DBSYNC_EDB, "42S02", 1146, "the step's own error");
	assert_int_equal(be->apply_end(ctx, second, NULL, 0), 0);
	assert_string_equal(dbsync_ctx_error(ctx)->message, "the step's own error");
	assert_int_equal(query_int(ctx, observer, unused), 1);

	/* a run's lock dies with its connection, so a crashed run blocks nobody */
	assert_int_equal(be->apply_begin(ctx, first, NULL), 0);
	dbsync_conn_close(first);
	/* the server ends the closed session on its own time: wait until the lock
	 * is free (60 s is a bound against a hang, not an expected time) */
	for (int i = 0; i < 1200 && query_int(ctx, observer, is_free) != 1; i++)
		nanosleep(&(struct timespec){ .tv_nsec = 50 * 1000 * 1000 }, NULL);
	assert_int_equal(be->apply_begin(ctx, second, NULL), 0);
	assert_int_equal(be->apply_end(ctx, second, NULL, 1), 0);
	dbsync_conn_close(second);
	dbsync_conn_close(observer);
}

static void test_script_frames_show_the_lock(void **state)
{
	(void)state;
	dbs_buf pro = DBS_BUF_INIT, epi = DBS_BUF_INIT;
	assert_int_equal(dbs_backend_for(DBSYNC_DIALECT_MYSQL)->script_prologue(&pro, NULL), 0);
	assert_int_equal(dbs_backend_for(DBSYNC_DIALECT_MYSQL)->script_epilogue(&epi, NULL), 0);
	assert_non_null(strstr(dbs_buf_cstr(&pro), "SELECT GET_LOCK(CONCAT('django-dbsync:', LEFT(DATABASE(), 50)), 0);\n"));
	assert_non_null(strstr(dbs_buf_cstr(&pro), "one by one"));
	assert_string_equal(dbs_buf_cstr(&epi), "SELECT RELEASE_LOCK(CONCAT('django-dbsync:', LEFT(DATABASE(), 50)));\n");
	assert_null(strstr(dbs_buf_cstr(&pro), "BEGIN"));
	dbs_buf_free(&pro);
	dbs_buf_free(&epi);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_connect_and_describe, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_password_user_connects_without_showing_it, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_wrong_password_is_econnect_without_the_password, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_shadow_without_its_grant_names_the_grant, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_bad_options_are_einvalid, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_options_reach_the_connector, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_introspect_django_schema, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_tables_differing_in_case_stay_apart, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_catalog_queries_constant, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_shadow_only_for_tables_that_differ, ctx_setup, ctx_teardown),
		cmocka_unit_test(test_mariadb_and_mysql_spellings_agree),
		cmocka_unit_test_setup_teardown(test_exec_errors_carry_errno_and_sqlstate, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_lost_connection_is_econnect, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_lost_connection_during_alter, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_lost_connection_midway, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_second_run_is_locked_out, ctx_setup, ctx_teardown),
		cmocka_unit_test(test_script_frames_show_the_lock),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
