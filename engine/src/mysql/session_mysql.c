/*
 * The MySQL/MariaDB session across failures (backend.h: backup / restore /
 * transient errors): getting a lost connection back, the server's id of the
 * session (a lost session's statement may still run there), and the
 * per-apply lock wait, a session variable in whole seconds.
 */
#include <inttypes.h>
#include <stdio.h>

#include "backend_mysql.h"
#include "ctx.h"

/* Connector/C reconnects with the host, credentials, database and options it
 * kept from mysql_real_connect, but only when reconnecting is switched on;
 * it is switched on just for this, so no statement ever silently reconnects. */
int dbs_my_reconnect(dbsync_ctx *ctx, dbsync_conn *conn)
{
	MYSQL *db = dbs_my_db(conn);
	my_bool on = 1, off = 0;
	mysql_optionsv(db, MYSQL_OPT_RECONNECT, &on);
	my_bool failed = mariadb_reconnect(db);
	mysql_optionsv(db, MYSQL_OPT_RECONNECT, &off);
	if (failed)
		return dbs_error_db(ctx, DBSYNC_ECONNECT, NULL, (int)mysql_errno(db),
			"lost the connection to %s and could not reconnect: %s", conn->describe, mysql_error(db));
	/* the connector went back to the database it last selected, which a
	 * USE in a script (the shadow's) may have left behind: select the
	 * synced one again before the next statement */
	((dbs_my_conn *)conn->impl)->use_pending = true;
	return 0;
}

uint64_t dbs_my_session_id(const dbsync_conn *conn)
{
	return mysql_thread_id(dbs_my_db(conn));
}

int dbs_my_session_running(bool *running, dbsync_ctx *ctx, dbsync_conn *conn, uint64_t id)
{
	char sql[128];
	int64_t n = 0;
	snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = %" PRIu64, id);
	int rc = conn->backend->query_int64(&n, ctx, conn, sql);
	*running = n != 0;
	return rc;
}

int dbs_my_lock_wait_set(dbsync_ctx *ctx, dbsync_conn *conn, unsigned ms, int64_t *saved)
{
	int rc = conn->backend->query_int64(saved, ctx, conn, "SELECT @@SESSION.lock_wait_timeout");
	if (rc)
		return rc;
	char sql[64];
	/* whole seconds only; rounding up so a small value never means "no wait" */
	snprintf(sql, sizeof sql, "SET SESSION lock_wait_timeout = %u", (ms + 999) / 1000);
	return conn->backend->exec(ctx, conn, sql);
}

void dbs_my_lock_wait_restore(dbsync_conn *conn, int64_t saved)
{
	/* the error of the apply is the one to keep: this one goes to a scratch ctx */
	dbsync_ctx *scratch = NULL;
	char sql[64];
	snprintf(sql, sizeof sql, "SET SESSION lock_wait_timeout = %" PRId64, saved);
	if (dbsync_ctx_new(&scratch) == 0) {
		conn->backend->exec(scratch, conn, sql);
		dbsync_ctx_free(scratch);
	}
}
