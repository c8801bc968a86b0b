"""The standalone `dbsync` CLI against real SQLite files: exit codes, output, convergence."""
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

CLI = os.environ.get("DBSYNC_CLI") or str(Path(__file__).resolve().parents[2] / "build" / "c" / "dbsync")

DESIRED = """
CREATE TABLE "author" (
    "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT,
    "name" varchar(100) NOT NULL UNIQUE,
    "email" varchar(254) NULL
);
CREATE TABLE "book" (
    "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT,
    "title" varchar(200) NOT NULL,
    "pages" integer NULL CHECK ("pages" >= 0),
    "author_id" integer NOT NULL REFERENCES "author" ("id") DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX "book_author_id_idx" ON "book" ("author_id");
CREATE INDEX "book_title_idx" ON "book" ("title");
"""

DRIFTED = """
CREATE TABLE "author" (
    "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT,
    "name" varchar(100) NOT NULL,
    "nickname" text NULL
);
INSERT INTO "author" ("name", "nickname") VALUES ('Ursula', 'UKL'), ('Italo', NULL);
"""


def run(*args, stdin=None):
    return subprocess.run([CLI, *args], capture_output=True, text=True, input=stdin, timeout=60)


@pytest.fixture
def drifted(tmp_path):
    db = tmp_path / "app.db"
    con = sqlite3.connect(db)
    con.executescript(DRIFTED)
    con.close()
    desired = tmp_path / "schema.sql"
    desired.write_text(DESIRED)
    return db, desired


def schema_of(db):
    con = sqlite3.connect(db)
    try:
        return sorted(con.execute("SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'"))
    finally:
        con.close()


def rows_of(db, sql):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_version_lists_sqlite_backend():
    r = run("--version")
    assert r.returncode == 0
    assert r.stdout.startswith("dbsync ")
    assert "sqlite" in r.stdout.split("backends:")[1]


@pytest.mark.parametrize("args", [[], ["frob", "--db", "sqlite:///x.db"], ["plan", "--db", "sqlite:///x.db"],
                                  ["plan", "--desired", "x.sql"], ["plan", "--bogus"],
                                  ["plan", "--desired", "x.sql", "--db", "sqlite:///x.db", "--auto-approve"],
                                  ["inspect", "--db"]])
def test_usage_errors_exit_2(args):
    r = run(*args)
    assert r.returncode == 2, r.stderr
    assert r.stderr


def test_plan_reports_pending_changes_with_exit_3_and_changes_nothing(drifted):
    db, desired = drifted
    before = schema_of(db)
    r = run("plan", "--desired", str(desired), "--db", f"sqlite:///{db}")
    assert r.returncode == 3, r.stdout + r.stderr
    assert 'CREATE TABLE "book"' in r.stdout
    assert "skipped" in r.stdout and '"nickname"' in r.stdout  # extra column is not dropped by default
    assert schema_of(db) == before


def test_apply_dry_run_prints_sql_and_changes_nothing(drifted):
    db, desired = drifted
    before = schema_of(db)
    r = run("apply", "--dry-run", "--desired", str(desired), "--db", f"sqlite:///{db}")
    assert r.returncode == 0, r.stderr
    assert "BEGIN" in r.stdout and 'CREATE TABLE "book"' in r.stdout
    assert schema_of(db) == before


def test_apply_without_terminal_refuses(drifted):
    db, desired = drifted
    before = schema_of(db)
    r = run("apply", "--desired", str(desired), "--db", f"sqlite:///{db}", stdin="y\n")
    assert r.returncode == 1
    assert "not a terminal" in r.stderr
    assert schema_of(db) == before


