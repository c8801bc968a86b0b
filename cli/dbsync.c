/*
 * dbsync: sync any database to a schema written as SQL DDL.
 *
 * Arguments, exit codes and printing only; everything else is libdbsync.
 * Exit codes: 0 success / in sync, 1 failure (for a fleet: any member
 * failed), 2 usage error (a --schema pattern matching nothing too), 3 (`plan`)
 * changes are pending, 4 (`apply`) refused changes remain.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char usage_text[] =
	"usage: dbsync <command> [options]\n"
	"\n"
	"commands:\n"
	"  plan     --desired FILE --db URL   show what would change (exit 3 when changes are pending)\n"
	"  apply    --desired FILE --db URL   apply the changes [--dry-run] [--auto-approve]\n"
	"                                     (exit 4 when refused changes or skipped tables remain)\n"
	"  inspect  --db URL                  print the live schema as DDL\n"
	"  orphans  --desired FILE --db URL   list tables the desired schema does not have (rows,\n"
	"                                     size) and the views ([--quiet]: the inventory as JSON)\n"
	"  models   --db URL TABLE...         print Django models (managed = False) for live tables/views\n"
	"  backup   --db URL FILE             write a backup of schema and data to FILE\n"
	"  restore  --db URL FILE             restore a backup into an empty database\n"
	"\n"
	"options:\n"
	"  --desired FILE      desired schema as SQL DDL ('-' reads standard input): CREATE\n"
	"                      TABLE/INDEX/VIEW, ALTER TABLE, COMMENT ON; BEGIN/COMMIT and a\n"
	"                      dump's SET preamble are ignored; anything else (DML, DROP, USE,\n"
	"                      GRANT, other SET...) is refused (see docs/desired-ddl.md)\n"
	"  --db URL            sqlite:///relative.db, sqlite:////abs/path.db,\n"
	"                      postgresql://user:pass@host:port/db?sslmode=...&host=/socket/dir,\n"
	"                      mysql://user@host:port/db\n"
	"  --schema NAME       PostgreSQL: the schema to sync (default: the connection's\n"
	"                      current schema, the first of search_path)\n"
	"  --schema PATTERN    plan/apply a fleet: repeat it, or give a glob (tenant_*) or\n"
	"                      re:REGEX; PostgreSQL: schemas of the database, MySQL/MariaDB:\n"
	"                      databases of the server (exit 2 when a pattern matches none)\n"
	"  --all-schemas       plan/apply a fleet of every schema (MySQL: every database)\n"
	"  --jobs N            apply to a fleet: N members at once over N connections\n"
	"  --fail-fast         apply to a fleet: stop at the first member that fails\n"
	"  --metadata FILE     JSON metadata (defaults to fill existing rows; see docs)\n"
	"  --drop-columns      drop columns the desired schema does not have (data loss)\n"
	"  --drop-unmanaged    also remove what no model could declare (FULLTEXT and other\n"
	"                      index kinds, undeclared collations); see docs/unmanaged.md\n"
	"  --drop-tables T,U   drop these live tables (orphans), referencing ones first (data loss)\n"
	"  --rename-tables     rename a table that clearly is a missing table's old name\n"
	"                      instead of creating it empty (see docs/renames-and-dbcheck.md)\n"
	"  --keep-table-case   do not rename a table whose name differs only in letter case\n"
	"  --exact-counts      orphans: count rows (one COUNT per table, which reads it)\n"
	"                      instead of showing the catalog's estimate (plan and apply count)\n"
	"  --keep-extra-indexes  keep indexes and constraints the desired schema does not have\n"
	"                      (listed as skipped with their DROP SQL)\n"
	"  --ignore-unsupported  plan/apply: go ahead although the desired file has statements\n"
	"                      dbsync does not handle (triggers, functions, sequences, types...,\n"
	"                      listed as \"Not handled\"); without it plan/apply exit 1 on them\n"
	"  --dry-run           apply: print the exact SQL and change nothing\n"
	"  --backup PATH       apply: write a backup to PATH first; stop if that fails. A fleet:\n"
	"                      PostgreSQL, one file of the whole database (pg_dump); MySQL/\n"
	"                      MariaDB, PATH a directory with a file per changed database,\n"
	"                      all written before any member is applied\n"
	"  --retries N         apply: retry transient failures (deadlock, lock timeout, lost\n"
	"                      connection, SQLITE_BUSY) up to N times, with backoff\n"
	"  --lock-timeout MS   apply: how long one statement waits for a lock (default 5000)\n"
	"  --report-json FILE  plan/apply: write the run's JSON report (docs/report.schema.json)\n"
	"  --report-html FILE  plan/apply: write the run's HTML report\n"
	"  --auto-approve      apply: do not ask for confirmation\n"
	"  --quiet             plan: print only the SQL script\n"
	"  --version           print the version and the backends compiled in\n"
	"  --help              print this help\n";


static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "dbsync: %s%s%s%s\nrun 'dbsync --help' for usage\n", what,
		arg ? " '" : "", arg ? arg : "", arg ? "'" : "");
	return EXIT_USAGE;
}

static void print_version(void)
{
	printf("dbsync %s\nbackends:", dbsync_version());
	int any = 0;
	for (size_t i = 0; i < dbsync_dialect_count(); i++) {
		dbsync_dialect d = dbsync_dialect_at(i);
		if (dbsync_backend_available(d)) {
			printf(" %s", dbsync_dialect_name(d));
			any = 1;
		}
	}
	printf("%s\n", any ? "" : " (none)");
}

/* Read a whole file ('-' is stdin) into a NUL-terminated malloc'd buffer. */
char *cli_read_file(const char *path, size_t *len_out)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, len = 0;
	char *data = malloc(cap);
	while (data) {
		size_t n = fread(data + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
		if (cap - len - 1 == 0) {
			char *grown = realloc(data, cap * 2);
			if (!grown) {
				free(data);
				data = NULL;
				break;
			}
			data = grown;
			cap *= 2;
		}
	}
	int failed = ferror(f);
	if (f != stdin)
		fclose(f);
	if (failed) {
		free(data);
		return NULL;
	}
	if (data) {
		data[len] = '\0';
		*len_out = len;
	}
	return data;
}

