/*
 * SQLite: a key that a foreign key of a table the desired schema does not
 * have (so it is left alone) references, taken away for good. SQLite checks
 * that a parent key is a primary key or unique index only when the foreign
 * key is used: the rebuild would run and the commit fail with "foreign key
 * mismatch". Instead every change of the referenced table is refused before
 * anything runs, naming the foreign key, and so is every change elsewhere that
 * adds a foreign key needing a key of that table it does not have yet (the
 * table's refused change was to bring it). PostgreSQL does the same in
 * plan_postgres_keys.c.
 */
#include <string.h>

#include "ctx.h"
#include "dialect.h"
#include "plan_shared.h"
#include "plan_sqlite.h"

#define D DBSYNC_DIALECT_SQLITE

/* Whether the desired table `w` (live `l`) still has the key over `cols`:
 * declared, or a live unique index KEEP_EXTRA_INDEXES keeps. */
static bool key_survives(const dbs_planner *p, const dbs_table *l, const dbs_table *w, const dbs_str_vec *cols)
{
	if (dbs_table_has_fk_key(D, w, cols))
		return true;
	if (!p->plan->opts.keep_extra_indexes)
		return false;
	for (size_t i = 0; i < l->indexes.n; i++) {
		const dbs_index *ix = l->indexes.items[i];
		bool declared = false;
		for (size_t j = 0; j < w->indexes.n && !declared; j++)
			declared = dbs_name_eq(D, w->indexes.items[j]->name, ix->name);
		if (!declared && dbs_index_is_fk_key(D, ix, cols))
			return true;
	}
	return false;
}

static bool mentions(const dbs_op_build *op, const char *needle)
{
	for (size_t q = 0; q < op->sql.n; q++)
		if (strstr(op->sql.items[q], needle))
			return true;
	return false;
}

/* An added column refused: what of its table is built over it goes too. */
static int refuse_over_column(dbs_planner *p, const dbs_op_build *add, const char *reason)
{
	dbs_buf q = DBS_BUF_INIT;
	dbs_quote_ident(&q, D, add->op.object);
	if (!dbs_buf_ok(&q)) {
		dbs_buf_free(&q);
		return dbs_error_oom(p->ctx);
	}
	for (int s = 0; s < DBS_STAGE_COUNT; s++)
		for (size_t i = 0; i < p->stages[s].n; i++) {
			dbs_op_build *op = p->stages[s].items[i];
			if (op != add && op->op.table && dbs_name_eq(D, op->op.table, add->op.table) &&
			    op->op.kind != DBSYNC_OP_ADD_COLUMN && mentions(op, dbs_buf_cstr(&q)))
				dbs_op_refuse(op, reason);
		}
	dbs_buf_free(&q);
	return 0;
}

/* Refuse the changes of desired tables other than `ref` that add a foreign
 * key to a key `ref` does not have live. */
static int refuse_new_references(dbs_planner *p, const dbs_table *ref, const char *reason)
{
	const char *needle = dbs_references_needle(p, ref->name);
	if (!needle)
		return dbs_error_oom(p->ctx);
	int rc = 0;
	for (size_t t = 0; t < p->want->tables.n && !rc; t++) {
		const dbs_table *w = p->want->tables.items[t];
		bool needs = false;
		for (size_t j = 0; j < w->constraints.n && !needs; j++) {
			const dbs_constraint *k = w->constraints.items[j];
			needs = k->kind == DBS_CON_FOREIGN && dbs_name_eq(D, k->ref_table, ref->name) &&
				!dbs_table_has_fk_key(D, ref, &k->ref_cols);
		}
		if (!needs || dbs_name_eq(D, w->name, ref->name))
			continue;
		for (int s = 0; s < DBS_STAGE_COUNT && !rc; s++)
			for (size_t i = 0; i < p->stages[s].n && !rc; i++) {
				dbs_op_build *op = p->stages[s].items[i];
				if (!op->op.table || !dbs_name_eq(D, op->op.table, w->name) ||
				    !mentions(op, needle) || op->op.status == DBSYNC_STATUS_REFUSED)
					continue;
				dbs_op_refuse(op, reason);
				if (op->op.kind == DBSYNC_OP_ADD_COLUMN)
					rc = refuse_over_column(p, op, reason);
			}
	}
	return rc;
}

static int refuse_table(dbs_planner *p, const dbs_table *kept, const dbs_constraint *k, const dbs_table *ref)
{
	/* SQLite's foreign keys are mostly unnamed: the columns name it then */
	const char *reason = dbs_fk_in_the_way(p, kept, k, ref->name, true);
	if (!reason)
		return dbs_error_oom(p->ctx);
	dbs_refuse_table_ops(p, ref->name, reason);
	return refuse_new_references(p, ref, reason);
}

/* A table the caller chose to drop (drop_tables) takes its foreign keys along. */
static bool dropped(const dbs_planner *p, const char *table)
{
	for (size_t i = 0; i < p->plan->opts.n_drop_tables; i++)
		if (dbs_name_eq(D, p->plan->opts.drop_tables[i], table))
			return true;
	return false;
}

int dbs_sqlite_refuse_under_kept_fks(dbs_planner *p)
{
	for (size_t i = 0; i < p->live->tables.n; i++) {
		const dbs_table *t = p->live->tables.items[i];
		if (dbs_schema_find_table(p->want, t->name) || dropped(p, t->name))
			continue;
		for (size_t j = 0; j < t->constraints.n; j++) {
			const dbs_constraint *k = t->constraints.items[j];
			if (k->kind != DBS_CON_FOREIGN || k->ref_schema)
				continue;
			const dbs_table *l = dbs_schema_find_table(p->live, k->ref_table);
			const dbs_table *w = dbs_schema_find_table(p->want, k->ref_table);
			/* a key missing already is no change of this plan's */
			if (!l || !w || !dbs_table_has_fk_key(D, l, &k->ref_cols) || key_survives(p, l, w, &k->ref_cols))
				continue;
			int rc = refuse_table(p, t, k, l);
			if (rc)
				return rc;
		}
	}
	return 0;
}
