/*
 * dbsync CLI: orphans, models, backup, restore, and the run reports. Printing
 * only; the inventory, the model source, the dump and the reports are the
 * engine's.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) == EOF) {
		if (f)
			fclose(f);
		fprintf(stderr, "dbsync: cannot write '%s'\n", path);
		return EXIT_FAIL;
	}
	if (fclose(f)) {
		fprintf(stderr, "dbsync: cannot write '%s'\n", path);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static const char *or_else(const char *s, const char *fallback)
{
	return s ? s : fallback;
}

static void human_bytes(char *out, size_t n, json_t *v)
{
	if (!json_is_integer(v)) {
		snprintf(out, n, "?");
		return;
	}
	double b = (double)json_integer_value(v);
	const char *unit[] = { "B", "kB", "MB", "GB", "TB" };
	int u = 0;
	while (b >= 1024 && u < 4) {
		b /= 1024;
		u++;
	}
	snprintf(out, n, u ? "%.1f %s" : "%.0f %s", b, unit[u]);
}

int cli_cmd_orphans(dbsync_ctx *ctx, const cli_args *a)
{
	dbsync_conn *conn = NULL;
	dbsync_schema *desired = NULL;
	char *ddl = NULL, *inv = NULL;
	const char **owned = NULL;
	json_t *doc = NULL;
	size_t len = 0;
	int rc = EXIT_FAIL;
	if (!(ddl = cli_read_file(a->desired_path, &len))) {
		fprintf(stderr, "dbsync: cannot read desired schema '%s'\n", a->desired_path);
		goto cleanup;
	}
	if (!(conn = cli_open(ctx, a, 1)))
		goto cleanup;
	if (dbsync_schema_parse(&desired, ctx, dbsync_conn_dialect(conn), ddl, len)) {
		cli_report_error(ctx, a->desired_path);
		goto cleanup;
	}
	/* every table the desired schema names is owned: the rest are orphans */
	size_t n = dbsync_schema_table_count(desired);
	owned = calloc(n + 1, sizeof *owned);
	if (!owned)
		goto cleanup;
	for (size_t i = 0; i < n; i++)
		owned[i] = dbsync_schema_table_name(desired, i);
	dbsync_inventory_options opts;
	dbsync_inventory_options_init(&opts, DBSYNC_INVENTORY_OPTIONS_VERSION);
	opts.owned = owned;
	opts.n_owned = n;
	opts.rows = a->exact_counts ? DBSYNC_COUNT_EXACT : DBSYNC_COUNT_ESTIMATE;
	if (dbsync_conn_inventory(&inv, ctx, conn, &opts)) {
		cli_report_error(ctx, "cannot read the inventory");
		goto cleanup;
	}
	if (a->quiet) {
		puts(inv);
		rc = EXIT_OK;
		goto cleanup;
	}
	if (!(doc = json_loads(inv, 0, NULL))) {
		fprintf(stderr, "dbsync: the engine's inventory is not JSON\n");
		goto cleanup;
	}
	size_t i, n_orphans = 0, n_invalid = 0;
	json_t *t, *v;
	printf("target: %s\n", dbsync_conn_describe(conn));
	json_array_foreach(json_object_get(doc, "tables"), i, t) {
		if (!json_is_true(json_object_get(t, "orphan")))
			continue;
		char size[32];
		human_bytes(size, sizeof size, json_object_get(t, "bytes"));
		json_t *rows = json_object_get(t, "rows");
		if (!n_orphans++)
			printf("Orphaned tables (no table of the desired schema):\n");
		bool estimated = json_is_true(json_object_get(t, "rows_estimated"));
		if (json_is_integer(rows) && estimated)
			printf("  %s: ~%lld row(s) (estimate), %s\n", json_string_value(json_object_get(t, "name")),
				(long long)json_integer_value(rows), size);
		else if (json_is_integer(rows))
			printf("  %s: %lld row(s), %s\n", json_string_value(json_object_get(t, "name")),
				(long long)json_integer_value(rows), size);
		else if (estimated)
			printf("  %s: rows unknown (the catalog has no estimate; --exact-counts counts them), %s\n",
				json_string_value(json_object_get(t, "name")), size);
		else
			printf("  %s: rows unknown (%s), %s\n", json_string_value(json_object_get(t, "name")),
				or_else(json_string_value(json_object_get(t, "rows_error")), "not counted"), size);
	}
	if (!n_orphans)
		printf("No orphaned tables.\n");
	json_t *views = json_object_get(doc, "views");
	if (json_array_size(views))
		printf("Views:\n");
	json_array_foreach(views, i, v) {
		const char *name = json_string_value(json_object_get(v, "name"));
		if (json_is_true(json_object_get(v, "valid"))) {
			printf("  %s: %lld column(s)\n", name,
				(long long)json_integer_value(json_object_get(v, "columns")));
		} else {
			n_invalid++;
			fprintf(stderr, "dbsync: invalid view %s: %s\n", name,
				or_else(json_string_value(json_object_get(v, "error")), "cannot be read"));
		}
	}
	if (json_array_size(views))
		printf("%zu view(s), %zu invalid.\n", json_array_size(views), n_invalid);
	rc = EXIT_OK;
