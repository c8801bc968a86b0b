/*
 * The PostgreSQL session across failures (backend.h: backup / restore /
 * transient errors): whether libpq holds the connection lost, getting it
 * back, and the per-apply lock wait, which is set inside the transaction.
 */
#include <stdio.h>

#include "backend_postgres.h"
#include "ctx.h"

bool dbs_pg_connection_broken(const dbsync_conn *conn)
{
	return PQstatus(dbs_pg_handle(conn)) == CONNECTION_BAD;
}

/* PQreset reconnects with the parameters libpq kept from the first connect
 * (password included, in its memory only); the session's search_path, set
 * at connect to put the synced schema first, is set again. */
int dbs_pg_reconnect(dbsync_ctx *ctx, dbsync_conn *conn)
{
	dbs_pg_conn *pc = conn->impl;
	PQreset(pc->pg);
	if (PQstatus(pc->pg) != CONNECTION_OK)
		return dbs_error(ctx, DBSYNC_ECONNECT, "lost the connection to %s and could not reconnect",
			conn->describe);
	const char *vals[] = { pc->schema };
	PGresult *res = PQexecParams(pc->pg, DBS_PG_SQL_SCHEMA_FIRST, 1, NULL, vals, NULL, NULL, 0);
	int rc = 0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = dbs_pg_error(ctx, conn, res, "restoring search_path after reconnecting");
	PQclear(res);
	return rc;
}

int dbs_pg_lock_wait_in_tx(dbsync_ctx *ctx, dbsync_conn *conn, unsigned ms)
{
	char sql[64];
	/* LOCAL: it ends with the transaction, the session keeps its own */
	snprintf(sql, sizeof sql, "SET LOCAL lock_timeout = %u", ms);
	return conn->backend->exec(ctx, conn, sql);
}
