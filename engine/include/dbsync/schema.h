/* libdbsync: schemas, parsed from DDL or read from a live database. */
#ifndef DBSYNC_SCHEMA_H
#define DBSYNC_SCHEMA_H

#include "dbsync/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * A schema: tables with their columns, constraints and indexes. A schema owns
 * everything in it; dbsync_schema_free releases it all. Once made it is
 * read-only: what takes a `const dbsync_schema *` never writes it, so threads
 * may plan against one schema at once (each with its own ctx and connection).
 */
typedef struct dbsync_schema dbsync_schema;

/**
 * Parse a DDL script (CREATE TABLE, CREATE [UNIQUE] INDEX, CREATE VIEW, ALTER
 * TABLE, COMMENT ON) written in `dialect` into a schema. A dump's transaction
 * wrappers and session preamble (BEGIN, COMMIT, SET of a few settings; see
 * docs/desired-ddl.md) are ignored; any other statement that is not schema DDL
 * (DML, DROP, USE, GRANT, other SET, queries...) is refused with DBSYNC_EPARSE
 * naming its line and first words. Objects the schema model does not hold (triggers,
 * functions, sequences, types, extensions, ...) are recorded as not handled
 * (dbsync_schema_unhandled_count). On malformed input returns DBSYNC_EPARSE
 * with the line and column on the context's error.
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

/**
 * A statement of a parsed script that creates or changes something the schema
 * model does not hold (a trigger, a function or procedure, a sequence created
 * on its own, a type, domain, extension, policy, rule, event, materialized
 * view, ...). It is neither planned nor silently dropped: it is listed, and
 * the CLI's `plan` fails while the list is not empty unless told to ignore it.
 * The strings live as long as the schema.
 */
typedef struct dbsync_unhandled {
	const char *kind;  /**< the statement's leading words, upper case: "CREATE TRIGGER", "ALTER SEQUENCE" */
	const char *name;  /**< the object's name as written (unqualified), or "" when it has none */
	int line;          /**< 1-based line of the statement in the script */
} dbsync_unhandled;

/** Number of statements of the parsed script that are not handled (0 for a live schema). */
DBSYNC_EXTERN(size_t) dbsync_schema_unhandled_count(const dbsync_schema *schema);

/** Not-handled statement `i` (0-based, script order), or NULL when out of range. */
DBSYNC_EXTERN(const dbsync_unhandled *) dbsync_schema_unhandled(const dbsync_schema *schema, size_t i);

/** Free a schema. NULL is accepted. */
DBSYNC_EXTERN(void) dbsync_schema_free(dbsync_schema *schema);

#ifdef __cplusplus
}
#endif

#endif
