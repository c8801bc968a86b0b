/*
 * MySQL/MariaDB fleets: the databases of one server are the namespaces
 * (backend.h: namespaces, use_namespace). Listing them is one catalog query;
 * switching the connection to one is lazy: the name is recorded at once
 * (synced_namespace, messages, the lock name and the catalog read use it)
 * and the session follows with COM_INIT_DB just before the next statement
 * the connection sends, so planning a member in sync costs no round trip.
 */
#include <stdlib.h>
#include <string.h>

#include "backend_mysql.h"
#include "ctx.h"
#include "dbsync/fleet.h"

/* The server's own databases and the engine's shadows
 * (backend_mysql_shadow.c: dbsync_shadow_<connection id>). */
bool dbs_my_reserved_db(const char *name)
{
	static const char *const own[] = { "information_schema", "mysql", "performance_schema", "sys" };
	for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
		if (strcmp(name, own[i]) == 0)
			return true;
	static const char shadow[] = "dbsync_shadow_";
	if (strncmp(name, shadow, sizeof shadow - 1) != 0 || !name[sizeof shadow - 1])
		return false;
	for (const char *p = name + sizeof shadow - 1; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int dbs_my_namespaces(char ***out, size_t *n, dbsync_ctx *ctx, dbsync_conn *conn)
{
	static const char sql[] = "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA";
	*out = NULL;
	*n = 0;
	/* names no database: a pending switch waits for a statement that does */
	MYSQL *db = dbs_my_db(conn);
	conn->catalog_queries++;
	MYSQL_RES *res = NULL;
	if (mysql_real_query(db, sql, sizeof sql - 1) || !(res = mysql_store_result(db)))
		return dbs_my_error(ctx, conn, "listing the databases failed");
	size_t rows = (size_t)mysql_num_rows(res), kept = 0;
	char **names = calloc(rows + 1, sizeof *names);
	MYSQL_ROW row;
	while (names && (row = mysql_fetch_row(res))) {
		if (!row[0] || dbs_my_reserved_db(row[0]))
			continue;
		if (!(names[kept] = strdup(row[0]))) {
			dbsync_names_free(names, kept);
			names = NULL;
			break;
		}
		kept++;
	}
	mysql_free_result(res);
	if (!names)
		return dbs_error_oom(ctx);
	/* byte order, the same on every server whatever its collation */
	qsort(names, kept, sizeof *names, by_name);
	*out = names;
	*n = kept;
	return 0;
}

/* The database the session is in, as the server reports each change of it
 * (session tracking: MariaDB 10.2+, MySQL 5.7+; a USE in a script included),
 * or NULL where it does not tell. */
static const char *session_db(const dbs_my_conn *mc)
{
	unsigned long server = 0, client = 0;
	const char *db = NULL;
	if (mariadb_get_infov(mc->db, MARIADB_CONNECTION_SERVER_CAPABILITIES, &server) ||
	    mariadb_get_infov(mc->db, MARIADB_CONNECTION_CLIENT_CAPABILITIES, &client) ||
	    !(server & client & CLIENT_SESSION_TRACKING) || mariadb_get_infov(mc->db, MARIADB_CONNECTION_SCHEMA, &db))
		return NULL;
	return db;
}

int dbs_my_use_namespace(dbsync_ctx *ctx, dbsync_conn *conn, const char *name)
{
	dbs_my_conn *mc = conn->impl;
	if (!name || !*name)
		return dbs_error(ctx, DBSYNC_EINVALID, "a database to sync needs a name");
	const char *now = session_db(mc);
	if (mc->dbname && strcmp(mc->dbname, name) == 0) {
		/* the same database; a USE in a script may have left it */
		mc->use_pending |= now && strcmp(now, name) != 0;
		return 0;
	}
	if (mc->locked)
		return dbs_error(ctx, DBSYNC_EINVALID, "cannot switch %s to database `%s`: it is applying a plan",
			conn->describe, name);
	char *dup = strdup(name), *describe = dbs_my_describe_db(mc, name);
	if (!dup || !describe) {
		free(dup);
		free(describe);
		return dbs_error_oom(ctx);
	}
	free(mc->dbname);
	mc->dbname = dup;
	free(conn->describe);
	conn->describe = describe;
	/* back to where the session is (the end of a fleet's plan): nothing to do */
	mc->use_pending = !now || strcmp(now, name) != 0;
	return 0;
}

int dbs_my_use_pending(dbsync_ctx *ctx, dbsync_conn *conn)
{
	dbs_my_conn *mc = conn->impl;
	if (!mc->use_pending)
		return 0;
	/* COM_INIT_DB also makes it the database a reconnect returns to */
	if (mysql_select_db(mc->db, mc->dbname))
		return dbs_my_error(ctx, conn, "selecting the database");
	mc->use_pending = false;
	return 0;
}

int dbs_my_put_literal(dbs_buf *b, dbsync_conn *conn, const char *s)
{
	size_t n = strlen(s);
	char *esc = malloc(2 * n + 1);
	if (!esc) {
		b->oom = true;
		return -1;
	}
	unsigned long len = mysql_real_escape_string(dbs_my_db(conn), esc, s, (unsigned long)n);
	dbs_buf_putc(b, '\'');
	dbs_buf_put(b, esc, len);
	free(esc);
	return dbs_buf_putc(b, '\'');
}
