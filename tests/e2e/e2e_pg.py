"""The PostgreSQL side of the end-to-end suite: one throwaway server for the
session (scripts/pg-server.sh), a database per test copied from a template,
and reading a database the way Django and the catalog see it.

A PgDb is what a SQLite test passes as a file path: e2e_support's helpers take
either and dispatch here for a PgDb. Every helper opens its own connection and
closes it before returning, so CREATE DATABASE ... TEMPLATE (which needs the
template to have no connection) always works.
"""
import itertools
import os
import secrets
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

try:
    import psycopg
    from psycopg import sql
except ImportError:  # reported by PgServer.start: the SQLite tests still run
    psycopg = sql = None

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "pg-server.sh"
PW_ROLE = "dbsync_pw"  # the script's role that logs in only with $DBSYNC_PG_PASSWORD

_names = itertools.count(1)


class ServerUnavailable(RuntimeError):
    def __init__(self, message, not_installed=False):
        super().__init__(message)
        self.not_installed = not_installed  # the server binaries are missing (exit 3)


@dataclass
class PgServer:
    dir: str
    host: str       # the socket directory
    user: str       # the trusted superuser
    password: str   # the password of PW_ROLE

    @classmethod
    def start(cls):
        if psycopg is None:
            raise ServerUnavailable("psycopg is not installed (Django's PostgreSQL driver): "
                                    "pip install 'psycopg[binary]' (scripts/deps.sh venv does)")
        # Short and quote-free: the socket path must fit in 107 bytes.
        # The script gives the directory to its unprivileged server user.
        server_dir = tempfile.mkdtemp(prefix="dbsync-pg-", dir="/tmp")
        password = "pw-" + secrets.token_hex(12)
        env = dict(os.environ, DBSYNC_PG_PASSWORD=password)
        proc = subprocess.run(["sh", str(SCRIPT), "start", server_dir], env=env, capture_output=True,
                              text=True, timeout=180)
        if proc.returncode != 0:
            subprocess.run(["sh", str(SCRIPT), "stop", server_dir], capture_output=True, timeout=120)
            if os.path.isdir(server_dir) and not os.listdir(server_dir):
                os.rmdir(server_dir)
            raise ServerUnavailable("scripts/pg-server.sh start failed (exit %d): %s%s" % (
                proc.returncode, proc.stderr, " -- run scripts/deps.sh system (Debian's postgresql)"
                if proc.returncode == 3 else ""), not_installed=proc.returncode == 3)
        url = urlsplit(proc.stdout.strip().splitlines()[-1])
        query = parse_qs(url.query)
        return cls(dir=server_dir, host=query["host"][0], user=query["user"][0], password=password)

    def stop(self):
        subprocess.run(["sh", str(SCRIPT), "stop", self.dir], capture_output=True, timeout=120)

    def admin(self):
        return psycopg.connect(host=self.host, user=self.user, dbname="postgres", autocommit=True)

    def new_database(self, template=None, prefix="e2e"):
        """A fresh database: a copy of `template` (a PgDb, with no connection
        open), else of the server's template1."""
        name = "%s_%d_%d" % (prefix, os.getpid(), next(_names))
        with self.admin() as con:
            # A copy file by file: a few hundred files, most of them the
            # catalogs every database has. PostgreSQL 15's default instead
            # writes each page through the WAL, which cost 3 times the server
            # CPU for these small databases (20 copies of a 40-table database
            # on a tmpfs: 1.5 s against 0.5 s). Older servers only copy files.
            strategy = sql.SQL(" STRATEGY FILE_COPY") if con.info.server_version >= 150000 else sql.SQL("")
            con.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}{}").format(
                sql.Identifier(name), sql.Identifier(template.name if template else "template1"), strategy))
        return PgDb(self, name)


