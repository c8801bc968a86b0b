/*
 * dbsync CLI: plan and apply over a fleet, the schemas of a PostgreSQL
 * database or the databases of a MySQL/MariaDB server that --schema patterns
 * (or --all-schemas) select. Printing and exit codes only: the selection, the
 * one-pass plan, the parallel apply, the scripts and the reports are the
 * engine's (dbsync/fleet.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* The states in the order the groups are printed, and their titles. */
static const dbsync_member_state group_order[] = {
	DBSYNC_MEMBER_IN_SYNC, DBSYNC_MEMBER_CHANGED, DBSYNC_MEMBER_REFUSED, DBSYNC_MEMBER_FAILED,
	DBSYNC_MEMBER_NOT_RUN,
};
static const char *const group_title[] = { "In sync", "Changed", "Refused", "Failed", "Not run" };
static const char *const group_word[] = { "in sync", "changed", "refused", "failed", "not run" };
#define N_GROUPS (sizeof group_order / sizeof group_order[0])

typedef struct fleet_cli {
	const cli_args *a;
	dbsync_ctx *ctx;
	dbsync_conn *conn;           /* plans, and applies as the first of the jobs */
	dbsync_fleet *fleet;
	const char *word;            /* "schema" or "database" */
} fleet_cli;

static size_t count_state(const dbsync_fleet *f, dbsync_member_state s)
{
	size_t n = 0;
	for (size_t i = 0; i < dbsync_fleet_count(f); i++)
		n += dbsync_fleet_member_state(f, i) == s;
	return n;
}

static size_t member_pending(const dbsync_fleet *f, size_t i)
{
	const dbsync_plan *p = dbsync_fleet_member_plan(f, i);
	return p ? dbsync_plan_pending_count(p) : 0;
}

/* The members the patterns select (every namespace for --all-schemas).
 * A pattern that selects nothing is a usage error naming it. */
