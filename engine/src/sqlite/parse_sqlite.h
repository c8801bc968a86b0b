/* SQLite's parser hooks (dialect.h's parser block). */
#ifndef DBS_PARSE_SQLITE_H
#define DBS_PARSE_SQLITE_H

#include "parse_internal.h"

int dbs_sqlite_table_options(dbs_parser *p, dbs_table *t);
bool dbs_sqlite_preamble(dbs_parser *p, const dbs_token *first);

#endif
