/*
 * Counting, before a change, the rows it would fail on or lose, so the
 * planner can refuse that one change with a number instead of letting the
 * whole apply fail halfway (or, for an explicit cast to a shorter varchar,
 * silently cut values). Every query only reads.
 *
 * Type changes. Where the loss is a matter of range or length, a plain query
 * counts it (char_length > n; integer range; numeric digits and scale). For
 * any other change the values are cast one by one inside a DO block: a
 * subtransaction per value catches the ones that fail and the count comes
 * back through a session setting. This is the "counted CAST attempt": it
 * casts from the column's own type as the ALTER's USING will, which
 * pg_input_is_valid (PostgreSQL 16+, text input only) cannot do: 2.5::numeric
 * casts to integer, '2.5' is not valid integer input. The whole column is
 * cast once first, so the per-value loop runs only when something fails.
 */
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "dialect.h"
#include "plan_postgres.h"
#include "plan_probe.h"

static int run_count(dbs_planner *p, dbs_buf *q, int64_t *out)
{
	int rc = dbs_buf_ok(q) ? p->conn->backend->query_int64(out, p->ctx, p->conn, dbs_buf_cstr(q))
			       : dbs_error_oom(p->ctx);
	dbs_buf_free(q);
	return rc;
}

int dbs_pg_count_rows(pg_table *pt, int64_t *out)
{
	if (pt->rows < 0) {
		int rc = dbs_probe_table_rows(pt->p, pt->L->name, &pt->rows);
		if (rc)
			return rc;
	}
	*out = pt->rows;
	return 0;
}

int dbs_pg_count_nulls(dbs_planner *p, const char *table, const char *column, int64_t *out)
{
	dbs_buf q = DBS_BUF_INIT;
	dbs_buf_puts(&q, "SELECT count(*) FROM ");
	dbs_quote_ident(&q, PG, table);
	dbs_buf_puts(&q, " WHERE ");
	dbs_quote_ident(&q, PG, column);
	dbs_buf_puts(&q, " IS NULL");
	return run_count(p, &q, out);
}

static void put_list(dbs_buf *q, const dbs_str_vec *cols)
{
	for (size_t i = 0; i < cols->n; i++) {
		if (i)
			dbs_buf_puts(q, ", ");
		dbs_quote_ident(q, PG, cols->items[i]);
	}
}

int dbs_pg_count_duplicates(dbs_planner *p, const char *table, const dbs_str_vec *cols, bool nulls_clash,
	const char *where, int64_t *out)
{
	dbs_buf q = DBS_BUF_INIT;
	dbs_buf_puts(&q, "SELECT count(*) FROM (SELECT 1 FROM ");
	dbs_quote_ident(&q, PG, table);
	const char *glue = " WHERE ";
	if (where) {
		dbs_buf_printf(&q, " WHERE (%s)", where);
		glue = " AND ";
	}
	for (size_t i = 0; !nulls_clash && i < cols->n; i++) {
		dbs_buf_puts(&q, glue);
		dbs_quote_ident(&q, PG, cols->items[i]);
		dbs_buf_puts(&q, " IS NOT NULL");
		glue = " AND ";
	}
	dbs_buf_puts(&q, " GROUP BY ");
	put_list(&q, cols);
	dbs_buf_puts(&q, " HAVING count(*) > 1) AS dup");
	return run_count(p, &q, out);
}

int dbs_pg_count_check_violations(dbs_planner *p, const char *table, const char *expr, int64_t *out)
{
	dbs_buf q = DBS_BUF_INIT;
	dbs_buf_puts(&q, "SELECT count(*) FROM ");
	dbs_quote_ident(&q, PG, table);
	/* a CHECK passes on NULL, and so does this: NOT NULL is not true */
	dbs_buf_printf(&q, " WHERE NOT (%s)", expr);
	return run_count(p, &q, out);
}

