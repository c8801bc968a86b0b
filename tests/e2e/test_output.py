"""Terminal output: the header, a status per model, colour rules (--no-color,
--force-color, NO_COLOR, COLORED_OUTPUT), verbosity 0 and 3, the risk tag of
every operation, data-loss warnings with counts, refusal without approval, and
the progress bars of applying and of a long backup (only on a terminal: a
pseudo-terminal test shows them, the captured runs never do).

Data-aware tests run on SQLite, PostgreSQL and MariaDB.
"""
import io
import os
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError
from django.test import override_settings

import e2e_support as s
from django_dbsync import __version__
from django_dbsync.output import data_loss_text

HERE = Path(__file__).resolve().parent
TAGS = 4  # fill.py writes four tags; three get a legacy code
ANSI = "\x1b["
DROP_WARNING = "drops column `legacy_code` of `catalog_tag`, which holds %d non-null values" % (TAGS - 1)


def add_legacy_column(db):
    """An extra column on catalog_tag holding 3 non-null values (and one NULL)."""
    q = (lambda n: "`%s`" % n) if s.is_my(db) else (lambda n: '"%s"' % n)
    s.execute(db, "ALTER TABLE %s ADD COLUMN %s varchar(20) NULL" % (q("catalog_tag"), q("legacy_code")),
              "UPDATE %s SET %s = 'L-1' WHERE %s <> 'bulk'" % (q("catalog_tag"), q("legacy_code"), q("name")))


def _drop_index(db):
    if s.is_my(db):
        s.execute(db, "DROP INDEX `product_released_idx` ON `catalog_product`")
    else:
        s.execute(db, 'DROP INDEX "product_released_idx"')


def _model_line(run, label):
    lines = [line.strip() for line in run.out.splitlines() if re.match(r"\s+\S+ %s: " % re.escape(label), line)]
    assert len(lines) == 1, run.out
    return lines[0]


@pytest.mark.parametrize("backend", s.ALL_BACKENDS)
def test_header_and_a_status_per_model(db_filled):
    db = db_filled
    add_legacy_column(db)  # skipped: AUTO_DROP_COLUMNS is off
    _drop_index(db)        # applied
    run = s.dbsync("--auto-approve")
    assert run.code == 0, run.text
    header = run.out.splitlines()[0]
    assert header.startswith("django-dbsync %s " % __version__) and "database 'default'" in header, header
    assert "Models:" in run.out
    assert _model_line(run, "catalog.Tag") == "⚠️ catalog.Tag: 1 change skipped"
    assert _model_line(run, "catalog.Product") == "✅ catalog.Product: synced (1 change applied)"
    assert _model_line(run, "notes.Notebook") == "✅ notes.Notebook: in sync"
    # the many-to-many table shows under its model, not as a model of its own
    assert "Product_tags" not in run.out.split("Models:")[1]


def test_a_refused_change_shows_its_model_as_failed(db_filled):
    db = db_filled
    if s.is_pg(db):
        s.execute(db, 'ALTER TABLE "catalog_supplier" DROP COLUMN "email"')
    else:
        s.rebuild_table(db, "catalog_supplier", lambda sql: s.replace_once(
            sql, ', "email" varchar(254) NOT NULL UNIQUE', ""))
    run = s.dbsync("--auto-approve")
    assert run.code == 1, run.text
    # the column, and what is over it refused with it: its UNIQUE (and on
    # PostgreSQL the varchar_pattern_ops index Django adds for it)
    refused = 3 if s.is_pg(db) else 2
    assert _model_line(run, "catalog.Supplier") == "❌ catalog.Supplier: %d refused" % refused


def test_dry_run_shows_pending_models(migrated_db):
    _drop_index(migrated_db)
    run = s.dbsync("--dry-run")
    assert run.code == 0, run.text
    assert _model_line(run, "catalog.Product") == "⚠️ catalog.Product: 1 change pending"


# --- data loss ---------------------------------------------------------------------