/* Whether the URL's query already has key `key`. */
static int url_has_key(const char *url, const char *key)
{
	const char *q = strchr(url, '?');
	size_t klen = strlen(key);
	while (q) {
		q++;
		if (strncmp(q, key, klen) == 0 && q[klen] == '=')
			return 1;
		q = strchr(q, '&');
	}
	return 0;
}

/* The URL with the CLI's own connection options added to its query:
 * readonly=1, and schema=NAME (percent-encoded). malloc'd; NULL on OOM. */
char *cli_connection_url(const cli_args *a, int readonly)
{
	size_t n = strlen(a->db_url) + sizeof "&readonly=1" + sizeof "&schema=" +
		(a->schema ? 3 * strlen(a->schema) : 0);
	char *url = malloc(n), *p;
	if (!url)
		return NULL;
	p = url + snprintf(url, n, "%s", a->db_url);
	if (readonly)
		p += snprintf(p, n - (size_t)(p - url), "%sreadonly=1", strchr(url, '?') ? "&" : "?");
	if (a->schema) {
		p += snprintf(p, n - (size_t)(p - url), "%sschema=", strchr(url, '?') ? "&" : "?");
		for (const unsigned char *c = (const unsigned char *)a->schema; *c; c++) {
			if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
			    strchr("-._~", *c))
				*p++ = (char)*c;
			else
				p += snprintf(p, 4, "%%%02X", *c);
		}
		*p = '\0';
	}
	return url;
}

int cli_report_error(dbsync_ctx *ctx, const char *what)
{
	const dbsync_error *e = dbsync_ctx_error(ctx);
	fprintf(stderr, "dbsync: %s: %s", what, e->message);
	if (e->line)
		fprintf(stderr, " (line %d, column %d)", e->line, e->column);
	if (e->sqlstate[0])
		fprintf(stderr, " [SQLSTATE %s]", e->sqlstate);
	else if (e->native_code)
		fprintf(stderr, " [error %d]", e->native_code);
	fputc('\n', stderr);
	return EXIT_FAIL;
}

dbsync_conn *cli_open(dbsync_ctx *ctx, const cli_args *a, int readonly)
{
	dbsync_conn *conn = NULL;
	char *url = cli_connection_url(a, readonly);
	if (!url) {
		fprintf(stderr, "dbsync: out of memory\n");
		return NULL;
	}
	if (dbsync_conn_open_url(&conn, ctx, url)) {
		cli_report_error(ctx, "cannot connect");
		conn = NULL;
	}
	free(url);
	return conn;
}

