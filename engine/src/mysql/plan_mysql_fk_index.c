/*
 * InnoDB keeps an index for every foreign key, on both of its tables (the
 * key's columns, and the referenced ones, leading an index), and refuses to
 * drop the last one that serves a key (error 1553). The planner drops keys
 * and indexes before it adds the new ones, so a drop that would leave a
 * foreign key without an index is moved after the additions when one of
 * them serves the key, or, when that addition reuses the dropped name (a
 * changed definition) or is a new primary key (which cannot join the old
 * one, error 1068), the foreign key is dropped first and added back last.
 * With nothing left to serve the key the drop is skipped with the reason, or,
 * where skipping it is not enough (a table left alone still needs the key, or
 * a new primary key comes), the referenced table's changes are refused.
 */
#include <string.h>

#include "backend.h"
#include "ctx.h"
#include "dialect.h"
#include "plan_mysql.h"

/* Whether cols lead the key's columns in order (all of them usable whole). */
static bool leads(const dbs_str_vec *cols, const dbs_str_vec *key)
{
	if (!cols->n || key->n < cols->n)
		return false;
	for (size_t i = 0; i < cols->n; i++)
		if (!key->items[i] || !dbs_name_eq(MY, cols->items[i], key->items[i]))
			return false;
	return true;
}

/* The key's columns of an index: NULL for a part an FK cannot use (an
 * expression or a prefix). */
static int index_cols(dbs_planner *p, const dbs_index *ix, dbs_str_vec *out)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < ix->parts.n; i++) {
		const dbs_index_part *part = &ix->parts.items[i];
		if (DBS_VEC_PUSH(&p->plan->arena, out, part->prefix_len ? NULL : part->column))
			return dbs_error_oom(p->ctx);
	}
	return 0;
}

static bool op_is(const dbs_op_build *b, dbsync_op_kind kind, const char *table, const char *object)
{
	const dbsync_op *op = &b->op;
	if (op->kind != kind || op->status != DBSYNC_STATUS_PENDING || !dbs_name_eq(MY, op->table, table))
		return false;
	/* a primary key's operations name it PRIMARY or nothing; index names
	 * ignore case in MySQL */
	return dbs_ascii_ieq(op->object ? op->object : "PRIMARY", object ? object : "PRIMARY");
}

static bool stage_has(const dbs_planner *p, int stage, dbsync_op_kind kind, const char *table, const char *object)
{
	const dbs_table_ops *t = dbs_planner_table_ops(p, table);
	for (size_t i = 0; t && i < t->ops.n; i++)
		if (dbs_op_planned_in(t->ops.items[i], stage) && op_is(t->ops.items[i], kind, table, object))
			return true;
	return false;
}

/* The columns of key `name` of table t (a unique or primary constraint, or an
 * index); false when t has no such key. */
static bool key_cols(dbs_planner *p, const dbs_table *t, const char *name, bool index, dbs_str_vec *out, int *rc)
{
	*rc = 0;
	if (index) {
		for (size_t i = 0; i < t->indexes.n; i++)
			if (t->indexes.items[i]->name && name && dbs_ascii_ieq(t->indexes.items[i]->name, name))
				return !(*rc = index_cols(p, t->indexes.items[i], out));
		return false;
	}
	for (size_t i = 0; i < t->constraints.n; i++) {
		const dbs_constraint *k = t->constraints.items[i];
		bool pk = k->kind == DBS_CON_PRIMARY;
		if ((pk || k->kind == DBS_CON_UNIQUE) && (pk ? !name || dbs_ascii_ieq(name, "PRIMARY") :
		    k->name && name && dbs_ascii_ieq(k->name, name))) {
			*out = k->cols;
			return true;
		}
	}
	return false;
}

/* Whether table L, once the pending drops of DROP_INDEX ran, keeps a key
 * (other than the one named `except`) that cols lead. */
static int kept_key_serves(dbs_planner *p, const dbs_table *L, const dbs_str_vec *cols, bool *out)
{
	*out = false;
	for (size_t i = 0; i < L->constraints.n && !*out; i++) {
		const dbs_constraint *k = L->constraints.items[i];
		if ((k->kind == DBS_CON_PRIMARY || k->kind == DBS_CON_UNIQUE) && leads(cols, &k->cols))
			*out = !stage_has(p, DBS_STAGE_DROP_INDEX, DBSYNC_OP_DROP_CONSTRAINT, L->name,
				k->kind == DBS_CON_PRIMARY ? "PRIMARY" : k->name);
	}
	for (size_t i = 0; i < L->indexes.n && !*out; i++) {
		dbs_str_vec ic;
		int rc = index_cols(p, L->indexes.items[i], &ic);
		if (rc)
			return rc;
		if (leads(cols, &ic))
			*out = !stage_has(p, DBS_STAGE_DROP_INDEX, DBSYNC_OP_DROP_INDEX, L->name, L->indexes.items[i]->name);
	}
	return 0;
}

