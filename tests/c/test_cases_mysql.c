/*
 * Engine cases for MySQL/MariaDB (tests/cases/mysql/NAME.case, format in
 * tests/cases/README.md), run against a throwaway MariaDB started once for
 * this binary, each case in a fresh database: plan, compare the statements,
 * apply with verification, plan again (nothing may be pending), and check
 * that every row survived. Then what the format cannot express: the Django
 * fixture is a no-op on a database built from the same DDL, a statement
 * failing in the middle of a plan is reported exactly (DDL commits as it
 * runs) and a new run converges, and two applies never interleave.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <mysql.h>

#include "case_file.h"
#include "dbsync/dbsync.h"
#include "test_support.h"

#define MYD DBSYNC_DIALECT_MYSQL

static const test_server_kind mariadb_server = {
	.name = "MariaDB",
	.script_env = "DBSYNC_MARIADB_SERVER_SCRIPT",
	.dir_template = "/tmp/dbsync-myc-XXXXXX",
	.url_prefix = "mysql://",
};
static test_server server;
static char server_socket[256];

/* ---- plain Connector/C, for what the engine must not be trusted with ---- */

static MYSQL *admin(const char *db)
{
	MYSQL *m = mysql_init(NULL);
	if (!mysql_real_connect(m, NULL, "root", NULL, db, 0, server_socket, CLIENT_MULTI_STATEMENTS))
		fail_msg("admin connection: %s", mysql_error(m));
	mysql_set_character_set(m, "utf8mb4");
	return m;
}

static void admin_exec(MYSQL *m, const char *sql)
{
	if (mysql_query(m, sql))
		fail_msg("%s: %s", sql, mysql_error(m));
	do {
		MYSQL_RES *r = mysql_store_result(m);
		if (r)
			mysql_free_result(r);
	} while (mysql_next_result(m) == 0);
	if (mysql_errno(m))
		fail_msg("%s: %s", sql, mysql_error(m));
}

static void fresh_db(const char *db)
{
	MYSQL *m = admin(NULL);
	char sql[256];
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS `%s`; CREATE DATABASE `%s`", db, db);
	admin_exec(m, sql);
	mysql_close(m);
}

static dbsync_conn *open_db(dbsync_ctx *ctx, const char *db)
{
	const char *keys[] = { "name", "user", "unix_socket" };
	const char *vals[] = { db, "root", server_socket };
	dbsync_conn *conn = NULL;
	if (dbsync_conn_open_params(&conn, ctx, MYD, keys, vals, 3))
		fail_msg("open %s: %s", db, dbsync_ctx_error(ctx)->message);
	return conn;
}

/* Every table as text: "table t", a header of columns, then the rows by the
 * first column, NULL as \N. Generated columns are computed, not data. */
static char *dump_rows(const char *db)
{
	MYSQL *m = admin(db);
	char *out = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&out, &len);
	char sql[1024];
	snprintf(sql, sizeof sql, "SELECT TABLE_NAME, GROUP_CONCAT(CONCAT('`', COLUMN_NAME, '`') ORDER BY "
		"ORDINAL_POSITION SEPARATOR ', ') FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '%s' AND "
		"EXTRA NOT LIKE '%%GENERATED%%' GROUP BY TABLE_NAME ORDER BY TABLE_NAME", db);
	if (mysql_query(m, sql))
		fail_msg("%s", mysql_error(m));
	MYSQL_RES *tables = mysql_store_result(m);
	for (MYSQL_ROW t; (t = mysql_fetch_row(tables));) {
		snprintf(sql, sizeof sql, "SELECT %s FROM `%s` ORDER BY 1", t[1], t[0]);
		if (mysql_query(m, sql))
			fail_msg("%s: %s", sql, mysql_error(m));
		MYSQL_RES *res = mysql_store_result(m);
		unsigned n = mysql_num_fields(res);
		MYSQL_FIELD *f = mysql_fetch_fields(res);
		fprintf(mem, "table %s\n", t[0]);
		for (unsigned j = 0; j < n; j++)
			fprintf(mem, "%s%s", j ? "|" : "", f[j].name);
		fputc('\n', mem);
		for (MYSQL_ROW r; (r = mysql_fetch_row(res));) {
			for (unsigned j = 0; j < n; j++)
				fprintf(mem, "%s%s", j ? "|" : "", r[j] ? r[j] : "\\N");
			fputc('\n', mem);
		}
		mysql_free_result(res);
	}
	mysql_free_result(tables);
	mysql_close(m);
	fclose(mem);
	return out;
}

