/* Private to the MySQL/MariaDB backend files (backend_mysql*.c) and their tests. */
#ifndef DBS_BACKEND_MYSQL_H
#define DBS_BACKEND_MYSQL_H

#include <mysql.h>
#include <stdbool.h>

#include "backend.h"
#include "model.h"

typedef struct dbs_my_conn {
	MYSQL *db;
	/* The database synced (synced_namespace). use_namespace changes it at
	 * once but only records that the session must follow (use_pending):
	 * dbs_my_use_pending selects it before the next statement, so switching
	 * a fleet's members costs no round trip where nothing runs. */
	char *dbname;
	bool use_pending;
	/* conn->describe around the database's name, to name the member synced */
	char *describe_head, *describe_tail;
	/* the RELEASE_LOCK statement of the lock apply_begin took */
	char *release_sql;
	bool mariadb;
	/* major * 10000 + minor * 100 + patch: 101119 for MariaDB 10.11.19 */
	unsigned long version;
	/* the server's rule for table names, read once at connect: 0 stored as
	 * given and compared exactly, 1 stored lower-case, 2 stored as given and
	 * compared lower-case */
	int lower_case_table_names;
	bool locked;                 /* apply_begin took the GET_LOCK */
	/* The last shadow normalization (backend_mysql_shadow.c), reused while
	 * the desired DDL and the database's default charset and collation are
	 * the same: a plan, its apply's verification and a re-plan on one
	 * connection run the shadow once. */
	char *shadow_key;
	dbsync_schema *shadow_result;
} dbs_my_conn;

static inline MYSQL *dbs_my_db(const dbsync_conn *conn)
{
	return ((dbs_my_conn *)conn->impl)->db;
}

/* Select the database use_namespace recorded, if the session is not in it
 * yet (one round trip then, none otherwise). Every statement the backend
 * sends goes after it. */
int dbs_my_use_pending(dbsync_ctx *ctx, dbsync_conn *conn);

/* Append `s` as a string literal the connection's server reads back as `s`
 * (mysql_real_escape_string: it knows the session's NO_BACKSLASH_ESCAPES). */
int dbs_my_put_literal(dbs_buf *b, dbsync_conn *conn, const char *s);

/* conn->describe for database `name` (malloc'd), or NULL on OOM. */
char *dbs_my_describe_db(const dbs_my_conn *mc, const char *name);

/* The fleet slots (namespace_mysql.c, backend_mysql_introspect.c). */
int dbs_my_namespaces(char ***out, size_t *n, dbsync_ctx *ctx, dbsync_conn *conn);
int dbs_my_use_namespace(dbsync_ctx *ctx, dbsync_conn *conn, const char *name);
int dbs_my_introspect_many(dbsync_schema **outs, dbsync_ctx *ctx, dbsync_conn *conn,
	const char *const *names, size_t n);

/* Whether `name` is the server's own database or one of the engine's
 * shadows (never a namespace to sync). */
bool dbs_my_reserved_db(const char *name);

/* Record the connection's current MySQL error on ctx with its SQLSTATE and
 * errno: a lost connection becomes DBSYNC_ECONNECT, everything else
 * DBSYNC_EDB. `what` says what was being done. */
int dbs_my_error(dbsync_ctx *ctx, dbsync_conn *conn, const char *what);

/* The backend's introspect. Runs DBS_MY_CATALOG_QUERIES catalog queries,
 * whatever the number of tables (one fewer on a server without CHECK
 * constraints: MariaDB before 10.2, MySQL before 8.0.16), plus one per table
 * with foreign keys for a user the server hides their actions from
 * (dbs_my_fk_actions_from_ddl). */
int dbs_my_introspect(dbsync_schema **out, dbsync_ctx *ctx, dbsync_conn *conn);
#define DBS_MY_CATALOG_QUERIES 6
/* The same for database `name`, wherever the session is (the shadow). */
int dbs_my_introspect_db(dbsync_schema **out, dbsync_ctx *ctx, dbsync_conn *conn, const char *name);

/* For a user the server shows no REFERENTIAL_CONSTRAINTS rows (MariaDB:
 * SELECT alone on the database): set the actions of table t's `fkeys`
 * foreign keys from SHOW CREATE TABLE, one more catalog query per such
 * table. Fails, naming the table and the grant, when not all are found. */
int dbs_my_fk_actions_from_ddl(dbsync_ctx *ctx, dbsync_conn *conn, const char *dbname, dbsync_schema *s,
	dbs_table *t, size_t fkeys);

/* True when the server has information_schema.CHECK_CONSTRAINTS. */
bool dbs_my_has_checks(const dbs_my_conn *mc);

/* Canonical type from information_schema.COLUMNS' COLUMN_TYPE and
 * DATA_TYPE: lower case, integer display widths dropped except tinyint(1)
 * and ZEROFILL ("int(10) unsigned" -> "int unsigned"). NULL on OOM. */
const char *dbs_my_column_type(dbs_arena *a, const char *column_type, const char *data_type);

/* Canonical default expression from COLUMN_DEFAULT, or NULL for none / NULL.
 * mariadb_quoting: the server quotes literals and says NULL for a null
 * default (MariaDB 10.2.7+); else MySQL's bare values, with expressions
 * flagged by DEFAULT_GENERATED in `extra`. *oom set when out of memory. */
const char *dbs_my_column_default(dbs_arena *a, bool mariadb_quoting, const char *dflt,
	const char *data_type, const char *extra, bool *oom);

/* normalize_desired (backend_mysql_shadow.c): the desired DDL run in a
 * throwaway database `dbsync_shadow_<connection id>`, read back with the
 * catalog queries, and the database dropped on every path. */
int dbs_my_normalize_desired(dbsync_schema **out, dbsync_ctx *ctx, dbsync_conn *conn,
	const dbsync_schema *desired);
/* The same for the desired tables only[] marks, the others copied as parsed
 * (backend.h: normalize_desired_some). */
int dbs_my_normalize_desired_some(dbsync_schema **out, dbsync_ctx *ctx, dbsync_conn *conn,
	const dbsync_schema *desired, const bool *only);

/* lower_case_table_names of the connection's server (see dbs_my_conn). */
int dbs_my_lower_case_table_names(const dbsync_conn *conn);

/* The session across failures (session_mysql.c; backend.h has the slots). */
int dbs_my_reconnect(dbsync_ctx *ctx, dbsync_conn *conn);
uint64_t dbs_my_session_id(const dbsync_conn *conn);
int dbs_my_session_running(bool *running, dbsync_ctx *ctx, dbsync_conn *conn, uint64_t id);
int dbs_my_lock_wait_set(dbsync_ctx *ctx, dbsync_conn *conn, unsigned ms, int64_t *saved);
void dbs_my_lock_wait_restore(dbsync_conn *conn, int64_t saved);

/* Backups with mysqldump and the mysql client, or the engine's dump
 * (backup_mysql.c). */
extern const struct dbs_backup_ops dbs_my_backup_ops;

/* The backend's inspect slot (inspect_mysql.c): views, sizes, row estimates. */
struct dbs_insp;
int dbs_insp_mysql(struct dbs_insp *in, dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_schema *live,
	unsigned what);

/* The backend table (backend_mysql.c): the registry's entry, and the tests
 * call its slots directly. */
extern const dbs_backend dbs_backend_mysql;

#endif
