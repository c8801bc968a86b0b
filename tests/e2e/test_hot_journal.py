"""SQLite: read-only modes on a database a killed writer left with a hot journal.

A real writer is killed in the middle of a transaction: it opens BEGIN
IMMEDIATE in journal_mode=DELETE, changes rows, creates a table and writes more
than its page cache holds (so changed pages reach the file and the journal is
synced), then SIGKILLs itself before COMMIT. The file is left half-written with
a hot journal, which SQLite must roll back before anyone may read: a read-only
open answers "attempt to write a readonly database".

Each read-only command starts from that very state (the file and its journal
as the writer left them): when the command may write the file and its
directory it rolls the journal back and answers from the last committed state;
as a user who may not (nobody, on a root-owned file), it fails saying what to
do, changes no byte, and works once that advice was followed.
"""
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys

import pytest

import e2e_support as s
import readonly_support as ro

WRITER = r"""
import os, signal, sqlite3, sys
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("PRAGMA journal_mode=DELETE")
con.execute("PRAGMA cache_size=10")
con.execute("BEGIN IMMEDIATE")
con.execute("UPDATE catalog_tag SET name = name || ' (uncommitted)'")
con.execute("DELETE FROM catalog_product_tags")
con.execute("CREATE TABLE half_made (id integer PRIMARY KEY, payload text)")
con.executemany("INSERT INTO half_made (payload) VALUES (?)", [("x" * 1000,)] * 400)
os.kill(os.getpid(), signal.SIGKILL)
"""

CLI_COMMANDS = [
    (["plan", "--desired", "{desired}", "--db", "{url}"], 3, "catalog_productdetail"),
    (["apply", "--dry-run", "--desired", "{desired}", "--db", "{url}"], 0, "catalog_productdetail"),
    (["inspect", "--db", "{url}"], 0, "legacy_orders"),
    (["orphans", "--desired", "{desired}", "--db", "{url}"], 0, "legacy_orders"),
    (["models", "--db", "{url}", "legacy_orders"], 0, "class LegacyOrders"),
]
DJANGO_COMMANDS = [
    (["dbsync", "--dry-run", "--no-color"], 0, "catalog_productdetail"),
    (["dbsync", "--check", "--no-color"], 1, "catalog_productdetail"),
    (["dbsync", "--show-orphaned", "--no-color"], 0, "legacy_orders"),
    (["dbsync", "--list-views", "--no-color"], 0, "legacy_totals"),
    (["dbcheck", "--compare-models", "--no-color"], 1, "catalog_productdetail"),
]


