/*
 * dbsync_report_json: the record of a run as one JSON document
 * (docs/report.schema.json). The engine knows the operations and the server;
 * the caller knows the rest (alias, selection, times, inventory) and hands it
 * in as context JSON, which is merged, never trusted to carry credentials.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "ctx.h"
#include "fleet_internal.h"
#include "plan_internal.h"
#include "report_util.h"
#include "dbsync/fleet.h"
#include "dbsync/report.h"

#define REPORT_VERSION 1

/* Context keys the engine fills itself; the caller's values are not taken. */
static const char *const engine_keys[] = {
	"report_version", "engine", "operations", "skipped_destructive", "orphans", "views", "totals",
	"unmanaged",
	"inventory_read",
	"members", "fleet",
};

/* Keys never copied from the caller's database object, whatever it holds. */
static bool secret_key(const char *key)
{
	static const char *const secrets[] = { "password", "passwd", "pass", "secret", "url", "dsn",
		"options", "params", "settings" };
	for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
		if (dbs_ascii_ieq(key, secrets[i]))
			return true;
	return false;
}

static json_t *op_error(const dbsync_op *op)
{
	if (!op->error)
		return json_null();
	json_t *e = json_object();
	json_object_set_new(e, "message", dbs_json_text(op->error));
	json_object_set_new(e, "sqlstate", op->error_sqlstate[0] ? dbs_json_text(op->error_sqlstate) : json_null());
	json_object_set_new(e, "native_code", op->error_native ? json_integer(op->error_native) : json_null());
	return e;
}

/* The model of a table: exact name first, then in another letter case (a live
 * table a case fix renames still belongs to the model). */
static json_t *model_of(json_t *models, const char *table)
{
	if (!table)
		return NULL;
	json_t *model = json_object_get(models, table);
	const char *key;
	json_t *v;
	if (!model && json_is_object(models))
		json_object_foreach(models, key, v)
			if (dbs_ascii_ieq(key, table))
				return v;
	return model;
}

static json_t *op_json(size_t index, const dbsync_op *op, json_t *models)
{
	json_t *o = json_object();
	json_t *sql = json_array();
	for (size_t i = 0; i < op->n_sql; i++)
		json_array_append_new(sql, dbs_json_text(op->sql[i]));
	json_t *model = model_of(models, op->table);
	json_object_set_new(o, "index", json_integer((json_int_t)index));
	json_object_set_new(o, "kind", json_string(dbsync_op_kind_name(op->kind)));
	json_object_set_new(o, "table", dbs_json_opt(op->table));
	json_object_set_new(o, "object", dbs_json_opt(op->object));
	json_object_set_new(o, "model", json_is_string(model) ? json_copy(model) : json_null());
	json_object_set_new(o, "summary", dbs_json_text(op->summary));
	json_object_set_new(o, "detail", dbs_json_opt(op->detail));
	json_object_set_new(o, "reason", dbs_json_opt(op->reason));
	json_object_set_new(o, "sql", sql);
	json_object_set_new(o, "risk", json_string(dbsync_risk_name(op->risk)));
	json_object_set_new(o, "status", json_string(dbsync_status_name(op->status)));
	json_object_set_new(o, "affected", op->affected >= 0 ? json_integer(op->affected) : json_null());
	json_object_set_new(o, "affected_estimated", json_boolean(op->affected >= 0 && op->affected_estimated));
	json_object_set_new(o, "unprobed", json_boolean(op->unprobed));
	json_object_set_new(o, "attempts", json_integer(op->attempts));
	json_object_set_new(o, "elapsed_ms", json_real(op->elapsed_ms >= 0 ? op->elapsed_ms : 0));
	json_object_set_new(o, "error", op_error(op));
	json_object_set_new(o, "case_fix", json_boolean(op->case_fix));
	return o;
}

static json_t *database_json(json_t *given, dbsync_conn *conn, dbsync_dialect d)
{
	json_t *db = json_object();
	const char *key;
	json_t *v;
	if (json_is_object(given))
		json_object_foreach(given, key, v)
			if (!secret_key(key))
				json_object_set(db, key, v);
	if (!json_object_get(db, "alias"))
		json_object_set_new(db, "alias", json_null());
	if (conn)
		d = conn->dialect;
	const char *vendor = dbsync_dialect_name(d);
	json_object_set_new(db, "vendor", vendor ? json_string(vendor) : json_null());
	json_object_set_new(db, "server_version", conn ? dbs_json_text(dbsync_conn_server_version(conn)) : json_null());
	/* the connection's own description, which the backends build without the password */
	json_object_set_new(db, "target", conn ? dbs_json_text(dbsync_conn_describe(conn)) : json_null());
	return db;
}