typedef struct rowset {
	char **lines;
	size_t n;
} rowset;

static void split_lines(rowset *rs, char *text)
{
	memset(rs, 0, sizeof *rs);
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		rs->lines = realloc(rs->lines, (rs->n + 1) * sizeof *rs->lines);
		rs->lines[rs->n++] = l;
	}
}

static size_t split_fields(char *line, char **f, size_t cap)
{
	size_t n = 0;
	for (char *p = line; n < cap;) {
		f[n++] = p;
		char *bar = strchr(p, '|');
		if (!bar)
			break;
		*bar = '\0';
		p = bar + 1;
	}
	return n;
}

static bool in_word_list(const char *list, const char *table, const char *col)
{
	char key[512];
	snprintf(key, sizeof key, "%s.%s", table, col);
	size_t n = strlen(key);
	for (const char *p = list ? strstr(list, key) : NULL; p; p = strstr(p + 1, key))
		if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' ' || p[n] == '\n'))
			return true;
	return false;
}

/* Same tables and row counts; in columns present on both sides the same
 * values (a NULL may become a value, and a value may be re-spelled by a
 * type change, only in a `filled` column). */
static void assert_rows_survived(const case_file *cf, const char *before_text, const char *after_text)
{
	char *bt = strdup(before_text), *at = strdup(after_text);
	rowset b, a;
	split_lines(&b, bt);
	split_lines(&a, at);
	for (size_t i = 0; i < b.n; i++) {
		if (strncmp(b.lines[i], "table ", 6) != 0)
			continue;
		const char *name = b.lines[i] + 6;
		size_t j = 0;
		while (j < a.n && !(strncmp(a.lines[j], "table ", 6) == 0 && strcmp(a.lines[j] + 6, name) == 0))
			j++;
		if (j == a.n)
			fail_msg("%s: table %s disappeared", cf->name, name);
		char *bcols[64], *acols[64];
		char *bh = strdup(b.lines[i + 1]), *ah = strdup(a.lines[j + 1]);
		size_t nb = split_fields(bh, bcols, 64), na = split_fields(ah, acols, 64);
		size_t r = 0;
		for (; i + 2 + r < b.n && strncmp(b.lines[i + 2 + r], "table ", 6) != 0; r++) {
			if (j + 2 + r >= a.n || strncmp(a.lines[j + 2 + r], "table ", 6) == 0)
				fail_msg("%s: table %s lost rows", cf->name, name);
			char *bl = strdup(b.lines[i + 2 + r]), *al = strdup(a.lines[j + 2 + r]);
			char *bv[64], *av[64];
			split_fields(bl, bv, 64);
			split_fields(al, av, 64);
			for (size_t c = 0; c < nb; c++) {
				size_t k = 0;
				while (k < na && strcmp(acols[k], bcols[c]) != 0)
					k++;
				if (k == na)
					continue;
				bool filled = in_word_list(cf->filled, name, bcols[c]);
				if (filled && strcmp(av[k], "\\N") != 0)
					continue;
				if (strcmp(bv[c], av[k]) != 0)
					fail_msg("%s: %s row %zu column %s was %s, now %s", cf->name, name, r + 1, bcols[c],
						bv[c], av[k]);
			}
			free(bl);
			free(al);
		}
		if (j + 2 + r < a.n && strncmp(a.lines[j + 2 + r], "table ", 6) != 0)
			fail_msg("%s: table %s gained rows", cf->name, name);
		free(bh);
		free(ah);
	}
	free(b.lines);
	free(a.lines);
	free(bt);
	free(at);
}

