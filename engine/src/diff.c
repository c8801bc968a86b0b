#include "diff.h"

#include <string.h>

#include "ctx.h"
#include "dialect.h"



/* NO ACTION is what an absent clause means */
static bool action_eq(const char *a, const char *b)
{
	if (a && dbs_ascii_ieq(a, "NO ACTION"))
		a = NULL;
	if (b && dbs_ascii_ieq(b, "NO ACTION"))
		b = NULL;
	return dbs_ascii_ieq(a, b);
}


static bool name_set_eq(dbsync_dialect d, const dbs_str_vec *a, const dbs_str_vec *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		bool found = false;
		for (size_t j = 0; j < b->n && !found; j++)
			found = dbs_name_eq(d, a->items[i], b->items[j]);
		if (!found)
			return false;
	}
	return true;
}

bool dbs_is_rowid_alias(dbsync_dialect d, const dbs_table *t, const dbs_column *c)
{
	const char *rowid_type = dbs_dialect_info_for(d)->rowid_alias_type;
	if (!rowid_type || t->without_rowid || !c->type || strcmp(c->type, rowid_type) != 0)
		return false;
	const dbs_constraint *pk = dbs_table_primary_key(t);
	return pk && pk->cols.n == 1 && dbs_name_eq(d, pk->cols.items[0], c->name);
}

bool dbs_column_autoincrement(dbsync_dialect d, const dbs_table *t, const dbs_column *c)
{
	if (c->autoincrement)
		return true;
	const dbs_constraint *pk = dbs_table_primary_key(t);
	return pk && pk->pk_autoincrement && pk->cols.n == 1 && dbs_name_eq(d, pk->cols.items[0], c->name);
}

/* A column's collation is compared as the server applies it (dialect.h). */
static bool collation_eq(dbsync_dialect d, const dbs_table *live_t, const dbs_column *live,
	const dbs_table *want_t, const dbs_column *want)
{
	const dbs_dialect_info *info = dbs_dialect_info_for(d);
	if (info->collation_eq)
		return info->collation_eq(live_t, live, want_t, want);
	return dbs_ascii_ieq(live->collation, want->collation);
}

unsigned dbs_column_diff(dbsync_dialect d, const dbs_table *live_t, const dbs_column *live,
	const dbs_table *want_t, const dbs_column *want)
{
	unsigned diff = 0;
	if (!dbs_str_eq(live->type, want->type))
		diff |= DBS_COL_TYPE;
	bool live_nn = live->not_null || dbs_is_rowid_alias(d, live_t, live);
	bool want_nn = want->not_null || dbs_is_rowid_alias(d, want_t, want);
	/* an unvalidated NOT NULL is neither: SET NOT NULL validates it (old
	 * NULLs counted first), DROP NOT NULL removes it */
	if (live_nn != want_nn || live->not_null_not_valid)
		diff |= DBS_COL_NOT_NULL;
	/* MySQL's ON UPDATE CURRENT_TIMESTAMP goes with the default (MODIFY
	 * COLUMN writes both); no other dialect reads one */
	if (!dbs_str_eq(live->default_expr, want->default_expr) || !dbs_str_eq(live->on_update_expr, want->on_update_expr))
		diff |= DBS_COL_DEFAULT;
	if (!dbs_str_eq(live->generated_expr, want->generated_expr) ||
	    (want->generated_expr && live->generated_stored != want->generated_stored))
		diff |= DBS_COL_GENERATED;
	if (dbs_column_autoincrement(d, live_t, live) != dbs_column_autoincrement(d, want_t, want))
		diff |= DBS_COL_AUTOINCREMENT;
	if (!collation_eq(d, live_t, live, want_t, want))
		diff |= DBS_COL_COLLATION;
	if (!dbs_ascii_ieq(live->identity, want->identity) ||
	    (want->identity && !dbs_str_eq(live->identity_options, want->identity_options)))
		diff |= DBS_COL_IDENTITY;
	/* a serial's sequence keeps its type when the column changes its own; an
	 * identity's follows the column (the server sees to it) */
	if (live->sequence_type && want->sequence_type && !live->identity && !want->identity &&
	    strcmp(live->sequence_type, want->sequence_type) != 0)
		diff |= DBS_COL_SEQUENCE;
	return diff;
}

/* Explicit names count only when both sides have one: Django leaves inline
 * constraints unnamed, and a database may report generated names. */
static bool names_compatible(dbsync_dialect d, const dbs_constraint *a, const dbs_constraint *b)
{
	return !a->name || !b->name || dbs_name_eq(d, a->name, b->name);
}

