"""Retries through manage.py dbsync (--retry-failed / -rf, --max-retries / -mr,
RETRY_FAILED_OPERATIONS, MAX_RETRY_ATTEMPTS), on SQLite, PostgreSQL and
MariaDB: another connection holds a lock on the table dbsync must change and
lets it go only once dbsync's first attempt has failed on it (never after a
fixed delay); with retries the run gets through, without them it fails and
names the failed operation, its attempts and the database's error.
A permanent failure (the database refuses the change itself) is tried once
only, even with retries on, and shown with the database's code and message.
"""
import contextlib
import re
import sqlite3
import threading
import time

import pytest
from django.test import override_settings

import e2e_support as s

TABLE, COLUMN = "catalog_supplier", "website"


def qi(db, name):
    return "`%s`" % name if s.is_my(db) else '"%s"' % name


def _drift(db):
    # dbsync adds the column back: an ALTER that needs the table to itself
    s.execute(db, "ALTER TABLE %s DROP COLUMN %s" % (qi(db, TABLE), qi(db, COLUMN)))


# How long one statement of dbsync waits for a lock (MariaDB counts lock waits
# in whole seconds).
LOCK_TIMEOUT_MS = {"sqlite": 200, "postgresql": 200, "mysql": 1000}

# Who waits for a table's metadata lock on MariaDB.
MY_WAITERS = "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE STATE LIKE 'Waiting for table%'"


def _release_after_first_wait(db, release, done):
    """On MariaDB, where each DDL statement is retried by itself (no progress
    callback between its attempts): release the lock once dbsync's statement
    has waited for it and given up (a waiter seen, then gone), so the run is
    sure to fail once and a retry then finds the table free."""
    mon = db.server.connect()
    cur = mon.cursor()
    seen = False
    try:
        while not done.is_set():
            cur.execute(MY_WAITERS)
            waiting = cur.fetchone()[0] > 0
            if waiting:
                seen = True
            elif seen:
                break
            time.sleep(0.02)
    finally:
        mon.close()
        release()


def _on_second_attempt(monkeypatch, release):
    """Where the plan runs in one transaction (SQLite, PostgreSQL), dbsync tells
    itself when its first attempt failed: the progress callback of
    Connection.apply (which the command passes only on a terminal, given here)
    is called before the first operation of each attempt; its second call
    means the first attempt failed, and `release` runs then, before that
    operation runs again."""
    from django_dbsync import output

    starts = []

    def hook(done, total, op, finished):
        if not finished and done == 0:
            starts.append(op["summary"])
            if len(starts) == 2:
                release()

    @contextlib.contextmanager
    def progress(self, plan):
        yield {"progress": hook}

    monkeypatch.setattr(output.Printer, "progress", progress)


@contextlib.contextmanager
def lock_held(db, monkeypatch=None):
    """Another connection that read the table in an open transaction, committed
    only once dbsync's first attempt has failed on it, never after a delay:
    with `monkeypatch`, on SQLite and PostgreSQL when dbsync starts its second
    attempt (_on_second_attempt), on MariaDB when dbsync's statement was seen
    waiting and then gone. On SQLite the reader keeps dbsync's COMMIT from
    getting the file to itself. Without `monkeypatch` the lock is held for the
    whole run, and on SQLite it is a write transaction: dbsync's BEGIN
    IMMEDIATE cannot get past it at all."""
    if s.is_pg(db):
        con = db.connect(autocommit=False)
        con.execute("SELECT count(*) FROM %s" % qi(db, TABLE)).fetchall()
    elif s.is_my(db):
        con = db.server.connect(db.name)
        cur = con.cursor()
        cur.execute("START TRANSACTION")
        cur.execute("SELECT COUNT(*) FROM %s" % qi(db, TABLE))
        cur.fetchall()
    else:
        con = sqlite3.connect(str(db), isolation_level=None, check_same_thread=False)
        if monkeypatch is None:
            con.execute("BEGIN IMMEDIATE")
        else:
            # a reader's shared lock lets dbsync begin and change the table but
            # not commit: in a rollback journal the writer needs the file alone
            assert con.execute("PRAGMA journal_mode").fetchone()[0] != "wal"
            con.execute("BEGIN")
            con.execute("SELECT count(*) FROM %s" % qi(db, TABLE)).fetchall()
    done = threading.Event()
    thread = None
    if monkeypatch is not None and s.is_my(db):
        thread = threading.Thread(target=_release_after_first_wait, args=(db, con.commit, done))
        thread.start()
    elif monkeypatch is not None:
        _on_second_attempt(monkeypatch, con.commit)
    try:
        yield
    finally:
        done.set()
        if thread:
            thread.join()
        con.close()


def _settings(backend, **extra):
    d = {"LOCK_TIMEOUT_MS": LOCK_TIMEOUT_MS[backend]}
    d.update(extra)
    return d


@pytest.mark.parametrize("backend", s.ALL_BACKENDS)
@pytest.mark.parametrize("flags", [("--retry-failed",), ("-rf", "-mr", "6"), ()])
def test_lock_held_by_another_connection_is_retried_until_released(db_filled, backend, flags, monkeypatch):
    _drift(db_filled)
    # no flag: the settings ask for retries
    conf = _settings(backend, RETRY_FAILED_OPERATIONS=not flags, MAX_RETRY_ATTEMPTS=6)
    with override_settings(DJANGO_DBSYNC=conf), lock_held(db_filled, monkeypatch):
        r = s.dbsync("--auto-approve", "-v", "3", *flags)
    assert r.code == 0, r.text
    assert COLUMN in s.column_names(db_filled, TABLE)
    # -v 3 times each operation and says when it took more than one attempt
    attempts = [int(n) for n in re.findall(r"(\d+) attempts", r.out)]
    assert attempts and max(attempts) >= 2, r.out
    assert "Failed" not in r.text


