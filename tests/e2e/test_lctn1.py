"""manage.py dbsync and dbcheck on a MariaDB server with lower_case_table_names=1.

Such a server (Windows' default; settable on Linux only when the data
directory is made) stores every table name in lower case, so the project's
mixed-case `db_table = "Catalog_Category"` lives as `catalog_category`. That
is one table, not a case mismatch to rename, an orphan, or a missing table
to create. This module starts its own server (the session's has the Linux
default, 0), with scripts/mariadb-server.sh's DBSYNC_MARIADB_SERVER_OPTIONS.
"""
import os

import pytest

import e2e_support as s
from conftest import use_database
from test_dbcheck import dbcheck

CATEGORY = "Catalog_Category"


@pytest.fixture(scope="module")
def lctn1_server():
    import e2e_my

    os.environ["DBSYNC_MARIADB_SERVER_OPTIONS"] = "--lower-case-table-names=1"
    try:
        server = e2e_my.MyServer.start()
    except e2e_my.ServerUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    finally:
        del os.environ["DBSYNC_MARIADB_SERVER_OPTIONS"]
    yield server
    server.stop()


@pytest.fixture
def lctn1_db(lctn1_server, django_db_blocker):
    db = lctn1_server.new_database()
    with django_db_blocker.unblock():
        previous = use_database("default", db.settings_dict())
        try:
            assert db.query("SELECT @@lower_case_table_names") == [(1,)]
            yield db
        finally:
            use_database("default", previous)
            db.drop()


def test_migrate_built_database_is_in_sync(lctn1_db):
    s.migrate()
    assert "catalog_category" in lctn1_db.user_tables() and CATEGORY not in lctn1_db.user_tables()
    check = s.dbsync("--check")
    assert check.code == 0, check.text
    dry = s.dbsync("--dry-run")
    assert "rename table" not in dry.out.lower(), dry.out
    orphans = s.dbsync("--show-orphaned")
    assert "No orphaned tables." in orphans.out, orphans.out
    assert s.dbsync("--suggest-manual-commands").out.count("No table renames to suggest.") == 1
    for args in (["--check-case-mismatches"], ["--check-name-conflicts"], ["--compare-models"]):
        r = dbcheck(*args)
        assert r.code == 0, (args, r.text)


def test_dbsync_creates_then_converges_and_keeps_rows(lctn1_db):
    first = s.dbsync("--auto-approve")
    assert first.code == 0, first.text
    from catalog.models import Category

    Category.objects.create(name="kept", slug="kept")
    s.close_connections()
    # a column dropped by hand (through the model's spelling) comes back
    # without touching the table's name or rows
    lctn1_db.execute("ALTER TABLE `Catalog_Category` DROP COLUMN description")
    again = s.dbsync("--auto-approve")
    assert again.code == 0, again.text
    assert "rename table" not in again.out.lower(), again.out
    assert "create table" not in again.out.lower(), again.out
    assert "add column `description`" in again.out.lower(), again.out
    assert lctn1_db.query("SELECT name FROM catalog_category") == [("kept",)]
    assert s.dbsync("--check").code == 0


def test_the_mixed_case_model_table_is_not_missing(lctn1_db):
    """The server folds every table name: the engine's table key folds too
    (Connection.table_key), so dbcheck finds `Catalog_Category` in
    `catalog_category` rather than counting it missing, as on PostgreSQL."""
    s.migrate()
    r = dbcheck()
    assert r.code == 0, r.text
    assert " 0 differ, 0 missing)" in r.out, r.out
