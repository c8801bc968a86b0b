/* Private to the PostgreSQL backend files (backend_postgres*.c) and their tests. */
#ifndef DBS_BACKEND_POSTGRES_H
#define DBS_BACKEND_POSTGRES_H

#include <libpq-fe.h>
#include <stdint.h>

#include "backend.h"
#include "model.h"

typedef struct dbs_pg_conn {
	PGconn *pg;
	char *schema;       /* the schema synced: current_schema() at connect, or the "schema" option */
	char *dbname;       /* for messages */
	int server_num;     /* server_version_num, e.g. 150020 */
} dbs_pg_conn;

static inline PGconn *dbs_pg_handle(const dbsync_conn *conn)
{
	return ((dbs_pg_conn *)conn->impl)->pg;
}

/* Record the error of a failed result (res may be NULL: then the connection's
 * message) on ctx. A lost connection, or a SQLSTATE of class 08 or 57P0x,
 * becomes DBSYNC_ECONNECT; 55P03 (lock not available) DBSYNC_ELOCKED; anything
 * else DBSYNC_EDB. `what` says what was being done. */
int dbs_pg_error(dbsync_ctx *ctx, dbsync_conn *conn, const PGresult *res, const char *what);

/* The backend's introspect. Runs DBS_PG_CATALOG_QUERIES catalog queries for the
 * whole schema, plus BEGIN and COMMIT around them when no transaction is open
 * (so all of them read one snapshot); every round trip is counted. */
int dbs_pg_introspect(dbsync_schema **out, dbsync_ctx *ctx, dbsync_conn *conn);
#define DBS_PG_CATALOG_QUERIES 4

/* The advisory lock key every dbsync run takes on a database (a hash of
 * "django-dbsync", so it does not collide with small application keys). */
int64_t dbs_pg_lock_key(void);

#endif