/* Orphans and views from the inventory document (inspect.h), reduced to what a reader needs. */
static void inventory_json(json_t *report, json_t *inventory, json_t *totals)
{
	json_t *orphans = json_array(), *views = json_array();
	json_t *tables = json_object_get(inventory, "tables");
	size_t i, invalid = 0;
	json_t *t;
	json_array_foreach(tables, i, t) {
		if (!json_is_true(json_object_get(t, "orphan")))
			continue;
		json_t *o = json_object();
		static const char *const keys[] = { "name", "rows", "rows_estimated", "bytes", "columns", "references" };
		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
			json_t *v = json_object_get(t, keys[k]);
			json_object_set(o, keys[k], v ? v : json_null());
		}
		json_array_append_new(orphans, o);
	}
	json_array_foreach(json_object_get(inventory, "views"), i, t) {
		json_t *o = json_object();
		static const char *const keys[] = { "name", "columns", "valid", "error" };
		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
			json_t *v = json_object_get(t, keys[k]);
			json_object_set(o, keys[k], v ? v : json_null());
		}
		invalid += json_is_false(json_object_get(t, "valid"));
		json_array_append_new(views, o);
	}
	json_object_set_new(totals, "orphans", json_integer((json_int_t)json_array_size(orphans)));
	json_object_set_new(totals, "views", json_integer((json_int_t)json_array_size(views)));
	json_object_set_new(totals, "invalid_views", json_integer((json_int_t)invalid));
	json_object_set_new(report, "orphans", orphans);
	json_object_set_new(report, "views", views);
}

/* A plan's operations, skipped data-loss operations and their totals into
 * `report` (a run's report, or a fleet member's entry, each op naming
 * `member` when not NULL). */
static void operations_json(json_t *report, const dbsync_plan *plan, json_t *models, json_t *totals,
	const char *member)
{
	json_int_t by_status[5] = { 0 }, by_risk[3] = { 0 };
	json_int_t data_loss_affected = 0;
	bool affected_estimated = false;
	double elapsed = 0;
	json_t *ops = json_array(), *skipped = json_array();
	size_t n = dbsync_plan_op_count(plan);
	for (size_t i = 0; i < n; i++) {
		const dbsync_op *op = dbsync_plan_op(plan, i);
		json_t *o = op_json(i, op, models);
		if (member)
			json_object_set_new(o, "member", dbs_json_text(member));
		if ((unsigned)op->status < 5)
			by_status[op->status]++;
		if ((unsigned)op->risk < 3)
			by_risk[op->risk]++;
		if (op->risk == DBSYNC_RISK_DATA_LOSS && op->affected > 0 &&
		    (op->status == DBSYNC_STATUS_PENDING || op->status == DBSYNC_STATUS_APPLIED)) {
			data_loss_affected += op->affected;
			affected_estimated = affected_estimated || op->affected_estimated;
		}
		elapsed += op->elapsed_ms;
		if (op->status == DBSYNC_STATUS_SKIPPED && op->risk == DBSYNC_RISK_DATA_LOSS)
			json_array_append(skipped, o);
		json_array_append_new(ops, o);
	}
	json_object_set_new(totals, "operations", json_integer((json_int_t)n));
	for (int s = 0; s < 5; s++)
		json_object_set_new(totals, dbsync_status_name((dbsync_op_status)s), json_integer(by_status[s]));
	json_t *risks = json_object();
	for (int r = 0; r < 3; r++)
		json_object_set_new(risks, dbsync_risk_name((dbsync_risk)r), json_integer(by_risk[r]));
	json_object_set_new(totals, "by_risk", risks);
	json_object_set_new(totals, "skipped_destructive", json_integer((json_int_t)json_array_size(skipped)));
	json_object_set_new(totals, "data_loss_affected", json_integer(data_loss_affected));
	/* a sum with one estimate in it is an estimate */
	json_object_set_new(totals, "data_loss_affected_estimated", json_boolean(affected_estimated));
	json_object_set_new(totals, "elapsed_ms", json_real(elapsed));
	json_object_set_new(report, "operations", ops);
	json_object_set_new(report, "skipped_destructive", skipped);
}

