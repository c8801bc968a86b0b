/*
 * The MySQL/MariaDB backend over MariaDB Connector/C: connections, statements
 * and the framing of a plan. Introspection lives in backend_mysql_introspect.c.
 *
 * MySQL commits every DDL statement on its own, so there is no transaction to
 * wrap a plan in: apply runs step by step, and what ran before a failing step
 * stays applied (dbs_backend.ddl_autocommits tells apply.c). What the framing
 * does give is GET_LOCK, so two runs on one database never interleave.
 */
#include <errmsg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend_mysql.h"
#ifdef DBSYNC_MYSQL_BUNDLED_PLUGINS
#include "bundled_path.h"
#endif
#include "ctx.h"
#include "lexer.h"
#include "plan_internal.h"

/* Keep statements short in messages: the first line, at most this many bytes. */
#define STMT_EXCERPT 160

/* One lock per database, named after the database synced (which
 * use_namespace may have switched before the session followed, so never
 * DATABASE()). MySQL caps lock names at 64 characters; two databases sharing
 * their first 50 would only share a lock, never corrupt. A dry-run script
 * names DATABASE(): the lock is where its statements land. */
#define LOCK_NAME_SQL(db) "CONCAT('django-dbsync:', LEFT(" db ", 50))"
static const char script_get_lock[] = "SELECT GET_LOCK(" LOCK_NAME_SQL("DATABASE()") ", 0)";
static const char script_release_lock[] = "SELECT RELEASE_LOCK(" LOCK_NAME_SQL("DATABASE()") ")";

/* "SELECT <fn>(CONCAT('django-dbsync:', LEFT('<dbname>', 50))<tail>". Where
 * the server compares database names without case (lower_case_table_names 1
 * or 2) the name is folded as DATABASE() gives it under 1, so "Shop" and
 * "shop" take one lock. */
static char *lock_sql(dbsync_conn *conn, const char *fn, const char *tail)
{
	const dbs_my_conn *mc = conn->impl;
	bool fold = mc->lower_case_table_names != 0;
	dbs_buf b = DBS_BUF_INIT;
	dbs_buf_printf(&b, "SELECT %s(CONCAT('django-dbsync:', LEFT(%s", fn, fold ? "LOWER(" : "");
	dbs_my_put_literal(&b, conn, mc->dbname);
	dbs_buf_printf(&b, "%s, 50))%s", fold ? ")" : "", tail);
	char *sql = dbs_buf_ok(&b) ? dbs_buf_detach(&b) : NULL;
	dbs_buf_free(&b);
	return sql;
}

static bool lost_connection(unsigned int err)
{
	return err == CR_SERVER_GONE_ERROR || err == CR_SERVER_LOST || err == CR_CONNECTION_ERROR ||
		err == CR_CONN_HOST_ERROR;
}

/* The connection's SQLSTATE, or NULL where "00000" / "HY000" say nothing
 * beyond the error number. */
static const char *useful_sqlstate(MYSQL *db)
{
	const char *state = mysql_sqlstate(db);
	if (state && (strcmp(state, "00000") == 0 || strcmp(state, "HY000") == 0))
		return NULL;
	return state;
}

int dbs_my_error(dbsync_ctx *ctx, dbsync_conn *conn, const char *what)
{
	MYSQL *db = dbs_my_db(conn);
	unsigned int err = mysql_errno(db);
	int code = lost_connection(err) ? DBSYNC_ECONNECT : DBSYNC_EDB;
	/* the error number as the mysql client shows it: what the server's
	 * manual and people search for */
	return dbs_error_db(ctx, code, useful_sqlstate(db), (int)err, "%s on %s: error %u: %s", what, conn->describe,
		err, mysql_error(db));
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	return d ? memcpy(d, s, n) : NULL;
}

/* ---- connecting ---- */

typedef struct my_params {
	const char *name, *user, *password, *host, *socket, *charset;
	unsigned int port, connect_timeout;
	bool ssl_required;
} my_params;

/* Options understood besides name/user/password/host/port; they are the
 * OPTIONS keys Django users put in DATABASES (a Django 'ssl' dict arrives
 * flattened as ssl_ca, ssl_cert, ...). */
static const char *const option_keys[] = {
	"unix_socket", "charset", "read_default_file", "read_default_group", "init_command",
	"connect_timeout", "ssl", "ssl_ca", "ssl_capath", "ssl_cert", "ssl_key", "ssl_cipher",
};

