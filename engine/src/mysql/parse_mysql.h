/* MySQL's parser data and hooks (dialect.h's parser block). */
#ifndef DBS_PARSE_MYSQL_H
#define DBS_PARSE_MYSQL_H

#include "parse_internal.h"

/* index kinds written before INDEX or KEY */
extern const char *const dbs_my_index_kind_words[];
/* column attributes that end a type name or a DEFAULT expression */
extern const char *const dbs_my_column_attribute_words[];

void dbs_my_create_clauses(dbs_parser *p);
bool dbs_my_column_attribute(dbs_parser *p, dbs_column *col, const char *context);
int dbs_my_key_options(dbs_parser *p, const char *context, const char **comment);
int dbs_my_table_options(dbs_parser *p, dbs_table *t);
bool dbs_my_alter_table_action(dbs_parser *p, dbs_table *t);
bool dbs_my_preamble(dbs_parser *p, const dbs_token *first);

#endif
