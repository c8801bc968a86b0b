/*
 * Canonical text of expressions and declared types (model.h), so two spellings
 * of the same thing compare equal with strcmp:
 *
 *   expression  CHECK ((json_valid(data) or "data" is null))
 *   canonical   JSON_VALID("data") OR "data" IS NULL
 *
 *   type        VARCHAR (100) / decimal(10, 2) / INTEGER   UNSIGNED
 *   canonical   varchar(100)  / decimal(10,2)  / integer unsigned
 *
 * Expression rules, token by token:
 *  - keywords (AND OR NOT IS NULL IN LIKE CASE ... CURRENT_TIMESTAMP) upper case;
 *  - a bare word followed by '(' is a function: upper case, unquoted, no space
 *    before '(' (LOWER("x"), COUNT(*)); CAST(x AS type) keeps its type bare;
 *  - other bare and quoted identifiers are quoted the dialect's way ("x", `x`);
 *    where the dialect folds bare ones (PostgreSQL), to lower case first, as
 *    the server does;
 *  - a name after COLLATE is quoted too, upper case where collation names are
 *    case-insensitive (SQLite: "NOCASE");
 *  - after '::' (PostgreSQL casts) type words stay bare and lower case;
 *  - strings, numbers and parameters as written ("..." strings, MySQL's,
 *    become '...'), X'..' blobs upper case, != becomes <>, == becomes = where
 *    it means = (SQLite), a unary + before a number is dropped (not where the
 *    server prints it: PostgreSQL);
 *  - one space between tokens, none after '(' '[' '.' '::' or a unary sign,
 *    none before ')' ']' ',' '.' '::' '[', unless the two would lex as one;
 *  - parentheses around the whole expression are dropped, repeatedly.
 * Type rules: words lower case with one space, no spaces inside the argument
 * list, a space after ')' before a word: "int(11) unsigned".
 *
 * Both work on tokens, never on characters, and both are idempotent: the output
 * lexes back into tokens that render the same way.
 */
#include <stdlib.h>
#include <string.h>

#include "dialect.h"
#include "lexer.h"
#include "parse.h"
#include "parse_internal.h"

typedef struct tokvec {
	dbs_token *v;
	size_t n, cap;
} tokvec;

/* 0, -1 when the text does not lex, -2 when out of memory. */
static int lex_all(dbsync_dialect d, const char *text, size_t len, tokvec *out)
{
	dbs_lexer lx;
	dbs_lex_init(&lx, d, text, len);
	for (;;) {
		dbs_token t;
		if (dbs_lex_next(&lx, &t))
			return -1;
		if (t.kind == DBS_TK_EOF)
			return 0;
		if (out->n == out->cap) {
			size_t cap = out->cap ? out->cap * 2 : 32;
			dbs_token *nv = realloc(out->v, cap * sizeof *nv);
			if (!nv)
				return -2;
			out->v = nv;
			out->cap = cap;
		}
		out->v[out->n++] = t;
	}
}

/* Words of the expression grammar. They stay bare (upper case): quoting one
 * would turn it into a column name ("now() AT TIME ZONE 'utc'" must not
 * become "now() "at" "time" ZONE 'utc'"). KW_OP words take an operand after
 * them (a sign there is unary), KW_VALUE words end one; KW_TYPE words also
 * continue a type name after '::' or CAST's AS, where they stay lower case
 * ("::timestamp with time zone", "::double precision"). KW_NS words are
 * keywords only where the dialect has the standard's (std_expr_keywords);
 * elsewhere (SQLite) they stay identifiers: there no server prints the
 * desired side back, so "year" and year must stay equal. */
enum { KW_OP = 1, KW_VALUE = 2, KW_TYPE = 4, KW_NS = 8 };

