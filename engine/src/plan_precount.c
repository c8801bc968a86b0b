/*
 * Pre-flight counts shared by every dialect's planner (see plan_precount.h).
 */
#include "plan_precount.h"

#include "ctx.h"
#include "dialect.h"
#include "render.h"

int dbs_count_query(dbs_planner *p, dbs_buf *q, int64_t *out)
{
	*out = 0;
	int rc = dbs_buf_ok(q) ? p->conn->backend->query_int64(out, p->ctx, p->conn, dbs_buf_cstr(q))
			       : dbs_error_oom(p->ctx);
	dbs_buf_free(q);
	return rc;
}

void dbs_put_count_values(dbs_buf *q, dbsync_dialect d, const char *table, const char *column)
{
	dbs_buf_clear(q);
	dbs_buf_puts(q, "SELECT COUNT(*) FROM ");
	dbs_quote_ident(q, d, table);
	dbs_buf_puts(q, " WHERE ");
	dbs_quote_ident(q, d, column);
	dbs_buf_puts(q, " IS NOT NULL AND ");
}

int dbs_count_nulls(dbs_planner *p, const char *table, const char *column, int64_t *out)
{
	dbsync_dialect d = p->plan->dialect;
	dbs_buf q = DBS_BUF_INIT;
	dbs_buf_puts(&q, "SELECT COUNT(*) FROM ");
	dbs_quote_ident(&q, d, table);
	dbs_buf_puts(&q, " WHERE ");
	dbs_quote_ident(&q, d, column);
	dbs_buf_puts(&q, " IS NULL");
	return dbs_count_query(p, &q, out);
}

int dbs_count_duplicates(dbs_planner *p, const char *table, const dbs_str_vec *cols, bool nulls_clash,
	const char *where, int64_t *out)
{
	dbsync_dialect d = p->plan->dialect;
	dbs_buf q = DBS_BUF_INIT;
	dbs_buf_puts(&q, "SELECT COUNT(*) FROM (SELECT 1 FROM ");
	dbs_quote_ident(&q, d, table);
	const char *glue = " WHERE ";
	if (where) {
		dbs_buf_printf(&q, " WHERE (%s)", where);
		glue = " AND ";
	}
	for (size_t i = 0; !nulls_clash && i < cols->n; i++) {
		dbs_buf_puts(&q, glue);
		dbs_quote_ident(&q, d, cols->items[i]);
		dbs_buf_puts(&q, " IS NOT NULL");
		glue = " AND ";
	}
	dbs_buf_puts(&q, " GROUP BY ");
	dbs_render_names(&q, d, cols);
	dbs_buf_puts(&q, " HAVING COUNT(*) > 1) AS dup");
	return dbs_count_query(p, &q, out);
}

int dbs_count_check_fails(dbs_planner *p, const char *table, const char *expr, int64_t *out)
{
	dbsync_dialect d = p->plan->dialect;
	dbs_buf q = DBS_BUF_INIT;
	dbs_buf_puts(&q, "SELECT COUNT(*) FROM ");
	dbs_quote_ident(&q, d, table);
	const dbs_dialect_info *info = dbs_dialect_info_for(d);
	dbs_buf_printf(&q, " WHERE %s%s%s", info->check_fails_open, expr, info->check_fails_close);
	return dbs_count_query(p, &q, out);
}

int dbs_count_orphans(dbs_planner *p, const char *table, const dbs_constraint *fk, int64_t *out)
{
	dbsync_dialect d = p->plan->dialect;
	dbs_buf q = DBS_BUF_INIT;
	const dbs_table *ref = dbs_schema_find_table(p->live, fk->ref_table);
	const dbs_constraint *pk = ref ? dbs_table_primary_key(ref) : NULL;
	const dbs_str_vec *ref_cols = fk->ref_cols.n ? &fk->ref_cols : pk ? &pk->cols : NULL;
	dbs_buf_puts(&q, "SELECT COUNT(*) FROM ");
	dbs_quote_ident(&q, d, table);
	dbs_buf_puts(&q, " AS c WHERE ");
	for (size_t i = 0; i < fk->cols.n; i++) {
		dbs_buf_puts(&q, i ? " AND c." : "c.");
		dbs_quote_ident(&q, d, fk->cols.items[i]);
		dbs_buf_puts(&q, " IS NOT NULL");
	}
	if (ref && ref_cols && ref_cols->n == fk->cols.n) {
		dbs_buf_puts(&q, " AND NOT EXISTS (SELECT 1 FROM ");
		dbs_quote_ident(&q, d, ref->name);
		dbs_buf_puts(&q, " AS r WHERE ");
		for (size_t i = 0; i < fk->cols.n; i++) {
			dbs_buf_puts(&q, i ? " AND r." : "r.");
			dbs_quote_ident(&q, d, ref_cols->items[i]);
			dbs_buf_puts(&q, " = c.");
			dbs_quote_ident(&q, d, fk->cols.items[i]);
		}
		dbs_buf_putc(&q, ')');
	}
	return dbs_count_query(p, &q, out);
}

int dbs_count_lossy(dbs_planner *p, const char *table, const dbs_column *from, const dbs_column *to, int64_t *out,
	const char **what)
{
	const dbs_dialect_info *info = dbs_dialect_info_for(p->plan->dialect);
	dbs_type f, t;
	dbs_type_of_column(from, &f);
	dbs_type_of_column(to, &t);
	dbs_narrowing n = dbs_type_narrowing(&f, &t);
	*out = -1;
	*what = NULL;
	if (n == DBS_NARROW_NONE || !info->lossy_count_sql)
		return 0;
	dbs_buf q = DBS_BUF_INIT;
	if (!info->lossy_count_sql(&q, &p->plan->arena, table, from->name, n, &f, &t, what)) {
		dbs_buf_free(&q);
		return 0;
	}
	if (!*what)
		q.oom = true;
	return dbs_count_query(p, &q, out);
}
