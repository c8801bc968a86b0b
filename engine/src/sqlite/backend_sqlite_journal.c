/*
 * A hot journal met by a connection that may not roll it back.
 *
 * A writer that stops inside a transaction (a crash, SIGKILL, power loss) in
 * rollback-journal mode leaves the database file partly written and, next to
 * it, the journal that undoes those writes. SQLite calls it hot: the next
 * connection must roll it back before it may read anything. A read-only
 * connection may not, so every read fails with SQLITE_READONLY_ROLLBACK
 * ("attempt to write a readonly database").
 *
 * Rolling the journal back changes no committed byte: it restores the last
 * committed state, the one every reader sees and the one any read-write open
 * (Django's own, the sqlite3 shell) restores first thing. So a read-only run
 * lets a short read-write connection do it when this process may write the
 * file and its directory (the journal is deleted afterwards), and otherwise
 * stops with what to do instead of SQLite's bare message.
 *
 * A WAL-mode database is read through its -wal and -shm files, which exist
 * only while some connection has it open; a reader that may not create them
 * in the directory gets SQLITE_READONLY_DIRECTORY, explained the same way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend_sqlite.h"
#include "ctx.h"

/* Whether this process may create and delete files in the directory of the
 * plain path `name` (as the journal's deletion needs). */
static bool dir_writable(const char *name)
{
	const char *slash = strrchr(name, '/');
	if (!slash)
		return access(".", W_OK | X_OK) == 0;
	size_t n = slash == name ? 1 : (size_t)(slash - name);
	char *dir = malloc(n + 1);
	if (!dir)
		return false;
	memcpy(dir, name, n);
	dir[n] = '\0';
	bool ok = access(dir, W_OK | X_OK) == 0;
	free(dir);
	return ok;
}

/* The error for a hot journal this process cannot roll back; `why` says what
 * it may not write. */
static int cannot_roll_back(dbsync_ctx *ctx, const char *name, bool uri, const char *why)
{
	return dbs_error_db(ctx, DBSYNC_ECONNECT, NULL, SQLITE_READONLY_ROLLBACK,
		"cannot read the SQLite database '%s': a writer stopped in the middle of a transaction (it crashed "
		"or was killed) and left a hot journal (%s%s), which SQLite must roll back before anyone can read "
		"the database, and %s. Open the database once as a user who may write the file and its directory "
		"(for example `sqlite3 %s 'PRAGMA quick_check'`, which rolls the journal back to the last committed "
		"state), then run dbsync again",
		name, uri ? "the journal file next to it" : name, uri ? "" : "-journal", why, name);
}

int dbs_sq_roll_back_hot_journal(dbsync_ctx *ctx, const char *name, int timeout_ms)
{
	bool uri = strncmp(name, "file:", 5) == 0;
	if (!uri && access(name, W_OK) != 0)
		return cannot_roll_back(ctx, name, uri, "this user may not write the database file");
	if (!uri && !dir_writable(name))
		return cannot_roll_back(ctx, name, uri,
			"this user may not create or delete files in its directory");
	sqlite3 *db = NULL;
	/* no SQLITE_OPEN_CREATE: the file exists, and must not be made anew */
	int rc = sqlite3_open_v2(name, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, NULL);
	if (rc == SQLITE_OK && sqlite3_db_readonly(db, "main") == 1) {
		sqlite3_close_v2(db);
		return cannot_roll_back(ctx, name, uri,
			"SQLite opens the file only read-only (a read-only mount?)");
	}
	if (rc == SQLITE_OK) {
		sqlite3_extended_result_codes(db, 1);
		sqlite3_busy_timeout(db, timeout_ms);
		/* the first read takes the shared lock, and with it rolls the journal back */
		rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
	}
	if (rc != SQLITE_OK) {
		int ext = db ? sqlite3_extended_errcode(db) : rc;
		rc = dbs_error_db(ctx, (rc & 0xff) == SQLITE_BUSY ? DBSYNC_ELOCKED : DBSYNC_ECONNECT, NULL, ext,
			"cannot read the SQLite database '%s': rolling back the hot journal a writer left behind (it "
			"stopped in the middle of a transaction) failed: %s", name,
			db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close_v2(db);
		return rc;
	}
	sqlite3_close_v2(db);
	return 0;
}

bool dbs_sq_is_wal(const char *name)
{
	/* the header's read and write versions (bytes 18 and 19) are 2 in WAL mode */
	unsigned char header[20];
	FILE *f = strncmp(name, "file:", 5) == 0 ? NULL : fopen(name, "rb");
	bool wal = f && fread(header, 1, sizeof header, f) == sizeof header && header[18] == 2 && header[19] == 2;
	if (f)
		fclose(f);
	return wal;
}

int dbs_sq_wal_unreadable(dbsync_ctx *ctx, const char *name)
{
	return dbs_error_db(ctx, DBSYNC_ECONNECT, NULL, SQLITE_READONLY_DIRECTORY,
		"cannot read the SQLite database '%s': it is in WAL mode, and SQLite reads such a database only "
		"through its -wal and -shm files, which exist only while a connection has it open and which this "
		"user may not create in its directory. Run dbsync as a user who may create files there, or while "
		"the application holds the database open, or switch the database to the rollback journal (as its "
		"owner: `sqlite3 %s 'PRAGMA journal_mode=DELETE'`)", name, name);
}
