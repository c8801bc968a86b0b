/*
 * A fleet's hand-run script (dbsync/fleet.h): each member's plan script
 * after a comment naming the member and, where the plan's script does not
 * select its namespace itself, the statement that makes a session sync it
 * (the dialect table's use_namespace_sql), so a person can run the whole
 * fleet's dry run in one client session.
 */
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "buf.h"
#include "ctx.h"
#include "dialect.h"
#include "fleet_internal.h"
#include "plan_internal.h"

const char *dbsync_dialect_namespace_word(dbsync_dialect dialect)
{
	const dbs_dialect_info *info = dbs_dialect_info_for(dialect);
	const dbs_backend *be = dbs_backend_for(dialect);
	return info && be && be->namespaces ? info->namespace_word : NULL;
}

/* The comment line naming the member: quoted as an identifier, with any
 * control character shown as '?' so no line break can end the comment and
 * turn the rest of a name into a statement. */
static void comment_line(dbs_buf *b, const dbs_dialect_info *info, const char *name)
{
	dbs_buf tmp = DBS_BUF_INIT;
	dbs_quote_ident(&tmp, info->dialect, name);
	dbs_buf_printf(b, "-- %s ", info->namespace_word);
	for (const char *p = dbs_buf_cstr(&tmp); *p; p++)
		dbs_buf_putc(b, (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p);
	if (!dbs_buf_ok(&tmp))
		b->oom = true;
	dbs_buf_putc(b, '\n');
	dbs_buf_free(&tmp);
}

int dbsync_fleet_member_script(char **out, dbsync_ctx *ctx, const dbsync_fleet *fleet, size_t i)
{
	*out = NULL;
	if (!fleet || i >= fleet->n)
		return dbs_error(ctx, DBSYNC_EINVALID, "dbsync_fleet_member_script: no member %zu", i);
	const dbsync_plan *plan = fleet->members[i].plan;
	if (!plan || !dbsync_plan_pending_count(plan)) {
		*out = calloc(1, 1);
		return *out ? 0 : dbs_error_oom(ctx);
	}
	const dbs_dialect_info *info = dbs_dialect_info_for(plan->dialect);
	if (!info || !dbsync_dialect_namespace_word(plan->dialect))
		return dbs_error(ctx, DBSYNC_EUNSUPPORTED, "%s has no schemas or databases to switch to \"%s\"",
			info ? info->name : "this dialect", fleet->names[i]);
	char *script = NULL;
	int rc = dbsync_plan_script(&script, ctx, plan);
	if (rc)
		return rc;
	dbs_buf name = DBS_BUF_INIT, b = DBS_BUF_INIT;
	dbs_quote_ident(&name, info->dialect, fleet->names[i]);
	if (info->use_namespace_literal && dbs_buf_ok(&name)) {
		dbs_buf lit = DBS_BUF_INIT;
		dbs_quote_literal(&lit, info->dialect, dbs_buf_cstr(&name));
		dbs_buf_free(&name);
		name = lit;
	}
	comment_line(&b, info, fleet->names[i]);
	/* the format's one "%s" is the name; the rest is written as it is */
	const char *fmt = info->use_namespace_sql, *at = fmt ? strstr(fmt, "%s") : NULL;
	if (fmt) {
		dbs_buf_put(&b, fmt, at ? (size_t)(at - fmt) : strlen(fmt));
		if (at) {
			dbs_buf_puts(&b, dbs_buf_cstr(&name));
			dbs_buf_puts(&b, at + 2);
		}
		dbs_buf_puts(&b, ";\n");
	}
	dbs_buf_puts(&b, script);
	dbsync_free(script);
	bool ok = dbs_buf_ok(&name) && dbs_buf_ok(&b);
	dbs_buf_free(&name);
	if (!ok || !(*out = dbs_buf_detach(&b))) {
		dbs_buf_free(&b);
		return dbs_error_oom(ctx);
	}
	return 0;
}
