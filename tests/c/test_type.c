/* The structured type value (type.c): the catalogs' spellings parsed once,
 * and which type changes can lose values (what the planners count first). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "type.h"

static dbs_type parsed(const char *text)
{
	dbs_type t;
	dbs_type_parse(text, &t);
	return t;
}

static dbs_narrowing narrowing(const char *from, const char *to)
{
	dbs_type f = parsed(from), t = parsed(to);
	return dbs_type_narrowing(&f, &t);
}

static void test_parse_strings(void **state)
{
	(void)state;
	dbs_type t = parsed("character varying(50)");
	assert_int_equal(t.cls, DBS_TYPE_STRING);
	assert_string_equal(t.base, "character varying");
	assert_int_equal(t.length, 50);
	assert_int_equal(parsed("varchar(8)").length, 8);
	assert_int_equal(parsed("text").length, 0);          /* unbounded */
	assert_int_equal(parsed("character").length, 1);     /* SQL's bare CHARACTER is CHARACTER(1) */
	assert_int_equal(parsed("bpchar").length, 0);        /* PostgreSQL's bare bpchar is unbounded */
	assert_int_equal(parsed("CHAR(3)").cls, DBS_TYPE_STRING);
}

static void test_parse_numbers(void **state)
{
	(void)state;
	dbs_type t = parsed("bigint unsigned");
	assert_int_equal(t.cls, DBS_TYPE_INTEGER);
	assert_string_equal(t.base, "bigint");
	assert_int_equal(t.int_bytes, 8);
	assert_true(t.is_unsigned);
	assert_int_equal(parsed("mediumint").int_bytes, 3);
	assert_int_equal(parsed("int4").int_bytes, 4);
	assert_int_equal(parsed("tinyint(1)").cls, DBS_TYPE_BOOLEAN_INT);
	t = parsed("numeric(10,2)");
	assert_int_equal(t.cls, DBS_TYPE_DECIMAL);
	assert_int_equal(t.precision, 10);
	assert_int_equal(t.scale, 2);
	assert_int_equal(parsed("numeric").precision, 0);
	assert_int_equal(parsed("double precision").cls, DBS_TYPE_FLOAT);
	t = parsed("integer[]");
	assert_int_equal(t.cls, DBS_TYPE_OTHER);             /* an array is compared whole */
	assert_int_equal(t.array_dims, 1);
	assert_int_equal(parsed("timestamp(3) with time zone").cls, DBS_TYPE_OTHER);
	assert_int_equal(parsed(NULL).cls, DBS_TYPE_OTHER);
}

static void test_int_ranges(void **state)
{
	(void)state;
	dbs_type t = parsed("smallint");
	int64_t lo;
	uint64_t hi;
	dbs_type_int_range(&t, &lo, &hi);
	assert_true(lo == -32768 && hi == 32767);
	assert_string_equal(dbs_type_int_hi_sql(&t), "32767");
	t = parsed("int unsigned");
	dbs_type_int_range(&t, &lo, &hi);
	assert_true(lo == 0 && hi == 4294967295u);
	assert_string_equal(dbs_type_int_lo_sql(&t), "0");
	t = parsed("bigint");
	dbs_type_int_range(&t, &lo, &hi);
	assert_true(lo == INT64_MIN && hi == (uint64_t)INT64_MAX);
}

static void test_narrowing(void **state)
{
	(void)state;
	assert_int_equal(narrowing("varchar(10)", "varchar(20)"), DBS_NARROW_NONE);
	assert_int_equal(narrowing("varchar(20)", "varchar(10)"), DBS_NARROW_LENGTH);
	assert_int_equal(narrowing("text", "character varying(5)"), DBS_NARROW_LENGTH);
	assert_int_equal(narrowing("integer", "varchar(5)"), DBS_NARROW_LENGTH);
	assert_int_equal(narrowing("varchar(5)", "text"), DBS_NARROW_NONE);
	assert_int_equal(narrowing("smallint", "bigint"), DBS_NARROW_NONE);
	assert_int_equal(narrowing("bigint", "integer"), DBS_NARROW_INT_RANGE);
	assert_int_equal(narrowing("int", "int unsigned"), DBS_NARROW_INT_RANGE);   /* negatives */
	assert_int_equal(narrowing("numeric(10,2)", "integer"), DBS_NARROW_INT_RANGE);
	assert_int_equal(narrowing("decimal(10,2)", "decimal(12,2)"), DBS_NARROW_NONE);
	assert_int_equal(narrowing("decimal(10,2)", "decimal(10,1)"), DBS_NARROW_DIGITS);
	assert_int_equal(narrowing("decimal(10,2)", "decimal(9,2)"), DBS_NARROW_DIGITS);
	assert_int_equal(narrowing("integer", "numeric(12,2)"), DBS_NARROW_NONE);
	assert_int_equal(narrowing("bigint", "numeric(12,2)"), DBS_NARROW_DIGITS);
	assert_int_equal(narrowing("integer", "numeric"), DBS_NARROW_NONE);
	assert_int_equal(narrowing("integer", "double precision"), DBS_NARROW_NONE);
	assert_int_equal(narrowing("text", "integer"), DBS_NARROW_UNKNOWN);
	assert_int_equal(narrowing("date", "timestamp"), DBS_NARROW_UNKNOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_strings),
		cmocka_unit_test(test_parse_numbers),
		cmocka_unit_test(test_int_ranges),
		cmocka_unit_test(test_narrowing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
