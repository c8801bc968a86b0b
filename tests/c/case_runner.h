/*
 * What the three data-case runners (test_cases*.c) share: listing the case
 * files, the plan / compare / apply / plan-again steps, and comparing rows
 * dumped as text. Header-only test code; each runner keeps its own way to
 * get a fresh database and to read rows back with the plain client library,
 * since the engine must not be trusted to check itself.
 */
#ifndef TEST_CASE_RUNNER_H
#define TEST_CASE_RUNNER_H

#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "case_file.h"
#include "dbsync/dbsync.h"
#include "test_support.h"

/* ---- the plan as `expect` lines ---- */

static inline char *plan_lines(const dbsync_plan *plan)
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

/* Expected and actual lines match; "-- refused: x" matches when x is part of the reason. */
static inline bool lines_match(const char *want, const char *got)
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

/* ---- engine steps that fail the test with the case's name ---- */

static inline dbsync_plan *plan_or_fail(const char *name, dbsync_ctx *ctx, dbsync_conn *conn,
	const dbsync_schema *desired, const dbsync_plan_options *opts)
{
	dbsync_plan *plan = NULL;
	if (dbsync_plan_compute(&plan, ctx, conn, desired, opts))
		fail_msg("%s: plan failed: %s", name, dbsync_ctx_error(ctx)->message);
	return plan;
}

static inline dbsync_schema *parse_or_fail(dbsync_ctx *ctx, dbsync_dialect dialect, const char *name,
	const char *sql)
{
	dbsync_schema *s = NULL;
	if (dbsync_schema_parse(&s, ctx, dialect, sql, strlen(sql)))
		fail_msg("%s: desired: %s (line %d)", name, dbsync_ctx_error(ctx)->message, dbsync_ctx_error(ctx)->line);
	return s;
}

static inline void current_or_fail(const case_file *cf, dbsync_ctx *ctx, dbsync_conn *conn)
{
	if (cf->current && dbsync_conn_exec(ctx, conn, cf->current))
		fail_msg("%s: current: %s", cf->name, dbsync_ctx_error(ctx)->message);
}

static inline void apply_or_fail(const char *name, dbsync_ctx *ctx, dbsync_conn *conn, dbsync_plan *plan)
{
	dbsync_apply_options aopts = DBSYNC_APPLY_OPTIONS_INIT;
	if (dbsync_plan_pending_count(plan) && dbsync_plan_apply(ctx, conn, plan, &aopts)) {
		char *lines = plan_lines(plan);
		fail_msg("%s: apply failed: %s\nplan:\n%s", name, dbsync_ctx_error(ctx)->message, lines);
	}
}

static inline void assert_nothing_pending(const char *name, const char *when, const dbsync_plan *plan)
{
	if (dbsync_plan_pending_count(plan)) {
		char *lines = plan_lines(plan);
		/* cmocka truncates long messages; the statements go out whole */
		fprintf(stderr, "%s: %s, still pending:\n%s", name, when, lines);
		fail_msg("%s: %s, still pending:\n%s", name, when, lines);
	}
}

/* Plan towards `desired`, compare with `expect`, apply, and plan again:
 * nothing may be pending. `after_plan`, if set, checks the server right
 * after the first plan. */
static inline void case_plan_apply_replan(const case_file *cf, dbsync_ctx *ctx, dbsync_conn *conn,
	const dbsync_schema *desired, void (*after_plan)(const char *name))
{
	dbsync_plan *plan = plan_or_fail(cf->name, ctx, conn, desired, &cf->opts);
	if (after_plan)
		after_plan(cf->name);
	char *got = plan_lines(plan);
	/* an older server may lack a statement: the case says what it plans instead */
	const char *expect = cf->expect_older && atoi(dbsync_conn_server_version(conn)) < cf->older_than
		? cf->expect_older : cf->expect;
	if (!lines_match(expect, got)) {
		/* cmocka truncates long messages; the statements go out whole */
		fprintf(stderr, "%s: statements differ\n--- expected\n%s--- got\n%s", cf->name, expect, got);
		fail_msg("%s: statements differ", cf->name);
	}
	free(got);
	apply_or_fail(cf->name, ctx, conn, plan);
	dbsync_plan_free(plan);

	plan = plan_or_fail(cf->name, ctx, conn, desired, &cf->opts);
	assert_nothing_pending(cf->name, "planned again after apply", plan);
	dbsync_plan_free(plan);
}