/* A pending addition of ADD_INDEX on table W that cols lead: its op, or NULL. */
static int added_key_serving(dbs_planner *p, const dbs_table *W, const dbs_str_vec *cols, const dbs_op_build **out)
{
	*out = NULL;
	for (size_t i = 0; W && i < p->stages[DBS_STAGE_ADD_INDEX].n && !*out; i++) {
		const dbs_op_build *add = p->stages[DBS_STAGE_ADD_INDEX].items[i];
		const dbsync_op *op = &add->op;
		bool index = op->kind == DBSYNC_OP_ADD_INDEX;
		dbs_str_vec kc;
		int rc = 0;
		if ((!index && op->kind != DBSYNC_OP_ADD_CONSTRAINT) || op->status != DBSYNC_STATUS_PENDING ||
		    !dbs_name_eq(MY, op->table, W->name))
			continue;
		if (!index && add->key)
			kc = add->key->cols;
		else if (!key_cols(p, W, op->object, index, &kc, &rc))
			kc.n = 0;
		if (!rc && leads(cols, &kc))
			*out = add;
		if (rc)
			return rc;
	}
	return 0;
}

static bool column_dropped(const dbs_planner *p, const char *table, const dbs_str_vec *cols)
{
	for (size_t i = 0; i < cols->n; i++)
		if (cols->items[i] && stage_has(p, DBS_STAGE_ALTER, DBSYNC_OP_DROP_COLUMN, table, cols->items[i]))
			return true;
	return false;
}

/* The foreign key columns on table `table` that fk needs an index for: its
 * own columns on its table, the referenced ones on the referenced table. */
static const dbs_str_vec *needs_on(const dbs_planner *p, const dbs_table *owner, const dbs_constraint *fk,
	const char *table)
{
	if (dbs_name_eq(MY, owner->name, table))
		return &fk->cols;
	if (!fk->ref_table || !dbs_name_eq(MY, fk->ref_table, table))
		return NULL;
	if (fk->ref_cols.n)
		return &fk->ref_cols;
	const dbs_table *rt = dbs_schema_find_table(p->live, fk->ref_table);
	const dbs_constraint *pk = rt ? dbs_table_primary_key(rt) : NULL;
	return pk ? &pk->cols : NULL;
}

/* The first foreign key (staying through the drops) that the key being
 * dropped serves and nothing else kept does; NULL when none. */
/* A table the caller drops (drop_tables): its keys go with it, before the
 * stage's key drops (plan_drop.c puts table drops first). */
static bool dropped_table(const dbs_planner *p, const char *table)
{
	for (size_t i = 0; i < p->plan->opts.n_drop_tables; i++)
		if (p->plan->opts.drop_tables[i] && dbs_name_eq(MY, p->plan->opts.drop_tables[i], table))
			return true;
	return false;
}

static int orphaned_fk(dbs_planner *p, const dbs_table *L, const dbs_str_vec *dropped,
	const dbs_table **owner_out, const dbs_constraint **fk_out, const dbs_str_vec **need_out)
{
	*fk_out = NULL;
	for (size_t t = 0; t < p->live->tables.n; t++) {
		const dbs_table *owner = p->live->tables.items[t];
		for (size_t j = 0; j < owner->constraints.n; j++) {
			const dbs_constraint *fk = owner->constraints.items[j];
			if (fk->kind != DBS_CON_FOREIGN || !fk->name || dropped_table(p, owner->name) ||
			    stage_has(p, DBS_STAGE_DROP_FK, DBSYNC_OP_DROP_FOREIGN_KEY, owner->name, fk->name))
				continue;
			const dbs_str_vec *need = needs_on(p, owner, fk, L->name);
			bool kept;
			int rc;
			if (!need || !leads(need, dropped))
				continue;
			if ((rc = kept_key_serves(p, L, need, &kept)))
				return rc;
			if (!kept) {
				*owner_out = owner;
				*fk_out = fk;
				*need_out = need;
				return 0;
			}
		}
	}
	return 0;
}

