/*
 * Correcting a parsed table with what SQLite's pragmas say about it. SQLite
 * derived the pragma rows from the very text we parsed, so on a correct parse
 * nothing here changes anything; where our parse and SQLite disagree, SQLite
 * is right, because it is what enforces the schema.
 */
#include <string.h>
#include <strings.h>

#include "backend_sqlite.h"



static int copy_names(dbs_arena *a, dbs_str_vec *dst, const dbs_str_vec *src)
{
	dst->items = NULL;
	dst->n = dst->cap = 0;
	for (size_t i = 0; i < src->n; i++) {
		const char *s = dbs_arena_strdup(a, src->items[i]);
		if (!s || DBS_VEC_PUSH(a, dst, s))
			return -1;
	}
	return 0;
}

static dbs_column *copy_column(dbs_arena *a, const dbs_column *src)
{
	dbs_column *c = dbs_arena_alloc(a, sizeof *c);
	if (!c)
		return NULL;
	*c = *src;
	c->name = dbs_arena_strdup(a, src->name);
	c->type = dbs_arena_strdup(a, src->type);
	c->default_expr = dbs_arena_strdup(a, src->default_expr);
	c->generated_expr = dbs_arena_strdup(a, src->generated_expr);
	c->identity = dbs_arena_strdup(a, src->identity);
	c->collation = dbs_arena_strdup(a, src->collation);
	c->comment = dbs_arena_strdup(a, src->comment);
	c->on_update_expr = dbs_arena_strdup(a, src->on_update_expr);
	return c->name ? c : NULL;
}

static dbs_constraint *copy_constraint(dbs_arena *a, const dbs_constraint *src)
{
	dbs_constraint *c = dbs_arena_alloc(a, sizeof *c);
	if (!c)
		return NULL;
	*c = *src;
	c->name = dbs_arena_strdup(a, src->name);
	c->check_expr = dbs_arena_strdup(a, src->check_expr);
	c->ref_table = dbs_arena_strdup(a, src->ref_table);
	c->on_delete = dbs_arena_strdup(a, src->on_delete);
	c->on_update = dbs_arena_strdup(a, src->on_update);
	if (copy_names(a, &c->cols, &src->cols) || copy_names(a, &c->ref_cols, &src->ref_cols))
		return NULL;
	return c;
}

static int fix_columns(dbsync_schema *s, dbs_table *t, const dbs_table *p)
{
	dbs_arena *a = &s->arena;
	bool same = t->columns.n == p->columns.n;
	for (size_t i = 0; same && i < p->columns.n; i++)
		same = dbs_name_eq(s->dialect, t->columns.items[i]->name, p->columns.items[i]->name);
	if (!same) {
		/* SQLite's column list, keeping what the parse knew of each column */
		DBS_VEC(dbs_column *) cols = { 0 };
		for (size_t i = 0; i < p->columns.n; i++) {
			dbs_column *c = dbs_table_find_column(s, t, p->columns.items[i]->name);
			if (!c && !(c = copy_column(a, p->columns.items[i])))
				return -1;
			if (DBS_VEC_PUSH(a, &cols, c))
				return -1;
		}
		t->columns.items = cols.items;
		t->columns.n = cols.n;
		t->columns.cap = cols.cap;
	}
	for (size_t i = 0; i < p->columns.n; i++) {
		dbs_column *c = t->columns.items[i];
		const dbs_column *pc = p->columns.items[i];
		if (!dbs_str_eq(c->type, pc->type) && !(c->type = dbs_arena_strdup(a, pc->type)) && pc->type)
			return -1;
		c->not_null = pc->not_null;
		if (pc->generated_expr) {
			c->generated_stored = pc->generated_stored;
			c->default_expr = NULL;
			continue;
		}
		c->generated_expr = NULL;
		if (!dbs_str_eq(c->default_expr, pc->default_expr) &&
		    !(c->default_expr = dbs_arena_strdup(a, pc->default_expr)) && pc->default_expr)
			return -1;
	}
	return 0;
}

static void remove_constraint(dbs_table *t, size_t i)
{
	memmove(&t->constraints.items[i], &t->constraints.items[i + 1],
		(t->constraints.n - i - 1) * sizeof *t->constraints.items);
	t->constraints.n--;
}

static int fix_primary_key(dbsync_schema *s, dbs_table *t, const dbs_table *p)
{
	const dbs_constraint *pp = dbs_table_primary_key(p);
	for (size_t i = 0; i < t->constraints.n; i++) {
		dbs_constraint *c = t->constraints.items[i];
		if (c->kind != DBS_CON_PRIMARY)
			continue;
		if (!pp) {
			remove_constraint(t, i);
			return 0;
		}
		if (!dbs_names_eq(s->dialect, &c->cols, &pp->cols))
			return copy_names(&s->arena, &c->cols, &pp->cols);
		return 0;
	}
	if (!pp)
		return 0;
	dbs_constraint *c = copy_constraint(&s->arena, pp);
	return c ? DBS_VEC_PUSH(&s->arena, &t->constraints, c) : -1;
}

/* Every UNIQUE autoindex is a constraint the table has. A parsed UNIQUE with
 * no autoindex stays: SQLite folds one that duplicates another key. */
static int fix_uniques(dbsync_schema *s, dbs_table *t, const dbs_table *p)
{
	for (size_t i = 0; i < p->constraints.n; i++) {
		const dbs_constraint *pu = p->constraints.items[i];
		if (pu->kind != DBS_CON_UNIQUE)
			continue;
		bool found = false;
		for (size_t j = 0; j < t->constraints.n && !found; j++) {
			const dbs_constraint *c = t->constraints.items[j];
			found = (c->kind == DBS_CON_UNIQUE || c->kind == DBS_CON_PRIMARY) &&
				dbs_names_eq(s->dialect, &c->cols, &pu->cols);
		}
		if (found)
			continue;
		dbs_constraint *c = copy_constraint(&s->arena, pu);
		if (!c || DBS_VEC_PUSH(&s->arena, &t->constraints, c))
			return -1;
	}
	return 0;
}

