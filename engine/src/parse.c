/*
 * DDL scripts: the token window, shared helpers and the statement dispatcher.
 * CREATE/ALTER TABLE live in parse_table.c, column definitions in parse_column.c,
 * CREATE INDEX/VIEW, DROP and COMMENT ON in parse_stmt.c, canonical text in
 * parse_canon.c. Nothing recurses: nesting is counted, so deep input is safe.
 */
#include "parse.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "parse_internal.h"

const dbs_token *dbs_p_peek(dbs_parser *p, size_t k)
{
	if (k >= DBS_LOOKAHEAD)
		k = DBS_LOOKAHEAD - 1;
	while (p->la_n <= k) {
		dbs_token t;
		if (dbs_lex_next(&p->lx, &t)) {
			if (!p->rc)
				p->rc = dbs_error_parse(p->ctx, p->lx.err_line, p->lx.err_col, "%s%s%s", p->lx.err,
					p->stmt[0] ? " in " : "", p->stmt);
			t.kind = DBS_TK_EOF;
			t.start = p->lx.p;
			t.len = 0;
			t.line = p->lx.err_line;
			t.col = p->lx.err_col;
		}
		p->la[p->la_n++] = t;
	}
	return &p->la[k];
}

void dbs_p_next(dbs_parser *p)
{
	dbs_p_peek(p, 0);
	p->prev = p->la[0];
	if (p->la[0].kind == DBS_TK_EOF)
		return; /* EOF stays put, so loops that forget to check it still end */
	memmove(&p->la[0], &p->la[1], (p->la_n - 1) * sizeof p->la[0]);
	p->la_n--;
}

bool dbs_p_at(dbs_parser *p, size_t k, const char *kw)
{
	return dbs_tok_is(dbs_p_peek(p, k), kw);
}

bool dbs_p_accept(dbs_parser *p, const char *kw)
{
	if (!dbs_p_at(p, 0, kw))
		return false;
	dbs_p_next(p);
	return true;
}

bool dbs_p_accept_kind(dbs_parser *p, dbs_tok_kind kind)
{
	if (dbs_p_peek(p, 0)->kind != kind)
		return false;
	dbs_p_next(p);
	return true;
}

int dbs_p_oom(dbs_parser *p)
{
	if (!p->rc)
		p->rc = dbs_error_oom(p->ctx);
	return p->rc;
}

int dbs_p_error(dbs_parser *p, const dbs_token *t, const char *fmt, ...)
{
	if (p->rc)
		return p->rc;
	bool current = !t || (p->la_n > 0 && t == &p->la[0]);
	if (!t)
		t = dbs_p_peek(p, 0);
	if (p->rc)
		return p->rc; /* the lexer failed first; its message is the better one */
	dbs_buf msg = DBS_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	dbs_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	if (!current)
		; /* the message is about a name, not about the token found there */
	else if (t->kind == DBS_TK_EOF)
		dbs_buf_puts(&msg, " (found end of input)");
	else
		dbs_buf_printf(&msg, " (found \"%.*s%s\")", (int)(t->len > 40 ? 40 : t->len), t->start,
			t->len > 40 ? "..." : "");
	if (!dbs_buf_ok(&msg))
		p->rc = dbs_error_oom(p->ctx);
	else
		p->rc = dbs_error_parse(p->ctx, t->line, t->col, "%s", dbs_buf_cstr(&msg));
	dbs_buf_free(&msg);
	return p->rc;
}

/* A context that names no object ("after PRIMARY") gets the statement's name. */
static const char *where_suffix(const dbs_parser *p, const char *context, char *buf, size_t n)
{
	if (strchr(context, '"') || !p->stmt[0])
		return "";
	snprintf(buf, n, " in %s", p->stmt);
	return buf;
}

int dbs_p_expect_kw(dbs_parser *p, const char *kw, const char *context)
{
	if (dbs_p_accept(p, kw))
		return p->rc;
	char buf[200];
	return dbs_p_error(p, NULL, "expected %s %s%s", kw, context, where_suffix(p, context, buf, sizeof buf));
}

int dbs_p_expect_kind(dbs_parser *p, dbs_tok_kind kind, const char *context)
{
	if (dbs_p_accept_kind(p, kind))
		return p->rc;
	char buf[200];
	return dbs_p_error(p, NULL, "expected %s %s%s", dbs_tok_kind_name(kind), context,
		where_suffix(p, context, buf, sizeof buf));
}