int dbs_pg_count_orphans(dbs_planner *p, const char *table, const dbs_constraint *fk, int64_t *out)
{
	dbs_buf q = DBS_BUF_INIT;
	const dbs_table *ref = dbs_schema_find_table(p->live, fk->ref_table);
	const dbs_constraint *pk = ref ? dbs_table_primary_key(ref) : NULL;
	const dbs_str_vec *ref_cols = fk->ref_cols.n ? &fk->ref_cols : pk ? &pk->cols : NULL;
	dbs_buf_puts(&q, "SELECT count(*) FROM ");
	dbs_quote_ident(&q, PG, table);
	dbs_buf_puts(&q, " AS c WHERE ");
	for (size_t i = 0; i < fk->cols.n; i++) {
		dbs_buf_puts(&q, i ? " AND c." : "c.");
		dbs_quote_ident(&q, PG, fk->cols.items[i]);
		dbs_buf_puts(&q, " IS NOT NULL");
	}
	if (ref && ref_cols && ref_cols->n == fk->cols.n) {
		dbs_buf_puts(&q, " AND NOT EXISTS (SELECT 1 FROM ");
		dbs_quote_ident(&q, PG, ref->name);
		dbs_buf_puts(&q, " AS r WHERE ");
		for (size_t i = 0; i < fk->cols.n; i++) {
			dbs_buf_puts(&q, i ? " AND r." : "r.");
			dbs_quote_ident(&q, PG, ref_cols->items[i]);
			dbs_buf_puts(&q, " = c.");
			dbs_quote_ident(&q, PG, fk->cols.items[i]);
		}
		dbs_buf_putc(&q, ')');
	}
	return run_count(p, &q, out);
}

/* ---- type changes ---- */

enum tkind { T_OTHER, T_STR, T_INT, T_NUMERIC, T_FLOAT };

typedef struct tinfo {
	enum tkind kind;
	long len;        /* T_STR: max length, 0 unbounded; T_INT: bytes; T_NUMERIC: precision, 0 unbounded */
	long scale;      /* T_NUMERIC */
} tinfo;

static bool starts(const char *s, const char *word, const char **rest)
{
	size_t n = strlen(word);
	if (strncmp(s, word, n) != 0 || (s[n] && s[n] != '('))
		return false;
	*rest = s + n;
	return true;
}

static tinfo classify(const char *t)
{
	tinfo ti = { T_OTHER, 0, 0 };
	const char *rest = NULL;
	if (!t)
		return ti;
	if (strcmp(t, "text") == 0) {
		ti.kind = T_STR;
	} else if (starts(t, "character varying", &rest) || starts(t, "varchar", &rest) ||
		   starts(t, "character", &rest) || starts(t, "char", &rest) || starts(t, "bpchar", &rest)) {
		ti.kind = T_STR;
		if (*rest == '(')
			ti.len = strtol(rest + 1, NULL, 10);
		else if (strncmp(t, "char", 4) == 0 && strncmp(t, "character varying", 17) != 0)
			ti.len = 1; /* bare character is character(1) */
	} else if (strcmp(t, "smallint") == 0 || strcmp(t, "int2") == 0) {
		ti.kind = T_INT, ti.len = 2;
	} else if (strcmp(t, "integer") == 0 || strcmp(t, "int") == 0 || strcmp(t, "int4") == 0) {
		ti.kind = T_INT, ti.len = 4;
	} else if (strcmp(t, "bigint") == 0 || strcmp(t, "int8") == 0) {
		ti.kind = T_INT, ti.len = 8;
	} else if (starts(t, "numeric", &rest) || starts(t, "decimal", &rest)) {
		ti.kind = T_NUMERIC;
		if (*rest == '(') {
			char *end = NULL;
			ti.len = strtol(rest + 1, &end, 10);
			if (end && *end == ',')
				ti.scale = strtol(end + 1, NULL, 10);
		}
	} else if (strcmp(t, "real") == 0 || strcmp(t, "double precision") == 0 || strcmp(t, "float4") == 0 ||
		   strcmp(t, "float8") == 0) {
		ti.kind = T_FLOAT;
	}
	return ti;
}

static const char *int_lo(long bytes)
{
	return bytes == 2 ? "-32768" : bytes == 4 ? "-2147483648" : "-9223372036854775808";
}

