/*
 * The PostgreSQL backend (libpq): connecting, statements and their errors, and
 * the framing of a plan. Introspection lives in backend_postgres_introspect.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_postgres.h"
#include "buf.h"
#include "ctx.h"
#include "plan_internal.h"

/* Keep statements short in messages: the first line, at most this many bytes. */
#define STMT_EXCERPT 160

/* Our parameter names and the libpq keywords they become. "name" follows
 * Django's NAME; the rest are libpq's own, as Django's OPTIONS passes them. */
static const struct {
	const char *key, *libpq;
} param_map[] = {
	{ "name", "dbname" }, { "user", "user" }, { "password", "password" },
	{ "host", "host" }, { "port", "port" }, { "sslmode", "sslmode" },
	{ "sslrootcert", "sslrootcert" }, { "sslcert", "sslcert" }, { "sslkey", "sslkey" },
	{ "service", "service" }, { "passfile", "passfile" }, { "options", "options" },
	{ "connect_timeout", "connect_timeout" }, { "application_name", "application_name" },
	{ "target_session_attrs", "target_session_attrs" },
};
#define N_PARAMS (sizeof param_map / sizeof param_map[0])

int64_t dbs_pg_lock_key(const char *schema)
{
	/* FNV-1a: any fixed 64-bit value per schema would do; a hash of the
	 * product name with the schema's makes clashes with an application's
	 * own keys, and between schemas, unlikely. */
	uint64_t h = 0xcbf29ce484222325u;
	for (const char *p = "django-dbsync"; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3u;
	h *= 0x100000001b3u; /* the zero byte between the two names */
	for (const char *p = schema ? schema : ""; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3u;
	return (int64_t)(h >> 1); /* positive, so the printed statement reads plainly */
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	return d ? memcpy(d, s, n) : NULL;
}

static int excerpt_len(const char *sql)
{
	size_t n = 0;
	while (sql[n] && sql[n] != '\n' && n < STMT_EXCERPT)
		n++;
	return (int)n;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

/* libpq's messages end in a newline and may span lines (with tab-indented
 * hints); keep them on one line, each run of white space one space. */
static void put_oneline(dbs_buf *b, const char *msg)
{
	size_t n = strlen(msg);
	while (n && is_space(msg[n - 1]))
		n--;
	for (size_t i = 0; i < n; i++) {
		if (!is_space(msg[i]))
			dbs_buf_putc(b, msg[i]);
		else if (i == 0 || !is_space(msg[i - 1]))
			dbs_buf_putc(b, ' ');
	}
}

/* Append msg with every occurrence of the password masked. libpq does not put
 * the password in its messages today; this makes sure it never will reach ours. */
static void put_scrubbed(dbs_buf *b, const char *msg, const char *password)
{
	dbs_buf one = DBS_BUF_INIT;
	put_oneline(&one, msg);
	const char *s = dbs_buf_cstr(&one);
	size_t plen = password ? strlen(password) : 0;
	while (*s) {
		const char *hit = plen ? strstr(s, password) : NULL;
		if (!hit) {
			dbs_buf_puts(b, s);
			break;
		}
		dbs_buf_put(b, s, (size_t)(hit - s));
		dbs_buf_puts(b, "********");
		s = hit + plen;
	}
	if (!dbs_buf_ok(&one))
		b->oom = true;
	dbs_buf_free(&one);
}

static bool sqlstate_is_lost(const char *state)
{
	/* class 08: connection exception; 57P01-57P03: the server shut down */
	return state && (strncmp(state, "08", 2) == 0 || strncmp(state, "57P0", 4) == 0);
}

int dbs_pg_error(dbsync_ctx *ctx, dbsync_conn *conn, const PGresult *res, const char *what)
{
	dbs_pg_conn *pc = conn->impl;
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	bool lost = PQstatus(pc->pg) == CONNECTION_BAD || sqlstate_is_lost(state);
	int code = lost ? DBSYNC_ECONNECT
		: state && strcmp(state, "55P03") == 0 ? DBSYNC_ELOCKED : DBSYNC_EDB;
	dbs_buf b = DBS_BUF_INIT;
	dbs_buf_printf(&b, "%s: ", what);
	if (lost)
		dbs_buf_printf(&b, "lost the connection to %s: ", conn->describe);
	put_oneline(&b, primary ? primary : PQerrorMessage(pc->pg));
	if (detail) {
		dbs_buf_puts(&b, " (");
		put_oneline(&b, detail);
		dbs_buf_puts(&b, ")");
	}
	int rc = dbs_buf_ok(&b) ? dbs_error_db(ctx, code, state, 0, "%s", dbs_buf_cstr(&b))
		: dbs_error_oom(ctx);
	dbs_buf_free(&b);
	return rc;
}

/* The library never prints: NOTICEs and WARNINGs from the server are dropped. */
static void quiet_notices(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static int check_params(dbsync_ctx *ctx, const dbs_params *params)
{
	for (size_t i = 0; i < params->n; i++) {
		const char *k = params->keys[i];
		bool known = strcmp(k, "schema") == 0;
		for (size_t j = 0; j < N_PARAMS && !known; j++)
			known = strcmp(k, param_map[j].key) == 0;
		if (!known)
			return dbs_error(ctx, DBSYNC_EINVALID, "unknown postgresql option '%s'", k);
	}
	return 0;
}

static void pg_close(dbsync_conn *conn)
{
	dbs_pg_conn *pc = conn->impl;
	if (!pc)
		return;
	PQfinish(pc->pg);
	free(pc->schema);
	free(pc->base_path);
	free(pc->path_schema);
	free(pc->dbname);
	free(pc);
	conn->impl = NULL;
}

static bool is_path(const char *host)
{
	return host && host[0] == '/';
}

/* Percent-encode what would end a URL part early; `keep` lists extra
 * characters left as they are ("/" in a socket directory). */
static void put_url_part(dbs_buf *b, const char *s, const char *keep)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~", c) || strchr(keep, c))
			dbs_buf_putc(b, (char)c);
		else
			dbs_buf_printf(b, "%%%02X", c);
	}
}

/* postgresql://user@host:port/db, or with ?host=/dir for a socket directory:
 * a URL that reopens the same database, minus the password. */
static char *describe(PGconn *pg)
{
	dbs_buf b = DBS_BUF_INIT;
	const char *user = PQuser(pg), *host = PQhost(pg), *port = PQport(pg), *db = PQdb(pg);
	bool socket_dir = is_path(host);
	dbs_buf_puts(&b, "postgresql://");
	if (user && *user) {
		put_url_part(&b, user, "");
		dbs_buf_putc(&b, '@');
	}
	if (host && *host && !socket_dir)
		dbs_buf_printf(&b, strchr(host, ':') ? "[%s]" : "%s", host);
	if (port && *port && !socket_dir)
		dbs_buf_printf(&b, ":%s", port);
	dbs_buf_putc(&b, '/');
	put_url_part(&b, db ? db : "", "");
	if (socket_dir) {
		dbs_buf_puts(&b, "?host=");
		put_url_part(&b, host, "/");
		if (port && *port)
			dbs_buf_printf(&b, "&port=%s", port);
	}
	if (!dbs_buf_ok(&b)) {
		dbs_buf_free(&b);
		return NULL;
	}
	return dbs_buf_detach(&b);
}

/* The schema synced: the "schema" option put first on search_path (so the
 * desired DDL, which names no schema, lands there too), else the connection's
 * current_schema(). The path it had before is kept: each schema a fleet
 * switches to goes first on that one (dbs_pg_sync_path). */
static int choose_schema(dbsync_ctx *ctx, dbsync_conn *conn, const char *want)
{
	dbs_pg_conn *pc = conn->impl;
	int rc = 0;
	PGresult *res = PQexec(pc->pg, "SELECT pg_catalog.current_schema(), pg_catalog.current_setting('search_path')");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		rc = dbs_pg_error(ctx, conn, res, "reading current_schema()");
		goto cleanup;
	}
	if (!(pc->base_path = xstrdup(PQgetvalue(res, 0, 1)))) {
		rc = dbs_error_oom(ctx);
		goto cleanup;
	}
	if (want && *want) {
		if (!(pc->schema = xstrdup(want)))
			rc = dbs_error_oom(ctx);
		else
			rc = dbs_pg_sync_path(ctx, conn);
		goto cleanup;
	}
	if (PQgetisnull(res, 0, 0)) {
		rc = dbs_error(ctx, DBSYNC_EINVALID, "no schema to sync in %s: search_path (%s) names no "
			"existing schema", conn->describe, PQgetvalue(res, 0, 1));
		goto cleanup;
	}
	/* the session's path already finds it first: nothing to set */
	if (!(pc->schema = xstrdup(PQgetvalue(res, 0, 0))) || !(pc->path_schema = xstrdup(pc->schema)))
		rc = dbs_error_oom(ctx);
cleanup:
	PQclear(res);
	return rc;
}

static int pg_open(dbsync_conn *conn, dbsync_ctx *ctx, const dbs_params *params)
{
	const char *kw[N_PARAMS + 4], *val[N_PARAMS + 4];
	size_t n = 0;
	int rc;
	if ((rc = check_params(ctx, params)))
		return rc;
	for (size_t j = 0; j < N_PARAMS; j++) {
		const char *v = dbs_params_get(params, param_map[j].key);
		/* Django passes "" for an unset HOST or PORT: libpq's default then */
		if (v && *v) {
			kw[n] = param_map[j].libpq;
			val[n++] = v;
		}
	}
	kw[n] = "fallback_application_name";
	val[n++] = "dbsync";
	kw[n] = "client_encoding";
	val[n++] = "UTF8";
	kw[n] = NULL;
	val[n] = NULL;
	const char *password = dbs_params_get(params, "password");
	const char *name = dbs_params_get(params, "name");
	dbs_pg_conn *pc = calloc(1, sizeof *pc);
	if (!pc)
		return dbs_error_oom(ctx);
	conn->impl = pc;
	/* expand_dbname=0: a database name is a name, never a connection string */
	pc->pg = PQconnectdbParams(kw, val, 0);
	if (!pc->pg) {
		rc = dbs_error_oom(ctx);
		goto cleanup;
	}
	if (PQstatus(pc->pg) != CONNECTION_OK) {
		dbs_buf raw = DBS_BUF_INIT, b = DBS_BUF_INIT;
		dbs_buf_printf(&raw, "cannot connect to the PostgreSQL database \"%s\": %s",
			name && *name ? name : "(default)", PQerrorMessage(pc->pg));
		put_scrubbed(&b, dbs_buf_cstr(&raw), password);
		rc = dbs_buf_ok(&raw) && dbs_buf_ok(&b)
			? dbs_error_db(ctx, DBSYNC_ECONNECT, NULL, 0, "%s", dbs_buf_cstr(&b)) : dbs_error_oom(ctx);
		dbs_buf_free(&raw);
		dbs_buf_free(&b);
		goto cleanup;
	}
	PQsetNoticeProcessor(pc->pg, quiet_notices, NULL);
	pc->server_num = conn->server_num = PQserverVersion(pc->pg);
	conn->drop_index_if_exists = true;
	const char *ver = PQparameterStatus(pc->pg, "server_version");
	conn->describe = describe(pc->pg);
	conn->server_version = xstrdup(ver ? ver : "");
	pc->dbname = xstrdup(PQdb(pc->pg) ? PQdb(pc->pg) : "");
	if (!conn->describe || !conn->server_version || !pc->dbname) {
		rc = dbs_error_oom(ctx);
		goto cleanup;
	}
	/* relispartition and attidentity, which the catalog queries read, came in 10 */
	if (pc->server_num < 100000) {
		rc = dbs_error(ctx, DBSYNC_EUNSUPPORTED, "%s runs PostgreSQL %s; dbsync needs 10 or newer "
			"(12 to 18 are tested)", conn->describe, conn->server_version);
		goto cleanup;
	}
	if ((rc = choose_schema(ctx, conn, dbs_params_get(params, "schema"))))
		goto cleanup;
	if (conn->readonly) {
		/* dry runs and checks: every transaction is read-only unless it says
		 * otherwise, and only the shadow schema's does, which always rolls back */
		PGresult *res = PQexec(pc->pg, "SET default_transaction_read_only = on");
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			rc = dbs_pg_error(ctx, conn, res, "making the connection read-only");
			PQclear(res);
			goto cleanup;
		}
		PQclear(res);
	}
	return 0;
cleanup:
	pg_close(conn);
	return rc;
}

