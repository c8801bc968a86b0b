/*
 * What the Django app asks the engine instead of deciding from the vendor's
 * name: whether DDL autocommits, how backups are made, and when two table
 * names are one table on this server. Each answer comes from the engine's
 * tables for the connection's dialect (dbsync/conn.h).
 */
#include <string.h>

#include "_engine.h"

/* The connection's dialect, or 0 with Error set when it is closed or busy. */
static dbsync_dialect dialect_of(ConnectionObject *self)
{
	dbsync_conn *conn = conn_get(self);
	return conn ? dbsync_conn_dialect(conn) : (dbsync_dialect)0;
}

PyObject *Connection_get_ddl_autocommits(ConnectionObject *self, void *Py_UNUSED(closure))
{
	dbsync_dialect d = dialect_of(self);
	return d ? PyBool_FromLong(dbsync_dialect_ddl_autocommits(d)) : NULL;
}

static PyObject *str_or_none(const char *s)
{
	return s ? text(s) : Py_NewRef(Py_None);
}

PyObject *Connection_get_backup_tool(ConnectionObject *self, void *Py_UNUSED(closure))
{
	dbsync_dialect d = dialect_of(self);
	return d ? str_or_none(dbsync_backup_tool(d)) : NULL;
}

PyObject *Connection_get_backup_engine_method(ConnectionObject *self, void *Py_UNUSED(closure))
{
	dbsync_dialect d = dialect_of(self);
	return d ? str_or_none(dbsync_backup_engine_method(d)) : NULL;
}

PyObject *Connection_get_backup_suffix(ConnectionObject *self, void *Py_UNUSED(closure))
{
	dbsync_dialect d = dialect_of(self);
	return d ? str_or_none(dbsync_backup_suffix(d)) : NULL;
}

PyObject *Connection_get_namespace_word(ConnectionObject *self, void *Py_UNUSED(closure))
{
	dbsync_dialect d = dialect_of(self);
	return d ? str_or_none(dbsync_dialect_namespace_word(d)) : NULL;
}

PyObject *Connection_table_key(ConnectionObject *self, PyObject *arg)
{
	const char *name = cstring_arg(arg, "name");
	dbsync_conn *conn = name ? conn_get(self) : NULL;
	if (!conn)
		return NULL;
	size_t len = strlen(name);
	char *key = PyMem_Malloc(len + 1);
	if (!key)
		return PyErr_NoMemory();
	dbsync_conn_table_key(conn, name, key);
	PyObject *result = text(key);
	PyMem_Free(key);
	return result;
}
