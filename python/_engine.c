/*
 * django_dbsync._engine: the CPython face of libdbsync.
 *
 * Thin on purpose: it converts Python objects to engine arguments and engine
 * results back to Python objects, and nothing else. Every engine call that may
 * touch a database runs with the GIL released. Each call gets its own
 * dbsync_ctx, so errors never leak between calls or threads.
 */
#include <string.h>

#include "_engine.h"

PyMODINIT_FUNC PyInit__engine(void);

/* Set once at module init, never changed afterwards. */
PyTypeObject *ConnectionType;
PyTypeObject *PlanType;

/* ---------- errors and conversions (the exception classes: _engine_errors.c) ---------- */

/*
 * Engine text as str. Names read from a database may hold bytes that are not
 * UTF-8 (SQLite stores what it is given); "replace" shows them instead of
 * failing the whole call.
 */
PyObject *text(const char *s)
{
	if (!s)
		s = "";
	return PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "replace");
}

int set_attr_int(PyObject *obj, const char *name, long value)
{
	PyObject *v = PyLong_FromLong(value);
	if (!v)
		return -1;
	int rc = PyObject_SetAttrString(obj, name, v);
	Py_DECREF(v);
	return rc;
}

int set_attr_str(PyObject *obj, const char *name, const char *value)
{
	PyObject *v = value ? text(value) : Py_NewRef(Py_None);
	if (!v)
		return -1;
	int rc = PyObject_SetAttrString(obj, name, v);
	Py_DECREF(v);
	return rc;
}

/* Raise the error recorded on ctx (or a generic one for rc); returns NULL. */
PyObject *raise_ctx(dbsync_ctx *ctx, int rc)
{
	const dbsync_error *e = ctx ? dbsync_ctx_error(ctx) : NULL;
	if (e && e->code)
		return raise_error(e->code, e->message, e->sqlstate, e->native_code, e->line, e->column);
	return raise_error(rc ? rc : DBSYNC_ERROR, NULL, NULL, 0, 0, 0);
}

/* Raise EINVALID for a misuse of the binding itself; returns NULL. */
PyObject *raise_invalid(const char *message)
{
	return raise_error(DBSYNC_EINVALID, message, NULL, 0, 0, 0);
}

/* Raise TypeError "<what> must be <expected>, not <obj's type>"; returns NULL.
 * (The limited API hides tp_name: the type's __name__ is asked for instead.) */
PyObject *raise_type(const char *what, const char *expected, PyObject *obj)
{
	PyObject *name = PyObject_GetAttrString((PyObject *)Py_TYPE(obj), "__name__");
	if (name) {
		PyErr_Format(PyExc_TypeError, "%s must be %s, not %.100U", what, expected, name);
		Py_DECREF(name);
	}
	return NULL;
}

dbsync_ctx *new_ctx(void)
{
	dbsync_ctx *ctx = NULL;
	if (dbsync_ctx_new(&ctx) != 0 || !ctx) {
		PyErr_NoMemory();
		return NULL;
	}
	return ctx;
}

/*
 * The end of every engine call: raise the error recorded on ctx unless rc is
 * 0, and free ctx. Returns whether the call succeeded, i.e. whether the caller
 * goes on to build its result.
 */
int ctx_done(dbsync_ctx *ctx, int rc)
{
	if (rc != 0)
		raise_ctx(ctx, rc);
	dbsync_ctx_free(ctx);
	return rc == 0;
}

/* UTF-8 of a str that must hold no NUL, because the engine takes C strings. */
const char *cstring_arg(PyObject *obj, const char *what)
{
	if (!PyUnicode_Check(obj)) {
		raise_type(what, "str", obj);
		return NULL;
	}
	Py_ssize_t len;
	const char *s = PyUnicode_AsUTF8AndSize(obj, &len);
	if (!s)
		return NULL;
	if ((size_t)len != strlen(s)) {
		PyErr_Format(PyExc_ValueError, "%s must not contain NUL characters", what);
		return NULL;
	}
	return s;
}

int str_array_from(str_array *out, PyObject *obj, const char *what)
{
	out->items = NULL;
	out->n = 0;
	if (obj == Py_None)
		return 0;
	if (PyUnicode_Check(obj)) {
		PyErr_Format(PyExc_TypeError, "%s must be a sequence of str, not a str", what);
		return -1;
	}
	/* A private list: the caller's object may change while we read it. */
	PyObject *list = PySequence_List(obj);
	if (!list) {
		if (PyErr_ExceptionMatches(PyExc_TypeError)) {
			PyErr_Clear();
			raise_type(what, "a sequence of str", obj);
		}
		return -1;
	}
	Py_ssize_t n = PyList_Size(list);
	const char **utf8 = PyMem_Calloc(n ? (size_t)n : 1, sizeof *utf8);
	size_t *lens = PyMem_Calloc(n ? (size_t)n : 1, sizeof *lens);
	size_t bytes = 0;
	int rc = -1;
	if (!utf8 || !lens) {
		PyErr_NoMemory();
		goto done;
	}
	for (Py_ssize_t i = 0; i < n; i++) {
		if (!(utf8[i] = cstring_arg(PyList_GetItem(list, i), what)))
			goto done;
		lens[i] = strlen(utf8[i]) + 1;
		bytes += lens[i];
	}
	/* One block the array owns: n pointers, then the strings they point to. */
	char *block = PyMem_Malloc(((size_t)n ? (size_t)n : 1) * sizeof(char *) + bytes);
	if (!block) {
		PyErr_NoMemory();
		goto done;
	}
	out->items = (const char **)(void *)block;
	char *dst = block + ((size_t)n ? (size_t)n : 1) * sizeof(char *);
	for (Py_ssize_t i = 0; i < n; i++) {
		memcpy(dst, utf8[i], lens[i]);
		out->items[i] = dst;
		dst += lens[i];
	}
	out->n = (size_t)n;
	rc = 0;
done:
	PyMem_Free(utf8);
	PyMem_Free(lens);
	Py_DECREF(list);
	return rc;
}

void str_array_clear(str_array *a)
{
	PyMem_Free((void *)a->items);
	a->items = NULL;
	a->n = 0;
}

/* ---------- Connection ---------- */

