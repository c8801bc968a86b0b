"""The Django command lists what the engine does not handle in the models' DDL,
as the CLI does (issue 14), and such a run changes nothing and exits 1 unless
--ignore-unsupported is given.

The DDL is Django's own: the `unhandled` app's model carries an index class
whose create_sql is a trigger (tests/e2e/unhandled/models.py), installed in a
manage.py subprocess only. Against a real SQLite file.
"""
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _manage(db, *args):
    env = dict(os.environ, DBSYNC_E2E_DB=str(db), DBSYNC_E2E_OTHER_DB=str(db.with_suffix(".other")),
               DBSYNC_E2E_EXTRA_APPS=json.dumps(["unhandled"]))
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run([sys.executable, "manage.py", "dbsync", "--no-color", "--include-apps", "unhandled",
                           *args], cwd=HERE, env=env, capture_output=True, text=True, timeout=120)


def _schema(db):
    with sqlite3.connect(db) as con:
        return sorted(con.execute("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"))


def test_command_lists_unhandled_statements_and_refuses_unless_ignored(tmp_path):
    db = tmp_path / "app.sqlite3"
    sqlite3.connect(db).close()
    listed = "line 2: CREATE TRIGGER touched_trg"
    # the DDL as Django writes it holds the trigger, on line 2
    ddl = _manage(db, "--dry-run", "-v", "3")
    assert 'CREATE TRIGGER "touched_trg" AFTER UPDATE ON "unhandled_touched"' in ddl.stdout, ddl.stdout
    for args, what in ((("--dry-run",), "plan"), (("--check",), "plan"), (("--auto-approve",), "apply")):
        proc = _manage(db, *args)
        out = proc.stdout + proc.stderr
        assert proc.returncode == 1, out
        assert "Not handled (dbsync neither creates nor compares these):" in proc.stdout, out
        assert "  " + listed + "\n" in proc.stdout, out
        assert "1 statement of the models' DDL is not handled (listed above)" in proc.stderr, out
        assert "pass --ignore-unsupported to %s without it" % what in proc.stderr, out
        assert _schema(db) == [], out  # nothing applied, not even the table
    dry = _manage(db, "--dry-run")
    assert 'CREATE TABLE "unhandled_touched"' in dry.stdout, dry.stdout  # the SQL is shown all the same
    # -v 0 still says it, on stderr
    quiet = _manage(db, "--check", "-v", "0")
    assert quiet.returncode == 1 and listed in quiet.stderr, quiet.stdout + quiet.stderr
    # accepted: the table is made, the trigger is not, and it stays listed
    proc = _manage(db, "--auto-approve", "--ignore-unsupported")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert listed in proc.stdout
    assert [(t, n) for t, n, _ in _schema(db)] == [("table", "unhandled_touched")]
    proc = _manage(db, "--check", "--ignore-unsupported")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No changes to what dbsync handles." in proc.stdout and listed in proc.stdout, proc.stdout
    # without the flag the same in-sync database is never reported as in sync
    proc = _manage(db, "--check")
    assert proc.returncode == 1 and "No changes to what dbsync handles." in proc.stdout, proc.stdout + proc.stderr
    assert "matches the models" not in proc.stdout
