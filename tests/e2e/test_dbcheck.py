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


def _grid(out):
    """The column table of --table: {column: {header: cell}}."""
    lines = out.splitlines()
    head = next(i for i, line in enumerate(lines) if line.lstrip().startswith("Column "))
    headers = [h.strip() for h in lines[head].split("|")]
    assert set(lines[head + 1]) <= {"-", "+"}, out  # the rule under the headers, as psql draws it
    grid = {}
    for line in lines[head + 2:]:
        if "|" not in line:
            break
        cells = [c.strip() for c in line.split("|")]
        cells += [""] * (len(headers) - len(cells))
        grid[cells[0]] = dict(zip(headers, cells))
    return grid


def _section(out, title):
    lines = out.splitlines()
    start = lines.index(title) + 1
    entries = []
    for line in lines[start:]:
        if not line.startswith("    "):
            break
        entries.append(line.strip())
    return entries


@pytest.mark.parametrize("backend", ALL_BACKENDS)
def test_table_details_name_everything(db_migrated):
    """--table lays the engine's table details out as psql's \\d does: a column
    table (type, null, default), then indexes, unique and check constraints,
    foreign keys, the row count and the size, each naming what it found."""
    s.execute(db_migrated, *DETAIL_DDL)
    # --exact-counts: dbcheck shows the catalog's row estimate unless asked to
    # count (test_lazy_counts.py); this test proves the count
    r = dbcheck("--table", "detail_t", "--exact-counts")
    assert r.code == 0, r.text
    assert r.out.splitlines()[0] == 'Table "detail_t"', r.out
    grid = _grid(r.out)
    assert list(grid) == ["id", "label", "qty", "memo_id"], r.out
    assert grid["id"]["Nullable"] == "not null" and grid["id"]["Default"] == "", r.out
    assert grid["label"]["Type"] in ("varchar(20)", "character varying(20)"), r.out
    assert grid["label"]["Nullable"] == "not null" and "'unnamed'" in grid["label"]["Default"], r.out
    assert grid["qty"]["Nullable"] == "" and grid["memo_id"]["Nullable"] == "", r.out
    assert "int" in grid["qty"]["Type"] and "bigint" in grid["memo_id"]["Type"], r.out
    indexes = _section(r.out, "Indexes:")
    assert indexes[0] == "PRIMARY KEY (id)", r.out
    assert any(i.startswith('"detail_qty_idx"') and i.endswith("(qty)") for i in indexes), r.out
    assert _section(r.out, "Unique constraints:") == ['"detail_label_qty_uniq" UNIQUE (label, qty)'], r.out
    (check,) = _section(r.out, "Check constraints:")
    assert check.startswith('"detail_qty_positive" CHECK (') and "qty" in check and "> 0" in check, r.out
    (fk,) = _section(r.out, "Foreign-key constraints:")
    assert fk == '"detail_memo_fk" FOREIGN KEY (memo_id) REFERENCES notes_memo(id)', r.out
    lines = r.out.splitlines()
    assert "Rows: 2" in lines, r.out
    (size,) = [line for line in lines if line.startswith("Size: ")]
    assert "unknown" not in size and any(ch.isdigit() and ch != "0" for ch in size), r.out
    # the layout is the same at -v 0 (it is what was asked for) and never a key=value dump
    assert dbcheck("--table", "detail_t", "--exact-counts", "-v", "0").out.splitlines()[:len(lines) - 1] == lines[:-1]
    assert "name=" not in r.out and "parts=" not in r.out, r.out


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
