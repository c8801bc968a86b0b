"""Views: --list-views and --report-views on SQLite, PostgreSQL and MariaDB.

Two valid views read an orphaned table (one has an id column, one has none,
so a primary key must be chosen). A third view lost its table: it gets one
error line naming it, the others are still listed and generated, and a
summary ends the run. PostgreSQL keeps a view's direct dependencies (its table
cannot be dropped under it), so there the view reads its table through a
PL/pgSQL function, whose body the server does not track.
"""
import json

import pytest
from django.test import override_settings

import e2e_support as s
from orphan_support import create_orphans, report_dir, run_in_project, written_path

pytestmark = pytest.mark.parametrize("backend", s.ALL_BACKENDS)


def _make_views(db):
    create_orphans(db)
    s.execute(db,
              "CREATE VIEW parent_names AS SELECT id, name, price FROM legacy_parent",
              "CREATE VIEW parent_prices AS SELECT name, price FROM legacy_parent WHERE price IS NOT NULL")
    if s.is_pg(db):
        s.execute(db,
                  "CREATE TABLE doomed (id integer NOT NULL PRIMARY KEY, v integer NULL)",
                  "CREATE FUNCTION doomed_rows() RETURNS TABLE (id integer, v integer) LANGUAGE plpgsql "
                  "AS $$ BEGIN RETURN QUERY SELECT d.id, d.v FROM doomed d; END $$",
                  "CREATE VIEW broken_view AS SELECT id, v FROM doomed_rows()",
                  "DROP TABLE doomed")
    else:
        s.execute(db,
                  "CREATE TABLE doomed (id integer NOT NULL PRIMARY KEY, v integer NULL)",
                  "CREATE VIEW broken_view AS SELECT id, v FROM doomed",
                  "DROP TABLE doomed")
    return True


def test_list_views_with_an_invalid_one(db_migrated):
    has_broken = _make_views(db_migrated)
    run = s.dbsync("--list-views")
    assert run.code == 0, run.text
    assert "  parent_names (3 columns)" in run.out.splitlines(), run.out
    assert "  parent_prices (2 columns)" in run.out.splitlines(), run.out
    errors = [line for line in run.err.splitlines() if line.startswith("error:")]
    if has_broken:
        assert len(errors) == 1 and "broken_view" in errors[0], run.err
        if s.is_pg(db_migrated):
            assert 'relation "doomed" does not exist' in errors[0], run.err
        assert run.out.rstrip().splitlines()[-1] == "3 views: 2 valid, 1 invalid", run.out
    else:
        assert errors == [], run.err
        assert run.out.rstrip().splitlines()[-1] == "2 views: 2 valid, 0 invalid", run.out


def test_report_views_writes_read_only_models_that_read_rows(db_migrated, tmp_path):
    has_broken = _make_views(db_migrated)
    with override_settings(DJANGO_DBSYNC=report_dir(tmp_path)):
        run = s.dbsync("--report-views")
    assert run.code == 0, run.text
    path = written_path(run.out)
    source = path.read_text()
    compile(source, str(path), "exec")
    assert "class ParentNames(models.Model):" in source and "class ParentPrices(models.Model):" in source
    assert source.count("        managed = False\n") == 2
    assert "id = models.IntegerField(primary_key=True)  # primary key chosen for the view: it is named id" \
        in source, source
    assert "name = models.CharField(primary_key=True, max_length=40)  # primary key chosen for the view" \
        in source, source
    assert source.count("raise NotImplementedError(") == 4  # save() and delete() of both
    if has_broken:
        assert "# No model for broken_view:" in source
        errors = [line for line in run.err.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "broken_view" in errors[0], run.err
        assert run.out.rstrip().splitlines()[-1] == "3 views: 2 valid, 1 invalid", run.out
    out = run_in_project(tmp_path, db_migrated, source, (
        "import json\n"
        "from legacyapp.models import ParentNames, ParentPrices\n"
        "names = list(ParentNames.objects.order_by('id').values_list('id', 'name'))\n"
        "prices = sorted((p.name, str(p.price)) for p in ParentPrices.objects.all())\n"
        "try:\n"
        "    ParentNames(id=9, name='new').save()\n"
        "    refused = False\n"
        "except NotImplementedError:\n"
        "    refused = True\n"
        "print(json.dumps({'names': names, 'prices': prices, 'refused': refused}))\n"))
    got = json.loads(out.strip().splitlines()[-1])
    assert got == {"names": [[1, "alpha"], [2, "beta"], [3, "gamma"]],
                   "prices": [["alpha", "1.50"], ["gamma", "3.25"]], "refused": True}
