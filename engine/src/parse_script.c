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
 *  - PostgreSQL: pg_dump's session preamble (SET of the settings listed in
 *    pg_settings below, SELECT pg_catalog.set_config('search_path', '', false))
 *    and SET search_path, whose schemas are recorded and checked at plan time
 *    against the schema synced (another schema is refused there);
 *  - SQLite: PRAGMA foreign_keys = ON|OFF|0|1;
 *  - MySQL: a dump's SET NAMES / CHARACTER SET and SET of user variables
 *    (@saved_cs_client, @OLD_SQL_MODE...) and of the session variables listed
 *    in my_settings below, with plain values (no parentheses: no call, no
 *    subquery); mariadb-dump's DROP TABLE/VIEW/SEQUENCE IF EXISTS of what the
 *    file creates next, and its DO SETVAL (listed as not handled).
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

/* The statement ends here (';' or the end of input). */
static bool at_end(dbs_parser *p, size_t k)
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
	if (!at_end(p, k))
		return false;
	while (k--)
		dbs_p_next(p);
	return true;
}

/* Record a schema the script names (SET search_path, a qualified name), checked at plan time. */
int dbs_p_note_schema(dbs_parser *p, const char *schema, const dbs_token *at)
{
	/* SQLite knows its target: main is the database synced, anything else
	 * (temp, an attached database) is not */
	if (dbs_p_sqlite(p) && !dbs_ascii_ieq(schema, "main"))
		return dbs_p_error(p, at, "line %d: \"%s\" names another database than the one synced (main); "
			"a desired schema names its objects unqualified or with main.", at->line, schema);
	for (size_t i = 0; i < p->s->qualifiers.n; i++)
		if (strcmp(p->s->qualifiers.items[i].schema, schema) == 0)
			return p->rc;
	dbs_qualifier q = { .schema = dbs_arena_strdup(&p->s->arena, schema), .line = at->line };
	if (!q.schema || DBS_VEC_PUSH(&p->s->arena, &p->s->qualifiers, q))
		return dbs_p_oom(p);
	return p->rc;
}

/* PostgreSQL: SET [SESSION|LOCAL] name {=|TO} value[, ...] for pg_dump's settings. */
static int pg_set(dbs_parser *p, const dbs_token *first)
{
	static const char *const pg_settings[] = { "statement_timeout", "lock_timeout",
		"idle_in_transaction_session_timeout", "transaction_timeout", "client_encoding",
		"standard_conforming_strings", "check_function_bodies", "xmloption", "client_min_messages",
		"row_security", "default_tablespace", "default_table_access_method", "default_with_oids",
		"escape_string_warning", "search_path" };
	size_t k = 1;
	if (dbs_p_at(p, 1, "SESSION") || dbs_p_at(p, 1, "LOCAL"))
		k = 2;
	const dbs_token *name = dbs_p_peek(p, k);
	if (name->kind != DBS_TK_WORD || !DBS_WORD_IN(name, pg_settings))
		return dbs_p_refuse(p, first, reason(first));
	bool path = dbs_tok_is(name, "search_path");
	const dbs_token *eq = dbs_p_peek(p, k + 1);
	if (!dbs_tok_is(eq, "TO") && !(eq->kind == DBS_TK_OP && eq->len == 1 && *eq->start == '='))
		return dbs_p_refuse(p, first, reason(first));
	for (size_t i = 0; i < k + 2; i++)
		dbs_p_next(p);
	while (!p->rc && !at_end(p, 0)) {
		const dbs_token *v = dbs_p_peek(p, 0);
		if (v->kind != DBS_TK_WORD && v->kind != DBS_TK_QUOTED && v->kind != DBS_TK_STRING &&
		    v->kind != DBS_TK_NUMBER && v->kind != DBS_TK_COMMA)
			return dbs_p_refuse(p, first, "only plain values are read in a SET");
		if (path && v->kind != DBS_TK_COMMA && !dbs_tok_is(v, "pg_catalog") && !dbs_tok_is(v, "DEFAULT")) {
			dbs_buf_clear(&p->scratch);
			if (dbs_tok_value(&p->scratch, v, p->s->dialect))
				return dbs_p_oom(p);
			/* '' (pg_dump's empty path) names no schema */
			if (p->scratch.len && dbs_p_note_schema(p, dbs_buf_cstr(&p->scratch), v))
				return p->rc;
		}
		dbs_p_next(p);
	}
	return p->rc;
}

