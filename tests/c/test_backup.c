/* Backups and restores against real databases: SQLite files, and throwaway
 * PostgreSQL and MariaDB servers. Every row of the restored copy is compared
 * with the original; tool backups are shown to get their credentials through
 * the environment or an option file, never their command line. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend.h"
#include "backup_internal.h"
#include "test_support.h"
#ifdef DBSYNC_HAVE_SQLITE
#include "backend_sqlite.h"
#endif
#ifdef DBSYNC_HAVE_POSTGRES
#include "backend_postgres.h"
#endif
#ifdef DBSYNC_HAVE_MYSQL
#include "backend_mysql.h"
#endif

#define PG_PASSWORD "Pg-Backup-Secret-77aa"
#define MY_PASSWORD "dbsync-secret-pw" /* set by mariadb-server.sh */

/* ---- helpers ---- */

/* The first column of the first row of `sql` as text ("" for NULL), through
 * each backend's own handle: the comparison must not trust the code under test. */
static char *query_text(dbsync_conn *conn, const char *sql)
{
	char *out = NULL;
	switch (dbsync_conn_dialect(conn)) {
#ifdef DBSYNC_HAVE_SQLITE
	case DBSYNC_DIALECT_SQLITE: {
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(dbs_sq_db(conn), sql, -1, &st, NULL) != SQLITE_OK)
			fail_msg("%s: %s", sql, sqlite3_errmsg(dbs_sq_db(conn)));
		if (sqlite3_step(st) == SQLITE_ROW)
			out = strdup(sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : "");
		sqlite3_finalize(st);
		break;
	}
#endif
#ifdef DBSYNC_HAVE_POSTGRES
	case DBSYNC_DIALECT_POSTGRES: {
		PGresult *res = PQexec(dbs_pg_handle(conn), sql);
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
			fail_msg("%s: %s", sql, PQresultErrorMessage(res));
		out = strdup(PQntuples(res) ? PQgetvalue(res, 0, 0) : "");
		PQclear(res);
		break;
	}
#endif
#ifdef DBSYNC_HAVE_MYSQL
	case DBSYNC_DIALECT_MYSQL: {
		MYSQL *db = dbs_my_db(conn);
		if (mysql_query(db, sql))
			fail_msg("%s: %s", sql, mysql_error(db));
		MYSQL_RES *res = mysql_store_result(db);
		MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
		out = strdup(row && row[0] ? row[0] : "");
		if (res)
			mysql_free_result(res);
		break;
	}
#endif
	default:
		fail_msg("no backend");
	}
	assert_non_null(out);
	return out;
}

static void assert_same(dbsync_conn *a, dbsync_conn *b, const char *sql)
{
	char *x = query_text(a, sql), *y = query_text(b, sql);
	assert_true(strlen(x) > 0);
	if (strcmp(x, y) != 0)
		fail_msg("rows differ for %s:\noriginal: %.300s\nrestored: %.300s", sql, x, y);
	free(x);
	free(y);
}

static void assert_mode_0600(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

/* No "<path>.partial-*" left beside path. */
static void assert_no_partial(const char *dir)
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "ls '%s' | grep -c partial", dir);
	FILE *p = popen(cmd, "r");
	char line[32] = "";
	assert_non_null(fgets(line, sizeof line, p));
	pclose(p);
	assert_int_equal(atoi(line), 0);
}

#if defined(DBSYNC_HAVE_POSTGRES) || defined(DBSYNC_HAVE_MYSQL)
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	dbs_buf b = DBS_BUF_INIT;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		dbs_buf_put(&b, chunk, n);
	fclose(f);
	char *s = dbs_buf_detach(&b);
	assert_non_null(s);
	return s;
}

/* A fake tool on a private PATH: it records its argv, the credential
 * variables it sees, and any option file it was given, on stdout, which is
 * the backup file. */
static char fake_bin[128];

static void make_fake_tools(void)
{
	snprintf(fake_bin, sizeof fake_bin, "%s/fakebin", test_tmpdir());
	mkdir(fake_bin, 0700);
	static const char script[] =
		"#!/bin/sh\n"
		"echo \"ARGV: $*\"\n"
		"echo \"PGPASSWORD=${PGPASSWORD:-}\"\n"
		"echo \"PGUSER=${PGUSER:-}\"\n"
		"for a in \"$@\"; do case $a in --defaults-extra-file=*) f=${a#*=};\n"
		"  echo \"MODE: $(/usr/bin/stat -L -c %a \"$f\")\";\n"
		"  while IFS= read -r l; do echo \"$l\"; done < \"$f\";; esac; done\n"
		"if [ -n \"${FAKE_FAIL:-}\" ]; then echo \"failing with password $FAKE_FAIL\" >&2; exit 3; fi\n";
	const char *names[] = { "pg_dump", "mysqldump", "mariadb-dump" };
	for (size_t i = 0; i < 3; i++) {
		char path[256];
		snprintf(path, sizeof path, "%s/%s", fake_bin, names[i]);
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fputs(script, f);
		fclose(f);
		chmod(path, 0700);
	}
}

/* Run `fn` with PATH set to the fake tools only. */
static char saved_path[4096];
static void use_fake_path(bool on)
{
	if (on) {
		snprintf(saved_path, sizeof saved_path, "%s", getenv("PATH") ? getenv("PATH") : "");
		setenv("PATH", fake_bin, 1);
	} else {
		setenv("PATH", saved_path, 1);
	}
}