static int pg_exec(dbsync_ctx *ctx, dbsync_conn *conn, const char *sql)
{
	PGconn *pg = dbs_pg_handle(conn);
	int rc = dbs_pg_sync_path(ctx, conn);
	if (rc)
		return rc;
	PGresult *res = PQexec(pg, sql);
	ExecStatusType st = PQresultStatus(res);
	if (st == PGRES_COPY_IN) {
		/* a script cannot feed COPY FROM STDIN: end it with an error */
		PQputCopyEnd(pg, "dbsync does not feed COPY ... FROM STDIN");
		PGresult *next;
		while ((next = PQgetResult(pg))) {
			PQclear(res);
			res = next;
		}
		st = PQresultStatus(res);
	}
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
		char what[STMT_EXCERPT + 64];
		int n = excerpt_len(sql);
		snprintf(what, sizeof what, "statement \"%.*s%s\" failed", n, sql,
			sql[n] && sql[n] != ';' ? "..." : "");
		rc = dbs_pg_error(ctx, conn, res, what);
	}
	PQclear(res);
	return rc;
}

static int pg_query_int64(int64_t *out, dbsync_ctx *ctx, dbsync_conn *conn, const char *sql)
{
	*out = 0;
	int rc = dbs_pg_sync_path(ctx, conn);
	if (rc)
		return rc;
	PGresult *res = PQexec(dbs_pg_handle(conn), sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		char what[STMT_EXCERPT + 64];
		int n = excerpt_len(sql);
		snprintf(what, sizeof what, "query \"%.*s%s\" failed", n, sql, sql[n] ? "..." : "");
		rc = dbs_pg_error(ctx, conn, res, what);
	} else if (PQntuples(res) > 0 && PQnfields(res) > 0 && !PQgetisnull(res, 0, 0)) {
		const char *v = PQgetvalue(res, 0, 0);
		char *end = NULL;
		errno = 0;
		/* booleans come back as t/f: pg_try_advisory_xact_lock, EXISTS (...) */
		if (strcmp(v, "t") == 0 || strcmp(v, "f") == 0) {
			*out = v[0] == 't';
		} else {
			long long x = strtoll(v, &end, 10);
			if (errno || end == v || *end)
				rc = dbs_error(ctx, DBSYNC_EDB, "query \"%.*s\" returned '%s', not an integer",
					excerpt_len(sql), sql, v);
			else
				*out = x;
		}
	}
	PQclear(res);
	return rc;
}

