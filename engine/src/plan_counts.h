/* Data-loss counts: how much data each data-loss operation of a plan touches. */
#ifndef DBS_PLAN_COUNTS_H
#define DBS_PLAN_COUNTS_H

#include "plan_build.h"

/*
 * Fill dbsync_op.affected of every pending or skipped DATA_LOSS operation,
 * counted on the live database: rows of a dropped table, non-null values of a
 * dropped (or regenerated) column, and for a SQLite rebuild the non-null values
 * of the columns it drops (each also noted on its detail line). Runs after the
 * stages are collected, while the diff is alive; a no-op when the plan options
 * turn counting off. Errors name the table and column counted. With
 * DBSYNC_COUNT_ESTIMATE the catalog's row estimate of each table instead
 * (dbsync_op.affected_estimated), read in a fixed number of catalog queries.
 */
int dbs_plan_count_data_loss(dbs_planner *p);

#endif