def test_apply_converges_keeps_rows_then_plan_is_empty(drifted):
    db, desired = drifted
    r = run("apply", "--auto-approve", "--desired", str(desired), "--db", f"sqlite:///{db}")
    assert r.returncode == 0, r.stdout + r.stderr
    assert rows_of(db, 'SELECT "id", "name", "nickname" FROM "author" ORDER BY "id"') == [
        (1, "Ursula", "UKL"), (2, "Italo", None)]
    with pytest.raises(sqlite3.IntegrityError):  # the lost unique constraint is back
        con = sqlite3.connect(db)
        try:
            con.execute("INSERT INTO author (name) VALUES ('Ursula')")
        finally:
            con.close()
    r = run("plan", "--desired", str(desired), "--db", f"sqlite:///{db}")
    # only the skipped extra column remains: nothing pending
    assert r.returncode == 0, r.stdout
    r = run("apply", "--auto-approve", "--drop-columns", "--desired", str(desired), "--db", f"sqlite:///{db}")
    assert r.returncode == 0, r.stdout + r.stderr
    r = run("plan", "--desired", str(desired), "--db", f"sqlite:///{db}")
    assert r.returncode == 0
    assert "No changes" in r.stdout
    assert rows_of(db, 'SELECT "id", "name" FROM "author" ORDER BY "id"') == [(1, "Ursula"), (2, "Italo")]


def test_inspect_output_rebuilds_an_identical_schema(drifted, tmp_path):
    db, desired = drifted
    assert run("apply", "--auto-approve", "--desired", str(desired), "--db", f"sqlite:///{db}").returncode == 0
    r = run("inspect", "--db", f"sqlite:///{db}")
    assert r.returncode == 0, r.stderr
    assert 'CREATE TABLE "author"' in r.stdout and 'CREATE INDEX "book_title_idx"' in r.stdout
    dumped = tmp_path / "dumped.sql"
    dumped.write_text(r.stdout)
    fresh = tmp_path / "fresh.db"
    assert run("apply", "--auto-approve", "--desired", str(dumped), "--db", f"sqlite:///{fresh}").returncode == 0
    # the copy and the original agree in both directions
    assert run("plan", "--desired", str(dumped), "--db", f"sqlite:///{db}").returncode == 0
    r = run("inspect", "--db", f"sqlite:///{fresh}")
    assert r.stdout == dumped.read_text()


def test_malformed_desired_schema_names_line_and_column(drifted, tmp_path):
    db, _ = drifted
    bad = tmp_path / "bad.sql"
    bad.write_text('CREATE TABLE "t" (\n  "id" integer PRIMARY KEY,\n  "x" varchar(10\n);\n')
    before = schema_of(db)
    r = run("plan", "--desired", str(bad), "--db", f"sqlite:///{db}")
    assert r.returncode == 1
    assert "line" in r.stderr and "column" in r.stderr
    assert schema_of(db) == before


def test_unopenable_database_is_a_clear_failure(tmp_path, drifted):
    _, desired = drifted
    r = run("plan", "--desired", str(desired), "--db", f"sqlite:///{tmp_path}/no/such/dir/x.db")
    assert r.returncode == 1
    assert "x.db" in r.stderr


def test_missing_desired_file_is_a_failure(tmp_path):
    r = run("plan", "--desired", str(tmp_path / "nope.sql"), "--db", f"sqlite:///{tmp_path}/x.db")
    assert r.returncode == 1
    assert "nope.sql" in r.stderr


def test_plan_and_dry_run_never_create_a_missing_database(tmp_path, drifted):
    _, desired = drifted
    missing = tmp_path / "not-yet.db"
    r = run("plan", "--desired", str(desired), "--db", f"sqlite:///{missing}")
    assert r.returncode == 3, r.stderr
    assert 'CREATE TABLE "author"' in r.stdout
    r = run("apply", "--dry-run", "--desired", str(desired), "--db", f"sqlite:///{missing}")
    assert r.returncode == 0, r.stderr
    r = run("inspect", "--db", f"sqlite:///{missing}")
    assert r.returncode == 0 and r.stdout == ""
    assert not missing.exists()


# --- PostgreSQL, against a throwaway server (scripts/pg-server.sh) -------------------------

PG_PASSWORD = "cli-" + os.urandom(9).hex()

PG_DESIRED = """
CREATE TABLE "author" (
    "id" bigint NOT NULL PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY,
    "name" varchar(100) NOT NULL UNIQUE,
    "email" varchar(254) NULL
);
CREATE TABLE "book" (
    "id" bigint NOT NULL PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY,
    "title" varchar(200) NOT NULL,
    "pages" integer NULL CHECK ("pages" >= 0),
    "author_id" bigint NOT NULL
);
ALTER TABLE "book" ADD CONSTRAINT "book_author_id_fk_author_id" FOREIGN KEY ("author_id")
    REFERENCES "author" ("id") DEFERRABLE INITIALLY DEFERRED;
CREATE INDEX "book_author_id_idx" ON "book" ("author_id");
CREATE INDEX "book_title_idx" ON "book" ("title");
"""

