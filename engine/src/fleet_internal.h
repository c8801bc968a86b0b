/* The fleet object (fleet.c), read by the fleet report (report_json.c). */
#ifndef DBS_FLEET_INTERNAL_H
#define DBS_FLEET_INTERNAL_H

#include <stdint.h>

#include "dbsync/fleet.h"

typedef struct dbs_fleet_member {
	dbsync_member_state state;
	dbsync_plan *plan;     /* NULL when it failed before it was planned */
	dbsync_error err;      /* when FAILED; err.message is `message`: "schema \"x\": why" */
	char *message;
} dbs_fleet_member;

struct dbsync_fleet {
	const dbsync_schema *desired;   /* borrowed */
	const char *word;               /* the dialect's namespace_word: "schema", "database" */
	dbsync_schema *normalized;      /* the server's spelling for every member, or NULL: as parsed */
	size_t n;
	char **names;
	dbs_fleet_member *members;
	uint64_t catalog_queries;       /* made by dbsync_fleet_plan */
};

#endif
