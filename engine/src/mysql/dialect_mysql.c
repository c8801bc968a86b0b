/* MySQL/MariaDB's data table for the dialect-neutral core (see dialect.h). */
#include "canon_mysql.h"
#include "dialect.h"

static const char *const index_kinds[] = { "fulltext", "spatial", NULL };

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
	.index_kinds = index_kinds,
	.collation_eq = dbs_my_collation_eq,
	.table_charset_differs = dbs_my_table_charset_differs,
	.sql_drop_foreign_key = "ALTER TABLE %s DROP FOREIGN KEY %s",
	.shadow_table = dbs_my_shadow_table,
	.string_unambiguous = dbs_my_string_unambiguous,
	.unmanaged_index_kind = dbs_my_unmanaged_index_kind,
	/* planner: */
	/* model generation: */
	.model_types = model_types,
};
