/* What the MySQL planner's files share (plan_mysql*.c). */
#ifndef DBS_PLAN_MYSQL_H
#define DBS_PLAN_MYSQL_H

#include <stdint.h>

#include "plan_build.h"
#include "plan_shared.h"

#define MY DBSYNC_DIALECT_MYSQL

/* The MySQL planner (dialect.h "plan"): every change, missing tables
 * included. */
int dbs_plan_mysql(dbs_planner *p);
/* dialect.h "default_fill": each statement commits, so the NULLs are filled
 * before the MODIFY that sets the new default: only a literal default can be
 * written as the value. */
const char *dbs_my_default_fill(dbs_arena *a, const char *expr, bool *oom);

/* plan_mysql.c helpers. A column definition as MODIFY / ADD COLUMN take it, without constraints. */
void dbs_my_column_def(dbs_buf *b, const dbs_column *c);
/* MariaDB keeps a column's own CHECK in the column's definition, so MODIFY
 * COLUMN without it drops it: append " CHECK (...)" for each such check of
 * W's column that the live table already has (new ones are added, counted,
 * by dbs_my_add_constraint). */
void dbs_my_kept_checks(dbs_buf *b, const dbs_planner *p, const dbs_table *L, const dbs_table *W, const char *column);
/* Whether a primary key, unique key or index of t starts with `column`: what
 * InnoDB requires of an AUTO_INCREMENT column. */
bool dbs_my_key_leads(const dbs_table *t, const char *column);
/* A column gaining AUTO_INCREMENT whose live table has no key leading with
 * it: the statement that adds the key sets AUTO_INCREMENT too (MariaDB
 * rejects either one alone). */
bool dbs_my_autoinc_waits_for_key(const dbs_planner *p, const dbs_table *L, const dbs_column *lc,
	const dbs_column *wc);
/* The desired primary or unique key led by wc when wc is an AUTO_INCREMENT
 * column this plan adds to L: the column's ADD carries the key (error 1075
 * otherwise), and the key gets no operation of its own. Else NULL. */
const dbs_constraint *dbs_my_key_of_new_autoinc(const dbs_planner *p, const dbs_table *L, const dbs_table *W,
	const dbs_column *wc);
/* The live AUTO_INCREMENT column `column` of L when this plan drops L's
 * primary key and the desired column is not AUTO_INCREMENT (or is gone): the
 * key's DROP takes AUTO_INCREMENT off in the same statement. Else NULL. */
const dbs_column *dbs_my_autoinc_leaves_with_key(const dbs_planner *p, const dbs_table *L, const char *column);
/* plan_mysql_checks.c: dialect.h "lossy_count_sql". */
bool dbs_my_lossy_count_sql(dbs_buf *q, dbs_arena *a, const char *table, const char *column, dbs_narrowing n,
	const dbs_type *f, const dbs_type *t, const char **what);
/* Values of `column` that the charset of collation `coll` cannot hold (a
 * conversion would make them '?'): *out = -1 when no query ran (a Unicode
 * target, or a name that is not a plain word), else the count. */
int dbs_my_count_charset_loss(dbs_planner *p, const char *table, const char *column, const char *coll,
	int64_t *out);

/* The first of `cols` the live table lacks and this plan does not add
 * (its ADD COLUMN was refused or skipped), or NULL. */
const char *dbs_my_unplanned_column(dbs_planner *p, const dbs_table *L, const dbs_str_vec *cols);
/* An operation for a key or index over such a column, with the column's fate
 * (plan_depend.h: REFUSED with a refused column, else SKIPPED). */
int dbs_my_skip_for_column(dbs_planner *p, const char *table, const char *object, const char *label,
	dbsync_op_kind kind, const char *column);

/* plan_mysql_keys.c. Adding a constraint of table W (L: the live table, whose
 * rows are counted first; NULL for a new table), dropping one, adding and
 * dropping indexes, and the foreign keys whose columns change type: dropped
 * first and added back last. */
int dbs_my_add_constraint(dbs_planner *p, const dbs_table *W, const dbs_table *L, const dbs_constraint *k,
	bool skipped);
int dbs_my_drop_constraint(dbs_planner *p, const dbs_table *L, const dbs_constraint *k);
/* A PRIMARY KEY or UNIQUE key of the diff `td` (live or desired) whose
 * counterpart differs from it in its COMMENT alone: that counterpart, or NULL.
 * Such a pair is planned as one re-creation (dbs_my_recomment_key). */
const dbs_constraint *dbs_my_recommented_key(const dbs_table_diff *td, const dbs_constraint *k);
int dbs_my_recomment_key(dbs_planner *p, const dbs_table *L, const dbs_constraint *lk, const dbs_constraint *wk);
int dbs_my_add_index(dbs_planner *p, const dbs_table *W, const dbs_table *L, const dbs_index *ix);
int dbs_my_drop_index(dbs_planner *p, const dbs_table *L, const dbs_index *ix);
int dbs_my_rebuild_dependent_fks(dbs_planner *p);

/* plan_mysql_fk_index.c. After every operation is planned: a drop of the
 * last index serving a foreign key that stays is moved after the addition of
 * its replacement, the key rebuilt around it, or skipped (InnoDB error 1553);
 * a key a table left alone still needs refuses its table's changes. */
int dbs_my_order_fk_index_drops(dbs_planner *p);

#endif
