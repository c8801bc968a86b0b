#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dialect.h"


static int ascii_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

bool dbs_ascii_ieq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	for (; *a && *b; a++, b++)
		if (ascii_lower((unsigned char)*a) != ascii_lower((unsigned char)*b))
			return false;
	return *a == *b;
}

bool dbs_str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

bool dbs_names_eq(dbsync_dialect d, const dbs_str_vec *a, const dbs_str_vec *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!dbs_name_eq(d, a->items[i], b->items[i]))
			return false;
	return true;
}

bool dbs_name_eq(dbsync_dialect d, const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	if (dbs_dialect_info_for(d)->names_case_sensitive)
		return strcmp(a, b) == 0;
	return dbs_ascii_ieq(a, b);
}

dbsync_schema *dbs_schema_new(dbsync_dialect d)
{
	dbsync_schema *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	dbs_arena_init(&s->arena);
	s->dialect = d;
	return s;
}

void dbsync_schema_free(dbsync_schema *schema)
{
	if (!schema)
		return;
	dbs_arena_free(&schema->arena);
	dbs_name_index_clear(&schema->table_names);
	dbs_name_index_clear(&schema->index_names);
	free(schema);
}

dbs_table *dbs_schema_add_table(dbsync_schema *s, const char *name)
{
	dbs_table *t = dbs_arena_alloc(&s->arena, sizeof *t);
	if (!t || !(t->name = dbs_arena_strdup(&s->arena, name)))
		return NULL;
	/* the index stays current as tables are added, so a parser looking up
	 * each name as it goes stays linear and a finished schema needs no
	 * further writes to be searched */
	bool current = s->table_names.n == s->tables.n;
	if (DBS_VEC_PUSH(&s->arena, &s->tables, t))
		return NULL;
	if (current ? dbs_name_index_add(&s->table_names, t->name, s->tables.n - 1) : dbs_schema_reindex(s)) {
		s->tables.n--;
		return NULL;
	}
	return t;
}

int dbs_schema_reindex(dbsync_schema *s)
{
	dbs_name_index tables = { 0 }, indexes = { 0 };
	for (size_t i = 0; i < s->tables.n; i++) {
		const dbs_table *t = s->tables.items[i];
		if (dbs_name_index_add(&tables, t->name, i))
			goto oom;
		for (size_t j = 0; j < t->indexes.n; j++)
			if (dbs_name_index_add(&indexes, t->indexes.items[j]->name, i))
				goto oom;
	}
	dbs_name_index_clear(&s->table_names);
	dbs_name_index_clear(&s->index_names);
	s->table_names = tables;
	s->index_names = indexes;
	return 0;
oom:
	dbs_name_index_clear(&tables);
	dbs_name_index_clear(&indexes);
	return -1;
}

dbs_table *dbs_schema_find_table(const dbsync_schema *s, const char *name)
{
	if (!name)
		return NULL;
	if (s->table_names.n == s->tables.n) {
		size_t i = dbs_name_index_find(&s->table_names, s->dialect, name);
		return i == DBS_NAME_NONE ? NULL : s->tables.items[i];
	}
	/* tables were added behind the index's back and it was not rebuilt:
	 * still right, only slower. Exact match first, so `Publisher` and
	 * `publisher` stay apart where both exist. */
	for (size_t i = 0; i < s->tables.n; i++)
		if (strcmp(s->tables.items[i]->name, name) == 0)
			return s->tables.items[i];
	for (size_t i = 0; i < s->tables.n; i++)
		if (dbs_name_eq(s->dialect, s->tables.items[i]->name, name))
			return s->tables.items[i];
	return NULL;
}

dbs_column *dbs_table_add_column(dbsync_schema *s, dbs_table *t, const char *name)
{
	dbs_column *c = dbs_arena_alloc(&s->arena, sizeof *c);
	if (!c || !(c->name = dbs_arena_strdup(&s->arena, name)))
		return NULL;
	if (DBS_VEC_PUSH(&s->arena, &t->columns, c))
		return NULL;
	return c;
}

size_t dbs_table_column_index(const dbsync_schema *s, const dbs_table *t, const char *name)
{
	for (size_t i = 0; i < t->columns.n; i++)
		if (dbs_name_eq(s->dialect, t->columns.items[i]->name, name))
			return i;
	return (size_t)-1;
}

dbs_column *dbs_table_find_column(const dbsync_schema *s, const dbs_table *t, const char *name)
{
	size_t i = dbs_table_column_index(s, t, name);
	return i == (size_t)-1 ? NULL : t->columns.items[i];
}

