/*
 * Applying a plan: the backend frames it (lock, transaction, SQLite's foreign
 * key pragmas), apply runs the pending operations in order, timing each and
 * retrying transient failures (retry.c says which), then optionally plans
 * again to prove nothing is left.
 *
 * Where DDL is transactional (SQLite, PostgreSQL) a transient failure rolls
 * the whole transaction back, so the whole transaction is what is retried,
 * and each operation's `attempts` counts the transaction attempts. Where each
 * DDL statement commits itself (MySQL), the failed statement is retried on
 * its own, and `attempts` counts that operation's runs.
 */
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "buf.h"
#include "ctx.h"
#include "options.h"
#include "dialect.h"
#include "plan_internal.h"
#include "retry.h"

static const dbs_backend *plan_backend(dbsync_ctx *ctx, const dbsync_plan *plan)
{
	const dbs_backend *be = dbs_backend_for(plan->dialect);
	if (!be)
		dbs_error(ctx, DBSYNC_EUNSUPPORTED, "the %s backend was not compiled into libdbsync",
			dbsync_dialect_name(plan->dialect) ? dbsync_dialect_name(plan->dialect) : "unknown");
	return be;
}

int dbsync_plan_script(char **out, dbsync_ctx *ctx, const dbsync_plan *plan)
{
	*out = NULL;
	dbs_buf b = DBS_BUF_INIT;
	if (dbsync_plan_pending_count(plan) == 0) {
		*out = calloc(1, 1);
		return *out ? 0 : dbs_error_oom(ctx);
	}
	const dbs_backend *be = plan_backend(ctx, plan);
	if (!be)
		return dbsync_ctx_error(ctx)->code;
	be->script_prologue(&b, plan);
	for (size_t i = 0; i < plan->ops.n; i++) {
		const dbsync_op *op = plan->ops.items[i];
		if (op->status != DBSYNC_STATUS_PENDING)
			continue;
		for (size_t j = 0; j < op->n_sql; j++) {
			dbs_buf_puts(&b, op->sql[j]);
			dbs_buf_puts(&b, ";\n");
		}
	}
	be->script_epilogue(&b, plan);
	if (!dbs_buf_ok(&b) || !(*out = dbs_buf_detach(&b))) {
		dbs_buf_free(&b);
		return dbs_error_oom(ctx);
	}
	return 0;
}

/* Plan again against the same desired schema; anything still pending means
 * the apply did not do what the plan said. */
static int verify(dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_plan *plan)
{
	dbsync_plan *again = NULL;
	int rc = dbsync_plan_compute(&again, ctx, conn, plan->desired, &plan->opts);
	if (rc) {
		dbs_error_prefix(ctx, "while verifying the applied plan");
		return rc;
	}
	size_t left = dbsync_plan_pending_count(again);
	if (left) {
		dbs_buf b = DBS_BUF_INIT;
		dbs_buf_printf(&b, "after applying, the database still differs: %zu operation%s pending:",
			left, left == 1 ? "" : "s");
		for (size_t i = 0, k = 0; i < again->ops.n; i++) {
			const dbsync_op *op = again->ops.items[i];
			if (op->status == DBSYNC_STATUS_PENDING)
				dbs_buf_printf(&b, "%s %s", k++ ? ";" : "", op->summary ? op->summary : "?");
		}
		rc = dbs_buf_ok(&b) ? dbs_error(ctx, DBSYNC_EVERIFY, "%s", dbs_buf_cstr(&b)) : dbs_error_oom(ctx);
		dbs_buf_free(&b);
	}
	dbsync_plan_free(again);
	return rc;
}

/* How long a lost session's statement may still run on the server before
 * apply gives up telling whether it was applied. */
#define SETTLE_WAIT_MS 600000u

typedef struct apply_run {
	dbsync_ctx *ctx;
	dbsync_conn *conn;
	dbsync_plan *plan;
	const dbsync_apply_options *opts;
	const dbs_backend *be;
	dbsync_op **ops;   /* the operations pending when apply began, in order */
	size_t n;
	dbs_backoff backoff;
	dbs_lock_wait lock_wait;
	bool cancelled;
} apply_run;

static void record_error(apply_run *r, dbsync_op *op)
{
	const dbsync_error *e = dbsync_ctx_error(r->ctx);
	op->error = dbs_arena_strdup(&r->plan->arena, e->message ? e->message : "");
	memcpy(op->error_sqlstate, e->sqlstate, sizeof op->error_sqlstate);
	op->error_sqlstate[sizeof op->error_sqlstate - 1] = '\0';
	op->error_native = e->native_code;
}

