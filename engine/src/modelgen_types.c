/*
 * Facts about Django and Python that model generation needs: which field
 * class a column type maps to on each backend, what a valid Python name is,
 * and how a SQL default reads as a Python value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dialect.h"
#include "lexer.h"
#include "modelgen.h"

/* Base names (before '(') that need no dialect: Django's own types on every
 * backend it supports, plus their common synonyms. */
static const struct type_rule {
	const char *base;
	const char *cls;
	const char *auto_cls;   /* when the column fills itself, or NULL */
	int kind;               /* 0 plain, 1 takes max_length, 2 takes precision */
} type_rules[] = {
	{ "integer", "IntegerField", "AutoField", 0 },
	{ "int", "IntegerField", "AutoField", 0 },
	{ "int4", "IntegerField", "AutoField", 0 },
	{ "mediumint", "IntegerField", "AutoField", 0 },
	{ "serial", "IntegerField", "AutoField", 0 },
	{ "bigint", "BigIntegerField", "BigAutoField", 0 },
	{ "int8", "BigIntegerField", "BigAutoField", 0 },
	{ "bigserial", "BigIntegerField", "BigAutoField", 0 },
	{ "smallint", "SmallIntegerField", "SmallAutoField", 0 },
	{ "int2", "SmallIntegerField", "SmallAutoField", 0 },
	{ "tinyint", "SmallIntegerField", "SmallAutoField", 0 },
	{ "integer unsigned", "PositiveIntegerField", "AutoField", 0 },
	{ "int unsigned", "PositiveIntegerField", "AutoField", 0 },
	{ "bigint unsigned", "PositiveBigIntegerField", "BigAutoField", 0 },
	{ "smallint unsigned", "PositiveSmallIntegerField", "SmallAutoField", 0 },
	{ "tinyint unsigned", "PositiveSmallIntegerField", "SmallAutoField", 0 },
	{ "character varying", "CharField", NULL, 1 },
	{ "varchar", "CharField", NULL, 1 },
	{ "nvarchar", "CharField", NULL, 1 },
	{ "character", "CharField", NULL, 1 },
	{ "char", "CharField", NULL, 1 },
	{ "nchar", "CharField", NULL, 1 },
	{ "text", "TextField", NULL, 0 },
	{ "tinytext", "TextField", NULL, 0 },
	{ "mediumtext", "TextField", NULL, 0 },
	{ "longtext", "TextField", NULL, 0 },
	{ "clob", "TextField", NULL, 0 },
	{ "citext", "TextField", NULL, 0 },
	{ "boolean", "BooleanField", NULL, 0 },
	{ "bool", "BooleanField", NULL, 0 },
	{ "date", "DateField", NULL, 0 },
	{ "datetime", "DateTimeField", NULL, 0 },
	{ "timestamp", "DateTimeField", NULL, 0 },
	{ "timestamptz", "DateTimeField", NULL, 0 },
	{ "timestamp with time zone", "DateTimeField", NULL, 0 },
	{ "timestamp without time zone", "DateTimeField", NULL, 0 },
	{ "time", "TimeField", NULL, 0 },
	{ "time without time zone", "TimeField", NULL, 0 },
	{ "decimal", "DecimalField", NULL, 2 },
	{ "numeric", "DecimalField", NULL, 2 },
	{ "real", "FloatField", NULL, 0 },
	{ "float", "FloatField", NULL, 0 },
	{ "float4", "FloatField", NULL, 0 },
	{ "float8", "FloatField", NULL, 0 },
	{ "double", "FloatField", NULL, 0 },
	{ "double precision", "FloatField", NULL, 0 },
	{ "uuid", "UUIDField", NULL, 0 },
	{ "json", "JSONField", NULL, 0 },
	{ "jsonb", "JSONField", NULL, 0 },
	{ "bytea", "BinaryField", NULL, 0 },
	{ "blob", "BinaryField", NULL, 0 },
	{ "tinyblob", "BinaryField", NULL, 0 },
	{ "mediumblob", "BinaryField", NULL, 0 },
	{ "longblob", "BinaryField", NULL, 0 },
	{ "binary", "BinaryField", NULL, 0 },
	{ "varbinary", "BinaryField", NULL, 0 },
	{ "inet", "GenericIPAddressField", NULL, 0 },
	{ "interval", "DurationField", NULL, 0 },
};

/* "numeric(10,2)" -> a = 10, b = 2; returns how many numbers were read. */
static int type_args(const char *type, int *a, int *b)
{
	const char *open = strchr(type, '(');
	if (!open)
		return 0;
	return sscanf(open + 1, "%d , %d", a, b);
}

