/* libdbsync: schemas, parsed from DDL or read from a live database. */
#ifndef DBSYNC_SCHEMA_H
#define DBSYNC_SCHEMA_H

#include "dbsync/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * A schema: tables with their columns, constraints and indexes. A schema owns
 * everything in it; dbsync_schema_free releases it all.
 */
typedef struct dbsync_schema dbsync_schema;

/**
 * Parse a DDL script (CREATE TABLE, CREATE [UNIQUE] INDEX, ALTER TABLE ... ADD
 * CONSTRAINT, COMMENT ON, ...) written in `dialect` into a schema. Statements
 * that do not describe schema (SET, BEGIN, COMMIT, ...) are ignored. On malformed
 * input returns DBSYNC_EPARSE with the line and column on the context's error.
 */
DBSYNC_EXTERN(int) dbsync_schema_parse(dbsync_schema **out, dbsync_ctx *ctx,
	dbsync_dialect dialect, const char *sql, size_t len);

/** Number of tables in the schema. */
DBSYNC_EXTERN(size_t) dbsync_schema_table_count(const dbsync_schema *schema);

/** Name of table `i` (0-based), or NULL when out of range. */
DBSYNC_EXTERN(const char *) dbsync_schema_table_name(const dbsync_schema *schema, size_t i);

/** The dialect the schema was parsed or read in. */
DBSYNC_EXTERN(dbsync_dialect) dbsync_schema_dialect(const dbsync_schema *schema);

/**
 * Render the whole schema as a DDL script in its dialect (tables in dependency
 * order, then indexes). The caller frees *out with dbsync_free.
 */
DBSYNC_EXTERN(int) dbsync_schema_to_sql(char **out, dbsync_ctx *ctx, const dbsync_schema *schema);

/** Free a schema. NULL is accepted. */
DBSYNC_EXTERN(void) dbsync_schema_free(dbsync_schema *schema);

#ifdef __cplusplus
}
#endif

#endif
