/*
 * Rendering the schema model as DDL. Column definitions follow the order in
 * which Django's schema editor writes them (type, COLLATE, DEFAULT, nullability
 * or GENERATED, PRIMARY KEY, UNIQUE, CHECK, REFERENCES), so generated SQL reads
 * like what `sqlmigrate` shows and round-trips through the parser unchanged.
 */
#include "render.h"

#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "dialect.h"
#include "render_constraint.h"
#include "topo.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_word(const char *e, const char *w)
{
	for (; *w; e++, w++) {
		char c = *e;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 32);
		if (c != *w)
			return false;
	}
	return *e == '\0';
}

static bool is_number(const char *e)
{
	if (*e == '+' || *e == '-')
		e++;
	if (e[0] == '0' && (e[1] == 'x' || e[1] == 'X')) {
		e += 2;
		if (!*e)
			return false;
		for (; *e; e++)
			if (!is_digit(*e) && !((*e | 32) >= 'a' && (*e | 32) <= 'f'))
				return false;
		return true;
	}
	bool digits = false;
	for (; is_digit(*e); e++)
		digits = true;
	if (*e == '.')
		for (e++; is_digit(*e); e++)
			digits = true;
	if (!digits)
		return false;
	if (*e == 'e' || *e == 'E') {
		e++;
		if (*e == '+' || *e == '-')
			e++;
		if (!is_digit(*e))
			return false;
		while (is_digit(*e))
			e++;
	}
	return *e == '\0';
}

/* One quoted string covering the whole text ('' is an escaped quote). */
static bool is_string(const char *e)
{
	if (*e != '\'')
		return false;
	for (e++; *e; e++) {
		if (*e != '\'')
			continue;
		if (e[1] == '\'') {
			e++;
			continue;
		}
		return e[1] == '\0';
	}
	return false;
}

bool dbs_expr_is_literal(const char *e, bool allow_current)
{
	if (!e || !*e)
		return false;
	if (is_number(e) || is_string(e))
		return true;
	if ((e[0] == 'x' || e[0] == 'X') && is_string(e + 1))
		return true;
	if (is_word(e, "NULL") || is_word(e, "TRUE") || is_word(e, "FALSE"))
		return true;
	return allow_current && (is_word(e, "CURRENT_TIME") || is_word(e, "CURRENT_DATE") ||
		is_word(e, "CURRENT_TIMESTAMP"));
}

/* A collation, index method or operator class: bare when a plain word (as
 * the catalogs print them), quoted otherwise, so no name can end a clause. */
void dbs_render_word(dbs_buf *out, dbsync_dialect d, const char *w)
{
	bool plain = *w != '\0';
	for (const char *c = w; *c && plain; c++)
		plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_';
	if (plain)
		dbs_buf_puts(out, w);
	else
		dbs_quote_ident(out, d, w);
}

int dbs_render_template(dbs_buf *out, dbsync_dialect d, const char *tmpl, const char *const *names, size_t n)
{
	size_t used = 0;
	for (const char *c = tmpl; *c; c++) {
		if (c[0] == '%' && c[1] == 's' && used < n) {
			dbs_quote_ident(out, d, names[used++]);
			c++;
		} else {
			dbs_buf_putc(out, *c);
		}
	}
	return dbs_buf_ok(out) ? 0 : DBSYNC_ENOMEM;
}

void dbs_render_names(dbs_buf *out, dbsync_dialect d, const dbs_str_vec *v)
{
	for (size_t i = 0; i < v->n; i++) {
		if (i)
			dbs_buf_puts(out, ", ");
		dbs_quote_ident(out, d, v->items[i]);
	}
}

static void put_constraint_name(dbs_buf *out, dbsync_dialect d, const dbs_constraint *k)
{
	if (!k->name || (dbs_dialect_info_for(d)->pk_unnamed && k->kind == DBS_CON_PRIMARY))
		return;
	dbs_buf_puts(out, " CONSTRAINT ");
	dbs_quote_ident(out, d, k->name);
}

static bool col_is(dbsync_dialect d, const dbs_constraint *k, const dbs_column *c)
{
	return k->cols.n == 1 && dbs_name_eq(d, k->cols.items[0], c->name);
}

/* SQLite accepts AUTOINCREMENT only inline, so a one-column table-level primary
 * key on an autoincrement column is written inline. */
