/*
 * Fleets (dbsync/fleet.h): one desired schema planned into, and applied to,
 * many namespaces of one server.
 *
 * Planning reads every member's catalog in one pass (the backend's
 * introspect_many, the same fixed number of queries as one member's), makes
 * the server's spelling of the desired tables that differ in any member once
 * (one shadow), and plans each member from its own live schema and that
 * spelling, with the connection switched to the member (use_namespace, which
 * costs no round trip by itself) so its probes and messages name it.
 * Applying hands the members out to one thread per connection; each member is
 * applied exactly as dbsync_plan_apply applies a plan (its lock, its
 * transaction, its verification). A schema is read-only once built, so the
 * threads share the desired schema and its spelling.
 */
#define _POSIX_C_SOURCE 200809L
#include <fnmatch.h>
#include <stdio.h>
#include <pthread.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "ctx.h"
#include "fleet_internal.h"
#include "options.h"
#include "plan_internal.h"
#include "retry.h"

const char *dbsync_member_state_name(dbsync_member_state state)
{
	switch (state) {
	case DBSYNC_MEMBER_IN_SYNC: return "in_sync";
	case DBSYNC_MEMBER_CHANGED: return "changed";
	case DBSYNC_MEMBER_REFUSED: return "refused";
	case DBSYNC_MEMBER_FAILED: return "failed";
	case DBSYNC_MEMBER_NOT_RUN: return "not_run";
	}
	return "unknown";
}

/* ---- names and patterns ---- */

static bool is_glob(const char *p)
{
	return strpbrk(p, "*?[") != NULL;
}

int dbsync_name_matches(dbsync_ctx *ctx, const char *pattern, const char *name)
{
	if (!pattern || !name)
		return dbs_error(ctx, DBSYNC_EINVALID, "dbsync_name_matches needs a pattern and a name");
	if (strncmp(pattern, "re:", 3) == 0) {
		regex_t re;
		int err = regcomp(&re, pattern + 3, REG_EXTENDED);
		if (err) {
			char why[160];
			regerror(err, &re, why, sizeof why);
			return dbs_error(ctx, DBSYNC_EINVALID, "invalid regular expression in the pattern \"%s\": %s",
				pattern, why);
		}
		regmatch_t m;
		int hit = regexec(&re, name, 1, &m, 0) == 0 && m.rm_so == 0 && name[m.rm_eo] == '\0';
		regfree(&re);
		return hit;
	}
	if (is_glob(pattern))
		return fnmatch(pattern, name, 0) == 0;
	return strcmp(pattern, name) == 0;
}

