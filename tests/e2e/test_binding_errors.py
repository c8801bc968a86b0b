"""The binding's exceptions (python/_engine_errors.c): each engine error code
raises its own subclass of _engine.Error, and each is shown here raised by a
real failure on a real database, carrying the engine's fields (code,
code_name, sqlstate, native_code, line, column). The Django app matches on
these classes, never on code names.

RefusedError has no test of its own: no engine call returns DBSYNC_EREFUSED
(a refused change is an operation's status, not an error), so only its place
in the hierarchy is checked."""
import re
import sqlite3

import pytest

from django_dbsync import _engine

CLASSES = {
    "ParseError": "EPARSE", "DatabaseError": "EDB", "UnsupportedError": "EUNSUPPORTED",
    "InvalidError": "EINVALID", "VerifyError": "EVERIFY", "LockedError": "ELOCKED",
    "RefusedError": "EREFUSED", "ConnectError": "ECONNECT", "StaleError": "ESTALE",
}

TWO_TABLES = ('CREATE TABLE "keep" (id integer NOT NULL PRIMARY KEY);\n'
              'CREATE TABLE "added" (id integer NOT NULL PRIMARY KEY);\n')


def test_one_subclass_per_engine_code():
    for name, code_name in CLASSES.items():
        cls = getattr(_engine, name)
        assert issubclass(cls, _engine.Error) and cls is not _engine.Error, name
        assert cls.code_name == code_name and cls.code == getattr(_engine, code_name), name
    assert len({getattr(_engine, n) for n in CLASSES}) == len(CLASSES)


def raised(cls, call, *args, **kwargs):
    """The exception `call` raises: exactly of class `cls`, with every attribute."""
    with pytest.raises(_engine.Error) as info:
        call(*args, **kwargs)
    e = info.value
    assert type(e) is cls, (type(e), e)
    assert e.code == cls.code and e.code_name == cls.code_name, e
    for attr in ("sqlstate", "native_code", "line", "column"):
        assert hasattr(e, attr), attr
    return e


def sqlite(path, **params):
    return _engine.Connection("sqlite", dict(name=str(path), **params))


def pg(db, **params):
    return _engine.Connection("postgresql", dict(db.engine_params(), **params))


def test_parse_error_locates_the_problem(tmp_path):
    with sqlite(tmp_path / "a.db") as conn:
        e = raised(_engine.ParseError, conn.plan, 'CREATE TABLE "t" (\n  id integer,, name text\n);')
    assert (e.line, e.column) == (2, 14), (e.line, e.column, str(e))
    assert e.sqlstate is None


def test_database_error_carries_the_servers_codes(tmp_path, pg_db):
    with sqlite(tmp_path / "a.db") as conn:
        e = raised(_engine.DatabaseError, conn.count_rows, "no_such_table")
    assert e.native_code == 1 and "no_such_table" in str(e)  # SQLITE_ERROR
    with pg(pg_db) as conn:
        e = raised(_engine.DatabaseError, conn.count_rows, "no_such_table")
    assert e.sqlstate == "42P01", e.sqlstate  # undefined_table


def test_connect_error_on_a_wrong_password_names_no_password(pg_db):
    from e2e_pg import PW_ROLE

    e = raised(_engine.ConnectError, pg, pg_db, user=PW_ROLE, password="not-the-password")
    assert "not-the-password" not in str(e)
    assert pg_db.server.password not in str(e)
    with pg(pg_db, user=PW_ROLE, password=pg_db.server.password) as conn:  # the right one works
        assert conn.table_names() == []


def test_locked_error_while_another_session_holds_the_sync_lock(pg_db):
    with pg(pg_db) as conn:
        plan = conn.plan(TWO_TABLES)
        key = re.search(r"pg_advisory_xact_lock\((-?\d+)\)", plan.script()).group(1)
        holder = pg_db.connect()
        try:
            assert holder.execute("SELECT pg_try_advisory_lock(%s)" % key).fetchone()[0]
            raised(_engine.LockedError, conn.apply, plan)
        finally:
            holder.close()
        assert conn.table_names() == []  # nothing was changed
        conn.apply(conn.plan(TWO_TABLES))  # the lock is free again
        assert sorted(conn.table_names()) == ["added", "keep"]


