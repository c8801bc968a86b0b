/* The structured type value (type.c): the catalogs' spellings parsed once,
 * and which type changes can lose values (what the planners count first). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "type.h"

#define N(a) (sizeof a / sizeof a[0])

static void test_parse(void **state)
{
	(void)state;
	static const struct {
		const char *text, *base;
		dbs_type_class cls;
		long length, precision, scale;
		int int_bytes, array_dims;
		bool is_unsigned;
	} cases[] = {
		{ "character varying(50)", "character varying", DBS_TYPE_STRING, 50, 0, 0, 0, 0, false },
		{ "varchar(8)", "varchar", DBS_TYPE_STRING, 8, 0, 0, 0, 0, false },
		{ "CHAR(3)", "char", DBS_TYPE_STRING, 3, 0, 0, 0, 0, false },
		{ "text", "text", DBS_TYPE_STRING, 0, 0, 0, 0, 0, false },               /* unbounded */
		{ "character", "character", DBS_TYPE_STRING, 1, 0, 0, 0, 0, false },     /* SQL's bare CHARACTER(1) */
		{ "bpchar", "bpchar", DBS_TYPE_STRING, 0, 0, 0, 0, 0, false },           /* PostgreSQL: unbounded */
		{ "bigint unsigned", "bigint", DBS_TYPE_INTEGER, 0, 0, 0, 8, 0, true },
		{ "int(10) unsigned zerofill", "int", DBS_TYPE_INTEGER, 0, 0, 0, 4, 0, true },
		{ "mediumint", "mediumint", DBS_TYPE_INTEGER, 0, 0, 0, 3, 0, false },
		{ "int4", "int4", DBS_TYPE_INTEGER, 0, 0, 0, 4, 0, false },
		{ "tinyint(1)", "tinyint", DBS_TYPE_BOOLEAN_INT, 0, 0, 0, 0, 0, false }, /* MySQL's boolean */
		{ "numeric(10,2)", "numeric", DBS_TYPE_DECIMAL, 0, 10, 2, 0, 0, false },
		{ "numeric", "numeric", DBS_TYPE_DECIMAL, 0, 0, 0, 0, 0, false },         /* unbounded */
		{ "double precision", "double precision", DBS_TYPE_FLOAT, 0, 0, 0, 0, 0, false },
		{ "integer[][]", "integer", DBS_TYPE_OTHER, 0, 0, 0, 0, 2, false },       /* an array is compared whole */
		{ "timestamp(3) with time zone", "timestamp", DBS_TYPE_OTHER, 0, 0, 0, 0, 0, false },
	};
	for (size_t i = 0; i < N(cases); i++) {
		dbs_type t;
		dbs_type_parse(cases[i].text, &t);
		assert_string_equal(t.base, cases[i].base);
		assert_int_equal(t.cls, cases[i].cls);
		assert_int_equal(t.length, cases[i].length);
		assert_int_equal(t.precision, cases[i].precision);
		assert_int_equal(t.scale, cases[i].scale);
		assert_int_equal(t.int_bytes, cases[i].int_bytes);
		assert_int_equal(t.array_dims, cases[i].array_dims);
		assert_int_equal(t.is_unsigned, cases[i].is_unsigned);
		assert_ptr_equal(t.text, cases[i].text);
	}
	dbs_type none;
	dbs_type_parse(NULL, &none);
	assert_int_equal(none.cls, DBS_TYPE_OTHER);
}

static void test_int_ranges(void **state)
{
	(void)state;
	static const struct {
		const char *text, *lo_sql, *hi_sql;
		int64_t lo;
		uint64_t hi;
	} cases[] = {
		{ "smallint", "-32768", "32767", -32768, 32767 },
		{ "int unsigned", "0", "4294967295", 0, 4294967295u },
		{ "bigint", "-9223372036854775808", "9223372036854775807", INT64_MIN, (uint64_t)INT64_MAX },
		{ "bigint unsigned", "0", "18446744073709551615", 0, UINT64_MAX },
	};
	for (size_t i = 0; i < N(cases); i++) {
		dbs_type t;
		int64_t lo;
		uint64_t hi;
		dbs_type_parse(cases[i].text, &t);
		dbs_type_int_range(&t, &lo, &hi);
		assert_true(lo == cases[i].lo && hi == cases[i].hi);
		assert_string_equal(dbs_type_int_lo_sql(&t), cases[i].lo_sql);
		assert_string_equal(dbs_type_int_hi_sql(&t), cases[i].hi_sql);
	}
}

static void test_narrowing(void **state)
{
	(void)state;
	static const struct {
		const char *from, *to;
		dbs_narrowing n;
	} cases[] = {
		{ "varchar(10)", "varchar(20)", DBS_NARROW_NONE },
		{ "varchar(20)", "varchar(10)", DBS_NARROW_LENGTH },
		{ "text", "character varying(5)", DBS_NARROW_LENGTH },
		{ "integer", "varchar(5)", DBS_NARROW_LENGTH },
		{ "varchar(5)", "text", DBS_NARROW_NONE },
		{ "smallint", "bigint", DBS_NARROW_NONE },
		{ "bigint", "integer", DBS_NARROW_INT_RANGE },
		{ "int", "int unsigned", DBS_NARROW_INT_RANGE },                     /* negatives */
		{ "numeric(10,2)", "integer", DBS_NARROW_INT_RANGE },
		{ "decimal(10,2)", "decimal(12,2)", DBS_NARROW_NONE },
		{ "decimal(10,2)", "decimal(10,1)", DBS_NARROW_DIGITS },             /* scale */
		{ "decimal(10,2)", "decimal(9,2)", DBS_NARROW_DIGITS },              /* integer digits */
		{ "integer", "numeric(12,2)", DBS_NARROW_NONE },
		{ "bigint", "numeric(12,2)", DBS_NARROW_DIGITS },
		{ "integer", "numeric", DBS_NARROW_NONE },
		{ "integer", "double precision", DBS_NARROW_NONE },
		{ "text", "integer", DBS_NARROW_UNKNOWN },
		{ "date", "timestamp", DBS_NARROW_UNKNOWN },
	};
	for (size_t i = 0; i < N(cases); i++) {
		dbs_type f, t;
		dbs_type_parse(cases[i].from, &f);
		dbs_type_parse(cases[i].to, &t);
		if (dbs_type_narrowing(&f, &t) != cases[i].n)
			fail_msg("%s -> %s: narrowing %d, expected %d", cases[i].from, cases[i].to,
				(int)dbs_type_narrowing(&f, &t), (int)cases[i].n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_int_ranges),
		cmocka_unit_test(test_narrowing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
