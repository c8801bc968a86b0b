"""Read-only means read-only (issue 10), proven with accounts that may only read.

On each backend a migrated, filled database is drifted (so every plan has
something in it) and given an orphaned table and a view. Then every read-only
mode runs, first as an account that may write everything (the owner), then as
one with read rights only (readonly_support.py says exactly which): the CLI's
`plan`, `apply --dry-run`, `inspect`, `orphans`, `models`, and Django's
`dbsync --dry-run` / `--check` / `--show-orphaned` / `--list-views` /
`--generate-orphaned-models` / `--report-views` / `--suggest-manual-commands` /
`--drop-orphaned --dry-run` / `--dry-run --report json` and `dbcheck` with each
read-only flag. Around each account's runs the database is snapshotted byte
for byte (pg_dump or mariadb-dump of schema and data plus the catalog rows;
SQLite: the file's sha256 and the directory's listing, so no -journal, -wal or
-shm appears), and the snapshots must be equal. The reader must get the same
answers as the owner.
"""
import difflib
import os
import re
import shutil
import sqlite3

import pytest

import e2e_support as s
import readonly_support as ro

DJANGO_COMMANDS = [
    ["dbsync", "--dry-run", "--no-color"],
    ["dbsync", "--check", "--no-color"],
    ["dbsync", "--dry-run", "--report", "json", "--no-color"],
    ["dbsync", "--show-orphaned", "--no-color"],
    ["dbsync", "--list-views", "--no-color"],
    ["dbsync", "--generate-orphaned-models", "--no-color"],
    ["dbsync", "--report-views", "--no-color"],
    ["dbsync", "--suggest-manual-commands", "--no-color"],
    ["dbsync", "--drop-orphaned", "--dry-run", "--no-color"],
    ["dbcheck", "--no-color"],
    ["dbcheck", "--compare-models", "--verbose", "--no-color"],
    ["dbcheck", "--check-case-mismatches", "--no-color"],
    ["dbcheck", "--check-name-conflicts", "--no-color"],
    ["dbcheck", "--table", "catalog_tag", "--verbose", "--no-color"],
]

# What each Django run must say (and its exit status): proof that it really
# read the drifted database rather than failing early.
DJANGO_EXPECT = {
    0: (0, ["catalog_productdetail", "website"]),
    1: (1, []),
    2: (0, ["catalog_productdetail", ".json"]),
    3: (0, ["legacy_orders"]),
    4: (0, ["legacy_totals"]),
    5: (0, ["Wrote models"]),
    6: (0, ["Wrote models"]),
    7: (0, []),
    8: (0, ["legacy_orders"]),
    9: (1, []),
    10: (1, ["catalog_productdetail"]),
    11: (0, []),
    12: (0, []),
    13: (0, ["legacy_code"]),
}


def cli_commands(desired, url):
    return [
        (["plan", "--desired", desired, "--db", url], 3, ["catalog_productdetail", "website"]),
        (["apply", "--dry-run", "--desired", desired, "--db", url], 0, ["catalog_productdetail", "website"]),
        (["inspect", "--db", url], 0, ["legacy_orders", "legacy_code"]),
        (["orphans", "--desired", desired, "--db", url], 0, ["legacy_orders", "legacy_totals"]),
        (["models", "--db", url, "legacy_orders", "legacy_totals"], 0, ["class LegacyOrders", "class LegacyTotals"]),
    ]


def assert_unchanged(before, after, who):
    """Equal snapshots, or a readable account of what changed."""
    if before == after:
        return
    lines = []
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            a, b = before.get(key), after.get(key)
            a = a.splitlines() if isinstance(a, str) else [repr(r) for r in (a if isinstance(a, list) else [a])]
            b = b.splitlines() if isinstance(b, str) else [repr(r) for r in (b if isinstance(b, list) else [b])]
            if isinstance(before.get(key), dict):
                a = ["%s: %r" % kv for kv in sorted(before[key].items())]
                b = ["%s: %r" % kv for kv in sorted(after[key].items())]
            lines.append("== %s changed:" % key)
            lines.extend(list(difflib.unified_diff(a, b, lineterm="", n=1))[:60])
    raise AssertionError("the read-only runs as %s changed the database:\n%s" % (who, "\n".join(lines)))