/* A tool backup with no dump tool on PATH: refused before any file exists,
 * the message naming the tools as users know them (`names`). */
static void assert_no_tool_refused(dbsync_ctx *ctx, dbsync_conn *conn, const char *names)
{
	char empty[256];
	snprintf(empty, sizeof empty, "%s/nobin", test_tmpdir());
	mkdir(empty, 0700);
	snprintf(saved_path, sizeof saved_path, "%s", getenv("PATH") ? getenv("PATH") : "");
	setenv("PATH", empty, 1);
	dbsync_backup_options o = DBSYNC_BACKUP_OPTIONS_INIT;
	o.method = DBSYNC_BACKUP_TOOL;
	int rc = dbsync_conn_backup(ctx, conn, db_path("no-tool.sql"), &o, NULL);
	setenv("PATH", saved_path, 1);
	assert_int_equal(rc, DBSYNC_EUNSUPPORTED);
	char want[512];
	snprintf(want, sizeof want, "no %s on PATH for a tool backup of %s", names, dbsync_conn_describe(conn));
	assert_string_equal(dbsync_ctx_error(ctx)->message, want);
	assert_int_equal(access(db_path("no-tool.sql"), F_OK), -1);
}
#endif

static int backup_ok(dbsync_ctx *ctx, dbsync_conn *conn, const char *path, dbsync_backup_method m)
{
	dbsync_backup_options o = DBSYNC_BACKUP_OPTIONS_INIT;
	o.method = m;
	dbsync_backup_method used = (dbsync_backup_method)-1;
	if (dbsync_conn_backup(ctx, conn, path, &o, &used))
		fail_msg("backup failed: %s", dbsync_ctx_error(ctx)->message);
	return (int)used;
}

/* ---- SQLite ---- */

#ifdef DBSYNC_HAVE_SQLITE
static const char sq_fixture[] =
	"CREATE TABLE author (id INTEGER PRIMARY KEY, name TEXT NOT NULL, bio TEXT, photo BLOB);"
	"CREATE TABLE book (id INTEGER PRIMARY KEY AUTOINCREMENT, author_id INTEGER REFERENCES author(id),"
	" title TEXT, price REAL);"
	"CREATE INDEX book_author ON book (author_id);"
	"INSERT INTO author VALUES (1, 'O''Brien', NULL, x'00ff10'), (2, 'Zoë ✓', 'line1\nline2', NULL);"
	"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 250)"
	" INSERT INTO book (author_id, title, price) SELECT 1 + i % 2, 'Book ' || i, i * 1.25 FROM n;";

static const char *const sq_digests[] = {
	"SELECT group_concat(r, '|') FROM (SELECT quote(id)||','||quote(name)||','||quote(bio)||','||"
	"quote(photo) AS r FROM author ORDER BY id)",
	"SELECT group_concat(r, '|') FROM (SELECT quote(id)||','||quote(author_id)||','||quote(title)||','||"
	"quote(price) AS r FROM book ORDER BY id)",
	"SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_schema ORDER BY name)",
	"SELECT seq FROM sqlite_sequence WHERE name = 'book'",
};

static dbsync_conn *sq_open(dbsync_ctx *ctx, const char *file)
{
	char url[600];
	snprintf(url, sizeof url, "sqlite:///%s", db_path(file));
	dbsync_conn *c = NULL;
	if (dbsync_conn_open_url(&c, ctx, url))
		fail_msg("open %s: %s", file, dbsync_ctx_error(ctx)->message);
	return c;
}

static void sqlite_backup_restore_compares_every_row(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_conn *src = sq_open(ctx, "orig.db");
	exec_ok(ctx, src, sq_fixture);
	char bpath[512];
	snprintf(bpath, sizeof bpath, "%s", db_path("orig.backup"));
	assert_int_equal(backup_ok(ctx, src, bpath, DBSYNC_BACKUP_AUTO), DBSYNC_BACKUP_ENGINE);
	assert_mode_0600(bpath);
	assert_no_partial(test_tmpdir());
	/* a second backup never overwrites the first */
	assert_int_equal(dbsync_conn_backup(ctx, src, bpath, NULL, NULL), DBSYNC_EINVALID);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "already exists"));
	/* the tool method does not exist for SQLite */
	dbsync_backup_options tool = { DBSYNC_BACKUP_OPTIONS_VERSION, DBSYNC_BACKUP_TOOL };
	assert_int_equal(dbsync_conn_backup(ctx, src, db_path("never.backup"), &tool, NULL), DBSYNC_EUNSUPPORTED);
	assert_int_equal(access(db_path("never.backup"), F_OK), -1);

	dbsync_conn *dst = sq_open(ctx, "restored.db");
	assert_int_equal(dbsync_conn_restore(ctx, dst, bpath), 0);
	for (size_t i = 0; i < sizeof sq_digests / sizeof sq_digests[0]; i++)
		assert_same(src, dst, sq_digests[i]);
	/* restoring over tables is refused */
	assert_int_equal(dbsync_conn_restore(ctx, dst, bpath), DBSYNC_EINVALID);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "empty database"));
	dbsync_conn_close(dst);
	dbsync_conn_close(src);
}

