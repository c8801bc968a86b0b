/* MySQL/MariaDB's data table for the dialect-neutral core (see dialect.h). */
#include "dialect.h"
#include "parse_mysql.h"

static const char *const aliases[] = { "mariadb", NULL };

const dbs_dialect_info dbs_dialect_mysql = {
	.dialect = DBSYNC_DIALECT_MYSQL,
	.name = "mysql",
	.aliases = aliases,
	.missing_backend_hint = "install libmariadb-dev (Debian) and rebuild",
	.ident_quote = '`',
	.literal_doubles_backslash = true,
	/* parser (lexer, statements): */
	.backtick_idents = true,
	.double_quote_strings = true,
	.backslash_escapes = true,
	.named_param_starts = "@",
	.hash_comments = true,
	.exec_comments = true,
	.delimiter_command = true,
	.std_expr_keywords = true,
	.schema_is_database = true,
	.autoincrement_instead = "AUTO_INCREMENT",
	.key_index_syntax = true,
	.index_kind_words = dbs_my_index_kind_words,
	.prefix_lengths = true,
	.column_attribute_words = dbs_my_column_attribute_words,
	.create_clauses = dbs_my_create_clauses,
	.column_attribute = dbs_my_column_attribute,
	.key_options = dbs_my_key_options,
	.table_options = dbs_my_table_options,
	.alter_table_action = dbs_my_alter_table_action,
	.preamble_statement = dbs_my_preamble,
	/* canonical forms, normalize, rendering: */
	/* planner: */
	/* model generation: */
};
