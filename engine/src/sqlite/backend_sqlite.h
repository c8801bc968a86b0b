/* Private to the SQLite backend files (backend_sqlite*.c) and their tests. */
#ifndef DBS_BACKEND_SQLITE_H
#define DBS_BACKEND_SQLITE_H

#include <sqlite3.h>
#include <stdbool.h>

#include "backend.h"
#include "model.h"

/* One FK violation group seen by PRAGMA foreign_key_check: rows of `table`
 * whose reference into `parent` has no match. */
typedef struct dbs_sq_violation {
	char *table;
	char *parent;
	int64_t rows;
} dbs_sq_violation;

typedef struct dbs_sq_conn {
	sqlite3 *db;
	char *path;
	int timeout_ms;
	/* set by apply_begin for a plan that rebuilds tables */
	bool framed_fk;
	int saved_foreign_keys;
	int saved_legacy_alter;
	dbs_sq_violation *before;
	size_t n_before;
} dbs_sq_conn;

static inline sqlite3 *dbs_sq_db(const dbsync_conn *conn)
{
	return ((dbs_sq_conn *)conn->impl)->db;
}

/* Record the connection's current SQLite error (rc from the failing call) on ctx:
 * SQLITE_BUSY / SQLITE_LOCKED become DBSYNC_ELOCKED, everything else DBSYNC_EDB,
 * with the extended result code as native_code. `what` says what was being done. */
int dbs_sq_error(dbsync_ctx *ctx, dbsync_conn *conn, int rc, const char *what);

/* A connection met a hot journal it may not roll back (SQLITE_READONLY_ROLLBACK:
 * it is read-only, or SQLite opened the file read-only) in the database `name`:
 * roll it back through a short read-write connection when this process may
 * write the file and its directory, else record what to do.
 * backend_sqlite_journal.c. */
int dbs_sq_roll_back_hot_journal(dbsync_ctx *ctx, const char *name, int timeout_ms);
/* Whether the database file `name` (a plain path) is in WAL mode, and why such
 * a database cannot be read by this process (SQLITE_READONLY_DIRECTORY: it may
 * not create the -wal and -shm files). */
bool dbs_sq_is_wal(const char *name);
int dbs_sq_wal_unreadable(dbsync_ctx *ctx, const char *name);

/* Backups through the online backup API (backup_sqlite.c). */
extern const struct dbs_backup_ops dbs_sq_backup_ops;

/* How much of the catalog introspection trusts the parser. */
enum {
	DBS_SQ_PARSE = 0,        /* parse every CREATE statement, pragma rows correct it */
	DBS_SQ_PRAGMA_ONLY = 1,  /* build the model from pragma rows alone (tests, fallback) */
	DBS_SQ_PARSE_EACH = 2    /* parse object by object, as after a failed whole parse (tests) */
};

/* The backend's introspect, with a mode for tests. Runs exactly
 * DBS_SQ_CATALOG_QUERIES catalog queries, whatever the number of tables. */
int dbs_sq_introspect(dbsync_schema **out, dbsync_ctx *ctx, dbsync_conn *conn, int mode);
#define DBS_SQ_CATALOG_QUERIES 4

/* Bring the parsed table `t` in line with what SQLite's pragmas report (`p`,
 * built by the pragma-only path): the pragma wins wherever it has the fact.
 * Both tables live in `s` / `ps`. Returns 0 or -1 on OOM. */
int dbs_sq_reconcile_table(dbsync_schema *s, dbs_table *t, const dbsync_schema *ps, const dbs_table *p);

/* The backend's inspect slot (inspect_sqlite.c): views, sizes, row estimates. */
struct dbs_insp;
int dbs_insp_sqlite(struct dbs_insp *in, dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_schema *live,
	unsigned what);

#endif
