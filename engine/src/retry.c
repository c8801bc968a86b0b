/*
 * Transient failures: which errors are worth another attempt (by SQLSTATE and
 * error number only, never by message text), how long to wait, and how each
 * backend gets its connection back and bounds its lock waits.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "ctx.h"
#include "dialect.h"
#include "retry.h"

#ifdef DBSYNC_HAVE_SQLITE
#include "backend_sqlite.h"
#endif
#ifdef DBSYNC_HAVE_POSTGRES
#include "backend_postgres.h"
#endif
#ifdef DBSYNC_HAVE_MYSQL
#include "backend_mysql.h"
#endif

/* Numbers fixed by each product's documentation, so they need no client headers. */
enum {
	SQ_BUSY = 5, SQ_LOCKED = 6,
	MY_LOCK_WAIT_TIMEOUT = 1205, MY_LOCK_DEADLOCK = 1213,
	MY_SERVER_GONE = 2006, MY_SERVER_LOST = 2013
};

static int state_is(const char *sqlstate, const char *want)
{
	return sqlstate && strcmp(sqlstate, want) == 0;
}

int dbsync_error_is_transient(dbsync_dialect dialect, const char *sqlstate, int native_code)
{
	switch (dialect) {
	case DBSYNC_DIALECT_SQLITE:
		/* the extended code's low byte is the primary result code */
		return (native_code & 0xff) == SQ_BUSY || (native_code & 0xff) == SQ_LOCKED;
	case DBSYNC_DIALECT_POSTGRES:
		return state_is(sqlstate, "40P01") || state_is(sqlstate, "55P03") ||
			state_is(sqlstate, "40001") || (sqlstate && strncmp(sqlstate, "08", 2) == 0);
	case DBSYNC_DIALECT_MYSQL:
		return native_code == MY_LOCK_DEADLOCK || native_code == MY_LOCK_WAIT_TIMEOUT ||
			native_code == MY_SERVER_GONE || native_code == MY_SERVER_LOST ||
			state_is(sqlstate, "40001");
	}
	return 0;
}

/* Whether the backend's own handle says the connection is gone: libpq's
 * status, Connector/C's error number. */
static int connection_lost(dbsync_conn *conn, const dbsync_error *err)
{
	switch (conn->dialect) {
#ifdef DBSYNC_HAVE_POSTGRES
	case DBSYNC_DIALECT_POSTGRES:
		return PQstatus(dbs_pg_handle(conn)) == CONNECTION_BAD ||
			(err->sqlstate[0] && strncmp(err->sqlstate, "08", 2) == 0);
#endif
#ifdef DBSYNC_HAVE_MYSQL
	case DBSYNC_DIALECT_MYSQL:
		return err->native_code == MY_SERVER_GONE || err->native_code == MY_SERVER_LOST;
#endif
	default:
		return 0;
	}
}

dbs_retry_kind dbs_retry_classify(dbsync_conn *conn, const dbsync_error *err)
{
	if (!err->code)
		return DBS_RETRY_NO;
	if (connection_lost(conn, err))
		return DBS_RETRY_RECONNECT;
	return dbsync_error_is_transient(conn->dialect, err->sqlstate, err->native_code)
		? DBS_RETRY_AGAIN : DBS_RETRY_NO;
}

/* ---- backoff ---- */

double dbs_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

void dbs_backoff_init(dbs_backoff *b, unsigned base_ms, unsigned max_ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	b->state = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)(uintptr_t)b;
	b->base_ms = base_ms;
	b->max_ms = max_ms < base_ms ? base_ms : max_ms;
}

unsigned dbs_backoff_delay_ms(dbs_backoff *b, int retry)
{
	uint64_t d = b->base_ms;
	for (int i = 1; i < retry && d < b->max_ms; i++)
		d *= 2;
	if (d > b->max_ms)
		d = b->max_ms;
	uint64_t half = d / 2;
	return (unsigned)(d - half + (half ? splitmix(&b->state) % (half + 1) : 0));
}