static int progress(apply_run *r, size_t i, const dbsync_op *op, int finished)
{
	if (!r->opts->progress)
		return 0;
	if (r->opts->progress(r->opts->progress_user, finished ? i + 1 : i, r->n, op, finished) == 0)
		return 0;
	r->cancelled = true;
	return dbs_error(r->ctx, DBSYNC_ERROR, "cancelled by the progress callback %s \"%s\"; %s",
		finished ? "after" : "before", op->summary ? op->summary : "?",
		r->be->ddl_autocommits ? "the operations before it stay applied" : "nothing was changed");
}

/* Under the sync lock: a plan made before another run changed the database
 * would fail halfway, or do the wrong thing. Read the catalog again and
 * refuse a plan computed for another state. */
static int check_fresh(apply_run *r)
{
	dbsync_schema *now = NULL;
	int rc = dbsync_conn_introspect(&now, r->ctx, r->conn);
	if (rc)
		return rc;
	uint64_t fp = dbs_schema_fingerprint(now);
	dbsync_schema_free(now);
	if (fp != r->plan->live_fingerprint)
		return dbs_error(r->ctx, DBSYNC_ESTALE, "the schema of %s changed after this plan was computed "
			"(another dbsync run, or someone else, changed it meanwhile): nothing was applied; plan again",
			dbsync_conn_describe(r->conn));
	return 0;
}

static void failed(apply_run *r, dbsync_op *op)
{
	op->status = DBSYNC_STATUS_FAILED;
	record_error(r, op);
	dbs_error_prefix(r->ctx, "while applying \"%s\"", op->summary ? op->summary : "?");
}

/* One attempt of the whole transaction; ops become APPLIED only after the
 * commit, since a rollback undoes them all. */
static int transaction_attempt(apply_run *r, int attempt)
{
	int rc = r->be->apply_begin(r->ctx, r->conn, r->plan);
	if (rc)
		return rc;
	if ((rc = dbs_lock_wait_in_tx(r->ctx, r->conn, r->opts->lock_timeout_ms)) || (rc = check_fresh(r))) {
		r->be->apply_end(r->ctx, r->conn, r->plan, 0);
		return rc;
	}
	for (size_t i = 0; i < r->n; i++) {
		dbsync_op *op = r->ops[i];
		if ((rc = progress(r, i, op, 0)))
			break;
		op->attempts = attempt;
		double t0 = dbs_now_ms();
		for (size_t j = 0; j < op->n_sql && !rc; j++)
			rc = r->be->exec(r->ctx, r->conn, op->sql[j]);
		op->elapsed_ms = dbs_now_ms() - t0;
		if (rc) {
			failed(r, op);
			break;
		}
		if ((rc = progress(r, i, op, 1)))
			break;
	}
	if (rc) {
		r->be->apply_end(r->ctx, r->conn, r->plan, 0);
		return rc;
	}
	if ((rc = r->be->apply_end(r->ctx, r->conn, r->plan, 1))) {
		/* deferred foreign keys and SQLite's foreign_key_check speak only now */
		dbs_error_prefix(r->ctx, "while committing the plan");
		return rc;
	}
	for (size_t i = 0; i < r->n; i++)
		r->ops[i]->status = DBSYNC_STATUS_APPLIED;
	return 0;
}

/* Whether to try again after the error on ctx, reconnecting first when the
 * connection is gone; `retry` is the number of the retry to come. */
static bool should_retry(apply_run *r, int retry)
{
	if (r->cancelled || retry > r->opts->max_retries)
		return false;
	dbs_retry_kind kind = dbs_retry_classify(r->conn, dbsync_ctx_error(r->ctx));
	if (kind == DBS_RETRY_NO)
		return false;
	dbs_sleep_ms(dbs_backoff_delay_ms(&r->backoff, retry));
	if (kind == DBS_RETRY_RECONNECT) {
		/* a failed reconnect is reported after the error that caused it */
		dbsync_ctx *scratch = NULL;
		if (dbsync_ctx_new(&scratch))
			return false;
		int rc = dbs_reconnect(scratch, r->conn);
		if (rc)
			dbs_error_prefix(r->ctx, "%s; then", dbsync_ctx_error(scratch)->message);
		dbsync_ctx_free(scratch);
		if (rc)
			return false;
	}
	return true;
}

