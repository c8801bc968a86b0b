/*
 * dbsync_report_html: the JSON report as one self-contained page. Inline CSS,
 * no script, no external URL, and a Content-Security-Policy that forbids any
 * fetch, so opening the file never reaches the network. Every text from the
 * report (names come from the database and may be hostile) is HTML-escaped.
 * Risk and status show as colour AND as text, so they survive print and
 * colour blindness.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "ctx.h"
#include "dbsync/report.h"

static const char css[] =
	"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1d2430;background:#f6f7f9}"
	"header{background:#1d2430;color:#fff;padding:18px 28px}header h1{margin:0 0 4px;font-size:22px}"
	"header p{margin:2px 0;color:#c9d1dc}main{padding:8px 28px 40px;max-width:1200px}"
	"h2{font-size:18px;margin:28px 0 10px;border-bottom:1px solid #d5d9e0;padding-bottom:4px}"
	"h3{font-size:15px;margin:18px 0 6px}code,pre{font-family:ui-monospace,Menlo,Consolas,monospace}"
	"pre{background:#eef1f5;border-radius:4px;padding:6px 8px;margin:4px 0;white-space:pre-wrap;"
	"word-break:break-word;font-size:12.5px}"
	"table{border-collapse:collapse;width:100%;background:#fff;margin:4px 0 10px}"
	"th,td{border:1px solid #d5d9e0;padding:5px 8px;text-align:left;vertical-align:top}th{background:#eef1f5}"
	".cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}"
	".card{background:#fff;border:1px solid #d5d9e0;border-left-width:5px;border-radius:4px;padding:8px 14px;"
	"min-width:110px}.card b{display:block;font-size:22px}"
	".badge{display:inline-block;border-radius:3px;padding:1px 7px;font-size:12px;font-weight:600;"
	"white-space:nowrap;border:1px solid transparent}"
	".risk-safe{background:#e3f4e8;color:#17602f;border-color:#9fd3ae}"
	".risk-locking{background:#fff3d6;color:#7a5200;border-color:#e8c66d}"
	".risk-data_loss{background:#fde2e1;color:#9b1c17;border-color:#ef9a95}"
	".status-applied{background:#e3f4e8;color:#17602f;border-color:#9fd3ae}"
	".status-pending{background:#e4ecfb;color:#1f4699;border-color:#a6bdf0}"
	".status-skipped{background:#fff3d6;color:#7a5200;border-color:#e8c66d}"
	".status-refused,.status-failed{background:#fde2e1;color:#9b1c17;border-color:#ef9a95}"
	".card.status-applied,.card.risk-safe{border-left-color:#2f9e55}"
	".card.status-pending{border-left-color:#3b6fd8}.card.status-skipped,.card.risk-locking{border-left-color:#d9a21b}"
	".card.status-refused,.card.status-failed,.card.risk-data_loss{border-left-color:#d0362f}"
	".note{color:#5a6575}.error{color:#9b1c17;font-weight:600}.ok{color:#17602f;font-weight:600}"
	"footer{color:#5a6575;padding:0 28px 24px;font-size:12px}";

typedef struct html {
	dbs_buf b;
} html;

/* Append `s` escaped for HTML text and attribute values. */
static void esc(html *h, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': dbs_buf_puts(&h->b, "&amp;"); break;
		case '<': dbs_buf_puts(&h->b, "&lt;"); break;
		case '>': dbs_buf_puts(&h->b, "&gt;"); break;
		case '"': dbs_buf_puts(&h->b, "&quot;"); break;
		case '\'': dbs_buf_puts(&h->b, "&#39;"); break;
		default: dbs_buf_putc(&h->b, *s); break;
		}
	}
}

static void put(html *h, const char *s)
{
	dbs_buf_puts(&h->b, s);
}

static const char *str(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? s : "";
}

static json_int_t num(json_t *obj, const char *key)
{
	return json_integer_value(json_object_get(obj, key));
}

