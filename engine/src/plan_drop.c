/*
 * Planning the drop of orphaned tables. The caller (the Django side, a user's
 * --drop-orphaned) names them; the engine decides the order and what must not
 * go: a table another kept table still references stays, and the refusal
 * names the foreign key, because dropping it would mean altering a table
 * nobody asked to touch.
 */
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "dialect.h"
#include "plan_drop.h"
#include "render.h"
#include "topo.h"

typedef struct drop_set {
	const dbs_table **tables;    /* live tables to drop, in drop order */
	size_t n;
	bool *refused;               /* parallel to tables */
	const char **reasons;        /* parallel: arena strings */
	dbs_name_index names;        /* table name -> position in `tables` */
	dbsync_dialect dialect;
	/* index_refs: the foreign keys of later drops into each drop, so breaking
	 * cycles does not scan every later table for every drop */
	size_t *first_ref;           /* parallel to tables: position in refs, or NO_REF */
	struct drop_ref {
		size_t from;             /* the later drop holding the key */
		const dbs_constraint *k;
		size_t next;             /* the next key into the same drop, or NO_REF */
	} *refs;
} drop_set;

#define NO_REF ((size_t)-1)

static size_t find_drop(const drop_set *ds, const dbs_table *t)
{
	/* a live table's exact name finds it first: two live tables never share one */
	size_t i = dbs_name_index_find(&ds->names, ds->dialect, t->name);
	return i != DBS_NAME_NONE && ds->tables[i] == t ? i : (size_t)-1;
}

/* Index the tables under their positions, after they moved. */
static int index_drops(drop_set *ds)
{
	dbs_name_index_clear(&ds->names);
	for (size_t i = 0; i < ds->n; i++)
		if (dbs_name_index_add(&ds->names, ds->tables[i]->name, i))
			return -1;
	return 0;
}

static const dbs_table *ref_target(dbsync_schema *live, const dbs_constraint *k)
{
	return k->kind == DBS_CON_FOREIGN && k->ref_table ? dbs_schema_find_table(live, k->ref_table) : NULL;
}

static const char *fk_label(dbs_planner *p, const dbs_table *from, const dbs_constraint *k)
{
	dbs_buf *b = &p->tmp;
	dbs_buf_clear(b);
	dbs_buf_printf(b, "`%s`", from->name);
	if (k->name)
		dbs_buf_printf(b, " (foreign key `%s` on", k->name);
	else
		dbs_buf_puts(b, " (foreign key on");
	for (size_t i = 0; i < k->cols.n; i++)
		dbs_buf_printf(b, "%s`%s`", i ? ", " : " ", k->cols.items[i]);
	dbs_buf_puts(b, ")");
	return dbs_buf_cstr(b);
}

static void reverse(dbs_op_build **items, size_t from, size_t to)
{
	while (from + 1 < to) {
		dbs_op_build *tmp = items[from];
		items[from++] = items[--to];
		items[to] = tmp;
	}
}

/* The table drops (from `before` on in their stage) go ahead of the stage's
 * key and index drops: a dropped table's foreign keys go with it, so a
 * primary key it references can then be dropped (MySQL errno 150 when the
 * key went first). */
static void drops_first(dbs_planner *p, size_t before)
{
	/* a rotation by three reversals: linear, where moving each drop to the
	 * front cost the length of the stage */
	dbs_op_build **items = p->stages[DBS_STAGE_DROP_INDEX].items;
	size_t n = p->stages[DBS_STAGE_DROP_INDEX].n;
	reverse(items, 0, before);
	reverse(items, before, n);
	reverse(items, 0, n);
}

/* Whether this plan drops foreign key k of `from` for good (a pending drop,
 * not added again): the kept table then no longer references anything
 * through it once the drops run (DBS_STAGE_DROP_FK comes first). */
static bool plan_drops_fk(const dbs_planner *p, const dbs_table *from, const dbs_constraint *k)
{
	bool dropped = false;
	const dbs_table_ops *t = k->name ? dbs_planner_table_ops(p, from->name) : NULL;
	for (size_t i = 0; t && i < t->ops.n; i++) {
		const dbsync_op *op = &t->ops.items[i]->op;
		if (t->ops.items[i]->taken_back || !op->object ||
		    strcmp(op->table, from->name) != 0 || strcmp(op->object, k->name) != 0)
			continue;
		if (op->kind == DBSYNC_OP_ADD_FOREIGN_KEY)
			return false;
		dropped |= op->kind == DBSYNC_OP_DROP_FOREIGN_KEY && op->status == DBSYNC_STATUS_PENDING;
	}
	return dropped;
}

