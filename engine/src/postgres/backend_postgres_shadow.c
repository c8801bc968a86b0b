/*
 * Letting the server normalize the desired side. The parser's canonical forms
 * cannot match PostgreSQL's deparse of every default, check, index predicate
 * and generated column (it adds casts, parentheses, resolves functions), so
 * the desired DDL is run in a throwaway schema and read back with the very
 * catalog queries that read the live schema: both sides then come from the
 * same printer. Nothing of it survives: it all happens inside a transaction
 * (or a savepoint of the caller's) that is always rolled back.
 *
 * "The desired DDL" below is never the user's text: it is what the engine
 * renders from the parsed model (shadow_ddl.c: CREATE TABLE, CREATE INDEX,
 * COMMENT ON, then the foreign keys as ALTER TABLE ... ADD), names
 * unqualified, each statement checked to be one plain statement, so nothing
 * a desired file says can run here (a function call, COPY ... TO PROGRAM,
 * a DELETE): the parser refuses what is not schema DDL, and what it reads is
 * only ever rendered. The script reads strings with standard_conforming_strings
 * on, as the engine's lexer does.
 *
 * One round trip, up to DBS_PG_SHADOW_CHUNK tables: a single script of
 *   BEGIN; CREATE SCHEMA; search_path with the shadow first;
 *   copies of the tables the DDL references without creating them;
 *   the DDL; the catalog queries on the shadow; ROLLBACK
 * whose results come back one per statement. When a statement fails the
 * server skips the rest, and a second round trip rolls back. A role that may
 * not create schemas costs two more (the rollback, and the script again with
 * the session's temporary schema as the shadow).
 *
 * Every relation the DDL makes is locked until its transaction ends, and the
 * server's lock table is small (max_locks_per_transaction, 64 by default,
 * times max_connections, shared by all): a bigger schema goes in one script
 * per DBS_PG_SHADOW_CHUNK tables (backend_postgres_shadow_split.c), each
 * rolled back before the next.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_postgres.h"
#include "backend_postgres_shadow.h"
#include "buf.h"
#include "ctx.h"
#include "dialect.h"

#define PG DBSYNC_DIALECT_POSTGRES
#define EXCERPT 120

typedef struct shadow {
	dbsync_ctx *ctx;
	dbsync_conn *conn;
	dbs_pg_conn *pc;
	const dbsync_schema *desired;
	char name[64];               /* the shadow schema: a plain identifier */
	bool savepoint;              /* the caller's transaction was open */
	bool temp;                   /* the role may not create schemas: pg_temp stands in */
	bool started;                /* the script began a transaction: roll back */
	dbs_arena tmp;
	dbs_ddl_stmts stmts;          /* the desired DDL */
	DBS_VEC(size_t) order;       /* the statements the script runs, in order */
	DBS_VEC(const char *) refs;  /* tables referenced but not created... */
	DBS_VEC(const char *) referrers; /* ...and one table referencing each */
	dbs_buf script;
	/* the script's layout: statements before the DDL, and where the stand-ins
	 * are made (-1: none) */
	int n_before, stub_at;
	DBS_VEC(PGresult *) results; /* one per statement that ran */
	int n_ok;                    /* statements that succeeded */
	PGresult *failed;            /* the error, or NULL */
} shadow;

/* The table of `desired` named `name`, or NULL. The schema's name hash is a
 * cache the lookup may rebuild; the schema itself is not changed. */
static dbs_table *desired_table(const shadow *sh, const char *name)
{
	return dbs_schema_find_table(sh->desired, name);
}

/* Tables the desired DDL references with a foreign key but does not create
 * (Django: an FK to auth_user when the auth app is not selected). */
static int collect_refs(shadow *sh)
{
	const dbsync_schema *d = sh->desired;
	for (size_t i = 0; i < d->tables.n; i++) {
		const dbs_table *t = d->tables.items[i];
		for (size_t j = 0; j < t->constraints.n; j++) {
			const dbs_constraint *k = t->constraints.items[j];
			if (k->kind != DBS_CON_FOREIGN || !k->ref_table || desired_table(sh, k->ref_table))
				continue;
			bool seen = false;
			for (size_t r = 0; r < sh->refs.n && !seen; r++)
				seen = strcmp(sh->refs.items[r], k->ref_table) == 0;
			if (!seen && (DBS_VEC_PUSH(&sh->tmp, &sh->refs, k->ref_table) ||
				      DBS_VEC_PUSH(&sh->tmp, &sh->referrers, t->name)))
				return dbs_error_oom(sh->ctx);
		}
	}
	return 0;
}

