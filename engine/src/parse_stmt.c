/* CREATE INDEX, CREATE VIEW and COMMENT ON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "parse_internal.h"

static const char *tok_name(dbs_parser *p, const dbs_token *t)
{
	dbs_buf_clear(&p->scratch);
	const char *s = NULL;
	if (dbs_tok_value(&p->scratch, t, p->s->dialect) == 0)
		s = dbs_arena_strdup(&p->s->arena, dbs_buf_cstr(&p->scratch));
	if (!s)
		dbs_p_oom(p);
	return s;
}

static int push_tok(dbs_parser *p, const dbs_token *t)
{
	if (p->toks_n == p->toks_cap) {
		size_t cap = p->toks_cap ? p->toks_cap * 2 : 32;
		dbs_token *nt = realloc(p->toks, cap * sizeof *nt);
		if (!nt)
			return dbs_p_oom(p);
		p->toks = nt;
		p->toks_cap = cap;
	}
	p->toks[p->toks_n++] = *t;
	return 0;
}

/* One indexed column or expression, read from its end: [COLLATE c] [opclass]
 * [ASC|DESC] [NULLS FIRST|LAST] are peeled off, then outer parentheses; what is
 * left is a column when it is a single name, else an expression. */
static int analyse_part(dbs_parser *p, dbs_index *ix, const char *context)
{
	dbs_token *tk = p->toks;
	size_t n = p->toks_n;
	dbs_index_part part;
	memset(&part, 0, sizeof part);
	if (n == 0)
		return dbs_p_error(p, NULL, "expected a column or expression in %s", context);
	if (p->part_ops) {
		/* EXCLUDE: element WITH operator; the operator may be several tokens
		 * (OPERATOR(pg_catalog.=)) and is kept as written, without spaces */
		size_t w = n;
		while (w > 0 && !dbs_tok_is(&tk[w - 1], "WITH"))
			w--;
		if (w < 2 || w == n)
			return dbs_p_error(p, NULL, "expected element WITH operator in %s", context);
		dbs_buf_clear(&p->scratch);
		for (size_t i = w; i < n; i++)
			dbs_buf_put(&p->scratch, tk[i].start, tk[i].len);
		if (!dbs_buf_ok(&p->scratch) || !(part.op = dbs_arena_strdup(&p->s->arena, dbs_buf_cstr(&p->scratch))))
			return dbs_p_oom(p);
		n = w - 1;
	}
	int nulls = 0; /* 'F'irst, 'L'ast, or 0 when not written */
	if (n >= 3 && dbs_tok_is(&tk[n - 2], "NULLS") && (dbs_tok_is(&tk[n - 1], "FIRST") || dbs_tok_is(&tk[n - 1], "LAST"))) {
		nulls = dbs_tok_is(&tk[n - 1], "FIRST") ? 'F' : 'L';
		n -= 2;
	}
	if (n >= 2 && (dbs_tok_is(&tk[n - 1], "ASC") || dbs_tok_is(&tk[n - 1], "DESC"))) {
		part.desc = dbs_tok_is(&tk[n - 1], "DESC");
		n--;
	}
	part.nulls_reversed = p->dl->index_nulls_order && nulls == (part.desc ? 'L' : 'F');
	if (p->dl->operator_classes && n >= 2 && tk[n - 1].kind == DBS_TK_WORD &&
	    (dbs_p_name_tok(p, &tk[n - 2]) || tk[n - 2].kind == DBS_TK_RPAREN) && !dbs_tok_is(&tk[n - 2], "COLLATE")) {
		if (!(part.opclass = tok_name(p, &tk[n - 1])))
			return p->rc;
		n--;
	}
	if (n >= 3 && dbs_tok_is(&tk[n - 2], "COLLATE") && dbs_p_name_tok(p, &tk[n - 1])) {
		if (!(part.collation = tok_name(p, &tk[n - 1])))
			return p->rc;
		n -= 2;
	}
	if (p->dl->prefix_lengths && n == 4 && dbs_p_name_tok(p, &tk[0]) && tk[1].kind == DBS_TK_LPAREN &&
	    tk[2].kind == DBS_TK_NUMBER && tk[3].kind == DBS_TK_RPAREN) {
		long len = strtol(tk[2].start, NULL, 10);
		part.prefix_len = len > 0 && len < 1000000 ? (int)len : 0;
		n = 1;
	}
	size_t lo = 0, hi = n;
	if (dbs_strip_outer_parens(tk, &lo, &hi))
		return dbs_p_oom(p);
	tk += lo;
	n = hi - lo;
	if (n == 0)
		return dbs_p_error(p, NULL, "empty expression in %s", context);
	if (n == 1 && dbs_p_name_tok(p, &tk[0])) {
		if (!(part.column = tok_name(p, &tk[0])))
			return p->rc;
	} else if (!(part.expr = dbs_p_expr(p, tk[0].start, tk[n - 1].start + tk[n - 1].len))) {
		return p->rc;
	}
	if (DBS_VEC_PUSH(&p->s->arena, &ix->parts, part))
		return dbs_p_oom(p);
	return p->rc;
}