/* The type without its "(...)" part, into buf: "time(6) with time zone" keeps
 * the words after the parentheses. */
static void type_base(char *buf, size_t cap, const char *type)
{
	size_t n = 0;
	int depth = 0;
	for (const char *p = type; *p && n + 1 < cap; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		else if (!depth && !(*p == ' ' && (n == 0 || buf[n - 1] == ' ')))
			buf[n++] = *p;
	}
	while (n && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
}

void dbs_field_type_for(dbs_field_type *out, dbsync_dialect d, const char *type, bool is_auto, bool json)
{
	char base[64];
	memset(out, 0, sizeof *out);
	out->max_digits = -1;
	out->cls = "TextField";
	if (!type) {
		/* SQLite: a column without a type holds anything */
		out->guessed = true;
		return;
	}
	type_base(base, sizeof base, type);
	/* the dialect's own (MySQL's BOOLEAN is tinyint(1): the width is the only tell) */
	for (const dbs_model_type *mt = dbs_dialect_info_for(d)->model_types; mt && mt->type; mt++)
		if (strcmp(type, mt->type) == 0) {
			out->cls = mt->cls;
			return;
		}
	for (size_t i = 0; i < sizeof type_rules / sizeof type_rules[0]; i++) {
		const struct type_rule *r = &type_rules[i];
		if (strcmp(r->base, base) != 0)
			continue;
		out->cls = is_auto && r->auto_cls ? r->auto_cls : r->cls;
		int a = 0, b = 0, n = type_args(type, &a, &b);
		if (r->kind == 1) {
			if (n >= 1 && a > 0)
				out->max_length = a;
			else
				out->cls = "TextField"; /* varchar without a length has no limit */
		} else if (r->kind == 2) {
			if (n >= 1) {
				out->max_digits = a;
				out->decimal_places = n == 2 ? b : 0;
			} else {
				out->max_digits = 10;
				out->decimal_places = 5;
				out->guessed_precision = true;
			}
		}
		if (json && (strcmp(out->cls, "TextField") == 0 || strcmp(out->cls, "CharField") == 0)) {
			out->cls = "JSONField";
			out->max_length = 0;
		}
		return;
	}
	/* enum('a','b') and the like: text Django can read, flagged */
	out->guessed = true;
}

void dbs_py_str(dbs_buf *out, const char *s)
{
	dbs_buf_putc(out, '\'');
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		if (*p == '\\' || *p == '\'')
			dbs_buf_printf(out, "\\%c", *p);
		else if (*p == '\n')
			dbs_buf_puts(out, "\\n");
		else if (*p == '\t')
			dbs_buf_puts(out, "\\t");
		else if (*p < 0x20 || *p == 0x7f)
			dbs_buf_printf(out, "\\x%02x", *p);
		else
			dbs_buf_putc(out, (char)*p);
	}
	dbs_buf_putc(out, '\'');
}

static const char *const py_keywords[] = {
	"False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
	"continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
	"if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return",
	"try", "while", "with", "yield",
};
/* Names a field cannot take in a generated class body: Django reserves pk;
 * the others would shadow what the class body or a view model uses. */
static const char *const reserved_fields[] = {
	"pk", "objects", "models", "save", "delete", "meta", "decimal", "check", "clean",
};

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

#define N_OF(a) (sizeof (a) / sizeof (a)[0])

void dbs_py_field_name(dbs_buf *out, const char *column)
{
	dbs_buf_clear(out);
	for (const unsigned char *p = (const unsigned char *)column; *p; p++) {
		char c = (char)*p;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			c = '_';
		/* Django reads "__" as a lookup separator */
		if (c == '_' && out->len && out->ptr[out->len - 1] == '_')
			continue;
		dbs_buf_putc(out, c);
	}
	while (out->len && out->ptr[out->len - 1] == '_')
		out->len--;
	if (out->ptr)
		out->ptr[out->len] = '\0';
	if (out->len == 0) {
		dbs_buf_puts(out, "field");
		return;
	}
	if (out->ptr[0] >= '0' && out->ptr[0] <= '9') {
		char *copy = strdup(dbs_buf_cstr(out));
		dbs_buf_clear(out);
		dbs_buf_puts(out, "number_");
		if (copy)
			dbs_buf_puts(out, copy);
		else
			out->oom = true;
		free(copy);
	}
	if (in_list(dbs_buf_cstr(out), py_keywords, N_OF(py_keywords)) ||
	    in_list(dbs_buf_cstr(out), reserved_fields, N_OF(reserved_fields)))
		dbs_buf_puts(out, "_field");
}

