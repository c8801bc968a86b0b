/* The plan object, shared by the planner (plan.c) and apply (apply.c). */
#ifndef DBS_PLAN_INTERNAL_H
#define DBS_PLAN_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "dbsync/plan.h"
#include "model.h"

struct dbsync_plan {
	dbs_arena arena;
	dbsync_dialect dialect;
	DBS_VEC(dbsync_op *) ops;       /* in execution order; each owned by the arena */
	const dbsync_schema *desired;   /* borrowed: the caller keeps it alive until the plan is freed */
	const char *namespace_name;     /* the schema/database conn synced when planned (arena), or NULL */
	dbsync_plan_options opts;       /* metadata_json copied into the arena */
	bool foreign_keys_off;          /* SQLite: a rebuild needs PRAGMA foreign_keys=OFF around the transaction */
	/* the live schema the plan was computed from: apply reads the catalog
	 * again under the sync lock and refuses a plan made for another state */
	uint64_t live_fingerprint;
	/* plan_unmanaged.c: what no model could declare, kept or dropped */
	DBS_VEC(dbsync_unmanaged) unmanaged;
	/* fills that wait for a value the caller computes when applying (plan_fill.c) */
	DBS_VEC(dbsync_fill) fills;
};

/* plan.c, for fleets (fleet.c): dbsync_plan_compute in its parts. */
/* The desired schema suits conn: its dialect, and the namespace its qualified
 * names name is the one conn syncs. */
int dbs_plan_check_target(dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_schema *desired);
/* Plan from `live` (taken: freed here, also on failure). `want` is the
 * server's spelling of `desired` made beforehand (or desired itself), NULL to
 * make it here. */
int dbs_plan_compute_from(dbsync_plan **out, dbsync_ctx *ctx, dbsync_conn *conn,
	const dbsync_schema *desired, dbsync_schema *live, const dbsync_schema *want,
	const dbsync_plan_options *opts);
/* The server's spelling of the desired tables that differ in any of lives[]
 * (NULL entries skipped): *out stays NULL when the parsed schema serves. */
int dbs_plan_normalize_for(dbsync_schema **out, dbsync_ctx *ctx, dbsync_conn *conn,
	const dbsync_schema *desired, const dbsync_schema *const *lives, size_t n_lives);
int dbs_plan_mark_differing(dbsync_ctx *ctx, const dbsync_schema *live, const dbsync_schema *desired,
	bool *only, size_t *n_only, bool *lost);

#endif