@dataclass
class PgDb:
    server: PgServer
    name: str

    def __str__(self):
        return "postgresql database %s" % self.name

    # the file-path interface the SQLite helpers use for names in messages
    @property
    def stem(self):
        return self.name

    def settings_dict(self, user=None, password=None, options=None):
        """DATABASES settings for this database, as a project would write them."""
        d = {"ENGINE": "django.db.backends.postgresql", "NAME": self.name, "HOST": self.server.host,
             "USER": user or self.server.user, "PASSWORD": password or "", "PORT": ""}
        if options:
            d["OPTIONS"] = dict(options)
        return d

    def connect(self, **kw):
        params = dict(host=self.server.host, user=self.server.user, dbname=self.name, autocommit=True)
        params.update(kw)
        return psycopg.connect(**params)

    def drop(self):
        with self.server.admin() as con:
            con.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name)))

    def execute(self, *statements):
        with self.connect() as con:
            for stmt in statements:
                con.execute(stmt)

    def query(self, text, params=None):
        with self.connect() as con:
            return con.execute(text, params).fetchall()

    # --- the catalog ---------------------------------------------------------

    def user_tables(self):
        return sorted(r[0] for r in self.query(
            "SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace "
            "AND c.relkind IN ('r', 'p')"))

    def column_names(self, table):
        return [r[0] for r in self.query(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
            "AND NOT attisdropped ORDER BY attnum", (qname(table),))]

    def index_names(self, table, columns=None, unique=None):
        rows = self.query(
            "SELECT i.relname, x.indisunique, "
            "       ARRAY(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY k(n, o) "
            "             JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.n ORDER BY k.o) "
            "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = %s::regclass ORDER BY i.relname", (qname(table),))
        return [name for name, uniq, cols in rows
                if (columns is None or list(cols) == list(columns)) and (unique is None or uniq == unique)]

    def constraint_names(self, table, contype, columns=None):
        rows = self.query(
            "SELECT conname, ARRAY(SELECT a.attname FROM unnest(conkey) WITH ORDINALITY k(n, o) "
            "       JOIN pg_attribute a ON a.attrelid = conrelid AND a.attnum = k.n ORDER BY k.o) "
            "FROM pg_constraint WHERE conrelid = %s::regclass AND contype = %s ORDER BY conname",
            (qname(table), contype))
        return [name for name, cols in rows if columns is None or list(cols) == list(columns)]

    def schema_rows(self):
        """Everything the catalog says about the public schema, for "nothing
        changed" comparisons: relations, columns (type, null, default, identity,
        generated, collation), constraint and index definitions, comments."""
        rels = self.query(
            "SELECT c.relkind, c.relname FROM pg_class c "
            "WHERE c.relnamespace = 'public'::regnamespace ORDER BY 1, 2")
        cols = self.query(
            "SELECT c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
            "       pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated, co.collname, "
            "       col_description(c.oid, a.attnum) "
            "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
            "LEFT JOIN pg_collation co ON co.oid = a.attcollation AND a.attcollation <> 0 "
            "WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v') "
            "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1, 2")
        cons = self.query(
            "SELECT c.relname, k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k "
            "JOIN pg_class c ON c.oid = k.conrelid WHERE c.relnamespace = 'public'::regnamespace "
            "ORDER BY 1, 2")
        idx = self.query(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE i.relnamespace = 'public'::regnamespace ORDER BY 1")
        comments = self.query(
            "SELECT c.relname, obj_description(c.oid, 'pg_class') FROM pg_class c "
            "WHERE c.relnamespace = 'public'::regnamespace AND obj_description(c.oid, 'pg_class') IS NOT NULL "
            "ORDER BY 1")
        return {"relations": rels, "columns": cols, "constraints": cons, "indexes": idx, "comments": comments}

    def facts(self, tables=None):
        """What Django's introspection leaves out, from the server's own
        deparse: per table, each column's type, default, identity and
        generation expression, each constraint's definition and each index's
        definition. Columns are compared by name (migrate appends added
        columns; create_model does not) and the names the server chose for
        constraints Django's DDL leaves unnamed are left out."""
        rows = self.schema_rows()
        facts = {}
        for _kind, rel in rows["relations"]:
            if _kind in ("r", "p") and (tables is None or rel in tables):
                facts[rel] = {"columns": [], "constraints": [], "indexes": []}
        for rel, _num, name, typ, notnull, default, ident, gen, coll, comment in rows["columns"]:
            if rel in facts:
                facts[rel]["columns"].append((name, typ, notnull, default, ident, gen, coll, comment))
        for rel, name, definition in rows["constraints"]:
            if rel in facts:
                facts[rel]["constraints"].append((self._constraint_label(rel, name, definition), definition))
        owners = dict(self.query(
            "SELECT i.relname, t.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "JOIN pg_class t ON t.oid = x.indrelid WHERE i.relnamespace = 'public'::regnamespace"))
        constraint_indexes = {name for _rel, name, _def in rows["constraints"]}
        for name, definition in rows["indexes"]:
            rel = owners[name]
            if rel in facts and name not in constraint_indexes:
                facts[rel]["indexes"].append((name, definition))
        for rel in facts:
            for key in facts[rel]:
                facts[rel][key].sort(key=repr)
        return facts

    @staticmethod
    def _constraint_label(table, name, definition):
        # Django's DDL leaves primary keys and single-column UNIQUE/CHECK inline
        # and unnamed: the server names them (_pkey, _key, _check), and a field
        # made unique by a later migration gets Django's hashed "_uniq" name
        # instead. The definition is what both must agree on.
        if definition.startswith("PRIMARY KEY"):
            return None
        if name.endswith(("_key", "_check")) and name.startswith(table[:20]):
            return None
        if definition.startswith("UNIQUE (") and definition.count(",") == 0 and name.endswith("_uniq"):
            return None
        # PostgreSQL 18 keeps every NOT NULL as a constraint named when the
        # column is made (<table>_<column>_not_null) and not renamed with it:
        # a migrate-built table keeps a renamed field's old column name there
        if definition.startswith("NOT NULL ") and name.endswith("_not_null"):
            return None
        return name

    def without_inline_unique_renames(self, ops, target):
        """`ops` (a plan from this database's schema, read back as DDL, onto
        `target`) less the drop/add pairs that only rename a single-column
        UNIQUE constraint between the names Django's DDL leaves to chance:
        create_model writes the constraint inline and unnamed (the server calls
        it <table>_<column>_key) while a field made unique by a later migration
        gets Django's hashed _uniq name. Read back as DDL the name is explicit,
        so the engine rightly sees a rename (a rename_constraint operation, or
        a drop/add pair); Django's own schema sees none."""
        def inline_def(db, table, name):
            rows = db.query("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                            "AND conname = %s AND contype = 'u'", (qname(table), name))
            if rows and self._constraint_label(table, name, rows[0][0]) is None:
                return rows[0][0]
            return None

        def renamed_from(op):
            # ALTER TABLE "t" RENAME CONSTRAINT "old" TO "new": the old name
            head = op["sql"][0].split(" RENAME CONSTRAINT ", 1)[1]
            return head[1:head.index('" TO "')].replace('""', '"')

        drops = {(op["table"], inline_def(target, op["table"], op["object"])): op for op in ops
                 if op["kind"] == "drop_constraint"}
        adds = {(op["table"], inline_def(self, op["table"], op["object"])): op for op in ops
                if op["kind"] == "add_constraint"}
        paired = {id(drops[k]) for k in drops if k[1] and k in adds} | \
                 {id(adds[k]) for k in adds if k[1] and k in drops}
        # the engine renames a constraint whose definition is unchanged in place
        paired |= {id(op) for op in ops if op["kind"] == "rename_constraint" and
                   inline_def(self, op["table"], op["object"]) is not None and
                   inline_def(self, op["table"], op["object"]) ==
                   inline_def(target, op["table"], renamed_from(op))}
        return [op for op in ops if id(op) not in paired]

    def snapshot_rows(self, tables=None):
        """{table: (columns, rows)}, every column, rows ordered by primary key
        (all columns when there is none); values as psycopg returns them, so a
        type change that alters a value (123 -> '123') shows up."""
        with self.connect() as con:
            names = tables or [r[0] for r in con.execute(
                "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
                "AND relkind IN ('r', 'p')")]
            snap = {}
            for table in names:
                cols = [r[0] for r in con.execute(
                    "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
                    "AND NOT attisdropped ORDER BY attnum", (qname(table),))]
                pk = [r[0] for r in con.execute(
                    "SELECT a.attname FROM pg_index x JOIN unnest(x.indkey) WITH ORDINALITY k(n, o) ON true "
                    "JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.n "
                    "WHERE x.indrelid = %s::regclass AND x.indisprimary ORDER BY k.o", (qname(table),))]
                order = pk or cols
                rows = con.execute(sql.SQL("SELECT {} FROM {} ORDER BY {}").format(
                    sql.SQL(", ").join(sql.Identifier(c) for c in cols), sql.Identifier(table),
                    sql.SQL(", ").join(sql.SQL("{}::text").format(sql.Identifier(c)) if not pk else
                                       sql.Identifier(c) for c in order))).fetchall()
                snap[table] = (cols, rows)
            return snap

    # --- Django's view -----------------------------------------------------------

    def django_schema(self, tables=None):
        """{table: {"columns": {...}, "constraints": [...]}} from Django's own
        PostgreSQL introspection, shaped like e2e_support.django_schema."""
        from django.db.backends.postgresql.base import DatabaseWrapper
        from e2e_support import server_django_schema

        def column(intro, f):
            return {
                "type": intro.get_field_type(f.type_code, f),
                "size": f.internal_size, "precision": f.precision, "scale": f.scale,
                "null": bool(f.null_ok), "default": f.default, "pk_autofield": f.is_autofield,
                "collation": f.collation,
            }

        def label(name, c):
            # names the server gives keys and checks written without one, and
            # PostgreSQL 18's NOT NULL constraints (see _constraint_label); the
            # nullability itself is compared with the columns
            if c["primary_key"] or (c["unique"] and not c["index"] and len(c["columns"]) == 1
                                    and name.endswith(("_key", "_uniq"))) or \
                    (c["check"] and name.endswith("_check")):
                return None
            if not (c["unique"] or c["check"] or c["index"] or c.get("foreign_key")) and \
                    len(c["columns"]) == 1 and name.endswith("_not_null"):
                return None
            return name

        return server_django_schema(DatabaseWrapper, self.settings_dict(), tables, column, label)

    # --- the engine ----------------------------------------------------------------

    def engine_params(self):
        return {"name": self.name, "host": self.server.host, "user": self.server.user}

    def subset_copy(self, tables):
        """A copy of this database holding only `tables`, so its schema read
        back by the engine describes exactly those tables."""
        copy = self.server.new_database(template=self, prefix="e2e_subset")
        others = set(copy.user_tables()) - set(tables)
        if others:
            copy.execute(sql.SQL("DROP TABLE {} CASCADE").format(
                sql.SQL(", ").join(sql.Identifier(t) for t in sorted(others))))
        return copy


def qname(table):
    """A table name as text for ::regclass (quoted, so case and odd characters survive)."""
    return '"' + table.replace('"', '""') + '"'