/* Whether the plan is free to use; if not, Error is set. */
int plan_ready(PlanObject *plan)
{
	if (plan->busy || (plan->owner && fleet_busy(plan->owner))) {
		raise_invalid("the plan is being applied by another thread");
		return 0;
	}
	if (plan->owner && !(plan->plan = fleet_member_plan(plan->owner, plan->member))) {
		raise_invalid("the fleet member has no plan");
		return 0;
	}
	return 1;
}

/* The connection if it is open and idle, else NULL with Error set. */
dbsync_conn *conn_get(ConnectionObject *self)
{
	if (!self->conn) {
		raise_invalid("the connection is closed");
		return NULL;
	}
	if (self->busy) {
		raise_invalid("the connection is in use by another thread");
		return NULL;
	}
	return self->conn;
}

/* A Connection owning conn; conn is closed if that fails. */
static PyObject *conn_wrap(PyTypeObject *type, dbsync_conn *conn)
{
	ConnectionObject *self = PyObject_New(ConnectionObject, type);
	if (!self) {
		dbsync_conn_close(conn);
		return NULL;
	}
	self->conn = conn;
	self->busy = 0;
	return (PyObject *)self;
}

/* The names of the schema's tables as a list of str. */
PyObject *table_name_list(const dbsync_schema *schema)
{
	size_t n = dbsync_schema_table_count(schema);
	PyObject *list = PyList_New((Py_ssize_t)n);
	for (size_t i = 0; list && i < n; i++) {
		PyObject *name = text(dbsync_schema_table_name(schema, i));
		if (!name || PyList_SetItem(list, (Py_ssize_t)i, name) < 0)  /* steals name */
			Py_CLEAR(list);
	}
	return list;
}

/* Whether the call may start; if not, an exception is set. */
int call_begin(engine_call *c, ConnectionObject *self)
{
	c->rc = 0;
	c->ctx = NULL;
	c->conn = conn_get(self);
	if (c->conn)
		c->ctx = new_ctx();
	return c->ctx != NULL;
}

/* Whether the call succeeded; if not, its error is raised. Frees its ctx. */
int call_end(engine_call *c)
{
	return ctx_done(c->ctx, c->rc);
}


/* The dialect the engine knows by `vendor` ("postgresql", "mariadb", ...);
 * InvalidError naming the vendor and the known dialects otherwise. The list
 * comes from the engine, so a new dialect needs no edit here. */
static int dialect_arg(const char *vendor, dbsync_dialect *out)
{
	if (dbsync_dialect_from_name(out, vendor) == 0)
		return 0;
	char known[160] = "";
	size_t len = 0;
	for (size_t i = 0; i < dbsync_dialect_count() && len < sizeof known; i++)
		len += (size_t)PyOS_snprintf(known + len, sizeof known - len, "%s%s", i ? ", " : "",
			dbsync_dialect_name(dbsync_dialect_at(i)));
	char msg[300];
	PyOS_snprintf(msg, sizeof msg, "unknown database vendor '%.60s' (libdbsync knows %s)", vendor, known);
	raise_invalid(msg);
	return -1;
}

static PyObject *Connection_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
	static char *kwlist[] = { "vendor", "params", NULL };
	const char *vendor;
	PyObject *params;
	PyObject *items = NULL;
	const char **keys = NULL, **values = NULL;
	dbsync_ctx *ctx = NULL;
	dbsync_conn *conn = NULL;
	PyObject *result = NULL;
	dbsync_dialect dialect;
	int rc;

	if (!PyArg_ParseTupleAndKeywords(args, kwds, "sO!:Connection", kwlist,
			&vendor, &PyDict_Type, &params))
		return NULL;
	if (dialect_arg(vendor, &dialect))
		return NULL;
	/* The list keeps every key and value alive while the GIL is released. */
	items = PyDict_Items(params);
	if (!items)
		goto cleanup;
	Py_ssize_t n = PyList_Size(items);
	keys = PyMem_Calloc((size_t)n + 1, sizeof *keys);
	values = PyMem_Calloc((size_t)n + 1, sizeof *values);
	if (!keys || !values) {
		PyErr_NoMemory();
		goto cleanup;
	}
	for (Py_ssize_t i = 0; i < n; i++) {
		PyObject *pair = PyList_GetItem(items, i);
		keys[i] = cstring_arg(PyTuple_GetItem(pair, 0), "a connection parameter name");
		if (!keys[i])
			goto cleanup;
		PyObject *v = PyTuple_GetItem(pair, 1);
		if (!PyUnicode_Check(v)) {
			char what[160];
			PyOS_snprintf(what, sizeof what, "connection parameter '%.100s'", keys[i]);
			raise_type(what, "str", v);
			goto cleanup;
		}
		values[i] = cstring_arg(v, "a connection parameter value");
		if (!values[i])
			goto cleanup;
	}
	if (!(ctx = new_ctx()))
		goto cleanup;
	Py_BEGIN_ALLOW_THREADS
	rc = dbsync_conn_open_params(&conn, ctx, dialect, keys, values, (size_t)n);
	Py_END_ALLOW_THREADS
	if (ctx_done(ctx, rc)) {
		result = conn_wrap(type, conn);
		conn = NULL;
	}
cleanup:
	dbsync_conn_close(conn);
	PyMem_Free(keys);
	PyMem_Free(values);
	Py_XDECREF(items);
	return result;
}

static void Connection_dealloc(ConnectionObject *self)
{
	PyTypeObject *type = Py_TYPE(self);
	dbsync_conn_close(self->conn);
	self->conn = NULL;
	PyObject_Free(self);
	Py_DECREF(type);  /* instances of heap types hold their type */
}

static PyObject *Connection_close(ConnectionObject *self, PyObject *Py_UNUSED(ignored))
{
	if (self->busy)
		return raise_invalid("the connection is in use by another thread");
	dbsync_conn *conn = self->conn;
	self->conn = NULL;
	if (conn) {
		Py_BEGIN_ALLOW_THREADS
		dbsync_conn_close(conn);
		Py_END_ALLOW_THREADS
	}
	Py_RETURN_NONE;
}

static PyObject *Connection_enter(ConnectionObject *self, PyObject *Py_UNUSED(ignored))
{
	return conn_get(self) ? Py_NewRef((PyObject *)self) : NULL;
}

