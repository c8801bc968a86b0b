/*
 * Connection methods of the inspect part: the inventory of tables and views,
 * one table's details, and Django model source. The engine returns JSON and
 * source text; they reach Python as str, and the Django side decodes them.
 */
#include "_engine.h"

PyObject *Connection_inventory(ConnectionObject *self, PyObject *args, PyObject *kwds)
{
	static char *kwlist[] = { "owned", "sizes", "views", "rows", NULL };
	dbsync_inventory_options opts;
	dbsync_inventory_options_init(&opts, DBSYNC_INVENTORY_OPTIONS_VERSION);
	PyObject *owned_obj = Py_None, *rows_obj = Py_True;
	if (!PyArg_ParseTupleAndKeywords(args, kwds, "|OppO:inventory", kwlist, &owned_obj, &opts.sizes,
			&opts.views, &rows_obj))
		return NULL;
	/* False would be "not counted": sizes=False says that already */
	if ((opts.rows = count_mode(rows_obj, "rows")) < 0)
		return NULL;
	if (opts.rows == DBSYNC_COUNT_OFF)
		opts.rows = DBSYNC_COUNT_EXACT;
	str_array owned = { 0 };
	PyObject *result = NULL;
	if (str_array_from(&owned, owned_obj, "owned") < 0)
		return NULL;
	opts.owned = owned.items;
	opts.n_owned = owned.n;
	engine_call c;
	if (call_begin(&c, self)) {
		char *json = NULL;
		WITHOUT_GIL(self->busy, c.rc = dbsync_conn_inventory(&json, c.ctx, c.conn, &opts));
		result = call_end(&c) ? text(json) : NULL;
		dbsync_free(json);
	}
	str_array_clear(&owned);
	return result;
}

PyObject *Connection_table_json(ConnectionObject *self, PyObject *args, PyObject *kwds)
{
	static char *kwlist[] = { "table", "rows", NULL };
	dbsync_table_options opts;
	dbsync_table_options_init(&opts, DBSYNC_TABLE_OPTIONS_VERSION);
	PyObject *table_obj, *rows_obj = Py_True;
	if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|O:table_json", kwlist, &table_obj, &rows_obj))
		return NULL;
	const char *table = cstring_arg(table_obj, "table");
	engine_call c;
	if (!table || (opts.rows = count_mode(rows_obj, "rows")) < 0 || !call_begin(&c, self))
		return NULL;
	if (opts.rows == DBSYNC_COUNT_OFF)
		opts.rows = DBSYNC_COUNT_EXACT;
	char *json = NULL;
	WITHOUT_GIL(self->busy, c.rc = dbsync_conn_table_json_opts(&json, c.ctx, c.conn, table, &opts));
	PyObject *result = call_end(&c) ? text(json) : NULL;
	dbsync_free(json);
	return result;
}

PyObject *Connection_models_source(ConnectionObject *self, PyObject *args, PyObject *kwds)
{
	static char *kwlist[] = { "tables", "known_models", "title", NULL };
	dbsync_models_options opts;
	dbsync_models_options_init(&opts, DBSYNC_MODELS_OPTIONS_VERSION);
	PyObject *tables_obj, *known_obj = Py_None, *title_obj = Py_None;
	if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|OO:models_source", kwlist, &tables_obj,
			&known_obj, &title_obj))
		return NULL;
	/* The engine reads known_models and title without the GIL: own references
	 * keep both strings alive whoever else holds the arguments. */
	PyObject *held = PyTuple_Pack(2, known_obj, title_obj);
	if (!held)
		return NULL;
	str_array tables = { 0 };
	PyObject *result = NULL;
	if ((known_obj != Py_None && !(opts.known_models_json = cstring_arg(known_obj, "known_models"))) ||
	    (title_obj != Py_None && !(opts.title = cstring_arg(title_obj, "title"))) ||
	    str_array_from(&tables, tables_obj, "tables") < 0) {
		Py_DECREF(held);
		return NULL;
	}
	opts.tables = tables.items;
	opts.n_tables = tables.n;
	engine_call c;
	if (call_begin(&c, self)) {
		char *src = NULL;
		WITHOUT_GIL(self->busy, c.rc = dbsync_conn_models_source(&src, c.ctx, c.conn, &opts));
		result = call_end(&c) ? text(src) : NULL;
		dbsync_free(src);
	}
	str_array_clear(&tables);
	Py_DECREF(held);
	return result;
}