/* Drop fk first and add it back last, as for a type change of its columns; a
 * table the desired schema leaves alone gets its own key back. */
static int rebuild_fk(dbs_planner *p, const dbs_table *owner, const dbs_constraint *fk)
{
	const dbs_table *W = dbs_schema_find_table(p->want, owner->name);
	int rc = dbs_my_drop_constraint(p, owner, fk);
	return rc ? rc : dbs_my_add_constraint(p, W ? W : owner, owner, fk, false);
}

/* Foreign key fk of `owner` needs a key of `table` that this plan takes away
 * for good, and the drop cannot just be left out: the owner is a table the
 * desired schema leaves alone, or a new primary key would clash with the
 * kept one. MySQL commits every statement as it runs, so this is decided
 * before anything runs: nothing of `table` changes (its key and column
 * changes hang together), nor does a foreign key added to reference it (with
 * the drop of the one it replaces), all refused naming fk. */
static int refuse_table(dbs_planner *p, const char *table, const dbs_table *owner, const dbs_constraint *fk)
{
	bool alone = !dbs_schema_find_table(p->want, owner->name);
	const char *reason = dbs_fk_in_the_way(p, owner, fk, table, alone);
	if (!reason)
		return dbs_error_oom(p->ctx);
	/* the foreign keys added to reference it first, with the drops of the
	 * ones they replace; then the table's own operations */
	for (int s = 0; s < DBS_STAGE_COUNT; s++)
		for (size_t i = 0; i < p->stages[s].n; i++) {
			dbs_op_build *b = p->stages[s].items[i];
			const dbsync_op *op = &b->op;
			if (op->kind != DBSYNC_OP_ADD_FOREIGN_KEY || !b->key || !b->key->ref_table ||
			    !dbs_name_eq(MY, b->key->ref_table, table) || op->status == DBSYNC_STATUS_REFUSED)
				continue;
			dbs_op_refuse(b, reason);
			for (size_t j = 0; j < p->stages[DBS_STAGE_DROP_FK].n; j++) {
				dbs_op_build *d = p->stages[DBS_STAGE_DROP_FK].items[j];
				if (op_is(d, DBSYNC_OP_DROP_FOREIGN_KEY, op->table, op->object))
					dbs_op_refuse(d, reason);
			}
		}
	dbs_refuse_table_ops(p, table, reason);
	return 0;
}

/* Keep every foreign key that drop b of key `cols` of L is in the way of
 * valid, starting with fk (of owner, needing `need`): rebuilt around the
 * key that replaces it, or, with none, the drop skipped, or the table's
 * changes refused when skipping it is not enough. */
static int settle_fks(dbs_planner *p, dbs_op_build *b, const dbs_table *L, const dbs_str_vec *cols, bool pk_moves,
	const dbs_table *owner, const dbs_constraint *fk, const dbs_str_vec *need)
{
	const dbs_table *W = dbs_schema_find_table(p->want, L->name);
	int rc = 0;
	while (!rc && fk && b->op.status == DBSYNC_STATUS_PENDING) {
		const dbs_op_build *add = NULL;
		if ((rc = added_key_serving(p, W, need, &add)))
			break;
		if (add)
			rc = rebuild_fk(p, owner, fk);
		else if (pk_moves || !dbs_schema_find_table(p->want, owner->name))
			rc = refuse_table(p, L->name, owner, fk);
		else if (!(rc = dbs_op_skip(p, b, "")))
			rc = dbs_op_reason(p, b, "foreign key \"%s\" of \"%s\" needs it and no other index of \"%s\" "
				"serves it", fk->name, owner->name, L->name);
		if (!rc && b->op.status == DBSYNC_STATUS_PENDING)
			rc = orphaned_fk(p, L, cols, &owner, &fk, &need);
	}
	return rc;
}

/* Move drop i of DROP_INDEX to the end of ADD_INDEX. */
static int defer_drop(dbs_planner *p, size_t i)
{
	dbs_op_build *b = p->stages[DBS_STAGE_DROP_INDEX].items[i];
	size_t n = p->stages[DBS_STAGE_DROP_INDEX].n;
	memmove(&p->stages[DBS_STAGE_DROP_INDEX].items[i], &p->stages[DBS_STAGE_DROP_INDEX].items[i + 1],
		(n - i - 1) * sizeof b);
	p->stages[DBS_STAGE_DROP_INDEX].n--;
	b->stage = DBS_STAGE_ADD_INDEX;
	return DBS_VEC_PUSH(&p->plan->arena, &p->stages[DBS_STAGE_ADD_INDEX], b) ? dbs_error_oom(p->ctx) : 0;
}

