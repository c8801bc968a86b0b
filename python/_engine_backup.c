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

/* The method named `name`; -1 with InvalidError for another name. */
static int method_arg(const char *name, dbsync_backup_method *out)
{
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (strcmp(methods[i].name, name) == 0) {
			*out = methods[i].method;
			return 0;
		}
	raise_invalid("method must be 'auto', 'engine' or 'tool'");
	return -1;
}

PyObject *Connection_backup(ConnectionObject *self, PyObject *args, PyObject *kwds)
{
	static char *kwlist[] = { "path", "method", "namespace", NULL };
	PyObject *path_obj;
	const char *method = "auto", *namespace = NULL;
	dbsync_backup_options opts;
	dbsync_backup_options_init(&opts, DBSYNC_BACKUP_OPTIONS_VERSION);
	if (!PyArg_ParseTupleAndKeywords(args, kwds, "O&|s$z:backup", kwlist, PyUnicode_FSConverter, &path_obj,
			&method, &namespace))
		return NULL;
	if (method_arg(method, &opts.method) < 0) {
		Py_DECREF(path_obj);
		return NULL;
	}
	const char *path = PyBytes_AsString(path_obj);
	dbsync_backup_method used = DBSYNC_BACKUP_AUTO;
	engine_call c;
	if (!call_begin(&c, self)) {
		Py_DECREF(path_obj);
		return NULL;
	}
	/* a fleet member: the engine syncs it while the backup is written */
	WITHOUT_GIL(self->busy, c.rc = namespace
		? dbsync_conn_backup_namespace(c.ctx, c.conn, namespace, path, &opts, &used)
		: dbsync_conn_backup(c.ctx, c.conn, path, &opts, &used));
	Py_DECREF(path_obj);
	return call_end(&c) ? PyUnicode_FromString(method_name(used)) : NULL;
}

PyObject *Connection_backup_per_member(ConnectionObject *self, PyObject *args, PyObject *kwds)
{
	static char *kwlist[] = { "method", NULL };
	const char *method = "auto";
	dbsync_backup_method m;
	if (!PyArg_ParseTupleAndKeywords(args, kwds, "|s:backup_per_member", kwlist, &method) ||
	    method_arg(method, &m) < 0)
		return NULL;
	dbsync_conn *conn = conn_get(self);
	return conn ? PyBool_FromLong(dbsync_backup_per_member(dbsync_conn_dialect(conn), m)) : NULL;
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