/* A value of the report as text: strings as they are, numbers, "—" for null. */
static void value(html *h, json_t *v)
{
	if (json_is_string(v))
		esc(h, json_string_value(v));
	else if (json_is_integer(v))
		dbs_buf_printf(&h->b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		dbs_buf_printf(&h->b, "%.1f", json_real_value(v));
	else if (json_is_boolean(v))
		put(h, json_is_true(v) ? "yes" : "no");
	else if (json_is_array(v)) {
		size_t i;
		json_t *item;
		json_array_foreach(v, i, item) {
			if (i)
				put(h, ", ");
			value(h, item);
		}
	} else
		put(h, "&mdash;");
}

/* What a data-loss operation touches; an estimate says so ("~1,200 rows (estimate)"). */
static void affected(html *h, json_t *op)
{
	bool table = strcmp(str(op, "kind"), "drop_table") == 0;
	if (json_is_true(json_object_get(op, "affected_estimated")))
		dbs_buf_printf(&h->b, "%s~%" JSON_INTEGER_FORMAT " row(s) (estimate%s)", table ? "" : "up to ",
			num(op, "affected"), table ? "" : " of the table's rows");
	else
		dbs_buf_printf(&h->b, "%" JSON_INTEGER_FORMAT " %s", num(op, "affected"),
			table ? "row(s)" : "non-null value(s)");
}

/* An orphan's rows: counted, the catalog's estimate, or unknown. */
static void rows(html *h, json_t *t)
{
	json_t *n = json_object_get(t, "rows");
	bool estimated = json_is_true(json_object_get(t, "rows_estimated"));
	if (estimated && json_is_integer(n))
		dbs_buf_printf(&h->b, "~%" JSON_INTEGER_FORMAT " (estimate)", json_integer_value(n));
	else if (estimated)
		put(h, "unknown (the catalog has no estimate)");
	else
		value(h, n);
}

/* A class name from a fixed vocabulary; anything else maps to "unknown", so no
 * report text ever lands in an attribute unescaped or picks a style. */
static const char *css_word(const char *s, const char *const *allowed, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, allowed[i]) == 0)
			return allowed[i];
	return "unknown";
}

static const char *const risks[] = { "safe", "locking", "data_loss" };
static const char *const statuses[] = { "pending", "skipped", "refused", "applied", "failed" };

static void badge(html *h, const char *prefix, const char *word, const char *label)
{
	dbs_buf_printf(&h->b, "<span class=\"badge %s-%s\">", prefix, word);
	esc(h, label);
	put(h, "</span>");
}

static void risk_badge(html *h, const char *risk)
{
	const char *w = css_word(risk, risks, 3);
	badge(h, "risk", w, strcmp(w, "data_loss") == 0 ? "data loss" : w);
}

/* A summary card; `cls` is "", or a prefix and a word of the fixed vocabulary ("status", "applied"). */
static void card(html *h, const char *prefix, const char *word, json_int_t n, const char *label)
{
	dbs_buf_printf(&h->b, "<div class=\"card%s%s%s%s\"><b>%" JSON_INTEGER_FORMAT "</b>", *prefix ? " " : "",
		prefix, *prefix ? "-" : "", word, n);
	esc(h, label);
	put(h, "</div>");
}

static const char *member_kind(json_t *report);