/* The index InnoDB made for fk on its own (named after the key, on exactly
 * its columns): adding another index that serves the key makes the server
 * drop it (MySQL and MariaDB alike), so a DROP after that addition would
 * fail with error 1091. Only a server that accepts DROP INDEX IF EXISTS
 * (MariaDB) lets the drop tolerate that. */
static bool implicit_fk_index(const dbs_planner *p, const char *index, const dbs_constraint *fk,
	const dbs_str_vec *cols)
{
	if (!p->conn->drop_index_if_exists || !dbs_name_eq(MY, index, fk->name) || cols->n != fk->cols.n)
		return false;
	return leads(&fk->cols, cols);
}

/* MariaDB's DROP INDEX IF EXISTS: the drop runs when the server kept the
 * index, and is a no-op when it already dropped it. */
static int drop_if_exists(dbs_planner *p, dbs_op_build *b, const char *table)
{
	dbs_buf sql = DBS_BUF_INIT;
	dbs_buf_puts(&sql, "DROP INDEX IF EXISTS ");
	dbs_quote_ident(&sql, MY, b->op.object);
	dbs_buf_puts(&sql, " ON ");
	dbs_quote_ident(&sql, MY, table);
	const char *s = dbs_buf_ok(&sql) ? dbs_arena_strdup(&p->plan->arena, dbs_buf_cstr(&sql)) : NULL;
	dbs_buf_free(&sql);
	if (!s)
		return dbs_error_oom(p->ctx);
	b->sql.n = 0;
	if (DBS_VEC_PUSH(&p->plan->arena, &b->sql, s))
		return dbs_error_oom(p->ctx);
	b->op.sql = b->sql.items;
	b->op.n_sql = b->sql.n;
	return 0;
}

int dbs_my_order_fk_index_drops(dbs_planner *p)
{
	/* deferred drops leave the vector: walk the drops as they were */
	size_t n = p->stages[DBS_STAGE_DROP_INDEX].n, i = 0;
	int rc = 0;
	for (size_t seen = 0; seen < n && !rc; seen++) {
		dbs_op_build *b = p->stages[DBS_STAGE_DROP_INDEX].items[i];
		const dbsync_op *op = &b->op;
		bool index = op->kind == DBSYNC_OP_DROP_INDEX;
		const dbs_table *L = dbs_schema_find_table(p->live, op->table);
		const dbs_table *owner = NULL;
		const dbs_constraint *fk = NULL;
		const dbs_str_vec *need = NULL;
		dbs_str_vec cols;
		if (op->status != DBSYNC_STATUS_PENDING || (!index && op->kind != DBSYNC_OP_DROP_CONSTRAINT) || !L ||
		    !key_cols(p, L, op->object, index, &cols, &rc) || column_dropped(p, L->name, &cols) ||
		    (rc = orphaned_fk(p, L, &cols, &owner, &fk, &need)) || !fk) {
			i++;
			continue;
		}
		const dbs_op_build *add = NULL;
		const dbs_table *W = dbs_schema_find_table(p->want, L->name);
		if ((rc = added_key_serving(p, W, need, &add)))
			break;
		/* an index and a unique key share one namespace */
		bool same_name = add && (stage_has(p, DBS_STAGE_ADD_INDEX, DBSYNC_OP_ADD_INDEX, L->name, op->object) ||
			stage_has(p, DBS_STAGE_ADD_INDEX, DBSYNC_OP_ADD_CONSTRAINT, L->name, op->object));
		/* a primary key's drop cannot wait for the addition of the new one
		 * (error 1068), in this stage or with a new AUTO_INCREMENT column */
		bool pk_moves = !index && dbs_ascii_ieq(op->object ? op->object : "PRIMARY", "PRIMARY") && W &&
			dbs_table_primary_key(W);
		if (add && !same_name && !pk_moves) {
			if (index && implicit_fk_index(p, op->object, fk, &cols))
				rc = drop_if_exists(p, b, L->name);
			if (!rc)
				rc = defer_drop(p, i);
			continue;
		}
		i++;
		rc = settle_fks(p, b, L, &cols, pk_moves, owner, fk, need);
	}
	return rc;
}