@pytest.mark.parametrize("backend", s.ALL_BACKENDS)
def test_without_retries_the_failure_is_reported_with_its_attempts(db_filled, backend):
    _drift(db_filled)
    before = s.schema_rows(db_filled)
    with override_settings(DJANGO_DBSYNC=_settings(backend)), lock_held(db_filled):
        r = s.dbsync("--auto-approve")
    assert r.code == 2, r.text
    message = str(r.error)
    if backend == "sqlite":
        # the lock stops BEGIN IMMEDIATE: no operation ran, nothing changed
        assert "locked" in message or "busy" in message, message
        assert s.schema_rows(db_filled) == before
        return
    # the end of the run lists the failed operation: kind, table, attempts, the database's error
    code = "55P03" if backend == "postgresql" else "1205"
    line = next(line for line in r.err.splitlines() if "add_column on %s" % TABLE in line)
    assert "1 attempt," in line and "[%s]" % code in line, r.err
    assert COLUMN not in s.column_names(db_filled, TABLE)


@pytest.mark.parametrize("backend", s.ALL_BACKENDS)
def test_max_retries_must_not_be_negative(db_filled, backend):
    _drift(db_filled)
    r = s.dbsync("--auto-approve", "--max-retries", "-1")
    assert r.code == 2 and "--max-retries" in str(r.error)
    assert COLUMN not in s.column_names(db_filled, TABLE)


@pytest.mark.parametrize("backend", s.ALL_BACKENDS)
def test_binding_progress_callback_and_its_exception(db_migrated, backend):
    """Connection.apply(progress=...): called before and after each operation
    with the GIL held; an exception in it stops the apply and is raised as is."""
    _drift(db_migrated)
    from django_dbsync.desired import Selection, build_desired
    from django_dbsync import conf

    desired = build_desired("default", Selection(conf.get_settings("default")))
    with s.engine_connect(db_migrated) as conn:
        plan = conn.plan(desired.sql, desired.metadata_json)
        assert plan.pending_count == 1

        class Stop(Exception):
            pass

        def stop_after(done, total, op, finished):
            if finished:
                raise Stop(op["summary"])

        with pytest.raises(Stop, match="add column `website`"):
            conn.apply(plan, progress=stop_after, max_retries=3)
    # rolled back where DDL is transactional; MySQL's ALTER committed itself
    assert (COLUMN in s.column_names(db_migrated, TABLE)) == (backend == "mysql")

    calls = []
    with s.engine_connect(db_migrated) as conn:
        plan = conn.plan(desired.sql, desired.metadata_json)
        conn.apply(plan, progress=lambda *a: calls.append((a[0], a[1], a[2]["status"], a[3])))
        ops = [op for op in plan.ops if op["status"] == "applied"]
    if backend == "mysql":
        assert calls == [] and ops == []  # nothing was left to do
    else:
        assert calls == [(0, 1, "pending", False), (1, 1, "pending", True)]
        assert ops[0]["attempts"] == 1 and ops[0]["elapsed_ms"] > 0 and ops[0]["error"] is None



def _permanent_failure(db):
    """A change the planner lets through but the database refuses for good,
    however often it is tried; returns (code shown, words of the database's message)."""
    if s.is_pg(db):
        # the table belongs to another role: CREATE INDEX needs its owner
        from conftest import use_database
        from e2e_pg import PW_ROLE

        db.execute('DROP INDEX "product_released_idx"', "GRANT ALL ON SCHEMA public TO %s" % PW_ROLE,
                   "GRANT ALL ON ALL TABLES IN SCHEMA public TO %s" % PW_ROLE,
                   "GRANT CREATE ON DATABASE %s TO %s" % (s.q(db.name), PW_ROLE))
        use_database("default", db.settings_dict(user=PW_ROLE, password=db.server.password))
        return "[42501]", "must be owner"
    if s.is_my(db):
        # MariaDB's planner does not look at the values: the ALTER fails on them
        s.execute(db, "ALTER TABLE `catalog_product` MODIFY `weight_kg` varchar(20) NULL",
                  "UPDATE `catalog_product` SET `weight_kg` = 'heavy'")
        return "[22007]", "Truncated incorrect DOUBLE value"
    # the rebuild that adds the CHECK back copies rows that violate it
    s.rebuild_table(db, "catalog_supplier", lambda sql: sql.split(', CONSTRAINT "supplier_rating_range"')[0] + ")")
    s.execute(db, 'UPDATE "catalog_supplier" SET "rating" = 9')
    return "[275]", "CHECK constraint failed"


@pytest.mark.parametrize("backend", s.ALL_BACKENDS)
def test_permanent_failure_is_not_retried_and_shows_the_database_error(db_filled, backend):
    code, words = _permanent_failure(db_filled)
    r = s.dbsync("--auto-approve", "-rf", "-mr", "5")
    assert r.code == 2, r.text
    # the end of the run: one attempt only, with the database's own code and message
    [line] = [line for line in r.err.splitlines() if ": 1 attempt, last error " in line]
    assert code in line and words in line, r.err
    assert "attempts" not in r.err, r.err
    # verbosity 0 prints errors only: the failure, nothing else
    quiet = s.dbsync("--auto-approve", "-rf", verbosity=0)
    assert quiet.code == 2 and quiet.out == "", quiet.text
    assert [ln for ln in quiet.err.splitlines() if ": 1 attempt, last error " in ln], quiet.err
