"""The MariaDB side of the end-to-end suite: one throwaway server for the
session (scripts/mariadb-server.sh), a database per test, and reading a
database the way Django and the server's catalog see it.

A MyDb is what a SQLite test passes as a file path; e2e_support's helpers
dispatch here for one. Every helper opens its own connection and closes it
before returning, so no connection of the suite holds a metadata lock that
the engine's DDL would wait on.
"""
import itertools
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

try:
    import MySQLdb
except ImportError:  # reported by MyServer.start: the other backends still run
    MySQLdb = None

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "mariadb-server.sh"

_names = itertools.count(1)


class ServerUnavailable(RuntimeError):
    def __init__(self, message, not_installed=False):
        super().__init__(message)
        self.not_installed = not_installed  # the server binaries are missing (exit 3)


def qi(name):
    """Quote a MySQL identifier."""
    return "`" + name.replace("`", "``") + "`"


@dataclass
class MyServer:
    dir: str
    socket: str

    @classmethod
    def start(cls):
        if MySQLdb is None:
            raise ServerUnavailable("mysqlclient is not installed (Django's MySQL driver): "
                                    "pip install mysqlclient (scripts/deps.sh venv does)")
        # Short: the socket path must fit in a unix socket address.
        server_dir = tempfile.mkdtemp(prefix="dbsync-my-", dir="/tmp")
        proc = subprocess.run(["sh", str(SCRIPT), "start", server_dir], capture_output=True, text=True,
                              timeout=180)
        if proc.returncode != 0:
            subprocess.run(["sh", str(SCRIPT), "stop", server_dir], capture_output=True, timeout=120)
            raise ServerUnavailable("scripts/mariadb-server.sh start failed (exit %d): %s -- run "
                                    "scripts/deps.sh system (Debian's mariadb-server)"
                                    % (proc.returncode, proc.stderr), not_installed=proc.returncode == 3)
        url = urlsplit(proc.stdout.strip().splitlines()[-1])
        return cls(dir=server_dir, socket=parse_qs(url.query)["unix_socket"][0])

    def stop(self):
        subprocess.run(["sh", str(SCRIPT), "stop", self.dir], capture_output=True, timeout=120)

    def connect(self, db=None):
        kw = dict(unix_socket=self.socket, user="root", charset="utf8mb4", autocommit=True)
        if db:
            kw["database"] = db
        return MySQLdb.connect(**kw)

    def new_database(self, prefix="e2e", template=None):
        """A fresh database; with `template` (a MyDb) a copy of it, tables and rows."""
        name = "%s_%d_%d" % (prefix, os.getpid(), next(_names))
        con = self.connect()
        try:
            cur = con.cursor()
            cur.execute("CREATE DATABASE %s CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci" % qi(name))
            if template is not None:
                template.copy_tables(cur, name)
        finally:
            con.close()
        return MyDb(self, name)