def normalized(text, acct, outdir):
    """Output with what differs between two accounts by design masked: the
    user and password, the SQLite copy's directory, the report directory and
    the times in report file names."""
    for secret in (getattr(acct, "password", None),):
        if secret:
            assert secret not in text, "the password was printed"
    text = text.replace(str(outdir), "<out>")
    if isinstance(acct, ro.SqliteAccount):
        text = text.replace(str(acct.dir), "<dir>")
    user = getattr(acct, "user", None) or ("root" if isinstance(acct, ro.MyOwner) else None)
    if user:  # as the URLs and the servers' messages spell it
        for spelling in ("//%s@", "user=%s", "'%s'@"):
            text = text.replace(spelling % user, spelling % "<user>")
    return re.sub(r"\d{8}[-_T]?\d{6}(\.\d+)?", "<time>", text)


def run_as(db, reader, desired, source=None):
    """Every read-only mode as the owner or the reader, between two snapshots.
    Returns the runs' normalized results."""
    acct = ro.account(db, reader, source)
    outdir = ro.output_dir_for(acct)
    who = "the reader" if reader else "the owner"
    try:
        before = ro.snapshot(db, acct)
        results = []
        for args, code, wanted in cli_commands(desired, acct.url()):
            rc, out, err = ro.run_cli(acct, *args)
            assert rc == code, "dbsync %s as %s: exit %s\n%s%s" % (args[0], who, rc, out, err)
            for word in wanted:
                assert word in out, "dbsync %s as %s does not mention %s:\n%s" % (args[0], who, word, out)
            results.append((args[0], rc, normalized(out + err, acct, outdir)))
        for i, run in enumerate(ro.run_django(acct, DJANGO_COMMANDS, outdir)):
            code, wanted = DJANGO_EXPECT[i]
            text = run["out"] + run["err"]
            assert run["code"] == code, "%s as %s: exit %s\n%s" % (" ".join(run["argv"]), who, run["code"], text)
            for word in wanted:
                assert word in text, "%s as %s does not mention %s:\n%s" % (" ".join(run["argv"]), who, word, text)
            results.append((" ".join(run["argv"]), run["code"], normalized(text, acct, outdir)))
        after = ro.snapshot(db, acct)
        assert_unchanged(before, after, who)
        if isinstance(acct, ro.SqliteAccount):
            assert after["files"] == ["app.sqlite3"], after["files"]
        if s.is_my(db):
            assert after["shadows"] == [], "shadow databases left behind: %s" % after["shadows"]
        return results
    finally:
        acct.drop()
        shutil.rmtree(outdir, ignore_errors=True)


@pytest.mark.parametrize("backend", s.ALL_BACKENDS)
def test_every_read_only_mode_works_for_a_reader_and_changes_nothing(db_filled, backend):
    db = db_filled
    ro.drift(db)
    desired = ro.desired_file(db)
    try:
        owner = run_as(db, False, str(desired))
        reader = run_as(db, True, str(desired))
    finally:
        shutil.rmtree(desired.parent, ignore_errors=True)
    if backend == "mysql":
        # MariaDB shows a view's definition only to a user with SHOW VIEW, a
        # right the reader lacks (docs/readonly.md): inspect says so instead
        # of printing a broken CREATE VIEW, and that is the one difference
        no_definition = r"-- view \1: the server showed this user no definition (MySQL and MariaDB show " \
                        r"it only with the SHOW VIEW privilege)"
        owner = [(name, code, re.sub(r"(?m)^CREATE VIEW (`legacy_totals`) AS .*;$", no_definition, text)
                  if name == "inspect" else text) for name, code, text in owner]
    # the reader sees exactly what the owner sees
    differ = ["%s:\n%s" % (mine[0], "\n".join(difflib.unified_diff(
        theirs[2].splitlines(), mine[2].splitlines(), "owner", "reader", lineterm="")))
        for mine, theirs in zip(reader, owner) if mine != theirs]
    assert not differ, "the reader's answers differ from the owner's:\n" + "\n".join(differ)


