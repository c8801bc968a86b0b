"""Orphaned tables: tables no installed model owns.

Each test runs on SQLite, PostgreSQL and MariaDB against a database built by
`migrate`, with three orphaned tables holding rows in a foreign-key chain
(legacy_grandchild -> legacy_child -> legacy_parent). Django's own tables
(auth, contenttypes: apps dbsync excludes by default), the M2M tables of the
project's models and django_migrations are never orphans.
"""
import json

import pytest
from django.test import override_settings

import e2e_support as s
from orphan_support import create_orphans, qi, report_dir, run_in_project, written_path

ORPHANS = ["legacy_child", "legacy_grandchild", "legacy_parent"]

pytestmark = pytest.mark.parametrize("backend", s.ALL_BACKENDS)


def _lines_naming(text, name):
    return [line for line in text.splitlines() if name in line]


def test_show_orphaned_lists_orphans_with_rows_and_size(db_migrated):
    create_orphans(db_migrated)
    # --exact-counts: a listing shows the catalog's row estimates unless asked to
    # count (test_lazy_counts.py); this test proves the counts
    run = s.dbsync("--show-orphaned", "--exact-counts")
    assert run.code == 0, run.text
    assert "Orphaned tables (3)" in run.out, run.out
    for name, rows in (("legacy_parent", "3 rows"), ("legacy_child", "2 rows"), ("legacy_grandchild", "1 row")):
        line = _lines_naming(run.out, name + " (")
        assert line and rows in line[0], run.out
        assert "size unknown" not in line[0], run.out  # a real byte count on every backend
    # never orphans: Django's migration history, excluded apps, M2M tables of models
    for owned in ("django_migrations", "auth_user", "auth_user_groups", "django_content_type"):
        assert owned in s.user_tables(db_migrated)
        assert not _lines_naming(run.out, owned + " ("), run.out
    m2m = [t for t in s.model_tables(*s.PROJECT_APPS) if t.count("_") >= 2]
    for table in m2m:
        assert not _lines_naming(run.out, "  " + table + " ("), run.out
    # listing changes nothing
    assert set(ORPHANS) <= set(s.user_tables(db_migrated))


SIZE_SQL = {
    # what each server itself says a table occupies, indexes included
    "sqlite": "SELECT SUM(d.pgsize) FROM dbstat d JOIN sqlite_schema m ON m.name = d.name "
              "WHERE m.tbl_name = 'legacy_parent'",
    "postgresql": "SELECT pg_total_relation_size('legacy_parent')",
    "mysql": "SELECT DATA_LENGTH + INDEX_LENGTH FROM information_schema.TABLES "
             "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'legacy_parent'",
}
SIZE_METHOD = {"sqlite": "dbstat", "postgresql": "pg_total_relation_size", "mysql": "information_schema"}


def test_orphan_sizes_are_the_servers_own(db_migrated, backend):
    from django_dbsync import orphans

    create_orphans(db_migrated)
    s.close_connections()
    inv = orphans.inventory("default")
    assert inv["size_method"] == SIZE_METHOD[backend]
    parent = [t for t in inv["tables"] if t["name"] == "legacy_parent"][0]
    assert parent["orphan"] and parent["rows"] == 3
    assert parent["bytes"] == s.fetch(db_migrated, SIZE_SQL[backend])[0][0] > 0, parent


def test_orphans_shown_at_the_end_of_a_normal_run(db_migrated):
    create_orphans(db_migrated)
    run = s.dbsync("--auto-approve")
    assert run.code == 0, run.text
    assert "Orphaned tables (3)" in run.out, run.out
    assert _lines_naming(run.out, "legacy_parent (3 rows")
    with override_settings(DJANGO_DBSYNC={"SHOW_ORPHANED_TABLES": False}):
        quiet = s.dbsync("--auto-approve")
    assert quiet.code == 0, quiet.text
    assert "legacy_parent" not in quiet.out, quiet.out


def test_drop_orphaned_dry_run_prints_the_sql_only(db_migrated):
    create_orphans(db_migrated)
    run = s.dbsync("--drop-orphaned", "--dry-run", verbosity=0)
    assert run.code == 0, run.text
    drops = [line for line in run.out.splitlines() if line.upper().startswith("DROP TABLE")]
    # a table is dropped before the table it references
    assert drops == ["DROP TABLE %s;" % qi(db_migrated, t)
                     for t in ("legacy_grandchild", "legacy_child", "legacy_parent")], run.out
    assert set(ORPHANS) <= set(s.user_tables(db_migrated))
    assert s.fetch(db_migrated, "SELECT COUNT(*) FROM legacy_parent")[0][0] == 3


