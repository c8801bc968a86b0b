/*
 * The planner layer every dialect's planner shares: refusals, statements
 * appended to an operation, message plurals, and the question whether a
 * table has a key a foreign key can reference. Pre-flight counts are in
 * plan_precount.h, fills of NOT NULL columns in plan_fill.h, structured
 * types in type.h. A dialect's planner keeps only what truly differs.
 */
#ifndef DBS_PLAN_SHARED_H
#define DBS_PLAN_SHARED_H

#include <stdint.h>

#include "plan_build.h"

/* "" for one, "s" for any other count, for messages. */
const char *dbs_plural(int64_t n);

/* " (field app.Model.f)" for refusals, "" when the metadata does not know it. */
const char *dbs_planner_field_ref(dbs_planner *p, const char *table, const char *column);

/* A REFUSED operation (risk LOCKING: what it would have done) with its
 * summary and reason, copied into the plan. */
int dbs_planner_refuse(dbs_planner *p, int stage, dbsync_op_kind kind, const char *table, const char *object,
	const char *summary, const char *reason);

/* Refuse a planned operation for `reason` (kept in the plan's arena by the
 * caller); one refused already keeps its first reason. */
void dbs_op_refuse(dbs_op_build *op, const char *reason);

/* Refuse every operation planned on `table` for `reason`, but for its
 * comments (they change nothing another table needs). */
void dbs_refuse_table_ops(dbs_planner *p, const char *table, const char *reason);

/* Append `b` as a statement of `op`, then clear it for the next one. */
int dbs_op_put(dbs_planner *p, dbs_op_build *op, dbs_buf *b);

/* Clear `b` and write "ALTER TABLE <table> " into it. */
void dbs_put_alter_table(dbs_buf *b, dbsync_dialect d, const char *table);

/* Why a change is refused when foreign key `fk` of `owner` (`left_alone`:
 * a table the desired schema does not have) needs a key of `ref_table` that
 * the change removes; an unnamed key is named by its columns. In the plan's
 * arena, NULL on OOM. */
const char *dbs_fk_in_the_way(dbs_planner *p, const dbs_table *owner, const dbs_constraint *fk,
	const char *ref_table, bool left_alone);
/* " REFERENCES <table>" quoted, as an added foreign key's statement names
 * the table it references; in the plan's arena, NULL on OOM. */
const char *dbs_references_needle(dbs_planner *p, const char *table);

/* Whether table `t` has a key that a foreign key over `cols` can reference
 * (its primary key when `cols` is empty): a primary key or unique
 * constraint on those columns, or a unique index on exactly those columns
 * without WHERE. Column names compare as the dialect compares them. */
bool dbs_table_has_fk_key(dbsync_dialect d, const dbs_table *t, const dbs_str_vec *cols);
/* Whether unique index `ix` is such a key over `cols`. */
bool dbs_index_is_fk_key(dbsync_dialect d, const dbs_index *ix, const dbs_str_vec *cols);

#endif