static PyObject *Connection_exit(ConnectionObject *self, PyObject *Py_UNUSED(args))
{
	PyObject *r = Connection_close(self, NULL);
	if (!r)
		return NULL;
	Py_DECREF(r);
	Py_RETURN_FALSE;
}

static PyObject *Connection_introspect_sql(ConnectionObject *self, PyObject *Py_UNUSED(ignored))
{
	engine_call c;
	if (!call_begin(&c, self))
		return NULL;
	dbsync_schema *schema = NULL;
	char *sql = NULL;
	WITHOUT_GIL(self->busy,
		c.rc = dbsync_conn_introspect(&schema, c.ctx, c.conn);
		if (c.rc == 0) c.rc = dbsync_schema_to_sql(&sql, c.ctx, schema));
	PyObject *result = call_end(&c) ? text(sql) : NULL;
	dbsync_free(sql);
	dbsync_schema_free(schema);
	return result;
}

static PyObject *Connection_table_names(ConnectionObject *self, PyObject *Py_UNUSED(ignored))
{
	engine_call c;
	if (!call_begin(&c, self))
		return NULL;
	dbsync_schema *schema = NULL;
	WITHOUT_GIL(self->busy, c.rc = dbsync_conn_introspect(&schema, c.ctx, c.conn));
	PyObject *result = call_end(&c) ? table_name_list(schema) : NULL;
	dbsync_schema_free(schema);
	return result;
}

static PyObject *Connection_count_rows(ConnectionObject *self, PyObject *arg)
{
	const char *table = cstring_arg(arg, "table");
	engine_call c;
	if (!table || !call_begin(&c, self))
		return NULL;
	int64_t count = 0;
	WITHOUT_GIL(self->busy, c.rc = dbsync_conn_count_rows(&count, c.ctx, c.conn, table));
	return call_end(&c) ? PyLong_FromLongLong((long long)count) : NULL;
}

/* True (counted), False (not counted) or "estimate" (the catalog's estimate):
 * a dbsync_count_mode, or -1 with TypeError/ValueError set. */
int count_mode(PyObject *obj, const char *what)
{
	if (PyUnicode_Check(obj)) {
		if (PyUnicode_CompareWithASCIIString(obj, "estimate") == 0)
			return DBSYNC_COUNT_ESTIMATE;
		PyErr_Format(PyExc_ValueError, "%s must be True, False or 'estimate', not %R", what, obj);
		return -1;
	}
	int on = PyObject_IsTrue(obj);
	return on < 0 ? -1 : on ? DBSYNC_COUNT_EXACT : DBSYNC_COUNT_OFF;
}

int plan_args_parse(plan_args *a, PyObject *args, PyObject *kwds, const char *name, const char *extra,
	PyObject **extra_out)
{
	/* the keywords after desired_sql and metadata_json, as Connection.plan takes them */
#define PLAN_KEYWORDS "create_tables", "add_columns", "drop_columns", "alter_columns", "sync_indexes", \
	"auto_fix_table_case", "auto_rename_tables", "approved_renames", "drop_tables", "count_data_loss", \
	"drop_unmanaged", "keep_extra_indexes", NULL
	static char *plain[] = { "desired_sql", "metadata_json", PLAN_KEYWORDS };
	char *with_extra[] = { "desired_sql", "metadata_json", (char *)extra, PLAN_KEYWORDS };
#undef PLAN_KEYWORDS
	char format[64];
	PyOS_snprintf(format, sizeof format, "U|O%s$pppppppOOOpp:%s", extra ? "O" : "", name);
	memset(a, 0, sizeof *a);
	dbsync_plan_options_init(&a->opts, DBSYNC_PLAN_OPTIONS_VERSION);
	dbsync_plan_options *o = &a->opts;
	PyObject *desired_obj, *meta_obj = Py_None, *approved_obj = Py_None, *drop_obj = Py_None;
	PyObject *count_obj = Py_True, *extra_obj = NULL;
	int ok = extra
		? PyArg_ParseTupleAndKeywords(args, kwds, format, with_extra, &desired_obj, &meta_obj, &extra_obj,
			&o->create_tables, &o->add_columns, &o->drop_columns, &o->alter_columns, &o->sync_indexes,
			&o->auto_fix_table_case, &o->auto_rename_tables, &approved_obj, &drop_obj, &count_obj,
			&o->drop_unmanaged, &o->keep_extra_indexes)
		: PyArg_ParseTupleAndKeywords(args, kwds, format, plain, &desired_obj, &meta_obj,
			&o->create_tables, &o->add_columns, &o->drop_columns, &o->alter_columns, &o->sync_indexes,
			&o->auto_fix_table_case, &o->auto_rename_tables, &approved_obj, &drop_obj, &count_obj,
			&o->drop_unmanaged, &o->keep_extra_indexes);
	if (!ok)
		return -1;
	if (extra && !extra_obj) {
		PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s'", name, extra);
		return -1;
	}
	if (extra_out)
		*extra_out = extra_obj;
	if ((o->count_data_loss = count_mode(count_obj, "count_data_loss")) < 0)
		return -1;
	/* The engine reads desired_sql and metadata_json without the GIL: own
	 * references keep both strings alive whoever else holds the arguments. */
	if (!(a->held = PyTuple_Pack(2, desired_obj, meta_obj)))
		return -1;
	if (!(a->desired_sql = PyUnicode_AsUTF8AndSize(desired_obj, &a->desired_len)))
		return -1;
	if (meta_obj != Py_None && !(o->metadata_json = cstring_arg(meta_obj, "metadata_json")))
		return -1;
	if (str_array_from(&a->approved, approved_obj, "approved_renames") < 0 ||
	    str_array_from(&a->drops, drop_obj, "drop_tables") < 0)
		return -1;
	o->approved_renames = a->approved.items;
	o->n_approved_renames = a->approved.n;
	o->drop_tables = a->drops.items;
	o->n_drop_tables = a->drops.n;
	return 0;
}

void plan_args_clear(plan_args *a)
{
	str_array_clear(&a->approved);
	str_array_clear(&a->drops);
	Py_CLEAR(a->held);
}