static void sqlite_backup_failure_leaves_no_file(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_conn *src = sq_open(ctx, "fail.db");
	exec_ok(ctx, src, "CREATE TABLE t (x int); INSERT INTO t VALUES (1);");
	int rc = dbsync_conn_backup(ctx, src, "/nonexistent-dir-dbsync/t.backup", NULL, NULL);
	assert_int_equal(rc, DBSYNC_EINVALID);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "/nonexistent-dir-dbsync/t.backup"));
	/* a file that is not a backup is refused on restore, the target left empty */
	dbsync_conn *dst = sq_open(ctx, "fail-target.db");
	FILE *f = fopen(db_path("junk.backup"), "w");
	fputs("this is not a database, just text long enough to be read as one ....", f);
	fclose(f);
	assert_int_not_equal(dbsync_conn_restore(ctx, dst, db_path("junk.backup")), 0);
	char *n = query_text(dst, "SELECT count(*) FROM sqlite_schema");
	assert_string_equal(n, "0");
	free(n);
	dbsync_conn_close(dst);
	dbsync_conn_close(src);
}

/* SQLite has no namespaces: a backup of one is refused, no file written. */
static void sqlite_namespace_backup_is_refused(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_conn *src = sq_open(ctx, "ns.db");
	assert_int_equal(dbsync_backup_per_member(DBSYNC_DIALECT_SQLITE, DBSYNC_BACKUP_AUTO), 0);
	assert_int_equal(dbsync_conn_backup_namespace(ctx, src, "main", db_path("ns.backup"), NULL, NULL),
		DBSYNC_EUNSUPPORTED);
	assert_int_equal(access(db_path("ns.backup"), F_OK), -1);
	dbsync_conn_close(src);
}
#endif

/* ---- PostgreSQL ---- */

#ifdef DBSYNC_HAVE_POSTGRES
static test_server pg;

static int pg_setup(void **state)
{
	(void)state;
	setenv("DBSYNC_PG_PASSWORD", PG_PASSWORD, 1);
	return test_server_open_db(&pg, &TEST_PG_SERVER);
}

static int pg_teardown(void **state)
{
	(void)state;
	return test_server_stop(&pg);
}

static dbsync_conn *pg_open(dbsync_ctx *ctx, const char *db, const char *user, const char *password)
{
	const char *keys[] = { "name", "user", "host", "password" };
	const char *vals[] = { db, user, pg.dir, password };
	dbsync_conn *c = NULL;
	if (dbsync_conn_open_params(&c, ctx, DBSYNC_DIALECT_POSTGRES, keys, vals, password ? 4 : 3))
		fail_msg("connect to %s: %s", db, dbsync_ctx_error(ctx)->message);
	return c;
}

static const char pg_fixture[] =
	"CREATE TABLE author (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name varchar(100) NOT NULL,"
	" bio text, photo bytea, born date, score numeric(8,2), active boolean NOT NULL DEFAULT true,"
	" tags text[]);"
	"CREATE TABLE book (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	" author_id bigint REFERENCES author (id) DEFERRABLE INITIALLY DEFERRED, title text UNIQUE,"
	" price double precision, meta jsonb);"
	"CREATE INDEX book_author ON book (author_id);"
	"INSERT INTO author (name, bio, photo, born, score, active, tags) VALUES"
	" ('O''Brien', NULL, '\\x00ff10', '1950-02-03', 12.5, true, '{a,\"b c\"}'),"
	" ('Zoë ✓', E'line1\\nline2\\\\', NULL, NULL, NULL, false, NULL);"
	"INSERT INTO book (author_id, title, price, meta) SELECT 1 + i % 2, 'Book ' || i, i * 1.25,"
	" jsonb_build_object('i', i) FROM generate_series(1, 250) AS i;"
	/* what a database made by an older Django has: serial columns, and a free sequence */
	"CREATE TABLE legacy (id serial PRIMARY KEY, name text, twice integer GENERATED ALWAYS AS (id * 2) STORED);"
	"INSERT INTO legacy (name) VALUES ('a'), ('b'), ('c');"
	"CREATE SEQUENCE ticket_seq; SELECT nextval('ticket_seq'); SELECT nextval('ticket_seq');"
	"CREATE VIEW legacy_names AS SELECT name FROM legacy;";

static const char *const pg_digests[] = {
	"SELECT string_agg(a::text, '|' ORDER BY a.id) FROM author a",
	"SELECT string_agg(b::text, '|' ORDER BY b.id) FROM book b",
	"SELECT string_agg(l::text, '|' ORDER BY l.id) FROM legacy l",
	"SELECT string_agg(name, '|') FROM legacy_names",
	"SELECT last_value::text || is_called::text FROM ticket_seq",
	"SELECT string_agg(indexname || ':' || indexdef, '|' ORDER BY indexname) FROM pg_indexes"
	" WHERE schemaname = 'public'",
	"SELECT string_agg(conname || ':' || pg_get_constraintdef(oid), '|' ORDER BY conname) FROM pg_constraint"
	" WHERE connamespace = 'public'::regnamespace",
};

