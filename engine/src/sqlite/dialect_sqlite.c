/* SQLite's data table for the dialect-neutral core (see dialect.h). */
#include "dialect.h"
#include "plan_sqlite.h"

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
	.plan = dbs_plan_sqlite,
	.namespace_word = "schema",
	.namespace_hint = "",
	.check_fails_open = "NOT (",
	.check_fails_close = ")",
	.default_fill = dbs_sqlite_default_fill,
	.lossy_count_sql = NULL, /* a rebuild copies the rows: SQLite keeps any value in any column */
	.primary_key_named = true,
	.constraint_deferrable = true,
	.unique_nulls_not_distinct = false,
	.check_no_inherit = false,
	.foreign_key_match_full = false,
	.key_comment_inline = false,
	/* model generation: */
};