static bool renders_inline(dbsync_dialect d, const dbs_table *t, const dbs_constraint *k)
{
	/* MySQL takes no constraint name on a column-level key, and parses but
	 * ignores a column-level REFERENCES: those go table-level */
	const dbs_dialect_info *info = dbs_dialect_info_for(d);
	if (info->column_keys_plain && ((k->name && k->kind != DBS_CON_PRIMARY) || k->kind == DBS_CON_FOREIGN ||
	    k->comment)) /* a column-level key takes no COMMENT either (that would be the column's) */
		return false;
	if (k->inline_col)
		return k->cols.n == 1;
	if (k->kind != DBS_CON_PRIMARY || k->cols.n != 1 || !info->pk_autoincrement_keyword)
		return false;
	for (size_t i = 0; i < t->columns.n; i++)
		if (col_is(d, k, t->columns.items[i]))
			return k->pk_autoincrement || t->columns.items[i]->autoincrement;
	return false;
}

static void put_inline(dbs_buf *out, dbsync_dialect d, const dbs_table *t, const dbs_column *c,
	dbs_con_kind kind)
{
	for (size_t i = 0; i < t->constraints.n; i++) {
		const dbs_constraint *k = t->constraints.items[i];
		if (k->kind != kind || !renders_inline(d, t, k) || !col_is(d, k, c))
			continue;
		put_constraint_name(out, d, k);
		switch (kind) {
		case DBS_CON_PRIMARY:
			dbs_buf_puts(out, " PRIMARY KEY");
			if (dbs_dialect_info_for(d)->pk_autoincrement_keyword && (k->pk_autoincrement || c->autoincrement))
				dbs_buf_printf(out, " %s", dbs_dialect_info_for(d)->pk_autoincrement_keyword);
			break;
		case DBS_CON_UNIQUE:
			dbs_buf_puts(out, " UNIQUE");
			break;
		case DBS_CON_CHECK:
			dbs_buf_printf(out, " CHECK (%s)", k->check_expr ? k->check_expr : "");
			if (k->no_inherit && dbs_dialect_info_for(d)->no_inherit)
				dbs_buf_puts(out, " NO INHERIT");
			break;
		case DBS_CON_FOREIGN:
			dbs_render_references(out, d, k);
			break;
		case DBS_CON_EXCLUDE:
			break; /* never inline */
		}
	}
}

int dbs_render_column_def(dbs_buf *out, dbsync_dialect d, const dbs_table *t, const dbs_column *c)
{
	const dbs_dialect_info *info = dbs_dialect_info_for(d);
	dbs_quote_ident(out, d, c->name);
	if (c->type)
		dbs_buf_printf(out, " %s", c->type);
	if (c->charset && info->charsets) {
		dbs_buf_puts(out, " CHARACTER SET ");
		dbs_render_word(out, d, c->charset);
	}
	if (c->collation && info->collations_quoted) {
		dbs_buf_puts(out, " COLLATE ");
		dbs_quote_ident(out, d, c->collation);
	} else if (c->collation) {
		dbs_buf_puts(out, " COLLATE ");
		dbs_render_word(out, d, c->collation);
	}
	if (c->default_expr) {
		if (dbs_expr_is_literal(c->default_expr, true))
			dbs_buf_printf(out, " DEFAULT %s", c->default_expr);
		else
			dbs_buf_printf(out, " DEFAULT (%s)", c->default_expr);
	}
	if (c->identity)
		dbs_buf_printf(out, " GENERATED %s AS IDENTITY", c->identity);
	if (c->identity && c->identity_options)
		dbs_buf_printf(out, " (%s)", c->identity_options);
	if (c->generated_expr) {
		dbs_buf_printf(out, " GENERATED ALWAYS AS (%s) %s", c->generated_expr,
			c->generated_stored ? "STORED" : "VIRTUAL");
		if (c->not_null)
			dbs_buf_puts(out, " NOT NULL");
	} else {
		dbs_buf_puts(out, c->not_null ? " NOT NULL" : " NULL");
	}
	if (c->autoincrement && info->column_autoincrement_keyword)
		dbs_buf_printf(out, " %s", info->column_autoincrement_keyword);
	put_inline(out, d, t, c, DBS_CON_PRIMARY);
	put_inline(out, d, t, c, DBS_CON_UNIQUE);
	put_inline(out, d, t, c, DBS_CON_CHECK);
	put_inline(out, d, t, c, DBS_CON_FOREIGN);
	if (c->comment && info->comments_inline) {
		dbs_buf_puts(out, " COMMENT ");
		dbs_quote_literal(out, d, c->comment);
	}
	if (c->on_update_expr && info->column_on_update)
		dbs_buf_printf(out, " ON UPDATE %s", c->on_update_expr);
	return dbs_buf_ok(out) ? 0 : DBSYNC_ENOMEM;
}

