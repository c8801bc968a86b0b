/*
 * MySQL's pre-flight counts beyond the shared ones (plan_precount.h): the
 * values a type change (type.h says which kind of loss it risks) or a
 * conversion to another character set would lose. Every query only reads.
 * Unlike PostgreSQL's, no value is converted on trial: a change that is no
 * narrowing of length, integer range or decimal digits is not counted.
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

int dbs_my_count_lossy(dbs_planner *p, const char *table, const dbs_column *from, const dbs_column *to,
	int64_t *out, const char **what)
{
	const char *column = from->name;
	dbs_type f, t;
	dbs_type_of_column(from, &f);
	dbs_type_of_column(to, &t);
	dbs_buf b = DBS_BUF_INIT, q = DBS_BUF_INIT;
	dbs_arena *a = &p->plan->arena;
	*out = -1;
	*what = NULL;
	dbs_quote_ident(&q, MY, column);
	const char *c = dbs_buf_cstr(&q);
	bool counts = false;
	dbs_put_count_values(&b, MY, table, column);
	switch (dbs_type_narrowing(&f, &t)) {
	case DBS_NARROW_LENGTH:
		counts = true;
		dbs_buf_printf(&b, "CHAR_LENGTH(%s) > %ld", c, t.length);
		*what = dbs_arena_printf(a, "longer than %ld characters", t.length);
		break;
	case DBS_NARROW_INT_RANGE:
		if (f.cls != DBS_TYPE_INTEGER)
			break;
		counts = true;
		dbs_buf_printf(&b, "(%s < %s OR %s > %s)", c, dbs_type_int_lo_sql(&t), c, dbs_type_int_hi_sql(&t));
		*what = dbs_arena_printf(a, "out of the range of %s", t.text);
		break;
	case DBS_NARROW_DIGITS:
		if (f.cls != DBS_TYPE_DECIMAL)
			break;
		counts = true;
		/* digits before the point that no longer fit, or decimals rounded away */
		dbs_buf_printf(&b, "(ABS(%s) >= POW(10, %ld) OR ROUND(%s, %ld) <> %s)", c, t.precision - t.scale, c,
			t.scale, c);
		*what = dbs_arena_printf(a, "that %s cannot hold exactly", t.text);
		break;
	case DBS_NARROW_NONE:
	case DBS_NARROW_UNKNOWN:
		break;
	}
	bool ok = dbs_buf_ok(&q) && *what;
	dbs_buf_free(&q);
	if (!counts) {
		dbs_buf_free(&b);
		return 0;
	}
	if (!ok)
		b.oom = true;
	return dbs_count_query(p, &b, out);
}
