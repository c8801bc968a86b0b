/*
 * Table renames, planned before the diff (plan_rename.c): a desired table
 * missing from the database while a live table has its name in another
 * letter case (a case fix), or while an unowned live table clearly is its old
 * name (an old-name rename). The live schema is renamed in memory, so the
 * diff then compares the renamed table's columns instead of planning an empty
 * new table.
 */
#ifndef DBS_PLAN_RENAME_H
#define DBS_PLAN_RENAME_H

#include "dialect.h"
#include "plan_build.h"

/* Plan the RENAME_TABLE operations (stage DBS_STAGE_RENAME) and rename the
 * live tables in memory. Call after the desired side is normalized and before
 * the diff; p->live_fingerprint must already be taken from the real state. */
int dbs_plan_renames(dbs_planner *p);

/* After the dialect planners:
 *  - skip every pending operation on a desired table whose rename was
 *    declined or refused where table names are case-sensitive (PostgreSQL,
 *    MySQL with lower_case_table_names=0): its SQL would name a table that
 *    does not exist, or create a second spelling beside the first;
 *  - when the plan also rebuilds a table, wrap each rename in the
 *    dialect's rename_beside_rebuild_before / _after (SQLite applies with
 *    legacy_alter_table on, under which a rename leaves other tables'
 *    REFERENCES, views and triggers naming the old table; the renames turn
 *    it off around themselves). */
int dbs_plan_renames_finish(dbs_planner *p);

/* One statement renaming table `from` to `to` (render_rename.c: the
 * dialect's rename_table_sql), appended to `out` without a trailing ';'. A
 * case-only rename where the server compares names ignoring case takes two
 * of them, through a free name. */
int dbs_render_rename_table(dbs_buf *out, dbsync_dialect d, const char *from, const char *to);

#endif
