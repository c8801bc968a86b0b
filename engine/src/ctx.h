/* Errors recorded on a dbsync_ctx. Every setter returns the code it recorded,
 * so `return dbs_error(ctx, DBSYNC_EINVALID, "...")` reads naturally. */
#ifndef DBS_CTX_H
#define DBS_CTX_H

#include "dbsync/common.h"

struct dbsync_ctx {
	dbsync_error err;
	char *message; /* owned; err.message points here */
};

int dbs_error(dbsync_ctx *ctx, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A database error: sqlstate may be NULL, native is the backend's error number. */
int dbs_error_db(dbsync_ctx *ctx, int code, const char *sqlstate, int native, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* A parse error at line/column (1-based). */
int dbs_error_parse(dbsync_ctx *ctx, int line, int column, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Put `fmt` (with args) in front of the current message: "while applying X: <old>". */
void dbs_error_prefix(dbsync_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int dbs_error_oom(dbsync_ctx *ctx);

#endif
