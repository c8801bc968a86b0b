/*
 * Engine cases as data (tests/cases/sqlite/NAME.case), run against real SQLite
 * files. Each case: build `current`, plan towards `desired`, compare the
 * statements with `expect`, apply with verification, plan again (nothing may
 * be pending), check that every row survived, and optionally run the reverse
 * direction. The format is described in tests/cases/README.md.
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
#include <sqlite3.h>

#include "dbsync/dbsync.h"
#include "case_file.h"
#include "case_runner.h"

#define SQ DBSYNC_DIALECT_SQLITE

/* ---- row snapshots, read with plain SQLite ---- */

typedef struct table_rows {
	char *name;
	char **cols;
	size_t n_cols;
	char ***rows;     /* rows[i][j]: text of column j, NULL for SQL NULL */
	size_t n_rows;
} table_rows;

typedef struct snapshot {
	table_rows *tables;
	size_t n;
} snapshot;

static char *value_text(sqlite3_stmt *st, int j)
{
	int type = sqlite3_column_type(st, j);
	if (type == SQLITE_NULL)
		return NULL;
	if (type == SQLITE_BLOB) {
		int n = sqlite3_column_bytes(st, j);
		const unsigned char *p = sqlite3_column_blob(st, j);
		char *s = malloc((size_t)n * 2 + 4);
		size_t k = 0;
		s[k++] = 'X';
		s[k++] = '\'';
		for (int i = 0; i < n; i++)
			k += (size_t)sprintf(s + k, "%02x", p[i]);
		s[k++] = '\'';
		s[k] = '\0';
		return s;
	}
	return strdup((const char *)sqlite3_column_text(st, j));
}

static char *quote_ident(const char *name)
{
	size_t n = strlen(name);
	char *s = malloc(n * 2 + 3), *o = s;
	*o++ = '"';
	for (const char *p = name; *p; p++) {
		if (*p == '"')
			*o++ = '"';
		*o++ = *p;
	}
	*o++ = '"';
	*o = '\0';
	return s;
}

static void snapshot_take(snapshot *snap, const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *names = NULL;
	memset(snap, 0, sizeof *snap);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT name, sql LIKE '%WITHOUT ROWID%' FROM sqlite_schema "
		"WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name", -1, &names, NULL), SQLITE_OK);
	while (sqlite3_step(names) == SQLITE_ROW) {
		snap->tables = realloc(snap->tables, (snap->n + 1) * sizeof *snap->tables);
		table_rows *t = &snap->tables[snap->n++];
		memset(t, 0, sizeof *t);
		t->name = strdup((const char *)sqlite3_column_text(names, 0));
		char *q = quote_ident(t->name);
		char sql[1024];
		snprintf(sql, sizeof sql, "SELECT * FROM %s ORDER BY %s", q, sqlite3_column_int(names, 1) ? "1" : "rowid");
		free(q);
		sqlite3_stmt *st = NULL;
		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
		t->n_cols = (size_t)sqlite3_column_count(st);
		t->cols = calloc(t->n_cols + 1, sizeof *t->cols);
		for (size_t j = 0; j < t->n_cols; j++)
			t->cols[j] = strdup(sqlite3_column_name(st, (int)j));
		while (sqlite3_step(st) == SQLITE_ROW) {
			t->rows = realloc(t->rows, (t->n_rows + 1) * sizeof *t->rows);
			char **row = calloc(t->n_cols + 1, sizeof *row);
			for (size_t j = 0; j < t->n_cols; j++)
				row[j] = value_text(st, (int)j);
			t->rows[t->n_rows++] = row;
		}
		sqlite3_finalize(st);
	}
	sqlite3_finalize(names);
	sqlite3_close(db);
}

static void snapshot_free(snapshot *snap)
{
	for (size_t i = 0; i < snap->n; i++) {
		table_rows *t = &snap->tables[i];
		for (size_t r = 0; r < t->n_rows; r++) {
			for (size_t j = 0; j < t->n_cols; j++)
				free(t->rows[r][j]);
			free(t->rows[r]);
		}
		for (size_t j = 0; j < t->n_cols; j++)
			free(t->cols[j]);
		free(t->rows);
		free(t->cols);
		free(t->name);
	}
	free(snap->tables);
	memset(snap, 0, sizeof *snap);
}

static const table_rows *snapshot_find(const snapshot *snap, const char *name)
{
	for (size_t i = 0; i < snap->n; i++)
		if (sqlite3_stricmp(snap->tables[i].name, name) == 0)
			return &snap->tables[i];
	return NULL;
}

/* Every row of `before` is in `after`, same order, in every column that still
 * exists; a NULL may become a value only in columns listed as filled, and
 * columns listed as replaced may change in any way. */
static void assert_rows_survived(const case_file *cf, const snapshot *before, const snapshot *after)
{
	for (size_t i = 0; i < before->n; i++) {
		const table_rows *b = &before->tables[i];
		const table_rows *a = snapshot_find(after, b->name);
		bool chosen = false; /* a table the case drops (drop_table=) may go, with its rows */
		for (size_t k = 0; k < cf->opts.n_drop_tables; k++)
			chosen |= sqlite3_stricmp(cf->opts.drop_tables[k], b->name) == 0;
		if (!a && chosen)
			continue;
		if (!a)
			fail_msg("%s: table %s disappeared", cf->name, b->name);
		if (a->n_rows != b->n_rows)
			fail_msg("%s: table %s had %zu rows, now %zu", cf->name, b->name, b->n_rows, a->n_rows);
		for (size_t j = 0; j < b->n_cols; j++) {
			size_t k = 0;
			while (k < a->n_cols && sqlite3_stricmp(a->cols[k], b->cols[j]) != 0)
				k++;
			if (k == a->n_cols)
				continue;
			if (in_word_list(cf->replaced, b->name, b->cols[j]))
				continue; /* a data-loss change the case asks for */
			bool filled = in_word_list(cf->filled, b->name, b->cols[j]);
			for (size_t r = 0; r < b->n_rows; r++) {
				const char *x = b->rows[r][j], *y = a->rows[r][k];
				if (!x && y && filled)
					continue;
				if ((!x) != (!y) || (x && strcmp(x, y) != 0))
					fail_msg("%s: %s row %zu column %s was %s, now %s", cf->name, b->name, r + 1,
						b->cols[j], x ? x : "NULL", y ? y : "NULL");
			}
		}
	}
}

