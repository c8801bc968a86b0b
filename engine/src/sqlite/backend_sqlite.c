/*
 * The SQLite backend: connections, statements, and the framing of a plan.
 * Introspection lives in backend_sqlite_introspect.c.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend_sqlite.h"
#include "ctx.h"
#include "plan_internal.h"

/* Keep statements short in messages: the first line, at most this many bytes. */
#define STMT_EXCERPT 160

static int excerpt_len(const char *sql)
{
	size_t n = 0;
	while (sql[n] && sql[n] != '\n' && n < STMT_EXCERPT)
		n++;
	return (int)n;
}

int dbs_sq_error(dbsync_ctx *ctx, dbsync_conn *conn, int rc, const char *what)
{
	dbs_sq_conn *sc = conn->impl;
	int ext = sqlite3_extended_errcode(sc->db);
	/* prepare/step already return extended codes; errcode() can lag behind rc */
	if ((ext & 0xff) != (rc & 0xff))
		ext = rc;
	const char *msg = sqlite3_errmsg(sc->db);
	if ((rc & 0xff) == SQLITE_BUSY)
		return dbs_error_db(ctx, DBSYNC_ELOCKED, NULL, ext,
			"%s: the database %s is locked: another process holds the database lock "
			"(waited %d ms): %s", what, sc->path, sc->timeout_ms, msg);
	/* SQLITE_LOCKED: a conflict inside this process (shared cache), no waiting */
	if ((rc & 0xff) == SQLITE_LOCKED)
		return dbs_error_db(ctx, DBSYNC_ELOCKED, NULL, ext,
			"%s: the database %s is locked: another connection holds the database lock: %s",
			what, sc->path, msg);
	return dbs_error_db(ctx, DBSYNC_EDB, NULL, ext, "%s: %s", what, msg);
}

static int parse_timeout(int *ms, const char *text)
{
	char *end = NULL;
	errno = 0;
	double secs = strtod(text, &end);
	if (errno || end == text || *end || !isfinite(secs) || secs < 0 || secs > 86400)
		return -1;
	*ms = (int)(secs * 1000.0 + 0.5);
	return 0;
}

static int check_params(dbsync_ctx *ctx, const dbs_params *params, int *timeout_ms)
{
	/* Django passes these for every backend; SQLite has no use for them */
	static const char *const ignored[] = { "user", "password", "host", "port" };
	for (size_t i = 0; i < params->n; i++) {
		const char *k = params->keys[i], *v = params->values[i] ? params->values[i] : "";
		if (strcmp(k, "name") == 0)
			continue;
		if (strcmp(k, "timeout") == 0) {
			if (parse_timeout(timeout_ms, v))
				return dbs_error(ctx, DBSYNC_EINVALID,
					"sqlite option 'timeout' must be a number of seconds, not '%s'", v);
			continue;
		}
		bool known = false;
		for (size_t j = 0; j < sizeof ignored / sizeof ignored[0]; j++)
			known |= strcmp(k, ignored[j]) == 0;
		if (!known)
			return dbs_error(ctx, DBSYNC_EINVALID, "unknown sqlite option '%s'", k);
		if (*v)
			return dbs_error(ctx, DBSYNC_EINVALID,
				"sqlite takes no '%s': a database is a file, give only its path as 'name'", k);
	}
	return 0;
}

static void sq_close(dbsync_conn *conn)
{
	dbs_sq_conn *sc = conn->impl;
	if (!sc)
		return;
	sqlite3_close_v2(sc->db);
	for (size_t i = 0; i < sc->n_before; i++) {
		free(sc->before[i].table);
		free(sc->before[i].parent);
	}
	free(sc->before);
	free(sc->path);
	free(sc);
	conn->impl = NULL;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	return d ? memcpy(d, s, n) : NULL;
}

static int sq_exec(dbsync_ctx *ctx, dbsync_conn *conn, const char *sql);

/* Whether the directory a new file at `path` would go into exists. */
static bool parent_dir_exists(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return true; /* the working directory */
	size_t n = slash == path ? 1 : (size_t)(slash - path);
	char *dir = malloc(n + 1);
	if (!dir)
		return false;
	memcpy(dir, path, n);
	dir[n] = '\0';
	struct stat st;
	bool ok = stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
	free(dir);
	return ok;
}