int dbs_p_index_parts(dbs_parser *p, const dbs_table *t, dbs_index *ix)
{
	char context[300];
	if (p->part_ops)
		snprintf(context, sizeof context, "the elements of exclusion constraint \"%s\" of table \"%s\"", ix->name,
			t->name);
	else
		snprintf(context, sizeof context, "the column list of index \"%s\" on table \"%s\"", ix->name, t->name);
	if (dbs_p_expect_kind(p, DBS_TK_LPAREN, context))
		return p->rc;
	for (;;) {
		int depth = 0;
		p->toks_n = 0;
		for (;;) {
			const dbs_token *tok = dbs_p_peek(p, 0);
			if (p->rc)
				return p->rc;
			if (tok->kind == DBS_TK_EOF || tok->kind == DBS_TK_SEMI)
				return dbs_p_error(p, tok, "missing ')' in %s", context);
			if (depth == 0 && (tok->kind == DBS_TK_COMMA || tok->kind == DBS_TK_RPAREN))
				break;
			if (tok->kind == DBS_TK_LPAREN)
				depth++;
			else if (tok->kind == DBS_TK_RPAREN)
				depth--;
			if (push_tok(p, tok))
				return p->rc;
			dbs_p_next(p);
		}
		if (analyse_part(p, ix, context))
			return p->rc;
		if (dbs_p_accept_kind(p, DBS_TK_RPAREN))
			return p->rc;
		dbs_p_next(p); /* ',' */
	}
}

/* The rest of the statement as a span (WHERE of an index, a view's SELECT). */
static int rest_of_statement(dbs_parser *p, const char **start, const char **end, const char *context)
{
	int depth = 0;
	const dbs_token *t = dbs_p_peek(p, 0);
	*start = *end = t->start;
	for (;;) {
		t = dbs_p_peek(p, 0);
		if (p->rc)
			return p->rc;
		if (t->kind == DBS_TK_EOF || (t->kind == DBS_TK_SEMI && depth == 0))
			break;
		if (t->kind == DBS_TK_SEMI) /* the statement cannot end inside parentheses */
			return dbs_p_error(p, t, "missing ')' before ';' in %s", context);
		if (t->kind == DBS_TK_LPAREN) {
			depth++;
		} else if (t->kind == DBS_TK_RPAREN && --depth < 0) {
			return dbs_p_error(p, t, "unbalanced ')' in %s", context);
		}
		*end = t->start + t->len;
		dbs_p_next(p);
	}
	if (depth > 0)
		return dbs_p_error(p, t, "missing ')' in %s", context);
	if (*start == *end)
		return dbs_p_error(p, t, "expected an expression in %s", context);
	return p->rc;
}