/* An empty list means "the referenced primary key"; without the referenced
 * table at hand, any list of the right length is taken to be it. */
static bool ref_cols_eq(dbsync_dialect d, const dbs_constraint *a, const dbs_constraint *b)
{
	if (!a->ref_cols.n || !b->ref_cols.n) {
		size_t n = a->ref_cols.n ? a->ref_cols.n : b->ref_cols.n;
		return n == 0 || n == a->cols.n;
	}
	return dbs_names_eq(d, &a->ref_cols, &b->ref_cols);
}

/* MySQL keeps a key's comment in its definition, as an index's (no ALTER
 * changes it); PostgreSQL's COMMENT ON CONSTRAINT is planned on its own. */
static bool inline_comment_eq(dbsync_dialect d, const dbs_constraint *a, const dbs_constraint *b)
{
	return !dbs_dialect_info_for(d)->comments_inline || dbs_str_eq(a->comment, b->comment);
}

bool dbs_constraint_equal(dbsync_dialect d, const dbs_constraint *a, const dbs_constraint *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case DBS_CON_PRIMARY:
		return dbs_names_eq(d, &a->cols, &b->cols) && inline_comment_eq(d, a, b);
	case DBS_CON_UNIQUE:
		return names_compatible(d, a, b) && name_set_eq(d, &a->cols, &b->cols) && inline_comment_eq(d, a, b) &&
			a->nulls_not_distinct == b->nulls_not_distinct && a->deferrable == b->deferrable &&
			a->initially_deferred == b->initially_deferred;
	case DBS_CON_CHECK:
		return names_compatible(d, a, b) && dbs_str_eq(a->check_expr, b->check_expr) &&
			a->no_inherit == b->no_inherit;
	case DBS_CON_FOREIGN:
		return dbs_names_eq(d, &a->cols, &b->cols) && dbs_name_eq(d, a->ref_table, b->ref_table) &&
			ref_cols_eq(d, a, b) && action_eq(a->on_delete, b->on_delete) &&
			action_eq(a->on_update, b->on_update) && a->deferrable == b->deferrable &&
			a->initially_deferred == b->initially_deferred && a->match_full == b->match_full;
	case DBS_CON_EXCLUDE:
		return names_compatible(d, a, b) && a->exclude && b->exclude &&
			dbs_index_equal(d, a->exclude, b->exclude) && a->deferrable == b->deferrable &&
			a->initially_deferred == b->initially_deferred;
	}
	return false;
}

static bool method_eq(const char *a, const char *b)
{
	if (a && dbs_ascii_ieq(a, "btree"))
		a = NULL;
	if (b && dbs_ascii_ieq(b, "btree"))
		b = NULL;
	return dbs_ascii_ieq(a, b);
}

bool dbs_index_equal(dbsync_dialect d, const dbs_index *a, const dbs_index *b)
{
	if (a->unique != b->unique || a->parts.n != b->parts.n || !dbs_str_eq(a->where_expr, b->where_expr) ||
	    !method_eq(a->method, b->method) || !dbs_names_eq(d, &a->include, &b->include) ||
	    !dbs_str_eq(a->options, b->options) || a->nulls_not_distinct != b->nulls_not_distinct)
		return false;
	/* MySQL keeps an index's comment in its definition (no ALTER changes it);
	 * PostgreSQL's COMMENT ON INDEX is planned on its own */
	if (dbs_dialect_info_for(d)->comments_inline && !dbs_str_eq(a->comment, b->comment))
		return false;
	for (size_t i = 0; i < a->parts.n; i++) {
		const dbs_index_part *p = &a->parts.items[i], *q = &b->parts.items[i];
		if (!dbs_name_eq(d, p->column, q->column) || !dbs_str_eq(p->expr, q->expr) || p->desc != q->desc ||
		    p->nulls_reversed != q->nulls_reversed ||
		    !dbs_ascii_ieq(p->collation, q->collation) || !dbs_ascii_ieq(p->opclass, q->opclass) ||
		    p->prefix_len != q->prefix_len || !dbs_str_eq(p->op, q->op))
			return false;
	}
	return true;
}

/* SQLite's own indexes behind UNIQUE / PRIMARY KEY constraints are part of the
 * constraint, never managed as indexes. */
static bool is_internal_index(dbsync_dialect d, const dbs_index *ix)
{
	const char *prefix = dbs_dialect_info_for(d)->internal_index_prefix;
	return prefix && strncmp(ix->name, prefix, strlen(prefix)) == 0;
}

static int push(dbs_diff *d, dbs_table_diff *td, dbs_change ch)
{
	return DBS_VEC_PUSH(&d->arena, &td->changes, ch);
}