bool dbs_p_at_name(dbs_parser *p)
{
	const dbs_token *t = dbs_p_peek(p, 0);
	return t->kind == DBS_TK_WORD || t->kind == DBS_TK_QUOTED ||
		(t->kind == DBS_TK_STRING && p->s->dialect == DBSYNC_DIALECT_SQLITE);
}

int dbs_p_name(dbs_parser *p, const char **out, const char *what)
{
	if (!dbs_p_at_name(p))
		return dbs_p_error(p, NULL, "expected %s", what);
	dbs_buf_clear(&p->scratch);
	if (dbs_tok_value(&p->scratch, dbs_p_peek(p, 0), p->s->dialect) ||
	    !(*out = dbs_arena_strdup(&p->s->arena, dbs_buf_cstr(&p->scratch))))
		return dbs_p_oom(p);
	if (!**out)
		return dbs_p_error(p, NULL, "empty name where %s was expected", what);
	dbs_p_next(p);
	return p->rc;
}

int dbs_p_qualified_name(dbs_parser *p, const char **out, const char *what)
{
	if (dbs_p_name(p, out, what))
		return p->rc;
	if (dbs_p_peek(p, 0)->kind == DBS_TK_DOT) {
		dbs_p_next(p);
		return dbs_p_name(p, out, what);
	}
	return p->rc;
}

int dbs_p_name_list(dbs_parser *p, dbs_str_vec *v, bool allow_order, bool *autoinc, const char *context)
{
	if (autoinc)
		*autoinc = false;
	if (dbs_p_expect_kind(p, DBS_TK_LPAREN, context))
		return p->rc;
	for (;;) {
		const char *name;
		char what[200];
		snprintf(what, sizeof what, "a column name in %s", context);
		if (dbs_p_name(p, &name, what))
			return p->rc;
		if (DBS_VEC_PUSH(&p->s->arena, v, name))
			return dbs_p_oom(p);
		if (allow_order) {
			if (dbs_p_accept(p, "COLLATE")) {
				const char *ignored;
				if (dbs_p_name(p, &ignored, "a collation name"))
					return p->rc;
			}
			if (!dbs_p_accept(p, "ASC"))
				dbs_p_accept(p, "DESC");
		}
		if (autoinc && dbs_p_accept(p, "AUTOINCREMENT"))
			*autoinc = true;
		if (dbs_p_accept_kind(p, DBS_TK_COMMA))
			continue;
		if (dbs_p_accept_kind(p, DBS_TK_RPAREN))
			return p->rc;
		return dbs_p_error(p, NULL, "expected ',' or ')' in %s", context);
	}
}

int dbs_p_balanced(dbs_parser *p, const char **start, const char **end, const char *context)
{
	int depth = 1;
	const dbs_token *t = dbs_p_peek(p, 0);
	*start = *end = t->start;
	for (;;) {
		t = dbs_p_peek(p, 0);
		if (p->rc)
			return p->rc;
		if (t->kind == DBS_TK_EOF)
			return dbs_p_error(p, t, "missing ')' in %s", context);
		if (t->kind == DBS_TK_SEMI) /* a statement cannot end inside parentheses */
			return dbs_p_error(p, t, "missing ')' before ';' in %s", context);
		if (t->kind == DBS_TK_LPAREN) {
			depth++;
		} else if (t->kind == DBS_TK_RPAREN && --depth == 0) {
			dbs_p_next(p);
			return p->rc;
		}
		*end = t->start + t->len;
		dbs_p_next(p);
	}
}

const char *dbs_p_expr(dbs_parser *p, const char *start, const char *end)
{
	size_t n = (size_t)(end - start);
	const char *e = dbs_expr_canon(&p->s->arena, p->s->dialect, start, n);
	if (!e)
		e = dbs_arena_strndup(&p->s->arena, start, n);
	if (!e)
		dbs_p_oom(p);
	return e;
}

int dbs_p_touch(dbs_parser *p, dbs_table *t)
{
	if (p->touched_n && p->touched[p->touched_n - 1] == t)
		return 0;
	if (p->touched_n == p->touched_cap) {
		size_t cap = p->touched_cap ? p->touched_cap * 2 : 16;
		dbs_table **nt = realloc(p->touched, cap * sizeof *nt);
		if (!nt)
			return dbs_p_oom(p);
		p->touched = nt;
		p->touched_cap = cap;
	}
	p->touched[p->touched_n++] = t;
	return 0;
}