/* SQLite's foreign key list is the whole truth about which FKs exist, where
 * they point and what they do; DEFERRABLE and names only the parse knows. */
static int fix_foreign_keys(dbsync_schema *s, dbs_table *t, const dbs_table *p)
{
	dbs_arena *a = &s->arena;
	size_t n_t = t->constraints.n;
	bool *matched = dbs_arena_alloc(a, n_t + 1);
	if (!matched)
		return -1;
	for (size_t i = 0; i < p->constraints.n; i++) {
		const dbs_constraint *pf = p->constraints.items[i];
		if (pf->kind != DBS_CON_FOREIGN)
			continue;
		dbs_constraint *c = NULL;
		for (size_t j = 0; j < n_t && !c; j++) {
			dbs_constraint *tc = t->constraints.items[j];
			if (tc->kind == DBS_CON_FOREIGN && !matched[j] &&
			    dbs_name_eq(s->dialect, tc->ref_table, pf->ref_table) &&
			    dbs_names_eq(s->dialect, &tc->cols, &pf->cols)) {
				matched[j] = true;
				c = tc;
			}
		}
		if (!c) {
			if (!(c = copy_constraint(a, pf)) || DBS_VEC_PUSH(a, &t->constraints, c))
				return -1;
			continue;
		}
		if (!dbs_names_eq(s->dialect, &c->ref_cols, &pf->ref_cols) && copy_names(a, &c->ref_cols, &pf->ref_cols))
			return -1;
		if (!dbs_str_eq(c->on_delete, pf->on_delete) &&
		    !(c->on_delete = dbs_arena_strdup(a, pf->on_delete)) && pf->on_delete)
			return -1;
		if (!dbs_str_eq(c->on_update, pf->on_update) &&
		    !(c->on_update = dbs_arena_strdup(a, pf->on_update)) && pf->on_update)
			return -1;
	}
	for (size_t j = n_t; j-- > 0;)
		if (t->constraints.items[j]->kind == DBS_CON_FOREIGN && !matched[j])
			remove_constraint(t, j);
	return 0;
}

static const char *effective_collation(const dbsync_schema *s, const dbs_table *t, const dbs_index_part *part)
{
	if (part->collation)
		return part->collation;
	if (part->column) {
		const dbs_column *c = dbs_table_find_column(s, t, part->column);
		if (c && c->collation)
			return c->collation;
	}
	return "BINARY";
}

static int fix_index(dbsync_schema *s, dbs_table *t, dbs_index *ix, const dbs_index *pi)
{
	dbs_arena *a = &s->arena;
	ix->unique = pi->unique;
	if (!pi->where_expr)
		ix->where_expr = NULL;
	if (ix->parts.n != pi->parts.n) {
		ix->parts.items = NULL;
		ix->parts.n = ix->parts.cap = 0;
		return dbs_index_copy_parts(a, ix, pi);
	}
	for (size_t i = 0; i < pi->parts.n; i++) {
		dbs_index_part *part = &ix->parts.items[i];
		const dbs_index_part *pp = &pi->parts.items[i];
		if (pp->column && (!part->column || !dbs_name_eq(s->dialect, part->column, pp->column))) {
			part->expr = NULL;
			if (!(part->column = dbs_arena_strdup(a, pp->column)))
				return -1;
		}
		part->desc = pp->desc;
		const char *want = pp->collation ? pp->collation : "BINARY";
		if (strcasecmp(effective_collation(s, t, part), want) != 0 &&
		    !(part->collation = dbs_arena_strdup(a, want)))
			return -1;
	}
	return 0;
}

static int fix_indexes(dbsync_schema *s, dbs_table *t, const dbs_table *p)
{
	size_t w = 0;
	for (size_t i = 0; i < t->indexes.n; i++) {
		dbs_index *ix = t->indexes.items[i];
		const dbs_index *pi = NULL;
		for (size_t j = 0; j < p->indexes.n && !pi; j++)
			if (dbs_name_eq(s->dialect, p->indexes.items[j]->name, ix->name))
				pi = p->indexes.items[j];
		if (!pi)
			continue; /* SQLite has no such index */
		if (fix_index(s, t, ix, pi))
			return -1;
		t->indexes.items[w++] = ix;
	}
	t->indexes.n = w;
	for (size_t j = 0; j < p->indexes.n; j++) {
		const dbs_index *pi = p->indexes.items[j];
		bool have = false;
		for (size_t i = 0; i < t->indexes.n && !have; i++)
			have = dbs_name_eq(s->dialect, t->indexes.items[i]->name, pi->name);
		if (have)
			continue;
		dbs_index *ix = dbs_table_add_index(s, t, pi->name);
		if (!ix)
			return -1;
		ix->unique = pi->unique;
		ix->where_expr = pi->where_expr ? "" : NULL;
		if (fix_index(s, t, ix, pi))
			return -1;
	}
	return 0;
}

int dbs_sq_reconcile_table(dbsync_schema *s, dbs_table *t, const dbsync_schema *ps, const dbs_table *p)
{
	(void)ps;
	if (fix_columns(s, t, p) || fix_primary_key(s, t, p) || fix_uniques(s, t, p) ||
	    fix_foreign_keys(s, t, p) || fix_indexes(s, t, p))
		return -1;
	return 0;
}
