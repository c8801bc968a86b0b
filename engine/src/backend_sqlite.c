/* STUB: replaced by the SQLite backend work. */
#include "backend.h"
#include "ctx.h"
static int sq_open(dbsync_conn *conn, dbsync_ctx *ctx, const dbs_params *params)
{ (void)conn; (void)params; return dbs_error(ctx, DBSYNC_EUNSUPPORTED, "sqlite backend not implemented"); }
static void sq_close(dbsync_conn *conn) { (void)conn; }
const dbs_backend dbs_backend_sqlite = { .dialect = DBSYNC_DIALECT_SQLITE, .open = sq_open, .close = sq_close };