static void assert_query_lines(const case_file *cf, const char *db, const char *query, const char *expected)
{
	MYSQL *m = admin(db);
	if (mysql_query(m, query))
		fail_msg("%s: rows-after query failed: %s", cf->name, mysql_error(m));
	MYSQL_RES *res = mysql_store_result(m);
	unsigned n = mysql_num_fields(res);
	char *got = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&got, &len);
	for (MYSQL_ROW r; (r = mysql_fetch_row(res));) {
		for (unsigned j = 0; j < n; j++)
			fprintf(mem, "%s%s", j ? "|" : "", r[j] ? r[j] : "NULL");
		fputc('\n', mem);
	}
	fclose(mem);
	mysql_free_result(res);
	mysql_close(m);
	if (strcmp(got, expected) != 0)
		fail_msg("%s: rows-after\n--- expected\n%s--- got\n%s", cf->name, expected, got);
	free(got);
}

/* ---- the plan as `expect` lines ---- */

static char *plan_lines(const dbsync_plan *plan)
{
	char *out = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&out, &len);
	for (size_t i = 0; i < dbsync_plan_op_count(plan); i++) {
		const dbsync_op *op = dbsync_plan_op(plan, i);
		switch (op->status) {
		case DBSYNC_STATUS_REFUSED:
			fprintf(mem, "-- refused: %s\n", op->reason);
			break;
		case DBSYNC_STATUS_SKIPPED:
			if (!op->n_sql)
				fprintf(mem, "-- skipped: %s\n", op->summary);
			for (size_t j = 0; j < op->n_sql; j++)
				fprintf(mem, "-- skipped: %s\n", op->sql[j]);
			break;
		default:
			for (size_t j = 0; j < op->n_sql; j++)
				fprintf(mem, "%s\n", op->sql[j]);
			break;
		}
	}
	fclose(mem);
	return out;
}

static bool lines_match(const char *want, const char *got)
{
	while (*want || *got) {
		const char *we = strchr(want, '\n'), *ge = strchr(got, '\n');
		if (!we || !ge)
			return !we && !ge && strcmp(want, got) == 0;
		size_t wn = (size_t)(we - want), gn = (size_t)(ge - got);
		static const char refused[] = "-- refused: ";
		size_t rn = sizeof refused - 1;
		if (wn >= rn && strncmp(want, refused, rn) == 0 && gn >= rn && strncmp(got, refused, rn) == 0) {
			char *needle = strndup(want + rn, wn - rn), *hay = strndup(got + rn, gn - rn);
			bool ok = strstr(hay, needle) != NULL;
			free(needle);
			free(hay);
			if (!ok)
				return false;
		} else if (wn != gn || strncmp(want, got, wn) != 0) {
			return false;
		}
		want = we + 1;
		got = ge + 1;
	}
	return true;
}

static dbsync_plan *plan_or_fail(const char *name, dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_schema *desired,
	const dbsync_plan_options *opts)
{
	dbsync_plan *plan = NULL;
	if (dbsync_plan_compute(&plan, ctx, conn, desired, opts))
		fail_msg("%s: plan failed: %s", name, dbsync_ctx_error(ctx)->message);
	return plan;
}

static dbsync_schema *parse_or_fail(dbsync_ctx *ctx, const char *name, const char *sql)
{
	dbsync_schema *s = NULL;
	if (dbsync_schema_parse(&s, ctx, MYD, sql, strlen(sql)))
		fail_msg("%s: desired: %s (line %d)", name, dbsync_ctx_error(ctx)->message, dbsync_ctx_error(ctx)->line);
	return s;
}

