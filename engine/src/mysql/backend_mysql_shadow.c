/*
 * Letting the server normalize the desired side (normalize_desired). The
 * parser's canonical forms would have to reproduce every MySQL and MariaDB
 * rewrite of Django's DDL: integer -> int, bool -> tinyint(1), json ->
 * longtext + json_valid CHECK on MariaDB, the table's default collation on
 * every text column, defaults requoted, CHECK expressions reprinted
 * (`x` >= 0 becomes `x` >= 0 with the server's spacing and backticks), FK
 * indexes the server adds on its own... Instead the desired tables are made
 * in a throwaway database and read back with the very catalog queries that
 * read the live one, so both sides come from the same printer.
 *
 * What runs there is never the user's text: it is the engine's rendering of
 * the parsed model (shadow_ddl.c: CREATE TABLE and CREATE INDEX, names
 * unqualified, each checked to be one plain statement), so no statement of a
 * desired file (USE, DROP, a DELETE naming the live database) can reach the
 * server; the parser refuses those outright.
 *
 * MySQL DDL is not transactional: the shadow is a real database
 * (`dbsync_shadow_<connection id>`), made with the live database's default
 * charset and collation, and dropped on every path, failure included. A
 * shadow left by a connection that died mid-way is dropped only when its
 * connection id is our own (then it is provably dead). Foreign key checks
 * are off in the session while the DDL runs, so a foreign key to a table the
 * desired DDL does not create (a model outside the selection) is accepted.
 * A read-only connection (dry runs, checks) is made read-write for the
 * shadow's statements alone.
 *
 * The shadow costs a CREATE DATABASE and the whole DDL (about 6 ms a table on
 * a local MariaDB), so the connection keeps its last result: the same DDL
 * under the same database defaults is read from there (a plan, the verify
 * after its apply, and a re-plan run the shadow once).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_mysql.h"
#include "buf.h"
#include "shadow_ddl.h"
#include "ctx.h"
#include "dialect.h"

#define MY DBSYNC_DIALECT_MYSQL

/* The database's default charset and collation (each up to 64 bytes), and
 * whether the session reads strings another way than the engine's lexer
 * (sql_mode NO_BACKSLASH_ESCAPES or ANSI_QUOTES), in one round trip. */
static int query_defaults(dbsync_ctx *ctx, dbsync_conn *conn, char a[64], char b[64], bool *odd_strings)
{
	static const char sql[] = "SELECT @@character_set_database, @@collation_database, "
		"@@SESSION.sql_mode REGEXP 'NO_BACKSLASH_ESCAPES|ANSI_QUOTES'";
	MYSQL *db = dbs_my_db(conn);
	a[0] = b[0] = '\0';
	*odd_strings = true;
	int rc = dbs_my_use_pending(ctx, conn);
	if (rc)
		return rc;
	if (mysql_real_query(db, sql, strlen(sql)))
		return dbs_my_error(ctx, conn, "reading the database's default charset");
	MYSQL_RES *res = mysql_store_result(db);
	if (!res)
		return dbs_my_error(ctx, conn, "reading the database's default charset");
	MYSQL_ROW row = mysql_fetch_row(res);
	if (row && row[0])
		snprintf(a, 64, "%s", row[0]);
	if (row && row[1])
		snprintf(b, 64, "%s", row[1]);
	if (row && row[2])
		*odd_strings = strcmp(row[2], "0") != 0;
	mysql_free_result(res);
	return 0;
}

