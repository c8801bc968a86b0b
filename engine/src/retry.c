/*
 * Transient failures: which errors are worth another attempt (the dialect's
 * lists of SQLSTATEs and error numbers, never message text), how long to
 * wait, and the loop's calls into the backend to get its connection back and
 * bound its lock waits. What each backend does is in its own folder.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "ctx.h"
#include "dialect.h"
#include "retry.h"

/* Whether sqlstate is on the list: a two-character entry is a whole class. */
static bool state_listed(const char *sqlstate, const char *const *list)
{
	if (!sqlstate || !*sqlstate)
		return false;
	for (size_t i = 0; list && list[i]; i++)
		if (strlen(list[i]) == 2 ? strncmp(sqlstate, list[i], 2) == 0 : strcmp(sqlstate, list[i]) == 0)
			return true;
	return false;
}

static bool code_listed(const dbs_dialect_info *info, int native_code, const int *list)
{
	int code = info->native_code_mask ? native_code & info->native_code_mask : native_code;
	for (size_t i = 0; list && list[i]; i++)
		if (code == list[i])
			return true;
	return false;
}

int dbsync_error_is_transient(dbsync_dialect dialect, const char *sqlstate, int native_code)
{
	const dbs_dialect_info *info = dbs_dialect_info_for(dialect);
	return info && (state_listed(sqlstate, info->transient_sqlstates) ||
		code_listed(info, native_code, info->transient_native_codes));
}

/* Whether the connection is gone: by the error, or by the client library's
 * own handle. */
static bool connection_lost(dbsync_conn *conn, const dbsync_error *err)
{
	const dbs_dialect_info *info = dbs_dialect_info_for(conn->dialect);
	if (conn->backend->connection_broken && conn->backend->connection_broken(conn))
		return true;
	return info && (state_listed(err->sqlstate, info->lost_sqlstates) ||
		code_listed(info, err->native_code, info->lost_native_codes));
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

int dbs_reconnect(dbsync_ctx *ctx, dbsync_conn *conn)
{
	if (!conn->backend->reconnect)
		return dbs_error(ctx, DBSYNC_ECONNECT, "the %s backend cannot reconnect",
			dbsync_dialect_name(conn->dialect));
	return conn->backend->reconnect(ctx, conn);
}

uint64_t dbs_session_id(dbsync_conn *conn)
{
	return conn->backend->session_id ? conn->backend->session_id(conn) : 0;
}

int dbs_wait_session_gone(dbsync_ctx *ctx, dbsync_conn *conn, uint64_t old_id, unsigned max_ms)
{
	if (!old_id || !conn->backend->session_running)
		return 0;
	double until = dbs_now_ms() + max_ms;
	for (;;) {
		bool running = false;
		int rc = conn->backend->session_running(&running, ctx, conn, old_id);
		if (rc)
			return rc;
		if (!running)
			return 0;
		if (dbs_now_ms() >= until)
			return dbs_error(ctx, DBSYNC_ERROR, "the server is still running the statement of the lost "
				"session %" PRIu64 " after %u s: its outcome is not known yet", old_id, max_ms / 1000);
		dbs_sleep_ms(100);
	}
}

int dbs_retake_apply_lock(dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_plan *plan)
{
	if (conn->backend->retake_lock)
		return conn->backend->retake_lock(ctx, conn, plan);
	return conn->backend->apply_begin(ctx, conn, plan);
}

/* ---- lock waits ---- */

int dbs_lock_wait_before(dbsync_ctx *ctx, dbsync_conn *conn, unsigned ms, dbs_lock_wait *lw)
{
	lw->changed = 0;
	if (!ms || !conn->backend->lock_wait_set)
		return 0;
	int rc = conn->backend->lock_wait_set(ctx, conn, ms, &lw->saved);
	if (!rc)
		lw->changed = 1;
	return rc;
}

int dbs_lock_wait_in_tx(dbsync_ctx *ctx, dbsync_conn *conn, unsigned ms)
{
	if (!ms || !conn->backend->lock_wait_in_tx)
		return 0;
	return conn->backend->lock_wait_in_tx(ctx, conn, ms);
}

void dbs_lock_wait_after(dbsync_conn *conn, dbs_lock_wait *lw)
{
	if (!lw->changed)
		return;
	lw->changed = 0;
	if (conn->backend->lock_wait_restore)
		conn->backend->lock_wait_restore(conn, lw->saved);
}