static const struct { const char *word; int flags; } keywords[] = {
	{ "ALL", KW_OP }, { "AND", KW_OP }, { "ANY", KW_OP }, { "ARRAY", KW_OP | KW_TYPE }, { "AS", KW_OP },
	{ "ASC", KW_OP }, { "ASYMMETRIC", KW_OP | KW_NS }, { "AT", KW_OP | KW_NS }, { "BETWEEN", KW_OP },
	{ "BOTH", KW_OP | KW_NS }, { "BY", KW_OP }, { "CASE", KW_OP }, { "CHARACTER", KW_OP | KW_TYPE | KW_NS },
	{ "COLLATE", KW_OP }, { "CURRENT_DATE", KW_VALUE }, { "CURRENT_TIME", KW_VALUE },
	{ "CURRENT_TIMESTAMP", KW_VALUE }, { "CURRENT_USER", KW_VALUE }, { "DAY", KW_VALUE | KW_TYPE | KW_NS },
	{ "DESC", KW_OP }, { "DISTINCT", KW_OP }, { "DIV", KW_OP }, { "DOUBLE", KW_OP | KW_TYPE | KW_NS },
	{ "ELSE", KW_OP }, { "END", KW_VALUE }, { "ESCAPE", KW_OP }, { "EXCEPT", KW_OP }, { "EXISTS", KW_OP },
	{ "FALSE", KW_VALUE }, { "FILTER", KW_OP }, { "FOR", KW_OP | KW_NS }, { "FROM", KW_OP }, { "GLOB", KW_OP },
	{ "GROUP", KW_OP }, { "HAVING", KW_OP }, { "HOUR", KW_VALUE | KW_TYPE | KW_NS }, { "ILIKE", KW_OP },
	{ "IN", KW_OP }, { "INTERSECT", KW_OP }, { "INTERVAL", KW_OP | KW_TYPE }, { "IS", KW_OP },
	{ "ISNULL", KW_VALUE }, { "JOIN", KW_OP }, { "LEADING", KW_OP | KW_NS }, { "LIKE", KW_OP },
	{ "LIMIT", KW_OP }, { "LOCAL", KW_VALUE | KW_NS }, { "LOCALTIME", KW_VALUE }, { "LOCALTIMESTAMP", KW_VALUE },
	{ "MATCH", KW_OP }, { "MINUTE", KW_VALUE | KW_TYPE | KW_NS }, { "MONTH", KW_VALUE | KW_TYPE | KW_NS },
	{ "NOT", KW_OP }, { "NOTNULL", KW_VALUE }, { "NULL", KW_VALUE }, { "NULLS", KW_OP }, { "OFFSET", KW_OP },
	{ "ON", KW_OP }, { "OPERATOR", KW_OP | KW_NS }, { "OR", KW_OP }, { "ORDER", KW_OP }, { "OVER", KW_OP },
	{ "OVERLAPS", KW_OP | KW_NS }, { "PARTITION", KW_OP }, { "PLACING", KW_OP | KW_NS },
	{ "PRECISION", KW_OP | KW_TYPE | KW_NS }, { "REGEXP", KW_OP }, { "RLIKE", KW_OP },
	{ "SECOND", KW_VALUE | KW_TYPE | KW_NS }, { "SELECT", KW_OP }, { "SESSION_USER", KW_VALUE },
	{ "SIMILAR", KW_OP }, { "SOME", KW_OP }, { "SYMMETRIC", KW_OP | KW_NS }, { "THEN", KW_OP },
	{ "TIME", KW_OP | KW_TYPE | KW_NS }, { "TIMESTAMP", KW_OP | KW_TYPE | KW_NS },
	{ "TO", KW_OP | KW_TYPE | KW_NS }, { "TRAILING", KW_OP | KW_NS }, { "TRUE", KW_VALUE },
	{ "UESCAPE", KW_OP | KW_NS }, { "UNION", KW_OP }, { "UNKNOWN", KW_VALUE }, { "USING", KW_OP },
	{ "VALUES", KW_OP }, { "VARYING", KW_OP | KW_TYPE | KW_NS }, { "WHEN", KW_OP }, { "WHERE", KW_OP },
	{ "WITH", KW_OP | KW_TYPE | KW_NS }, { "WITHIN", KW_OP | KW_NS }, { "WITHOUT", KW_OP | KW_TYPE | KW_NS },
	{ "XOR", KW_OP }, { "YEAR", KW_VALUE | KW_TYPE | KW_NS }, { "ZONE", KW_OP | KW_TYPE | KW_NS },
};

