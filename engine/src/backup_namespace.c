/*
 * A backup of one namespace of a server (dbsync/backup.h:
 * dbsync_conn_backup_namespace): what a fleet whose backups hold one
 * member each (dbsync_backup_per_member) writes before it is applied. The
 * connection is switched to the member the way a fleet switches it
 * (backend.h: use_namespace), backed up, and switched back.
 */
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "ctx.h"
#include "dbsync/backup.h"

int dbsync_conn_backup_namespace(dbsync_ctx *ctx, dbsync_conn *conn, const char *name, const char *path,
	const dbsync_backup_options *opts, dbsync_backup_method *out_method)
{
	if (!conn || !name || !*name)
		return dbs_error(ctx, DBSYNC_EINVALID, "dbsync_conn_backup_namespace needs a connection and a name");
	const dbs_backend *be = conn->backend;
	if (!be->use_namespace || !be->synced_namespace)
		return dbs_error(ctx, DBSYNC_EUNSUPPORTED, "%s has no schemas or databases to back up one by one",
			dbsync_conn_describe(conn));
	const char *was = be->synced_namespace(conn);
	char *back = was ? strdup(was) : NULL;
	if (was && !back)
		return dbs_error_oom(ctx);
	int rc = be->use_namespace(ctx, conn, name);
	if (!rc)
		rc = dbsync_conn_backup(ctx, conn, path, opts, out_method);
	if (back) {
		/* the caller's namespace again, whatever happened; its own error first */
		dbsync_ctx *quiet = NULL;
		if (dbsync_ctx_new(&quiet) == 0) {
			int brc = be->use_namespace(quiet, conn, back);
			if (brc && !rc)
				rc = dbs_error(ctx, brc, "%s", dbsync_ctx_error(quiet)->message);
			dbsync_ctx_free(quiet);
		} else if (!rc)
			rc = dbs_error_oom(ctx);
		free(back);
	}
	return rc;
}
