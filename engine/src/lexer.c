#include "lexer.h"

#include <stdlib.h>
#include <string.h>

#include "dialect.h"

static bool is_ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool is_ident_char(unsigned char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9') || c == '$';
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

/* A value that is no dialect reads as the common core: "ident", 'string', -- and block comments. */
static const dbs_dialect_info no_dialect = { .ident_quote = '"' };

const dbs_dialect_info *dbs_lex_dialect(dbsync_dialect d)
{
	const dbs_dialect_info *dl = dbs_dialect_info_for(d);
	return dl ? dl : &no_dialect;
}

void dbs_lex_init(dbs_lexer *lx, dbsync_dialect d, const char *src, size_t len)
{
	lx->dl = dbs_lex_dialect(d);
	lx->p = src;
	lx->end = src + len;
	lx->line = 1;
	lx->col = 1;
	lx->in_exec_comment = false;
	lx->exec_line = lx->exec_col = 0;
	lx->delim_len = 0;
	lx->stmt_start = true;
	lx->err = NULL;
	lx->err_line = lx->err_col = 0;
}

/* Consume n bytes, keeping line and column (columns count code points, so a
 * message points at the right character of a name with accents). */
static void advance(dbs_lexer *lx, size_t n)
{
	for (size_t i = 0; i < n && lx->p < lx->end; i++, lx->p++) {
		unsigned char c = (unsigned char)*lx->p;
		if (c == '\n') {
			lx->line++;
			lx->col = 1;
		} else if ((c & 0xC0) != 0x80) {
			lx->col++;
		}
	}
}

static size_t left(const dbs_lexer *lx)
{
	return (size_t)(lx->end - lx->p);
}

static int peekc(const dbs_lexer *lx, size_t k)
{
	return k < left(lx) ? (unsigned char)lx->p[k] : -1;
}

static int fail(dbs_lexer *lx, int line, int col, const char *msg)
{
	lx->err = msg;
	lx->err_line = line;
	lx->err_col = col;
	return -1;
}

/* At the start of a block comment: an executable comment (bang, an
 * optional M before it, an optional version after it, as MySQL and MariaDB
 * write them) whose version a server may have is opened (its opening
 * consumed, its text then lexed as code). False for every other comment. */
static bool exec_comment_opens(dbs_lexer *lx)
{
	if (!lx->dl->exec_comments || lx->in_exec_comment)
		return false;
	size_t i = 2;
	if (peekc(lx, i) == 'M')
		i++;
	if (peekc(lx, i) != '!')
		return false;
	i++;
	long version = 0;
	size_t digits = 0;
	while (digits < 6 && peekc(lx, i) >= 0 && is_digit((unsigned char)peekc(lx, i))) {
		version = version * 10 + (peekc(lx, i) - '0');
		i++;
		digits++;
	}
	if (digits == 6 && version >= 900000)
		return false; /* no server runs it: an ordinary comment */
	lx->exec_line = lx->line;
	lx->exec_col = lx->col;
	lx->in_exec_comment = true;
	advance(lx, i);
	return true;
}

/* At the start of a line: one of the client commands the dialect reads as a
 * comment line (pg_dump's "\\restrict KEY" and "\\unrestrict KEY", psql
 * meta-commands guarding the dump's restore, no part of any schema). Any
 * other such command stays an unexpected character. */
static bool comment_line_command(const dbs_lexer *lx)
{
	for (const char *const *cmd = lx->dl->comment_line_commands; cmd && *cmd; cmd++) {
		size_t n = strlen(*cmd);
		if (n <= left(lx) && memcmp(lx->p, *cmd, n) == 0)
			return true;
	}
	return false;
}

/* At the start of a line between statements: the client's "DELIMITER xx"
 * (the mysql client's; any case; the delimiter runs to the next blank). Sets
 * it (";" back to the default) and consumes the line. */
static bool delimiter_command(dbs_lexer *lx)
{
	static const char kw[] = "delimiter";
	size_t n = sizeof kw - 1;
	if (!lx->dl->delimiter_command || lx->col != 1 || !lx->stmt_start || lx->in_exec_comment ||
	    left(lx) <= n + 1)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)lx->p[i]) != kw[i])
			return false;
	if (lx->p[n] != ' ' && lx->p[n] != '\t')
		return false;
	const char *d = lx->p + n;
	while (d < lx->end && (*d == ' ' || *d == '\t'))
		d++;
	size_t len = 0;
	while (d + len < lx->end && d[len] != ' ' && d[len] != '\t' && d[len] != '\n' && d[len] != '\r')
		len++;
	if (len == 0 || len >= sizeof lx->delim)
		return false;
	memcpy(lx->delim, d, len);
	lx->delim_len = len == 1 && d[0] == ';' ? 0 : len;
	while (lx->p < lx->end && *lx->p != '\n')
		advance(lx, 1);
	return true;
}