static PyObject *Connection_plan(ConnectionObject *self, PyObject *args, PyObject *kwds)
{
	plan_args a;
	PlanObject *p = NULL;
	if (plan_args_parse(&a, args, kwds, "plan", NULL, NULL) < 0)
		goto cleanup;
	engine_call c;
	if (!call_begin(&c, self))
		goto cleanup;
	dbsync_schema *desired = NULL;
	dbsync_plan *plan = NULL;
	WITHOUT_GIL(self->busy,
		c.rc = dbsync_schema_parse(&desired, c.ctx, dbsync_conn_dialect(c.conn), a.desired_sql,
			(size_t)a.desired_len);
		if (c.rc == 0) c.rc = dbsync_plan_compute(&plan, c.ctx, c.conn, desired, &a.opts));
	p = call_end(&c) ? PyObject_New(PlanObject, PlanType) : NULL;
	if (!p) {
		dbsync_plan_free(plan);
		dbsync_schema_free(desired); /* only after the plan that borrows it */
		goto cleanup;
	}
	p->plan = plan;
	p->desired = desired;
	p->connection = Py_NewRef((PyObject *)self);
	p->busy = 0;
	p->owner = NULL;
	p->member = 0;
cleanup:
	plan_args_clear(&a);
	return (PyObject *)p;
}


/* A Python progress callback, called from inside the engine call: the GIL
 * is taken back for it. Its first exception cancels the apply and is kept
 * to be raised when the call returns. */
typedef struct {
	PyObject *callable;
	int failed;
	/* the exception as PyErr_Fetch gives it: the limited API of 3.10 has no
	 * PyErr_GetRaisedException */
	PyObject *exc_type, *exc, *exc_tb;
} py_progress;

static int progress_trampoline(void *user, size_t done, size_t total, const dbsync_op *op, int finished)
{
	py_progress *pp = user;
	if (pp->failed)
		return 1;
	PyGILState_STATE g = PyGILState_Ensure();
	int stop = 0;
	PyObject *d = op_to_dict(op);
	PyObject *r = d ? PyObject_CallFunction(pp->callable, "nnOO", (Py_ssize_t)done, (Py_ssize_t)total, d,
		finished ? Py_True : Py_False) : NULL;
	Py_XDECREF(d);
	if (!r) {
		PyErr_Fetch(&pp->exc_type, &pp->exc, &pp->exc_tb);
		pp->failed = 1;
		stop = 1;
	}
	Py_XDECREF(r);
	PyGILState_Release(g);
	return stop;
}

static PyObject *Connection_apply(ConnectionObject *self, PyObject *args, PyObject *kwds)
{
	static char *kwlist[] = { "plan", "verify", "max_retries", "retry_base_ms", "retry_max_ms",
		"lock_timeout_ms", "progress", NULL };
	dbsync_apply_options opts;
	dbsync_apply_options_init(&opts, DBSYNC_APPLY_OPTIONS_VERSION);
	PlanObject *p;
	PyObject *progress = Py_None;
	py_progress pp = { NULL, 0, NULL, NULL, NULL };
	if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!|p$iIIIO:apply", kwlist, PlanType, &p, &opts.verify,
			&opts.max_retries, &opts.retry_base_ms, &opts.retry_max_ms, &opts.lock_timeout_ms, &progress))
		return NULL;
	if (opts.max_retries < 0)
		return raise_invalid("max_retries must be 0 or more");
	if (progress != Py_None) {
		if (!PyCallable_Check(progress)) {
			PyErr_SetString(PyExc_TypeError, "progress must be callable(done, total, op, finished)");
			return NULL;
		}
		pp.callable = progress;
		opts.progress = progress_trampoline;
		opts.progress_user = &pp;
	}
	if (p->owner)
		return raise_invalid("this plan is a fleet member's: Fleet.apply applies it");
	if (p->connection != (PyObject *)self)
		return raise_invalid("the plan was computed on another connection; plan again on this one");
	if (!plan_ready(p))
		return NULL;
	engine_call c;
	if (!call_begin(&c, self))
		return NULL;
	p->busy = 1;
	WITHOUT_GIL(self->busy, c.rc = dbsync_plan_apply(c.ctx, c.conn, p->plan, &opts));
	p->busy = 0;
	int ok = call_end(&c);
	if (pp.failed) {
		/* the callback's own exception says more than "cancelled" */
		PyErr_Clear();
		PyErr_Restore(pp.exc_type, pp.exc, pp.exc_tb);
		return NULL;
	}
	return ok ? Py_NewRef(Py_None) : NULL;
}

static PyObject *Connection_get_describe(ConnectionObject *self, void *Py_UNUSED(closure))
{
	dbsync_conn *conn = conn_get(self);
	return conn ? text(dbsync_conn_describe(conn)) : NULL;
}

static PyObject *Connection_get_server_version(ConnectionObject *self, void *Py_UNUSED(closure))
{
	dbsync_conn *conn = conn_get(self);
	return conn ? text(dbsync_conn_server_version(conn)) : NULL;
}

static PyObject *Connection_get_vendor(ConnectionObject *self, void *Py_UNUSED(closure))
{
	dbsync_conn *conn = conn_get(self);
	return conn ? text(dbsync_dialect_name(dbsync_conn_dialect(conn))) : NULL;
}

static PyObject *Connection_get_catalog_queries(ConnectionObject *self, void *Py_UNUSED(closure))
{
	dbsync_conn *conn = conn_get(self);
	return conn ? PyLong_FromUnsignedLongLong(dbsync_conn_catalog_queries(conn)) : NULL;
}

static PyObject *Connection_get_closed(ConnectionObject *self, void *Py_UNUSED(closure))
{
	return PyBool_FromLong(self->conn == NULL);
}

static PyObject *Connection_repr(ConnectionObject *self)
{
	if (!self->conn)
		return PyUnicode_FromString("<_engine.Connection closed>");
	return PyUnicode_FromFormat("<_engine.Connection %s %s>",
		dbsync_dialect_name(dbsync_conn_dialect(self->conn)), dbsync_conn_describe(self->conn));
}