static void summary(html *h, json_t *report)
{
	json_t *totals = json_object_get(report, "totals");
	json_t *risk = json_object_get(totals, "by_risk");
	put(h, "<section id=\"summary\"><h2>Summary</h2><div class=\"cards\">");
	card(h, "", "", num(totals, "operations"), "operations");
	/* pending and applied always; the others only when they happened */
	for (size_t i = 0; i < 5; i++)
		if (num(totals, statuses[i]) || i == DBSYNC_STATUS_PENDING || i == DBSYNC_STATUS_APPLIED)
			card(h, "status", statuses[i], num(totals, statuses[i]), statuses[i]);
	card(h, "risk", "data_loss", num(risk, "data_loss"), "data loss");
	card(h, "risk", "locking", num(risk, "locking"), "locking");
	card(h, "", "", num(totals, "orphans"), "orphaned tables");
	card(h, "", "", num(totals, "views"), "views");
	put(h, "</div>");
	json_int_t failed = num(totals, "failed"), refused = num(totals, "refused");
	/* a fleet's members can fail before any operation (unreadable, stale) or not run at all */
	json_t *fleet = json_object_get(report, "fleet");
	json_int_t members_left = num(fleet, "failed") + num(fleet, "not_run");
	if (failed || refused)
		dbs_buf_printf(&h->b, "<p class=\"error\">%" JSON_INTEGER_FORMAT " failed and %" JSON_INTEGER_FORMAT
			" refused operation(s): the database still differs from the models.</p>", failed, refused);
	else if (members_left)
	{
		dbs_buf_printf(&h->b, "<p class=\"error\">%" JSON_INTEGER_FORMAT " ", members_left);
		esc(h, member_kind(report));
		put(h, "(s) failed or were not run: see the fleet below.</p>");
	}
	else if (!num(totals, "pending") && !num(totals, "skipped"))
		put(h, "<p class=\"ok\">In sync: nothing left to change.</p>");
	bool estimated = json_is_true(json_object_get(totals, "data_loss_affected_estimated"));
	if (num(totals, "data_loss_affected"))
		dbs_buf_printf(&h->b, "<p class=\"error\">Data-loss operations (pending or applied) touch %s%"
			JSON_INTEGER_FORMAT " row(s) or value(s)%s.</p>", estimated ? "~" : "",
			num(totals, "data_loss_affected"), estimated ? " (estimate: the catalog's row counts, not counted)" : "");
	put(h, "</section>");
}

static void op_row(html *h, json_t *op)
{
	const char *status = css_word(str(op, "status"), statuses, 5);
	put(h, "<tr><td>");
	/* people count steps from 1; the JSON keeps the plan's 0-based index */
	json_t *index = json_object_get(op, "index");
	if (json_is_integer(index))
		dbs_buf_printf(&h->b, "%" JSON_INTEGER_FORMAT, json_integer_value(index) + 1);
	put(h, "</td><td>");
	esc(h, str(op, "summary"));
	put(h, "<div class=\"note\">");
	esc(h, str(op, "kind"));
	if (json_is_string(json_object_get(op, "object"))) {
		put(h, " &middot; <code>");
		esc(h, str(op, "object"));
		put(h, "</code>");
	}
	put(h, "</div>");
	if (json_is_string(json_object_get(op, "detail"))) {
		put(h, "<pre>");
		esc(h, str(op, "detail"));
		put(h, "</pre>");
	}
	if (json_is_string(json_object_get(op, "reason"))) {
		put(h, "<div class=\"note\">reason: ");
		esc(h, str(op, "reason"));
		put(h, "</div>");
	}
	json_t *err = json_object_get(op, "error");
	if (json_is_object(err)) {
		put(h, "<div class=\"error\">error");
		if (json_is_string(json_object_get(err, "sqlstate"))) {
			put(h, " [SQLSTATE ");
			esc(h, str(err, "sqlstate"));
			put(h, "]");
		}
		if (json_is_integer(json_object_get(err, "native_code")))
			dbs_buf_printf(&h->b, " [code %" JSON_INTEGER_FORMAT "]", num(err, "native_code"));
		put(h, ": ");
		esc(h, str(err, "message"));
		put(h, "</div>");
	}
	size_t i;
	json_t *stmt;
	json_t *sql = json_object_get(op, "sql");
	if (json_array_size(sql)) {
		put(h, "<pre>");
		json_array_foreach(sql, i, stmt) {
			esc(h, json_string_value(stmt));
			put(h, ";\n");
		}
		put(h, "</pre>");
	}
	put(h, "</td><td>");
	risk_badge(h, str(op, "risk"));
	if (json_is_integer(json_object_get(op, "affected"))) {
		put(h, "<div class=\"note\">");
		affected(h, op);
		put(h, "</div>");
	}
	put(h, "</td><td>");
	badge(h, "status", status, status);
	put(h, "</td><td>");
	if (num(op, "attempts")) {
		dbs_buf_printf(&h->b, "%.1f ms", json_number_value(json_object_get(op, "elapsed_ms")));
		if (num(op, "attempts") > 1)
			dbs_buf_printf(&h->b, "<div class=\"note\">%" JSON_INTEGER_FORMAT " attempts</div>", num(op, "attempts"));
	} else {
		put(h, "&mdash;");
	}
	put(h, "</td></tr>");
}

