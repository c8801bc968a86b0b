/*
 * Pre-flight counts: before a change that existing rows could break (NOT
 * NULL, UNIQUE, PRIMARY KEY, CHECK, FOREIGN KEY), the planner counts the rows
 * it would fail on, so it can refuse that one change with a number instead
 * of letting the apply fail halfway. One set of queries for every dialect;
 * each only reads, runs through the backend's query_int64 on the live table,
 * and sets an error on the context when the database refuses it.
 */
#ifndef DBS_PLAN_PRECOUNT_H
#define DBS_PLAN_PRECOUNT_H

#include <stdint.h>

#include "plan_build.h"

/* Run counting query `q` (freed) into *out. */
int dbs_count_query(dbs_planner *p, dbs_buf *q, int64_t *out);
/* Start a query counting values of `column` (cleared `q`): "SELECT
 * COUNT(*) FROM t WHERE c IS NOT NULL AND "; the caller adds the condition
 * the counted values meet. */
void dbs_put_count_values(dbs_buf *q, dbsync_dialect d, const char *table, const char *column);
/* Rows of `table` holding NULL in `column`. */
int dbs_count_nulls(dbs_planner *p, const char *table, const char *column, int64_t *out);
/* Groups of rows sharing a value in `cols` (NULLs never clash unless
 * `nulls_clash`), under `where` when given. */
int dbs_count_duplicates(dbs_planner *p, const char *table, const dbs_str_vec *cols, bool nulls_clash,
	const char *where, int64_t *out);
/* Rows failing CHECK (`expr`) (NULL passes, see dialect.h check_fails_open). */
int dbs_count_check_fails(dbs_planner *p, const char *table, const char *expr, int64_t *out);
/* Rows whose key matches no row of the referenced table (all of them with a
 * key when that table is not there yet). */
int dbs_count_orphans(dbs_planner *p, const char *table, const dbs_constraint *fk, int64_t *out);

/* Values of column `from` of `table` that a change to the type of `to`
 * would not keep (dialect.h lossy_count_sql): *out = -1 when nothing is
 * counted (the change cannot lose a value, or the dialect counts no such
 * change), else the count, and *what says what the counted values are
 * ("longer than 50 characters"). */
int dbs_count_lossy(dbs_planner *p, const char *table, const dbs_column *from, const dbs_column *to, int64_t *out,
	const char **what);

#endif