static PyMethodDef Connection_methods[] = {
	{ "close", (PyCFunction)Connection_close, METH_NOARGS,
	  "close()\n--\n\nClose the connection. Later calls raise Error." },
	{ "__enter__", (PyCFunction)Connection_enter, METH_NOARGS, NULL },
	{ "__exit__", (PyCFunction)Connection_exit, METH_VARARGS, NULL },
	{ "introspect_sql", (PyCFunction)Connection_introspect_sql, METH_NOARGS,
	  "introspect_sql()\n--\n\nThe live schema rendered as DDL." },
	{ "table_names", (PyCFunction)Connection_table_names, METH_NOARGS,
	  "table_names()\n--\n\nNames of the live tables." },
	{ "count_rows", (PyCFunction)Connection_count_rows, METH_O,
	  "count_rows(table)\n--\n\nNumber of rows in a table." },
	{ "plan", (PyCFunction)(void (*)(void))Connection_plan, METH_VARARGS | METH_KEYWORDS,
	  "plan(desired_sql, metadata_json=None, *, create_tables=True, add_columns=True,\n"
	  "     drop_columns=False, alter_columns=True, sync_indexes=True,\n"
	  "     auto_fix_table_case=True, auto_rename_tables=False, approved_renames=None,\n"
	  "     drop_tables=None, count_data_loss=True, drop_unmanaged=False,\n"
	  "     keep_extra_indexes=False)\n--\n\n"
	  "Parse desired_sql in this connection's dialect and plan the changes that\n"
	  "bring the database in line with it. count_data_loss='estimate' gives each\n"
	  "data-loss operation the catalog's row estimate (affected_estimated) instead\n"
	  "of counting, reading no table; whether a table is empty is then estimated\n"
	  "too, the counts of the values a change would break are not run, and the\n"
	  "operations they would have decided are marked 'unprobed'." },
	{ "apply", (PyCFunction)(void (*)(void))Connection_apply, METH_VARARGS | METH_KEYWORDS,
	  "apply(plan, verify=True, *, max_retries=0, retry_base_ms=200, retry_max_ms=5000,\n"
	  "      lock_timeout_ms=5000, progress=None)\n--\n\n"
	  "Apply the plan's pending operations in one transaction (step by step on MySQL),\n"
	  "retrying transient failures up to max_retries times with exponential backoff.\n"
	  "progress(done, total, op, finished) is called before and after each operation;\n"
	  "an exception in it stops the apply and is raised. Operation statuses, attempts,\n"
	  "timings and errors are updated whether it succeeds or not." },
	/* inspect: */
	{ "inventory", (PyCFunction)(void (*)(void))Connection_inventory, METH_VARARGS | METH_KEYWORDS,
	  "inventory(owned=None, sizes=True, views=True, rows=True)\n--\n\n"
	  "The database's tables (owned or orphaned, with rows and bytes of orphans)\n"
	  "and views (column count, validity) as a JSON str; owned lists table names\n"
	  "that are never orphans. rows='estimate': the catalog's estimates, no table read." },
	{ "table_json", (PyCFunction)(void (*)(void))Connection_table_json, METH_VARARGS | METH_KEYWORDS,
	  "table_json(name, rows=True)\n--\n\nOne table's columns, keys, indexes, comment, rows and size as a\n"
	  "JSON str. rows='estimate': the catalog's estimate of its rows, no table read." },
	{ "models_source", (PyCFunction)(void (*)(void))Connection_models_source, METH_VARARGS | METH_KEYWORDS,
	  "models_source(tables, known_models=None, title=None)\n--\n\n"
	  "Python source of unmanaged Django models for live tables and views;\n"
	  "known_models is a JSON str mapping other tables to 'app.Model'." },
	/* renames / dbcheck: */
	/* backup / retries: */
	{ "backup", (PyCFunction)(void (*)(void))Connection_backup, METH_VARARGS | METH_KEYWORDS,
	  "backup(path, method='auto', *, namespace=None)\n--\n\nWrite a backup of the database to path (a new file, mode 0600)\n"
	  "and return the method used: 'engine' (SQLite's online backup API, or the engine's\n"
	  "own SQL dump) or 'tool' (pg_dump / mysqldump). method: 'auto', 'engine' or 'tool'.\n"
	  "namespace: a fleet member (schema or database) to back up instead of the synced one." },
	{ "backup_per_member", (PyCFunction)(void (*)(void))Connection_backup_per_member,
	  METH_VARARGS | METH_KEYWORDS,
	  "backup_per_member(method='auto')\n--\n\nTrue when a backup written with method holds the synced\n"
	  "schema or database alone, so a fleet needs one per member (backup(namespace=...));\n"
	  "False when one backup holds every schema of the database." },
	{ "restore", (PyCFunction)Connection_restore, METH_O,
	  "restore(path)\n--\n\nRestore a backup written by backup() into this database, which must\n"
	  "hold no tables." },
	/* what the Django app asks: */
	{ "table_key", (PyCFunction)Connection_table_key, METH_O,
	  "table_key(name)\n--\n\nThe form in which this server compares table names: two names are one\n"
	  "table exactly when their keys are equal (the name itself on PostgreSQL, its ASCII\n"
	  "lower case on SQLite and on MySQL with lower_case_table_names 1 or 2)." },
	/* reports: */
	/* fleets: */
	{ "namespaces", (PyCFunction)(void (*)(void))Connection_namespaces, METH_VARARGS | METH_KEYWORDS,
	  "namespaces(patterns=())\n--\n\nThe names of the server's schemas (PostgreSQL) or databases (MySQL)\n"
	  "matching one of patterns (an exact name, a glob with * ? [, or 're:' and a POSIX\n"
	  "extended regular expression matched against the whole name), sorted; no\n"
	  "patterns: all of them. The server's own and the engine's shadows are left out." },
	{ "plan_fleet", (PyCFunction)(void (*)(void))Connection_plan_fleet, METH_VARARGS | METH_KEYWORDS,
	  "plan_fleet(desired_sql, metadata_json=None, members, *, <the keywords of plan()>)\n--\n\n"
	  "Plan desired_sql into each of members (names namespaces() lists) in one\n"
	  "catalog pass: a Fleet. A member that cannot be read or planned is 'failed'\n"
	  "with its error; the others are planned." },
	{ NULL, NULL, 0, NULL }
};

