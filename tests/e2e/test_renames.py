"""Table renames through manage.py dbsync, on SQLite, PostgreSQL and MariaDB.

The "wrong" databases are made by hand with raw SQL, the way a person with a
SQL shell (or another tool) would: a model's table renamed to another letter
case, two spellings of one table, a table still under a model's old name.
"""
import builtins
import datetime

import pytest
from django.test import override_settings

import e2e_support as s
from e2e_support import ALL_BACKENDS

NOTEBOOK = "notes_notebook"
SHOUTED = "NOTES_NOTEBOOK"


def qi(db, name):
    if s.is_my(db):
        return "`" + name.replace("`", "``") + "`"
    return s.q(name)


def rename_by_hand(db, old, new):
    if s.is_my(db):
        s.execute(db, "RENAME TABLE %s TO %s" % (qi(db, old), qi(db, new)))
    elif s.is_pg(db):
        s.execute(db, "ALTER TABLE %s RENAME TO %s" % (qi(db, old), qi(db, new)))
    else:
        # SQLite will not rename to a name that differs only in case: two steps
        s.execute(db, "ALTER TABLE %s RENAME TO \"e2e_tmp\"" % qi(db, old),
                  "ALTER TABLE \"e2e_tmp\" RENAME TO %s" % qi(db, new))


def add_notebooks():
    from notes.models import Memo, Notebook

    first = Notebook.objects.create(title="first")
    second = Notebook.objects.create(title="second ✓")
    Memo.objects.create(notebook=second, body="kept")
    s.close_connections()
    return [(first.pk, "first"), (second.pk, "second ✓")]


def rows(db, table, cols="id, title"):
    return sorted(tuple(r) for r in s.fetch(db, "SELECT %s FROM %s" % (cols, qi(db, table))))


def shouted_db(db):
    """A migrated database whose notes_notebook (with rows) is spelled NOTES_NOTEBOOK."""
    expected = add_notebooks()
    rename_by_hand(db, NOTEBOOK, SHOUTED)
    assert SHOUTED in s.user_tables(db) and NOTEBOOK not in s.user_tables(db)
    return expected


@pytest.mark.parametrize("backend", ALL_BACKENDS)
def test_case_mismatch_is_renamed_and_keeps_its_rows(db_migrated):
    expected = shouted_db(db_migrated)
    r = s.dbsync("--auto-approve")
    assert r.code == 0, r.text
    assert "rename table `NOTES_NOTEBOOK` to `notes_notebook`" in r.out
    assert "create table `notes_notebook`" not in r.out
    tables = s.user_tables(db_migrated)
    assert NOTEBOOK in tables and SHOUTED not in tables
    assert rows(db_migrated, NOTEBOOK) == expected
    # the memo's foreign key followed the table
    from notes.models import Memo

    assert [m.notebook.title for m in Memo.objects.all()] == ["second ✓"]
    s.close_connections()
    again = s.dbsync("--check")
    assert again.code == 0, again.text


@pytest.mark.parametrize("backend", ALL_BACKENDS)
def test_case_fix_off_asks_each_rename(db_migrated, monkeypatch):
    expected = shouted_db(db_migrated)
    with override_settings(DJANGO_DBSYNC={"AUTO_FIX_TABLE_CASE": False}):
        # no terminal: refused clearly, nothing changed
        r = s.dbsync()
        assert r.code == 2, r.text
        assert "AUTO_FIX_TABLE_CASE is off" in r.err and "`NOTES_NOTEBOOK` -> `notes_notebook`" in r.err
        assert SHOUTED in s.user_tables(db_migrated)

        # --auto-approve syncs without the rename: it stays a skipped suggestion
        r = s.dbsync("--auto-approve")
        assert r.code == 0, r.text
        assert "skipped: rename table `NOTES_NOTEBOOK` to `notes_notebook`" in r.out
        assert SHOUTED in s.user_tables(db_migrated) and NOTEBOOK not in s.user_tables(db_migrated)

        # a terminal: "n" keeps the table as it is, "y" renames it
        from django_dbsync.management.commands import dbsync as command

        monkeypatch.setattr(command, "_stdin_is_tty", lambda: True)
        answers = iter(["n", "y"])
        monkeypatch.setattr(builtins, "input", lambda: next(answers))
        r = s.dbsync()
        assert "Rename table `NOTES_NOTEBOOK` to `notes_notebook`" in r.out, r.text
        assert SHOUTED in s.user_tables(db_migrated)

        answers = iter(["y", "y"])  # the rename, then "Apply 1 change(s)?"
        r = s.dbsync()
        assert r.code == 0, r.text
        assert NOTEBOOK in s.user_tables(db_migrated) and SHOUTED not in s.user_tables(db_migrated)
        assert rows(db_migrated, NOTEBOOK) == expected


