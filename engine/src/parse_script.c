/*
 * Statements of a desired script that are not schema DDL. A desired file is a
 * schema, never a program: DML, USE, DROP, GRANT, SET of anything that is not
 * a session preamble, queries, CALL/DO... are refused with the line and the
 * statement's first words, so nothing a user wrote can be mistaken for part
 * of the schema (or, before, reach a shadow database). A small exact
 * allowlist is accepted and ignored because schema dumps and Django's
 * sqlmigrate always carry it and it changes no schema (docs/desired-ddl.md):
 *  - transaction wrappers: BEGIN [TRANSACTION|WORK], START TRANSACTION,
 *    COMMIT [TRANSACTION|WORK], END [TRANSACTION|WORK];
 *  - each dialect's dump preamble, read by its preamble_statement hook
 *    (dialect.h) in <dialect>/parse_<dialect>.c:
 *    PostgreSQL: pg_dump's session preamble (SET of the settings listed in
 *    pg_settings, SELECT pg_catalog.set_config('search_path', '', false))
 *    and SET search_path, whose schemas are recorded and checked at plan time
 *    against the schema synced (another schema is refused there);
 *    SQLite: PRAGMA foreign_keys = ON|OFF|0|1;
 *    MySQL: a dump's SET NAMES / CHARACTER SET and SET of user variables
 *    (@saved_cs_client, @OLD_SQL_MODE...) and of the session variables listed
 *    in my_settings, with plain values (no parentheses: no call, no
 *    subquery); mariadb-dump's DROP TABLE/VIEW/SEQUENCE IF EXISTS of what the
 *    file creates next (checked here, dbs_p_check_drops), and its DO SETVAL
 *    (listed as not handled).
 */
#include <stdio.h>
#include <string.h>

#include "parse.h"
#include "parse_internal.h"


/* The statement's first words as written, for the message: from its first
 * token to the end of its line, ';' or 60 bytes. */
static void head_of(const dbs_parser *p, const dbs_token *first, char *buf, size_t n)
{
	const char *s = first->start, *e = s;
	while (e < p->lx.end && *e != '\n' && *e != '\r' && *e != ';' && e - s < 60)
		e++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	bool more = e < p->lx.end && *e != '\n' && *e != '\r' && *e != ';';
	snprintf(buf, n, "%.*s%s", (int)(e - s), s, more ? "..." : "");
}

int dbs_p_refuse(dbs_parser *p, const dbs_token *first, const char *why)
{
	char head[80];
	dbs_token at = *first; /* a copy: the message names the statement, not a token found */
	head_of(p, first, head, sizeof head);
	return dbs_p_error(p, &at, "line %d: statement \"%s\" is not schema DDL (%s); a desired schema holds only "
		"CREATE TABLE, CREATE INDEX, CREATE VIEW, ALTER TABLE and COMMENT ON statements "
		"(see docs/desired-ddl.md)", first->line, head, why);
}

/* Why a statement starting with `t` (not CREATE/ALTER TABLE/COMMENT ON) is refused. */
static const char *reason(const dbs_token *t)
{
	static const char *const dml[] = { "INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE", "UPSERT",
		"TRUNCATE", "COPY", "LOAD", "HANDLER", "IMPORT" };
	static const char *const query[] = { "SELECT", "WITH", "VALUES", "TABLE", "CALL", "DO", "EXPLAIN",
		"EXECUTE", "PREPARE", "DEALLOCATE", "SHOW", "DESCRIBE", "DESC", "ANALYZE", "ANALYSE" };
	static const char *const access[] = { "GRANT", "REVOKE", "REASSIGN", "SECURITY" };
	if (DBS_WORD_IN(t, dml))
		return "it changes data";
	if (DBS_WORD_IN(t, query))
		return "it runs a query or code";
	if (DBS_WORD_IN(t, access))
		return "it changes privileges";
	if (dbs_tok_is(t, "USE") || dbs_tok_is(t, "ATTACH") || dbs_tok_is(t, "DETACH"))
		return "it switches or attaches a database";
	if (dbs_tok_is(t, "DROP"))
		return "it drops something; a desired schema says what exists, and what it leaves out is "
			"dropped only through the drop options";
	if (dbs_tok_is(t, "LOCK") || dbs_tok_is(t, "UNLOCK"))
		return "it locks tables";
	if (dbs_tok_is(t, "SET") || dbs_tok_is(t, "PRAGMA") || dbs_tok_is(t, "RESET"))
		return "it changes a setting that is not part of a schema dump's preamble";
	return "unknown statement";
}

