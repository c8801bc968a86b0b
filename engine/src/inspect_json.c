/*
 * The inventory of a database and one table's details as JSON documents
 * (shapes in dbsync/inspect.h). Both start from the bulk introspection and
 * the dialect's view/size reader, so their cost in catalog queries is fixed;
 * only row counts (one per orphan, or the one table) come on top.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "options.h"
#include "dialect.h"
#include "render.h"
#include "inspect_internal.h"
#include "dbsync/inspect.h"

/* Whether live table names compare without regard to case: wherever the
 * server does not take `abcd` and `ABCD` for two tables. */
static bool names_fold_case(dbsync_conn *conn)
{
	return dbs_conn_name_case(conn) != DBS_NAMES_EXACT;
}

/* The rows of `table`: counted, or the catalog's estimate read with `in`
 * (DBS_INSP_ROWS), -1 where it has none. */
static int count_rows(int64_t *out, dbsync_ctx *ctx, dbsync_conn *conn, const char *table,
	const dbs_insp *in, int mode)
{
	if (mode == DBSYNC_COUNT_ESTIMATE) {
		*out = dbs_insp_rows(in, conn->dialect, table);
		return 0;
	}
	conn->catalog_queries++;
	return dbsync_conn_count_rows(out, ctx, conn, table);
}