static PyGetSetDef Connection_getset[] = {
	{ "describe", (getter)Connection_get_describe, NULL, "the target, without any password", NULL },
	{ "server_version", (getter)Connection_get_server_version, NULL, "the server's version", NULL },
	{ "vendor", (getter)Connection_get_vendor, NULL, "sqlite, postgresql or mysql", NULL },
	{ "catalog_queries", (getter)Connection_get_catalog_queries, NULL,
	  "catalog round trips since the connection was opened", NULL },
	{ "closed", (getter)Connection_get_closed, NULL, "True after close()", NULL },
	{ "ddl_autocommits", (getter)Connection_get_ddl_autocommits, NULL,
	  "True when the server commits each DDL statement as it runs (a failed apply keeps "
	  "what ran before)", NULL },
	{ "backup_tool", (getter)Connection_get_backup_tool, NULL,
	  "the tool of backup(method='tool') as people know it, or None", NULL },
	{ "backup_engine_method", (getter)Connection_get_backup_engine_method, NULL,
	  "what backup(method='engine') is, in words", NULL },
	{ "backup_suffix", (getter)Connection_get_backup_suffix, NULL,
	  "the file name suffix of a backup ('.sqlite3', '.sql')", NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};

static PyType_Slot Connection_slots[] = {
	{ Py_tp_dealloc, (void *)Connection_dealloc },
	{ Py_tp_repr, (void *)Connection_repr },
	{ Py_tp_doc, (void *)"Connection(vendor, params)\n--\n\n"
		"A connection to one database. vendor is 'sqlite', 'postgresql' or 'mysql';\n"
		"params maps str to str: name, user, password, host, port and backend options." },
	{ Py_tp_methods, Connection_methods },
	{ Py_tp_getset, Connection_getset },
	{ Py_tp_new, (void *)Connection_new },
	{ 0, NULL }
};

static PyType_Spec Connection_spec = {
	.name = "django_dbsync._engine.Connection",
	.basicsize = sizeof(ConnectionObject),
	.flags = Py_TPFLAGS_DEFAULT,
	.slots = Connection_slots,
};

/* ---------- Plan ---------- */

static void Plan_dealloc(PlanObject *self)
{
	PyTypeObject *type = Py_TYPE(self);
	if (self->owner) {
		Py_DECREF(self->owner);  /* the fleet owns the plan and the desired schema */
	} else {
		dbsync_plan_free(self->plan);
		dbsync_schema_free(self->desired); /* only after the plan that borrows it */
	}
	Py_XDECREF(self->connection);
	PyObject_Free(self);
	Py_DECREF(type);  /* instances of heap types hold their type */
}

static int dict_set_str(PyObject *d, const char *key, const char *value)
{
	PyObject *v = value ? text(value) : Py_NewRef(Py_None);
	if (!v)
		return -1;
	int rc = PyDict_SetItemString(d, key, v);
	Py_DECREF(v);
	return rc;
}

/* Set d[key] = value, stealing value (NULL means the error is already set). */
static int dict_set_obj(PyObject *d, const char *key, PyObject *value)
{
	if (!value)
		return -1;
	int rc = PyDict_SetItemString(d, key, value);
	Py_DECREF(value);
	return rc;
}

PyObject *op_to_dict(const dbsync_op *op)
{
	PyObject *d = PyDict_New();
	if (!d)
		return NULL;
	if (dict_set_str(d, "kind", dbsync_op_kind_name(op->kind)) < 0 ||
	    dict_set_str(d, "risk", dbsync_risk_name(op->risk)) < 0 ||
	    dict_set_str(d, "status", dbsync_status_name(op->status)) < 0 ||
	    dict_set_str(d, "table", op->table) < 0 ||
	    dict_set_str(d, "object", op->object) < 0 ||
	    dict_set_str(d, "summary", op->summary) < 0 ||
	    dict_set_str(d, "detail", op->detail) < 0 ||
	    dict_set_str(d, "reason", op->reason) < 0)
		goto fail;
	PyObject *sql = PyList_New((Py_ssize_t)op->n_sql);
	if (!sql)
		goto fail;
	for (size_t i = 0; i < op->n_sql; i++) {
		PyObject *s = text(op->sql[i]);
		if (!s) {
			Py_DECREF(sql);
			goto fail;
		}
		if (PyList_SetItem(sql, (Py_ssize_t)i, s) < 0) {  /* steals s */
			Py_DECREF(sql);
			goto fail;
		}
	}
	int rc = PyDict_SetItemString(d, "sql", sql);
	Py_DECREF(sql);
	if (rc < 0)
		goto fail;
	if (dict_set_obj(d, "affected", op->affected >= 0 ? PyLong_FromLongLong(op->affected)
			: Py_NewRef(Py_None)) < 0 ||
	    dict_set_obj(d, "affected_estimated", PyBool_FromLong(op->affected >= 0 && op->affected_estimated)) < 0 ||
	    dict_set_obj(d, "unprobed", PyBool_FromLong(op->unprobed)) < 0 ||
	    dict_set_obj(d, "attempts", PyLong_FromLong(op->attempts)) < 0 ||
	    dict_set_obj(d, "elapsed_ms", PyFloat_FromDouble(op->elapsed_ms)) < 0 ||
	    dict_set_str(d, "error", op->error) < 0 ||
	    dict_set_str(d, "error_sqlstate", op->error_sqlstate[0] ? op->error_sqlstate : NULL) < 0 ||
	    dict_set_obj(d, "error_native", PyLong_FromLong(op->error_native)) < 0 ||
	    dict_set_obj(d, "case_fix", PyBool_FromLong(op->case_fix)) < 0)
		goto fail;
	return d;
fail:
	Py_DECREF(d);
	return NULL;
}

static PyObject *Plan_get_ops(PlanObject *self, void *Py_UNUSED(closure))
{
	if (!plan_ready(self))
		return NULL;
	size_t n = dbsync_plan_op_count(self->plan);
	PyObject *list = PyList_New((Py_ssize_t)n);
	if (!list)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const dbsync_op *op = dbsync_plan_op(self->plan, i);
		PyObject *d = op ? op_to_dict(op) : NULL;
		if (!d) {
			Py_DECREF(list);
			return op ? NULL : raise_error(DBSYNC_ERROR, "plan operation out of range", NULL, 0, 0, 0);
		}
		if (PyList_SetItem(list, (Py_ssize_t)i, d) < 0) {  /* steals d */
			Py_DECREF(list);
			return NULL;
		}
	}
	return list;
}

