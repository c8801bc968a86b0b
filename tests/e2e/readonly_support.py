"""What tests/e2e/test_readonly_user.py and test_hot_journal.py share: a
drifted database, accounts that may only read it, running the CLI and the
Django commands as such an account, and byte-level snapshots of a database
to prove that nothing changed.

The accounts (docs/readonly.md says the same to users):
- PostgreSQL: a role with CONNECT and TEMPORARY on the database, USAGE on the
  schema and SELECT on its tables; PUBLIC's default rights on the database and
  the schema are revoked first, so the role has exactly these. TEMPORARY is
  PostgreSQL's default for every role: the desired schema is then normalized in
  the session's temporary schema, since the role may not CREATE a schema.
- MariaDB: SELECT on the database, plus CREATE, DROP, ALTER, INDEX, REFERENCES
  on the `dbsync\\_shadow\\_%` databases, where the desired schema is normalized.
- SQLite: the OS user nobody, on a root-owned 0644 file in a root-owned 0755
  directory. The Python interpreter of the test venv may live under /root
  (pyenv), which nobody cannot enter: the Django runs get the capability
  CAP_DAC_READ_SEARCH, which lets a process read any file and search any
  directory and grants no right to write anything. The CLI runs get no
  capability at all.
"""
import json
import os
import pwd
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import e2e_support as s
from e2e_my import qi

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CLI = os.environ.get("DBSYNC_CLI") or str(REPO / "build" / "c" / "dbsync")

NOBODY = pwd.getpwnam("nobody")
AS_NOBODY = ["setpriv", "--reuid=%d" % NOBODY.pw_uid, "--regid=%d" % NOBODY.pw_gid, "--clear-groups"]
# read-only access to the interpreter wherever it is installed (see above)
AS_NOBODY_READING = AS_NOBODY + ["--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search"]

# An orphaned table with rows and a view over it: the orphan and view
# listings have something to list.
_LEGACY = {
    "sqlite": ['CREATE TABLE "legacy_orders" ("id" integer NOT NULL PRIMARY KEY, "total" integer NOT NULL)',
               'INSERT INTO "legacy_orders" ("id", "total") VALUES (1, 10), (2, 20), (3, 30)',
               'CREATE VIEW "legacy_totals" AS SELECT count(*) AS "n", sum("total") AS "total" '
               'FROM "legacy_orders"'],
    "postgresql": ['CREATE TABLE "legacy_orders" ("id" integer NOT NULL PRIMARY KEY, "total" integer NOT NULL)',
                   'INSERT INTO "legacy_orders" ("id", "total") VALUES (1, 10), (2, 20), (3, 30)',
                   'CREATE VIEW "legacy_totals" AS SELECT count(*) AS "n", sum("total") AS "total" '
                   'FROM "legacy_orders"'],
    "mysql": ["CREATE TABLE `legacy_orders` (`id` integer NOT NULL PRIMARY KEY, `total` integer NOT NULL)",
              "INSERT INTO `legacy_orders` (`id`, `total`) VALUES (1, 10), (2, 20), (3, 30)",
              "CREATE VIEW `legacy_totals` AS SELECT count(*) AS `n`, sum(`total`) AS `total` "
              "FROM `legacy_orders`"],
}

# Drift, as a person with a SQL shell would: a missing table, a missing column,
# an extra column with values, a changed default.
_DRIFT = {
    "sqlite": ['DROP TABLE "catalog_productdetail"',
               'ALTER TABLE "catalog_supplier" DROP COLUMN "website"',
               'ALTER TABLE "catalog_tag" ADD COLUMN "legacy_code" varchar(20) NULL',
               "UPDATE \"catalog_tag\" SET \"legacy_code\" = 'L-' || \"id\""],
    "postgresql": ['DROP TABLE "catalog_productdetail"',
                   'ALTER TABLE "catalog_supplier" DROP COLUMN "website"',
                   'ALTER TABLE "catalog_tag" ADD COLUMN "legacy_code" varchar(20) NULL',
                   "UPDATE \"catalog_tag\" SET \"legacy_code\" = 'L-' || \"id\"",
                   'ALTER TABLE "catalog_product" ALTER COLUMN "position" SET DEFAULT 7'],
    "mysql": ["DROP TABLE `catalog_productdetail`",
              "ALTER TABLE `catalog_supplier` DROP COLUMN `website`",
              "ALTER TABLE `catalog_tag` ADD COLUMN `legacy_code` varchar(20) NULL",
              "UPDATE `catalog_tag` SET `legacy_code` = CONCAT('L-', `id`)",
              "ALTER TABLE `catalog_product` ALTER COLUMN `position` SET DEFAULT 7"],
}


