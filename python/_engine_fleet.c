/*
 * Fleets: Connection.namespaces(), Connection.plan_fleet() and the Fleet type
 * (its members, catalog queries, report and apply). A Fleet owns its engine
 * fleet and the desired schema the fleet borrows; the Plan objects of its
 * members borrow from it and keep it alive (PlanObject.owner). Fleet.apply
 * runs without the GIL over several connections; the engine's threads take
 * the GIL back only for the progress callback.
 */
#include <string.h>

#include "_engine.h"

PyTypeObject *FleetType;
/* Fleet.members items: (name, state, plan, error), a struct sequence. */
static PyTypeObject *MemberType;

static PyStructSequence_Field member_fields[] = {
	{ "name", "the schema or database" },
	{ "state", "'in_sync', 'changed', 'refused', 'failed' or 'not_run'" },
	{ "plan", "its Plan (statuses as applied after Fleet.apply), or None when it was not planned" },
	{ "error", "an Error instance (not raised) when it failed, else None" },
	{ NULL, NULL }
};

static PyStructSequence_Desc member_desc = {
	"django_dbsync._engine.FleetMember",
	"One member of a Fleet: (name, state, plan, error).",
	member_fields,
	4,
};

int fleet_busy(PyObject *fleet)
{
	return ((FleetObject *)fleet)->busy;
}

dbsync_plan *fleet_member_plan(PyObject *fleet, size_t member)
{
	/* the member plans are the engine's to change while applying; this object
	 * hands them out only while no apply runs (fleet_busy) */
	return (dbsync_plan *)dbsync_fleet_member_plan(((FleetObject *)fleet)->fleet, member);
}

static int fleet_ready(FleetObject *self)
{
	if (self->busy) {
		raise_invalid("the fleet is being applied by another thread");
		return 0;
	}
	return 1;
}

/* ---------- Connection.namespaces / plan_fleet ---------- */

PyObject *Connection_namespaces(ConnectionObject *self, PyObject *args, PyObject *kwds)
{
	static char *kwlist[] = { "patterns", NULL };
	PyObject *patterns_obj = Py_None;
	if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:namespaces", kwlist, &patterns_obj))
		return NULL;
	str_array patterns;
	if (str_array_from(&patterns, patterns_obj, "patterns") < 0)
		return NULL;
	engine_call c;
	PyObject *list = NULL;
	char **names = NULL;
	size_t n = 0;
	if (call_begin(&c, self)) {
		WITHOUT_GIL(self->busy,
			c.rc = dbsync_conn_namespaces(&names, &n, c.ctx, c.conn, patterns.items, patterns.n));
		if (call_end(&c) && (list = PyList_New((Py_ssize_t)n))) {
			for (size_t i = 0; i < n; i++) {
				PyObject *name = text(names[i]);
				if (!name || PyList_SetItem(list, (Py_ssize_t)i, name) < 0) {  /* steals name */
					Py_CLEAR(list);
					break;
				}
			}
		}
	}
	dbsync_names_free(names, n);
	str_array_clear(&patterns);
	return list;
}

PyObject *Connection_plan_fleet(ConnectionObject *self, PyObject *args, PyObject *kwds)
{
	plan_args a;
	PyObject *members_obj = NULL;
	str_array members = { 0 };
	FleetObject *f = NULL;
	if (plan_args_parse(&a, args, kwds, "plan_fleet", "members", &members_obj) < 0 ||
	    str_array_from(&members, members_obj, "members") < 0)
		goto cleanup;
	engine_call c;
	if (!call_begin(&c, self))
		goto cleanup;
	dbsync_schema *desired = NULL;
	dbsync_fleet *fleet = NULL;
	WITHOUT_GIL(self->busy,
		c.rc = dbsync_schema_parse(&desired, c.ctx, dbsync_conn_dialect(c.conn), a.desired_sql,
			(size_t)a.desired_len);
		if (c.rc == 0) c.rc = dbsync_fleet_plan(&fleet, c.ctx, c.conn, members.items, members.n,
			desired, &a.opts));
	f = call_end(&c) ? PyObject_New(FleetObject, FleetType) : NULL;
	if (!f) {
		dbsync_fleet_free(fleet);
		dbsync_schema_free(desired); /* only after the fleet that borrows it */
		goto cleanup;
	}
	f->fleet = fleet;
	f->desired = desired;
	f->connection = Py_NewRef((PyObject *)self);
	f->busy = 0;
cleanup:
	str_array_clear(&members);
	plan_args_clear(&a);
	return (PyObject *)f;
}