dbs_constraint *dbs_table_add_constraint(dbsync_schema *s, dbs_table *t, dbs_con_kind kind)
{
	dbs_constraint *c = dbs_arena_alloc(&s->arena, sizeof *c);
	if (!c)
		return NULL;
	c->kind = kind;
	if (DBS_VEC_PUSH(&s->arena, &t->constraints, c))
		return NULL;
	return c;
}

/* The position of table `t` in s->tables, or DBS_NAME_NONE when the name
 * index cannot tell it (t is not listed, or the index is stale). */
static size_t table_position(const dbsync_schema *s, const dbs_table *t)
{
	if (s->table_names.n != s->tables.n)
		return DBS_NAME_NONE;
	size_t i = dbs_name_index_find(&s->table_names, s->dialect, t->name);
	return i != DBS_NAME_NONE && s->tables.items[i] == t ? i : DBS_NAME_NONE;
}

dbs_index *dbs_table_add_index(dbsync_schema *s, dbs_table *t, const char *name)
{
	dbs_index *ix = dbs_arena_alloc(&s->arena, sizeof *ix);
	if (!ix || !(ix->name = dbs_arena_strdup(&s->arena, name)))
		return NULL;
	if (DBS_VEC_PUSH(&s->arena, &t->indexes, ix))
		return NULL;
	size_t at = table_position(s, t);
	if (at != DBS_NAME_NONE && dbs_name_index_add(&s->index_names, ix->name, at)) {
		t->indexes.n--;
		return NULL;
	}
	return ix;
}

static dbs_index *table_index_named(const dbsync_schema *s, const dbs_table *t, const char *name)
{
	for (size_t j = 0; j < t->indexes.n; j++)
		if (dbs_name_eq(s->dialect, t->indexes.items[j]->name, name))
			return t->indexes.items[j];
	return NULL;
}

dbs_index *dbs_schema_find_index(const dbsync_schema *s, const char *name, dbs_table **table_out)
{
	/* the index points at the table that held the name when it was added;
	 * that table is asked again, since an index may have been dropped or
	 * renamed since. Not found that way, every table is looked at. */
	size_t at = dbs_name_index_find(&s->index_names, s->dialect, name);
	dbs_index *ix;
	if (at != DBS_NAME_NONE && at < s->tables.n && (ix = table_index_named(s, s->tables.items[at], name))) {
		if (table_out)
			*table_out = s->tables.items[at];
		return ix;
	}
	for (size_t i = 0; i < s->tables.n; i++) {
		if ((ix = table_index_named(s, s->tables.items[i], name))) {
			if (table_out)
				*table_out = s->tables.items[i];
			return ix;
		}
	}
	return NULL;
}

dbs_trigger *dbs_table_add_trigger(dbsync_schema *s, dbs_table *t, const char *name, const char *sql)
{
	dbs_trigger *tr = dbs_arena_alloc(&s->arena, sizeof *tr);
	if (!tr || !(tr->name = dbs_arena_strdup(&s->arena, name)) || !(tr->sql = dbs_arena_strdup(&s->arena, sql)))
		return NULL;
	if (DBS_VEC_PUSH(&s->arena, &t->triggers, tr))
		return NULL;
	return tr;
}

dbs_view *dbs_schema_add_view(dbsync_schema *s, const char *name, const char *definition)
{
	dbs_view *v = dbs_arena_alloc(&s->arena, sizeof *v);
	if (!v || !(v->name = dbs_arena_strdup(&s->arena, name)))
		return NULL;
	v->definition = dbs_arena_strdup(&s->arena, definition);
	if (DBS_VEC_PUSH(&s->arena, &s->views, v))
		return NULL;
	return v;
}

void dbs_table_forget_invented_names(dbs_table *normalized, const dbs_table *parsed)
{
	for (size_t i = 0; i < normalized->constraints.n; i++) {
		dbs_constraint *k = normalized->constraints.items[i];
		bool declared = false;
		for (size_t j = 0; j < parsed->constraints.n && !declared; j++)
			declared = k->name && dbs_str_eq(parsed->constraints.items[j]->name, k->name);
		/* MySQL reads a unique index back as a UNIQUE constraint: the name
		 * of CREATE UNIQUE INDEX was declared too */
		for (size_t j = 0; j < parsed->indexes.n && !declared; j++)
			declared = k->name && k->kind == DBS_CON_UNIQUE && parsed->indexes.items[j]->unique &&
				dbs_str_eq(parsed->indexes.items[j]->name, k->name);
		if (!declared)
			k->name = NULL;
	}
}

void dbs_schema_forget_invented_names(dbsync_schema *normalized, const dbsync_schema *parsed)
{
	for (size_t i = 0; i < normalized->tables.n; i++) {
		const dbs_table *p = dbs_schema_find_table(parsed, normalized->tables.items[i]->name);
		if (p)
			dbs_table_forget_invented_names(normalized->tables.items[i], p);
	}
}

