/* PostgreSQL's parser data and hooks (dialect.h's parser block). */
#ifndef DBS_PARSE_POSTGRES_H
#define DBS_PARSE_POSTGRES_H

#include "parse_internal.h"

/* psql meta-commands pg_dump writes around a dump (restore guards), read as comment lines */
extern const char *const dbs_pg_line_commands[];
/* Bare type names that are SQL grammar with a meaning of their own: bare
 * char is character(1), "char" a one-byte type; bare bit is bit(1), "bit"
 * any length; "integer" is no type at all. */
extern const char *const dbs_pg_type_grammar_words[];

bool dbs_pg_table_constraint(dbs_parser *p, dbs_table *t, const char *name, const char *context);
const char *dbs_pg_unnamed_index_name(dbs_parser *p, const dbs_table *t, const dbs_index *ix);
int dbs_pg_table_options(dbs_parser *p, dbs_table *t);
bool dbs_pg_preamble(dbs_parser *p, const dbs_token *first);

#endif