@pytest.mark.parametrize("backend", ALL_BACKENDS)
def test_name_conflict_is_left_untouched_and_named(db_migrated):
    if not s.is_server(db_migrated):
        # SQLite compares table names ignoring case: it cannot hold both spellings
        with pytest.raises(Exception, match="already exists"):
            s.execute(db_migrated, "CREATE TABLE \"NOTES_NOTEBOOK\" (\"id\" integer)")
        return
    expected = add_notebooks()
    s.execute(db_migrated, "CREATE TABLE %s (id integer NOT NULL PRIMARY KEY, title varchar(9))" % qi(db_migrated, SHOUTED),
              "INSERT INTO %s VALUES (7, 'other')" % qi(db_migrated, SHOUTED))
    before = s.schema_rows(db_migrated)
    r = s.dbsync("--auto-approve")
    assert r.code == 1, r.text   # refused: the run says the database still differs
    assert "name conflict" in r.out
    assert "`notes_notebook` (the model's table) and `NOTES_NOTEBOOK` both exist" in r.out
    assert s.schema_rows(db_migrated) == before
    assert rows(db_migrated, NOTEBOOK) == expected
    assert rows(db_migrated, SHOUTED) == [(7, "other")]


@pytest.mark.parametrize("backend", ALL_BACKENDS)
def test_old_name_rename_only_with_auto_rename_tables(db_migrated):
    from notes.models import Reminder

    Reminder.objects.create(text="call", due=datetime.datetime(2025, 1, 2, 3, 4, tzinfo=datetime.timezone.utc))
    s.close_connections()
    rename_by_hand(db_migrated, "notes_reminder", "notes_alarm")

    # off (the default): suggested with its SQL, the model's table created empty
    r = s.dbsync("--auto-approve")
    assert r.code == 0, r.text
    assert "skipped: rename table `notes_alarm` to `notes_reminder`" in r.out
    assert "AUTO_RENAME_TABLES is off" in r.out
    assert rows(db_migrated, "notes_reminder", "text") == []
    assert rows(db_migrated, "notes_alarm", "text") == [("call",)]

    # on: the old table is renamed and keeps its row
    s.execute(db_migrated, "DROP TABLE %s" % qi(db_migrated, "notes_reminder"))
    with override_settings(DJANGO_DBSYNC={"AUTO_RENAME_TABLES": True}):
        r = s.dbsync("--auto-approve")
        assert r.code == 0, r.text
        assert "rename table `notes_alarm` to `notes_reminder`" in r.out
        assert "create table `notes_reminder`" not in r.out
        assert rows(db_migrated, "notes_reminder", "text") == [("call",)]
        assert "notes_alarm" not in s.user_tables(db_migrated)
        assert s.dbsync("--check").code == 0


EXPECTED_SQL = {
    "sqlite": ['ALTER TABLE "NOTES_NOTEBOOK" RENAME TO "notes_notebook_dbsync_tmp";',
               'ALTER TABLE "notes_notebook_dbsync_tmp" RENAME TO "notes_notebook";'],
    "postgresql": ['ALTER TABLE "NOTES_NOTEBOOK" RENAME TO "notes_notebook";'],
    "mysql": ["RENAME TABLE `NOTES_NOTEBOOK` TO `notes_notebook`;"],
}


@pytest.mark.parametrize("backend", ALL_BACKENDS)
def test_suggest_manual_commands_prints_sql_that_works(db_migrated, backend):
    expected = shouted_db(db_migrated)
    before = s.schema_rows(db_migrated)
    with override_settings(DJANGO_DBSYNC={"AUTO_FIX_TABLE_CASE": False}):
        r = s.dbsync("--suggest-manual-commands")
        assert r.code == 0, r.text
        lines = [line.strip() for line in r.out.splitlines()]
        statements = [line for line in lines if line.endswith(";") and not line.startswith("--")]
        assert statements == EXPECTED_SQL[backend]
        assert "Run these statements in a SQL shell" in r.out
        assert s.schema_rows(db_migrated) == before

        # shown by --dry-run too
        dry = s.dbsync("--dry-run")
        assert dry.code == 0, dry.text
        assert "Manual table renames for 'default'" in dry.out
        for stmt in EXPECTED_SQL[backend]:
            assert stmt in dry.out
        assert s.schema_rows(db_migrated) == before

    # the printed SQL, run by hand, is the fix
    s.execute(db_migrated, *(stmt.rstrip(";") for stmt in statements))
    assert rows(db_migrated, NOTEBOOK) == expected
    assert s.dbsync("--check").code == 0

    nothing = s.dbsync("--suggest-manual-commands")
    assert "No table renames to suggest." in nothing.out