def drift(db):
    """Drift a migrated, filled database and give it an orphan and a view."""
    backend = s.backend_of(db)
    s.execute(db, *_DRIFT[backend], *_LEGACY[backend])


def desired_sql(db):
    """The DDL Django writes for the project's models on `db`'s backend (what
    `manage.py dbsync` hands the engine), for the CLI runs."""
    from django_dbsync import conf
    from django_dbsync.desired import Selection, build_desired

    try:
        return build_desired("default", Selection(conf.get_settings("default"))).sql
    finally:
        s.close_connections()


def desired_file(db):
    """desired_sql(db) in a file every user may read (a fresh 0755 directory
    of /tmp: pytest's tmp_path is 0700). The caller removes its directory."""
    d = Path(tempfile.mkdtemp(prefix="dbsync-ro-desired-", dir="/tmp"))
    os.chmod(d, 0o755)
    path = d / "schema.sql"
    path.write_text(desired_sql(db))
    os.chmod(path, 0o644)
    return path


# --- accounts that may only read --------------------------------------------------

class PgReader:
    """A PostgreSQL role with only CONNECT, TEMPORARY, USAGE on public and
    SELECT on its tables and views."""

    def __init__(self, db):
        self.db = db
        self.user = "ro_" + db.name
        with db.server.admin() as con:
            con.execute('CREATE ROLE "%s" LOGIN' % self.user)
            con.execute('REVOKE ALL ON DATABASE "%s" FROM PUBLIC' % db.name)
            con.execute('GRANT CONNECT, TEMPORARY ON DATABASE "%s" TO "%s"' % (db.name, self.user))
        db.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC",
                   'GRANT USAGE ON SCHEMA public TO "%s"' % self.user,
                   'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "%s"' % self.user)
        # the role really cannot write: a probe that must fail
        with db.connect(user=self.user) as con:
            try:
                con.execute('CREATE TABLE "probe" ("id" integer)')
            except Exception as exc:  # psycopg.errors.InsufficientPrivilege
                assert "permission denied" in str(exc), exc
            else:
                raise AssertionError("the read-only role could create a table")

    def django_settings(self):
        return self.db.settings_dict(user=self.user)

    def url(self):
        return "postgresql:///%s?host=%s&user=%s" % (self.db.name, self.db.server.host, self.user)

    def drop(self):
        self.db.execute('DROP OWNED BY "%s"' % self.user)
        with self.db.server.admin() as con:
            con.execute('DROP ROLE "%s"' % self.user)


class PgOwner:
    """The server's superuser: may write anything."""

    def __init__(self, db):
        self.db = db
        self.user = db.server.user

    def django_settings(self):
        return self.db.settings_dict()

    def url(self):
        return "postgresql:///%s?host=%s&user=%s" % (self.db.name, self.db.server.host, self.user)

    def drop(self):
        pass


# The grant a MariaDB user needs for the shadow database (docs/readonly.md,
# docs/mysql.md and the engine's error message say the same).
MY_SHADOW_GRANT = "GRANT CREATE, DROP, ALTER, INDEX, REFERENCES ON `dbsync\\_shadow\\_%%`.* TO %s"


class MyReader:
    """A MariaDB user with SELECT on the database and only the shadow grant besides."""

    def __init__(self, db):
        self.db = db
        self.user = "ro_%s" % db.name[-20:]
        self.password = "pw-" + secrets.token_hex(8)
        account = "'%s'@'localhost'" % self.user
        db.execute("CREATE USER %s IDENTIFIED BY '%s'" % (account, self.password),
                   "GRANT SELECT ON %s.* TO %s" % (qi(db.name), account),
                   MY_SHADOW_GRANT % account, db=None)
        con = _my_connect(db, self.user, self.password)
        try:
            con.cursor().execute("CREATE TABLE `probe` (`id` integer)")
        except Exception as exc:  # MySQLdb.OperationalError 1142
            assert "denied" in str(exc), exc
        else:
            raise AssertionError("the read-only user could create a table")
        finally:
            con.close()

    def django_settings(self):
        d = self.db.settings_dict()
        d.update(USER=self.user, PASSWORD=self.password)
        return d

    def url(self):
        return "mysql://%s:%s@localhost/%s?unix_socket=%s" % (self.user, self.password, self.db.name,
                                                             self.db.server.socket)

    def drop(self):
        self.db.execute("DROP USER '%s'@'localhost'" % self.user, db=None)