static int keyword_flags(const dbs_token *t, const dbs_dialect_info *dl)
{
	if (t->kind != DBS_TK_WORD)
		return 0;
	for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
		if (dbs_span_eq_ci(t->start, t->len, keywords[i].word))
			return !dl->std_expr_keywords && (keywords[i].flags & KW_NS) ? 0 : keywords[i].flags;
	return 0;
}

static void put_case(dbs_buf *out, const char *s, size_t n, bool upper)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (upper && c >= 'a' && c <= 'z')
			c = (char)(c - 32);
		else if (!upper && c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		dbs_buf_putc(out, c);
	}
}

static bool is_op(const dbs_token *t, const char *op)
{
	return t->kind == DBS_TK_OP && t->len == strlen(op) && memcmp(t->start, op, t->len) == 0;
}

/* How a rendered token joins its neighbours. */
enum cls {
	C_NONE, C_WORD, C_FUNC, C_TYPE, C_KEYWORD, C_VALUE_KW, C_VALUE, C_LPAREN, C_RPAREN, C_COMMA,
	C_DOT, C_DCOLON, C_LBRACK, C_RBRACK, C_UNARY, C_OP,
};

static bool need_space(enum cls prev, enum cls cur)
{
	if (prev == C_NONE || prev == C_LPAREN || prev == C_DOT || prev == C_DCOLON || prev == C_LBRACK ||
	    prev == C_UNARY)
		return false;
	if (cur == C_RPAREN || cur == C_COMMA || cur == C_DOT || cur == C_DCOLON || cur == C_RBRACK ||
	    cur == C_LBRACK)
		return false;
	if (cur == C_LPAREN && (prev == C_FUNC || prev == C_TYPE))
		return false;
	return true;
}

static bool ident_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$' ||
		c >= 0x80;
}

/* Would `last` followed directly by `first` lex differently ("-" "-" is a
 * comment, "1" "." a number, "'a'" "'b'" one string)? Then a space must stay,
 * whatever the layout rules say, or canon(canon(x)) would differ. */
static bool merges(char last, char first)
{
	static const char ops[] = "=<>+-*/%&|~!^?:@#";
	unsigned char l = (unsigned char)last, f = (unsigned char)first;
	if (!l || !f)
		return false;
	if (strchr(ops, l) && strchr(ops, f))
		return true;
	if (ident_char(l) && (ident_char(f) || f == '\''))
		return true;
	if ((l >= '0' && l <= '9' && f == '.') || (l == '.' && f >= '0' && f <= '9'))
		return true;
	return l == f && (l == '\'' || l == '"' || l == '`');
}

#define MAX_DEPTH 64

typedef struct canon_state {
	dbsync_dialect d;
	const dbs_dialect_info *dl;
	dbs_buf *out;
	dbs_buf tmp;
	int depth;
	unsigned char paren[MAX_DEPTH]; /* 1: CAST( ... ; 2: after its AS, a type follows */
	int type_depth;                 /* after '::', the depth of the type name, else -1 */
	bool pending_cast;
	bool after_collate;
	enum cls prev;
} canon_state;

static bool in_cast_type(const canon_state *st)
{
	return st->depth > 0 && st->depth < MAX_DEPTH && st->paren[st->depth] == 2;
}

static void put_ident(canon_state *st, const dbs_token *t, bool collation)
{
	dbs_buf_clear(&st->tmp);
	dbs_tok_value(&st->tmp, t, st->d);
	if (collation && st->dl->collation_names_upper) {
		/* collation names are case-insensitive (SQLite's) */
		const char *v = dbs_buf_cstr(&st->tmp);
		dbs_buf up = DBS_BUF_INIT;
		put_case(&up, v, strlen(v), true);
		dbs_quote_ident(st->out, st->d, dbs_buf_cstr(&up));
		if (!dbs_buf_ok(&up))
			st->out->oom = true;
		dbs_buf_free(&up);
		return;
	}
	dbs_quote_ident(st->out, st->d, dbs_buf_cstr(&st->tmp));
	if (!dbs_buf_ok(&st->tmp))
		st->out->oom = true;
}