static void put_ident(shadow *sh, const char *name)
{
	dbs_quote_ident(&sh->script, PG, name);
}

static void put_literal(shadow *sh, const char *s)
{
	dbs_quote_literal(&sh->script, PG, s);
}

/* The shadow schema's name as an SQL value: the temporary schema's is only
 * known once something is in it. */
static void put_shadow_value(const shadow *sh, dbs_buf *b)
{
	if (sh->temp)
		dbs_buf_puts(b, "(SELECT nspname FROM pg_catalog.pg_namespace "
			"WHERE oid = pg_catalog.pg_my_temp_schema())");
	else
		dbs_quote_literal(b, PG, sh->name);
}

/* ... and as an identifier, itself quoted as a literal (for search_path and
 * format()). */
static void put_shadow_ident_literal(shadow *sh)
{
	dbs_buf q = DBS_BUF_INIT;
	if (sh->temp)
		dbs_buf_puts(&q, "pg_temp");
	else
		dbs_quote_ident(&q, PG, sh->name);
	put_literal(sh, dbs_buf_cstr(&q));
	if (!dbs_buf_ok(&q))
		sh->script.oom = true;
	dbs_buf_free(&q);
}

/* Copies (LIKE ... INCLUDING ALL, so their keys are there for the foreign
 * keys of the DDL) of the referenced tables that exist in the synced schema.
 * The others are left to the server: a reference the parser read without
 * its schema ("other"."t") resolves, one to a table that exists nowhere
 * fails, and run() names it. */
static void put_stand_ins(shadow *sh)
{
	dbs_buf *b = &sh->script;
	dbs_buf_puts(b, "DECLARE r text; BEGIN FOREACH r IN ARRAY ARRAY[");
	for (size_t i = 0; i < sh->refs.n; i++) {
		if (i)
			dbs_buf_puts(b, ", ");
		put_literal(sh, sh->refs.items[i]);
	}
	dbs_buf_puts(b, "]::pg_catalog.text[] LOOP IF EXISTS (SELECT 1 FROM pg_catalog.pg_class c "
		"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ");
	put_literal(sh, sh->pc->schema);
	dbs_buf_puts(b, " AND c.relname = r AND c.relkind IN ('r','p')) THEN "
		"EXECUTE pg_catalog.format('CREATE TABLE %s.%I (LIKE %I.%I INCLUDING ALL)', ");
	put_shadow_ident_literal(sh);
	dbs_buf_puts(b, ", r, ");
	put_literal(sh, sh->pc->schema);
	dbs_buf_puts(b, ", r); END IF; END LOOP; END");
}

static void put_stmt(shadow *sh, const dbs_ddl_stmt *st)
{
	dbs_buf_put(&sh->script, st->text, st->len);
	dbs_buf_puts(&sh->script, ";\n");
}