static void operations(html *h, json_t *report)
{
	json_t *ops = json_object_get(report, "operations");
	size_t i, j;
	json_t *op, *other;
	put(h, "<section id=\"operations\"><h2>Operations by table</h2>");
	if (!json_array_size(ops))
		put(h, "<p class=\"ok\">No operations: the database matches the models.</p>");
	/* grouped by table, tables in the order of their first operation */
	json_array_foreach(ops, i, op) {
		json_t *table = json_object_get(op, "table");
		bool seen = false;
		for (j = 0; j < i && !seen; j++) {
			other = json_array_get(ops, j);
			seen = json_equal(json_object_get(other, "table"), table);
		}
		if (seen)
			continue;
		put(h, "<h3>");
		if (json_is_string(table)) {
			put(h, "Table <code>");
			esc(h, json_string_value(table));
			put(h, "</code>");
			if (json_is_string(json_object_get(op, "model"))) {
				put(h, " <span class=\"note\">(");
				esc(h, str(op, "model"));
				put(h, ")</span>");
			}
		} else {
			put(h, "Database");
		}
		put(h, "</h3><table><tr><th>#</th><th>Operation and SQL</th><th>Risk</th><th>Status</th>"
			"<th>Time</th></tr>");
		for (j = i; j < json_array_size(ops); j++) {
			other = json_array_get(ops, j);
			if (json_equal(json_object_get(other, "table"), table))
				op_row(h, other);
		}
		put(h, "</table>");
	}
	put(h, "</section>");
}

static void skipped(html *h, json_t *report)
{
	json_t *list = json_object_get(report, "skipped_destructive");
	size_t i;
	json_t *op;
	put(h, "<section id=\"skipped\"><h2>Skipped destructive changes</h2>");
	if (!json_array_size(list))
		put(h, "<p class=\"note\">None.</p>");
	else
		put(h, "<table><tr><th>Operation</th><th>Data</th><th>Reason</th></tr>");
	json_array_foreach(list, i, op) {
		put(h, "<tr><td>");
		esc(h, str(op, "summary"));
		put(h, "</td><td>");
		if (json_is_true(json_object_get(op, "affected_estimated")))
			affected(h, op);
		else
			value(h, json_object_get(op, "affected"));
		put(h, "</td><td>");
		esc(h, str(op, "reason"));
		put(h, "</td></tr>");
	}
	if (json_array_size(list))
		put(h, "</table>");
	put(h, "</section>");
}