class MyOwner:
    """root: may write anything."""

    def __init__(self, db):
        self.db = db

    def django_settings(self):
        return self.db.settings_dict()

    def url(self):
        return "mysql://root@localhost/%s?unix_socket=%s" % (self.db.name, self.db.server.socket)

    def drop(self):
        pass


def _my_connect(db, user, password):
    import MySQLdb

    return MySQLdb.connect(unix_socket=db.server.socket, user=user, password=password, database=db.name)


class SqliteAccount:
    """A copy of the database as a root-owned 0644 file in a root-owned 0755
    directory of /tmp (pytest's tmp_path is 0700), run as nobody (`reader`)
    or as this process's user (root, the owner)."""

    def __init__(self, source, reader):
        self.reader = reader
        self.dir = Path(tempfile.mkdtemp(prefix="dbsync-ro-", dir="/tmp"))
        os.chmod(self.dir, 0o755)
        self.path = self.dir / "app.sqlite3"
        shutil.copyfile(source, self.path)
        os.chmod(self.path, 0o644)
        if reader:  # the runs really are nobody's, and nobody really cannot write the file
            who = subprocess.run(AS_NOBODY + ["id", "-u"], capture_output=True, text=True)
            assert who.stdout.strip() == str(NOBODY.pw_uid), \
                "cannot run as nobody (setpriv needs root): %s" % (who.stdout + who.stderr)
            probe = subprocess.run(AS_NOBODY + ["sh", "-c", 'echo x >> "$0"', str(self.path)],
                                   capture_output=True, text=True)
            assert probe.returncode != 0 and "Permission denied" in probe.stderr, \
                "nobody could write %s" % self.path

    def url(self):
        return "sqlite:///%s" % self.path

    def drop(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def account(db, reader, source=None):
    """The account the commands run as: `reader` (read rights only) or the owner."""
    if s.is_pg(db):
        return PgReader(db) if reader else PgOwner(db)
    if s.is_my(db):
        return MyReader(db) if reader else MyOwner(db)
    return SqliteAccount(source or db, reader)


# --- running as an account ------------------------------------------------------------

def _prefix(acct, python):
    if isinstance(acct, SqliteAccount) and acct.reader:
        return AS_NOBODY_READING if python else AS_NOBODY
    return []


def run_cli(acct, *args):
    """The dbsync CLI as the account: (exit code, stdout, stderr)."""
    proc = subprocess.run(_prefix(acct, False) + [CLI, *args], capture_output=True, text=True, timeout=120,
                          cwd="/")
    return proc.returncode, proc.stdout, proc.stderr


def run_django(acct, commands, output_dir):
    """Each argv of `commands` through call_command in one process as the
    account (readonly_runner.py); `output_dir` receives reports and generated
    models. Returns readonly_runner's list of results."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBSYNC_E2E_", "DJANGO_"))}
    env["DBSYNC_E2E_OUTPUT_DIR"] = str(output_dir)
    if isinstance(acct, SqliteAccount):
        env["DBSYNC_E2E_DB"] = str(acct.path)
        env["DBSYNC_E2E_OTHER_DB"] = str(acct.dir / "other.sqlite3")  # never opened
    else:
        env["DBSYNC_E2E_PG" if isinstance(acct, (PgReader, PgOwner)) else "DBSYNC_E2E_MY"] = \
            json.dumps(acct.django_settings())
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    proc = subprocess.run(_prefix(acct, True) + [sys.executable, str(HERE / "readonly_runner.py")],
                          input=json.dumps(commands), capture_output=True, text=True, timeout=600,
                          cwd=str(HERE), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout)


def output_dir_for(acct):
    """A directory the account may write its reports to."""
    d = Path(tempfile.mkdtemp(prefix="dbsync-ro-out-", dir="/tmp"))
    if isinstance(acct, SqliteAccount) and acct.reader:
        os.chown(d, NOBODY.pw_uid, NOBODY.pw_gid)
    return d


# --- byte-level snapshots ---------------------------------------------------------------

def snapshot(db, acct=None):
    """Everything a write could change, for before/after equality."""
    if s.is_pg(db):
        return {"dump": _pg_dump(db), "catalog": _pg_catalog(db)}
    if s.is_my(db):
        return {"dump": _my_dump(db), "catalog": _my_catalog(db), "shadows": _my_shadows(db)}
    path = acct.path if acct else Path(db)
    return {"sha256": s.file_digest(path), "files": sorted(os.listdir(path.parent))}


def _pg_dump(db):
    proc = subprocess.run(["pg_dump", "--no-sync", "-h", db.server.host, "-U", db.server.user, "-d", db.name],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    # pg_dump 15.14 and later frame the script with a random \restrict key
    text = re.sub(r"(?m)^\\(un)?restrict \S+$", r"\\\1restrict KEY", proc.stdout)
    assert "legacy_orders" in text and "COPY public.catalog_tag" in text, text[:2000]
    return text


def _pg_catalog(db):
    """The relations of every schema with their relfilenodes (a rewrite, a
    TRUNCATE or a new relation changes them), the namespaces, and the
    columns, constraints and indexes of every user relation."""
    user = "c.oid >= 16384"
    return {
        "namespaces": db.query("SELECT oid, nspname FROM pg_namespace ORDER BY oid"),
        "classes": db.query("SELECT c.oid, c.relname, c.relnamespace::regnamespace::text, c.relkind, "
                            "c.relfilenode, c.relnatts, c.relhasindex, c.relchecks FROM pg_class c ORDER BY c.oid"),
        "attributes": db.query("SELECT a.attrelid, a.attnum, a.attname, a.atttypid, a.atttypmod, a.attnotnull, "
                               "a.atthasdef, a.attisdropped, a.attidentity, a.attgenerated, a.attcollation "
                               "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid WHERE " + user +
                               " ORDER BY 1, 2"),
        "defaults": db.query("SELECT d.oid, d.adrelid, d.adnum, pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d "
                             "ORDER BY 1"),
        "constraints": db.query("SELECT k.oid, k.conname, k.contype, k.conrelid, pg_get_constraintdef(k.oid) "
                                "FROM pg_constraint k ORDER BY 1"),
        "indexes": db.query("SELECT x.indexrelid, x.indrelid, x.indkey::text, x.indisunique, x.indisprimary, "
                            "x.indisvalid, pg_get_indexdef(x.indexrelid) FROM pg_index x ORDER BY 1"),
    }


def _my_dump(db):
    proc = subprocess.run(["mariadb-dump", "--no-defaults", "--socket=%s" % db.server.socket, "--user=root",
                           "--skip-comments", "--skip-dump-date", "--single-transaction", "--hex-blob",
                           "--routines", "--triggers", db.name],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "legacy_orders" in proc.stdout and "INSERT INTO `catalog_tag`" in proc.stdout, proc.stdout[:2000]
    return proc.stdout


def _my_catalog(db):
    """information_schema's rows of the database: tables (with creation and
    last-update times, which any write or rebuild moves), columns, indexes,
    constraints, views, triggers."""
    def q(sql, where="WHERE table_schema = %s"):
        return db.query(sql + " " + where + " ORDER BY 1, 2, 3", (db.name,))

    return {
        "tables": q("SELECT table_name, table_type, engine, create_time, update_time, auto_increment, "
                    "table_collation, row_format, create_options, table_comment FROM information_schema.tables"),
        "columns": q("SELECT table_name, ordinal_position, column_name, column_type, is_nullable, "
                     "column_default, extra, collation_name, generation_expression FROM information_schema.columns"),
        "statistics": q("SELECT table_name, index_name, seq_in_index, column_name, non_unique, sub_part, "
                        "index_type FROM information_schema.statistics"),
        "constraints": q("SELECT table_name, constraint_name, constraint_type "
                         "FROM information_schema.table_constraints"),
        "checks": q("SELECT table_name, constraint_name, check_clause FROM information_schema.check_constraints",
                    "WHERE constraint_schema = %s"),
        "references": q("SELECT table_name, constraint_name, referenced_table_name, update_rule, delete_rule "
                        "FROM information_schema.referential_constraints", "WHERE constraint_schema = %s"),
        "views": q("SELECT table_name, view_definition, check_option, definer, security_type "
                   "FROM information_schema.views"),
        "triggers": q("SELECT trigger_name, event_object_table, action_statement FROM information_schema.triggers",
                      "WHERE trigger_schema = %s"),
    }


def _my_shadows(db):
    return db.query("SHOW DATABASES LIKE 'dbsync\\_shadow\\_%'")
