/*
 * What the models don't say is left alone (docs/unmanaged.md).
 *
 * A database built by `migrate` holds things no model could declare: FULLTEXT
 * and SPATIAL indexes made by RunSQL, index kinds Django cannot write, a
 * collation a migration set where the field names none, SQLite virtual tables
 * and their shadow tables, triggers. Compared naively they look like
 * differences, and "fixing" them breaks the application (its search, its
 * tree order). So before the diff, the planner overlays them on the desired
 * schema: the diff then finds nothing to change, a SQLite rebuild carries
 * them over like any declared object, and verify (which plans again) agrees.
 * Each one is listed on the plan (dbsync_plan_unmanaged).
 *
 * With drop_unmanaged the overlay leaves indexes and collations out: the
 * diff removes them as it would any difference, and those operations become
 * DATA_LOSS so they need the same approval as other destructive changes.
 * Virtual tables, shadow tables and triggers are never touched either way.
 *
 * The overlay borrows every table it does not change from the desired schema
 * and deep-copies only the tables it adds to.
 */
#include <string.h>

#include "ctx.h"
#include "dialect.h"
#include "plan_unmanaged.h"

/* Why no model could declare index `ix` ("FULLTEXT", "prefix", "USING rum"),
 * or NULL when a model could: the dialect knows which index kinds Django
 * writes (dialect.h). */
static const char *index_kind(dbs_arena *a, dbsync_dialect d, const dbs_index *ix)
{
	const dbs_dialect_info *info = dbs_dialect_info_for(d);
	return info->unmanaged_index_kind ? info->unmanaged_index_kind(a, ix) : NULL;
}

static const dbs_index *find_index(dbsync_dialect d, const dbs_table *t, const char *name)
{
	for (size_t i = 0; i < t->indexes.n; i++)
		if (dbs_name_eq(d, t->indexes.items[i]->name, name))
			return t->indexes.items[i];
	return NULL;
}

/* An index can be kept only over columns the desired table still has (a
 * dropped column takes its indexes along). */
static bool columns_kept(const dbsync_schema *want, const dbs_table *w, const dbs_index *ix)
{
	for (size_t i = 0; i < ix->parts.n; i++)
		if (ix->parts.items[i].column && !dbs_table_find_column(want, w, ix->parts.items[i].column))
			return false;
	return true;
}

static int note(dbs_planner *p, dbsync_unmanaged_kind kind, const char *table, const char *object,
	const char *detail, bool dropped)
{
	dbs_arena *a = &p->plan->arena;
	dbsync_unmanaged u = { kind, dbs_arena_strdup(a, table), dbs_arena_strdup(a, object),
		dbs_arena_strdup(a, detail), dropped };
	if (!u.table || (object && !u.object) || (detail && !u.detail) ||
	    DBS_VEC_PUSH(a, &p->plan->unmanaged, u))
		return dbs_error_oom(p->ctx);
	return 0;
}

/* "FULLTEXT (`title`, `body`)" */
static const char *index_detail(dbs_planner *p, const char *kind, const dbs_index *ix)
{
	dbs_buf b = DBS_BUF_INIT;
	dbs_buf_printf(&b, "%s (", kind);
	for (size_t i = 0; i < ix->parts.n; i++) {
		const dbs_index_part *part = &ix->parts.items[i];
		dbs_buf_printf(&b, "%s%s", i ? ", " : "", part->column ? part->column : part->expr ? part->expr : "?");
		if (part->prefix_len)
			dbs_buf_printf(&b, "(%d)", part->prefix_len);
	}
	dbs_buf_putc(&b, ')');
	const char *s = dbs_buf_ok(&b) ? dbs_arena_strdup(&p->plan->arena, dbs_buf_cstr(&b)) : NULL;
	dbs_buf_free(&b);
	return s;
}

static const dbs_vtable *find_vtable(const dbsync_schema *live, const char *name)
{
	for (size_t i = 0; i < live->vtables.n; i++)
		if (dbs_name_eq(live->dialect, live->vtables.items[i].name, name))
			return &live->vtables.items[i];
	return NULL;
}

static int note_vtables(dbs_planner *p)
{
	const dbsync_schema *live = p->live;
	for (size_t i = 0; i < live->vtables.n; i++) {
		const dbs_vtable *v = &live->vtables.items[i];
		const char *detail = v->module ? dbs_arena_printf(&p->plan->arena, "USING %s", v->module) :
			v->owner ? dbs_arena_printf(&p->plan->arena, "stores `%s`", v->owner) : NULL;
		if ((v->module || v->owner) && !detail)
			return dbs_error_oom(p->ctx);
		int rc = note(p, v->module ? DBSYNC_UNMANAGED_VIRTUAL_TABLE : DBSYNC_UNMANAGED_SHADOW_TABLE,
			v->name, NULL, detail, false);
		if (rc)
			return rc;
	}
	return 0;
}

/* What table `w` (desired, with live counterpart `l`) lacks that `l` holds
 * and no model could declare: noted, and (unless dropped) added to the
 * overlay's copy of `w`, made on first need into *copy. */