/* What no model could declare, kept or dropped (docs/unmanaged.md). */
static void unmanaged(html *h, json_t *report)
{
	json_t *list = json_object_get(report, "unmanaged");
	size_t i;
	json_t *u;
	put(h, "<section id=\"unmanaged\"><h2>Unmanaged objects</h2>");
	if (!json_array_size(list))
		put(h, "<p class=\"note\">None: the models describe everything in the synced tables.</p>");
	else
		put(h, "<table><tr><th>Kind</th><th>Table</th><th>Object</th><th>What</th><th>Action</th></tr>");
	json_array_foreach(list, i, u) {
		bool dropped = str(u, "action") && strcmp(str(u, "action"), "dropped") == 0;
		put(h, "<tr><td>");
		esc(h, str(u, "kind"));
		put(h, "</td><td><code>");
		esc(h, str(u, "table"));
		put(h, "</code></td><td><code>");
		esc(h, str(u, "object"));
		put(h, "</code></td><td>");
		esc(h, str(u, "detail"));
		put(h, "</td><td>");
		badge(h, "status", dropped ? "failed" : "applied", dropped ? "dropped" : "kept");
		put(h, "</td></tr>");
	}
	if (json_array_size(list))
		put(h, "</table>");
	put(h, "</section>");
}

static void orphans_and_views(html *h, json_t *report)
{
	json_t *orphans = json_object_get(report, "orphans"), *views = json_object_get(report, "views");
	size_t i;
	json_t *t;
	bool read = json_is_true(json_object_get(report, "inventory_read"));
	put(h, "<section id=\"orphans\"><h2>Orphaned tables</h2>");
	if (!read)
		put(h, "<p class=\"note\">Not inspected in this run.</p>");
	else if (!json_array_size(orphans))
		put(h, "<p class=\"note\">None: every table belongs to a model.</p>");
	else
		put(h, "<table><tr><th>Table</th><th>Rows</th><th>Bytes</th><th>Columns</th><th>References</th></tr>");
	json_array_foreach(orphans, i, t) {
		put(h, "<tr><td><code>");
		esc(h, str(t, "name"));
		put(h, "</code></td><td>");
		rows(h, t);
		put(h, "</td><td>");
		value(h, json_object_get(t, "bytes"));
		put(h, "</td><td>");
		value(h, json_object_get(t, "columns"));
		put(h, "</td><td>");
		value(h, json_object_get(t, "references"));
		put(h, "</td></tr>");
	}
	if (json_array_size(orphans))
		put(h, "</table>");
	put(h, "</section><section id=\"views\"><h2>Views</h2>");
	if (!read)
		put(h, "<p class=\"note\">Not inspected in this run.</p>");
	else if (!json_array_size(views))
		put(h, "<p class=\"note\">None.</p>");
	else
		put(h, "<table><tr><th>View</th><th>Columns</th><th>State</th></tr>");
	json_array_foreach(views, i, t) {
		bool valid = json_is_true(json_object_get(t, "valid"));
		put(h, "<tr><td><code>");
		esc(h, str(t, "name"));
		put(h, "</code></td><td>");
		value(h, json_object_get(t, "columns"));
		put(h, "</td><td>");
		badge(h, "status", valid ? "applied" : "failed", valid ? "valid" : "invalid");
		if (!valid && json_is_string(json_object_get(t, "error"))) {
			put(h, " <span class=\"error\">");
			esc(h, str(t, "error"));
			put(h, "</span>");
		}
		put(h, "</td></tr>");
	}
	if (json_array_size(views))
		put(h, "</table>");
	put(h, "</section>");
}

/* ---- fleets: a summary table of the members, then the operations of each
 * member that drifted or failed ---- */

static const char *const member_states[] = { "in_sync", "changed", "refused", "failed", "not_run" };
/* the colours of each: the operation status that means the same */
static const char *const state_look[] = { "applied", "pending", "refused", "failed", "skipped" };

/* A member state's badge, in the colours of the operation statuses. */
static void state_badge(html *h, const char *state)
{
	size_t i = 0;
	while (i < 5 && strcmp(state, member_states[i]) != 0)
		i++;
	if (i == 5) {
		badge(h, "status", "unknown", "unknown");
		return;
	}
	badge(h, "status", state_look[i], strcmp(state, "in_sync") == 0 ? "in sync" : strcmp(state, "not_run") == 0
		? "not run" : state);
}

/* "schema" or "database", as the report says; "member" otherwise. */
static const char *member_kind(json_t *report)
{
	const char *kind = str(json_object_get(report, "fleet"), "member_kind");
	return *kind ? kind : "member";
}

