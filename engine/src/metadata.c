#include "metadata.h"
#include "model.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "dialect.h"

struct dbs_metadata {
	json_t *root;
	json_t *tables; /* borrowed from root; NULL when absent */
};


static json_t *object_get_loose(json_t *obj, const char *key)
{
	if (!json_is_object(obj) || !key)
		return NULL;
	json_t *v = json_object_get(obj, key);
	if (v)
		return v;
	const char *k;
	json_object_foreach(obj, k, v)
		if (dbs_ascii_ieq(k, key))
			return v;
	return NULL;
}

int dbs_metadata_parse(dbs_metadata **out, dbsync_ctx *ctx, const char *json)
{
	*out = calloc(1, sizeof **out);
	if (!*out)
		return dbs_error_oom(ctx);
	if (!json || !*json)
		return 0;
	json_error_t jerr;
	json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		dbs_metadata_free(*out);
		*out = NULL;
		/* a parse error carries line/column; the code says the argument was bad */
		dbs_error_parse(ctx, jerr.line, jerr.column,
			"metadata JSON is invalid at line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
		if (ctx)
			ctx->err.code = DBSYNC_EINVALID;
		return DBSYNC_EINVALID;
	}
	(*out)->root = root;
	json_t *tables = json_object_get(root, "tables");
	if (!json_is_object(root) || (tables && !json_is_object(tables))) {
		dbs_metadata_free(*out);
		*out = NULL;
		return dbs_error(ctx, DBSYNC_EINVALID,
			"metadata JSON must be an object whose \"tables\" is an object of tables");
	}
	(*out)->tables = tables;
	return 0;
}

void dbs_metadata_free(dbs_metadata *md)
{
	if (!md)
		return;
	json_decref(md->root);
	free(md);
}

static json_t *table_obj(const dbs_metadata *md, const char *table)
{
	return md ? object_get_loose(md->tables, table) : NULL;
}

static json_t *column_obj(const dbs_metadata *md, const char *table, const char *column)
{
	return object_get_loose(object_get_loose(table_obj(md, table), "columns"), column);
}

static const char *string_of(json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : NULL;
}

const char *dbs_metadata_model(const dbs_metadata *md, const char *table)
{
	return string_of(json_object_get(table_obj(md, table), "model"));
}

const char *dbs_metadata_field(const dbs_metadata *md, const char *table, const char *column)
{
	return string_of(json_object_get(column_obj(md, table, column), "field"));
}

const char *dbs_metadata_class(const dbs_metadata *md, const char *table, const char *column)
{
	return string_of(json_object_get(column_obj(md, table, column), "class"));
}

bool dbs_metadata_has_default(const dbs_metadata *md, const char *table, const char *column)
{
	return json_object_get(column_obj(md, table, column), "default") != NULL;
}

bool dbs_metadata_default_deferred(const dbs_metadata *md, const char *table, const char *column)
{
	json_t *col = column_obj(md, table, column);
	return json_is_true(json_object_get(col, "has_default")) && !json_object_get(col, "default");
}

int dbs_metadata_default_sql(dbs_buf *out, const dbs_metadata *md, dbsync_dialect d,
	const char *table, const char *column)
{
	json_t *v = json_object_get(column_obj(md, table, column), "default");
	if (!v)
		return 0;
	switch (json_typeof(v)) {
	case JSON_STRING:
		dbs_quote_literal(out, d, json_string_value(v));
		break;
	case JSON_INTEGER:
		dbs_buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		dbs_buf_printf(out, "%.17g", json_real_value(v));
		break;
	case JSON_TRUE:
		dbs_buf_puts(out, dbs_dialect_info_for(d)->literal_true);
		break;
	case JSON_FALSE:
		dbs_buf_puts(out, dbs_dialect_info_for(d)->literal_false);
		break;
	case JSON_NULL:
		dbs_buf_puts(out, "NULL");
		break;
	case JSON_OBJECT:
	case JSON_ARRAY: {
		/* JSONField stores the value as JSON text, as Django's json.dumps does */
		char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
		if (!text)
			return DBSYNC_ENOMEM;
		dbs_quote_literal(out, d, text);
		free(text);
		break;
	}
	}
	return dbs_buf_ok(out) ? 1 : DBSYNC_ENOMEM;
}

const char *dbs_metadata_field_label(dbs_buf *out, const dbs_metadata *md, const char *table,
	const char *column)
{
	dbs_buf_clear(out);
	const char *model = dbs_metadata_model(md, table);
	const char *field = dbs_metadata_field(md, table, column);
	const char *cls = dbs_metadata_class(md, table, column);
	if (!model && !field)
		return NULL;
	if (model)
		dbs_buf_puts(out, model);
	if (field)
		dbs_buf_printf(out, "%s%s", model ? "." : "", field);
	if (cls)
		dbs_buf_printf(out, ", %s", cls);
	return dbs_buf_ok(out) ? dbs_buf_cstr(out) : NULL;
}