/* Whitespace and comments. Block comments nest where the dialect says so. */
static int skip_space(dbs_lexer *lx)
{
	for (;;) {
		int c = peekc(lx, 0);
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
			advance(lx, 1);
		} else if ((c == '-' && peekc(lx, 1) == '-') || (c == '#' && lx->dl->hash_comments)) {
			while (lx->p < lx->end && *lx->p != '\n')
				advance(lx, 1);
		} else if ((c == 'D' || c == 'd') && delimiter_command(lx)) {
			continue;
		} else if (c == '\\' && lx->col == 1 && comment_line_command(lx)) {
			while (lx->p < lx->end && *lx->p != '\n')
				advance(lx, 1);
		} else if (c == '*' && peekc(lx, 1) == '/' && lx->in_exec_comment) {
			lx->in_exec_comment = false;
			advance(lx, 2);
		} else if (c == '/' && peekc(lx, 1) == '*' && exec_comment_opens(lx)) {
			continue;
		} else if (c == '/' && peekc(lx, 1) == '*') {
			int line = lx->line, col = lx->col, depth = 1;
			advance(lx, 2);
			while (depth > 0) {
				if (left(lx) < 2) {
					advance(lx, left(lx));
					return fail(lx, line, col, "unterminated /* comment");
				}
				if (lx->p[0] == '*' && lx->p[1] == '/') {
					depth--;
					advance(lx, 2);
				} else if (lx->p[0] == '/' && lx->p[1] == '*' && lx->dl->nested_block_comments) {
					depth++;
					advance(lx, 2);
				} else {
					advance(lx, 1);
				}
			}
		} else {
			return 0;
		}
	}
}

/* A quoted run starting at p[skip] == q, closed by `close`; a doubled closing
 * quote is an escaped one (except for [..]); backslash escapes when `bs`. */
static int scan_quoted(dbs_lexer *lx, dbs_token *t, size_t skip, char close, bool bs, const char *what)
{
	size_t i = skip + 1;
	for (;;) {
		if (i >= left(lx)) {
			advance(lx, left(lx));
			return fail(lx, t->line, t->col, what);
		}
		char c = lx->p[i];
		if (c == '\0') {
			advance(lx, i);
			return fail(lx, lx->line, lx->col, "NUL byte inside quotes");
		}
		if (bs && c == '\\') {
			if (i + 1 < left(lx) && lx->p[i + 1] == '\0') {
				advance(lx, i);
				return fail(lx, lx->line, lx->col, "NUL byte inside quotes");
			}
			i += 2;
			continue;
		}
		if (c == close) {
			if (close != ']' && i + 1 < left(lx) && lx->p[i + 1] == close) {
				i += 2;
				continue;
			}
			i++;
			break;
		}
		i++;
	}
	t->len = i;
	advance(lx, i);
	return 0;
}