/* Renders tv->v[i]; returns its class (C_NONE: emit nothing). */
static enum cls render_token(canon_state *st, const tokvec *tv, size_t i, size_t hi)
{
	const dbs_token *t = &tv->v[i];
	const dbs_token *next = i + 1 < hi ? &tv->v[i + 1] : NULL;
	dbs_buf *out = st->out;
	bool collation = st->after_collate;
	st->after_collate = false;
	if (st->type_depth >= 0 && st->depth <= st->type_depth) {
		int kwf = keyword_flags(t, st->dl);
		bool type_tok = (t->kind == DBS_TK_WORD && (!kwf || (kwf & KW_TYPE))) ||
			(t->kind == DBS_TK_LPAREN && st->prev == C_TYPE) ||
			(t->kind == DBS_TK_RPAREN && st->depth > st->type_depth) ||
			is_op(t, "[") || is_op(t, "]");
		if (!type_tok)
			st->type_depth = -1;
	}
	switch (t->kind) {
	case DBS_TK_WORD: {
		int kw = keyword_flags(t, st->dl);
		bool type_word = (!kw || (kw & KW_TYPE)) && (st->type_depth >= 0 || in_cast_type(st));
		if (type_word) {
			put_case(out, t->start, t->len, false);
			return C_TYPE;
		}
		if (collation) {
			put_ident(st, t, true);
			return next && next->kind == DBS_TK_LPAREN ? C_FUNC : C_WORD; /* as a quoted name is */
		}
		if (next && next->kind == DBS_TK_LPAREN && (!kw || (kw & KW_VALUE))) {
			put_case(out, t->start, t->len, true);
			st->pending_cast = dbs_span_eq_ci(t->start, t->len, "CAST");
			return C_FUNC;
		}
		if (kw || (next && next->kind == DBS_TK_STRING)) {
			put_case(out, t->start, t->len, true);
			if (dbs_span_eq_ci(t->start, t->len, "COLLATE"))
				st->after_collate = true;
			if (dbs_span_eq_ci(t->start, t->len, "AS") && st->depth > 0 && st->depth < MAX_DEPTH &&
			    st->paren[st->depth] == 1)
				st->paren[st->depth] = 2;
			return (kw & KW_VALUE) ? C_VALUE_KW : C_KEYWORD;
		}
		put_ident(st, t, false);
		return C_WORD;
	}
	case DBS_TK_QUOTED:
		put_ident(st, t, collation);
		return next && next->kind == DBS_TK_LPAREN ? C_FUNC : C_WORD;
	case DBS_TK_STRING:
		if (st->dl->double_quote_strings && t->start[0] == '"') {
			dbs_buf_clear(&st->tmp); /* one quoting style for strings */
			dbs_tok_value(&st->tmp, t, st->d);
			dbs_quote_literal(out, st->d, dbs_buf_cstr(&st->tmp));
			return C_VALUE;
		}
		dbs_buf_put(out, t->start, t->len);
		return C_VALUE;
	case DBS_TK_BLOB:
		put_case(out, t->start, t->len, true);
		return C_VALUE;
	case DBS_TK_NUMBER:
	case DBS_TK_PARAM:
	case DBS_TK_DOLLAR:
	case DBS_TK_EOF:
		dbs_buf_put(out, t->start, t->len);
		return C_VALUE;
	case DBS_TK_LPAREN:
		st->depth++;
		if (st->depth > 0 && st->depth < MAX_DEPTH)
			st->paren[st->depth] = st->pending_cast ? 1 : 0;
		st->pending_cast = false;
		dbs_buf_putc(out, '(');
		return C_LPAREN;
	case DBS_TK_RPAREN:
		st->depth--;
		dbs_buf_putc(out, ')');
		return C_RPAREN;
	case DBS_TK_COMMA:
		dbs_buf_putc(out, ',');
		return C_COMMA;
	case DBS_TK_DOT:
		dbs_buf_putc(out, '.');
		return C_DOT;
	case DBS_TK_SEMI:
		dbs_buf_putc(out, ';');
		return C_OP;
	case DBS_TK_OP:
		break;
	}
	if (is_op(t, "::")) {
		st->type_depth = st->depth;
		dbs_buf_put(out, "::", 2);
		return C_DCOLON;
	}
	if (is_op(t, "[") || is_op(t, "]")) {
		dbs_buf_putc(out, *t->start);
		return *t->start == '[' ? C_LBRACK : C_RBRACK;
	}
	if (is_op(t, "-") || is_op(t, "+")) {
		enum cls pr = st->prev;
		bool unary = pr == C_NONE || pr == C_LPAREN || pr == C_COMMA || pr == C_OP || pr == C_UNARY ||
			pr == C_LBRACK || pr == C_KEYWORD || pr == C_DCOLON;
		/* +1 is 1 (but "- +1" keeps it: dropping would make "-1" next time);
		 * some servers (PostgreSQL) keep the operator, and print it */
		if (unary && pr != C_UNARY && is_op(t, "+") && next && next->kind == DBS_TK_NUMBER &&
		    !st->dl->keeps_unary_plus)
			return C_NONE;
		dbs_buf_putc(out, *t->start);
		return unary ? C_UNARY : C_OP;
	}
	if (is_op(t, "!="))
		dbs_buf_put(out, "<>", 2);
	else if (is_op(t, "==") && st->dl->double_equals)
		dbs_buf_putc(out, '=');
	else
		dbs_buf_put(out, t->start, t->len);
	return C_OP;
}