void dbs_p_skip_statement(dbs_parser *p)
{
	int depth = 0;
	for (;;) {
		const dbs_token *t = dbs_p_peek(p, 0);
		if (t->kind == DBS_TK_EOF || (t->kind == DBS_TK_SEMI && depth <= 0))
			return;
		if (t->kind == DBS_TK_LPAREN)
			depth++;
		else if (t->kind == DBS_TK_RPAREN)
			depth--;
		dbs_p_next(p);
	}
}

/* Triggers (and SQL-bodied functions) hold statements between BEGIN and END;
 * CASE ... END inside the body must not end it. */
static int skip_block_statement(dbs_parser *p)
{
	int depth = 0;
	for (;;) {
		const dbs_token *t = dbs_p_peek(p, 0);
		if (t->kind == DBS_TK_EOF || (t->kind == DBS_TK_SEMI && depth <= 0))
			return p->rc;
		if (t->kind == DBS_TK_LPAREN)
			depth++;
		else if (t->kind == DBS_TK_RPAREN)
			depth--;
		else if (dbs_tok_is(t, "BEGIN"))
			break;
		dbs_p_next(p);
	}
	dbs_token begin = *dbs_p_peek(p, 0);
	dbs_p_next(p);
	int cases = 0;
	for (;;) {
		const dbs_token *t = dbs_p_peek(p, 0);
		if (p->rc)
			return p->rc;
		if (t->kind == DBS_TK_EOF)
			return dbs_p_error(p, &begin, "BEGIN without END in %s", p->stmt);
		if (dbs_tok_is(t, "CASE")) {
			cases++;
		} else if (dbs_tok_is(t, "END")) {
			if (cases == 0) {
				dbs_p_next(p);
				return p->rc;
			}
			cases--;
		}
		dbs_p_next(p);
	}
}

static const char *const skipped_statements[] = {
	"PRAGMA", "BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE", "INSERT", "UPDATE",
	"DELETE", "REPLACE", "UPSERT", "SET", "SELECT", "WITH", "VALUES", "ANALYZE", "VACUUM", "REINDEX",
	"ATTACH", "DETACH", "EXPLAIN", "GRANT", "REVOKE", "USE", "LOCK", "UNLOCK", "START", "SHOW",
	"DO", "CALL", "TRUNCATE", "RESET", "DISCARD", "NOTIFY", "LISTEN", "DECLARE",
};

/* Objects the model does not hold; their CREATE statements are skipped. */
static const char *const skipped_objects[] = {
	"VIRTUAL", "SEQUENCE", "EXTENSION", "TYPE", "DOMAIN", "SCHEMA", "DATABASE", "ROLE", "USER",
	"AGGREGATE", "COLLATION", "CAST", "OPERATOR", "POLICY", "PUBLICATION", "SUBSCRIPTION",
	"STATISTICS", "EVENT", "SERVER", "TABLESPACE", "RULE", "LANGUAGE", "CONVERSION", "TEXT",
	"FOREIGN", "MATERIALIZED",
};

static bool word_in(const dbs_token *t, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (dbs_tok_is(t, list[i]))
			return true;
	return false;
}

#define WORD_IN(t, list) word_in((t), (list), sizeof (list) / sizeof (list)[0])

