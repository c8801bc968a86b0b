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