@dataclass
class MyDb:
    server: MyServer
    name: str
    # copy_tables' statements, read once: only a template (never changed) is copied
    _copy_script: list = field(default=None, repr=False, compare=False)

    def __str__(self):
        return "mariadb database %s" % self.name

    @property
    def stem(self):
        return self.name

    def settings_dict(self, options=None):
        """DATABASES settings for this database, as a project would write them."""
        opts = {"unix_socket": self.server.socket, "charset": "utf8mb4"}
        opts.update(options or {})
        return {"ENGINE": "django.db.backends.mysql", "NAME": self.name, "USER": "root", "PASSWORD": "",
                "HOST": "", "PORT": "", "OPTIONS": opts}

    def drop(self):
        self.execute("DROP DATABASE IF EXISTS %s" % qi(self.name), db=None)

    def copy_tables(self, cur, target):
        """Copy every table of this database, definition and rows, into the
        empty database `target`, on the cursor `cur`. MariaDB has no CREATE
        DATABASE ... TEMPLATE, and CREATE TABLE ... LIKE drops foreign keys:
        the server's own SHOW CREATE TABLE (foreign keys, checks, options and
        the AUTO_INCREMENT counter included) is run in the target, then
        INSERT ... SELECT moves the rows server-side (generated columns are
        computed again). Tens of milliseconds where `migrate` takes seconds."""
        if self._copy_script is None:
            script = []
            for table in self.user_tables():
                script.append(self.query("SHOW CREATE TABLE %s" % qi(table))[0][1])
                cols = ", ".join(qi(r[0]) for r in self.query(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = %s "
                    "AND table_name = %s AND extra NOT LIKE '%%GENERATED%%' ORDER BY ordinal_position",
                    (self.name, table)))
                script.append("INSERT INTO %s (%s) SELECT %s FROM %s.%s" % (
                    qi(table), cols, cols, qi(self.name), qi(table)))
            self._copy_script = script
        cur.execute("USE %s" % qi(target))
        cur.execute("SET foreign_key_checks = 0")
        try:
            for stmt in self._copy_script:
                cur.execute(stmt)
        finally:
            cur.execute("SET foreign_key_checks = 1")

    def copy_from(self, template):
        """Fill this (empty) database with a copy of `template`."""
        con = self.server.connect()
        try:
            template.copy_tables(con.cursor(), self.name)
        finally:
            con.close()

    def execute(self, *statements, db=""):
        con = self.server.connect(self.name if db == "" else db)
        try:
            cur = con.cursor()
            for stmt in statements:
                cur.execute(stmt)
        finally:
            con.close()

    def query(self, text, params=None):
        con = self.server.connect(self.name)
        try:
            cur = con.cursor()
            cur.execute(text, params)
            return [tuple(r) for r in cur.fetchall()]
        finally:
            con.close()

    # --- the catalog ---------------------------------------------------------

    def user_tables(self):
        return sorted(r[0] for r in self.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
            "AND table_type = 'BASE TABLE'", (self.name,)))

    def column_names(self, table):
        return [r[0] for r in self.query(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s "
            "ORDER BY ordinal_position", (self.name, table))]

    def index_names(self, table, columns=None, unique=None):
        rows = self.query(
            "SELECT index_name, non_unique, column_name FROM information_schema.statistics "
            "WHERE table_schema = %s AND table_name = %s ORDER BY index_name, seq_in_index", (self.name, table))
        idx = {}
        for name, non_unique, col in rows:
            idx.setdefault(name, [not non_unique, []])[1].append(col)
        return [name for name, (uniq, cols) in sorted(idx.items())
                if (columns is None or cols == list(columns)) and (unique is None or uniq == unique)]

    def column_type(self, table, column):
        rows = self.query("SELECT data_type FROM information_schema.columns WHERE table_schema = %s "
                          "AND table_name = %s AND column_name = %s", (self.name, table, column))
        return rows[0][0] if rows else None

    def orphan_rows(self):
        """(table, constraint, count) for every foreign key with rows whose
        parent is missing (MariaDB lets DDL with foreign_key_checks = 0 leave them)."""
        found = []
        for table, name, col, ref_table, ref_col in self.query(
                "SELECT table_name, constraint_name, column_name, referenced_table_name, referenced_column_name "
                "FROM information_schema.key_column_usage WHERE table_schema = %s "
                "AND referenced_table_name IS NOT NULL", (self.name,)):
            n = self.query("SELECT COUNT(*) FROM %s c LEFT JOIN %s p ON p.%s = c.%s WHERE c.%s IS NOT NULL "
                           "AND p.%s IS NULL" % (qi(table), qi(ref_table), qi(ref_col), qi(col), qi(col),
                                                 qi(ref_col)))[0][0]
            if n:
                found.append((table, name, n))
        return found

    def schema_rows(self):
        """Every table's SHOW CREATE TABLE, for "nothing changed" comparisons."""
        rows = {}
        for table in self.user_tables():
            rows[table] = self.query("SHOW CREATE TABLE %s" % qi(table))[0][1]
        return rows

    def facts(self, tables=None):
        """What Django's introspection leaves out, from information_schema:
        per table, each column's full type, default, extra (auto_increment,
        generated), generation expression, collation and comment; each check
        clause; each index's columns, order and uniqueness; each foreign key's
        target and rules. Columns are compared by name (migrate appends added
        columns; create_model does not)."""
        facts = {}
        for table in self.user_tables():
            if tables is not None and table not in tables:
                continue
            cols = sorted(self.query(
                "SELECT column_name, column_type, is_nullable, column_default, extra, generation_expression, "
                "collation_name, column_comment FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = %s", (self.name, table)))
            checks = sorted(self.query(
                "SELECT constraint_name, check_clause FROM information_schema.check_constraints "
                "WHERE constraint_schema = %s AND table_name = %s", (self.name, table)))
            idx = {}
            for name, non_unique, seq, col, coll, sub in self.query(
                    "SELECT index_name, non_unique, seq_in_index, column_name, collation, sub_part "
                    "FROM information_schema.statistics WHERE table_schema = %s AND table_name = %s "
                    "ORDER BY index_name, seq_in_index", (self.name, table)):
                idx.setdefault(name, [non_unique, []])[1].append((col, coll, sub))
            fks = sorted(self.query(
                "SELECT k.constraint_name, k.column_name, k.referenced_table_name, k.referenced_column_name, "
                "r.update_rule, r.delete_rule FROM information_schema.key_column_usage k "
                "JOIN information_schema.referential_constraints r ON r.constraint_schema = k.constraint_schema "
                "AND r.constraint_name = k.constraint_name AND r.table_name = k.table_name "
                "WHERE k.table_schema = %s AND k.table_name = %s", (self.name, table)))
            indexes = []
            for name, (non_unique, cols_of) in idx.items():
                label = name if non_unique else _unique_label(name, [c[0] for c in cols_of])
                indexes.append((label, non_unique, tuple(cols_of)))
            facts[table] = {"columns": cols, "checks": checks, "foreign_keys": fks,
                            "indexes": sorted(indexes, key=repr)}
        return facts

    def snapshot_rows(self, tables=None):
        """{table: (columns, rows)}, every column, rows ordered by primary key
        (all columns when there is none)."""
        snap = {}
        for table in tables or self.user_tables():
            cols = self.column_names(table)
            pk = [r[0] for r in self.query(
                "SELECT column_name FROM information_schema.statistics WHERE table_schema = %s "
                "AND table_name = %s AND index_name = 'PRIMARY' ORDER BY seq_in_index", (self.name, table))]
            order = pk or cols
            rows = self.query("SELECT %s FROM %s ORDER BY %s" % (
                ", ".join(qi(c) for c in cols), qi(table), ", ".join(qi(c) for c in order)))
            snap[table] = (cols, rows)
        return snap

    # --- Django's view -----------------------------------------------------------

    def django_schema(self, tables=None):
        """{table: {"columns": {...}, "constraints": [...]}} from Django's own
        MySQL introspection, shaped like e2e_support.django_schema."""
        from django.db.backends.mysql.base import DatabaseWrapper
        from e2e_support import server_django_schema

        def column(intro, f):
            return {
                "type": intro.get_field_type(f.type_code, f),
                "size": f.internal_size, "precision": f.precision, "scale": f.scale,
                "null": bool(f.null_ok), "default": f.default, "extra": f.extra,
                "unsigned": f.is_unsigned, "json": f.has_json_constraint,
                "collation": f.collation, "comment": f.comment,
            }

        def label(name, c):
            # Django numbers the checks it finds unnamed in reading order, and a
            # single-column UNIQUE may carry either of two names (_unique_label).
            if name.startswith("__unnamed_constraint_") or (
                    c["unique"] and not c["primary_key"] and _unique_label(name, c["columns"]) is None):
                return None
            return name

        return server_django_schema(DatabaseWrapper, self.settings_dict(), tables, column, label)

    def without_inline_unique_renames(self, ops, target):
        """`ops` less the drop/add pairs that only rename a single-column UNIQUE
        key between the two names Django's DDL leaves to chance (see
        _unique_label): read back as DDL the name is explicit, so the engine
        rightly sees a rename; Django's own schema sees none."""
        def unique_cols(db, table, name):
            rows = db.query("SELECT column_name FROM information_schema.statistics WHERE table_schema = %s "
                            "AND table_name = %s AND index_name = %s AND non_unique = 0", (db.name, table, name))
            cols = [r[0] for r in rows]
            return tuple(cols) if cols and _unique_label(name, cols) is None else None

        drops = {(op["table"], unique_cols(target, op["table"], op["object"])): op for op in ops
                 if op["kind"] in ("drop_index", "drop_constraint")}
        adds = {(op["table"], unique_cols(self, op["table"], op["object"])): op for op in ops
                if op["kind"] in ("create_index", "add_constraint")}
        paired = {id(drops[k]) for k in drops if k[1] and k in adds} | \
                 {id(adds[k]) for k in adds if k[1] and k in drops}
        return [op for op in ops if id(op) not in paired]

    # --- the engine ----------------------------------------------------------------

    def engine_params(self):
        return {"name": self.name, "user": "root", "unix_socket": self.server.socket}

    def create_table_sql(self):
        """The schema read back as DDL by the server itself (SHOW CREATE TABLE,
        foreign keys included), one statement per table."""
        return "".join(self.query("SHOW CREATE TABLE %s" % qi(t))[0][1] + ";\n" for t in self.user_tables())

    def subset_copy(self, tables):
        """A database holding only `tables` (their definitions as SHOW CREATE
        TABLE gives them, no rows), so the engine reads back exactly those."""
        copy = self.server.new_database(prefix="e2e_subset")
        ddl = [self.query("SHOW CREATE TABLE %s" % qi(t))[0][1] for t in sorted(tables)]
        copy.execute("SET foreign_key_checks = 0", *ddl)
        return copy


def _unique_label(name, columns):
    """None for a single-column UNIQUE key named by chance: create_model writes
    it inline and unnamed (MySQL names it after the column) while a field made
    unique by a later migration gets Django's hashed _uniq name. The columns
    are what both must agree on; any other name is kept."""
    if len(columns) == 1 and (name == columns[0] or name.startswith(columns[0] + "_") and name[len(columns[0]) + 1:].isdigit()
                              or name.endswith("_uniq")):
        return None
    return name