static int apply_transactional(apply_run *r)
{
	for (int attempt = 1;; attempt++) {
		for (size_t i = 0; i < r->n; i++)
			r->ops[i]->status = DBSYNC_STATUS_PENDING;
		dbsync_ctx_clear_error(r->ctx);
		int rc = transaction_attempt(r, attempt);
		if (!rc || !should_retry(r, attempt))
			return rc;
	}
}

/* Where each statement commits itself (MySQL): after a lost connection the
 * session's lock and lock wait are gone too. */
static int resume_session(apply_run *r)
{
	int rc = dbs_retake_apply_lock(r->ctx, r->conn, r->plan);
	if (!rc) {
		dbs_lock_wait saved = r->lock_wait;
		rc = dbs_lock_wait_before(r->ctx, r->conn, r->opts->lock_timeout_ms, &r->lock_wait);
		if (saved.changed)
			r->lock_wait.saved = saved.saved;
	}
	return rc;
}

/* Whether fresh operation `o` works on what `op` does: the same table and object. */
static bool same_work(dbsync_dialect d, const dbsync_op *o, const dbsync_op *op)
{
	if (!dbs_name_eq(d, o->table, op->table))
		return false;
	return op->object ? o->object && dbs_name_eq(d, o->object, op->object) : !o->object && o->kind == op->kind;
}

/* Whether the fresh plan still has something pending for what `op` does. */
static bool still_pending(const dbsync_plan *fresh, dbsync_dialect d, const dbsync_op *op)
{
	for (size_t i = 0; i < fresh->ops.n; i++) {
		const dbsync_op *o = fresh->ops.items[i];
		if (o->status == DBSYNC_STATUS_PENDING && same_work(d, o, op))
			return true;
	}
	return false;
}

/*
 * The connection was lost while `op` ran its last statement, and the server
 * may have finished it anyway (DDL commits on the server, not when the client
 * hears of it). Reconnect, wait until the old session has ended, read the
 * catalog again by planning anew, and tell in *applied. An error (on r->ctx,
 * with the one that caused it) when that cannot be known.
 */
/*
 * After a lost connection: reconnect, wait until the server has ended the old
 * session (its last statement finished or rolled back), then plan anew from
 * the catalog into *fresh. Errors go on *scratch (a context of its own, so the
 * run's error stays what caused the loss); the caller frees both. When no
 * context can be made, *scratch stays NULL and the error is on r->ctx.
 */
static int replan_after_loss(apply_run *r, uint64_t old_session, dbsync_ctx **scratch, dbsync_plan **fresh)
{
	*fresh = NULL;
	if (dbsync_ctx_new(scratch))
		return dbs_error_oom(r->ctx);
	int rc = dbs_reconnect(*scratch, r->conn);
	if (!rc)
		rc = dbs_wait_session_gone(*scratch, r->conn, old_session, SETTLE_WAIT_MS);
	if (!rc)
		rc = dbsync_plan_compute(fresh, *scratch, r->conn, r->plan->desired, &r->plan->opts);
	return rc;
}

static int settle_lost(apply_run *r, const dbsync_op *op, uint64_t old_session, bool *applied)
{
	dbsync_ctx *scratch = NULL;
	dbsync_plan *fresh = NULL;
	int rc = replan_after_loss(r, old_session, &scratch, &fresh);
	if (!scratch)
		return rc;
	if (rc) {
		dbs_error_prefix(r->ctx, "whether it was applied is not known (%s)", dbsync_ctx_error(scratch)->message);
		rc = dbsync_ctx_error(r->ctx)->code ? dbsync_ctx_error(r->ctx)->code : DBSYNC_ECONNECT;
	} else {
		*applied = !still_pending(fresh, r->plan->dialect, op);
	}
	dbsync_plan_free(fresh);
	dbsync_ctx_free(scratch);
	return rc;
}

/*
 * The connection was lost while `op` ran statement j, not its last one: the
 * server may have finished that statement, and MySQL commits each, so the op
 * may be half done. The statement alone cannot tell, but the catalog tells
 * what is left: plan anew, and the fresh plan's operations on the same table
 * and object are the rest of `op`, whichever statement the server got to.
 * None left: *applied. Some, all pending, and a retry allowed: they run now,
 * in place of the old statements, and then *applied. Else an error (on r->ctx,
 * after the one that caused it) that names what the catalog shows is left.
 */