bool dbs_p_at_end(dbs_parser *p, size_t k)
{
	dbs_tok_kind kind = dbs_p_peek(p, k)->kind;
	return kind == DBS_TK_SEMI || kind == DBS_TK_EOF;
}

/* BEGIN / START TRANSACTION / COMMIT / END, optionally with TRANSACTION or WORK. */
static bool transaction_wrapper(dbs_parser *p)
{
	const dbs_token *t = dbs_p_peek(p, 0);
	size_t k = 1;
	if (dbs_tok_is(t, "START")) {
		if (!dbs_p_at(p, 1, "TRANSACTION"))
			return false;
		k = 2;
	} else if (dbs_tok_is(t, "BEGIN") || dbs_tok_is(t, "COMMIT") || dbs_tok_is(t, "END")) {
		if (dbs_p_at(p, 1, "TRANSACTION") || dbs_p_at(p, 1, "WORK"))
			k = 2;
	} else {
		return false;
	}
	if (!dbs_p_at_end(p, k))
		return false;
	while (k--)
		dbs_p_next(p);
	return true;
}

/* Record a schema the script names (SET search_path, a qualified name), checked at plan time. */
int dbs_p_note_schema(dbs_parser *p, const char *schema, const dbs_token *at)
{
	/* a dialect that knows its target (SQLite: main is the database synced,
	 * anything else, temp or an attached database, is not) */
	const char *only = p->dl->only_schema;
	if (only && !dbs_ascii_ieq(schema, only))
		return dbs_p_error(p, at, "line %d: \"%s\" names another database than the one synced (%s); "
			"a desired schema names its objects unqualified or with %s.", at->line, schema, only, only);
	for (size_t i = 0; i < p->s->qualifiers.n; i++)
		if (strcmp(p->s->qualifiers.items[i].schema, schema) == 0)
			return p->rc;
	dbs_qualifier q = { .schema = dbs_arena_strdup(&p->s->arena, schema), .line = at->line };
	if (!q.schema || DBS_VEC_PUSH(&p->s->arena, &p->s->qualifiers, q))
		return dbs_p_oom(p);
	return p->rc;
}

int dbs_p_check_drops(dbs_parser *p)
{
	dbsync_schema *s = p->s;
	for (size_t i = 0; i < p->drops.n && !p->rc; i++) {
		const struct dbs_p_drop *d = &p->drops.items[i];
		bool made = dbs_schema_find_table(s, d->name) != NULL;
		for (size_t j = 0; !made && j < s->views.n; j++)
			made = dbs_name_eq(s->dialect, s->views.items[j]->name, d->name);
		for (size_t j = 0; !made && j < s->unhandled.n; j++)
			made = strncmp(s->unhandled.items[j].kind, "CREATE ", 7) == 0 &&
				dbs_name_eq(s->dialect, s->unhandled.items[j].name, d->name);
		if (!made)
			return dbs_p_refuse(p, &d->at, "it drops something the file does not create again; a desired "
				"schema says what exists, and what it leaves out is dropped only through the drop options");
	}
	return p->rc;
}

int dbs_p_refuse_statement(dbs_parser *p, const dbs_token *first)
{
	return dbs_p_refuse(p, first, reason(first));
}

int dbs_p_other_statement(dbs_parser *p)
{
	const dbs_token first = *dbs_p_peek(p, 0);
	snprintf(p->stmt, sizeof p->stmt, "%.*s", (int)(first.len > 40 ? 40 : first.len), first.start);
	if (transaction_wrapper(p))
		return p->rc;
	if (p->dl->preamble_statement && p->dl->preamble_statement(p, &first))
		return p->rc;
	return dbs_p_refuse(p, &first, reason(&first));
}