static int if_not_exists(dbs_parser *p, bool *out)
{
	*out = false;
	if (dbs_p_at(p, 0, "IF") && dbs_p_at(p, 1, "NOT")) {
		dbs_p_next(p);
		dbs_p_next(p);
		if (dbs_p_expect_kw(p, "EXISTS", "after IF NOT"))
			return p->rc;
		*out = true;
	}
	return p->rc;
}

dbs_index *dbs_p_find_index_on(dbs_parser *p, const dbs_table *t, const char *name)
{
	for (size_t i = 0; i < t->indexes.n; i++)
		if (dbs_name_eq(p->s->dialect, t->indexes.items[i]->name, name))
			return t->indexes.items[i];
	return NULL;
}

int dbs_p_storage_params(dbs_parser *p, const char **out, const char *context)
{
	if (dbs_p_expect_kind(p, DBS_TK_LPAREN, context))
		return p->rc;
	dbs_buf list = DBS_BUF_INIT, key = DBS_BUF_INIT, value = DBS_BUF_INIT;
	do {
		const dbs_token *k = dbs_p_peek(p, 0);
		if (k->kind != DBS_TK_WORD && k->kind != DBS_TK_QUOTED) {
			dbs_p_error(p, NULL, "expected a storage parameter name in %s", context);
			break;
		}
		dbs_buf_clear(&key);
		dbs_buf_clear(&value);
		dbs_tok_value(&key, k, p->s->dialect);
		dbs_p_next(p);
		const dbs_token *eq = dbs_p_peek(p, 0);
		if (eq->kind == DBS_TK_OP && eq->len == 1 && *eq->start == '=') {
			dbs_p_next(p);
			const dbs_token *v = dbs_p_peek(p, 0);
			bool sign = v->kind == DBS_TK_OP && v->len == 1 && (*v->start == '-' || *v->start == '+');
			if (sign) {
				dbs_buf_putc(&value, *v->start);
				dbs_p_next(p);
				v = dbs_p_peek(p, 0);
			}
			if (v->kind != DBS_TK_NUMBER && (sign || (v->kind != DBS_TK_WORD && v->kind != DBS_TK_STRING &&
			    v->kind != DBS_TK_QUOTED))) {
				dbs_p_error(p, NULL, "expected a value after '=' in %s", context);
				break;
			}
			dbs_tok_value(&value, v, p->s->dialect);
			dbs_p_next(p);
		} else {
			dbs_buf_puts(&value, "on"); /* a name alone is true */
		}
		dbs_put_option(&list, dbs_buf_cstr(&key), dbs_buf_cstr(&value));
	} while (dbs_p_accept_kind(p, DBS_TK_COMMA));
	if (!p->rc && !dbs_p_expect_kind(p, DBS_TK_RPAREN, context)) {
		if (!dbs_buf_ok(&list) || !dbs_buf_ok(&key) || !dbs_buf_ok(&value) ||
		    !(*out = dbs_arena_strdup(&p->s->arena, dbs_buf_cstr(&list))))
			dbs_p_oom(p);
	}
	dbs_buf_free(&list);
	dbs_buf_free(&key);
	dbs_buf_free(&value);
	return p->rc;
}

