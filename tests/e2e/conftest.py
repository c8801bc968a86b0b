"""Fixtures of the end-to-end suite.

No test uses pytest-django's test database: each one gets its own SQLite FILES
in a temporary directory (the engine opens its own connection and needs a file,
and must see committed data), and Django's connections are pointed at them and
closed around every step. Database access is unblocked for the whole test.
"""
import os
import shutil

import pytest
from django.conf import settings
from django.db import connections

import e2e_support as s

try:  # the source tree's django_dbsync shadows the installed one if the repo root is on sys.path
    from django_dbsync import _engine  # noqa: F401
except ImportError as exc:  # pragma: no cover - environment problem, reported clearly
    import django_dbsync

    raise pytest.UsageError(
        "django_dbsync._engine cannot be imported (%s) from %s: install the project "
        "(pip install --no-build-isolation .) and run pytest from a directory that does not put "
        "the source tree first on sys.path (use `pytest tests/e2e`, not `python -m pytest`)."
        % (exc, os.path.dirname(django_dbsync.__file__))
    )


@pytest.fixture(autouse=True)
def _db_access(django_db_blocker):
    with django_db_blocker.unblock():
        yield


def _point(alias, path):
    s.close_connections()
    settings.DATABASES[alias]["NAME"] = str(path)
    connections[alias].settings_dict["NAME"] = str(path)


@pytest.fixture
def dbfiles(tmp_path):
    """Fresh, empty database files for both aliases; the paths as (default, other)."""
    saved = {alias: settings.DATABASES[alias]["NAME"] for alias in ("default", "other")}
    default, other = tmp_path / "default.sqlite3", tmp_path / "other.sqlite3"
    _point("default", default)
    _point("other", other)
    yield default, other
    s.close_connections()
    for alias, name in saved.items():
        _point(alias, name)


@pytest.fixture
def dbfile(dbfiles):
    return dbfiles[0]


@pytest.fixture(scope="session")
def migrate_template(tmp_path_factory, django_db_blocker):
    """One database built by `migrate` (real migrations), copied by the tests that need it."""
    path = tmp_path_factory.mktemp("template") / "migrated.sqlite3"
    saved = settings.DATABASES["default"]["NAME"]
    with django_db_blocker.unblock():
        _point("default", path)
        try:
            s.migrate()
        finally:
            _point("default", saved)
    return path


@pytest.fixture
def migrated_db(dbfile, migrate_template):
    shutil.copyfile(migrate_template, dbfile)
    return dbfile


@pytest.fixture
def filled_db(migrated_db):
    from fill import fill_rows

    fill_rows()
    s.close_connections()
    return migrated_db
