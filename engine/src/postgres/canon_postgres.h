/* PostgreSQL's entries of its dialect table (dialect_postgres.c): canonical
 * forms (canon_postgres.c) and DDL for the core (ddl_postgres.c). */
#ifndef DBS_CANON_POSTGRES_H
#define DBS_CANON_POSTGRES_H

#include "dialect.h"
#include "model.h"
#include "shadow_ddl.h"

extern const dbs_type_synonym dbs_pg_type_synonyms[];
const char *dbs_pg_type_meaning(dbs_arena *a, const dbs_dialect_info *info, const char *type);
const char *dbs_pg_unmanaged_index_kind(dbs_arena *a, const dbs_index *ix);
int dbs_pg_render_comments(dbs_buf *b, const dbs_table *t);
int dbs_pg_shadow_table(dbs_shadow_renderer *r, const dbs_table *t);
int dbs_pg_shadow_foreign_keys(dbs_shadow_renderer *r, const dbs_table *t);

#endif