dbs_constraint *dbs_table_primary_key(const dbs_table *t)
{
	for (size_t i = 0; i < t->constraints.n; i++)
		if (t->constraints.items[i]->kind == DBS_CON_PRIMARY)
			return t->constraints.items[i];
	return NULL;
}

static int copy_strvec(dbs_arena *a, dbs_str_vec *dst, const dbs_str_vec *src)
{
	for (size_t i = 0; i < src->n; i++) {
		const char *s = dbs_arena_strdup(a, src->items[i]);
		if (!s || DBS_VEC_PUSH(a, dst, s))
			return -1;
	}
	return 0;
}

#define DUP(field) (dst->field = dbs_arena_strdup(a, src->field), (src->field && !dst->field))

/* What follows the name of an index (or of an exclusion constraint's body). */
static int copy_index_body(dbs_arena *a, dbs_index *dst, const dbs_index *src)
{
	dst->unique = src->unique;
	dst->nulls_not_distinct = src->nulls_not_distinct;
	if (DUP(where_expr) || DUP(method) || DUP(comment) || DUP(options) ||
	    copy_strvec(a, &dst->include, &src->include))
		return -1;
	return dbs_index_copy_parts(a, dst, src);
}

int dbs_index_copy_parts(dbs_arena *a, dbs_index *dst, const dbs_index *src)
{
	for (size_t j = 0; j < src->parts.n; j++) {
		dbs_index_part p = src->parts.items[j];
		p.column = dbs_arena_strdup(a, p.column);
		p.expr = dbs_arena_strdup(a, p.expr);
		p.collation = dbs_arena_strdup(a, p.collation);
		p.opclass = dbs_arena_strdup(a, p.opclass);
		p.op = dbs_arena_strdup(a, p.op);
		if (DBS_VEC_PUSH(a, &dst->parts, p))
			return -1;
	}
	return 0;
}

dbs_index *dbs_table_copy_index(dbsync_schema *s, dbs_table *t, const dbs_index *src)
{
	dbs_index *dst = dbs_table_add_index(s, t, src->name);
	return dst && !copy_index_body(&s->arena, dst, src) ? dst : NULL;
}

dbs_table *dbs_schema_copy_table(dbsync_schema *s, const dbs_table *st)
{
	dbs_arena *a = &s->arena;
	dbs_table *t = dbs_schema_add_table(s, st->name);
	if (!t)
		return NULL;
	t->comment = dbs_arena_strdup(a, st->comment);
	t->without_rowid = st->without_rowid;
	t->strict = st->strict;
	t->charset = dbs_arena_strdup(a, st->charset);
	t->collation = dbs_arena_strdup(a, st->collation);
	t->collation_implied = st->collation_implied;
	t->source_sql = dbs_arena_strdup(a, st->source_sql);
	t->unreadable = st->unreadable ? dbs_arena_strdup(a, st->unreadable) : NULL;
	for (size_t i = 0; i < st->columns.n; i++) {
		const dbs_column *src = st->columns.items[i];
		dbs_column *dst = dbs_table_add_column(s, t, src->name);
		if (!dst)
			return NULL;
		*dst = *src;
		dst->name = dbs_arena_strdup(a, src->name);
		if (!dst->name || DUP(type) || DUP(default_expr) || DUP(generated_expr) || DUP(identity) ||
		    DUP(identity_options) || DUP(sequence) || DUP(sequence_type) || DUP(collation) || DUP(charset) ||
		    DUP(comment) || DUP(on_update_expr))
			return NULL;
	}
	for (size_t i = 0; i < st->constraints.n; i++) {
		const dbs_constraint *src = st->constraints.items[i];
		dbs_constraint *dst = dbs_table_add_constraint(s, t, src->kind);
		if (!dst)
			return NULL;
		*dst = *src;
		memset(&dst->cols, 0, sizeof dst->cols);
		memset(&dst->ref_cols, 0, sizeof dst->ref_cols);
		if (DUP(name) || DUP(check_expr) || DUP(ref_table) || DUP(ref_schema) || DUP(on_delete) || DUP(on_update) ||
		    DUP(comment) || copy_strvec(a, &dst->cols, &src->cols) || copy_strvec(a, &dst->ref_cols, &src->ref_cols))
			return NULL;
		if (src->exclude) {
			dbs_index *ex = dbs_arena_alloc(a, sizeof *ex);
			if (!ex)
				return NULL;
			memset(ex, 0, sizeof *ex);
			ex->name = dst->name ? dst->name : "";
			if (copy_index_body(a, ex, src->exclude))
				return NULL;
			dst->exclude = ex;
		}
	}
	for (size_t i = 0; i < st->triggers.n; i++)
		if (!dbs_table_add_trigger(s, t, st->triggers.items[i]->name, st->triggers.items[i]->sql))
			return NULL;
	for (size_t i = 0; i < st->indexes.n; i++)
		if (!dbs_table_copy_index(s, t, st->indexes.items[i]))
			return NULL;
	return t;
}

