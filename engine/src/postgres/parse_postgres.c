/*
 * PostgreSQL's own grammar for the parser (dialect.h's hooks): EXCLUDE
 * constraints, the name of an index created without one, what may follow
 * CREATE TABLE's column list, and pg_dump's session preamble (SET of
 * the settings listed in pg_set, SELECT pg_catalog.set_config('search_path',
 * '', false)). The rest of PostgreSQL's syntax is data in dialect_postgres.c.
 */
#include "parse_postgres.h"

#include <stdio.h>
#include <string.h>

const char *const dbs_pg_line_commands[] = { "\\restrict ", "\\unrestrict ", NULL };

const char *const dbs_pg_type_grammar_words[] = {
	"char", "character", "bit", "int", "integer", "smallint", "bigint", "real", "float", "double",
	"precision", "decimal", "dec", "boolean", "nchar", "national", "varying", "with", "without",
	"zone", "array", "setof", NULL,
};

/* After EXCLUDE: [USING method] (element WITH op, ...)
 * [INCLUDE (cols)] [WITH (params)] [WHERE (predicate)] [deferrable]. */
static int parse_exclude(dbs_parser *p, dbs_table *t, const char *cname, const char *context)
{
	dbs_constraint *c = dbs_p_new_constraint(p, t, DBS_CON_EXCLUDE, cname);
	dbs_index *ex = c ? dbs_arena_alloc(&p->s->arena, sizeof *ex) : NULL;
	if (!ex)
		return dbs_p_oom(p);
	memset(ex, 0, sizeof *ex);
	ex->name = cname ? cname : "";
	c->exclude = ex;
	if (dbs_p_accept(p, "USING")) {
		const char *m;
		if (dbs_p_name(p, &m, "an index method after EXCLUDE USING"))
			return p->rc;
		ex->method = m;
	}
	p->part_ops = true;
	dbs_p_index_parts(p, t, ex);
	p->part_ops = false;
	for (size_t i = 0; !p->rc && i < ex->parts.n; i++)
		if (ex->parts.items[i].column && !dbs_table_find_column(p->s, t, ex->parts.items[i].column))
			return dbs_p_error(p, NULL, "%s names unknown column \"%s\"", context, ex->parts.items[i].column);
	while (!p->rc) {
		if (dbs_p_at(p, 0, "INCLUDE") && dbs_p_peek(p, 1)->kind == DBS_TK_LPAREN) {
			dbs_p_next(p);
			dbs_p_name_list(p, &ex->include, false, NULL, context);
		} else if (dbs_p_at(p, 0, "WITH") && dbs_p_peek(p, 1)->kind == DBS_TK_LPAREN) {
			dbs_p_next(p);
			dbs_p_storage_params(p, &ex->options, context);
		} else if (dbs_p_accept(p, "WHERE")) {
			ex->where_expr = dbs_p_paren_expr(p, context);
		} else if (dbs_p_at(p, 0, "USING") && dbs_p_at(p, 1, "INDEX")) {
			return dbs_p_error(p, NULL, "USING INDEX TABLESPACE is not supported in %s: leave it out", context);
		} else {
			break;
		}
	}
	if (!p->rc)
		dbs_p_deferrable(p, c);
	return p->rc;
}

bool dbs_pg_table_constraint(dbs_parser *p, dbs_table *t, const char *name, const char *context)
{
	if (!dbs_p_accept(p, "EXCLUDE"))
		return false;
	parse_exclude(p, t, name, context);
	return true;
}

/* The name PostgreSQL gives an index created without one (ChooseIndexName):
 * table, column names (or "expr"), "idx", joined by '_', the first two parts
 * cut so the whole fits 63 bytes; a number is added while the name is taken.
 * Counting bytes may cut a multibyte character the server would keep whole;
 * the shadow's reading then names such an index as the server did. */
const char *dbs_pg_unnamed_index_name(dbs_parser *p, const dbs_table *t, const dbs_index *ix)
{
	char cols[256] = "";
	size_t n = 0;
	for (size_t i = 0; i < ix->parts.n && n < sizeof cols - 1; i++) {
		const char *c = ix->parts.items[i].column ? ix->parts.items[i].column : "expr";
		n += (size_t)snprintf(cols + n, sizeof cols - n, "%s%s", i ? "_" : "", c);
	}
	if (n >= sizeof cols)
		n = sizeof cols - 1;
	for (int k = 0; k < 1000; k++) {
		char label[16];
		snprintf(label, sizeof label, k ? "idx%d" : "idx", k);
		size_t tl = strlen(t->name), cl = n, ll = strlen(label);
		/* makeObjectName: shorten the longer of the two names first */
		while (tl + cl + ll + 2 > 63) {
			if (tl > cl)
				tl--;
			else
				cl--;
		}
		char *name = dbs_arena_printf(&p->s->arena, "%.*s_%.*s_%s", (int)tl, t->name, (int)cl, cols, label);
		if (!name)
			return NULL;
		if (!dbs_p_find_index_on(p, t, name))
			return name;
	}
	return NULL;
}

/* What may follow CREATE TABLE's column list. None is modeled, and each
 * changes what the table is, so each is an error naming the clause (and
 * docs/parser.md says so) rather than a table synced without it. */
int dbs_pg_table_options(dbs_parser *p, dbs_table *t)
{
	static const struct { const char *w1, *w2, *what; } clauses[] = {
		{ "PARTITION", "BY", "PARTITION BY: partitioned tables are not managed" },
		{ "INHERITS", NULL, "INHERITS: table inheritance is not managed" },
		{ "WITH", NULL, "WITH (storage parameters): table storage parameters are not managed" },
		{ "WITHOUT", "OIDS", "WITHOUT OIDS: leave it out (it is the only behaviour since PostgreSQL 12)" },
		{ "TABLESPACE", NULL, "TABLESPACE: tablespaces are not managed" },
		{ "USING", NULL, "USING (table access method): access methods are not managed" },
		{ "ON", "COMMIT", "ON COMMIT: temporary tables are not managed" },
	};
	for (size_t i = 0; i < sizeof clauses / sizeof clauses[0]; i++)
		if (dbs_p_at(p, 0, clauses[i].w1) && (!clauses[i].w2 || dbs_p_at(p, 1, clauses[i].w2)))
			return dbs_p_error(p, NULL, "table \"%s\" uses %s", t->name, clauses[i].what);
	return p->rc; /* the caller reports anything else instead of ';' */
}

/* SET [SESSION|LOCAL] name {=|TO} value[, ...] for pg_dump's settings. */
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
		return dbs_p_refuse_statement(p, first);
	bool path = dbs_tok_is(name, "search_path");
	const dbs_token *eq = dbs_p_peek(p, k + 1);
	if (!dbs_tok_is(eq, "TO") && !(eq->kind == DBS_TK_OP && eq->len == 1 && *eq->start == '='))
		return dbs_p_refuse_statement(p, first);
	for (size_t i = 0; i < k + 2; i++)
		dbs_p_next(p);
	while (!p->rc && !dbs_p_at_end(p, 0)) {
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

bool dbs_pg_preamble(dbs_parser *p, const dbs_token *first)
{
	if (dbs_tok_is(first, "SET")) {
		pg_set(p, first);
		return true;
	}
	if (dbs_tok_is(first, "SELECT") && pg_dump_set_config(p)) {
		dbs_p_skip_statement(p);
		return true;
	}
	return false;
}
