/* Private to backend_postgres_shadow*.c: the desired DDL as statements, and
 * how they split into scripts small enough for the server's lock table. */
#ifndef DBS_BACKEND_POSTGRES_SHADOW_H
#define DBS_BACKEND_POSTGRES_SHADOW_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "dbsync/common.h"
#include "model.h"

/* Desired tables per shadow script when the DDL has more: each table the
 * DDL makes holds some 4 to 8 locks until its transaction ends, and the
 * server's lock table holds max_locks_per_transaction (64 by default) times
 * max_connections for everyone. */
#define DBS_PG_SHADOW_CHUNK 250

typedef struct dbs_pg_stmt {
	const char *text;            /* in desired->source_ddl */
	size_t len;
	int line;
	const char *skip;            /* a token left out (CONCURRENTLY), or NULL */
	size_t skip_len;
	const char *owner;           /* the table it creates or changes, or NULL */
	bool creates;                /* CREATE TABLE owner */
	bool independent;            /* no owner, and needs no table: runs in every script */
	dbs_str_vec refs;            /* the tables named after REFERENCES */
	int chunk;                   /* the script it runs in: its owner's */
} dbs_pg_stmt;

typedef DBS_VEC(dbs_pg_stmt) dbs_pg_stmts;

/* desired->source_ddl as statements, leaving out what would end the
 * shadow's transaction (BEGIN, COMMIT, ...) and SET search_path, which
 * would send the tables elsewhere (the parser ignores both too). */
int dbs_pg_split_ddl(dbs_pg_stmts *out, dbs_arena *a, dbsync_ctx *ctx, const dbsync_schema *desired);

/* Put the statements in scripts of at most per_chunk desired tables each
 * (desired's order): sets every stmt->chunk and returns the number of
 * scripts, 1 when everything fits in one or the DDL does not split (a
 * statement that belongs to no desired table and may need one). */
int dbs_pg_chunk(dbs_pg_stmts *v, const dbsync_schema *desired, size_t per_chunk);

/* The same for the tables only[] marks (desired's order): their statements
 * in scripts of at most per_chunk of them, every other statement in none.
 * Returns the number of scripts (0 when nothing is marked), or -1 when the
 * DDL does not split (as dbs_pg_chunk) or memory ran out. */
int dbs_pg_chunk_some(dbs_pg_stmts *v, const dbsync_schema *desired, const bool *only,
	size_t per_chunk);

/* Which statements the script of chunk c runs (emit[i] for statement i):
 * those of its tables, the independent ones, and the CREATE TABLE of every
 * table of another chunk that they reference (and what those reference in
 * turn), so foreign keys find their target. -1 when out of memory. */
int dbs_pg_chunk_select(bool *emit, const dbs_pg_stmts *v, const dbsync_schema *desired, int c);

#endif