/* pg_dump: SELECT pg_catalog.set_config('search_path', '', false); exactly. */
static bool pg_dump_set_config(dbs_parser *p)
{
	static const char *const want[] = { "SELECT", "pg_catalog", ".", "set_config", "(", "'search_path'", ",",
		"''", ",", "false", ")" };
	size_t n = sizeof want / sizeof want[0];
	/* the lookahead window is small: compare the source text token by token */
	dbs_lexer lx;
	const dbs_token *t0 = dbs_p_peek(p, 0);
	dbs_lex_init(&lx, p->s->dialect, t0->start, (size_t)(p->lx.end - t0->start));
	for (size_t i = 0; i <= n; i++) {
		dbs_token t;
		if (dbs_lex_next(&lx, &t))
			return false;
		if (i == n)
			return t.kind == DBS_TK_SEMI || t.kind == DBS_TK_EOF;
		if (!dbs_span_eq_ci(t.start, t.len, want[i]))
			return false;
	}
	return false;
}

/* MySQL: one SET target; true when it is a user variable or an allowed
 * session variable (consumed). */
static bool my_target(dbs_parser *p)
{
	static const char *const my_settings[] = { "character_set_client", "character_set_results",
		"character_set_connection", "collation_connection", "time_zone", "unique_checks",
		"foreign_key_checks", "sql_mode", "sql_notes", "note_verbosity", "names" };
	const dbs_token *t = dbs_p_peek(p, 0);
	if (t->kind == DBS_TK_PARAM && t->start[0] == '@') {
		dbs_p_next(p); /* @user_variable: the session's own */
		return true;
	}
	if (t->kind == DBS_TK_OP && t->len == 1 && t->start[0] == '@') {
		/* @@name or @@session.name */
		const dbs_token *v = dbs_p_peek(p, 1);
		if (v->kind != DBS_TK_PARAM)
			return false;
		if (dbs_p_peek(p, 2)->kind == DBS_TK_DOT) {
			if (!dbs_span_eq_ci(v->start, v->len, "@session") && !dbs_span_eq_ci(v->start, v->len, "@local"))
				return false;
			const dbs_token *name = dbs_p_peek(p, 3);
			if (!DBS_WORD_IN(name, my_settings))
				return false;
			for (int i = 0; i < 4; i++)
				dbs_p_next(p);
			return true;
		}
		for (size_t i = 0; i < sizeof my_settings / sizeof my_settings[0]; i++) {
			char at_name[64];
			snprintf(at_name, sizeof at_name, "@%s", my_settings[i]);
			if (dbs_span_eq_ci(v->start, v->len, at_name)) {
				dbs_p_next(p);
				dbs_p_next(p);
				return true;
			}
		}
		return false;
	}
	if (dbs_tok_is(t, "SESSION") || dbs_tok_is(t, "LOCAL")) {
		if (!DBS_WORD_IN(dbs_p_peek(p, 1), my_settings))
			return false;
		dbs_p_next(p);
		dbs_p_next(p);
		return true;
	}
	if (t->kind == DBS_TK_WORD && DBS_WORD_IN(t, my_settings)) {
		dbs_p_next(p);
		return true;
	}
	return false;
}

/* MySQL: SET NAMES x [COLLATE y] | SET CHARACTER SET x | SET target = value, ... */
static int my_set(dbs_parser *p, const dbs_token *first)
{
	dbs_p_next(p); /* SET */
	for (;;) {
		bool names = dbs_p_at(p, 0, "NAMES") || dbs_p_at(p, 0, "CHARSET");
		if (!names && dbs_p_at(p, 0, "CHARACTER") && dbs_p_at(p, 1, "SET")) {
			dbs_p_next(p);
			names = true;
		}
		if (names) {
			dbs_p_next(p);
		} else {
			if (!my_target(p))
				return dbs_p_refuse(p, first, reason(first));
			const dbs_token *eq = dbs_p_peek(p, 0);
			if (eq->kind != DBS_TK_OP || !((eq->len == 1 && eq->start[0] == '=') ||
			    (eq->len == 2 && memcmp(eq->start, ":=", 2) == 0)))
				return dbs_p_refuse(p, first, reason(first));
			dbs_p_next(p);
		}
		/* the value: plain tokens up to ',' or the end */
		while (!p->rc && !at_end(p, 0) && dbs_p_peek(p, 0)->kind != DBS_TK_COMMA) {
			dbs_tok_kind k = dbs_p_peek(p, 0)->kind;
			if (k == DBS_TK_LPAREN || k == DBS_TK_RPAREN)
				return dbs_p_refuse(p, first, "only plain values are read in a SET");
			dbs_p_next(p);
		}
		if (p->rc || at_end(p, 0))
			return p->rc;
		dbs_p_next(p); /* ',' */
	}
}

/*
 * mariadb-dump writes "DROP TABLE IF EXISTS t" (and VIEW, SEQUENCE) before
 * creating each object: in a schema file that is how the object is replaced,
 * never removed. Such a DROP of plain names is read as that when the file
 * creates every name afterwards (checked at the end, dbs_p_check_drops); a
 * view the file defined before is forgotten, as the server would, so the
 * dump's placeholder view gives way to the real one. Returns false, having
 * consumed nothing, for any other DROP (refused as before).
 */
