/* Private to backend_postgres_shadow*.c: how the desired DDL's statements split into scripts small enough for the server's lock table. */
#ifndef DBS_BACKEND_POSTGRES_SHADOW_H
#define DBS_BACKEND_POSTGRES_SHADOW_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "dbsync/common.h"
#include "shadow_ddl.h"
#include "model.h"

/* Desired tables per shadow script when the DDL has more: each table the
 * DDL makes holds some 4 to 8 locks until its transaction ends, and the
 * server's lock table holds max_locks_per_transaction (64 by default) times
 * max_connections for everyone. */
#define DBS_PG_SHADOW_CHUNK 250


/* Put the statements in scripts of at most per_chunk desired tables each
 * (desired's order): sets every stmt->chunk and returns the number of
 * scripts, 1 when everything fits in one or the DDL does not split (a
 * statement that belongs to no desired table and may need one). */
int dbs_pg_chunk(dbs_ddl_stmts *v, const dbsync_schema *desired, size_t per_chunk);

/* The same for the tables only[] marks (desired's order): their statements
 * in scripts of at most per_chunk of them, every other statement in none.
 * Returns the number of scripts (0 when nothing is marked), or -1 when the
 * DDL does not split (as dbs_pg_chunk) or memory ran out. */
int dbs_pg_chunk_some(dbs_ddl_stmts *v, const dbsync_schema *desired, const bool *only,
	size_t per_chunk);

/* Which statements the script of chunk c runs (emit[i] for statement i):
 * those of its tables, the independent ones, and the CREATE TABLE of every
 * table of another chunk that they reference (and what those reference in
 * turn), so foreign keys find their target. -1 when out of memory. */
int dbs_pg_chunk_select(bool *emit, const dbs_ddl_stmts *v, const dbsync_schema *desired, int c);

#endif