@pytest.mark.parametrize("backend", s.ALL_BACKENDS)
def test_data_loss_is_counted_before_applying(db_filled):
    db = db_filled
    add_legacy_column(db)
    with override_settings(DJANGO_DBSYNC={"AUTO_DROP_COLUMNS": True}):
        run = s.dbsync("--auto-approve")
    assert run.code == 0, run.text
    assert "Data loss:" in run.out and DROP_WARNING in run.out, run.out
    assert run.out.index(DROP_WARNING) < run.out.index("Applied:")
    # the plan line carries the count too
    assert "[data loss: %d non-null values]" % (TAGS - 1) in run.out
    assert "legacy_code" not in s.column_names(db, "catalog_tag")


@pytest.mark.parametrize("backend", s.ALL_BACKENDS)
def test_data_loss_without_approval_and_without_a_terminal_is_refused(db_filled, monkeypatch):
    db = db_filled
    add_legacy_column(db)
    before = s.snapshot_rows(db)
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))  # would approve if it were read
    with override_settings(DJANGO_DBSYNC={"AUTO_DROP_COLUMNS": True}):
        run = s.dbsync()
    assert run.code == 2 and "not a terminal" in str(run.error), run.text
    assert DROP_WARNING in run.out  # the user is told what would have been lost
    assert "legacy_code" in s.column_names(db, "catalog_tag")
    assert s.snapshot_rows(db) == before


def test_data_loss_runs_only_after_the_prompt_says_yes(filled_db, monkeypatch):
    """On a terminal the warnings come first, then the question; no keeps the data."""
    from django_dbsync.management.commands import dbsync as command

    add_legacy_column(filled_db)
    before = s.snapshot_rows(filled_db)
    monkeypatch.setattr(command, "_stdin_is_tty", lambda: True)
    for answer in ("n", "y"):
        monkeypatch.setattr("builtins.input", lambda answer=answer: answer)
        with override_settings(DJANGO_DBSYNC={"AUTO_DROP_COLUMNS": True}):
            run = s.dbsync()
        assert run.code == 0, run.text
        assert run.out.index(DROP_WARNING) < run.out.index("[y/N]"), run.out
        if answer == "n":
            assert "Cancelled: nothing was changed." in run.out
            assert s.snapshot_rows(filled_db) == before
    assert "legacy_code" not in s.column_names(filled_db, "catalog_tag")


@pytest.mark.parametrize("backend", s.ALL_BACKENDS)
def test_engine_counts_dropped_tables_and_columns(db_empty):
    """The counts themselves, on each server: rows of a dropped table, non-null
    values of a dropped column (pending or skipped), none when counting is off."""
    db = db_empty
    q = (lambda n: "`%s`" % n) if s.is_my(db) else (lambda n: '"%s"' % n)
    s.execute(db, "CREATE TABLE %s (id integer PRIMARY KEY, keep varchar(5), gone varchar(5))" % q("kept"),
              "INSERT INTO %s VALUES (1, 'a', 'x'), (2, 'b', NULL), (3, 'c', 'z')" % q("kept"),
              "CREATE TABLE %s (id integer PRIMARY KEY)" % q("old_rows"),
              "INSERT INTO %s VALUES (1), (2), (3), (4), (5)" % q("old_rows"))
    desired = "CREATE TABLE %s (id integer PRIMARY KEY, keep varchar(5));" % q("kept")
    plan = s.engine_plan(db, desired, drop_columns=True, drop_tables=["old_rows"])
    by_kind = {op["kind"]: op for op in plan.ops if op["risk"] == "data_loss"}
    assert by_kind["drop_table"]["affected"] == 5, plan.ops
    assert by_kind["drop_column"]["affected"] == 2, plan.ops
    skipped = s.engine_plan(db, desired)
    [drop] = [op for op in skipped.ops if op["kind"] == "drop_column"]
    assert drop["status"] == "skipped" and drop["affected"] == 2
    off = s.engine_plan(db, desired, drop_columns=True, count_data_loss=False)
    assert [op["affected"] for op in off.ops] == [None] * len(off.ops)