/* Options after the column list; WHERE ends the statement. */
static int parse_index_options(dbs_parser *p, dbs_index *ix, const char *context)
{
	while (!p->rc) {
		if (dbs_p_accept(p, "WHERE")) {
			const char *s, *e;
			if (rest_of_statement(p, &s, &e, context))
				return p->rc;
			ix->where_expr = dbs_p_expr(p, s, e);
			if (ix->where_expr && !*ix->where_expr)
				return dbs_p_error(p, &p->prev, "empty WHERE () in %s", context);
		} else if (dbs_p_at(p, 0, "INCLUDE") && dbs_p_peek(p, 1)->kind == DBS_TK_LPAREN) {
			dbs_p_next(p);
			dbs_p_name_list(p, &ix->include, false, NULL, context);
		} else if (dbs_p_accept(p, "NULLS")) {
			ix->nulls_not_distinct = dbs_p_accept(p, "NOT");
			dbs_p_expect_kw(p, "DISTINCT", context);
		} else if (p->dl->index_storage_params && dbs_p_at(p, 0, "WITH") &&
			   dbs_p_peek(p, 1)->kind == DBS_TK_LPAREN) {
			dbs_p_next(p);
			dbs_p_storage_params(p, &ix->options, context);
		} else if (p->dl->index_tablespace_refused && dbs_p_at(p, 0, "TABLESPACE")) {
			return dbs_p_error(p, NULL, "TABLESPACE is not supported in %s: dbsync does not move indexes "
				"between tablespaces; leave it out", context);
		} else if (p->dl->key_options && dbs_p_at(p, 0, "COMMENT")) {
			p->dl->key_options(p, context, &ix->comment);
		} else if (p->dl->key_options && dbs_p_peek(p, 0)->kind == DBS_TK_WORD) {
			dbs_p_skip_statement(p); /* USING, ALGORITHM, LOCK, VISIBLE...: not modeled */
		} else {
			break;
		}
	}
	return p->rc;
}

int dbs_p_create_index(dbs_parser *p, bool unique, const char *method)
{
	dbs_p_next(p); /* INDEX */
	if (p->dl->concurrent_indexes)
		dbs_p_accept(p, "CONCURRENTLY");
	bool ine;
	if (if_not_exists(p, &ine))
		return p->rc;
	const char *name = NULL, *tname;
	const dbs_token name_at = *dbs_p_peek(p, 0);
	/* where the server names an unnamed index itself ("CREATE INDEX ON t
	 * (a)", PostgreSQL), the name is chosen once the columns are known */
	bool unnamed = p->dl->unnamed_index_name && dbs_p_at(p, 0, "ON") && !dbs_p_at(p, 1, "ON");
	if (unnamed)
		name = "";
	else if (dbs_p_qualified_name(p, &name, "an index name after CREATE INDEX"))
		return p->rc;
	snprintf(p->stmt, sizeof p->stmt, "CREATE INDEX \"%s\"", name);
	if (p->dl->key_index_syntax && dbs_p_accept(p, "USING"))
		dbs_p_next(p);
	char context[240];
	snprintf(context, sizeof context, "after the name of index \"%s\"", name);
	if (dbs_p_expect_kw(p, "ON", context))
		return p->rc;
	dbs_p_accept(p, "ONLY");
	const dbs_token at = *dbs_p_peek(p, 0);
	if (dbs_p_qualified_name(p, &tname, "a table name after ON"))
		return p->rc;
	dbs_table *t = dbs_schema_find_table(p->s, tname);
	if (!t)
		return dbs_p_error(p, &at, "index \"%s\" is on unknown table \"%s\"", name, tname);
	if (dbs_p_find_index_on(p, t, name)) {
		if (ine) {
			dbs_p_skip_statement(p);
			return p->rc;
		}
		return dbs_p_error(p, &name_at, "index \"%s\" on table \"%s\" is defined twice", name, t->name);
	}
	dbs_index *ix = dbs_table_add_index(p->s, t, name);
	if (!ix || dbs_p_touch(p, t))
		return dbs_p_oom(p);
	ix->unique = unique;
	ix->method = method;
	if (p->dl->index_method_refused && dbs_p_at(p, 0, "USING"))
		return dbs_p_error(p, NULL, "%s: leave USING out of index \"%s\"", p->dl->index_method_refused, name);
	if (dbs_p_accept(p, "USING")) {
		const char *m;
		if (dbs_p_name(p, &m, "an index method after USING"))
			return p->rc;
		char *lm = dbs_arena_strdup(&p->s->arena, m);
		if (!lm)
			return dbs_p_oom(p);
		for (char *c = lm; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c + 32);
		ix->method = lm;
	}
	snprintf(context, sizeof context, "index \"%s\" on table \"%s\"", name, t->name);
	if (dbs_p_index_parts(p, t, ix))
		return p->rc;
	if (unnamed && !(ix->name = p->dl->unnamed_index_name(p, t, ix)))
		return dbs_p_oom(p);
	for (size_t i = 0; i < ix->parts.n; i++)
		if (ix->parts.items[i].column && !dbs_table_find_column(p->s, t, ix->parts.items[i].column))
			return dbs_p_error(p, &name_at, "index \"%s\" names unknown column \"%s\" of table \"%s\"", name,
				ix->parts.items[i].column, t->name);
	return parse_index_options(p, ix, context);
}