void dbsync_names_free(char **names, size_t n)
{
	if (!names)
		return;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int dbsync_conn_namespaces(char ***out, size_t *n, dbsync_ctx *ctx, dbsync_conn *conn,
	const char *const *patterns, size_t n_patterns)
{
	*out = NULL;
	*n = 0;
	if (!conn)
		return dbs_error(ctx, DBSYNC_EINVALID, "dbsync_conn_namespaces needs a connection");
	const dbs_backend *be = conn->backend;
	if (!be->namespaces)
		return dbs_error(ctx, DBSYNC_EUNSUPPORTED, "%s has no schemas or databases to choose from",
			conn->describe);
	/* a bad pattern is an error even when the server has no namespace to try it on */
	for (size_t j = 0; j < n_patterns; j++) {
		int rc = dbsync_name_matches(ctx, patterns[j], "");
		if (rc < 0)
			return rc;
	}
	char **all = NULL;
	size_t n_all = 0;
	int rc = be->namespaces(&all, &n_all, ctx, conn);
	if (rc)
		return rc;
	size_t kept = 0;
	for (size_t i = 0; i < n_all; i++) {
		bool hit = n_patterns == 0;
		for (size_t j = 0; !hit && j < n_patterns; j++)
			hit = dbsync_name_matches(ctx, patterns[j], all[i]) == 1;
		if (hit)
			all[kept++] = all[i];
		else
			free(all[i]);
	}
	*out = all;
	*n = kept;
	return 0;
}

/* ---- planning ---- */

/* Make the error on ctx member i's (FAILED), naming it first: "schema \"x\": ...".
 * ENOMEM when its message cannot be kept (the member is FAILED anyway). */
static int member_error(dbsync_fleet *f, size_t i, const dbsync_ctx *ctx)
{
	dbs_fleet_member *m = &f->members[i];
	const dbsync_error *e = dbsync_ctx_error(ctx);
	const char *why = e->message && *e->message ? e->message : "unknown error";
	size_t cap = strlen(f->word) + strlen(f->names[i]) + strlen(why) + 8;
	free(m->message);
	m->message = malloc(cap);
	if (m->message)
		snprintf(m->message, cap, "%s \"%s\": %s", f->word, f->names[i], why);
	m->err = *e;
	m->err.message = m->message ? m->message : "out of memory";
	m->state = DBSYNC_MEMBER_FAILED;
	return m->message ? 0 : DBSYNC_ENOMEM;
}

/* A member's state from its plan's operations. */
static dbsync_member_state plan_state(const dbsync_plan *plan)
{
	bool changed = false, refused = false;
	for (size_t i = 0; i < plan->ops.n; i++) {
		switch (plan->ops.items[i]->status) {
		case DBSYNC_STATUS_FAILED: return DBSYNC_MEMBER_FAILED;
		case DBSYNC_STATUS_PENDING:
		case DBSYNC_STATUS_APPLIED: changed = true; break;
		case DBSYNC_STATUS_SKIPPED:
		case DBSYNC_STATUS_REFUSED: refused = true; break;
		}
	}
	return refused ? DBSYNC_MEMBER_REFUSED : changed ? DBSYNC_MEMBER_CHANGED : DBSYNC_MEMBER_IN_SYNC;
}

/* The catalogs of every member: in one pass where the backend reads many
 * namespaces at once, else one after another. */
static int read_members(dbsync_schema **lives, dbsync_ctx *ctx, dbsync_conn *conn, dbsync_fleet *f)
{
	const dbs_backend *be = conn->backend;
	if (be->introspect_many) {
		int rc = be->introspect_many(lives, ctx, conn, (const char *const *)f->names, f->n);
		if (!rc || rc == DBSYNC_ECONNECT || rc == DBSYNC_ENOMEM || f->n == 1)
			return rc;
		/* One member the one pass cannot read (a database whose grants hide
		 * what the catalog needs) must not fail the others: read each alone,
		 * so the error lands on its own member. */
		for (size_t i = 0; i < f->n; i++) {
			dbsync_schema_free(lives[i]);
			lives[i] = NULL;
		}
		dbsync_ctx_clear_error(ctx);
	}
	for (size_t i = 0; i < f->n; i++) {
		int rc = be->use_namespace(ctx, conn, f->names[i]);
		if (!rc)
			rc = dbsync_conn_introspect(&lives[i], ctx, conn);
		if (rc == DBSYNC_ECONNECT || rc == DBSYNC_ENOMEM)
			return rc;
		if (rc) {
			lives[i] = NULL;
			if (member_error(f, i, ctx))
				return dbs_error_oom(ctx);
			dbsync_ctx_clear_error(ctx);
		}
	}
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Each member once: sorted, a name named twice sits next to itself (n log n,
 * for fleets of thousands). */
static int check_unique(dbsync_ctx *ctx, char *const *names, size_t n)
{
	char **sorted = malloc((n + 1) * sizeof *sorted);
	if (!sorted)
		return dbs_error_oom(ctx);
	memcpy(sorted, names, n * sizeof *sorted);
	qsort(sorted, n, sizeof *sorted, cmp_names);
	int rc = 0;
	for (size_t i = 1; i < n && !rc; i++)
		if (strcmp(sorted[i - 1], sorted[i]) == 0)
			rc = dbs_error(ctx, DBSYNC_EINVALID, "\"%s\" is named twice in the fleet", sorted[i]);
	free(sorted);
	return rc;
}

static int new_fleet(dbsync_fleet **out, dbsync_ctx *ctx, const char *const *members, size_t n,
	const dbsync_schema *desired, const char *word)
{
	dbsync_fleet *f = calloc(1, sizeof *f);
	if (!f)
		return dbs_error_oom(ctx);
	*out = f;
	f->desired = desired;
	f->word = word;
	f->n = n;
	f->names = calloc(n + 1, sizeof *f->names);
	f->members = calloc(n + 1, sizeof *f->members);
	if (!f->names || !f->members)
		return dbs_error_oom(ctx);
	for (size_t i = 0; i < n; i++) {
		if (!members[i] || !*members[i])
			return dbs_error(ctx, DBSYNC_EINVALID, "member %zu of the fleet has no name", i + 1);
		if (!(f->names[i] = strdup(members[i])))
			return dbs_error_oom(ctx);
	}
	return check_unique(ctx, f->names, n);
}

int dbsync_fleet_plan(dbsync_fleet **out, dbsync_ctx *ctx, dbsync_conn *conn,
	const char *const *members, size_t n_members, const dbsync_schema *desired,
	const dbsync_plan_options *opts)
{
	*out = NULL;
	if (!conn || !desired || (!members && n_members))
		return dbs_error(ctx, DBSYNC_EINVALID, "dbsync_fleet_plan needs a connection, members and a desired schema");
	const dbs_backend *be = conn->backend;
	if (!be->use_namespace || !be->namespaces)
		return dbs_error(ctx, DBSYNC_EUNSUPPORTED, "%s has no schemas or databases to sync as a fleet",
			conn->describe);
	if (desired->dialect != conn->dialect)
		return dbs_error(ctx, DBSYNC_EINVALID, "the desired schema is %s but the database is %s",
			dbsync_dialect_name(desired->dialect), dbsync_dialect_name(conn->dialect));
	dbsync_plan_options checked;
	int rc = dbs_plan_options_read(&checked, ctx, opts);
	if (rc)
		return rc;
	const char *was = be->synced_namespace ? be->synced_namespace(conn) : NULL;
	char *back = was ? strdup(was) : NULL;
	dbsync_fleet *f = NULL;
	dbsync_schema **lives = NULL;
	uint64_t queries = conn->catalog_queries;
	if (was && !back) {
		rc = dbs_error_oom(ctx);
		goto cleanup;
	}
	if ((rc = new_fleet(&f, ctx, members, n_members, desired, dbs_dialect_info_for(conn->dialect)->namespace_word)))
		goto cleanup;
	if (!(lives = calloc(n_members + 1, sizeof *lives))) {
		rc = dbs_error_oom(ctx);
		goto cleanup;
	}
	if ((rc = read_members(lives, ctx, conn, f)))
		goto cleanup;
	for (size_t i = 0; i < f->n; i++)
		if (!lives[i] && f->members[i].state != DBSYNC_MEMBER_FAILED) {
			dbs_error(ctx, DBSYNC_EINVALID, "it does not exist in %s", conn->describe);
			if (member_error(f, i, ctx)) {
				rc = dbs_error_oom(ctx);
				goto cleanup;
			}
			dbsync_ctx_clear_error(ctx);
		}
	/* the shadow is made from a member that could be read: the desired DDL's
	 * unqualified references resolve there as in the members (a tenant's
	 * foreign key into public), and not from a member that failed */
	for (size_t i = 0; i < f->n; i++)
		if (lives[i]) {
			if ((rc = be->use_namespace(ctx, conn, f->names[i])))
				goto cleanup;
			break;
		}
	/* one spelling of the desired side for the whole fleet */
	if ((rc = dbs_plan_normalize_for(&f->normalized, ctx, conn, desired,
		     (const dbsync_schema *const *)lives, f->n)))
		goto cleanup;
	for (size_t i = 0; i < f->n; i++) {
		dbs_fleet_member *m = &f->members[i];
		if (!lives[i])
			continue;
		dbsync_schema *live = lives[i];
		lives[i] = NULL;
		rc = be->use_namespace(ctx, conn, f->names[i]);
		if (!rc)
			rc = dbs_plan_check_target(ctx, conn, desired);
		if (rc)
			dbsync_schema_free(live);
		else
			rc = dbs_plan_compute_from(&m->plan, ctx, conn, desired, live,
				f->normalized ? f->normalized : desired, opts);
		if (rc == DBSYNC_ECONNECT || rc == DBSYNC_ENOMEM)
			goto cleanup;
		if (rc) {
			if (member_error(f, i, ctx)) {
				rc = dbs_error_oom(ctx);
				goto cleanup;
			}
			dbsync_ctx_clear_error(ctx);
			rc = 0;
			continue;
		}
		m->state = plan_state(m->plan);
	}
	f->catalog_queries = conn->catalog_queries - queries;
cleanup:
	if (back) {
		/* the caller's namespace again, whatever happened; its own error first */
		dbsync_ctx *quiet = NULL;
		if (dbsync_ctx_new(&quiet) == 0) {
			be->use_namespace(quiet, conn, back);
			dbsync_ctx_free(quiet);
		}
		free(back);
	}
	if (lives)
		for (size_t i = 0; i < n_members; i++)
			dbsync_schema_free(lives[i]);
	free(lives);
	if (rc) {
		dbsync_fleet_free(f);
		return rc;
	}
	*out = f;
	return 0;
}

size_t dbsync_fleet_count(const dbsync_fleet *fleet)
{
	return fleet ? fleet->n : 0;
}

const char *dbsync_fleet_member(const dbsync_fleet *fleet, size_t i)
{
	return fleet && i < fleet->n ? fleet->names[i] : NULL;
}

dbsync_member_state dbsync_fleet_member_state(const dbsync_fleet *fleet, size_t i)
{
	return fleet && i < fleet->n ? fleet->members[i].state : DBSYNC_MEMBER_FAILED;
}

const dbsync_plan *dbsync_fleet_member_plan(const dbsync_fleet *fleet, size_t i)
{
	return fleet && i < fleet->n ? fleet->members[i].plan : NULL;
}

const dbsync_error *dbsync_fleet_member_error(const dbsync_fleet *fleet, size_t i)
{
	if (!fleet || i >= fleet->n || fleet->members[i].state != DBSYNC_MEMBER_FAILED)
		return NULL;
	return &fleet->members[i].err;
}

uint64_t dbsync_fleet_catalog_queries(const dbsync_fleet *fleet)
{
	return fleet ? fleet->catalog_queries : 0;
}

void dbsync_fleet_free(dbsync_fleet *fleet)
{
	if (!fleet)
		return;
	for (size_t i = 0; i < fleet->n; i++) {
		if (fleet->names)
			free(fleet->names[i]);
		if (fleet->members) {
			dbsync_plan_free(fleet->members[i].plan);
			free(fleet->members[i].message);
		}
	}
	free(fleet->names);
	free(fleet->members);
	dbsync_schema_free(fleet->normalized);
	free(fleet);
}

/* ---- applying ---- */

typedef struct fleet_run {
	dbsync_fleet *fleet;
	const dbsync_fleet_options *opts;
	const dbsync_apply_options *apply;
	pthread_mutex_t lock;     /* guards everything below, and the progress callback */
	bool *started;            /* members handed to a thread */
	size_t next;              /* the next member to look at */
	size_t done, total;       /* members with pending operations finished, and in all */
	size_t failed;
	bool stop;                /* fail_fast after a failure, or the callback asked */
	bool cancelled;           /* the callback asked */
} fleet_run;

/* Whether apply has work for member m: planned, something pending, and not
 * failed already (a failed member needs a new plan). */
static bool to_apply(const dbs_fleet_member *m)
{
	return m->state != DBSYNC_MEMBER_FAILED && m->plan && dbsync_plan_pending_count(m->plan) > 0;
}

/* The progress callback, with r->lock held (one call at a time); false: stop. */
static bool report(fleet_run *r, size_t member, int finished)
{
	if (!r->opts->progress)
		return true;
	if (r->opts->progress(r->opts->progress_user, r->done, r->total, member, finished) == 0)
		return true;
	r->cancelled = true;
	return false;
}

/* Whether no operation of the plan has run (all still pending or left alone). */
static bool untouched(const dbsync_plan *plan)
{
	for (size_t i = 0; i < plan->ops.n; i++)
		if (plan->ops.items[i]->status == DBSYNC_STATUS_APPLIED || plan->ops.items[i]->status == DBSYNC_STATUS_FAILED)
			return false;
	return true;
}

/* A member another run changed since it was planned (apply refused it with
 * DBSYNC_ESTALE, nothing run): plan it again from the catalog. Nothing pending
 * then means the other run did the work: the fresh plan replaces the old and
 * true. Else false, and the member fails with the stale error on ctx. */
static bool replan_stale(dbs_fleet_member *m, dbsync_conn *conn, const dbsync_fleet *f)
{
	dbsync_plan *fresh = NULL;
	dbsync_ctx *mine = NULL;
	bool done = false;
	if (dbsync_ctx_new(&mine))
		return false;
	if (dbsync_plan_compute(&fresh, mine, conn, f->desired, &m->plan->opts) == 0
	    && dbsync_plan_pending_count(fresh) == 0) {
		dbsync_plan_free(m->plan);
		m->plan = fresh;
		fresh = NULL;
		m->state = plan_state(m->plan);
		done = true;
	}
	dbsync_plan_free(fresh);
	dbsync_ctx_free(mine);
	return done;
}

/* Apply member i over conn (ctx: this thread's). Returns true when the
 * member failed because the connection is gone. */
static bool apply_member(fleet_run *r, dbsync_conn *conn, dbsync_ctx *ctx, size_t i)
{
	dbsync_fleet *f = r->fleet;
	dbs_fleet_member *m = &f->members[i];
	dbs_backoff backoff;
	dbs_backoff_init(&backoff, r->apply->retry_base_ms, r->apply->retry_max_ms);
	int rc;
	for (int attempt = 1;; attempt++) {
		rc = conn->backend->use_namespace(ctx, conn, f->names[i]);
		if (!rc)
			rc = dbsync_plan_apply(ctx, conn, m->plan, r->apply);
		/* another run holds this member's lock: it is applying the same
		 * change, most likely; once it is done this run sees it (stale, then
		 * in sync). Retried as a transient error, as max_retries allows. */
		if (rc != DBSYNC_ELOCKED || attempt > r->apply->max_retries || !untouched(m->plan))
			break;
		dbsync_ctx_clear_error(ctx);
		dbs_sleep_ms(dbs_backoff_delay_ms(&backoff, attempt));
	}
	if (rc == DBSYNC_ESTALE && replan_stale(m, conn, f)) {
		dbsync_ctx_clear_error(ctx);
		return false;
	}
	if (!rc) {
		m->state = plan_state(m->plan);
		return false;
	}
	bool lost = dbs_retry_classify(conn, dbsync_ctx_error(ctx)) == DBS_RETRY_RECONNECT;
	member_error(f, i, ctx); /* out of memory: FAILED all the same, its message says so */
	dbsync_ctx_clear_error(ctx);
	return lost;
}

typedef struct worker {
	fleet_run *run;
	dbsync_conn *conn;
	int rc;                   /* setting up the worker failed (memory) */
} worker;

/* The next member with work, marked started; fleet->n when there is none
 * (or the run stops). With r->lock held. */
static size_t take_member(fleet_run *r)
{
	while (!r->stop && r->next < r->fleet->n && !to_apply(&r->fleet->members[r->next]))
		r->next++;
	if (r->stop || r->next >= r->fleet->n)
		return r->fleet->n;
	size_t i = r->next++;
	if (!report(r, i, 0)) {
		r->stop = true;  /* not started: NOT_RUN */
		return r->fleet->n;
	}
	r->started[i] = true;
	return i;
}

static void *work(void *arg)
{
	worker *w = arg;
	fleet_run *r = w->run;
	const size_t n = r->fleet->n;
	dbsync_ctx *ctx = NULL;
	const dbs_backend *be = w->conn->backend;
	const char *was = be->synced_namespace ? be->synced_namespace(w->conn) : NULL;
	char *back = was ? strdup(was) : NULL;
	bool gone = false;
	if ((w->rc = dbsync_ctx_new(&ctx)) || (was && !back)) {
		w->rc = DBSYNC_ENOMEM;
		gone = true;
	}
	while (!gone) {
		pthread_mutex_lock(&r->lock);
		size_t i = take_member(r);
		pthread_mutex_unlock(&r->lock);
		if (i == n)
			break;
		bool lost = apply_member(r, w->conn, ctx, i);
		/* the connection is gone: one reconnect, else the other threads
		 * take the members left */
		if (lost) {
			gone = dbs_reconnect(ctx, w->conn) != 0;
			dbsync_ctx_clear_error(ctx);
		}
		pthread_mutex_lock(&r->lock);
		r->done++;
		if (r->fleet->members[i].state == DBSYNC_MEMBER_FAILED) {
			r->failed++;
			if (r->opts->fail_fast)
				r->stop = true;
		}
		if (!report(r, i, 1))
			r->stop = true;
		pthread_mutex_unlock(&r->lock);
	}
	if (back && !gone)
		be->use_namespace(ctx, w->conn, back);
	free(back);
	dbsync_ctx_free(ctx);
	return NULL;
}

/* Before anything runs: the connections, and the plans' fills. */
static int check_apply(dbsync_ctx *ctx, dbsync_fleet *fleet, dbsync_conn *const *conns, size_t n_conns)
{
	dbsync_dialect d = fleet->desired->dialect;
	for (size_t c = 0; c < n_conns; c++) {
		if (!conns[c] || !conns[c]->backend->use_namespace || conns[c]->dialect != d)
			return dbs_error(ctx, DBSYNC_EINVALID, "connection %zu of the fleet is not a %s connection that can "
				"sync a fleet", c + 1, dbsync_dialect_name(d));
		if (conns[c]->readonly)
			return dbs_error(ctx, DBSYNC_EINVALID, "%s was opened read-only (for a dry run or a check): it "
				"cannot apply a fleet; nothing was applied", conns[c]->describe);
		for (size_t e = 0; e < c; e++)
			if (conns[c] == conns[e])
				return dbs_error(ctx, DBSYNC_EINVALID, "connection %zu is given twice: a fleet runs one thread "
					"per connection", c + 1);
	}
	for (size_t i = 0; i < fleet->n; i++) {
		const dbs_fleet_member *m = &fleet->members[i];
		if (to_apply(m) && dbsync_plan_fill_count(m->plan))
			return dbs_error(ctx, DBSYNC_EINVALID, "the plan of %s \"%s\" waits for %zu field default(s) "
				"computed by the caller: plan the fleet again with them; nothing was applied",
				fleet->word, fleet->names[i], dbsync_plan_fill_count(m->plan));
	}
	return 0;
}

/* The members apply did not start, left as planned: NOT_RUN. */
static size_t mark_not_run(dbsync_fleet *fleet, const bool *started)
{
	size_t n = 0;
	for (size_t i = 0; i < fleet->n; i++)
		if (!started[i] && to_apply(&fleet->members[i])) {
			fleet->members[i].state = DBSYNC_MEMBER_NOT_RUN;
			n++;
		}
	return n;
}

/* fail_fast and a member that failed to be read or planned: nothing runs. */
static const char *failed_before(const dbsync_fleet *fleet)
{
	for (size_t i = 0; i < fleet->n; i++)
		if (fleet->members[i].state == DBSYNC_MEMBER_FAILED)
			return fleet->names[i];
	return NULL;
}

int dbsync_fleet_apply(dbsync_ctx *ctx, dbsync_fleet *fleet, dbsync_conn *const *conns, size_t n_conns,
	const dbsync_fleet_options *opts)
{
	dbsync_fleet_options o;
	dbsync_apply_options a;
	int rc;
	if (!fleet || !conns || !n_conns)
		return dbs_error(ctx, DBSYNC_EINVALID, "dbsync_fleet_apply needs a fleet and at least one connection");
	if ((rc = dbs_fleet_options_read(&o, ctx, opts)) || (rc = dbs_apply_options_read(&a, ctx, o.apply)))
		return rc;
	if (a.max_retries < 0)
		return dbs_error(ctx, DBSYNC_EINVALID, "max_retries must be 0 or more, not %d", a.max_retries);
	a.progress = NULL;
	a.progress_user = NULL;
	if ((rc = check_apply(ctx, fleet, conns, n_conns)))
		return rc;
	fleet_run r = { .fleet = fleet, .opts = &o, .apply = &a };
	if (!(r.started = calloc(fleet->n + 1, sizeof *r.started)))
		return dbs_error_oom(ctx);
	const char *failed = o.fail_fast ? failed_before(fleet) : NULL;
	if (failed) {
		size_t left = mark_not_run(fleet, r.started);
		free(r.started);
		return dbs_error(ctx, DBSYNC_ERROR, "%s \"%s\" failed before anything ran (fail_fast): nothing was "
			"applied, %zu member(s) not run", fleet->word, failed, left);
	}
	for (size_t i = 0; i < fleet->n; i++)
		r.total += to_apply(&fleet->members[i]);
	if (pthread_mutex_init(&r.lock, NULL)) {
		free(r.started);
		return dbs_error(ctx, DBSYNC_ERROR, "cannot make a mutex for the fleet's threads");
	}
	size_t n_threads = n_conns < r.total ? n_conns : r.total;
	worker *ws = calloc(n_threads + 1, sizeof *ws);
	pthread_t *ts = calloc(n_threads + 1, sizeof *ts);
	size_t started = 0;
	if (!ws || !ts) {
		rc = dbs_error_oom(ctx);
	} else if (n_threads) {
		for (size_t t = 0; t < n_threads; t++)
			ws[t] = (worker){ .run = &r, .conn = conns[t] };
		/* worker 0 runs on this thread once the others are started */
		for (started = 1; started < n_threads; started++)
			if (pthread_create(&ts[started], NULL, work, &ws[started]) != 0)
				break; /* the threads made share the members */
		work(&ws[0]);
		for (size_t t = 1; t < started; t++)
			pthread_join(ts[t], NULL);
		for (size_t t = 0; t < started && !rc; t++)
			if (ws[t].rc)
				rc = dbs_error_oom(ctx);
	}
	free(ws);
	free(ts);
	pthread_mutex_destroy(&r.lock);
	size_t not_run = mark_not_run(fleet, r.started);
	free(r.started);
	if (rc)
		return rc;
	if (r.failed)
		return dbs_error(ctx, DBSYNC_ERROR, "%zu of %zu %s(s) with changes failed (each named in the fleet); "
			"%zu not run", r.failed, r.total, fleet->word, not_run);
	if (r.cancelled)
		return dbs_error(ctx, DBSYNC_ERROR, "stopped by the progress callback after %zu of %zu %s(s); %zu not run",
			r.done, r.total, fleet->word, not_run);
	if (not_run)
		return dbs_error(ctx, DBSYNC_ECONNECT, "every connection of the fleet was lost: %zu %s(s) not run",
			not_run, fleet->word);
	return 0;
}