static int parse_uint(unsigned int *out, const char *text, unsigned long max)
{
	char *end = NULL;
	errno = 0;
	unsigned long v = strtoul(text, &end, 10);
	if (errno || end == text || *end || *text == '-' || v > max)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

static int parse_bool(bool *out, const char *v)
{
	static const char *const yes[] = { "1", "true", "yes", "on", "required" };
	static const char *const no[] = { "0", "false", "no", "off", "disabled", "" };
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	return -1;
}

static int check_params(dbsync_ctx *ctx, const dbs_params *params, my_params *mp)
{
	memset(mp, 0, sizeof *mp);
	mp->charset = "utf8mb4";
	for (size_t i = 0; i < params->n; i++) {
		const char *k = params->keys[i], *v = params->values[i] ? params->values[i] : "";
		if (strcmp(k, "name") == 0) {
			mp->name = v;
		} else if (strcmp(k, "user") == 0) {
			mp->user = *v ? v : NULL;
		} else if (strcmp(k, "password") == 0) {
			mp->password = v;
		} else if (strcmp(k, "host") == 0) {
			mp->host = *v ? v : NULL;
		} else if (strcmp(k, "port") == 0) {
			if (*v && (parse_uint(&mp->port, v, 65535) || mp->port == 0))
				return dbs_error(ctx, DBSYNC_EINVALID, "mysql 'port' must be 1-65535, not '%s'", v);
		} else if (strcmp(k, "unix_socket") == 0) {
			mp->socket = *v ? v : NULL;
		} else if (strcmp(k, "charset") == 0) {
			/* the catalog is read as UTF-8; another charset would garble names */
			if (strcasecmp(v, "utf8mb4") && strcasecmp(v, "utf8") && strcasecmp(v, "utf8mb3"))
				return dbs_error(ctx, DBSYNC_EINVALID,
					"mysql option 'charset' must be utf8mb4 (or utf8), not '%s'", v);
			mp->charset = v;
		} else if (strcmp(k, "connect_timeout") == 0) {
			if (parse_uint(&mp->connect_timeout, v, 86400))
				return dbs_error(ctx, DBSYNC_EINVALID,
					"mysql option 'connect_timeout' must be a number of seconds, not '%s'", v);
		} else if (strcmp(k, "ssl") == 0) {
			if (parse_bool(&mp->ssl_required, v))
				return dbs_error(ctx, DBSYNC_EINVALID,
					"mysql option 'ssl' must be true/required or false/disabled, not '%s'", v);
		} else {
			bool known = false;
			for (size_t j = 0; j < sizeof option_keys / sizeof option_keys[0]; j++)
				known |= strcmp(k, option_keys[j]) == 0;
			if (!known)
				return dbs_error(ctx, DBSYNC_EINVALID, "unknown mysql option '%s'", k);
		}
	}
	if (!mp->name || !*mp->name)
		return dbs_error(ctx, DBSYNC_EINVALID, "mysql needs 'name': the database to sync");
	return 0;
}

/* "mysql://user@host:port/db?unix_socket=..." with no password, ever: the
 * parts around the database's name, kept so a switch of database
 * (use_namespace) names the new one. */
static int describe_parts(dbs_my_conn *mc, const my_params *mp)
{
	dbs_buf b = DBS_BUF_INIT;
	dbs_buf_puts(&b, "mysql://");
	if (mp->user)
		dbs_buf_printf(&b, "%s@", mp->user);
	dbs_buf_puts(&b, mp->host ? mp->host : "localhost");
	if (mp->port)
		dbs_buf_printf(&b, ":%u", mp->port);
	dbs_buf_putc(&b, '/');
	mc->describe_head = dbs_buf_ok(&b) ? dbs_buf_detach(&b) : NULL;
	dbs_buf_free(&b);
	if (mp->socket)
		dbs_buf_printf(&b, "?unix_socket=%s", mp->socket);
	else
		dbs_buf_puts(&b, "");
	mc->describe_tail = dbs_buf_ok(&b) ? dbs_buf_detach(&b) : NULL;
	dbs_buf_free(&b);
	return mc->describe_head && mc->describe_tail ? 0 : -1;
}

char *dbs_my_describe_db(const dbs_my_conn *mc, const char *name)
{
	dbs_buf b = DBS_BUF_INIT;
	dbs_buf_printf(&b, "%s%s%s", mc->describe_head, name, mc->describe_tail);
	char *s = dbs_buf_ok(&b) ? dbs_buf_detach(&b) : NULL;
	dbs_buf_free(&b);
	return s;
}

/* Apply the string options straight from the parameters (they need no checking). */
static int set_options(MYSQL *db, const dbs_params *params, const my_params *mp)
{
	static const struct { const char *key; enum mysql_option opt; } str_opts[] = {
		{ "read_default_file", MYSQL_READ_DEFAULT_FILE },
		{ "read_default_group", MYSQL_READ_DEFAULT_GROUP },
		{ "init_command", MYSQL_INIT_COMMAND },
		{ "ssl_ca", MYSQL_OPT_SSL_CA },
		{ "ssl_capath", MYSQL_OPT_SSL_CAPATH },
		{ "ssl_cert", MYSQL_OPT_SSL_CERT },
		{ "ssl_key", MYSQL_OPT_SSL_KEY },
		{ "ssl_cipher", MYSQL_OPT_SSL_CIPHER },
	};
	int rc = 0;
	for (size_t i = 0; i < sizeof str_opts / sizeof str_opts[0]; i++) {
		const char *v = dbs_params_get(params, str_opts[i].key);
		if (v && *v)
			rc |= mysql_optionsv(db, str_opts[i].opt, v);
	}
	rc |= mysql_optionsv(db, MYSQL_SET_CHARSET_NAME, mp->charset);
	if (mp->connect_timeout)
		rc |= mysql_optionsv(db, MYSQL_OPT_CONNECT_TIMEOUT, &mp->connect_timeout);
	if (mp->ssl_required) {
		my_bool on = 1;
		rc |= mysql_optionsv(db, MYSQL_OPT_SSL_ENFORCE, &on);
	}
#ifdef DBSYNC_MYSQL_BUNDLED_PLUGINS
	/* A binary wheel ships the connector's auth plugins (caching_sha2_password,
	 * client_ed25519, ...), loaded at run time: point it at them, unless the
	 * user's MARIADB_PLUGIN_DIR says otherwise. The connector copies the path. */
	if (!getenv("MARIADB_PLUGIN_DIR")) {
		char *dir = dbs_bundled_path(DBSYNC_MYSQL_BUNDLED_PLUGINS);
		if (dir)
			rc |= mysql_optionsv(db, MYSQL_PLUGIN_DIR, dir);
		free(dir);
	}
#endif
	return rc;
}

/* "10.11.19-MariaDB-0+deb12u1" -> 101119; a "5.5.5-" prefix (how MariaDB
 * presented itself to old MySQL clients) is skipped. */
static unsigned long parse_version(const char *info, bool *mariadb)
{
	*mariadb = strstr(info, "MariaDB") != NULL;
	if (*mariadb && strncmp(info, "5.5.5-", 6) == 0)
		info += 6;
	unsigned long part[3] = { 0, 0, 0 };
	const char *p = info;
	for (int i = 0; i < 3; i++) {
		char *end;
		part[i] = strtoul(p, &end, 10);
		if (end == p || *end != '.')
			break;
		p = end + 1;
	}
	return part[0] * 10000 + part[1] * 100 + part[2];
}

static int my_query_value(int64_t *out, bool *is_null, dbsync_ctx *ctx, dbsync_conn *conn, const char *sql);

static void my_close(dbsync_conn *conn)
{
	dbs_my_conn *mc = conn->impl;
	if (!mc)
		return;
	if (mc->db)
		mysql_close(mc->db);
	free(mc->dbname);
	free(mc->describe_head);
	free(mc->describe_tail);
	free(mc->release_sql);
	free(mc->shadow_key);
	dbsync_schema_free(mc->shadow_result);
	free(mc);
	conn->impl = NULL;
}

static int my_open(dbsync_conn *conn, dbsync_ctx *ctx, const dbs_params *params)
{
	my_params mp;
	int rc = check_params(ctx, params, &mp);
	if (rc)
		return rc;
	dbs_my_conn *mc = calloc(1, sizeof *mc);
	if (!mc)
		return dbs_error_oom(ctx);
	conn->impl = mc;
	mc->dbname = xstrdup(mp.name);
	if (!mc->dbname || describe_parts(mc, &mp) || !(conn->describe = dbs_my_describe_db(mc, mp.name)) ||
	    !(mc->db = mysql_init(NULL))) {
		rc = dbs_error_oom(ctx);
		goto cleanup;
	}
	if (set_options(mc->db, params, &mp)) {
		rc = dbs_error(ctx, DBSYNC_EINVALID, "invalid mysql connection options for %s: %s",
			conn->describe, mysql_error(mc->db));
		goto cleanup;
	}
	/* multi-statements let exec take a whole script; the plan's own
	 * statements never come from users' data */
	if (!mysql_real_connect(mc->db, mp.host, mp.user, mp.password, mp.name, mp.port, mp.socket,
		CLIENT_MULTI_STATEMENTS | CLIENT_MULTI_RESULTS)) {
		/* Connector/C's messages name the user and host, never the password */
		rc = dbs_error_db(ctx, DBSYNC_ECONNECT, useful_sqlstate(mc->db), (int)mysql_errno(mc->db),
			"cannot connect to %s: error %u: %s", conn->describe, mysql_errno(mc->db), mysql_error(mc->db));
		goto cleanup;
	}
	const char *info = mysql_get_server_info(mc->db);
	if (!(conn->server_version = xstrdup(info ? info : ""))) {
		rc = dbs_error_oom(ctx);
		goto cleanup;
	}
	mc->version = parse_version(conn->server_version, &mc->mariadb);
	conn->drop_index_if_exists = mc->mariadb;
	int64_t lctn = 0;
	bool is_null = false;
	if ((rc = my_query_value(&lctn, &is_null, ctx, conn, "SELECT @@lower_case_table_names")))
		goto cleanup;
	mc->lower_case_table_names = (int)lctn;
	if (conn->readonly) {
		/* dry runs and checks: the server refuses every write, DDL included
		 * (1792); only the shadow database lifts it, for its own statements */
		static const char ro[] = "SET SESSION TRANSACTION READ ONLY";
		if (mysql_real_query(mc->db, ro, sizeof ro - 1)) {
			rc = dbs_my_error(ctx, conn, "making the connection read-only");
			goto cleanup;
		}
	}
	return 0;
cleanup:
	my_close(conn);
	return rc;
}

int dbs_my_lower_case_table_names(const dbsync_conn *conn)
{
	return ((const dbs_my_conn *)conn->impl)->lower_case_table_names;
}

static dbs_name_case my_table_name_case(const dbsync_conn *conn)
{
	switch (dbs_my_lower_case_table_names(conn)) {
	case 0: return DBS_NAMES_EXACT;
	case 1: return DBS_NAMES_FOLDED;
	default: return DBS_NAMES_PRESERVED;
	}
}

/* ---- statements ---- */

/* Where statement `index` (0-based) of a script starts, found with the
 * lexer so semicolons in strings and comments do not count. NULL when the
 * script does not lex or has fewer statements. *n_stmts gets the count. */
static const char *find_statement(const char *sql, size_t index, size_t *n_stmts)
{
	dbs_lexer lx;
	dbs_token t;
	const char *found = NULL;
	size_t n = 0;
	bool in_stmt = false;
	dbs_lex_init(&lx, DBSYNC_DIALECT_MYSQL, sql, strlen(sql));
	for (;;) {
		if (dbs_lex_next(&lx, &t)) {
			*n_stmts = (size_t)-1;
			return NULL;
		}
		if (t.kind == DBS_TK_EOF)
			break;
		if (t.kind == DBS_TK_SEMI) {
			in_stmt = false;
			continue;
		}
		if (!in_stmt) {
			if (n == index)
				found = t.start;
			n++;
			in_stmt = true;
		}
	}
	*n_stmts = n;
	return found;
}

static int excerpt_len(const char *sql)
{
	size_t n = 0;
	while (sql[n] && sql[n] != '\n' && sql[n] != ';' && n < STMT_EXCERPT)
		n++;
	return (int)n;
}

/* The error of statement `index` of `sql`, naming it by number and text. */
static int statement_error(dbsync_ctx *ctx, dbsync_conn *conn, const char *sql, size_t index)
{
	size_t n_stmts = 0;
	const char *start = find_statement(sql, index, &n_stmts);
	char what[STMT_EXCERPT + 96];
	if (start) {
		int n = excerpt_len(start);
		bool cut = start[n] && start[n] != ';' && !(start[n] == '\n' && !start[n + 1]);
		if (n_stmts > 1)
			snprintf(what, sizeof what, "statement %zu of %zu \"%.*s%s\" failed", index + 1, n_stmts,
				n, start, cut ? "..." : "");
		else
			snprintf(what, sizeof what, "statement \"%.*s%s\" failed", n, start, cut ? "..." : "");
	} else {
		snprintf(what, sizeof what, "statement %zu failed", index + 1);
	}
	return dbs_my_error(ctx, conn, what);
}

static int my_exec(dbsync_ctx *ctx, dbsync_conn *conn, const char *sql)
{
	MYSQL *db = dbs_my_db(conn);
	size_t n_stmts = 0;
	find_statement(sql, 0, &n_stmts);
	/* the server calls a script of comments an error (ER_EMPTY_QUERY) */
	if (n_stmts == 0)
		return 0;
	int rc = dbs_my_use_pending(ctx, conn);
	if (rc)
		return rc;
	if (mysql_real_query(db, sql, strlen(sql)))
		return statement_error(ctx, conn, sql, 0);
	/* Every result must be drained before the connection takes another
	 * query; after a failure the server runs nothing further. */
	size_t done = 0;
	int status;
	do {
		MYSQL_RES *res = mysql_store_result(db);
		if (res)
			mysql_free_result(res);
		else if (mysql_field_count(db) != 0)
			return statement_error(ctx, conn, sql, done);
		done++;
		status = mysql_next_result(db);
	} while (status == 0);
	if (status > 0)
		return statement_error(ctx, conn, sql, done);
	return 0;
}

/* The first column of the first row of a query; *is_null when it is NULL
 * or there is no row. */
static int my_query_value(int64_t *out, bool *is_null, dbsync_ctx *ctx, dbsync_conn *conn, const char *sql)
{
	MYSQL *db = dbs_my_db(conn);
	*out = 0;
	*is_null = true;
	int rc = dbs_my_use_pending(ctx, conn);
	if (rc)
		return rc;
	if (mysql_real_query(db, sql, strlen(sql)))
		return statement_error(ctx, conn, sql, 0);
	MYSQL_RES *res = mysql_store_result(db);
	if (!res) {
		if (mysql_field_count(db) != 0)
			rc = statement_error(ctx, conn, sql, 0);
	} else {
		MYSQL_ROW row = mysql_fetch_row(res);
		if (row && row[0]) {
			char *end = NULL;
			errno = 0;
			long long v = strtoll(row[0], &end, 10);
			if (errno || end == row[0])
				rc = dbs_error(ctx, DBSYNC_EDB, "query on %s returned '%.40s', not an integer",
					conn->describe, row[0]);
			*out = v;
			*is_null = false;
		}
		mysql_free_result(res);
	}
	/* a script's further results must be drained too */
	int status;
	while ((status = mysql_next_result(db)) == 0) {
		res = mysql_store_result(db);
		if (res)
			mysql_free_result(res);
	}
	if (status > 0 && !rc)
		rc = dbs_my_error(ctx, conn, "a later statement of the query failed");
	return rc;
}

static int my_query_int64(int64_t *out, dbsync_ctx *ctx, dbsync_conn *conn, const char *sql)
{
	bool is_null;
	return my_query_value(out, &is_null, ctx, conn, sql);
}

/* ---- framing a plan ---- */

static int my_apply_begin(dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_plan *plan)
{
	dbs_my_conn *mc = conn->impl;
	int64_t got = 0;
	bool is_null = false;
	if (mc->locked)
		return dbs_error(ctx, DBSYNC_EINVALID,
			"cannot apply a plan to %s: this connection is already applying one", conn->describe);
	/* its statements name no database: they would land in this one */
	if (plan && plan->namespace_name &&
	    (mc->lower_case_table_names ? strcasecmp : strcmp)(plan->namespace_name, mc->dbname) != 0)
		return dbs_error(ctx, DBSYNC_EINVALID, "cannot apply a plan made for database `%s` to database `%s` "
			"of %s", plan->namespace_name, mc->dbname, conn->describe);
	char *get = lock_sql(conn, "GET_LOCK", ", 0)");
	free(mc->release_sql);
	mc->release_sql = lock_sql(conn, "RELEASE_LOCK", ")");
	if (!get || !mc->release_sql) {
		free(get);
		return dbs_error_oom(ctx);
	}
	int rc = my_query_value(&got, &is_null, ctx, conn, get);
	free(get);
	if (rc)
		return rc;
	/* 0: another session holds it; NULL: the server refused (killed, out of memory) */
	if (is_null)
		return dbs_error(ctx, DBSYNC_EDB, "cannot take the dbsync lock on %s: GET_LOCK returned NULL",
			conn->describe);
	if (got != 1)
		return dbs_error(ctx, DBSYNC_ELOCKED,
			"another dbsync run is applying changes to %s (it holds the lock "
			"'django-dbsync:%.50s'); try again when it has finished", conn->describe, mc->dbname);
	mc->locked = true;
	return 0;
}

/* After a reconnect in the middle of an apply: the lock went with the old
 * session, whatever `locked` still says. */
static int my_retake_lock(dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_plan *plan)
{
	((dbs_my_conn *)conn->impl)->locked = false;
	return my_apply_begin(ctx, conn, plan);
}

/* Nothing to commit or roll back: each DDL statement committed as it ran.
 * With commit=0 (a step failed) the error already on ctx is the one to keep,
 * so a failing release only matters on success. */
static int my_apply_end(dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_plan *plan, int commit)
{
	dbs_my_conn *mc = conn->impl;
	int64_t v;
	bool is_null;
	(void)plan;
	if (!mc->locked)
		return 0;
	mc->locked = false;
	if (commit)
		return my_query_value(&v, &is_null, ctx, conn, mc->release_sql);
	dbsync_ctx *scratch = NULL;
	if (dbsync_ctx_new(&scratch) == 0) {
		my_query_value(&v, &is_null, scratch, conn, mc->release_sql);
		dbsync_ctx_free(scratch);
	}
	return 0;
}

/* The script's statements name no database: it selects the one it was
 * planned for (a fleet prints one script per member), and the lock follows. */
static int my_script_prologue(dbs_buf *out, const dbsync_plan *plan)
{
	dbs_buf_puts(out, "-- MySQL commits each DDL statement as it runs: the steps below apply one by one.\n");
	if (plan && plan->namespace_name) {
		dbs_buf_puts(out, "USE ");
		dbs_quote_ident(out, DBSYNC_DIALECT_MYSQL, plan->namespace_name);
		dbs_buf_puts(out, ";\n");
	}
	return dbs_buf_printf(out, "%s;\n", script_get_lock);
}

static int my_script_epilogue(dbs_buf *out, const dbsync_plan *plan)
{
	(void)plan;
	return dbs_buf_printf(out, "%s;\n", script_release_lock);
}

/* The schema (database) synced, for the planner's check of qualified names. */
static const char *dbs_my_synced_namespace(const dbsync_conn *conn)
{
	return ((const dbs_my_conn *)conn->impl)->dbname;
}

const dbs_backend dbs_backend_mysql = {
	.dialect = DBSYNC_DIALECT_MYSQL,
	.open = my_open,
	.close = my_close,
	.introspect = dbs_my_introspect,
	.inspect = dbs_insp_mysql,
	.exec = my_exec,
	.query_int64 = my_query_int64,
	.apply_begin = my_apply_begin,
	.apply_end = my_apply_end,
	.normalize_desired = dbs_my_normalize_desired,
	.synced_namespace = dbs_my_synced_namespace,
	.normalize_desired_some = dbs_my_normalize_desired_some,
	.script_prologue = my_script_prologue,
	.script_epilogue = my_script_epilogue,
	.ddl_autocommits = true,
	.table_name_case = my_table_name_case,
	.backup = &dbs_my_backup_ops,
	.reconnect = dbs_my_reconnect,
	.session_id = dbs_my_session_id,
	.session_running = dbs_my_session_running,
	.retake_lock = my_retake_lock,
	.lock_wait_set = dbs_my_lock_wait_set,
	.lock_wait_restore = dbs_my_lock_wait_restore,
	.namespaces = dbs_my_namespaces,
	.use_namespace = dbs_my_use_namespace,
	.introspect_many = dbs_my_introspect_many,
};
