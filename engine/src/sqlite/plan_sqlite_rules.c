/*
 * What SQLite's ALTER TABLE can do in place (lang_altertable.html), and the
 * one-line descriptions of changes that a rebuild's detail lists.
 */
#include <stdarg.h>
#include <string.h>

#include "ctx.h"
#include "dialect.h"
#include "plan_sqlite.h"
#include "render.h"

#define D DBSYNC_DIALECT_SQLITE

int dbs_sqlite_note(table_plan *tp, const char *fmt, ...)
{
	va_list ap;
	if (tp->detail.len)
		dbs_buf_putc(&tp->detail, '\n');
	va_start(ap, fmt);
	dbs_buf_vprintf(&tp->detail, fmt, ap);
	va_end(ap);
	tp->n_folded++;
	return dbs_buf_ok(&tp->detail) ? 0 : dbs_error_oom(tp->p->ctx);
}

static const char *or_none(const char *s)
{
	return s ? s : "(none)";
}

void dbs_sqlite_describe_col_diff(table_plan *tp, const dbs_column *lc, const dbs_column *wc, unsigned diff)
{
	const char *n = wc->name;
	if (diff & DBS_COL_TYPE)
		dbs_sqlite_note(tp, "type of `%s`: %s -> %s", n, or_none(lc->type), or_none(wc->type));
	if (diff & DBS_COL_NOT_NULL)
		dbs_sqlite_note(tp, "`%s`: %s -> %s", n, wc->not_null ? "NULL" : "NOT NULL", wc->not_null ? "NOT NULL" : "NULL");
	if (diff & DBS_COL_DEFAULT)
		dbs_sqlite_note(tp, "default of `%s`: %s -> %s", n, or_none(lc->default_expr), or_none(wc->default_expr));
	if (diff & DBS_COL_GENERATED)
		dbs_sqlite_note(tp, "generated expression of `%s`: %s -> %s", n, or_none(lc->generated_expr),
			or_none(wc->generated_expr));
	if (diff & DBS_COL_AUTOINCREMENT)
		dbs_sqlite_note(tp, "autoincrement of `%s`: %s", n,
			dbs_column_autoincrement(D, tp->W, wc) ? "off -> on" : "on -> off");
	if (diff & DBS_COL_COLLATION)
		dbs_sqlite_note(tp, "collation of `%s`: %s -> %s", n, or_none(lc->collation), or_none(wc->collation));
}

static void put_name_list(dbs_buf *b, const dbs_str_vec *v)
{
	dbs_buf_putc(b, '(');
	for (size_t i = 0; i < v->n; i++)
		dbs_buf_printf(b, "%s`%s`", i ? ", " : "", v->items[i]);
	dbs_buf_putc(b, ')');
}

/* "UNIQUE (`a`, `b`)", "CHECK (...)", ... for detail lines */
const char *dbs_sqlite_describe_constraint(table_plan *tp, const dbs_constraint *k)
{
	dbs_buf *b = &tp->p->tmp;
	dbs_buf_clear(b);
	if (k->name)
		dbs_buf_printf(b, "`%s` ", k->name);
	switch (k->kind) {
	case DBS_CON_PRIMARY:
		dbs_buf_puts(b, "PRIMARY KEY ");
		put_name_list(b, &k->cols);
		break;
	case DBS_CON_UNIQUE:
		dbs_buf_puts(b, "UNIQUE ");
		put_name_list(b, &k->cols);
		break;
	case DBS_CON_CHECK:
		dbs_buf_printf(b, "CHECK (%s)", or_none(k->check_expr));
		break;
	case DBS_CON_FOREIGN:
		dbs_buf_puts(b, "FOREIGN KEY ");
		put_name_list(b, &k->cols);
		dbs_buf_printf(b, " -> `%s`", k->ref_table);
		if (k->ref_cols.n)
			put_name_list(b, &k->ref_cols);
		if (k->on_delete)
			dbs_buf_printf(b, " ON DELETE %s", k->on_delete);
		break;
	case DBS_CON_EXCLUDE: /* PostgreSQL only */
		break;
	}
	return dbs_buf_cstr(b);
}

