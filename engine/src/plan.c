/*
 * dbsync_plan_compute: introspect, diff, then hand the per-table changes to the
 * dialect's planner. Operations are collected per stage and concatenated at the
 * end, so a planner can emit them in whatever order it discovers them.
 */
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "options.h"
#include "dialect.h"
#include "plan_build.h"
#include "plan_drop.h" /* inspect: orphaned tables */
#include "plan_rename.h"
#include "plan_counts.h"
#include "plan_unmanaged.h"
#include "plan_isolate.h"
#include "render.h"
#include "topo.h"

dbs_op_build *dbs_planner_op(dbs_planner *p, int stage, dbsync_op_kind kind, dbsync_risk risk,
	const char *table, const char *object)
{
	dbs_arena *a = &p->plan->arena;
	dbs_op_build *b = dbs_arena_alloc(a, sizeof *b);
	if (!b)
		return NULL;
	b->op.kind = kind;
	b->op.risk = risk;
	b->op.status = DBSYNC_STATUS_PENDING;
	b->op.affected = -1;
	b->op.table = dbs_arena_strdup(a, table);
	b->op.object = dbs_arena_strdup(a, object);
	if ((table && !b->op.table) || (object && !b->op.object))
		return NULL;
	b->stage = stage;
	if (dbs_planner_index_op(p, b))
		return NULL;
	if (DBS_VEC_PUSH(a, &p->stages[stage], b)) {
		dbs_planner_take_back(b);
		return NULL;
	}
	return b;
}

int dbs_op_sql(dbs_planner *p, dbs_op_build *op, const char *sql)
{
	const char *s = dbs_arena_strdup(&p->plan->arena, sql);
	if (!s || DBS_VEC_PUSH(&p->plan->arena, &op->sql, s))
		return dbs_error_oom(p->ctx);
	op->op.sql = op->sql.items;
	op->op.n_sql = op->sql.n;
	return 0;
}

int dbs_op_summary(dbs_planner *p, dbs_op_build *op, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	op->op.summary = dbs_arena_vprintf(&p->plan->arena, fmt, ap);
	va_end(ap);
	return op->op.summary ? 0 : dbs_error_oom(p->ctx);
}

int dbs_op_detail(dbs_planner *p, dbs_op_build *op, const char *text)
{
	op->op.detail = dbs_arena_strdup(&p->plan->arena, text);
	return op->op.detail ? 0 : dbs_error_oom(p->ctx);
}

int dbs_op_reason(dbs_planner *p, dbs_op_build *op, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	op->op.reason = dbs_arena_vprintf(&p->plan->arena, fmt, ap);
	va_end(ap);
	return op->op.reason ? 0 : dbs_error_oom(p->ctx);
}

int dbs_op_skip(dbs_planner *p, dbs_op_build *op, const char *reason)
{
	op->op.status = DBSYNC_STATUS_SKIPPED;
	return dbs_op_reason(p, op, "%s", reason);
}

const char *dbs_planner_label(dbs_planner *p, const char *table, const char *column)
{
	const char *label;
	if (column)
		label = dbs_metadata_field_label(&p->tmp, p->md, table, column);
	else
		label = dbs_metadata_model(p->md, table);
	if (!label)
		return "";
	const char *s = dbs_arena_printf(&p->plan->arena, " (%s)", label);
	return s ? s : "";
}