@pytest.mark.parametrize("backend", s.ALL_BACKENDS)
def test_every_operation_is_tagged_safe_locking_or_data_loss(db_migrated, backend, tmp_path):
    """An added column is safe, a dropped one data loss, and an index build locks
    writers out on PostgreSQL and MariaDB (SQLite locks the whole file for any
    write anyway): in the report of the run and in the plan dbsync prints."""
    import json

    db = db_migrated
    q = (lambda n: "`%s`" % n) if s.is_my(db) else (lambda n: '"%s"' % n)
    _drop_index(db)
    s.execute(db, "ALTER TABLE %s ADD COLUMN %s varchar(20) NULL" % (q("catalog_tag"), q("legacy_code")),
              "ALTER TABLE %s DROP COLUMN %s" % (q("catalog_supplier"), q("website")))
    with override_settings(DJANGO_DBSYNC={"AUTO_DROP_COLUMNS": True, "REPORT_OUTPUT_DIR": str(tmp_path)}):
        run = s.dbsync("--dry-run", "--report", "json")
    assert run.code == 0, run.text
    [path] = tmp_path.glob("dbsync-default-*.json")
    risks = {(op["kind"], op["object"]): op["risk"] for op in json.loads(path.read_text())["operations"]}
    index = "safe" if backend == "sqlite" else "locking"
    assert risks == {("add_column", "website"): "safe", ("drop_column", "legacy_code"): "data_loss",
                     ("add_index", "product_released_idx"): index}, risks
    plan = run.out.split("-- SQL that would run", 1)[0]
    [add] = [line for line in plan.splitlines() if "`website`" in line]
    [drop] = [line for line in plan.splitlines() if "`legacy_code`" in line]
    [build] = [line for line in plan.splitlines() if "product_released_idx" in line]
    assert "[" not in add and drop.endswith(" [data loss: 0 non-null values]"), plan
    assert build.endswith(" [locking]") == (index == "locking"), plan


@pytest.mark.parametrize("backend", s.ALL_BACKENDS)
def test_real_counts_are_shown_with_thousands_separators(db_migrated):
    """The issue's own numbers, counted on live rows: 1,204 non-null values in a
    dropped column (through manage.py dbsync), 3,301 rows in a dropped table."""
    db = db_migrated
    q = (lambda n: "`%s`" % n) if s.is_my(db) else (lambda n: '"%s"' % n)
    tags = ", ".join("('bulk-%d', %s)" % (i, "'x'" if i < 1204 else "NULL") for i in range(1250))
    s.execute(db, "ALTER TABLE %s ADD COLUMN %s varchar(20) NULL" % (q("catalog_tag"), q("legacy_code")),
              "INSERT INTO %s (%s, %s) VALUES %s" % (q("catalog_tag"), q("name"), q("legacy_code"), tags),
              "CREATE TABLE %s (id integer PRIMARY KEY)" % q("old_rows"),
              "INSERT INTO %s VALUES %s" % (q("old_rows"), ", ".join("(%d)" % i for i in range(3301))))
    with override_settings(DJANGO_DBSYNC={"AUTO_DROP_COLUMNS": True}):
        run = s.dbsync("--auto-approve")
    assert run.code == 0, run.text
    assert "drops column `legacy_code` of `catalog_tag`, which holds 1,204 non-null values" in run.out, run.out
    assert "legacy_code" not in s.column_names(db, "catalog_tag")

    plan = s.engine_plan(db, "", drop_tables=["old_rows"])
    [drop] = [op for op in plan.ops if op["kind"] == "drop_table"]
    assert data_loss_text(drop) == "drops table `old_rows` with 3,301 rows"