static int select_members(fleet_cli *fc, char ***names, size_t *n)
{
	const cli_args *a = fc->a;
	int rc = dbsync_conn_namespaces(names, n, fc->ctx, fc->conn, a->schemas, a->n_schemas);
	if (rc) {
		cli_report_error(fc->ctx, "cannot choose the members");
		return rc == DBSYNC_EINVALID || rc == DBSYNC_EUNSUPPORTED ? EXIT_USAGE : EXIT_FAIL;
	}
	for (size_t j = 0; j < a->n_schemas; j++) {
		int hit = 0;
		for (size_t i = 0; i < *n && !hit; i++)
			hit = dbsync_name_matches(fc->ctx, a->schemas[j], (*names)[i]) == 1;
		if (!hit) {
			fprintf(stderr, "dbsync: --schema '%s' matches no %s of %s\n", a->schemas[j], fc->word,
				dbsync_conn_describe(fc->conn));
			return EXIT_USAGE;
		}
	}
	if (*n == 0) {
		fprintf(stderr, "dbsync: %s has no %s to sync\n", dbsync_conn_describe(fc->conn), fc->word);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* "2 pending, 1 refused" (before apply), "2 applied, 1 failed" (after). */
static void print_counts(const dbsync_plan *p)
{
	static const struct { dbsync_op_status s; const char *word; } kinds[] = {
		{ DBSYNC_STATUS_PENDING, "pending" }, { DBSYNC_STATUS_APPLIED, "applied" },
		{ DBSYNC_STATUS_FAILED, "failed" }, { DBSYNC_STATUS_REFUSED, "refused" },
		{ DBSYNC_STATUS_SKIPPED, "skipped" },
	};
	const char *sep = ": ";
	for (size_t k = 0; p && k < sizeof kinds / sizeof kinds[0]; k++) {
		size_t c = cli_count_status(p, kinds[k].s);
		if (c) {
			printf("%s%zu %s", sep, c, kinds[k].word);
			sep = ", ";
		}
	}
}

/* A member's name as a line shows it: a control character (a line break,
 * a terminal escape) as '?', so no name can fake another line. The
 * scripts quote names exactly (dbsync_fleet_member_script). */
static void put_name(FILE *out, const char *name)
{
	for (const char *p = name; *p; p++)
		fputc((unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p, out);
}

/* The error without the `schema "x": ` it starts with: the line names the member already. */
static const char *without_member(const fleet_cli *fc, const char *message, const char *name)
{
	size_t w = strlen(fc->word), n = strlen(name);
	if (strncmp(message, fc->word, w) == 0 && strncmp(message + w, " \"", 2) == 0
	    && strncmp(message + w + 2, name, n) == 0 && strncmp(message + w + 2 + n, "\": ", 3) == 0)
		return message + w + n + 5;
	return message;
}

/* One line per member, grouped by state, each group with its count. */
static void print_groups(const fleet_cli *fc)
{
	const dbsync_fleet *f = fc->fleet;
	for (size_t g = 0; g < N_GROUPS; g++) {
		size_t n = count_state(f, group_order[g]);
		if (!n)
			continue;
		printf("%s (%zu):\n", group_title[g], n);
		for (size_t i = 0; i < dbsync_fleet_count(f); i++) {
			if (dbsync_fleet_member_state(f, i) != group_order[g])
				continue;
			printf("  ");
			put_name(stdout, dbsync_fleet_member(f, i));
			if (group_order[g] != DBSYNC_MEMBER_IN_SYNC)
				print_counts(dbsync_fleet_member_plan(f, i));
			const dbsync_error *e = dbsync_fleet_member_error(f, i);
			if (e)
				printf("%s%s", dbsync_fleet_member_plan(f, i) ? "; " : ": ",
					without_member(fc, e->message, dbsync_fleet_member(f, i)));
			putchar('\n');
		}
	}
}

/* Each member that is not in sync: its operations as a single schema's plan
 * prints them, under a heading naming it. */
static void print_members(const fleet_cli *fc)
{
	const dbsync_fleet *f = fc->fleet;
	for (size_t i = 0; i < dbsync_fleet_count(f); i++) {
		const dbsync_plan *p = dbsync_fleet_member_plan(f, i);
		if (!p || dbsync_fleet_member_state(f, i) == DBSYNC_MEMBER_IN_SYNC || !dbsync_plan_op_count(p))
			continue;
		printf("\n== %s \"", fc->word);
		put_name(stdout, dbsync_fleet_member(f, i));
		printf("\" (%s)\n", dbsync_member_state_name(dbsync_fleet_member_state(f, i)));
		cli_print_plan(p);
		cli_print_unmanaged(p);
	}
}

/* "1000 schemas: 997 in sync, 2 changed, 1 failed." */
static void print_summary(const fleet_cli *fc)
{
	size_t n = dbsync_fleet_count(fc->fleet);
	printf("\n%zu %s%s", n, fc->word, n == 1 ? "" : "s");
	const char *sep = ": ";
	for (size_t g = 0; g < N_GROUPS; g++) {
		size_t c = count_state(fc->fleet, group_order[g]);
		if (c) {
			printf("%s%zu %s", sep, c, group_word[g]);
			sep = ", ";
		}
	}
	printf(".\n");
}

/* Every member's hand-run script, each switching the session to it first. */
static int print_scripts(const fleet_cli *fc, int apply)
{
	int header = !fc->a->quiet;
	for (size_t i = 0; i < dbsync_fleet_count(fc->fleet); i++) {
		char *script = NULL;
		if (dbsync_fleet_member_script(&script, fc->ctx, fc->fleet, i))
			return cli_report_error(fc->ctx, "cannot render the plan");
		if (*script) {
			if (header)
				printf("\n-- SQL that %s run, %s by %s:\n", apply ? "would" : "apply would",
					fc->word, fc->word);
			header = 0;
			fputs(script, stdout);
		}
		dbsync_free(script);
	}
	return EXIT_OK;
}

/* What the question before an apply says: operations, members, data loss. */
static void confirm_question(const fleet_cli *fc, char *out, size_t n)
{
	size_t ops = 0, members = 0, losing = 0;
	long long touched = 0;
	for (size_t i = 0; i < dbsync_fleet_count(fc->fleet); i++) {
		const dbsync_plan *p = dbsync_fleet_member_plan(fc->fleet, i);
		size_t pending = member_pending(fc->fleet, i);
		ops += pending;
		members += pending > 0;
		for (size_t k = 0; pending && k < dbsync_plan_op_count(p); k++) {
			const dbsync_op *op = dbsync_plan_op(p, k);
			if (op->status != DBSYNC_STATUS_PENDING || op->risk != DBSYNC_RISK_DATA_LOSS)
				continue;
			losing++;
			touched += op->affected > 0 ? op->affected : 0;
		}
	}
	int w = snprintf(out, n, "Apply %zu change(s) to %zu %s%s", ops, members, fc->word, members == 1 ? "" : "s");
	if (losing && w > 0 && (size_t)w < n)
		w += snprintf(out + w, n - (size_t)w, " (%zu lose data, touching %lld row(s) or value(s))", losing,
			touched);
	if (w > 0 && (size_t)w < n)
		snprintf(out + w, n - (size_t)w, "?");
}

/* A line per finished member, on a terminal only (stderr). */
static int progress(void *user, size_t done, size_t total, size_t member, int finished)
{
	const fleet_cli *fc = user;
	if (finished) {
		const dbsync_fleet *f = fc->fleet;
		fprintf(stderr, "[%zu/%zu] %s \"", done, total, fc->word);
		put_name(stderr, dbsync_fleet_member(f, member));
		fprintf(stderr, "\": %s\n", dbsync_member_state_name(dbsync_fleet_member_state(f, member)));
	}
	return 0;
}

/* Apply over a->jobs connections (no more than members with changes): the
 * planning one and the others opened from the same URL. -1 when they cannot
 * be opened (nothing applied), 1 when the fleet's apply reports an error (a
 * member failed, or what stops the whole run: a plan waiting for fills),
 * 0 when every member went through. */
static int apply_fleet(fleet_cli *fc)
{
	const cli_args *a = fc->a;
	size_t n = (size_t)a->jobs, changing = 0;
	for (size_t i = 0; i < dbsync_fleet_count(fc->fleet); i++)
		changing += member_pending(fc->fleet, i) > 0;
	if (n > changing)
		n = changing ? changing : 1;
	dbsync_conn **conns = calloc(n, sizeof *conns);
	int rc = -1;
	if (!conns) {
		fprintf(stderr, "dbsync: out of memory\n");
		return -1;
	}
	conns[0] = fc->conn;
	for (size_t c = 1; c < n; c++)
		if (!(conns[c] = cli_open(fc->ctx, a, 0)))
			goto cleanup; /* nothing applied yet */
	dbsync_apply_options aopts;
	dbsync_apply_options_init(&aopts, DBSYNC_APPLY_OPTIONS_VERSION);
	aopts.max_retries = a->retries;
	if (a->lock_timeout_ms >= 0)
		aopts.lock_timeout_ms = (unsigned)a->lock_timeout_ms;
	dbsync_fleet_options fopts;
	dbsync_fleet_options_init(&fopts, DBSYNC_FLEET_OPTIONS_VERSION);
	fopts.fail_fast = a->fail_fast;
	fopts.apply = &aopts;
	if (isatty(STDERR_FILENO)) {
		fopts.progress = progress;
		fopts.progress_user = fc;
	}
	rc = 0;
	if (dbsync_fleet_apply(fc->ctx, fc->fleet, conns, n, &fopts)) {
		cli_report_error(fc->ctx, "apply");
		rc = 1;
	}
cleanup:
	for (size_t c = 1; c < n; c++)
		dbsync_conn_close(conns[c]);
	free(conns);
	return rc;
}

/* The exit code of a fleet after apply (or of a plan with failed members). */
static int outcome(const fleet_cli *fc)
{
	if (count_state(fc->fleet, DBSYNC_MEMBER_FAILED) || count_state(fc->fleet, DBSYNC_MEMBER_NOT_RUN))
		return EXIT_FAIL;
	return count_state(fc->fleet, DBSYNC_MEMBER_REFUSED) ? EXIT_REFUSED : EXIT_OK;
}

static int plan_or_apply(fleet_cli *fc, const dbsync_schema *desired, const dbsync_plan_options *opts, int apply)
{
	const cli_args *a = fc->a;
	char **names = NULL;
	size_t n = 0, pending = 0;
	int apply_rc = 0;
	int rc = select_members(fc, &names, &n);
	if (rc != EXIT_OK)
		goto cleanup;
	rc = EXIT_FAIL;
	if (dbsync_fleet_plan(&fc->fleet, fc->ctx, fc->conn, (const char *const *)names, n, desired, opts)) {
		cli_report_error(fc->ctx, "cannot plan");
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++)
		pending += member_pending(fc->fleet, i);
	int preview = !apply || a->dry_run;
	if (!a->quiet) {
		printf("target: %s\n", dbsync_conn_describe(fc->conn));
		print_groups(fc);
		print_members(fc);
	}
	if (cli_print_unhandled(a, desired, !preview))
		goto cleanup;
	if (preview) {
		/* the summary first: from the SQL's heading on, the output runs by hand */
		if (!a->quiet)
			print_summary(fc);
		if ((a->quiet || apply) && print_scripts(fc, apply) != EXIT_OK)
			goto cleanup;
		rc = count_state(fc->fleet, DBSYNC_MEMBER_FAILED) ? EXIT_FAIL
			: (!apply && pending) ? EXIT_PENDING : EXIT_OK;
		if (cli_write_fleet_reports(fc->ctx, a, fc->fleet, fc->conn, apply ? "dry_run" : "check") != EXIT_OK)
			rc = EXIT_FAIL;
		goto cleanup;
	}
	if (pending) {
		char question[160];
		confirm_question(fc, question, sizeof question);
		if (!a->auto_approve && !cli_confirm(question))
			goto cleanup;
		if (a->backup_path && cli_fleet_backup(fc->ctx, a, fc->conn, fc->fleet, fc->word) != EXIT_OK)
			goto cleanup;
		if ((apply_rc = apply_fleet(fc)) < 0)
			goto cleanup;
		if (!a->quiet) {
			printf("\nOutcome:\n");
			print_groups(fc);
			for (size_t i = 0; i < n; i++)
				if (dbsync_fleet_member_state(fc->fleet, i) == DBSYNC_MEMBER_FAILED
				    && dbsync_fleet_member_plan(fc->fleet, i)) {
					printf("\n== %s \"", fc->word);
					put_name(stdout, dbsync_fleet_member(fc->fleet, i));
					printf("\" (failed)\n");
					cli_print_plan(dbsync_fleet_member_plan(fc->fleet, i));
				}
		}
	}
	if (!a->quiet)
		print_summary(fc);
	rc = cli_write_fleet_reports(fc->ctx, a, fc->fleet, fc->conn, "apply");
	if (rc == EXIT_OK)
		rc = apply_rc ? EXIT_FAIL : outcome(fc);
cleanup:
	dbsync_names_free(names, n);
	return rc;
}

int cli_cmd_fleet(dbsync_ctx *ctx, const cli_args *a, int apply)
{
	fleet_cli fc = { .a = a, .ctx = ctx };
	dbsync_schema *desired = NULL;
	char *ddl = NULL, *metadata = NULL, *drops_buf = NULL;
	const char **drops = NULL;
	size_t ddl_len = 0;
	int rc = EXIT_FAIL;
	if (cli_read_inputs(a, &ddl, &ddl_len, &metadata) != EXIT_OK)
		goto cleanup;
	/* plan and dry runs read only: the connection cannot write */
	if (!(fc.conn = cli_open(ctx, a, !apply || a->dry_run)))
		goto cleanup;
	if (!(fc.word = dbsync_dialect_namespace_word(dbsync_conn_dialect(fc.conn)))) {
		fprintf(stderr, "dbsync: %s has no schemas or databases to choose from: --schema patterns and "
			"--all-schemas need PostgreSQL or MySQL/MariaDB\n", dbsync_conn_describe(fc.conn));
		rc = EXIT_USAGE;
		goto cleanup;
	}
	if (dbsync_schema_parse(&desired, ctx, dbsync_conn_dialect(fc.conn), ddl, ddl_len)) {
		cli_report_error(ctx, a->desired_path);
		goto cleanup;
	}
	dbsync_plan_options opts;
	if (cli_plan_options(&opts, a, metadata, &drops, &drops_buf) != EXIT_OK)
		goto cleanup;
	rc = plan_or_apply(&fc, desired, &opts, apply);
cleanup:
	dbsync_fleet_free(fc.fleet);
	free(drops);
	free(drops_buf);
	dbsync_schema_free(desired);
	dbsync_conn_close(fc.conn);
	free(ddl);
	free(metadata);
	return rc;
}
