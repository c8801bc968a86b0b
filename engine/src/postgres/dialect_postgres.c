/* PostgreSQL's data table for the dialect-neutral core (see dialect.h). */
#include "canon_postgres.h"
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
	.type_synonyms = dbs_pg_type_synonyms,
	.type_meaning = dbs_pg_type_meaning,
	.pk_implies_not_null = true,
	.names_case_sensitive = true,
	.literal_true = "TRUE",
	.literal_false = "FALSE",
	.render_comments = dbs_pg_render_comments,
	.collations_quoted = true,
	.fk_match_full = true,
	.fk_deferrable = true,
	.keys_deferrable = true,
	.check_no_inherit = true,
	.nulls_not_distinct = true,
	.index_nulls_order = true,
	.index_storage_params = true,
	.index_using_method = true,
	.renames_constraints = true,
	.renames_indexes = true,
	.sql_drop_foreign_key = "ALTER TABLE %s DROP CONSTRAINT %s",
	.shadow_table = dbs_pg_shadow_table,
	.shadow_table_late = dbs_pg_shadow_foreign_keys,
	.unmanaged_index_kind = dbs_pg_unmanaged_index_kind,
	/* planner: */
	/* model generation: */
};