/* fills: the defaults the plan waits for, as dicts: table, column, model, field */
static PyObject *Plan_get_fills(PlanObject *self, void *Py_UNUSED(closure))
{
	if (!plan_ready(self))
		return NULL;
	size_t n = dbsync_plan_fill_count(self->plan);
	PyObject *list = PyList_New((Py_ssize_t)n);
	if (!list)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const dbsync_fill *f = dbsync_plan_fill(self->plan, i);
		PyObject *d = f ? Py_BuildValue("{s:s,s:s,s:z,s:z}", "table", f->table, "column", f->column,
			"model", f->model, "field", f->field) : NULL;
		if (!d) {
			Py_DECREF(list);
			return f ? NULL : raise_error(DBSYNC_ERROR, "plan fill out of range", NULL, 0, 0, 0);
		}
		if (PyList_SetItem(list, (Py_ssize_t)i, d)) { /* steals d */
			Py_DECREF(list);
			return NULL;
		}
	}
	return list;
}

/* What no model could declare (docs/unmanaged.md), as dicts: kind, table,
 * object, detail, dropped. */
static PyObject *Plan_get_unmanaged(PlanObject *self, void *Py_UNUSED(closure))
{
	if (!plan_ready(self))
		return NULL;
	size_t n = dbsync_plan_unmanaged_count(self->plan);
	PyObject *list = PyList_New((Py_ssize_t)n);
	if (!list)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const dbsync_unmanaged *u = dbsync_plan_unmanaged(self->plan, i);
		PyObject *d = PyDict_New();
		if (!d || dict_set_str(d, "kind", dbsync_unmanaged_kind_name(u->kind)) < 0 ||
		    dict_set_str(d, "table", u->table) < 0 || dict_set_str(d, "object", u->object) < 0 ||
		    dict_set_str(d, "detail", u->detail) < 0 ||
		    dict_set_obj(d, "dropped", PyBool_FromLong(u->dropped)) < 0) {
			Py_XDECREF(d);
			Py_DECREF(list);
			return NULL;
		}
		if (PyList_SetItem(list, (Py_ssize_t)i, d) < 0) { /* steals d; the limited API has no PyList_SET_ITEM */
			Py_DECREF(list);
			return NULL;
		}
	}
	return list;
}

static PyObject *Plan_get_pending_count(PlanObject *self, void *Py_UNUSED(closure))
{
	if (!plan_ready(self))
		return NULL;
	return PyLong_FromSize_t(dbsync_plan_pending_count(self->plan));
}

static PyObject *Plan_script(PlanObject *self, PyObject *Py_UNUSED(ignored))
{
	dbsync_ctx *ctx = plan_ready(self) ? new_ctx() : NULL;
	if (!ctx)
		return NULL;
	char *script = NULL;
	int rc = dbsync_plan_script(&script, ctx, self->plan);
	PyObject *result = ctx_done(ctx, rc) ? text(script) : NULL;
	dbsync_free(script);
	return result;
}

static PyObject *Plan_repr(PlanObject *self)
{
	/* while another thread applies it, the engine is writing the statuses */
	if (self->busy || (self->owner && fleet_busy(self->owner)))
		return PyUnicode_FromString("<_engine.Plan being applied>");
	if (!plan_ready(self))
		return NULL;
	return PyUnicode_FromFormat("<_engine.Plan %zu operation(s), %zu pending>",
		dbsync_plan_op_count(self->plan), dbsync_plan_pending_count(self->plan));
}

static PyMethodDef Plan_methods[] = {
	{ "script", (PyCFunction)Plan_script, METH_NOARGS,
	  "script()\n--\n\nThe exact SQL script applying the plan would run ('' when nothing is pending)." },
	/* backup / retries: */
	/* reports: */
	{ "report_json", (PyCFunction)(void (*)(void))Plan_report_json, METH_VARARGS | METH_KEYWORDS,
	  "report_json(context_json=None)\n--\n\nThe JSON report of this plan (docs/report.schema.json);\n"
	  "context_json adds what only the caller knows (alias, selection, times, inventory)." },
	{ NULL, NULL, 0, NULL }
};

static PyObject *unhandled_list(const dbsync_schema *s);

static PyObject *Plan_get_unhandled(PlanObject *self, void *Py_UNUSED(closure))
{
	return plan_ready(self) ? unhandled_list(self->desired) : NULL;
}

static PyGetSetDef Plan_getset[] = {
	{ "ops", (getter)Plan_get_ops, NULL,
	  "operations as dicts: kind, risk, status, table, object, summary, detail, reason, sql", NULL },
	{ "pending_count", (getter)Plan_get_pending_count, NULL, "number of pending operations", NULL },
	{ "fills", (getter)Plan_get_fills, NULL,
	  "defaults the plan waits for (metadata \"has_default\" without \"default\"), as dicts: "
	  "table, column, model, field; plan again with their values before applying", NULL },
	{ "unmanaged", (getter)Plan_get_unmanaged, NULL,
	  "what no model could declare, as dicts: kind, table, object, detail, dropped", NULL },
	{ "unhandled", (getter)Plan_get_unhandled, NULL,
	  "statements of the desired DDL the engine does not handle (neither creates nor compares), "
	  "as (kind, name, line) tuples; as unhandled_statements() gives them", NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};

static PyType_Slot Plan_slots[] = {
	{ Py_tp_dealloc, (void *)Plan_dealloc },
	{ Py_tp_repr, (void *)Plan_repr },
	{ Py_tp_doc, (void *)"A plan of operations, made by Connection.plan()." },
	{ Py_tp_methods, Plan_methods },
	{ Py_tp_getset, Plan_getset },
	{ 0, NULL }
};

static PyType_Spec Plan_spec = {
	.name = "django_dbsync._engine.Plan",
	.basicsize = sizeof(PlanObject),
	/* plans come only from Connection.plan() */
	.flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION,
	.slots = Plan_slots,
};

/* ---------- module ---------- */

static PyObject *mod_version(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored))
{
	return PyUnicode_FromString(dbsync_version());
}

