/*
 * dbsync CLI: how a plan is printed (its operations, what no model could
 * declare, what the desired file has that the engine does not handle) and
 * the one confirmation question, shared by a single schema's run and a
 * fleet's.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char *op_marker(const dbsync_op *op)
{
	switch (op->status) {
	case DBSYNC_STATUS_SKIPPED: return "! skipped";
	case DBSYNC_STATUS_REFUSED: return "x refused";
	case DBSYNC_STATUS_APPLIED: return "  applied";
	case DBSYNC_STATUS_FAILED: return "x failed ";
	case DBSYNC_STATUS_PENDING: break;
	}
	switch (op->kind) {
	case DBSYNC_OP_CREATE_TABLE:
	case DBSYNC_OP_ADD_COLUMN:
	case DBSYNC_OP_ADD_CONSTRAINT:
	case DBSYNC_OP_ADD_FOREIGN_KEY:
	case DBSYNC_OP_ADD_INDEX:
		return "+";
	case DBSYNC_OP_DROP_TABLE:
	case DBSYNC_OP_DROP_COLUMN:
	case DBSYNC_OP_DROP_CONSTRAINT:
	case DBSYNC_OP_DROP_FOREIGN_KEY:
	case DBSYNC_OP_DROP_INDEX:
		return "-";
	default:
		return "~";
	}
}

static void print_indented(const char *text, const char *indent)
{
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		printf("%s%.*s\n", indent, (int)n, p);
		p += n + (nl ? 1 : 0);
	}
}

void cli_print_plan(const dbsync_plan *plan)
{
	size_t n = dbsync_plan_op_count(plan);
	for (size_t i = 0; i < n; i++) {
		const dbsync_op *op = dbsync_plan_op(plan, i);
		printf("%s %s [%s]\n", op_marker(op), op->summary, dbsync_risk_name(op->risk));
		if (op->detail)
			print_indented(op->detail, "    ");
		if (op->affected >= 0)
			printf("    touches %lld %s\n", (long long)op->affected,
				op->kind == DBSYNC_OP_DROP_TABLE ? "row(s)" : "non-null value(s)");
		if (op->reason)
			printf("    reason: %s\n", op->reason);
		if (op->status == DBSYNC_STATUS_SKIPPED || op->status == DBSYNC_STATUS_REFUSED) {
			for (size_t j = 0; j < op->n_sql; j++) {
				printf("    would run: ");
				print_indented(op->sql[j], "");
			}
		}
	}
}

/* What no model could declare: kept (the default) or dropped by the plan. */
void cli_print_unmanaged(const dbsync_plan *plan)
{
	size_t n = dbsync_plan_unmanaged_count(plan);
	if (n)
		printf("Unmanaged (no model could declare these):\n");
	for (size_t i = 0; i < n; i++) {
		const dbsync_unmanaged *u = dbsync_plan_unmanaged(plan, i);
		printf("  %s %s `%s`", u->dropped ? "drops" : "keeps", dbsync_unmanaged_kind_name(u->kind),
			u->object ? u->object : u->table);
		if (u->object)
			printf(" of `%s`", u->table);
		printf("%s%s\n", u->detail ? ": " : "", u->detail ? u->detail : "");
	}
}

size_t cli_count_status(const dbsync_plan *plan, dbsync_op_status status)
{
	size_t c = 0;
	for (size_t i = 0; i < dbsync_plan_op_count(plan); i++)
		c += dbsync_plan_op(plan, i)->status == status;
	return c;
}

int cli_confirm(const char *question)
{
	if (!isatty(STDIN_FILENO)) {
		fprintf(stderr, "dbsync: refusing to change the database without confirmation: "
				"stdin is not a terminal; re-run with --auto-approve (or --dry-run to preview)\n");
		return 0;
	}
	printf("%s [y/N] ", question);
	fflush(stdout);
	char line[16];
	if (!fgets(line, sizeof line, stdin))
		return 0;
	return line[0] == 'y' || line[0] == 'Y';
}

/* The desired file's statements the engine does not handle, one a line. */
int cli_print_unhandled(const cli_args *a, const dbsync_schema *desired, int applying)
{
	size_t n = dbsync_schema_unhandled_count(desired);
	FILE *out = a->quiet ? stderr : stdout;
	if (!n)
		return 0;
	fprintf(out, "\nNot handled (dbsync neither creates nor compares these):\n");
	for (size_t i = 0; i < n; i++) {
		const dbsync_unhandled *u = dbsync_schema_unhandled(desired, i);
		fprintf(out, "  line %d: %s%s%s\n", u->line, u->kind, u->name[0] ? " " : "", u->name);
	}
	if (a->ignore_unsupported)
		return 0;
	/* never "in sync" while part of the file was not looked at */
	fprintf(stderr, "dbsync: %zu statement(s) of %s are not handled (listed above): dbsync neither "
		"creates nor compares them; pass --ignore-unsupported to %s without them\n", n,
		a->desired_path, applying ? "apply" : "plan");
	return 1;
}
