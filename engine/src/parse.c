/* STUB: replaced by the parser work. */
#include "parse.h"
#include "ctx.h"
#include <stdlib.h>
int dbs_parse_into(dbsync_schema *s, dbsync_ctx *ctx, const char *sql, size_t len)
{ (void)s; (void)sql; (void)len; return dbs_error(ctx, DBSYNC_EUNSUPPORTED, "parser not implemented"); }
const char *dbs_expr_canon(dbs_arena *a, dbsync_dialect d, const char *text, size_t len)
{ (void)d; return dbs_arena_strndup(a, text, len); }
const char *dbs_type_canon(dbs_arena *a, dbsync_dialect d, const char *text, size_t len)
{ (void)d; return dbs_arena_strndup(a, text, len); }
int dbsync_schema_parse(dbsync_schema **out, dbsync_ctx *ctx, dbsync_dialect dialect, const char *sql, size_t len)
{
	*out = dbs_schema_new(dialect);
	if (!*out) return dbs_error_oom(ctx);
	int rc = dbs_parse_into(*out, ctx, sql, len);
	if (rc) { dbsync_schema_free(*out); *out = NULL; }
	return rc;
}