void dbs_sleep_ms(unsigned ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---- reconnecting ---- */

#ifdef DBSYNC_HAVE_POSTGRES
/* PQreset reconnects with the parameters libpq kept from the first connect
 * (password included, in its memory only); the session's search_path, set
 * at connect to put the synced schema first, is set again. */
static int pg_reconnect(dbsync_ctx *ctx, dbsync_conn *conn)
{
	dbs_pg_conn *pc = conn->impl;
	PQreset(pc->pg);
	if (PQstatus(pc->pg) != CONNECTION_OK)
		return dbs_error(ctx, DBSYNC_ECONNECT, "lost the connection to %s and could not reconnect",
			conn->describe);
	dbs_buf b = DBS_BUF_INIT;
	dbs_buf_puts(&b, "SELECT pg_catalog.set_config('search_path', pg_catalog.quote_ident(");
	dbs_quote_literal(&b, DBSYNC_DIALECT_POSTGRES, pc->schema);
	dbs_buf_puts(&b, ") || CASE WHEN pg_catalog.current_setting('search_path') = '' THEN '' "
		"ELSE ', ' || pg_catalog.current_setting('search_path') END, false)");
	if (!dbs_buf_ok(&b)) {
		dbs_buf_free(&b);
		return dbs_error_oom(ctx);
	}
	int rc = 0;
	PGresult *res = PQexec(pc->pg, dbs_buf_cstr(&b));
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = dbs_pg_error(ctx, conn, res, "restoring search_path after reconnecting");
	PQclear(res);
	dbs_buf_free(&b);
	return rc;
}
#endif

#ifdef DBSYNC_HAVE_MYSQL
/* Connector/C reconnects with the host, credentials, database and options it
 * kept from mysql_real_connect, but only when reconnecting is switched on;
 * it is switched on just for this, so no statement ever silently reconnects. */
static int my_reconnect(dbsync_ctx *ctx, dbsync_conn *conn)
{
	MYSQL *db = dbs_my_db(conn);
	my_bool on = 1, off = 0;
	mysql_optionsv(db, MYSQL_OPT_RECONNECT, &on);
	my_bool failed = mariadb_reconnect(db);
	mysql_optionsv(db, MYSQL_OPT_RECONNECT, &off);
	if (failed)
		return dbs_error_db(ctx, DBSYNC_ECONNECT, NULL, (int)mysql_errno(db),
			"lost the connection to %s and could not reconnect: %s", conn->describe, mysql_error(db));
	return 0;
}
#endif

int dbs_reconnect(dbsync_ctx *ctx, dbsync_conn *conn)
{
	switch (conn->dialect) {
#ifdef DBSYNC_HAVE_POSTGRES
	case DBSYNC_DIALECT_POSTGRES: return pg_reconnect(ctx, conn);
#endif
#ifdef DBSYNC_HAVE_MYSQL
	case DBSYNC_DIALECT_MYSQL: return my_reconnect(ctx, conn);
#endif
	default:
		return dbs_error(ctx, DBSYNC_ECONNECT, "the %s backend cannot reconnect",
			dbsync_dialect_name(conn->dialect));
	}
}

uint64_t dbs_session_id(dbsync_conn *conn)
{
#ifdef DBSYNC_HAVE_MYSQL
	if (conn->dialect == DBSYNC_DIALECT_MYSQL)
		return mysql_thread_id(dbs_my_db(conn));
#endif
	(void)conn;
	return 0;
}

int dbs_wait_session_gone(dbsync_ctx *ctx, dbsync_conn *conn, uint64_t old_id, unsigned max_ms)
{
	if (!old_id || conn->dialect != DBSYNC_DIALECT_MYSQL)
		return 0;
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = %" PRIu64, old_id);
	double until = dbs_now_ms() + max_ms;
	for (;;) {
		int64_t n = 0;
		int rc = conn->backend->query_int64(&n, ctx, conn, sql);
		if (rc)
			return rc;
		if (n == 0)
			return 0;
		if (dbs_now_ms() >= until)
			return dbs_error(ctx, DBSYNC_ERROR, "the server is still running the statement of the lost "
				"session %" PRIu64 " after %u s: its outcome is not known yet", old_id, max_ms / 1000);
		dbs_sleep_ms(100);
	}
}

int dbs_retake_apply_lock(dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_plan *plan)
{
#ifdef DBSYNC_HAVE_MYSQL
	if (conn->dialect == DBSYNC_DIALECT_MYSQL)
		((dbs_my_conn *)conn->impl)->locked = false;
#endif
	return conn->backend->apply_begin(ctx, conn, plan);
}

/* ---- lock waits ---- */

int dbs_lock_wait_before(dbsync_ctx *ctx, dbsync_conn *conn, unsigned ms, dbs_lock_wait *lw)
{
	lw->changed = 0;
	if (!ms)
		return 0;
	switch (conn->dialect) {
#ifdef DBSYNC_HAVE_SQLITE
	case DBSYNC_DIALECT_SQLITE: {
		dbs_sq_conn *sc = conn->impl;
		lw->saved = sc->timeout_ms;
		sc->timeout_ms = ms > (unsigned)INT32_MAX ? INT32_MAX : (int)ms;
		sqlite3_busy_timeout(sc->db, sc->timeout_ms);
		lw->changed = 1;
		return 0;
	}
#endif
#ifdef DBSYNC_HAVE_MYSQL
	case DBSYNC_DIALECT_MYSQL: {
		int rc = conn->backend->query_int64(&lw->saved, ctx, conn, "SELECT @@SESSION.lock_wait_timeout");
		if (rc)
			return rc;
		char sql[64];
		/* whole seconds only; rounding up so a small value never means "no wait" */
		snprintf(sql, sizeof sql, "SET SESSION lock_wait_timeout = %u", (ms + 999) / 1000);
		if ((rc = conn->backend->exec(ctx, conn, sql)))
			return rc;
		lw->changed = 1;
		return 0;
	}
#endif
	default:
		return 0;
	}
}

int dbs_lock_wait_in_tx(dbsync_ctx *ctx, dbsync_conn *conn, unsigned ms)
{
	if (!ms || conn->dialect != DBSYNC_DIALECT_POSTGRES)
		return 0;
	char sql[64];
	/* LOCAL: it ends with the transaction, the session keeps its own */
	snprintf(sql, sizeof sql, "SET LOCAL lock_timeout = %u", ms);
	return conn->backend->exec(ctx, conn, sql);
}

void dbs_lock_wait_after(dbsync_conn *conn, dbs_lock_wait *lw)
{
	if (!lw->changed)
		return;
	lw->changed = 0;
	switch (conn->dialect) {
#ifdef DBSYNC_HAVE_SQLITE
	case DBSYNC_DIALECT_SQLITE: {
		dbs_sq_conn *sc = conn->impl;
		sc->timeout_ms = (int)lw->saved;
		sqlite3_busy_timeout(sc->db, sc->timeout_ms);
		break;
	}
#endif
#ifdef DBSYNC_HAVE_MYSQL
	case DBSYNC_DIALECT_MYSQL: {
		/* the error of the apply is the one to keep: this one goes to a scratch ctx */
		dbsync_ctx *scratch = NULL;
		char sql[64];
		snprintf(sql, sizeof sql, "SET SESSION lock_wait_timeout = %" PRId64, lw->saved);
		if (dbsync_ctx_new(&scratch) == 0) {
			conn->backend->exec(scratch, conn, sql);
			dbsync_ctx_free(scratch);
		}
		break;
	}
#endif
	default:
		break;
	}
}