int dbs_render_create_table(dbs_buf *out, dbsync_dialect d, const dbs_table *t)
{
	const dbs_dialect_info *info = dbs_dialect_info_for(d);
	dbs_buf_puts(out, "CREATE TABLE ");
	dbs_quote_ident(out, d, t->name);
	dbs_buf_puts(out, " (");
	for (size_t i = 0; i < t->columns.n; i++) {
		if (i)
			dbs_buf_puts(out, ", ");
		dbs_render_column_def(out, d, t, t->columns.items[i]);
	}
	/* An inline constraint whose column is gone would be lost; keep it at table level. */
	for (size_t i = 0; i < t->constraints.n; i++) {
		const dbs_constraint *k = t->constraints.items[i];
		bool has_col = false;
		if (renders_inline(d, t, k))
			for (size_t j = 0; j < t->columns.n && !has_col; j++)
				has_col = col_is(d, k, t->columns.items[j]);
		if (!has_col) {
			dbs_buf_puts(out, ", ");
			dbs_render_constraint(out, d, k);
		}
	}
	dbs_buf_putc(out, ')');
	if (t->without_rowid)
		dbs_buf_puts(out, " WITHOUT ROWID");
	if (t->strict)
		dbs_buf_puts(out, t->without_rowid ? ", STRICT" : " STRICT");
	if (t->charset && info->charsets) {
		dbs_buf_puts(out, " DEFAULT CHARSET=");
		dbs_render_word(out, d, t->charset);
	}
	if (t->collation && !t->collation_implied && info->charsets) {
		dbs_buf_puts(out, " COLLATE=");
		dbs_render_word(out, d, t->collation);
	}
	if (t->comment && info->comments_inline) {
		dbs_buf_puts(out, " COMMENT=");
		dbs_quote_literal(out, d, t->comment);
	}
	return dbs_buf_ok(out) ? 0 : DBSYNC_ENOMEM;
}

/* "(part, ...)" of an index or an exclusion constraint (parts with an operator). */
static void put_index_parts(dbs_buf *out, dbsync_dialect d, const dbs_index *ix)
{
	const dbs_dialect_info *info = dbs_dialect_info_for(d);
	dbs_buf_puts(out, "(");
	for (size_t i = 0; i < ix->parts.n; i++) {
		const dbs_index_part *p = &ix->parts.items[i];
		if (i)
			dbs_buf_puts(out, ", ");
		if (p->column)
			dbs_quote_ident(out, d, p->column);
		else
			dbs_buf_printf(out, "(%s)", p->expr ? p->expr : "");
		if (p->prefix_len > 0)
			dbs_buf_printf(out, "(%d)", p->prefix_len);
		if (p->collation && info->collations_quoted) {
			dbs_buf_puts(out, " COLLATE ");
			dbs_quote_ident(out, d, p->collation);
		} else if (p->collation) {
			dbs_buf_puts(out, " COLLATE ");
			dbs_render_word(out, d, p->collation);
		}
		if (p->opclass) {
			dbs_buf_putc(out, ' ');
			dbs_render_word(out, d, p->opclass);
		}
		if (p->desc)
			dbs_buf_puts(out, " DESC");
		if (p->nulls_reversed && info->index_nulls_order)
			dbs_buf_puts(out, p->desc ? " NULLS LAST" : " NULLS FIRST");
		if (p->op)
			dbs_buf_printf(out, " WITH %s", p->op);
	}
	dbs_buf_putc(out, ')');
}

/* What follows the parts, in the order PostgreSQL's grammar wants them. */
static void put_index_params(dbs_buf *out, dbsync_dialect d, const dbs_index *ix)
{
	const dbs_dialect_info *info = dbs_dialect_info_for(d);
	if (ix->include.n) {
		dbs_buf_puts(out, " INCLUDE (");
		dbs_render_names(out, d, &ix->include);
		dbs_buf_putc(out, ')');
	}
	if (ix->nulls_not_distinct && info->unique_nulls_distinct)
		dbs_buf_puts(out, " NULLS NOT DISTINCT");
	if (ix->options && info->index_storage_params)
		dbs_buf_printf(out, " WITH (%s)", ix->options);
}

/* What follows an index's name and table, or EXCLUDE: " [USING method]
 * (part, ...) [INCLUDE (...)] [NULLS NOT DISTINCT] [WITH (...)] [WHERE
 * pred]", each clause as far as the dialect writes it; the predicate in
 * parentheses with where_parens (an exclusion constraint's grammar). */