def test_a_wal_database_the_reader_cannot_open_says_why_and_changes_nothing(filled_db):
    """SQLite reads a WAL-mode database only through its -wal and -shm files,
    which exist while some connection has it open: a reader that may not
    create them is told so (not "attempt to write a readonly database"), and
    reads it while the application holds it open."""
    ro.drift(filled_db)
    con = sqlite3.connect(filled_db)
    assert con.execute("PRAGMA journal_mode=WAL").fetchone() == ("wal",)
    con.close()
    desired = ro.desired_file(filled_db)
    acct = ro.account(filled_db, True)
    outdir = ro.output_dir_for(acct)
    try:
        before = ro.snapshot(filled_db, acct)
        assert before["files"] == ["app.sqlite3"]
        rc, out, err = ro.run_cli(acct, "plan", "--desired", str(desired), "--db", acct.url())
        (django,) = ro.run_django(acct, [["dbsync", "--dry-run", "--no-color"]], outdir)
        for code, text in ((rc, out + err), (django["code"], django["out"] + django["err"])):
            assert code == 1, text
            assert "it is in WAL mode" in text and "may not create in its directory" in text, text
            assert "sqlite3 %s 'PRAGMA journal_mode=DELETE'" % acct.path in text, text
        assert ro.snapshot(filled_db, acct) == before
        # while the application has it open, the -wal and -shm files exist
        app = sqlite3.connect(acct.path)
        try:
            app.execute("SELECT count(*) FROM catalog_tag").fetchone()
            rc, out, err = ro.run_cli(acct, "plan", "--desired", str(desired), "--db", acct.url())
            assert rc == 3 and "catalog_productdetail" in out, out + err
        finally:
            app.close()
        assert ro.snapshot(filled_db, acct) == before
    finally:
        acct.drop()
        shutil.rmtree(outdir, ignore_errors=True)
        shutil.rmtree(desired.parent, ignore_errors=True)


def test_a_missing_sqlite_database_stays_missing(migrated_db):
    """A read-only run against a SQLite file that does not exist yet creates
    nothing, though the account could create it: Python's sqlite3 (Django's
    own connection, opened by the system checks and the schema editor) and
    the engine both create a missing file on connect unless told not to. The
    plans are honest: every model table is created."""
    acct = ro.account(migrated_db, False)
    acct.path.unlink()
    outdir = ro.output_dir_for(acct)
    desired = ro.desired_file(migrated_db)
    try:
        expect_cli = {"plan": (3, "create table `catalog_tag`"), "apply": (0, "create table `catalog_tag`"),
                      "inspect": (0, ""), "orphans": (0, "No orphaned tables"),
                      "models": (1, 'no table or view named "legacy_orders"')}
        for args, _, _ in cli_commands(str(desired), acct.url()):
            rc, out, err = ro.run_cli(acct, *args)
            code, word = expect_cli[args[0]]
            assert (rc, word in out + err) == (code, True), "dbsync %s: exit %s\n%s%s" % (args[0], rc, out, err)
            assert not acct.path.exists(), "dbsync %s created %s" % (args[0], acct.path)
        for run in ro.run_django(acct, DJANGO_COMMANDS, outdir):
            text = run["out"] + run["err"]
            assert run["code"] in (0, 1), "%s: exit %s\n%s" % (" ".join(run["argv"]), run["code"], text)
            if run["argv"][:2] in (["dbsync", "--dry-run"], ["dbsync", "--check"]):
                assert "does not exist yet" in text and "creates nothing" in text, text
                assert "CREATE TABLE \"catalog_tag\"" in text or run["argv"][1] == "--check", text
            if run["argv"][:2] == ["dbcheck", "--no-color"]:
                assert run["code"] == 1 and "tables in the database: 0" in text, text
        assert os.listdir(acct.dir) == [], "a read-only run left %s behind" % os.listdir(acct.dir)
    finally:
        acct.drop()
        shutil.rmtree(outdir, ignore_errors=True)
        shutil.rmtree(desired.parent, ignore_errors=True)
