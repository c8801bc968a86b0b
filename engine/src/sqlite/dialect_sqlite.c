/* SQLite's data table for the dialect-neutral core (see dialect.h). */
#include "dialect.h"

static const char *const aliases[] = { "sqlite3", NULL };

const dbs_dialect_info dbs_dialect_sqlite = {
	.dialect = DBSYNC_DIALECT_SQLITE,
	.name = "sqlite",
	.aliases = aliases,
	.missing_backend_hint = "install libsqlite3-dev and rebuild",
	.ident_quote = '"',
	.literal_doubles_backslash = false,
	/* parser (lexer, statements): */
	/* canonical forms, normalize, rendering: */
	/* planner: */
	/* model generation: */
	/* public answers (facts.c): */
	.backup_tool = NULL,
	.backup_engine_method = "online backup",
	.backup_suffix = ".sqlite3",
};