/* A charset or collation name is safe to write bare when it is a plain word. */
static bool plain_word(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

/* Run sql on ctx, or on a scratch ctx when ctx already holds the error
 * that matters (then its outcome is ignored). */
static int run_on(dbsync_ctx *ctx, dbsync_conn *conn, const char *sql, bool keep_error)
{
	if (!keep_error)
		return conn->backend->exec(ctx, conn, sql);
	dbsync_ctx *scratch = NULL;
	if (dbsync_ctx_new(&scratch) == 0) {
		conn->backend->exec(scratch, conn, sql);
		dbsync_ctx_free(scratch);
	}
	return 0;
}

/* Back to the live database with foreign key checks on, the shadow dropped,
 * and a read-only connection read-only again whatever happened before. */
static int restore(dbsync_ctx *ctx, dbsync_conn *conn, const char *shadow_q, bool failed)
{
	dbs_my_conn *mc = conn->impl;
	dbs_buf sql = DBS_BUF_INIT;
	int rc;
	dbs_buf_puts(&sql, "SET SESSION foreign_key_checks = 1; USE ");
	dbs_quote_ident(&sql, MY, mc->dbname);
	dbs_buf_printf(&sql, "; DROP DATABASE IF EXISTS %s", shadow_q);
	rc = dbs_buf_ok(&sql) ? run_on(ctx, conn, dbs_buf_cstr(&sql), failed) : dbs_error_oom(ctx);
	if (failed || rc) {
		/* the USE above may not have run: select the live database again
		 * before the next statement */
		mc->use_pending = true;
	}
	if (conn->readonly) {
		int ro = run_on(ctx, conn, "SET SESSION TRANSACTION READ ONLY", failed || rc);
		if (!rc)
			rc = ro;
	}
	dbs_buf_free(&sql);
	return rc;
}

/* A schema of its own with the tables of src. */
static int copy_schema(dbsync_schema **out, dbsync_ctx *ctx, const dbsync_schema *src)
{
	dbsync_schema *s = dbs_schema_new(src->dialect);
	for (size_t i = 0; s && i < src->tables.n; i++)
		if (!dbs_schema_copy_table(s, src->tables.items[i])) {
			dbsync_schema_free(s);
			s = NULL;
		}
	*out = s;
	return s ? 0 : dbs_error_oom(ctx);
}

/* The error of creating the shadow database: a user whose grants stop at
 * its own database (error 1044) is told which grant the shadow needs. */
static int shadow_denied(dbsync_ctx *ctx, const char *name)
{
	const dbsync_error *e = dbsync_ctx_error(ctx);
	int rc = e->code;
	if (e->native_code != 1044) {
		dbs_error_prefix(ctx, "creating the shadow database %s to normalize the desired schema", name);
		return rc;
	}
	char *msg = strdup(e->message);
	if (!msg)
		return dbs_error_oom(ctx);
	char sqlstate[6] = "";
	if (e->sqlstate[0])
		snprintf(sqlstate, sizeof sqlstate, "%s", e->sqlstate);
	rc = dbs_error_db(ctx, rc, sqlstate[0] ? sqlstate : NULL, 1044, "creating the shadow database %s to normalize "
		"the desired schema: %s; dbsync lets the server read the desired schema in a scratch database of its "
		"own: GRANT CREATE, DROP, ALTER, INDEX, REFERENCES ON `dbsync\\_shadow\\_%%`.* to the user", name, msg);
	free(msg);
	return rc;
}

/* Remember the result for the same key (a failure to remember costs only
 * the next shadow run). */
static void remember(dbs_my_conn *mc, dbs_buf *key, const dbsync_schema *result)
{
	dbsync_schema *copy = NULL;
	dbsync_ctx *scratch = NULL;
	free(mc->shadow_key);
	dbsync_schema_free(mc->shadow_result);
	mc->shadow_key = NULL;
	mc->shadow_result = NULL;
	if (!dbs_buf_ok(key) || dbsync_ctx_new(&scratch))
		return;
	if (copy_schema(&copy, scratch, result) == 0) {
		mc->shadow_key = dbs_buf_detach(key);
		mc->shadow_result = mc->shadow_key ? copy : NULL;
		if (!mc->shadow_key)
			dbsync_schema_free(copy);
	}
	dbsync_ctx_free(scratch);
}

static int render(dbs_buf *ddl, dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_schema *desired,
	const bool *only, bool odd_strings);

/* A table whose DDL names no charset nor collation takes the database's
 * default, whatever it is: nothing to compare (model.h). One naming only the
 * charset got that charset's default collation, compared only with another
 * charset. In such a table a column that names its own charset or collation
 * keeps the one the shadow gave it even where it is the table's (the
 * catalog's read drops those): the shadow's default need not be the live
 * database's (one shadow for a fleet of databases with different defaults),
 * so "the table's" would mean another collation there (dbs_my_collation_eq). */
static void forget_unnamed_charsets(dbsync_schema *normalized, const dbsync_schema *desired)
{
	for (size_t i = 0; i < normalized->tables.n; i++) {
		dbs_table *t = normalized->tables.items[i];
		const dbs_table *parsed = dbs_schema_find_table(desired, t->name);
		if (parsed && (parsed->charset || parsed->collation)) {
			t->collation_implied = !parsed->collation;
			continue;
		}
		for (size_t j = 0; parsed && j < t->columns.n; j++) {
			dbs_column *c = t->columns.items[j];
			const dbs_column *pc = dbs_table_find_column(desired, parsed, c->name);
			if (!c->collation && pc && (pc->charset || pc->collation))
				c->collation = t->collation;
		}
		t->charset = NULL;
		t->collation = NULL;
	}
}

/* Make the desired tables (those only[] marks, all when NULL), as the engine
 * renders them, in the shadow database and read them back. */
static int normalize(dbsync_schema **out, dbsync_ctx *ctx, dbsync_conn *conn,
	const dbsync_schema *desired, const bool *only)
{
	dbs_my_conn *mc = conn->impl;
	dbs_buf key = DBS_BUF_INIT, ddl_buf = DBS_BUF_INIT;
	char charset[64], collation[64], name[64];
	int64_t id = 0;
	dbs_buf sql = DBS_BUF_INIT, shadow_q = DBS_BUF_INIT;
	bool made = false, odd_strings;
	int rc;
	*out = NULL;
	if ((rc = conn->backend->query_int64(&id, ctx, conn, "SELECT CONNECTION_ID()")))
		goto cleanup;
	if ((rc = query_defaults(ctx, conn, charset, collation, &odd_strings)))
		goto cleanup;
	if ((rc = render(&ddl_buf, ctx, conn, desired, only, odd_strings)))
		goto cleanup;
	const char *ddl = dbs_buf_cstr(&ddl_buf);
	size_t ddl_len = ddl_buf.len;
	/* the server's reading depends on the DDL and the database's defaults */
	dbs_buf_printf(&key, "%s %s\n", charset, collation);
	dbs_buf_put(&key, ddl, ddl_len);
	if (mc->shadow_key && dbs_buf_ok(&key) && strcmp(mc->shadow_key, dbs_buf_cstr(&key)) == 0) {
		rc = copy_schema(out, ctx, mc->shadow_result);
		goto cleanup;
	}
	snprintf(name, sizeof name, "dbsync_shadow_%lld", (long long)id);
	dbs_quote_ident(&shadow_q, MY, name);
	/* a read-only connection writes nothing but its own shadow, and is
	 * read-only again before anything else runs (restore) */
	if (conn->readonly)
		dbs_buf_puts(&sql, "SET SESSION TRANSACTION READ WRITE; ");
	dbs_buf_printf(&sql, "DROP DATABASE IF EXISTS %s; CREATE DATABASE %s", dbs_buf_cstr(&shadow_q),
		dbs_buf_cstr(&shadow_q));
	if (plain_word(charset) && plain_word(collation))
		dbs_buf_printf(&sql, " CHARACTER SET %s COLLATE %s", charset, collation);
	dbs_buf_printf(&sql, "; USE %s; SET SESSION foreign_key_checks = 0", dbs_buf_cstr(&shadow_q));
	if (!dbs_buf_ok(&sql) || !dbs_buf_ok(&shadow_q)) {
		rc = dbs_error_oom(ctx);
		goto cleanup;
	}
	made = true;
	if ((rc = conn->backend->exec(ctx, conn, dbs_buf_cstr(&sql)))) {
		rc = shadow_denied(ctx, name);
		goto cleanup;
	}
	if (ddl_len && (rc = conn->backend->exec(ctx, conn, ddl))) {
		dbs_error_prefix(ctx, "the desired DDL failed in the shadow database %s", name);
		goto cleanup;
	}
	if (!(rc = dbs_my_introspect_db(out, ctx, conn, name))) {
		/* the desired schema is not changed: only its name hash is (re)built */
		dbs_schema_forget_invented_names(*out, desired);
		forget_unnamed_charsets(*out, desired);
		remember(mc, &key, *out);
	}
cleanup:
	if (made) {
		int rrc = restore(ctx, conn, dbs_buf_cstr(&shadow_q), rc != 0);
		if (!rc && rrc) {
			rc = rrc;
			dbsync_schema_free(*out);
			*out = NULL;
		}
	}
	dbs_buf_free(&sql);
	dbs_buf_free(&shadow_q);
	dbs_buf_free(&key);
	dbs_buf_free(&ddl_buf);
	return rc;
}

/* The shadow's tables in desired's order, as the subset below and the
 * PostgreSQL shadow give them, so a plan's order does not depend on how much
 * went through the shadow. Tables the server renamed beyond ASCII case
 * (lower_case_table_names=1 and non-ASCII names) keep the catalog's order. */
static int in_desired_order(dbsync_schema *s, const dbsync_schema *desired)
{
	size_t n = s->tables.n, k = 0;
	dbs_table **items = n ? dbs_arena_alloc(&s->arena, n * sizeof *items) : NULL;
	if (n && !items)
		return 0; /* only the order is lost */
	for (size_t i = 0; i < desired->tables.n && k < n; i++) {
		dbs_table *t = dbs_schema_find_table(s, desired->tables.items[i]->name);
		if (!t)
			return 0;
		items[k++] = t;
	}
	if (k != n)
		return 0;
	memcpy(s->tables.items, items, n * sizeof *items);
	return 0;
}

/* The rendered statements of the tables only[] marks (all when NULL), joined.
 * A session whose sql_mode reads strings otherwise than the engine's lexer
 * gets no string whose end depends on it. */
static int render(dbs_buf *ddl, dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_schema *desired,
	const bool *only, bool odd_strings)
{
	const dbs_my_conn *mc = conn->impl;
	dbs_arena a;
	dbs_ddl_stmts stmts = { 0 };
	dbs_arena_init(&a);
	int rc = dbs_render_shadow_ddl(&stmts, &a, ctx, desired, only, mc->dbname, odd_strings);
	for (size_t i = 0; !rc && i < stmts.n; i++) {
		dbs_buf_put(ddl, stmts.items[i].text, stmts.items[i].len);
		dbs_buf_puts(ddl, ";\n");
	}
	if (!rc && !dbs_buf_ok(ddl))
		rc = dbs_error_oom(ctx);
	dbs_arena_free(&a);
	return rc;
}

int dbs_my_normalize_desired(dbsync_schema **out, dbsync_ctx *ctx, dbsync_conn *conn,
	const dbsync_schema *desired)
{
	*out = NULL;
	if (!desired->source_ddl)
		return dbs_error(ctx, DBSYNC_EINVALID, "the MySQL backend normalizes only a desired schema the "
			"parser read (canonical forms, source lines): parse it from DDL (dbsync_schema_parse) "
			"instead of building it in code");
	int rc = normalize(out, ctx, conn, desired, NULL);
	return rc ? rc : in_desired_order(*out, desired);
}

/*
 * The shadow for the marked tables only (foreign key checks are off in the
 * shadow, so a reference to a table left out is accepted, as one to a model
 * outside the selection is), the others copied as parsed.
 */
int dbs_my_normalize_desired_some(dbsync_schema **out, dbsync_ctx *ctx, dbsync_conn *conn,
	const dbsync_schema *desired, const bool *only)
{
	dbsync_schema *part = NULL, *all = NULL;
	bool whole = false;
	int rc;
	*out = NULL;
	if (!desired->source_ddl)
		return dbs_my_normalize_desired(out, ctx, conn, desired);
	if ((rc = normalize(&part, ctx, conn, desired, only)))
		goto cleanup;
	if (!(all = dbs_schema_new(MY))) {
		rc = dbs_error_oom(ctx);
		goto cleanup;
	}
	for (size_t i = 0; i < desired->tables.n && !rc && !whole; i++) {
		const dbs_table *t = desired->tables.items[i];
		const dbs_table *from = only[i] ? dbs_schema_find_table(part, t->name) : t;
		/* not found: the server folded the name beyond ASCII case
		 * (lower_case_table_names=1 and a non-ASCII name); the whole
		 * shadow gives every table as the server spells it */
		if (!from)
			whole = true;
		else if (!dbs_schema_copy_table(all, from))
			rc = dbs_error_oom(ctx);
	}
	if (!rc && whole) {
		rc = dbs_my_normalize_desired(out, ctx, conn, desired);
		goto cleanup;
	}
	if (!rc) {
		*out = all;
		all = NULL;
	}
cleanup:
	dbsync_schema_free(all);
	dbsync_schema_free(part);
	return rc;
}