static void scan_number(dbs_lexer *lx, dbs_token *t)
{
	size_t i = 0;
	if (peekc(lx, 0) == '0' && (peekc(lx, 1) == 'x' || peekc(lx, 1) == 'X') && is_hex((unsigned char)peekc(lx, 2) & 0xff)) {
		i = 2;
		while (i < left(lx) && is_hex((unsigned char)lx->p[i]))
			i++;
	} else {
		while (i < left(lx) && is_digit((unsigned char)lx->p[i]))
			i++;
		if (i < left(lx) && lx->p[i] == '.') {
			i++;
			while (i < left(lx) && is_digit((unsigned char)lx->p[i]))
				i++;
		}
		if (i < left(lx) && (lx->p[i] == 'e' || lx->p[i] == 'E')) {
			size_t j = i + 1;
			if (j < left(lx) && (lx->p[j] == '+' || lx->p[j] == '-'))
				j++;
			if (j < left(lx) && is_digit((unsigned char)lx->p[j])) {
				while (j < left(lx) && is_digit((unsigned char)lx->p[j]))
					j++;
				i = j;
			}
		}
	}
	t->kind = DBS_TK_NUMBER;
	t->len = i;
	advance(lx, i);
}

/* $1 is a parameter; with dollar quotes (PostgreSQL), $$...$$ and
 * $tag$...$tag$ are strings. */
static int scan_dollar(dbs_lexer *lx, dbs_token *t)
{
	size_t i = 1;
	if (!lx->dl->dollar_quotes || is_digit((unsigned char)peekc(lx, 1) & 0xff)) {
		while (i < left(lx) && is_ident_char((unsigned char)lx->p[i]))
			i++;
		t->kind = DBS_TK_PARAM;
		t->len = i;
		advance(lx, i);
		return 0;
	}
	while (i < left(lx) && is_ident_char((unsigned char)lx->p[i]) && lx->p[i] != '$')
		i++;
	if (i >= left(lx) || lx->p[i] != '$') {
		t->kind = DBS_TK_PARAM;
		t->len = i;
		advance(lx, i);
		return 0;
	}
	size_t taglen = i + 1;
	for (size_t j = taglen; j + taglen <= left(lx); j++) {
		if (memcmp(lx->p + j, lx->p, taglen) == 0) {
			t->kind = DBS_TK_DOLLAR;
			t->len = j + taglen;
			advance(lx, t->len);
			return 0;
		}
	}
	advance(lx, left(lx));
	return fail(lx, t->line, t->col, "unterminated dollar-quoted string");
}

static const char *const multi_ops[] = {
	"<=>", "->>", "#>>", "!~*",
	"||", "::", "<=", ">=", "<>", "!=", "==", "<<", ">>", "->", "@>", "<@", "&&",
	"#>", "?|", "?&", "~*", "!~", "~~", ":=", "=>",
};

/* The longest-run rule (PostgreSQL's scan.l): the longest run of operator characters, cut
 * before a comment start; a run of two or more may end in + or - only when
 * it holds one of ~ ! @ # % ^ & | ?, else those are cut off ("=-1" is "="
 * then "-1", "-|-" and "!~~*" are one operator each). */
static size_t longest_op_len(const dbs_lexer *lx)
{
	static const char op_chars[] = "+-*/<>=~!@#%^&|?"; /* the server adds `, which no operator uses */
	size_t n = 0;
	while (n < left(lx) && lx->p[n] && strchr(op_chars, lx->p[n])) {
		if (n > 0 && ((lx->p[n - 1] == '-' && lx->p[n] == '-') || (lx->p[n - 1] == '/' && lx->p[n] == '*'))) {
			n--;
			break;
		}
		n++;
	}
	bool special = false;
	for (size_t i = 0; i < n && !special; i++)
		special = strchr("~!@#%^&|?", lx->p[i]) != NULL;
	if (n > 1 && !special)
		while (n > 1 && (lx->p[n - 1] == '+' || lx->p[n - 1] == '-'))
			n--;
	return n;
}