/* The whole script, with the statements emit[] marks (all when NULL). */
static int build(shadow *sh, const bool *emit)
{
	dbs_buf *b = &sh->script;
	int n = 0;
	dbs_buf_clear(b);
	sh->order.n = 0;
	/* READ WRITE even where default_transaction_read_only guards a dry run:
	 * nothing done here outlives the rollback */
	dbs_buf_puts(b, sh->savepoint ? "SAVEPOINT dbsync_shadow;\n" : "BEGIN READ WRITE;\n");
	n++;
	if (!sh->temp) {
		dbs_buf_puts(b, "CREATE SCHEMA ");
		put_ident(sh, sh->name);
		dbs_buf_puts(b, ";\n");
		n++;
	}
	/* the caller's search_path after the shadow: types, functions and
	 * extensions resolve and print as they do for the live schema */
	dbs_buf_puts(b, "SELECT pg_catalog.set_config('search_path', ");
	put_shadow_ident_literal(sh);
	dbs_buf_puts(b, " || CASE WHEN pg_catalog.current_setting('search_path') = '' THEN '' "
		"ELSE ', ' || pg_catalog.current_setting('search_path') END, true), "
		"pg_catalog.set_config('standard_conforming_strings', 'on', true);\n");
	n++;
	sh->stub_at = -1;
	if (sh->refs.n) {
		/* a dollar-quote tag the body does not contain */
		size_t start = b->len;
		put_stand_ins(sh);
		char tag[32];
		unsigned k = 0;
		do
			snprintf(tag, sizeof tag, "$dbsync%u$", k++);
		while (dbs_buf_ok(b) && strstr(dbs_buf_cstr(b) + start, tag));
		dbs_buf body = DBS_BUF_INIT;
		dbs_buf_put(&body, dbs_buf_cstr(b) + start, b->len - start);
		b->len = start;
		dbs_buf_printf(b, "DO %s%s%s;\n", tag, dbs_buf_cstr(&body), tag);
		if (!dbs_buf_ok(&body))
			b->oom = true;
		dbs_buf_free(&body);
		sh->stub_at = n++;
	}
	sh->n_before = n;
	for (size_t i = 0; i < sh->stmts.n; i++) {
		if (emit && !emit[i])
			continue;
		put_stmt(sh, &sh->stmts.items[i]);
		if (DBS_VEC_PUSH(&sh->tmp, &sh->order, i))
			return dbs_error_oom(sh->ctx);
	}
	/* the schema's name, then the catalog queries naming it the same way */
	dbs_buf val = DBS_BUF_INIT, names = DBS_BUF_INIT;
	put_shadow_value(sh, &val);
	dbs_buf_printf(b, "SELECT %s;\n", dbs_buf_cstr(&val));
	dbs_buf_printf(&names, "ARRAY[%s]::pg_catalog.name[]", dbs_buf_cstr(&val));
	if (!dbs_buf_ok(&val) || !dbs_buf_ok(&names) ||
	    dbs_pg_catalog_script(b, sh->pc->server_num, dbs_buf_cstr(&names), NULL))
		b->oom = true;
	dbs_buf_free(&val);
	dbs_buf_free(&names);
	dbs_buf_puts(b, sh->savepoint ? "ROLLBACK TO SAVEPOINT dbsync_shadow;\nRELEASE SAVEPOINT dbsync_shadow;\n"
		: "ROLLBACK;\n");
	return dbs_buf_ok(b) ? 0 : dbs_error_oom(sh->ctx);
}

static void clear_results(shadow *sh)
{
	for (size_t i = 0; i < sh->results.n; i++)
		PQclear(sh->results.items[i]);
	sh->results.n = 0;
	PQclear(sh->failed);
	sh->failed = NULL;
	sh->n_ok = 0;
}

/* Send the script and note one result per statement that ran (NULL for
 * those without rows). */
static int send_script(shadow *sh)
{
	PGconn *pg = sh->pc->pg;
	int rc = 0;
	clear_results(sh);
	sh->conn->catalog_queries++;
	if (!PQsendQuery(pg, dbs_buf_cstr(&sh->script)))
		return dbs_pg_error(sh->ctx, sh->conn, NULL, "sending the shadow schema's script failed");
	sh->started = true;
	PGresult *res;
	while ((res = PQgetResult(pg))) {
		ExecStatusType st = PQresultStatus(res);
		/* a COPY would wait for data no one sends: end it (as an error) */
		if (st == PGRES_COPY_IN) {
			PQputCopyEnd(pg, "dbsync does not feed COPY in a shadow schema");
		} else if (st == PGRES_COPY_OUT) {
			char *row = NULL;
			while (PQgetCopyData(pg, &row, 0) > 0)
				PQfreemem(row);
		}
		if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || sh->failed) {
			PQclear(res);
		} else if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
			sh->failed = res;
		} else {
			/* only results with rows are read; the others just count */
			PGresult *keep = st == PGRES_TUPLES_OK && !rc ? res : NULL;
			if (!keep)
				PQclear(res);
			if (!rc && DBS_VEC_PUSH(&sh->tmp, &sh->results, keep)) {
				PQclear(keep);
				rc = dbs_error_oom(sh->ctx);
			}
			sh->n_ok++;
		}
	}
	/* the script ended its transaction itself unless something failed */
	if (!sh->failed && !rc)
		sh->started = false;
	return rc;
}

/* After a failure: roll back (one more round trip). The first error stays
 * the one reported. */
