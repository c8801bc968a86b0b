/*
 * Structured column types (see type.h).
 */
#include "type.h"

#include <stdlib.h>
#include <string.h>

#include "model.h"


typedef struct type_name {
	const char *name;
	dbs_type_class cls;
	int int_bytes;       /* INTEGER */
	long bare_length;    /* STRING without "(n)": 1 for SQL's bare CHARACTER, 0 unbounded */
} type_name;

/* Every dialect's spellings as the catalogs print them. */
static const type_name names[] = {
	{ "text", DBS_TYPE_STRING, 0, 0 },
	{ "character varying", DBS_TYPE_STRING, 0, 0 },
	{ "varchar", DBS_TYPE_STRING, 0, 0 },
	{ "character", DBS_TYPE_STRING, 0, 1 },
	{ "char", DBS_TYPE_STRING, 0, 1 },
	{ "bpchar", DBS_TYPE_STRING, 0, 0 }, /* PostgreSQL's bpchar without a length is unbounded */
	{ "tinyint", DBS_TYPE_INTEGER, 1, 0 },
	{ "smallint", DBS_TYPE_INTEGER, 2, 0 },
	{ "int2", DBS_TYPE_INTEGER, 2, 0 },
	{ "mediumint", DBS_TYPE_INTEGER, 3, 0 },
	{ "integer", DBS_TYPE_INTEGER, 4, 0 },
	{ "int", DBS_TYPE_INTEGER, 4, 0 },
	{ "int4", DBS_TYPE_INTEGER, 4, 0 },
	{ "bigint", DBS_TYPE_INTEGER, 8, 0 },
	{ "int8", DBS_TYPE_INTEGER, 8, 0 },
	{ "numeric", DBS_TYPE_DECIMAL, 0, 0 },
	{ "decimal", DBS_TYPE_DECIMAL, 0, 0 },
	{ "real", DBS_TYPE_FLOAT, 0, 0 },
	{ "double precision", DBS_TYPE_FLOAT, 0, 0 },
	{ "float4", DBS_TYPE_FLOAT, 0, 0 },
	{ "float8", DBS_TYPE_FLOAT, 0, 0 },
	{ "double", DBS_TYPE_FLOAT, 0, 0 },
	{ "float", DBS_TYPE_FLOAT, 0, 0 },
};

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Take a trailing " word" off base (length *n), true when it was there. */
static bool strip_word(char *base, size_t *n, const char *word)
{
	size_t w = strlen(word);
	if (*n <= w || base[*n - w - 1] != ' ' || memcmp(base + *n - w, word, w) != 0)
		return false;
	*n -= w + 1;
	base[*n] = '\0';
	return true;
}

void dbs_type_parse(const char *text, dbs_type *out)
{
	memset(out, 0, sizeof *out);
	out->text = text;
	if (!text)
		return;
	size_t n = strcspn(text, "([");
	if (n >= sizeof out->base)
		n = sizeof out->base - 1;
	for (size_t i = 0; i < n; i++)
		out->base[i] = lower(text[i]);
	while (n && out->base[n - 1] == ' ')
		out->base[--n] = '\0';
	/* MySQL's attributes after the name: "int unsigned", "bigint(20) unsigned zerofill" */
	strip_word(out->base, &n, "zerofill");
	out->is_unsigned = strip_word(out->base, &n, "unsigned") || strstr(text, "unsigned") != NULL;
	const char *mod = text + strcspn(text, "([");
	long a = 0, b = 0;
	if (*mod == '(') {
		char *end = NULL;
		out->has_modifier = true;
		a = strtol(mod + 1, &end, 10);
		if (end && *end == ',')
			b = strtol(end + 1, NULL, 10);
	}
	for (const char *s = strchr(text, '['); s; s = strchr(s + 1, '['))
		out->array_dims++;
	if (out->array_dims)
		return; /* an array is compared as a whole: class OTHER */
	if (strcmp(out->base, "tinyint") == 0 && out->has_modifier && a == 1) {
		out->cls = DBS_TYPE_BOOLEAN_INT;
		return;
	}
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcmp(out->base, names[i].name) != 0)
			continue;
		out->cls = names[i].cls;
		out->int_bytes = names[i].int_bytes;
		if (out->cls == DBS_TYPE_STRING)
			out->length = out->has_modifier ? a : names[i].bare_length;
		else if (out->cls == DBS_TYPE_DECIMAL && out->has_modifier) {
			out->precision = a;
			out->scale = b;
		}
		return;
	}
}