/* Refuse every drop that a kept table still references, until nothing
 * changes: a refused table is kept too, so what it references stays. */
static int refuse_referenced(dbs_planner *p, drop_set *ds)
{
	bool changed = true;
	while (changed) {
		changed = false;
		for (size_t i = 0; i < p->live->tables.n; i++) {
			const dbs_table *from = p->live->tables.items[i];
			size_t fi = find_drop(ds, from);
			if (fi != (size_t)-1 && !ds->refused[fi])
				continue; /* dropped with the rest */
			for (size_t c = 0; c < from->constraints.n; c++) {
				const dbs_constraint *k = from->constraints.items[c];
				const dbs_table *to = ref_target(p->live, k);
				size_t ti = to && to != from ? find_drop(ds, to) : (size_t)-1;
				if (ti == (size_t)-1 || ds->refused[ti])
					continue;
				if (fi == (size_t)-1 && plan_drops_fk(p, from, k))
					continue;
				ds->refused[ti] = true;
				changed = true;
				const char *label = fk_label(p, from, k);
				ds->reasons[ti] = fi == (size_t)-1
					? dbs_arena_printf(&p->plan->arena, "%s still references `%s`: dbsync does not "
						"alter a kept table to drop an orphan; drop that foreign key first, or keep `%s`",
						label, to->name, to->name)
					: dbs_arena_printf(&p->plan->arena, "%s references `%s` and is not dropped",
						label, to->name);
				if (!ds->reasons[ti] || !dbs_buf_ok(&p->tmp))
					return dbs_error_oom(p->ctx);
			}
		}
	}
	return 0;
}

/* Record, for every drop, the foreign keys of later drops into it, in the
 * order of those drops and of their keys. */
static int index_refs(dbs_planner *p, drop_set *ds)
{
	size_t n_refs = 0;
	for (int pass = 0; pass < 2; pass++) {
		size_t *last = NULL;
		if (pass) {
			ds->first_ref = malloc((ds->n ? ds->n : 1) * sizeof *ds->first_ref);
			last = malloc((ds->n ? ds->n : 1) * sizeof *last);
			ds->refs = malloc((n_refs ? n_refs : 1) * sizeof *ds->refs);
			if (!ds->first_ref || !last || !ds->refs) {
				free(last);
				return -1;
			}
			for (size_t i = 0; i < ds->n; i++)
				ds->first_ref[i] = last[i] = NO_REF;
			n_refs = 0;
		}
		for (size_t j = 0; j < ds->n; j++) {
			const dbs_table *later = ds->tables[j];
			for (size_t c = 0; c < later->constraints.n; c++) {
				const dbs_constraint *k = later->constraints.items[c];
				const dbs_table *to = ref_target(p->live, k);
				size_t at = to ? find_drop(ds, to) : (size_t)-1;
				if (at == (size_t)-1 || at >= j)
					continue;
				if (pass) {
					ds->refs[n_refs] = (struct drop_ref){ j, k, NO_REF };
					if (last[at] == NO_REF)
						ds->first_ref[at] = n_refs;
					else
						ds->refs[last[at]].next = n_refs;
					last[at] = n_refs;
				}
				n_refs++;
			}
		}
		free(last);
	}
	return 0;
}

/* A foreign key cycle among the dropped tables: the keys of later tables into
 * this one go first, where the server checks them at DROP TABLE. */
static int break_cycles(dbs_planner *p, const drop_set *ds, size_t at, dbs_op_build *op, bool *fk_off)
{
	dbs_buf sql = DBS_BUF_INIT;
	int rc = 0;
	const char *drop_fk = dbs_dialect_info_for(p->plan->dialect)->sql_drop_foreign_key;
	for (size_t r = ds->first_ref[at]; r != NO_REF; r = ds->refs[r].next) {
		const dbs_table *later = ds->tables[ds->refs[r].from];
		const dbs_constraint *k = ds->refs[r].k;
		if (ds->refused[ds->refs[r].from])
			continue;
		if (!drop_fk || !k->name) {
			/* SQLite cannot drop a key; foreign keys go off around the plan */
			*fk_off = true;
			continue;
		}
		dbs_buf_clear(&sql);
		const char *names[] = { later->name, k->name };
		if (dbs_render_template(&sql, p->plan->dialect, drop_fk, names, 2)) {
			rc = dbs_error_oom(p->ctx);
			goto cleanup;
		}
		if ((rc = dbs_op_sql(p, op, dbs_buf_cstr(&sql))))
			goto cleanup;
	}
cleanup:
	dbs_buf_free(&sql);
	return rc;
}