/* Jansson returns -1 on OOM everywhere; one flag collects them. */
static void set(json_t *obj, const char *key, json_t *value, bool *oom)
{
	if (!value || json_object_set_new(obj, key, value))
		*oom = true;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* rows_method of a document: "count", or where the estimates came from. */
static json_t *rows_method(const dbs_insp *in, int mode)
{
	return mode == DBSYNC_COUNT_ESTIMATE ? str_or_null(in->rows_method) : json_string("count");
}

static json_t *size_or_null(int64_t n)
{
	return n >= 0 ? json_integer((json_int_t)n) : json_null();
}

static json_t *name_list(const dbs_str_vec *v)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < v->n; i++)
		if (json_array_append_new(a, json_string(v->items[i]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static int finish(char **out, dbsync_ctx *ctx, json_t *root, bool oom)
{
	if (!oom && root)
		*out = json_dumps(root, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(root);
	return *out ? 0 : dbs_error_oom(ctx);
}

static json_t *references(const dbs_table *t, dbsync_dialect d)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < t->constraints.n; i++) {
		const dbs_constraint *k = t->constraints.items[i];
		if (k->kind != DBS_CON_FOREIGN || !k->ref_table)
			continue;
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++) {
			const dbs_constraint *o = t->constraints.items[j];
			seen = o->kind == DBS_CON_FOREIGN && o->ref_table && dbs_name_eq(d, o->ref_table, k->ref_table);
		}
		if (!seen && json_array_append_new(a, json_string(k->ref_table))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* owned: the name is owned as it is; case_of: owned only in another letter case. */
static void ownership(const dbsync_inventory_options *o, const char *name, bool fold, bool *owned,
	const char **case_of)
{
	*owned = false;
	*case_of = NULL;
	for (size_t i = 0; i < o->n_owned && !*owned; i++) {
		const char *w = o->owned[i];
		if (!w)
			continue;
		if (strcmp(w, name) == 0 || (fold && dbs_ascii_ieq(w, name)))
			*owned = true;
		else if (!*case_of && dbs_ascii_ieq(w, name))
			*case_of = w;
	}
	if (*owned)
		*case_of = NULL;
}

static int inventory_tables(json_t *arr, dbsync_ctx *ctx, dbsync_conn *conn, const dbsync_schema *live,
	const dbs_insp *in, const dbsync_inventory_options *o)
{
	bool fold = names_fold_case(conn);
	bool oom = false;
	for (size_t i = 0; i < live->tables.n; i++) {
		const dbs_table *t = live->tables.items[i];
		bool owned;
		const char *case_of;
		ownership(o, t->name, fold, &owned, &case_of);
		bool orphan = !owned && !case_of;
		int64_t rows = -1, bytes = -1;
		json_t *rows_error = json_null();
		/* an estimate costs no query: every table gets one */
		bool estimated = o->rows == DBSYNC_COUNT_ESTIMATE;
		if (estimated)
			rows = dbs_insp_rows(in, live->dialect, t->name);
		if (orphan && o->sizes && !estimated) {
			/* a table the role may not read still belongs in the list */
			int rc = count_rows(&rows, ctx, conn, t->name, in, o->rows);
			if (rc == DBSYNC_EDB) {
				rows = -1;
				rows_error = json_string(dbsync_ctx_error(ctx)->message);
				dbsync_ctx_clear_error(ctx);
			} else if (rc) {
				return rc;
			}
		}
		if (orphan && o->sizes)
			bytes = dbs_insp_bytes(in, live->dialect, t->name);
		json_t *e = json_object();
		if (!e || json_array_append_new(arr, e)) {
			json_decref(rows_error);
			return dbs_error_oom(ctx);
		}
		set(e, "name", json_string(t->name), &oom);
		set(e, "owned", json_boolean(owned), &oom);
		set(e, "orphan", json_boolean(orphan), &oom);
		set(e, "case_of", str_or_null(case_of), &oom);
		set(e, "rows", size_or_null(rows), &oom);
		set(e, "rows_estimated", json_boolean(estimated), &oom);
		set(e, "rows_error", rows_error, &oom);
		set(e, "bytes", size_or_null(bytes), &oom);
		set(e, "columns", json_integer((json_int_t)t->columns.n), &oom);
		set(e, "references", references(t, live->dialect), &oom);
	}
	return oom ? dbs_error_oom(ctx) : 0;
}

static int inventory_views(json_t *arr, dbsync_ctx *ctx, const dbs_insp *in)
{
	bool oom = false;
	for (size_t i = 0; i < in->views.n; i++) {
		const dbs_insp_view *v = &in->views.items[i];
		json_t *e = json_object();
		if (!e || json_array_append_new(arr, e))
			return dbs_error_oom(ctx);
		set(e, "name", json_string(v->name), &oom);
		set(e, "columns", v->shape ? json_integer((json_int_t)v->shape->columns.n) : json_null(), &oom);
		set(e, "valid", json_boolean(v->valid), &oom);
		set(e, "error", str_or_null(v->error), &oom);
	}
	return oom ? dbs_error_oom(ctx) : 0;
}

int dbsync_conn_inventory(char **out_json, dbsync_ctx *ctx, dbsync_conn *conn,
	const dbsync_inventory_options *opts)
{
	dbsync_inventory_options current;
	dbsync_schema *live = NULL;
	dbs_insp in = { 0 };
	json_t *root = NULL, *tables = NULL, *views = NULL;
	bool oom = false;
	int rc;
	*out_json = NULL;
	if (!conn)
		return dbs_error(ctx, DBSYNC_EINVALID, "dbsync_conn_inventory needs a connection");
	if ((rc = dbs_inventory_options_read(&current, ctx, opts)))
		return rc;
	opts = &current;
	/* a version 1 caller always counted (its struct has no `rows`: the default) */
	current.rows = current.rows == DBSYNC_COUNT_ESTIMATE ? DBSYNC_COUNT_ESTIMATE : DBSYNC_COUNT_EXACT;
	unsigned what = (opts->views ? DBS_INSP_VIEWS : 0) | (opts->sizes ? DBS_INSP_SIZES : 0) |
		(opts->rows == DBSYNC_COUNT_ESTIMATE ? DBS_INSP_ROWS : 0);
	if ((rc = dbsync_conn_introspect(&live, ctx, conn)))
		goto cleanup;
	if ((rc = dbs_insp_read(&in, ctx, conn, live, what)))
		goto cleanup;
	root = json_object();
	tables = json_array();
	views = json_array();
	if (!root || !tables || !views) {
		rc = dbs_error_oom(ctx);
		goto cleanup;
	}
	if ((rc = inventory_tables(tables, ctx, conn, live, &in, opts)) ||
	    (rc = inventory_views(views, ctx, &in)))
		goto cleanup;
	set(root, "version", json_integer(1), &oom);
	set(root, "dialect", json_string(dbsync_dialect_name(conn->dialect)), &oom);
	set(root, "size_method", str_or_null(in.size_method), &oom);
	set(root, "rows_method", opts->sizes || opts->rows == DBSYNC_COUNT_ESTIMATE ? rows_method(&in, opts->rows)
		: json_null(), &oom);
	set(root, "database_bytes", size_or_null(in.database_bytes), &oom);
	set(root, "tables", tables, &oom);
	tables = NULL;
	set(root, "views", views, &oom);
	views = NULL;
	rc = finish(out_json, ctx, root, oom);
	root = NULL;
cleanup:
	json_decref(root);
	json_decref(tables);
	json_decref(views);
	dbs_insp_free(&in);
	dbsync_schema_free(live);
	return rc;
}

/* ---- one table ---- */

static json_t *column_json(const dbs_column *c)
{
	json_t *e = json_object();
	bool oom = !e;
	if (oom)
		return NULL;
	set(e, "name", json_string(c->name), &oom);
	set(e, "type", str_or_null(c->type), &oom);
	set(e, "null", json_boolean(!c->not_null), &oom);
	set(e, "default", str_or_null(c->default_expr), &oom);
	set(e, "generated", str_or_null(c->generated_expr), &oom);
	set(e, "autoincrement", json_boolean(c->autoincrement || c->identity), &oom);
	set(e, "on_update", str_or_null(c->on_update_expr), &oom);
	set(e, "collation", str_or_null(c->collation), &oom);
	set(e, "comment", str_or_null(c->comment), &oom);
	if (oom) {
		json_decref(e);
		return NULL;
	}
	return e;
}

static json_t *constraint_json(dbsync_dialect d, const dbs_constraint *k)
{
	json_t *e = json_object();
	bool oom = !e;
	if (oom)
		return NULL;
	set(e, "name", str_or_null(k->name), &oom);
	if (k->kind == DBS_CON_CHECK) {
		set(e, "expr", str_or_null(k->check_expr), &oom);
	} else if (k->kind == DBS_CON_EXCLUDE) {
		/* the definition as the DDL writes it: EXCLUDE USING gist (...) ... */
		dbs_buf b = DBS_BUF_INIT;
		if (k->exclude)
			dbs_render_exclude(&b, d, k->exclude);
		set(e, "definition", dbs_buf_ok(&b) ? json_string(dbs_buf_cstr(&b)) : NULL, &oom);
		dbs_buf_free(&b);
		set(e, "deferrable", json_boolean(k->deferrable), &oom);
	} else {
		set(e, "columns", name_list(&k->cols), &oom);
	}
	if (k->kind == DBS_CON_FOREIGN) {
		set(e, "ref_table", str_or_null(k->ref_table), &oom);
		set(e, "ref_columns", name_list(&k->ref_cols), &oom);
		set(e, "on_delete", json_string(k->on_delete ? k->on_delete : "NO ACTION"), &oom);
		set(e, "on_update", json_string(k->on_update ? k->on_update : "NO ACTION"), &oom);
	}
	if (k->kind == DBS_CON_UNIQUE)
		set(e, "nulls_distinct", json_boolean(!k->nulls_not_distinct), &oom);
	set(e, "comment", str_or_null(k->comment), &oom);
	if (oom) {
		json_decref(e);
		return NULL;
	}
	return e;
}

static json_t *index_json(const dbs_index *x)
{
	json_t *e = json_object(), *parts = json_array();
	bool oom = !e || !parts;
	for (size_t i = 0; !oom && i < x->parts.n; i++) {
		const dbs_index_part *p = &x->parts.items[i];
		json_t *pe = json_object();
		if (!pe || json_array_append_new(parts, pe)) {
			oom = true;
			break;
		}
		set(pe, "column", str_or_null(p->column), &oom);
		set(pe, "expr", str_or_null(p->expr), &oom);
		set(pe, "desc", json_boolean(p->desc), &oom);
		set(pe, "opclass", str_or_null(p->opclass), &oom);
		set(pe, "collation", str_or_null(p->collation), &oom);
	}
	if (oom) {
		json_decref(e);
		json_decref(parts);
		return NULL;
	}
	set(e, "name", str_or_null(x->name), &oom);
	set(e, "unique", json_boolean(x->unique), &oom);
	set(e, "parts", parts, &oom);
	set(e, "where", str_or_null(x->where_expr), &oom);
	set(e, "method", str_or_null(x->method), &oom);
	set(e, "include", name_list(&x->include), &oom);
	set(e, "options", str_or_null(x->options), &oom);
	set(e, "comment", str_or_null(x->comment), &oom);
	if (oom) {
		json_decref(e);
		return NULL;
	}
	return e;
}

static void table_details(json_t *root, dbsync_dialect d, const dbs_table *t, bool *oom)
{
	json_t *cols = json_array(), *uniques = json_array(), *checks = json_array();
	json_t *fks = json_array(), *idx = json_array(), *pk = json_null(), *excl = json_array();
	if (!cols || !uniques || !checks || !fks || !idx || !excl)
		*oom = true;
	for (size_t i = 0; !*oom && i < t->columns.n; i++)
		if (json_array_append_new(cols, column_json(t->columns.items[i])))
			*oom = true;
	for (size_t i = 0; !*oom && i < t->constraints.n; i++) {
		const dbs_constraint *k = t->constraints.items[i];
		if (k->kind == DBS_CON_PRIMARY) {
			json_decref(pk);
			if (!(pk = name_list(&k->cols)))
				*oom = true;
			continue;
		}
		json_t *target = k->kind == DBS_CON_UNIQUE ? uniques : k->kind == DBS_CON_CHECK ? checks
			: k->kind == DBS_CON_EXCLUDE ? excl : fks;
		if (json_array_append_new(target, constraint_json(d, k)))
			*oom = true;
	}
	for (size_t i = 0; !*oom && i < t->indexes.n; i++)
		if (json_array_append_new(idx, index_json(t->indexes.items[i])))
			*oom = true;
	set(root, "columns", cols, oom);
	set(root, "primary_key", pk, oom);
	set(root, "unique", uniques, oom);
	set(root, "checks", checks, oom);
	set(root, "indexes", idx, oom);
	set(root, "foreign_keys", fks, oom);
	set(root, "exclusions", excl, oom);
	set(root, "comment", str_or_null(t->comment), oom);
}

int dbsync_conn_table_json(char **out_json, dbsync_ctx *ctx, dbsync_conn *conn, const char *table)
{
	return dbsync_conn_table_json_opts(out_json, ctx, conn, table, NULL);
}

int dbsync_conn_table_json_opts(char **out_json, dbsync_ctx *ctx, dbsync_conn *conn, const char *table,
	const dbsync_table_options *opts)
{
	dbsync_table_options current;
	dbsync_schema *live = NULL;
	dbs_insp in = { 0 };
	json_t *root = NULL;
	bool oom = false;
	int rc;
	*out_json = NULL;
	if (!conn || !table)
		return dbs_error(ctx, DBSYNC_EINVALID, "dbsync_conn_table_json needs a connection and a table name");
	if ((rc = dbs_table_options_read(&current, ctx, opts)))
		return rc;
	opts = &current;
	int mode = opts->rows == DBSYNC_COUNT_ESTIMATE ? DBSYNC_COUNT_ESTIMATE : DBSYNC_COUNT_EXACT;
	unsigned rows_flag = mode == DBSYNC_COUNT_ESTIMATE ? DBS_INSP_ROWS : 0;
	if ((rc = dbsync_conn_introspect(&live, ctx, conn)))
		goto cleanup;
	dbs_table *t = dbs_schema_find_table(live, table);
	bool is_view = false;
	if (!t) {
		if ((rc = dbs_insp_read(&in, ctx, conn, live, DBS_INSP_VIEWS)))
			goto cleanup;
		const dbs_insp_view *v = dbs_insp_find_view(&in, conn->dialect, table);
		if (!v) {
			rc = dbs_error(ctx, DBSYNC_EINVALID, "table \"%s\" does not exist in %s", table,
				dbsync_conn_describe(conn));
			goto cleanup;
		}
		if (!v->valid) {
			rc = dbs_error(ctx, DBSYNC_EDB, "%s", v->error);
			goto cleanup;
		}
		t = v->shape;
		is_view = true;
	} else if ((rc = dbs_insp_read(&in, ctx, conn, live, DBS_INSP_SIZES | rows_flag))) {
		goto cleanup;
	}
	int64_t rows = -1;
	/* a view has no estimate: only running it tells */
	if ((!is_view || mode == DBSYNC_COUNT_EXACT) && (rc = count_rows(&rows, ctx, conn, t->name, &in, mode)))
		goto cleanup;
	if (!(root = json_object())) {
		rc = dbs_error_oom(ctx);
		goto cleanup;
	}
	set(root, "version", json_integer(1), &oom);
	set(root, "name", json_string(t->name), &oom);
	set(root, "kind", json_string(is_view ? "view" : "table"), &oom);
	set(root, "rows", size_or_null(rows), &oom);
	set(root, "rows_estimated", json_boolean(mode == DBSYNC_COUNT_ESTIMATE), &oom);
	set(root, "rows_method", is_view && mode == DBSYNC_COUNT_ESTIMATE ? json_null() : rows_method(&in, mode), &oom);
	set(root, "bytes", size_or_null(is_view ? -1 : dbs_insp_bytes(&in, conn->dialect, t->name)), &oom);
	set(root, "size_method", str_or_null(is_view ? NULL : in.size_method), &oom);
	table_details(root, conn->dialect, t, &oom);
	rc = finish(out_json, ctx, root, oom);
	root = NULL;
cleanup:
	json_decref(root);
	dbs_insp_free(&in);
	dbsync_schema_free(live);
	return rc;
}