void dbs_type_of_column(const dbs_column *c, dbs_type *out)
{
	dbs_type_parse(c->type, out);
	out->collation = c->collation;
}

static const char *const lo_sql[] = { "-128", "-32768", "-8388608", "-2147483648", "-9223372036854775808" };
static const char *const hi_sql[] = { "127", "32767", "8388607", "2147483647", "9223372036854775807" };
static const char *const uhi_sql[] = { "255", "65535", "16777215", "4294967295", "18446744073709551615" };
static const long digits[] = { 3, 5, 7, 10, 19 };
static const long udigits[] = { 3, 5, 8, 10, 20 };

/* 1, 2, 3, 4, 8 bytes -> 0..4 */
static int rank(const dbs_type *t)
{
	switch (t->int_bytes) {
	case 1: return 0;
	case 2: return 1;
	case 3: return 2;
	case 4: return 3;
	default: return 4;
	}
}

void dbs_type_int_range(const dbs_type *t, int64_t *lo, uint64_t *hi)
{
	int bits = t->int_bytes ? 8 * t->int_bytes : 64;
	if (t->is_unsigned) {
		*lo = 0;
		*hi = bits == 64 ? UINT64_MAX : ((uint64_t)1 << bits) - 1;
	} else {
		*lo = bits == 64 ? INT64_MIN : -((int64_t)1 << (bits - 1));
		*hi = bits == 64 ? (uint64_t)INT64_MAX : ((uint64_t)1 << (bits - 1)) - 1;
	}
}

const char *dbs_type_int_lo_sql(const dbs_type *t)
{
	return t->is_unsigned ? "0" : lo_sql[rank(t)];
}

const char *dbs_type_int_hi_sql(const dbs_type *t)
{
	return t->is_unsigned ? uhi_sql[rank(t)] : hi_sql[rank(t)];
}

long dbs_type_int_digits(const dbs_type *t)
{
	return t->is_unsigned ? udigits[rank(t)] : digits[rank(t)];
}

static bool numeric(const dbs_type *t)
{
	return t->cls == DBS_TYPE_INTEGER || t->cls == DBS_TYPE_DECIMAL || t->cls == DBS_TYPE_FLOAT;
}

dbs_narrowing dbs_type_narrowing(const dbs_type *from, const dbs_type *to)
{
	if (to->cls == DBS_TYPE_STRING) {
		if (!to->length || (from->cls == DBS_TYPE_STRING && from->length && from->length <= to->length))
			return DBS_NARROW_NONE;
		return DBS_NARROW_LENGTH;
	}
	if (to->cls == DBS_TYPE_INTEGER && numeric(from)) {
		if (from->cls == DBS_TYPE_INTEGER && from->int_bytes <= to->int_bytes &&
		    from->is_unsigned == to->is_unsigned)
			return DBS_NARROW_NONE;
		return DBS_NARROW_INT_RANGE;
	}
	if (to->cls == DBS_TYPE_DECIMAL && numeric(from)) {
		long room = to->precision - to->scale;
		if (!to->precision)
			return DBS_NARROW_NONE;
		if (from->cls == DBS_TYPE_INTEGER && dbs_type_int_digits(from) <= room)
			return DBS_NARROW_NONE;
		if (from->cls == DBS_TYPE_DECIMAL && from->precision && from->scale <= to->scale &&
		    from->precision - from->scale <= room)
			return DBS_NARROW_NONE;
		return DBS_NARROW_DIGITS;
	}
	if ((from->cls == DBS_TYPE_INTEGER || from->cls == DBS_TYPE_DECIMAL) && to->cls == DBS_TYPE_FLOAT)
		return DBS_NARROW_NONE;
	return DBS_NARROW_UNKNOWN;
}