def test_drop_orphaned_asks_and_refuses_without_a_terminal(db_migrated):
    create_orphans(db_migrated)
    run = s.dbsync("--drop-orphaned")
    assert run.code == 2 and "not a terminal" in run.err, run.text
    # it showed what it would drop, with row counts, before asking
    assert _lines_naming(run.out, "drops table `legacy_parent` with 3 rows"), run.out
    assert set(ORPHANS) <= set(s.user_tables(db_migrated))


class _Terminal:
    """A stdin that says it is a terminal; input() is patched separately."""

    def isatty(self):
        return True


def test_drop_orphaned_asks_on_a_terminal(db_migrated, monkeypatch):
    create_orphans(db_migrated)
    monkeypatch.setattr("sys.stdin", _Terminal())
    answers = iter(["n", "y"])
    monkeypatch.setattr("builtins.input", lambda *a: next(answers))
    declined = s.dbsync("--drop-orphaned")
    assert declined.code == 0, declined.text
    shown = [line.strip() for line in declined.out.splitlines() if line.strip().startswith("drops table")]
    assert shown == ["drops table `legacy_grandchild` with 1 row", "drops table `legacy_child` with 2 rows",
                     "drops table `legacy_parent` with 3 rows"], declined.out
    assert "Drop 3 tables from 'default'? Their rows are lost. [y/N]" in declined.out
    assert "Cancelled: nothing was dropped." in declined.out
    assert set(ORPHANS) <= set(s.user_tables(db_migrated))
    accepted = s.dbsync("--drop-orphaned")
    assert accepted.code == 0, accepted.text
    assert "Dropped 3 tables: legacy_grandchild, legacy_child, legacy_parent" in accepted.out
    assert not set(ORPHANS) & set(s.user_tables(db_migrated))


def test_drop_orphaned_drops_the_chain_in_order_and_nothing_else(db_filled):
    create_orphans(db_filled)
    models_before = s.snapshot_rows(db_filled, sorted(s.model_tables(*s.PROJECT_APPS, alias="default")))
    run = s.dbsync("--drop-orphaned", "--auto-approve")
    assert run.code == 0, run.text
    assert "Dropped 3 tables: legacy_grandchild, legacy_child, legacy_parent" in run.out, run.out
    assert not set(ORPHANS) & set(s.user_tables(db_filled))
    assert s.snapshot_rows(db_filled, sorted(s.model_tables(*s.PROJECT_APPS, alias="default"))) == models_before
    assert "django_migrations" in s.user_tables(db_filled)
    again = s.dbsync("--show-orphaned")
    assert "No orphaned tables." in again.out, again.out


def test_drop_refused_when_a_model_table_references_the_orphan(db_migrated):
    create_orphans(db_migrated)
    if s.is_my(db_migrated):
        s.execute(db_migrated, "ALTER TABLE catalog_tag ADD COLUMN legacy_id integer NULL, "
                               "ADD CONSTRAINT tag_legacy_fk FOREIGN KEY (legacy_id) REFERENCES legacy_parent (id)")
    elif s.is_pg(db_migrated):
        s.execute(db_migrated, "ALTER TABLE catalog_tag ADD COLUMN legacy_id integer NULL "
                               "CONSTRAINT tag_legacy_fk REFERENCES legacy_parent (id)")
    else:
        s.execute(db_migrated, 'ALTER TABLE catalog_tag ADD COLUMN legacy_id integer NULL '
                               'REFERENCES legacy_parent (id)')
    run = s.dbsync("--drop-orphaned", "--auto-approve")
    assert run.code == 1, run.text
    refusal = _lines_naming(run.err, "not dropping legacy_parent")
    assert refusal and "catalog_tag" in refusal[0] and "legacy_id" in refusal[0], run.err
    # the rest of the chain does not depend on the kept table: it goes
    assert "legacy_parent" in s.user_tables(db_migrated)
    assert "legacy_child" not in s.user_tables(db_migrated)
    assert "legacy_id" in s.column_names(db_migrated, "catalog_tag")


