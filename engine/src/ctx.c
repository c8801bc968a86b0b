#include "ctx.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *vformat(const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return NULL;
	char *s = malloc((size_t)n + 1);
	if (s)
		vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

static const char oom_message[] = "out of memory";

static void set_message(dbsync_ctx *ctx, char *msg)
{
	free(ctx->message);
	ctx->message = msg;
	ctx->err.message = msg ? msg : oom_message;
}

static void reset(dbsync_ctx *ctx, int code)
{
	ctx->err.code = code;
	ctx->err.sqlstate[0] = '\0';
	ctx->err.native_code = 0;
	ctx->err.line = 0;
	ctx->err.column = 0;
}

int dbs_error(dbsync_ctx *ctx, int code, const char *fmt, ...)
{
	if (!ctx)
		return code;
	va_list ap;
	va_start(ap, fmt);
	char *msg = vformat(fmt, ap);
	va_end(ap);
	reset(ctx, code);
	set_message(ctx, msg);
	return code;
}

int dbs_error_db(dbsync_ctx *ctx, int code, const char *sqlstate, int native, const char *fmt, ...)
{
	if (!ctx)
		return code;
	va_list ap;
	va_start(ap, fmt);
	char *msg = vformat(fmt, ap);
	va_end(ap);
	reset(ctx, code);
	if (sqlstate) {
		strncpy(ctx->err.sqlstate, sqlstate, 5);
		ctx->err.sqlstate[5] = '\0';
	}
	ctx->err.native_code = native;
	set_message(ctx, msg);
	return code;
}

int dbs_error_parse(dbsync_ctx *ctx, int line, int column, const char *fmt, ...)
{
	if (!ctx)
		return DBSYNC_EPARSE;
	va_list ap;
	va_start(ap, fmt);
	char *msg = vformat(fmt, ap);
	va_end(ap);
	reset(ctx, DBSYNC_EPARSE);
	ctx->err.line = line;
	ctx->err.column = column;
	set_message(ctx, msg);
	return DBSYNC_EPARSE;
}

void dbs_error_prefix(dbsync_ctx *ctx, const char *fmt, ...)
{
	if (!ctx || !ctx->err.code)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *pre = vformat(fmt, ap);
	va_end(ap);
	if (!pre)
		return;
	size_t n = strlen(pre) + 2 + strlen(ctx->err.message) + 1;
	char *msg = malloc(n);
	if (msg) {
		snprintf(msg, n, "%s: %s", pre, ctx->err.message);
		set_message(ctx, msg);
	}
	free(pre);
}

int dbs_error_oom(dbsync_ctx *ctx)
{
	if (ctx) {
		reset(ctx, DBSYNC_ENOMEM);
		set_message(ctx, NULL);
	}
	return DBSYNC_ENOMEM;
}

int dbsync_ctx_new(dbsync_ctx **out)
{
	*out = calloc(1, sizeof **out);
	if (!*out)
		return DBSYNC_ENOMEM;
	(*out)->err.message = "";
	return 0;
}

void dbsync_ctx_free(dbsync_ctx *ctx)
{
	if (!ctx)
		return;
	free(ctx->message);
	free(ctx);
}

const dbsync_error *dbsync_ctx_error(const dbsync_ctx *ctx)
{
	return &ctx->err;
}

void dbsync_ctx_clear_error(dbsync_ctx *ctx)
{
	reset(ctx, 0);
	free(ctx->message);
	ctx->message = NULL;
	ctx->err.message = "";
}

void dbsync_free(void *ptr)
{
	free(ptr);
}