def test_counts_are_written_with_thousands_separators():
    drop_col = {"kind": "drop_column", "risk": "data_loss", "table": "t", "object": "x", "affected": 1204,
                "summary": ""}
    drop_table = {"kind": "drop_table", "risk": "data_loss", "table": "t", "object": None, "affected": 3301,
                  "summary": ""}
    assert data_loss_text(drop_col) == "drops column `x` of `t`, which holds 1,204 non-null values"
    assert data_loss_text(drop_table) == "drops table `t` with 3,301 rows"
    assert data_loss_text(dict(drop_col, affected=None)) is None


# --- verbosity ---------------------------------------------------------------------

@pytest.mark.parametrize("backend", s.ALL_BACKENDS)
def test_verbosity_0_prints_nothing_but_errors_and_3_every_statement_with_its_time(db_filled):
    db = db_filled
    _drop_index(db)
    quiet = s.dbsync("--auto-approve", verbosity=0)
    assert quiet.code == 0 and quiet.out == "" and quiet.err == "", quiet.text
    assert "product_released_idx" in s.index_names(db, "catalog_product")

    _drop_index(db)
    loud = s.dbsync("--auto-approve", verbosity=3)
    assert loud.code == 0, loud.text
    applied = loud.out.split("Applied:", 1)[1]
    lines = applied.splitlines()
    [at] = [i for i, line in enumerate(lines) if "CREATE INDEX" in line and "product_released_idx" in line]
    timing = lines[at + 1].strip()
    assert re.fullmatch(r"-- \d+\.\d ms(, \d+ attempts)?", timing), applied


# --- colour ------------------------------------------------------------------------

def test_force_color_colours_the_model_statuses(migrated_db):
    _drop_index(migrated_db)
    run = s.dbsync("--auto-approve", "--force-color", color=True)
    line = [ln for ln in run.out.splitlines() if "catalog.Product:" in ln][0]
    assert ANSI in line, repr(line)


def test_colored_output_false_and_no_color_env(migrated_db, monkeypatch):
    _drop_index(migrated_db)
    with override_settings(DJANGO_DBSYNC={"COLORED_OUTPUT": False}):
        run = s.dbsync("--dry-run", color=True)
        assert ANSI not in run.out + run.err
        forced = s.dbsync("--dry-run", "--force-color", color=True)
        assert ANSI in forced.out  # --force-color wins over the setting
    monkeypatch.setenv("NO_COLOR", "1")
    forced = s.dbsync("--dry-run", "--force-color", color=True)
    assert ANSI in forced.out  # and over NO_COLOR


def _on_a_terminal(db, *args, env=None):
    """manage.py dbsync with stdout on a pseudo-terminal: (exit code, what the terminal got).
    `db` is a SQLite file or a PostgreSQL database of the session server."""
    import json
    import pty

    master, slave = pty.openpty()
    if isinstance(db, Path):
        where = dict(DBSYNC_E2E_DB=str(db), DBSYNC_E2E_OTHER_DB=str(db.with_suffix(".other")))
    else:
        settings = {k: v for k, v in db.settings_dict().items() if k != "ENGINE"}
        where = dict(DBSYNC_E2E_PG=json.dumps(settings))
    full_env = dict(os.environ, COLUMNS="200", **where, **(env or {}))
    full_env.pop("DJANGO_SETTINGS_MODULE", None)
    if not env or "NO_COLOR" not in env:
        full_env.pop("NO_COLOR", None)
    chunks = []
    try:
        proc = subprocess.Popen([sys.executable, "manage.py", "dbsync", *args], cwd=HERE, env=full_env,
                                stdin=subprocess.DEVNULL, stdout=slave, stderr=slave)
        os.close(slave)
        slave = None
        while True:
            ready, _, _ = select.select([master], [], [], 120)
            if not ready:
                proc.kill()
                pytest.fail("dbsync on a terminal produced nothing for 120 s:\n" + b"".join(chunks).decode())
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the terminal's other side closed
                break
            if not data:
                break
            chunks.append(data)
        code = proc.wait(timeout=60)
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)
    return code, b"".join(chunks).decode("utf-8", "replace")