/* ---------- Fleet ---------- */

static void Fleet_dealloc(FleetObject *self)
{
	PyTypeObject *type = Py_TYPE(self);
	dbsync_fleet_free(self->fleet);
	dbsync_schema_free(self->desired); /* only after the fleet that borrows it */
	Py_XDECREF(self->connection);
	PyObject_Free(self);
	Py_DECREF(type);  /* instances of heap types hold their type */
}

/* A Plan object for member i's plan, borrowing it from the fleet. */
static PyObject *member_plan(FleetObject *self, size_t i)
{
	if (!dbsync_fleet_member_plan(self->fleet, i))
		Py_RETURN_NONE;
	PlanObject *p = PyObject_New(PlanObject, PlanType);
	if (!p)
		return NULL;
	p->plan = fleet_member_plan((PyObject *)self, i);
	p->desired = self->desired;
	p->connection = Py_NewRef(self->connection);
	p->busy = 0;
	p->owner = Py_NewRef((PyObject *)self);
	p->member = i;
	return (PyObject *)p;
}

static PyObject *member_item(FleetObject *self, size_t i)
{
	PyObject *item = PyStructSequence_New(MemberType);
	if (!item)
		return NULL;
	PyObject *values[4] = {
		text(dbsync_fleet_member(self->fleet, i)),
		text(dbsync_member_state_name(dbsync_fleet_member_state(self->fleet, i))),
		member_plan(self, i),
		error_object(dbsync_fleet_member_error(self->fleet, i)),
	};
	int ok = 1;
	for (int k = 0; k < 4; k++) {
		if (!values[k])
			ok = 0;
		else
			PyStructSequence_SetItem(item, k, values[k]);  /* steals values[k] */
	}
	if (!ok)
		Py_CLEAR(item);
	return item;
}

static PyObject *Fleet_get_members(FleetObject *self, void *Py_UNUSED(closure))
{
	if (!fleet_ready(self))
		return NULL;
	size_t n = dbsync_fleet_count(self->fleet);
	PyObject *list = PyList_New((Py_ssize_t)n);
	for (size_t i = 0; list && i < n; i++) {
		PyObject *item = member_item(self, i);
		if (!item || PyList_SetItem(list, (Py_ssize_t)i, item) < 0)  /* steals item */
			Py_CLEAR(list);
	}
	return list;
}

static PyObject *Fleet_get_catalog_queries(FleetObject *self, void *Py_UNUSED(closure))
{
	return PyLong_FromUnsignedLongLong(dbsync_fleet_catalog_queries(self->fleet));
}

static PyObject *Fleet_len_get(FleetObject *self, void *Py_UNUSED(closure))
{
	return PyLong_FromSize_t(dbsync_fleet_count(self->fleet));
}

static PyObject *Fleet_report_json(FleetObject *self, PyObject *args, PyObject *kwds)
{
	static char *kwlist[] = { "context_json", NULL };
	PyObject *context_obj = Py_None;
	if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:report_json", kwlist, &context_obj))
		return NULL;
	const char *context = NULL;
	if (context_obj != Py_None && !(context = cstring_arg(context_obj, "context_json")))
		return NULL;
	if (!fleet_ready(self))
		return NULL;
	/* the planning connection gives the server version, when it is idle */
	ConnectionObject *c = (ConnectionObject *)self->connection;
	dbsync_conn *conn = c->busy ? NULL : c->conn;
	dbsync_ctx *ctx = new_ctx();
	if (!ctx)
		return NULL;
	char *json = NULL;
	int rc = dbsync_fleet_report_json(&json, ctx, self->fleet, conn, context);
	PyObject *result = ctx_done(ctx, rc) ? text(json) : NULL;
	dbsync_free(json);
	return result;
}

