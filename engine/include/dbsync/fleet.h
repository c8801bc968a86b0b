/*
 * libdbsync: fleets. One desired schema synced into many namespaces of one
 * server (PostgreSQL schemas, MySQL/MariaDB databases): the catalogs of every
 * member are read in the same fixed number of round trips as one, the desired
 * side is normalized once (one shadow for the fleet), each member is planned
 * from that, and the plans are applied over several connections at once.
 */
#ifndef DBSYNC_FLEET_H
#define DBSYNC_FLEET_H

#include "dbsync/common.h"
#include "dbsync/conn.h"
#include "dbsync/plan.h"
#include "dbsync/schema.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * The namespaces of `conn`'s server (PostgreSQL: schemas of its database;
 * MySQL: databases) whose name matches one of `patterns`, sorted by name,
 * without the server's own (pg_catalog, information_schema, pg_toast, pg_temp_*,
 * mysql, sys, performance_schema) and the engine's shadows. A pattern is a
 * name (exact), a glob when it holds `*`, `?` or `[` (fnmatch, whole name), or
 * `re:` followed by a POSIX extended regular expression (matched against the
 * whole name). No patterns: every namespace. A pattern that matches nothing is
 * not an error (the caller says so). An invalid pattern is DBSYNC_EINVALID
 * naming it. DBSYNC_EUNSUPPORTED where the dialect has no namespaces (SQLite).
 * *out is an array of *n names; free it with dbsync_names_free.
 */
DBSYNC_EXTERN(int) dbsync_conn_namespaces(char ***out, size_t *n, dbsync_ctx *ctx, dbsync_conn *conn,
	const char *const *patterns, size_t n_patterns);

/** 1 when `name` matches `pattern` by the rules of dbsync_conn_namespaces, 0
 * when not, DBSYNC_EINVALID (with the error on ctx) for an invalid pattern. */
DBSYNC_EXTERN(int) dbsync_name_matches(dbsync_ctx *ctx, const char *pattern, const char *name);

/** Free an array of names from dbsync_conn_namespaces. NULL is accepted. */
DBSYNC_EXTERN(void) dbsync_names_free(char **names, size_t n);

/** A fleet: one plan per member. Owns everything in it. */
typedef struct dbsync_fleet dbsync_fleet;

/** Where a member stands. */
typedef enum dbsync_member_state {
	DBSYNC_MEMBER_IN_SYNC = 0,  /**< nothing pending, nothing refused */
	DBSYNC_MEMBER_CHANGED,      /**< operations pending (before apply) or applied (after) */
	DBSYNC_MEMBER_REFUSED,      /**< some operation refused or skipped; the others as CHANGED */
	DBSYNC_MEMBER_FAILED,       /**< could not be read, planned or applied: see its error */
	DBSYNC_MEMBER_NOT_RUN       /**< apply stopped before it (fail_fast after another failed) */
} dbsync_member_state;

/** Name of a member state ("in_sync", "changed", "refused", "failed", "not_run"). */
DBSYNC_EXTERN(const char *) dbsync_member_state_name(dbsync_member_state state);

/**
 * Plan `desired` into each of `members` (namespaces of `conn`'s server, as
 * dbsync_conn_namespaces lists them; each once): the catalog of every member
 * is read in the same number of catalog queries as one member's, the desired
 * tables that differ anywhere are normalized once (one shadow), and each
 * member is planned as dbsync_plan_compute would plan it with `conn` syncing
 * that member. A member that cannot be read or planned is FAILED with its
 * error and the others are planned; the call fails only when nothing can be
 * planned (the connection, the desired schema, the options). Leaves `conn`
 * syncing the namespace it synced before. `desired` is borrowed until the
 * fleet is freed. `opts` as for dbsync_plan_compute (NULL: defaults).
 */
DBSYNC_EXTERN(int) dbsync_fleet_plan(dbsync_fleet **out, dbsync_ctx *ctx, dbsync_conn *conn,
	const char *const *members, size_t n_members, const dbsync_schema *desired,
	const dbsync_plan_options *opts);

/** Number of members. */
DBSYNC_EXTERN(size_t) dbsync_fleet_count(const dbsync_fleet *fleet);

/** Member `i`'s name (schema or database), or NULL when out of range. */
DBSYNC_EXTERN(const char *) dbsync_fleet_member(const dbsync_fleet *fleet, size_t i);

/** Member `i`'s state. */
DBSYNC_EXTERN(dbsync_member_state) dbsync_fleet_member_state(const dbsync_fleet *fleet, size_t i);

/** Member `i`'s plan (its operations carry their apply statuses after
 * dbsync_fleet_apply), or NULL when it failed before it was planned. */
DBSYNC_EXTERN(const dbsync_plan *) dbsync_fleet_member_plan(const dbsync_fleet *fleet, size_t i);

/** Member `i`'s error when FAILED, else NULL; its message starts with the
 * member's name (`schema "t1": ...`). */
DBSYNC_EXTERN(const dbsync_error *) dbsync_fleet_member_error(const dbsync_fleet *fleet, size_t i);

/** The number of catalog queries dbsync_fleet_plan made for the whole fleet. */
DBSYNC_EXTERN(uint64_t) dbsync_fleet_catalog_queries(const dbsync_fleet *fleet);

/**
 * Called by dbsync_fleet_apply when a member starts (finished == 0) and ends
 * (finished == 1), `done` members of `total` (those with pending operations)
 * finished so far. Called from the applying threads, one call at a time (the
 * callback needs no lock of its own), a member's start before its end. A
 * nonzero return stops the fleet: members not started are NOT_RUN (the
 * member whose start it refused too); members running finish.
 */