def test_colour_on_a_terminal_follows_no_color_and_the_flags(migrated_db):
    _drop_index(migrated_db)
    code, screen = _on_a_terminal(migrated_db, "--dry-run")
    assert code == 0 and ANSI in screen, screen
    code, screen = _on_a_terminal(migrated_db, "--dry-run", env={"NO_COLOR": "1"})
    assert code == 0 and ANSI not in screen, screen
    code, screen = _on_a_terminal(migrated_db, "--dry-run", "--no-color")
    assert code == 0 and ANSI not in screen, screen


# --- progress ----------------------------------------------------------------------

def test_no_progress_bar_when_output_is_not_a_terminal(dbfile):
    run = s.dbsync("--auto-approve")  # creates every table: many operations
    assert run.code == 0, run.text
    assert "\r" not in run.out + run.err and "[#" not in run.out + run.err


def test_progress_bar_on_a_terminal(dbfile):
    code, screen = _on_a_terminal(dbfile, "--auto-approve", "--no-color")
    assert code == 0, screen
    total = len(s.model_tables(*s.PROJECT_APPS))
    bars = re.findall(r"\r\x1b\[2K\[([#-]+)\] (\d+)/(\d+) ", screen)
    assert bars, repr(screen[:2000])
    assert all(int(t) >= total for _, _, t in bars)  # at least one create per table
    assert bars[-1][0] == "#" * len(bars[-1][0]) and bars[-1][1] == bars[-1][2]  # it ends full
    assert "Applied:" in screen and set(s.model_tables(*s.PROJECT_APPS)) <= set(s.user_tables(dbfile))


SLOW_PG_DUMP = """#!/bin/sh
echo "-- a dump that takes its time"
sleep 1.5
echo "-- done"
"""


def _slow_pg_dump(tmp_path):
    """A pg_dump on PATH that takes 1.5 s: a long backup. Returns the new PATH."""
    fake = tmp_path / "slowbin"
    fake.mkdir()
    tool = fake / "pg_dump"
    tool.write_text(SLOW_PG_DUMP)
    tool.chmod(0o700)
    return "%s:%s" % (fake, os.environ.get("PATH", ""))


def test_long_backup_shows_progress_on_a_terminal(pg_migrated, tmp_path):
    import json

    _drop_index(pg_migrated)
    backups = tmp_path / "backups"
    conf = json.dumps({"BACKUP_BEFORE_SYNC": True, "BACKUP_DIR": str(backups)})
    code, screen = _on_a_terminal(pg_migrated, "--auto-approve", "--no-color",
                                  env={"PATH": _slow_pg_dump(tmp_path), "DBSYNC_E2E_SETTINGS": conf})
    assert code == 0, screen
    ticks = re.findall(r"\r\x1b\[2K\[([#-]+)\] backing up: (\d+\.\d) MB, (\d+\.\d) s", screen)
    assert len(ticks) >= 3, repr(screen[:2000])
    assert len({bar for bar, _, _ in ticks}) > 1  # the block moves
    assert float(ticks[-1][2]) >= 1.0
    assert screen.index("backing up:") < screen.index("Backup written:") < screen.index("Applied:")
    [written] = os.listdir(backups)
    assert "a dump that takes its time" in (backups / written).read_text()


def test_long_backup_shows_no_progress_when_not_a_terminal(pg_migrated, tmp_path, monkeypatch):
    _drop_index(pg_migrated)
    monkeypatch.setenv("PATH", _slow_pg_dump(tmp_path))
    with override_settings(DJANGO_DBSYNC={"BACKUP_BEFORE_SYNC": True, "BACKUP_DIR": str(tmp_path / "b")}):
        run = s.dbsync("--auto-approve")
    assert run.code == 0, run.text
    assert "Backup written:" in run.out
    assert "\r" not in run.out + run.err and "backing up" not in run.out + run.err
