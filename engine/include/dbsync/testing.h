/*
 * libdbsync: functions for tests, benchmarks and tools, outside the API a
 * program that syncs databases needs. They are exported from the library like
 * the rest, but nothing the engine plans or applies goes through them, and
 * they may change between versions more freely than dbsync/dbsync.h.
 */
#ifndef DBSYNC_TESTING_H
#define DBSYNC_TESTING_H

#include "dbsync/common.h"
#include "dbsync/conn.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Run a script of SQL statements on `conn` outside any plan (to set up or
 * drift a test database). No results are returned; errors carry the
 * statement's SQLSTATE / native code. Refuses nothing: a read-only
 * connection is protected only as far as the backend opened it read-only.
 */
DBSYNC_EXTERN(int) dbsync_conn_exec(dbsync_ctx *ctx, dbsync_conn *conn, const char *sql);

/** Reset dbsync_conn_catalog_queries to 0, to count the round trips of one call. */
DBSYNC_EXTERN(void) dbsync_conn_reset_counters(dbsync_conn *conn);

#ifdef __cplusplus
}
#endif

#endif
