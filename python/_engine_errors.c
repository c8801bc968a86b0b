/*
 * The binding's exceptions: _engine.Error and one subclass per engine error
 * code, so callers match on a class (`except _engine.LockedError`) instead of
 * comparing code names. Every instance carries the engine's fields as
 * attributes: code, code_name, sqlstate, native_code, line, column.
 */
#include "_engine.h"

/* Set once at module init, never changed afterwards. */
PyObject *EngineError;

/*
 * One row per dbsync_error_code. DBSYNC_ERROR (generic) raises the base class
 * itself; DBSYNC_ENOMEM raises MemoryError; DBSYNC_OK is never raised. `cls`
 * is filled at module init.
 */
static struct {
	int code;
	const char *code_name;
	const char *class_name;  /* NULL: the base class */
	const char *doc;
	PyObject *cls;
} kinds[] = {
	{ DBSYNC_OK, "OK", NULL, NULL, NULL },
	{ DBSYNC_ERROR, "ERROR", NULL, NULL, NULL },
	{ DBSYNC_ENOMEM, "ENOMEM", NULL, NULL, NULL },
	{ DBSYNC_EPARSE, "EPARSE", "ParseError",
	  "Malformed SQL in a desired schema; line and column (1-based) locate it.", NULL },
	{ DBSYNC_EDB, "EDB", "DatabaseError",
	  "The database reported an error; sqlstate and native_code say which.", NULL },
	{ DBSYNC_EUNSUPPORTED, "EUNSUPPORTED", "UnsupportedError",
	  "A backend that is not compiled in, or a feature the database does not offer.", NULL },
	{ DBSYNC_EINVALID, "EINVALID", "InvalidError",
	  "An invalid argument, URL or option, or a misuse of a connection or plan.", NULL },
	{ DBSYNC_EVERIFY, "EVERIFY", "VerifyError",
	  "The plan was applied and committed, but the database still differs from it.", NULL },
	{ DBSYNC_ELOCKED, "ELOCKED", "LockedError",
	  "Another run (or session) holds the lock the engine needs; nothing was changed.", NULL },
	{ DBSYNC_EREFUSED, "EREFUSED", "RefusedError",
	  "A change was refused to protect data.", NULL },
	{ DBSYNC_ECONNECT, "ECONNECT", "ConnectError",
	  "The engine could not connect, or the connection was lost.", NULL },
	{ DBSYNC_ESTALE, "ESTALE", "StaleError",
	  "The database changed after the plan was computed: plan again.", NULL },
};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

static size_t kind_of(int code)
{
	for (size_t i = 0; i < N_KINDS; i++)
		if (kinds[i].code == code)
			return i;
	return 1; /* an unknown code is a generic ERROR */
}

/* The class raised for `code`: its subclass, or the base class. */
static PyObject *class_for(int code)
{
	PyObject *cls = kinds[kind_of(code)].cls;
	return cls ? cls : EngineError;
}

/* Raise the class of `code` with the given fields; always returns NULL. */
PyObject *raise_error(int code, const char *message, const char *sqlstate,
	int native_code, int line, int column)
{
	if (code == DBSYNC_ENOMEM)
		return PyErr_NoMemory();
	if (!message || !*message)
		message = "libdbsync failed without a message";
	PyObject *msg = text(message);
	if (!msg)
		return NULL;
	PyObject *cls = class_for(code);
	PyObject *exc = PyObject_CallFunctionObjArgs(cls, msg, NULL);
	Py_DECREF(msg);
	if (!exc)
		return NULL;
	if (set_attr_int(exc, "code", code) < 0 ||
	    set_attr_str(exc, "code_name", kinds[kind_of(code)].code_name) < 0 ||
	    set_attr_str(exc, "sqlstate", sqlstate && *sqlstate ? sqlstate : NULL) < 0 ||
	    set_attr_int(exc, "native_code", native_code) < 0 ||
	    set_attr_int(exc, "line", line) < 0 ||
	    set_attr_int(exc, "column", column) < 0) {
		Py_DECREF(exc);
		return NULL;
	}
	PyErr_SetObject(cls, exc);
	Py_DECREF(exc);
	return NULL;
}

/* A class whose attributes default to `code`'s fields, so an instance made
 * by Python code (e.g. in a test double) still has them all. */
static PyObject *new_class(const char *name, const char *doc, PyObject *base, int code,
	const char *code_name)
{
	PyObject *attrs = Py_BuildValue("{s:i,s:s,s:O,s:i,s:i,s:i}",
		"code", code, "code_name", code_name, "sqlstate", Py_None,
		"native_code", 0, "line", 0, "column", 0);
	if (!attrs)
		return NULL;
	char qualified[96];
	PyOS_snprintf(qualified, sizeof qualified, "django_dbsync._engine.%s", name);
	PyObject *cls = PyErr_NewExceptionWithDoc(qualified, doc, base, attrs);
	Py_DECREF(attrs);
	return cls;
}

int add_error_classes(PyObject *module)
{
	if (!EngineError && !(EngineError = new_class("Error",
			"An error reported by libdbsync. str(e) is the engine's message, which names\n"
			"the object involved. Each engine code raises its own subclass (ParseError,\n"
			"ConnectError, LockedError, ...); the generic code raises Error itself.\n"
			"Attributes: code (negative engine code), code_name ('EPARSE', 'EDB', ...),\n"
			"sqlstate (str or None), native_code, and line and column for parse errors\n"
			"(0 otherwise).",
			PyExc_Exception, DBSYNC_ERROR, "ERROR")))
		return -1;
	if (PyModule_AddObjectRef(module, "Error", EngineError) < 0)
		return -1;
	for (size_t i = 0; i < N_KINDS; i++) {
		if (!kinds[i].class_name)
			continue;
		if (!kinds[i].cls && !(kinds[i].cls = new_class(kinds[i].class_name, kinds[i].doc,
				EngineError, kinds[i].code, kinds[i].code_name)))
			return -1;
		if (PyModule_AddObjectRef(module, kinds[i].class_name, kinds[i].cls) < 0)
			return -1;
	}
	/* the codes as module constants, as before the classes existed */
	for (size_t i = 0; i < N_KINDS; i++)
		if (PyModule_AddIntConstant(module, kinds[i].code_name, kinds[i].code) < 0)
			return -1;
	return 0;
}

PyObject *error_object(const dbsync_error *e)
{
	if (!e)
		Py_RETURN_NONE;
	/* built by the code that raises, so a member's error is the very object
	 * a single run would have raised; taken back off the error indicator */
	raise_error(e->code, e->message, e->sqlstate, e->native_code, e->line, e->column);
	PyObject *type, *value, *tb;
	PyErr_Fetch(&type, &value, &tb);
	PyErr_NormalizeException(&type, &value, &tb);
	Py_XDECREF(type);
	Py_XDECREF(tb);
	if (!value)
		PyErr_SetString(PyExc_SystemError, "an engine error could not be made");
	return value;
}