/* The rows-after query's result, as "a|b" lines, is what the case expects. */
static inline void assert_rows_after(const case_file *cf, char *got)
{
	if (strcmp(got, cf->rows_expect) != 0)
		fail_msg("%s: rows-after\n--- expected\n%s--- got\n%s", cf->name, cf->rows_expect, got);
	free(got);
}

/* ---- rows dumped as text: "table t", header line(s), then rows, \N for NULL ---- */

static inline bool in_word_list(const char *list, const char *table, const char *col)
{
	char key[512];
	snprintf(key, sizeof key, "%s.%s", table, col);
	size_t n = strlen(key);
	for (const char *p = list ? strstr(list, key) : NULL; p; p = strstr(p + 1, key))
		if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' ' || p[n] == '\n'))
			return true;
	return false;
}

typedef struct rowset {
	char **lines;
	size_t n;
} rowset;

static inline void split_lines(rowset *rs, char *text)
{
	memset(rs, 0, sizeof *rs);
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		rs->lines = realloc(rs->lines, (rs->n + 1) * sizeof *rs->lines);
		rs->lines[rs->n++] = l;
	}
}

static inline size_t split_fields(char *line, char **f, size_t cap)
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

/* How a backend lets a value of a `filled` column differ after apply; `type`
 * is the column's new type when the dump has a types line, else NULL. */
typedef bool (*filled_change_ok)(const char *before, const char *type, const char *after);

/* Same tables and row counts; in columns present on both sides the same
 * values, but for what `filled_ok` allows in a `filled` column. A dump has
 * after each "table t" line the column names, then (with_types) their types. */
static inline void assert_text_rows_survived(const case_file *cf, const char *before_text, const char *after_text,
	bool with_types, filled_change_ok filled_ok)
{
	size_t head = with_types ? 3 : 2;
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
		bool chosen = false; /* a table the case drops (drop_table=) may go, with its rows */
		for (size_t k = 0; k < cf->opts.n_drop_tables; k++)
			chosen |= strcmp(cf->opts.drop_tables[k], name) == 0;
		if (j == a.n && chosen)
			continue;
		if (j == a.n)
			fail_msg("%s: table %s disappeared", cf->name, name);
		char *bcols[64], *acols[64], *atypes[64] = { 0 };
		char *bh = strdup(b.lines[i + 1]), *ah = strdup(a.lines[j + 1]);
		char *at_line = with_types ? strdup(a.lines[j + 2]) : NULL;
		size_t nb = split_fields(bh, bcols, 64), na = split_fields(ah, acols, 64);
		if (at_line)
			split_fields(at_line, atypes, 64);
		size_t r = 0;
		for (; i + head + r < b.n && strncmp(b.lines[i + head + r], "table ", 6) != 0; r++) {
			if (j + head + r >= a.n || strncmp(a.lines[j + head + r], "table ", 6) == 0)
				fail_msg("%s: table %s lost rows", cf->name, name);
			char *bl = strdup(b.lines[i + head + r]), *al = strdup(a.lines[j + head + r]);
			char *bv[64], *av[64];
			split_fields(bl, bv, 64);
			split_fields(al, av, 64);
			for (size_t c = 0; c < nb; c++) {
				size_t k = 0;
				while (k < na && strcmp(acols[k], bcols[c]) != 0)
					k++;
				if (k == na || strcmp(bv[c], av[k]) == 0)
					continue;
				if (in_word_list(cf->filled, name, bcols[c]) && filled_ok(bv[c], atypes[k], av[k]))
					continue;
				if (in_word_list(cf->replaced, name, bcols[c]))
					continue; /* a data-loss change the case asks for */
				fail_msg("%s: %s row %zu column %s was %s, now %s", cf->name, name, r + 1, bcols[c], bv[c],
					av[k]);
			}
			free(bl);
			free(al);
		}
		if (j + head + r < a.n && strncmp(a.lines[j + head + r], "table ", 6) != 0)
			fail_msg("%s: table %s gained rows", cf->name, name);
		free(at_line);
		free(bh);
		free(ah);
	}
	free(b.lines);
	free(a.lines);
	free(bt);
	free(at);
}

/* ---- the case files of one backend ---- */