/* What no model could declare: kept, or dropped by the plan (drop_unmanaged). */
static void unmanaged_json(json_t *report, const dbsync_plan *plan, json_t *totals)
{
	json_t *list = json_array();
	size_t n = dbsync_plan_unmanaged_count(plan);
	for (size_t i = 0; i < n; i++) {
		const dbsync_unmanaged *u = dbsync_plan_unmanaged(plan, i);
		json_t *o = json_object();
		json_object_set_new(o, "kind", json_string(dbsync_unmanaged_kind_name(u->kind)));
		json_object_set_new(o, "table", dbs_json_text(u->table));
		json_object_set_new(o, "object", dbs_json_opt(u->object));
		json_object_set_new(o, "detail", dbs_json_opt(u->detail));
		json_object_set_new(o, "action", json_string(u->dropped ? "dropped" : "kept"));
		json_array_append_new(list, o);
	}
	json_object_set_new(totals, "unmanaged", json_integer((json_int_t)n));
	json_object_set_new(report, "unmanaged", list);
}

/* The report's head: report_version, the caller's context keys (those the
 * engine does not fill), engine, database and selection. *given is the
 * parsed context (or NULL), the caller's to free. */
static int report_head(json_t **report, json_t **given, dbsync_ctx *ctx, dbsync_conn *conn, dbsync_dialect d,
	const char *context_json)
{
	*report = NULL;
	*given = NULL;
	if (context_json && *context_json) {
		json_error_t jerr;
		*given = json_loads(context_json, JSON_REJECT_DUPLICATES, &jerr);
		if (!*given || !json_is_object(*given))
			return dbs_error(ctx, DBSYNC_EINVALID, "report context JSON is %s at line %d, column %d%s%s",
				*given ? "not an object" : "invalid", jerr.line, jerr.column, *given ? "" : ": ",
				*given ? "" : jerr.text);
	}
	json_t *r = *report = json_object();
	if (!r)
		return dbs_error_oom(ctx);
	json_object_set_new(r, "report_version", json_integer(REPORT_VERSION));
	const char *key;
	json_t *v;
	json_object_foreach(*given, key, v) {
		bool engine_owned = false;
		for (size_t i = 0; i < sizeof engine_keys / sizeof engine_keys[0]; i++)
			engine_owned |= strcmp(key, engine_keys[i]) == 0;
		if (!engine_owned && strcmp(key, "inventory") && strcmp(key, "models") && strcmp(key, "database"))
			json_object_set(r, key, v);
	}
	json_t *engine = json_object();
	json_object_set_new(engine, "name", json_string("libdbsync"));
	json_object_set_new(engine, "version", json_string(dbsync_version()));
	json_object_set_new(r, "engine", engine);
	json_object_set_new(r, "database", database_json(json_object_get(*given, "database"), conn, d));
	if (!json_is_object(json_object_get(r, "selection")))
		json_object_set_new(r, "selection", json_object());
	return 0;
}

/* The report's tail: the inventory's orphans and views, the totals, and the
 * document as text in *out. */
