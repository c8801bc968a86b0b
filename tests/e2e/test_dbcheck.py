"""manage.py dbcheck on SQLite, PostgreSQL and MariaDB: every option, exit
statuses (1 on a problem, 0 when clean), read-only without --fix, and --fix
applying only safe changes."""
import io

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

import e2e_support as s
from e2e_support import ALL_BACKENDS
from test_renames import NOTEBOOK, SHOUTED, qi, rename_by_hand, rows


def dbcheck(*args):
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command("dbcheck", *args, "--no-color", stdout=out, stderr=err)
    except SystemExit as exc:
        code = exc.code
    except CommandError as exc:
        code = 2
        err.write("CommandError: %s\n" % exc)
    finally:
        s.close_connections()
    return s.Result(code, out.getvalue(), err.getvalue())


@pytest.mark.parametrize("backend", ALL_BACKENDS)
def test_clean_database_exits_0_on_every_check(db_migrated):
    for args in ([], ["--compare-models"], ["--check-case-mismatches"], ["--check-name-conflicts"],
                 ["--compare-models", "--check-case-mismatches", "--check-name-conflicts", "--verbose"]):
        r = dbcheck(*args)
        assert r.code == 0, (args, r.text)
        assert "is clean" in r.out
    summary = dbcheck().out
    assert "model tables selected:" in summary
    assert "table-name case mismatches: 0" in summary
    assert "table-name conflicts: 0" in summary
    verbose = dbcheck("--compare-models", "--verbose").out
    assert "notes.Notebook (notes_notebook): in sync" in verbose


@pytest.mark.parametrize("backend", ALL_BACKENDS)
def test_differences_found_read_only_and_filtered(db_migrated):
    s.execute(db_migrated, "DROP TABLE %s" % qi(db_migrated, "notes_reminder"))
    before = s.schema_rows(db_migrated)

    r = dbcheck()
    assert r.code == 1, r.text
    assert "1 missing" in r.out
    assert "problems found" in r.err

    r = dbcheck("--compare-models")
    assert r.code == 1
    assert "notes.Reminder (notes_reminder): missing" in r.out
    assert "create table `notes_reminder`" in r.out

    # what the filters leave out is not looked at
    assert dbcheck("--include-apps=catalog").code == 0
    assert dbcheck("--include-tables", "notes_memo,notes_notebook", "--compare-models").code == 0
    assert dbcheck("--include-tables=notes_reminder", "--compare-models").code == 1
    assert s.schema_rows(db_migrated) == before  # read-only


@pytest.mark.parametrize("backend", ALL_BACKENDS)
def test_case_mismatch_and_conflict_checks(db_migrated):
    rename_by_hand(db_migrated, NOTEBOOK, SHOUTED)
    r = dbcheck("--check-case-mismatches")
    assert r.code == 1, r.text
    assert "`NOTES_NOTEBOOK` in the database, `notes_notebook` in the model" in r.out
    assert dbcheck("--check-name-conflicts").code == 0
    assert "table-name case mismatches: 1" in dbcheck().out
    assert SHOUTED in s.user_tables(db_migrated)  # read-only: not renamed

    if not s.is_server(db_migrated):
        return  # SQLite cannot hold two spellings of one table
    rename_by_hand(db_migrated, SHOUTED, NOTEBOOK)
    s.execute(db_migrated, "CREATE TABLE %s (id integer NOT NULL PRIMARY KEY)" % qi(db_migrated, SHOUTED))
    r = dbcheck("--check-name-conflicts")
    assert r.code == 1, r.text
    assert "`notes_notebook` (the model's table) and `NOTES_NOTEBOOK` both exist" in r.out
    assert dbcheck("--check-case-mismatches").code == 0


@pytest.mark.parametrize("backend", ALL_BACKENDS)
def test_fix_applies_only_safe_changes(db_migrated):
    from notes.models import Memo, Notebook

    nb = Notebook.objects.create(title="n")
    Memo.objects.create(notebook=nb, body="b")
    s.close_connections()
    s.execute(db_migrated, "DROP TABLE %s" % qi(db_migrated, "notes_reminder"),
              "ALTER TABLE %s ADD COLUMN legacy integer NULL" % qi(db_migrated, "notes_memo"),
              "UPDATE %s SET legacy = 5" % qi(db_migrated, "notes_memo"))
    # even where dbsync would drop columns, --fix does not
    with override_settings(DJANGO_DBSYNC={"AUTO_DROP_COLUMNS": True}):
        r = dbcheck("--fix")
    assert r.code == 1, r.text   # the extra column still differs
    assert "applied: create table `notes_reminder`" in r.out
    assert "notes_reminder" in s.user_tables(db_migrated)
    assert rows(db_migrated, "notes_memo", "legacy") == [(5,)]
    r = dbcheck("--compare-models")
    assert r.code == 1
    assert "legacy" in r.out and "notes_reminder" not in r.out


