/* MySQL/MariaDB's entries of its dialect table (dialect_mysql.c): canonical
 * forms (canon_mysql.c) and DDL for the core (ddl_mysql.c). */
#ifndef DBS_CANON_MYSQL_H
#define DBS_CANON_MYSQL_H

#include "dialect.h"
#include "lexer.h"
#include "model.h"
#include "shadow_ddl.h"

extern const dbs_type_synonym dbs_my_type_synonyms[];
int dbs_my_canon_default(dbs_arena *a, dbs_column *c);
int dbs_my_implied_indexes(dbsync_schema *s, dbs_table *t);
bool dbs_my_collation_eq(const dbs_table *live_t, const dbs_column *live, const dbs_table *want_t,
	const dbs_column *want);
const char *dbs_my_unmanaged_index_kind(dbs_arena *a, const dbs_index *ix);
int dbs_my_shadow_table(dbs_shadow_renderer *r, const dbs_table *t);
bool dbs_my_string_unambiguous(const dbs_token *t);

/* The default collation the desired table asks of the live one, or NULL
 * when its DDL names none (model.h), and whether the two tables' default
 * charset or collation differ (never when the desired one names neither). */
const char *dbs_my_want_table_collation(const dbs_table *live, const dbs_table *want);
bool dbs_my_table_charset_differs(const dbs_table *live, const dbs_table *want);

#endif