static int parse_create(dbs_parser *p)
{
	const dbs_token create = *dbs_p_peek(p, 0);
	dbs_p_next(p);
	bool or_replace = dbs_p_accept(p, "OR");
	if (or_replace && dbs_p_expect_kw(p, "REPLACE", "after CREATE OR"))
		return p->rc;
	bool temp = dbs_p_accept(p, "TEMP") || dbs_p_accept(p, "TEMPORARY");
	if (p->s->dialect == DBSYNC_DIALECT_POSTGRES && dbs_p_at(p, 0, "UNLOGGED"))
		return dbs_p_error(p, NULL, "CREATE UNLOGGED TABLE is not supported: whether a table is logged is not "
			"managed; write CREATE TABLE");
	bool unique = dbs_p_accept(p, "UNIQUE");
	const char *method = NULL;
	if (p->s->dialect == DBSYNC_DIALECT_MYSQL && (dbs_p_at(p, 0, "FULLTEXT") || dbs_p_at(p, 0, "SPATIAL"))) {
		method = dbs_p_at(p, 0, "FULLTEXT") ? "fulltext" : "spatial";
		dbs_p_next(p);
	}
	const dbs_token *t = dbs_p_peek(p, 0);
	if ((unique || method) && !dbs_tok_is(t, "INDEX"))
		return dbs_p_error(p, NULL, "expected INDEX after CREATE UNIQUE");
	snprintf(p->stmt, sizeof p->stmt, "CREATE %.*s", (int)(t->len > 40 ? 40 : t->len), t->start);
	if (dbs_tok_is(t, "TABLE")) {
		if (temp) {
			dbs_p_skip_statement(p); /* a temporary table is no part of the stored schema */
			return p->rc;
		}
		return dbs_p_create_table(p);
	}
	if (dbs_tok_is(t, "INDEX"))
		return dbs_p_create_index(p, unique, method);
	if (dbs_tok_is(t, "VIEW"))
		return dbs_p_create_view(p, temp, or_replace);
	if (dbs_tok_is(t, "TRIGGER") || dbs_tok_is(t, "FUNCTION") || dbs_tok_is(t, "PROCEDURE"))
		return skip_block_statement(p);
	if (WORD_IN(t, skipped_objects)) {
		dbs_p_skip_statement(p);
		return p->rc;
	}
	return dbs_p_error(p, &create, "unsupported CREATE statement");
}

static int parse_statement(dbs_parser *p)
{
	const dbs_token *t = dbs_p_peek(p, 0);
	p->stmt[0] = '\0';
	if (t->kind != DBS_TK_WORD)
		return dbs_p_error(p, t, "expected a statement");
	if (dbs_tok_is(t, "CREATE"))
		return parse_create(p);
	if (dbs_tok_is(t, "ALTER")) {
		if (dbs_p_at(p, 1, "TABLE"))
			return dbs_p_alter_table(p);
		dbs_p_skip_statement(p); /* ALTER SEQUENCE / INDEX / ... change nothing we model */
		return p->rc;
	}
	if (dbs_tok_is(t, "DROP"))
		return dbs_p_drop(p);
	if (dbs_tok_is(t, "COMMENT") && dbs_p_at(p, 1, "ON"))
		return dbs_p_comment(p);
	if (WORD_IN(t, skipped_statements)) {
		dbs_p_skip_statement(p);
		return p->rc;
	}
	return dbs_p_error(p, t, "unknown statement");
}

int dbs_parse_into(dbsync_schema *s, dbsync_ctx *ctx, const char *sql, size_t len)
{
	dbs_parser p;
	memset(&p, 0, sizeof p);
	p.s = s;
	p.ctx = ctx;
	dbs_buf_init(&p.scratch);
	dbs_lex_init(&p.lx, s->dialect, sql ? sql : "", sql ? len : 0);
	for (;;) {
		const dbs_token *t = dbs_p_peek(&p, 0);
		if (p.rc || t->kind == DBS_TK_EOF)
			break;
		if (t->kind == DBS_TK_SEMI) {
			p.stmt[0] = '\0'; /* what follows belongs to no statement yet */
			dbs_p_next(&p);
			continue;
		}
		if (parse_statement(&p))
			break;
		t = dbs_p_peek(&p, 0);
		if (t->kind != DBS_TK_SEMI && t->kind != DBS_TK_EOF) {
			dbs_p_error(&p, t, "expected ';' at the end of %s", p.stmt[0] ? p.stmt : "the statement");
			break;
		}
	}
	for (size_t i = 0; !p.rc && i < p.touched_n; i++)
		if (dbs_table_normalize(s, p.touched[i]))
			dbs_p_oom(&p);
	int rc = p.rc;
	dbs_buf_free(&p.scratch);
	free(p.touched);
	free(p.toks);
	return rc;
}

int dbsync_schema_parse(dbsync_schema **out, dbsync_ctx *ctx, dbsync_dialect dialect, const char *sql, size_t len)
{
	*out = dbs_schema_new(dialect);
	if (!*out)
		return dbs_error_oom(ctx);
	int rc = dbs_parse_into(*out, ctx, sql, len);
	if (!rc) {
		(*out)->source_ddl = dbs_arena_strndup(&(*out)->arena, sql ? sql : "", sql ? len : 0);
		(*out)->source_ddl_len = len;
		if (!(*out)->source_ddl)
			rc = dbs_error_oom(ctx);
	}
	if (rc) {
		dbsync_schema_free(*out);
		*out = NULL;
	}
	return rc;
}