static int scan_op(dbs_lexer *lx, dbs_token *t)
{
	if (lx->dl->operators_longest_run && !(peekc(lx, 0) == ':' && peekc(lx, 1) == ':')) {
		size_t n = longest_op_len(lx);
		if (n > 0) {
			t->kind = DBS_TK_OP;
			t->len = n;
			advance(lx, n);
			return 0;
		}
	}
	for (size_t k = 0; k < sizeof multi_ops / sizeof multi_ops[0]; k++) {
		size_t n = strlen(multi_ops[k]);
		if (n <= left(lx) && memcmp(lx->p, multi_ops[k], n) == 0) {
			t->kind = DBS_TK_OP;
			t->len = n;
			advance(lx, n);
			return 0;
		}
	}
	if (strchr("=<>+-*/%&|~!^[]?:@#", *lx->p) && *lx->p) {
		t->kind = DBS_TK_OP;
		t->len = 1;
		advance(lx, 1);
		return 0;
	}
	return fail(lx, t->line, t->col, "unexpected character");
}

static int lex_one(dbs_lexer *lx, dbs_token *t)
{
	if (lx->err)
		return -1;
	if (skip_space(lx))
		return -1;
	t->start = lx->p;
	t->line = lx->line;
	t->col = lx->col;
	t->len = 0;
	t->kind = DBS_TK_EOF;
	if (lx->p >= lx->end) {
		if (lx->in_exec_comment)
			return fail(lx, lx->exec_line, lx->exec_col, "unterminated /*! comment");
		return 0;
	}
	const dbs_dialect_info *dl = lx->dl;
	unsigned char c = (unsigned char)*lx->p;
	int c1 = peekc(lx, 1);
	if (lx->delim_len && lx->delim_len <= left(lx) && memcmp(lx->p, lx->delim, lx->delim_len) == 0) {
		t->kind = DBS_TK_SEMI;
		t->len = lx->delim_len;
		advance(lx, lx->delim_len);
		return 0;
	}
	switch (c) {
	case '(': t->kind = DBS_TK_LPAREN; t->len = 1; advance(lx, 1); return 0;
	case ')': t->kind = DBS_TK_RPAREN; t->len = 1; advance(lx, 1); return 0;
	case ',': t->kind = DBS_TK_COMMA; t->len = 1; advance(lx, 1); return 0;
	case ';':
		/* plain punctuation inside a DELIMITER block (a body's statements) */
		t->kind = lx->delim_len ? DBS_TK_OP : DBS_TK_SEMI;
		t->len = 1;
		advance(lx, 1);
		return 0;
	case '\'':
		t->kind = DBS_TK_STRING;
		return scan_quoted(lx, t, 0, '\'', dl->backslash_escapes, "unterminated string literal");
	case '"':
		if (dl->double_quote_strings) {
			t->kind = DBS_TK_STRING;
			return scan_quoted(lx, t, 0, '"', dl->backslash_escapes, "unterminated string literal");
		}
		t->kind = DBS_TK_QUOTED;
		return scan_quoted(lx, t, 0, '"', false, "unterminated quoted identifier");
	case '`':
		if (dl->backtick_idents) {
			t->kind = DBS_TK_QUOTED;
			return scan_quoted(lx, t, 0, '`', false, "unterminated quoted identifier");
		}
		break;
	case '[':
		if (dl->bracket_idents) {
			t->kind = DBS_TK_QUOTED;
			return scan_quoted(lx, t, 0, ']', false, "unterminated [identifier]");
		}
		break;
	case '$':
		return scan_dollar(lx, t);
	case '.':
		if (is_digit((unsigned char)c1 & 0xff) && c1 >= 0) {
			scan_number(lx, t);
			return 0;
		}
		t->kind = DBS_TK_DOT;
		t->len = 1;
		advance(lx, 1);
		return 0;
	case '?':
		if (dl->numbered_params) {
			size_t i = 1;
			while (i < left(lx) && is_digit((unsigned char)lx->p[i]))
				i++;
			t->kind = DBS_TK_PARAM;
			t->len = i;
			advance(lx, i);
			return 0;
		}
		break;
	case ':':
	case '@':
		if (c1 >= 0 && is_ident_start((unsigned char)c1) && dl->named_param_starts &&
		    strchr(dl->named_param_starts, c)) {
			size_t i = 1;
			while (i < left(lx) && is_ident_char((unsigned char)lx->p[i]))
				i++;
			t->kind = DBS_TK_PARAM;
			t->len = i;
			advance(lx, i);
			return 0;
		}
		break;
	default:
		break;
	}
	if (is_digit(c)) {
		scan_number(lx, t);
		return 0;
	}
	if (is_ident_start(c)) {
		if (dl->unicode_strings && lower(c) == 'u' && c1 == '&' && peekc(lx, 2) == '\'') {
			/* U&'d\0061t': a string with Unicode escapes, kept as written */
			t->kind = DBS_TK_STRING;
			return scan_quoted(lx, t, 2, '\'', false, "unterminated string literal");
		}
		if (c1 == '\'') {
			int lc = lower(c);
			if (lc == 'x' || (dl->bit_strings && lc == 'b')) {
				t->kind = DBS_TK_BLOB;
				return scan_quoted(lx, t, 1, '\'', false, "unterminated blob literal");
			}
			if (lc == 'n' || (dl->escape_strings && lc == 'e')) {
				t->kind = DBS_TK_STRING;
				return scan_quoted(lx, t, 1, '\'', lc == 'e' || dl->backslash_escapes, "unterminated string literal");
			}
		}
		size_t i = 1;
		while (i < left(lx) && is_ident_char((unsigned char)lx->p[i]))
			i++;
		t->kind = DBS_TK_WORD;
		t->len = i;
		advance(lx, i);
		return 0;
	}
	return scan_op(lx, t);
}