cleanup:
	json_decref(doc);
	dbsync_free(inv);
	free(owned);
	dbsync_schema_free(desired);
	dbsync_conn_close(conn);
	free(ddl);
	return rc;
}

int cli_cmd_models(dbsync_ctx *ctx, const cli_args *a)
{
	char *src = NULL;
	int rc = EXIT_FAIL;
	dbsync_conn *conn = cli_open(ctx, a, 1);
	if (!conn)
		return EXIT_FAIL;
	dbsync_models_options opts;
	dbsync_models_options_init(&opts, DBSYNC_MODELS_OPTIONS_VERSION);
	opts.tables = (const char *const *)a->names;
	opts.n_tables = (size_t)a->n_names;
	opts.title = "Django models for tables of an existing database, written by the dbsync CLI";
	if (dbsync_conn_models_source(&src, ctx, conn, &opts)) {
		cli_report_error(ctx, "cannot generate models");
		goto cleanup;
	}
	fputs(src, stdout);
	rc = EXIT_OK;
cleanup:
	dbsync_free(src);
	dbsync_conn_close(conn);
	return rc;
}

static const char *method_name(dbsync_backup_method m)
{
	switch (m) {
	case DBSYNC_BACKUP_ENGINE: return "written by the engine";
	case DBSYNC_BACKUP_TOOL: return "written by the database's dump tool";
	case DBSYNC_BACKUP_AUTO: break;
	}
	return "auto";
}

int cli_cmd_backup(dbsync_ctx *ctx, const cli_args *a, int restore)
{
	const char *path = a->names[0];
	/* a backup only reads; a restore writes into an empty database */
	dbsync_conn *conn = cli_open(ctx, a, !restore);
	if (!conn)
		return EXIT_FAIL;
	int rc = EXIT_OK;
	if (restore) {
		if (dbsync_conn_restore(ctx, conn, path))
			rc = cli_report_error(ctx, "restore failed");
		else
			printf("Restored %s into %s.\n", path, dbsync_conn_describe(conn));
	} else {
		dbsync_backup_method used = DBSYNC_BACKUP_AUTO;
		if (dbsync_conn_backup(ctx, conn, path, NULL, &used))
			rc = cli_report_error(ctx, "backup failed");
		else
			printf("Backup of %s written to %s (%s).\n", dbsync_conn_describe(conn), path,
				method_name(used));
	}
	dbsync_conn_close(conn);
	return rc;
}

/* The report's "context": who wrote it, in which mode, when, from what. */
static char *report_context(const cli_args *a, const char *mode)
{
	char stamp[32], *context = NULL;
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_t *ctxdoc = json_pack("{s:s, s:s, s:s, s:{s:s}}", "tool", "dbsync CLI " DBSYNC_VERSION,
		"mode", mode, "finished_at", stamp, "selection", "desired", a->desired_path);
	if (ctxdoc)
		context = json_dumps(ctxdoc, JSON_COMPACT);
	json_decref(ctxdoc);
	if (!context)
		fprintf(stderr, "dbsync: out of memory\n");
	return context;
}

/* Write the engine's JSON report, and the HTML made from it, where asked. */
static int write_report_files(dbsync_ctx *ctx, const cli_args *a, const char *json)
{
	char *html = NULL;
	int rc = EXIT_FAIL;
	if (a->report_json && write_text(a->report_json, json) != EXIT_OK)
		goto cleanup;
	if (a->report_html) {
		if (dbsync_report_html(&html, ctx, json)) {
			cli_report_error(ctx, "cannot write the HTML report");
			goto cleanup;
		}
		if (write_text(a->report_html, html) != EXIT_OK)
			goto cleanup;
	}
	if (!a->quiet) {
		if (a->report_json)
			printf("Report: %s\n", a->report_json);
		if (a->report_html)
			printf("Report: %s\n", a->report_html);
	}
	rc = EXIT_OK;
cleanup:
	dbsync_free(html);
	return rc;
}

/* A run's report (plan) or a fleet's (fleet), as JSON and HTML where asked. */
static int write_reports(dbsync_ctx *ctx, const cli_args *a, const dbsync_plan *plan, const dbsync_fleet *fleet,
	dbsync_conn *conn, const char *mode)
{
	if (!a->report_json && !a->report_html)
		return EXIT_OK;
	char *json = NULL, *context = report_context(a, mode);
	int rc = EXIT_FAIL;
	if (!context)
		return EXIT_FAIL;
	if (fleet ? dbsync_fleet_report_json(&json, ctx, fleet, conn, context)
		  : dbsync_report_json(&json, ctx, plan, conn, context))
		cli_report_error(ctx, "cannot write the report");
	else
		rc = write_report_files(ctx, a, json);
	free(context);
	dbsync_free(json);
	return rc;
}

int cli_write_reports(dbsync_ctx *ctx, const cli_args *a, const dbsync_plan *plan, dbsync_conn *conn,
	const char *mode)
{
	return write_reports(ctx, a, plan, NULL, conn, mode);
}

int cli_write_fleet_reports(dbsync_ctx *ctx, const cli_args *a, const dbsync_fleet *fleet, dbsync_conn *conn,
	const char *mode)
{
	return write_reports(ctx, a, NULL, fleet, conn, mode);
}