static int sq_open(dbsync_conn *conn, dbsync_ctx *ctx, const dbs_params *params)
{
	int rc, timeout_ms = 5000;
	const char *name = dbs_params_get(params, "name");
	if (!name || !*name)
		return dbs_error(ctx, DBSYNC_EINVALID, "sqlite needs 'name': the database file path or :memory:");
	if ((rc = check_params(ctx, params, &timeout_ms)))
		return rc;
	dbs_sq_conn *sc = calloc(1, sizeof *sc);
	if (!sc)
		return dbs_error_oom(ctx);
	conn->impl = sc;
	sc->timeout_ms = timeout_ms;
	sc->path = xstrdup(name);
	size_t dlen = strlen(name) + sizeof "sqlite:///";
	conn->describe = malloc(dlen);
	conn->server_version = xstrdup(sqlite3_libversion());
	conn->drop_index_if_exists = true;
	if (!sc->path || !conn->describe || !conn->server_version) {
		rc = dbs_error_oom(ctx);
		goto cleanup;
	}
	snprintf(conn->describe, dlen, "sqlite:///%s", name);
	/* URI names let Django's shared in-memory test databases be reached */
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI;
	const char *open_name = name;
	if (conn->readonly) {
		flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_URI;
		/* a dry run must not leave an empty file behind: a database that does
		 * not exist yet is planned as the empty database it would start as */
		if (strcmp(name, ":memory:") != 0 && strncmp(name, "file:", 5) != 0 && access(name, F_OK) != 0) {
			if (!parent_dir_exists(name)) {
				rc = dbs_error(ctx, DBSYNC_ECONNECT,
					"cannot open the SQLite database '%s': its directory does not exist", name);
				goto cleanup;
			}
			open_name = ":memory:";
			flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY;
		}
	}
	rc = sqlite3_open_v2(open_name, &sc->db, flags, NULL);
	if (rc != SQLITE_OK) {
		rc = dbs_error_db(ctx, DBSYNC_ECONNECT, NULL, sc->db ? sqlite3_extended_errcode(sc->db) : rc,
			"cannot open the SQLite database '%s': %s", name,
			sc->db ? sqlite3_errmsg(sc->db) : sqlite3_errstr(rc));
		goto cleanup;
	}
	sqlite3_extended_result_codes(sc->db, 1);
	sqlite3_busy_timeout(sc->db, timeout_ms);
	/* Reading the schema makes a file that is not a database fail here, not
	 * later. The pragmas are the ones Django sets on each of its connections. */
	static const char first[] = "SELECT count(*) FROM sqlite_schema;"
		"PRAGMA foreign_keys=ON;PRAGMA legacy_alter_table=OFF";
	rc = sq_exec(ctx, conn, first);
	if (rc && dbsync_ctx_error(ctx)->native_code == SQLITE_READONLY_ROLLBACK) {
		/* a killed writer's hot journal that this connection may not roll
		 * back (it is read-only, or the file is not ours to write): read
		 * again once it is rolled back, or say what to do */
		if ((rc = dbs_sq_roll_back_hot_journal(ctx, name, timeout_ms)))
			goto cleanup;
		rc = sq_exec(ctx, conn, first);
	}
	if (rc && dbsync_ctx_error(ctx)->native_code == SQLITE_READONLY_DIRECTORY && dbs_sq_is_wal(name)) {
		rc = dbs_sq_wal_unreadable(ctx, name);
		goto cleanup;
	}
	if (rc) {
		const dbsync_error *e = dbsync_ctx_error(ctx);
		if (rc != DBSYNC_ELOCKED)
			rc = dbs_error_db(ctx, DBSYNC_ECONNECT, NULL, e->native_code,
				"cannot use the SQLite database '%s': %s", name, sqlite3_errmsg(sc->db));
		goto cleanup;
	}
	return 0;
cleanup:
	sq_close(conn);
	return rc;
}

