/*
 * A table constraint as ALTER TABLE ... ADD and CREATE TABLE take it (see
 * render_constraint.h).
 */
#include "render_constraint.h"

#include "dialect.h"
#include "render.h"

static void put_names(dbs_buf *out, dbsync_dialect d, const dbs_str_vec *v)
{
	dbs_buf_putc(out, '(');
	dbs_render_names(out, d, v);
	dbs_buf_putc(out, ')');
}

static void put_deferrable(dbs_buf *out, bool allowed, const dbs_constraint *k)
{
	if (allowed && k->deferrable)
		dbs_buf_puts(out, k->initially_deferred ? " DEFERRABLE INITIALLY DEFERRED" : " DEFERRABLE");
}

void dbs_render_references(dbs_buf *out, dbsync_dialect d, const dbs_constraint *k)
{
	const dbs_dialect_info *info = dbs_dialect_info_for(d);
	dbs_buf_puts(out, " REFERENCES ");
	if (k->ref_schema) {
		dbs_quote_ident(out, d, k->ref_schema);
		dbs_buf_putc(out, '.');
	}
	dbs_quote_ident(out, d, k->ref_table);
	if (k->ref_cols.n) {
		dbs_buf_putc(out, ' ');
		put_names(out, d, &k->ref_cols);
	}
	if (k->match_full && info->match_enforced)
		dbs_buf_puts(out, " MATCH FULL");
	if (k->on_delete)
		dbs_buf_printf(out, " ON DELETE %s", k->on_delete);
	if (k->on_update)
		dbs_buf_printf(out, " ON UPDATE %s", k->on_update);
	put_deferrable(out, info->fk_deferrable, k);
}

int dbs_render_constraint(dbs_buf *out, dbsync_dialect d, const dbs_constraint *k)
{
	const dbs_dialect_info *info = dbs_dialect_info_for(d);
	bool key = k->kind == DBS_CON_PRIMARY || k->kind == DBS_CON_UNIQUE;
	if (k->name && (k->kind != DBS_CON_PRIMARY || !info->pk_unnamed)) {
		dbs_buf_puts(out, "CONSTRAINT ");
		dbs_quote_ident(out, d, k->name);
		dbs_buf_putc(out, ' ');
	}
	switch (k->kind) {
	case DBS_CON_PRIMARY:
		dbs_buf_puts(out, "PRIMARY KEY ");
		put_names(out, d, &k->cols);
		put_deferrable(out, info->keys_deferrable, k);
		break;
	case DBS_CON_UNIQUE:
		dbs_buf_puts(out, k->nulls_not_distinct && info->unique_nulls_distinct ? "UNIQUE NULLS NOT DISTINCT "
			: "UNIQUE ");
		put_names(out, d, &k->cols);
		put_deferrable(out, info->keys_deferrable, k);
		break;
	case DBS_CON_EXCLUDE:
		if (k->exclude)
			dbs_render_exclude(out, d, k->exclude);
		put_deferrable(out, info->keys_deferrable, k);
		break;
	case DBS_CON_CHECK:
		dbs_buf_printf(out, "CHECK (%s)", k->check_expr ? k->check_expr : "");
		if (k->no_inherit && info->no_inherit)
			dbs_buf_puts(out, " NO INHERIT");
		break;
	case DBS_CON_FOREIGN:
		dbs_buf_puts(out, "FOREIGN KEY ");
		put_names(out, d, &k->cols);
		dbs_render_references(out, d, k);
		break;
	}
	if (key && k->comment && info->comments_inline) {
		dbs_buf_puts(out, " COMMENT ");
		dbs_quote_literal(out, d, k->comment);
	}
	return dbs_buf_ok(out) ? 0 : DBSYNC_ENOMEM;
}