int dbs_expr_canon_buf(dbs_buf *out, dbsync_dialect d, const char *text, size_t len)
{
	tokvec tv = { NULL, 0, 0 };
	canon_state st;
	memset(&st, 0, sizeof st);
	st.d = d;
	st.dl = dbs_lex_dialect(d);
	st.out = out;
	st.type_depth = -1;
	dbs_buf_init(&st.tmp);
	dbs_buf_clear(out);
	int rc = lex_all(d, text, len, &tv);
	size_t lo = 0, hi = tv.n;
	if (rc || (rc = dbs_strip_outer_parens(tv.v, &lo, &hi) ? -2 : 0))
		goto cleanup;
	for (size_t i = lo; i < hi; i++) {
		/* the space before a token depends on its class, known once rendered */
		size_t mark = out->len;
		enum cls c = render_token(&st, &tv, i, hi);
		if (c == C_NONE)
			continue;
		bool space = need_space(st.prev, c) ||
			(mark > 0 && mark < out->len && merges(out->ptr[mark - 1], out->ptr[mark]));
		if (space && dbs_buf_putc(out, ' ') == 0) {
			memmove(out->ptr + mark + 1, out->ptr + mark, out->len - mark - 1);
			out->ptr[mark] = ' ';
		}
		st.prev = c;
	}
	if (!dbs_buf_ok(out) || !dbs_buf_ok(&st.tmp))
		rc = -2;
cleanup:
	free(tv.v);
	dbs_buf_free(&st.tmp);
	return rc;
}

const char *dbs_expr_canon(dbs_arena *a, dbsync_dialect d, const char *text, size_t len)
{
	if (!text)
		return NULL;
	dbs_buf out = DBS_BUF_INIT;
	const char *result = dbs_expr_canon_buf(&out, d, text, len) ? NULL : dbs_arena_strdup(a, dbs_buf_cstr(&out));
	dbs_buf_free(&out);
	return result;
}

/* A quoted name in a type is written bare only when it reads back as the same
 * words ("my type"); anything else keeps its quotes. */
static bool plain_words(const char *v)
{
	bool start = true;
	for (const unsigned char *c = (const unsigned char *)v; *c; c++) {
		if (*c == ' ') {
			if (start)
				return false; /* leading or doubled space */
			start = true;
			continue;
		}
		bool letter = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || *c == '_' || *c >= 0x80;
		if (!letter && !(!start && *c >= '0' && *c <= '9'))
			return false;
		start = false;
	}
	return !start;
}