static void pg_restore_and_compare(dbsync_ctx *ctx, dbsync_conn *src, const char *bpath, const char *suffix)
{
	char sql[160], target[64];
	test_server_extra_db(target, sizeof target, &pg, suffix);
	dbsync_conn *admin = pg_open(ctx, pg.db, "dbsync", NULL);
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", target);
	exec_ok(ctx, admin, sql);
	dbsync_conn *dst = pg_open(ctx, target, "dbsync", NULL);
	if (dbsync_conn_restore(ctx, dst, bpath))
		fail_msg("restore failed: %s", dbsync_ctx_error(ctx)->message);
	for (size_t i = 0; i < sizeof pg_digests / sizeof pg_digests[0]; i++)
		assert_same(src, dst, pg_digests[i]);
	/* identities go on after the restored ids */
	exec_ok(ctx, dst, "INSERT INTO author (name) VALUES ('new'); INSERT INTO book (title) VALUES ('new')");
	char *id = query_text(dst, "SELECT max(id) FROM book");
	assert_string_equal(id, "251");
	free(id);
	exec_ok(ctx, dst, "INSERT INTO legacy (name) VALUES ('d')");
	id = query_text(dst, "SELECT max(id)::text || ',' || nextval('ticket_seq')::text FROM legacy");
	assert_string_equal(id, "4,3");
	free(id);
	assert_int_equal(dbsync_conn_restore(ctx, dst, bpath), DBSYNC_EINVALID);
	dbsync_conn_close(dst);
	dbsync_conn_close(admin);
}

static void pg_fixture_once(dbsync_ctx *ctx)
{
	static bool done;
	if (done)
		return;
	dbsync_conn *c = pg_open(ctx, pg.db, "dbsync", NULL);
	exec_ok(ctx, c, pg_fixture);
	char sql[320];
	snprintf(sql, sizeof sql, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO %s;"
		"GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO %s", pg.pw_user, pg.pw_user);
	exec_ok(ctx, c, sql);
	dbsync_conn_close(c);
	done = true;
}

static void pg_tool_backup_restores_every_row(void **state)
{
	dbsync_ctx *ctx = *state;
	if (pg.absent)
		skip();
	pg_fixture_once(ctx);
	char *tool = dbs_find_tool("pg_dump");
	if (!tool)
		fail_msg("pg_dump not found (Debian's postgresql brings it): this test cannot prove the tool backup");
	free(tool);
	/* the password role: pg_dump can only log in through PGPASSWORD */
	dbsync_conn *src = pg_open(ctx, pg.db, pg.pw_user, PG_PASSWORD);
	char bpath[512];
	snprintf(bpath, sizeof bpath, "%s", db_path("pg-tool.sql"));
	assert_int_equal(backup_ok(ctx, src, bpath, DBSYNC_BACKUP_TOOL), DBSYNC_BACKUP_TOOL);
	assert_mode_0600(bpath);
	char *text = slurp(bpath);
	assert_non_null(strstr(text, "PostgreSQL database dump"));
	assert_null(strstr(text, PG_PASSWORD));
	free(text);
	pg_restore_and_compare(ctx, src, bpath, "restore_tool");
	dbsync_conn_close(src);
}

static void pg_engine_dump_restores_every_row(void **state)
{
	dbsync_ctx *ctx = *state;
	if (pg.absent)
		skip();
	pg_fixture_once(ctx);
	dbsync_conn *src = pg_open(ctx, pg.db, "dbsync", NULL);
	char bpath[512];
	snprintf(bpath, sizeof bpath, "%s", db_path("pg-engine.sql"));
	assert_int_equal(backup_ok(ctx, src, bpath, DBSYNC_BACKUP_ENGINE), DBSYNC_BACKUP_ENGINE);
	assert_mode_0600(bpath);
	char *text = slurp(bpath);
	assert_int_equal(strncmp(text, "-- dbsync engine dump", 21), 0);
	free(text);
	pg_restore_and_compare(ctx, src, bpath, "restore_engine");
	dbsync_conn_close(src);
}

/* Collations (quoted: "C", "de-DE-x-icu") and comments on tables, columns,
 * constraints and indexes survive the engine's own dump: restored into an
 * empty database, the catalogs read the same. */
static const char pg_collation_fixture[] =
	"CREATE TABLE page (id integer PRIMARY KEY, path varchar(255) COLLATE \"C\" NOT NULL,"
	" title text COLLATE \"de-DE-x-icu\", span tstzrange,"
	" CONSTRAINT page_title_len CHECK (length(title) < 100),"
	" CONSTRAINT page_span_excl EXCLUDE USING gist (span WITH &&) WHERE (id > 0));"
	"CREATE INDEX page_path ON page (path COLLATE \"POSIX\" text_pattern_ops);"
	"CREATE INDEX page_title_brin ON page USING brin (id) WITH (pages_per_range = 16);"
	"COMMENT ON TABLE page IS 'Pages, it''s a tree';"
	"COMMENT ON COLUMN page.path IS 'materialized path';"
	"COMMENT ON CONSTRAINT page_title_len ON page IS 'short titles';"
	"COMMENT ON CONSTRAINT page_pkey ON page IS 'the key';"
	"COMMENT ON INDEX page_path IS 'prefix search';"
	"INSERT INTO page VALUES (1, '0001', 'Straße', '[2024-01-01,2024-01-02)'), (2, '00010001', 'Ä', NULL);";

static const char *const pg_collation_digests[] = {
	"SELECT string_agg(attname || ':' || format_type(atttypid, atttypmod) || ':' || coalesce(collname, '-'), '|'"
	" ORDER BY attnum) FROM pg_attribute a LEFT JOIN pg_collation c ON c.oid = a.attcollation"
	" WHERE attrelid = 'page'::regclass AND attnum > 0",
	"SELECT string_agg(coalesce(c.relname, k.conname) || ':' || d.objsubid || ':' || d.description, '|'"
	" ORDER BY coalesce(c.relname, k.conname), d.objsubid) FROM pg_description d LEFT JOIN pg_class c ON d.classoid = 'pg_class'::regclass"
	" AND c.oid = d.objoid LEFT JOIN pg_constraint k ON d.classoid = 'pg_constraint'::regclass"
	" AND k.oid = d.objoid WHERE coalesce(c.relnamespace, k.connamespace) = 'public'::regnamespace",
	"SELECT string_agg(indexname || ':' || indexdef, '|' ORDER BY indexname) FROM pg_indexes"
	" WHERE schemaname = 'public'",
	"SELECT string_agg(conname || ':' || pg_get_constraintdef(oid), '|' ORDER BY conname) FROM pg_constraint"
	" WHERE connamespace = 'public'::regnamespace",
	"SELECT string_agg(p::text, '|' ORDER BY path) FROM page p",
};