void dbs_py_class_name(dbs_buf *out, const char *table)
{
	bool start = true;
	dbs_buf_clear(out);
	for (const unsigned char *p = (const unsigned char *)table; *p; p++) {
		char c = (char)*p;
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum) {
			start = true;
			continue;
		}
		if (out->len == 0 && c >= '0' && c <= '9')
			dbs_buf_putc(out, 'T');
		if (start && c >= 'a' && c <= 'z')
			c = (char)(c - 32);
		start = false;
		dbs_buf_putc(out, c);
	}
	if (out->len == 0)
		dbs_buf_puts(out, "Table");
	if (in_list(dbs_buf_cstr(out), py_keywords, N_OF(py_keywords)) ||
	    strcmp(dbs_buf_cstr(out), "Decimal") == 0)
		dbs_buf_puts(out, "Model");
}

/* ---- defaults ---- */

enum { MAX_TOKENS = 32 };

static bool is_now(const dbs_token *t, size_t n)
{
	if (n == 0 || t[0].kind != DBS_TK_WORD)
		return false;
	bool word = dbs_tok_is(&t[0], "CURRENT_TIMESTAMP") || dbs_tok_is(&t[0], "LOCALTIMESTAMP") ||
		dbs_tok_is(&t[0], "CURRENT_DATE") || dbs_tok_is(&t[0], "LOCALTIME") ||
		dbs_tok_is(&t[0], "CURRENT_TIME");
	bool call = dbs_tok_is(&t[0], "now") || dbs_tok_is(&t[0], "statement_timestamp") ||
		dbs_tok_is(&t[0], "transaction_timestamp") || dbs_tok_is(&t[0], "clock_timestamp");
	if (n == 1)
		return word;
	/* CURRENT_TIMESTAMP(6), now(), and a PostgreSQL cast after either */
	if ((word || call) && t[1].kind == DBS_TK_LPAREN)
		return true;
	return word && t[1].kind == DBS_TK_OP && t[1].len == 2 && memcmp(t[1].start, "::", 2) == 0;
}

/* A PostgreSQL cast ("'x'::character varying") after the first `used` tokens. */
static bool only_cast_after(const dbs_token *t, size_t n, size_t used)
{
	return n == used || (t[used].kind == DBS_TK_OP && t[used].len == 2 && memcmp(t[used].start, "::", 2) == 0);
}

dbs_default_kind dbs_default_read(dbs_buf *text, dbsync_dialect d, const char *expr)
{
	dbs_token tok[MAX_TOKENS];
	size_t n = 0, lo = 0, hi;
	dbs_lexer lx;
	dbs_buf_clear(text);
	if (!expr)
		return DBS_DEFAULT_NONE;
	dbs_lex_init(&lx, d, expr, strlen(expr));
	for (;;) {
		dbs_token t;
		if (dbs_lex_next(&lx, &t) || n == MAX_TOKENS)
			goto raw;
		if (t.kind == DBS_TK_EOF)
			break;
		tok[n++] = t;
	}
	hi = n;
	if (dbs_strip_outer_parens(tok, &lo, &hi))
		goto raw;
	const dbs_token *t = tok + lo;
	n = hi - lo;
	if (n == 0)
		return DBS_DEFAULT_NONE;
	if (n == 1 && dbs_tok_is(&t[0], "NULL"))
		return DBS_DEFAULT_NONE;
	if (t[0].kind == DBS_TK_WORD && (dbs_tok_is(&t[0], "TRUE") || dbs_tok_is(&t[0], "FALSE")) &&
	    only_cast_after(t, n, 1)) {
		dbs_buf_puts(text, dbs_tok_is(&t[0], "TRUE") ? "True" : "False");
		return DBS_DEFAULT_BOOL;
	}
	if (t[0].kind == DBS_TK_STRING && only_cast_after(t, n, 1)) {
		dbs_tok_value(text, &t[0], d);
		return DBS_DEFAULT_STRING;
	}
	size_t sign = t[0].kind == DBS_TK_OP && t[0].len == 1 && t[0].start[0] == '-';
	if (n > sign && t[sign].kind == DBS_TK_NUMBER && only_cast_after(t, n, sign + 1)) {
		dbs_buf_put(text, t[0].start, (size_t)(t[sign].start + t[sign].len - t[0].start));
		return DBS_DEFAULT_NUMBER;
	}
	if (is_now(t, n))
		return DBS_DEFAULT_NOW;
	if (t[0].kind == DBS_TK_WORD && dbs_tok_is(&t[0], "nextval"))
		return DBS_DEFAULT_SEQUENCE;
raw:
	dbs_buf_clear(text);
	dbs_buf_puts(text, expr);
	return DBS_DEFAULT_EXPR;
}
