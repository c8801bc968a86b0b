/* MySQL/MariaDB's data table for the dialect-neutral core (see dialect.h). */
#include "canon_mysql.h"
#include "dialect.h"
#include "parse_mysql.h"
#include "plan_mysql.h"

/* MySQL's BOOLEAN is tinyint(1): the width is the only tell */
static const dbs_model_type model_types[] = {
	{ "tinyint(1)", "BooleanField" },
	{ NULL, NULL },
};

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
	.type_synonyms = dbs_my_type_synonyms,
	.canon_default = dbs_my_canon_default,
	.implied_indexes = dbs_my_implied_indexes,
	.pk_implies_not_null = true,
	.literal_true = "TRUE",
	.literal_false = "FALSE",
	.comments_inline = true,
	.pk_unnamed = true,
	.column_keys_plain = true,
	.column_autoincrement_keyword = "AUTO_INCREMENT",
	.charsets = true,
	.column_on_update = true,
	.collation_eq = dbs_my_collation_eq,
	.table_charset_differs = dbs_my_table_charset_differs,
	.sql_drop_foreign_key = "ALTER TABLE %s DROP FOREIGN KEY %s",
	.shadow_table = dbs_my_shadow_table,
	.string_unambiguous = dbs_my_string_unambiguous,
	.unmanaged_index_kind = dbs_my_unmanaged_index_kind,
	/* planner: */
	.plan = dbs_plan_mysql,
	.namespace_word = "database",
	.namespace_hint = "",
	.check_fails_open = "(",
	.check_fails_close = ") = 0",
	.default_fill = dbs_my_default_fill,
	.lossy_count_sql = dbs_my_lossy_count_sql,
	/* model generation: */
	.model_types = model_types,
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
	/* public answers (facts.c): */
	.backup_tool = "mysqldump",
	.backup_engine_method = "engine dump",
	.backup_suffix = ".sql",
};