static void fleet_summary(html *h, json_t *report)
{
	json_t *fleet = json_object_get(report, "fleet"), *members = json_object_get(report, "members");
	const char *kind = member_kind(report);
	size_t i;
	json_t *m;
	char label[48];
	snprintf(label, sizeof label, "%ss", kind); /* "schemas", "databases" */
	put(h, "<section id=\"fleet\"><h2>Fleet</h2><div class=\"cards\">");
	card(h, "", "", num(fleet, "members"), label);
	for (size_t s = 0; s < 5; s++) {
		json_int_t n = num(fleet, member_states[s]);
		if (!n && s != 0 && s != 1)
			continue;
		card(h, "status", state_look[s], n, strcmp(member_states[s], "in_sync") == 0 ? "in sync"
			: strcmp(member_states[s], "not_run") == 0 ? "not run" : member_states[s]);
	}
	put(h, "</div><table><tr><th>");
	/* the column's title: "Schema", "Database" */
	char title[32];
	snprintf(title, sizeof title, "%s", kind);
	if (title[0] >= 'a' && title[0] <= 'z')
		title[0] = (char)(title[0] - 'a' + 'A');
	esc(h, title);
	put(h, "</th><th>State</th><th>Operations</th><th>Pending</th><th>Applied</th><th>Failed</th>"
		"<th>Refused or skipped</th><th>Error</th></tr>");
	json_array_foreach(members, i, m) {
		json_t *counts = json_object_get(m, "counts");
		put(h, "<tr><td><code>");
		esc(h, str(m, "name"));
		put(h, "</code></td><td>");
		state_badge(h, str(m, "state"));
		dbs_buf_printf(&h->b, "</td><td>%" JSON_INTEGER_FORMAT "</td><td>%" JSON_INTEGER_FORMAT "</td><td>%"
			JSON_INTEGER_FORMAT "</td><td>%" JSON_INTEGER_FORMAT "</td><td>%" JSON_INTEGER_FORMAT "</td><td>",
			num(counts, "operations"), num(counts, "pending"), num(counts, "applied"), num(counts, "failed"),
			num(counts, "refused") + num(counts, "skipped"));
		json_t *err = json_object_get(m, "error");
		if (json_is_object(err)) {
			put(h, "<span class=\"error\">");
			esc(h, str(err, "message"));
			put(h, "</span>");
		} else {
			put(h, "&mdash;");
		}
		put(h, "</td></tr>");
	}
	put(h, "</table></section>");
}

/* Each member that drifted, failed or was not run: its operations by table. */
static void fleet_members(html *h, json_t *report)
{
	json_t *members = json_object_get(report, "members");
	const char *kind = member_kind(report);
	size_t i;
	json_t *m;
	bool any = false;
	put(h, "<section id=\"members\"><h2>Operations by ");
	esc(h, kind);
	put(h, "</h2>");
	json_array_foreach(members, i, m) {
		if (strcmp(str(m, "state"), "in_sync") == 0)
			continue;
		any = true;
		put(h, "<h3>");
		esc(h, kind);
		put(h, " <code>");
		esc(h, str(m, "name"));
		put(h, "</code> ");
		state_badge(h, str(m, "state"));
		put(h, "</h3>");
		json_t *err = json_object_get(m, "error");
		if (json_is_object(err)) {
			put(h, "<p class=\"error\">");
			esc(h, str(err, "message"));
			put(h, "</p>");
		}
		json_t *ops = json_object_get(m, "operations");
		if (!json_array_size(ops)) {
			put(h, "<p class=\"note\">No operations.</p>");
			continue;
		}
		put(h, "<table><tr><th>#</th><th>Operation and SQL</th><th>Risk</th><th>Status</th><th>Time</th></tr>");
		size_t j;
		json_t *op;
		json_array_foreach(ops, j, op)
			op_row(h, op);
		put(h, "</table>");
	}
	if (!any)
		put(h, "<p class=\"ok\">Every member is in sync: nothing left to change.</p>");
	put(h, "</section>");
}