int dbs_plan_create_tables(dbs_planner *p)
{
	int rc = 0;
	size_t n = 0;
	const dbs_table **order = malloc((p->diff.tables.n + 1) * sizeof *order);
	dbs_buf sql = DBS_BUF_INIT;
	if (!order)
		return dbs_error_oom(p->ctx);
	for (size_t i = 0; i < p->diff.tables.n; i++)
		if (!p->diff.tables.items[i]->live)
			order[n++] = p->diff.tables.items[i]->want;
	/* SQLite does not check foreign keys at CREATE, so a cycle needs no split */
	if (dbs_topo_order_tables(p->want->dialect, order, n)) {
		rc = dbs_error_oom(p->ctx);
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		const dbs_table *t = order[i];
		dbs_op_build *op = dbs_planner_op(p, DBS_STAGE_CREATE_TABLE, DBSYNC_OP_CREATE_TABLE,
			DBSYNC_RISK_SAFE, t->name, NULL);
		if (!op) {
			rc = dbs_error_oom(p->ctx);
			goto cleanup;
		}
		if ((rc = dbs_op_summary(p, op, "create table `%s`%s", t->name, dbs_planner_label(p, t->name, NULL))))
			goto cleanup;
		dbs_buf_clear(&sql);
		dbs_render_create_table(&sql, p->want->dialect, t);
		if ((rc = dbs_op_sql(p, op, dbs_buf_cstr(&sql))))
			goto cleanup;
		for (size_t j = 0; j < t->indexes.n; j++) {
			dbs_buf_clear(&sql);
			dbs_render_create_index(&sql, p->want->dialect, t, t->indexes.items[j]);
			if ((rc = dbs_op_sql(p, op, dbs_buf_cstr(&sql))))
				goto cleanup;
		}
		if (!dbs_buf_ok(&sql)) {
			rc = dbs_error_oom(p->ctx);
			goto cleanup;
		}
		if (!p->plan->opts.create_tables && (rc = dbs_op_skip(p, op, "AUTO_CREATE_TABLES is off")))
			goto cleanup;
	}
cleanup:
	free(order);
	dbs_buf_free(&sql);
	return rc;
}