static int diff_columns(dbs_diff *d, dbs_table_diff *td, const dbsync_schema *live_s,
	const dbsync_schema *want_s)
{
	const dbs_table *L = td->live, *W = td->want;
	for (size_t i = 0; i < W->columns.n; i++) {
		const dbs_column *wc = W->columns.items[i];
		const dbs_column *lc = dbs_table_find_column(live_s, L, wc->name);
		dbs_change ch = { 0 };
		ch.want_col = wc;
		ch.live_col = lc;
		if (!lc) {
			ch.kind = DBS_CH_ADD_COLUMN;
		} else {
			ch.col_diff = dbs_column_diff(d->dialect, L, lc, W, wc);
			if (!ch.col_diff)
				continue;
			ch.kind = DBS_CH_ALTER_COLUMN;
		}
		if (push(d, td, ch))
			return -1;
	}
	for (size_t i = 0; i < L->columns.n; i++) {
		const dbs_column *lc = L->columns.items[i];
		if (dbs_table_find_column(want_s, W, lc->name))
			continue;
		dbs_change ch = { .kind = DBS_CH_DROP_COLUMN, .live_col = lc };
		if (push(d, td, ch))
			return -1;
	}
	return 0;
}

static bool django_generated_name(const char *name);

/* PostgreSQL renames a constraint or an index in place, so there a name
 * given on both sides counts, foreign keys included; except two names both
 * made by Django, which derives them from the table (a renamed table keeps
 * the old ones, and Django sees no difference). */
static bool pg_names_match(const char *live, const char *want)
{
	return !live || !want || strcmp(live, want) == 0 ||
		(django_generated_name(live) && django_generated_name(want));
}

/* Definition equality, names aside. */
static bool equal_but_name(dbsync_dialect d, const dbs_constraint *a, const dbs_constraint *b)
{
	dbs_constraint x = *a, y = *b;
	x.name = y.name = NULL;
	return dbs_constraint_equal(d, &x, &y);
}

/* Constraints pair up one to one; what is left on either side is a change.
 * On PostgreSQL a desired named constraint whose definition is left over on
 * the live side under another name is that one renamed. */
static int diff_constraints(dbs_diff *d, dbs_table_diff *td)
{
	const dbs_table *L = td->live, *W = td->want;
	bool renames = dbs_dialect_info_for(d->dialect)->renames_constraints;
	bool *used = dbs_arena_alloc(&d->arena, L->constraints.n + 1);
	const dbs_constraint **renamed = dbs_arena_alloc(&d->arena, (W->constraints.n + 1) * sizeof *renamed);
	if (!used || !renamed)
		return -1;
	bool *paired = dbs_arena_alloc(&d->arena, W->constraints.n + 1);
	if (!paired)
		return -1;
	for (size_t i = 0; i < W->constraints.n; i++) {
		const dbs_constraint *wk = W->constraints.items[i];
		for (size_t j = 0; j < L->constraints.n && !paired[i]; j++) {
			const dbs_constraint *lk = L->constraints.items[j];
			if (!used[j] && dbs_constraint_equal(d->dialect, lk, wk) &&
			    (!renames || wk->kind != DBS_CON_FOREIGN || pg_names_match(lk->name, wk->name)))
				used[j] = paired[i] = true;
		}
	}
	for (size_t i = 0; renames && i < W->constraints.n; i++) {
		const dbs_constraint *wk = W->constraints.items[i];
		if (paired[i] || !wk->name || wk->kind == DBS_CON_PRIMARY)
			continue;
		for (size_t j = 0; j < L->constraints.n && !renamed[i]; j++) {
			const dbs_constraint *lk = L->constraints.items[j];
			if (!used[j] && lk->name && equal_but_name(d->dialect, lk, wk)) {
				used[j] = paired[i] = true;
				renamed[i] = lk;
			}
		}
	}
	for (size_t i = 0; i < W->constraints.n; i++) {
		const dbs_constraint *wk = W->constraints.items[i];
		if (renamed[i]) {
			dbs_change ch = { .kind = DBS_CH_RENAME_CONSTRAINT, .live_con = renamed[i], .want_con = wk };
			if (push(d, td, ch))
				return -1;
		}
		if (paired[i])
			continue;
		dbs_change ch = { .kind = DBS_CH_ADD_CONSTRAINT, .want_con = wk };
		if (push(d, td, ch))
			return -1;
	}
	for (size_t j = 0; j < L->constraints.n; j++) {
		if (used[j])
			continue;
		dbs_change ch = { .kind = DBS_CH_DROP_CONSTRAINT, .live_con = L->constraints.items[j] };
		if (push(d, td, ch))
			return -1;
	}
	return 0;
}

