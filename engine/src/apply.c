/* STUB: replaced by the SQLite backend work. */
#include "plan_internal.h"
#include "backend.h"
#include "ctx.h"
int dbsync_plan_apply(dbsync_ctx *ctx, dbsync_conn *conn, dbsync_plan *plan, const dbsync_apply_options *opts)
{ (void)conn; (void)plan; (void)opts; return dbs_error(ctx, DBSYNC_EUNSUPPORTED, "apply not implemented"); }
int dbsync_plan_script(char **out, dbsync_ctx *ctx, const dbsync_plan *plan)
{ (void)plan; *out = NULL; return dbs_error(ctx, DBSYNC_EUNSUPPORTED, "script not implemented"); }