@pytest.mark.parametrize("backend", ALL_BACKENDS)
def test_fix_renames_a_case_mismatch_keeping_rows(db_migrated):
    from notes.models import Notebook

    Notebook.objects.create(title="kept")
    s.close_connections()
    rename_by_hand(db_migrated, NOTEBOOK, SHOUTED)
    r = dbcheck("--fix")
    assert r.code == 0, r.text
    assert rows(db_migrated, NOTEBOOK, "title") == [("kept",)]


def test_database_option(dbfiles):
    default, other = dbfiles
    s.migrate("other")
    r = dbcheck("--database", "other")
    assert r.code == 0, r.text
    assert str(other) in r.out
    # 'default' is an empty file: every model table is missing there
    assert dbcheck().code == 1


@pytest.mark.parametrize("backend", ALL_BACKENDS)
def test_table_details(db_migrated):
    from notes.models import Notebook

    Notebook.objects.create(title="one")
    s.close_connections()
    r = dbcheck("--table", "notes_memo")
    assert r.code == 0, r.text
    for word in ("body", "notebook_id", "pinned", "notes_notebook"):
        assert word in r.out
    assert dbcheck("--table", "no_such_table").code == 2


DETAIL_DDL = (
    "CREATE TABLE detail_t (id integer NOT NULL PRIMARY KEY, label varchar(20) NOT NULL DEFAULT 'unnamed', "
    "qty integer NULL, memo_id bigint NULL, CONSTRAINT detail_qty_positive CHECK (qty > 0), "
    "CONSTRAINT detail_label_qty_uniq UNIQUE (label, qty), "
    "CONSTRAINT detail_memo_fk FOREIGN KEY (memo_id) REFERENCES notes_memo (id))",
    "CREATE INDEX detail_qty_idx ON detail_t (qty)",
    "INSERT INTO detail_t (id, label, qty) VALUES (1, 'a', 1), (2, 'b', 2)",
)


@pytest.mark.parametrize("backend", ALL_BACKENDS)
def test_table_details_name_everything(db_migrated):
    """--table shows columns, types, null, defaults, indexes, constraints,
    foreign keys, row count and size, each naming what it found."""
    s.execute(db_migrated, *DETAIL_DDL)
    r = dbcheck("--table", "detail_t")
    assert r.code == 0, r.text
    lines = [line.strip() for line in r.out.splitlines()]
    assert "Table detail_t:" in lines and "rows: 2" in lines, r.out
    size = [line for line in lines if line.startswith("bytes: ")]
    assert size and int(size[0].split()[1]) > 0, r.out
    columns = {line.split(",")[0]: line for line in lines if line.startswith("name=")}
    assert columns["name=id"].startswith("name=id, type=") and "null" not in columns["name=id"]
    label = columns["name=label"]
    assert "varchar(20)" in label or "character varying(20)" in label, r.out
    assert "default='unnamed'" in label and ", null" not in label, r.out
    assert columns["name=qty"].endswith(", null") and columns["name=memo_id"].endswith(", null"), r.out
    assert "name=detail_label_qty_uniq, columns=(label, qty)" in lines, r.out
    assert columns["name=detail_qty_positive"].startswith("name=detail_qty_positive, expr="), r.out
    assert "qty" in columns["name=detail_qty_positive"] and "> 0" in columns["name=detail_qty_positive"]
    assert "name=detail_qty_idx, parts=(column=qty)" in lines, r.out
    fk = columns["name=detail_memo_fk"]
    assert "columns=(memo_id), ref_table=notes_memo, ref_columns=(id)" in fk, r.out
    primary = lines[lines.index("primary_key:") + 1]
    assert primary == "id", r.out


@pytest.mark.parametrize("backend", ALL_BACKENDS)
def test_fix_backs_up_first_when_backups_are_on(db_migrated, tmp_path):
    import re

    s.execute(db_migrated, "DROP TABLE %s" % qi(db_migrated, "notes_reminder"))
    backups = tmp_path / "backups"
    with override_settings(DJANGO_DBSYNC={"BACKUP_BEFORE_SYNC": True, "BACKUP_DIR": str(backups)}):
        r = dbcheck("--fix")
    m = re.search(r"Backup written: (\S+)", r.out)
    assert m, r.text
    assert r.out.index("Backup written") < r.out.index("applied: create table `notes_reminder`"), r.out
    assert len(list(backups.iterdir())) == 1
    # and none when there is nothing to fix
    with override_settings(DJANGO_DBSYNC={"BACKUP_BEFORE_SYNC": True, "BACKUP_DIR": str(backups)}):
        r = dbcheck("--fix")
    assert "Backup written" not in r.out, r.text
    assert len(list(backups.iterdir())) == 1