static void pg_engine_dump_keeps_collations_and_comments(void **state)
{
	dbsync_ctx *ctx = *state;
	if (pg.absent)
		fail_msg("the PostgreSQL test server is required");
	dbsync_conn *admin = pg_open(ctx, pg.db, "dbsync", NULL);
	char coll_src[64], coll_dst[64], sql[100];
	test_server_extra_db(coll_src, sizeof coll_src, &pg, "coll_src");
	test_server_extra_db(coll_dst, sizeof coll_dst, &pg, "coll_dst");
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", coll_src);
	exec_ok(ctx, admin, sql);
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", coll_dst);
	exec_ok(ctx, admin, sql);
	dbsync_conn *src = pg_open(ctx, coll_src, "dbsync", NULL);
	exec_ok(ctx, src, pg_collation_fixture);
	char bpath[512];
	snprintf(bpath, sizeof bpath, "%s", db_path("pg-collations.sql"));
	assert_int_equal(backup_ok(ctx, src, bpath, DBSYNC_BACKUP_ENGINE), DBSYNC_BACKUP_ENGINE);
	char *text = slurp(bpath);
	assert_non_null(strstr(text, "COLLATE \"de-DE-x-icu\""));
	assert_non_null(strstr(text, "COMMENT ON CONSTRAINT \"page_title_len\" ON \"page\" IS 'short titles'"));
	free(text);
	dbsync_conn *dst = pg_open(ctx, coll_dst, "dbsync", NULL);
	if (dbsync_conn_restore(ctx, dst, bpath))
		fail_msg("restore failed: %s", dbsync_ctx_error(ctx)->message);
	for (size_t i = 0; i < sizeof pg_collation_digests / sizeof pg_collation_digests[0]; i++)
		assert_same(src, dst, pg_collation_digests[i]);
	dbsync_conn_close(dst);
	dbsync_conn_close(src);
	dbsync_conn_close(admin);
}

static void pg_tool_gets_password_by_environment_only(void **state)
{
	dbsync_ctx *ctx = *state;
	if (pg.absent)
		skip();
	dbsync_conn *src = pg_open(ctx, pg.db, pg.pw_user, PG_PASSWORD);
	make_fake_tools();
	use_fake_path(true);
	char bpath[512];
	snprintf(bpath, sizeof bpath, "%s", db_path("pg-fake.sql"));
	int rc = dbsync_conn_backup(ctx, src, bpath, NULL, NULL);
	use_fake_path(false);
	assert_int_equal(rc, 0);
	char *text = slurp(bpath);
	char *argv_line = strstr(text, "ARGV: ");
	assert_non_null(argv_line);
	char *eol = strchr(argv_line, '\n');
	*eol = '\0';
	assert_null(strstr(argv_line, PG_PASSWORD));
	assert_non_null(strstr(argv_line, "--no-password"));
	*eol = '\n';
	assert_non_null(strstr(text, "PGPASSWORD=" PG_PASSWORD));
	char want[100];
	snprintf(want, sizeof want, "PGUSER=%s", pg.pw_user);
	assert_non_null(strstr(text, want));
	free(text);
	dbsync_conn_close(src);
}

static void pg_no_tool_on_path_is_named(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_conn *src = pg_open(ctx, pg.db, pg.pw_user, PG_PASSWORD);
	assert_no_tool_refused(ctx, src, "pg_dump");
	dbsync_conn_close(src);
}

/* A backup of another schema (dbsync_conn_backup_namespace): the engine's
 * dump holds that schema alone, pg_dump the whole database (so one covers a
 * fleet: dbsync_backup_per_member), and the connection syncs its own schema
 * again afterwards. */
