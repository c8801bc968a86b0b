/* MySQL/MariaDB's data table for the dialect-neutral core (see dialect.h). */
#include "dialect.h"
#include "plan_mysql.h"

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
	.plan = dbs_plan_mysql,
	.namespace_word = "database",
	.namespace_hint = "",
	.check_fails_open = "(",
	.check_fails_close = ") = 0",
	.default_fill = dbs_my_default_fill,
	.lossy_count_sql = dbs_my_lossy_count_sql,
	.primary_key_named = false,
	.constraint_deferrable = false,
	.unique_nulls_not_distinct = false,
	.check_no_inherit = false,
	.foreign_key_match_full = false,
	.key_comment_inline = true,
	/* model generation: */
};