def test_generated_models_import_check_and_read_rows(db_migrated, tmp_path):
    create_orphans(db_migrated)
    # an orphan pointing into a model's table: a ForeignKey to that model
    s.execute(db_migrated,
              "INSERT INTO catalog_tag (id, name) VALUES (5, 'blue')",
              "CREATE TABLE legacy_tagged (id integer NOT NULL PRIMARY KEY, tag_id bigint NOT NULL, "
              "FOREIGN KEY (tag_id) REFERENCES catalog_tag (id))",
              "INSERT INTO legacy_tagged (id, tag_id) VALUES (1, 5)")
    with override_settings(DJANGO_DBSYNC=report_dir(tmp_path)):
        run = s.dbsync("--generate-orphaned-models")
    assert run.code == 0, run.text
    path = written_path(run.out)
    assert path.parent == tmp_path / "reports" and path.exists()
    source = path.read_text()
    compile(source, str(path), "exec")
    assert source.startswith("#") and "managed = False" in source
    assert "db_table = 'legacy_parent'" in source
    assert "class_field = models.IntegerField(db_column='class'" in source
    assert "my_col = models.CharField(db_column='my col', max_length=10" in source
    assert "max_digits=8, decimal_places=2" in source
    assert "default='anon'" in source and "auto_now_add=True" in source
    assert "parent = models.ForeignKey('LegacyParent', models.DO_NOTHING" in source
    assert "unique_together = (('name', 'code'),)" in source
    assert "tag = models.ForeignKey('catalog.Tag', models.DO_NOTHING, related_name='+')" in source
    out = run_in_project(tmp_path, db_migrated, source, (
        "import json\n"
        "from legacyapp.models import LegacyParent, LegacyChild, LegacyGrandchild, LegacyTagged\n"
        "parents = list(LegacyParent.objects.order_by('id').values_list('name', 'class_field', 'my_col'))\n"
        "child = LegacyGrandchild.objects.get(id=1).child\n"
        "print(json.dumps({'parents': parents, 'price': str(LegacyParent.objects.get(id=3).price),\n"
        "                  'chain': [child.note, child.parent.name],\n"
        "                  'children': LegacyChild.objects.filter(parent__name='alpha').count(),\n"
        "                  'tag': LegacyTagged.objects.get(id=1).tag.name}))\n"))
    got = json.loads(out.strip().splitlines()[-1])
    assert got == {"parents": [["alpha", 7, "x"], ["beta", None, None], ["gamma", 9, "z"]],
                   "price": "3.25", "chain": ["second", "gamma"], "children": 1, "tag": "blue"}


def test_a_model_table_in_another_letter_case_is_not_an_orphan(db_migrated):
    """`NOTES_REMINDER` while the model says notes_reminder is a case mismatch
    (AUTO_FIX_TABLE_CASE's business), never an orphan to drop."""
    # through another name: SQLite calls the two spellings one table
    s.execute(db_migrated, "ALTER TABLE notes_reminder RENAME TO reminder_tmp",
              "ALTER TABLE reminder_tmp RENAME TO %s" % qi(db_migrated, "NOTES_REMINDER"))
    run = s.dbsync("--show-orphaned")
    assert run.code == 0, run.text
    assert "No orphaned tables." in run.out, run.out
    dry = s.dbsync("--drop-orphaned", "--dry-run", verbosity=0)
    assert dry.code == 0 and "DROP" not in dry.out.upper(), dry.text


def test_drop_orphaned_backs_up_first_and_the_backup_holds_the_orphans(db_filled, tmp_path):
    """Dropping orphans is the data loss a backup is for: BACKUP_BEFORE_SYNC holds
    for --drop-orphaned as for a sync, and the backup still has their rows."""
    import re

    create_orphans(db_filled)
    parent = s.snapshot_rows(db_filled, ["legacy_parent"])
    backups = tmp_path / "backups"
    with override_settings(DJANGO_DBSYNC={"BACKUP_BEFORE_SYNC": True, "BACKUP_DIR": str(backups)}):
        run = s.dbsync("--drop-orphaned", "--auto-approve")
    assert run.code == 0, run.text
    m = re.search(r"Backup written: (\S+)", run.out)
    assert m, run.out
    assert run.out.index("Backup written") < run.out.index("Dropped 3 tables"), run.out
    assert [p.name for p in backups.iterdir()] == [m.group(1).rsplit("/", 1)[-1]]
    if not s.is_server(db_filled):
        import sqlite3

        con = sqlite3.connect(m.group(1))
        try:
            assert con.execute('SELECT count(*) FROM "legacy_parent"').fetchone()[0] == len(
                parent["legacy_parent"][1])
        finally:
            con.close()
    else:
        assert "legacy_parent" in open(m.group(1), encoding="utf-8", errors="replace").read()
