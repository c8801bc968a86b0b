/* Connection.backup() and Connection.restore(). */
#include "_engine.h"

static const struct {
	const char *name;
	dbsync_backup_method method;
} methods[] = {
	{ "auto", DBSYNC_BACKUP_AUTO }, { "engine", DBSYNC_BACKUP_ENGINE }, { "tool", DBSYNC_BACKUP_TOOL },
};

static const char *method_name(dbsync_backup_method m)
{
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (methods[i].method == m)
			return methods[i].name;
	return "unknown";
}

PyObject *Connection_backup(ConnectionObject *self, PyObject *args, PyObject *kwds)
{
	static char *kwlist[] = { "path", "method", NULL };
	PyObject *path_obj;
	const char *method = "auto";
	dbsync_backup_options opts;
	dbsync_backup_options_init(&opts, DBSYNC_BACKUP_OPTIONS_VERSION);
	if (!PyArg_ParseTupleAndKeywords(args, kwds, "O&|s:backup", kwlist, PyUnicode_FSConverter, &path_obj, &method))
		return NULL;
	size_t i = 0;
	for (; i < sizeof methods / sizeof methods[0]; i++)
		if (strcmp(methods[i].name, method) == 0)
			break;
	if (i == sizeof methods / sizeof methods[0]) {
		Py_DECREF(path_obj);
		return raise_invalid("method must be 'auto', 'engine' or 'tool'");
	}
	opts.method = methods[i].method;
	const char *path = PyBytes_AsString(path_obj);
	dbsync_backup_method used = DBSYNC_BACKUP_AUTO;
	engine_call c;
	if (!call_begin(&c, self)) {
		Py_DECREF(path_obj);
		return NULL;
	}
	WITHOUT_GIL(self->busy, c.rc = dbsync_conn_backup(c.ctx, c.conn, path, &opts, &used));
	Py_DECREF(path_obj);
	return call_end(&c) ? PyUnicode_FromString(method_name(used)) : NULL;
}

PyObject *Connection_restore(ConnectionObject *self, PyObject *arg)
{
	PyObject *path_obj = NULL;
	if (!PyUnicode_FSConverter(arg, &path_obj))
		return NULL;
	engine_call c;
	if (!call_begin(&c, self)) {
		Py_DECREF(path_obj);
		return NULL;
	}
	const char *path = PyBytes_AsString(path_obj);
	WITHOUT_GIL(self->busy, c.rc = dbsync_conn_restore(c.ctx, c.conn, path));
	Py_DECREF(path_obj);
	return call_end(&c) ? Py_NewRef(Py_None) : NULL;
}
