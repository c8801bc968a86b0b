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
	/* renames and runtime: */
	/* ALTER TABLE ... RENAME works too, but RENAME TABLE is the statement the
	 * manual documents for renames and what a DBA expects */
	.rename_table_sql = "RENAME TABLE %s TO %s",
	/* the backend reads lower_case_table_names; this is for no connection */
	.table_name_case = DBS_NAMES_EXACT,
	.transient_sqlstates = (const char *const[]){ "40001", NULL },
	/* ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT, CR_SERVER_GONE_ERROR, CR_SERVER_LOST */
	.transient_native_codes = (const int[]){ 1213, 1205, 2006, 2013, 0 },
	.lost_native_codes = (const int[]){ 2006, 2013, 0 },
};
