"""`manage.py dbsync --check` and `manage.py dbcheck` read no table: the row
numbers they show are the catalog's estimates, said to be estimates, and
--exact-counts counts. Each server watches the tables while they run:

- SQLite: the tables' root pages are overwritten, so any read of them fails
  ("database disk image is malformed") while the schema still reads;
- PostgreSQL: pg_stat_user_tables' seq_scan + idx_scan of the tables, before
  and after, once every other session has ended (a session flushes its
  statistics as it ends);
- MariaDB: another session holds the tables under LOCK TABLES ... WRITE, and
  lock_wait_timeout is short, so a read fails instead of waiting.

The same watch then sees --exact-counts read them, so it can tell. The
planner's "is the table empty?" before adding a NOT NULL column without a
default reads the estimate too in a check, and says the apply counts first.
"""
import contextlib
import time

import pytest
from django.test import override_settings

import e2e_support as s
from test_dbcheck import dbcheck
from test_output import TAGS, add_legacy_column

WATCHED = ("legacy_trap", "catalog_tag")
SETTINGS = {"AUTO_DROP_COLUMNS": True}


def _q(db, name):
    return "`%s`" % name if s.is_my(db) else '"%s"' % name


def add_orphan(db):
    """An orphan with 3 rows, catalog_tag's extra column, and statistics for both."""
    add_legacy_column(db)
    s.execute(db, "CREATE TABLE %s (id integer NOT NULL PRIMARY KEY, note varchar(10) NULL)" % _q(db, "legacy_trap"),
              "INSERT INTO %s VALUES (1, 'a'), (2, 'b'), (3, NULL)" % _q(db, "legacy_trap"))
    if s.is_my(db):
        s.execute(db, "ANALYZE TABLE `legacy_trap`, `catalog_tag`")
    elif s.is_pg(db):
        s.execute(db, 'ANALYZE "legacy_trap"', 'ANALYZE "catalog_tag"')
    else:
        s.execute(db, "ANALYZE")


def _corrupt_root_pages(path, tables):
    import sqlite3

    con = sqlite3.connect(str(path))
    try:
        page_size = con.execute("PRAGMA page_size").fetchone()[0]
        roots = [con.execute("SELECT rootpage FROM sqlite_schema WHERE name = ?", (t,)).fetchone()[0]
                 for t in tables]
    finally:
        con.close()
    with open(path, "r+b") as f:
        for root in roots:
            f.seek((root - 1) * page_size)
            f.write(b"\xff")  # no b-tree page type: every read of the table fails


def _pg_scans(con, tables):
    """seq_scan + idx_scan of the watched tables, once no other client session
    of the database is left (each flushed its statistics as it ended)."""
    for _ in range(600):
        others = con.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                             "AND pid <> pg_backend_pid() AND backend_type = 'client backend'").fetchone()[0]
        if not others:
            break
        time.sleep(0.05)
    else:
        pytest.fail("other sessions of the database did not end")
    con.execute("SELECT pg_stat_clear_snapshot()")
    return con.execute("SELECT sum(seq_scan + coalesce(idx_scan, 0)) FROM pg_stat_user_tables "
                       "WHERE relname = ANY(%s)", (list(tables),)).fetchone()[0]


@contextlib.contextmanager
def watched(db, tables=WATCHED):
    """The tables cannot be read unseen while inside; yields a function that
    tells whether they were read (PostgreSQL; the others fail a read)."""
    if s.is_pg(db):
        con = db.connect()
        try:
            before = _pg_scans(con, tables)
            yield lambda: _pg_scans(con, tables) != before
        finally:
            con.close()
    elif s.is_my(db):
        holder = db.server.connect(db.name)
        try:
            cur = holder.cursor()
            cur.execute("SET GLOBAL lock_wait_timeout = 2")  # the engine's new sessions
            cur.execute("LOCK TABLES " + ", ".join("`%s` WRITE" % t for t in tables))
            yield lambda: False
        finally:
            holder.cursor().execute("SET GLOBAL lock_wait_timeout = DEFAULT")
            holder.close()
    else:
        _corrupt_root_pages(db, tables)
        yield lambda: False


@pytest.mark.parametrize("backend", s.ALL_BACKENDS)
def test_check_and_dbcheck_read_no_table(db_filled):
    db = db_filled
    add_orphan(db)
    with override_settings(DJANGO_DBSYNC=SETTINGS), watched(db) as was_read:
        check = s.dbsync("--check")
        verbose = dbcheck("--verbose")
        details = dbcheck("--table", "legacy_trap")
        assert not was_read()
    assert check.code == 1, check.text
    (drop,) = [line for line in check.out.splitlines() if "legacy_code" in line]
    assert drop.endswith("[data loss: up to ~%d rows (estimate of the table's rows)]" % TAGS), check.out
    assert verbose.code == 1, verbose.text
    assert "rows per model table: the catalog's estimates (--exact-counts counts them)" in verbose.out
    assert "    catalog_tag: ~%d (estimate)" % TAGS in verbose.out.splitlines(), verbose.out
    assert details.code == 0, details.text
    (rows,) = [line for line in details.out.splitlines() if line.startswith("Rows: ")]
    assert rows.startswith("Rows: ~3 (estimate, "), details.out


@pytest.mark.parametrize("backend", s.ALL_BACKENDS)
def test_exact_counts_read_the_tables(db_filled):
    """The watch sees --exact-counts count: the proof above could fail."""
    db = db_filled
    add_orphan(db)
    with override_settings(DJANGO_DBSYNC=SETTINGS), watched(db) as was_read:
        if s.is_pg(db):
            r = dbcheck("--verbose", "--exact-counts")
            assert r.code == 1 and "    catalog_tag: %d" % TAGS in r.out.splitlines(), r.text
            assert was_read()
        else:
            # the plan's exact data-loss count is the first read: it fails
            r = dbcheck("--verbose", "--exact-counts")
            assert r.code == 2 and "counting the values of column \"legacy_code\"" in r.err, r.text
            assert ("error 1205" if s.is_my(db) else "malformed") in r.err, r.text


def drop_supplier_email(db):
    """catalog_supplier (with rows) loses its NOT NULL email, which has no
    default: only an empty table could take it back."""
    if s.is_server(db):
        s.execute(db, "ALTER TABLE %s DROP COLUMN %s" % (_q(db, "catalog_supplier"), _q(db, "email")))
    else:
        s.rebuild_table(db, "catalog_supplier", lambda sql: s.replace_once(
            sql, ', "email" varchar(254) NOT NULL UNIQUE', ""))
    if s.is_my(db):
        s.execute(db, "ANALYZE TABLE `catalog_supplier`")
    else:
        s.execute(db, 'ANALYZE "catalog_supplier"')


@pytest.mark.parametrize("backend", s.ALL_BACKENDS)
def test_check_plans_a_not_null_addition_on_the_estimate(db_filled):
    db = db_filled
    drop_supplier_email(db)
    with watched(db, ("catalog_supplier",)) as was_read:
        check = s.dbsync("--check", "-v", "2")
        assert not was_read()
    assert check.code == 1, check.text
    (add,) = [line for line in check.out.splitlines() if "add column `email` to `catalog_supplier`" in line]
    assert add.endswith(" (not probed in --check: apply checks first)"), check.out
    assert "(rows: the catalog's estimate, not counted)" in check.text, check.text