typedef int (*dbsync_fleet_progress_fn)(void *user, size_t done, size_t total, size_t member,
	int finished);

/**
 * Options for dbsync_fleet_apply. Initialize with dbsync_fleet_options_init
 * (or DBSYNC_FLEET_OPTIONS_INIT); every version from 1 to the library's own is
 * accepted, as for dbsync_plan_options.
 */
typedef struct dbsync_fleet_options {
	unsigned int version;
	/** Stop at the first member that fails: members not started yet are
	 * NOT_RUN; a member that failed in planning stops the fleet before
	 * anything runs (default 0: every member is tried, failures are
	 * reported). */
	int fail_fast;
	/** Each member's apply options (verify, retries, lock wait; its
	 * progress callback is not called), NULL for the defaults. */
	const dbsync_apply_options *apply;
	dbsync_fleet_progress_fn progress; /**< optional */
	void *progress_user;
} dbsync_fleet_options;

#define DBSYNC_FLEET_OPTIONS_VERSION 1
#define DBSYNC_FLEET_OPTIONS_INIT { DBSYNC_FLEET_OPTIONS_VERSION, 0, NULL, NULL, NULL }

/** The defaults of layout `version`, as dbsync_plan_options_init. */
DBSYNC_EXTERN(int) dbsync_fleet_options_init(dbsync_fleet_options *opts, unsigned int version);

/**
 * Apply every member's pending operations, `n_conns` members at once, member
 * `i` over one of `conns` (connections to the server the fleet was planned on,
 * opened for writing; the caller keeps them; each is used by one thread at a
 * time and left syncing the namespace it synced before). Each member is
 * applied as dbsync_plan_apply applies a plan: its own transaction where DDL
 * is transactional, its own sync lock (per schema or database, so runs on
 * different members do not wait for each other and two runs never change one
 * member at once), verified afterwards. Where each DDL statement commits
 * itself (MySQL), a member that fails keeps what ran before the failure: its
 * operations say which were APPLIED and which one FAILED.
 *
 * A member another run changed since it was planned is planned again: when
 * nothing is pending then (the other run did the work) it takes the fresh
 * plan and is IN_SYNC (or REFUSED), else it is FAILED with DBSYNC_ESTALE and
 * nothing applied to it. A member whose lock another run holds
 * (DBSYNC_ELOCKED) is tried again after a backoff as often as the apply
 * options' max_retries allow (the other run is most likely applying the same
 * change: then the retry finds it stale, and in sync); after that it is
 * FAILED with DBSYNC_ELOCKED. A member whose connection is lost is FAILED;
 * that connection is reconnected once, and when that fails its thread takes
 * no more members (the other connections go on; with none left, the rest are
 * NOT_RUN). A failing member is FAILED with its error and the others go on,
 * unless fail_fast. Members FAILED already (in planning, or by an earlier
 * apply) are not tried: plan them again. Every member's error starts with
 * its name: `schema "t1": ...` (PostgreSQL), `database "t1": ...` (MySQL).
 *
 * Refused before anything runs (DBSYNC_EINVALID, nothing applied): a
 * read-only connection, a connection given twice or of another dialect, a
 * plan waiting for fills (dbsync_plan_fill_count). Returns 0 when every
 * member with changes was applied, else DBSYNC_ERROR (failed members, or the
 * callback stopped the fleet) or DBSYNC_ECONNECT (every connection lost),
 * with the counts on ctx.
 */
DBSYNC_EXTERN(int) dbsync_fleet_apply(dbsync_ctx *ctx, dbsync_fleet *fleet, dbsync_conn *const *conns,
	size_t n_conns, const dbsync_fleet_options *opts);

/**
 * The JSON report of a fleet run (docs/report.schema.json): the keys of a
 * run's report (dbsync_report_json, `context_json` merged the same way), whose
 * "operations", "skipped_destructive", "unmanaged" and "totals" cover every
 * member (each operation and unmanaged object naming its "member"), with
 * "members": one entry per member in the fleet's order (name, state, error
 * {message, code, sqlstate, native_code} or null, its operations and
 * unmanaged objects, and "counts": its own totals) and "fleet": member_kind
 * ("schema", "database"), the number of members in each state, and the
 * catalog queries of the fleet's plan. `conn` (may be NULL) gives the server's
 * vendor, version and safe description. dbsync_report_html renders it: a
 * table of the members, then the operations of each member not in sync.
 * Caller frees *out.
 */
DBSYNC_EXTERN(int) dbsync_fleet_report_json(char **out, dbsync_ctx *ctx, const dbsync_fleet *fleet,
	dbsync_conn *conn, const char *context_json);

/** Free a fleet. NULL is accepted. */
DBSYNC_EXTERN(void) dbsync_fleet_free(dbsync_fleet *fleet);

/**
 * Member `i`'s part of a hand-run script of the fleet (what a dry run
 * prints): a comment naming the member ("-- schema \"x\""), the statement
 * that makes the session sync it (PostgreSQL: search_path set to the
 * session's default with the schema first, failing when the schema does not
 * exist), then dbsync_plan_script of its plan (MySQL's selects its database
 * itself: USE). "" when the member has nothing pending (or failed before it
 * was planned). *out is malloc'd; free it with dbsync_free.
 */
DBSYNC_EXTERN(int) dbsync_fleet_member_script(char **out, dbsync_ctx *ctx, const dbsync_fleet *fleet, size_t i);

/** What a namespace of `dialect` is called ("schema", "database"), or NULL
 * where a connection has none to choose from (SQLite). */
DBSYNC_EXTERN(const char *) dbsync_dialect_namespace_word(dbsync_dialect dialect);

#ifdef __cplusplus
}
#endif

#endif