static inline void case_paths_free(char **paths, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

static inline int case_path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The paths of $DBSYNC_CASES_DIR/<sub>/NAME.case, sorted; NULL (said on
 * stderr) when the folder is missing or holds fewer than `min` cases. */
static inline char **case_paths(const char *sub, size_t min, size_t *count)
{
	const char *root = getenv("DBSYNC_CASES_DIR");
	char dir[1024];
	snprintf(dir, sizeof dir, "%s/%s", root ? root : "tests/cases", sub);
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "cannot open %s\n", dir);
		return NULL;
	}
	char **paths = NULL;
	size_t n = 0;
	for (struct dirent *e; (e = readdir(d));) {
		size_t len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".case") != 0)
			continue;
		paths = realloc(paths, (n + 1) * sizeof *paths);
		paths[n] = malloc(strlen(dir) + len + 2);
		sprintf(paths[n], "%s/%s", dir, e->d_name);
		n++;
	}
	closedir(d);
	if (n < min) {
		fprintf(stderr, "only %zu cases in %s; at least %zu expected\n", n, dir, min);
		case_paths_free(paths, n);
		return NULL;
	}
	qsort(paths, n, sizeof *paths, case_path_cmp);
	*count = n;
	return paths;
}

/* The test name of a case: its file name. */
static inline const char *case_test_name(const char *path)
{
	return strrchr(path, '/') + 1;
}

/* ---- cases on a server: each in a fresh database (MySQL) or schema (PostgreSQL) ---- */

/* What differs between server backends; `db` names the database or schema. */
typedef struct server_case_backend {
	dbsync_dialect dialect;
	const bool *absent;                                   /* no server installed: cases skip */
	void (*fresh)(const char *db);                        /* empty, dropped first if left over */
	dbsync_conn *(*open)(dbsync_ctx *ctx, const char *db);
	char *(*dump_rows)(const char *db);                   /* the text form assert_text_rows_survived reads */
	bool dump_has_types;
	filled_change_ok filled_ok;
	void (*query_lines)(const case_file *cf, const char *db, const char *query); /* rows-after */
	void (*after_plan)(const char *name);                 /* optional */
} server_case_backend;

typedef struct server_case {
	char *path;
	char db[32];
	const server_case_backend *backend;
} server_case;

static inline void server_case_run(void **state)
{
	const server_case *sc = *state;
	const server_case_backend *b = sc->backend;
	case_file cf;
	char err[256];
	if (*b->absent)
		skip();
	if (case_file_load(&cf, sc->path, err, sizeof err))
		fail_msg("%s: %s", sc->path, err);
	b->fresh(sc->db);
	dbsync_ctx *ctx = NULL;
	assert_int_equal(dbsync_ctx_new(&ctx), 0);
	dbsync_conn *conn = b->open(ctx, sc->db);
	if (atoi(dbsync_conn_server_version(conn)) < cf.needs_major) {
		/* an older server lacks the case's types or syntax: its DDL must fail
		 * there with the server's error, in `current` or in planning (the
		 * shadow), never be taken as something else */
		dbsync_schema *d = parse_or_fail(ctx, b->dialect, cf.name, cf.desired);
		dbsync_plan *plan = NULL;
		bool failed = (cf.current && dbsync_conn_exec(ctx, conn, cf.current)) ||
			dbsync_plan_compute(&plan, ctx, conn, d, &cf.opts);
		if (!failed)
			fail_msg("%s: runs on server %s: its needs-major %d is too high", cf.name,
				dbsync_conn_server_version(conn), cf.needs_major);
		assert_true(dbsync_ctx_error(ctx)->message[0] != '\0');
		dbsync_plan_free(plan);
		dbsync_schema_free(d);
		dbsync_conn_close(conn);
		dbsync_ctx_free(ctx);
		case_file_free(&cf);
		return;
	}
	current_or_fail(&cf, ctx, conn);
	dbsync_schema *desired = parse_or_fail(ctx, b->dialect, cf.name, cf.desired);
	char *before = b->dump_rows(sc->db);
	case_plan_apply_replan(&cf, ctx, conn, desired, b->after_plan);

	char *after = b->dump_rows(sc->db);
	assert_text_rows_survived(&cf, before, after, b->dump_has_types, b->filled_ok);
	if (cf.rows_query)
		b->query_lines(&cf, sc->db, cf.rows_query);
	free(before);
	free(after);
	dbsync_schema_free(desired);
	dbsync_conn_close(conn);
	dbsync_ctx_free(ctx);
	case_file_free(&cf);
}

/* A backend test's start: skipped without a server, else a fresh database
 * (or schema) and a connection to it on a new *ctx. */
static inline dbsync_conn *server_test_open(const server_case_backend *b, const char *db, dbsync_ctx **ctx)
{
	if (*b->absent)
		skip();
	b->fresh(db);
	assert_int_equal(dbsync_ctx_new(ctx), 0);
	return b->open(*ctx, db);
}

static inline void server_cases_free(server_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(cases[i].path);
	free(cases);
}

/* One test per case of `sub` (named by its file, run in database case_NN),
 * with `extra` free entries after them for the backend's own tests. */
