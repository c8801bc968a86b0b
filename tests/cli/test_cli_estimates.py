"""`dbsync plan` and `dbsync orphans` only look: they show the catalog's row
estimates (SQLite: what ANALYZE left in sqlite_stat1), say so, and read no
table; --exact-counts counts. The orphan's root page is overwritten, so any
read of its rows fails ("database disk image is malformed") while the schema
still reads: a plan or listing that counted would show that error."""
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


def test_plan_and_orphans_show_estimates_and_read_no_table(trapped):
    url, desired = trapped(analyze=True)
    plan = run("plan", "--desired", desired, "--db", url, "--drop-tables", "old")
    assert plan.returncode == 3, plan.stderr
    assert "    touches ~3 row(s) (estimate)\n" in plan.stdout, plan.stdout
    orphans = run("orphans", "--desired", desired, "--db", url)
    assert orphans.returncode == 0, orphans.stderr
    assert "  old: ~3 row(s) (estimate), " in orphans.stdout, orphans.stdout
    doc = json.loads(run("orphans", "--quiet", "--desired", desired, "--db", url).stdout)
    assert doc["rows_method"] == "sqlite_stat1"
    (old,) = [t for t in doc["tables"] if t["name"] == "old"]
    assert old["rows"] == 3 and old["rows_estimated"] is True and old["rows_error"] is None


def test_without_statistics_the_rows_are_unknown_not_counted(trapped):
    url, desired = trapped(analyze=False)
    plan = run("plan", "--desired", desired, "--db", url, "--drop-tables", "old")
    assert plan.returncode == 3, plan.stderr
    assert "touches: not counted (the catalog has no estimate; --exact-counts counts)" in plan.stdout
    orphans = run("orphans", "--desired", desired, "--db", url)
    assert "  old: rows unknown (the catalog has no estimate; --exact-counts counts them), " in orphans.stdout


def test_exact_counts_read_the_table(trapped):
    """The trap sees a count: the proofs above could fail."""
    url, desired = trapped(analyze=True)
    plan = run("plan", "--exact-counts", "--desired", desired, "--db", url, "--drop-tables", "old")
    assert plan.returncode == 1 and "malformed" in plan.stderr, plan.stdout + plan.stderr
    orphans = run("orphans", "--exact-counts", "--desired", desired, "--db", url)
    assert "malformed" in orphans.stdout, orphans.stdout
    usage = run("apply", "--exact-counts", "--desired", desired, "--db", url)
    assert usage.returncode == 2 and "--exact-counts belongs to 'plan' and 'orphans'" in usage.stderr