static const dbs_index *find_index(dbsync_dialect d, const dbs_table *t, const char *name)
{
	for (size_t i = 0; i < t->indexes.n; i++)
		if (strcmp(t->indexes.items[i]->name, name) == 0)
			return t->indexes.items[i];
	for (size_t i = 0; i < t->indexes.n; i++)
		if (dbs_name_eq(d, t->indexes.items[i]->name, name))
			return t->indexes.items[i];
	return NULL;
}

/* "_" and 8 lower-case hex digits end name[0..n). */
static bool hash_suffix(const char *name, size_t n)
{
	if (n < 10 || name[n - 9] != '_')
		return false;
	for (size_t i = n - 8; i < n; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return false;
	return true;
}

/* Django's own index names: "<table>_<columns>_<8 hex digits>", "_like"
 * after them for PostgreSQL's pattern-ops twin; on MySQL the index InnoDB
 * makes for a foreign key takes the key's name, "<...>_<8 hex>_fk_<...>". */
static bool django_generated_name(const char *name)
{
	size_t n = strlen(name);
	if (n > 5 && strcmp(name + n - 5, "_like") == 0)
		n -= 5;
	if (hash_suffix(name, n))
		return true;
	for (const char *fk = strstr(name, "_fk_"); fk; fk = strstr(fk + 1, "_fk_"))
		if (hash_suffix(name, (size_t)(fk - name)))
			return true;
	return false;
}

/* A live index no desired index claims by name, equal in definition to
 * desired index `wx` that has no live namesake, both names made by Django, is
 * the same index: Django derives those names from the table, so a table a
 * migration renamed (AlterModelTable) keeps the old ones, and Django itself
 * sees no difference. A name given by hand still counts. */
static const dbs_index *same_under_other_name(dbsync_dialect d, const dbs_table *L, const dbs_table *W,
	const dbs_index *wx, const bool *taken)
{
	if (!django_generated_name(wx->name))
		return NULL;
	for (size_t i = 0; i < L->indexes.n; i++) {
		const dbs_index *lx = L->indexes.items[i];
		if (taken[i] || is_internal_index(d, lx) || !django_generated_name(lx->name) ||
		    find_index(d, W, lx->name) || !dbs_index_equal(d, lx, wx))
			continue;
		return lx;
	}
	return NULL;
}

static int diff_indexes(dbs_diff *d, dbs_table_diff *td)
{
	const dbs_table *L = td->live, *W = td->want;
	bool *taken = dbs_arena_alloc(&d->arena, L->indexes.n + 1);
	const dbs_index **renamed = dbs_arena_alloc(&d->arena, (W->indexes.n + 1) * sizeof *renamed);
	if (!taken || !renamed)
		return -1;
	for (size_t i = 0; i < W->indexes.n; i++) {
		const dbs_index *wx = W->indexes.items[i];
		if (find_index(d->dialect, L, wx->name))
			continue;
		const dbs_index *lx = same_under_other_name(d->dialect, L, W, wx, taken);
		for (size_t j = 0; lx && j < L->indexes.n; j++)
			if (L->indexes.items[j] == lx)
				taken[j] = true;
		renamed[i] = lx;
	}
	/* PostgreSQL: a live index no desired index names, equal to a desired one
	 * no live index names, is that one under its old name: ALTER INDEX RENAME */
	for (size_t i = 0; dbs_dialect_info_for(d->dialect)->renames_indexes && i < W->indexes.n; i++) {
		const dbs_index *wx = W->indexes.items[i];
		if (renamed[i] || find_index(d->dialect, L, wx->name))
			continue;
		for (size_t j = 0; j < L->indexes.n && !renamed[i]; j++) {
			const dbs_index *lx = L->indexes.items[j];
			if (taken[j] || find_index(d->dialect, W, lx->name) || !dbs_index_equal(d->dialect, lx, wx))
				continue;
			taken[j] = true;
			renamed[i] = lx;
			dbs_change ch = { .kind = DBS_CH_RENAME_INDEX, .live_ix = lx, .want_ix = wx };
			if (push(d, td, ch))
				return -1;
		}
	}
	for (size_t i = 0; i < L->indexes.n; i++) {
		const dbs_index *lx = L->indexes.items[i];
		if (taken[i] || is_internal_index(d->dialect, lx))
			continue;
		const dbs_index *wx = find_index(d->dialect, W, lx->name);
		if (wx && dbs_index_equal(d->dialect, lx, wx))
			continue;
		dbs_change ch = { .kind = DBS_CH_DROP_INDEX, .live_ix = lx, .want_ix = wx, .redefined = wx != NULL };
		if (push(d, td, ch))
			return -1;
	}
	for (size_t i = 0; i < W->indexes.n; i++) {
		const dbs_index *wx = W->indexes.items[i];
		if (renamed[i])
			continue;
		const dbs_index *lx = find_index(d->dialect, L, wx->name);
		if (lx && dbs_index_equal(d->dialect, lx, wx))
			continue;
		dbs_change ch = { .kind = DBS_CH_ADD_INDEX, .live_ix = lx, .want_ix = wx, .redefined = lx != NULL };
		if (push(d, td, ch))
			return -1;
	}
	return 0;
}

int dbs_diff_schemas(dbs_diff *out, dbsync_ctx *ctx, const dbsync_schema *live, const dbsync_schema *want)
{
	memset(out, 0, sizeof *out);
	dbs_arena_init(&out->arena);
	out->dialect = want->dialect;
	for (size_t i = 0; i < want->tables.n; i++) {
		const dbs_table *W = want->tables.items[i];
		dbs_table_diff *td = dbs_arena_alloc(&out->arena, sizeof *td);
		if (!td)
			return dbs_error_oom(ctx);
		td->want = W;
		td->live = dbs_schema_find_table(live, W->name);
		if (td->live) {
			/* MySQL: the table's default charset changes before a column
			 * that takes it is added or modified */
			bool (*charset_differs)(const dbs_table *, const dbs_table *) =
				dbs_dialect_info_for(out->dialect)->table_charset_differs;
			if (charset_differs && charset_differs(td->live, W)) {
				dbs_change ch = { .kind = DBS_CH_TABLE_OPTIONS };
				if (push(out, td, ch))
					return dbs_error_oom(ctx);
			}
			if (diff_columns(out, td, live, want) || diff_constraints(out, td) || diff_indexes(out, td))
				return dbs_error_oom(ctx);
			if (td->live->without_rowid != W->without_rowid || td->live->strict != W->strict) {
				dbs_change ch = { .kind = DBS_CH_TABLE_OPTIONS };
				if (push(out, td, ch))
					return dbs_error_oom(ctx);
			}
			if (!td->changes.n)
				continue;
		}
		if (DBS_VEC_PUSH(&out->arena, &out->tables, td) ||
		    dbs_name_index_add(&out->names, W->name, out->tables.n - 1))
			return dbs_error_oom(ctx);
	}
	return 0;
}

void dbs_diff_free(dbs_diff *d)
{
	if (d) {
		dbs_arena_free(&d->arena);
		dbs_name_index_clear(&d->names);
	}
}

int dbs_diff_reindex(dbs_diff *d)
{
	dbs_name_index names = { 0 };
	for (size_t i = 0; i < d->tables.n; i++)
		if (dbs_name_index_add(&names, d->tables.items[i]->want->name, i)) {
			dbs_name_index_clear(&names);
			return -1;
		}
	dbs_name_index_clear(&d->names);
	d->names = names;
	return 0;
}

const dbs_table_diff *dbs_diff_find(const dbs_diff *d, const char *table)
{
	if (d->names.n == d->tables.n) {
		size_t i = dbs_name_index_find(&d->names, d->dialect, table);
		return i == DBS_NAME_NONE ? NULL : d->tables.items[i];
	}
	/* records were removed and the index not rebuilt: right, only slower */
	for (size_t i = 0; i < d->tables.n; i++)
		if (strcmp(d->tables.items[i]->want->name, table) == 0)
			return d->tables.items[i];
	for (size_t i = 0; i < d->tables.n; i++)
		if (dbs_name_eq(d->dialect, d->tables.items[i]->want->name, table))
			return d->tables.items[i];
	return NULL;
}

const char *dbs_change_kind_name(dbs_change_kind k)
{
	switch (k) {
	case DBS_CH_ADD_COLUMN: return "add_column";
	case DBS_CH_DROP_COLUMN: return "drop_column";
	case DBS_CH_ALTER_COLUMN: return "alter_column";
	case DBS_CH_ADD_CONSTRAINT: return "add_constraint";
	case DBS_CH_DROP_CONSTRAINT: return "drop_constraint";
	case DBS_CH_ADD_INDEX: return "add_index";
	case DBS_CH_DROP_INDEX: return "drop_index";
	case DBS_CH_TABLE_OPTIONS: return "table_options";
	case DBS_CH_RENAME_CONSTRAINT: return "rename_constraint";
	case DBS_CH_RENAME_INDEX: return "rename_index";
	}
	return "?";
}