static int report_finish(char **out, dbsync_ctx *ctx, json_t *report, json_t *given, json_t *totals)
{
	json_t *inventory = json_object_get(given, "inventory");
	/* an empty list of orphans means "none" only when the inventory was read */
	json_object_set_new(report, "inventory_read", json_boolean(json_is_object(inventory)));
	inventory_json(report, inventory, totals);
	json_object_set_new(report, "totals", totals);
	*out = json_dumps(report, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	return *out ? 0 : dbs_error_oom(ctx);
}

int dbsync_report_json(char **out, dbsync_ctx *ctx, const dbsync_plan *plan, dbsync_conn *conn,
	const char *context_json)
{
	json_t *given = NULL, *report = NULL;
	*out = NULL;
	int rc = report_head(&report, &given, ctx, conn, plan ? plan->dialect : 0, context_json);
	if (!rc) {
		json_t *totals = json_object();
		operations_json(report, plan, json_object_get(given, "models"), totals, NULL);
		unmanaged_json(report, plan, totals);
		rc = report_finish(out, ctx, report, given, totals);
	}
	json_decref(given);
	json_decref(report);
	return rc;
}

/* ---- fleets ---- */

/* Add the counts of `from` into `into`: integers and numbers summed, booleans
 * or'ed, objects (by_risk) key by key. */
static void add_counts(json_t *into, json_t *from)
{
	const char *key;
	json_t *v;
	json_object_foreach(from, key, v) {
		json_t *have = json_object_get(into, key);
		if (json_is_object(v)) {
			if (!have) {
				have = json_object();
				json_object_set_new(into, key, have);
			}
			add_counts(have, v);
		} else if (json_is_integer(v)) {
			json_object_set_new(into, key, json_integer(json_integer_value(have) + json_integer_value(v)));
		} else if (json_is_real(v)) {
			json_object_set_new(into, key, json_real(json_number_value(have) + json_real_value(v)));
		} else if (json_is_boolean(v)) {
			json_object_set_new(into, key, json_boolean(json_is_true(have) || json_is_true(v)));
		}
	}
}

static json_t *member_error_json(const dbsync_error *e)
{
	if (!e)
		return json_null();
	json_t *o = json_object();
	json_object_set_new(o, "message", dbs_json_text(e->message));
	json_object_set_new(o, "code", json_integer(e->code));
	json_object_set_new(o, "sqlstate", e->sqlstate[0] ? dbs_json_text(e->sqlstate) : json_null());
	json_object_set_new(o, "native_code", e->native_code ? json_integer(e->native_code) : json_null());
	return o;
}

/* One member's entry; its operations, skipped ones and unmanaged objects
 * also go on the run's lists (the same objects, naming the member), and its
 * counts into the run's totals. */
static json_t *member_json(const dbsync_fleet *fleet, size_t i, json_t *models, json_t *report, json_t *totals)
{
	const char *name = dbsync_fleet_member(fleet, i);
	const dbsync_plan *plan = dbsync_fleet_member_plan(fleet, i);
	json_t *m = json_object(), *counts = json_object();
	json_object_set_new(m, "name", dbs_json_text(name));
	json_object_set_new(m, "state", json_string(dbsync_member_state_name(dbsync_fleet_member_state(fleet, i))));
	json_object_set_new(m, "error", member_error_json(dbsync_fleet_member_error(fleet, i)));
	operations_json(m, plan, models, counts, name);
	unmanaged_json(m, plan, counts);
	json_t *unmanaged = json_object_get(m, "unmanaged");
	size_t k;
	json_t *u;
	json_array_foreach(unmanaged, k, u)
		json_object_set_new(u, "member", dbs_json_text(name));
	json_array_extend(json_object_get(report, "operations"), json_object_get(m, "operations"));
	json_array_extend(json_object_get(report, "skipped_destructive"), json_object_get(m, "skipped_destructive"));
	json_array_extend(json_object_get(report, "unmanaged"), unmanaged);
	/* the member's entry lists its operations and unmanaged objects; the
	 * skipped data-loss ones are among its operations */
	json_object_del(m, "skipped_destructive");
	add_counts(totals, counts);
	json_object_set_new(m, "counts", counts);
	return m;
}

int dbsync_fleet_report_json(char **out, dbsync_ctx *ctx, const dbsync_fleet *fleet, dbsync_conn *conn,
	const char *context_json)
{
	json_t *given = NULL, *report = NULL;
	*out = NULL;
	if (!fleet)
		return dbs_error(ctx, DBSYNC_EINVALID, "dbsync_fleet_report_json needs a fleet");
	int rc = report_head(&report, &given, ctx, conn, fleet->desired->dialect, context_json);
	if (!rc) {
		/* the run's totals and lists cover every member; an empty fleet
		 * has the zero counts of an empty plan */
		json_t *totals = json_object(), *members = json_array(), *states = json_object();
		json_object_set_new(report, "operations", json_array());
		json_object_set_new(report, "skipped_destructive", json_array());
		json_object_set_new(report, "unmanaged", json_array());
		json_t *scratch = json_object();
		operations_json(scratch, NULL, NULL, totals, NULL);
		unmanaged_json(scratch, NULL, totals);
		json_decref(scratch);
		json_int_t by_state[DBSYNC_MEMBER_NOT_RUN + 1] = { 0 };
		json_t *models = json_object_get(given, "models");
		for (size_t i = 0; i < fleet->n; i++) {
			json_array_append_new(members, member_json(fleet, i, models, report, totals));
			dbsync_member_state st = dbsync_fleet_member_state(fleet, i);
			if ((unsigned)st <= DBSYNC_MEMBER_NOT_RUN)
				by_state[st]++;
		}
		json_object_set_new(states, "member_kind", json_string(fleet->word));
		json_object_set_new(states, "members", json_integer((json_int_t)fleet->n));
		for (int st = 0; st <= DBSYNC_MEMBER_NOT_RUN; st++)
			json_object_set_new(states, dbsync_member_state_name((dbsync_member_state)st), json_integer(by_state[st]));
		json_object_set_new(states, "catalog_queries", json_integer((json_int_t)fleet->catalog_queries));
		json_object_set_new(report, "fleet", states);
		json_object_set_new(report, "members", members);
		rc = report_finish(out, ctx, report, given, totals);
	}
	json_decref(given);
	json_decref(report);
	return rc;
}