int dbs_lex_next(dbs_lexer *lx, dbs_token *t)
{
	int rc = lex_one(lx, t);
	lx->stmt_start = !rc && (t->kind == DBS_TK_SEMI || t->kind == DBS_TK_EOF);
	return rc;
}

const char *dbs_tok_kind_name(dbs_tok_kind k)
{
	switch (k) {
	case DBS_TK_EOF: return "end of input";
	case DBS_TK_WORD: return "word";
	case DBS_TK_QUOTED: return "quoted identifier";
	case DBS_TK_STRING: return "string";
	case DBS_TK_BLOB: return "blob";
	case DBS_TK_NUMBER: return "number";
	case DBS_TK_PARAM: return "parameter";
	case DBS_TK_DOLLAR: return "dollar-quoted string";
	case DBS_TK_LPAREN: return "'('";
	case DBS_TK_RPAREN: return "')'";
	case DBS_TK_COMMA: return "','";
	case DBS_TK_SEMI: return "';'";
	case DBS_TK_DOT: return "'.'";
	case DBS_TK_OP: return "operator";
	}
	return "token";
}

bool dbs_span_eq_ci(const char *s, size_t n, const char *kw)
{
	size_t i = 0;
	for (; i < n; i++)
		if (!kw[i] || lower((unsigned char)s[i]) != lower((unsigned char)kw[i]))
			return false;
	return kw[i] == '\0';
}

bool dbs_tok_is(const dbs_token *t, const char *kw)
{
	return t->kind == DBS_TK_WORD && dbs_span_eq_ci(t->start, t->len, kw);
}

static int put_escape(dbs_buf *out, char c)
{
	switch (c) {
	case '0': /* a NUL cannot live in a C string: keep the escape visible */
		dbs_buf_putc(out, '\\');
		return dbs_buf_putc(out, '0');
	case 'n': return dbs_buf_putc(out, '\n');
	case 'r': return dbs_buf_putc(out, '\r');
	case 't': return dbs_buf_putc(out, '\t');
	case 'b': return dbs_buf_putc(out, '\b');
	case 'Z': return dbs_buf_putc(out, '\x1a');
	case '%': case '_': /* MySQL keeps these escaped: they are LIKE wildcards */
		dbs_buf_putc(out, '\\');
		return dbs_buf_putc(out, c);
	default: return dbs_buf_putc(out, c);
	}
}

