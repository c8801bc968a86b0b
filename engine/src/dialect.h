/* Per-dialect quoting. Every identifier and literal in generated SQL goes through here. */
#ifndef DBS_DIALECT_H
#define DBS_DIALECT_H

#include "buf.h"
#include "dbsync/common.h"

/* Append `name` quoted as an identifier: "a""b" (SQLite, PostgreSQL), `a``b` (MySQL). */
int dbs_quote_ident(dbs_buf *out, dbsync_dialect d, const char *name);
/* Append `s` as a string literal: 'it''s' (MySQL also doubles backslashes). */
int dbs_quote_literal(dbs_buf *out, dbsync_dialect d, const char *s);

#endif
