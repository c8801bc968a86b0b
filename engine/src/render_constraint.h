/*
 * One table constraint as ALTER TABLE ... ADD takes it, for the planners of
 * every dialect that adds constraints by name ("CONSTRAINT "n" UNIQUE
 * ("a")"). What a dialect writes or leaves out (a primary key's name,
 * DEFERRABLE, NULLS NOT DISTINCT, NO INHERIT, MATCH FULL, a key's COMMENT)
 * comes from its data table (dialect.h: pk_unnamed, fk_deferrable,
 * keys_deferrable, unique_nulls_distinct, no_inherit, match_enforced,
 * comments_inline), as for CREATE TABLE (render.c).
 */
#ifndef DBS_RENDER_CONSTRAINT_H
#define DBS_RENDER_CONSTRAINT_H

#include "buf.h"
#include "model.h"

int dbs_render_constraint(dbs_buf *out, dbsync_dialect d, const dbs_constraint *k);

#endif