/* A dialect with a length limit (PostgreSQL: NAMEDATALEN - 1 = 63 bytes)
 * cuts every identifier, quoted or not, and never inside a character
 * (truncate_identifier): Django's explicit names may be longer (taggit's
 * 64-byte unique constraint), and the server keeps them cut. Read as the
 * server stores them, the desired name is the live one and the shadow's.
 * UTF-8 is assumed, as for the whole DDL. */
static int clip_identifier(dbs_buf *out, size_t from, size_t max)
{
	if (!dbs_buf_ok(out))
		return -1;
	if (max && out->len - from > max) {
		size_t len = from + max;
		while (len > from && ((unsigned char)out->ptr[len] & 0xC0) == 0x80)
			len--; /* the byte after the cut continues a character: drop it whole */
		out->len = len;
		out->ptr[len] = '\0';
	}
	return 0;
}

int dbs_tok_value(dbs_buf *out, const dbs_token *t, dbsync_dialect d)
{
	const dbs_dialect_info *dl = dbs_lex_dialect(d);
	const char *s = t->start;
	size_t n = t->len, from = out->len;
	switch (t->kind) {
	case DBS_TK_WORD:
		if (!dl->folds_unquoted_to_lower)
			dbs_buf_put(out, s, n);
		else
			for (size_t i = 0; i < n; i++)
				dbs_buf_putc(out, (char)lower((unsigned char)s[i]));
		return clip_identifier(out, from, dl->ident_max_bytes);
	case DBS_TK_DOLLAR: {
		size_t tag = 1;
		while (tag < n && s[tag] != '$')
			tag++;
		tag++;
		return n >= 2 * tag ? dbs_buf_put(out, s + tag, n - 2 * tag) : dbs_buf_put(out, "", 0);
	}
	case DBS_TK_QUOTED:
	case DBS_TK_STRING: {
		size_t i = 0;
		while (i < n && s[i] != '\'' && s[i] != '"' && s[i] != '`' && s[i] != '[')
			i++; /* E'..' / N'..' prefix */
		if (i >= n)
			return dbs_buf_put(out, s, n);
		char open = s[i], close = open == '[' ? ']' : open;
		bool bs = t->kind == DBS_TK_STRING &&
			(dl->backslash_escapes || (i > 0 && (s[0] == 'e' || s[0] == 'E')));
		for (i++; i + 1 < n; i++) {
			if (bs && s[i] == '\\' && i + 2 < n) {
				put_escape(out, s[++i]);
				continue;
			}
			if (s[i] == close && close != ']' && i + 2 < n && s[i + 1] == close)
				i++;
			dbs_buf_putc(out, s[i]);
		}
		if (t->kind == DBS_TK_QUOTED)
			return clip_identifier(out, from, dl->ident_max_bytes);
		return dbs_buf_ok(out) ? 0 : -1;
	}
	default:
		return dbs_buf_put(out, s, n);
	}
}

/* One pass with a stack of open positions, so deep nesting stays linear. */
int dbs_strip_outer_parens(const dbs_token *v, size_t *lo, size_t *hi)
{
	size_t n = *hi - *lo;
	if (n < 2 || v[*lo].kind != DBS_TK_LPAREN)
		return 0;
	size_t *open = malloc(n * sizeof *open);
	size_t *match = malloc(n * sizeof *match);
	if (!open || !match) {
		free(open);
		free(match);
		return -1;
	}
	size_t depth = 0;
	for (size_t i = 0; i < n; i++) {
		match[i] = n;
		if (v[*lo + i].kind == DBS_TK_LPAREN)
			open[depth++] = i;
		else if (v[*lo + i].kind == DBS_TK_RPAREN && depth > 0)
			match[open[--depth]] = i;
	}
	size_t a = 0, b = n;
	while (b - a >= 2 && v[*lo + a].kind == DBS_TK_LPAREN && match[a] == b - 1) {
		a++;
		b--;
	}
	*hi = *lo + b;
	*lo += a;
	free(open);
	free(match);
	return 0;
}
