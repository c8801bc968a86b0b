/* PostgreSQL's data table for the dialect-neutral core (see dialect.h). */
#include "dialect.h"

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
	/* model generation: */
	/* public answers (facts.c): */
	.backup_tool = "pg_dump",
	.backup_engine_method = "engine dump",
	.backup_suffix = ".sql",
};
