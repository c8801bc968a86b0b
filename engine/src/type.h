/*
 * A column type as a structured value, parsed once from the type text the
 * catalog (or the shadow schema) spells: base name, length, precision and
 * scale, unsigned, array dimensions. The planners ask it what they need
 * (is it a string of at most n characters? an integer of how many bytes?)
 * instead of re-parsing type strings with strncmp. One parser knows every
 * dialect's spellings: the names do not clash between them (PostgreSQL's
 * "int4" and MySQL's "mediumint" mean one thing wherever they appear).
 */
#ifndef DBS_TYPE_H
#define DBS_TYPE_H

#include <stdbool.h>
#include <stdint.h>

typedef enum dbs_type_class {
	DBS_TYPE_OTHER = 0,
	DBS_TYPE_STRING,     /* character types: char, varchar, text, ... */
	DBS_TYPE_INTEGER,    /* integer types of int_bytes bytes */
	DBS_TYPE_DECIMAL,    /* exact numeric: numeric, decimal */
	DBS_TYPE_FLOAT,      /* approximate numeric: real, double, float */
	DBS_TYPE_BOOLEAN_INT /* MySQL's tinyint(1): an integer that Django reads as a boolean */
} dbs_type_class;

typedef struct dbs_type {
	const char *text;    /* the type as spelled (borrowed), for messages and casts */
	dbs_type_class cls;
	char base[40];       /* lower-case base name without modifiers: "character varying", "int" */
	long length;         /* STRING: at most this many characters; 0 unbounded */
	int int_bytes;       /* INTEGER: 1, 2, 3, 4 or 8 */
	long precision;      /* DECIMAL: total digits, 0 unbounded */
	long scale;          /* DECIMAL: digits after the point */
	bool is_unsigned;
	int array_dims;      /* "integer[]": 1 */
	bool has_modifier;   /* "(...)" was given */
	const char *collation; /* dbs_type_of_column: the column's own, NULL for its table's default */
} dbs_type;

struct dbs_column;

/* Parse `text` (NULL gives DBS_TYPE_OTHER with an empty base). */
void dbs_type_parse(const char *text, dbs_type *out);
/* The type of column `c`, with its collation. */
void dbs_type_of_column(const struct dbs_column *c, dbs_type *out);

/* The range of an integer type (signed or not). */
void dbs_type_int_range(const dbs_type *t, int64_t *lo, uint64_t *hi);
/* The range as SQL literals ("-128", "18446744073709551615"). */
const char *dbs_type_int_lo_sql(const dbs_type *t);
const char *dbs_type_int_hi_sql(const dbs_type *t);
/* Decimal digits the integer type's values can have. */
long dbs_type_int_digits(const dbs_type *t);

/* How a change of type can lose values that the old type held. */
typedef enum dbs_narrowing {
	DBS_NARROW_NONE = 0,   /* every value fits: nothing to count */
	DBS_NARROW_LENGTH,     /* to a string of at most `to.length` characters */
	DBS_NARROW_INT_RANGE,  /* to an integer type whose range is smaller (or of another sign) */
	DBS_NARROW_DIGITS,     /* to a decimal with fewer integer digits or a smaller scale */
	DBS_NARROW_UNKNOWN     /* another change: only converting each value tells */
} dbs_narrowing;

/* What a change from `from` to `to` can lose. */
dbs_narrowing dbs_type_narrowing(const dbs_type *from, const dbs_type *to);

#endif
