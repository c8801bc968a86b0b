/*
 * SQLite backups through the online backup API: a consistent copy page by
 * page while other connections keep working, and the same API the other way
 * round to restore.
 */
#include <sqlite3.h>
#include <string.h>

#include "backend_sqlite.h"
#include "backup_internal.h"
#include "ctx.h"

/* Copy every page of src into dst. A writer holding the source busy makes
 * a step wait and try again; SQLite restarts the copy itself when the source
 * changes meanwhile through another connection. */
static int copy_pages(dbsync_ctx *ctx, sqlite3 *dst, sqlite3 *src, const char *what)
{
	sqlite3_backup *bk = sqlite3_backup_init(dst, "main", src, "main");
	if (!bk)
		return dbs_error_db(ctx, DBSYNC_EDB, NULL, sqlite3_extended_errcode(dst), "%s: %s", what,
			sqlite3_errmsg(dst));
	int rc;
	do {
		rc = sqlite3_backup_step(bk, 256);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(20);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(bk);
	if (rc != SQLITE_DONE)
		return dbs_error_db(ctx, rc == SQLITE_BUSY ? DBSYNC_ELOCKED : DBSYNC_EDB, NULL,
			sqlite3_extended_errcode(dst), "%s: %s", what, sqlite3_errstr(rc));
	return 0;
}

static int sq_backup(dbsync_ctx *ctx, dbsync_conn *conn, dbs_out_file *f)
{
	sqlite3 *dst = NULL;
	int rc = sqlite3_open_v2(f->tmp_path, &dst, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK) {
		rc = dbs_error_db(ctx, DBSYNC_EDB, NULL, rc, "cannot write the backup file %s: %s", f->path,
			dst ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
		goto cleanup;
	}
	rc = copy_pages(ctx, dst, dbs_sq_db(conn), "copying the database");
cleanup:
	if (dst && sqlite3_close(dst) != SQLITE_OK && !rc)
		rc = dbs_error(ctx, DBSYNC_EDB, "cannot close the backup file %s", f->path);
	return rc;
}

static int sq_restore(dbsync_ctx *ctx, dbsync_conn *conn, const char *path)
{
	sqlite3 *src = NULL;
	sqlite3 *db = dbs_sq_db(conn);
	int rc;
	if (!sqlite3_get_autocommit(db))
		return dbs_error(ctx, DBSYNC_EINVALID, "a transaction is open on this connection");
	rc = sqlite3_open_v2(path, &src, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK) {
		/* a file that is not a database only says so when read */
		rc = sqlite3_exec(src, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
	}
	if (rc != SQLITE_OK) {
		rc = dbs_error_db(ctx, DBSYNC_EINVALID, NULL, rc, "cannot read the backup file %s: %s", path,
			src ? sqlite3_errmsg(src) : sqlite3_errstr(rc));
		goto cleanup;
	}
	rc = copy_pages(ctx, db, src, "copying the backup in");
cleanup:
	if (src)
		sqlite3_close(src);
	return rc;
}

const dbs_backup_ops dbs_sq_backup_ops = {
	.native_backup = sq_backup,
	.native_restore = sq_restore,
	.no_tool_reason = "SQLite backups use the online backup API; there is no external tool method",
};
