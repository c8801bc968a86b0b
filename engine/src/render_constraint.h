/*
 * One table constraint as ALTER TABLE ... ADD and CREATE TABLE's table-level
 * list take it ("CONSTRAINT "n" UNIQUE ("a")"), for the planners of every
 * dialect and for render.c. What a dialect writes or leaves out (a primary
 * key's name, DEFERRABLE, NULLS NOT DISTINCT, NO INHERIT, MATCH FULL, a key's
 * COMMENT) comes from its data table (dialect.h: pk_unnamed, fk_deferrable,
 * keys_deferrable, unique_nulls_distinct, no_inherit, match_enforced,
 * comments_inline).
 */
#ifndef DBS_RENDER_CONSTRAINT_H
#define DBS_RENDER_CONSTRAINT_H

#include "buf.h"
#include "model.h"

int dbs_render_constraint(dbs_buf *out, dbsync_dialect d, const dbs_constraint *k);
/* A foreign key's " REFERENCES t (c) [MATCH FULL] [ON DELETE ..] [ON UPDATE
 * ..] [DEFERRABLE ..]", leading space included: the tail of the table-level
 * form above and the whole of the column-level one (render.c). */
void dbs_render_references(dbs_buf *out, dbsync_dialect d, const dbs_constraint *k);

#endif
