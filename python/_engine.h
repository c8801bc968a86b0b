/*
 * What the files of the django_dbsync._engine extension share: the object
 * layouts and the helpers every engine call goes through. _engine.c holds the
 * module, Connection and Plan; _engine_<part>.c files add methods to them
 * (declared at the end of this file, listed in the method tables of _engine.c).
 *
 * The extension uses only the CPython limited API (meson.build sets
 * Py_LIMITED_API to 3.10), so one binary serves every Python from 3.10 on:
 * no object internals, no access macros such as PyList_GET_ITEM, types made
 * with PyType_FromSpec at module init.
 */
#ifndef DBSYNC_PY_ENGINE_H
#define DBSYNC_PY_ENGINE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "dbsync/dbsync.h"

/* _engine.Error, the base of the exception classes (_engine_errors.c);
 * set once at module init, never changed afterwards. */
extern PyObject *EngineError;
/* Add Error, its subclasses and the code constants to the module; 0 or -1. */
int add_error_classes(PyObject *module);

/* Heap types made at module init (the module is initialised once per process). */
extern PyTypeObject *ConnectionType;
extern PyTypeObject *PlanType;
extern PyTypeObject *FleetType;

typedef struct {
	PyObject_HEAD
	dbsync_conn *conn;
	/*
	 * Set while an engine call runs without the GIL: the engine connection is
	 * not thread-safe, so a second thread gets an error instead of a race.
	 */
	int busy;
} ConnectionObject;

typedef struct {
	PyObject_HEAD
	dbsync_plan *plan;
	dbsync_schema *desired;   /* the plan borrows it: freed after the plan */
	PyObject *connection;     /* the Connection the plan was computed on */
	int busy;
	/*
	 * A fleet member's plan (Fleet.members): the Fleet owns the plan and the
	 * desired schema, this object keeps the Fleet alive and asks it for the
	 * member's plan at each use (an apply may replace it). NULL otherwise.
	 */
	PyObject *owner;
	size_t member;
} PlanObject;

/* A fleet (_engine_fleet.c): one plan per member namespace. */
typedef struct {
	PyObject_HEAD
	dbsync_fleet *fleet;
	dbsync_schema *desired;   /* the fleet borrows it: freed after the fleet */
	PyObject *connection;     /* the Connection the fleet was planned on */
	int busy;                 /* set while Fleet.apply runs without the GIL */
} FleetObject;

/* One engine call on a Connection, from call_begin to call_end. */
typedef struct {
	dbsync_conn *conn;  /* open and idle when the call began */
	dbsync_ctx *ctx;    /* this call's errors only */
	int rc;             /* what the engine returned */
} engine_call;

/*
 * Run `call` without the GIL while `flag` marks the object busy, so that any
 * other thread reaching the object meanwhile gets an error instead of a race.
 */
#define WITHOUT_GIL(flag, call) do { \
	(flag) = 1; \
	Py_BEGIN_ALLOW_THREADS \
	call; \
	Py_END_ALLOW_THREADS \
	(flag) = 0; \
} while (0)

PyObject *text(const char *s);
int set_attr_int(PyObject *obj, const char *name, long value);
int set_attr_str(PyObject *obj, const char *name, const char *value);
/* Raise the class of `code` (Error or its subclass) with these fields; NULL. */
PyObject *raise_error(int code, const char *message, const char *sqlstate,
	int native_code, int line, int column);
PyObject *raise_ctx(dbsync_ctx *ctx, int rc);
PyObject *raise_invalid(const char *message);
PyObject *raise_type(const char *what, const char *expected, PyObject *obj);
dbsync_ctx *new_ctx(void);
int ctx_done(dbsync_ctx *ctx, int rc);
const char *cstring_arg(PyObject *obj, const char *what);
int plan_ready(PlanObject *plan);
dbsync_conn *conn_get(ConnectionObject *self);
int call_begin(engine_call *c, ConnectionObject *self);
int call_end(engine_call *c);
PyObject *table_name_list(const dbsync_schema *schema);