/* ---- checks with plain SQLite ---- */

static void assert_query_lines(const case_file *cf, const char *path, const char *query)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *got = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&got, &len);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_prepare_v2(db, query, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: rows-after query failed: %s", cf->name, sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int j = 0; j < sqlite3_column_count(st); j++) {
			char *v = value_text(st, j);
			fprintf(mem, "%s%s", j ? "|" : "", v ? v : "NULL");
			free(v);
		}
		fputc('\n', mem);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	fclose(mem);
	assert_rows_after(cf, got);
}

/* The database is consistent: integrity, foreign keys, and every view still runs. */
static void assert_database_sound(const case_file *cf, const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		fail_msg("%s: foreign_key_check reports a violation in %s", cf->name, sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT name FROM sqlite_schema WHERE type = 'view'", -1, &st, NULL),
		SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char *q = quote_ident((const char *)sqlite3_column_text(st, 0));
		char sql[600];
		snprintf(sql, sizeof sql, "SELECT * FROM %s", q);
		free(q);
		char *err = NULL;
		if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
			fail_msg("%s: view broken after apply: %s", cf->name, err);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* Reverse: the live schema as it was before, rendered and parsed back, becomes
 * the desired one for the database as it is now. */
static void run_reverse(const case_file *cf, dbsync_ctx *ctx, dbsync_conn *conn, const char *original_sql)
{
	dbsync_schema *back = NULL;
	if (dbsync_schema_parse(&back, ctx, SQ, original_sql, strlen(original_sql)))
		fail_msg("%s: reverse: the original schema does not parse back: %s\n%s", cf->name,
			dbsync_ctx_error(ctx)->message, original_sql);
	dbsync_plan_options opts = DBSYNC_PLAN_OPTIONS_INIT;
	opts.drop_columns = 1;
	dbsync_plan *plan = plan_or_fail(cf->name, ctx, conn, back, &opts);
	apply_or_fail(cf->name, ctx, conn, plan);
	dbsync_plan_free(plan);
	plan = plan_or_fail(cf->name, ctx, conn, back, &opts);
	assert_nothing_pending(cf->name, "reverse direction planned again", plan);
	dbsync_plan_free(plan);
	dbsync_schema_free(back);
}

static void run_case(void **state)
{
	const char *path = *state;
	case_file cf;
	char err[256];
	if (case_file_load(&cf, path, err, sizeof err))
		fail_msg("%s: %s", path, err);
	char db_path[] = "/tmp/dbsync-case-XXXXXX";
	int fd = mkstemp(db_path);
	assert_true(fd >= 0);
	close(fd);
	char url[600];
	snprintf(url, sizeof url, "sqlite:///%s", db_path);

	dbsync_ctx *ctx = NULL;
	dbsync_conn *conn = NULL;
	dbsync_schema *desired = NULL, *original = NULL;
	char *original_sql = NULL;
	snapshot before, after;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	if (dbsync_conn_open_url(&conn, ctx, url))
		fail_msg("%s: open: %s", cf.name, dbsync_ctx_error(ctx)->message);
	current_or_fail(&cf, ctx, conn);
	desired = parse_or_fail(ctx, SQ, cf.name, cf.desired);
	assert_int_equal(dbsync_conn_introspect(&original, ctx, conn), 0);
	assert_int_equal(dbsync_schema_to_sql(&original_sql, ctx, original), 0);
	snapshot_take(&before, db_path);
	case_plan_apply_replan(&cf, ctx, conn, desired, NULL);

	snapshot_take(&after, db_path);
	assert_rows_survived(&cf, &before, &after);
	assert_database_sound(&cf, db_path);
	if (cf.rows_query)
		assert_query_lines(&cf, db_path, cf.rows_query);
	if (cf.reverse)
		run_reverse(&cf, ctx, conn, original_sql);
	assert_database_sound(&cf, db_path);

	snapshot_free(&before);
	snapshot_free(&after);
	dbsync_free(original_sql);
	dbsync_schema_free(original);
	dbsync_schema_free(desired);
	dbsync_conn_close(conn);
	dbsync_ctx_free(ctx);
	case_file_free(&cf);
	unlink(db_path);
}

int main(void)
{
	size_t n = 0;
	char **paths = case_paths("sqlite", 20, &n);
	if (!paths)
		return 1;
	struct CMUnitTest *tests = calloc(n, sizeof *tests);
	for (size_t i = 0; i < n; i++) {
		tests[i].name = case_test_name(paths[i]);
		tests[i].test_func = run_case;
		tests[i].initial_state = paths[i];
	}
	int failed = _cmocka_run_group_tests("sqlite cases", tests, n, NULL, NULL);
	case_paths_free(paths, n);
	free(tests);
	return failed;
}
