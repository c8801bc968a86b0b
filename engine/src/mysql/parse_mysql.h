/* MySQL's parser data and hooks (dialect.h's parser block). */
#ifndef DBS_PARSE_MYSQL_H
#define DBS_PARSE_MYSQL_H

#include <stdbool.h>

struct dbs_column;
struct dbs_parser;
struct dbs_table;
struct dbs_token;

/* index kinds written before INDEX or KEY */
extern const char *const dbs_my_index_kind_words[];
/* column attributes that end a type name or a DEFAULT expression */
extern const char *const dbs_my_column_attribute_words[];

void dbs_my_create_clauses(struct dbs_parser *p);
bool dbs_my_column_attribute(struct dbs_parser *p, struct dbs_column *col, const char *context);
int dbs_my_key_options(struct dbs_parser *p, const char *context, const char **comment);
int dbs_my_table_options(struct dbs_parser *p, struct dbs_table *t);
bool dbs_my_alter_table_action(struct dbs_parser *p, struct dbs_table *t);
bool dbs_my_preamble(struct dbs_parser *p, const struct dbs_token *first);

#endif