int dbs_p_create_view(dbs_parser *p, bool temp, bool or_replace)
{
	dbs_p_next(p); /* VIEW */
	bool ine;
	if (if_not_exists(p, &ine))
		return p->rc;
	const dbs_token at = *dbs_p_peek(p, 0);
	const char *name;
	if (dbs_p_qualified_name(p, &name, "a view name after CREATE VIEW"))
		return p->rc;
	snprintf(p->stmt, sizeof p->stmt, "CREATE VIEW \"%s\"", name);
	if (temp) {
		dbs_p_skip_statement(p);
		return p->rc;
	}
	char context[240];
	snprintf(context, sizeof context, "view \"%s\"", name);
	const char *s, *e;
	if (dbs_p_accept_kind(p, DBS_TK_LPAREN) && dbs_p_balanced(p, &s, &e, context))
		return p->rc;
	if (dbs_p_at(p, 0, "WITH") && dbs_p_peek(p, 1)->kind == DBS_TK_LPAREN) {
		dbs_p_next(p);
		dbs_p_next(p);
		if (dbs_p_balanced(p, &s, &e, context))
			return p->rc;
	}
	snprintf(context, sizeof context, "after the name of view \"%s\"", name);
	if (dbs_p_expect_kw(p, "AS", context))
		return p->rc;
	snprintf(context, sizeof context, "the definition of view \"%s\"", name);
	if (rest_of_statement(p, &s, &e, context))
		return p->rc;
	char *def = dbs_arena_strndup(&p->s->arena, s, (size_t)(e - s));
	if (!def)
		return dbs_p_oom(p);
	for (size_t i = 0; i < p->s->views.n; i++) {
		dbs_view *v = p->s->views.items[i];
		if (!dbs_name_eq(p->s->dialect, v->name, name))
			continue;
		if (or_replace)
			v->definition = def;
		else if (!ine)
			return dbs_p_error(p, &at, "view \"%s\" is defined twice", name);
		return p->rc;
	}
	if (!dbs_schema_add_view(p->s, name, def))
		return dbs_p_oom(p);
	return p->rc;
}

/* The text after IS: a string, or NULL (*text NULL). */
static int comment_text(dbs_parser *p, const char **text)
{
	*text = NULL;
	if (dbs_p_expect_kw(p, "IS", "in COMMENT ON"))
		return p->rc;
	const dbs_token *v = dbs_p_peek(p, 0);
	if (v->kind == DBS_TK_STRING || v->kind == DBS_TK_DOLLAR) {
		if (!(*text = tok_name(p, v)))
			return p->rc;
	} else if (!dbs_tok_is(v, "NULL")) {
		return dbs_p_error(p, NULL, "expected a string or NULL after IS in COMMENT ON");
	}
	dbs_p_next(p);
	return p->rc;
}

