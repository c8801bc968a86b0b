/* Rendering the schema model as dialect SQL. Identifiers always go through dbs_quote_ident. */
#ifndef DBS_RENDER_H
#define DBS_RENDER_H

#include "buf.h"
#include "model.h"

/* CREATE TABLE for `t` (no trailing ';'), with its constraints; no indexes. */
int dbs_render_create_table(dbs_buf *out, dbsync_dialect d, const dbs_table *t);
/* CREATE [UNIQUE] INDEX for index `ix` of table `t` (no trailing ';'). */
int dbs_render_create_index(dbs_buf *out, dbsync_dialect d, const dbs_table *t, const dbs_index *ix);
/* A dialect's SQL template (dialect.h) with each %s in turn replaced by the
 * next of `names` (n of them) quoted as an identifier; no other conversion. */
int dbs_render_template(dbs_buf *out, dbsync_dialect d, const char *tmpl, const char *const *names, size_t n);
/* "a", "b": the names of `v` quoted as identifiers, comma-separated, no parentheses. */
void dbs_render_names(dbs_buf *out, dbsync_dialect d, const dbs_str_vec *v);
/* A charset, collation, index method or operator class: bare when a plain word, quoted otherwise. */
void dbs_render_word(dbs_buf *out, dbsync_dialect d, const char *w);
/* One column definition as in CREATE TABLE / ADD COLUMN: "name" type NOT NULL ... */
int dbs_render_column_def(dbs_buf *out, dbsync_dialect d, const dbs_table *t, const dbs_column *c);
/* True when canonical expression `e` is a bare literal (number, string, blob,
 * NULL, TRUE, FALSE; CURRENT_* too when allow_current), i.e. a constant that
 * SQLite's ALTER TABLE ADD COLUMN accepts as a default and that needs no
 * parentheses after DEFAULT. */
bool dbs_expr_is_literal(const char *e, bool allow_current);

/* An exclusion constraint's body as the DDL writes it: "EXCLUDE [USING
 * method] (part WITH op, ...) [INCLUDE (...)] [WITH (...)] [WHERE (...)]".
 * Only a dialect whose parser reads EXCLUDE (dialect.h: table_constraint)
 * puts one in a schema; what it writes of the clauses is the index body's. */
int dbs_render_exclude(dbs_buf *out, dbsync_dialect d, const dbs_index *ex);

#endif