/* No shadow database may outlive a plan. */
static void assert_no_shadow(const char *name)
{
	MYSQL *m = admin(NULL);
	if (mysql_query(m, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'dbsync\\_shadow\\_%'"))
		fail_msg("%s", mysql_error(m));
	MYSQL_RES *r = mysql_store_result(m);
	MYSQL_ROW row = mysql_fetch_row(r);
	if (strcmp(row[0], "0") != 0)
		fail_msg("%s: %s shadow database(s) left behind", name, row[0]);
	mysql_free_result(r);
	mysql_close(m);
}

/* ---- one case ---- */

typedef struct my_case {
	char *path;
	char db[32];
} my_case;

static void run_case(void **state)
{
	my_case *mc = *state;
	case_file cf;
	char err[256];
	if (server.absent)
		skip();
	if (case_file_load(&cf, mc->path, err, sizeof err))
		fail_msg("%s: %s", mc->path, err);
	fresh_db(mc->db);
	dbsync_ctx *ctx = NULL;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	dbsync_conn *conn = open_db(ctx, mc->db);
	if (cf.current && dbsync_conn_exec(ctx, conn, cf.current))
		fail_msg("%s: current: %s", cf.name, dbsync_ctx_error(ctx)->message);
	dbsync_schema *desired = parse_or_fail(ctx, cf.name, cf.desired);
	char *before = dump_rows(mc->db);

	dbsync_plan *plan = plan_or_fail(cf.name, ctx, conn, desired, &cf.opts);
	assert_no_shadow(cf.name);
	char *got = plan_lines(plan);
	if (!lines_match(cf.expect, got)) {
		fprintf(stderr, "%s: statements differ\n--- expected\n%s--- got\n%s", cf.name, cf.expect, got);
		fail_msg("%s: statements differ", cf.name);
	}
	free(got);
	dbsync_apply_options aopts = DBSYNC_APPLY_OPTIONS_INIT;
	if (dbsync_plan_pending_count(plan) && dbsync_plan_apply(ctx, conn, plan, &aopts))
		fail_msg("%s: apply failed: %s", cf.name, dbsync_ctx_error(ctx)->message);
	dbsync_plan_free(plan);

	plan = plan_or_fail(cf.name, ctx, conn, desired, &cf.opts);
	if (dbsync_plan_pending_count(plan)) {
		char *lines = plan_lines(plan);
		fprintf(stderr, "%s: planned again after apply, still pending:\n%s", cf.name, lines);
		fail_msg("%s: still pending after apply", cf.name);
	}
	dbsync_plan_free(plan);

	char *after = dump_rows(mc->db);
	assert_rows_survived(&cf, before, after);
	if (cf.rows_query)
		assert_query_lines(&cf, mc->db, cf.rows_query, cf.rows_expect);
	free(before);
	free(after);
	dbsync_schema_free(desired);
	dbsync_conn_close(conn);
	dbsync_ctx_free(ctx);
	case_file_free(&cf);
}

static char *read_fixture(const char *file)
{
	const char *root = getenv("DBSYNC_CASES_DIR");
	char path[1024];
	snprintf(path, sizeof path, "%s/../c/fixtures/%s", root ? root : "tests/cases", file);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *s = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return s;
}

/* The DDL Django 5.2 emits for MySQL, executed for real, then planned
 * against itself: nothing may differ. Then the same from an empty database:
 * dbsync builds it, and the result equals the one the DDL built. */
static void django_fixture_no_op_and_from_empty(void **state)
{
	(void)state;
	if (server.absent)
		skip();
	char *ddl = read_fixture("django52_mysql.sql");
	dbsync_ctx *ctx = NULL;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	fresh_db("django_built");
	fresh_db("dbsync_built");
	dbsync_conn *built = open_db(ctx, "django_built"), *empty = open_db(ctx, "dbsync_built");
	exec_ok(ctx, built, ddl);
	dbsync_schema *desired = parse_or_fail(ctx, "django52_mysql.sql", ddl);
	dbsync_plan *plan = plan_or_fail("no-op", ctx, built, desired, NULL);
	if (dbsync_plan_op_count(plan)) {
		char *lines = plan_lines(plan);
		fail_msg("a database built from the DDL shows %zu differences:\n%s", dbsync_plan_op_count(plan), lines);
	}
	dbsync_plan_free(plan);

	plan = plan_or_fail("from empty", ctx, empty, desired, NULL);
	assert_true(dbsync_plan_pending_count(plan) > 10);
	if (dbsync_plan_apply(ctx, empty, plan, NULL))
		fail_msg("from empty: %s", dbsync_ctx_error(ctx)->message);
	dbsync_plan_free(plan);
	/* both databases read back the same */
	dbsync_schema *a = NULL, *b = NULL;
	char *sa = NULL, *sb = NULL;
	assert_int_equal(dbsync_conn_introspect(&a, ctx, built), 0);
	assert_int_equal(dbsync_conn_introspect(&b, ctx, empty), 0);
	assert_int_equal(dbsync_schema_to_sql(&sa, ctx, a), 0);
	assert_int_equal(dbsync_schema_to_sql(&sb, ctx, b), 0);
	assert_string_equal(sa, sb);
	assert_no_shadow("django fixture");
	dbsync_free(sa);
	dbsync_free(sb);
	dbsync_schema_free(a);
	dbsync_schema_free(b);
	dbsync_schema_free(desired);
	dbsync_conn_close(built);
	dbsync_conn_close(empty);
	dbsync_ctx_free(ctx);
	free(ddl);
}

#include "test_cases_mysql_apply.h"

static int group_setup(void **state)
{
	(void)state;
	if (test_server_start(&server, &mariadb_server))
		return -1;
	if (server.absent)
		return 0;
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

static int by_name(const void *x, const void *y)
{
	return strcmp(((const my_case *)x)->path, ((const my_case *)y)->path);
}

int main(void)
{
	const char *root = getenv("DBSYNC_CASES_DIR");
	char dir[1024];
	snprintf(dir, sizeof dir, "%s/mysql", root ? root : "tests/cases");
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "cannot open %s\n", dir);
		return 1;
	}
	my_case *cases = NULL;
	size_t n = 0;
	for (struct dirent *e; (e = readdir(d));) {
		size_t len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".case") != 0)
			continue;
		cases = realloc(cases, (n + 1) * sizeof *cases);
		cases[n].path = malloc(strlen(dir) + len + 2);
		sprintf(cases[n].path, "%s/%s", dir, e->d_name);
		n++;
	}
	closedir(d);
	if (n < 12) {
		fprintf(stderr, "only %zu cases in %s; at least 12 expected\n", n, dir);
		return 1;
	}
	qsort(cases, n, sizeof *cases, by_name);
	size_t extra = sizeof apply_tests / sizeof apply_tests[0];
	struct CMUnitTest *tests = calloc(n + 1 + extra, sizeof *tests);
	for (size_t i = 0; i < n; i++) {
		snprintf(cases[i].db, sizeof cases[i].db, "case_%02zu", i + 1);
		tests[i].name = strrchr(cases[i].path, '/') + 1;
		tests[i].test_func = run_case;
		tests[i].initial_state = &cases[i];
	}
	tests[n].name = "django_fixture_no_op_and_from_empty";
	tests[n].test_func = django_fixture_no_op_and_from_empty;
	for (size_t i = 0; i < extra; i++)
		tests[n + 1 + i] = apply_tests[i];
	int failed = _cmocka_run_group_tests("mysql cases", tests, n + 1 + extra, group_setup, group_teardown);
	for (size_t i = 0; i < n; i++)
		free(cases[i].path);
	free(cases);
	free(tests);
	return failed;
}
