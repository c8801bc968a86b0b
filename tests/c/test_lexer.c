/* The SQL lexer: every token kind, positions, dialect quoting, and errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lexer.h"

typedef struct expect_tok {
	dbs_tok_kind kind;
	const char *text;
	int line, col;
} expect_tok;

static void check_tokens(dbsync_dialect d, const char *src, const expect_tok *want, size_t n)
{
	dbs_lexer lx;
	dbs_lex_init(&lx, d, src, strlen(src));
	for (size_t i = 0; i < n; i++) {
		dbs_token t;
		assert_int_equal(dbs_lex_next(&lx, &t), 0);
		if (t.kind != want[i].kind || t.len != strlen(want[i].text) || memcmp(t.start, want[i].text, t.len) != 0)
			fail_msg("token %zu: got %s \"%.*s\", want %s \"%s\"", i, dbs_tok_kind_name(t.kind), (int)t.len,
				t.start, dbs_tok_kind_name(want[i].kind), want[i].text);
		if (want[i].line && (t.line != want[i].line || t.col != want[i].col))
			fail_msg("token %zu \"%s\": at %d:%d, want %d:%d", i, want[i].text, t.line, t.col, want[i].line,
				want[i].col);
	}
	dbs_token t;
	assert_int_equal(dbs_lex_next(&lx, &t), 0);
	assert_int_equal(t.kind, DBS_TK_EOF);
	/* EOF repeats */
	assert_int_equal(dbs_lex_next(&lx, &t), 0);
	assert_int_equal(t.kind, DBS_TK_EOF);
}

static void test_every_kind_sqlite(void **state)
{
	(void)state;
	const char *src =
		"CREATE \"a\"\"b\" `c` [d e] 'it''s' X'0aFF' 12 3.5 .5 1e10 2E-3 0x1F ? ?3 :name @v $x\n"
		"( ) , ; . || :: <= >= <> != == << >> -> ->> = < > + - * / % & | ~";
	const expect_tok want[] = {
		{ DBS_TK_WORD, "CREATE", 1, 1 }, { DBS_TK_QUOTED, "\"a\"\"b\"", 1, 8 }, { DBS_TK_QUOTED, "`c`", 1, 15 },
		{ DBS_TK_QUOTED, "[d e]", 1, 19 }, { DBS_TK_STRING, "'it''s'", 1, 25 }, { DBS_TK_BLOB, "X'0aFF'", 1, 33 },
		{ DBS_TK_NUMBER, "12", 1, 41 }, { DBS_TK_NUMBER, "3.5", 1, 44 }, { DBS_TK_NUMBER, ".5", 1, 48 },
		{ DBS_TK_NUMBER, "1e10", 1, 51 }, { DBS_TK_NUMBER, "2E-3", 1, 56 }, { DBS_TK_NUMBER, "0x1F", 1, 61 },
		{ DBS_TK_PARAM, "?", 1, 66 }, { DBS_TK_PARAM, "?3", 1, 68 }, { DBS_TK_PARAM, ":name", 1, 71 },
		{ DBS_TK_PARAM, "@v", 1, 77 }, { DBS_TK_PARAM, "$x", 1, 80 },
		{ DBS_TK_LPAREN, "(", 2, 1 }, { DBS_TK_RPAREN, ")", 2, 3 }, { DBS_TK_COMMA, ",", 2, 5 },
		{ DBS_TK_SEMI, ";", 2, 7 }, { DBS_TK_DOT, ".", 2, 9 }, { DBS_TK_OP, "||", 2, 11 },
		{ DBS_TK_OP, "::", 0, 0 }, { DBS_TK_OP, "<=", 0, 0 }, { DBS_TK_OP, ">=", 0, 0 }, { DBS_TK_OP, "<>", 0, 0 },
		{ DBS_TK_OP, "!=", 0, 0 }, { DBS_TK_OP, "==", 0, 0 }, { DBS_TK_OP, "<<", 0, 0 }, { DBS_TK_OP, ">>", 0, 0 },
		{ DBS_TK_OP, "->", 0, 0 }, { DBS_TK_OP, "->>", 0, 0 }, { DBS_TK_OP, "=", 0, 0 }, { DBS_TK_OP, "<", 0, 0 },
		{ DBS_TK_OP, ">", 0, 0 }, { DBS_TK_OP, "+", 0, 0 }, { DBS_TK_OP, "-", 0, 0 }, { DBS_TK_OP, "*", 0, 0 },
		{ DBS_TK_OP, "/", 0, 0 }, { DBS_TK_OP, "%", 0, 0 }, { DBS_TK_OP, "&", 0, 0 }, { DBS_TK_OP, "|", 0, 0 },
		{ DBS_TK_OP, "~", 2, 65 },
	};
	check_tokens(DBSYNC_DIALECT_SQLITE, src, want, sizeof want / sizeof want[0]);
}