@pytest.fixture
def hot(filled_db, tmp_path):
    """(the hot file, the committed rows and schema, the desired DDL's path):
    a drifted database with a hot journal saved beside it as hot.db /
    hot.db-journal, exactly as the killed writer left them."""
    ro.drift(filled_db)
    rows, schema = s.snapshot_rows(filled_db), s.schema_rows(filled_db)
    desired = ro.desired_file(filled_db)
    proc = subprocess.run([sys.executable, "-c", WRITER, str(filled_db)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == -9, proc.stderr  # SIGKILLed, not finished
    journal = filled_db.parent / (filled_db.name + "-journal")
    assert journal.stat().st_size > 0
    # SQLite itself cannot read it without writing
    con = sqlite3.connect("file:%s?mode=ro" % filled_db, uri=True)
    with pytest.raises(sqlite3.OperationalError, match="attempt to write a readonly database"):
        con.execute("SELECT count(*) FROM catalog_tag").fetchone()
    con.close()
    shutil.copyfile(filled_db, tmp_path / "hot.db")
    shutil.copyfile(journal, tmp_path / "hot.db-journal")
    yield tmp_path / "hot.db", rows, schema, desired
    shutil.rmtree(desired.parent, ignore_errors=True)


def _place_hot_state(hot_db, acct):
    """The killed writer's file and journal, put where the account's database is."""
    shutil.copyfile(hot_db, acct.path)
    shutil.copyfile(str(hot_db) + "-journal", str(acct.path) + "-journal")


def _cli(acct, args, desired):
    return ro.run_cli(acct, *[a.format(desired=desired, url=acct.url()) for a in args])


def _django(acct, argv):
    out = ro.output_dir_for(acct)
    try:
        (run,) = ro.run_django(acct, [argv], out)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return run["code"], run["out"], run["err"]


def _assert_committed_state(path, rows, schema):
    """The rows and schema of the last commit: the writer's work is gone."""
    assert s.schema_rows(path) == schema
    assert s.snapshot_rows(path) == rows
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        con.close()


def test_read_only_modes_roll_back_a_hot_journal_they_may_write(hot):
    hot_db, rows, schema, desired = hot
    acct = ro.SqliteAccount(hot_db, reader=False)
    try:
        runs = [(args, code, word, lambda a=args: _cli(acct, a, desired)) for args, code, word in CLI_COMMANDS]
        runs += [(argv, code, word, lambda a=argv: _django(acct, a)) for argv, code, word in DJANGO_COMMANDS]
        for args, code, word, run in runs:
            _place_hot_state(hot_db, acct)
            rc, out, err = run()
            assert rc == code and word in out + err, "%s: exit %s\n%s%s" % (args, rc, out, err)
            assert "half_made" not in out + err and "uncommitted" not in out + err
            assert sorted(p.name for p in acct.dir.iterdir()) == ["app.sqlite3"], args  # the journal is gone
            _assert_committed_state(acct.path, rows, schema)
    finally:
        acct.drop()


def test_a_reader_that_may_not_roll_back_is_told_what_to_do(hot):
    hot_db, rows, schema, desired = hot
    acct = ro.SqliteAccount(hot_db, reader=True)
    try:
        _place_hot_state(hot_db, acct)
        journal = str(acct.path) + "-journal"
        before = (s.file_digest(acct.path), s.file_digest(journal))
        advice = set()
        runs = [(args, lambda a=args: _cli(acct, a, desired)) for args, _code, _word in CLI_COMMANDS]
        runs += [(argv, lambda a=argv: _django(acct, a)) for argv, _code, _word in DJANGO_COMMANDS]
        for args, run in runs:
            rc, out, err = run()
            text = out + err
            assert rc == 1, "%s: exit %s\n%s" % (args, rc, text)
            assert "a writer stopped in the middle of a transaction" in text, text
            assert "hot journal (%s)" % journal in text, text
            assert "this user may not write the database file" in text, text
            assert "Traceback" not in text, text
            advice.add(text.split("`")[1])
            # nothing was written: same bytes, no new file
            assert (s.file_digest(acct.path), s.file_digest(journal)) == before
            assert sorted(p.name for p in acct.dir.iterdir()) == ["app.sqlite3", "app.sqlite3-journal"]
        # every command gives the same advice; the owner follows it
        assert advice == {"sqlite3 %s 'PRAGMA quick_check'" % acct.path}
        fix = subprocess.run(shlex.split(advice.pop()), capture_output=True, text=True, timeout=60)
        assert fix.returncode == 0 and fix.stdout.strip() == "ok", fix.stdout + fix.stderr
        _assert_committed_state(acct.path, rows, schema)
        for args, code, word in CLI_COMMANDS:
            rc, out, err = _cli(acct, args, desired)
            assert rc == code and word in out, "%s: exit %s\n%s%s" % (args, rc, out, err)
        for argv, code, word in DJANGO_COMMANDS:
            rc, out, err = _django(acct, argv)
            assert rc == code and word in out + err, "%s: exit %s\n%s%s" % (argv, rc, out, err)
        assert sorted(p.name for p in acct.dir.iterdir()) == ["app.sqlite3"]
        _assert_committed_state(acct.path, rows, schema)
    finally:
        acct.drop()


def test_a_directory_it_may_not_write_is_named(hot):
    """The file is the reader's own, but deleting the journal needs its
    directory, which is root's: the reason given is the directory."""
    import os

    hot_db, _rows, _schema, desired = hot
    acct = ro.SqliteAccount(hot_db, reader=True)
    try:
        _place_hot_state(hot_db, acct)
        os.chown(acct.path, ro.NOBODY.pw_uid, ro.NOBODY.pw_gid)
        rc, out, err = _cli(acct, CLI_COMMANDS[0][0], desired)
        assert rc == 1, out + err
        assert "this user may not create or delete files in its directory" in err, err
        assert sorted(p.name for p in acct.dir.iterdir()) == ["app.sqlite3", "app.sqlite3-journal"]
    finally:
        acct.drop()
