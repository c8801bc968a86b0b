"""Helpers shared by the end-to-end tests: running the command, reading a
database the way Django and the engine see it, snapshotting rows, and
drifting a database with raw SQL the way a person with a SQL shell would.

A database is a SQLite file path or an e2e_pg.PgDb; the helpers that read or
change one take either (the PostgreSQL work is in e2e_pg.py).
Everything here opens its own connections and closes them before returning,
so the engine's connection and Django's never hold a file at the same time.
"""
import hashlib
import io
import os
import re
import shutil
import sqlite3
from dataclasses import dataclass

from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connections

# Apps whose tables the default selection syncs in this project.
PROJECT_APPS = ("catalog", "notes")

# Every backend; the `backend` fixture covers the first two, a test that is
# also proven on MariaDB says so with @pytest.mark.parametrize("backend", ALL_BACKENDS).
ALL_BACKENDS = ("sqlite", "postgresql", "mysql")


def is_pg(db):
    return type(db).__name__ == "PgDb"


def is_my(db):
    return type(db).__name__ == "MyDb"


def is_server(db):
    """A database on a server (PostgreSQL or MariaDB) rather than a SQLite file:
    it reads and changes itself through its own methods."""
    return is_pg(db) or is_my(db)


def backend_of(db):
    return "postgresql" if is_pg(db) else "mysql" if is_my(db) else "sqlite"


def q(name):
    """Quote an SQLite identifier."""
    return '"' + name.replace('"', '""') + '"'


def close_connections():
    for conn in connections.all():
        conn.close()


def model_tables(*app_labels, alias=None):
    """Tables of the concrete, managed models of the apps, M2M tables included;
    with `alias`, only those the routers allow on that database."""
    from django.db import router

    tables = set()
    for label in app_labels:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if model._meta.managed and not model._meta.proxy and not model._meta.swapped:
                if alias is None or router.allow_migrate_model(alias, model):
                    tables.add(model._meta.db_table)
    return tables


@dataclass
class Result:
    code: int
    out: str
    err: str
    error: Exception = None

    @property
    def text(self):
        return self.out + self.err


def dbsync(*args, raise_errors=False, color=False, **options):
    """Run `manage.py dbsync` through call_command and capture everything.

    --check exits through SystemExit (like makemigrations --check); that is
    turned into a code. A CommandError is re-raised when raise_errors is set,
    otherwise recorded with code 2 (manage.py would exit 1), so that an error
    can never pass for --check's "differs" and a test can still look at the
    database.
    """
    out, err = io.StringIO(), io.StringIO()
    argv = list(args)
    if not color and "--force-color" not in argv and "--no-color" not in argv:
        argv.append("--no-color")
    code, error = 0, None
    try:
        call_command("dbsync", *argv, stdout=out, stderr=err, **options)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except CommandError as exc:
        if raise_errors:
            raise
        code, error = 2, exc
        err.write("CommandError: %s\n" % exc)
    finally:
        close_connections()
    return Result(code, out.getvalue(), err.getvalue(), error)


def migrate(alias="default"):
    try:
        call_command("migrate", database=alias, verbosity=0, interactive=False)
    finally:
        close_connections()


# --- reading a database file ------------------------------------------------

def raw(path):
    con = sqlite3.connect(str(path), isolation_level=None)
    return con