static void pg_namespace_backup_holds_what_per_member_says(void **state)
{
	dbsync_ctx *ctx = *state;
	if (pg.absent)
		skip();
	pg_fixture_once(ctx);
	dbsync_conn *src = pg_open(ctx, pg.db, "dbsync", NULL);
	exec_ok(ctx, src, "CREATE SCHEMA ns_a; CREATE TABLE ns_a.only_a (id int PRIMARY KEY);"
		"INSERT INTO ns_a.only_a VALUES (1), (2), (3);"
		"CREATE SCHEMA ns_b; CREATE TABLE ns_b.only_b (id int PRIMARY KEY)");
	char *describe = strdup(dbsync_conn_describe(src));
	dbsync_backup_options o = DBSYNC_BACKUP_OPTIONS_INIT;
	static const dbsync_backup_method methods[] = { DBSYNC_BACKUP_ENGINE, DBSYNC_BACKUP_TOOL };
	for (size_t i = 0; i < 2; i++) {
		char bpath[512];
		snprintf(bpath, sizeof bpath, "%s", db_path(i ? "pg-ns-tool.sql" : "pg-ns-engine.sql"));
		o.method = methods[i];
		if (dbsync_conn_backup_namespace(ctx, src, "ns_a", bpath, &o, NULL))
			fail_msg("backup of ns_a: %s", dbsync_ctx_error(ctx)->message);
		char *text = slurp(bpath);
		bool whole = !dbsync_backup_per_member(DBSYNC_DIALECT_POSTGRES, methods[i]);
		assert_int_equal(whole, methods[i] == DBSYNC_BACKUP_TOOL);
		assert_non_null(strstr(text, "only_a"));
		assert_int_equal(strstr(text, "only_b") != NULL, whole);
		assert_int_equal(strstr(text, "book") != NULL, whole); /* public's table */
		free(text);
		/* back to public: its tables are what the connection reads */
		assert_string_equal(dbsync_conn_describe(src), describe);
		dbsync_schema *live = NULL;
		if (dbsync_conn_introspect(&live, ctx, src))
			fail_msg("introspect: %s", dbsync_ctx_error(ctx)->message);
		bool book = false, only_a = false;
		for (size_t t = 0; t < dbsync_schema_table_count(live); t++) {
			book |= strcmp(dbsync_schema_table_name(live, t), "book") == 0;
			only_a |= strcmp(dbsync_schema_table_name(live, t), "only_a") == 0;
		}
		assert_true(book);
		assert_false(only_a);
		dbsync_schema_free(live);
	}
	exec_ok(ctx, src, "DROP SCHEMA ns_a CASCADE; DROP SCHEMA ns_b CASCADE");
	free(describe);
	dbsync_conn_close(src);
}
#endif

/* ---- MariaDB ---- */

#ifdef DBSYNC_HAVE_MYSQL
static test_server my;
static char my_sock_path[256];

static int my_setup(void **state)
{
	(void)state;
	if (test_server_open_db(&my, &TEST_MARIADB_SERVER))
		return -1;
	const char *sock = strstr(my.url, "unix_socket=");
	if (!sock)
		return -1;
	snprintf(my_sock_path, sizeof my_sock_path, "%s", sock + strlen("unix_socket="));
	return 0;
}

static int my_teardown(void **state)
{
	(void)state;
	return test_server_stop(&my);
}

static dbsync_conn *my_open(dbsync_ctx *ctx, const char *db, const char *user, const char *password)
{
	const char *keys[] = { "name", "user", "unix_socket", "charset", "password" };
	const char *vals[] = { db, user, my_sock_path, "utf8mb4", password };
	dbsync_conn *c = NULL;
	if (dbsync_conn_open_params(&c, ctx, DBSYNC_DIALECT_MYSQL, keys, vals, password ? 5 : 4))
		fail_msg("connect to %s: %s", db, dbsync_ctx_error(ctx)->message);
	return c;
}

static const char my_fixture[] =
	"CREATE TABLE author (id bigint AUTO_INCREMENT PRIMARY KEY, name varchar(100) NOT NULL, bio text,"
	" photo blob, born date, seen datetime(6), score decimal(8,2), active tinyint(1) NOT NULL DEFAULT 1,"
	" flags bit(3), doubled int AS (id * 2) VIRTUAL) ENGINE=InnoDB;"
	"CREATE TABLE book (id int AUTO_INCREMENT PRIMARY KEY, author_id bigint, title varchar(200) UNIQUE,"
	" price double, CONSTRAINT book_author FOREIGN KEY (author_id) REFERENCES author (id)) ENGINE=InnoDB;"
	"INSERT INTO author (name, bio, photo, born, seen, score, active, flags) VALUES"
	" ('O''Brien', NULL, x'00ff105c27', '1950-02-03', '2020-01-02 03:04:05.123456', 12.5, 1, b'101'),"
	" ('Zoë ✓', 'line1\\nline2\\\\ ''q''', NULL, NULL, NULL, NULL, 0, NULL);"
	"INSERT INTO book (author_id, title, price) SELECT 1 + seq % 2, CONCAT('Book ', seq), seq * 1.25"
	" FROM seq_1_to_250;"
	"CREATE VIEW author_names AS SELECT name FROM author;";

static const char *const my_digests[] = {
	"SELECT GROUP_CONCAT(CONCAT_WS(',', QUOTE(id), QUOTE(name), QUOTE(bio), QUOTE(HEX(photo)), QUOTE(born),"
	" QUOTE(seen), QUOTE(score), QUOTE(active), QUOTE(BIN(flags)), QUOTE(doubled)) ORDER BY id SEPARATOR '|')"
	" FROM author",
	"SELECT GROUP_CONCAT(CONCAT_WS(',', QUOTE(id), QUOTE(author_id), QUOTE(title), QUOTE(price))"
	" ORDER BY id SEPARATOR '|') FROM book",
	"SELECT GROUP_CONCAT(CONCAT_WS(',', TABLE_NAME, INDEX_NAME, COLUMN_NAME, NON_UNIQUE) ORDER BY TABLE_NAME,"
	" INDEX_NAME, SEQ_IN_INDEX SEPARATOR '|') FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()",
	"SELECT GROUP_CONCAT(CONCAT_WS(',', CONSTRAINT_NAME, REFERENCED_TABLE_NAME) ORDER BY CONSTRAINT_NAME"
	" SEPARATOR '|') FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()",
	/* the view reads the restored table, not the original database's */
	"SELECT GROUP_CONCAT(REPLACE(VIEW_DEFINITION, CONCAT('`', DATABASE(), '`.'), '')) FROM information_schema.VIEWS"
	" WHERE TABLE_SCHEMA = DATABASE()",
};