static int sq_exec(dbsync_ctx *ctx, dbsync_conn *conn, const char *sql)
{
	sqlite3 *db = dbs_sq_db(conn);
	const char *tail = sql;
	while (tail && *tail) {
		sqlite3_stmt *st = NULL;
		const char *start = tail;
		int rc = sqlite3_prepare_v2(db, start, -1, &st, &tail);
		if (rc == SQLITE_OK && st) {
			while ((rc = sqlite3_step(st)) == SQLITE_ROW)
				;
			if (rc == SQLITE_DONE)
				rc = SQLITE_OK;
		}
		if (rc != SQLITE_OK) {
			char what[STMT_EXCERPT + 64];
			/* name the statement itself, not the rest of the script after it */
			const char *text = st ? sqlite3_sql(st) : start;
			while (*text == ' ' || *text == '\n' || *text == '\t' || *text == '\r')
				text++;
			int n = excerpt_len(text);
			snprintf(what, sizeof what, "statement \"%.*s%s\" failed", n, text,
				text[n] && text[n] != ';' ? "..." : "");
			rc = dbs_sq_error(ctx, conn, rc, what);
			sqlite3_finalize(st);
			return rc;
		}
		sqlite3_finalize(st);
	}
	return 0;
}

static int sq_query_int64(int64_t *out, dbsync_ctx *ctx, dbsync_conn *conn, const char *sql)
{
	sqlite3 *db = dbs_sq_db(conn);
	sqlite3_stmt *st = NULL;
	*out = 0;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int64(st, 0);
			rc = SQLITE_OK;
		} else if (rc == SQLITE_DONE) {
			rc = SQLITE_OK;
		}
	}
	if (rc != SQLITE_OK) {
		char what[STMT_EXCERPT + 64];
		int n = excerpt_len(sql);
		snprintf(what, sizeof what, "query \"%.*s%s\" failed", n, sql, sql[n] ? "..." : "");
		rc = dbs_sq_error(ctx, conn, rc, what);
	}
	sqlite3_finalize(st);
	return rc;
}

static int sq_introspect(dbsync_schema **out, dbsync_ctx *ctx, dbsync_conn *conn)
{
	return dbs_sq_introspect(out, ctx, conn, DBS_SQ_PARSE);
}

/* ---- the per-apply lock wait: the busy timeout ---- */

static int sq_lock_wait_set(dbsync_ctx *ctx, dbsync_conn *conn, unsigned ms, int64_t *saved)
{
	dbs_sq_conn *sc = conn->impl;
	(void)ctx;
	*saved = sc->timeout_ms;
	sc->timeout_ms = ms > (unsigned)INT32_MAX ? INT32_MAX : (int)ms;
	sqlite3_busy_timeout(sc->db, sc->timeout_ms);
	return 0;
}

static void sq_lock_wait_restore(dbsync_conn *conn, int64_t saved)
{
	dbs_sq_conn *sc = conn->impl;
	sc->timeout_ms = (int)saved;
	sqlite3_busy_timeout(sc->db, sc->timeout_ms);
}

/* ---- framing a plan ---- */

/* A plan that rebuilds tables follows SQLite's "generalized ALTER TABLE"
 * procedure: foreign keys off outside the transaction (the pragma is a no-op
 * inside one), legacy_alter_table so renaming new__t to t leaves views and
 * triggers that name t alone, and foreign_key_check before and after. */
static const char prologue_rebuild[] =
	"PRAGMA foreign_keys=OFF;\n"
	"PRAGMA legacy_alter_table=ON;\n"
	"BEGIN IMMEDIATE;\n"
	"PRAGMA foreign_key_check;\n";
static const char epilogue_rebuild[] =
	"PRAGMA foreign_key_check;\n"
	"COMMIT;\n"
	"PRAGMA legacy_alter_table=OFF;\n"
	"PRAGMA foreign_keys=ON;\n";
/* IMMEDIATE takes the write lock up front, so a second run waits and fails
 * instead of interleaving with this one. */
static const char prologue_plain[] = "BEGIN IMMEDIATE;\n";
static const char epilogue_plain[] = "COMMIT;\n";