static int roll_back(shadow *sh)
{
	PGconn *pg = sh->pc->pg;
	if (!sh->started || PQstatus(pg) != CONNECTION_OK || PQtransactionStatus(pg) == PQTRANS_IDLE)
		return 0;
	sh->started = false;
	sh->conn->catalog_queries++;
	PGresult *res = PQexec(pg, sh->savepoint
		? "ROLLBACK TO SAVEPOINT dbsync_shadow; RELEASE SAVEPOINT dbsync_shadow" : "ROLLBACK");
	int rc = 0;
	if (PQresultStatus(res) != PGRES_COMMAND_OK && !dbsync_ctx_error(sh->ctx)->code)
		rc = dbs_pg_error(sh->ctx, sh->conn, res, "rolling back the shadow schema failed");
	PQclear(res);
	return rc;
}

/* The referenced table, absent from the synced schema, that a failure to
 * find a relation is about (the server quotes its name), or -1. */
static long missing_ref(const shadow *sh)
{
	const char *msg = PQresultErrorField(sh->failed, PG_DIAG_MESSAGE_PRIMARY);
	for (size_t i = 0; msg && i < sh->refs.n; i++) {
		const char *ref = sh->refs.items[i], *hit = strstr(msg, ref);
		size_t n = strlen(ref);
		if (hit && hit > msg && hit[-1] == '"' && hit[n] == '"')
			return (long)i;
	}
	return -1;
}

/* The error of the statement that failed, named. */
static int report(shadow *sh)
{
	char what[EXCERPT + 600];
	int k = sh->n_ok;
	const char *state = PQresultErrorField(sh->failed, PG_DIAG_SQLSTATE);
	bool in_ddl = k >= sh->n_before && (size_t)(k - sh->n_before) < sh->order.n;
	long m = in_ddl && state && strcmp(state, "42P01") == 0 ? missing_ref(sh) : -1;
	if (m >= 0)
		return dbs_error(sh->ctx, DBSYNC_EINVALID, "table \"%s\" of the desired schema references "
			"table \"%s\", which is neither in the desired schema nor in schema \"%s\" of %s",
			sh->referrers.items[m], sh->refs.items[m], sh->pc->schema, sh->conn->describe);
	if (state && strcmp(state, "53200") == 0) {
		/* every relation made in one transaction holds a lock until its end */
		snprintf(what, sizeof what, "the desired DDL (%zu tables) needs more locks in one transaction "
			"than the server's lock table holds, to be normalized in a shadow schema; raise "
			"max_locks_per_transaction (about 8 per table) and restart the server",
			sh->desired->tables.n);
	} else if (k == sh->stub_at) {
		snprintf(what, sizeof what, "copying the tables the desired schema references (\"%s\"...) "
			"into the shadow schema failed", sh->refs.items[0]);
	} else if (k < sh->n_before) {
		snprintf(what, sizeof what, "setting up a shadow schema to normalize the desired DDL failed");
	} else if (in_ddl) {
		const dbs_ddl_stmt *st = &sh->stmts.items[sh->order.items[k - sh->n_before]];
		size_t n = 0;
		while (n < st->len && n < EXCERPT && st->text[n] != '\n')
			n++;
		snprintf(what, sizeof what, "the desired DDL failed in a shadow schema, at line %d (table \"%s\"): "
			"statement as rendered \"%.*s%s\"", st->line, st->owner, (int)n, st->text, n < st->len ? "..." : "");
	} else {
		snprintf(what, sizeof what, "reading the shadow schema failed");
	}
	return dbs_pg_error(sh->ctx, sh->conn, sh->failed, what);
}

enum { DENIED = 1 };

/* One run of the script: 0 with the catalog read into *s, DENIED (nothing
 * recorded) when the role may not create a schema, or an error. */
static int run(shadow *sh, const bool *emit, dbsync_schema **s)
{
	int rc;
	if ((rc = build(sh, emit)) || (rc = send_script(sh)))
		return rc;
	if (sh->failed) {
		const char *state = PQresultErrorField(sh->failed, PG_DIAG_SQLSTATE);
		if (!sh->temp && sh->n_ok == 1 && state && strcmp(state, "42501") == 0)
			return DENIED;
		return report(sh);
	}
	size_t at = (size_t)sh->n_before + sh->order.n;
	if (sh->results.n < at + 1 + DBS_PG_CATALOG_QUERIES)
		return dbs_error(sh->ctx, DBSYNC_EDB, "the shadow schema's script on %s returned %zu results, "
			"expected more", sh->conn->describe, sh->results.n);
	const PGresult *name = sh->results.items[at];
	if (PQntuples(name) == 1 && !PQgetisnull(name, 0, 0))
		snprintf(sh->name, sizeof sh->name, "%s", PQgetvalue(name, 0, 0));
	return dbs_pg_read_results(s, sh->ctx, sh->conn, sh->name, sh->pc->schema, sh->results.items + at + 1);
}

