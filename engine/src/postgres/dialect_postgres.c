/* PostgreSQL's data table for the dialect-neutral core (see dialect.h). */
#include "dialect.h"
#include "plan_postgres.h"

static const char *const aliases[] = { "postgres", NULL };

const dbs_dialect_info dbs_dialect_postgres = {
	.dialect = DBSYNC_DIALECT_POSTGRES,
	.name = "postgresql",
	.aliases = aliases,
	.missing_backend_hint = "install libpq-dev (Debian) and rebuild",
	.ident_quote = '"',
	.literal_doubles_backslash = false,
	/* parser (lexer, statements): */
	/* canonical forms, normalize, rendering: */
	/* planner: */
	.plan = dbs_plan_postgres,
	.namespace_word = "schema",
	.namespace_hint = " (or choose the schema with --schema)",
	.check_fails_open = "NOT (",
	.check_fails_close = ")",
	.default_fill = dbs_pg_default_fill,
	.lossy_count_sql = dbs_pg_lossy_count_sql,
	.primary_key_named = true,
	.constraint_deferrable = true,
	.unique_nulls_not_distinct = true,
	.check_no_inherit = true,
	.foreign_key_match_full = true,
	.key_comment_inline = false,
	/* model generation: */
};