static int sq_script_prologue(dbs_buf *out, const dbsync_plan *plan)
{
	return dbs_buf_puts(out, plan->foreign_keys_off ? prologue_rebuild : prologue_plain);
}

static int sq_script_epilogue(dbs_buf *out, const dbsync_plan *plan)
{
	return dbs_buf_puts(out, plan->foreign_keys_off ? epilogue_rebuild : epilogue_plain);
}

static void free_violations(dbs_sq_violation *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].table);
		free(v[i].parent);
	}
	free(v);
}

/* PRAGMA foreign_key_check, grouped by (table, parent) with row counts: rowids
 * and FK ids may change in a rebuild, the pair and the count do not. */
static int fk_check(dbs_sq_violation **out, size_t *n_out, dbsync_ctx *ctx, dbsync_conn *conn)
{
	sqlite3_stmt *st = NULL;
	dbs_sq_violation *v = NULL;
	size_t n = 0, cap = 0;
	int rc = sqlite3_prepare_v2(dbs_sq_db(conn),
		"SELECT \"table\", parent, count(*) FROM pragma_foreign_key_check "
		"GROUP BY \"table\", parent ORDER BY \"table\", parent", -1, &st, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			dbs_sq_violation *nv = realloc(v, ncap * sizeof *nv);
			if (!nv) {
				rc = SQLITE_NOMEM;
				break;
			}
			v = nv;
			cap = ncap;
		}
		const char *t = (const char *)sqlite3_column_text(st, 0);
		const char *p = (const char *)sqlite3_column_text(st, 1);
		v[n].table = xstrdup(t ? t : "");
		v[n].parent = xstrdup(p ? p : "");
		v[n].rows = sqlite3_column_int64(st, 2);
		n++;
		if (!v[n - 1].table || !v[n - 1].parent) {
			rc = SQLITE_NOMEM;
			break;
		}
		rc = SQLITE_OK;
	}
	if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	if (rc == SQLITE_NOMEM)
		rc = dbs_error_oom(ctx);
	else if (rc != SQLITE_OK)
		rc = dbs_sq_error(ctx, conn, rc, "PRAGMA foreign_key_check failed");
	sqlite3_finalize(st);
	if (rc) {
		free_violations(v, n);
		return rc;
	}
	*out = v;
	*n_out = n;
	return 0;
}

static int64_t rows_before(const dbs_sq_conn *sc, const dbs_sq_violation *a)
{
	for (size_t i = 0; i < sc->n_before; i++)
		if (strcmp(sc->before[i].table, a->table) == 0 && strcmp(sc->before[i].parent, a->parent) == 0)
			return sc->before[i].rows;
	return 0;
}

static int restore_pragmas(dbsync_ctx *ctx, dbsync_conn *conn)
{
	dbs_sq_conn *sc = conn->impl;
	char sql[96];
	snprintf(sql, sizeof sql, "PRAGMA legacy_alter_table=%s;PRAGMA foreign_keys=%s",
		sc->saved_legacy_alter ? "ON" : "OFF", sc->saved_foreign_keys ? "ON" : "OFF");
	sc->framed_fk = false;
	free_violations(sc->before, sc->n_before);
	sc->before = NULL;
	sc->n_before = 0;
	return sq_exec(ctx, conn, sql);
}

static int sq_apply_begin(dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_plan *plan)
{
	dbs_sq_conn *sc = conn->impl;
	int64_t v;
	int rc;
	if (!sqlite3_get_autocommit(sc->db))
		return dbs_error(ctx, DBSYNC_EINVALID,
			"cannot apply a plan to %s: a transaction is already open on this connection", sc->path);
	if (!plan->foreign_keys_off)
		return sq_exec(ctx, conn, "BEGIN IMMEDIATE");
	if ((rc = sq_query_int64(&v, ctx, conn, "PRAGMA foreign_keys")))
		return rc;
	sc->saved_foreign_keys = v != 0;
	if ((rc = sq_query_int64(&v, ctx, conn, "PRAGMA legacy_alter_table")))
		return rc;
	sc->saved_legacy_alter = v != 0;
	sc->framed_fk = true;
	rc = sq_exec(ctx, conn, "PRAGMA foreign_keys=OFF;PRAGMA legacy_alter_table=ON;BEGIN IMMEDIATE");
	if (!rc)
		rc = fk_check(&sc->before, &sc->n_before, ctx, conn);
	if (rc) {
		if (!sqlite3_get_autocommit(sc->db))
			sqlite3_exec(sc->db, "ROLLBACK", NULL, NULL, NULL);
		/* the first error is the one worth reporting */
		dbsync_ctx *scratch = NULL;
		if (dbsync_ctx_new(&scratch) == 0) {
			restore_pragmas(scratch, conn);
			dbsync_ctx_free(scratch);
		}
	}
	return rc;
}

