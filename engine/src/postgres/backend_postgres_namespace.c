/*
 * PostgreSQL schemas as the members of a fleet (backend.h: fleets): the
 * database's schemas, and switching the schema a connection syncs.
 *
 * The switch is lazy. A fleet plans a thousand schemas over one connection,
 * switching to each in turn; a schema in sync runs no statement at all, so
 * setting search_path at every switch would be a round trip per member for
 * nothing. use_namespace only records the schema; dbs_pg_sync_path puts it
 * on the server right before a statement that depends on it.
 */
#include <stdlib.h>
#include <string.h>

#include "backend_postgres.h"
#include "ctx.h"

/* The server's own schemas and the engine's shadows (backend_postgres_shadow.c
 * names them dbsync_shadow_<pid>_<n>) are never members. C collation: the
 * names sort as strcmp sorts them, whatever the database's collation. */
static const char q_namespaces[] =
	"SELECT n.nspname FROM pg_catalog.pg_namespace n "
	"WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') "
	"AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%' "
	"AND n.nspname NOT LIKE 'dbsync\\_shadow\\_%' "
	"ORDER BY n.nspname COLLATE \"C\"";

int dbs_pg_namespaces(char ***out, size_t *n, dbsync_ctx *ctx, dbsync_conn *conn)
{
	dbs_pg_conn *pc = conn->impl;
	*out = NULL;
	*n = 0;
	conn->catalog_queries++;
	PGresult *res = PQexec(pc->pg, q_namespaces);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		int rc = dbs_pg_error(ctx, conn, res, "listing the schemas failed");
		PQclear(res);
		return rc;
	}
	int rows = PQntuples(res);
	char **names = calloc((size_t)rows + 1, sizeof *names);
	int rc = names ? 0 : dbs_error_oom(ctx);
	for (int i = 0; !rc && i < rows; i++)
		if (!(names[i] = strdup(PQgetvalue(res, i, 0))))
			rc = dbs_error_oom(ctx);
	PQclear(res);
	if (rc) {
		for (int i = 0; names && i < rows; i++)
			free(names[i]);
		free(names);
		return rc;
	}
	*out = names;
	*n = (size_t)rows;
	return 0;
}

int dbs_pg_use_namespace(dbsync_ctx *ctx, dbsync_conn *conn, const char *name)
{
	dbs_pg_conn *pc = conn->impl;
	if (!name || !*name)
		return dbs_error(ctx, DBSYNC_EINVALID, "no schema named to sync in %s", conn->describe);
	if (strcmp(name, pc->schema) == 0)
		return 0;
	char *copy = strdup(name);
	if (!copy)
		return dbs_error_oom(ctx);
	free(pc->schema);
	pc->schema = copy;
	return 0;
}

/* search_path is `<schema>, <the path at connect>`, never the path of the
 * moment: a thousand switches leave it as short as one. The CASE makes
 * current_schema() run after set_config: it is the first schema of the path
 * that exists and that the role may use, so anything else means ours is not. */
static const char q_sync_path[] =
	"SELECT CASE WHEN pg_catalog.set_config('search_path', pg_catalog.quote_ident($1) || "
	"CASE WHEN $2 = '' THEN '' ELSE ', ' || $2 END, false) IS NULL THEN NULL "
	"ELSE pg_catalog.current_schema() END";

int dbs_pg_sync_path(dbsync_ctx *ctx, dbsync_conn *conn)
{
	dbs_pg_conn *pc = conn->impl;
	PGTransactionStatusType tx = PQtransactionStatus(pc->pg);
	bool set = pc->path_schema && strcmp(pc->path_schema, pc->schema) == 0;
	/* set inside a transaction that has ended since: a rollback undid it */
	if (set && pc->path_in_txn && tx == PQTRANS_IDLE)
		set = false;
	if (set)
		return 0;
	const char *vals[] = { pc->schema, pc->base_path ? pc->base_path : "" };
	PGresult *res = PQexecParams(pc->pg, q_sync_path, 2, NULL, vals, NULL, NULL, 0);
	int rc = 0;
	free(pc->path_schema);
	pc->path_schema = NULL;
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		rc = dbs_pg_error(ctx, conn, res, "setting search_path");
	} else if (PQgetisnull(res, 0, 0) || strcmp(PQgetvalue(res, 0, 0), pc->schema) != 0) {
		/* path_schema stays NULL: every statement fails here until another
		 * schema is chosen, none lands in the next schema of the path */
		rc = dbs_error(ctx, DBSYNC_EINVALID, "schema \"%s\" does not exist in %s (or this role may not "
			"use it)", pc->schema, conn->describe);
	} else if (!(pc->path_schema = strdup(pc->schema))) {
		rc = dbs_error_oom(ctx);
	} else {
		pc->path_in_txn = tx != PQTRANS_IDLE;
	}
	PQclear(res);
	return rc;
}