static void my_fixture_once(dbsync_ctx *ctx)
{
	static bool done;
	if (done)
		return;
	dbsync_conn *c = my_open(ctx, my.db, "root", NULL);
	exec_ok(ctx, c, my_fixture);
	dbsync_conn_close(c);
	done = true;
}

static void my_restore_and_compare(dbsync_ctx *ctx, dbsync_conn *src, const char *bpath, const char *suffix)
{
	char sql[160], target[64];
	test_server_extra_db(target, sizeof target, &my, suffix);
	dbsync_conn *admin = my_open(ctx, my.db, "root", NULL);
	snprintf(sql, sizeof sql, "CREATE DATABASE %s CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci", target);
	exec_ok(ctx, admin, sql);
	dbsync_conn *dst = my_open(ctx, target, "root", NULL);
	if (dbsync_conn_restore(ctx, dst, bpath))
		fail_msg("restore failed: %s", dbsync_ctx_error(ctx)->message);
	exec_ok(ctx, src, "SET SESSION group_concat_max_len = 1000000");
	exec_ok(ctx, dst, "SET SESSION group_concat_max_len = 1000000");
	for (size_t i = 0; i < sizeof my_digests / sizeof my_digests[0]; i++)
		assert_same(src, dst, my_digests[i]);
	/* AUTO_INCREMENT goes on after the restored ids */
	exec_ok(ctx, dst, "INSERT INTO book (title) VALUES ('new')");
	char *id = query_text(dst, "SELECT MAX(id) > 250 AND COUNT(*) = 251 FROM book");
	assert_string_equal(id, "1");
	free(id);
	assert_int_equal(dbsync_conn_restore(ctx, dst, bpath), DBSYNC_EINVALID);
	dbsync_conn_close(dst);
	dbsync_conn_close(admin);
}

static void my_tool_backup_restores_every_row(void **state)
{
	dbsync_ctx *ctx = *state;
	my_fixture_once(ctx);
	char *tool = dbs_find_tool("mysqldump");
	if (!tool)
		fail_msg("mysqldump not found (Debian's mariadb-server brings it): this test cannot prove the tool backup");
	free(tool);
	dbsync_conn *src = my_open(ctx, my.db, my.pw_user, MY_PASSWORD);
	char bpath[512];
	snprintf(bpath, sizeof bpath, "%s", db_path("my-tool.sql"));
	assert_int_equal(backup_ok(ctx, src, bpath, DBSYNC_BACKUP_AUTO), DBSYNC_BACKUP_TOOL);
	assert_mode_0600(bpath);
	char *text = slurp(bpath);
	assert_null(strstr(text, MY_PASSWORD));
	free(text);
	my_restore_and_compare(ctx, src, bpath, "restore_tool");
	dbsync_conn_close(src);
}

static void my_engine_dump_restores_every_row(void **state)
{
	dbsync_ctx *ctx = *state;
	my_fixture_once(ctx);
	dbsync_conn *src = my_open(ctx, my.db, "root", NULL);
	char bpath[512];
	snprintf(bpath, sizeof bpath, "%s", db_path("my-engine.sql"));
	assert_int_equal(backup_ok(ctx, src, bpath, DBSYNC_BACKUP_ENGINE), DBSYNC_BACKUP_ENGINE);
	my_restore_and_compare(ctx, src, bpath, "restore_engine");
	dbsync_conn_close(src);
}

static void my_tool_gets_password_by_private_option_file(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_conn *src = my_open(ctx, my.db, my.pw_user, MY_PASSWORD);
	make_fake_tools();
	use_fake_path(true);
	int rc = dbsync_conn_backup(ctx, src, db_path("my-fake.sql"), NULL, NULL);
	setenv("FAKE_FAIL", MY_PASSWORD, 1);
	int rc_fail = dbsync_conn_backup(ctx, src, db_path("my-fail.sql"), NULL, NULL);
	unsetenv("FAKE_FAIL");
	use_fake_path(false);
	/* the failing tool's stderr shows up, its password masked, and no file is left */
	assert_int_equal(rc_fail, DBSYNC_ERROR);
	assert_non_null(strstr(dbsync_ctx_error(ctx)->message, "failing with password ********"));
	assert_null(strstr(dbsync_ctx_error(ctx)->message, MY_PASSWORD));
	assert_int_equal(access(db_path("my-fail.sql"), F_OK), -1);
	assert_no_partial(test_tmpdir());
	assert_int_equal(rc, 0);
	char *text = slurp(db_path("my-fake.sql"));
	char *argv_line = strstr(text, "ARGV: ");
	assert_non_null(argv_line);
	char *eol = strchr(argv_line, '\n');
	*eol = '\0';
	assert_null(strstr(argv_line, MY_PASSWORD));
	/* the option file exists only in memory: the tool's inherited fd 3 */
	assert_non_null(strstr(argv_line, "--defaults-extra-file=/dev/fd/3 "));
	*eol = '\n';
	assert_non_null(strstr(text, "MODE: 600"));
	assert_non_null(strstr(text, "password=\"" MY_PASSWORD "\""));
	char want[100];
	snprintf(want, sizeof want, "user=\"%s\"", my.pw_user);
	assert_non_null(strstr(text, want));
	free(text);
	dbsync_conn_close(src);
}

static void my_no_tool_on_path_is_named(void **state)
{
	dbsync_ctx *ctx = *state;
	dbsync_conn *src = my_open(ctx, my.db, my.pw_user, MY_PASSWORD);
	/* mariadb-dump is looked for first; people know the tool as mysqldump */
	assert_no_tool_refused(ctx, src, "mysqldump / mariadb-dump");
	dbsync_conn_close(src);
}