static int settle_midway(apply_run *r, dbsync_op *op, size_t j, uint64_t old_session, int retry, bool *applied)
{
	dbsync_dialect d = r->plan->dialect;
	dbsync_ctx *scratch = NULL;
	dbsync_plan *fresh = NULL;
	dbs_buf left = DBS_BUF_INIT;
	bool runnable = !r->cancelled && retry <= r->opts->max_retries;
	*applied = false;
	int rc = replan_after_loss(r, old_session, &scratch, &fresh);
	if (!scratch)
		return rc;
	if (rc) {
		dbs_error_prefix(r->ctx, "statement %zu of %zu; how much of it was applied is not known (%s)", j + 1,
			op->n_sql, dbsync_ctx_error(scratch)->message);
		goto failed;
	}
	for (size_t i = 0; i < fresh->ops.n; i++) {
		const dbsync_op *o = fresh->ops.items[i];
		if (!same_work(d, o, op))
			continue;
		dbs_buf_printf(&left, "%s%s%s", left.len ? "; " : "", o->summary,
			o->status == DBSYNC_STATUS_PENDING ? "" : " (refused or skipped now)");
		runnable = runnable && o->status == DBSYNC_STATUS_PENDING;
	}
	if (!dbs_buf_ok(&left)) {
		rc = dbs_error_oom(r->ctx);
		goto done;
	}
	if (left.len && !runnable) {
		dbs_error_prefix(r->ctx, "statement %zu of %zu; after reconnecting, the catalog shows this much of it is "
			"left: %s", j + 1, op->n_sql, dbs_buf_cstr(&left));
		goto failed;
	}
	if (left.len)
		dbs_sleep_ms(dbs_backoff_delay_ms(&r->backoff, retry));
	if ((rc = resume_session(r)))
		goto done;
	dbsync_ctx_clear_error(r->ctx);
	if (left.len)
		op->attempts++;
	for (size_t i = 0; i < fresh->ops.n && !rc; i++) {
		const dbsync_op *o = fresh->ops.items[i];
		for (size_t k = 0; same_work(d, o, op) && k < o->n_sql && !rc; k++)
			rc = r->be->exec(r->ctx, r->conn, o->sql[k]);
	}
	if (rc)
		dbs_error_prefix(r->ctx, "finishing what the catalog showed was left after a lost connection");
	*applied = !rc;
	goto done;
failed:
	rc = dbsync_ctx_error(r->ctx)->code ? dbsync_ctx_error(r->ctx)->code : DBSYNC_ECONNECT;
done:
	dbs_buf_free(&left);
	dbsync_plan_free(fresh);
	dbsync_ctx_free(scratch);
	return rc;
}

static int run_statement(apply_run *r, dbsync_op *op, size_t j, double *t0, bool *rest_done)
{
	const char *sql = op->sql[j];
	for (int retry = 1;; retry++) {
		uint64_t session = dbs_session_id(r->conn);
		int rc = r->be->exec(r->ctx, r->conn, sql);
		if (!rc)
			return 0;
		bool lost = dbs_retry_classify(r->conn, dbsync_ctx_error(r->ctx)) == DBS_RETRY_RECONNECT;
		/* the error stays on the op: it is what a retry got past */
		record_error(r, op);
		if (lost && r->plan->desired && j + 1 < op->n_sql) {
			/* lost midway: the catalog says what is left of the op */
			bool applied = false;
			if ((rc = settle_midway(r, op, j, session, retry, &applied)))
				return rc;
			*rest_done = applied;
			return 0;
		}
		if (lost && r->plan->desired) {
			/* its last statement: the catalog shows whether the op is done */
			bool applied = false;
			int settled = settle_lost(r, op, session, &applied);
			if (settled)
				return settled;
			if (applied) {
				dbsync_ctx_clear_error(r->ctx);
				/* the server finished it: applied, the lost connection noted on the op */
				return resume_session(r);
			}
			dbs_error_prefix(r->ctx, "after reconnecting, the catalog shows it was not applied");
			if (r->cancelled || retry > r->opts->max_retries)
				return rc;
			/* reconnected already: only the backoff is left before running it again */
			dbs_sleep_ms(dbs_backoff_delay_ms(&r->backoff, retry));
			if ((rc = resume_session(r)))
				return rc;
			dbsync_ctx_clear_error(r->ctx);
			op->attempts++;
			*t0 = dbs_now_ms();
			continue;
		}
		if (!should_retry(r, retry))
			return rc;
		if (lost && (rc = resume_session(r)))
			return rc;
		dbsync_ctx_clear_error(r->ctx);
		op->attempts++;
		*t0 = dbs_now_ms();
	}
}