/* The Python progress callback of Fleet.apply, called from the engine's
 * threads (one call at a time): each call takes the GIL. Its first exception
 * stops the fleet and is raised when apply returns. */
typedef struct {
	PyObject *callable;
	FleetObject *fleet;
	int failed;
	PyObject *exc_type, *exc, *exc_tb;  /* PyErr_Fetch's: 3.10's limited API */
} fleet_progress;

static int fleet_progress_trampoline(void *user, size_t done, size_t total, size_t member, int finished)
{
	fleet_progress *fp = user;
	PyGILState_STATE g = PyGILState_Ensure();
	int stop = fp->failed;
	if (!stop) {
		PyObject *r = PyObject_CallFunction(fp->callable, "nnsO", (Py_ssize_t)done, (Py_ssize_t)total,
			dbsync_fleet_member(fp->fleet->fleet, member), finished ? Py_True : Py_False);
		if (!r) {
			PyErr_Fetch(&fp->exc_type, &fp->exc, &fp->exc_tb);
			fp->failed = stop = 1;
		}
		Py_XDECREF(r);
	}
	PyGILState_Release(g);
	return stop;
}

/* The Connections of `obj` (a sequence) as engine connections, each open and
 * idle; *out is PyMem-allocated, `list` holds the objects. 0 or -1. */
static int conns_from(PyObject *obj, PyObject **list, dbsync_conn ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!(*list = PySequence_List(obj)))
		return -1;
	Py_ssize_t len = PyList_Size(*list);
	if (len < 1) {
		raise_invalid("Fleet.apply needs at least one connection");
		return -1;
	}
	if (!(*out = PyMem_Calloc((size_t)len, sizeof **out))) {
		PyErr_NoMemory();
		return -1;
	}
	for (Py_ssize_t i = 0; i < len; i++) {
		PyObject *item = PyList_GetItem(*list, i);
		if (!PyObject_TypeCheck(item, ConnectionType)) {
			raise_type("each connection", "a Connection", item);
			return -1;
		}
		if (!((*out)[i] = conn_get((ConnectionObject *)item)))
			return -1;
	}
	*n = (size_t)len;
	return 0;
}

static void conns_mark(PyObject *list, int busy)
{
	Py_ssize_t len = PyList_Size(list);
	for (Py_ssize_t i = 0; i < len; i++)
		((ConnectionObject *)PyList_GetItem(list, i))->busy = busy;
}

static PyObject *Fleet_apply(FleetObject *self, PyObject *args, PyObject *kwds)
{
	static char *kwlist[] = { "conns", "fail_fast", "progress", "verify", "max_retries",
		"retry_base_ms", "retry_max_ms", "lock_timeout_ms", NULL };
	dbsync_apply_options apply;
	dbsync_apply_options_init(&apply, DBSYNC_APPLY_OPTIONS_VERSION);
	dbsync_fleet_options opts;
	dbsync_fleet_options_init(&opts, DBSYNC_FLEET_OPTIONS_VERSION);
	PyObject *conns_obj, *progress = Py_None, *list = NULL, *result = NULL;
	fleet_progress fp = { NULL, self, 0, NULL, NULL, NULL };
	if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|$pOpiIII:apply", kwlist, &conns_obj, &opts.fail_fast,
			&progress, &apply.verify, &apply.max_retries, &apply.retry_base_ms, &apply.retry_max_ms,
			&apply.lock_timeout_ms))
		return NULL;
	if (apply.max_retries < 0)
		return raise_invalid("max_retries must be 0 or more");
	if (progress != Py_None) {
		if (!PyCallable_Check(progress)) {
			PyErr_SetString(PyExc_TypeError, "progress must be callable(done, total, member, finished)");
			return NULL;
		}
		fp.callable = progress;
		opts.progress = fleet_progress_trampoline;
		opts.progress_user = &fp;
	}
	opts.apply = &apply;
	if (!fleet_ready(self))
		return NULL;
	dbsync_conn **conns = NULL;
	size_t n_conns = 0;
	if (conns_from(conns_obj, &list, &conns, &n_conns) < 0)
		goto cleanup;
	dbsync_ctx *ctx = new_ctx();
	if (!ctx)
		goto cleanup;
	int rc;
	conns_mark(list, 1);
	WITHOUT_GIL(self->busy, rc = dbsync_fleet_apply(ctx, self->fleet, conns, n_conns, &opts));
	conns_mark(list, 0);
	if (fp.failed) {
		/* the callback's own exception says more than "stopped" */
		dbsync_ctx_free(ctx);
		PyErr_Restore(fp.exc_type, fp.exc, fp.exc_tb);
		goto cleanup;
	}
	/* members that failed are reported by their state and error, not raised:
	 * the others were applied. Anything else (a plan waiting for fills, a
	 * read-only connection) stopped the fleet before it began. */
	size_t failed = 0;
	for (size_t i = 0; i < dbsync_fleet_count(self->fleet); i++)
		failed += dbsync_fleet_member_state(self->fleet, i) == DBSYNC_MEMBER_FAILED;
	if (rc != 0 && failed == 0) {
		ctx_done(ctx, rc);
		goto cleanup;
	}
	dbsync_ctx_free(ctx);
	result = PyLong_FromSize_t(failed);