/* The shadow's tables in desired's order, without the stand-ins (or anything
 * else the DDL made besides the desired tables). */
static int keep_desired(shadow *sh, dbsync_schema *s)
{
	const dbsync_schema *d = sh->desired;
	dbs_table **items = d->tables.n ? dbs_arena_alloc(&s->arena, d->tables.n * sizeof *items) : NULL;
	if (d->tables.n && !items)
		return dbs_error_oom(sh->ctx);
	for (size_t i = 0; i < d->tables.n; i++) {
		const char *name = d->tables.items[i]->name;
		if (!(items[i] = dbs_schema_find_table(s, name)))
			return dbs_error(sh->ctx, DBSYNC_EINVALID, "table \"%s\" of the desired schema was not "
				"created in the shadow schema", name);
	}
	s->tables.items = items;
	s->tables.n = s->tables.cap = d->tables.n;
	for (size_t i = 0; i < d->tables.n; i++)
		dbs_table_forget_invented_names(items[i], d->tables.items[i]);
	/* the name index still holds the stand-ins */
	if (dbs_schema_reindex(s))
		return dbs_error_oom(sh->ctx);
	size_t nv = 0;
	for (size_t i = 0; i < s->views.n; i++) {
		bool wanted = false;
		for (size_t j = 0; j < d->views.n && !wanted; j++)
			wanted = strcmp(d->views.items[j]->name, s->views.items[i]->name) == 0;
		if (wanted)
			s->views.items[nv++] = s->views.items[i];
	}
	s->views.n = nv;
	return 0;
}

/* A DDL too big for one transaction's locks, in scripts of `per` desired
 * tables each (one round trip apiece, each rolled back): every script makes
 * its own tables, plus the CREATE TABLE of those they reference elsewhere,
 * and the result takes each table from its own script. With `only`, just the
 * tables it marks are normalized (stmts already chunked by dbs_pg_chunk_some)
 * and the others are copied from desired as parsed. DENIED as run(). */
static int run_chunks(shadow *sh, int n_chunks, size_t per, const bool *only, dbsync_schema **out)
{
	const dbsync_schema *d = sh->desired;
	dbsync_schema *all = dbs_schema_new(PG), *part = NULL;
	bool *emit = malloc((sh->stmts.n + 1) * sizeof *emit);
	int rc = 0;
	*out = NULL;
	if (!all || !emit) {
		rc = dbs_error_oom(sh->ctx);
		goto cleanup;
	}
	for (int c = 0; c < n_chunks && !rc; c++) {
		if (dbs_pg_chunk_select(emit, &sh->stmts, d, c)) {
			rc = dbs_error_oom(sh->ctx);
			break;
		}
		if ((rc = run(sh, emit, &part)) == DENIED) {
			if (c == 0 && !roll_back(sh))
				break;
			rc = dbs_error(sh->ctx, DBSYNC_EDB, "cannot make a shadow schema on %s", sh->conn->describe);
			break;
		}
		for (size_t i = 0, rank = 0; !rc && i < d->tables.n; i++) {
			if (only && !only[i])
				continue;
			size_t k = rank++;
			if (k < (size_t)c * per || k >= (size_t)(c + 1) * per)
				continue;
			const char *name = d->tables.items[i]->name;
			dbs_table *t = dbs_schema_find_table(part, name);
			if (!t)
				rc = dbs_error(sh->ctx, DBSYNC_EINVALID, "table \"%s\" of the desired schema was not "
					"created by its DDL in a shadow schema", name);
			else if (!dbs_schema_copy_table(all, t))
				rc = dbs_error_oom(sh->ctx);
		}
		dbsync_schema_free(part);
		part = NULL;
	}
	for (size_t i = 0; !rc && only && i < d->tables.n; i++)
		if (!only[i] && !dbs_schema_copy_table(all, d->tables.items[i]))
			rc = dbs_error_oom(sh->ctx);
	if (rc)
		goto cleanup;
	*out = all;
	all = NULL;
cleanup:
	dbsync_schema_free(all);
	free(emit);
	return rc;
}

