/*
 * The PostgreSQL session across failures (backend.h: backup / restore /
 * transient errors): whether libpq holds the connection lost, getting it
 * back, and the per-apply lock wait, which is set inside the transaction.
 */
#include <stdio.h>
#include <stdlib.h>

#include "backend_postgres.h"
#include "ctx.h"

bool dbs_pg_connection_broken(const dbsync_conn *conn)
{
	return PQstatus(dbs_pg_handle(conn)) == CONNECTION_BAD;
}

/* PQreset reconnects with the parameters libpq kept from the first connect
 * (password included, in its memory only); the session's search_path, which
 * puts the synced schema first, is set again, and so is the read-only guard
 * of a connection opened read-only. */
int dbs_pg_reconnect(dbsync_ctx *ctx, dbsync_conn *conn)
{
	dbs_pg_conn *pc = conn->impl;
	PQreset(pc->pg);
	free(pc->path_schema);
	pc->path_schema = NULL;
	if (PQstatus(pc->pg) != CONNECTION_OK)
		return dbs_error(ctx, DBSYNC_ECONNECT, "lost the connection to %s and could not reconnect",
			conn->describe);
	int rc = dbs_pg_sync_path(ctx, conn);
	if (rc) {
		dbs_error_prefix(ctx, "restoring search_path after reconnecting");
		return rc;
	}
	if (conn->readonly) {
		PGresult *res = PQexec(pc->pg, "SET default_transaction_read_only = on");
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			rc = dbs_pg_error(ctx, conn, res, "making the connection read-only again after reconnecting");
		PQclear(res);
	}
	return rc;
}

int dbs_pg_lock_wait_in_tx(dbsync_ctx *ctx, dbsync_conn *conn, unsigned ms)
{
	char sql[64];
	/* LOCAL: it ends with the transaction, the session keeps its own */
	snprintf(sql, sizeof sql, "SET LOCAL lock_timeout = %u", ms);
	return conn->backend->exec(ctx, conn, sql);
}
