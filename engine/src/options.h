/*
 * Options structs of every version a caller may have been built with. Each
 * public options struct starts with `unsigned int version` and only ever grows
 * at its end, one version at a time; a caller built against an older header
 * passes the older, shorter layout. These read such a struct into the current
 * layout: the fields the caller's version has are taken from it, the fields
 * added later keep their defaults. A version of 0 or above the current one is
 * DBSYNC_EINVALID naming the struct. NULL reads as the defaults.
 */
#ifndef DBS_OPTIONS_H
#define DBS_OPTIONS_H

#include "dbsync/backup.h"
#include "dbsync/django.h"
#include "dbsync/fleet.h"
#include "dbsync/inspect.h"
#include "dbsync/plan.h"

int dbs_plan_options_read(dbsync_plan_options *out, dbsync_ctx *ctx, const dbsync_plan_options *in);
int dbs_apply_options_read(dbsync_apply_options *out, dbsync_ctx *ctx, const dbsync_apply_options *in);
int dbs_inventory_options_read(dbsync_inventory_options *out, dbsync_ctx *ctx,
	const dbsync_inventory_options *in);
int dbs_table_options_read(dbsync_table_options *out, dbsync_ctx *ctx, const dbsync_table_options *in);
int dbs_models_options_read(dbsync_models_options *out, dbsync_ctx *ctx, const dbsync_models_options *in);
int dbs_backup_options_read(dbsync_backup_options *out, dbsync_ctx *ctx, const dbsync_backup_options *in);
int dbs_fleet_options_read(dbsync_fleet_options *out, dbsync_ctx *ctx, const dbsync_fleet_options *in);

#endif