static void test_comments_and_positions(void **state)
{
	(void)state;
	const char *src = "-- line comment ; 'x\n  /* block\n comment */ a/**/b -- tail";
	const expect_tok want[] = { { DBS_TK_WORD, "a", 3, 13 }, { DBS_TK_WORD, "b", 3, 18 } };
	check_tokens(DBSYNC_DIALECT_SQLITE, src, want, 2);
	/* columns count characters, not bytes */
	const expect_tok want2[] = { { DBS_TK_QUOTED, "\"été\"", 1, 1 }, { DBS_TK_WORD, "x", 1, 7 } };
	check_tokens(DBSYNC_DIALECT_SQLITE, "\"été\" x", want2, 2);
	/* a unicode bare identifier is one word */
	const expect_tok want3[] = { { DBS_TK_WORD, "naïve_col", 1, 1 } };
	check_tokens(DBSYNC_DIALECT_SQLITE, "naïve_col", want3, 1);
}

static void test_dialect_quoting(void **state)
{
	(void)state;
	/* MySQL: "..." is a string, # starts a comment, backslash escapes in strings */
	const expect_tok my[] = { { DBS_TK_QUOTED, "`a``b`", 1, 1 }, { DBS_TK_STRING, "\"s\"", 1, 8 },
		{ DBS_TK_STRING, "'x\\'y'", 1, 12 }, { DBS_TK_WORD, "z", 2, 1 } };
	check_tokens(DBSYNC_DIALECT_MYSQL, "`a``b` \"s\" 'x\\'y' # comment\nz", my, 4);
	/* PostgreSQL: dollar quotes, $1 params, E'' strings, nested comments, [ ] are operators */
	const expect_tok pg[] = { { DBS_TK_DOLLAR, "$$a;b$$", 1, 1 }, { DBS_TK_DOLLAR, "$fn$ $$ $fn$", 1, 9 },
		{ DBS_TK_PARAM, "$1", 1, 22 }, { DBS_TK_STRING, "E'\\''", 1, 25 }, { DBS_TK_WORD, "x", 1, 48 },
		{ DBS_TK_OP, "[", 1, 49 }, { DBS_TK_NUMBER, "1", 1, 50 }, { DBS_TK_OP, "]", 1, 51 },
		{ DBS_TK_OP, "::", 1, 52 }, { DBS_TK_WORD, "int", 1, 54 } };
	check_tokens(DBSYNC_DIALECT_POSTGRES, "$$a;b$$ $fn$ $$ $fn$ $1 E'\\'' /* a /* b */ c */x[1]::int", pg, 10);
	/* in SQLite block comments do not nest */
	const expect_tok sq[] = { { DBS_TK_WORD, "c", 1, 14 }, { DBS_TK_OP, "*", 1, 16 }, { DBS_TK_OP, "/", 1, 17 } };
	check_tokens(DBSYNC_DIALECT_SQLITE, "/* a /* b */ c */", sq, 3);
}

/* MySQL executable comments are code (the server runs them): a statement
 * hidden in one is a statement; only a version no server reaches stays a
 * comment, and in the other dialects they are plain comments. */
