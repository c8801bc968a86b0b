#include "arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_MIN 8192

struct dbs_arena_block {
	dbs_arena_block *next;
	size_t used;
	size_t cap;
	max_align_t data[];
};

void dbs_arena_init(dbs_arena *a)
{
	a->head = NULL;
	a->total = 0;
}

void dbs_arena_free(dbs_arena *a)
{
	dbs_arena_block *b = a->head;
	while (b) {
		dbs_arena_block *next = b->next;
		free(b);
		b = next;
	}
	a->head = NULL;
	a->total = 0;
}

void *dbs_arena_alloc(dbs_arena *a, size_t n)
{
	const size_t align = _Alignof(max_align_t);
	size_t need = (n + align - 1) & ~(align - 1);
	if (need < n)
		return NULL;
	if (need == 0)
		need = align;
	dbs_arena_block *b = a->head;
	if (!b || b->cap - b->used < need) {
		size_t cap = need > BLOCK_MIN ? need : BLOCK_MIN;
		if (b && b->cap * 2 > cap && b->cap < (1u << 20))
			cap = b->cap * 2;
		if (cap > SIZE_MAX - sizeof *b)
			return NULL;
		dbs_arena_block *nb = malloc(sizeof *nb + cap);
		if (!nb)
			return NULL;
		nb->used = 0;
		nb->cap = cap;
		if (b && need > BLOCK_MIN) {
			/* A big one-off goes behind the current block so the current
			 * block's free space stays usable. */
			nb->next = b->next;
			b->next = nb;
			b = nb;
		} else {
			nb->next = b;
			a->head = nb;
			b = nb;
		}
	}
	void *p = (char *)b->data + b->used;
	b->used += need;
	a->total += need;
	memset(p, 0, need);
	return p;
}

char *dbs_arena_strndup(dbs_arena *a, const char *s, size_t n)
{
	if (!s)
		return NULL;
	char *d = dbs_arena_alloc(a, n + 1);
	if (!d)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *dbs_arena_strdup(dbs_arena *a, const char *s)
{
	return s ? dbs_arena_strndup(a, s, strlen(s)) : NULL;
}

char *dbs_arena_vprintf(dbs_arena *a, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return NULL;
	char *d = dbs_arena_alloc(a, (size_t)n + 1);
	if (!d)
		return NULL;
	vsnprintf(d, (size_t)n + 1, fmt, ap);
	return d;
}

char *dbs_arena_printf(dbs_arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *d = dbs_arena_vprintf(a, fmt, ap);
	va_end(ap);
	return d;
}

int dbs_arena_grow(dbs_arena *a, void *items_ptr, size_t n, size_t *cap, size_t elem)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 8;
	if (ncap > SIZE_MAX / elem)
		return -1;
	void *old;
	memcpy(&old, items_ptr, sizeof old);
	void *nitems = dbs_arena_alloc(a, ncap * elem);
	if (!nitems)
		return -1;
	if (old && n)
		memcpy(nitems, old, n * elem);
	memcpy(items_ptr, &nitems, sizeof nitems);
	*cap = ncap;
	return 0;
}