/* Where a quoted type name is looked up in the catalog as written
 * (PostgreSQL), some bare names are SQL grammar with a meaning of their own
 * (the dialect's type_grammar_words: bare char is character(1), "char" a
 * one-byte type). Such a name keeps its quotes, and so does one the server
 * would quote (upper case, spaces): only a quoted name that means the same
 * written bare loses them. */
static bool quoted_type_is_bare(const char *v, const char *const *grammar)
{
	if (!*v || (*v >= '0' && *v <= '9'))
		return false;
	for (const char *c = v; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
			return false;
	for (const char *const *g = grammar; *g; g++)
		if (strcmp(v, *g) == 0)
			return false;
	return true;
}

static bool wordish(dbs_tok_kind k)
{
	return k == DBS_TK_WORD || k == DBS_TK_QUOTED || k == DBS_TK_NUMBER || k == DBS_TK_STRING;
}

int dbs_type_canon_buf(dbs_buf *out, dbsync_dialect d, const char *text, size_t len)
{
	tokvec tv = { NULL, 0, 0 };
	const char *const *grammar = dbs_lex_dialect(d)->type_grammar_words;
	dbs_buf_clear(out);
	int rc = lex_all(d, text, len, &tv);
	if (rc == -2)
		goto cleanup;
	if (rc == -1) {
		/* not SQL tokens (a builder's odd text): lower-case, single spaces */
		bool space = false;
		for (size_t i = 0; i < len; i++) {
			char c = text[i];
			if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
				space = out->len > 0;
				continue;
			}
			if (space)
				dbs_buf_putc(out, ' ');
			space = false;
			put_case(out, &c, 1, false);
		}
	} else {
		dbs_tok_kind prev = DBS_TK_EOF;
		for (size_t i = 0; i < tv.n; i++) {
			const dbs_token *t = &tv.v[i];
			size_t mark = out->len;
			if (t->kind == DBS_TK_WORD || t->kind == DBS_TK_QUOTED) {
				dbs_buf val = DBS_BUF_INIT;
				dbs_tok_value(&val, t, d);
				if (t->kind == DBS_TK_QUOTED && grammar && !quoted_type_is_bare(dbs_buf_cstr(&val), grammar)) {
					/* case and quotes as the catalog name needs them */
					dbs_quote_ident(out, d, dbs_buf_cstr(&val));
				} else {
					if (t->kind == DBS_TK_QUOTED && !plain_words(dbs_buf_cstr(&val))) {
						dbs_buf_clear(&val); /* e.g. SQLite's [] or a name with quotes in it */
						dbs_buf_put(&val, t->start, t->len);
					}
					put_case(out, dbs_buf_cstr(&val), val.len, false);
				}
				if (!dbs_buf_ok(&val))
					out->oom = true;
				dbs_buf_free(&val);
			} else {
				dbs_buf_put(out, t->start, t->len);
			}
			bool space = (wordish(t->kind) && (wordish(prev) || prev == DBS_TK_RPAREN)) ||
				(mark > 0 && mark < out->len && merges(out->ptr[mark - 1], out->ptr[mark]));
			if (space && dbs_buf_putc(out, ' ') == 0) {
				memmove(out->ptr + mark + 1, out->ptr + mark, out->len - mark - 1);
				out->ptr[mark] = ' ';
			}
			prev = t->kind;
		}
	}
	rc = dbs_buf_ok(out) ? 0 : -2;
cleanup:
	free(tv.v);
	return rc;
}

const char *dbs_type_canon(dbs_arena *a, dbsync_dialect d, const char *text, size_t len)
{
	if (!text)
		return NULL;
	dbs_buf out = DBS_BUF_INIT;
	const char *result = NULL;
	if (dbs_type_canon_buf(&out, d, text, len) == 0 && out.len > 0)
		result = dbs_arena_strdup(a, dbs_buf_cstr(&out));
	dbs_buf_free(&out);
	return result;
}