static void head(html *h, json_t *report)
{
	json_t *db = json_object_get(report, "database");
	put(h, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>dbsync report: ");
	esc(h, json_is_string(json_object_get(db, "alias")) ? str(db, "alias") : str(db, "vendor"));
	put(h, "</title><style>");
	put(h, css);
	put(h, "</style></head><body><header><h1>dbsync report</h1><p>");
	esc(h, json_is_string(json_object_get(report, "tool")) ? str(report, "tool") : "libdbsync");
	put(h, " &middot; database <b>");
	esc(h, json_is_string(json_object_get(db, "alias")) ? str(db, "alias") : "(no alias)");
	put(h, "</b> &middot; ");
	esc(h, str(db, "vendor"));
	put(h, " ");
	esc(h, str(db, "server_version"));
	put(h, "</p><p>");
	esc(h, str(db, "target"));
	if (json_is_string(json_object_get(report, "mode"))) {
		put(h, " &middot; mode: ");
		esc(h, str(report, "mode"));
	}
	if (json_is_string(json_object_get(report, "started_at"))) {
		put(h, " &middot; started ");
		esc(h, str(report, "started_at"));
	}
	if (json_is_string(json_object_get(report, "finished_at"))) {
		put(h, " &middot; finished ");
		esc(h, str(report, "finished_at"));
	}
	if (json_is_string(json_object_get(report, "backup"))) {
		put(h, "</p><p>backup: ");
		esc(h, str(report, "backup"));
	}
	put(h, "</p></header><main>");
}

int dbsync_report_html(char **out, dbsync_ctx *ctx, const char *report_json)
{
	int rc = 0;
	html h = { DBS_BUF_INIT };
	json_error_t jerr;
	json_t *report = NULL;
	*out = NULL;
	if (!report_json) {
		rc = dbs_error(ctx, DBSYNC_EINVALID, "dbsync_report_html needs a JSON report");
		goto cleanup;
	}
	report = json_loads(report_json, 0, &jerr);
	if (!json_is_object(report) || !json_is_integer(json_object_get(report, "report_version"))) {
		rc = dbs_error(ctx, DBSYNC_EINVALID, "the JSON report is %s (line %d, column %d)",
			report ? "not a dbsync report: no report_version" : "invalid JSON", jerr.line, jerr.column);
		goto cleanup;
	}
	if (num(report, "report_version") != 1) {
		rc = dbs_error(ctx, DBSYNC_EUNSUPPORTED, "report_version %" JSON_INTEGER_FORMAT " is not supported "
			"(this libdbsync writes version 1)", num(report, "report_version"));
		goto cleanup;
	}
	head(&h, report);
	summary(&h, report);
	/* a fleet's report: its members first, then what the run reports for them all */
	if (json_is_array(json_object_get(report, "members"))) {
		fleet_summary(&h, report);
		fleet_members(&h, report);
	} else {
		operations(&h, report);
	}
	skipped(&h, report);
	unmanaged(&h, report);
	orphans_and_views(&h, report);
	put(&h, "</main><footer>report_version ");
	value(&h, json_object_get(report, "report_version"));
	put(&h, " &middot; written by ");
	esc(&h, str(json_object_get(report, "engine"), "name"));
	put(&h, " ");
	esc(&h, str(json_object_get(report, "engine"), "version"));
	put(&h, "</footer></body></html>\n");
	if (!dbs_buf_ok(&h.b)) {
		rc = dbs_error_oom(ctx);
		goto cleanup;
	}
	*out = dbs_buf_detach(&h.b);
	if (!*out)
		rc = dbs_error_oom(ctx);
cleanup:
	json_decref(report);
	dbs_buf_free(&h.b);
	return rc;
}
