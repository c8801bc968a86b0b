/*
 * SQL tokens for the DDL parser and the expression canonicalizer. The lexer
 * reads a byte span (not NUL-terminated), skips whitespace and comments, and
 * reads each dialect's quoting as its data table (dialect.h) describes it:
 * "ident", `ident`, [ident], 'string' with '' escapes (and \-escapes), X'blob',
 * $tag$dollar$tag$ and U&'string'. Where the dialect says so, operators are
 * read as PostgreSQL reads them (the longest run of operator characters:
 * "!~~", "-|-"); otherwise from a fixed list. Tokens point into the source.
 *
 * Executable comments ("/" "*!" ... "*" "/", with or without a version
 * as in "/" "*!50001", and MariaDB's "/" "*M!") are read as code, as the server
 * reads them, whatever the version they name: what a dump hides in them is
 * parsed like the rest, so nothing in them can slip past the parser. Only a
 * version no server has reached (900000 and above, as in MariaDB's sandbox
 * line "/" "*M!999999\\- enable the sandbox mode" for its own client) stays a
 * comment. A "DELIMITER xx" line (the mysql client's command, as dumps of
 * triggers and routines carry it) changes what ends a statement.
 */
#ifndef DBS_LEXER_H
#define DBS_LEXER_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "dbsync/common.h"

typedef enum dbs_tok_kind {
	DBS_TK_EOF = 0,
	DBS_TK_WORD,     /* bare identifier or keyword */
	DBS_TK_QUOTED,   /* quoted identifier */
	DBS_TK_STRING,   /* string literal, quotes included (also E'..', N'..', MySQL "..") */
	DBS_TK_BLOB,     /* X'..' */
	DBS_TK_NUMBER,
	DBS_TK_PARAM,    /* ?, ?1, :name, @name, $1, $name */
	DBS_TK_DOLLAR,   /* PostgreSQL $tag$...$tag$ */
	DBS_TK_LPAREN,
	DBS_TK_RPAREN,
	DBS_TK_COMMA,
	DBS_TK_SEMI,
	DBS_TK_DOT,
	DBS_TK_OP        /* any other operator or punctuation: || :: <= <> != [ ] ... */
} dbs_tok_kind;

typedef struct dbs_token {
	dbs_tok_kind kind;
	const char *start;
	size_t len;
	int line;        /* 1-based */
	int col;         /* 1-based, in characters (UTF-8 code points) */
} dbs_token;

struct dbs_dialect_info;

typedef struct dbs_lexer {
	const struct dbs_dialect_info *dl; /* what the dialect's tokens look like */
	const char *p;
	const char *end;
	int line;
	int col;
	bool in_exec_comment;        /* inside a MySQL executable comment: its closing ends it */
	int exec_line, exec_col;     /* where it opened */
	/* the statement delimiter a dump's "DELIMITER ;;" line set (a mysql
	 * client command, read as a comment line): while set, it ends a
	 * statement (DBS_TK_SEMI) and ';' is plain punctuation (DBS_TK_OP) */
	char delim[16];
	size_t delim_len;            /* 0: ';' as usual */
	bool stmt_start;             /* no token since the last statement's end */
	/* set when dbs_lex_next fails */
	const char *err;
	int err_line;
	int err_col;
} dbs_lexer;

void dbs_lex_init(dbs_lexer *lx, dbsync_dialect d, const char *src, size_t len);

/* The data table the lexer reads `d` with (dialect.h); a value that is no
 * dialect gets a table of the syntax every dialect shares. Never NULL. */
const struct dbs_dialect_info *dbs_lex_dialect(dbsync_dialect d);

/* The next token (DBS_TK_EOF at the end, again and again). Returns 0, or -1 on
 * malformed input (unterminated quote or comment, stray byte) with lx->err and
 * its position set. */
int dbs_lex_next(dbs_lexer *lx, dbs_token *out);

/* Name of a token kind, for messages and tests. */
const char *dbs_tok_kind_name(dbs_tok_kind k);

/* True when `t` is a bare word equal to `kw` (ASCII case-insensitive). */
bool dbs_tok_is(const dbs_token *t, const char *kw);

/* Append the value of a word, quoted identifier or string token with its quotes
 * removed and escapes undone ("a""b" -> a"b). Bare words are appended as written,
 * or in lower case where the dialect folds them (PostgreSQL); identifiers are cut
 * to the dialect's length limit as the server cuts them. Returns 0 or -1 (OOM). */
int dbs_tok_value(dbs_buf *out, const dbs_token *t, dbsync_dialect d);

/* Narrow v[*lo, *hi) to drop parentheses that enclose all of it, repeatedly:
 * "((a + b))" -> "a + b", while "(a) + (b)" stays. Returns 0, or -1 when out of
 * memory. */
int dbs_strip_outer_parens(const dbs_token *v, size_t *lo, size_t *hi);

/* ASCII case-insensitive comparison of a span with a NUL-terminated keyword. */
bool dbs_span_eq_ci(const char *s, size_t n, const char *kw);

#endif
