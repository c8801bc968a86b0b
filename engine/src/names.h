/*
 * An index from names to positions in a list (tables of a schema, records of a
 * diff, tables being ordered), so a lookup costs the same at 80,000 tables as
 * at 10. Open addressing over a hash of the name folded to ASCII lower case:
 * every spelling a dialect may take for the same name (dbs_name_eq) lies on one
 * probe chain, so the exact spelling and the loose match are found together.
 * The index borrows the names: it is rebuilt when they change.
 */
#ifndef DBS_NAMES_H
#define DBS_NAMES_H

#include <stddef.h>

#include "dbsync/common.h"

typedef struct dbs_name_slot {
	const char *name;            /* NULL: empty */
	size_t at;
	size_t hash;                 /* of the folded name: most other names on a chain differ here */
} dbs_name_slot;

typedef struct dbs_name_index {
	dbs_name_slot *slots;
	size_t cap;                  /* a power of two, at least twice n */
	size_t n;                    /* names added */
} dbs_name_index;

#define DBS_NAME_NONE ((size_t)-1)

/* Record `name` at position `at`. Returns 0, or -1 when out of memory (the
 * index is then unchanged). */
int dbs_name_index_add(dbs_name_index *ix, const char *name, size_t at);
/* The position of `name`: the lowest one spelled exactly so, else the lowest
 * one equal under dbs_name_eq(d), else DBS_NAME_NONE. Never writes. */
size_t dbs_name_index_find(const dbs_name_index *ix, dbsync_dialect d, const char *name);
/* Forget every name (and free the table). */
void dbs_name_index_clear(dbs_name_index *ix);

#endif