/* ---- framing a plan ---- */

/* Roll back, keeping the error already on ctx (the first error is the one
 * worth reporting); with none there, a failed rollback is the error. */
static int rollback(dbsync_ctx *ctx, dbsync_conn *conn)
{
	PGconn *pg = dbs_pg_handle(conn);
	if (PQtransactionStatus(pg) == PQTRANS_IDLE)
		return 0;
	PGresult *res = PQexec(pg, "ROLLBACK");
	int rc = 0;
	if (PQresultStatus(res) != PGRES_COMMAND_OK && !dbsync_ctx_error(ctx)->code)
		rc = dbs_pg_error(ctx, conn, res, "ROLLBACK failed");
	PQclear(res);
	return rc;
}

/* The lock is tried, not waited for: a second run fails at once with a clear
 * message instead of hanging behind a long apply (the caller may retry). It
 * is the synced schema's: runs on different schemas of one database (a fleet's
 * members) do not wait for each other. */
static int pg_apply_begin(dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_plan *plan)
{
	dbs_pg_conn *pc = conn->impl;
	char sql[96];
	int64_t got = 0;
	int rc;
	if (PQtransactionStatus(pc->pg) != PQTRANS_IDLE)
		return dbs_error(ctx, DBSYNC_EINVALID,
			"cannot apply a plan to %s: a transaction is already open on this connection", conn->describe);
	/* its statements name no schema: they would land in this one */
	if (plan && plan->namespace_name && strcmp(plan->namespace_name, pc->schema) != 0)
		return dbs_error(ctx, DBSYNC_EINVALID, "cannot apply a plan made for schema \"%s\" to schema "
			"\"%s\" of %s", plan->namespace_name, pc->schema, conn->describe);
	if ((rc = pg_exec(ctx, conn, "BEGIN")))
		return rc;
	snprintf(sql, sizeof sql, "SELECT pg_catalog.pg_try_advisory_xact_lock(%" PRId64 ")",
		dbs_pg_lock_key(pc->schema));
	rc = pg_query_int64(&got, ctx, conn, sql);
	if (!rc && !got)
		rc = dbs_error(ctx, DBSYNC_ELOCKED, "another dbsync run holds the lock on schema \"%s\" of %s; "
			"try again when it has finished", pc->schema, conn->describe);
	if (rc)
		rollback(ctx, conn);
	return rc;
}

