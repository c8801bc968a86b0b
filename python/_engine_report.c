/*
 * Reports: Plan.report_json(), and the module functions report_json() (a run
 * without a plan) and report_html(). Pure text work, no database round trip,
 * so the GIL is kept.
 */
#include "_engine.h"

/* The plan's connection when it is open and idle, else NULL: a report of a
 * closed connection still has everything but the server version. */
static dbsync_conn *idle_conn(PyObject *connection)
{
	if (!connection || !PyObject_TypeCheck(connection, ConnectionType))
		return NULL;
	ConnectionObject *c = (ConnectionObject *)connection;
	return c->busy ? NULL : c->conn;
}

static PyObject *report(const dbsync_plan *plan, dbsync_conn *conn, PyObject *context_obj)
{
	const char *context = NULL;
	if (context_obj && context_obj != Py_None && !(context = cstring_arg(context_obj, "context_json")))
		return NULL;
	dbsync_ctx *ctx = new_ctx();
	if (!ctx)
		return NULL;
	char *json = NULL;
	int rc = dbsync_report_json(&json, ctx, plan, conn, context);
	PyObject *result = ctx_done(ctx, rc) ? text(json) : NULL;
	dbsync_free(json);
	return result;
}

PyObject *Plan_report_json(PlanObject *self, PyObject *args, PyObject *kwds)
{
	static char *kwlist[] = { "context_json", NULL };
	PyObject *context_obj = Py_None;
	if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:report_json", kwlist, &context_obj))
		return NULL;
	if (!plan_ready(self))
		return NULL;
	return report(self->plan, idle_conn(self->connection), context_obj);
}

PyObject *mod_report_json(PyObject *module, PyObject *args, PyObject *kwds)
{
	static char *kwlist[] = { "context_json", "connection", NULL };
	PyObject *context_obj = Py_None, *connection = Py_None;
	(void)module;
	if (!PyArg_ParseTupleAndKeywords(args, kwds, "|OO:report_json", kwlist, &context_obj, &connection))
		return NULL;
	if (connection != Py_None && !PyObject_TypeCheck(connection, ConnectionType))
		return raise_type("connection", "a Connection or None", connection);
	return report(NULL, connection == Py_None ? NULL : idle_conn(connection), context_obj);
}

PyObject *mod_report_html(PyObject *module, PyObject *arg)
{
	(void)module;
	const char *json = cstring_arg(arg, "report_json");
	dbsync_ctx *ctx = json ? new_ctx() : NULL;
	if (!ctx)
		return NULL;
	char *page = NULL;
	int rc = dbsync_report_html(&page, ctx, json);
	PyObject *result = ctx_done(ctx, rc) ? text(page) : NULL;
	dbsync_free(page);
	return result;
}
