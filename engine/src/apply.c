/*
 * Applying a plan: the backend frames it (lock, transaction, SQLite's foreign
 * key pragmas), apply runs the pending operations in order, then optionally
 * plans again to prove nothing is left.
 */
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "buf.h"
#include "ctx.h"
#include "plan_internal.h"

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

int dbsync_plan_apply(dbsync_ctx *ctx, dbsync_conn *conn, dbsync_plan *plan, const dbsync_apply_options *opts)
{
	dbsync_apply_options defaults = DBSYNC_APPLY_OPTIONS_INIT;
	if (!opts)
		opts = &defaults;
	if (opts->version != DBSYNC_APPLY_OPTIONS_VERSION)
		return dbs_error(ctx, DBSYNC_EINVALID, "dbsync_apply_options version %u is not supported",
			opts->version);
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
	if (opts->verify && !plan->desired)
		return dbs_error(ctx, DBSYNC_EINVALID, "cannot verify: the plan has no desired schema");
	const dbs_backend *be = conn->backend;
	int rc = be->apply_begin(ctx, conn, plan);
	if (rc)
		return rc;
	/* Under the sync lock now: a plan made before another run changed the
	 * database would fail halfway, or do the wrong thing. Read the catalog
	 * again and refuse a plan computed for another state. */
	dbsync_schema *now = NULL;
	if ((rc = dbsync_conn_introspect(&now, ctx, conn))) {
		be->apply_end(ctx, conn, plan, 0);
		return rc;
	}
	uint64_t fp = dbs_schema_fingerprint(now);
	dbsync_schema_free(now);
	if (fp != plan->live_fingerprint) {
		be->apply_end(ctx, conn, plan, 0);
		return dbs_error(ctx, DBSYNC_ESTALE, "the schema of %s changed after this plan was computed "
			"(another dbsync run, or someone else, changed it meanwhile): nothing was applied; plan again",
			dbsync_conn_describe(conn));
	}
	/* Where DDL is transactional the run is all or nothing, so ops become
	 * APPLIED only after the commit; where each DDL statement commits itself,
	 * an op is APPLIED as soon as it ran, because a rollback will not undo it. */
	size_t n_run = 0;
	dbsync_op **run = malloc((plan->ops.n + 1) * sizeof *run);
	if (!run) {
		be->apply_end(ctx, conn, plan, 0);
		return dbs_error_oom(ctx);
	}
	for (size_t i = 0; i < plan->ops.n; i++) {
		dbsync_op *op = plan->ops.items[i];
		if (op->status != DBSYNC_STATUS_PENDING)
			continue;
		for (size_t j = 0; j < op->n_sql && !rc; j++)
			rc = be->exec(ctx, conn, op->sql[j]);
		if (rc) {
			/* the ops after it stay PENDING, and so do the ones before it
			 * unless their DDL committed itself */
			op->status = DBSYNC_STATUS_FAILED;
			dbs_error_prefix(ctx, "while applying \"%s\"", op->summary ? op->summary : "?");
			be->apply_end(ctx, conn, plan, 0);
			free(run);
			return rc;
		}
		if (be->ddl_autocommits)
			op->status = DBSYNC_STATUS_APPLIED;
		else
			run[n_run++] = op;
	}
	rc = be->apply_end(ctx, conn, plan, 1);
	for (size_t i = 0; !rc && i < n_run; i++)
		run[i]->status = DBSYNC_STATUS_APPLIED;
	free(run);
	if (rc) {
		/* deferred foreign keys and SQLite's foreign_key_check speak only now */
		dbs_error_prefix(ctx, "while committing the plan");
		return rc;
	}
	return opts->verify ? verify(ctx, conn, plan) : 0;
}