/* Roll back, keeping the error already on ctx; a failed rollback is added to it. */
static int rollback(dbsync_ctx *ctx, dbsync_conn *conn)
{
	dbs_sq_conn *sc = conn->impl;
	int rc = 0;
	/* some errors (SQLITE_FULL, IOERR) already rolled the transaction back */
	if (!sqlite3_get_autocommit(sc->db)) {
		rc = sqlite3_exec(sc->db, "ROLLBACK", NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			const dbsync_error *e = dbsync_ctx_error(ctx);
			if (e->code) {
				char state[6];
				memcpy(state, e->sqlstate, sizeof state);
				dbs_error_db(ctx, e->code, state[0] ? state : NULL, e->native_code,
					"%s (and the rollback failed too: %s)", e->message, sqlite3_errmsg(sc->db));
			} else {
				dbs_sq_error(ctx, conn, rc, "ROLLBACK failed");
			}
			rc = e->code;
		}
	}
	return rc;
}

static int new_violation_error(dbsync_ctx *ctx, dbsync_conn *conn, const dbs_sq_violation *a, int64_t before)
{
	dbs_sq_conn *sc = conn->impl;
	return dbs_error_db(ctx, DBSYNC_EDB, NULL, SQLITE_CONSTRAINT_FOREIGNKEY,
		"foreign key check failed in %s after the changes: table \"%s\" has %lld row(s) "
		"referencing \"%s\" that has no matching row (%lld before); nothing was changed",
		sc->path, a->table, (long long)a->rows, a->parent, (long long)before);
}

static int sq_apply_end(dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_plan *plan, int commit)
{
	dbs_sq_conn *sc = conn->impl;
	int rc = 0;
	(void)plan;
	if (commit && sc->framed_fk) {
		dbs_sq_violation *after = NULL;
		size_t n_after = 0;
		rc = fk_check(&after, &n_after, ctx, conn);
		for (size_t i = 0; !rc && i < n_after; i++) {
			int64_t before = rows_before(sc, &after[i]);
			if (after[i].rows > before)
				rc = new_violation_error(ctx, conn, &after[i], before);
		}
		free_violations(after, n_after);
	}
	if (commit && !rc)
		rc = sq_exec(ctx, conn, "COMMIT");
	if (!commit || rc) {
		int rrc = rollback(ctx, conn);
		if (!commit && !rc)
			rc = rrc;
	}
	if (sc->framed_fk) {
		if (rc) {
			dbsync_ctx *scratch = NULL;
			if (dbsync_ctx_new(&scratch) == 0) {
				restore_pragmas(scratch, conn);
				dbsync_ctx_free(scratch);
			}
		} else {
			rc = restore_pragmas(ctx, conn);
		}
	}
	return rc;
}

const dbs_backend dbs_backend_sqlite = {
	.dialect = DBSYNC_DIALECT_SQLITE,
	.open = sq_open,
	.close = sq_close,
	.introspect = sq_introspect,
	.inspect = dbs_insp_sqlite,
	.exec = sq_exec,
	.query_int64 = sq_query_int64,
	.apply_begin = sq_apply_begin,
	.apply_end = sq_apply_end,
	.script_prologue = sq_script_prologue,
	.script_epilogue = sq_script_epilogue,
	.backup = &dbs_sq_backup_ops,
	.lock_wait_set = sq_lock_wait_set,
	.lock_wait_restore = sq_lock_wait_restore,
};