/* The caller's name lists are borrowed for the call only: keep copies in the plan. */
static const char *const *copy_names(dbs_arena *a, const char *const *names, size_t n, bool *oom)
{
	if (!n)
		return NULL;
	const char **out = dbs_arena_alloc(a, n * sizeof *out);
	if (!out) {
		*oom = true;
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (names[i] && !(out[i] = dbs_arena_strdup(a, names[i])))
			*oom = true;
	return out;
}

static int copy_options(dbsync_plan *plan, dbsync_ctx *ctx, const dbsync_plan_options *opts)
{
	dbsync_plan_options current;
	int rc = dbs_plan_options_read(&current, ctx, opts);
	if (rc)
		return rc;
	opts = &current;
	plan->opts = *opts;
	if (opts->metadata_json) {
		plan->opts.metadata_json = dbs_arena_strdup(&plan->arena, opts->metadata_json);
		if (!plan->opts.metadata_json)
			return dbs_error_oom(ctx);
	}
	bool oom = false;
	plan->opts.approved_renames = copy_names(&plan->arena, opts->approved_renames,
		opts->n_approved_renames, &oom);
	plan->opts.drop_tables = copy_names(&plan->arena, opts->drop_tables, opts->n_drop_tables, &oom);
	return oom ? dbs_error_oom(ctx) : 0;
}

static int collect_stages(dbs_planner *p)
{
	for (int s = 0; s < DBS_STAGE_COUNT; s++)
		for (size_t i = 0; i < p->stages[s].n; i++) {
			dbs_op_build *b = p->stages[s].items[i];
			if (DBS_VEC_PUSH(&p->plan->arena, &p->plan->ops, &b->op))
				return dbs_error_oom(p->ctx);
			if (b->op.kind == DBSYNC_OP_REBUILD_TABLE && b->op.status == DBSYNC_STATUS_PENDING)
				p->plan->foreign_keys_off = true;
		}
	return 0;
}

/*
 * Mark in only[] (desired's order) the desired tables the parser's canonical
 * forms find missing or different in `live`, adding to *n_only; *lost when a
 * difference cannot be placed (never guess: normalize everything then).
 * A fleet marks the tables that differ in any member, for its one shadow.
 */
int dbs_plan_mark_differing(dbsync_ctx *ctx, const dbsync_schema *live, const dbsync_schema *desired,
	bool *only, size_t *n_only, bool *lost)
{
	dbs_diff pre = { 0 };
	int rc = dbs_diff_schemas(&pre, ctx, live, desired);
	for (size_t i = 0, j = 0; !rc && !*lost && i < pre.tables.n; i++) {
		/* diff records come in desired's order */
		while (j < desired->tables.n && desired->tables.items[j] != pre.tables.items[i]->want)
			j++;
		if (j < desired->tables.n) {
			if (!only[j])
				(*n_only)++;
			only[j] = true;
		} else {
			*lost = true;
		}
	}
	dbs_diff_free(&pre);
	return rc;
}

/*
 * The server's spelling of the desired tables, where the backend has a shadow.
 * Only the tables the parser's canonical forms find missing or different go
 * through it (where the backend can take a subset): a table the parser already
 * finds equal to its live counterpart is taken as parsed, so a database in
 * sync costs no shadow round trip at all. The shadow exists to avoid false
 * differences; the canonical forms never make two definitions equal that the
 * server tells apart, so skipping it for equal tables cannot hide one.
 * *out stays NULL when the desired schema is used as parsed. A fleet calls
 * this once with every member's live schema (fleet.c).
 */
int dbs_plan_normalize_for(dbsync_schema **out, dbsync_ctx *ctx, dbsync_conn *conn,
	const dbsync_schema *desired, const dbsync_schema *const *lives, size_t n_lives)
{
	const dbs_backend *be = conn->backend;
	*out = NULL;
	if (!be->normalize_desired)
		return 0;
	if (!be->normalize_desired_some)
		return be->normalize_desired(out, ctx, conn, desired);
	bool *only = calloc(desired->tables.n + 1, sizeof *only);
	size_t n_only = 0;
	bool lost = false;
	int rc = only ? 0 : dbs_error_oom(ctx);
	for (size_t i = 0; !rc && !lost && i < n_lives; i++)
		if (lives[i])
			rc = dbs_plan_mark_differing(ctx, lives[i], desired, only, &n_only, &lost);
	if (!rc && lost)
		rc = be->normalize_desired(out, ctx, conn, desired);
	else if (!rc && n_only)
		rc = be->normalize_desired_some(out, ctx, conn, desired, only);
	free(only);
	return rc;
}

/* The parser reads [schema.]name and SET search_path without knowing the
 * schema synced: a desired schema naming another one is refused here, so an
 * object it names there is never silently made (or looked for) in this one. */
static int check_qualifiers(dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_schema *desired)
{
	const char *synced = conn->backend->synced_namespace ? conn->backend->synced_namespace(conn) : NULL;
	if (!synced)
		return 0;
	const dbs_dialect_info *info = dbs_dialect_info_for(conn->dialect);
	const char *word = info->namespace_word;
	for (size_t i = 0; i < desired->qualifiers.n; i++) {
		const dbs_qualifier *q = &desired->qualifiers.items[i];
		if (strcmp(q->schema, synced) != 0)
			return dbs_error(ctx, DBSYNC_EINVALID, "line %d of the desired schema names %s \"%s\", but %s "
				"syncs %s \"%s\": a desired schema describes only the %s synced; write its names "
				"unqualified or qualified with \"%s\"%s", q->line, word, q->schema, conn->describe, word,
				synced, word, synced, info->namespace_hint);
	}
	return 0;
}

int dbsync_plan_compute(dbsync_plan **out, dbsync_ctx *ctx, dbsync_conn *conn,
	const dbsync_schema *desired, const dbsync_plan_options *opts)
{
	*out = NULL;
	if (!conn || !desired)
		return dbs_error(ctx, DBSYNC_EINVALID, "dbsync_plan_compute needs a connection and a desired schema");
	int rc = dbs_plan_check_target(ctx, conn, desired);
	dbsync_schema *live = NULL;
	if (rc || (rc = dbsync_conn_introspect(&live, ctx, conn)))
		return rc;
	return dbs_plan_compute_from(out, ctx, conn, desired, live, NULL, opts);
}

int dbs_plan_check_target(dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_schema *desired)
{
	if (desired->dialect != conn->dialect)
		return dbs_error(ctx, DBSYNC_EINVALID, "the desired schema is %s but the database is %s",
			dbsync_dialect_name(desired->dialect), dbsync_dialect_name(conn->dialect));
	return check_qualifiers(ctx, conn, desired);
}

int dbs_plan_compute_from(dbsync_plan **out, dbsync_ctx *ctx, dbsync_conn *conn,
	const dbsync_schema *desired, dbsync_schema *live, const dbsync_schema *want,
	const dbsync_plan_options *opts)
{
	int rc = 0;
	dbs_planner p = { 0 };
	dbsync_schema *normalized = NULL;
	*out = NULL;
	p.live = live;
	p.ctx = ctx;
	p.conn = conn;
	p.want = desired;
	dbs_buf_init(&p.tmp);
	dbs_arena_init(&p.diff.arena);
	p.plan = calloc(1, sizeof *p.plan);
	if (!p.plan) {
		dbsync_schema_free(live);
		return dbs_error_oom(ctx);
	}
	dbs_arena_init(&p.plan->arena);
	p.plan->dialect = desired->dialect;
	p.plan->desired = desired;
	const char *nsp = conn->backend->synced_namespace ? conn->backend->synced_namespace(conn) : NULL;
	if (nsp && !(p.plan->namespace_name = dbs_arena_strdup(&p.plan->arena, nsp)))
		rc = dbs_error_oom(ctx);
	if (rc || (rc = copy_options(p.plan, ctx, opts)))
		goto cleanup;
	if ((rc = dbs_metadata_parse(&p.md, ctx, p.plan->opts.metadata_json)))
		goto cleanup;
	p.plan->live_fingerprint = dbs_schema_fingerprint(p.live);
	/* The server spells the desired side the way it will read it back; the
	 * plan keeps the parsed schema, so verify normalizes it again. A fleet
	 * passes the spelling it made once for every member. */
	if (want) {
		p.want = want;
	} else {
		const dbsync_schema *lives[] = { p.live };
		if ((rc = dbs_plan_normalize_for(&normalized, ctx, conn, desired, lives, 1)))
			goto cleanup;
		if (normalized)
			p.want = normalized;
	}
	/* renames: table renames first; the live tables are renamed in memory for the diff */
	if ((rc = dbs_plan_renames(&p)))
		goto cleanup;
	/* unmanaged: what no model could declare is kept (or, drop_unmanaged, listed for dropping) */
	if ((rc = dbs_plan_unmanaged(&p)))
		goto cleanup;
	if ((rc = dbs_diff_schemas(&p.diff, ctx, p.live, p.want)))
		goto cleanup;
	/* tables the engine could not read are skipped, named in the plan */
	if ((rc = dbs_plan_skip_unreadable(&p)))
		goto cleanup;
	/* the dialect's planner: every change of the diff into the stages */
	const dbs_dialect_info *info = dbs_dialect_info_for(desired->dialect);
	if (info && info->plan)
		rc = info->plan(&p);
	else
		rc = dbs_error(ctx, DBSYNC_EUNSUPPORTED, "planning changes for %s is not implemented yet",
			dbsync_dialect_name(desired->dialect));
	/* renames: skip what waits for a declined or refused rename; frame SQLite renames */
	if (!rc)
		rc = dbs_plan_renames_finish(&p);
	/* inspect: orphaned tables the caller chose to drop */
	/* before the orphan drops: a kept foreign key still references its table */
	if (!rc)
		rc = dbs_plan_keep_extra(&p);
	if (!rc)
		rc = dbs_plan_drop_tables(&p);
	if (rc || (rc = collect_stages(&p)))
		goto cleanup;
	/* reports: data-loss counts, once every stage holds its operations */
	if ((rc = dbs_plan_count_data_loss(&p)) || (rc = dbs_plan_unmanaged_risks(&p)))
		goto cleanup;
	if (!dbs_buf_ok(&p.tmp)) {
		rc = dbs_error_oom(ctx);
		goto cleanup;
	}
	*out = p.plan;
	p.plan = NULL;
cleanup:
	dbsync_plan_free(p.plan);
	dbs_diff_free(&p.diff);
	dbs_metadata_free(p.md);
	dbsync_schema_free(p.live);
	dbsync_schema_free(normalized);
	dbsync_schema_free(p.kept);
	dbs_buf_free(&p.tmp);
	dbs_planner_index_free(&p);
	return rc;
}

size_t dbsync_plan_op_count(const dbsync_plan *plan)
{
	return plan ? plan->ops.n : 0;
}

const dbsync_op *dbsync_plan_op(const dbsync_plan *plan, size_t i)
{
	return plan && i < plan->ops.n ? plan->ops.items[i] : NULL;
}

size_t dbsync_plan_fill_count(const dbsync_plan *plan)
{
	return plan ? plan->fills.n : 0;
}

const dbsync_fill *dbsync_plan_fill(const dbsync_plan *plan, size_t i)
{
	return plan && i < plan->fills.n ? &plan->fills.items[i] : NULL;
}

size_t dbsync_plan_pending_count(const dbsync_plan *plan)
{
	size_t n = 0;
	for (size_t i = 0; plan && i < plan->ops.n; i++)
		n += plan->ops.items[i]->status == DBSYNC_STATUS_PENDING;
	return n;
}

void dbsync_plan_free(dbsync_plan *plan)
{
	if (!plan)
		return;
	dbs_arena_free(&plan->arena);
	free(plan);
}

const char *dbsync_op_kind_name(dbsync_op_kind kind)
{
	switch (kind) {
	case DBSYNC_OP_CREATE_TABLE: return "create_table";
	case DBSYNC_OP_DROP_TABLE: return "drop_table";
	case DBSYNC_OP_RENAME_TABLE: return "rename_table";
	case DBSYNC_OP_REBUILD_TABLE: return "rebuild_table";
	case DBSYNC_OP_ADD_COLUMN: return "add_column";
	case DBSYNC_OP_DROP_COLUMN: return "drop_column";
	case DBSYNC_OP_ALTER_COLUMN: return "alter_column";
	case DBSYNC_OP_RENAME_COLUMN: return "rename_column";
	case DBSYNC_OP_ADD_CONSTRAINT: return "add_constraint";
	case DBSYNC_OP_DROP_CONSTRAINT: return "drop_constraint";
	case DBSYNC_OP_ADD_FOREIGN_KEY: return "add_foreign_key";
	case DBSYNC_OP_DROP_FOREIGN_KEY: return "drop_foreign_key";
	case DBSYNC_OP_ADD_INDEX: return "add_index";
	case DBSYNC_OP_DROP_INDEX: return "drop_index";
	case DBSYNC_OP_COMMENT: return "comment";
	case DBSYNC_OP_SKIP_TABLE: return "skip_table";
	case DBSYNC_OP_RENAME_CONSTRAINT: return "rename_constraint";
	case DBSYNC_OP_RENAME_INDEX: return "rename_index";
	}
	return "unknown";
}

const char *dbsync_risk_name(dbsync_risk risk)
{
	switch (risk) {
	case DBSYNC_RISK_SAFE: return "safe";
	case DBSYNC_RISK_LOCKING: return "locking";
	case DBSYNC_RISK_DATA_LOSS: return "data_loss";
	}
	return "unknown";
}

const char *dbsync_status_name(dbsync_op_status status)
{
	switch (status) {
	case DBSYNC_STATUS_PENDING: return "pending";
	case DBSYNC_STATUS_SKIPPED: return "skipped";
	case DBSYNC_STATUS_REFUSED: return "refused";
	case DBSYNC_STATUS_APPLIED: return "applied";
	case DBSYNC_STATUS_FAILED: return "failed";
	}
	return "unknown";
}
