/*
 * The Django side's metadata record (format in dbsync/django.h): model labels,
 * field names and classes, and the defaults that fill existing rows (given, or
 * marked as computed by the caller only when applying).
 */
#ifndef DBS_METADATA_H
#define DBS_METADATA_H

#include <stdbool.h>

#include "buf.h"
#include "dbsync/common.h"

typedef struct dbs_metadata dbs_metadata;

/* Parse `json` (NULL or "" gives an empty record). Invalid JSON or a wrong shape
 * is DBSYNC_EINVALID with Jansson's line and column in the message and on the
 * error. */
int dbs_metadata_parse(dbs_metadata **out, dbsync_ctx *ctx, const char *json);
void dbs_metadata_free(dbs_metadata *md);

/* Lookups; tables and columns match exactly first, then ASCII case-insensitively.
 * Strings are borrowed from `md`; NULL when absent. */
const char *dbs_metadata_model(const dbs_metadata *md, const char *table);
const char *dbs_metadata_field(const dbs_metadata *md, const char *table, const char *column);
const char *dbs_metadata_class(const dbs_metadata *md, const char *table, const char *column);
bool dbs_metadata_has_default(const dbs_metadata *md, const char *table, const char *column);

/* The field has a default whose value the caller computes only when applying:
 * "has_default": true and no "default" (the plan lists it, dbsync_plan_fill). */
bool dbs_metadata_default_deferred(const dbs_metadata *md, const char *table, const char *column);

/* Append the column's default as a SQL literal of dialect `d`. Returns 1 when
 * written, 0 when the column has no default, DBSYNC_ENOMEM on OOM. */
int dbs_metadata_default_sql(dbs_buf *out, const dbs_metadata *md, dbsync_dialect d,
	const char *table, const char *column);

/* "app.Model.field, FieldClass" for messages, or NULL when nothing is known;
 * written to `out` (cleared first). */
const char *dbs_metadata_field_label(dbs_buf *out, const dbs_metadata *md, const char *table,
	const char *column);

#endif
