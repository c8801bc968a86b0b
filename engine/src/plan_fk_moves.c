/*
 * Foreign keys whose columns change under them (see plan_fk_moves.h).
 */
#include "plan_fk_moves.h"

#include "dialect.h"

bool dbs_diff_drops_constraint(const dbs_diff *d, const char *table, const dbs_constraint *k)
{
	const dbs_table_diff *td = dbs_diff_find(d, table);
	for (size_t i = 0; td && i < td->changes.n; i++)
		if (td->changes.items[i].kind == DBS_CH_DROP_CONSTRAINT && td->changes.items[i].live_con == k)
			return true;
	return false;
}

bool dbs_diff_retypes_column(dbsync_dialect dl, const dbs_diff *d, const char *table, const char *column)
{
	const dbs_table_diff *td = dbs_diff_find(d, table);
	for (size_t i = 0; td && i < td->changes.n; i++) {
		const dbs_change *ch = &td->changes.items[i];
		if (ch->kind == DBS_CH_ALTER_COLUMN && (ch->col_diff & DBS_COL_TYPE) &&
		    dbs_name_eq(dl, ch->live_col->name, column))
			return true;
	}
	return false;
}

bool dbs_fk_moves(const dbs_planner *p, const dbs_table *t, const dbs_constraint *k, bool kept,
	dbs_fk_column_moves moves)
{
	bool moved = false;
	for (size_t c = 0; c < k->cols.n && !moved && !kept; c++)
		moved = moves(p, t->name, k->cols.items[c]);
	for (size_t c = 0; c < k->ref_cols.n && !moved; c++)
		moved = moves(p, k->ref_table, k->ref_cols.items[c]);
	return moved;
}

int dbs_plan_rebuild_moved_fks(dbs_planner *p, dbs_fk_considered considered, const void *arg,
	dbs_fk_column_moves moves, dbs_fk_rebuild rebuild)
{
	for (size_t i = 0; i < p->live->tables.n; i++) {
		const dbs_table *t = p->live->tables.items[i];
		bool kept = !dbs_schema_find_table(p->want, t->name);
		for (size_t j = 0; j < t->constraints.n; j++) {
			const dbs_constraint *k = t->constraints.items[j];
			if (k->kind != DBS_CON_FOREIGN || !considered(p, t, k, kept, arg) ||
			    dbs_diff_drops_constraint(&p->diff, t->name, k) || !dbs_fk_moves(p, t, k, kept, moves))
				continue;
			int rc = rebuild(p, t, k);
			if (rc)
				return rc;
		}
	}
	return 0;
}