def user_tables(path):
    if is_server(path):
        return path.user_tables()
    con = raw(path)
    try:
        return sorted(r[0] for r in con.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"))
    finally:
        con.close()


def schema_rows(path):
    """Every object of sqlite_schema, for "nothing changed" comparisons."""
    if is_server(path):
        return path.schema_rows()
    con = raw(path)
    try:
        return sorted(con.execute("SELECT type, name, tbl_name, sql FROM sqlite_schema").fetchall(),
                      key=lambda r: (r[0], r[1]))
    finally:
        con.close()


def file_digest(path):
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def _pk_order(con, table):
    pk = [r[1] for r in sorted(con.execute("PRAGMA table_info(%s)" % q(table)), key=lambda r: r[5]) if r[5]]
    return ", ".join(q(c) for c in pk) if pk else "rowid"


def snapshot_rows(path, tables=None):
    """{table: (columns, rows)} with every column, rows ordered by primary key.
    Values are what sqlite3 returns, so a storage-class change (123 -> '123')
    shows up."""
    if is_server(path):
        return path.snapshot_rows(tables)
    con = raw(path)
    try:
        names = tables or [r[0] for r in con.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        snap = {}
        for table in names:
            cols = [r[1] for r in con.execute("PRAGMA table_xinfo(%s)" % q(table))]
            rows = con.execute("SELECT %s FROM %s ORDER BY %s" % (
                ", ".join(q(c) for c in cols), q(table), _pk_order(con, table))).fetchall()
            snap[table] = (cols, rows)
        return snap
    finally:
        con.close()


def project_row(snap, table, columns):
    cols, rows = snap[table]
    idx = [cols.index(c) for c in columns]
    return [tuple(row[i] for i in idx) for row in rows]


def assert_rows_survived(before, after, drifted):
    """Every row of every table that still existed after the drift is there,
    unchanged, in every column present before, after the drift and after the
    sync. Returns the number of rows compared so callers can assert it is not 0."""
    compared = 0
    for table, (cols_drift, _rows) in drifted.items():
        if table not in before:
            continue
        assert table in after, "table %s vanished during the sync" % table
        common = [c for c in before[table][0] if c in cols_drift and c in after[table][0]]
        assert common, table
        old, new = project_row(before, table, common), project_row(after, table, common)
        assert new == old, "rows of %s changed (columns %s)" % (table, common)
        compared += len(old)
    return compared


# --- Django's view of a schema -----------------------------------------------

_ws = re.compile(r"\s+")


def norm_expr(text):
    """Formatting-only normalization of a default expression as SQLite stores
    it: whitespace and redundant outer parentheses, letter case outside string
    literals. Semantics are kept: 0 and '0' stay different."""
    if text is None:
        return None
    text = text.strip()
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1].strip()
    parts = re.split(r"('(?:[^']|'')*')", text)
    return "".join(p if p.startswith("'") else _ws.sub("", p).upper() for p in parts)


def _balanced(text):
    depth = 0
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            return False
    return depth == 0


def _wrapper(path):
    from django.db.backends.sqlite3.base import DatabaseWrapper

    settings_dict = dict(connections["default"].settings_dict)
    settings_dict["NAME"] = str(path)
    wrapper = DatabaseWrapper(settings_dict, alias="e2e_introspect")
    # Feature probes open transaction.atomic(alias): the alias must resolve to this wrapper.
    connections["e2e_introspect"] = wrapper
    return wrapper


def _norm_constraint(name, info):
    synthetic = name.startswith("__unnamed_constraint_") or name == "__primary__" or re.fullmatch(r"fk_\d+", name)
    fk = info.get("foreign_key")
    return (
        None if synthetic else name,
        tuple(info["columns"]),
        bool(info["primary_key"]),
        bool(info["unique"]),
        tuple(fk) if fk else None,
        bool(info["check"]),
        bool(info["index"]),
        info.get("type"),
        tuple(info.get("orders") or ()),
    )


def django_schema(path, tables=None):
    """{table: {"columns": {...}, "constraints": [...]}} from Django's own
    introspection of the file, normalized so that only real differences show:
    column order is ignored (migrate appends added columns, create_model does
    not), and unnamed constraints are compared by definition."""
    if is_server(path):
        return path.django_schema(tables)
    wrapper = _wrapper(path)
    try:
        with wrapper.cursor() as cursor:
            intro = wrapper.introspection
            names = [t.name for t in intro.get_table_list(cursor) if t.type == "t"]
            result = {}
            for table in names:
                if tables is not None and table not in tables:
                    continue
                cols = {}
                for f in intro.get_table_description(cursor, table):
                    cols[f.name] = {
                        "type": f.type_code.lower(),
                        "null": bool(f.null_ok),
                        "default": norm_expr(f.default),
                        "pk": bool(f.pk),
                        "collation": f.collation,
                        "json": bool(getattr(f, "has_json_constraint", False)),
                    }
                cons = sorted((_norm_constraint(n, i) for n, i in intro.get_constraints(cursor, table).items()),
                              key=repr)
                result[table] = {"columns": cols, "constraints": cons}
            return result
    finally:
        wrapper.close()
        del connections["e2e_introspect"]


def server_django_schema(wrapper_class, settings_dict, tables, column, label):
    """django_schema for a server database: Django's own introspection through a
    connection of `wrapper_class`. `column(intro, f)` gives the facts compared for
    a column; `label(name, c)` the name a constraint is compared by (None when
    the server or Django invents it)."""
    # configure_settings fills in the keys a project may leave out (OPTIONS, TIME_ZONE, ...)
    settings_dict = connections.configure_settings({"default": settings_dict})["default"]
    wrapper = wrapper_class(settings_dict, alias="e2e_introspect")
    connections["e2e_introspect"] = wrapper
    try:
        with wrapper.cursor() as cursor:
            intro = wrapper.introspection
            result = {}
            for info in intro.get_table_list(cursor):
                table = info.name
                if info.type != "t" or (tables is not None and table not in tables):
                    continue
                cols = {f.name: column(intro, f) for f in intro.get_table_description(cursor, table)}
                cons = []
                for name, c in intro.get_constraints(cursor, table).items():
                    fk = c.get("foreign_key")
                    cons.append((label(name, c), tuple(c["columns"]), bool(c["primary_key"]), bool(c["unique"]),
                                 tuple(fk) if fk else None, bool(c["check"]), bool(c["index"]),
                                 c.get("type"), tuple(c.get("orders") or ())))
                result[table] = {"columns": cols, "constraints": sorted(cons, key=repr)}
            return result
    finally:
        wrapper.close()
        del connections["e2e_introspect"]


def sqlite_facts(path, tables=None):
    """What Django's introspection leaves out, as SQLite's pragmas report it:
    partial-index predicates, index column order/collation, generated-column
    kinds, FK targets and actions. Check and generation expressions are
    not compared here; the engine's two-way comparison covers them."""
    con = raw(path)
    try:
        facts = {}
        for (table,) in con.execute("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"):
            if tables is not None and table not in tables:
                continue
            cols = sorted((r[1], r[2].lower(), r[3], norm_expr(r[4]), r[5], r[6])
                          for r in con.execute("PRAGMA table_xinfo(%s)" % q(table)))
            fks = sorted(tuple(r[2:]) for r in con.execute("PRAGMA foreign_key_list(%s)" % q(table)))
            idx = []
            for r in con.execute("PRAGMA index_list(%s)" % q(table)):
                name, unique, origin, partial = r[1], r[2], r[3], r[4]
                cols_of = tuple((x[2], x[3], x[4]) for x in con.execute("PRAGMA index_xinfo(%s)" % q(name)) if x[5])
                sql = con.execute("SELECT sql FROM sqlite_schema WHERE name = ?", (name,)).fetchone()
                where = None
                if partial and sql and sql[0]:
                    where = norm_expr(sql[0][sql[0].upper().rindex(" WHERE ") + 7:])
                idx.append((None if name.startswith("sqlite_autoindex_") else name, unique, origin, partial,
                            cols_of, where))
            facts[table] = {"columns": cols, "foreign_keys": fks, "indexes": sorted(idx, key=repr)}
        return facts
    finally:
        con.close()


def assert_same_schema(path_a, path_b, tables):
    a, b = django_schema(path_a, tables), django_schema(path_b, tables)
    assert sorted(a) == sorted(b) == sorted(tables)
    for table in sorted(tables):
        assert a[table]["columns"] == b[table]["columns"], "columns of %s differ" % table
        assert a[table]["constraints"] == b[table]["constraints"], "constraints of %s differ" % table
    if is_server(path_a):
        fa, fb, what = path_a.facts(tables), path_b.facts(tables), "catalog facts"
    else:
        fa, fb, what = sqlite_facts(path_a, tables), sqlite_facts(path_b, tables), "SQLite facts"
    for table in sorted(tables):
        assert fa[table] == fb[table], "%s of %s differ" % (what, table)


# --- the engine's view ---------------------------------------------------------

def engine():
    from django_dbsync import _engine

    return _engine


def engine_connect(path):
    if is_pg(path):
        return engine().Connection("postgresql", path.engine_params())
    if is_my(path):
        return engine().Connection("mysql", path.engine_params())
    return engine().Connection("sqlite", {"name": str(path)})


def engine_introspect_sql(path):
    with engine_connect(path) as conn:
        return conn.introspect_sql()


@dataclass
class PlanView:
    ops: list
    pending_count: int
    script: str


def engine_plan(path, desired_sql, metadata_json=None, **options):
    """Plan `desired_sql` against the file and return what the plan says, with
    the engine's connection closed again."""
    with engine_connect(path) as conn:
        plan = conn.plan(desired_sql, metadata_json, **options)
        return PlanView(list(plan.ops), plan.pending_count, plan.script())


def subset_copy(path, tables, dest):
    """A copy of the file holding only `tables` (the others dropped), so its DDL
    read back by the engine describes exactly those tables."""
    if is_server(path):
        return path.subset_copy(tables)
    shutil.copyfile(path, dest)
    others = set(user_tables(dest)) - set(tables) - {"sqlite_sequence"}
    execute(dest, "PRAGMA foreign_keys = OFF", *("DROP TABLE %s" % q(t) for t in sorted(others)))
    return dest


def assert_engine_agrees(path_a, path_b, tables, tmp_dir):
    """The engine, in both directions, sees no difference between the two files
    over `tables`: each file's schema read back as DDL is the desired schema of
    the other and plans zero operations (not even skipped ones). This compares
    what Django's introspection cannot: check, default, generated-column and
    index-predicate expressions."""
    a = subset_copy(path_a, tables, tmp_dir / ("agree-a-%s" % os.path.basename(str(path_a))))
    b = subset_copy(path_b, tables, tmp_dir / ("agree-b-%s" % os.path.basename(str(path_b))))
    try:
        for desired_db, target_db in ((a, b), (b, a)):
            # MariaDB: the engine's own DDL read-back does not parse on MariaDB
            # (an inline `CONSTRAINT name UNIQUE`), the server's SHOW CREATE TABLE does.
            desired_sql = desired_db.create_table_sql() if is_my(desired_db) else engine_introspect_sql(desired_db)
            assert desired_sql.strip(), "engine read no DDL from %s" % desired_db
            plan = engine_plan(target_db, desired_sql, drop_columns=True)
            ops = plan.ops
            if is_server(desired_db):
                ops = desired_db.without_inline_unique_renames(ops, target_db)
            assert ops == [], "%s -> %s:\n%s" % (desired_db.name, target_db.name,
                                                 "\n".join(op_brief(op) for op in plan.ops))
    finally:
        for copy in (a, b):
            if is_server(copy):
                copy.drop()


def op_brief(op):
    return "%s %s.%s [%s] %s" % (op.get("kind"), op.get("table"), op.get("object"), op.get("status"),
                                 op.get("summary"))


# --- drifting a database with raw SQL -------------------------------------------

def execute(path, *statements):
    if is_server(path):
        return path.execute(*statements)
    con = raw(path)
    try:
        for stmt in statements:
            con.execute(stmt)
    finally:
        con.close()


def table_sql(path, table):
    con = raw(path)
    try:
        row = con.execute("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?", (table,)).fetchone()
        assert row, "no table %s" % table
        return row[0]
    finally:
        con.close()


def replace_once(text, old, new):
    assert text.count(old) == 1, "expected exactly one %r in %r" % (old, text)
    return text.replace(old, new)


def rebuild_table(path, table, edit, drop_indexes=()):
    """Rebuild `table` from an edited CREATE TABLE, keeping every row in the
    columns both versions have (generated columns are computed again) and its
    indexes, except those named in drop_indexes. This is the procedure SQLite
    documents for schema changes ALTER TABLE cannot make."""
    con = raw(path)
    try:
        old_sql = con.execute("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?", (table,)).fetchone()[0]
        index_sql = [r[1] for r in con.execute(
            "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
            (table,)) if r[0] not in drop_indexes]
        new_sql = replace_once(edit(old_sql), "CREATE TABLE %s" % q(table), "CREATE TABLE \"e2e_new\"")
        old_cols = [r[1] for r in con.execute("PRAGMA table_xinfo(%s)" % q(table)) if r[6] == 0]
        con.execute("PRAGMA foreign_keys = OFF")
        # As Django does: the rename must not rewrite (or validate) views and
        # other tables' references, which name the final table.
        con.execute("PRAGMA legacy_alter_table = ON")
        con.execute("BEGIN")
        con.execute(new_sql)
        new_cols = [r[1] for r in con.execute("PRAGMA table_xinfo(\"e2e_new\")") if r[6] == 0]
        cols = ", ".join(q(c) for c in old_cols if c in new_cols)
        con.execute("INSERT INTO \"e2e_new\" (%s) SELECT %s FROM %s" % (cols, cols, q(table)))
        con.execute("DROP TABLE %s" % q(table))
        con.execute("ALTER TABLE \"e2e_new\" RENAME TO %s" % q(table))
        for sql in index_sql:
            con.execute(sql)
        con.execute("COMMIT")
    finally:
        con.close()


def index_names(path, table, *, columns=None, unique=None):
    """Names of the indexes of `table` (optionally only those on exactly these
    columns, or only unique ones), auto-indexes included."""
    if is_server(path):
        return path.index_names(table, columns=columns, unique=unique)
    con = raw(path)
    try:
        names = []
        for r in con.execute("PRAGMA index_list(%s)" % q(table)):
            cols = [x[2] for x in con.execute("PRAGMA index_info(%s)" % q(r[1]))]
            if columns is not None and cols != list(columns):
                continue
            if unique is not None and bool(r[2]) != unique:
                continue
            names.append(r[1])
        return names
    finally:
        con.close()


def column_type(path, table, column):
    """The column's declared type (SQLite), format_type (PostgreSQL) or data type
    (MariaDB), lower case."""
    if is_my(path):
        rows = [(path.column_type(table, column),)] if path.column_type(table, column) else []
    elif is_pg(path):
        rows = path.query("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
                          "%s::regclass AND attname = %s AND NOT attisdropped", (q(table), column))
    else:
        con = raw(path)
        try:
            rows = [(r[2],) for r in con.execute("PRAGMA table_xinfo(%s)" % q(table)) if r[1] == column]
        finally:
            con.close()
    assert rows, "no column %s.%s" % (table, column)
    return rows[0][0].lower()


def fetch(path, query):
    """All rows of a query, on any backend."""
    if is_server(path):
        return path.query(query)
    con = raw(path)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def column_names(path, table):
    if is_server(path):
        return path.column_names(table)
    con = raw(path)
    try:
        return [r[1] for r in con.execute("PRAGMA table_xinfo(%s)" % q(table))]
    finally:
        con.close()


def runs_a_password_could_leak_from(apply_verbosity=2):
    """Every kind of run that prints the target or SQL: a check, dry runs at the
    highest and lowest verbosity, an apply, a check at verbosity 2, and an error.
    Callers assert the secret appears in none (assert_not_shown)."""
    return [
        dbsync("--check"),
        dbsync("--dry-run", verbosity=3),
        dbsync("--dry-run", verbosity=0),
        dbsync("--auto-approve", verbosity=apply_verbosity),
        dbsync("--check", verbosity=2),
        dbsync("--include-apps", "no_such_app"),
    ]


def assert_not_shown(secret, runs):
    for run in runs:
        assert secret not in run.text, run.text
        assert secret not in str(run.error or "")
