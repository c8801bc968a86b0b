/* STUB: replaced by the planner work. */
#include "render.h"
#include "ctx.h"
int dbs_render_create_table(dbs_buf *out, dbsync_dialect d, const dbs_table *t) { (void)out; (void)d; (void)t; return -1; }
int dbs_render_create_index(dbs_buf *out, dbsync_dialect d, const dbs_table *t, const dbs_index *ix) { (void)out; (void)d; (void)t; (void)ix; return -1; }
int dbs_render_column_def(dbs_buf *out, dbsync_dialect d, const dbs_table *t, const dbs_column *c) { (void)out; (void)d; (void)t; (void)c; return -1; }
int dbsync_schema_to_sql(char **out, dbsync_ctx *ctx, const dbsync_schema *schema)
{ (void)schema; *out = NULL; return dbs_error(ctx, DBSYNC_EUNSUPPORTED, "renderer not implemented"); }