/*
 * A Python sequence of str as a C array of UTF-8 strings that the array owns:
 * the bytes are copied, so the engine may read them without the GIL while
 * another thread changes the caller's list. None gives n == 0.
 */
typedef struct {
	const char **items;  /* one block: the pointers, then the strings */
	size_t n;
} str_array;

/* 0, or -1 with an exception set (TypeError names `what`). */
int str_array_from(str_array *out, PyObject *obj, const char *what);
void str_array_clear(str_array *a);

/*
 * The arguments of Connection.plan, shared with Connection.plan_fleet: the
 * options, and the strings they point to kept alive and owned while the
 * engine reads them without the GIL.
 */
typedef struct {
	dbsync_plan_options opts;
	PyObject *held;           /* the desired and metadata str objects */
	const char *desired_sql;
	Py_ssize_t desired_len;
	str_array approved, drops;
} plan_args;

/* Parse Connection.plan's arguments (`format` ends with its ":name"), with
 * `extra` (NULL or a name) a third positional-or-keyword argument stored in
 * *extra_out. 0, or -1 with an exception set; plan_args_clear either way. */
int plan_args_parse(plan_args *a, PyObject *args, PyObject *kwds, const char *name, const char *extra,
	PyObject **extra_out);
void plan_args_clear(plan_args *a);
/* A dict of one operation, as Plan.ops lists them. */
PyObject *op_to_dict(const dbsync_op *op);
/* The exception object of an engine error, not raised (None for NULL). */
PyObject *error_object(const dbsync_error *e);

/* ---------- methods defined in other files (each adds its own lines) ---------- */
/* inspect (_engine_inspect.c): */
PyObject *Connection_inventory(ConnectionObject *self, PyObject *args, PyObject *kwds);
PyObject *Connection_table_json(ConnectionObject *self, PyObject *args, PyObject *kwds);
/* True / False / "estimate" as a dbsync_count_mode; -1 with an exception set. */
int count_mode(PyObject *obj, const char *what);
PyObject *Connection_models_source(ConnectionObject *self, PyObject *args, PyObject *kwds);
/* renames / dbcheck (_engine_check.c): */
/* backup / retries (_engine_backup.c): */
PyObject *Connection_backup(ConnectionObject *self, PyObject *args, PyObject *kwds);
PyObject *Connection_restore(ConnectionObject *self, PyObject *arg);
PyObject *Connection_backup_per_member(ConnectionObject *self, PyObject *args, PyObject *kwds);
/* what the Django app asks instead of deciding from the vendor (_engine_facts.c): */
PyObject *Connection_get_ddl_autocommits(ConnectionObject *self, void *closure);
PyObject *Connection_get_backup_tool(ConnectionObject *self, void *closure);
PyObject *Connection_get_backup_engine_method(ConnectionObject *self, void *closure);
PyObject *Connection_get_backup_suffix(ConnectionObject *self, void *closure);
PyObject *Connection_table_key(ConnectionObject *self, PyObject *arg);
/* reports (_engine_report.c): */
PyObject *Plan_report_json(PlanObject *self, PyObject *args, PyObject *kwds);
PyObject *mod_report_json(PyObject *module, PyObject *args, PyObject *kwds);
PyObject *mod_report_html(PyObject *module, PyObject *arg);
/* fleets (_engine_fleet.c): */
PyObject *Connection_namespaces(ConnectionObject *self, PyObject *args, PyObject *kwds);
PyObject *Connection_plan_fleet(ConnectionObject *self, PyObject *args, PyObject *kwds);
/* Whether the fleet owning a member plan is being applied. */
int fleet_busy(PyObject *fleet);
/* The member's current plan (NULL when it has none). */
dbsync_plan *fleet_member_plan(PyObject *fleet, size_t member);
/* Make FleetType and the member type; 0 or -1. */
int fleet_types_init(PyObject *module);

#endif
