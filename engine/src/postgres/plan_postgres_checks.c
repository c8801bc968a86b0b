/*
 * PostgreSQL's counting query for the values a type change would fail on or
 * lose (dialect.h lossy_count_sql, run by plan_precount.c), so the planner
 * can refuse that one change with a number instead of letting the whole
 * apply fail halfway (or, for an explicit cast to a shorter varchar,
 * silently cut values). Every query only reads.
 *
 * Where the loss is a matter of range or length (type.h), a plain query
 * counts it (char_length > n; integer range; numeric digits and scale). For
 * any other change the values are cast one by one inside a DO block: a
 * subtransaction per value catches the ones that fail and the count comes
 * back through a session setting. This is the "counted CAST attempt": it
 * casts from the column's own type as the ALTER's USING will, which
 * pg_input_is_valid (PostgreSQL 16+, text input only) cannot do: 2.5::numeric
 * casts to integer, '2.5' is not valid integer input. The whole column is
 * cast once first, so the per-value loop runs only when something fails.
 */
#include "dialect.h"
#include "plan_postgres.h"
#include "plan_precount.h"
#include "type.h"

/* The DO block of the counted cast attempt, then the count. */
static void cast_attempt(dbs_buf *q, const char *table, const char *column, const char *to)
{
	dbs_buf body = DBS_BUF_INIT;
	dbs_buf_puts(&body, "DECLARE n bigint := 0; r record; BEGIN BEGIN PERFORM ");
	dbs_quote_ident(&body, PG, column);
	dbs_buf_printf(&body, "::%s FROM ", to);
	dbs_quote_ident(&body, PG, table);
	dbs_buf_puts(&body, "; EXCEPTION WHEN others THEN FOR r IN SELECT ");
	dbs_quote_ident(&body, PG, column);
	dbs_buf_puts(&body, " AS v FROM ");
	dbs_quote_ident(&body, PG, table);
	dbs_buf_puts(&body, " WHERE ");
	dbs_quote_ident(&body, PG, column);
	dbs_buf_printf(&body, " IS NOT NULL LOOP BEGIN PERFORM r.v::%s; EXCEPTION WHEN others THEN n := n + 1; "
		"END; END LOOP; END; PERFORM pg_catalog.set_config('dbsync.cast_failures', n::text, false); END", to);
	dbs_buf_puts(q, "DO ");
	dbs_quote_literal(q, PG, dbs_buf_cstr(&body));
	dbs_buf_puts(q, "; SELECT pg_catalog.current_setting('dbsync.cast_failures')::bigint");
	if (!dbs_buf_ok(&body))
		q->oom = true;
	dbs_buf_free(&body);
}

bool dbs_pg_lossy_count_sql(dbs_buf *q, dbs_arena *a, const char *table, const char *column, dbs_narrowing n,
	const dbs_type *f, const dbs_type *t, const char **what)
{
	switch (n) {
	case DBS_NARROW_NONE:
		return false;
	case DBS_NARROW_LENGTH:
		dbs_put_count_values(q, PG, table, column);
		dbs_buf_puts(q, "pg_catalog.char_length(");
		dbs_quote_ident(q, PG, column);
		dbs_buf_printf(q, "%s) > %ld", f->cls == DBS_TYPE_STRING ? "" : "::text", t->length);
		*what = dbs_arena_printf(a, "longer than %ld character%s", t->length, dbs_plural(t->length));
		break;
	case DBS_NARROW_INT_RANGE:
		dbs_put_count_values(q, PG, table, column);
		dbs_buf_puts(q, "(");
		dbs_quote_ident(q, PG, column);
		dbs_buf_printf(q, " NOT BETWEEN %s AND %s", dbs_type_int_lo_sql(t), dbs_type_int_hi_sql(t));
		if (f->cls != DBS_TYPE_INTEGER) {
			dbs_buf_puts(q, " OR ");
			dbs_quote_ident(q, PG, column);
			dbs_buf_puts(q, " <> pg_catalog.round(");
			dbs_quote_ident(q, PG, column);
			dbs_buf_puts(q, ")");
		}
		dbs_buf_puts(q, ")");
		*what = dbs_arena_printf(a, f->cls == DBS_TYPE_INTEGER ? "out of the range of %s" : "out of the range of "
			"%s or with a fraction", t->text);
		break;
	case DBS_NARROW_DIGITS: {
		long int_room = t->precision - t->scale;
		dbs_put_count_values(q, PG, table, column);
		dbs_buf_puts(q, "(pg_catalog.abs(pg_catalog.round(");
		dbs_quote_ident(q, PG, column);
		dbs_buf_printf(q, "::numeric, %ld)) >= 10::numeric ^ %ld OR pg_catalog.round(", t->scale, int_room);
		dbs_quote_ident(q, PG, column);
		dbs_buf_printf(q, "::numeric, %ld) <> ", t->scale);
		dbs_quote_ident(q, PG, column);
		dbs_buf_puts(q, ")");
		*what = dbs_arena_printf(a, "which %s cannot hold unchanged (too many digits, or rounded)", t->text);
		break;
	}
	case DBS_NARROW_UNKNOWN:
		cast_attempt(q, table, column, t->text);
		*what = dbs_arena_printf(a, "which cannot be converted to %s", t->text);
		break;
	}
	return true;
}
