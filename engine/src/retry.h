/*
 * What apply.c needs to retry transient failures: telling them apart by
 * SQLSTATE / error number, backing off, reconnecting a lost connection, and
 * the per-apply lock wait of each backend. The lists of transient errors
 * are dialect data (dialect.h), the rest backend slots (backend.h); retry.c
 * holds only what is the same for all of them.
 */
#ifndef DBS_RETRY_H
#define DBS_RETRY_H

#include <stdint.h>

#include "backend.h"

/* What to do about the error on ctx. */
typedef enum dbs_retry_kind {
	DBS_RETRY_NO = 0,        /* permanent: report it */
	DBS_RETRY_AGAIN = 1,     /* transient: back off and run it again */
	DBS_RETRY_RECONNECT = 2  /* the connection is gone: reconnect, then run it again */
} dbs_retry_kind;

dbs_retry_kind dbs_retry_classify(dbsync_conn *conn, const dbsync_error *err);

/* A PRNG per apply call (no global state): seeded from the clock and the
 * address of the state itself. */
typedef struct dbs_backoff {
	uint64_t state;
	unsigned base_ms, max_ms;
} dbs_backoff;

void dbs_backoff_init(dbs_backoff *b, unsigned base_ms, unsigned max_ms);
/* The delay before retry number `retry` (1-based): base * 2^(retry-1),
 * capped at max, then a random point in its upper half so that two runs
 * that failed together do not retry together. */
unsigned dbs_backoff_delay_ms(dbs_backoff *b, int retry);
void dbs_sleep_ms(unsigned ms);
/* Milliseconds from a monotonic clock. */
double dbs_now_ms(void);

/* Reconnect a lost connection with the parameters it was opened with and
 * restore the session state the backend set up at connect. 0, or an error
 * on ctx (DBSYNC_ECONNECT when the backend cannot reconnect). */
int dbs_reconnect(dbsync_ctx *ctx, dbsync_conn *conn);

/* Per-apply lock wait (dbsync_apply_options.lock_timeout_ms; 0 = leave it).
 * _before runs before apply_begin (the backend's lock_wait_set: SQLite's busy
 * timeout, MySQL's session variable, the old value kept in lw->saved),
 * _in_tx right after it (lock_wait_in_tx: PostgreSQL's SET LOCAL), _after
 * restores what _before changed and never fails. */
typedef struct dbs_lock_wait {
	int64_t saved;
	int changed;
} dbs_lock_wait;

int dbs_lock_wait_before(dbsync_ctx *ctx, dbsync_conn *conn, unsigned ms, dbs_lock_wait *lw);
int dbs_lock_wait_in_tx(dbsync_ctx *ctx, dbsync_conn *conn, unsigned ms);
void dbs_lock_wait_after(dbsync_conn *conn, dbs_lock_wait *lw);

/* The server's id of the connection's session (MySQL's connection id), 0
 * where the backend has none to offer. Read it before the connection is lost:
 * a reconnect gives a new one. */
uint64_t dbs_session_id(dbsync_conn *conn);

/* After a reconnect: wait until the server has ended session `old_id` (a
 * statement it was running may still be finishing), at most `max_ms`. 0 when
 * it is gone (or the backend has no sessions to wait for), DBSYNC_ETIMEOUT
 * style DBSYNC_ERROR on ctx when it still runs. */
int dbs_wait_session_gone(dbsync_ctx *ctx, dbsync_conn *conn, uint64_t old_id, unsigned max_ms);

/* After a reconnect in the middle of an apply where each statement commits
 * itself (MySQL): the session lost the dbsync lock with the connection; take
 * it again. */
int dbs_retake_apply_lock(dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_plan *plan);

#endif