static int pg_apply_end(dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_plan *plan, int commit)
{
	PGconn *pg = dbs_pg_handle(conn);
	(void)plan;
	if (!commit)
		return rollback(ctx, conn);
	if (PQtransactionStatus(pg) == PQTRANS_INERROR) {
		int rc = dbs_error(ctx, DBSYNC_EDB, "cannot commit on %s: a statement of the plan failed "
			"and the transaction was aborted; nothing was changed", conn->describe);
		rollback(ctx, conn);
		return rc;
	}
	PGresult *res = PQexec(pg, "COMMIT");
	int rc = 0;
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		/* deferred constraints are checked here: 23503 and friends */
		rc = dbs_pg_error(ctx, conn, res, "COMMIT failed; nothing was changed");
	else if (strcmp(PQcmdStatus(res), "COMMIT") != 0)
		rc = dbs_error(ctx, DBSYNC_EDB, "COMMIT on %s ended as %s; nothing was changed",
			conn->describe, PQcmdStatus(res));
	PQclear(res);
	if (rc)
		rollback(ctx, conn);
	return rc;
}

/* A script run by hand waits for the lock rather than failing: psql would
 * carry on past a false pg_try_advisory_xact_lock. The lock is the planned
 * schema's, as apply_begin takes it. */
static int pg_script_prologue(dbs_buf *out, const dbsync_plan *plan)
{
	return dbs_buf_printf(out, "BEGIN;\nSELECT pg_catalog.pg_advisory_xact_lock(%" PRId64 ");\n",
		dbs_pg_lock_key(plan ? plan->namespace_name : NULL));
}

