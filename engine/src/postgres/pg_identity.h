/*
 * PostgreSQL identity sequence options (GENERATED ... AS IDENTITY (START WITH
 * -200 INCREMENT BY 10 ...)): their canonical text and the ALTER COLUMN SET
 * clauses that move a live identity's sequence to the desired options.
 *
 * The canonical text lists, in this order and separated by single spaces,
 * only the options that differ from what PostgreSQL would pick itself for the
 * column's type and the increment's sign: "START WITH n", "INCREMENT BY n",
 * "MINVALUE n", "MAXVALUE n", "CACHE n", "CYCLE". NULL means all defaults.
 * Both sides of a comparison come from the catalog (the desired side through
 * the shadow), so two equal sequences always print the same text.
 */
#ifndef DBS_PG_IDENTITY_H
#define DBS_PG_IDENTITY_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"

typedef struct dbs_pg_seq {
	int64_t start, increment, min, max, cache;
	bool cycle;
} dbs_pg_seq;

/* The canonical text of a sequence of type `type` ("smallint", "integer",
 * "bigint"), or NULL when every option is a default. *oom is set when the
 * arena fails. */
const char *dbs_pg_identity_canon(dbs_arena *a, const char *type, const dbs_pg_seq *seq, bool *oom);

/* Append to `b` the " SET ..." clauses (after ALTER COLUMN c) that turn an
 * identity with options `live` into one with options `want` (canonical texts,
 * NULL = defaults). Options left out of `want` are set back to their default
 * (NO MINVALUE, ...); START WITH, which has no default form, gets the value
 * PostgreSQL gives a new sequence. Only the stored options change: the next
 * value handed out (the sequence's position) is never moved. Appends nothing
 * when the two agree. */
void dbs_pg_identity_sets(dbs_buf *b, const char *live, const char *want);

/* The values the options give a sequence of type `type` (defaults filled in):
 * its range, start and increment. */
void dbs_pg_identity_values(const char *type, const char *options, dbs_pg_seq *out);

#endif
