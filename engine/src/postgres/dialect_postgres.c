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
	/* renames and runtime: */
	.rename_table_sql = "ALTER TABLE %s RENAME TO %s",
	.table_name_case = DBS_NAMES_EXACT,
	/* deadlock, lock not available, serialization failure, connection exceptions */
	.transient_sqlstates = (const char *const[]){ "40P01", "55P03", "40001", "08", NULL },
	.lost_sqlstates = (const char *const[]){ "08", NULL },
};
