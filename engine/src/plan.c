/* STUB: replaced by the planner work. */
#include "plan_internal.h"
#include "ctx.h"
#include <stdlib.h>
int dbsync_plan_compute(dbsync_plan **out, dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_schema *desired, const dbsync_plan_options *opts)
{ (void)conn; (void)desired; (void)opts; *out = NULL; return dbs_error(ctx, DBSYNC_EUNSUPPORTED, "planner not implemented"); }
size_t dbsync_plan_op_count(const dbsync_plan *plan) { return plan->ops.n; }
const dbsync_op *dbsync_plan_op(const dbsync_plan *plan, size_t i) { return i < plan->ops.n ? plan->ops.items[i] : NULL; }
size_t dbsync_plan_pending_count(const dbsync_plan *plan) { size_t n = 0; for (size_t i = 0; i < plan->ops.n; i++) n += plan->ops.items[i]->status == DBSYNC_STATUS_PENDING; return n; }
void dbsync_plan_free(dbsync_plan *plan) { if (!plan) return; dbs_arena_free(&plan->arena); free(plan); }
const char *dbsync_op_kind_name(dbsync_op_kind kind) { (void)kind; return "?"; }
const char *dbsync_risk_name(dbsync_risk risk) { (void)risk; return "?"; }
const char *dbsync_status_name(dbsync_op_status status) { (void)status; return "?"; }
