/*
 * Foreign keys whose columns change under them. A database refuses to change
 * the type of a column a foreign key uses, on either side (PostgreSQL's
 * 2BP01, MySQL's 1832 and 3780), so such a key is dropped before the change
 * and added back after it, as Django's alter_field does. The walk over the
 * live foreign keys is shared; a dialect says which column changes move a
 * key and how a key is dropped and added back.
 */
#ifndef DBS_PLAN_FK_MOVES_H
#define DBS_PLAN_FK_MOVES_H

#include "plan_build.h"

/* Whether the diff drops live constraint `k` of `table` (it is then not
 * added back). */
bool dbs_diff_drops_constraint(const dbs_diff *d, const char *table, const dbs_constraint *k);
/* Whether the diff changes the type of live column `column` of `table`. */
bool dbs_diff_retypes_column(dbsync_dialect dl, const dbs_diff *d, const char *table, const char *column);

/* Whether the change of `column` of `table` moves a foreign key over it. */
typedef bool (*dbs_fk_column_moves)(const dbs_planner *p, const char *table, const char *column);
/* Whether foreign key `k` of live table `t` moves: its own columns (unless
 * `kept`: a table the desired schema does not have keeps them as they are)
 * or the ones it references. */
bool dbs_fk_moves(const dbs_planner *p, const dbs_table *t, const dbs_constraint *k, bool kept,
	dbs_fk_column_moves moves);

/* Which foreign keys the walk considers (`kept`: of a table the desired
 * schema does not have), and what rebuilds one. */
typedef bool (*dbs_fk_considered)(const dbs_planner *p, const dbs_table *t, const dbs_constraint *k, bool kept,
	const void *arg);
typedef int (*dbs_fk_rebuild)(dbs_planner *p, const dbs_table *t, const dbs_constraint *k);

/* Rebuild every live foreign key that `considered`, that the diff keeps and
 * that moves. */
int dbs_plan_rebuild_moved_fks(dbs_planner *p, dbs_fk_considered considered, const void *arg,
	dbs_fk_column_moves moves, dbs_fk_rebuild rebuild);

#endif
