/*
 * What a binding asks of a dialect or connection instead of deciding from
 * the dialect's name (dbsync/conn.h): every answer is read from the
 * dialect's data table, its backend table, or the connection's rule for
 * table names. No dialect is named here.
 */
#include "backend.h"
#include "backup_internal.h"
#include "dialect.h"

#include <string.h>

int dbsync_dialect_ddl_autocommits(dbsync_dialect dialect)
{
	const dbs_backend *be = dbs_backend_for(dialect);
	return be && be->ddl_autocommits;
}

const char *dbsync_backup_tool(dbsync_dialect dialect)
{
	const dbs_dialect_info *info = dbs_dialect_info_for(dialect);
	return info ? info->backup_tool : NULL;
}

const char *dbsync_backup_engine_method(dbsync_dialect dialect)
{
	const dbs_dialect_info *info = dbs_dialect_info_for(dialect);
	return info ? info->backup_engine_method : NULL;
}

const char *dbsync_backup_suffix(dbsync_dialect dialect)
{
	const dbs_dialect_info *info = dbs_dialect_info_for(dialect);
	return info ? info->backup_suffix : NULL;
}

int dbsync_backup_per_member(dbsync_dialect dialect, dbsync_backup_method method)
{
	const dbs_backend *be = dbs_backend_for(dialect);
	const dbs_backup_ops *ops = be ? be->backup : NULL;
	if (!ops)
		return 1; /* nothing known: one backup per member is never too little */
	if (ops->native_backup)
		return 0; /* a copy of the whole database file */
	/* the engine's dump holds the synced namespace alone, and AUTO falls
	 * back to it where the tool is missing or refuses the server */
	return method == DBSYNC_BACKUP_TOOL ? !ops->tool_whole_database : 1;
}

void dbsync_conn_table_key(const dbsync_conn *conn, const char *name, char *out)
{
	/* the same rule the planner's case fixes follow (backend.h) */
	bool fold = dbs_conn_name_case(conn) != DBS_NAMES_EXACT;
	size_t i = 0;
	for (; name[i]; i++) {
		char c = name[i];
		out[i] = fold && c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	out[i] = '\0';
}
