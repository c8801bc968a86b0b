/* SQLite's data table for the dialect-neutral core (see dialect.h). */
#include "dialect.h"
#include "parse_sqlite.h"
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
	.backtick_idents = true,
	.bracket_idents = true,
	.numbered_params = true,
	.named_param_starts = ":@",
	.string_names = true,
	.only_schema = "main",
	.collation_names_upper = true,
	.double_equals = true,
	.comment_on_refused = "SQLite has no COMMENT ON: comments cannot be stored there",
	.internal_table_prefix = "sqlite_",
	.constraints_without_commas = true,
	.default_is_one_term = true,
	.index_method_refused = "SQLite has no index methods",
	.table_options = dbs_sqlite_table_options,
	.preamble_statement = dbs_sqlite_preamble,
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
	.plan = dbs_plan_sqlite,
	.namespace_word = "schema",
	.namespace_hint = "",
	.check_fails_open = "NOT (",
	.check_fails_close = ")",
	.default_fill = dbs_sqlite_default_fill,
	.lossy_count_sql = NULL, /* a rebuild copies the rows: SQLite keeps any value in any column */
	/* model generation: */
	/* renames and runtime: */
	.rename_table_sql = "ALTER TABLE %s RENAME TO %s",
	.table_name_case = DBS_NAMES_PRESERVED,
	.rename_beside_rebuild_before = "PRAGMA legacy_alter_table=OFF",
	.rename_beside_rebuild_after = "PRAGMA legacy_alter_table=ON",
	.url_is_file_path = true,
	/* SQLITE_BUSY, SQLITE_LOCKED: the primary codes of the extended ones */
	.transient_native_codes = (const int[]){ 5, 6, 0 },
	.native_code_mask = 0xff,
	/* public answers (facts.c): */
	.backup_tool = NULL,
	.backup_engine_method = "online backup",
	.backup_suffix = ".sqlite3",
};