static int overlay_table(dbs_planner *p, dbsync_schema *kept, const dbs_table *w, const dbs_table *l,
	dbs_table **copy)
{
	dbsync_dialect d = p->live->dialect;
	bool drop = p->plan->opts.drop_unmanaged != 0;
	int rc;
	for (size_t i = 0; i < w->columns.n; i++) {
		const dbs_column *wc = w->columns.items[i];
		const dbs_column *lc = dbs_table_find_column(p->live, l, wc->name);
		if (!lc || !lc->collation || wc->collation)
			continue;
		const char *detail = dbs_arena_printf(&p->plan->arena, "COLLATE %s", lc->collation);
		if (!detail)
			return dbs_error_oom(p->ctx);
		if ((rc = note(p, DBSYNC_UNMANAGED_COLLATION, l->name, lc->name, detail, drop)))
			return rc;
		if (drop)
			continue;
		if (!*copy && !(*copy = dbs_schema_copy_table(kept, w)))
			return dbs_error_oom(p->ctx);
		dbs_column *kc = dbs_table_find_column(kept, *copy, wc->name);
		if (!kc || !(kc->collation = dbs_arena_strdup(&kept->arena, lc->collation)))
			return dbs_error_oom(p->ctx);
	}
	for (size_t i = 0; i < l->indexes.n; i++) {
		const dbs_index *lx = l->indexes.items[i];
		const char *kind = index_kind(&p->plan->arena, d, lx);
		/* an index a model names is the model's, whatever its kind */
		if (!kind || find_index(d, w, lx->name))
			continue;
		bool keep = !drop && columns_kept(p->want, w, lx);
		const char *detail = index_detail(p, kind, lx);
		if (!detail)
			return dbs_error_oom(p->ctx);
		if ((rc = note(p, DBSYNC_UNMANAGED_INDEX, l->name, lx->name, detail, !keep)))
			return rc;
		if (!keep)
			continue;
		if (!*copy && !(*copy = dbs_schema_copy_table(kept, w)))
			return dbs_error_oom(p->ctx);
		if (!dbs_table_copy_index(kept, *copy, lx))
			return dbs_error_oom(p->ctx);
	}
	for (size_t i = 0; i < l->triggers.n; i++)
		if ((rc = note(p, DBSYNC_UNMANAGED_TRIGGER, l->name, l->triggers.items[i]->name, NULL, false)))
			return rc;
	return 0;
}

int dbs_plan_unmanaged(dbs_planner *p)
{
	int rc;
	if ((rc = note_vtables(p)))
		return rc;
	dbsync_schema *kept = dbs_schema_new(p->want->dialect);
	if (!kept)
		return dbs_error_oom(p->ctx);
	p->kept = kept;
	kept->source_ddl = p->want->source_ddl;
	kept->source_ddl_len = p->want->source_ddl_len;
	bool changed = false;
	for (size_t i = 0; i < p->want->tables.n; i++) {
		const dbs_table *w = p->want->tables.items[i];
		/* a model over a virtual table (wagtail's FTS index entries) reads
		 * and writes it; its definition is the virtual table's own */
		if (find_vtable(p->live, w->name)) {
			changed = true;
			continue;
		}
		dbs_table *copy = NULL;
		const dbs_table *l = dbs_schema_find_table(p->live, w->name);
		if (l && (rc = overlay_table(p, kept, w, l, &copy)))
			return rc;
		if (copy) {
			changed = true;
			continue; /* dbs_schema_copy_table added it */
		}
		/* a shallow copy: its columns, keys and indexes are borrowed, as
		 * p->want outlives the planner's use of the overlay */
		dbs_table *same = dbs_arena_alloc(&kept->arena, sizeof *same);
		if (!same)
			return dbs_error_oom(p->ctx);
		*same = *w;
		if (DBS_VEC_PUSH(&kept->arena, &kept->tables, same))
			return dbs_error_oom(p->ctx);
	}
	/* tables were added past the name index */
	if (changed && dbs_schema_reindex(kept))
		return dbs_error_oom(p->ctx);
	if (changed)
		p->want = kept;
	return 0;
}

/* The operations that remove a dropped unmanaged object need the approval
 * destructive changes need: they become DATA_LOSS (after the data-loss
 * counts, which count rows and values, not indexes or collations). */
int dbs_plan_unmanaged_risks(dbs_planner *p)
{
	dbsync_dialect d = p->plan->dialect;
	for (size_t i = 0; i < p->plan->unmanaged.n; i++) {
		const dbsync_unmanaged *u = &p->plan->unmanaged.items[i];
		if (!u->dropped)
			continue;
		for (size_t j = 0; j < p->plan->ops.n; j++) {
			dbsync_op *op = p->plan->ops.items[j];
			if (!op->table || !dbs_name_eq(d, op->table, u->table))
				continue;
			bool hit = op->kind == DBSYNC_OP_REBUILD_TABLE ||
				(op->object && dbs_name_eq(d, op->object, u->object) &&
				 (op->kind == DBSYNC_OP_DROP_INDEX || op->kind == DBSYNC_OP_ALTER_COLUMN ||
				  op->kind == DBSYNC_OP_DROP_CONSTRAINT));
			if (hit)
				op->risk = DBSYNC_RISK_DATA_LOSS;
		}
	}
	return 0;
}

size_t dbsync_plan_unmanaged_count(const dbsync_plan *plan)
{
	return plan ? plan->unmanaged.n : 0;
}

const dbsync_unmanaged *dbsync_plan_unmanaged(const dbsync_plan *plan, size_t i)
{
	return plan && i < plan->unmanaged.n ? &plan->unmanaged.items[i] : NULL;
}

const char *dbsync_unmanaged_kind_name(dbsync_unmanaged_kind kind)
{
	switch (kind) {
	case DBSYNC_UNMANAGED_INDEX: return "index";
	case DBSYNC_UNMANAGED_COLLATION: return "collation";
	case DBSYNC_UNMANAGED_VIRTUAL_TABLE: return "virtual_table";
	case DBSYNC_UNMANAGED_SHADOW_TABLE: return "shadow_table";
	case DBSYNC_UNMANAGED_TRIGGER: return "trigger";
	}
	return "unknown";
}