static int pg_script_epilogue(dbs_buf *out, const dbsync_plan *plan)
{
	(void)plan;
	return dbs_buf_puts(out, "COMMIT;\n");
}

/* The schema (database) synced, for the planner's check of qualified names. */
static const char *dbs_pg_synced_namespace(const dbsync_conn *conn)
{
	return ((const dbs_pg_conn *)conn->impl)->schema;
}

const dbs_backend dbs_backend_postgres = {
	.dialect = DBSYNC_DIALECT_POSTGRES,
	.open = pg_open,
	.close = pg_close,
	.introspect = dbs_pg_introspect,
	.inspect = dbs_insp_postgres,
	.normalize_desired = dbs_pg_normalize_desired,
	.synced_namespace = dbs_pg_synced_namespace,
	.normalize_desired_some = dbs_pg_normalize_desired_some,
	.exec = pg_exec,
	.query_int64 = pg_query_int64,
	.apply_begin = pg_apply_begin,
	.apply_end = pg_apply_end,
	.script_prologue = pg_script_prologue,
	.script_epilogue = pg_script_epilogue,
	.backup = &dbs_pg_backup_ops,
	.connection_broken = dbs_pg_connection_broken,
	.reconnect = dbs_pg_reconnect,
	.lock_wait_in_tx = dbs_pg_lock_wait_in_tx,
	.namespaces = dbs_pg_namespaces,
	.use_namespace = dbs_pg_use_namespace,
	.introspect_many = dbs_pg_introspect_many,
};
