/* libdbsync: contexts, errors, dialects and versions. */
#ifndef DBSYNC_COMMON_H
#define DBSYNC_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "dbsync/version.h" /* DBSYNC_VERSION, generated from meson.build */

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define DBSYNC_EXTERN(type) __attribute__((visibility("default"))) type
#else
#define DBSYNC_EXTERN(type) type
#endif

/** Return codes: 0 is success, every error is negative. */
typedef enum dbsync_error_code {
	DBSYNC_OK = 0,
	DBSYNC_ERROR = -1,        /**< generic failure */
	DBSYNC_ENOMEM = -2,       /**< out of memory */
	DBSYNC_EPARSE = -3,       /**< malformed SQL in a desired schema */
	DBSYNC_EDB = -4,          /**< the database reported an error */
	DBSYNC_EUNSUPPORTED = -5, /**< backend not compiled in, or feature not available */
	DBSYNC_EINVALID = -6,     /**< invalid argument, URL or option */
	DBSYNC_EVERIFY = -7,      /**< after applying, the database still differs */
	DBSYNC_ELOCKED = -8,      /**< another run holds the sync lock */
	DBSYNC_EREFUSED = -9,     /**< a change was refused to protect data */
	DBSYNC_ECONNECT = -10,    /**< could not connect, or the connection was lost */
	DBSYNC_ESTALE = -11       /**< the database changed after the plan was computed: plan again */
} dbsync_error_code;

/** SQL dialects the engine knows. */
typedef enum dbsync_dialect {
	DBSYNC_DIALECT_SQLITE = 1,
	DBSYNC_DIALECT_POSTGRES = 2,
	DBSYNC_DIALECT_MYSQL = 3
} dbsync_dialect;

/**
 * How rows are counted where a count is shown (dbsync_plan_options.count_data_loss,
 * dbsync_inventory_options.rows, dbsync_table_options.rows).
 */
typedef enum dbsync_count_mode {
	DBSYNC_COUNT_OFF = 0,      /**< not counted */
	DBSYNC_COUNT_EXACT = 1,    /**< counted on the live rows: one COUNT query each, which reads the table */
	DBSYNC_COUNT_ESTIMATE = 2  /**< the catalog's estimate (PostgreSQL reltuples, MySQL TABLE_ROWS,
	                                SQLite sqlite_stat1): no table is read; unknown where the catalog
	                                has none */
} dbsync_count_mode;

/**
 * The last error recorded on a context. `message` names the object involved;
 * `sqlstate` is "" when the database gave none; `native_code` is the backend's own
 * error number (SQLite extended result code, MySQL errno) or 0. For parse errors,
 * `line` and `column` (1-based) locate the problem, else 0.
 */
typedef struct dbsync_error {
	int code;
	char sqlstate[6];
	int native_code;
	int line;
	int column;
	const char *message;
} dbsync_error;

/**
 * A context carries errors for every call made with it. It holds no other state,
 * so one context per thread is enough. Not thread-safe itself.
 */
typedef struct dbsync_ctx dbsync_ctx;

/** Create a context. Returns 0, or DBSYNC_ENOMEM. */
DBSYNC_EXTERN(int) dbsync_ctx_new(dbsync_ctx **out);

/** Free a context. NULL is accepted. */
DBSYNC_EXTERN(void) dbsync_ctx_free(dbsync_ctx *ctx);

/** The last error recorded on `ctx`; code is 0 when there was none. */
DBSYNC_EXTERN(const dbsync_error *) dbsync_ctx_error(const dbsync_ctx *ctx);

/** Forget the last error. */
DBSYNC_EXTERN(void) dbsync_ctx_clear_error(dbsync_ctx *ctx);

/** The library version string. */
DBSYNC_EXTERN(const char *) dbsync_version(void);

/**
 * The dialects the library knows, whether or not their backends were compiled
 * in: dbsync_dialect_at(i) for 0 <= i < dbsync_dialect_count(), in a fixed
 * order; 0 (no dialect) past the end. With dbsync_backend_available this lists
 * the backends a build has, without the caller naming any dialect.
 */
DBSYNC_EXTERN(size_t) dbsync_dialect_count(void);
DBSYNC_EXTERN(dbsync_dialect) dbsync_dialect_at(size_t i);

/** 1 if the backend for `dialect` was compiled in, else 0. */
DBSYNC_EXTERN(int) dbsync_backend_available(dbsync_dialect dialect);

/** Lower-case name of a dialect ("sqlite", "postgresql", "mysql"), or NULL. */
DBSYNC_EXTERN(const char *) dbsync_dialect_name(dbsync_dialect dialect);

/**
 * Parse a dialect name ("sqlite", "sqlite3", "postgresql", "postgres", "mysql",
 * "mariadb"). Returns 0 and sets *out, or DBSYNC_EINVALID.
 */
DBSYNC_EXTERN(int) dbsync_dialect_from_name(dbsync_dialect *out, const char *name);

/** Free a string the library returned to the caller. NULL is accepted. */
DBSYNC_EXTERN(void) dbsync_free(void *ptr);

#ifdef __cplusplus
}
#endif

#endif