bool dbs_sqlite_con_has_col(const dbs_constraint *k, const char *col)
{
	for (size_t i = 0; i < k->cols.n; i++)
		if (dbs_name_eq(D, k->cols.items[i], col))
			return true;
	return false;
}

/* Canonical expressions quote every identifier, so the quoted name is a token.
 * Out of memory answers "yes": the caller then takes the safe road (rebuild). */
static bool mentions(const char *expr, const char *col)
{
	if (!expr)
		return false;
	dbs_buf q = DBS_BUF_INIT;
	dbs_quote_ident(&q, D, col);
	bool found = !dbs_buf_ok(&q) || strstr(expr, dbs_buf_cstr(&q)) != NULL;
	dbs_buf_free(&q);
	return found;
}

/* ALTER TABLE ADD COLUMN limits (lang_altertable.html): no PRIMARY KEY or
 * UNIQUE, no STORED generated column, a constant default (non-NULL when NOT
 * NULL), and a REFERENCES column must default to NULL. */
bool dbs_sqlite_can_add_column(const table_plan *tp, const dbs_column *c)
{
	const char *def = c->default_expr;
	if (c->generated_expr && c->generated_stored)
		return false;
	if (def && !dbs_expr_is_literal(def, false))
		return false;
	bool null_default = !def || strcmp(def, "NULL") == 0;
	if (c->not_null && !c->generated_expr && null_default)
		return false;
	for (size_t i = 0; i < tp->W->constraints.n; i++) {
		const dbs_constraint *k = tp->W->constraints.items[i];
		if (!dbs_sqlite_con_has_col(k, c->name))
			continue;
		if (k->kind == DBS_CON_PRIMARY || k->kind == DBS_CON_UNIQUE)
			return false;
		if (k->kind == DBS_CON_FOREIGN && (!k->inline_col || !null_default))
			return false;
		if (k->kind == DBS_CON_CHECK && !k->inline_col)
			return false;
	}
	return true;
}

/* ALTER TABLE DROP COLUMN refuses a column that is a key, unique, indexed,
 * referenced by a foreign key, a generated column or another column's check. */
bool dbs_sqlite_can_drop_column(table_plan *tp, const dbs_column *c)
{
	const dbs_table *L = tp->L;
	for (size_t i = 0; i < L->constraints.n; i++) {
		const dbs_constraint *k = L->constraints.items[i];
		if (k->kind == DBS_CON_CHECK) {
			bool own = k->inline_col && dbs_sqlite_con_has_col(k, c->name);
			if (!own && mentions(k->check_expr, c->name))
				return false;
		} else if (dbs_sqlite_con_has_col(k, c->name)) {
			return false;
		}
	}
	for (size_t i = 0; i < L->columns.n; i++)
		if (L->columns.items[i] != c && mentions(L->columns.items[i]->generated_expr, c->name))
			return false;
	for (size_t i = 0; i < L->indexes.n; i++) {
		const dbs_index *ix = L->indexes.items[i];
		bool uses = mentions(ix->where_expr, c->name);
		for (size_t j = 0; j < ix->parts.n && !uses; j++)
			uses = dbs_name_eq(D, ix->parts.items[j].column, c->name) ||
				mentions(ix->parts.items[j].expr, c->name);
		/* the index is dropped first only when indexes are synced */
		if (uses && !tp->p->plan->opts.sync_indexes)
			return false;
		if (uses && strncmp(ix->name, "sqlite_autoindex_", 17) == 0)
			return false;
	}
	return true;
}

const char *dbs_sqlite_default_fill(dbs_arena *a, const char *expr, bool *oom)
{
	const char *fill = dbs_expr_is_literal(expr, true) ? expr : dbs_arena_printf(a, "(%s)", expr);
	*oom = !fill;
	return fill;
}