/* A backup of another database of the server (dbsync_conn_backup_namespace)
 * holds that database alone, by the tool and by the engine's dump, and
 * restores into an empty one; the connection syncs its own database again. */
static void my_namespace_backup_holds_that_database(void **state)
{
	dbsync_ctx *ctx = *state;
	char other[64], target[64], sql[400];
	test_server_extra_db(other, sizeof other, &my, "ns_other");
	dbsync_conn *src = my_open(ctx, my.db, "root", NULL);
	snprintf(sql, sizeof sql, "CREATE DATABASE `%s`; CREATE TABLE `%s`.only_other (id int PRIMARY KEY);"
		"INSERT INTO `%s`.only_other VALUES (7), (8)", other, other, other);
	exec_ok(ctx, src, sql);
	exec_ok(ctx, src, "CREATE TABLE IF NOT EXISTS only_own (id int PRIMARY KEY)");
	char *describe = strdup(dbsync_conn_describe(src));
	dbsync_backup_options o = DBSYNC_BACKUP_OPTIONS_INIT;
	static const dbsync_backup_method methods[] = { DBSYNC_BACKUP_TOOL, DBSYNC_BACKUP_ENGINE };
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(dbsync_backup_per_member(DBSYNC_DIALECT_MYSQL, methods[i]), 1);
		char bpath[512];
		snprintf(bpath, sizeof bpath, "%s", db_path(i ? "my-ns-engine.sql" : "my-ns-tool.sql"));
		o.method = methods[i];
		dbsync_backup_method used = (dbsync_backup_method)-1;
		if (dbsync_conn_backup_namespace(ctx, src, other, bpath, &o, &used))
			fail_msg("backup of %s: %s", other, dbsync_ctx_error(ctx)->message);
		assert_int_equal(used, methods[i]);
		char *text = slurp(bpath);
		assert_non_null(strstr(text, "only_other"));
		assert_null(strstr(text, "only_own"));
		free(text);
		assert_string_equal(dbsync_conn_describe(src), describe);
		/* its own database again (the session follows before the next
		 * statement the engine sends: namespace_mysql.c) */
		dbsync_schema *live = NULL;
		if (dbsync_conn_introspect(&live, ctx, src))
			fail_msg("introspect: %s", dbsync_ctx_error(ctx)->message);
		bool own = false, theirs = false;
		for (size_t t = 0; t < dbsync_schema_table_count(live); t++) {
			own |= strcmp(dbsync_schema_table_name(live, t), "only_own") == 0;
			theirs |= strcmp(dbsync_schema_table_name(live, t), "only_other") == 0;
		}
		assert_true(own);
		assert_false(theirs);
		dbsync_schema_free(live);
		test_server_extra_db(target, sizeof target, &my, i ? "ns_engine" : "ns_tool");
		snprintf(sql, sizeof sql, "CREATE DATABASE `%s`", target);
		exec_ok(ctx, src, sql);
		dbsync_conn *dst = my_open(ctx, target, "root", NULL);
		if (dbsync_conn_restore(ctx, dst, bpath))
			fail_msg("restore: %s", dbsync_ctx_error(ctx)->message);
		char *rows = query_text(dst, "SELECT GROUP_CONCAT(id ORDER BY id) FROM only_other");
		assert_string_equal(rows, "7,8");
		free(rows);
		dbsync_conn_close(dst);
	}
	exec_ok(ctx, src, "DROP TABLE only_own");
	free(describe);
	dbsync_conn_close(src);
}
#endif

int main(void)
{
	int failed = 0;
	if (test_tmpdir_create("dbsync-backup"))
		return 1;
#ifdef DBSYNC_HAVE_SQLITE
	const struct CMUnitTest sq_tests[] = {
		cmocka_unit_test_setup_teardown(sqlite_backup_restore_compares_every_row, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(sqlite_backup_failure_leaves_no_file, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(sqlite_namespace_backup_is_refused, ctx_setup, ctx_teardown),
	};
	failed += cmocka_run_group_tests_name("sqlite", sq_tests, NULL, NULL);
#endif
#ifdef DBSYNC_HAVE_POSTGRES
	const struct CMUnitTest pg_tests[] = {
		cmocka_unit_test_setup_teardown(pg_tool_backup_restores_every_row, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(pg_engine_dump_restores_every_row, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(pg_engine_dump_keeps_collations_and_comments, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(pg_tool_gets_password_by_environment_only, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(pg_no_tool_on_path_is_named, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(pg_namespace_backup_holds_what_per_member_says, ctx_setup, ctx_teardown),
	};
	failed += cmocka_run_group_tests_name("postgresql", pg_tests, pg_setup, pg_teardown);
#endif
#ifdef DBSYNC_HAVE_MYSQL
	const struct CMUnitTest my_tests[] = {
		cmocka_unit_test_setup_teardown(my_tool_backup_restores_every_row, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(my_engine_dump_restores_every_row, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(my_tool_gets_password_by_private_option_file, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(my_no_tool_on_path_is_named, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(my_namespace_backup_holds_that_database, ctx_setup, ctx_teardown),
	};
	failed += cmocka_run_group_tests_name("mariadb", my_tests, my_setup, my_teardown);
#endif
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", test_tmpdir());
	if (system(cmd) != 0)
		failed++;
	return failed;
}
