/*
 * DDL scripts: the token window, shared helpers and the statement dispatcher.
 * CREATE/ALTER TABLE live in parse_table.c, column definitions in parse_column.c,
 * CREATE INDEX/VIEW and COMMENT ON in parse_stmt.c, canonical text in
 * parse_canon.c, what is not schema DDL (refused, or an allowed preamble) in
 * parse_script.c. Nothing recurses: nesting is counted, so deep input is safe.
 */
#include "parse.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "dialect.h"
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
	return dbs_p_at_name_k(p, 0);
}

bool dbs_p_name_tok(const dbs_parser *p, const dbs_token *t)
{
	return t->kind == DBS_TK_WORD || t->kind == DBS_TK_QUOTED || (t->kind == DBS_TK_STRING && p->dl->string_names);
}

bool dbs_p_at_name_k(dbs_parser *p, size_t k)
{
	return dbs_p_name_tok(p, dbs_p_peek(p, k));
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

const char *dbs_p_index_kind(dbs_parser *p)
{
	const dbs_token *t = dbs_p_peek(p, 0);
	if (!dbs_word_in_list(t, p->dl->index_kind_words))
		return NULL;
	char *m = dbs_arena_strndup(&p->s->arena, t->start, t->len);
	if (!m) {
		dbs_p_oom(p);
		return NULL;
	}
	for (char *c = m; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c + 32);
	return m;
}

int dbs_p_qualified_name_in(dbs_parser *p, const char **schema, const char **out, const char *what)
{
	*schema = NULL;
	if (dbs_p_name(p, out, what))
		return p->rc;
	if (dbs_p_peek(p, 0)->kind == DBS_TK_DOT) {
		dbs_p_next(p);
		*schema = *out;
		return dbs_p_name(p, out, what);
	}
	return p->rc;
}

int dbs_p_qualified_name(dbs_parser *p, const char **out, const char *what)
{
	const char *schema;
	const dbs_token at = *dbs_p_peek(p, 0);
	if (dbs_p_qualified_name_in(p, &schema, out, what) || !schema)
		return p->rc;
	return dbs_p_note_schema(p, schema, &at);
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

/* CREATE and ALTER of these are refused: they act outside the schema synced. */
static const char *const refused_objects[] = {
	"DATABASE", "SCHEMA", "ROLE", "USER", "GROUP", "SYSTEM", "TABLESPACE", "DEFAULT",
};

/* Objects the model does not hold: their statements are listed as not handled. */
static const char *const unhandled_objects[] = {
	"VIRTUAL", "SEQUENCE", "EXTENSION", "TYPE", "DOMAIN",
	"AGGREGATE", "COLLATION", "CAST", "OPERATOR", "POLICY", "PUBLICATION", "SUBSCRIPTION",
	"STATISTICS", "EVENT", "SERVER", "RULE", "LANGUAGE", "CONVERSION", "TEXT",
	"FOREIGN", "MATERIALIZED", "TRANSFORM", "ACCESS",
};


/* Words that continue an object kind: MATERIALIZED VIEW, TEXT SEARCH PARSER... */
static const char *const kind_words[] = {
	"VIEW", "TABLE", "TRIGGER", "CLASS", "FAMILY", "SEARCH", "DATA", "WRAPPER", "PARSER", "DICTIONARY",
	"TEMPLATE", "CONFIGURATION", "MAPPING", "METHOD",
};

/*
 * A statement about an object the model does not hold: recorded as not
 * handled (kind, name, line) and skipped, never silently. `kind` holds the
 * words read so far ("CREATE", "ALTER", "COMMENT ON"); the current token is
 * the object's kind word. Bodies between BEGIN and END are skipped whole.
 */
static int not_handled(dbs_parser *p, const dbs_token *first, const char *kind)
{
	dbs_buf k = DBS_BUF_INIT;
	dbs_buf_puts(&k, kind);
	bool block = false;
	do {
		const dbs_token *w = dbs_p_peek(p, 0);
		block = block || dbs_tok_is(w, "TRIGGER") || dbs_tok_is(w, "FUNCTION") || dbs_tok_is(w, "PROCEDURE") ||
			dbs_tok_is(w, "EVENT");
		dbs_buf_putc(&k, ' ');
		for (size_t i = 0; i < w->len; i++)
			dbs_buf_putc(&k, (char)(w->start[i] >= 'a' && w->start[i] <= 'z' ? w->start[i] - 32 : w->start[i]));
		dbs_p_next(p);
	} while (dbs_p_peek(p, 0)->kind == DBS_TK_WORD && DBS_WORD_IN(dbs_p_peek(p, 0), kind_words));
	if (dbs_p_at(p, 0, "IF")) {
		dbs_p_next(p);
		dbs_p_accept(p, "NOT");
		dbs_p_accept(p, "EXISTS");
	}
	const char *name = "";
	if (dbs_p_at_name(p)) {
		dbs_p_name(p, &name, "a name");
		while (!p->rc && dbs_p_peek(p, 0)->kind == DBS_TK_DOT && (dbs_p_next(p), dbs_p_at_name(p)))
			dbs_p_name(p, &name, "a name");
	}
	dbsync_unhandled u = { .kind = dbs_buf_ok(&k) ? dbs_arena_strdup(&p->s->arena, dbs_buf_cstr(&k)) : NULL,
		.name = name, .line = first->line };
	dbs_buf_free(&k);
	if (!u.kind || DBS_VEC_PUSH(&p->s->arena, &p->s->unhandled, u))
		return dbs_p_oom(p);
	if (p->rc)
		return p->rc;
	if (block)
		return skip_block_statement(p);
	dbs_p_skip_statement(p);
	return p->rc;
}

/* CREATE SCHEMA [IF NOT EXISTS] name [AUTHORIZATION role] and (PostgreSQL)
 * ALTER SCHEMA name OWNER TO role, as pg_dump writes them for the schema it
 * dumps: the schema is recorded (planning refuses one that is not the schema
 * synced) and the statement changes nothing of it. The current token is SCHEMA.
 * Anything more (CREATE SCHEMA ... CREATE TABLE ...) is refused. */
static int schema_statement(dbs_parser *p)
{
	const dbs_token first = p->prev;
	dbs_p_next(p); /* SCHEMA */
	if (dbs_p_at(p, 0, "IF")) {
		dbs_p_next(p);
		dbs_p_accept(p, "NOT");
		dbs_p_accept(p, "EXISTS");
	}
	const dbs_token at = *dbs_p_peek(p, 0);
	const char *name;
	if (dbs_p_name(p, &name, "a schema name") || dbs_p_note_schema(p, name, &at))
		return p->rc;
	if (dbs_p_accept(p, "AUTHORIZATION") || (dbs_p_accept(p, "OWNER") && !dbs_p_expect_kw(p, "TO", "after OWNER"))) {
		const char *role;
		if (dbs_p_name(p, &role, "a role name"))
			return p->rc;
	}
	const dbs_tok_kind k = dbs_p_peek(p, 0)->kind;
	if (k != DBS_TK_SEMI && k != DBS_TK_EOF)
		return dbs_p_refuse(p, &first, "a schema's own statements are not read; write them on their own");
	return p->rc;
}

static int parse_create(dbs_parser *p)
{
	const dbs_token create = *dbs_p_peek(p, 0);
	dbs_p_next(p);
	bool or_replace = dbs_p_accept(p, "OR");
	if (or_replace && dbs_p_expect_kw(p, "REPLACE", "after CREATE OR"))
		return p->rc;
	if (p->dl->create_clauses)
		p->dl->create_clauses(p);
	const dbs_token *temp_at = dbs_p_peek(p, 0);
	bool temp = dbs_tok_is(temp_at, "TEMP") || dbs_tok_is(temp_at, "TEMPORARY");
	if (temp && (dbs_p_at(p, 1, "TABLE") || dbs_p_at(p, 1, "VIEW")))
		return not_handled(p, &create, "CREATE"); /* no part of the stored schema */
	if (temp)
		dbs_p_next(p);
	if (p->dl->unlogged_tables && dbs_p_at(p, 0, "UNLOGGED"))
		return dbs_p_error(p, NULL, "CREATE UNLOGGED TABLE is not supported: whether a table is logged is not "
			"managed; write CREATE TABLE");
	bool unique = dbs_p_accept(p, "UNIQUE");
	const char *method = dbs_p_index_kind(p); /* CREATE FULLTEXT INDEX */
	if (method)
		dbs_p_next(p);
	const dbs_token *t = dbs_p_peek(p, 0);
	if ((unique || method) && !dbs_tok_is(t, "INDEX"))
		return dbs_p_error(p, NULL, "expected INDEX after CREATE UNIQUE");
	snprintf(p->stmt, sizeof p->stmt, "CREATE %.*s", (int)(t->len > 40 ? 40 : t->len), t->start);
	if (dbs_tok_is(t, "TABLE")) {
		size_t before = p->s->tables.n;
		int rc = dbs_p_create_table(p);
		if (!rc && p->s->tables.n > before)
			p->s->tables.items[p->s->tables.n - 1]->line = create.line;
		return rc;
	}
	if (dbs_tok_is(t, "SCHEMA") && !p->dl->schema_is_database && !or_replace && !temp)
		return schema_statement(p);
	if (DBS_WORD_IN(t, refused_objects))
		return dbs_p_refuse(p, &create, "it creates a database, schema or role, not a table of the schema synced");
	if (dbs_tok_is(t, "INDEX"))
		return dbs_p_create_index(p, unique, method);
	if (dbs_tok_is(t, "VIEW"))
		return dbs_p_create_view(p, temp, or_replace);
	if (dbs_tok_is(t, "TRIGGER") || dbs_tok_is(t, "FUNCTION") || dbs_tok_is(t, "PROCEDURE") ||
	    (dbs_tok_is(t, "CONSTRAINT") && dbs_p_at(p, 1, "TRIGGER")) || DBS_WORD_IN(t, unhandled_objects))
		return not_handled(p, &create, "CREATE");
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
		if (dbs_p_at(p, 1, "SCHEMA") && p->dl->alter_schema_owner && dbs_p_at_name_k(p, 2) &&
		    (dbs_p_at(p, 3, "OWNER") || dbs_p_peek(p, 3)->kind == DBS_TK_SEMI || dbs_p_peek(p, 3)->kind == DBS_TK_EOF)) {
			dbs_p_next(p); /* ALTER */
			return schema_statement(p);
		}
		if (DBS_WORD_IN(dbs_p_peek(p, 1), refused_objects)) {
			const dbs_token first = *t;
			return dbs_p_refuse(p, &first, "it changes a database, schema, role or the server");
		}
		const dbs_token first = *t;
		dbs_p_next(p);
		if (dbs_p_peek(p, 0)->kind != DBS_TK_WORD)
			return dbs_p_error(p, NULL, "expected what to ALTER");
		return not_handled(p, &first, "ALTER"); /* ALTER SEQUENCE / INDEX / FUNCTION ... */
	}
	if (dbs_tok_is(t, "COMMENT") && dbs_p_at(p, 1, "ON")) {
		const dbs_token *what = dbs_p_peek(p, 2);
		if (dbs_tok_is(what, "TABLE") || dbs_tok_is(what, "COLUMN") || dbs_tok_is(what, "INDEX") ||
		    dbs_tok_is(what, "CONSTRAINT") || p->dl->comment_on_refused)
			return dbs_p_comment(p);
		const dbs_token first = *t;
		dbs_p_next(p);
		dbs_p_next(p);
		if (dbs_p_peek(p, 0)->kind != DBS_TK_WORD)
			return dbs_p_error(p, NULL, "expected what to COMMENT ON");
		return not_handled(p, &first, "COMMENT ON");
	}
	return dbs_p_other_statement(p);
}

int dbs_parse_into(dbsync_schema *s, dbsync_ctx *ctx, const char *sql, size_t len)
{
	dbs_parser p;
	memset(&p, 0, sizeof p);
	p.s = s;
	p.ctx = ctx;
	p.dl = dbs_lex_dialect(s->dialect);
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
	if (!p.rc)
		dbs_p_check_drops(&p);
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
	*out = NULL;
	/* every later step reads the dialect's data table */
	if (!dbs_dialect_info_for(dialect))
		return dbs_error(ctx, DBSYNC_EINVALID, "unknown dialect %d", (int)dialect);
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
