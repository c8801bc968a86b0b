"""A field's default runs only when a plan being applied needs its value.

Real apps give fields callable defaults that query the database (wagtail's
ForeignKey(default=get_root_collection_id)) or have side effects. Building the
desired schema never calls them: an empty database is built without them, and
--check / --dry-run never call them (the plan says the rows are "filled from the
field's default"). Applying calls each one exactly once, for a NOT NULL column
added to a table that has rows, and the rows get its value.

The models are registered for the test only (and removed afterwards), so the
project's own migrations and tables stay as they are. Every backend.
"""
import pytest
from django.apps import apps
from django.db import models

import e2e_support as s

every_backend = pytest.mark.parametrize("backend", s.ALL_BACKENDS)

CALLS = []  # (name, ...) of every call of the defaults below, in order


def first_category_id():
    """Like wagtail's get_root_collection_id: a query, which fails on an empty database."""
    CALLS.append("first_category_id")
    from catalog.models import Category
    return Category.objects.order_by("id").values_list("id", flat=True).first()


def counted_tally():
    """A default with a visible side effect."""
    CALLS.append("counted_tally")
    return 7


def _model(class_name, **fields):
    attrs = {"__module__": __name__, "Meta": type("Meta", (), {"app_label": "catalog", "db_table": "catalog_shelf"})}
    attrs.update(fields)
    return type(class_name, (models.Model,), attrs)


def _unregister(model):
    apps.all_models["catalog"].pop(model._meta.model_name, None)
    apps.clear_cache()


@pytest.fixture
def shelf_models():
    """Register a model; the test registers its successor after the first is gone."""
    made = []

    def register(full):
        for model in made:
            _unregister(model)
        if full:
            model = _model(
                "Shelf",
                name=models.CharField(max_length=20),
                category=models.ForeignKey("catalog.Category", on_delete=models.CASCADE, default=first_category_id),
                tally=models.IntegerField(default=counted_tally),
            )
        else:
            model = _model("ShelfBefore", name=models.CharField(max_length=20))
        made.append(model)
        return model

    CALLS.clear()
    yield register
    for model in made:
        _unregister(model)
    CALLS.clear()


@every_backend
def test_empty_database_is_built_without_calling_defaults(db_empty, shelf_models):
    shelf_models(full=True)
    run = s.dbsync("--auto-approve")
    assert run.code == 0, run.text
    assert "catalog_shelf" in s.user_tables(db_empty)
    assert CALLS == [], "building the desired schema or creating tables must call no default"
    check = s.dbsync("--check")
    assert check.code == 0, check.text
    assert CALLS == []


@every_backend
def test_defaults_run_only_when_applying_a_fill(db_filled, shelf_models):
    before_model = shelf_models(full=False)
    assert s.dbsync("--auto-approve").code == 0  # catalog_shelf with its name column only
    before_model.objects.create(name="top")
    before_model.objects.create(name="bottom")
    shelf_models(full=True)

    check = s.dbsync("--check")
    assert check.code == 1, check.text
    dry = s.dbsync("--dry-run")
    assert dry.code == 0, dry.text
    assert "filled from the field's default" in dry.out, dry.out
    assert CALLS == [], "--check and --dry-run must not call any default"

    run = s.dbsync("--auto-approve")
    assert run.code == 0, run.text
    assert sorted(CALLS) == ["counted_tally", "first_category_id"], CALLS
    first = s.fetch(db_filled, 'SELECT MIN(id) FROM ' + ('`Catalog_Category`' if s.is_my(db_filled)
                                                         else '"Catalog_Category"'))[0][0]
    shelf = apps.get_model("catalog", "Shelf")
    assert sorted(shelf.objects.values_list("name", "category_id", "tally")) == [
        ("bottom", first, 7), ("top", first, 7)]

    CALLS.clear()
    again = s.dbsync("--check")
    assert again.code == 0, again.text
    assert CALLS == []