static uint64_t fp_str(uint64_t h, const char *s)
{
	/* FNV-1a; NULL and "" differ, and every field ends with a separator */
	if (!s)
		return (h ^ 0xffu) * 1099511628211ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (h ^ 0x1fu) * 1099511628211ull;
}

static uint64_t fp_int(uint64_t h, long long v)
{
	char b[32];
	snprintf(b, sizeof b, "%lld", v);
	return fp_str(h, b);
}

static uint64_t fp_strs(uint64_t h, const dbs_str_vec *v)
{
	h = fp_int(h, (long long)v->n);
	for (size_t i = 0; i < v->n; i++)
		h = fp_str(h, v->items[i]);
	return h;
}

static uint64_t fp_index(uint64_t h, const dbs_index *x)
{
	h = fp_str(fp_str(fp_str(fp_int(h, x->unique), x->name), x->where_expr), x->method);
	h = fp_int(fp_str(fp_str(h, x->options), x->comment), x->nulls_not_distinct);
	h = fp_strs(h, &x->include);
	for (size_t k = 0; k < x->parts.n; k++) {
		const dbs_index_part *pt = &x->parts.items[k];
		h = fp_str(fp_str(fp_str(fp_str(h, pt->column), pt->expr), pt->collation), pt->opclass);
		h = fp_int(fp_str(h, pt->op), pt->prefix_len * 4 + (pt->desc ? 1 : 0) + (pt->nulls_reversed ? 2 : 0));
	}
	return h;
}

uint64_t dbs_schema_fingerprint(const dbsync_schema *s)
{
	uint64_t h = 1469598103934665603ull;
	h = fp_int(h, (long long)s->tables.n);
	for (size_t i = 0; i < s->tables.n; i++) {
		const dbs_table *t = s->tables.items[i];
		h = fp_str(fp_str(h, t->name), t->comment);
		h = fp_int(h, (t->without_rowid ? 1 : 0) | (t->strict ? 2 : 0));
		h = fp_str(fp_str(h, t->charset), t->collation);
		for (size_t j = 0; j < t->columns.n; j++) {
			const dbs_column *c = t->columns.items[j];
			h = fp_str(fp_str(fp_str(h, c->name), c->type), c->default_expr);
			h = fp_str(fp_str(fp_str(h, c->generated_expr), c->identity), c->collation);
			h = fp_str(fp_str(h, c->comment), c->on_update_expr);
			h = fp_str(fp_str(h, c->identity_options), c->sequence_type);
			h = fp_int(h, (c->not_null ? 1 : 0) | (c->generated_stored ? 2 : 0) | (c->autoincrement ? 4 : 0));
		}
		for (size_t j = 0; j < t->constraints.n; j++) {
			const dbs_constraint *k = t->constraints.items[j];
			h = fp_str(fp_int(h, k->kind), k->name);
			h = fp_strs(fp_str(fp_str(h, k->check_expr), k->ref_table), &k->cols);
			h = fp_strs(fp_str(fp_str(h, k->on_delete), k->on_update), &k->ref_cols);
			h = fp_int(h, (k->deferrable ? 1 : 0) | (k->initially_deferred ? 2 : 0) |
				(k->nulls_not_distinct ? 4 : 0) | (k->no_inherit ? 8 : 0) | (k->match_full ? 16 : 0));
			h = fp_str(h, k->comment);
			if (k->exclude)
				h = fp_index(h, k->exclude);
		}
		for (size_t j = 0; j < t->indexes.n; j++)
			h = fp_index(h, t->indexes.items[j]);
	}
	return h;
}

size_t dbsync_schema_unhandled_count(const dbsync_schema *schema)
{
	return schema ? schema->unhandled.n : 0;
}

const dbsync_unhandled *dbsync_schema_unhandled(const dbsync_schema *schema, size_t i)
{
	return schema && i < schema->unhandled.n ? &schema->unhandled.items[i] : NULL;
}

size_t dbsync_schema_table_count(const dbsync_schema *schema)
{
	return schema->tables.n;
}

const char *dbsync_schema_table_name(const dbsync_schema *schema, size_t i)
{
	return i < schema->tables.n ? schema->tables.items[i]->name : NULL;
}

dbsync_dialect dbsync_schema_dialect(const dbsync_schema *schema)
{
	return schema->dialect;
}
