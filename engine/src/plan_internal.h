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
	dbsync_plan_options opts;       /* metadata_json copied into the arena */
	bool foreign_keys_off;          /* SQLite: a rebuild needs PRAGMA foreign_keys=OFF around the transaction */
	/* the live schema the plan was computed from: apply reads the catalog
	 * again under the sync lock and refuses a plan made for another state */
	uint64_t live_fingerprint;
	/* fills that wait for a value the caller computes when applying (plan_fill.c) */
	DBS_VEC(dbsync_fill) fills;
};

#endif