static const char *int_hi(long bytes)
{
	return bytes == 2 ? "32767" : bytes == 4 ? "2147483647" : "9223372036854775807";
}

/* Decimal digits an integer of `bytes` can have. */
static long int_digits(long bytes)
{
	return bytes == 2 ? 5 : bytes == 4 ? 10 : 19;
}

static void select_from(dbs_buf *q, const char *table, const char *column)
{
	dbs_buf_puts(q, "SELECT count(*) FROM ");
	dbs_quote_ident(q, PG, table);
	dbs_buf_puts(q, " WHERE ");
	dbs_quote_ident(q, PG, column);
	dbs_buf_puts(q, " IS NOT NULL AND ");
}

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

int dbs_pg_count_lossy(dbs_planner *p, const char *table, const char *column, const char *from, const char *to,
	int64_t *out, const char **what)
{
	tinfo f = classify(from), t = classify(to);
	dbs_buf q = DBS_BUF_INIT;
	dbs_arena *a = &p->plan->arena;
	*out = -1;
	*what = NULL;
	if (t.kind == T_STR) {
		if (!t.len || (f.kind == T_STR && f.len && f.len <= t.len))
			return 0;
		select_from(&q, table, column);
		dbs_buf_puts(&q, "pg_catalog.char_length(");
		dbs_quote_ident(&q, PG, column);
		dbs_buf_printf(&q, "%s) > %ld", f.kind == T_STR ? "" : "::text", t.len);
		*what = dbs_arena_printf(a, "longer than %ld character%s", t.len, t.len == 1 ? "" : "s");
	} else if (t.kind == T_INT && (f.kind == T_INT || f.kind == T_NUMERIC || f.kind == T_FLOAT)) {
		if (f.kind == T_INT && f.len <= t.len)
			return 0;
		select_from(&q, table, column);
		dbs_buf_puts(&q, "(");
		dbs_quote_ident(&q, PG, column);
		dbs_buf_printf(&q, " NOT BETWEEN %s AND %s", int_lo(t.len), int_hi(t.len));
		if (f.kind != T_INT) {
			dbs_buf_puts(&q, " OR ");
			dbs_quote_ident(&q, PG, column);
			dbs_buf_puts(&q, " <> pg_catalog.round(");
			dbs_quote_ident(&q, PG, column);
			dbs_buf_puts(&q, ")");
		}
		dbs_buf_puts(&q, ")");
		*what = dbs_arena_printf(a, f.kind == T_INT ? "out of the range of %s" : "out of the range of %s or "
			"with a fraction", to);
	} else if (t.kind == T_NUMERIC && (f.kind == T_INT || f.kind == T_NUMERIC || f.kind == T_FLOAT)) {
		if (!t.len)
			return 0;
		long int_room = t.len - t.scale;
		if (f.kind == T_INT && int_digits(f.len) <= int_room)
			return 0;
		if (f.kind == T_NUMERIC && f.len && f.scale <= t.scale && f.len - f.scale <= int_room)
			return 0;
		select_from(&q, table, column);
		dbs_buf_puts(&q, "(pg_catalog.abs(pg_catalog.round(");
		dbs_quote_ident(&q, PG, column);
		dbs_buf_printf(&q, "::numeric, %ld)) >= 10::numeric ^ %ld OR pg_catalog.round(", t.scale, int_room);
		dbs_quote_ident(&q, PG, column);
		dbs_buf_printf(&q, "::numeric, %ld) <> ", t.scale);
		dbs_quote_ident(&q, PG, column);
		dbs_buf_puts(&q, ")");
		*what = dbs_arena_printf(a, "which %s cannot hold unchanged (too many digits, or rounded)", to);
	} else {
		if ((f.kind == T_INT || f.kind == T_NUMERIC) && (t.kind == T_FLOAT || t.kind == T_NUMERIC))
			return 0;
		cast_attempt(&q, table, column, to);
		*what = dbs_arena_printf(a, "which cannot be converted to %s", to);
	}
	if (!*what) {
		dbs_buf_free(&q);
		return dbs_error_oom(p->ctx);
	}
	return run_count(p, &q, out);
}
