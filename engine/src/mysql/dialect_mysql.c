/* MySQL/MariaDB's data table for the dialect-neutral core (see dialect.h). */
#include "dialect.h"

static const char *const aliases[] = { "mariadb", NULL };

const dbs_dialect_info dbs_dialect_mysql = {
	.dialect = DBSYNC_DIALECT_MYSQL,
	.name = "mysql",
	.aliases = aliases,
	.missing_backend_hint = "install libmariadb-dev (Debian) and rebuild",
	.ident_quote = '`',
	.literal_doubles_backslash = true,
	/* parser (lexer, statements): */
	/* canonical forms, normalize, rendering: */
	/* planner: */
	/* model generation: */
	/* public answers (facts.c): */
	.backup_tool = "mysqldump",
	.backup_engine_method = "engine dump",
	.backup_suffix = ".sql",
};