/* Each DDL statement commits itself: an op is APPLIED as soon as it ran,
 * because a rollback will not undo it, and a retry repeats only the failed
 * statement. */
static int apply_autocommit(apply_run *r)
{
	int rc = r->be->apply_begin(r->ctx, r->conn, r->plan);
	if (rc)
		return rc;
	if ((rc = check_fresh(r))) {
		r->be->apply_end(r->ctx, r->conn, r->plan, 0);
		return rc;
	}
	for (size_t i = 0; i < r->n && !rc; i++) {
		dbsync_op *op = r->ops[i];
		if ((rc = progress(r, i, op, 0)))
			break;
		op->attempts = 1;
		double t0 = dbs_now_ms();
		bool rest_done = false;
		for (size_t j = 0; j < op->n_sql && !rc && !rest_done; j++)
			rc = run_statement(r, op, j, &t0, &rest_done);
		op->elapsed_ms = dbs_now_ms() - t0;
		if (rc) {
			failed(r, op);
			break;
		}
		op->status = DBSYNC_STATUS_APPLIED;
		rc = progress(r, i, op, 1);
	}
	if (rc) {
		r->be->apply_end(r->ctx, r->conn, r->plan, 0);
		return rc;
	}
	return r->be->apply_end(r->ctx, r->conn, r->plan, 1);
}

int dbsync_plan_apply(dbsync_ctx *ctx, dbsync_conn *conn, dbsync_plan *plan, const dbsync_apply_options *opts)
{
	dbsync_apply_options current;
	int rc = dbs_apply_options_read(&current, ctx, opts);
	if (rc)
		return rc;
	opts = &current;
	if (opts->max_retries < 0)
		return dbs_error(ctx, DBSYNC_EINVALID, "max_retries must be 0 or more, not %d", opts->max_retries);
	if (conn->dialect != plan->dialect)
		return dbs_error(ctx, DBSYNC_EINVALID, "a %s plan cannot be applied to a %s database",
			dbsync_dialect_name(plan->dialect), dbsync_dialect_name(conn->dialect));
	/* nothing to do: not even a BEGIN, so a locked database is no obstacle */
	if (dbsync_plan_pending_count(plan) == 0)
		return 0;
	if (conn->readonly)
		return dbs_error(ctx, DBSYNC_EINVALID,
			"%s was opened read-only (for a dry run or a check): it cannot apply a plan",
			dbsync_conn_describe(conn));
	if (plan->fills.n) {
		const dbsync_fill *f = &plan->fills.items[0];
		return dbs_error(ctx, DBSYNC_EINVALID, "the plan waits for the default of %s%s%s (column \"%s\" of \"%s\")"
			"%s: plan again with the value as the column's \"default\" in the metadata",
			f->model ? f->model : f->table, ".", f->field ? f->field : f->column, f->column, f->table,
			plan->fills.n > 1 ? " and others" : "");
	}
	if (opts->verify && !plan->desired)
		return dbs_error(ctx, DBSYNC_EINVALID, "cannot verify: the plan has no desired schema");
	apply_run r = { .ctx = ctx, .conn = conn, .plan = plan, .opts = opts, .be = conn->backend };
	r.ops = malloc(plan->ops.n * sizeof *r.ops);
	if (!r.ops)
		return dbs_error_oom(ctx);
	for (size_t i = 0; i < plan->ops.n; i++) {
		dbsync_op *op = plan->ops.items[i];
		if (op->status != DBSYNC_STATUS_PENDING)
			continue;
		op->attempts = 0;
		op->elapsed_ms = 0;
		op->error = NULL;
		op->error_sqlstate[0] = '\0';
		op->error_native = 0;
		r.ops[r.n++] = op;
	}
	dbs_backoff_init(&r.backoff, opts->retry_base_ms, opts->retry_max_ms);
	rc = dbs_lock_wait_before(ctx, conn, opts->lock_timeout_ms, &r.lock_wait);
	if (!rc)
		rc = r.be->ddl_autocommits ? apply_autocommit(&r) : apply_transactional(&r);
	dbs_lock_wait_after(conn, &r.lock_wait);
	free(r.ops);
	if (rc)
		return rc;
	return opts->verify ? verify(ctx, conn, plan) : 0;
}