static bool my_dump_drop(dbs_parser *p)
{
	const dbs_token first = *dbs_p_peek(p, 0);
	const dbs_token *kind = dbs_p_peek(p, 1);
	if (!(dbs_tok_is(kind, "TABLE") || dbs_tok_is(kind, "VIEW") || dbs_tok_is(kind, "SEQUENCE")) ||
	    !dbs_p_at(p, 2, "IF") || !dbs_p_at(p, 3, "EXISTS"))
		return false;
	bool view = dbs_tok_is(kind, "VIEW");
	for (size_t i = 0; i < 4; i++)
		dbs_p_next(p);
	while (!p->rc) {
		struct dbs_p_drop d = { .at = first };
		dbs_tok_kind nk = dbs_p_peek(p, 0)->kind, after = dbs_p_peek(p, 1)->kind;
		/* a plain name; anything qualified or more (CASCADE) is no dump's */
		if ((nk != DBS_TK_WORD && nk != DBS_TK_QUOTED) || (after != DBS_TK_COMMA && !at_end(p, 1))) {
			dbs_p_refuse(p, &first, reason(&first));
			return true;
		}
		if (dbs_p_name(p, &d.name, "a name"))
			return true;
		/* a table the file made before would be removed, not replaced */
		if (!view && dbs_schema_find_table(p->s, d.name)) {
			dbs_p_refuse(p, &first, reason(&first));
			return true;
		}
		if (DBS_VEC_PUSH(&p->s->arena, &p->drops, d)) {
			dbs_p_oom(p);
			return true;
		}
		for (size_t i = 0; view && i < p->s->views.n; i++)
			if (dbs_name_eq(p->s->dialect, p->s->views.items[i]->name, d.name)) {
				/* the others keep their order */
				memmove(&p->s->views.items[i], &p->s->views.items[i + 1],
					(p->s->views.n - i - 1) * sizeof *p->s->views.items);
				p->s->views.n--;
				break;
			}
		if (!dbs_p_accept_kind(p, DBS_TK_COMMA))
			break;
	}
	return true;
}

/* mariadb-dump's "DO SETVAL(seq, n, 0)" after a CREATE SEQUENCE: the
 * sequence's position, listed as not handled like the sequence. */
static bool my_dump_setval(dbs_parser *p, const dbs_token *first)
{
	if (!dbs_p_at(p, 1, "SETVAL") || dbs_p_peek(p, 2)->kind != DBS_TK_LPAREN)
		return false;
	const dbs_token *n = dbs_p_peek(p, 3);
	if (n->kind != DBS_TK_WORD && n->kind != DBS_TK_QUOTED)
		return false;
	dbs_p_next(p);
	dbs_p_next(p);
	dbs_p_next(p);
	const char *name;
	if (dbs_p_name(p, &name, "a sequence name"))
		return true;
	dbsync_unhandled u = { .kind = "DO SETVAL", .name = name, .line = first->line };
	if (DBS_VEC_PUSH(&p->s->arena, &p->s->unhandled, u)) {
		dbs_p_oom(p);
		return true;
	}
	dbs_p_skip_statement(p);
	return true;
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

int dbs_p_other_statement(dbs_parser *p)
{
	const dbs_token first = *dbs_p_peek(p, 0);
	snprintf(p->stmt, sizeof p->stmt, "%.*s", (int)(first.len > 40 ? 40 : first.len), first.start);
	if (transaction_wrapper(p))
		return p->rc;
	switch (p->s->dialect) {
	case DBSYNC_DIALECT_POSTGRES:
		if (dbs_tok_is(&first, "SET"))
			return pg_set(p, &first);
		if (dbs_tok_is(&first, "SELECT") && pg_dump_set_config(p)) {
			dbs_p_skip_statement(p);
			return p->rc;
		}
		break;
	case DBSYNC_DIALECT_MYSQL:
		if (dbs_tok_is(&first, "SET"))
			return my_set(p, &first);
		if (dbs_tok_is(&first, "DROP") && my_dump_drop(p))
			return p->rc;
		if (dbs_tok_is(&first, "DO") && my_dump_setval(p, &first))
			return p->rc;
		break;
	case DBSYNC_DIALECT_SQLITE:
		if (dbs_tok_is(&first, "PRAGMA") && dbs_p_at(p, 1, "foreign_keys")) {
			const dbs_token *eq = dbs_p_peek(p, 2), *v = dbs_p_peek(p, 3);
			bool value = dbs_tok_is(v, "ON") || dbs_tok_is(v, "OFF") ||
				(v->kind == DBS_TK_NUMBER && v->len == 1 && (v->start[0] == '0' || v->start[0] == '1'));
			if (eq->kind == DBS_TK_OP && eq->len == 1 && eq->start[0] == '=' && value) {
				dbs_p_next(p);
				dbs_p_next(p);
				dbs_p_next(p);
				dbs_p_next(p);
				if (at_end(p, 0))
					return p->rc;
			}
		}
		break;
	default:
		break;
	}
	return dbs_p_refuse(p, &first, reason(&first));
}