/* COMMENT ON CONSTRAINT c ON [schema.]t IS 'text' | NULL (PostgreSQL). */
static int comment_on_constraint(dbs_parser *p)
{
	dbs_p_next(p); /* CONSTRAINT */
	const dbs_token at = *dbs_p_peek(p, 0);
	const char *cname, *tname, *text;
	if (dbs_p_name(p, &cname, "a constraint name after COMMENT ON CONSTRAINT") ||
	    dbs_p_expect_kw(p, "ON", "after the constraint name in COMMENT ON CONSTRAINT") ||
	    dbs_p_qualified_name(p, &tname, "a table name in COMMENT ON CONSTRAINT") || comment_text(p, &text))
		return p->rc;
	dbs_table *t = dbs_schema_find_table(p->s, tname);
	if (!t)
		return dbs_p_error(p, &at, "COMMENT ON CONSTRAINT \"%s\" of unknown table \"%s\"", cname, tname);
	for (size_t i = 0; i < t->constraints.n; i++) {
		dbs_constraint *k = t->constraints.items[i];
		if (k->name && dbs_name_eq(p->s->dialect, k->name, cname)) {
			k->comment = text;
			return p->rc;
		}
	}
	return dbs_p_error(p, &at, "COMMENT ON unknown constraint \"%s\" of table \"%s\" (name it in CREATE TABLE "
		"or ALTER TABLE ADD CONSTRAINT)", cname, tname);
}

/* COMMENT ON TABLE t | COLUMN t.c | INDEX i IS 'text' | NULL. */
int dbs_p_comment(dbs_parser *p)
{
	if (p->dl->comment_on_refused)
		return dbs_p_error(p, NULL, "%s", p->dl->comment_on_refused);
	dbs_p_next(p); /* COMMENT */
	dbs_p_next(p); /* ON */
	const dbs_token *kind = dbs_p_peek(p, 0);
	int what = dbs_tok_is(kind, "TABLE") ? 1 : dbs_tok_is(kind, "COLUMN") ? 2 : dbs_tok_is(kind, "INDEX") ? 3 : 0;
	snprintf(p->stmt, sizeof p->stmt, "COMMENT ON %.*s", (int)(kind->len > 40 ? 40 : kind->len), kind->start);
	if (dbs_tok_is(kind, "CONSTRAINT"))
		return comment_on_constraint(p);
	if (!what) {
		dbs_p_skip_statement(p);
		return p->rc;
	}
	dbs_p_next(p);
	const dbs_token at = *dbs_p_peek(p, 0);
	const char *parts[3] = { NULL, NULL, NULL };
	size_t n = 0;
	do {
		const char *part;
		if (dbs_p_name(p, &part, "a name after COMMENT ON"))
			return p->rc;
		if (n == 3)
			return dbs_p_error(p, &p->prev, "too many name parts in COMMENT ON");
		parts[n++] = part;
	} while (dbs_p_accept_kind(p, DBS_TK_DOT));
	/* [schema.]table[.column] / [schema.]index: the schema is recorded */
	if (n == (what == 2 ? 3u : 2u) && dbs_p_note_schema(p, parts[0], &at))
		return p->rc;
	const char *text;
	if (comment_text(p, &text))
		return p->rc;
	if (what == 3) {
		dbs_table *t = NULL;
		dbs_index *ix = dbs_schema_find_index(p->s, parts[n - 1], &t);
		if (!ix)
			return dbs_p_error(p, &at, "COMMENT ON unknown index \"%s\"", parts[n - 1]);
		ix->comment = text;
		return p->rc;
	}
	if (what == 2 && n < 2)
		return dbs_p_error(p, &at, "COMMENT ON COLUMN needs table.column");
	const char *tname = what == 1 ? parts[n - 1] : parts[n - 2];
	dbs_table *t = dbs_schema_find_table(p->s, tname);
	if (!t)
		return dbs_p_error(p, &at, "COMMENT ON unknown table \"%s\"", tname);
	if (what == 1) {
		t->comment = text;
		return p->rc;
	}
	dbs_column *c = dbs_table_find_column(p->s, t, parts[n - 1]);
	if (!c)
		return dbs_p_error(p, &at, "COMMENT ON unknown column \"%s\" of table \"%s\"", parts[n - 1], t->name);
	c->comment = text;
	return p->rc;
}
