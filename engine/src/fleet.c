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
#include <pthread.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "ctx.h"
#include "fleet_internal.h"
#include "options.h"
#include "plan_internal.h"

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

static int member_error(dbs_fleet_member *m, const dbsync_ctx *ctx)
{
	const dbsync_error *e = dbsync_ctx_error(ctx);
	m->err = *e;
	m->message = strdup(e->message ? e->message : "unknown error");
	m->err.message = m->message;
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
	if (be->introspect_many)
		return be->introspect_many(lives, ctx, conn, (const char *const *)f->names, f->n);
	for (size_t i = 0; i < f->n; i++) {
		int rc = be->use_namespace(ctx, conn, f->names[i]);
		if (!rc)
			rc = dbsync_conn_introspect(&lives[i], ctx, conn);
		if (rc == DBSYNC_ECONNECT || rc == DBSYNC_ENOMEM)
			return rc;
		if (rc) {
			lives[i] = NULL;
			if (member_error(&f->members[i], ctx))
				return dbs_error_oom(ctx);
			dbsync_ctx_clear_error(ctx);
		}
	}
	return 0;
}

static int new_fleet(dbsync_fleet **out, dbsync_ctx *ctx, const char *const *members, size_t n,
	const dbsync_schema *desired)
{
	dbsync_fleet *f = calloc(1, sizeof *f);
	if (!f)
		return dbs_error_oom(ctx);
	*out = f;
	f->desired = desired;
	f->n = n;
	f->names = calloc(n + 1, sizeof *f->names);
	f->members = calloc(n + 1, sizeof *f->members);
	if (!f->names || !f->members)
		return dbs_error_oom(ctx);
	for (size_t i = 0; i < n; i++) {
		if (!members[i] || !*members[i])
			return dbs_error(ctx, DBSYNC_EINVALID, "member %zu of the fleet has no name", i + 1);
		for (size_t j = 0; j < i; j++)
			if (strcmp(members[i], members[j]) == 0)
				return dbs_error(ctx, DBSYNC_EINVALID, "\"%s\" is named twice in the fleet", members[i]);
		if (!(f->names[i] = strdup(members[i])))
			return dbs_error_oom(ctx);
	}
	return 0;
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
	if ((rc = new_fleet(&f, ctx, members, n_members, desired)))
		goto cleanup;
	if (!(lives = calloc(n_members + 1, sizeof *lives))) {
		rc = dbs_error_oom(ctx);
		goto cleanup;
	}
	if ((rc = read_members(lives, ctx, conn, f)))
		goto cleanup;
	for (size_t i = 0; i < f->n; i++)
		if (!lives[i] && f->members[i].state != DBSYNC_MEMBER_FAILED) {
			dbs_error(ctx, DBSYNC_EINVALID, "%s \"%s\" does not exist in %s",
				dbs_dialect_info_for(conn->dialect)->namespace_word, f->names[i], conn->describe);
			if (member_error(&f->members[i], ctx)) {
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
	f->catalog_queries = conn->catalog_queries - queries;
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
			if (member_error(m, ctx)) {
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
	if (!fleet || i >= fleet->n || !fleet->members[i].message)
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
	pthread_mutex_t lock;     /* guards everything below and the progress callback */
	size_t next;              /* the next member to hand out */
	size_t done, total;       /* members with pending operations finished, and in all */
	size_t failed;
	bool stop;                /* fail_fast after a failure, or the callback asked */
} fleet_run;

static bool report(fleet_run *r, size_t member, int finished)
{
	/* called with r->lock held */
	if (!r->opts->progress)
		return true;
	return r->opts->progress(r->opts->progress_user, r->done, r->total, member, finished) == 0;
}

/* A member another run changed since it was planned: plan it again under
 * this run's eyes; nothing left means that other run did the work. */
static void replan_stale(dbs_fleet_member *m, dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_fleet *f)
{
	dbsync_plan *fresh = NULL;
	dbsync_ctx *mine = NULL;
	if (dbsync_ctx_new(&mine))
		return;
	if (dbsync_plan_compute(&fresh, mine, conn, f->desired, &m->plan->opts) == 0
		&& plan_state(fresh) == DBSYNC_MEMBER_IN_SYNC) {
		dbsync_plan_free(m->plan);
		m->plan = fresh;
		m->state = DBSYNC_MEMBER_IN_SYNC;
		dbsync_ctx_clear_error(ctx);
	} else {
		dbsync_plan_free(fresh);
	}
	dbsync_ctx_free(mine);
}

static void apply_member(fleet_run *r, dbsync_conn *conn, dbsync_ctx *ctx, size_t i)
{
	dbs_fleet_member *m = &r->fleet->members[i];
	int rc = conn->backend->use_namespace(ctx, conn, r->fleet->names[i]);
	if (!rc)
		rc = dbsync_plan_apply(ctx, conn, m->plan, r->apply);
	if (rc == DBSYNC_ESTALE)
		replan_stale(m, ctx, conn, r->fleet);
	if (m->state == DBSYNC_MEMBER_IN_SYNC && rc == DBSYNC_ESTALE)
		return;
	if (rc) {
		if (member_error(m, ctx))
			m->state = DBSYNC_MEMBER_FAILED;
		dbsync_ctx_clear_error(ctx);
		return;
	}
	m->state = plan_state(m->plan);
}

typedef struct worker {
	fleet_run *run;
	dbsync_conn *conn;
	int rc;                   /* setting up the worker failed (memory) */
} worker;

static void *work(void *arg)
{
	worker *w = arg;
	fleet_run *r = w->run;
	dbsync_ctx *ctx = NULL;
	if ((w->rc = dbsync_ctx_new(&ctx)))
		return NULL;
	const dbs_backend *be = w->conn->backend;
	const char *was = be->synced_namespace ? be->synced_namespace(w->conn) : NULL;
	char *back = was ? strdup(was) : NULL;
	for (;;) {
		size_t i;
		pthread_mutex_lock(&r->lock);
		while (r->next < r->fleet->n && !r->stop
		       && !(r->fleet->members[r->next].plan && dbsync_plan_pending_count(r->fleet->members[r->next].plan)))
			r->next++;
		if (r->stop || r->next >= r->fleet->n) {
			pthread_mutex_unlock(&r->lock);
			break;
		}
		i = r->next++;
		if (!report(r, i, 0))
			r->stop = true;
		pthread_mutex_unlock(&r->lock);
		if (r->stop)
			break; /* this member was not started: marked NOT_RUN below */
		apply_member(r, w->conn, ctx, i);
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
	if (back) {
		be->use_namespace(ctx, w->conn, back);
		free(back);
	}
	dbsync_ctx_free(ctx);
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
	a.progress = NULL;
	a.progress_user = NULL;
	for (size_t c = 0; c < n_conns; c++) {
		if (!conns[c] || !conns[c]->backend->use_namespace)
			return dbs_error(ctx, DBSYNC_EINVALID, "connection %zu of the fleet cannot sync a fleet", c + 1);
		if (conns[c]->readonly)
			return dbs_error(ctx, DBSYNC_EINVALID, "%s was opened read-only: nothing can be applied",
				conns[c]->describe);
		for (size_t d = 0; d < c; d++)
			if (conns[c] == conns[d])
				return dbs_error(ctx, DBSYNC_EINVALID, "connection %zu is given twice: one thread per "
					"connection", c + 1);
	}
	fleet_run r = { .fleet = fleet, .opts = &o, .apply = &a };
	for (size_t i = 0; i < fleet->n; i++) {
		const dbsync_plan *p = fleet->members[i].plan;
		if (!p || !dbsync_plan_pending_count(p))
			continue;
		if (dbsync_plan_fill_count(p))
			return dbs_error(ctx, DBSYNC_EINVALID, "the plan of \"%s\" waits for %zu field default(s) "
				"computed by the caller: plan the fleet again with them; nothing was applied",
				fleet->names[i], dbsync_plan_fill_count(p));
		r.total++;
	}
	if (pthread_mutex_init(&r.lock, NULL))
		return dbs_error(ctx, DBSYNC_ERROR, "cannot make a mutex for the fleet's threads");
	size_t n_threads = n_conns < r.total ? n_conns : r.total;
	worker *ws = calloc(n_threads + 1, sizeof *ws);
	pthread_t *ts = calloc(n_threads + 1, sizeof *ts);
	size_t started = 0;
	if (!ws || !ts) {
		rc = dbs_error_oom(ctx);
	} else {
		for (size_t t = 0; t < n_threads; t++) {
			ws[t] = (worker){ .run = &r, .conn = conns[t] };
			/* the first worker runs on this thread once the others are started */
			if (t > 0 && pthread_create(&ts[t], NULL, work, &ws[t]) != 0)
				break;
			started++;
		}
		if (n_threads)
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
	/* what no thread started stays as planned, marked NOT_RUN */
	for (size_t i = 0; i < fleet->n; i++) {
		dbs_fleet_member *m = &fleet->members[i];
		if (m->state != DBSYNC_MEMBER_FAILED && m->plan && dbsync_plan_pending_count(m->plan)
		    && (m->state == DBSYNC_MEMBER_CHANGED || m->state == DBSYNC_MEMBER_REFUSED))
			m->state = DBSYNC_MEMBER_NOT_RUN;
	}
	if (rc)
		return rc;
	if (r.failed)
		return dbs_error(ctx, DBSYNC_ERROR, "%zu of %zu member(s) with changes failed (each named in the "
			"fleet); the others were applied", r.failed, r.total);
	if (r.stop && r.done < r.total)
		return dbs_error(ctx, DBSYNC_ERROR, "stopped by the progress callback after %zu of %zu member(s)",
			r.done, r.total);
	return 0;
}
