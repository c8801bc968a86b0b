/*
 * MySQL's counting queries for the values a change would lose: a type
 * change (dialect.h lossy_count_sql, run by plan_precount.c; type.h says
 * which kind of loss it risks) or a conversion to another character set.
 * Every query only reads. Unlike PostgreSQL's, no value is converted on
 * trial: MySQL has no per-value error trap in plain SQL, and its CAST
 * targets are not the column types. So a change that is no narrowing of
 * length, integer range or decimal digits (DBS_NARROW_UNKNOWN: a string to
 * a number or a date, say) is not counted.
 */
#include <string.h>

#include "ctx.h"
#include "dialect.h"
#include "plan_mysql.h"
#include "plan_precount.h"
#include "type.h"

int dbs_my_count_charset_loss(dbs_planner *p, const char *table, const char *column, const char *coll,
	int64_t *out)
{
	*out = -1;
	/* a collation's name starts with its charset's ("latin1_swedish_ci") */
	size_t n = strcspn(coll ? coll : "", "_");
	if (!coll || n == 0 || n > 32 || (n == 7 && strncmp(coll, "utf8mb4", 7) == 0))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((coll[i] >= 'a' && coll[i] <= 'z') || (coll[i] >= '0' && coll[i] <= '9')))
			return 0;
	dbs_buf b = DBS_BUF_INIT, q = DBS_BUF_INIT;
	dbs_quote_ident(&q, MY, column);
	const char *c = dbs_buf_cstr(&q);
	/* both sides in utf8mb4, which holds every character, compared byte for byte */
	dbs_put_count_values(&b, MY, table, column);
	dbs_buf_printf(&b, "CONVERT(CONVERT(%s USING %.*s) USING utf8mb4) COLLATE utf8mb4_bin "
		"<> CONVERT(%s USING utf8mb4) COLLATE utf8mb4_bin", c, (int)n, coll, c);
	if (!dbs_buf_ok(&q))
		b.oom = true;
	dbs_buf_free(&q);
	return dbs_count_query(p, &b, out);
}

bool dbs_my_lossy_count_sql(dbs_buf *q, dbs_arena *a, const char *table, const char *column, dbs_narrowing n,
	const dbs_type *f, const dbs_type *t, const char **what)
{
	/* A narrowing of length, integer range or decimal digits is counted from
	 * any numeric type. Measured on MariaDB 10.11: a value out of range fails
	 * the ALTER in strict mode and is clipped silently without it, and a
	 * fraction is rounded away silently in either mode. */
	if (n == DBS_NARROW_NONE || n == DBS_NARROW_UNKNOWN)
		return false;
	dbs_buf c = DBS_BUF_INIT;
	dbs_quote_ident(&c, MY, column);
	const char *col = dbs_buf_cstr(&c);
	dbs_put_count_values(q, MY, table, column);
	if (n == DBS_NARROW_LENGTH) {
		dbs_buf_printf(q, "CHAR_LENGTH(%s) > %ld", col, t->length);
		*what = dbs_arena_printf(a, "longer than %ld characters", t->length);
	} else if (n == DBS_NARROW_INT_RANGE) {
		dbs_buf_printf(q, "(%s < %s OR %s > %s", col, dbs_type_int_lo_sql(t), col, dbs_type_int_hi_sql(t));
		/* a fraction is rounded away by the conversion */
		if (f->cls != DBS_TYPE_INTEGER)
			dbs_buf_printf(q, " OR %s <> ROUND(%s)", col, col);
		dbs_buf_putc(q, ')');
		*what = dbs_arena_printf(a, f->cls == DBS_TYPE_INTEGER ? "out of the range of %s"
			: "out of the range of %s or with a fraction", t->text);
	} else {
		/* digits before the point that no longer fit, or decimals rounded away */
		dbs_buf_printf(q, "(ABS(%s) >= POW(10, %ld) OR ROUND(%s, %ld) <> %s)", col, t->precision - t->scale, col,
			t->scale, col);
		*what = dbs_arena_printf(a, "that %s cannot hold exactly", t->text);
	}
	if (!dbs_buf_ok(&c))
		q->oom = true;
	dbs_buf_free(&c);
	return true;
}