static int normalize(dbsync_schema **out, dbsync_ctx *ctx, dbsync_conn *conn,
	const dbsync_schema *desired, const bool *only)
{
	dbs_pg_conn *pc = conn->impl;
	shadow sh = { .ctx = ctx, .conn = conn, .pc = pc, .desired = desired, .script = DBS_BUF_INIT };
	dbsync_schema *s = NULL;
	int rc;
	*out = NULL;
	dbs_arena_init(&sh.tmp);
	if (!desired->source_ddl) {
		rc = dbs_error(ctx, DBSYNC_EINVALID, "the PostgreSQL backend normalizes only a desired schema "
			"the parser read (canonical forms, source lines): parse it from DDL (dbsync_schema_parse) "
			"instead of building it in code");
		goto cleanup;
	}
	if (desired->dialect != PG) {
		rc = dbs_error(ctx, DBSYNC_EINVALID, "the desired schema is in the %s dialect, not postgresql",
			dbsync_dialect_name(desired->dialect));
		goto cleanup;
	}
	/* the shadow goes first on the session's path, the synced schema next */
	if ((rc = dbs_pg_sync_path(ctx, conn)))
		goto cleanup;
	switch (PQtransactionStatus(pc->pg)) {
	case PQTRANS_IDLE:
		break;
	case PQTRANS_INTRANS:
		sh.savepoint = true;
		break;
	default:
		rc = dbs_error(ctx, DBSYNC_EINVALID, "cannot normalize the desired schema on %s: the "
			"connection's transaction is aborted or busy", conn->describe);
		goto cleanup;
	}
	snprintf(sh.name, sizeof sh.name, "dbsync_shadow_%d_%u", PQbackendPID(pc->pg), ++pc->shadow_seq);
	if ((rc = collect_refs(&sh)) || (rc = dbs_render_shadow_ddl(&sh.stmts, &sh.tmp, ctx, desired, NULL, pc->schema, false)))
		goto cleanup;
	size_t per = pc->shadow_chunk ? pc->shadow_chunk : DBS_PG_SHADOW_CHUNK;
	int n_chunks = only ? dbs_pg_chunk_some(&sh.stmts, desired, only, per) : -1;
	if (n_chunks < 0)
		only = NULL; /* does not split: normalize everything */
	else if (n_chunks == 0) {
		/* nothing to normalize: desired as parsed */
		rc = run_chunks(&sh, 0, per, only, &s);
		goto done;
	}
	if (!only)
		n_chunks = dbs_pg_chunk(&sh.stmts, desired, per);
	if (n_chunks > 1 || only) {
		rc = run_chunks(&sh, n_chunks, per, only, &s);
		if (rc == DENIED) {
			sh.temp = true;
			rc = run_chunks(&sh, n_chunks, per, only, &s);
		}
	} else {
		rc = run(&sh, NULL, &s);
		if (rc == DENIED) {
			/* a role without CREATE on the database: its session's temporary
			 * schema (TEMPORARY is granted to PUBLIC by default) serves instead */
			if ((rc = roll_back(&sh)))
				goto cleanup;
			sh.temp = true;
			rc = run(&sh, NULL, &s);
		}
	}
done:
	if (rc || (rc = keep_desired(&sh, s)))
		goto cleanup;
	*out = s;
	s = NULL;
cleanup:
	roll_back(&sh);
	clear_results(&sh);
	dbsync_schema_free(s);
	dbs_buf_free(&sh.script);
	dbs_arena_free(&sh.tmp);
	return rc;
}

int dbs_pg_normalize_desired(dbsync_schema **out, dbsync_ctx *ctx, dbsync_conn *conn,
	const dbsync_schema *desired)
{
	return normalize(out, ctx, conn, desired, NULL);
}

int dbs_pg_normalize_desired_some(dbsync_schema **out, dbsync_ctx *ctx, dbsync_conn *conn,
	const dbsync_schema *desired, const bool *only)
{
	return normalize(out, ctx, conn, desired, only);
}
