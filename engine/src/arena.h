/* Arena allocation: a schema or a plan owns one arena; one free releases all. */
#ifndef DBS_ARENA_H
#define DBS_ARENA_H

#include <stdarg.h>
#include <stddef.h>

typedef struct dbs_arena_block dbs_arena_block;

typedef struct dbs_arena {
	dbs_arena_block *head;
	size_t total; /* bytes handed out, for the memory benchmark */
} dbs_arena;

void dbs_arena_init(dbs_arena *a);
void dbs_arena_free(dbs_arena *a);

/* Zeroed memory, aligned for any type; NULL when out of memory. */
void *dbs_arena_alloc(dbs_arena *a, size_t n);
char *dbs_arena_strdup(dbs_arena *a, const char *s);       /* NULL in, NULL out */
char *dbs_arena_strndup(dbs_arena *a, const char *s, size_t n);
char *dbs_arena_printf(dbs_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
char *dbs_arena_vprintf(dbs_arena *a, const char *fmt, va_list ap);

/* Grow an arena-backed array of `elem`-sized items so one more fits. Old storage
 * stays in the arena (geometric growth bounds the waste). */
int dbs_arena_grow(dbs_arena *a, void *items_ptr, size_t n, size_t *cap, size_t elem);

/* A typed vector living in an arena: DBS_VEC(dbs_column *) columns; */
#define DBS_VEC(T) struct { T *items; size_t n, cap; }

/* Append `value` to vector `v`; evaluates to 0, or -1 when out of memory. */
#define DBS_VEC_PUSH(arena, v, value) \
	(dbs_arena_grow((arena), &(v)->items, (v)->n, &(v)->cap, sizeof *(v)->items) \
		? -1 : ((v)->items[(v)->n++] = (value), 0))

#endif
