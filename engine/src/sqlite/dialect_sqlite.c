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
	.default_collation = "BINARY",
	.pk_implies_not_null = false,
	.rowid_alias_type = "integer",
	.internal_index_prefix = "sqlite_autoindex_",
	.literal_true = "1",
	.literal_false = "0",
	.pk_autoincrement_keyword = "AUTOINCREMENT",
	.fk_deferrable = true,
	/* planner: */
	/* model generation: */
};