static void test_mysql_executable_comments(void **state)
{
	(void)state;
	const expect_tok my[] = { { DBS_TK_WORD, "SET", 1, 10 }, { DBS_TK_WORD, "NAMES", 1, 14 },
		{ DBS_TK_WORD, "utf8mb4", 1, 20 }, { DBS_TK_SEMI, ";", 1, 30 }, { DBS_TK_WORD, "DROP", 2, 4 },
		{ DBS_TK_WORD, "TABLE", 2, 9 }, { DBS_TK_WORD, "keep", 2, 15 }, { DBS_TK_SEMI, ";", 2, 22 },
		{ DBS_TK_WORD, "x", 3, 11 }, { DBS_TK_WORD, "y", 4, 1 } };
	check_tokens(DBSYNC_DIALECT_MYSQL, "/*!40101 SET NAMES utf8mb4 */;\n/*!DROP TABLE keep */;\n"
		"/*M!100100x*/ /*M!999999\\- enable the sandbox mode */\ny", my, 10);
	const expect_tok pg[] = { { DBS_TK_WORD, "a", 1, 25 } };
	check_tokens(DBSYNC_DIALECT_POSTGRES, "/*!40101 DROP TABLE x */a", pg, 1);
	check_tokens(DBSYNC_DIALECT_SQLITE, "/*!40101 DROP TABLE x */a", pg, 1);
}

static void expect_error(dbsync_dialect d, const char *src, size_t len, const char *msg, int line, int col)
{
	dbs_lexer lx;
	dbs_token t;
	dbs_lex_init(&lx, d, src, len);
	int rc;
	int guard = 0;
	while ((rc = dbs_lex_next(&lx, &t)) == 0 && t.kind != DBS_TK_EOF && guard++ < 100) {
	}
	assert_int_equal(rc, -1);
	assert_non_null(lx.err);
	if (!strstr(lx.err, msg))
		fail_msg("error \"%s\" lacks \"%s\"", lx.err, msg);
	assert_int_equal(lx.err_line, line);
	assert_int_equal(lx.err_col, col);
	/* errors are sticky */
	assert_int_equal(dbs_lex_next(&lx, &t), -1);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error(DBSYNC_DIALECT_SQLITE, "a 'open", 7, "unterminated string", 1, 3);
	expect_error(DBSYNC_DIALECT_SQLITE, "a\n  \"x", 6, "unterminated quoted identifier", 2, 3);
	expect_error(DBSYNC_DIALECT_SQLITE, "x /* never closed", 17, "unterminated /* comment", 1, 3);
	expect_error(DBSYNC_DIALECT_SQLITE, "[abc", 4, "unterminated [identifier]", 1, 1);
	expect_error(DBSYNC_DIALECT_SQLITE, "X'ab", 4, "unterminated blob", 1, 1);
	expect_error(DBSYNC_DIALECT_POSTGRES, "$q$ body", 8, "unterminated dollar-quoted", 1, 1);
	expect_error(DBSYNC_DIALECT_POSTGRES, "/* a /* b */", 12, "unterminated /* comment", 1, 1);
	expect_error(DBSYNC_DIALECT_MYSQL, "a /*!50001 DROP TABLE x", 23, "unterminated /*! comment", 1, 3);
	expect_error(DBSYNC_DIALECT_POSTGRES, "`x`", 3, "unexpected character", 1, 1);
	expect_error(DBSYNC_DIALECT_SQLITE, "a \\ b", 5, "unexpected character", 1, 3);
	expect_error(DBSYNC_DIALECT_SQLITE, "a {", 3, "unexpected character", 1, 3);
	expect_error(DBSYNC_DIALECT_SQLITE, "a\0b", 3, "unexpected character", 1, 2);
	expect_error(DBSYNC_DIALECT_SQLITE, "'a\0b'", 5, "NUL byte", 1, 3);
	/* a doubled quote at the very end does not close the string */
	expect_error(DBSYNC_DIALECT_SQLITE, "'ab''", 5, "unterminated string", 1, 1);
	/* the lexer never reads past len: the quote is outside the span */
	expect_error(DBSYNC_DIALECT_SQLITE, "'abc'", 4, "unterminated string", 1, 1);
}