static int plan_one(dbs_planner *p, const drop_set *ds, size_t i, bool *fk_off)
{
	const dbs_table *t = ds->tables[i];
	dbs_op_build *op = dbs_planner_op(p, DBS_STAGE_DROP_INDEX, DBSYNC_OP_DROP_TABLE,
		DBSYNC_RISK_DATA_LOSS, t->name, NULL);
	dbs_buf sql = DBS_BUF_INIT;
	int rc;
	if (!op)
		return dbs_error_oom(p->ctx);
	if ((rc = dbs_op_summary(p, op, "drop orphaned table `%s`", t->name)))
		goto cleanup;
	if (ds->refused[i]) {
		op->op.status = DBSYNC_STATUS_REFUSED;
		op->op.reason = ds->reasons[i];
	} else if ((rc = break_cycles(p, ds, i, op, fk_off))) {
		goto cleanup;
	}
	dbs_buf_puts(&sql, "DROP TABLE ");
	dbs_quote_ident(&sql, p->plan->dialect, t->name);
	if (!dbs_buf_ok(&sql)) {
		rc = dbs_error_oom(p->ctx);
		goto cleanup;
	}
	if ((rc = dbs_op_sql(p, op, dbs_buf_cstr(&sql))))
		goto cleanup;
	/* an estimate is plan_counts.c's, for the whole plan at once */
	if (p->plan->opts.count_data_loss && p->plan->opts.count_data_loss != DBSYNC_COUNT_ESTIMATE) {
		p->conn->catalog_queries++;
		if ((rc = dbsync_conn_count_rows(&op->op.affected, p->ctx, p->conn, t->name)))
			goto cleanup;
	}
cleanup:
	dbs_buf_free(&sql);
	return rc;
}

int dbs_plan_drop_tables(dbs_planner *p)
{
	const dbsync_plan_options *o = &p->plan->opts;
	drop_set ds = { .dialect = p->plan->dialect };
	int rc = 0;
	bool fk_off = false;
	if (!o->n_drop_tables)
		return 0;
	ds.tables = calloc(o->n_drop_tables, sizeof *ds.tables);
	ds.refused = calloc(o->n_drop_tables, sizeof *ds.refused);
	ds.reasons = calloc(o->n_drop_tables, sizeof *ds.reasons);
	if (!ds.tables || !ds.refused || !ds.reasons) {
		rc = dbs_error_oom(p->ctx);
		goto cleanup;
	}
	for (size_t i = 0; i < o->n_drop_tables; i++) {
		const char *name = o->drop_tables[i];
		if (!name)
			continue;
		/* a model's table is never an orphan, whatever the caller says */
		if (dbs_schema_find_table(p->plan->desired, name)) {
			rc = dbs_error(p->ctx, DBSYNC_EINVALID, "table \"%s\" belongs to a model: it is not "
				"an orphan and will not be dropped", name);
			goto cleanup;
		}
		/* already gone (dropped by this plan when verify plans again): nothing to do */
		const dbs_table *t = dbs_schema_find_table(p->live, name);
		if (t && find_drop(&ds, t) == (size_t)-1) {
			ds.tables[ds.n++] = t;
			if (dbs_name_index_add(&ds.names, t->name, ds.n - 1)) {
				rc = dbs_error_oom(p->ctx);
				goto cleanup;
			}
		}
	}
	if (dbs_topo_order_tables(p->plan->dialect, ds.tables, ds.n)) {
		rc = dbs_error_oom(p->ctx);
		goto cleanup;
	}
	/* topological order puts referenced tables first; drops go the other way */
	for (size_t i = 0; i < ds.n / 2; i++) {
		const dbs_table *tmp = ds.tables[i];
		ds.tables[i] = ds.tables[ds.n - 1 - i];
		ds.tables[ds.n - 1 - i] = tmp;
	}
	if (index_drops(&ds)) {
		rc = dbs_error_oom(p->ctx);
		goto cleanup;
	}
	if ((rc = refuse_referenced(p, &ds)))
		goto cleanup;
	if (index_refs(p, &ds)) {
		rc = dbs_error_oom(p->ctx);
		goto cleanup;
	}
	size_t before = p->stages[DBS_STAGE_DROP_INDEX].n;
	for (size_t i = 0; i < ds.n && !rc; i++)
		rc = plan_one(p, &ds, i, &fk_off);
	if (!rc)
		drops_first(p, before);
	if (fk_off)
		p->plan->foreign_keys_off = true;
cleanup:
	dbs_name_index_clear(&ds.names);
	free(ds.tables);
	free(ds.refused);
	free(ds.reasons);
	free(ds.first_ref);
	free(ds.refs);
	return rc;
}
