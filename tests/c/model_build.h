/* Small builders for schema models in C tests (header-only, test code). */
#ifndef TEST_MODEL_BUILD_H
#define TEST_MODEL_BUILD_H

#include <stdarg.h>
#include <string.h>

#include "model.h"

static inline dbs_column *mb_col(dbsync_schema *s, dbs_table *t, const char *name, const char *type, bool not_null)
{
	dbs_column *c = dbs_table_add_column(s, t, name);
	c->type = dbs_arena_strdup(&s->arena, type);
	c->not_null = not_null;
	return c;
}

/* Columns as a NULL-terminated list of names. */
static inline dbs_constraint *mb_con(dbsync_schema *s, dbs_table *t, dbs_con_kind kind, const char *name,
	bool inline_col, ...)
{
	dbs_constraint *k = dbs_table_add_constraint(s, t, kind);
	k->name = dbs_arena_strdup(&s->arena, name);
	k->inline_col = inline_col;
	va_list ap;
	va_start(ap, inline_col);
	for (const char *c; (c = va_arg(ap, const char *)) != NULL;)
		DBS_VEC_PUSH(&s->arena, &k->cols, dbs_arena_strdup(&s->arena, c));
	va_end(ap);
	return k;
}

static inline dbs_constraint *mb_fk(dbsync_schema *s, dbs_table *t, const char *col, const char *ref_table,
	const char *ref_col, const char *on_delete)
{
	dbs_constraint *k = mb_con(s, t, DBS_CON_FOREIGN, NULL, true, col, NULL);
	k->ref_table = dbs_arena_strdup(&s->arena, ref_table);
	DBS_VEC_PUSH(&s->arena, &k->ref_cols, dbs_arena_strdup(&s->arena, ref_col));
	k->on_delete = dbs_arena_strdup(&s->arena, on_delete);
	k->deferrable = true;
	k->initially_deferred = true;
	return k;
}

static inline dbs_constraint *mb_check(dbsync_schema *s, dbs_table *t, const char *name, const char *col,
	const char *expr)
{
	dbs_constraint *k = col ? mb_con(s, t, DBS_CON_CHECK, name, true, col, NULL)
		: mb_con(s, t, DBS_CON_CHECK, name, false, NULL);
	k->check_expr = dbs_arena_strdup(&s->arena, expr);
	return k;
}

/* An index on plain columns, NULL-terminated; a leading '-' means DESC. */
static inline dbs_index *mb_index(dbsync_schema *s, dbs_table *t, const char *name, bool unique, ...)
{
	dbs_index *ix = dbs_table_add_index(s, t, name);
	ix->unique = unique;
	va_list ap;
	va_start(ap, unique);
	for (const char *c; (c = va_arg(ap, const char *)) != NULL;) {
		dbs_index_part p = { 0 };
		p.desc = c[0] == '-';
		p.column = dbs_arena_strdup(&s->arena, c + p.desc);
		DBS_VEC_PUSH(&s->arena, &ix->parts, p);
	}
	va_end(ap);
	return ix;
}

/* "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, as Django writes it */
static inline dbs_table *mb_table_with_id(dbsync_schema *s, const char *name)
{
	dbs_table *t = dbs_schema_add_table(s, name);
	mb_col(s, t, "id", "integer", true);
	dbs_constraint *pk = mb_con(s, t, DBS_CON_PRIMARY, NULL, true, "id", NULL);
	pk->pk_autoincrement = true;
	return t;
}

#endif
