/*
 * The one rule for filling existing rows of a column that becomes NOT NULL,
 * used by every dialect's planner (see plan_fill.h).
 */
#include "plan_fill.h"

#include <inttypes.h>
#include <string.h>

#include "ctx.h"
#include "dialect.h"
#include "diff.h"
#include "plan_shared.h"

/* List the deferred fill once, however many operations wait for it. */
static int list_fill(dbs_planner *p, const char *table, const char *column)
{
	dbsync_plan *plan = p->plan;
	for (size_t i = 0; i < plan->fills.n; i++)
		if (strcmp(plan->fills.items[i].table, table) == 0 && strcmp(plan->fills.items[i].column, column) == 0)
			return 0;
	dbsync_fill f = {
		.table = dbs_arena_strdup(&plan->arena, table),
		.column = dbs_arena_strdup(&plan->arena, column),
		.model = dbs_metadata_model(p->md, table),
		.field = dbs_metadata_field(p->md, table, column),
	};
	if (f.model && !(f.model = dbs_arena_strdup(&plan->arena, f.model)))
		return dbs_error_oom(p->ctx);
	if (f.field && !(f.field = dbs_arena_strdup(&plan->arena, f.field)))
		return dbs_error_oom(p->ctx);
	if (!f.table || !f.column || DBS_VEC_PUSH(&plan->arena, &plan->fills, f))
		return dbs_error_oom(p->ctx);
	return 0;
}

int dbs_fill_for(dbs_planner *p, const char *table, const char *column, dbs_fill_kind *kind,
	const char **out)
{
	dbs_buf b = DBS_BUF_INIT;
	*kind = DBS_FILL_NONE;
	*out = NULL;
	int r = dbs_metadata_default_sql(&b, p->md, p->plan->dialect, table, column);
	if (r < 0 || !dbs_buf_ok(&b)) {
		dbs_buf_free(&b);
		return dbs_error_oom(p->ctx);
	}
	/* a default of None fills nothing: the column would still hold NULLs */
	if (r == 1 && strcmp(dbs_buf_cstr(&b), "NULL") != 0) {
		*out = dbs_arena_strdup(&p->plan->arena, dbs_buf_cstr(&b));
		*kind = DBS_FILL_VALUE;
	}
	dbs_buf_free(&b);
	if (*kind == DBS_FILL_VALUE)
		return *out ? 0 : dbs_error_oom(p->ctx);
	if (r == 0 && dbs_metadata_default_deferred(p->md, table, column)) {
		/* braces are no SQL in any dialect: a script run by hand stops here */
		const char *model = dbs_metadata_model(p->md, table);
		const char *field = dbs_metadata_field(p->md, table, column);
		if (model && field)
			*out = dbs_arena_printf(&p->plan->arena, "{default of %s.%s}", model, field);
		else
			*out = dbs_arena_printf(&p->plan->arena, "{default of %s.%s}", table, column);
		*kind = DBS_FILL_DEFERRED;
		if (!*out)
			return dbs_error_oom(p->ctx);
		return list_fill(p, table, column);
	}
	return 0;
}

bool dbs_column_needs_fill(dbsync_dialect d, const dbs_table *t, const dbs_column *c)
{
	return c->not_null && !c->default_expr && !c->generated_expr && !c->identity && !c->autoincrement &&
		!dbs_is_rowid_alias(d, t, c);
}

bool dbs_column_nulls_to_fill(dbsync_dialect d, const dbs_table *t, const dbs_column *c)
{
	return !c->generated_expr && !dbs_is_rowid_alias(d, t, c);
}

int dbs_not_null_fill(dbs_planner *p, const char *table, const dbs_column *c, dbs_fill_kind *kind,
	const char **out)
{
	const dbs_dialect_info *info = dbs_dialect_info_for(p->plan->dialect);
	*kind = DBS_FILL_VALUE;
	*out = NULL;
	if (c->default_expr) {
		bool oom = false;
		*out = info->default_fill(&p->plan->arena, c->default_expr, &oom);
		if (oom)
			return dbs_error_oom(p->ctx);
		if (*out)
			return 0;
	}
	return dbs_fill_for(p, table, c->name, kind, out);
}

const char *dbs_fill_refusal(dbs_planner *p, const char *live_table, const char *table, const char *column,
	int64_t n, bool nulls)
{
	const char *ref = dbs_planner_field_ref(p, table, column);
	const char *s = dbs_plural(n);
	if (nulls)
		return dbs_arena_printf(&p->plan->arena, "column \"%s\" of \"%s\"%s has %" PRId64 " NULL value%s and "
			"no default to fill them: give the field a default or keep it nullable", column, live_table, ref, n, s);
	return dbs_arena_printf(&p->plan->arena, "column \"%s\" of \"%s\"%s is NOT NULL without a default and \"%s\" "
		"has %" PRId64 " row%s: give the field a default or make it nullable", column, live_table, ref,
		live_table, n, s);
}