PG_DRIFTED = """
CREATE TABLE "author" (
    "id" bigint NOT NULL PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY,
    "name" varchar(100) NOT NULL,
    "nickname" text NULL
);
INSERT INTO "author" ("name", "nickname") VALUES ('Ursula', 'UKL'), ('Italo', NULL);
"""


_pg_dbs = iter(range(1, 1000))


@pytest.fixture
def pg_drifted(pg_server, tmp_path):
    """A database owned by the password role (dbsync_pw) holding PG_DRIFTED;
    (URL with the password, database name, desired schema file)."""
    import psycopg

    name = "cli_%d" % next(_pg_dbs)
    with psycopg.connect(host=pg_server, user="dbsync", dbname="postgres", autocommit=True) as con:
        con.execute('CREATE DATABASE "%s" OWNER dbsync_pw' % name)
    with psycopg.connect(host=pg_server, user="dbsync_pw", password=PG_PASSWORD, dbname=name,
                         autocommit=True) as con:
        con.execute(PG_DRIFTED)
    desired = tmp_path / "schema.sql"
    desired.write_text(PG_DESIRED)
    return "postgresql://dbsync_pw:%s@/%s?host=%s" % (PG_PASSWORD, name, pg_server), name, desired


def pg_query(server, name, sql):
    import psycopg

    with psycopg.connect(host=server, user="dbsync", dbname=name, autocommit=True) as con:
        cur = con.execute(sql)
        return cur.fetchall() if cur.description else None