cleanup:
	PyMem_Free(conns);
	Py_XDECREF(list);
	return result;
}

static PyObject *Fleet_repr(FleetObject *self)
{
	if (self->busy)
		return PyUnicode_FromString("<_engine.Fleet being applied>");
	return PyUnicode_FromFormat("<_engine.Fleet %zu member(s)>", dbsync_fleet_count(self->fleet));
}

static PyMethodDef Fleet_methods[] = {
	{ "report_json", (PyCFunction)(void (*)(void))Fleet_report_json, METH_VARARGS | METH_KEYWORDS,
	  "report_json(context_json=None)\n--\n\nThe JSON report of the fleet: a run's report with its members\n"
	  "(name, state, error, operations) and counts per state (docs/report.schema.json)." },
	{ "apply", (PyCFunction)(void (*)(void))Fleet_apply, METH_VARARGS | METH_KEYWORDS,
	  "apply(conns, *, fail_fast=False, progress=None, verify=True, max_retries=0,\n"
	  "      retry_base_ms=200, retry_max_ms=5000, lock_timeout_ms=5000)\n--\n\n"
	  "Apply every member's pending operations, len(conns) members at once (one\n"
	  "thread per connection, each member in its own transaction under its own\n"
	  "lock). A failing member is 'failed' with its error and the others go on\n"
	  "unless fail_fast. progress(done, total, member_name, finished) is called as\n"
	  "each member starts and ends; an exception in it stops the fleet and is\n"
	  "raised. Returns the number of failed members." },
	{ NULL, NULL, 0, NULL }
};

static PyGetSetDef Fleet_getset[] = {
	{ "members", (getter)Fleet_get_members, NULL,
	  "the members in the order given, as (name, state, plan, error) FleetMember tuples", NULL },
	{ "catalog_queries", (getter)Fleet_get_catalog_queries, NULL,
	  "the catalog queries plan_fleet made for the whole fleet", NULL },
	{ "count", (getter)Fleet_len_get, NULL, "the number of members", NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};

static PyType_Slot Fleet_slots[] = {
	{ Py_tp_dealloc, (void *)Fleet_dealloc },
	{ Py_tp_repr, (void *)Fleet_repr },
	{ Py_tp_doc, (void *)"One plan per member namespace, made by Connection.plan_fleet()." },
	{ Py_tp_methods, Fleet_methods },
	{ Py_tp_getset, Fleet_getset },
	{ 0, NULL }
};

static PyType_Spec Fleet_spec = {
	.name = "django_dbsync._engine.Fleet",
	.basicsize = sizeof(FleetObject),
	.flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION,
	.slots = Fleet_slots,
};

int fleet_types_init(PyObject *module)
{
	if (!FleetType && !(FleetType = (PyTypeObject *)PyType_FromSpec(&Fleet_spec)))
		return -1;
	if (!MemberType && !(MemberType = PyStructSequence_NewType(&member_desc)))
		return -1;
	if (PyModule_AddObjectRef(module, "Fleet", (PyObject *)FleetType) < 0 ||
	    PyModule_AddObjectRef(module, "FleetMember", (PyObject *)MemberType) < 0)
		return -1;
	return 0;
}