/* --drop-tables a,b,c as an array of names pointing into `buf` (a copy). */
static const char **split_names(const char *list, char **buf, size_t *n)
{
	*n = 0;
	*buf = NULL;
	if (!list)
		return NULL;
	size_t cap = 1;
	for (const char *p = list; *p; p++)
		cap += *p == ',';
	const char **names = calloc(cap, sizeof *names);
	*buf = strdup(list);
	if (!names || !*buf) {
		free(names);
		free(*buf);
		*buf = NULL;
		return NULL;
	}
	for (char *tok = strtok(*buf, ","); tok; tok = strtok(NULL, ","))
		if (*tok)
			names[(*n)++] = tok;
	return names;
}

/* The desired file and the metadata file (when given); the caller frees both. */
int cli_read_inputs(const cli_args *a, char **ddl, size_t *ddl_len, char **metadata)
{
	size_t meta_len = 0;
	*metadata = NULL;
	if (!(*ddl = cli_read_file(a->desired_path, ddl_len))) {
		fprintf(stderr, "dbsync: cannot read desired schema '%s'\n", a->desired_path);
		return EXIT_FAIL;
	}
	if (a->metadata_path && !(*metadata = cli_read_file(a->metadata_path, &meta_len))) {
		fprintf(stderr, "dbsync: cannot read metadata '%s'\n", a->metadata_path);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* The plan options the command line asks for; *drops and *drops_buf (the
 * --drop-tables names) are the caller's to free. EXIT_FAIL when out of memory. */
int cli_plan_options(dbsync_plan_options *opts, const cli_args *a, const char *metadata, const char ***drops,
	char **drops_buf)
{
	dbsync_plan_options_init(opts, DBSYNC_PLAN_OPTIONS_VERSION);
	opts->drop_columns = a->drop_columns;
	opts->drop_unmanaged = a->drop_unmanaged;
	opts->metadata_json = metadata;
	opts->auto_rename_tables = a->rename_tables;
	opts->auto_fix_table_case = !a->keep_table_case;
	opts->keep_extra_indexes = a->keep_extra_indexes;
	*drops = NULL;
	*drops_buf = NULL;
	if (a->drop_tables && !(*drops = split_names(a->drop_tables, drops_buf, &opts->n_drop_tables))) {
		fprintf(stderr, "dbsync: out of memory\n");
		return EXIT_FAIL;
	}
	opts->drop_tables = *drops;
	return EXIT_OK;
}

static int cmd_inspect(dbsync_ctx *ctx, const cli_args *a)
{
	dbsync_conn *conn = NULL;
	dbsync_schema *live = NULL;
	char *sql = NULL;
	int rc = EXIT_FAIL;
	char *url = cli_connection_url(a, 1);
	if (!url) {
		fprintf(stderr, "dbsync: out of memory\n");
		goto cleanup;
	}
	int orc = dbsync_conn_open_url(&conn, ctx, url);
	free(url);
	if (orc) {
		cli_report_error(ctx, "cannot connect");
		goto cleanup;
	}
	if (dbsync_conn_introspect(&live, ctx, conn) || dbsync_schema_to_sql(&sql, ctx, live)) {
		cli_report_error(ctx, "cannot read the schema");
		goto cleanup;
	}
	fputs(sql, stdout);
	rc = EXIT_OK;
cleanup:
	dbsync_free(sql);
	dbsync_schema_free(live);
	dbsync_conn_close(conn);
	return rc;
}

static int cmd_plan_or_apply(dbsync_ctx *ctx, const cli_args *a, int apply)
{
	dbsync_conn *conn = NULL;
	dbsync_schema *desired = NULL;
	dbsync_plan *plan = NULL;
	char *ddl = NULL, *metadata = NULL, *script = NULL, *url = NULL, *drops_buf = NULL;
	const char **drops = NULL;
	size_t ddl_len = 0;
	int rc = EXIT_FAIL;

	if (cli_read_inputs(a, &ddl, &ddl_len, &metadata) != EXIT_OK)
		goto cleanup;
	/* plan and dry runs open the database read-only: they cannot change it,
	 * not even by creating a missing SQLite file */
	int readonly = !apply || a->dry_run;
	url = cli_connection_url(a, readonly);
	if (!url) {
		fprintf(stderr, "dbsync: out of memory\n");
		goto cleanup;
	}
	if (dbsync_conn_open_url(&conn, ctx, url)) {
		cli_report_error(ctx, "cannot connect");
		goto cleanup;
	}
	if (dbsync_schema_parse(&desired, ctx, dbsync_conn_dialect(conn), ddl, ddl_len)) {
		cli_report_error(ctx, a->desired_path);
		goto cleanup;
	}
	dbsync_plan_options opts;
	if (cli_plan_options(&opts, a, metadata, &drops, &drops_buf) != EXIT_OK)
		goto cleanup;
	if (dbsync_plan_compute(&plan, ctx, conn, desired, &opts)) {
		cli_report_error(ctx, "cannot plan");
		goto cleanup;
	}
	if (dbsync_plan_script(&script, ctx, plan)) {
		cli_report_error(ctx, "cannot render the plan");
		goto cleanup;
	}
	size_t pending = dbsync_plan_pending_count(plan);
	size_t unhandled = dbsync_schema_unhandled_count(desired);
	if (!a->quiet) {
		printf("target: %s\n", dbsync_conn_describe(conn));
		if (dbsync_plan_op_count(plan) == 0)
			printf(unhandled ? "No changes to what dbsync handles.\n"
				: "No changes: the database matches the desired schema.\n");
		else
			cli_print_plan(plan);
		cli_print_unmanaged(plan);
	}
	if (cli_print_unhandled(a, desired, apply && !a->dry_run)) {
		if (pending && (!apply || a->dry_run)) {
			if (!a->quiet)
				printf("\n-- SQL that %s run:\n", apply ? "would" : "apply would");
			fputs(script, stdout);
		}
		rc = EXIT_FAIL;
		goto cleanup;
	}
	if (!apply || a->dry_run) {
		if (pending) {
			if (!a->quiet)
				printf("\n-- SQL that %s run:\n", apply ? "would" : "apply would");
			fputs(script, stdout);
		}
		rc = (!apply && pending) ? EXIT_PENDING : EXIT_OK;
		if (cli_write_reports(ctx, a, plan, conn, apply ? "dry_run" : "check") != EXIT_OK)
			rc = EXIT_FAIL;
		goto cleanup;
	}
	if (!pending) {
		rc = cli_write_reports(ctx, a, plan, conn, "apply");
		if (rc == EXIT_OK && cli_count_status(plan, DBSYNC_STATUS_REFUSED))
			rc = EXIT_REFUSED;
		goto cleanup;
	}
	char question[64];
	snprintf(question, sizeof question, "Apply %zu change(s)?", pending);
	if (!a->auto_approve && !cli_confirm(question))
		goto cleanup;
	if (a->backup_path) {
		dbsync_backup_method used = DBSYNC_BACKUP_AUTO;
		if (dbsync_conn_backup(ctx, conn, a->backup_path, NULL, &used)) {
			cli_report_error(ctx, "backup failed, nothing was changed");
			goto cleanup;
		}
		if (!a->quiet)
			printf("Backup written to %s.\n", a->backup_path);
	}
	dbsync_apply_options aopts;
	dbsync_apply_options_init(&aopts, DBSYNC_APPLY_OPTIONS_VERSION);
	aopts.max_retries = a->retries;
	if (a->lock_timeout_ms >= 0)
		aopts.lock_timeout_ms = (unsigned)a->lock_timeout_ms;
	int arc = dbsync_plan_apply(ctx, conn, plan, &aopts);
	if (arc) {
		/* an operation is APPLIED only once committed: say exactly what stays */
		size_t committed = cli_count_status(plan, DBSYNC_STATUS_APPLIED);
		char what[96];
		if (committed)
			snprintf(what, sizeof what, "apply failed after committing %zu change(s)", committed);
		cli_report_error(ctx, committed ? what : "apply failed, nothing was committed");
		for (size_t i = 0; committed && i < dbsync_plan_op_count(plan); i++) {
			const dbsync_op *op = dbsync_plan_op(plan, i);
			if (op->status == DBSYNC_STATUS_APPLIED)
				fprintf(stderr, "  committed: %s\n", op->summary ? op->summary : "?");
		}
	} else
		printf("Applied %zu change(s); %zu skipped, %zu refused.\n", cli_count_status(plan, DBSYNC_STATUS_APPLIED),
			cli_count_status(plan, DBSYNC_STATUS_SKIPPED), cli_count_status(plan, DBSYNC_STATUS_REFUSED));
	/* the report records a failed run too, with the error of the failed step */
	rc = cli_write_reports(ctx, a, plan, conn, "apply");
	if (arc)
		rc = EXIT_FAIL;
	else if (rc == EXIT_OK && cli_count_status(plan, DBSYNC_STATUS_REFUSED))
		rc = EXIT_REFUSED;
cleanup:
	free(drops);
	free(drops_buf);
	dbsync_free(script);
	dbsync_plan_free(plan);
	dbsync_schema_free(desired);
	dbsync_conn_close(conn);
	free(ddl);
	free(metadata);
	free(url);
	return rc;
}

/* The command line's command, run; `schemas` has room for every argument. */
static int parse_and_run(int argc, char **argv, const char **schemas)
{
	static const struct option longopts[] = {
		{ "desired", required_argument, NULL, 'd' },
		{ "db", required_argument, NULL, 'b' },
		{ "metadata", required_argument, NULL, 'm' },
		{ "schema", required_argument, NULL, 's' },
		{ "drop-columns", no_argument, NULL, 'D' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "auto-approve", no_argument, NULL, 'y' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ "backup", required_argument, NULL, 'B' },
		{ "report-json", required_argument, NULL, 'J' },
		{ "report-html", required_argument, NULL, 'H' },
		{ "drop-tables", required_argument, NULL, 'T' },
		{ "retries", required_argument, NULL, 'r' },
		{ "lock-timeout", required_argument, NULL, 'L' },
		{ "rename-tables", no_argument, NULL, 'R' },
		{ "keep-table-case", no_argument, NULL, 'K' },
		{ "drop-unmanaged", no_argument, NULL, 'u' },
		{ "keep-extra-indexes", no_argument, NULL, 'X' },
		{ "ignore-unsupported", no_argument, NULL, 'U' },
		{ "exact-counts", no_argument, NULL, 'E' },
		{ "all-schemas", no_argument, NULL, 'A' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "fail-fast", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	cli_args a = { 0 };
	a.lock_timeout_ms = -1;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'V': print_version(); return EXIT_OK;
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		default: return usage_error("unknown option", argv[optind - 1]);
		}
	}
	if (optind >= argc) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	a.command = argv[optind];
	optind++;
	a.schemas = schemas;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': a.desired_path = optarg; break;
		case 'b': a.db_url = optarg; break;
		case 'm': a.metadata_path = optarg; break;
		case 's': a.schemas[a.n_schemas++] = optarg; break;
		case 'A': a.all_schemas = 1; break;
		case 'F': a.fail_fast = 1; break;
		case 'D': a.drop_columns = 1; break;
		case 'n': a.dry_run = 1; break;
		case 'y': a.auto_approve = 1; break;
		case 'q': a.quiet = 1; break;
		case 'B': a.backup_path = optarg; break;
		case 'J': a.report_json = optarg; break;
		case 'H': a.report_html = optarg; break;
		case 'T': a.drop_tables = optarg; break;
		case 'R': a.rename_tables = 1; break;
		case 'K': a.keep_table_case = 1; break;
		case 'u': a.drop_unmanaged = 1; break;
		case 'X': a.keep_extra_indexes = 1; break;
		case 'U': a.ignore_unsupported = 1; break;
		case 'E': a.exact_counts = 1; break;
		case 'r':
		case 'L':
		case 'j': {
			char *end;
			long v = strtol(optarg, &end, 10);
			long lo = c == 'j' ? 1 : 0, hi = c == 'r' ? 100 : c == 'j' ? 64 : 3600000;
			if (*optarg == '\0' || *end || v < lo || v > hi)
				return usage_error(c == 'r' ? "--retries takes a number from 0 to 100:"
					: c == 'j' ? "--jobs takes a number of connections from 1 to 64:"
					: "--lock-timeout takes milliseconds from 0 to 3600000:", optarg);
			if (c == 'r')
				a.retries = (int)v;
			else if (c == 'j')
				a.jobs = (int)v;
			else
				a.lock_timeout_ms = (int)v;
			break;
		}
		case 'V': print_version(); return EXIT_OK;
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		case ':': return usage_error("this option needs a value:", argv[optind - 1]);
		default: return usage_error("unknown option", argv[optind - 1]);
		}
	}
	int is_plan = strcmp(a.command, "plan") == 0, is_apply = strcmp(a.command, "apply") == 0;
	int is_inspect = strcmp(a.command, "inspect") == 0, is_orphans = strcmp(a.command, "orphans") == 0;
	int is_models = strcmp(a.command, "models") == 0, is_backup = strcmp(a.command, "backup") == 0;
	int is_restore = strcmp(a.command, "restore") == 0;
	if (!is_plan && !is_apply && !is_inspect && !is_orphans && !is_models && !is_backup && !is_restore)
		return usage_error("unknown command", a.command);
	a.names = argv + optind;
	a.n_names = argc - optind;
	if (is_models && a.n_names == 0)
		return usage_error("'models' needs the names of the tables or views", NULL);
	if ((is_backup || is_restore) && a.n_names != 1)
		return usage_error("this command needs one FILE:", a.command);
	if (!is_models && !is_backup && !is_restore && a.n_names)
		return usage_error("unexpected argument", a.names[0]);
	if (!a.db_url)
		return usage_error("this command needs --db URL:", a.command);
	if ((is_plan || is_apply || is_orphans) && !a.desired_path)
		return usage_error("this command needs --desired FILE:", a.command);
	for (size_t i = 0; i < a.n_schemas; i++) {
		if (!*a.schemas[i])
			return usage_error("--schema needs a schema name or pattern", NULL);
		/* a glob or a regex selects a fleet even when it could match one */
		if (strpbrk(a.schemas[i], "*?[") || strncmp(a.schemas[i], "re:", 3) == 0)
			a.fleet = 1;
	}
	if (a.all_schemas && a.n_schemas)
		return usage_error("choose the schemas once: --all-schemas or --schema, not both", NULL);
	a.fleet |= a.all_schemas || a.n_schemas > 1;
	if (a.n_schemas == 1 && !a.fleet)
		a.schema = a.schemas[0];
	if ((a.n_schemas || a.all_schemas) && url_has_key(a.db_url, "schema"))
		return usage_error("give the schema once: --schema, or schema= in the URL", NULL);
	if (a.fleet && !is_plan && !is_apply)
		return usage_error("several --schema, a pattern and --all-schemas belong to 'plan' and 'apply';"
			" this command takes one --schema NAME:", a.command);
	if ((a.jobs || a.fail_fast) && !(is_apply && a.fleet))
		return usage_error("--jobs and --fail-fast belong to 'apply' over several schemas or databases "
			"(several --schema, a pattern, or --all-schemas)", NULL);
	if (!a.jobs)
		a.jobs = 1;
	if (is_plan && (a.dry_run || a.auto_approve))
		return usage_error("--dry-run and --auto-approve belong to 'apply', not 'plan'", NULL);
	if (!is_apply && (a.backup_path || a.retries || a.lock_timeout_ms >= 0))
		return usage_error("--backup, --retries and --lock-timeout belong to 'apply'", NULL);
	/* plan previews an apply, so it counts what each drop loses exactly, like apply */
	if (!is_orphans && a.exact_counts)
		return usage_error("--exact-counts belongs to 'orphans' ('plan' and 'apply' always count)", NULL);
	if (!is_plan && !is_apply && (a.report_json || a.report_html || a.drop_tables))
		return usage_error("--report-json, --report-html and --drop-tables belong to 'plan' and 'apply'", NULL);

	dbsync_ctx *ctx = NULL;
	if (dbsync_ctx_new(&ctx)) {
		fprintf(stderr, "dbsync: out of memory\n");
		return EXIT_FAIL;
	}
	int rc = is_inspect ? cmd_inspect(ctx, &a)
		: is_orphans ? cli_cmd_orphans(ctx, &a)
		: is_models ? cli_cmd_models(ctx, &a)
		: (is_backup || is_restore) ? cli_cmd_backup(ctx, &a, is_restore)
		: a.fleet ? cli_cmd_fleet(ctx, &a, is_apply)
		: cmd_plan_or_apply(ctx, &a, is_apply);
	dbsync_ctx_free(ctx);
	return rc;
}

int main(int argc, char **argv)
{
	/* every --schema given: at most one per argument */
	const char **schemas = calloc((size_t)argc + 1, sizeof *schemas);
	if (!schemas) {
		fprintf(stderr, "dbsync: out of memory\n");
		return EXIT_FAIL;
	}
	int rc = parse_and_run(argc, argv, schemas);
	free(schemas);
	return rc;
}