def pg_schema(server, name, schema="public"):
    return pg_query(server, name,
                    "SELECT c.relname, c.relkind, pg_get_indexdef(c.oid) FROM pg_class c JOIN pg_namespace n "
                    "ON n.oid = c.relnamespace WHERE n.nspname = '%s' ORDER BY 1" % schema) + pg_query(
        server, name, "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                      "WHERE connamespace = '%s'::regnamespace ORDER BY 1, 2" % schema)


def no_password(*results):
    for r in results:
        assert PG_PASSWORD not in r.stdout + r.stderr, r.stdout + r.stderr


def test_version_lists_postgresql_backend():
    r = run("--version")
    assert "postgresql" in r.stdout.split("backends:")[1]


def test_postgres_plan_apply_inspect(pg_server, pg_drifted, tmp_path):
    url, name, desired = pg_drifted
    before = pg_schema(pg_server, name)

    plan = run("plan", "--desired", str(desired), "--db", url)
    assert plan.returncode == 3, plan.stdout + plan.stderr
    assert plan.stdout.startswith("target: postgresql://dbsync_pw@/%s?host=" % name), plan.stdout
    assert 'CREATE TABLE "book"' in plan.stdout
    assert "skipped" in plan.stdout and '"nickname"' in plan.stdout  # extra column kept by default

    dry = run("apply", "--dry-run", "--desired", str(desired), "--db", url)
    assert dry.returncode == 0, dry.stderr
    assert "BEGIN;" in dry.stdout and "pg_advisory_xact_lock" in dry.stdout and "COMMIT;" in dry.stdout
    assert pg_schema(pg_server, name) == before

    refused = run("apply", "--desired", str(desired), "--db", url, stdin="y\n")
    assert refused.returncode == 1 and "not a terminal" in refused.stderr
    assert pg_schema(pg_server, name) == before

    applied = run("apply", "--auto-approve", "--desired", str(desired), "--db", url)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert pg_query(pg_server, name, 'SELECT "id", "name", "nickname" FROM "author" ORDER BY "id"') == [
        (1, "Ursula", "UKL"), (2, "Italo", None)]
    assert pg_query(pg_server, name, "SELECT count(*) FROM pg_constraint WHERE conrelid = 'author'::regclass "
                                     "AND contype = 'u'") == [(1,)]
    again = run("plan", "--desired", str(desired), "--db", url)
    assert again.returncode == 0, again.stdout  # only the skipped extra column remains
    dropped = run("apply", "--auto-approve", "--drop-columns", "--desired", str(desired), "--db", url)
    assert dropped.returncode == 0, dropped.stdout + dropped.stderr
    clean = run("plan", "--desired", str(desired), "--db", url)
    assert clean.returncode == 0 and "No changes" in clean.stdout, clean.stdout

    inspect = run("inspect", "--db", url)
    assert inspect.returncode == 0, inspect.stderr
    assert 'CREATE TABLE "author"' in inspect.stdout and '"book_title_idx"' in inspect.stdout
    dumped = tmp_path / "dumped.sql"
    dumped.write_text(inspect.stdout)
    # the dump is a desired schema the same database already matches
    assert run("plan", "--desired", str(dumped), "--db", url).returncode == 0
    no_password(plan, dry, refused, applied, again, dropped, clean, inspect)


def test_postgres_wrong_password_fails_without_showing_it(pg_drifted):
    url, name, desired = pg_drifted
    wrong = url.replace(PG_PASSWORD, "wrong-" + PG_PASSWORD[:6])
    for args in (("plan", "--desired", str(desired)), ("apply", "--auto-approve", "--desired", str(desired)),
                 ("inspect",)):
        r = run(*args, "--db", wrong)
        assert r.returncode == 1, r.stdout + r.stderr
        assert "password authentication failed" in r.stderr, r.stderr
        assert "wrong-" not in r.stdout + r.stderr
        no_password(r)


def test_postgres_schema_option(pg_server, pg_drifted):
    url, name, desired = pg_drifted
    pg_query(pg_server, name, "CREATE SCHEMA app AUTHORIZATION dbsync_pw")
    public = pg_schema(pg_server, name)

    applied = run("apply", "--auto-approve", "--schema", "app", "--desired", str(desired), "--db", url)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert {r[0] for r in pg_schema(pg_server, name, "app") if r[1] == "r"} == {"author", "book"}
    assert pg_schema(pg_server, name) == public  # the drifted public schema is untouched
    assert run("plan", "--schema", "app", "--desired", str(desired), "--db", url).returncode == 0
    # without --schema the connection's current schema (public) is the one synced
    assert run("plan", "--desired", str(desired), "--db", url).returncode == 3
    inspect = run("inspect", "--schema", "app", "--db", url)
    assert inspect.returncode == 0 and 'CREATE TABLE "book"' in inspect.stdout, inspect.stderr

    missing = run("plan", "--schema", "nope", "--desired", str(desired), "--db", url)
    assert missing.returncode == 1 and 'schema "nope" does not exist' in missing.stderr, missing.stderr
    twice = run("plan", "--schema", "app", "--desired", str(desired), "--db", url + "&schema=app")
    assert twice.returncode == 2, twice.stderr
    no_password(applied, inspect, missing, twice)


# ---- orphans, models, backup/restore, reports, orphan drops (issue 5 and 6 in the CLI) ----

ORPHANS = """
CREATE TABLE "legacy_parent" ("id" integer PRIMARY KEY, "label" text);
CREATE TABLE "legacy_child" ("id" integer PRIMARY KEY,
    "parent_id" integer REFERENCES "legacy_parent" ("id"), "class" text, "2nd" integer);
INSERT INTO "legacy_parent" VALUES (1, 'a'), (2, 'b'), (3, 'c');
INSERT INTO "legacy_child" VALUES (1, 1, 'x', 5), (2, 3, NULL, NULL);
CREATE VIEW "child_labels" AS SELECT c."id", p."label" FROM "legacy_child" c JOIN "legacy_parent" p
    ON p."id" = c."parent_id";
"""


@pytest.fixture
def with_orphans(drifted):
    db, desired = drifted
    con = sqlite3.connect(db)
    con.executescript(ORPHANS)
    con.close()
    return db, desired


def test_orphans_lists_tables_the_desired_schema_lacks_with_rows_and_views(with_orphans):
    db, desired = with_orphans
    # --exact-counts: a listing shows the catalog's estimates unless asked to count
    # (test_cli_estimates.py); this test proves the counts
    r = run("orphans", "--exact-counts", "--desired", str(desired), "--db", "sqlite:///%s" % db)
    assert r.returncode == 0, r.stderr
    assert "legacy_parent: 3 row(s)" in r.stdout and "legacy_child: 2 row(s)" in r.stdout
    assert "author:" not in r.stdout  # owned by the desired schema
    assert "child_labels: 2 column(s)" in r.stdout
    as_json = run("orphans", "--exact-counts", "--quiet", "--desired", str(desired), "--db", "sqlite:///%s" % db)
    import json

    doc = json.loads(as_json.stdout)
    orphans = {t["name"]: t["rows"] for t in doc["tables"] if t["orphan"]}
    assert orphans == {"legacy_parent": 3, "legacy_child": 2}


def test_models_prints_importable_django_models(with_orphans):
    db, _ = with_orphans
    r = run("models", "--db", "sqlite:///%s" % db, "legacy_parent", "legacy_child", "child_labels")
    assert r.returncode == 0, r.stderr
    src = r.stdout
    assert "managed = False" in src and "db_table = 'legacy_child'" in src
    assert "models.ForeignKey('LegacyParent'" in src
    assert "db_column='class'" in src and "db_column='2nd'" in src  # not valid Python names
    compile(src, "models.py", "exec")
    missing = run("models", "--db", "sqlite:///%s" % db, "no_such_table")
    assert missing.returncode == 1 and "no_such_table" in missing.stderr


def test_plan_and_apply_drop_orphans_in_dependency_order_with_backup_and_report(with_orphans, tmp_path):
    db, desired = with_orphans
    url = "sqlite:///%s" % db
    plan = run("plan", "--desired", str(desired), "--db", url, "--drop-tables", "legacy_parent,legacy_child")
    assert plan.returncode == 3, plan.stderr
    # the referencing table goes first, and the plan says how much data each drop loses
    assert plan.stdout.index('DROP TABLE "legacy_child"') < plan.stdout.index('DROP TABLE "legacy_parent"')
    assert "touches 3 row(s)" in plan.stdout and "touches 2 row(s)" in plan.stdout
    assert rows_of(db, "SELECT count(*) FROM legacy_parent") == [(3,)]

    backup, report, html = tmp_path / "before.db", tmp_path / "run.json", tmp_path / "run.html"
    r = run("apply", "--desired", str(desired), "--db", url, "--auto-approve", "--retries", "2",
            "--drop-tables", "legacy_parent,legacy_child", "--backup", str(backup),
            "--report-json", str(report), "--report-html", str(html))
    assert r.returncode == 0, r.stdout + r.stderr
    names = {n for (n,) in rows_of(db, "SELECT name FROM sqlite_schema WHERE type = 'table'")}
    assert "legacy_parent" not in names and "legacy_child" not in names
    import json

    doc = json.loads(report.read_text())
    drops = [o for o in doc["operations"] if o["kind"] == "drop_table"]
    assert [(o["table"], o["status"], o["affected"]) for o in drops] == [
        ("legacy_child", "applied", 2), ("legacy_parent", "applied", 3)]
    assert "legacy_parent" in html.read_text() and "<script" not in html.read_text()

    # the backup holds the rows as they were; restored into an empty file, every row is back
    restored = tmp_path / "restored.db"
    rr = run("restore", "--db", "sqlite:///%s" % restored, str(backup))
    assert rr.returncode == 0, rr.stderr
    assert rows_of(restored, 'SELECT * FROM "legacy_child" ORDER BY 1') == [(1, 1, "x", 5), (2, 3, None, None)]
    assert rows_of(restored, 'SELECT * FROM "legacy_parent" ORDER BY 1') == [(1, "a"), (2, "b"), (3, "c")]
    again = run("restore", "--db", "sqlite:///%s" % restored, str(backup))
    assert again.returncode == 1 and "empty" in again.stderr  # never over existing tables


def test_backup_refuses_to_overwrite_and_a_failed_backup_changes_nothing(with_orphans, tmp_path):
    db, desired = with_orphans
    url = "sqlite:///%s" % db
    first = tmp_path / "b.db"
    assert run("backup", "--db", url, str(first)).returncode == 0
    again = run("backup", "--db", url, str(first))
    assert again.returncode == 1 and str(first) in again.stderr
    before = schema_of(db)
    r = run("apply", "--desired", str(desired), "--db", url, "--auto-approve",
            "--backup", str(tmp_path / "no" / "such" / "dir" / "b.db"))
    assert r.returncode == 1 and "backup failed" in r.stderr
    assert schema_of(db) == before


@pytest.mark.parametrize("args", [
    ["plan", "--desired", "x.sql", "--db", "sqlite:///x.db", "--backup", "b.db"],
    ["apply", "--desired", "x.sql", "--db", "sqlite:///x.db", "--retries", "many"],
    ["apply", "--desired", "x.sql", "--db", "sqlite:///x.db", "--lock-timeout", "-5"],
    ["inspect", "--db", "sqlite:///x.db", "--report-json", "r.json"],
    ["models", "--db", "sqlite:///x.db"],
    ["backup", "--db", "sqlite:///x.db"],
    ["restore", "--db", "sqlite:///x.db", "a", "b"],
    ["orphans", "--db", "sqlite:///x.db"],
])
def test_usage_errors_of_the_new_commands_exit_2(args):
    r = run(*args)
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stderr


def test_postgres_backup_and_restore_keep_every_row_without_showing_the_password(pg_server, pg_drifted,
                                                                                 tmp_path):
    url, name, _ = pg_drifted
    dump = tmp_path / "dump.sql"
    b = run("backup", "--db", url, str(dump))
    assert b.returncode == 0, b.stderr
    no_password(b)
    assert PG_PASSWORD not in dump.read_text()
    pg_query(pg_server, "postgres", 'CREATE DATABASE "%s_copy" OWNER dbsync_pw' % name)
    copy_url = url.replace("/%s?" % name, "/%s_copy?" % name)
    r = run("restore", "--db", copy_url, str(dump))
    assert r.returncode == 0, r.stderr
    no_password(r)
    q = 'SELECT * FROM "author" ORDER BY 1'
    assert pg_query(pg_server, name + "_copy", q) == pg_query(pg_server, name, q)


# ---- an orphan drop and the plan's own foreign key drops (issue 14) ----

DEPARTMENTS = """
CREATE TABLE "departments" ("id" integer PRIMARY KEY, "name" text);
CREATE TABLE "employees" ("id" integer PRIMARY KEY,
    "dept_id" integer CONSTRAINT "emp_dept" REFERENCES "departments" ("id"), "name" text);
INSERT INTO "departments" VALUES (1, 'ops');
INSERT INTO "employees" VALUES (1, 1, 'Ada'), (2, NULL, 'Bob');
"""


def test_postgres_orphan_drop_waits_for_the_plans_own_foreign_key_drop(pg_server, pg_drifted, tmp_path):
    url, name, _ = pg_drifted
    pg_query(pg_server, name, "DROP TABLE IF EXISTS book, author CASCADE")
    pg_query(pg_server, name, "SET ROLE dbsync_pw;" + DEPARTMENTS)  # the URL's role owns them
    desired = tmp_path / "employees.sql"
    desired.write_text('CREATE TABLE "employees" ("id" integer PRIMARY KEY, "dept_id" integer, "name" text);\n')
    before = pg_schema(pg_server, name)

    # keeping extra keys keeps the reference: the table drop is refused at plan time, nothing runs
    kept = run("apply", "--auto-approve", "--desired", str(desired), "--db", url, "--drop-tables", "departments",
               "--keep-extra-indexes")
    assert kept.returncode == 4, kept.stdout + kept.stderr  # a refused change remains
    assert "skipped drop foreign key `emp_dept`" in kept.stdout and "refused drop orphaned table" in kept.stdout
    assert pg_schema(pg_server, name) == before

    # the plan drops the key itself: the table drop is decided pending, after it, and both commit
    plan = run("plan", "--desired", str(desired), "--db", url, "--drop-tables", "departments")
    assert plan.returncode == 3 and "refused" not in plan.stdout, plan.stdout + plan.stderr
    assert plan.stdout.index('DROP CONSTRAINT "emp_dept"') < plan.stdout.index('DROP TABLE "departments"')
    applied = run("apply", "--auto-approve", "--desired", str(desired), "--db", url, "--drop-tables", "departments")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Applied 2 change(s); 0 skipped, 0 refused." in applied.stdout
    assert pg_query(pg_server, name, "SELECT to_regclass('departments') IS NULL") == [(True,)]
    assert pg_query(pg_server, name, 'SELECT "id", "dept_id", "name" FROM "employees" ORDER BY 1') == [
        (1, 1, "Ada"), (2, None, "Bob")]
    assert run("plan", "--desired", str(desired), "--db", url).returncode == 0
    no_password(kept, plan, applied)