static inline struct CMUnitTest *server_case_tests(const char *sub, size_t min, const server_case_backend *b,
	size_t extra, server_case **cases, size_t *n)
{
	char **paths = case_paths(sub, min, n);
	if (!paths)
		return NULL;
	*cases = calloc(*n, sizeof **cases);
	struct CMUnitTest *tests = calloc(*n + extra, sizeof *tests);
	for (size_t i = 0; i < *n; i++) {
		(*cases)[i].path = paths[i];
		(*cases)[i].backend = b;
		snprintf((*cases)[i].db, sizeof (*cases)[i].db, "case_%02zu", i + 1);
		tests[i].name = case_test_name(paths[i]);
		tests[i].test_func = server_case_run;
		tests[i].initial_state = &(*cases)[i];
	}
	free(paths);
	return tests;
}

/* ---- two applies at once on one server ---- */

/* How a backend parks the first apply on a lock it holds, and sees it wait. */
typedef struct apply_parking {
	const char *current;          /* one table `item` with a row */
	const char *desired;          /* two changes: a column on `item`, a table `tag` */
	const char *locked_message;   /* what the turned-away run's error says */
	int wait_rounds;              /* 20 ms each */
	void *(*park)(const char *db);        /* take the lock the first apply will wait on */
	bool (*waiting)(void *parking);       /* the first apply waits on it */
	void (*release)(void *parking);       /* let it go, and free `parking` */
} apply_parking;

typedef struct apply_job {
	dbsync_ctx *ctx;
	dbsync_conn *conn;
	dbsync_plan *plan;
	int rc;
} apply_job;

static inline void *apply_thread(void *arg)
{
	apply_job *job = arg;
	job->rc = dbsync_plan_apply(job->ctx, job->conn, job->plan, NULL);
	return NULL;
}

/* While one apply holds the sync lock, a second is turned away at once,
 * having changed nothing; a new plan after the first has nothing left. */
static inline void assert_applies_do_not_interleave(const server_case_backend *b, const apply_parking *p,
	const char *db)
{
	if (*b->absent)
		skip();
	b->fresh(db);
	dbsync_ctx *ctx_a = NULL, *ctx_b = NULL;
	assert_int_equal(dbsync_ctx_new(&ctx_a), 0);
	assert_int_equal(dbsync_ctx_new(&ctx_b), 0);
	dbsync_conn *a = b->open(ctx_a, db), *c = b->open(ctx_b, db);
	exec_ok(ctx_a, a, p->current);
	dbsync_schema *desired = parse_or_fail(ctx_a, b->dialect, "concurrent", p->desired);
	dbsync_plan *plan_a = plan_or_fail("concurrent a", ctx_a, a, desired, NULL);
	dbsync_plan *plan_b = plan_or_fail("concurrent b", ctx_b, c, desired, NULL);
	assert_int_equal(dbsync_plan_pending_count(plan_b), 2);

	/* park the first apply on a lock, after it took the sync lock */
	void *parking = p->park(db);
	apply_job job = { ctx_a, a, plan_a, -1 };
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, apply_thread, &job), 0);
	for (int i = 0; i < p->wait_rounds && !p->waiting(parking); i++)
		nanosleep(&(struct timespec){ .tv_nsec = 20000000 }, NULL);
	assert_true(p->waiting(parking));

	/* the second run is turned away at once, having changed nothing */
	assert_int_equal(dbsync_plan_apply(ctx_b, c, plan_b, NULL), DBSYNC_ELOCKED);
	assert_non_null(strstr(dbsync_ctx_error(ctx_b)->message, p->locked_message));
	for (size_t i = 0; i < dbsync_plan_op_count(plan_b); i++)
		assert_int_equal(dbsync_plan_op(plan_b, i)->status, DBSYNC_STATUS_PENDING);

	p->release(parking);
	assert_int_equal(pthread_join(th, NULL), 0);
	if (job.rc)
		fail_msg("the first apply failed: %s", dbsync_ctx_error(ctx_a)->message);

	/* the first run did it all; a new plan for the second has nothing left */
	dbsync_plan_free(plan_b);
	plan_b = plan_or_fail("concurrent b again", ctx_b, c, desired, NULL);
	assert_int_equal(dbsync_plan_pending_count(plan_b), 0);
	dbsync_plan_free(plan_a);
	dbsync_plan_free(plan_b);
	dbsync_schema_free(desired);
	dbsync_conn_close(a);
	dbsync_conn_close(c);
	dbsync_ctx_free(ctx_a);
	dbsync_ctx_free(ctx_b);
}

#endif