def test_stale_error_when_the_database_changed_after_planning(tmp_path):
    with sqlite(tmp_path / "a.db") as conn:
        plan = conn.plan(TWO_TABLES)
        with sqlite3.connect(tmp_path / "a.db") as other:  # another program changes it
            other.execute('CREATE TABLE "keep" (id integer NOT NULL PRIMARY KEY)')
        other.close()
        raised(_engine.StaleError, conn.apply, plan)
        assert conn.table_names() == ["keep"]


def test_verify_error_when_the_database_still_differs_after_applying(pg_db):
    """Another session drops a table the plan does not touch while the plan is
    being applied: the apply commits, and planning again finds it missing."""
    with pg(pg_db) as conn:
        pg_db.execute('CREATE TABLE "keep" (id integer NOT NULL PRIMARY KEY)')
        plan = conn.plan(TWO_TABLES)
        assert [op["table"] for op in plan.ops] == ["added"]

        def drop_keep(done, total, op, finished):
            if finished:
                pg_db.execute('DROP TABLE "keep"')

        e = raised(_engine.VerifyError, conn.apply, plan, progress=drop_keep)
        assert "create table `keep`" in str(e), str(e)
        assert conn.table_names() == ["added"]  # committed


def test_unsupported_error_for_a_tool_backup_of_sqlite(tmp_path):
    with sqlite(tmp_path / "a.db") as conn:
        raised(_engine.UnsupportedError, conn.backup, str(tmp_path / "b.sqlite3"), method="tool")
    assert not (tmp_path / "b.sqlite3").exists()


def test_invalid_error_for_a_closed_connection_and_an_unknown_vendor(tmp_path):
    conn = sqlite(tmp_path / "a.db")
    conn.close()
    raised(_engine.InvalidError, conn.table_names)
    raised(_engine.InvalidError, _engine.Connection, "oracle", {})


def test_the_engine_names_a_vendor_and_refuses_one_it_does_not_know():
    """dialect(vendor): the engine's name for each name it accepts (Django's
    vendor names among them); an unknown vendor is an InvalidError naming it
    and the dialects the engine knows, from Connection and dialect() alike."""
    for vendor, name in (("sqlite", "sqlite"), ("postgresql", "postgresql"), ("mysql", "mysql"),
                         ("sqlite3", "sqlite"), ("postgres", "postgresql"), ("mariadb", "mysql")):
        assert _engine.dialect(vendor) == name, vendor
    for call in (_engine.dialect, lambda v: _engine.Connection(v, {})):
        e = raised(_engine.InvalidError, call, "firebird")
        assert str(e) == "unknown database vendor 'firebird' (libdbsync knows sqlite, postgresql, mysql)", str(e)
    assert _engine.backends() == ["sqlite", "postgresql", "mysql"]


def test_the_django_app_tells_a_held_lock_by_its_class(my_migrated):
    """On MariaDB (DDL autocommits: the engine says so) a run that finds the
    dbsync lock held fails with LockedError, and the command's note, chosen
    by that class, says to run again when the other run has finished."""
    import e2e_support as s
    from test_mysql import LOCK

    db = my_migrated
    db.execute("DROP TABLE `catalog_productdetail`")
    holder = db.server.connect(db.name)
    try:
        cur = holder.cursor()
        cur.execute("SELECT GET_LOCK(%s, 0)" % LOCK)
        assert cur.fetchone()[0] == 1
        run = s.dbsync("--auto-approve")
        assert run.code == 2 and run.error is not None, run.text
        message = str(run.error)
        assert "nothing was rolled back" in message, message
        assert "Run dbsync again when the other run has finished" in message, message
    finally:
        holder.close()
    assert "catalog_productdetail" not in db.user_tables()


def test_objects_in_use_by_an_engine_call_are_refused_not_raced(tmp_path):
    """While apply runs without the GIL, the connection and the plan are
    marked busy: the progress callback (run inside that call) reaching them
    gets InvalidError, and repr() of the plan reads no status being written."""
    seen = []
    with sqlite(tmp_path / "a.db") as conn:
        plan = conn.plan(TWO_TABLES)

        def reach(done, total, op, finished):
            if not finished:
                seen.append(repr(plan))
                seen.append(raised(_engine.InvalidError, conn.table_names).code_name)
                seen.append(raised(_engine.InvalidError, lambda: plan.ops).code_name)

        conn.apply(plan, progress=reach)
        assert sorted(conn.table_names()) == ["added", "keep"]
    assert seen == ["<_engine.Plan being applied>", "EINVALID", "EINVALID"] * 2, seen