static void put_index_body(dbs_buf *out, dbsync_dialect d, const dbs_index *ix, bool where_parens)
{
	if (ix->method && dbs_dialect_info_for(d)->index_using_method) {
		dbs_buf_puts(out, " USING ");
		dbs_render_word(out, d, ix->method);
	}
	dbs_buf_putc(out, ' ');
	put_index_parts(out, d, ix);
	put_index_params(out, d, ix);
	if (ix->where_expr)
		dbs_buf_printf(out, where_parens ? " WHERE (%s)" : " WHERE %s", ix->where_expr);
}

int dbs_render_exclude(dbs_buf *out, dbsync_dialect d, const dbs_index *ex)
{
	dbs_buf_puts(out, "EXCLUDE");
	put_index_body(out, d, ex, true);
	return dbs_buf_ok(out) ? 0 : DBSYNC_ENOMEM;
}

/* Whether `s` is `word` in lower case, exactly. */
static bool is_lower_of(const char *s, const char *word)
{
	for (; *word; s++, word++)
		if (*s != (*word >= 'A' && *word <= 'Z' ? *word + 32 : *word))
			return false;
	return *s == '\0';
}

/* The word of `ix`'s method when the dialect writes it as an index kind
 * (MySQL's FULLTEXT and SPATIAL are kinds, not methods; the parser keeps
 * them as the method in lower case), else NULL. */
static const char *index_kind(const dbs_dialect_info *info, const dbs_index *ix)
{
	for (const char *const *k = info->index_kind_words; ix->method && k && *k; k++)
		if (is_lower_of(ix->method, *k))
			return *k;
	return NULL;
}

int dbs_render_create_index(dbs_buf *out, dbsync_dialect d, const dbs_table *t, const dbs_index *ix)
{
	const dbs_dialect_info *info = dbs_dialect_info_for(d);
	const char *kind = ix->unique ? NULL : index_kind(info, ix);
	if (ix->unique) {
		dbs_buf_puts(out, "CREATE UNIQUE INDEX ");
	} else if (kind) {
		dbs_buf_printf(out, "CREATE %s INDEX ", kind);
	} else {
		dbs_buf_puts(out, "CREATE INDEX ");
	}
	dbs_quote_ident(out, d, ix->name);
	dbs_buf_puts(out, " ON ");
	dbs_quote_ident(out, d, t->name);
	put_index_body(out, d, ix, false);
	if (ix->comment && info->comments_inline) {
		dbs_buf_puts(out, " COMMENT ");
		dbs_quote_literal(out, d, ix->comment);
	}
	return dbs_buf_ok(out) ? 0 : DBSYNC_ENOMEM;
}

int dbsync_schema_to_sql(char **out, dbsync_ctx *ctx, const dbsync_schema *schema)
{
	int rc = 0;
	dbs_buf b = DBS_BUF_INIT;
	const dbs_table **order = NULL;
	size_t n = schema->tables.n;
	*out = NULL;
	order = malloc((n + 1) * sizeof *order);
	if (!order) {
		rc = dbs_error_oom(ctx);
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = schema->tables.items[i];
	if (dbs_topo_order_tables(schema->dialect, order, n)) {
		rc = dbs_error_oom(ctx);
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		dbs_render_create_table(&b, schema->dialect, order[i]);
		dbs_buf_puts(&b, ";\n");
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < order[i]->indexes.n; j++) {
			dbs_render_create_index(&b, schema->dialect, order[i], order[i]->indexes.items[j]);
			dbs_buf_puts(&b, ";\n");
		}
	/* comments the dialect keeps apart from the objects (PostgreSQL's COMMENT ON) */
	const dbs_dialect_info *info = dbs_dialect_info_for(schema->dialect);
	for (size_t i = 0; i < n && info->render_comments; i++)
		info->render_comments(&b, order[i]);
	for (size_t i = 0; i < schema->views.n; i++) {
		const dbs_view *v = schema->views.items[i];
		if (!v->definition || !*v->definition) {
			/* never "CREATE VIEW v AS ;": say why the definition is missing */
			dbs_buf_puts(&b, "-- view ");
			dbs_quote_ident(&b, schema->dialect, v->name);
			dbs_buf_puts(&b, ": the server showed this user no definition (MySQL and MariaDB show it "
				"only with the SHOW VIEW privilege)\n");
			continue;
		}
		dbs_buf_puts(&b, "CREATE VIEW ");
		dbs_quote_ident(&b, schema->dialect, v->name);
		dbs_buf_printf(&b, " AS %s;\n", v->definition);
	}
	*out = dbs_buf_detach(&b);
	if (!*out)
		rc = dbs_error_oom(ctx);
cleanup:
	free(order);
	dbs_buf_free(&b);
	return rc;
}