static PyObject *mod_backends(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored))
{
	PyObject *list = PyList_New(0);
	if (!list)
		return NULL;
	for (size_t i = 0; i < dbsync_dialect_count(); i++) {
		dbsync_dialect d = dbsync_dialect_at(i);
		if (!dbsync_backend_available(d))
			continue;
		PyObject *name = PyUnicode_FromString(dbsync_dialect_name(d));
		if (!name || PyList_Append(list, name) < 0) {
			Py_XDECREF(name);
			Py_DECREF(list);
			return NULL;
		}
		Py_DECREF(name);
	}
	return list;
}

/* dialect(vendor): the engine's name for the dialect a vendor name means
 * ("mariadb" -> "mysql"), InvalidError when the engine knows none. */
static PyObject *mod_dialect(PyObject *Py_UNUSED(module), PyObject *arg)
{
	const char *vendor = cstring_arg(arg, "vendor");
	dbsync_dialect d;
	if (!vendor || dialect_arg(vendor, &d))
		return NULL;
	return PyUnicode_FromString(dbsync_dialect_name(d));
}

static PyObject *mod_connect_url(PyObject *Py_UNUSED(module), PyObject *arg)
{
	const char *url = cstring_arg(arg, "url");
	dbsync_ctx *ctx = url ? new_ctx() : NULL;
	if (!ctx)
		return NULL;
	dbsync_conn *conn = NULL;
	int rc;
	Py_BEGIN_ALLOW_THREADS
	rc = dbsync_conn_open_url(&conn, ctx, url);
	Py_END_ALLOW_THREADS
	if (!ctx_done(ctx, rc)) {
		dbsync_conn_close(conn);
		return NULL;
	}
	return conn_wrap(ConnectionType, conn);
}

/* The statements of parsed desired schema `s` the engine does not handle
 * (triggers, functions, sequences...), as (kind, name, line) tuples in
 * script order. */
static PyObject *unhandled_list(const dbsync_schema *s)
{
	size_t n = dbsync_schema_unhandled_count(s);
	PyObject *out = PyList_New((Py_ssize_t)n);
	for (size_t i = 0; out && i < n; i++) {
		const dbsync_unhandled *u = dbsync_schema_unhandled(s, i);
		PyObject *item = Py_BuildValue("(ssi)", u->kind, u->name, u->line);
		if (!item || PyList_SetItem(out, (Py_ssize_t)i, item) < 0)
			Py_CLEAR(out);
	}
	return out;
}

/* unhandled_statements(dialect, sql): what a desired script holds that the
 * engine does not handle (triggers, functions, sequences...), as (kind, name,
 * line) tuples in script order; the parser's error for a script it refuses. */
static PyObject *mod_unhandled_statements(PyObject *Py_UNUSED(mod), PyObject *args)
{
	const char *dialect_name, *sql;
	Py_ssize_t len;
	dbsync_dialect d;
	if (!PyArg_ParseTuple(args, "ss#:unhandled_statements", &dialect_name, &sql, &len))
		return NULL;
	if (dialect_arg(dialect_name, &d))
		return NULL;
	dbsync_ctx *ctx = new_ctx();
	if (!ctx)
		return NULL;
	dbsync_schema *s = NULL;
	PyObject *out = NULL;
	int rc = dbsync_schema_parse(&s, ctx, d, sql, (size_t)len);
	if (rc) {
		raise_ctx(ctx, rc);
		goto done;
	}
	out = unhandled_list(s);
done:
	dbsync_schema_free(s);
	dbsync_ctx_free(ctx);
	return out;
}

static PyMethodDef module_methods[] = {
	{ "version", mod_version, METH_NOARGS, "version()\n--\n\nThe libdbsync version." },
	{ "backends", mod_backends, METH_NOARGS,
	  "backends()\n--\n\nNames of the database backends compiled in." },
	{ "dialect", mod_dialect, METH_O,
	  "dialect(vendor)\n--\n\nThe engine's name for the dialect `vendor` names (\"mariadb\" -> \"mysql\");\n"
	  "InvalidError naming the vendor when the engine knows none." },
	{ "connect_url", mod_connect_url, METH_O,
	  "connect_url(url)\n--\n\nOpen a Connection from a URL such as sqlite:///file.db." },
	{ "unhandled_statements", mod_unhandled_statements, METH_VARARGS,
	  "unhandled_statements(dialect, sql)\n--\n\n"
	  "The statements of a desired DDL script the engine does not handle (triggers,\n"
	  "functions, sequences, types...): a list of (kind, name, line) tuples. Raises\n"
	  "the parser's error for a script that is not schema DDL." },
	/* inspect: */
	/* renames / dbcheck: */
	/* backup / retries: */
	/* reports: */
	{ "report_json", (PyCFunction)(void (*)(void))mod_report_json, METH_VARARGS | METH_KEYWORDS,
	  "report_json(context_json=None, connection=None)\n--\n\n"
	  "The JSON report of a run without a plan (nothing selected)." },
	{ "report_html", mod_report_html, METH_O,
	  "report_html(report_json)\n--\n\nThe HTML page of a JSON report: one self-contained file." },
	{ NULL, NULL, 0, NULL }
};

static struct PyModuleDef engine_module = {
	PyModuleDef_HEAD_INIT,
	.m_name = "django_dbsync._engine",
	.m_doc = "CPython binding of libdbsync, the django-dbsync engine.",
	.m_size = -1,
	.m_methods = module_methods,
};

PyMODINIT_FUNC PyInit__engine(void)
{
	if (!ConnectionType && !(ConnectionType = (PyTypeObject *)PyType_FromSpec(&Connection_spec)))
		return NULL;
	if (!PlanType && !(PlanType = (PyTypeObject *)PyType_FromSpec(&Plan_spec)))
		return NULL;
	PyObject *m = PyModule_Create(&engine_module);
	if (!m)
		return NULL;
	if (add_error_classes(m) < 0 ||
	    PyModule_AddObjectRef(m, "Connection", (PyObject *)ConnectionType) < 0 ||
	    PyModule_AddObjectRef(m, "Plan", (PyObject *)PlanType) < 0 ||
	    fleet_types_init(m) < 0 ||
	    PyModule_AddStringConstant(m, "__version__", dbsync_version()) < 0)
		goto fail;
	return m;
fail:
	Py_DECREF(m);
	return NULL;
}
