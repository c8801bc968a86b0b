/*
 * libdbsync: run reports. The JSON report is the record (its schema is
 * docs/report.schema.json, versioned by "report_version"); the HTML report is
 * rendered from it, one self-contained file with no network fetches.
 */
#ifndef DBSYNC_REPORT_H
#define DBSYNC_REPORT_H

#include "dbsync/common.h"
#include "dbsync/conn.h"
#include "dbsync/plan.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * The JSON report of a run. `plan` gives the operations (SQL, risk, status,
 * timing, attempts, error, affected counts); `conn` the vendor, server version
 * and safe description (no credentials); `context_json` (may be NULL) is what
 * only the caller knows, merged in as is, for example:
 * {"tool": "<name and version>", "database": {...}, "selection": {...},
 *  "started_at": "ISO-8601", "finished_at": "...",
 *  "mode": "apply|dry_run|check", "inventory": <dbsync_conn_inventory JSON>,
 *  "backup": "path"|null}
 * (docs/report.schema.json lists every key the report may hold).
 * `plan` may be NULL (a run with nothing selected). Caller frees *out.
 */
DBSYNC_EXTERN(int) dbsync_report_json(char **out, dbsync_ctx *ctx, const dbsync_plan *plan,
	dbsync_conn *conn, const char *context_json);

/** The HTML report rendered from a JSON report. Caller frees *out. */
DBSYNC_EXTERN(int) dbsync_report_html(char **out, dbsync_ctx *ctx, const char *report_json);

#ifdef __cplusplus
}
#endif

#endif
