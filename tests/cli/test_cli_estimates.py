"""`dbsync orphans` only looks: it shows the catalog's row estimates (SQLite:
what ANALYZE left in sqlite_stat1), says so, and reads no table;
--exact-counts counts. `dbsync plan` previews an apply, so it counts exactly.
The orphan's root page is overwritten, so any read of its rows fails
("database disk image is malformed") while the schema still reads: a listing
that counted would show that error."""
import json
import sqlite3

import pytest

from test_cli import run

DESIRED = 'CREATE TABLE "keep" ("id" integer NOT NULL PRIMARY KEY);\n'
LIVE = """
CREATE TABLE "keep" ("id" integer NOT NULL PRIMARY KEY);
CREATE TABLE "old" ("id" integer NOT NULL PRIMARY KEY, "v" text);
INSERT INTO "old" VALUES (1, 'a'), (2, 'b'), (3, NULL);
"""


def _trap(db, analyze):
    con = sqlite3.connect(db)
    con.executescript(LIVE + ("ANALYZE;" if analyze else ""))
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    root = con.execute("SELECT rootpage FROM sqlite_schema WHERE name = 'old'").fetchone()[0]
    con.close()
    with open(db, "r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(b"\xff")  # no b-tree page type: every read of the table fails


@pytest.fixture
def trapped(tmp_path):
    def make(analyze):
        db, desired = tmp_path / ("a.db" if analyze else "n.db"), tmp_path / "schema.sql"
        desired.write_text(DESIRED)
        _trap(db, analyze)
        return "sqlite:///%s" % db, str(desired)
    return make


def test_orphans_show_estimates_and_read_no_table(trapped):
    url, desired = trapped(analyze=True)
    orphans = run("orphans", "--desired", desired, "--db", url)
    assert orphans.returncode == 0, orphans.stderr
    assert "  old: ~3 row(s) (estimate), " in orphans.stdout, orphans.stdout
    doc = json.loads(run("orphans", "--quiet", "--desired", desired, "--db", url).stdout)
    assert doc["rows_method"] == "sqlite_stat1"
    (old,) = [t for t in doc["tables"] if t["name"] == "old"]
    assert old["rows"] == 3 and old["rows_estimated"] is True and old["rows_error"] is None


def test_without_statistics_the_rows_are_unknown_not_counted(trapped):
    url, desired = trapped(analyze=False)
    orphans = run("orphans", "--desired", desired, "--db", url)
    assert orphans.returncode == 0, orphans.stderr
    assert "  old: rows unknown (the catalog has no estimate; --exact-counts counts them), " in orphans.stdout


def test_exact_counts_and_plan_read_the_table(trapped):
    """The trap sees a count: the proofs above could fail. A plan counts what
    a drop loses, as the apply it previews would."""
    url, desired = trapped(analyze=True)
    orphans = run("orphans", "--exact-counts", "--desired", desired, "--db", url)
    assert "malformed" in orphans.stdout, orphans.stdout
    plan = run("plan", "--desired", desired, "--db", url, "--drop-tables", "old")
    assert plan.returncode == 1 and "malformed" in plan.stderr, plan.stdout + plan.stderr
    for command in ("plan", "apply"):
        usage = run(command, "--exact-counts", "--desired", desired, "--db", url)
        assert usage.returncode == 2 and "--exact-counts belongs to 'orphans'" in usage.stderr, usage.stderr
