/* SQLite's parser hooks (dialect.h's parser block). */
#ifndef DBS_PARSE_SQLITE_H
#define DBS_PARSE_SQLITE_H

#include <stdbool.h>

struct dbs_parser;
struct dbs_table;
struct dbs_token;

int dbs_sqlite_table_options(struct dbs_parser *p, struct dbs_table *t);
bool dbs_sqlite_preamble(struct dbs_parser *p, const struct dbs_token *first);

#endif
