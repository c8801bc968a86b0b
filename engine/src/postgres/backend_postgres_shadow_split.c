/*
 * Splitting the desired DDL into scripts small enough for the server's lock
 * table (see backend_postgres_shadow.h): the statements come from
 * dbs_render_shadow_ddl (shadow_ddl.c), rendered from the parsed model.
 */
#include <stdlib.h>
#include <string.h>

#include "backend_postgres_shadow.h"

/* The position of desired table `name`, or -1: tables sorted by name once. */
typedef struct table_pos {
	const char *name;
	int pos;
} table_pos;

static int cmp_pos(const void *x, const void *y)
{
	return strcmp(((const table_pos *)x)->name, ((const table_pos *)y)->name);
}

static int position(const table_pos *tp, size_t n, const char *name)
{
	table_pos key = { name, 0 };
	const table_pos *hit = name && n ? bsearch(&key, tp, n, sizeof key, cmp_pos) : NULL;
	return hit ? hit->pos : -1;
}

int dbs_pg_chunk(dbs_ddl_stmts *v, const dbsync_schema *desired, size_t per_chunk)
{
	size_t n = desired->tables.n;
	for (size_t i = 0; i < v->n; i++)
		v->items[i].chunk = 0;
	if (per_chunk == 0 || n <= per_chunk)
		return 1;
	table_pos *tp = malloc(n * sizeof *tp);
	if (!tp)
		return 1; /* one script: slower to fail, never wrong */
	for (size_t i = 0; i < n; i++)
		tp[i] = (table_pos){ desired->tables.items[i]->name, (int)i };
	qsort(tp, n, sizeof *tp, cmp_pos);
	bool splits = true;
	for (size_t i = 0; i < v->n && splits; i++) {
		dbs_ddl_stmt *st = &v->items[i];
		int pos = position(tp, n, st->owner);
		if (pos >= 0)
			st->chunk = pos / (int)per_chunk;
		else
			splits = st->independent;
	}
	free(tp);
	if (!splits)
		for (size_t i = 0; i < v->n; i++)
			v->items[i].chunk = 0;
	return splits ? (int)((n + per_chunk - 1) / per_chunk) : 1;
}

int dbs_pg_chunk_some(dbs_ddl_stmts *v, const dbsync_schema *desired, const bool *only,
	size_t per_chunk)
{
	size_t n = desired->tables.n, n_some = 0;
	table_pos *tp = malloc((n + 1) * sizeof *tp);
	if (!tp)
		return -1;
	for (size_t i = 0; i < n; i++) {
		/* the chunk of a table left out is -1: no script runs its statements
		 * unless another needs its CREATE TABLE (dbs_pg_chunk_select) */
		int chunk = only[i] ? (int)(n_some++ / (per_chunk ? per_chunk : n + 1)) : -1;
		tp[i] = (table_pos){ desired->tables.items[i]->name, chunk };
	}
	qsort(tp, n, sizeof *tp, cmp_pos);
	bool splits = true;
	for (size_t i = 0; i < v->n && splits; i++) {
		dbs_ddl_stmt *st = &v->items[i];
		table_pos key = { st->owner, 0 };
		const table_pos *hit = st->owner && n ? bsearch(&key, tp, n, sizeof key, cmp_pos) : NULL;
		if (hit)
			st->chunk = hit->pos;
		else
			splits = st->independent;
	}
	free(tp);
	if (!splits)
		return -1;
	size_t per = per_chunk ? per_chunk : n_some + 1;
	return (int)((n_some + per - 1) / per);
}

int dbs_pg_chunk_select(bool *emit, const dbs_ddl_stmts *v, const dbsync_schema *desired, int c)
{
	/* the statement creating each table, found by name */
	size_t *todo = malloc((v->n + 1) * sizeof *todo), n_todo = 0, n_cr = 0;
	table_pos *creator = malloc((v->n + 1) * sizeof *creator);
	if (!todo || !creator) {
		free(todo);
		free(creator);
		return -1;
	}
	for (size_t i = 0; i < v->n; i++) {
		const dbs_ddl_stmt *st = &v->items[i];
		if (st->creates)
			creator[n_cr++] = (table_pos){ st->owner, (int)i };
		emit[i] = st->independent || (st->owner && st->chunk == c);
		if (emit[i] && !st->independent)
			todo[n_todo++] = i;
	}
	qsort(creator, n_cr, sizeof *creator, cmp_pos);
	/* what those reference in other chunks: its CREATE TABLE, and what that
	 * one references inline, and so on */
	while (n_todo) {
		const dbs_ddl_stmt *st = &v->items[todo[--n_todo]];
		for (size_t r = 0; r < st->refs.n; r++) {
			if (!dbs_schema_find_table(desired, st->refs.items[r]))
				continue;
			int j = position(creator, n_cr, st->refs.items[r]);
			if (j >= 0 && !emit[j]) {
				emit[j] = true;
				todo[n_todo++] = (size_t)j;
			}
		}
	}
	free(todo);
	free(creator);
	return 0;
}