static void check_value(dbsync_dialect d, const char *src, const char *want)
{
	dbs_lexer lx;
	dbs_token t;
	dbs_lex_init(&lx, d, src, strlen(src));
	assert_int_equal(dbs_lex_next(&lx, &t), 0);
	dbs_buf b = DBS_BUF_INIT;
	assert_int_equal(dbs_tok_value(&b, &t, d), 0);
	assert_string_equal(dbs_buf_cstr(&b), want);
	dbs_buf_free(&b);
}

static void test_token_values(void **state)
{
	(void)state;
	check_value(DBSYNC_DIALECT_SQLITE, "\"a\"\"b\"", "a\"b");
	check_value(DBSYNC_DIALECT_SQLITE, "[a\"b]", "a\"b");
	check_value(DBSYNC_DIALECT_SQLITE, "`x``y`", "x`y");
	check_value(DBSYNC_DIALECT_SQLITE, "'it''s'", "it's");
	check_value(DBSYNC_DIALECT_SQLITE, "MixedCase", "MixedCase");
	check_value(DBSYNC_DIALECT_POSTGRES, "MixedCase", "mixedcase");
	check_value(DBSYNC_DIALECT_POSTGRES, "\"MixedCase\"", "MixedCase");
	check_value(DBSYNC_DIALECT_POSTGRES, "$t$a'b$t$", "a'b");
	check_value(DBSYNC_DIALECT_POSTGRES, "E'a\\nb'", "a\nb");
	check_value(DBSYNC_DIALECT_MYSQL, "'a\\'b\\\\c'", "a'b\\c");
	check_value(DBSYNC_DIALECT_MYSQL, "\"dq\"\"x\"", "dq\"x");
	check_value(DBSYNC_DIALECT_SQLITE, "N'nat'", "nat");
}

/* PostgreSQL keeps 63 bytes of an identifier, never cutting a character;
 * strings and the other dialects keep every byte. */
static void test_postgres_identifiers_cut_at_63_bytes(void **state)
{
	(void)state;
	const char *n63 = "n12345678901234567890123456789012345678901234567890123456789xyz";
	char src[128];
	snprintf(src, sizeof src, "\"%sZZ\"", n63); /* 65 bytes: the last two go */
	check_value(DBSYNC_DIALECT_POSTGRES, src, n63);
	snprintf(src, sizeof src, "%sZZ", n63); /* a bare word: folded, then cut */
	check_value(DBSYNC_DIALECT_POSTGRES, src, n63);
	/* 62 bytes, then a 2-byte character over the limit: it goes whole */
	snprintf(src, sizeof src, "\"%.62s\xc3\xa9\"", n63);
	char want[64];
	snprintf(want, sizeof want, "%.62s", n63);
	check_value(DBSYNC_DIALECT_POSTGRES, src, want);
	snprintf(src, sizeof src, "'%sZZ'", n63);
	char whole[80];
	snprintf(whole, sizeof whole, "%sZZ", n63);
	check_value(DBSYNC_DIALECT_POSTGRES, src, whole);
	snprintf(src, sizeof src, "`%sZZ`", n63);
	check_value(DBSYNC_DIALECT_MYSQL, src, whole);
	snprintf(src, sizeof src, "\"%sZZ\"", n63);
	check_value(DBSYNC_DIALECT_SQLITE, src, whole);
}

static void test_keyword_match(void **state)
{
	(void)state;
	dbs_lexer lx;
	dbs_token t;
	dbs_lex_init(&lx, DBSYNC_DIALECT_SQLITE, "cReAtE \"create\"", 16);
	assert_int_equal(dbs_lex_next(&lx, &t), 0);
	assert_true(dbs_tok_is(&t, "CREATE"));
	assert_false(dbs_tok_is(&t, "CREAT"));
	assert_false(dbs_tok_is(&t, "CREATED"));
	assert_int_equal(dbs_lex_next(&lx, &t), 0);
	assert_false(dbs_tok_is(&t, "CREATE")); /* a quoted word is never a keyword */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_kind_sqlite),
		cmocka_unit_test(test_comments_and_positions),
		cmocka_unit_test(test_dialect_quoting),
		cmocka_unit_test(test_mysql_executable_comments),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_token_values),
		cmocka_unit_test(test_postgres_identifiers_cut_at_63_bytes),
		cmocka_unit_test(test_keyword_match),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
